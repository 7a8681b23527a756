/* gen-module.c: the code generator's module level: IR module -> LLVM module
 * -> BPF ELF object in memory.
 *
 * Target bpfel, CPU v3 (jmp32 and 32-bit ALU; the kernels we target, 5.17
 * and later for bpf_loop, all have it).  Maps are BTF-defined: a global in
 * section .maps whose debug-info type is a struct of pointers to arrays
 * whose lengths are the map's type, size and key/value sizes (what libbpf's
 * __uint() macro spells in C); LLVM's BPF backend turns that debug info into
 * BTF, and the line info of every instruction into .BTF.ext, which the
 * verifier quotes.  Read-only strings go in .rodata.  LLVM's O2 pipeline
 * runs on the module unless optimisation is off.
 */
#include "gen-int.h"
#include "kbtf.h"

#include <errno.h>
#include <linux/bpf.h>
#include <llvm-c/Analysis.h>
#include <llvm-c/ErrorHandling.h>
#include <llvm-c/Target.h>
#include <llvm-c/TargetMachine.h>
#include <llvm-c/Transforms/PassBuilder.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void gen_error(Gen *g, SrcLoc loc, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  diag_error(g->diag, loc, "%s", msg);
  g->nerrors++;
}

int gen_map_add(Gen *g, const char *name, unsigned type, uint32_t key_size, uint32_t value_size,
                uint32_t max_entries, uint32_t flags) {
  if (g->nmaps == g->cap_maps) {
    int nc = g->cap_maps ? g->cap_maps * 2 : 16;
    GenMap *nm = realloc(g->maps, sizeof *nm * (size_t)nc);
    if (!nm) return -ENOMEM;
    g->maps = nm;
    g->cap_maps = nc;
  }
  GenMap *m = &g->maps[g->nmaps];
  memset(m, 0, sizeof *m);
  snprintf(m->name, sizeof m->name, "%s", name);
  m->type = type;
  m->key_size = key_size;
  m->value_size = value_size;
  m->max_entries = max_entries;
  m->flags = flags;
  LLVMTypeRef fields[5] = {g->ptr, g->ptr, g->ptr, g->ptr, g->ptr};
  LLVMTypeRef st = LLVMStructTypeInContext(g->ctx, fields, 5, false);
  m->var = LLVMAddGlobal(g->mod, st, m->name);
  LLVMSetInitializer(m->var, LLVMConstNull(st));
  LLVMSetSection(m->var, ".maps");
  LLVMSetAlignment(m->var, 8);
  return g->nmaps++;
}

/* int (*name)[n]: libbpf's __uint(name, n). */
static LLVMMetadataRef di_uint_member(Gen *g, const char *name, uint64_t n, int idx) {
  LLVMMetadataRef sub = LLVMDIBuilderGetOrCreateSubrange(g->di, 0, (int64_t)n);
  LLVMMetadataRef arr = LLVMDIBuilderCreateArrayType(g->di, 32 * n, 32, g->di_int, &sub, 1);
  LLVMMetadataRef p = LLVMDIBuilderCreatePointerType(g->di, arr, 64, 64, 0, NULL, 0);
  return LLVMDIBuilderCreateMemberType(g->di, g->di_cu, name, strlen(name), g->di_file, 0, 64, 64,
                                       (uint64_t)idx * 64, LLVMDIFlagZero, p);
}

static void map_debug_info(Gen *g, GenMap *m) {
  LLVMMetadataRef mem[5];
  int n = 0;
  mem[n] = di_uint_member(g, "type", m->type, n), n++;
  mem[n] = di_uint_member(g, "max_entries", m->max_entries, n), n++;
  if (m->type != BPF_MAP_TYPE_RINGBUF) {
    mem[n] = di_uint_member(g, "key_size", m->key_size, n), n++;
    mem[n] = di_uint_member(g, "value_size", m->value_size, n), n++;
  }
  if (m->flags) mem[n] = di_uint_member(g, "map_flags", m->flags, n), n++;
  LLVMMetadataRef st = LLVMDIBuilderCreateStructType(g->di, g->di_cu, "", 0, g->di_file, 0, 64 * 5, 64,
                                                     LLVMDIFlagZero, NULL, mem, (unsigned)n, 0, NULL, "", 0);
  LLVMMetadataRef expr = LLVMDIBuilderCreateExpression(g->di, NULL, 0);
  LLVMMetadataRef gve = LLVMDIBuilderCreateGlobalVariableExpression(
      g->di, g->di_cu, m->name, strlen(m->name), m->name, strlen(m->name), g->di_file, 0, st, false, expr, NULL, 64);
  LLVMGlobalSetMetadata(m->var, LLVMGetMDKindIDInContext(g->ctx, "dbg", 3), gve);
}

LLVMValueRef gen_rodata_str(Gen *g, const char *s, size_t len) {
  char name[32];
  snprintf(name, sizeof name, "stp_str%d", g->nstrings++);
  LLVMValueRef init = LLVMConstStringInContext(g->ctx, s, (unsigned)len, true); /* len counts the NUL */
  LLVMValueRef v = LLVMAddGlobal(g->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(v, init);
  LLVMSetGlobalConstant(v, true);
  LLVMSetLinkage(v, LLVMInternalLinkage);
  LLVMSetSection(v, ".rodata");
  LLVMSetAlignment(v, 8);
  return v;
}

LLVMMetadataRef gen_di_loc(Gen *g, LLVMMetadataRef scope, SrcLoc loc) {
  return LLVMDIBuilderCreateDebugLocation(g->ctx, loc.line, loc.col, scope, NULL);
}

static int make_maps(Gen *g) {
  const BpfLayout *l = g->l;
  const IrModule *m = g->m;
  g->ctl = gen_map_add(g, "stp_ctl", BPF_MAP_TYPE_ARRAY, 4, sizeof(BpfCtl), 1, 0);
  /* 2 MiB by default (-s sets it at load time): the reader is woken at least
   * every BLAY_WAKE_NS, and at 1.6M records/s a millisecond fills ~40 KB;
   * the ring's pages count twice in the tracer's RSS (the kernel maps them
   * twice, for records that wrap). */
  g->events = gen_map_add(g, "stp_events", BPF_MAP_TYPE_RINGBUF, 0, 0, 1u << 21, 0);
  g->scratch = gen_map_add(g, "stp_scratch", BPF_MAP_TYPE_ARRAY, 4, 8, 1, 0); /* sizes fixed at the end */
  g->glob = gen_map_add(g, "stp_glob", BPF_MAP_TYPE_ARRAY, 4, l->glob_size, 1, 0);
  if (g->ctl < 0 || g->events < 0 || g->scratch < 0 || g->glob < 0) return -ENOMEM;
  g->gmap = calloc((size_t)(m->nglobals ? m->nglobals : 1), sizeof *g->gmap);
  if (!g->gmap) return -ENOMEM;
  for (int k = 0; k < m->nglobals; k++) {
    const IrGlobal *ig = m->globals[k];
    const BlayGlobal *bg = &l->globals[k];
    g->gmap[k] = -1;
    if (ig->kind == IR_GLOBAL_SCALAR) continue;
    for (int o = 0; o < bg->nobj; o++) {
      char name[32];
      blay_map_name(ig, o, name, sizeof name);
      int mi;
      if (ig->kind == IR_GLOBAL_STAT) {
        mi = gen_map_add(g, name, BPF_MAP_TYPE_PERCPU_ARRAY, 4, (uint32_t)rt_stat_cell_size(&bg->desc[o]), 1, 0);
      } else {
        const RtMapLayout *ml = &bg->mlay[o];
        unsigned type = ig->is_stat ? (ig->wrap ? BPF_MAP_TYPE_LRU_PERCPU_HASH : BPF_MAP_TYPE_PERCPU_HASH)
                                    : (ig->wrap ? BPF_MAP_TYPE_LRU_HASH : BPF_MAP_TYPE_HASH);
        int64_t max = ig->maxsize > 0 ? ig->maxsize : rt_limits()->maxmapentries;
        mi = gen_map_add(g, name, type, ml->key_size, ml->val_size, (uint32_t)max, 0);
      }
      if (mi < 0) return -ENOMEM;
      if (o == 0) g->gmap[k] = mi;
      g->maps[mi].loc = ig->loc;
    }
  }
  return 0;
}

static void add_license(Gen *g) {
  LLVMValueRef init = LLVMConstStringInContext(g->ctx, "GPL", 3, false); /* adds the NUL */
  LLVMValueRef v = LLVMAddGlobal(g->mod, LLVMTypeOf(init), "_license");
  LLVMSetInitializer(v, init);
  LLVMSetSection(v, "license");
}

static LLVMTargetMachineRef target_machine(char **err) {
  static bool inited;
  if (!inited) {
    LLVMInitializeBPFTargetInfo();
    LLVMInitializeBPFTarget();
    LLVMInitializeBPFTargetMC();
    LLVMInitializeBPFAsmPrinter();
    inited = true;
  }
  LLVMTargetRef t;
  if (LLVMGetTargetFromTriple("bpfel", &t, err)) return NULL;
  return LLVMCreateTargetMachine(t, "bpfel", "v3", "", LLVMCodeGenLevelDefault, LLVMRelocDefault,
                                 LLVMCodeModelDefault);
}

static void gen_init(Gen *g) {
  g->ctx = LLVMContextCreate();
  g->mod = LLVMModuleCreateWithNameInContext("stapjit", g->ctx);
  g->b = LLVMCreateBuilderInContext(g->ctx);
  g->di = LLVMCreateDIBuilder(g->mod);
  g->i1 = LLVMInt1TypeInContext(g->ctx);
  g->i8 = LLVMInt8TypeInContext(g->ctx);
  g->i32 = LLVMInt32TypeInContext(g->ctx);
  g->i64 = LLVMInt64TypeInContext(g->ctx);
  g->ptr = LLVMPointerTypeInContext(g->ctx, 0);
  g->voidt = LLVMVoidTypeInContext(g->ctx);
  LLVMSetTarget(g->mod, "bpfel");
  /* The compile unit's file is the user's script (tapsets are read first) */
  const SrcFile *f = NULL;
  for (uint32_t k = 1; g->m->src && srcset_get(g->m->src, k); k++)
    if (!srcset_get(g->m->src, k)->is_tapset) {
      f = srcset_get(g->m->src, k);
      g->cu_file = k;
      break;
    }
  const char *path = f ? f->path : "<input>";
  g->di_file = LLVMDIBuilderCreateFile(g->di, path, strlen(path), ".", 1);
  g->di_cu = LLVMDIBuilderCreateCompileUnit(g->di, LLVMDWARFSourceLanguageC, g->di_file, "stapjit", 7, true, "",
                                            0, 0, "", 0, LLVMDWARFEmissionFull, 0, false, false, "", 0, "", 0);
  g->di_int = LLVMDIBuilderCreateBasicType(g->di, "int", 3, 32, 5 /* DW_ATE_signed */, LLVMDIFlagZero);
  LLVMMetadataRef vp = LLVMDIBuilderCreatePointerType(g->di, NULL, 64, 64, 0, NULL, 0);
  LLVMMetadataRef params[2] = {g->di_int, vp};
  g->di_subr = LLVMDIBuilderCreateSubroutineType(g->di, g->di_file, params, 2, LLVMDIFlagZero);
  LLVMAddModuleFlag(g->mod, LLVMModuleFlagBehaviorWarning, "Debug Info Version", 18,
                    LLVMValueAsMetadata(LLVMConstInt(g->i32, 3, false)));
  LLVMAddModuleFlag(g->mod, LLVMModuleFlagBehaviorWarning, "Dwarf Version", 13,
                    LLVMValueAsMetadata(LLVMConstInt(g->i32, 4, false)));
}

static void gen_fini(Gen *g) {
  if (g->di) LLVMDisposeDIBuilder(g->di);
  if (g->b) LLVMDisposeBuilder(g->b);
  if (g->mod) LLVMDisposeModule(g->mod);
  if (g->ctx) LLVMContextDispose(g->ctx);
  free(g->maps);
  free(g->gmap);
  free(g->kfn_slots);
  kbtf_close(g->kbtf);
}

/* --dump-asm: LLVM's assembly of the programs, with the script line each
 * run of instructions came from (its .loc directives) shown as a comment,
 * and without the directives and debug sections only tools read. */
static void print_asm(Gen *g, const char *text, size_t len, FILE *out) {
  const char *files[64] = {0};
  size_t flen[64] = {0};
  bool code = true;
  unsigned last_file = 0, last_line = 0;
  for (const char *p = text, *end = text + len; p < end;) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
    const char *next = nl ? nl + 1 : end;
    unsigned fno, line;
    if (n > 9 && !strncmp(p, "\t.section", 9)) {
      code = !memmem(p, n, ".debug", 6) && !memmem(p, n, ".BTF", 4) && !memmem(p, n, ".eh_frame", 9) &&
             !memmem(p, n, ".rel", 4);
      if (code) fprintf(out, "%.*s\n", (int)n, p);
    } else if (n > 6 && !strncmp(p, "\t.file\t", 7) && sscanf(p + 7, "%u", &fno) == 1 && fno < 64) {
      const char *q2 = p + n - 1, *q1 = q2 > p ? q2 - 1 : p; /* the last "..." is the path */
      while (q1 > p && *q1 != '"') q1--;
      files[fno] = q1 + 1;
      flen[fno] = (size_t)(q2 - q1 - 1);
    } else if (n > 5 && !strncmp(p, "\t.loc\t", 6) && sscanf(p + 6, "%u %u", &fno, &line) == 2) {
      if (code && line && (fno != last_file || line != last_line) && fno < 64 && files[fno]) {
        size_t sl = 0;
        const char *src = NULL;
        for (uint32_t k = 1; g->m->src && srcset_get(g->m->src, k); k++)
          if (strlen(srcset_get(g->m->src, k)->path) == flen[fno] &&
              !strncmp(srcset_get(g->m->src, k)->path, files[fno], flen[fno]))
            src = srcset_line(g->m->src, k, line, &sl);
        fprintf(out, "; %.*s:%u: %.*s\n", (int)flen[fno], files[fno], line, (int)sl, src ? src : "");
        last_file = fno;
        last_line = line;
      }
    } else if (code && !(n > 5 && !strncmp(p, ".Ltmp", 5)) && !(n > 5 && !strncmp(p, "\t.cfi", 5)) &&
               !(n > 5 && !strncmp(p, ".Lfunc", 6))) {
      fprintf(out, "%.*s\n", (int)n, p);
    }
    p = next;
  }
}

static int emit(Gen *g, LLVMTargetMachineRef tm, BpfObjectImage *img) {
  char *err = NULL;
  LLVMMemoryBufferRef buf;
  if (g->o->dump_asm) {
    if (LLVMTargetMachineEmitToMemoryBuffer(tm, g->mod, LLVMAssemblyFile, &err, &buf)) {
      diag_error(g->diag, (SrcLoc){0}, "LLVM could not emit BPF assembly: %s", err);
      LLVMDisposeMessage(err);
      return -1;
    }
    print_asm(g, LLVMGetBufferStart(buf), LLVMGetBufferSize(buf), g->o->dump_asm);
    LLVMDisposeMemoryBuffer(buf);
  }
  if (LLVMTargetMachineEmitToMemoryBuffer(tm, g->mod, LLVMObjectFile, &err, &buf)) {
    diag_error(g->diag, (SrcLoc){0}, "LLVM could not emit the BPF object: %s", err);
    LLVMDisposeMessage(err);
    return -1;
  }
  img->size = LLVMGetBufferSize(buf);
  img->elf = malloc(img->size);
  if (!img->elf) {
    LLVMDisposeMemoryBuffer(buf);
    return -ENOMEM;
  }
  memcpy(img->elf, LLVMGetBufferStart(buf), img->size);
  LLVMDisposeMemoryBuffer(buf);
  return 0;
}

/* LLVM ends the process on a condition it cannot report otherwise (the
 * one seen: a jump beyond the 32,767 instructions a BPF jump reaches, in
 * a huge probe).  Say what happened in stapjit's words and exit like a
 * failed pass 4, not with LLVM's abort. */
static void on_llvm_fatal(const char *reason) {
  fflush(stdout);
  fprintf(stderr, "error: the BPF code generator (LLVM) cannot compile this script: %s%s\n", reason,
          strstr(reason, "out of insn range")
              ? " (a probe's BPF code is larger than a BPF jump can span, 32,767 instructions: split its body "
                "between several probes)"
              : "");
  fputs("Pass 4: compilation failed.  [man error::pass4]\n", stderr);
  _exit(1);
}

/* A kernel.function probe's programs: its handler, as a kprobe or for
 * fentry/fexit (gen-kfn.c chooses), with the program saving its values at
 * entry when it needs one; under fentry, a pattern is a program per
 * function ("probe_N_fK", K in the function list's order), since a
 * trampoline program attaches to one function. */
static int kfn_probe(Gen *g, const IrProbe *p, const BattachSpec *sp, const BlayGroup *grp) {
  char sec[256];
  if (gen_kfn_method(g, p, sp) < 0) return 0;
  if (!g->kfn_fentry || !kfn_is_pattern(sp)) {
    int rc = gen_kfn_entry(g, p, sp);
    return rc ? rc : gen_handler(g, p, grp, gen_kfn_section(g, sp, false, sec, sizeof sec));
  }
  char **names;
  int n, rc = gen_kfn_fentry_functions(g, p, sp, &names, &n);
  int errors = g->nerrors;
  for (int k = 0; rc == 0 && k < n && g->nerrors == errors; k++) { /* one function's errors are enough */
    BattachSpec one = *sp;
    snprintf(one.kfunc, sizeof one.kfunc, "%s", names[k]);
    snprintf(g->kfn_func, sizeof g->kfn_func, "%s", names[k]);
    snprintf(g->prog_suffix, sizeof g->prog_suffix, "_f%d", k);
    rc = gen_kfn_entry(g, p, &one);
    if (!rc) rc = gen_handler(g, p, grp, gen_kfn_section(g, &one, false, sec, sizeof sec));
  }
  g->kfn_func[0] = g->prog_suffix[0] = '\0';
  kfn_names_free(names, n);
  return rc < 0 && rc != -ENOMEM ? 0 : rc; /* -1: a diagnostic */
}

__attribute__((visibility("default"))) int bpfgen_compile(const IrModule *m, const BpfLayout *l,
                                                          const BpfGenOptions *o, BpfObjectImage *img,
                                                          DiagList *diag) {
  Gen g = {.m = m, .l = l, .o = o, .diag = diag};
  memset(img, 0, sizeof *img);
  if (o->limits) rt_limits_set(o->limits);
  LLVMInstallFatalErrorHandler(on_llvm_fatal);
  char *err = NULL;
  LLVMTargetMachineRef tm = target_machine(&err);
  if (!tm) {
    diag_error(diag, (SrcLoc){0}, "LLVM has no BPF target: %s", err ? err : "?");
    LLVMDisposeMessage(err);
    return -1;
  }
  gen_init(&g);
  LLVMTargetDataRef td = LLVMCreateTargetDataLayout(tm);
  LLVMSetModuleDataLayout(g.mod, td);
  LLVMDisposeTargetData(td);
  int rc = make_maps(&g);
  add_license(&g);
  for (int k = 0; k < m->nprobes && !rc; k++) {
    const IrProbe *p = m->probes[k];
    if (p->site != IR_SITE_KERNEL) continue;
    BattachSpec spec;
    if (battach_parse(p->pp, &spec) != 0 || spec.kind == BATT_NONE) {
      gen_error(&g, p->handler->loc, "%s", spec.kind == BATT_NONE ? spec.why : "cannot parse the probe point");
      continue;
    }
    if (spec.kind == BATT_KPROBE && gen_kfn_check(&g, p, &spec)) continue;
    int member = 0;
    const BlayGroup *grp = blay_group_of(g.l, k, &member);
    if (member > 0) continue; /* its group's program runs for it */
    char sec[256];
    if (spec.kind == BATT_KPROBE)
      rc = kfn_probe(&g, p, &spec, grp);
    else
      rc = gen_handler(&g, p, grp, battach_section(&spec, sec, sizeof sec));
  }
  if (!rc && !g.nerrors) {
    /* The scratch map's value is the largest handler's need. */
    g.maps[g.scratch].value_size = g.scratch_size ? (g.scratch_size + 7) & ~7u : 8;
    g.maps[g.scratch].max_entries = 1; /* the loader sets the number of CPUs */
    for (int k = 0; k < g.nmaps; k++) map_debug_info(&g, &g.maps[k]);
    LLVMDIBuilderFinalize(g.di);
    char *verr = NULL;
    if (LLVMVerifyModule(g.mod, LLVMReturnStatusAction, &verr)) {
      diag_error(diag, (SrcLoc){0}, "internal error: the generated LLVM module is malformed: %s", verr);
      rc = -1;
    }
    LLVMDisposeMessage(verr);
    if (!rc && o->optimize) {
      LLVMPassBuilderOptionsRef po = LLVMCreatePassBuilderOptions();
      LLVMErrorRef e = LLVMRunPasses(g.mod, "default<O2>", tm, po);
      LLVMDisposePassBuilderOptions(po);
      if (e) {
        char *msg = LLVMGetErrorMessage(e);
        diag_error(diag, (SrcLoc){0}, "LLVM optimisation failed: %s", msg);
        LLVMDisposeErrorMessage(msg);
        rc = -1;
      }
    }
    if (!rc && o->dump_llvm) {
      char *text = LLVMPrintModuleToString(g.mod);
      fputs(text, o->dump_llvm);
      LLVMDisposeMessage(text);
    }
    if (!rc) rc = emit(&g, tm, img);
  }
  if (g.nerrors && !rc) rc = -1;
  gen_fini(&g);
  LLVMDisposeTargetMachine(tm);
  return rc;
}

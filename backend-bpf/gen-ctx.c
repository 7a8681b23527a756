/* gen-ctx.c: target variables of kernel probes, for the code generator.
 *
 * kernel.function probes are gen-kfn.c's.  A tracepoint handler's context is the event's raw record, laid out as
 * tracefs's format file says; `$field` reads the field at its offset with
 * its size and signedness.  A field that is an array (char comm[16]) or a
 * __data_loc/__rel_loc dynamic array is, as in stap, the address of its
 * data: scripts read strings with kernel_string($field).  A probe on
 * several tracepoints (a wildcard) reads a field only if every event has
 * it at the same place.  Probes without a context (timers, perf) have no
 * target variables.  Errors name the variable and the probe point.
 */
#include "builtins.h"
#include "gen-int.h"

#include <errno.h>
#include <linux/bpf.h>

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct CtxEvents {
  TfsEvent **ev;
  int n, cap;
} CtxEvents;

static int collect(void *ctx, const char *system, const char *name) {
  CtxEvents *c = ctx;
  if (c->n == c->cap) {
    int nc = c->cap ? c->cap * 2 : 4;
    TfsEvent **ne = realloc(c->ev, sizeof *ne * (size_t)nc);
    if (!ne) return -1;
    c->ev = ne;
    c->cap = nc;
  }
  char err[256];
  if (tfs_event_load(system, name, &c->ev[c->n], err, sizeof err) != 0) return -1;
  c->n++;
  return 0;
}

static void free_events(CtxEvents *c) {
  for (int k = 0; k < c->n; k++) tfs_event_free(c->ev[k]);
  free(c->ev);
}

/* A load of size bytes at ctx+off, widened to i64. */
static LLVMValueRef load_field(Gen *g, LLVMValueRef ctxp, int off, int size, bool is_signed) {
  LLVMTypeRef t = size == 1 ? g->i8 : size == 2 ? LLVMInt16TypeInContext(g->ctx) : size == 4 ? g->i32 : g->i64;
  LLVMValueRef v = LLVMBuildLoad2(g->b, t, bb_gep(g, ctxp, (uint64_t)off), "");
  LLVMSetAlignment(v, (unsigned)size);
  if (size == 8) return v;
  return is_signed ? LLVMBuildSExt(g->b, v, g->i64, "") : LLVMBuildZExt(g->b, v, g->i64, "");
}

/* The size of a C integer type as the format file spells it ("int",
 * "unsigned short", "u32", "pid_t", ...), or 0 when it does not say: a
 * syscall tracepoint stores every argument in 8 bytes, but "int dfd" is
 * still an int (-100 must read as -100). */
static int type_size(const char *t, bool *is_signed) {
  static const struct {
    const char *word;
    int size;
  } names[] = {{"u8", 1},    {"s8", 1},    {"u16", 2},   {"s16", 2},   {"u32", 4},    {"s32", 4},
               {"u64", 8},   {"s64", 8},   {"__u8", 1},  {"__s8", 1},  {"__u16", 2},  {"__s16", 2},
               {"__u32", 4}, {"__s32", 4}, {"__u64", 8}, {"__s64", 8}, {"pid_t", 4},  {"uid_t", 4},
               {"gid_t", 4}, {"size_t", 8}, {"umode_t", 2}, {"bool", 1}, {"_Bool", 1}, {"qid_t", 4}};
  if (strchr(t, '*') || strchr(t, '[')) return 0;
  bool is_long = false, is_short = false, is_char = false, is_int = false, is_unsigned = false;
  int named = 0;
  for (const char *p = t; *p;) {
    while (*p == ' ') p++;
    size_t n = strcspn(p, " ");
    if (n == 4 && !strncmp(p, "long", 4)) is_long = true;
    else if (n == 5 && !strncmp(p, "short", 5)) is_short = true;
    else if (n == 4 && !strncmp(p, "char", 4)) is_char = true;
    else if (n == 3 && !strncmp(p, "int", 3)) is_int = true;
    else if (n == 8 && !strncmp(p, "unsigned", 8)) is_int = is_unsigned = true; /* "unsigned" alone is an int */
    else if (n == 6 && !strncmp(p, "signed", 6)) is_int = true;
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
      if (strlen(names[k].word) == n && !strncmp(names[k].word, p, n)) {
        named = names[k].size;
        is_unsigned = p[0] == 'u' || !strncmp(p, "__u", 3) || !strncmp(p, "size_t", 6) || p[0] == 'b' ||
                      p[0] == '_';
        if (!strncmp(p, "__s", 3) || p[0] == 's' || !strncmp(p, "pid_t", 5)) is_unsigned = false;
      }
    p += n;
  }
  *is_signed = !is_unsigned;
  return is_long ? 8 : is_short ? 2 : is_char ? 1 : named ? named : is_int ? 4 : 0;
}

/* Entry k of a loader-filled read-only table of n int64s (a global named
 * sym in its own section): a volatile load, so that nothing folds the zero
 * the object carries; the verifier sees the loaded value as a constant. */
static LLVMValueRef load_table(Gen *g, const char *sym, const char *section, unsigned n, int k) {
  LLVMValueRef tab = LLVMGetNamedGlobal(g->mod, sym);
  LLVMTypeRef at = LLVMArrayType(g->i64, n);
  if (!tab) {
    tab = LLVMAddGlobal(g->mod, at, sym);
    LLVMSetInitializer(tab, LLVMConstNull(at));
    LLVMSetSection(tab, section);
    LLVMSetAlignment(tab, 8);
  }
  LLVMValueRef v = LLVMBuildLoad2(g->b, g->i64, bb_gep(g, tab, 8 * (uint64_t)k), "");
  LLVMSetVolatile(v, true);
  LLVMSetAlignment(v, 8);
  return v;
}

/* The tracepoint field table entry k (TPOFF_SECTION). */
static LLVMValueRef tp_table(Gen *g, int k) {
  return load_table(g, TPOFF_SYMBOL, TPOFF_SECTION, (unsigned)(2 * g->l->ntprefs), k);
}

LLVMValueRef gen_ctx_read(Gen *g, const IrProbe *p, LLVMValueRef ctxp, const IrInst *i, LLVMValueRef *fault,
                          uint32_t *code) {
  const IrCtx *c = i->aux;
  const AstExpr *e = c ? c->expr : NULL;
  const char *text = c && c->text ? c->text : "target variable";
  BattachSpec spec;
  *code = 0;
  if (battach_parse(p->pp, &spec) == 0 && spec.kind == BATT_KPROBE) {
    *code = 1; /* a kernel read fault (layout.c's message) */
    return gen_kfn_read(g, p, &spec, ctxp, i, fault);
  }
  if (battach_parse(p->pp, &spec) != 0 || spec.kind != BATT_TRACEPOINT) {
    gen_error(g, i->loc, "probe point %s has no target variables ('%s')", p->pp, text);
    return NULL;
  }
  if (!e || e->kind != EX_TARGET || e->ncomps || e->suffix != SFX_NONE || e->addr || !e->name) {
    gen_error(g, i->loc, "'%s' cannot run in a kernel probe on the bpf backend yet: tracepoint probes read "
                         "plain '$field' values", text);
    return NULL;
  }
  const char *field = e->name[0] == '$' ? e->name + 1 : e->name;
  CtxEvents evs = {0};
  char pat[200];
  snprintf(pat, sizeof pat, "%s:%s", spec.system, spec.event);
  int rc = tfs_event_glob(pat, collect, &evs);
  if (rc < 0 || evs.n == 0) {
    gen_error(g, i->loc, "no tracepoint matches %s, so '%s' cannot be resolved", pat, text);
    free_events(&evs);
    return NULL;
  }
  const TfsField *f0 = NULL;
  for (int k = 0; k < evs.n; k++) {
    const TfsField *f = tfs_event_field(evs.ev[k], field);
    if (!f && !strcmp(field, "return")) f = tfs_event_field(evs.ev[k], "ret"); /* $return of sys_exit_* */
    if (!f) {
      gen_error(g, i->loc, "tracepoint %s:%s has no field '%s'", evs.ev[k]->system, evs.ev[k]->name, field);
      free_events(&evs);
      return NULL;
    }
    if (f0 && (f->offset != f0->offset || f->size != f0->size || f->data_loc != f0->data_loc)) {
      gen_error(g, i->loc, "field '%s' differs between the tracepoints %s matches", field, pat);
      free_events(&evs);
      return NULL;
    }
    if (!f0) f0 = f;
  }
  /* The loader puts the running kernel's offset and shape in the table: the
   * code reads at the offset it was compiled for, and fails if they differ. */
  *fault = NULL;
  for (int k = 0; k < g->l->ntprefs; k++)
    if (g->l->tprefs[k].inst == i) {
      LLVMValueRef off = tp_table(g, 2 * k), shape = tp_table(g, 2 * k + 1);
      *fault = LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, off, bb_c64(g, f0->offset), ""),
                           LLVMBuildICmp(g->b, LLVMIntNE, shape, bb_c64(g, tpoff_shape(f0)), ""), "");
    }
  LLVMValueRef v;
  if (f0->data_loc) {
    /* u32: offset | length << 16; the offset counts from the record (or, __rel_loc, from after the field) */
    LLVMValueRef loc = load_field(g, ctxp, f0->offset, 4, false);
    LLVMValueRef off = LLVMBuildAnd(g->b, loc, bb_c64(g, 0xffff), "");
    if (f0->rel_loc) off = LLVMBuildAdd(g->b, off, bb_c64(g, f0->offset + 4), "");
    v = LLVMBuildPtrToInt(g->b, bb_gep_var(g, ctxp, off), g->i64, "");
  } else if (f0->array_len > 0 || (f0->is_string && !f0->is_pointer)) {
    v = LLVMBuildPtrToInt(g->b, bb_gep(g, ctxp, (uint64_t)f0->offset), g->i64, "");
  } else if (f0->size == 1 || f0->size == 2 || f0->size == 4 || f0->size == 8) {
    bool sgn = f0->is_signed;
    int ts = type_size(f0->type, &sgn);
    if (ts && ts < f0->size)
      v = load_field(g, ctxp, f0->offset, ts, sgn); /* little-endian: the low bytes come first */
    else
      v = load_field(g, ctxp, f0->offset, f0->size, f0->is_signed);
  } else {
    gen_error(g, i->loc, "field '%s' of %s has a size (%d) stapjit cannot read", field, pat, f0->size);
    v = NULL;
  }
  free_events(&evs);
  return v;
}

/* ---- memory reads ----------------------------------------------------------------------- */

/* A stack buffer of n bytes in the function's entry block (allocas
 * elsewhere would be dynamic stack allocation, which BPF lacks);
 * entry_slot: one of 8 bytes. */
LLVMValueRef gen_ctx_stack(Gen *g, unsigned n) {
  LLVMBasicBlockRef entry = LLVMGetEntryBasicBlock(LLVMGetBasicBlockParent(LLVMGetInsertBlock(g->b)));
  LLVMValueRef first = LLVMGetFirstInstruction(entry);
  LLVMBuilderRef b = LLVMCreateBuilderInContext(g->ctx);
  if (first)
    LLVMPositionBuilderBefore(b, first);
  else
    LLVMPositionBuilderAtEnd(b, entry);
  LLVMValueRef slot = LLVMBuildAlloca(b, LLVMArrayType(g->i64, n / 8), "stack");
  LLVMSetAlignment(slot, 8);
  LLVMDisposeBuilder(b);
  return slot;
}

static LLVMValueRef entry_slot(Gen *g) { return gen_ctx_stack(g, 8); }

/* n + 1 clamped to [1, max], with branches the verifier follows. */
static LLVMValueRef clamp_size(Gen *g, LLVMValueRef n, uint32_t max) {
  LLVMValueRef want = LLVMBuildAdd(g->b, n, bb_c64(g, 1), "");
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b), low = bb_block(g, "n.low"), high = bb_block(g, "n.high"),
                    done = bb_block(g, "n.ok");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, want, bb_c64(g, 1), ""), low, high);
  LLVMPositionBuilderAtEnd(g->b, low);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, high);
  LLVMBasicBlockRef big = bb_block(g, "n.big"), fits = bb_block(g, "n.fits");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, want, bb_c64(g, max), ""), big, fits);
  LLVMPositionBuilderAtEnd(g->b, big);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, fits);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef phi = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef v[3] = {bb_c64(g, 1), bb_c64(g, max), want};
  LLVMBasicBlockRef b[3] = {low, big, fits};
  LLVMAddIncoming(phi, v, b, 3);
  (void)here;
  return LLVMBuildTrunc(g->b, phi, g->i32, "");
}

/* Offset k of the kernel struct table (btfoff.c), which the loader fills
 * for the running kernel. */
static LLVMValueRef btf_offset(Gen *g, BtfOff k) {
  return load_table(g, BTFOFF_SYMBOL, BTFOFF_SECTION, BTFOFF__COUNT, (int)k);
}

/* *(size bytes *)(base + off), zero-extended; *bad |= the read failed. */
static LLVMValueRef read_at(Gen *g, LLVMValueRef base, LLVMValueRef off, int size, LLVMValueRef *bad) {
  LLVMValueRef slot = entry_slot(g);
  LLVMBuildStore(g->b, bb_c64(g, 0), slot);
  LLVMValueRef addr = LLVMBuildIntToPtr(g->b, LLVMBuildAdd(g->b, base, off, ""), g->ptr, "");
  LLVMValueRef a[3] = {slot, LLVMConstInt(g->i32, (unsigned)size, false), addr};
  LLVMValueRef r = bb_helper(g, BPF_FUNC_probe_read_kernel, g->i64, a, 3);
  LLVMValueRef failed = LLVMBuildICmp(g->b, LLVMIntSLT, r, bb_c64(g, 0), "");
  *bad = *bad ? LLVMBuildOr(g->b, *bad, failed, "") : failed;
  LLVMValueRef v = LLVMBuildLoad2(g->b, size == 4 ? g->i32 : g->i64, slot, "");
  return size == 4 ? LLVMBuildZExt(g->b, v, g->i64, "") : v;
}

/* ppid(), euid(), egid(): fields of the current task through the kernel's
 * struct offsets; false if name is none of them. */
static bool task_builtin(Gen *g, const char *name, LLVMValueRef *out, LLVMValueRef *fault) {
  BtfOff ptr_field, val_field;
  if (!strcmp(name, "ppid"))
    ptr_field = BTFOFF_TASK_REAL_PARENT, val_field = BTFOFF_TASK_TGID;
  else if (!strcmp(name, "euid"))
    ptr_field = BTFOFF_TASK_CRED, val_field = BTFOFF_CRED_EUID;
  else if (!strcmp(name, "egid"))
    ptr_field = BTFOFF_TASK_CRED, val_field = BTFOFF_CRED_EGID;
  else
    return false;
  LLVMValueRef task = bb_helper(g, BPF_FUNC_get_current_task, g->i64, NULL, 0);
  LLVMValueRef o1 = btf_offset(g, ptr_field), o2 = btf_offset(g, val_field);
  LLVMValueRef bad = LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, o1, bb_c64(g, 0), ""),
                                 LLVMBuildICmp(g->b, LLVMIntSLT, o2, bb_c64(g, 0), ""), "");
  LLVMValueRef p = read_at(g, task, o1, 8, &bad);
  *out = read_at(g, p, o2, 4, &bad);
  *fault = bad;
  return true;
}

bool gen_mem_builtin(Gen *g, const char *name, LLVMValueRef *args, int nargs, LLVMValueRef dst, uint32_t dst_size,
                     LLVMValueRef *out, LLVMValueRef *fault, LLVMValueRef *code) {
  *fault = *code = NULL;
  if (task_builtin(g, name, out, fault)) return true;
  static const struct {
    const char *name;
    int size; /* 0: a string */
    bool user, fails, sized;
  } fns[] = {
      {"kernel_string", 0, false, true, false}, {"kernel_string_n", 0, false, true, true},
      {"user_string_n", 0, true, true, true},   {"kernel_long", 8, false, true, false},
      {"kernel_int", 4, false, true, false},     {"kernel_short", 2, false, true, false},
      {"kernel_char", 1, false, true, false},    {"user_long", 8, true, false, false},
      {"user_int", 4, true, false, false},       {"user_short", 2, true, false, false},
      {"user_char", 1, true, false, false},
  };
  size_t k = 0;
  while (k < sizeof fns / sizeof *fns && strcmp(fns[k].name, name)) k++;
  if (k == sizeof fns / sizeof *fns || nargs < 1) return false;
  *fault = *code = NULL;
  LLVMValueRef addr = LLVMBuildIntToPtr(g->b, args[0], g->ptr, "");
  if (fns[k].size == 0) {
    if (!dst) return false;
    LLVMValueRef size = fns[k].sized && nargs > 1 ? clamp_size(g, args[1], dst_size)
                                                  : LLVMConstInt(g->i32, dst_size, false);
    LLVMValueRef a[3] = {dst, size, addr};
    LLVMValueRef r = bb_helper(g, fns[k].user ? BPF_FUNC_probe_read_user_str : BPF_FUNC_probe_read_kernel_str,
                               g->i64, a, 3);
    *fault = LLVMBuildICmp(g->b, LLVMIntSLT, r, bb_c64(g, 0), "");
    *code = r;
    *out = dst;
    return true;
  }
  LLVMValueRef slot = entry_slot(g);
  LLVMBuildStore(g->b, bb_c64(g, 0), slot);
  LLVMValueRef a[3] = {slot, LLVMConstInt(g->i32, (unsigned)fns[k].size, false), addr};
  LLVMValueRef r = bb_helper(g, fns[k].user ? BPF_FUNC_probe_read_user : BPF_FUNC_probe_read_kernel, g->i64, a, 3);
  LLVMTypeRef t = fns[k].size == 1 ? g->i8 : fns[k].size == 2 ? LLVMInt16TypeInContext(g->ctx)
                  : fns[k].size == 4 ? g->i32 : g->i64;
  LLVMValueRef v = LLVMBuildLoad2(g->b, t, slot, "");
  if (fns[k].size < 8) v = LLVMBuildSExt(g->b, v, g->i64, "");
  if (fns[k].fails) {
    *fault = LLVMBuildICmp(g->b, LLVMIntSLT, r, bb_c64(g, 0), "");
    *code = r;
  } else {
    /* the user_* readers give 0 on a fault (the failed read leaves the slot 0) */
  }
  *out = v;
  return true;
}

/* ---- the probe point and the kernel stack ------------------------------------------------ */

/* "0x" and 16 hex digits of v at p (18 bytes). */
static void put_hex(Gen *g, LLVMValueRef p, LLVMValueRef v) {
  LLVMBuildStore(g->b, LLVMConstInt(g->i8, '0', false), p);
  LLVMBuildStore(g->b, LLVMConstInt(g->i8, 'x', false), bb_gep(g, p, 1));
  for (int k = 0; k < 16; k++) {
    LLVMValueRef nib = LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, v, bb_c64(g, 60 - 4 * k), ""), bb_c64(g, 15), "");
    LLVMValueRef digit = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntULT, nib, bb_c64(g, 10), ""),
                                         LLVMBuildAdd(g->b, nib, bb_c64(g, '0'), ""),
                                         LLVMBuildAdd(g->b, nib, bb_c64(g, 'a' - 10), ""), "");
    LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, digit, g->i8, ""), bb_gep(g, p, 2 + (uint64_t)k));
  }
}


typedef struct TpNames {
  char (*v)[200];
  size_t n, cap;
} TpNames;

static int tp_name(void *ctx, const char *system, const char *name) {
  TpNames *t = ctx;
  if (t->n == t->cap) {
    size_t nc = t->cap ? t->cap * 2 : 16;
    char(*nv)[200] = realloc(t->v, sizeof *nv * nc);
    if (!nv) return -ENOMEM;
    t->v = nv;
    t->cap = nc;
  }
  snprintf(t->v[t->n++], sizeof *t->v, "%s:%s", system, name);
  return 0;
}

/* pp() and ppfunc() of a kernel.trace probe with a wildcard: the event
 * that fired.  The program is attached once per event, in tfs_event_glob's
 * order, with the event's index as the cookie (session.c), so a table of
 * the events' names in that order answers; a saved object assumes the
 * same events where it runs. */
static bool tp_pp(Gen *g, const IrProbe *p, LLVMValueRef ctxp, bool func_only, LLVMValueRef dst, uint32_t dst_size) {
  BattachSpec sp;
  if (battach_parse(p->pp, &sp) != 0 || sp.kind != BATT_TRACEPOINT) return false;
  char pat[200], quoted[204];
  snprintf(pat, sizeof pat, "%s:%s", sp.system, sp.event);
  if (!strpbrk(pat, "*?[")) return false;
  snprintf(quoted, sizeof quoted, "\"%s\"", pat);
  const char *at = strstr(p->pp, quoted);
  TpNames t = {0};
  if (!at || tfs_event_glob(pat, tp_name, &t) <= 0) {
    free(t.v);
    return false; /* the pattern, as written */
  }
  size_t stride = 8;
  char *text = malloc(strlen(p->pp) + 256);
  for (size_t k = 0; text && k < t.n; k++) {
    size_t len = strlen(p->pp) - strlen(pat) + strlen(t.v[k]) + 1;
    if (len > stride) stride = len;
  }
  stride = (stride + 7) & ~(size_t)7;
  char *bytes = text ? calloc(t.n, stride) : NULL;
  for (size_t k = 0; bytes && k < t.n; k++) {
    snprintf(text, strlen(p->pp) + 256, "%.*s\"%s\"%s", (int)(at - p->pp), p->pp, t.v[k], at + strlen(quoted));
    if (func_only)
      rt_ppfunc(text, bytes + k * stride, stride);
    else
      snprintf(bytes + k * stride, stride, "%s", text);
  }
  if (bytes) gen_str_by_cookie(g, ctxp, bytes, t.n, stride, dst, dst_size);
  bool ok = bytes != NULL;
  free(bytes);
  free(text);
  free(t.v);
  return ok;
}

bool gen_ctx_builtin(Gen *g, const IrProbe *p, LLVMValueRef ctxp, LLVMValueRef ctl, const IrInst *i, LLVMValueRef dst,
                     uint32_t dst_size, LLVMValueRef *out) {
  const char *name = ((const IrBuiltin *)i->aux)->name;
  *out = NULL;
  if (!strcmp(name, "pp") || !strcmp(name, "ppfunc")) {
    if (!dst) return false;
    if (gen_kfn_pp(g, p, ctxp, name[2] != '\0', dst, dst_size) || tp_pp(g, p, ctxp, name[2] != '\0', dst, dst_size)) {
      *out = dst;
      return true;
    }
    char fn[256];
    const char *text = p->pp;
    if (name[2]) { /* ppfunc: known now */
      rt_ppfunc(p->pp, fn, sizeof fn);
      text = fn;
    }
    LLVMValueRef s = gen_rodata_str(g, text, strlen(text) + 1);
    bb_read_str(g, dst, dst_size, s);
    *out = dst;
    return true;
  }
  if (!strcmp(name, "backtrace")) {
    /* frames that fit the string: "0x" + 16 digits + a space each */
    unsigned max = dst_size / 19 < BLAY_MAX_FRAMES ? dst_size / 19 : BLAY_MAX_FRAMES;
    if (!dst || max == 0) return false;
    LLVMValueRef buf = gen_ctx_stack(g, 8 * max);
    LLVMValueRef a[4] = {ctxp, buf, LLVMConstInt(g->i32, 8 * max, false), bb_c64(g, 0)};
    LLVMValueRef n = bb_helper(g, BPF_FUNC_get_stack, g->i64, a, 4);
    LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), dst);
    LLVMValueRef frames = LLVMBuildAShr(g->b, n, bb_c64(g, 3), "");
    for (unsigned k = 0; k < max; k++) { /* unrolled: max is small and the verifier sees constants */
      LLVMBasicBlockRef put = bb_block(g, "bt.put"), next = bb_block(g, "bt.next");
      LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, frames, bb_c64(g, k), ""), put, next);
      LLVMPositionBuilderAtEnd(g->b, put);
      LLVMValueRef addr = bb_load64(g, buf, 8 * k);
      LLVMValueRef at = bb_gep(g, dst, 19 * k);
      put_hex(g, at, addr);
      /* a space before the next frame, or the end */
      LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), bb_gep(g, at, 18));
      if (k > 0) LLVMBuildStore(g->b, LLVMConstInt(g->i8, ' ', false), bb_gep(g, dst, 19 * k - 1));
      LLVMBuildBr(g->b, next);
      LLVMPositionBuilderAtEnd(g->b, next);
    }
    *out = dst;
    return true;
  }
  if (!strcmp(name, "print_backtrace")) {
    int site = blay_site_of(g->l, i);
    if (site < 0) return false;
    const BlaySite *s = &g->l->sites[site];
    LLVMValueRef rec = bb_ringbuf_reserve(g, s->size);
    LLVMBasicBlockRef ok = bb_block(g, "bt.rec"), lost = bb_block(g, "bt.lost"), done = bb_block(g, "bt.sent");
    LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, rec, ""), lost, ok);
    LLVMPositionBuilderAtEnd(g->b, lost);
    bb_atomic_add(g, bb_gep(g, ctl, offsetof(BpfCtl, lost)), bb_c64(g, 1));
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, ok);
    bb_store32(g, rec, offsetof(BlayHeader, site), LLVMConstInt(g->i32, (uint64_t)site, false));
    bb_store32(g, rec, offsetof(BlayHeader, code), LLVMConstInt(g->i32, 0, false));
    LLVMValueRef a[4] = {ctxp, bb_gep(g, rec, sizeof(BlayHeader)), LLVMConstInt(g->i32, 8 * BLAY_MAX_FRAMES, false),
                         bb_c64(g, 0)};
    LLVMValueRef n = bb_helper(g, BPF_FUNC_get_stack, g->i64, a, 4);
    LLVMValueRef frames = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, n, bb_c64(g, 0), ""), bb_c64(g, 0),
                                          LLVMBuildAShr(g->b, n, bb_c64(g, 3), ""), "");
    bb_store64(g, rec, offsetof(BlayHeader, aux), frames);
    bb_ringbuf_submit(g, rec, ctl);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return true;
  }
  return false;
}

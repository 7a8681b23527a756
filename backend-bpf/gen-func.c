/* gen-func.c: one kernel probe handler: IR -> LLVM IR.
 *
 * The program's prologue looks up the session control block (the handler
 * does nothing unless the session is RUNNING), this CPU's scratch space and
 * the scalar globals.  Values: i64 and bool are LLVM values; a string is a
 * pointer to a NUL-terminated buffer: a .rodata constant, or the region of
 * the scratch space that belongs to the instruction that made it (each
 * instruction its own region, so a value is never overwritten while live;
 * a string phi has its own region too, filled on each incoming edge).
 * Strings move with probe_read_kernel_str, which stops at the NUL and
 * always terminates.  Loops become callbacks (gen-loop.c; gen-fn.h tells
 * how values cross into them); everything here works in whichever function
 * F->sub names.  Blocks are emitted in reverse postorder, so a value is
 * emitted before any block it dominates; edges and phis are gen-edge.c's.
 *
 * A runtime error either branches to the innermost try handler (the try
 * stack of every block is computed first) with the message copied to a
 * scratch buffer, or sends an error record and leaves the handler, as stap
 * abandons a probe hit after an error.  The constructs have files of their
 * own: arrays (gen-map.c), statistics (gen-stat.c), strings (gen-str.c),
 * sprintf (gen-fmt.c), regular expressions (gen-re.c), target variables
 * (gen-ctx.c).
 */
#include "gen-fn.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

static uint32_t round8(uint64_t n) { return (uint32_t)((n + 7) & ~(uint64_t)7); }

/* ---- scratch space ------------------------------------------------------------------ */

uint32_t fn_scratch_alloc(Fn *F, uint32_t size) {
  uint32_t off = F->top;
  F->top += round8(size);
  return off;
}

LLVMValueRef fn_scratch_at(Fn *F, uint32_t off) { return bb_gep(F->g, F->scratch, off); }

uint32_t fn_str_bound(Fn *F, const IrInst *v) {
  int64_t max = F->g->l->maxstringlen;
  int64_t b = v && v->str_bound > 0 && v->str_bound < max ? v->str_bound : max;
  return (uint32_t)b;
}

LLVMValueRef fn_str_region(Fn *F, const IrInst *i) {
  if (F->soff[i->id] == FN_NONE) {
    F->soff[i->id] = fn_scratch_alloc(F, fn_str_bound(F, i));
    F->obj[i->id] = fn_str_bound(F, i);
  }
  return fn_scratch_at(F, F->soff[i->id]);
}

void fn_str_copy(Fn *F, LLVMValueRef dst, uint32_t size, LLVMValueRef src) { bb_read_str(F->g, dst, size, src); }

/* Keys must be zero-padded: the hash compares bytes.  LLVM's BPF target
 * expands a memset into stores only up to a size, and has no memset to
 * call beyond it: a big one copies zeros from .rodata instead. */
void fn_zero_fill(Fn *F, LLVMValueRef p, uint32_t size) {
  Gen *g = F->g;
  if (size <= 256) {
    LLVMBuildMemSet(g->b, p, LLVMConstInt(g->i8, 0, false), LLVMConstInt(g->i64, size, false), 8);
    return;
  }
  LLVMTypeRef t = LLVMArrayType(g->i8, size);
  LLVMValueRef z = LLVMAddGlobal(g->mod, t, "");
  LLVMSetInitializer(z, LLVMConstNull(t));
  LLVMSetGlobalConstant(z, true);
  LLVMSetLinkage(z, LLVMPrivateLinkage);
  LLVMSetSection(z, ".rodata");
  LLVMSetAlignment(z, 8);
  bb_read_kernel(g, p, size, z);
}

/* ---- values ---------------------------------------------------------------------------- */

LLVMValueRef fn_val(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  if (i->type == IR_STR) {
    if (F->soff[i->id] != FN_NONE) return fn_scratch_at(F, F->soff[i->id]);
    return F->vals[i->id]; /* a .rodata constant, good in every function */
  }
  if (F->vslot[i->id] != FN_NONE && (F->bloop[i->block->index] != F->cur_loop || !F->vals[i->id])) {
    LLVMValueRef v = bb_load64(g, F->scratch, F->vslot[i->id]);
    return i->type == IR_BOOL ? LLVMBuildTrunc(g->b, v, g->i1, "") : v;
  }
  SUP_ASSERT(F->vals[i->id] || F->failed);
  return F->vals[i->id];
}

void fn_slot_store(Fn *F, uint32_t off, LLVMValueRef v) {
  Gen *g = F->g;
  if (LLVMTypeOf(v) == g->i1) v = LLVMBuildZExt(g->b, v, g->i64, "");
  bb_store64(g, F->scratch, off, v);
}

LLVMTypeRef fn_llvm_type(Fn *F, IrType t) {
  Gen *g = F->g;
  return t == IR_BOOL ? g->i1 : t == IR_STR ? g->ptr : g->i64;
}

/* ---- functions ------------------------------------------------------------------------- */

void fn_enter(Fn *F, int l) {
  FnSub *s = l < 0 ? &F->main : &F->loops[l].sub;
  F->sub = s;
  F->cur_loop = l;
  F->fn = s->fn;
  F->scratch = s->scratch;
  F->glob = s->glob;
  F->ctl = s->ctl;
  F->ctxp = s->ctxp;
  F->zero = s->zero;
}

void fn_leave(Fn *F) {
  Gen *g = F->g;
  if (F->cur_loop < 0) {
    LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, false));
    return;
  }
  bb_store64(g, F->scratch, F->exit_off, bb_c64(g, FN_EXIT_LEAVE));
  LLVMBuildRet(g->b, bb_c64(g, 1));
}

LLVMMetadataRef fn_new_subprogram(Fn *F, const char *name, LLVMValueRef fn) {
  Gen *g = F->g;
  unsigned line = F->f->loc.line;
  /* BTF needs every parameter named (the kernel refuses a FUNC with an
   * anonymous argument, and with no BTF it refuses callbacks): the
   * subroutine type follows the LLVM function's, and each parameter gets a
   * variable the optimiser must keep. */
  LLVMTypeRef fty = LLVMGlobalGetValueType(fn);
  unsigned np = LLVMCountParamTypes(fty);
  LLVMTypeRef pt[4];
  LLVMGetParamTypes(fty, pt);
  LLVMMetadataRef di_long = LLVMDIBuilderCreateBasicType(g->di, "long", 4, 64, 5 /* DW_ATE_signed */, LLVMDIFlagZero);
  LLVMMetadataRef di_ptr = LLVMDIBuilderCreatePointerType(g->di, NULL, 64, 64, 0, NULL, 0);
  LLVMMetadataRef types[5];
  types[0] = LLVMGetReturnType(fty) == g->i32 ? g->di_int : di_long;
  for (unsigned k = 0; k < np && k < 4; k++) types[k + 1] = pt[k] == g->ptr ? di_ptr : di_long;
  LLVMMetadataRef st = LLVMDIBuilderCreateSubroutineType(g->di, g->di_file, types, np + 1, LLVMDIFlagZero);
  bool local = LLVMGetLinkage(fn) == LLVMInternalLinkage;
  LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(g->di, g->di_file, name, strlen(name), name, strlen(name),
                                                   g->di_file, line, st, local, true, line, LLVMDIFlagPrototyped,
                                                   true);
  static const char *const names[4] = {"a", "b", "c", "d"};
  for (unsigned k = 0; k < np && k < 4; k++)
    LLVMDIBuilderCreateParameterVariable(g->di, sp, names[k], 1, k + 1, g->di_file, line, types[k + 1], true,
                                         LLVMDIFlagZero);
  LLVMSetSubprogram(fn, sp);
  return sp;
}

/* ---- debug locations ------------------------------------------------------------------ */

static LLVMMetadataRef scope_for(Fn *F, uint32_t file) {
  Gen *g = F->g;
  FnSub *s = F->sub;
  if (!file || file == g->cu_file || !g->m->src) return s->sp;
  if (file >= s->nscopes) {
    uint32_t n = file + 8;
    LLVMMetadataRef *ns = realloc(s->scopes, sizeof *ns * n);
    if (!ns) return s->sp;
    memset(ns + s->nscopes, 0, sizeof *ns * (n - s->nscopes));
    s->scopes = ns;
    s->nscopes = n;
  }
  if (!s->scopes[file]) {
    const SrcFile *sf = srcset_get(g->m->src, file);
    const char *path = sf ? sf->path : "?";
    LLVMMetadataRef df = LLVMDIBuilderCreateFile(g->di, path, strlen(path), ".", 1);
    s->scopes[file] = LLVMDIBuilderCreateLexicalBlockFile(g->di, s->sp, df, 0);
  }
  return s->scopes[file];
}

void fn_set_loc(Fn *F, SrcLoc loc) {
  if (!loc.line) loc = F->f->loc;
  F->loc = loc;
  LLVMSetCurrentDebugLocation2(F->g->b, gen_di_loc(F->g, scope_for(F, loc.file), loc));
}

/* ---- runtime errors and records --------------------------------------------------------- */

const BlaySite *fn_site_of(Fn *F, const IrInst *i) {
  int s = blay_site_of(F->g->l, i);
  return s >= 0 ? &F->g->l->sites[s] : NULL;
}

/* The site number a record of s carries: a merged program's member adds
 * its shift (merge.c). */
static LLVMValueRef site_value(Fn *F, const BlaySite *s) {
  Gen *g = F->g;
  LLVMValueRef site = LLVMConstInt(g->i32, (uint64_t)(s - g->l->sites), false);
  if (!F->grp) return site;
  LLVMValueRef shift = bb_load64(g, F->scratch, F->param_off + 8 * (uint32_t)F->grp->nparams);
  return LLVMBuildAdd(g->b, LLVMBuildTrunc(g->b, shift, g->i32, ""), site, "");
}

/* Sends a record of s's shape: header (site, code: i32 values; aux: i64),
 * then the values of args (NULL: none).  A full ring buffer counts a lost
 * record. */
static void send_header(Fn *F, const BlaySite *s, LLVMValueRef site, LLVMValueRef code, LLVMValueRef aux,
                        LLVMValueRef *args, const IrInst *const *iargs) {
  Gen *g = F->g;
  LLVMValueRef rec = bb_ringbuf_reserve(g, s->size);
  LLVMBasicBlockRef ok = bb_block(g, "rec"), lost = bb_block(g, "lost"), done = bb_block(g, "sent");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, rec, ""), lost, ok);
  LLVMPositionBuilderAtEnd(g->b, lost);
  bb_atomic_add(g, bb_gep(g, F->ctl, offsetof(BpfCtl, lost)), bb_c64(g, 1));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, ok);
  bb_store32(g, rec, offsetof(BlayHeader, site), site);
  bb_store32(g, rec, offsetof(BlayHeader, code), code);
  bb_store64(g, rec, offsetof(BlayHeader, aux), aux);
  for (int k = 0; k < s->nargs; k++) {
    const BlayArg *a = &s->args[k];
    if (a->kind == RT_ARG_LONG)
      bb_store64(g, rec, a->off, args[k]);
    else
      fn_str_copy(F, bb_gep(g, rec, a->off), iargs ? fn_str_bound(F, iargs[k]) : a->size, args[k]);
  }
  bb_ringbuf_submit(g, rec, F->ctl);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

/* The header values of inst's record: code and aux from the run-time
 * values a fail_if around it set, else code and 0. */
static LLVMValueRef code_value(Fn *F, uint32_t code) {
  Gen *g = F->g;
  return F->fail_code ? LLVMBuildTrunc(g->b, F->fail_code, g->i32, "") : LLVMConstInt(g->i32, code, false);
}

static LLVMValueRef aux_value(Fn *F) { return F->fail_aux ? F->fail_aux : bb_c64(F->g, 0); }

static void send_record(Fn *F, const BlaySite *s, uint32_t code, LLVMValueRef *args, const IrInst *const *iargs) {
  send_header(F, s, site_value(F, s), code_value(F, code), aux_value(F), args, iargs);
}

/* The end of a hit that raised an uncaught error: count it; past
 * MAXERRORS the session ends: stop every handler now, as stap's error
 * state does, and let the host (which counts the records) wind up. */
static void error_exit(Fn *F) {
  Gen *g = F->g;
  LLVMValueRef nerr = LLVMBuildAtomicRMW(g->b, LLVMAtomicRMWBinOpAdd, bb_gep(g, F->ctl, offsetof(BpfCtl, errors)),
                                         bb_c64(g, 1), LLVMAtomicOrderingMonotonic, false);
  LLVMBasicBlockRef stop = bb_block(g, "err.stop"), out = bb_block(g, "err.out");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, nerr, bb_c64(g, g->o->maxerrors), ""), stop, out);
  LLVMPositionBuilderAtEnd(g->b, stop);
  bb_store64(g, F->ctl, offsetof(BpfCtl, state), bb_c64(g, BLAY_STOPPING));
  LLVMBuildBr(g->b, out);
  LLVMPositionBuilderAtEnd(g->b, out);
  fn_leave(F);
}

/* Uncaught errors whose record is the header alone (most: array overflow,
 * division by zero, MAXACTION...) share one block per LLVM function that
 * sends it and ends the hit, the site, code and aux coming in as phis: a
 * probe of many statements that can fail would otherwise repeat ~30
 * instructions per statement, and a BPF function has 32,767 instructions
 * of jump range. */
static void shared_error(Fn *F, const BlaySite *s, uint32_t code) {
  Gen *g = F->g;
  FnSub *sub = F->sub;
  LLVMValueRef site = site_value(F, s), cv = code_value(F, code), aux = aux_value(F);
  LLVMBasicBlockRef from = LLVMGetInsertBlock(g->b);
  if (!sub->fail_bb) {
    sub->fail_bb = bb_block(g, "err.shared");
    LLVMPositionBuilderAtEnd(g->b, sub->fail_bb);
    sub->fail_site = LLVMBuildPhi(g->b, g->i32, "");
    sub->fail_code = LLVMBuildPhi(g->b, g->i32, "");
    sub->fail_aux = LLVMBuildPhi(g->b, g->i64, "");
    sub->fail_shape = s;
    send_header(F, s, sub->fail_site, sub->fail_code, sub->fail_aux, NULL, NULL);
    error_exit(F);
    LLVMPositionBuilderAtEnd(g->b, from);
  }
  LLVMAddIncoming(sub->fail_site, &site, &from, 1);
  LLVMAddIncoming(sub->fail_code, &cv, &from, 1);
  LLVMAddIncoming(sub->fail_aux, &aux, &from, 1);
  LLVMBuildBr(g->b, sub->fail_bb);
}

/* Raises inst's runtime error: to the innermost try handler when catchable,
 * else an error record and the end of this probe hit.  msg: the error()'s
 * string, or NULL for the op's fixed message (code selects it). */
void fn_raise_error(Fn *F, const IrInst *inst, uint32_t code, LLVMValueRef msg, bool catchable) {
  Gen *g = F->g;
  const BlaySite *s = fn_site_of(F, inst);
  if (catchable && F->cur.n > 0 && F->cur.n <= MAX_TRY) {
    LLVMValueRef text = msg;
    if (!text) {
      char buf[200];
      uint64_t aux = F->fail_aux && LLVMIsAConstantInt(F->fail_aux) ? LLVMConstIntGetZExtValue(F->fail_aux) : 0;
      const char *t = blay_fail_message(g->l, (int)(s - g->l->sites), code, aux, buf, sizeof buf);
      text = gen_rodata_str(g, t, strlen(t) + 1);
    }
    fn_str_copy(F, fn_scratch_at(F, F->errmsg_off), (uint32_t)g->l->maxstringlen, text);
    int top = F->cur.n - 1;
    LLVMBuildBr(g->b, fn_edge_to(F, F->cur.from[top], F->cur.h[top]));
    return;
  }
  LLVMValueRef here = LLVMGetBasicBlockParent(LLVMGetInsertBlock(g->b));
  FnSub *sub = F->sub;
  /* (the shared block is made in sub's function, so only a raise there may use it) */
  if (s && !msg && s->nargs == 0 && sub->fn == here && (!sub->fail_bb || sub->fail_shape->size == s->size)) {
    shared_error(F, s, code);
    return;
  }
  if (s) {
    LLVMValueRef args[1] = {msg};
    const IrInst *iargs[1] = {inst->nargs ? inst->args[0] : NULL};
    send_record(F, s, code, msg ? args : NULL, msg ? iargs : NULL);
  }
  error_exit(F);
}

/* if (cond) raise; continues in a new block. */
void fn_fail_if(Fn *F, LLVMValueRef cond, const IrInst *inst, uint32_t code, bool catchable) {
  Gen *g = F->g;
  LLVMBasicBlockRef bad = bb_block(g, "fail"), good = bb_block(g, "ok");
  LLVMBuildCondBr(g->b, cond, bad, good);
  LLVMPositionBuilderAtEnd(g->b, bad);
  fn_raise_error(F, inst, code, NULL, catchable);
  LLVMPositionBuilderAtEnd(g->b, good);
}

void fn_unsupported(Fn *F, const IrInst *i, const char *what) {
  gen_error(F->g, i->loc, "%s cannot run in a kernel probe on the bpf backend yet", what);
  F->failed = true;
}

/* ---- printf and builtins ------------------------------------------------------------------------ */

static void emit_printf(Fn *F, const IrInst *i) {
  const BlaySite *s = fn_site_of(F, i);
  const IrFormat *fmt = i->aux;
  RtFormat *rf = NULL;
  char err[128];
  if (rt_format_parse(fmt->text, fmt->len, &rf, err, sizeof err) != 0) {
    gen_error(F->g, i->loc, "%s", err);
    F->failed = true;
    return;
  }
  for (int k = 0; k < rt_format_nconv(rf); k++) {
    char c = rt_format_conv(rf, k)->conv;
    if (c == 'm' || c == 'M') {
      fn_unsupported(F, i, "printf's %m and %M (memory dumps)");
      rt_format_free(rf);
      return;
    }
  }
  rt_format_free(rf);
  LLVMValueRef args[64];
  if (i->nargs > 64) {
    fn_unsupported(F, i, "a printf of more than 64 values");
    return;
  }
  for (int k = 0; k < i->nargs; k++) args[k] = V(i->args[k]);
  send_record(F, s, 0, args, (const IrInst *const *)i->args);
}

/* A builtin with a BPF implementation: returns its value (NULL for void),
 * or sets *ok false when there is none. */
static LLVMValueRef emit_builtin(Fn *F, const IrInst *i, bool *ok) {
  Gen *g = F->g;
  const char *name = ((const IrBuiltin *)i->aux)->name;
  *ok = true;
  if (!strcmp(name, "exit")) {
    bb_store64(g, F->ctl, offsetof(BpfCtl, state), bb_c64(g, BLAY_STOPPING));
    send_record(F, fn_site_of(F, i), 0, NULL, NULL);
    return NULL;
  }
  if (!strcmp(name, "warn") || !strcmp(name, "log")) {
    LLVMValueRef a[1] = {V(i->args[0])};
    send_record(F, fn_site_of(F, i), 0, a, (const IrInst *const *)i->args);
    return NULL;
  }
  if (!strcmp(name, "error")) {
    fn_raise_error(F, i, 0, V(i->args[0]), true);
    LLVMPositionBuilderAtEnd(g->b, bb_block(g, "after.error")); /* unreachable rest of the block */
    return NULL;
  }
  if (!strcmp(name, "pid") || !strcmp(name, "tid")) {
    LLVMValueRef v = bb_helper(g, BPF_FUNC_get_current_pid_tgid, g->i64, NULL, 0);
    return !strcmp(name, "pid") ? LLVMBuildLShr(g->b, v, bb_c64(g, 32), "")
                                : LLVMBuildAnd(g->b, v, bb_c64(g, 0xffffffff), "");
  }
  if (!strcmp(name, "uid") || !strcmp(name, "gid")) {
    LLVMValueRef v = bb_helper(g, BPF_FUNC_get_current_uid_gid, g->i64, NULL, 0);
    return !strcmp(name, "gid") ? LLVMBuildLShr(g->b, v, bb_c64(g, 32), "")
                                : LLVMBuildAnd(g->b, v, bb_c64(g, 0xffffffff), "");
  }
  if (!strcmp(name, "cpu")) {
    LLVMValueRef v = bb_helper(g, BPF_FUNC_get_smp_processor_id, g->i32, NULL, 0);
    return LLVMBuildZExt(g->b, v, g->i64, "");
  }
  if (!strcmp(name, "execname")) {
    LLVMValueRef dst = fn_str_region(F, i);
    uint32_t n = fn_str_bound(F, i) < 16 ? fn_str_bound(F, i) : 16;
    LLVMValueRef a[2] = {dst, LLVMConstInt(g->i32, n, false)};
    bb_helper(g, BPF_FUNC_get_current_comm, g->i64, a, 2);
    return dst;
  }
  if (!strcmp(name, "ktime_get_ns") || !strcmp(name, "local_clock_ns") || !strcmp(name, "cpu_clock_ns"))
    return bb_helper(g, BPF_FUNC_ktime_get_ns, g->i64, NULL, 0);
  if (!strcmp(name, "gettimeofday_ns")) {
    LLVMValueRef mono = bb_helper(g, BPF_FUNC_ktime_get_boot_ns, g->i64, NULL, 0);
    return LLVMBuildAdd(g->b, mono, bb_load64(g, F->ctl, offsetof(BpfCtl, wall_offset)), "");
  }
  if (!strcmp(name, "jiffies")) return bb_helper(g, BPF_FUNC_jiffies64, g->i64, NULL, 0);
  if (!strcmp(name, "target")) return bb_load64(g, F->ctl, offsetof(BpfCtl, target)); /* written before RUNNING */
  if (!strcmp(name, "randint")) {
    LLVMValueRef r = LLVMBuildZExt(g->b, bb_helper(g, BPF_FUNC_get_prandom_u32, g->i32, NULL, 0), g->i64, "");
    LLVMValueRef n = V(i->args[0]);
    fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntSLE, n, bb_c64(g, 0), ""), i, 0, true);
    return LLVMBuildURem(g->b, r, n, "");
  }
  /* pp(), backtrace(), print_backtrace() (gen-ctx.c) */
  {
    LLVMValueRef out = NULL, d = i->type == IR_STR ? fn_str_region(F, i) : NULL;
    if (gen_ctx_builtin(g, F->p, F->ctxp, F->ctl, i, d, d ? fn_str_bound(F, i) : 0, &out)) return out;
  }
  /* kernel_string(), user_long() ...: reads of memory (gen-ctx.c) */
  LLVMValueRef margs[2] = {i->nargs > 0 ? V(i->args[0]) : NULL, i->nargs > 1 ? V(i->args[1]) : NULL};
  LLVMValueRef dst = i->type == IR_STR ? fn_str_region(F, i) : NULL;
  LLVMValueRef fault = NULL, code = NULL, mv = NULL;
  if (gen_mem_builtin(g, name, margs, i->nargs, dst, dst ? fn_str_bound(F, i) : 0, &mv, &fault, &code)) {
    if (fault) {
      F->fail_aux = margs[0];
      F->fail_code = code;
      fn_fail_if(F, fault, i, 0, true);
      F->fail_aux = F->fail_code = NULL;
    }
    return mv;
  }
  *ok = false;
  return NULL;
}

/* ---- instructions -------------------------------------------------------------------------------- */

/* Whether f calls itself, directly or through others (seen: by function, scratch). */
static bool reaches(const IrModule *m, const IrFunc *from, const IrFunc *f, bool *seen) {
  for (int b = 0; b < from->nblocks; b++)
    for (const IrInst *i = from->blocks[b]->first; i; i = i->next) {
      if (i->op != IR_CALL) continue;
      if (i->callee == f) return true;
      for (int k = 0; k < m->nfuncs; k++)
        if (m->funcs[k] == i->callee && !seen[k]) {
          seen[k] = true;
          if (reaches(m, i->callee, f, seen)) return true;
        }
    }
  return false;
}

/* A call left after kernel inlining (ir_pass_inline_kernel): recursion,
 * which BPF cannot do (no calls with a stack per activation), or a handler
 * too big to inline into. */
static void refuse_call(Fn *F, const IrInst *i) {
  const IrModule *m = F->g->m;
  bool *seen = calloc((size_t)m->nfuncs + 1, sizeof *seen);
  bool rec = seen && reaches(m, i->callee, i->callee, seen);
  free(seen);
  if (rec)
    gen_error(F->g, i->loc, "recursive function '%s' cannot run in a kernel probe on the bpf backend (BPF has no "
              "recursion); call it from a begin or end probe", i->callee->name);
  else
    gen_error(F->g, i->loc, "function '%s' is too big to inline into a kernel probe on the bpf backend",
              i->callee->name);
  F->failed = true;
}

static LLVMValueRef binop(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  LLVMValueRef a = V(i->args[0]), b = i->nargs > 1 ? V(i->args[1]) : NULL;
  LLVMValueRef m63 = NULL;
  switch (i->op) {
  case IR_ADD: return LLVMBuildAdd(g->b, a, b, "");
  case IR_SUB: return LLVMBuildSub(g->b, a, b, "");
  case IR_MUL: return LLVMBuildMul(g->b, a, b, "");
  case IR_SHL: m63 = LLVMBuildAnd(g->b, b, bb_c64(g, 63), ""); return LLVMBuildShl(g->b, a, m63, "");
  case IR_SHR: m63 = LLVMBuildAnd(g->b, b, bb_c64(g, 63), ""); return LLVMBuildAShr(g->b, a, m63, "");
  case IR_USHR: m63 = LLVMBuildAnd(g->b, b, bb_c64(g, 63), ""); return LLVMBuildLShr(g->b, a, m63, "");
  case IR_AND: return LLVMBuildAnd(g->b, a, b, "");
  case IR_OR: return LLVMBuildOr(g->b, a, b, "");
  case IR_XOR: return LLVMBuildXor(g->b, a, b, "");
  case IR_NEG: return LLVMBuildNeg(g->b, a, "");
  case IR_BNOT: return LLVMBuildNot(g->b, a, "");
  case IR_NOT: return LLVMBuildNot(g->b, a, "");
  case IR_ZEXT: return LLVMBuildZExt(g->b, a, g->i64, "");
  case IR_TOBOOL: return LLVMBuildICmp(g->b, LLVMIntNE, a, bb_c64(g, 0), "");
  case IR_EQ: return LLVMBuildICmp(g->b, LLVMIntEQ, a, b, "");
  case IR_NE: return LLVMBuildICmp(g->b, LLVMIntNE, a, b, "");
  case IR_LT: return LLVMBuildICmp(g->b, LLVMIntSLT, a, b, "");
  case IR_LE: return LLVMBuildICmp(g->b, LLVMIntSLE, a, b, "");
  case IR_GT: return LLVMBuildICmp(g->b, LLVMIntSGT, a, b, "");
  case IR_GE: return LLVMBuildICmp(g->b, LLVMIntSGE, a, b, "");
  default: return NULL;
  }
}

static LLVMValueRef scmp(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  uint32_t n = fn_obj_size(F, i->args[0]);
  uint32_t nb = fn_obj_size(F, i->args[1]);
  LLVMValueRef r = fn_str_compare(F, V(i->args[0]), V(i->args[1]), n < nb ? n : nb);
  LLVMIntPredicate p = i->op == IR_SEQ   ? LLVMIntEQ
                       : i->op == IR_SNE ? LLVMIntNE
                       : i->op == IR_SLT ? LLVMIntSLT
                       : i->op == IR_SLE ? LLVMIntSLE
                       : i->op == IR_SGT ? LLVMIntSGT
                                         : LLVMIntSGE;
  return LLVMBuildICmp(g->b, p, r, bb_c64(g, 0), "");
}

static LLVMValueRef emit_const_str(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  size_t max = (size_t)g->l->maxstringlen - 1, len = i->len < max ? i->len : max;
  char *tmp = malloc(len + 1);
  if (!tmp) {
    F->failed = true;
    return NULL;
  }
  memcpy(tmp, i->str, len);
  tmp[len] = 0;
  LLVMValueRef v = gen_rodata_str(g, tmp, len + 1);
  free(tmp);
  F->obj[i->id] = (uint32_t)len + 1;
  return v;
}

static LLVMValueRef emit_phi(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  if (i->type == IR_STR) return fn_str_region(F, i);
  if (!F->mphi[i->id]) return LLVMBuildPhi(g->b, fn_llvm_type(F, i->type), "");
  LLVMValueRef v = bb_load64(g, F->scratch, F->vslot[i->id]); /* every edge stored it */
  return i->type == IR_BOOL ? LLVMBuildTrunc(g->b, v, g->i1, "") : v;
}

static LLVMValueRef emit_local_get(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  LLVMValueRef s = fn_scratch_at(F, F->slots[i->imm]);
  if (i->type != IR_STR) {
    LLVMValueRef v = bb_load64(g, s, 0);
    return i->type == IR_BOOL ? LLVMBuildTrunc(g->b, v, g->i1, "") : v;
  }
  LLVMValueRef v = fn_str_region(F, i);
  fn_str_copy(F, v, fn_str_bound(F, i), s);
  return v;
}

static void emit_local_set(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  LLVMValueRef s = fn_scratch_at(F, F->slots[i->imm]);
  if (i->args[0]->type == IR_STR)
    fn_str_copy(F, s, (uint32_t)g->l->maxstringlen, V(i->args[0]));
  else
    fn_slot_store(F, F->slots[i->imm], V(i->args[0]));
}

static LLVMValueRef emit_global_get(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  uint32_t off = g->l->globals[i->g->id].off;
  if (i->type != IR_STR) return bb_load64(g, F->glob, off);
  LLVMValueRef v = fn_str_region(F, i);
  fn_str_copy(F, v, fn_str_bound(F, i), bb_gep(g, F->glob, off));
  return v;
}

static void emit_global_set(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  uint32_t off = g->l->globals[i->g->id].off;
  if (i->args[0]->type == IR_STR)
    fn_str_copy(F, bb_gep(g, F->glob, off), (uint32_t)g->l->maxstringlen, V(i->args[0]));
  else
    bb_store64(g, F->glob, off, V(i->args[0]));
}

static void emit_actions(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  LLVMValueRef p = fn_scratch_at(F, F->actions_off);
  LLVMValueRef left = LLVMBuildSub(g->b, bb_load64(g, p, 0), bb_c64(g, i->imm), "");
  bb_store64(g, p, 0, left);
  fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntSLT, left, bb_c64(g, 0), ""), i, 0, false);
}

static void emit_inst(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  fn_set_loc(F, i->loc);
  LLVMValueRef v = NULL;
  switch (i->op) {
  case IR_CONST_I64:
    v = F->param_of && F->param_of[i->id] >= 0 ? bb_load64(g, F->scratch, F->param_off + 8 * (uint32_t)F->param_of[i->id])
                                               : bb_c64(g, i->imm);
    break;
  case IR_CONST_BOOL: v = LLVMConstInt(g->i1, i->imm != 0, false); break;
  case IR_CONST_STR: v = emit_const_str(F, i); break;
  case IR_COPY:
    v = F->vals[i->args[0]->id];
    if (i->type == IR_STR) {
      F->soff[i->id] = F->soff[i->args[0]->id];
      F->obj[i->id] = F->obj[i->args[0]->id];
    } else {
      v = V(i->args[0]);
    }
    break;
  case IR_DIV:
  case IR_MOD: {
    LLVMValueRef a = V(i->args[0]), b = V(i->args[1]);
    fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntEQ, b, bb_c64(g, 0), ""), i, 0, true);
    v = i->op == IR_DIV ? bb_sdiv(g, a, b) : bb_srem(g, a, b);
    break;
  }
  case IR_SEQ: case IR_SNE: case IR_SLT: case IR_SLE: case IR_SGT: case IR_SGE: v = scmp(F, i); break;
  case IR_CONCAT: v = str_emit_concat(F, i); break;
  case IR_PHI: v = emit_phi(F, i); break;
  case IR_LOCAL_GET: v = emit_local_get(F, i); break;
  case IR_LOCAL_SET: emit_local_set(F, i); break;
  case IR_GLOBAL_GET: v = emit_global_get(F, i); break;
  case IR_GLOBAL_SET: emit_global_set(F, i); break;
  case IR_MAP_GET: v = map_emit_get(F, i); break;
  case IR_MAP_SET: map_emit_set(F, i); break;
  case IR_MAP_EXISTS: v = map_emit_exists(F, i); break;
  case IR_MAP_DELETE: map_emit_delete(F, i); break;
  case IR_MAP_CLEAR: map_emit_clear(F, i); break;
  case IR_STAT_ADD: stat_emit_add(F, i); break;
  case IR_STAT_GET: v = stat_emit_get(F, i); break;
  case IR_HIST_STR: fn_unsupported(F, i, "printing a histogram"); break;
  case IR_HIST_BUCKET: v = stat_emit_bucket(F, i); break;
  case IR_ITER_BEGIN:
    if (((const IrSort *)i->aux)->col != 0) {
      gen_error(g, i->loc, "a sorted foreach cannot run in a kernel probe on the bpf backend; sort in an end probe");
      F->failed = true;
    } else if (loop_iter_is_any(F, i)) {
      /* its iter.next does the work */
    } else if (loop_of_iter(F, i) < 0) {
      fn_unsupported(F, i, "this foreach");
    } else {
      bb_store64(g, F->scratch, F->loops[loop_of_iter(F, i)].count_off, bb_c64(g, 0));
    }
    break;
  case IR_ITER_NEXT:
    if (loop_iter_is_any(F, i->args[0])) v = loop_iter_any(F, i);
    break; /* in a foreach, the loop's callback is the iteration */
  case IR_ITER_END: break;
  case IR_ITER_KEY: case IR_ITER_VALUE: v = loop_iter_field(F, i); break;
  case IR_CALL: refuse_call(F, i); break;
  case IR_BUILTIN: {
    bool ok;
    v = emit_builtin(F, i, &ok);
    if (!ok) v = str_emit_builtin(F, i, &ok);
    if (!ok && F->re_str) v = re_emit_builtin(F, i, &ok);
    if (!ok && !strcmp(((const IrBuiltin *)i->aux)->name, "abort")) {
      /* exit(), and this hit ends now, past any try (stap's abort cannot be caught) */
      ok = true;
      bb_store64(g, F->ctl, offsetof(BpfCtl, state), bb_c64(g, BLAY_STOPPING));
      send_record(F, fn_site_of(F, i), 0, NULL, NULL);
      fn_leave(F);
      LLVMPositionBuilderAtEnd(g->b, bb_block(g, "after.abort"));
    }
    if (!ok) {
      char what[160];
      snprintf(what, sizeof what, "function '%s'", ((const IrBuiltin *)i->aux)->name);
      fn_unsupported(F, i, what);
    }
    break;
  }
  case IR_PRINTF: emit_printf(F, i); break;
  case IR_SPRINTF: v = fmt_emit_sprintf(F, i); break;
  case IR_REGEX: v = re_emit_match(F, i); break;
  case IR_CTX: {
    LLVMValueRef bad = NULL;
    uint32_t code = 0;
    v = gen_ctx_read(g, F->p, F->ctxp, i, &bad, &code);
    if (!v) F->failed = true;
    if (v && bad) fn_fail_if(F, bad, i, code, true);
    break;
  }
  case IR_ACTIONS: emit_actions(F, i); break;
  case IR_TRY_PUSH:
    if (F->cur.n < MAX_TRY) {
      F->cur.h[F->cur.n] = i->targets[0];
      F->cur.from[F->cur.n] = F->cur_block;
    }
    F->cur.n++;
    break;
  case IR_TRY_POP:
    if (F->cur.n > 0) F->cur.n--;
    break;
  case IR_CATCH_MSG:
    v = fn_str_region(F, i);
    fn_str_copy(F, v, fn_str_bound(F, i), fn_scratch_at(F, F->errmsg_off));
    break;
  case IR_ERROR:
    fn_raise_error(F, i, 0, V(i->args[0]), true);
    LLVMPositionBuilderAtEnd(g->b, bb_block(g, "after.error"));
    break;
  case IR_BR: LLVMBuildBr(g->b, fn_edge_to(F, F->cur_block, i->targets[0])); break;
  case IR_CBR: {
    if (i->args[0]->op == IR_ITER_NEXT) { /* a foreach's callback runs for an element: it has one */
      LLVMBuildBr(g->b, fn_edge_to(F, F->cur_block, i->targets[0]));
      break;
    }
    LLVMValueRef c = V(i->args[0]);
    LLVMBasicBlockRef t = fn_edge_to(F, F->cur_block, i->targets[0]);
    LLVMBasicBlockRef e = fn_edge_to(F, F->cur_block, i->targets[1]);
    LLVMBuildCondBr(g->b, c, t, e);
    break;
  }
  case IR_RET:
  case IR_NEXT:
  case IR_UNREACHABLE: fn_leave(F); break;
  case IR_PARAM: fn_unsupported(F, i, "a function parameter"); break;
  default: {
    v = binop(F, i);
    if (!v) fn_unsupported(F, i, ir_op_name(i->op));
    break;
  }
  }
  if (i->id >= 0) F->vals[i->id] = v;
  /* a value other functions read: into its slot (a memory phi is already there) */
  if (v && i->type != IR_STR && F->vslot[i->id] != FN_NONE && !F->mphi[i->id]) fn_slot_store(F, F->vslot[i->id], v);
}

/* ---- the program -------------------------------------------------------------------------------- */

static LLVMValueRef entry_lookup(Fn *F, int map, LLVMValueRef key, LLVMBasicBlockRef out) {
  Gen *g = F->g;
  LLVMValueRef p = bb_map_lookup(g, map, key);
  LLVMBasicBlockRef ok = bb_block(g, "entry.ok");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, p, ""), out, ok);
  LLVMPositionBuilderAtEnd(g->b, ok);
  return p;
}

/* The scratch space every function of the handler shares. */
static void scratch_layout(Fn *F) {
  Gen *g = F->g;
  F->actions_off = fn_scratch_alloc(F, 8);
  F->exit_off = fn_scratch_alloc(F, 8);
  F->errmsg_off = fn_scratch_alloc(F, (uint32_t)g->l->maxstringlen);
  if (F->grp) F->param_off = fn_scratch_alloc(F, 8 * (uint32_t)(F->grp->nparams + 1));
  for (int k = 0; k < F->f->nslots; k++)
    F->slots[k] = fn_scratch_alloc(F, F->f->slots[k] == IR_STR ? (uint32_t)g->l->maxstringlen : 8);
  re_layout(F);
  for (int b = 0; b < F->f->nblocks && !F->tok_off; b++)
    for (const IrInst *i = F->f->blocks[b]->first; i; i = i->next)
      if (i->op == IR_BUILTIN && !strncmp(((const IrBuiltin *)i->aux)->name, "tokenize", 8)) {
        F->tok_off = fn_scratch_alloc(F, (uint32_t)g->l->maxstringlen);
        F->tok_start = fn_scratch_alloc(F, 8);
        break;
      }
}

/* A merged program: which member runs (the attachment's cookie), and that
 * member's row of the group's table (its constants, then its site shift)
 * into scratch at param_off, where every function of the handler reads it. */
static void member_row(Fn *F, LLVMBasicBlockRef out) {
  Gen *g = F->g;
  const BlayGroup *grp = F->grp;
  uint32_t w = (uint32_t)grp->nparams + 1;
  LLVMTypeRef t = LLVMArrayType(g->i64, (unsigned)grp->n * w);
  LLVMValueRef *cells = malloc(sizeof *cells * (size_t)grp->n * w);
  if (!cells) {
    F->failed = true;
    return;
  }
  for (int j = 0; j < grp->n; j++) {
    for (int p = 0; p < grp->nparams; p++) cells[j * w + p] = bb_c64(g, grp->values[j * grp->nparams + p]);
    cells[j * w + w - 1] = bb_c64(g, grp->site_shift[j]);
  }
  LLVMValueRef tab = LLVMAddGlobal(g->mod, t, "");
  LLVMSetInitializer(tab, LLVMConstArray(g->i64, cells, (unsigned)grp->n * w));
  free(cells);
  LLVMSetGlobalConstant(tab, true);
  LLVMSetLinkage(tab, LLVMPrivateLinkage);
  LLVMSetSection(tab, ".rodata");
  LLVMSetAlignment(tab, 8);
  LLVMValueRef a[1] = {F->ctxp};
  LLVMValueRef j = bb_helper(g, BPF_FUNC_get_attach_cookie, g->i64, a, 1);
  LLVMBasicBlockRef in = bb_block(g, "member");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntUGE, j, bb_c64(g, grp->n), ""), out, in);
  LLVMPositionBuilderAtEnd(g->b, in);
  LLVMValueRef row = LLVMBuildGEP2(g->b, g->i8, tab, &(LLVMValueRef){LLVMBuildMul(g->b, j, bb_c64(g, 8 * w), "")}, 1, "");
  for (uint32_t p = 0; p < w; p++) bb_store64(g, F->scratch, F->param_off + 8 * p, bb_load64(g, row, 8 * p));
}

static void prologue(Fn *F) {
  Gen *g = F->g;
  FnSub *s = &F->main;
  LLVMBasicBlockRef out = bb_block(g, "skip");
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMPositionBuilderAtEnd(g->b, out);
  LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, false));
  LLVMPositionBuilderAtEnd(g->b, here);
  s->zero = LLVMBuildAlloca(g->b, g->i32, "zero");
  LLVMValueRef cpuk = LLVMBuildAlloca(g->b, g->i32, "cpu");
  s->env = LLVMBuildAlloca(g->b, LLVMArrayType(g->ptr, 4), "env");
  LLVMBuildStore(g->b, LLVMConstInt(g->i32, 0, false), s->zero);
  s->ctl = entry_lookup(F, g->ctl, s->zero, out);
  LLVMValueRef st = bb_load64(g, s->ctl, offsetof(BpfCtl, state));
  LLVMBasicBlockRef run = bb_block(g, "running");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, st, bb_c64(g, BLAY_RUNNING), ""), run, out);
  LLVMPositionBuilderAtEnd(g->b, run);
  LLVMValueRef cpu = bb_helper(g, BPF_FUNC_get_smp_processor_id, g->i32, NULL, 0);
  LLVMBuildStore(g->b, cpu, cpuk);
  s->scratch = entry_lookup(F, g->scratch, cpuk, out);
  s->glob = entry_lookup(F, g->glob, s->zero, out);
  if (s->env) {
    LLVMValueRef ptrs[4] = {s->scratch, s->glob, s->ctl, s->ctxp};
    for (int k = 0; k < 4; k++) {
      LLVMValueRef st8 = LLVMBuildStore(g->b, ptrs[k], bb_gep(g, s->env, (uint64_t)k * 8));
      LLVMSetAlignment(st8, 8);
    }
  }
  fn_enter(F, -1);
  if (F->grp) member_row(F, out);
  bb_store64(g, s->scratch, F->actions_off, bb_c64(g, g->o->maxaction > 0 ? g->o->maxaction : 1000));
  LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), fn_scratch_at(F, F->errmsg_off));
  if (F->re_str) bb_store64(g, s->scratch, F->re_ok, bb_c64(g, 0)); /* no match yet in this hit */
  if (F->tok_off) { /* tokenize starts with nothing saved in each hit (its state is this handler's) */
    bb_store64(g, s->scratch, F->tok_start, bb_c64(g, -1));
    LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), fn_scratch_at(F, F->tok_off));
  }
  for (int k = 0; k < F->f->nslots; k++) /* a local reads as 0 or "" before its first assignment */
    if (F->f->slots[k] == IR_STR)
      LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), fn_scratch_at(F, F->slots[k]));
    else
      bb_store64(g, s->scratch, F->slots[k], bb_c64(g, 0));
}

/* Every LLVM block still open (one nothing reaches) gets a terminator. */
static void close_blocks(Fn *F, LLVMValueRef fn) {
  Gen *g = F->g;
  LLVMTypeRef rt = LLVMGetReturnType(LLVMGlobalGetValueType(fn));
  for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(fn); bb; bb = LLVMGetNextBasicBlock(bb))
    if (!LLVMGetBasicBlockTerminator(bb)) {
      LLVMPositionBuilderAtEnd(g->b, bb);
      LLVMBuildRet(g->b, LLVMConstInt(rt, rt == g->i32 ? 0 : 1, false));
    }
}

static int fn_alloc(Fn *F) {
  const IrFunc *f = F->f;
  size_t nv = (size_t)f->next_id + 1, nb = (size_t)f->nblocks + 1;
  F->vals = calloc(nv, sizeof *F->vals);
  F->obj = calloc(nv, sizeof *F->obj);
  F->soff = malloc(sizeof *F->soff * nv);
  F->vslot = malloc(sizeof *F->vslot * nv);
  F->mphi = calloc(nv, sizeof *F->mphi);
  F->bbs = calloc(nb, sizeof *F->bbs);
  F->bloop = malloc(sizeof *F->bloop * nb);
  F->slots = calloc((size_t)f->nslots + 1, sizeof *F->slots);
  if (!F->vals || !F->obj || !F->soff || !F->vslot || !F->mphi || !F->bbs || !F->bloop || !F->slots ||
      fn_compute_tries(F) != 0)
    return -ENOMEM;
  memset(F->soff, 0xff, sizeof *F->soff * nv);
  memset(F->vslot, 0xff, sizeof *F->vslot * nv);
  for (size_t k = 0; k < nb; k++) F->bloop[k] = -1;
  return 0;
}

static void fn_free(Fn *F) {
  free(F->param_of);
  free(F->vals);
  free(F->obj);
  free(F->soff);
  free(F->vslot);
  free(F->mphi);
  free(F->bbs);
  free(F->bloop);
  free(F->slots);
  free(F->tries);
  free(F->edges);
  free(F->main.scopes);
  for (int k = 0; k < F->nloops; k++) free(F->loops[k].sub.scopes);
  free(F->loops);
  re_free(F);
}

/* Emits the blocks in reverse postorder, each in its loop's function; phis
 * first everywhere, so that edges can name them in any order. */
static void emit_blocks(Fn *F) {
  Gen *g = F->g;
  const IrFunc *f = F->f;
  Arena *a = arena_new();
  IrDomTree dt;
  ir_func_dominators(f, a, &dt);
  for (int r = 0; r < dt.nrpo; r++) {
    const IrBlock *b = dt.rpo[r];
    fn_enter(F, F->bloop[b->index]);
    LLVMPositionBuilderAtEnd(g->b, F->bbs[b->index]);
    /* LLVM's phis must open the block: they go before the memory phis' loads */
    for (int pass = 0; pass < 2; pass++)
      for (const IrInst *i = b->first; i && i->op == IR_PHI; i = i->next)
        if ((i->type != IR_STR && !F->mphi[i->id]) == (pass == 0)) emit_inst(F, i);
  }
  for (int r = 0; r < dt.nrpo && !F->failed; r++) {
    const IrBlock *b = dt.rpo[r];
    fn_enter(F, F->bloop[b->index]);
    F->cur_block = b;
    F->cur = F->tries[b->index];
    LLVMPositionBuilderAtEnd(g->b, F->bbs[b->index]);
    for (const IrInst *i = b->first; i && !F->failed; i = i->next)
      if (i->op != IR_PHI) emit_inst(F, i);
    if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(g->b))) fn_leave(F);
  }
  arena_free(a);
}

int gen_handler(Gen *g, const IrProbe *p, const BlayGroup *grp, const char *sec) {
  const IrFunc *f = p->handler;
  Fn fs = {.g = g, .p = p, .f = f, .cur_loop = -1, .grp = grp}, *F = &fs;
  int rc = 0;
  if (fn_alloc(F) != 0) {
    rc = -ENOMEM;
    goto out;
  }
  if (grp) {
    if (!(F->param_of = malloc(sizeof *F->param_of * (size_t)(f->next_id + 1)))) {
      rc = -ENOMEM;
      goto out;
    }
    for (int k = 0; k <= f->next_id; k++) F->param_of[k] = -1;
    for (int k = 0; k < grp->nparams; k++) F->param_of[grp->params[k]->id] = k;
  }
  char name[64];
  snprintf(name, sizeof name, "probe_%d%s", p->index, g->prog_suffix);
  LLVMTypeRef fty = LLVMFunctionType(g->i32, &g->ptr, 1, false);
  F->main.fn = LLVMAddFunction(g->mod, name, fty);
  LLVMSetSection(F->main.fn, sec);
  F->main.ctxp = LLVMGetParam(F->main.fn, 0);
  SrcLoc loc = f->loc;
  F->main.sp = fn_new_subprogram(F, name, F->main.fn);
  fn_enter(F, -1);
  scratch_layout(F);
  if (loop_analyse(F) != 0) {
    rc = g->nerrors ? 0 : -ENOMEM;
    F->failed = true;
    goto out;
  }
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, F->main.fn, "entry");
  for (int k = 0; k < f->nblocks; k++) {
    char bn[24];
    snprintf(bn, sizeof bn, "b%d", f->blocks[k]->id);
    int l = F->bloop[k];
    F->bbs[k] = LLVMAppendBasicBlockInContext(g->ctx, l < 0 ? F->main.fn : F->loops[l].sub.fn, bn);
  }
  LLVMPositionBuilderAtEnd(g->b, entry);
  fn_set_loc(F, loc);
  prologue(F);
  LLVMBuildBr(g->b, fn_edge_to(F, NULL, f->blocks[0]));
  loop_prologues(F, false);
  emit_blocks(F);
  if (!F->failed) loop_prologues(F, true); /* after the blocks: it reads values they define */
  if (!F->failed) fn_fill_phis(F);
  close_blocks(F, F->main.fn);
  for (int k = 0; k < F->nloops; k++) close_blocks(F, F->loops[k].sub.fn);
  /* Slack after the last region: a write at a variable offset into a region
   * (concatenation) stays inside it at run time, but the verifier bounds the
   * offset and the size separately and wants their sum inside the map value. */
  F->top += (uint32_t)g->l->maxstringlen;
  if (F->top > g->scratch_size) g->scratch_size = F->top;
  if (F->failed && !g->nerrors) rc = -ENOMEM;
out:
  fn_free(F);
  return rc;
}

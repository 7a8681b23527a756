/* gen-str.c: the tapsets' string functions in kernel probes (strlen,
 * substr, stringat, strpos, str_replace, tokenize, strtol, toupper,
 * tolower, errno_str), each with the runtime's semantics
 * (runtime/builtins-str.c and builtins.c are the reference).
 *
 * The verifier bounds every pointer the program dereferences, which makes
 * a string walk at a computed offset hard to express.  So the code here
 * works on copies at fixed scratch offsets, walks them in bpf_loop
 * callbacks (one verification of the body, whatever the length), keeps its
 * state in scratch words, clamps every computed index in a way the verifier
 * follows (str_clamp), and reads at a computed offset of a string only
 * through probe_read_kernel(_str) from an address the verifier does not
 * track (str_addr).  A string function without a BPF version here is
 * refused at its call, naming the backend.
 */
#include "gen-fn.h"

#include "builtins.h"

#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

static LLVMValueRef c8(Gen *g, int v) { return LLVMConstInt(g->i8, (unsigned long long)v, false); }

LLVMValueRef str_addr(Fn *F, LLVMValueRef p) {
  Gen *g = F->g;
  if (!F->addr_off) F->addr_off = fn_scratch_alloc(F, 8);
  LLVMValueRef w = fn_scratch_at(F, F->addr_off);
  LLVMValueRef st = LLVMBuildStore(g->b, p, w);
  LLVMSetVolatile(st, true);
  LLVMSetAlignment(st, 8);
  LLVMValueRef v = LLVMBuildLoad2(g->b, g->i64, w, "");
  LLVMSetVolatile(v, true);
  LLVMSetAlignment(v, 8);
  return v;
}

LLVMValueRef str_clamp(Fn *F, LLVMValueRef v, uint64_t max) {
  Gen *g = F->g;
  v = bb_barrier(g, v);
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b), cut = bb_block(g, "clamp"), go = bb_block(g, "clamped");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntUGT, v, bb_c64(g, (int64_t)max), ""), cut, go);
  LLVMPositionBuilderAtEnd(g->b, cut);
  LLVMBuildBr(g->b, go);
  LLVMPositionBuilderAtEnd(g->b, go);
  LLVMValueRef phi = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef pv[2] = {v, bb_c64(g, (int64_t)max)};
  LLVMBasicBlockRef pb[2] = {here, cut};
  LLVMAddIncoming(phi, pv, pb, 2);
  return bb_barrier(g, phi);
}

/* probe_read_kernel_str(dst, size, src) with a computed size (clamped to
 * [1, max] by the caller's str_clamp) and a source address as a number. */
static LLVMValueRef read_str_n(Fn *F, LLVMValueRef dst, LLVMValueRef size, LLVMValueRef src_addr) {
  Gen *g = F->g;
  LLVMValueRef a[3] = {dst, LLVMBuildTrunc(g->b, size, g->i32, ""), LLVMBuildIntToPtr(g->b, src_addr, g->ptr, "")};
  return bb_helper(g, BPF_FUNC_probe_read_kernel_str, g->i64, a, 3);
}

LLVMValueRef str_len(Fn *F, LLVMValueRef s, uint32_t size) {
  Gen *g = F->g;
  LLVMValueRef tmp = fn_scratch_at(F, fn_scratch_alloc(F, size));
  LLVMValueRef n = LLVMBuildSub(g->b, bb_read_str(g, tmp, size, s), bb_c64(g, 1), "");
  return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, n, bb_c64(g, 0), ""), bb_c64(g, 0), n, "");
}

/* A copy of string value v in a fresh scratch region of v's object size. */
static uint32_t copy_of(Fn *F, const IrInst *v, uint32_t *size) {
  *size = fn_obj_size(F, v);
  uint32_t off = fn_scratch_alloc(F, *size);
  fn_str_copy(F, fn_scratch_at(F, off), *size, V(v));
  return off;
}

static LLVMValueRef load_word(Fn *F, uint32_t off) { return bb_load64(F->g, F->scratch, off); }
static void store_word(Fn *F, uint32_t off, LLVMValueRef v) { bb_store64(F->g, F->scratch, off, v); }

/* The byte at scratch region off + idx, idx < size, zero-extended. */
static LLVMValueRef byte_at(Fn *F, uint32_t off, LLVMValueRef idx, uint32_t size) {
  Gen *g = F->g;
  idx = str_clamp(F, idx, size - 1);
  LLVMValueRef c = LLVMBuildLoad2(g->b, g->i8, bb_gep_var(g, fn_scratch_at(F, off), idx), "");
  return LLVMBuildZExt(g->b, c, g->i64, "");
}

static LLVMValueRef in_range(Gen *g, LLVMValueRef c, int lo, int hi) {
  return LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntUGE, c, bb_c64(g, lo), ""),
                      LLVMBuildICmp(g->b, LLVMIntULE, c, bb_c64(g, hi), ""), "");
}

/* ---- strings -------------------------------------------------------------------------------- */

LLVMValueRef fn_str_compare(Fn *F, LLVMValueRef a, LLVMValueRef b, uint32_t n) {
  Gen *g = F->g;
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef loop = bb_block(g, "scmp"), diff = bb_block(g, "scmp.diff"), same = bb_block(g, "scmp.same"),
                    next = bb_block(g, "scmp.next"), done = bb_block(g, "scmp.done");
  LLVMBuildBr(g->b, loop);
  LLVMPositionBuilderAtEnd(g->b, loop);
  LLVMValueRef idx = LLVMBuildPhi(g->b, g->i64, "i");
  LLVMValueRef ca = LLVMBuildLoad2(g->b, g->i8, bb_gep_var(g, a, idx), "");
  LLVMValueRef cb = LLVMBuildLoad2(g->b, g->i8, bb_gep_var(g, b, idx), "");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, ca, cb, ""), diff, same);
  LLVMPositionBuilderAtEnd(g->b, diff);
  LLVMValueRef r = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntULT, ca, cb, ""), bb_c64(g, -1), bb_c64(g, 1), "");
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, same);
  LLVMValueRef i1 = LLVMBuildAdd(g->b, idx, bb_c64(g, 1), "");
  LLVMValueRef more = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntNE, ca, LLVMConstInt(g->i8, 0, false), ""),
                                   LLVMBuildICmp(g->b, LLVMIntULT, i1, bb_c64(g, n), ""), "");
  LLVMBuildCondBr(g->b, more, next, done);
  LLVMPositionBuilderAtEnd(g->b, next);
  LLVMBuildBr(g->b, loop);
  LLVMValueRef in_v[2] = {bb_c64(g, 0), i1};
  LLVMBasicBlockRef in_b[2] = {pre, next};
  LLVMAddIncoming(idx, in_v, in_b, 2);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef res = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef rv[2] = {r, bb_c64(g, 0)};
  LLVMBasicBlockRef rb[2] = {diff, same};
  LLVMAddIncoming(res, rv, rb, 2);
  return res;
}

uint32_t fn_obj_size(Fn *F, const IrInst *v) {
  uint32_t n = F->obj[v->id];
  return n ? n : fn_str_bound(F, v);
}

LLVMValueRef str_emit_concat(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  uint32_t size = fn_str_bound(F, i);
  LLVMValueRef dst = fn_str_region(F, i);
  LLVMValueRef n = bb_read_str(g, dst, size, V(i->args[0])); /* bytes with the NUL, or < 0 */
  LLVMValueRef len = LLVMBuildSub(g->b, n, bb_c64(g, 1), "");
  /* Clamp to [0, size-1] in a way the verifier follows: branches, not selects. */
  LLVMBasicBlockRef lo = bb_block(g, "cat.lo"), hi = bb_block(g, "cat.hi"), go = bb_block(g, "cat.go");
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, len, bb_c64(g, 0), ""), go, lo);
  LLVMPositionBuilderAtEnd(g->b, lo);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, len, bb_c64(g, size - 1), ""), hi, go);
  LLVMPositionBuilderAtEnd(g->b, hi);
  LLVMBuildBr(g->b, go);
  LLVMPositionBuilderAtEnd(g->b, go);
  LLVMValueRef off = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef ov[3] = {bb_c64(g, 0), len, bb_c64(g, size - 1)};
  LLVMBasicBlockRef ob[3] = {here, lo, hi};
  LLVMAddIncoming(off, ov, ob, 3);
  LLVMValueRef room = LLVMBuildSub(g->b, bb_c64(g, size), off, "");
  LLVMValueRef a[3] = {bb_gep_var(g, dst, off), LLVMBuildTrunc(g->b, room, g->i32, ""), V(i->args[1])};
  bb_helper(g, BPF_FUNC_probe_read_kernel_str, g->i64, a, 3);
  return dst;
}

/* ---- substr, stringat ------------------------------------------------------------------------ */

/* rt_bi_substr: at most length bytes from start, "" for a start outside. */
static LLVMValueRef emit_substr(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrInst *s = i->args[0];
  uint32_t b = fn_str_bound(F, i);
  int64_t max = g->l->maxstringlen;
  LLVMValueRef start = V(i->args[1]);
  LLVMValueRef size = LLVMBuildAdd(g->b, V(i->args[2]), bb_c64(g, 1), "");
  size = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, size, bb_c64(g, 0), ""), bb_c64(g, 0), size, "");
  size = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, size, bb_c64(g, max), ""), bb_c64(g, max), size, "");
  LLVMValueRef n = str_len(F, V(s), fn_obj_size(F, s));
  LLVMValueRef dst = fn_str_region(F, i);
  LLVMBuildStore(g->b, c8(g, 0), dst);
  LLVMValueRef ok = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, start, bb_c64(g, 0), ""),
                                 LLVMBuildICmp(g->b, LLVMIntSLT, start, n, ""), "");
  ok = LLVMBuildAnd(g->b, ok, LLVMBuildICmp(g->b, LLVMIntNE, size, bb_c64(g, 0), ""), "");
  LLVMBasicBlockRef copy = bb_block(g, "substr.copy"), done = bb_block(g, "substr.done");
  LLVMBuildCondBr(g->b, ok, copy, done);
  LLVMPositionBuilderAtEnd(g->b, copy);
  LLVMValueRef cnt = str_clamp(F, size, b);
  read_str_n(F, fn_str_region(F, i), cnt, LLVMBuildAdd(g->b, str_addr(F, V(s)), start, ""));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  return fn_str_region(F, i);
}

static LLVMValueRef emit_stringat(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrInst *s = i->args[0];
  LLVMValueRef pos = V(i->args[1]);
  LLVMValueRef n = str_len(F, V(s), fn_obj_size(F, s));
  LLVMValueRef bad = LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, pos, bb_c64(g, 0), ""),
                                 LLVMBuildICmp(g->b, LLVMIntSGE, pos, n, ""), "");
  uint32_t w = fn_scratch_alloc(F, 8);
  LLVMValueRef addr = LLVMBuildAdd(g->b, str_addr(F, V(s)), pos, "");
  fn_fail_if(F, bad, i, 0, true);
  bb_read_kernel(g, fn_scratch_at(F, w), 1, LLVMBuildIntToPtr(g->b, addr, g->ptr, ""));
  LLVMValueRef c = LLVMBuildLoad2(g->b, g->i8, fn_scratch_at(F, w), "");
  return LLVMBuildSExt(g->b, c, g->i64, ""); /* the kernel's char is signed on x86 */
}

/* ---- strpos ----------------------------------------------------------------------------------- */

typedef struct Search {
  uint32_t hay, hay_size;   /* the haystack's copy */
  uint32_t needle, nsize;   /* the needle's copy */
  uint32_t tmp;             /* nsize bytes: the haystack at the position tried */
  uint32_t n1, n2, res;     /* words: lengths, the answer */
} Search;

/* position idx: does the needle start there? */
static LLVMValueRef search_at(Fn *F, LLVMValueRef idx, void *ctx) {
  Gen *g = F->g;
  Search *s = ctx;
  LLVMValueRef last = LLVMBuildSub(g->b, load_word(F, s->n1), load_word(F, s->n2), "");
  LLVMBasicBlockRef try_ = bb_block(g, "pos.try"), out = bb_block(g, "pos.out");
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, idx, last, ""), out, try_);
  LLVMPositionBuilderAtEnd(g->b, try_);
  LLVMValueRef cnt = str_clamp(F, LLVMBuildAdd(g->b, load_word(F, s->n2), bb_c64(g, 1), ""), s->nsize);
  LLVMValueRef src = LLVMBuildAdd(g->b, str_addr(F, fn_scratch_at(F, s->hay)), idx, "");
  read_str_n(F, fn_scratch_at(F, s->tmp), cnt, src);
  LLVMValueRef eq = LLVMBuildICmp(
      g->b, LLVMIntEQ, fn_str_compare(F, fn_scratch_at(F, s->tmp), fn_scratch_at(F, s->needle), s->nsize),
      bb_c64(g, 0), "");
  LLVMBasicBlockRef found = bb_block(g, "pos.found"), next = bb_block(g, "pos.next");
  LLVMBuildCondBr(g->b, eq, found, next);
  LLVMPositionBuilderAtEnd(g->b, found);
  store_word(F, s->res, idx);
  LLVMBuildBr(g->b, out);
  LLVMPositionBuilderAtEnd(g->b, next);
  LLVMBuildBr(g->b, out);
  LLVMPositionBuilderAtEnd(g->b, out);
  LLVMValueRef more = LLVMBuildPhi(g->b, g->i1, "");
  LLVMValueRef mv[3] = {LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 1, false)};
  LLVMBasicBlockRef mb[3] = {here, found, next};
  LLVMAddIncoming(more, mv, mb, 3);
  return more;
}

/* The first index of s2 in s1, or -1 (strstr). */
static LLVMValueRef emit_strpos(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  Search s;
  s.hay = copy_of(F, i->args[0], &s.hay_size);
  s.needle = copy_of(F, i->args[1], &s.nsize);
  s.tmp = fn_scratch_alloc(F, s.nsize);
  s.n1 = fn_scratch_alloc(F, 8), s.n2 = fn_scratch_alloc(F, 8), s.res = fn_scratch_alloc(F, 8);
  store_word(F, s.n1, str_len(F, fn_scratch_at(F, s.hay), s.hay_size));
  LLVMValueRef n2 = str_len(F, fn_scratch_at(F, s.needle), s.nsize);
  store_word(F, s.n2, n2);
  store_word(F, s.res, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, n2, bb_c64(g, 0), ""), bb_c64(g, 0),
                                       bb_c64(g, -1), ""));
  LLVMBasicBlockRef scan = bb_block(g, "pos.scan"), done = bb_block(g, "pos.done");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, n2, bb_c64(g, 0), ""), done, scan);
  LLVMPositionBuilderAtEnd(g->b, scan);
  loop_callback(F, "strpos", s.hay_size, search_at, &s);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  return load_word(F, s.res);
}

/* ---- str_replace -------------------------------------------------------------------------------- */

typedef struct Replace {
  uint32_t str, ssize, from, fsize, to, tsize, tmp; /* copies */
  uint32_t out, osize;                               /* the result's region */
  uint32_t n, nf, nt, olen, skip;                    /* words */
} Replace;

/* Appends what the helper reads from src (a number) up to n bytes, within the result. */
static void append(Fn *F, const Replace *r, LLVMValueRef src, LLVMValueRef n) {
  Gen *g = F->g;
  LLVMValueRef olen = str_clamp(F, load_word(F, r->olen), r->osize - 1);
  LLVMValueRef room = LLVMBuildSub(g->b, bb_c64(g, r->osize - 1), olen, "");
  LLVMValueRef k = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntULT, n, room, ""), n, room, "");
  LLVMValueRef cnt = str_clamp(F, LLVMBuildAdd(g->b, k, bb_c64(g, 1), ""), r->osize);
  read_str_n(F, bb_gep_var(g, fn_scratch_at(F, r->out), olen), cnt, src);
  store_word(F, r->olen, LLVMBuildAdd(g->b, load_word(F, r->olen), k, ""));
}

static LLVMValueRef replace_at(Fn *F, LLVMValueRef idx, void *ctx) {
  Gen *g = F->g;
  Replace *r = ctx;
  LLVMBasicBlockRef entry = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef go = bb_block(g, "rep.go"), next = bb_block(g, "rep.next"), end = bb_block(g, "rep.end");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, idx, load_word(F, r->n), ""), end, go);
  LLVMPositionBuilderAtEnd(g->b, go);
  LLVMValueRef skip = load_word(F, r->skip);
  LLVMBasicBlockRef skipping = bb_block(g, "rep.skip"), look = bb_block(g, "rep.look");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, skip, bb_c64(g, 0), ""), skipping, look);
  LLVMPositionBuilderAtEnd(g->b, skipping);
  store_word(F, r->skip, LLVMBuildSub(g->b, skip, bb_c64(g, 1), ""));
  LLVMBuildBr(g->b, next);
  LLVMPositionBuilderAtEnd(g->b, look);
  LLVMValueRef here = LLVMBuildAdd(g->b, str_addr(F, fn_scratch_at(F, r->str)), idx, "");
  LLVMValueRef cnt = str_clamp(F, LLVMBuildAdd(g->b, load_word(F, r->nf), bb_c64(g, 1), ""), r->fsize);
  read_str_n(F, fn_scratch_at(F, r->tmp), cnt, here);
  LLVMValueRef eq = LLVMBuildICmp(
      g->b, LLVMIntEQ, fn_str_compare(F, fn_scratch_at(F, r->tmp), fn_scratch_at(F, r->from), r->fsize), bb_c64(g, 0),
      "");
  LLVMBasicBlockRef hit = bb_block(g, "rep.hit"), miss = bb_block(g, "rep.miss");
  LLVMBuildCondBr(g->b, eq, hit, miss);
  LLVMPositionBuilderAtEnd(g->b, hit);
  append(F, r, str_addr(F, fn_scratch_at(F, r->to)), load_word(F, r->nt));
  store_word(F, r->skip, LLVMBuildSub(g->b, load_word(F, r->nf), bb_c64(g, 1), ""));
  LLVMBuildBr(g->b, next);
  LLVMPositionBuilderAtEnd(g->b, miss);
  here = LLVMBuildAdd(g->b, str_addr(F, fn_scratch_at(F, r->str)), idx, "");
  append(F, r, here, bb_c64(g, 1));
  LLVMBuildBr(g->b, next);
  LLVMPositionBuilderAtEnd(g->b, next);
  LLVMBuildBr(g->b, end);
  LLVMPositionBuilderAtEnd(g->b, end);
  LLVMValueRef more = LLVMBuildPhi(g->b, g->i1, "");
  LLVMValueRef mv[2] = {LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 1, false)};
  LLVMBasicBlockRef mb[2] = {entry, next};
  LLVMAddIncoming(more, mv, mb, 2);
  return more;
}

/* rt_bi_str_replace: every from in str replaced by to, the result cut to MAXSTRINGLEN-1. */
static LLVMValueRef emit_str_replace(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  Replace r;
  r.str = copy_of(F, i->args[0], &r.ssize);
  r.from = copy_of(F, i->args[1], &r.fsize);
  r.to = copy_of(F, i->args[2], &r.tsize);
  r.tmp = fn_scratch_alloc(F, r.fsize);
  r.osize = fn_str_bound(F, i);
  fn_str_region(F, i);
  r.out = F->soff[i->id];
  r.n = fn_scratch_alloc(F, 8), r.nf = fn_scratch_alloc(F, 8), r.nt = fn_scratch_alloc(F, 8);
  r.olen = fn_scratch_alloc(F, 8), r.skip = fn_scratch_alloc(F, 8);
  store_word(F, r.n, str_len(F, fn_scratch_at(F, r.str), r.ssize));
  LLVMValueRef nf = str_len(F, fn_scratch_at(F, r.from), r.fsize);
  store_word(F, r.nf, nf);
  store_word(F, r.nt, str_len(F, fn_scratch_at(F, r.to), r.tsize));
  store_word(F, r.olen, bb_c64(g, 0));
  store_word(F, r.skip, bb_c64(g, 0));
  LLVMBuildStore(g->b, c8(g, 0), fn_scratch_at(F, r.out));
  LLVMBasicBlockRef plain = bb_block(g, "rep.plain"), scan = bb_block(g, "rep.scan"), done = bb_block(g, "rep.done");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, nf, bb_c64(g, 0), ""), plain, scan);
  LLVMPositionBuilderAtEnd(g->b, plain);
  fn_str_copy(F, fn_scratch_at(F, r.out), r.osize, fn_scratch_at(F, r.str));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, scan);
  LLVMBasicBlockRef walk = bb_block(g, "rep.walk");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, load_word(F, r.n), bb_c64(g, 0), ""), walk, done);
  LLVMPositionBuilderAtEnd(g->b, walk);
  loop_callback(F, "replace", r.ssize, replace_at, &r);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  return fn_scratch_at(F, r.out);
}

/* ---- tokenize ---------------------------------------------------------------------------------- */

typedef struct Tok {
  uint32_t saved, start;   /* the handler's tokenize state: input copy, next position or -1 */
  uint32_t delim, dsize;   /* the delimiters' copy */
  uint32_t tstart, tend;   /* words: the token found */
  uint32_t max;
} Tok;

/* Whether byte c (non-zero) is one of the delimiters. */
static LLVMValueRef is_delim(Fn *F, const Tok *t, LLVMValueRef c) {
  Gen *g = F->g;
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef loop = bb_block(g, "delim"), next = bb_block(g, "delim.next"), done = bb_block(g, "delim.done");
  LLVMBuildBr(g->b, loop);
  LLVMPositionBuilderAtEnd(g->b, loop);
  LLVMValueRef j = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef d = LLVMBuildZExt(g->b, LLVMBuildLoad2(g->b, g->i8, bb_gep_var(g, fn_scratch_at(F, t->delim), j), ""),
                                 g->i64, "");
  LLVMValueRef hit = LLVMBuildICmp(g->b, LLVMIntEQ, d, c, "");
  LLVMValueRef end = LLVMBuildOr(g->b, hit, LLVMBuildICmp(g->b, LLVMIntEQ, d, bb_c64(g, 0), ""), "");
  LLVMBasicBlockRef body = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, end, done, next);
  LLVMPositionBuilderAtEnd(g->b, next);
  LLVMValueRef j1 = LLVMBuildAdd(g->b, j, bb_c64(g, 1), "");
  LLVMBasicBlockRef nb = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntULT, j1, bb_c64(g, t->dsize), ""), loop, done);
  LLVMValueRef jv[2] = {bb_c64(g, 0), j1};
  LLVMBasicBlockRef jb[2] = {pre, nb};
  LLVMAddIncoming(j, jv, jb, 2);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef r = LLVMBuildPhi(g->b, g->i1, "");
  LLVMValueRef rv[2] = {hit, LLVMConstInt(g->i1, 0, false)};
  LLVMBasicBlockRef rb[2] = {body, nb};
  LLVMAddIncoming(r, rv, rb, 2);
  return LLVMBuildAnd(g->b, r, LLVMBuildICmp(g->b, LLVMIntNE, c, bb_c64(g, 0), ""), "");
}

/* one character of strsep's scan from the saved position */
static LLVMValueRef tok_at(Fn *F, LLVMValueRef k, void *ctx) {
  Gen *g = F->g;
  Tok *t = ctx;
  LLVMValueRef pos = LLVMBuildAdd(g->b, load_word(F, t->start), k, "");
  LLVMBasicBlockRef entry = LLVMGetInsertBlock(g->b), go = bb_block(g, "tok.go"), end = bb_block(g, "tok.end");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, pos, bb_c64(g, t->max - 1), ""), end, go);
  LLVMPositionBuilderAtEnd(g->b, go);
  LLVMValueRef c = byte_at(F, t->saved, pos, t->max);
  LLVMValueRef nul = LLVMBuildICmp(g->b, LLVMIntEQ, c, bb_c64(g, 0), "");
  LLVMValueRef delim = is_delim(F, t, c);
  LLVMValueRef in = LLVMBuildICmp(g->b, LLVMIntSGE, load_word(F, t->tstart), bb_c64(g, 0), "");
  LLVMBasicBlockRef intok = bb_block(g, "tok.in"), outtok = bb_block(g, "tok.out"), more = bb_block(g, "tok.more");
  LLVMBasicBlockRef fin = bb_block(g, "tok.fin");
  LLVMBuildCondBr(g->b, in, intok, outtok);
  /* before a token: skip delimiters; the end means no token */
  LLVMPositionBuilderAtEnd(g->b, outtok);
  LLVMBasicBlockRef begin = bb_block(g, "tok.begin"), notnul = bb_block(g, "tok.notnul");
  LLVMBuildCondBr(g->b, nul, fin, notnul);
  LLVMPositionBuilderAtEnd(g->b, notnul);
  LLVMBuildCondBr(g->b, delim, more, begin);
  LLVMPositionBuilderAtEnd(g->b, begin);
  store_word(F, t->tstart, pos);
  LLVMBuildBr(g->b, more);
  /* in a token: it ends at a delimiter (the scan goes on after it next time) or at the end */
  LLVMPositionBuilderAtEnd(g->b, intok);
  LLVMBasicBlockRef atdelim = bb_block(g, "tok.delim"), check = bb_block(g, "tok.check");
  LLVMBuildCondBr(g->b, nul, fin, check);
  LLVMPositionBuilderAtEnd(g->b, check);
  LLVMBuildCondBr(g->b, delim, atdelim, more);
  LLVMPositionBuilderAtEnd(g->b, atdelim);
  store_word(F, t->tend, pos);
  store_word(F, t->start, LLVMBuildAdd(g->b, pos, bb_c64(g, 1), ""));
  LLVMBuildBr(g->b, end);
  LLVMPositionBuilderAtEnd(g->b, fin);
  store_word(F, t->tend, pos);
  store_word(F, t->start, bb_c64(g, -1));
  LLVMBuildBr(g->b, end);
  LLVMPositionBuilderAtEnd(g->b, more);
  LLVMBuildBr(g->b, end);
  LLVMPositionBuilderAtEnd(g->b, end);
  LLVMValueRef r = LLVMBuildPhi(g->b, g->i1, "");
  LLVMValueRef rv[4] = {LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 0, false),
                        LLVMConstInt(g->i1, 1, false)};
  LLVMBasicBlockRef rb[4] = {entry, atdelim, fin, more};
  LLVMAddIncoming(r, rv, rb, 4);
  return r;
}

/* rt_bi_tokenize: a non-empty input replaces the saved one; then the next
 * non-empty token, "" when the input is used up.  The state is the
 * handler's, kept in this CPU's scratch between hits. */
static LLVMValueRef emit_tokenize(Fn *F, const IrInst *i, bool next_only) {
  Gen *g = F->g;
  Tok t = {.saved = F->tok_off, .start = F->tok_start, .max = (uint32_t)g->l->maxstringlen};
  if (!next_only) {
    const IrInst *in = i->args[0];
    LLVMValueRef c0 = LLVMBuildLoad2(g->b, g->i8, V(in), "");
    LLVMBasicBlockRef set = bb_block(g, "tok.set"), go = bb_block(g, "tok.go");
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, c0, c8(g, 0), ""), set, go);
    LLVMPositionBuilderAtEnd(g->b, set);
    fn_str_copy(F, fn_scratch_at(F, t.saved), t.max, V(in));
    store_word(F, t.start, bb_c64(g, 0));
    LLVMBuildBr(g->b, go);
    LLVMPositionBuilderAtEnd(g->b, go);
  }
  t.delim = copy_of(F, i->args[next_only ? 0 : 1], &t.dsize);
  t.tstart = fn_scratch_alloc(F, 8), t.tend = fn_scratch_alloc(F, 8);
  store_word(F, t.tstart, bb_c64(g, -1));
  LLVMBasicBlockRef scan = bb_block(g, "tok.scan"), done = bb_block(g, "tok.done");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, load_word(F, t.start), bb_c64(g, 0), ""), scan, done);
  LLVMPositionBuilderAtEnd(g->b, scan);
  loop_callback(F, "tokenize", t.max, tok_at, &t);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  uint32_t b = fn_str_bound(F, i);
  LLVMValueRef dst = fn_str_region(F, i);
  LLVMBuildStore(g->b, c8(g, 0), dst);
  LLVMValueRef ts = load_word(F, t.tstart);
  LLVMBasicBlockRef copy = bb_block(g, "tok.copy"), out = bb_block(g, "tok.result");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, ts, bb_c64(g, 0), ""), copy, out);
  LLVMPositionBuilderAtEnd(g->b, copy);
  LLVMValueRef cnt = str_clamp(F, LLVMBuildAdd(g->b, LLVMBuildSub(g->b, load_word(F, t.tend), ts, ""), bb_c64(g, 1), ""), b);
  read_str_n(F, fn_str_region(F, i), cnt, LLVMBuildAdd(g->b, str_addr(F, fn_scratch_at(F, t.saved)), ts, ""));
  LLVMBuildBr(g->b, out);
  LLVMPositionBuilderAtEnd(g->b, out);
  return fn_str_region(F, i);
}

/* ---- strtol, toupper, tolower ------------------------------------------------------------------- */

typedef struct Num {
  uint32_t s, size;     /* the copy */
  uint32_t pos, base, v; /* words */
} Num;

static LLVMValueRef num_at(Fn *F, LLVMValueRef k, void *ctx) {
  Gen *g = F->g;
  Num *n = ctx;
  LLVMValueRef p = LLVMBuildAdd(g->b, load_word(F, n->pos), k, "");
  LLVMBasicBlockRef entry = LLVMGetInsertBlock(g->b), go = bb_block(g, "num.go"), end = bb_block(g, "num.end");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, p, bb_c64(g, n->size), ""), end, go);
  LLVMPositionBuilderAtEnd(g->b, go);
  LLVMValueRef c = byte_at(F, n->s, p, n->size);
  LLVMValueRef lc = LLVMBuildOr(g->b, c, bb_c64(g, 0x20), "");
  LLVMValueRef dec = in_range(g, c, '0', '9'), hex = in_range(g, lc, 'a', 'f');
  LLVMValueRef d = LLVMBuildSelect(g->b, dec, LLVMBuildSub(g->b, c, bb_c64(g, '0'), ""),
                                   LLVMBuildSub(g->b, lc, bb_c64(g, 'a' - 10), ""), "");
  LLVMValueRef base = load_word(F, n->base);
  LLVMValueRef ok = LLVMBuildAnd(g->b, LLVMBuildOr(g->b, dec, hex, ""), LLVMBuildICmp(g->b, LLVMIntULT, d, base, ""), "");
  LLVMBasicBlockRef add = bb_block(g, "num.add"), test = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, ok, add, end);
  LLVMPositionBuilderAtEnd(g->b, add);
  store_word(F, n->v, LLVMBuildAdd(g->b, LLVMBuildMul(g->b, load_word(F, n->v), base, ""), d, ""));
  LLVMBuildBr(g->b, end);
  LLVMPositionBuilderAtEnd(g->b, end);
  LLVMValueRef r = LLVMBuildPhi(g->b, g->i1, "");
  LLVMValueRef rv[3] = {LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 1, false)};
  LLVMBasicBlockRef rb[3] = {entry, test, add};
  LLVMAddIncoming(r, rv, rb, 3);
  return r;
}

/* rt_bi_strtol: the kernel's simple_strtol (base 0: 0x.. hex, 0.. octal, else decimal). */
static LLVMValueRef emit_strtol(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  Num n;
  uint32_t sz;
  uint32_t src = copy_of(F, i->args[0], &sz);
  n.size = sz < 8 ? 8 : sz;
  n.s = fn_scratch_alloc(F, n.size);
  fn_zero_fill(F, fn_scratch_at(F, n.s), n.size);
  fn_str_copy(F, fn_scratch_at(F, n.s), sz, fn_scratch_at(F, src));
  n.pos = fn_scratch_alloc(F, 8), n.base = fn_scratch_alloc(F, 8), n.v = fn_scratch_alloc(F, 8);
  LLVMValueRef b[4];
  for (int k = 0; k < 4; k++)
    b[k] = LLVMBuildZExt(g->b, LLVMBuildLoad2(g->b, g->i8, bb_gep(g, fn_scratch_at(F, n.s), (uint64_t)k), ""),
                         g->i64, "");
  LLVMValueRef neg = LLVMBuildICmp(g->b, LLVMIntEQ, b[0], bb_c64(g, '-'), "");
  LLVMValueRef p0 = LLVMBuildSelect(g->b, neg, b[1], b[0], ""), p1 = LLVMBuildSelect(g->b, neg, b[2], b[1], "");
  LLVMValueRef p2 = LLVMBuildSelect(g->b, neg, b[3], b[2], "");
  LLVMValueRef pos = LLVMBuildZExt(g->b, neg, g->i64, "");
  LLVMValueRef base = LLVMBuildAnd(g->b, V(i->args[1]), bb_c64(g, 0xffffffff), ""); /* an unsigned int */
  LLVMValueRef zero = LLVMBuildICmp(g->b, LLVMIntEQ, p0, bb_c64(g, '0'), "");
  LLVMValueRef x = LLVMBuildICmp(g->b, LLVMIntEQ, LLVMBuildOr(g->b, p1, bb_c64(g, 0x20), ""), bb_c64(g, 'x'), "");
  LLVMValueRef p2hex = LLVMBuildOr(g->b, in_range(g, p2, '0', '9'),
                                   in_range(g, LLVMBuildOr(g->b, p2, bb_c64(g, 0x20), ""), 'a', 'f'), "");
  LLVMValueRef guess = LLVMBuildSelect(
      g->b, zero, LLVMBuildSelect(g->b, LLVMBuildAnd(g->b, x, p2hex, ""), bb_c64(g, 16), bb_c64(g, 8), ""),
      bb_c64(g, 10), "");
  base = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, base, bb_c64(g, 0), ""), guess, base, "");
  LLVMValueRef skip = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, base, bb_c64(g, 16), ""),
                                   LLVMBuildAnd(g->b, zero, x, ""), "");
  pos = LLVMBuildAdd(g->b, pos, LLVMBuildSelect(g->b, skip, bb_c64(g, 2), bb_c64(g, 0), ""), "");
  store_word(F, n.pos, pos);
  store_word(F, n.base, base);
  store_word(F, n.v, bb_c64(g, 0));
  loop_callback(F, "strtol", n.size, num_at, &n);
  LLVMValueRef v = load_word(F, n.v);
  return LLVMBuildSelect(g->b, neg, LLVMBuildNeg(g->b, v, ""), v, "");
}

typedef struct Case {
  uint32_t s, size, n;
  bool upper;
} Case;

static LLVMValueRef case_at(Fn *F, LLVMValueRef k, void *ctx) {
  Gen *g = F->g;
  Case *c = ctx;
  LLVMBasicBlockRef entry = LLVMGetInsertBlock(g->b), go = bb_block(g, "case.go"), end = bb_block(g, "case.end");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, k, load_word(F, c->n), ""), end, go);
  LLVMPositionBuilderAtEnd(g->b, go);
  LLVMValueRef idx = str_clamp(F, k, c->size - 1);
  LLVMValueRef p = bb_gep_var(g, fn_scratch_at(F, c->s), idx);
  LLVMValueRef ch = LLVMBuildZExt(g->b, LLVMBuildLoad2(g->b, g->i8, p, ""), g->i64, "");
  LLVMValueRef hit = c->upper ? in_range(g, ch, 'a', 'z') : in_range(g, ch, 'A', 'Z');
  LLVMValueRef to = LLVMBuildXor(g->b, ch, bb_c64(g, 0x20), "");
  LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, LLVMBuildSelect(g->b, hit, to, ch, ""), g->i8, ""), p);
  go = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, end);
  LLVMPositionBuilderAtEnd(g->b, end);
  LLVMValueRef r = LLVMBuildPhi(g->b, g->i1, "");
  LLVMValueRef rv[2] = {LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 1, false)};
  LLVMBasicBlockRef rb[2] = {entry, go};
  LLVMAddIncoming(r, rv, rb, 2);
  return r;
}

static LLVMValueRef emit_case(Fn *F, const IrInst *i, bool upper) {
  Gen *g = F->g;
  Case c = {.size = fn_str_bound(F, i), .upper = upper};
  LLVMValueRef dst = fn_str_region(F, i);
  c.s = F->soff[i->id];
  c.n = fn_scratch_alloc(F, 8);
  LLVMValueRef n = LLVMBuildSub(g->b, bb_read_str(g, dst, c.size, V(i->args[0])), bb_c64(g, 1), "");
  store_word(F, c.n, n);
  loop_callback(F, upper ? "toupper" : "tolower", c.size, case_at, &c);
  return fn_str_region(F, i);
}

/* ---- errno_str ---------------------------------------------------------------------------------- */

enum { ERRNO_MAX = 256, ERRNO_SLOT = 24 };

/* "ENOENT" for 2, "E#3333" out of range, as rt_bi_errno_str: its names,
 * computed here once into a .rodata table. */
static LLVMValueRef emit_errno_str(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  static char table[ERRNO_MAX][ERRNO_SLOT];
  static int nnames;
  if (!nnames) {
    RtCtx c;
    if (rt_ctx_init(&c, NULL, NULL) != 0) {
      F->failed = true;
      return NULL;
    }
    for (int e = 1; e < ERRNO_MAX; e++) {
      const char *s = rt_bi_errno_str(&c, e);
      if (s[0] == 'E' && s[1] != '#' && strlen(s) < ERRNO_SLOT) snprintf(table[e], ERRNO_SLOT, "%s", s);
    }
    rt_ctx_fini(&c);
    nnames = ERRNO_MAX;
  }
  LLVMTypeRef t = LLVMArrayType(g->i8, sizeof table);
  LLVMValueRef tab = LLVMAddGlobal(g->mod, t, "");
  LLVMSetInitializer(tab, LLVMConstStringInContext(g->ctx, &table[0][0], sizeof table, true));
  LLVMSetGlobalConstant(tab, true);
  LLVMSetLinkage(tab, LLVMPrivateLinkage);
  LLVMSetSection(tab, ".rodata");
  uint32_t b = fn_str_bound(F, i);
  LLVMValueRef v = V(i->args[0]);
  LLVMValueRef e = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, v, bb_c64(g, 0), ""),
                                   LLVMBuildNeg(g->b, v, ""), v, "");
  LLVMValueRef dst = fn_str_region(F, i);
  LLVMBuildStore(g->b, c8(g, 0), dst);
  LLVMBasicBlockRef named = bb_block(g, "errno.named"), num = bb_block(g, "errno.num"), done = bb_block(g, "errno.done");
  LLVMBasicBlockRef look = bb_block(g, "errno.look");
  LLVMValueRef in = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntUGT, e, bb_c64(g, 0), ""),
                                 LLVMBuildICmp(g->b, LLVMIntULT, e, bb_c64(g, ERRNO_MAX), ""), "");
  LLVMBuildCondBr(g->b, in, look, num);
  LLVMPositionBuilderAtEnd(g->b, look);
  LLVMValueRef src = LLVMBuildAdd(g->b, str_addr(F, tab), LLVMBuildMul(g->b, e, bb_c64(g, ERRNO_SLOT), ""), "");
  LLVMValueRef n = read_str_n(F, fn_str_region(F, i), bb_c64(g, b < ERRNO_SLOT ? b : ERRNO_SLOT), src);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, n, bb_c64(g, 1), ""), named, num);
  LLVMPositionBuilderAtEnd(g->b, named);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, num);
  fmt_number(F, F->soff[i->id], b, "E#", e);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  return fn_str_region(F, i);
}

/* ---- text_str, text_strn, string_quoted -------------------------------------------------------- */

typedef struct Text {
  uint32_t in, isize;        /* the input's copy, zero-padded past MAXSTRINGLEN */
  uint32_t out, osize;       /* the result's region */
  uint32_t tmp;              /* 16 bytes: one character's escape */
  uint32_t ip, inlen, outlen, op, cp, esc, esc_len; /* words */
  uint32_t max;
} Text;

static LLVMValueRef ld_in(Fn *F, const Text *t, LLVMValueRef idx) { return byte_at(F, t->in, idx, t->isize); }

static LLVMValueRef hex_digit(Gen *g, LLVMValueRef v) {
  v = LLVMBuildAnd(g->b, v, bb_c64(g, 15), "");
  return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntULT, v, bb_c64(g, 10), ""),
                         LLVMBuildAdd(g->b, v, bb_c64(g, '0'), ""), LLVMBuildAdd(g->b, v, bb_c64(g, 'a' - 10), ""), "");
}

static LLVMValueRef eqc(Gen *g, LLVMValueRef a, int64_t b) { return LLVMBuildICmp(g->b, LLVMIntEQ, a, bb_c64(g, b), ""); }
static LLVMValueRef and3(Gen *g, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  return LLVMBuildAnd(g->b, LLVMBuildAnd(g->b, a, b, ""), c, "");
}

/* one character of _stp_text_str's loop: decode, escape, append */
static LLVMValueRef text_at(Fn *F, LLVMValueRef k, void *ctx) {
  Gen *g = F->g;
  Text *t = ctx;
  (void)k;
  LLVMBasicBlockRef entry = LLVMGetInsertBlock(g->b), go = bb_block(g, "txt.go"), end = bb_block(g, "txt.end");
  LLVMValueRef inlen = load_word(F, t->inlen);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLE, inlen, bb_c64(g, 0), ""), end, go);
  LLVMPositionBuilderAtEnd(g->b, go);
  LLVMValueRef ip = load_word(F, t->ip);
  LLVMValueRef b[4];
  for (int j = 0; j < 4; j++) b[j] = ld_in(F, t, LLVMBuildAdd(g->b, ip, bb_c64(g, j), ""));
  /* decode_utf8 */
  LLVMValueRef two = LLVMBuildAnd(g->b, eqc(g, LLVMBuildAnd(g->b, b[0], bb_c64(g, 0xE0), ""), 0xC0),
                                  LLVMBuildICmp(g->b, LLVMIntSGE, inlen, bb_c64(g, 2), ""), "");
  LLVMValueRef three = LLVMBuildAnd(g->b, eqc(g, LLVMBuildAnd(g->b, b[0], bb_c64(g, 0xF0), ""), 0xE0),
                                    LLVMBuildICmp(g->b, LLVMIntSGE, inlen, bb_c64(g, 3), ""), "");
  LLVMValueRef four = LLVMBuildAnd(g->b, eqc(g, LLVMBuildAnd(g->b, b[0], bb_c64(g, 0xF8), ""), 0xF0),
                                   LLVMBuildICmp(g->b, LLVMIntSGE, inlen, bb_c64(g, 4), ""), "");
  three = LLVMBuildAnd(g->b, three, LLVMBuildNot(g->b, two, ""), "");
  four = LLVMBuildAnd(g->b, four, LLVMBuildNot(g->b, LLVMBuildOr(g->b, two, three, ""), ""), "");
  LLVMValueRef cont[4];
  for (int j = 1; j < 4; j++) cont[j] = eqc(g, LLVMBuildAnd(g->b, b[j], bb_c64(g, 0xC0), ""), 0x80);
  LLVMValueRef lead = LLVMBuildSelect(g->b, two, LLVMBuildAnd(g->b, b[0], bb_c64(g, 0x1F), ""),
                                      LLVMBuildSelect(g->b, three, LLVMBuildAnd(g->b, b[0], bb_c64(g, 0xF), ""),
                                                      LLVMBuildAnd(g->b, b[0], bb_c64(g, 7), ""), ""), "");
  LLVMValueRef c1 = LLVMBuildOr(g->b, LLVMBuildShl(g->b, lead, bb_c64(g, 6), ""), LLVMBuildAnd(g->b, b[1], bb_c64(g, 0x3F), ""), "");
  LLVMValueRef c2 = LLVMBuildOr(g->b, LLVMBuildShl(g->b, c1, bb_c64(g, 6), ""), LLVMBuildAnd(g->b, b[2], bb_c64(g, 0x3F), ""), "");
  LLVMValueRef c3 = LLVMBuildOr(g->b, LLVMBuildShl(g->b, c2, bb_c64(g, 6), ""), LLVMBuildAnd(g->b, b[3], bb_c64(g, 0x3F), ""), "");
  LLVMValueRef cm = LLVMBuildSelect(g->b, two, c1, LLVMBuildSelect(g->b, three, c2, c3, ""), "");
  LLVMValueRef ok = LLVMBuildSelect(g->b, two, cont[1],
                                    LLVMBuildSelect(g->b, three, LLVMBuildAnd(g->b, cont[1], cont[2], ""),
                                                    and3(g, cont[1], cont[2], cont[3]), ""), "");
  LLVMValueRef bad = LLVMBuildOr(g->b, in_range(g, cm, 0xD800, 0xDFFF), LLVMBuildICmp(g->b, LLVMIntUGT, cm, bb_c64(g, 0x10FFFF), ""), "");
  bad = LLVMBuildOr(g->b, bad, LLVMBuildICmp(g->b, LLVMIntULT, cm, bb_c64(g, 0x80), ""), "");
  bad = LLVMBuildOr(g->b, bad, LLVMBuildAnd(g->b, three, LLVMBuildICmp(g->b, LLVMIntULT, cm, bb_c64(g, 0x800), ""), ""), "");
  bad = LLVMBuildOr(g->b, bad, LLVMBuildAnd(g->b, four, LLVMBuildICmp(g->b, LLVMIntULT, cm, bb_c64(g, 0x10000), ""), ""), "");
  LLVMValueRef multi = and3(g, LLVMBuildOr(g->b, LLVMBuildOr(g->b, two, three, ""), four, ""), ok,
                            LLVMBuildNot(g->b, bad, ""));
  LLVMValueRef n = LLVMBuildSelect(g->b, multi, LLVMBuildSelect(g->b, two, bb_c64(g, 2), LLVMBuildSelect(g->b, three, bb_c64(g, 3), bb_c64(g, 4), ""), ""), bb_c64(g, 1), "");
  LLVMValueRef c = LLVMBuildSelect(g->b, multi, cm, b[0], "");
  store_word(F, t->cp, c);
  LLVMValueRef outlen = load_word(F, t->outlen);
  LLVMBasicBlockRef esc = bb_block(g, "txt.esc"), stop1 = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, LLVMBuildOr(g->b, eqc(g, c, 0), LLVMBuildICmp(g->b, LLVMIntSLE, outlen, bb_c64(g, 0), ""), ""), end, esc);
  LLVMPositionBuilderAtEnd(g->b, esc);
  store_word(F, t->ip, LLVMBuildAdd(g->b, ip, n, ""));
  store_word(F, t->inlen, LLVMBuildSub(g->b, inlen, n, ""));
  /* escape(): \u/\U for a decoded character, else the byte itself, a short escape or octal */
  LLVMValueRef big = LLVMBuildICmp(g->b, LLVMIntUGT, c, bb_c64(g, 0xFFFF), "");
  LLVMValueRef plain = and3(g, in_range(g, c, 0x20, 0x7E), LLVMBuildICmp(g->b, LLVMIntNE, c, bb_c64(g, '"'), ""),
                            LLVMBuildICmp(g->b, LLVMIntNE, c, bb_c64(g, '\\'), ""));
  static const char from[] = "\a\b\f\n\r\t\v\"\\", to[] = "abfnrtv\"\\";
  LLVMValueRef short_ = LLVMConstInt(g->i1, 0, false), letter = bb_c64(g, 0);
  for (size_t j = 0; j < sizeof from - 1; j++) {
    LLVMValueRef is = eqc(g, c, (unsigned char)from[j]);
    short_ = LLVMBuildOr(g->b, short_, is, "");
    letter = LLVMBuildSelect(g->b, is, bb_c64(g, to[j]), letter, "");
  }
  LLVMValueRef num = LLVMBuildSelect(
      g->b, multi, LLVMBuildSelect(g->b, big, bb_c64(g, 10), bb_c64(g, 6), ""),
      LLVMBuildSelect(g->b, plain, bb_c64(g, 1), LLVMBuildSelect(g->b, short_, bb_c64(g, 2), bb_c64(g, 4), ""), ""), "");
  LLVMValueRef e[11];
  for (int j = 0; j < 11; j++) e[j] = bb_c64(g, 0);
  /* \uXXXX / \UXXXXXXXX */
  LLVMValueRef u[10];
  u[0] = bb_c64(g, '\\');
  u[1] = LLVMBuildSelect(g->b, big, bb_c64(g, 'U'), bb_c64(g, 'u'), "");
  for (int j = 0; j < 8; j++) {
    LLVMValueRef h8 = hex_digit(g, LLVMBuildLShr(g->b, c, bb_c64(g, 4 * (7 - j)), ""));
    LLVMValueRef h4 = j < 4 ? hex_digit(g, LLVMBuildLShr(g->b, c, bb_c64(g, 4 * (3 - j)), "")) : bb_c64(g, 0);
    u[2 + j] = LLVMBuildSelect(g->b, big, h8, h4, "");
  }
  LLVMValueRef o[4] = {bb_c64(g, '\\'),
                       LLVMBuildAdd(g->b, bb_c64(g, '0'), LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, c, bb_c64(g, 6), ""), bb_c64(g, 3), ""), ""),
                       LLVMBuildAdd(g->b, bb_c64(g, '0'), LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, c, bb_c64(g, 3), ""), bb_c64(g, 7), ""), ""),
                       LLVMBuildAdd(g->b, bb_c64(g, '0'), LLVMBuildAnd(g->b, c, bb_c64(g, 7), ""), "")};
  LLVMValueRef sh[2] = {bb_c64(g, '\\'), letter};
  for (int j = 0; j < 10; j++) {
    LLVMValueRef single = j == 0 ? LLVMBuildSelect(g->b, plain, c, LLVMBuildSelect(g->b, short_, sh[0], o[0], ""), "")
                          : j == 1 ? LLVMBuildSelect(g->b, plain, bb_c64(g, 0), LLVMBuildSelect(g->b, short_, sh[1], o[1], ""), "")
                          : j < 4 ? LLVMBuildSelect(g->b, LLVMBuildOr(g->b, plain, short_, ""), bb_c64(g, 0), o[j], "")
                                  : bb_c64(g, 0);
    e[j] = LLVMBuildSelect(g->b, multi, u[j], single, "");
  }
  LLVMValueRef tp = fn_scratch_at(F, t->tmp);
  for (int j = 0; j < 11; j++) LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, e[j], g->i8, ""), bb_gep(g, tp, (uint64_t)j));
  /* the first escape that might have to be cut whole */
  LLVMValueRef op = load_word(F, t->op);
  LLVMValueRef first = and3(g, LLVMBuildICmp(g->b, LLVMIntSGT, num, bb_c64(g, 1), ""),
                            LLVMBuildICmp(g->b, LLVMIntSLT, load_word(F, t->esc), bb_c64(g, 0), ""),
                            LLVMBuildICmp(g->b, LLVMIntSLT, LLVMBuildSub(g->b, outlen, bb_c64(g, 3), ""), num, ""));
  store_word(F, t->esc, LLVMBuildSelect(g->b, first, op, load_word(F, t->esc), ""));
  store_word(F, t->esc_len, LLVMBuildSelect(g->b, first, num, load_word(F, t->esc_len), ""));
  LLVMBasicBlockRef put = bb_block(g, "txt.put"), stop2 = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, outlen, num, ""), end, put);
  LLVMPositionBuilderAtEnd(g->b, put);
  LLVMValueRef at = str_clamp(F, op, t->osize - 1);
  LLVMValueRef room = LLVMBuildSub(g->b, bb_c64(g, t->osize - 1), at, "");
  LLVMValueRef cnt = str_clamp(F, LLVMBuildAdd(g->b, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntULT, num, room, ""), num, room, ""), bb_c64(g, 1), ""), t->osize);
  read_str_n(F, bb_gep_var(g, fn_scratch_at(F, t->out), at), cnt, str_addr(F, fn_scratch_at(F, t->tmp)));
  store_word(F, t->op, LLVMBuildAdd(g->b, load_word(F, t->op), num, ""));
  store_word(F, t->outlen, LLVMBuildSub(g->b, load_word(F, t->outlen), num, ""));
  LLVMBasicBlockRef more = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, end);
  LLVMPositionBuilderAtEnd(g->b, end);
  LLVMValueRef r = LLVMBuildPhi(g->b, g->i1, "");
  LLVMValueRef rv[4] = {LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 0, false),
                        LLVMConstInt(g->i1, 1, false)};
  LLVMBasicBlockRef rb[4] = {entry, stop1, stop2, more};
  LLVMAddIncoming(r, rv, rb, 4);
  return r;
}

/* _stp_text_str(in, inlen, outlen, quoted): printable text with C escapes,
 * \u/\U for UTF-8 characters, at most outlen bytes; quoted: in double
 * quotes, and '...' after them when the input did not fit, never cutting
 * an escape in half. */
static LLVMValueRef emit_text(Fn *F, const IrInst *i, LLVMValueRef outlen, bool quoted_known, LLVMValueRef quoted) {
  Gen *g = F->g;
  Text t = {.max = (uint32_t)g->l->maxstringlen};
  int64_t max = t.max - 1;
  t.isize = t.max + 8;
  t.in = fn_scratch_alloc(F, t.isize);
  fn_zero_fill(F, fn_scratch_at(F, t.in), t.isize);
  fn_str_copy(F, fn_scratch_at(F, t.in), t.max, V(i->args[0]));
  t.osize = fn_str_bound(F, i);
  fn_str_region(F, i);
  t.out = F->soff[i->id];
  t.tmp = fn_scratch_alloc(F, 16);
  t.ip = fn_scratch_alloc(F, 8), t.inlen = fn_scratch_alloc(F, 8), t.outlen = fn_scratch_alloc(F, 8);
  t.op = fn_scratch_alloc(F, 8), t.cp = fn_scratch_alloc(F, 8), t.esc = fn_scratch_alloc(F, 8);
  t.esc_len = fn_scratch_alloc(F, 8);
  outlen = LLVMBuildSelect(g->b, LLVMBuildOr(g->b, LLVMBuildICmp(g->b, LLVMIntSLE, outlen, bb_c64(g, 0), ""),
                                               LLVMBuildICmp(g->b, LLVMIntSGT, outlen, bb_c64(g, max), ""), ""),
                           bb_c64(g, max), outlen, "");
  if (!quoted_known) quoted = LLVMConstInt(g->i1, 0, false);
  LLVMValueRef q5 = LLVMBuildSub(g->b, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, outlen, bb_c64(g, 5), ""),
                                                       outlen, bb_c64(g, 5), ""), bb_c64(g, 2), "");
  store_word(F, t.outlen, LLVMBuildSelect(g->b, quoted, q5, outlen, ""));
  store_word(F, t.ip, bb_c64(g, 0));
  store_word(F, t.inlen, bb_c64(g, max));
  store_word(F, t.op, LLVMBuildZExt(g->b, quoted, g->i64, ""));
  store_word(F, t.cp, bb_c64(g, 0));
  store_word(F, t.esc, bb_c64(g, -1));
  store_word(F, t.esc_len, bb_c64(g, 0));
  LLVMValueRef o = fn_scratch_at(F, t.out);
  LLVMBuildStore(g->b, LLVMBuildSelect(g->b, quoted, c8(g, '"'), c8(g, 0), ""), o);
  LLVMBuildStore(g->b, c8(g, 0), bb_gep(g, o, 1));
  loop_callback(F, "text", t.max, text_at, &t);
  LLVMBasicBlockRef q = bb_block(g, "txt.quote"), done = bb_block(g, "txt.done");
  LLVMBuildCondBr(g->b, quoted, q, done);
  LLVMPositionBuilderAtEnd(g->b, q);
  LLVMValueRef cut_ = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntNE, load_word(F, t.cp), bb_c64(g, 0), ""),
                                   LLVMBuildICmp(g->b, LLVMIntSGT, load_word(F, t.inlen), bb_c64(g, 0), ""), "");
  LLVMValueRef op = load_word(F, t.op);
  LLVMValueRef cut = LLVMBuildAdd(g->b, LLVMBuildSub(g->b, op, bb_c64(g, 3), ""), load_word(F, t.outlen), "");
  LLVMValueRef esc = load_word(F, t.esc), elen = load_word(F, t.esc_len);
  LLVMValueRef in_esc = and3(g, LLVMBuildICmp(g->b, LLVMIntSGE, esc, bb_c64(g, 0), ""),
                             LLVMBuildICmp(g->b, LLVMIntSLT, esc, cut, ""),
                             LLVMBuildICmp(g->b, LLVMIntSLT, cut, LLVMBuildAdd(g->b, esc, elen, ""), ""));
  LLVMValueRef at = LLVMBuildSelect(g->b, cut_, LLVMBuildSelect(g->b, in_esc, esc, cut, ""), op, "");
  LLVMValueRef tail = LLVMBuildSelect(g->b, cut_, str_addr(F, gen_rodata_str(g, "\"...", 5)),
                                      str_addr(F, gen_rodata_str(g, "\"", 2)), "");
  at = str_clamp(F, at, t.osize - 1);
  LLVMValueRef room = LLVMBuildSub(g->b, bb_c64(g, t.osize), at, "");
  LLVMValueRef cnt = str_clamp(F, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntULT, room, bb_c64(g, 5), ""), room,
                                                  bb_c64(g, 5), ""), t.osize);
  read_str_n(F, bb_gep_var(g, fn_scratch_at(F, t.out), at), cnt, tail);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  return fn_str_region(F, i);
}

/* ---- the table ----------------------------------------------------------------------------------- */

LLVMValueRef str_emit_builtin(Fn *F, const IrInst *i, bool *ok) {
  const char *name = ((const IrBuiltin *)i->aux)->name;
  *ok = true;
  if (!strcmp(name, "strlen")) return str_len(F, V(i->args[0]), fn_obj_size(F, i->args[0]));
  if (!strcmp(name, "substr")) return emit_substr(F, i);
  if (!strcmp(name, "stringat")) return emit_stringat(F, i);
  if (!strcmp(name, "strpos")) return emit_strpos(F, i);
  if (!strcmp(name, "str_replace")) return emit_str_replace(F, i);
  if (!strcmp(name, "tokenize")) return emit_tokenize(F, i, false);
  if (!strcmp(name, "tokenize_next")) return emit_tokenize(F, i, true);
  if (!strcmp(name, "strtol")) return emit_strtol(F, i);
  if (!strcmp(name, "toupper")) return emit_case(F, i, true);
  if (!strcmp(name, "tolower")) return emit_case(F, i, false);
  if (!strcmp(name, "errno_str")) return emit_errno_str(F, i);
  if (!strcmp(name, "text_str")) return emit_text(F, i, bb_c64(F->g, 0), false, NULL);
  if (!strcmp(name, "string_quoted"))
    return emit_text(F, i, bb_c64(F->g, F->g->l->maxstringlen), true, LLVMConstInt(F->g->i1, 1, false));
  if (!strcmp(name, "text_strn")) { /* rt_bi_text_strn: len clamped to [0, MAXSTRINGLEN] */
    Gen *g = F->g;
    LLVMValueRef len = V(i->args[1]);
    len = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, len, bb_c64(g, 0), ""), bb_c64(g, 0), len, "");
    len = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, len, bb_c64(g, g->l->maxstringlen), ""),
                          bb_c64(g, g->l->maxstringlen), len, "");
    return emit_text(F, i, len, true, LLVMBuildICmp(g->b, LLVMIntNE, V(i->args[2]), bb_c64(g, 0), ""));
  }
  *ok = false;
  return NULL;
}

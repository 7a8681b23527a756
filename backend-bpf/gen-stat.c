/* gen-stat.c: statistics in kernel probes: <<<, the extractors (@count,
 * @sum, @min, @max, @avg, @variance), histogram buckets, and delete.
 *
 * Each CPU updates its own cell (RtStatCell, the runtime's layout) of a
 * per-CPU map with the runtime's arithmetic (runtime/stat.c rt_stat_add).
 * An extractor folds every CPU's cell, read with
 * bpf_map_lookup_percpu_elem in a callback over the CPUs, into an
 * accumulator in scratch, exactly as the host reads the same map: a scalar
 * statistic with rt_stat_aggregate's formulas (two passes when @variance
 * needs the mean first), an array element with rt_stat_merge folded in CPU
 * order.  So a value extracted in a kernel probe is the one an end probe
 * would see at that moment.
 */
#include "gen-fn.h"

#include <linux/bpf.h>
#include <stddef.h>
#include <stdlib.h>

enum { COUNT = 0, SUM = 8, MIN = 16, MAX = 24, AVG = 32, M2 = 40, VAR = 48, HIST = 56 };

/* rt_div64: C division, 0 for a zero divisor, INT64_MIN / -1 wraps. */
static LLVMValueRef div64(Gen *g, LLVMValueRef x, LLVMValueRef y) {
  LLVMValueRef zero = LLVMBuildICmp(g->b, LLVMIntEQ, y, bb_c64(g, 0), "");
  LLVMValueRef q = bb_sdiv(g, x, LLVMBuildSelect(g->b, zero, bb_c64(g, 1), y, ""));
  return LLVMBuildSelect(g->b, zero, bb_c64(g, 0), q, "");
}

/* n * (a - mean)^2, wrapping */
static LLVMValueRef sq_dev(Gen *g, LLVMValueRef n, LLVMValueRef a, LLVMValueRef mean) {
  LLVMValueRef dev = LLVMBuildSub(g->b, a, mean, "");
  return LLVMBuildMul(g->b, n, LLVMBuildMul(g->b, dev, dev, ""), "");
}

/* ---- <<< --------------------------------------------------------------------------------------- */

/* rt_stat_add on the cell at c (this CPU's), as runtime/stat.c does it. */
static void stat_add_cell(Fn *F, LLVMValueRef c, const RtStatDesc *d, LLVMValueRef v) {
  Gen *g = F->g;
  LLVMValueRef vs = d->shift ? LLVMBuildShl(g->b, v, bb_c64(g, d->shift), "") : v;
  LLVMValueRef count = bb_load64(g, c, COUNT);
  LLVMBasicBlockRef first = bb_block(g, "st.first"), more = bb_block(g, "st.more"), hist = bb_block(g, "st.hist");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, count, bb_c64(g, 0), ""), first, more);
  LLVMPositionBuilderAtEnd(g->b, first);
  bb_store64(g, c, COUNT, bb_c64(g, 1));
  bb_store64(g, c, SUM, v);
  bb_store64(g, c, MIN, v);
  bb_store64(g, c, MAX, v);
  bb_store64(g, c, AVG, vs);
  bb_store64(g, c, M2, bb_c64(g, 0));
  bb_store64(g, c, VAR, bb_c64(g, 0));
  LLVMBuildBr(g->b, hist);
  LLVMPositionBuilderAtEnd(g->b, more);
  LLVMValueRef n = LLVMBuildAdd(g->b, count, bb_c64(g, 1), "");
  bb_store64(g, c, COUNT, n);
  bb_store64(g, c, SUM, LLVMBuildAdd(g->b, bb_load64(g, c, SUM), v, ""));
  LLVMValueRef mx = bb_load64(g, c, MAX), mn = bb_load64(g, c, MIN);
  bb_store64(g, c, MAX, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, v, mx, ""), v, mx, ""));
  bb_store64(g, c, MIN, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, v, mn, ""), v, mn, ""));
  LLVMValueRef avg = bb_load64(g, c, AVG);
  LLVMValueRef delta = LLVMBuildSub(g->b, vs, avg, "");
  LLVMValueRef avg2 = LLVMBuildAdd(g->b, avg, bb_sdiv(g, delta, n), "");
  bb_store64(g, c, AVG, avg2);
  LLVMValueRef m2 =
      LLVMBuildAdd(g->b, bb_load64(g, c, M2), LLVMBuildMul(g->b, delta, LLVMBuildSub(g->b, vs, avg2, ""), ""), "");
  bb_store64(g, c, M2, m2);
  bb_store64(g, c, VAR, bb_sdiv(g, m2, count)); /* count = n - 1 >= 1 */
  LLVMBuildBr(g->b, hist);
  LLVMPositionBuilderAtEnd(g->b, hist);
  if (d->hist == RT_HIST_NONE) return;
  LLVMValueRef bucket;
  if (d->hist == RT_HIST_LOG) {
    /* 64 for 0; 64 +- bits of |v| */
    LLVMValueRef neg = LLVMBuildICmp(g->b, LLVMIntSLT, v, bb_c64(g, 0), "");
    LLVMValueRef mag = LLVMBuildSelect(g->b, neg, LLVMBuildNeg(g->b, v, ""), v, "");
    LLVMTypeRef cty = LLVMFunctionType(g->i64, (LLVMTypeRef[]){g->i64, g->i1}, 2, false);
    LLVMValueRef ctlz = LLVMGetNamedFunction(g->mod, "llvm.ctlz.i64");
    if (!ctlz) ctlz = LLVMAddFunction(g->mod, "llvm.ctlz.i64", cty);
    LLVMValueRef cargs[2] = {mag, LLVMConstInt(g->i1, 0, false)};
    LLVMValueRef bits = LLVMBuildSub(g->b, bb_c64(g, 64), LLVMBuildCall2(g->b, cty, ctlz, cargs, 2, ""), "");
    bucket = LLVMBuildSelect(g->b, neg, LLVMBuildSub(g->b, bb_c64(g, 64), bits, ""),
                             LLVMBuildAdd(g->b, bb_c64(g, 64), bits, ""), "");
  } else {
    LLVMValueRef off = LLVMBuildSub(g->b, v, bb_c64(g, d->start), "");
    LLVMValueRef q = LLVMBuildAdd(g->b, LLVMBuildUDiv(g->b, off, bb_c64(g, d->interval), ""), bb_c64(g, 1), "");
    bucket = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, off, bb_c64(g, 0), ""), bb_c64(g, 0), q, "");
  }
  /* bucket in [0, nbuckets-1], by a branch the verifier follows (which LLVM
   * must keep: it may know a range the verifier cannot work out) */
  bucket = bb_barrier(g, bucket);
  LLVMBasicBlockRef clamp = bb_block(g, "st.clamp"), inc = bb_block(g, "st.inc");
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntUGT, bucket, bb_c64(g, d->nbuckets - 1), ""), clamp, inc);
  LLVMPositionBuilderAtEnd(g->b, clamp);
  LLVMBuildBr(g->b, inc);
  LLVMPositionBuilderAtEnd(g->b, inc);
  LLVMValueRef b = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef bv[2] = {bucket, bb_c64(g, d->nbuckets - 1)};
  LLVMBasicBlockRef bbk[2] = {here, clamp};
  LLVMAddIncoming(b, bv, bbk, 2);
  b = bb_barrier(g, b); /* LLVM would fold the clamp into the address, past what the verifier follows */
  LLVMValueRef slot =
      bb_gep_var(g, c, LLVMBuildAdd(g->b, LLVMBuildShl(g->b, b, bb_c64(g, 3), ""), bb_c64(g, HIST), ""));
  LLVMValueRef old = LLVMBuildLoad2(g->b, g->i64, slot, "");
  LLVMSetAlignment(old, 8);
  LLVMSetAlignment(LLVMBuildStore(g->b, LLVMBuildAdd(g->b, old, bb_c64(g, 1), ""), slot), 8);
}

void stat_emit_add(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  const BlayGlobal *bg = &g->l->globals[ig->id];
  LLVMValueRef v = V(i->args[i->nargs - 1]);
  for (int o = 0; o < bg->nobj; o++) {
    int map = g->gmap[ig->id] + o;
    LLVMValueRef cell;
    if (ig->kind == IR_GLOBAL_STAT) {
      cell = bb_map_lookup(g, map, F->zero);
      LLVMBasicBlockRef ok = bb_block(g, "st.ok");
      LLVMBasicBlockRef none = bb_block(g, "st.none");
      LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, cell, ""), none, ok);
      LLVMPositionBuilderAtEnd(g->b, none);
      fn_leave(F);
      LLVMPositionBuilderAtEnd(g->b, ok);
    } else {
      LLVMValueRef key = fn_build_key(F, ig, i->args, o);
      cell = bb_map_lookup(g, map, key);
      LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b), mk = bb_block(g, "st.new"), ok = bb_block(g, "st.ok");
      LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, cell, ""), mk, ok);
      LLVMPositionBuilderAtEnd(g->b, mk);
      uint32_t size = (uint32_t)rt_stat_cell_size(&bg->desc[o]);
      LLVMValueRef z = fn_val_buf(F, size);
      fn_zero_fill(F, z, size);
      bb_map_update(g, map, key, z, BPF_NOEXIST);
      LLVMValueRef c2 = bb_map_lookup(g, map, key);
      fn_fail_if(F, LLVMBuildIsNull(g->b, c2, ""), i, 0, true);
      LLVMBasicBlockRef after = LLVMGetInsertBlock(g->b);
      LLVMBuildBr(g->b, ok);
      LLVMPositionBuilderAtEnd(g->b, ok);
      LLVMValueRef phi = LLVMBuildPhi(g->b, g->ptr, "");
      LLVMValueRef pv[2] = {cell, c2};
      LLVMBasicBlockRef pb[2] = {here, after};
      LLVMAddIncoming(phi, pv, pb, 2);
      cell = phi;
    }
    stat_add_cell(F, cell, &bg->desc[o], v);
  }
}

/* ---- folding the CPUs --------------------------------------------------------------------------- */

/* The accumulator: an RtStatCell's first fields, then the bucket asked for
 * (at HIST), then the pass-2 sum of squares (at HIST + 8). */
typedef struct Fold {
  int map;
  uint32_t key_off; /* the element's key in scratch (the shared key buffer), or FN_NONE: key 0 */
  uint32_t acc;     /* scratch offset of the accumulator */
  const RtStatDesc *d;
  bool merge;       /* an array element: rt_stat_merge in CPU order; else rt_stat_aggregate */
  bool pass2;       /* aggregate's second pass: the squares, about the mean already in acc */
  uint32_t bucket;  /* scratch offset of the bucket index to fold, or FN_NONE */
  LLVMValueRef found; /* set by the body: the element exists (arrays) */
} Fold;

static LLVMValueRef cpu_cell(Fn *F, const Fold *fo, LLVMValueRef cpu) {
  Gen *g = F->g;
  LLVMValueRef key = fo->key_off == FN_NONE ? F->zero : fn_scratch_at(F, fo->key_off);
  LLVMValueRef a[3] = {g->maps[fo->map].var, key, LLVMBuildTrunc(g->b, cpu, g->i32, "")};
  return bb_helper(g, BPF_FUNC_map_lookup_percpu_elem, g->ptr, a, 3);
}

static void fold_bucket(Fn *F, const Fold *fo, LLVMValueRef acc, LLVMValueRef c) {
  Gen *g = F->g;
  if (fo->bucket == FN_NONE) return;
  LLVMValueRef n = bb_barrier(g, bb_load64(g, F->scratch, fo->bucket));
  LLVMBasicBlockRef ok = bb_block(g, "fold.b"), done = bb_block(g, "fold.bdone");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntULT, n, bb_c64(g, fo->d->nbuckets), ""), ok, done);
  LLVMPositionBuilderAtEnd(g->b, ok);
  n = bb_barrier(g, n);
  LLVMValueRef p = bb_gep_var(g, c, LLVMBuildAdd(g->b, LLVMBuildShl(g->b, n, bb_c64(g, 3), ""), bb_c64(g, HIST), ""));
  LLVMValueRef v = LLVMBuildLoad2(g->b, g->i64, p, "");
  LLVMSetAlignment(v, 8);
  bb_store64(g, acc, HIST, LLVMBuildAdd(g->b, bb_load64(g, acc, HIST), v, ""));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

/* rt_stat_merge(acc, c) */
static void fold_merge(Fn *F, const Fold *fo, LLVMValueRef acc, LLVMValueRef c) {
  Gen *g = F->g;
  LLVMValueRef sc = bb_load64(g, c, COUNT), dc = bb_load64(g, acc, COUNT);
  LLVMBasicBlockRef copy = bb_block(g, "merge.copy"), add = bb_block(g, "merge.add"), done = bb_block(g, "merge.done");
  LLVMBasicBlockRef some = bb_block(g, "merge.some");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, sc, bb_c64(g, 0), ""), done, some);
  LLVMPositionBuilderAtEnd(g->b, some);
  fold_bucket(F, fo, acc, c);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, dc, bb_c64(g, 0), ""), copy, add);
  LLVMPositionBuilderAtEnd(g->b, copy);
  for (uint32_t f = COUNT; f <= VAR; f += 8) bb_store64(g, acc, f, bb_load64(g, c, f));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, add);
  LLVMValueRef a1 = bb_load64(g, acc, AVG), v1 = bb_load64(g, acc, VAR);
  LLVMValueRef n = LLVMBuildAdd(g->b, dc, sc, "");
  LLVMValueRef sum = LLVMBuildAdd(g->b, bb_load64(g, acc, SUM), bb_load64(g, c, SUM), "");
  LLVMValueRef mn = bb_load64(g, acc, MIN), cmn = bb_load64(g, c, MIN);
  LLVMValueRef mx = bb_load64(g, acc, MAX), cmx = bb_load64(g, c, MAX);
  bb_store64(g, acc, COUNT, n);
  bb_store64(g, acc, SUM, sum);
  bb_store64(g, acc, MIN, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, cmn, mn, ""), cmn, mn, ""));
  bb_store64(g, acc, MAX, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, cmx, mx, ""), cmx, mx, ""));
  LLVMValueRef avg = div64(g, LLVMBuildShl(g->b, sum, bb_c64(g, fo->d->shift), ""), n);
  bb_store64(g, acc, AVG, avg);
  LLVMValueRef s = sq_dev(g, dc, a1, avg);
  s = LLVMBuildAdd(g->b, s, LLVMBuildMul(g->b, LLVMBuildSub(g->b, dc, bb_c64(g, 1), ""), v1, ""), "");
  s = LLVMBuildAdd(g->b, s, sq_dev(g, sc, bb_load64(g, c, AVG), avg), "");
  s = LLVMBuildAdd(g->b, s,
                   LLVMBuildMul(g->b, LLVMBuildSub(g->b, sc, bb_c64(g, 1), ""), bb_load64(g, c, VAR), ""), "");
  bb_store64(g, acc, VAR, div64(g, s, LLVMBuildSub(g->b, n, bb_c64(g, 1), "")));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

/* rt_stat_aggregate's loops: pass 1 the sums, pass 2 the squares */
static void fold_aggregate(Fn *F, const Fold *fo, LLVMValueRef acc, LLVMValueRef c) {
  Gen *g = F->g;
  LLVMValueRef cc = bb_load64(g, c, COUNT);
  LLVMBasicBlockRef some = bb_block(g, "agg.some"), done = bb_block(g, "agg.done");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, cc, bb_c64(g, 0), ""), done, some);
  LLVMPositionBuilderAtEnd(g->b, some);
  if (fo->pass2) {
    LLVMValueRef s = sq_dev(g, cc, bb_load64(g, c, AVG), bb_load64(g, acc, AVG));
    s = LLVMBuildAdd(g->b, s,
                     LLVMBuildMul(g->b, LLVMBuildSub(g->b, cc, bb_c64(g, 1), ""), bb_load64(g, c, VAR), ""), "");
    bb_store64(g, acc, HIST + 8, LLVMBuildAdd(g->b, bb_load64(g, acc, HIST + 8), s, ""));
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return;
  }
  fold_bucket(F, fo, acc, c);
  LLVMValueRef dc = bb_load64(g, acc, COUNT);
  LLVMValueRef first = LLVMBuildICmp(g->b, LLVMIntEQ, dc, bb_c64(g, 0), "");
  LLVMValueRef mn = LLVMBuildSelect(g->b, first, bb_load64(g, c, MIN), bb_load64(g, acc, MIN), "");
  LLVMValueRef mx = LLVMBuildSelect(g->b, first, bb_load64(g, c, MAX), bb_load64(g, acc, MAX), "");
  LLVMValueRef cmn = bb_load64(g, c, MIN), cmx = bb_load64(g, c, MAX);
  bb_store64(g, acc, COUNT, LLVMBuildAdd(g->b, dc, cc, ""));
  bb_store64(g, acc, SUM, LLVMBuildAdd(g->b, bb_load64(g, acc, SUM), bb_load64(g, c, SUM), ""));
  bb_store64(g, acc, MIN, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, cmn, mn, ""), cmn, mn, ""));
  bb_store64(g, acc, MAX, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, cmx, mx, ""), cmx, mx, ""));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

static LLVMValueRef fold_cpu(Fn *F, LLVMValueRef cpu, void *ctx) {
  Gen *g = F->g;
  Fold *fo = ctx;
  LLVMValueRef c = cpu_cell(F, fo, cpu);
  LLVMBasicBlockRef some = bb_block(g, "fold.cell"), done = bb_block(g, "fold.next");
  LLVMValueRef more = LLVMBuildIsNotNull(g->b, c, "");
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, more, some, done);
  LLVMPositionBuilderAtEnd(g->b, some);
  LLVMValueRef acc = fn_scratch_at(F, fo->acc);
  if (fo->merge) {
    bb_store64(g, acc, HIST + 16, bb_c64(g, 1)); /* found */
    fold_merge(F, fo, acc, c);
  } else {
    fold_aggregate(F, fo, acc, c);
  }
  LLVMBasicBlockRef last = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef phi = LLVMBuildPhi(g->b, g->i1, "");
  LLVMValueRef pv[2] = {LLVMConstInt(g->i1, 0, false), LLVMConstInt(g->i1, 1, false)};
  LLVMBasicBlockRef pb[2] = {here, last};
  LLVMAddIncoming(phi, pv, pb, 2);
  return phi;
}

/* Folds every CPU's cell of i's statistic (object obj) into a fresh
 * accumulator; returns its scratch offset.  bucket: the scratch word with
 * the bucket to fold too, or FN_NONE.  For an array, acc+HIST+16 says
 * whether the element exists. */
static uint32_t fold(Fn *F, const IrInst *i, int obj, uint32_t bucket, bool variance) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  const BlayGlobal *bg = &g->l->globals[ig->id];
  Fold fo = {.map = g->gmap[ig->id] + obj, .key_off = FN_NONE, .d = &bg->desc[obj],
             .merge = ig->kind != IR_GLOBAL_STAT, .bucket = bucket};
  fo.acc = fn_scratch_alloc(F, HIST + 24);
  fn_zero_fill(F, fn_scratch_at(F, fo.acc), HIST + 24);
  if (ig->kind != IR_GLOBAL_STAT) {
    fn_build_key(F, ig, i->args, obj);
    fo.key_off = F->key_off;
  }
  loop_over_cpus(F, "stat", fold_cpu, &fo);
  if (fo.merge || !variance) return fo.acc;
  LLVMValueRef acc = fn_scratch_at(F, fo.acc);
  LLVMValueRef count = bb_load64(g, acc, COUNT);
  bb_store64(g, acc, AVG, div64(g, LLVMBuildShl(g->b, bb_load64(g, acc, SUM), bb_c64(g, fo.d->shift), ""), count));
  fo.pass2 = true;
  loop_over_cpus(F, "stat2", fold_cpu, &fo);
  acc = fn_scratch_at(F, fo.acc);
  bb_store64(g, acc, VAR, div64(g, bb_load64(g, acc, HIST + 8), LLVMBuildSub(g->b, count, bb_c64(g, 1), "")));
  return fo.acc;
}

/* rt_sar(v, s): the kernel's >> on a signed value */
static LLVMValueRef sar(Gen *g, LLVMValueRef v, int s) { return s ? LLVMBuildAShr(g->b, v, bb_c64(g, s), "") : v; }

LLVMValueRef stat_emit_get(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  IrStatField op = (IrStatField)i->imm;
  uint32_t off = fold(F, i, 0, FN_NONE, op == IR_STAT_VARIANCE);
  LLVMValueRef acc = fn_scratch_at(F, off);
  LLVMValueRef count = bb_load64(g, acc, COUNT);
  if (ig->kind != IR_GLOBAL_STAT) { /* an absent element: @count 0, the rest an error */
    LLVMValueRef absent = LLVMBuildICmp(g->b, LLVMIntEQ, bb_load64(g, acc, HIST + 16), bb_c64(g, 0), "");
    if (op == IR_STAT_COUNT) return count;
    fn_fail_if(F, absent, i, 0, true);
    acc = fn_scratch_at(F, off);
  }
  if (op == IR_STAT_COUNT) return count;
  fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntEQ, count, bb_c64(g, 0), ""), i, 1, true);
  acc = fn_scratch_at(F, off);
  switch (op) {
  case IR_STAT_SUM: return bb_load64(g, acc, SUM);
  case IR_STAT_MIN: return bb_load64(g, acc, MIN);
  case IR_STAT_MAX: return bb_load64(g, acc, MAX);
  case IR_STAT_AVG: return div64(g, bb_load64(g, acc, SUM), bb_load64(g, acc, COUNT));
  case IR_STAT_VARIANCE: return sar(g, bb_load64(g, acc, VAR), 2 * g->l->globals[ig->id].desc[0].shift);
  default: return bb_c64(g, 0);
  }
}

/* @hist_log(v)[n], @hist_linear(v, ...)[n] */
LLVMValueRef stat_emit_bucket(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  int obj = g->l->globals[ig->id].nobj > 1 ? (int)i->imm : 0;
  const RtStatDesc *d = &g->l->globals[ig->id].desc[obj];
  uint32_t nw = fn_scratch_alloc(F, 8);
  bb_store64(g, F->scratch, nw, V(i->args[i->nargs - 1]));
  uint32_t off = fold(F, i, obj, nw, false);
  LLVMValueRef acc = fn_scratch_at(F, off);
  if (ig->kind != IR_GLOBAL_STAT)
    fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntEQ, bb_load64(g, acc, HIST + 16), bb_c64(g, 0), ""), i, 0, true);
  acc = fn_scratch_at(F, off);
  fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntEQ, bb_load64(g, acc, COUNT), bb_c64(g, 0), ""), i, 1, true);
  LLVMValueRef n = bb_load64(g, F->scratch, nw);
  fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntUGE, n, bb_c64(g, d->nbuckets), ""), i, 2, true);
  return bb_load64(g, fn_scratch_at(F, off), HIST);
}

/* delete of a scalar statistic: every CPU's cell emptied */
static LLVMValueRef clear_cpu(Fn *F, LLVMValueRef cpu, void *ctx) {
  Gen *g = F->g;
  Fold *fo = ctx;
  LLVMValueRef c = cpu_cell(F, fo, cpu);
  LLVMBasicBlockRef some = bb_block(g, "clear.cell"), done = bb_block(g, "clear.next");
  LLVMValueRef more = LLVMBuildIsNotNull(g->b, c, "");
  LLVMBuildCondBr(g->b, more, some, done);
  LLVMPositionBuilderAtEnd(g->b, some);
  fn_zero_fill(F, c, (uint32_t)rt_stat_cell_size(fo->d));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  return more;
}

void stat_emit_clear(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  const BlayGlobal *bg = &g->l->globals[ig->id];
  for (int o = 0; o < bg->nobj; o++) {
    Fold fo = {.map = g->gmap[ig->id] + o, .key_off = FN_NONE, .d = &bg->desc[o]};
    loop_over_cpus(F, "clear", clear_cpu, &fo);
  }
}

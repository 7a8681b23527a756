/* gen-bb.c: the builder layer: BPF idioms in LLVM IR.
 *
 * A helper call is a call through the helper's number cast to a function
 * pointer (what the BPF target turns into `call N`); a map is the address of
 * its .maps global (an ld_imm64 libbpf relocates).  Everything that knows a
 * helper's number or argument order is here, apart from the IR walk.
 */
#include "gen-int.h"

#include <linux/bpf.h>

LLVMValueRef bb_c64(Gen *g, int64_t v) { return LLVMConstInt(g->i64, (unsigned long long)v, true); }

LLVMBasicBlockRef bb_block(Gen *g, const char *name) {
  LLVMValueRef fn = LLVMGetBasicBlockParent(LLVMGetInsertBlock(g->b));
  return LLVMAppendBasicBlockInContext(g->ctx, fn, name);
}

LLVMValueRef bb_helper(Gen *g, int id, LLVMTypeRef ret, LLVMValueRef *args, int nargs) {
  LLVMTypeRef params[5];
  for (int k = 0; k < nargs; k++) params[k] = LLVMTypeOf(args[k]);
  LLVMTypeRef fty = LLVMFunctionType(ret, params, (unsigned)nargs, false);
  LLVMValueRef fp = LLVMConstIntToPtr(LLVMConstInt(g->i64, (unsigned long long)id, false), g->ptr);
  return LLVMBuildCall2(g->b, fty, fp, args, (unsigned)nargs, "");
}

LLVMValueRef bb_map_lookup(Gen *g, int map, LLVMValueRef key) {
  LLVMValueRef a[2] = {g->maps[map].var, key};
  return bb_helper(g, BPF_FUNC_map_lookup_elem, g->ptr, a, 2);
}

LLVMValueRef bb_map_update(Gen *g, int map, LLVMValueRef key, LLVMValueRef val, uint64_t flags) {
  LLVMValueRef a[4] = {g->maps[map].var, key, val, bb_c64(g, (int64_t)flags)};
  return bb_helper(g, BPF_FUNC_map_update_elem, g->i64, a, 4);
}

LLVMValueRef bb_map_delete(Gen *g, int map, LLVMValueRef key) {
  LLVMValueRef a[2] = {g->maps[map].var, key};
  return bb_helper(g, BPF_FUNC_map_delete_elem, g->i64, a, 2);
}

LLVMValueRef bb_read_str(Gen *g, LLVMValueRef dst, uint32_t size, LLVMValueRef src) {
  LLVMValueRef a[3] = {dst, LLVMConstInt(g->i32, size, false), src};
  return bb_helper(g, BPF_FUNC_probe_read_kernel_str, g->i64, a, 3);
}

LLVMValueRef bb_read_kernel(Gen *g, LLVMValueRef dst, uint32_t size, LLVMValueRef src) {
  LLVMValueRef a[3] = {dst, LLVMConstInt(g->i32, size, false), src};
  return bb_helper(g, BPF_FUNC_probe_read_kernel, g->i64, a, 3);
}

LLVMValueRef bb_ringbuf_reserve(Gen *g, uint32_t size) {
  LLVMValueRef a[3] = {g->maps[g->events].var, bb_c64(g, size), bb_c64(g, 0)};
  return bb_helper(g, BPF_FUNC_ringbuf_reserve, g->ptr, a, 3);
}

/* Commits rec; the wake-up policy is BLAY_WAKE_NS's (bpfload.h), with the
 * time of the last waking record in ctl. */
void bb_ringbuf_submit(Gen *g, LLVMValueRef rec, LLVMValueRef ctl) {
  LLVMValueRef now = bb_helper(g, BPF_FUNC_ktime_get_ns, g->i64, NULL, 0);
  LLVMValueRef woke = bb_load64(g, ctl, offsetof(BpfCtl, woke_ns));
  LLVMValueRef stale = LLVMBuildICmp(g->b, LLVMIntUGE, LLVMBuildSub(g->b, now, woke, ""), bb_c64(g, BLAY_WAKE_NS), "");
  LLVMBasicBlockRef wake = bb_block(g, "rb.wake"), quiet = bb_block(g, "rb.quiet"), done = bb_block(g, "rb.done");
  LLVMBuildCondBr(g->b, stale, wake, quiet);
  LLVMPositionBuilderAtEnd(g->b, wake);
  bb_store64(g, ctl, offsetof(BpfCtl, woke_ns), now);
  LLVMValueRef a[2] = {rec, bb_c64(g, 0)};
  bb_helper(g, BPF_FUNC_ringbuf_submit, g->voidt, a, 2);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, quiet);
  LLVMValueRef b[2] = {rec, bb_c64(g, BPF_RB_NO_WAKEUP)};
  bb_helper(g, BPF_FUNC_ringbuf_submit, g->voidt, b, 2);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

void bb_atomic_add(Gen *g, LLVMValueRef p, LLVMValueRef v) {
  LLVMBuildAtomicRMW(g->b, LLVMAtomicRMWBinOpAdd, p, v, LLVMAtomicOrderingMonotonic, false);
}

LLVMValueRef bb_gep(Gen *g, LLVMValueRef base, uint64_t off) {
  if (!off) return base;
  LLVMValueRef idx = LLVMConstInt(g->i64, off, false);
  return LLVMBuildGEP2(g->b, g->i8, base, &idx, 1, "");
}

LLVMValueRef bb_gep_var(Gen *g, LLVMValueRef base, LLVMValueRef off) {
  return LLVMBuildGEP2(g->b, g->i8, base, &off, 1, "");
}

LLVMValueRef bb_load64(Gen *g, LLVMValueRef p, uint64_t off) {
  LLVMValueRef v = LLVMBuildLoad2(g->b, g->i64, bb_gep(g, p, off), "");
  LLVMSetAlignment(v, 8);
  return v;
}

void bb_store64(Gen *g, LLVMValueRef p, uint64_t off, LLVMValueRef v) {
  LLVMValueRef s = LLVMBuildStore(g->b, v, bb_gep(g, p, off));
  LLVMSetAlignment(s, 8);
}

void bb_store32(Gen *g, LLVMValueRef p, uint64_t off, LLVMValueRef v) {
  LLVMValueRef s = LLVMBuildStore(g->b, v, bb_gep(g, p, off));
  LLVMSetAlignment(s, 4);
}

/* |x| as unsigned, and whether x < 0. */
static LLVMValueRef uabs(Gen *g, LLVMValueRef x, LLVMValueRef *neg) {
  *neg = LLVMBuildICmp(g->b, LLVMIntSLT, x, bb_c64(g, 0), "");
  return LLVMBuildSelect(g->b, *neg, LLVMBuildNeg(g->b, x, ""), x, "");
}

LLVMValueRef bb_sdiv(Gen *g, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef na, nb;
  LLVMValueRef ua = uabs(g, a, &na), ub = uabs(g, b, &nb);
  LLVMValueRef q = LLVMBuildUDiv(g->b, ua, ub, "");
  LLVMValueRef neg = LLVMBuildXor(g->b, na, nb, "");
  return LLVMBuildSelect(g->b, neg, LLVMBuildNeg(g->b, q, ""), q, "");
}

LLVMValueRef bb_srem(Gen *g, LLVMValueRef a, LLVMValueRef b) {
  LLVMValueRef na, nb;
  LLVMValueRef ua = uabs(g, a, &na), ub = uabs(g, b, &nb);
  LLVMValueRef r = LLVMBuildURem(g->b, ua, ub, "");
  return LLVMBuildSelect(g->b, na, LLVMBuildNeg(g->b, r, ""), r, "");
}

LLVMValueRef bb_barrier(Gen *g, LLVMValueRef v) {
  LLVMTypeRef ty = LLVMTypeOf(v);
  LLVMTypeRef fty = LLVMFunctionType(ty, &ty, 1, false);
  LLVMValueRef asm_ = LLVMGetInlineAsm(fty, "", 0, "=r,0", 4, true, false, LLVMInlineAsmDialectATT, false);
  return LLVMBuildCall2(g->b, fty, asm_, &v, 1, "");
}

/* gen-map.c: arrays in kernel probes: element reads and writes, membership,
 * delete of an element, a slice or the whole array.
 *
 * An array is a BPF hash map whose key and value are the runtime's
 * RtMapLayout (the host reads the same map through map-bpf.c).  Keys are
 * built in one shared scratch buffer, zero-padded (the hash compares
 * bytes); an absent element reads as 0 or "".  A store that finds the map
 * full is the runtime's overflow error; a wrapping ('%') array is an LRU
 * map and never fails.  Deleting a slice or everything walks the map with
 * bpf_for_each_map_elem (gen-loop.c).
 */
#include "gen-fn.h"

#include <linux/bpf.h>
#include <string.h>

/* ---- maps ---------------------------------------------------------------------------------------- */

/* The bytes of v's buffer known to be zero after its NUL (so a plain copy
 * of them makes a canonical key), or 0: execname() comes from
 * bpf_get_current_comm, which pads the buffer it fills. */
static uint32_t str_padded(Fn *F, const IrInst *v) {
  if (v->op != IR_BUILTIN || strcmp(((const IrBuiltin *)v->aux)->name, "execname")) return 0;
  return fn_str_bound(F, v) < 16 ? fn_str_bound(F, v) : 16;
}

/* Copies string v into the size-byte slot at base + off of a key or value
 * buffer (base 8-aligned, as scratch regions are): a plain copy when v is
 * known zero-padded and fits, else a bounded string read. */
static void slot_str(Fn *F, LLVMValueRef base, uint32_t off, uint32_t size, const IrInst *v) {
  Gen *g = F->g;
  uint32_t n = str_padded(F, v);
  if (n && n <= size)
    LLVMBuildMemCpy(g->b, bb_gep(g, base, off), off % 8 ? 1 : 8, V(v), 8, bb_c64(g, n));
  else
    fn_str_copy(F, bb_gep(g, base, off), size, V(v));
}

LLVMValueRef fn_build_key(Fn *F, const IrGlobal *ig, IrInst *const *args, int obj) {
  Gen *g = F->g;
  const RtMapLayout *ml = &g->l->globals[ig->id].mlay[obj];
  if (ml->key_size > F->key_cap) {
    F->key_off = fn_scratch_alloc(F, ml->key_size);
    F->key_cap = ml->key_size;
  }
  LLVMValueRef key = fn_scratch_at(F, F->key_off);
  bool any_str = false;
  for (int k = 0; k < ml->nkeys; k++) any_str |= ml->key_type[k] == RT_STR;
  if (any_str) fn_zero_fill(F, key, ml->key_size);
  for (int k = 0; k < ml->nkeys; k++) {
    if (!args[k]) continue; /* a wildcard of a slice */
    if (ml->key_type[k] == RT_LONG)
      bb_store64(g, key, ml->key_off[k], V(args[k]));
    else
      slot_str(F, key, ml->key_off[k], ml->key_len[k], args[k]);
  }
  return key;
}

static LLVMValueRef build_key(Fn *F, const IrGlobal *ig, const IrInst *i, int obj) {
  return fn_build_key(F, ig, i->args, obj);
}

LLVMValueRef fn_val_buf(Fn *F, uint32_t size) {
  if (size > F->val_cap) {
    F->val_off = fn_scratch_alloc(F, size);
    F->val_cap = size;
  }
  return fn_scratch_at(F, F->val_off);
}

LLVMValueRef map_emit_get(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  LLVMValueRef key = build_key(F, ig, i, 0);
  LLVMValueRef p = bb_map_lookup(g, g->gmap[ig->id], key);
  F->last_get = i;
  F->last_get_ptr = p;
  F->last_get_key = key;
  LLVMValueRef dst = NULL;
  if (i->type == IR_STR) { /* absent: "" */
    dst = fn_str_region(F, i);
    LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), dst);
  }
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b), hit = bb_block(g, "get.hit"), done = bb_block(g, "get.done");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, p, ""), done, hit);
  LLVMPositionBuilderAtEnd(g->b, hit);
  if (i->type == IR_STR) {
    fn_str_copy(F, dst, fn_str_bound(F, i), p);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return dst;
  }
  LLVMValueRef v = bb_load64(g, p, 0);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef phi = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef pv[2] = {bb_c64(g, 0), v};
  LLVMBasicBlockRef pb[2] = {here, hit};
  LLVMAddIncoming(phi, pv, pb, 2);
  return phi;
}

/* a[k] += d (the IR's map.get, add, map.set on the same key with nothing
 * but pure instructions between): the element the map.get found is
 * updated in place with an atomic add, so a counter costs one lookup and
 * no update, and concurrent CPUs do not lose increments.  Returns the
 * delta to add, or NULL when i is not that pattern. */
static LLVMValueRef in_place_delta(Fn *F, const IrInst *i) {
  const IrInst *v = i->args[i->nargs - 1], *get = F->last_get;
  if (!get || v->type != IR_I64 || (v->op != IR_ADD && v->op != IR_SUB) || get->g != i->g || get->block != i->block)
    return NULL;
  int which = v->args[0] == get ? 0 : v->op == IR_ADD && v->args[1] == get ? 1 : -1;
  if (which < 0 || get->nargs != i->nargs - 1) return NULL;
  for (int k = 0; k < get->nargs; k++)
    if (get->args[k] != i->args[k]) return NULL;
  for (const IrInst *x = get->next; x && x != i; x = x->next)
    if (!(ir_op_flags(x->op) & IRF_PURE)) return NULL;
  LLVMValueRef d = V(v->args[1 - which]);
  return v->op == IR_SUB ? LLVMBuildNeg(F->g->b, d, "") : d;
}

void map_emit_set(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  const RtMapLayout *ml = &g->l->globals[ig->id].mlay[0];
  LLVMValueRef delta = in_place_delta(F, i);
  if (delta) {
    LLVMValueRef p = F->last_get_ptr;
    LLVMBasicBlockRef hit = bb_block(g, "inc.hit"), miss = bb_block(g, "inc.miss"), done = bb_block(g, "inc.done");
    LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, p, ""), miss, hit);
    LLVMPositionBuilderAtEnd(g->b, hit);
    bb_atomic_add(g, p, delta);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, miss); /* a new element: the key buffer still holds its key */
    LLVMValueRef val = fn_val_buf(F, ml->val_size);
    bb_store64(g, val, 0, V(i->args[i->nargs - 1]));
    LLVMValueRef r = bb_map_update(g, g->gmap[ig->id], F->last_get_key, val, BPF_ANY);
    if (!ig->wrap) fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntSLT, r, bb_c64(g, 0), ""), i, 0, true);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    F->last_get = NULL;
    return;
  }
  F->last_get = NULL;
  LLVMValueRef key = build_key(F, ig, i, 0);
  LLVMValueRef val = fn_val_buf(F, ml->val_size);
  const IrInst *v = i->args[i->nargs - 1];
  if (v->type == IR_STR)
    slot_str(F, val, 0, ml->val_size, v);
  else
    bb_store64(g, val, 0, V(v));
  LLVMValueRef r = bb_map_update(g, g->gmap[ig->id], key, val, BPF_ANY);
  if (!ig->wrap) fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntSLT, r, bb_c64(g, 0), ""), i, 0, true);
}

/* delete a[k...] (mask 0) or a[k, *] (bit j of mask: key j is a wildcard;
 * the fixed keys are the arguments, in order). */
void map_emit_delete(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  int nobj = g->l->globals[ig->id].nobj;
  if (!i->imm) {
    for (int o = 0; o < nobj; o++) bb_map_delete(g, g->gmap[ig->id] + o, build_key(F, ig, i, o));
    return;
  }
  IrInst *args[9] = {0};
  uint32_t fixed = 0;
  for (int k = 0, a = 0; k < ig->nkeys; k++)
    if (!(i->imm & (1 << k))) {
      args[k] = i->args[a++];
      fixed |= 1u << k;
    }
  for (int o = 0; o < nobj; o++) {
    fn_build_key(F, ig, args, o);
    loop_map_clear(F, ig, o, fixed);
  }
}

void map_emit_clear(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  if (ig->kind == IR_GLOBAL_SCALAR) {
    uint32_t off = g->l->globals[ig->id].off;
    if (ig->value == IR_STR)
      LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), bb_gep(g, F->glob, off));
    else
      bb_store64(g, F->glob, off, bb_c64(g, 0));
  } else if (ig->kind == IR_GLOBAL_STAT) {
    stat_emit_clear(F, i);
  } else {
    for (int o = 0; o < g->l->globals[ig->id].nobj; o++)
      loop_map_clear(F, ig, o, 0);
  }
}

LLVMValueRef map_emit_exists(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  LLVMValueRef key = build_key(F, i->g, i, 0);
  return LLVMBuildIsNotNull(g->b, bb_map_lookup(g, g->gmap[i->g->id], key), "");
}

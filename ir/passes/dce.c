/* dce.c: dead-code elimination: unreachable blocks, then unused values.
 *
 * Blocks the entry cannot reach go first (their entries in the phis of
 * reachable blocks with them).  Then liveness by marking: the roots are the
 * instructions that must stay whether or not anything uses them, and
 * everything a live instruction uses is live; the rest is deleted.  Marking
 * from roots (not counting uses) also removes dead cycles, such as a loop's
 * phi that only feeds itself.
 *
 * Roots: terminators, side effects (IRF_SIDE: stores, printf, calls, ...),
 * anything that may raise a runtime error (IRF_FAIL: div, mod, map.set
 * overflow, ... — deleting one would delete the error), and catch.msg (the
 * handler's first instruction by construction).  Everything else may go when
 * unused: pure operations, and reads (local.get, global.get, map.get, ctx,
 * iter.key), which change nothing.
 */
#include "ir.h"

#include <string.h>

static bool is_root(const IrInst *i) {
  return (ir_op_flags(i->op) & (IRF_SIDE | IRF_FAIL | IRF_TERM)) || i->op == IR_CATCH_MSG;
}

/* Drops the entries for block `from` from the phis of block b. */
static void forget_pred(IrBlock *b, const IrBlock *from) {
  for (IrInst *phi = b->first; phi && phi->op == IR_PHI; phi = phi->next)
    for (int k = 0; k < phi->nargs; k++)
      if (phi->phi_blocks[k] == from) {
        memmove(&phi->args[k], &phi->args[k + 1], sizeof(IrInst *) * (size_t)(phi->nargs - k - 1));
        memmove(&phi->phi_blocks[k], &phi->phi_blocks[k + 1],
                sizeof(IrBlock *) * (size_t)(phi->nargs - k - 1));
        phi->nargs--, k--;
      }
}

static bool remove_unreachable(IrFunc *f, Arena *tmp) {
  IrDomTree dt;
  ir_func_dominators(f, tmp, &dt);
  if (dt.nrpo == f->nblocks) return false;
  for (int k = 0; k < f->nblocks; k++) {
    if (dt.idom[k]) continue;
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      if (ir_op_flags(i->op) & IRF_TARGETS)
        for (int t = 0; t < 2; t++)
          if (i->targets[t] && dt.idom[i->targets[t]->index]) forget_pred(i->targets[t], f->blocks[k]);
  }
  IrBlock **dead = arena_alloc(tmp, sizeof(IrBlock *) * (size_t)f->nblocks);
  int n = 0;
  for (int k = 0; k < f->nblocks; k++)
    if (!dt.idom[k]) dead[n++] = f->blocks[k];
  for (int k = 0; k < n; k++) ir_func_remove_block(f, dead[k]);
  return true;
}

/* Marks from the roots; returns whether anything was deleted. */
static bool remove_unused(IrFunc *f, Arena *tmp) {
  int n = 0;
  for (int k = 0; k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next) n++;
  bool *live = arena_alloc(tmp, sizeof(bool) * (size_t)(f->next_id + 1));
  IrInst **work = arena_alloc(tmp, sizeof(IrInst *) * (size_t)(n + 1));
  int nw = 0;
  for (int k = 0; k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      if (is_root(i)) {
        if (i->id >= 0) live[i->id] = true;
        work[nw++] = i;
      }
  while (nw) { /* each value enters the list once, when first marked */
    IrInst *i = work[--nw];
    for (int k = 0; k < i->nargs; k++) {
      IrInst *a = i->args[k];
      if (a->id >= 0 && !live[a->id]) live[a->id] = true, work[nw++] = a;
    }
  }
  bool changed = false;
  for (int k = 0; k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first, *next; i; i = next) {
      next = i->next;
      if (is_root(i) || (i->id >= 0 && live[i->id])) continue;
      ir_inst_remove(i);
      changed = true;
    }
  return changed;
}

bool ir_pass_dce(IrFunc *f) {
  if (!f->nblocks) return false;
  Arena *tmp = arena_new();
  bool changed = remove_unreachable(f, tmp);
  changed |= remove_unused(f, tmp);
  arena_free(tmp);
  return changed;
}

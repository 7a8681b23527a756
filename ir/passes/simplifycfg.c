/* simplifycfg.c: control-flow clean-up after folding.
 *
 * Three rewrites, applied one at a time, each followed by a fresh look at the
 * CFG, until none applies:
 *
 *   1. `cbr %c, bX, bX` becomes `br bX`.
 *   2. A forwarding block F (not the entry; nothing but `br T`) disappears:
 *      its predecessors branch to T directly and T's phis take F's entry once
 *      per predecessor.  Not done when a predecessor reaches F through a
 *      try.push (a handler stays where it is), or when T has phis and a
 *      predecessor already branches to T (a phi cannot hold two values for
 *      one edge).
 *   3. A block B whose only predecessor A ends in `br B` (and which is not a
 *      try.push handler) is appended to A: B's phis (one entry each) become
 *      their value, B's successors' phis now name A.
 *
 * Unreachable blocks are dce's business and stay untouched here, except a
 * forwarding block this pass has just bypassed.  Phis and SSA stay valid:
 * rewrite 2 keeps T's incoming values (a value live at F's end dominates F and
 * so every predecessor of F); rewrite 3 only concatenates.
 */
#include "ir.h"

#include <string.h>

static bool has_phis(const IrBlock *b) { return b->first && b->first->op == IR_PHI; }

/* Replaces block `from` by `to` in the phi entries of b. */
static void rename_pred(IrBlock *b, const IrBlock *from, IrBlock *to) {
  for (IrInst *phi = b->first; phi && phi->op == IR_PHI; phi = phi->next)
    for (int k = 0; k < phi->nargs; k++)
      if (phi->phi_blocks[k] == from) phi->phi_blocks[k] = to;
}

static bool same_target_cbr(IrBlock *b) {
  IrInst *t = ir_block_term(b);
  if (!t || t->op != IR_CBR || t->targets[0] != t->targets[1]) return false;
  t->op = IR_BR, t->nargs = 0, t->args = NULL, t->targets[1] = NULL;
  return true;
}

/* Whether block p reaches b through its terminator only. */
static bool only_by_term(const IrBlock *p, const IrBlock *b) {
  for (const IrInst *i = p->first; i; i = i->next)
    if (i->op == IR_TRY_PUSH && i->targets[0] == b) return false;
  return true;
}

static bool is_handler(const IrFunc *f, const IrBlock *b) {
  for (int k = 0; k < f->nblocks; k++)
    for (const IrInst *i = f->blocks[k]->first; i; i = i->next)
      if (i->op == IR_TRY_PUSH && i->targets[0] == b) return true;
  return false;
}

/* Rewrite 2: F is `br T`. */
static bool bypass(IrFunc *f, const IrDomTree *dt, IrBlock *fb) {
  IrInst *br = fb->first;
  IrBlock *t = br->targets[0];
  int k = fb->index, np = dt->npreds[k];
  if (k == 0 || br->op != IR_BR || br != fb->last || !t || t == fb || np == 0) return false;
  for (int j = 0; j < np; j++) {
    IrBlock *p = dt->preds[k][j];
    if (!only_by_term(p, fb) || p == fb) return false;
    if (has_phis(t))
      for (int q = 0; q < dt->npreds[t->index]; q++)
        if (dt->preds[t->index][q] == p) return false;
  }
  for (IrInst *phi = t->first; phi && phi->op == IR_PHI; phi = phi->next) {
    int at = -1;
    for (int q = 0; q < phi->nargs; q++)
      if (phi->phi_blocks[q] == fb) at = q;
    if (at < 0) continue;
    IrInst *v = phi->args[at];
    phi->phi_blocks[at] = dt->preds[k][0];
    for (int j = 1; j < np; j++) ir_phi_add(phi, v, dt->preds[k][j]);
  }
  for (int j = 0; j < np; j++) {
    IrInst *term = ir_block_term(dt->preds[k][j]);
    for (int q = 0; term && q < 2; q++)
      if (term->targets[q] == fb) term->targets[q] = t;
  }
  ir_func_remove_block(f, fb);
  return true;
}

/* Rewrite 3: A ends in `br B`, B's only predecessor. */
static bool merge(IrFunc *f, const IrDomTree *dt, IrBlock *a) {
  IrInst *br = ir_block_term(a);
  IrBlock *b = br && br->op == IR_BR ? br->targets[0] : NULL;
  if (!b || b == a || b->index == 0 || dt->npreds[b->index] != 1 || is_handler(f, b)) return false;
  for (IrInst *i = b->first; i; i = i->next) /* a successor of both would hear from A twice */
    for (int t = 0; (ir_op_flags(i->op) & IRF_TARGETS) && t < 2; t++)
      for (int q = 0; i->targets[t] && q < dt->npreds[i->targets[t]->index]; q++)
        if (dt->preds[i->targets[t]->index][q] == a) return false;
  for (IrInst *phi = b->first, *next; phi && phi->op == IR_PHI; phi = next) {
    next = phi->next;
    if (phi->nargs != 1) return false; /* malformed: leave it to the verifier */
    ir_replace_uses(f, phi, phi->args[0]);
    ir_inst_remove(phi);
  }
  ir_inst_remove(br);
  for (IrInst *i = b->first, *next; i; i = next) {
    next = i->next;
    ir_inst_remove(i);
    ir_block_append(a, i);
    if (ir_op_flags(i->op) & IRF_TARGETS)
      for (int t = 0; t < 2; t++)
        if (i->targets[t]) rename_pred(i->targets[t], b, a);
  }
  ir_func_remove_block(f, b);
  return true;
}

/* One rewrite somewhere, or false. */
static bool step(IrFunc *f, Arena *tmp) {
  for (int k = 0; k < f->nblocks; k++)
    if (same_target_cbr(f->blocks[k])) return true;
  IrDomTree dt;
  ir_func_dominators(f, tmp, &dt);
  for (int k = 0; k < f->nblocks; k++)
    if (f->blocks[k]->first && bypass(f, &dt, f->blocks[k])) return true;
  for (int k = 0; k < f->nblocks; k++)
    if (merge(f, &dt, f->blocks[k])) return true;
  return false;
}

bool ir_pass_simplifycfg(IrFunc *f) {
  if (!f->nblocks) return false;
  Arena *tmp = arena_new();
  bool changed = false;
  while (step(f, tmp)) changed = true;
  arena_free(tmp);
  return changed;
}

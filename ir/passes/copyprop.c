/* copyprop.c: copy propagation and trivial-phi removal.
 *
 * A `copy %x` is %x under another number; a phi whose incoming values are all
 * one value %v, or itself (a loop that never changes it), is %v (Braun et
 * al., "Simple and Efficient Construction of SSA Form", section 3.2).  Both
 * are recorded as replacements, followed to their ends (a chain of copies, a
 * phi made trivial by another phi's removal) until nothing new is found; then
 * every use is rewritten in one sweep and the replaced instructions go.
 *
 * A phi with no incoming value at all, or only itself, has no value to stand
 * for and stays (dce removes it if unused).  This pass does not look at
 * constants (fold does) and never changes the CFG.
 */
#include "ir.h"

typedef struct Cp {
  IrInst **repl; /* by value number */
  int n;
} Cp;

static IrInst *find(Cp *c, IrInst *v) {
  IrInst *r = v;
  while (r->id >= 0 && r->id < c->n && c->repl[r->id]) r = c->repl[r->id];
  while (v != r) { /* path compression */
    IrInst *next = c->repl[v->id];
    c->repl[v->id] = r;
    v = next;
  }
  return r;
}

/* The one value a trivial phi stands for, or NULL. */
static IrInst *trivial(Cp *c, IrInst *phi) {
  IrInst *only = NULL;
  for (int k = 0; k < phi->nargs; k++) {
    IrInst *a = find(c, phi->args[k]);
    if (a == phi || a == only) continue;
    if (only) return NULL;
    only = a;
  }
  return only;
}

bool ir_pass_copyprop(IrFunc *f) {
  Arena *tmp = arena_new();
  Cp c = {arena_alloc(tmp, sizeof(IrInst *) * (size_t)(f->next_id + 1)), f->next_id};
  bool changed = false;
  for (bool again = true; again;) {
    again = false;
    for (int k = 0; k < f->nblocks; k++)
      for (IrInst *i = f->blocks[k]->first; i; i = i->next) {
        if (i->id < 0 || i->id >= c.n || c.repl[i->id]) continue;
        IrInst *to = i->op == IR_COPY && i->nargs == 1 ? find(&c, i->args[0])
                     : i->op == IR_PHI                 ? trivial(&c, i)
                                                       : NULL;
        if (to && to != i && to->type == i->type) c.repl[i->id] = to, again = changed = true;
      }
  }
  if (changed) {
    for (int k = 0; k < f->nblocks; k++)
      for (IrInst *i = f->blocks[k]->first, *next; i; i = next) {
        next = i->next;
        for (int j = 0; j < i->nargs; j++) i->args[j] = find(&c, i->args[j]);
        if (i->id >= 0 && i->id < c.n && c.repl[i->id]) ir_inst_remove(i);
      }
  }
  arena_free(tmp);
  return changed;
}

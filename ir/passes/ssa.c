/* ssa.c: slot promotion, the first pass.  Lowering keeps every local in a
 * slot (local.get/local.set); this pass turns the slots into SSA values.
 *
 * The classic construction (Cytron et al.): phis at the iterated dominance
 * frontier of the blocks that set a slot, then renaming along the dominator
 * tree with a stack of current values per slot.  Phis are placed only for
 * slots read in some block before being set there (Briggs' "semi-pruned"
 * form); a slot that is only ever used block-locally needs none.  A read with
 * no reaching set yields the language's initial value (0, "", false), one
 * shared constant per type at the top of the entry block.  Uses inside
 * unreachable blocks get that constant too, and a phi gets it from an
 * unreachable predecessor, so the result verifies however the CFG looks.
 *
 * What must stay a slot does: pinned slots (set inside a try region, whose
 * handler must see the latest value) and slots of non-scalar type.  Promoted
 * slots leave the function's slot table; the kept ones are renumbered.
 * try.push is an edge from the middle of its block: every handler gets a
 * phi for each slot that needs phis, filled with the slot's value at the
 * try.push (not at the block's end); copyprop removes the trivial ones.
 */
#include "ir.h"

#include <string.h>

typedef struct Ssa {
  IrFunc *f;
  Arena *tmp;
  IrDomTree dt;
  bool *promote;          /* by slot */
  IrInst ***stack;        /* by slot: current values */
  int *depth, *cap;       /* by slot */
  int *log, nlog, caplog; /* slots pushed, to pop at block exit */
  IrInst **repl;          /* by value number: what a removed local.get became */
  int nrepl;      /* values numbered before the pass (the phis and constants it makes are not in repl) */
  IrInst ***phis; /* by block index: the phis placed there (by slot; NULL = none) */
  IrInst *zero[IR_ITER]; /* by type: the initial-value constants, made on demand */
} Ssa;

static bool scalar(IrType t) { return t == IR_I64 || t == IR_STR || t == IR_BOOL; }

static IrInst *initial(Ssa *s, IrType t) {
  if (s->zero[t]) return s->zero[t];
  static const IrOp ops[] = {[IR_I64] = IR_CONST_I64, [IR_STR] = IR_CONST_STR, [IR_BOOL] = IR_CONST_BOOL};
  IrInst *c = ir_inst_new(s->f, ops[t], t, NULL, 0, s->f->loc);
  if (t == IR_STR) c->str = "";
  IrBlock *entry = s->f->blocks[0];
  IrInst *pos = entry->first;
  while (pos && pos->op == IR_PARAM) pos = pos->next;
  if (pos)
    ir_inst_insert_before(pos, c);
  else
    ir_block_append(entry, c);
  return s->zero[t] = c;
}

static IrInst *resolve(Ssa *s, IrInst *v) {
  return v->id >= 0 && v->id < s->nrepl && s->repl[v->id] ? s->repl[v->id] : v;
}

static IrInst *top(Ssa *s, int slot) {
  return s->depth[slot] ? s->stack[slot][s->depth[slot] - 1] : initial(s, s->f->slots[slot]);
}

static void push(Ssa *s, int slot, IrInst *v) {
  if (s->depth[slot] == s->cap[slot]) {
    int c = s->cap[slot] ? s->cap[slot] * 2 : 8;
    s->stack[slot] = arena_realloc(s->tmp, s->stack[slot], sizeof(IrInst *) * (size_t)s->cap[slot],
                                   sizeof(IrInst *) * (size_t)c);
    s->cap[slot] = c;
  }
  s->stack[slot][s->depth[slot]++] = v;
  if (s->nlog == s->caplog) {
    int c = s->caplog ? s->caplog * 2 : 64;
    s->log = arena_realloc(s->tmp, s->log, sizeof(int) * (size_t)s->caplog, sizeof(int) * (size_t)c);
    s->caplog = c;
  }
  s->log[s->nlog++] = slot;
}

/* The slots worth a phi: promoted, and read in a block before any set there. */
static bool *live_across(Ssa *s) {
  IrFunc *f = s->f;
  bool *global = arena_alloc(s->tmp, sizeof(bool) * (size_t)f->nslots);
  int *set_in = arena_alloc(s->tmp, sizeof(int) * (size_t)f->nslots); /* block index + 1 */
  for (int k = 0; k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next) {
      if (i->op != IR_LOCAL_GET && i->op != IR_LOCAL_SET) continue;
      if (i->op == IR_LOCAL_SET)
        set_in[i->imm] = k + 1;
      else if (set_in[i->imm] != k + 1)
        global[i->imm] = true;
    }
  return global;
}

/* Phis at the iterated dominance frontier of each slot's setting blocks. */
static void place_phis(Ssa *s) {
  IrFunc *f = s->f;
  int n = f->nblocks;
  /* dominance frontiers, by the runner walk of Cooper, Harvey and Kennedy */
  int **df = arena_alloc(s->tmp, sizeof(int *) * (size_t)n),
      *ndf = arena_alloc(s->tmp, sizeof(int) * (size_t)n);
  for (int k = 0; k < n; k++) {
    if (s->dt.npreds[k] < 2 || !s->dt.idom[k]) continue;
    for (int j = 0; j < s->dt.npreds[k]; j++)
      for (IrBlock *r = s->dt.preds[k][j]; r && s->dt.idom[r->index] && r != s->dt.idom[k];
           r = s->dt.idom[r->index]) {
        int ri = r->index;
        if (ndf[ri] && df[ri][ndf[ri] - 1] == k) continue;
        df[ri] =
            arena_realloc(s->tmp, df[ri], sizeof(int) * (size_t)ndf[ri], sizeof(int) * (size_t)(ndf[ri] + 1));
        df[ri][ndf[ri]++] = k;
        if (r == s->dt.idom[r->index]) break; /* the entry */
      }
  }
  bool *global = live_across(s);
  /* try.push handlers get a phi of every such slot too: filled at the
   * try.push, it is the value there, whatever the block does afterwards */
  bool *handler = arena_alloc(s->tmp, sizeof(bool) * (size_t)n);
  for (int k = 0; k < n; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      if (i->op == IR_TRY_PUSH && i->targets[0] && s->dt.idom[k]) handler[i->targets[0]->index] = true;
  int *work = arena_alloc(s->tmp, sizeof(int) * (size_t)n * 3 + 1),
      *mark = arena_alloc(s->tmp, sizeof(int) * (size_t)n);
  for (int v = 0; v < f->nslots; v++) {
    if (!s->promote[v] || !global[v]) continue;
    int nw = 0;
    for (int k = 0; k < n; k++) {
      mark[k] = 0;
      for (IrInst *i = f->blocks[k]->first; i && !mark[k]; i = i->next)
        if (i->op == IR_LOCAL_SET && i->imm == v && s->dt.idom[k]) mark[k] = 1, work[nw++] = k;
    }
    for (int k = 0; k < n; k++)
      if (handler[k]) work[nw++] = -k - 1; /* -k-1: place a phi at k itself */
    while (nw) {
      int b = work[--nw];
      for (int j = 0; j < (b < 0 ? 1 : ndf[b]); j++) {
        int d = b < 0 ? -b - 1 : df[b][j];
        if (s->phis[d] && s->phis[d][v]) continue;
        if (!s->phis[d]) s->phis[d] = arena_alloc(s->tmp, sizeof(IrInst *) * (size_t)f->nslots);
        IrBlock *db = f->blocks[d];
        IrInst *pos = db->first;
        while (pos && pos->op == IR_PHI) pos = pos->next;
        IrInst *phi = ir_inst_new(f, IR_PHI, f->slots[v], NULL, 0, pos ? pos->loc : f->loc);
        if (pos)
          ir_inst_insert_before(pos, phi);
        else
          ir_block_append(db, phi);
        s->phis[d][v] = phi;
        if (mark[d] != 1) mark[d] = 1, work[nw++] = d;
      }
    }
  }
}

/* The placed phis of edge target t get their value from b (once per edge). */
static void fill_phis(Ssa *s, IrBlock *b, IrBlock *t) {
  if (!s->phis[t->index]) return;
  for (int v = 0; v < s->f->nslots; v++) {
    IrInst *phi = s->phis[t->index][v];
    if (!phi) continue;
    bool have = false;
    for (int k = 0; k < phi->nargs; k++) have |= phi->phi_blocks[k] == b;
    if (!have) ir_phi_add(phi, top(s, v), b);
  }
}

/* Renames one block: its phis and sets push values, its gets are replaced. */
static void rename_block(Ssa *s, IrBlock *b) {
  if (s->phis[b->index])
    for (int v = 0; v < s->f->nslots; v++)
      if (s->phis[b->index][v]) push(s, v, s->phis[b->index][v]);
  for (IrInst *i = b->first, *next; i; i = next) {
    next = i->next;
    for (int k = 0; k < i->nargs; k++) i->args[k] = resolve(s, i->args[k]);
    bool local = (i->op == IR_LOCAL_GET || i->op == IR_LOCAL_SET) && s->promote[i->imm];
    if (local && i->op == IR_LOCAL_GET) s->repl[i->id] = top(s, (int)i->imm);
    if (local && i->op == IR_LOCAL_SET) push(s, (int)i->imm, i->args[0]);
    if (local) ir_inst_remove(i);
    if (ir_op_flags(i->op) & IRF_TARGETS)
      for (int t = 0; t < 2; t++)
        if (i->targets[t] && (t == 0 || i->targets[1] != i->targets[0])) fill_phis(s, b, i->targets[t]);
  }
}

/* Renaming in dominator-tree preorder, with an explicit stack (deep trees). */
static void rename_all(Ssa *s) {
  IrFunc *f = s->f;
  int n = f->nblocks;
  int *first = arena_alloc(s->tmp, sizeof(int) * (size_t)n),
      *sib = arena_alloc(s->tmp, sizeof(int) * (size_t)n);
  for (int k = 0; k < n; k++) first[k] = sib[k] = -1;
  for (int k = s->dt.nrpo - 1; k > 0; k--) { /* children in RPO order */
    int b = s->dt.rpo[k]->index, p = s->dt.idom[b]->index;
    sib[b] = first[p], first[p] = b;
  }
  int *stack = arena_alloc(s->tmp, sizeof(int) * (size_t)n * 2),
      *mark = arena_alloc(s->tmp, sizeof(int) * (size_t)n * 2);
  int sp = 0;
  stack[sp++] = 0; /* b >= 0: enter b;  -b-1: leave b, undoing its pushes down to mark */
  while (sp) {
    int x = stack[--sp];
    if (x < 0) {
      while (s->nlog > mark[sp]) s->depth[s->log[--s->nlog]]--;
      continue;
    }
    mark[sp] = s->nlog;
    stack[sp++] = -x - 1;
    rename_block(s, f->blocks[x]);
    for (int c = first[x]; c >= 0; c = sib[c]) stack[sp++] = c;
  }
}

/* Unreachable blocks: gets become the initial value, sets go; phis hear from them. */
static void finish(Ssa *s) {
  IrFunc *f = s->f;
  for (int k = 0; k < f->nblocks; k++) {
    IrBlock *b = f->blocks[k];
    if (s->phis[k])
      for (int v = 0; v < f->nslots; v++)
        for (int j = 0; s->phis[k][v] && j < s->dt.npreds[k]; j++)
          if (!s->dt.idom[s->dt.preds[k][j]->index])
            ir_phi_add(s->phis[k][v], initial(s, f->slots[v]), s->dt.preds[k][j]);
    if (s->dt.idom[k]) continue;
    for (IrInst *i = b->first, *next; i; i = next) {
      next = i->next;
      if ((i->op != IR_LOCAL_GET && i->op != IR_LOCAL_SET) || !s->promote[i->imm]) continue;
      if (i->op == IR_LOCAL_GET) s->repl[i->id] = initial(s, f->slots[i->imm]);
      ir_inst_remove(i);
    }
  }
  for (int k = 0; k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      for (int j = 0; j < i->nargs; j++) i->args[j] = resolve(s, i->args[j]);
}

/* The kept slots move down over the promoted ones. */
static void compact_slots(Ssa *s) {
  IrFunc *f = s->f;
  int *renum = arena_alloc(s->tmp, sizeof(int) * (size_t)f->nslots), n = 0;
  for (int v = 0; v < f->nslots; v++) {
    if (s->promote[v]) continue;
    f->slots[n] = f->slots[v], f->slot_names[n] = f->slot_names[v], f->slot_pinned[n] = f->slot_pinned[v];
    renum[v] = n++;
  }
  for (int k = 0; k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      if (i->op == IR_LOCAL_GET || i->op == IR_LOCAL_SET) i->imm = renum[i->imm];
  f->nslots = n;
}

bool ir_pass_ssa(IrFunc *f) {
  if (!f->nslots || !f->nblocks) return false;
  Ssa s = {.f = f, .tmp = arena_new()};
  s.promote = arena_alloc(s.tmp, sizeof(bool) * (size_t)f->nslots);
  bool any = false;
  for (int v = 0; v < f->nslots; v++) any |= s.promote[v] = !f->slot_pinned[v] && scalar(f->slots[v]);
  if (any) {
    ir_func_dominators(f, s.tmp, &s.dt);
    s.stack = arena_alloc(s.tmp, sizeof(IrInst **) * (size_t)f->nslots);
    s.depth = arena_alloc(s.tmp, sizeof(int) * (size_t)f->nslots);
    s.cap = arena_alloc(s.tmp, sizeof(int) * (size_t)f->nslots);
    s.nrepl = f->next_id;
    s.repl = arena_alloc(s.tmp, sizeof(IrInst *) * (size_t)(f->next_id + 1));
    s.phis = arena_alloc(s.tmp, sizeof(IrInst **) * (size_t)f->nblocks);
    place_phis(&s);
    rename_all(&s);
    finish(&s);
    compact_slots(&s);
  }
  arena_free(s.tmp);
  return any;
}

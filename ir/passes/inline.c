/* inline.c: inlining of small script functions into their callers (a module
 * pass: it reads one function while it rewrites another).
 *
 * A callee is inlined when it is a script function of at most
 * MAX_CALLEE_INSTS instructions, cannot reach itself through calls (no
 * recursion, direct or mutual), and has no try region (try.push, try.pop,
 * catch.msg: a `ret` inside a region would leave the region's handler
 * pushed).  At a call the caller's block is split after the call; the callee's
 * blocks are cloned in (fresh value and block numbers, every instruction
 * keeping its source location, so runtime errors still point into the
 * callee's source); its params become the call's operands, its slots new
 * slots of the caller, each `ret` a `br` to the split-off block, where a phi
 * gathers the returned values if there are several.  The call becomes a `br`
 * to the cloned entry.  Cloned bodies are scanned in turn, so calls they
 * contain are inlined too (recursion excluded, this ends); a caller stops
 * growing at MAX_CALLER_INSTS.  Callees stay in the module for other callers;
 * the cleanup passes tidy the seams (simplifycfg merges the blocks).
 *
 * The kernel mode (ir_pass_inline_kernel) is for a backend that cannot call:
 * every call in a kernel probe's handler whose callee is not recursive is
 * inlined, whatever its size and try regions (a `return` pops its regions
 * before the `ret`, so an inlined body leaves none pushed), until the handler
 * reaches MAX_KERNEL_INSTS.  Calls left over (recursion, or a handler that
 * would be too big) are the backend's to refuse.
 */
#include "ir.h"

#include <string.h>

enum { MAX_CALLEE_INSTS = 30, MAX_CALLER_INSTS = 5000, MAX_KERNEL_INSTS = 200000 };

typedef struct Inl {
  IrModule *m;
  Arena *tmp;
  bool *ok;    /* by function index: may be inlined */
  bool kernel; /* kernel mode: any size, try regions too */
} Inl;

static int func_index(const IrModule *m, const IrFunc *f) {
  for (int k = 0; k < m->nfuncs; k++)
    if (m->funcs[k] == f) return k;
  return -1;
}

static int count_insts(const IrFunc *f) {
  int n = 0;
  for (int k = 0; k < f->nblocks; k++)
    for (const IrInst *i = f->blocks[k]->first; i; i = i->next) n++;
  return n;
}

/* Which functions may be inlined: small, no try region, not recursive. */
static void find_candidates(Inl *in) {
  IrModule *m = in->m;
  int n = m->nfuncs;
  int **callees = arena_alloc(in->tmp, sizeof(int *) * (size_t)(n + 1)),
      *ncallees = arena_alloc(in->tmp, sizeof(int) * (size_t)(n + 1));
  in->ok = arena_alloc(in->tmp, sizeof(bool) * (size_t)(n + 1));
  for (int k = 0; k < n; k++) {
    const IrFunc *f = m->funcs[k];
    int ncalls = 0;
    bool ok = f->kind == IR_FUNC_SCRIPT && f->nblocks > 0 && (in->kernel || count_insts(f) <= MAX_CALLEE_INSTS);
    for (int b = 0; b < f->nblocks; b++)
      for (const IrInst *i = f->blocks[b]->first; i; i = i->next) {
        ok &= in->kernel || (i->op != IR_TRY_PUSH && i->op != IR_TRY_POP && i->op != IR_CATCH_MSG);
        ncalls += i->op == IR_CALL;
      }
    in->ok[k] = ok;
    callees[k] = arena_alloc(in->tmp, sizeof(int) * (size_t)(ncalls + 1));
    for (int b = 0; b < f->nblocks; b++)
      for (const IrInst *i = f->blocks[b]->first; i; i = i->next)
        if (i->op == IR_CALL && func_index(m, i->callee) >= 0)
          callees[k][ncallees[k]++] = func_index(m, i->callee);
  }
  /* recursive = reaches itself: a DFS from each candidate's callees */
  int *stack = arena_alloc(in->tmp, sizeof(int) * (size_t)(n + 1)),
      *seen = arena_alloc(in->tmp, sizeof(int) * (size_t)(n + 1));
  for (int k = 0; k < n; k++) {
    if (!in->ok[k]) continue;
    int sp = 0;
    for (int j = 0; j < n; j++) seen[j] = 0;
    stack[sp++] = k;
    while (sp && in->ok[k]) {
      int x = stack[--sp];
      for (int j = 0; j < ncallees[x]; j++) {
        int y = callees[x][j];
        if (y == k)
          in->ok[k] = false;
        else if (!seen[y])
          seen[y] = 1, stack[sp++] = y;
      }
    }
  }
}

/* The language's initial value: what a call with no reachable `ret` yields
 * to code that cannot run anyway. */
static IrInst *zero(IrFunc *f, IrType t, SrcLoc loc) {
  IrInst *c = ir_inst_new(f,
                          t == IR_STR    ? IR_CONST_STR
                          : t == IR_BOOL ? IR_CONST_BOOL
                                         : IR_CONST_I64,
                          t, NULL, 0, loc);
  if (t == IR_STR) c->str = "";
  return c;
}

/* Moves everything after `call` into a new block; returns it. */
static IrBlock *split_after(IrFunc *f, IrInst *call) {
  IrBlock *b = call->block, *cont = ir_block_new(f);
  for (IrInst *i = call->next, *next; i; i = next) {
    next = i->next;
    ir_inst_remove(i);
    ir_block_append(cont, i);
  }
  for (IrInst *i = cont->first; i; i = i->next)
    for (int t = 0; (ir_op_flags(i->op) & IRF_TARGETS) && t < 2; t++) {
      IrBlock *s = i->targets[t];
      bool still = false; /* b keeps an edge of its own to s (a try.push before the call) */
      for (IrInst *j = b->first; s && j; j = j->next)
        still |= (ir_op_flags(j->op) & IRF_TARGETS) && (j->targets[0] == s || j->targets[1] == s);
      for (IrInst *phi = s && !still ? s->first : NULL; phi && phi->op == IR_PHI; phi = phi->next)
        for (int k = 0; k < phi->nargs; k++)
          if (phi->phi_blocks[k] == b) phi->phi_blocks[k] = cont;
    }
  return cont;
}

/* A copy of callee instruction i in f (operands are filled in later). */
static IrInst *clone(IrFunc *f, const IrInst *i, IrBlock **bmap, int slot_base) {
  IrInst *n = ir_inst_new(f, i->op, i->type, NULL, i->nargs, i->loc);
  n->imm = i->imm + ((i->op == IR_LOCAL_GET || i->op == IR_LOCAL_SET) ? slot_base : 0);
  n->str = i->str, n->len = i->len, n->g = i->g, n->callee = i->callee, n->aux = i->aux;
  n->str_bound = i->str_bound;
  for (int t = 0; t < 2; t++) n->targets[t] = i->targets[t] ? bmap[i->targets[t]->index] : NULL;
  if (i->op == IR_PHI) {
    n->phi_blocks = arena_alloc(f->mod->arena, sizeof(IrBlock *) * (size_t)(i->nargs + 1));
    for (int k = 0; k < i->nargs; k++) n->phi_blocks[k] = bmap[i->phi_blocks[k]->index];
  }
  return n;
}

/* Replaces `call` (in f) by a copy of its callee's body. */
static void inline_call(Inl *in, IrFunc *f, IrInst *call) {
  const IrFunc *c = call->callee;
  IrBlock *b = call->block, *cont = split_after(f, call);
  int slot_base = f->nslots;
  for (int s = 0; s < c->nslots; s++) {
    int k = ir_slot_new(f, c->slots[s], c->slot_names[s]);
    f->slot_pinned[k] = c->slot_pinned[s];
  }
  IrBlock **bmap = arena_alloc(in->tmp, sizeof(IrBlock *) * (size_t)c->nblocks);
  IrInst **vmap = arena_alloc(in->tmp, sizeof(IrInst *) * (size_t)(c->next_id + 1));
  const IrInst **rets = arena_alloc(in->tmp, sizeof(IrInst *) * (size_t)c->nblocks);
  IrBlock **ret_from = arena_alloc(in->tmp, sizeof(IrBlock *) * (size_t)c->nblocks);
  int nrets = 0;
  for (int k = 0; k < c->nblocks; k++) bmap[k] = ir_block_new(f);
  /* pass 1: the instructions, a ret becoming br to cont */
  for (int k = 0; k < c->nblocks; k++)
    for (const IrInst *i = c->blocks[k]->first; i; i = i->next) {
      if (i->op == IR_PARAM) {
        vmap[i->id] = call->args[i->imm];
      } else if (i->op == IR_RET) {
        IrInst *br = ir_inst_new(f, IR_BR, IR_VOID, NULL, 0, i->loc);
        br->targets[0] = cont;
        ir_block_append(bmap[k], br);
        rets[nrets] = i, ret_from[nrets++] = bmap[k];
      } else {
        IrInst *x = clone(f, i, bmap, slot_base);
        if (i->id >= 0) vmap[i->id] = x;
        ir_block_append(bmap[k], x);
      }
    }
  /* pass 2: operands, now that every value has its copy (a phi may name a later one) */
  for (int k = 0; k < c->nblocks; k++) {
    IrInst *n = bmap[k]->first;
    for (const IrInst *i = c->blocks[k]->first; i; i = i->next) {
      if (i->op == IR_PARAM) continue;
      for (int j = 0; j < i->nargs && i->op != IR_RET; j++) n->args[j] = vmap[i->args[j]->id];
      n = n->next;
    }
  }
  if (call->type != IR_VOID) {
    IrInst *v;
    if (nrets == 1 && rets[0]->nargs == 1) {
      v = vmap[rets[0]->args[0]->id];
    } else if (nrets == 0) { /* cont is unreachable: any value of the type will do */
      v = zero(f, call->type, call->loc);
      ir_inst_insert_before(cont->first, v);
    } else {
      v = ir_inst_new(f, IR_PHI, call->type, NULL, 0, call->loc);
      ir_inst_insert_before(cont->first, v);
      for (int r = 0; r < nrets; r++)
        if (rets[r]->nargs == 1) ir_phi_add(v, vmap[rets[r]->args[0]->id], ret_from[r]);
    }
    ir_replace_uses(f, call, v);
  }
  IrInst *br = ir_inst_new(f, IR_BR, IR_VOID, NULL, 0, call->loc);
  br->targets[0] = bmap[0];
  ir_inst_remove(call);
  ir_block_append(b, br);
}

/* Inlines the calls of f whose callees in->ok allows, while f stays under max instructions. */
static bool inline_into(Inl *in, IrFunc *f, int max) {
  IrModule *m = in->m;
  bool changed = false;
  int size = count_insts(f);
  for (int bi = 0; bi < f->nblocks && size <= max; bi++)
    for (IrInst *i = f->blocks[bi]->first; i; i = i->next) {
      int ci = i->op == IR_CALL ? func_index(m, i->callee) : -1;
      if (ci < 0 || !in->ok[ci] || i->callee == f) continue;
      size += count_insts(i->callee);
      inline_call(in, f, i);
      changed = true;
      break; /* the rest of this block moved to a new block, scanned later */
    }
  return changed;
}

bool ir_pass_inline(IrModule *m) {
  Inl in = {m, arena_new(), NULL, false};
  find_candidates(&in);
  bool changed = false;
  for (int k = 0; k < m->nfuncs; k++) changed |= inline_into(&in, m->funcs[k], MAX_CALLER_INSTS);
  arena_free(in.tmp);
  return changed;
}

bool ir_pass_inline_kernel(IrModule *m) {
  Inl in = {m, arena_new(), NULL, true};
  find_candidates(&in);
  bool changed = false;
  for (int k = 0; k < m->nprobes; k++)
    if (m->probes[k]->site == IR_SITE_KERNEL) changed |= inline_into(&in, m->probes[k]->handler, MAX_KERNEL_INSTS);
  arena_free(in.tmp);
  return changed;
}

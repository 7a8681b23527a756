/* gen-edge.c: a kernel handler's control flow in LLVM: the IR's edges, its
 * phis, and the try stack of each block.
 *
 * Each IR edge goes through fn_edge_to(): a plain branch when the target
 * is in the same function and has only LLVM phis (their incoming values are
 * recorded then, and added by fn_fill_phis at the end); else an edge block
 * that fills the target's string phis (copies into their regions, through
 * temporaries when one reads another: a swap) and memory phis (stores into
 * their slots), then goes on: a branch, the next iteration of the callback
 * it is in (return 0), the entry into a loop (gen-loop.c), or a way out of
 * the callback (an exit code, return 1).  The try stacks are computed once,
 * by flow from the entry: the lowering gives each block one try nesting.
 */
#include "gen-fn.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- edges and phis --------------------------------------------------------------------- */

static int phi_arg(const IrInst *phi, const IrBlock *from) {
  for (int k = 0; k < phi->nargs; k++)
    if (phi->phi_blocks[k] == from) return k;
  return -1;
}

static void record_phi(Fn *F, LLVMBasicBlockRef llvm, const IrInst *phi, LLVMValueRef v) {
  if (F->nedges == F->cap_edges) {
    int nc = F->cap_edges ? F->cap_edges * 2 : 64;
    PhiEdge *ne = realloc(F->edges, sizeof *ne * (size_t)nc);
    if (!ne) {
      F->failed = true;
      return;
    }
    F->edges = ne;
    F->cap_edges = nc;
  }
  F->edges[F->nedges++] = (PhiEdge){llvm, phi, v};
}

/* Whether the edge into `to` from the function being emitted needs no code
 * of its own: a plain branch, LLVM phis only. */
static bool plain_edge(Fn *F, const IrBlock *to) {
  if (F->bloop[to->index] != F->cur_loop) return false;
  if (F->cur_loop >= 0 && F->loops[F->cur_loop].header == to) return false;
  for (const IrInst *i = to->first; i && i->op == IR_PHI; i = i->next)
    if (i->type == IR_STR || F->mphi[i->id]) return false;
  return true;
}

/* The stores of to's memory phis and string phis for the edge from -> to,
 * at the current insertion point. */
static void phi_stores(Fn *F, const IrBlock *from, const IrBlock *to) {
  int n = 0;
  for (const IrInst *i = to->first; i && i->op == IR_PHI; i = i->next) n++;
  if (!n || !from) return;
  LLVMValueRef *tmp = calloc((size_t)n, sizeof *tmp);
  if (!tmp) {
    F->failed = true;
    return;
  }
  /* Every operand is read before any phi is written: one may read another
   * phi of the block (a swap).  Strings through a temporary region then. */
  int k = 0;
  for (const IrInst *i = to->first; i && i->op == IR_PHI; i = i->next, k++) {
    int a = phi_arg(i, from);
    if (a < 0) continue;
    if (i->type == IR_STR) {
      bool reads_phi = i->args[a]->op == IR_PHI && i->args[a]->block == to;
      if (reads_phi) {
        LLVMValueRef t = fn_scratch_at(F, fn_scratch_alloc(F, fn_str_bound(F, i)));
        fn_str_copy(F, t, fn_str_bound(F, i), V(i->args[a]));
        tmp[k] = t;
      }
    } else if (F->mphi[i->id]) {
      tmp[k] = V(i->args[a]);
    }
  }
  k = 0;
  for (const IrInst *i = to->first; i && i->op == IR_PHI; i = i->next, k++) {
    int a = phi_arg(i, from);
    if (a < 0) continue;
    if (i->type == IR_STR)
      fn_str_copy(F, fn_str_region(F, i), fn_str_bound(F, i), tmp[k] ? tmp[k] : V(i->args[a]));
    else if (F->mphi[i->id])
      fn_slot_store(F, F->vslot[i->id], tmp[k]);
  }
  free(tmp);
}

/* Goes on at block `to`, whose string and memory phis are filled, from the
 * current block: a branch, the next iteration of this callback, the entry
 * into a loop, or a way out of this callback (from: for LLVM phis; NULL
 * when `to` has none). */
static void goto_block(Fn *F, const IrBlock *from, const IrBlock *to) {
  Gen *g = F->g;
  int tl = F->bloop[to->index];
  if (F->cur_loop >= 0 && F->loops[F->cur_loop].header == to) {
    LLVMBuildRet(g->b, bb_c64(g, 0)); /* next iteration */
    return;
  }
  if (tl == F->cur_loop) {
    for (const IrInst *i = to->first; i && i->op == IR_PHI; i = i->next) {
      if (i->type == IR_STR || F->mphi[i->id]) continue;
      int a = from ? phi_arg(i, from) : -1;
      LLVMValueRef v = a >= 0 ? V(i->args[a]) : LLVMGetUndef(fn_llvm_type(F, i->type));
      record_phi(F, LLVMGetInsertBlock(g->b), i, v);
    }
    LLVMBuildBr(g->b, F->bbs[to->index]);
    return;
  }
  if (tl >= 0 && F->loops[tl].header == to && F->loops[tl].parent == F->cur_loop) {
    loop_enter(F, tl);
    return;
  }
  /* out of this callback: its caller dispatches on the code */
  SUP_ASSERT(F->cur_loop >= 0);
  bb_store64(g, F->scratch, F->exit_off, bb_c64(g, FN_EXIT_BLOCK + to->index));
  LLVMBuildRet(g->b, bb_c64(g, 1));
}

void fn_goto(Fn *F, const IrBlock *to) { goto_block(F, NULL, to); }

LLVMBasicBlockRef fn_edge_to(Fn *F, const IrBlock *from, const IrBlock *to) {
  Gen *g = F->g;
  if (plain_edge(F, to)) {
    for (const IrInst *i = to->first; i && i->op == IR_PHI; i = i->next) {
      int a = from ? phi_arg(i, from) : -1;
      record_phi(F, LLVMGetInsertBlock(g->b), i, a >= 0 ? V(i->args[a]) : LLVMGetUndef(fn_llvm_type(F, i->type)));
    }
    return F->bbs[to->index];
  }
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef e = bb_block(g, "edge");
  LLVMPositionBuilderAtEnd(g->b, e);
  phi_stores(F, from, to);
  goto_block(F, from, to);
  LLVMPositionBuilderAtEnd(g->b, here);
  return e;
}

void fn_fill_phis(Fn *F) {
  for (int k = 0; k < F->nedges; k++) {
    const PhiEdge *e = &F->edges[k];
    LLVMValueRef v = e->v;
    LLVMBasicBlockRef bb = e->llvm;
    LLVMAddIncoming(F->vals[e->phi->id], &v, &bb, 1);
  }
}

/* ---- try stacks ---------------------------------------------------------------------- */

static void try_flow(Fn *F, const IrBlock *to, const TryStack *st, const IrBlock **work, int *nwork) {
  TryStack *t = &F->tries[to->index];
  if (t->set) return; /* the lowering gives each block one try nesting */
  *t = *st;
  t->set = true;
  work[(*nwork)++] = to;
}

int fn_compute_tries(Fn *F) {
  const IrFunc *f = F->f;
  F->tries = calloc((size_t)f->nblocks + 1, sizeof *F->tries);
  const IrBlock **work = calloc((size_t)f->nblocks + 1, sizeof *work);
  if (!F->tries || !work) {
    free(work);
    return -ENOMEM;
  }
  int n = 0;
  TryStack empty = {.n = 0};
  try_flow(F, f->blocks[0], &empty, work, &n);
  while (n) {
    const IrBlock *b = work[--n];
    TryStack st = F->tries[b->index];
    for (const IrInst *i = b->first; i; i = i->next) {
      if (i->op == IR_TRY_PUSH) {
        try_flow(F, i->targets[0], &st, work, &n);
        if (st.n < MAX_TRY) {
          st.h[st.n] = i->targets[0];
          st.from[st.n] = b;
        }
        st.n++;
      } else if (i->op == IR_TRY_POP) {
        if (st.n > 0) st.n--;
      } else if (i->op == IR_BR) {
        try_flow(F, i->targets[0], &st, work, &n);
      } else if (i->op == IR_CBR) {
        try_flow(F, i->targets[0], &st, work, &n);
        try_flow(F, i->targets[1], &st, work, &n);
      }
    }
  }
  free(work);
  return 0;
}

/* gen-loop.c: loops of kernel handlers as callbacks, and the other
 * callbacks the generator needs (walks over a map's elements or the CPUs).
 *
 * The verifier accepts a loop in straight BPF code only if it can walk every
 * iteration, which a loop bounded by MAXACTION makes hopeless.  So each
 * natural loop of the handler's IR becomes a callback: a while/for loop's
 * body is called by bpf_loop once per iteration, a foreach's by
 * bpf_for_each_map_elem once per element (sorted foreach needs every element
 * first: it is refused, see gen-func.c).  A call of the callback starts at
 * the loop's header; an edge back to the header returns 0 (go on); an edge
 * out of the loop, a `next` or an uncaught error stores an exit code in
 * scratch and returns 1 (stop), and the caller, after the helper returns,
 * goes where the code says (gen-fn.h has the codes), which may mean
 * stopping itself when it is a callback too.  bpf_loop stops after at most
 * 2^23 calls; since every iteration counts at least one action, MAXACTION
 * ends the loop before that unless MAXACTION is larger, when the call is
 * repeated (at most ROUNDS times).
 *
 * loop_analyse also decides what crosses between functions (gen-fn.h): a
 * value used in a function other than its definition's gets a scratch
 * slot; a phi with an incoming edge made in another function becomes a
 * memory phi.  Callbacks get their base pointers from the program's stack
 * ("env"), which every helper passes on as the callback context.
 */
#include "gen-fn.h"

#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { LOOP_MAX_CALLS = 1 << 23, ROUNDS = 8, MAX_CPUS = 8192 };

typedef struct Ana {
  Fn *F;
  IrDomTree dt;
  bool **in;  /* by loop: by block index, a member */
  int *size;  /* by loop: member count */
  bool *used; /* by instruction id: needs a slot */
} Ana;

/* The successors of b: its terminator's targets and its try handlers. */
static int succs(const IrBlock *b, const IrBlock **out) {
  int n = 0;
  for (const IrInst *i = b->first; i; i = i->next)
    if (ir_op_flags(i->op) & IRF_TARGETS)
      for (int t = 0; t < 2; t++)
        if (i->targets[t]) out[n++] = i->targets[t];
  return n;
}

static int add_loop(Fn *F, const IrBlock *h) {
  FnLoop *nl = realloc(F->loops, sizeof *nl * (size_t)(F->nloops + 1));
  if (!nl) return -1;
  F->loops = nl;
  memset(&nl[F->nloops], 0, sizeof *nl);
  nl[F->nloops].header = h;
  nl[F->nloops].parent = -1;
  return F->nloops++;
}

/* The loops (natural, one per header), their members, nesting. */
static int find_loops(Ana *A, Arena *ar) {
  Fn *F = A->F;
  const IrFunc *f = F->f;
  const IrBlock *sv[64];
  int *loop_of_header = arena_alloc(ar, sizeof(int) * (size_t)(f->nblocks + 1));
  for (int k = 0; k < f->nblocks; k++) loop_of_header[k] = -1;
  A->in = arena_alloc(ar, sizeof(bool *) * (size_t)(f->nblocks + 1));
  A->size = arena_alloc(ar, sizeof(int) * (size_t)(f->nblocks + 1));
  const IrBlock **work = arena_alloc(ar, sizeof(IrBlock *) * (size_t)(f->nblocks + 1));
  for (int r = 0; r < A->dt.nrpo; r++) {
    const IrBlock *b = A->dt.rpo[r];
    int ns = succs(b, sv);
    for (int k = 0; k < ns; k++) {
      const IrBlock *h = sv[k];
      if (A->dt.rpo_num[h->index] < 0 || A->dt.rpo_num[h->index] > r) continue; /* a forward edge */
      if (!ir_dominates(&A->dt, h, b)) {
        gen_error(F->g, b->last ? b->last->loc : f->loc,
                  "this control flow (a loop with two entries) cannot run in a kernel probe on the bpf backend");
        return -1;
      }
      int l = loop_of_header[h->index];
      if (l < 0) {
        l = loop_of_header[h->index] = add_loop(F, h);
        if (l < 0) return -1;
        A->in[l] = arena_alloc(ar, sizeof(bool) * (size_t)(f->nblocks + 1));
        A->in[l][h->index] = true;
        A->size[l] = 1;
      }
      /* the natural loop of the back edge b -> h: what reaches b without h */
      int nw = 0;
      if (!A->in[l][b->index]) {
        A->in[l][b->index] = true;
        A->size[l]++;
        work[nw++] = b;
      }
      while (nw) {
        const IrBlock *x = work[--nw];
        for (int p = 0; p < A->dt.npreds[x->index]; p++) {
          const IrBlock *y = A->dt.preds[x->index][p];
          if (A->dt.rpo_num[y->index] < 0 || A->in[l][y->index]) continue;
          A->in[l][y->index] = true;
          A->size[l]++;
          work[nw++] = y;
        }
      }
    }
  }
  /* innermost loop of each block; parent of each loop */
  for (int k = 0; k < f->nblocks; k++) {
    int best = -1;
    for (int l = 0; l < F->nloops; l++)
      if (A->in[l][k] && (best < 0 || A->size[l] < A->size[best])) best = l;
    F->bloop[k] = best;
  }
  for (int l = 0; l < F->nloops; l++) {
    int best = -1;
    for (int m = 0; m < F->nloops; m++)
      if (m != l && A->in[m][F->loops[l].header->index] && (best < 0 || A->size[m] < A->size[best])) best = m;
    F->loops[l].parent = best;
  }
  return 0;
}

/* v, through copies, is key k of the element foreach loop l is at. */
static bool is_current_key(const FnLoop *L, const IrInst *v, int k) {
  while (v->op == IR_COPY) v = v->args[0];
  return v->op == IR_ITER_KEY && v->args[0] == L->iter && v->imm == k;
}

/* The host's foreach walks a copy of the array's keys; the kernel's walks
 * the array itself.  The two agree while the body changes no element but
 * the current one, so anything else is refused here. */
static int check_writes(Ana *A, int l) {
  Fn *F = A->F;
  const FnLoop *L = &F->loops[l];
  const IrGlobal *ig = L->iter->g;
  for (int b = 0; b < F->f->nblocks; b++) {
    if (!A->in[l][b]) continue;
    for (const IrInst *i = F->f->blocks[b]->first; i; i = i->next) {
      if (!(ir_op_flags(i->op) & IRF_GLOBAL) || i->g != ig) continue;
      bool keyed = i->op == IR_MAP_SET || i->op == IR_STAT_ADD || (i->op == IR_MAP_DELETE && !i->imm);
      if (!keyed && i->op != IR_MAP_DELETE && i->op != IR_MAP_CLEAR) continue;
      bool current = keyed;
      for (int k = 0; keyed && k < ig->nkeys; k++) current &= is_current_key(L, i->args[k], k);
      if (current) continue;
      gen_error(F->g, i->loc,
                "changing array '%s' while a foreach walks it (other than its current element) cannot run in a kernel "
                "probe on the bpf backend: the kernel walks the array itself, not a copy",
                ig->name);
      return -1;
    }
  }
  return 0;
}

/* A foreach loop: its header is phis, iter.next and a branch on it. */
static int classify(Ana *A, int l) {
  Fn *F = A->F;
  FnLoop *L = &F->loops[l];
  const IrInst *t = L->header->last;
  L->kind = FN_LOOP_WHILE;
  if (!t || t->op != IR_CBR || t->args[0]->op != IR_ITER_NEXT || t->args[0]->block != L->header) return 0;
  const IrInst *next = t->args[0];
  if (!A->in[l][t->targets[0]->index] || A->in[l][t->targets[1]->index]) return 0;
  for (const IrInst *i = L->header->first; i; i = i->next)
    if (i->op != IR_PHI && i->op != IR_ITER_NEXT && i->op != IR_CBR) {
      gen_error(F->g, next->loc, "internal error: a foreach loop of an unexpected shape (%s in its header)",
                ir_op_name(i->op));
      return -1;
    }
  L->kind = FN_LOOP_FOREACH;
  L->iter = next->args[0];
  if (check_writes(A, l) != 0) return -1;
  L->body = t->targets[0];
  L->done = t->targets[1];
  const IrGlobal *ig = L->iter->g;
  const RtMapLayout *ml = &F->g->l->globals[ig->id].mlay[0];
  L->elem_off = fn_scratch_alloc(F, ml->key_size + (ig->is_stat ? 0 : ml->val_size));
  L->count_off = fn_scratch_alloc(F, 8);
  return 0;
}

int loop_of_iter(Fn *F, const IrInst *it) {
  for (int l = 0; l < F->nloops; l++)
    if (F->loops[l].kind == FN_LOOP_FOREACH && F->loops[l].iter == it) return l;
  return -1;
}

/* ---- what crosses functions ------------------------------------------------------------- */

/* The function an edge from -> to is made in: its source's, except a
 * foreach's way out at the end, which its caller makes. */
static int edge_fn(Fn *F, const IrBlock *from, const IrBlock *to) {
  int l = F->bloop[from->index];
  if (l >= 0 && F->loops[l].kind == FN_LOOP_FOREACH && F->loops[l].header == from && F->loops[l].done == to)
    return F->loops[l].parent;
  return l;
}

static void use_in(Ana *A, const IrInst *v, int fn) {
  if (v->id < 0 || (v->type != IR_I64 && v->type != IR_BOOL)) return;
  if (A->F->bloop[v->block->index] != fn) A->used[v->id] = true;
}

/* A phi of `to` read on the edge from `from` made in function fn. */
static void phi_edge(Ana *A, const IrBlock *from, const IrBlock *to, int fn) {
  Fn *F = A->F;
  for (const IrInst *i = to->first; i && i->op == IR_PHI; i = i->next) {
    if (i->type == IR_STR) continue;
    if (fn != F->bloop[to->index]) F->mphi[i->id] = true;
    for (int k = 0; k < i->nargs; k++)
      if (i->phi_blocks[k] == from) use_in(A, i->args[k], fn);
  }
}

static void find_crossings(Ana *A) {
  Fn *F = A->F;
  const IrBlock *sv[64];
  for (int r = 0; r < A->dt.nrpo; r++) {
    const IrBlock *b = A->dt.rpo[r];
    int fb = F->bloop[b->index];
    for (const IrInst *i = b->first; i; i = i->next) {
      if (i->op == IR_PHI) continue; /* by edge, below */
      for (int k = 0; k < i->nargs; k++) use_in(A, i->args[k], fb);
      if (i->op == IR_ITER_BEGIN) { /* the limit and the slice keys are read by the callback */
        int l = loop_of_iter(F, i);
        for (int k = 0; l >= 0 && k < i->nargs; k++) use_in(A, i->args[k], l);
      }
    }
    int ns = succs(b, sv);
    for (int k = 0; k < ns; k++) phi_edge(A, b, sv[k], edge_fn(F, b, sv[k]));
    const TryStack *t = &F->tries[b->index];
    for (int j = 0; j < t->n && j < MAX_TRY; j++) phi_edge(A, t->from[j], t->h[j], fb); /* a raise in b */
  }
  for (int id = 0; id < F->f->next_id; id++)
    if (A->used[id] || F->mphi[id]) F->vslot[id] = fn_scratch_alloc(F, 8);
}

/* ---- the callbacks ------------------------------------------------------------------------- */

static void make_sub(Fn *F, int l) {
  Gen *g = F->g;
  FnLoop *L = &F->loops[l];
  char name[64];
  snprintf(name, sizeof name, "probe_%d%s_loop%d", F->p->index, g->prog_suffix, l);
  LLVMTypeRef params[4] = {g->ptr, g->ptr, g->ptr, g->ptr};
  LLVMTypeRef fty = L->kind == FN_LOOP_FOREACH ? LLVMFunctionType(g->i64, params, 4, false)
                                               : LLVMFunctionType(g->i64, (LLVMTypeRef[]){g->i64, g->ptr}, 2, false);
  L->sub.fn = LLVMAddFunction(g->mod, name, fty);
  LLVMSetLinkage(L->sub.fn, LLVMInternalLinkage);
  L->sub.sp = fn_new_subprogram(F, name, L->sub.fn);
}

int loop_analyse(Fn *F) {
  Arena *ar = arena_new();
  Ana A = {.F = F};
  ir_func_dominators(F->f, ar, &A.dt);
  A.used = arena_alloc(ar, sizeof(bool) * (size_t)(F->f->next_id + 1));
  int rc = find_loops(&A, ar);
  for (int l = 0; l < F->nloops && !rc; l++) rc = classify(&A, l);
  if (!rc) {
    find_crossings(&A);
    for (int l = 0; l < F->nloops; l++) make_sub(F, l);
  }
  arena_free(ar);
  return rc;
}

/* A callback's base pointers, from the env block its context argument points to. */
static void sub_prologue(Fn *F, FnSub *s, LLVMValueRef env) {
  Gen *g = F->g;
  s->env = env;
  s->zero = LLVMBuildAlloca(g->b, g->i32, "zero");
  LLVMBuildStore(g->b, LLVMConstInt(g->i32, 0, false), s->zero);
  LLVMValueRef *dst[4] = {&s->scratch, &s->glob, &s->ctl, &s->ctxp};
  for (int k = 0; k < 4; k++) {
    LLVMValueRef v = LLVMBuildLoad2(g->b, g->ptr, bb_gep(g, env, (uint64_t)k * 8), "");
    LLVMSetAlignment(v, 8);
    *dst[k] = v;
  }
}

/* The foreach callback's start: the element into scratch, then the slice
 * and the limit. */
static void foreach_prologue(Fn *F, FnLoop *L) {
  Gen *g = F->g;
  const IrGlobal *ig = L->iter->g;
  const IrSort *so = L->iter->aux;
  const RtMapLayout *ml = &g->l->globals[ig->id].mlay[0];
  LLVMValueRef elem = fn_scratch_at(F, L->elem_off);
  bb_read_kernel(g, elem, ml->key_size, LLVMGetParam(F->fn, 1));
  if (!ig->is_stat) bb_read_kernel(g, bb_gep(g, elem, ml->key_size), ml->val_size, LLVMGetParam(F->fn, 2));
  int a = so->has_limit ? 1 : 0;
  for (int k = 0; k < ml->nkeys; k++) {
    if (!(so->slice & (1u << k))) continue;
    const IrInst *want = L->iter->args[a++];
    LLVMValueRef key = bb_gep(g, fn_scratch_at(F, L->elem_off), ml->key_off[k]), same;
    if (ml->key_type[k] == RT_LONG)
      same = LLVMBuildICmp(g->b, LLVMIntEQ, bb_load64(g, key, 0), V(want), "");
    else
      same = LLVMBuildICmp(g->b, LLVMIntEQ, fn_str_compare(F, key, V(want), ml->key_len[k]), bb_c64(g, 0), "");
    LLVMBasicBlockRef skip = bb_block(g, "slice.skip"), ok = bb_block(g, "slice.ok");
    LLVMBuildCondBr(g->b, same, ok, skip);
    LLVMPositionBuilderAtEnd(g->b, skip);
    LLVMBuildRet(g->b, bb_c64(g, 0));
    LLVMPositionBuilderAtEnd(g->b, ok);
  }
  if (so->has_limit) {
    LLVMValueRef cp = fn_scratch_at(F, L->count_off);
    LLVMValueRef n = bb_load64(g, cp, 0);
    LLVMBasicBlockRef stop = bb_block(g, "limit.stop"), ok = bb_block(g, "limit.ok");
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, n, V(L->iter->args[0]), ""), stop, ok);
    LLVMPositionBuilderAtEnd(g->b, stop);
    bb_store64(g, F->scratch, F->exit_off, bb_c64(g, FN_EXIT_NONE));
    LLVMBuildRet(g->b, bb_c64(g, 1));
    LLVMPositionBuilderAtEnd(g->b, ok);
    bb_store64(g, fn_scratch_at(F, L->count_off), 0, LLVMBuildAdd(g->b, n, bb_c64(g, 1), ""));
  }
}

void loop_prologues(Fn *F, bool finish) {
  Gen *g = F->g;
  for (int l = 0; l < F->nloops; l++) {
    FnLoop *L = &F->loops[l];
    F->sub = &L->sub; /* for the debug location's scope */
    if (!finish) {
      LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, L->sub.fn, "entry");
      LLVMMoveBasicBlockBefore(entry, LLVMGetFirstBasicBlock(L->sub.fn));
      LLVMPositionBuilderAtEnd(g->b, entry);
      fn_set_loc(F, L->header->first ? L->header->first->loc : F->f->loc);
      sub_prologue(F, &L->sub, LLVMGetParam(L->sub.fn, L->kind == FN_LOOP_FOREACH ? 3 : 1));
      continue;
    }
    LLVMPositionBuilderAtEnd(g->b, LLVMGetFirstBasicBlock(L->sub.fn));
    fn_enter(F, l);
    fn_set_loc(F, L->header->first ? L->header->first->loc : F->f->loc);
    if (L->kind == FN_LOOP_FOREACH) foreach_prologue(F, L);
    LLVMBuildBr(g->b, F->bbs[L->header->index]);
  }
  fn_enter(F, -1);
}

/* ---- entering a loop ------------------------------------------------------------------------- */

/* Where each exit code of loop l goes, from its caller (the current function). */
static void dispatch(Fn *F, int l, LLVMValueRef code) {
  Gen *g = F->g;
  const IrFunc *f = F->f;
  LLVMBasicBlockRef leave = bb_block(g, "exit.leave");
  LLVMValueRef sw = LLVMBuildSwitch(g->b, code, leave, (unsigned)f->nblocks);
  LLVMPositionBuilderAtEnd(g->b, leave);
  fn_leave(F);
  /* every block outside loop l with an edge from inside it */
  bool *seen = calloc((size_t)f->nblocks + 1, sizeof *seen);
  if (!seen) {
    F->failed = true;
    return;
  }
  const IrBlock *sv[64];
  for (int k = 0; k < f->nblocks; k++) {
    int bl = F->bloop[k];
    bool inside = false;
    for (int m = bl; m >= 0; m = F->loops[m].parent) inside |= m == l;
    if (!inside) continue;
    const IrBlock *b = f->blocks[k];
    int ns = succs(b, sv);
    const TryStack *t = &F->tries[k];
    for (int j = 0; j < t->n && j < MAX_TRY && ns < 64; j++) sv[ns++] = t->h[j];
    for (int s = 0; s < ns; s++) {
      const IrBlock *to = sv[s];
      bool tin = false;
      for (int m = F->bloop[to->index]; m >= 0; m = F->loops[m].parent) tin |= m == l;
      if (tin || seen[to->index]) continue;
      seen[to->index] = true;
      LLVMBasicBlockRef go = bb_block(g, "exit.to");
      LLVMAddCase(sw, bb_c64(g, FN_EXIT_BLOCK + to->index), go);
      LLVMPositionBuilderAtEnd(g->b, go);
      fn_goto(F, to);
    }
  }
  free(seen);
}

/* The first action count of loop l's blocks: where a loop that outran
 * bpf_loop reports MAXACTION. */
static const IrInst *first_actions(Fn *F, int l) {
  for (int k = 0; k < F->f->nblocks; k++) {
    if (F->bloop[k] != l) continue;
    for (const IrInst *i = F->f->blocks[k]->first; i; i = i->next)
      if (i->op == IR_ACTIONS) return i;
  }
  return NULL;
}

void loop_enter(Fn *F, int l) {
  Gen *g = F->g;
  FnLoop *L = &F->loops[l];
  if (L->kind == FN_LOOP_FOREACH) {
    LLVMBasicBlockRef out = bb_block(g, "loop.out");
    bb_store64(g, fn_scratch_at(F, F->exit_off), 0, bb_c64(g, FN_EXIT_NONE));
    const IrGlobal *ig = L->iter->g;
    LLVMValueRef a[4] = {g->maps[g->gmap[ig->id]].var, L->sub.fn, F->sub->env, bb_c64(g, 0)};
    bb_helper(g, BPF_FUNC_for_each_map_elem, g->i64, a, 4);
    LLVMValueRef code = bb_load64(g, fn_scratch_at(F, F->exit_off), 0);
    LLVMBasicBlockRef end = bb_block(g, "foreach.end");
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, code, bb_c64(g, FN_EXIT_NONE), ""), end, out);
    LLVMPositionBuilderAtEnd(g->b, end);
    LLVMBuildBr(g->b, fn_edge_to(F, L->header, L->done));
    LLVMPositionBuilderAtEnd(g->b, out);
    dispatch(F, l, code);
    return;
  }
  int64_t budget = g->o->maxaction > 0 ? g->o->maxaction : 1000;
  int64_t nr = budget + 1 < LOOP_MAX_CALLS ? budget + 1 : LOOP_MAX_CALLS;
  int64_t rounds = (budget + 1 + nr - 1) / nr;
  if (rounds > ROUNDS) rounds = ROUNDS;
  LLVMBasicBlockRef exited = bb_block(g, "loop.exit");
  for (int64_t r = 0; r < rounds; r++) {
    bb_store64(g, fn_scratch_at(F, F->exit_off), 0, bb_c64(g, FN_EXIT_NONE));
    LLVMValueRef a[4] = {LLVMConstInt(g->i32, (unsigned long long)nr, false), L->sub.fn, F->sub->env, bb_c64(g, 0)};
    bb_helper(g, BPF_FUNC_loop, g->i64, a, 4);
    LLVMValueRef code = bb_load64(g, fn_scratch_at(F, F->exit_off), 0);
    LLVMBasicBlockRef more = bb_block(g, "loop.again");
    LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, code, bb_c64(g, FN_EXIT_NONE), ""), exited, more);
    LLVMPositionBuilderAtEnd(g->b, more);
  }
  /* every round ran out without the loop ending: more iterations than
   * MAXACTION could pay for (never, as each iteration costs an action) */
  const IrInst *act = first_actions(F, l);
  if (act)
    fn_raise_error(F, act, 0, NULL, false);
  else
    fn_leave(F);
  LLVMPositionBuilderAtEnd(g->b, exited);
  dispatch(F, l, bb_load64(g, fn_scratch_at(F, F->exit_off), 0));
}

/* ---- a foreach's element ------------------------------------------------------------------- */

LLVMValueRef loop_iter_field(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  int l = loop_of_iter(F, i->args[0]);
  if (l < 0) {
    fn_unsupported(F, i, "this foreach");
    return NULL;
  }
  const FnLoop *L = &F->loops[l];
  const RtMapLayout *ml = &g->l->globals[L->iter->g->id].mlay[0];
  uint32_t off, size;
  RtType t;
  if (i->op == IR_ITER_KEY) {
    off = L->elem_off + ml->key_off[i->imm];
    size = ml->key_len[i->imm];
    t = ml->key_type[i->imm];
  } else {
    off = L->elem_off + ml->key_size;
    size = ml->val_size;
    t = ml->val_type;
  }
  if (t == RT_STR) { /* the element's own bytes: a new element comes only with the next iteration */
    F->soff[i->id] = off;
    F->obj[i->id] = size;
    return fn_scratch_at(F, off);
  }
  return bb_load64(g, F->scratch, off);
}

/* ---- callbacks of the generator's own ---------------------------------------------------------- */

/* Starts a new callback function (ret i64, nparams pointers or an i64 and
 * a pointer); F's context switches to it.  *saved keeps what to go back to. */
typedef struct Saved {
  LLVMBasicBlockRef here;
  int loop;
  SrcLoc loc;
  LLVMValueRef env;
  FnSub *sub; /* the function to go back to (a callback of ours, when nested) */
} Saved;

static LLVMValueRef callback_begin(Fn *F, const char *what, bool foreach, FnSub *s, Saved *sv) {
  Gen *g = F->g;
  char name[64];
  snprintf(name, sizeof name, "probe_%d%s_%s%d", F->p->index, g->prog_suffix, what, F->ncallbacks++);
  LLVMTypeRef params[4] = {g->ptr, g->ptr, g->ptr, g->ptr};
  LLVMTypeRef fty = foreach ? LLVMFunctionType(g->i64, params, 4, false)
                            : LLVMFunctionType(g->i64, (LLVMTypeRef[]){g->i64, g->ptr}, 2, false);
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, fty);
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  *sv = (Saved){LLVMGetInsertBlock(g->b), F->cur_loop, F->loc, F->sub->env, F->sub};
  memset(s, 0, sizeof *s);
  s->fn = fn;
  s->sp = fn_new_subprogram(F, name, fn);
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  F->sub = s;
  fn_set_loc(F, sv->loc);
  sub_prologue(F, s, LLVMGetParam(fn, foreach ? 3 : 1));
  F->fn = fn;
  F->scratch = s->scratch;
  F->glob = s->glob;
  F->ctl = s->ctl;
  F->ctxp = s->ctxp;
  F->zero = s->zero;
  F->cur_loop = -2; /* no IR value lives here */
  return fn;
}

static void callback_end(Fn *F, FnSub *s, const Saved *sv) {
  free(s->scopes);
  FnSub *b = sv->sub;
  F->sub = b;
  F->cur_loop = sv->loop;
  F->fn = b->fn;
  F->scratch = b->scratch;
  F->glob = b->glob;
  F->ctl = b->ctl;
  F->ctxp = b->ctxp;
  F->zero = b->zero;
  LLVMPositionBuilderAtEnd(F->g->b, sv->here);
  fn_set_loc(F, sv->loc);
}

LLVMValueRef loop_make_callback(Fn *F, const char *name, LoopCpuBody body, void *ctx) {
  Gen *g = F->g;
  FnSub s;
  Saved sv;
  LLVMValueRef fn = callback_begin(F, name, false, &s, &sv);
  LLVMValueRef more = body(F, LLVMGetParam(fn, 0), ctx);
  LLVMBuildRet(g->b, LLVMBuildSelect(g->b, more, bb_c64(g, 0), bb_c64(g, 1), ""));
  callback_end(F, &s, &sv);
  return fn;
}

void loop_call(Fn *F, LLVMValueRef fn, uint32_t nr) {
  Gen *g = F->g;
  LLVMValueRef a[4] = {LLVMConstInt(g->i32, nr, false), fn, F->sub->env, bb_c64(g, 0)};
  bb_helper(g, BPF_FUNC_loop, g->i64, a, 4);
}

void loop_callback(Fn *F, const char *name, uint32_t nr, LoopCpuBody body, void *ctx) {
  loop_call(F, loop_make_callback(F, name, body, ctx), nr);
}

void loop_over_cpus(Fn *F, const char *name, LoopCpuBody body, void *ctx) {
  loop_callback(F, name, MAX_CPUS, body, ctx);
}

/* In a map callback: go on only if the element's key k has the fixed keys
 * (bit j of mask) of the key buffer at key_off; else return 0 (next element). */
static void match_fixed(Fn *F, const RtMapLayout *ml, LLVMValueRef k, uint32_t key_off, uint32_t mask) {
  Gen *g = F->g;
  for (int j = 0; j < ml->nkeys; j++) {
    if (!(mask & (1u << j))) continue;
    LLVMValueRef want = bb_gep(g, fn_scratch_at(F, key_off), ml->key_off[j]), have = bb_gep(g, k, ml->key_off[j]);
    LLVMValueRef same =
        ml->key_type[j] == RT_LONG
            ? LLVMBuildICmp(g->b, LLVMIntEQ, bb_load64(g, have, 0), bb_load64(g, want, 0), "")
            : LLVMBuildICmp(g->b, LLVMIntEQ, fn_str_compare(F, have, want, ml->key_len[j]), bb_c64(g, 0), "");
    LLVMBasicBlockRef skip = bb_block(g, "keep"), ok = bb_block(g, "match");
    LLVMBuildCondBr(g->b, same, ok, skip);
    LLVMPositionBuilderAtEnd(g->b, skip);
    LLVMBuildRet(g->b, bb_c64(g, 0));
    LLVMPositionBuilderAtEnd(g->b, ok);
  }
}

void loop_map_clear(Fn *F, const IrGlobal *ig, int obj, uint32_t mask) {
  Gen *g = F->g;
  const RtMapLayout *ml = &g->l->globals[ig->id].mlay[obj];
  int map = g->gmap[ig->id] + obj;
  uint32_t key_off = F->key_off;
  FnSub s;
  Saved sv;
  LLVMValueRef fn = callback_begin(F, "clear", true, &s, &sv);
  LLVMValueRef k = LLVMGetParam(fn, 1);
  match_fixed(F, ml, k, key_off, mask);
  bb_map_delete(g, map, k);
  LLVMBuildRet(g->b, bb_c64(g, 0));
  callback_end(F, &s, &sv);
  LLVMValueRef a[4] = {g->maps[map].var, fn, sv.env, bb_c64(g, 0)};
  bb_helper(g, BPF_FUNC_for_each_map_elem, g->i64, a, 4);
}

bool loop_iter_is_any(Fn *F, const IrInst *it) {
  int next = 0, other = 0;
  for (int b = 0; b < F->f->nblocks; b++)
    for (const IrInst *i = F->f->blocks[b]->first; i; i = i->next)
      for (int k = 0; k < i->nargs; k++)
        if (i->args[k] == it) {
          if (i->op == IR_ITER_NEXT) next++;
          else if (i->op != IR_ITER_END) other++;
        }
  return next == 1 && !other && loop_of_iter(F, it) < 0;
}

/* [k, *] in a: whether some element has the slice's fixed keys (and the
 * limit lets one through). */
LLVMValueRef loop_iter_any(Fn *F, const IrInst *next) {
  Gen *g = F->g;
  const IrInst *it = next->args[0];
  const IrGlobal *ig = it->g;
  const IrSort *so = it->aux;
  const RtMapLayout *ml = &g->l->globals[ig->id].mlay[0];
  IrInst *args[9] = {0};
  int a = so->has_limit ? 1 : 0;
  for (int k = 0; k < ml->nkeys; k++)
    if (so->slice & (1u << k)) args[k] = it->args[a++];
  fn_build_key(F, ig, args, 0);
  uint32_t key_off = F->key_off, found = fn_scratch_alloc(F, 8);
  bb_store64(g, F->scratch, found, bb_c64(g, 0));
  LLVMBasicBlockRef walk = bb_block(g, "any.walk"), done = bb_block(g, "any.done");
  LLVMValueRef go = LLVMConstInt(g->i1, 1, false);
  if (so->has_limit) go = LLVMBuildICmp(g->b, LLVMIntSGT, V(it->args[0]), bb_c64(g, 0), "");
  LLVMBuildCondBr(g->b, go, walk, done);
  LLVMPositionBuilderAtEnd(g->b, walk);
  FnSub s;
  Saved sv;
  LLVMValueRef fn = callback_begin(F, "any", true, &s, &sv);
  match_fixed(F, ml, LLVMGetParam(fn, 1), key_off, so->slice);
  bb_store64(g, F->scratch, found, bb_c64(g, 1));
  LLVMBuildRet(g->b, bb_c64(g, 1));
  callback_end(F, &s, &sv);
  LLVMValueRef ha[4] = {g->maps[g->gmap[ig->id]].var, fn, sv.env, bb_c64(g, 0)};
  bb_helper(g, BPF_FUNC_for_each_map_elem, g->i64, ha, 4);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  return LLVMBuildICmp(g->b, LLVMIntNE, bb_load64(g, F->scratch, found), bb_c64(g, 0), "");
}

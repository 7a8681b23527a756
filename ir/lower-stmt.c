/* lower-stmt.c: statements and control flow.
 *
 * Each statement but a block or ';' first counts one action (ACTIONS; the
 * statements of one block share a single ACTIONS holding their sum, except
 * that a try region's start and end begin a new one), and each loop
 * iteration one more (loop_body).  Loops
 * push a LowerLoop so break and continue know where to go; foreach and try
 * push a LowerScope so that every way out (break, continue, return, next)
 * first closes the iterators and try regions it leaves (ITER_END, TRY_POP);
 * a foreach's normal exit and its break share one block that ends the
 * iterator.  A try body's errors go to the handler named by TRY_PUSH, which
 * starts with CATCH_MSG; unwinding on an error is the runtime's job.  Dead
 * code after a jump is still lowered (its mistakes are reported) into
 * blocks that lower.c drops.
 */
#include "lower.h"

static void loop_push(Lower *L, IrBlock *brk, IrBlock *cont) {
  if (L->nloops == L->cap_loops) {
    int c = L->cap_loops ? 2 * L->cap_loops : 8;
    L->loops = arena_realloc(L->a, L->loops, sizeof(LowerLoop) * (size_t)L->cap_loops,
                             sizeof(LowerLoop) * (size_t)c);
    L->cap_loops = c;
  }
  L->loops[L->nloops++] = (LowerLoop){brk, cont, L->nscopes};
}

static void loop_pop(Lower *L) {
  SUP_ASSERT(L->nloops > 0);
  L->nloops--;
}

/* The last statement of st that counts an action, or NULL if none does. */
static const AstStmt *last_counted(const AstStmt *st) {
  if (!st || st->kind == ST_NULL) return NULL;
  if (st->kind != ST_BLOCK) return st;
  for (int k = st->nbody - 1; k >= 0; k--) {
    const AstStmt *r = last_counted(st->body[k]);
    if (r) return r;
  }
  return NULL;
}

/* The body of loop st (its code starts in the current block): break goes to
 * brk, continue to cont.  Each iteration costs one action besides the
 * body's statements, as in stap's generated C (stap -p3: "actionremaining
 * -= N + 1" after a body of N statements, naming its last statement, or the
 * loop's keyword when the body is empty), so even an empty loop runs out of
 * MAXACTION.  The count opens the body's block, so that statements there
 * add to it. */
static void loop_body(Lower *L, const AstStmt *st, IrBlock *brk, IrBlock *cont) {
  const AstStmt *last = last_counted(st->then);
  L->acts = NULL;
  lower_actions(L, last ? last->loc : st->loc);
  loop_push(L, brk, cont);
  lower_stmt(L, st->then);
  loop_pop(L);
}

/* if (cond) then [else els] */
static void lower_if(Lower *L, const AstStmt *st) {
  IrBlock *then = lower_block(L), *join = lower_block(L), *els = st->els ? lower_block(L) : join;
  lower_branch(L, st->cond, then, els);
  lower_set_block(L, then);
  lower_stmt(L, st->then);
  lower_br(L, join, st->loc);
  if (st->els) {
    lower_set_block(L, els);
    lower_stmt(L, st->els);
    lower_br(L, join, st->loc);
  }
  lower_set_block(L, join);
}

/* while (cond) body */
static void lower_while(Lower *L, const AstStmt *st) {
  IrBlock *head = lower_block(L), *body = lower_block(L), *exit = lower_block(L);
  lower_br(L, head, st->loc);
  lower_set_block(L, head);
  lower_branch(L, st->cond, body, exit);
  lower_set_block(L, body);
  loop_body(L, st, exit, head);
  lower_br(L, head, st->loc);
  lower_set_block(L, exit);
}

/* for (init; cond; step) body: continue runs the step */
static void lower_for(Lower *L, const AstStmt *st) {
  if (st->expr) lower_expr(L, st->expr);
  IrBlock *head = lower_block(L), *body = lower_block(L), *step = lower_block(L), *exit = lower_block(L);
  lower_br(L, head, st->loc);
  lower_set_block(L, head);
  if (st->cond)
    lower_branch(L, st->cond, body, exit);
  else
    lower_br(L, body, st->loc);
  lower_set_block(L, body);
  loop_body(L, st, exit, step);
  lower_br(L, step, st->loc);
  lower_set_block(L, step);
  if (st->step) lower_expr(L, st->step);
  lower_br(L, head, st->loc);
  lower_set_block(L, exit);
}

/* ---- foreach ------------------------------------------------------------------------*/

static IrStatField sort_field(AstOp op) {
  switch (op) {
  case OP_SUM: return IR_STAT_SUM;
  case OP_MIN: return IR_STAT_MIN;
  case OP_MAX: return IR_STAT_MAX;
  case OP_AVG: return IR_STAT_AVG;
  case OP_VARIANCE: return IR_STAT_VARIANCE;
  default: return IR_STAT_COUNT; /* a statistics array sorted by value without @op: by @count */
  }
}

static IrSort *foreach_sort(Lower *L, const AstForeach *fe) {
  IrSort *s = ARENA_NEW(L->a, IrSort);
  s->col = fe->sort_col;
  s->dir = fe->sort_dir < 0 ? -1 : 1;
  s->aggr = sort_field(fe->sort_aggr);
  s->has_limit = fe->limit != NULL;
  return s;
}

/* Stores an iterator's key or value into the foreach variable var. */
static void bind(Lower *L, const AstExpr *var, IrOp op, IrType t, IrInst *it, int key) {
  LowerLval lv = lower_lval(L, var);
  IrInst *v = lower_emit(L, op, t, &it, 1, var->loc);
  v->imm = op == IR_ITER_KEY ? key : 0;
  lower_lval_set(L, &lv, v, var->loc);
}

/* The loop around an iterator: next, bind, body; exit ends the iterator. */
static void iterate(Lower *L, const AstStmt *st, IrInst *it) {
  const AstForeach *fe = st->fe;
  lower_scope_push(L, false, it);
  IrBlock *head = lower_block(L), *body = lower_block(L), *exit = lower_block(L);
  lower_br(L, head, st->loc);
  lower_set_block(L, head);
  IrInst *more = lower_emit(L, IR_ITER_NEXT, IR_BOOL, &it, 1, st->loc);
  lower_cbr(L, more, body, exit, st->loc);
  lower_set_block(L, body);
  for (int k = 0; k < fe->nkeys; k++) bind(L, fe->keys[k], IR_ITER_KEY, it->g->keys[k], it, k);
  if (fe->value) bind(L, fe->value, IR_ITER_VALUE, it->g->value, it, 0);
  loop_body(L, st, exit, head);
  lower_br(L, head, st->loc);
  lower_scope_pop(L);
  lower_set_block(L, exit);
  lower_emit(L, IR_ITER_END, IR_VOID, &it, 1, st->loc);
}

/* foreach ([k1, k2] in a[k, *] sort limit n): ITER_BEGIN's args are the
 * limit, then the fixed keys of the slice. */
static void lower_foreach_map(Lower *L, const AstStmt *st) {
  const AstForeach *fe = st->fe;
  IrGlobal *g = lower_global(L, fe->array->sym);
  if (!g) return;
  if (g->kind != IR_GLOBAL_MAP || fe->nkeys != g->nkeys) {
    diag_error(L->diag, fe->array->loc, "foreach needs an array with %d index%s, and '%s' is not one",
               fe->nkeys, fe->nkeys == 1 ? "" : "es", g->name);
    return;
  }
  if (fe->value && g->is_stat) { /* stap refuses it too: which extractor would it copy? */
    diag_error(L->diag, fe->value->loc, "foreach cannot copy the values of statistics array '%s'", g->name);
    return;
  }
  IrSort *sort = foreach_sort(L, fe);
  IrInst **args = arena_alloc(L->a, sizeof(IrInst *) * (size_t)(fe->nslice + 1));
  int n = 0;
  if (fe->limit) args[n++] = lower_expr(L, fe->limit);
  if (fe->has_slice && fe->nslice != g->nkeys) {
    diag_error(L->diag, fe->array->loc, "the slice of '%s' has %d index%s, but the array has %d", g->name,
               fe->nslice, fe->nslice == 1 ? "" : "es", g->nkeys);
    return;
  }
  for (int k = 0; fe->has_slice && k < fe->nslice; k++)
    if (fe->slice[k]) {
      args[n++] = lower_expr(L, fe->slice[k]);
      sort->slice |= 1u << k;
    }
  IrInst *it = lower_emit(L, IR_ITER_BEGIN, IR_ITER, args, n, st->loc);
  it->g = g;
  it->aux = sort;
  iterate(L, st, it);
}

/* foreach ([b] in @hist_log(s) limit n) and foreach (v = b in ...): the
 * buckets 0 .. N-1 in order (man stap STATISTICS: the two out-of-range
 * buckets of a linear histogram included).  As in stap's generated C (stap
 * -p3), b itself counts, a sort mark changes nothing, and v is the bucket's
 * count; the statistic's keys and the limit are evaluated once, first. */
static void lower_foreach_hist(Lower *L, const AstStmt *st) {
  const AstForeach *fe = st->fe;
  LowerHist h;
  if (fe->array->kind != EX_HIST || fe->array->rhs || fe->nkeys != 1) return; /* elaboration reported it */
  if (!lower_hist_operand(L, fe->array, &h)) return;
  int count = -1;
  IrInst *limit = fe->limit ? lower_expr(L, fe->limit) : NULL;
  if (limit) {
    count = ir_slot_new(L->f, IR_I64, "limit");
    lower_local_set(L, count, lower_const_i64(L, 0, st->loc), st->loc);
  }
  LowerLval b = lower_lval(L, fe->keys[0]);
  if (b.kind == LV_NONE) return;
  lower_lval_set(L, &b, lower_const_i64(L, 0, st->loc), fe->keys[0]->loc);
  IrBlock *head = lower_block(L), *body = lower_block(L), *step = lower_block(L), *exit = lower_block(L);
  lower_br(L, head, st->loc);
  lower_set_block(L, head);
  IrInst *cmp[2] = {lower_lval_get(L, &b, st->loc), lower_const_i64(L, h.nbuckets, st->loc)};
  lower_cbr(L, lower_emit(L, IR_LT, IR_BOOL, cmp, 2, st->loc), body, exit, st->loc);
  lower_set_block(L, body);
  if (limit) {
    IrBlock *go = lower_block(L);
    IrInst *c = lower_emit(L, IR_LOCAL_GET, IR_I64, NULL, 0, fe->limit->loc);
    c->imm = count;
    IrInst *lt[2] = {c, limit};
    lower_cbr(L, lower_emit(L, IR_LT, IR_BOOL, lt, 2, fe->limit->loc), go, exit, fe->limit->loc);
    lower_set_block(L, go);
    IrInst *inc[2] = {c, lower_const_i64(L, 1, fe->limit->loc)};
    lower_local_set(L, count, lower_emit(L, IR_ADD, IR_I64, inc, 2, fe->limit->loc), fe->limit->loc);
  }
  if (fe->value) {
    IrInst **args = arena_alloc(L->a, sizeof(IrInst *) * (size_t)(h.nkeys + 1));
    for (int k = 0; k < h.nkeys; k++) args[k] = h.keys[k];
    args[h.nkeys] = lower_lval_get(L, &b, fe->keys[0]->loc);
    IrInst *v = lower_emit(L, IR_HIST_BUCKET, IR_I64, args, h.nkeys + 1, fe->value->loc);
    v->g = h.g;
    v->imm = h.idx;
    LowerLval lv = lower_lval(L, fe->value);
    lower_lval_set(L, &lv, v, fe->value->loc);
  }
  loop_body(L, st, exit, step);
  lower_br(L, step, st->loc);
  lower_set_block(L, step);
  IrInst *inc[2] = {lower_lval_get(L, &b, st->loc), lower_const_i64(L, 1, st->loc)};
  lower_lval_set(L, &b, lower_emit(L, IR_ADD, IR_I64, inc, 2, st->loc), fe->keys[0]->loc);
  lower_br(L, head, st->loc);
  lower_set_block(L, exit);
}

static void lower_foreach(Lower *L, const AstStmt *st) {
  if (st->fe->array->kind == EX_VAR)
    lower_foreach_map(L, st);
  else
    lower_foreach_hist(L, st);
}

/* ---- jumps -------------------------------------------------------------------------*/

static void lower_jump(Lower *L, const AstStmt *st) {
  if (!L->nloops) return; /* elaboration reported it */
  const LowerLoop *lp = &L->loops[L->nloops - 1];
  lower_unwind(L, lp->depth, st->loc);
  lower_br(L, st->kind == ST_BREAK ? lp->brk : lp->cont, st->loc);
}

/* return [v]: the value is computed inside any try region, then the regions close. */
static void lower_return(Lower *L, const AstStmt *st) {
  if (!L->in_func) return; /* elaboration reported it */
  IrInst *v = st->expr ? lower_expr(L, st->expr) : NULL;
  if (L->f->ret == IR_VOID)
    v = NULL;
  else if (!v || v->type != L->f->ret)
    v = lower_default(L, L->f->ret, st->loc); /* 'return;' in a function with a value: 0 or "" */
  lower_unwind(L, 0, st->loc);
  lower_term(L, IR_RET, v, st->loc);
}

/* next: in a probe, leave it; in a function, run the next overload
 * (lower.c lays them out in one IrFunc), and after the last one fail as
 * stap does ("all functions exhausted", which stap reports at the call; the
 * callee only knows this statement). */
static void lower_next(Lower *L, const AstStmt *st) {
  lower_unwind(L, 0, st->loc);
  if (!L->in_func) {
    lower_term(L, IR_NEXT, NULL, st->loc);
  } else if (L->next_overload) {
    lower_br(L, L->next_overload, st->loc);
  } else {
    static const char msg[] = "all functions exhausted";
    IrInst *m = lower_const_str(L, msg, sizeof msg - 1, st->loc);
    lower_emit(L, IR_ERROR, IR_VOID, &m, 1, st->loc);
    lower_term(L, IR_UNREACHABLE, NULL, st->loc);
  }
}

/* ---- delete --------------------------------------------------------------------------*/

/* delete x (a local: back to 0 or ""), delete a (every element, or a scalar
 * global or statistic reset), delete a[k, *] (an element, or a slice). */
static void lower_delete(Lower *L, const AstStmt *st) {
  const AstExpr *e = st->expr;
  const AstSym *s = e->sym;
  if ((e->kind != EX_VAR && e->kind != EX_INDEX) || e->ncomps || !s) {
    if (!s || e->ncomps)
      diag_error(L->diag, e->loc, "'delete' needs a variable, an array or an array element");
    return;
  }
  if (e->kind == EX_VAR && s->kind != SYM_GLOBAL) {
    LowerLval lv = lower_lval(L, e);
    lower_lval_set(L, &lv, lower_default(L, lv.type, st->loc), st->loc);
    return;
  }
  IrGlobal *g = lower_global(L, s);
  if (!g) return;
  if (e->kind == EX_VAR) {
    lower_emit(L, IR_MAP_CLEAR, IR_VOID, NULL, 0, st->loc)->g = g;
    return;
  }
  if (g->kind != IR_GLOBAL_MAP || e->nargs != g->nkeys) {
    diag_error(L->diag, e->loc, "'%s' is used here as an array with %d index%s, but it is not one", g->name,
               e->nargs, e->nargs == 1 ? "" : "es");
    return;
  }
  IrInst **keys = arena_alloc(L->a, sizeof(IrInst *) * (size_t)(e->nargs + 1));
  int n = 0;
  int64_t wild = 0;
  for (int k = 0; k < e->nargs; k++) {
    if (e->args[k])
      keys[n++] = lower_expr(L, e->args[k]);
    else
      wild |= (int64_t)1 << k;
  }
  IrInst *i = lower_emit(L, IR_MAP_DELETE, IR_VOID, keys, n, st->loc);
  i->g = g;
  i->imm = wild;
}

/* ---- try/catch -------------------------------------------------------------------------*/

/* try { body } catch (msg) { handler }: locals the body sets are pinned to
 * their slots (lower_local_set), so the handler sees their latest values. */
static void lower_try(Lower *L, const AstStmt *st) {
  IrBlock *handler = lower_block(L), *join = lower_block(L);
  lower_emit(L, IR_TRY_PUSH, IR_VOID, NULL, 0, st->loc)->targets[0] = handler;
  L->acts = NULL; /* the body's statements count inside the region, where their failure is caught */
  lower_scope_push(L, true, NULL);
  L->try_depth++;
  lower_stmt(L, st->then);
  L->try_depth--;
  if (L->b) lower_emit(L, IR_TRY_POP, IR_VOID, NULL, 0, st->loc);
  L->acts = NULL;
  lower_br(L, join, st->loc);
  lower_scope_pop(L);
  lower_set_block(L, handler);
  IrInst *msg = lower_emit(L, IR_CATCH_MSG, IR_STR, NULL, 0, st->catch_var ? st->catch_var->loc : st->loc);
  if (st->catch_var) {
    LowerLval lv = lower_lval(L, st->catch_var);
    lower_lval_set(L, &lv, msg, st->catch_var->loc);
  }
  lower_stmt(L, st->els);
  lower_br(L, join, st->loc);
  lower_set_block(L, join);
}

/* ---- statements ---------------------------------------------------------------------------*/

void lower_stmt(Lower *L, const AstStmt *st) {
  if (!st) return;
  if (st->kind == ST_BLOCK) {
    for (int k = 0; k < st->nbody; k++) lower_stmt(L, st->body[k]);
    return;
  }
  if (st->kind == ST_NULL) return;
  lower_actions(L, st->loc);
  switch (st->kind) {
  case ST_EXPR: lower_expr(L, st->expr); break;
  case ST_IF: lower_if(L, st); break;
  case ST_WHILE: lower_while(L, st); break;
  case ST_FOR: lower_for(L, st); break;
  case ST_FOREACH: lower_foreach(L, st); break;
  case ST_BREAK:
  case ST_CONTINUE: lower_jump(L, st); break;
  case ST_NEXT: lower_next(L, st); break;
  case ST_RETURN: lower_return(L, st); break;
  case ST_DELETE: lower_delete(L, st); break;
  case ST_TRY: lower_try(L, st); break;
  case ST_EMBEDDED:
    diag_error(L->diag, st->loc, "embedded C, which stapjit cannot run (no C compiler)");
    break;
  default: SUP_UNREACHABLE();
  }
}

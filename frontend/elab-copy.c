/* elab-copy.c: deep copies of expressions, statements and probe points.
 *
 * Every derived probe owns its body: the resolver writes AstExpr.sym and the
 * type checker AstExpr.type per probe, and the optimiser rewrites statements,
 * so alias bodies and the user's body are copied for each concrete probe.
 * Copies drop earlier annotations (sym, func, type); locations and strings
 * are shared with the original, which is never modified.
 */
#include "elab.h"

#include <string.h>

static AstExpr **copy_list(Arena *a, AstExpr *const *v, int n) {
  if (!v) return NULL;
  AstExpr **r = arena_alloc(a, sizeof(AstExpr *) * (size_t)(n ? n : 1));
  for (int k = 0; k < n; k++) r[k] = v[k] ? elab_copy_expr(a, v[k]) : NULL;
  return r;
}

static AstComp *copy_comps(Arena *a, const AstComp *c, int n) {
  if (!c) return NULL;
  AstComp *r = arena_alloc(a, sizeof(AstComp) * (size_t)(n ? n : 1));
  for (int k = 0; k < n; k++) {
    r[k] = c[k];
    if (c[k].index) r[k].index = elab_copy_expr(a, c[k].index);
  }
  return r;
}

AstExpr *elab_copy_expr(Arena *a, const AstExpr *e) {
  if (!e) return NULL;
  AstExpr *r = ARENA_NEW(a, AstExpr);
  *r = *e;
  r->type = TY_UNKNOWN;
  r->sym = NULL;
  r->func = NULL;
  r->lhs = elab_copy_expr(a, e->lhs);
  r->rhs = elab_copy_expr(a, e->rhs);
  r->cond = elab_copy_expr(a, e->cond);
  r->args = copy_list(a, e->args, e->nargs);
  r->comps = copy_comps(a, e->comps, e->ncomps);
  return r;
}

static AstForeach *copy_foreach(Arena *a, const AstForeach *fe) {
  AstForeach *r = ARENA_NEW(a, AstForeach);
  *r = *fe;
  r->value = elab_copy_expr(a, fe->value);
  r->keys = copy_list(a, fe->keys, fe->nkeys);
  r->array = elab_copy_expr(a, fe->array);
  r->slice = copy_list(a, fe->slice, fe->nslice);
  r->limit = elab_copy_expr(a, fe->limit);
  return r;
}

AstStmt *elab_copy_stmt(Arena *a, const AstStmt *st) {
  if (!st) return NULL;
  AstStmt *r = ARENA_NEW(a, AstStmt);
  *r = *st;
  if (st->body) {
    r->body = arena_alloc(a, sizeof(AstStmt *) * (size_t)(st->nbody ? st->nbody : 1));
    for (int k = 0; k < st->nbody; k++) r->body[k] = elab_copy_stmt(a, st->body[k]);
  }
  r->expr = elab_copy_expr(a, st->expr);
  r->cond = elab_copy_expr(a, st->cond);
  r->step = elab_copy_expr(a, st->step);
  r->then = elab_copy_stmt(a, st->then);
  r->els = elab_copy_stmt(a, st->els);
  r->catch_var = elab_copy_expr(a, st->catch_var);
  if (st->fe) r->fe = copy_foreach(a, st->fe);
  return r;
}

AstProbePoint *elab_copy_point(Arena *a, const AstProbePoint *pp) {
  AstProbePoint *r = ARENA_NEW(a, AstProbePoint);
  *r = *pp;
  r->comps = arena_alloc(a, sizeof(AstPpComp) * (size_t)(pp->ncomps ? pp->ncomps : 1));
  if (pp->ncomps) memcpy(r->comps, pp->comps, sizeof(AstPpComp) * (size_t)pp->ncomps);
  r->cond = elab_copy_expr(a, pp->cond);
  return r;
}

/* elab-opt.c: what stap's pass 2 optimiser removes, and the program lists.
 *
 * Unless -u: an assignment to a local that is never read is elided (its
 * right side stays if it has side effects), an expression statement without
 * side effects is dropped, and a probe whose body ends up empty is dropped;
 * this repeats until nothing changes (langref 3.3.1).  It runs before type
 * inference, so types of elided code do not matter, as in stap.  Then the
 * functions reachable from the remaining probes, the globals they use and the
 * library files those come from make up the ElabProgram, in stap's -p2
 * order; read/written flags are final and the never-assigned warnings given.
 * Side effects: assignments, ++/--, delete of globals, <<<, printing, 'next',
 * embedded C (unless marked pure), and calls of functions that have any.
 * With -u nothing is elided, and the user's unused functions and globals are
 * kept too (elab-types.c later drops those no use can type).
 */
#include "elab.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- generic walks ------------------------------------------------------------------*/

void elab_walk_expr(AstExpr *e, ElabExprFn fn, void *ctx) {
  if (!e) return;
  fn(ctx, e);
  elab_walk_expr(e->cond, fn, ctx);
  elab_walk_expr(e->lhs, fn, ctx);
  elab_walk_expr(e->rhs, fn, ctx);
  for (int k = 0; e->args && k < e->nargs; k++) elab_walk_expr(e->args[k], fn, ctx);
  for (int k = 0; e->comps && k < e->ncomps; k++) elab_walk_expr(e->comps[k].index, fn, ctx);
}

void elab_walk_stmt(AstStmt *st, ElabExprFn fn, void *ctx) {
  if (!st) return;
  for (int k = 0; k < st->nbody; k++) elab_walk_stmt(st->body[k], fn, ctx);
  elab_walk_expr(st->expr, fn, ctx);
  elab_walk_expr(st->cond, fn, ctx);
  elab_walk_expr(st->step, fn, ctx);
  if (st->fe) {
    AstForeach *fe = st->fe;
    elab_walk_expr(fe->array, fn, ctx);
    for (int k = 0; k < fe->nslice; k++) elab_walk_expr(fe->slice[k], fn, ctx);
    for (int k = 0; k < fe->nkeys; k++) elab_walk_expr(fe->keys[k], fn, ctx);
    elab_walk_expr(fe->value, fn, ctx);
    elab_walk_expr(fe->limit, fn, ctx);
  }
  elab_walk_stmt(st->then, fn, ctx);
  elab_walk_expr(st->catch_var, fn, ctx);
  elab_walk_stmt(st->els, fn, ctx);
}

/* ---- reads and writes -------------------------------------------------------------*/

static void mark(AstSym *s, bool rd, bool wr) {
  if (!s) return;
  s->read |= rd;
  s->written |= wr;
}

static void rw_expr(AstExpr *e);

static void rw_list(AstExpr **v, int n) {
  for (int k = 0; v && k < n; k++)
    if (v[k]) rw_expr(v[k]);
}

/* An lvalue being written; with rd it is read too (+=, ++). */
static void rw_lvalue(AstExpr *e, bool rd) {
  switch (e->kind) {
  case EX_VAR: mark(e->sym, rd, true); break;
  case EX_INDEX:
    mark(e->sym, rd, true);
    rw_list(e->args, e->nargs);
    break;
  default: rw_expr(e); break;
  }
}

static void rw_expr(AstExpr *e) {
  switch (e->kind) {
  case EX_VAR:
  case EX_PROBEWRITE: mark(e->sym, true, false); break;
  case EX_INDEX:
  case EX_IN:
    mark(e->sym, true, false);
    rw_list(e->args, e->nargs);
    break;
  case EX_ASSIGN:
    rw_lvalue(e->lhs, e->op != OP_ASSIGN && e->op != OP_AGG);
    rw_expr(e->rhs);
    break;
  case EX_PREINC:
  case EX_POSTINC: rw_lvalue(e->lhs, true); break;
  default:
    if (e->cond) rw_expr(e->cond);
    if (e->lhs) rw_expr(e->lhs);
    if (e->rhs) rw_expr(e->rhs);
    rw_list(e->args, e->nargs);
    for (int k = 0; e->comps && k < e->ncomps; k++)
      if (e->comps[k].index) rw_expr(e->comps[k].index);
    break;
  }
}

/* An expression whose value is dropped: a statement, a for loop's init or
 * step.  With pure_writes, 'x += 1', 'x .= s' and 'x++' there only write x,
 * as stap counts them for its display of unread globals (stap 4.8 displays
 * 'global c ... c += 41' at exit, but not when the value is used, as in
 * 'y = c++').  Its optimiser counts them as reads: 'x = 5; x += 1' keeps
 * 'x = 5' (stap -p2), so the elision walks without pure_writes. */
static void rw_effect(AstExpr *e, bool pure_writes) {
  if (pure_writes && e->kind == EX_ASSIGN) {
    rw_lvalue(e->lhs, false);
    rw_expr(e->rhs);
  } else if (pure_writes && (e->kind == EX_PREINC || e->kind == EX_POSTINC)) {
    rw_lvalue(e->lhs, false);
  } else {
    rw_expr(e);
  }
}

static void rw_stmt(AstStmt *st, bool pure_writes) {
  if (!st) return;
  for (int k = 0; k < st->nbody; k++) rw_stmt(st->body[k], pure_writes);
  if (st->kind == ST_DELETE) {
    rw_lvalue(st->expr, false);
  } else if (st->kind == ST_FOREACH) {
    AstForeach *fe = st->fe;
    if (fe->array->kind == EX_VAR)
      mark(fe->array->sym, true, false);
    else
      rw_expr(fe->array);
    rw_list(fe->slice, fe->nslice);
    for (int k = 0; k < fe->nkeys; k++) rw_lvalue(fe->keys[k], false);
    if (fe->value) rw_lvalue(fe->value, false);
    if (fe->limit) rw_expr(fe->limit);
  } else if (st->kind == ST_TRY) {
    if (st->catch_var) rw_lvalue(st->catch_var, false);
  } else if (st->kind == ST_EXPR || st->kind == ST_FOR) {
    if (st->expr) rw_effect(st->expr, pure_writes);
    if (st->cond) rw_expr(st->cond);
    if (st->step) rw_effect(st->step, pure_writes);
  } else {
    if (st->expr) rw_expr(st->expr);
    if (st->cond) rw_expr(st->cond);
  }
  rw_stmt(st->then, pure_writes);
  rw_stmt(st->els, pure_writes);
}

static void reset_locals(AstSym **v, int n) {
  for (int k = 0; k < n; k++) v[k]->read = v[k]->written = false;
}

/* ---- side effects -------------------------------------------------------------------*/

static bool is_printing(const char *name) { return name[0] == 'p'; /* print*, not sprint* */ }

bool elab_expr_has_side_effects(Elab *E, const AstExpr *e) {
  if (!e) return false;
  switch (e->kind) {
  case EX_ASSIGN:
  case EX_PREINC:
  case EX_POSTINC: return true;
  case EX_EMBEDDED: return !strstr(e->str, "/* pure */");
  case EX_CALL:
    /* an unresolved call counts as one with effects: no second message */
    if (e->func ? elab_finfo(E, e->func)->impure : !elab_is_print_builtin(e->name) || is_printing(e->name))
      return true;
    break;
  default: break;
  }
  if (elab_expr_has_side_effects(E, e->cond) || elab_expr_has_side_effects(E, e->lhs) ||
      elab_expr_has_side_effects(E, e->rhs))
    return true;
  for (int k = 0; e->args && k < e->nargs; k++)
    if (elab_expr_has_side_effects(E, e->args[k])) return true;
  for (int k = 0; e->comps && k < e->ncomps; k++)
    if (elab_expr_has_side_effects(E, e->comps[k].index)) return true;
  return false;
}

typedef struct Purity {
  Elab *E;
  bool impure;
  PtrVec *callees;
} Purity;

static bool writes_nonlocal(const AstExpr *lv) {
  return !(lv->kind == EX_VAR && lv->sym && lv->sym->kind != SYM_GLOBAL);
}

static void purity_expr(void *ctx, AstExpr *e) {
  Purity *p = ctx;
  if (e->kind == EX_ASSIGN || e->kind == EX_PREINC || e->kind == EX_POSTINC)
    p->impure |= writes_nonlocal(e->lhs);
  else if (e->kind == EX_EMBEDDED)
    p->impure |= !strstr(e->str, "/* pure */");
  else if (e->kind == EX_CALL && e->func)
    for (AstFunc *f = e->func; f; f = f->fallback) ptrvec_push(p->E->a, p->callees, f);
  else if (e->kind == EX_CALL)
    p->impure |= is_printing(e->name);
}

static void purity_stmt(Purity *p, AstStmt *st) {
  if (!st) return;
  if (st->kind == ST_NEXT) p->impure = true; /* an embedded body counted already */
  if (st->kind == ST_DELETE) p->impure |= writes_nonlocal(st->expr);
  for (int k = 0; k < st->nbody; k++) purity_stmt(p, st->body[k]);
  purity_stmt(p, st->then);
  purity_stmt(p, st->els);
}

/* Direct effects per function, then every caller of an impure function,
 * through the reversed call graph (linear, whatever the depth of calls). */
static void compute_purity(Elab *E) {
  int n = E->func_work.n;
  PtrVec *callers = arena_alloc(E->a, sizeof(PtrVec) * (size_t)(n ? n : 1));
  ElabPtrMap index = {0};
  for (int k = 0; k < n; k++) elab_ptrmap_put(E->a, &index, E->func_work.items[k], (void *)(intptr_t)(k + 1));
  PtrVec work = {0};
  for (int k = 0; k < n; k++) {
    AstFunc *fn = E->func_work.items[k];
    PtrVec callees = {0};
    Purity p = {E, fn->embedded && !(fn->pragmas & FN_PRAGMA_PURE), &callees};
    purity_stmt(&p, fn->body);
    elab_walk_stmt(fn->body, purity_expr, &p);
    elab_finfo(E, fn)->impure = p.impure;
    if (p.impure) ptrvec_push(E->a, &work, fn);
    for (int j = 0; j < callees.n; j++) {
      intptr_t c = (intptr_t)elab_ptrmap_get(&index, callees.items[j]);
      if (c) ptrvec_push(E->a, &callers[c - 1], fn);
    }
  }
  for (int w = 0; w < work.n; w++) {
    intptr_t k = (intptr_t)elab_ptrmap_get(&index, work.items[w]);
    for (int j = 0; j < callers[k - 1].n; j++) {
      ElabFuncInfo *fi = elab_finfo(E, callers[k - 1].items[j]);
      if (fi->impure) continue;
      fi->impure = true;
      ptrvec_push(E->a, &work, fi->fn);
    }
  }
}

/* ---- elision --------------------------------------------------------------------------*/

typedef struct Elider {
  Elab *E;
  bool changed;
  bool warn;
} Elider;

static bool warn_here(Elider *el, SrcLoc loc) { return el->warn && !elab_loc_is_tapset(el->E, loc); }

static AstExpr *elide_expr(Elider *el, AstExpr *e) {
  if (!e) return NULL;
  e->cond = elide_expr(el, e->cond);
  e->lhs = elide_expr(el, e->lhs);
  e->rhs = elide_expr(el, e->rhs);
  for (int k = 0; e->args && k < e->nargs; k++) e->args[k] = elide_expr(el, e->args[k]);
  for (int k = 0; e->comps && k < e->ncomps; k++) e->comps[k].index = elide_expr(el, e->comps[k].index);
  if (e->kind == EX_ASSIGN && e->op == OP_ASSIGN && e->lhs->kind == EX_VAR && e->lhs->sym &&
      e->lhs->sym->kind == SYM_LOCAL && !e->lhs->sym->read) {
    if (warn_here(el, e->loc))
      elab_warning(el->E, e->loc, "eliding assignment to '%s', which is never read", e->lhs->name);
    el->changed = true;
    return e->rhs;
  }
  return e;
}

static bool stmt_empty(const AstStmt *st) {
  if (!st || st->kind == ST_NULL) return true;
  if (st->kind != ST_BLOCK) return false;
  for (int k = 0; k < st->nbody; k++)
    if (!stmt_empty(st->body[k])) return false;
  return true;
}

/* An expression in statement position: dropped (NULL) when it does nothing. */
static AstExpr *elide_effect(Elider *el, AstExpr *e) {
  if (!e) return NULL;
  bool was_assign = e->kind == EX_ASSIGN;
  e = elide_expr(el, e);
  if (elab_expr_has_side_effects(el->E, e)) return e;
  if (!was_assign && warn_here(el, e->loc))
    elab_warning(el->E, e->loc, "eliding side-effect-free expression");
  el->changed = true;
  return NULL;
}

static AstStmt *elide_stmt(Elider *el, AstStmt *st) {
  if (!st) return NULL;
  switch (st->kind) {
  case ST_BLOCK: {
    int n = 0;
    for (int k = 0; k < st->nbody; k++)
      if ((st->body[n] = elide_stmt(el, st->body[k]))) n++;
    st->nbody = n;
    return st;
  }
  case ST_EXPR: return (st->expr = elide_effect(el, st->expr)) ? st : NULL;
  case ST_IF:
    st->cond = elide_expr(el, st->cond);
    st->then = elide_stmt(el, st->then);
    st->els = elide_stmt(el, st->els);
    if (stmt_empty(st->then) && stmt_empty(st->els) && !elab_expr_has_side_effects(el->E, st->cond)) {
      el->changed = true;
      return NULL;
    }
    if (!st->then) {
      st->then = ARENA_NEW(el->E->a, AstStmt);
      st->then->kind = ST_NULL;
      st->then->loc = st->loc;
    }
    return st;
  case ST_FOR:
    st->expr = elide_effect(el, st->expr);
    st->step = elide_effect(el, st->step);
    /* fallthrough */
  case ST_WHILE:
  case ST_FOREACH:
    if (st->cond) st->cond = elide_expr(el, st->cond);
    if (!(st->then = elide_stmt(el, st->then))) {
      st->then = ARENA_NEW(el->E->a, AstStmt);
      st->then->kind = ST_NULL;
      st->then->loc = st->loc;
    }
    return st;
  case ST_TRY:
    st->then = elide_stmt(el, st->then);
    st->els = elide_stmt(el, st->els);
    if (!st->then) return NULL;
    return st;
  case ST_RETURN:
  case ST_DELETE: st->expr = elide_expr(el, st->expr); return st;
  case ST_NULL: return NULL;
  default: return st;
  }
}

static void elide_body(Elab *E, AstStmt *body, AstSym **locals, int nlocals, AstExpr *cond) {
  Elider el = {.E = E, .warn = E->s->opt.unused_warnings};
  for (int round = 0; round < 100; round++) {
    reset_locals(locals, nlocals);
    if (cond) rw_expr(cond);
    rw_stmt(body, false);
    el.changed = false;
    elide_stmt(&el, body);
    if (!el.changed) break;
  }
}

/* ---- what is kept ----------------------------------------------------------------------*/

typedef struct Keep {
  Elab *E;
  PtrVec globals; /* first-reference order */
  PtrVec files;
  PtrVec *locals; /* the scope being filtered */
  PtrVec work;    /* functions reached */
} Keep;

static void keep_file(Keep *k, AstFile *f) {
  if (!f || f->used) return;
  f->used = true;
  ptrvec_push(k->E->a, &k->files, f);
}

static void keep_global(Keep *k, AstSym *g) {
  if (!g || g->kind != SYM_GLOBAL || g->used) return;
  g->used = true;
  g->index = k->globals.n;
  ptrvec_push(k->E->a, &k->globals, g);
}

/* fn and the overloads its 'next' may run. */
static void reach_func(Keep *k, AstFunc *fn) {
  for (; fn; fn = fn->fallback) {
    ElabFuncInfo *fi = elab_finfo(k->E, fn);
    if (fi->reached) return;
    fi->reached = true;
    fn->used = true;
    ptrvec_push(k->E->a, &k->work, fn);
  }
}

static void keep_expr(void *ctx, AstExpr *e) {
  Keep *k = ctx;
  if (e->kind == EX_CALL && e->func) reach_func(k, e->func);
  if (e->sym) keep_global(k, e->sym);
}

/* stap lists functions in the order of its internal names,
 * NAME__overload_N with N counting the definitions of NAME: the library's
 * first, then the user's (stap -p2 lists a library 'ov(a)' before a user
 * script's 'ov(x, y)'). */
static const char *sort_key(Elab *E, const AstFunc *fn) {
  PtrVec *same = elab_map_get(&E->funcs, fn->name);
  bool user = fn->file == E->user;
  int n = 0;
  for (int k = 0; same && k < same->n && same->items[k] != fn; k++)
    n += (((AstFunc *)same->items[k])->file == E->user) == user;
  if (user)
    for (int k = 0; same && k < same->n; k++) n += ((AstFunc *)same->items[k])->file != E->user;
  return arena_printf(E->a, "%s__overload_%d", fn->name, n);
}

typedef struct Sorted {
  const char *key;
  AstFunc *fn;
} Sorted;

static int sorted_cmp(const void *a, const void *b) {
  return strcmp(((const Sorted *)a)->key, ((const Sorted *)b)->key);
}

/* Locals still mentioned, in their first-use order. */
static void collect_syms(void *ctx, AstExpr *e) {
  if (e->sym && e->sym->kind == SYM_LOCAL) e->sym->used = true;
  (void)ctx;
}

static AstSym **filter_locals(Elab *E, AstSym **v, int n, AstStmt *body, AstExpr *cond, int *out) {
  for (int k = 0; k < n; k++) v[k]->used = v[k]->kind == SYM_PARAM;
  elab_walk_stmt(body, collect_syms, NULL);
  elab_walk_expr(cond, collect_syms, NULL);
  AstSym **r = arena_alloc(E->a, sizeof(AstSym *) * (size_t)(n ? n : 1));
  int m = 0;
  for (int k = 0; k < n; k++)
    if (v[k]->used) {
      v[k]->index = m;
      r[m++] = v[k];
    }
  *out = m;
  return r;
}

static void reset_used(Elab *E) {
  for (int i = 0; i < E->files.n; i++) ((AstFile *)E->files.items[i])->used = false;
  for (int i = 0; i < E->finfo.n; i++) {
    ElabFuncInfo *fi = E->finfo.items[i];
    fi->reached = false;
    fi->fn->used = false;
  }
  for (int i = 0; i < E->globals.cap; i++)
    for (int j = 0; E->globals.keys[i] && j < E->globals.vals[i]->n; j++)
      ((AstSym *)E->globals.vals[i]->items[j])->used = false;
}

static void walk_probes(Keep *k) {
  ElabProgram *P = k->E->prog;
  for (int i = 0; i < P->probes.n; i++) {
    ElabProbe *ep = P->probes.items[i];
    elab_walk_expr(ep->cond, keep_expr, k);
    elab_walk_stmt(ep->body, keep_expr, k);
  }
}

/* Reachable functions, then a second walk that orders globals the way stap's
 * -p2 does: first reference in the probes, then in the functions by name. */
static void build_lists(Elab *E, bool unopt) {
  ElabProgram *P = E->prog;
  Keep k = {.E = E};
  reset_used(E);
  walk_probes(&k);
  if (unopt)
    for (int i = 0; i < E->user->funcs.n; i++) reach_func(&k, E->user->funcs.items[i]);
  for (int i = 0; i < k.work.n; i++) elab_walk_stmt(((AstFunc *)k.work.items[i])->body, keep_expr, &k);
  PtrVec order = {0};
  Sorted *fs = arena_alloc(E->a, sizeof(Sorted) * (size_t)(k.work.n ? k.work.n : 1));
  for (int i = 0; i < k.work.n; i++) fs[i] = (Sorted){sort_key(E, k.work.items[i]), k.work.items[i]};
  qsort(fs, (size_t)k.work.n, sizeof *fs, sorted_cmp);

  for (int i = 0; i < k.globals.n; i++) ((AstSym *)k.globals.items[i])->used = false;
  k.globals = (PtrVec){0};
  walk_probes(&k);
  for (int i = 0; i < k.work.n; i++) {
    ElabFuncInfo *fi = elab_finfo(E, fs[i].fn);
    ptrvec_push(E->a, &order, fi->fn);
    elab_walk_stmt(fi->fn->body, keep_expr, &k);
    for (int j = 0; j < fi->globals_read.n; j++) keep_global(&k, fi->globals_read.items[j]);
    for (int j = 0; j < fi->globals_written.n; j++) keep_global(&k, fi->globals_written.items[j]);
  }
  if (unopt)
    for (int i = 0; i < E->user->globals.n; i++) keep_global(&k, E->user->globals.items[i]);

  keep_file(&k, E->user);
  for (int i = 0; i < E->pinfo.n; i++) {
    ElabProbeInfo *pi = E->pinfo.items[i];
    for (int j = 0; j < pi->aliases.n; j++) keep_file(&k, ((ElabAlias *)pi->aliases.items[j])->file);
  }
  for (int i = 0; i < order.n; i++) keep_file(&k, ((AstFunc *)order.items[i])->file);
  for (int i = 0; i < k.globals.n; i++) keep_file(&k, ((AstSym *)k.globals.items[i])->file);
  P->funcs = order;
  P->globals = k.globals;
  P->files = k.files;
  P->ntapset_files = k.files.n - 1;
  P->embeds = (PtrVec){0};
  for (int i = 0; i < k.files.n; i++) {
    AstFile *f = k.files.items[i];
    for (int j = 0; j < f->embeds.n; j++) ptrvec_push(E->a, &P->embeds, f->embeds.items[j]);
  }
}

/* ---- flags and warnings ---------------------------------------------------------------*/

static void final_flags(Elab *E) {
  ElabProgram *P = E->prog;
  for (int i = 0; i < P->globals.n; i++) {
    AstSym *g = P->globals.items[i];
    g->read = false;
    g->written = g->init || g->from_cmdline;
  }
  for (int i = 0; i < P->probes.n; i++) {
    ElabProbe *ep = P->probes.items[i];
    reset_locals(ep->locals, ep->nlocals);
    for (int k = 0; k < ep->nlocals; k++) ep->locals[k]->used = true;
    if (ep->cond) rw_expr(ep->cond);
    rw_stmt(ep->body, true);
  }
  for (int i = 0; i < P->funcs.n; i++) {
    AstFunc *fn = P->funcs.items[i];
    ElabFuncInfo *fi = elab_finfo(E, fn);
    reset_locals(fn->locals, fn->nlocals);
    for (int k = 0; k < fn->nlocals; k++) fn->locals[k]->used = true;
    for (int k = 0; k < fn->nparams && k < fn->nlocals; k++) fn->locals[k]->written = true;
    rw_stmt(fn->body, true);
    for (int j = 0; j < fi->globals_read.n; j++) mark(fi->globals_read.items[j], true, false);
    for (int j = 0; j < fi->globals_written.n; j++) mark(fi->globals_written.items[j], false, true);
  }
}

static void warn_never_assigned(Elab *E, AstSym **v, int n) {
  for (int k = 0; k < n; k++) {
    AstSym *s = v[k];
    if (s->kind != SYM_LOCAL || !s->read || s->written || elab_loc_is_tapset(E, s->loc)) continue;
    PtrVec names = {0};
    for (int i = 0; i < E->globals.cap; i++)
      if (E->globals.keys[i] && elab_lookup_global(E, E->globals.keys[i], elab_file_of(E, s->loc)))
        ptrvec_push(E->a, &names, (void *)E->globals.keys[i]);
    for (int i = 0; i < n; i++)
      if (v[i]->written) ptrvec_push(E->a, &names, (void *)v[i]->name);
    elab_warning(E, s->loc, "never-assigned local variable '%s'%s", s->name,
                 elab_suggest(E, s->name, (const char *const *)names.items, names.n));
  }
}

static void warnings(Elab *E) {
  ElabProgram *P = E->prog;
  for (int i = 0; i < P->globals.n; i++) {
    AstSym *g = P->globals.items[i];
    if (g->read && !g->written && !elab_loc_is_tapset(E, g->loc))
      elab_warning(E, g->loc, "never-assigned global variable '%s'", g->name);
  }
  for (int i = 0; i < P->probes.n; i++) {
    ElabProbe *ep = P->probes.items[i];
    warn_never_assigned(E, ep->locals, ep->nlocals);
  }
  for (int i = 0; i < P->funcs.n; i++) {
    AstFunc *fn = P->funcs.items[i];
    warn_never_assigned(E, fn->locals, fn->nlocals);
  }
}

/* ---- the phase --------------------------------------------------------------------------*/

static void drop_empty_probes(Elab *E) {
  ElabProgram *P = E->prog;
  int n = 0;
  for (int i = 0; i < P->probes.n; i++) {
    ElabProbe *ep = P->probes.items[i];
    if (stmt_empty(ep->body)) {
      const AstProbePoint *at = ep->origin->npoints ? ep->origin->points[0] : NULL;
      if (E->s->opt.unused_warnings)
        elab_warning(E, at ? at->loc : ep->origin->loc, "probe '%s' has been elided: its body does nothing",
                     ep->pp);
      continue;
    }
    ep->index = n;
    E->pinfo.items[n] = E->pinfo.items[i];
    P->probes.items[n++] = ep;
  }
  P->probes.n = E->pinfo.n = n;
}

void elab_optimize(Elab *E) {
  ElabProgram *P = E->prog;
  compute_purity(E);
  if (!E->s->opt.unoptimized) {
    for (int i = 0; i < P->probes.n; i++) {
      ElabProbe *ep = P->probes.items[i];
      elide_body(E, ep->body, ep->locals, ep->nlocals, ep->cond);
      ep->locals = filter_locals(E, ep->locals, ep->nlocals, ep->body, ep->cond, &ep->nlocals);
    }
    for (int i = 0; i < E->func_work.n; i++) {
      AstFunc *fn = E->func_work.items[i];
      if (fn->embedded) continue;
      elide_body(E, fn->body, fn->locals, fn->nlocals, NULL);
      fn->locals = filter_locals(E, fn->locals, fn->nlocals, fn->body, NULL, &fn->nlocals);
    }
    drop_empty_probes(E);
  }
  if (E->s->opt.unoptimized) {
    /* what -u alone keeps is marked, so that types need not resolve there */
    build_lists(E, false);
    for (int i = 0; i < P->funcs.n; i++) elab_finfo(E, P->funcs.items[i])->base = true;
    PtrVec base = P->globals;
    build_lists(E, true);
    for (int i = 0; i < P->funcs.n; i++)
      elab_finfo(E, P->funcs.items[i])->uonly = !elab_finfo(E, P->funcs.items[i])->base;
    for (int i = 0; i < P->globals.n; i++) {
      bool in = false;
      for (int j = 0; j < base.n && !in; j++) in = base.items[j] == P->globals.items[i];
      if (!in) ptrvec_push(E->a, &E->uonly_globals, P->globals.items[i]);
    }
  } else {
    build_lists(E, false);
  }
  final_flags(E);
  warnings(E);
  if (!P->probes.n && !E->d->nerrors) elab_error(E, (SrcLoc){0}, "no probes found");
}

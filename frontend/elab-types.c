/* elab-types.c: type inference with stap's rules.
 *
 * Types are long, string and stats; arrays have a value type and a type per
 * key.  Each round walks every kept probe and function; an expression's
 * context says what it wants (elab.h's ELAB_WANT_* or a type), and an unknown
 * variable, parameter, array key or function result takes the type its first
 * typed use gives it (remembering where, for the note on a later conflict).
 * Rounds repeat until nothing is learned; a type once set never changes, so a
 * conflict found in one round is found the same way in the next (elab_error
 * reports it once).  Declared parameter and return types and global
 * initialisers seed the rounds.  What is still unknown at the end is an error.
 */
#include "elab.h"

#include <string.h>

#define MAX_ROUNDS 2000 /* each round learns something, or it is the last */

static bool concrete(int t) { return t == TY_LONG || t == TY_STRING || t == TY_STATS; }

static const char *tname(int t) {
  switch (t) {
  case TY_LONG: return "long";
  case TY_STRING: return "string";
  case TY_STATS: return "stats";
  case ELAB_WANT_SCALAR: return "long or string";
  default: return "unknown";
  }
}

/* ---- symbols ---------------------------------------------------------------------*/

static SrcLoc *arity_loc(Elab *E, const AstSym *s) { return elab_ptrmap_get(&E->arity_at, s); }

/* Checks (or sets) how many indexes s takes; false after reporting a conflict. */
static bool check_arity(ElabTyper *T, AstSym *s, int n, SrcLoc at) {
  Elab *E = T->E;
  if (n == 0 && s->arity != 0 && (s->maxsize || s->wrap)) {
    elab_error(E, at, "'%s' is declared as an array but used here as a scalar", s->name);
    elab_note(E, s->loc, "'%s' is declared here", s->name);
    return false;
  }
  if (s->arity < 0) {
    s->arity = n;
    SrcLoc *l = ARENA_NEW(E->a, SrcLoc);
    *l = at;
    elab_ptrmap_put(E->a, &E->arity_at, s, l);
    T->changed = true;
    return true;
  }
  if (s->arity == n) return true;
  if (n == 0)
    elab_error(E, at, "array '%s' used as a scalar", s->name);
  else if (s->arity == 0)
    elab_error(E, at, "scalar '%s' used as an array", s->name);
  else
    elab_error(E, at, "wrong number of indexes for '%s': %d here, but %d elsewhere", s->name, n, s->arity);
  SrcLoc *l = arity_loc(E, s);
  if (l)
    elab_note(E, *l, "'%s' was first used %s here", s->name,
              s->arity
                  ? arena_printf(E->a, "as an array with %d index%s", s->arity, s->arity == 1 ? "" : "es")
                  : "as a scalar");
  else if (s->init)
    elab_note(E, s->loc, "'%s' is declared here with an initial value", s->name);
  return false;
}

/* The value type of s, learning it from want; reports a conflict at `at`. */
static int sym_type(ElabTyper *T, AstSym *s, int want, SrcLoc at) {
  if (concrete(want) && s->type == TY_UNKNOWN) {
    s->type = (AstType)want;
    s->type_loc = at;
    T->changed = true;
  } else if (concrete(want) && (int)s->type != want) {
    elab_error(T->E, at, "type mismatch (%s vs. %s) for '%s'", tname(s->type), tname(want), s->name);
    elab_note(T->E, s->type_loc, "'%s' was first inferred as %s here", s->name, tname(s->type));
  }
  return s->type;
}

/* Key k of array s, as sym_type. */
static void key_type(ElabTyper *T, AstSym *s, int k, AstExpr *key) {
  int want = s->key_types[k] != TY_UNKNOWN ? (int)s->key_types[k] : ELAB_WANT_SCALAR;
  int t = elab_infer_expr(T, key, want);
  if (s->key_types[k] == TY_UNKNOWN && (t == TY_LONG || t == TY_STRING)) {
    s->key_types[k] = (AstType)t;
    s->key_loc[k] = key->loc;
    T->changed = true;
  } else if (s->key_types[k] != TY_UNKNOWN && concrete(t) && t != (int)s->key_types[k]) {
    elab_note(T->E, s->key_loc[k], "index %d of '%s' was first inferred as %s here", k + 1, s->name,
              tname(s->key_types[k]));
  }
}

static void keys(ElabTyper *T, AstSym *s, AstExpr **v, int n, SrcLoc at) {
  if (!check_arity(T, s, n, at)) {
    for (int k = 0; k < n; k++)
      if (v[k]) elab_infer_expr(T, v[k], ELAB_WANT_SCALAR);
    return;
  }
  for (int k = 0; k < n; k++)
    if (v[k]) key_type(T, s, k, v[k]);
}

/* ---- expressions -------------------------------------------------------------------*/

static int infer_var(ElabTyper *T, AstExpr *e, int want) {
  AstSym *s = e->sym;
  if (!s || !check_arity(T, s, 0, e->loc)) return TY_UNKNOWN;
  return sym_type(T, s, want, e->loc);
}

static int infer_index(ElabTyper *T, AstExpr *e, int want) {
  AstSym *s = e->sym;
  if (!s) return TY_UNKNOWN;
  keys(T, s, e->args, e->nargs, e->loc);
  return s->arity == e->nargs ? sym_type(T, s, want, e->loc) : TY_UNKNOWN;
}

/* The arguments of a call against one overload's parameters. */
static void call_args(ElabTyper *T, AstExpr *e, AstFunc *fn) {
  for (int k = 0; k < e->nargs; k++) {
    AstSym *p = k < fn->nlocals ? fn->locals[k] : NULL;
    int pw = p && p->type != TY_UNKNOWN ? (int)p->type : ELAB_WANT_SCALAR;
    int t = elab_infer_expr(T, e->args[k], pw);
    if (p && p->type == TY_UNKNOWN && (t == TY_LONG || t == TY_STRING)) {
      p->type = (AstType)t;
      p->type_loc = e->args[k]->loc;
      T->changed = true;
    } else if (p && concrete(t) && t != (int)p->type) {
      elab_note(T->E, p->type_loc, "parameter '%s' of '%s' was first inferred as %s here", p->name, fn->name,
                tname(p->type));
    }
  }
}

/* A call runs fn or, through 'next', any overload of its fallback chain:
 * the arguments must suit each, and all return one type (as in stap, where
 * the call's type is shared by every overload). */
static int infer_call(ElabTyper *T, AstExpr *e, int want) {
  if (elab_is_print_builtin(e->name)) return elab_infer_builtin(T, e, want);
  AstFunc *fn = e->func;
  if (!fn) {
    for (int k = 0; k < e->nargs; k++) elab_infer_expr(T, e->args[k], ELAB_WANT_SCALAR);
    return TY_UNKNOWN;
  }
  for (AstFunc *f = fn; f; f = f->fallback) call_args(T, e, f);
  int ret = TY_UNKNOWN;
  for (AstFunc *f = fn; f && !concrete(ret); f = f->fallback) ret = f->ret;
  if (!concrete(ret) && elab_finfo(T->E, fn)->has_value_return && (want == TY_LONG || want == TY_STRING))
    ret = want;
  for (AstFunc *f = fn; f && concrete(ret); f = f->fallback) {
    if (f->ret == TY_UNKNOWN && !f->embedded && elab_finfo(T->E, f)->has_value_return) {
      f->ret = (AstType)ret;
      T->changed = true;
    } else if (f != fn && concrete(f->ret) && (int)f->ret != ret) {
      elab_error(T->E, f->loc, "overloads of '%s' return different types (%s here, %s for the first)", f->name,
                 tname(f->ret), tname(ret));
      elab_note(T->E, e->loc, "the call that runs them is here");
    }
  }
  return fn->ret;
}

static int infer_compare(ElabTyper *T, AstExpr *e) {
  int lt = elab_infer_expr(T, e->lhs, ELAB_WANT_SCALAR);
  int rt = elab_infer_expr(T, e->rhs, concrete(lt) ? lt : ELAB_WANT_SCALAR);
  if (!concrete(lt) && concrete(rt)) elab_infer_expr(T, e->lhs, rt);
  return TY_LONG;
}

static int infer_binary(ElabTyper *T, AstExpr *e) {
  switch (e->op) {
  case OP_CONCAT:
    elab_infer_expr(T, e->lhs, TY_STRING);
    elab_infer_expr(T, e->rhs, TY_STRING);
    return TY_STRING;
  case OP_EQ:
  case OP_NE:
  case OP_LT:
  case OP_LE:
  case OP_GT:
  case OP_GE: return infer_compare(T, e);
  default:
    elab_infer_expr(T, e->lhs, TY_LONG);
    elab_infer_expr(T, e->rhs, TY_LONG);
    return TY_LONG;
  }
}

static int infer_assign(ElabTyper *T, AstExpr *e, int want) {
  AstExpr *l = e->lhs;
  switch (e->op) {
  case OP_ASSIGN: {
    if (l->sym && l->sym->type == TY_STATS) {
      elab_error(T->E, e->loc, "cannot assign to statistics '%s'; use '<<<' to add a value", l->sym->name);
      elab_infer_expr(T, e->rhs, ELAB_WANT_SCALAR);
      return TY_UNKNOWN;
    }
    int lt = elab_infer_expr(T, l, ELAB_WANT_VALUE);
    int rw = concrete(lt) ? lt : (want == TY_LONG || want == TY_STRING) ? want : ELAB_WANT_SCALAR;
    int rt = elab_infer_expr(T, e->rhs, rw);
    if (!concrete(lt) && concrete(rt))
      lt = elab_infer_expr(T, l, rt);
    else if (concrete(lt) && concrete(rt) && lt != rt && l->sym && (int)l->sym->type == lt)
      elab_note(T->E, l->sym->type_loc, "'%s' was first inferred as %s here", l->sym->name, tname(lt));
    return concrete(lt) ? lt : rt;
  }
  case OP_CONCAT_ASSIGN:
    elab_infer_expr(T, l, TY_STRING);
    elab_infer_expr(T, e->rhs, TY_STRING);
    return TY_STRING;
  case OP_AGG:
    if (l->sym && l->sym->kind != SYM_GLOBAL)
      elab_error(T->E, l->loc, "'%s' is local; only a global can collect statistics with '<<<'",
                 l->sym->name);
    if (l->kind == EX_VAR || l->kind == EX_INDEX)
      elab_infer_expr(T, l, TY_STATS); /* also when reported */
    else
      elab_error(T->E, e->loc, "'<<<' needs a global variable or array element on its left");
    elab_infer_expr(T, e->rhs, TY_LONG);
    return TY_VOID;
  default:
    elab_infer_expr(T, l, TY_LONG);
    elab_infer_expr(T, e->rhs, TY_LONG);
    return TY_LONG;
  }
}

static int infer_ternary(ElabTyper *T, AstExpr *e, int want) {
  elab_infer_expr(T, e->cond, TY_LONG);
  int w = concrete(want) ? want : ELAB_WANT_SCALAR;
  int lt = elab_infer_expr(T, e->lhs, w);
  int rt = elab_infer_expr(T, e->rhs, concrete(lt) ? lt : w);
  if (!concrete(lt) && concrete(rt)) lt = elab_infer_expr(T, e->lhs, rt);
  return concrete(lt) ? lt : rt;
}

/* $var, @cast, @var: long, or string when pretty-printed; a few probe
 * families define string-valued context variables. */
static int infer_target(ElabTyper *T, AstExpr *e) {
  for (int k = 0; k < e->ncomps; k++)
    if (e->comps[k].index) elab_infer_expr(T, e->comps[k].index, TY_LONG);
  if (e->kind == EX_CAST) elab_infer_expr(T, e->lhs, TY_LONG);
  if (e->suffix != SFX_NONE && !e->addr) return TY_STRING;
  if (e->kind == EX_TARGET && !e->ncomps && !e->addr && T->probe) {
    const char *pp = T->probe->pp;
    if (!strcmp(e->name, "$value") && (!strncmp(pp, "procfs", 6) || !strncmp(pp, "input.", 6)))
      return TY_STRING;
    if ((!strcmp(e->name, "$format") || !strcmp(e->name, "$name")) && !strncmp(pp, "kernel.mark", 11))
      return TY_STRING;
  }
  return TY_LONG;
}

static int infer_stats(ElabTyper *T, AstExpr *e) {
  AstExpr *l = e->lhs;
  if (l->kind != EX_VAR && l->kind != EX_INDEX)
    elab_error(T->E, l->loc, "%s needs a statistics variable or array element", ast_op_spelling(e->op));
  else
    elab_infer_expr(T, l, TY_STATS);
  for (int k = 0; k < e->nargs; k++) elab_infer_expr(T, e->args[k], TY_LONG);
  if (e->rhs) elab_infer_expr(T, e->rhs, TY_LONG); /* @hist_log(s)[n]: a bucket's count */
  return e->kind == EX_HIST && !e->rhs ? TY_STATS : TY_LONG;
}

static int infer_kind(ElabTyper *T, AstExpr *e, int want) {
  switch (e->kind) {
  case EX_NUM: return TY_LONG;
  case EX_STR: return TY_STRING;
  case EX_VAR: return infer_var(T, e, want);
  case EX_INDEX: return infer_index(T, e, want);
  case EX_CALL: return infer_call(T, e, want);
  case EX_BINARY: return infer_binary(T, e);
  case EX_UNARY:
  case EX_PREINC:
  case EX_POSTINC: elab_infer_expr(T, e->lhs, TY_LONG); return TY_LONG;
  case EX_ASSIGN: return infer_assign(T, e, want);
  case EX_TERNARY: return infer_ternary(T, e, want);
  case EX_IN:
    if (e->sym) keys(T, e->sym, e->args, e->nargs, e->loc);
    return TY_LONG;
  case EX_REGEX:
    elab_infer_expr(T, e->lhs, TY_STRING);
    elab_infer_expr(T, e->rhs, TY_STRING);
    return TY_LONG;
  case EX_TARGET:
  case EX_CAST:
  case EX_ATVAR: return infer_target(T, e);
  case EX_TARGET_SYM: return TY_STRING;
  case EX_DEFINED: elab_infer_expr(T, e->lhs, ELAB_WANT_NONE); return TY_LONG;
  case EX_ENTRY: return elab_infer_expr(T, e->lhs, want == ELAB_WANT_NONE ? ELAB_WANT_SCALAR : want);
  case EX_PROBEWRITE: return TY_LONG;
  case EX_STATOP:
  case EX_HIST: return infer_stats(T, e);
  case EX_EMBEDDED: return strstr(e->str, "/* string */") ? TY_STRING : TY_LONG;
  case EX_CONST: return TY_LONG;
  default: return TY_UNKNOWN;
  }
}

static const char *what(const AstExpr *e) {
  if (e->kind == EX_CALL) return e->name;
  if (e->kind == EX_ASSIGN) return "<<<";
  return "expression";
}

int elab_infer_expr(ElabTyper *T, AstExpr *e, int want) {
  int t = infer_kind(T, e, want);
  bool sym = (e->kind == EX_VAR || e->kind == EX_INDEX) && e->sym; /* sym_type reported it */
  if (t == TY_VOID && want != ELAB_WANT_NONE) {
    elab_error(T->E, e->loc, "'%s' does not return a value", what(e));
    t = TY_UNKNOWN;
  } else if (t == TY_STATS && want != TY_STATS && want != ELAB_WANT_NONE && !(sym && concrete(want))) {
    elab_error(T->E, e->loc, "statistics used as a value; extract one with @count, @sum, @min, @max or @avg");
    t = TY_UNKNOWN;
  } else if (concrete(want) && concrete(t) && t != want && !sym) {
    elab_error(T->E, e->loc, "type mismatch: expected %s but found %s", tname(want), tname(t));
  }
  if (t == TY_LONG || t == TY_STRING || t == TY_STATS || t == TY_VOID) e->type = (AstType)t;
  return t;
}

/* ---- statements ---------------------------------------------------------------------*/

static void infer_stmt(ElabTyper *T, AstStmt *st);

static void bind_var(ElabTyper *T, AstExpr *var, AstType *slot, SrcLoc *slot_loc) {
  int t = elab_infer_expr(T, var, *slot != TY_UNKNOWN ? (int)*slot : ELAB_WANT_VALUE);
  if (*slot == TY_UNKNOWN && (t == TY_LONG || t == TY_STRING)) {
    *slot = (AstType)t;
    *slot_loc = var->loc;
    T->changed = true;
  }
}

static void infer_foreach(ElabTyper *T, AstStmt *st) {
  AstForeach *fe = st->fe;
  AstSym *s = fe->array->kind == EX_VAR ? fe->array->sym : NULL;
  if (s && check_arity(T, s, fe->nkeys, fe->array->loc)) {
    for (int k = 0; k < fe->nkeys; k++) bind_var(T, fe->keys[k], &s->key_types[k], &s->key_loc[k]);
    if (fe->has_slice) {
      if (fe->nslice != fe->nkeys)
        elab_error(T->E, fe->array->loc, "the slice of '%s' has %d index%s, but the array has %d", s->name,
                   fe->nslice, fe->nslice == 1 ? "" : "es", s->arity);
      for (int k = 0; k < fe->nslice && k < s->arity; k++)
        if (fe->slice[k]) key_type(T, s, k, fe->slice[k]);
    }
    if (fe->sort_aggr != OP_NONE && s->type != TY_UNKNOWN && s->type != TY_STATS)
      elab_error(T->E, fe->array->loc, "sorting by %s needs statistics, but '%s' holds %s values",
                 ast_op_spelling(fe->sort_aggr), s->name, tname(s->type));
    else if (fe->sort_aggr != OP_NONE && s->type == TY_UNKNOWN)
      sym_type(T, s, TY_STATS, fe->array->loc);
    if (fe->value && s->type == TY_STATS)
      elab_error(T->E, fe->value->loc, "foreach cannot copy the values of statistics array '%s'", s->name);
    else if (fe->value)
      bind_var(T, fe->value, &s->type, &s->type_loc);
  } else if (!s && fe->array->kind != EX_VAR) {
    elab_infer_expr(T, fe->array, TY_STATS);
    if (fe->array->kind != EX_HIST)
      elab_error(T->E, fe->array->loc, "foreach needs an array or a histogram (@hist_log, @hist_linear)");
    else if (fe->nkeys != 1 || fe->has_slice)
      elab_error(T->E, fe->array->loc,
                 "foreach over a histogram takes one key, the bucket number, and no slice");
    for (int k = 0; k < fe->nkeys; k++) elab_infer_expr(T, fe->keys[k], TY_LONG);
    if (fe->value) elab_infer_expr(T, fe->value, TY_LONG);
  }
  if (fe->limit) elab_infer_expr(T, fe->limit, TY_LONG);
  infer_stmt(T, st->then);
}

static void infer_delete(ElabTyper *T, AstStmt *st) {
  AstExpr *e = st->expr;
  if (e->kind == EX_VAR) return; /* a whole array or a scalar: any type */
  if (e->kind == EX_INDEX && e->sym)
    keys(T, e->sym, e->args, e->nargs, e->loc);
  else if (e->kind != EX_INDEX)
    elab_error(T->E, e->loc, "'delete' needs a variable, an array or an array element");
}

static void infer_return(ElabTyper *T, AstStmt *st) {
  AstFunc *fn = T->fn;
  if (!fn || !st->expr) return;
  int want = fn->ret == TY_LONG || fn->ret == TY_STRING ? (int)fn->ret : ELAB_WANT_SCALAR;
  int t = elab_infer_expr(T, st->expr, want);
  if (fn->ret == TY_UNKNOWN && (t == TY_LONG || t == TY_STRING)) {
    fn->ret = (AstType)t;
    T->changed = true;
  } else if (fn->ret_declared && concrete(t) && t != (int)fn->ret) {
    elab_note(T->E, fn->loc, "function '%s' is declared to return %s", fn->name, tname(fn->ret));
  }
}

static void infer_stmt(ElabTyper *T, AstStmt *st) {
  if (!st) return;
  switch (st->kind) {
  case ST_BLOCK:
    for (int k = 0; k < st->nbody; k++) infer_stmt(T, st->body[k]);
    break;
  case ST_EXPR: elab_infer_expr(T, st->expr, ELAB_WANT_NONE); break;
  case ST_IF:
    elab_infer_expr(T, st->cond, TY_LONG);
    infer_stmt(T, st->then);
    infer_stmt(T, st->els);
    break;
  case ST_FOR:
    if (st->expr) elab_infer_expr(T, st->expr, ELAB_WANT_NONE);
    if (st->step) elab_infer_expr(T, st->step, ELAB_WANT_NONE);
    /* fallthrough */
  case ST_WHILE:
    if (st->cond) elab_infer_expr(T, st->cond, TY_LONG);
    infer_stmt(T, st->then);
    break;
  case ST_FOREACH: infer_foreach(T, st); break;
  case ST_RETURN: infer_return(T, st); break;
  case ST_DELETE: infer_delete(T, st); break;
  case ST_TRY:
    infer_stmt(T, st->then);
    if (st->catch_var) elab_infer_expr(T, st->catch_var, TY_STRING);
    infer_stmt(T, st->els);
    break;
  default: break;
  }
}

/* ---- the phase ------------------------------------------------------------------------*/

static bool has_value_return(const AstStmt *st) {
  if (!st) return false;
  if (st->kind == ST_RETURN && st->expr) return true;
  for (int k = 0; k < st->nbody; k++)
    if (has_value_return(st->body[k])) return true;
  return has_value_return(st->then) || has_value_return(st->els);
}

/* A function returns a value if it or an overload its 'next' reaches does
 * (stap types 'function f(x) { next } function f(x) { return 1 }' long
 * throughout). */
static void seed(Elab *E) {
  PtrVec *funcs = &E->prog->funcs;
  for (int i = 0; i < funcs->n; i++) {
    AstFunc *fn = funcs->items[i];
    elab_finfo(E, fn)->has_value_return = !fn->embedded && has_value_return(fn->body);
  }
  for (int i = 0; i < funcs->n; i++) {
    bool any = false;
    for (AstFunc *f = funcs->items[i]; f && !any; f = f->fallback) any = elab_finfo(E, f)->has_value_return;
    for (AstFunc *f = funcs->items[i]; f && any; f = f->fallback) elab_finfo(E, f)->has_value_return |= !f->embedded;
  }
  for (int i = 0; i < funcs->n; i++) {
    AstFunc *fn = funcs->items[i];
    if (!fn->ret_declared) fn->ret = elab_finfo(E, fn)->has_value_return ? TY_UNKNOWN : TY_VOID;
  }
}

static void infer_func(ElabTyper *T, AstFunc *fn) {
  T->fn = fn;
  if (fn->used && !fn->embedded) infer_stmt(T, fn->body);
  T->fn = NULL;
}

/* Probes, then the functions in the order calls reached them and back:
 * argument types flow down a chain of calls and return types up it within
 * one round, whatever the chain's length. */
static void round_once(ElabTyper *T) {
  Elab *E = T->E;
  ElabProgram *P = E->prog;
  for (int i = 0; i < P->probes.n; i++) {
    ElabProbe *ep = P->probes.items[i];
    T->probe = ep;
    if (ep->cond) elab_infer_expr(T, ep->cond, TY_LONG);
    infer_stmt(T, ep->body);
  }
  T->probe = NULL;
  for (int i = 0; i < E->func_work.n; i++) infer_func(T, E->func_work.items[i]);
  for (int i = E->func_work.n - 1; i >= 0; i--) infer_func(T, E->func_work.items[i]);
}

static bool in_list(const PtrVec *v, const void *x) {
  for (int k = 0; k < v->n; k++)
    if (v->items[k] == x) return true;
  return false;
}

static bool sym_typed(const AstSym *s) {
  if (s->type == TY_UNKNOWN) return false;
  for (int k = 0; k < s->arity && k < 9; k++)
    if (s->key_types[k] == TY_UNKNOWN) return false;
  return true;
}

static bool func_typed(const AstFunc *fn) {
  if (fn->ret == TY_UNKNOWN) return false;
  for (int k = 0; k < fn->nlocals; k++)
    if (!sym_typed(fn->locals[k])) return false;
  return true;
}

typedef struct Refs {
  const PtrVec *globals, *funcs;
  bool hit;
} Refs;

static void refs_expr(void *ctx, AstExpr *e) {
  Refs *r = ctx;
  r->hit |= (e->sym && in_list(r->globals, e->sym)) || (e->func && in_list(r->funcs, e->func));
}

/* -u keeps the user's unused functions and globals, but only those whose
 * types resolve: nothing uses the others, so they cannot be typed (stap
 * itself drops them).  A function that names a dropped one goes too. */
static void prune_unoptimized(Elab *E) {
  ElabProgram *P = E->prog;
  PtrVec dg = {0}, df = {0};
  for (int i = 0; i < E->uonly_globals.n; i++)
    if (!sym_typed(E->uonly_globals.items[i])) ptrvec_push(E->a, &dg, E->uonly_globals.items[i]);
  for (int i = 0; i < P->funcs.n; i++)
    if (elab_finfo(E, P->funcs.items[i])->uonly && !func_typed(P->funcs.items[i]))
      ptrvec_push(E->a, &df, P->funcs.items[i]);
  for (bool changed = true; changed;) {
    changed = false;
    for (int i = 0; i < P->funcs.n; i++) {
      AstFunc *fn = P->funcs.items[i];
      if (!elab_finfo(E, fn)->uonly || in_list(&df, fn)) continue;
      Refs r = {&dg, &df, false};
      elab_walk_stmt(fn->body, refs_expr, &r);
      if (r.hit) {
        ptrvec_push(E->a, &df, fn);
        changed = true;
      }
    }
  }
  int n = 0;
  for (int i = 0; i < P->globals.n; i++)
    if (!in_list(&dg, P->globals.items[i])) {
      ((AstSym *)P->globals.items[i])->index = n;
      P->globals.items[n++] = P->globals.items[i];
    } else {
      ((AstSym *)P->globals.items[i])->used = false;
    }
  P->globals.n = n;
  n = 0;
  for (int i = 0; i < P->funcs.n; i++)
    if (!in_list(&df, P->funcs.items[i]))
      P->funcs.items[n++] = P->funcs.items[i];
    else
      ((AstFunc *)P->funcs.items[i])->used = false;
  P->funcs.n = n;
}

static void unresolved_locals(Elab *E, AstSym **v, int n, const AstFunc *fn) {
  for (int k = 0; k < n; k++) {
    AstSym *s = v[k];
    if (s->type != TY_UNKNOWN) continue;
    if (s->kind == SYM_PARAM)
      elab_error(E, s->loc, "unresolved type for parameter '%s' of function '%s'", s->name, fn->name);
    else
      elab_error(E, s->loc, "unresolved type for identifier '%s'", s->name);
  }
}

static void unresolved(Elab *E) {
  ElabProgram *P = E->prog;
  for (int i = 0; i < P->globals.n; i++) {
    AstSym *g = P->globals.items[i];
    if (g->arity < 0 && g->type == TY_UNKNOWN) {
      elab_error(E, g->loc, "unresolved type for global '%s'", g->name);
      continue;
    }
    if (g->type == TY_UNKNOWN)
      elab_error(E, g->loc, "unresolved type for %s '%s'", g->arity > 0 ? "the values of array" : "global",
                 g->name);
    for (int k = 0; k < g->arity && k < 9; k++)
      if (g->key_types[k] == TY_UNKNOWN)
        elab_error(E, g->loc, "unresolved type for index %d of array '%s'", k + 1, g->name);
  }
  for (int i = 0; i < P->funcs.n; i++) {
    AstFunc *fn = P->funcs.items[i];
    unresolved_locals(E, fn->locals, fn->nlocals, fn);
    if (fn->ret == TY_UNKNOWN) elab_error(E, fn->loc, "unresolved return type of function '%s'", fn->name);
  }
  for (int i = 0; i < P->probes.n; i++) {
    ElabProbe *ep = P->probes.items[i];
    unresolved_locals(E, ep->locals, ep->nlocals, NULL);
  }
}

static void fixpoint(ElabTyper *T) {
  for (int round = 0; round < MAX_ROUNDS; round++) {
    T->changed = false;
    round_once(T);
    if (!T->changed) break;
  }
}

/* A global that only -G gives a value takes its type from that value (a
 * number: long), so that 'global x' set by -G x=1 needs no other use.  stap
 * leaves it unresolved; this only turns that error into the obvious type. */
static bool seed_from_cmdline(Elab *E) {
  bool any = false;
  for (int k = 0; k < E->s->opt.ngvars; k++) {
    const char *arg = E->s->opt.gvars[k], *eq = strchr(arg, '=');
    if (!eq || eq == arg) continue;
    AstSym *g = elab_lookup_global(E, arena_strndup(E->a, arg, (size_t)(eq - arg)), E->user);
    if (!g || !g->used || g->type != TY_UNKNOWN || g->arity > 0) continue;
    g->type = elab_is_number(eq + 1) ? TY_LONG : TY_STRING;
    g->arity = 0;
    any = true;
  }
  return any;
}

void elab_infer_types(Elab *E) {
  ElabTyper T = {.E = E};
  seed(E);
  fixpoint(&T);
  if (seed_from_cmdline(E)) fixpoint(&T);
  if (E->s->opt.unoptimized) prune_unoptimized(E);
  unresolved(E);
}

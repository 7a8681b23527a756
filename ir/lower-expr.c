/* lower-expr.c: expressions, conditions and lvalues.
 *
 * Values are i64 or str; bool exists only inside: a comparison, '!', '&&',
 * '||', 'in' or '=~' makes one, and ZEXT turns it into 0/1 where a value is
 * wanted.  Conditions branch directly (lower_branch short-circuits without
 * materialising a bool); '&&', '||' and '?:' used as values join their arms
 * with a phi.  Assignments evaluate an element's keys, then the right side,
 * then read and write (stap's order); the store carries the location of the
 * variable, which stap names when an array is full ("near identifier 'a'");
 * locals set inside a try body are pinned to their slots for the catch
 * handler.  Context reads ($vars,
 * @cast, @var, $$vars, @entry, @perf, autocasts ...) become CTX for a
 * backend to resolve.  Calls of script functions are CALL, of embedded-C
 * functions marked as stapjit builtins BUILTIN; the print family is in
 * lower-print.c.  Must not: terminate the current block.
 */
#include "frontend.h"
#include "lower.h"

#include <string.h>

static IrInst *emit1(Lower *L, IrOp op, IrType t, IrInst *a, SrcLoc loc) {
  return lower_emit(L, op, t, &a, 1, loc);
}

static IrInst *emit2(Lower *L, IrOp op, IrType t, IrInst *a, IrInst *b, SrcLoc loc) {
  IrInst *v[2] = {a, b};
  return lower_emit(L, op, t, v, 2, loc);
}

/* A value of e's type after an error, so that lowering can go on. */
static IrInst *placeholder(Lower *L, const AstExpr *e) {
  IrType t = lower_type(e->type);
  return t == IR_VOID ? NULL : lower_default(L, t, e->loc);
}

static int slot_of(Lower *L, const AstSym *s) {
  SUP_ASSERT(s->index >= 0 && s->index < L->nlocals && L->locals[s->index] == s);
  return L->slot_base + s->index;
}

/* Keys and a trailing value (or none): the operands of MAP_SET, STAT_ADD ... */
static IrInst **with_value(Lower *L, IrInst **keys, int n, IrInst *v) {
  IrInst **a = arena_alloc(L->a, sizeof(IrInst *) * (size_t)(n + 1));
  if (n) memcpy(a, keys, sizeof(IrInst *) * (size_t)n);
  a[n] = v;
  return a;
}

IrInst **lower_keys(Lower *L, AstExpr *const *v, int n) {
  IrInst **keys = arena_alloc(L->a, sizeof(IrInst *) * (size_t)(n ? n : 1));
  for (int k = 0; k < n; k++) keys[k] = lower_expr(L, v[k]);
  return keys;
}

/* ---- lvalues ---------------------------------------------------------------------*/

LowerLval lower_lval(Lower *L, const AstExpr *e) {
  LowerLval lv = {.kind = LV_NONE, .type = lower_type(e->type)};
  const AstSym *s = e->sym;
  if ((e->kind != EX_VAR && e->kind != EX_INDEX) || e->ncomps) {
    diag_error(L->diag, e->loc,
               "stapjit cannot assign to '%s': only script variables and array elements "
               "can be written",
               e->name ? e->name : "this expression");
    return lv;
  }
  if (!s) return lv;
  if (s->kind != SYM_GLOBAL) {
    lv.kind = LV_LOCAL;
    lv.slot = slot_of(L, s);
    lv.type = L->f->slots[lv.slot];
    return lv;
  }
  IrGlobal *g = lower_global(L, s);
  if (!g || g->is_stat) {
    if (g) diag_error(L->diag, e->loc, "cannot assign to statistics '%s'; use '<<<' to add a value", s->name);
    return lv;
  }
  lv.g = g;
  lv.type = g->value;
  if (e->kind == EX_VAR && g->kind == IR_GLOBAL_SCALAR) {
    lv.kind = LV_GLOBAL;
    return lv;
  }
  if (e->kind != EX_INDEX || g->kind != IR_GLOBAL_MAP || e->nargs != g->nkeys) {
    diag_error(L->diag, e->loc, "'%s' is used here %s", s->name,
               e->kind == EX_INDEX ? "as an array, but it is not one" : "as a scalar, but it is an array");
    return lv;
  }
  for (int k = 0; k < e->nargs; k++)
    if (!e->args[k]) {
      diag_error(L->diag, e->loc, "'*' can only be used in 'delete', 'in' and foreach slices");
      return lv;
    }
  lv.kind = LV_MAP;
  lv.keys = lower_keys(L, e->args, e->nargs);
  lv.nkeys = e->nargs;
  return lv;
}

IrInst *lower_lval_get(Lower *L, const LowerLval *lv, SrcLoc loc) {
  switch (lv->kind) {
  case LV_LOCAL: {
    IrInst *i = lower_emit(L, IR_LOCAL_GET, lv->type, NULL, 0, loc);
    i->imm = lv->slot;
    return i;
  }
  case LV_GLOBAL: {
    IrInst *i = lower_emit(L, IR_GLOBAL_GET, lv->type, NULL, 0, loc);
    i->g = lv->g;
    return i;
  }
  case LV_MAP: {
    IrInst *i = lower_emit(L, IR_MAP_GET, lv->type, lv->keys, lv->nkeys, loc);
    i->g = lv->g;
    return i;
  }
  default: return lower_default(L, lv->type == IR_STR ? IR_STR : IR_I64, loc);
  }
}

void lower_local_set(Lower *L, int slot, IrInst *v, SrcLoc loc) {
  IrInst *i = lower_emit(L, IR_LOCAL_SET, IR_VOID, &v, 1, loc);
  i->imm = slot;
  if (L->try_depth) L->f->slot_pinned[slot] = true;
}

void lower_lval_set(Lower *L, const LowerLval *lv, IrInst *v, SrcLoc loc) {
  if (!v) return;
  switch (lv->kind) {
  case LV_LOCAL: lower_local_set(L, lv->slot, v, loc); break;
  case LV_GLOBAL: emit1(L, IR_GLOBAL_SET, IR_VOID, v, loc)->g = lv->g; break;
  case LV_MAP:
    lower_emit(L, IR_MAP_SET, IR_VOID, with_value(L, lv->keys, lv->nkeys, v), lv->nkeys + 1, loc)->g = lv->g;
    break;
  default: break;
  }
}

bool lower_stat_operand(Lower *L, const AstExpr *e, IrGlobal **g, IrInst ***keys, int *nkeys) {
  IrGlobal *s = (e->kind == EX_VAR || e->kind == EX_INDEX) ? lower_global(L, e->sym) : NULL;
  if (!s || !s->is_stat || (e->kind == EX_INDEX) != (s->kind == IR_GLOBAL_MAP) ||
      (e->kind == EX_INDEX && e->nargs != s->nkeys)) {
    diag_error(L->diag, e->loc, "statistics operations need a global statistics variable or array element");
    return false;
  }
  for (int k = 0; k < e->nargs; k++)
    if (!e->args[k]) {
      diag_error(L->diag, e->loc, "'*' can only be used in 'delete', 'in' and foreach slices");
      return false;
    }
  *g = s;
  *nkeys = e->kind == EX_INDEX ? e->nargs : 0;
  *keys = lower_keys(L, e->args, *nkeys);
  return true;
}

/* ---- operators ---------------------------------------------------------------------*/

/* The IR op of an arithmetic operator or its compound assignment; IR__COUNT if none. */
static IrOp arith_op(AstOp op) {
  static const IrOp ops[OP__COUNT] = {
      [OP_ADD] = IR_ADD,  [OP_ADD_ASSIGN] = IR_ADD, [OP_SUB] = IR_SUB,   [OP_SUB_ASSIGN] = IR_SUB,
      [OP_MUL] = IR_MUL,  [OP_MUL_ASSIGN] = IR_MUL, [OP_DIV] = IR_DIV,   [OP_DIV_ASSIGN] = IR_DIV,
      [OP_MOD] = IR_MOD,  [OP_MOD_ASSIGN] = IR_MOD, [OP_SHL] = IR_SHL,   [OP_SHL_ASSIGN] = IR_SHL,
      [OP_SHR] = IR_SHR,  [OP_SHR_ASSIGN] = IR_SHR, [OP_USHR] = IR_USHR, [OP_USHR_ASSIGN] = IR_USHR,
      [OP_BAND] = IR_AND, [OP_AND_ASSIGN] = IR_AND, [OP_BOR] = IR_OR,    [OP_OR_ASSIGN] = IR_OR,
      [OP_BXOR] = IR_XOR, [OP_XOR_ASSIGN] = IR_XOR,
  };
  IrOp r = op < OP__COUNT ? ops[op] : IR_CONST_I64;
  return r == IR_CONST_I64 ? IR__COUNT : r; /* const.i64 is op 0: "no entry" */
}

static bool is_compare(AstOp op) { return op >= OP_EQ && op <= OP_GE; }

_Static_assert(OP_GE - OP_EQ == IR_GE - IR_EQ && IR_SGE - IR_SEQ == IR_GE - IR_EQ,
               "comparisons are in the same order in ast.h and ops.def");

static IrInst *lower_compare(Lower *L, const AstExpr *e) {
  bool str = e->lhs->type == TY_STRING || e->rhs->type == TY_STRING;
  IrInst *a = lower_expr(L, e->lhs), *b = lower_expr(L, e->rhs);
  IrOp op = (IrOp)((str ? IR_SEQ : IR_EQ) + (e->op - OP_EQ)); /* EQ NE LT LE GT GE in both */
  if (!a || !b) return lower_emit(L, IR_CONST_BOOL, IR_BOOL, NULL, 0, e->loc);
  return emit2(L, op, IR_BOOL, a, b, e->loc);
}

/* a && b, a || b as a bool: the right side runs only when needed; the left's
 * own value is the result on the short path. */
static IrInst *lower_logical(Lower *L, const AstExpr *e) {
  IrInst *a = lower_bool(L, e->lhs);
  IrBlock *from = L->b, *rhs = lower_block(L), *join = lower_block(L);
  if (e->op == OP_LAND)
    lower_cbr(L, a, rhs, join, e->loc);
  else
    lower_cbr(L, a, join, rhs, e->loc);
  lower_set_block(L, rhs);
  IrInst *b = lower_bool(L, e->rhs);
  IrBlock *rhs_end = L->b;
  lower_br(L, join, e->loc);
  lower_set_block(L, join);
  IrInst *phi = lower_emit(L, IR_PHI, IR_BOOL, NULL, 0, e->loc);
  ir_phi_add(phi, a, from);
  ir_phi_add(phi, b, rhs_end);
  return phi;
}

static IrInst *lower_regex(Lower *L, const AstExpr *e) {
  IrInst *s = lower_expr(L, e->lhs);
  if (!e->rhs || e->rhs->kind != EX_STR) {
    diag_error(L->diag, e->loc, "the pattern of '%s' must be a literal string", ast_op_spelling(e->op));
    return lower_emit(L, IR_CONST_BOOL, IR_BOOL, NULL, 0, e->loc);
  }
  IrInst *m = emit1(L, IR_REGEX, IR_BOOL, s, e->loc);
  m->imm = ir_regex_intern(L->m, e->rhs->str);
  return e->op == OP_NOMATCH ? emit1(L, IR_NOT, IR_BOOL, m, e->loc) : m;
}

/* k in a; [k, *] in a is true when a foreach over that slice finds something. */
static IrInst *lower_in(Lower *L, const AstExpr *e) {
  IrGlobal *g = lower_global(L, e->sym);
  if (!g || g->kind != IR_GLOBAL_MAP || e->nargs != g->nkeys) {
    if (g)
      diag_error(L->diag, e->loc, "'in' needs an array, and '%s' is not one with %d index%s", g->name,
                 e->nargs, e->nargs == 1 ? "" : "es");
    return lower_emit(L, IR_CONST_BOOL, IR_BOOL, NULL, 0, e->loc);
  }
  uint32_t wild = 0;
  int nfixed = 0;
  for (int k = 0; k < e->nargs; k++) {
    if (e->args[k])
      nfixed++;
    else
      wild |= 1u << k;
  }
  if (!wild) {
    IrInst *i = lower_emit(L, IR_MAP_EXISTS, IR_BOOL, lower_keys(L, e->args, e->nargs), e->nargs, e->loc);
    i->g = g;
    return i;
  }
  IrInst **args = arena_alloc(L->a, sizeof(IrInst *) * (size_t)(nfixed + 1));
  int n = 0;
  args[n++] = lower_const_i64(L, 1, e->loc); /* limit 1: one match is enough */
  for (int k = 0; k < e->nargs; k++)
    if (e->args[k]) args[n++] = lower_expr(L, e->args[k]);
  IrSort *sort = ARENA_NEW(L->a, IrSort);
  sort->dir = 1;
  sort->has_limit = true;
  sort->slice = ((1u << e->nargs) - 1) & ~wild;
  IrInst *it = lower_emit(L, IR_ITER_BEGIN, IR_ITER, args, n, e->loc);
  it->g = g;
  it->aux = sort;
  IrInst *found = emit1(L, IR_ITER_NEXT, IR_BOOL, it, e->loc);
  emit1(L, IR_ITER_END, IR_VOID, it, e->loc);
  return found;
}

IrInst *lower_bool(Lower *L, const AstExpr *e) {
  switch (e->kind) {
  case EX_BINARY:
    if (is_compare(e->op)) return lower_compare(L, e);
    if (e->op == OP_LAND || e->op == OP_LOR) return lower_logical(L, e);
    break;
  case EX_UNARY:
    if (e->op == OP_NOT) return emit1(L, IR_NOT, IR_BOOL, lower_bool(L, e->lhs), e->loc);
    break;
  case EX_IN: return lower_in(L, e);
  case EX_REGEX: return lower_regex(L, e);
  default: break;
  }
  IrInst *v = lower_expr(L, e);
  if (!v || v->type != IR_I64) {
    diag_error(L->diag, e->loc, "a condition needs a number");
    return lower_emit(L, IR_CONST_BOOL, IR_BOOL, NULL, 0, e->loc);
  }
  return emit1(L, IR_TOBOOL, IR_BOOL, v, e->loc);
}

void lower_branch(Lower *L, const AstExpr *e, IrBlock *t, IrBlock *f) {
  if (e->kind == EX_BINARY && (e->op == OP_LAND || e->op == OP_LOR)) {
    IrBlock *mid = lower_block(L);
    if (e->op == OP_LAND)
      lower_branch(L, e->lhs, mid, f);
    else
      lower_branch(L, e->lhs, t, mid);
    lower_set_block(L, mid);
    lower_branch(L, e->rhs, t, f);
    return;
  }
  if (e->kind == EX_UNARY && e->op == OP_NOT) {
    lower_branch(L, e->lhs, f, t);
    return;
  }
  lower_cbr(L, lower_bool(L, e), t, f, e->loc);
}

/* ---- assignment ----------------------------------------------------------------------*/

static IrInst *lower_incdec(Lower *L, const AstExpr *e) {
  LowerLval lv = lower_lval(L, e->lhs);
  IrInst *old = lower_lval_get(L, &lv, e->loc);
  IrInst *nw =
      emit2(L, e->op == OP_INC ? IR_ADD : IR_SUB, IR_I64, old, lower_const_i64(L, 1, e->loc), e->loc);
  lower_lval_set(L, &lv, nw, e->lhs->loc);
  return e->kind == EX_PREINC ? nw : old;
}

static IrInst *lower_agg(Lower *L, const AstExpr *e) {
  IrGlobal *g;
  IrInst **keys;
  int n;
  if (!lower_stat_operand(L, e->lhs, &g, &keys, &n)) return NULL;
  IrInst *v = lower_expr(L, e->rhs);
  if (v) lower_emit(L, IR_STAT_ADD, IR_VOID, with_value(L, keys, n, v), n + 1, e->lhs->loc)->g = g;
  return NULL;
}

static IrInst *lower_assign(Lower *L, const AstExpr *e) {
  if (e->op == OP_AGG) return lower_agg(L, e);
  LowerLval lv = lower_lval(L, e->lhs);
  IrInst *v = lower_expr(L, e->rhs);
  if (!v) return placeholder(L, e);
  if (e->op != OP_ASSIGN) {
    IrInst *old = lower_lval_get(L, &lv, e->lhs->loc);
    if (e->op == OP_CONCAT_ASSIGN)
      v = emit2(L, IR_CONCAT, IR_STR, old, v, e->loc);
    else {
      SUP_ASSERT(arith_op(e->op) != IR__COUNT);
      v = emit2(L, arith_op(e->op), IR_I64, old, v, e->loc); /* /= and %= fail at the operator */
    }
  }
  lower_lval_set(L, &lv, v, e->lhs->loc);
  return v;
}

static IrInst *lower_ternary(Lower *L, const AstExpr *e) {
  IrBlock *t = lower_block(L), *f = lower_block(L), *join = lower_block(L);
  lower_branch(L, e->cond, t, f);
  lower_set_block(L, t);
  IrInst *a = lower_expr(L, e->lhs);
  IrBlock *t_end = L->b;
  lower_br(L, join, e->loc);
  lower_set_block(L, f);
  IrInst *b = lower_expr(L, e->rhs);
  IrBlock *f_end = L->b;
  lower_br(L, join, e->loc);
  lower_set_block(L, join);
  if (!a || !b) return NULL;
  IrInst *phi = lower_emit(L, IR_PHI, a->type, NULL, 0, e->loc);
  ir_phi_add(phi, a, t_end);
  ir_phi_add(phi, b, f_end);
  return phi;
}

/* ---- calls -----------------------------------------------------------------------------*/

static IrInst *lower_call(Lower *L, const AstExpr *e) {
  if (lower_is_print(e->name)) return lower_print_call(L, e);
  const AstFunc *fn = e->func;
  if (!fn) return placeholder(L, e);
  IrInst **args = lower_keys(L, e->args, e->nargs);
  if (!fn->embedded) {
    IrFunc *callee = lower_func(L, fn);
    SUP_ASSERT(callee != NULL);
    IrInst *c = lower_emit(L, IR_CALL, callee->ret, args, e->nargs, e->loc);
    c->callee = callee;
    return callee->ret == IR_VOID ? NULL : c;
  }
  return lower_builtin_call(L, fn, args, e->nargs, e->loc);
}

IrInst *lower_builtin_call(Lower *L, const AstFunc *fn, IrInst **args, int nargs, SrcLoc loc) {
  const char *name = lower_builtin_name(L, fn);
  IrType t = lower_type(fn->ret);
  if (!name) {
    diag_error(L->diag, loc,
               "function '%s' is written in embedded C, which stapjit cannot run (no C compiler); it needs a "
               "stapjit builtin",
               fn->name);
    return t == IR_VOID ? NULL : lower_default(L, t, loc);
  }
  IrBuiltin *b = ARENA_NEW(L->a, IrBuiltin);
  b->name = name;
  b->id = -1; /* the runtime's table resolves it */
  IrInst *c = lower_emit(L, IR_BUILTIN, t, args, nargs, loc);
  c->aux = b;
  return t == IR_VOID ? NULL : c;
}

/* ---- the probe's context -------------------------------------------------------------*/

/* A context read for a backend: CTX with the node and its text; args are
 * the values the access needs (an autocast's or @cast's base pointer, then
 * each [index] of its components). */
static IrInst *lower_ctx(Lower *L, const AstExpr *e, const AstExpr *base) {
  int n = (base ? 1 : 0) + e->ncomps;
  IrInst **args = arena_alloc(L->a, sizeof(IrInst *) * (size_t)(n ? n : 1));
  int k = 0;
  if (base) args[k++] = lower_expr(L, base);
  for (int j = 0; j < e->ncomps; j++)
    if (e->comps[j].index) args[k++] = lower_expr(L, e->comps[j].index);
  StrBuf b = {0};
  fe_print_expr(&b, e);
  IrCtx *c = ARENA_NEW(L->a, IrCtx);
  c->expr = e;
  c->text = arena_strdup(L->a, sb_str(&b));
  c->is_defined = e->kind == EX_DEFINED;
  sb_free(&b);
  IrType t = lower_type(e->type);
  IrInst *i = lower_emit(L, IR_CTX, t == IR_VOID ? IR_I64 : t, args, k, e->loc);
  i->aux = c;
  return i;
}

/* x->field where x is a script value (autocast): the base without its components. */
static IrInst *lower_autocast(Lower *L, const AstExpr *e) {
  AstExpr *base = ARENA_NEW(L->a, AstExpr);
  *base = *e;
  base->comps = NULL;
  base->ncomps = 0;
  base->suffix = SFX_NONE;
  base->type = TY_LONG;
  return lower_ctx(L, e, base);
}

static IrInst *lower_host_only(Lower *L, const AstExpr *e, const char *what) {
  if (L->on_host) {
    diag_error(L->diag, e->loc,
               "%s cannot be evaluated in a probe that runs on the host (begin, end, error, "
               "never) or in a function one calls",
               what);
    return placeholder(L, e);
  }
  return lower_ctx(L, e, NULL);
}

static IrInst *lower_stat_get(Lower *L, const AstExpr *e) {
  IrGlobal *g;
  IrInst **keys;
  int n;
  if (!lower_stat_operand(L, e->lhs, &g, &keys, &n)) return placeholder(L, e);
  static const IrStatField fields[] = {
      [OP_COUNT] = IR_STAT_COUNT, [OP_SUM] = IR_STAT_SUM, [OP_MIN] = IR_STAT_MIN,
      [OP_MAX] = IR_STAT_MAX,     [OP_AVG] = IR_STAT_AVG, [OP_VARIANCE] = IR_STAT_VARIANCE};
  SUP_ASSERT(e->op >= OP_COUNT && e->op <= OP_VARIANCE);
  if (e->nargs) keys = with_value(L, keys, n, lower_expr(L, e->args[0])); /* @variance's bits */
  IrInst *i = lower_emit(L, IR_STAT_GET, IR_I64, keys, n + (e->nargs ? 1 : 0), e->loc);
  i->g = g;
  i->imm = fields[e->op];
  return i;
}

/* ---- expressions ------------------------------------------------------------------------*/

static IrInst *lower_binary(Lower *L, const AstExpr *e) {
  if (is_compare(e->op) || e->op == OP_LAND || e->op == OP_LOR)
    return emit1(L, IR_ZEXT, IR_I64, lower_bool(L, e), e->loc);
  IrInst *a = lower_expr(L, e->lhs), *b = lower_expr(L, e->rhs);
  if (!a || !b) return placeholder(L, e);
  if (e->op == OP_CONCAT) return emit2(L, IR_CONCAT, IR_STR, a, b, e->loc);
  IrOp op = arith_op(e->op);
  SUP_ASSERT(op != IR__COUNT);
  return emit2(L, op, IR_I64, a, b, e->loc); /* DIV/MOD: the operator's location for the runtime error */
}

static IrInst *lower_unary(Lower *L, const AstExpr *e) {
  switch (e->op) {
  case OP_PLUS: return lower_expr(L, e->lhs);
  case OP_NEG: return emit1(L, IR_NEG, IR_I64, lower_expr(L, e->lhs), e->loc);
  case OP_BNOT: return emit1(L, IR_BNOT, IR_I64, lower_expr(L, e->lhs), e->loc);
  case OP_NOT: return emit1(L, IR_ZEXT, IR_I64, lower_bool(L, e), e->loc);
  default: SUP_UNREACHABLE();
  }
}

static IrInst *lower_var(Lower *L, const AstExpr *e) {
  if (!e->sym) return placeholder(L, e);
  if (e->sym->kind == SYM_GLOBAL) {
    IrGlobal *g = lower_global(L, e->sym);
    if (!g || g->kind != IR_GLOBAL_SCALAR) {
      diag_error(L->diag, e->loc, "'%s' is %s and has no value of its own", e->sym->name,
                 g && g->is_stat ? "a statistic; extract one with @count, @sum ..." : "an array");
      return placeholder(L, e);
    }
  }
  LowerLval lv = lower_lval(L, e);
  return lower_lval_get(L, &lv, e->loc);
}

static IrInst *lower_kind(Lower *L, const AstExpr *e) {
  switch (e->kind) {
  case EX_NUM: return lower_const_i64(L, e->num, e->loc);
  case EX_STR: return lower_const_str(L, e->str, e->str_len, e->loc);
  case EX_VAR: return lower_var(L, e);
  case EX_INDEX: {
    LowerLval lv = lower_lval(L, e);
    return lower_lval_get(L, &lv, e->loc);
  }
  case EX_CALL: return lower_call(L, e);
  case EX_BINARY: return lower_binary(L, e);
  case EX_UNARY: return lower_unary(L, e);
  case EX_PREINC:
  case EX_POSTINC: return lower_incdec(L, e);
  case EX_ASSIGN: return lower_assign(L, e);
  case EX_TERNARY: return lower_ternary(L, e);
  case EX_IN:
  case EX_REGEX: return emit1(L, IR_ZEXT, IR_I64, lower_bool(L, e), e->loc);
  case EX_DEFINED:
    /* a script variable is known to exist; anything else is the backend's to decide */
    if ((e->lhs->kind == EX_VAR || e->lhs->kind == EX_INDEX) && e->lhs->sym && !e->lhs->ncomps)
      return lower_const_i64(L, 1, e->loc);
    return lower_ctx(L, e, NULL);
  case EX_CAST: return lower_ctx(L, e, e->lhs);
  case EX_TARGET:
  case EX_TARGET_SYM:
  case EX_ATVAR:
  case EX_ENTRY:
  case EX_PERF:
  case EX_PROBEWRITE: return lower_ctx(L, e, NULL);
  case EX_EMBEDDED: return lower_host_only(L, e, "embedded C");
  case EX_CONST: return lower_host_only(L, e, "@const");
  case EX_STATOP: return lower_stat_get(L, e);
  case EX_HIST: return e->rhs ? lower_hist_bucket(L, e) : lower_hist_str(L, e);
  default: SUP_UNREACHABLE();
  }
}

static bool ctx_kind(AstExprKind k) { return k == EX_TARGET || k == EX_CAST || k == EX_ATVAR; }

IrInst *lower_expr(Lower *L, const AstExpr *e) {
  if (e->ncomps && !ctx_kind(e->kind)) return lower_autocast(L, e);
  return lower_kind(L, e);
}

/* ast-sexp.h: a compact S-expression dump of parsed trees, for the parser tests.
 *
 * Written here rather than taken from print.c so that the parser's tests do
 * not depend on the printer (and the printer's round trip can be tested
 * against the parser).  Operators are prefix and fully parenthesised, so
 * tree shape shows: "a - b - c" dumps as "(- (- a b) c)".  Locations and the
 * paren flag are not shown.
 *
 *   NUM 42   STR "raw"   VAR a   INDEX a[k,*]   CALL f(x,y)   (op l r)
 *   UNARY (- x)   PREINC (++_ x)   POSTINC (_++ x)   ASSIGN (+= a b)
 *   TERNARY (? c t e)   IN (in [k1,k2] arr)   REGEX (=~ s "re")
 *   TARGET $x->f[1]$$ (and &$x)   CAST @cast(p,"type","mod")->f
 *   ATVAR @var("n@f.c")   @defined(x) @entry(x) @probewrite(x) @const("N") @perf("c")
 *   STATOP @count(s)   HIST @hist_linear(s,0,10,1)   EMBEDDED %{code%}
 */
#ifndef STAPJIT_TESTS_AST_SEXP_H
#define STAPJIT_TESTS_AST_SEXP_H

#include "ast.h"

static const char *sx_op(AstOp op) {
  static const char *const names[OP__COUNT] = {
      [OP_NONE] = "?none",    [OP_ADD] = "+",          [OP_SUB] = "-",           [OP_MUL] = "*",
      [OP_DIV] = "/",         [OP_MOD] = "%",          [OP_SHL] = "<<",          [OP_SHR] = ">>",
      [OP_USHR] = ">>>",      [OP_BAND] = "&",         [OP_BOR] = "|",           [OP_BXOR] = "^",
      [OP_LAND] = "&&",       [OP_LOR] = "||",         [OP_CONCAT] = ".",        [OP_EQ] = "==",
      [OP_NE] = "!=",         [OP_LT] = "<",           [OP_LE] = "<=",           [OP_GT] = ">",
      [OP_GE] = ">=",         [OP_MATCH] = "=~",       [OP_NOMATCH] = "!~",      [OP_NEG] = "-",
      [OP_PLUS] = "+",        [OP_NOT] = "!",          [OP_BNOT] = "~",          [OP_INC] = "++",
      [OP_DEC] = "--",        [OP_ASSIGN] = "=",       [OP_ADD_ASSIGN] = "+=",   [OP_SUB_ASSIGN] = "-=",
      [OP_MUL_ASSIGN] = "*=", [OP_DIV_ASSIGN] = "/=",  [OP_MOD_ASSIGN] = "%=",   [OP_SHL_ASSIGN] = "<<=",
      [OP_SHR_ASSIGN] = ">>=", [OP_USHR_ASSIGN] = ">>>=", [OP_AND_ASSIGN] = "&=", [OP_OR_ASSIGN] = "|=",
      [OP_XOR_ASSIGN] = "^=", [OP_CONCAT_ASSIGN] = ".=", [OP_AGG] = "<<<",       [OP_COUNT] = "@count",
      [OP_SUM] = "@sum",      [OP_MIN] = "@min",       [OP_MAX] = "@max",        [OP_AVG] = "@avg",
      [OP_VARIANCE] = "@variance", [OP_HIST_LOG] = "@hist_log", [OP_HIST_LINEAR] = "@hist_linear"};
  return (unsigned)op < OP__COUNT && names[op] ? names[op] : "?op";
}

static inline void sx_expr(StrBuf *b, const AstExpr *e);

static inline void sx_list(StrBuf *b, AstExpr *const *v, int n) {
  for (int k = 0; k < n; k++) {
    if (k) sb_putc(b, ',');
    if (v[k]) sx_expr(b, v[k]);
    else sb_putc(b, '*');
  }
}

static inline void sx_quoted(StrBuf *b, const char *s) {
  sb_putc(b, '"');
  sb_puts(b, s ? s : "(null)");
  sb_putc(b, '"');
}

static inline void sx_comps(StrBuf *b, const AstExpr *e) {
  for (int k = 0; k < e->ncomps; k++) {
    const AstComp *c = &e->comps[k];
    if (c->kind == COMP_FIELD) {
      sb_printf(b, "->%s", c->field);
    } else {
      sb_putc(b, '[');
      sx_expr(b, c->index);
      sb_putc(b, ']');
    }
  }
  if (e->suffix == SFX_PRETTY) sb_puts(b, "$");
  else if (e->suffix == SFX_DEEP) sb_puts(b, "$$");
}

static inline void sx_expr(StrBuf *b, const AstExpr *e) {
  if (!e) {
    sb_puts(b, "_");
    return;
  }
  if (e->addr) sb_putc(b, '&');
  switch (e->kind) {
  case EX_NUM: sb_printf(b, "%lld", (long long)e->num); break;
  case EX_STR: sx_quoted(b, e->raw); break;
  case EX_VAR: sb_puts(b, e->name); break;
  case EX_INDEX:
    sb_printf(b, "%s[", e->name);
    sx_list(b, e->args, e->nargs);
    sb_putc(b, ']');
    break;
  case EX_CALL:
    sb_printf(b, "%s(", e->name);
    sx_list(b, e->args, e->nargs);
    sb_putc(b, ')');
    break;
  case EX_BINARY:
  case EX_ASSIGN:
  case EX_REGEX:
    sb_printf(b, "(%s ", sx_op(e->op));
    sx_expr(b, e->lhs);
    sb_putc(b, ' ');
    sx_expr(b, e->rhs);
    sb_putc(b, ')');
    break;
  case EX_UNARY:
    sb_printf(b, "(%s ", sx_op(e->op));
    sx_expr(b, e->lhs);
    sb_putc(b, ')');
    break;
  case EX_PREINC:
  case EX_POSTINC:
    sb_printf(b, e->kind == EX_PREINC ? "(%s_ " : "(_%s ", sx_op(e->op));
    sx_expr(b, e->lhs);
    sb_putc(b, ')');
    break;
  case EX_TERNARY:
    sb_puts(b, "(? ");
    sx_expr(b, e->cond);
    sb_putc(b, ' ');
    sx_expr(b, e->lhs);
    sb_putc(b, ' ');
    sx_expr(b, e->rhs);
    sb_putc(b, ')');
    break;
  case EX_IN:
    sb_puts(b, "(in [");
    sx_list(b, e->args, e->nargs);
    sb_printf(b, "] %s)", e->name);
    break;
  case EX_TARGET:
  case EX_TARGET_SYM: sb_puts(b, e->name); break;
  case EX_CAST:
    sb_puts(b, "@cast(");
    sx_expr(b, e->lhs);
    sb_putc(b, ',');
    sx_quoted(b, e->str);
    if (e->module) {
      sb_putc(b, ',');
      sx_quoted(b, e->module);
    }
    sb_putc(b, ')');
    break;
  case EX_ATVAR:
    sb_puts(b, "@var(");
    sx_quoted(b, e->str);
    if (e->module) {
      sb_putc(b, ',');
      sx_quoted(b, e->module);
    }
    sb_putc(b, ')');
    break;
  case EX_DEFINED:
  case EX_ENTRY:
    sb_puts(b, e->kind == EX_DEFINED ? "@defined(" : "@entry(");
    sx_expr(b, e->lhs);
    sb_putc(b, ')');
    break;
  case EX_PROBEWRITE: sb_printf(b, "@probewrite(%s)", e->name); break;
  case EX_STATOP:
  case EX_HIST:
    sb_printf(b, "%s(", sx_op(e->op));
    sx_expr(b, e->lhs);
    for (int k = 0; k < e->nargs; k++) {
      sb_putc(b, ',');
      sx_expr(b, e->args[k]);
    }
    sb_putc(b, ')');
    if (e->rhs) {
      sb_putc(b, '[');
      sx_expr(b, e->rhs);
      sb_putc(b, ']');
    }
    break;
  case EX_EMBEDDED: sb_printf(b, "%%{%s%%}", e->str); break;
  case EX_CONST:
  case EX_PERF:
    sb_puts(b, e->kind == EX_CONST ? "@const(" : "@perf(");
    sx_quoted(b, e->str);
    sb_putc(b, ')');
    break;
  default: sb_printf(b, "?kind%d", (int)e->kind);
  }
  /* target-like accesses and autocast: comps and suffix follow the base */
  if (e->kind != EX_TARGET_SYM) sx_comps(b, e);
  else if (e->suffix == SFX_PRETTY) sb_puts(b, "$");
  else if (e->suffix == SFX_DEEP) sb_puts(b, "$$");
}

static inline void sx_stmt(StrBuf *b, const AstStmt *s);

static inline void sx_sort(StrBuf *b, const AstForeach *fe, int col) {
  if (fe->sort_col == col && fe->sort_col != 0) sb_putc(b, fe->sort_dir > 0 ? '+' : '-');
}

static inline void sx_foreach(StrBuf *b, const AstForeach *fe) {
  sb_puts(b, "(foreach ");
  if (fe->value) {
    sx_expr(b, fe->value);
    sx_sort(b, fe, -1);
    sb_puts(b, " = ");
  }
  sb_putc(b, '[');
  for (int k = 0; k < fe->nkeys; k++) {
    if (k) sb_putc(b, ',');
    sx_expr(b, fe->keys[k]);
    sx_sort(b, fe, k + 1);
  }
  sb_puts(b, "] in ");
  sx_expr(b, fe->array);
  if (fe->sort_aggr != OP_NONE) sb_printf(b, " %s", sx_op(fe->sort_aggr));
  if (!fe->value) sx_sort(b, fe, -1);
  if (fe->has_slice) {
    sb_putc(b, '[');
    sx_list(b, fe->slice, fe->nslice);
    sb_putc(b, ']');
  }
  if (fe->limit) {
    sb_puts(b, " limit ");
    sx_expr(b, fe->limit);
  }
  sb_putc(b, ' ');
}

static inline void sx_stmt(StrBuf *b, const AstStmt *s) {
  if (!s) {
    sb_puts(b, "_");
    return;
  }
  switch (s->kind) {
  case ST_BLOCK:
    sb_putc(b, '{');
    for (int k = 0; k < s->nbody; k++) {
      if (k) sb_puts(b, "; ");
      sx_stmt(b, s->body[k]);
    }
    sb_putc(b, '}');
    return;
  case ST_EXPR: sx_expr(b, s->expr); return;
  case ST_IF:
    sb_puts(b, "(if ");
    sx_expr(b, s->cond);
    sb_putc(b, ' ');
    sx_stmt(b, s->then);
    if (s->els) {
      sb_puts(b, " else ");
      sx_stmt(b, s->els);
    }
    sb_putc(b, ')');
    return;
  case ST_WHILE:
    sb_puts(b, "(while ");
    sx_expr(b, s->cond);
    sb_putc(b, ' ');
    sx_stmt(b, s->then);
    sb_putc(b, ')');
    return;
  case ST_FOR:
    sb_puts(b, "(for ");
    sx_expr(b, s->expr);
    sb_putc(b, ' ');
    sx_expr(b, s->cond);
    sb_putc(b, ' ');
    sx_expr(b, s->step);
    sb_putc(b, ' ');
    sx_stmt(b, s->then);
    sb_putc(b, ')');
    return;
  case ST_FOREACH:
    sx_foreach(b, s->fe);
    sx_stmt(b, s->then);
    sb_putc(b, ')');
    return;
  case ST_BREAK: sb_puts(b, "break"); return;
  case ST_CONTINUE: sb_puts(b, "continue"); return;
  case ST_NEXT: sb_puts(b, "next"); return;
  case ST_RETURN:
    if (!s->expr) {
      sb_puts(b, "return");
      return;
    }
    sb_puts(b, "(return ");
    sx_expr(b, s->expr);
    sb_putc(b, ')');
    return;
  case ST_DELETE:
    sb_puts(b, "(delete ");
    sx_expr(b, s->expr);
    sb_putc(b, ')');
    return;
  case ST_TRY:
    sb_puts(b, "(try ");
    sx_stmt(b, s->then);
    sb_puts(b, " catch");
    if (s->catch_var) {
      sb_putc(b, '(');
      sx_expr(b, s->catch_var);
      sb_putc(b, ')');
    }
    sb_putc(b, ' ');
    sx_stmt(b, s->els);
    sb_putc(b, ')');
    return;
  case ST_NULL: sb_puts(b, ";"); return;
  case ST_EMBEDDED: sb_printf(b, "%%{%s%%}", s->code); return;
  default: sb_printf(b, "?stmt%d", (int)s->kind);
  }
}

static inline void sx_point(StrBuf *b, const AstProbePoint *pp) {
  for (int k = 0; k < pp->ncomps; k++) {
    if (k) sb_putc(b, '.');
    sb_puts(b, pp->comps[k].name);
    if (pp->comps[k].arg) {
      sb_putc(b, '(');
      sx_expr(b, pp->comps[k].arg);
      sb_putc(b, ')');
    }
  }
  if (pp->sufficient) sb_putc(b, '!');
  else if (pp->optional) sb_putc(b, '?');
  if (pp->cond) {
    sb_puts(b, " if ");
    sx_expr(b, pp->cond);
  }
}

static inline void sx_points(StrBuf *b, AstProbePoint *const *v, int n) {
  for (int k = 0; k < n; k++) {
    if (k) sb_puts(b, ", ");
    sx_point(b, v[k]);
  }
}

#endif

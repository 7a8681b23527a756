/* print.c: pass 1's printer, a syntax tree back to script text (-p1).
 *
 * The text follows stap -p1: every operand of an operator is wrapped in
 * parentheses, so it re-parses to the same tree whatever the precedence
 * rules; unlike stap we print declared types, string literals as written
 * (AstExpr.raw) and indent blocks by two spaces.  Places where the grammar
 * wants a literal (hist parameters, probe-point arguments, global
 * initialisers, @cast types, the right side of =~) get bare literals.
 * This file must not allocate from the arena, report diagnostics or read
 * elaboration fields (sym, func, type): a tree prints the same text before
 * and after pass 2.  It must not crash on NULL optional fields.
 */
#include "frontend.h"

#include <inttypes.h>
#include <string.h>

/* ---- names ----------------------------------------------------------------*/

const char *ast_type_name(AstType t) {
  switch (t) {
  case TY_UNKNOWN: return "unknown";
  case TY_LONG: return "long";
  case TY_STRING: return "string";
  case TY_STATS: return "stats";
  case TY_VOID: return "void";
  }
  return "unknown";
}

static const char *const op_spellings[OP__COUNT] = {
    [OP_NONE] = "",
    [OP_ADD] = "+",
    [OP_SUB] = "-",
    [OP_MUL] = "*",
    [OP_DIV] = "/",
    [OP_MOD] = "%",
    [OP_SHL] = "<<",
    [OP_SHR] = ">>",
    [OP_USHR] = ">>>",
    [OP_BAND] = "&",
    [OP_BOR] = "|",
    [OP_BXOR] = "^",
    [OP_LAND] = "&&",
    [OP_LOR] = "||",
    [OP_CONCAT] = ".",
    [OP_EQ] = "==",
    [OP_NE] = "!=",
    [OP_LT] = "<",
    [OP_LE] = "<=",
    [OP_GT] = ">",
    [OP_GE] = ">=",
    [OP_MATCH] = "=~",
    [OP_NOMATCH] = "!~",
    [OP_NEG] = "-",
    [OP_PLUS] = "+",
    [OP_NOT] = "!",
    [OP_BNOT] = "~",
    [OP_INC] = "++",
    [OP_DEC] = "--",
    [OP_ASSIGN] = "=",
    [OP_ADD_ASSIGN] = "+=",
    [OP_SUB_ASSIGN] = "-=",
    [OP_MUL_ASSIGN] = "*=",
    [OP_DIV_ASSIGN] = "/=",
    [OP_MOD_ASSIGN] = "%=",
    [OP_SHL_ASSIGN] = "<<=",
    [OP_SHR_ASSIGN] = ">>=",
    [OP_USHR_ASSIGN] = ">>>=",
    [OP_AND_ASSIGN] = "&=",
    [OP_OR_ASSIGN] = "|=",
    [OP_XOR_ASSIGN] = "^=",
    [OP_CONCAT_ASSIGN] = ".=",
    [OP_AGG] = "<<<",
    [OP_COUNT] = "@count",
    [OP_SUM] = "@sum",
    [OP_MIN] = "@min",
    [OP_MAX] = "@max",
    [OP_AVG] = "@avg",
    [OP_VARIANCE] = "@variance",
    [OP_HIST_LOG] = "@hist_log",
    [OP_HIST_LINEAR] = "@hist_linear",
};

const char *ast_op_spelling(AstOp op) {
  if ((unsigned)op >= OP__COUNT || !op_spellings[op]) return "?";
  return op_spellings[op];
}

/* ---- small pieces ---------------------------------------------------------*/

static void put_s(StrBuf *b, const char *s) {
  if (s) sb_puts(b, s);
}

static void put_indent(StrBuf *b, int level) {
  for (int i = 0; i < level; i++) sb_puts(b, "  ");
}

/* Bytes as the body of a string literal; the lexer reads these escapes back. */
static void put_escaped(StrBuf *b, const char *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '\n': sb_puts(b, "\\n"); break;
    case '\t': sb_puts(b, "\\t"); break;
    case '\r': sb_puts(b, "\\r"); break;
    case '\\': sb_puts(b, "\\\\"); break;
    case '"': sb_puts(b, "\\\""); break;
    default:
      if (c < 0x20 || c == 0x7f) sb_printf(b, "\\%03o", c);
      else sb_putc(b, (char)c);
    }
  }
}

/* "s" for a C string stored unescaped (@cast types, modules, @var names). */
static void put_quoted(StrBuf *b, const char *s) {
  sb_putc(b, '"');
  if (s) put_escaped(b, s, strlen(s));
  sb_putc(b, '"');
}

/* A STR node: its raw text when the parser kept it, else its bytes escaped.
 * raw is the body without quotes; a raw that starts with '"' cannot be a body
 * (the quote would have ended the literal), so it already has them. */
static void put_str_literal(StrBuf *b, const AstExpr *e) {
  if (e->raw && e->raw[0] == '"') {
    sb_puts(b, e->raw);
    return;
  }
  sb_putc(b, '"');
  if (e->raw) sb_puts(b, e->raw);
  else if (e->str) put_escaped(b, e->str, e->str_len ? e->str_len : strlen(e->str));
  sb_putc(b, '"');
}

/* Negative numbers are "(-N)" in expressions: the bare "-N" inside folds back
 * to one NUM, and the parentheses keep a following or preceding operator from
 * touching the sign.  Where the grammar wants a literal they are bare. */
static void put_num(StrBuf *b, int64_t v, bool in_expr) {
  if (v < 0 && in_expr) sb_printf(b, "(%" PRId64 ")", v);
  else sb_printf(b, "%" PRId64, v);
}

/* A literal where the grammar wants one; anything else as an expression. */
static void put_literal(StrBuf *b, const AstExpr *e) {
  if (!e) return;
  if (e->kind == EX_NUM) put_num(b, e->num, false);
  else if (e->kind == EX_STR) put_str_literal(b, e);
  else fe_print_expr(b, e);
}

/* An operand of an operator: always parenthesised, as stap prints it. */
static void put_operand(StrBuf *b, const AstExpr *e) {
  if (e && e->kind == EX_NUM && e->num < 0 && e->ncomps == 0) {
    put_num(b, e->num, true); /* already "(-N)" */
    return;
  }
  sb_putc(b, '(');
  fe_print_expr(b, e);
  sb_putc(b, ')');
}

/* e1, e2, ... where a NULL entry is the '*' wildcard of a[*, k]. */
static void put_list(StrBuf *b, AstExpr *const *v, int n) {
  for (int i = 0; i < n; i++) {
    if (i) sb_puts(b, ", ");
    if (v && v[i]) fe_print_expr(b, v[i]);
    else sb_putc(b, '*');
  }
}

/* ->field and [index] steps, then the $ / $$ pretty-printing suffix. */
static void put_comps(StrBuf *b, const AstExpr *e) {
  for (int i = 0; e->comps && i < e->ncomps; i++) {
    const AstComp *c = &e->comps[i];
    if (c->kind == COMP_FIELD) {
      sb_puts(b, "->");
      put_s(b, c->field);
    } else {
      sb_putc(b, '[');
      if (c->index && c->index->kind == EX_NUM) put_num(b, c->index->num, false);
      else fe_print_expr(b, c->index);
      sb_putc(b, ']');
    }
  }
  if (e->suffix == SFX_PRETTY) sb_putc(b, '$');
  else if (e->suffix == SFX_DEEP) sb_puts(b, "$$");
}

/* An array (or histogram) named by an IN, INDEX or foreach. */
static void put_base(StrBuf *b, const AstExpr *e) {
  if (e->name) sb_puts(b, e->name);
  else fe_print_expr(b, e->lhs);
}

/* ---- expressions ----------------------------------------------------------*/

/* Keys of [k1, k2] in a are parsed above the comparison level only (stap's
 * parse_array_in), so keys built from weaker operators need parentheses. */
static bool is_operator_expr(const AstExpr *e) {
  switch (e->kind) {
  case EX_BINARY:
  case EX_ASSIGN:
  case EX_TERNARY:
  case EX_IN:
  case EX_REGEX: return true;
  default: return false;
  }
}

static void put_regex(StrBuf *b, const AstExpr *e) {
  put_operand(b, e->lhs);
  sb_printf(b, " %s ", ast_op_spelling(e->op));
  /* stap's grammar wants a bare string literal here */
  if (e->rhs && e->rhs->kind == EX_STR) put_str_literal(b, e->rhs);
  else put_operand(b, e->rhs);
}

static void put_binary(StrBuf *b, const AstExpr *e) {
  if (e->op == OP_MATCH || e->op == OP_NOMATCH) {
    put_regex(b, e);
    return;
  }
  put_operand(b, e->lhs);
  sb_printf(b, " %s ", ast_op_spelling(e->op));
  put_operand(b, e->rhs);
}

/* stap prints the key list in brackets even for one key. */
static void put_in(StrBuf *b, const AstExpr *e) {
  sb_putc(b, '[');
  for (int i = 0; i < e->nargs; i++) {
    const AstExpr *k = e->args ? e->args[i] : NULL;
    if (i) sb_puts(b, ", ");
    if (!k) sb_putc(b, '*');
    else if (is_operator_expr(k)) put_operand(b, k);
    else fe_print_expr(b, k);
  }
  sb_puts(b, "] in ");
  put_base(b, e);
}

static void put_index(StrBuf *b, const AstExpr *e) {
  put_base(b, e);
  sb_putc(b, '[');
  put_list(b, e->args, e->nargs);
  sb_putc(b, ']');
}

static void put_call(StrBuf *b, const AstExpr *e) {
  put_s(b, e->name);
  sb_putc(b, '(');
  put_list(b, e->args, e->nargs);
  sb_putc(b, ')');
}

static void put_ternary(StrBuf *b, const AstExpr *e) {
  put_operand(b, e->cond);
  sb_putc(b, '?');
  put_operand(b, e->lhs);
  sb_putc(b, ':');
  put_operand(b, e->rhs);
}

/* $var, $$vars, @cast(...), @var(...) with &, components and suffix. */
static void put_target(StrBuf *b, const AstExpr *e) {
  if (e->addr) sb_putc(b, '&');
  switch (e->kind) {
  case EX_CAST:
    sb_puts(b, "@cast(");
    fe_print_expr(b, e->lhs);
    sb_puts(b, ", ");
    put_quoted(b, e->str);
    break;
  case EX_ATVAR:
    sb_puts(b, "@var(");
    put_quoted(b, e->str);
    break;
  default: put_s(b, e->name); break;
  }
  if (e->kind == EX_CAST || e->kind == EX_ATVAR) {
    if (e->module) {
      sb_puts(b, ", ");
      put_quoted(b, e->module);
    }
    sb_putc(b, ')');
  }
  put_comps(b, e);
}

/* name(expr), for the @-operators taking one expression. */
static void put_atop(StrBuf *b, const char *name, const AstExpr *arg) {
  sb_puts(b, name);
  sb_putc(b, '(');
  fe_print_expr(b, arg);
  sb_putc(b, ')');
}

/* @count(E); @variance(E, bits) has one more argument in args. */
static void put_statop(StrBuf *b, const AstExpr *e) {
  sb_puts(b, ast_op_spelling(e->op));
  sb_putc(b, '(');
  fe_print_expr(b, e->lhs);
  for (int i = 0; e->args && i < e->nargs; i++) {
    sb_puts(b, ", ");
    fe_print_expr(b, e->args[i]);
  }
  sb_putc(b, ')');
}

/* @hist_log(E) or @hist_linear(E, lo, hi, step), parameters literals, then
 * [N] for one bucket's count. */
static void put_hist(StrBuf *b, const AstExpr *e) {
  sb_puts(b, e->op == OP_HIST_LINEAR ? "@hist_linear(" : "@hist_log(");
  fe_print_expr(b, e->lhs);
  for (int i = 0; e->args && i < e->nargs; i++) {
    sb_puts(b, ", ");
    put_literal(b, e->args[i]);
  }
  sb_putc(b, ')');
  if (e->rhs) {
    sb_putc(b, '[');
    fe_print_expr(b, e->rhs);
    sb_putc(b, ']');
  }
}

static void put_unary(StrBuf *b, const AstExpr *e) {
  if (e->kind == EX_POSTINC) {
    put_operand(b, e->lhs);
    sb_puts(b, ast_op_spelling(e->op));
    return;
  }
  /* -(5) stays UNARY over NUM; only a bare -5 folds into a literal */
  sb_puts(b, ast_op_spelling(e->op));
  put_operand(b, e->lhs);
}

static void put_expr_kind(StrBuf *b, const AstExpr *e);

/* Prints e as source text to b (no newline).  A NULL e prints nothing.
 * Components on anything but a target value are stap's autocast (p->x,
 * f()[0], (e)->x): the operand goes in parentheses, where the parser takes
 * '->' and '[' after any expression, and '&' after them is allowed. */
void fe_print_expr(StrBuf *b, const AstExpr *e) {
  if (!e) return;
  bool target = e->kind == EX_TARGET || e->kind == EX_TARGET_SYM || e->kind == EX_CAST || e->kind == EX_ATVAR;
  if (target || (e->ncomps == 0 && !e->addr && e->suffix == SFX_NONE)) {
    put_expr_kind(b, e);
    return;
  }
  if (e->addr) sb_putc(b, '&');
  sb_putc(b, '(');
  put_expr_kind(b, e);
  sb_putc(b, ')');
  put_comps(b, e);
}

/* e itself, without autocast components. */
static void put_expr_kind(StrBuf *b, const AstExpr *e) {
  switch (e->kind) {
  case EX_NUM: put_num(b, e->num, true); break;
  case EX_STR: put_str_literal(b, e); break;
  case EX_VAR: put_s(b, e->name); break;
  case EX_INDEX: put_index(b, e); break;
  case EX_CALL: put_call(b, e); break;
  case EX_BINARY:
  case EX_ASSIGN: put_binary(b, e); break;
  case EX_UNARY:
  case EX_PREINC:
  case EX_POSTINC: put_unary(b, e); break;
  case EX_TERNARY: put_ternary(b, e); break;
  case EX_IN: put_in(b, e); break;
  case EX_REGEX: put_regex(b, e); break;
  case EX_TARGET:
  case EX_TARGET_SYM:
  case EX_CAST:
  case EX_ATVAR: put_target(b, e); break;
  case EX_DEFINED: put_atop(b, "@defined", e->lhs); break;
  case EX_ENTRY: put_atop(b, "@entry", e->lhs); break;
  case EX_PROBEWRITE:
    sb_puts(b, "@probewrite(");
    put_base(b, e);
    sb_putc(b, ')');
    break;
  case EX_STATOP: put_statop(b, e); break;
  case EX_HIST: put_hist(b, e); break;
  case EX_EMBEDDED:
    /* the code is the exact text between the braces: no added spaces */
    sb_puts(b, "%{");
    put_s(b, e->str);
    sb_puts(b, "%}");
    break;
  case EX_CONST:
    sb_puts(b, "@const(");
    put_quoted(b, e->str);
    sb_putc(b, ')');
    break;
  case EX_PERF:
    sb_puts(b, "@perf(");
    put_quoted(b, e->str);
    sb_putc(b, ')');
    break;
  case EX__COUNT: break;
  }
}

/* ---- statements -----------------------------------------------------------*/

/* Layout: fe_print_stmt starts at the current column (the caller indents the
 * first line) and ends without a newline.  Lines inside a block are indented
 * by 2*(indent+1) spaces and its closing brace by 2*indent.
 *
 * Semicolons: after every statement but a block or a NULL one the parser eats
 * one ';' if it is there (parse_stmt).  Simple statements are printed with
 * their ';'.  A statement that ends in another (if, loops) or in a block
 * (try) leaves eaters without one; a NULL statement right after it would be
 * eaten, so put_block feeds them first (see stmt_open). */

/* How many ';' the parser would still eat right after st as printed. */
static int stmt_open(const AstStmt *st) {
  if (!st) return 0;
  switch (st->kind) {
  case ST_IF: return 1 + stmt_open(st->els ? st->els : st->then);
  case ST_WHILE:
  case ST_FOR:
  case ST_FOREACH: return 1 + stmt_open(st->then);
  case ST_TRY:
  case ST_EMBEDDED: return 1;
  default: return 0; /* block, NULL, and simple statements printed with ';' */
  }
}

static void put_block(StrBuf *b, const AstStmt *st, int indent) {
  sb_puts(b, "{\n");
  for (int i = 0; st->body && i < st->nbody; i++) {
    put_indent(b, indent + 1);
    fe_print_stmt(b, st->body[i], indent + 1);
    if (i + 1 < st->nbody && st->body[i + 1] && st->body[i + 1]->kind == ST_NULL)
      for (int k = stmt_open(st->body[i]); k > 0; k--) sb_putc(b, ';');
    sb_putc(b, '\n');
  }
  put_indent(b, indent);
  sb_putc(b, '}');
}

static void put_if(StrBuf *b, const AstStmt *st, int indent) {
  sb_puts(b, "if (");
  fe_print_expr(b, st->cond);
  sb_puts(b, ") ");
  fe_print_stmt(b, st->then, indent);
  if (st->els) {
    sb_putc(b, '\n');
    put_indent(b, indent);
    sb_puts(b, "else ");
    fe_print_stmt(b, st->els, indent);
  }
}

/* for (init; cond; step) body; a missing part prints empty. */
static void put_for(StrBuf *b, const AstStmt *st, int indent) {
  sb_puts(b, "for (");
  fe_print_expr(b, st->expr);
  sb_putc(b, ';');
  if (st->cond) {
    sb_putc(b, ' ');
    fe_print_expr(b, st->cond);
  }
  sb_putc(b, ';');
  if (st->step) {
    sb_putc(b, ' ');
    fe_print_expr(b, st->step);
  }
  sb_puts(b, ") ");
  fe_print_stmt(b, st->then, indent);
}

static void put_sort(StrBuf *b, const AstForeach *fe, int col) {
  if (fe->sort_dir && fe->sort_col == col) sb_putc(b, fe->sort_dir > 0 ? '+' : '-');
}

/* foreach (v = [k1, k2-] in a[*, 5]+ limit 10) body, as stap prints it:
 * keys always in brackets, the value's sort marker after the array. */
static void put_foreach(StrBuf *b, const AstStmt *st, int indent) {
  const AstForeach *fe = st->fe;
  sb_puts(b, "foreach (");
  if (fe) {
    if (fe->value) {
      fe_print_expr(b, fe->value);
      sb_puts(b, " = ");
    }
    sb_putc(b, '[');
    for (int i = 0; fe->keys && i < fe->nkeys; i++) {
      if (i) sb_puts(b, ", ");
      fe_print_expr(b, fe->keys[i]);
      put_sort(b, fe, i + 1);
    }
    sb_puts(b, "] in ");
    fe_print_expr(b, fe->array);
    if (fe->has_slice || fe->nslice > 0) {
      sb_putc(b, '[');
      put_list(b, fe->slice, fe->nslice);
      sb_putc(b, ']');
    }
    if (fe->sort_aggr != OP_NONE) {
      sb_putc(b, ' ');
      sb_puts(b, ast_op_spelling(fe->sort_aggr));
    }
    put_sort(b, fe, -1);
    if (fe->limit) {
      sb_puts(b, " limit ");
      fe_print_expr(b, fe->limit);
    }
  }
  sb_puts(b, ") ");
  fe_print_stmt(b, st->then, indent);
}

static void put_try(StrBuf *b, const AstStmt *st, int indent) {
  sb_puts(b, "try ");
  fe_print_stmt(b, st->then, indent);
  sb_puts(b, " catch ");
  if (st->catch_var) {
    sb_putc(b, '(');
    fe_print_expr(b, st->catch_var);
    sb_puts(b, ") ");
  }
  fe_print_stmt(b, st->els, indent);
}

/* keyword [expr]; for return, delete and the expression statement. */
static void put_simple(StrBuf *b, const char *kw, const AstExpr *e) {
  put_s(b, kw);
  if (kw && e) sb_putc(b, ' ');
  fe_print_expr(b, e);
  sb_putc(b, ';');
}

/* Prints st to b; see the layout note above.  NULL prints as ";". */
void fe_print_stmt(StrBuf *b, const AstStmt *st, int indent) {
  if (!st) {
    sb_putc(b, ';');
    return;
  }
  switch (st->kind) {
  case ST_BLOCK: put_block(b, st, indent); break;
  case ST_EXPR: put_simple(b, NULL, st->expr); break;
  case ST_IF: put_if(b, st, indent); break;
  case ST_WHILE:
    sb_puts(b, "while (");
    fe_print_expr(b, st->cond);
    sb_puts(b, ") ");
    fe_print_stmt(b, st->then, indent);
    break;
  case ST_FOR: put_for(b, st, indent); break;
  case ST_FOREACH: put_foreach(b, st, indent); break;
  case ST_BREAK: sb_puts(b, "break;"); break;
  case ST_CONTINUE: sb_puts(b, "continue;"); break;
  case ST_NEXT: sb_puts(b, "next;"); break;
  case ST_RETURN: put_simple(b, "return", st->expr); break;
  case ST_DELETE: put_simple(b, "delete", st->expr); break;
  case ST_TRY: put_try(b, st, indent); break;
  case ST_NULL: sb_putc(b, ';'); break;
  case ST_EMBEDDED:
    sb_puts(b, "%{");
    put_s(b, st->code);
    sb_puts(b, "%}");
    break;
  case ST__COUNT: break;
  }
}

/* ---- declarations ---------------------------------------------------------*/

/* kernel.function("x").return? if (cond): components, then ! or ? (stap's
 * '!' implies '?', so only one is printed), then the condition. */
void fe_print_probe_point(StrBuf *b, const AstProbePoint *pp) {
  if (!pp) return;
  for (int i = 0; pp->comps && i < pp->ncomps; i++) {
    const AstPpComp *c = &pp->comps[i];
    if (i) sb_putc(b, '.');
    put_s(b, c->name);
    if (c->arg) {
      sb_putc(b, '(');
      put_literal(b, c->arg);
      sb_putc(b, ')');
    }
  }
  if (pp->sufficient) sb_putc(b, '!');
  else if (pp->optional) sb_putc(b, '?');
  if (pp->cond) {
    sb_puts(b, " if (");
    fe_print_expr(b, pp->cond);
    sb_putc(b, ')');
  }
}

static void put_points(StrBuf *b, AstProbePoint *const *v, int n) {
  for (int i = 0; v && i < n; i++) {
    if (i) sb_puts(b, ", ");
    fe_print_probe_point(b, v[i]);
  }
}

/* global NAME%[SIZE] = LITERAL: '%' before the size, as stap parses it. */
static void put_global(StrBuf *b, const AstSym *g) {
  if (g->is_private) sb_puts(b, "private ");
  sb_puts(b, "global ");
  put_s(b, g->name);
  if (g->wrap) sb_putc(b, '%');
  if (g->maxsize > 0) sb_printf(b, "[%" PRId64 "]", g->maxsize);
  if (g->init) {
    /* the space keeps '%' and '=' from lexing as '%=' */
    sb_puts(b, " = ");
    put_literal(b, g->init);
  }
  sb_putc(b, '\n');
}

/* Only long and string can be written in a declaration. */
static void put_decl_type(StrBuf *b, AstType t) {
  if (t == TY_LONG || t == TY_STRING) {
    sb_putc(b, ':');
    sb_puts(b, ast_type_name(t));
  }
}

/* function NAME:TYPE (p1:TYPE, p2):PRIORITY then the body on the next line
 * (stap -p1 leaves the priority out; we keep it, as we keep types). */
static void put_func(StrBuf *b, const AstFunc *fn) {
  if (fn->is_private) sb_puts(b, "private ");
  sb_puts(b, "function ");
  put_s(b, fn->name);
  if (fn->ret_declared) put_decl_type(b, fn->ret);
  sb_puts(b, " (");
  for (int i = 0; fn->params && i < fn->nparams; i++) {
    if (i) sb_puts(b, ", ");
    put_s(b, fn->params[i].name);
    put_decl_type(b, fn->params[i].type);
  }
  sb_putc(b, ')');
  if (fn->priority) sb_printf(b, ":%" PRId64, fn->priority);
  sb_putc(b, '\n');
  if (fn->body) fe_print_stmt(b, fn->body, 0);
  else sb_puts(b, "{\n}");
  sb_putc(b, '\n');
}

/* probe PP, PP2{ ... } or probe NAME = PP{ ... } (stap glues the brace);
 * an alias's epilogue block follows as ", { ... }". */
static void put_probe(StrBuf *b, const AstProbe *p) {
  if (p->is_private) sb_puts(b, "private ");
  sb_puts(b, "probe ");
  if (p->is_alias) {
    put_points(b, p->alias_names, p->nalias_names);
    sb_puts(b, p->epilogue ? " += " : " = ");
  }
  put_points(b, p->points, p->npoints);
  if (p->body) fe_print_stmt(b, p->body, 0);
  else sb_puts(b, "{\n}");
  if (p->epi_body) {
    sb_puts(b, ", ");
    fe_print_stmt(b, p->epi_body, 0);
  }
  sb_putc(b, '\n');
}

/* Writes the -p1 dump of f to out: embedded code, globals, functions,
 * aliases, probes (the file's order within each kind). */
void fe_print_file(FILE *out, const AstFile *f) {
  StrBuf b = {0};
  sb_puts(&b, "# parse tree dump\n# file ");
  put_s(&b, f->path);
  sb_putc(&b, '\n');
  for (int i = 0; i < f->embeds.n; i++) {
    const AstEmbed *em = f->embeds.items[i];
    sb_puts(&b, "%{");
    put_s(&b, em->code);
    sb_puts(&b, "%}\n");
  }
  for (int i = 0; i < f->globals.n; i++) put_global(&b, f->globals.items[i]);
  for (int i = 0; i < f->funcs.n; i++) put_func(&b, f->funcs.items[i]);
  for (int i = 0; i < f->aliases.n; i++) put_probe(&b, f->aliases.items[i]);
  for (int i = 0; i < f->probes.n; i++) put_probe(&b, f->probes.items[i]);
  fwrite(sb_str(&b), 1, b.len, out);
  sb_free(&b);
}

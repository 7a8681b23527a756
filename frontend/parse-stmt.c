/* parse-stmt.c: statements and blocks.
 *
 * Semicolons are optional separators, as in stap.  Loop nesting is tracked
 * so that break/continue outside a loop is a syntax error here, where the
 * location is at hand.  Expressions are parse-expr.c's.
 */
#include "parse.h"

#include <string.h>

static AstStmt *stmt_new(Parser *p, AstStmtKind k, SrcLoc loc) {
  AstStmt *s = ARENA_NEW(p->a, AstStmt);
  s->kind = k;
  s->loc = loc;
  return s;
}

/* block := '{' { stmt } '}' */
AstStmt *parse_block(Parser *p) {
  const Token *open = parse_expect(p, TK_OP, "{", "'{'");
  AstStmt *b = stmt_new(p, ST_BLOCK, open->loc);
  PtrVec v = {0};
  parse_enter(p, open);
  for (;;) {
    const Token *t = parse_peek(p);
    if (tok_is(t, TK_OP, "}")) break;
    if (t->kind == TK_EOF) parse_fail(p, t, "'}' expected (to close '{' at line %u)", open->loc.line);
    ptrvec_push(p->a, &v, parse_stmt(p));
  }
  parse_next(p);
  parse_leave(p);
  b->body = (AstStmt **)v.items;
  b->nbody = v.n;
  return b;
}

static AstStmt *parse_loop_body(Parser *p) {
  p->loops++;
  AstStmt *s = parse_stmt(p);
  p->loops--;
  return s;
}

static AstExpr *parse_var(Parser *p, const char *what) {
  const Token *t = parse_peek(p);
  AstExpr *e = parse_expr_new(p, EX_VAR, t->loc);
  e->name = parse_ident(p, what);
  return e;
}

/* Sort marker after a foreach key, value or array: '+' or '-'. */
static void parse_sort_mark(Parser *p, AstForeach *fe, int col) {
  const Token *t = parse_peek(p);
  int dir = tok_is(t, TK_OP, "+") ? 1 : tok_is(t, TK_OP, "-") ? -1 : 0;
  if (!dir) return;
  if (fe->sort_col != 0) parse_fail(p, t, "multiple sort directives in foreach");
  parse_next(p);
  fe->sort_col = col;
  fe->sort_dir = dir;
}

/* Aggregate to sort a stats array by: foreach (k in a @sum-). */
static void parse_sort_aggr(Parser *p, AstForeach *fe) {
  static const struct {
    const char *name;
    AstOp op;
  } aggrs[] = {{"@count", OP_COUNT}, {"@sum", OP_SUM}, {"@min", OP_MIN}, {"@max", OP_MAX}, {"@avg", OP_AVG}};
  const Token *t = parse_peek(p);
  for (size_t k = 0; k < sizeof aggrs / sizeof aggrs[0]; k++) {
    if (!tok_is(t, TK_AT, aggrs[k].name)) continue;
    parse_next(p);
    fe->sort_aggr = aggrs[k].op;
    if (!tok_is(parse_peek(p), TK_OP, "+") && !tok_is(parse_peek(p), TK_OP, "-"))
      parse_fail(p, parse_peek(p), "expected '+' or '-' after %.*s in foreach", (int)t->len, t->text);
    return;
  }
}

/* foreach := 'foreach' '(' [ IDENT [sort] '=' ] ( IDENT [sort] | '[' IDENT [sort] { ',' IDENT [sort] } ']' )
 *            'in' IDENT [aggr sort] [ '[' slice ']' [aggr] [sort] ] [ 'limit' expr ] ')' stmt */
static AstStmt *parse_foreach(Parser *p, const Token *kw) {
  AstStmt *s = stmt_new(p, ST_FOREACH, kw->loc);
  AstForeach *fe = s->fe = ARENA_NEW(p->a, AstForeach);
  const Token *open = parse_expect(p, TK_OP, "(", "'(' after foreach");
  const Token *t1 = parse_peek_at(p, 1);
  bool marked = tok_is(t1, TK_OP, "+") || tok_is(t1, TK_OP, "-");
  if (parse_peek(p)->kind == TK_IDENT && tok_is(marked ? parse_peek_at(p, 2) : t1, TK_OP, "=")) {
    fe->value = parse_var(p, "foreach value variable");
    parse_sort_mark(p, fe, -1); /* foreach (v- = [k] in a): by value */
    parse_next(p);
  }
  PtrVec keys = {0};
  if (parse_accept(p, TK_OP, "[")) {
    for (;;) {
      ptrvec_push(p->a, &keys, parse_var(p, "foreach key variable"));
      if (keys.n > 9) parse_fail(p, &p->t[p->i - 1], "too many foreach keys (at most 9)");
      parse_sort_mark(p, fe, keys.n);
      if (parse_accept(p, TK_OP, ",")) continue;
      parse_expect(p, TK_OP, "]", "',' or ']' in foreach keys");
      break;
    }
  } else {
    ptrvec_push(p->a, &keys, parse_var(p, "foreach key variable"));
    parse_sort_mark(p, fe, 1);
  }
  fe->keys = (AstExpr **)keys.items;
  fe->nkeys = keys.n;
  if (!tok_is(parse_peek(p), TK_IDENT, "in")) parse_fail(p, parse_peek(p), "expected 'in' in foreach");
  parse_next(p);
  const Token *at = parse_peek(p);
  if (at->kind == TK_AT) {
    fe->array = parse_expr(p); /* foreach over an aggregate expression, e.g. @hist */
  } else {
    fe->array = parse_var(p, "array name in foreach");
    parse_sort_aggr(p, fe);
    parse_sort_mark(p, fe, -1);
    if (parse_accept(p, TK_OP, "[")) {
      fe->has_slice = true;
      fe->nslice = parse_index_keys(p, &fe->slice, true);
      if (fe->nslice != fe->nkeys)
        parse_fail(p, at, "foreach slice has %d indexes but %d keys are named", fe->nslice, fe->nkeys);
      if (fe->sort_aggr == OP_NONE) parse_sort_aggr(p, fe); /* a[*, 1] @sum+ (the printer's order) */
      parse_sort_mark(p, fe, -1);
    }
  }
  if (tok_is(parse_peek(p), TK_IDENT, "limit")) {
    parse_next(p);
    fe->limit = parse_expr(p);
  }
  if (!parse_accept(p, TK_OP, ")"))
    parse_fail(p, parse_peek(p), "')' expected (to close '(' at line %u)", open->loc.line);
  s->then = parse_loop_body(p);
  return s;
}

/* for := 'for' '(' [expr] ';' [expr] ';' [expr] ')' stmt */
static AstStmt *parse_for(Parser *p, const Token *kw) {
  AstStmt *s = stmt_new(p, ST_FOR, kw->loc);
  const Token *open = parse_expect(p, TK_OP, "(", "'(' after for");
  if (!tok_is(parse_peek(p), TK_OP, ";")) s->expr = parse_expr(p);
  parse_expect(p, TK_OP, ";", "';' after the for initialiser");
  if (!tok_is(parse_peek(p), TK_OP, ";")) s->cond = parse_expr(p);
  parse_expect(p, TK_OP, ";", "';' after the for condition");
  if (!tok_is(parse_peek(p), TK_OP, ")")) s->step = parse_expr(p);
  if (!parse_accept(p, TK_OP, ")"))
    parse_fail(p, parse_peek(p), "')' expected (to close '(' at line %u)", open->loc.line);
  s->then = parse_loop_body(p);
  return s;
}

/* try := 'try' block 'catch' [ '(' IDENT ')' ] block */
static AstStmt *parse_try(Parser *p, const Token *kw) {
  AstStmt *s = stmt_new(p, ST_TRY, kw->loc);
  s->then = parse_block(p);
  if (!tok_is(parse_peek(p), TK_IDENT, "catch")) parse_fail(p, parse_peek(p), "expected 'catch' after try block");
  parse_next(p);
  if (parse_accept(p, TK_OP, "(")) {
    s->catch_var = parse_var(p, "catch variable");
    parse_expect(p, TK_OP, ")", "')' after catch variable");
  }
  s->els = parse_block(p);
  return s;
}

/* delete := 'delete' ( IDENT | IDENT '[' keys-with-* ']' | expr ) */
static AstStmt *parse_delete(Parser *p, const Token *kw) {
  AstStmt *s = stmt_new(p, ST_DELETE, kw->loc);
  const Token *t = parse_peek(p);
  if (t->kind == TK_IDENT && !parse_is_keyword(t) && tok_is(parse_peek_at(p, 1), TK_OP, "[")) {
    parse_next(p);
    parse_next(p);
    AstExpr *e = parse_expr_new(p, EX_INDEX, t->loc);
    e->name = arena_strndup(p->a, t->text, t->len);
    e->nargs = parse_index_keys(p, &e->args, true);
    s->expr = e;
  } else {
    s->expr = parse_expr(p);
    AstExprKind k = s->expr->kind;
    if (k != EX_VAR && k != EX_INDEX && k != EX_TARGET && k != EX_CAST)
      parse_fail(p, t, "delete needs a variable, an array or an array element");
  }
  return s;
}

/* stmt := block | ';' | if | while | for | foreach | try | delete | return | next | break | continue
 *       | EMBEDDED | expr */
AstStmt *parse_stmt(Parser *p) {
  const Token *t = parse_peek(p);
  AstStmt *s;
  parse_enter(p, t);
  if (tok_is(t, TK_OP, "{")) {
    s = parse_block(p);
  } else if (tok_is(t, TK_OP, ";")) {
    parse_next(p);
    s = stmt_new(p, ST_NULL, t->loc);
  } else if (t->kind == TK_EMBEDDED) {
    parse_next(p);
    s = stmt_new(p, ST_EMBEDDED, t->loc);
    s->code = t->text;
  } else if (t->kind == TK_IDENT && parse_is_keyword(t)) {
    parse_next(p);
    if (tok_is(t, TK_IDENT, "if")) {
      s = stmt_new(p, ST_IF, t->loc);
      const Token *open = parse_expect(p, TK_OP, "(", "'(' after if");
      s->cond = parse_expr(p);
      if (!parse_accept(p, TK_OP, ")"))
        parse_fail(p, parse_peek(p), "')' expected (to close '(' at line %u)", open->loc.line);
      s->then = parse_stmt(p);
      if (tok_is(parse_peek(p), TK_IDENT, "else")) {
        parse_next(p);
        s->els = parse_stmt(p);
      }
    } else if (tok_is(t, TK_IDENT, "while")) {
      s = stmt_new(p, ST_WHILE, t->loc);
      const Token *open = parse_expect(p, TK_OP, "(", "'(' after while");
      s->cond = parse_expr(p);
      if (!parse_accept(p, TK_OP, ")"))
        parse_fail(p, parse_peek(p), "')' expected (to close '(' at line %u)", open->loc.line);
      s->then = parse_loop_body(p);
    } else if (tok_is(t, TK_IDENT, "for")) {
      s = parse_for(p, t);
    } else if (tok_is(t, TK_IDENT, "foreach")) {
      s = parse_foreach(p, t);
    } else if (tok_is(t, TK_IDENT, "try")) {
      s = parse_try(p, t);
    } else if (tok_is(t, TK_IDENT, "delete")) {
      s = parse_delete(p, t);
    } else if (tok_is(t, TK_IDENT, "return")) {
      s = stmt_new(p, ST_RETURN, t->loc);
      const Token *n = parse_peek(p);
      if (!tok_is(n, TK_OP, ";") && !tok_is(n, TK_OP, "}") && n->kind != TK_EOF) s->expr = parse_expr(p);
    } else if (tok_is(t, TK_IDENT, "next")) {
      s = stmt_new(p, ST_NEXT, t->loc);
    } else if (tok_is(t, TK_IDENT, "break") || tok_is(t, TK_IDENT, "continue")) {
      bool brk = tok_is(t, TK_IDENT, "break");
      if (!p->loops) parse_fail(p, t, "'%s' outside a loop", brk ? "break" : "continue");
      s = stmt_new(p, brk ? ST_BREAK : ST_CONTINUE, t->loc);
    } else {
      parse_fail(p, t, "unexpected keyword '%.*s' at the start of a statement", (int)t->len, t->text);
    }
  } else {
    s = stmt_new(p, ST_EXPR, t->loc);
    s->expr = parse_expr(p);
  }
  parse_leave(p);
  if (s->kind != ST_BLOCK && s->kind != ST_NULL) parse_accept(p, TK_OP, ";");
  return s;
}

/* parse.h: the parser's shared state, split across parse.c (declarations and
 * probe points), parse-stmt.c and parse-expr.c.  Internal to frontend/.
 */
#ifndef STAPJIT_PARSE_H
#define STAPJIT_PARSE_H

#include "fe-int.h"

#include <setjmp.h>

#define PARSE_MAX_DEPTH 200 /* nesting of expressions and statements */

typedef struct Parser {
  FeSession *s;
  Arena *a;
  const Token *t; /* preprocessed tokens, ending in TK_EOF */
  int n, i;
  AstFile *file;
  bool is_tapset;
  int depth;
  int loops;      /* enclosing while/for/foreach, for break/continue checks */
  jmp_buf recover; /* a syntax error unwinds to the declaration loop */
} Parser;

const Token *parse_peek(Parser *p);
const Token *parse_peek_at(Parser *p, int k);
const Token *parse_next(Parser *p);
bool parse_accept(Parser *p, TokKind k, const char *text);
const Token *parse_expect(Parser *p, TokKind k, const char *text, const char *what);
_Noreturn void parse_fail(Parser *p, const Token *at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool parse_is_keyword(const Token *t);
const char *parse_ident(Parser *p, const char *what); /* a non-keyword identifier */
void parse_enter(Parser *p, const Token *at);
void parse_leave(Parser *p);

AstExpr *parse_expr(Parser *p);
AstExpr *parse_expr_new(Parser *p, AstExprKind k, SrcLoc loc);
AstExpr *parse_literal(Parser *p); /* NUM (maybe negative) or STR */
/* a[k1, k2]: keys after '[' up to ']'; with wild, '*' gives a NULL entry. */
int parse_index_keys(Parser *p, AstExpr ***keys, bool wild);
AstStmt *parse_stmt(Parser *p);
AstStmt *parse_block(Parser *p);

#endif

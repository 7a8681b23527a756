/* parse-expr.c: expressions, from assignment down to primaries.
 *
 * Precedence, lowest first (stap's, after C and awk): assignment (right), ?:,
 * ||, &&, |, ^, &, in, comparisons and =~ !~, shifts, '.', + -, * / %,
 * unary, postfix ++ --.  Each level is one function whose first comment is its
 * rule.  No type checking here: that is elaboration's job.
 */
#include "parse.h"

#include <string.h>

AstExpr *parse_expr_new(Parser *p, AstExprKind k, SrcLoc loc) {
  AstExpr *e = ARENA_NEW(p->a, AstExpr);
  e->kind = k;
  e->loc = loc;
  return e;
}

typedef struct OpEntry {
  const char *text;
  AstOp op;
} OpEntry;

static AstOp op_lookup(const Token *t, const OpEntry *tab) {
  if (t->kind != TK_OP) return OP_NONE;
  for (; tab->text; tab++)
    if (tok_is(t, TK_OP, tab->text)) return tab->op;
  return OP_NONE;
}

static const OpEntry assign_ops[] = {
    {"=", OP_ASSIGN},          {"+=", OP_ADD_ASSIGN}, {"-=", OP_SUB_ASSIGN},  {"*=", OP_MUL_ASSIGN},
    {"/=", OP_DIV_ASSIGN},     {"%=", OP_MOD_ASSIGN}, {"<<=", OP_SHL_ASSIGN}, {">>=", OP_SHR_ASSIGN},
    {">>>=", OP_USHR_ASSIGN},  {"&=", OP_AND_ASSIGN}, {"|=", OP_OR_ASSIGN},   {"^=", OP_XOR_ASSIGN},
    {".=", OP_CONCAT_ASSIGN},  {"<<<", OP_AGG},       {NULL, OP_NONE}};
static const OpEntry cmp_ops[] = {{"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT},       {"<=", OP_LE}, {">", OP_GT},
                                  {">=", OP_GE}, {"=~", OP_MATCH}, {"!~", OP_NOMATCH}, {NULL, OP_NONE}};
static const OpEntry or_ops[] = {{"||", OP_LOR}, {NULL, OP_NONE}};
static const OpEntry and_ops[] = {{"&&", OP_LAND}, {NULL, OP_NONE}};
static const OpEntry bor_ops[] = {{"|", OP_BOR}, {NULL, OP_NONE}};
static const OpEntry bxor_ops[] = {{"^", OP_BXOR}, {NULL, OP_NONE}};
static const OpEntry band_ops[] = {{"&", OP_BAND}, {NULL, OP_NONE}};
static const OpEntry concat_ops[] = {{".", OP_CONCAT}, {NULL, OP_NONE}};
static const OpEntry shift_ops[] = {{"<<", OP_SHL}, {">>", OP_SHR}, {">>>", OP_USHR}, {NULL, OP_NONE}};
static const OpEntry add_ops[] = {{"+", OP_ADD}, {"-", OP_SUB}, {NULL, OP_NONE}};
static const OpEntry mul_ops[] = {{"*", OP_MUL}, {"/", OP_DIV}, {"%", OP_MOD}, {NULL, OP_NONE}};

static bool is_lvalue(const AstExpr *e) {
  return e->kind == EX_VAR || e->kind == EX_INDEX || e->kind == EX_TARGET || e->kind == EX_CAST ||
         e->kind == EX_ATVAR;
}

static AstExpr *binary(Parser *p, AstExprKind k, AstOp op, const Token *at, AstExpr *l, AstExpr *r) {
  AstExpr *e = parse_expr_new(p, k, at->loc);
  e->op = op;
  e->lhs = l;
  e->rhs = r;
  return e;
}

static AstExpr *parse_ternary(Parser *p);
static AstExpr *parse_unary(Parser *p);

/* expr := ternary [ assign-op expr ] */
AstExpr *parse_expr(Parser *p) {
  parse_enter(p, parse_peek(p));
  AstExpr *l = parse_ternary(p);
  const Token *t = parse_peek(p);
  AstOp op = op_lookup(t, assign_ops);
  if (op != OP_NONE) {
    if (!is_lvalue(l)) parse_fail(p, t, "expected an lvalue on the left of '%.*s'", (int)t->len, t->text);
    parse_next(p);
    AstExpr *r = parse_expr(p);
    l = binary(p, EX_ASSIGN, op, t, l, r);
  }
  parse_leave(p);
  return l;
}


/* The left-associative binary levels, loosest first.  Level k is
 *   level_k := level_k+1 { op_k level_k+1 }
 * with 'in' and the comparisons (which need their own rules) in between:
 *   or: ||   and: &&   bitor: |   bitxor: ^   bitand: &   (in)   (cmp)
 *   shift: << >> >>>   concat: .   additive: + -   mult: * / %   (unary) */
typedef enum BinLevel { LV_OR, LV_AND, LV_BOR, LV_BXOR, LV_BAND, LV_IN, LV_CMP, LV_SHIFT, LV_CONCAT, LV_ADD, LV_MUL, LV_UNARY } BinLevel;

static const OpEntry *const level_ops[] = {
    [LV_OR] = or_ops,       [LV_AND] = and_ops,       [LV_BOR] = bor_ops, [LV_BXOR] = bxor_ops,
    [LV_BAND] = band_ops,   [LV_SHIFT] = shift_ops,   [LV_CONCAT] = concat_ops,
    [LV_ADD] = add_ops,     [LV_MUL] = mul_ops,
};

static AstExpr *parse_level(Parser *p, BinLevel lv);

/* in := '[' keys ']' 'in' IDENT | cmp [ 'in' IDENT ] */
static AstExpr *parse_in(Parser *p) {
  const Token *t = parse_peek(p);
  AstExpr *e;
  if (tok_is(t, TK_OP, "[")) {
    parse_next(p);
    e = parse_expr_new(p, EX_IN, t->loc);
    e->nargs = parse_index_keys(p, &e->args, true);
    if (!tok_is(parse_peek(p), TK_IDENT, "in")) parse_fail(p, parse_peek(p), "expected 'in' after '[...]'");
  } else {
    AstExpr *k = parse_level(p, LV_CMP);
    if (!tok_is(parse_peek(p), TK_IDENT, "in")) return k;
    e = parse_expr_new(p, EX_IN, parse_peek(p)->loc);
    e->args = arena_alloc(p->a, sizeof(AstExpr *));
    e->args[0] = k;
    e->nargs = 1;
  }
  parse_next(p); /* in */
  e->loc = parse_peek(p)->loc;
  e->name = parse_ident(p, "array name after 'in'");
  return e;
}

/* cmp := shift { ('==' | '!=' | '<' | '<=' | '>' | '>=' | '=~' | '!~') shift } */
static AstExpr *parse_cmp(Parser *p) {
  AstExpr *l = parse_level(p, LV_SHIFT);
  const Token *t;
  int n = 0; /* left-deep nodes made here: each counts as a level of nesting */
  AstOp op;
  while ((op = op_lookup(t = parse_peek(p), cmp_ops)) != OP_NONE) {
    parse_next(p);
    parse_enter(p, t);
    n++;
    AstExpr *r = parse_level(p, LV_SHIFT);
    if (op == OP_MATCH || op == OP_NOMATCH) {
      if (r->kind != EX_STR) parse_fail(p, t, "the right side of '%s' must be a string literal (a regular expression)",
                                        op == OP_MATCH ? "=~" : "!~");
      l = binary(p, EX_REGEX, op, t, l, r);
    } else {
      l = binary(p, EX_BINARY, op, t, l, r);
    }
  }
  p->depth -= n;
  return l;
}

/* level_k := level_k+1 { op_k level_k+1 } (see BinLevel) */
static AstExpr *parse_level(Parser *p, BinLevel lv) {
  if (lv == LV_IN) return parse_in(p);
  if (lv == LV_CMP) return parse_cmp(p);
  if (lv == LV_UNARY) return parse_unary(p);
  AstExpr *l = parse_level(p, lv + 1);
  const Token *t;
  int n = 0; /* left-deep nodes made here: each counts as a level of nesting */
  AstOp op;
  while ((op = op_lookup(t = parse_peek(p), level_ops[lv])) != OP_NONE) {
    parse_next(p);
    parse_enter(p, t);
    n++;
    l = binary(p, EX_BINARY, op, t, l, parse_level(p, lv + 1));
  }
  p->depth -= n;
  return l;
}

/* ternary := or [ '?' expr ':' ternary ] */
static AstExpr *parse_ternary(Parser *p) {
  AstExpr *c = parse_level(p, LV_OR);
  const Token *t = parse_peek(p);
  if (!tok_is(t, TK_OP, "?")) return c;
  parse_next(p);
  AstExpr *e = parse_expr_new(p, EX_TERNARY, t->loc);
  e->cond = c;
  e->lhs = parse_expr(p);
  parse_expect(p, TK_OP, ":", "':' in conditional expression");
  parse_enter(p, t);
  e->rhs = parse_ternary(p);
  parse_leave(p);
  return e;
}



















static AstExpr *parse_postfix(Parser *p);

/* unary := ('-' | '+' | '!' | '~') unary | ('++' | '--') unary | '&' target | postfix */
static AstExpr *parse_unary(Parser *p) {
  const Token *t = parse_peek(p);
  static const OpEntry un_ops[] = {{"-", OP_NEG}, {"+", OP_PLUS}, {"!", OP_NOT}, {"~", OP_BNOT},
                                   {"++", OP_INC}, {"--", OP_DEC}, {NULL, OP_NONE}};
  AstOp op = op_lookup(t, un_ops);
  if (tok_is(t, TK_OP, "&")) {
    parse_next(p);
    AstExpr *e = parse_postfix(p);
    if (e->kind != EX_TARGET && e->kind != EX_CAST && e->kind != EX_ATVAR && e->ncomps == 0 && !e->paren)
      parse_fail(p, t, "'&' applies only to target variables, @cast, @var and '->' member accesses");
    if (e->addr) parse_fail(p, t, "'&' applied twice");
    e->addr = true;
    return e;
  }
  if (op == OP_NONE) return parse_postfix(p);
  parse_next(p);
  /* -NUM is a negative literal, so that -9223372036854775808 is one */
  const Token *n = parse_peek(p);
  if (op == OP_NEG && n->kind == TK_NUM && !n->space_before) {
    parse_next(p);
    AstExpr *e = parse_expr_new(p, EX_NUM, t->loc);
    e->num = (int64_t)(0 - (uint64_t)n->num);
    return e;
  }
  parse_enter(p, t);
  AstExpr *x = parse_unary(p);
  parse_leave(p);
  AstExpr *e;
  if (op == OP_INC || op == OP_DEC) {
    if (!is_lvalue(x)) parse_fail(p, t, "expected an lvalue after '%s'", op == OP_INC ? "++" : "--");
    e = parse_expr_new(p, EX_PREINC, t->loc);
  } else {
    e = parse_expr_new(p, EX_UNARY, t->loc);
  }
  e->op = op;
  e->lhs = x;
  return e;
}

static AstExpr *parse_primary(Parser *p);

static void parse_comps(Parser *p, AstExpr *e);

/* postfix := primary [ comps ] [ '++' | '--' ]
 * comps after a plain variable, call or parenthesised expression are stap's
 * "autocast": the value keeps the type of the @cast it came from. */
static AstExpr *parse_postfix(Parser *p) {
  AstExpr *e = parse_primary(p);
  const Token *t = parse_peek(p);
  bool castable = e->kind == EX_VAR || e->kind == EX_INDEX || e->kind == EX_CALL || e->paren;
  if (castable && e->ncomps == 0 && e->suffix == SFX_NONE &&
      (tok_is(t, TK_OP, "->") || (tok_is(t, TK_OP, "[") && (e->kind != EX_VAR || e->paren)))) {
    parse_comps(p, e);
    t = parse_peek(p);
  }
  if (tok_is(t, TK_OP, "++") || tok_is(t, TK_OP, "--")) {
    if (!is_lvalue(e)) return e; /* "a ++b" style: leave it to the next rule */
    parse_next(p);
    AstExpr *x = parse_expr_new(p, EX_POSTINC, t->loc);
    x->op = tok_is(t, TK_OP, "++") ? OP_INC : OP_DEC;
    x->lhs = e;
    return x;
  }
  return e;
}

int parse_index_keys(Parser *p, AstExpr ***keys, bool wild) {
  PtrVec v = {0};
  const Token *open = &p->t[p->i - 1];
  for (;;) {
    const Token *t = parse_peek(p);
    if (wild && tok_is(t, TK_OP, "*")) {
      parse_next(p);
      ptrvec_push(p->a, &v, NULL);
    } else {
      ptrvec_push(p->a, &v, parse_expr(p));
    }
    if (v.n > 9) parse_fail(p, t, "too many array indexes (at most 9)");
    if (parse_accept(p, TK_OP, ",")) continue;
    if (parse_accept(p, TK_OP, "]")) break;
    parse_fail(p, parse_peek(p), "expected ',' or ']' in array index (to close '[' at line %u)", open->loc.line);
  }
  *keys = (AstExpr **)v.items;
  return v.n;
}

/* Splits a trailing $ or $$ off a name: $var$ -> $var + SFX_PRETTY. */
static const char *split_suffix(Parser *p, const Token *t, AstSuffix *sfx) {
  size_t n = t->len;
  *sfx = SFX_NONE;
  if (n > 2 && t->text[n - 1] == '$' && t->text[n - 2] == '$' && !(n == 3 && t->text[0] == '$')) {
    *sfx = SFX_DEEP;
    n -= 2;
  } else if (n > 1 && t->text[n - 1] == '$' && !(n == 2 && t->text[0] == '$')) {
    *sfx = SFX_PRETTY;
    n -= 1;
  }
  return arena_strndup(p->a, t->text, n);
}

/* comps := { '->' IDENT | '[' expr ']' } [ '$' | '$$' ] */
static void parse_comps(Parser *p, AstExpr *e) {
  PtrVec v = {0};
  for (;;) {
    const Token *t = parse_peek(p);
    if (e->suffix != SFX_NONE) break; /* nothing follows $var$ */
    if (tok_is(t, TK_OP, "->")) {
      parse_next(p);
      const Token *f = parse_peek(p);
      if (f->kind != TK_IDENT) parse_fail(p, f, "expected a field name after '->'");
      parse_next(p);
      AstComp *c = ARENA_NEW(p->a, AstComp);
      c->kind = COMP_FIELD;
      c->loc = f->loc;
      c->field = split_suffix(p, f, &e->suffix);
      ptrvec_push(p->a, &v, c);
    } else if (tok_is(t, TK_OP, "[")) {
      parse_next(p);
      AstComp *c = ARENA_NEW(p->a, AstComp);
      c->kind = COMP_INDEX;
      c->loc = t->loc;
      c->index = parse_expr(p);
      parse_expect(p, TK_OP, "]", "']' after target index");
      ptrvec_push(p->a, &v, c);
    } else {
      break;
    }
  }
  /* $x[0]$ and @cast(...)$$: the suffix as a token of its own */
  const Token *t = parse_peek(p);
  if (e->suffix == SFX_NONE && (tok_is(t, TK_TARGET, "$") || tok_is(t, TK_TARGET, "$$"))) {
    parse_next(p);
    e->suffix = t->len == 1 ? SFX_PRETTY : SFX_DEEP;
  }
  e->ncomps = v.n;
  e->comps = arena_alloc(p->a, sizeof(AstComp) * (size_t)(v.n ? v.n : 1));
  for (int k = 0; k < v.n; k++) e->comps[k] = *(AstComp *)v.items[k];
}

/* A string literal, possibly several glued together ("a" "b"). */
static AstExpr *parse_string(Parser *p) {
  const Token *t = parse_next(p);
  AstExpr *e = parse_expr_new(p, EX_STR, t->loc);
  if (parse_peek(p)->kind != TK_STR) {
    e->str = t->str;
    e->str_len = t->str_len;
    e->raw = t->text;
    return e;
  }
  StrBuf s = {0}, r = {0};
  sb_putn(&s, t->str, t->str_len);
  sb_putn(&r, t->text, t->len);
  while (parse_peek(p)->kind == TK_STR) {
    t = parse_next(p);
    sb_putn(&s, t->str, t->str_len);
    sb_putn(&r, t->text, t->len);
  }
  e->str = arena_strndup(p->a, sb_str(&s), s.len);
  e->str_len = s.len;
  e->raw = arena_strndup(p->a, sb_str(&r), r.len);
  sb_free(&s);
  sb_free(&r);
  return e;
}

AstExpr *parse_literal(Parser *p) {
  const Token *t = parse_peek(p);
  if (t->kind == TK_STR) return parse_string(p);
  if (t->kind == TK_NUM) {
    parse_next(p);
    AstExpr *e = parse_expr_new(p, EX_NUM, t->loc);
    e->num = t->num;
    return e;
  }
  if (tok_is(t, TK_OP, "-") && parse_peek_at(p, 1)->kind == TK_NUM) {
    parse_next(p);
    const Token *n = parse_next(p);
    AstExpr *e = parse_expr_new(p, EX_NUM, t->loc);
    e->num = (int64_t)(0 - (uint64_t)n->num);
    return e;
  }
  parse_fail(p, t, "expected a literal number or string, found %s", tok_describe(p->a, t));
}

/* Arguments of a call or @-operator after '(' : expr { ',' expr } ')'. */
static int parse_args(Parser *p, AstExpr ***out, const Token *open) {
  PtrVec v = {0};
  if (!parse_accept(p, TK_OP, ")")) {
    for (;;) {
      ptrvec_push(p->a, &v, parse_expr(p));
      if (parse_accept(p, TK_OP, ",")) continue;
      if (parse_accept(p, TK_OP, ")")) break;
      parse_fail(p, parse_peek(p), "expected ',' or ')' in argument list (to close '(' at line %u)", open->loc.line);
    }
  }
  *out = (AstExpr **)v.items;
  return v.n;
}

static const char *parse_string_arg(Parser *p, const char *what) {
  if (parse_peek(p)->kind != TK_STR) parse_fail(p, parse_peek(p), "expected a string literal for %s", what);
  return parse_string(p)->str;
}

/* @cast(expr, "type" [, "module"]) comps   @var("name@file" [, "module"]) comps */
static AstExpr *parse_cast_or_var(Parser *p, const Token *at, bool is_cast) {
  AstExpr *e = parse_expr_new(p, is_cast ? EX_CAST : EX_ATVAR, at->loc);
  parse_expect(p, TK_OP, "(", is_cast ? "'(' after @cast" : "'(' after @var");
  if (is_cast) {
    e->lhs = parse_expr(p);
    parse_expect(p, TK_OP, ",", "',' and a type name in @cast");
    e->str = parse_string_arg(p, "the @cast type");
  } else {
    e->str = parse_string_arg(p, "the @var name");
  }
  if (parse_accept(p, TK_OP, ",")) e->module = parse_string_arg(p, "the module");
  parse_expect(p, TK_OP, ")", is_cast ? "')' to close @cast" : "')' to close @var");
  parse_comps(p, e);
  return e;
}

static const struct {
  const char *name;
  AstOp op;
} stat_ops[] = {{"@count", OP_COUNT}, {"@sum", OP_SUM}, {"@min", OP_MIN},           {"@max", OP_MAX},
                {"@avg", OP_AVG},     {"@variance", OP_VARIANCE}, {"@hist_log", OP_HIST_LOG},
                {"@hist_linear", OP_HIST_LINEAR}};

/* at := '@cast' ... | '@var' ... | STATOP '(' args ')'
 *     | ('@hist_log' | '@hist_linear') '(' args ')' [ '[' expr ']' ] | '@defined' ... */
static AstExpr *parse_at(Parser *p) {
  const Token *t = parse_next(p);
  const Token *open;
  if (tok_is(t, TK_AT, "@cast")) return parse_cast_or_var(p, t, true);
  if (tok_is(t, TK_AT, "@var")) return parse_cast_or_var(p, t, false);
  for (size_t k = 0; k < sizeof stat_ops / sizeof stat_ops[0]; k++) {
    if (!tok_is(t, TK_AT, stat_ops[k].name)) continue;
    AstOp op = stat_ops[k].op;
    AstExpr *e = parse_expr_new(p, op == OP_HIST_LOG || op == OP_HIST_LINEAR ? EX_HIST : EX_STATOP, t->loc);
    e->op = op;
    open = parse_expect(p, TK_OP, "(", "'(' after a statistics operator");
    AstExpr **args;
    int n = parse_args(p, &args, open);
    int want = op == OP_HIST_LINEAR ? 4 : 1;
    if (op == OP_VARIANCE && n == 2) want = 2;
    if (n != want)
      parse_fail(p, t, "%.*s takes %d argument%s, %d given", (int)t->len, t->text, want, want == 1 ? "" : "s", n);
    e->lhs = args[0];
    e->args = args + 1;
    e->nargs = n - 1;
    if (e->kind == EX_HIST && parse_accept(p, TK_OP, "[")) { /* one bucket's count (man stap STATISTICS) */
      const Token *at = &p->t[p->i - 1];
      e->rhs = parse_expr(p);
      if (!parse_accept(p, TK_OP, "]"))
        parse_fail(p, parse_peek(p), "']' expected (to close '[' at line %u)", at->loc.line);
    }
    return e;
  }
  if (tok_is(t, TK_AT, "@defined") || tok_is(t, TK_AT, "@entry")) {
    AstExpr *e = parse_expr_new(p, tok_is(t, TK_AT, "@defined") ? EX_DEFINED : EX_ENTRY, t->loc);
    parse_expect(p, TK_OP, "(", "'('");
    e->lhs = parse_expr(p);
    parse_expect(p, TK_OP, ")", "')'");
    return e;
  }
  if (tok_is(t, TK_AT, "@const") || tok_is(t, TK_AT, "@perf")) {
    bool is_const = tok_is(t, TK_AT, "@const");
    AstExpr *e = parse_expr_new(p, is_const ? EX_CONST : EX_PERF, t->loc);
    parse_expect(p, TK_OP, "(", "'('");
    e->str = parse_string_arg(p, is_const ? "the @const name" : "the @perf counter name");
    parse_expect(p, TK_OP, ")", "')'");
    return e;
  }
  if (tok_is(t, TK_AT, "@probewrite")) {
    AstExpr *e = parse_expr_new(p, EX_PROBEWRITE, t->loc);
    parse_expect(p, TK_OP, "(", "'(' after @probewrite");
    e->name = parse_ident(p, "a variable name in @probewrite");
    parse_expect(p, TK_OP, ")", "')' to close @probewrite");
    return e;
  }
  parse_fail(p, t, "unknown macro or @-operator '%.*s'", (int)t->len, t->text);
}

/* primary := NUM | STR {STR} | '(' expr ')' | IDENT [ '(' args ')' | '[' keys ']' ]
 *          | TARGET comps | @-operator | EMBEDDED */
static AstExpr *parse_primary(Parser *p) {
  const Token *t = parse_peek(p);
  switch (t->kind) {
  case TK_NUM:
  case TK_STR: return parse_literal(p);
  case TK_AT: return parse_at(p);
  case TK_EMBEDDED: {
    parse_next(p);
    AstExpr *e = parse_expr_new(p, EX_EMBEDDED, t->loc);
    e->str = t->text;
    return e;
  }
  case TK_TARGET: {
    if (strspn(t->text, "$") == t->len) parse_fail(p, t, "'$' must be followed by a name");
    parse_next(p);
    bool sym = t->len > 2 && t->text[1] == '$';
    AstExpr *e = parse_expr_new(p, sym ? EX_TARGET_SYM : EX_TARGET, t->loc);
    e->name = split_suffix(p, t, &e->suffix);
    if (!sym) parse_comps(p, e); /* $$vars etc. are checked by elaboration, per probe */
    return e;
  }
  case TK_OP:
    if (tok_is(t, TK_OP, "(")) {
      parse_next(p);
      AstExpr *e = parse_expr(p);
      parse_expect(p, TK_OP, ")", "')' to close '('");
      e->paren = true;
      return e;
    }
    break;
  case TK_IDENT: {
    if (parse_is_keyword(t)) break;
    parse_next(p);
    const char *name = arena_strndup(p->a, t->text, t->len);
    const Token *n = parse_peek(p);
    if (tok_is(n, TK_OP, "(")) {
      parse_next(p);
      AstExpr *e = parse_expr_new(p, EX_CALL, t->loc);
      e->name = name;
      e->nargs = parse_args(p, &e->args, n);
      return e;
    }
    if (tok_is(n, TK_OP, "[")) {
      parse_next(p);
      AstExpr *e = parse_expr_new(p, EX_INDEX, t->loc);
      e->name = name;
      e->nargs = parse_index_keys(p, &e->args, false);
      return e;
    }
    AstExpr *e = parse_expr_new(p, EX_VAR, t->loc);
    e->name = name;
    return e;
  }
  default: break;
  }
  parse_fail(p, t, "expected an expression, found %s", tok_describe(p->a, t));
}

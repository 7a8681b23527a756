/* parse.c: the parser's driver, declarations and probe points.
 *
 * file := { 'global' globals | ['private'] 'function' ... | ['private'] 'probe' ...
 *         | EMBEDDED | ';' }
 * A syntax error longjmps back to the declaration loop, which skips to the
 * next declaration keyword, so one run reports an error per broken
 * declaration.  Semantic checks (types, symbols) belong to elaboration.
 */
#include "parse.h"

#include <stdlib.h>
#include <string.h>

static const char *const keywords[] = {"probe", "global",   "function", "private", "if",    "else",
                                       "for",   "foreach",  "in",       "limit",   "while", "break",
                                       "continue", "next",  "return",   "delete",  "try",   "catch"};

bool parse_is_keyword(const Token *t) {
  if (t->kind != TK_IDENT) return false;
  for (size_t k = 0; k < sizeof keywords / sizeof keywords[0]; k++)
    if (tok_is(t, TK_IDENT, keywords[k])) return true;
  return false;
}

const Token *parse_peek(Parser *p) { return &p->t[p->i]; }

const Token *parse_peek_at(Parser *p, int k) { return &p->t[p->i + k < p->n ? p->i + k : p->n - 1]; }

const Token *parse_next(Parser *p) {
  const Token *t = &p->t[p->i];
  if (p->i < p->n - 1) p->i++;
  return t;
}

bool parse_accept(Parser *p, TokKind k, const char *text) {
  if (!tok_is(parse_peek(p), k, text)) return false;
  parse_next(p);
  return true;
}

void parse_fail(Parser *p, const Token *at, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(&p->s->diag, DIAG_ERROR, at->loc, fmt, ap);
  va_end(ap);
  longjmp(p->recover, 1);
}

const Token *parse_expect(Parser *p, TokKind k, const char *text, const char *what) {
  const Token *t = parse_peek(p);
  if (!tok_is(t, k, text)) parse_fail(p, t, "expected %s, found %s", what, tok_describe(p->a, t));
  return parse_next(p);
}

const char *parse_ident(Parser *p, const char *what) {
  const Token *t = parse_peek(p);
  if (t->kind != TK_IDENT || parse_is_keyword(t))
    parse_fail(p, t, "expected %s, found %s%s", what, parse_is_keyword(t) ? "keyword " : "",
               parse_is_keyword(t) ? arena_printf(p->a, "'%.*s'", (int)t->len, t->text) : tok_describe(p->a, t));
  parse_next(p);
  return arena_strndup(p->a, t->text, t->len);
}

void parse_enter(Parser *p, const Token *at) {
  if (++p->depth > PARSE_MAX_DEPTH) parse_fail(p, at, "nesting too deep (more than %d levels)", PARSE_MAX_DEPTH);
}

void parse_leave(Parser *p) { p->depth--; }

/* ---- probe points -----------------------------------------------------------*/

/* One expansion of a probe point: its components and the ?/! marks written
 * inside the braces it came through. */
typedef struct PpSeq {
  PtrVec comps; /* AstPpComp* */
  bool opt, suff;
} PpSeq;

/* A list of alternative sequences (brace expansion yields several). */
typedef struct PpAlts {
  PtrVec seqs; /* PpSeq* */
} PpAlts;

static PpSeq *seq_concat(Parser *p, const PpSeq *a, const PpSeq *b) {
  PpSeq *r = ARENA_NEW(p->a, PpSeq);
  for (int k = 0; k < a->comps.n; k++) ptrvec_push(p->a, &r->comps, a->comps.items[k]);
  for (int k = 0; k < b->comps.n; k++) ptrvec_push(p->a, &r->comps, b->comps.items[k]);
  r->opt = a->opt || b->opt;
  r->suff = a->suff || b->suff;
  return r;
}

/* marks := { '?' | '!' } ; returns whether any was seen */
static bool parse_pp_marks(Parser *p, bool *opt, bool *suff) {
  bool any = false;
  for (;;) {
    if (parse_accept(p, TK_OP, "?")) *opt = true;
    else if (parse_accept(p, TK_OP, "!")) *suff = *opt = true;
    else return any;
    any = true;
  }
}

/* component := NAME-PIECES [ '(' literal ')' ]; NAME-PIECES are identifiers,
 * numbers and '*' written without spaces between them (sys_*, *_read). */
static AstPpComp *parse_pp_comp(Parser *p) {
  const Token *t = parse_peek(p);
  StrBuf b = {0};
  for (;;) {
    const Token *x = parse_peek(p);
    bool piece = x->kind == TK_IDENT || x->kind == TK_NUM || tok_is(x, TK_OP, "*");
    if (!piece || (b.len && x->space_before)) break;
    if (x->kind == TK_IDENT && parse_is_keyword(x) && !b.len && x != t) break;
    sb_putn(&b, x->text, x->len);
    parse_next(p);
  }
  if (!b.len) {
    sb_free(&b);
    parse_fail(p, t, "expected a probe point component, found %s", tok_describe(p->a, t));
  }
  AstPpComp *c = ARENA_NEW(p->a, AstPpComp);
  c->name = arena_strndup(p->a, sb_str(&b), b.len);
  c->loc = t->loc;
  sb_free(&b);
  if (parse_accept(p, TK_OP, "(")) {
    c->arg = parse_literal(p);
    parse_expect(p, TK_OP, ")", "')' after the probe point argument");
  }
  return c;
}

static PpAlts *parse_pp_seq(Parser *p);

/* element := component | '{' seq marks { ',' seq marks } '}' */
static PpAlts *parse_pp_elem(Parser *p) {
  PpAlts *r = ARENA_NEW(p->a, PpAlts);
  const Token *t = parse_peek(p);
  if (tok_is(t, TK_OP, "{")) {
    parse_next(p);
    parse_enter(p, t);
    do {
      PpAlts *x = parse_pp_seq(p);
      bool opt = false, suff = false;
      parse_pp_marks(p, &opt, &suff);
      for (int k = 0; k < x->seqs.n; k++) {
        PpSeq *q = x->seqs.items[k];
        q->opt |= opt;
        q->suff |= suff;
        ptrvec_push(p->a, &r->seqs, q);
      }
    } while (parse_accept(p, TK_OP, ","));
    parse_expect(p, TK_OP, "}", "'}' to close the probe point brace expansion");
    parse_leave(p);
    return r;
  }
  PpSeq *one = ARENA_NEW(p->a, PpSeq);
  ptrvec_push(p->a, &one->comps, parse_pp_comp(p));
  ptrvec_push(p->a, &r->seqs, one);
  return r;
}

/* seq := element { '.' element }, expanded in product order */
static PpAlts *parse_pp_seq(Parser *p) {
  PpAlts *acc = parse_pp_elem(p);
  while (parse_accept(p, TK_OP, ".")) {
    PpAlts *next = parse_pp_elem(p), *r = ARENA_NEW(p->a, PpAlts);
    if ((int64_t)acc->seqs.n * next->seqs.n > 100000) parse_fail(p, parse_peek(p), "probe point brace expansion too large");
    for (int i = 0; i < acc->seqs.n; i++)
      for (int j = 0; j < next->seqs.n; j++) ptrvec_push(p->a, &r->seqs, seq_concat(p, acc->seqs.items[i], next->seqs.items[j]));
    acc = r;
  }
  return acc;
}

/* point := seq marks [ 'if' '(' expr ')' ] ; appends every expansion to out */
static void parse_probe_point(Parser *p, PtrVec *out, bool allow_cond) {
  const Token *t = parse_peek(p);
  PpAlts *alts = parse_pp_seq(p);
  bool opt = false, suff = false;
  parse_pp_marks(p, &opt, &suff);
  AstExpr *cond = NULL;
  if (tok_is(parse_peek(p), TK_IDENT, "if")) {
    if (!allow_cond) parse_fail(p, parse_peek(p), "a probe alias name cannot have a condition");
    parse_next(p);
    const Token *open = parse_expect(p, TK_OP, "(", "'(' after 'if'");
    cond = parse_expr(p);
    if (!parse_accept(p, TK_OP, ")"))
      parse_fail(p, parse_peek(p), "')' expected (to close '(' at line %u)", open->loc.line);
  }
  for (int k = 0; k < alts->seqs.n; k++) {
    PpSeq *seq = alts->seqs.items[k];
    AstProbePoint *pp = ARENA_NEW(p->a, AstProbePoint);
    pp->ncomps = seq->comps.n;
    pp->comps = arena_alloc(p->a, sizeof(AstPpComp) * (size_t)seq->comps.n);
    for (int j = 0; j < seq->comps.n; j++) pp->comps[j] = *(AstPpComp *)seq->comps.items[j];
    pp->optional = opt || seq->opt;
    pp->sufficient = suff || seq->suff;
    pp->cond = cond;
    pp->loc = t->loc;
    ptrvec_push(p->a, out, pp);
  }
}

/* probe := 'probe' point { ',' point } ( block | ('=' | '+=') point { ',' point } block ) */
static void parse_probe(Parser *p, const Token *kw, bool priv) {
  AstProbe *pr = ARENA_NEW(p->a, AstProbe);
  PtrVec pts = {0};
  pr->loc = kw->loc;
  pr->file = p->file;
  pr->is_private = priv;
  do parse_probe_point(p, &pts, true);
  while (parse_accept(p, TK_OP, ","));
  const Token *t = parse_peek(p);
  if (tok_is(t, TK_OP, "=") || tok_is(t, TK_OP, "+=")) {
    parse_next(p);
    for (int k = 0; k < pts.n; k++) {
      AstProbePoint *pp = pts.items[k];
      if (pp->cond || pp->optional) parse_fail(p, t, "a probe alias name cannot be optional or conditional");
    }
    pr->is_alias = true;
    pr->epilogue = tok_is(t, TK_OP, "+=");
    pr->alias_names = (AstProbePoint **)pts.items;
    pr->nalias_names = pts.n;
    pts = (PtrVec){0};
    do parse_probe_point(p, &pts, true);
    while (parse_accept(p, TK_OP, ","));
  } else if (priv) {
    parse_fail(p, kw, "'private' applies only to probe aliases, functions and globals");
  }
  pr->points = (AstProbePoint **)pts.items;
  pr->npoints = pts.n;
  pr->body = parse_block(p);
  if (pr->is_alias && !pr->epilogue && tok_is(parse_peek(p), TK_OP, ",") && tok_is(parse_peek_at(p, 1), TK_OP, "{")) {
    parse_next(p);
    pr->epi_body = parse_block(p);
  }
  ptrvec_push(p->a, pr->is_alias ? &p->file->aliases : &p->file->probes, pr);
}

/* type := 'long' | 'string' ; after ':' */
static AstType parse_type(Parser *p) {
  const Token *t = parse_peek(p);
  if (tok_is(t, TK_IDENT, "long")) {
    parse_next(p);
    return TY_LONG;
  }
  if (tok_is(t, TK_IDENT, "string")) {
    parse_next(p);
    return TY_STRING;
  }
  parse_fail(p, t, "expected a type ('long' or 'string'), found %s", tok_describe(p->a, t));
}

static unsigned embedded_pragmas(const char *code) {
  static const struct {
    const char *text;
    unsigned bit;
  } pr[] = {{"/* pure */", FN_PRAGMA_PURE},
            {"/* unprivileged */", FN_PRAGMA_UNPRIVILEGED},
            {"/* myproc-unprivileged */", FN_PRAGMA_MYPROC_UNPRIVILEGED},
            {"/* guru */", FN_PRAGMA_GURU},
            {"/* unmangled */", FN_PRAGMA_UNMANGLED},
            {"/* string */", FN_PRAGMA_STRING},
            {"/* pragma:read:", FN_PRAGMA_GLOBAL_READ},
            {"/* pragma:write:", FN_PRAGMA_GLOBAL_WRITE},
            {"/* pragma:tagged_dereferences */", FN_PRAGMA_TAGGED_DEREF},
            {"/* pragma:vma */", FN_PRAGMA_VMA},
            {"/* pragma:unwind */", FN_PRAGMA_UNWIND},
            {"/* pragma:symbols */", FN_PRAGMA_SYMBOLS},
            {"/* pragma:lines */", FN_PRAGMA_LINES}};
  unsigned bits = 0;
  for (size_t k = 0; k < sizeof pr / sizeof pr[0]; k++)
    if (strstr(code, pr[k].text)) bits |= pr[k].bit;
  return bits;
}

/* function := 'function' IDENT [':' type] '(' [ param { ',' param } ] ')' [':' NUM]
 *             ( block | EMBEDDED )
 * param := IDENT [':' type]
 * The number is the overload priority (langref 3.4: lower runs first); stap
 * refuses one that is not positive. */
static void parse_function(Parser *p, const Token *kw, bool priv) {
  AstFunc *f = ARENA_NEW(p->a, AstFunc);
  f->loc = parse_peek(p)->loc;
  f->name = parse_ident(p, "function name");
  f->file = p->file;
  f->is_private = priv;
  if (parse_accept(p, TK_OP, ":")) {
    f->ret = parse_type(p);
    f->ret_declared = true;
  }
  const Token *open = parse_expect(p, TK_OP, "(", "'(' after the function name");
  PtrVec ps = {0};
  if (!parse_accept(p, TK_OP, ")")) {
    for (;;) {
      AstParam *a = ARENA_NEW(p->a, AstParam);
      a->loc = parse_peek(p)->loc;
      a->name = parse_ident(p, "parameter name");
      for (int k = 0; k < ps.n; k++)
        if (!strcmp(((AstParam *)ps.items[k])->name, a->name))
          parse_fail(p, &p->t[p->i - 1], "duplicate parameter '%s'", a->name);
      if (parse_accept(p, TK_OP, ":")) a->type = parse_type(p);
      ptrvec_push(p->a, &ps, a);
      if (parse_accept(p, TK_OP, ",")) continue;
      if (parse_accept(p, TK_OP, ")")) break;
      parse_fail(p, parse_peek(p), "expected ',' or ')' in parameter list (to close '(' at line %u)", open->loc.line);
    }
  }
  f->nparams = ps.n;
  f->params = arena_alloc(p->a, sizeof(AstParam) * (size_t)(ps.n ? ps.n : 1));
  for (int k = 0; k < ps.n; k++) f->params[k] = *(AstParam *)ps.items[k];
  if (parse_accept(p, TK_OP, ":")) {
    const Token *n = parse_peek(p);
    if (n->kind != TK_NUM)
      parse_fail(p, n, "expected a priority (a positive number) after ':', found %s", tok_describe(p->a, n));
    if (n->num <= 0) parse_fail(p, n, "a function's priority must be greater than 0");
    parse_next(p);
    f->priority = n->num;
  }
  const Token *b = parse_peek(p);
  if (b->kind == TK_EMBEDDED) {
    parse_next(p);
    f->embedded = true;
    f->body = ARENA_NEW(p->a, AstStmt);
    f->body->kind = ST_EMBEDDED;
    f->body->loc = b->loc;
    f->body->code = b->text;
    f->pragmas = embedded_pragmas(b->text);
  } else {
    f->body = parse_block(p);
  }
  ptrvec_push(p->a, &p->file->funcs, f);
  (void)kw;
}

/* globals := 'global' g { ',' g } ;  g := IDENT ['%'] ['[' NUM ']'] ['%'] ['=' literal] */
static void parse_globals(Parser *p, bool priv) {
  do {
    AstSym *g = ARENA_NEW(p->a, AstSym);
    g->kind = SYM_GLOBAL;
    g->loc = parse_peek(p)->loc;
    g->name = parse_ident(p, "global variable name");
    g->is_private = priv;
    g->file = p->file;
    g->arity = -1;
    if (parse_accept(p, TK_OP, "%")) g->wrap = true;
    if (parse_accept(p, TK_OP, "[")) {
      const Token *n = parse_peek(p);
      if (n->kind != TK_NUM || n->num <= 0) parse_fail(p, n, "expected a positive array size");
      parse_next(p);
      g->maxsize = n->num;
      parse_expect(p, TK_OP, "]", "']' after the array size");
    }
    if (parse_accept(p, TK_OP, "%")) {
      if (g->wrap) parse_fail(p, &p->t[p->i - 1], "'%%' given twice");
      g->wrap = true;
    }
    if (parse_accept(p, TK_OP, "=")) {
      if (g->maxsize || g->wrap) parse_fail(p, &p->t[p->i - 1], "an array cannot have an initial value");
      g->init = parse_literal(p);
    }
    g->index = p->file->globals.n;
    ptrvec_push(p->a, &p->file->globals, g);
  } while (parse_accept(p, TK_OP, ","));
}

/* After an error: skip to the next token that can start a declaration at
 * brace depth 0 (counting from where the broken declaration began). */
static void parse_skip(Parser *p, int depth) {
  while (parse_peek(p)->kind != TK_EOF) {
    const Token *t = parse_peek(p);
    if (tok_is(t, TK_OP, "{")) depth++;
    else if (tok_is(t, TK_OP, "}")) depth--;
    else if (depth <= 0 && (tok_is(t, TK_IDENT, "probe") || tok_is(t, TK_IDENT, "function") ||
                            tok_is(t, TK_IDENT, "global") || tok_is(t, TK_IDENT, "private")))
      return;
    parse_next(p);
  }
}

/* After a syntax error in the declaration that began at token start. */
static void parse_recover(Parser *p, int start) {
  p->depth = 0;
  p->loops = 0;
  /* count the braces the broken declaration opened before the error */
  int depth = 0;
  for (int k = start; k < p->i; k++) {
    if (tok_is(&p->t[k], TK_OP, "{")) depth++;
    else if (tok_is(&p->t[k], TK_OP, "}")) depth--;
  }
  if (p->i == start) parse_next(p);
  parse_skip(p, depth);
}

static void parse_decl(Parser *p) {
  const Token *t = parse_next(p);
  bool priv = false;
  if (tok_is(t, TK_IDENT, "private")) {
    priv = true;
    t = parse_next(p);
  }
  if (tok_is(t, TK_IDENT, "probe")) parse_probe(p, t, priv);
  else if (tok_is(t, TK_IDENT, "function")) parse_function(p, t, priv);
  else if (tok_is(t, TK_IDENT, "global")) parse_globals(p, priv);
  else if (priv && t->kind == TK_IDENT && !parse_is_keyword(t)) { /* 'private NAME' declares a global */
    p->i--;
    parse_globals(p, priv);
  }
  else if (t->kind == TK_EMBEDDED && !priv) {
    AstEmbed *e = ARENA_NEW(p->a, AstEmbed);
    e->code = t->text;
    e->loc = t->loc;
    ptrvec_push(p->a, &p->file->embeds, e);
  } else if (tok_is(t, TK_OP, ";") && !priv) {
  } else {
    parse_fail(p, t, "expected 'probe', 'function' or 'global'%s, found %s", priv ? " after 'private'" : "",
               tok_describe(p->a, t));
  }
}

AstFile *parse_file(FeSession *s, uint32_t src, const TokArray *toks, bool is_tapset) {
  AstFile *f = ARENA_NEW(s->arena, AstFile);
  const SrcFile *sf = srcset_get(&s->src, src);
  f->path = sf->path;
  f->src = src;
  f->is_tapset = is_tapset;
  Parser p = {.s = s, .a = s->arena, .t = toks->t, .n = toks->n, .file = f, .is_tapset = is_tapset};
  int errors = s->diag.nerrors;
  while (parse_peek(&p)->kind != TK_EOF) {
    volatile int start = p.i;
    if (setjmp(p.recover)) {
      parse_recover(&p, start);
      continue;
    }
    parse_decl(&p);
  }
  return s->diag.nerrors > errors ? NULL : f;
}

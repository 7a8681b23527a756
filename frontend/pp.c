/* pp.c: the preprocessor, between lexer and parser.
 *
 * Expands, on token arrays: conditionals %( COND %? A %: B %) (nested, with
 * kernel_v, kernel_vr, arch, runtime, systemtap_v, systemtap_privilege,
 * guru_mode, CONFIG_*, $#, @# and literals, joined by && || ! and ( )),
 * macros (@define NAME(params) %( body %), used as @NAME(args)), and the
 * script arguments $N (pasted and re-lexed), @N (a string), $# and @#.
 * It must not parse the language itself: anything it does not own passes
 * through to the parser unchanged.
 */
#include "fe-int.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#define PP_MAX_DEPTH 64
#define PP_MAX_NEST 500 /* conditionals, macro arguments and condition parentheses within each other */
#define PP_MAX_TOKENS (1024 * 1024) /* a real script (the largest tapset file) is ~50k */
#define STAPJIT_COMPAT_VERSION "4.8" /* the systemtap_v we answer to */

typedef struct PpMacro {
  const char *name;
  const char **params;
  int nparams;
  const Token *body;
  int nbody;
  SrcLoc loc;
} PpMacro;

typedef struct PpFrame {
  const PpMacro *m;
  TokArray *args; /* expanded, one per param */
  struct PpFrame *up;
} PpFrame;

typedef struct Pp {
  FeSession *s;
  TokArray *out;
  PtrVec locals; /* PpMacro* defined in this file */
  bool library;  /* definitions go to s->macros */
  int depth;
  int nest;      /* pp_expand calls active (bounds the C stack) */
  bool overflow; /* output limit or runaway expansion: stop expanding */
} Pp;

static void pp_expand(Pp *pp, const Token *t, int n, PpFrame *fr, TokArray *out);

static bool tok_text_is(const Token *t, const char *s) {
  size_t n = strlen(s);
  return t->len == n && memcmp(t->text, s, n) == 0;
}

static void pp_emit(Pp *pp, TokArray *out, const Token *t) {
  if (out->n >= PP_MAX_TOKENS) {
    if (!pp->overflow) diag_error(&pp->s->diag, t->loc, "preprocessor output exceeds %d tokens", PP_MAX_TOKENS);
    pp->overflow = true;
    return;
  }
  tok_push(pp->s->arena, out, t);
}

/* ---- conditions ----------------------------------------------------------*/

typedef struct PpVal {
  enum { PV_NONE, PV_NUM, PV_STR, PV_VERSION } kind;
  int64_t num;
  const char *str;
} PpVal;

typedef struct CondParser {
  Pp *pp;
  const Token *t;
  int n, i;
  bool failed;
  int depth;        /* '!' and '(' nesting */
  const Token *end; /* the '%?' after the condition: where "found" errors at the end point */
} CondParser;

static const Token *cp_peek(CondParser *c) {
  return c->i < c->n ? &c->t[c->i] : c->end;
}

static void cp_fail(CondParser *c, const Token *t, const char *msg) {
  if (!c->failed) diag_error(&c->pp->s->diag, t->loc, "%s", msg);
  c->failed = true;
}

static const char *kernel_version(const char *release, Arena *a) {
  size_t n = strcspn(release, "-");
  return arena_strndup(a, release, n);
}

static PpVal cp_operand(CondParser *c) {
  const Token *t = cp_peek(c);
  FeOptions *o = &c->pp->s->opt;
  Arena *a = c->pp->s->arena;
  PpVal v = {PV_NONE, 0, NULL};
  c->i++;
  if (t->kind == TK_NUM) return (PpVal){PV_NUM, t->num, NULL};
  if (t->kind == TK_STR) return (PpVal){PV_STR, 0, t->str};
  if (t->kind == TK_OP && tok_text_is(t, "-") && cp_peek(c)->kind == TK_NUM) {
    int64_t x = cp_peek(c)->num;
    c->i++;
    return (PpVal){PV_NUM, (int64_t)(0 - (uint64_t)x), NULL};
  }
  if (t->kind != TK_IDENT) {
    cp_fail(c, t, arena_printf(a, "expected a preprocessor condition, found %s", tok_describe(a, t)));
    return v;
  }
  const char *kr = o->kernel_release ? o->kernel_release : "0";
  if (tok_text_is(t, "kernel_v")) return (PpVal){PV_VERSION, 0, kernel_version(kr, a)};
  if (tok_text_is(t, "kernel_vr")) return (PpVal){PV_VERSION, 0, kr};
  if (tok_text_is(t, "systemtap_v")) return (PpVal){PV_VERSION, 0, STAPJIT_COMPAT_VERSION};
  if (tok_text_is(t, "arch")) return (PpVal){PV_STR, 0, o->arch ? o->arch : ""};
  if (tok_text_is(t, "runtime")) return (PpVal){PV_STR, 0, o->runtime ? o->runtime : "bpf"};
  if (tok_text_is(t, "systemtap_privilege")) return (PpVal){PV_STR, 0, o->privilege ? o->privilege : "stapdev"};
  if (tok_text_is(t, "guru_mode")) return (PpVal){PV_NUM, o->guru, NULL};
  if (t->len > 7 && memcmp(t->text, "CONFIG_", 7) == 0) {
    const char *val = o->kconfig ? o->kconfig(o->kconfig_ctx, t->text) : NULL;
    if (!val) return (PpVal){PV_STR, 0, ""};
    char *end;
    long long x = strtoll(val, &end, 0);
    if (*val && !*end) return (PpVal){PV_NUM, x, val};
    return (PpVal){PV_STR, 0, val};
  }
  cp_fail(c, t,
          arena_printf(a, "unknown preprocessor condition '%.*s' (expected kernel_v, kernel_vr, arch, runtime, "
                          "systemtap_v, systemtap_privilege, guru_mode, CONFIG_*, $# or @#)",
                       (int)t->len, t->text));
  return v;
}

static int cmp_result(int cmp, const char *op) {
  if (!strcmp(op, "==")) return cmp == 0;
  if (!strcmp(op, "!=")) return cmp != 0;
  if (!strcmp(op, "<")) return cmp < 0;
  if (!strcmp(op, "<=")) return cmp <= 0;
  if (!strcmp(op, ">")) return cmp > 0;
  return cmp >= 0;
}

static bool cp_or(CondParser *c);

/* cmp := '(' or ')' | '!' cmp | operand [ OP operand ] */
static bool cp_cmp(CondParser *c) {
  const Token *t = cp_peek(c);
  Arena *a = c->pp->s->arena;
  if (tok_is(t, TK_OP, "!") || tok_is(t, TK_OP, "(")) {
    if (c->depth >= PP_MAX_NEST) {
      cp_fail(c, t, arena_printf(a, "preprocessor condition nested more than %d deep", PP_MAX_NEST));
      return false;
    }
    c->depth++;
    c->i++;
    bool r;
    if (tok_is(t, TK_OP, "!")) {
      r = !cp_cmp(c);
    } else {
      r = cp_or(c);
      if (!tok_is(cp_peek(c), TK_OP, ")")) cp_fail(c, cp_peek(c), "')' expected in preprocessor condition");
      else c->i++;
    }
    c->depth--;
    return r;
  }
  PpVal l = cp_operand(c);
  if (c->failed) return false;
  const Token *op = cp_peek(c);
  static const char *const cmps[] = {"==", "!=", "<", "<=", ">", ">="};
  bool is_cmp = false;
  for (int k = 0; k < 6 && op->kind == TK_OP; k++) is_cmp |= tok_text_is(op, cmps[k]);
  if (!is_cmp) {
    if (l.kind == PV_NUM) return l.num != 0; /* a bare number is its truth */
    cp_fail(c, op, arena_printf(a, "expected a comparison operator, found %s", tok_describe(a, op)));
    return false;
  }
  c->i++;
  const char *ops = arena_strndup(a, op->text, op->len);
  const Token *rt = cp_peek(c);
  PpVal r = cp_operand(c);
  if (c->failed) return false;
  if (l.kind == PV_VERSION || r.kind == PV_VERSION) {
    const char *ls = l.kind == PV_NUM ? arena_printf(a, "%lld", (long long)l.num) : l.str;
    const char *rs = r.kind == PV_NUM ? arena_printf(a, "%lld", (long long)r.num) : r.str;
    if ((!strcmp(ops, "==") || !strcmp(ops, "!=")) && (strpbrk(rs, "*?[")))
      return (fnmatch(rs, ls, 0) == 0) == !strcmp(ops, "==");
    return cmp_result(strverscmp(ls, rs), ops);
  }
  if (l.kind == PV_NUM && r.kind == PV_NUM) return cmp_result(l.num < r.num ? -1 : l.num > r.num, ops);
  if (l.kind == PV_STR && r.kind == PV_STR) {
    if ((!strcmp(ops, "==") || !strcmp(ops, "!=")) && strpbrk(r.str, "*?["))
      return (fnmatch(r.str, l.str, 0) == 0) == !strcmp(ops, "==");
    return cmp_result(strcmp(l.str, r.str), ops);
  }
  if (l.kind == PV_NUM && r.kind == PV_STR && l.str) /* CONFIG_X == "42" */
    return cmp_result(strcmp(l.str, r.str), ops);
  cp_fail(c, rt, "preprocessor comparison between a number and a string");
  return false;
}

static bool cp_and(CondParser *c) {
  bool r = cp_cmp(c);
  while (!c->failed && tok_is(cp_peek(c), TK_OP, "&&")) {
    c->i++;
    bool x = cp_cmp(c);
    r = r && x;
  }
  return r;
}

static bool cp_or(CondParser *c) {
  bool r = cp_and(c);
  while (!c->failed && tok_is(cp_peek(c), TK_OP, "||")) {
    c->i++;
    bool x = cp_and(c);
    r = r || x;
  }
  return r;
}

static bool pp_eval(Pp *pp, const Token *t, int n, PpFrame *fr, SrcLoc at, const Token *then) {
  TokArray x = {0};
  pp_expand(pp, t, n, fr, &x);
  CondParser c = {pp, x.t, x.n, 0, false, 0, then};
  if (x.n == 0) {
    diag_error(&pp->s->diag, at, "empty preprocessor condition");
    return false;
  }
  bool r = cp_or(&c);
  if (!c.failed && c.i < c.n) cp_fail(&c, &c.t[c.i], "unexpected token after preprocessor condition");
  return c.failed ? false : r;
}

/* ---- conditionals ---------------------------------------------------------*/

/* At t[i] == %(: finds %?, %: and %) at this nesting; returns false if
 * incomplete.  then_at, else_at, end_at are indices (else_at -1 if none). */
static bool pp_match(Pp *pp, const Token *t, int n, int i, int *then_at, int *else_at, int *end_at) {
  int depth = 0;
  *then_at = *else_at = *end_at = -1;
  for (int k = i + 1; k < n; k++) {
    TokKind kd = t[k].kind;
    if (kd == TK_PP_IF) depth++;
    else if (kd == TK_PP_END && depth > 0) depth--;
    else if (depth == 0 && kd == TK_PP_THEN && *then_at < 0) *then_at = k;
    else if (depth == 0 && kd == TK_PP_ELSE && *then_at >= 0 && *else_at < 0) *else_at = k;
    else if (depth == 0 && kd == TK_PP_END) {
      *end_at = k;
      break;
    }
  }
  if (*end_at < 0 || *then_at < 0) {
    diag_error(&pp->s->diag, t[i].loc, "incomplete conditional: '%%(' without matching %s",
               *then_at < 0 ? "'%?'" : "'%)'");
    return false;
  }
  return true;
}

/* ---- macros ---------------------------------------------------------------*/

static const PpMacro *pp_find(Pp *pp, const char *name, size_t len) {
  for (int k = pp->locals.n - 1; k >= 0; k--) {
    const PpMacro *m = pp->locals.items[k];
    if (strlen(m->name) == len && !memcmp(m->name, name, len)) return m;
  }
  for (int k = pp->s->macros.n - 1; k >= 0; k--) {
    const PpMacro *m = pp->s->macros.items[k];
    if (strlen(m->name) == len && !memcmp(m->name, name, len)) return m;
  }
  return NULL;
}

/* @define NAME [(p, ...)] %( body %)  at t[i]; returns the index after it. */
static int pp_define(Pp *pp, const Token *t, int n, int i) {
  Arena *a = pp->s->arena;
  SrcLoc at = t[i].loc;
  int k = i + 1;
  if (k >= n || t[k].kind != TK_IDENT) {
    diag_error(&pp->s->diag, k < n ? t[k].loc : at, "expected a macro name after @define");
    return k;
  }
  PpMacro *m = ARENA_NEW(a, PpMacro);
  m->name = arena_strndup(a, t[k].text, t[k].len);
  m->loc = t[k].loc;
  k++;
  if (k < n && tok_is(&t[k], TK_OP, "(")) {
    PtrVec ps = {0};
    k++;
    while (k < n && !tok_is(&t[k], TK_OP, ")")) {
      if (t[k].kind != TK_IDENT) {
        diag_error(&pp->s->diag, t[k].loc, "expected a macro parameter name, found %s", tok_describe(a, &t[k]));
        return k + 1;
      }
      ptrvec_push(a, &ps, arena_strndup(a, t[k].text, t[k].len));
      k++;
      if (k < n && tok_is(&t[k], TK_OP, ",")) k++;
      else if (k < n && !tok_is(&t[k], TK_OP, ")")) {
        diag_error(&pp->s->diag, t[k].loc, "expected ',' or ')' in @define parameters");
        return k + 1;
      }
    }
    k++;
    m->params = (const char **)ps.items;
    m->nparams = ps.n;
  }
  if (k >= n || t[k].kind != TK_PP_IF) {
    diag_error(&pp->s->diag, k < n ? t[k].loc : at, "expected '%%(' to open the body of macro '%s'", m->name);
    return k;
  }
  int depth = 0, start = k + 1, j;
  for (j = start; j < n; j++) {
    if (t[j].kind == TK_PP_IF) depth++;
    else if (t[j].kind == TK_PP_END && depth-- == 0) break;
  }
  if (j >= n) {
    diag_error(&pp->s->diag, t[k].loc, "unterminated body of macro '%s' ('%%)' expected)", m->name);
    return n;
  }
  m->body = &t[start];
  m->nbody = j - start;
  ptrvec_push(a, pp->library ? &pp->s->macros : &pp->locals, m);
  return j + 1;
}

/* Expands a macro use at t[i] (an @NAME token); returns the next index. */
static int pp_invoke(Pp *pp, const PpMacro *m, const Token *t, int n, int i, PpFrame *fr, TokArray *out) {
  Arena *a = pp->s->arena;
  int k = i + 1;
  TokArray *args = NULL;
  if (m->nparams > 0) {
    if (k >= n || !tok_is(&t[k], TK_OP, "(")) {
      diag_error(&pp->s->diag, t[i].loc, "macro '@%s' takes %d argument%s; '(' expected", m->name, m->nparams,
                 m->nparams == 1 ? "" : "s");
      return k;
    }
    args = arena_alloc(a, sizeof(TokArray) * (size_t)m->nparams);
    int depth = 0, argi = 0, start = ++k;
    for (; k < n; k++) {
      const Token *x = &t[k];
      if (x->kind == TK_OP && (tok_text_is(x, "(") || tok_text_is(x, "[") || tok_text_is(x, "{"))) depth++;
      else if (x->kind == TK_OP && depth > 0 && (tok_text_is(x, ")") || tok_text_is(x, "]") || tok_text_is(x, "}")))
        depth--;
      else if (depth == 0 && x->kind == TK_OP && (tok_text_is(x, ",") || tok_text_is(x, ")"))) {
        if (argi < m->nparams) pp_expand(pp, &t[start], k - start, fr, &args[argi]);
        argi++;
        start = k + 1;
        if (tok_text_is(x, ")")) break;
      }
    }
    if (k >= n) {
      diag_error(&pp->s->diag, t[i].loc, "unterminated arguments of macro '@%s'", m->name);
      return n;
    }
    k++;
    if (argi != m->nparams) {
      diag_error(&pp->s->diag, t[i].loc, "macro '@%s' takes %d argument%s, %d given", m->name, m->nparams,
                 m->nparams == 1 ? "" : "s", argi);
      return k;
    }
  }
  if (pp->depth >= PP_MAX_DEPTH) {
    diag_error(&pp->s->diag, t[i].loc, "macro expansion nested more than %d deep (recursive @define '%s'?)",
               PP_MAX_DEPTH, m->name);
    pp->overflow = true; /* stop: a macro using itself twice would otherwise expand 2^64 times */
    return k;
  }
  PpFrame f = {m, args, fr};
  pp->depth++;
  pp_expand(pp, m->body, m->nbody, &f, out);
  pp->depth--;
  return k;
}

/* $N, @N, $#, @# at t; returns false if t is not one. */
static bool pp_argument(Pp *pp, const Token *t, TokArray *out) {
  const char *p = t->text + 1;
  FeSession *s = pp->s;
  if (*p == '#') { /* $# is a number, @# the same as a string (as stap's) */
    Token x = {.kind = t->kind == TK_AT ? TK_STR : TK_NUM, .num = s->opt.nargs, .loc = t->loc,
               .space_before = t->space_before};
    x.text = arena_printf(s->arena, "%d", s->opt.nargs);
    x.len = strlen(x.text);
    x.str = x.text;
    x.str_len = x.len;
    pp_emit(pp, out, &x);
    return true;
  }
  if (*p < '0' || *p > '9') return false;
  for (const char *q = p; *q; q++)
    if (*q < '0' || *q > '9') return false;
  long idx = strtol(p, NULL, 10);
  if (idx < 1 || idx > s->opt.nargs) {
    diag_error(&s->diag, t->loc, "command line argument index %ld out of range [1-%d]", idx, s->opt.nargs);
    return true;
  }
  const char *arg = s->opt.args[idx - 1];
  if (t->kind == TK_AT) {
    Token x = {.kind = TK_STR, .loc = t->loc, .space_before = t->space_before};
    x.str = arg;
    x.str_len = strlen(arg);
    x.text = lex_escape(s->arena, arg, x.str_len);
    x.len = strlen(x.text);
    pp_emit(pp, out, &x);
  } else {
    TokArray x = {0};
    lex_string(s, arg, strlen(arg), t->loc, &x);
    for (int k = 0; k < x.n && x.t[k].kind != TK_EOF; k++) pp_emit(pp, out, &x.t[k]);
  }
  return true;
}

static void pp_expand1(Pp *pp, const Token *t, int n, PpFrame *fr, TokArray *out);

/* Expands t[0..n) into out: pp_expand1 with a bound on nesting. */
static void pp_expand(Pp *pp, const Token *t, int n, PpFrame *fr, TokArray *out) {
  if (n <= 0 || pp->overflow) return;
  if (pp->nest >= PP_MAX_NEST) {
    diag_error(&pp->s->diag, t[0].loc, "preprocessor constructs nested more than %d deep", PP_MAX_NEST);
    pp->overflow = true;
    return;
  }
  pp->nest++;
  pp_expand1(pp, t, n, fr, out);
  pp->nest--;
}

static void pp_expand1(Pp *pp, const Token *t, int n, PpFrame *fr, TokArray *out) {
  FeSession *s = pp->s;
  for (int i = 0; i < n && !pp->overflow;) {
    const Token *x = &t[i];
    switch (x->kind) {
    case TK_PP_IF: {
      int th, el, en;
      if (!pp_match(pp, t, n, i, &th, &el, &en)) return;
      bool c = pp_eval(pp, &t[i + 1], th - i - 1, fr, x->loc, &t[th]);
      if (c) pp_expand(pp, &t[th + 1], (el >= 0 ? el : en) - th - 1, fr, out);
      else if (el >= 0) pp_expand(pp, &t[el + 1], en - el - 1, fr, out);
      i = en + 1;
      continue;
    }
    case TK_PP_THEN:
    case TK_PP_ELSE:
    case TK_PP_END:
      diag_error(&s->diag, x->loc, "%s without a matching '%%('", tok_describe(s->arena, x));
      i++;
      continue;
    case TK_AT: {
      if (tok_text_is(x, "@define")) {
        i = pp_define(pp, t, n, i);
        continue;
      }
      const char *name = x->text + 1;
      size_t len = x->len - 1;
      if (fr) {
        int k;
        for (k = 0; k < fr->m->nparams; k++)
          if (strlen(fr->m->params[k]) == len && !memcmp(fr->m->params[k], name, len)) break;
        if (k < fr->m->nparams) {
          for (int j = 0; j < fr->args[k].n; j++) pp_emit(pp, out, &fr->args[k].t[j]);
          i++;
          continue;
        }
      }
      const PpMacro *m = pp_find(pp, name, len);
      if (m) {
        i = pp_invoke(pp, m, t, n, i, fr, out);
        continue;
      }
      if (!pp_argument(pp, x, out)) pp_emit(pp, out, x);
      i++;
      continue;
    }
    case TK_TARGET:
      if (!pp_argument(pp, x, out)) pp_emit(pp, out, x);
      i++;
      continue;
    default:
      pp_emit(pp, out, x);
      i++;
    }
  }
}

void pp_run(FeSession *s, const TokArray *in, TokArray *out, bool is_tapset) {
  Pp pp = {.s = s, .out = out};
  (void)is_tapset;
  int n = in->n;
  if (n > 0 && in->t[n - 1].kind == TK_EOF) n--; /* re-added below */
  pp_expand(&pp, in->t, n, NULL, out);
  Token eof = in->n ? in->t[in->n - 1] : (Token){.kind = TK_EOF, .text = ""};
  eof.kind = TK_EOF;
  tok_push(s->arena, out, &eof);
}

void pp_collect_macros(FeSession *s, const TokArray *in) {
  Pp pp = {.s = s, .library = true};
  TokArray out = {0};
  int n = in->n;
  if (n > 0 && in->t[n - 1].kind == TK_EOF) n--;
  pp_expand(&pp, in->t, n, NULL, &out);
  if (out.n > 0)
    diag_error(&s->diag, out.t[0].loc, "a macro library file may hold only @define, found %s",
               tok_describe(s->arena, &out.t[0]));
}

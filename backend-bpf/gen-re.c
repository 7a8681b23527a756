/* gen-re.c: regular expressions in kernel probes (=~, !~, matched(0),
 * matched_str(), ngroups()).
 *
 * The host matches with the C library's POSIX extended regexes in the C
 * locale (runtime/builtins.c).  Here each pattern is compiled at compile
 * time, by a parser of that same syntax, to a DFA over bytes plus two
 * symbols for the string's start and end (what ^ and $ consume); its tables
 * go to .rodata and a bpf_loop callback walks the subject one byte per call.
 * =~ runs the search DFA (the pattern behind a loop that skips anything).
 * When the handler reads the match (matched, ngroups), a successful =~ also
 * finds stap's whole match, POSIX's leftmost-longest: for each start, left
 * to right, the anchored DFA's last accepting position.  Subexpressions
 * are not tracked: matched(n) for n > 0 of a pattern with groups is
 * refused at compile time, as are the GNU extensions (\w, \b, \1 ...) and
 * a pattern whose DFA would pass MAX_DSTATES states.
 */
#include "gen-fn.h"

#include <ctype.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

enum { NSYM = 258, SYM_BOS = 256, SYM_EOS = 257, MAX_NSTATES = 4096, MAX_DSTATES = 512, MAX_REPEAT = 64 };

/* ---- syntax ------------------------------------------------------------------------------------ */

typedef enum { RN_SET, RN_CAT, RN_ALT, RN_REP, RN_EMPTY } RnKind;

typedef struct Rn {
  RnKind kind;
  uint64_t set[5]; /* RN_SET: symbols 0..257 */
  struct Rn *a, *b;
  int min, max;    /* RN_REP: max -1 = unbounded */
} Rn;

typedef struct Parse {
  const char *p, *end;
  int nsub;
  const char *err;
  Rn *nodes;
  int nnodes, cap;
} Parse;

static Rn *node(Parse *ps, RnKind k) {
  if (ps->nnodes == ps->cap) {
    ps->err = "regular expression too big for a kernel probe";
    return NULL;
  }
  Rn *n = &ps->nodes[ps->nnodes++];
  memset(n, 0, sizeof *n);
  n->kind = k;
  return n;
}

static void set_add(Rn *n, int c) { n->set[c >> 6] |= 1ull << (c & 63); }

static Rn *regex(Parse *ps);

/* [...]: a bracket expression, C locale */
static Rn *bracket(Parse *ps) {
  Rn *n = node(ps, RN_SET);
  if (!n) return NULL;
  bool neg = false, first = true;
  if (ps->p < ps->end && *ps->p == '^') neg = true, ps->p++;
  bool in[256] = {0};
  while (ps->p < ps->end && (first || *ps->p != ']')) {
    first = false;
    int lo = (unsigned char)*ps->p;
    if (lo == '[' && ps->p + 1 < ps->end && ps->p[1] == ':') {
      static const struct {
        const char *name;
        int (*fn)(int);
      } cls[] = {{"alpha", isalpha}, {"digit", isdigit}, {"alnum", isalnum}, {"upper", isupper},
                 {"lower", islower}, {"space", isspace}, {"blank", isblank}, {"punct", ispunct},
                 {"print", isprint}, {"graph", isgraph}, {"cntrl", iscntrl}, {"xdigit", isxdigit}};
      const char *e = strstr(ps->p + 2, ":]");
      bool found = false;
      for (size_t k = 0; e && k < sizeof cls / sizeof *cls; k++)
        if ((size_t)(e - ps->p - 2) == strlen(cls[k].name) && !strncmp(ps->p + 2, cls[k].name, strlen(cls[k].name))) {
          for (int c = 1; c < 256; c++)
            if (cls[k].fn(c)) in[c] = true;
          found = true;
        }
      if (!found) {
        ps->err = "a bracket class this backend does not know";
        return NULL;
      }
      ps->p = e + 2;
      continue;
    }
    if (lo == '[' && ps->p + 1 < ps->end && (ps->p[1] == '=' || ps->p[1] == '.')) {
      ps->err = "collating elements and equivalence classes ([= =], [. .])";
      return NULL;
    }
    ps->p++;
    int hi = lo;
    if (ps->p + 1 < ps->end && *ps->p == '-' && ps->p[1] != ']') {
      hi = (unsigned char)ps->p[1];
      ps->p += 2;
      if (hi < lo) {
        ps->err = "an invalid range end";
        return NULL;
      }
    }
    for (int c = lo; c <= hi; c++) in[c] = true;
  }
  if (ps->p >= ps->end) {
    ps->err = "an unmatched [";
    return NULL;
  }
  ps->p++; /* ] */
  for (int c = 1; c < 256; c++)
    if (in[c] != neg) set_add(n, c);
  return n;
}

/* atom := ( regex ) | . | ^ | $ | [..] | \c | c */
static Rn *atom(Parse *ps) {
  char c = *ps->p++;
  Rn *n;
  switch (c) {
  case '(':
    ps->nsub++;
    n = ps->p < ps->end && *ps->p == ')' ? node(ps, RN_EMPTY) : regex(ps);
    if (!n) return NULL;
    if (ps->p >= ps->end || *ps->p != ')') {
      ps->err = "an unmatched (";
      return NULL;
    }
    ps->p++;
    return n;
  case '.':
    if (!(n = node(ps, RN_SET))) return NULL;
    for (int k = 1; k < 256; k++) set_add(n, k);
    return n;
  case '^':
  case '$':
    if (!(n = node(ps, RN_SET))) return NULL;
    set_add(n, c == '^' ? SYM_BOS : SYM_EOS);
    return n;
  case '[': return bracket(ps);
  case '\\':
    if (ps->p >= ps->end) {
      ps->err = "a trailing backslash";
      return NULL;
    }
    c = *ps->p++;
    if (isalnum((unsigned char)c)) {
      ps->err = "backslash escapes of letters and digits (GNU's \\w, \\b, \\1 ...)";
      return NULL;
    }
    break;
  case '*':
  case '+':
  case '?':
  case '{':
    ps->err = "a repetition with nothing to repeat, or a literal '{'";
    return NULL;
  default: break;
  }
  if (!(n = node(ps, RN_SET))) return NULL;
  set_add(n, (unsigned char)c);
  return n;
}

static int number(Parse *ps) {
  int v = -1;
  while (ps->p < ps->end && isdigit((unsigned char)*ps->p)) v = (v < 0 ? 0 : v * 10) + (*ps->p++ - '0');
  return v;
}

/* piece := atom { * | + | ? | {m} | {m,} | {m,n} } */
static Rn *piece(Parse *ps) {
  Rn *n = atom(ps);
  while (n && ps->p < ps->end && strchr("*+?{", *ps->p)) {
    Rn *r = node(ps, RN_REP);
    if (!r) return NULL;
    r->a = n;
    char q = *ps->p++;
    r->min = q == '+' ? 1 : 0;
    r->max = q == '?' ? 1 : -1;
    if (q == '{') {
      r->min = number(ps);
      r->max = r->min;
      if (ps->p < ps->end && *ps->p == ',') ps->p++, r->max = number(ps);
      if (r->min < 0 || ps->p >= ps->end || *ps->p != '}' || (r->max >= 0 && r->max < r->min) ||
          r->min > MAX_REPEAT || r->max > MAX_REPEAT) {
        ps->err = "an interval {m,n} this backend does not take";
        return NULL;
      }
      ps->p++;
    }
    n = r;
  }
  return n;
}

static Rn *cat(Parse *ps, Rn *a, Rn *b) {
  if (!a) return b;
  Rn *n = node(ps, RN_CAT);
  if (n) n->a = a, n->b = b;
  return n;
}

/* regex := branch { | branch }; branch := piece* */
static Rn *regex(Parse *ps) {
  Rn *alt = NULL;
  for (;;) {
    Rn *br = NULL;
    while (ps->p < ps->end && *ps->p != '|' && *ps->p != ')' && !ps->err) {
      Rn *pc = piece(ps);
      if (!pc) return NULL;
      br = cat(ps, br, pc);
    }
    if (ps->err) return NULL;
    if (!br && !(br = node(ps, RN_EMPTY))) return NULL;
    if (alt) {
      Rn *n = node(ps, RN_ALT);
      if (!n) return NULL;
      n->a = alt, n->b = br;
      alt = n;
    } else {
      alt = br;
    }
    if (ps->p < ps->end && *ps->p == '|') {
      ps->p++;
      continue;
    }
    return alt;
  }
}

/* ---- automata ------------------------------------------------------------------------------------ */

typedef struct Nfa {
  int n;
  int *e1, *e2; /* epsilon edges, -1 none */
  int *set;     /* index of the symbol set of the state's one edge, -1 none */
  int *to;      /* that edge's target */
  const Rn **sets;
  int nsets;
  bool failed;
} Nfa;

static int nstate(Nfa *a) {
  if (a->n >= MAX_NSTATES) {
    a->failed = true;
    return 0;
  }
  int s = a->n++;
  a->e1[s] = a->e2[s] = a->set[s] = a->to[s] = -1;
  return s;
}

/* Thompson: the fragment of r from state *in to a new end state. */
static int build(Nfa *a, const Rn *r, int in) {
  switch (r->kind) {
  case RN_EMPTY: return in;
  case RN_SET: {
    int out = nstate(a);
    if (a->failed) return 0;
    a->set[in] = a->nsets;
    a->sets[a->nsets++] = r;
    a->to[in] = out;
    int next = nstate(a);
    a->e1[out] = next;
    return next;
  }
  case RN_CAT: return build(a, r->b, build(a, r->a, in));
  case RN_ALT: {
    int l = nstate(a), rr = nstate(a), end = nstate(a);
    if (a->failed) return 0;
    a->e1[in] = l, a->e2[in] = rr;
    int le = build(a, r->a, l), re = build(a, r->b, rr);
    if (a->failed) return 0;
    a->e1[le] = end, a->e1[re] = end;
    return end;
  }
  case RN_REP: {
    int cur = in;
    for (int k = 0; k < r->min && !a->failed; k++) {
      int next = nstate(a);
      a->e1[cur] = next;
      cur = build(a, r->a, next);
    }
    if (r->max < 0) { /* then (a)* */
      int loop = nstate(a), end = nstate(a);
      if (a->failed) return 0;
      a->e1[cur] = loop;
      a->e1[loop] = end;
      int body = nstate(a);
      a->e2[loop] = body;
      int be = build(a, r->a, body);
      if (a->failed) return 0;
      a->e1[be] = loop;
      return end;
    }
    for (int k = r->min; k < r->max && !a->failed; k++) { /* then (a)? each */
      int end = nstate(a), body = nstate(a);
      a->e1[cur] = body, a->e2[cur] = end;
      int be = build(a, r->a, body);
      if (a->failed) return 0;
      a->e1[be] = end;
      cur = end;
    }
    return cur;
  }
  }
  return in;
}

static bool has_sym(const Rn *s, int c) { return (s->set[c >> 6] >> (c & 63)) & 1; }

typedef struct Dfa {
  int nstates, ncls;
  uint8_t cls[NSYM];
  uint16_t *next; /* nstates * ncls; state 0: dead, 1: start */
  uint8_t *accept;
} Dfa;

static void closure(const Nfa *a, uint8_t *set, int *stack) {
  int sp = 0;
  for (int s = 0; s < a->n; s++)
    if (set[s]) stack[sp++] = s;
  while (sp) {
    int s = stack[--sp];
    int e[2] = {a->e1[s], a->e2[s]};
    for (int k = 0; k < 2; k++)
      if (e[k] >= 0 && !set[e[k]]) set[e[k]] = 1, stack[sp++] = e[k];
  }
}

/* The DFA of pattern (anchored, or searched: behind a loop over any symbol
 * but the end); NULL with *err set. */
static Dfa *re_dfa(const char *pattern, bool search, int *nsub, const char **err) {
  Parse ps = {pattern, pattern + strlen(pattern), 0, NULL, NULL, 0, 4096};
  ps.nodes = calloc((size_t)ps.cap, sizeof *ps.nodes);
  Nfa a = {0};
  a.e1 = malloc(sizeof(int) * MAX_NSTATES), a.e2 = malloc(sizeof(int) * MAX_NSTATES);
  a.set = malloc(sizeof(int) * MAX_NSTATES), a.to = malloc(sizeof(int) * MAX_NSTATES);
  a.sets = malloc(sizeof(Rn *) * MAX_NSTATES);
  Dfa *d = calloc(1, sizeof *d);
  uint8_t *sets = NULL;
  int *stack = NULL;
  Rn anyrn;
  memset(&anyrn, 0, sizeof anyrn);
  if (!ps.nodes || !a.e1 || !a.e2 || !a.set || !a.to || !a.sets || !d) {
    *err = "out of memory";
    goto fail;
  }
  Rn *r = regex(&ps);
  if (r && ps.p != ps.end) ps.err = "an unmatched )";
  if (!r || ps.err) {
    *err = ps.err ? ps.err : "a syntax this backend does not take";
    goto fail;
  }
  *nsub = ps.nsub;
  /* The start skips what cannot begin a match: the start symbol, which ^
   * alone consumes (a zero-width assertion), and for a search any byte. */
  int start = nstate(&a), skip = nstate(&a), in = nstate(&a);
  anyrn.kind = RN_SET;
  for (int c = search ? 1 : SYM_BOS; c <= SYM_BOS; c++) set_add(&anyrn, c);
  a.e1[start] = skip, a.e2[start] = in;
  a.set[skip] = a.nsets, a.sets[a.nsets++] = &anyrn, a.to[skip] = search ? start : in;
  int acc = build(&a, r, in);
  if (a.failed) {
    *err = "a pattern too big for a kernel probe";
    goto fail;
  }
  /* symbol classes: symbols with the same membership in every set */
  int rep[NSYM];
  d->ncls = 0;
  for (int c = 0; c < NSYM; c++) {
    int k;
    for (k = 0; k < d->ncls; k++) {
      bool same = true;
      for (int s = 0; s < a.nsets && same; s++) same = has_sym(a.sets[s], c) == has_sym(a.sets[s], rep[k]);
      if (same) break;
    }
    if (k == d->ncls) rep[d->ncls++] = c;
    d->cls[c] = (uint8_t)k;
  }
  /* subset construction */
  sets = calloc((size_t)MAX_DSTATES, (size_t)a.n);
  stack = malloc(sizeof(int) * (size_t)a.n);
  d->next = calloc((size_t)MAX_DSTATES * (size_t)d->ncls, sizeof *d->next);
  d->accept = calloc(MAX_DSTATES, 1);
  if (!sets || !stack || !d->next || !d->accept) {
    *err = "out of memory";
    goto fail;
  }
  d->nstates = 2; /* 0: the empty set (dead) */
  sets[(size_t)a.n + (size_t)start] = 1;
  closure(&a, sets + a.n, stack);
  for (int ds = 1; ds < d->nstates; ds++) {
    uint8_t *cur = sets + (size_t)ds * (size_t)a.n;
    d->accept[ds] = cur[acc];
    for (int k = 0; k < d->ncls; k++) {
      uint8_t *nx = sets; /* slot 0 as scratch until placed */
      memset(nx, 0, (size_t)a.n);
      bool any = false;
      for (int s = 0; s < a.n; s++)
        if (cur[s] && a.set[s] >= 0 && has_sym(a.sets[a.set[s]], rep[k])) nx[a.to[s]] = 1, any = true;
      if (!any) continue; /* dead */
      closure(&a, nx, stack);
      int t;
      for (t = 1; t < d->nstates; t++)
        if (!memcmp(sets + (size_t)t * (size_t)a.n, nx, (size_t)a.n)) break;
      if (t == d->nstates) {
        if (d->nstates == MAX_DSTATES) {
          *err = "a pattern whose automaton is too big for a kernel probe";
          goto fail;
        }
        memcpy(sets + (size_t)t * (size_t)a.n, nx, (size_t)a.n);
        d->nstates++;
      }
      d->next[ds * d->ncls + k] = (uint16_t)t;
    }
  }
  free(sets), free(stack), free(ps.nodes), free(a.e1), free(a.e2), free(a.set), free(a.to), free(a.sets);
  return d;
fail:
  free(sets), free(stack), free(ps.nodes), free(a.e1), free(a.e2), free(a.set), free(a.to), free(a.sets);
  if (d) free(d->next), free(d->accept), free(d);
  return NULL;
}

/* ---- code ------------------------------------------------------------------------------------------ */

typedef struct Tables {
  LLVMValueRef cls, next, accept; /* .rodata: u8[256], u16[nstates*ncls], u8[nstates] */
  int nstates, ncls, bos, eos;
} Tables;

static LLVMValueRef rodata(Gen *g, const void *bytes, size_t n) {
  LLVMTypeRef t = LLVMArrayType(g->i8, (unsigned)n);
  LLVMValueRef v = LLVMAddGlobal(g->mod, t, "");
  LLVMSetInitializer(v, LLVMConstStringInContext(g->ctx, bytes, (unsigned)n, true));
  LLVMSetGlobalConstant(v, true);
  LLVMSetLinkage(v, LLVMPrivateLinkage);
  LLVMSetSection(v, ".rodata");
  LLVMSetAlignment(v, 8);
  return v;
}

static void tables(Gen *g, const Dfa *d, Tables *t) {
  t->nstates = d->nstates, t->ncls = d->ncls, t->bos = d->cls[SYM_BOS], t->eos = d->cls[SYM_EOS];
  t->cls = rodata(g, d->cls, 256);
  t->next = rodata(g, d->next, sizeof *d->next * (size_t)d->nstates * (size_t)d->ncls);
  t->accept = rodata(g, d->accept, (size_t)d->nstates);
}

/* state' = next[state][class] (the index bounded for the verifier) */
static LLVMValueRef step(Fn *F, const Tables *t, LLVMValueRef state, LLVMValueRef cls) {
  Gen *g = F->g;
  LLVMValueRef k = LLVMBuildAdd(g->b, LLVMBuildMul(g->b, state, bb_c64(g, t->ncls), ""), cls, "");
  k = str_clamp(F, k, (uint64_t)t->nstates * (uint64_t)t->ncls - 1);
  LLVMValueRef v = LLVMBuildLoad2(g->b, LLVMInt16TypeInContext(g->ctx), bb_gep_var(g, t->next, LLVMBuildShl(g->b, k, bb_c64(g, 1), "")), "");
  LLVMSetAlignment(v, 2);
  return LLVMBuildZExt(g->b, v, g->i64, "");
}

static LLVMValueRef accepting(Fn *F, const Tables *t, LLVMValueRef state) {
  Gen *g = F->g;
  LLVMValueRef k = str_clamp(F, state, (uint64_t)t->nstates - 1);
  LLVMValueRef a = LLVMBuildLoad2(g->b, g->i8, bb_gep_var(g, t->accept, k), "");
  return LLVMBuildICmp(g->b, LLVMIntNE, a, LLVMConstInt(g->i8, 0, false), "");
}

static LLVMValueRef class_of(Fn *F, const Tables *t, LLVMValueRef c) {
  Gen *g = F->g;
  LLVMValueRef v = LLVMBuildLoad2(g->b, g->i8, bb_gep_var(g, t->cls, str_clamp(F, c, 255)), "");
  return LLVMBuildZExt(g->b, v, g->i64, "");
}

/* What a handler's regex code shares: one subject buffer and a few words
 * (one =~ at a time uses them), and per pattern its automata and the
 * callbacks that walk them. */
typedef struct RePat {
  bool made, failed;
  int nsub;
  Tables search, anch;
  LLVMValueRef walk_s, walk_a, longest; /* callbacks */
} RePat;

typedef struct ReCache {
  uint32_t in, isize;                       /* the subject's copy, zero-padded */
  uint32_t state, pos, last, mstart, mend, n; /* words */
  int any_groups;                           /* -1: not known yet */
  RePat *pat;                               /* by IrModule.regexes index */
} ReCache;

typedef struct Walk {
  const ReCache *c;
  const Tables *t;
  bool search;
} Walk;

/* one symbol: the byte at pos, or the end */
static LLVMValueRef walk_at(Fn *F, LLVMValueRef k, void *ctx) {
  Gen *g = F->g;
  const Walk *w = ctx;
  const ReCache *c = w->c;
  (void)k;
  LLVMValueRef pos = bb_load64(g, F->scratch, c->pos);
  LLVMValueRef idx = str_clamp(F, pos, c->isize - 1);
  LLVMValueRef ch = LLVMBuildZExt(g->b, LLVMBuildLoad2(g->b, g->i8, bb_gep_var(g, fn_scratch_at(F, c->in), idx), ""),
                                  g->i64, "");
  LLVMValueRef at_end = LLVMBuildICmp(g->b, LLVMIntEQ, ch, bb_c64(g, 0), "");
  LLVMValueRef cls = LLVMBuildSelect(g->b, at_end, bb_c64(g, w->t->eos), class_of(F, w->t, ch), "");
  LLVMValueRef s = step(F, w->t, bb_load64(g, F->scratch, c->state), cls);
  bb_store64(g, F->scratch, c->state, s);
  LLVMValueRef np = LLVMBuildAdd(g->b, pos, bb_c64(g, 1), "");
  bb_store64(g, F->scratch, c->pos, np);
  LLVMValueRef acc = accepting(F, w->t, s);
  LLVMValueRef more = LLVMBuildAnd(g->b, LLVMBuildNot(g->b, at_end, ""),
                                   LLVMBuildICmp(g->b, LLVMIntNE, s, bb_c64(g, 0), ""), "");
  if (w->search) {
    bb_store64(g, F->scratch, c->last, LLVMBuildZExt(g->b, acc, g->i64, ""));
    return LLVMBuildAnd(g->b, more, LLVMBuildNot(g->b, acc, ""), "");
  }
  /* an accepting state after the end symbol: the match ends at the string's end (pos) */
  LLVMValueRef end = LLVMBuildSelect(g->b, at_end, pos, np, "");
  bb_store64(g, F->scratch, c->last, LLVMBuildSelect(g->b, acc, end, bb_load64(g, F->scratch, c->last), ""));
  return more;
}

typedef struct Longest {
  const ReCache *c;
  const RePat *p;
} Longest;

/* one start of the leftmost-longest search: the anchored walk from it */
static LLVMValueRef longest_at(Fn *F, LLVMValueRef st, void *ctx) {
  Gen *g = F->g;
  const Longest *l = ctx;
  const ReCache *c = l->c;
  const Tables *t = &l->p->anch;
  LLVMValueRef s = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, st, bb_c64(g, 0), ""),
                                   step(F, t, bb_c64(g, 1), bb_c64(g, t->bos)), bb_c64(g, 1), "");
  bb_store64(g, F->scratch, c->state, s);
  bb_store64(g, F->scratch, c->pos, st);
  bb_store64(g, F->scratch, c->last, LLVMBuildSelect(g->b, accepting(F, t, s), st, bb_c64(g, -1), ""));
  LLVMBasicBlockRef go = bb_block(g, "re.try"), done = bb_block(g, "re.tried");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, s, bb_c64(g, 0), ""), go, done);
  LLVMPositionBuilderAtEnd(g->b, go);
  loop_call(F, l->p->walk_a, c->isize);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef last = bb_load64(g, F->scratch, c->last);
  LLVMValueRef found = LLVMBuildICmp(g->b, LLVMIntSGE, last, bb_c64(g, 0), "");
  bb_store64(g, F->scratch, c->mstart, LLVMBuildSelect(g->b, found, st, bb_load64(g, F->scratch, c->mstart), ""));
  bb_store64(g, F->scratch, c->mend, LLVMBuildSelect(g->b, found, last, bb_load64(g, F->scratch, c->mend), ""));
  return LLVMBuildAnd(g->b, LLVMBuildNot(g->b, found, ""),
                      LLVMBuildICmp(g->b, LLVMIntSLT, st, bb_load64(g, F->scratch, c->n), ""), "");
}

/* Whether the handler reads the match: matched() or ngroups(). */
static bool reads_match(const IrFunc *f) {
  for (int b = 0; b < f->nblocks; b++)
    for (const IrInst *i = f->blocks[b]->first; i; i = i->next)
      if (i->op == IR_BUILTIN && (!strcmp(((const IrBuiltin *)i->aux)->name, "matched") ||
                                  !strcmp(((const IrBuiltin *)i->aux)->name, "ngroups")))
        return true;
  return false;
}

static ReCache *cache(Fn *F) {
  Gen *g = F->g;
  if (F->re) return F->re;
  ReCache *c = calloc(1, sizeof *c);
  if (c) c->pat = calloc((size_t)g->m->nregexes + 1, sizeof *c->pat);
  if (!c || !c->pat) {
    free(c);
    F->failed = true;
    return NULL;
  }
  c->isize = (uint32_t)g->l->maxstringlen + 8;
  c->in = fn_scratch_alloc(F, c->isize);
  c->state = fn_scratch_alloc(F, 8), c->pos = fn_scratch_alloc(F, 8), c->last = fn_scratch_alloc(F, 8);
  c->mstart = fn_scratch_alloc(F, 8), c->mend = fn_scratch_alloc(F, 8), c->n = fn_scratch_alloc(F, 8);
  c->any_groups = -1;
  F->re = c;
  return c;
}

void re_free(Fn *F) {
  if (!F->re) return;
  free(F->re->pat);
  free(F->re);
  F->re = NULL;
}

/* Pattern k's automata (and, when the handler reads matches, the anchored
 * one) and its callbacks, made once per handler. */
static RePat *pattern(Fn *F, int k, SrcLoc loc) {
  Gen *g = F->g;
  ReCache *c = cache(F);
  if (!c) return NULL;
  RePat *p = &c->pat[k];
  if (p->made) return p->failed ? NULL : p;
  p->made = true;
  const char *err = NULL;
  Dfa *d = re_dfa(g->m->regexes[k], true, &p->nsub, &err);
  Dfa *da = d && F->re_str ? re_dfa(g->m->regexes[k], false, &p->nsub, &err) : NULL;
  if (!d || (F->re_str && !da)) {
    gen_error(g, loc, "regular expression \"%s\" cannot run in a kernel probe on the bpf backend: %s",
              g->m->regexes[k], err);
    F->failed = p->failed = true;
  } else {
    tables(g, d, &p->search);
    Walk ws = {c, &p->search, true};
    p->walk_s = loop_make_callback(F, "re", walk_at, &ws);
    if (da) {
      tables(g, da, &p->anch);
      Walk wa = {c, &p->anch, false};
      p->walk_a = loop_make_callback(F, "rea", walk_at, &wa);
      Longest l = {c, p};
      p->longest = loop_make_callback(F, "relong", longest_at, &l);
    }
  }
  if (d) free(d->next), free(d->accept), free(d);
  if (da) free(da->next), free(da->accept), free(da);
  return p->failed ? NULL : p;
}

void re_layout(Fn *F) {
  Gen *g = F->g;
  if (!reads_match(F->f)) return;
  F->re_ok = fn_scratch_alloc(F, 8);
  F->re_groups = fn_scratch_alloc(F, 8);
  F->re_start = fn_scratch_alloc(F, 8);
  F->re_end = fn_scratch_alloc(F, 8);
  F->re_str = fn_scratch_alloc(F, (uint32_t)g->l->maxstringlen);
}

LLVMValueRef re_emit_match(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  RePat *p = pattern(F, (int)i->imm, i->loc);
  if (!p) return NULL;
  ReCache *c = F->re;
  uint32_t max = (uint32_t)g->l->maxstringlen;
  fn_zero_fill(F, fn_scratch_at(F, c->in), c->isize);
  fn_str_copy(F, fn_scratch_at(F, c->in), max, V(i->args[0]));
  LLVMValueRef s = step(F, &p->search, bb_c64(g, 1), bb_c64(g, p->search.bos)); /* the start symbol */
  bb_store64(g, F->scratch, c->state, s);
  bb_store64(g, F->scratch, c->pos, bb_c64(g, 0));
  bb_store64(g, F->scratch, c->last, LLVMBuildZExt(g->b, accepting(F, &p->search, s), g->i64, ""));
  LLVMBasicBlockRef go = bb_block(g, "re.walk"), done = bb_block(g, "re.done");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, bb_load64(g, F->scratch, c->last), bb_c64(g, 0), ""), go, done);
  LLVMPositionBuilderAtEnd(g->b, go);
  loop_call(F, p->walk_s, c->isize);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef ok = LLVMBuildICmp(g->b, LLVMIntNE, bb_load64(g, F->scratch, c->last), bb_c64(g, 0), "");
  if (!F->re_str) return ok;
  /* the match, for matched(): leftmost-longest with the anchored automaton */
  bb_store64(g, F->scratch, F->re_ok, LLVMBuildZExt(g->b, ok, g->i64, ""));
  bb_store64(g, F->scratch, F->re_groups, bb_c64(g, p->nsub + 1));
  LLVMBasicBlockRef find = bb_block(g, "re.find"), found = bb_block(g, "re.found");
  LLVMBuildCondBr(g->b, ok, find, found);
  LLVMPositionBuilderAtEnd(g->b, find);
  bb_store64(g, F->scratch, c->n, str_len(F, fn_scratch_at(F, c->in), max));
  bb_store64(g, F->scratch, c->mstart, bb_c64(g, 0));
  bb_store64(g, F->scratch, c->mend, bb_c64(g, 0));
  loop_call(F, p->longest, max);
  bb_store64(g, F->scratch, F->re_start, bb_load64(g, F->scratch, c->mstart));
  bb_store64(g, F->scratch, F->re_end, bb_load64(g, F->scratch, c->mend));
  fn_str_copy(F, fn_scratch_at(F, F->re_str), max, fn_scratch_at(F, c->in));
  LLVMBuildBr(g->b, found);
  LLVMPositionBuilderAtEnd(g->b, found);
  return LLVMBuildICmp(g->b, LLVMIntNE, bb_load64(g, F->scratch, F->re_ok), bb_c64(g, 0), "");
}

/* Whether some regex of the handler has groups (then matched(n > 0) would need them). */
static bool any_groups(Fn *F) {
  ReCache *c = cache(F);
  if (!c) return false;
  if (c->any_groups >= 0) return c->any_groups;
  c->any_groups = 0;
  const IrFunc *f = F->f;
  for (int b = 0; b < f->nblocks; b++)
    for (const IrInst *i = f->blocks[b]->first; i; i = i->next) {
      if (i->op != IR_REGEX) continue;
      int nsub = 0;
      const char *err;
      Dfa *d = re_dfa(F->g->m->regexes[i->imm], false, &nsub, &err);
      if (d) free(d->next), free(d->accept), free(d);
      if (nsub > 0) c->any_groups = 1;
    }
  return c->any_groups;
}

LLVMValueRef re_emit_builtin(Fn *F, const IrInst *i, bool *ok) {
  Gen *g = F->g;
  const char *name = ((const IrBuiltin *)i->aux)->name;
  *ok = true;
  if (!strcmp(name, "ngroups")) {
    fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntEQ, bb_load64(g, F->scratch, F->re_ok), bb_c64(g, 0), ""), i, 0, true);
    return bb_load64(g, F->scratch, F->re_groups);
  }
  if (strcmp(name, "matched")) {
    *ok = false;
    return NULL;
  }
  const IrInst *n = i->args[0];
  if (any_groups(F) && !(n->op == IR_CONST_I64 && n->imm == 0)) {
    gen_error(g, i->loc, "matched() of a subexpression cannot run in a kernel probe on the bpf backend yet "
                         "(only matched(0) and matched_str())");
    F->failed = true;
    return NULL;
  }
  LLVMValueRef nv = V(n);
  F->fail_aux = nv;
  fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntEQ, bb_load64(g, F->scratch, F->re_ok), bb_c64(g, 0), ""), i, 0, true);
  fn_fail_if(F, LLVMBuildICmp(g->b, LLVMIntNE, nv, bb_c64(g, 0), ""), i, 1, true); /* the groups count is 1 */
  F->fail_aux = NULL;
  LLVMValueRef dst = fn_str_region(F, i);
  LLVMValueRef st = bb_load64(g, F->scratch, F->re_start);
  LLVMValueRef len = LLVMBuildSub(g->b, bb_load64(g, F->scratch, F->re_end), st, "");
  LLVMValueRef cnt = str_clamp(F, LLVMBuildAdd(g->b, len, bb_c64(g, 1), ""), fn_str_bound(F, i));
  LLVMValueRef a[3] = {dst, LLVMBuildTrunc(g->b, cnt, g->i32, ""),
                       LLVMBuildIntToPtr(g->b, LLVMBuildAdd(g->b, str_addr(F, fn_scratch_at(F, F->re_str)), st, ""),
                                         g->ptr, "")};
  bb_helper(g, BPF_FUNC_probe_read_kernel_str, g->i64, a, 3);
  return fn_str_region(F, i);
}

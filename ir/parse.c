/* parse.c: the IR's text form, read back (print.c writes it and has the
 * grammar; each rule below heads the function that reads it).
 *
 * Line oriented: every statement is one line, `;` starts a comment, blank
 * lines are ignored.  A syntax error is reported at its line:col in the IR
 * text (added to the SrcSet so the message quotes the line), the rest of the
 * line is skipped and parsing goes on, so one run reports several errors.
 * Values, blocks, callees, globals and probe handlers may be named before they
 * are defined: references are recorded as fixups and resolved at the end of
 * the function (values, blocks) or of the module (names).  This file checks
 * syntax and names only; types and SSA rules are ir_verify's business, so
 * malformed IR can be written down to test the verifier.
 */
#include "ir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_NUMBER = 1 << 24 }; /* highest %N / bN accepted */

typedef enum FixKind { FX_ARG, FX_PHIBLK, FX_TARGET, FX_GLOBAL, FX_CALLEE, FX_HANDLER } FixKind;

typedef struct Fixup {
  FixKind kind;
  IrInst *inst; /* the referring instruction (probe for FX_HANDLER) */
  IrProbe *probe;
  int idx;          /* which arg / phi block / target */
  int id;           /* %N or bN */
  const char *name; /* @name */
  size_t off;       /* where in the text, for messages */
} Fixup;

#define VEC(T)  \
  struct {      \
    T *v;       \
    int n, cap; \
  }
typedef VEC(Fixup) FixVec;

/* An operand as written, before the instruction exists. */
typedef struct Ref {
  int id; /* %N, or bN for block refs; -1 for '*' */
  size_t off;
} Ref;

typedef VEC(Ref) RefVec;

typedef struct P {
  const char *text;
  size_t len, pos;
  uint32_t file; /* the IR text in src */
  SrcSet *src;
  DiagList *diag;
  IrModule *m;
  Arena *tmp;       /* scratch, freed when parsing ends */
  FixVec names;     /* module-wide: globals, callees, handlers */
  FixVec local;     /* per function: values, blocks */
  IrInst **vals;    /* per function, by value number */
  IrBlock **blocks; /* per function, by block number */
  int cap_vals, cap_blocks, max_val, max_block;
  RefVec args, brefs; /* the instruction being read */
  uint32_t last_file; /* cache for location paths */
  const char *last_path;
} P;

#define VEC_PUSH(a, vec, item)                                                                              \
  do {                                                                                                      \
    if ((vec).n == (vec).cap) {                                                                             \
      int c_ = (vec).cap ? (vec).cap * 2 : 16;                                                              \
      (vec).v =                                                                                             \
          arena_realloc((a), (vec).v, sizeof(*(vec).v) * (size_t)(vec).cap, sizeof(*(vec).v) * (size_t)c_); \
      (vec).cap = c_;                                                                                       \
    }                                                                                                       \
    (vec).v[(vec).n++] = (item);                                                                            \
  } while (0)

/* ---- characters ---------------------------------------------------------------*/

/* Reports a syntax error at byte off of the text; returns false. */
static bool perr_at(P *p, size_t off, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool perr_at(P *p, size_t off, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  diag_vreport(p->diag, DIAG_ERROR, srcset_loc(p->src, p->file, off), fmt, ap);
  va_end(ap);
  return false;
}
#define perr(p, ...) perr_at((p), (p)->pos, __VA_ARGS__)

static int cur(P *p) { return p->pos < p->len ? (unsigned char)p->text[p->pos] : -1; }

static void ws(P *p) {
  for (;;) {
    int c = cur(p);
    if (c == ' ' || c == '\t' || c == '\r')
      p->pos++;
    else if (c == ';')
      while (cur(p) != '\n' && cur(p) != -1) p->pos++;
    else
      return;
  }
}

static bool at_eol(P *p) {
  ws(p);
  return cur(p) == '\n' || cur(p) == -1;
}

static void skip_line(P *p) {
  while (cur(p) != '\n' && cur(p) != -1) p->pos++;
}

static bool is_word(int c) {
  return c == '_' || c == '.' || (c >= '0' && c <= '9') || ((c | 32) >= 'a' && (c | 32) <= 'z');
}

/* A run of word characters; its length (0 if none). */
static size_t word(P *p, const char **w) {
  ws(p);
  *w = p->text + p->pos;
  size_t n = 0;
  while (p->pos < p->len && is_word(cur(p))) p->pos++, n++;
  return n;
}

static bool word_is(const char *w, size_t n, const char *lit) {
  return strlen(lit) == n && !memcmp(w, lit, n);
}

/* Consumes keyword lit if it comes next. */
static bool keyword(P *p, const char *lit) {
  size_t save = p->pos;
  const char *w;
  size_t n = word(p, &w);
  if (word_is(w, n, lit)) return true;
  p->pos = save;
  return false;
}

static bool punct(P *p, const char *lit) {
  ws(p);
  size_t n = strlen(lit);
  if (p->len - p->pos >= n && !memcmp(p->text + p->pos, lit, n)) {
    p->pos += n;
    return true;
  }
  return false;
}

static bool expect(P *p, const char *lit) {
  if (punct(p, lit)) return true;
  perr(p, "'%s' expected", lit);
  return false;
}

/* NUMBER := ["-"] DIGITS */
static bool number(P *p, int64_t *v) {
  ws(p);
  size_t start = p->pos, n;
  if (cur(p) == '-') p->pos++;
  while (cur(p) >= '0' && cur(p) <= '9') p->pos++;
  char buf[32], *end;
  n = p->pos - start < sizeof buf - 1 ? p->pos - start : sizeof buf - 1;
  memcpy(buf, p->text + start, n);
  buf[n] = 0;
  errno = 0;
  *v = strtoll(buf, &end, 10);
  if (end == buf) return p->pos = start, perr(p, "number expected");
  return !errno || perr_at(p, start, "number out of range");
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  c |= 32;
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* STRING := '"' (CHAR | '\' [nrt"\] | '\x' HEX HEX)* '"'; the bytes go to the module's arena. */
static bool string(P *p, const char **s, size_t *len) {
  static const char esc[] = "n\nt\tr\r\"\"\\\\"; /* pairs: the letter, the byte */
  ws(p);
  if (cur(p) != '"') return perr(p, "string expected");
  size_t open = p->pos++;
  StrBuf b = {0};
  bool ok = false;
  for (int c; (c = cur(p)) != '"'; p->pos++) {
    if (c == -1 || c == '\n') {
      perr_at(p, open, "unterminated string");
      goto out;
    }
    if (c != '\\') {
      sb_putc(&b, (char)c);
      continue;
    }
    c = p->text[++p->pos]; /* the escape's letter (the text ends in a NUL) */
    const char *e = c ? strchr(esc, c) : NULL;
    int hi = c == 'x' ? hexval(p->text[p->pos + 1]) : -1, lo = hi >= 0 ? hexval(p->text[p->pos + 2]) : -1;
    if (e && (e - esc) % 2 == 0) {
      sb_putc(&b, e[1]);
    } else if (lo >= 0) {
      sb_putc(&b, (char)(hi * 16 + lo));
      p->pos += 2;
    } else {
      perr_at(p, p->pos - 1, "unknown escape in string (\\n \\t \\r \\\" \\\\ \\xHH)");
      goto out;
    }
  }
  p->pos++;
  *len = b.len;
  *s = arena_strndup(p->m->arena, sb_str(&b), b.len);
  ok = true;
out:
  sb_free(&b);
  return ok;
}

/* NAME := sigil (WORD | STRING) */
static const char *name(P *p, char sigil) {
  ws(p);
  if (sigil) {
    if (cur(p) != sigil) {
      perr(p, "'%c' name expected", sigil);
      return NULL;
    }
    p->pos++;
  }
  if (cur(p) == '"') {
    const char *s;
    size_t len;
    return string(p, &s, &len) ? s : NULL;
  }
  const char *w;
  size_t n = word(p, &w);
  if (!n) {
    perr(p, "name expected");
    return NULL;
  }
  return arena_strndup(p->m->arena, w, n);
}

/* sigil DIGITS, as in %3, b2, s0, #1, $0 */
static bool sigil_num(P *p, char sigil, int *v) {
  ws(p);
  if (cur(p) != sigil) return false;
  size_t start = p->pos++;
  int64_t x = 0;
  if (!(cur(p) >= '0' && cur(p) <= '9')) {
    p->pos = start;
    return false;
  }
  while (cur(p) >= '0' && cur(p) <= '9') {
    x = x * 10 + (cur(p) - '0');
    if (x > MAX_NUMBER) return perr_at(p, start, "number too large");
    p->pos++;
  }
  if (is_word(cur(p))) { /* b2x is a word, not a block */
    p->pos = start;
    return false;
  }
  *v = (int)x;
  return true;
}

static bool type_name(P *p, IrType *t) {
  const char *w;
  size_t start = (ws(p), p->pos), n = word(p, &w);
  for (int k = 0; k <= IR_ITER; k++)
    if (word_is(w, n, ir_type_name((IrType)k))) {
      *t = (IrType)k;
      return true;
    }
  perr_at(p, start, "type expected (void, i64, str, bool or iter)");
  return false;
}

/* LOC := "!" (PATH | STRING) ":" LINE ":" COL; the path joins the SrcSet */
static bool location(P *p, SrcLoc *loc) {
  ws(p);
  size_t start = p->pos;
  if (cur(p) != '!') return true;
  p->pos++;
  const char *path;
  size_t plen;
  int64_t line, col;
  if (cur(p) == '"') {
    if (!string(p, &path, &plen) || !expect(p, ":") || !number(p, &line) || !expect(p, ":") ||
        !number(p, &col))
      return false;
  } else {
    size_t s = p->pos;
    while (p->pos < p->len && !strchr(" \t\r\n;", p->text[p->pos])) p->pos++;
    const char *t = p->text + s;
    size_t n = p->pos - s, c2 = n, c1;
    while (c2 > 0 && t[c2 - 1] != ':') c2--;
    for (c1 = c2 ? c2 - 1 : 0; c1 > 0 && t[c1 - 1] != ':';) c1--;
    if (c2 < 2 || c1 < 2) return perr_at(p, start, "location expected: !FILE:LINE:COL");
    path = arena_strndup(p->tmp, t, c1 - 1);
    line = strtoll(t + c1, NULL, 10);
    col = strtoll(t + c2, NULL, 10);
  }
  if (line <= 0 || col <= 0 || line > UINT32_MAX || col > UINT32_MAX)
    return perr_at(p, start, "bad line or column in location");
  if (!p->last_path || strcmp(p->last_path, path)) {
    uint32_t f = 0;
    for (uint32_t k = 1; k < p->src->n && !f; k++)
      if (!strcmp(p->src->files[k]->path, path)) f = k;
    p->last_file = f ? f : srcset_add(p->src, path, "", 0, 0);
    p->last_path = p->src->files[p->last_file]->path;
  }
  *loc = (SrcLoc){p->last_file, (uint32_t)line, (uint32_t)col};
  return true;
}

/* ---- fixups --------------------------------------------------------------------*/

static void fix(P *p, FixVec *v, FixKind kind, IrInst *i, int idx, const Ref *r) {
  Fixup f = {kind, i, NULL, idx, r->id, NULL, r->off};
  VEC_PUSH(p->tmp, *v, f);
}

static void fix_name(P *p, FixKind kind, IrInst *i, IrProbe *pr, const char *nm, size_t off) {
  Fixup f = {kind, i, pr, 0, 0, nm, off};
  VEC_PUSH(p->tmp, p->names, f);
}

/* Makes room for number id in a by-number table. */
static void *grow_table(P *p, void *tab, int *cap, int id, size_t elem) {
  if (id < *cap) return tab;
  int c = *cap ? *cap : 64;
  while (c <= id) c *= 2;
  void *n = arena_alloc(p->tmp, elem * (size_t)c);
  if (*cap) memcpy(n, tab, elem * (size_t)*cap);
  *cap = c;
  return n;
}

/* At a function's '}': values and blocks are all known now. */
static void resolve_local(P *p, IrFunc *f) {
  for (int k = 0; k < p->local.n; k++) {
    Fixup *x = &p->local.v[k];
    if (x->kind == FX_ARG) {
      IrInst *v = x->id < p->cap_vals ? p->vals[x->id] : NULL;
      if (!v) perr_at(p, x->off, "value %%%d is not defined in @%s", x->id, f->name);
      x->inst->args[x->idx] = v;
    } else {
      IrBlock *b = x->id < p->cap_blocks ? p->blocks[x->id] : NULL;
      if (!b) perr_at(p, x->off, "block b%d is not defined in @%s", x->id, f->name);
      *(x->kind == FX_PHIBLK ? &x->inst->phi_blocks[x->idx] : &x->inst->targets[x->idx]) = b;
    }
  }
  p->local.n = 0;
  if (p->cap_vals) memset(p->vals, 0, sizeof(IrInst *) * (size_t)p->cap_vals);
  if (p->cap_blocks) memset(p->blocks, 0, sizeof(IrBlock *) * (size_t)p->cap_blocks);
  f->next_id = p->max_val + 1;
  f->next_block_id = p->max_block + 1;
  p->max_val = p->max_block = -1;
}

static void resolve_names(P *p) {
  IrModule *m = p->m;
  for (int k = 0; k < p->names.n; k++) {
    Fixup *x = &p->names.v[k];
    if (x->kind == FX_GLOBAL) {
      for (int j = 0; j < m->nglobals && !x->inst->g; j++)
        if (!strcmp(m->globals[j]->name, x->name)) x->inst->g = m->globals[j];
      if (!x->inst->g) perr_at(p, x->off, "global @%s is not declared", x->name);
      continue;
    }
    IrFunc *f = NULL;
    for (int j = 0; j < m->nfuncs && !f; j++)
      if (!strcmp(m->funcs[j]->name, x->name)) f = m->funcs[j];
    if (!f) perr_at(p, x->off, "function @%s is not defined", x->name);
    *(x->kind == FX_CALLEE ? &x->inst->callee : &x->probe->handler) = f;
  }
}

/* ---- instructions -----------------------------------------------------------------*/

/* %N into args, or bN into brefs */
static bool ref(P *p, char sigil) {
  Ref r = {0, (ws(p), p->pos)};
  if (!sigil_num(p, sigil, &r.id))
    return perr(p, sigil == '%' ? "value (%%N) expected" : "block (bN) expected");
  if (sigil == '%')
    VEC_PUSH(p->tmp, p->args, r);
  else
    VEC_PUSH(p->tmp, p->brefs, r);
  return true;
}

static bool item_starts(P *p, IrOp op) {
  int c = cur(p), d = p->pos + 1 < p->len ? p->text[p->pos + 1] : 0;
  bool digit = d >= '0' && d <= '9';
  return c == '%' || (c == 'b' && digit && (ir_op_flags(op) & IRF_TARGETS)) || (c == '$' && op == IR_REGEX) ||
         (op == IR_ITER_KEY && (c == '-' || (c >= '0' && c <= '9')));
}

/* LIST := [ITEM ("," ITEM)*];  ITEM := %N | bN (branches) | $N (regex) | N (iter.key).
 * With first set the list may be empty and starts without a comma; else each
 * item follows a comma (after a slot or global). */
static bool item_list(P *p, IrOp op, bool first, int64_t *imm) {
  for (;;) {
    if (first) {
      ws(p);
      if (!item_starts(p, op)) return true;
      first = false;
    } else if (!punct(p, ",")) {
      return true;
    }
    ws(p);
    int c = cur(p), n;
    if (!item_starts(p, op)) return perr(p, "operand expected");
    if (c == '%') {
      if (!ref(p, '%')) return false;
    } else if (c == 'b') {
      if (!ref(p, 'b')) return false;
    } else if (c == '$') {
      if (!sigil_num(p, '$', &n)) return perr(p, "regex ($N) expected");
      *imm = n;
    } else if (!number(p, imm)) {
      return false;
    }
  }
}

/* KEYS := "[" (%N | "*") ("," (%N | "*"))* "]"; returns the mask of '*' positions */
static bool key_list(P *p, int64_t *stars) {
  *stars = 0;
  if (!punct(p, "[")) return true;
  if (punct(p, "]")) return true;
  for (int k = 0;; k++) {
    if (punct(p, "*")) {
      if (k < 63) *stars |= (int64_t)1 << k;
    } else if (!ref(p, '%')) {
      return false;
    }
    if (punct(p, "]")) return true;
    if (!expect(p, ",")) return false;
  }
}

/* "(" LIST ")" */
static bool call_args(P *p, IrOp op) {
  int64_t dummy;
  if (!expect(p, "(")) return false;
  if (punct(p, ")")) return true;
  return item_list(p, op, true, &dummy) && expect(p, ")");
}

static int stat_field(P *p) {
  static const char *const names[] = {"count", "sum", "min", "max", "avg", "variance"};
  const char *w;
  size_t start = (ws(p), p->pos), n = word(p, &w);
  for (int k = 0; k <= IR_STAT_VARIANCE; k++)
    if (word_is(w, n, names[k])) return k;
  p->pos = start;
  return -1;
}

/* SORT := "sort" ("none" | "value" | "key" N) ["asc" | "desc"] [FIELD] ["limit" %N] ["slice" KEYS] */
static IrSort *sort_spec(P *p) {
  IrSort *s = ARENA_NEW(p->m->arena, IrSort);
  int64_t k;
  if (!keyword(p, "sort")) return perr(p, "'sort' expected"), NULL;
  int64_t col = keyword(p, "none") ? 0 : keyword(p, "value") ? -1 : INT64_MIN;
  if (col == INT64_MIN && keyword(p, "key") && number(p, &k) && k > 0 && k <= 9) col = k;
  if (col == INT64_MIN) return perr(p, "'none', 'value' or 'key N' (1..9) expected"), NULL;
  s->col = (int)col;
  s->dir = keyword(p, "asc") ? 1 : keyword(p, "desc") ? -1 : 0;
  int f = stat_field(p);
  s->aggr = f < 0 ? IR_STAT_COUNT : (IrStatField)f;
  if (keyword(p, "limit")) {
    s->has_limit = true;
    if (!ref(p, '%')) return NULL;
  }
  if (keyword(p, "slice")) {
    int64_t stars;
    int before = p->args.n;
    if (!punct(p, "[")) return perr(p, "'[' expected"), NULL;
    p->pos--;
    if (!key_list(p, &stars)) return NULL;
    int positions = p->args.n - before + __builtin_popcountll((uint64_t)stars);
    for (int j = 0; j < positions && j < 32; j++)
      if (!(stars >> j & 1)) s->slice |= 1u << j;
  }
  return s;
}

/* The operands of op, as print_operands writes them. */
static bool operands(P *p, IrInst *i) {
  int64_t stars;
  int id;
  switch (i->op) {
  case IR_CONST_I64:
  case IR_PARAM:
  case IR_ACTIONS: return number(p, &i->imm);
  case IR_CONST_BOOL:
    if (keyword(p, "true")) return i->imm = 1, true;
    return keyword(p, "false") || number(p, &i->imm);
  case IR_CONST_STR: return string(p, &i->str, &i->len);
  case IR_PHI:
    for (bool first = true; first || punct(p, ","); first = false) {
      if (first && (ws(p), cur(p) != '[')) break;
      if (!expect(p, "[") || !ref(p, '%') || !expect(p, ",") || !ref(p, 'b') || !expect(p, "]")) return false;
    }
    return true;
  case IR_LOCAL_GET:
  case IR_LOCAL_SET:
    if (!sigil_num(p, 's', &id)) return perr(p, "slot (sN) expected");
    i->imm = id;
    return item_list(p, i->op, false, &i->imm);
  case IR_STAT_GET:
  case IR_HIST_STR:
  case IR_HIST_BUCKET:
    if (i->op == IR_STAT_GET && (i->imm = stat_field(p)) < 0)
      return perr(p, "statistic field expected (count, sum, min, max, avg, variance)");
    if (i->op != IR_STAT_GET && !number(p, &i->imm)) return false;
    /* fallthrough */
  case IR_GLOBAL_GET:
  case IR_GLOBAL_SET:
  case IR_MAP_CLEAR:
  case IR_MAP_GET:
  case IR_MAP_SET:
  case IR_MAP_EXISTS:
  case IR_STAT_ADD:
  case IR_MAP_DELETE:
  case IR_ITER_BEGIN: {
    size_t off = (ws(p), p->pos);
    const char *g = name(p, '@');
    if (!g) return false;
    fix_name(p, FX_GLOBAL, i, NULL, g, off);
    if (i->op == IR_ITER_BEGIN) return (i->aux = sort_spec(p)) != NULL;
    if (!key_list(p, &stars)) return false;
    if (stars && i->op != IR_MAP_DELETE) return perr(p, "'*' is only for map.delete");
    i->imm = i->op == IR_MAP_DELETE ? stars : i->imm;
    return item_list(p, i->op, false, &i->imm);
  }
  case IR_CALL: {
    size_t off = (ws(p), p->pos);
    const char *f = name(p, '@');
    if (!f) return false;
    fix_name(p, FX_CALLEE, i, NULL, f, off);
    return call_args(p, i->op);
  }
  case IR_BUILTIN: {
    IrBuiltin *b = ARENA_NEW(p->m->arena, IrBuiltin);
    b->id = -1;
    if (!(b->name = name(p, 0))) return false;
    i->aux = b;
    return call_args(p, i->op);
  }
  case IR_PRINTF:
  case IR_SPRINTF:
    if (!sigil_num(p, '#', &id)) return perr(p, "format (#N) expected");
    if (id >= p->m->nformats) return perr(p, "format #%d is not declared", id);
    i->aux = p->m->formats[id];
    return call_args(p, i->op);
  case IR_CTX: {
    IrCtx *c = ARENA_NEW(p->m->arena, IrCtx);
    size_t len;
    if (!string(p, &c->text, &len)) return false;
    c->is_defined = !strncmp(c->text, "@defined(", 9); /* as the front end prints @defined */
    i->aux = c;
    return call_args(p, i->op);
  }
  default: return item_list(p, i->op, true, &i->imm);
  }
}

static IrOp op_by_name(const char *w, size_t n) {
  for (int k = 0; k < IR__COUNT; k++)
    if (word_is(w, n, ir_op_name((IrOp)k))) return (IrOp)k;
  return IR__COUNT;
}

/* INST := ["%"N "="] OPNAME OPERANDS [":" TYPE] ["maxlen" N] [LOC] */
static bool inst(P *p, IrFunc *f, IrBlock *b) {
  int id = -1;
  size_t start = (ws(p), p->pos);
  if (sigil_num(p, '%', &id) && !expect(p, "=")) return false;
  const char *w;
  size_t opoff = (ws(p), p->pos), n = word(p, &w);
  IrOp op = op_by_name(w, n);
  if (op == IR__COUNT) return perr_at(p, opoff, "unknown opcode '%.*s'", (int)n, w);
  /* operands first, into scratch (the type comes last), then the instruction */
  IrInst tmp = {.op = op};
  int names_before = p->names.n;
  p->args.n = p->brefs.n = 0;
  int implied = ir_op_result_type(op);
  IrType t = implied < 0 ? IR_VOID : (IrType)implied;
  int64_t maxlen = -1;
  SrcLoc loc = {0, 0, 0};
  if (!operands(p, &tmp) || (punct(p, ":") && !type_name(p, &t)) ||
      (keyword(p, "maxlen") && !number(p, &maxlen)) || !location(p, &loc))
    goto fail;
  if (!at_eol(p)) {
    perr(p, "end of line expected");
    goto fail;
  }
  if ((id >= 0) != (t != IR_VOID)) {
    if (id >= 0)
      perr_at(p, start, "%%%d: a %s instruction has no value (give its type)", id, ir_op_name(op));
    else
      perr_at(p, start, "%s has a value (of type %s): name it, %%N = ...", ir_op_name(op), ir_type_name(t));
    goto fail;
  }
  if (op != IR_PHI && p->brefs.n > 2) {
    perr_at(p, p->brefs.v[2].off, "too many targets");
    goto fail;
  }
  if (id >= 0) {
    p->vals = grow_table(p, p->vals, &p->cap_vals, id, sizeof(IrInst *));
    if (p->vals[id]) {
      perr_at(p, start, "value %%%d is defined twice", id);
      goto fail;
    }
  }
  IrInst *i = ir_inst_new(f, op, t, NULL, p->args.n, loc);
  i->imm = tmp.imm, i->str = tmp.str, i->len = tmp.len, i->aux = tmp.aux;
  i->str_bound = maxlen >= 0 ? maxlen + 1 : 0;
  if (id >= 0) {
    p->vals[id] = i;
    i->id = id;
    if (id > p->max_val) p->max_val = id;
  }
  for (int k = names_before; k < p->names.n; k++) p->names.v[k].inst = i; /* they pointed at tmp */
  for (int k = 0; k < p->args.n; k++) fix(p, &p->local, FX_ARG, i, k, &p->args.v[k]);
  if (op == IR_PHI) i->phi_blocks = arena_alloc(f->mod->arena, sizeof(IrBlock *) * (size_t)(p->brefs.n + 1));
  for (int k = 0; k < p->brefs.n; k++)
    fix(p, &p->local, op == IR_PHI ? FX_PHIBLK : FX_TARGET, i, k, &p->brefs.v[k]);
  ir_block_append(b, i);
  return true;
fail:
  p->names.n = names_before;
  return false;
}

/* ---- functions -------------------------------------------------------------------*/

/* SLOT := "slot" sN ":" TYPE [STRING] ["pinned"] */
static bool slot(P *p, IrFunc *f) {
  int n;
  IrType t;
  size_t off = (ws(p), p->pos);
  if (!sigil_num(p, 's', &n)) return perr(p, "slot (sN) expected");
  if (n != f->nslots) return perr_at(p, off, "slot s%d declared out of order (s%d expected)", n, f->nslots);
  if (!expect(p, ":") || !type_name(p, &t)) return false;
  const char *nm = NULL;
  size_t len;
  ws(p);
  if (cur(p) == '"' && !string(p, &nm, &len)) return false;
  int k = ir_slot_new(f, t, nm);
  f->slot_pinned[k] = keyword(p, "pinned");
  return true;
}

/* LABEL := bN ":" */
static bool label(P *p, IrFunc *f, IrBlock **b) {
  int n;
  size_t off = (ws(p), p->pos);
  sigil_num(p, 'b', &n);
  expect(p, ":");
  p->blocks = grow_table(p, p->blocks, &p->cap_blocks, n, sizeof(IrBlock *));
  if (p->blocks[n]) return perr_at(p, off, "block b%d is defined twice", n);
  *b = p->blocks[n] = ir_block_new(f);
  (*b)->id = n;
  if (n > p->max_block) p->max_block = n;
  return true;
}

static bool is_label(P *p) {
  size_t save = p->pos;
  int n;
  bool yes = sigil_num(p, 'b', &n) && punct(p, ":");
  p->pos = save;
  return yes;
}

/* BODY := (SLOT | LABEL | INST)* "}" */
static void body(P *p, IrFunc *f, size_t open) {
  IrBlock *b = NULL;
  for (;;) {
    if (at_eol(p)) {
      if (cur(p) == -1) {
        SrcLoc o = srcset_loc(p->src, p->file, open);
        perr(p, "'}' expected (to close '{' at line %u)", o.line);
        break;
      }
      p->pos++;
      continue;
    }
    if (punct(p, "}")) break;
    bool ok = keyword(p, "slot") ? slot(p, f)
              : is_label(p)      ? label(p, f, &b)
              : b                ? inst(p, f, b)
                                 : perr(p, "block label (bN:) expected");
    if (ok && !at_eol(p)) ok = perr(p, "end of line expected");
    if (!ok) skip_line(p);
  }
  resolve_local(p, f);
}

/* FUNC := ("func" | "handler") @NAME "(" [TYPE ("," TYPE)*] ")" "->" TYPE "{" [LOC] BODY */
static bool func(P *p, IrFuncKind kind) {
  size_t off = (ws(p), p->pos);
  const char *nm = name(p, '@');
  IrType params[64], ret;
  int np = 0;
  if (!nm || !expect(p, "(")) return false;
  for (int k = 0; k < p->m->nfuncs; k++)
    if (!strcmp(p->m->funcs[k]->name, nm)) return perr_at(p, off, "function @%s is defined twice", nm);
  while (!punct(p, ")")) {
    if (np && !expect(p, ",")) return false;
    if (np == 64) return perr(p, "too many parameters");
    if (!type_name(p, &params[np++])) return false;
  }
  if (!expect(p, "->") || !type_name(p, &ret)) return false;
  size_t open = (ws(p), p->pos);
  if (!expect(p, "{")) return false;
  IrFunc *f = ir_func_new(p->m, nm, kind, ret, params, np);
  if (!location(p, &f->loc) || (!at_eol(p) && !perr(p, "end of line expected"))) skip_line(p);
  body(p, f, open);
  return true;
}

/* After a bad function header: its body is not statements, skip to its "}". */
static void skip_body(P *p) {
  for (skip_line(p); cur(p) != -1; skip_line(p)) {
    p->pos++;
    if (punct(p, "}")) return;
  }
}

/* ---- module ------------------------------------------------------------------------*/

/* GTYPE := "i64" | "str" | "stat" | "map" "[" TYPE ("," TYPE)* "]" "->" ("i64" | "str" | "stat") */
static bool global_type(P *p, IrGlobal *g) {
  if (keyword(p, "stat")) {
    g->kind = IR_GLOBAL_STAT, g->is_stat = true, g->value = IR_VOID;
    return true;
  }
  if (!keyword(p, "map")) return type_name(p, &g->value);
  g->kind = IR_GLOBAL_MAP;
  if (!expect(p, "[")) return false;
  do {
    if (g->nkeys == 9) return perr(p, "more than 9 keys");
    if (!type_name(p, &g->keys[g->nkeys++])) return false;
  } while (punct(p, ","));
  if (!expect(p, "]") || !expect(p, "->")) return false;
  if (!keyword(p, "stat")) return type_name(p, &g->value);
  g->is_stat = true, g->value = IR_VOID;
  return true;
}

/* GLOBAL := "global" @NAME ":" GTYPE ["=" (N | STRING)] ["maxsize" N] ["wrap"]
 *           ("hist" ("log" | "linear" N N N))* ["display"] ["cmdline"] [LOC] */
static bool global(P *p) {
  size_t off = (ws(p), p->pos);
  const char *nm = name(p, '@');
  if (!nm || !expect(p, ":")) return false;
  for (int k = 0; k < p->m->nglobals; k++)
    if (!strcmp(p->m->globals[k]->name, nm)) return perr_at(p, off, "global @%s is declared twice", nm);
  IrGlobal *g = ir_global_new(p->m, nm, IR_GLOBAL_SCALAR);
  if (!global_type(p, g)) return false;
  if (punct(p, "=")) {
    size_t len;
    g->has_init = true;
    ws(p);
    if (cur(p) == '"' ? !string(p, &g->init_str, &len) : !number(p, &g->init_i64)) return false;
  }
  if (keyword(p, "maxsize") && !number(p, &g->maxsize)) return false;
  g->wrap = keyword(p, "wrap");
  IrHist hs[64];
  while (keyword(p, "hist")) {
    if (g->nhists == 64) return perr(p, "too many histograms");
    IrHist *h = &hs[g->nhists++];
    *h = (IrHist){0};
    if (keyword(p, "linear")) {
      h->linear = true;
      if (!number(p, &h->lo) || !number(p, &h->hi) || !number(p, &h->step)) return false;
    } else if (!keyword(p, "log")) {
      return perr(p, "'log' or 'linear' expected");
    }
  }
  if (g->nhists) {
    g->hists = arena_alloc(p->m->arena, sizeof(IrHist) * (size_t)g->nhists);
    memcpy(g->hists, hs, sizeof(IrHist) * (size_t)g->nhists);
  }
  g->display = keyword(p, "display");
  g->cmdline = keyword(p, "cmdline");
  return location(p, &g->loc);
}

/* FORMAT := "format" #N "=" STRING;  REGEX := "regex" $N "=" STRING */
static bool table_entry(P *p, bool is_format) {
  int n;
  const char *s;
  size_t len, off = (ws(p), p->pos);
  if (!sigil_num(p, is_format ? '#' : '$', &n))
    return perr(p, is_format ? "format (#N) expected" : "regex ($N) expected");
  if (!expect(p, "=") || !string(p, &s, &len)) return false;
  int have = is_format ? p->m->nformats : p->m->nregexes;
  if (n != have)
    return perr_at(p, off, "%s %d out of order (%d expected)", is_format ? "format" : "regex", n, have);
  int id = is_format ? ir_format_intern(p->m, s, len) : ir_regex_intern(p->m, s);
  if (id != n) return perr_at(p, off, "%s %d repeats an earlier one", is_format ? "format" : "regex", n);
  return true;
}

/* PROBE := "probe" KIND "seq" N ("host" | "kernel") STRING "->" @NAME ["optional"] */
static bool probe(P *p) {
  static const char *const kinds[] = {"begin", "end", "error", "never", "other"};
  const char *w;
  size_t len, kinds_off = (ws(p), p->pos), n = word(p, &w);
  int kind = -1;
  for (int k = 0; k <= IR_PROBE_OTHER; k++)
    if (word_is(w, n, kinds[k])) kind = k;
  if (kind < 0) return perr_at(p, kinds_off, "probe kind expected (begin, end, error, never, other)");
  IrProbe *pr = ir_probe_new(p->m, NULL, (IrProbeKind)kind);
  if (!keyword(p, "seq")) return perr(p, "'seq' expected");
  if (!number(p, &pr->seq)) return false;
  int site = keyword(p, "kernel") ? IR_SITE_KERNEL : keyword(p, "host") ? IR_SITE_HOST : -1;
  if (site < 0) return perr(p, "'host' or 'kernel' expected");
  pr->site = (IrSite)site;
  if (!string(p, &pr->pp, &len) || !expect(p, "->")) return false;
  size_t off = (ws(p), p->pos);
  const char *h = name(p, '@');
  if (!h) return false;
  fix_name(p, FX_HANDLER, NULL, pr, h, off);
  pr->optional = keyword(p, "optional");
  return true;
}

/* STATEMENT := "maxstringlen" N | GLOBAL | FORMAT | REGEX | FUNC | PROBE */
static bool statement(P *p) {
  const char *w;
  size_t off = (ws(p), p->pos), n = word(p, &w);
  if (word_is(w, n, "maxstringlen")) return number(p, &p->m->maxstringlen);
  if (word_is(w, n, "global")) return global(p);
  if (word_is(w, n, "format")) return table_entry(p, true);
  if (word_is(w, n, "regex")) return table_entry(p, false);
  if (word_is(w, n, "func") || word_is(w, n, "handler")) {
    if (!func(p, word_is(w, n, "func") ? IR_FUNC_SCRIPT : IR_FUNC_PROBE)) skip_body(p);
    return true;
  }
  if (word_is(w, n, "probe")) return probe(p);
  return perr_at(p, off, "'global', 'format', 'regex', 'func', 'handler' or 'probe' expected");
}

/* The text is used in place if it is already a file of src (as srcset_read
 * leaves it), so messages name that file; else it joins src as "<ir>". */
IrModule *ir_parse(const char *text, size_t len, SrcSet *src, DiagList *diag) {
  P p = {.text = text, .len = len, .src = src, .diag = diag, .max_val = -1, .max_block = -1};
  for (uint32_t k = 1; k < src->n && !p.file; k++)
    if (src->files[k]->text == text) p.file = k;
  if (!p.file) p.file = srcset_add(src, "<ir>", text, len, 0);
  p.text = src->files[p.file]->text;
  p.m = ir_module_new(src);
  p.tmp = arena_new();
  int errors = diag->nerrors;
  while (cur(&p) != -1) {
    if (at_eol(&p)) {
      if (cur(&p) == '\n') p.pos++;
      continue;
    }
    bool ok = statement(&p);
    if (ok && !at_eol(&p)) ok = perr(&p, "end of line expected");
    if (!ok) skip_line(&p);
  }
  resolve_names(&p);
  arena_free(p.tmp);
  if (diag->nerrors > errors) {
    ir_module_free(p.m);
    return NULL;
  }
  return p.m;
}

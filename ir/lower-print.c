/* lower-print.c: the print family and histograms.
 *
 * Every print-family call becomes one PRINTF (or SPRINTF, a str, for the s*
 * forms) with an interned IrFormat: printf/sprintf keep the literal format;
 * print/println/printd/printdln and their s* forms get one made here, "%d"
 * for a long and "%s" for a string per argument (print of a long is its
 * decimal value, langref 9.1), the printd delimiter between arguments, "\n"
 * for the -ln forms.  Literal arguments and the delimiter are written into
 * the format itself, with '%' doubled.  A histogram argument is HIST_STR, a
 * string printed with "%s".  Histogram parameters must be literal numbers;
 * each distinct @hist_log / @hist_linear(lo, hi, step) of a statistic is one
 * IrHist in its global, and HIST_STR names it by index; HIST_BUCKET reads
 * one bucket of it (@hist_log(s)[n]), with the runtime's bucket numbering.
 * Formatting itself is the runtime's job.
 */
#include "lower.h"
#include "runtime.h"

#include <string.h>

enum { PR_PLAIN, PR_FORMAT, PR_DELIM };

typedef struct PrintFn {
  const char *name;
  int kind;
  bool to_string; /* sprint*: returns the text */
  bool newline;   /* *ln */
} PrintFn;

static const PrintFn print_fns[] = {
    {"print", PR_PLAIN, false, false},   {"println", PR_PLAIN, false, true},
    {"sprint", PR_PLAIN, true, false},   {"sprintln", PR_PLAIN, true, true},
    {"printf", PR_FORMAT, false, false}, {"sprintf", PR_FORMAT, true, false},
    {"printd", PR_DELIM, false, false},  {"printdln", PR_DELIM, false, true},
    {"sprintd", PR_DELIM, true, false},  {"sprintdln", PR_DELIM, true, true},
};

static const PrintFn *find_print(const char *name) {
  for (size_t k = 0; k < sizeof print_fns / sizeof print_fns[0]; k++)
    if (!strcmp(name, print_fns[k].name)) return &print_fns[k];
  return NULL;
}

bool lower_is_print(const char *name) { return name && find_print(name) != NULL; }

/* Literal text in a format: '%' is doubled. */
static void put_literal(StrBuf *f, const char *s, size_t n) {
  for (size_t k = 0; k < n; k++) {
    if (s[k] == '%') sb_putc(f, '%');
    sb_putc(f, s[k]);
  }
}

/* An argument that can go into the format as text: a number, or a string
 * without NUL bytes (the runtime's format is C text). */
static bool literal_arg(const AstExpr *a) {
  return !a->ncomps && (a->kind == EX_NUM || (a->kind == EX_STR && !memchr(a->str, 0, a->str_len)));
}

typedef struct PrintArgs {
  IrInst **v;
  int n;
} PrintArgs;

static void put_arg(Lower *L, StrBuf *f, PrintArgs *out, const AstExpr *a) {
  if (literal_arg(a)) {
    if (a->kind == EX_NUM)
      sb_printf(f, "%lld", (long long)a->num);
    else
      put_literal(f, a->str, a->str_len);
    return;
  }
  IrInst *v = lower_expr(L, a); /* a histogram is its text, HIST_STR */
  if (!v) return; /* a void argument: elaboration reported it */
  sb_puts(f, v->type == IR_STR ? "%s" : "%d");
  out->v[out->n++] = v;
}

/* The delimiter or format: a literal string, else an error at it. */
static const AstExpr *literal_string(Lower *L, const AstExpr *e, const char *what) {
  const AstExpr *a = e->nargs ? e->args[0] : NULL;
  if (a && a->kind == EX_STR) return a;
  diag_error(L->diag, a ? a->loc : e->loc, "the %s of '%s' must be a literal string", what, e->name);
  return NULL;
}

IrInst *lower_print_call(Lower *L, const AstExpr *e) {
  const PrintFn *p = find_print(e->name);
  SUP_ASSERT(p != NULL);
  StrBuf f = {0};
  PrintArgs args = {arena_alloc(L->a, sizeof(IrInst *) * (size_t)(e->nargs + 1)), 0};
  if (p->kind == PR_FORMAT) {
    const AstExpr *fmt = literal_string(L, e, "format");
    if (fmt) sb_putn(&f, fmt->str, fmt->str_len);
    for (int k = 1; k < e->nargs; k++) {
      IrInst *v = lower_expr(L, e->args[k]);
      if (v) args.v[args.n++] = v;
    }
  } else {
    const AstExpr *delim = p->kind == PR_DELIM ? literal_string(L, e, "delimiter") : NULL;
    int first = p->kind == PR_DELIM ? 1 : 0;
    for (int k = first; k < e->nargs; k++) {
      if (k > first && delim) put_literal(&f, delim->str, delim->str_len);
      put_arg(L, &f, &args, e->args[k]);
    }
    /* println/sprintln of a histogram add no newline: stap 4.8 emits the
     * same _stp_stat_print_histogram call for print and println (stap -p3). */
    bool hist = e->nargs == 1 && e->args[0]->kind == EX_HIST;
    if (p->newline && !hist) sb_putc(&f, '\n');
  }
  int id = ir_format_intern(L->m, sb_str(&f), f.len);
  sb_free(&f);
  IrInst *i = lower_emit(L, p->to_string ? IR_SPRINTF : IR_PRINTF, p->to_string ? IR_STR : IR_VOID, args.v,
                         args.n, e->loc);
  i->aux = L->m->formats[id];
  return p->to_string ? i : NULL;
}

/* ---- histograms ---------------------------------------------------------------------*/

/* A literal number, possibly signed: hist parameters are fixed at compile time. */
static bool literal_number(const AstExpr *a, int64_t *out) {
  if (a->kind == EX_NUM) {
    *out = a->num;
    return true;
  }
  if (a->kind == EX_UNARY && (a->op == OP_NEG || a->op == OP_PLUS) && a->lhs->kind == EX_NUM) {
    *out = a->op == OP_NEG ? (int64_t)(0 - (uint64_t)a->lhs->num) : a->lhs->num;
    return true;
  }
  return false;
}

/* The index in g->hists of a histogram's parameters; -1 after an error. */
static int lower_hist_index(Lower *L, IrGlobal *g, const AstExpr *hist) {
  IrHist h = {.linear = hist->op == OP_HIST_LINEAR};
  if (h.linear) {
    static const char *const what[] = {"low bound", "high bound", "bucket width"};
    int64_t v[3] = {0, 0, 0};
    bool ok = hist->nargs == 3;
    for (int k = 0; k < hist->nargs && k < 3; k++)
      if (!literal_number(hist->args[k], &v[k])) {
        diag_error(L->diag, hist->args[k]->loc, "the %s of @hist_linear must be a literal number", what[k]);
        ok = false;
      }
    if (!ok) return -1;
    if (v[2] <= 0) {
      diag_error(L->diag, hist->args[2]->loc, "the bucket width of @hist_linear must be positive");
      return -1;
    }
    if (v[1] <= v[0]) {
      diag_error(L->diag, hist->args[1]->loc, "the high bound of @hist_linear must be above its low bound");
      return -1;
    }
    h.lo = v[0];
    h.hi = v[1];
    h.step = v[2];
  }
  for (int k = 0; k < g->nhists; k++) {
    const IrHist *o = &g->hists[k];
    if (o->linear == h.linear && o->lo == h.lo && o->hi == h.hi && o->step == h.step) return k;
  }
  g->hists = arena_realloc(L->a, g->hists, sizeof(IrHist) * (size_t)g->nhists,
                           sizeof(IrHist) * (size_t)(g->nhists + 1));
  g->hists[g->nhists] = h;
  return g->nhists++;
}

bool lower_hist_operand(Lower *L, const AstExpr *e, LowerHist *h) {
  if (!lower_stat_operand(L, e->lhs, &h->g, &h->keys, &h->nkeys)) return false;
  h->idx = lower_hist_index(L, h->g, e);
  if (h->idx < 0) return false;
  const IrHist *ih = &h->g->hists[h->idx];
  RtStatDesc d;
  RtErr err = {0};
  if (rt_stat_desc_init(&d, ih->linear ? RT_HIST_LINEAR : RT_HIST_LOG, ih->lo, ih->hi, ih->step, 0, &err)) {
    diag_error(L->diag, e->loc, "%s", err.msg);
    return false;
  }
  h->nbuckets = d.nbuckets;
  return true;
}

IrInst *lower_hist_str(Lower *L, const AstExpr *e) {
  LowerHist h;
  if (!lower_hist_operand(L, e, &h)) return lower_const_str(L, "", 0, e->loc);
  IrInst *i = lower_emit(L, IR_HIST_STR, IR_STR, h.keys, h.nkeys, e->loc);
  i->g = h.g;
  i->imm = h.idx;
  return i;
}

IrInst *lower_hist_bucket(Lower *L, const AstExpr *e) {
  LowerHist h;
  bool ok = lower_hist_operand(L, e, &h);
  IrInst *n = lower_expr(L, e->rhs);
  if (!ok) return lower_const_i64(L, 0, e->loc);
  IrInst **args = arena_alloc(L->a, sizeof(IrInst *) * (size_t)(h.nkeys + 1));
  for (int k = 0; k < h.nkeys; k++) args[k] = h.keys[k];
  args[h.nkeys] = n;
  IrInst *i = lower_emit(L, IR_HIST_BUCKET, IR_I64, args, h.nkeys + 1, e->loc);
  i->g = h.g;
  i->imm = h.idx;
  return i;
}

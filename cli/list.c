/* list.c: stap's -l PROBE and -L PROBE.
 *
 * The driver has run passes 1 and 2 on "probe PROBE {}"; the front end
 * names each derived probe (fe_list_probes: an alias's name and the user's
 * suffix, or the concrete point with its flags).  What the front end leaves
 * to the backend is resolved here against the running kernel, so that a
 * listed point is one that exists:
 *   kernel.trace("SYS:EVENT")   globs over tracefs's available_events;
 *                               -L: the format file's fields but common_*,
 *                               as $name:type (the $field code reads those)
 *   kernel.function("F"), module("M").function("F"),
 *   kprobe.function("F"), kprobe.module("M").function("F")
 *                               functions that BTF describes and kallsyms has
 *                               as text (kbtf.h); -L: the parameters of
 *                               kernel/module functions, with $return first
 *                               on .return, as stap orders them; kprobe.*
 *                               points have no target variables (dwarfless,
 *                               as in stap)
 *   any other family            printed back as elaborated ("begin(16)" for
 *                               begin(0x10)); a '*' in one of its string
 *                               arguments is an error: nothing here could
 *                               expand it
 * -L puts the script variables first (name:type), then the target ones.
 * Types are spelt as stap -L spells them (kbtf_type_name, kbtf_ctext_name).
 * Lines are sorted bytewise and printed once each, like stap's set of
 * strings.  Points that match nothing are silent (stap suppresses errors in
 * listing mode); what keeps the listing from looking at all (no tracefs, no
 * BTF, a source file in a kernel.function pattern) is a diagnostic.
 */
#include "bpfload.h"
#include "cli.h"
#include "frontend.h"
#include "kbtf.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef enum Family { FAM_OTHER, FAM_TRACE, FAM_KFUNC, FAM_KPROBE } Family;

typedef struct Lister {
  FeSession *s;
  bool vars; /* -L */
  int verbose;
  char **lines; /* malloc'd */
  size_t n, cap;
  char **events;   /* "SYS:EVENT" of every tracepoint, sorted, read once: tracefs takes
                      milliseconds per read of available_events, and syscall.* makes
                      hundreds of kernel.trace points */
  int nevents;     /* -1 before the first read, -errno when it failed */
  Kbtf *kbtf;      /* opened for the first function point */
  int kbtf_rc;     /* its failure, reported once */
  StrBuf reported; /* messages given, one per line, so each is given once */
  bool failed;
} Lister;

/* The parts of a point of a function family: which components hold the
 * module and function patterns, and where the suffix starts. */
typedef struct FnPoint {
  Family fam;
  int mod; /* component with module("M"), or -1 */
  int fn;  /* component with function("F") */
} FnPoint;

/* ---- output ------------------------------------------------------------------ */

static void add_line(Lister *L, const char *text) {
  if (L->n == L->cap) {
    size_t cap = L->cap ? L->cap * 2 : 64;
    char **nv = realloc(L->lines, cap * sizeof *nv);
    SUP_ASSERT(nv); /* out of memory: as the StrBufs building the lines */
    L->lines = nv;
    L->cap = cap;
  }
  L->lines[L->n] = strdup(text);
  SUP_ASSERT(L->lines[L->n]);
  L->n++;
}

static int cmp_line(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Sorted, each once; returns how many were printed. */
static size_t print_lines(Lister *L) {
  if (L->n) qsort(L->lines, L->n, sizeof *L->lines, cmp_line);
  size_t printed = 0;
  for (size_t i = 0; i < L->n; i++) {
    if (i && !strcmp(L->lines[i], L->lines[i - 1])) continue;
    puts(L->lines[i]);
    printed++;
  }
  return printed;
}

static void report(Lister *L, SrcLoc loc, bool error, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void report(Lister *L, SrcLoc loc, bool error, const char *fmt, ...) {
  char msg[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (error) L->failed = true;
  if (!error && L->verbose < 2) return; /* why a point matched nothing: -vv, as stap */
  char key[1100];
  snprintf(key, sizeof key, "\n%s\n", msg);
  if (strstr(sb_str(&L->reported), key)) return;
  sb_puts(&L->reported, key + (L->reported.len ? 1 : 0));
  if (error)
    diag_error(&L->s->diag, loc, "%s", msg);
  else
    diag_note(&L->s->diag, loc, "%s", msg);
}

/* ---- heads ---------------------------------------------------------------------- */

/* What the line starts with: the alias name, or the point with each
 * component k whose args[k] is set given that string argument instead. */
static void put_head(StrBuf *b, const FeListed *it, const char *const *args) {
  if (it->alias_name) {
    fe_print_probe_point(b, it->alias_name);
    return;
  }
  const AstProbePoint *pt = it->probe->point;
  AstPpComp comps[16];
  AstExpr strs[16];
  AstProbePoint copy = *pt;
  if (args && pt->ncomps <= 16) {
    for (int k = 0; k < pt->ncomps; k++) {
      comps[k] = pt->comps[k];
      if (!args[k]) continue;
      strs[k] =
          (AstExpr){.kind = EX_STR, .str = args[k], .str_len = strlen(args[k]), .loc = pt->comps[k].loc};
      comps[k].arg = &strs[k];
    }
    copy.comps = comps;
  }
  fe_print_probe_point(b, &copy);
}

static void put_script_vars(const Lister *L, StrBuf *b, const FeListed *it) {
  if (!L->vars) return;
  for (int k = 0; k < it->nvars; k++)
    sb_printf(b, " %s:%s", it->vars[k]->name, ast_type_name(it->vars[k]->type));
}

static const char *str_arg(const AstProbePoint *pt, int k) {
  const AstExpr *a = k >= 0 && k < pt->ncomps ? pt->comps[k].arg : NULL;
  return a && a->kind == EX_STR ? a->str : NULL;
}

static SrcLoc arg_loc(const AstProbePoint *pt, int k) {
  return k >= 0 && k < pt->ncomps && pt->comps[k].arg ? pt->comps[k].arg->loc : pt->loc;
}

/* ---- kernel.trace ------------------------------------------------------------------- */

typedef struct TraceCtx {
  Lister *L;
  const FeListed *it;
} TraceCtx;

/* The C declaration's dimensions: "[16]", "[]" (dynamic or flexible), "". */
static const char *field_dims(const TfsField *f, char *buf, size_t len) {
  buf[0] = '\0';
  if (f->data_loc)
    snprintf(buf, len, "%s", strstr(f->type, "[]") ? "[]" : "");
  else if (f->array_len > 0)
    snprintf(buf, len, "[%d]", f->array_len);
  else if (!f->is_pointer && f->size == 0)
    snprintf(buf, len, "[]");
  return buf;
}

static void put_trace_vars(TraceCtx *c, StrBuf *b, const char *sys, const char *ev) {
  TfsEvent *e;
  char err[512], dims[32], type[KBTF_TYPE_MAX];
  if (tfs_event_load(sys, ev, &e, err, sizeof err) != 0) {
    report(c->L, c->it->probe->point->loc, true, "cannot list the fields of %s:%s: %s", sys, ev, err);
    return;
  }
  for (int k = 0; k < e->nfields; k++) {
    const TfsField *f = &e->fields[k];
    if (f->common) continue;
    sb_printf(b, " $%s:%s", f->name,
              kbtf_ctext_name(f->type, field_dims(f, dims, sizeof dims), type, sizeof type));
  }
  tfs_event_free(e);
}

static int trace_one(void *ctx, const char *sys, const char *ev) {
  TraceCtx *c = ctx;
  char name[512];
  snprintf(name, sizeof name, "%s:%s", sys, ev);
  const char *args[16] = {0};
  args[1] = name;
  StrBuf b = {0};
  put_head(&b, c->it, args);
  put_script_vars(c->L, &b, c->it);
  if (c->L->vars) put_trace_vars(c, &b, sys, ev);
  add_line(c->L, sb_str(&b));
  sb_free(&b);
  return 0;
}

static int collect_event(void *ctx, const char *sys, const char *ev) {
  Lister *L = ctx;
  char **nv = realloc(L->events, (size_t)(L->nevents + 1) * sizeof *nv);
  SUP_ASSERT(nv);
  L->events = nv;
  size_t n = strlen(sys) + strlen(ev) + 2;
  SUP_ASSERT((nv[L->nevents] = malloc(n)));
  snprintf(nv[L->nevents++], n, "%s:%s", sys, ev);
  return 0;
}

/* tfs_event_glob's walk over the events read once: pattern is "SYS:EVENT"
 * with globs in either part, or "EVENT" for any system.  Returns the count
 * passed to fn, -EINVAL for an empty part, or the read's -errno. */
static int glob_events(Lister *L, const char *pattern, TraceCtx *c) {
  if (L->nevents == -1) {
    L->nevents = 0;
    int rc = tfs_event_glob("*", collect_event, L);
    if (rc < 0) L->nevents = rc;
  }
  if (L->nevents < 0) return L->nevents;
  const char *colon = strchr(pattern, ':');
  if (!*pattern || colon == pattern || (colon && !colon[1])) return -EINVAL;
  char sys_pat[256];
  snprintf(sys_pat, sizeof sys_pat, "%.*s", colon ? (int)(colon - pattern) : 1, colon ? pattern : "*");
  const char *ev_pat = colon ? colon + 1 : pattern;
  int n = 0;
  for (int i = 0; i < L->nevents; i++) {
    char *ev = strchr(L->events[i], ':');
    *ev = '\0';
    if (!fnmatch(sys_pat, L->events[i], 0) && !fnmatch(ev_pat, ev + 1, 0)) {
      trace_one(c, L->events[i], ev + 1);
      n++;
    }
    *ev = ':';
  }
  return n;
}

static void list_trace(Lister *L, const FeListed *it) {
  const AstProbePoint *pt = it->probe->point;
  const char *pat = str_arg(pt, 1);
  TraceCtx c = {L, it};
  int rc = pat ? glob_events(L, pat, &c) : -EINVAL;
  if (rc == -EINVAL)
    report(L, arg_loc(pt, 1), false, "'%s' is not a tracepoint pattern (SYSTEM:EVENT or EVENT)",
           pat ? pat : "");
  else if (rc < 0)
    report(L, arg_loc(pt, 1), true, "cannot list kernel.trace points: cannot read tracefs: %s%s",
           strerror(-rc), rc == -EPERM || rc == -EACCES ? " (root can)" : "");
  else if (rc == 0)
    report(L, arg_loc(pt, 1), false, "no tracepoint matches '%s'", pat);
}

/* ---- kernel.function and kprobe.function --------------------------------------------- */

typedef struct FuncCtx {
  Lister *L;
  const FeListed *it;
  FnPoint fp;
  bool ret; /* .return: -L shows $return */
} FuncCtx;

static void put_func_vars(FuncCtx *c, StrBuf *b, const KbtfFunc *f) {
  char type[KBTF_TYPE_MAX];
  uint32_t rt = kbtf_func_return(f);
  if (c->ret && rt) sb_printf(b, " $return:%s", kbtf_type_name(f->btf, rt, type, sizeof type));
  int n = kbtf_func_nparams(f);
  for (int i = 0; i < n; i++) {
    uint32_t t;
    const char *name = kbtf_func_param(f, i, &t);
    if (*name) sb_printf(b, " $%s:%s", name, kbtf_type_name(f->btf, t, type, sizeof type));
  }
}

static int func_one(void *ctx, const KbtfFunc *f) {
  FuncCtx *c = ctx;
  const char *args[16] = {0};
  args[c->fp.fn] = f->name;
  if (c->fp.mod >= 0) args[c->fp.mod] = f->module;
  StrBuf b = {0};
  put_head(&b, c->it, args);
  put_script_vars(c->L, &b, c->it);
  if (c->L->vars && c->fp.fam == FAM_KFUNC) put_func_vars(c, &b, f);
  add_line(c->L, sb_str(&b));
  sb_free(&b);
  return 0;
}

/* The suffixes BTF can answer: none, .call, .return[.maxactive(N)].  The
 * others need what only DWARF knows; say so rather than list wrongly. */
static const char *suffix_problem(const AstProbePoint *pt, int from) {
  for (int k = from; k < pt->ncomps; k++) {
    const char *n = pt->comps[k].name;
    if (!strcmp(n, "call") || !strcmp(n, "return") || !strcmp(n, "maxactive")) continue;
    if (!strcmp(n, "inline")) return "which functions were inlined where";
    if (!strcmp(n, "exported")) return "which functions are exported";
    if (!strcmp(n, "label")) return "the labels inside functions";
    if (!strcmp(n, "callee") || !strcmp(n, "callees")) return "the calls inside functions";
    return "what this suffix selects";
  }
  return NULL;
}

static bool kbtf_ready(Lister *L, SrcLoc loc) {
  if (L->kbtf) return true;
  if (L->kbtf_rc) return false;
  char err[512];
  L->kbtf_rc = kbtf_open(&L->kbtf, err, sizeof err);
  if (L->kbtf_rc) report(L, loc, true, "cannot list kernel functions: %s", err);
  return L->kbtf_rc == 0;
}

static void list_funcs_in(FuncCtx *c, const char *module, const char *pat) {
  Lister *L = c->L;
  const AstProbePoint *pt = c->it->probe->point;
  char err[512] = "";
  int rc = kbtf_func_glob(L->kbtf, module, pat, func_one, c, err, sizeof err);
  if (rc == -ENOENT && module) /* no such module loaded: it matches nothing */
    report(L, arg_loc(pt, c->fp.mod), false, "%s", err);
  else if (rc < 0)
    report(L, arg_loc(pt, c->fp.fn), true, "cannot list kernel functions: %s", err);
  else if (rc == 0)
    report(L, arg_loc(pt, c->fp.fn), false, "no function in %s matches '%s'", module ? module : "the kernel",
           pat);
}

typedef struct ModCtx {
  FuncCtx *c;
  const char *pat;
} ModCtx;

static int module_one(void *ctx, const char *name) {
  ModCtx *m = ctx;
  list_funcs_in(m->c, name, m->pat);
  return 0;
}

static void list_funcs(Lister *L, const FeListed *it, FnPoint fp) {
  const AstProbePoint *pt = it->probe->point;
  const char *pat = str_arg(pt, fp.fn), *mod = fp.mod >= 0 ? str_arg(pt, fp.mod) : NULL;
  if (!pat || (fp.mod >= 0 && !mod)) return;
  if (strchr(pat, '@')) {
    report(L, arg_loc(pt, fp.fn), true,
           "cannot list '%s': stapjit finds kernel functions in BTF, which records no source files; "
           "drop the '@%s' part",
           pat, strchr(pat, '@') + 1);
    return;
  }
  const char *why = suffix_problem(pt, fp.fn + 1);
  if (why) {
    report(L, arg_loc(pt, fp.fn), true,
           "cannot list '%s' points: BTF, where stapjit finds kernel functions, does not tell %s",
           it->probe->pp, why);
    return;
  }
  if (!kbtf_ready(L, arg_loc(pt, fp.fn))) return;
  FuncCtx c = {L, it, fp, false};
  for (int k = fp.fn + 1; k < pt->ncomps; k++) c.ret |= !strcmp(pt->comps[k].name, "return");
  if (!mod) {
    list_funcs_in(&c, NULL, pat);
    return;
  }
  ModCtx m = {&c, pat};
  int rc = kbtf_module_glob(mod, module_one, &m);
  if (rc < 0)
    report(L, arg_loc(pt, fp.mod), true, "cannot list kernel modules: /sys/kernel/btf: %s", strerror(-rc));
  else if (rc == 0)
    report(L, arg_loc(pt, fp.mod), false, "no module with BTF matches '%s'", mod);
}

/* ---- the rest ---------------------------------------------------------------------------- */

static bool comp_is(const AstProbePoint *pt, int k, const char *name) {
  return k < pt->ncomps && !strcmp(pt->comps[k].name, name);
}

static FnPoint classify(const AstProbePoint *pt) {
  FnPoint fp = {FAM_OTHER, -1, -1};
  if (comp_is(pt, 0, "kernel") && comp_is(pt, 1, "trace"))
    fp.fam = FAM_TRACE;
  else if (comp_is(pt, 0, "kernel") && comp_is(pt, 1, "function"))
    fp = (FnPoint){FAM_KFUNC, -1, 1};
  else if (comp_is(pt, 0, "module") && comp_is(pt, 1, "function"))
    fp = (FnPoint){FAM_KFUNC, 0, 1};
  else if (comp_is(pt, 0, "kprobe") && comp_is(pt, 1, "function"))
    fp = (FnPoint){FAM_KPROBE, -1, 1};
  else if (comp_is(pt, 0, "kprobe") && comp_is(pt, 1, "module") && comp_is(pt, 2, "function"))
    fp = (FnPoint){FAM_KPROBE, 1, 2};
  return fp;
}

static void list_other(Lister *L, const FeListed *it) {
  const AstProbePoint *pt = it->probe->point;
  for (int k = 0; k < pt->ncomps; k++) {
    const char *a = str_arg(pt, k);
    if (a && strchr(a, '*')) {
      report(L, arg_loc(pt, k), true,
             "cannot list the points that '%s' matches: stapjit does not expand "
             "patterns in %s(...) yet",
             it->probe->pp, pt->comps[k].name);
      return;
    }
  }
  StrBuf b = {0};
  put_head(&b, it, NULL);
  put_script_vars(L, &b, it);
  add_line(L, sb_str(&b));
  sb_free(&b);
}

int cli_list(FeSession *s, const CliOptions *o) {
  Lister L = {.s = s, .vars = o->list == CLI_LIST_VARS, .verbose = o->verbose, .nevents = -1};
  const FeListed *v;
  int n = fe_list_probes(s, &v);
  for (int i = 0; i < n; i++) {
    FnPoint fp = classify(v[i].probe->point);
    switch (fp.fam) {
    case FAM_TRACE: list_trace(&L, &v[i]); break;
    case FAM_KFUNC:
    case FAM_KPROBE: list_funcs(&L, &v[i], fp); break;
    default: list_other(&L, &v[i]); break;
    }
  }
  size_t printed = print_lines(&L);
  for (size_t i = 0; i < L.n; i++) free(L.lines[i]);
  free(L.lines);
  for (int i = 0; i < L.nevents; i++) free(L.events[i]);
  free(L.events);
  kbtf_close(L.kbtf);
  sb_free(&L.reported);
  return printed && !L.failed ? 0 : -1;
}

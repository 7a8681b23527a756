/* roundtrip.c: parse -> print -> parse -> print must be a fixed point.
 *
 * For every .stp file under the given roots: parse it, print it with
 * fe_print_file (-p1), parse that text, print again.  The two printed texts
 * must be identical, and the two trees equal, compared field by field,
 * ignoring locations, the paren flag and everything elaboration fills in.
 * So the printer loses nothing the parser records, and its output is valid
 * input.  Reports counts, and for each failure the first differing line or
 * the first differing tree field.
 *
 *   test_roundtrip [--user DIR]... [--tapset DIR]... [--corpus DIR]...
 *
 * --user: scripts (files that do not parse at all, e.g. negative tests, are
 * listed and skipped); --tapset: library files, with the dir's .stpm macros
 * loaded first, and each must parse; --corpus: the same for SystemTap's own
 * library, which must exist (systemtap-common).
 */
#include "frontend.h"
#include "../unit/paths.h"

#include <dirent.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- tree comparison --------------------------------------------------------*/

/* The first difference: a path like "probe 2 > body > stmt 1 > rhs" and what
 * differs.  Comparisons stop at the first one. */
static char why[2048];
static struct {
  const char *what;
  int k; /* index, or -1 */
} trail[512];
static int ntrail;

static bool differ(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static bool differ(const char *fmt, ...) {
  if (why[0]) return false;
  size_t n = 0;
  for (int k = 0; k < ntrail && n < sizeof why; k++) {
    n += (size_t)snprintf(why + n, sizeof why - n, "%s%s", k ? " > " : "", trail[k].what);
    if (trail[k].k >= 0 && n < sizeof why) n += (size_t)snprintf(why + n, sizeof why - n, " %d", trail[k].k);
  }
  if (n < sizeof why) n += (size_t)snprintf(why + n, sizeof why - n, ": ");
  va_list ap;
  va_start(ap, fmt);
  if (n < sizeof why) vsnprintf(why + n, sizeof why - n, fmt, ap);
  va_end(ap);
  return false;
}

/* IN("lhs", cmp(...)) and INK("stmt", k, cmp(...)) run a comparison one step
 * down the trail. */
#define INK(label, idx, call)                                                                                \
  (trail[ntrail].what = (label), trail[ntrail].k = (idx), ntrail++, cmp_ok = (call), ntrail--, cmp_ok)
#define IN(label, call) INK(label, -1, call)
static bool cmp_ok;

static bool str_eq(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

static bool cmp_str_field(const char *what, const char *a, const char *b) {
  if (str_eq(a, b)) return true;
  return differ("%s \"%s\" vs \"%s\"", what, a ? a : "(null)", b ? b : "(null)");
}

#define CMP_INT(what, a, b)                                                                                  \
  do {                                                                                                       \
    if ((long long)(a) != (long long)(b)) return differ("%s %lld vs %lld", what, (long long)(a), (long long)(b)); \
  } while (0)

static bool cmp_expr(const AstExpr *a, const AstExpr *b);
static bool cmp_stmt(const AstStmt *a, const AstStmt *b);

static bool cmp_exprs(const char *what, AstExpr *const *a, int na, AstExpr *const *b, int nb) {
  CMP_INT(what, na, nb);
  for (int k = 0; k < na; k++)
    if (!INK(what, k, cmp_expr(a ? a[k] : NULL, b ? b[k] : NULL))) return false;
  return true;
}

static bool cmp_expr(const AstExpr *a, const AstExpr *b) {
  if (!a || !b) return a == b ? true : differ("%s vs %s", a ? "expression" : "nothing", b ? "expression" : "nothing");
  CMP_INT("kind", a->kind, b->kind);
  CMP_INT("op", a->op, b->op);
  CMP_INT("num", a->num, b->num);
  if (a->kind == EX_STR) {
    if (a->str_len != b->str_len || (a->str_len && memcmp(a->str, b->str, a->str_len)))
      return differ("string bytes differ (%zu vs %zu bytes)", a->str_len, b->str_len);
    if (!cmp_str_field("raw", a->raw, b->raw)) return false;
  } else if (!cmp_str_field("str", a->str, b->str)) {
    return false;
  }
  if (!cmp_str_field("name", a->name, b->name) || !cmp_str_field("module", a->module, b->module)) return false;
  if (!IN("lhs", cmp_expr(a->lhs, b->lhs)) || !IN("rhs", cmp_expr(a->rhs, b->rhs)) ||
      !IN("cond", cmp_expr(a->cond, b->cond)))
    return false;
  if (!cmp_exprs("arg", a->args, a->nargs, b->args, b->nargs)) return false;
  CMP_INT("ncomps", a->ncomps, b->ncomps);
  for (int k = 0; k < a->ncomps; k++) {
    const AstComp *x = &a->comps[k], *y = &b->comps[k];
    CMP_INT("comp kind", x->kind, y->kind);
    if (!cmp_str_field("field", x->field, y->field)) return false;
    if (!INK("comp", k, cmp_expr(x->index, y->index))) return false;
  }
  CMP_INT("suffix", a->suffix, b->suffix);
  CMP_INT("addr", a->addr, b->addr);
  return true;
}

static bool cmp_foreach(const AstForeach *a, const AstForeach *b) {
  if (!a || !b) return a == b ? true : differ("foreach data missing");
  if (!IN("value", cmp_expr(a->value, b->value))) return false;
  if (!cmp_exprs("key", a->keys, a->nkeys, b->keys, b->nkeys)) return false;
  CMP_INT("sort_col", a->sort_col, b->sort_col);
  CMP_INT("sort_dir", a->sort_dir, b->sort_dir);
  CMP_INT("sort_aggr", a->sort_aggr, b->sort_aggr);
  if (!IN("array", cmp_expr(a->array, b->array))) return false;
  CMP_INT("has_slice", a->has_slice, b->has_slice);
  if (!cmp_exprs("slice", a->slice, a->nslice, b->slice, b->nslice)) return false;
  return IN("limit", cmp_expr(a->limit, b->limit));
}

static bool cmp_stmt(const AstStmt *a, const AstStmt *b) {
  if (!a || !b) return a == b ? true : differ("%s vs %s", a ? "statement" : "nothing", b ? "statement" : "nothing");
  CMP_INT("statement kind", a->kind, b->kind);
  CMP_INT("nbody", a->nbody, b->nbody);
  for (int k = 0; k < a->nbody; k++)
    if (!INK("stmt", k, cmp_stmt(a->body[k], b->body[k]))) return false;
  if (!IN("expr", cmp_expr(a->expr, b->expr)) || !IN("cond", cmp_expr(a->cond, b->cond)) ||
      !IN("step", cmp_expr(a->step, b->step)) || !IN("then", cmp_stmt(a->then, b->then)) ||
      !IN("else", cmp_stmt(a->els, b->els)) || !IN("foreach", cmp_foreach(a->fe, b->fe)) ||
      !IN("catch var", cmp_expr(a->catch_var, b->catch_var)))
    return false;
  return cmp_str_field("code", a->code, b->code);
}

static bool cmp_point(const AstProbePoint *a, const AstProbePoint *b) {
  CMP_INT("ncomps", a->ncomps, b->ncomps);
  for (int k = 0; k < a->ncomps; k++) {
    if (!cmp_str_field("component", a->comps[k].name, b->comps[k].name)) return false;
    if (!INK("arg of component", k, cmp_expr(a->comps[k].arg, b->comps[k].arg))) return false;
  }
  CMP_INT("optional", a->optional, b->optional);
  CMP_INT("sufficient", a->sufficient, b->sufficient);
  return IN("condition", cmp_expr(a->cond, b->cond));
}

static bool cmp_points(const char *what, AstProbePoint *const *a, int na, AstProbePoint *const *b, int nb) {
  CMP_INT(what, na, nb);
  for (int k = 0; k < na; k++)
    if (!INK(what, k, cmp_point(a[k], b[k]))) return false;
  return true;
}

static bool cmp_probe(const AstProbe *a, const AstProbe *b) {
  CMP_INT("is_private", a->is_private, b->is_private);
  CMP_INT("is_alias", a->is_alias, b->is_alias);
  CMP_INT("epilogue", a->epilogue, b->epilogue);
  if (!cmp_points("alias name", a->alias_names, a->nalias_names, b->alias_names, b->nalias_names)) return false;
  if (!cmp_points("point", a->points, a->npoints, b->points, b->npoints)) return false;
  return IN("body", cmp_stmt(a->body, b->body)) && IN("epilogue body", cmp_stmt(a->epi_body, b->epi_body));
}

static bool cmp_global(const AstSym *a, const AstSym *b) {
  if (!cmp_str_field("name", a->name, b->name)) return false;
  CMP_INT("maxsize", a->maxsize, b->maxsize);
  CMP_INT("wrap", a->wrap, b->wrap);
  CMP_INT("is_private", a->is_private, b->is_private);
  return IN("init", cmp_expr(a->init, b->init));
}

static bool cmp_func(const AstFunc *a, const AstFunc *b) {
  if (!cmp_str_field("name", a->name, b->name)) return false;
  CMP_INT("ret_declared", a->ret_declared, b->ret_declared);
  if (a->ret_declared) CMP_INT("ret", a->ret, b->ret);
  CMP_INT("nparams", a->nparams, b->nparams);
  for (int k = 0; k < a->nparams; k++) {
    if (!cmp_str_field("param", a->params[k].name, b->params[k].name)) return false;
    CMP_INT("param type", a->params[k].type, b->params[k].type);
  }
  CMP_INT("embedded", a->embedded, b->embedded);
  CMP_INT("pragmas", a->pragmas, b->pragmas);
  CMP_INT("is_private", a->is_private, b->is_private);
  CMP_INT("priority", a->priority, b->priority);
  return IN("body", cmp_stmt(a->body, b->body));
}

static bool cmp_file(const AstFile *a, const AstFile *b) {
  why[0] = 0;
  ntrail = 0;
  CMP_INT("globals", a->globals.n, b->globals.n);
  for (int k = 0; k < a->globals.n; k++)
    if (!INK("global", k, cmp_global(a->globals.items[k], b->globals.items[k]))) return false;
  CMP_INT("functions", a->funcs.n, b->funcs.n);
  for (int k = 0; k < a->funcs.n; k++)
    if (!INK("function", k,
            cmp_func(a->funcs.items[k], b->funcs.items[k])))
      return false;
  CMP_INT("probes", a->probes.n, b->probes.n);
  for (int k = 0; k < a->probes.n; k++)
    if (!INK("probe", k, cmp_probe(a->probes.items[k], b->probes.items[k]))) return false;
  CMP_INT("aliases", a->aliases.n, b->aliases.n);
  for (int k = 0; k < a->aliases.n; k++)
    if (!INK("alias", k, cmp_probe(a->aliases.items[k], b->aliases.items[k]))) return false;
  CMP_INT("embeds", a->embeds.n, b->embeds.n);
  for (int k = 0; k < a->embeds.n; k++)
    if (!INK("embed", k, cmp_str_field("code", ((AstEmbed *)a->embeds.items[k])->code,
                                        ((AstEmbed *)b->embeds.items[k])->code)))
      return false;
  return true;
}

/* ---- one file ---------------------------------------------------------------*/

static const char *const script_args[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9"};

/* The text fe_print_file writes (malloc'd). */
static char *print_file(const AstFile *f, size_t *len) {
  char *buf = NULL;
  FILE *mem = open_memstream(&buf, len);
  if (!mem) abort();
  fe_print_file(mem, f);
  fclose(mem);
  return buf;
}

/* Line `line` (1-based) of text, for messages. */
static void show_line(const char *label, const char *text, uint32_t line) {
  const char *p = text;
  for (uint32_t k = 1; k < line && p; k++) {
    p = strchr(p, '\n');
    if (p) p++;
  }
  if (!p) return;
  const char *e = strchr(p, '\n');
  printf("    %s line %u: %.*s\n", label, line, (int)(e ? e - p : (long)strlen(p)), p);
}

static void show_first_difference(const char *a, const char *b) {
  uint32_t line = 1;
  size_t k = 0;
  for (; a[k] && a[k] == b[k]; k++)
    if (a[k] == '\n') line++;
  printf("  the two printed texts differ first at line %u:\n", line);
  show_line("first print ", a, line);
  show_line("second print", b, line);
}

static void show_diags(const FeSession *s, const Diag *after, const char *text) {
  int shown = 0;
  for (const Diag *g = after ? after->next : s->diag.head; g && shown < 5; g = g->next, shown++) {
    printf("    %u:%u: %s\n", g->loc.line, g->loc.col, g->msg);
    if (text) show_line("printed", text, g->loc.line);
  }
}

typedef enum Outcome { RT_PASS, RT_FAIL, RT_SKIP } Outcome;

static Outcome roundtrip_one(const char *path, bool tapset, const Paths *macros) {
  FeOptions o = {.sz = sizeof o,
                 .arch = "x86_64",
                 .runtime = "kernel",
                 .kernel_release = "6.1.0-28-amd64",
                 .args = script_args,
                 .nargs = 9};
  FeSession *s = fe_session_new(&o);
  Outcome r = RT_FAIL;
  char *t1 = NULL, *t2 = NULL;
  for (int k = 0; macros && k < macros->n; k++) fe_load_macro_file(s, macros->v[k]);
  uint32_t id = srcset_read(&s->src, path, tapset);
  AstFile *f1 = id ? fe_parse(s, id, tapset) : NULL;
  if (!f1) {
    if (!tapset) {
      r = RT_SKIP;
    } else {
      printf("FAIL %s: does not parse\n", path);
      show_diags(s, NULL, NULL);
    }
    goto out;
  }
  size_t n1, n2;
  t1 = print_file(f1, &n1);
  const Diag *mark = s->diag.tail;
  /* same name: the printer's "# file" header must come out the same */
  AstFile *f2 = fe_parse(s, srcset_add(&s->src, path, t1, n1, tapset), tapset);
  if (!f2) {
    printf("FAIL %s: the printed text does not parse:\n", path);
    show_diags(s, mark, t1);
    goto out;
  }
  t2 = print_file(f2, &n2);
  if (n1 != n2 || memcmp(t1, t2, n1)) {
    printf("FAIL %s: printing is not a fixed point\n", path);
    show_first_difference(t1, t2);
    goto out;
  }
  if (!cmp_file(f1, f2)) {
    printf("FAIL %s: the trees differ: %s\n", path, why);
    goto out;
  }
  r = RT_PASS;
out:
  free(t1);
  free(t2);
  fe_session_free(s);
  return r;
}

/* ---- driver -----------------------------------------------------------------*/

typedef struct Counts {
  int pass, fail, skip;
} Counts;

static void run_root(const char *dir, bool tapset, bool must_exist, Counts *c) {
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    if (must_exist) {
      printf("FAIL: %s is missing: systemtap-common is not installed (run scripts/setup.sh)\n", dir);
      c->fail++;
    } else {
      printf("note: %s does not exist; nothing to do there\n", dir);
    }
    return;
  }
  Paths files = collect_sorted(dir, ".stp");
  Paths macros = tapset ? collect_sorted(dir, ".stpm") : (Paths){0};
  Counts here = {0};
  for (int k = 0; k < files.n; k++) {
    Outcome o = roundtrip_one(files.v[k], tapset, &macros);
    if (o == RT_PASS) here.pass++;
    else if (o == RT_FAIL) here.fail++;
    else {
      here.skip++;
      printf("skip %s: does not parse (a negative test?)\n", files.v[k]);
    }
  }
  printf("%s: %d files, %d round-trip, %d fail, %d skipped\n", dir, files.n, here.pass, here.fail, here.skip);
  if (must_exist && files.n == 0) {
    printf("FAIL: no .stp files under %s\n", dir);
    here.fail++;
  }
  c->pass += here.pass;
  c->fail += here.fail;
  c->skip += here.skip;
  paths_free(&files);
  paths_free(&macros);
}

int main(int argc, char **argv) {
  Counts c = {0};
  for (int k = 1; k < argc; k++) {
    bool user = !strcmp(argv[k], "--user"), tap = !strcmp(argv[k], "--tapset"), corpus = !strcmp(argv[k], "--corpus");
    if ((!user && !tap && !corpus) || k + 1 >= argc) {
      fprintf(stderr, "usage: %s [--user DIR]... [--tapset DIR]... [--corpus DIR]...\n", argv[0]);
      return 2;
    }
    run_root(argv[++k], !user, corpus, &c);
  }
  printf("round trip: %d files pass, %d fail, %d skipped\n", c.pass, c.fail, c.skip);
  printf("%d passed, %d failed\n", c.pass, c.fail);
  return c.fail ? 1 : 0;
}

/* test_elab.c: what pass 2 decides that -p2 does not print.
 *
 * Library files pulled in (fe_library_files_used, AstFile.used, the embeds
 * that come with them), ElabProbe fields (pp, optional, the and-ed
 * condition), symbol flags (read/written/used), resolved calls and
 * expression types.  Scripts are elaborated against the test library whose
 * directory is argv[1].  Prints "N passed, N failed".
 */
#include "check.h"
#include "fe-test.h"

#include <stdlib.h>

static const char *libdir;

/* Parses the library and text, elaborates; returns the session (NULL-free). */
static FeSession *elab(const char *text, bool unopt) {
  FeOptions o = t_options();
  const char *dirs[] = {libdir};
  o.tapset_dir = "/nonexistent/stapjit-elab-tests";
  o.include_dirs = dirs;
  o.ninclude = 1;
  o.unoptimized = unopt;
  o.unused_warnings = true;
  FeSession *s = t_session(&o);
  CHECK_INT(fe_load_tapsets(s), 0);
  s->user = fe_parse(s, t_add(s, text), false);
  CHECK(s->user != NULL);
  return s;
}

static ElabProbe *probe_at(FeSession *s, int k) {
  return s->prog && k < s->prog->probes.n ? s->prog->probes.items[k] : NULL;
}

static AstSym *global_named(FeSession *s, const char *name) {
  for (int k = 0; s->prog && k < s->prog->globals.n; k++) {
    AstSym *g = s->prog->globals.items[k];
    if (!strcmp(g->name, name)) return g;
  }
  return NULL;
}

static AstFile *tapset_named(FeSession *s, const char *suffix) {
  for (int k = 0; k < s->tapsets.n; k++) {
    AstFile *f = s->tapsets.items[k];
    size_t n = strlen(f->path), m = strlen(suffix);
    if (n >= m && !strcmp(f->path + n - m, suffix)) return f;
  }
  return NULL;
}

/* Lazy loading: only files the script reaches count, transitively. */
static void test_library_use(void) {
  check_context = "library use";
  FeSession *s = elab("probe begin { println(1) }", false);
  CHECK_INT(fe_elaborate(s), 0);
  CHECK_INT(fe_library_files_used(s), 0);
  CHECK_INT(s->prog->files.n, 1);
  CHECK(s->prog->files.items[0] == s->user);
  fe_session_free(s);

  /* lib.start (aliases.stp) calls counter_add (counter.stp); lib.stop's log
   * is in logging.stp, whose top-level embed comes along. */
  s = elab("probe lib.start { println(libname) } probe lib.stop { println(2) }", false);
  CHECK_INT(fe_elaborate(s), 0);
  CHECK_INT(fe_library_files_used(s), 3);
  CHECK(tapset_named(s, "/aliases.stp")->used);
  CHECK(tapset_named(s, "/counter.stp")->used);
  CHECK(tapset_named(s, "/logging.stp")->used);
  CHECK(!tapset_named(s, "/unused.stp")->used);
  CHECK(!tapset_named(s, "/string.stp")->used);
  CHECK_INT(s->prog->embeds.n, 1);
  fe_session_free(s);

  /* a function reached only from an elided assignment does not count */
  s = elab("probe begin { x = strlen(\"abc\"); println(1) }", false);
  CHECK_INT(fe_elaborate(s), 0);
  CHECK_INT(fe_library_files_used(s), 0);
  CHECK_INT(s->prog->funcs.n, 0);
  fe_session_free(s);

  /* a global named by an embedded function's pragma comes with it */
  s = elab("probe begin { lib_hit(); println(lib_hits_read()) }", false);
  CHECK_INT(fe_elaborate(s), 0);
  CHECK_INT(fe_library_files_used(s), 1);
  AstSym *g = global_named(s, "lib_hits");
  CHECK(g && g->read && g->written && g->used);
  fe_session_free(s);
}

/* ElabProbe: concrete text, optional flag, conditions of every level. */
static void test_probe_fields(void) {
  check_context = "probe fields";
  FeSession *s = elab("global on, off\n"
                      "probe a = timer.ms(5) if (on) { x = 1 }\n"
                      "probe a? if (off) { println(x) }\n"
                      "probe end { on = 1; off = 2 }\n",
                      false);
  CHECK_INT(fe_elaborate(s), 0);
  ElabProbe *p = probe_at(s, 0);
  CHECK(p != NULL);
  if (p) {
    CHECK_STR(p->pp, "timer.ms(5)");
    CHECK_STR(p->derivation, "a = timer.ms(5) if (on) <- a? if (off)");
    CHECK(p->optional);
    CHECK(p->cond && p->cond->kind == EX_BINARY && p->cond->op == OP_LAND);
    if (p->cond && p->cond->lhs && p->cond->rhs) {
      CHECK_STR(p->cond->lhs->name, "on");
      CHECK_STR(p->cond->rhs->name, "off");
      CHECK(p->cond->rhs->sym == global_named(s, "off"));
      CHECK(p->point->cond == p->cond);
      CHECK_INT(p->cond->type, TY_LONG);
    }
    CHECK(p->origin == s->user->probes.items[0]);
  }
  p = probe_at(s, 1);
  CHECK(p && !p->optional && !p->cond);
  fe_session_free(s);
}

/* Symbols and calls are resolved; expression types are filled in. */
static void test_annotations(void) {
  check_context = "annotations";
  FeSession *s = elab("global g\n"
                      "function f(a, b) { return a . b }\n"
                      "probe begin { g = f(\"x\", \"y\"); n = 3; println(g, n + 1) }\n",
                      false);
  CHECK_INT(fe_elaborate(s), 0);
  ElabProbe *p = probe_at(s, 0);
  AstFunc *f = s->prog->funcs.n ? s->prog->funcs.items[0] : NULL;
  CHECK(f && f->used && f->ret == TY_STRING && f->nlocals == 2);
  if (f && f->nlocals == 2) CHECK(f->locals[0]->kind == SYM_PARAM && f->locals[0]->type == TY_STRING);
  CHECK(p && p->nlocals == 1);
  if (p && p->nlocals == 1) {
    CHECK_STR(p->locals[0]->name, "n");
    CHECK(p->locals[0]->read && p->locals[0]->written);
  }
  /* the first statement: g = f("x", "y") */
  AstStmt *body = p ? p->body : NULL; /* no alias: the user's block itself */
  AstExpr *as = body && body->nbody ? body->body[0]->expr : NULL;
  CHECK(as && as->kind == EX_ASSIGN && as->type == TY_STRING);
  if (as) {
    CHECK(as->lhs->sym == global_named(s, "g"));
    CHECK(as->rhs->func == f);
    CHECK_INT(as->rhs->type, TY_STRING);
  }
  AstSym *g = global_named(s, "g");
  CHECK(g && g->written && g->read && g->type == TY_STRING && g->arity == 0);
  fe_session_free(s);
}

/* -u keeps what is unused, and does not elide. */
static void test_unoptimized(void) {
  check_context = "-u";
  FeSession *s = elab("global spare = 1\nfunction idle(x) { return x + 1 }\nprobe begin { y = 2 }\n", true);
  CHECK_INT(fe_elaborate(s), 0);
  CHECK(global_named(s, "spare") != NULL);
  CHECK_INT(s->prog->funcs.n, 1);
  ElabProbe *p = probe_at(s, 0);
  CHECK(p && p->nlocals == 1);
  fe_session_free(s);
}

/* Elaboration of a broken script still leaves a program and never crashes. */
static void test_errors_keep_going(void) {
  check_context = "errors";
  FeSession *s =
      elab("probe begin { x = 1; x = \"s\"; nosuch(); a[1] = 2; println(x) } probe nope { }", false);
  CHECK_INT(fe_elaborate(s), -1);
  CHECK(s->prog != NULL);
  CHECK_INT(s->diag.nerrors, 4);
  fe_session_free(s);
}

/* -G as the API takes it: NAME=VALUE pairs checked against the script. */
static void test_gvars(void) {
  check_context = "-G";
  FeOptions o = t_options();
  const char *dirs[] = {libdir};
  const char *gv[] = {"n=12", "bad", "=1", "s=text"};
  o.tapset_dir = "/nonexistent/stapjit-elab-tests";
  o.include_dirs = dirs;
  o.ninclude = 1;
  o.gvars = gv;
  o.ngvars = 4;
  FeSession *s = t_session(&o);
  CHECK_INT(fe_load_tapsets(s), 0);
  s->user = fe_parse(s, t_add(s, "global n, s\nprobe begin { println(n + 1, s . \"\") }\n"), false);
  CHECK_INT(fe_elaborate(s), -1);
  const char *d = t_diags(s);
  CHECK_CONTAINS(d, "0:0: -G bad: expected NAME=VALUE");
  CHECK_CONTAINS(d, "0:0: -G =1: expected NAME=VALUE");
  CHECK_INT(s->diag.nerrors, 2);
  AstSym *n = global_named(s, "n");
  CHECK(n && n->from_cmdline && n->written && n->type == TY_LONG);
  fe_session_free(s);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_elab TAPSET_DIR\n");
    return 2;
  }
  libdir = argv[1];
  test_library_use();
  test_probe_fields();
  test_annotations();
  test_unoptimized();
  test_errors_keep_going();
  test_gvars();
  return check_summary();
}

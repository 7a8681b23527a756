/* test_pp.c: unit tests of the preprocessor (frontend/pp.c).
 *
 * Conditionals with every condition kind and operator, nesting and else
 * branches; @define macros with and without parameters, nested use,
 * arguments holding commas, recursion and arity errors; the script
 * arguments $N, @N, $#, @#; stray brackets; library macros loaded from a
 * .stpm file.  Output is compared as the space-joined token texts.
 */
#include "check.h"
#include "fe-test.h"

#include <stdlib.h>
#include <unistd.h>

/* Preprocesses text with options o (NULL: defaults) and compares the output
 * tokens and the diagnostics. */
static void pp_case_opt(const FeOptions *o, const char *text, const char *want, const char *want_diags) {
  FeSession *s = t_session(o);
  check_context = text;
  TokArray v = t_pp(s, text);
  CHECK_STR(t_join(s, &v), want);
  CHECK_STR(t_diags(s), want_diags);
  CHECK(v.n > 0 && v.t[v.n - 1].kind == TK_EOF);
  check_context = NULL;
  fe_session_free(s);
}

static void pp_case(const char *text, const char *want, const char *want_diags) {
  pp_case_opt(NULL, text, want, want_diags);
}

/* Preprocesses text, which must fail with want as its first diagnostic. */
static void pp_first_error(const char *text, const char *want) {
  FeSession *s = t_session(NULL);
  check_context = text;
  t_pp(s, text);
  const char *d = t_diags(s);
  CHECK(s->diag.nerrors > 0);
  CHECK(!strncmp(d, want, strlen(want)) && (d[strlen(want)] == 0 || d[strlen(want)] == '\n'));
  if (strncmp(d, want, strlen(want))) fprintf(stderr, "  got \"%s\"\n  expected first \"%s\"\n", d, want);
  check_context = NULL;
  fe_session_free(s);
}

/* %( cond %? T %: F %) must select T (want true) or F. */
static void cond_case_opt(const FeOptions *o, const char *cond, bool want) {
  FeSession *s = t_session(o);
  const char *text = arena_printf(s->arena, "%%( %s %%? T %%: F %%)", cond);
  check_context = text;
  TokArray v = t_pp(s, text);
  CHECK_STR(t_join(s, &v), want ? "T" : "F");
  CHECK_STR(t_diags(s), "");
  check_context = NULL;
  fe_session_free(s);
}

static void cond_case(const char *cond, bool want) { cond_case_opt(NULL, cond, want); }

static void test_kernel_version(void) {
  cond_case("kernel_v == \"6.1.0\"", true);
  cond_case("kernel_v >= \"5.10\"", true);
  cond_case("kernel_v >= \"6.10\"", false); /* version order, not string order */
  cond_case("kernel_v < \"6.1.1\"", true);
  cond_case("kernel_v > \"6.1\"", true);
  cond_case("kernel_v <= \"6.1.0\"", true);
  cond_case("kernel_v != \"6.1.0\"", false);
  cond_case("kernel_v == \"6.*\"", true); /* glob */
  cond_case("kernel_v == \"5.*\"", false);
  cond_case("kernel_v != \"5.*\"", true);
  cond_case("kernel_vr == \"6.1.0-56-amd64\"", true);
  cond_case("kernel_vr == \"6.1.0\"", false);
  cond_case("kernel_vr == \"*-amd64\"", true);
  cond_case("kernel_vr > \"6.1.0-9-amd64\"", true); /* 56 > 9 numerically */
  FeOptions o = t_options();
  o.kernel_release = "2.6.32-754.el6.x86_64";
  cond_case_opt(&o, "kernel_v < \"2.6.33\"", true);
  cond_case_opt(&o, "kernel_v >= \"2.6.9\"", true);
}

static void test_arch_runtime_version(void) {
  cond_case("arch == \"x86_64\"", true);
  cond_case("arch == \"x86*\"", true);
  cond_case("arch == \"i?86\"", false);
  cond_case("arch != \"arm64\"", true);
  cond_case("runtime == \"kernel\"", true);
  cond_case("runtime == \"bpf\"", false);
  FeOptions o = t_options();
  o.runtime = "bpf";
  o.arch = "aarch64";
  cond_case_opt(&o, "runtime == \"bpf\" && arch == \"aarch64\"", true);
  cond_case("systemtap_v >= \"4.0\"", true);
  cond_case("systemtap_v >= \"1.8\"", true);
  cond_case("systemtap_v < \"2.0\"", false);
  cond_case("systemtap_v <= \"99\"", true);
  cond_case("systemtap_privilege == \"stapdev\"", true);
  cond_case("systemtap_privilege != \"stapusr\"", true);
  o = t_options();
  o.privilege = "stapusr";
  cond_case_opt(&o, "systemtap_privilege == \"stapusr\"", true);
  cond_case("guru_mode == 0", true);
  cond_case("guru_mode == 1", false);
  cond_case("guru_mode", false);
  o = t_options();
  o.guru = true;
  cond_case_opt(&o, "guru_mode == 1", true);
  cond_case_opt(&o, "guru_mode", true);
}

static void test_kconfig(void) {
  cond_case("CONFIG_MODULES == \"y\"", true);
  cond_case("CONFIG_MODULES == \"m\"", false);
  cond_case("CONFIG_EXT4_FS == \"m\"", true);
  cond_case("CONFIG_EXT4_FS == \"[ym]\"", true); /* glob */
  cond_case("CONFIG_HZ == 250", true);
  cond_case("CONFIG_HZ >= 1000", false);
  cond_case("CONFIG_HZ == \"250\"", true);
  cond_case("CONFIG_NAME == \"\\\"stap\\\"\"", true);
  cond_case("CONFIG_MISSING == \"y\"", false); /* unset is the empty string */
  cond_case("CONFIG_MISSING == \"\"", true);
  cond_case("CONFIG_MISSING != \"y\"", true);
  FeOptions o = t_options();
  o.kconfig = NULL; /* no kernel config known: everything unset */
  cond_case_opt(&o, "CONFIG_MODULES == \"y\"", false);
}

static void test_operators(void) {
  static const char *const args[] = {"a", "b"};
  FeOptions o = t_options();
  o.args = args;
  o.nargs = 2;
  cond_case_opt(&o, "$# == 2", true);
  cond_case_opt(&o, "$# > 2", false);
  cond_case_opt(&o, "@# == \"2\"", true); /* @# is a string, as stap's */
  cond_case("$# == 0", true);
  cond_case_opt(&o, "@1 == \"a\" && @2 == \"b\"", true);
  cond_case("1 < 2", true);
  cond_case("2 <= 1", false);
  cond_case("-1 < 0", true);
  cond_case("\"abc\" < \"abd\"", true);
  cond_case("\"abc\" == \"a*\"", true);
  cond_case("1", true);
  cond_case("0", false);
  cond_case("1 == 1 && 2 == 2", true);
  cond_case("1 == 1 && 2 == 3", false);
  cond_case("1 == 0 || 2 == 2", true);
  cond_case("1 == 0 || 2 == 3", false);
  /* && binds tighter than || */
  cond_case("1 == 1 || 0 == 1 && 0 == 1", true);
  cond_case("(1 == 1 || 0 == 1) && 0 == 1", false);
  cond_case("!(arch == \"x86_64\")", false);
  cond_case("!arch == \"x86_64\"", false);
  cond_case("!(runtime == \"bpf\") && !(arch == \"arm\")", true);
  cond_case("((arch == \"x86_64\"))", true);
  cond_case("arch == \"arm\" || (kernel_v >= \"6.0\" && !(guru_mode == 1))", true);
}

static void test_conditionals(void) {
  pp_case("a %( arch == \"x86_64\" %? b %: c %) d", "a b d", "");
  pp_case("a %( arch == \"arm\" %? b %: c %) d", "a c d", "");
  pp_case("a %( arch == \"arm\" %? b %) d", "a d", "");
  pp_case("%( 1 %? %)", "", "");
  /* nesting in both branches and in a branch not taken */
  pp_case("%( 1 == 1 %? %( 0 == 1 %? x %: y %) %: %( 1 %? z %) %)", "y", "");
  pp_case("%( 0 == 1 %? %( bogus %? x %) %: w %)", "w", "");
  pp_case("%( 0 %? %( 1 %? a %: b %) c %: %( 1 %? d %: e %) f %)", "d f", "");
  /* tokens not taken are not expanded, so their errors are not reported */
  pp_case("%( 0 %? $9 @nosuch(1 %: ok %)", "ok", "");
  pp_case("%( 1 %? %{ code %} %)", "%{ code %}", "");
  /* a conditional inside an expression */
  pp_case("x = %( CONFIG_HZ == 250 %? 4 %: 1 %) * 2", "x = 4 * 2", "");
}

static void test_condition_errors(void) {
  pp_case("%( bogus == 1 %? a %)", "",
          "1:4: unknown preprocessor condition 'bogus' (expected kernel_v, kernel_vr, arch, runtime, systemtap_v, "
          "systemtap_privilege, guru_mode, CONFIG_*, $# or @#)");
  pp_case("%( arch %? a %)", "", "1:9: expected a comparison operator, found '%?'");
  pp_case("%( %? a %)", "", "1:1: empty preprocessor condition");
  pp_case("%( arch == 1 %? a %)", "", "1:12: preprocessor comparison between a number and a string");
  pp_case("%( (1 == 1 %? a %)", "", "1:12: ')' expected in preprocessor condition");
  pp_case("%( 1 == 1 2 %? a %)", "", "1:11: unexpected token after preprocessor condition");
  pp_case("%( arch == \"x86_64\" a", "", "1:1: incomplete conditional: '%(' without matching '%?'");
  pp_case("%( 1 %? a %: b", "", "1:1: incomplete conditional: '%(' without matching '%)'");
  pp_case("x %? y %: z %) w", "x y z w",
          "1:3: '%?' without a matching '%('\n1:8: '%:' without a matching '%('\n1:13: '%)' without a matching '%('");
  /* an error in one conditional does not stop the next */
  pp_case("%( zz %? a %) b %( 1 %? c %)", "b c",
          "1:4: unknown preprocessor condition 'zz' (expected kernel_v, kernel_vr, arch, runtime, systemtap_v, "
          "systemtap_privilege, guru_mode, CONFIG_*, $# or @#)");
}

static void test_macros(void) {
  pp_case("@define one %( 1 %) x = @one", "x = 1", "");
  pp_case("@define pair %( a , b %) f(@pair)", "f ( a , b )", "");
  pp_case("@define add(a, b) %( (@a + @b) %) @add(1, 2)", "( 1 + 2 )", "");
  pp_case("@define id(x) %( @x %) @id()", "", "");
  pp_case("@define none() %( z %) @none", "z", "");
  /* nested use: in bodies and in arguments */
  pp_case("@define two %( 2 %) @define four %( @two + @two %) @four", "2 + 2", "");
  pp_case("@define two %( 2 %) @define add(a,b) %( @a + @b %) @add(@two, @add(3, 4))", "2 + 3 + 4", "");
  pp_case("@define twice(x) %( @x @x %) @define q(y) %( @twice(@y) %) @q(7)", "7 7", "");
  /* commas inside (), [] and {} do not split arguments */
  pp_case("@define add(a,b) %( @a + @b %) @add(f(1, 2), a[3, 4])", "f ( 1 , 2 ) + a [ 3 , 4 ]", "");
  pp_case("@define first(a,b) %( @a %) @first({x, y}, z)", "{ x , y }", "");
  /* a conditional in a body is evaluated at each use */
  pp_case("@define arch_name %( %( arch == \"x86_64\" %? \"x86\" %: \"other\" %) %) @arch_name",
          "\"x86\"", "");
  /* a conditional on a macro argument */
  pp_case("@define big(n) %( %( @n > 10 %? big %: small %) %) @big(11) @big(3)", "big small", "");
  /* the last definition wins; definitions emit nothing */
  pp_case("@define v %( 1 %) @define v %( 2 %) @v", "2", "");
  /* a definition inside a branch not taken does not happen */
  pp_case("%( 0 %? @define v %( 1 %) %) @v", "@v", "");
  /* an unknown @word passes through for the parser to judge */
  pp_case("@cast(p, \"t\") @nosuch", "@cast ( p , \"t\" ) @nosuch", "");
  /* arguments keep their locations: the body's tokens keep theirs */
  FeSession *s = t_session(NULL);
  TokArray v = t_pp(s, "@define m(a) %( [@a] %)\n  @m(zz)");
  CHECK_STR(t_join(s, &v), "[ zz ]");
  CHECK_INT(v.t[0].loc.line, 1);
  CHECK_INT(v.t[0].loc.col, 17);
  CHECK_INT(v.t[1].loc.line, 2);
  CHECK_INT(v.t[1].loc.col, 6);
  fe_session_free(s);
}

static void test_macro_errors(void) {
  pp_case("@define r %( @r %) @r", "",
          "1:14: macro expansion nested more than 64 deep (recursive @define 'r'?)");
  /* doubly recursive: must stop, not expand 2^64 times */
  pp_case("@define r %( @r @r %) @r", "",
          "1:14: macro expansion nested more than 64 deep (recursive @define 'r'?)");
  pp_case("@define add(a,b) %( @a + @b %) @add(1)", "", "1:32: macro '@add' takes 2 arguments, 1 given");
  pp_case("@define add(a,b) %( @a + @b %) @add(1, 2, 3)", "", "1:32: macro '@add' takes 2 arguments, 3 given");
  pp_case("@define add(a,b) %( @a + @b %) @add + 1", "+ 1", "1:32: macro '@add' takes 2 arguments; '(' expected");
  pp_case("@define add(a,b) %( @a + @b %) @add(1, (2", "", "1:32: unterminated arguments of macro '@add'");
  /* a broken @define header: the first error is the one that counts (the
   * body after it is then read as a conditional, and complained about) */
  pp_first_error("@define %( x %)", "1:9: expected a macro name after @define");
  pp_case("@define m x", "x", "1:11: expected '%(' to open the body of macro 'm'");
  pp_first_error("@define m(a b) %( x %)", "1:13: expected ',' or ')' in @define parameters");
  pp_first_error("@define m(1) %( x %)", "1:11: expected a macro parameter name, found number '1'");
  pp_case("@define m %( x", "", "1:11: unterminated body of macro 'm' ('%)' expected)");
  pp_case("@define", "", "1:1: expected a macro name after @define");
}

static void test_arguments(void) {
  static const char *const args[] = {"5+5", "hello world", "x\"y"};
  FeOptions o = t_options();
  o.args = args;
  o.nargs = 3;
  pp_case_opt(&o, "a = $1 * 2", "a = 5 + 5 * 2", "");
  pp_case_opt(&o, "s = @1", "s = \"5+5\"", "");
  pp_case_opt(&o, "s = @2 . @3", "s = \"hello world\" . \"x\\\"y\"", "");
  pp_case_opt(&o, "$2", "hello world", "");
  pp_case_opt(&o, "n = $# m = @#", "n = 3 m = \"3\"", "");
  pp_case_opt(&o, "$4", "", "1:1: command line argument index 4 out of range [1-3]");
  pp_case_opt(&o, "x @4 $0", "x", "1:3: command line argument index 4 out of range [1-3]\n"
                                   "1:6: command line argument index 0 out of range [1-3]");
  pp_case("$1", "", "1:1: command line argument index 1 out of range [1-0]");
  /* $1x is a target variable name, not an argument */
  pp_case_opt(&o, "$1x", "$1x", "");

  FeSession *s = t_session(&o);
  TokArray v = t_pp(s, "\n  $1 @3 $#");
  CHECK_STR(t_diags(s), "");
  CHECK_INT(v.n, 6);
  CHECK_INT(v.t[0].kind, TK_NUM);
  CHECK_INT(v.t[0].num, 5);
  CHECK_INT(v.t[1].kind, TK_OP);
  CHECK_INT(v.t[2].loc.line, 2); /* pasted tokens stand where $1 was */
  CHECK_INT(v.t[2].loc.col, 3);
  CHECK_INT(v.t[3].kind, TK_STR);
  CHECK_MEM(v.t[3].str, v.t[3].str_len, "x\"y", (size_t)3);
  CHECK_INT(v.t[3].loc.col, 6);
  CHECK_INT(v.t[4].kind, TK_NUM);
  CHECK_INT(v.t[4].num, 3);
  fe_session_free(s);

  /* an argument used in a macro and in a condition */
  static const char *const a2[] = {"7", "name"};
  o.args = a2;
  o.nargs = 2;
  pp_case_opt(&o, "@define m %( $1 + 1 %) @m", "7 + 1", "");
  pp_case_opt(&o, "%( $1 > 5 %? big %: small %)", "big", "");
  pp_case_opt(&o, "%( @2 == \"na*\" %? yes %: no %)", "yes", "");
  /* an argument that does not lex is reported at the $N */
  static const char *const a3[] = {"1 ` 2"};
  o.args = a3;
  o.nargs = 1;
  pp_case_opt(&o, "x = $1", "x = 1 2", "1:5: unexpected character '`'");
}

/* Repeats piece n times into an arena string. */
static const char *rep(FeSession *s, const char *piece, int n) {
  size_t k = strlen(piece);
  char *r = arena_alloc(s->arena, k * (size_t)n + 1);
  for (int i = 0; i < n; i++) memcpy(r + k * (size_t)i, piece, k);
  return r;
}

/* Hostile input must give an error (or a result), never a crash or a hang. */
static void test_limits(void) {
  enum { N = 20000 }; /* 40 times the limit: a stack overflow without it */
  FeSession *s = t_session(NULL);
  const char *text = arena_printf(s->arena, "%s x %s", rep(s, "%( 1 %? ", N), rep(s, "%) ", N));
  TokArray v = t_pp(s, text);
  CHECK(s->diag.nerrors > 0 || !strcmp(t_join(s, &v), "x"));
  CHECK_CONTAINS(t_diags(s), "nested");
  fe_session_free(s);

  s = t_session(NULL);
  text = arena_printf(s->arena, "@define m(a) %%( @a %%) %s 1 %s", rep(s, "@m(", N), rep(s, ")", N));
  t_pp(s, text);
  CHECK_CONTAINS(t_diags(s), "nested");
  fe_session_free(s);

  s = t_session(NULL);
  text = arena_printf(s->arena, "%%( %s 1 %s %%? x %%)", rep(s, "(", N), rep(s, ")", N));
  t_pp(s, text);
  CHECK_CONTAINS(t_diags(s), "nested");
  fe_session_free(s);

  s = t_session(NULL);
  text = arena_printf(s->arena, "%%( %s 1 %%? x %%)", rep(s, "!", N));
  t_pp(s, text);
  CHECK_CONTAINS(t_diags(s), "nested");
  fe_session_free(s);

  /* 10^7 tokens from a few lines: stopped at the output limit */
  s = t_session(NULL);
  text = "@define a %( x x x x x x x x x x %)\n@define b %( @a @a @a @a @a @a @a @a @a @a %)\n"
         "@define c %( @b @b @b @b @b @b @b @b @b @b %)\n@define d %( @c @c @c @c @c @c @c @c @c @c %)\n"
         "@define e %( @d @d @d @d @d @d @d @d @d @d %)\n@define f %( @e @e @e @e @e @e @e @e @e @e %)\n"
         "@define g %( @f @f @f @f @f @f @f @f @f @f %)\n@define h %( @g @g @g @g @g @g @g @g @g @g %)\n"
         "@define i %( @h @h @h @h @h @h @h @h @h @h %)\n@define j %( @i @i @i @i @i @i @i @i @i @i %)\n@j";
  v = t_pp(s, text);
  CHECK_CONTAINS(t_diags(s), "preprocessor output exceeds");
  CHECK_INT(s->diag.nerrors, 1);
  CHECK(v.n <= 4 * 1024 * 1024 + 1);
  fe_session_free(s);
}

static char tmpdir[] = "/tmp/stapjit-test-pp-XXXXXX";

static const char *write_file(const char *name, const char *text) {
  static char path[512];
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  FILE *f = fopen(path, "w");
  if (!f) return NULL;
  fputs(text, f);
  fclose(f);
  return path;
}

static void test_library_macros(void) {
  if (!mkdtemp(tmpdir)) {
    CHECK(!"mkdtemp failed");
    return;
  }
  FeSession *s = t_session(NULL);
  const char *p = write_file("lib.stpm",
                             "// a library of macros\n"
                             "@define lib_add(a, b) %( (@a + @b) %)\n"
                             "@define lib_arch %( %( arch == \"x86_64\" %? 64 %: 32 %) %)\n");
  CHECK_INT(fe_load_macro_file(s, p), 0);
  CHECK_INT(s->macros.n, 2);
  CHECK_STR(t_diags(s), "");
  /* visible in every file parsed later, tapset or not */
  TokArray v = t_pp(s, "x = @lib_add(1, @lib_arch)");
  CHECK_STR(t_join(s, &v), "x = ( 1 + 64 )");
  CHECK_STR(t_diags(s), "");
  uint32_t id = t_add(s, "probe begin { x = @lib_add(2, 3) }");
  AstFile *f = fe_parse(s, id, false);
  CHECK(f != NULL);
  CHECK_STR(t_diags(s), "");
  /* a script's own @define stays in its file */
  v = t_pp(s, "@define local_m %( 1 %) @local_m");
  CHECK_STR(t_join(s, &v), "1");
  v = t_pp(s, "@local_m");
  CHECK_STR(t_join(s, &v), "@local_m");
  CHECK_INT(s->macros.n, 2);
  /* a macro file holds only definitions */
  p = write_file("bad.stpm", "@define ok %( 1 %)\nprobe begin {}\n");
  CHECK_INT(fe_load_macro_file(s, p), -1);
  CHECK_CONTAINS(t_diags(s), "2:1: a macro library file may hold only @define, found identifier 'probe'");
  fe_session_free(s);

  s = t_session(NULL);
  CHECK_INT(fe_load_macro_file(s, "/nonexistent/x.stpm"), -1);
  CHECK_CONTAINS(t_diags(s), "cannot read '/nonexistent/x.stpm'");
  fe_session_free(s);
}

int main(void) {
  test_kernel_version();
  test_arch_runtime_version();
  test_kconfig();
  test_operators();
  test_conditionals();
  test_condition_errors();
  test_macros();
  test_macro_errors();
  test_arguments();
  test_limits();
  test_library_macros();
  char path[600];
  snprintf(path, sizeof path, "%s/lib.stpm", tmpdir);
  unlink(path);
  snprintf(path, sizeof path, "%s/bad.stpm", tmpdir);
  unlink(path);
  rmdir(tmpdir);
  return check_summary();
}

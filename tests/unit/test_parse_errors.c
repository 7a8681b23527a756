/* test_parse_errors.c: the parser's diagnostics, recovery and limits.
 *
 * Typical mistakes must be reported at the right line:col with messages
 * that say what was expected and where a construct opened; one run reports
 * an error per broken declaration; and no input, however deep or long,
 * may crash the parser (nesting is bounded, so later recursive passes over
 * the tree are safe too).
 */
#include "parse-test.h"

static void test_typical_mistakes(void) {
  ERR_CASE("probe begin {\n  if (x > 1 {\n  }\n}", "2:13: ')' expected (to close '(' at line 2)");
  ERR_CASE("probe begin {\n  while (x\n  y }", "3:3: ')' expected (to close '(' at line 2)");
  ERR_CASE("probe begin { for (i = 0; i < 3; i++ {} }", "1:38: ')' expected (to close '(' at line 1)");
  ERR_CASE("probe begin { for (i = 0, i < 3) {} }", "1:25: expected ';' after the for initialiser, found operator ','");
  ERR_CASE("probe begin { for (;x) {} }", "1:22: expected ';' after the for condition, found operator ')'");
  ERR_CASE("probe a if (x {}", "1:15: ')' expected (to close '(' at line 1)");
  ERR_CASE("probe a if x {}", "1:12: expected '(' after 'if', found identifier 'x'");
  ERR_CASE("probe begin {\n  x = 1\n", "3:1: '}' expected (to close '{' at line 1)");
  ERR_CASE("probe begin {\n  if (x) {\n    y = 1\n  \n}", "5:2: '}' expected (to close '{' at line 1)");
  ERR_CASE("probe begin {\n  if (x) {\n    y = 1\n", "4:1: '}' expected (to close '{' at line 2)");
  ERR_CASE("probe begin x = 1", "1:13: expected '{', found identifier 'x'");
  ERR_CASE("probe begin { x = 1 } }", "1:23: expected 'probe', 'function' or 'global', found operator '}'");
  ERR_CASE("x = 1", "1:1: expected 'probe', 'function' or 'global', found identifier 'x'");
  ERR_CASE("probe", "1:6: expected a probe point component, found end of input");
  ERR_CASE("probe a.b(x) {}", "1:11: expected a literal number or string, found identifier 'x'");
  ERR_CASE("probe a.b(1 {}", "1:13: expected ')' after the probe point argument, found operator '{'");
  ERR_CASE("probe {a, b {}", "1:13: expected '}' to close the probe point brace expansion, found operator '{'");
  ERR_CASE("probe a.;", "1:9: expected a probe point component, found operator ';'");
  /* keywords where a name is wanted */
  ERR_CASE("probe begin { if = 1 }", "1:18: expected '(' after if, found operator '='");
  ERR_CASE("probe begin { x = in }", "1:19: expected an expression, found identifier 'in'");
  ERR_CASE("probe begin { else x }", "1:15: unexpected keyword 'else' at the start of a statement");
  ERR_CASE("probe begin { catch {} }", "1:15: unexpected keyword 'catch' at the start of a statement");
  ERR_CASE("probe begin { limit = 1 }", "1:15: unexpected keyword 'limit' at the start of a statement");
  ERR_CASE("function f(while) {}", "1:12: expected parameter name, found keyword 'while'");
  ERR_CASE("probe begin { foreach (next in a) {} }", "1:24: expected foreach key variable, found keyword 'next'");
  ERR_CASE("probe begin { try {} catch (return) {} }", "1:29: expected catch variable, found keyword 'return'");
  ERR_CASE("probe begin { delete in }", "1:22: expected an expression, found identifier 'in'");
  ERR_CASE("probe begin { delete 1 + 2 }", "1:22: delete needs a variable, an array or an array element");
  ERR_CASE("probe begin { delete f() }", "1:22: delete needs a variable, an array or an array element");
  ERR_CASE("probe begin { try {} x = 1 }", "1:22: expected 'catch' after try block");
  ERR_CASE("probe begin { try x catch {} }", "1:19: expected '{', found identifier 'x'");
  /* break and continue belong in loops */
  ERR_CASE("probe begin { break }", "1:15: 'break' outside a loop");
  ERR_CASE("probe begin {\n  if (x) continue\n}", "2:10: 'continue' outside a loop");
  ERR_CASE("function f() { while (1) {} break }", "1:29: 'break' outside a loop");
  ERR_CASE("probe a { while (1) { } } probe b { for (;;) {} continue }", "1:49: 'continue' outside a loop");
  ERR_CASE("probe a { while (1) { try { break } catch { continue } } }", "");
  ERR_CASE("probe a { foreach (k in x) if (k) break else continue }", "");
  /* the preprocessor's errors stop the file before the parser */
  ERR_CASE("probe begin { %( bogus %? x %) }",
           "1:18: unknown preprocessor condition 'bogus' (expected kernel_v, kernel_vr, arch, runtime, systemtap_v, "
           "systemtap_privilege, guru_mode, CONFIG_*, $# or @#)");
}

static void test_several_errors(void) {
  const char *text = "probe begin { x = }\n"   /* 1 */
                     "function f( { }\n"       /* 2 */
                     "global 1\n"              /* 3 */
                     "probe end { break }\n"   /* 4 */
                     "probe ok { y = 1 }\n"    /* good */
                     "probe b { if (x { } }\n" /* 6 */
                     "global g\n";             /* good */
  ERR_CASE(text, "1:19: expected an expression, found operator '}'\n"
                 "2:13: expected parameter name, found operator '{'\n"
                 "3:8: expected global variable name, found number '1'\n"
                 "4:13: 'break' outside a loop\n"
                 "6:17: ')' expected (to close '(' at line 6)");
  /* after an error inside nested braces, recovery skips the whole probe */
  ERR_CASE("probe a { if (x) { y = } z = { } }\nprobe b { w = }",
           "1:24: expected an expression, found operator '}'\n2:15: expected an expression, found operator '}'");
  /* lexical errors: all reported, then no parse */
  ERR_CASE("probe a { x = 0x; y = ` }\n\"open", "1:15: malformed number '0x'\n1:23: unexpected character '`'\n"
                                               "2:1: unterminated string literal");
  /* more than 100 errors: the first 100 are kept, the rest counted */
  FeSession *s = t_session(NULL);
  StrBuf b = {0};
  for (int k = 0; k < 150; k++) sb_puts(&b, "probe a { x = }\n");
  CHECK(pt_parse(s, sb_str(&b)) == NULL);
  CHECK_INT(s->diag.nerrors, 150);
  CHECK_INT(s->diag.suppressed, 50);
  sb_free(&b);
  fe_session_free(s);
}

/* Repeats piece n times. */
static void rep(StrBuf *b, const char *piece, int n) {
  for (int k = 0; k < n; k++) sb_puts(b, piece);
}

/* Parses text built as PRE + n*open + MID + n*close + POST and checks that it
 * fails with a message holding want, or parses if want is NULL. */
static void deep_case(const char *what, const char *pre, const char *open, const char *mid, const char *close,
                      const char *post, int n, const char *want) {
  StrBuf b = {0};
  sb_puts(&b, pre);
  rep(&b, open, n);
  sb_puts(&b, mid);
  rep(&b, close, n);
  sb_puts(&b, post);
  FeSession *s = t_session(NULL);
  check_context = what;
  AstFile *f = pt_parse(s, sb_str(&b));
  if (want) {
    CHECK(f == NULL);
    CHECK_CONTAINS(t_diags(s), want);
  } else {
    CHECK(f != NULL);
    CHECK_STR(t_diags(s), "");
  }
  check_context = NULL;
  fe_session_free(s);
  sb_free(&b);
}

static void test_limits(void) {
  enum { N = 20000 }; /* 100 times the limit: a stack overflow without it */
  const char *deep = "nesting too deep (more than 200 levels)";
  deep_case("parentheses", "probe a { x = ", "(", "1", ")", " }", N, deep);
  deep_case("blocks", "probe a ", "{", "", "}", "", N, deep);
  deep_case("unary minus", "probe a { x = ", "- ", "1", "", " }", N, deep);
  deep_case("not", "probe a { x = ", "!", "1", "", " }", N, deep);
  deep_case("pre-increment", "probe a { ", "++", "x", "", " }", N, deep);
  deep_case("if", "probe a { ", "if (1) ", "x", "", " }", N, deep);
  deep_case("else if", "probe a { if (0) x ", "else if (0) x ", "", "", " }", N, deep);
  deep_case("while", "probe a { ", "while (1) ", "x", "", " }", N, deep);
  deep_case("assignment chain", "probe a { ", "x = ", "1", "", " }", N, deep);
  deep_case("ternary chain", "probe a { x = ", "c ? 1 : ", "2", "", " }", N, deep);
  deep_case("ternary middle", "probe a { x = ", "c ? ", "1", " : 2", " }", N, deep);
  deep_case("index keys", "probe a { x = ", "a[", "1", "]", " }", N, deep);
  deep_case("in keys", "probe a { x = ", "[", "1", "] in a", " }", N, deep);
  deep_case("calls", "probe a { x = ", "f(", "", ")", " }", N, deep);
  deep_case("target index", "probe a { x = ", "$x[", "1", "]", " }", N, deep);
  deep_case("@cast", "probe a { x = ", "@cast(", "p", ", \"t\")", " }", N, deep);
  deep_case("@defined", "probe a { x = ", "@defined(", "$p", ")", " }", N, deep);
  deep_case("probe point braces", "probe ", "{", "a", "}", " {}", N, deep);
  deep_case("probe condition", "probe a if (", "(", "1", ")", ") {}", N, deep);
  /* long flat chains build trees as deep as they are long: bounded too */
  deep_case("sum chain", "probe a { x = 1", " + 1", "", "", " }", N, deep);
  deep_case("concat chain", "probe a { x = \"\"", " . \"s\"", "", "", " }", N, deep);
  deep_case("or chain", "probe a { x = a", " || a", "", "", " }", N, deep);
  deep_case("comparison chain", "probe a { x = a", " < a", "", "", " }", N, deep);
  /* but wide is fine: many statements, arguments, probes, points */
  deep_case("statements", "probe a { ", "x = 1; ", "", "", " }", N, NULL);
  deep_case("arguments", "probe a { f(1", ", 1", "", "", ") }", N, NULL);
  deep_case("probes", "", "probe a { } ", "", "", "", N / 10, NULL);
  deep_case("probe points", "probe a", ", a", "", "", " { }", N, NULL);
  deep_case("strings", "probe a { x = \"\"", " \"s\"", "", "", " }", N, NULL);
  deep_case("sum of 150", "probe a { x = 1", " + 1", "", "", " }", 150, NULL);
  deep_case("else-if of 150", "probe a { if (0) x ", "else if (0) x ", "", "", " }", 150, NULL);
  deep_case("nested 60", "probe a { x = ", "(", "1", ")", " }", 60, NULL);
  /* brace expansion multiplies: bounded */
  deep_case("brace product", "probe a", ".{a,b,c,d}", "", "", " {}", 12, "probe point brace expansion too large");
  /* odd bytes anywhere */
  FeSession *s = t_session(NULL);
  static const char junk[] = "probe \0begin { \xff\x01 x = \"\0\" } \x7f";
  uint32_t id = srcset_add(&s->src, "<junk>", junk, sizeof junk - 1, 0);
  CHECK(fe_parse(s, id, false) == NULL);
  CHECK(s->diag.nerrors > 0);
  fe_session_free(s);
}

int main(void) {
  test_typical_mistakes();
  test_several_errors();
  test_limits();
  if (pt_keep) arena_free(pt_keep);
  return check_summary();
}

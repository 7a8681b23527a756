/* test_parse_expr.c: unit tests of expression parsing (frontend/parse-expr.c).
 *
 * Tree shape for every operator: precedence levels against each other,
 * associativity, unary and postfix forms, 'in', regex, literals, calls and
 * indexes, target variables with their components and suffixes, @cast,
 * @var, the @-operators with their argument counts, autocast, and the
 * errors of each.  Trees are compared as S-expressions (ast-sexp.h).
 */
#include "parse-test.h"

static void test_precedence(void) {
  /* associativity */
  BODY_CASE("a - b - c", "(- (- a b) c)");
  BODY_CASE("a / b * c", "(* (/ a b) c)");
  BODY_CASE("a = b = c", "(= a (= b c))");
  BODY_CASE("a += b -= c", "(+= a (-= b c))");
  BODY_CASE("a . b . c", "(. (. a b) c)");
  BODY_CASE("a << b >> c", "(>> (<< a b) c)");
  BODY_CASE("a && b && c", "(&& (&& a b) c)");
  BODY_CASE("a < b < c", "(< (< a b) c)");
  BODY_CASE("c ? a : d ? e : f", "(? c a (? d e f))");
  BODY_CASE("c ? d ? e : f : g", "(? c (? d e f) g)");
  /* one pair per adjacent level, lowest first: = ?: || && in | ^ & cmp shift . +- * / % unary */
  BODY_CASE("x = c ? a : b", "(= x (? c a b))");
  BODY_CASE("a || b ? c : d", "(? (|| a b) c d)");
  BODY_CASE("c ? x = 1 : y", "(? c (= x 1) y)");
  BODY_CASE("a || b && c", "(|| a (&& b c))");
  BODY_CASE("a && b || c", "(|| (&& a b) c)");
  BODY_CASE("a && b in c", "(&& a (in [b] c))");
  BODY_CASE("k in a && b", "(&& (in [k] a) b)");
  BODY_CASE("a && b | c", "(&& a (| b c))");
  BODY_CASE("a | b ^ c", "(| a (^ b c))");
  BODY_CASE("a ^ b & c", "(^ a (& b c))");
  BODY_CASE("a & b == c", "(& a (== b c))");
  /* 'in' is between '&' and the comparisons, as in stap's grammar */
  BODY_CASE("a | b in c", "(| a (in [b] c))");
  BODY_CASE("a & b in c", "(& a (in [b] c))");
  BODY_CASE("a == b in c", "(in [(== a b)] c)");
  BODY_CASE("k + 1 in c", "(in [(+ k 1)] c)");
  BODY_CASE("!k in c", "(in [(! k)] c)");
  BODY_CASE("a == b << c", "(== a (<< b c))");
  BODY_CASE("a != b =~ \"x\"", "(=~ (!= a b) \"x\")");
  BODY_CASE("a << b . c", "(<< a (. b c))");
  /* '.' is below + and -: a . b + c concatenates a sum */
  BODY_CASE("a . b + c", "(. a (+ b c))");
  BODY_CASE("a + b . c", "(. (+ a b) c)");
  BODY_CASE("a + b * c", "(+ a (* b c))");
  BODY_CASE("a * b + c", "(+ (* a b) c)");
  BODY_CASE("a % b * c", "(* (% a b) c)");
  BODY_CASE("-a * b", "(* (- a) b)");
  BODY_CASE("!a && b", "(&& (! a) b)");
  BODY_CASE("~a & b", "(& (~ a) b)");
  BODY_CASE("(a + b) * c", "(* (+ a b) c)");
  BODY_CASE("a >>> 2 >> 1", "(>> (>>> a 2) 1)");
  BODY_CASE("a <= b >= c > d", "(> (>= (<= a b) c) d)");
}

static void test_unary_and_literals(void) {
  BODY_CASE("-a", "(- a)");
  BODY_CASE("+a", "(+ a)");
  BODY_CASE("!!a", "(! (! a))");
  BODY_CASE("~-a", "(~ (- a))");
  BODY_CASE("- -a", "(- (- a))");
  BODY_CASE("x = -5", "(= x -5)");
  BODY_CASE("x = - 5", "(= x (- 5))"); /* with a space it is an operator */
  BODY_CASE("x = -9223372036854775808", "(= x -9223372036854775808)");
  BODY_CASE("x = 18446744073709551615", "(= x -1)");
  BODY_CASE("a-5", "(- a 5)");
  BODY_CASE("a - -5", "(- a -5)");
  BODY_CASE("x = 0x10 + 010", "(= x (+ 16 8))");
  BODY_CASE("s = \"a\" \"b\\n\"", "(= s \"ab\\n\")"); /* adjacent literals join */
  BODY_CASE("++a", "(++_ a)");
  BODY_CASE("--a[1]", "(--_ a[1])");
  BODY_CASE("a++", "(_++ a)");
  BODY_CASE("a[i]--", "(_-- a[i])");
  BODY_CASE("-a++", "(- (_++ a))");
  BODY_CASE("$x->f++", "(_++ $x->f)");
  BODY_CASE("x = %{ 42 %}", "(= x %{ 42 %})");
}

static void test_assignment_ops(void) {
  static const char *const ops[] = {"=",  "+=", "-=", "*=", "/=", "%=", "<<=", ">>=",
                                    ">>>=", "&=", "|=", "^=", ".=", "<<<"};
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    char in[32], want[32];
    snprintf(in, sizeof in, "a %s b", ops[k]);
    snprintf(want, sizeof want, "(%s a b)", ops[k]);
    BODY_CASE(in, want);
  }
  BODY_CASE("a[1,2] = 3", "(= a[1,2] 3)");
  BODY_CASE("s <<< x + 1", "(<<< s (+ x 1))");
  BODY_CASE("$p->x = 1", "(= $p->x 1)");
  BODY_CASE("@cast(p, \"t\")->x = 1", "(= @cast(p,\"t\")->x 1)");
  BODY_CASE("@var(\"v\") = 1", "(= @var(\"v\") 1)");
  BODY_CASE("$var = 1", "(= $var 1)");
}

static void test_in_and_regex(void) {
  BODY_CASE("k in arr", "(in [k] arr)");
  BODY_CASE("[a, b] in arr", "(in [a,b] arr)");
  BODY_CASE("[a+1, \"x\"] in arr", "(in [(+ a 1),\"x\"] arr)");
  BODY_CASE("[*, 1] in arr", "(in [*,1] arr)");
  BODY_CASE("if (!([a] in b)) next", "(if (! (in [a] b)) next)");
  BODY_CASE("s =~ \"^a.*\"", "(=~ s \"^a.*\")");
  BODY_CASE("s !~ \"x\" \"y\"", "(!~ s \"xy\")");
  BODY_CASE("a . b =~ \"re\" && c", "(&& (=~ (. a b) \"re\") c)");
}

static void test_calls_and_indexes(void) {
  BODY_CASE("f()", "f()");
  BODY_CASE("f(1, \"x\", a + b)", "f(1,\"x\",(+ a b))");
  BODY_CASE("printf(\"%d\\n\", f(g(1)))", "printf(\"%d\\n\",f(g(1)))");
  BODY_CASE("a[1]", "a[1]");
  BODY_CASE("a[1, \"s\", x + 1]", "a[1,\"s\",(+ x 1)]");
  BODY_CASE("a[1,2,3,4,5,6,7,8,9]", "a[1,2,3,4,5,6,7,8,9]");
  BODY_CASE("a[b[c]]", "a[b[c]]");
  BODY_CASE("x = f(a)[1]", "(= x f(a)[1])"); /* autocast index on a call */
}

static void test_targets(void) {
  BODY_CASE("$var", "$var");
  BODY_CASE("$var$", "$var$");
  BODY_CASE("$var$$", "$var$$");
  BODY_CASE("$var->a[3]$$", "$var->a[3]$$");
  BODY_CASE("$var->a->b$", "$var->a->b$");
  BODY_CASE("$p[i + 1]->x", "$p[(+ i 1)]->x");
  BODY_CASE("$$vars", "$$vars");
  BODY_CASE("$$parms$", "$$parms$");
  BODY_CASE("$$locals$$", "$$locals$$");
  BODY_CASE("$$return", "$$return");
  BODY_CASE("$var[0]$", "$var[0]$");
  BODY_CASE("$var[0] $$", "$var[0]$$");
  BODY_CASE("$var->next->in", "$var->next->in"); /* keywords are field names */
  BODY_CASE("@cast(p, \"t\")$$", "@cast(p,\"t\")$$");
  BODY_CASE("@var(\"v\")[1]$", "@var(\"v\")[1]$");
  BODY_CASE("&$var", "&$var");
  BODY_CASE("&$var->a[1]", "&$var->a[1]");
  BODY_CASE("&@cast(p, \"s\")->f", "&@cast(p,\"s\")->f");
  BODY_CASE("&@var(\"x\")", "&@var(\"x\")");
  BODY_CASE("&x->f", "&x->f");
  BODY_CASE("a & $b", "(& a $b)");
  /* autocast: components after a variable, an element, a call, parentheses */
  BODY_CASE("x->field", "x->field");
  BODY_CASE("x->a->b[2]$", "x->a->b[2]$");
  BODY_CASE("a[1]->x", "a[1]->x");
  BODY_CASE("f()->a->b", "f()->a->b");
  BODY_CASE("(p)->x", "p->x");
  BODY_CASE("(p + 8)[0]", "(+ p 8)[0]");

  FeSession *s = t_session(NULL);
  AstFile *f = pt_parse(s, "probe begin { $var->a[3]$$; (x) }");
  CHECK(f != NULL);
  if (f) {
    const AstStmt *b = ((AstProbe *)f->probes.items[0])->body;
    const AstExpr *e = b->body[0]->expr;
    CHECK_INT(e->kind, EX_TARGET);
    CHECK_STR(e->name, "$var");
    CHECK_INT(e->ncomps, 2);
    CHECK_INT(e->comps[0].kind, COMP_FIELD);
    CHECK_STR(e->comps[0].field, "a");
    CHECK_INT(e->comps[0].loc.col, 21);
    CHECK_INT(e->comps[1].kind, COMP_INDEX);
    CHECK_INT(e->comps[1].index->num, 3);
    CHECK_INT(e->suffix, SFX_DEEP);
    CHECK(!e->addr);
    CHECK(!e->paren);
    CHECK(b->body[1]->expr->paren);
  }
  fe_session_free(s);
}

static void test_at_operators(void) {
  BODY_CASE("@cast(p, \"task_struct\")->pid", "@cast(p,\"task_struct\")->pid");
  BODY_CASE("@cast(p, \"task_struct\", \"kernel<linux/sched.h>\")->pid",
            "@cast(p,\"task_struct\",\"kernel<linux/sched.h>\")->pid");
  BODY_CASE("@cast(p + 8, \"long\")[1]", "@cast((+ p 8),\"long\")[1]");
  BODY_CASE("@cast(p, \"s\")$", "@cast(p,\"s\")$");
  BODY_CASE("@var(\"foo@bar.c\")->x", "@var(\"foo@bar.c\")->x");
  BODY_CASE("@var(\"x\", \"/bin/ls\")", "@var(\"x\",\"/bin/ls\")");
  BODY_CASE("@defined($x->y)", "@defined($x->y)");
  BODY_CASE("@defined(@var(\"v\")) ? 1 : 0", "(? @defined(@var(\"v\")) 1 0)");
  BODY_CASE("@entry($x + 1)", "@entry((+ $x 1))");
  BODY_CASE("@probewrite(x)", "@probewrite(x)");
  BODY_CASE("@const(\"PAGE_SIZE\")", "@const(\"PAGE_SIZE\")");
  BODY_CASE("@perf(\"cycles\")", "@perf(\"cycles\")");
  BODY_CASE("@count(s)", "@count(s)");
  BODY_CASE("@sum(s[1])", "@sum(s[1])");
  BODY_CASE("@min(s) + @max(s)", "(+ @min(s) @max(s))");
  BODY_CASE("@avg(s)", "@avg(s)");
  BODY_CASE("@variance(s)", "@variance(s)");
  BODY_CASE("@variance(s, 3)", "@variance(s,3)");
  BODY_CASE("@hist_log(s)", "@hist_log(s)");
  BODY_CASE("@hist_linear(s, 0, 100, 10)", "@hist_linear(s,0,100,10)");
  BODY_CASE("print(@hist_log(a[1]))", "print(@hist_log(a[1]))");
  /* one bucket's count (man stap STATISTICS) */
  BODY_CASE("@hist_log(s)[3]", "@hist_log(s)[3]");
  BODY_CASE("@hist_linear(a[k], 1, 3, 1)[b + 1] * 2", "(* @hist_linear(a[k],1,3,1)[(+ b 1)] 2)");
}

static void test_expr_errors(void) {
  ERR_CASE("probe begin { @count(s, 1) }", "1:15: @count takes 1 argument, 2 given");
  ERR_CASE("probe begin { @sum() }", "1:15: @sum takes 1 argument, 0 given");
  ERR_CASE("probe begin { @variance(s, 1, 2) }", "1:15: @variance takes 1 argument, 3 given");
  ERR_CASE("probe begin { @hist_linear(s, 0, 10) }", "1:15: @hist_linear takes 4 arguments, 3 given");
  ERR_CASE("probe begin { @hist_log(s, 1) }", "1:15: @hist_log takes 1 argument, 2 given");
  ERR_CASE("probe begin { @hist_log(s)[1, 2] }", "1:29: ']' expected (to close '[' at line 1)");
  ERR_CASE("probe begin { @hist_log(s)[] }", "1:28: expected an expression, found operator ']'");
  ERR_CASE("probe begin { @count(s)[1] }", "1:28: expected 'in' after '[...]'"); /* only histograms index */
  ERR_CASE("probe begin { @count s }", "1:22: expected '(' after a statistics operator, found identifier 's'");
  ERR_CASE("probe begin { @cast(p) }", "1:22: expected ',' and a type name in @cast, found operator ')'");
  ERR_CASE("probe begin { @cast(p, t) }", "1:24: expected a string literal for the @cast type");
  ERR_CASE("probe begin { @cast(p, \"t\" }", "1:28: expected ')' to close @cast, found operator '}'");
  ERR_CASE("probe begin { @var(x) }", "1:20: expected a string literal for the @var name");
  ERR_CASE("probe begin { @const(X) }", "1:22: expected a string literal for the @const name");
  ERR_CASE("probe begin { @probewrite(1) }", "1:27: expected a variable name in @probewrite, found number '1'");
  ERR_CASE("probe begin { @defined x }", "1:24: expected '(', found identifier 'x'");
  ERR_CASE("probe begin { @nosuch(1) }", "1:15: unknown macro or @-operator '@nosuch'");
  ERR_CASE("probe begin { 1 = 2 }", "1:17: expected an lvalue on the left of '='");
  ERR_CASE("probe begin { f() += 2 }", "1:19: expected an lvalue on the left of '+='");
  ERR_CASE("probe begin { a = 1 = 2 }", "1:21: expected an lvalue on the left of '='");
  ERR_CASE("probe begin { ++1 }", "1:15: expected an lvalue after '++'");
  ERR_CASE("probe begin { --f() }", "1:15: expected an lvalue after '--'");
  ERR_CASE("probe begin { s =~ t }", "1:17: the right side of '=~' must be a string literal (a regular expression)");
  ERR_CASE("probe begin { s !~ 1 }", "1:17: the right side of '!~' must be a string literal (a regular expression)");
  ERR_CASE("probe begin { &a }", "1:15: '&' applies only to target variables, @cast, @var and '->' member accesses");
  ERR_CASE("probe begin { &(&$x) }", "1:15: '&' applied twice");
  ERR_CASE("probe begin { & &$x }", "1:17: expected an expression, found operator '&'");
  ERR_CASE("probe begin { x = $ }", "1:19: '$' must be followed by a name");
  ERR_CASE("probe begin { $$ }", "1:15: '$' must be followed by a name");
  ERR_CASE("probe begin { $x$ $ }", "1:19: '$' must be followed by a name");
  ERR_CASE("probe begin { $x[0]$->y }", "1:21: expected an expression, found operator '->'");
  ERR_CASE("probe begin { x = }", "1:19: expected an expression, found operator '}'");
  ERR_CASE("probe begin { x = (1 + 2 }", "1:26: expected ')' to close '(', found operator '}'");
  ERR_CASE("probe begin { f(1, 2 }", "1:22: expected ',' or ')' in argument list (to close '(' at line 1)");
  ERR_CASE("probe begin {\n a[1,\n 2 }", "3:4: expected ',' or ']' in array index (to close '[' at line 2)");
  ERR_CASE("probe begin { a[1,2,3,4,5,6,7,8,9,10] }", "1:35: too many array indexes (at most 9)");
  ERR_CASE("probe begin { a[*] }", "1:17: expected an expression, found operator '*'");
  ERR_CASE("probe begin { c ? a }", "1:21: expected ':' in conditional expression, found operator '}'");
  ERR_CASE("probe begin { [a, b] }", "1:22: expected 'in' after '[...]'");
  ERR_CASE("probe begin { k in 1 }", "1:20: expected array name after 'in', found number '1'");
  ERR_CASE("probe begin { k in if }", "1:20: expected array name after 'in', found keyword 'if'");
  ERR_CASE("probe begin { $x-> }", "1:20: expected a field name after '->'");
  ERR_CASE("probe begin { $x[1 }", "1:20: expected ']' after target index, found operator '}'");
  ERR_CASE("probe begin { x = delete }", "1:19: expected an expression, found identifier 'delete'");
}

int main(void) {
  test_precedence();
  test_unary_and_literals();
  test_assignment_ops();
  test_in_and_regex();
  test_calls_and_indexes();
  test_targets();
  test_at_operators();
  test_expr_errors();
  return check_summary();
}

/* test_parse.c: unit tests of declarations and statements (frontend/parse.c,
 * parse-stmt.c).
 *
 * Globals with sizes, wrap, initialisers and 'private'; functions with types,
 * overloads, embedded bodies and pragmas; probes with several points,
 * wildcards, brace expansion, ? ! and conditions; aliases (=, +=, and the
 * prologue/epilogue form); every statement kind; and the locations the tree
 * records.  Expressions are test_parse_expr.c's; errors test_parse_errors.c's.
 */
#include "parse-test.h"

/* Parses text, which must succeed; the file or NULL. */
static AstFile *parse_ok(FeSession *s, const char *text) {
  check_context = text;
  AstFile *f = pt_parse(s, text);
  CHECK(f != NULL);
  CHECK_STR(t_diags(s), "");
  check_context = NULL;
  return f;
}

static AstSym *global_at(AstFile *f, int k) { return k < f->globals.n ? f->globals.items[k] : NULL; }

static void test_globals(void) {
  FeSession *s = t_session(NULL);
  AstFile *f = parse_ok(s, "global a\nglobal b[100], c%, d[10]%, e%[20]\n"
                           "global x = 5, str = \"s\\n\", neg = -3; global big = 0xffffffffffffffff\n"
                           "private global p1\nprivate p2, p3 = 1\n");
  if (!f) goto out;
  CHECK_INT(f->globals.n, 12);
  static const char *const names[] = {"a", "b", "c", "d", "e", "x", "str", "neg", "big", "p1", "p2", "p3"};
  for (int k = 0; k < f->globals.n && k < 12; k++) {
    AstSym *g = global_at(f, k);
    CHECK_STR(g->name, names[k]);
    CHECK_INT(g->kind, SYM_GLOBAL);
    CHECK_INT(g->index, k);
    CHECK(g->file == f);
    CHECK_INT(g->arity, -1);
    CHECK_INT(g->is_private, k >= 9);
  }
  CHECK_INT(global_at(f, 0)->maxsize, 0);
  CHECK(!global_at(f, 0)->wrap);
  CHECK(global_at(f, 0)->init == NULL);
  CHECK_INT(global_at(f, 1)->maxsize, 100);
  CHECK(!global_at(f, 1)->wrap);
  CHECK(global_at(f, 2)->wrap);
  CHECK_INT(global_at(f, 2)->maxsize, 0);
  CHECK_INT(global_at(f, 3)->maxsize, 10);
  CHECK(global_at(f, 3)->wrap);
  CHECK_INT(global_at(f, 4)->maxsize, 20);
  CHECK(global_at(f, 4)->wrap);
  CHECK_INT(global_at(f, 5)->init->kind, EX_NUM);
  CHECK_INT(global_at(f, 5)->init->num, 5);
  CHECK_INT(global_at(f, 6)->init->kind, EX_STR);
  CHECK_MEM(global_at(f, 6)->init->str, global_at(f, 6)->init->str_len, "s\n", (size_t)2);
  CHECK_INT(global_at(f, 7)->init->num, -3);
  CHECK_INT(global_at(f, 8)->init->num, -1);
  CHECK(global_at(f, 10)->init == NULL);
  CHECK_INT(global_at(f, 11)->init->num, 1);
  /* locations: the name */
  CHECK_INT(global_at(f, 1)->loc.line, 2);
  CHECK_INT(global_at(f, 1)->loc.col, 8);
  CHECK_INT(global_at(f, 9)->loc.line, 4);
  CHECK_INT(global_at(f, 9)->loc.col, 16);
out:
  fe_session_free(s);
  ERR_CASE("global a[0]", "1:10: expected a positive array size");
  ERR_CASE("global a[-1]", "1:10: expected a positive array size");
  ERR_CASE("global a[n]", "1:10: expected a positive array size");
  ERR_CASE("global a[10] = 1", "1:14: an array cannot have an initial value");
  ERR_CASE("global a% = 1", "1:11: an array cannot have an initial value");
  ERR_CASE("global a%[2]%", "1:13: '%' given twice");
  ERR_CASE("global x = y", "1:12: expected a literal number or string, found identifier 'y'");
  ERR_CASE("global x = 1 + 2", "1:14: expected 'probe', 'function' or 'global', found operator '+'");
  ERR_CASE("global if", "1:8: expected global variable name, found keyword 'if'");
  ERR_CASE("global 1", "1:8: expected global variable name, found number '1'");
  ERR_CASE("global a,", "1:10: expected global variable name, found end of input");
  ERR_CASE("private", "1:8: expected 'probe', 'function' or 'global' after 'private', found end of input");
  ERR_CASE("private in", "1:9: expected 'probe', 'function' or 'global' after 'private', found identifier 'in'");
  ERR_CASE("private %{ %}", "1:9: expected 'probe', 'function' or 'global' after 'private', found embedded code");
}

static AstFunc *func_at(AstFile *f, int k) { return k < f->funcs.n ? f->funcs.items[k] : NULL; }

static void test_functions(void) {
  FeSession *s = t_session(NULL);
  AstFile *f = parse_ok(s, "function f() {}\n"
                           "function g:long(a:string, b, c:long) { return a }\n"
                           "function g(a) { }\n"
                           "private function h:string() %{ /* pure */ /* unprivileged */ /* pragma:read:x */ "
                           "STAP_RETURN(\"x\"); %}\n"
                           "function e() %{ /* guru */ /* myproc-unprivileged */ /* unmangled */ /* string */\n"
                           "/* pragma:write:y */ /* pragma:tagged_dereferences */ /* pragma:vma */ "
                           "/* pragma:unwind */ /* pragma:symbols */ /* pragma:lines */ %}\n"
                           "function long() {} function string:string(long) {}\n");
  if (!f) goto out;
  CHECK_INT(f->funcs.n, 7);
  AstFunc *fn = func_at(f, 0);
  CHECK_STR(fn->name, "f");
  CHECK_INT(fn->nparams, 0);
  CHECK(!fn->ret_declared);
  CHECK_INT(fn->ret, TY_UNKNOWN);
  CHECK(!fn->embedded);
  CHECK_INT(fn->body->kind, ST_BLOCK);
  CHECK_INT(fn->body->nbody, 0);
  CHECK(fn->file == f);
  CHECK_INT(fn->loc.line, 1);
  CHECK_INT(fn->loc.col, 10);
  fn = func_at(f, 1);
  CHECK_STR(fn->name, "g");
  CHECK(fn->ret_declared);
  CHECK_INT(fn->ret, TY_LONG);
  CHECK_INT(fn->nparams, 3);
  if (fn->nparams == 3) {
    CHECK_STR(fn->params[0].name, "a");
    CHECK_INT(fn->params[0].type, TY_STRING);
    CHECK_STR(fn->params[1].name, "b");
    CHECK_INT(fn->params[1].type, TY_UNKNOWN);
    CHECK_INT(fn->params[2].type, TY_LONG);
    CHECK_INT(fn->params[2].loc.col, 30);
  }
  /* an overload of g: a second function of the same name (elaboration links them) */
  fn = func_at(f, 2);
  CHECK_STR(fn->name, "g");
  CHECK_INT(fn->nparams, 1);
  fn = func_at(f, 3);
  CHECK_STR(fn->name, "h");
  CHECK(fn->is_private);
  CHECK(fn->embedded);
  CHECK_INT(fn->ret, TY_STRING);
  CHECK_INT(fn->body->kind, ST_EMBEDDED);
  CHECK_CONTAINS(fn->body->code, "STAP_RETURN(\"x\");");
  CHECK_INT(fn->pragmas, FN_PRAGMA_PURE | FN_PRAGMA_UNPRIVILEGED | FN_PRAGMA_GLOBAL_READ);
  fn = func_at(f, 4);
  CHECK_INT(fn->pragmas, FN_PRAGMA_GURU | FN_PRAGMA_MYPROC_UNPRIVILEGED | FN_PRAGMA_UNMANGLED | FN_PRAGMA_STRING |
                             FN_PRAGMA_GLOBAL_WRITE | FN_PRAGMA_TAGGED_DEREF | FN_PRAGMA_VMA | FN_PRAGMA_UNWIND |
                             FN_PRAGMA_SYMBOLS | FN_PRAGMA_LINES);
  CHECK(!fn->is_private);
  CHECK_STR(func_at(f, 5)->name, "long");
  CHECK_STR(func_at(f, 6)->name, "string");
  CHECK_STR(func_at(f, 6)->params[0].name, "long");
  CHECK_INT(func_at(f, 6)->priority, 0);
out:
  fe_session_free(s);
  ERR_CASE("function f(a, a) {}", "1:15: duplicate parameter 'a'");
  ERR_CASE("function f(a b) {}", "1:14: expected ',' or ')' in parameter list (to close '(' at line 1)");
  ERR_CASE("function f(a,) {}", "1:14: expected parameter name, found operator ')'");
  ERR_CASE("function f:int() {}", "1:12: expected a type ('long' or 'string'), found identifier 'int'");
  ERR_CASE("function f(a:stats) {}", "1:14: expected a type ('long' or 'string'), found identifier 'stats'");
  ERR_CASE("function for() {}", "1:10: expected function name, found keyword 'for'");
  ERR_CASE("function f {}", "1:12: expected '(' after the function name, found operator '{'");
  ERR_CASE("function f()", "1:13: expected '{', found end of input");
  ERR_CASE("function f() return 1", "1:14: expected '{', found identifier 'return'");
}

/* Overload priorities, ':N' after the parameter list only (langref 3.4's
 * grammar; stap 4.8 also refuses 'f(x):long' and a priority below 1). */
static void test_function_priorities(void) {
  FeSession *s = t_session(NULL);
  AstFile *f = parse_ok(s, "function f():3 { }\n"
                           "function f:long(x:long):0x10 { return x }\n"
                           "private function g(a, b) : 1 %{ /* pure */ %}\n"
                           "function h() { }\n");
  if (!f) goto out;
  CHECK_INT(f->funcs.n, 4);
  CHECK_INT(func_at(f, 0)->priority, 3);
  CHECK_INT(func_at(f, 0)->nparams, 0);
  CHECK_INT(func_at(f, 0)->body->kind, ST_BLOCK);
  CHECK_INT(func_at(f, 1)->priority, 16);
  CHECK_INT(func_at(f, 1)->ret, TY_LONG);
  CHECK_INT(func_at(f, 1)->params[0].type, TY_LONG);
  CHECK_INT(func_at(f, 2)->priority, 1);
  CHECK(func_at(f, 2)->embedded);
  CHECK(func_at(f, 2)->is_private);
  CHECK_INT(func_at(f, 3)->priority, 0);
out:
  fe_session_free(s);
  ERR_CASE("function f():0 {}", "1:14: a function's priority must be greater than 0");
  ERR_CASE("function f():-2 {}",
           "1:14: expected a priority (a positive number) after ':', found operator '-'");
  ERR_CASE("function f(x):long {}",
           "1:15: expected a priority (a positive number) after ':', found identifier 'long'");
  ERR_CASE("function f():\"3\" {}",
           "1:14: expected a priority (a positive number) after ':', found string \"3\"");
  ERR_CASE("function f():3:4 {}", "1:15: expected '{', found operator ':'");
  ERR_CASE("function f() 3 {}", "1:14: expected '{', found number '3'");
}

static AstProbe *probe_at(AstFile *f, int k) { return k < f->probes.n ? f->probes.items[k] : NULL; }
static AstProbe *alias_at(AstFile *f, int k) { return k < f->aliases.n ? f->aliases.items[k] : NULL; }

/* The probe points of the only probe (or alias targets) in text, as "a.b(1), c?". */
static const char *points_of(const char *text) {
  FeSession *s = t_session(NULL);
  AstFile *f = pt_parse(s, text);
  StrBuf b = {0};
  if (!f) sb_printf(&b, "ERROR %s", t_diags(s));
  else if (f->probes.n == 1) sx_points(&b, probe_at(f, 0)->points, probe_at(f, 0)->npoints);
  else if (f->aliases.n == 1) sx_points(&b, alias_at(f, 0)->points, alias_at(f, 0)->npoints);
  else sb_puts(&b, "?no single probe");
  const char *r = pt_save(sb_str(&b));
  sb_free(&b);
  fe_session_free(s);
  return r;
}

#define POINTS_CASE(text, want)                                                                              \
  do {                                                                                                       \
    check_context = (text);                                                                                  \
    CHECK_STR(points_of(text), want);                                                                        \
    check_context = NULL;                                                                                    \
  } while (0)

static void test_probe_points(void) {
  POINTS_CASE("probe begin {}", "begin");
  POINTS_CASE("probe begin, end, error {}", "begin, end, error");
  POINTS_CASE("probe kernel.function(\"sys_*\").return {}", "kernel.function(\"sys_*\").return");
  POINTS_CASE("probe process(\"/bin/ls\").statement(0x1234).absolute {}",
              "process(\"/bin/ls\").statement(4660).absolute");
  POINTS_CASE("probe timer.ms(100), timer.s(-1) {}", "timer.ms(100), timer.s(-1)");
  POINTS_CASE("probe process(\"a\" \"b\").begin {}", "process(\"ab\").begin");
  /* wildcards: pieces written without spaces make one component */
  POINTS_CASE("probe syscall.*, sys*_read, *_x.y*, kernel.** {}", "syscall.*, sys*_read, *_x.y*, kernel.**");
  POINTS_CASE("probe foo.2bar.b4 {}", "ERROR 1:11: malformed number '2bar'");
  POINTS_CASE("probe a.b1.c_2 {}", "a.b1.c_2");
  /* ? and ! (which implies ?) */
  POINTS_CASE("probe a ?, b !, c?! {}", "a?, b!, c!");
  /* conditions belong to one point */
  POINTS_CASE("probe a, b if (x > 1) {}", "a, b if (> x 1)");
  POINTS_CASE("probe a? if (x) {}", "a? if x");
  /* brace expansion, in product order */
  POINTS_CASE("probe {a,b}.c {}", "a.c, b.c");
  POINTS_CASE("probe x.{a,b}.{c,d} {}", "x.a.c, x.a.d, x.b.c, x.b.d");
  POINTS_CASE("probe {a,{b,c}.d}.e {}", "a.e, b.d.e, c.d.e");
  POINTS_CASE("probe syscall.{open,close}.return? {}", "syscall.open.return?, syscall.close.return?");
  POINTS_CASE("probe {a.f(1), b}.c if (z) {}", "a.f(1).c if z, b.c if z");

  FeSession *s = t_session(NULL);
  AstFile *f = parse_ok(s, "probe begin { }\n  probe\n a.b(\"x\") ! , c { x = 1 }");
  if (f) {
    CHECK_INT(f->probes.n, 2);
    AstProbe *p = probe_at(f, 1);
    CHECK(!p->is_alias);
    CHECK(!p->is_private);
    CHECK(p->file == f);
    CHECK_INT(p->loc.line, 2);
    CHECK_INT(p->loc.col, 3);
    CHECK_INT(p->npoints, 2);
    CHECK_INT(p->points[0]->loc.line, 3);
    CHECK_INT(p->points[0]->loc.col, 2);
    CHECK_INT(p->points[0]->ncomps, 2);
    CHECK_INT(p->points[0]->comps[1].loc.col, 4);
    CHECK_INT(p->points[0]->comps[1].arg->kind, EX_STR);
    CHECK(p->points[0]->sufficient && p->points[0]->optional);
    CHECK(!p->points[1]->optional);
    CHECK_INT(p->body->kind, ST_BLOCK);
    CHECK_INT(p->body->nbody, 1);
    CHECK_INT(p->body->loc.col, 17);
    CHECK(p->epi_body == NULL);
  }
  fe_session_free(s);
}

static void test_aliases(void) {
  FeSession *s = t_session(NULL);
  AstFile *f = parse_ok(s, "probe myalias = kernel.function(\"x\") { pro = 1 }\n"
                           "probe a.b += c, d? { epi = 1 }\n"
                           "probe n1, n2.x = t1, t2 {}\n"
                           "probe pe = b { p = 1 }, { e = 1 }\n"
                           "private probe priv = begin {}\n"
                           "probe {p,q} = begin {}\n");
  if (!f) goto out;
  CHECK_INT(f->probes.n, 0);
  CHECK_INT(f->aliases.n, 6);
  AstProbe *a = alias_at(f, 0);
  CHECK(a->is_alias);
  CHECK(!a->epilogue);
  CHECK_INT(a->nalias_names, 1);
  CHECK_STR(a->alias_names[0]->comps[0].name, "myalias");
  CHECK_INT(a->npoints, 1);
  CHECK_STR(a->points[0]->comps[1].name, "function");
  CHECK_INT(a->body->nbody, 1);
  CHECK(a->epi_body == NULL);
  a = alias_at(f, 1);
  CHECK(a->epilogue);
  CHECK_INT(a->alias_names[0]->ncomps, 2);
  CHECK_INT(a->npoints, 2);
  CHECK(a->points[1]->optional); /* targets may be optional */
  a = alias_at(f, 2);
  CHECK_INT(a->nalias_names, 2);
  CHECK_STR(a->alias_names[1]->comps[1].name, "x");
  CHECK_INT(a->npoints, 2);
  a = alias_at(f, 3);
  CHECK(!a->epilogue);
  CHECK(a->epi_body != NULL);
  if (a->epi_body) {
    StrBuf b = {0};
    sx_stmt(&b, a->body);
    sb_puts(&b, " / ");
    sx_stmt(&b, a->epi_body);
    CHECK_STR(sb_str(&b), "{(= p 1)} / {(= e 1)}");
    sb_free(&b);
  }
  CHECK(alias_at(f, 4)->is_private);
  CHECK(!alias_at(f, 3)->is_private);
  CHECK_INT(alias_at(f, 5)->nalias_names, 2); /* brace expansion in alias names */
out:
  fe_session_free(s);
  /* a '+=' alias has no separate epilogue block: ", {" starts nothing */
  ERR_CASE("probe a += b { } , { }", "1:18: expected 'probe', 'function' or 'global', found operator ','");
  ERR_CASE("probe a? = b {}", "1:10: a probe alias name cannot be optional or conditional");
  ERR_CASE("probe a! += b {}", "1:10: a probe alias name cannot be optional or conditional");
  ERR_CASE("probe a if (x) = b {}", "1:16: a probe alias name cannot be optional or conditional");
  ERR_CASE("private probe begin {}", "1:9: 'private' applies only to probe aliases, functions and globals");
  ERR_CASE("probe a = {}", "1:12: expected a probe point component, found operator '}'");
  ERR_CASE("probe a = ;", "1:11: expected a probe point component, found operator ';'");
}

static void test_statements(void) {
  BODY_CASE("", "");
  BODY_CASE(";", ";");
  BODY_CASE("x = 1; y = 2", "(= x 1); (= y 2)");
  BODY_CASE("x = 1 y = 2", "(= x 1); (= y 2)"); /* semicolons are optional */
  BODY_CASE("x = 1;; ;", "(= x 1); ;; ;");
  BODY_CASE("{ a; { b } {} }", "{a; {b}; {}}");
  BODY_CASE("if (a) b", "(if a b)");
  BODY_CASE("if (a) b; else c", "(if a b else c)");
  BODY_CASE("if (a) if (b) c else d", "(if a (if b c else d))"); /* else binds to the nearest if */
  BODY_CASE("if (a) {} else if (b) {} else {}", "(if a {} else (if b {} else {}))");
  BODY_CASE("while (i < 3) i++", "(while (< i 3) (_++ i))");
  BODY_CASE("while (1) { if (x) break; continue }", "(while 1 {(if x break); continue})");
  BODY_CASE("for (i = 0; i < 3; i++) {}", "(for (= i 0) (< i 3) (_++ i) {})");
  BODY_CASE("for (;;) break", "(for _ _ _ break)");
  BODY_CASE("for (; x;) ;", "(for _ x _ ;)");
  BODY_CASE("next", "next");
  BODY_CASE("return", "return");
  BODY_CASE("return;", "return");
  BODY_CASE("return 1 + 2", "(return (+ 1 2))");
  BODY_CASE("{ return }", "{return}");
  BODY_CASE("delete a", "(delete a)");
  BODY_CASE("delete a[1, \"x\"]", "(delete a[1,\"x\"])");
  BODY_CASE("delete a[*]", "(delete a[*])");
  BODY_CASE("delete a[*, k + 1, *]", "(delete a[*,(+ k 1),*])");
  BODY_CASE("delete $p->x", "(delete $p->x)");
  BODY_CASE("delete @cast(p, \"t\")->f", "(delete @cast(p,\"t\")->f)");
  BODY_CASE("try { a() } catch { b() }", "(try {a()} catch {b()})");
  BODY_CASE("try { a() } catch (msg) { println(msg) }", "(try {a()} catch(msg) {println(msg)})");
  BODY_CASE("try {} catch {} x", "(try {} catch {}); x");
  BODY_CASE("%{ /* c */ %}", "%{ /* c */ %}");
  BODY_CASE("f(); %{ x %} g()", "f(); %{ x %}; g()");
}

static void test_foreach(void) {
  BODY_CASE("foreach (k in a) {}", "(foreach [k] in a {})");
  BODY_CASE("foreach (v = k in a) {}", "(foreach v = [k] in a {})");
  BODY_CASE("foreach ([a, b] in arr) {}", "(foreach [a,b] in arr {})");
  BODY_CASE("foreach ([a+, b] in arr) {}", "(foreach [a+,b] in arr {})");
  BODY_CASE("foreach ([a, b-] in arr) {}", "(foreach [a,b-] in arr {})");
  BODY_CASE("foreach (k- in arr) {}", "(foreach [k-] in arr {})");
  BODY_CASE("foreach (k in arr+) {}", "(foreach [k] in arr+ {})");
  BODY_CASE("foreach (v- = k in arr) {}", "(foreach v- = [k] in arr {})"); /* the same tree as "v = [k] in arr-" */
  BODY_CASE("foreach (v+ k in arr) {}", "ERROR 1:27: expected 'in' in foreach");
  BODY_CASE("foreach (v = [a, b] in arr-) {}", "(foreach v- = [a,b] in arr {})");
  BODY_CASE("foreach (k in arr limit 10) {}", "(foreach [k] in arr limit 10 {})");
  BODY_CASE("foreach (k in arr- limit n + 1) x", "(foreach [k] in arr- limit (+ n 1) x)");
  BODY_CASE("foreach ([a, b] in arr[*, 3]) {}", "(foreach [a,b] in arr[*,3] {})");
  BODY_CASE("foreach ([a, b] in arr[x, *]+ limit 2) {}", "(foreach [a,b] in arr+[x,*] limit 2 {})");
  BODY_CASE("foreach ([a,b,c,d,e,f,g,h,i] in arr) {}", "(foreach [a,b,c,d,e,f,g,h,i] in arr {})");
  BODY_CASE("foreach (k in @hist_log(s)) {}", "(foreach [k] in @hist_log(s) {})");
  BODY_CASE("foreach (v = k- in @hist_linear(s, 0, 9, 3) limit 2) {}",
            "(foreach v = [k-] in @hist_linear(s,0,9,3) limit 2 {})");
  BODY_CASE("foreach (k in st @sum-) {}", "(foreach [k] in st @sum- {})");
  BODY_CASE("foreach ([a, b] in st @count+ limit 3) {}", "(foreach [a,b] in st @count+ limit 3 {})");
  BODY_CASE("foreach ([a, b] in st @max- [*, 1]) {}", "(foreach [a,b] in st @max-[*,1] {})");
  BODY_CASE("foreach ([a, b] in st[*, 1] @max-) {}", "(foreach [a,b] in st @max-[*,1] {})");
  BODY_CASE("foreach (k in a) { foreach (j in b) break; continue }",
            "(foreach [k] in a {(foreach [j] in b break); continue})");

  FeSession *s = t_session(NULL);
  AstFile *f = parse_ok(s, "probe begin { foreach (v = [a, b+] in arr limit 5) next }");
  if (f) {
    const AstStmt *st = probe_at(f, 0)->body->body[0];
    CHECK_INT(st->kind, ST_FOREACH);
    const AstForeach *fe = st->fe;
    CHECK_STR(fe->value->name, "v");
    CHECK_INT(fe->value->kind, EX_VAR);
    CHECK_INT(fe->nkeys, 2);
    CHECK_INT(fe->keys[1]->kind, EX_VAR);
    CHECK_INT(fe->sort_col, 2);
    CHECK_INT(fe->sort_dir, 1);
    CHECK_INT(fe->array->kind, EX_VAR);
    CHECK_STR(fe->array->name, "arr");
    CHECK(!fe->has_slice);
    CHECK_INT(fe->limit->num, 5);
    CHECK_INT(st->then->kind, ST_NEXT);
    CHECK_INT(st->loc.col, 15);
  }
  fe_session_free(s);

  ERR_CASE("probe begin { foreach ([a+, b-] in x) {} }", "1:30: multiple sort directives in foreach");
  ERR_CASE("probe begin { foreach (k+ in x-) {} }", "1:31: multiple sort directives in foreach");
  ERR_CASE("probe begin { foreach ([a, b] in x[*]) {} }", "1:34: foreach slice has 1 indexes but 2 keys are named");
  ERR_CASE("probe begin { foreach ([a,b,c,d,e,f,g,h,i,j] in x) {} }",
           "1:43: too many foreach keys (at most 9)");
  ERR_CASE("probe begin { foreach (k of x) {} }", "1:26: expected 'in' in foreach");
  ERR_CASE("probe begin {\n foreach (k in x {} }", "2:18: ')' expected (to close '(' at line 2)");
  ERR_CASE("probe begin { foreach ([a, b in x) {} }", "1:30: expected ',' or ']' in foreach keys, found identifier 'in'");
  ERR_CASE("probe begin { foreach (1 in x) {} }", "1:24: expected foreach key variable, found number '1'");
  ERR_CASE("probe begin { foreach (k in 1) {} }", "1:29: expected array name in foreach, found number '1'");
  ERR_CASE("probe begin { foreach (k in st @avg) {} }", "1:36: expected '+' or '-' after @avg in foreach");
}

int main(void) {
  test_globals();
  test_functions();
  test_function_priorities();
  test_probe_points();
  test_aliases();
  test_statements();
  test_foreach();
  if (pt_keep) arena_free(pt_keep);
  return check_summary();
}

/* test_interp.c: unit tests of the interpreter and the runtime's builtins.
 *
 * The builtin table (builtins.def): unique names, every builtin a tapset in
 * argv[1] declares present with the tapset's arity, and each entry callable
 * through libffi from its signature alone (the way the interpreter calls
 * it), with results checked against SystemTap's tapset C.  Then the
 * interpreter on modules written in the IR text form (no front end):
 * builtins and script calls, try/catch of error(), division by zero with
 * its location, MAXNESTING, MAXACTION (not catchable), abort(), exit(),
 * and the location describer.
 */
#include "builtins.h"
#include "check.h"
#include "interp.h"
#include "run.h"

#include <dirent.h>
#include <ffi.h>
#include <stdlib.h>
#include <string.h>

/* ---- calling the table through libffi --------------------------------------- */

typedef union BiVal {
  int64_t l;
  const char *s;
} BiVal;

/* Calls builtin name with args through libffi, as the interpreter does. */
static BiVal ffi_builtin(RtCtx *c, const char *name, const BiVal *args) {
  const RtBuiltin *b = rt_builtin_find(name);
  BiVal r = {0};
  if (!b) return r;
  ffi_type *types[RT_BUILTIN_MAXARGS + 1] = {&ffi_type_pointer};
  void *avalues[RT_BUILTIN_MAXARGS + 1] = {&c};
  for (int k = 0; k < b->nargs; k++) {
    types[k + 1] = b->args[k] == RT_BI_STR ? &ffi_type_pointer : &ffi_type_sint64;
    avalues[k + 1] = (void *)&args[k];
  }
  ffi_type *ret = b->ret == RT_BI_STR    ? &ffi_type_pointer
                  : b->ret == RT_BI_LONG ? &ffi_type_sint64
                                         : &ffi_type_void;
  ffi_cif cif;
  if (ffi_prep_cif(&cif, FFI_DEFAULT_ABI, (unsigned)b->nargs + 1, ret, types) != FFI_OK) return r;
  union {
    ffi_arg raw;
    BiVal v;
  } rv = {0};
  ffi_call(&cif, b->fn, b->ret == RT_BI_VOID ? NULL : &rv, avalues);
  return rv.v;
}

#define S(x) ((BiVal){.s = (x)})
#define L(x) ((BiVal){.l = (x)})

static void test_table(void) {
  for (int i = 0; i < rt_builtin_count(); i++) {
    const RtBuiltin *b = rt_builtin_at(i);
    CHECK(rt_builtin_find(b->name) == b); /* names are unique */
    CHECK(b->fn != NULL && b->nargs >= 0 && b->nargs <= RT_BUILTIN_MAXARGS);
  }
  CHECK(rt_builtin_find("no_such_builtin") == NULL);
  const RtBuiltin *b = rt_builtin_find("substr");
  CHECK(b && b->ret == RT_BI_STR && b->nargs == 3 && b->args[0] == RT_BI_STR && b->args[2] == RT_BI_LONG);
}

/* "function NAME[:type] (a:t, b) %{ ... stapjit:builtin[=X] ... %}" in a tapset file:
 * the table has X (or NAME) with as many arguments. */
static void check_tapset_file(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return;
  char *text = NULL;
  size_t cap = 0;
  ssize_t n = getdelim(&text, &cap, '\0', f);
  fclose(f);
  if (n <= 0) {
    free(text);
    return;
  }
  for (char *p = text; (p = strstr(p, "stapjit:builtin")); p++) {
    char *fn = p;
    while (fn > text && strncmp(fn, "function ", 9) != 0) fn--;
    char name[64] = "", alias[64] = "";
    sscanf(fn + 9, " %63[A-Za-z0-9_]", name);
    if (p[15] == '=') sscanf(p + 16, "%63[A-Za-z0-9_]", alias);
    char *open = strchr(fn, '('), *close = open ? strchr(open, ')') : NULL;
    int nargs = 0;
    if (open && close && close > open + 1) {
      nargs = 1;
      for (char *q = open; q < close; q++) nargs += *q == ',';
      bool blank = true;
      for (char *q = open + 1; q < close; q++) blank &= *q == ' ';
      if (blank) nargs = 0;
    }
    const char *want = alias[0] ? alias : name;
    const RtBuiltin *b = rt_builtin_find(want);
    check_context = want;
    CHECK(b != NULL);
    if (b) CHECK_INT(b->nargs, nargs);
    check_context = NULL;
  }
  free(text);
}

static void test_tapsets(const char *dir) {
  DIR *d = opendir(dir);
  CHECK(d != NULL);
  if (!d) return;
  int files = 0;
  for (struct dirent *e; (e = readdir(d));) {
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 4, ".stp")) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    check_tapset_file(path);
    files++;
  }
  closedir(d);
  CHECK(files > 0);
}

static void test_ffi_calls(void) {
  RtBuf out = RT_BUF_INIT;
  RtCtx c;
  CHECK_INT(rt_ctx_init(&c, &out, NULL), 0);
  CHECK_INT(ffi_builtin(&c, "strlen", (BiVal[]){S("hello")}).l, 5);
  CHECK_STR(ffi_builtin(&c, "substr", (BiVal[]){S("hello world"), L(6), L(100)}).s, "world");
  CHECK_STR(ffi_builtin(&c, "substr", (BiVal[]){S("abc"), L(3), L(2)}).s, "");
  CHECK_INT(ffi_builtin(&c, "strpos", (BiVal[]){S("abcabc"), S("c")}).l, 2);
  CHECK_STR(ffi_builtin(&c, "str_replace", (BiVal[]){S("one two one"), S("one"), S("1")}).s, "1 two 1");
  CHECK_STR(ffi_builtin(&c, "text_strn", (BiVal[]){S("hello"), L(0), L(1)}).s, "\"hello\"");
  CHECK_STR(ffi_builtin(&c, "text_str", (BiVal[]){S("a\tb\n\x01")}).s, "a\\tb\\n\\001");
  CHECK_STR(ffi_builtin(&c, "string_quoted", (BiVal[]){S("a\"b")}).s, "\"a\\\"b\"");
  CHECK_INT(ffi_builtin(&c, "strtol", (BiVal[]){S("-42"), L(10)}).l, -42);
  CHECK_INT(ffi_builtin(&c, "strtol", (BiVal[]){S("0x1f"), L(0)}).l, 31);
  CHECK_STR(ffi_builtin(&c, "tokenize", (BiVal[]){S("a,,b"), S(",")}).s, "a");
  CHECK_STR(ffi_builtin(&c, "tokenize_next", (BiVal[]){S(",")}).s, "b");
  CHECK_STR(ffi_builtin(&c, "tokenize_next", (BiVal[]){S(",")}).s, "");
  CHECK_STR(ffi_builtin(&c, "errno_str", (BiVal[]){L(-22)}).s, "EINVAL");
  CHECK_STR(ffi_builtin(&c, "errno_str", (BiVal[]){L(3333)}).s, "E#3333");
  CHECK_STR(ffi_builtin(&c, "ctime", (BiVal[]){L(741476948)}).s, "Wed Jun 30 21:49:08 1993");
  CHECK_STR(ffi_builtin(&c, "toupper", (BiVal[]){S("aBc")}).s, "ABC");
  CHECK(!c.failed);

  ffi_builtin(&c, "stringat", (BiVal[]){S("abc"), L(3)});
  CHECK(c.failed);
  CHECK_STR(c.errmsg, "Position out of bounds");
  rt_ctx_clear_error(&c);
  ffi_builtin(&c, "ctime", (BiVal[]){L(1LL << 40)});
  CHECK_STR(c.errmsg, "Time too far in the future to be converted");
  rt_ctx_clear_error(&c);
  ffi_builtin(&c, "matched", (BiVal[]){L(0)});
  CHECK_STR(c.errmsg, "Attempted to get subexpression 0 from failed match");
  rt_ctx_clear_error(&c);

  regex_t re;
  char msg[128];
  CHECK_INT(rt_regex_compile(&re, "^([a-z]+)=([0-9]+)?$", msg, sizeof msg), 0);
  CHECK(rt_regex_match(&c, &re, "key="));
  CHECK_STR(ffi_builtin(&c, "matched", (BiVal[]){L(1)}).s, "key");
  CHECK_STR(ffi_builtin(&c, "matched", (BiVal[]){L(2)}).s, "");
  CHECK_INT(ffi_builtin(&c, "ngroups", NULL).l, 3);
  regfree(&re);
  CHECK(rt_regex_compile(&re, "(", msg, sizeof msg) != 0);

  ffi_builtin(&c, "log", (BiVal[]){S("line")});
  ffi_builtin(&c, "log", (BiVal[]){S("two\n")});
  CHECK_STR(rt_buf_cstr(&out), "line\ntwo\n");
  ffi_builtin(&c, "error", (BiVal[]){S("bad")});
  CHECK(c.failed);
  CHECK_STR(c.errmsg, "bad");
  rt_ctx_clear_error(&c);
  CHECK(!c.exit_requested);
  ffi_builtin(&c, "exit", NULL);
  CHECK(c.exit_requested && !c.aborted);
  ffi_builtin(&c, "abort", NULL);
  CHECK(c.aborted);
  rt_ctx_fini(&c);
  rt_buf_free(&out);
}

/* ---- the interpreter on IR text ------------------------------------------------------- */

static const char module_text[] = "maxstringlen 512\n"
                                  "global @z : i64\n"
                                  "format #0 = \"%d|%s|%d\\n\"\n"
                                  "format #1 = \"caught %s\\n\"\n"
                                  "format #2 = \"%d\\n\"\n"
                                  "func @down(i64) -> i64 {\n"
                                  "b0:\n"
                                  "  %0 = param 0 : i64\n"
                                  "  actions 1\n"
                                  "  %2 = tobool %0\n"
                                  "  cbr %2, b1, b2\n"
                                  "b1:\n"
                                  "  %3 = const.i64 1\n"
                                  "  %6 = sub %0, %3\n"
                                  "  %7 = call @down(%6) : i64 !t.stp:2:30\n"
                                  "  %8 = add %3, %7\n"
                                  "  br b3\n"
                                  "b2:\n"
                                  "  %9 = const.i64 0\n"
                                  "  br b3\n"
                                  "b3:\n"
                                  "  %10 = phi [%8, b1], [%9, b2] : i64\n"
                                  "  ret %10\n"
                                  "}\n"
                                  "handler @probe.0() -> void {\n"
                                  "b0:\n"
                                  "  actions 1\n"
                                  "  %0 = const.str \"hello\"\n"
                                  "  %1 = builtin strlen(%0) : i64\n"
                                  "  %3 = const.i64 1\n"
                                  "  %4 = const.i64 3\n"
                                  "  %5 = builtin substr(%0, %3, %4) : str\n"
                                  "  %7 = call @down(%4) : i64\n"
                                  "  printf #0(%1, %5, %7)\n"
                                  "  ret\n"
                                  "}\n"
                                  "handler @probe.1() -> void {\n"
                                  "b0:\n"
                                  "  try.push b1\n"
                                  "  %1 = const.str \"boom\"\n"
                                  "  builtin error(%1)\n"
                                  "  try.pop\n"
                                  "  br b2\n"
                                  "b1:\n"
                                  "  %2 = catch.msg\n"
                                  "  printf #1(%2)\n"
                                  "  br b2\n"
                                  "b2:\n"
                                  "  ret\n"
                                  "}\n"
                                  "handler @probe.2() -> void {\n"
                                  "b0:\n"
                                  "  %1 = const.i64 10\n"
                                  "  %2 = global.get @z : i64\n"
                                  "  %3 = div %1, %2 !t.stp:5:19\n"
                                  "  ret\n"
                                  "}\n"
                                  "handler @probe.3() -> void {\n"
                                  "b0:\n"
                                  "  %0 = const.i64 100\n"
                                  "  %1 = call @down(%0) : i64\n"
                                  "  printf #2(%1)\n"
                                  "  ret\n"
                                  "}\n"
                                  "handler @probe.4() -> void {\n"
                                  "b0:\n"
                                  "  builtin exit()\n"
                                  "  %0 = const.str \"after exit\"\n"
                                  "  printf #1(%0)\n"
                                  "  ret\n"
                                  "}\n"
                                  "handler @probe.5() -> void {\n"
                                  "b0:\n"
                                  "  builtin abort()\n"
                                  "  %0 = const.str \"not reached\"\n"
                                  "  printf #1(%0)\n"
                                  "  ret\n"
                                  "}\n"
                                  "probe begin seq 0 host \"begin\" -> @probe.0\n"
                                  "probe begin seq 0 host \"begin\" -> @probe.1\n"
                                  "probe begin seq 0 host \"begin\" -> @probe.2\n"
                                  "probe begin seq 0 host \"begin\" -> @probe.3\n"
                                  "probe begin seq 0 host \"begin\" -> @probe.4\n"
                                  "probe begin seq 0 host \"begin\" -> @probe.5\n";

static void test_interp(void) {
  Arena *a = arena_new();
  SrcSet src;
  srcset_init(&src, a);
  DiagList diag;
  diag_init(&diag, a, &src);
  IrModule *m = ir_parse(module_text, sizeof module_text - 1, &src, &diag);
  CHECK(m != NULL);
  if (!m) {
    diag_print(&diag, stderr);
    arena_free(a);
    return;
  }
  CHECK_INT(ir_verify(m, &diag), 0);
  RtBuf out = RT_BUF_INIT;
  IrInterpOptions o = {.sz = sizeof o, .maxaction = 1000, .maxnesting = 10, .out = &out};
  IrInterp *in = ir_interp_new(m, &o, &diag);
  CHECK(in != NULL);
  if (!in) {
    diag_print(&diag, stderr);
    ir_module_free(m);
    arena_free(a);
    return;
  }
  CHECK_INT(ir_interp_maxnesting(in), 10);

  CHECK_INT(ir_interp_run_probe(in, m->probes[0]), IR_RUN_OK);
  CHECK_STR(rt_buf_cstr(&out), "5|ell|3\n");
  rt_buf_truncate(&out, 0);

  CHECK_INT(ir_interp_run_probe(in, m->probes[1]), IR_RUN_OK);
  CHECK_STR(rt_buf_cstr(&out), "caught boom\n");
  rt_buf_truncate(&out, 0);

  CHECK_INT(ir_interp_run_probe(in, m->probes[2]), IR_RUN_ERROR);
  IrRunError e = ir_interp_error(in);
  CHECK_STR(e.msg, "division by 0");
  CHECK(e.loc.line == 5 && e.loc.col == 19);

  CHECK_INT(ir_interp_run_probe(in, m->probes[3]), IR_RUN_ERROR); /* depth 11 > MAXNESTING 10 */
  e = ir_interp_error(in);
  CHECK_STR(e.msg, "MAXNESTING exceeded");
  CHECK(e.loc.line == 2 && e.loc.col == 30);
  CHECK_STR(rt_buf_cstr(&out), "");

  /* exit() asks for the end; the probe hit goes on */
  CHECK(!ir_interp_exit_requested(in));
  CHECK_INT(ir_interp_run_probe(in, m->probes[4]), IR_RUN_OK);
  CHECK(ir_interp_exit_requested(in));
  CHECK_STR(rt_buf_cstr(&out), "caught after exit\n");
  rt_buf_truncate(&out, 0);

  CHECK_INT(ir_interp_run_probe(in, m->probes[5]), IR_RUN_ABORT);
  CHECK_STR(rt_buf_cstr(&out), "");

  ir_interp_free(in);
  rt_buf_free(&out);
  ir_module_free(m);
  arena_free(a);
}

static const char loop_text[] = "maxstringlen 512\n"
                                "format #0 = \"caught %s\\n\"\n"
                                "handler @probe.0() -> void {\n"
                                "b0:\n"
                                "  try.push b2\n"
                                "  br b1\n"
                                "b1:\n"
                                "  actions 3 !t.stp:7:3\n"
                                "  br b1\n"
                                "b2:\n"
                                "  %0 = catch.msg\n"
                                "  printf #0(%0)\n"
                                "  ret\n"
                                "}\n"
                                "probe begin seq 0 host \"begin\" -> @probe.0\n";

/* An endless loop inside a try region: MAXACTION is not caught. */
static void test_maxaction(void) {
  Arena *a = arena_new();
  SrcSet src;
  srcset_init(&src, a);
  DiagList diag;
  diag_init(&diag, a, &src);
  IrModule *m = ir_parse(loop_text, sizeof loop_text - 1, &src, &diag);
  CHECK(m != NULL);
  if (!m) {
    diag_print(&diag, stderr);
    arena_free(a);
    return;
  }
  RtBuf out = RT_BUF_INIT;
  IrInterpOptions o = {.sz = sizeof o, .maxaction = 100, .maxnesting = -1, .out = &out};
  IrInterp *in = ir_interp_new(m, &o, &diag);
  CHECK(in != NULL);
  if (in) {
    CHECK_INT(ir_interp_run_probe(in, m->probes[0]), IR_RUN_ERROR);
    IrRunError e = ir_interp_error(in);
    CHECK_STR(e.msg, "MAXACTION exceeded");
    CHECK(e.loc.line == 7);
    CHECK_STR(rt_buf_cstr(&out), "");
    ir_interp_free(in);
  }
  rt_buf_free(&out);
  ir_module_free(m);
  arena_free(a);
}

static void test_describe(void) {
  Arena *a = arena_new();
  SrcSet src;
  srcset_init(&src, a);
  const char text[] = "probe begin {\n  x = a / b; for (;;) ;\n  s = \"q\" . @count(t) .= y\n}\n";
  uint32_t f = srcset_add(&src, "t.stp", text, sizeof text - 1, 0);
  char buf[128];
  CHECK_STR(ir_describe_loc(&src, (SrcLoc){f, 2, 9}, buf, sizeof buf), "operator '/' at t.stp:2:9");
  CHECK_STR(ir_describe_loc(&src, (SrcLoc){f, 2, 3}, buf, sizeof buf), "identifier 'x' at t.stp:2:3");
  CHECK_STR(ir_describe_loc(&src, (SrcLoc){f, 2, 14}, buf, sizeof buf), "keyword at t.stp:2:14");
  CHECK_STR(ir_describe_loc(&src, (SrcLoc){f, 3, 7}, buf, sizeof buf), "string 'q' at t.stp:3:7");
  CHECK_STR(ir_describe_loc(&src, (SrcLoc){f, 3, 13}, buf, sizeof buf), "operator '@count' at t.stp:3:13");
  CHECK_STR(ir_describe_loc(&src, (SrcLoc){f, 3, 23}, buf, sizeof buf), "operator '.=' at t.stp:3:23");
  arena_free(a);
}

int main(int argc, char **argv) {
  test_table();
  if (argc > 1) test_tapsets(argv[1]);
  test_ffi_calls();
  test_interp();
  test_maxaction();
  test_describe();
  return check_summary();
}

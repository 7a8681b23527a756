/* test_lower.c: pass 3's lowering, from script text to checked IR.
 *
 * Each case elaborates a script against the library in argv[1] (builtins
 * declared with the stapjit:builtin pragma, one plain embedded-C function),
 * lowers it, and checks the module: a structural check of its own (every
 * block ends in one terminator, phis first, result types by opcode as the
 * IR contract gives them, ir-check.h), ir_verify, then what
 * the case is about (opcodes present, formats, sort descriptors, pinned
 * slots, diagnostics).  "test_lower DIR --dump FILE [--kernel] [--pipeline]"
 * prints the IR of a script instead (for the .ir files of run.sh), and with
 * --pipeline what every pass makes of it, verified after each.
 * Prints "N passed, N failed".
 */
#include "check.h"
#include "fe-test.h"
#include "ir-check.h"
#include "ir.h"

#include <stdlib.h>

static const char *libdir;

typedef struct Lowered {
  FeSession *s;
  IrModule *m;     /* NULL if lowering (or elaboration) failed */
  const char *ir;  /* the printed module (malloc'd), or "" */
  const char *msg; /* diagnostics as "line:col: message" lines */
} Lowered;

static const char *print_ir(const IrModule *m) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ir_print_module(f, m);
  fclose(f);
  return buf; /* freed by done() */
}

static Lowered run(const char *text, bool kernel) {
  Lowered r = {0};
  FeOptions o = t_options();
  o.tapset_dir = libdir;
  r.s = t_session(&o);
  CHECK_INT(fe_load_tapsets(r.s), 0);
  r.s->user = fe_parse(r.s, t_add(r.s, text), false);
  r.ir = "";
  if (!r.s->user || fe_elaborate(r.s) != 0) {
    r.msg = t_diags(r.s);
    fprintf(stderr, "elaboration failed [%s]:\n%s\n", check_context, r.msg);
    CHECK(!"elaboration");
    return r;
  }
  IrLowerOptions lo = {.sz = sizeof lo, .maxstringlen = 512, .kernel_probes_allowed = kernel};
  r.m = ir_lower(r.s->prog, &r.s->src, &lo, &r.s->diag);
  r.msg = t_diags(r.s);
  if (!r.m) return r;
  r.ir = print_ir(r.m);
  int np = check_module(r.m);
  if (np) fprintf(stderr, "[%s]\n%s", check_context, r.ir);
  CHECK_INT(np, 0);
  DiagList vd;
  diag_init(&vd, r.s->arena, &r.s->src);
  int v = ir_verify(r.m, &vd);
  if (v) diag_print(&vd, stderr), fprintf(stderr, "[%s]\n%s", check_context, r.ir);
  CHECK_INT(v, 0);
  return r;
}

static void done(Lowered *r) {
  if (r->ir && *r->ir) free((char *)r->ir);
  ir_module_free(r->m);
  fe_session_free(r->s);
}

/* A script that must lower cleanly. */
static Lowered ok(const char *text) {
  Lowered r = run(text, true);
  if (!r.m) fprintf(stderr, "lowering failed [%s]:\n%s\n", check_context, r.msg);
  CHECK(r.m != NULL);
  return r;
}

/* A script whose lowering must fail with a message containing want. */
static void fails(const char *text, const char *want) {
  Lowered r = run(text, true);
  CHECK(r.m == NULL);
  CHECK_CONTAINS(r.msg, want);
  done(&r);
}

static IrFunc *func(const IrModule *m, const char *name) {
  for (int k = 0; m && k < m->nfuncs; k++)
    if (!strcmp(m->funcs[k]->name, name)) return m->funcs[k];
  return NULL;
}

static IrGlobal *global(const IrModule *m, const char *name) {
  for (int k = 0; m && k < m->nglobals; k++)
    if (!strcmp(m->globals[k]->name, name)) return m->globals[k];
  return NULL;
}

static int count_op(const IrFunc *f, IrOp op) {
  int n = 0;
  for (int k = 0; f && k < f->nblocks; k++)
    for (const IrInst *i = f->blocks[k]->first; i; i = i->next) n += i->op == op;
  return n;
}

static int count_op_module(const IrModule *m, IrOp op) {
  int n = 0;
  for (int k = 0; m && k < m->nfuncs; k++) n += count_op(m->funcs[k], op);
  return n;
}

/* The nth (0-based) instruction of op in f, or NULL. */
static IrInst *nth_op(const IrFunc *f, IrOp op, int nth) {
  for (int k = 0; f && k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      if (i->op == op && nth-- == 0) return i;
  return NULL;
}

static bool has_format(const IrModule *m, const char *text) {
  for (int k = 0; m && k < m->nformats; k++)
    if (m->formats[k]->len == strlen(text) && !memcmp(m->formats[k]->text, text, m->formats[k]->len))
      return true;
  return false;
}

static const char *format_of(const IrInst *i) {
  return i && i->aux ? ((const IrFormat *)i->aux)->text : NULL;
}

/* ---- the cases ------------------------------------------------------------------------*/

/* Every expression kind lowers to its opcode, and the whole verifies. */
static void test_expressions(void) {
  check_context = "expressions";
  Lowered r = ok(
      "global g, m, st, sa\n"
      "probe begin {\n"
      "  g = 7; m[\"k\", 1] = 2; st <<< 3; sa[1] <<< 4\n"
      "  a = g + 1 - 2 * 3 / 4 % 5; b = a << 1 >> 2 >>> 3; c = a & 1 | 2 ^ 3\n"
      "  d = -a + ~b + +c + !a\n"
      "  e = a == b || a != b && a < b; f = a <= b; h = a > b; i = a >= b\n"
      "  s = \"x\" . sprint(a); t = s == \"y\"; u = s != s; v = s < s; w = s <= s; x = s > s; y = s >= s\n"
      "  z = a ? s : \"n\"\n"
      "  aa = s =~ \"^x\"; bb = s !~ \"y$\"\n"
      "  cc = [\"k\", 1] in m; dd = m[\"k\", 1]; c2 = [*, 1] in m; c3 = [\"k\", *] in m\n"
      "  ee = @count(st) + @sum(st) + @min(st) + @max(st) + @avg(st) + @variance(st) + @variance(sa[1], 3)\n"
      "  ff = strlen(s) + twice(a); gg = substr(s, 0, 1)\n"
      "  a++; --b; c += 1; c -= 1; c *= 2; c /= 2; c %= 3; c <<= 1; c >>= 1; c >>>= 1; c &= 1; c |= 1; c ^= "
      "1\n"
      "  s .= \"z\"; hh = a++ + ++b\n"
      "  printf(\"%d %d %d %d %d %d %d %d %d %d %d %d %d %d\\n\", d, e, f, h, i, t, u, v, w, x, y, aa, bb, "
      "cc)\n"
      "  printf(\"%d %s %d %d %s %d %s %d %d %d\\n\", ee, z, ff, dd, gg, hh, s, c, c2, c3)\n"
      "}\n");
  IrFunc *f = func(r.m, "probe.0");
  CHECK(f != NULL);
  static const IrOp want[] = {
      IR_ADD,     IR_SUB,     IR_MUL,        IR_DIV,       IR_MOD,       IR_SHL,        IR_SHR,
      IR_USHR,    IR_AND,     IR_OR,         IR_XOR,       IR_NEG,       IR_BNOT,       IR_NOT,
      IR_ZEXT,    IR_TOBOOL,  IR_EQ,         IR_NE,        IR_LT,        IR_LE,         IR_GT,
      IR_GE,      IR_SEQ,     IR_SNE,        IR_SLT,       IR_SLE,       IR_SGT,        IR_SGE,
      IR_CONCAT,  IR_REGEX,   IR_PHI,        IR_LOCAL_GET, IR_LOCAL_SET, IR_GLOBAL_SET, IR_GLOBAL_GET,
      IR_MAP_SET, IR_MAP_GET, IR_MAP_EXISTS, IR_STAT_ADD,  IR_STAT_GET,  IR_CALL,       IR_BUILTIN,
      IR_PRINTF,  IR_SPRINTF, IR_CONST_STR,  IR_CONST_I64, IR_ACTIONS,   IR_RET};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    if (!count_op(f, want[k])) fprintf(stderr, "missing %s\n", ir_op_name(want[k]));
    CHECK(count_op(f, want[k]) > 0);
  }
  /* the regexes are interned, !~ negates */
  CHECK_INT(r.m ? r.m->nregexes : 0, 2);
  IrInst *re = nth_op(f, IR_REGEX, 1);
  CHECK(re && re->next && re->next->op == IR_NOT);
  /* @variance(sa[1], 3): the key, then the bits */
  IrInst *var = nth_op(f, IR_STAT_GET, 6);
  CHECK(var && var->imm == IR_STAT_VARIANCE && var->nargs == 2 && var->args[1]->op == IR_CONST_I64 &&
        var->args[1]->imm == 3);
  CHECK(nth_op(f, IR_STAT_GET, 0) && nth_op(f, IR_STAT_GET, 0)->imm == IR_STAT_COUNT);
  CHECK(nth_op(f, IR_STAT_GET, 4) && nth_op(f, IR_STAT_GET, 4)->imm == IR_STAT_AVG);
  /* builtins: name from the pragma, or the function's own */
  IrInst *b0 = nth_op(f, IR_BUILTIN, 0), *b1 = nth_op(f, IR_BUILTIN, 1);
  CHECK(b0 && !strcmp(((IrBuiltin *)b0->aux)->name, "strlen") && b0->type == IR_I64 &&
        ((IrBuiltin *)b0->aux)->id == -1);
  CHECK(b1 && !strcmp(((IrBuiltin *)b1->aux)->name, "string_substr") && b1->type == IR_STR);
  /* unary plus is the value itself: exactly one NEG and one BNOT */
  CHECK_INT(count_op(f, IR_NEG), 1);
  CHECK_INT(count_op(f, IR_BNOT), 1);
  CHECK_INT(count_op_module(r.m, IR_UNREACHABLE), 0);
  /* [*, 1] in m: a one-element iteration over the slice */
  IrInst *it = nth_op(f, IR_ITER_BEGIN, 0);
  const IrSort *so = it ? it->aux : NULL;
  CHECK(so && so->has_limit && so->slice == 2 && it->nargs == 2 && it->args[0]->imm == 1 &&
        it->args[1]->imm == 1);
  CHECK(it && it->next->op == IR_ITER_NEXT && it->next->next->op == IR_ITER_END &&
        it->next->next->next->op == IR_ZEXT);
  it = nth_op(f, IR_ITER_BEGIN, 1);
  so = it ? it->aux : NULL;
  CHECK(so && so->slice == 1 && it->nargs == 2 && it->args[1]->type == IR_STR);
  done(&r);
}

/* The runtime's "division by zero near operator '/'" needs the operator's place. */
static void test_locations(void) {
  check_context = "locations";
  Lowered r = ok("probe begin {\n  x = 10; y = 0\n  z = x   /  y; z %= y\n  println(z)\n}\n");
  IrFunc *f = func(r.m, "probe.0");
  IrInst *d = nth_op(f, IR_DIV, 0), *m = nth_op(f, IR_MOD, 0);
  CHECK(d && d->loc.line == 3 && d->loc.col == 11);
  CHECK(m && m->loc.line == 3 && m->loc.col == 19);
  /* every instruction has a location (check_module), the entry's inits the locals' */
  IrInst *set = nth_op(f, IR_LOCAL_SET, 0);
  CHECK(set && set->loc.line == 2 && set->loc.col == 3);
  done(&r);
}

/* Conditions branch without materialising bools; values use a phi. */
static void test_conditions(void) {
  check_context = "conditions";
  Lowered r = ok("global a, b\nprobe begin { a = 1; b = 2; if (a && !b || a > b) print(\"y\"); x = a && b; "
                 "println(x) }");
  IrFunc *f = func(r.m, "probe.0");
  /* the if: tobool a, tobool b (no not: the branch swaps), gt; the value: one phi */
  CHECK_INT(count_op(f, IR_NOT), 0);
  CHECK_INT(count_op(f, IR_PHI), 1);
  IrInst *phi = nth_op(f, IR_PHI, 0);
  CHECK(phi && phi->type == IR_BOOL && phi->nargs == 2 && phi->next && phi->next->op == IR_ZEXT);
  done(&r);

  r = ok("global a\nprobe begin { a = 3; x = !a; y = a ? \"p\" : \"q\"; println(x, y) }");
  f = func(r.m, "probe.0");
  IrInst *n = nth_op(f, IR_NOT, 0);
  CHECK(n && n->args[0]->op == IR_TOBOOL && n->next && n->next->op == IR_ZEXT);
  phi = nth_op(f, IR_PHI, 0);
  CHECK(phi && phi->type == IR_STR);
  done(&r);
}

/* print-family formats: literal parts escaped, %d/%s by type, delimiters, newlines. */
static void test_print_formats(void) {
  check_context = "print formats";
  Lowered r = ok(
      "global s\n"
      "probe begin {\n"
      "  x = 5; t = \"str\"; s <<< x\n"
      "  print(x)\n"
      "  print(t, x, \"50%\", 7)\n"
      "  println(x, t)\n"
      "  println()\n"
      "  printf(\"%5d|%-3s|%%\\n\", x, t)\n"
      "  printd(\"--\", x, t, \"a%b\")\n"
      "  printdln(\",\", x, t)\n"
      "  u = sprint(x) . sprintln(t) . sprintf(\"<%x>\", x) . sprintd(\":\", x, t) . sprintdln(\"%\", t, x)\n"
      "  print(u)\n"
      "  print(@hist_log(s))\n"
      "  println(@hist_linear(s, 0, 100, 10), \"!\")\n"
      "}\n");
  static const char *const want[] = {"%d",           "%s%d50%%7", "%d%s\n", "\n",   "%5d|%-3s|%%\n",
                                     "%d--%s--a%%b", "%d,%s\n",   "%s\n",   "<%x>", "%d:%s",
                                     "%s%%%d\n",     "%s",        "%s!\n"};
  for (size_t k = 0; k < sizeof want / sizeof want[0]; k++) {
    if (!has_format(r.m, want[k])) fprintf(stderr, "missing format \"%s\"\n", want[k]);
    CHECK(has_format(r.m, want[k]));
  }
  IrFunc *f = func(r.m, "probe.0");
  CHECK_INT(count_op(f, IR_SPRINTF), 5);
  IrInst *p = nth_op(f, IR_PRINTF, 1); /* print(t, x, "50%", 7): literals in the format, two args */
  CHECK(p && p->nargs == 2 && !strcmp(format_of(p), "%s%d50%%7"));
  CHECK(nth_op(f, IR_PRINTF, 3) && nth_op(f, IR_PRINTF, 3)->nargs == 0); /* println() */
  IrInst *h = nth_op(f, IR_HIST_STR, 0);
  CHECK(h && h->next && h->next->op == IR_PRINTF && h->next->args[0] == h && h->imm == 0);
  IrInst *h2 = nth_op(f, IR_HIST_STR, 1);
  CHECK(h2 && h2->imm == 1);
  IrGlobal *g = global(r.m, "s");
  CHECK(g && g->nhists == 2 && !g->hists[0].linear && g->hists[1].linear && g->hists[1].lo == 0 &&
        g->hists[1].hi == 100 && g->hists[1].step == 10);
  done(&r);
}

/* @hist_linear(s, ...)[n] reads one bucket (HIST_BUCKET); foreach over a
 * histogram counts its key from 0 to the runtime's bucket count, with no
 * iterator; its value is the bucket's count. */
static void test_hist_buckets(void) {
  check_context = "hist buckets";
  Lowered r = ok("global s, a\n"
                 "probe begin { s <<< 1; a[\"k\"] <<< 2\n"
                 "  foreach (v = b in @hist_linear(s, 0, 10, 5) limit 2) println(b, v)\n"
                 "  foreach (b in @hist_log(a[\"k\"])) println(@hist_log(a[\"k\"])[b])\n"
                 "  println(@hist_linear(s, 0, 10, 5)[1]) }\n");
  IrFunc *f = func(r.m, "probe.0");
  CHECK_INT(count_op(f, IR_ITER_BEGIN), 0);
  CHECK_INT(count_op(f, IR_HIST_BUCKET), 3);
  IrInst *v = nth_op(f, IR_HIST_BUCKET, 0);
  CHECK(v && v->g == global(r.m, "s") && v->imm == 0 && v->nargs == 1);
  IrInst *e = nth_op(f, IR_HIST_BUCKET, 1);
  CHECK(e && e->g == global(r.m, "a") && e->nargs == 2 && e->args[0]->op == IR_CONST_STR);
  /* the bucket counts are the runtime's: (10 - 0) / 5 + 3 linear buckets, 128 log ones */
  int lts = 0;
  for (int k = 0; f && k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      if (i->op == IR_LT && i->args[1]->op == IR_CONST_I64)
        lts |= (i->args[1]->imm == 5) | (i->args[1]->imm == 128) << 1;
  CHECK_INT(lts, 3);
  done(&r);
}

/* foreach: sort column and direction, @aggr, limit, slices, keys and value. */
static void test_foreach(void) {
  check_context = "foreach";
  Lowered r = ok("global a, st\n"
                 "probe begin {\n"
                 "  a[\"x\", 1] = 1; st[1] <<< 1\n"
                 "  foreach ([k, n] in a) println(k, n)\n"
                 "  foreach (v = [k, n] in a- limit 3) println(k, n, v)\n"
                 "  foreach ([k, n-] in a[\"x\", *]) println(k, n)\n"
                 "  foreach ([k, n] in a[*, 1] limit 10) println(k)\n"
                 "  foreach (i in st @sum+) println(@count(st[i]))\n"
                 "  foreach (i in st-) println(i)\n"
                 "}\n");
  IrFunc *f = func(r.m, "probe.0");
  CHECK_INT(count_op(f, IR_ITER_BEGIN), 6);
  CHECK_INT(count_op(f, IR_ITER_END), 6);
  CHECK_INT(count_op(f, IR_ITER_NEXT), 6);
  const IrSort *s;
  IrInst *it = nth_op(f, IR_ITER_BEGIN, 0);
  s = it ? it->aux : NULL;
  CHECK(s && s->col == 0 && !s->has_limit && !s->slice && it->nargs == 0);
  it = nth_op(f, IR_ITER_BEGIN, 1);
  s = it ? it->aux : NULL;
  CHECK(s && s->col == -1 && s->dir == -1 && s->has_limit && it->nargs == 1 && it->args[0]->imm == 3);
  it = nth_op(f, IR_ITER_BEGIN, 2);
  s = it ? it->aux : NULL;
  CHECK(s && s->col == 2 && s->dir == -1 && s->slice == 1 && it->nargs == 1 && it->args[0]->type == IR_STR);
  it = nth_op(f, IR_ITER_BEGIN, 3);
  s = it ? it->aux : NULL;
  CHECK(s && s->has_limit && s->slice == 2 && it->nargs == 2 && it->args[0]->imm == 10 &&
        it->args[1]->imm == 1);
  it = nth_op(f, IR_ITER_BEGIN, 4);
  s = it ? it->aux : NULL;
  CHECK(s && s->col == -1 && s->dir == 1 && s->aggr == IR_STAT_SUM);
  it = nth_op(f, IR_ITER_BEGIN, 5);
  s = it ? it->aux : NULL;
  CHECK(s && s->col == -1 && s->dir == -1 && s->aggr == IR_STAT_COUNT); /* stats by value: @count */
  /* keys and the value: iter.key per key (typed), iter.value once */
  CHECK_INT(count_op(f, IR_ITER_VALUE), 1);
  IrInst *k1 = nth_op(f, IR_ITER_KEY, 1);
  CHECK(k1 && k1->imm == 1 && k1->type == IR_I64 && nth_op(f, IR_ITER_KEY, 0)->type == IR_STR);
  done(&r);
}

/* break, continue, next and return close the iterators and try regions they leave. */
static void test_unwinding(void) {
  check_context = "unwinding";
  Lowered r =
      ok("global a\n"
         "function f() {\n"
         "  foreach (i in a) { foreach (j in a) { try { if (j) return j } catch { } } }\n"
         "  return 0\n"
         "}\n"
         "probe begin {\n"
         "  a[1] = 1\n"
         "  foreach (i in a) { if (i == 1) continue; if (i == 2) break; try { if (i) next } catch { } }\n"
         "  while (1) { try { break } catch { } }\n"
         "  println(f())\n"
         "}\n");
  IrFunc *f = func(r.m, "f");
  IrInst *ret = NULL; /* 'return j', not 'return 0' */
  for (int k = 0; nth_op(f, IR_RET, k); k++)
    if (nth_op(f, IR_RET, k)->args[0]->op != IR_CONST_I64) ret = nth_op(f, IR_RET, k);
  /* return j: try.pop, then the inner iterator, then the outer one */
  CHECK(ret && ret->prev && ret->prev->op == IR_ITER_END && ret->prev->prev->op == IR_ITER_END &&
        ret->prev->prev->prev->op == IR_TRY_POP);
  CHECK(ret && ret->prev->args[0] == nth_op(f, IR_ITER_BEGIN, 0) &&
        ret->prev->prev->args[0] == nth_op(f, IR_ITER_BEGIN, 1));
  IrFunc *p = func(r.m, "probe.0");
  IrInst *nx = nth_op(p, IR_NEXT, 0);
  CHECK(nx && nx->prev->op == IR_ITER_END && nx->prev->prev->op == IR_TRY_POP);
  /* continue goes back to iter.next without ending anything; break to the block that ends it */
  int ends = count_op(p, IR_ITER_END);
  CHECK_INT(ends, 2); /* the exit block's and next's */
  CHECK_INT(count_op(p, IR_TRY_POP),
            3); /* next, the end of the first try body, break (the second body ends in it) */
  done(&r);
}

/* try/catch: the handler starts with catch.msg; locals set in a try body are pinned. */
static void test_try(void) {
  check_context = "try";
  Lowered r = ok("global g\n"
                 "probe begin {\n"
                 "  a = 1; b = 2; c = 0\n"
                 "  try { a = 5; g = 1; c++; error(\"boom\") } catch (msg) { println(msg, a, b, c) }\n"
                 "  try { b = 3 } catch { println(b) }\n"
                 "  println(a, b, c)\n"
                 "}\n");
  IrFunc *f = func(r.m, "probe.0");
  CHECK_INT(f ? f->nslots : 0, 4);
  for (int k = 0; f && k < f->nslots; k++) {
    bool want =
        !strcmp(f->slot_names[k], "a") || !strcmp(f->slot_names[k], "c") || !strcmp(f->slot_names[k], "b");
    CHECK(f->slot_pinned[k] == want);
    if (!strcmp(f->slot_names[k], "msg")) CHECK(!f->slot_pinned[k]);
  }
  IrInst *push = nth_op(f, IR_TRY_PUSH, 0);
  CHECK(push && push->targets[0] && push->targets[0]->first->op == IR_CATCH_MSG);
  CHECK(push && push->targets[0]->first->next->op == IR_LOCAL_SET);
  CHECK_INT(count_op(f, IR_TRY_POP), 2);
  done(&r);

  /* a catch variable in a nested try is pinned too; one outside any try is not */
  r = ok("probe begin { try { try { x = 1 } catch (e) { y = e } } catch { } println(y) }");
  f = func(r.m, "probe.0");
  for (int k = 0; f && k < f->nslots; k++) CHECK(f->slot_pinned[k]);
  done(&r);
}

/* Functions: parameters copied to slots, locals zeroed, default return. */
static void test_functions(void) {
  check_context = "functions";
  Lowered r = ok("function f(a, b:string) { c = a + 1; d = b; if (c) return d . \"x\" }\n"
                 "function g(a) { println(a) }\n"
                 "function g(a, b) { println(a + b) }\n"
                 "function h:long () { return }\n"
                 "probe begin { println(f(1, \"s\")); g(1); g(1, 2); println(h()) }\n");
  IrFunc *f = func(r.m, "f");
  CHECK(f && f->nparams == 2 && f->params[0] == IR_I64 && f->params[1] == IR_STR && f->ret == IR_STR);
  CHECK(f && f->nslots == 4 && f->slots[2] == IR_I64 && f->slots[3] == IR_STR);
  IrInst *i = f ? f->blocks[0]->first : NULL;
  CHECK(i && i->op == IR_PARAM && i->imm == 0 && i->next->op == IR_LOCAL_SET && i->next->imm == 0);
  CHECK(i && i->next->next->op == IR_PARAM && i->next->next->imm == 1);
  /* falling off the end returns "" */
  CHECK_INT(count_op(f, IR_RET), 2);
  /* overloads get distinct names */
  CHECK(func(r.m, "g") && func(r.m, "g.2"));
  CHECK(func(r.m, "g") && func(r.m, "g")->ret == IR_VOID);
  IrFunc *h = func(r.m, "h");
  IrInst *ret = nth_op(h, IR_RET, 0);
  CHECK(ret && ret->nargs == 1 && ret->args[0]->op == IR_CONST_I64);
  IrFunc *p = func(r.m, "probe.0");
  CHECK_INT(count_op(p, IR_CALL), 4);
  CHECK(nth_op(p, IR_CALL, 0)->callee == f);
  done(&r);

  /* private globals and functions of two library files share names: the module's are unique */
  r = ok("probe begin { println(bump_both() + bump_other()) }");
  CHECK(global(r.m, "counter") && global(r.m, "counter.2"));
  CHECK(func(r.m, "helper") && func(r.m, "helper.2"));
  CHECK(global(r.m, "counter") && global(r.m, "counter")->sym != global(r.m, "counter.2")->sym);
  done(&r);
}

/* Runtime overloading: a function and the overloads its 'next' reaches are
 * one IrFunc, each overload with its own slots; 'next' branches on, and in
 * the last overload raises "all functions exhausted". */
static void test_overloads(void) {
  check_context = "overloads";
  Lowered r = ok("function f(x) { if (x > 1) next; y = 1; return y }\n"
                 "function f(x):5 { return x }\n"
                 "function f(x) { x += 10; if (x > 12) next; return 2 }\n"
                 "function g() { try { next } catch { } }\n"
                 "probe begin { println(f(1), f(2), f(5)); g() }\n");
  IrFunc *f = func(r.m, "f");
  CHECK(f && f->nparams == 1 && f->ret == IR_I64);
  CHECK(!func(r.m, "f.2") && !func(r.m, "f.3")); /* the fallbacks have no IrFunc of their own */
  CHECK(f && f->nslots == 4); /* x, y of the first; x of the third; x of the second (priority 5) */
  CHECK_INT(count_op(f, IR_PARAM), 1);
  CHECK_INT(count_op(f, IR_RET), 3);
  CHECK_INT(count_op(f, IR_ERROR), 0);
  IrFunc *g = func(r.m, "g");
  IrInst *err = nth_op(g, IR_ERROR, 0);
  CHECK(err && err->args[0]->op == IR_CONST_STR && !strcmp(err->args[0]->str, "all functions exhausted"));
  CHECK(err && err->next && err->next->op == IR_UNREACHABLE);
  CHECK(err && err->prev && err->prev->prev && err->prev->prev->op == IR_TRY_POP); /* not caught in g */
  IrFunc *p = func(r.m, "probe.0");
  CHECK_INT(count_op(p, IR_CALL), 4);
  done(&r);
}

/* delete: a local, a scalar, an array, an element, a slice. */
static void test_delete(void) {
  check_context = "delete";
  Lowered r =
      ok("global a, m, st\n"
         "probe begin { a = 1; m[1, \"x\"] = 2; st <<< 1; x = 3\n"
         "  delete x; delete a; delete m; delete m[1, \"x\"]; delete m[*, \"x\"]; delete m[1, *]; delete st\n"
         "  println(x) }\n");
  IrFunc *f = func(r.m, "probe.0");
  CHECK_INT(count_op(f, IR_MAP_CLEAR), 3);
  CHECK_INT(count_op(f, IR_MAP_DELETE), 3);
  IrInst *d = nth_op(f, IR_MAP_DELETE, 0);
  CHECK(d && d->imm == 0 && d->nargs == 2);
  d = nth_op(f, IR_MAP_DELETE, 1);
  CHECK(d && d->imm == 1 && d->nargs == 1 && d->args[0]->type == IR_STR);
  d = nth_op(f, IR_MAP_DELETE, 2);
  CHECK(d && d->imm == 2 && d->nargs == 1 && d->args[0]->type == IR_I64);
  /* delete x: x = 0 again (the entry's init, x = 3, the delete) */
  CHECK_INT(count_op(f, IR_LOCAL_SET), 3);
  done(&r);
}

/* Globals: kinds, types, initial values, sizes, histograms, the exit display. */
static void test_globals(void) {
  check_context = "globals";
  Lowered r =
      ok("global n = 5, s = \"str\", big[1000], w%, st, sts, unread, neg = -3\n"
         "probe begin { println(n, s, neg); big[\"a\", 1] = \"v\"; w[1] = 1; st <<< 1; sts[\"k\"] <<< 2\n"
         "  unread = 1; println(@count(st), @count(sts[\"k\"]), big[\"a\", 1], w[1]) }\n");
  IrGlobal *g = global(r.m, "n");
  CHECK(g && g->kind == IR_GLOBAL_SCALAR && g->value == IR_I64 && g->has_init && g->init_i64 == 5 &&
        !g->display);
  g = global(r.m, "s");
  CHECK(g && g->value == IR_STR && g->has_init && !strcmp(g->init_str, "str"));
  g = global(r.m, "neg");
  CHECK(g && g->init_i64 == -3);
  g = global(r.m, "big");
  CHECK(g && g->kind == IR_GLOBAL_MAP && g->maxsize == 1000 && g->nkeys == 2 && g->keys[0] == IR_STR &&
        g->keys[1] == IR_I64 && g->value == IR_STR);
  g = global(r.m, "w");
  CHECK(g && g->wrap);
  g = global(r.m, "st");
  CHECK(g && g->kind == IR_GLOBAL_STAT && g->is_stat && g->value == IR_VOID);
  g = global(r.m, "sts");
  CHECK(g && g->kind == IR_GLOBAL_MAP && g->is_stat && g->nkeys == 1 && g->value == IR_VOID);
  g = global(r.m, "unread");
  CHECK(g && g->display);
  done(&r);
}

/* Probes: kinds, order numbers, sites, conditions; context reads. */
static void test_probes(void) {
  check_context = "probes";
  Lowered r = ok("global on\n"
                 "probe begin(-5) { on = 1 }\n"
                 "probe end { print(1) }\n"
                 "probe error(3) { print(2) }\n"
                 "probe never { print(3) }\n"
                 "probe kernel.function(\"vfs_read\") if (on) { printf(\"%d %s %d\\n\", $count, $$parms, "
                 "@defined($file) ? $file->f_pos : 0) }\n"
                 "probe kernel.function(\"vfs_read\").return { x = @cast($ptr, \"task_struct\")->pid; y = "
                 "@entry($count); "
                 "println(x, y, tapset_const()) }\n");
  CHECK_INT(r.m ? r.m->nprobes : 0, 6);
  if (r.m && r.m->nprobes == 6) {
    IrProbe **p = r.m->probes;
    CHECK(p[0]->kind == IR_PROBE_BEGIN && p[0]->seq == -5 && p[0]->site == IR_SITE_HOST);
    CHECK(p[1]->kind == IR_PROBE_END && p[1]->site == IR_SITE_HOST);
    CHECK(p[2]->kind == IR_PROBE_ERROR && p[2]->seq == 3);
    CHECK(p[3]->kind == IR_PROBE_NEVER);
    CHECK(p[4]->kind == IR_PROBE_OTHER && p[4]->site == IR_SITE_KERNEL &&
          !strcmp(p[4]->pp, "kernel.function(\"vfs_read\")"));
    CHECK(p[5]->site == IR_SITE_KERNEL && p[5]->ep != NULL && p[5]->handler == func(r.m, "probe.5"));
    /* the condition first: a branch to a bare return */
    IrBlock *entry = p[4]->handler->blocks[0];
    CHECK(entry->last->op == IR_CBR && entry->last->targets[1]->first->op == IR_RET);
    IrFunc *k = p[4]->handler;
    CHECK_INT(count_op(k, IR_CTX), 4);
    IrInst *c = nth_op(k, IR_CTX, 0);
    CHECK(c && !strcmp(((IrCtx *)c->aux)->text, "$count") && c->type == IR_I64);
    c = nth_op(k, IR_CTX, 1);
    CHECK(c && c->type == IR_STR);
    IrFunc *t = p[5]->handler;
    c = nth_op(t, IR_CTX, 1); /* @cast(...): its pointer is an argument */
    CHECK(c && c->nargs == 1 && c->args[0] == nth_op(t, IR_CTX, 0));
  }
  done(&r);

  /* a context read on the host is lowered too: the interpreter reports it when it runs */
  r = run("function f() { return $x }\nprobe begin { println($foo, f()) }", false);
  CHECK(r.m != NULL);
  CHECK_INT(count_op_module(r.m, IR_CTX), 2);
  done(&r);

  /* without a kernel backend, a kernel probe is an error at its point */
  Lowered e = run("probe timer.s(1) { print(1) }", false);
  CHECK(e.m == NULL);
  CHECK_CONTAINS(e.msg, "1:7: probe 'timer.s(1)' would run in the kernel");
  done(&e);
  e = run("probe begin { print(1) }", false);
  CHECK(e.m != NULL);
  done(&e);
}

/* @defined on a script variable is known; ACTIONS of a block are one instruction. */
static void test_defined_and_actions(void) {
  check_context = "@defined, actions";
  Lowered r =
      ok("global g\nprobe begin { g = 1; x = @defined(g) + @defined(x); y = 2; z = 3; println(x, y, z) }");
  IrFunc *f = func(r.m, "probe.0");
  CHECK_INT(count_op(f, IR_CTX), 0);
  CHECK_INT(count_op(f, IR_ACTIONS), 1);
  CHECK(nth_op(f, IR_ACTIONS, 0) && nth_op(f, IR_ACTIONS, 0)->imm == 5);
  done(&r);
}

/* Loops: while and for, with continue going to the step. */
static void test_loops(void) {
  check_context = "loops";
  Lowered r = ok("probe begin { for (i = 0; i < 10; i++) { if (i == 3) continue; if (i == 7) break }\n"
                 "  while (i > 0) { i--; if (i == 1) continue }\n"
                 "  for (;;) { break }\n"
                 "  println(i) }");
  IrFunc *f = func(r.m, "probe.0");
  CHECK(f != NULL);
  /* continue in the for: a br to the block that runs i++ */
  IrInst *br = NULL;
  for (int k = 0; f && k < f->nblocks; k++) {
    IrBlock *b = f->blocks[k];
    if (b->first->op == IR_ACTIONS && b->first->loc.col == 54 && b->last->op == IR_BR) br = b->last;
  }
  CHECK(br && br->targets[0]->first->op == IR_LOCAL_GET && br->targets[0]->last->op == IR_BR);
  done(&r);
}

/* What lowering refuses, at the construct. */
static void test_errors(void) {
  check_context = "errors";
  Lowered r0;
  fails(
      "probe begin { println(raw_c(1)) }",
      "1:23: function 'raw_c' is written in embedded C, which stapjit cannot run (no C compiler); it needs a "
      "stapjit builtin");
  fails("global s\nprobe begin { s <<< 1; x = 10; print(@hist_linear(s, 0, x, 1)) }",
        "2:57: the high bound of @hist_linear must be a literal number");
  fails("global s\nprobe begin { s <<< 1; print(@hist_linear(s, 0, 100, 0)) }",
        "the bucket width of @hist_linear must be positive");
  fails("global s\nprobe begin { s <<< 1; print(@hist_linear(s, 10, 0, 1)) }",
        "the high bound of @hist_linear must be above its low bound");
  /* embedded C and @const: a backend's business in a kernel probe, an error where code runs on the host */
  fails("function f() { return tapset_c_expr() }\nprobe end { println(f()) }",
        "embedded C cannot be evaluated in a probe that runs on the host");
  fails("probe begin { println(tapset_const()) } probe timer.s(1) { println(tapset_const()) }",
        "@const cannot be evaluated in a probe that runs on the host");
  r0 = ok("probe timer.s(1) { println(tapset_const() + tapset_c_expr()) }");
  CHECK_INT(count_op_module(r0.m, IR_CTX), 2);
  done(&r0);
  /* several errors are all reported */
  Lowered r = run("probe begin { println(raw_c(1) + raw_c(2)) }", true);
  CHECK(r.m == NULL);
  CHECK_CONTAINS(r.msg, "1:23:");
  CHECK_CONTAINS(r.msg, "1:34:");
  done(&r);
  /* negative literals are fine as histogram bounds */
  r = ok("global s\nprobe begin { s <<< 1; print(@hist_linear(s, -10, 10, 5)) }");
  CHECK(global(r.m, "s") && global(r.m, "s")->hists[0].lo == -10);
  done(&r);
}

static void run_cases(void) {
  test_expressions();
  test_locations();
  test_conditions();
  test_print_formats();
  test_foreach();
  test_unwinding();
  test_try();
  test_functions();
  test_hist_buckets();
  test_overloads();
  test_delete();
  test_globals();
  test_probes();
  test_defined_and_actions();
  test_loops();
  test_errors();
}

static int dump(const char *path, bool kernel, bool pipeline) {
  FILE *f = fopen(path, "r");
  if (!f) {
    perror(path);
    return 2;
  }
  char *text = NULL;
  size_t cap = 0;
  ssize_t n = getdelim(&text, &cap, 0, f);
  fclose(f);
  check_context = path;
  Lowered r = run(n > 0 ? text : "", kernel);
  for (const Diag *d = r.s->diag.head; d; d = d->next) { /* file names without directories: goldens move */
    const SrcFile *sf = d->loc.file ? srcset_get(&r.s->src, d->loc.file) : NULL;
    const char *name = sf ? strrchr(sf->path, '/') : NULL;
    static const char *const level[] = {"error", "warning", "note"};
    fprintf(stderr, "%s:%u:%u: %s: %s\n",
            name ? name + 1
            : sf ? sf->path
                 : "",
            d->loc.line, d->loc.col, level[d->level], d->msg);
  }
  fputs(r.ir, stdout);
  if (r.m && pipeline) { /* the lowering's output through the passes, verified after each */
    DiagList d;
    diag_init(&d, r.s->arena, &r.s->src);
    IrPipelineOptions po = {
        .sz = sizeof po, .optimize = true, .dump_after = "all", .dump = stdout, .verify = true, .diag = &d};
    int rc = ir_run_pipeline(r.m, &po);
    diag_print(&d, stderr);
    if (rc) fprintf(stderr, "pipeline failed\n");
  }
  int rc = r.m ? 0 : 1;
  done(&r);
  free(text);
  return rc;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: test_lower TAPSET_DIR [--dump FILE.stp [--kernel] [--pipeline]]\n");
    return 2;
  }
  libdir = argv[1];
  if (argc >= 4 && !strcmp(argv[2], "--dump")) {
    bool kernel = false, pipeline = false;
    for (int k = 4; k < argc; k++) {
      kernel |= !strcmp(argv[k], "--kernel");
      pipeline |= !strcmp(argv[k], "--pipeline");
    }
    return dump(argv[3], kernel, pipeline);
  }
  run_cases();
  return check_summary();
}

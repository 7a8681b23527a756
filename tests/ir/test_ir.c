/* test_ir.c: unit tests of the IR's text form, verifier and pipeline, for
 * what a .ir file cannot say: pointers the parser would never produce (a
 * target in another function, an operand deleted from its block), modules
 * built through build.c the way lowering builds them (printed, parsed back,
 * printed the same), the dominator tree, the pass table, and the pipeline's
 * report when verification fails.  Then a robustness sweep over the .ir
 * cases (argv[1]): every prefix of every file is parsed (no crash, errors
 * or a module), and every case that parses and verifies goes through each
 * pass and the pipeline with the verifier on.
 */
#include "check.h"
#include "ir.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>

static Arena *arena;
static SrcSet src;

static DiagList fresh_diag(void) {
  DiagList d;
  diag_init(&d, arena, &src);
  return d;
}

static char *print_to_string(const IrModule *m) {
  char *buf = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&buf, &len);
  ir_print_module(f, m);
  fclose(f);
  return buf;
}

static bool has_error(const DiagList *d, const char *needle) {
  for (const Diag *g = d->head; g; g = g->next)
    if (strstr(g->msg, needle)) return true;
  return false;
}

static IrInst *add_inst(IrBlock *b, IrOp op, IrType t, IrInst *a0, IrInst *a1) {
  IrInst *args[2] = {a0, a1};
  IrInst *i = ir_inst_new(b->func, op, t, args, a1 ? 2 : a0 ? 1 : 0, (SrcLoc){0, 0, 0});
  ir_block_append(b, i);
  return i;
}

/* f: b0 -> b1 | b2 -> b3, returning a constant; the pieces in *blocks */
static IrFunc *diamond(IrModule *m, const char *name, IrBlock **blocks) {
  IrType bt = IR_BOOL;
  IrFunc *f = ir_func_new(m, name, IR_FUNC_SCRIPT, IR_I64, &bt, 1);
  for (int k = 0; k < 4; k++) blocks[k] = ir_block_new(f);
  IrInst *p = add_inst(blocks[0], IR_PARAM, IR_BOOL, NULL, NULL);
  IrInst *cbr = add_inst(blocks[0], IR_CBR, IR_VOID, p, NULL);
  cbr->targets[0] = blocks[1], cbr->targets[1] = blocks[2];
  for (int k = 1; k <= 2; k++) add_inst(blocks[k], IR_BR, IR_VOID, NULL, NULL)->targets[0] = blocks[3];
  IrInst *c = add_inst(blocks[3], IR_CONST_I64, IR_I64, NULL, NULL);
  add_inst(blocks[3], IR_RET, IR_VOID, c, NULL);
  return f;
}

static void test_dominators(void) {
  check_context = "dominators";
  IrModule *m = ir_module_new(&src);
  IrBlock *b[4];
  IrFunc *f = diamond(m, "f", b);
  IrBlock *dead = ir_block_new(f);
  add_inst(dead, IR_BR, IR_VOID, NULL, NULL)->targets[0] = b[3];
  IrDomTree dt;
  ir_func_dominators(f, arena, &dt);
  CHECK_INT(dt.nrpo, 4);
  CHECK(dt.rpo[0] == b[0] && dt.rpo[3] == b[3]);
  CHECK(dt.idom[0] == b[0] && dt.idom[1] == b[0] && dt.idom[2] == b[0] && dt.idom[3] == b[0]);
  CHECK(dt.idom[dead->index] == NULL && dt.rpo_num[dead->index] == -1);
  CHECK_INT(dt.npreds[3], 3); /* b1, b2 and the unreachable block */
  CHECK(ir_dominates(&dt, b[0], b[3]) && !ir_dominates(&dt, b[1], b[3]) && ir_dominates(&dt, b[2], b[2]));
  ir_module_free(m);
}

/* Breakage the text form cannot express. */
static void test_verify_pointers(void) {
  check_context = "verify pointers";
  IrModule *m = ir_module_new(&src);
  IrBlock *b[4], *o[4];
  IrFunc *f = diamond(m, "f", b);
  diamond(m, "other", o);
  DiagList d = fresh_diag();
  CHECK_INT(ir_verify(m, &d), 0);
  ir_block_term(b[1])->targets[0] = o[3]; /* a target in another function */
  IrInst *foreign = o[3]->first;          /* an operand of another function */
  IrInst *neg = ir_inst_new(f, IR_NEG, IR_I64, &foreign, 1, (SrcLoc){0, 0, 0});
  ir_inst_insert_before(ir_block_term(b[2]), neg);
  IrInst *gone = b[3]->first; /* an operand no longer in any block */
  IrInst *add = ir_inst_new(f, IR_ADD, IR_I64, (IrInst *[]){gone, gone}, 2, (SrcLoc){0, 0, 0});
  ir_inst_insert_before(ir_block_term(b[3]), add);
  IrInst *c2 = ir_inst_new(f, IR_CONST_I64, IR_I64, NULL, 0, (SrcLoc){0, 0, 0});
  ir_inst_insert_before(gone, c2);
  ir_block_term(b[3])->args[0] = c2;
  ir_inst_remove(gone);
  d = fresh_diag();
  CHECK_INT(ir_verify(m, &d), -1);
  CHECK(has_error(&d, "target 1 is not a block of this function"));
  CHECK(has_error(&d, "%2 = neg: operand 1 (%1) is not an instruction of this function"));
  CHECK(has_error(&d, "%3 = add: operand 1 (%1) is not an instruction of this function"));
  ir_module_free(m);
}

/* A module built as lowering builds it prints, parses back, and prints the same. */
static void test_built_roundtrip(void) {
  check_context = "built round trip";
  IrModule *m = ir_module_new(&src);
  m->maxstringlen = 256;
  IrGlobal *g = ir_global_new(m, "arr", IR_GLOBAL_MAP);
  g->nkeys = 2, g->keys[0] = IR_I64, g->keys[1] = IR_STR, g->value = IR_STR, g->maxsize = 10, g->wrap = true;
  IrGlobal *st = ir_global_new(m, "odd name", IR_GLOBAL_STAT);
  st->is_stat = true, st->nhists = 1;
  st->hists = arena_alloc(m->arena, sizeof(IrHist));
  st->hists[0] = (IrHist){true, 0, 100, 5};
  int fmt = ir_format_intern(m, "%s\t%d\n", 7);
  IrFunc *h = ir_func_new(m, "probe0", IR_FUNC_PROBE, IR_VOID, NULL, 0);
  ir_slot_new(h, IR_STR, "s");
  h->slot_pinned[0] = true;
  IrBlock *b = ir_block_new(h);
  IrInst *k = add_inst(b, IR_CONST_I64, IR_I64, NULL, NULL);
  k->imm = -42;
  IrInst *s = add_inst(b, IR_CONST_STR, IR_STR, NULL, NULL);
  s->str = "a\0b", s->len = 3, s->str_bound = 4;
  IrInst *ms = ir_inst_new(h, IR_MAP_SET, IR_VOID, (IrInst *[]){k, s, s}, 3, (SrcLoc){0, 0, 0});
  ms->g = g;
  ir_block_append(b, ms);
  IrInst *it = add_inst(b, IR_ITER_BEGIN, IR_ITER, k, s);
  it->g = g;
  IrSort *so = arena_alloc(m->arena, sizeof *so);
  *so = (IrSort){.col = -1, .dir = -1, .aggr = IR_STAT_MAX, .has_limit = true, .slice = 2};
  it->aux = so;
  IrInst *pf = add_inst(b, IR_PRINTF, IR_VOID, s, k);
  pf->aux = m->formats[fmt];
  IrInst *sa = add_inst(b, IR_STAT_ADD, IR_VOID, k, NULL);
  sa->g = st;
  IrInst *ctx = add_inst(b, IR_CTX, IR_I64, k, NULL);
  IrCtx *cx = arena_alloc(m->arena, sizeof *cx);
  cx->text = "$p->\"x\"";
  ctx->aux = cx;
  add_inst(b, IR_NEXT, IR_VOID, NULL, NULL);
  IrProbe *p = ir_probe_new(m, h, IR_PROBE_OTHER);
  p->site = IR_SITE_KERNEL, p->pp = "kernel.trace(\"sched_switch\")", p->seq = 3;
  DiagList d = fresh_diag();
  CHECK_INT(ir_verify(m, &d), 0);
  char *t1 = print_to_string(m);
  IrModule *m2 = ir_parse(t1, strlen(t1), &src, &d);
  CHECK(m2 != NULL);
  if (m2) {
    char *t2 = print_to_string(m2);
    CHECK_STR(t1, t2);
    CHECK_INT(ir_verify(m2, &d), 0);
    free(t2);
  }
  diag_print(&d, stderr);
  free(t1);
  ir_module_free(m2);
  ir_module_free(m);
}

/* What a saved object's loader needs and the front end's pointers (sym, ep,
 * expr) gave before: the fields themselves after a parse, locations in the
 * files already in the SrcSet (whose text error messages quote). */
static void test_session_fields(void) {
  check_context = "session fields";
  const char *script = "global lim\nprobe begin { }\n";
  uint32_t f = srcset_add(&src, "sess.stp", script, strlen(script), 0);
  const char *text = "global @lim : i64 = 3 cmdline !sess.stp:1:8\n"
                     "global @x.2 : str display    !lib.stp:4:16\n"
                     "handler @p() -> void {\nb0:\n"
                     "  %0 = ctx \"@defined($f)\"() : i64\n"
                     "  %1 = ctx \"$f\"() : i64\n"
                     "  %2 = const.str \"ab\" maxlen 2 !sess.stp:2:7\n"
                     "  ret\n}\n"
                     "probe other seq 7 kernel \"timer.s(1)\" -> @p optional\n"
                     "probe end seq 0 host \"end\" -> @p\n";
  DiagList d = fresh_diag();
  IrModule *m = ir_parse(text, strlen(text), &src, &d);
  CHECK(m != NULL);
  if (!m) return;
  CHECK_INT(m->nglobals, 2);
  CHECK(m->globals[0]->cmdline && !m->globals[0]->display && m->globals[0]->sym == NULL);
  CHECK_INT((int)m->globals[0]->loc.file, (int)f);
  CHECK_INT((int)m->globals[0]->loc.line, 1);
  CHECK_INT((int)m->globals[0]->loc.col, 8);
  CHECK_STR(m->globals[0]->script_name, "lim");
  CHECK(!m->globals[1]->cmdline && m->globals[1]->display);
  CHECK_STR(m->globals[1]->name, "x.2");
  CHECK_STR(m->globals[1]->script_name, "x");
  CHECK_STR(srcset_get(&src, m->globals[1]->loc.file)->path, "lib.stp");
  const IrBlock *b = m->funcs[0]->blocks[0];
  CHECK(((const IrCtx *)b->first->aux)->is_defined);
  CHECK(!((const IrCtx *)b->first->next->aux)->is_defined);
  CHECK_INT((int)b->first->next->next->str_bound, 3);
  CHECK_INT((int)b->first->next->next->loc.file, (int)f);
  CHECK_INT(m->nprobes, 2);
  const IrProbe *p = m->probes[0];
  CHECK(p->optional && p->site == IR_SITE_KERNEL && p->kind == IR_PROBE_OTHER);
  CHECK(p->seq == 7 && p->index == 0);
  CHECK_STR(p->pp, "timer.s(1)");
  CHECK(p->handler == m->funcs[0] && p->ep == NULL);
  CHECK(!m->probes[1]->optional && m->probes[1]->kind == IR_PROBE_END && m->probes[1]->index == 1);
  diag_print(&d, stderr);
  ir_module_free(m);
}

static void test_pass_table(void) {
  check_context = "pass table";
  const char *const *n = ir_pass_names();
  const char *want[] = {"ssa",       "kinline", "inline",      "fold",      "copyprop",
                        "itervalue", "dce",     "simplifycfg", "strbounds", NULL};
  for (int k = 0; want[k]; k++) CHECK(n[k] && !strcmp(n[k], want[k]));
  CHECK(n[9] == NULL);
  CHECK(ir_pass_find("inline") && ir_pass_find("inline")->module && ir_pass_find("inline")->run_module);
  CHECK(ir_pass_find("fold") && !ir_pass_find("fold")->module && ir_pass_find("fold")->run);
  CHECK(ir_pass_find("nope") == NULL);
}

/* The pipeline names the pass after which the module stopped verifying. */
static void test_pipeline_reports(void) {
  check_context = "pipeline reports";
  const char *text = "func @f() -> i64 {\nb0:\n  %0 = const.str \"x\"\n  ret %0\n}\n";
  DiagList d = fresh_diag();
  IrModule *m = ir_parse(text, strlen(text), &src, &d);
  CHECK(m != NULL);
  IrPipelineOptions opt = {sizeof opt, true, NULL, NULL, true, &d, false};
  CHECK_INT(ir_run_pipeline(m, &opt), -1);
  CHECK(has_error(&d, "the IR is malformed after pass 'ssa'"));
  CHECK(has_error(&d, "ret: operand 1 (%0) is str, expected i64"));
  ir_module_free(m);
  /* an old, shorter options struct gets the defaults for what it lacks */
  d = fresh_diag();
  m = ir_parse(text, strlen(text), &src, &d);
  IrPipelineOptions old = {offsetof(IrPipelineOptions, verify), false, NULL, NULL, true, &d, false};
  CHECK_INT(ir_run_pipeline(m, &old), 0);
  ir_module_free(m);
}

/* Every prefix of every case parses or fails cleanly; whole cases survive every pass. */
static void sweep(const char *dir) {
  DIR *dp = opendir(dir);
  CHECK(dp != NULL);
  if (!dp) return;
  int files = 0;
  for (struct dirent *e; (e = readdir(dp));) {
    size_t n = strlen(e->d_name);
    if (n < 4 || strcmp(e->d_name + n - 3, ".ir")) continue;
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    check_context = e->d_name;
    uint32_t id = srcset_read(&src, path, 0);
    CHECK(id != 0);
    if (!id) continue;
    const SrcFile *sf = srcset_get(&src, id);
    files++;
    for (size_t len = 0; len <= sf->len; len += 7) {
      Arena *a = arena_new();
      DiagList d;
      diag_init(&d, a, &src);
      IrModule *m = ir_parse(sf->text, len, &src, &d);
      CHECK(m != NULL || d.nerrors > 0);
      ir_module_free(m);
      arena_free(a);
    }
    DiagList d = fresh_diag();
    IrModule *m = ir_parse(sf->text, sf->len, &src, &d);
    if (!m || ir_verify(m, &d) < 0) {
      ir_module_free(m);
      continue;
    }
    for (const char *const *p = ir_pass_names(); *p; p++) {
      const IrPass *pass = ir_pass_find(*p);
      if (pass->module)
        pass->run_module(m);
      else
        for (int k = 0; k < m->nfuncs; k++) pass->run(m->funcs[k]);
      d = fresh_diag();
      CHECK(ir_verify(m, &d) == 0);
      diag_print(&d, stderr);
    }
    IrPipelineOptions opt = {sizeof opt, true, NULL, NULL, true, &d, false};
    CHECK_INT(ir_run_pipeline(m, &opt), 0);
    ir_module_free(m);
  }
  closedir(dp);
  check_context = "sweep";
  CHECK(files > 20);
}

int main(int argc, char **argv) {
  arena = arena_new();
  srcset_init(&src, arena);
  test_dominators();
  test_verify_pointers();
  test_built_roundtrip();
  test_session_fields();
  test_pass_table();
  test_pipeline_reports();
  if (argc > 1) sweep(argv[1]);
  arena_free(arena);
  return check_summary();
}

/* pipeline.c: the passes, by name, and the order they run in.
 *
 * The whole optimisation pipeline is ir_run_pipeline below, in one screen:
 *
 *   ssa                                   always (slots -> SSA values, phis)
 *   kinline                               with options.inline_kernel, optimising or not: every
 *                                         non-recursive call into kernel handlers (a backend
 *                                         that cannot call)
 *   inline                                when optimising
 *   { fold, copyprop, itervalue, dce, simplifycfg }
 *                                         repeated until none changes anything (at most MAX_ROUNDS);
 *                                         itervalue needs the keys as plain iter.key values, which
 *                                         ssa and copyprop make, and leaves dead keys to dce
 *   strbounds                             last: it annotates, for the backends
 *
 * Each pass lives in passes/NAME.c with one entry point (ir.h).  After any
 * pass the module can be verified (options.verify: a failure names the pass
 * that broke it) and printed (options.dump_after = the pass name or "all":
 * "; after NAME" then the module).  In the repeated group a pass is dumped the
 * first time it runs and afterwards only when it changed something, so a dump
 * shows every state the module went through and no repeats.  Passes know
 * nothing of this file; this file knows nothing of their insides.
 */
#include "ir.h"

#include <stddef.h>
#include <string.h>

enum { MAX_ROUNDS = 8 };

/* name, function pass, whether a module pass, module pass: the table, in pipeline order */
#define IR_PASSES(X)                               \
  X(ssa, ir_pass_ssa, false, NULL)                 \
  X(kinline, NULL, true, ir_pass_inline_kernel)    \
  X(inline, NULL, true, ir_pass_inline)            \
  X(fold, ir_pass_fold, false, NULL)               \
  X(copyprop, ir_pass_copyprop, false, NULL)       \
  X(itervalue, ir_pass_itervalue, false, NULL)     \
  X(dce, ir_pass_dce, false, NULL)                 \
  X(simplifycfg, ir_pass_simplifycfg, false, NULL) \
  X(strbounds, ir_pass_strbounds, false, NULL)

static const IrPass passes[] = {
#define X(name, fn, is_mod, mod) {#name, fn, is_mod, mod},
    IR_PASSES(X)
#undef X
};

static const char *const pass_names[] = {
#define X(name, fn, is_mod, mod) #name,
    IR_PASSES(X)
#undef X
        NULL,
};

const IrPass *ir_pass_find(const char *name) {
  for (size_t k = 0; k < sizeof passes / sizeof *passes; k++)
    if (!strcmp(passes[k].name, name)) return &passes[k];
  return NULL;
}

const char *const *ir_pass_names(void) { return pass_names; }

typedef struct Run {
  IrModule *m;
  bool verify;
  const char *dump_after;
  FILE *dump;
  DiagList *diag;
  bool failed;
} Run;

/* Runs one pass over the module; dumps and verifies as asked.  Returns
 * whether it changed anything. */
static bool run(Run *r, const char *name, bool first_time) {
  const IrPass *p = ir_pass_find(name);
  SUP_ASSERT(p);
  bool changed = false;
  if (p->module)
    changed = p->run_module(r->m);
  else
    for (int k = 0; k < r->m->nfuncs; k++) changed |= p->run(r->m->funcs[k]);
  if (r->dump && r->dump_after && (!strcmp(r->dump_after, "all") || !strcmp(r->dump_after, name)) &&
      (first_time || changed)) {
    fprintf(r->dump, "; after %s\n", name);
    ir_print_module(r->dump, r->m);
  }
  if (r->verify && !r->failed && r->diag && ir_verify(r->m, r->diag) < 0) {
    diag_error(r->diag, (SrcLoc){0, 0, 0}, "the IR is malformed after pass '%s'", name);
    r->failed = true;
  }
  return changed;
}

/* A field that does not fit in opt->sz gets its default (the struct can grow). */
#define OPT(opt, field, dflt) \
  ((opt)->sz >= offsetof(IrPipelineOptions, field) + sizeof((opt)->field) ? (opt)->field : (dflt))

int ir_run_pipeline(IrModule *m, const IrPipelineOptions *opt) {
  Run r = {
      m,    OPT(opt, verify, false), OPT(opt, dump_after, NULL), OPT(opt, dump, NULL), OPT(opt, diag, NULL),
      false};
  run(&r, "ssa", true);
  if (OPT(opt, inline_kernel, false) && !r.failed) run(&r, "kinline", true);
  if (OPT(opt, optimize, false) && !r.failed) {
    run(&r, "inline", true);
    bool changed = true;
    for (int round = 0; changed && round < MAX_ROUNDS && !r.failed; round++) {
      changed = false;
      changed |= run(&r, "fold", round == 0);
      changed |= run(&r, "copyprop", round == 0);
      changed |= run(&r, "itervalue", round == 0);
      changed |= run(&r, "dce", round == 0);
      changed |= run(&r, "simplifycfg", round == 0);
    }
    if (!r.failed) run(&r, "strbounds", true);
  }
  return r.failed ? -1 : 0;
}

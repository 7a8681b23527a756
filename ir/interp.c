/* interp.c: preparing a module for the interpreter, and the public calls.
 *
 * ir_interp_new computes once what every frame of a function needs (which
 * values own a string buffer, constants cut to MAXSTRINGLEN-1 bytes, blocks
 * whose phis must copy in parallel), creates the globals (interp-map.c),
 * parses formats, compiles regexes and resolves builtins
 * (interp-builtin.c), and refuses a module whose host probes read a probe
 * context: begin, end, error and never have no target variables, so
 * "$var" there is refused before anything runs, at its location, the way
 * stap refuses it in pass 2 ("unresolved target-symbol expression").
 * @defined(...) of a context value is simply false on the host.
 *
 * MAXNESTING's default is stap's: "determined by script analysis, with a
 * bonus 10 slots added for recursive scripts" (man stap).  Measured on stap
 * 4.8's generated code: without recursion it is the deepest chain of calls
 * (builtins counted, at least 1); with recursion the deepest chain up to and
 * including the first repeated call, plus 11.  Runs nothing itself:
 * interp-exec.c does.
 */
#include "interp-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* ---- functions ---------------------------------------------------------------- */

unsigned interp_ptr_hash(const void *p) {
  uint64_t x = (uint64_t)(uintptr_t)p;
  x ^= x >> 17;
  x *= 0x9E3779B97F4A7C15ull;
  return (unsigned)(x >> 32);
}

static int func_index(const IrInterp *in, const IrFunc *f) {
  for (unsigned i = interp_ptr_hash(f) & (unsigned)(in->fcap - 1);; i = (i + 1) & (unsigned)(in->fcap - 1)) {
    if (in->fkeys[i] == f) return in->fvals[i];
    if (!in->fkeys[i]) return -1;
  }
}

const FuncInfo *interp_func_info(const IrInterp *in, const IrFunc *f) {
  int k = func_index(in, f);
  SUP_ASSERT(k >= 0);
  return &in->funcs[k];
}

static void index_functions(IrInterp *in) {
  const IrModule *m = in->m;
  in->fcap = 16;
  while (in->fcap < 2 * m->nfuncs + 2) in->fcap *= 2;
  in->fkeys = arena_alloc(in->arena, sizeof(IrFunc *) * (size_t)in->fcap);
  in->fvals = arena_alloc(in->arena, sizeof(int) * (size_t)in->fcap);
  for (int k = 0; k < m->nfuncs; k++) {
    unsigned i = interp_ptr_hash(m->funcs[k]) & (unsigned)(in->fcap - 1);
    while (in->fkeys[i]) i = (i + 1) & (unsigned)(in->fcap - 1);
    in->fkeys[i] = m->funcs[k];
    in->fvals[i] = k;
  }
}

static int *int_array(IrInterp *in, int n, int fill) {
  int *a = arena_alloc(in->arena, sizeof(int) * (size_t)(n ? n : 1));
  for (int k = 0; k < n; k++) a[k] = fill;
  return a;
}

/* Whether a phi of b reads another phi of b (a swap): then the phis copy
 * through temporaries; returns how many phis b has in that case, else 0. */
static int parallel_phis(const IrBlock *b) {
  int n = 0;
  bool reads = false;
  for (const IrInst *i = b->first; i && i->op == IR_PHI; i = i->next, n++)
    for (int k = 0; k < i->nargs; k++)
      if (i->args[k]->op == IR_PHI && i->args[k]->block == b) reads = true;
  return reads ? n : 0;
}

static void func_info(IrInterp *in, FuncInfo *fi, const IrFunc *f) {
  fi->f = f;
  fi->nvals = f->next_id;
  fi->buf = int_array(in, fi->nvals, -1);
  fi->big = int_array(in, fi->nvals, -1);
  fi->cstr = arena_alloc(in->arena, sizeof(char *) * (size_t)(fi->nvals ? fi->nvals : 1));
  fi->parallel = arena_alloc(in->arena, sizeof(bool) * (size_t)(f->nblocks ? f->nblocks : 1));
  int nb = 0;
  for (int k = 0; k < f->nblocks; k++) {
    const IrBlock *b = f->blocks[k];
    SUP_ASSERT(b->index == k);
    int np = parallel_phis(b);
    fi->parallel[k] = np > 0;
    if (np > fi->maxphis) fi->maxphis = np;
    for (const IrInst *i = b->first; i; i = i->next) {
      SUP_ASSERT(i->id < fi->nvals && (i->id >= 0 || i->type == IR_VOID)); /* void: no value, id -1 */
      if (i->type != IR_STR) continue;
      if (i->op == IR_CONST_STR) {
        size_t n = strnlen(i->str, i->len);
        fi->cstr[i->id] = arena_strndup(in->arena, i->str, n < in->maxlen ? n : in->maxlen - 1);
      } else if (i->op == IR_HIST_STR) {
        fi->big[i->id] = fi->nbig++;
      } else {
        fi->buf[i->id] = nb++;
      }
    }
  }
  fi->slot_buf = int_array(in, f->nslots, -1);
  for (int k = 0; k < f->nslots; k++)
    if (f->slots[k] == IR_STR) fi->slot_buf[k] = nb++;
  fi->phi_tmp = nb;
  fi->nbufs = nb + fi->maxphis;
}

/* ---- checks -------------------------------------------------------------------- */

/* Context reads in the functions a host probe reaches: refused (see the top). */
static void check_host_ctx(IrInterp *in, const IrFunc *f, bool *seen, DiagList *diag, const IrProbe *p) {
  int k = func_index(in, f);
  if (seen[k]) return;
  seen[k] = true;
  for (int b = 0; b < f->nblocks; b++)
    for (const IrInst *i = f->blocks[b]->first; i; i = i->next) {
      if (i->op == IR_CALL && i->callee) check_host_ctx(in, i->callee, seen, diag, p);
      if (i->op != IR_CTX) continue;
      const IrCtx *c = i->aux;
      if (c && c->is_defined) continue; /* false on the host */
      diag_error(diag, i->loc,
                 "unresolved target-symbol expression: '%s' (probe '%s' runs on the host, where there is "
                 "no probe context)",
                 c && c->text ? c->text : "?", p->pp ? p->pp : "?");
    }
}

/* ---- MAXNESTING's default ---------------------------------------------------------- */

typedef struct Nest {
  IrInterp *in;
  bool *on_path;
  int *memo; /* depth below a function whose subtree reaches no function on the path; -1 unknown */
  bool recursive;
} Nest;

/* The deepest chain of calls below f (f itself not counted); *cycle is set
 * when the chain met a function already on the path. */
static int nest_depth(Nest *n, const IrFunc *f, bool *cycle) {
  int k = func_index(n->in, f);
  if (n->memo[k] >= 0) return n->memo[k];
  n->on_path[k] = true;
  int best = 0;
  bool any_cycle = false;
  for (int b = 0; b < f->nblocks; b++)
    for (const IrInst *i = f->blocks[b]->first; i; i = i->next) {
      int d = 0;
      if (i->op == IR_BUILTIN) d = 1;
      if (i->op == IR_CALL && i->callee) {
        int c = func_index(n->in, i->callee);
        if (n->on_path[c]) {
          n->recursive = any_cycle = true;
          d = 1;
        } else {
          bool sub = false;
          d = 1 + nest_depth(n, i->callee, &sub);
          any_cycle |= sub;
        }
      }
      if (d > best) best = d;
    }
  n->on_path[k] = false;
  if (!any_cycle) n->memo[k] = best;
  *cycle |= any_cycle;
  return best;
}

static int64_t default_maxnesting(IrInterp *in) {
  const IrModule *m = in->m;
  Nest n = {in, arena_alloc(in->arena, sizeof(bool) * (size_t)(m->nfuncs + 1)), int_array(in, m->nfuncs, -1),
            false};
  int best = 0;
  for (int k = 0; k < m->nprobes; k++) {
    bool cycle = false;
    int d = nest_depth(&n, m->probes[k]->handler, &cycle);
    if (d > best) best = d;
  }
  if (n.recursive) return best + 11;
  return best > 1 ? best : 1;
}

/* ---- creation ------------------------------------------------------------------------ */

/* The C stack calls may use: the soft limit less a margin for what runs
 * below the probe hit and inside a builtin (8 MiB when unlimited). */
static size_t stack_budget(void) {
  struct rlimit rl;
  size_t lim = 8u << 20;
  if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) lim = (size_t)rl.rlim_cur;
  return lim > (2u << 20) ? lim - (1u << 20) : lim / 2;
}

#define OPT(o, field, dflt) ((o) && (o)->sz > offsetof(IrInterpOptions, field) ? (o)->field : (dflt))

IrInterp *ir_interp_new(const IrModule *m, const IrInterpOptions *opt, DiagList *diag) {
  IrInterp *in = calloc(1, sizeof *in);
  if (!in) return NULL;
  in->m = m;
  in->opt = (IrInterpOptions){sizeof(IrInterpOptions), OPT(opt, maxaction, -1), OPT(opt, maxnesting, -1),
                              OPT(opt, out, NULL), OPT(opt, warn, NULL),
                              OPT(opt, new_map, NULL), OPT(opt, map_ctx, NULL), OPT(opt, stat_ncpus, 0)};
  if (in->opt.maxaction < 0) in->opt.maxaction = 10000;
  in->maxlen = (size_t)rt_limits()->maxstringlen;
  in->arena = arena_new();
  in->errmsg = calloc(1, in->maxlen);
  in->caught = calloc(1, in->maxlen);
  if (!in->errmsg || !in->caught || rt_ctx_init(&in->ctx, in->opt.out, in->opt.warn) != 0) {
    ir_interp_free(in);
    return NULL;
  }
  in->stack_budget = stack_budget();
  index_functions(in);
  in->funcs = arena_alloc(in->arena, sizeof(FuncInfo) * (size_t)(m->nfuncs ? m->nfuncs : 1));
  for (int k = 0; k < m->nfuncs; k++) func_info(in, &in->funcs[k], m->funcs[k]);

  int errors = diag->nerrors;
  for (int k = 0; k < m->nprobes; k++) {
    const IrProbe *p = m->probes[k];
    if (p->site != IR_SITE_HOST) continue;
    bool *seen = arena_alloc(in->arena, sizeof(bool) * (size_t)(m->nfuncs + 1));
    check_host_ctx(in, p->handler, seen, diag, p);
  }
  int rc = interp_globals_init(in, diag);
  if (!rc) rc = interp_formats_init(in, diag);
  if (!rc) rc = interp_regexes_init(in, diag);
  if (!rc) rc = interp_builtins_init(in, diag);
  if (rc || diag->nerrors > errors) {
    ir_interp_free(in);
    return NULL;
  }
  in->maxnesting = in->opt.maxnesting >= 0 ? in->opt.maxnesting : default_maxnesting(in);
  return in;
}

void ir_interp_free(IrInterp *in) {
  if (!in) return;
  interp_iters_free(in);
  interp_stack_free(in);
  interp_globals_free(in);
  interp_formats_free(in);
  interp_regexes_free(in);
  rt_ctx_fini(&in->ctx);
  rt_buf_free(&in->scratch);
  free(in->errmsg);
  free(in->caught);
  if (in->arena) arena_free(in->arena);
  free(in);
}

/* ---- running ---------------------------------------------------------------------------- */

IrRunStatus ir_interp_run_probe(IrInterp *in, const IrProbe *p) {
  in->actions_left = in->opt.maxaction;
  in->depth = 0;
  in->uncatchable = in->aborted = false;
  in->errmsg[0] = '\0';
  in->errloc = (SrcLoc){0, 0, 0};
  rt_ctx_begin_hit(&in->ctx);
  in->ctx.pp = p->pp;
  Val ret = {0, NULL, NULL};
  char here;
  in->stack_base = (uintptr_t)&here;
  XStatus st = interp_call(in, interp_func_info(in, p->handler), NULL, NULL, &ret, NULL);
  interp_iters_close(in, 0);
  if (in->aborted) return IR_RUN_ABORT;
  return st == X_FAIL ? IR_RUN_ERROR : IR_RUN_OK;
}

IrRunError ir_interp_error(const IrInterp *in) { return (IrRunError){in->errmsg, in->errloc}; }

bool ir_interp_exit_requested(const IrInterp *in) { return in->ctx.exit_requested; }

int64_t ir_interp_maxnesting(const IrInterp *in) { return in->maxnesting; }

int ir_interp_display_globals(IrInterp *in, RtBuf *out) { return interp_display(in, out); }

int ir_interp_set_global(IrInterp *in, const char *assignment) {
  const char *eq = strchr(assignment, '=');
  if (!eq) return -EINVAL;
  return interp_set_global(in, assignment, (size_t)(eq - assignment), eq + 1);
}

int64_t *ir_interp_global_long(IrInterp *in, const IrGlobal *g) { return &in->globals[g->id].i; }

char *ir_interp_global_str(IrInterp *in, const IrGlobal *g) { return in->globals[g->id].s; }

RtStat *ir_interp_global_stat(IrInterp *in, const IrGlobal *g, int obj) {
  GlobalRt *gr = &in->globals[g->id];
  return gr->stats && obj < gr->nobj ? gr->stats[obj] : NULL;
}

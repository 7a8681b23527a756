/* lower.c: pass 3's driver: AST -> IR for an elaborated program.
 *
 * ir_lower makes an IrGlobal per global, an IrFunc shell per script function
 * (embedded-C functions get none: a call to one is a builtin or an error),
 * then lowers each function body and each probe handler (lower-stmt.c and
 * friends do the constructs).  Every local is a slot set to 0 or "" at entry,
 * parameters copied into theirs; a probe's condition is tested first.  Each
 * body is finished by dropping blocks nothing reaches (code after return,
 * break ...), so the result passes ir_verify.  Also here: the small builders
 * the other lower*.c files share (emitting into the current block, scopes
 * that early exits close) and the host-reachability the embedded-C checks
 * use.  Nothing here prints; mistakes are diagnostics, after which lowering
 * goes on and NULL is returned.
 */
#include "lower.h"

#include <string.h>

/* ---- pointer map ----------------------------------------------------------------*/

static unsigned ptr_hash(const void *p) {
  uintptr_t x = (uintptr_t)p;
  x ^= x >> 17;
  x *= 0x9E3779B97F4A7C15ull;
  return (unsigned)(x >> 32);
}

void *lower_map_get(const LowerMap *m, const void *key) {
  if (!m->cap) return NULL;
  for (unsigned i = ptr_hash(key) & (unsigned)(m->cap - 1);; i = (i + 1) & (unsigned)(m->cap - 1)) {
    if (!m->keys[i]) return NULL;
    if (m->keys[i] == key) return m->vals[i];
  }
}

void lower_map_put(Arena *a, LowerMap *m, const void *key, void *val) {
  if (2 * (m->n + 1) > m->cap) {
    LowerMap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->n = 0;
    m->keys = arena_alloc(a, sizeof(void *) * (size_t)m->cap);
    m->vals = arena_alloc(a, sizeof(void *) * (size_t)m->cap);
    for (int k = 0; k < old.cap; k++)
      if (old.keys[k]) lower_map_put(a, m, old.keys[k], old.vals[k]);
  }
  unsigned i = ptr_hash(key) & (unsigned)(m->cap - 1);
  while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (unsigned)(m->cap - 1);
  if (!m->keys[i]) m->n++;
  m->keys[i] = key;
  m->vals[i] = val;
}

/* ---- building blocks ---------------------------------------------------------------*/

IrType lower_type(AstType t) {
  switch (t) {
  case TY_LONG: return IR_I64;
  case TY_STRING: return IR_STR;
  default: return IR_VOID;
  }
}

IrInst *lower_emit(Lower *L, IrOp op, IrType t, IrInst *const *args, int nargs, SrcLoc loc) {
  if (!L->b) L->b = ir_block_new(L->f); /* code after a jump: dropped when the body is done */
  IrInst *i = ir_inst_new(L->f, op, t, args, nargs, loc);
  ir_block_append(L->b, i);
  return i;
}

IrInst *lower_const_i64(Lower *L, int64_t v, SrcLoc loc) {
  IrInst *i = lower_emit(L, IR_CONST_I64, IR_I64, NULL, 0, loc);
  i->imm = v;
  return i;
}

IrInst *lower_const_str(Lower *L, const char *s, size_t len, SrcLoc loc) {
  IrInst *i = lower_emit(L, IR_CONST_STR, IR_STR, NULL, 0, loc);
  i->str = arena_strndup(L->a, s, len);
  i->len = len;
  return i;
}

IrInst *lower_default(Lower *L, IrType t, SrcLoc loc) {
  return t == IR_STR ? lower_const_str(L, "", 0, loc) : lower_const_i64(L, 0, loc);
}

IrBlock *lower_block(Lower *L) { return ir_block_new(L->f); }

void lower_set_block(Lower *L, IrBlock *b) { L->b = b; }

void lower_br(Lower *L, IrBlock *to, SrcLoc loc) {
  if (!L->b) return;
  lower_emit(L, IR_BR, IR_VOID, NULL, 0, loc)->targets[0] = to;
  L->b = NULL;
}

void lower_cbr(Lower *L, IrInst *cond, IrBlock *t, IrBlock *f, SrcLoc loc) {
  IrInst *i = lower_emit(L, IR_CBR, IR_VOID, &cond, 1, loc);
  i->targets[0] = t;
  i->targets[1] = f;
  L->b = NULL;
}

void lower_term(Lower *L, IrOp op, IrInst *v, SrcLoc loc) {
  lower_emit(L, op, IR_VOID, v ? &v : NULL, v ? 1 : 0, loc);
  L->b = NULL;
}

void lower_actions(Lower *L, SrcLoc loc) {
  if (L->b && L->acts && L->acts->block == L->b) {
    L->acts->imm++;
    return;
  }
  L->acts = lower_emit(L, IR_ACTIONS, IR_VOID, NULL, 0, loc);
  L->acts->imm = 1;
}

void lower_scope_push(Lower *L, bool is_try, IrInst *iter) {
  if (L->nscopes == L->cap_scopes) {
    int c = L->cap_scopes ? 2 * L->cap_scopes : 8;
    L->scopes = arena_realloc(L->a, L->scopes, sizeof(LowerScope) * (size_t)L->cap_scopes,
                              sizeof(LowerScope) * (size_t)c);
    L->cap_scopes = c;
  }
  L->scopes[L->nscopes++] = (LowerScope){is_try, iter};
}

void lower_scope_pop(Lower *L) {
  SUP_ASSERT(L->nscopes > 0);
  L->nscopes--;
}

void lower_unwind(Lower *L, int depth, SrcLoc loc) {
  for (int k = L->nscopes - 1; k >= depth; k--) {
    if (L->scopes[k].is_try)
      lower_emit(L, IR_TRY_POP, IR_VOID, NULL, 0, loc);
    else
      lower_emit(L, IR_ITER_END, IR_VOID, &L->scopes[k].iter, 1, loc);
  }
}

IrGlobal *lower_global(Lower *L, const AstSym *s) { return s ? lower_map_get(&L->globals, s) : NULL; }

IrFunc *lower_func(Lower *L, const AstFunc *fn) { return lower_map_get(&L->funcs, fn); }

/* ---- builtins --------------------------------------------------------------------*/

#define BUILTIN_TAG "stapjit:builtin"

const char *lower_builtin_name(Lower *L, const AstFunc *fn) {
  if (!fn->embedded || !fn->body || fn->body->kind != ST_EMBEDDED || !fn->body->code) return NULL;
  const char *p = strstr(fn->body->code, BUILTIN_TAG);
  if (!p) return NULL;
  p += strlen(BUILTIN_TAG);
  if (*p != '=') return fn->name;
  p++;
  size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");
  return n ? arena_strndup(L->a, p, n) : fn->name;
}

/* ---- globals ---------------------------------------------------------------------*/

/* Global names are unique in the module: private globals of two library
 * files may share one; the later gets ".2", ".3" ... */
static const char *global_name(Lower *L, const AstSym *s) {
  const char *name = s->name;
  for (int n = 2;; n++) {
    bool taken = false;
    for (int k = 0; k < L->m->nglobals && !taken; k++) taken = !strcmp(L->m->globals[k]->name, name);
    if (!taken) return name;
    name = arena_printf(L->a, "%s.%d", s->name, n);
  }
}

static void lower_globals(Lower *L) {
  for (int i = 0; i < L->prog->globals.n; i++) {
    const AstSym *s = L->prog->globals.items[i];
    bool array = s->arity > 0, stat = s->type == TY_STATS;
    IrGlobalKind kind = array ? IR_GLOBAL_MAP : stat ? IR_GLOBAL_STAT : IR_GLOBAL_SCALAR;
    IrGlobal *g = ir_global_new(L->m, global_name(L, s), kind);
    g->is_stat = stat;
    g->value = stat ? IR_VOID : lower_type(s->type);
    if (g->value == IR_VOID && !stat) g->value = IR_I64; /* untyped: elaboration said so */
    g->nkeys = array ? s->arity : 0;
    for (int k = 0; k < g->nkeys && k < 9; k++) {
      g->keys[k] = lower_type(s->key_types[k]);
      if (g->keys[k] == IR_VOID) g->keys[k] = IR_I64;
    }
    g->maxsize = s->maxsize;
    g->wrap = s->wrap;
    if (s->init) {
      g->has_init = true;
      if (s->init->kind == EX_STR)
        g->init_str = arena_strndup(L->a, s->init->str, s->init->str_len);
      else
        g->init_i64 = s->init->num;
    }
    g->display = s->written && !s->read;
    g->cmdline = s->from_cmdline;
    g->script_name = s->name;
    g->loc = s->loc;
    g->sym = s;
    lower_map_put(L->a, &L->globals, s, g);
  }
}

/* ---- functions reached from host probes --------------------------------------------*/

static void reach_stmt(Lower *L, const AstStmt *st);

static void reach_expr(Lower *L, const AstExpr *e) {
  if (!e) return;
  for (const AstFunc *f = e->kind == EX_CALL ? e->func : NULL; f; f = f->fallback) {
    if (lower_map_get(&L->host, f)) break;
    lower_map_put(L->a, &L->host, f, (void *)f);
    if (!f->embedded) reach_stmt(L, f->body);
  }
  reach_expr(L, e->cond);
  reach_expr(L, e->lhs);
  reach_expr(L, e->rhs);
  for (int k = 0; k < e->nargs; k++) reach_expr(L, e->args[k]);
  for (int k = 0; k < e->ncomps; k++) reach_expr(L, e->comps[k].index);
}

static void reach_stmt(Lower *L, const AstStmt *st) {
  if (!st) return;
  for (int k = 0; k < st->nbody; k++) reach_stmt(L, st->body[k]);
  reach_expr(L, st->expr);
  reach_expr(L, st->cond);
  reach_expr(L, st->step);
  if (st->fe) {
    reach_expr(L, st->fe->array);
    reach_expr(L, st->fe->limit);
    for (int k = 0; k < st->fe->nslice; k++) reach_expr(L, st->fe->slice[k]);
  }
  reach_stmt(L, st->then);
  reach_stmt(L, st->els);
}

/* ---- bodies --------------------------------------------------------------------------*/

static IrProbeKind probe_kind(const ElabProbe *ep) {
  const char *n = ep->point && ep->point->ncomps ? ep->point->comps[0].name : "";
  if (ep->point && ep->point->ncomps != 1) return IR_PROBE_OTHER;
  if (!strcmp(n, "begin")) return IR_PROBE_BEGIN;
  if (!strcmp(n, "end")) return IR_PROBE_END;
  if (!strcmp(n, "error")) return IR_PROBE_ERROR;
  if (!strcmp(n, "never")) return IR_PROBE_NEVER;
  return IR_PROBE_OTHER;
}

static void begin_body(Lower *L, IrFunc *f) {
  L->f = f;
  L->b = NULL;
  L->acts = NULL;
  L->locals = NULL;
  L->nlocals = L->slot_base = 0;
  L->next_overload = NULL;
  L->nscopes = L->nloops = L->try_depth = 0;
  lower_set_block(L, lower_block(L));
}

/* New slots for the locals of the code about to be lowered (a probe, or one
 * overload of a function). */
static void use_locals(Lower *L, AstSym **locals, int nlocals) {
  L->locals = locals;
  L->nlocals = nlocals;
  L->slot_base = L->f->nslots;
  for (int k = 0; k < nlocals; k++) {
    IrType t = lower_type(locals[k]->type);
    SUP_ASSERT(locals[k]->index == k);
    ir_slot_new(L->f, t == IR_VOID ? IR_I64 : t, locals[k]->name);
  }
}

/* stap's locals start at 0 or "": the ssa pass turns these into constants. */
static void init_locals(Lower *L, int from) {
  for (int k = from; k < L->nlocals; k++) {
    int slot = L->slot_base + k;
    lower_local_set(L, slot, lower_default(L, L->f->slots[slot], L->locals[k]->loc), L->locals[k]->loc);
  }
}

/* Depth-first from b, appending to post in postorder.  Successors go in
 * reverse of the order code reads: a try handler first, then the false
 * target, then the true one, so that reversed the order is the source's
 * (then before else, a loop's body before what follows it, a try body before
 * its handler). */
static void postorder(IrBlock *b, bool *seen, IrBlock **post, int *n) {
  if (seen[b->index]) return;
  seen[b->index] = true;
  for (IrInst *i = b->first; i; i = i->next)
    if (i->op == IR_TRY_PUSH && i->targets[0]) postorder(i->targets[0], seen, post, n);
  IrInst *t = ir_block_term(b);
  for (int k = 1; t && k >= 0; k--)
    if ((ir_op_flags(t->op) & IRF_TARGETS) && t->targets[k]) postorder(t->targets[k], seen, post, n);
  post[(*n)++] = b;
}

/* Drops the blocks no path reaches (dead code after jumps, joins of arms
 * that both left) and puts the others in reverse postorder, numbered in that
 * order, so the text reads in the order of the source; every block left
 * ends in a terminator. */
static void finish_body(Lower *L) {
  IrFunc *f = L->f;
  SUP_ASSERT(L->nscopes == 0 && L->nloops == 0);
  int n = f->nblocks, nrpo = 0;
  bool *seen = arena_alloc(L->a, sizeof(bool) * (size_t)n);
  IrBlock **post = arena_alloc(L->a, sizeof(IrBlock *) * (size_t)n);
  postorder(f->blocks[0], seen, post, &nrpo);
  for (int k = 0; k < n; k++) {
    if (!seen[k]) continue;
    SUP_ASSERT(ir_block_term(f->blocks[k]) != NULL);
    /* phis join the arms of one expression: all reached, or none */
    for (IrInst *i = f->blocks[k]->first; i && i->op == IR_PHI; i = i->next)
      for (int j = 0; j < i->nargs; j++) SUP_ASSERT(seen[i->phi_blocks[j]->index]);
  }
  for (int k = 0; k < nrpo; k++) {
    IrBlock *b = post[nrpo - 1 - k];
    f->blocks[k] = b;
    b->index = b->id = k;
  }
  f->nblocks = nrpo;
  f->next_block_id = nrpo;
  ir_func_compute_preds(f);
  L->f = NULL;
}

/* Parameter k's value, read at its first use: the first overload's code
 * starts in the entry block, so later overloads' copies are dominated. */
static IrInst *param(Lower *L, IrInst **params, int k, SrcLoc loc) {
  if (!params[k]) {
    params[k] = lower_emit(L, IR_PARAM, L->f->params[k], NULL, 0, loc);
    params[k]->imm = k;
  }
  return params[k];
}

/* One overload's code: its parameters copied into its slots, then its body;
 * falling off the end returns 0 or "". */
static void lower_overload(Lower *L, const AstFunc *fn, IrInst **params) {
  IrFunc *f = L->f;
  if (fn->embedded) { /* a library builtin that a script overload's 'next' reaches */
    for (int k = 0; k < fn->nparams; k++) param(L, params, k, fn->loc);
    IrInst *v = lower_builtin_call(L, fn, params, fn->nparams, fn->loc);
    lower_term(L, IR_RET, f->ret == IR_VOID ? NULL : v ? v : lower_default(L, f->ret, fn->loc), fn->loc);
    return;
  }
  use_locals(L, fn->locals, fn->nlocals);
  for (int k = 0; k < fn->nparams; k++)
    lower_local_set(L, L->slot_base + k, param(L, params, k, fn->locals[k]->loc), fn->locals[k]->loc);
  init_locals(L, fn->nparams);
  lower_stmt(L, fn->body);
  if (L->b) lower_term(L, IR_RET, f->ret == IR_VOID ? NULL : lower_default(L, f->ret, fn->loc), fn->loc);
}

/* A script function and the overloads its 'next' may run (AstFunc.fallback)
 * make one IrFunc: each overload's code in turn, with slots of its own;
 * 'next' branches to the following one's code (lower_next).  The parameters
 * are read once, so each overload starts from the arguments even if an
 * earlier one assigned its parameters. */
static void lower_function(Lower *L, const AstFunc *fn, IrFunc *f) {
  L->in_func = true;
  L->on_host = lower_map_get(&L->host, fn) != NULL;
  begin_body(L, f);
  IrInst **params = arena_alloc(L->a, sizeof(IrInst *) * (size_t)(fn->nparams + 1)); /* zeroed */
  for (const AstFunc *o = fn; o; o = o->fallback) {
    IrBlock *next = o->fallback ? lower_block(L) : NULL;
    L->next_overload = next;
    lower_overload(L, o, params);
    if (next) lower_set_block(L, next);
  }
  finish_body(L);
}

static void lower_probe(Lower *L, const ElabProbe *ep, int index) {
  IrProbeKind kind = probe_kind(ep);
  IrSite site = kind == IR_PROBE_OTHER ? IR_SITE_KERNEL : IR_SITE_HOST;
  SrcLoc loc = ep->point ? ep->point->loc : ep->body->loc;
  if (site == IR_SITE_KERNEL && !L->opt->kernel_probes_allowed)
    diag_error(L->diag, loc,
               "probe '%s' would run in the kernel, and no kernel backend is available yet "
               "(only begin, end, error and never probes can run)",
               ep->pp);
  IrFunc *f = ir_func_new(L->m, arena_printf(L->a, "probe.%d", index), IR_FUNC_PROBE, IR_VOID, NULL, 0);
  f->loc = loc;
  IrProbe *p = ir_probe_new(L->m, f, kind);
  p->site = site;
  p->pp = arena_strdup(L->a, ep->pp);
  p->optional = ep->optional;
  p->ep = ep;
  const AstExpr *arg = ep->point && ep->point->ncomps ? ep->point->comps[0].arg : NULL;
  if (kind != IR_PROBE_OTHER && arg && arg->kind == EX_NUM) p->seq = arg->num;
  L->in_func = false;
  L->on_host = site == IR_SITE_HOST;
  begin_body(L, f);
  use_locals(L, ep->locals, ep->nlocals);
  if (ep->cond) {
    IrBlock *body = lower_block(L), *skip = lower_block(L);
    lower_branch(L, ep->cond, body, skip);
    lower_set_block(L, skip);
    lower_term(L, IR_RET, NULL, ep->cond->loc);
    lower_set_block(L, body);
  }
  init_locals(L, 0);
  lower_stmt(L, ep->body);
  if (L->b) lower_term(L, IR_RET, NULL, ep->body->loc);
  finish_body(L);
}

/* Function names are unique in the module: overloads and private functions
 * of the same name get ".2", ".3" ... */
static const char *func_name(Lower *L, const AstFunc *fn) {
  const char *name = fn->name;
  for (int n = 2;; n++) {
    bool taken = false;
    for (int k = 0; k < L->m->nfuncs && !taken; k++) taken = !strcmp(L->m->funcs[k]->name, name);
    if (!taken) return name;
    name = arena_printf(L->a, "%s.%d", fn->name, n);
  }
}

/* ---- call targets ----------------------------------------------------------------*/

static void called_stmt(Lower *L, const AstStmt *st, LowerMap *out);

static void called_expr(Lower *L, const AstExpr *e, LowerMap *out) {
  if (!e) return;
  if (e->kind == EX_CALL && e->func) lower_map_put(L->a, out, e->func, (void *)e->func);
  called_expr(L, e->cond, out);
  called_expr(L, e->lhs, out);
  called_expr(L, e->rhs, out);
  for (int k = 0; k < e->nargs; k++) called_expr(L, e->args[k], out);
  for (int k = 0; k < e->ncomps; k++) called_expr(L, e->comps[k].index, out);
}

static void called_stmt(Lower *L, const AstStmt *st, LowerMap *out) {
  if (!st) return;
  for (int k = 0; k < st->nbody; k++) called_stmt(L, st->body[k], out);
  called_expr(L, st->expr, out);
  called_expr(L, st->cond, out);
  called_expr(L, st->step, out);
  if (st->fe) {
    called_expr(L, st->fe->array, out);
    called_expr(L, st->fe->limit, out);
    for (int k = 0; k < st->fe->nslice; k++) called_expr(L, st->fe->slice[k], out);
    for (int k = 0; k < st->fe->nkeys; k++) called_expr(L, st->fe->keys[k], out);
    called_expr(L, st->fe->value, out);
  }
  called_stmt(L, st->then, out);
  called_expr(L, st->catch_var, out);
  called_stmt(L, st->els, out);
}

/* A function whose code is only ever run through another's 'next' gets no
 * IrFunc of its own: it is lowered inside the functions whose chains reach it. */
static bool only_a_fallback(Lower *L, const AstFunc *fn, const LowerMap *called) {
  if (lower_map_get(called, fn)) return false;
  for (int i = 0; i < L->prog->funcs.n; i++)
    if (((const AstFunc *)L->prog->funcs.items[i])->fallback == fn) return true;
  return false;
}

static void declare_functions(Lower *L) {
  LowerMap called = {0};
  for (int i = 0; i < L->prog->probes.n; i++) {
    const ElabProbe *ep = L->prog->probes.items[i];
    called_expr(L, ep->cond, &called);
    called_stmt(L, ep->body, &called);
  }
  for (int i = 0; i < L->prog->funcs.n; i++)
    called_stmt(L, ((const AstFunc *)L->prog->funcs.items[i])->body, &called);
  for (int i = 0; i < L->prog->funcs.n; i++) {
    const AstFunc *fn = L->prog->funcs.items[i];
    if (fn->embedded || only_a_fallback(L, fn, &called)) continue;
    IrType *params = arena_alloc(L->a, sizeof(IrType) * (size_t)(fn->nparams + 1));
    for (int k = 0; k < fn->nparams; k++) {
      params[k] = k < fn->nlocals ? lower_type(fn->locals[k]->type) : IR_VOID;
      if (params[k] == IR_VOID) params[k] = IR_I64; /* untyped: elaboration reported it */
    }
    IrFunc *f = ir_func_new(L->m, func_name(L, fn), IR_FUNC_SCRIPT, lower_type(fn->ret), params, fn->nparams);
    f->loc = fn->loc;
    f->ast = fn;
    lower_map_put(L->a, &L->funcs, fn, f);
  }
}

IrModule *ir_lower(const ElabProgram *p, const SrcSet *src, const IrLowerOptions *opt, DiagList *diag) {
  IrLowerOptions o = {.sz = sizeof o, .maxstringlen = 512}; /* fields a shorter (older) caller lacks */
  if (opt) memcpy(&o, opt, opt->sz < sizeof o ? opt->sz : sizeof o);
  opt = &o;
  int errors = diag->nerrors + diag->suppressed;
  Lower L = {.m = ir_module_new(src), .prog = p, .opt = opt, .diag = diag};
  L.a = L.m->arena;
  if (opt->maxstringlen > 0) L.m->maxstringlen = opt->maxstringlen;
  lower_globals(&L);
  for (int i = 0; i < p->probes.n; i++) {
    const ElabProbe *ep = p->probes.items[i];
    if (probe_kind(ep) != IR_PROBE_OTHER) {
      reach_expr(&L, ep->cond);
      reach_stmt(&L, ep->body);
    }
  }
  declare_functions(&L);
  for (int i = 0; i < p->funcs.n; i++) {
    const AstFunc *fn = p->funcs.items[i];
    if (lower_func(&L, fn)) lower_function(&L, fn, lower_func(&L, fn));
  }
  for (int i = 0; i < p->probes.n; i++) lower_probe(&L, p->probes.items[i], i);
  if (diag->nerrors + diag->suppressed > errors) {
    ir_module_free(L.m);
    return NULL;
  }
  return L.m;
}

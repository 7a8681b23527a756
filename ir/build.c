/* build.c: creating and editing IR: modules, functions, blocks, instructions.
 *
 * Everything is allocated in the module's arena.  These functions keep the
 * structural links (block lists, instruction lists, owners) consistent; they
 * do not check types or SSA rules, which is ir_verify's job.
 */
#include "ir.h"

#include <string.h>

static const char *const op_names[] = {
#define X(name, text, nargs, flags) text,
#include "ops.def"
#undef X
};
static const int op_nargs[] = {
#define X(name, text, nargs, flags) nargs,
#include "ops.def"
#undef X
};
static const unsigned op_flags[] = {
#define X(name, text, nargs, flags) flags,
#include "ops.def"
#undef X
};

const char *ir_op_name(IrOp op) { return op < IR__COUNT ? op_names[op] : "?"; }
int ir_op_nargs(IrOp op) { return op < IR__COUNT ? op_nargs[op] : 0; }
unsigned ir_op_flags(IrOp op) { return op < IR__COUNT ? op_flags[op] : 0; }

const char *ir_type_name(IrType t) {
  static const char *const names[] = {"void", "i64", "str", "bool", "iter"};
  return t <= IR_ITER ? names[t] : "?";
}

#define GROW(arena, arr, n, cap)                                                              \
  do {                                                                                        \
    if ((n) == (cap)) {                                                                       \
      int c_ = (cap) ? (cap) * 2 : 8;                                                         \
      (arr) = arena_realloc((arena), (arr), sizeof(*(arr)) * (size_t)(cap), sizeof(*(arr)) * (size_t)c_); \
      (cap) = c_;                                                                             \
    }                                                                                         \
  } while (0)

/* Capacities live beside the counts: kept in a small side struct would be
 * cleaner, but the module lists only grow, so doubling at powers of two is
 * enough: capacity is the next power of two >= n. */
static int cap_of(int n) {
  int c = 8;
  while (c < n) c *= 2;
  return n == 0 ? 0 : c;
}

#define PUSH(arena, arr, n, item)                 \
  do {                                            \
    int cap_ = cap_of(n);                         \
    GROW(arena, arr, n, cap_);                    \
    (arr)[(n)++] = (item);                        \
  } while (0)

IrModule *ir_module_new(const SrcSet *src) {
  Arena *a = arena_new();
  IrModule *m = ARENA_NEW(a, IrModule);
  m->arena = a;
  m->src = src;
  m->maxstringlen = 512;
  return m;
}

void ir_module_free(IrModule *m) {
  if (m) arena_free(m->arena);
}

IrGlobal *ir_global_new(IrModule *m, const char *name, IrGlobalKind kind) {
  IrGlobal *g = ARENA_NEW(m->arena, IrGlobal);
  g->name = arena_strdup(m->arena, name);
  /* script names have no '.': one is the ".N" of a renamed private global */
  g->script_name = arena_strndup(m->arena, name, strcspn(name, "."));
  g->kind = kind;
  g->id = m->nglobals;
  PUSH(m->arena, m->globals, m->nglobals, g);
  return g;
}

IrFunc *ir_func_new(IrModule *m, const char *name, IrFuncKind kind, IrType ret, const IrType *params, int nparams) {
  IrFunc *f = ARENA_NEW(m->arena, IrFunc);
  f->name = arena_strdup(m->arena, name);
  f->kind = kind;
  f->ret = ret;
  f->nparams = nparams;
  f->params = arena_alloc(m->arena, sizeof(IrType) * (size_t)(nparams ? nparams : 1));
  if (nparams) memcpy(f->params, params, sizeof(IrType) * (size_t)nparams);
  f->mod = m;
  PUSH(m->arena, m->funcs, m->nfuncs, f);
  return f;
}

IrProbe *ir_probe_new(IrModule *m, IrFunc *handler, IrProbeKind kind) {
  IrProbe *p = ARENA_NEW(m->arena, IrProbe);
  p->handler = handler;
  p->kind = kind;
  p->index = m->nprobes;
  PUSH(m->arena, m->probes, m->nprobes, p);
  return p;
}

IrBlock *ir_block_new(IrFunc *f) {
  IrBlock *b = ARENA_NEW(f->mod->arena, IrBlock);
  b->id = f->next_block_id++;
  b->func = f;
  b->index = f->nblocks;
  GROW(f->mod->arena, f->blocks, f->nblocks, f->cap_blocks);
  f->blocks[f->nblocks++] = b;
  return b;
}

void ir_func_remove_block(IrFunc *f, IrBlock *b) {
  int k = b->index;
  SUP_ASSERT(k < f->nblocks && f->blocks[k] == b);
  memmove(&f->blocks[k], &f->blocks[k + 1], sizeof(IrBlock *) * (size_t)(f->nblocks - k - 1));
  f->nblocks--;
  for (int i = k; i < f->nblocks; i++) f->blocks[i]->index = i;
}

int ir_format_intern(IrModule *m, const char *text, size_t len) {
  for (int k = 0; k < m->nformats; k++)
    if (m->formats[k]->len == len && !memcmp(m->formats[k]->text, text, len)) return k;
  IrFormat *fm = ARENA_NEW(m->arena, IrFormat);
  fm->text = arena_strndup(m->arena, text, len);
  fm->len = len;
  fm->id = m->nformats;
  PUSH(m->arena, m->formats, m->nformats, fm);
  return fm->id;
}

int ir_regex_intern(IrModule *m, const char *pattern) {
  for (int k = 0; k < m->nregexes; k++)
    if (!strcmp(m->regexes[k], pattern)) return k;
  const char *p = arena_strdup(m->arena, pattern);
  PUSH(m->arena, m->regexes, m->nregexes, p);
  return m->nregexes - 1;
}

int ir_slot_new(IrFunc *f, IrType t, const char *name) {
  Arena *a = f->mod->arena;
  int cap = cap_of(f->nslots);
  if (f->nslots == cap) {
    int c = cap ? cap * 2 : 8;
    f->slots = arena_realloc(a, f->slots, sizeof(IrType) * (size_t)cap, sizeof(IrType) * (size_t)c);
    f->slot_names = arena_realloc(a, f->slot_names, sizeof(char *) * (size_t)cap, sizeof(char *) * (size_t)c);
    f->slot_pinned = arena_realloc(a, f->slot_pinned, sizeof(bool) * (size_t)cap, sizeof(bool) * (size_t)c);
  }
  f->slot_pinned[f->nslots] = false;
  f->slots[f->nslots] = t;
  f->slot_names[f->nslots] = name ? arena_strdup(a, name) : NULL;
  return f->nslots++;
}

IrInst *ir_inst_new(IrFunc *f, IrOp op, IrType t, IrInst *const *args, int nargs, SrcLoc loc) {
  Arena *a = f->mod->arena;
  IrInst *i = ARENA_NEW(a, IrInst);
  i->op = op;
  i->type = t;
  i->id = t == IR_VOID ? -1 : f->next_id++;
  i->loc = loc;
  i->nargs = nargs;
  if (nargs) {
    i->args = arena_alloc(a, sizeof(IrInst *) * (size_t)nargs);
    if (args) memcpy(i->args, args, sizeof(IrInst *) * (size_t)nargs);
  }
  return i;
}

void ir_block_append(IrBlock *b, IrInst *i) {
  SUP_ASSERT(!i->block);
  i->block = b;
  i->prev = b->last;
  i->next = NULL;
  if (b->last) b->last->next = i;
  else b->first = i;
  b->last = i;
}

void ir_inst_insert_before(IrInst *pos, IrInst *i) {
  SUP_ASSERT(!i->block);
  IrBlock *b = pos->block;
  i->block = b;
  i->next = pos;
  i->prev = pos->prev;
  if (pos->prev) pos->prev->next = i;
  else b->first = i;
  pos->prev = i;
}

void ir_inst_remove(IrInst *i) {
  IrBlock *b = i->block;
  if (!b) return;
  if (i->prev) i->prev->next = i->next;
  else b->first = i->next;
  if (i->next) i->next->prev = i->prev;
  else b->last = i->prev;
  i->prev = i->next = NULL;
  i->block = NULL;
}

void ir_phi_add(IrInst *phi, IrInst *v, IrBlock *from) {
  Arena *a = from->func->mod->arena;
  int n = phi->nargs;
  phi->args = arena_realloc(a, phi->args, sizeof(IrInst *) * (size_t)n, sizeof(IrInst *) * (size_t)(n + 1));
  phi->phi_blocks =
      arena_realloc(a, phi->phi_blocks, sizeof(IrBlock *) * (size_t)n, sizeof(IrBlock *) * (size_t)(n + 1));
  phi->args[n] = v;
  phi->phi_blocks[n] = from;
  phi->nargs = n + 1;
}

void ir_replace_uses(IrFunc *f, IrInst *old, IrInst *new_) {
  for (int k = 0; k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      for (int j = 0; j < i->nargs; j++)
        if (i->args[j] == old) i->args[j] = new_;
}

IrInst *ir_block_term(const IrBlock *b) {
  return b->last && (ir_op_flags(b->last->op) & IRF_TERM) ? b->last : NULL;
}

void ir_func_compute_preds(IrFunc *f) {
  Arena *a = f->mod->arena;
  for (int k = 0; k < f->nblocks; k++) f->blocks[k]->npreds = 0;
  int *counts = arena_alloc(a, sizeof(int) * (size_t)(f->nblocks + 1));
  for (int k = 0; k < f->nblocks; k++) {
    IrBlock *b = f->blocks[k];
    for (IrInst *i = b->first; i; i = i->next)
      if (ir_op_flags(i->op) & IRF_TARGETS)
        for (int t = 0; t < 2; t++)
          if (i->targets[t]) counts[i->targets[t]->index]++;
  }
  for (int k = 0; k < f->nblocks; k++) {
    f->blocks[k]->preds = arena_alloc(a, sizeof(IrBlock *) * (size_t)(counts[k] ? counts[k] : 1));
  }
  for (int k = 0; k < f->nblocks; k++) {
    IrBlock *b = f->blocks[k];
    for (IrInst *i = b->first; i; i = i->next) {
      if (!(ir_op_flags(i->op) & IRF_TARGETS)) continue;
      for (int t = 0; t < 2; t++) {
        IrBlock *s = i->targets[t];
        if (!s) continue;
        bool dup = false; /* cbr x, B, B: B has one predecessor edge from b */
        for (int j = 0; j < s->npreds; j++) dup |= s->preds[j] == b;
        if (!dup) s->preds[s->npreds++] = b;
      }
    }
  }
}

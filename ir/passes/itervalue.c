/* itervalue.c: a foreach body's read of the current element, from the iterator.
 *
 * In `foreach (k in a) ... a[k]`, the read a[k] is a map.get whose keys are
 * the iterator's current key: it hashes and looks up what the iterator
 * already holds.  This pass rewrites
 *
 *   %v = map.get @g[%k0, %k1, ...]    each %kN = iter.key %it, N and %it = iter.begin @g
 *
 * into `%v = iter.value %it` (same value number, type and location) when it
 * gives the same value on every path:
 *
 *   - the element: no iter.next, iter.end or iter.begin of %it lies on a path
 *     from a key's iter.key to the map.get that does not run that iter.key
 *     again (otherwise the key is an earlier element's);
 *   - the value: iter.begin copied the values into a snapshot, so no write
 *     to @g may lie on a path from iter.begin to the map.get that does not
 *     run iter.begin again.  Writes are the side-effecting ops on @g
 *     (map.set, map.delete, map.clear, stat.add, global.set) and calls of
 *     script functions that may write @g themselves or through their callees
 *     (a whole-module fixpoint); builtins never write script globals.
 *
 * Paths are searched forward on the CFG plus the edges errors take: any
 * instruction (not only IRF_FAIL ones: the interpreter's iter.begin and ctx
 * fail too) may jump to the handler of the innermost try region open there.
 * Which one that is comes from a small dataflow of try.push/try.pop stacks;
 * where paths disagree on the stack, an error may go to any handler.
 *
 * Only arrays of longs or strings qualify (iter.value on a statistics array
 * is @count, not what stat.get reads).  The interpreter's iter.value copies
 * the snapshot's value exactly as map.get copies the live one (strings
 * through the same MAXSTRINGLEN-bounded copy), so the rewrite is invisible
 * but for speed.
 *
 * This pass changes no control flow and deletes nothing: a key that is no
 * longer used is left to dce.
 */
#include "ir.h"

#include <stdlib.h>
#include <string.h>

/* The try regions open at a point, innermost first: a persistent list. */
typedef struct Tries {
  IrBlock *handler;          /* NULL only in `unknown` */
  const struct Tries *below; /* NULL = the bottom */
} Tries;

/* The bottom of a stack the paths disagree on: its top may be any handler. */
static const Tries unknown = {NULL, &unknown};

typedef struct Iv {
  IrFunc *f;
  Arena *tmp;
  bool *seen;         /* by block index: entered at its start in this walk */
  IrBlock **stack;    /* blocks to scan, each pushed once per walk */
  IrBlock **handlers; /* every try.push target */
  int nhandlers;
  const Tries **entry; /* by block index: the try stack at its start (unknown if unreachable) */
  IrInst **found;      /* clobbers collected by a walk */
  int nfound, cap_found;
  const IrInst *it;           /* the candidate's iterator */
  const IrGlobal *g;          /* its array */
  const IrInst *goal;         /* the candidate map.get */
  IrFunc **sorted;            /* the module's functions by address (for writers) */
  bool *writers;              /* by position in sorted: may write `writers_of` */
  const IrGlobal *writers_of; /* the global writers is for, NULL = not computed */
} Iv;

/* A walk's visitor: true stops the walk (something was found). */
typedef bool (*Visit)(Iv *v, IrInst *i);

/* ---- try stacks ---------------------------------------------------------------------- */

static bool same_tries(const Tries *x, const Tries *y) {
  for (; x != y; x = x->below, y = y->below)
    if (!x || !y || x == &unknown || y == &unknown || x->handler != y->handler) return false;
  return true;
}

/* The stack after i, from the stack t before it. */
static const Tries *tries_after(Iv *v, const IrInst *i, const Tries *t) {
  if (i->op == IR_TRY_PUSH) {
    Tries *n = ARENA_NEW(v->tmp, Tries);
    n->handler = i->targets[0];
    n->below = t;
    return n;
  }
  if (i->op == IR_TRY_POP) return t ? t->below : NULL;
  return t;
}

/* Merges t into b's entry stack; returns whether it changed. */
static bool merge_entry(Iv *v, bool *set, const IrBlock *b, const Tries *t) {
  if (!b || b->index < 0 || b->index >= v->f->nblocks || v->f->blocks[b->index] != b) return false;
  int k = b->index;
  if (!set[k]) return set[k] = true, v->entry[k] = t, true;
  if (v->entry[k] == &unknown || same_tries(v->entry[k], t)) return false;
  v->entry[k] = &unknown;
  return true;
}

/* Fills v->entry: a forward dataflow over blocks (each entry changes at most
 * twice: unset, a stack, unknown). */
static void compute_tries(Iv *v) {
  int nb = v->f->nblocks;
  v->entry = arena_alloc(v->tmp, sizeof(Tries *) * (size_t)(nb + 1));
  bool *set = arena_alloc(v->tmp, sizeof(bool) * (size_t)(nb + 1));
  bool *queued = arena_alloc(v->tmp, sizeof(bool) * (size_t)(nb + 1));
  IrBlock **work = arena_alloc(v->tmp, sizeof(IrBlock *) * (size_t)(nb + 1));
  int n = 0;
  if (nb) merge_entry(v, set, v->f->blocks[0], NULL), work[n++] = v->f->blocks[0], queued[0] = true;
  while (n) {
    IrBlock *b = work[--n];
    queued[b->index] = false;
    const Tries *t = v->entry[b->index];
    for (const IrInst *i = b->first; i; i = i->next) {
      IrBlock *to[3] = {NULL, NULL, NULL};
      const Tries *with[3] = {t, t, t};
      if (t && t->handler) to[2] = t->handler, with[2] = t->below; /* an error here */
      if (ir_op_flags(i->op) & IRF_TARGETS) to[0] = i->targets[0], to[1] = i->targets[1];
      for (int e = 0; e < 3 + (t == &unknown ? v->nhandlers : 0); e++) {
        IrBlock *d = e < 3 ? to[e] : v->handlers[e - 3];
        if (merge_entry(v, set, d, e < 3 ? with[e] : &unknown) && !queued[d->index])
          queued[d->index] = true, work[n++] = d;
      }
      t = tries_after(v, i, t);
    }
  }
  for (int k = 0; k < nb; k++)
    if (!set[k]) v->entry[k] = &unknown;
}

/* ---- the walk ------------------------------------------------------------------------ */

static void push(Iv *v, int *n, IrBlock *b) {
  if (!b || b->index < 0 || b->index >= v->f->nblocks || v->f->blocks[b->index] != b) return;
  if (v->seen[b->index]) return;
  v->seen[b->index] = true;
  v->stack[(*n)++] = b;
}

/* Pushes where control may go from i, under try stack t, besides its next
 * instruction; returns the stack after i. */
static const Tries *push_edges(Iv *v, int *n, const IrInst *i, const Tries *t) {
  if (ir_op_flags(i->op) & IRF_TARGETS)
    for (int e = 0; e < 2; e++) push(v, n, i->targets[e]);
  if (t == &unknown)
    for (int h = 0; h < v->nhandlers; h++) push(v, n, v->handlers[h]);
  else if (t)
    push(v, n, t->handler);
  return tries_after(v, i, t);
}

/* Scans from i (under try stack t) to its block's end or to wall; visits
 * each instruction and pushes where control may go next.  Returns whether
 * visit stopped it. */
static bool scan(Iv *v, int *n, IrInst *i, const Tries *t, const IrInst *wall, Visit visit) {
  for (; i; i = i->next) {
    if (i == wall) return false;
    if (visit(v, i)) return true;
    t = push_edges(v, n, i, t);
  }
  return false;
}

/* The try stack just before i. */
static const Tries *tries_at(Iv *v, const IrInst *i) {
  const Tries *t = v->entry[i->block->index];
  for (const IrInst *j = i->block->first; j != i; j = j->next) t = tries_after(v, j, t);
  return t;
}

/* Walks the CFG forward from just after each of srcs[0..nsrcs), never past
 * wall (a path that runs it again is not followed).  Returns whether visit
 * returned true for an instruction reached. */
static bool walk(Iv *v, IrInst *const *srcs, int nsrcs, const IrInst *wall, Visit visit) {
  memset(v->seen, 0, sizeof(bool) * (size_t)v->f->nblocks);
  int n = 0;
  for (int s = 0; s < nsrcs; s++) { /* a call that writes and then fails goes on to a handler */
    const Tries *t = push_edges(v, &n, srcs[s], tries_at(v, srcs[s]));
    if (scan(v, &n, srcs[s]->next, t, wall, visit)) return true;
  }
  while (n) {
    IrBlock *b = v->stack[--n];
    if (scan(v, &n, b->first, v->entry[b->index], wall, visit)) return true;
  }
  return false;
}

static bool collect(Iv *v, IrInst *i) {
  if (v->nfound == v->cap_found) {
    int c = v->cap_found ? 2 * v->cap_found : 16;
    v->found = arena_realloc(v->tmp, v->found, sizeof(IrInst *) * (size_t)v->cap_found,
                             sizeof(IrInst *) * (size_t)c);
    v->cap_found = c;
  }
  v->found[v->nfound++] = i;
  return false;
}

static bool is_goal(Iv *v, IrInst *i) { return i == v->goal; }

/* ---- what clobbers ------------------------------------------------------------------- */

/* Moves the iterator to another element, or restarts or closes it. */
static bool collect_iter_moves(Iv *v, IrInst *i) {
  bool moves =
      i == v->it || ((i->op == IR_ITER_NEXT || i->op == IR_ITER_END) && i->nargs == 1 && i->args[0] == v->it);
  return moves ? collect(v, i) : false;
}

static bool writes_directly(const IrInst *i, const IrGlobal *g) {
  unsigned fl = ir_op_flags(i->op);
  return i->g == g && (fl & IRF_GLOBAL) && (fl & IRF_SIDE) && i->op != IR_ITER_BEGIN;
}

static int by_address(const void *a, const void *b) {
  uintptr_t x = (uintptr_t) * (IrFunc *const *)a, y = (uintptr_t) * (IrFunc *const *)b;
  return (x > y) - (x < y);
}

/* Position of f in v->sorted, or -1. */
static int func_pos(const Iv *v, const IrFunc *f) {
  IrFunc *const *p = bsearch(&f, v->sorted, (size_t)v->f->mod->nfuncs, sizeof(IrFunc *), by_address);
  return p ? (int)(p - v->sorted) : -1;
}

/* Fills v->writers for g: the functions that write g, and (to a fixpoint)
 * those that call one. */
static void find_writers(Iv *v, const IrGlobal *g) {
  const IrModule *m = v->f->mod;
  if (v->writers_of == g) return;
  if (!v->sorted) {
    v->sorted = arena_alloc(v->tmp, sizeof(IrFunc *) * (size_t)(m->nfuncs + 1));
    memcpy(v->sorted, m->funcs, sizeof(IrFunc *) * (size_t)m->nfuncs);
    qsort(v->sorted, (size_t)m->nfuncs, sizeof(IrFunc *), by_address);
    v->writers = arena_alloc(v->tmp, sizeof(bool) * (size_t)(m->nfuncs + 1));
  }
  memset(v->writers, 0, sizeof(bool) * (size_t)m->nfuncs);
  v->writers_of = g;
  for (bool again = true; again;) {
    again = false;
    for (int k = 0; k < m->nfuncs; k++) {
      if (v->writers[k]) continue;
      const IrFunc *f = v->sorted[k];
      for (int b = 0; b < f->nblocks && !v->writers[k]; b++)
        for (const IrInst *i = f->blocks[b]->first; i; i = i->next) {
          int c = i->op == IR_CALL ? func_pos(v, i->callee) : -1;
          if (writes_directly(i, g) || (i->op == IR_CALL && (c < 0 || v->writers[c]))) {
            v->writers[k] = again = true;
            break;
          }
        }
    }
  }
}

static bool collect_writes(Iv *v, IrInst *i) {
  if (writes_directly(i, v->g)) return collect(v, i);
  if (i->op != IR_CALL) return false;
  find_writers(v, v->g);
  int c = func_pos(v, i->callee);
  return c < 0 || v->writers[c] ? collect(v, i) : false; /* an unknown callee counts as a writer */
}

/* Whether an instruction that visit collects, reached from src without
 * running src again, can reach the goal without running src again. */
static bool clobbered(Iv *v, IrInst *src, Visit visit) {
  v->nfound = 0;
  walk(v, &src, 1, src, visit);
  return v->nfound && walk(v, v->found, v->nfound, src, is_goal);
}

/* ---- candidates ---------------------------------------------------------------------- */

/* The iterator whose current element i reads, or NULL if i is not such a map.get. */
static IrInst *candidate(const IrInst *i) {
  const IrGlobal *g = i->g;
  if (i->op != IR_MAP_GET || !g || g->kind != IR_GLOBAL_MAP || g->is_stat || g->nkeys < 1 ||
      i->nargs != g->nkeys || (g->value != IR_I64 && g->value != IR_STR) || i->type != g->value)
    return NULL;
  IrInst *it = NULL;
  for (int k = 0; k < i->nargs; k++) {
    const IrInst *key = i->args[k];
    if (key->op != IR_ITER_KEY || key->imm != k || key->nargs != 1) return NULL;
    if (k == 0) it = key->args[0];
    if (key->args[0] != it) return NULL;
  }
  return it->op == IR_ITER_BEGIN && it->g == g ? it : NULL;
}

static bool same_value(Iv *v, IrInst *get, IrInst *it) {
  v->it = it;
  v->g = it->g;
  v->goal = get;
  for (int k = 0; k < get->nargs; k++)
    if (clobbered(v, get->args[k], collect_iter_moves)) return false;
  return !clobbered(v, it, collect_writes);
}

static void rewrite(IrInst *get, IrInst *it) {
  get->op = IR_ITER_VALUE;
  get->args[0] = it;
  get->nargs = 1;
  get->g = NULL;
  get->imm = 0;
}

bool ir_pass_itervalue(IrFunc *f) {
  bool any = false;
  for (int b = 0; b < f->nblocks && !any; b++)
    for (IrInst *i = f->blocks[b]->first; i && !any; i = i->next) any = candidate(i) != NULL;
  if (!any) return false;
  Iv v = {.f = f, .tmp = arena_new()};
  v.seen = arena_alloc(v.tmp, sizeof(bool) * (size_t)(f->nblocks + 1));
  v.stack = arena_alloc(v.tmp, sizeof(IrBlock *) * (size_t)(f->nblocks + 1));
  int ntries = 0;
  for (int b = 0; b < f->nblocks; b++)
    for (IrInst *i = f->blocks[b]->first; i; i = i->next) ntries += i->op == IR_TRY_PUSH;
  v.handlers = arena_alloc(v.tmp, sizeof(IrBlock *) * (size_t)(ntries + 1));
  for (int b = 0; b < f->nblocks; b++)
    for (IrInst *i = f->blocks[b]->first; i; i = i->next)
      if (i->op == IR_TRY_PUSH && i->targets[0]) v.handlers[v.nhandlers++] = i->targets[0];
  compute_tries(&v);
  bool changed = false;
  for (int b = 0; b < f->nblocks; b++)
    for (IrInst *i = f->blocks[b]->first; i; i = i->next) {
      IrInst *it = candidate(i);
      if (it && same_value(&v, i, it)) rewrite(i, it), changed = true;
    }
  arena_free(v.tmp);
  return changed;
}

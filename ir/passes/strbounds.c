/* strbounds.c: string-length bounds, for the backends' buffers.
 *
 * For every str value, an upper bound of the buffer it needs (its length
 * plus the NUL), stored in IrInst.str_bound and printed as `maxlen N` (N =
 * str_bound - 1, the length).  No string is longer than the module's
 * maxstringlen - 1 bytes (the runtime truncates), so that is the cap and the
 * answer wherever nothing better is known:
 *
 *   const.str "s"          strlen(s) + 1
 *   concat a, b            a + b - 1 (one NUL), capped
 *   copy a                 a
 *   phi a, b, ...          the largest
 *   local.get sN           the largest value any local.set stores in sN (pinned slots)
 *   builtin execname()     16: the kernel's task name (TASK_COMM_LEN) and its NUL
 *   anything else          the cap (params, calls, map reads, sprintf, ctx, ...)
 *
 * A monotone fixpoint from below (every bound starts at 0 = nothing seen yet):
 * bounds only grow and are capped, so it ends; a loop that keeps growing a
 * string (s = s . "x") is widened to the cap after WIDEN_AFTER rounds instead
 * of climbing one byte per round.  This pass only annotates: it never changes
 * an instruction, and reports a change only when a stored bound differs.
 */
#include "ir.h"

#include <string.h>

enum { WIDEN_AFTER = 8 };

typedef struct Sb {
  IrFunc *f;
  int64_t cap;
  int64_t *b;    /* by value number */
  int64_t *slot; /* by slot */
  int round;
  bool grew;
} Sb;

static int64_t capped(const Sb *s, int64_t x) { return x > s->cap ? s->cap : x < 1 ? 1 : x; }

static int64_t bound_of(const Sb *s, const IrInst *i) {
  switch (i->op) {
  case IR_CONST_STR: return capped(s, (int64_t)i->len + 1);
  case IR_CONCAT: {
    int64_t a = s->b[i->args[0]->id], b = s->b[i->args[1]->id];
    return a && b ? capped(s, a + b - 1) : a ? a : b;
  }
  case IR_COPY: return s->b[i->args[0]->id];
  case IR_PHI: {
    int64_t m = 0;
    for (int k = 0; k < i->nargs; k++)
      if (s->b[i->args[k]->id] > m) m = s->b[i->args[k]->id];
    return m;
  }
  case IR_LOCAL_GET: return s->slot[i->imm];
  case IR_BUILTIN: {
    const IrBuiltin *bi = i->aux;
    return bi && !strcmp(bi->name, "execname") ? capped(s, 16) : s->cap;
  }
  default: return s->cap;
  }
}

static void visit(Sb *s, const IrInst *i) {
  if (i->op == IR_LOCAL_SET && i->nargs == 1 && i->args[0]->type == IR_STR) {
    int64_t v = s->b[i->args[0]->id];
    if (v > s->slot[i->imm]) s->slot[i->imm] = s->round >= WIDEN_AFTER ? s->cap : v, s->grew = true;
  }
  if (i->type != IR_STR || i->id < 0) return;
  int64_t v = bound_of(s, i);
  if (v > s->b[i->id]) s->b[i->id] = s->round >= WIDEN_AFTER ? s->cap : v, s->grew = true;
}

bool ir_pass_strbounds(IrFunc *f) {
  if (!f->nblocks) return false;
  Arena *tmp = arena_new();
  Sb s = {f, f->mod->maxstringlen > 1 ? f->mod->maxstringlen : 1, NULL, NULL, 0, true};
  s.b = arena_alloc(tmp, sizeof(int64_t) * (size_t)(f->next_id + 1));
  s.slot = arena_alloc(tmp, sizeof(int64_t) * (size_t)(f->nslots + 1));
  for (int k = 0; k < f->nslots; k++) s.slot[k] = 1; /* a slot starts as "" */
  IrDomTree dt; /* reverse postorder first: definitions before most uses, fewer rounds */
  ir_func_dominators(f, tmp, &dt);
  for (s.round = 0; s.grew; s.round++) {
    s.grew = false;
    for (int k = 0; k < dt.nrpo; k++)
      for (const IrInst *i = dt.rpo[k]->first; i; i = i->next) visit(&s, i);
    for (int k = 0; k < f->nblocks; k++)
      if (!dt.idom[k])
        for (const IrInst *i = f->blocks[k]->first; i; i = i->next) visit(&s, i);
  }
  bool changed = false;
  for (int k = 0; k < f->nblocks; k++)
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      if (i->type == IR_STR && i->id >= 0) {
        int64_t v = s.b[i->id] ? s.b[i->id] : s.cap; /* 0: a cycle that nothing enters */
        changed |= i->str_bound != v;
        i->str_bound = v;
      }
  arena_free(tmp);
  return changed;
}

/* fold.c: constant folding and propagation.
 *
 * An instruction whose operands are all constants and whose opcode has a rule
 * in the table below becomes a constant itself, in place (it keeps its value
 * number and source location, so its uses now read a constant: that is the
 * propagation).  A phi whose incoming values are equal constants folds too
 * (its constant moves after the block's other phis and a handler's
 * catch.msg), and a cbr on a constant becomes a br (the dropped edge's phi
 * entries go; the block it no longer reaches is left for dce).  Blocks are
 * swept in reverse postorder until nothing changes.
 *
 * The rules follow the language's runtime exactly, or do not fire: i64
 * arithmetic wraps around (computed on uint64_t); div and mod by a constant
 * zero stay, since the runtime error "division by zero" is their meaning;
 * INT64_MIN / -1 wraps to INT64_MIN and INT64_MIN % -1 is 0; shifts by a count
 * outside 0..63 stay for the runtime to decide; string comparisons compare
 * bytes as unsigned; concat truncates at maxstringlen - 1 bytes as the runtime
 * does.  Only pure instructions are folded (regex, map reads and calls never).
 */
#include "ir.h"

#include <string.h>

/* A constant value. */
typedef struct K {
  IrType t;
  int64_t i;
  const char *s;
  size_t len;
} K;

typedef bool (*Rule)(const K *a, const K *b, K *r, const IrModule *m);

#define I64(expr) (r->t = IR_I64, r->i = (int64_t)(expr), true)
#define BOOL(expr) (r->t = IR_BOOL, r->i = (expr) ? 1 : 0, true)
#define UA ((uint64_t)a->i)
#define UB ((uint64_t)b->i)

static bool f_add(const K *a, const K *b, K *r, const IrModule *m) { return I64(UA + UB); }
static bool f_sub(const K *a, const K *b, K *r, const IrModule *m) { return I64(UA - UB); }
static bool f_mul(const K *a, const K *b, K *r, const IrModule *m) { return I64(UA * UB); }
static bool f_div(const K *a, const K *b, K *r, const IrModule *m) {
  if (b->i == 0) return false; /* the runtime's "division by zero" */
  return I64(b->i == -1 ? 0 - UA : (uint64_t)(a->i / b->i));
}
static bool f_mod(const K *a, const K *b, K *r, const IrModule *m) {
  if (b->i == 0) return false;
  return I64(b->i == -1 ? 0 : a->i % b->i);
}
static bool f_shl(const K *a, const K *b, K *r, const IrModule *m) {
  return b->i >= 0 && b->i < 64 && I64(UA << b->i);
}
static bool f_shr(const K *a, const K *b, K *r, const IrModule *m) {
  return b->i >= 0 && b->i < 64 && I64(a->i < 0 ? ~(~UA >> b->i) : UA >> b->i);
}
static bool f_ushr(const K *a, const K *b, K *r, const IrModule *m) {
  return b->i >= 0 && b->i < 64 && I64(UA >> b->i);
}
static bool f_and(const K *a, const K *b, K *r, const IrModule *m) { return I64(UA & UB); }
static bool f_or(const K *a, const K *b, K *r, const IrModule *m) { return I64(UA | UB); }
static bool f_xor(const K *a, const K *b, K *r, const IrModule *m) { return I64(UA ^ UB); }
static bool f_neg(const K *a, const K *b, K *r, const IrModule *m) { return I64(0 - UA); }
static bool f_bnot(const K *a, const K *b, K *r, const IrModule *m) { return I64(~UA); }
static bool f_not(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(!a->i); }
static bool f_zext(const K *a, const K *b, K *r, const IrModule *m) { return I64(a->i != 0); }
static bool f_tobool(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(a->i != 0); }
static bool f_eq(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(a->i == b->i); }
static bool f_ne(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(a->i != b->i); }
static bool f_lt(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(a->i < b->i); }
static bool f_le(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(a->i <= b->i); }
static bool f_gt(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(a->i > b->i); }
static bool f_ge(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(a->i >= b->i); }

/* strcmp on unsigned bytes, lengths included (a string may hold a NUL) */
static int scmp(const K *a, const K *b) {
  size_t n = a->len < b->len ? a->len : b->len;
  int c = n ? memcmp(a->s, b->s, n) : 0;
  return c ? c : (a->len > b->len) - (a->len < b->len);
}
static bool f_seq(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(scmp(a, b) == 0); }
static bool f_sne(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(scmp(a, b) != 0); }
static bool f_slt(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(scmp(a, b) < 0); }
static bool f_sle(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(scmp(a, b) <= 0); }
static bool f_sgt(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(scmp(a, b) > 0); }
static bool f_sge(const K *a, const K *b, K *r, const IrModule *m) { return BOOL(scmp(a, b) >= 0); }

static bool f_concat(const K *a, const K *b, K *r, const IrModule *m) {
  size_t max = m->maxstringlen > 1 ? (size_t)m->maxstringlen - 1 : 0;
  size_t la = a->len < max ? a->len : max, lb = b->len < max - la ? b->len : max - la;
  char *s = arena_alloc(m->arena, la + lb + 1);
  if (la) memcpy(s, a->s, la);
  if (lb) memcpy(s + la, b->s, lb);
  r->t = IR_STR, r->s = s, r->len = la + lb;
  return true;
}

static bool f_copy(const K *a, const K *b, K *r, const IrModule *m) { return *r = *a, true; }

#undef I64
#undef BOOL
#undef UA
#undef UB

/* The folding rules, keyed by opcode; no rule = never folded. */
static const Rule rules[IR__COUNT] = {
    [IR_ADD] = f_add,       [IR_SUB] = f_sub, [IR_MUL] = f_mul,   [IR_DIV] = f_div,       [IR_MOD] = f_mod,
    [IR_SHL] = f_shl,       [IR_SHR] = f_shr, [IR_USHR] = f_ushr, [IR_AND] = f_and,       [IR_OR] = f_or,
    [IR_XOR] = f_xor,       [IR_NEG] = f_neg, [IR_BNOT] = f_bnot, [IR_NOT] = f_not,       [IR_ZEXT] = f_zext,
    [IR_TOBOOL] = f_tobool, [IR_EQ] = f_eq,   [IR_NE] = f_ne,     [IR_LT] = f_lt,         [IR_LE] = f_le,
    [IR_GT] = f_gt,         [IR_GE] = f_ge,   [IR_SEQ] = f_seq,   [IR_SNE] = f_sne,       [IR_SLT] = f_slt,
    [IR_SLE] = f_sle,       [IR_SGT] = f_sgt, [IR_SGE] = f_sge,   [IR_CONCAT] = f_concat, [IR_COPY] = f_copy,
};

static bool konst(const IrInst *i, K *k) {
  switch (i->op) {
  case IR_CONST_I64: *k = (K){IR_I64, i->imm, NULL, 0}; return true;
  case IR_CONST_BOOL: *k = (K){IR_BOOL, i->imm != 0, NULL, 0}; return true;
  case IR_CONST_STR: *k = (K){IR_STR, 0, i->str ? i->str : "", i->str ? i->len : 0}; return true;
  default: return false;
  }
}

static bool same(const K *a, const K *b) {
  return a->t == b->t && (a->t == IR_STR ? scmp(a, b) == 0 : a->i == b->i);
}

/* i becomes the constant r, keeping its number and location. */
static void become(IrInst *i, const K *r) {
  i->op = r->t == IR_I64 ? IR_CONST_I64 : r->t == IR_BOOL ? IR_CONST_BOOL : IR_CONST_STR;
  i->imm = r->t == IR_STR ? 0 : r->i;
  i->str = r->t == IR_STR ? r->s : NULL;
  i->len = r->t == IR_STR ? r->len : 0;
  i->args = NULL, i->nargs = 0, i->phi_blocks = NULL;
}

/* A phi folds when every incoming value is the same constant. */
static bool fold_phi(IrInst *i, K *r) {
  if (!i->nargs) return false;
  for (int k = 0; k < i->nargs; k++) {
    K x;
    if (!konst(i->args[k], &x) || (k && !same(&x, r))) return false;
    *r = x;
  }
  return true;
}

static bool fold_inst(IrInst *i, const IrModule *m) {
  K a, b, r = {0};
  bool ok;
  if (i->op == IR_PHI)
    ok = fold_phi(i, &r);
  else if (!rules[i->op] || i->nargs < 1 || i->nargs > 2 || !konst(i->args[0], &a))
    ok = false;
  else if (i->nargs == 2 && !konst(i->args[1], &b))
    ok = false;
  else
    ok = rules[i->op](&a, &b, &r, m);
  if (!ok || r.t != i->type) return false;
  bool was_phi = i->op == IR_PHI;
  become(i, &r);
  if (was_phi) { /* the phis stay first, and a handler's catch.msg right after them */
    IrInst *pos = i->next;
    while (pos && (pos->op == IR_PHI || pos->op == IR_CATCH_MSG)) pos = pos->next;
    if (pos && pos != i->next) {
      ir_inst_remove(i);
      ir_inst_insert_before(pos, i);
    }
  }
  return true;
}

/* cbr on a constant: a br to the side taken; the other side's phis forget b. */
static bool fold_branch(IrInst *t) {
  K c;
  if (t->op != IR_CBR || !konst(t->args[0], &c)) return false;
  IrBlock *b = t->block, *keep = t->targets[c.i ? 0 : 1], *drop = t->targets[c.i ? 1 : 0];
  t->op = IR_BR, t->nargs = 0, t->args = NULL;
  t->targets[0] = keep, t->targets[1] = NULL;
  if (drop == keep) return true;
  for (IrInst *i = b->first; i; i = i->next) /* another edge from b (try.push) keeps the entries */
    if ((ir_op_flags(i->op) & IRF_TARGETS) && (i->targets[0] == drop || i->targets[1] == drop)) return true;
  for (IrInst *phi = drop->first; phi && phi->op == IR_PHI; phi = phi->next)
    for (int k = 0; k < phi->nargs; k++)
      if (phi->phi_blocks[k] == b) {
        memmove(&phi->args[k], &phi->args[k + 1], sizeof(IrInst *) * (size_t)(phi->nargs - k - 1));
        memmove(&phi->phi_blocks[k], &phi->phi_blocks[k + 1],
                sizeof(IrBlock *) * (size_t)(phi->nargs - k - 1));
        phi->nargs--, k--;
      }
  return true;
}

bool ir_pass_fold(IrFunc *f) {
  if (!f->nblocks) return false;
  Arena *tmp = arena_new();
  IrDomTree dt;
  ir_func_dominators(f, tmp, &dt);
  bool changed = false;
  for (bool again = true; again;) {
    again = false;
    for (int k = 0; k < dt.nrpo; k++)
      for (IrInst *i = dt.rpo[k]->first; i; i = i->next)
        again |= (ir_op_flags(i->op) & IRF_TERM) ? fold_branch(i) : fold_inst(i, f->mod);
    changed |= again;
  }
  arena_free(tmp);
  return changed;
}

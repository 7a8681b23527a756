/* verify.c: the IR verifier, and the dominator tree it (and the passes) use.
 *
 * ir_verify checks a module against the rules every pass may assume and must
 * keep: structure (blocks end in exactly one terminator, targets are blocks of
 * the same function, arguments are live instructions of the same function),
 * operand counts (ops.def), types (the table below), phis matching their
 * block's predecessors, and SSA dominance (a use is dominated by its
 * definition; a phi's use sits at the end of its incoming edge; uses inside
 * unreachable blocks are not checked, as in LLVM; a try.push edge counts as
 * leaving its block, like a branch, since values live across a try region
 * stay in pinned slots).  Each problem is one diagnostic at the
 * instruction's location naming function, block and instruction; the
 * verifier goes on after a problem but never dereferences what it found
 * broken.  It changes nothing.
 *
 * Typing rules (operands -> result; "-" = none, T = any of i64/str/bool):
 *
 *   const.i64 / const.str / const.bool    -                 -> i64 / str / bool
 *   param                                 -                 -> the function's params[imm]
 *   copy                                  T                 -> T
 *   add sub mul div mod shl shr ushr      i64, i64          -> i64
 *   and or xor                            i64, i64          -> i64
 *   neg bnot                              i64               -> i64
 *   not / zext / tobool                   bool / bool / i64 -> bool / i64 / bool
 *   eq ne lt le gt ge                     i64, i64          -> bool
 *   seq sne slt sle sgt sge               str, str          -> bool
 *   concat                                str, str          -> str
 *   regex                                 str               -> bool   (imm < nregexes)
 *   phi                                   T per predecessor -> T
 *   local.get / local.set                 - / slots[imm]    -> slots[imm] / void
 *   global.get / global.set               - / value         -> value / void   (scalar global)
 *   map.get / map.exists                  keys              -> value / bool   (map, not of stats)
 *   map.set                               keys, value       -> void
 *   map.delete                            the unmasked keys -> void   (any map)
 *   map.clear                             -                 -> void   (any global)
 *   stat.add                              keys, i64         -> void   (stat, or map of stats)
 *   stat.get                              keys [, i64]      -> i64    (imm a field)
 *   hist.str                              keys              -> str    (imm < nhists)
 *   iter.begin                            [i64] slice keys  -> iter   (map)
 *   iter.next / iter.end                  iter              -> bool / void
 *   iter.key / iter.value                 iter              -> that key's / the map's value type
 *   call                                  callee's params   -> callee's ret
 *   builtin                               T...              -> any
 *   printf / sprintf                      T...              -> void / str
 *   ctx                                   i64...            -> i64 or str
 *   actions, try.push, try.pop, next, br, unreachable  -    -> void
 *   catch.msg / error                     - / str           -> str / void
 *   cbr                                   bool              -> void
 *   ret                                   the function's ret (none if void) -> void
 */
#include "ir.h"

#include <stdarg.h>
#include <string.h>

/* ---- the typing table ------------------------------------------------------------*/

enum { T_VAR = -1 }; /* result depends on the instruction: a checker decides */

typedef struct V V;
typedef bool (*Checker)(V *v, const IrInst *i); /* false: found a problem */

typedef struct Typing {
  bool known;         /* a row exists (a new opcode without one is reported) */
  signed char res;    /* result type, or T_VAR */
  signed char arg[2]; /* types of the first fixed operands; IR_VOID = checked by the checker */
  Checker check;      /* the rest of the rules, or NULL */
} Typing;

static bool check_param(V *, const IrInst *);
static bool check_copy(V *, const IrInst *);
static bool check_regex(V *, const IrInst *);
static bool check_phi(V *, const IrInst *);
static bool check_local(V *, const IrInst *);
static bool check_global(V *, const IrInst *);
static bool check_map(V *, const IrInst *);
static bool check_stat(V *, const IrInst *);
static bool check_iter(V *, const IrInst *);
static bool check_call(V *, const IrInst *);
static bool check_varargs(V *, const IrInst *);
static bool check_ret(V *, const IrInst *);

#define R(res, a, b, chk) \
  { true, res, {a, b}, chk }
#define I IR_I64
#define S IR_STR
#define B IR_BOOL
#define N IR_VOID
static const Typing typing[IR__COUNT] = {
    [IR_CONST_I64] = R(I, N, N, NULL),
    [IR_CONST_STR] = R(S, N, N, NULL),
    [IR_CONST_BOOL] = R(B, N, N, NULL),
    [IR_PARAM] = R(T_VAR, N, N, check_param),
    [IR_COPY] = R(T_VAR, N, N, check_copy),
    [IR_ADD] = R(I, I, I, NULL),
    [IR_SUB] = R(I, I, I, NULL),
    [IR_MUL] = R(I, I, I, NULL),
    [IR_DIV] = R(I, I, I, NULL),
    [IR_MOD] = R(I, I, I, NULL),
    [IR_SHL] = R(I, I, I, NULL),
    [IR_SHR] = R(I, I, I, NULL),
    [IR_USHR] = R(I, I, I, NULL),
    [IR_AND] = R(I, I, I, NULL),
    [IR_OR] = R(I, I, I, NULL),
    [IR_XOR] = R(I, I, I, NULL),
    [IR_NEG] = R(I, I, N, NULL),
    [IR_BNOT] = R(I, I, N, NULL),
    [IR_NOT] = R(B, B, N, NULL),
    [IR_ZEXT] = R(I, B, N, NULL),
    [IR_TOBOOL] = R(B, I, N, NULL),
    [IR_EQ] = R(B, I, I, NULL),
    [IR_NE] = R(B, I, I, NULL),
    [IR_LT] = R(B, I, I, NULL),
    [IR_LE] = R(B, I, I, NULL),
    [IR_GT] = R(B, I, I, NULL),
    [IR_GE] = R(B, I, I, NULL),
    [IR_SEQ] = R(B, S, S, NULL),
    [IR_SNE] = R(B, S, S, NULL),
    [IR_SLT] = R(B, S, S, NULL),
    [IR_SLE] = R(B, S, S, NULL),
    [IR_SGT] = R(B, S, S, NULL),
    [IR_SGE] = R(B, S, S, NULL),
    [IR_CONCAT] = R(S, S, S, NULL),
    [IR_REGEX] = R(B, S, N, check_regex),
    [IR_PHI] = R(T_VAR, N, N, check_phi),
    [IR_LOCAL_GET] = R(T_VAR, N, N, check_local),
    [IR_LOCAL_SET] = R(N, N, N, check_local),
    [IR_GLOBAL_GET] = R(T_VAR, N, N, check_global),
    [IR_GLOBAL_SET] = R(N, N, N, check_global),
    [IR_MAP_GET] = R(T_VAR, N, N, check_map),
    [IR_MAP_SET] = R(N, N, N, check_map),
    [IR_MAP_EXISTS] = R(B, N, N, check_map),
    [IR_MAP_DELETE] = R(N, N, N, check_map),
    [IR_MAP_CLEAR] = R(N, N, N, check_global),
    [IR_STAT_ADD] = R(N, N, N, check_stat),
    [IR_STAT_GET] = R(I, N, N, check_stat),
    [IR_HIST_STR] = R(S, N, N, check_stat),
    [IR_HIST_BUCKET] = R(I, N, N, check_stat),
    [IR_ITER_BEGIN] = R(IR_ITER, N, N, check_iter),
    [IR_ITER_NEXT] = R(B, IR_ITER, N, NULL),
    [IR_ITER_KEY] = R(T_VAR, IR_ITER, N, check_iter),
    [IR_ITER_VALUE] = R(T_VAR, IR_ITER, N, check_iter),
    [IR_ITER_END] = R(N, IR_ITER, N, NULL),
    [IR_CALL] = R(T_VAR, N, N, check_call),
    [IR_BUILTIN] = R(T_VAR, N, N, check_varargs),
    [IR_PRINTF] = R(N, N, N, check_varargs),
    [IR_SPRINTF] = R(S, N, N, check_varargs),
    [IR_CTX] = R(T_VAR, N, N, check_varargs),
    [IR_ACTIONS] = R(N, N, N, NULL),
    [IR_TRY_PUSH] = R(N, N, N, NULL),
    [IR_TRY_POP] = R(N, N, N, NULL),
    [IR_CATCH_MSG] = R(S, N, N, NULL),
    [IR_ERROR] = R(N, S, N, NULL),
    [IR_BR] = R(N, N, N, NULL),
    [IR_CBR] = R(N, B, N, NULL),
    [IR_RET] = R(N, N, N, check_ret),
    [IR_NEXT] = R(N, N, N, NULL),
    [IR_UNREACHABLE] = R(N, N, N, NULL),
};
#undef R
#undef I
#undef S
#undef B
#undef N

int ir_op_result_type(IrOp op) { return op < IR__COUNT && typing[op].known ? typing[op].res : -1; }

/* ---- dominators (Cooper, Harvey and Kennedy, "A Simple, Fast Dominance Algorithm") --*/

static bool owns(const IrFunc *f, const IrBlock *b) {
  return b && b->index >= 0 && b->index < f->nblocks && f->blocks[b->index] == b;
}

static void add_pred(Arena *a, IrDomTree *dt, int *cap, IrBlock *to, IrBlock *from) {
  int k = to->index;
  for (int j = 0; j < dt->npreds[k]; j++)
    if (dt->preds[k][j] == from) return;
  if (dt->npreds[k] == cap[k]) {
    int c = cap[k] ? cap[k] * 2 : 4;
    dt->preds[k] =
        arena_realloc(a, dt->preds[k], sizeof(IrBlock *) * (size_t)cap[k], sizeof(IrBlock *) * (size_t)c);
    cap[k] = c;
  }
  dt->preds[k][dt->npreds[k]++] = from;
}

static IrBlock *intersect(const IrDomTree *dt, IrBlock *x, IrBlock *y) {
  while (x != y) {
    while (dt->rpo_num[x->index] > dt->rpo_num[y->index]) x = dt->idom[x->index];
    while (dt->rpo_num[y->index] > dt->rpo_num[x->index]) y = dt->idom[y->index];
  }
  return x;
}

void ir_func_dominators(const IrFunc *f, Arena *a, IrDomTree *dt) {
  int n = f->nblocks;
  size_t nn = (size_t)(n ? n : 1);
  *dt = (IrDomTree){0};
  dt->rpo = arena_alloc(a, sizeof(IrBlock *) * nn);
  dt->idom = arena_alloc(a, sizeof(IrBlock *) * nn);
  dt->rpo_num = arena_alloc(a, sizeof(int) * nn);
  dt->preds = arena_alloc(a, sizeof(IrBlock **) * nn);
  dt->npreds = arena_alloc(a, sizeof(int) * nn);
  int *cap = arena_alloc(a, sizeof(int) * nn);
  for (int k = 0; k < n; k++) {
    dt->rpo_num[k] = -1;
    for (IrInst *i = f->blocks[k]->first; i; i = i->next)
      if (ir_op_flags(i->op) & IRF_TARGETS)
        for (int t = 0; t < 2; t++)
          if (owns(f, i->targets[t])) add_pred(a, dt, cap, i->targets[t], f->blocks[k]);
  }
  if (!n) return;
  /* postorder by an explicit DFS stack of (block, next instruction to look at) */
  IrBlock **stack = arena_alloc(a, sizeof(IrBlock *) * nn);
  IrInst **cursor = arena_alloc(a, sizeof(IrInst *) * nn);
  int *tnext = arena_alloc(a, sizeof(int) * nn);
  IrBlock **post = arena_alloc(a, sizeof(IrBlock *) * nn);
  int sp = 0, npost = 0;
  stack[sp] = f->blocks[0], cursor[sp] = f->blocks[0]->first, tnext[sp++] = 0;
  dt->rpo_num[0] = 0; /* visited mark for now */
  while (sp) {
    int top = sp - 1;
    IrInst *i = cursor[top];
    while (i && (!(ir_op_flags(i->op) & IRF_TARGETS) || tnext[top] >= 2))
      i = cursor[top] = i->next, tnext[top] = 0;
    if (!i) {
      post[npost++] = stack[--sp];
      continue;
    }
    IrBlock *s = i->targets[tnext[top]++];
    if (owns(f, s) && dt->rpo_num[s->index] < 0) {
      dt->rpo_num[s->index] = 0;
      stack[sp] = s, cursor[sp] = s->first, tnext[sp++] = 0;
    }
  }
  for (int k = 0; k < npost; k++) {
    dt->rpo[k] = post[npost - 1 - k];
    dt->rpo_num[dt->rpo[k]->index] = k;
  }
  dt->nrpo = npost;
  dt->idom[0] = f->blocks[0];
  for (bool changed = true; changed;) {
    changed = false;
    for (int k = 1; k < npost; k++) {
      IrBlock *b = dt->rpo[k], *nd = NULL;
      for (int j = 0; j < dt->npreds[b->index]; j++) {
        IrBlock *p = dt->preds[b->index][j];
        if (dt->idom[p->index]) nd = nd ? intersect(dt, p, nd) : p;
      }
      if (nd != dt->idom[b->index]) dt->idom[b->index] = nd, changed = true;
    }
  }
}

bool ir_dominates(const IrDomTree *dt, const IrBlock *x, const IrBlock *y) {
  if (!dt->idom[x->index] || !dt->idom[y->index]) return false;
  for (;;) {
    if (x == y) return true;
    const IrBlock *up = dt->idom[y->index];
    if (up == y) return false; /* reached the entry */
    y = up;
  }
}

/* ---- reporting ---------------------------------------------------------------------*/

struct V {
  const IrModule *m;
  const IrFunc *f;
  DiagList *diag;
  int errors;
  IrDomTree dt;
  int *pos; /* by value number: position in its block */
};

/* Reports a problem in block b (and instruction i); returns false. */
static bool verr(V *v, const IrBlock *b, const IrInst *i, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static bool verr(V *v, const IrBlock *b, const IrInst *i, const char *fmt, ...) {
  StrBuf sb = {0};
  sb_printf(&sb, "in @%s", v->f->name);
  if (b) sb_printf(&sb, ", block b%d", b->id);
  if (i && i->type != IR_VOID)
    sb_printf(&sb, ": %%%d = %s", i->id, ir_op_name(i->op));
  else if (i)
    sb_printf(&sb, ": %s", ir_op_name(i->op));
  sb_puts(&sb, ": ");
  va_list ap;
  va_start(ap, fmt);
  sb_vprintf(&sb, fmt, ap);
  va_end(ap);
  SrcLoc loc = i && i->loc.file ? i->loc : v->f->loc;
  diag_error(v->diag, loc, "%s", sb_str(&sb));
  sb_free(&sb);
  v->errors++;
  return false;
}
#define ERR(v, i, ...) verr((v), (i)->block, (i), __VA_ARGS__)

static bool scalar(IrType t) { return t == IR_I64 || t == IR_STR || t == IR_BOOL; }

/* The want_ checks return int, not bool, so that `want_a(..) & want_b(..)`
 * runs (and reports) both. */

/* operand k has type t (a missing operand is the count's problem, reported elsewhere) */
static int want_arg(V *v, const IrInst *i, int k, IrType t) {
  if (k >= i->nargs || i->args[k]->type == t) return true;
  return ERR(v, i, "operand %d (%%%d) is %s, expected %s", k + 1, i->args[k]->id,
             ir_type_name(i->args[k]->type), ir_type_name(t));
}

static int want_result(V *v, const IrInst *i, IrType t) {
  return i->type == t || ERR(v, i, "result is %s, expected %s", ir_type_name(i->type), ir_type_name(t));
}

static int want_nargs(V *v, const IrInst *i, int n) {
  return i->nargs == n || ERR(v, i, "has %d operands, expected %d", i->nargs, n);
}

/* ---- the checkers of the typing table ------------------------------------------------*/

static bool check_param(V *v, const IrInst *i) {
  if (i->imm < 0 || i->imm >= v->f->nparams)
    return ERR(v, i, "parameter %lld out of range", (long long)i->imm);
  return want_result(v, i, v->f->params[i->imm]);
}

static bool check_copy(V *v, const IrInst *i) { return i->nargs != 1 || want_result(v, i, i->args[0]->type); }

static bool check_regex(V *v, const IrInst *i) {
  return (i->imm >= 0 && i->imm < v->m->nregexes) ||
         ERR(v, i, "regex $%lld is not in the module", (long long)i->imm);
}

static bool check_phi(V *v, const IrInst *i) {
  if (!scalar(i->type) && i->type != IR_ITER) return ERR(v, i, "a phi of type %s", ir_type_name(i->type));
  bool ok = true;
  for (int k = 0; k < i->nargs; k++) ok &= want_arg(v, i, k, i->type);
  return ok;
}

static bool check_local(V *v, const IrInst *i) {
  if (i->imm < 0 || i->imm >= v->f->nslots) return ERR(v, i, "slot s%lld out of range", (long long)i->imm);
  IrType t = v->f->slots[i->imm];
  return i->op == IR_LOCAL_GET ? want_result(v, i, t) : want_arg(v, i, 0, t);
}

/* The global is the module's and of an allowed kind. */
static bool global_ok(V *v, const IrInst *i, bool scalar_ok, bool map_ok, bool stat_ok) {
  const IrGlobal *g = i->g;
  if (!g || g->id < 0 || g->id >= v->m->nglobals || v->m->globals[g->id] != g)
    return ERR(v, i, "global is not one of the module's");
  if ((g->kind == IR_GLOBAL_SCALAR && scalar_ok) || (g->kind == IR_GLOBAL_STAT && stat_ok) ||
      (g->kind == IR_GLOBAL_MAP && (g->is_stat ? stat_ok : map_ok)))
    return true;
  static const char *const kinds[] = {"a scalar", "a map", "a statistic"};
  return ERR(v, i, "@%s is %s", g->name,
             g->kind == IR_GLOBAL_MAP && g->is_stat ? "a map of statistics" : kinds[g->kind]);
}

/* the keys from operand `from` on match the global's, skipping masked key positions */
static int want_keys(V *v, const IrInst *i, int from, uint64_t skip_mask) {
  bool ok = true;
  for (int k = 0, a = from; k < i->g->nkeys && k < 9; k++) {
    if (skip_mask >> k & 1) continue;
    if (a < i->nargs && i->args[a]->type != i->g->keys[k])
      ok = ERR(v, i, "key %d (%%%d) is %s, @%s's key is %s", k + 1, i->args[a]->id,
               ir_type_name(i->args[a]->type), i->g->name, ir_type_name(i->g->keys[k]));
    a++;
  }
  return ok;
}

static bool check_global(V *v, const IrInst *i) {
  if (i->op == IR_MAP_CLEAR) return global_ok(v, i, true, true, true);
  if (!global_ok(v, i, true, false, false)) return false;
  return i->op == IR_GLOBAL_GET ? want_result(v, i, i->g->value) : want_arg(v, i, 0, i->g->value);
}

static bool check_map(V *v, const IrInst *i) {
  if (!global_ok(v, i, false, true, i->op == IR_MAP_DELETE || i->op == IR_MAP_EXISTS)) return false;
  const IrGlobal *g = i->g;
  switch (i->op) {
  case IR_MAP_GET: return want_nargs(v, i, g->nkeys) & want_result(v, i, g->value) & want_keys(v, i, 0, 0);
  case IR_MAP_EXISTS: return want_nargs(v, i, g->nkeys) & want_keys(v, i, 0, 0);
  case IR_MAP_SET:
    return want_nargs(v, i, g->nkeys + 1) & want_arg(v, i, g->nkeys, g->value) & want_keys(v, i, 0, 0);
  default: /* MAP_DELETE */
    if ((uint64_t)i->imm >> g->nkeys)
      return ERR(v, i, "wildcard mask %lld beyond the keys", (long long)i->imm);
    return want_nargs(v, i, g->nkeys - __builtin_popcountll((uint64_t)i->imm)) &
           want_keys(v, i, 0, (uint64_t)i->imm);
  }
}

static bool check_stat(V *v, const IrInst *i) {
  if (!global_ok(v, i, false, false, true)) return false;
  const IrGlobal *g = i->g;
  bool ok = want_keys(v, i, 0, 0);
  switch (i->op) {
  case IR_STAT_ADD: return ok & want_nargs(v, i, g->nkeys + 1) & want_arg(v, i, g->nkeys, IR_I64);
  case IR_STAT_GET:
    if (i->imm < 0 || i->imm > IR_STAT_VARIANCE)
      ok = ERR(v, i, "bad statistic field %lld", (long long)i->imm);
    if (i->nargs != g->nkeys && i->nargs != g->nkeys + 1)
      ok = ERR(v, i, "has %d operands, expected %d or %d", i->nargs, g->nkeys, g->nkeys + 1);
    return ok & want_arg(v, i, g->nkeys, IR_I64);
  default: /* HIST_STR, HIST_BUCKET */
    if (i->imm < 0 || i->imm >= g->nhists)
      ok = ERR(v, i, "histogram %lld is not one of @%s's", (long long)i->imm, g->name);
    if (i->op == IR_HIST_BUCKET) return ok & want_nargs(v, i, g->nkeys + 1) & want_arg(v, i, g->nkeys, IR_I64);
    return ok & want_nargs(v, i, g->nkeys);
  }
}

/* iter.key and iter.value are typed from the iter.begin they read, when they read one directly */
static bool check_iter(V *v, const IrInst *i) {
  if (i->op != IR_ITER_BEGIN) {
    const IrInst *it = i->nargs == 1 ? i->args[0] : NULL;
    if (!it || it->op != IR_ITER_BEGIN || !it->g || it->g->kind != IR_GLOBAL_MAP)
      return scalar(i->type) || ERR(v, i, "result is %s, expected a scalar", ir_type_name(i->type));
    if (i->op == IR_ITER_VALUE)
      return it->g->is_stat ? ERR(v, i, "@%s holds statistics: read them with stat.get", it->g->name)
                            : want_result(v, i, it->g->value);
    if (i->imm < 0 || i->imm >= it->g->nkeys) return ERR(v, i, "key %lld out of range", (long long)i->imm);
    return want_result(v, i, it->g->keys[i->imm]);
  }
  if (!global_ok(v, i, false, true, true)) return false;
  const IrSort *s = i->aux;
  const IrGlobal *g = i->g;
  if (!s) return ERR(v, i, "no sort order");
  if (s->col < -1 || s->col > g->nkeys) return ERR(v, i, "sorts by key %d of %d", s->col, g->nkeys);
  if (s->slice >> g->nkeys) return ERR(v, i, "slice mask beyond the keys");
  int lim = s->has_limit;
  return want_nargs(v, i, lim + __builtin_popcount(s->slice)) & (!lim || want_arg(v, i, 0, IR_I64)) &
         want_keys(v, i, lim, ~(uint64_t)s->slice);
}

static bool check_call(V *v, const IrInst *i) {
  const IrFunc *c = i->callee;
  if (!c || c->mod != v->m || c->kind != IR_FUNC_SCRIPT)
    return ERR(v, i, "callee is not a script function of the module");
  if (i->nargs != c->nparams)
    return ERR(v, i, "passes %d arguments, @%s takes %d", i->nargs, c->name, c->nparams);
  bool ok = true;
  for (int k = 0; k < i->nargs; k++) ok &= want_arg(v, i, k, c->params[k]);
  return ok & want_result(v, i, c->ret);
}

/* builtin, printf, sprintf, ctx: their aux and scalar operands */
static bool check_varargs(V *v, const IrInst *i) {
  if (!i->aux)
    return ERR(v, i, "no %s", i->op == IR_BUILTIN ? "builtin" : i->op == IR_CTX ? "context" : "format");
  bool ok = true;
  if (i->op == IR_PRINTF || i->op == IR_SPRINTF) {
    const IrFormat *fm = i->aux;
    if (fm->id < 0 || fm->id >= v->m->nformats || v->m->formats[fm->id] != fm)
      ok = ERR(v, i, "format is not one of the module's");
  }
  for (int k = 0; k < i->nargs; k++) {
    if (i->op == IR_CTX)
      ok &= want_arg(v, i, k, IR_I64);
    else if (!scalar(i->args[k]->type))
      ok = ERR(v, i, "operand %d (%%%d) is %s", k + 1, i->args[k]->id, ir_type_name(i->args[k]->type));
  }
  if (i->op == IR_CTX && i->type != IR_I64 && i->type != IR_STR)
    ok = ERR(v, i, "result is %s, expected i64 or str", ir_type_name(i->type));
  if (i->op == IR_BUILTIN && i->type == IR_ITER) ok = ERR(v, i, "result is iter");
  return ok;
}

static bool check_ret(V *v, const IrInst *i) {
  if (v->f->ret == IR_VOID) return want_nargs(v, i, 0);
  return want_nargs(v, i, 1) && want_arg(v, i, 0, v->f->ret);
}

/* ---- instructions and blocks ---------------------------------------------------------*/

/* Arguments and targets point where they may; false if checking types would be unsafe. */
static bool check_links(V *v, const IrInst *i) {
  bool ok = true;
  for (int k = 0; k < i->nargs; k++) {
    const IrInst *a = i->args[k];
    if (!a)
      ERR(v, i, "operand %d is missing", k + 1), ok = false;
    else if (!a->block || a->block->func != v->f || !owns(v->f, a->block))
      ERR(v, i, "operand %d (%%%d) is not an instruction of this function", k + 1, a->id), ok = false;
    else if (a->type == IR_VOID)
      ERR(v, i, "operand %d is a %s, which has no value", k + 1, ir_op_name(a->op)), ok = false;
  }
  if (ir_op_flags(i->op) & IRF_TARGETS)
    for (int t = 0; t < (i->op == IR_CBR ? 2 : 1); t++)
      if (!owns(v->f, i->targets[t]))
        ERR(v, i, "target %d is not a block of this function", t + 1), ok = false;
  if (i->op == IR_PHI && i->nargs && !i->phi_blocks) ERR(v, i, "no incoming blocks"), ok = false;
  for (int k = 0; ok && i->op == IR_PHI && k < i->nargs; k++)
    if (!owns(v->f, i->phi_blocks[k]))
      ERR(v, i, "incoming block %d is not a block of this function", k + 1), ok = false;
  return ok;
}

static void check_types(V *v, const IrInst *i) {
  const Typing *t = &typing[i->op];
  if (!t->known) {
    ERR(v, i, "no typing rule for this opcode");
    return;
  }
  int n = ir_op_nargs(i->op);
  if (n >= 0) want_nargs(v, i, n);
  for (int k = 0; k < 2; k++)
    if (t->arg[k] != IR_VOID) want_arg(v, i, k, (IrType)t->arg[k]);
  if (t->res != T_VAR) want_result(v, i, (IrType)t->res);
  if (t->check) t->check(v, i);
}

/* def dominates the use by i (at position upos of block ub) */
static void check_dom(V *v, const IrInst *i, const IrInst *def, const IrBlock *ub, int upos, bool edge) {
  const IrBlock *db = def->block;
  bool ok = db == ub ? (edge || v->pos[def->id] < upos) : ir_dominates(&v->dt, db, ub);
  if (ok) return;
  if (edge)
    ERR(v, i, "%%%d (b%d) does not dominate the edge from b%d", def->id, db->id, ub->id);
  else
    ERR(v, i, "%%%d (b%d) does not dominate this use", def->id, db->id);
}

static void check_phi_edges(V *v, const IrBlock *b, const IrInst *i) {
  int np = v->dt.npreds[b->index];
  if (i->nargs != np) ERR(v, i, "has %d incoming values, block b%d has %d predecessors", i->nargs, b->id, np);
  for (int k = 0; k < i->nargs; k++) {
    const IrBlock *from = i->phi_blocks[k];
    bool pred = false, dup = false;
    for (int j = 0; j < np; j++) pred |= v->dt.preds[b->index][j] == from;
    for (int j = 0; j < k; j++) dup |= i->phi_blocks[j] == from;
    if (!pred)
      ERR(v, i, "b%d is not a predecessor of b%d", from->id, b->id);
    else if (dup)
      ERR(v, i, "b%d appears twice", from->id);
    else if (v->dt.idom[from->index] && v->dt.idom[b->index])
      check_dom(v, i, i->args[k], from, 0, true);
  }
}

static void check_block(V *v, const IrBlock *b, bool *link_ok) {
  if (!b->first) {
    verr(v, b, NULL, "empty block");
    return;
  }
  bool reachable = v->dt.idom[b->index] != NULL, phis = true;
  int pos = 0;
  for (const IrInst *i = b->first; i; i = i->next, pos++) {
    bool term = ir_op_flags(i->op) & IRF_TERM;
    if (term && i->next) ERR(v, i, "terminator in the middle of the block");
    if (!i->next && !term) ERR(v, i, "the block does not end in a terminator");
    if (i->op != IR_PHI)
      phis = false;
    else if (!phis)
      ERR(v, i, "phi after a non-phi instruction");
    if (!link_ok[pos]) continue;
    if (i->op == IR_PHI)
      check_phi_edges(v, b, i);
    else if (reachable)
      for (int k = 0; k < i->nargs; k++) check_dom(v, i, i->args[k], b, pos, false);
  }
}

static void verify_func(V *v, const IrFunc *f, Arena *tmp) {
  v->f = f;
  if (!f->nblocks) {
    verr(v, NULL, NULL, "function has no blocks");
    return;
  }
  ir_func_dominators(f, tmp, &v->dt);
  if (v->dt.npreds[0]) verr(v, f->blocks[0], NULL, "the entry block has predecessors");
  v->pos = arena_alloc(tmp, sizeof(int) * (size_t)(f->next_id + 1));
  const IrInst **seen = arena_alloc(tmp, sizeof(IrInst *) * (size_t)(f->next_id + 1));
  /* pass 1: owners, numbering and links, so pass 2 can follow pointers safely */
  bool **link_ok = arena_alloc(tmp, sizeof(bool *) * (size_t)f->nblocks);
  for (int k = 0; k < f->nblocks; k++) {
    const IrBlock *b = f->blocks[k];
    int n = 0;
    for (const IrInst *i = b->first; i; i = i->next) n++;
    link_ok[k] = arena_alloc(tmp, sizeof(bool) * (size_t)(n + 1));
    int pos = 0;
    for (const IrInst *i = b->first; i; i = i->next, pos++) {
      if (i->block != b) ERR(v, i, "instruction's block is not b%d", b->id);
      if (i->op >= IR__COUNT) {
        verr(v, b, NULL, "bad opcode %d", (int)i->op);
        continue;
      }
      if (i->type != IR_VOID) {
        if (i->id < 0 || i->id >= f->next_id)
          ERR(v, i, "value number out of range (next is %d)", f->next_id);
        else if (seen[i->id])
          ERR(v, i, "value %%%d defined twice", i->id);
        else
          seen[i->id] = i, v->pos[i->id] = pos;
      }
      link_ok[k][pos] = check_links(v, i);
    }
  }
  for (int k = 0; k < f->nblocks; k++) {
    int pos = 0;
    for (const IrInst *i = f->blocks[k]->first; i; i = i->next, pos++)
      if (link_ok[k][pos] && i->op < IR__COUNT) check_types(v, i);
    check_block(v, f->blocks[k], link_ok[k]);
  }
}

int ir_verify(const IrModule *m, DiagList *diag) {
  V v = {.m = m, .diag = diag};
  Arena *tmp = arena_new();
  for (int k = 0; k < m->nfuncs; k++) verify_func(&v, m->funcs[k], tmp);
  v.f = NULL;
  for (int k = 0; k < m->nprobes; k++) {
    const IrProbe *p = m->probes[k];
    if (!p->handler || p->handler->mod != m || p->handler->kind != IR_FUNC_PROBE)
      diag_error(diag, p->handler ? p->handler->loc : (SrcLoc){0, 0, 0},
                 "probe %d (%s): its handler is not a probe handler of the module", k, p->pp ? p->pp : "?");
    v.errors += !p->handler || p->handler->mod != m || p->handler->kind != IR_FUNC_PROBE;
  }
  arena_free(tmp);
  return v.errors ? -1 : 0;
}

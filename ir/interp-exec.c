/* interp-exec.c: the interpreter's dispatch loop: frames, arithmetic,
 * strings, control flow, calls, try/catch and runtime errors.
 *
 * A call runs in a Frame whose memory (values, slots, string buffers) is
 * one allocation freed when it returns.  Blocks run from their first
 * instruction; entering a block along an edge first gives its phis the
 * values of that edge (through temporaries when the phis read each other).
 *
 * Errors follow the code stap generates: an instruction that fails stores
 * the message and its own location and the frame looks at its try stack;
 * a pushed region takes the error (iterators opened inside are closed, the
 * message becomes catch.msg's value), else the frame returns X_FAIL and
 * its caller does the same, up to the probe handler, whose caller reports
 * it.  MAXACTION exceeded and abort() are never caught (stap's catch code
 * tests actionremaining first; abort sets no error at all).  Arithmetic is
 * stap's: wrapping, shifts by the count's low 6 bits, division by 0 an
 * error, INT64_MIN / -1 wrapping and x % ±1 == 0 (runtime/linux/arith.c).
 */
#include "interp-int.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

XStatus interp_fail(IrInterp *in, const IrInst *inst, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(in->errmsg, in->maxlen, fmt, ap);
  va_end(ap);
  in->errloc = inst ? inst->loc : (SrcLoc){0, 0, 0};
  return X_FAIL;
}

const char *interp_strcpy(const IrInterp *in, char *dst, const char *s) {
  size_t n = strnlen(s, in->maxlen - 1);
  if (dst != s) memmove(dst, s, n);
  dst[n] = '\0';
  return dst;
}

char *interp_buf(const IrInterp *in, const Frame *fr, const IrInst *i) {
  int b = fr->fi->buf[i->id];
  SUP_ASSERT(b >= 0);
  return fr->bufs + (size_t)b * in->maxlen;
}

/* ---- frames ------------------------------------------------------------------------ */

/* Frames live on a stack of chunks that only grows (freed with the
 * interpreter): calls are LIFO, so a frame's memory is taken from the top
 * and given back by resetting it, with no malloc per call. */
struct StackChunk {
  StackChunk *prev, *next;
  size_t size, used;
  _Alignas(16) char data[];
};

enum { CHUNK_MIN = 1 << 20 };

static void *stack_alloc(IrInterp *in, size_t n, StackChunk **chunk, size_t *mark) {
  n = (n + 15) & ~(size_t)15;
  StackChunk *c = in->stack;
  if (!c || c->used + n > c->size) {
    StackChunk *next = c ? c->next : in->stack_first;
    if (next && next->size < n) { /* too small to reuse: drop it and those after it */
      for (StackChunk *k = next, *after; k; k = after) after = k->next, free(k);
      next = NULL;
      if (c)
        c->next = NULL;
      else
        in->stack_first = NULL;
    }
    if (!next) {
      size_t size = n > CHUNK_MIN ? n : CHUNK_MIN;
      if (!(next = malloc(sizeof *next + size))) return NULL;
      *next = (StackChunk){.prev = c, .size = size};
      if (c)
        c->next = next;
      else
        in->stack_first = next;
    }
    next->used = 0;
    c = in->stack = next;
  }
  *chunk = c;
  *mark = c->used;
  c->used += n;
  return c->data + *mark;
}

void interp_stack_free(IrInterp *in) {
  for (StackChunk *k = in->stack_first, *after; k; k = after) after = k->next, free(k);
  in->stack = in->stack_first = NULL;
}

static int frame_init(IrInterp *in, Frame *fr, const FuncInfo *fi, const Frame *caller, const IrInst *call) {
  const IrFunc *f = fi->f;
  size_t nv = (size_t)fi->nvals + (size_t)f->nslots + (size_t)fi->maxphis;
  size_t bytes = nv * sizeof(Val) + (size_t)fi->nbig * sizeof(RtBuf) + (size_t)fi->nbufs * in->maxlen;
  *fr = (Frame){.fi = fi, .caller = caller, .call = call};
  char *mem = stack_alloc(in, bytes, &fr->chunk, &fr->mark);
  if (!mem) return -ENOMEM;
  memset(mem, 0, nv * sizeof(Val) + (size_t)fi->nbig * sizeof(RtBuf));
  fr->v = (Val *)mem;
  fr->slots = fr->v + fi->nvals;
  fr->ptmp = fr->slots + f->nslots;
  fr->big = (RtBuf *)(fr->ptmp + fi->maxphis);
  fr->bufs = (char *)(fr->big + fi->nbig);
  for (int k = 0; k < f->nslots; k++) {
    if (fi->slot_buf[k] < 0) continue;
    char *b = fr->bufs + (size_t)fi->slot_buf[k] * in->maxlen;
    b[0] = '\0';
    fr->slots[k].s = b;
  }
  return 0;
}

static void frame_fini(IrInterp *in, Frame *fr) {
  for (int k = 0; k < fr->fi->nbig; k++) rt_buf_free(&fr->big[k]);
  free(fr->tries);
  in->stack = fr->chunk; /* back to where the frame started */
  fr->chunk->used = fr->mark;
}

/* Copies a value of type t into dst, whose string buffer is buf. */
static void copy_val(const IrInterp *in, Val *dst, const Val *src, IrType t, char *buf) {
  if (t == IR_STR)
    dst->s = interp_strcpy(in, buf, src->s ? src->s : "");
  else
    *dst = *src;
}

/* ---- phis ------------------------------------------------------------------------------ */

static const Val *phi_src(const Frame *fr, const IrInst *phi, const IrBlock *from) {
  for (int k = 0; k < phi->nargs; k++)
    if (phi->phi_blocks[k] == from) return &fr->v[phi->args[k]->id];
  SUP_UNREACHABLE(); /* the verifier checks that every predecessor has an argument */
}

/* Gives b's phis their values along the edge from `from`; returns the first
 * instruction after them. */
static const IrInst *enter_block(const IrInterp *in, Frame *fr, const IrBlock *b, const IrBlock *from) {
  const IrInst *first = b->first;
  if (!first || first->op != IR_PHI) return first;
  const IrInst *i;
  if (!fr->fi->parallel[b->index]) {
    for (i = first; i && i->op == IR_PHI; i = i->next)
      copy_val(in, &fr->v[i->id], phi_src(fr, i, from), i->type,
               i->type == IR_STR ? interp_buf(in, fr, i) : NULL);
    return i;
  }
  int n = 0;
  for (i = first; i && i->op == IR_PHI; i = i->next, n++)
    copy_val(in, &fr->ptmp[n], phi_src(fr, i, from), i->type,
             fr->bufs + (size_t)(fr->fi->phi_tmp + n) * in->maxlen);
  n = 0;
  for (i = first; i && i->op == IR_PHI; i = i->next, n++)
    copy_val(in, &fr->v[i->id], &fr->ptmp[n], i->type, i->type == IR_STR ? interp_buf(in, fr, i) : NULL);
  return i;
}

/* ---- arithmetic and strings ------------------------------------------------------------------ */

static int64_t wrap(uint64_t v) { return (int64_t)v; }

/* i64 binary ops but div/mod; comparisons. */
static int64_t arith(IrOp op, int64_t a, int64_t b) {
  uint64_t x = (uint64_t)a, y = (uint64_t)b;
  switch (op) {
  case IR_ADD: return wrap(x + y);
  case IR_SUB: return wrap(x - y);
  case IR_MUL: return wrap(x * y);
  case IR_SHL: return wrap(x << (y & 63));
  case IR_SHR: return a >= 0 ? wrap(x >> (y & 63)) : wrap(~(~x >> (y & 63)));
  case IR_USHR: return wrap(x >> (y & 63));
  case IR_AND: return wrap(x & y);
  case IR_OR: return wrap(x | y);
  case IR_XOR: return wrap(x ^ y);
  case IR_EQ: return a == b;
  case IR_NE: return a != b;
  case IR_LT: return a < b;
  case IR_LE: return a <= b;
  case IR_GT: return a > b;
  case IR_GE: return a >= b;
  default: SUP_UNREACHABLE();
  }
}

static XStatus divmod(IrInterp *in, const IrInst *i, int64_t a, int64_t b, int64_t *out) {
  if (b == 0) return interp_fail(in, i, "division by 0");
  if (i->op == IR_DIV)
    *out = b == -1 ? wrap(0 - (uint64_t)a) : a / b;
  else
    *out = (b == 1 || b == -1) ? 0 : a % b;
  return X_OK;
}

static int64_t str_compare(IrOp op, const char *a, const char *b) {
  int c = strcmp(a, b);
  switch (op) {
  case IR_SEQ: return c == 0;
  case IR_SNE: return c != 0;
  case IR_SLT: return c < 0;
  case IR_SLE: return c <= 0;
  case IR_SGT: return c > 0;
  case IR_SGE: return c >= 0;
  default: SUP_UNREACHABLE();
  }
}

static const char *concat(const IrInterp *in, char *dst, const char *a, const char *b) {
  size_t max = in->maxlen - 1;
  size_t na = strnlen(a, max);
  memmove(dst, a, na);
  size_t nb = strnlen(b, max - na);
  memmove(dst + na, b, nb);
  dst[na + nb] = '\0';
  return dst;
}

/* ---- calls --------------------------------------------------------------------------------------- */

/* A script function call.  Besides MAXNESTING, the C stack the recursion
 * of run_frame uses is bounded: a -D MAXNESTING beyond what the stack holds
 * fails the same way instead of crashing. */
static XStatus call(IrInterp *in, Frame *fr, const IrInst *i) {
  char here;
  if (in->depth >= in->maxnesting || in->stack_base - (uintptr_t)&here > in->stack_budget)
    return interp_fail(in, i, "MAXNESTING exceeded");
  in->depth++;
  XStatus st = interp_call(in, interp_func_info(in, i->callee), fr, i, i->id >= 0 ? &fr->v[i->id] : NULL,
                           i->type == IR_STR ? interp_buf(in, fr, i) : NULL);
  in->depth--;
  return st;
}

/* ---- try/catch ------------------------------------------------------------------------------------ */

static XStatus try_push(IrInterp *in, Frame *fr, const IrInst *i) {
  if (fr->ntries == fr->cap_tries) {
    int c = fr->cap_tries ? 2 * fr->cap_tries : 4;
    TryEntry *t = realloc(fr->tries, sizeof(TryEntry) * (size_t)c);
    if (!t) return interp_fail(in, i, "out of memory");
    fr->tries = t;
    fr->cap_tries = c;
  }
  fr->tries[fr->ntries++] = (TryEntry){i->targets[0], i->block, in->niters};
  return X_OK;
}

/* ---- the loop ---------------------------------------------------------------------------------------- */

#define V(x) (fr->v[(x)->id])
#define A(k) V(i->args[k])

/* Instructions that neither branch nor touch globals, builtins or output. */
static XStatus exec_local(IrInterp *in, Frame *fr, const IrInst *i) {
  Val *v = &V(i);
  switch (i->op) {
  case IR_CONST_I64:
  case IR_CONST_BOOL: v->i = i->imm; return X_OK;
  case IR_CONST_STR: v->s = fr->fi->cstr[i->id]; return X_OK;
  case IR_PARAM:
    SUP_ASSERT(fr->call && i->imm >= 0 && i->imm < fr->call->nargs);
    copy_val(in, v, &fr->caller->v[fr->call->args[i->imm]->id], i->type,
             i->type == IR_STR ? interp_buf(in, fr, i) : NULL);
    return X_OK;
  case IR_COPY:
    copy_val(in, v, &A(0), i->type, i->type == IR_STR ? interp_buf(in, fr, i) : NULL);
    return X_OK;
  case IR_LOCAL_GET:
    copy_val(in, v, &fr->slots[i->imm], i->type, i->type == IR_STR ? interp_buf(in, fr, i) : NULL);
    return X_OK;
  case IR_LOCAL_SET: {
    const IrInst *src = i->args[0];
    Val *slot = &fr->slots[i->imm];
    copy_val(in, slot, &V(src), src->type, src->type == IR_STR ? (char *)slot->s : NULL);
    return X_OK;
  }
  case IR_DIV:
  case IR_MOD: return divmod(in, i, A(0).i, A(1).i, &v->i);
  case IR_NEG: v->i = wrap(0 - (uint64_t)A(0).i); return X_OK;
  case IR_BNOT: v->i = wrap(~(uint64_t)A(0).i); return X_OK;
  case IR_NOT: v->i = !A(0).i; return X_OK;
  case IR_ZEXT: v->i = A(0).i != 0; return X_OK;
  case IR_TOBOOL: v->i = A(0).i != 0; return X_OK;
  case IR_SEQ:
  case IR_SNE:
  case IR_SLT:
  case IR_SLE:
  case IR_SGT:
  case IR_SGE: v->i = str_compare(i->op, A(0).s, A(1).s); return X_OK;
  case IR_CONCAT: v->s = concat(in, interp_buf(in, fr, i), A(0).s, A(1).s); return X_OK;
  case IR_ACTIONS:
    in->actions_left -= i->imm;
    if (in->actions_left > 0) return X_OK;
    in->uncatchable = true;
    return interp_fail(in, i, "MAXACTION exceeded");
  case IR_TRY_PUSH: return try_push(in, fr, i);
  case IR_TRY_POP:
    SUP_ASSERT(fr->ntries > 0);
    fr->ntries--;
    return X_OK;
  case IR_CATCH_MSG: v->s = interp_strcpy(in, interp_buf(in, fr, i), in->caught); return X_OK;
  case IR_ERROR: return interp_fail(in, i, "%s", A(0).s);
  case IR_CALL: return call(in, fr, i);
  case IR_CTX: {
    const IrCtx *c = i->aux;
    if (c && c->is_defined) {
      v->i = 0;
      return X_OK;
    }
    return interp_fail(in, i, "cannot read '%s' in a probe that runs on the host",
                       c && c->text ? c->text : "?");
  }
  case IR_UNREACHABLE: return interp_fail(in, i, "internal error: unreachable code was reached");
  case IR_GLOBAL_GET:
  case IR_GLOBAL_SET:
  case IR_MAP_GET:
  case IR_MAP_SET:
  case IR_MAP_EXISTS:
  case IR_MAP_DELETE:
  case IR_MAP_CLEAR:
  case IR_STAT_ADD:
  case IR_STAT_GET:
  case IR_HIST_STR:
  case IR_HIST_BUCKET:
  case IR_ITER_BEGIN:
  case IR_ITER_NEXT:
  case IR_ITER_KEY:
  case IR_ITER_VALUE:
  case IR_ITER_END: return interp_global_op(in, fr, i);
  case IR_BUILTIN:
  case IR_PRINTF:
  case IR_SPRINTF:
  case IR_REGEX: return interp_builtin_op(in, fr, i);
  default: SUP_UNREACHABLE();
  }
}

/* Runs fr's function from its entry until it returns, leaves the probe
 * (next) or fails with no try region of its own left to catch the error. */
static XStatus run_frame(IrInterp *in, Frame *fr, Val *ret, char *retbuf) {
  const IrFunc *f = fr->fi->f;
  const IrBlock *b = f->blocks[0], *from = NULL;
  for (;;) {
    const IrInst *i = from ? enter_block(in, fr, b, from) : b->first;
    XStatus st = X_OK;
    for (; i; i = i->next) {
      switch (i->op) {
      case IR_ADD:
      case IR_SUB:
      case IR_MUL:
      case IR_SHL:
      case IR_SHR:
      case IR_USHR:
      case IR_AND:
      case IR_OR:
      case IR_XOR:
      case IR_EQ:
      case IR_NE:
      case IR_LT:
      case IR_LE:
      case IR_GT:
      case IR_GE: V(i).i = arith(i->op, A(0).i, A(1).i); continue;
      case IR_BR:
        from = b;
        b = i->targets[0];
        goto next_block;
      case IR_CBR:
        from = b;
        b = A(0).i ? i->targets[0] : i->targets[1];
        goto next_block;
      case IR_RET:
        if (i->nargs && ret) copy_val(in, ret, &A(0), i->args[0]->type, retbuf);
        return X_OK;
      case IR_NEXT: return X_NEXT;
      case IR_PHI: continue; /* entry block phis never run; the others were given values */
      default: st = exec_local(in, fr, i); break;
      }
      if (st != X_OK) break;
    }
    SUP_ASSERT(st != X_OK); /* every block ends in a terminator */
    if (st == X_NEXT || in->uncatchable || in->aborted || fr->ntries == 0) return st;
    TryEntry t = fr->tries[--fr->ntries];
    interp_iters_close(in, t.iter_mark);
    interp_strcpy(in, in->caught, in->errmsg);
    in->errmsg[0] = '\0';
    from = t.from;
    b = t.handler;
  next_block:;
  }
}

XStatus interp_call(IrInterp *in, const FuncInfo *fi, const Frame *caller, const IrInst *call, Val *ret,
                    char *retbuf) {
  Frame fr;
  if (frame_init(in, &fr, fi, caller, call) != 0) return interp_fail(in, call, "out of memory");
  XStatus st = run_frame(in, &fr, ret, retbuf);
  frame_fini(in, &fr);
  return st;
}

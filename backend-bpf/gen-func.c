/* gen-func.c: one kernel probe handler: IR -> LLVM IR.
 *
 * The program's prologue looks up the session control block (the handler
 * does nothing unless the session is RUNNING), this CPU's scratch space and
 * the scalar globals.  Values: i64 and bool are LLVM values; a string is a
 * pointer to a NUL-terminated buffer: a .rodata constant, or the region of
 * the scratch space that belongs to the instruction that made it (each
 * instruction its own region, so a value is never overwritten while live;
 * a string phi has its own region too, filled on each incoming edge).
 * Strings move with probe_read_kernel_str, which stops at the NUL and
 * always terminates; compare loops are bounded by the smaller buffer.
 *
 * Control flow follows the IR's blocks.  Each IR edge goes through
 * edge_to(), which records the LLVM predecessor for the target's phis and,
 * when the target has string phis, makes an edge block that copies them.
 * A runtime error either branches to the innermost try handler (the try
 * stack of every block is computed first) with the message in a stack
 * slot, or sends an error record and leaves the handler, as stap abandons
 * a probe hit after an error.
 */
#include "gen-int.h"

#include <errno.h>
#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TRY = 16 };

typedef struct TryStack {
  const IrBlock *h[MAX_TRY];    /* handlers, innermost last */
  const IrBlock *from[MAX_TRY]; /* the block of each try.push (the handler's phis read that edge) */
  int n;
  bool set;
} TryStack;

typedef struct PhiEdge {
  LLVMBasicBlockRef llvm; /* the LLVM block the edge leaves */
  const IrBlock *from;    /* the IR block whose phi operands it carries */
  const IrBlock *to;
} PhiEdge;

typedef struct Fn {
  Gen *g;
  const IrProbe *p;
  const IrFunc *f;
  LLVMValueRef fn;
  LLVMValueRef ctxp;                  /* the program's context argument */
  LLVMValueRef scratch, glob, ctl;    /* base pointers, looked up in the prologue */
  LLVMValueRef actions, errmsg, zero; /* stack slots */
  LLVMValueRef *vals;                 /* by instruction id */
  uint32_t *obj;                      /* by instruction id: bytes of a str value's buffer */
  uint32_t *soff;                     /* by instruction id: its scratch region, UINT32_MAX if none */
  LLVMBasicBlockRef *bbs;             /* by block index */
  LLVMValueRef *slots;                /* pinned local slots: allocas, or scratch regions for strings */
  uint32_t top;                       /* scratch bytes given out */
  uint32_t key_off, key_cap;          /* the shared key buffer */
  uint32_t val_off, val_cap;          /* the shared value buffer */
  TryStack *tries;                    /* by block index: the try stack at its entry */
  TryStack cur;                       /* while emitting a block */
  PhiEdge *edges;
  int nedges, cap_edges;
  LLVMMetadataRef sp;
  LLVMMetadataRef *scopes; /* by source file number */
  uint32_t nscopes;
  const IrBlock *cur_block;
  bool failed;
  LLVMValueRef fail_aux, fail_code; /* set around a fail_if whose message quotes run-time values */
} Fn;

static uint32_t round8(uint64_t n) { return (uint32_t)((n + 7) & ~(uint64_t)7); }

#define V(i) (F->vals[(i)->id])

/* ---- scratch space ------------------------------------------------------------------ */

static uint32_t scratch_alloc(Fn *F, uint32_t size) {
  uint32_t off = F->top;
  F->top += round8(size);
  return off;
}

static LLVMValueRef scratch_at(Fn *F, uint32_t off) { return bb_gep(F->g, F->scratch, off); }

/* The bytes a string value of v may hold, its NUL included (at most MAXSTRINGLEN). */
static uint32_t str_bound(Fn *F, const IrInst *v) {
  int64_t max = F->g->l->maxstringlen;
  int64_t b = v && v->str_bound > 0 && v->str_bound < max ? v->str_bound : max;
  return (uint32_t)b;
}

/* The region of str instruction i, made on first use. */
static LLVMValueRef str_region(Fn *F, const IrInst *i) {
  if (F->soff[i->id] == UINT32_MAX) {
    F->soff[i->id] = scratch_alloc(F, str_bound(F, i));
    F->obj[i->id] = str_bound(F, i);
  }
  return scratch_at(F, F->soff[i->id]);
}

/* Copies string src (an object of srcsize bytes) into dst of size bytes. */
static void str_copy(Fn *F, LLVMValueRef dst, uint32_t size, LLVMValueRef src) {
  bb_read_str(F->g, dst, size, src);
}

/* Zero-fills size bytes at p (keys must be zero-padded: the hash compares bytes). */
static void zero_fill(Fn *F, LLVMValueRef p, uint32_t size) {
  Gen *g = F->g;
  LLVMBuildMemSet(g->b, p, LLVMConstInt(g->i8, 0, false), LLVMConstInt(g->i64, size, false), 8);
}

/* ---- debug locations ------------------------------------------------------------------ */

static LLVMMetadataRef scope_for(Fn *F, uint32_t file) {
  Gen *g = F->g;
  if (!file || file == g->cu_file || !g->m->src) return F->sp;
  if (file >= F->nscopes) {
    uint32_t n = file + 8;
    LLVMMetadataRef *ns = realloc(F->scopes, sizeof *ns * n);
    if (!ns) return F->sp;
    memset(ns + F->nscopes, 0, sizeof *ns * (n - F->nscopes));
    F->scopes = ns;
    F->nscopes = n;
  }
  if (!F->scopes[file]) {
    const SrcFile *sf = srcset_get(g->m->src, file);
    const char *path = sf ? sf->path : "?";
    LLVMMetadataRef df = LLVMDIBuilderCreateFile(g->di, path, strlen(path), ".", 1);
    F->scopes[file] = LLVMDIBuilderCreateLexicalBlockFile(g->di, F->sp, df, 0);
  }
  return F->scopes[file];
}

static void set_loc(Fn *F, SrcLoc loc) {
  if (!loc.line) loc = F->f->loc;
  LLVMSetCurrentDebugLocation2(F->g->b, gen_di_loc(F->g, scope_for(F, loc.file), loc));
}

/* ---- edges and phis --------------------------------------------------------------------- */

static bool has_str_phi(const IrBlock *b) {
  for (const IrInst *i = b->first; i && i->op == IR_PHI; i = i->next)
    if (i->type == IR_STR) return true;
  return false;
}

static int phi_arg(const IrInst *phi, const IrBlock *from) {
  for (int k = 0; k < phi->nargs; k++)
    if (phi->phi_blocks[k] == from) return k;
  return -1;
}

static void record_edge(Fn *F, LLVMBasicBlockRef llvm, const IrBlock *from, const IrBlock *to) {
  if (F->nedges == F->cap_edges) {
    int nc = F->cap_edges ? F->cap_edges * 2 : 64;
    PhiEdge *ne = realloc(F->edges, sizeof *ne * (size_t)nc);
    if (!ne) {
      F->failed = true;
      return;
    }
    F->edges = ne;
    F->cap_edges = nc;
  }
  F->edges[F->nedges++] = (PhiEdge){llvm, from, to};
}

/* The LLVM block to branch to for the IR edge from -> to, from the current
 * insertion block.  String phis of `to` are filled on the way: through
 * temporaries when one of them reads another phi of the block. */
static LLVMBasicBlockRef edge_to(Fn *F, const IrBlock *from, const IrBlock *to) {
  Gen *g = F->g;
  if (!has_str_phi(to)) {
    record_edge(F, LLVMGetInsertBlock(g->b), from, to);
    return F->bbs[to->index];
  }
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef e = bb_block(g, "edge");
  LLVMPositionBuilderAtEnd(g->b, e);
  bool parallel = false;
  for (const IrInst *i = to->first; i && i->op == IR_PHI; i = i->next) {
    int k = phi_arg(i, from);
    if (i->type == IR_STR && k >= 0 && i->args[k]->op == IR_PHI && i->args[k]->block == to) parallel = true;
  }
  for (int pass = parallel ? 0 : 1; pass < 2; pass++)
    for (const IrInst *i = to->first; i && i->op == IR_PHI; i = i->next) {
      int k = phi_arg(i, from);
      if (i->type != IR_STR || k < 0) continue;
      uint32_t size = str_bound(F, i);
      LLVMValueRef dst = str_region(F, i);
      if (parallel && pass == 0) { /* into a temporary next to nothing else */
        uint32_t tmp = scratch_alloc(F, size);
        str_copy(F, scratch_at(F, tmp), size, V(i->args[k]));
        F->vals[i->id] = scratch_at(F, tmp); /* read back in pass 1 */
        continue;
      }
      str_copy(F, dst, size, parallel ? F->vals[i->id] : V(i->args[k]));
      F->vals[i->id] = dst;
    }
  record_edge(F, e, from, to);
  LLVMBuildBr(g->b, F->bbs[to->index]);
  LLVMPositionBuilderAtEnd(g->b, here);
  return e;
}

static void fill_phis(Fn *F) {
  for (int k = 0; k < F->nedges; k++) {
    const PhiEdge *e = &F->edges[k];
    for (const IrInst *i = e->to->first; i && i->op == IR_PHI; i = i->next) {
      if (i->type == IR_STR) continue;
      int a = phi_arg(i, e->from);
      LLVMValueRef v = a >= 0 && V(i->args[a]) ? V(i->args[a]) : LLVMGetUndef(LLVMTypeOf(V(i)));
      LLVMBasicBlockRef bb = e->llvm;
      LLVMAddIncoming(V(i), &v, &bb, 1);
    }
  }
}

/* ---- try stacks ---------------------------------------------------------------------- */

static void try_flow(Fn *F, const IrBlock *to, const TryStack *st, const IrBlock **work, int *nwork) {
  TryStack *t = &F->tries[to->index];
  if (t->set) return; /* the lowering gives each block one try nesting */
  *t = *st;
  t->set = true;
  work[(*nwork)++] = to;
}

static int compute_tries(Fn *F) {
  const IrFunc *f = F->f;
  F->tries = calloc((size_t)f->nblocks, sizeof *F->tries);
  const IrBlock **work = calloc((size_t)f->nblocks + 1, sizeof *work);
  if (!F->tries || !work) {
    free(work);
    return -ENOMEM;
  }
  int n = 0;
  TryStack empty = {.n = 0};
  try_flow(F, f->blocks[0], &empty, work, &n);
  while (n) {
    const IrBlock *b = work[--n];
    TryStack st = F->tries[b->index];
    for (const IrInst *i = b->first; i; i = i->next) {
      if (i->op == IR_TRY_PUSH) {
        try_flow(F, i->targets[0], &st, work, &n);
        if (st.n < MAX_TRY) {
          st.h[st.n] = i->targets[0];
          st.from[st.n] = b;
        }
        st.n++;
      } else if (i->op == IR_TRY_POP) {
        if (st.n > 0) st.n--;
      } else if (i->op == IR_BR) {
        try_flow(F, i->targets[0], &st, work, &n);
      } else if (i->op == IR_CBR) {
        try_flow(F, i->targets[0], &st, work, &n);
        try_flow(F, i->targets[1], &st, work, &n);
      }
    }
  }
  free(work);
  return 0;
}

/* ---- runtime errors and records --------------------------------------------------------- */

static const BlaySite *site_of(Fn *F, const IrInst *i) {
  int s = blay_site_of(F->g->l, i);
  return s >= 0 ? &F->g->l->sites[s] : NULL;
}

/* Sends a record of site s: header, then the values of args (NULL: none).
 * A full ring buffer counts a lost record. */
static void send_record(Fn *F, const BlaySite *s, uint32_t code, LLVMValueRef *args, const IrInst *const *iargs) {
  Gen *g = F->g;
  int site = (int)(s - g->l->sites);
  LLVMValueRef rec = bb_ringbuf_reserve(g, s->size);
  LLVMBasicBlockRef ok = bb_block(g, "rec"), lost = bb_block(g, "lost"), done = bb_block(g, "sent");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, rec, ""), lost, ok);
  LLVMPositionBuilderAtEnd(g->b, lost);
  bb_atomic_add(g, bb_gep(g, F->ctl, offsetof(BpfCtl, lost)), bb_c64(g, 1));
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, ok);
  bb_store32(g, rec, offsetof(BlayHeader, site), (uint32_t)site);
  if (F->fail_code) {
    LLVMValueRef st = LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, F->fail_code, g->i32, ""),
                                     bb_gep(g, rec, offsetof(BlayHeader, code)));
    LLVMSetAlignment(st, 4);
  } else {
    bb_store32(g, rec, offsetof(BlayHeader, code), code);
  }
  bb_store64(g, rec, offsetof(BlayHeader, aux), F->fail_aux ? F->fail_aux : bb_c64(g, 0));
  for (int k = 0; k < s->nargs; k++) {
    const BlayArg *a = &s->args[k];
    if (a->kind == RT_ARG_LONG)
      bb_store64(g, rec, a->off, args[k]);
    else
      str_copy(F, bb_gep(g, rec, a->off), iargs ? str_bound(F, iargs[k]) : a->size, args[k]);
  }
  bb_ringbuf_submit(g, rec);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
}

/* Raises inst's runtime error: to the innermost try handler when catchable,
 * else an error record and the end of this probe hit.  msg: the error()'s
 * string, or NULL for the op's fixed message (code selects it). */
static void raise_error(Fn *F, const IrInst *inst, uint32_t code, LLVMValueRef msg, bool catchable) {
  Gen *g = F->g;
  const BlaySite *s = site_of(F, inst);
  if (catchable && F->cur.n > 0 && F->cur.n <= MAX_TRY) {
    LLVMValueRef text = msg;
    if (!text) {
      char buf[200];
      const char *t = blay_fail_message(g->l, (int)(s - g->l->sites), code, 0, buf, sizeof buf);
      text = gen_rodata_str(g, t, strlen(t) + 1);
    }
    LLVMBuildStore(g->b, text, F->errmsg);
    int top = F->cur.n - 1;
    LLVMBuildBr(g->b, edge_to(F, F->cur.from[top], F->cur.h[top]));
    return;
  }
  if (s) {
    LLVMValueRef args[1] = {msg};
    const IrInst *iargs[1] = {inst->nargs ? inst->args[0] : NULL};
    send_record(F, s, code, msg ? args : NULL, msg ? iargs : NULL);
  }
  /* Past MAXERRORS the session ends: stop every handler now, as stap's
   * error state does, and let the host (which counts the records) wind up. */
  LLVMValueRef nerr = LLVMBuildAtomicRMW(g->b, LLVMAtomicRMWBinOpAdd, bb_gep(g, F->ctl, offsetof(BpfCtl, errors)),
                                         bb_c64(g, 1), LLVMAtomicOrderingMonotonic, false);
  LLVMBasicBlockRef stop = bb_block(g, "err.stop"), out = bb_block(g, "err.out");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGE, nerr, bb_c64(g, g->o->maxerrors), ""), stop, out);
  LLVMPositionBuilderAtEnd(g->b, stop);
  bb_store64(g, F->ctl, offsetof(BpfCtl, state), bb_c64(g, BLAY_STOPPING));
  LLVMBuildBr(g->b, out);
  LLVMPositionBuilderAtEnd(g->b, out);
  LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, false));
}

/* if (cond) raise; continues in a new block. */
static void fail_if(Fn *F, LLVMValueRef cond, const IrInst *inst, uint32_t code, bool catchable) {
  Gen *g = F->g;
  LLVMBasicBlockRef bad = bb_block(g, "fail"), good = bb_block(g, "ok");
  LLVMBuildCondBr(g->b, cond, bad, good);
  LLVMPositionBuilderAtEnd(g->b, bad);
  raise_error(F, inst, code, NULL, catchable);
  LLVMPositionBuilderAtEnd(g->b, good);
}

static void unsupported(Fn *F, const IrInst *i, const char *what) {
  gen_error(F->g, i->loc, "%s cannot run in a kernel probe on the bpf backend yet", what);
  F->failed = true;
}

/* ---- strings -------------------------------------------------------------------------------- */

/* strcmp(a, b) as -1/0/1, over at most n bytes (both are NUL-terminated within their buffers). */
static LLVMValueRef str_compare(Fn *F, LLVMValueRef a, LLVMValueRef b, uint32_t n) {
  Gen *g = F->g;
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b);
  LLVMBasicBlockRef loop = bb_block(g, "scmp"), diff = bb_block(g, "scmp.diff"), same = bb_block(g, "scmp.same"),
                    next = bb_block(g, "scmp.next"), done = bb_block(g, "scmp.done");
  LLVMBuildBr(g->b, loop);
  LLVMPositionBuilderAtEnd(g->b, loop);
  LLVMValueRef idx = LLVMBuildPhi(g->b, g->i64, "i");
  LLVMValueRef ca = LLVMBuildLoad2(g->b, g->i8, bb_gep_var(g, a, idx), "");
  LLVMValueRef cb = LLVMBuildLoad2(g->b, g->i8, bb_gep_var(g, b, idx), "");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntNE, ca, cb, ""), diff, same);
  LLVMPositionBuilderAtEnd(g->b, diff);
  LLVMValueRef r = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntULT, ca, cb, ""), bb_c64(g, -1), bb_c64(g, 1), "");
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, same);
  LLVMValueRef i1 = LLVMBuildAdd(g->b, idx, bb_c64(g, 1), "");
  LLVMValueRef more = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntNE, ca, LLVMConstInt(g->i8, 0, false), ""),
                                   LLVMBuildICmp(g->b, LLVMIntULT, i1, bb_c64(g, n), ""), "");
  LLVMBuildCondBr(g->b, more, next, done);
  LLVMPositionBuilderAtEnd(g->b, next);
  LLVMBuildBr(g->b, loop);
  LLVMValueRef in_v[2] = {bb_c64(g, 0), i1};
  LLVMBasicBlockRef in_b[2] = {pre, next};
  LLVMAddIncoming(idx, in_v, in_b, 2);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef res = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef rv[2] = {r, bb_c64(g, 0)};
  LLVMBasicBlockRef rb[2] = {diff, same};
  LLVMAddIncoming(res, rv, rb, 2);
  return res;
}

static uint32_t obj_size(Fn *F, const IrInst *v) {
  uint32_t n = F->obj[v->id];
  return n ? n : str_bound(F, v);
}

static LLVMValueRef emit_concat(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  uint32_t size = str_bound(F, i);
  LLVMValueRef dst = str_region(F, i);
  LLVMValueRef n = bb_read_str(g, dst, size, V(i->args[0])); /* bytes with the NUL, or < 0 */
  LLVMValueRef len = LLVMBuildSub(g->b, n, bb_c64(g, 1), "");
  /* Clamp to [0, size-1] in a way the verifier follows: branches, not selects. */
  LLVMBasicBlockRef lo = bb_block(g, "cat.lo"), hi = bb_block(g, "cat.hi"), go = bb_block(g, "cat.go");
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, len, bb_c64(g, 0), ""), go, lo);
  LLVMPositionBuilderAtEnd(g->b, lo);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, len, bb_c64(g, size - 1), ""), hi, go);
  LLVMPositionBuilderAtEnd(g->b, hi);
  LLVMBuildBr(g->b, go);
  LLVMPositionBuilderAtEnd(g->b, go);
  LLVMValueRef off = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef ov[3] = {bb_c64(g, 0), len, bb_c64(g, size - 1)};
  LLVMBasicBlockRef ob[3] = {here, lo, hi};
  LLVMAddIncoming(off, ov, ob, 3);
  LLVMValueRef room = LLVMBuildSub(g->b, bb_c64(g, size), off, "");
  LLVMValueRef a[3] = {bb_gep_var(g, dst, off), LLVMBuildTrunc(g->b, room, g->i32, ""), V(i->args[1])};
  bb_helper(g, BPF_FUNC_probe_read_kernel_str, g->i64, a, 3);
  return dst;
}

/* ---- maps ---------------------------------------------------------------------------------------- */

/* Builds the key of g[args...] in the shared key buffer; returns it. */
static LLVMValueRef build_key(Fn *F, const IrGlobal *ig, const IrInst *i, int obj) {
  Gen *g = F->g;
  const RtMapLayout *ml = &g->l->globals[ig->id].mlay[obj];
  if (ml->key_size > F->key_cap) {
    F->key_off = scratch_alloc(F, ml->key_size);
    F->key_cap = ml->key_size;
  }
  LLVMValueRef key = scratch_at(F, F->key_off);
  bool any_str = false;
  for (int k = 0; k < ml->nkeys; k++) any_str |= ml->key_type[k] == RT_STR;
  if (any_str) zero_fill(F, key, ml->key_size);
  for (int k = 0; k < ml->nkeys; k++) {
    if (ml->key_type[k] == RT_LONG)
      bb_store64(g, key, ml->key_off[k], V(i->args[k]));
    else
      str_copy(F, bb_gep(g, key, ml->key_off[k]), ml->key_len[k], V(i->args[k]));
  }
  return key;
}

static LLVMValueRef val_buf(Fn *F, uint32_t size) {
  if (size > F->val_cap) {
    F->val_off = scratch_alloc(F, size);
    F->val_cap = size;
  }
  return scratch_at(F, F->val_off);
}

static LLVMValueRef emit_map_get(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  LLVMValueRef key = build_key(F, ig, i, 0);
  LLVMValueRef p = bb_map_lookup(g, g->gmap[ig->id], key);
  LLVMValueRef dst = NULL;
  if (i->type == IR_STR) { /* absent: "" */
    dst = str_region(F, i);
    LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), dst);
  }
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b), hit = bb_block(g, "get.hit"), done = bb_block(g, "get.done");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, p, ""), done, hit);
  LLVMPositionBuilderAtEnd(g->b, hit);
  if (i->type == IR_STR) {
    str_copy(F, dst, str_bound(F, i), p);
    LLVMBuildBr(g->b, done);
    LLVMPositionBuilderAtEnd(g->b, done);
    return dst;
  }
  LLVMValueRef v = bb_load64(g, p, 0);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef phi = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef pv[2] = {bb_c64(g, 0), v};
  LLVMBasicBlockRef pb[2] = {here, hit};
  LLVMAddIncoming(phi, pv, pb, 2);
  return phi;
}

static void emit_map_set(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  const RtMapLayout *ml = &g->l->globals[ig->id].mlay[0];
  LLVMValueRef key = build_key(F, ig, i, 0);
  LLVMValueRef val = val_buf(F, ml->val_size);
  const IrInst *v = i->args[i->nargs - 1];
  if (v->type == IR_STR)
    str_copy(F, val, ml->val_size, V(v));
  else
    bb_store64(g, val, 0, V(v));
  LLVMValueRef r = bb_map_update(g, g->gmap[ig->id], key, val, BPF_ANY);
  if (!ig->wrap) fail_if(F, LLVMBuildICmp(g->b, LLVMIntSLT, r, bb_c64(g, 0), ""), i, 0, true);
}

/* ---- statistics -------------------------------------------------------------------------------- */

/* rt_stat_add on the cell at c (this CPU's), as runtime/stat.c does it. */
static void stat_add_cell(Fn *F, LLVMValueRef c, const RtStatDesc *d, LLVMValueRef v) {
  Gen *g = F->g;
  enum { COUNT = 0, SUM = 8, MIN = 16, MAX = 24, AVG = 32, M2 = 40, VAR = 48, HIST = 56 };
  LLVMValueRef vs = d->shift ? LLVMBuildShl(g->b, v, bb_c64(g, d->shift), "") : v;
  LLVMValueRef count = bb_load64(g, c, COUNT);
  LLVMBasicBlockRef first = bb_block(g, "st.first"), more = bb_block(g, "st.more"), hist = bb_block(g, "st.hist");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, count, bb_c64(g, 0), ""), first, more);
  LLVMPositionBuilderAtEnd(g->b, first);
  bb_store64(g, c, COUNT, bb_c64(g, 1));
  bb_store64(g, c, SUM, v);
  bb_store64(g, c, MIN, v);
  bb_store64(g, c, MAX, v);
  bb_store64(g, c, AVG, vs);
  bb_store64(g, c, M2, bb_c64(g, 0));
  bb_store64(g, c, VAR, bb_c64(g, 0));
  LLVMBuildBr(g->b, hist);
  LLVMPositionBuilderAtEnd(g->b, more);
  LLVMValueRef n = LLVMBuildAdd(g->b, count, bb_c64(g, 1), "");
  bb_store64(g, c, COUNT, n);
  bb_store64(g, c, SUM, LLVMBuildAdd(g->b, bb_load64(g, c, SUM), v, ""));
  LLVMValueRef mx = bb_load64(g, c, MAX), mn = bb_load64(g, c, MIN);
  bb_store64(g, c, MAX, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, v, mx, ""), v, mx, ""));
  bb_store64(g, c, MIN, LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, v, mn, ""), v, mn, ""));
  LLVMValueRef avg = bb_load64(g, c, AVG);
  LLVMValueRef delta = LLVMBuildSub(g->b, vs, avg, "");
  LLVMValueRef avg2 = LLVMBuildAdd(g->b, avg, bb_sdiv(g, delta, n), "");
  bb_store64(g, c, AVG, avg2);
  LLVMValueRef m2 = LLVMBuildAdd(g->b, bb_load64(g, c, M2), LLVMBuildMul(g->b, delta, LLVMBuildSub(g->b, vs, avg2, ""), ""), "");
  bb_store64(g, c, M2, m2);
  bb_store64(g, c, VAR, bb_sdiv(g, m2, count)); /* count = n - 1 >= 1 */
  LLVMBuildBr(g->b, hist);
  LLVMPositionBuilderAtEnd(g->b, hist);
  if (d->hist == RT_HIST_NONE) return;
  LLVMValueRef bucket;
  if (d->hist == RT_HIST_LOG) {
    /* 64 for 0; 64 +- bits of |v| */
    LLVMValueRef neg = LLVMBuildICmp(g->b, LLVMIntSLT, v, bb_c64(g, 0), "");
    LLVMValueRef mag = LLVMBuildSelect(g->b, neg, LLVMBuildNeg(g->b, v, ""), v, "");
    LLVMTypeRef cty = LLVMFunctionType(g->i64, (LLVMTypeRef[]){g->i64, g->i1}, 2, false);
    LLVMValueRef ctlz = LLVMGetNamedFunction(g->mod, "llvm.ctlz.i64");
    if (!ctlz) ctlz = LLVMAddFunction(g->mod, "llvm.ctlz.i64", cty);
    LLVMValueRef cargs[2] = {mag, LLVMConstInt(g->i1, 0, false)};
    LLVMValueRef bits = LLVMBuildSub(g->b, bb_c64(g, 64), LLVMBuildCall2(g->b, cty, ctlz, cargs, 2, ""), "");
    bucket = LLVMBuildSelect(g->b, neg, LLVMBuildSub(g->b, bb_c64(g, 64), bits, ""),
                             LLVMBuildAdd(g->b, bb_c64(g, 64), bits, ""), "");
  } else {
    LLVMValueRef off = LLVMBuildSub(g->b, v, bb_c64(g, d->start), "");
    LLVMValueRef q = LLVMBuildAdd(g->b, LLVMBuildUDiv(g->b, off, bb_c64(g, d->interval), ""), bb_c64(g, 1), "");
    bucket = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, off, bb_c64(g, 0), ""), bb_c64(g, 0), q, "");
  }
  /* bucket in [0, nbuckets-1], by a branch the verifier follows */
  LLVMBasicBlockRef clamp = bb_block(g, "st.clamp"), inc = bb_block(g, "st.inc");
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntUGT, bucket, bb_c64(g, d->nbuckets - 1), ""), clamp, inc);
  LLVMPositionBuilderAtEnd(g->b, clamp);
  LLVMBuildBr(g->b, inc);
  LLVMPositionBuilderAtEnd(g->b, inc);
  LLVMValueRef b = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef bv[2] = {bucket, bb_c64(g, d->nbuckets - 1)};
  LLVMBasicBlockRef bbk[2] = {here, clamp};
  LLVMAddIncoming(b, bv, bbk, 2);
  LLVMValueRef slot = bb_gep_var(g, c, LLVMBuildAdd(g->b, LLVMBuildShl(g->b, b, bb_c64(g, 3), ""), bb_c64(g, HIST), ""));
  LLVMValueRef old = LLVMBuildLoad2(g->b, g->i64, slot, "");
  LLVMSetAlignment(old, 8);
  LLVMSetAlignment(LLVMBuildStore(g->b, LLVMBuildAdd(g->b, old, bb_c64(g, 1), ""), slot), 8);
}

static void emit_stat_add(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrGlobal *ig = i->g;
  const BlayGlobal *bg = &g->l->globals[ig->id];
  LLVMValueRef v = V(i->args[i->nargs - 1]);
  for (int o = 0; o < bg->nobj; o++) {
    int map = g->gmap[ig->id] + o;
    LLVMValueRef cell;
    if (ig->kind == IR_GLOBAL_STAT) {
      cell = bb_map_lookup(g, map, F->zero);
      LLVMBasicBlockRef ok = bb_block(g, "st.ok");
      LLVMBasicBlockRef none = bb_block(g, "st.none");
      LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, cell, ""), none, ok);
      LLVMPositionBuilderAtEnd(g->b, none);
      LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, false));
      LLVMPositionBuilderAtEnd(g->b, ok);
    } else {
      LLVMValueRef key = build_key(F, ig, i, o);
      cell = bb_map_lookup(g, map, key);
      LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b), mk = bb_block(g, "st.new"), ok = bb_block(g, "st.ok");
      LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, cell, ""), mk, ok);
      LLVMPositionBuilderAtEnd(g->b, mk);
      uint32_t size = (uint32_t)rt_stat_cell_size(&bg->desc[o]);
      LLVMValueRef z = val_buf(F, size);
      zero_fill(F, z, size);
      bb_map_update(g, map, key, z, BPF_NOEXIST);
      LLVMValueRef c2 = bb_map_lookup(g, map, key);
      LLVMBasicBlockRef mk_end = LLVMGetInsertBlock(g->b);
      fail_if(F, LLVMBuildIsNull(g->b, c2, ""), i, 0, true);
      LLVMBasicBlockRef after = LLVMGetInsertBlock(g->b);
      LLVMBuildBr(g->b, ok);
      (void)mk_end;
      LLVMPositionBuilderAtEnd(g->b, ok);
      LLVMValueRef phi = LLVMBuildPhi(g->b, g->ptr, "");
      LLVMValueRef pv[2] = {cell, c2};
      LLVMBasicBlockRef pb[2] = {here, after};
      LLVMAddIncoming(phi, pv, pb, 2);
      cell = phi;
    }
    stat_add_cell(F, cell, &bg->desc[o], v);
  }
}

/* ---- printf and builtins ------------------------------------------------------------------------ */

static void emit_printf(Fn *F, const IrInst *i) {
  const BlaySite *s = site_of(F, i);
  const IrFormat *fmt = i->aux;
  RtFormat *rf = NULL;
  char err[128];
  if (rt_format_parse(fmt->text, fmt->len, &rf, err, sizeof err) != 0) {
    gen_error(F->g, i->loc, "%s", err);
    F->failed = true;
    return;
  }
  for (int k = 0; k < rt_format_nconv(rf); k++) {
    char c = rt_format_conv(rf, k)->conv;
    if (c == 'm' || c == 'M') {
      unsupported(F, i, "printf's %m and %M (memory dumps)");
      rt_format_free(rf);
      return;
    }
  }
  rt_format_free(rf);
  LLVMValueRef args[64];
  if (i->nargs > 64) {
    unsupported(F, i, "a printf of more than 64 values");
    return;
  }
  for (int k = 0; k < i->nargs; k++) args[k] = V(i->args[k]);
  send_record(F, s, 0, args, (const IrInst *const *)i->args);
}

/* A builtin with a BPF implementation: returns its value (NULL for void),
 * or sets *ok false when there is none. */
static LLVMValueRef emit_builtin(Fn *F, const IrInst *i, bool *ok) {
  Gen *g = F->g;
  const char *name = ((const IrBuiltin *)i->aux)->name;
  *ok = true;
  if (!strcmp(name, "exit")) {
    bb_store64(g, F->ctl, offsetof(BpfCtl, state), bb_c64(g, BLAY_STOPPING));
    send_record(F, site_of(F, i), 0, NULL, NULL);
    return NULL;
  }
  if (!strcmp(name, "warn") || !strcmp(name, "log")) {
    LLVMValueRef a[1] = {V(i->args[0])};
    send_record(F, site_of(F, i), 0, a, (const IrInst *const *)i->args);
    return NULL;
  }
  if (!strcmp(name, "error")) {
    raise_error(F, i, 0, V(i->args[0]), true);
    LLVMPositionBuilderAtEnd(g->b, bb_block(g, "after.error")); /* unreachable rest of the block */
    return NULL;
  }
  if (!strcmp(name, "pid") || !strcmp(name, "tid")) {
    LLVMValueRef v = bb_helper(g, BPF_FUNC_get_current_pid_tgid, g->i64, NULL, 0);
    return !strcmp(name, "pid") ? LLVMBuildLShr(g->b, v, bb_c64(g, 32), "")
                                : LLVMBuildAnd(g->b, v, bb_c64(g, 0xffffffff), "");
  }
  if (!strcmp(name, "uid") || !strcmp(name, "gid")) {
    LLVMValueRef v = bb_helper(g, BPF_FUNC_get_current_uid_gid, g->i64, NULL, 0);
    return !strcmp(name, "gid") ? LLVMBuildLShr(g->b, v, bb_c64(g, 32), "")
                                : LLVMBuildAnd(g->b, v, bb_c64(g, 0xffffffff), "");
  }
  if (!strcmp(name, "cpu")) {
    LLVMValueRef v = bb_helper(g, BPF_FUNC_get_smp_processor_id, g->i32, NULL, 0);
    return LLVMBuildZExt(g->b, v, g->i64, "");
  }
  if (!strcmp(name, "execname")) {
    LLVMValueRef dst = str_region(F, i);
    uint32_t n = str_bound(F, i) < 16 ? str_bound(F, i) : 16;
    LLVMValueRef a[2] = {dst, LLVMConstInt(g->i32, n, false)};
    bb_helper(g, BPF_FUNC_get_current_comm, g->i64, a, 2);
    return dst;
  }
  if (!strcmp(name, "ktime_get_ns") || !strcmp(name, "local_clock_ns") || !strcmp(name, "cpu_clock_ns"))
    return bb_helper(g, BPF_FUNC_ktime_get_ns, g->i64, NULL, 0);
  if (!strcmp(name, "gettimeofday_ns")) {
    LLVMValueRef mono = bb_helper(g, BPF_FUNC_ktime_get_boot_ns, g->i64, NULL, 0);
    return LLVMBuildAdd(g->b, mono, bb_load64(g, F->ctl, offsetof(BpfCtl, wall_offset)), "");
  }
  if (!strcmp(name, "jiffies")) return bb_helper(g, BPF_FUNC_jiffies64, g->i64, NULL, 0);
  if (!strcmp(name, "target")) return bb_load64(g, F->ctl, offsetof(BpfCtl, target)); /* written before RUNNING */
  if (!strcmp(name, "randint")) {
    LLVMValueRef r = LLVMBuildZExt(g->b, bb_helper(g, BPF_FUNC_get_prandom_u32, g->i32, NULL, 0), g->i64, "");
    LLVMValueRef n = V(i->args[0]);
    fail_if(F, LLVMBuildICmp(g->b, LLVMIntSLE, n, bb_c64(g, 0), ""), i, 0, true);
    return LLVMBuildURem(g->b, r, n, "");
  }
  /* pp(), backtrace(), print_backtrace() (gen-ctx.c) */
  {
    LLVMValueRef out = NULL, d = i->type == IR_STR ? str_region(F, i) : NULL;
    if (gen_ctx_builtin(g, F->p, F->ctxp, F->ctl, i, d, d ? str_bound(F, i) : 0, &out)) return out;
  }
  /* kernel_string(), user_long() ...: reads of memory (gen-ctx.c) */
  LLVMValueRef margs[2] = {i->nargs > 0 ? V(i->args[0]) : NULL, i->nargs > 1 ? V(i->args[1]) : NULL};
  LLVMValueRef dst = i->type == IR_STR ? str_region(F, i) : NULL;
  LLVMValueRef fault = NULL, code = NULL, mv = NULL;
  if (gen_mem_builtin(g, name, margs, i->nargs, dst, dst ? str_bound(F, i) : 0, &mv, &fault, &code)) {
    if (fault) {
      F->fail_aux = margs[0];
      F->fail_code = code;
      fail_if(F, fault, i, 0, true);
      F->fail_aux = F->fail_code = NULL;
    }
    return mv;
  }
  *ok = false;
  return NULL;
}

/* ---- instructions -------------------------------------------------------------------------------- */

/* Whether f calls itself, directly or through others (seen: by function, scratch). */
static bool reaches(const IrModule *m, const IrFunc *from, const IrFunc *f, bool *seen) {
  for (int b = 0; b < from->nblocks; b++)
    for (const IrInst *i = from->blocks[b]->first; i; i = i->next) {
      if (i->op != IR_CALL) continue;
      if (i->callee == f) return true;
      for (int k = 0; k < m->nfuncs; k++)
        if (m->funcs[k] == i->callee && !seen[k]) {
          seen[k] = true;
          if (reaches(m, i->callee, f, seen)) return true;
        }
    }
  return false;
}

/* A call left after kernel inlining (ir_pass_inline_kernel): recursion,
 * which BPF cannot do (no calls with a stack per activation), or a handler
 * too big to inline into. */
static void refuse_call(Fn *F, const IrInst *i) {
  const IrModule *m = F->g->m;
  bool *seen = calloc((size_t)m->nfuncs + 1, sizeof *seen);
  bool rec = seen && reaches(m, i->callee, i->callee, seen);
  free(seen);
  if (rec)
    gen_error(F->g, i->loc, "recursive function '%s' cannot run in a kernel probe on the bpf backend (BPF has no "
              "recursion); call it from a begin or end probe", i->callee->name);
  else
    gen_error(F->g, i->loc, "function '%s' is too big to inline into a kernel probe on the bpf backend",
              i->callee->name);
  F->failed = true;
}

static LLVMTypeRef llvm_type(Fn *F, IrType t) {
  Gen *g = F->g;
  return t == IR_BOOL ? g->i1 : t == IR_STR ? g->ptr : g->i64;
}

static LLVMValueRef binop(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  LLVMValueRef a = V(i->args[0]), b = i->nargs > 1 ? V(i->args[1]) : NULL;
  LLVMValueRef m63 = NULL;
  switch (i->op) {
  case IR_ADD: return LLVMBuildAdd(g->b, a, b, "");
  case IR_SUB: return LLVMBuildSub(g->b, a, b, "");
  case IR_MUL: return LLVMBuildMul(g->b, a, b, "");
  case IR_SHL: m63 = LLVMBuildAnd(g->b, b, bb_c64(g, 63), ""); return LLVMBuildShl(g->b, a, m63, "");
  case IR_SHR: m63 = LLVMBuildAnd(g->b, b, bb_c64(g, 63), ""); return LLVMBuildAShr(g->b, a, m63, "");
  case IR_USHR: m63 = LLVMBuildAnd(g->b, b, bb_c64(g, 63), ""); return LLVMBuildLShr(g->b, a, m63, "");
  case IR_AND: return LLVMBuildAnd(g->b, a, b, "");
  case IR_OR: return LLVMBuildOr(g->b, a, b, "");
  case IR_XOR: return LLVMBuildXor(g->b, a, b, "");
  case IR_NEG: return LLVMBuildNeg(g->b, a, "");
  case IR_BNOT: return LLVMBuildNot(g->b, a, "");
  case IR_NOT: return LLVMBuildNot(g->b, a, "");
  case IR_ZEXT: return LLVMBuildZExt(g->b, a, g->i64, "");
  case IR_TOBOOL: return LLVMBuildICmp(g->b, LLVMIntNE, a, bb_c64(g, 0), "");
  case IR_EQ: return LLVMBuildICmp(g->b, LLVMIntEQ, a, b, "");
  case IR_NE: return LLVMBuildICmp(g->b, LLVMIntNE, a, b, "");
  case IR_LT: return LLVMBuildICmp(g->b, LLVMIntSLT, a, b, "");
  case IR_LE: return LLVMBuildICmp(g->b, LLVMIntSLE, a, b, "");
  case IR_GT: return LLVMBuildICmp(g->b, LLVMIntSGT, a, b, "");
  case IR_GE: return LLVMBuildICmp(g->b, LLVMIntSGE, a, b, "");
  default: return NULL;
  }
}

static LLVMValueRef scmp(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  uint32_t n = obj_size(F, i->args[0]);
  uint32_t nb = obj_size(F, i->args[1]);
  LLVMValueRef r = str_compare(F, V(i->args[0]), V(i->args[1]), n < nb ? n : nb);
  LLVMIntPredicate p = i->op == IR_SEQ   ? LLVMIntEQ
                       : i->op == IR_SNE ? LLVMIntNE
                       : i->op == IR_SLT ? LLVMIntSLT
                       : i->op == IR_SLE ? LLVMIntSLE
                       : i->op == IR_SGT ? LLVMIntSGT
                                         : LLVMIntSGE;
  return LLVMBuildICmp(g->b, p, r, bb_c64(g, 0), "");
}

static void emit_inst(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  set_loc(F, i->loc);
  LLVMValueRef v = NULL;
  switch (i->op) {
  case IR_CONST_I64: v = bb_c64(g, i->imm); break;
  case IR_CONST_BOOL: v = LLVMConstInt(g->i1, i->imm != 0, false); break;
  case IR_CONST_STR: {
    size_t max = (size_t)g->l->maxstringlen - 1, len = i->len < max ? i->len : max;
    char *tmp = malloc(len + 1);
    if (!tmp) {
      F->failed = true;
      return;
    }
    memcpy(tmp, i->str, len);
    tmp[len] = 0;
    v = gen_rodata_str(g, tmp, len + 1);
    free(tmp);
    F->obj[i->id] = (uint32_t)len + 1;
    break;
  }
  case IR_COPY: v = V(i->args[0]); F->obj[i->id] = F->obj[i->args[0]->id]; break;
  case IR_DIV:
  case IR_MOD: {
    LLVMValueRef a = V(i->args[0]), b = V(i->args[1]);
    fail_if(F, LLVMBuildICmp(g->b, LLVMIntEQ, b, bb_c64(g, 0), ""), i, 0, true);
    v = i->op == IR_DIV ? bb_sdiv(g, a, b) : bb_srem(g, a, b);
    break;
  }
  case IR_SEQ: case IR_SNE: case IR_SLT: case IR_SLE: case IR_SGT: case IR_SGE: v = scmp(F, i); break;
  case IR_CONCAT: v = emit_concat(F, i); break;
  case IR_PHI:
    if (i->type == IR_STR)
      v = str_region(F, i);
    else
      v = LLVMBuildPhi(g->b, llvm_type(F, i->type), "");
    break;
  case IR_LOCAL_GET: {
    LLVMValueRef s = F->slots[i->imm];
    if (i->type == IR_STR) {
      v = str_region(F, i);
      str_copy(F, v, str_bound(F, i), s);
    } else {
      v = LLVMBuildLoad2(g->b, llvm_type(F, i->type), s, "");
    }
    break;
  }
  case IR_LOCAL_SET: {
    LLVMValueRef s = F->slots[i->imm];
    if (i->args[0]->type == IR_STR)
      str_copy(F, s, (uint32_t)g->l->maxstringlen, V(i->args[0]));
    else
      LLVMBuildStore(g->b, V(i->args[0]), s);
    break;
  }
  case IR_GLOBAL_GET: {
    uint32_t off = g->l->globals[i->g->id].off;
    if (i->type == IR_STR) {
      v = str_region(F, i);
      str_copy(F, v, str_bound(F, i), bb_gep(g, F->glob, off));
    } else {
      v = bb_load64(g, F->glob, off);
    }
    break;
  }
  case IR_GLOBAL_SET: {
    uint32_t off = g->l->globals[i->g->id].off;
    if (i->args[0]->type == IR_STR)
      str_copy(F, bb_gep(g, F->glob, off), (uint32_t)g->l->maxstringlen, V(i->args[0]));
    else
      bb_store64(g, F->glob, off, V(i->args[0]));
    break;
  }
  case IR_MAP_GET: v = emit_map_get(F, i); break;
  case IR_MAP_SET: emit_map_set(F, i); break;
  case IR_MAP_EXISTS: {
    LLVMValueRef key = build_key(F, i->g, i, 0);
    v = LLVMBuildIsNotNull(g->b, bb_map_lookup(g, g->gmap[i->g->id], key), "");
    break;
  }
  case IR_MAP_DELETE:
    if (i->imm) {
      unsupported(F, i, "deleting a slice of an array");
      break;
    }
    for (int o = 0; o < g->l->globals[i->g->id].nobj; o++)
      bb_map_delete(g, g->gmap[i->g->id] + o, build_key(F, i->g, i, o));
    break;
  case IR_MAP_CLEAR:
    if (i->g->kind == IR_GLOBAL_SCALAR) {
      uint32_t off = g->l->globals[i->g->id].off;
      if (i->g->value == IR_STR)
        LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), bb_gep(g, F->glob, off));
      else
        bb_store64(g, F->glob, off, bb_c64(g, 0));
    } else {
      unsupported(F, i, "deleting a whole array or statistic");
    }
    break;
  case IR_STAT_ADD: emit_stat_add(F, i); break;
  case IR_STAT_GET: unsupported(F, i, "reading a statistic (@count, @sum, ...)"); break;
  case IR_HIST_STR: unsupported(F, i, "printing a histogram"); break;
  case IR_HIST_BUCKET: unsupported(F, i, "reading a histogram bucket"); break;
  case IR_ITER_BEGIN:
    if (((const IrSort *)i->aux)->col != 0)
      gen_error(g, i->loc, "a sorted foreach cannot run in a kernel probe on the bpf backend; sort in an end probe");
    else
      unsupported(F, i, "foreach");
    F->failed = true;
    break;
  case IR_ITER_NEXT: case IR_ITER_KEY: case IR_ITER_VALUE: case IR_ITER_END: break; /* refused at iter.begin */
  case IR_CALL: refuse_call(F, i); break;
  case IR_BUILTIN: {
    bool ok;
    v = emit_builtin(F, i, &ok);
    if (!ok) {
      char what[160];
      snprintf(what, sizeof what, "function '%s'", ((const IrBuiltin *)i->aux)->name);
      unsupported(F, i, what);
    }
    break;
  }
  case IR_PRINTF: emit_printf(F, i); break;
  case IR_SPRINTF: unsupported(F, i, "sprintf"); break;
  case IR_REGEX: unsupported(F, i, "regular expression matching"); break;
  case IR_CTX:
    v = gen_ctx_read(g, F->p, F->ctxp, i);
    if (!v) F->failed = true;
    break;
  case IR_ACTIONS: {
    LLVMValueRef left = LLVMBuildSub(g->b, LLVMBuildLoad2(g->b, g->i64, F->actions, ""), bb_c64(g, i->imm), "");
    LLVMBuildStore(g->b, left, F->actions);
    fail_if(F, LLVMBuildICmp(g->b, LLVMIntSLT, left, bb_c64(g, 0), ""), i, 0, false);
    break;
  }
  case IR_TRY_PUSH:
    if (F->cur.n < MAX_TRY) {
      F->cur.h[F->cur.n] = i->targets[0];
      F->cur.from[F->cur.n] = F->cur_block;
    }
    F->cur.n++;
    break;
  case IR_TRY_POP:
    if (F->cur.n > 0) F->cur.n--;
    break;
  case IR_CATCH_MSG: {
    LLVMValueRef src = LLVMBuildLoad2(g->b, g->ptr, F->errmsg, "");
    v = str_region(F, i);
    str_copy(F, v, str_bound(F, i), src);
    break;
  }
  case IR_ERROR:
    raise_error(F, i, 0, V(i->args[0]), true);
    LLVMPositionBuilderAtEnd(g->b, bb_block(g, "after.error"));
    break;
  case IR_BR: LLVMBuildBr(g->b, edge_to(F, F->cur_block, i->targets[0])); break;
  case IR_CBR: {
    LLVMValueRef c = V(i->args[0]);
    LLVMBasicBlockRef t = edge_to(F, F->cur_block, i->targets[0]);
    LLVMBasicBlockRef e = edge_to(F, F->cur_block, i->targets[1]);
    LLVMBuildCondBr(g->b, c, t, e);
    break;
  }
  case IR_RET:
  case IR_NEXT:
  case IR_UNREACHABLE: LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, false)); break;
  case IR_PARAM: unsupported(F, i, "a function parameter"); break;
  default: {
    v = binop(F, i);
    if (!v) unsupported(F, i, ir_op_name(i->op));
    break;
  }
  }
  if (i->id >= 0) F->vals[i->id] = v;
}

/* ---- the program -------------------------------------------------------------------------------- */

static LLVMValueRef entry_lookup(Fn *F, int map, LLVMValueRef key, LLVMBasicBlockRef out) {
  Gen *g = F->g;
  LLVMValueRef p = bb_map_lookup(g, map, key);
  LLVMBasicBlockRef ok = bb_block(g, "entry.ok");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, p, ""), out, ok);
  LLVMPositionBuilderAtEnd(g->b, ok);
  return p;
}

static void prologue(Fn *F) {
  Gen *g = F->g;
  LLVMBasicBlockRef out = bb_block(g, "skip");
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b);
  LLVMPositionBuilderAtEnd(g->b, out);
  LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, false));
  LLVMPositionBuilderAtEnd(g->b, here);
  F->zero = LLVMBuildAlloca(g->b, g->i32, "zero");
  LLVMValueRef cpuk = LLVMBuildAlloca(g->b, g->i32, "cpu");
  F->actions = LLVMBuildAlloca(g->b, g->i64, "actions");
  F->errmsg = LLVMBuildAlloca(g->b, g->ptr, "errmsg");
  for (int k = 0; k < F->f->nslots; k++) {
    if (!F->f->slot_pinned || !F->f->slot_pinned[k]) continue;
    if (F->f->slots[k] == IR_STR)
      F->slots[k] = NULL; /* a scratch region, below */
    else
      F->slots[k] = LLVMBuildAlloca(g->b, llvm_type(F, F->f->slots[k]), "");
  }
  LLVMBuildStore(g->b, LLVMConstInt(g->i32, 0, false), F->zero);
  LLVMBuildStore(g->b, bb_c64(g, g->o->maxaction > 0 ? g->o->maxaction : 1000), F->actions);
  LLVMBuildStore(g->b, LLVMConstNull(g->ptr), F->errmsg);
  F->ctl = entry_lookup(F, g->ctl, F->zero, out);
  LLVMValueRef st = bb_load64(g, F->ctl, offsetof(BpfCtl, state));
  LLVMBasicBlockRef run = bb_block(g, "running");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, st, bb_c64(g, BLAY_RUNNING), ""), run, out);
  LLVMPositionBuilderAtEnd(g->b, run);
  LLVMValueRef cpu = bb_helper(g, BPF_FUNC_get_smp_processor_id, g->i32, NULL, 0);
  LLVMBuildStore(g->b, cpu, cpuk);
  F->scratch = entry_lookup(F, g->scratch, cpuk, out);
  F->glob = entry_lookup(F, g->glob, F->zero, out);
  for (int k = 0; k < F->f->nslots; k++)
    if (F->f->slot_pinned && F->f->slot_pinned[k] && F->f->slots[k] == IR_STR) {
      uint32_t off = scratch_alloc(F, (uint32_t)g->l->maxstringlen);
      F->slots[k] = scratch_at(F, off);
      LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), F->slots[k]);
    }
}

int gen_handler(Gen *g, const IrProbe *p, const char *sec) {
  const IrFunc *f = p->handler;
  Fn fs = {.g = g, .p = p, .f = f}, *F = &fs;
  int rc = 0;
  F->vals = calloc((size_t)f->next_id + 1, sizeof *F->vals);
  F->obj = calloc((size_t)f->next_id + 1, sizeof *F->obj);
  F->soff = malloc(sizeof *F->soff * ((size_t)f->next_id + 1));
  F->bbs = calloc((size_t)f->nblocks + 1, sizeof *F->bbs);
  F->slots = calloc((size_t)f->nslots + 1, sizeof *F->slots);
  if (!F->vals || !F->obj || !F->soff || !F->bbs || !F->slots || compute_tries(F) != 0) {
    rc = -ENOMEM;
    goto out;
  }
  memset(F->soff, 0xff, sizeof *F->soff * ((size_t)f->next_id + 1));
  char name[64];
  snprintf(name, sizeof name, "probe_%d", p->index);
  LLVMTypeRef fty = LLVMFunctionType(g->i32, &g->ptr, 1, false);
  F->fn = LLVMAddFunction(g->mod, name, fty);
  LLVMSetSection(F->fn, sec);
  F->ctxp = LLVMGetParam(F->fn, 0);
  SrcLoc loc = f->loc;
  F->sp = LLVMDIBuilderCreateFunction(g->di, g->di_file, name, strlen(name), name, strlen(name), g->di_file,
                                      loc.line, g->di_subr, false, true, loc.line, LLVMDIFlagPrototyped, true);
  LLVMSetSubprogram(F->fn, F->sp);

  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(g->ctx, F->fn, "entry");
  for (int k = 0; k < f->nblocks; k++) {
    char bn[24];
    snprintf(bn, sizeof bn, "b%d", f->blocks[k]->id);
    F->bbs[k] = LLVMAppendBasicBlockInContext(g->ctx, F->fn, bn);
  }
  LLVMPositionBuilderAtEnd(g->b, entry);
  set_loc(F, loc);
  prologue(F);
  LLVMBuildBr(g->b, F->bbs[0]);
  record_edge(F, LLVMGetInsertBlock(g->b), NULL, f->blocks[0]);

  /* Phis first, in every block, so that edges can name them in any order. */
  for (int k = 0; k < f->nblocks; k++) {
    LLVMPositionBuilderAtEnd(g->b, F->bbs[k]);
    for (const IrInst *i = f->blocks[k]->first; i && i->op == IR_PHI; i = i->next) {
      set_loc(F, i->loc);
      emit_inst(F, i);
    }
  }
  for (int k = 0; k < f->nblocks && !F->failed; k++) {
    const IrBlock *b = f->blocks[k];
    F->cur_block = b;
    F->cur = F->tries[k];
    LLVMPositionBuilderAtEnd(g->b, F->bbs[k]);
    for (const IrInst *i = b->first; i && !F->failed; i = i->next)
      if (i->op != IR_PHI) emit_inst(F, i);
    if (!LLVMGetBasicBlockTerminator(LLVMGetInsertBlock(g->b))) LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, false));
  }
  if (!F->failed) fill_phis(F);
  /* Blocks the IR never reaches (a handler nothing raises into) still need a terminator. */
  for (LLVMBasicBlockRef bb = LLVMGetFirstBasicBlock(F->fn); bb; bb = LLVMGetNextBasicBlock(bb))
    if (!LLVMGetBasicBlockTerminator(bb)) {
      LLVMPositionBuilderAtEnd(g->b, bb);
      LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, false));
    }
  /* Slack after the last region: a write at a variable offset into a region
   * (concatenation) stays inside it at run time, but the verifier bounds the
   * offset and the size separately and wants their sum inside the map value. */
  F->top += (uint32_t)g->l->maxstringlen;
  if (F->top > g->scratch_size) g->scratch_size = F->top;
  if (F->failed && !g->nerrors) rc = -ENOMEM;
out:
  free(F->vals);
  free(F->obj);
  free(F->soff);
  free(F->bbs);
  free(F->slots);
  free(F->tries);
  free(F->edges);
  free(F->scopes);
  return rc;
}

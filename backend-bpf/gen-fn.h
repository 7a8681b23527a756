/* gen-fn.h: one kernel handler being generated, shared by the files that
 * walk its IR and nobody else: gen-func.c (the walk, values, edges, errors,
 * records, maps), gen-loop.c (loops and foreach as callbacks), gen-str.c
 * (string functions), gen-fmt.c (sprintf), gen-stat.c (statistics).
 *
 * A handler is one BPF program plus one callback function per loop of its
 * IR: the loop's blocks are emitted into the callback, which bpf_loop
 * (while, for) or bpf_for_each_map_elem (foreach) calls once per iteration
 * where control enters the loop.  So the verifier checks each loop body
 * once instead of walking its iterations.  All functions of a handler share
 * the per-CPU scratch space; an i64/bool value defined in one function and
 * used in another lives in a scratch slot (fn_val loads it there), and so
 * does a phi with incoming edges from several functions (a "memory phi":
 * every edge stores, the block loads).  Strings never need slots: a string
 * value is a .rodata constant or its instruction's scratch region, which
 * every function addresses from its own scratch pointer.
 */
#ifndef STAPJIT_GEN_FN_H
#define STAPJIT_GEN_FN_H

#include "gen-int.h"

enum { MAX_TRY = 16 };
#define FN_NONE UINT32_MAX

/* Exit codes a callback leaves in the scratch word at Fn.exit_off before it
 * returns 1: none, leave the handler, else FN_EXIT_BLOCK + the IR block's
 * index to go on at. */
enum { FN_EXIT_NONE = 0, FN_EXIT_LEAVE = 1, FN_EXIT_BLOCK = 2 };

typedef struct TryStack {
  const IrBlock *h[MAX_TRY];    /* handlers, innermost last */
  const IrBlock *from[MAX_TRY]; /* the block of each try.push (the handler's phis read that edge) */
  int n;
  bool set;
} TryStack;

/* One incoming value of an LLVM phi, recorded when its edge is made. */
typedef struct PhiEdge {
  LLVMBasicBlockRef llvm; /* the LLVM block the edge leaves */
  const IrInst *phi;
  LLVMValueRef v;
} PhiEdge;

/* One LLVM function of the handler: the program, or a loop's callback. */
typedef struct FnSub {
  LLVMValueRef fn;
  LLVMValueRef scratch, glob, ctl, ctxp; /* base pointers, valid everywhere in this function */
  LLVMValueRef zero;                     /* an i32 0 on this function's stack (a map key) */
  LLVMValueRef env;                      /* what callbacks receive: the four pointers above */
  LLVMMetadataRef sp;
  LLVMMetadataRef *scopes; /* by source file number */
  uint32_t nscopes;
  LLVMBasicBlockRef fail_bb;                  /* the shared uncaught-error exit (gen-func.c), or NULL */
  LLVMValueRef fail_site, fail_code, fail_aux; /* its phis */
  const struct BlaySite *fail_shape;          /* the record it sends (header only) */
} FnSub;

typedef enum FnLoopKind { FN_LOOP_WHILE, FN_LOOP_FOREACH } FnLoopKind;

/* A natural loop of the handler's IR, emitted as a callback. */
typedef struct FnLoop {
  FnLoopKind kind;
  const IrBlock *header; /* where each call of the callback starts */
  int parent;            /* the loop around it, -1: the program */
  const IrInst *iter;    /* foreach: the iter.begin */
  const IrBlock *body;   /* foreach: where an element goes (the header's true target) */
  const IrBlock *done;   /* foreach: where the end goes (the header's false target) */
  uint32_t elem_off;     /* foreach: the current element in scratch, key then value */
  uint32_t count_off;    /* foreach: elements handed out so far (limit) */
  FnSub sub;
} FnLoop;

typedef struct Fn {
  Gen *g;
  const IrProbe *p;
  const IrFunc *f;
  /* the function being emitted (copied from its FnSub by fn_enter) */
  LLVMValueRef fn;
  LLVMValueRef ctxp;               /* the program's context argument */
  LLVMValueRef scratch, glob, ctl; /* base pointers */
  LLVMValueRef zero;
  FnSub *sub;
  int cur_loop; /* -1: the program */
  FnSub main;
  /* values */
  LLVMValueRef *vals; /* by instruction id, in the function that defines it */
  uint32_t *obj;      /* by instruction id: bytes of a str value's buffer */
  uint32_t *soff;     /* by instruction id: its scratch region, FN_NONE if none */
  uint32_t *vslot;    /* by instruction id: the scratch slot of a value several functions use */
  bool *mphi;         /* by instruction id: a memory phi (its value lives in vslot) */
  LLVMBasicBlockRef *bbs; /* by block index */
  int *bloop;             /* by block index: the innermost loop (index in loops), -1 none */
  uint32_t *slots;        /* pinned local slots: scratch offsets */
  FnLoop *loops;
  int nloops;
  int ncallbacks;            /* the generator's own callbacks made (their names) */
  uint32_t top;              /* scratch bytes given out */
  uint32_t key_off, key_cap; /* the shared key buffer */
  const IrInst *last_get;    /* the last map.get emitted, its element pointer (NULL if absent) and key */
  LLVMValueRef last_get_ptr, last_get_key;
  uint32_t val_off, val_cap; /* the shared value buffer */
  uint32_t actions_off;      /* MAXACTION's count down */
  uint32_t errmsg_off;       /* a caught error's message */
  uint32_t exit_off;         /* a callback's exit code */
  uint32_t addr_off;         /* str_addr's word (0: not made yet) */
  uint32_t tok_off, tok_start; /* tokenize's state: its input's copy, the next position (-1: none) */
  uint32_t re_ok, re_groups, re_start, re_end, re_str; /* the last =~ (when matched() reads it; 0: not) */
  struct ReCache *re;        /* gen-re.c's automata and callbacks, by pattern (re_free) */
  LLVMValueRef fmt_spaces, fmt_zeros; /* gen-fmt.c's padding blocks (.rodata), made once */
  TryStack *tries;           /* by block index: the try stack at its entry */
  TryStack cur;              /* while emitting a block */
  PhiEdge *edges;
  int nedges, cap_edges;
  const IrBlock *cur_block;
  SrcLoc loc; /* of the instruction being emitted */
  bool failed;
  LLVMValueRef fail_aux, fail_code; /* set around a fail_if whose message quotes run-time values */
  const BlayGroup *grp;      /* the merged probes this program runs for (merge.c), or NULL */
  int *param_of;             /* grp: by instruction id, its column in the member's table row, or -1 */
  uint32_t param_off;        /* grp: the member's constants in scratch, then its site shift */
} Fn;

/* The LLVM value of IR value i where the builder is now (in the function
 * being emitted): a slot is loaded, a string region addressed afresh. */
LLVMValueRef fn_val(Fn *F, const IrInst *i);
#define V(i) fn_val(F, (i))

/* ---- gen-func.c ------------------------------------------------------------------------ */

uint32_t fn_scratch_alloc(Fn *F, uint32_t size);
LLVMValueRef fn_scratch_at(Fn *F, uint32_t off);
uint32_t fn_str_bound(Fn *F, const IrInst *v);       /* buffer bytes of str value v, NUL included */
LLVMValueRef fn_str_region(Fn *F, const IrInst *i); /* made on first use */
void fn_str_copy(Fn *F, LLVMValueRef dst, uint32_t size, LLVMValueRef src);
void fn_zero_fill(Fn *F, LLVMValueRef p, uint32_t size);
LLVMTypeRef fn_llvm_type(Fn *F, IrType t);
void fn_slot_store(Fn *F, uint32_t off, LLVMValueRef v); /* an i64 or i1 into a scratch word */
/* Switches the builder's function context to loop l's callback (-1: the program). */
void fn_enter(Fn *F, int l);
/* Leaves the probe hit: returns from the program, or from a callback with
 * FN_EXIT_LEAVE (the callers go on leaving). */
void fn_leave(Fn *F);
/* The LLVM block to branch to for the IR edge from -> to, from the current
 * insertion block. */
LLVMBasicBlockRef fn_edge_to(Fn *F, const IrBlock *from, const IrBlock *to);
void fn_set_loc(Fn *F, SrcLoc loc);
/* Goes on at block `to` (its phis filled already) from the current block. */
void fn_goto(Fn *F, const IrBlock *to);
const BlaySite *fn_site_of(Fn *F, const IrInst *i);
void fn_raise_error(Fn *F, const IrInst *inst, uint32_t code, LLVMValueRef msg, bool catchable);
void fn_fail_if(Fn *F, LLVMValueRef cond, const IrInst *inst, uint32_t code, bool catchable);
void fn_unsupported(Fn *F, const IrInst *i, const char *what);
/* The key of g[args...] (object obj's layout) in the shared key buffer; a
 * NULL arg leaves its column zero (a slice's wildcard). */
LLVMValueRef fn_build_key(Fn *F, const IrGlobal *ig, IrInst *const *args, int obj);
LLVMValueRef fn_val_buf(Fn *F, uint32_t size);
LLVMMetadataRef fn_new_subprogram(Fn *F, const char *name, LLVMValueRef fn);

/* ---- gen-edge.c ------------------------------------------------------------------------ */

int fn_compute_tries(Fn *F); /* F->tries, by flow from the entry; 0 or -ENOMEM */
void fn_fill_phis(Fn *F);    /* the LLVM phis' incoming values, once every edge is made */

/* ---- gen-map.c ------------------------------------------------------------------------- */

LLVMValueRef map_emit_get(Fn *F, const IrInst *i);
void map_emit_set(Fn *F, const IrInst *i);
LLVMValueRef map_emit_exists(Fn *F, const IrInst *i);
void map_emit_delete(Fn *F, const IrInst *i); /* an element or a slice */
void map_emit_clear(Fn *F, const IrInst *i);  /* the whole array, scalar or statistic */

/* ---- gen-loop.c ------------------------------------------------------------------------ */

/* Finds the loops of F->f, which blocks each owns and which values and phis
 * cross functions; makes the callbacks.  0, or -1 after a diagnostic. */
int loop_analyse(Fn *F);
/* Emits the entry into loop l from the current block: the call of its
 * callback through the helper, then the dispatch on how it ended. */
void loop_enter(Fn *F, int l);
/* Emits the prologue of each callback: its base pointers (before the
 * blocks), then, once the blocks are done (finish), for a foreach the
 * current element, the slice filter and the limit, and the branch to the
 * loop's header. */
void loop_prologues(Fn *F, bool finish);
/* iter.key / iter.value of a foreach: the current element's fields. */
LLVMValueRef loop_iter_field(Fn *F, const IrInst *i);
/* The loop of iterator it (an iter.begin), or -1. */
int loop_of_iter(Fn *F, const IrInst *it);
/* An iterator whose one use is a single iter.next outside any loop ([k, *] in a). */
bool loop_iter_is_any(Fn *F, const IrInst *it);
LLVMValueRef loop_iter_any(Fn *F, const IrInst *next); /* i1: some element has the slice's keys */
/* Deletes every element of array g's object obj whose fixed keys equal
 * those in the shared key buffer (mask: bit k set = key k is fixed; 0 = all). */
void loop_map_clear(Fn *F, const IrGlobal *ig, int obj, uint32_t mask);
/* Emits, in a new callback that bpf_loop calls for cpu = 0, 1, ..., the code
 * body makes (in F's context switched to the callback: scratch, zero...);
 * body returns an i1 that is false after the last CPU (typically: its
 * bpf_map_lookup_percpu_elem gave NULL). */
typedef LLVMValueRef (*LoopCpuBody)(Fn *F, LLVMValueRef cpu, void *ctx);
void loop_over_cpus(Fn *F, const char *name, LoopCpuBody body, void *ctx);
/* The same with bpf_loop calling it for 0 .. nr-1 (while it returns true). */
void loop_callback(Fn *F, const char *name, uint32_t nr, LoopCpuBody body, void *ctx);
/* loop_callback in two steps: the callback (made once, wherever the builder
 * is), and a bpf_loop call of it here (several calls may share one). */
LLVMValueRef loop_make_callback(Fn *F, const char *name, LoopCpuBody body, void *ctx);
void loop_call(Fn *F, LLVMValueRef fn, uint32_t nr);

/* ---- gen-stat.c ------------------------------------------------------------------------ */

void stat_emit_add(Fn *F, const IrInst *i);
LLVMValueRef stat_emit_get(Fn *F, const IrInst *i);    /* @count ... @variance */
LLVMValueRef stat_emit_bucket(Fn *F, const IrInst *i); /* a histogram's bucket */
void stat_emit_clear(Fn *F, const IrInst *i);          /* delete of a scalar statistic */

/* ---- gen-str.c ------------------------------------------------------------------------- */

/* A string function of the tapsets (strlen, substr, ...): its value, or
 * *ok false when it has no BPF implementation. */
LLVMValueRef str_emit_builtin(Fn *F, const IrInst *i, bool *ok);
LLVMValueRef str_emit_concat(Fn *F, const IrInst *i);
uint32_t fn_obj_size(Fn *F, const IrInst *v); /* bytes of the object str value v points to */
/* strcmp(a, b) as -1/0/1, over at most n bytes (both NUL-terminated within them). */
LLVMValueRef fn_str_compare(Fn *F, LLVMValueRef a, LLVMValueRef b, uint32_t n);
/* The address p holds, as a number the verifier does not track (stored to
 * and read back from scratch): for the source of a probe read at an offset
 * the verifier could not bound. */
LLVMValueRef str_addr(Fn *F, LLVMValueRef p);
/* strlen of s, a buffer of size bytes (a copy into scratch; never < 0). */
LLVMValueRef str_len(Fn *F, LLVMValueRef s, uint32_t size);
/* v clamped to [0, max] so that the verifier knows it. */
LLVMValueRef str_clamp(Fn *F, LLVMValueRef v, uint64_t max);

/* ---- gen-fmt.c ------------------------------------------------------------------------- */

LLVMValueRef fmt_emit_sprintf(Fn *F, const IrInst *i);
/* prefix and the decimal of v (unsigned) into the scratch region at region
 * of bound bytes, NUL-terminated (errno_str's "E#3333"). */
void fmt_number(Fn *F, uint32_t region, uint32_t bound, const char *prefix, LLVMValueRef v);

/* ---- gen-re.c -------------------------------------------------------------------------- */

void re_layout(Fn *F); /* scratch for the last match, if the handler reads it */
void re_free(Fn *F);
LLVMValueRef re_emit_match(Fn *F, const IrInst *i);                /* =~ */
LLVMValueRef re_emit_builtin(Fn *F, const IrInst *i, bool *ok); /* matched(), ngroups() */

#endif

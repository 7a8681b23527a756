/* interp-int.h: what the interpreter's files share (interp*.c), and nobody else.
 *
 * interp.c prepares a module (per-function layout, globals, formats,
 * regexes, builtins, checks) and holds the public calls; interp-exec.c is
 * the dispatch loop with frames, calls, try/catch and errors; interp-map.c
 * the globals, arrays, statistics and iterators; interp-builtin.c builtins
 * through libffi, printf and regexes.
 *
 * Values.  Every instruction of a frame has a Val slot indexed by its id.
 * i64 and bool live in i; a str in s, which points either at a constant (cut
 * to MAXSTRINGLEN-1 bytes when the module was prepared) or at the buffer the
 * frame owns for that instruction (MAXSTRINGLEN bytes): every string an
 * instruction produces is written into its own buffer, so no value ever
 * aliases storage that something else may overwrite while it is live.
 */
#ifndef STAPJIT_INTERP_INT_H
#define STAPJIT_INTERP_INT_H

#include "builtins.h"
#include "interp.h"

#include <ffi.h>
#include <regex.h>

typedef struct Iter Iter;

typedef struct Val {
  int64_t i;     /* i64, bool (0/1) */
  const char *s; /* str: NUL-terminated */
  Iter *it;      /* iter */
} Val;

/* What a frame of one function needs, computed once. */
typedef struct FuncInfo {
  const IrFunc *f;
  int nvals;     /* f->next_id: Val slots by instruction id */
  int *buf;      /* by id: index of the value's string buffer, -1 if none */
  int nbufs;     /* string buffers of values, then one per str slot, then phi temps */
  int *slot_buf; /* by slot: its buffer (str slots), -1 */
  int phi_tmp;   /* first phi temp buffer; parallel phis copy through them */
  int *big;      /* by id: index of a hist.str value's unbounded buffer, -1 */
  int nbig;
  const char **cstr; /* by id: const.str text, cut to MAXSTRINGLEN-1 */
  bool *parallel;    /* by block index: a phi there reads another phi of the block */
  int maxphis;       /* phis of the largest parallel block */
} FuncInfo;

/* Where a try region's errors go: pushed by try.push, popped by try.pop. */
typedef struct TryEntry {
  const IrBlock *handler;
  const IrBlock *from; /* the block of the try.push: the handler's phis read its edge */
  int iter_mark;       /* iterators opened since are closed on the way to the handler */
} TryEntry;

typedef struct Frame Frame;
typedef struct StackChunk StackChunk;

struct Frame {
  const FuncInfo *fi;
  Val *v;              /* by instruction id */
  Val *slots;          /* local.get/local.set */
  const Frame *caller; /* PARAM k reads the caller's value of call->args[k] */
  const IrInst *call;
  Val *ptmp;       /* fi->maxphis temporaries for parallel phis */
  char *bufs;      /* fi->nbufs buffers of MAXSTRINGLEN bytes */
  RtBuf *big;      /* fi->nbig */
  TryEntry *tries; /* innermost last */
  int ntries, cap_tries;
  StackChunk *chunk; /* where its memory came from (interp-exec.c) ... */
  size_t mark;       /* ... and the chunk's top before it */
};

/* One object per histogram a statistic collects (nobj >= 1): stap keeps one
 * aggregate per variable; a variable printed with two histogram shapes gets
 * one object per shape, each seeing every value. */
typedef struct GlobalRt {
  const IrGlobal *g;
  int64_t i; /* scalar long */
  char *s;   /* scalar string: MAXSTRINGLEN bytes */
  int nobj;
  RtMap **maps;      /* arrays */
  RtStat **stats;    /* scalar statistics */
  RtStatDesc *descs; /* per object */
  void *key;         /* key scratch (key_size bytes) */
} GlobalRt;

/* A foreach: a snapshot of the sorted elements, keys and values copied. */
struct Iter {
  const RtMapLayout *l;
  char *keys; /* n keys of key_size bytes */
  char *vals; /* n values of val_size bytes */
  size_t n;
  size_t kbytes, vbytes; /* allocated sizes of keys and vals: an Iter is reused for any map */
  size_t pos; /* elements handed out by iter.next; the current one is pos - 1 */
  bool open;
  Iter *next_free;
};

typedef struct BuiltinRt {
  const RtBuiltin *b;
  ffi_cif cif;
  ffi_type *types[RT_BUILTIN_MAXARGS + 1];
} BuiltinRt;

struct IrInterp {
  const IrModule *m;
  IrInterpOptions opt;
  size_t maxlen; /* MAXSTRINGLEN */
  int64_t maxnesting;
  Arena *arena;         /* prepared tables */
  FuncInfo *funcs;      /* by position in m->funcs */
  const IrFunc **fkeys; /* open-addressing table IrFunc* -> position */
  int *fvals;
  int fcap;
  GlobalRt *globals;  /* by position in m->globals */
  RtFormat **formats; /* by IrFormat.id */
  regex_t *regexes;   /* by index in m->regexes */
  bool *regex_ok;
  BuiltinRt *builtins; /* by rt_builtin table index */
  const void **bkeys;  /* open-addressing table IrBuiltin* (a call's aux) -> its BuiltinRt */
  BuiltinRt **bvals;
  int bcap;
  RtCtx ctx;
  RtBuf scratch; /* sprintf, hist.str */
  /* the probe hit */
  int64_t actions_left;
  int64_t depth;     /* script function frames active */
  StackChunk *stack; /* the chunk frames are taken from now */
  StackChunk *stack_first;
  uintptr_t stack_base; /* the C stack at the probe hit's start ... */
  size_t stack_budget;  /* ... and how much of it calls may use: deeper is MAXNESTING exceeded */
  Iter **iters;         /* open iterators, oldest first */
  int niters, cap_iters;
  Iter *free_iters;
  /* the error being raised or caught */
  char *errmsg; /* MAXSTRINGLEN */
  SrcLoc errloc;
  bool uncatchable; /* MAXACTION: try/catch does not see it */
  bool aborted;
  char *caught; /* the message a handler's catch.msg reads */
};

typedef enum XStatus { X_OK, X_NEXT, X_FAIL } XStatus;

/* ---- interp.c ---------------------------------------------------------------- */

const FuncInfo *interp_func_info(const IrInterp *in, const IrFunc *f);
unsigned interp_ptr_hash(const void *p);

/* ---- interp-exec.c -------------------------------------------------------------- */

/* Runs f to completion in a new frame; its arguments are the operands of
 * call in caller (both NULL for a probe handler).  A str result is copied
 * into retbuf (MAXSTRINGLEN bytes) and ret->s points there. */
XStatus interp_call(IrInterp *in, const FuncInfo *fi, const Frame *caller, const IrInst *call, Val *ret,
                    char *retbuf);
void interp_stack_free(IrInterp *in);
/* Raises a runtime error at inst: the message goes to in->errmsg. */
XStatus interp_fail(IrInterp *in, const IrInst *inst, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Copies the string s into dst (MAXSTRINGLEN bytes), cut to MAXSTRINGLEN-1 bytes. */
const char *interp_strcpy(const IrInterp *in, char *dst, const char *s);
/* The buffer of i's value in fr. */
char *interp_buf(const IrInterp *in, const Frame *fr, const IrInst *i);

/* ---- interp-map.c ----------------------------------------------------------------- */

int interp_globals_init(IrInterp *in, DiagList *diag);
void interp_globals_free(IrInterp *in);
/* The map and stats ops, iter.* and hist.str: X_OK or X_FAIL. */
XStatus interp_global_op(IrInterp *in, Frame *fr, const IrInst *i);
/* Closes the iterators opened after mark (on unwinding). */
void interp_iters_close(IrInterp *in, int mark);
void interp_iters_free(IrInterp *in);
int interp_display(IrInterp *in, RtBuf *out);
int interp_set_global(IrInterp *in, const char *name, size_t len, const char *value);

/* ---- interp-builtin.c --------------------------------------------------------------- */

int interp_builtins_init(IrInterp *in, DiagList *diag);
int interp_formats_init(IrInterp *in, DiagList *diag);
void interp_formats_free(IrInterp *in);
int interp_regexes_init(IrInterp *in, DiagList *diag);
void interp_regexes_free(IrInterp *in);
/* builtin, printf, sprintf, regex: X_OK or X_FAIL (or X_FAIL with in->aborted). */
XStatus interp_builtin_op(IrInterp *in, Frame *fr, const IrInst *i);

#endif

/* lower.h: pass 3's internal contract between the lower*.c files.
 *
 * ir_lower (lower.c) builds the module's globals and function shells, then
 * lowers one body at a time through a Lower context: lower-stmt.c walks
 * statements, lower-expr.c expressions and lvalues, lower-print.c the print
 * family and histograms.  The context tracks the block being filled, the
 * loops (for break/continue) and the open scopes (foreach iterators and try
 * regions) that every early exit must close.  Locals live in slots numbered
 * as the front end numbered them (AstSym.index).  The user's mistakes are
 * diagnostics at the construct (lowering goes on, ir_lower returns NULL at
 * the end); broken invariants are SUP_ASSERTs.  Not for other components:
 * they see ir.h only.
 */
#ifndef STAPJIT_IR_LOWER_H
#define STAPJIT_IR_LOWER_H

#include "ir.h"

/* A pointer-keyed hash table in the module arena (AstFunc -> IrFunc ...). */
typedef struct LowerMap {
  const void **keys;
  void **vals;
  int cap, n;
} LowerMap;

void *lower_map_get(const LowerMap *m, const void *key); /* NULL if absent */
void lower_map_put(Arena *a, LowerMap *m, const void *key, void *val);

/* What an early exit must close: an iterator (ITER_END) or a try region (TRY_POP). */
typedef struct LowerScope {
  bool is_try;
  IrInst *iter; /* the iter.begin value, for iterators */
} LowerScope;

typedef struct LowerLoop {
  IrBlock *brk;  /* where break goes (a foreach's exit block ends its iterator) */
  IrBlock *cont; /* where continue goes */
  int depth;     /* open scopes to keep when leaving through brk/cont */
} LowerLoop;

typedef struct Lower {
  IrModule *m;
  Arena *a; /* the module's arena */
  const ElabProgram *prog;
  const IrLowerOptions *opt;
  DiagList *diag;
  LowerMap funcs;   /* AstFunc* -> IrFunc* (script functions only) */
  LowerMap globals; /* AstSym* -> IrGlobal* */
  LowerMap host;    /* AstFunc* -> non-NULL: reached from a begin/end/error/never probe */
  /* the body being lowered */
  IrFunc *f;
  IrBlock *b;      /* the block being filled; NULL after a terminator */
  IrInst *acts;    /* the ACTIONS counting the current block's statements */
  AstSym **locals; /* slot slot_base + k holds locals[k] */
  int nlocals;
  int slot_base;      /* the first slot of the overload being lowered (0 in a probe) */
  bool on_host;       /* this code may run on the host (host probe, or function one reaches) */
  bool in_func;       /* a script function (return), not a probe */
  IrBlock *next_overload; /* in a function: where 'next' goes (the fallback's code), or NULL */
  LowerScope *scopes; /* innermost last */
  int nscopes, cap_scopes;
  LowerLoop *loops; /* innermost last */
  int nloops, cap_loops;
  int try_depth; /* try bodies around the code: locals set here are pinned */
} Lower;

/* ---- lower.c: building blocks ---------------------------------------------*/

IrType lower_type(AstType t); /* long -> i64, string -> str, else void */
/* Appends a new instruction to the current block (a fresh, unreachable one
 * after a terminator); returns it. */
IrInst *lower_emit(Lower *L, IrOp op, IrType t, IrInst *const *args, int nargs, SrcLoc loc);
IrInst *lower_const_i64(Lower *L, int64_t v, SrcLoc loc);
IrInst *lower_const_str(Lower *L, const char *s, size_t len, SrcLoc loc);
IrInst *lower_default(Lower *L, IrType t, SrcLoc loc); /* 0 or "" */
IrBlock *lower_block(Lower *L);
void lower_set_block(Lower *L, IrBlock *b);
void lower_br(Lower *L, IrBlock *to, SrcLoc loc);
void lower_cbr(Lower *L, IrInst *cond, IrBlock *t, IrBlock *f, SrcLoc loc);
void lower_term(Lower *L, IrOp op, IrInst *v, SrcLoc loc); /* RET [v], NEXT */
/* One more statement's worth of MAXACTION accounting in the current block. */
void lower_actions(Lower *L, SrcLoc loc);
/* Closes the open scopes above depth (innermost first), keeping them open
 * for the code that follows: the caller branches away next. */
void lower_unwind(Lower *L, int depth, SrcLoc loc);
void lower_scope_push(Lower *L, bool is_try, IrInst *iter);
void lower_scope_pop(Lower *L);
IrGlobal *lower_global(Lower *L, const AstSym *s); /* NULL only after an error */
/* The IrFunc of a script function, or NULL for an embedded-C one. */
IrFunc *lower_func(Lower *L, const AstFunc *fn);
/* The runtime name of an embedded-C function marked as a stapjit builtin,
 * or NULL (module arena string). */
const char *lower_builtin_name(Lower *L, const AstFunc *fn);
/* A call of embedded-C function fn at loc: BUILTIN (NULL if it returns
 * nothing), or a diagnostic and a placeholder when fn is no builtin. */
IrInst *lower_builtin_call(Lower *L, const AstFunc *fn, IrInst **args, int nargs, SrcLoc loc);

/* ---- lower-expr.c ------------------------------------------------------------*/

/* e's value (i64 or str); NULL for a void expression.  Never NULL for a
 * long or string expression, even after an error. */
IrInst *lower_expr(Lower *L, const AstExpr *e);
/* e as a condition: a bool. */
IrInst *lower_bool(Lower *L, const AstExpr *e);
/* Branches on e to t or f, short-circuiting && || and !. */
void lower_branch(Lower *L, const AstExpr *e, IrBlock *t, IrBlock *f);

/* A place a value can be stored: a local slot, a global scalar or a map element. */
typedef struct LowerLval {
  enum { LV_NONE, LV_LOCAL, LV_GLOBAL, LV_MAP } kind;
  int slot;
  IrGlobal *g;
  IrInst **keys; /* evaluated once */
  int nkeys;
  IrType type;
} LowerLval;

/* Resolves e (VAR or INDEX) to a place, evaluating its keys; LV_NONE after an error. */
LowerLval lower_lval(Lower *L, const AstExpr *e);
IrInst *lower_lval_get(Lower *L, const LowerLval *lv, SrcLoc loc);
void lower_lval_set(Lower *L, const LowerLval *lv, IrInst *v, SrcLoc loc);
void lower_local_set(Lower *L, int slot, IrInst *v, SrcLoc loc);
/* The map keys of a stats operand (VAR or INDEX of a stats global): sets *g,
 * *keys, *nkeys; false after an error. */
bool lower_stat_operand(Lower *L, const AstExpr *e, IrGlobal **g, IrInst ***keys, int *nkeys);
/* Evaluates a list of key expressions (no NULLs). */
IrInst **lower_keys(Lower *L, AstExpr *const *v, int n);

/* ---- lower-print.c ---------------------------------------------------------------*/

bool lower_is_print(const char *name);
/* A call of the print family: PRINTF (void, NULL returned) or SPRINTF (str). */
IrInst *lower_print_call(Lower *L, const AstExpr *e);
/* @hist_log/@hist_linear as a value: HIST_STR. */
IrInst *lower_hist_str(Lower *L, const AstExpr *e);
/* @hist_log(s)[n] / @hist_linear(s, ...)[n]: HIST_BUCKET, bucket n's count. */
IrInst *lower_hist_bucket(Lower *L, const AstExpr *e);

/* The statistic a histogram expression reads, its keys (evaluated here) and
 * its shape (the index in g->hists, the runtime's bucket count). */
typedef struct LowerHist {
  IrGlobal *g;
  IrInst **keys;
  int nkeys;
  int idx;      /* in g->hists */
  int nbuckets; /* RtStatDesc.nbuckets: 128 for a log histogram, (hi-lo)/step+3 for a linear one */
} LowerHist;

/* Fills h for e (an EX_HIST); false after an error (reported). */
bool lower_hist_operand(Lower *L, const AstExpr *e, LowerHist *h);

/* ---- lower-stmt.c ------------------------------------------------------------------*/

void lower_stmt(Lower *L, const AstStmt *st);

#endif

/* ir.h: the typed SSA IR, its data model and the functions over it.
 *
 * A module holds globals, script functions, probe handlers (functions too)
 * and the probes that name them.  Values are instructions (as in LLVM): an
 * instruction with a non-void type is an SSA value, printed %N.  Scalar types
 * are i64, str and bool; maps, statistics and iterators are reached through
 * operations on an IrGlobal, never held as values (iterators excepted, typed
 * IR_ITER).  Opcodes come from ops.def.  Every instruction carries the source
 * location of the construct it came from: runtime errors, verifier messages
 * and the BPF line info all use it.
 *
 * Lowering first produces locals as slots (local.get/local.set); the ssa pass
 * turns them into SSA values and phis, except slots it must keep (those
 * assigned inside a try region, whose handler must see the latest value).
 * All IR memory lives in the module's arena: ir_module_free frees it in one
 * call.  Nothing here prints except the ir_print_* functions.
 */
#ifndef STAPJIT_IR_H
#define STAPJIT_IR_H

#include "ast.h"
#include "support.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef enum IrType {
  IR_VOID,
  IR_I64,
  IR_STR,
  IR_BOOL,
  IR_ITER, /* a foreach iterator handle */
} IrType;

enum {
  IRF_PURE = 1 << 0,    /* no side effect and cannot fail: may be folded, moved or deleted */
  IRF_SIDE = 1 << 1,    /* has a side effect: never deleted */
  IRF_FAIL = 1 << 2,    /* may raise a runtime error (and so must stay, in order) */
  IRF_TERM = 1 << 3,    /* ends a block */
  IRF_IMM = 1 << 4,     /* uses imm */
  IRF_STR = 1 << 5,     /* uses str/len */
  IRF_GLOBAL = 1 << 6,  /* uses g */
  IRF_CALLEE = 1 << 7,  /* uses callee */
  IRF_AUX = 1 << 8,     /* uses aux (see the op) */
  IRF_TARGETS = 1 << 9, /* uses targets[] */
};

typedef enum IrOp {
#define X(name, text, nargs, flags) IR_##name,
#include "ops.def"
#undef X
  IR__COUNT
} IrOp;

const char *ir_op_name(IrOp op);
int ir_op_nargs(IrOp op); /* -1 = variadic */
unsigned ir_op_flags(IrOp op);
const char *ir_type_name(IrType t); /* "void", "i64", "str", "bool", "iter" */

typedef struct IrInst IrInst;
typedef struct IrBlock IrBlock;
typedef struct IrFunc IrFunc;
typedef struct IrGlobal IrGlobal;
typedef struct IrModule IrModule;

/* stat.get fields */
typedef enum IrStatField { IR_STAT_COUNT, IR_STAT_SUM, IR_STAT_MIN, IR_STAT_MAX, IR_STAT_AVG, IR_STAT_VARIANCE } IrStatField;

/* A histogram a stats global must collect (from @hist_log/@hist_linear uses). */
typedef struct IrHist {
  bool linear;
  int64_t lo, hi, step; /* linear only */
} IrHist;

/* foreach's order: iter.begin's aux. */
typedef struct IrSort {
  int col;          /* 0 = storage order, -1 = by value, k = by key k (1-based) */
  int dir;          /* +1 ascending, -1 descending */
  IrStatField aggr; /* for stats values sorted by value: which extractor */
  bool has_limit;   /* args[0] is the limit */
  uint32_t slice;   /* bit k set: key k is fixed by the next slice argument */
} IrSort;

/* A printf/sprintf format: the text as written; runtime parses it. */
typedef struct IrFormat {
  const char *text;
  size_t len;
  int id;           /* index in IrModule.formats */
} IrFormat;

/* A runtime function called by builtin: resolved by name in the runtime's
 * signature table. */
typedef struct IrBuiltin {
  const char *name;
  int id;           /* index in the runtime's table */
} IrBuiltin;

/* A context read: a $target access or a context function, for a backend. */
typedef struct IrCtx {
  const AstExpr *expr; /* the front end's node ($var..., @cast, @var, ...); NULL after ir_parse */
  const char *text;    /* printable form, e.g. "$file->f_pos" */
  bool is_defined;     /* @defined(...): reads 0 where there is no context (the text says so too) */
} IrCtx;

struct IrInst {
  IrOp op;
  IrType type;
  int id;              /* value number, unique in the function */
  SrcLoc loc;
  IrInst **args;
  int nargs;
  IrBlock **phi_blocks; /* PHI: predecessor of each arg */
  int64_t imm;
  const char *str;     /* CONST_STR (NUL-terminated; len excludes the NUL) */
  size_t len;
  IrGlobal *g;
  IrFunc *callee;
  IrBlock *targets[2]; /* BR: [0]; CBR: [0] true, [1] false; TRY_PUSH: [0] handler */
  void *aux;           /* IrSort, IrFormat, IrBuiltin or IrCtx, per the op */
  IrBlock *block;      /* owner */
  IrInst *prev, *next; /* in the block */
  int64_t str_bound;   /* str values, set by strbounds: the buffer size the value needs, NUL included
                          (1 + an upper bound of its length, <= IrModule.maxstringlen); 0 = not computed */
};

struct IrBlock {
  int id;
  IrFunc *func;
  IrInst *first, *last;
  IrBlock **preds;     /* filled by ir_func_compute_preds */
  int npreds;
  int index;           /* position in func->blocks */
};

typedef enum IrFuncKind { IR_FUNC_SCRIPT, IR_FUNC_PROBE } IrFuncKind;

struct IrFunc {
  const char *name;
  IrFuncKind kind;
  IrType ret;
  IrType *params;      /* parameter types; PARAM instructions read them */
  int nparams;
  IrBlock **blocks;    /* blocks[0] is the entry */
  int nblocks, cap_blocks;
  IrType *slots;       /* local slot types (local.get/set) */
  const char **slot_names;
  bool *slot_pinned;   /* stays a slot through the ssa pass (set inside a try region) */
  int nslots;
  int next_id;         /* next value number */
  int next_block_id;
  SrcLoc loc;
  IrModule *mod;
  const AstFunc *ast;  /* script functions: origin */
};

typedef enum IrGlobalKind { IR_GLOBAL_SCALAR, IR_GLOBAL_MAP, IR_GLOBAL_STAT } IrGlobalKind;

struct IrGlobal {
  const char *name;
  IrGlobalKind kind;   /* STAT = a scalar statistic; a map may hold stats (value == IR_VOID + is_stat) */
  IrType value;        /* I64 or STR; IR_VOID for statistics */
  bool is_stat;        /* values are statistics */
  int nkeys;
  IrType keys[9];
  int64_t maxsize;     /* 0 = MAXMAPENTRIES */
  bool wrap;
  bool has_init;
  int64_t init_i64;
  const char *init_str;
  IrHist *hists;       /* histograms the stats must collect */
  int nhists;
  bool display;        /* written but never read: printed at exit */
  bool cmdline;        /* -G NAME=VALUE may set it before the begin probes */
  const char *script_name; /* as the script spells it: name without the ".N" that tells apart
                              private globals of two library files */
  SrcLoc loc;          /* the declaration: messages, and the order of the unread-globals display */
  int id;
  const AstSym *sym;   /* the front end's symbol; NULL after ir_parse (use the fields above) */
};

typedef enum IrSite { IR_SITE_HOST, IR_SITE_KERNEL } IrSite;

typedef enum IrProbeKind { IR_PROBE_BEGIN, IR_PROBE_END, IR_PROBE_ERROR, IR_PROBE_NEVER, IR_PROBE_OTHER } IrProbeKind;

typedef struct IrProbe {
  IrFunc *handler;     /* its condition, if any, is checked at its start */
  IrProbeKind kind;
  IrSite site;
  int64_t seq;         /* begin(N)/end(N)/error(N) order */
  const char *pp;      /* printable probe point */
  bool optional;       /* "?" or "!": a point that resolves to nothing is skipped, not an error */
  const ElabProbe *ep; /* the front end's probe; NULL after ir_parse (use the fields above) */
  int index;           /* in declaration order */
} IrProbe;

struct IrModule {
  Arena *arena;
  const SrcSet *src;   /* for printing locations; not owned */
  IrGlobal **globals;
  int nglobals;
  IrFunc **funcs;      /* script functions and probe handlers */
  int nfuncs;
  IrProbe **probes;
  int nprobes;
  IrFormat **formats;
  int nformats;
  const char **regexes; /* the patterns of =~ / !~ */
  int nregexes;
  int64_t maxstringlen; /* session limits that lowering used */
};

/* ---- building (build.c) ------------------------------------------------------*/

IrModule *ir_module_new(const SrcSet *src);
void ir_module_free(IrModule *m);
IrGlobal *ir_global_new(IrModule *m, const char *name, IrGlobalKind kind);
IrFunc *ir_func_new(IrModule *m, const char *name, IrFuncKind kind, IrType ret, const IrType *params, int nparams);
IrProbe *ir_probe_new(IrModule *m, IrFunc *handler, IrProbeKind kind);
IrBlock *ir_block_new(IrFunc *f);
int ir_format_intern(IrModule *m, const char *text, size_t len);
int ir_regex_intern(IrModule *m, const char *pattern);
int ir_slot_new(IrFunc *f, IrType t, const char *name);

/* A new instruction of op and type (args copied), not yet in a block. */
IrInst *ir_inst_new(IrFunc *f, IrOp op, IrType t, IrInst *const *args, int nargs, SrcLoc loc);
void ir_block_append(IrBlock *b, IrInst *i);
void ir_inst_insert_before(IrInst *pos, IrInst *i);
void ir_inst_remove(IrInst *i);     /* unlinks from its block */
void ir_phi_add(IrInst *phi, IrInst *v, IrBlock *from);
/* Replaces every use of old in f by new (old stays in place). */
void ir_replace_uses(IrFunc *f, IrInst *old, IrInst *new_);
IrInst *ir_block_term(const IrBlock *b); /* the terminator, or NULL */
void ir_func_compute_preds(IrFunc *f);
void ir_func_remove_block(IrFunc *f, IrBlock *b);

/* ---- the text form (print.c, parse.c) -----------------------------------------*/

void ir_print_module(FILE *out, const IrModule *m);
void ir_print_func(FILE *out, const IrFunc *f);
/* Parses the text form; NULL with diagnostics in diag on error.  File paths
 * named in locations are added to src. */
IrModule *ir_parse(const char *text, size_t len, SrcSet *src, DiagList *diag);

/* ---- checking (verify.c) -----------------------------------------------------*/

/* 0 if the module is well formed (types, operand counts, terminators, phis
 * matching predecessors, dominance of uses); else -1 with a message per
 * problem in diag (at the instruction's location). */
int ir_verify(const IrModule *m, DiagList *diag);

/* The result type every instruction of op has (IR_VOID included), or -1 if it
 * depends on the instruction (param, copy, phi, loads, calls, ctx).  From the
 * verifier's typing table; the text form omits a type that op implies. */
int ir_op_result_type(IrOp op);

/* The control-flow graph and dominator tree of a function, for the verifier
 * and the passes.  Edges are those of every IRF_TARGETS instruction (try.push's
 * handler included), each (from, to) pair once, as ir_func_compute_preds counts
 * them; targets that are not blocks of the function are ignored. */
typedef struct IrDomTree {
  IrBlock **rpo;    /* the blocks reachable from the entry, in reverse postorder */
  int nrpo;
  IrBlock **idom;   /* by block index: immediate dominator (the entry's is itself); NULL = unreachable */
  int *rpo_num;     /* by block index: position in rpo, -1 = unreachable */
  IrBlock ***preds; /* by block index: predecessors, reachable or not */
  int *npreds;
} IrDomTree;

/* Fills dt for f as it is now, its arrays allocated in a (the caller's scratch
 * arena).  Does not touch f (its IrBlock.preds stay as they were). */
void ir_func_dominators(const IrFunc *f, Arena *a, IrDomTree *dt);
/* Whether block x dominates block y (both reachable; every block dominates itself). */
bool ir_dominates(const IrDomTree *dt, const IrBlock *x, const IrBlock *y);

/* ---- lowering (lower*.c) -----------------------------------------------------*/

typedef struct IrLowerOptions {
  size_t sz;
  int64_t maxstringlen;
  bool kernel_probes_allowed; /* false: a non-host probe is an error (no backend yet) */
} IrLowerOptions;

/* AST -> IR for an elaborated program.  NULL with diagnostics on error. */
IrModule *ir_lower(const ElabProgram *p, const SrcSet *src, const IrLowerOptions *opt, DiagList *diag);

/* ---- passes (the passes/ folder, pipeline.c) -----------------------------------------*/

typedef struct IrPass {
  const char *name;          /* as --dump-ir=NAME */
  bool (*run)(IrFunc *f);    /* returns whether it changed anything */
  bool module;               /* runs once over the module (inlining) */
  bool (*run_module)(IrModule *m);
} IrPass;

bool ir_pass_ssa(IrFunc *f);       /* slots -> SSA values and phis */
bool ir_pass_fold(IrFunc *f);      /* constant folding and propagation */
bool ir_pass_copyprop(IrFunc *f);
bool ir_pass_dce(IrFunc *f);
bool ir_pass_simplifycfg(IrFunc *f);
bool ir_pass_itervalue(IrFunc *f); /* a foreach body's a[k] -> iter.value (no write to a in between) */
bool ir_pass_inline(IrModule *m);  /* inlining of small script functions */
/* Inlining of every call of a non-recursive function into kernel probes' handlers. */
bool ir_pass_inline_kernel(IrModule *m);
bool ir_pass_strbounds(IrFunc *f); /* string-length bounds (annotates; for backends) */

/* Looks a pass up by name; NULL if none. */
const IrPass *ir_pass_find(const char *name);
/* The pass names in pipeline order, NULL-terminated. */
const char *const *ir_pass_names(void);

typedef struct IrPipelineOptions {
  size_t sz;
  bool optimize;           /* false (-u/-O0): only ssa runs */
  const char *dump_after;  /* pass name, "all", or NULL */
  FILE *dump;              /* where dumps go */
  bool verify;             /* run ir_verify after every pass */
  DiagList *diag;
  bool inline_kernel;      /* for a backend without calls: kinline runs (even with optimize off) */
} IrPipelineOptions;

/* Runs the pipeline; returns 0, or -1 if verification failed. */
int ir_run_pipeline(IrModule *m, const IrPipelineOptions *opt);

#endif

/* ast.h: the syntax tree of a SystemTap script, and the elaborated program.
 *
 * One header holds the data model that the parser builds, the printer prints,
 * the resolver and type checker annotate, and the IR lowering (ir/) reads.
 * Every node carries a SrcLoc.  All nodes live in the compilation's arena.
 * Nothing here allocates or reports: see frontend.h for the functions.
 */
#ifndef STAPJIT_AST_H
#define STAPJIT_AST_H

#include "support.h"

#include <stdbool.h>
#include <stdint.h>

typedef struct AstExpr AstExpr;
typedef struct AstStmt AstStmt;
typedef struct AstSym AstSym;
typedef struct AstFunc AstFunc;
typedef struct AstFile AstFile;

/* ---- types ----------------------------------------------------------------*/

typedef enum AstType {
  TY_UNKNOWN, /* not inferred (yet) */
  TY_LONG,
  TY_STRING,
  TY_STATS,
  TY_VOID,    /* function without a return value, statement-only calls */
} AstType;

const char *ast_type_name(AstType t); /* "long", "string", "stats", "unknown", "void" */

/* ---- expressions -----------------------------------------------------------*/

#define AST_EXPR_KINDS(X)                                                      \
  X(NUM)        /* num */                                                      \
  X(STR)        /* str */                                                      \
  X(VAR)        /* name, sym: a scalar local, global or parameter */           \
  X(INDEX)      /* name, sym, args: array element a[k1,...] */                 \
  X(CALL)       /* name, args, func */                                         \
  X(BINARY)     /* op, lhs, rhs: arithmetic, bitwise, comparison, ., &&, || */ \
  X(UNARY)      /* op, lhs: - + ! ~ */                                         \
  X(PREINC)     /* op (++ or --), lhs */                                       \
  X(POSTINC)    /* op (++ or --), lhs */                                       \
  X(ASSIGN)     /* op (= += ... .= <<<), lhs, rhs */                           \
  X(TERNARY)    /* cond, lhs (then), rhs (else) */                             \
  X(IN)         /* args (keys; NULL entries mean '*'), name/sym: keys in a */  \
  X(REGEX)      /* op (=~ or !~), lhs, rhs (a STR) */                          \
  X(TARGET)     /* name "$var", comps, suffix, addr: target variable */        \
  X(TARGET_SYM) /* name "$$vars" etc, suffix: $$vars/$$parms/$$locals/$$return*/\
  X(CAST)       /* lhs (pointer), str (type), module, comps, suffix, addr */   \
  X(ATVAR)      /* str ("name@file"), module, comps, suffix, addr: @var */      \
  X(DEFINED)    /* lhs: @defined(expr) */                                      \
  X(ENTRY)      /* lhs: @entry(expr) */                                        \
  X(PROBEWRITE) /* name/sym: @probewrite(var) */                               \
  X(STATOP)     /* op (@count ...), lhs (a stats value) */                     \
  X(HIST)       /* op (@hist_log/@hist_linear), lhs, args (lo, hi, step), */   \
                /* rhs: the bucket number of @hist_log(s)[n], or NULL */      \
  X(EMBEDDED)   /* str: %{ C expression %} in tapsets / guru mode */      \
  X(CONST)      /* str: @const("NAME"), a C constant (tapsets / guru mode) */ \
  X(PERF)       /* str: @perf("NAME"), a perf counter's value (perf...counter) */

typedef enum AstExprKind {
#define X(k) EX_##k,
  AST_EXPR_KINDS(X)
#undef X
  EX__COUNT
} AstExprKind;

/* Operators, also the tokens that spell them (see lex.c). */
typedef enum AstOp {
  OP_NONE,
  /* binary */
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MOD, OP_SHL, OP_SHR, OP_USHR,
  OP_BAND, OP_BOR, OP_BXOR, OP_LAND, OP_LOR, OP_CONCAT,
  OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_MATCH, OP_NOMATCH,
  /* unary */
  OP_NEG, OP_PLUS, OP_NOT, OP_BNOT, OP_INC, OP_DEC,
  /* assignment */
  OP_ASSIGN, OP_ADD_ASSIGN, OP_SUB_ASSIGN, OP_MUL_ASSIGN, OP_DIV_ASSIGN,
  OP_MOD_ASSIGN, OP_SHL_ASSIGN, OP_SHR_ASSIGN, OP_USHR_ASSIGN, OP_AND_ASSIGN, OP_OR_ASSIGN,
  OP_XOR_ASSIGN, OP_CONCAT_ASSIGN, OP_AGG, /* <<< */
  /* statistic extractors */
  OP_COUNT, OP_SUM, OP_MIN, OP_MAX, OP_AVG, OP_VARIANCE, OP_HIST_LOG, OP_HIST_LINEAR,
  OP__COUNT
} AstOp;

const char *ast_op_spelling(AstOp op); /* "+", "<<<", "@count", ... */

/* One step of a target-variable access: ->field or [index]. */
typedef struct AstComp {
  enum { COMP_FIELD, COMP_INDEX } kind;
  const char *field; /* COMP_FIELD */
  AstExpr *index;    /* COMP_INDEX: a literal or an expression */
  SrcLoc loc;
} AstComp;

/* Pretty-printing suffix of a target value: $var$ or $var$$. */
typedef enum AstSuffix { SFX_NONE, SFX_PRETTY, SFX_DEEP } AstSuffix;

struct AstExpr {
  AstExprKind kind;
  AstType type;     /* filled by type inference */
  SrcLoc loc;       /* of the operator or the first token */
  AstOp op;
  int64_t num;      /* NUM */
  const char *str;  /* STR (unescaped bytes, see str_len), CAST type, ATVAR name, EMBEDDED code */
  size_t str_len;   /* STR: length (strings may hold NUL) */
  const char *raw;  /* STR: the literal as written, escapes kept (for -p1) */
  const char *name; /* VAR, INDEX, CALL, IN, TARGET, TARGET_SYM, PROBEWRITE */
  const char *module; /* CAST, ATVAR: optional module argument */
  AstExpr *lhs, *rhs, *cond;
  AstExpr **args;   /* INDEX keys, CALL arguments, IN keys, HIST parameters, @variance bits */
  int nargs;
  AstComp *comps;   /* TARGET, CAST, ATVAR; also VAR, INDEX, CALL and parenthesised
                       expressions ("autocast": x->field where x came from @cast) */
  int ncomps;
  AstSuffix suffix;
  bool addr;        /* &$var */
  bool paren;       /* written in parentheses (kept for -p1 fidelity only) */
  AstSym *sym;      /* resolved variable (VAR, INDEX, IN, foreach arrays) */
  AstFunc *func;    /* resolved function (CALL) */
  int ctx_id;       /* backend-assigned id of a resolved target access */
};

/* ---- statements ------------------------------------------------------------*/

#define AST_STMT_KINDS(X) \
  X(BLOCK)    /* body[n] */                                                   \
  X(EXPR)     /* expr */                                                      \
  X(IF)       /* cond, then, els */                                           \
  X(WHILE)    /* cond, then */                                                \
  X(FOR)      /* init (expr), cond, step (expr), then */                      \
  X(FOREACH)  /* see AstForeach */                                            \
  X(BREAK)                                                                    \
  X(CONTINUE)                                                                 \
  X(NEXT)                                                                     \
  X(RETURN)   /* expr (may be NULL) */                                        \
  X(DELETE)   /* expr: VAR, INDEX (args with NULL = '*'), or whole array */   \
  X(TRY)      /* then (try block), els (catch block), catch_var */            \
  X(NULL)     /* ; */                                                         \
  X(EMBEDDED) /* code: %{ %} body of an embedded-C function */

typedef enum AstStmtKind {
#define X(k) ST_##k,
  AST_STMT_KINDS(X)
#undef X
  ST__COUNT
} AstStmtKind;

typedef struct AstForeach {
  AstExpr *value;     /* VAR receiving the value, or NULL */
  AstExpr **keys;     /* VARs receiving the keys */
  int nkeys;
  int sort_col;       /* 0 = none, -1 = value, k = key k (1-based) */
  int sort_dir;       /* +1 ascending, -1 descending */
  AstExpr *array;     /* VAR naming the array (sym resolved), or a stats expr */
  AstExpr **slice;    /* optional slice a[k, *]; NULL entries mean '*' */
  int nslice;
  bool has_slice;
  AstExpr *limit;     /* or NULL */
  AstOp sort_aggr;    /* foreach (k in a @sum-): sort stats by this extractor */
} AstForeach;

struct AstStmt {
  AstStmtKind kind;
  SrcLoc loc;
  AstStmt **body;     /* BLOCK */
  int nbody;
  AstExpr *expr;      /* EXPR, RETURN, DELETE; FOR init */
  AstExpr *cond;      /* IF, WHILE, FOR */
  AstExpr *step;      /* FOR */
  AstStmt *then, *els;
  AstForeach *fe;     /* FOREACH */
  AstExpr *catch_var; /* TRY: VAR or NULL */
  const char *code;   /* EMBEDDED */
};

/* ---- declarations ----------------------------------------------------------*/

/* A variable: global, function parameter or local. */
typedef enum AstSymKind { SYM_GLOBAL, SYM_LOCAL, SYM_PARAM } AstSymKind;

struct AstSym {
  AstSymKind kind;
  const char *name;
  SrcLoc loc;          /* declaration or first use */
  AstType type;        /* scalar type, or the value type of an array */
  int arity;           /* 0 scalar, >0 array with this many keys, -1 unknown */
  AstType key_types[9];
  SrcLoc type_loc;     /* where type was first inferred (for messages) */
  SrcLoc key_loc[9];
  /* globals */
  int64_t maxsize;     /* global a[N]: 0 = default MAXMAPENTRIES */
  bool wrap;           /* global a% */
  bool is_private;
  AstExpr *init;       /* global x = literal */
  AstFile *file;       /* where declared */
  bool used;           /* referenced by code that is kept */
  bool written;        /* assigned somewhere (for stap's unread-global print) */
  bool read;
  bool from_cmdline;   /* -G set it */
  int index;           /* position in its owner's list */
};

typedef struct AstParam {
  const char *name;
  AstType type;        /* declared, or TY_UNKNOWN */
  SrcLoc loc;
} AstParam;

struct AstFunc {
  const char *name;
  SrcLoc loc;
  AstType ret;         /* declared, else inferred */
  bool ret_declared;
  AstParam *params;
  int nparams;
  AstStmt *body;       /* BLOCK, or EMBEDDED */
  bool embedded;       /* %{ %} body */
  unsigned pragmas;    /* FN_PRAGMA_* from the embedded body's comments */
  bool is_private;
  int64_t priority;    /* ':N' after the parameters (N > 0); 0 = none written */
  AstFile *file;
  /* elaboration */
  AstSym **locals;     /* parameters first, then locals */
  int nlocals;
  bool used;
  AstFunc *next_overload; /* same name, other arity */
  AstFunc *fallback;   /* same name and arity, next by priority: where its 'next' goes; NULL
                          when it has no 'next' or is the last (then 'next' is a runtime error) */
};

enum {
  FN_PRAGMA_PURE = 1 << 0,
  FN_PRAGMA_UNPRIVILEGED = 1 << 1,
  FN_PRAGMA_MYPROC_UNPRIVILEGED = 1 << 2,
  FN_PRAGMA_GURU = 1 << 3,
  FN_PRAGMA_UNMANGLED = 1 << 4,
  FN_PRAGMA_STRING = 1 << 5,
  FN_PRAGMA_GLOBAL_READ = 1 << 6,  /* pragma:read:NAME */
  FN_PRAGMA_GLOBAL_WRITE = 1 << 7,
  FN_PRAGMA_TAGGED_DEREF = 1 << 8,
  FN_PRAGMA_VMA = 1 << 9,
  FN_PRAGMA_UNWIND = 1 << 10,
  FN_PRAGMA_SYMBOLS = 1 << 11,
  FN_PRAGMA_LINES = 1 << 12,
};

/* One component of a probe point: name or name(arg). */
typedef struct AstPpComp {
  const char *name;    /* may contain '*' and '**' wildcards */
  AstExpr *arg;        /* NUM or STR literal, or NULL */
  SrcLoc loc;
} AstPpComp;

typedef struct AstProbePoint {
  AstPpComp *comps;
  int ncomps;
  bool optional;       /* ? */
  bool sufficient;     /* ! */
  AstExpr *cond;       /* if (expr), or NULL */
  SrcLoc loc;
} AstProbePoint;

typedef struct AstProbe {
  AstProbePoint **points;
  int npoints;
  AstStmt *body;       /* BLOCK */
  SrcLoc loc;
  AstFile *file;
  bool is_private;     /* private probe alias... */
  /* probe aliases only */
  bool is_alias;
  bool epilogue;       /* += */
  AstProbePoint **alias_names; /* probe NAME[, NAME] = targets */
  int nalias_names;
  AstStmt *epi_body;   /* 'probe A = B { prologue }, { epilogue }': the second block */
} AstProbe;

/* %{ ... %} at the top level of a file. */
typedef struct AstEmbed {
  const char *code;
  SrcLoc loc;
} AstEmbed;

struct AstFile {
  const char *path;
  uint32_t src;        /* index in the SrcSet */
  bool is_tapset;
  PtrVec globals;      /* AstSym* */
  PtrVec funcs;        /* AstFunc* */
  PtrVec probes;       /* AstProbe* (is_alias=false) */
  PtrVec aliases;      /* AstProbe* (is_alias=true) */
  PtrVec embeds;       /* AstEmbed* */
  /* elaboration */
  bool used;           /* a tapset file the script pulled in */
};

/* ---- the elaborated program ----------------------------------------------*/

/* A concrete probe after alias expansion and wildcard matching. */
typedef struct ElabProbe {
  AstProbePoint *point;    /* concrete point (literal components) */
  const char *pp;          /* its text, e.g. "kernel.trace(\"sched:sched_switch\")" */
  const char *derivation;  /* "a.b = begin <- a.b" as stap prints it */
  AstStmt *body;           /* prologues + user body + epilogues */
  AstExpr *cond;           /* combined condition, or NULL */
  AstSym **locals;
  int nlocals;
  AstProbe *origin;        /* the user probe it came from */
  int index;
  bool optional;           /* may fail to resolve in the backend */
} ElabProbe;

typedef struct ElabProgram {
  PtrVec files;    /* AstFile*: the user script first, then used tapsets */
  PtrVec globals;  /* AstSym* in use */
  PtrVec funcs;    /* AstFunc* in use */
  PtrVec probes;   /* ElabProbe* */
  PtrVec embeds;   /* AstEmbed* of used files */
  int ntapset_files; /* tapset files used */
} ElabProgram;

#endif

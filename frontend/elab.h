/* elab.h: pass 2's internal contract, shared by the elab*.c files only.
 *
 * fe_elaborate (elab.c) runs the phases in order, each in its own file:
 *   declarations   elab.c          name tables of functions, globals, aliases
 *   derivation     elab-alias.c    alias expansion, wildcards, ? ! and if
 *                  elab-family.c   the built-in probe point families (probes.def)
 *   copying        elab-copy.c     each derived probe gets its own body
 *   resolution     elab-resolve.c  symbols, calls, lazy tapset loading, statement checks
 *   optimisation   elab-opt.c      stap's elision of write-only locals and empty probes,
 *                                  usage, warnings, program lists
 *   types          elab-types.c    fixpoint inference; elab-builtin.c the print family
 *   printing       elab-print.c    -p2
 *   listing        elab-list.c     -l and -L: what each derived probe is listed as
 * Everything lives in the session arena.  Diagnostics go to s->diag; no phase
 * prints or exits.  Other components see only frontend.h and ast.h.
 */
#ifndef STAPJIT_ELAB_H
#define STAPJIT_ELAB_H

#include "frontend.h"

#define ELAB_MAX_ALIAS_DEPTH 32 /* nested alias expansions before giving up */
#define ELAB_MAX_SUGGEST 3      /* names offered by "did you mean" */

/* A string-keyed hash table whose values are lists (PtrVec*), in the arena. */
typedef struct ElabMap {
  const char **keys;
  PtrVec **vals;
  int cap, n;
} ElabMap;

PtrVec *elab_map_get(const ElabMap *m, const char *key);
/* Appends val to key's list, creating the list. */
void elab_map_add(Arena *a, ElabMap *m, const char *key, void *val);

/* A pointer-keyed hash table (one value per key), in the arena. */
typedef struct ElabPtrMap {
  const void **keys;
  void **vals;
  int cap, n;
} ElabPtrMap;

void *elab_ptrmap_get(const ElabPtrMap *m, const void *key); /* NULL if absent */
void elab_ptrmap_put(Arena *a, ElabPtrMap *m, const void *key, void *val);

/* One name of one probe alias: 'probe a.b, c = ...' gives two. */
typedef struct ElabAlias {
  AstProbe *probe;
  AstProbePoint *name;
  AstFile *file;
  int order;        /* declaration order, user file first */
  const char *text; /* "a.b = begin, end" once computed */
} ElabAlias;

/* Per derived probe, what the program lists do not keep. */
typedef struct ElabProbeInfo {
  PtrVec aliases;               /* ElabAlias* used to derive it, outermost first */
  AstFile *file;                /* the user file */
  const AstProbePoint *named;   /* the user's point that named aliases[0] (its suffix
                                   follows the alias name), or NULL without aliases */
} ElabProbeInfo;

/* Per function state, indexed by a side table (AstFunc has no spare field). */
typedef struct ElabFuncInfo {
  AstFunc *fn;
  int order;              /* declaration order over all files, user first */
  bool resolved;          /* body walked by the resolver */
  bool has_value_return;  /* some 'return EXPR' */
  bool impure;            /* has side effects beyond its locals */
  bool reached;           /* kept after optimisation */
  bool base;              /* reached from the probes */
  bool uonly;             /* kept only because of -u */
  PtrVec globals_read;    /* AstSym* named by an embedded body's pragma:read */
  PtrVec globals_written; /* ... and pragma:write */
} ElabFuncInfo;

/* Internal expected-type codes beyond AstType, for inference. */
enum {
  ELAB_WANT_NONE = 100, /* statement context: no value needed */
  ELAB_WANT_SCALAR,     /* a value: long or string */
  ELAB_WANT_VALUE,      /* any value, the type decided elsewhere */
};

typedef struct Elab {
  FeSession *s;
  Arena *a;
  DiagList *d;
  ElabProgram *prog;
  AstFile *user;
  PtrVec files;     /* AstFile*: user first, then every tapset */
  AstFile **by_src; /* source index -> file, for privacy and warnings */
  uint32_t nsrc;
  ElabMap funcs;          /* name -> AstFunc* in priority order */
  ElabMap globals;        /* name -> AstSym* in priority order */
  PtrVec aliases;         /* ElabAlias* */
  PtrVec finfo;           /* ElabFuncInfo* */
  ElabPtrMap finfo_by_fn; /* AstFunc* -> ElabFuncInfo* */
  PtrVec pinfo;           /* ElabProbeInfo*, parallel to prog->probes */
  PtrVec func_work;       /* AstFunc* waiting for the resolver */
  ElabMap reported;       /* "file:line:col:msg" of diagnostics already given */
  PtrVec forms;           /* ElabForm*: probes.def expanded (elab-family.c) */
  PtrVec uonly_globals;   /* AstSym* kept only because of -u */
  ElabPtrMap arity_at;    /* AstSym* -> SrcLoc* where its arity was set */
  bool last_dropped;      /* the last error/warning was a repeat: drop its notes */
} Elab;

/* elab.c */
ElabFuncInfo *elab_finfo(Elab *E, const AstFunc *fn);
AstFile *elab_file_of(const Elab *E, SrcLoc loc); /* NULL if not a script file */
bool elab_loc_is_tapset(const Elab *E, SrcLoc loc);
/* Reports once per (location, message): derived probes share code. */
void elab_error(Elab *E, SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void elab_warning(Elab *E, SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void elab_note(Elab *E, SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* " (did you mean: a, b?)" for the names among cands closest to name, or "". */
const char *elab_suggest(Elab *E, const char *name, const char *const *cands, int n);
/* The function a call from file `from` of name with nargs arguments runs
 * first: among the visible overloads, the lowest priority (langref 3.4),
 * then private ones of `from`, the user file's, the library's, then
 * declaration order.  Its AstFunc.fallback chain holds the ones 'next' runs. */
AstFunc *elab_lookup_func(Elab *E, const char *name, int nargs, AstFile *from);
AstSym *elab_lookup_global(Elab *E, const char *name, AstFile *from);
bool elab_is_number(const char *s); /* a -G value that a long accepts */

/* elab-alias.c: fills prog->probes and pinfo. */
void elab_derive_probes(Elab *E);
const char *elab_point_text(Elab *E, const AstProbePoint *pp, bool flags);

/* elab-family.c: matches a concrete point against the built-in families.
 * Appends the concrete points it denotes (wildcards expanded) to out and
 * returns how many; on a mismatch returns -1 and sets *fail_comp to the
 * first component that matched nothing, or to -2 for a wrong argument or
 * an out-of-range value (reported here unless quiet: optional points fail
 * silently). */
int elab_family_match(Elab *E, const AstProbePoint *pt, bool quiet, PtrVec *out, int *fail_comp);
/* Names of families' components at position pos after pt's first pos
 * components matched (for suggestions); returns the count. */
int elab_family_names_at(Elab *E, const AstProbePoint *pt, int pos, const char **out, int max);
bool elab_glob_match(const char *pat, const char *s);

/* elab-copy.c */
AstExpr *elab_copy_expr(Arena *a, const AstExpr *e);
AstStmt *elab_copy_stmt(Arena *a, const AstStmt *st);
AstProbePoint *elab_copy_point(Arena *a, const AstProbePoint *pp);

/* elab-resolve.c */
void elab_resolve(Elab *E);

/* elab-opt.c */
void elab_optimize(Elab *E);
bool elab_expr_has_side_effects(Elab *E, const AstExpr *e);
/* Calls fn on every expression under st (pre-order; children after fn). */
typedef void (*ElabExprFn)(void *ctx, AstExpr *e);
void elab_walk_stmt(AstStmt *st, ElabExprFn fn, void *ctx);
void elab_walk_expr(AstExpr *e, ElabExprFn fn, void *ctx);

/* elab-types.c: one round of inference over everything kept is repeated
 * until no type changes; the last round's leftovers are errors. */
typedef struct ElabTyper {
  Elab *E;
  bool changed; /* some type was learned this round */
  AstFunc *fn;  /* the function being walked, or NULL */
  ElabProbe *probe;
} ElabTyper;

void elab_infer_types(Elab *E);
/* Infers e's type given what its context wants (an AstType or ELAB_WANT_*);
 * reports a mismatch at e and returns the type found (TY_UNKNOWN if none). */
int elab_infer_expr(ElabTyper *T, AstExpr *e, int want);

/* elab-builtin.c: the print family. */
bool elab_is_print_builtin(const char *name);
void elab_check_builtin_call(Elab *E, AstExpr *call); /* arguments' number and literals */
int elab_infer_builtin(ElabTyper *T, AstExpr *call, int want);

#endif

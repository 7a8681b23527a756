/* frontend.h: the public face of pass 1 (parse) and pass 2 (elaborate).
 *
 * A FeSession is one compilation: it owns the arena every token, node, type
 * and string lives in, the source files and the diagnostics.  The driver
 * creates one, loads the user script, elaborates, prints diagnostics, and
 * hands the ElabProgram to ir/.  Functions here report the user's mistakes
 * as diagnostics and return -1 (or NULL) when any error was recorded; they
 * never print and never exit.
 */
#ifndef STAPJIT_FRONTEND_H
#define STAPJIT_FRONTEND_H

#include "ast.h"
#include "support.h"

#include <stdbool.h>
#include <stdio.h>

/* Kernel configuration lookup for %( CONFIG_X == "y" %): returns the value
 * ("y", "m", "42", "\"str\"") or NULL when the option is not set. */
typedef const char *(*FeKconfigFn)(void *ctx, const char *name);

typedef struct FeOptions {
  size_t sz;                 /* sizeof(FeOptions), so the struct can grow */
  const char *const *args;   /* script arguments: $1.. and @1.. */
  int nargs;
  const char *const *include_dirs; /* -I, searched after the tapset dir */
  int ninclude;
  const char *tapset_dir;    /* the library; NULL for none */
  const char *kernel_release;/* uname -r or -r KVER: kernel_vr */
  const char *arch;          /* "x86_64": arch */
  const char *runtime;       /* "bpf" or "kernel": runtime */
  const char *privilege;     /* "stapdev", "stapsys" or "stapusr" */
  bool guru;                 /* -g: embedded C allowed in user scripts */
  bool unoptimized;          /* -u: keep unused functions/globals/variables */
  bool unused_warnings;      /* warn about unused locals (stap does unless -w) */
  const char *const *gvars;  /* -G NAME=VALUE */
  int ngvars;
  FeKconfigFn kconfig;
  void *kconfig_ctx;
} FeOptions;

typedef struct FeSession {
  Arena *arena;
  SrcSet src;
  DiagList diag;
  FeOptions opt;
  AstFile *user;             /* the user script once loaded */
  PtrVec tapsets;            /* AstFile*: every parsed library file */
  PtrVec macros;             /* library @define macros (internal type) */
  bool tapsets_loaded;
  ElabProgram *prog;         /* after fe_elaborate */
  void *priv;                /* elaboration state */
} FeSession;

/* Creates a session; never NULL (allocation failure aborts). */
FeSession *fe_session_new(const FeOptions *opt);
void fe_session_free(FeSession *s);

/* Pass 1: lexes, preprocesses and parses source file `src` (from s->src).
 * Returns the file's tree, or NULL if a syntax error was recorded. */
AstFile *fe_parse(FeSession *s, uint32_t src, bool is_tapset);

/* Loads the user script from a file path ("-" = stdin) or, with is_text, from
 * the -e text itself.  Returns 0, or -1 with a diagnostic. */
int fe_load_user(FeSession *s, const char *path_or_text, bool is_text);

/* Registers the @define macros of one .stpm file (path) for every file
 * parsed after it.  Returns 0, or -1 with a diagnostic. */
int fe_load_macro_file(FeSession *s, const char *path);

/* Adds a library file made by the caller (name as messages show it; text
 * copied), used lazily like the tapset dir's.  0, or -1 with diagnostics. */
int fe_load_tapset_text(FeSession *s, const char *name, const char *text);

/* Parses every .stp/.stpm file in the tapset dir and -I dirs (once). */
int fe_load_tapsets(FeSession *s);

/* Pass 2: resolves, expands aliases, pulls in tapsets, infers types.
 * Returns 0 with s->prog set, or -1 (diagnostics recorded). */
int fe_elaborate(FeSession *s);

/* -p1: prints a file back as script text that parses to the same tree. */
void fe_print_file(FILE *out, const AstFile *f);
/* -p2: prints the elaborated program as stap's -p2 does; verbose>0 adds bodies. */
void fe_print_program(FILE *out, const ElabProgram *p, int verbose);
/* Prints one expression or statement (shared by both printers and by ir/). */
void fe_print_expr(StrBuf *b, const AstExpr *e);
void fe_print_stmt(StrBuf *b, const AstStmt *st, int indent);
/* The text of a probe point, e.g. kernel.function("x").return? */
void fe_print_probe_point(StrBuf *b, const AstProbePoint *pp);

/* Number of library files pulled in by the last fe_elaborate. */
int fe_library_files_used(const FeSession *s);

/* ---- -l and -L: the probe points a script's probes resolved to ----------
 *
 * stap lists a probe point by running passes 1 and 2 on "probe POINT {}"
 * and naming each derived probe: by the outermost alias it went through
 * (plus the suffix the user's point added), else by its concrete point.
 * Elaborate with FeOptions.unoptimized so that empty probes and unused
 * alias variables are kept, as stap -L does. */

typedef struct FeListed {
  const ElabProbe *probe; /* the derived probe; probe->point is the concrete point under any
                             alias, still holding the globs that only the backend resolves
                             (kernel.trace("sched:*"), kernel.function("vfs_*")) */
  const AstProbePoint *alias_name; /* what the listing shows, when via an alias: the alias's
                                      name and the user's suffix ("tt.randomize(1)"), without
                                      ?, ! or condition (arena); NULL without an alias: then
                                      the listing shows probe->point with them, as stap does */
  AstSym *const *vars; /* the script variables of the derived probe, in order (-L prints
                          them as name:type): the alias bodies' locals */
  int nvars;
} FeListed;

/* After fe_elaborate, whether or not it reported errors (listing mode
 * shows what did resolve): one entry per derived probe of s->prog, in
 * derivation order.  Returns the count (0 when s->prog is NULL) with *out
 * in the session's arena; never fails. */
int fe_list_probes(FeSession *s, const FeListed **out);

#endif

/* builtins.h: the runtime functions scripts call by name (library stapruntime).
 *
 * A tapset function whose embedded-C body holds the pragma
 * stapjit:builtin (or stapjit:builtin=NAME) is never compiled: a call to it
 * becomes an IR `builtin` naming a function of this table.  The table
 * (builtins.def, one line per function) is the only place a builtin's
 * signature is written: its name, its C function, its return and argument
 * types.  Executors look names up here and call the C function generically
 * (the interpreter through libffi); nothing dispatches on builtin names.
 *
 * Calling convention.  Every C function takes the RtCtx of the running
 * probe hit first, then the script's arguments in order: a long as int64_t,
 * a string as const char * (NUL-terminated, at most MAXSTRINGLEN-1 bytes).
 * It returns int64_t, void, or a string as const char *: either one of its
 * arguments or c->ret (MAXSTRINGLEN bytes), valid until the next call on c;
 * the caller copies it.  A script-level error (what stap reports as
 * "ERROR: msg" and try/catch can catch) is raised with rt_ctx_error; the
 * result is then meaningless.  Builtins never print except through the
 * RtCtx's output and warning streams.
 */
#ifndef STAPJIT_BUILTINS_H
#define STAPJIT_BUILTINS_H

#include "runtime.h"

#include <regex.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

enum { RT_BUILTIN_MAXARGS = 6, RT_REGEX_MAXGROUPS = 32 };

typedef enum RtBiType {
  RT_BI_VOID, /* no value (return type only) */
  RT_BI_LONG, /* int64_t */
  RT_BI_STR,  /* const char *, NUL-terminated */
} RtBiType;

/* What builtins see of the session and the probe hit.  The executor owns
 * it (rt_ctx_init/rt_ctx_fini), points out/warn at its streams and reads
 * the flags after each call. */
typedef struct RtCtx {
  size_t sz;           /* sizeof(RtCtx) */
  RtBuf *out;          /* the script's output: log() appends here */
  FILE *warn;          /* warn() writes "WARNING: msg\n" here (stderr) */
  char *ret;           /* MAXSTRINGLEN bytes: string results (malloc-owned) */
  char *errmsg;        /* MAXSTRINGLEN bytes: the message of the error raised (malloc-owned) */
  bool failed;         /* a script-level error was raised: errmsg holds it */
  bool exit_requested; /* exit() or abort() was called: the session is ending */
  bool aborted;        /* abort(): the probe hit stops now, no end probes run */
  int64_t warnings;    /* warn() calls so far */
  /* the last =~ of this probe hit (matched, ngroups) */
  bool match_ok;    /* it matched */
  int match_groups; /* subexpressions + 1 */
  regmatch_t match[RT_REGEX_MAXGROUPS];
  char *match_str; /* MAXSTRINGLEN bytes: the string it matched against (malloc-owned) */
  /* tokenize's state, kept across calls as stap keeps it in its context */
  char *tok_str;   /* MAXSTRINGLEN bytes (malloc-owned) */
  char *tok_start; /* next token starts here; NULL when the input is used up */
  char *tok_end;   /* the NUL ending tok_str's input */
  uint64_t seed;   /* randint's generator */
  const char *pp;  /* the probe point of the hit (pp()); set by whoever runs the probe */
} RtCtx;

/* Initialises c with buffers of MAXSTRINGLEN (rt_limits()) bytes; out and
 * warn may be NULL (output dropped).  Returns 0 or -ENOMEM. */
int rt_ctx_init(RtCtx *c, RtBuf *out, FILE *warn);
void rt_ctx_fini(RtCtx *c);
/* Forgets the per-hit state (the last match) at the start of a probe hit. */
void rt_ctx_begin_hit(RtCtx *c);
/* Raises a script-level error; a second error in the same call keeps the first. */
void rt_ctx_error(RtCtx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Clears the error (after the executor reported or caught it). */
void rt_ctx_clear_error(RtCtx *c);

/* ---- the table ----------------------------------------------------------- */

typedef struct RtBuiltin {
  const char *name; /* as the tapset pragma names it */
  void (*fn)(void); /* the C function, to cast to its real type or call through libffi */
  RtBiType ret;
  int nargs; /* script arguments (the RtCtx * is not counted) */
  RtBiType args[RT_BUILTIN_MAXARGS];
} RtBuiltin;

/* The entry named name, or NULL. */
const RtBuiltin *rt_builtin_find(const char *name);
int rt_builtin_count(void);
const RtBuiltin *rt_builtin_at(int i); /* 0 <= i < rt_builtin_count() */

/* ---- regular expressions (=~, !~) ------------------------------------------ */

/* Compiles pattern as a POSIX extended regex.  Returns 0, or -EINVAL with
 * regerror's text in errbuf. */
int rt_regex_compile(regex_t *re, const char *pattern, char *errbuf, size_t errlen);
/* s =~ re: returns whether it matched and, for matched()/ngroups(), records
 * the match in c (a failed match is recorded too: matched() then fails). */
bool rt_regex_match(RtCtx *c, const regex_t *re, const char *s);

/* ---- the C functions (builtins.def) ------------------------------------------ */

#define RT_BI_ARG_L int64_t
#define RT_BI_ARG_S const char *
#define RT_BI_RET_V void
#define RT_BI_RET_L int64_t
#define RT_BI_RET_S const char *

#define RT_BI_PARAMS0() RtCtx *c
#define RT_BI_PARAMS1(a) RtCtx *c, RT_BI_ARG_##a
#define RT_BI_PARAMS2(a, b) RtCtx *c, RT_BI_ARG_##a, RT_BI_ARG_##b
#define RT_BI_PARAMS3(a, b, d) RtCtx *c, RT_BI_ARG_##a, RT_BI_ARG_##b, RT_BI_ARG_##d

#define B(name, ret, n, ...) RT_BI_RET_##ret rt_bi_##name(RT_BI_PARAMS##n(__VA_ARGS__));
#include "builtins.def"
#undef B

/* ppfunc() of a probe point's text, into out (len bytes); backends that
 * know the point at compile time use it too. */
void rt_ppfunc(const char *pp, char *out, size_t len);

#endif

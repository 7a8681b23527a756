/* interp.h: the reference interpreter: runs IR on the host.
 *
 * It executes probe handlers and the script functions they call, with
 * SystemTap's semantics: 64-bit wrapping arithmetic, strings cut to
 * MAXSTRINGLEN-1 bytes, MAXACTION and MAXNESTING, try/catch, exit() and
 * abort().  Globals are runtime objects (runtime.h): one RtMap per array,
 * RtStat per statistic, plain cells for scalars.  Builtins are called
 * through libffi from the runtime's signature table (builtins.h); printf
 * goes through the runtime's format engine.  It is the executor of begin,
 * end, error and never probes, and the oracle for the backends.
 *
 * Sessions (begin probes, end probes, error counting, the display of unread
 * globals) are run.h's business: this file runs one probe hit at a time.
 * The module must outlive the interpreter and is never modified.
 */
#ifndef STAPJIT_INTERP_H
#define STAPJIT_INTERP_H

#include "ir.h"
#include "runtime.h"

typedef struct IrInterp IrInterp;

typedef struct IrInterpOptions {
  size_t sz;          /* sizeof(IrInterpOptions): the struct can grow */
  int64_t maxaction;  /* statements one probe hit may run (host probes: stap's
                         MAXACTION_INTERRUPTIBLE); < 0: 10000 */
  int64_t maxnesting; /* nested function calls; < 0: stap's default from the call graph */
  RtBuf *out;         /* the script's output (print, printf, log); not owned */
  FILE *warn;         /* warnings (warn()); NULL drops them */
  /* Where arrays live.  NULL: host hash tables.  A backend whose kernel
   * probes share the arrays passes a factory returning an RtMap over its
   * storage (a BPF map); the interpreter owns and frees what it returns. */
  RtMap *(*new_map)(void *map_ctx, const IrGlobal *g, int obj, const RtMapDesc *d);
  void *map_ctx;
  int stat_ncpus; /* CPU cells of a scalar statistic (host pushes go to cell 0); 0: 1 */
} IrInterpOptions;

typedef enum IrRunStatus {
  IR_RUN_OK,    /* the handler ended (return, next, or its end) */
  IR_RUN_ERROR, /* an uncaught runtime error: ir_interp_error says which */
  IR_RUN_ABORT, /* abort(): the session ends now */
} IrRunStatus;

/* A runtime error as stap reports it: "ERROR: <msg> near <where>". */
typedef struct IrRunError {
  const char *msg; /* the message; valid until the next run */
  SrcLoc loc;      /* the failing instruction's location; file 0 = none */
} IrRunError;

/* Prepares m to run: creates its globals with their initial values, parses
 * its formats, compiles its regular expressions, resolves its builtins in
 * the runtime table, and checks that host probes read no probe context.
 * Returns NULL with a diagnostic per problem in diag (at the construct) when
 * the module cannot run, or on allocation failure.  rt_limits() must hold
 * the session's limits already. */
IrInterp *ir_interp_new(const IrModule *m, const IrInterpOptions *opt, DiagList *diag);
void ir_interp_free(IrInterp *in);

/* Runs one hit of probe p's handler. */
IrRunStatus ir_interp_run_probe(IrInterp *in, const IrProbe *p);
/* The error of the last IR_RUN_ERROR. */
IrRunError ir_interp_error(const IrInterp *in);
/* exit() or abort() was called in some probe hit so far. */
bool ir_interp_exit_requested(const IrInterp *in);
/* The MAXNESTING in effect (the option, or the default computed from m). */
int64_t ir_interp_maxnesting(const IrInterp *in);

/* Appends stap's display of the unread globals (IrGlobal.display), in
 * declaration order: "x=5", "s=\"v\"", "a[1,\"k\"]=3" per element sorted by
 * value descending, "st @count=3 @min=1 @max=3 @sum=6 @avg=2".  Returns 0,
 * or -ENOMEM. */
int ir_interp_display_globals(IrInterp *in, RtBuf *out);

/* The runtime shape of a global, shared with the backends that store
 * globals themselves.  A statistic collects one object per histogram shape
 * (ir_global_nobj); object obj's description (histogram, @variance shift)
 * comes from ir_global_stat_desc (-EINVAL and err for a bad histogram; all
 * zero for a non-statistic); an array's from ir_global_map_desc, whose
 * string key and value slots are as wide as the module's str_bounds show
 * they must be (MAXSTRINGLEN without bounds). */
int ir_global_nobj(const IrGlobal *g);
int ir_global_stat_desc(const IrModule *m, const IrGlobal *g, int obj, RtStatDesc *out, RtErr *err);
RtMapDesc ir_global_map_desc(const IrModule *m, const IrGlobal *g, const RtStatDesc *stat);

/* The storage of scalar global g (by IrGlobal.id) for a backend that keeps
 * a copy of it between host probe hits: a long's cell, a string's
 * MAXSTRINGLEN buffer (NULL for a long), a statistic's object obj. */
int64_t *ir_interp_global_long(IrInterp *in, const IrGlobal *g);
char *ir_interp_global_str(IrInterp *in, const IrGlobal *g);
RtStat *ir_interp_global_stat(IrInterp *in, const IrGlobal *g, int obj);

/* -G NAME=VALUE: sets the scalar global the user script declares as NAME
 * (one the front end marked from_cmdline) before any probe runs; a number
 * for a long (C syntax: 10, -10, 0x1f), the text for a string.  Returns 0,
 * -ENOENT (no such global) or -EINVAL (an array, or not a number). */
int ir_interp_set_global(IrInterp *in, const char *assignment);

#endif

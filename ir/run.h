/* run.h: pass 5 on the host: a SystemTap session of begin, end, error and
 * never probes, run by the interpreter (interp.h).
 *
 * The session is stap's: begin probes in (sequence number, declaration)
 * order; then, unless exit() or abort() was called or errors ended the
 * session, it waits for SIGINT, SIGTERM or SIGHUP, as stap waits for an
 * interrupt (or for the -c command to exit, or -T); then end probes and the display of unread globals (an end
 * probe of sequence 0 after the script's), or error probes instead when
 * errors exceeded MAXERRORS.  Runtime errors are printed as stap prints
 * them ("ERROR: msg near operator '/' at t.stp:3:9"), and the count at the
 * end ("WARNING: Number of errors: N, skipped probes: 0").  Kernel probes
 * are not this file's: the caller refuses a module that has any.
 */
#ifndef STAPJIT_RUN_H
#define STAPJIT_RUN_H

#include "interp.h"

#include <signal.h>

typedef struct IrSession IrSession;

/* A backend's kernel probes, run by the session between its begin and its
 * end probes (stap's RUNNING state).  attach comes after the interpreter is
 * made (arrays created through new_map already live in the kernel) and
 * before the begin probes: kernel handlers must do nothing until run lets
 * them.  run copies what the begin probes wrote into the kernel, lets the
 * handlers go and delivers their events (through the ir_session_* calls
 * below) until exit(), a signal, too many errors or the backend's own end;
 * detach stops the handlers, delivers what is still buffered, detaches and
 * copies the kernel's scalars back for the end probes.  attach and detach
 * return 0 or -1 after printing why (on ir_session_err). */
typedef struct IrKernelPhase {
  void *ctx;
  RtMap *(*new_map)(void *ctx, const IrGlobal *g, int obj, const RtMapDesc *d);
  int stat_ncpus; /* CPU cells of scalar statistics */
  int (*attach)(void *ctx, IrSession *s, IrInterp *in);
  void (*run)(void *ctx, IrSession *s, IrInterp *in);
  int (*detach)(void *ctx, IrSession *s, IrInterp *in);
} IrKernelPhase;

/* For a kernel phase: the script's output buffer (flush after each batch);
 * where the session's messages go; reporting a runtime error of a kernel
 * handler as stap does (true when MAXERRORS is exceeded and the session must
 * stop); whether SIGINT/SIGTERM/SIGHUP arrived (consumed); the signals to
 * wait for (blocked during the session); ending the session as exit() does. */
RtBuf *ir_session_out(IrSession *s);
int ir_session_flush(IrSession *s);
FILE *ir_session_err(IrSession *s);
bool ir_session_error(IrSession *s, const char *msg, SrcLoc loc);
bool ir_session_interrupted(IrSession *s);
const sigset_t *ir_session_sigset(const IrSession *s);
void ir_session_exit(IrSession *s);
/* Probe hits the kernel skipped (counted in the closing warning, as stap's
 * "skipped probes"). */
void ir_session_skipped(IrSession *s, int64_t n);
bool ir_session_running(const IrSession *s);
/* The target command (-c) is let go: a kernel phase calls this once its
 * handlers run (after the begin probes), so that none of the command's
 * events is missed; later calls do nothing.  Returns 0, or -1 after printing
 * why.  ir_session_end_fd is a descriptor that becomes readable when the
 * command exits (the session then ends as exit() ends it), or -1. */
int ir_session_started(IrSession *s);
int ir_session_end_fd(const IrSession *s);

typedef struct IrRunOptions {
  size_t sz;                /* sizeof(IrRunOptions) */
  int64_t maxaction;        /* statements per host probe hit: MAXACTION_INTERRUPTIBLE (MAXACTION * 10) */
  int64_t maxnesting;       /* MAXNESTING; < 0: the default from the call graph */
  int64_t maxerrors;        /* MAXERRORS: errors tolerated before the session ends (0: the first ends it) */
  bool global_display;      /* print unread globals at the end (false: --no-global-var-display) */
  bool wait_for_signal;     /* false: do not wait after the begin probes (tests, -c-less batch use) */
  int64_t timeout_ms;       /* -T: stop waiting after this long (0: no limit); a kernel phase has its own */
  const char *const *gvars; /* -G NAME=VALUE, applied before the begin probes */
  int ngvars;
  FILE *out; /* the script's output; flushed after every probe hit */
  FILE *err; /* errors and warnings (stderr) */
  const IrKernelPhase *kernel; /* NULL: host probes only (waits for a signal when RUNNING) */
  RtTarget *target;            /* -c/-x (NULL: none): its command is started when the session is RUNNING
                                  (by the kernel phase once its handlers run, see ir_session_started)
                                  and its exit ends the session as exit() does */
} IrRunOptions;

/* Runs the session of m.  Returns 0 when it ran without runtime errors, 1
 * after runtime errors (reported on o->err), or -1 when m cannot run: the
 * reasons are diagnostics in diag (nothing ran) or, for a failed write of
 * the output, a message on o->err. */
int ir_run_session(const IrModule *m, const IrRunOptions *o, DiagList *diag);

/* "operator '/' at foo.stp:3:9": how stap names the token at loc in an error
 * ("identifier 'x'", "keyword", "operator '+='", "number '5'", "string 'q'").
 * Writes into buf (always NUL-terminated); returns buf. */
const char *ir_describe_loc(const SrcSet *src, SrcLoc loc, char *buf, size_t len);

#endif

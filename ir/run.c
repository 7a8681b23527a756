/* run.c: a host session: begin probes, waiting, end or error probes, the
 * display of unread globals, error accounting.
 *
 * The states are those of stap's generated module (STARTING, RUNNING,
 * STOPPING, ERROR): a begin probe runs only while the session is
 * STARTING, an end probe only while STOPPING, an error probe only in
 * ERROR.  exit() and abort() move to STOPPING at once, so begin probes
 * after them are skipped (stap's exit() sets the state, its begin probes
 * check it); abort() also ends its own probe hit, and as in stap the end
 * probes still run after it.  Each uncaught runtime error is printed and
 * counted; when the count exceeds MAXERRORS the session goes to ERROR,
 * which skips every later begin and end probe and runs the error probes
 * at shutdown.  The unread globals are shown by one more end probe of
 * sequence 0 after the script's own probes (what stap synthesises), so an
 * "end(10)" probe prints after them.  Output is flushed after every probe
 * hit, as stap flushes its print buffer.  This file prints only the
 * session's own messages (with the token at an error's location, named as
 * stap names it); the interpreter does the rest.
 */
#include "run.h"

#include <ctype.h>
#include <stddef.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

/* ---- naming the token at an error's location ----------------------------------------
 *
 * stap ends a runtime error with " near " and the token of the failing
 * statement or operator, printed by its token printer: the kind
 * ("identifier", "keyword", "operator", "number", "string"), then, except
 * for keywords, the text in single quotes (unprintable bytes as '?'), then
 * " at FILE:LINE:COL".  The IR keeps locations, not tokens, so the token is
 * re-scanned here from the source text with the language's lexical rules:
 * enough to tell the kinds apart and find an operator's longest spelling. */

static const char *const keywords[] = {
    "probe", "global", "function", "if",     "else",  "for",     "foreach",
    "in",    "limit",  "return",   "delete", "while", "break",   "continue",
    "next",  "string", "long",     "try",    "catch", "private", NULL,
};

/* Longest first, so the first prefix that matches is the token. */
static const char *const operators[] = {
    ">>>=", "<<<", ">>>", "<<=", ">>=", "==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=",
    "*=",   "/=",  "%=",  "&=",  "|=",  "^=", ".=", "<<", ">>", "->", "=~", "!~", "%{", "%}", NULL,
};

static bool ident_char(int c) { return isalnum(c) || c == '_' || c == '$' || c == '@'; }

/* The token's kind and its text's extent in line[col..]: kind as stap names it. */
static const char *scan(const char *line, size_t len, size_t col, size_t *tlen, bool *quoted_text) {
  const char *p = line + col;
  size_t rest = len - col;
  unsigned char c = (unsigned char)p[0];
  *quoted_text = true;
  if (isalpha(c) || c == '_' || c == '$' ||
      (c == '@' && rest > 1 && (isalpha((unsigned char)p[1]) || p[1] == '_'))) {
    size_t n = 1;
    while (n < rest && ident_char((unsigned char)p[n]) && p[n] != '@') n++;
    *tlen = n;
    if (c == '@') return "operator";
    for (const char *const *k = keywords; *k; k++)
      if (strlen(*k) == n && !strncmp(*k, p, n)) {
        *quoted_text = false;
        return "keyword";
      }
    return "identifier";
  }
  if (isdigit(c)) {
    size_t n = 1;
    while (n < rest && isalnum((unsigned char)p[n])) n++;
    *tlen = n;
    return "number";
  }
  if (c == '"') {
    size_t n = 1;
    while (n < rest && p[n] != '"') n += p[n] == '\\' && n + 1 < rest ? 2 : 1;
    *tlen = n < rest ? n + 1 : n;
    return "string";
  }
  for (const char *const *o = operators; *o; o++) {
    size_t n = strlen(*o);
    if (n <= rest && !strncmp(*o, p, n)) {
      *tlen = n;
      return "operator";
    }
  }
  *tlen = 1;
  return "operator";
}

const char *ir_describe_loc(const SrcSet *src, SrcLoc loc, char *buf, size_t len) {
  const SrcFile *f = src && loc.file ? srcset_get(src, loc.file) : NULL;
  if (!f || !loc.line || !loc.col) {
    snprintf(buf, len, "unknown location");
    return buf;
  }
  size_t llen = 0;
  const char *line = srcset_line(src, loc.file, loc.line, &llen);
  size_t col = loc.col - 1;
  if (!line || col >= llen) {
    snprintf(buf, len, "token at %s:%u:%u", f->path, loc.line, loc.col);
    return buf;
  }
  size_t tlen = 0;
  bool quoted = false;
  const char *kind = scan(line, llen, col, &tlen, &quoted);
  const char *text = line + col;
  if (*text == '"') { /* stap shows a string token's contents, without the quotes */
    text++;
    tlen = tlen >= 2 ? tlen - 2 : 0;
  }
  char shown[128];
  size_t n = tlen < sizeof shown - 1 ? tlen : sizeof shown - 1;
  for (size_t k = 0; k < n; k++) shown[k] = isprint((unsigned char)text[k]) ? text[k] : '?';
  shown[n] = '\0';
  if (quoted)
    snprintf(buf, len, "%s '%s' at %s:%u:%u", kind, shown, f->path, loc.line, loc.col);
  else
    snprintf(buf, len, "%s at %s:%u:%u", kind, f->path, loc.line, loc.col);
  return buf;
}

typedef enum RunState { ST_STARTING, ST_RUNNING, ST_STOPPING, ST_ERROR } RunState;

typedef struct IrSession {
  const IrModule *m;
  const IrRunOptions *o;
  IrInterp *in;
  RtBuf out;
  RunState state;
  int64_t errors;
  int64_t skipped; /* kernel probe hits skipped (reported by the kernel phase) */
  bool write_failed;
  sigset_t sigs; /* SIGINT, SIGTERM, SIGHUP: blocked, taken with sigwait or sigpending */
} Session;

/* ---- output ------------------------------------------------------------------------ */

static void flush(Session *s) {
  if (s->out.len && rt_buf_flush_file(&s->out, s->o->out) != 0) s->write_failed = true;
  if (fflush(s->o->out) != 0) s->write_failed = true;
}

static void print_error(Session *s, const char *msg, SrcLoc loc) {
  flush(s);
  if (loc.file) {
    char where[512];
    ir_describe_loc(s->m->src, loc, where, sizeof where);
    fprintf(s->o->err, "ERROR: %s near %s\n", msg, where);
  } else {
    fprintf(s->o->err, "ERROR: %s\n", msg);
  }
  fflush(s->o->err);
}

static void report_error(Session *s) {
  IrRunError e = ir_interp_error(s->in);
  print_error(s, e.msg, e.loc);
}

/* ---- probes ------------------------------------------------------------------------- */

static int by_seq(const void *a, const void *b) {
  const IrProbe *x = *(const IrProbe *const *)a, *y = *(const IrProbe *const *)b;
  if (x->seq != y->seq) return x->seq < y->seq ? -1 : 1;
  return (x->index > y->index) - (x->index < y->index);
}

/* The probes of one kind, in the order stap runs them; NULL-terminated. */
static const IrProbe **probes_of(const IrModule *m, IrProbeKind kind) {
  const IrProbe **v = calloc((size_t)m->nprobes + 1, sizeof *v);
  if (!v) return NULL;
  int n = 0;
  for (int k = 0; k < m->nprobes; k++)
    if (m->probes[k]->kind == kind && m->probes[k]->site == IR_SITE_HOST) v[n++] = m->probes[k];
  qsort(v, (size_t)n, sizeof *v, by_seq);
  return v;
}

/* A signal that asks the session to stop has arrived (and is consumed). */
static bool interrupted(Session *s) {
  sigset_t pending;
  if (sigpending(&pending) != 0) return false;
  for (int sig = 1; sig < NSIG; sig++)
    if (sigismember(&s->sigs, sig) && sigismember(&pending, sig)) {
      int got;
      sigset_t one;
      sigemptyset(&one);
      sigaddset(&one, sig);
      sigwait(&one, &got);
      return true;
    }
  return false;
}

/* One hit of p if the session is in state `when`. */
static void run_probe(Session *s, const IrProbe *p, RunState when) {
  if (s->state != when) return;
  IrRunStatus st = ir_interp_run_probe(s->in, p);
  flush(s);
  if (st == IR_RUN_ERROR) {
    report_error(s);
    if (++s->errors > s->o->maxerrors) s->state = ST_ERROR;
  }
  if (s->state != ST_ERROR && ir_interp_exit_requested(s->in)) s->state = ST_STOPPING;
  if (s->state == ST_STARTING && interrupted(s)) s->state = ST_STOPPING;
}

/* End probes with the display of unread globals among them (seq 0, last of
 * its sequence). */
static void run_end_probes(Session *s, const IrProbe **ends) {
  bool shown = !s->o->global_display;
  for (const IrProbe **p = ends;; p++) {
    if (!shown && (!*p || (*p)->seq > 0) && s->state == ST_STOPPING) {
      shown = true;
      if (ir_interp_display_globals(s->in, &s->out) != 0) s->write_failed = true;
      flush(s);
    }
    if (!*p) break;
    run_probe(s, *p, ST_STOPPING);
  }
}

/* ---- what a kernel phase uses ------------------------------------------------------------ */

RtBuf *ir_session_out(IrSession *s) { return &s->out; }
FILE *ir_session_err(IrSession *s) { return s->o->err; }
const sigset_t *ir_session_sigset(const IrSession *s) { return &s->sigs; }
bool ir_session_running(const IrSession *s) { return s->state == ST_RUNNING; }
bool ir_session_interrupted(IrSession *s) { return interrupted(s); }

int ir_session_flush(IrSession *s) {
  flush(s);
  return s->write_failed ? -EIO : 0;
}

bool ir_session_error(IrSession *s, const char *msg, SrcLoc loc) {
  print_error(s, msg, loc);
  if (++s->errors > s->o->maxerrors) s->state = ST_ERROR;
  return s->state == ST_ERROR;
}

void ir_session_skipped(IrSession *s, int64_t n) { s->skipped += n; }

void ir_session_exit(IrSession *s) {
  if (s->state == ST_RUNNING || s->state == ST_STARTING) s->state = ST_STOPPING;
}

static RtTarget *target_of(const IrSession *s) {
  return s->o->sz > offsetof(IrRunOptions, target) ? s->o->target : NULL;
}

int ir_session_started(IrSession *s) {
  int rc = rt_target_start(target_of(s));
  if (rc) fprintf(s->o->err, "ERROR: cannot start the -c command: %s\n", strerror(-rc));
  return rc ? -1 : 0;
}

int ir_session_end_fd(const IrSession *s) { return rt_target_end_fd(target_of(s)); }

/* ---- the session ------------------------------------------------------------------------- */

/* Until a signal, -T, or the -c command's exit (its pidfd). */
static void wait_for_signal_or_fd(Session *s, int fd, int64_t ms) {
  int sfd = signalfd(-1, &s->sigs, SFD_CLOEXEC | SFD_NONBLOCK);
  struct pollfd p[2] = {{.fd = fd, .events = POLLIN}, {.fd = sfd, .events = POLLIN}};
  int n;
  while ((n = poll(p, sfd >= 0 ? 2 : 1, ms > 0 ? (int)ms : -1)) < 0 && errno == EINTR) {
  }
  struct signalfd_siginfo si;
  if (n > 0 && sfd >= 0 && p[1].revents)
    while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
    }
  if (sfd >= 0) close(sfd);
}

static void wait_for_signal(Session *s) {
  int64_t ms = s->o->sz > offsetof(IrRunOptions, timeout_ms) ? s->o->timeout_ms : 0;
  int fd = ir_session_end_fd(s);
  if (fd >= 0) {
    wait_for_signal_or_fd(s, fd, ms);
    return;
  }
  if (ms > 0) {
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
    while (sigtimedwait(&s->sigs, NULL, &ts) < 0 && errno == EINTR) {
    }
    return;
  }
  int sig;
  while (sigwait(&s->sigs, &sig) != 0) {
  }
}

int ir_run_session(const IrModule *m, const IrRunOptions *o, DiagList *diag) {
  Session s = {.m = m, .o = o, .out = RT_BUF_INIT, .state = ST_STARTING};
  const IrKernelPhase *k = o->sz > offsetof(IrRunOptions, kernel) ? o->kernel : NULL;
  IrInterpOptions io = {.sz = sizeof io,
                        .maxaction = o->maxaction,
                        .maxnesting = o->maxnesting,
                        .out = &s.out,
                        .warn = o->err,
                        .new_map = k ? k->new_map : NULL,
                        .map_ctx = k ? k->ctx : NULL,
                        .stat_ncpus = k ? k->stat_ncpus : 1};
  s.in = ir_interp_new(m, &io, diag);
  if (!s.in) return -1;
  const IrProbe **begins = probes_of(m, IR_PROBE_BEGIN), **ends = probes_of(m, IR_PROBE_END),
                **errs = probes_of(m, IR_PROBE_ERROR);
  if (!begins || !ends || !errs) {
    fprintf(o->err, "stapjit: %s\n", strerror(ENOMEM));
    free(begins), free(ends), free(errs);
    ir_interp_free(s.in);
    return -1;
  }
  for (int k = 0; k < o->ngvars; k++)
    if (ir_interp_set_global(s.in, o->gvars[k]) == -EINVAL) /* -ENOENT: a global the script never uses */
      fprintf(o->err, "WARNING: -G %s: the value does not fit the global's type\n", o->gvars[k]);
  sigset_t old;
  sigemptyset(&s.sigs);
  sigaddset(&s.sigs, SIGINT);
  sigaddset(&s.sigs, SIGTERM);
  sigaddset(&s.sigs, SIGHUP);
  sigprocmask(SIG_BLOCK, &s.sigs, &old);

  bool attached = false;
  if (k && k->attach(k->ctx, &s, s.in) != 0) {
    sigprocmask(SIG_SETMASK, &old, NULL);
    free(begins), free(ends), free(errs);
    rt_buf_free(&s.out);
    ir_interp_free(s.in);
    return -1;
  }
  attached = k != NULL;
  for (const IrProbe **p = begins; *p; p++) run_probe(&s, *p, ST_STARTING);
  if (s.state == ST_STARTING) s.state = ST_RUNNING;
  if (s.state == ST_RUNNING && k)
    k->run(k->ctx, &s, s.in);
  else if (s.state == ST_RUNNING && ir_session_started(&s) == 0 && o->wait_for_signal)
    wait_for_signal(&s);
  if (s.state == ST_RUNNING) s.state = ST_STOPPING;
  bool detach_failed = attached && k->detach(k->ctx, &s, s.in) != 0; /* reported by detach */
  run_end_probes(&s, ends);
  for (const IrProbe **p = errs; *p; p++) run_probe(&s, *p, ST_ERROR);
  flush(&s);

  sigprocmask(SIG_SETMASK, &old, NULL);
  if (s.errors || s.skipped) {
    fprintf(o->err, "WARNING: Number of errors: %lld, skipped probes: %lld\n", (long long)s.errors,
            (long long)s.skipped);
    fflush(o->err);
  }
  if (s.write_failed) fprintf(o->err, "stapjit: error writing the script's output: %s\n", strerror(errno));
  free(begins), free(ends), free(errs);
  rt_buf_free(&s.out);
  ir_interp_free(s.in);
  if (s.write_failed || detach_failed) return -1;
  return s.errors ? 1 : 0;
}

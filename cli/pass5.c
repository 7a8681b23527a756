/* pass5.c: pass 5, as stapjit runs it after compiling and stapjit-run runs
 * it from a saved object: load the BPF object (if the module has kernel
 * probes), run the session, print what stap prints around it.
 *
 * One function for both programs, so that a saved object runs with the same
 * output, messages and exit status as the direct run.  It must not reach
 * the front end or LLVM (stapjit-run links it without them), and it ends
 * no process: it returns 0 or -1 and the caller's main exits.
 */
#include "pass5.h"
#include "run.h"
#include "runtime.h"

#include <errno.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

int64_t cli_limit_or(const CliOptions *o, CliLimit l, int64_t dflt) {
  return o->limit_set[l] ? o->limit[l] : dflt;
}

void cli_set_rt_limits(const CliOptions *o) {
  RtLimits l = *rt_limits();
  l.sz = sizeof l;
  l.maxstringlen = cli_limit_or(o, CLI_MAXSTRINGLEN, l.maxstringlen);
  l.maxmapentries = cli_limit_or(o, CLI_MAXMAPENTRIES, l.maxmapentries);
  l.hist_elision = cli_limit_or(o, CLI_HIST_ELISION, l.hist_elision);
  l.hist_width = cli_limit_or(o, CLI_HIST_WIDTH, l.hist_width);
  rt_limits_set(&l);
}

void cli_print_diags(const DiagList *d, const Diag **mark) {
  DiagList view = *d;
  view.head = *mark ? (*mark)->next : d->head;
  diag_print(&view, stderr);
  if (d->tail) *mark = d->tail;
}

static long ms_between(struct timeval a, struct timeval b) {
  return (long)(b.tv_sec - a.tv_sec) * 1000 + (long)(b.tv_usec - a.tv_usec) / 1000;
}

/* -v: "Pass 5: run completed in Nusr/Nsys/Nreal ms." since *ru0 and *t0. */
static void print_completed(const struct rusage *ru0, const struct timespec *t0) {
  struct rusage ru;
  struct timespec now;
  getrusage(RUSAGE_SELF, &ru);
  clock_gettime(CLOCK_MONOTONIC, &now);
  fprintf(stderr, "Pass 5: run completed in %ldusr/%ldsys/%ldreal ms.\n",
          ms_between(ru0->ru_utime, ru.ru_utime), ms_between(ru0->ru_stime, ru.ru_stime),
          (long)(now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000);
}

/* The session with target process t. */
static int run_session(const char *prog, const CliOptions *o, const IrModule *m, const BpfLayout *l,
                       const void *elf, size_t size, DiagList *diag, const Diag **mark, RtTarget *t) {
  BpfSession *bs = NULL;
  if (elf) {
    BpfSessionOptions so = {.sz = sizeof so,
                            .verbose = o->verbose,
                            .bufsize = (int64_t)o->bufsize_mb << 20,
                            .timeout_ms = (int64_t)(o->timeout_s * 1000),
                            .err = stderr};
    bs = bpfs_open(m, l, elf, size, &so, diag);
    cli_print_diags(diag, mark);
    if (!bs) {
      fputs("Pass 5: run failed.  [man error::pass5]\n", stderr);
      return -1;
    }
  }
  FILE *out = stdout;
  if (o->output_path && !(out = fopen(o->output_path, "w"))) {
    fprintf(stderr, "%s: cannot open %s: %s\n", prog, o->output_path, strerror(errno));
    bpfs_close(bs);
    return -1;
  }
  struct rusage ru0;
  struct timespec t0;
  getrusage(RUSAGE_SELF, &ru0);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (o->verbose) fputs("Pass 5: starting run.\n", stderr);
  int64_t maxaction = cli_limit_or(o, CLI_MAXACTION, 1000);
  IrRunOptions ro = {.sz = sizeof ro,
                     .maxaction = cli_limit_or(o, CLI_MAXACTION_INTERRUPTIBLE, maxaction * 10),
                     .maxnesting = cli_limit_or(o, CLI_MAXNESTING, -1),
                     .maxerrors = cli_limit_or(o, CLI_MAXERRORS, 0),
                     .global_display = !o->no_global_var_display,
                     .wait_for_signal = true,
                     .timeout_ms = (int64_t)(o->timeout_s * 1000),
                     .gvars = o->gvars,
                     .ngvars = o->ngvars,
                     .out = out,
                     .err = stderr,
                     .kernel = bs ? bpfs_phase(bs) : NULL,
                     .target = t};
  int rc = ir_run_session(m, &ro, diag);
  bpfs_close(bs);
  cli_print_diags(diag, mark);
  if (out != stdout && fclose(out) != 0) {
    fprintf(stderr, "%s: error writing %s: %s\n", prog, o->output_path, strerror(errno));
    rc = -1;
  }
  if (o->verbose && rc == 0) print_completed(&ru0, &t0);
  if (rc != 0) fputs("Pass 5: run failed.  [man error::pass5]\n", stderr);
  return rc == 0 ? 0 : -1;
}

/* -c's command is forked first (held until the probes run), so that
 * target() is known throughout, and reaped (or left running) after. */
int cli_run_pass5(const char *prog, const CliOptions *o, const IrModule *m, const BpfLayout *l,
                  const void *elf, size_t size, DiagList *diag, const Diag **mark) {
  RtTarget t;
  rt_target_init(&t);
  if (o->target_pid) rt_target_set_pid(&t, o->target_pid);
  if (o->target_cmd && rt_target_spawn(&t, o->target_cmd, stderr) != 0) {
    fputs("Pass 5: run failed.  [man error::pass5]\n", stderr);
    return -1;
  }
  int rc = run_session(prog, o, m, l, elf, size, diag, mark, &t);
  if (rt_target_finish(&t, stderr) != 0) rc = -1;
  return rc;
}

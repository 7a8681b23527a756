/* builtins-ctx.c: context functions as they answer in a probe that runs on
 * the host (begin, end, error): the process running the probe is stapjit
 * itself, as stap's begin and end probes run in the context of its own
 * staprun/stapio process.  Kernel probes get these values from the
 * backend, not from here. */
#include "builtins.h"

#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int64_t rt_bi_pid(RtCtx *c) { return (void)c, getpid(); }
int64_t rt_bi_tid(RtCtx *c) { return (void)c, (int64_t)syscall(SYS_gettid); }
int64_t rt_bi_ppid(RtCtx *c) { return (void)c, getppid(); }
int64_t rt_bi_uid(RtCtx *c) { return (void)c, getuid(); }
int64_t rt_bi_gid(RtCtx *c) { return (void)c, getgid(); }
int64_t rt_bi_euid(RtCtx *c) { return (void)c, geteuid(); }
int64_t rt_bi_egid(RtCtx *c) { return (void)c, getegid(); }

int64_t rt_bi_cpu(RtCtx *c) {
  (void)c;
  int n = sched_getcpu();
  return n < 0 ? 0 : n;
}

/* The kernel's comm: at most 15 bytes of the program's name. */
const char *rt_bi_execname(RtCtx *c) {
  char comm[16] = "";
  FILE *f = fopen("/proc/self/comm", "r");
  if (f) {
    if (fgets(comm, sizeof comm, f)) comm[strcspn(comm, "\n")] = 0;
    fclose(f);
  }
  snprintf(c->ret, (size_t)rt_limits()->maxstringlen, "%s", comm);
  return c->ret;
}

int64_t rt_bi_ktime_get_ns(RtCtx *c) {
  (void)c;
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* target(): the session's -c command or -x process (target.c). */
int64_t rt_bi_target(RtCtx *c) { return (void)c, rt_target(); }

/* jiffies: the kernel's tick counter, which /proc/timer_list shows (root
 * only); the host has no other way to read it. */
int64_t rt_bi_jiffies(RtCtx *c) {
  FILE *f = fopen("/proc/timer_list", "r");
  char line[256];
  int64_t v = -1;
  while (f && v < 0 && fgets(line, sizeof line, f))
    if (!strncmp(line, "jiffies: ", 9)) v = strtoll(line + 9, NULL, 10);
  if (f) fclose(f);
  if (v < 0) {
    rt_ctx_error(c, "jiffies cannot be read on the host (/proc/timer_list)");
    return 0;
  }
  return v;
}

/* ---- memory reads ----------------------------------------------------------------------
 *
 * A begin or end probe has no probed task or kernel context whose memory an
 * address could name, so every read faults, with the messages of stap's
 * conversions tapsets; the user_* number readers give 0 on a fault, as
 * stap's do. */

static const char *kfault(RtCtx *c, const char *what, int64_t addr) {
  rt_ctx_error(c, "kernel %s copy fault at 0x%llx [man error::fault]", what, (unsigned long long)addr);
  c->ret[0] = 0;
  return c->ret;
}

const char *rt_bi_kernel_string(RtCtx *c, int64_t addr) { return kfault(c, "string", addr); }
const char *rt_bi_kernel_string_n(RtCtx *c, int64_t addr, int64_t n) { return (void)n, kfault(c, "string", addr); }

const char *rt_bi_user_string_n(RtCtx *c, int64_t addr, int64_t n) {
  (void)n;
  rt_ctx_error(c, "user string copy fault %d at 0x%llx [man error::fault]", -14, (unsigned long long)addr);
  c->ret[0] = 0;
  return c->ret;
}

int64_t rt_bi_kernel_long(RtCtx *c, int64_t addr) { return kfault(c, "long", addr), 0; }
int64_t rt_bi_kernel_int(RtCtx *c, int64_t addr) { return kfault(c, "int", addr), 0; }
int64_t rt_bi_kernel_short(RtCtx *c, int64_t addr) { return kfault(c, "short", addr), 0; }
int64_t rt_bi_kernel_char(RtCtx *c, int64_t addr) { return kfault(c, "char", addr), 0; }
int64_t rt_bi_user_long(RtCtx *c, int64_t addr) { return (void)c, (void)addr, 0; }
int64_t rt_bi_user_int(RtCtx *c, int64_t addr) { return (void)c, (void)addr, 0; }
int64_t rt_bi_user_short(RtCtx *c, int64_t addr) { return (void)c, (void)addr, 0; }
int64_t rt_bi_user_char(RtCtx *c, int64_t addr) { return (void)c, (void)addr, 0; }

/* ---- the probe point and the stack ----------------------------------------------------- */

const char *rt_bi_pp(RtCtx *c) {
  snprintf(c->ret, (size_t)rt_limits()->maxstringlen, "%s", c->pp ? c->pp : "");
  return c->ret;
}

/* begin/end/error probes run in stapjit's own process, not in a kernel
 * context that a backtrace could walk: the stack is empty. */
const char *rt_bi_backtrace(RtCtx *c) {
  c->ret[0] = 0;
  return c->ret;
}

void rt_bi_print_backtrace(RtCtx *c) { (void)c; }

/* ppfunc(): the function named in the probe point, as stap's tapset parses
 * it: the text after function(" or statement(", up to '@' or '"'; "" when
 * the point names none. */
void rt_ppfunc(const char *pp, char *out, size_t len) {
  const char *p = pp ? strstr(pp, "function(\"") : NULL;
  size_t skip = 10;
  if (!p && pp) p = strstr(pp, "statement(\""), skip = 11;
  size_t n = 0;
  if (p)
    for (p += skip; *p && *p != '@' && *p != '"' && n + 1 < len; p++) out[n++] = *p;
  if (len) out[n] = 0;
}

const char *rt_bi_ppfunc(RtCtx *c) {
  rt_ppfunc(c->pp, c->ret, (size_t)rt_limits()->maxstringlen);
  return c->ret;
}

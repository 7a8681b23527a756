/* attach.c: probe points of the BPF backend, from their text.
 *
 * The IR keeps a probe point as its printed text ("kernel.trace(\"sched:
 * sched_switch\")", "timer.ms(100)"), so this parses that text: dotted
 * components, each with an optional argument in parentheses, a string
 * argument in double quotes.  What each family means follows stapprobes(3):
 *   timer.jiffies(N) timer.s/sec/ms/msec/us/usec/ns/nsec(N) timer.hz(N):
 *     an interval timer on one CPU (a perf cpu-clock event on CPU 0);
 *   timer.profile.tick, timer.profile.freq.hz(N): every CPU, at CONFIG_HZ
 *     or N Hz;
 *   perf.sw.NAME / perf.hw.NAME / perf.type(T).config(C), with .sample(N)
 *     (default 1000000) or .hz(N): every CPU, system wide;
 *   kernel.trace("SYS:EVENT");
 *   kernel.function("F"), module("M").function("F"), kprobe.function("F"),
 *     kprobe.module("M").function("F"), each with .call (the same as none)
 *     or .return: a kprobe or kretprobe on every function the fnmatch
 *     pattern F names (session.c resolves it; kbtf.c lists the functions).
 *     Forms that need DWARF (F@FILE:LINE, .inline, .label, .callee,
 *     .statement) and .maxactive are refused with a reason.
 */
#include "bpfload.h"

#include <ctype.h>
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

typedef struct Comp {
  char name[32];
  char arg[192];
  bool has_arg;
  bool str;
} Comp;

/* Splits pp into at most max components; returns the count or -EINVAL. */
static int split(const char *pp, Comp *c, int max) {
  int n = 0;
  const char *p = pp;
  while (*p) {
    if (n == max) return -EINVAL;
    Comp *k = &c[n++];
    memset(k, 0, sizeof *k);
    size_t len = 0;
    while (*p && (isalnum((unsigned char)*p) || *p == '_' || *p == '*')) {
      if (len + 1 < sizeof k->name) k->name[len++] = *p;
      p++;
    }
    if (!len) return -EINVAL;
    if (*p == '(') {
      p++;
      k->has_arg = true;
      len = 0;
      if (*p == '"') {
        k->str = true;
        p++;
        while (*p && *p != '"') {
          if (*p == '\\' && p[1]) p++;
          if (len + 1 < sizeof k->arg) k->arg[len++] = *p;
          p++;
        }
        if (*p++ != '"') return -EINVAL;
      } else {
        while (*p && *p != ')')
          if (len + 1 < sizeof k->arg)
            k->arg[len++] = *p++;
          else
            p++;
      }
      if (*p++ != ')') return -EINVAL;
    }
    if (*p == '.') p++;
    else if (*p) return -EINVAL;
  }
  return n;
}

static bool num(const Comp *c, uint64_t *v) {
  if (!c->has_arg || c->str) return false;
  char *end;
  errno = 0;
  unsigned long long x = strtoull(c->arg, &end, 0);
  if (errno || end == c->arg || *end) return false;
  *v = x;
  return true;
}

/* CONFIG_HZ=N in a kernel configuration file, plain or gzip'd; 0 if absent. */
static int config_hz(const char *path) {
  gzFile f = gzopen(path, "rb");
  if (!f) return 0;
  char line[256];
  int hz = 0;
  while (!hz && gzgets(f, line, sizeof line))
    if (!strncmp(line, "CONFIG_HZ=", 10)) hz = atoi(line + 10);
  gzclose(f);
  return hz > 0 ? hz : 0;
}

int battach_kernel_hz(void) {
  static int hz;
  if (hz) return hz;
  struct utsname u;
  char path[300] = "";
  if (uname(&u) == 0) snprintf(path, sizeof path, "/boot/config-%s", u.release);
  if (path[0]) hz = config_hz(path);
  if (!hz) hz = config_hz("/proc/config.gz");
  if (!hz) hz = 250; /* Debian's and most distributions' */
  return hz;
}

static int none(BattachSpec *s, const char *pp, const char *why) {
  s->kind = BATT_NONE;
  snprintf(s->why, sizeof s->why, "probe point %s: %s", pp, why);
  return 0;
}

typedef struct PerfName {
  const char *name;
  uint32_t config;
} PerfName;

static const PerfName sw_events[] = {
    {"cpu_clock", PERF_COUNT_SW_CPU_CLOCK},
    {"task_clock", PERF_COUNT_SW_TASK_CLOCK},
    {"page_faults", PERF_COUNT_SW_PAGE_FAULTS},
    {"context_switches", PERF_COUNT_SW_CONTEXT_SWITCHES},
    {"cpu_migrations", PERF_COUNT_SW_CPU_MIGRATIONS},
    {"page_faults_min", PERF_COUNT_SW_PAGE_FAULTS_MIN},
    {"page_faults_maj", PERF_COUNT_SW_PAGE_FAULTS_MAJ},
    {"alignment_faults", PERF_COUNT_SW_ALIGNMENT_FAULTS},
    {"emulation_faults", PERF_COUNT_SW_EMULATION_FAULTS},
}, hw_events[] = {
    {"cpu_cycles", PERF_COUNT_HW_CPU_CYCLES},
    {"instructions", PERF_COUNT_HW_INSTRUCTIONS},
    {"cache_references", PERF_COUNT_HW_CACHE_REFERENCES},
    {"cache_misses", PERF_COUNT_HW_CACHE_MISSES},
    {"branch_instructions", PERF_COUNT_HW_BRANCH_INSTRUCTIONS},
    {"branch_misses", PERF_COUNT_HW_BRANCH_MISSES},
    {"bus_cycles", PERF_COUNT_HW_BUS_CYCLES},
    {"stalled_cycles_frontend", PERF_COUNT_HW_STALLED_CYCLES_FRONTEND},
    {"stalled_cycles_backend", PERF_COUNT_HW_STALLED_CYCLES_BACKEND},
    {"ref_cpu_cycles", PERF_COUNT_HW_REF_CPU_CYCLES},
};

enum { NSW = sizeof sw_events / sizeof *sw_events, NHW = sizeof hw_events / sizeof *hw_events };

/* The config of the perf event called name in table t (n entries). */
static bool perf_event_named(const PerfName *t, size_t n, const char *name, uint64_t *config) {
  for (size_t j = 0; j < n; j++)
    if (!strcmp(t[j].name, name)) {
      *config = t[j].config;
      return true;
    }
  return false;
}

/* perf.*: the event, then [.sample(N)|.hz(N)]. */
static int parse_perf(const char *pp, Comp *c, int n, BattachSpec *s) {
  int k = 1;
  s->kind = BATT_PERF;
  s->period = 1000000;
  bool sw = n >= 3 && !strcmp(c[1].name, "sw"), hw = n >= 3 && !strcmp(c[1].name, "hw");
  if (sw || hw) {
    s->perf_type = sw ? PERF_TYPE_SOFTWARE : PERF_TYPE_HARDWARE;
    if (!perf_event_named(sw ? sw_events : hw_events, sw ? NSW : NHW, c[2].name, &s->perf_config))
      return none(s, pp, sw ? "unknown software perf event" : "unknown hardware perf event");
    k = 3;
  } else if (n >= 3 && !strcmp(c[1].name, "type") && !strcmp(c[2].name, "config")) {
    uint64_t t, cf;
    if (!num(&c[1], &t) || !num(&c[2], &cf)) return -EINVAL;
    s->perf_type = (uint32_t)t;
    s->perf_config = cf;
    k = 3;
  } else {
    return none(s, pp, "unknown perf event");
  }
  for (; k < n; k++) {
    uint64_t v;
    if (!strcmp(c[k].name, "sample") && num(&c[k], &v) && v > 0) {
      s->period = v;
      s->freq = false;
    } else if (!strcmp(c[k].name, "hz") && num(&c[k], &v) && v > 0) {
      s->period = v;
      s->freq = true;
    } else if (!strcmp(c[k].name, "process") || !strcmp(c[k].name, "counter")) {
      return none(s, pp, "perf probes on a process or read as counters are not supported by the bpf backend yet");
    } else {
      return -EINVAL;
    }
  }
  return 0;
}

static int parse_timer(const char *pp, Comp *c, int n, BattachSpec *s) {
  static const struct {
    const char *unit;
    uint64_t ns;
  } units[] = {{"s", 1000000000ull}, {"sec", 1000000000ull}, {"ms", 1000000ull}, {"msec", 1000000ull},
               {"us", 1000ull},      {"usec", 1000ull},      {"ns", 1ull},       {"nsec", 1ull}};
  s->kind = BATT_PERF;
  s->perf_type = PERF_TYPE_SOFTWARE;
  s->perf_config = PERF_COUNT_SW_CPU_CLOCK;
  if (n >= 2 && !strcmp(c[1].name, "profile")) {
    uint64_t hz = (uint64_t)battach_kernel_hz();
    if (n == 4 && !strcmp(c[2].name, "freq") && !strcmp(c[3].name, "hz") && num(&c[3], &hz) && hz > 0) {
    } else if (!(n == 2 || (n == 3 && !strcmp(c[2].name, "tick")))) {
      return -EINVAL;
    }
    s->period = 1000000000ull / hz;
    return 0;
  }
  if (n > 3 || (n == 3 && strcmp(c[2].name, "randomize"))) return -EINVAL;
  if (n == 3) return none(s, pp, "randomized timers are not supported by the bpf backend yet");
  uint64_t v;
  if (n < 2 || !num(&c[1], &v) || v == 0) return -EINVAL;
  s->one_cpu = true;
  if (!strcmp(c[1].name, "jiffies")) {
    s->period = v * (1000000000ull / (uint64_t)battach_kernel_hz());
    return 0;
  }
  if (!strcmp(c[1].name, "hz")) {
    s->period = 1000000000ull / v;
    return 0;
  }
  for (size_t k = 0; k < sizeof units / sizeof *units; k++)
    if (!strcmp(c[1].name, units[k].unit)) {
      s->period = v * units[k].ns;
      return 0;
    }
  return -EINVAL;
}

/* kernel.function(F), module(M).function(F), kprobe.function(F),
 * kprobe.module(M).function(F), then [.call|.return]. */
static int parse_kfunc(const char *pp, Comp *c, int n, BattachSpec *s) {
  int k = 1;
  if (!strcmp(c[0].name, "module") || (!strcmp(c[0].name, "kprobe") && n > 1 && !strcmp(c[1].name, "module"))) {
    int m = c[0].name[0] == 'm' ? 0 : 1;
    if (!c[m].str || !c[m].arg[0]) return -EINVAL;
    if (strpbrk(c[m].arg, "*?["))
      return none(s, pp, "module name patterns are not supported by the bpf backend yet");
    if (strlen(c[m].arg) >= sizeof s->kmodule) return none(s, pp, "the module name is too long");
    snprintf(s->kmodule, sizeof s->kmodule, "%.63s", c[m].arg);
    k = m + 1;
  }
  if (k >= n || strcmp(c[k].name, "function") || !c[k].str || !c[k].arg[0]) return -EINVAL;
  if (strpbrk(c[k].arg, "@:"))
    return none(s, pp, "functions named by source file or line need DWARF, which the bpf backend does not read");
  if (strlen(c[k].arg) >= sizeof s->kfunc) return none(s, pp, "the function name is too long");
  snprintf(s->kfunc, sizeof s->kfunc, "%.127s", c[k].arg);
  s->kind = BATT_KPROBE;
  s->kprobe_ns = !strcmp(c[0].name, "kprobe");
  if (++k == n) return 0;
  if (k + 1 == n && !c[k].has_arg && !strcmp(c[k].name, "call")) return 0;
  if (k + 1 == n && !c[k].has_arg && !strcmp(c[k].name, "return")) {
    s->kret = true;
    return 0;
  }
  if (!strcmp(c[k].name, "return") && k + 2 == n && !strcmp(c[k + 1].name, "maxactive"))
    return none(s, pp, ".maxactive(N) is not supported by the bpf backend yet");
  return none(s, pp, "this kind of kernel.function probe point needs DWARF, which the bpf backend does not read");
}

int battach_parse(const char *pp, BattachSpec *s) {
  memset(s, 0, sizeof *s);
  Comp c[8] = {0};
  int n = split(pp, c, 8);
  if (n <= 0) return -EINVAL;
  if (!strcmp(c[0].name, "timer")) return parse_timer(pp, c, n, s);
  if (!strcmp(c[0].name, "perf")) return parse_perf(pp, c, n, s);
  if (n == 2 && !strcmp(c[0].name, "kernel") && !strcmp(c[1].name, "trace") && c[1].str) {
    const char *colon = strchr(c[1].arg, ':');
    s->kind = BATT_TRACEPOINT;
    if (colon) {
      snprintf(s->system, sizeof s->system, "%.*s", (int)(colon - c[1].arg), c[1].arg);
      snprintf(s->event, sizeof s->event, "%.127s", colon + 1);
    } else {
      snprintf(s->system, sizeof s->system, "*");
      snprintf(s->event, sizeof s->event, "%.127s", c[1].arg);
    }
    return 0;
  }
  if (n >= 2 && ((!strcmp(c[0].name, "kernel") && !strcmp(c[1].name, "function")) ||
                 (!strcmp(c[0].name, "kprobe") && (!strcmp(c[1].name, "function") || !strcmp(c[1].name, "module"))) ||
                 (!strcmp(c[0].name, "module") && !strcmp(c[1].name, "function"))))
    return parse_kfunc(pp, c, n, s);
  return none(s, pp, "the bpf backend cannot attach this kind of probe point yet");
}

const char *battach_section(const BattachSpec *s, char *buf, size_t len) {
  if (s->kind == BATT_TRACEPOINT && !strpbrk(s->system, "*?[") && !strpbrk(s->event, "*?["))
    snprintf(buf, len, "tracepoint/%s/%s", s->system, s->event);
  else if (s->kind == BATT_TRACEPOINT)
    snprintf(buf, len, "tracepoint");
  else if (s->kind == BATT_KPROBE)
    snprintf(buf, len, "kprobe"); /* libbpf: BPF_PROG_TYPE_KPROBE; session.c attaches it */
  else
    snprintf(buf, len, "perf_event");
  return buf;
}

/* session.c: pass 5 on the BPF backend: load the object, attach its
 * programs, deliver the ring buffer's records, detach.
 *
 * The host session (ir/run.h) runs begin and end probes in the interpreter
 * and calls this file's kernel phase around them:
 *   open    load the object (the verifier runs here, before anything runs;
 *           a rejection names the script line from the BTF line info);
 *   attach  attach every program while the control block says STARTING,
 *           so handlers return at once;
 *   run     copy the scalars the begin probes wrote into the kernel, say
 *           RUNNING, let -c's command go (ir_session_started), then wait
 *           on the ring buffer, the signals and the command's exit together
 *           (epoll over the ring buffer's fd, a signalfd and a pidfd),
 *           formatting records as they come, in batches, until exit(), a
 *           signal, MAXERRORS, -T or the command's end;
 *   detach  say STOPPING, destroy every link and perf event, deliver what is
 *           still buffered, copy the scalars back, report lost records.
 * The control block (stp_ctl) is mmap'ed, so that the host stores the state
 * alone while handlers add to the counters beside it; every record is
 * either delivered or counted lost there.  Arrays are not copied: the
 * interpreter's arrays are bmaps over the object's maps (map-bpf.c).  Links
 * are destroyed on every exit path that returns; a process killed outright
 * loses its fds, and with them every attachment, since nothing here is
 * pinned (tests/bpf/live checks each way out with bpftool).
 *
 * Test only: STAPJIT_TEST_HOLD_READER (any value) keeps the reader from
 * taking records until the session ends, so that a test can overflow the
 * ring buffer by a count it controls.
 */
#include "bpfload.h"
#include "run.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fnmatch.h>
#include <linux/perf_event.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

struct BpfSession {
  const IrModule *m;
  const BpfLayout *l;
  BpfSessionOptions o;
  struct bpf_object *obj;
  int ncpus;
  int ctl_fd, glob_fd;
  BpfCtl *ctl;     /* stp_ctl's value, mmap'ed (BPF_F_MMAPABLE); NULL: through syscalls */
  size_t ctl_size; /* of the mapping */
  struct bpf_link **links;
  int nlinks, cap_links;
  int *pfds; /* perf event fds */
  int npfds, cap_pfds;
  struct ring_buffer *rb;
  RtFormat **formats; /* by IrFormat.id */
  IrSession *s;       /* during run and detach */
  bool exit_seen;
  bool stop;
  int batch; /* records delivered by the current ring_buffer__consume (RUN_BATCH) */
  int64_t error_records;
  IrKernelPhase phase;
  RtArg *args;
  int cap_args;
  RtKsyms *ksyms; /* kernel symbols, for print_backtrace, loaded when first needed */
  bool ksyms_failed;
};

/* ---- libbpf's messages: kept, for the verifier's log ---------------------------------- */

static char *log_buf;
static size_t log_len, log_cap;

/* Whole messages: libbpf prints a verifier's log (megabytes with -vv) in one
 * call, and its end marker must survive for verifier_reason. */
static int capture(enum libbpf_print_level level, const char *fmt, va_list ap) {
  if (level == LIBBPF_DEBUG) return 0;
  va_list aq;
  va_copy(aq, ap);
  int n = vsnprintf(NULL, 0, fmt, aq);
  va_end(aq);
  if (n <= 0) return 0;
  size_t len = (size_t)n;
  if (log_len + len + 1 > log_cap) {
    size_t nc = (log_cap ? log_cap * 2 : 65536) + len;
    char *nb = realloc(log_buf, nc);
    if (!nb) return 0;
    log_buf = nb;
    log_cap = nc;
  }
  vsnprintf(log_buf + log_len, len + 1, fmt, ap);
  log_len += len;
  return 0;
}

static void log_reset(void) {
  log_len = 0;
  if (log_buf) log_buf[0] = 0;
}

/* The verifier's reason (the line before "processed N insns", or the last
 * line of its log) and the last source line it quoted ("; ... @ file:line"). */
static void verifier_reason(const char *log, char *reason, size_t rlen, char *file, size_t flen, unsigned *line) {
  reason[0] = file[0] = 0;
  *line = 0;
  const char *begin = strstr(log, "-- BEGIN PROG LOAD LOG --");
  const char *end = begin ? strstr(begin, "-- END PROG LOAD LOG --") : NULL;
  if (!begin || !end) return;
  const char *p = begin, *prev = NULL, *last = NULL;
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (!nl) nl = end;
    size_t n = (size_t)(nl - p);
    if (n && strncmp(p, "processed ", 10) != 0 && strncmp(p, "verification time", 17) != 0 &&
        strncmp(p, "stack depth", 11) != 0 && strncmp(p, "-- ", 3) != 0 && strncmp(p, "libbpf:", 7) != 0) {
      prev = last;
      last = p;
    }
    if (n > 2 && p[0] == ';') {
      const char *at = NULL;
      for (const char *q = p; q + 2 < nl; q++)
        if (q[0] == ' ' && q[1] == '@' && q[2] == ' ') at = q + 3;
      if (at) {
        const char *colon = NULL;
        for (const char *q = at; q < nl; q++)
          if (*q == ':') colon = q;
        if (colon) {
          snprintf(file, flen, "%.*s", (int)(colon - at), at);
          *line = (unsigned)strtoul(colon + 1, NULL, 10);
        }
      }
    }
    p = nl + 1;
  }
  (void)prev;
  if (last) {
    const char *nl = strchr(last, '\n');
    snprintf(reason, rlen, "%.*s", (int)(nl ? nl - last : (long)strlen(last)), last);
  }
}

static uint32_t file_index(const IrModule *m, const char *path) {
  for (uint32_t k = 1; m->src && srcset_get(m->src, k); k++)
    if (!strcmp(srcset_get(m->src, k)->path, path)) return k;
  return 0;
}

/* ---- open and load ------------------------------------------------------------------- */

void bpfs_close(BpfSession *s) {
  if (!s) return;
  for (int k = 0; k < s->nlinks; k++) bpf_link__destroy(s->links[k]);
  for (int k = 0; k < s->npfds; k++) close(s->pfds[k]);
  ring_buffer__free(s->rb);
  rt_ksyms_free(s->ksyms);
  if (s->ctl) munmap(s->ctl, s->ctl_size);
  bpf_object__close(s->obj);
  for (int k = 0; s->formats && k < s->m->nformats; k++) rt_format_free(s->formats[k]);
  free(s->formats);
  free(s->links);
  free(s->pfds);
  free(s->args);
  free(s);
}

static const IrProbe *probe_named(const IrModule *m, const char *name);

/* The probe point of the program libbpf says failed to load ("prog
 * 'probe_3': failed to load"), or NULL. */
static const char *failed_probe(BpfSession *s, const char *log) {
  const char *p = log;
  while ((p = strstr(p, "prog '"))) {
    p += 6;
    const char *q = strchr(p, '\'');
    if (!q) break;
    if (!strncmp(q, "': failed to load", 17) || !strncmp(q, "': BPF program load failed", 26)) {
      char name[64];
      snprintf(name, sizeof name, "%.*s", (int)(q - p), p);
      const IrProbe *pr = probe_named(s->m, name);
      return pr ? pr->pp : NULL;
    }
  }
  return NULL;
}

static int load_failed(BpfSession *s, DiagList *diag, int rc) {
  char reason[512], file[256], what[300] = "the program";
  unsigned line;
  const char *log = log_buf ? log_buf : "";
  verifier_reason(log, reason, sizeof reason, file, sizeof file, &line);
  SrcLoc loc = {0, 0, 0};
  uint32_t fi = file[0] ? file_index(s->m, file) : 0;
  if (fi && line) loc = (SrcLoc){fi, line, 1};
  const char *pp = failed_probe(s, log);
  if (pp) snprintf(what, sizeof what, "the program of probe %s", pp);
  const char *hint = s->o.verbose ? "" : " (-v shows the verifier's log)";
  if (rc == -E2BIG)
    diag_error(
        diag, loc,
        "the kernel's BPF verifier gave up on %s: too many paths or loop iterations to check (it stops at "
        "1 million instructions; a smaller MAXACTION or fewer nested loops help)%s",
        what, hint);
  else if (reason[0])
    diag_error(diag, loc, "the kernel's BPF verifier rejected %s: %s%s", what, reason, hint);
  else
    diag_error(diag, loc, "loading %s into the kernel failed: %s%s", what, strerror(-rc), hint);
  if (s->o.verbose && log_buf && s->o.err) fputs(log_buf, s->o.err);
  return rc;
}

/* The kernel probe whose program is called name ("probe_3"; for
 * kernel.function, also its entry program "probe_3_entry" and, a pattern's
 * under fentry, the program for one function "probe_3_f0", or
 * "probe_3_f0_entry"), or NULL. */
static const IrProbe *probe_named(const IrModule *m, const char *name) {
  int index, fn, at = 0, more = 0;
  if (sscanf(name, "probe_%d%n", &index, &at) != 1) return NULL;
  if (sscanf(name + at, "_f%d%n", &fn, &more) == 1) at += more;
  if (name[at] && strcmp(name + at, KFN_ENTRY_SUFFIX)) return NULL;
  for (int k = 0; k < m->nprobes; k++)
    if (m->probes[k]->index == index && m->probes[k]->site == IR_SITE_KERNEL) return m->probes[k];
  return NULL;
}

/* Does prog call helper id?  (Read from its instructions before loading.) */
static bool calls_helper(const struct bpf_program *prog, int id) {
  const struct bpf_insn *in = bpf_program__insns(prog);
  size_t n = bpf_program__insn_cnt(prog);
  for (size_t k = 0; in && k < n; k++)
    if (in[k].code == (BPF_JMP | BPF_CALL) && in[k].src_reg == 0 && in[k].imm == id) return true;
  return false;
}

/* What each program needs that the running kernel lacks: one error per
 * probe point, before the verifier would say it less clearly.  Returns the
 * number of errors. */
static int check_kernel_needs(BpfSession *s, const BpfCaps *caps, DiagList *diag) {
  int bad = 0;
  struct bpf_program *prog;
  bpf_object__for_each_program(prog, s->obj) {
    const IrProbe *p = probe_named(s->m, bpf_program__name(prog));
    const char *pp = p ? p->pp : bpf_program__name(prog);
    BattachSpec sp;
    bool parsed = p && battach_parse(p->pp, &sp) == 0;
    if (parsed && sp.kind == BATT_PERF && !caps->perf_event) {
      diag_error(diag, (SrcLoc){0}, "probe %s: the running kernel cannot run BPF programs on perf events",
                 pp);
      bad++;
    }
    bool tracing = bpf_program__type(prog) == BPF_PROG_TYPE_TRACING; /* fentry/fexit (gen-kfn.c) */
    bool entry_prog = strstr(bpf_program__name(prog), KFN_ENTRY_SUFFIX) != NULL; /* its probe's errors say it */
    if (parsed && sp.kind == BATT_KPROBE && tracing && !caps->fentry && !entry_prog) {
      diag_error(diag, (SrcLoc){0},
                 "probe %s: the object attaches it with fentry/fexit, but %s; compile the script with "
                 "--kfunc-attach=kprobe",
                 pp, caps->fentry_why);
      bad++;
    }
    if (parsed && sp.kind == BATT_KPROBE && !tracing && !caps->kprobes && !entry_prog) {
      diag_error(diag, (SrcLoc){0},
                 "probe %s: this kernel has no kprobes (CONFIG_KPROBES is off: no kprobe PMU in "
                 "/sys/bus/event_source/devices, no kprobe_events in tracefs), and kernel.function and "
                 "kprobe.function probes are kprobes",
                 pp);
      bad++;
    }
    /* a pattern on vmlinux: one kprobe_multi link, which the program must be loaded for */
    if (parsed && sp.kind == BATT_KPROBE && !tracing && caps->kprobe_multi && kfn_is_pattern(&sp) &&
        !sp.kmodule[0])
      bpf_program__set_expected_attach_type(prog, BPF_TRACE_KPROBE_MULTI);
    if (!caps->bpf_loop && calls_helper(prog, BPF_FUNC_loop)) {
      diag_error(diag, (SrcLoc){0},
                 "probe %s: its loops need the bpf_loop helper (Linux 5.17), which the running kernel lacks",
                 pp);
      bad++;
    }
    if (!caps->for_each_map && calls_helper(prog, BPF_FUNC_for_each_map_elem)) {
      diag_error(
          diag, (SrcLoc){0},
          "probe %s: its foreach needs the bpf_for_each_map_elem helper (Linux 5.13), which the running "
          "kernel lacks",
          pp);
      bad++;
    }
  }
  return bad;
}

BpfSession *bpfs_open(const IrModule *m, const BpfLayout *l, const void *elf, size_t size,
                      const BpfSessionOptions *o, DiagList *diag) {
  const BpfCaps *caps = bpf_caps_probe_kernel();
  if (!caps->bpf) {
    diag_error(diag, (SrcLoc){0}, "%s", caps->why);
    return NULL;
  }
  if (!caps->ringbuf) {
    diag_error(diag, (SrcLoc){0}, "the running kernel has no BPF ring buffer (Linux 5.8 or later is needed)");
    return NULL;
  }
  BpfSession *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->m = m;
  s->l = l;
  if (o) memcpy(&s->o, o, o->sz < sizeof s->o ? o->sz : sizeof s->o);
  s->o.sz = sizeof s->o;
  s->ctl_fd = s->glob_fd = -1;
  s->ncpus = libbpf_num_possible_cpus();
  libbpf_set_print(capture);
  log_reset();
  LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "stapjit", .kernel_log_level = s->o.verbose > 1 ? 2 : 1);
  s->obj = bpf_object__open_mem(elf, size, &oo);
  if (!s->obj) {
    diag_error(diag, (SrcLoc){0}, "libbpf could not open the generated object: %s", strerror(errno));
    bpfs_close(s);
    return NULL;
  }
  struct bpf_map *scratch = bpf_object__find_map_by_name(s->obj, "stp_scratch");
  struct bpf_map *events = bpf_object__find_map_by_name(s->obj, "stp_events");
  struct bpf_map *ctl = bpf_object__find_map_by_name(s->obj, "stp_ctl");
  if (!scratch || !events || !ctl || s->ncpus <= 0) {
    diag_error(diag, (SrcLoc){0}, "the BPF object lacks stapjit's maps");
    bpfs_close(s);
    return NULL;
  }
  bpf_map__set_max_entries(scratch, (uint32_t)s->ncpus);
  /* The control block is mapped into this process, so that the state is
   * stored alone while handlers count into the other fields (a syscall
   * update writes the whole value back, losing what they added meanwhile). */
  bpf_map__set_map_flags(ctl, bpf_map__map_flags(ctl) | BPF_F_MMAPABLE);
  if (s->o.bufsize > 0) {
    uint64_t sz = 4096;
    while (sz < (uint64_t)s->o.bufsize && sz < (1ull << 31)) sz <<= 1;
    bpf_map__set_max_entries(events, (uint32_t)sz);
  }
  if (check_kernel_needs(s, caps, diag)) {
    bpfs_close(s);
    return NULL;
  }
  /* The kernel struct offsets the programs read (btfoff.c), for this kernel. */
  struct bpf_map *offs = bpf_object__find_map_by_name(s->obj, BTFOFF_SECTION);
  if (offs) {
    int64_t v[BTFOFF__COUNT];
    btfoff_compute(v);
    size_t sz = 0;
    bpf_map__initial_value(offs, &sz);
    if (sz != sizeof v || bpf_map__set_initial_value(offs, v, sizeof v) != 0) {
      diag_error(diag, (SrcLoc){0}, "the BPF object's table of kernel offsets has the wrong size");
      bpfs_close(s);
      return NULL;
    }
  }
  /* Where this kernel keeps the tracepoint fields the programs read. */
  struct bpf_map *tpm = bpf_object__find_map_by_name(s->obj, TPOFF_SECTION);
  if (tpm) {
    size_t sz = 0, want = sizeof(int64_t) * 2 * (size_t)l->ntprefs;
    int64_t *v = want ? calloc(1, want) : NULL;
    bpf_map__initial_value(tpm, &sz);
    if (v) tpoff_compute(l->tprefs, l->ntprefs, v);
    if (!v || sz != want || bpf_map__set_initial_value(tpm, v, want) != 0) {
      free(v);
      diag_error(diag, (SrcLoc){0}, "the BPF object's table of tracepoint fields does not match its program");
      bpfs_close(s);
      return NULL;
    }
    free(v);
  }
  int rc = bpf_object__load(s->obj);
  if (rc) {
    load_failed(s, diag, rc);
    bpfs_close(s);
    return NULL;
  }
  s->ctl_fd = bpf_object__find_map_fd_by_name(s->obj, "stp_ctl");
  s->ctl_size = ((sizeof(BpfCtl) + 4095) / 4096) * 4096;
  s->ctl = mmap(NULL, s->ctl_size, PROT_READ | PROT_WRITE, MAP_SHARED, s->ctl_fd, 0);
  if (s->ctl == MAP_FAILED) s->ctl = NULL;
  s->glob_fd = bpf_object__find_map_fd_by_name(s->obj, "stp_glob");
  s->formats = calloc((size_t)(m->nformats ? m->nformats : 1), sizeof *s->formats);
  if (!s->formats) {
    bpfs_close(s);
    return NULL;
  }
  for (int k = 0; k < m->nformats; k++) {
    char err[128];
    if (rt_format_parse(m->formats[k]->text, m->formats[k]->len, &s->formats[k], err, sizeof err) != 0)
      s->formats[k] = NULL; /* the host would have refused it; a record naming it prints nothing */
  }
  return s;
}

/* ---- arrays and scalars --------------------------------------------------------------- */

static RtMap *new_map(void *ctx, const IrGlobal *g, int obj, const RtMapDesc *d) {
  BpfSession *s = ctx;
  char name[32];
  blay_map_name(g, obj, name, sizeof name);
  int fd = bpf_object__find_map_fd_by_name(s->obj, name);
  if (fd < 0) {
    errno = ENOENT;
    return NULL;
  }
  return bmap_new(d, fd, s->ncpus);
}

static int ctl_read(BpfSession *s, BpfCtl *c) {
  uint32_t zero = 0;
  if (!s->ctl) return bpf_map_lookup_elem(s->ctl_fd, &zero, c) ? -errno : 0;
  c->state = __atomic_load_n(&s->ctl->state, __ATOMIC_ACQUIRE);
  c->lost = __atomic_load_n(&s->ctl->lost, __ATOMIC_RELAXED);
  c->errors = __atomic_load_n(&s->ctl->errors, __ATOMIC_RELAXED);
  c->skipped = __atomic_load_n(&s->ctl->skipped, __ATOMIC_RELAXED);
  c->wall_offset = __atomic_load_n(&s->ctl->wall_offset, __ATOMIC_RELAXED);
  c->target = __atomic_load_n(&s->ctl->target, __ATOMIC_RELAXED);
  return 0;
}

/* The session's state for the handlers, with what they read once RUNNING:
 * the wall-clock offset and target().  The counters are the handlers'. */
static int set_state(BpfSession *s, uint64_t state) {
  int64_t wall = 0;
  if (state == BLAY_RUNNING) {
    struct timespec rt, bt;
    clock_gettime(CLOCK_REALTIME, &rt);
    clock_gettime(CLOCK_BOOTTIME, &bt);
    wall = ((int64_t)rt.tv_sec - bt.tv_sec) * 1000000000 + (rt.tv_nsec - bt.tv_nsec);
  }
  if (s->ctl) {
    if (state == BLAY_RUNNING) __atomic_store_n(&s->ctl->wall_offset, wall, __ATOMIC_RELAXED);
    __atomic_store_n(&s->ctl->target, rt_target(), __ATOMIC_RELAXED);
    __atomic_store_n(&s->ctl->state, state, __ATOMIC_SEQ_CST);
    return 0;
  }
  BpfCtl c;
  uint32_t zero = 0;
  int rc = ctl_read(s, &c);
  if (rc) return rc;
  c.state = state;
  c.target = rt_target();
  if (state == BLAY_RUNNING) c.wall_offset = wall;
  return bpf_map_update_elem(s->ctl_fd, &zero, &c, BPF_ANY) ? -errno : 0;
}

/* Scalars and scalar statistics between the interpreter and the kernel. */
static int sync_scalars(BpfSession *s, IrInterp *in, bool to_kernel) {
  const IrModule *m = s->m;
  uint32_t zero = 0;
  char *glob = calloc(1, s->l->glob_size);
  if (!glob) return -ENOMEM;
  int rc = 0;
  if (!to_kernel && bpf_map_lookup_elem(s->glob_fd, &zero, glob)) rc = -errno;
  size_t maxlen = (size_t)s->l->maxstringlen;
  for (int k = 0; k < m->nglobals && !rc; k++) {
    const IrGlobal *g = m->globals[k];
    const BlayGlobal *bg = &s->l->globals[k];
    if (g->kind == IR_GLOBAL_SCALAR) {
      if (g->value == IR_STR) {
        char *hs = ir_interp_global_str(in, g);
        if (to_kernel)
          memcpy(glob + bg->off, hs, strnlen(hs, maxlen - 1));
        else
          snprintf(hs, maxlen, "%.*s", (int)(maxlen - 1), glob + bg->off);
      } else if (to_kernel) {
        memcpy(glob + bg->off, ir_interp_global_long(in, g), 8);
      } else {
        memcpy(ir_interp_global_long(in, g), glob + bg->off, 8);
      }
      continue;
    }
    if (g->kind != IR_GLOBAL_STAT) continue;
    for (int o = 0; o < bg->nobj && !rc; o++) {
      RtStat *st = ir_interp_global_stat(in, g, o);
      char name[32];
      blay_map_name(g, o, name, sizeof name);
      int fd = bpf_object__find_map_fd_by_name(s->obj, name);
      size_t cs = rt_stat_cell_size(&bg->desc[o]), stride = (cs + 7) & ~(size_t)7;
      char *cells = calloc((size_t)s->ncpus, stride);
      if (!cells || fd < 0 || !st) {
        free(cells);
        rc = -ENOMEM;
        break;
      }
      if (!to_kernel && bpf_map_lookup_elem(fd, &zero, cells)) rc = -errno;
      for (int c = 0; c < s->ncpus && !rc; c++) {
        if (to_kernel)
          memcpy(cells + (size_t)c * stride, rt_stat_cpu(st, c), cs);
        else
          memcpy(rt_stat_cpu(st, c), cells + (size_t)c * stride, cs);
      }
      if (!rc && to_kernel && bpf_map_update_elem(fd, &zero, cells, BPF_ANY)) rc = -errno;
      free(cells);
    }
  }
  if (!rc && to_kernel && bpf_map_update_elem(s->glob_fd, &zero, glob, BPF_ANY)) rc = -errno;
  free(glob);
  return rc;
}

/* ---- attaching ----------------------------------------------------------------------- */

static int keep_link(BpfSession *s, struct bpf_link *lk) {
  if (s->nlinks == s->cap_links) {
    int nc = s->cap_links ? s->cap_links * 2 : 16;
    struct bpf_link **nl = realloc(s->links, sizeof *nl * (size_t)nc);
    if (!nl) return -ENOMEM;
    s->links = nl;
    s->cap_links = nc;
  }
  s->links[s->nlinks++] = lk;
  return 0;
}

static int keep_pfd(BpfSession *s, int fd) {
  if (s->npfds == s->cap_pfds) {
    int nc = s->cap_pfds ? s->cap_pfds * 2 : 16;
    int *np = realloc(s->pfds, sizeof *np * (size_t)nc);
    if (!np) return -ENOMEM;
    s->pfds = np;
    s->cap_pfds = nc;
  }
  s->pfds[s->npfds++] = fd;
  return 0;
}

typedef struct TpAttach {
  BpfSession *s;
  struct bpf_program *prog;
  int64_t cookie; /* the probe's ordinal in its merged group (merge.c); -1: each event's index */
  int n;
  int rc;
  char failed[200];
} TpAttach;

static int attach_tp_one(void *ctx, const char *system, const char *name) {
  TpAttach *t = ctx;
  /* a merged group's member: its ordinal; else the event's index in the
   * glob's order, which wildcard probes' pp() reads (gen-ctx.c) */
  LIBBPF_OPTS(bpf_tracepoint_opts, o, .bpf_cookie = (uint64_t)(t->cookie >= 0 ? t->cookie : t->n));
  struct bpf_link *lk = bpf_program__attach_tracepoint_opts(t->prog, system, name, &o);
  if (!lk) {
    t->rc = -errno;
    snprintf(t->failed, sizeof t->failed, "%s:%s", system, name);
    return 1;
  }
  if (keep_link(t->s, lk)) {
    bpf_link__destroy(lk);
    t->rc = -ENOMEM;
    snprintf(t->failed, sizeof t->failed, "%s:%s", system, name);
    return 1;
  }
  t->n++;
  return 0;
}

/* Why perf_event_open refused sp with errno e, for the user. */
static void perf_refused(FILE *err, const BattachSpec *sp, const char *pp, int e) {
  bool hw = sp->perf_type == PERF_TYPE_HARDWARE || sp->perf_type == PERF_TYPE_HW_CACHE;
  if (hw && (e == ENOENT || e == EOPNOTSUPP || e == ENODEV))
    fprintf(err, "ERROR: probe %s: this machine has no hardware performance counters (perf_event_open: %s)\n",
            pp, strerror(e));
  else
    fprintf(err, "ERROR: probe %s: the kernel refused its perf event: %s\n", pp, strerror(e));
}

static int attach_perf(BpfSession *s, struct bpf_program *prog, const BattachSpec *sp, const char *pp, FILE *err) {
  int ncpu = sp->one_cpu ? 1 : s->ncpus;
  int attached = 0, offline_errno = ENODEV;
  for (int cpu = 0; cpu < ncpu; cpu++) {
    struct perf_event_attr a = {.size = sizeof a, .type = sp->perf_type, .config = sp->perf_config};
    if (sp->freq) {
      a.freq = 1;
      a.sample_freq = sp->period;
    } else {
      a.sample_period = sp->period;
    }
    int fd = (int)syscall(__NR_perf_event_open, &a, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
      if (errno == ENODEV || errno == ENXIO) { /* an offline CPU */
        offline_errno = errno;
        continue;
      }
      perf_refused(err, sp, pp, errno);
      return -1;
    }
    if (keep_pfd(s, fd)) return -1;
    struct bpf_link *lk = bpf_program__attach_perf_event(prog, fd);
    if (!lk) {
      fprintf(err, "ERROR: probe %s: attaching to its perf event failed: %s\n", pp, strerror(errno));
      return -1;
    }
    if (keep_link(s, lk)) {
      bpf_link__destroy(lk);
      fprintf(err, "ERROR: probe %s: %s\n", pp, strerror(ENOMEM));
      return -1;
    }
    attached++;
  }
  if (!attached) {
    perf_refused(err, sp, pp, offline_errno);
    return -1;
  }
  return 0;
}

/* kernel.function and kprobe.function (kfn.c): one kprobe_multi link, or a
 * kprobe per function, or for a program of type TRACING the fentry or
 * fexit its section names (gen-kfn.c); an optional probe (?) that matches
 * nothing is left out. */
static int attach_kprobe(BpfSession *s, struct bpf_program *prog, const BattachSpec *sp, const IrProbe *p,
                         FILE *err) {
  if (bpf_program__type(prog) == BPF_PROG_TYPE_TRACING) {
    struct bpf_link *lk = bpf_program__attach_trace(prog);
    if (!lk) {
      int e = errno;
      const char *sec = bpf_program__section_name(prog), *fn = strchr(sec, '/');
      fprintf(err, "ERROR: probe %s: the kernel refused an %s program on %s: %s\n", p->pp,
              bpf_program__expected_attach_type(prog) == BPF_TRACE_FEXIT ? "fexit" : "fentry", fn ? fn + 1 : sec,
              strerror(e));
      return -1;
    }
    if (keep_link(s, lk)) {
      bpf_link__destroy(lk);
      fprintf(err, "ERROR: probe %s: %s\n", p->pp, strerror(ENOMEM));
      return -1;
    }
    return 0;
  }
  KfnLinks kl = {0};
  char why[300];
  bool multi = bpf_program__expected_attach_type(prog) == BPF_TRACE_KPROBE_MULTI;
  int rc = kfn_attach(prog, sp, multi, &kl, why, sizeof why);
  for (int k = 0; k < kl.n; k++)
    if (!rc && keep_link(s, kl.links[k])) {
      rc = -ENOMEM;
      snprintf(why, sizeof why, "%s", strerror(ENOMEM));
      bpf_link__destroy(kl.links[k]);
    } else if (rc) {
      bpf_link__destroy(kl.links[k]);
    }
  free(kl.links);
  if (rc == -ENOENT && kl.functions == 0 && p->optional) return 0;
  if (rc) fprintf(err, "ERROR: probe %s: %s\n", p->pp, why);
  return rc ? -1 : 0;
}

/* A kernel.function probe's program name, with its entry program first,
 * so that its first returns find their values. */
static int attach_kfn_program(BpfSession *s, const char *name, struct bpf_program *prog, const BattachSpec *sp,
                              const IrProbe *p, FILE *err) {
  char ename[96];
  snprintf(ename, sizeof ename, "%s" KFN_ENTRY_SUFFIX, name);
  struct bpf_program *eprog = bpf_object__find_program_by_name(s->obj, ename);
  BattachSpec esp = *sp;
  esp.kret = false;
  if (eprog && attach_kprobe(s, eprog, &esp, p, err)) return -1;
  return attach_kprobe(s, prog, sp, p, err);
}

/* A kernel.function probe: program name, or, a pattern's under fentry, one
 * program per function, name_f0, name_f1, ... (gen-module.c); an optional
 * pattern none of whose functions fentry could trace has none. */
static int attach_kfn(BpfSession *s, const char *name, const BattachSpec *sp, const IrProbe *p, FILE *err) {
  struct bpf_program *prog = bpf_object__find_program_by_name(s->obj, name);
  if (prog) return attach_kfn_program(s, name, prog, sp, p, err);
  int k = 0;
  for (;; k++) {
    char fname[80];
    snprintf(fname, sizeof fname, "%s_f%d", name, k);
    if (!(prog = bpf_object__find_program_by_name(s->obj, fname))) break;
    if (attach_kfn_program(s, fname, prog, sp, p, err)) return -1;
  }
  if (k == 0 && !p->optional) {
    fprintf(err, "ERROR: probe %s: not in the BPF object\n", p->pp);
    return -1;
  }
  return 0;
}

static int phase_attach(void *ctx, IrSession *is, IrInterp *in) {
  BpfSession *s = ctx;
  FILE *err = ir_session_err(is);
  (void)in;
  if (set_state(s, BLAY_STARTING)) {
    fprintf(err, "ERROR: cannot write the BPF session's control block: %s\n", strerror(errno));
    return -1;
  }
  for (int k = 0; k < s->m->nprobes; k++) {
    const IrProbe *p = s->m->probes[k];
    if (p->site != IR_SITE_KERNEL) continue;
    int member = 0;
    const BlayGroup *grp = blay_group_of(s->l, k, &member);
    char name[64];
    snprintf(name, sizeof name, "probe_%d", grp ? s->m->probes[grp->rep]->index : p->index);
    struct bpf_program *prog = bpf_object__find_program_by_name(s->obj, name);
    BattachSpec sp;
    if (battach_parse(p->pp, &sp) == 0 && sp.kind == BATT_KPROBE) {
      if (attach_kfn(s, name, &sp, p, err)) return -1;
      continue;
    }
    if (!prog || battach_parse(p->pp, &sp) != 0) {
      fprintf(err, "ERROR: probe %s: not in the BPF object\n", p->pp);
      return -1;
    }
    if (sp.kind == BATT_PERF) {
      if (attach_perf(s, prog, &sp, p->pp, err)) return -1;
      continue;
    }
    if (sp.kind != BATT_TRACEPOINT) {
      fprintf(err, "ERROR: %s\n", sp.why);
      return -1;
    }
    TpAttach t = {.s = s, .prog = prog, .cookie = grp ? member : -1};
    char pat[200];
    snprintf(pat, sizeof pat, "%s:%s", sp.system, sp.event);
    int rc = tfs_event_glob(pat, attach_tp_one, &t);
    if (t.rc) {
      fprintf(err, "ERROR: probe %s: attaching to tracepoint %s failed: %s\n", p->pp, t.failed, strerror(-t.rc));
      return -1;
    }
    if (rc < 0 || t.n == 0) {
      if (p->optional) continue;
      fprintf(err, "ERROR: probe %s: no tracepoint matches '%s'%s%s\n", p->pp, pat, rc < 0 ? ": " : "",
              rc < 0 ? strerror(-rc) : "");
      return -1;
    }
  }
  return 0;
}

/* ---- records ------------------------------------------------------------------------------ */

/* Records delivered per ring_buffer__consume before the loop looks at
 * signals, -T and the -c command again (libbpf drains until the ring is
 * empty, which a fast producer may never let happen). */
enum { RUN_BATCH = 65536, RUN_YIELD = -EAGAIN };

static int on_record(void *ctx, void *data, size_t size) {
  BpfSession *s = ctx;
  const BlayHeader *h = data;
  if (size < sizeof *h || h->site >= (uint32_t)s->l->nsites) return 0;
  const BlaySite *site = &s->l->sites[h->site];
  const char *rec = data;
  RtBuf *out = ir_session_out(s->s);
  if (site->nargs > s->cap_args) {
    RtArg *na = realloc(s->args, sizeof *na * (size_t)site->nargs);
    if (!na) return -ENOMEM;
    s->args = na;
    s->cap_args = site->nargs;
  }
  for (int k = 0; k < site->nargs; k++) {
    const BlayArg *a = &site->args[k];
    if (a->kind == RT_ARG_LONG) {
      int64_t v;
      memcpy(&v, rec + a->off, 8);
      s->args[k] = rt_arg_long(v);
    } else {
      s->args[k] = rt_arg_str(rec + a->off, strnlen(rec + a->off, a->size));
    }
  }
  switch (site->kind) {
  case BLAY_PRINTF: {
    RtErr err = {0};
    const RtFormat *f = site->format >= 0 && site->format < s->m->nformats ? s->formats[site->format] : NULL;
    if (f && rt_format(out, f, s->args, site->nargs, &err) != 0 && err.set) {
      if (ir_session_error(s->s, err.msg, site->inst->loc)) s->stop = true;
    }
    break;
  }
  case BLAY_FAIL: {
    char buf[256];
    const char *msg = site->nargs ? s->args[0].s : blay_fail_message(s->l, (int)h->site, h->code, h->aux, buf, sizeof buf);
    char mb[1024];
    snprintf(mb, sizeof mb, "%.*s", site->nargs ? (int)s->args[0].len : (int)strlen(msg), msg);
    s->error_records++;
    if (ir_session_error(s->s, mb, site->inst->loc)) s->stop = true;
    break;
  }
  case BLAY_EXIT:
    s->exit_seen = true;
    break;
  case BLAY_WARN: { /* as rt_bi_warn and rt_bi_log: a newline only if the message lacks one */
    size_t n = s->args[0].len;
    ir_session_flush(s->s);
    fprintf(ir_session_err(s->s), "WARNING: %.*s%s", (int)n, s->args[0].s, n && s->args[0].s[n - 1] == '\n' ? "" : "\n");
    break;
  }
  case BLAY_LOG:
    rt_buf_append(out, s->args[0].s, s->args[0].len);
    if (!s->args[0].len || s->args[0].s[s->args[0].len - 1] != '\n') rt_buf_append(out, "\n", 1);
    break;
  case BLAY_BACKTRACE: {
    /* symbolised here, from /proc/kallsyms, loaded at the first one */
    if (!s->ksyms && !s->ksyms_failed && !(s->ksyms = rt_ksyms_load())) s->ksyms_failed = true;
    uint64_t n = h->aux < BLAY_MAX_FRAMES ? h->aux : BLAY_MAX_FRAMES;
    if (size < sizeof *h + 8 * n) break;
    for (uint64_t k = 0; k < n; k++) {
      uint64_t addr;
      memcpy(&addr, rec + sizeof *h + 8 * k, 8);
      rt_ksyms_format(out, s->ksyms, addr, RT_SYM_BACKTRACE);
    }
    break;
  }
  }
  return ++s->batch >= RUN_BATCH ? RUN_YIELD : 0;
}

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

enum { EV_RING = 1, EV_SIGNAL, EV_TARGET };

static void phase_run(void *ctx, IrSession *is, IrInterp *in) {
  BpfSession *s = ctx;
  FILE *err = ir_session_err(is);
  s->s = is;
  if (sync_scalars(s, in, true) != 0) {
    fprintf(err, "ERROR: cannot copy the globals into the kernel: %s\n", strerror(errno));
    return;
  }
  /* Test only: the reader takes no record before the session ends, so that a
   * test overflows the ring buffer deterministically (tests/bpf/live). */
  bool hold = getenv("STAPJIT_TEST_HOLD_READER") != NULL;
  int ev_fd = bpf_object__find_map_fd_by_name(s->obj, "stp_events");
  s->rb = ring_buffer__new(ev_fd, on_record, s, NULL);
  int ep = epoll_create1(EPOLL_CLOEXEC);
  int sfd = signalfd(-1, ir_session_sigset(is), SFD_CLOEXEC | SFD_NONBLOCK);
  if (!s->rb || ep < 0 || sfd < 0) {
    fprintf(err, "ERROR: cannot read the BPF ring buffer: %s\n", strerror(errno));
    if (ep >= 0) close(ep);
    if (sfd >= 0) close(sfd);
    return;
  }
  struct epoll_event e1 = {.events = EPOLLIN, .data.u32 = EV_RING},
                     e2 = {.events = EPOLLIN, .data.u32 = EV_SIGNAL},
                     e3 = {.events = EPOLLIN, .data.u32 = EV_TARGET};
  if (!hold) epoll_ctl(ep, EPOLL_CTL_ADD, ring_buffer__epoll_fd(s->rb), &e1);
  epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &e2);
  int tfd = ir_session_end_fd(is);
  if (tfd >= 0) epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &e3);
  if (set_state(s, BLAY_RUNNING)) {
    fprintf(err, "ERROR: cannot start the kernel probes: %s\n", strerror(errno));
    close(ep);
    close(sfd);
    return;
  }
  s->batch = 0;
  bool ended = ir_session_started(is) != 0; /* -c: the command runs from here */
  int64_t deadline = s->o.timeout_ms > 0 ? now_ms() + s->o.timeout_ms : 0;
  bool polling = false; /* BLAY_POLL_MS: records may be waiting without a wake-up */
  while (!ended && !s->stop && !s->exit_seen && ir_session_running(is)) {
    int wait = polling ? BLAY_POLL_MS : 1000;
    if (deadline) {
      int64_t left = deadline - now_ms();
      if (left <= 0) break;
      if (left < wait) wait = (int)left;
    }
    struct epoll_event got[3];
    int n = epoll_wait(ep, got, 3, wait);
    if (n < 0 && errno != EINTR) break;
    bool sig = false;
    for (int k = 0; k < n; k++) {
      if (got[k].data.u32 == EV_SIGNAL) sig = true;
      if (got[k].data.u32 == EV_TARGET) ended = true; /* its events are all in the ring by now */
    }
    s->batch = 0;
    int got_records = hold ? 0 : ring_buffer__consume(s->rb);
    /* poll on after a wake-up or a record; stop after a quiet full-length poll */
    polling = got_records != 0 || n > 0;
    if (ir_session_flush(is) != 0) break;
    if (sig) {
      struct signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
      }
      break;
    }
  }
  close(ep);
  close(sfd);
  if (s->exit_seen || s->stop || !ir_session_running(is)) ir_session_exit(is);
}

static int phase_detach(void *ctx, IrSession *is, IrInterp *in) {
  BpfSession *s = ctx;
  FILE *err = ir_session_err(is);
  s->s = is;
  int rc = 0;
  set_state(s, BLAY_STOPPING);
  /* Hits the kernel skipped because another BPF program was running on the
   * CPU (its recursion guard): stap's "skipped probes". */
  struct bpf_program *prog;
  int64_t skipped = 0;
  bpf_object__for_each_program(prog, s->obj) {
    struct bpf_prog_info info;
    __u32 len = sizeof info;
    memset(&info, 0, sizeof info);
    if (bpf_program__fd(prog) >= 0 && bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len) == 0)
      skipped += (int64_t)info.recursion_misses;
  }
  ir_session_skipped(is, skipped);
  for (int k = 0; k < s->nlinks; k++) bpf_link__destroy(s->links[k]);
  s->nlinks = 0;
  for (int k = 0; k < s->npfds; k++) close(s->pfds[k]);
  s->npfds = 0;
  if (s->rb) /* what handlers sent before they stopped */
    do s->batch = 0;
    while (ring_buffer__consume(s->rb) == RUN_YIELD);
  ir_session_flush(is);
  if (sync_scalars(s, in, false) != 0) {
    fprintf(err, "ERROR: cannot copy the globals back from the kernel: %s\n", strerror(errno));
    rc = -1;
  }
  BpfCtl c;
  if (ctl_read(s, &c) == 0) {
    if (c.lost)
      fprintf(err, "WARNING: There were %llu transport failures: the ring buffer was full and %llu records were "
                   "lost (-s MB enlarges it).\n",
              (unsigned long long)c.lost, (unsigned long long)c.lost);
    if (c.errors > (uint64_t)s->error_records)
      fprintf(err, "WARNING: %llu runtime errors in kernel probes were not reported (their records were lost)\n",
              (unsigned long long)(c.errors - (uint64_t)s->error_records));
  }
  return rc;
}

const IrKernelPhase *bpfs_phase(BpfSession *s) {
  s->phase = (IrKernelPhase){.ctx = s,
                             .new_map = new_map,
                             .stat_ncpus = s->ncpus,
                             .attach = phase_attach,
                             .run = phase_run,
                             .detach = phase_detach};
  return &s->phase;
}

/* caps.c: what the running kernel offers the BPF backend.
 *
 * Probed once, with libbpf's feature probes (each loads a tiny program or
 * creates a tiny map), so that a probe point needing something the kernel
 * lacks fails at once with a message naming it, instead of a verifier log.
 */
#include "bpfload.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static BpfCaps caps;

static bool helper_ok(enum bpf_func_id id) {
  return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, id, NULL) == 1;
}

/* Kprobes exist when the kernel offers a kprobe PMU (what libbpf uses) or
 * the older tracefs kprobe_events; without CONFIG_KPROBES neither does.
 * Whether tracefs is mounted does not matter for the PMU. */
static bool have_kprobes(void) {
  if (access("/sys/bus/event_source/devices/kprobe/type", R_OK) == 0) return true;
  const char *root;
  char path[300];
  if (tfs_root(&root) != 0) return false;
  snprintf(path, sizeof path, "%s/kprobe_events", root);
  return access(path, F_OK) == 0;
}

/* kprobe_multi links, as libbpf probes them: a program loaded for
 * BPF_TRACE_KPROBE_MULTI, linked to a symbol that does not exist, fails
 * with ESRCH (or ENOENT) where the link type is there, and EOPNOTSUPP or
 * EINVAL where it is not. */
static bool have_kprobe_multi(void) {
  struct bpf_insn insns[] = {{.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
                             {.code = BPF_JMP | BPF_EXIT}};
  LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_TRACE_KPROBE_MULTI);
  int fd = bpf_prog_load(BPF_PROG_TYPE_KPROBE, NULL, "GPL", insns, 2, &po);
  if (fd < 0) return false;
  const char *syms[1] = {"stapjit_no_such_function_"};
  LIBBPF_OPTS(bpf_link_create_opts, lo);
  lo.kprobe_multi.syms = syms;
  lo.kprobe_multi.cnt = 1;
  int lfd = bpf_link_create(fd, 0, BPF_TRACE_KPROBE_MULTI, &lo);
  int e = errno;
  if (lfd >= 0) close(lfd);
  close(fd);
  return lfd >= 0 || e == ESRCH || e == ENOENT;
}

/* fentry, as a kernel.function probe would use it: an fentry program that
 * calls bpf_get_func_arg, loaded for vfs_read (a function every kernel
 * has, in BTF and ftrace's list), then linked (the trampoline: where a
 * kernel lacks direct ftrace calls this is what fails, ENOTSUPP) and
 * unlinked at once.  The no-op program may run a few times meanwhile. */
static bool have_fentry(char *why, size_t len) {
  struct btf *vmlinux = btf__load_vmlinux_btf();
  if (!vmlinux) {
    snprintf(why, len, "the kernel has no BTF (/sys/kernel/btf/vmlinux)");
    return false;
  }
  int id = btf__find_by_name_kind(vmlinux, "vfs_read", BTF_KIND_FUNC);
  btf__free(vmlinux);
  if (id <= 0) {
    snprintf(why, len, "vfs_read is not in the kernel's BTF");
    return false;
  }
  /* bpf_get_func_arg(ctx, 0, fp - 8); return 0 */
  struct bpf_insn insns[] = {
      {.code = BPF_ALU64 | BPF_MOV | BPF_X, .dst_reg = BPF_REG_3, .src_reg = BPF_REG_10},
      {.code = BPF_ALU64 | BPF_ADD | BPF_K, .dst_reg = BPF_REG_3, .imm = -8},
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_2, .imm = 0},
      {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_get_func_arg},
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0},
      {.code = BPF_JMP | BPF_EXIT}};
  LIBBPF_OPTS(bpf_prog_load_opts, po, .expected_attach_type = BPF_TRACE_FENTRY, .attach_btf_id = (__u32)id);
  int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, sizeof insns / sizeof *insns, &po);
  if (fd < 0) {
    snprintf(why, len, "the kernel refuses to load an fentry program for vfs_read (%s)", strerror(errno));
    return false;
  }
  int lfd = bpf_link_create(fd, 0, BPF_TRACE_FENTRY, NULL);
  int e = errno;
  close(fd);
  if (lfd < 0) {
    snprintf(why, len, "the kernel refuses to attach an fentry program to vfs_read (%s)",
             e == 524 ? "ENOTSUPP: no BPF trampoline" : strerror(e));
    return false;
  }
  close(lfd);
  return true;
}

/* Test only: STAPJIT_TEST_KERNEL_LACKS="ringbuf,bpf_loop,for_each_map,
 * perf_event,bpf,btf,kprobes,kprobe_multi,fentry" makes the running kernel look as if it lacked those, so
 * that tests reach the errors an older kernel gets (tests/bpf/live). */
static void pretend_lacking(const char *list) {
  static const struct {
    const char *name;
    bool *cap;
  } names[] = {{"bpf", &caps.bpf},
               {"ringbuf", &caps.ringbuf},
               {"bpf_loop", &caps.bpf_loop},
               {"for_each_map", &caps.for_each_map},
               {"perf_event", &caps.perf_event},
               {"btf", &caps.btf},
               {"kprobes", &caps.kprobes},
               {"kprobe_multi", &caps.kprobe_multi},
               {"fentry", &caps.fentry}};
  for (const char *p = list; p && *p;) {
    size_t n = strcspn(p, ",");
    for (size_t k = 0; k < sizeof names / sizeof *names; k++)
      if (strlen(names[k].name) == n && !strncmp(names[k].name, p, n)) *names[k].cap = false;
    p += n + (p[n] == ',');
  }
  if (!caps.bpf && !caps.why[0])
    snprintf(caps.why, sizeof caps.why, "the kernel refuses BPF tracepoint programs (%s)", strerror(EPERM));
}

const BpfCaps *bpf_caps_probe_kernel(void) {
  if (caps.probed) return &caps;
  caps.probed = true;
  int r = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_TRACEPOINT, NULL);
  if (r != 1) {
    int e = r < 0 ? -r : EOPNOTSUPP;
    snprintf(caps.why, sizeof caps.why, "the kernel refuses BPF tracepoint programs (%s)%s", strerror(e),
             geteuid() != 0 ? "; BPF tracing needs root" : "");
    return &caps;
  }
  caps.bpf = true;
  caps.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
  caps.bpf_loop = helper_ok(BPF_FUNC_loop);
  caps.for_each_map = helper_ok(BPF_FUNC_for_each_map_elem);
  caps.perf_event = libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_PERF_EVENT, NULL) == 1;
  caps.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
  caps.kprobes = have_kprobes();
  caps.kprobe_multi = caps.kprobes && have_kprobe_multi();
  caps.fentry = have_fentry(caps.fentry_why, sizeof caps.fentry_why);
  pretend_lacking(getenv("STAPJIT_TEST_KERNEL_LACKS"));
  if (!caps.fentry && !caps.fentry_why[0])
    snprintf(caps.fentry_why, sizeof caps.fentry_why, "the kernel has no fentry (STAPJIT_TEST_KERNEL_LACKS)");
  return &caps;
}

/* caps.c: what the running kernel offers the BPF backend.
 *
 * Probed once, with libbpf's feature probes (each loads a tiny program or
 * creates a tiny map), so that a probe point needing something the kernel
 * lacks fails at once with a message naming it, instead of a verifier log.
 */
#include "bpfload.h"

#include <bpf/bpf.h>
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

/* Test only: STAPJIT_TEST_KERNEL_LACKS="ringbuf,bpf_loop,for_each_map,
 * perf_event,bpf" makes the running kernel look as if it lacked those, so
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
               {"btf", &caps.btf}};
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
  pretend_lacking(getenv("STAPJIT_TEST_KERNEL_LACKS"));
  return &caps;
}

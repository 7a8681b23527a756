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
#include <string.h>
#include <unistd.h>

static BpfCaps caps;

static bool helper_ok(enum bpf_func_id id) {
  return libbpf_probe_bpf_helper(BPF_PROG_TYPE_TRACEPOINT, id, NULL) == 1;
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
  caps.btf = access("/sys/kernel/btf/vmlinux", R_OK) == 0;
  return &caps;
}

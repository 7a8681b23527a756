/* btfoff.c: the kernel struct offsets context functions need (ppid() reads
 * current->real_parent->tgid, euid() current->cred->euid ...), from the
 * running kernel's BTF when the object is loaded.
 *
 * The generated code reads each offset from a read-only global array in
 * its own section (BTFOFF_SECTION); the loader fills that array before the
 * verifier sees the program, so the verifier knows them as constants and a
 * saved object runs on another kernel with that kernel's layout, the role
 * CO-RE relocations play for C programs.  A field the kernel lacks gets -1,
 * which the generated code turns into a runtime error naming the field.
 */
#include "bpfload.h"

#include <bpf/btf.h>
#include <errno.h>
#include <string.h>

const BtfOffField btfoff_fields[BTFOFF__COUNT] = {
    [BTFOFF_TASK_REAL_PARENT] = {"task_struct", "real_parent"},
    [BTFOFF_TASK_TGID] = {"task_struct", "tgid"},
    [BTFOFF_TASK_CRED] = {"task_struct", "cred"},
    [BTFOFF_CRED_EUID] = {"cred", "euid"},
    [BTFOFF_CRED_EGID] = {"cred", "egid"},
};

/* The byte offset of member name in struct type (anonymous unions and
 * structs inside it searched too), or -1. */
static int64_t member_offset(const struct btf *btf, __u32 id, const char *name, int depth) {
  const struct btf_type *t = btf__type_by_id(btf, id);
  if (!t || depth > 8 || (!btf_is_struct(t) && !btf_is_union(t))) return -1;
  const struct btf_member *m = btf_members(t);
  for (int k = 0; k < btf_vlen(t); k++) {
    __u32 bits = btf_member_bit_offset(t, (__u32)k);
    const char *mn = btf__name_by_offset(btf, m[k].name_off);
    if (mn && !strcmp(mn, name)) return bits / 8;
    if (mn && *mn) continue;
    int64_t inner = member_offset(btf, (__u32)btf__resolve_type(btf, m[k].type), name, depth + 1);
    if (inner >= 0) return bits / 8 + inner;
  }
  return -1;
}

int btfoff_compute(int64_t *out) {
  for (int k = 0; k < BTFOFF__COUNT; k++) out[k] = -1;
  struct btf *btf = btf__load_vmlinux_btf();
  if (!btf) return -errno;
  for (int k = 0; k < BTFOFF__COUNT; k++) {
    __s32 id = btf__find_by_name_kind(btf, btfoff_fields[k].type, BTF_KIND_STRUCT);
    if (id > 0) out[k] = member_offset(btf, (__u32)id, btfoff_fields[k].field, 0);
  }
  btf__free(btf);
  return 0;
}

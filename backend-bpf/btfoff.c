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

/* ---- tracepoint fields (bpfload.h) ------------------------------------------------------ */

int64_t tpoff_shape(const TfsField *f) {
  return (int64_t)f->size | (f->array_len > 0 || (f->is_string && !f->is_pointer && !f->data_loc) ? TPOFF_ARRAY : 0) |
         (f->data_loc ? TPOFF_DATALOC : 0) | (f->rel_loc ? TPOFF_RELLOC : 0);
}

typedef struct TpFill {
  const char *field;
  int64_t off, shape;
  bool first, bad;
} TpFill;

static int fill_one(void *ctx, const char *system, const char *name) {
  TpFill *t = ctx;
  TfsEvent *ev;
  char err[256];
  if (tfs_event_load(system, name, &ev, err, sizeof err) != 0) {
    t->bad = true;
    return 0;
  }
  const TfsField *f = tfs_event_field(ev, t->field);
  if (!f && !strcmp(t->field, "return")) f = tfs_event_field(ev, "ret");
  if (!f) {
    t->bad = true;
  } else if (t->first) {
    t->off = f->offset;
    t->shape = tpoff_shape(f);
    t->first = false;
  } else if (t->off != f->offset || t->shape != tpoff_shape(f)) {
    t->bad = true;
  }
  tfs_event_free(ev);
  return 0;
}

void tpoff_compute(const BlayTpRef *refs, int n, int64_t *out) {
  for (int k = 0; k < n; k++) {
    BattachSpec spec;
    TpFill t = {.field = refs[k].field, .first = true};
    char pat[200];
    if (battach_parse(refs[k].probe->pp, &spec) == 0 && spec.kind == BATT_TRACEPOINT) {
      snprintf(pat, sizeof pat, "%s:%s", spec.system, spec.event);
      if (tfs_event_glob(pat, fill_one, &t) <= 0) t.bad = true;
    } else {
      t.bad = true;
    }
    out[2 * k] = t.bad || t.first ? -1 : t.off;
    out[2 * k + 1] = t.bad || t.first ? -1 : t.shape;
  }
}

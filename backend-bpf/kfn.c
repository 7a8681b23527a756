/* kfn.c: kernel.function and kprobe.function probes: which functions a
 * probe point names, and attaching a program to them (kprobes).
 *
 * The functions are those kbtf.c lists (the kernel's BTF with a text
 * symbol in /proc/kallsyms), one per name, sorted: the same list at
 * compile time (gen-kfn.c types target variables and spells pp() from it)
 * and at attach time, so the BPF cookie of each attachment, its index in
 * the list, names the function the program runs for.  A name without glob
 * characters is taken as it is, without a look at BTF, so that an exact
 * kprobe works on a kernel without BTF.
 *
 * Attaching: one kprobe_multi link for the whole list where the kernel has
 * them (CONFIG_FPROBE; its functions must be ftrace's, so the list is cut
 * to available_filter_functions first), else one kprobe or kretprobe per
 * function.  A pattern skips the functions the kernel refuses (notrace,
 * the kprobe blacklist), as stap does; an exact name that is refused is an
 * error.  Nothing here prints: messages go to the caller's buffer.
 * Programs that gen-kfn.c made for fentry/fexit do not come here: each
 * names its one function in its section, and session.c attaches it with
 * bpf_program__attach_trace.
 */
#include "bpfload.h"
#include "kbtf.h"

#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

bool kfn_is_pattern(const BattachSpec *sp) { return strpbrk(sp->kfunc, "*?[") != NULL; }

void kfn_names_free(char **names, int n) {
  for (int k = 0; names && k < n; k++) free(names[k]);
  free(names);
}

typedef struct NameList {
  char **v;
  int n, cap;
} NameList;

static int push_name(NameList *l, const char *name) {
  if (l->n && !strcmp(l->v[l->n - 1], name)) return 0; /* two static functions of one name */
  if (l->n == l->cap) {
    int nc = l->cap ? l->cap * 2 : 64;
    char **nv = realloc(l->v, sizeof *nv * (size_t)nc);
    if (!nv) return -ENOMEM;
    l->v = nv;
    l->cap = nc;
  }
  if (!(l->v[l->n] = strdup(name))) return -ENOMEM;
  l->n++;
  return 0;
}

static int collect_name(void *ctx, const KbtfFunc *f) { return push_name(ctx, f->name); }

int kfn_names(const BattachSpec *sp, char ***names, int *n, char *err, size_t errlen) {
  *names = NULL;
  *n = 0;
  NameList l = {0};
  int rc;
  if (!kfn_is_pattern(sp)) {
    rc = push_name(&l, sp->kfunc);
  } else {
    Kbtf *k;
    rc = kbtf_open(&k, err, errlen);
    if (rc == 0) {
      rc = kbtf_func_glob(k, sp->kmodule[0] ? sp->kmodule : NULL, sp->kfunc, collect_name, &l, err, errlen);
      kbtf_close(k);
    }
    if (rc > 0) rc = 0;
  }
  if (rc) {
    if (rc == -ENOMEM) snprintf(err, errlen, "out of memory");
    kfn_names_free(l.v, l.n);
    return rc;
  }
  *names = l.v;
  *n = l.n;
  return 0;
}

/* ---- ftrace's functions -------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* available_filter_functions as a sorted array of names (the text they
 * point into is *text); NULL when it cannot be read. */
static char **ftrace_functions(char **text, size_t *n) {
  const char *root;
  char path[300];
  *text = NULL;
  *n = 0;
  if (tfs_root(&root) != 0) return NULL;
  snprintf(path, sizeof path, "%s/available_filter_functions", root);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return NULL;
  size_t len = 0, cap = 1 << 20;
  char *buf = malloc(cap);
  for (ssize_t r = 1; buf && r > 0;) {
    if (cap - len < 65536) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) break;
      buf = nb, cap *= 2;
    }
    r = read(fd, buf + len, cap - len - 1);
    if (r > 0) len += (size_t)r;
  }
  close(fd);
  if (!buf) return NULL;
  buf[len] = '\0';
  size_t lines = 0;
  for (size_t k = 0; k < len; k++) lines += buf[k] == '\n';
  char **v = malloc(sizeof *v * (lines + 1));
  if (!v) {
    free(buf);
    return NULL;
  }
  for (char *l = buf, *next; *l; l = next) {
    next = strchr(l, '\n');
    if (next) *next++ = '\0';
    else next = l + strlen(l);
    l[strcspn(l, " \t")] = '\0'; /* "name [module]" */
    if (*l) v[(*n)++] = l;
  }
  qsort(v, *n, sizeof *v, cmp_str);
  *text = buf;
  return v;
}

bool kfn_ftrace_has(const char *name) {
  char *text;
  size_t n;
  char **ft = ftrace_functions(&text, &n);
  bool has = !ft || bsearch(&name, ft, n, sizeof *ft, cmp_str) != NULL;
  free(ft);
  free(text);
  return has;
}

/* ---- attaching ------------------------------------------------------------------------- */

static int keep(KfnLinks *out, struct bpf_link *lk) {
  if (out->n == out->cap) {
    int nc = out->cap ? out->cap * 2 : 16;
    struct bpf_link **nv = realloc(out->links, sizeof *nv * (size_t)nc);
    if (!nv) {
      bpf_link__destroy(lk);
      return -ENOMEM;
    }
    out->links = nv;
    out->cap = nc;
  }
  out->links[out->n++] = lk;
  return 0;
}

static int attach_multi(struct bpf_program *prog, const BattachSpec *sp, char **names, int n, KfnLinks *out,
                        char *err, size_t errlen) {
  char *text;
  size_t nft;
  char **ft = ftrace_functions(&text, &nft);
  const char **syms = malloc(sizeof *syms * (size_t)n);
  __u64 *cookies = malloc(sizeof *cookies * (size_t)n);
  int cnt = 0, rc = 0;
  if (!syms || !cookies) rc = -ENOMEM;
  for (int k = 0; !rc && k < n; k++) {
    if (ft && !bsearch(&names[k], ft, nft, sizeof *ft, cmp_str)) continue; /* not ftrace's: fprobe cannot */
    syms[cnt] = names[k];
    cookies[cnt++] = (__u64)k;
  }
  if (!rc && cnt == 0) {
    snprintf(err, errlen, "none of the %d functions it names can be traced (none is in available_filter_functions)",
             n);
    rc = -ENOENT;
  }
  if (!rc) {
    LIBBPF_OPTS(bpf_kprobe_multi_opts, o, .syms = syms, .cookies = cookies, .cnt = (size_t)cnt,
                .retprobe = sp->kret);
    struct bpf_link *lk = bpf_program__attach_kprobe_multi_opts(prog, NULL, &o);
    if (!lk) {
      rc = -errno;
      snprintf(err, errlen, "attaching %s to %d functions failed: %s", sp->kret ? "kretprobes" : "kprobes", cnt,
               strerror(-rc));
    } else {
      rc = keep(out, lk);
      out->functions += cnt;
    }
  }
  free(syms);
  free(cookies);
  free(ft);
  free(text);
  return rc;
}

static int attach_each(struct bpf_program *prog, const BattachSpec *sp, char **names, int n, KfnLinks *out,
                       char *err, size_t errlen) {
  int first_errno = 0;
  const char *first = NULL;
  for (int k = 0; k < n; k++) {
    LIBBPF_OPTS(bpf_kprobe_opts, o, .bpf_cookie = (uint64_t)k, .retprobe = sp->kret);
    struct bpf_link *lk = bpf_program__attach_kprobe_opts(prog, names[k], &o);
    if (!lk) {
      if (!first) first = names[k], first_errno = errno;
      continue;
    }
    int rc = keep(out, lk);
    if (rc) return rc;
    out->functions++;
  }
  if (first && (!kfn_is_pattern(sp) || out->functions == 0)) {
    snprintf(err, errlen, "the kernel refused a %s on %s: %s", sp->kret ? "kretprobe" : "kprobe", first,
             strerror(first_errno));
    return first_errno ? -first_errno : -EINVAL;
  }
  return 0;
}

int kfn_attach(struct bpf_program *prog, const BattachSpec *sp, bool multi, KfnLinks *out, char *err,
               size_t errlen) {
  char **names;
  int n;
  err[0] = '\0';
  int rc = kfn_names(sp, &names, &n, err, errlen);
  if (rc) return rc;
  if (n == 0) {
    snprintf(err, errlen, "no function matches '%s'%s%s", sp->kfunc, sp->kmodule[0] ? " in module " : "",
             sp->kmodule);
    return -ENOENT;
  }
  rc = multi ? attach_multi(prog, sp, names, n, out, err, errlen) : attach_each(prog, sp, names, n, out, err, errlen);
  kfn_names_free(names, n);
  return rc;
}

/* tracefs.c: the tracepoint catalogue, read from tracefs.
 *
 * What kernel.trace("SYS:EVENT") and syscall.NAME probes need to know about
 * the running kernel: where tracefs is (mounting it if nobody has), which
 * events exist (available_events, events/syscalls/), and the record layout of
 * one event (its format file).  Every call reads only the files it needs:
 * listing names never opens a format file, so a glob over 2,000 events costs
 * one read of available_events.
 *
 * It must not attach anything, nor print: failures return -errno and, where the
 * caller passed a buffer, a message for the user.
 */
#include "bpfload.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#define TFS_MOUNT_POINT "/sys/kernel/tracing"

static const char *const tfs_candidates[] = {TFS_MOUNT_POINT, "/sys/kernel/debug/tracing"};
static char tfs_cached[64]; /* the root once found; "" before */

void tfs_set_err(char *err, size_t errlen, const char *fmt, ...) {
  if (!err || !errlen) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(err, errlen, fmt, ap);
  va_end(ap);
}

/* A mounted tracefs shows available_events at its top; an unmounted
 * mount point, or debugfs without tracing, does not. */
static bool is_tracefs(const char *dir) {
  char p[128];
  snprintf(p, sizeof p, "%s/available_events", dir);
  return access(p, R_OK) == 0;
}

int tfs_root(const char **path) {
  if (!tfs_cached[0]) {
    for (size_t i = 0; i < sizeof tfs_candidates / sizeof *tfs_candidates && !tfs_cached[0]; i++)
      if (is_tracefs(tfs_candidates[i])) snprintf(tfs_cached, sizeof tfs_cached, "%s", tfs_candidates[i]);
    if (!tfs_cached[0]) {
      /* EBUSY: someone mounted it between our look and our mount. */
      if (mount("tracefs", TFS_MOUNT_POINT, "tracefs", 0, NULL) != 0 && errno != EBUSY) return -errno;
      if (!is_tracefs(TFS_MOUNT_POINT)) return -ENOENT;
      snprintf(tfs_cached, sizeof tfs_cached, "%s", TFS_MOUNT_POINT);
    }
  }
  if (path) *path = tfs_cached;
  return 0;
}

int tfs_read_file(const char *path, char **out) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -errno;
  size_t len = 0, cap = 4096;
  char *buf = malloc(cap);
  int rc = 0;
  for (;;) {
    if (!buf) {
      rc = -ENOMEM;
      break;
    }
    if (cap - len < 2048) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        rc = -ENOMEM;
        break;
      }
      buf = nb, cap *= 2;
    }
    ssize_t n = read(fd, buf + len, cap - len - 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      rc = -errno;
      break;
    }
    if (n == 0) break;
    len += (size_t)n;
  }
  close(fd);
  if (rc) {
    free(buf);
    return rc;
  }
  buf[len] = '\0';
  *out = buf;
  return 0;
}

/* System and event names become path components: refuse what could leave
 * events/ ("..", "/") or is empty. */
static bool valid_part(const char *s) {
  return s && *s && !strchr(s, '/') && strcmp(s, ".") && strcmp(s, "..");
}

/* ---- format files --------------------------------------------------------- */

/* Byte size of a basic element type, for arrays whose length the kernel
 * printed as an unexpanded name; 0 when unknown. */
static int basic_size(const char *t) {
  static const char *const groups[] = {/* of 1, 2, 4 and 8 bytes */
                                       "|char|unsigned char|signed char|u8|s8|__u8|bool|",
                                       "|short|unsigned short|u16|s16|__u16|",
                                       "|int|unsigned int|u32|s32|__u32|pid_t|",
                                       "|long|unsigned long|long long|unsigned long long|u64|s64|__u64|"};
  char key[72];
  snprintf(key, sizeof key, "|%s|", t);
  for (int i = 0; i < 4; i++)
    if (strstr(groups[i], key)) return 1 << i;
  return strchr(t, '*') ? 8 : 0;
}

/* The element type of a declaration's type text: without __data_loc or
 * __rel_loc, a trailing "[]" and a leading "const ". */
static void elem_type(const char *type, char *out, size_t outlen) {
  const char *p = type;
  if (!strncmp(p, "__data_loc ", 11))
    p += 11;
  else if (!strncmp(p, "__rel_loc ", 10))
    p += 10;
  if (!strncmp(p, "const ", 6)) p += 6;
  size_t n = strlen(p);
  if (n >= 2 && !strcmp(p + n - 2, "[]")) n -= 2;
  while (n && p[n - 1] == ' ') n--;
  snprintf(out, outlen, "%.*s", (int)n, p);
}

/* Reads "key:N;" from a field line; false when absent. */
static bool field_attr(const char *line, const char *key, int *v) {
  const char *p = strstr(line, key);
  if (!p) return false;
  *v = (int)strtol(p + strlen(key), NULL, 10);
  return true;
}

/* field-line: "field:" decl ";" "offset:" N ";" "size:" N ";" ["signed:" N ";"]
 * decl:       type name ["[" len? "]"]
 *           | ("__data_loc" | "__rel_loc") type ["[]"] name
 * The type is kept as written before the name ("const char *",
 * "__data_loc char[]", "char" for "char comm[16]"). */
static int parse_field(const char *line, TfsField *f) {
  const char *d = strchr(line, ':');
  const char *semi = d ? strchr(d, ';') : NULL;
  if (!semi) return -EINVAL;
  d++;
  while (d < semi && isspace((unsigned char)*d)) d++;
  const char *e = semi;
  while (e > d && isspace((unsigned char)e[-1])) e--;
  const char *arr = NULL; /* '[' of a fixed or flexible array after the name */
  if (e > d && e[-1] == ']') {
    arr = e - 1;
    while (arr > d && *arr != '[') arr--;
    if (*arr != '[') return -EINVAL;
    e = arr;
    while (e > d && isspace((unsigned char)e[-1])) e--;
  }
  const char *name = e;
  while (name > d && (isalnum((unsigned char)name[-1]) || name[-1] == '_')) name--;
  if (name == e) return -EINVAL;
  const char *te = name;
  while (te > d && isspace((unsigned char)te[-1])) te--;
  if (te == d) return -EINVAL;

  f->name = strndup(name, (size_t)(e - name));
  f->type = strndup(d, (size_t)(te - d));
  if (!f->name || !f->type) return -ENOMEM;
  if (!field_attr(line, "offset:", &f->offset) || !field_attr(line, "size:", &f->size)) return -EINVAL;
  int sgn = 0;
  f->is_signed = field_attr(line, "signed:", &sgn) && sgn;
  f->rel_loc = !strncmp(f->type, "__rel_loc ", 10);
  f->data_loc = f->rel_loc || !strncmp(f->type, "__data_loc ", 11);
  f->common = !strncmp(f->name, "common_", 7);

  char et[64];
  elem_type(f->type, et, sizeof et);
  f->is_pointer = !f->data_loc && !arr && strchr(et, '*');
  bool chars = !strcmp(et, "char");
  if (f->data_loc) {
    f->is_string = chars && strstr(f->type, "[]");
  } else if (arr) {
    f->is_string = chars;
    char *end;
    long n = strtol(arr + 1, &end, 10);
    if (end > arr + 1 && *end == ']')
      f->array_len = (int)n;
    else if (arr[1] != ']' && basic_size(et))
      f->array_len = f->size / basic_size(et);
    else if (arr[1] != ']')
      f->array_len = f->size; /* unknown element: count bytes */
  }
  return 0;
}

static void event_free_fields(TfsField *fs, int n) {
  for (int i = 0; i < n; i++) {
    free(fs[i].name);
    free(fs[i].type);
  }
  free(fs);
}

void tfs_event_free(TfsEvent *ev) {
  if (!ev) return;
  free(ev->system);
  free(ev->name);
  event_free_fields(ev->fields, ev->nfields);
  free(ev);
}

/* format: "name:" NAME NL "ID:" N NL "format:" NL field-line* ... "print fmt:" ...
 * Lines other than field lines and ID are skipped; parsing stops at
 * "print fmt:". */
int tfs_event_parse(const char *system, const char *name, const char *text, TfsEvent **out, char *err,
                    size_t errlen) {
  *out = NULL;
  TfsEvent *ev = calloc(1, sizeof *ev);
  if (!ev) return -ENOMEM;
  ev->id = -1;
  ev->system = strdup(system);
  ev->name = strdup(name);
  int rc = (ev->system && ev->name) ? 0 : -ENOMEM;
  int cap = 0, lineno = 0;
  for (const char *l = text, *next; rc == 0 && l && *l; l = next) {
    next = strchr(l, '\n');
    if (next) next++;
    lineno++;
    while (*l == ' ' || *l == '\t') l++;
    if (!strncmp(l, "print fmt:", 10)) break;
    if (!strncmp(l, "ID:", 3)) {
      ev->id = (int)strtol(l + 3, NULL, 10);
      continue;
    }
    if (strncmp(l, "field", 5) || !strchr(": ", l[5])) continue; /* "field:" or old "field special:" */
    if (ev->nfields == cap) {
      cap = cap ? cap * 2 : 16;
      TfsField *nf = realloc(ev->fields, (size_t)cap * sizeof *nf);
      if (!nf) {
        rc = -ENOMEM;
        break;
      }
      ev->fields = nf;
    }
    TfsField *f = &ev->fields[ev->nfields];
    memset(f, 0, sizeof *f);
    ev->nfields++;
    char line[1024]; /* the line alone, so that no search runs into the next */
    int len = (int)strcspn(l, "\n");
    snprintf(line, sizeof line, "%.*s", len, l);
    rc = len < (int)sizeof line ? parse_field(line, f) : -EINVAL;
    if (rc == -EINVAL)
      tfs_set_err(err, errlen, "%s:%s: cannot parse line %d of the format: %.*s", system, name, lineno, len, l);
  }
  if (rc == 0 && ev->id < 0) {
    tfs_set_err(err, errlen, "%s:%s: the format has no ID line", system, name);
    rc = -EINVAL;
  }
  if (rc) {
    if (rc == -ENOMEM) tfs_set_err(err, errlen, "%s:%s: out of memory", system, name);
    tfs_event_free(ev);
    return rc;
  }
  *out = ev;
  return 0;
}

/* Finds the root, filling err on failure. */
static int root_or_err(const char **root, char *err, size_t errlen) {
  int rc = tfs_root(root);
  if (rc) tfs_set_err(err, errlen, "cannot find or mount tracefs at " TFS_MOUNT_POINT ": %s", strerror(-rc));
  return rc;
}

int tfs_event_load(const char *system, const char *name, TfsEvent **out, char *err, size_t errlen) {
  *out = NULL;
  if (!valid_part(system) || !valid_part(name)) {
    tfs_set_err(err, errlen, "invalid tracepoint name '%s:%s'", system ? system : "", name ? name : "");
    return -EINVAL;
  }
  const char *root;
  int rc = root_or_err(&root, err, errlen);
  if (rc) return rc;
  char path[512], *text = NULL;
  snprintf(path, sizeof path, "%s/events/%s/%s/format", root, system, name);
  rc = tfs_read_file(path, &text);
  if (rc == -ENOENT || rc == -ENOTDIR) {
    tfs_set_err(err, errlen, "no tracepoint %s:%s in this kernel (no %s)", system, name, path);
    return -ENOENT;
  }
  if (rc) {
    tfs_set_err(err, errlen, "cannot read %s: %s", path, strerror(-rc));
    return rc;
  }
  rc = tfs_event_parse(system, name, text, out, err, errlen);
  free(text);
  return rc;
}

const TfsField *tfs_event_field(const TfsEvent *ev, const char *name) {
  for (int i = 0; i < ev->nfields; i++)
    if (!strcmp(ev->fields[i].name, name)) return &ev->fields[i];
  return NULL;
}

/* ---- globs ---------------------------------------------------------------- */

typedef struct NamePair {
  const char *system, *name; /* both point into the text read */
} NamePair;

static int cmp_pair(const void *a, const void *b) {
  const NamePair *x = a, *y = b;
  int c = strcmp(x->system, y->system);
  return c ? c : strcmp(x->name, y->name);
}

int tfs_event_glob(const char *pattern, TfsEventFn fn, void *ctx) {
  char sys_pat[256];
  const char *ev_pat = strchr(pattern, ':');
  if (ev_pat) {
    if (ev_pat == pattern || (size_t)(ev_pat - pattern) >= sizeof sys_pat || !ev_pat[1]) return -EINVAL;
    snprintf(sys_pat, sizeof sys_pat, "%.*s", (int)(ev_pat - pattern), pattern);
    ev_pat++;
  } else {
    if (!*pattern) return -EINVAL;
    strcpy(sys_pat, "*");
    ev_pat = pattern;
  }
  const char *root;
  int rc = tfs_root(&root);
  if (rc) return rc;
  char path[600], *text = NULL;
  if (!strpbrk(sys_pat, "*?[\\") && !strpbrk(ev_pat, "*?[\\")) {
    /* one named event: its directory says whether it exists, without a
     * read of the whole catalogue (a script of 1,000 probes makes 1,000) */
    snprintf(path, sizeof path, "%s/events/%s/%s/id", root, sys_pat, ev_pat);
    if (access(path, F_OK) != 0) return errno == ENOENT || errno == ENOTDIR ? 0 : -errno;
    int r = fn(ctx, sys_pat, ev_pat);
    return r ? r : 1;
  }
  snprintf(path, sizeof path, "%s/available_events", root);
  if ((rc = tfs_read_file(path, &text))) return rc;

  /* available_events: one "system:event" per line, in no useful order. */
  NamePair *v = NULL;
  size_t n = 0, cap = 0;
  for (char *l = text, *next; l && *l; l = next) {
    next = strchr(l, '\n');
    if (next) *next++ = '\0';
    char *colon = strchr(l, ':');
    if (!colon) continue;
    *colon = '\0';
    if (fnmatch(sys_pat, l, 0) || fnmatch(ev_pat, colon + 1, 0)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      NamePair *nv = realloc(v, cap * sizeof *nv);
      if (!nv) {
        rc = -ENOMEM;
        goto out;
      }
      v = nv;
    }
    v[n++] = (NamePair){l, colon + 1};
  }
  if (n) qsort(v, n, sizeof *v, cmp_pair);
  rc = (int)n;
  for (size_t i = 0; i < n; i++) {
    int r = fn(ctx, v[i].system, v[i].name);
    if (r) {
      rc = r;
      break;
    }
  }
out:
  free(v);
  free(text);
  return rc;
}

/* ---- syscalls ------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Appends strdup(s) to *v; 0 or -ENOMEM. */
static int push_name(char ***v, size_t *n, size_t *cap, const char *s) {
  if (*n == *cap) {
    *cap = *cap ? *cap * 2 : 256;
    char **nv = realloc(*v, *cap * sizeof *nv);
    if (!nv) return -ENOMEM;
    *v = nv;
  }
  if (!((*v)[*n] = strdup(s))) return -ENOMEM;
  (*n)++;
  return 0;
}

int tfs_syscall_list(const char *pattern, TfsSyscallFn fn, void *ctx) {
  const char *root;
  int rc = tfs_root(&root);
  if (rc) return rc;
  char path[128];
  snprintf(path, sizeof path, "%s/events/syscalls", root);
  DIR *dir = opendir(path);
  if (!dir) return -errno;
  char **enter = NULL, **exits = NULL;
  size_t nen = 0, capen = 0, nex = 0, capex = 0;
  for (struct dirent *de; rc == 0 && (de = readdir(dir));) {
    if (!strncmp(de->d_name, "sys_enter_", 10)) {
      if (!pattern || !fnmatch(pattern, de->d_name + 10, 0))
        rc = push_name(&enter, &nen, &capen, de->d_name + 10);
    } else if (!strncmp(de->d_name, "sys_exit_", 9)) {
      rc = push_name(&exits, &nex, &capex, de->d_name + 9);
    }
  }
  closedir(dir);
  if (rc == 0) {
    if (nen) qsort(enter, nen, sizeof *enter, cmp_str);
    if (nex) qsort(exits, nex, sizeof *exits, cmp_str);
    rc = (int)nen;
    for (size_t i = 0; i < nen; i++) {
      bool has_exit = nex && bsearch(&enter[i], exits, nex, sizeof *exits, cmp_str);
      int r = fn(ctx, enter[i], has_exit);
      if (r) {
        rc = r;
        break;
      }
    }
  }
  for (size_t i = 0; i < nen; i++) free(enter[i]);
  for (size_t i = 0; i < nex; i++) free(exits[i]);
  free(enter);
  free(exits);
  return rc;
}

void tfs_syscall_free(TfsSyscall *sc) {
  if (!sc) return;
  free(sc->name);
  tfs_event_free(sc->enter);
  tfs_event_free(sc->exit);
  free(sc);
}

int tfs_syscall_load(const char *name, TfsSyscall **out, char *err, size_t errlen) {
  *out = NULL;
  char ev[256];
  snprintf(ev, sizeof ev, "sys_enter_%s", name);
  TfsSyscall *sc = calloc(1, sizeof *sc);
  if (!sc || !(sc->name = strdup(name))) {
    free(sc);
    tfs_set_err(err, errlen, "out of memory");
    return -ENOMEM;
  }
  int rc = tfs_event_load("syscalls", ev, &sc->enter, err, errlen);
  if (rc == -ENOENT)
    tfs_set_err(err, errlen, "no syscall %s in this kernel (no tracepoint syscalls:%s)", name, ev);
  if (rc) goto fail;
  int i = 0;
  while (i < sc->enter->nfields && strcmp(sc->enter->fields[i].name, "__syscall_nr")) i++;
  if (i == sc->enter->nfields) {
    tfs_set_err(err, errlen, "syscalls:%s has no __syscall_nr field", ev);
    rc = -EINVAL;
    goto fail;
  }
  sc->nr = &sc->enter->fields[i];
  sc->args = &sc->enter->fields[i + 1];
  sc->nargs = sc->enter->nfields - i - 1;

  snprintf(ev, sizeof ev, "sys_exit_%s", name);
  rc = tfs_event_load("syscalls", ev, &sc->exit, err, errlen);
  if (rc == -ENOENT) { /* some syscalls never return (exit, rt_sigreturn) */
    tfs_set_err(err, errlen, "%s", "");
    rc = 0;
  }
  if (rc) goto fail;
  if (sc->exit) sc->ret = tfs_event_field(sc->exit, "ret");
  *out = sc;
  return 0;
fail:
  tfs_syscall_free(sc);
  return rc;
}

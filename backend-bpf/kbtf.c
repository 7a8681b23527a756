/* kbtf.c: kernel functions and their C types from BTF (kbtf.h).
 *
 * A function is listed when the kernel's BTF has a FUNC record of that name
 * and /proc/kallsyms has a text symbol of that name in the same module: BTF
 * alone also describes functions that were inlined everywhere or renamed by
 * the compiler (foo.isra.0), which no probe can reach by name, and kallsyms
 * alone has no types.  runtime/ksym.c is not used: it keeps one name per
 * address for symbolisation, and aliases matter here.
 *
 * Type spelling follows stap's dwarf_type_name, which walks from the outer
 * type inwards and puts each level in front of what it has so far: a
 * pointer adds "*", a const " const", and the named type at the bottom
 * comes first, so "const char *" reads "char const*".  The tracefs text
 * form is parsed into the same shape and spelt by the same rule.
 *
 * Nothing here prints or attaches; BTF objects and the kallsyms text are
 * owned by the Kbtf and freed with it.
 */
#include "kbtf.h"

#include "bpfload.h"

#include <bpf/btf.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define KBTF_SYSFS "/sys/kernel/btf"
#define KBTF_MAX_DEPTH 32 /* type levels followed before giving up ("?") */

typedef struct KsymName {
  const char *name;
  const char *module; /* "" for vmlinux */
} KsymName;

typedef struct KbtfModule {
  char *name;
  struct btf *btf; /* split BTF on vmlinux's */
} KbtfModule;

struct Kbtf {
  struct btf *vmlinux;
  KbtfModule *mods; /* opened so far */
  int nmods;
  char *ksym_text; /* /proc/kallsyms, cut into the strings of ksyms */
  KsymName *ksyms; /* text symbols, sorted by name then module */
  size_t nksyms;
};

int kbtf_open(Kbtf **out, char *err, size_t errlen) {
  *out = NULL;
  Kbtf *k = calloc(1, sizeof *k);
  if (!k) return -ENOMEM;
  k->vmlinux = btf__load_vmlinux_btf();
  if (!k->vmlinux) {
    int rc = errno ? -errno : -ENOENT;
    tfs_set_err(err, errlen, "cannot read the kernel's BTF (" KBTF_SYSFS "/vmlinux): %s", strerror(-rc));
    free(k);
    return rc;
  }
  *out = k;
  return 0;
}

void kbtf_close(Kbtf *k) {
  if (!k) return;
  for (int i = 0; i < k->nmods; i++) {
    btf__free(k->mods[i].btf);
    free(k->mods[i].name);
  }
  free(k->mods);
  btf__free(k->vmlinux);
  free(k->ksyms);
  free(k->ksym_text);
  free(k);
}

/* ---- kallsyms ------------------------------------------------------------------- */

static int cmp_ksym(const void *a, const void *b) {
  const KsymName *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : strcmp(x->module, y->module);
}

/* line: ADDR " " TYPE " " NAME ["\t[" MODULE "]"]; keeps t, T, w and W. */
static bool parse_ksym(char *line, KsymName *out) {
  char *type = strchr(line, ' ');
  if (!type || !type[1] || type[2] != ' ' || !strchr("tTwW", type[1])) return false;
  char *name = type + 3, *mod = strchr(name, '\t');
  out->module = "";
  if (mod) {
    *mod++ = '\0';
    if (*mod == '[') {
      mod++;
      mod[strcspn(mod, "]")] = '\0';
      out->module = mod;
    }
  }
  out->name = name;
  return *name != '\0';
}

static int load_ksyms(Kbtf *k, char *err, size_t errlen) {
  if (k->ksym_text) return 0;
  int rc = tfs_read_file("/proc/kallsyms", &k->ksym_text);
  if (rc) {
    tfs_set_err(err, errlen, "cannot read /proc/kallsyms: %s", strerror(-rc));
    return rc;
  }
  size_t cap = 0;
  for (char *l = k->ksym_text, *next; l && *l; l = next) {
    next = strchr(l, '\n');
    if (next) *next++ = '\0';
    KsymName s;
    if (!parse_ksym(l, &s)) continue;
    if (k->nksyms == cap) {
      cap = cap ? cap * 2 : 1 << 16;
      KsymName *nv = realloc(k->ksyms, cap * sizeof *nv);
      if (!nv) {
        tfs_set_err(err, errlen, "out of memory reading /proc/kallsyms");
        return -ENOMEM;
      }
      k->ksyms = nv;
    }
    k->ksyms[k->nksyms++] = s;
  }
  if (k->nksyms) qsort(k->ksyms, k->nksyms, sizeof *k->ksyms, cmp_ksym);
  return 0;
}

static bool ksym_has(const Kbtf *k, const char *name, const char *module) {
  KsymName key = {name, module ? module : ""};
  return k->nksyms && bsearch(&key, k->ksyms, k->nksyms, sizeof key, cmp_ksym);
}

/* ---- modules -------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int kbtf_module_glob(const char *pattern, KbtfNameFn fn, void *ctx) {
  DIR *dir = opendir(KBTF_SYSFS);
  if (!dir) return -errno;
  char **names = NULL;
  size_t n = 0, cap = 0;
  int rc = 0;
  for (struct dirent *de; rc == 0 && (de = readdir(dir));) {
    if (de->d_name[0] == '.' || !strcmp(de->d_name, "vmlinux") || fnmatch(pattern, de->d_name, 0)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 32;
      char **nv = realloc(names, cap * sizeof *nv);
      if (!nv) {
        rc = -ENOMEM;
        break;
      }
      names = nv;
    }
    if (!(names[n] = strdup(de->d_name)))
      rc = -ENOMEM;
    else
      n++;
  }
  closedir(dir);
  if (rc == 0 && n) qsort(names, n, sizeof *names, cmp_str);
  if (rc == 0) rc = (int)n;
  for (size_t i = 0; rc >= 0 && i < n; i++) {
    int r = fn(ctx, names[i]);
    if (r) rc = r;
  }
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return rc;
}

/* The BTF of module (NULL: vmlinux), opened on first use. */
static int module_btf(Kbtf *k, const char *module, struct btf **out, char *err, size_t errlen) {
  *out = k->vmlinux;
  if (!module) return 0;
  for (int i = 0; i < k->nmods; i++)
    if (!strcmp(k->mods[i].name, module)) {
      *out = k->mods[i].btf;
      return 0;
    }
  if (!*module || strchr(module, '/') || !strcmp(module, ".") || !strcmp(module, "..")) {
    tfs_set_err(err, errlen, "invalid module name '%s'", module);
    return -EINVAL;
  }
  char path[512];
  snprintf(path, sizeof path, KBTF_SYSFS "/%s", module);
  struct btf *b = btf__parse_split(path, k->vmlinux);
  if (!b) {
    int rc = errno ? -errno : -ENOENT;
    if (rc == -ENOENT)
      tfs_set_err(err, errlen, "module %s has no BTF (no %s: not loaded, or built without BTF)", module, path);
    else
      tfs_set_err(err, errlen, "cannot read %s: %s", path, strerror(-rc));
    return rc;
  }
  KbtfModule *nm = realloc(k->mods, (size_t)(k->nmods + 1) * sizeof *nm);
  char *name = strdup(module);
  if (!nm || !name) {
    free(name);
    if (nm) k->mods = nm;
    btf__free(b);
    tfs_set_err(err, errlen, "out of memory");
    return -ENOMEM;
  }
  k->mods = nm;
  k->mods[k->nmods++] = (KbtfModule){name, b};
  *out = b;
  return 0;
}

/* ---- functions ------------------------------------------------------------------ */

static int cmp_func(const void *a, const void *b) {
  const KbtfFunc *x = a, *y = b;
  int c = strcmp(x->name, y->name);
  return c ? c : (x->id > y->id) - (x->id < y->id);
}

int kbtf_func_glob(Kbtf *k, const char *module, const char *pattern, KbtfFuncFn fn, void *ctx, char *err,
                   size_t errlen) {
  struct btf *btf;
  int rc = module_btf(k, module, &btf, err, errlen);
  if (rc == 0) rc = load_ksyms(k, err, errlen);
  if (rc) return rc;
  const char *mod = NULL;
  for (int i = 0; module && i < k->nmods; i++)
    if (k->mods[i].btf == btf) mod = k->mods[i].name;
  /* a module's split BTF numbers its own types after vmlinux's */
  uint32_t first = btf == k->vmlinux ? 1 : btf__type_cnt(k->vmlinux), end = btf__type_cnt(btf);
  KbtfFunc *v = NULL;
  size_t n = 0, cap = 0;
  for (uint32_t id = first; id < end; id++) {
    const struct btf_type *t = btf__type_by_id(btf, id);
    if (!t || !btf_is_func(t)) continue;
    const char *name = btf__name_by_offset(btf, t->name_off);
    if (!name || fnmatch(pattern, name, 0) || !ksym_has(k, name, mod)) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      KbtfFunc *nv = realloc(v, cap * sizeof *nv);
      if (!nv) {
        free(v);
        tfs_set_err(err, errlen, "out of memory");
        return -ENOMEM;
      }
      v = nv;
    }
    v[n++] = (KbtfFunc){.name = name, .module = mod, .btf = btf, .id = id, .proto = t->type};
  }
  if (n) qsort(v, n, sizeof *v, cmp_func);
  rc = (int)n;
  for (size_t i = 0; i < n; i++) {
    int r = fn(ctx, &v[i]);
    if (r) {
      rc = r;
      break;
    }
  }
  free(v);
  return rc;
}

static const struct btf_type *proto_of(const KbtfFunc *f) {
  const struct btf_type *t = btf__type_by_id(f->btf, f->proto);
  return t && btf_is_func_proto(t) ? t : NULL;
}

int kbtf_func_nparams(const KbtfFunc *f) {
  const struct btf_type *t = proto_of(f);
  if (!t) return 0;
  int n = btf_vlen(t);
  const struct btf_param *p = btf_params(t);
  if (n && !p[n - 1].type && !p[n - 1].name_off) n--; /* variadic */
  return n;
}

const char *kbtf_func_param(const KbtfFunc *f, int i, uint32_t *type) {
  const struct btf_type *t = proto_of(f);
  *type = 0;
  if (!t || i < 0 || i >= btf_vlen(t)) return "";
  const struct btf_param *p = &btf_params(t)[i];
  *type = p->type;
  const char *name = btf__name_by_offset(f->btf, p->name_off);
  return name ? name : "";
}

uint32_t kbtf_func_return(const KbtfFunc *f) {
  const struct btf_type *t = proto_of(f);
  return t ? t->type : 0;
}

/* ---- spelling types ----------------------------------------------------------------- */

/* Puts s in front of buf's text, cutting at the end when it would not fit. */
static void prepend(char *buf, size_t len, const char *s) {
  size_t n = strlen(s), m = strlen(buf);
  if (n >= len) n = len - 1;
  if (n + m >= len) m = len - 1 - n;
  memmove(buf + n, buf, m);
  buf[n + m] = '\0';
  memcpy(buf, s, n);
}

static const char *tag_name(const struct btf *btf, const struct btf_type *t, const char *tag, char *tmp,
                            size_t len) {
  const char *name = btf__name_by_offset(btf, t->name_off);
  snprintf(tmp, len, "%s %s", tag, name && *name ? name : "{...}");
  return tmp;
}

static void spell(const struct btf *btf, uint32_t id, char *buf, size_t len, int depth);

/* "RET (SO_FAR)(ARGS)": a function type under what buf already holds. */
static void spell_proto(const struct btf *btf, const struct btf_type *t, char *buf, size_t len, int depth) {
  char ret[KBTF_TYPE_MAX] = "", arg[KBTF_TYPE_MAX];
  spell(btf, t->type, ret, sizeof ret, depth + 1);
  char *text = malloc(len);
  if (!text) return;
  int at = buf[0] ? snprintf(text, len, "%s (%s)(", ret, buf) : snprintf(text, len, "%s (", ret);
  const struct btf_param *p = btf_params(t);
  int n = btf_vlen(t);
  for (int i = 0; i < n && at >= 0 && (size_t)at < len; i++) {
    arg[0] = '\0';
    if (!p[i].type && i == n - 1)
      strcpy(arg, "...");
    else
      spell(btf, p[i].type, arg, sizeof arg, depth + 1);
    at += snprintf(text + at, len - (size_t)at, "%s%s", i ? ", " : "", arg);
  }
  if (at >= 0 && (size_t)at < len) snprintf(text + at, len - (size_t)at, "%s)", n ? "" : "void");
  snprintf(buf, len, "%s", text);
  free(text);
}

static void spell(const struct btf *btf, uint32_t id, char *buf, size_t len, int depth) {
  char tmp[KBTF_TYPE_MAX];
  for (; depth < KBTF_MAX_DEPTH; depth++) {
    if (!id) {
      prepend(buf, len, "void");
      return;
    }
    const struct btf_type *t = btf__type_by_id(btf, id);
    if (!t) break;
    switch (btf_kind(t)) {
    case BTF_KIND_PTR: prepend(buf, len, "*"); break;
    case BTF_KIND_CONST: prepend(buf, len, " const"); break;
    case BTF_KIND_VOLATILE: prepend(buf, len, " volatile"); break;
    case BTF_KIND_RESTRICT: prepend(buf, len, " restrict"); break;
    case BTF_KIND_TYPE_TAG: break; /* __user, __rcu: not part of the C type */
    case BTF_KIND_ARRAY:
      snprintf(tmp, sizeof tmp, "[%u]", btf_array(t)->nelems);
      prepend(buf, len, tmp);
      id = btf_array(t)->type;
      continue;
    case BTF_KIND_FUNC_PROTO: spell_proto(btf, t, buf, len, depth); return;
    case BTF_KIND_STRUCT: prepend(buf, len, tag_name(btf, t, "struct", tmp, sizeof tmp)); return;
    case BTF_KIND_UNION: prepend(buf, len, tag_name(btf, t, "union", tmp, sizeof tmp)); return;
    case BTF_KIND_ENUM:
    case BTF_KIND_ENUM64: prepend(buf, len, tag_name(btf, t, "enum", tmp, sizeof tmp)); return;
    case BTF_KIND_FWD:
      prepend(buf, len, tag_name(btf, t, btf_kflag(t) ? "union" : "struct", tmp, sizeof tmp));
      return;
    case BTF_KIND_INT:
    case BTF_KIND_FLOAT:
    case BTF_KIND_TYPEDEF: {
      const char *name = btf__name_by_offset(btf, t->name_off);
      prepend(buf, len, name && *name ? name : "?");
      return;
    }
    default: prepend(buf, len, "?"); return;
    }
    id = t->type;
  }
  prepend(buf, len, "?");
}

char *kbtf_type_name(const struct btf *btf, uint32_t id, char *buf, size_t len) {
  buf[0] = '\0';
  spell(btf, id, buf, len, 0);
  if (strlen(buf) == len - 1 && len > 4) strcpy(buf + len - 4, "...");
  return buf;
}

/* ---- the same from C text ------------------------------------------------------------- */

static void append(char *dst, size_t cap, const char *s) { strncat(dst, s, cap - strlen(dst) - 1); }

/* Annotations that tracefs formats keep from the source but that are no
 * part of the type (address spaces, sparse markers). */
static bool is_annotation(const char *w) {
  static const char *const v[] = {"__user",  "__kernel", "__iomem",  "__rcu",     "__percpu",
                                  "__force", "__seg_gs", "__seg_fs", "__bitwise", "__private"};
  for (size_t i = 0; i < sizeof v / sizeof *v; i++)
    if (!strcmp(w, v[i])) return true;
  return false;
}

/* The integer words of a declaration, named as GCC names base types in
 * DWARF and BTF ("unsigned long" -> "long unsigned int").  NULL when the
 * words are not (only) C's integer keywords. */
static const char *int_name(char words[][64], int n) {
  int nsigned = 0, nunsigned = 0, nshort = 0, nlong = 0, nint = 0, nchar = 0;
  for (int i = 0; i < n; i++) {
    const char *w = words[i];
    if (!strcmp(w, "signed"))
      nsigned++;
    else if (!strcmp(w, "unsigned"))
      nunsigned++;
    else if (!strcmp(w, "short"))
      nshort++;
    else if (!strcmp(w, "long"))
      nlong++;
    else if (!strcmp(w, "int"))
      nint++;
    else if (!strcmp(w, "char"))
      nchar++;
    else
      return NULL;
  }
  if (nchar) return nunsigned ? "unsigned char" : nsigned ? "signed char" : "char";
  if (nshort) return nunsigned ? "short unsigned int" : "short int";
  if (nlong >= 2) return nunsigned ? "long long unsigned int" : "long long int";
  if (nlong) return nunsigned ? "long unsigned int" : "long int";
  return nunsigned ? "unsigned int" : "int";
}

char *kbtf_ctext_name(const char *ctype, const char *dims, char *buf, size_t len) {
  char words[8][64], quals[64] = "", ptrs[KBTF_TYPE_MAX] = "";
  int nwords = 0;
  bool tagged = false; /* struct/union/enum X */
  const char *p = ctype;
  if (!strncmp(p, "__data_loc ", 11))
    p += 11;
  else if (!strncmp(p, "__rel_loc ", 10))
    p += 10;
  while (*p) {
    if (isspace((unsigned char)*p)) {
      p++;
      continue;
    }
    if (*p == '*') {
      append(ptrs, sizeof ptrs, "*");
      p++;
      continue;
    }
    size_t n = strcspn(p, " \t*[");
    char w[64];
    snprintf(w, sizeof w, "%.*s", (int)(n < sizeof w ? n : sizeof w - 1), p);
    p += n;
    if (*p == '[') p += strcspn(p, "]") + (p[strcspn(p, "]")] ? 1 : 0); /* "char[]": dims say it */
    bool qual = !strcmp(w, "const") || !strcmp(w, "volatile") || !strcmp(w, "restrict");
    if (qual) {
      char *to = ptrs[0] ? ptrs : quals; /* after the '*' it qualifies the pointer */
      size_t cap = ptrs[0] ? sizeof ptrs : sizeof quals;
      append(to, cap, " ");
      append(to, cap, w);
    } else if (!is_annotation(w) && nwords < 8) {
      tagged |= !strcmp(w, "struct") || !strcmp(w, "union") || !strcmp(w, "enum");
      strcpy(words[nwords++], w);
    }
  }
  const char *base = tagged || nwords == 0 ? NULL : int_name(words, nwords);
  char joined[KBTF_TYPE_MAX] = "";
  for (int i = 0; !base && i < nwords; i++) {
    if (i) append(joined, sizeof joined, " ");
    append(joined, sizeof joined, words[i]);
  }
  snprintf(buf, len, "%s%s%s%s", base ? base : nwords ? joined : "?", quals, ptrs, dims ? dims : "");
  return buf;
}

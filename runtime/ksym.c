/* ksym.c: kernel symbolisation from /proc/kallsyms, for symname(),
 * symdata() and the backtrace functions.
 *
 * The table is read once into one sorted array plus one string pool, with a
 * single entry per address.  Sizes are not in kallsyms: like stap's runtime,
 * a symbol extends to the next symbol.  Where the next symbol belongs to
 * another module (or there is none) the extent is unknown, and the symbol
 * answers only for its own address, so that an address in a gap between the
 * kernel and the modules stays a bare hex number instead of "_end+0x3f00000".
 *
 * Formats are those of stap's runtime (_stp_snprint_addr in runtime/sym.c).
 * It must not read kallsyms per lookup, nor print.
 */
#include "runtime.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

typedef struct KsymEntry {
  uint64_t addr;
  uint64_t size; /* to the next symbol of the same module; 0 when unknown */
  uint32_t name; /* offset in pool */
  uint32_t mod;  /* offset in pool of the module name ("kernel" for vmlinux) */
  uint32_t seq;  /* line number, to keep file order among aliases */
  char type;     /* kallsyms' type letter: T t W w D d B b R r ... */
} KsymEntry;

struct RtKsyms {
  KsymEntry *e;
  size_t n;
  char *pool;
  size_t plen, pcap;
};

void rt_ksyms_free(RtKsyms *ks) {
  if (!ks) return;
  free(ks->e);
  free(ks->pool);
  free(ks);
}

/* Appends s (n bytes) and a NUL to the pool; returns its offset or -1. */
static int64_t pool_add(RtKsyms *ks, const char *s, size_t n) {
  if (ks->plen + n + 1 > ks->pcap) {
    size_t cap = ks->pcap ? ks->pcap * 2 : 1 << 20;
    while (cap < ks->plen + n + 1) cap *= 2;
    char *p = realloc(ks->pool, cap);
    if (!p) return -1;
    ks->pool = p, ks->pcap = cap;
  }
  size_t off = ks->plen;
  memcpy(ks->pool + off, s, n);
  ks->pool[off + n] = '\0';
  ks->plen += n + 1;
  return (int64_t)off;
}

/* Absolute symbols (percpu offsets, build constants) and undefined ones are
 * not places in the kernel's address space. */
static bool type_kept(char t) { return t != 'a' && t != 'A' && t != 'U' && t != 'u'; }

static bool is_text(char t) { return t == 't' || t == 'T' || t == 'w' || t == 'W'; }

static int cmp_entry(const void *a, const void *b) {
  const KsymEntry *x = a, *y = b;
  if (x->addr != y->addr) return x->addr < y->addr ? -1 : 1;
  /* Among aliases, text first, then file order: the first is kept. */
  if (is_text(x->type) != is_text(y->type)) return is_text(x->type) ? -1 : 1;
  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* line: ADDR " " TYPE " " NAME ["\t[" MODULE "]"]
 * Returns 0 or -ENOMEM; *keep says whether out was filled (not for a
 * skipped symbol or a line that is not one), *hidden counts 0 addresses. */
static int parse_line(RtKsyms *ks, char *line, KsymEntry *out, uint32_t *last_mod, bool *keep,
                      size_t *hidden) {
  *keep = false;
  char *p;
  errno = 0;
  uint64_t addr = strtoull(line, &p, 16);
  if (p == line || *p != ' ' || errno || !p[1] || p[2] != ' ') return 0;
  char type = p[1];
  char *name = p + 3;
  size_t nlen = strcspn(name, " \t\n");
  if (!nlen) return 0;
  if (addr == 0) ++*hidden;
  if (addr == 0 || !type_kept(type)) return 0;

  /* Module names repeat on consecutive lines: store each run once. */
  char *m = name + nlen;
  const char *mod = "kernel";
  size_t mlen = 6;
  m += strspn(m, " \t");
  if (*m == '[') {
    mod = m + 1;
    mlen = strcspn(mod, "]\n");
  }
  const char *prev = ks->pool ? ks->pool + *last_mod : "";
  if (!ks->pool || strlen(prev) != mlen || memcmp(prev, mod, mlen)) {
    int64_t off = pool_add(ks, mod, mlen);
    if (off < 0) return -ENOMEM;
    *last_mod = (uint32_t)off;
  }
  int64_t noff = pool_add(ks, name, nlen);
  if (noff < 0) return -ENOMEM;
  *out = (KsymEntry){.addr = addr, .name = (uint32_t)noff, .mod = *last_mod, .type = type};
  *keep = true;
  return 0;
}

/* Sorts, keeps one entry per address and computes sizes. */
static void finish(RtKsyms *ks) {
  qsort(ks->e, ks->n, sizeof *ks->e, cmp_entry);
  size_t w = 0;
  for (size_t i = 0; i < ks->n; i++)
    if (w == 0 || ks->e[w - 1].addr != ks->e[i].addr) ks->e[w++] = ks->e[i];
  ks->n = w;
  for (size_t i = 0; i < ks->n; i++) {
    KsymEntry *s = &ks->e[i];
    const KsymEntry *next = i + 1 < ks->n ? s + 1 : NULL;
    bool same = next && (next->mod == s->mod || !strcmp(ks->pool + next->mod, ks->pool + s->mod));
    s->size = same ? next->addr - s->addr : 0;
  }
}

RtKsyms *rt_ksyms_load_path(const char *path) {
  FILE *f = fopen(path, "re");
  if (!f) return NULL;
  RtKsyms *ks = calloc(1, sizeof *ks);
  char *line = NULL;
  size_t lcap = 0, cap = 0;
  uint32_t last_mod = 0, seq = 0;
  size_t hidden = 0;
  int rc = ks ? 0 : -ENOMEM;
  while (rc == 0 && getline(&line, &lcap, f) > 0) {
    if (ks->n == cap) {
      cap = cap ? cap * 2 : 65536;
      KsymEntry *ne = realloc(ks->e, cap * sizeof *ne);
      if (!ne) {
        rc = -ENOMEM;
        break;
      }
      ks->e = ne;
    }
    bool keep;
    rc = parse_line(ks, line, &ks->e[ks->n], &last_mod, &keep, &hidden);
    if (keep) ks->e[ks->n++].seq = seq++;
  }
  if (rc == 0 && ferror(f)) rc = -EIO;
  free(line);
  fclose(f);
  /* Every address shown as 0: not root, or kernel.kptr_restrict. */
  if (rc == 0 && ks->n == 0) rc = hidden ? -EACCES : -EINVAL;
  if (rc) {
    rt_ksyms_free(ks);
    errno = -rc;
    return NULL;
  }
  finish(ks);
  return ks;
}

RtKsyms *rt_ksyms_load(void) { return rt_ksyms_load_path("/proc/kallsyms"); }

size_t rt_ksyms_count(const RtKsyms *ks) { return ks->n; }

bool rt_ksyms_find(const RtKsyms *ks, uint64_t addr, RtKsym *out) {
  if (!ks || addr == 0 || ks->n == 0 || addr < ks->e[0].addr) return false;
  size_t lo = 0, hi = ks->n; /* the last entry with e.addr <= addr is in [lo, hi) */
  while (hi - lo > 1) {
    size_t mid = lo + (hi - lo) / 2;
    if (ks->e[mid].addr <= addr)
      lo = mid;
    else
      hi = mid;
  }
  const KsymEntry *s = &ks->e[lo];
  uint64_t off = addr - s->addr;
  if (off && off >= s->size) return false;
  *out = (RtKsym){.name = ks->pool + s->name,
                  .module = ks->pool + s->mod,
                  .addr = s->addr,
                  .offset = off,
                  .size = s->size,
                  .type = s->type};
  return true;
}

const char *rt_ksyms_lookup(const RtKsyms *ks, uint64_t addr, uint64_t *offset, const char **module) {
  RtKsym s;
  if (!rt_ksyms_find(ks, addr, &s)) return NULL;
  if (offset) *offset = s.offset;
  if (module) *module = s.module;
  return s.name;
}

/* Appends printf-style text; 0 or -ENOMEM. */
static int put(RtBuf *out, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int put(RtBuf *out, const char *fmt, ...) {
  char tmp[256];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
  va_end(ap);
  if (n < 0) return -EINVAL;
  if ((size_t)n < sizeof tmp) return rt_buf_append(out, tmp, (size_t)n);
  /* A longer line (a very long symbol name): format again into the buffer. */
  int rc = rt_buf_reserve(out, (size_t)n + 1);
  if (rc) return rc;
  va_start(ap, fmt);
  vsnprintf(out->data + out->len, (size_t)n + 1, fmt, ap);
  va_end(ap);
  out->len += (size_t)n;
  return 0;
}

int rt_ksyms_format(RtBuf *out, const RtKsyms *ks, uint64_t addr, int style) {
  bool inexact = style & RT_SYM_INEXACT;
  style &= ~RT_SYM_INEXACT;
  /* stap adds " (inexact)" to every style that looks symbols up. */
  const char *ex = inexact && style != RT_SYM_HEX ? " (inexact)" : "";
  RtKsym s;
  bool found = style != RT_SYM_HEX && rt_ksyms_find(ks, addr, &s);
  if (found && s.name[0] == '.') s.name++; /* ppc64's dot symbols, as stap strips them */
  if (found && style == RT_SYM_SIMPLE) {
    const char *slash = strrchr(s.module, '/');
    if (slash) s.module = slash + 1;
  }
  /* stap's %p and %#lx print 0x before any value, 0 included ("+0x0"), with
   * no padding: "0x%" PRIx64, never C's "%#" (which prints 0 as "0"). */
  switch (found ? style : -1) {
  case RT_SYM_NAME: return put(out, "%s%s", s.name, ex);
  case RT_SYM_DATA:
    return put(out, "%s+0x%" PRIx64 "/0x%" PRIx64 " [%s]%s", s.name, s.offset, s.size, s.module, ex);
  case RT_SYM_BACKTRACE:
    return put(out, " 0x%" PRIx64 " : %s+0x%" PRIx64 "/0x%" PRIx64 " [%s]%s\n", addr, s.name, s.offset,
               s.size, s.module, ex);
  case RT_SYM_SIMPLE: return put(out, "%s+0x%" PRIx64 " [%s]%s\n", s.name, s.offset, s.module, ex);
  case RT_SYM_BRIEF: return put(out, "%s+0x%" PRIx64 "%s\n", s.name, s.offset, ex);
  default: break;
  }
  /* No symbol: the address alone, spaced as the style spaces a line. */
  const char *pre = style == RT_SYM_BACKTRACE ? " " : "";
  const char *post = "";
  if (style == RT_SYM_HEX)
    post = " ";
  else if (style == RT_SYM_BACKTRACE || style == RT_SYM_SIMPLE || style == RT_SYM_BRIEF)
    post = "\n";
  return put(out, "%s0x%" PRIx64 "%s%s", pre, addr, ex, post);
}

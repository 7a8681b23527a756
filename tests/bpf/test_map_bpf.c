/* test_map_bpf.c: RtMap over real BPF maps (backend-bpf/map-bpf.c).
 *
 * Every case creates its BPF maps with bpf_map_create, as libbpf would from
 * our object, and drives the same operations through a bmap and through the
 * host hash map (rt_map_hash_new) on the same RtMapDesc: what the script
 * sees must be the same, except the storage order (the kernel's buckets
 * instead of insertion order), so sorted walks are compared modulo ties.
 * Kernel-side writes of per-CPU statistics are simulated by writing each
 * CPU's cell from the host with bpf_map_update_elem, laid out as the kernel
 * lays per-CPU values out.  Needs root and the bpf syscall: without them the
 * program says so and exits 77 (skipped).
 *
 *   test_map_bpf --bench [N]   times iterate + sort of N (100000) elements
 *                              through a bmap and through the host map.
 */
#include "../unit/check.h"
#include "bpfload.h"
#include "runtime.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static RtErr err;
static int ncpus;

/* ---- helpers ------------------------------------------------------------------------- */

static int map_type(const RtMapDesc *d) {
  if (d->val_type == RT_STAT) return d->wrap ? BPF_MAP_TYPE_LRU_PERCPU_HASH : BPF_MAP_TYPE_PERCPU_HASH;
  return d->wrap ? BPF_MAP_TYPE_LRU_HASH : BPF_MAP_TYPE_HASH;
}

/* The BPF map the codegen would create for d, of type type (or the usual one when 0). */
static int create_for(const RtMapDesc *d, int type) {
  RtMapLayout l;
  if (rt_map_layout(d, &l)) return -EINVAL;
  int64_t max = d->max_entries > 0 ? d->max_entries : rt_limits()->maxmapentries;
  return bpf_map_create(type ? type : map_type(d), NULL, l.key_size, l.val_size, (uint32_t)max, NULL);
}

/* A bmap that owns its fresh BPF map. */
static RtMap *bmap_for(const RtMapDesc *d) {
  int fd = create_for(d, 0);
  if (fd < 0) return NULL;
  RtMap *m = bmap_new(d, fd, ncpus);
  if (!m) {
    close(fd);
    return NULL;
  }
  bmap_own_fd(m);
  return m;
}

/* Fills key from columns: a long column takes v*i+7, a string one "s<v>_<i>". */
static void make_key(const RtMapLayout *l, void *key, int64_t v) {
  memset(key, 0, l->key_size);
  for (int i = 0; i < l->nkeys; i++) {
    if (l->key_type[i] == RT_LONG) {
      rt_key_set_long(l, key, i, v * (i + 1) + 7);
    } else {
      char s[64];
      int n = snprintf(s, sizeof s, "s%lld_%d", (long long)v, i);
      rt_key_set_str(l, key, i, s, (size_t)n);
    }
  }
}

/* One element as text: "[k1,k2]=v" (stats: @count/@sum/@min/@max/@avg). */
static void entry_text(const RtMapLayout *l, const void *key, const void *val, char *buf, size_t len) {
  size_t n = (size_t)snprintf(buf, len, "[");
  for (int i = 0; i < l->nkeys && n < len; i++)
    n += l->key_type[i] == RT_LONG
             ? (size_t)snprintf(buf + n, len - n, "%s%lld", i ? "," : "", (long long)rt_key_get_long(l, key, i))
             : (size_t)snprintf(buf + n, len - n, "%s\"%s\"", i ? "," : "", rt_key_get_str(l, key, i));
  if (n >= len) return;
  if (l->val_type == RT_LONG)
    snprintf(buf + n, len - n, "]=%lld", (long long)rt_val_get_long(val));
  else if (l->val_type == RT_STR)
    snprintf(buf + n, len - n, "]=\"%s\"", (const char *)val);
  else {
    const RtStatCell *c = val;
    snprintf(buf + n, len - n, "] %lld %lld %lld %lld", (long long)c->count, (long long)c->sum,
             (long long)c->min, (long long)c->max);
  }
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The sort column's value of an entry as text (for grouping ties). */
static void sort_text(const RtMapLayout *l, const RtSortSpec *sp, const RtMapEntry *e, char *buf, size_t len) {
  if (sp->column < 0) {
    snprintf(buf, len, "-");
  } else if (sp->column > 0) {
    int c = sp->column - 1;
    if (l->key_type[c] == RT_LONG)
      snprintf(buf, len, "%lld", (long long)rt_key_get_long(l, e->key, c));
    else
      snprintf(buf, len, "%s", rt_key_get_str(l, e->key, c));
  } else if (l->val_type == RT_LONG) {
    snprintf(buf, len, "%lld", (long long)rt_val_get_long(e->val));
  } else if (l->val_type == RT_STR) {
    snprintf(buf, len, "%s", (const char *)e->val);
  } else {
    snprintf(buf, len, "%lld", (long long)((const RtStatCell *)e->val)->count);
  }
}

/* The result of rt_map_sorted as text, each run of equal sort values in a
 * canonical order: what must agree between two storage orders.  Malloc'd. */
static char *sorted_text(RtMap *m, const RtSortSpec *sp) {
  RtMapSorted s = RT_MAP_SORTED_INIT;
  RtErr e = {0};
  if (rt_map_sorted(m, sp, &s, &e)) return strdup("error");
  const RtMapLayout *l = rt_map_get_layout(m);
  char **lines = calloc(s.n + 1, sizeof *lines);
  char (*sv)[600] = calloc(s.n + 1, sizeof *sv);
  size_t total = 1;
  for (size_t i = 0; i < s.n; i++) {
    char buf[1200];
    entry_text(l, s.e[i].key, s.e[i].val, buf, sizeof buf);
    lines[i] = strdup(buf);
    total += strlen(buf) + 1;
    sort_text(l, sp, &s.e[i], sv[i], sizeof sv[i]);
  }
  for (size_t i = 0, j; i < s.n; i = j) {
    for (j = i + 1; j < s.n && strcmp(sv[i], sv[j]) == 0; j++) continue;
    qsort(lines + i, j - i, sizeof *lines, cmp_str);
  }
  char *out = malloc(total);
  out[0] = 0;
  for (size_t i = 0; i < s.n; i++) {
    strcat(out, lines[i]);
    strcat(out, "\n");
    free(lines[i]);
  }
  free(lines);
  free(sv);
  rt_map_sorted_free(&s);
  return out;
}

static void check_same_sorted(RtMap *b, RtMap *h, const RtSortSpec *sp) {
  char *x = sorted_text(b, sp), *y = sorted_text(h, sp);
  CHECK_STR(x, y);
  free(x);
  free(y);
}

/* Writes an element's per-CPU cells as a kernel would: cell c at c * stride. */
static int put_cells(int fd, const void *key, const RtStatCell *const *cells, const RtStatDesc *d) {
  size_t size = rt_stat_cell_size(d), stride = (size + 7) & ~(size_t)7;
  char *raw = calloc((size_t)ncpus, stride);
  for (int c = 0; c < ncpus; c++)
    if (cells[c]) memcpy(raw + (size_t)c * stride, cells[c], size);
  int rc = bpf_map_update_elem(fd, key, raw, BPF_ANY);
  free(raw);
  return rc;
}

/* ---- cases ---------------------------------------------------------------------------------- */

static RtMapDesc desc1(RtType k, RtType v) {
  RtMapDesc d = {.sz = sizeof(RtMapDesc), .name = "a", .nkeys = 1, .val_type = v};
  d.key_type[0] = k;
  return d;
}

static void test_check(void) {
  check_context = "map checks";
  RtMapDesc d = desc1(RT_LONG, RT_LONG);
  d.max_entries = 10;
  int fd = create_for(&d, 0);
  CHECK(fd >= 0);
  RtMap *m = bmap_new(&d, fd, ncpus);
  CHECK(m != NULL);
  CHECK_INT(bmap_fd(m), fd);
  rt_map_free(m); /* not owned: fd stays open */
  CHECK(fcntl(fd, F_GETFD) >= 0);

  RtMapDesc w = d;
  w.key_type[0] = RT_STR; /* key size 512, map has 8 */
  errno = 0;
  CHECK(bmap_new(&w, fd, ncpus) == NULL && errno == EINVAL);
  w = d;
  w.val_type = RT_STR;
  CHECK(bmap_new(&w, fd, ncpus) == NULL && errno == EINVAL);
  w = d;
  w.wrap = true; /* a '%' array needs an LRU map */
  CHECK(bmap_new(&w, fd, ncpus) == NULL && errno == EINVAL);
  w = d;
  w.max_entries = 11;
  CHECK(bmap_new(&w, fd, ncpus) == NULL && errno == EINVAL);
  close(fd);
  CHECK(bmap_new(&d, fd, ncpus) == NULL && (errno == EBADF || errno == EBADFD)); /* 6.18 says EBADFD */

  fd = create_for(&d, BPF_MAP_TYPE_LRU_HASH); /* LRU without '%' */
  CHECK(bmap_new(&d, fd, ncpus) == NULL && errno == EINVAL);
  close(fd);
  fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 8, 10, NULL);
  CHECK(fd >= 0 && bmap_new(&d, fd, ncpus) == NULL && errno == EINVAL);
  close(fd);
  fd = create_for(&d, BPF_MAP_TYPE_PERCPU_HASH); /* per-CPU only for statistics */
  CHECK(bmap_new(&d, fd, ncpus) == NULL && errno == EINVAL);
  close(fd);

  RtMapDesc s = desc1(RT_LONG, RT_STAT);
  s.max_entries = 4;
  rt_stat_desc_init(&s.stat, RT_HIST_LOG, 0, 0, 0, 0, &err);
  fd = create_for(&s, 0);
  CHECK(bmap_new(&s, fd, ncpus + 1) == NULL && errno == EINVAL); /* the kernel copies ncpus values */
  m = bmap_new(&s, fd, 0);                                     /* 0: ask libbpf */
  CHECK(m != NULL);
  rt_map_free(m);
  close(fd);

  RtMap *h = rt_map_hash_new(&d);
  CHECK_INT(bmap_fd(h), -EINVAL);
  CHECK_INT(bmap_own_fd(h), -EINVAL);
  rt_map_free(h);
}

/* Keys of 1..9 columns, long and string mixed, long and string values. */
static void test_keys(void) {
  for (int nk = 1; nk <= RT_MAX_KEYS; nk++) {
    for (int vt = RT_LONG; vt <= RT_STR; vt++) {
      static char ctx[64];
      snprintf(ctx, sizeof ctx, "%d keys, %s values", nk, vt == RT_LONG ? "long" : "string");
      check_context = ctx;
      RtMapDesc d = {.sz = sizeof d, .name = "k", .nkeys = nk, .val_type = (RtType)vt, .max_entries = 100};
      for (int i = 0; i < nk; i++) {
        d.key_type[i] = (i + nk) % 2 ? RT_STR : RT_LONG;
        d.key_strsize[i] = (uint32_t)(i * 5 % 24); /* 0 (MAXSTRINGLEN), 5, 10, 15, 20 ... */
      }
      d.val_strsize = 24;
      RtMap *b = bmap_for(&d), *h = rt_map_hash_new(&d);
      CHECK(b && h);
      if (!b || !h) return;
      const RtMapLayout *l = rt_map_get_layout(b);
      char *k = calloc(1, l->key_size);
      int ok = 1;
      for (int64_t i = 0; i < 60; i++) {
        make_key(l, k, i);
        char s[32];
        int n = snprintf(s, sizeof s, "value %lld", (long long)(i * 31 % 97));
        if (vt == RT_LONG)
          ok &= !rt_map_set_long(b, k, i * 31 % 97, &err) && !rt_map_set_long(h, k, i * 31 % 97, &err);
        else
          ok &= !rt_map_set_str(b, k, s, (size_t)n, &err) && !rt_map_set_str(h, k, s, (size_t)n, &err);
      }
      CHECK(ok);
      CHECK_INT(rt_map_count(b), 60);
      for (int64_t i = 0; i < 70; i++) { /* 60..69 are absent */
        make_key(l, k, i);
        CHECK_INT(rt_map_exists(b, k), rt_map_exists(h, k));
        if (vt == RT_LONG)
          CHECK_INT(rt_map_get_long(b, k), rt_map_get_long(h, k));
        else
          CHECK_STR(rt_map_get_str(b, k), rt_map_get_str(h, k));
      }
      make_key(l, k, 70);
      CHECK(rt_map_lookup(b, k) == NULL);
      make_key(l, k, 3); /* replacing keeps the count */
      if (vt == RT_LONG) {
        rt_map_set_long(b, k, -5, &err);
        CHECK_INT(rt_map_get_long(b, k), -5);
      } else {
        rt_map_set_str(b, k, "a long value that the 24-byte slot cuts", 40, &err);
        CHECK_STR(rt_map_get_str(b, k), "a long value that the 2");
      }
      CHECK_INT(rt_map_count(b), 60);
      CHECK_INT(rt_map_delete(b, k), 0);
      CHECK_INT(rt_map_delete(b, k), 0); /* absent: not an error */
      CHECK_INT(b->ops->remove(b, k), -ENOENT);
      CHECK(!rt_map_exists(b, k));
      rt_map_delete(h, k);
      CHECK_INT(rt_map_count(b), 59);
      for (int c = -1; c <= nk; c++) {
        RtSortSpec sp = {.column = c, .dir = c % 2 ? -1 : 1, .agg = RT_STAT_COUNT, .limit = -1};
        if (c >= 0) check_same_sorted(b, h, &sp);
      }
      free(k);
      rt_map_free(b);
      rt_map_free(h);
    }
  }
}

static void test_overflow(void) {
  check_context = "overflow";
  RtMapDesc d = desc1(RT_LONG, RT_LONG);
  d.max_entries = 3;
  RtMap *b = bmap_for(&d), *h = rt_map_hash_new(&d);
  char k[8];
  RtMapLayout lay = *rt_map_get_layout(b), *l = &lay; /* the same for every map below */
  for (int i = 0; i < 3; i++) {
    rt_key_set_long(l, k, 0, i);
    CHECK_INT(rt_map_set_long(b, k, i, &err), 0);
    rt_map_set_long(h, k, i, &err);
  }
  RtErr eb = {0}, eh = {0};
  rt_key_set_long(l, k, 0, 3);
  CHECK_INT(rt_map_set_long(b, k, 3, &eb), -ENOSPC);
  CHECK_INT(rt_map_set_long(h, k, 3, &eh), -ENOSPC);
  CHECK_STR(eb.msg, eh.msg);
  CHECK_STR(eb.msg, "Array overflow, check size limit (3)");
  rt_key_set_long(l, k, 0, 1);
  CHECK_INT(rt_map_set_long(b, k, 11, &err), 0); /* replacing in a full map works */
  CHECK_INT(rt_map_get_long(b, k), 11);
  rt_map_delete(b, k);
  rt_key_set_long(l, k, 0, 3);
  CHECK_INT(rt_map_set_long(b, k, 3, &err), 0); /* a deleted element's room is free at once */
  CHECK_INT(rt_map_count(b), 3);
  rt_map_free(b);
  rt_map_free(h);

  /* MAXMAPENTRIES */
  RtLimits saved = *rt_limits(), lim = saved;
  lim.maxmapentries = 2;
  rt_limits_set(&lim);
  d.max_entries = 0;
  b = bmap_for(&d), h = rt_map_hash_new(&d);
  for (int i = 0; i < 3; i++) {
    rt_key_set_long(l, k, 0, i);
    rt_err_clear(&eb), rt_err_clear(&eh);
    rt_map_set_long(b, k, i, &eb);
    rt_map_set_long(h, k, i, &eh);
  }
  CHECK_STR(eb.msg, "Array overflow, check MAXMAPENTRIES");
  CHECK_STR(eb.msg, eh.msg);
  rt_map_free(b);
  rt_map_free(h);
  rt_limits_set(&saved);

  /* statistics: <<< of a new key, and rt_map_stat_merge's own message */
  d = desc1(RT_LONG, RT_STAT);
  d.max_entries = 1;
  rt_stat_desc_init(&d.stat, RT_HIST_NONE, 0, 0, 0, 0, &err);
  b = bmap_for(&d), h = rt_map_hash_new(&d);
  rt_key_set_long(l, k, 0, 1);
  CHECK_INT(rt_map_stat_add(b, k, 5, &err), 0);
  rt_map_stat_add(h, k, 5, &err);
  rt_key_set_long(l, k, 0, 2);
  rt_err_clear(&eb), rt_err_clear(&eh);
  CHECK_INT(rt_map_stat_add(b, k, 5, &eb), -ENOSPC);
  CHECK_INT(rt_map_stat_add(h, k, 5, &eh), -ENOSPC);
  CHECK_STR(eb.msg, eh.msg);
  char cell[sizeof(RtStatCell)] = {0};
  rt_err_clear(&eb);
  ((RtStatCell *)cell)->count = 1;
  CHECK_INT(rt_map_stat_merge(b, k, (RtStatCell *)cell, &eb), -ENOSPC);
  CHECK_STR(eb.msg, "aggregation overflow in a");
  rt_map_free(b);
  rt_map_free(h);
}

static void test_wrap(void) {
  check_context = "wrap (LRU)";
  RtMapDesc d = desc1(RT_LONG, RT_LONG);
  d.max_entries = 8;
  d.wrap = true;
  RtMap *b = bmap_for(&d);
  CHECK(b != NULL);
  if (!b) return;
  char k[8];
  int ok = 1;
  for (int i = 0; i < 100; i++) {
    rt_key_set_long(rt_map_get_layout(b), k, 0, i);
    ok &= rt_map_set_long(b, k, i, &err) == 0;
  }
  CHECK(ok);
  CHECK(rt_map_count(b) <= 8 && rt_map_count(b) > 0);
  rt_map_free(b);

  d = desc1(RT_LONG, RT_STAT);
  d.max_entries = 4;
  d.wrap = true;
  rt_stat_desc_init(&d.stat, RT_HIST_LOG, 0, 0, 0, 0, &err);
  b = bmap_for(&d);
  ok = 1;
  for (int i = 0; i < 50; i++) {
    rt_key_set_long(rt_map_get_layout(b), k, 0, i);
    ok &= rt_map_stat_add(b, k, i, &err) == 0;
  }
  CHECK(ok);
  CHECK(rt_map_count(b) <= 4);
  rt_map_free(b);
}

/* The long keys of an iterate, as "k k k". */
typedef struct Walk {
  char buf[8192];
  RtMap *m;
  int nested;
} Walk;

static int walk_step(void *ctx, const void *key, const void *val) {
  (void)val;
  Walk *w = ctx;
  size_t n = strlen(w->buf);
  snprintf(w->buf + n, sizeof w->buf - n, "%s%lld", n ? " " : "",
           (long long)rt_key_get_long(rt_map_get_layout(w->m), key, 0));
  if (w->nested) { /* a nested walk of the same map must leave this one's snapshot alone */
    Walk inner = {.m = w->m};
    rt_map_iterate(w->m, NULL, walk_step, &inner);
    w->nested = strlen(inner.buf) > 0;
  }
  return 0;
}

static void test_delete_and_walk(void) {
  check_context = "delete, slices, clear, walks";
  RtMapDesc d = {.sz = sizeof d, .name = "m", .nkeys = 2, .val_type = RT_LONG, .max_entries = 1000};
  d.key_type[0] = RT_LONG, d.key_type[1] = RT_STR;
  RtMap *b = bmap_for(&d), *h = rt_map_hash_new(&d);
  const RtMapLayout *l = rt_map_get_layout(b);
  char k[600];
  const char *names[] = {"x", "y", "z"};
  for (int i = 0; i < 300; i++) {
    rt_key_set_long(l, k, 0, i % 7);
    char s[8]; /* (i % 7, i % 3, i / 21) tell every i apart */
    snprintf(s, sizeof s, "%s%d", names[i % 3], i / 21);
    rt_key_set_str(l, k, 1, s, strlen(s));
    rt_map_set_long(b, k, i, &err);
    rt_map_set_long(h, k, i, &err);
  }
  CHECK_INT(rt_map_count(b), rt_map_count(h));
  RtSortSpec sp = {.column = 0, .dir = -1, .limit = -1};
  check_same_sorted(b, h, &sp);

  /* the key walk sees the same elements in the same (bucket) order as the batch one */
  Walk w1 = {.m = b}, w2 = {.m = b};
  rt_map_iterate(b, NULL, walk_step, &w1);
  bmap_set_batch(b, false);
  rt_map_iterate(b, NULL, walk_step, &w2);
  CHECK_STR(w1.buf, w2.buf);
  CHECK_INT(rt_map_count(b), rt_map_count(h));
  bmap_set_batch(b, true);
  Walk w3 = {.m = b, .nested = 1};
  rt_map_iterate(b, NULL, walk_step, &w3);
  CHECK_STR(w3.buf, w1.buf);
  CHECK_INT(w3.nested, 1);

  /* delete m[3, *], then m[*, "x5"] */
  char sk[600];
  rt_key_set_long(l, sk, 0, 3);
  RtSlice sl = {.fixed = 1u << 0, .key = sk};
  CHECK_INT(rt_map_delete_slice(b, &sl), 0);
  rt_map_delete_slice(h, &sl);
  CHECK_INT(rt_map_count(b), rt_map_count(h));
  rt_key_set_str(l, sk, 1, "x5", 2);
  sl.fixed = 1u << 1;
  CHECK_INT(rt_map_delete_slice(b, &sl), 0);
  rt_map_delete_slice(h, &sl);
  CHECK_INT(rt_map_count(b), rt_map_count(h));
  sp = (RtSortSpec){.column = 1, .dir = 1, .limit = -1};
  check_same_sorted(b, h, &sp);
  rt_key_set_long(l, sk, 0, 2);
  rt_key_set_str(l, sk, 1, "y3", 2);
  sl.fixed = 3;
  sp = (RtSortSpec){.column = 2, .dir = -1, .limit = -1, .slice = &sl};
  check_same_sorted(b, h, &sp);
  sl.fixed = 1;
  sp.slice = &sl;
  check_same_sorted(b, h, &sp);
  sp = (RtSortSpec){.column = 0, .dir = 1, .limit = 10};
  check_same_sorted(b, h, &sp); /* values are distinct: the limit cuts at the same place */

  rt_map_clear(b);
  CHECK_INT(rt_map_count(b), 0);
  rt_map_clear(b); /* clearing an empty map */
  CHECK_INT(rt_map_count(b), 0);
  for (int i = 0; i < 50; i++) {
    rt_key_set_long(l, k, 0, i);
    rt_map_set_long(b, k, i, &err);
  }
  bmap_set_batch(b, false);
  CHECK_INT(rt_map_count(b), 50);
  rt_map_clear(b);
  CHECK_INT(rt_map_count(b), 0);
  rt_map_free(b);
  rt_map_free(h);
}

/* Per-CPU statistics: values spread over the CPUs' cells as probes would
 * leave them read like the same values pushed into one host element. */
static void check_stats(const RtStatDesc *sd, const char *what) {
  check_context = what;
  RtMapDesc d = desc1(RT_LONG, RT_STAT);
  d.stat = *sd;
  d.max_entries = 64;
  RtMap *b = bmap_for(&d), *h = rt_map_hash_new(&d);
  CHECK(b && h);
  if (!b || !h) return;
  const RtMapLayout *l = rt_map_get_layout(b);
  size_t size = rt_stat_cell_size(sd);
  RtStatCell **cells = calloc((size_t)ncpus, sizeof *cells);
  for (int c = 0; c < ncpus; c++) cells[c] = calloc(1, size);
  char k[8];
  for (int key = 0; key < 12; key++) {
    for (int c = 0; c < ncpus; c++) rt_stat_cell_clear(cells[c], sd);
    rt_key_set_long(l, k, 0, key);
    for (int j = 0; j < 3 * key + 1; j++) { /* key+1.. values: counts differ per key */
      int64_t v = (j * 37 + key * 11) % 200 - 50;
      int c = (j + key) % (ncpus > 1 ? ncpus : 1);
      if (key % 4 == 0 && ncpus > 1) c = ncpus - 1; /* some elements only on the last CPU */
      rt_stat_add(cells[c], sd, v);
      rt_map_stat_add(h, k, v, &err);
    }
    CHECK_INT(put_cells(bmap_fd(b), k, (const RtStatCell *const *)cells, sd), 0);
  }
  /* host-side <<< lands on CPU 0 and adds to what the probes left */
  rt_key_set_long(l, k, 0, 4);
  for (int v = 1000; v < 1005; v++) {
    CHECK_INT(rt_map_stat_add(b, k, v, &err), 0);
    rt_map_stat_add(h, k, v, &err);
  }
  rt_key_set_long(l, k, 0, 40); /* and creates elements (count 2: no tie with key 0) */
  for (int v = -8; v < -6; v++) {
    CHECK_INT(rt_map_stat_add(b, k, v, &err), 0);
    rt_map_stat_add(h, k, v, &err);
  }
  CHECK_INT(rt_map_count(b), 13);
  static const RtStatOp ops[] = {RT_STAT_COUNT, RT_STAT_SUM, RT_STAT_MIN, RT_STAT_MAX, RT_STAT_AVG};
  int ok = 1;
  for (int key = 0; key <= 40; key++) {
    rt_key_set_long(l, k, 0, key);
    const RtStatCell *hc = rt_map_lookup(h, k);
    RtStatCell *bc = rt_map_lookup(b, k);
    if (!hc || !bc) {
      ok &= !hc && !bc;
      continue;
    }
    for (int o = 0; o < 5; o++) {
      int64_t x, y;
      rt_stat_extract(bc, sd, ops[o], &x, &err);
      rt_stat_extract(hc, sd, ops[o], &y, &err);
      if (x != y) fprintf(stderr, "key %d op %d: bmap %lld host %lld\n", key, o, (long long)x, (long long)y);
      ok &= x == y;
    }
    for (int i = 0; i < sd->nbuckets; i++) ok &= bc->hist[i] == hc->hist[i];
  }
  CHECK(ok);
  RtSortSpec sp = {.column = 0, .dir = -1, .agg = RT_STAT_COUNT, .limit = -1};
  check_same_sorted(b, h, &sp);
  sp.agg = RT_STAT_SUM;
  check_same_sorted(b, h, &sp);
  RtBuf ob = RT_BUF_INIT, oh = RT_BUF_INIT;
  CHECK_INT(rt_print_global_map(&ob, b, &err), 0);
  rt_print_global_map(&oh, h, &err);
  CHECK_STR(rt_buf_cstr(&ob), rt_buf_cstr(&oh));
  rt_buf_free(&ob);
  rt_buf_free(&oh);

  /* the host's <<< left the other CPUs' cells as they were */
  if (ncpus > 1) {
    rt_key_set_long(l, k, 0, 4);
    size_t stride = (size + 7) & ~(size_t)7;
    char *raw = calloc((size_t)ncpus, stride);
    CHECK_INT(bpf_map_lookup_elem(bmap_fd(b), k, raw), 0);
    const RtStatCell *last = (const RtStatCell *)(raw + (size_t)(ncpus - 1) * stride);
    CHECK_INT(last->count, 13);
    CHECK_INT(((const RtStatCell *)raw)->count, 5);
    free(raw);
  }
  /* update writes an aggregate to CPU 0 (what rt_map_stat_merge does) */
  rt_key_set_long(l, k, 0, 41);
  rt_stat_cell_clear(cells[0], sd);
  rt_stat_add(cells[0], sd, 3);
  rt_stat_add(cells[0], sd, 9);
  CHECK_INT(rt_map_stat_merge(b, k, cells[0], &err), 0);
  CHECK_INT(rt_map_stat_merge(b, k, cells[0], &err), 0);
  const RtStatCell *bc = rt_map_lookup(b, k);
  CHECK(bc && bc->count == 4 && bc->sum == 24 && bc->min == 3 && bc->max == 9);
  for (int c = 0; c < ncpus; c++) free(cells[c]);
  free(cells);
  rt_map_free(b);
  rt_map_free(h);
}

static void test_stats(void) {
  RtStatDesc sd;
  rt_stat_desc_init(&sd, RT_HIST_NONE, 0, 0, 0, 0, &err);
  check_stats(&sd, "per-CPU stats, no histogram");
  rt_stat_desc_init(&sd, RT_HIST_LOG, 0, 0, 0, 0, &err);
  check_stats(&sd, "per-CPU stats, @hist_log");
  rt_stat_desc_init(&sd, RT_HIST_LINEAR, -20, 100, 10, 0, &err);
  check_stats(&sd, "per-CPU stats, @hist_linear");
}

static void test_display(void) {
  check_context = "rt_print_global_map";
  RtMapDesc ds[3];
  ds[0] = desc1(RT_LONG, RT_LONG);
  ds[1] = (RtMapDesc){.sz = sizeof(RtMapDesc), .name = "m", .nkeys = 2, .key_type = {RT_STR, RT_LONG},
                      .val_type = RT_LONG};
  ds[2] = desc1(RT_STR, RT_STR);
  for (int t = 0; t < 3; t++) {
    RtMap *b = bmap_for(&ds[t]), *h = rt_map_hash_new(&ds[t]);
    const RtMapLayout *l = rt_map_get_layout(b);
    char *k = calloc(1, l->key_size);
    for (int i = 0; i < 40; i++) {
      make_key(l, k, i);
      char s[16];
      snprintf(s, sizeof s, "v%03d", (i * 13) % 40); /* distinct values: no ties */
      if (l->val_type == RT_LONG) {
        rt_map_set_long(b, k, (i * 13) % 40 - 20, &err);
        rt_map_set_long(h, k, (i * 13) % 40 - 20, &err);
      } else {
        rt_map_set_str(b, k, s, strlen(s), &err);
        rt_map_set_str(h, k, s, strlen(s), &err);
      }
    }
    RtBuf ob = RT_BUF_INIT, oh = RT_BUF_INIT;
    CHECK_INT(rt_print_global_map(&ob, b, &err), 0);
    CHECK_INT(rt_print_global_map(&oh, h, &err), 0);
    CHECK_STR(rt_buf_cstr(&ob), rt_buf_cstr(&oh));
    CHECK(ob.len > 100);
    rt_buf_free(&ob);
    rt_buf_free(&oh);
    free(k);
    rt_map_free(b);
    rt_map_free(h);
  }
}

static void check_scalar(const RtStatDesc *sd) {
  size_t size = rt_stat_cell_size(sd), stride = (size + 7) & ~(size_t)7;
  int fd = bpf_map_create(BPF_MAP_TYPE_PERCPU_ARRAY, NULL, 4, (uint32_t)size, 1, NULL);
  CHECK(fd >= 0);
  RtStat *s = rt_stat_new(sd, ncpus);
  char *raw = calloc((size_t)ncpus, stride);
  for (int c = 0; c < ncpus; c++)
    for (int j = 0; j < 5 + 3 * c; j++) {
      int64_t v = (j + 1) * (c + 2);
      rt_stat_add((RtStatCell *)(raw + (size_t)c * stride), sd, v);
      rt_stat_push(s, c, v);
    }
  uint32_t zero = 0;
  CHECK_INT(bpf_map_update_elem(fd, &zero, raw, BPF_ANY), 0);
  RtStatCell *out = calloc(1, size);
  CHECK_INT(bmap_stat_read(fd, sd, ncpus, out), 0);
  const RtStatCell *want = rt_stat_get(s);
  CHECK_MEM(out, size, want, size); /* the same aggregate, @variance included */
  int64_t var;
  rt_stat_extract(out, sd, RT_STAT_VARIANCE, &var, &err);
  CHECK(var > 0);
  CHECK_INT(bmap_stat_add(fd, sd, ncpus, 1000), 0);
  rt_stat_push(s, 0, 1000);
  CHECK_INT(bmap_stat_read(fd, sd, 0, out), 0);
  want = rt_stat_get(s);
  CHECK_MEM(out, size, want, size);
  CHECK_INT(bmap_stat_reset(fd, sd, ncpus), 0);
  CHECK_INT(bmap_stat_read(fd, sd, ncpus, out), 0);
  CHECK_INT(out->count, 0);
  RtBuf ob = RT_BUF_INIT;
  rt_print_global_stat(&ob, "s", out);
  CHECK_STR(rt_buf_cstr(&ob), "s @count=0x0\n");
  rt_buf_free(&ob);
  RtStatDesc other = *sd;
  other.nbuckets = sd->nbuckets ? 0 : 128; /* another value size */
  CHECK_INT(bmap_stat_read(fd, &other, ncpus, out), -EINVAL);
  CHECK_INT(bmap_stat_read(fd, sd, ncpus + 1, out), -EINVAL);
  free(out);
  free(raw);
  rt_stat_free(s);
  close(fd);
}

static void test_scalar(void) {
  check_context = "scalar statistics";
  RtStatDesc sd;
  rt_stat_desc_init(&sd, RT_HIST_NONE, 0, 0, 0, 0, &err);
  check_scalar(&sd);
  rt_stat_desc_init(&sd, RT_HIST_LOG, 0, 0, 0, 3, &err);
  check_scalar(&sd);
  RtMapDesc d = desc1(RT_LONG, RT_LONG); /* a hash map is not a scalar's array */
  d.max_entries = 1;
  int fd = create_for(&d, 0);
  RtStatCell out;
  rt_stat_desc_init(&sd, RT_HIST_NONE, 0, 0, 0, 0, &err);
  CHECK_INT(bmap_stat_read(fd, &sd, ncpus, &out), -EINVAL);
  close(fd);
}

/* ---- measurement ------------------------------------------------------------------------------------- */

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static double time_sorted(RtMap *m, int reps) {
  RtSortSpec sp = {.column = 0, .dir = -1, .agg = RT_STAT_COUNT, .limit = -1};
  RtMapSorted s = RT_MAP_SORTED_INIT;
  double best = 1e9;
  for (int r = 0; r < reps; r++) {
    double t0 = now();
    rt_map_sorted(m, &sp, &s, &err);
    double t = now() - t0;
    if (t < best) best = t;
  }
  rt_map_sorted_free(&s);
  return best * 1e3;
}

static int nop_step(void *ctx, const void *key, const void *val) {
  (void)ctx, (void)key, (void)val;
  return 0;
}

static int bench(int n) {
  RtMapDesc d = desc1(RT_LONG, RT_LONG);
  d.max_entries = n;
  RtMap *b = bmap_for(&d), *h = rt_map_hash_new(&d);
  if (!b || !h) return 1;
  char k[8];
  double t0 = now();
  for (int i = 0; i < n; i++) {
    rt_key_set_long(rt_map_get_layout(b), k, 0, i);
    rt_map_set_long(b, k, (int64_t)i * 7919 % n, &err);
  }
  double tfill = now() - t0;
  for (int i = 0; i < n; i++) {
    rt_key_set_long(rt_map_get_layout(h), k, 0, i);
    rt_map_set_long(h, k, (int64_t)i * 7919 % n, &err);
  }
  printf("%d elements, [long] long, rt_map_sorted by value descending, best of 5:\n", n);
  printf("  host hash map                %8.2f ms\n", time_sorted(h, 5));
  printf("  bmap, batch                  %8.2f ms\n", time_sorted(b, 5));
  t0 = now();
  size_t c = rt_map_count(b);
  printf("  bmap count alone (batch)     %8.2f ms (%zu)\n", (now() - t0) * 1e3, c);
  t0 = now();
  rt_map_iterate(b, NULL, nop_step, NULL);
  printf("  bmap iterate alone (batch)   %8.2f ms\n", (now() - t0) * 1e3);
  bmap_set_batch(b, false);
  printf("  bmap, get_next_key walk      %8.2f ms\n", time_sorted(b, 2));
  printf("  (filling the BPF map from the host: %.2f ms, %.2f us per update)\n", tfill * 1e3, tfill * 1e6 / n);
  rt_map_free(b);
  rt_map_free(h);
  return 0;
}

int main(int argc, char **argv) {
  ncpus = libbpf_num_possible_cpus();
  int probe = bpf_map_create(BPF_MAP_TYPE_HASH, NULL, 8, 8, 1, NULL);
  if (probe < 0) {
    printf("skipped: cannot create BPF maps (%s)\n", strerror(-probe));
    return 77;
  }
  close(probe);
  if (argc > 1 && strcmp(argv[1], "--bench") == 0) return bench(argc > 2 ? atoi(argv[2]) : 100000);
  test_check();
  test_keys();
  test_overflow();
  test_wrap();
  test_delete_and_walk();
  test_stats();
  test_display();
  test_scalar();
  return check_summary();
}

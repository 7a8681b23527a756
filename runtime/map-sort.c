/* map-sort.c: the order of a foreach: sorted by a key column or the value,
 * ascending or descending, with a limit and an optional slice.
 *
 * stap sorts with a stable merge sort (runtime/map.c _stp_map_sort; its
 * "sortn" for small limits is stable too), comparing longs as int64, strings
 * with strcmp and stats values by one aggregate (@count unless the script
 * says "@sum-" etc.); elements that compare equal keep their storage order,
 * in both directions.  So does this: the elements are collected once into
 * records holding their sort key (an int64; for a string its first 8 bytes
 * as a big-endian number, which orders like strcmp, and a pointer to the
 * rest), then sorted by a bottom-up merge sort over insertion-sorted runs:
 * O(n log n), two record arrays allocated per call at most (reused across
 * calls through RtMapSorted), nothing per comparison.  A descending sort
 * compares ~k, which reverses the order without overflow.  Many elements
 * with a number to sort by (a long key or value, a statistic) go through an
 * LSD radix sort on k instead, a byte a pass, skipping the bytes all of
 * them share: stable too, and O(n) (three passes for values below 2^24).
 */
#include "rt-int.h"

typedef struct SortRec {
  uint64_t k;    /* the sort key, order-preserving as unsigned (~k when descending) */
  const char *s; /* a string key: the whole string (its slot is at least 8 bytes) */
  const void *key;
  const void *val;
} SortRec;

typedef struct Collect {
  const RtMapLayout *l;
  const RtSortSpec *spec;
  RtMapSorted *out;
  size_t n; /* records collected */
  bool str; /* sort key is a string */
} Collect;

enum { RUN = 24, RADIX_MIN = 256 };

#define DEFINE_MERGE_SORT(NAME, BEFORE)                                                      \
  static void NAME(SortRec *a, SortRec *tmp, size_t n, int dir) {                            \
    (void)dir;                                                                               \
    for (size_t lo = 0; lo < n; lo += RUN) {                                                 \
      size_t hi = lo + RUN < n ? lo + RUN : n;                                               \
      for (size_t i = lo + 1; i < hi; i++) {                                                 \
        SortRec x = a[i];                                                                    \
        size_t j = i;                                                                        \
        for (; j > lo && BEFORE(&x, &a[j - 1]); j--) a[j] = a[j - 1];                        \
        a[j] = x;                                                                            \
      }                                                                                      \
    }                                                                                        \
    SortRec *src = a, *dst = tmp;                                                            \
    for (size_t w = RUN; w < n; w *= 2) {                                                    \
      for (size_t lo = 0; lo < n; lo += 2 * w) {                                             \
        size_t mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;          \
        size_t i = lo, j = mid, k = lo;                                                      \
        while (i < mid && j < hi) dst[k++] = BEFORE(&src[j], &src[i]) ? src[j++] : src[i++]; \
        while (i < mid) dst[k++] = src[i++];                                                 \
        while (j < hi) dst[k++] = src[j++];                                                  \
      }                                                                                      \
      SortRec *t = src;                                                                      \
      src = dst;                                                                             \
      dst = t;                                                                               \
    }                                                                                        \
    if (src != a) memcpy(a, src, n * sizeof *a);                                             \
  }

/* x goes strictly before y.  Equal string prefixes without a NUL continue
 * with strcmp of the rest; with a NUL the strings are equal. */
#define INT_BEFORE(x, y) ((x)->k < (y)->k)
#define STR_BEFORE(x, y) ((x)->k != (y)->k ? (x)->k < (y)->k : str_rest_before(x, y, dir))

static inline bool has_nul(uint64_t k) {
  return ((k - 0x0101010101010101ULL) & ~k & 0x8080808080808080ULL) != 0;
}

static bool str_rest_before(const SortRec *x, const SortRec *y, int dir) {
  uint64_t k = dir < 0 ? ~x->k : x->k;
  if (has_nul(k)) return false;
  return dir * strcmp(x->s + 8, y->s + 8) < 0;
}

/* The first 8 bytes of a string as a big-endian number (bytes past the NUL are 0). */
static uint64_t str_prefix(const char *s) {
  uint64_t k = 0;
  int i = 0;
  for (; i < 8 && s[i]; i++) k = k << 8 | (unsigned char)s[i];
  return i ? k << (8 * (8 - i)) : 0;
}

/* int64 order as unsigned order. */
static inline uint64_t int_key(int64_t v) { return (uint64_t)v ^ 0x8000000000000000ULL; }

DEFINE_MERGE_SORT(sort_int, INT_BEFORE)
DEFINE_MERGE_SORT(sort_str, STR_BEFORE)

/* Stable ascending order of k, the least significant byte first; a byte
 * that all records share orders nothing and is skipped. */
static void radix_int(SortRec *a, SortRec *tmp, size_t n) {
  size_t count[8][256] = {{0}}; /* 16 KiB of stack: the histograms of all 8 bytes, from one read */
  for (size_t i = 0; i < n; i++)
    for (int d = 0; d < 8; d++) count[d][(a[i].k >> (8 * d)) & 255]++;
  uint64_t any = a[0].k;
  SortRec *src = a, *dst = tmp;
  for (int d = 0; d < 8; d++) {
    size_t *c = count[d];
    if (c[(any >> (8 * d)) & 255] == n) continue;
    for (size_t b = 0, sum = 0; b < 256; b++) {
      size_t here = c[b];
      c[b] = sum;
      sum += here;
    }
    for (size_t i = 0; i < n; i++) dst[c[(src[i].k >> (8 * d)) & 255]++] = src[i];
    SortRec *t = src;
    src = dst;
    dst = t;
  }
  if (src != a) memcpy(a, src, n * sizeof *a);
}

static int grow_scratch(RtMapSorted *out, size_t need) {
  if (need <= out->scap) return 0;
  size_t cap = out->scap ? out->scap : 64;
  while (cap < need) cap *= 2;
  SortRec *p = realloc(out->scratch, 2 * cap * sizeof(SortRec));
  if (!p) return -ENOMEM;
  out->scratch = p;
  out->scap = cap;
  return 0;
}

static int collect(void *ctx, const void *key, const void *val) {
  Collect *c = ctx;
  const RtSortSpec *sp = c->spec;
  if (!rt_slice_match(c->l, sp->slice, key)) return 0;
  if (c->n == c->out->scap && grow_scratch(c->out, c->n + 1)) return -ENOMEM;
  SortRec *r = (SortRec *)c->out->scratch + c->n++;
  r->key = key;
  r->val = val;
  r->k = 0;
  r->s = NULL;
  if (sp->column == 0) {
    switch (c->l->val_type) {
    case RT_LONG: r->k = int_key(rt_load64(val)); break;
    case RT_STR: r->s = val; break;
    default: r->k = int_key(rt_stat_sort_value(val, sp->agg)); break;
    }
  } else if (sp->column > 0) {
    const char *p = (const char *)key + c->l->key_off[sp->column - 1];
    if (c->l->key_type[sp->column - 1] == RT_STR)
      r->s = p;
    else
      r->k = int_key(rt_load64(p));
  }
  if (r->s) r->k = str_prefix(r->s);
  if (sp->column >= 0 && sp->dir < 0) r->k = ~r->k;
  return 0;
}

static bool string_key(const RtMapLayout *l, int column) {
  if (column == 0) return l->val_type == RT_STR;
  return column > 0 && l->key_type[column - 1] == RT_STR;
}

int rt_map_sorted(RtMap *m, const RtSortSpec *spec, RtMapSorted *out, RtErr *err) {
  const RtMapLayout *l = &m->layout;
  out->n = 0;
  if (spec->column < -1 || spec->column > l->nkeys)
    return rt_err_set(err, "foreach: no sort column %d", spec->column);
  if (spec->column >= 0 && spec->dir != 1 && spec->dir != -1)
    return rt_err_set(err, "foreach: sort direction must be +1 or -1");
  if (grow_scratch(out, rt_map_count(m) + 1)) return -ENOMEM;
  Collect c = {l, spec, out, 0, string_key(l, spec->column)};
  int rc = m->ops->iterate(m, collect, &c);
  if (rc) return rc < 0 ? rc : -EINVAL;
  SortRec *recs = out->scratch;
  if (spec->column >= 0) {
    if (c.str)
      sort_str(recs, recs + out->scap, c.n, spec->dir);
    else if (c.n >= RADIX_MIN)
      radix_int(recs, recs + out->scap, c.n);
    else
      sort_int(recs, recs + out->scap, c.n, spec->dir);
  }
  size_t n = c.n;
  if (spec->limit >= 0 && (uint64_t)spec->limit < n) n = (size_t)spec->limit;
  if (n > out->cap) {
    RtMapEntry *e = realloc(out->e, n * sizeof *e);
    if (!e) return -ENOMEM;
    out->e = e;
    out->cap = n;
  }
  for (size_t i = 0; i < n; i++) out->e[i] = (RtMapEntry){recs[i].key, recs[i].val};
  out->n = n;
  return 0;
}

void rt_map_sorted_free(RtMapSorted *s) {
  free(s->e);
  free(s->scratch);
  *s = (RtMapSorted)RT_MAP_SORTED_INIT;
}

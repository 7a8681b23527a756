/* map.c: what every array implementation shares: layout, keys, slices and
 * the rt_map_* calls that dispatch through RtMapOps.
 *
 * The layout is the contract with BPF: a key is its columns packed in order
 * (8-byte longs, zero-padded string slots whose size is a multiple of 8), a
 * value is 8 bytes, a string slot or an RtStatCell.  Keys compare and hash by
 * value, column by column, so a string column is read up to its NUL only.
 * Semantics that are stap's and not an implementation's live here too:
 * reading an absent element gives 0 or "", deleting one is not an error,
 * and a full array reports "Array overflow, check MAXMAPENTRIES" (or "check
 * size limit (N)" when the array was declared with a size: translate.cxx
 * STAP_T_01), and a full aggregate of per-CPU stats "aggregation overflow
 * in NAME" (STAP_T_05).
 */
#include "rt-int.h"

static uint32_t slot_size(uint32_t declared) {
  uint64_t n = declared ? declared : (uint64_t)rt_limits()->maxstringlen;
  n = (n + 7) & ~(uint64_t)7;
  return n < 8 ? 8 : n > UINT32_MAX / 16 ? UINT32_MAX / 16 : (uint32_t)n;
}

int rt_map_layout(const RtMapDesc *d, RtMapLayout *out) {
  memset(out, 0, sizeof *out);
  if (d->nkeys < 1 || d->nkeys > RT_MAX_KEYS) return -EINVAL;
  uint64_t off = 0;
  out->nkeys = d->nkeys;
  for (int i = 0; i < d->nkeys; i++) {
    RtType t = d->key_type[i];
    if (t != RT_LONG && t != RT_STR) return -EINVAL;
    out->key_type[i] = t;
    out->key_off[i] = (uint32_t)off;
    out->key_len[i] = t == RT_LONG ? 8 : slot_size(d->key_strsize[i]);
    off += out->key_len[i];
  }
  if (off > UINT32_MAX / 4) return -EINVAL;
  out->key_size = (uint32_t)off;
  out->val_type = d->val_type;
  switch (d->val_type) {
  case RT_LONG: out->val_size = 8; break;
  case RT_STR: out->val_size = slot_size(d->val_strsize); break;
  case RT_STAT:
    if (d->stat.nbuckets < 0) return -EINVAL;
    out->stat = d->stat;
    out->val_size = (uint32_t)rt_stat_cell_size(&d->stat);
    break;
  default: return -EINVAL;
  }
  return 0;
}

/* ---- keys and values --------------------------------------------------------------- */

void rt_key_set_long(const RtMapLayout *l, void *key, int i, int64_t v) {
  RT_ASSERT(i >= 0 && i < l->nkeys && l->key_type[i] == RT_LONG);
  rt_store64((char *)key + l->key_off[i], v);
}

static void set_slot(char *slot, uint32_t size, const char *s, size_t len) {
  size_t n = s ? rt_str_len(s, len) : 0;
  if (n > size - 1) n = size - 1;
  if (n) memcpy(slot, s, n);
  memset(slot + n, 0, size - n);
}

void rt_key_set_str(const RtMapLayout *l, void *key, int i, const char *s, size_t len) {
  RT_ASSERT(i >= 0 && i < l->nkeys && l->key_type[i] == RT_STR);
  set_slot((char *)key + l->key_off[i], l->key_len[i], s, len);
}

int64_t rt_key_get_long(const RtMapLayout *l, const void *key, int i) {
  RT_ASSERT(i >= 0 && i < l->nkeys && l->key_type[i] == RT_LONG);
  return rt_load64((const char *)key + l->key_off[i]);
}

const char *rt_key_get_str(const RtMapLayout *l, const void *key, int i) {
  RT_ASSERT(i >= 0 && i < l->nkeys && l->key_type[i] == RT_STR);
  return (const char *)key + l->key_off[i];
}

void rt_val_set_long(void *val, int64_t v) { rt_store64(val, v); }

void rt_val_set_str(const RtMapLayout *l, void *val, const char *s, size_t len) {
  RT_ASSERT(l->val_type == RT_STR);
  set_slot(val, l->val_size, s, len);
}

int64_t rt_val_get_long(const void *val) { return rt_load64(val); }

int rt_key_col_cmp(const RtMapLayout *l, int i, const void *a, const void *b) {
  const char *pa = (const char *)a + l->key_off[i], *pb = (const char *)b + l->key_off[i];
  if (l->key_type[i] == RT_STR) return strncmp(pa, pb, l->key_len[i]);
  int64_t x = rt_load64(pa), y = rt_load64(pb);
  return (x > y) - (x < y);
}

bool rt_key_equal(const RtMapLayout *l, const void *a, const void *b) {
  for (int i = 0; i < l->nkeys; i++) {
    const char *pa = (const char *)a + l->key_off[i], *pb = (const char *)b + l->key_off[i];
    if (l->key_type[i] == RT_LONG ? memcmp(pa, pb, 8) != 0 : strncmp(pa, pb, l->key_len[i]) != 0)
      return false;
  }
  return true;
}

static inline uint64_t mix64(uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t rt_key_hash(const RtMapLayout *l, const void *key) {
  uint64_t h = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < l->nkeys; i++) {
    const unsigned char *p = (const unsigned char *)key + l->key_off[i];
    uint64_t c;
    if (l->key_type[i] == RT_LONG) {
      c = (uint64_t)rt_load64(p);
    } else {
      c = 0xcbf29ce484222325ULL; /* FNV-1a over the bytes before the NUL */
      for (uint32_t k = 0; k < l->key_len[i] && p[k]; k++) c = (c ^ p[k]) * 0x100000001b3ULL;
    }
    h = mix64(h ^ c) + (uint64_t)i;
  }
  return mix64(h);
}

/* ---- the common part ------------------------------------------------------------------ */

int rt_map_base_init(RtMap *m, const RtMapOps *ops, const RtMapDesc *d) {
  memset(m, 0, sizeof *m);
  if (d->sz < offsetof(RtMapDesc, wrap) + sizeof d->wrap) return -EINVAL;
  int rc = rt_map_layout(d, &m->layout);
  if (rc) return rc;
  m->ops = ops;
  m->name = strdup(d->name ? d->name : "");
  if (!m->name) return -ENOMEM;
  m->sized = d->max_entries > 0;
  m->max_entries = m->sized ? d->max_entries : rt_limits()->maxmapentries;
  m->wrap = d->wrap;
  if (m->max_entries < 1) m->max_entries = 1;
  return 0;
}

void rt_map_base_fini(RtMap *m) {
  free(m->name);
  m->name = NULL;
}

int rt_map_overflow(const RtMap *m, RtErr *err) {
  if (m->sized)
    rt_err_set(err, "Array overflow, check size limit (%lld)", (long long)m->max_entries);
  else
    rt_err_set(err, "Array overflow, check MAXMAPENTRIES");
  return -ENOSPC;
}

/* ---- dispatch --------------------------------------------------------------------------- */

void rt_map_free(RtMap *m) {
  if (m) m->ops->destroy(m);
}

void *rt_map_lookup(RtMap *m, const void *key) { return m->ops->lookup(m, key); }

bool rt_map_exists(RtMap *m, const void *key) { return m->ops->lookup(m, key) != NULL; }

int rt_map_set(RtMap *m, const void *key, const void *val, RtErr *err) {
  return m->ops->update(m, key, val, err);
}

int rt_map_set_long(RtMap *m, const void *key, int64_t v, RtErr *err) {
  RT_ASSERT(m->layout.val_type == RT_LONG);
  char val[8];
  rt_store64(val, v);
  return m->ops->update(m, key, val, err);
}

int rt_map_set_str(RtMap *m, const void *key, const char *s, size_t len, RtErr *err) {
  RT_ASSERT(m->layout.val_type == RT_STR);
  char small[1024];
  char *val = m->layout.val_size <= sizeof small ? small : malloc(m->layout.val_size);
  if (!val) return -ENOMEM;
  rt_val_set_str(&m->layout, val, s, len);
  int rc = m->ops->update(m, key, val, err);
  if (val != small) free(val);
  return rc;
}

int rt_map_stat_add(RtMap *m, const void *key, int64_t v, RtErr *err) {
  RT_ASSERT(m->layout.val_type == RT_STAT);
  return m->ops->stat_add(m, key, v, err);
}

int rt_map_stat_merge(RtMap *m, const void *key, const RtStatCell *src, RtErr *err) {
  RT_ASSERT(m->layout.val_type == RT_STAT);
  size_t size = m->layout.val_size;
  char small[2048];
  RtStatCell *cell = (RtStatCell *)(size <= sizeof small ? small : malloc(size));
  if (!cell) return -ENOMEM;
  const void *old = m->ops->lookup(m, key);
  if (old)
    memcpy(cell, old, size); /* lookup may hand out a copy: merge, then write back */
  else
    memset(cell, 0, size);
  rt_stat_merge(cell, src, &m->layout.stat);
  RtErr full = {0};
  int rc = m->ops->update(m, key, cell, &full);
  if (rc == -ENOSPC)
    rt_err_set(err, "aggregation overflow in %s", m->name);
  else if (rc && full.set)
    rt_err_set(err, "%s", full.msg);
  if ((char *)cell != small) free(cell);
  return rc;
}

int64_t rt_map_get_long(RtMap *m, const void *key) {
  const void *v = m->ops->lookup(m, key);
  return v ? rt_load64(v) : 0;
}

const char *rt_map_get_str(RtMap *m, const void *key) {
  const char *v = m->ops->lookup(m, key);
  return v ? v : "";
}

int rt_map_delete(RtMap *m, const void *key) {
  int rc = m->ops->remove(m, key);
  return rc == -ENOENT ? 0 : rc;
}

void rt_map_clear(RtMap *m) { m->ops->clear(m); }

size_t rt_map_count(const RtMap *m) { return m->ops->count(m); }

/* ---- slices ------------------------------------------------------------------------------ */

bool rt_slice_match(const RtMapLayout *l, const RtSlice *s, const void *key) {
  if (!s) return true;
  for (int i = 0; i < l->nkeys; i++)
    if ((s->fixed & (1u << i)) && rt_key_col_cmp(l, i, key, s->key) != 0) return false;
  return true;
}

typedef struct SliceWalk {
  const RtMapLayout *l;
  const RtSlice *slice;
  RtMapIterFn fn;
  void *ctx;
} SliceWalk;

static int slice_step(void *ctx, const void *key, const void *val) {
  SliceWalk *w = ctx;
  return rt_slice_match(w->l, w->slice, key) ? w->fn(w->ctx, key, val) : 0;
}

int rt_map_iterate(RtMap *m, const RtSlice *slice, RtMapIterFn fn, void *ctx) {
  if (!slice || !slice->fixed) return m->ops->iterate(m, fn, ctx);
  SliceWalk w = {&m->layout, slice, fn, ctx};
  return m->ops->iterate(m, slice_step, &w);
}

typedef struct KeyList {
  char *keys;
  size_t n, cap, ksz;
} KeyList;

static int collect_key(void *ctx, const void *key, const void *val) {
  (void)val;
  KeyList *k = ctx;
  if (k->n == k->cap) {
    size_t cap = k->cap ? k->cap * 2 : 64;
    char *p = realloc(k->keys, cap * k->ksz);
    if (!p) return -ENOMEM;
    k->keys = p, k->cap = cap;
  }
  memcpy(k->keys + k->n++ * k->ksz, key, k->ksz);
  return 0;
}

int rt_map_delete_slice(RtMap *m, const RtSlice *slice) {
  if (!slice || !slice->fixed) {
    m->ops->clear(m);
    return 0;
  }
  /* Keys are copied out first: an implementation may not allow removal
   * while it iterates. */
  KeyList k = {NULL, 0, 0, m->layout.key_size};
  int rc = rt_map_iterate(m, slice, collect_key, &k);
  for (size_t i = 0; !rc && i < k.n; i++) rt_map_delete(m, k.keys + i * k.ksz);
  free(k.keys);
  return rc;
}

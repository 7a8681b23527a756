/* map-bpf.c: runtime arrays and scalar statistics whose storage is a BPF map.
 *
 * The script's global arrays live in BPF hash maps that the kernel-side
 * probes write; the begin and end probes, run by the host interpreter, reach
 * the same maps through RtMapOps, one syscall per operation, with keys and
 * values in the RtMapLayout format as they are.  Nothing is mirrored on the
 * host: every lookup, update and walk goes to the kernel.
 *
 * Statistics arrays are per-CPU hash maps holding one RtStatCell per
 * possible CPU (the kernel lays each CPU's value out rounded up to 8 bytes);
 * a read folds the cells pairwise with rt_stat_merge, as stap aggregates the
 * per-CPU maps of an array before reading it.  Host-side writes go to CPU 0's
 * cell.  A walk (iterate, count, clear) goes chunk by chunk through the
 * BPF_MAP_*_BATCH commands, or key by key with get_next_key on a kernel that
 * refuses them; iterate hands out a snapshot the map owns.
 *
 * What it must not do: close a descriptor it was not given (bmap_own_fd),
 * print anything, or pretend to atomicity the kernel does not give: a walk
 * while probes write sees each bucket consistently, not the whole map, and a
 * host-side <<< on a per-CPU element is a read-modify-write of all its cells.
 */
#include "bpfload.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
  CHUNK_BYTES = 1 << 20, /* one batch call moves about this much */
  CHUNK_MIN = 16,        /* elements per batch call at least */
  ENOTSUPP_K = 524,      /* the kernel's ENOTSUPP, which the syscall leaks for missing batch ops */
};

typedef struct Snap {
  char *keys; /* n keys of key_size bytes */
  char *vals; /* n values of val_size bytes (per-CPU stats already aggregated) */
  size_t n, cap;
} Snap;

typedef struct Bmap {
  RtMap base;
  int fd;
  bool own_fd;         /* destroy closes fd */
  bool percpu;         /* one value per possible CPU */
  bool batch;          /* use the batch commands; cleared when the kernel refuses them */
  bool walking;        /* an iterate's callbacks are running (the snapshot is in use) */
  int ncpus;           /* possible CPUs, 1 when not per-CPU */
  uint32_t stride;     /* bytes of one CPU's value in the syscalls: val_size rounded up to 8 */
  uint32_t raw;        /* bytes of one value in the syscalls: stride * ncpus, or val_size */
  uint32_t bpf_max;    /* max_entries of the BPF map */
  char *lraw;          /* lookup: the value as the kernel gives it */
  char *lval;          /* lookup: what is handed out (the aggregate when per-CPU, else lraw) */
  char *wraw;          /* update and stat_add: the value written */
  char *ckeys, *cvals; /* one chunk of a walk: chunk keys and raw values */
  uint32_t chunk;      /* elements per chunk */
  void *tok_in, *tok_out; /* batch position tokens */
  Snap snap;           /* the last iterate's elements */
} Bmap;

static inline uint32_t round8(uint32_t n) { return (n + 7) & ~7u; }

/* ---- values as the kernel stores them ------------------------------------------------- */

/* The value handed to the runtime, from a raw one: per-CPU cells folded into
 * out, a string value cut at its slot's end (the kernel side may have filled
 * the slot), anything else copied. */
static void value_from_raw(const Bmap *b, const char *raw, char *out) {
  const RtMapLayout *l = &b->base.layout;
  if (!b->percpu) {
    if (out != raw) memcpy(out, raw, l->val_size);
    if (l->val_type == RT_STR) out[l->val_size - 1] = 0;
    return;
  }
  RtStatCell *agg = (RtStatCell *)out;
  rt_stat_cell_clear(agg, &l->stat);
  for (int c = 0; c < b->ncpus; c++)
    rt_stat_merge(agg, (const RtStatCell *)(raw + (size_t)c * b->stride), &l->stat);
}

/* ---- walks ---------------------------------------------------------------------------------- */

/* Receives n elements of a walk: keys and raw values, packed. */
typedef int (*ChunkFn)(Bmap *b, const char *keys, const char *vals, uint32_t n, void *ctx);

static bool batch_refused(int rc) { return rc == -EINVAL || rc == -ENOTSUPP_K || rc == -EOPNOTSUPP; }

static int grow_chunk(Bmap *b, uint32_t n) {
  char *k = realloc(b->ckeys, (size_t)n * b->base.layout.key_size);
  if (k) b->ckeys = k;
  char *v = realloc(b->cvals, (size_t)n * b->raw);
  if (v) b->cvals = v;
  if (!k || !v) return -ENOMEM;
  b->chunk = n;
  return 0;
}

/* One pass of BPF_MAP_LOOKUP_BATCH (or LOOKUP_AND_DELETE_BATCH when del).
 * The kernel copies whole buckets and says ENOSPC when the first bucket does
 * not fit the chunk: the chunk then doubles.  ENOENT ends the map, with the
 * count of the last elements copied.  *started is set once the kernel
 * accepted a call, so that a refusal can fall back to the key walk. */
static int walk_batch(Bmap *b, bool del, ChunkFn fn, void *ctx, bool *started) {
  void *in = NULL;
  for (;;) {
    uint32_t n = b->chunk;
    int rc = del ? bpf_map_lookup_and_delete_batch(b->fd, in, b->tok_out, b->ckeys, b->cvals, &n, NULL)
                 : bpf_map_lookup_batch(b->fd, in, b->tok_out, b->ckeys, b->cvals, &n, NULL);
    if (rc == -ENOSPC && n == 0) {
      if (b->chunk > b->bpf_max + (uint32_t)b->ncpus) return -ENOSPC;
      if (grow_chunk(b, b->chunk * 2)) return -ENOMEM;
      continue;
    }
    if (rc && rc != -ENOENT) return rc;
    *started = true;
    if (n && fn) {
      int r = fn(b, b->ckeys, b->cvals, n, ctx);
      if (r) return r;
    }
    if (rc == -ENOENT) return 0;
    void *t = b->tok_in;
    b->tok_in = b->tok_out, b->tok_out = t;
    in = b->tok_in;
  }
}

/* The same walk with get_next_key and one lookup per key.  A key deleted
 * between the two calls is skipped; one deleted under the walk restarts the
 * kernel's walk from the first bucket, so a map that changes meanwhile can be
 * seen twice over: the walk stops after twice the map's capacity. */
static int walk_keys(Bmap *b, ChunkFn fn, void *ctx) {
  uint32_t ks = b->base.layout.key_size, n = 0;
  const void *prev = NULL;
  uint64_t limit = 2 * (uint64_t)b->bpf_max + 16, seen = 0;
  for (;;) {
    char *k = b->ckeys + (size_t)n * ks;
    int rc = bpf_map_get_next_key(b->fd, prev, k);
    if (rc == -ENOENT || (!rc && ++seen > limit)) break;
    if (rc) return rc;
    rc = bpf_map_lookup_elem(b->fd, k, b->cvals + (size_t)n * b->raw);
    if (rc && rc != -ENOENT) return rc;
    if (rc) { /* gone: go on from it all the same (the kernel restarts if it must) */
      memcpy(b->tok_in, k, ks);
      prev = b->tok_in;
      continue;
    }
    prev = k;
    if (++n == b->chunk) {
      rc = fn(b, b->ckeys, b->cvals, n, ctx);
      if (rc) return rc;
      memcpy(b->tok_in, b->ckeys + (size_t)(n - 1) * ks, ks);
      prev = b->tok_in;
      n = 0;
    }
  }
  return n ? fn(b, b->ckeys, b->cvals, n, ctx) : 0;
}

static int walk(Bmap *b, ChunkFn fn, void *ctx) {
  if (b->batch) {
    bool started = false;
    int rc = walk_batch(b, false, fn, ctx, &started);
    if (started || !batch_refused(rc)) return rc;
    b->batch = false;
  }
  return walk_keys(b, fn, ctx);
}

/* ---- RtMapOps --------------------------------------------------------------------------------- */

static void *bm_lookup(RtMap *m, const void *key) {
  Bmap *b = (Bmap *)m;
  if (bpf_map_lookup_elem(b->fd, key, b->lraw)) return NULL; /* absent, or unreadable: reads as absent */
  value_from_raw(b, b->lraw, b->lval);
  return b->lval;
}

/* A value for every CPU from one: val in CPU 0's cell, the others empty. */
static const void *raw_from_value(Bmap *b, const void *val) {
  if (!b->percpu) return val;
  memset(b->wraw, 0, b->raw);
  memcpy(b->wraw, val, b->base.layout.val_size);
  return b->wraw;
}

static int bm_update(RtMap *m, const void *key, const void *val, RtErr *err) {
  Bmap *b = (Bmap *)m;
  int rc = bpf_map_update_elem(b->fd, key, raw_from_value(b, val), BPF_ANY);
  return rc == -E2BIG ? rt_map_overflow(m, err) : rc;
}

/* Read all cells, add on CPU 0's, write all back.  Creating with NOEXIST and
 * replacing with EXIST catches a probe creating or deleting the element in
 * between (then it starts over); a probe adding to it in between is lost. */
static int bm_stat_add(RtMap *m, const void *key, int64_t v, RtErr *err) {
  Bmap *b = (Bmap *)m;
  for (int tries = 0; tries < 8; tries++) {
    int rc = bpf_map_lookup_elem(b->fd, key, b->wraw);
    bool fresh = rc == -ENOENT;
    if (rc && !fresh) return rc;
    if (fresh) memset(b->wraw, 0, b->raw);
    rt_stat_add((RtStatCell *)b->wraw, &m->layout.stat, v);
    rc = bpf_map_update_elem(b->fd, key, b->wraw, fresh ? BPF_NOEXIST : BPF_EXIST);
    if (rc == -E2BIG) return rt_map_overflow(m, err);
    if (rc != -EEXIST && rc != -ENOENT) return rc;
  }
  return -EAGAIN;
}

static int bm_remove(RtMap *m, const void *key) { return bpf_map_delete_elem(((Bmap *)m)->fd, key); }

static int snap_reserve(Snap *s, const RtMapLayout *l, size_t more) {
  if (s->n + more <= s->cap) return 0;
  size_t cap = s->cap ? s->cap : 64;
  while (cap < s->n + more) cap *= 2;
  char *k = realloc(s->keys, cap * l->key_size);
  if (k) s->keys = k;
  char *v = realloc(s->vals, cap * l->val_size);
  if (v) s->vals = v;
  if (!k || !v) return -ENOMEM;
  s->cap = cap;
  return 0;
}

static int snap_add(Bmap *b, const char *keys, const char *vals, uint32_t n, void *ctx) {
  Snap *s = ctx;
  const RtMapLayout *l = &b->base.layout;
  if (snap_reserve(s, l, n)) return -ENOMEM;
  memcpy(s->keys + s->n * l->key_size, keys, (size_t)n * l->key_size);
  for (uint32_t i = 0; i < n; i++) value_from_raw(b, vals + (size_t)i * b->raw, s->vals + (s->n + i) * l->val_size);
  s->n += n;
  return 0;
}

/* Takes a snapshot, then calls fn on it.  The snapshot is the map's, reused
 * by the next iterate; an iterate inside fn (a nested walk of the same map)
 * gets one of its own, freed when it returns. */
static int bm_iterate(RtMap *m, RtMapIterFn fn, void *ctx) {
  Bmap *b = (Bmap *)m;
  Snap own = {0}, *s = b->walking ? &own : &b->snap;
  s->n = 0;
  int rc = walk(b, snap_add, s);
  bool outer = b->walking;
  b->walking = true;
  for (size_t i = 0; !rc && i < s->n; i++)
    rc = fn(ctx, s->keys + i * m->layout.key_size, s->vals + i * m->layout.val_size);
  b->walking = outer;
  free(own.keys);
  free(own.vals);
  return rc;
}

/* Deletes key by key from the first one, so it needs no snapshot and ends
 * even if a deletion fails because a probe deleted first. */
static void clear_keys(Bmap *b) {
  uint64_t limit = 2 * (uint64_t)b->bpf_max + 16;
  while (limit-- && !bpf_map_get_next_key(b->fd, NULL, b->ckeys)) bpf_map_delete_elem(b->fd, b->ckeys);
}

static void bm_clear(RtMap *m) {
  Bmap *b = (Bmap *)m;
  if (b->batch) {
    bool started = false;
    int rc = walk_batch(b, true, NULL, NULL, &started);
    if (!rc) return;
    if (!started && batch_refused(rc)) b->batch = false;
  }
  clear_keys(b);
}

static int count_chunk(Bmap *b, const char *keys, const char *vals, uint32_t n, void *ctx) {
  (void)b, (void)keys, (void)vals;
  *(size_t *)ctx += n;
  return 0;
}

/* A BPF hash map keeps no count the syscalls can read: this walks the map
 * (without touching the snapshot).  0 when the walk fails. */
static size_t bm_count(const RtMap *m) {
  Bmap *b = (Bmap *)(uintptr_t)m; /* the walk uses the chunk buffers: logically const */
  size_t n = 0;
  return walk(b, count_chunk, &n) ? 0 : n;
}

static void bm_destroy(RtMap *m) {
  Bmap *b = (Bmap *)m;
  if (b->own_fd && b->fd >= 0) close(b->fd);
  free(b->lraw);
  if (b->lval != b->lraw) free(b->lval);
  free(b->wraw);
  free(b->ckeys);
  free(b->cvals);
  free(b->tok_in);
  free(b->tok_out);
  free(b->snap.keys);
  free(b->snap.vals);
  rt_map_base_fini(m);
  free(b);
}

static const RtMapOps bmap_ops = {
    .kind = "bpf",
    .lookup = bm_lookup,
    .update = bm_update,
    .stat_add = bm_stat_add,
    .remove = bm_remove,
    .iterate = bm_iterate,
    .clear = bm_clear,
    .count = bm_count,
    .destroy = bm_destroy,
};

/* ---- creation ---------------------------------------------------------------------------------- */

static int map_info(int fd, struct bpf_map_info *info) {
  __u32 len = sizeof *info;
  memset(info, 0, sizeof *info);
#if LIBBPF_MAJOR_VERSION > 1 || (LIBBPF_MAJOR_VERSION == 1 && LIBBPF_MINOR_VERSION >= 2)
  return bpf_map_get_info_by_fd(fd, info, &len);
#else
  return bpf_obj_get_info_by_fd(fd, info, &len);
#endif
}

/* ncpus as the caller gave it, checked against libbpf's count of possible
 * CPUs: the kernel copies that many values, whatever the buffer. */
static int possible_cpus(int ncpus) {
  int n = libbpf_num_possible_cpus();
  if (n < 1) return n < 0 ? n : -EINVAL;
  return ncpus < 1 || ncpus == n ? n : -EINVAL;
}

/* The BPF map must be what the codegen creates for the layout. */
static int check_map(Bmap *b, int fd, int ncpus) {
  struct bpf_map_info info;
  int rc = map_info(fd, &info);
  if (rc) return rc;
  const RtMapLayout *l = &b->base.layout;
  bool lru = info.type == BPF_MAP_TYPE_LRU_HASH || info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  b->percpu = info.type == BPF_MAP_TYPE_PERCPU_HASH || info.type == BPF_MAP_TYPE_LRU_PERCPU_HASH;
  bool hash = lru || b->percpu || info.type == BPF_MAP_TYPE_HASH;
  if (!hash || lru != b->base.wrap || (b->percpu && l->val_type != RT_STAT)) return -EINVAL;
  if (info.key_size != l->key_size || info.value_size != l->val_size) return -EINVAL;
  if ((int64_t)info.max_entries != b->base.max_entries) return -EINVAL;
  b->bpf_max = info.max_entries;
  b->ncpus = 1;
  if (b->percpu && (b->ncpus = possible_cpus(ncpus)) < 0) return b->ncpus;
  b->stride = round8(l->val_size);
  b->raw = b->percpu ? b->stride * (uint32_t)b->ncpus : l->val_size;
  return 0;
}

static int alloc_buffers(Bmap *b) {
  const RtMapLayout *l = &b->base.layout;
  size_t tok = round8(l->key_size > 8 ? l->key_size : 8);
  b->lraw = calloc(1, b->raw);
  b->lval = b->percpu ? calloc(1, l->val_size) : b->lraw;
  b->wraw = calloc(1, b->raw);
  b->tok_in = calloc(1, tok);
  b->tok_out = calloc(1, tok);
  if (!b->lraw || !b->lval || !b->wraw || !b->tok_in || !b->tok_out) return -ENOMEM;
  uint64_t n = CHUNK_BYTES / ((uint64_t)l->key_size + b->raw);
  if (n < CHUNK_MIN) n = CHUNK_MIN;
  if (n > (uint64_t)b->bpf_max + 1) n = (uint64_t)b->bpf_max + 1;
  return grow_chunk(b, (uint32_t)n);
}

RtMap *bmap_new(const RtMapDesc *d, int map_fd, int ncpus) {
  Bmap *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->fd = map_fd;
  b->batch = true;
  int rc = rt_map_base_init(&b->base, &bmap_ops, d);
  if (!rc) rc = check_map(b, map_fd, ncpus);
  if (!rc) rc = alloc_buffers(b);
  if (rc) {
    b->own_fd = false;
    bm_destroy(&b->base);
    errno = -rc;
    return NULL;
  }
  return &b->base;
}

static Bmap *as_bmap(RtMap *m) { return m && m->ops == &bmap_ops ? (Bmap *)m : NULL; }

int bmap_fd(const RtMap *m) {
  const Bmap *b = as_bmap((RtMap *)(uintptr_t)m);
  return b ? b->fd : -EINVAL;
}

int bmap_own_fd(RtMap *m) {
  Bmap *b = as_bmap(m);
  if (!b) return -EINVAL;
  b->own_fd = true;
  return 0;
}

int bmap_set_batch(RtMap *m, bool on) {
  Bmap *b = as_bmap(m);
  if (!b) return -EINVAL;
  b->batch = on;
  return 0;
}

/* ---- scalar statistics ------------------------------------------------------------------------------ */

/* Checks the one-element per-CPU array of a scalar and allocates a buffer for
 * its values (*raw, malloc-owned by the caller; cells *stride bytes apart). */
static int stat_open(int fd, const RtStatDesc *d, int *ncpus, char **raw, size_t *stride) {
  struct bpf_map_info info;
  int rc = map_info(fd, &info);
  if (rc) return rc;
  size_t size = rt_stat_cell_size(d);
  if (info.type != BPF_MAP_TYPE_PERCPU_ARRAY || info.key_size != 4 || info.value_size != size ||
      info.max_entries < 1)
    return -EINVAL;
  int n = possible_cpus(*ncpus);
  if (n < 0) return n;
  *ncpus = n;
  *stride = round8((uint32_t)size);
  *raw = calloc((size_t)n, *stride);
  return *raw ? 0 : -ENOMEM;
}

int bmap_stat_read(int fd, const RtStatDesc *d, int ncpus, RtStatCell *out) {
  char *raw;
  size_t stride;
  int rc = stat_open(fd, d, &ncpus, &raw, &stride);
  if (rc) return rc;
  const RtStatCell **cells = calloc((size_t)ncpus, sizeof *cells);
  uint32_t zero = 0;
  rc = cells ? bpf_map_lookup_elem(fd, &zero, raw) : -ENOMEM;
  if (!rc) {
    for (int c = 0; c < ncpus; c++) cells[c] = (const RtStatCell *)(raw + (size_t)c * stride);
    rt_stat_aggregate(out, cells, ncpus, d);
  }
  free(cells);
  free(raw);
  return rc;
}

int bmap_stat_reset(int fd, const RtStatDesc *d, int ncpus) {
  char *raw;
  size_t stride;
  int rc = stat_open(fd, d, &ncpus, &raw, &stride);
  if (rc) return rc;
  uint32_t zero = 0;
  rc = bpf_map_update_elem(fd, &zero, raw, BPF_ANY);
  free(raw);
  return rc;
}

int bmap_stat_add(int fd, const RtStatDesc *d, int ncpus, int64_t v) {
  char *raw;
  size_t stride;
  int rc = stat_open(fd, d, &ncpus, &raw, &stride);
  if (rc) return rc;
  uint32_t zero = 0;
  rc = bpf_map_lookup_elem(fd, &zero, raw);
  if (!rc) {
    rt_stat_add((RtStatCell *)raw, d, v);
    rc = bpf_map_update_elem(fd, &zero, raw, BPF_ANY);
  }
  free(raw);
  return rc;
}

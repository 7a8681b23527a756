/* map-hash.c: the host implementation of RtMapOps, a hash table.
 *
 * Elements live in one array of fixed-size records (header, key, value in
 * the RtMapLayout format), linked in storage order: insertion order, as
 * stap's maps keep theirs (a new element goes to the tail; changing a value
 * keeps the place; a wrapping array evicts the head, the oldest).  An open
 * addressing index (linear probing, backward-shift deletion) finds keys:
 * each slot holds a record number and 32 bits of the key's hash, so a probe
 * touches a record only when those bits match, and a rehash none at all.
 * Deleted records go on a free list.
 *
 * The record array grows by doubling up to the array's capacity, so pointers
 * handed out (lookup, iterate) stay valid until the next insertion, removal
 * or clear, which is the contract of RtMapOps.  What it does not do: stap
 * physically reorders a map when foreach sorts it, which also changes which
 * element a later wrap evicts; here sorting (map-sort.c) never moves elements.
 */
#include "rt-int.h"

#define NIL UINT32_MAX

typedef struct Rec {
  uint32_t prev, next; /* storage order, or the free list through next */
} Rec;

typedef struct HashMap {
  RtMap base;
  unsigned char *recs; /* cap records of rsize bytes */
  size_t rsize;
  uint32_t cap;        /* records allocated */
  uint32_t used;       /* records ever handed out */
  uint32_t free_head;  /* free list */
  uint32_t head, tail; /* oldest, newest */
  uint32_t n;          /* live elements */
  uint64_t *index;     /* (hash32 << 32) | (record number + 1); 0 = empty slot */
  uint32_t mask;       /* index slots - 1 */
} HashMap;

static inline Rec *rec(HashMap *h, uint32_t i) { return (Rec *)(h->recs + (size_t)i * h->rsize); }
static inline unsigned char *rec_key(HashMap *h, uint32_t i) { return (unsigned char *)(rec(h, i) + 1); }
static inline unsigned char *rec_val(HashMap *h, uint32_t i) {
  return rec_key(h, i) + h->base.layout.key_size;
}

static inline uint32_t slot_rec(uint64_t e) { return (uint32_t)e - 1; }
static inline uint32_t slot_hash(uint64_t e) { return (uint32_t)(e >> 32); }

/* Index slot holding key, or the empty slot where it would go (found = false). */
static uint32_t find_slot(HashMap *h, const void *key, uint32_t hash, bool *found) {
  uint32_t i = hash & h->mask;
  for (;; i = (i + 1) & h->mask) {
    uint64_t e = h->index[i];
    if (!e) break;
    if (slot_hash(e) == hash && rt_key_equal(&h->base.layout, rec_key(h, slot_rec(e)), key)) {
      *found = true;
      return i;
    }
  }
  *found = false;
  return i;
}

static void index_put(uint64_t *index, uint32_t mask, uint64_t e) {
  uint32_t i = slot_hash(e) & mask;
  while (index[i]) i = (i + 1) & mask;
  index[i] = e;
}

/* Empties slot i and shifts later members of its probe run back. */
static void index_del(HashMap *h, uint32_t i) {
  uint32_t j = i;
  for (;;) {
    j = (j + 1) & h->mask;
    uint64_t e = h->index[j];
    if (!e) break;
    uint32_t home = slot_hash(e) & h->mask;
    bool movable = i <= j ? (home <= i || home > j) : (home <= i && home > j);
    if (movable) {
      h->index[i] = e;
      i = j;
    }
  }
  h->index[i] = 0;
}

static int grow(HashMap *h) {
  uint64_t max = (uint64_t)h->base.max_entries;
  uint64_t cap = h->cap ? (uint64_t)h->cap * 2 : 16;
  if (cap > max) cap = max;
  unsigned char *p = realloc(h->recs, (size_t)cap * h->rsize);
  if (!p) return -ENOMEM;
  h->recs = p;
  h->cap = (uint32_t)cap;
  uint64_t slots = 16;
  while (slots < cap * 2) slots *= 2;
  if (h->index && slots - 1 <= h->mask) return 0;
  uint64_t *idx = calloc((size_t)slots, sizeof *idx);
  if (!idx) return -ENOMEM;
  if (h->index)
    for (uint64_t i = 0; i <= h->mask; i++)
      if (h->index[i]) index_put(idx, (uint32_t)(slots - 1), h->index[i]);
  free(h->index);
  h->index = idx;
  h->mask = (uint32_t)(slots - 1);
  return 0;
}

static void unlink_rec(HashMap *h, uint32_t r) {
  Rec *x = rec(h, r);
  if (x->prev != NIL)
    rec(h, x->prev)->next = x->next;
  else
    h->head = x->next;
  if (x->next != NIL)
    rec(h, x->next)->prev = x->prev;
  else
    h->tail = x->prev;
  x->next = h->free_head;
  h->free_head = r;
  h->n--;
}

static void remove_at(HashMap *h, uint32_t slot) {
  uint32_t r = slot_rec(h->index[slot]);
  index_del(h, slot);
  unlink_rec(h, r);
}

/* Record for a new key (value zeroed), evicting the oldest in a full
 * wrapping array; -ENOSPC with stap's message in a full plain one. */
static int insert(HashMap *h, const void *key, uint32_t hash, uint32_t *out, RtErr *err) {
  if ((int64_t)h->n >= h->base.max_entries) {
    if (!h->base.wrap || h->head == NIL) return rt_map_overflow(&h->base, err);
    bool found;
    const unsigned char *old = rec_key(h, h->head);
    remove_at(h, find_slot(h, old, (uint32_t)rt_key_hash(&h->base.layout, old), &found));
  }
  uint32_t r;
  if (h->free_head != NIL) {
    r = h->free_head;
    h->free_head = rec(h, r)->next;
  } else {
    if (h->used == h->cap && grow(h)) return -ENOMEM;
    r = h->used++;
  }
  Rec *x = rec(h, r);
  x->prev = h->tail;
  x->next = NIL;
  if (h->tail != NIL)
    rec(h, h->tail)->next = r;
  else
    h->head = r;
  h->tail = r;
  h->n++;
  memcpy(rec_key(h, r), key, h->base.layout.key_size);
  memset(rec_val(h, r), 0, h->base.layout.val_size);
  index_put(h->index, h->mask, (uint64_t)hash << 32 | (r + 1));
  *out = r;
  return 0;
}

static void *hm_lookup(RtMap *m, const void *key) {
  HashMap *h = (HashMap *)m;
  if (!h->n) return NULL;
  bool found;
  uint32_t s = find_slot(h, key, (uint32_t)rt_key_hash(&m->layout, key), &found);
  return found ? rec_val(h, slot_rec(h->index[s])) : NULL;
}

/* The record of key, created when absent. */
static int get_or_insert(HashMap *h, const void *key, uint32_t *r, RtErr *err) {
  uint32_t hash = (uint32_t)rt_key_hash(&h->base.layout, key);
  if (h->n) {
    bool found;
    uint32_t s = find_slot(h, key, hash, &found);
    if (found) {
      *r = slot_rec(h->index[s]);
      return 0;
    }
  }
  return insert(h, key, hash, r, err);
}

static int hm_update(RtMap *m, const void *key, const void *val, RtErr *err) {
  HashMap *h = (HashMap *)m;
  /* val may be another element's storage (a[k] = a[j]), which an insertion
   * can move: copy it out first. */
  char small[1024], *copy = NULL;
  uintptr_t v = (uintptr_t)val, lo = (uintptr_t)h->recs;
  if (h->recs && v >= lo && v < lo + (size_t)h->cap * h->rsize) {
    copy = m->layout.val_size <= sizeof small ? small : malloc(m->layout.val_size);
    if (!copy) return -ENOMEM;
    memcpy(copy, val, m->layout.val_size);
    val = copy;
  }
  uint32_t r;
  int rc = get_or_insert(h, key, &r, err);
  if (!rc) memcpy(rec_val(h, r), val, m->layout.val_size);
  if (copy && copy != small) free(copy);
  return rc;
}

static int hm_stat_add(RtMap *m, const void *key, int64_t v, RtErr *err) {
  HashMap *h = (HashMap *)m;
  uint32_t r;
  int rc = get_or_insert(h, key, &r, err);
  if (rc) return rc;
  rt_stat_add((RtStatCell *)rec_val(h, r), &m->layout.stat, v);
  return 0;
}

static int hm_remove(RtMap *m, const void *key) {
  HashMap *h = (HashMap *)m;
  if (!h->n) return -ENOENT;
  bool found;
  uint32_t s = find_slot(h, key, (uint32_t)rt_key_hash(&m->layout, key), &found);
  if (!found) return -ENOENT;
  remove_at(h, s);
  return 0;
}

static int hm_iterate(RtMap *m, RtMapIterFn fn, void *ctx) {
  HashMap *h = (HashMap *)m;
  for (uint32_t r = h->head; r != NIL; r = rec(h, r)->next) {
    int rc = fn(ctx, rec_key(h, r), rec_val(h, r));
    if (rc) return rc;
  }
  return 0;
}

static void hm_clear(RtMap *m) {
  HashMap *h = (HashMap *)m;
  h->n = h->used = 0;
  h->free_head = h->head = h->tail = NIL;
  if (h->index) memset(h->index, 0, ((size_t)h->mask + 1) * sizeof *h->index);
}

static size_t hm_count(const RtMap *m) { return ((const HashMap *)m)->n; }

static void hm_destroy(RtMap *m) {
  HashMap *h = (HashMap *)m;
  free(h->recs);
  free(h->index);
  rt_map_base_fini(m);
  free(h);
}

static const RtMapOps hash_ops = {
    .kind = "hash",
    .lookup = hm_lookup,
    .update = hm_update,
    .stat_add = hm_stat_add,
    .remove = hm_remove,
    .iterate = hm_iterate,
    .clear = hm_clear,
    .count = hm_count,
    .destroy = hm_destroy,
};

RtMap *rt_map_hash_new(const RtMapDesc *d) {
  HashMap *h = calloc(1, sizeof *h);
  if (!h) return NULL;
  int rc = rt_map_base_init(&h->base, &hash_ops, d);
  if (!rc && h->base.max_entries > (int64_t)(UINT32_MAX / 4)) rc = -EINVAL;
  if (rc) {
    rt_map_base_fini(&h->base);
    free(h);
    errno = -rc;
    return NULL;
  }
  h->rsize = sizeof(Rec) + h->base.layout.key_size + h->base.layout.val_size;
  h->free_head = h->head = h->tail = NIL;
  return &h->base;
}

/* stat.c: statistics: the <<< operator, per-CPU merging, the extractors.
 *
 * The arithmetic is stap's (runtime/stat-common.c __stp_stat_add, stat.c
 * _stp_stat_get, map.c _new_map_copy_stat), integer and wrapping:
 *   - each CPU keeps count, sum, min, max and Welford's running mean and M2
 *     on values scaled by << shift, and variance_s = M2 / (count - 1);
 *   - a scalar combines its CPUs all at once with the total variance formula
 *     (rt_stat_aggregate); an array element folds CPUs in pairwise
 *     (rt_stat_merge).  Integer rounding makes the two differ: for 1..5 on
 *     one CPU a scalar's @variance is 12 (stap(1) shows it), Welford's 7;
 *   - @avg is sum / count (truncating), @variance variance_s >> 2*shift;
 *   - @count and @sum of an empty aggregate are 0, the rest "empty aggregate".
 * One deliberate difference: stap's Welford delta is an int (32 bits); here it
 * is int64, the same for every sample that fits in 32 bits.
 * Histogram bucketing is here too; printing them is hist.c.
 */
#include "rt-int.h"

enum { LOG_BUCKETS = 128, LOG_BUCKET0 = 64 };

int rt_stat_desc_init(RtStatDesc *d, RtHistKind hist, int64_t start, int64_t stop, int64_t interval,
                      int shift, RtErr *err) {
  *d = (RtStatDesc){.hist = hist, .shift = shift};
  if (shift < 0 || shift > 62) return rt_err_set(err, "@variance bit shift must be between 0 and 62");
  if (hist == RT_HIST_LOG) d->nbuckets = LOG_BUCKETS;
  if (hist != RT_HIST_LINEAR) return 0;
  d->start = start, d->stop = stop, d->interval = interval;
  if (interval == 0) return rt_err_set(err, "histogram: interval cannot be zero.");
  int64_t max = rt_limits()->maxbuckets;
  /* stap: buckets = (stop - start) / interval + 3, both out-of-range buckets included */
  uint64_t n = 0;
  if (interval > 0 && stop >= start) n = ((uint64_t)stop - (uint64_t)start) / (uint64_t)interval + 3;
  if (n < 3 || n > (uint64_t)max)
    return rt_err_set(err, "histogram: Number of buckets must be between 1 and %lld", (long long)(max - 2));
  d->nbuckets = (int)n;
  return 0;
}

size_t rt_stat_cell_size(const RtStatDesc *d) {
  return sizeof(RtStatCell) + (size_t)d->nbuckets * sizeof(int64_t);
}

void rt_stat_cell_clear(RtStatCell *c, const RtStatDesc *d) { memset(c, 0, rt_stat_cell_size(d)); }

int rt_hist_log_bucket(int64_t v) {
  if (v == 0) return LOG_BUCKET0;
  uint64_t mag = v < 0 ? -(uint64_t)v : (uint64_t)v;
  int bits = 64 - __builtin_clzll(mag); /* v in [2^(bits-1), 2^bits) */
  return v > 0 ? LOG_BUCKET0 + bits : LOG_BUCKET0 - bits;
}

int rt_hist_linear_bucket(const RtStatDesc *d, int64_t v) {
  int64_t off = rt_wsub(v, d->start);
  int64_t b = off < 0 ? 0 : (int64_t)((uint64_t)off / (uint64_t)d->interval) + 1;
  return b >= d->nbuckets - 1 ? d->nbuckets - 1 : (int)b;
}

void rt_stat_add(RtStatCell *c, const RtStatDesc *d, int64_t v) {
  int64_t vs = rt_wshl(v, d->shift);
  if (c->count == 0) {
    c->count = 1;
    c->sum = c->min = c->max = v;
    c->avg_s = vs;
    c->m2 = 0;
    c->variance_s = 0;
  } else {
    c->count++;
    c->sum = rt_wadd(c->sum, v);
    if (v > c->max) c->max = v;
    if (v < c->min) c->min = v;
    int64_t delta = rt_wsub(vs, c->avg_s);
    c->avg_s = rt_wadd(c->avg_s, rt_div64(delta, c->count));
    c->m2 = rt_wadd(c->m2, rt_wmul(delta, rt_wsub(vs, c->avg_s)));
    c->variance_s = rt_div64(c->m2, c->count - 1);
  }
  if (d->hist == RT_HIST_LOG)
    c->hist[rt_hist_log_bucket(v)]++;
  else if (d->hist == RT_HIST_LINEAR)
    c->hist[rt_hist_linear_bucket(d, v)]++;
}

static int64_t sq_dev(int64_t n, int64_t a, int64_t mean) {
  int64_t dev = rt_wsub(a, mean);
  return rt_wmul(n, rt_wmul(dev, dev));
}

void rt_stat_merge(RtStatCell *dst, const RtStatCell *src, const RtStatDesc *d) {
  if (src->count == 0) return;
  if (dst->count == 0) {
    memcpy(dst, src, rt_stat_cell_size(d));
    return;
  }
  int64_t n1 = dst->count, a1 = dst->avg_s;
  dst->count += src->count;
  dst->sum = rt_wadd(dst->sum, src->sum);
  if (src->min < dst->min) dst->min = src->min;
  if (src->max > dst->max) dst->max = src->max;
  dst->avg_s = rt_div64(rt_wshl(dst->sum, d->shift), dst->count);
  int64_t s = sq_dev(n1, a1, dst->avg_s);
  s = rt_wadd(s, rt_wmul(n1 - 1, dst->variance_s));
  s = rt_wadd(s, sq_dev(src->count, src->avg_s, dst->avg_s));
  s = rt_wadd(s, rt_wmul(src->count - 1, src->variance_s));
  dst->variance_s = rt_div64(s, dst->count - 1);
  for (int j = 0; j < d->nbuckets; j++) dst->hist[j] = rt_wadd(dst->hist[j], src->hist[j]);
}

void rt_stat_aggregate(RtStatCell *out, const RtStatCell *const *cells, int n, const RtStatDesc *d) {
  rt_stat_cell_clear(out, d);
  for (int i = 0; i < n; i++) {
    const RtStatCell *c = cells[i];
    if (!c->count) continue;
    if (out->count == 0) out->min = c->min, out->max = c->max;
    out->count += c->count;
    out->sum = rt_wadd(out->sum, c->sum);
    if (c->max > out->max) out->max = c->max;
    if (c->min < out->min) out->min = c->min;
    for (int j = 0; j < d->nbuckets; j++) out->hist[j] = rt_wadd(out->hist[j], c->hist[j]);
  }
  out->avg_s = rt_div64(rt_wshl(out->sum, d->shift), out->count);
  int64_t s = 0;
  for (int i = 0; i < n; i++) {
    const RtStatCell *c = cells[i];
    if (!c->count) continue;
    s = rt_wadd(s, sq_dev(c->count, c->avg_s, out->avg_s));
    s = rt_wadd(s, rt_wmul(c->count - 1, c->variance_s));
  }
  out->variance_s = rt_div64(s, out->count - 1);
}

int rt_stat_extract(const RtStatCell *c, const RtStatDesc *d, RtStatOp op, int64_t *out, RtErr *err) {
  *out = 0;
  if (op == RT_STAT_COUNT) return *out = c->count, 0;
  if (op == RT_STAT_SUM) return *out = c->count ? c->sum : 0, 0;
  if (c->count == 0) return rt_err_set(err, "empty aggregate");
  switch (op) {
  case RT_STAT_MIN: *out = c->min; break;
  case RT_STAT_MAX: *out = c->max; break;
  case RT_STAT_AVG: *out = rt_div64(c->sum, c->count); break;
  case RT_STAT_VARIANCE: *out = rt_sar(c->variance_s, 2 * d->shift); break;
  default: RT_ASSERT(!"bad stat op");
  }
  return 0;
}

int64_t rt_stat_sort_value(const RtStatCell *c, RtStatOp op) {
  switch (op) {
  case RT_STAT_SUM: return c->sum;
  case RT_STAT_MIN: return c->min;
  case RT_STAT_MAX: return c->max;
  case RT_STAT_AVG: return rt_div64(c->sum, c->count);
  case RT_STAT_VARIANCE: return c->variance_s;
  default: return c->count;
  }
}

int rt_stat_bucket(const RtStatCell *c, const RtStatDesc *d, int64_t i, int64_t *out, RtErr *err) {
  *out = 0;
  if (i < 0 || i >= d->nbuckets) return rt_err_set(err, "histogram index out of range");
  *out = c->hist[i];
  return 0;
}

/* ---- RtStat: a scalar statistic ------------------------------------------------ */

struct RtStat {
  RtStatDesc d;
  int ncpus;
  size_t csz;         /* bytes of one cell */
  unsigned char *cpu; /* ncpus cells */
  RtStatCell *agg;    /* the last aggregate */
  const RtStatCell **ptrs;
};

RtStat *rt_stat_new(const RtStatDesc *d, int ncpus) {
  if (ncpus < 1 || d->nbuckets < 0) {
    errno = EINVAL;
    return NULL;
  }
  RtStat *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->d = *d;
  s->ncpus = ncpus;
  s->csz = rt_stat_cell_size(d);
  s->cpu = calloc((size_t)ncpus, s->csz);
  s->agg = calloc(1, s->csz);
  s->ptrs = calloc((size_t)ncpus, sizeof *s->ptrs);
  if (!s->cpu || !s->agg || !s->ptrs) {
    rt_stat_free(s);
    errno = ENOMEM;
    return NULL;
  }
  for (int i = 0; i < ncpus; i++) s->ptrs[i] = (const RtStatCell *)(s->cpu + (size_t)i * s->csz);
  return s;
}

void rt_stat_free(RtStat *s) {
  if (!s) return;
  free(s->cpu);
  free(s->agg);
  free(s->ptrs);
  free(s);
}

RtStatCell *rt_stat_cpu(RtStat *s, int cpu) {
  RT_ASSERT(cpu >= 0 && cpu < s->ncpus);
  return (RtStatCell *)(s->cpu + (size_t)cpu * s->csz);
}

const RtStatDesc *rt_stat_desc(const RtStat *s) { return &s->d; }

void rt_stat_push(RtStat *s, int cpu, int64_t v) { rt_stat_add(rt_stat_cpu(s, cpu), &s->d, v); }

const RtStatCell *rt_stat_get(RtStat *s) {
  rt_stat_aggregate(s->agg, s->ptrs, s->ncpus, &s->d);
  return s->agg;
}

void rt_stat_reset(RtStat *s) {
  memset(s->cpu, 0, (size_t)s->ncpus * s->csz);
  memset(s->agg, 0, s->csz);
}

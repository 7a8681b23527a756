/* hist.c: prints @hist_log and @hist_linear the way stap does.
 *
 * The layout rules are those of stap's runtime (runtime/stat-common.c,
 * _stp_stat_print_histogram_buf, as installed with stap 4.8); the langref's
 * 8.4.1 example follows them exactly, its 8.4.2 example has a count column one
 * space narrower than that code prints ("%*lld" of width
 * HIST_WIDTH - bar + 1 + digits(largest count)):
 *   - rows run from the first to the last non-empty bucket, widened by up to
 *     two empty buckets on each side; a log histogram does not widen below
 *     the zero bucket unless there are negative values; a linear one drops
 *     its under/overflow rows when they are empty and prints them as "<lo"
 *     and ">hi" otherwise (">hi" is start + (buckets-3)*interval);
 *   - the value column is right-aligned, at least 5 wide ("value"), sized
 *     for the widest of the first and last row (for linear: start and
 *     start + interval*last_row, plus one for a '<' or '>' - stap's formula);
 *   - header "value |" + HIST_WIDTH dashes + " count";
 *   - each row: value, " |", count/scale '@' (scale = ceil(max/HIST_WIDTH)
 *     when the biggest count exceeds HIST_WIDTH, else 1), then the count
 *     right-aligned so the counts line up after the bar;
 *   - an empty row is left out when every row within HIST_ELISION of it is
 *     empty too; a run of left-out rows shows as one "~" line;
 *   - a blank line ends the chart.
 */
#include "rt-int.h"

enum { LOG_BUCKET0 = 64 };

static int needed_space(int64_t v) {
  if (v == 0) return 1;
  int n = v < 0;
  for (uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v; u; u /= 10) n++;
  return n;
}

static int64_t log_bucket_value(int i) {
  if (i == LOG_BUCKET0) return 0;
  if (i < LOG_BUCKET0) return rt_sar(INT64_MIN, i);
  return (int64_t)((uint64_t)1 << (i - LOG_BUCKET0 - 1));
}

/* The value of row i and its prefix ("<", ">" or ""). */
static int64_t row_value(const RtStatDesc *d, int i, const char **prefix) {
  *prefix = "";
  if (d->hist == RT_HIST_LOG) return log_bucket_value(i);
  if (i == 0) {
    *prefix = "<";
    return d->start;
  }
  if (i == d->nbuckets - 1) {
    *prefix = ">";
    return rt_wadd(d->start, rt_wmul(i - 2, d->interval));
  }
  return rt_wadd(d->start, rt_wmul(i - 1, d->interval));
}

/* Rows [*lo, *hi] to print; false when every bucket is empty. */
static bool row_range(const RtStatCell *c, const RtStatDesc *d, int *lo, int *hi, int64_t *maxcount) {
  int low = -1, high = 0;
  *maxcount = 0;
  for (int i = 0; i < d->nbuckets; i++) {
    if (c->hist[i] > 0) {
      if (low == -1) low = i;
      high = i;
    }
    if (c->hist[i] > *maxcount) *maxcount = c->hist[i];
  }
  if (low == -1) return false;
  for (int k = 0; k < 2; k++) {
    if (d->hist == RT_HIST_LOG ? low != LOG_BUCKET0 && low > 0 : low > 0) low--;
    if (high < d->nbuckets - 1) high++;
  }
  if (d->hist == RT_HIST_LINEAR) {
    if (low == 0 && c->hist[0] == 0) low++;
    if (high == d->nbuckets - 1 && c->hist[high] == 0) high--;
  }
  *lo = low, *hi = high;
  return true;
}

static int value_space(const RtStatDesc *d, int lo, int hi) {
  int sp;
  if (d->hist == RT_HIST_LINEAR) {
    int under = lo == 0, over = hi == d->nbuckets - 1;
    int a = needed_space(d->start) + under;
    int b = needed_space(rt_wadd(d->start, rt_wmul(d->interval, hi))) + over;
    sp = a > b ? a : b;
  } else {
    int a = needed_space(log_bucket_value(hi)), b = needed_space(log_bucket_value(lo));
    sp = a > b ? a : b;
  }
  return sp > 5 ? sp : 5;
}

static bool elided(const RtStatCell *c, const RtStatDesc *d, int i, int lo, int hi) {
  int64_t e = rt_limits()->hist_elision;
  if (e < 0) return false;
  if (e > d->nbuckets) e = d->nbuckets;
  int from = i - e > lo ? (int)(i - e) : lo;
  int to = i + e < hi ? (int)(i + e) : hi;
  for (int k = from; k <= to; k++)
    if (c->hist[k] != 0) return false;
  return true;
}

static int put_row(RtBuf *out, const RtStatCell *c, const RtStatDesc *d, int i, int vspace, int cspace,
                   int64_t scale) {
  int64_t width = rt_limits()->hist_width;
  const char *prefix;
  int64_t v = row_value(d, i, &prefix);
  int pad = vspace - needed_space(v) - (int)strlen(prefix);
  int64_t bar = c->hist[i] / scale;
  int64_t cpad = width - bar + 1 + cspace - needed_space(c->hist[i]);
  int rc = rt_buf_fill(out, ' ', pad > 0 ? (size_t)pad : 0);
  rc = rc ? rc : rt_buf_puts(out, prefix);
  rc = rc ? rc : rt_buf_put_long(out, v);
  rc = rc ? rc : rt_buf_puts(out, " |");
  rc = rc ? rc : rt_buf_fill(out, '@', (size_t)bar);
  rc = rc ? rc : rt_buf_fill(out, ' ', cpad > 0 ? (size_t)cpad : 0);
  rc = rc ? rc : rt_buf_put_long(out, c->hist[i]);
  return rc ? rc : rt_buf_puts(out, "\n");
}

int rt_hist_print(RtBuf *out, const RtStatCell *c, const RtStatDesc *d, RtErr *err) {
  if (d->hist == RT_HIST_NONE) return rt_err_set(err, "not a histogram");
  int lo, hi;
  int64_t maxcount;
  if (c->count == 0 || !row_range(c, d, &lo, &hi, &maxcount)) return rt_err_set(err, "empty aggregate");
  int64_t width = rt_limits()->hist_width;
  int64_t scale = maxcount <= width ? 1 : (maxcount + width - 1) / width;
  int cspace = needed_space(maxcount), vspace = value_space(d, lo, hi);
  int rc = rt_buf_fill(out, ' ', (size_t)(vspace - 5));
  rc = rc ? rc : rt_buf_puts(out, "value |");
  rc = rc ? rc : rt_buf_fill(out, '-', (size_t)width);
  rc = rc ? rc : rt_buf_puts(out, " count\n");
  bool eliding = false;
  for (int i = lo; i <= hi && !rc; i++) {
    if (elided(c, d, i, lo, hi)) {
      eliding = true;
      continue;
    }
    if (eliding) {
      rc = rt_buf_fill(out, ' ', (size_t)vspace);
      rc = rc ? rc : rt_buf_puts(out, " ~\n");
      eliding = false;
    }
    rc = rc ? rc : put_row(out, c, d, i, vspace, cspace, scale);
  }
  return rc ? rc : rt_buf_puts(out, "\n");
}

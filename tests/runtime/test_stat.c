/* test_stat.c: statistics and histograms against stap's documented output.
 *
 * Extractor values come from stap(1) (@variance of 1..5 is 12, with bit
 * shift 1 it is 2), the langref's definitions (count, sum, min, max, integer
 * average) and the message stap 4.8's generated C uses for an empty
 * statistic ("empty aggregate").  Histograms come from the langref (8.4.1
 * exactly; 8.4.2 with stap's real count column, see below) and, for the
 * other cases, from the printing rules of stap's runtime
 * (runtime/stat-common.c, _stp_stat_print_histogram_buf, as installed with
 * stap 4.8), applied by hand to data of our own.
 */
#include "../unit/check.h"
#include "runtime.h"

#include <errno.h>
#include <stdlib.h>

static RtBuf out = RT_BUF_INIT;
static RtErr err;

/* A single-CPU cell of desc d; caller frees. */
static RtStatCell *cell_new(const RtStatDesc *d) {
  RtStatCell *c = calloc(1, rt_stat_cell_size(d));
  return c;
}

static int64_t extract(const RtStatCell *c, const RtStatDesc *d, RtStatOp op) {
  int64_t v;
  rt_err_clear(&err);
  return rt_stat_extract(c, d, op, &v, &err) ? -999999 : v;
}

static const char *hist(const RtStatCell *c, const RtStatDesc *d) {
  rt_buf_truncate(&out, 0);
  rt_err_clear(&err);
  return rt_hist_print(&out, c, d, &err) ? NULL : rt_buf_cstr(&out);
}

static void test_variance(void) {
  check_context = "@variance (stap(1))";
  RtStatDesc d0, d1;
  CHECK_INT(rt_stat_desc_init(&d0, RT_HIST_NONE, 0, 0, 0, 0, &err), 0);
  CHECK_INT(rt_stat_desc_init(&d1, RT_HIST_NONE, 0, 0, 0, 1, &err), 0);
  RtStat *s0 = rt_stat_new(&d0, 1), *s1 = rt_stat_new(&d1, 1);
  for (int i = 1; i <= 5; i++) rt_stat_push(s0, 0, i), rt_stat_push(s1, 0, i);
  CHECK_INT(extract(rt_stat_get(s0), &d0, RT_STAT_VARIANCE), 12);
  CHECK_INT(extract(rt_stat_get(s1), &d1, RT_STAT_VARIANCE), 2);
  CHECK_INT(extract(rt_stat_get(s0), &d0, RT_STAT_AVG), 3);
  /* an array element is aggregated pairwise: one CPU's cell is copied, so
   * Welford's integer result shows (stap's pmap path) */
  RtStatCell *agg = cell_new(&d0);
  rt_stat_merge(agg, rt_stat_cpu(s0, 0), &d0);
  CHECK_INT(extract(agg, &d0, RT_STAT_VARIANCE), 7);
  free(agg);
  rt_stat_reset(s0);
  CHECK_INT(extract(rt_stat_get(s0), &d0, RT_STAT_COUNT), 0);
  rt_stat_push(s0, 0, 42);
  CHECK_INT(extract(rt_stat_get(s0), &d0, RT_STAT_VARIANCE), 0); /* one sample */
  rt_stat_free(s0);
  rt_stat_free(s1);
}

static void test_cpus(void) {
  check_context = "per-CPU aggregation";
  RtStatDesc d;
  rt_stat_desc_init(&d, RT_HIST_LOG, 0, 0, 0, 0, &err);
  RtStat *s = rt_stat_new(&d, 2);
  rt_stat_push(s, 0, 1), rt_stat_push(s, 0, 2), rt_stat_push(s, 0, 3);
  rt_stat_push(s, 1, 10), rt_stat_push(s, 1, 20);
  const RtStatCell *a = rt_stat_get(s);
  CHECK_INT(extract(a, &d, RT_STAT_COUNT), 5);
  CHECK_INT(extract(a, &d, RT_STAT_SUM), 36);
  CHECK_INT(extract(a, &d, RT_STAT_MIN), 1);
  CHECK_INT(extract(a, &d, RT_STAT_MAX), 20);
  CHECK_INT(extract(a, &d, RT_STAT_AVG), 7);
  /* cpu0: avg_s 1, variance_s 2; cpu1: avg_s 15, variance_s 50; mean 36/5 = 7:
   * (3*(1-7)^2 + 2*(15-7)^2 + 2*2 + 1*50) / 4 = 290 / 4 */
  CHECK_INT(extract(a, &d, RT_STAT_VARIANCE), 72);
  int64_t b;
  CHECK_INT(rt_stat_bucket(a, &d, rt_hist_log_bucket(16), &b, &err), 0);
  CHECK_INT(b, 1); /* 20 */
  CHECK_INT(rt_stat_bucket(a, &d, rt_hist_log_bucket(2), &b, &err), 0);
  CHECK_INT(b, 2); /* 2 and 3 */
  /* pairwise merge gives the same here */
  RtStatCell *m = cell_new(&d);
  rt_stat_merge(m, rt_stat_cpu(s, 0), &d);
  rt_stat_merge(m, rt_stat_cpu(s, 1), &d);
  CHECK_INT(extract(m, &d, RT_STAT_VARIANCE), 72);
  CHECK_INT(extract(m, &d, RT_STAT_MIN), 1);
  CHECK_INT(extract(m, &d, RT_STAT_MAX), 20);
  CHECK_INT(m->hist[rt_hist_log_bucket(2)], 2);
  free(m);
  rt_stat_free(s);
}

static void test_empty(void) {
  check_context = "empty aggregate";
  RtStatDesc d;
  rt_stat_desc_init(&d, RT_HIST_LINEAR, 0, 100, 10, 0, &err);
  RtStatCell *c = cell_new(&d);
  CHECK_INT(extract(c, &d, RT_STAT_COUNT), 0);
  CHECK_INT(extract(c, &d, RT_STAT_SUM), 0);
  RtStatOp bad[] = {RT_STAT_MIN, RT_STAT_MAX, RT_STAT_AVG, RT_STAT_VARIANCE};
  for (int i = 0; i < 4; i++) {
    CHECK_INT(extract(c, &d, bad[i]), -999999);
    CHECK_STR(err.msg, "empty aggregate");
  }
  CHECK(hist(c, &d) == NULL);
  CHECK_STR(err.msg, "empty aggregate");
  free(c);
}

/* stat-common.c: a linear histogram keeps its under/overflow rows when they
 * are not empty and labels them "<start" and ">start+(buckets-3)*interval";
 * the value column is max(digits(start) + 1, digits(start + interval*last
 * row) + 1, 5) wide; with 120 as the largest count the scale is
 * ceil(120/50) = 3 and the count column 3 wide. */
static void test_linear_out_of_range(void) {
  check_context = "linear with under/overflow";
  RtStatDesc d;
  CHECK_INT(rt_stat_desc_init(&d, RT_HIST_LINEAR, 100, 400, 50, 0, &err), 0);
  CHECK_INT(d.nbuckets, 9); /* (400 - 100) / 50 + 3 */
  RtStatCell *c = cell_new(&d);
  struct {
    int64_t v, n;
  } data[] = {{-5, 120}, {130, 30}, {260, 7}, {999, 61}};
  for (int k = 0; k < 4; k++)
    for (int64_t i = 0; i < data[k].n; i++) rt_stat_add(c, &d, data[k].v);
  CHECK_INT(extract(c, &d, RT_STAT_COUNT), 218);
  CHECK_INT(extract(c, &d, RT_STAT_SUM), 66059);
  CHECK_INT(extract(c, &d, RT_STAT_MIN), -5);
  CHECK_INT(extract(c, &d, RT_STAT_MAX), 999);
  CHECK_INT(extract(c, &d, RT_STAT_AVG), 303); /* 66059 / 218, truncated */
  CHECK_STR(hist(c, &d), "value |-------------------------------------------------- count\n"
                         " <100 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@           120\n"
                         "  100 |@@@@@@@@@@                                          30\n"
                         "  150 |                                                     0\n"
                         "  200 |                                                     0\n"
                         "  250 |@@                                                   7\n"
                         "  300 |                                                     0\n"
                         "  350 |                                                     0\n"
                         "  400 |                                                     0\n"
                         " >400 |@@@@@@@@@@@@@@@@@@@@                                61\n"
                         "\n");
  free(c);
}

/* stat-common.c: two samples far apart: two empty rows either side of each,
 * the empty rows between them (more than HIST_ELISION = 2 from a non-empty
 * one) become one "~" line. */
static void test_linear_sparse(void) {
  check_context = "sparse linear";
  RtStatDesc d;
  rt_stat_desc_init(&d, RT_HIST_LINEAR, 0, 2000, 100, 0, &err);
  RtStatCell *c = cell_new(&d);
  rt_stat_add(c, &d, 250);
  rt_stat_add(c, &d, 1730);
  CHECK_INT(extract(c, &d, RT_STAT_AVG), 990);
  CHECK_STR(hist(c, &d), "value |-------------------------------------------------- count\n"
                         "    0 |                                                   0\n"
                         "  100 |                                                   0\n"
                         "  200 |@                                                  1\n"
                         "  300 |                                                   0\n"
                         "  400 |                                                   0\n"
                         "      ~\n"
                         " 1500 |                                                   0\n"
                         " 1600 |                                                   0\n"
                         " 1700 |@                                                  1\n"
                         " 1800 |                                                   0\n"
                         " 1900 |                                                   0\n"
                         "\n");
  free(c);
}

static void test_langref_linear(void) { /* langref 8.4.1, exactly */
  check_context = "langref @hist_linear";
  RtStatDesc d;
  rt_stat_desc_init(&d, RT_HIST_LINEAR, 0, 10240, 200, 0, &err);
  RtStatCell *c = cell_new(&d);
  for (int i = 0; i < 1650; i++) rt_stat_add(c, &d, i % 200);
  for (int i = 0; i < 8; i++) rt_stat_add(c, &d, 200 + i);
  rt_stat_add(c, &d, 1450);
  CHECK_STR(hist(c, &d), "value |-------------------------------------------------- count\n"
                         "    0 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@ 1650\n"
                         "  200 |                                                      8\n"
                         "  400 |                                                      0\n"
                         "  600 |                                                      0\n"
                         "      ~\n"
                         " 1000 |                                                      0\n"
                         " 1200 |                                                      0\n"
                         " 1400 |                                                      1\n"
                         " 1600 |                                                      0\n"
                         " 1800 |                                                      0\n"
                         "\n");
  free(c);
}

static void test_langref_log(void) {
  /* langref 8.4.2.  Rows, values, bars and elision are as printed there; the
   * count column is one space wider, as stap prints it: the field is
   * HIST_WIDTH + 1 + digits(largest count) wide after the '|' (56 here): the
   * "%*lld" of width HIST_WIDTH - bar + 1 + cnt_space after the bar in
   * stat-common.c's _stp_stat_print_histogram_buf, which the 8.4.1 example
   * follows; the 8.4.2 text has 55. */
  check_context = "langref @hist_log";
  RtStatDesc d;
  rt_stat_desc_init(&d, RT_HIST_LOG, 0, 0, 0, 0, &err);
  RtStatCell *c = cell_new(&d);
  struct {
    int64_t v, n;
  } data[] = {{40, 254}, {100, 3}, {200, 2}, {300, 2}, {600, 4}, {1500, 16689}};
  for (int k = 0; k < 6; k++)
    for (int64_t i = 0; i < data[k].n; i++) rt_stat_add(c, &d, data[k].v);
  CHECK_STR(hist(c, &d), "value |-------------------------------------------------- count\n"
                         "    8 |                                                       0\n"
                         "   16 |                                                       0\n"
                         "   32 |                                                     254\n"
                         "   64 |                                                       3\n"
                         "  128 |                                                       2\n"
                         "  256 |                                                       2\n"
                         "  512 |                                                       4\n"
                         " 1024 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@  16689\n"
                         " 2048 |                                                       0\n"
                         " 4096 |                                                       0\n"
                         "\n");
  free(c);
}

/* stat-common.c: log buckets are labelled 0, +-1, +-2, +-4, ...; the rows
 * widen by two empty buckets each side, but not below the zero bucket unless
 * there are negative values, and not past bucket 0 or 127. */
static void test_log_ranges(void) {
  check_context = "log ranges";
  RtStatDesc d;
  rt_stat_desc_init(&d, RT_HIST_LOG, 0, 0, 0, 0, &err);
  RtStatCell *c = cell_new(&d);
  rt_stat_add(c, &d, -3);
  rt_stat_add(c, &d, 5);
  CHECK_STR(hist(c, &d), "value |-------------------------------------------------- count\n"
                         "   -8 |                                                   0\n"
                         "   -4 |                                                   0\n"
                         "   -2 |@                                                  1\n"
                         "   -1 |                                                   0\n"
                         "    0 |                                                   0\n"
                         "    1 |                                                   0\n"
                         "    2 |                                                   0\n"
                         "    4 |@                                                  1\n"
                         "    8 |                                                   0\n"
                         "   16 |                                                   0\n"
                         "\n");
  CHECK(c->hist[62] == 1 && c->hist[67] == 1);
  rt_stat_cell_clear(c, &d);
  for (int i = 0; i < 3; i++) rt_stat_add(c, &d, 0);
  CHECK_STR(hist(c, &d), "value |-------------------------------------------------- count\n"
                         "    0 |@@@                                                3\n"
                         "    1 |                                                   0\n"
                         "    2 |                                                   0\n"
                         "\n");
  rt_stat_cell_clear(c, &d);
  rt_stat_add(c, &d, ((int64_t)1 << 62) + 7);
  CHECK_STR(hist(c, &d), "              value |-------------------------------------------------- count\n"
                         "1152921504606846976 |                                                   0\n"
                         "2305843009213693952 |                                                   0\n"
                         "4611686018427387904 |@                                                  1\n"
                         "\n");
  CHECK_INT(c->hist[127], 1);
  rt_stat_cell_clear(c, &d);
  rt_stat_add(c, &d, INT64_MIN);
  CHECK_STR(hist(c, &d), "               value |-------------------------------------------------- count\n"
                         "-9223372036854775808 |@                                                  1\n"
                         "-4611686018427387904 |                                                   0\n"
                         "-2305843009213693952 |                                                   0\n"
                         "\n");
  CHECK_INT(c->hist[0], 1);
  rt_stat_cell_clear(c, &d);
  int64_t vals[] = {6, 7, 9, 20};
  for (int i = 0; i < 4; i++) rt_stat_add(c, &d, vals[i]);
  CHECK_STR(hist(c, &d), "value |-------------------------------------------------- count\n"
                         "    1 |                                                   0\n"
                         "    2 |                                                   0\n"
                         "    4 |@@                                                 2\n"
                         "    8 |@                                                  1\n"
                         "   16 |@                                                  1\n"
                         "   32 |                                                   0\n"
                         "   64 |                                                   0\n"
                         "\n");
  free(c);
}

static void test_elision(void) {
  check_context = "HIST_ELISION";
  RtStatDesc d;
  rt_stat_desc_init(&d, RT_HIST_LINEAR, 0, 100, 10, 0, &err);
  RtStatCell *c = cell_new(&d);
  rt_stat_add(c, &d, 5);
  rt_stat_add(c, &d, 95);
  RtLimits saved = *rt_limits(), l = saved;
  l.hist_elision = 0; /* every empty row goes */
  rt_limits_set(&l);
  CHECK_STR(hist(c, &d), "value |-------------------------------------------------- count\n"
                         "    0 |@                                                  1\n"
                         "      ~\n"
                         "   90 |@                                                  1\n"
                         "\n");
  l.hist_elision = -1; /* none goes */
  rt_limits_set(&l);
  const char *h = hist(c, &d);
  int rows = 0;
  for (const char *p = h; p && *p; p++) rows += *p == '\n';
  CHECK_INT(rows, 1 + 11 + 1); /* header, rows 0..100 (no empty under/overflow rows), blank */
  CHECK(h && !strchr(h, '~'));
  /* langref 8.4.1: with HIST_ELISION=3, of 10 consecutive empty buckets the
   * first 3 and the last 3 are printed, the middle 4 become one '~' */
  l.hist_elision = 3;
  l.hist_width = 10;
  rt_limits_set(&l);
  rt_stat_desc_init(&d, RT_HIST_LINEAR, 0, 200, 10, 0, &err);
  RtStatCell *c2 = cell_new(&d);
  rt_stat_add(c2, &d, 5);
  rt_stat_add(c2, &d, 115);
  CHECK_STR(hist(c2, &d), "value |---------- count\n"
                          "    0 |@          1\n"
                          "   10 |           0\n"
                          "   20 |           0\n"
                          "   30 |           0\n"
                          "      ~\n"
                          "   80 |           0\n"
                          "   90 |           0\n"
                          "  100 |           0\n"
                          "  110 |@          1\n"
                          "  120 |           0\n"
                          "  130 |           0\n"
                          "\n");
  free(c2);
  rt_limits_set(&saved);
  free(c);
}

static void test_buckets(void) {
  check_context = "buckets";
  CHECK_INT(rt_hist_log_bucket(0), 64);
  CHECK_INT(rt_hist_log_bucket(1), 65);
  CHECK_INT(rt_hist_log_bucket(2), 66);
  CHECK_INT(rt_hist_log_bucket(3), 66);
  CHECK_INT(rt_hist_log_bucket(4), 67);
  CHECK_INT(rt_hist_log_bucket(-1), 63);
  CHECK_INT(rt_hist_log_bucket(-3), 62);
  CHECK_INT(rt_hist_log_bucket(INT64_MAX), 127);
  CHECK_INT(rt_hist_log_bucket(INT64_MIN), 0);
  /* stap(1): @hist_linear(x,1,3,1) over -100 1 2 3 100: under, 3 payload, over */
  RtStatDesc d;
  CHECK_INT(rt_stat_desc_init(&d, RT_HIST_LINEAR, 1, 3, 1, 0, &err), 0);
  CHECK_INT(d.nbuckets, 5);
  CHECK_INT(rt_hist_linear_bucket(&d, -100), 0);
  CHECK_INT(rt_hist_linear_bucket(&d, 1), 1);
  CHECK_INT(rt_hist_linear_bucket(&d, 3), 3);
  CHECK_INT(rt_hist_linear_bucket(&d, 4), 4);
  CHECK_INT(rt_hist_linear_bucket(&d, INT64_MAX), 4);
  RtStatCell *c = cell_new(&d);
  int64_t b;
  rt_stat_add(c, &d, 2);
  CHECK_INT(rt_stat_bucket(c, &d, 2, &b, &err), 0);
  CHECK_INT(b, 1);
  rt_err_clear(&err);
  CHECK_INT(rt_stat_bucket(c, &d, 5, &b, &err), -EINVAL);
  CHECK_STR(err.msg, "histogram index out of range");
  free(c);
  rt_err_clear(&err);
  CHECK_INT(rt_stat_desc_init(&d, RT_HIST_LINEAR, 0, 100, 0, 0, &err), -EINVAL);
  CHECK_STR(err.msg, "histogram: interval cannot be zero.");
  rt_err_clear(&err);
  CHECK_INT(rt_stat_desc_init(&d, RT_HIST_LINEAR, 0, 1000, 1, 0, &err), -EINVAL);
  CHECK_STR(err.msg, "histogram: Number of buckets must be between 1 and 126");
  rt_err_clear(&err);
  CHECK_INT(rt_stat_desc_init(&d, RT_HIST_LINEAR, 100, 0, 10, 0, &err), -EINVAL);
  CHECK_INT(rt_stat_desc_init(&d, RT_HIST_NONE, 0, 0, 0, 63, &err), -EINVAL);
  /* big values wrap as in the kernel, without undefined behaviour */
  rt_stat_desc_init(&d, RT_HIST_LOG, 0, 0, 0, 62, &err);
  c = cell_new(&d);
  rt_stat_add(c, &d, INT64_MAX);
  rt_stat_add(c, &d, INT64_MIN);
  rt_stat_add(c, &d, -5);
  CHECK_INT(extract(c, &d, RT_STAT_COUNT), 3);
  CHECK_INT(extract(c, &d, RT_STAT_MIN), INT64_MIN);
  free(c);
}

int main(void) {
  test_variance();
  test_cpus();
  test_empty();
  test_linear_out_of_range();
  test_linear_sparse();
  test_langref_linear();
  test_langref_log();
  test_log_ranges();
  test_elision();
  test_buckets();
  rt_buf_free(&out);
  return check_summary();
}

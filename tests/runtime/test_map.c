/* test_map.c: associative arrays: layout, insert/lookup/delete, overflow,
 * wrap-around, slices and foreach ordering (value or key, both directions,
 * ties, limit), through the host hash table and through a second RtMapOps
 * implementation written here to show the interface carries everything.
 *
 * The expected behaviour is that of stap's runtime (runtime/map.c as installed
 * with stap 4.8): elements are kept in insertion order, a new value does not
 * move an element, and a full array with '%' reuses its oldest element
 * (_new_map_create); foreach sorts that list with a stable merge sort
 * (_stp_map_sort), so ties keep insertion order in both directions.  The
 * overflow messages are those of stap 4.8's generated C ("Array overflow,
 * check size limit (N)", "Array overflow, check MAXMAPENTRIES", "aggregation
 * overflow in ..."; the Beginners Guide, 6.2, names "aggregation overflow").
 */
#include "../unit/check.h"
#include "runtime.h"

#include <errno.h>
#include <stdlib.h>

static RtErr err;

static RtMapDesc desc1(RtType k, RtType v) {
  RtMapDesc d = {.sz = sizeof(RtMapDesc), .name = "a", .nkeys = 1, .val_type = v};
  d.key_type[0] = k;
  return d;
}

/* Key of a [long] or [string] map. */
static void *lkey(RtMap *m, int64_t v) {
  static char k[4096];
  rt_key_set_long(rt_map_get_layout(m), k, 0, v);
  return k;
}
static void *skey(RtMap *m, const char *s) {
  static char k[4096];
  rt_key_set_str(rt_map_get_layout(m), k, 0, s, strlen(s));
  return k;
}

/* The long keys of a sorted walk, as "k1 k2 ...". */
static const char *order(RtMap *m, int column, int dir, int64_t limit) {
  static char buf[4096];
  static RtMapSorted s = RT_MAP_SORTED_INIT;
  RtSortSpec spec = {.column = column, .dir = dir, .agg = RT_STAT_COUNT, .limit = limit};
  buf[0] = 0;
  if (!m) {
    rt_map_sorted_free(&s);
    return buf;
  }
  if (rt_map_sorted(m, &spec, &s, &err)) return "error";
  for (size_t i = 0; i < s.n; i++) {
    const RtMapLayout *l = rt_map_get_layout(m);
    size_t n = strlen(buf);
    if (l->key_type[0] == RT_LONG)
      snprintf(buf + n, sizeof buf - n, "%s%lld", i ? " " : "", (long long)rt_key_get_long(l, s.e[i].key, 0));
    else
      snprintf(buf + n, sizeof buf - n, "%s%s", i ? " " : "", rt_key_get_str(l, s.e[i].key, 0));
  }
  return buf;
}

static void test_layout(void) {
  check_context = "layout";
  RtMapDesc d = {.sz = sizeof d, .name = "m", .nkeys = 3, .val_type = RT_STR};
  d.key_type[0] = RT_LONG, d.key_type[1] = RT_STR, d.key_type[2] = RT_LONG;
  d.key_strsize[1] = 13;
  RtMapLayout l;
  CHECK_INT(rt_map_layout(&d, &l), 0);
  CHECK_INT(l.key_off[0], 0);
  CHECK_INT(l.key_off[1], 8);
  CHECK_INT(l.key_len[1], 16); /* 13 rounded up to 8 */
  CHECK_INT(l.key_off[2], 24);
  CHECK_INT(l.key_size, 32);
  CHECK_INT(l.val_size, 512); /* MAXSTRINGLEN */
  d.val_type = RT_STAT;
  rt_stat_desc_init(&d.stat, RT_HIST_LOG, 0, 0, 0, 0, &err);
  CHECK_INT(rt_map_layout(&d, &l), 0);
  CHECK_INT(l.val_size, 7 * 8 + 128 * 8);
  d.nkeys = 10;
  CHECK_INT(rt_map_layout(&d, &l), -EINVAL);
  d.nkeys = 0;
  CHECK_INT(rt_map_layout(&d, &l), -EINVAL);
}

static void test_basic(void) {
  check_context = "basic operations";
  RtMapDesc d = {.sz = sizeof d, .name = "foo", .nkeys = 2, .val_type = RT_LONG};
  d.key_type[0] = RT_LONG, d.key_type[1] = RT_STR;
  RtMap *m = rt_map_hash_new(&d);
  CHECK(m != NULL);
  const RtMapLayout *l = rt_map_get_layout(m);
  char k[1024];
  rt_key_set_long(l, k, 0, 4);
  rt_key_set_str(l, k, 1, "hello", 5);
  CHECK(!rt_map_exists(m, k));
  CHECK_INT(rt_map_get_long(m, k), 0); /* absent reads as 0 */
  CHECK_INT(rt_map_set_long(m, k, 1, &err), 0);
  CHECK_INT(rt_map_set_long(m, k, rt_map_get_long(m, k) + 1, &err), 0); /* foo[4,"hello"]++ */
  CHECK_INT(rt_map_get_long(m, k), 2);
  CHECK(rt_map_exists(m, k));
  CHECK_INT(rt_map_set_long(m, k, 0, &err), 0);
  CHECK(rt_map_exists(m, k)); /* a 0 value is still an element */
  CHECK_INT(rt_map_count(m), 1);
  rt_key_set_str(l, k, 1, "hellp", 5);
  CHECK(!rt_map_exists(m, k));
  CHECK_INT(rt_map_delete(m, k), 0); /* deleting an absent element is fine */
  rt_key_set_str(l, k, 1, "hello", 5);
  CHECK_INT(rt_map_delete(m, k), 0);
  CHECK(!rt_map_exists(m, k));
  CHECK_INT(rt_map_count(m), 0);
  for (int i = 0; i < 1000; i++) {
    rt_key_set_long(l, k, 0, i);
    rt_map_set_long(m, k, i * 10, &err);
  }
  CHECK_INT(rt_map_count(m), 1000);
  int ok = 1;
  for (int i = 0; i < 1000; i++) {
    rt_key_set_long(l, k, 0, i);
    ok &= rt_map_get_long(m, k) == i * 10;
  }
  CHECK(ok);
  for (int i = 0; i < 1000; i += 2) {
    rt_key_set_long(l, k, 0, i);
    rt_map_delete(m, k);
  }
  CHECK_INT(rt_map_count(m), 500);
  ok = 1;
  for (int i = 0; i < 1000; i++) {
    rt_key_set_long(l, k, 0, i);
    ok &= rt_map_exists(m, k) == (i % 2 == 1);
  }
  CHECK(ok);
  rt_map_clear(m);
  CHECK_INT(rt_map_count(m), 0);
  rt_key_set_long(l, k, 0, 1);
  CHECK(!rt_map_exists(m, k));
  CHECK_INT(rt_map_set_long(m, k, 5, &err), 0);
  CHECK_INT(rt_map_get_long(m, k), 5);
  rt_map_free(m);
}

static void test_strings(void) {
  check_context = "string keys and values";
  RtMapDesc d = desc1(RT_STR, RT_STR);
  d.key_strsize[0] = 8; /* holds 7 bytes */
  RtMap *m = rt_map_hash_new(&d);
  CHECK_INT(rt_map_set_str(m, skey(m, "abcdefgXX"), "one", 3, &err), 0);
  CHECK_STR(rt_map_get_str(m, skey(m, "abcdefgYY")), "one"); /* both cut to "abcdefg" */
  CHECK_STR(rt_map_get_str(m, skey(m, "zzz")), "");          /* absent reads as "" */
  CHECK_INT(rt_map_set_str(m, skey(m, "k"), "a\0b", 3, &err), 0);
  CHECK_STR(rt_map_get_str(m, skey(m, "k")), "a");
  CHECK_INT(rt_map_set_str(m, skey(m, ""), "empty key", 9, &err), 0);
  CHECK_STR(rt_map_get_str(m, skey(m, "")), "empty key");
  char big[700];
  memset(big, 'v', sizeof big);
  CHECK_INT(rt_map_set_str(m, skey(m, "big"), big, sizeof big, &err), 0);
  CHECK_INT(strlen(rt_map_get_str(m, skey(m, "big"))), 511); /* MAXSTRINGLEN - 1 */
  CHECK_INT(rt_map_count(m), 4);
  rt_map_free(m);
}

static void test_overflow(void) {
  check_context = "overflow";
  RtMapDesc d = desc1(RT_LONG, RT_LONG);
  d.max_entries = 3;
  RtMap *m = rt_map_hash_new(&d);
  for (int i = 0; i < 3; i++) CHECK_INT(rt_map_set_long(m, lkey(m, i), i, &err), 0);
  rt_err_clear(&err);
  CHECK_INT(rt_map_set_long(m, lkey(m, 3), 3, &err), -ENOSPC);
  CHECK_STR(err.msg, "Array overflow, check size limit (3)");
  CHECK_INT(rt_map_set_long(m, lkey(m, 1), 11, &err), 0); /* replacing still works */
  CHECK_INT(rt_map_count(m), 3);
  rt_map_delete(m, lkey(m, 0));
  CHECK_INT(rt_map_set_long(m, lkey(m, 3), 3, &err), 0);
  rt_map_free(m);

  RtLimits saved = *rt_limits(), l = saved;
  l.maxmapentries = 2;
  rt_limits_set(&l);
  d.max_entries = 0;
  m = rt_map_hash_new(&d);
  rt_map_set_long(m, lkey(m, 1), 1, &err);
  rt_map_set_long(m, lkey(m, 2), 2, &err);
  rt_err_clear(&err);
  CHECK_INT(rt_map_set_long(m, lkey(m, 3), 3, &err), -ENOSPC);
  CHECK_STR(err.msg, "Array overflow, check MAXMAPENTRIES");
  rt_map_free(m);
  rt_limits_set(&saved);

  d = desc1(RT_LONG, RT_STAT);
  d.max_entries = 1;
  m = rt_map_hash_new(&d);
  CHECK_INT(rt_map_stat_add(m, lkey(m, 1), 5, &err), 0);
  rt_err_clear(&err);
  CHECK_INT(rt_map_stat_add(m, lkey(m, 2), 5, &err), -ENOSPC);
  CHECK_STR(err.msg, "Array overflow, check size limit (1)");
  rt_map_free(m);
}

static void test_wrap(void) {
  check_context = "wrap-around";
  RtMapDesc d = desc1(RT_LONG, RT_LONG);
  d.max_entries = 3;
  d.wrap = true;
  RtMap *m = rt_map_hash_new(&d);
  for (int i = 1; i <= 4; i++) CHECK_INT(rt_map_set_long(m, lkey(m, i), i, &err), 0);
  CHECK_STR(order(m, -1, 1, -1), "2 3 4");  /* 1, the oldest, made room */
  rt_map_set_long(m, lkey(m, 2), 20, &err); /* a new value keeps the element's age */
  rt_map_set_long(m, lkey(m, 5), 5, &err);
  CHECK_STR(order(m, -1, 1, -1), "3 4 5");
  rt_map_delete(m, lkey(m, 3));
  rt_map_set_long(m, lkey(m, 6), 6, &err); /* room without eviction */
  CHECK_STR(order(m, -1, 1, -1), "4 5 6");
  rt_map_set_long(m, lkey(m, 4), 44, &err);
  rt_map_set_long(m, lkey(m, 7), 7, &err);
  CHECK_STR(order(m, -1, 1, -1), "5 6 7");
  CHECK_INT(rt_map_count(m), 3);
  rt_map_free(m);

  d = desc1(RT_LONG, RT_STAT); /* wrapping works for stats arrays too */
  d.max_entries = 2;
  d.wrap = true;
  m = rt_map_hash_new(&d);
  for (int i = 1; i <= 3; i++) CHECK_INT(rt_map_stat_add(m, lkey(m, i), i, &err), 0);
  CHECK_STR(order(m, -1, 1, -1), "2 3");
  rt_map_free(m);
}

/* a:3 b:1 c:3 d:2 e:1 in that order, keys 10 20 30 40 50 */
static RtMap *ties_map(void) {
  RtMap *m = rt_map_hash_new(&(RtMapDesc){
      .sz = sizeof(RtMapDesc), .name = "t", .nkeys = 1, .key_type = {RT_LONG}, .val_type = RT_LONG});
  int64_t v[] = {3, 1, 3, 2, 1};
  for (int i = 0; i < 5; i++) rt_map_set_long(m, lkey(m, (i + 1) * 10), v[i], &err);
  return m;
}

static void test_sort(void) {
  check_context = "foreach order";
  RtMap *m = ties_map();
  CHECK_STR(order(m, -1, 1, -1), "10 20 30 40 50"); /* storage order */
  CHECK_STR(order(m, 0, 1, -1), "20 50 40 10 30");  /* value ascending, ties in storage order */
  CHECK_STR(order(m, 0, -1, -1), "10 30 40 20 50"); /* descending: ties still in storage order */
  CHECK_STR(order(m, 1, -1, -1), "50 40 30 20 10");
  CHECK_STR(order(m, 1, 1, -1), "10 20 30 40 50");
  CHECK_STR(order(m, 0, -1, 2), "10 30"); /* foreach (v = [k] in t- limit 2) */
  CHECK_STR(order(m, 0, -1, 0), "");
  CHECK_STR(order(m, 0, 1, 99), "20 50 40 10 30");
  CHECK_STR(order(m, -1, 1, 3), "10 20 30");
  rt_map_delete(m, lkey(m, 10));
  rt_map_set_long(m, lkey(m, 10), 3, &err); /* re-inserted: now last in storage order */
  CHECK_STR(order(m, 0, -1, -1), "30 10 40 20 50");
  rt_err_clear(&err);
  RtMapSorted s = RT_MAP_SORTED_INIT;
  CHECK_INT(rt_map_sorted(m, &(RtSortSpec){.column = 2, .dir = 1, .limit = -1}, &s, &err), -EINVAL);
  rt_map_sorted_free(&s);
  rt_map_free(m);

  /* negative values and the extremes */
  m = rt_map_hash_new(&(RtMapDesc){
      .sz = sizeof(RtMapDesc), .name = "n", .nkeys = 1, .key_type = {RT_LONG}, .val_type = RT_LONG});
  int64_t keys[] = {0, -1, INT64_MAX, INT64_MIN, 5};
  for (int i = 0; i < 5; i++) rt_map_set_long(m, lkey(m, keys[i]), keys[i], &err);
  CHECK_STR(order(m, 1, 1, -1), "-9223372036854775808 -1 0 5 9223372036854775807");
  CHECK_STR(order(m, 0, -1, -1), "9223372036854775807 5 0 -1 -9223372036854775808");
  rt_map_free(m);

  /* strings sort bytewise (strcmp), by key or by value */
  m = rt_map_hash_new(&(RtMapDesc){
      .sz = sizeof(RtMapDesc), .name = "s", .nkeys = 1, .key_type = {RT_STR}, .val_type = RT_STR});
  const char *ks[] = {"b", "\xff", "a", "B", "ab", ""};
  const char *vs[] = {"x", "y", "x", "a", "z", "x"};
  for (int i = 0; i < 6; i++) rt_map_set_str(m, skey(m, ks[i]), vs[i], 1, &err);
  CHECK_STR(order(m, 1, 1, -1), " B a ab b \xff");
  CHECK_STR(order(m, 1, -1, -1), "\xff b ab a B ");
  CHECK_STR(order(m, 0, 1, -1), "B b a  \xff ab"); /* values a x x x y z; the x's in storage order */
  CHECK_STR(order(m, 0, -1, -1), "ab \xff b a  B");
  rt_map_free(m);
}

static void test_multikey(void) {
  check_context = "multiple keys, slices";
  RtMapDesc d = {.sz = sizeof d, .name = "m", .nkeys = 2, .val_type = RT_LONG};
  d.key_type[0] = RT_LONG, d.key_type[1] = RT_STR;
  RtMap *m = rt_map_hash_new(&d);
  const RtMapLayout *l = rt_map_get_layout(m);
  char k[1024];
  const char *names[] = {"x", "y", "x", "z", "y", "x"};
  int64_t firsts[] = {3, 1, 2, 1, 3, 1};
  for (int i = 0; i < 6; i++) {
    rt_key_set_long(l, k, 0, firsts[i]);
    rt_key_set_str(l, k, 1, names[i], 1);
    rt_map_set_long(m, k, i, &err);
  }
  RtMapSorted s = RT_MAP_SORTED_INIT;
  /* foreach ([a, b-] in m): by the second column descending, ties in storage order */
  CHECK_INT(rt_map_sorted(m, &(RtSortSpec){.column = 2, .dir = -1, .limit = -1}, &s, &err), 0);
  char got[256] = "";
  for (size_t i = 0; i < s.n; i++)
    snprintf(got + strlen(got), sizeof got - strlen(got), "%lld%s ",
             (long long)rt_key_get_long(l, s.e[i].key, 0), rt_key_get_str(l, s.e[i].key, 1));
  CHECK_STR(got, "1z 1y 3y 3x 2x 1x ");
  /* foreach ([a, b] in m[*, "x"]) */
  char sk[1024];
  rt_key_set_str(l, sk, 1, "x", 1);
  RtSlice sl = {.fixed = 1u << 1, .key = sk};
  CHECK_INT(rt_map_sorted(m, &(RtSortSpec){.column = 1, .dir = 1, .limit = -1, .slice = &sl}, &s, &err), 0);
  got[0] = 0;
  for (size_t i = 0; i < s.n; i++)
    snprintf(got + strlen(got), sizeof got - strlen(got), "%lld=%lld ",
             (long long)rt_key_get_long(l, s.e[i].key, 0), (long long)rt_val_get_long(s.e[i].val));
  CHECK_STR(got, "1=5 2=2 3=0 ");
  /* delete m[1, *] */
  rt_key_set_long(l, sk, 0, 1);
  sl.fixed = 1u << 0;
  CHECK_INT(rt_map_delete_slice(m, &sl), 0);
  CHECK_INT(rt_map_count(m), 3);
  CHECK_INT(rt_map_sorted(m, &(RtSortSpec){.column = -1, .limit = -1}, &s, &err), 0);
  CHECK_INT(s.n, 3);
  /* both columns fixed is an element; none fixed is the whole array */
  rt_key_set_long(l, sk, 0, 3);
  rt_key_set_str(l, sk, 1, "y", 1);
  sl.fixed = 3;
  CHECK_INT(rt_map_delete_slice(m, &sl), 0);
  CHECK_INT(rt_map_count(m), 2);
  sl.fixed = 0;
  CHECK_INT(rt_map_delete_slice(m, &sl), 0);
  CHECK_INT(rt_map_count(m), 0);
  rt_map_sorted_free(&s);
  rt_map_free(m);
}

static void test_stats_array(void) {
  check_context = "stats arrays";
  RtMapDesc d = desc1(RT_LONG, RT_STAT);
  rt_stat_desc_init(&d.stat, RT_HIST_LINEAR, 0, 100, 10, 0, &err);
  RtMap *m = rt_map_hash_new(&d);
  /* key 1: 5 x3 (count 3 sum 15); key 2: 100 (count 1 sum 100); key 3: 1, 2 (count 2 sum 3) */
  int64_t adds[][2] = {{1, 5}, {2, 100}, {1, 5}, {3, 1}, {1, 5}, {3, 2}};
  for (int i = 0; i < 6; i++) CHECK_INT(rt_map_stat_add(m, lkey(m, adds[i][0]), adds[i][1], &err), 0);
  const RtStatCell *c = rt_map_lookup(m, lkey(m, 1));
  int64_t v;
  CHECK(c && rt_stat_extract(c, &d.stat, RT_STAT_COUNT, &v, &err) == 0 && v == 3);
  CHECK_INT(c->hist[1], 3);
  CHECK_STR(order(m, 0, -1, -1), "1 3 2"); /* "-" on a stats array: by @count */
  RtMapSorted s = RT_MAP_SORTED_INIT;
  RtStatOp ops[] = {RT_STAT_SUM, RT_STAT_MIN, RT_STAT_MAX, RT_STAT_AVG};
  const char *want[] = {"3 1 2", "3 1 2", "3 1 2", "3 1 2"};
  for (int i = 0; i < 4; i++) {
    RtSortSpec sp = {.column = 0, .dir = 1, .agg = ops[i], .limit = -1};
    rt_map_sorted(m, &sp, &s, &err);
    char got[64] = "";
    for (size_t j = 0; j < s.n; j++)
      snprintf(got + strlen(got), sizeof got - strlen(got), "%s%lld", j ? " " : "",
               (long long)rt_key_get_long(rt_map_get_layout(m), s.e[j].key, 0));
    CHECK_STR(got, want[i]);
  }
  rt_map_sorted_free(&s);
  rt_map_free(m);

  /* per-CPU maps folded into an aggregate map */
  RtMap *cpu0 = rt_map_hash_new(&d), *cpu1 = rt_map_hash_new(&d);
  RtMapDesc da = d;
  da.name = "agg";
  da.max_entries = 2;
  RtMap *agg = rt_map_hash_new(&da);
  rt_map_stat_add(cpu0, lkey(cpu0, 1), 1, &err);
  rt_map_stat_add(cpu0, lkey(cpu0, 1), 2, &err);
  rt_map_stat_add(cpu1, lkey(cpu1, 1), 30, &err);
  rt_map_stat_add(cpu1, lkey(cpu1, 2), 40, &err);
  RtMap *cpus[] = {cpu0, cpu1};
  for (int i = 0; i < 2; i++) {
    RtMapSorted all = RT_MAP_SORTED_INIT;
    rt_map_sorted(cpus[i], &(RtSortSpec){.column = -1, .limit = -1}, &all, &err);
    for (size_t j = 0; j < all.n; j++) CHECK_INT(rt_map_stat_merge(agg, all.e[j].key, all.e[j].val, &err), 0);
    rt_map_sorted_free(&all);
  }
  const RtStatCell *c1 = rt_map_lookup(agg, lkey(agg, 1)), *c2 = rt_map_lookup(agg, lkey(agg, 2));
  CHECK(c1 && c1->count == 3 && c1->sum == 33 && c1->min == 1 && c1->max == 30);
  CHECK(c2 && c2->count == 1 && c2->sum == 40);
  CHECK(c1 && c1->hist[rt_hist_linear_bucket(&d.stat, 30)] == 1);
  RtStatCell *extra = calloc(1, rt_stat_cell_size(&d.stat));
  rt_stat_add(extra, &d.stat, 7);
  rt_err_clear(&err);
  CHECK_INT(rt_map_stat_merge(agg, lkey(agg, 3), extra, &err), -ENOSPC);
  CHECK_STR(err.msg, "aggregation overflow in agg");
  free(extra);
  rt_map_free(cpu0);
  rt_map_free(cpu1);
  rt_map_free(agg);
}

/* 200,000 elements with many ties: the order must be by value, ties in
 * insertion order, in both directions (the radix sort's path: many longs). */
static void test_big_sort(void) {
  check_context = "big sort";
  enum { N = 200000 };
  RtMapDesc d = desc1(RT_LONG, RT_LONG);
  d.max_entries = N;
  RtMap *m = rt_map_hash_new(&d);
  uint64_t x = 88172645463325252ULL;
  for (int64_t i = 0; i < N; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    rt_map_set_long(m, lkey(m, i), (int64_t)(x % 1000) - 500, &err);
  }
  CHECK_INT(rt_map_count(m), N);
  RtMapSorted s = RT_MAP_SORTED_INIT;
  for (int dir = -1; dir <= 1; dir += 2) {
    CHECK_INT(rt_map_sorted(m, &(RtSortSpec){.column = 0, .dir = dir, .limit = -1}, &s, &err), 0);
    CHECK_INT(s.n, N);
    int ok = 1;
    for (size_t i = 1; i < s.n; i++) {
      int64_t a = rt_val_get_long(s.e[i - 1].val), b = rt_val_get_long(s.e[i].val);
      int64_t ka = rt_key_get_long(rt_map_get_layout(m), s.e[i - 1].key, 0);
      int64_t kb = rt_key_get_long(rt_map_get_layout(m), s.e[i].key, 0);
      ok &= dir > 0 ? a <= b : a >= b;
      ok &= a != b || ka < kb;
    }
    CHECK(ok);
  }
  /* by the key, descending: N-1 down to 0 (the radix sort's path for keys) */
  CHECK_INT(rt_map_sorted(m, &(RtSortSpec){.column = 1, .dir = -1, .limit = -1}, &s, &err), 0);
  int ok = s.n == N;
  for (size_t i = 0; ok && i < s.n; i++)
    ok &= rt_key_get_long(rt_map_get_layout(m), s.e[i].key, 0) == (int64_t)(N - 1 - i);
  CHECK(ok);
  rt_map_sorted_free(&s);
  rt_map_free(m);
}

/* ---- a second implementation: an unsorted array, to exercise RtMapOps ---- */

typedef struct ArrMap {
  RtMap base;
  char *keys, *vals;
  size_t n;
} ArrMap;

static int arr_find(ArrMap *a, const void *key) {
  for (size_t i = 0; i < a->n; i++)
    if (!memcmp(a->keys + i * a->base.layout.key_size, key, a->base.layout.key_size)) return (int)i;
  return -1;
}
static void *arr_lookup(RtMap *m, const void *key) {
  ArrMap *a = (ArrMap *)m;
  int i = arr_find(a, key);
  return i < 0 ? NULL : a->vals + (size_t)i * m->layout.val_size;
}
static int arr_update(RtMap *m, const void *key, const void *val, RtErr *e) {
  ArrMap *a = (ArrMap *)m;
  int i = arr_find(a, key);
  if (i < 0) {
    if ((int64_t)a->n == m->max_entries) return rt_map_overflow(m, e);
    i = (int)a->n++;
    memcpy(a->keys + (size_t)i * m->layout.key_size, key, m->layout.key_size);
  }
  memcpy(a->vals + (size_t)i * m->layout.val_size, val, m->layout.val_size);
  return 0;
}
static int arr_stat_add(RtMap *m, const void *key, int64_t v, RtErr *e) {
  (void)m, (void)key, (void)v;
  return rt_err_set(e, "unused");
}
static int arr_remove(RtMap *m, const void *key) {
  ArrMap *a = (ArrMap *)m;
  int i = arr_find(a, key);
  if (i < 0) return -ENOENT;
  size_t ks = m->layout.key_size, vs = m->layout.val_size, rest = a->n - (size_t)i - 1;
  memmove(a->keys + (size_t)i * ks, a->keys + (size_t)(i + 1) * ks, rest * ks);
  memmove(a->vals + (size_t)i * vs, a->vals + (size_t)(i + 1) * vs, rest * vs);
  a->n--;
  return 0;
}
static int arr_iterate(RtMap *m, RtMapIterFn fn, void *ctx) {
  ArrMap *a = (ArrMap *)m;
  for (size_t i = 0; i < a->n; i++) {
    int rc = fn(ctx, a->keys + i * m->layout.key_size, a->vals + i * m->layout.val_size);
    if (rc) return rc;
  }
  return 0;
}
static void arr_clear(RtMap *m) { ((ArrMap *)m)->n = 0; }
static size_t arr_count(const RtMap *m) { return ((const ArrMap *)m)->n; }
static void arr_destroy(RtMap *m) {
  ArrMap *a = (ArrMap *)m;
  free(a->keys);
  free(a->vals);
  rt_map_base_fini(m);
  free(a);
}
static const RtMapOps arr_ops = {"array",     arr_lookup, arr_update, arr_stat_add, arr_remove,
                                 arr_iterate, arr_clear,  arr_count,  arr_destroy};

static void test_other_impl(void) {
  check_context = "another RtMapOps";
  RtMapDesc d = desc1(RT_LONG, RT_LONG);
  d.max_entries = 8;
  ArrMap *a = calloc(1, sizeof *a);
  CHECK_INT(rt_map_base_init(&a->base, &arr_ops, &d), 0);
  a->keys = calloc(8, a->base.layout.key_size);
  a->vals = calloc(8, a->base.layout.val_size);
  RtMap *m = &a->base;
  int64_t v[] = {3, 1, 3, 2, 1};
  for (int i = 0; i < 5; i++) rt_map_set_long(m, lkey(m, (i + 1) * 10), v[i], &err);
  CHECK_STR(order(m, 0, -1, -1), "10 30 40 20 50");
  CHECK_INT(rt_map_get_long(m, lkey(m, 40)), 2);
  char sk[8];
  rt_key_set_long(&m->layout, sk, 0, 30);
  CHECK_INT(rt_map_delete_slice(m, &(RtSlice){.fixed = 1, .key = sk}), 0);
  CHECK_STR(order(m, 0, 1, -1), "20 50 40 10");
  for (int i = 0; i < 4; i++) rt_map_set_long(m, lkey(m, 100 + i), i, &err);
  rt_err_clear(&err);
  CHECK_INT(rt_map_set_long(m, lkey(m, 999), 0, &err), -ENOSPC);
  CHECK_STR(err.msg, "Array overflow, check size limit (8)");
  rt_map_free(m);
}

int main(void) {
  test_layout();
  test_basic();
  test_strings();
  test_overflow();
  test_wrap();
  test_sort();
  test_multikey();
  test_stats_array();
  test_big_sort();
  test_other_impl();
  order(NULL, 0, 0, 0);
  return check_summary();
}

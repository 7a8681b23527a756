/* test_display.c: the unread-globals display at exit, in the formats of
 * the C that SystemTap 4.8 generates for it (stap -p3; see display.c).
 */
#include "../unit/check.h"
#include "runtime.h"

static RtBuf out = RT_BUF_INIT;
static RtErr err;

static const char *shown(void) { return rt_buf_cstr(&out); }

static void test_scalars(void) {
  check_context = "scalars";
  rt_buf_truncate(&out, 0);
  rt_print_global_long(&out, "hits", 41);
  rt_print_global_long(&out, "zero", 0);
  rt_print_global_long(&out, "neg", -1);
  CHECK_STR(shown(), "hits=41\nzero=0\nneg=-1\n");
  rt_buf_truncate(&out, 0);
  const char *g = "abcdefghijklmnopqrstuvwxyz";
  rt_print_global_str(&out, "name", g, strlen(g));
  rt_print_global_str(&out, "q", "a\"b\n", 4); /* %#s escapes nothing */
  rt_print_global_str(&out, "e", "", 0);
  CHECK_STR(shown(), "name=\"abcdefghijklmnopqrstuvwxyz\"\nq=\"a\"b\n\"\ne=\"\"\n");
}

static void test_stats(void) {
  check_context = "stats";
  RtStatDesc d;
  rt_stat_desc_init(&d, RT_HIST_NONE, 0, 0, 0, 0, &err);
  RtStat *phi = rt_stat_new(&d, 1);
  rt_buf_truncate(&out, 0);
  rt_print_global_stat(&out, "lat", rt_stat_get(phi));
  CHECK_STR(shown(), "lat @count=0x0\n");
  for (int i = 1; i <= 4; i++) rt_stat_push(phi, 0, i);
  rt_buf_truncate(&out, 0);
  rt_print_global_stat(&out, "lat", rt_stat_get(phi));
  CHECK_STR(shown(), "lat @count=4 @min=1 @max=4 @sum=10 @avg=2\n");
  rt_stat_reset(phi);
  rt_stat_push(phi, 0, -7);
  rt_stat_push(phi, 0, 2);
  rt_buf_truncate(&out, 0);
  rt_print_global_stat(&out, "lat", rt_stat_get(phi));
  CHECK_STR(shown(), "lat @count=2 @min=-7 @max=2 @sum=-5 @avg=-2\n");
  rt_stat_free(phi);
}

static void test_arrays(void) {
  check_context = "arrays";
  /* per["one",1] = 1 ... per["two",2] = 4: shown by value, largest first */
  RtMapDesc d = {.sz = sizeof d, .name = "per", .nkeys = 2, .val_type = RT_LONG};
  d.key_type[0] = RT_STR, d.key_type[1] = RT_LONG;
  RtMap *alpha = rt_map_hash_new(&d);
  const RtMapLayout *l = rt_map_get_layout(alpha);
  char k[1024];
  const char *names[] = {"one", "one", "two", "two"};
  for (int i = 0; i < 4; i++) {
    rt_key_set_str(l, k, 0, names[i], 3);
    rt_key_set_long(l, k, 1, i % 2 + 1);
    rt_map_set_long(alpha, k, i + 1, &err);
  }
  rt_buf_truncate(&out, 0);
  CHECK_INT(rt_print_global_map(&out, alpha, &err), 0);
  CHECK_STR(shown(),
            "per[\"two\",2]=4\nper[\"two\",1]=3\nper[\"one\",2]=2\nper[\"one\",1]=1\n");
  rt_map_free(alpha);

  RtMapDesc di = {.sz = sizeof di, .name = "words", .nkeys = 1, .key_type = {RT_STR}, .val_type = RT_STR};
  RtMap *words = rt_map_hash_new(&di);
  rt_key_set_str(rt_map_get_layout(words), k, 0, "one", 3);
  rt_map_set_str(words, k, "eleven", 6, &err);
  rt_key_set_str(rt_map_get_layout(words), k, 0, "two", 3);
  rt_map_set_str(words, k, "twelve", 6, &err);
  rt_buf_truncate(&out, 0);
  rt_print_global_map(&out, words, &err);
  CHECK_STR(shown(), "words[\"two\"]=\"twelve\"\nwords[\"one\"]=\"eleven\"\n");
  rt_map_free(words);

  /* lat2["one",1] <<< 1..4, lat2["two",2] <<< 10..40: equal @count, storage order */
  RtMapDesc de = {
      .sz = sizeof de, .name = "lat2", .nkeys = 2, .key_type = {RT_STR, RT_LONG}, .val_type = RT_STAT};
  rt_stat_desc_init(&de.stat, RT_HIST_NONE, 0, 0, 0, 0, &err);
  RtMap *eps = rt_map_hash_new(&de);
  const RtMapLayout *le = rt_map_get_layout(eps);
  for (int i = 1; i <= 4; i++) {
    rt_key_set_str(le, k, 0, "one", 3);
    rt_key_set_long(le, k, 1, 1);
    rt_map_stat_add(eps, k, i, &err);
    rt_key_set_str(le, k, 0, "two", 3);
    rt_key_set_long(le, k, 1, 2);
    rt_map_stat_add(eps, k, i * 10, &err);
  }
  rt_key_set_long(le, k, 1, -3); /* one more element, with a bigger count and a negative key */
  for (int i = 0; i < 5; i++) rt_map_stat_add(eps, k, 7, &err);
  rt_buf_truncate(&out, 0);
  rt_print_global_map(&out, eps, &err);
  CHECK_STR(shown(), "lat2[\"two\",-3] @count=5 @min=7 @max=7 @sum=35 @avg=7\n"
                     "lat2[\"one\",1] @count=4 @min=1 @max=4 @sum=10 @avg=2\n"
                     "lat2[\"two\",2] @count=4 @min=10 @max=40 @sum=100 @avg=25\n");
  rt_map_free(eps);
}

int main(void) {
  test_scalars();
  test_stats();
  test_arrays();
  rt_buf_free(&out);
  return check_summary();
}

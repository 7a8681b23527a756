/* display.c: the unread globals stap prints when a script ends.
 *
 * stap adds one "probe end" per global that the script writes and never
 * reads; the C that SystemTap 4.8 generates for them (stap -p3) prints:
 *   scalar long     name=%lld               decimal
 *   scalar string   name="%s"               nothing escaped
 *   scalar stats    name @count=%lld @min=%lld @max=%lld @sum=%lld @avg=%lld,
 *                   or the literal "name @count=0x0" when it is empty
 *   array           foreach ([k1,...] in name-): name["%s" or %lld,...] then
 *                   =%lld, ="%s" or the five stats; "name-" sorts by value
 *                   descending, which for stats means @count.
 * Choosing which globals to show, their order and --no-global-var-display
 * are the driver's business; this only prints.
 */
#include "rt-int.h"

static int put_quoted(RtBuf *out, const char *s, size_t len) {
  int rc = rt_buf_puts(out, "\"");
  rc = rc ? rc : rt_buf_append(out, s, strnlen(s, len));
  return rc ? rc : rt_buf_puts(out, "\"");
}

/* " @count=.. @min=.. @max=.. @sum=.. @avg=..\n" of a non-empty aggregate. */
static int put_stats(RtBuf *out, const RtStatCell *c) {
  static const char *const label[] = {" @count=", " @min=", " @max=", " @sum=", " @avg="};
  const int64_t v[] = {c->count, c->min, c->max, c->sum, rt_div64(c->sum, c->count)};
  int rc = 0;
  for (int i = 0; i < 5 && !rc; i++) {
    rc = rt_buf_puts(out, label[i]);
    rc = rc ? rc : rt_buf_put_long(out, v[i]);
  }
  return rc ? rc : rt_buf_puts(out, "\n");
}

int rt_print_global_long(RtBuf *out, const char *name, int64_t v) {
  int rc = rt_buf_puts(out, name);
  rc = rc ? rc : rt_buf_puts(out, "=");
  rc = rc ? rc : rt_buf_put_long(out, v);
  return rc ? rc : rt_buf_puts(out, "\n");
}

int rt_print_global_str(RtBuf *out, const char *name, const char *s, size_t len) {
  int rc = rt_buf_puts(out, name);
  rc = rc ? rc : rt_buf_puts(out, "=");
  rc = rc ? rc : put_quoted(out, s, len);
  return rc ? rc : rt_buf_puts(out, "\n");
}

int rt_print_global_stat(RtBuf *out, const char *name, const RtStatCell *agg) {
  int rc = rt_buf_puts(out, name);
  if (rc) return rc;
  if (agg->count == 0) return rt_buf_puts(out, " @count=0x0\n");
  return put_stats(out, agg);
}

static int put_element(RtBuf *out, const RtMap *m, const void *key, const void *val) {
  const RtMapLayout *l = &m->layout;
  int rc = rt_buf_puts(out, m->name);
  rc = rc ? rc : rt_buf_puts(out, "[");
  for (int i = 0; i < l->nkeys && !rc; i++) {
    if (i) rc = rt_buf_puts(out, ",");
    if (rc) break;
    if (l->key_type[i] == RT_LONG)
      rc = rt_buf_put_long(out, rt_key_get_long(l, key, i));
    else
      rc = put_quoted(out, rt_key_get_str(l, key, i), l->key_len[i]);
  }
  rc = rc ? rc : rt_buf_puts(out, "]");
  if (rc) return rc;
  switch (l->val_type) {
  case RT_LONG:
    rc = rt_buf_puts(out, "=");
    rc = rc ? rc : rt_buf_put_long(out, rt_load64(val));
    return rc ? rc : rt_buf_puts(out, "\n");
  case RT_STR:
    rc = rt_buf_puts(out, "=");
    rc = rc ? rc : put_quoted(out, val, l->val_size);
    return rc ? rc : rt_buf_puts(out, "\n");
  default: return put_stats(out, val);
  }
}

int rt_print_global_map(RtBuf *out, RtMap *m, RtErr *err) {
  RtSortSpec spec = {.column = 0, .dir = -1, .agg = RT_STAT_COUNT, .limit = -1, .slice = NULL};
  RtMapSorted s = RT_MAP_SORTED_INIT;
  int rc = rt_map_sorted(m, &spec, &s, err);
  for (size_t i = 0; !rc && i < s.n; i++) rc = put_element(out, m, s.e[i].key, s.e[i].val);
  rt_map_sorted_free(&s);
  return rc;
}

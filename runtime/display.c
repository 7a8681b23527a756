/* display.c: the unread globals stap prints when a script ends.
 *
 * stap synthesises one "probe end" per global that the script writes and
 * never reads (elaborate.cxx add_global_var_display), printing with these
 * formats; the testsuite's systemtap.base/global_end.exp checks the output
 * ("alpha[\"two\",2]=0x4", "gamma=\"abc...\"", "phi @count=4 @min=1 @max=4
 * @sum=10 @avg=2", "epsilon[\"one\",1] @count=4 ...", "gs0_save=0x29"):
 *   scalar long     name=%#x          (hex, "0x0" for zero, as number() does)
 *   scalar string   name="%#s"        (%#s is %s: nothing is escaped)
 *   scalar stats    name @count=%#d @min=%#d @max=%#d @sum=%#d @avg=%#d,
 *                   or the literal "name @count=0x0" when it is empty
 *   array           foreach ([k1,...] in name-): name[%#d or "%#s",...] then
 *                   =%#x, ="%#s" or the five stats; "name-" sorts by value
 *                   descending, which for stats means @count.
 * Choosing which globals to show, their order and --no-global-var-display
 * are the driver's business; this only prints.
 */
#include "rt-int.h"

static int put_hex(RtBuf *out, int64_t v) {
  char tmp[20], *p = tmp + sizeof tmp;
  uint64_t u = (uint64_t)v;
  do *--p = "0123456789abcdef"[u & 15];
  while (u >>= 4);
  int rc = rt_buf_puts(out, "0x");
  return rc ? rc : rt_buf_append(out, p, (size_t)(tmp + sizeof tmp - p));
}

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
  rc = rc ? rc : put_hex(out, v);
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
    rc = rc ? rc : put_hex(out, rt_load64(val));
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

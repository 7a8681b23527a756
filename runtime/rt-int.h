/* rt-int.h: what the runtime's files share and nobody else sees.
 *
 * Integer helpers with the kernel's semantics (stap's runtime is kernel C,
 * built with wrapping signed arithmetic; here that is spelled out through
 * uint64_t so the sanitizers stay quiet), the key column compare and hash used
 * by the map files, and the sort helper of map-sort.c that display.c reuses.
 */
#ifndef STAPJIT_RT_INT_H
#define STAPJIT_RT_INT_H

#include "runtime.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Broken invariants abort with file and line (STYLE.md channel 3). */
_Noreturn void rt_panic(const char *file, int line, const char *what);
#define RT_ASSERT(c) ((c) ? (void)0 : rt_panic(__FILE__, __LINE__, #c))

/* ---- wrapping int64 arithmetic ------------------------------------------ */

static inline int64_t rt_wadd(int64_t a, int64_t b) { return (int64_t)((uint64_t)a + (uint64_t)b); }
static inline int64_t rt_wsub(int64_t a, int64_t b) { return (int64_t)((uint64_t)a - (uint64_t)b); }
static inline int64_t rt_wmul(int64_t a, int64_t b) { return (int64_t)((uint64_t)a * (uint64_t)b); }
static inline int64_t rt_wshl(int64_t a, int s) { return (int64_t)((uint64_t)a << s); }
/* Arithmetic shift right (floor), as the kernel's >> on a signed value. */
static inline int64_t rt_sar(int64_t a, int s) {
  return a >= 0 ? (int64_t)((uint64_t)a >> s) : (int64_t) ~(~(uint64_t)a >> s);
}

/* stap's _stp_div64(NULL, x, y): C division, 0 for a zero divisor, and no
 * trap for INT64_MIN / -1 (it wraps). */
static inline int64_t rt_div64(int64_t x, int64_t y) {
  if (y == 0) return 0;
  if (y == -1) return rt_wsub(0, x);
  return x / y;
}

/* ---- key columns (map.c, map-hash.c, map-sort.c) ----------------------- */

static inline int64_t rt_load64(const void *p) {
  int64_t v;
  memcpy(&v, p, 8);
  return v;
}
static inline void rt_store64(void *p, int64_t v) { memcpy(p, &v, 8); }

/* Compares column i of two keys: <0, 0, >0 (longs as int64, strings as strcmp). */
int rt_key_col_cmp(const RtMapLayout *l, int i, const void *a, const void *b);
/* Whole keys equal (by value: a string column ends at its NUL). */
bool rt_key_equal(const RtMapLayout *l, const void *a, const void *b);
/* Hash of a whole key, by value. */
uint64_t rt_key_hash(const RtMapLayout *l, const void *key);

/* The value an aggregate sorts by (no error: array elements are never empty). */
int64_t rt_stat_sort_value(const RtStatCell *c, RtStatOp op);

#endif

/* foreach_sort.c: the C baseline for bench/host/foreach.py.
 *
 * Does what the script does, in plain C: fills 1,000,000 (key, value)
 * pairs with the same values, sorts them by value descending (ties by
 * insertion order, as a stable sort), and printf's one line per entry to
 * the file named by argv[1].
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct Pair {
  int64_t key, val;
  size_t order;
} Pair;

static int by_value_desc(const void *a, const void *b) {
  const Pair *x = a, *y = b;
  if (x->val != y->val) return x->val < y->val ? 1 : -1;
  return x->order < y->order ? -1 : x->order > y->order;
}

int main(int argc, char **argv) {
  size_t n = argc > 2 ? strtoul(argv[2], NULL, 10) : 1000000;
  Pair *p = malloc(sizeof *p * n);
  if (!p || argc < 2) return 1;
  for (size_t i = 0; i < n; i++) {
    p[i].key = (int64_t)i;
    p[i].val = (int64_t)((i * 7919) % 1000003);
    p[i].order = i;
  }
  qsort(p, n, sizeof *p, by_value_desc);
  FILE *f = fopen(argv[1], "w");
  if (!f) return 1;
  for (size_t i = 0; i < n; i++) fprintf(f, "%lld %lld\n", (long long)p[i].key, (long long)p[i].val);
  fclose(f);
  free(p);
  return 0;
}

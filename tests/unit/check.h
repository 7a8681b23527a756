/* check.h: the unit tests' harness, one header and no library.
 *
 * CHECK-style macros count passes and failures and print each failure as
 * "file:line: check failed: ..." with the values involved, then carry on, so
 * one run shows every broken case.  check_summary() prints the final line
 * "N passed, N failed" and returns the exit status (non-zero on any failure).
 * Each test program includes this once; the counters are per program.
 */
#ifndef STAPJIT_TESTS_CHECK_H
#define STAPJIT_TESTS_CHECK_H

#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static int check_npassed, check_nfailed;
static const char *check_context; /* printed with failures: the case being run */

static inline bool check_report(bool ok, const char *file, int line) {
  if (ok) {
    check_npassed++;
    return true;
  }
  check_nfailed++;
  fprintf(stderr, "%s:%d: check failed", file, line);
  if (check_context) fprintf(stderr, " [in: %s]", check_context);
  fputs(": ", stderr);
  return false;
}

/* CHECK(cond): true or reports the condition's text. */
#define CHECK(c)                                                                                             \
  do {                                                                                                       \
    if (!check_report((c), __FILE__, __LINE__)) fprintf(stderr, "%s\n", #c);                                 \
  } while (0)

/* CHECK_INT(a, b): two integers equal. */
#define CHECK_INT(a, b)                                                                                      \
  do {                                                                                                       \
    long long check_a_ = (long long)(a), check_b_ = (long long)(b);                                          \
    if (!check_report(check_a_ == check_b_, __FILE__, __LINE__))                                             \
      fprintf(stderr, "%s == %s: got %lld, expected %lld\n", #a, #b, check_a_, check_b_);                    \
  } while (0)

static inline bool check_str_eq(const char *a, const char *b) {
  if (!a || !b) return a == b;
  return strcmp(a, b) == 0;
}

/* CHECK_STR(a, b): two strings equal (NULL equals only NULL). */
#define CHECK_STR(a, b)                                                                                      \
  do {                                                                                                       \
    const char *check_a_ = (a), *check_b_ = (b);                                                             \
    if (!check_report(check_str_eq(check_a_, check_b_), __FILE__, __LINE__))                                 \
      fprintf(stderr, "%s == %s:\n  got      \"%s\"\n  expected \"%s\"\n", #a, #b,                           \
              check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");                               \
  } while (0)

/* CHECK_MEM(a, alen, b, blen): two byte strings equal. */
#define CHECK_MEM(a, alen, b, blen)                                                                          \
  do {                                                                                                       \
    size_t check_al_ = (alen), check_bl_ = (blen);                                                           \
    if (!check_report(check_al_ == check_bl_ && memcmp((a), (b), check_al_) == 0, __FILE__, __LINE__))      \
      fprintf(stderr, "%s (%zu bytes) differs from %s (%zu bytes)\n", #a, check_al_, #b, check_bl_);         \
  } while (0)

/* CHECK_CONTAINS(hay, needle): hay holds needle. */
#define CHECK_CONTAINS(hay, needle)                                                                          \
  do {                                                                                                       \
    const char *check_h_ = (hay), *check_n_ = (needle);                                                      \
    if (!check_report(check_h_ && check_n_ && strstr(check_h_, check_n_), __FILE__, __LINE__))               \
      fprintf(stderr, "%s does not contain \"%s\":\n  \"%s\"\n", #hay, check_n_ ? check_n_ : "(null)",       \
              check_h_ ? check_h_ : "(null)");                                                               \
  } while (0)

/* Prints "N passed, N failed" on its own line; returns main's exit status. */
static inline int check_summary(void) {
  fflush(stderr);
  printf("%d passed, %d failed\n", check_npassed, check_nfailed);
  fflush(stdout);
  return check_nfailed ? 1 : 0;
}

#endif

/* parse-test.h: helpers for the parser's unit tests.
 *
 * Each helper parses in a fresh session and returns text (the tree's
 * S-expression, or the diagnostics) kept in one arena that lives until the
 * program exits, so tests compare strings and never hold dangling trees.
 */
#ifndef STAPJIT_TESTS_PARSE_TEST_H
#define STAPJIT_TESTS_PARSE_TEST_H

#include "ast-sexp.h"
#include "check.h"
#include "fe-test.h"

static Arena *pt_keep; /* results outlive their sessions */

static inline const char *pt_save(const char *s) {
  if (!pt_keep) pt_keep = arena_new();
  return arena_strdup(pt_keep, s);
}

/* Parses text as a user script; NULL on error (diagnostics in s). */
static inline AstFile *pt_parse(FeSession *s, const char *text) { return fe_parse(s, t_add(s, text), false); }

/* The diagnostics of parsing text ("" if none). */
static inline const char *pt_errors(const char *text) {
  FeSession *s = t_session(NULL);
  AstFile *f = pt_parse(s, text);
  const char *d = pt_save(t_diags(s));
  if ((f != NULL) != (s->diag.nerrors == 0)) d = pt_save("inconsistent: fe_parse result vs error count");
  fe_session_free(s);
  return d;
}

/* Parses "probe begin { BODY }" and returns the S-expression of the body's
 * statements separated by "; ", or "ERROR " and the diagnostics. */
static inline const char *pt_body(const char *body) {
  FeSession *s = t_session(NULL);
  StrBuf b = {0};
  sb_printf(&b, "probe begin { %s }", body);
  AstFile *f = pt_parse(s, sb_str(&b));
  sb_reset(&b);
  if (!f || f->probes.n != 1) {
    sb_printf(&b, "ERROR %s", t_diags(s));
  } else {
    const AstProbe *p = f->probes.items[0];
    for (int k = 0; k < p->body->nbody; k++) {
      if (k) sb_puts(&b, "; ");
      sx_stmt(&b, p->body->body[k]);
    }
  }
  const char *r = pt_save(sb_str(&b));
  sb_free(&b);
  fe_session_free(s);
  return r;
}

/* Each case reports the caller's line through check_context = the input. */
#define BODY_CASE(body, want)                                                                                \
  do {                                                                                                       \
    check_context = (body);                                                                                  \
    CHECK_STR(pt_body(body), want);                                                                          \
    check_context = NULL;                                                                                    \
  } while (0)

#define ERR_CASE(text, want)                                                                                 \
  do {                                                                                                       \
    check_context = (text);                                                                                  \
    CHECK_STR(pt_errors(text), want);                                                                        \
    check_context = NULL;                                                                                    \
  } while (0)

#endif

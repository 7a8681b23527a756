/* fe-test.h: helpers shared by the front end's unit tests.
 *
 * A session with fixed options (x86_64, kernel runtime, a fake kernel release
 * and a fake kconfig), source text added from a string, and the diagnostics
 * rendered as "line:col: message" lines so tests can compare them exactly.
 * Test code only: everything leaks into the session arena, freed with it.
 */
#ifndef STAPJIT_TESTS_FE_TEST_H
#define STAPJIT_TESTS_FE_TEST_H

#include "fe-int.h"

#include <string.h>

#define T_KERNEL_RELEASE "6.1.0-56-amd64"

/* A kconfig with a handful of options; anything else is unset. */
static inline const char *t_kconfig(void *ctx, const char *name) {
  static const char *const tab[][2] = {
      {"CONFIG_MODULES", "y"}, {"CONFIG_EXT4_FS", "m"}, {"CONFIG_HZ", "250"}, {"CONFIG_NAME", "\"stap\""}};
  (void)ctx;
  for (size_t k = 0; k < sizeof tab / sizeof tab[0]; k++)
    if (!strcmp(tab[k][0], name)) return tab[k][1];
  return NULL;
}

/* Options every test starts from; tests change fields before t_session. */
static inline FeOptions t_options(void) {
  FeOptions o = {.sz = sizeof o,
                 .arch = "x86_64",
                 .runtime = "kernel",
                 .kernel_release = T_KERNEL_RELEASE,
                 .privilege = "stapdev",
                 .kconfig = t_kconfig};
  return o;
}

static inline FeSession *t_session(const FeOptions *o) {
  FeOptions d = t_options();
  return fe_session_new(o ? o : &d);
}

static inline uint32_t t_add(FeSession *s, const char *text) {
  return srcset_add(&s->src, "<test>", text, strlen(text), 0);
}

/* The diagnostics so far, one "line:col: message" per line (arena string). */
static inline const char *t_diags(FeSession *s) {
  StrBuf b = {0};
  for (const Diag *g = s->diag.head; g; g = g->next)
    sb_printf(&b, "%s%u:%u: %s", b.len ? "\n" : "", g->loc.line, g->loc.col, g->msg);
  const char *r = arena_strdup(s->arena, sb_str(&b));
  sb_free(&b);
  return r;
}

/* Lexes text (no preprocessing). */
static inline TokArray t_lex(FeSession *s, const char *text) {
  TokArray out = {0};
  lex_file(s, t_add(s, text), &out);
  return out;
}

/* Lexes and preprocesses text. */
static inline TokArray t_pp(FeSession *s, const char *text) {
  TokArray raw = t_lex(s, text), out = {0};
  pp_run(s, &raw, &out, false);
  return out;
}

/* The tokens before EOF as text separated by single spaces; strings quoted
 * with their raw text, embedded code as %{code%}. */
static inline const char *t_join(FeSession *s, const TokArray *v) {
  StrBuf b = {0};
  for (int k = 0; k < v->n && v->t[k].kind != TK_EOF; k++) {
    const Token *t = &v->t[k];
    if (b.len) sb_putc(&b, ' ');
    if (t->kind == TK_STR) sb_printf(&b, "\"%.*s\"", (int)t->len, t->text);
    else if (t->kind == TK_EMBEDDED) sb_printf(&b, "%%{%.*s%%}", (int)t->len, t->text);
    else sb_printf(&b, "%.*s", (int)t->len, t->text);
  }
  const char *r = arena_strdup(s->arena, sb_str(&b));
  sb_free(&b);
  return r;
}

#endif

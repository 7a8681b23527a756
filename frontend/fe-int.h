/* fe-int.h: the front end's internal contract between lexer, preprocessor and
 * parser.  Tokens live in arrays in the session arena; the parser reads the
 * preprocessed array by index, so lookahead is free.  Not for other
 * components: they see frontend.h and ast.h only.
 */
#ifndef STAPJIT_FE_INT_H
#define STAPJIT_FE_INT_H

#include "frontend.h"

typedef enum TokKind {
  TK_EOF,
  TK_IDENT,    /* foo */
  TK_TARGET,   /* $foo, $$vars, $1 (before pp), $# */
  TK_AT,       /* @foo, @1, @# */
  TK_NUM,      /* num */
  TK_STR,      /* str/str_len unescaped; text = the raw literal without quotes */
  TK_OP,       /* punctuation; text is the spelling */
  TK_EMBEDDED, /* %{ ... %}: text = the code between the braces */
  TK_PP_IF,    /* %( */
  TK_PP_THEN,  /* %? */
  TK_PP_ELSE,  /* %: */
  TK_PP_END,   /* %) */
} TokKind;

typedef struct Token {
  TokKind kind;
  const char *text;  /* identifier, operator spelling, raw literal, code */
  size_t len;        /* length of text */
  int64_t num;       /* TK_NUM */
  const char *str;   /* TK_STR unescaped */
  size_t str_len;
  SrcLoc loc;
  bool space_before; /* whitespace separated it from the previous token */
} Token;

typedef struct TokArray {
  Token *t;
  int n, cap;
} TokArray;

void tok_push(Arena *a, TokArray *v, const Token *t);
/* Is t of kind k with this exact text (NULL = any text)?  Inline so that
 * strlen of a literal folds away: the parser calls this on every token. */
static inline bool tok_is(const Token *t, TokKind k, const char *text) {
  if (t->kind != k) return false;
  if (!text) return true;
  size_t n = __builtin_strlen(text);
  return t->len == n && __builtin_memcmp(t->text, text, n) == 0;
}
const char *tok_describe(Arena *a, const Token *t);      /* "identifier 'x'" */

/* lex.c: lexes source file src (whole file) into out; errors go to diag.
 * Never fails hard: bad characters become diagnostics and are skipped. */
void lex_file(FeSession *s, uint32_t src, TokArray *out);
/* Lexes a string that stands at loc (for $N pasting). */
void lex_string(FeSession *s, const char *text, size_t len, SrcLoc loc, TokArray *out);
/* Escapes bytes for a string literal's raw form. */
const char *lex_escape(Arena *a, const char *s, size_t len);

/* pp.c: expands %( %? %: %), @define/@macro, $N/@N/$#/@#.  Library macros
 * found in .stpm files are registered in s->macros by pp_collect_macros. */
void pp_run(FeSession *s, const TokArray *in, TokArray *out, bool is_tapset);
void pp_collect_macros(FeSession *s, const TokArray *in);

/* parse*.c */
AstFile *parse_file(FeSession *s, uint32_t src, const TokArray *toks, bool is_tapset);

#endif

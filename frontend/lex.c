/* lex.c: turns script text into tokens.
 *
 * Knows comments (# // and C-style), string and number literals, identifiers
 * (which may hold '$'), target tokens ($x, $$vars, $1, $#), at-words (@cast,
 * @1, @#), operators (longest match), embedded C (%{ %}) and the
 * preprocessor brackets (%( %? %: %)).  It does not expand anything: that is
 * pp.c.  Every byte of input is either consumed or reported; it never stops
 * early, so one run reports every lexical error.
 */
#include "fe-int.h"

#include <ctype.h>
#include <string.h>

void tok_push(Arena *a, TokArray *v, const Token *t) {
  if (v->n == v->cap) {
    int cap = v->cap ? v->cap * 2 : 256;
    v->t = arena_realloc(a, v->t, sizeof(Token) * (size_t)v->cap, sizeof(Token) * (size_t)cap);
    v->cap = cap;
  }
  v->t[v->n++] = *t;
}

const char *tok_describe(Arena *a, const Token *t) {
  int n = t->len > 40 ? 40 : (int)t->len;
  switch (t->kind) {
  case TK_EOF: return "end of input";
  case TK_IDENT: return arena_printf(a, "identifier '%.*s'", n, t->text);
  case TK_TARGET: return arena_printf(a, "target '%.*s'", n, t->text);
  case TK_AT: return arena_printf(a, "'%.*s'", n, t->text);
  case TK_NUM: return arena_printf(a, "number '%.*s'", n, t->text);
  case TK_STR: return arena_printf(a, "string \"%.*s\"", n, t->text);
  case TK_OP: return arena_printf(a, "operator '%.*s'", n, t->text);
  case TK_EMBEDDED: return "embedded code";
  case TK_PP_IF: return "'%('";
  case TK_PP_THEN: return "'%?'";
  case TK_PP_ELSE: return "'%:'";
  case TK_PP_END: return "'%)'";
  }
  return "token";
}

/* Operators, longest first so the first prefix match is the longest. */
static const char *const ops[] = {
    ">>>=", "<<<", ">>>", "<<=", ">>=", "==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=",
    "*=",   "/=",  "%=",  "&=",  "|=",  "^=", ".=", "->", "<<", ">>", "=~", "!~", "+",  "-",  "*",
    "/",    "%",   "<",   ">",   "=",   "!",  "~",  "&",  "|",  "^",  ".",  ",",  ";",  ":",  "?",
    "(",    ")",   "[",   "]",   "{",   "}",
};

typedef struct Lexer {
  FeSession *s;
  uint32_t file;
  const char *base; /* start of the text (for offsets) */
  const char *p, *end;
  uint32_t line, col; /* of p */
  SrcLoc fixed;       /* when lexing pasted text: every token gets this loc */
  bool pasted;
} Lexer;

static SrcLoc lx_loc(const Lexer *lx) {
  if (lx->pasted) return lx->fixed;
  return (SrcLoc){lx->file, lx->line, lx->col};
}

static void lx_adv(Lexer *lx, size_t n) {
  while (n-- && lx->p < lx->end) {
    if (*lx->p == '\n') {
      lx->line++;
      lx->col = 1;
    } else {
      lx->col++;
    }
    lx->p++;
  }
}

static bool is_ident_char(int c) { return isalnum(c) || c == '_' || c == '$'; }

/* Skips whitespace and comments; returns true if any was skipped. */
static bool lx_skip_space(Lexer *lx) {
  const char *start = lx->p;
  while (lx->p < lx->end) {
    char c = *lx->p;
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') {
      lx_adv(lx, 1);
    } else if (c == '#' || (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '/')) {
      while (lx->p < lx->end && *lx->p != '\n') lx_adv(lx, 1);
    } else if (c == '/' && lx->p + 1 < lx->end && lx->p[1] == '*') {
      SrcLoc at = lx_loc(lx);
      lx_adv(lx, 2);
      while (lx->p < lx->end && !(*lx->p == '*' && lx->p + 1 < lx->end && lx->p[1] == '/')) lx_adv(lx, 1);
      if (lx->p >= lx->end) {
        diag_error(&lx->s->diag, at, "unterminated comment (opened here)");
        return true;
      }
      lx_adv(lx, 2);
    } else {
      break;
    }
  }
  return lx->p != start;
}

static int hexval(int c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* "..." with C escapes.  tok->text is the raw body, tok->str the bytes. */
/* A NUL byte in a literal or embedded code: reported once per token, as the
 * raw text and the code are kept as C strings (the printer, the C backend). */
static void lx_nul(Lexer *lx, bool *seen, const char *what) {
  if (!*seen) diag_error(&lx->s->diag, lx_loc(lx), "NUL byte in %s", what);
  *seen = true;
}

static void lx_string(Lexer *lx, Token *tok) {
  Arena *a = lx->s->arena;
  lx_adv(lx, 1);
  const char *raw = lx->p;
  StrBuf b = {0};
  bool nul = false;
  while (lx->p < lx->end && *lx->p != '"') {
    char c = *lx->p;
    if (!c) lx_nul(lx, &nul, "a string literal (write \\0 instead)");
    if (c != '\\') {
      sb_putc(&b, c);
      lx_adv(lx, 1);
      continue;
    }
    SrcLoc eloc = lx_loc(lx);
    lx_adv(lx, 1);
    if (lx->p >= lx->end) break;
    c = *lx->p;
    if (!c) lx_nul(lx, &nul, "a string literal (write \\0 instead)");
    lx_adv(lx, 1);
    switch (c) {
    case 'n': sb_putc(&b, '\n'); break;
    case 't': sb_putc(&b, '\t'); break;
    case 'r': sb_putc(&b, '\r'); break;
    case 'a': sb_putc(&b, '\a'); break;
    case 'b': sb_putc(&b, '\b'); break;
    case 'f': sb_putc(&b, '\f'); break;
    case 'v': sb_putc(&b, '\v'); break;
    case '\\': case '"': case '\'': case '?': sb_putc(&b, c); break;
    case '\n': break; /* line continuation */
    case 'x': {
      int v = 0, k = 0;
      while (k < 2 && lx->p < lx->end && hexval(*lx->p) >= 0) {
        v = v * 16 + hexval(*lx->p);
        lx_adv(lx, 1);
        k++;
      }
      if (!k) diag_error(&lx->s->diag, eloc, "\\x used with no following hex digits");
      sb_putc(&b, (char)v);
      break;
    }
    default:
      if (c >= '0' && c <= '7') {
        int v = c - '0', k = 1;
        while (k < 3 && lx->p < lx->end && *lx->p >= '0' && *lx->p <= '7') {
          v = v * 8 + (*lx->p - '0');
          lx_adv(lx, 1);
          k++;
        }
        sb_putc(&b, (char)v);
      } else {
        /* stap passes unknown escapes through to C; keep both bytes */
        sb_putc(&b, '\\');
        sb_putc(&b, c);
      }
    }
  }
  tok->kind = TK_STR;
  tok->text = arena_strndup(a, raw, (size_t)(lx->p - raw));
  tok->len = (size_t)(lx->p - raw);
  tok->str = arena_strndup(a, sb_str(&b), b.len);
  tok->str_len = b.len;
  sb_free(&b);
  if (lx->p >= lx->end) diag_error(&lx->s->diag, tok->loc, "unterminated string literal");
  else lx_adv(lx, 1);
}

/* Decimal, 0x hex or 0 octal; values up to 2^64-1 wrap as stap's do. */
static void lx_number(Lexer *lx, Token *tok) {
  const char *start = lx->p;
  uint64_t v = 0;
  bool overflow = false;
  int base = 10;
  if (*lx->p == '0' && lx->p + 1 < lx->end && (lx->p[1] == 'x' || lx->p[1] == 'X')) {
    base = 16;
    lx_adv(lx, 2);
  } else if (*lx->p == '0') {
    base = 8;
  }
  const char *digits = lx->p;
  while (lx->p < lx->end && is_ident_char((unsigned char)*lx->p)) {
    int d = hexval(*lx->p);
    if (d < 0 || d >= base) break;
    if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base) overflow = true;
    v = v * (uint64_t)base + (uint64_t)d;
    lx_adv(lx, 1);
  }
  bool bad = (base == 16 && lx->p == digits);
  while (lx->p < lx->end && is_ident_char((unsigned char)*lx->p)) {
    bad = true;
    lx_adv(lx, 1);
  }
  tok->kind = TK_NUM;
  tok->text = start;
  tok->len = (size_t)(lx->p - start);
  tok->num = (int64_t)v;
  if (bad)
    diag_error(&lx->s->diag, tok->loc, "malformed number '%.*s'", (int)(tok->len > 40 ? 40 : tok->len), start);
  else if (overflow)
    diag_error(&lx->s->diag, tok->loc, "number '%.*s' is out of range (more than 64 bits)",
               (int)(tok->len > 40 ? 40 : tok->len), start);
}

static void lx_embedded(Lexer *lx, Token *tok) {
  lx_adv(lx, 2);
  const char *code = lx->p;
  bool nul = false;
  while (lx->p < lx->end && !(*lx->p == '%' && lx->p + 1 < lx->end && lx->p[1] == '}')) {
    if (!*lx->p) lx_nul(lx, &nul, "embedded code");
    lx_adv(lx, 1);
  }
  tok->kind = TK_EMBEDDED;
  tok->text = arena_strndup(lx->s->arena, code, (size_t)(lx->p - code));
  tok->len = (size_t)(lx->p - code);
  if (lx->p >= lx->end) diag_error(&lx->s->diag, tok->loc, "unterminated embedded code (%%{ without %%})");
  else lx_adv(lx, 2);
}

static void lx_run(Lexer *lx, TokArray *out) {
  Arena *a = lx->s->arena;
  for (;;) {
    bool space = lx_skip_space(lx);
    Token tok = {0};
    tok.loc = lx_loc(lx);
    tok.space_before = space;
    if (lx->p >= lx->end) {
      tok.kind = TK_EOF;
      tok.text = "";
      tok_push(a, out, &tok);
      return;
    }
    const char *start = lx->p;
    char c = *lx->p;
    char c1 = lx->p + 1 < lx->end ? lx->p[1] : 0;
    if (c == '"') {
      lx_string(lx, &tok);
    } else if (isdigit((unsigned char)c)) {
      lx_number(lx, &tok);
    } else if (isalpha((unsigned char)c) || c == '_') {
      while (lx->p < lx->end && is_ident_char((unsigned char)*lx->p)) lx_adv(lx, 1);
      tok.kind = TK_IDENT;
    } else if (c == '$' || c == '@') {
      lx_adv(lx, 1);
      if (lx->p < lx->end && *lx->p == '#') lx_adv(lx, 1);
      else
        while (lx->p < lx->end && is_ident_char((unsigned char)*lx->p)) lx_adv(lx, 1);
      tok.kind = c == '$' ? TK_TARGET : TK_AT;
      /* a lone '$' is kept: stap writes $x[0]$ and @cast(...)$ with a separate
       * pretty-printing '$' (the parser rejects it anywhere else) */
      if (lx->p - start == 1 && c == '@') {
        diag_error(&lx->s->diag, tok.loc, "'%c' must be followed by a name", c);
        continue;
      }
    } else if (c == '%' && c1 == '{') {
      lx_embedded(lx, &tok);
    } else if (c == '%' && (c1 == '(' || c1 == '?' || c1 == ':' || c1 == ')')) {
      tok.kind = c1 == '(' ? TK_PP_IF : c1 == '?' ? TK_PP_THEN : c1 == ':' ? TK_PP_ELSE : TK_PP_END;
      lx_adv(lx, 2);
    } else {
      size_t left = (size_t)(lx->end - lx->p);
      const char *op = NULL;
      for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++) {
        if (ops[i][0] != c) continue;
        size_t n = strlen(ops[i]);
        if (n <= left && memcmp(lx->p, ops[i], n) == 0) {
          op = ops[i];
          break;
        }
      }
      if (!op) {
        if ((unsigned char)c >= 0x20 && (unsigned char)c < 0x7f)
          diag_error(&lx->s->diag, tok.loc, "unexpected character '%c'", c);
        else
          diag_error(&lx->s->diag, tok.loc, "unexpected byte 0x%02x", (unsigned char)c);
        lx_adv(lx, 1);
        continue;
      }
      tok.kind = TK_OP;
      tok.text = op;
      tok.len = strlen(op);
      lx_adv(lx, tok.len);
      tok_push(a, out, &tok);
      continue;
    }
    if (tok.kind == TK_IDENT || tok.kind == TK_TARGET || tok.kind == TK_AT) {
      tok.text = arena_strndup(a, start, (size_t)(lx->p - start));
      tok.len = (size_t)(lx->p - start);
    } else if (tok.kind == TK_NUM) {
      tok.text = arena_strndup(a, start, tok.len);
    } else if (tok.kind >= TK_PP_IF) {
      tok.text = arena_strndup(a, start, 2);
      tok.len = 2;
    }
    tok_push(a, out, &tok);
  }
}

void lex_file(FeSession *s, uint32_t src, TokArray *out) {
  const SrcFile *f = srcset_get(&s->src, src);
  SUP_ASSERT(f);
  Lexer lx = {.s = s, .file = src, .base = f->text, .p = f->text, .end = f->text + f->len, .line = 1, .col = 1};
  if (out->cap == 0) { /* about one token per 4 bytes of script: avoid regrowing */
    out->cap = (int)(f->len / 4 + 16);
    out->t = arena_realloc(s->arena, NULL, 0, sizeof(Token) * (size_t)out->cap);
  }
  lx_run(&lx, out);
}

void lex_string(FeSession *s, const char *text, size_t len, SrcLoc loc, TokArray *out) {
  Lexer lx = {.s = s, .file = loc.file, .base = text, .p = text, .end = text + len, .line = 1, .col = 1,
              .fixed = loc, .pasted = true};
  lx_run(&lx, out);
}

const char *lex_escape(Arena *a, const char *s, size_t len) {
  StrBuf b = {0};
  for (size_t i = 0; i < len; i++) {
    unsigned char c = (unsigned char)s[i];
    switch (c) {
    case '\n': sb_puts(&b, "\\n"); break;
    case '\t': sb_puts(&b, "\\t"); break;
    case '\r': sb_puts(&b, "\\r"); break;
    case '\\': sb_puts(&b, "\\\\"); break;
    case '"': sb_puts(&b, "\\\""); break;
    default:
      if (c < 0x20 || c >= 0x7f) sb_printf(&b, "\\%03o", c);
      else sb_putc(&b, (char)c);
    }
  }
  const char *r = arena_strndup(a, sb_str(&b), b.len);
  sb_free(&b);
  return r;
}

/* builtins-str.c: the string builtins of tapsets/string.stp: strlen,
 * substr, stringat, strpos, str_replace, tokenize, text_str, text_strn,
 * string_quoted, strtol, toupper, tolower.
 *
 * Each reproduces SystemTap's tapset C (tapset/string.stp, tokenize.stp,
 * runtime/stp_string.c _stp_text_str, the kernel's simple_strtol) on
 * strings of at most MAXSTRINGLEN-1 bytes; every result is a string value
 * cut to MAXSTRINGLEN-1 bytes in c->ret.  Arguments are never modified.
 */
#include "builtins.h"
#include "rt-int.h"

#include <ctype.h>

static size_t max_len(void) { return (size_t)rt_limits()->maxstringlen; }

/* strlcpy into c->ret: at most MAXSTRINGLEN-1 bytes of s. */
static const char *ret_copy(RtCtx *c, const char *s, size_t n) {
  size_t max = max_len() - 1;
  if (n > max) n = max;
  memcpy(c->ret, s, n);
  c->ret[n] = '\0';
  return c->ret;
}

int64_t rt_bi_strlen(RtCtx *c, const char *s) { return (int64_t)strlen(s); }

/* length + 1 clamped to [0, MAXSTRINGLEN] is the strlcpy size, so at most
 * length bytes from start; a start outside the string gives "". */
const char *rt_bi_substr(RtCtx *c, const char *s, int64_t start, int64_t length) {
  int64_t size = rt_wadd(length, 1);
  if (size < 0) size = 0;
  if (size > (int64_t)max_len()) size = (int64_t)max_len();
  c->ret[0] = '\0';
  size_t n = strlen(s);
  if (start < 0 || (uint64_t)start >= n || size == 0) return c->ret;
  size_t want = (size_t)size - 1, have = n - (size_t)start;
  return ret_copy(c, s + start, want < have ? want : have);
}

int64_t rt_bi_stringat(RtCtx *c, const char *s, int64_t pos) {
  if (pos >= 0 && (uint64_t)pos < strlen(s)) return (int64_t)(signed char)s[pos];
  rt_ctx_error(c, "Position out of bounds");
  return 0;
}

int64_t rt_bi_strpos(RtCtx *c, const char *s1, const char *s2) {
  const char *p = strstr(s1, s2);
  return p ? (int64_t)(p - s1) : -1;
}

const char *rt_bi_str_replace(RtCtx *c, const char *str, const char *from, const char *to) {
  size_t nfrom = strlen(from), max = max_len() - 1, n = 0;
  if (nfrom == 0) return ret_copy(c, str, strlen(str));
  const char *p = str, *hit;
  while ((hit = strstr(p, from)) != NULL) {
    size_t a = (size_t)(hit - p), b = strlen(to);
    if (a > max - n) a = max - n;
    memcpy(c->ret + n, p, a), n += a;
    if (b > max - n) b = max - n;
    memcpy(c->ret + n, to, b), n += b;
    p = hit + nfrom;
  }
  size_t rest = strlen(p);
  if (rest > max - n) rest = max - n;
  memcpy(c->ret + n, p, rest), n += rest;
  c->ret[n] = '\0';
  return c->ret;
}

/* tokenize.stp: a non-empty input replaces the saved one; then strsep until
 * a non-empty token.  "" when the input is used up. */
const char *rt_bi_tokenize(RtCtx *c, const char *input, const char *delim) {
  if (input[0]) {
    size_t n = strnlen(input, max_len() - 1);
    memcpy(c->tok_str, input, n);
    c->tok_str[n] = '\0';
    c->tok_start = c->tok_str;
    c->tok_end = c->tok_str + n;
  }
  char *tok;
  do tok = strsep(&c->tok_start, delim);
  while (tok && !tok[0]);
  c->ret[0] = '\0';
  if (!tok) return c->ret;
  return ret_copy(c, tok, strlen(tok));
}

const char *rt_bi_tokenize_next(RtCtx *c, const char *delim) { return rt_bi_tokenize(c, "", delim); }

/* ---- _stp_text_str ------------------------------------------------------------------ */

/* One character of UTF-8 at in (size bytes left): the code point and its
 * length, or the single byte verbatim when it is not well-formed UTF-8. */
static int decode_utf8(const char *in, int size, int *cp) {
  unsigned char b = (unsigned char)in[0];
  int n, c;
  if ((b & 0xE0) == 0xC0 && size >= 2)
    n = 2, c = b & 0x1F;
  else if ((b & 0xF0) == 0xE0 && size >= 3)
    n = 3, c = b & 0xF;
  else if ((b & 0xF8) == 0xF0 && size >= 4)
    n = 4, c = b & 0x7;
  else
    goto verbatim;
  for (int i = 1; i < n; i++) {
    unsigned char b2 = (unsigned char)in[i];
    if ((b2 & 0xC0) != 0x80) goto verbatim;
    c = (c << 6) | (b2 & 0x3F);
  }
  if ((c >= 0xD800 && c <= 0xDFFF) || c > 0x10FFFF) goto verbatim;
  if (c < 0x80 || (n == 3 && c < 0x800) || (n == 4 && c < 0x10000)) goto verbatim;
  *cp = c;
  return n;
verbatim:
  *cp = b;
  return 1;
}

static char hex_digit(int v) { return "0123456789abcdef"[v & 15]; }

/* The escape of one character into e (without NUL); returns its length. */
static int escape(int c, int n, char *e) {
  if (n > 1) {
    int num = c <= 0xFFFF ? 6 : 10, k = 0;
    e[k++] = '\\';
    e[k++] = c <= 0xFFFF ? 'u' : 'U';
    for (int i = num - 3; i >= 0; --i) e[k++] = hex_digit(c >> (i * 4));
    return num;
  }
  if (c < 0x80 && c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
    e[0] = (char)c;
    return 1;
  }
  static const char shorts[] = "\a"
                               "a"
                               "\b"
                               "b"
                               "\f"
                               "f"
                               "\n"
                               "n"
                               "\r"
                               "r"
                               "\t"
                               "t"
                               "\v"
                               "v"
                               "\"\"\\\\";
  for (const char *s = shorts; *s; s += 2)
    if (c == (unsigned char)*s) {
      e[0] = '\\', e[1] = s[1];
      return 2;
    }
  e[0] = '\\';
  e[1] = (char)('0' + ((c >> 6) & 3));
  e[2] = (char)('0' + ((c >> 3) & 7));
  e[3] = (char)('0' + (c & 7));
  return 4;
}

/* runtime/stp_string.c _stp_text_str: printable text with C escapes, at most
 * outlen characters (0 = MAXSTRINGLEN-1); quoted puts double quotes around it
 * and, when the input did not fit, '...' after the closing quote, never
 * cutting an escape in half. */
static const char *text_str(RtCtx *c, const char *in, int inlen, int outlen, bool quoted) {
  int max = (int)max_len() - 1, cp = 0;
  char *out = c->ret, *esc = NULL;
  int esc_len = 0;
  if (inlen <= 0 || inlen > max) inlen = max;
  if (outlen <= 0 || outlen > max) outlen = max;
  if (quoted) {
    outlen = (outlen > 5 ? outlen : 5) - 2;
    *out++ = '"';
  }
  while (inlen > 0) {
    int n = decode_utf8(in, inlen, &cp);
    if (cp == 0 || outlen <= 0) break;
    in += n;
    inlen -= n;
    char e[12];
    int num = escape(cp, n, e);
    if (num > 1 && !esc && outlen - 3 < num) esc = out, esc_len = num;
    if (outlen < num) break;
    memcpy(out, e, (size_t)num);
    out += num;
    outlen -= num;
  }
  if (quoted) {
    if (cp && inlen > 0) {
      char *cut = out - 3 + outlen;
      out = esc && esc < cut && cut < esc + esc_len ? esc : cut;
      memcpy(out, "\"...", 4);
      out += 4;
    } else {
      *out++ = '"';
    }
  }
  *out = '\0';
  return c->ret;
}

const char *rt_bi_text_str(RtCtx *c, const char *s) { return text_str(c, s, 0, 0, false); }

const char *rt_bi_text_strn(RtCtx *c, const char *s, int64_t len, int64_t quoted) {
  int64_t n = len < 0 ? 0 : len > (int64_t)max_len() ? (int64_t)max_len() : len;
  return text_str(c, s, 0, (int)n, quoted != 0);
}

const char *rt_bi_string_quoted(RtCtx *c, const char *s) {
  return text_str(c, s, (int)max_len(), (int)max_len(), true);
}

/* ---- numbers and case ------------------------------------------------------------------ */

/* The kernel's simple_strtoull: base 0 picks 16 ("0x" and a hex digit), 8
 * (leading 0) or 10; base 16 skips a "0x"; digits until the first one that
 * is not one of the base; wraps on overflow; no sign, no blanks. */
static uint64_t k_strtoull(const char *s, unsigned base) {
  if (base == 0) {
    if (s[0] == '0')
      base = ((s[1] | 0x20) == 'x' && isxdigit((unsigned char)s[2])) ? 16 : 8;
    else
      base = 10;
  }
  if (base == 16 && s[0] == '0' && (s[1] | 0x20) == 'x') s += 2;
  uint64_t v = 0;
  for (;; s++) {
    unsigned ch = (unsigned char)*s, d;
    if (ch >= '0' && ch <= '9')
      d = ch - '0';
    else if ((ch | 0x20) >= 'a' && (ch | 0x20) <= 'f')
      d = (ch | 0x20) - 'a' + 10;
    else
      break;
    if (d >= base) break;
    v = v * base + d;
  }
  return v;
}

/* string.stp: simple_strtol(str, NULL, base), base passed as unsigned int. */
int64_t rt_bi_strtol(RtCtx *c, const char *s, int64_t base) {
  if (s[0] == '-') return (int64_t)(0 - k_strtoull(s + 1, (unsigned)base));
  return (int64_t)k_strtoull(s, (unsigned)base);
}

static const char *map_case(RtCtx *c, const char *s, int (*fn)(int)) {
  size_t n = strnlen(s, max_len() - 1);
  for (size_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)s[i];
    c->ret[i] = ch < 0x80 ? (char)fn(ch) : (char)ch; /* ASCII only, as the kernel's */
  }
  c->ret[n] = '\0';
  return c->ret;
}

const char *rt_bi_toupper(RtCtx *c, const char *s) { return map_case(c, s, toupper); }
const char *rt_bi_tolower(RtCtx *c, const char *s) { return map_case(c, s, tolower); }

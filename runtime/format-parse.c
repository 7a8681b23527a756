/* format-parse.c: compiles a printf format string, once, at compile time.
 *
 * The rules are stap's (staptree.cxx, print_format::string_to_components;
 * stap 4.8's pass 1 accepts and rejects formats accordingly), which are
 * narrower than C's and the langref's table:
 *   - "%%" prints '%'; a '%' that ends the string is "invalid or missing
 *     conversion specifier";
 *   - at most ONE flag character ("%-5d", "%05d", but "%-05d" means flag '-'
 *     and width 05, and "%0-5d" is an error);
 *   - a width of digits or '*', then '.' and a precision of digits or '*'
 *     ("%.d": a '.' with neither leaves the precision unspecified);
 *   - one optional 'l' ("%ld"; "%lld" is an error);
 *   - a conversion among b c s m M d i o u p x X; anything else is "invalid
 *     or missing conversion specifier";
 *   - a conversion cut off by the end of the string is "trailing incomplete
 *     print format conversion", unless nothing of it was recorded ("%." and
 *     "%l" at the very end vanish, as in stap).
 * The result is one malloc block: pieces (literals and conversions), the
 * conversions, the argument kinds and the literal bytes.  Formatting is in
 * format.c.
 */
#include "rt-int.h"

#include <limits.h>

typedef struct RtFmtPiece {
  uint32_t lit_off; /* literal: bytes in lits */
  uint32_t lit_len;
  int conv; /* index into convs, or -1 for a literal */
} RtFmtPiece;

struct RtFormat {
  int npieces;
  int nconv;
  int nargs;
  RtFmtPiece *pieces;
  RtFmtConv *convs;
  RtArgKind *argk; /* nargs entries */
  char *lits;
};

/* Parse state; the arrays are sized for the worst case (every byte a piece). */
typedef struct Parse {
  RtFormat *f;
  size_t litlen;   /* bytes in f->lits */
  size_t litstart; /* start of the literal being accumulated */
} Parse;

static void flush_literal(Parse *p) {
  if (p->litlen == p->litstart) return;
  RtFmtPiece *pc = &p->f->pieces[p->f->npieces++];
  pc->lit_off = (uint32_t)p->litstart;
  pc->lit_len = (uint32_t)(p->litlen - p->litstart);
  pc->conv = -1;
  p->litstart = p->litlen;
}

static int flag_of(char c) {
  switch (c) {
  case '0': return RT_FMT_ZEROPAD;
  case '+': return RT_FMT_PLUS;
  case '-': return RT_FMT_LEFT;
  case ' ': return RT_FMT_SPACE;
  case '#': return RT_FMT_SPECIAL;
  default: return 0;
  }
}

/* digits -> int, saturating (stap's unsigned accumulator would wrap). */
static int parse_num(const char *s, size_t len, size_t *i) {
  int64_t v = 0;
  while (*i < len && s[*i] >= '0' && s[*i] <= '9') {
    v = v * 10 + (s[*i] - '0');
    if (v > INT_MAX) v = INT_MAX;
    (*i)++;
  }
  return (int)v;
}

static bool is_conv(char c) { return c && strchr("bcsmMdioupxX", c) != NULL; }

static void add_conv(Parse *p, RtFmtConv *c) {
  RtFormat *f = p->f;
  if (c->width_star) f->argk[f->nargs++] = RT_ARG_LONG;
  if (c->prec_star) f->argk[f->nargs++] = RT_ARG_LONG;
  c->arg_kind = c->conv == 's' ? RT_ARG_STR : RT_ARG_LONG;
  c->arg_index = f->nargs;
  f->argk[f->nargs++] = c->arg_kind;
  f->convs[f->nconv] = *c;
  RtFmtPiece *pc = &f->pieces[f->npieces++];
  pc->lit_off = pc->lit_len = 0;
  pc->conv = f->nconv++;
}

/* Parses the conversion after a '%' at s[*i]; returns 0, 1 if the string ended
 * before anything was recorded (dropped), or -EINVAL with the message. */
static int parse_conv(Parse *p, const char *s, size_t len, size_t *i, char *errbuf, size_t errlen) {
  RtFmtConv c = {.width = -1, .prec = -1};
  bool recorded = false;
  int fl = flag_of(s[*i]);
  if (fl) {
    c.flags = (uint8_t)fl;
    recorded = true;
    (*i)++;
  }
  if (*i < len && s[*i] == '*') {
    c.width_star = true;
    recorded = true;
    (*i)++;
  } else if (*i < len && s[*i] >= '0' && s[*i] <= '9') {
    c.width = parse_num(s, len, i);
    recorded = true;
  }
  if (*i < len && s[*i] == '.') {
    (*i)++;
    if (*i < len && s[*i] == '*') {
      c.prec_star = true;
      recorded = true;
      (*i)++;
    } else if (*i < len && s[*i] >= '0' && s[*i] <= '9') {
      c.prec = parse_num(s, len, i);
      recorded = true;
    }
  }
  if (*i < len && s[*i] == 'l') (*i)++;
  if (*i >= len) {
    if (!recorded) return 1;
    snprintf(errbuf, errlen, "trailing incomplete print format conversion");
    return -EINVAL;
  }
  if (!is_conv(s[*i])) {
    snprintf(errbuf, errlen, "invalid or missing conversion specifier");
    return -EINVAL;
  }
  c.conv = s[(*i)++];
  add_conv(p, &c);
  return 0;
}

int rt_format_parse(const char *fmt, size_t len, RtFormat **out, char *errbuf, size_t errlen) {
  char dummy[1];
  if (!errbuf || !errlen) errbuf = dummy, errlen = sizeof dummy;
  errbuf[0] = '\0';
  *out = NULL;
  if (len > INT_MAX / 4) return -EINVAL;
  size_t n = len + 1; /* pieces, conversions and arguments are each at most one per byte */
  size_t sz = sizeof(RtFormat) + n * sizeof(RtFmtPiece) + n * sizeof(RtFmtConv) + 3 * n * sizeof(RtArgKind);
  sz += n; /* literal bytes */
  RtFormat *f = calloc(1, sz);
  if (!f) return -ENOMEM;
  char *mem = (char *)(f + 1);
  f->pieces = (RtFmtPiece *)mem;
  f->convs = (RtFmtConv *)(f->pieces + n);
  f->argk = (RtArgKind *)(f->convs + n);
  f->lits = (char *)(f->argk + 3 * n);
  Parse p = {f, 0, 0};
  size_t i = 0;
  while (i < len) {
    if (fmt[i] != '%') {
      f->lits[p.litlen++] = fmt[i++];
      continue;
    }
    if (i + 1 == len) {
      free(f);
      snprintf(errbuf, errlen, "invalid or missing conversion specifier");
      return -EINVAL;
    }
    if (fmt[i + 1] == '%') {
      f->lits[p.litlen++] = '%';
      i += 2;
      continue;
    }
    flush_literal(&p);
    i++;
    int rc = parse_conv(&p, fmt, len, &i, errbuf, errlen);
    if (rc < 0) {
      free(f);
      return rc;
    }
  }
  flush_literal(&p);
  *out = f;
  return 0;
}

void rt_format_free(RtFormat *f) { free(f); }

int rt_format_nconv(const RtFormat *f) { return f->nconv; }

const RtFmtConv *rt_format_conv(const RtFormat *f, int i) {
  RT_ASSERT(i >= 0 && i < f->nconv);
  return &f->convs[i];
}

int rt_format_nargs(const RtFormat *f) { return f->nargs; }

RtArgKind rt_format_arg_kind(const RtFormat *f, int i) {
  RT_ASSERT(i >= 0 && i < f->nargs);
  return f->argk[i];
}

int64_t rt_format_mem_len(int64_t prec) { return prec > 0 ? prec : 1; }

/* ---- for format.c ---------------------------------------------------------------- */

int rt_format_npieces(const RtFormat *f) { return f->npieces; }

const RtFmtConv *rt_format_piece(const RtFormat *f, int i, const char **lit, size_t *litlen) {
  const RtFmtPiece *pc = &f->pieces[i];
  if (pc->conv >= 0) return &f->convs[pc->conv];
  *lit = f->lits + pc->lit_off;
  *litlen = pc->lit_len;
  return NULL;
}

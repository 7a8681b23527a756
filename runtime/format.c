/* format.c: the printf engine, stap's output byte for byte.
 *
 * stap compiles each printf into C that calls its runtime's number(),
 * _stp_vsprint_char(), _stp_vsprint_memory() and _stp_vsprint_binary()
 * (runtime/vsprintf.c, a descendant of the kernel's vsprintf).  Their
 * behaviour, not glibc's, is what scripts see; where it differs from C:
 *   - "%#x" and "%#o" always add the prefix, also for 0 ("0x0", "00");
 *   - "%p" is "%#x" of the 64-bit value (vsprintf.c: "Since stap 1.3, %p ==
 *     %#x"; the older form, padded to 16 digits, is what the langref's
 *     table still shows);
 *   - a precision does not cancel the '0' flag, and ".0" still prints "0";
 *   - a '*' width or precision is the argument cut to int, then clamped to
 *     0..room: a negative '*' width does not left-justify;
 *   - every width and precision is clamped to the room left in the output
 *     buffer (STP_BUFFER_SIZE for print, MAXSTRINGLEN for sprintf), and
 *     bytes past the end are dropped;
 *   - "%0s", "%0m" and "%0M" append a NUL byte after the field;
 *   - "%#c" escapes: \a \b \f \n \r \t \v \' \\ and \ooo for the rest of the
 *     non-printable or non-ASCII bytes ('"' is not escaped);
 *   - "%b" writes 1, 2, 4 or 8 bytes in native order (the width, else 8),
 *     padded with NUL bytes to the width.
 * The engine allocates nothing when the output buffer has room: it reserves
 * the cap once and writes through an index.
 */
#include "rt-int.h"

enum { F_SIGN = 32, F_LARGE = 64 }; /* internal number() flags, beside RT_FMT_* */

/* The output window: bytes [0, cap) of base are writable, pos counts bytes
 * produced (stap's str - start; past cap they are dropped). */
typedef struct Out {
  char *base;
  int64_t pos;
  int64_t cap;
} Out;

static inline void put(Out *o, char c) {
  if (o->pos < o->cap) o->base[o->pos] = c;
  o->pos++;
}
static inline bool has_room(const Out *o) { return o->pos < o->cap; } /* stap: str <= end */
static inline int64_t room(const Out *o) { return o->cap - o->pos; }  /* stap: end - str + 1 */

/* stap's clamp_t(int, v, 0, room): v is cut to int first. */
static int64_t clamp_field(int64_t v, int64_t hi) {
  int32_t w = (int32_t)(uint32_t)(uint64_t)v;
  int64_t r = w < 0 ? 0 : w;
  return r > hi ? hi : r;
}

static void put_number(Out *o, uint64_t num, int base, int64_t size, int64_t prec, int flags) {
  static const char lower[] = "0123456789abcdefx", upper[] = "0123456789ABCDEFX";
  const char *digits = (flags & F_LARGE) ? upper : lower;
  char tmp[66], sign = 0;
  if (flags & RT_FMT_LEFT) flags &= ~RT_FMT_ZEROPAD;
  char pad = (flags & RT_FMT_ZEROPAD) ? '0' : ' ';
  if (flags & F_SIGN) {
    if ((int64_t)num < 0) {
      sign = '-';
      num = -num;
      size--;
    } else if (flags & RT_FMT_PLUS) {
      sign = '+';
      size--;
    } else if (flags & RT_FMT_SPACE) {
      sign = ' ';
      size--;
    }
  }
  if (flags & RT_FMT_SPECIAL) size -= base == 16 ? 2 : base == 8 ? 1 : 0;
  int i = 0;
  do tmp[i++] = digits[num % (unsigned)base];
  while ((num /= (unsigned)base) != 0);
  if (i > prec) prec = i;
  size -= prec;
  if (!(flags & (RT_FMT_ZEROPAD | RT_FMT_LEFT)))
    while (size-- > 0) put(o, ' ');
  if (sign) put(o, sign);
  if ((flags & RT_FMT_SPECIAL) && (base == 8 || base == 16)) {
    put(o, '0');
    if (base == 16) put(o, digits[16]);
  }
  if (!(flags & RT_FMT_LEFT))
    while (size-- > 0) put(o, pad);
  while (i < prec--) put(o, '0');
  while (i-- > 0) put(o, tmp[i]);
  while (size-- > 0) put(o, ' ');
}

/* The escape of a byte under "%#c", or 0 if it prints as itself. */
static char char_escape(unsigned char c, int *size) {
  static const char from[] = "\a\b\f\n\r\t\v'\\", to[] = "abfnrtv'\\";
  *size = 1;
  if (c >= 0x20 && c < 0x7f && c != '\'' && c != '\\') return 0;
  const char *p = c ? memchr(from, c, sizeof from - 1) : NULL;
  *size = p ? 2 : 4;
  return p ? to[p - from] : 'o';
}

static void put_char(Out *o, unsigned char c, int64_t width, int flags) {
  int size = 1;
  char esc = (flags & RT_FMT_SPECIAL) ? char_escape(c, &size) : 0;
  if (!(flags & RT_FMT_LEFT))
    while (width-- > size) put(o, ' ');
  if (!esc) {
    put(o, (char)c);
  } else {
    put(o, '\\');
    if (esc != 'o') {
      put(o, esc);
    } else {
      put(o, (char)('0' + ((c >> 6) & 3)));
      put(o, (char)('0' + ((c >> 3) & 7)));
      put(o, (char)('0' + (c & 7)));
    }
  }
  while (width-- > size) put(o, ' ');
}

/* %s, %m and %M (_stp_vsprint_memory): len bytes of p, padded to width. */
static void put_memory(Out *o, const char *p, size_t avail, int64_t width, int64_t prec, char conv,
                       int flags) {
  static const char hex[] = "0123456789abcdef";
  int64_t len;
  if (conv == 's') {
    size_t max = (size_t)rt_limits()->bufsize;
    size_t lim = prec < 0 ? max : (size_t)prec < max ? (size_t)prec : max;
    if (!p) p = "<NULL>", avail = 6;
    len = (int64_t)strnlen(p, lim < avail ? lim : avail);
  } else {
    len = prec > 0 ? prec : 1;
    if ((size_t)len > avail) len = (int64_t)avail; /* rt_format checked; defensive */
  }
  if (!(flags & RT_FMT_LEFT)) {
    int64_t actlen = conv == 'M' ? len * 2 : len;
    while (actlen < width-- && has_room(o)) put(o, ' ');
  }
  if (conv == 'M') {
    for (int64_t i = 0; i < len && o->pos < o->cap - 1; i++) {
      unsigned char c = (unsigned char)p[i];
      put(o, hex[c >> 4]);
      put(o, hex[c & 15]);
    }
    len *= 2;
  } else {
    for (int64_t i = 0; i < len && has_room(o); i++) put(o, p[i]);
  }
  while (len < width-- && has_room(o)) put(o, ' ');
  if ((flags & RT_FMT_ZEROPAD) && has_room(o)) put(o, '\0');
}

static int64_t binary_prec(int64_t p) { return p == 1 || p == 2 || p == 4 || p == 8 ? p : -1; }

/* %b (_stp_vsprint_binary): precision bytes of num in native order. */
static void put_binary(Out *o, int64_t num, int64_t width, int64_t prec, int flags) {
  prec = binary_prec(prec);
  if (width == -1) {
    width = prec == -1 ? 8 : prec;
    if (prec == -1) prec = 8;
  } else if (prec == -1) {
    prec = binary_prec(width);
    if (prec == -1) prec = 8;
  }
  if (!(flags & RT_FMT_LEFT))
    while (prec < width-- && has_room(o)) put(o, '\0');
  if (o->pos + prec - 1 < o->cap) {
    union {
      int8_t b1;
      int16_t b2;
      int32_t b4;
      int64_t b8;
      char c[8];
    } u;
    switch (prec) {
    case 1: u.b1 = (int8_t)num; break;
    case 2: u.b2 = (int16_t)num; break;
    case 4: u.b4 = (int32_t)num; break;
    default: u.b8 = num; break;
    }
    for (int64_t i = 0; i < prec; i++) put(o, u.c[i]);
  }
  while (prec >= 0 && width >= 0 && prec < width-- && has_room(o)) put(o, '\0');
}

static void put_conv(Out *o, const RtFmtConv *c, const RtArg *args) {
  int a = c->arg_index - c->width_star - c->prec_star;
  int64_t width = -1, prec = -1;
  if (c->width_star)
    width = clamp_field(args[a++].l, room(o));
  else if (c->width >= 0)
    width = clamp_field(c->width, room(o));
  if (c->prec_star)
    prec = clamp_field(args[a++].l, room(o));
  else if (c->prec >= 0)
    prec = clamp_field(c->prec, room(o));
  const RtArg *v = &args[a];
  int flags = c->flags;
  switch (c->conv) {
  case 'd':
  case 'i': put_number(o, (uint64_t)v->l, 10, width, prec, flags | F_SIGN); break;
  case 'u': put_number(o, (uint64_t)v->l, 10, width, prec, flags); break;
  case 'o': put_number(o, (uint64_t)v->l, 8, width, prec, flags); break;
  case 'x': put_number(o, (uint64_t)v->l, 16, width, prec, flags); break;
  case 'X': put_number(o, (uint64_t)v->l, 16, width, prec, flags | F_LARGE); break;
  case 'p': put_number(o, (uint64_t)v->l, 16, width, prec, flags | RT_FMT_SPECIAL); break;
  case 'c': put_char(o, (unsigned char)v->l, width, flags); break;
  case 'b': put_binary(o, v->l, width, prec, flags); break;
  case 's':
  case 'm':
  case 'M': put_memory(o, v->s, v->len, width, prec, c->conv, flags); break;
  default: RT_ASSERT(!"unknown conversion");
  }
}

/* Checks every argument before anything is written, so an error leaves no
 * partial output; also stap's limit on memory dumps: the C stap 4.8 generates
 * for %m/%M stops with "N is too many bytes for a memory dump" when the
 * precision N is over PAGE_SIZE (RT_MEMDUMP_MAX). */
static int check_args(const RtFormat *f, const RtArg *args, int nargs, RtErr *err) {
  if (nargs < rt_format_nargs(f))
    return rt_err_set(err, "printf: %d arguments given, format needs %d", nargs, rt_format_nargs(f));
  for (int i = 0; i < rt_format_nconv(f); i++) {
    const RtFmtConv *c = rt_format_conv(f, i);
    int a = c->arg_index - c->width_star - c->prec_star;
    for (; a < c->arg_index; a++)
      if (args[a].kind != RT_ARG_LONG) return rt_err_set(err, "printf: argument %d should be a long", a + 1);
    const RtArg *v = &args[c->arg_index];
    if (c->conv == 'm' || c->conv == 'M') {
      int64_t n = c->prec_star ? args[c->arg_index - 1].l : c->prec > 0 ? c->prec : 1;
      if (n > RT_MEMDUMP_MAX)
        return rt_err_set(err, "%lld is too many bytes for a memory dump", (long long)n);
      if (v->kind != RT_ARG_STR)
        return rt_err_set(err, "printf: %%%c needs the bytes of the memory, not the address", c->conv);
      if ((int64_t)v->len < rt_format_mem_len(n))
        return rt_err_set(err, "printf: %%%c needs %lld bytes, %zu given", c->conv,
                          (long long)rt_format_mem_len(n), v->len);
    } else if (v->kind != c->arg_kind) {
      return rt_err_set(err, "printf: argument %d should be a %s", c->arg_index + 1,
                        c->arg_kind == RT_ARG_STR ? "string" : "long");
    }
  }
  return 0;
}

/* Formats into out with a window of cap bytes; returns the bytes produced
 * (possibly more than cap, of which cap were kept). */
static int format_window(RtBuf *out, const RtFormat *f, const RtArg *args, int64_t cap, int64_t *produced) {
  if (rt_buf_reserve(out, (size_t)cap)) return -ENOMEM;
  Out o = {out->data + out->len, 0, cap};
  int n = rt_format_npieces(f);
  for (int i = 0; i < n; i++) {
    const char *lit;
    size_t litlen;
    const RtFmtConv *c = rt_format_piece(f, i, &lit, &litlen);
    if (c) {
      put_conv(&o, c, args);
    } else {
      int64_t k = room(&o) < (int64_t)litlen ? room(&o) : (int64_t)litlen;
      if (k > 0) memcpy(o.base + o.pos, lit, (size_t)k);
      o.pos += (int64_t)litlen;
    }
  }
  *produced = o.pos;
  return 0;
}

int rt_format(RtBuf *out, const RtFormat *fmt, const RtArg *args, int nargs, RtErr *err) {
  int rc = check_args(fmt, args, nargs, err);
  if (rc) return rc;
  int64_t cap = rt_limits()->bufsize, n;
  if ((rc = format_window(out, fmt, args, cap, &n))) return rc;
  out->len += (size_t)(n < cap ? n : cap);
  out->data[out->len] = '\0';
  return 0;
}

int rt_format_str(RtBuf *out, const RtFormat *fmt, const RtArg *args, int nargs, RtErr *err) {
  int rc = check_args(fmt, args, nargs, err);
  if (rc) return rc;
  int64_t cap = rt_limits()->maxstringlen, n;
  size_t start = out->len;
  if ((rc = format_window(out, fmt, args, cap, &n))) return rc;
  out->len += (size_t)(n < cap ? n : cap - 1); /* stap: *str = 0, or *end = 0 when full */
  out->data[out->len] = '\0';
  rt_buf_to_str(out, start);
  return 0;
}

int rt_format_value(RtBuf *out, const RtArg *v) {
  if (v->kind == RT_ARG_LONG) return rt_buf_put_long(out, v->l);
  size_t n = v->s ? strnlen(v->s, v->len) : 0;
  return rt_buf_append(out, v->s, n);
}

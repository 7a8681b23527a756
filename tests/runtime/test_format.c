/* test_format.c: the printf engine against stap's documented output.
 *
 * Expected strings come from the langref (section 9.2 examples), stap(1)'s
 * PRINTING examples, the code stap 4.8 runs for printf (the C it generates,
 * which calls number(), _stp_vsprint_char(), _stp_vsprint_memory() and
 * _stp_vsprint_binary() of its runtime/vsprintf.c) and, where that code and
 * C agree, C's printf.  Where stap's runtime differs from C the case says so.
 */
#include "../unit/check.h"
#include "runtime.h"

#include <errno.h>
#include <stdint.h>

static RtBuf out = RT_BUF_INIT;
static RtErr err;

#define L(x) rt_arg_long((int64_t)(x))
#define S(x) rt_arg_str((x), strlen(x))
#define ARGS(...) (RtArg[]){__VA_ARGS__}, (int)(sizeof((RtArg[]){__VA_ARGS__}) / sizeof(RtArg))

/* Formats f as print does (str = false) or sprintf does; returns the output
 * (NULL on error, with the message in err). */
static const char *run(bool str, const char *f, const RtArg *a, int n) {
  RtFormat *fmt;
  char msg[128];
  rt_buf_truncate(&out, 0);
  rt_err_clear(&err);
  if (rt_format_parse(f, strlen(f), &fmt, msg, sizeof msg)) {
    fprintf(stderr, "parse failed: %s: %s\n", f, msg);
    return NULL;
  }
  int rc = str ? rt_format_str(&out, fmt, a, n, &err) : rt_format(&out, fmt, a, n, &err);
  rt_format_free(fmt);
  return rc ? NULL : rt_buf_cstr(&out);
}

#define P(f, ...) run(false, f, ARGS(__VA_ARGS__))
#define P0(f) run(false, f, NULL, 0)
#define SP(f, ...) run(true, f, ARGS(__VA_ARGS__))

/* The parse error message of f, or "" if it parses. */
static const char *parse_error(const char *f) {
  static char msg[128];
  RtFormat *fmt;
  if (rt_format_parse(f, strlen(f), &fmt, msg, sizeof msg) == 0) {
    rt_format_free(fmt);
    return "";
  }
  return msg;
}

/* Without a precision, number() prints what C's %lld, %llu, %llx, %llX and
 * %llo print for these values (a nonzero value under '#' included). */
static void test_integers(void) {
  check_context = "integers";
#define V L(3), L(42), L(123456789012345), L(-2), L(-4096)
  CHECK_STR(P("%d,%d,%d,%d,%d", V), "3,42,123456789012345,-2,-4096");
  CHECK_STR(P("%3d,%3d,%3d,%3d,%3d", V), "  3, 42,123456789012345, -2,-4096");
  CHECK_STR(P("%16d,%16d,%16d,%16d,%16d", V),
            "               3,              42, 123456789012345,              -2,           -4096");
  CHECK_STR(P("%016d,%016d,%016d,%016d,%016d", V),
            "0000000000000003,0000000000000042,0123456789012345,-000000000000002,-000000000004096");
  CHECK_STR(P("%u,%u,%u,%u,%u", V), "3,42,123456789012345,18446744073709551614,18446744073709547520");
  CHECK_STR(P("%016u,%016u,%016u,%016u,%016u", V),
            "0000000000000003,0000000000000042,0123456789012345,18446744073709551614,18446744073709547520");
  CHECK_STR(P("%x,%x,%x,%x,%x", V), "3,2a,7048860ddf79,fffffffffffffffe,fffffffffffff000");
  CHECK_STR(P("%3x,%3x,%3x,%3x,%3x", V), "  3, 2a,7048860ddf79,fffffffffffffffe,fffffffffffff000");
  CHECK_STR(P("%16x,%16x,%16x,%16x,%16x", V),
            "               3,              2a,    7048860ddf79,fffffffffffffffe,fffffffffffff000");
  CHECK_STR(P("%016x,%016x,%016x,%016x,%016x", V),
            "0000000000000003,000000000000002a,00007048860ddf79,fffffffffffffffe,fffffffffffff000");
  CHECK_STR(P("%16X,%16X,%16X,%16X,%16X", V),
            "               3,              2A,    7048860DDF79,FFFFFFFFFFFFFFFE,FFFFFFFFFFFFF000");
  CHECK_STR(P("%016X,%016X,%016X,%016X,%016X", V),
            "0000000000000003,000000000000002A,00007048860DDF79,FFFFFFFFFFFFFFFE,FFFFFFFFFFFFF000");
  CHECK_STR(P("%#x,%#x,%#x,%#x,%#x", V), "0x3,0x2a,0x7048860ddf79,0xfffffffffffffffe,0xfffffffffffff000");
  CHECK_STR(P("%o,%o,%o,%o,%o", V), "3,52,3404420603357571,1777777777777777777776,1777777777777777770000");
  CHECK_STR(
      P("%16o,%16o,%16o,%16o,%16o", V),
      "               3,              52,3404420603357571,1777777777777777777776,1777777777777777770000");
  CHECK_STR(
      P("%016o,%016o,%016o,%016o,%016o", V),
      "0000000000000003,0000000000000052,3404420603357571,1777777777777777777776,1777777777777777770000");
  CHECK_STR(P("%#o,%#o,%#o,%#o,%#o", V),
            "03,052,03404420603357571,01777777777777777777776,01777777777777777770000");
#undef V
  CHECK_STR(P("%i|%ld", L(-7), L(8)), "-7|8");
  CHECK_STR(P("%d", L(INT64_MIN)), "-9223372036854775808");
  CHECK_STR(P("%d", L(INT64_MAX)), "9223372036854775807");
  CHECK_STR(P("%u", L(INT64_MIN)), "9223372036854775808");
}

static void test_int_flags(void) {
  check_context = "integer flags";
  CHECK_STR(P("%+d|%+d|%+d", L(5), L(-5), L(0)), "+5|-5|+0");
  CHECK_STR(P("% d|% d", L(5), L(-5)), " 5|-5");
  CHECK_STR(P("%-5d|%-5d|", L(42), L(-42)), "42   |-42  |");
  CHECK_STR(P("%05d|%05d", L(42), L(-42)), "00042|-0042");
  CHECK_STR(P("%+5d|% 5d", L(42), L(42)), "  +42|   42");
  CHECK_STR(P("%+u|% u|%+x", L(5), L(5), L(5)), "5|5|5"); /* signs only for d and i */
  CHECK_STR(P("%#d|%#u", L(5), L(5)), "5|5");
  CHECK_STR(P("%.3d|%8.3d|%-8.3d|", L(7), L(7), L(7)), "007|     007|007     |");
  CHECK_STR(P("%.3d|%.3x", L(-7), L(255)), "-007|0ff");
  /* stap's number(): a precision does not cancel '0', and .0 still prints 0 */
  CHECK_STR(P("%08.3d", L(7)), "00000007");
  CHECK_STR(P("%.0d|%.0x", L(0), L(0)), "0|0");
  /* '#' always adds the prefix, also for 0 (C prints "0") */
  CHECK_STR(P("%#x|%#o|%#X", L(0), L(0), L(0)), "0x0|00|0X0");
  CHECK_STR(P("%#o %#x %#X\n", L(1), L(2), L(3)), "01 0x2 0X3\n");             /* stap(1) */
  CHECK_STR(parse_error("%-#10x"), "invalid or missing conversion specifier"); /* two flags */
  CHECK_STR(P("%#10x|", L(255)), "      0xff|");
  CHECK_STR(P("%#.4x|%#.4o", L(255), L(8)), "0x00ff|00010");
  /* one flag character only: "%#08x" is '#' and width 08, "%-05d" is '-' and width 05 */
  CHECK_STR(P("%#08x|%-05d|", L(1), L(5)), "     0x1|5    |");
  CHECK_STR(parse_error("%0-5d"), "invalid or missing conversion specifier");
  CHECK_STR(parse_error("%+-5d"), "invalid or missing conversion specifier");
}

/* vsprintf.c: "Since stap 1.3, %p == %#x" of the 64-bit value, and stap 4.8's
 * generated C calls number(..., 16, width, precision, STP_SPECIAL) for it.
 * For nonzero values that is C's %#llx; for 0, number() still adds "0x". */
static void test_pointer(void) {
  check_context = "%p";
  CHECK_STR(P("%p|%p|%p", L(0), L(7), L(0x7eedface12345678)), "0x0|0x7|0x7eedface12345678");
  CHECK_STR(P("%18pX", L(7)), "               0x7X");
  CHECK_STR(P("%-18pX", L(0xabcdef)), "0xabcdef          X");
  CHECK_STR(P("%.12pX", L(0)), "0x000000000000X");
  CHECK_STR(P("%.12pX", L(0xabcdef)), "0x000000abcdefX");
  CHECK_STR(P("%.12pX", L(0x7eedface12345678)), "0x7eedface12345678X");
  CHECK_STR(P("%24.10pX", L(7)), "            0x0000000007X");
  CHECK_STR(P("%-24.10pX", L(0x7eedface12345678)), "0x7eedface12345678      X");
  CHECK_STR(P("%6p", L(0)), "   0x0");
  CHECK_STR(P("%6p", L(0x7eedface12345678)), "0x7eedface12345678");
  CHECK_STR(P("%-6pX", L(7)), "0x7   X");
  CHECK_STR(P("%.6p", L(7)), "0x000007");
  CHECK_STR(P("%4.12p", L(0xabcdef)), "0x000000abcdef");
  CHECK_STR(P("%p", L(-1)), "0xffffffffffffffff");
  /* stap(1): printf("%c is %s; %x or %X or %p; %d or %u\n",97,a,p,p,p,j,j) */
  CHECK_STR(P("%c is %s; %x or %X or %p; %d or %u\n", L(97), S("alice"), L(0x1234abcd), L(0x1234abcd),
              L(0x1234abcd), L(-1), L(-1)),
            "a is alice; 1234abcd or 1234ABCD or 0x1234abcd; -1 or 18446744073709551615\n");
}

/* %c is C's, the low byte of the value; under '#', _stp_vsprint_char()
 * escapes a byte that is not printable ASCII, or is '\'' or '\\': as \a \b
 * \f \n \r \t \v \' \\ when it is one of those, else as \ooo (so '"' and
 * '~' print as themselves and DEL is \177); the width counts the escape. */
static void test_char(void) {
  check_context = "%c";
  CHECK_STR(P("%c%c%c", L(106), L(105), L(116)), "jit");
  CHECK_STR(P("%5c|%-5c|", L('a'), L('b')), "    a|b    |");
  CHECK_STR(P("%c", L(0x141)), "A"); /* the low byte */
  P("x%cy", L(0));
  CHECK_MEM(out.data, out.len, "x\0y", 3);
  CHECK_STR(P("%#c %#c %#c\n", L(0), L(9), L(42)), "\\000 \\t *\n"); /* stap(1) */
  const char *esc = "\\\t'\v\r\n\f\b\a";
  RtBuf all = RT_BUF_INIT;
  for (const char *p = esc; *p; p++) rt_buf_puts(&all, P("%#c", L(*p)));
  CHECK_STR(rt_buf_cstr(&all), "\\\\\\t\\'\\v\\r\\n\\f\\b\\a");
  rt_buf_free(&all);
  CHECK_STR(P("%#c%#c%#c%#c%#c", L(1), L(037), L(0200), L(0301), L(0376)), "\\001\\037\\200\\301\\376");
  CHECK_STR(P("%#c%#c%#c%#c", L('"'), L('~'), L(' '), L(0177)), "\"~ \\177");
  CHECK_STR(P("%#4c|%#7c|", L('\t'), L(0201)), "  \\t|   \\201|");
}

static void test_string(void) {
  check_context = "%s";
  CHECK_STR(P("name=<%s>\n", S("probe")), "name=<probe>\n");
  CHECK_STR(P("%10s|%-10s|", S("abc"), S("abc")), "       abc|abc       |");
  CHECK_STR(P("%.3s|%5.2s|%-5.2s|", S("abcdef"), S("abcdef"), S("abcdef")), "abc|   ab|ab   |");
  CHECK_STR(P("%.s|%.0s|", S("abc"), S("abc")), "abc||"); /* "." alone leaves the precision unspecified */
  CHECK_STR(P("%*s|%-*s|%.*s|", L(6), S("abc"), L(6), S("abc"), L(2), S("abc")), "   abc|abc   |ab|");
  /* a '*' value is clamped to 0..room: a negative width does not left-justify */
  CHECK_STR(P("%*s|%.*s|", L(-6), S("abc"), L(-1), S("abc")), "abc||");
  CHECK_STR(P("%*d|", L(0x100000004), L(7)), "   7|"); /* cut to int first */
  CHECK_STR(P("%s", rt_arg_str("ab\0cd", 5)), "ab");
  CHECK_STR(P("%s|", rt_arg_str("abcdef", 3)), "abc|");
  CHECK_STR(P("%#s", S("a\"b\n")), "a\"b\n"); /* '#' does nothing to %s */
  /* "%0s" appends a NUL byte after the field (stap's _stp_vsprint_memory) */
  P("%05s|", S("ab"));
  CHECK_MEM(out.data, out.len, "   ab\0|", 7);
}

/* _stp_vsprint_memory(): %m copies precision bytes (1 when the precision is
 * missing or 0), %M prints them as two hex digits each; the width pads with
 * spaces on the left ('-': right); '0' appends a NUL byte.  stap 4.8's
 * generated C stops with "N is too many bytes for a memory dump" when the
 * precision exceeds PAGE_SIZE (4096 here). */
static void test_memory(void) {
  check_context = "%m %M";
  RtArg mem = rt_arg_str("stapjit memory", 14);
  CHECK_STR(P("%m", mem), "s");
  CHECK_STR(P("%.7m", mem), "stapjit");
  CHECK_STR(P("%.*m", L(4), mem), "stap");
  CHECK_STR(P("%6m", mem), "     s");
  CHECK_STR(P("%*m", L(3), mem), "  s");
  CHECK_STR(P("%3.7m|%12.4m|%-6.3m|", mem, mem, mem), "stapjit|        stap|sta   |");
  CHECK_STR(P("%*.*m", L(16), L(14), mem), "  stapjit memory");
  CHECK_STR(P("%.0m", mem), "s");
  CHECK_STR(P("%M|%.3M|%7.2M|", mem, rt_arg_str("\x02\xfe\x20", 3), mem), "73|02fe20|   7374|");
  CHECK_STR(P("%*.*M", L(12), L(5), S("abcde")), "  6162636465");
  CHECK_STR(P("%-8.2M|", mem), "7374    |");
  P("%.3m", rt_arg_str("x\0y", 3));
  CHECK_MEM(out.data, out.len, "x\0y", 3);
  P("%0.2m|", mem);
  CHECK_MEM(out.data, out.len, "st\0|", 4);
  CHECK(P("%.5000m", mem) == NULL);
  CHECK_STR(err.msg, "5000 is too many bytes for a memory dump");
  CHECK(P("%.*M", L(4097), mem) == NULL);
  CHECK_STR(err.msg, "4097 is too many bytes for a memory dump");
  static char page[4096];
  memset(page, 'q', sizeof page);
  const char *r = P("%.*m", L(4096), rt_arg_str(page, sizeof page)); /* PAGE_SIZE itself is fine */
  CHECK(r && out.len == 4096 && r[4095] == 'q');
  CHECK(P("%.20m", mem) == NULL);    /* the caller passed fewer bytes than the format dumps */
  CHECK(P("%m", L(0x1234)) == NULL); /* the address, not the bytes */
  CHECK_INT(rt_format_mem_len(-1), 1);
  CHECK_INT(rt_format_mem_len(0), 1);
  CHECK_INT(rt_format_mem_len(16), 16);
}

static void test_binary(void) {
  check_context = "%b";
  /* langref 9.2: printf("%3d: %1b%1b%1b\n", i, i, i-32, i-64) */
  CHECK_STR(P("%3d: %1b%1b%1b\n", L(97), L(97), L(97 - 32), L(97 - 64)), " 97: aA!\n");
  CHECK_STR(P("%3d: %1b%1b%1b\n", L(109), L(109), L(109 - 32), L(109 - 64)), "109: mM-\n");
  CHECK_STR(P("%1b%1b%1blo %1b%1brld\n", L(72), L(101), L(108), L(87), L(111)), "Hello World\n");
  /* langref 9.2: printf("%b%b", 0xc0dedbad, 0x12345678): 8 native-order bytes each */
  int64_t a = 0xc0dedbad, b = 0x12345678;
  char want[16];
  memcpy(want, &a, 8);
  memcpy(want + 8, &b, 8);
  P("%b%b", L(a), L(b));
  CHECK_MEM(out.data, out.len, want, 16);
  /* _stp_vsprint_binary(): the precision (1, 2, 4 or 8) is the byte count,
   * else the width if it is one of those, else 8; a wider width pads with NUL
   * bytes, on the left unless '-' */
  int16_t h = 0x5a5b;
  int32_t w = 0x61626364;
  P("%2b", L(0x12345a5b));
  CHECK_MEM(out.data, out.len, &h, 2);
  P("%4b", L(0x61626364));
  CHECK_MEM(out.data, out.len, &w, 4);
  P("%.2b", L(0x5a5b));
  CHECK_MEM(out.data, out.len, &h, 2);
  int64_t nine = 9;
  char pad[12] = {0};
  memcpy(pad + 4, &nine, 8);
  P("%12b", L(9)); /* 12 is no byte count: 8 bytes, NUL padded to 12 */
  CHECK_MEM(out.data, out.len, pad, 12);
  P("%-12b", L(9));
  memset(pad, 0, sizeof pad);
  memcpy(pad, &nine, 8);
  CHECK_MEM(out.data, out.len, pad, 12);
  P("%5b", L(9)); /* a width below 8 that is no byte count: 8 bytes, no padding */
  CHECK_MEM(out.data, out.len, &nine, 8);
  char p2[6] = {0};
  memcpy(p2 + 4, &h, 2);
  P("%6.2b", L(0x5a5b));
  CHECK_MEM(out.data, out.len, p2, 6);
  char p3[6] = {0};
  memcpy(p3, &w, 4);
  P("%-6.4b", L(0x61626364));
  CHECK_MEM(out.data, out.len, p3, 6);
}

static void test_literals_and_parse(void) {
  check_context = "literals and parsing";
  CHECK_STR(P0("100%%"), "100%");
  /* stap 4.8 -p1 rejects a '%' that ends the format */
  CHECK_STR(parse_error("100%"), "invalid or missing conversion specifier");
  CHECK_STR(parse_error("%"), "invalid or missing conversion specifier");
  CHECK_STR(P0("%%d %%%%"), "%d %%");
  CHECK_STR(P0(""), "");
  CHECK_STR(parse_error("%q"), "invalid or missing conversion specifier");
  CHECK_STR(parse_error("%lld"), "invalid or missing conversion specifier");
  CHECK_STR(parse_error("%hd"), "invalid or missing conversion specifier");
  CHECK_STR(parse_error("%5"), "trailing incomplete print format conversion");
  CHECK_STR(parse_error("ab%-"), "trailing incomplete print format conversion");
  CHECK_STR(parse_error("%.5"), "trailing incomplete print format conversion");
  CHECK_STR(P0("abc%."), "abc"); /* nothing recorded: stap drops it */
  CHECK_STR(P0("abc%l"), "abc");
  CHECK_STR(parse_error("%d%s%c%b%m%M%p%x%X%o%u%i"), "");

  RtFormat *f;
  char msg[64];
  CHECK_INT(rt_format_parse("%*.*s %-d %.*m %5.2x", 20, &f, msg, sizeof msg), 0);
  CHECK_INT(rt_format_nconv(f), 4);
  CHECK_INT(rt_format_nargs(f), 7);
  RtArgKind kinds[] = {RT_ARG_LONG, RT_ARG_LONG, RT_ARG_STR, RT_ARG_LONG,
                       RT_ARG_LONG, RT_ARG_LONG, RT_ARG_LONG};
  for (int i = 0; i < 7; i++) CHECK_INT(rt_format_arg_kind(f, i), kinds[i]);
  const RtFmtConv *c = rt_format_conv(f, 0);
  CHECK(c->conv == 's' && c->width_star && c->prec_star && c->arg_index == 2 && c->arg_kind == RT_ARG_STR);
  c = rt_format_conv(f, 1);
  CHECK(c->conv == 'd' && c->flags == RT_FMT_LEFT && c->width == -1 && c->prec == -1 && c->arg_index == 3);
  c = rt_format_conv(f, 2);
  CHECK(c->conv == 'm' && !c->width_star && c->prec_star && c->arg_index == 5 && c->arg_kind == RT_ARG_LONG);
  c = rt_format_conv(f, 3);
  CHECK(c->conv == 'x' && c->width == 5 && c->prec == 2 && c->arg_index == 6);
  rt_format_free(f);
}

static void test_errors(void) {
  check_context = "argument errors";
  rt_buf_truncate(&out, 0);
  RtFormat *f;
  CHECK_INT(rt_format_parse("a%db", 4, &f, NULL, 0), 0);
  RtArg s = S("x");
  CHECK_INT(rt_format(&out, f, &s, 1, &err), -EINVAL); /* a string for %d */
  CHECK_INT(out.len, 0);                               /* nothing written */
  CHECK_INT(rt_format(&out, f, NULL, 0, &err), -EINVAL);
  rt_format_free(f);
}

static void test_limits(void) {
  check_context = "buffer limits";
  /* print: one printf emits at most STP_BUFFER_SIZE (8192) bytes; widths are clamped to it */
  const char *r = P("%*d", L(10000), L(5));
  CHECK_INT(out.len, 8192);
  CHECK(r && r[8191] == '5' && r[0] == ' ');
  /* sprintf: a MAXSTRINGLEN buffer; the field is clamped to the room (512),
   * its last byte is then overwritten by the terminating NUL */
  r = SP("%600d", L(5));
  CHECK_INT(out.len, 511);
  CHECK(r && r[510] == ' ');
  char big[1000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = 0;
  SP("<%s>", S(big));
  CHECK_INT(out.len, 511);
  CHECK_STR(SP("a%cb", L(0)), "a"); /* a string value ends at its NUL */
  CHECK_STR(SP("%5d|%-3s|", L(1234), S("x")), " 1234|x  |");
  RtLimits l = *rt_limits();
  RtLimits small = l;
  small.maxstringlen = 8;
  rt_limits_set(&small);
  CHECK_STR(SP("%s", S("abcdefghij")), "abcdefg");
  CHECK_STR(SP("%d", L(123456789)), "1234567");
  CHECK_INT(rt_str_len("abcdefghij", 10), 7);
  rt_limits_set(&l);
  CHECK_INT(rt_str_len("abc\0def", 7), 3);
  /* appending keeps what was there */
  rt_buf_truncate(&out, 0);
  rt_buf_puts(&out, "head:");
  RtFormat *f;
  rt_format_parse("%d", 2, &f, NULL, 0);
  RtArg v = L(42);
  rt_format_str(&out, f, &v, 1, &err);
  rt_format(&out, f, &v, 1, &err);
  rt_format_free(f);
  CHECK_STR(rt_buf_cstr(&out), "head:4242");
}

static void test_value(void) {
  check_context = "print()";
  rt_buf_truncate(&out, 0);
  RtArg a = L(-5), b = S("str"), c = rt_arg_str("a\0b", 3);
  rt_format_value(&out, &a);
  rt_format_value(&out, &b);
  rt_format_value(&out, &c);
  CHECK_STR(rt_buf_cstr(&out), "-5stra");
}

int main(void) {
  test_integers();
  test_int_flags();
  test_pointer();
  test_char();
  test_string();
  test_memory();
  test_binary();
  test_literals_and_parse();
  test_errors();
  test_limits();
  test_value();
  rt_buf_free(&out);
  return check_summary();
}

/* test_format.c: the printf engine against stap's documented and tested output.
 *
 * Expected strings come from the langref (section 9.2 examples), stap(1)'s
 * PRINTING examples, stap's testsuite (systemtap.printf/int1, ptr-1.3, char2,
 * memory1, bin*) and, where stap and C agree, C's printf.  Where stap's
 * runtime differs from C the case says so.
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

static void test_int1(void) { /* systemtap.printf/int1.exp */
  check_context = "int1";
#define V L(1), L(10), L(9000000000000), L(-1), L(-1024)
  CHECK_STR(P("%d,%d,%d,%d,%d", V), "1,10,9000000000000,-1,-1024");
  CHECK_STR(P("%2d,%2d,%2d,%2d,%2d", V), " 1,10,9000000000000,-1,-1024");
  CHECK_STR(P("%16d,%16d,%16d,%16d,%16d", V),
            "               1,              10,   9000000000000,              -1,           -1024");
  CHECK_STR(P("%016d,%016d,%016d,%016d,%016d", V),
            "0000000000000001,0000000000000010,0009000000000000,-000000000000001,-000000000001024");
  CHECK_STR(P("%u,%u,%u,%u,%u", V), "1,10,9000000000000,18446744073709551615,18446744073709550592");
  CHECK_STR(P("%016u,%016u,%016u,%016u,%016u", V),
            "0000000000000001,0000000000000010,0009000000000000,18446744073709551615,18446744073709550592");
  CHECK_STR(P("%x,%x,%x,%x,%x", V), "1,a,82f79cd9000,ffffffffffffffff,fffffffffffffc00");
  CHECK_STR(P("%2x,%2x,%2x,%2x,%2x", V), " 1, a,82f79cd9000,ffffffffffffffff,fffffffffffffc00");
  CHECK_STR(P("%16x,%16x,%16x,%16x,%16x", V),
            "               1,               a,     82f79cd9000,ffffffffffffffff,fffffffffffffc00");
  CHECK_STR(P("%016x,%016x,%016x,%016x,%016x", V),
            "0000000000000001,000000000000000a,0000082f79cd9000,ffffffffffffffff,fffffffffffffc00");
  CHECK_STR(P("%16X,%16X,%16X,%16X,%16X", V),
            "               1,               A,     82F79CD9000,FFFFFFFFFFFFFFFF,FFFFFFFFFFFFFC00");
  CHECK_STR(P("%016X,%016X,%016X,%016X,%016X", V),
            "0000000000000001,000000000000000A,0000082F79CD9000,FFFFFFFFFFFFFFFF,FFFFFFFFFFFFFC00");
  CHECK_STR(P("%#x,%#x,%#x,%#x,%#x", V), "0x1,0xa,0x82f79cd9000,0xffffffffffffffff,0xfffffffffffffc00");
  CHECK_STR(P("%o,%o,%o,%o,%o", V), "1,12,202757163310000,1777777777777777777777,1777777777777777776000");
  CHECK_STR(
      P("%16o,%16o,%16o,%16o,%16o", V),
      "               1,              12, 202757163310000,1777777777777777777777,1777777777777777776000");
  CHECK_STR(
      P("%016o,%016o,%016o,%016o,%016o", V),
      "0000000000000001,0000000000000012,0202757163310000,1777777777777777777777,1777777777777777776000");
  CHECK_STR(P("%#o,%#o,%#o,%#o,%#o", V),
            "01,012,0202757163310000,01777777777777777777777,01777777777777777776000");
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

static void test_pointer(void) { /* systemtap.printf/ptr-1.3.exp: %p is %#x since stap 1.3 */
  check_context = "%p";
  CHECK_STR(P("%p|%p|%p", L(0), L(1), L(0x12345678abcdef00)), "0x0|0x1|0x12345678abcdef00");
  CHECK_STR(P("%20pX", L(1)), "                 0x1X");
  CHECK_STR(P("%-20pX", L(0x12345678)), "0x12345678          X");
  CHECK_STR(P("%.20pX", L(0)), "0x00000000000000000000X");
  CHECK_STR(P("%.20pX", L(0x12345678abcdef00)), "0x000012345678abcdef00X");
  CHECK_STR(P("%20.8pX", L(1)), "          0x00000001X");
  CHECK_STR(P("%-20.8pX", L(0x12345678abcdef00)), "0x12345678abcdef00  X");
  CHECK_STR(P("%8p", L(0)), "     0x0");
  CHECK_STR(P("%8p", L(0x12345678abcdef00)), "0x12345678abcdef00");
  CHECK_STR(P("%-8pX", L(1)), "0x1     X");
  CHECK_STR(P("%.8p", L(1)), "0x00000001");
  CHECK_STR(P("%8.20p", L(0x12345678)), "0x00000000000012345678");
  CHECK_STR(P("%p", L(-1)), "0xffffffffffffffff");
  /* stap(1): printf("%c is %s; %x or %X or %p; %d or %u\n",97,a,p,p,p,j,j) */
  CHECK_STR(P("%c is %s; %x or %X or %p; %d or %u\n", L(97), S("alice"), L(0x1234abcd), L(0x1234abcd),
              L(0x1234abcd), L(-1), L(-1)),
            "a is alice; 1234abcd or 1234ABCD or 0x1234abcd; -1 or 18446744073709551615\n");
}

static void test_char(void) {
  check_context = "%c";
  CHECK_STR(P("%c%c%c%c", L(115), L(116), L(97), L(112)), "stap"); /* char1.exp */
  CHECK_STR(P("%5c|%-5c|", L('a'), L('b')), "    a|b    |");
  CHECK_STR(P("%c", L(0x141)), "A"); /* the low byte */
  P("x%cy", L(0));
  CHECK_MEM(out.data, out.len, "x\0y", 3);
  CHECK_STR(P("%#c %#c %#c\n", L(0), L(9), L(42)), "\\000 \\t *\n"); /* stap(1) */
  /* char2.exp */
  const char *esc = "\a\b\f\n\r\t\v'\\";
  RtBuf all = RT_BUF_INIT;
  for (const char *p = esc; *p; p++) rt_buf_puts(&all, P("%#c", L(*p)));
  CHECK_STR(rt_buf_cstr(&all), "\\a\\b\\f\\n\\r\\t\\v\\'\\\\");
  rt_buf_free(&all);
  CHECK_STR(P("%#c%#c%#c%#c%#c%#c", L(0), L(033), L(0177), L(0222), L(0333), L(0377)),
            "\\000\\033\\177\\222\\333\\377");
  CHECK_STR(P("%#c%#c%#c", L('"'), L('a'), L(' ')), "\"a ");
  CHECK_STR(P("%#5c|%#6c|", L('\n'), L(0354)), "   \\n|  \\354|");
}

static void test_string(void) {
  check_context = "%s";
  CHECK_STR(P("The string is <%s>\n", S("Foobar!")), "The string is <Foobar!>\n"); /* string1.exp */
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

static void test_memory(void) { /* systemtap.printf/memory1.stp: %m must match %.Ns */
  check_context = "%m %M";
  RtArg mem = rt_arg_str("hello, world", 12);
  CHECK_STR(P("%m", mem), "h");
  CHECK_STR(P("%.5m", mem), "hello");
  CHECK_STR(P("%.*m", L(5), mem), "hello");
  CHECK_STR(P("%5m", mem), "    h");
  CHECK_STR(P("%*m", L(5), mem), "    h");
  CHECK_STR(P("%4.5m|%15.5m|%-7.2m|", mem, mem, mem), "hello|          hello|he     |");
  CHECK_STR(P("%*.*m", L(15), L(12), mem), "   hello, world");
  CHECK_STR(P("%.0m", mem), "h");
  CHECK_STR(P("%M|%.3M|%8.2M|", mem, rt_arg_str("\x01\xff\x10", 3), mem), "68|01ff10|    6865|");
  CHECK_STR(P("%*.*M", L(14), L(6), S("abcdef")), "  616263646566");
  P("%.3m", rt_arg_str("a\0b", 3));
  CHECK_MEM(out.data, out.len, "a\0b", 3);
  P("%0.2m|", mem);
  CHECK_MEM(out.data, out.len, "he\0|", 4);
  CHECK(P("%.2000m", mem) == NULL);
  CHECK_STR(err.msg, "2000 is too many bytes for a memory dump");
  CHECK(P("%.*M", L(1025), mem) == NULL);
  CHECK_STR(err.msg, "1025 is too many bytes for a memory dump");
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
  int16_t h = 0x4142;
  int32_t w = 0x41424344;
  P("%2b", L(0x7fff4142));
  CHECK_MEM(out.data, out.len, &h, 2);
  P("%4b", L(0x41424344));
  CHECK_MEM(out.data, out.len, &w, 4);
  P("%.2b", L(0x4142));
  CHECK_MEM(out.data, out.len, &h, 2);
  int64_t one = 1;
  char pad[16] = {0};
  memcpy(pad + 8, &one, 8);
  P("%16b", L(1)); /* NUL padding to the width */
  CHECK_MEM(out.data, out.len, pad, 16);
  P("%-16b", L(1));
  memset(pad, 0, sizeof pad);
  memcpy(pad, &one, 8);
  CHECK_MEM(out.data, out.len, pad, 16);
  P("%3b", L(1)); /* an invalid width means 8 bytes, no padding */
  CHECK_MEM(out.data, out.len, &one, 8);
  char p2[8] = {0};
  memcpy(p2 + 6, &h, 2);
  P("%8.2b", L(0x4142));
  CHECK_MEM(out.data, out.len, p2, 8);
}

static void test_literals_and_parse(void) {
  check_context = "literals and parsing";
  CHECK_STR(P0("100%%"), "100%");
  CHECK_STR(P0("100%"), "100%"); /* a '%' ending the string prints itself */
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
  test_int1();
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

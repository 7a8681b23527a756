/* test_lex.c: unit tests of the lexer (frontend/lex.c).
 *
 * Every token kind, the operator table (longest match), number literals and
 * their limits, string escapes, comments, embedded code, the preprocessor
 * brackets, exact line:col locations, and the lexical errors with theirs.
 * Tokens are read through the internal API (fe-int.h); nothing is
 * preprocessed or parsed here.
 */
#include "check.h"
#include "fe-test.h"

static const char *kind_name(TokKind k) {
  static const char *const names[] = {"EOF", "IDENT", "TARGET", "AT", "NUM", "STR", "OP",
                                      "EMBEDDED", "PP_IF", "PP_THEN", "PP_ELSE", "PP_END"};
  return (unsigned)k < sizeof names / sizeof names[0] ? names[k] : "?";
}

/* One token's kind, text, line and column as "KIND 'text' L:C". */
static const char *tok_show(FeSession *s, const Token *t) {
  return arena_printf(s->arena, "%s '%.*s' %u:%u", kind_name(t->kind), (int)t->len, t->text, t->loc.line,
                      t->loc.col);
}

/* The whole token array as lines of tok_show, EOF included. */
static const char *toks_show(FeSession *s, const TokArray *v) {
  StrBuf b = {0};
  for (int k = 0; k < v->n; k++) sb_printf(&b, "%s%s", k ? "\n" : "", tok_show(s, &v->t[k]));
  const char *r = arena_strdup(s->arena, sb_str(&b));
  sb_free(&b);
  return r;
}

/* Lexes text in a fresh session and compares the token dump and the diagnostics. */
static void lex_case(const char *text, const char *want_toks, const char *want_diags) {
  FeSession *s = t_session(NULL);
  check_context = text;
  TokArray v = t_lex(s, text);
  CHECK_STR(toks_show(s, &v), want_toks);
  CHECK_STR(t_diags(s), want_diags);
  check_context = NULL;
  fe_session_free(s);
}

/* Lexes text that must be exactly one token of kind k (then EOF) and no error. */
static Token lex_one(FeSession *s, const char *text, TokKind k) {
  TokArray v = t_lex(s, text);
  check_context = text;
  CHECK_INT(v.n, 2);
  CHECK_STR(kind_name(v.t[0].kind), kind_name(k));
  CHECK_STR(t_diags(s), "");
  check_context = NULL;
  return v.t[0];
}

static void test_identifiers(void) {
  lex_case("foo _bar b4z a$b x$", "IDENT 'foo' 1:1\nIDENT '_bar' 1:5\nIDENT 'b4z' 1:10\nIDENT 'a$b' 1:14\nIDENT 'x$' 1:18\nEOF '' 1:20",
           "");
  /* keywords are identifiers to the lexer; the parser knows them */
  lex_case("probe global function if", "IDENT 'probe' 1:1\nIDENT 'global' 1:7\nIDENT 'function' 1:14\nIDENT 'if' 1:23\nEOF '' 1:25",
           "");
}

static void test_targets_and_atwords(void) {
  lex_case("$var $$vars $$parms$ $$return $1 $# $12 $var$$ $x->y",
           "TARGET '$var' 1:1\nTARGET '$$vars' 1:6\nTARGET '$$parms$' 1:13\nTARGET '$$return' 1:22\n"
           "TARGET '$1' 1:31\nTARGET '$#' 1:34\nTARGET '$12' 1:37\nTARGET '$var$$' 1:41\n"
           "TARGET '$x' 1:48\nOP '->' 1:50\nIDENT 'y' 1:52\nEOF '' 1:53",
           "");
  lex_case("@cast @var @1 @# @define @hist_linear @count(",
           "AT '@cast' 1:1\nAT '@var' 1:7\nAT '@1' 1:12\nAT '@#' 1:15\nAT '@define' 1:18\n"
           "AT '@hist_linear' 1:26\nAT '@count' 1:39\nOP '(' 1:45\nEOF '' 1:46",
           "");
  /* $# and @# end at the '#': what follows is a new token */
  lex_case("$#x @#1", "TARGET '$#' 1:1\nIDENT 'x' 1:3\nAT '@#' 1:5\nNUM '1' 1:7\nEOF '' 1:8", "");
  lex_case("@ x", "IDENT 'x' 1:3\nEOF '' 1:4", "1:1: '@' must be followed by a name");
  /* a lone '$' or '$$' is a token (the pretty-printing suffix of $x[0]$);
   * the parser rejects it elsewhere */
  lex_case("$x[0]$ $ $$", "TARGET '$x' 1:1\nOP '[' 1:3\nNUM '0' 1:4\nOP ']' 1:5\nTARGET '$' 1:6\nTARGET '$' 1:8\n"
           "TARGET '$$' 1:10\nEOF '' 1:12", "");
}

static void test_numbers(void) {
  FeSession *s = t_session(NULL);
  CHECK_INT(lex_one(s, "0", TK_NUM).num, 0);
  CHECK_INT(lex_one(s, "42", TK_NUM).num, 42);
  CHECK_INT(lex_one(s, "0x1F", TK_NUM).num, 31);
  CHECK_INT(lex_one(s, "0XfF", TK_NUM).num, 255);
  CHECK_INT(lex_one(s, "017", TK_NUM).num, 15);
  CHECK_INT(lex_one(s, "9223372036854775807", TK_NUM).num, INT64_MAX);
  /* 2^63 .. 2^64-1 wrap to negative values, as stap's strtoull-based reading */
  CHECK_INT(lex_one(s, "9223372036854775808", TK_NUM).num, INT64_MIN);
  CHECK_INT(lex_one(s, "18446744073709551615", TK_NUM).num, -1);
  CHECK_INT(lex_one(s, "0xffffffffffffffff", TK_NUM).num, -1);
  CHECK_INT(lex_one(s, "01777777777777777777777", TK_NUM).num, -1);
  Token t = lex_one(s, "0x10", TK_NUM);
  CHECK_MEM(t.text, t.len, "0x10", (size_t)4);
  fe_session_free(s);

  lex_case("18446744073709551616", "NUM '18446744073709551616' 1:1\nEOF '' 1:21",
           "1:1: number '18446744073709551616' is out of range (more than 64 bits)");
  lex_case("x=0x10000000000000000;", "IDENT 'x' 1:1\nOP '=' 1:2\nNUM '0x10000000000000000' 1:3\nOP ';' 1:22\nEOF '' 1:23",
           "1:3: number '0x10000000000000000' is out of range (more than 64 bits)");
  lex_case("99999999999999999999999", "NUM '99999999999999999999999' 1:1\nEOF '' 1:24",
           "1:1: number '99999999999999999999999' is out of range (more than 64 bits)");
  lex_case("0x", "NUM '0x' 1:1\nEOF '' 1:3", "1:1: malformed number '0x'");
  lex_case("0xg", "NUM '0xg' 1:1\nEOF '' 1:4", "1:1: malformed number '0xg'");
  lex_case("09", "NUM '09' 1:1\nEOF '' 1:3", "1:1: malformed number '09'");
  lex_case("12abc 3", "NUM '12abc' 1:1\nNUM '3' 1:7\nEOF '' 1:8", "1:1: malformed number '12abc'");
  lex_case("1$", "NUM '1$' 1:1\nEOF '' 1:3", "1:1: malformed number '1$'");
  /* a dot ends a number: there are no floating-point literals */
  lex_case("1.5", "NUM '1' 1:1\nOP '.' 1:2\nNUM '5' 1:3\nEOF '' 1:4", "");
  /* '-' is never part of a number token */
  lex_case("1-1", "NUM '1' 1:1\nOP '-' 1:2\nNUM '1' 1:3\nEOF '' 1:4", "");
}

static void test_operators(void) {
  static const char *const ops[] = {
      ">>>=", "<<<", ">>>", "<<=", ">>=", "==", "!=", "<=", ">=", "&&", "||", "++", "--", "+=", "-=",
      "*=",   "/=",  "%=",  "&=",  "|=",  "^=", ".=", "->", "<<", ">>", "=~", "!~", "+",  "-",  "*",
      "/",    "%",   "<",   ">",   "=",   "!",  "~",  "&",  "|",  "^",  ".",  ",",  ";",  ":",  "?",
      "(",    ")",   "[",   "]",   "{",   "}"};
  FeSession *s = t_session(NULL);
  for (size_t k = 0; k < sizeof ops / sizeof ops[0]; k++) {
    Token t = lex_one(s, ops[k], TK_OP);
    CHECK_MEM(t.text, t.len, ops[k], strlen(ops[k]));
  }
  fe_session_free(s);
  /* longest match, left to right */
  lex_case("a<<<=b", "IDENT 'a' 1:1\nOP '<<<' 1:2\nOP '=' 1:5\nIDENT 'b' 1:6\nEOF '' 1:7", "");
  lex_case("x>>>=1", "IDENT 'x' 1:1\nOP '>>>=' 1:2\nNUM '1' 1:6\nEOF '' 1:7", "");
  lex_case("a>>>b", "IDENT 'a' 1:1\nOP '>>>' 1:2\nIDENT 'b' 1:5\nEOF '' 1:6", "");
  lex_case("s.=t", "IDENT 's' 1:1\nOP '.=' 1:2\nIDENT 't' 1:4\nEOF '' 1:5", "");
  lex_case("s=~\"x\"", "IDENT 's' 1:1\nOP '=~' 1:2\nSTR 'x' 1:4\nEOF '' 1:7", "");
  lex_case("s!~\"x\"", "IDENT 's' 1:1\nOP '!~' 1:2\nSTR 'x' 1:4\nEOF '' 1:7", "");
  lex_case("p->q", "IDENT 'p' 1:1\nOP '->' 1:2\nIDENT 'q' 1:4\nEOF '' 1:5", "");
  lex_case("a---b", "IDENT 'a' 1:1\nOP '--' 1:2\nOP '-' 1:4\nIDENT 'b' 1:5\nEOF '' 1:6", "");
  lex_case("!!=", "OP '!' 1:1\nOP '!=' 1:2\nEOF '' 1:4", "");
  lex_case("a ` b", "IDENT 'a' 1:1\nIDENT 'b' 1:5\nEOF '' 1:6", "1:3: unexpected character '`'");
  lex_case("\xc3\xa9", "EOF '' 1:3", "1:1: unexpected byte 0xc3\n1:2: unexpected byte 0xa9");
}

/* Lexes one string literal and compares its unescaped bytes and raw text. */
static void str_case(const char *lit, const char *bytes, size_t nbytes, const char *raw) {
  FeSession *s = t_session(NULL);
  Token t = lex_one(s, lit, TK_STR);
  check_context = lit;
  CHECK_MEM(t.str, t.str_len, bytes, nbytes);
  CHECK_MEM(t.text, t.len, raw, strlen(raw));
  check_context = NULL;
  fe_session_free(s);
}

static void test_strings(void) {
  str_case("\"\"", "", 0, "");
  str_case("\"plain text\"", "plain text", 10, "plain text");
  str_case("\"\\n\\t\\r\\a\\b\\f\\v\"", "\n\t\r\a\b\f\v", 7, "\\n\\t\\r\\a\\b\\f\\v");
  str_case("\"\\\\ \\\" \\' \\?\"", "\\ \" ' ?", 7, "\\\\ \\\" \\' \\?");
  str_case("\"\\101\\60\\0x\"", "A0\0x", 4, "\\101\\60\\0x");
  str_case("\"\\1234\"", "S4", 2, "\\1234");   /* at most three octal digits */
  str_case("\"\\x41\\x4a\\x4G\"", "AJ\x04G", 4, "\\x41\\x4a\\x4G");
  str_case("\"\\x414\"", "A4", 2, "\\x414");   /* at most two hex digits */
  str_case("\"a\\\nb\"", "ab", 2, "a\\\nb");   /* backslash-newline continues the line */
  str_case("\"\\q\"", "\\q", 2, "\\q");        /* unknown escapes pass through to C */
  str_case("\"two\nlines\"", "two\nlines", 9, "two\nlines");
  lex_case("\"\\xg\"", "STR '\\xg' 1:1\nEOF '' 1:6", "1:2: \\x used with no following hex digits");
  lex_case("x \"abc", "IDENT 'x' 1:1\nSTR 'abc' 1:3\nEOF '' 1:7", "1:3: unterminated string literal");
  lex_case("\"abc\\", "STR 'abc\\' 1:1\nEOF '' 1:6", "1:1: unterminated string literal");
  /* the line count goes on after a string with a newline */
  lex_case("\"a\nb\" c", "STR 'a\nb' 1:1\nIDENT 'c' 2:4\nEOF '' 2:5", "");
}

/* Lexes n bytes (which may hold NULs) and compares the diagnostics. */
static void lex_bytes_case(const char *text, size_t n, const char *want_diags) {
  FeSession *s = t_session(NULL);
  TokArray v = {0};
  lex_file(s, srcset_add(&s->src, "<test>", text, n, 0), &v);
  check_context = text;
  CHECK_STR(t_diags(s), want_diags);
  CHECK(v.n > 0 && v.t[v.n - 1].kind == TK_EOF);
  check_context = NULL;
  fe_session_free(s);
}

static void test_nul_bytes(void) {
  /* raw NUL bytes would truncate the literal's raw text and embedded code
   * (kept as C strings), so they are errors; the escape \0 is fine */
  static const char s1[] = "x = \"a\0b\0\" y";
  lex_bytes_case(s1, sizeof s1 - 1, "1:7: NUL byte in a string literal (write \\0 instead)");
  static const char s2[] = "\"\\\0\"";
  lex_bytes_case(s2, sizeof s2 - 1, "1:3: NUL byte in a string literal (write \\0 instead)");
  static const char s3[] = "%{ a\0 %}";
  lex_bytes_case(s3, sizeof s3 - 1, "1:5: NUL byte in embedded code");
  static const char s4[] = "a\0b # c\0\n/* \0 */ c";
  lex_bytes_case(s4, sizeof s4 - 1, "1:2: unexpected byte 0x00");
  static const char s5[] = "\"\\0\"";
  lex_bytes_case(s5, sizeof s5 - 1, "");
}

static void test_comments(void) {
  lex_case("a # shell\nb // c++\nc /* c\n  multi */ d",
           "IDENT 'a' 1:1\nIDENT 'b' 2:1\nIDENT 'c' 3:1\nIDENT 'd' 4:12\nEOF '' 4:13", "");
  lex_case("#!/usr/bin/stap\nprobe", "IDENT 'probe' 2:1\nEOF '' 2:6", "");
  lex_case("a/**/b", "IDENT 'a' 1:1\nIDENT 'b' 1:6\nEOF '' 1:7", "");
  lex_case("a /* x */ /* y */ # z", "IDENT 'a' 1:1\nEOF '' 1:22", "");
  lex_case("/* a /* b */ c", "IDENT 'c' 1:14\nEOF '' 1:15", "");  /* not nested */
  lex_case("x /* open\n\n", "IDENT 'x' 1:1\nEOF '' 3:1", "1:3: unterminated comment (opened here)");
  lex_case("a / b", "IDENT 'a' 1:1\nOP '/' 1:3\nIDENT 'b' 1:5\nEOF '' 1:6", "");
  /* space_before is set by whitespace and by comments */
  FeSession *s = t_session(NULL);
  TokArray v = t_lex(s, "a b/**/c(d");
  CHECK(!v.t[0].space_before);
  CHECK(v.t[1].space_before);
  CHECK(v.t[2].space_before);
  CHECK(!v.t[3].space_before);
  CHECK(!v.t[4].space_before);
  fe_session_free(s);
}

static void test_embedded_and_pp(void) {
  lex_case("%{ int x; %} %{%}", "EMBEDDED ' int x; ' 1:1\nEMBEDDED '' 1:14\nEOF '' 1:18", "");
  lex_case("%{ a\n b %}\nx", "EMBEDDED ' a\n b ' 1:1\nIDENT 'x' 3:1\nEOF '' 3:2", "");
  lex_case("%{ /* %} */", "EMBEDDED ' /* ' 1:1\nOP '*' 1:10\nOP '/' 1:11\nEOF '' 1:12", "");
  lex_case("x %{ never closed", "IDENT 'x' 1:1\nEMBEDDED ' never closed' 1:3\nEOF '' 1:18",
           "1:3: unterminated embedded code (%{ without %})");
  lex_case("%( a %? b %: c %)",
           "PP_IF '%(' 1:1\nIDENT 'a' 1:4\nPP_THEN '%?' 1:6\nIDENT 'b' 1:9\nPP_ELSE '%:' 1:11\n"
           "IDENT 'c' 1:14\nPP_END '%)' 1:16\nEOF '' 1:18",
           "");
  lex_case("a%b %= c", "IDENT 'a' 1:1\nOP '%' 1:2\nIDENT 'b' 1:3\nOP '%=' 1:5\nIDENT 'c' 1:8\nEOF '' 1:9", "");
}

static void test_locations(void) {
  lex_case("probe begin {\n\tprintf(\"hi\\n\")\n}\n",
           "IDENT 'probe' 1:1\nIDENT 'begin' 1:7\nOP '{' 1:13\nIDENT 'printf' 2:2\nOP '(' 2:8\n"
           "STR 'hi\\n' 2:9\nOP ')' 2:15\nOP '}' 3:1\nEOF '' 4:1",
           "");
  lex_case("\r\n  x\r\n", "IDENT 'x' 2:3\nEOF '' 3:1", "");
  lex_case("", "EOF '' 1:1", "");
  /* several errors in one run, each at its place */
  lex_case("0x \"s\n`\n09 @",
           "NUM '0x' 1:1\nSTR 's\n`\n09 @' 1:4\nEOF '' 3:5",
           "1:1: malformed number '0x'\n1:4: unterminated string literal");
  lex_case("` # 0x\n\\ 0x\n  @ ~",
           "NUM '0x' 2:3\nOP '~' 3:5\nEOF '' 3:6",
           "1:1: unexpected character '`'\n2:1: unexpected character '\\'\n2:3: malformed number '0x'\n"
           "3:3: '@' must be followed by a name");
}

static void test_pasted(void) {
  /* lex_string gives every token the location of the argument it came from */
  FeSession *s = t_session(NULL);
  TokArray v = {0};
  SrcLoc at = {1, 7, 9};
  lex_string(s, "5+5 \"x\"", 7, at, &v);
  CHECK_INT(v.n, 5);
  CHECK_STR(t_join(s, &v), "5 + 5 \"x\"");
  for (int k = 0; k < v.n; k++) {
    CHECK_INT(v.t[k].loc.line, 7);
    CHECK_INT(v.t[k].loc.col, 9);
  }
  CHECK_INT(v.t[0].num, 5);
  fe_session_free(s);
}

static void test_escape_and_describe(void) {
  FeSession *s = t_session(NULL);
  CHECK_STR(lex_escape(s->arena, "a\"b\\c\n\t\r\x01\xff", 10), "a\\\"b\\\\c\\n\\t\\r\\001\\377");
  CHECK_STR(lex_escape(s->arena, "x\0y", 3), "x\\000y");
  TokArray v = t_lex(s, "foo $x @cast 12 \"str\" <<< %{c%} %( %? %: %)");
  static const char *const want[] = {"identifier 'foo'", "target '$x'", "'@cast'", "number '12'",
                                     "string \"str\"",   "operator '<<<'", "embedded code", "'%('",
                                     "'%?'",             "'%:'",          "'%)'",          "end of input"};
  CHECK_INT(v.n, 12);
  for (int k = 0; k < v.n && k < 12; k++) CHECK_STR(tok_describe(s->arena, &v.t[k]), want[k]);
  CHECK(tok_is(&v.t[5], TK_OP, "<<<"));
  CHECK(!tok_is(&v.t[5], TK_OP, "<<"));
  CHECK(tok_is(&v.t[0], TK_IDENT, NULL));
  fe_session_free(s);
}

int main(void) {
  test_identifiers();
  test_targets_and_atwords();
  test_numbers();
  test_operators();
  test_strings();
  test_nul_bytes();
  test_comments();
  test_embedded_and_pp();
  test_locations();
  test_pasted();
  test_escape_and_describe();
  return check_summary();
}

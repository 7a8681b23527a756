/* fuzz_parse.c: libFuzzer target for pass 1 (lexer, preprocessor, parser)
 * and the -p1 printer.
 *
 * Each input is read first as a macro library (.stpm), then as a script
 * that may use those macros: it is lexed, preprocessed (two script arguments,
 * a fake kernel release and kconfig, so $1 @2 $# and %( CONFIG_... %) all
 * have something to do) and parsed; the diagnostics are printed (to
 * /dev/null) as the driver would; a tree that parses is printed with
 * fe_print_file.  With FUZZ_ROUNDTRIP=1 in the environment the printed text
 * must also parse again and print identically (abort otherwise), which
 * makes the fuzzer look for printer bugs too.  Any crash, sanitizer report,
 * hang or runaway memory is a finding.  Built only with STAPJIT_FUZZ=ON.
 */
#include "fe-int.h" /* lex_file and pp_collect_macros, for the macro-library path */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static const char *fuzz_kconfig(void *ctx, const char *name) {
  (void)ctx;
  if (!strcmp(name, "CONFIG_MODULES")) return "y";
  if (!strcmp(name, "CONFIG_HZ")) return "250";
  if (!strcmp(name, "CONFIG_EXT4_FS")) return "m";
  return NULL;
}

static FILE *devnull;
static int roundtrip = -1;

static char *print_to_memory(const AstFile *f, size_t *len) {
  char *buf = NULL;
  FILE *mem = open_memstream(&buf, len);
  if (!mem) abort();
  fe_print_file(mem, f);
  fclose(mem);
  return buf;
}

/* True if every diagnostic after mark is the parser's nesting limit. */
static bool only_too_deep(const FeSession *s, const Diag *mark) {
  const Diag *g = mark ? mark->next : s->diag.head;
  if (!g) return false;
  for (; g; g = g->next)
    if (!strstr(g->msg, "nesting too deep")) return false;
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static const char *const args[] = {"5+5", "hello world"};
  if (!devnull) devnull = fopen("/dev/null", "w");
  if (roundtrip < 0) roundtrip = getenv("FUZZ_ROUNDTRIP") && atoi(getenv("FUZZ_ROUNDTRIP")) > 0;
  FeOptions o = {.sz = sizeof o,
                 .args = args,
                 .nargs = 2,
                 .kernel_release = "6.1.0-28-amd64",
                 .arch = "x86_64",
                 .runtime = "kernel",
                 .privilege = "stapdev",
                 .kconfig = fuzz_kconfig};
  FeSession *s = fe_session_new(&o);
  uint32_t id = srcset_add(&s->src, "<fuzz>", (const char *)data, size, 0);
  /* first as a .stpm macro library (what fe_load_macro_file does), so its
   * @defines serve the script below as library macros */
  TokArray lib = {0};
  lex_file(s, id, &lib);
  pp_collect_macros(s, &lib);
  AstFile *f = fe_parse(s, id, false);
  if (devnull) diag_print(&s->diag, devnull);
  if (f) {
    size_t n1 = 0;
    char *t1 = print_to_memory(f, &n1);
    if (roundtrip) {
      const Diag *mark = s->diag.tail;
      AstFile *f2 = fe_parse(s, srcset_add(&s->src, "<fuzz>", t1, n1, 0), false);
      /* every operand printed in parentheses nests up to twice as deep as
       * the input: near the parser's limit the printed text may exceed it */
      if (!f2 && !only_too_deep(s, mark)) {
        fprintf(stderr, "round trip: the printed text does not parse:\n%s\n", t1);
        diag_print(&s->diag, stderr);
        abort();
      }
      size_t n2 = 0;
      char *t2 = f2 ? print_to_memory(f2, &n2) : NULL;
      if (f2 && (n1 != n2 || memcmp(t1, t2, n1))) {
        fprintf(stderr, "round trip: printing is not a fixed point:\n--- first\n%s\n--- second\n%s\n", t1, t2);
        abort();
      }
      free(t2);
    }
    free(t1);
  }
  fe_session_free(s);
  return 0;
}

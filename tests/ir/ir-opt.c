/* ir-opt.c: the IR test driver: read a .ir file, run passes, print the result.
 *
 *   ir-opt [-p PASS[,PASS...]] [-O0] [--verify] [--dump-after PASS] [--parse-only] FILE.ir
 *
 * With -p the named passes run once each, in the order given (a function pass
 * over every function, a module pass once); without it the pipeline runs
 * (-O0: only what a non-optimising compile runs).  --verify checks the input
 * before anything runs and the module after every pass; the first failure
 * prints the verifier's diagnostics, names the pass, and exits 1 without
 * printing IR.  --parse-only runs no pass: it prints what was parsed (the
 * round-trip test), after verifying it if asked (the verifier tests).
 * Diagnostics go to stderr, the module to stdout.  Exit status: 0 ok, 1 a
 * parse or verification error, 2 a usage error.  Nothing here is part of the
 * compiler: it is how pass tests are written as plain text files.
 */
#include "ir.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

typedef struct Args {
  const char *passes; /* comma-separated, or NULL for the pipeline */
  const char *file;
  const char *dump_after;
  bool verify, optimize, parse_only;
} Args;

static int usage(void) {
  fprintf(stderr,
          "usage: ir-opt [-p PASS[,PASS...]] [-O0] [--verify] [--dump-after PASS] [--parse-only] FILE.ir\n"
          "passes:");
  for (const char *const *n = ir_pass_names(); *n; n++) fprintf(stderr, " %s", *n);
  fputc('\n', stderr);
  return 2;
}

static bool parse_args(int argc, char **argv, Args *a) {
  *a = (Args){.optimize = true};
  for (int k = 1; k < argc; k++) {
    const char *s = argv[k];
    if (!strcmp(s, "-p") && k + 1 < argc)
      a->passes = argv[++k];
    else if (!strcmp(s, "--dump-after") && k + 1 < argc)
      a->dump_after = argv[++k];
    else if (!strcmp(s, "-O0"))
      a->optimize = false;
    else if (!strcmp(s, "--verify"))
      a->verify = true;
    else if (!strcmp(s, "--parse-only"))
      a->parse_only = true;
    else if (s[0] == '-' && s[1])
      return false;
    else if (a->file)
      return false;
    else
      a->file = s;
  }
  return a->file != NULL;
}

/* Verifies m; on failure prints the diagnostics and what was just done. */
static bool check(IrModule *m, DiagList *diag, const char *after) {
  if (ir_verify(m, diag) == 0) return true;
  diag_print(diag, stderr);
  fprintf(stderr, "ir-opt: the IR is malformed %s\n", after);
  return false;
}

/* Runs the comma-separated passes in order; false if one is unknown or breaks the IR. */
static bool run_list(IrModule *m, const Args *a, DiagList *diag) {
  char *list = strdup(a->passes), *save = NULL;
  bool ok = true;
  for (char *name = strtok_r(list, ",", &save); name && ok; name = strtok_r(NULL, ",", &save)) {
    const IrPass *p = ir_pass_find(name);
    if (!p) {
      fprintf(stderr, "ir-opt: no pass named '%s'\n", name);
      ok = false;
      break;
    }
    if (p->module)
      p->run_module(m);
    else
      for (int k = 0; k < m->nfuncs; k++) p->run(m->funcs[k]);
    if (a->dump_after && (!strcmp(a->dump_after, "all") || !strcmp(a->dump_after, name))) {
      printf("; after %s\n", name);
      ir_print_module(stdout, m);
    }
    char after[128];
    snprintf(after, sizeof after, "after pass '%s'", name);
    if (a->verify) ok = check(m, diag, after);
  }
  free(list);
  return ok;
}

int main(int argc, char **argv) {
  Args a;
  if (!parse_args(argc, argv, &a)) return usage();
  Arena *arena = arena_new();
  SrcSet src;
  DiagList diag;
  srcset_init(&src, arena);
  diag_init(&diag, arena, &src);
  int status = 1;
  IrModule *m = NULL;
  uint32_t file = srcset_read(&src, a.file, 0);
  if (!file) {
    fprintf(stderr, "ir-opt: %s: %s\n", a.file, strerror(errno));
    goto out;
  }
  const SrcFile *sf = srcset_get(&src, file);
  m = ir_parse(sf->text, sf->len, &src, &diag);
  if (!m) {
    diag_print(&diag, stderr);
    goto out;
  }
  if (a.verify && !check(m, &diag, "on input")) goto out;
  if (!a.parse_only) {
    if (a.passes) {
      if (!run_list(m, &a, &diag)) goto out;
    } else {
      IrPipelineOptions opt = {sizeof opt, a.optimize, a.dump_after, stdout, a.verify, &diag, false};
      if (ir_run_pipeline(m, &opt) < 0) {
        diag_print(&diag, stderr);
        goto out;
      }
    }
  }
  if (!a.dump_after) ir_print_module(stdout, m);
  status = 0;
out:
  ir_module_free(m);
  arena_free(arena);
  return status;
}

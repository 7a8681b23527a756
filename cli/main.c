/* main.c: the stapjit driver.  Runs the passes in stap's order, prints the
 * diagnostics each one recorded, stap's closing line when one fails, and the
 * -v line with its memory and time after each.
 *
 * Pass 3 lowers to IR and runs the pipeline (optimising unless -u, always
 * verifying); -p3 and --dump-ir print IR.  Pass 5 runs a script whose
 * probes all run on the host (begin, end, error, never) with the
 * interpreter's session (run.h); kernel probes wait for a backend.
 * -l and -L run passes 1 and 2 on "probe PROBE {}" and hand the result to
 * list.c, holding pass 2's messages back as stap does in listing mode.
 * The passes themselves live in their components; this file only sequences
 * them and owns what the user sees on stderr.  It must not reach into a
 * component's internals (frontend.h, ir.h, run.h and runtime.h only), and
 * it is the one place in the program that ends the process: the functions
 * below return 0 or -1 (or pass 5's status) and main turns that into the
 * exit status.
 */
#include "bpfgen.h"
#include "cli.h"
#include "frontend.h"
#include "ir.h"
#include "pass5.h"
#include "run.h"
#include "runtime.h"

#include <errno.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

/* ---- -v: memory and time per pass ------------------------------------------- */

typedef struct PassClock {
  struct timespec real; /* CLOCK_MONOTONIC at the start */
  struct rusage ru;     /* RUSAGE_SELF at the start */
} PassClock;

static void clock_start(PassClock *c) {
  clock_gettime(CLOCK_MONOTONIC, &c->real);
  getrusage(RUSAGE_SELF, &c->ru);
}

static long tv_ms(struct timeval a, struct timeval b) {
  return (long)(b.tv_sec - a.tv_sec) * 1000 + (long)(b.tv_usec - a.tv_usec) / 1000;
}

/* " using Nvirt/Nres/Nshr/Ndata kb, in Nusr/Nsys/Nreal ms." as stap ends its
 * pass lines.  Memory is the process's now, from /proc/self/statm. */
static void print_usage_tail(FILE *out, const PassClock *c) {
  unsigned long long sz = 0, res = 0, shr = 0, text = 0, lib = 0, data = 0;
  FILE *f = fopen("/proc/self/statm", "r");
  if (f) {
    if (fscanf(f, "%llu %llu %llu %llu %llu %llu", &sz, &res, &shr, &text, &lib, &data) != 6)
      sz = res = shr = data = 0;
    fclose(f);
  }
  unsigned long long kb = (unsigned long long)sysconf(_SC_PAGESIZE) / 1024;
  struct timespec now;
  struct rusage ru;
  clock_gettime(CLOCK_MONOTONIC, &now);
  getrusage(RUSAGE_SELF, &ru);
  long real = (long)(now.tv_sec - c->real.tv_sec) * 1000 + (now.tv_nsec - c->real.tv_nsec) / 1000000;
  fprintf(out, " using %lluvirt/%llures/%llushr/%lludata kb, in %ldusr/%ldsys/%ldreal ms.\n", sz * kb,
          res * kb, shr * kb, data * kb, tv_ms(c->ru.ru_utime, ru.ru_utime),
          tv_ms(c->ru.ru_stime, ru.ru_stime), real);
}

/* "1 probe", "2 probes", "0 probes". */
static void print_count(FILE *out, int n, const char *what, const char *sep) {
  fprintf(out, "%d %s%s%s", n, what, n == 1 ? "" : "s", sep);
}

static void print_pass1_line(const FeSession *s, const PassClock *c) {
  fputs("Pass 1: parsed user script and ", stderr);
  print_count(stderr, s->tapsets.n, "library script", "");
  print_usage_tail(stderr, c);
}

static void print_pass2_line(const FeSession *s, const PassClock *c) {
  const ElabProgram *p = s->prog;
  fputs("Pass 2: analyzed script: ", stderr);
  print_count(stderr, p ? p->probes.n : 0, "probe", ", ");
  print_count(stderr, p ? p->funcs.n : 0, "function", ", ");
  print_count(stderr, p ? p->embeds.n : 0, "embed", ", ");
  print_count(stderr, p ? p->globals.n : 0, "global", "");
  print_usage_tail(stderr, c);
}

/* ---- diagnostics ------------------------------------------------------------- */

/* Prints the diagnostics recorded since *mark (NULL: since the start) and
 * moves the mark past them, so that each is printed once, after its pass. */
static void print_new_diags(const FeSession *s, const Diag **mark) {
  DiagList view = s->diag;
  view.head = *mark ? (*mark)->next : s->diag.head;
  diag_print(&view, stderr);
  if (s->diag.tail) *mark = s->diag.tail;
}

/* ---- the passes -------------------------------------------------------------- */

/* Pass 1: the library first (its macros must be known before the user
 * script is preprocessed), then the user script.  Returns 0 or -1. */
static int run_pass1(FeSession *s, const CliOptions *o, const Diag **mark) {
  PassClock c;
  clock_start(&c);
  int rc = fe_load_tapsets(s);
  /* Parse the user script even if the library failed: one run, all errors. */
  if (o->script_text) rc |= fe_load_user(s, o->script_text, true);
  else rc |= fe_load_user(s, o->script_path, false);
  bool failed = rc != 0 || s->diag.nerrors > 0 || !s->user;
  print_new_diags(s, mark);
  if (o->verbose) print_pass1_line(s, &c);
  if (failed) fputs("Pass 1: parse failed.  [man error::pass1]\n", stderr);
  return failed ? -1 : 0;
}

/* The syscall.* aliases the user's probe points can name, generated from
 * the kernel's tracepoints (syscalls.c) only when some point starts with
 * "syscall": most scripts never pay for reading the catalogue. */
static int load_syscall_aliases(FeSession *s) {
  enum { MAXPAT = 64 };
  const char *pats[MAXPAT];
  int n = 0;
  for (int k = 0; s->user && k < s->user->probes.n; k++) {
    const AstProbe *p = s->user->probes.items[k];
    for (int j = 0; j < p->npoints; j++) {
      const AstProbePoint *pt = p->points[j];
      if (!pt->ncomps || fnmatch(pt->comps[0].name, "syscall", 0) != 0) continue;
      const char *pat = pt->ncomps > 1 && !strchr(pt->comps[1].name, '{') ? pt->comps[1].name : "*";
      if (!strcmp(pat, "**")) pat = "*";
      if (n < MAXPAT) pats[n++] = pat;
    }
  }
  if (!n) return 0;
  int count;
  char *text = cli_syscall_tapset(pats, n, &count);
  if (!text) {
    fprintf(stderr, "stapjit: cannot read the kernel's syscall tracepoints for syscall.* probes: %s\n",
            strerror(errno));
    return 0; /* the probe points then fail to resolve, with their locations */
  }
  int rc = fe_load_tapset_text(s, "<syscalls>", text);
  free(text);
  return rc;
}

/* Pass 2: elaboration.  Returns 0 or -1. */
static int run_pass2(FeSession *s, const CliOptions *o, const Diag **mark) {
  PassClock c;
  clock_start(&c);
  int rc = load_syscall_aliases(s);
  if (rc == 0) rc = fe_elaborate(s);
  bool failed = rc != 0 || s->diag.nerrors > 0 || !s->prog;
  print_new_diags(s, mark);
  if (o->verbose) print_pass2_line(s, &c);
  if (failed) fputs("Pass 2: analysis failed.  [man error::pass2]\n", stderr);
  return failed ? -1 : 0;
}

/* -l / -L: pass 2 whose messages stap shows only with -vv ("in listings
 * mode, error messages are normally suppressed": a point that resolves to
 * nothing just lists nothing), then the listing (list.c), whose own
 * problems are always shown.  Returns 0 when something was listed, else -1
 * (stap's failure status when nothing matches). */
static int run_listing(FeSession *s, const CliOptions *o, const Diag **mark) {
  PassClock c;
  clock_start(&c);
  int rc = load_syscall_aliases(s);
  if (rc == 0) (void)fe_elaborate(s);
  if (o->verbose >= 2) print_new_diags(s, mark);
  else if (s->diag.tail) *mark = s->diag.tail;
  if (o->verbose) print_pass2_line(s, &c);
  if (rc == 0) rc = cli_list(s, o);
  print_new_diags(s, mark);
  return rc == 0 ? 0 : -1;
}

/* ---- pass 3 ------------------------------------------------------------------- */

static int64_t limit_or(const CliOptions *o, CliLimit l, int64_t dflt) {
  return o->limit_set[l] ? o->limit[l] : dflt;
}

/* --dump-ir=PASS names a pass of the pipeline, or "all". */
static int check_dump_ir(const CliOptions *o) {
  if (!o->dump_ir || !*o->dump_ir || !strcmp(o->dump_ir, "all") || ir_pass_find(o->dump_ir)) return 0;
  fprintf(stderr, "stapjit: --dump-ir: no pass '%s'; the passes are", o->dump_ir);
  for (const char *const *n = ir_pass_names(); *n; n++) fprintf(stderr, " %s", *n);
  fputs(" (or all)\n", stderr);
  return -1;
}

static void print_pass3_line(const IrModule *m, const PassClock *c) {
  fputs("Pass 3: translated to IR: ", stderr);
  print_count(stderr, m ? m->nprobes : 0, "probe", ", ");
  print_count(stderr, m ? m->nfuncs - (m ? m->nprobes : 0) : 0, "function", ", ");
  print_count(stderr, m ? m->nglobals : 0, "global", "");
  print_usage_tail(stderr, c);
}

/* Pass 3: lowering and the pipeline.  Returns 0 with *out set, or -1. */
static int run_pass3(FeSession *s, const CliOptions *o, const Diag **mark, IrModule **out) {
  PassClock c;
  clock_start(&c);
  IrLowerOptions lo = {.sz = sizeof lo,
                       .maxstringlen = limit_or(o, CLI_MAXSTRINGLEN, rt_limits()->maxstringlen),
                       .kernel_probes_allowed = true};
  IrModule *m = ir_lower(s->prog, &s->src, &lo, &s->diag);
  if (m) {
    IrPipelineOptions po = {.sz = sizeof po,
                            .optimize = !o->unoptimized,
                            .dump_after = o->dump_ir && *o->dump_ir ? o->dump_ir : NULL,
                            .dump = stdout,
                            .verify = true,
                            .diag = &s->diag,
                            .inline_kernel = o->backend == CLI_BACKEND_BPF};
    if (ir_run_pipeline(m, &po) != 0) {
      ir_module_free(m);
      m = NULL;
    }
  }
  bool failed = !m || s->diag.nerrors > 0;
  print_new_diags(s, mark);
  if (o->verbose) print_pass3_line(m, &c);
  if (failed) {
    fputs("Pass 3: translation failed.  [man error::pass3]\n", stderr);
    if (m) ir_module_free(m);
    return -1;
  }
  /* -p3 and a bare --dump-ir print the final IR */
  if (o->last_pass == CLI_PASS_TRANSLATE || (o->dump_ir && !*o->dump_ir)) ir_print_module(stdout, m);
  fflush(stdout);
  *out = m;
  return 0;
}

/* ---- pass 5 ------------------------------------------------------------------------ */

static int kernel_probes(const IrModule *m) {
  int n = 0;
  for (int k = 0; k < m->nprobes; k++) n += m->probes[k]->site == IR_SITE_KERNEL;
  return n;
}

/* ---- pass 4 ------------------------------------------------------------------------ */

/* The compiled kernel probes of m (none: *img stays empty). */
typedef struct Pass4 {
  BpfLayout *layout;
  BpfObjectImage img;
} Pass4;

static void pass4_free(Pass4 *p) {
  blay_free(p->layout);
  free(p->img.elf);
  memset(p, 0, sizeof *p);
}

/* Pass 4: the kernel probes to a BPF object.  Returns 0 or -1 (printed). */
static int run_pass4(FeSession *s, const CliOptions *o, const Diag **mark, const IrModule *m, Pass4 *out) {
  memset(out, 0, sizeof *out);
  if (!kernel_probes(m) && o->last_pass != CLI_PASS_COMPILE) return 0;
  if (o->backend == CLI_BACKEND_KMOD) {
    fprintf(stderr, "stapjit: the kmod backend is not implemented yet; --backend=bpf runs kernel probes\n");
    return -1;
  }
  PassClock c;
  clock_start(&c);
  int rc = -1;
  char cached[4400];
  cached[0] = '\0';
  out->layout = blay_new(m, &s->diag);
  if (out->layout) {
    int64_t maxaction = limit_or(o, CLI_MAXACTION, 1000);
    BpfGenOptions go = {.sz = sizeof go,
                        .optimize = !o->unoptimized,
                        .maxaction = maxaction,
                        .maxerrors = limit_or(o, CLI_MAXERRORS, 0),
                        .dump_llvm = o->dump_llvm ? stdout : NULL,
                        .dump_asm = o->dump_asm ? stdout : NULL,
                        .limits = rt_limits(),
                        .kfunc_attach = o->kfunc_attach};
    rc = cli_bpfgen_compile_cached(m, out->layout, &go, o->cache, &out->img, cached, sizeof cached, &s->diag);
  }
  print_new_diags(s, mark);
  if (o->verbose && cached[0]) {
    fprintf(stderr, "Pass 4: using cached %s\n", cached);
  } else if (o->verbose) {
    fprintf(stderr, "Pass 4: compiled BPF object (%zu bytes)", out->img.size);
    print_usage_tail(stderr, &c);
  }
  if (rc != 0) {
    fputs("Pass 4: compilation failed.  [man error::pass4]\n", stderr);
    pass4_free(out);
    return -1;
  }
  fflush(stdout);
  return 0;
}

/* Pass 5 (pass5.c, shared with stapjit-run).  Returns 0, or -1 after
 * printing why (stap's closing line included). */
static int run_pass5(FeSession *s, const CliOptions *o, const Diag **mark, const IrModule *m, const Pass4 *p4) {
  return cli_run_pass5("stapjit", o, m, p4->layout, p4->img.elf, p4->img.size, &s->diag, mark);
}

static FeOptions fe_options(const CliOptions *o, CliKconfig *kc) {
  return (FeOptions){
      .sz = sizeof(FeOptions),
      .args = o->args,
      .nargs = o->nargs,
      .include_dirs = o->include_dirs,
      .ninclude = o->ninclude,
      .tapset_dir = cli_tapset_dir(),
      .kernel_release = o->kernel_release,
      .arch = o->arch,
      .runtime = cli_backend_runtime(o->backend),
      .privilege = "stapdev",
      .guru = o->guru,
      .unoptimized = o->unoptimized,
      .unused_warnings = !o->warnings_off,
      .gvars = o->gvars,
      .ngvars = o->ngvars,
      .kconfig = cli_kconfig_lookup,
      .kconfig_ctx = kc,
  };
}

/* Runs passes 1..o->last_pass.  Returns 0 or -1 (every message printed). */
static int run(const CliOptions *o) {
  CliKconfig *kc = cli_kconfig_new(o->kernel_release, o->kernel_build_dir);
  if (!kc) {
    fprintf(stderr, "stapjit: %s\n", strerror(errno));
    return -1;
  }
  if (check_dump_ir(o) != 0) {
    cli_kconfig_free(kc);
    return -1;
  }
  cli_set_rt_limits(o);
  FeOptions fo = fe_options(o, kc);
  FeSession *s = fe_session_new(&fo);
  if (o->warnings_off) s->diag.warnings_off = 1;
  if (o->verbose >= 2) {
    fprintf(stderr, "Session arch: %s release: %s\n", o->arch, o->kernel_release);
    fprintf(stderr, "Tapset library: %s\n", fo.tapset_dir ? fo.tapset_dir : "(none)");
  }

  const Diag *mark = NULL;
  int rc = run_pass1(s, o, &mark);
  if (rc == 0 && o->list) {
    rc = run_listing(s, o, &mark);
  } else if (rc == 0 && o->last_pass == CLI_PASS_PARSE) {
    fe_print_file(stdout, s->user);
  } else if (rc == 0) {
    rc = run_pass2(s, o, &mark);
    if (rc == 0 && o->last_pass == CLI_PASS_ELABORATE)
      fe_print_program(stdout, s->prog, o->verbose > 0 ? o->verbose - 1 : 0);
  }
  if (o->verbose >= 2 && cli_kconfig_source(kc))
    fprintf(stderr, "Kernel configuration: %s\n", cli_kconfig_source(kc));
  IrModule *m = NULL;
  if (rc == 0 && o->last_pass > CLI_PASS_ELABORATE) rc = run_pass3(s, o, &mark, &m);
  Pass4 p4 = {0};
  if (rc == 0 && o->last_pass >= CLI_PASS_COMPILE) rc = run_pass4(s, o, &mark, m, &p4);
  if (rc == 0 && o->last_pass == CLI_PASS_COMPILE)
    rc = p4.img.elf ? cli_object_write(o, m, p4.img.elf, p4.img.size) : 0;
  if (rc == 0 && o->last_pass == CLI_PASS_RUN) rc = run_pass5(s, o, &mark, m, &p4);
  pass4_free(&p4);
  if (m) ir_module_free(m);

  fe_session_free(s);
  cli_kconfig_free(kc);
  return rc;
}

int main(int argc, char **argv) {
  CliOptions o;
  int rc = cli_options_parse(&o, argc, argv);
  if (rc == 0 && o.show_help) cli_print_usage(stdout);
  else if (rc == 0 && o.show_version) cli_print_version(stdout);
  else if (rc == 0 && o.clean_cache) {
    if ((rc = cli_cache_clean()) != 0) fprintf(stderr, "stapjit: cannot clean the cache: %s\n", strerror(-rc));
  } else if (rc == 0) rc = run(&o);
  cli_options_free(&o);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "stapjit: error writing standard output: %s\n", strerror(errno));
    rc = -1;
  }
  exit(rc == 0 ? 0 : 1);
}

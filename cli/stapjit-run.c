/* stapjit-run.c: runs an object that `stapjit -p4` wrote, later or on another
 * machine (the role of SystemTap's staprun):
 *
 *   stapjit-run [-o FILE] [-T SECONDS] [-s MB] [-G NAME=VALUE] [-c CMD | -x PID] [-v]
 *               OBJECT [NAME=VALUE...]
 *
 * Pass 5 only, with stapjit's own pass-5 code (pass5.c): the same output,
 * messages and exit status as `stapjit SCRIPT`.  The object carries the
 * module's IR (host probes run in the interpreter), the script's source for
 * error messages, and the -D limits, -G values and --no-global-var-display
 * it was compiled with (object.c).  -G, or NAME=VALUE after the object as
 * staprun takes module options, sets again a global that was given -G when
 * compiling.  No compiler here: this program links the BPF loader, the IR
 * and its interpreter, and the runtime, never LLVM or the front end's passes.
 * It is the only place of this program that ends the process.
 */
#include "pass5.h"

#include <errno.h>
#include <getopt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#ifndef STAPJIT_VERSION
#define STAPJIT_VERSION "0.0.0"
#endif

static const char prog[] = "stapjit-run";

static void usage(FILE *out) {
  fprintf(out, "Usage: stapjit-run [OPTIONS] OBJECT [NAME=VALUE...]\n"
               "Runs a BPF object written by `stapjit -p4` (no compiler needed).\n"
               "   -o FILE        send the script's output to FILE\n"
               "   -T SECONDS     end the session after SECONDS\n"
               "   -s MB          the ring buffer's size in megabytes (1-4095)\n"
               "   -G NAME=VALUE  set the global NAME (one given -G when compiling)\n"
               "   -c CMD         start CMD when the probes run, end with it; target() is its pid\n"
               "   -x PID         sets target() to PID\n"
               "   -v             more verbose (repeat for more)\n"
               "   -h, --help     this help\n"
               "   -V, --version  the version\n"
               "NAME=VALUE after OBJECT is the same as -G NAME=VALUE.\n");
}

typedef struct RunArgs {
  const char *object;
  const char **gvars; /* -G and NAME=VALUE, in order (malloc'd array of argv strings) */
  int ngvars;
  bool done; /* --help or --version printed */
} RunArgs;

static int bad(const char *fmt, const char *arg) {
  fprintf(stderr, "%s: ", prog);
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nTry '%s --help' for more information.\n", prog);
  return -EINVAL;
}

static int parse_args(int argc, char **argv, CliOptions *o, RunArgs *a) {
  static const struct option longs[] = {
      {"help", no_argument, NULL, 'h'}, {"version", no_argument, NULL, 'V'}, {NULL, 0, NULL, 0}};
  a->gvars = calloc((size_t)argc + 1, sizeof *a->gvars);
  if (!a->gvars) return -ENOMEM;
  opterr = 0;
  int c;
  while ((c = getopt_long(argc, argv, "+o:T:s:G:c:x:vhV", longs, NULL)) != -1) {
    char *end;
    switch (c) {
    case 'o': o->output_path = optarg; break;
    case 'T':
      errno = 0;
      o->timeout_s = strtod(optarg, &end);
      if (errno || end == optarg || *end || !(o->timeout_s > 0))
        return bad("invalid timeout '%s' for -T: a positive number of seconds", optarg);
      break;
    case 's': {
      errno = 0;
      long v = strtol(optarg, &end, 10);
      if (errno || end == optarg || *end || v < 1 || v > 4095)
        return bad("invalid buffer size '%s' (should be 1-4095 MB)", optarg);
      o->bufsize_mb = (int)v;
      break;
    }
    case 'G': a->gvars[a->ngvars++] = optarg; break;
    case 'c':
    case 'x':
      if ((c == 'c' && o->target_pid) || (c == 'x' && o->target_cmd))
        return bad("%s", "-c and -x cannot both be given");
      if (c == 'c') {
        o->target_cmd = optarg;
        break;
      }
      errno = 0;
      long pid = strtol(optarg, &end, 10);
      if (errno || end == optarg || *end || pid <= 0 || pid > INT32_MAX)
        return bad("invalid process id '%s' for -x", optarg);
      o->target_pid = (int)pid;
      break;
    case 'v': o->verbose++; break;
    case 'h':
      usage(stdout);
      a->done = true;
      return 0;
    case 'V':
      printf("stapjit-run %s (BPF object format %d)\n", STAPJIT_VERSION, BOBJ_VERSION);
      a->done = true;
      return 0;
    default: {
      char opt[2] = {(char)optopt, 0};
      if (optopt && strchr("oTsGcx", optopt)) return bad("option requires an argument -- '%s'", opt);
      return optopt ? bad("invalid option -- '%s'", opt) : bad("unrecognized option '%s'", argv[optind - 1]);
    }
    }
  }
  if (optind >= argc) return bad("%s", "no object to run");
  a->object = argv[optind++];
  for (; optind < argc; optind++) {
    if (!strchr(argv[optind], '='))
      return bad("'%s': after the object only NAME=VALUE (a -G global) may come; script arguments were bound "
                 "when the object was compiled",
                 argv[optind]);
    a->gvars[a->ngvars++] = argv[optind];
  }
  return 0;
}

/* -G NAME=VALUE names a global compiled with -G, and a long gets a number. */
static int check_gvar(const CliObject *obj, const char *arg) {
  const char *eq = strchr(arg, '=');
  size_t n = eq ? (size_t)(eq - arg) : 0;
  if (!n) return bad("-G %s: expected NAME=VALUE", arg);
  bool known = false;
  for (int k = 0; k < obj->ngvars && !known; k++)
    known = !strncmp(obj->gvars[k], arg, n) && obj->gvars[k][n] == '=';
  for (int k = 0; k < obj->m->nglobals; k++) {
    const IrGlobal *g = obj->m->globals[k];
    if (!g->cmdline || strlen(g->script_name) != n || strncmp(g->script_name, arg, n) != 0) continue;
    if (g->kind == IR_GLOBAL_SCALAR && g->value == IR_I64) {
      char *end;
      errno = 0;
      (void)strtoll(eq + 1, &end, 0);
      if (errno == ERANGE && eq[1] != '-') errno = 0, (void)strtoull(eq + 1, &end, 0);
      if (!eq[1] || *end || errno) {
        fprintf(stderr, "%s: -G %s: '%.*s' is a long, but '%s' is not a number\n", prog, arg, (int)n, arg,
                eq + 1);
        return -EINVAL;
      }
    }
    return 0;
  }
  if (known) return 0; /* given -G, but the script never uses it: nothing to set */
  fprintf(
      stderr,
      "%s: -G %s: the object has no global '%.*s' to set: only globals given -G NAME=VALUE when the script "
      "was compiled can be set when it runs\n",
      prog, arg, (int)n, arg);
  return -EINVAL;
}

static bool has_kernel_probes(const IrModule *m) {
  for (int k = 0; k < m->nprobes; k++)
    if (m->probes[k]->site == IR_SITE_KERNEL) return true;
  return false;
}

/* Runs the object a->object.  Returns 0 or -1 (every message printed). */
static int run(CliOptions *o, const RunArgs *a) {
  CliObject obj;
  if (cli_object_read(prog, a->object, &obj, o) != 0) return -1;
  int rc = 0;
  const char **gvars = calloc((size_t)(obj.ngvars + a->ngvars + 1), sizeof *gvars);
  if (!gvars) rc = -1;
  for (int k = 0; k < a->ngvars && !rc; k++) rc = check_gvar(&obj, a->gvars[k]);
  BpfLayout *l = NULL;
  const Diag *mark = obj.diag.tail;
  if (!rc) {
    /* the compile-time values first: the run's own come after them and win */
    for (int k = 0; k < obj.ngvars; k++) gvars[k] = obj.gvars[k];
    for (int k = 0; k < a->ngvars; k++) gvars[obj.ngvars + k] = a->gvars[k];
    o->gvars = gvars;
    o->ngvars = obj.ngvars + a->ngvars;
    cli_set_rt_limits(o);
    bool kernel = has_kernel_probes(obj.m);
    if (kernel && !(l = blay_new(obj.m, &obj.diag))) {
      cli_print_diags(&obj.diag, &mark);
      fputs("Pass 5: run failed.  [man error::pass5]\n", stderr);
      rc = -1;
    }
    if (!rc) rc = cli_run_pass5(prog, o, obj.m, l, kernel ? obj.data : NULL, obj.size, &obj.diag, &mark);
  }
  blay_free(l);
  free(gvars);
  cli_object_free(&obj);
  return rc ? -1 : 0;
}

int main(int argc, char **argv) {
  CliOptions o;
  RunArgs a = {0};
  memset(&o, 0, sizeof o);
  int rc = parse_args(argc, argv, &o, &a);
  if (rc == 0 && !a.done) rc = run(&o, &a);
  free(a.gvars);
  if (fflush(stdout) != 0 || ferror(stdout)) {
    fprintf(stderr, "%s: error writing standard output: %s\n", prog, strerror(errno));
    rc = -1;
  }
  exit(rc == 0 ? 0 : 1);
}

/* options.c: the stap command line: parsing, validation, defaults, --help
 * and --version, and where the tapset library is.
 *
 * Messages follow stap's wording so that habits and scripts carry over.
 * Options that a later pass will implement are recognised and refused by
 * name ("option -o is not implemented yet"), never silently ignored.  This
 * file must not run a pass, touch the front end, or call exit(): it reports
 * on stderr and returns -errno to main.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Fallbacks for compiling this file outside CMake (which defines them). */
#ifndef STAPJIT_VERSION
#define STAPJIT_VERSION "0.0.0"
#endif
#ifndef STAPJIT_TAPSET_SOURCE_DIR
#define STAPJIT_TAPSET_SOURCE_DIR ""
#endif
#ifndef STAPJIT_TAPSET_INSTALL_DIR
#define STAPJIT_TAPSET_INSTALL_DIR ""
#endif
#ifndef STAPJIT_INSTALL_PREFIX
#define STAPJIT_INSTALL_PREFIX ""
#endif
#ifndef STAPJIT_BUILD_DIR
#define STAPJIT_BUILD_DIR ""
#endif

#define PROG "stapjit"

/* Short options: stap's set.  The leading '+' stops at the first non-option
 * (the script), ':' lets us word the missing-argument message ourselves. */
static const char short_opts[] = "+:hVvp:I:e:E:o:R:r:a:m:kgPc:x:D:bs:uqiwWl:d:L:FS:B:T:G:t";

/* stap short options that a later pass implements. */
static const char later_short[] = "ERkPbqiWdFSBt";

enum {
  OPT_BACKEND = 256,
  OPT_RUNTIME,
  OPT_BPF,
  OPT_DYNINST,
  OPT_LATER, /* a stap (or stapjit) long option not implemented yet */
  OPT_NO_GVAR_DISPLAY,
  OPT_CLEAN_CACHE,
  OPT_DISABLE_CACHE,
  OPT_POISON_CACHE,
  OPT_DUMP_IR,
  OPT_DUMP_LLVM,
  OPT_DUMP_ASM,
  OPT_KFUNC_ATTACH,
};

static const struct option long_opts[] = {
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, 'V'},
    {"interactive", no_argument, NULL, 'i'},
    {"backend", required_argument, NULL, OPT_BACKEND},
    {"runtime", required_argument, NULL, OPT_RUNTIME},
    {"bpf", no_argument, NULL, OPT_BPF},
    {"dyninst", no_argument, NULL, OPT_DYNINST},
    /* stap's other long options, all for later passes */
    {"vp", required_argument, NULL, OPT_LATER},
    {"ldd", no_argument, NULL, OPT_LATER},
    {"all-modules", no_argument, NULL, OPT_LATER},
    {"modinfo", required_argument, NULL, OPT_LATER},
    {"skip-badvars", no_argument, NULL, OPT_LATER},
    {"prologue-searching", optional_argument, NULL, OPT_LATER},
    {"suppress-handler-errors", no_argument, NULL, OPT_LATER},
    {"compatible", required_argument, NULL, OPT_LATER},
    {"check-version", no_argument, NULL, OPT_LATER},
    {"clean-cache", no_argument, NULL, OPT_CLEAN_CACHE},
    {"color", optional_argument, NULL, OPT_LATER},
    {"colour", optional_argument, NULL, OPT_LATER},
    {"disable-cache", no_argument, NULL, OPT_DISABLE_CACHE},
    {"poison-cache", no_argument, NULL, OPT_POISON_CACHE},
    {"privilege", optional_argument, NULL, OPT_LATER},
    {"unprivileged", no_argument, NULL, OPT_LATER},
    {"use-server", optional_argument, NULL, OPT_LATER},
    {"use-server-on-error", optional_argument, NULL, OPT_LATER},
    {"list-servers", optional_argument, NULL, OPT_LATER},
    {"trust-servers", optional_argument, NULL, OPT_LATER},
    {"sign-module", optional_argument, NULL, OPT_LATER},
    {"dump-probe-types", no_argument, NULL, OPT_LATER},
    {"dump-probe-aliases", no_argument, NULL, OPT_LATER},
    {"dump-functions", no_argument, NULL, OPT_LATER},
    {"remote", required_argument, NULL, OPT_LATER},
    {"remote-prefix", no_argument, NULL, OPT_LATER},
    {"download-debuginfo", optional_argument, NULL, OPT_LATER},
    {"rlimit-as", required_argument, NULL, OPT_LATER},
    {"rlimit-cpu", required_argument, NULL, OPT_LATER},
    {"rlimit-nproc", required_argument, NULL, OPT_LATER},
    {"rlimit-stack", required_argument, NULL, OPT_LATER},
    {"rlimit-fsize", required_argument, NULL, OPT_LATER},
    {"sysroot", required_argument, NULL, OPT_LATER},
    {"sysenv", required_argument, NULL, OPT_LATER},
    {"suppress-time-limits", no_argument, NULL, OPT_LATER},
    {"save-uprobes", no_argument, NULL, OPT_LATER},
    {"target-namespace", required_argument, NULL, OPT_LATER},
    {"target-namespaces", required_argument, NULL, OPT_LATER},
    {"monitor", optional_argument, NULL, OPT_LATER},
    {"example", no_argument, NULL, OPT_LATER},
    {"no-global-var-display", no_argument, NULL, OPT_NO_GVAR_DISPLAY},
    {"tmpdir", required_argument, NULL, OPT_LATER},
    /* stapjit's own, for passes 3 and 4 */
    {"dump-ir", optional_argument, NULL, OPT_DUMP_IR},
    {"dump-llvm", no_argument, NULL, OPT_DUMP_LLVM},
    {"dump-asm", no_argument, NULL, OPT_DUMP_ASM},
    {"kfunc-attach", required_argument, NULL, OPT_KFUNC_ATTACH},
    {NULL, 0, NULL, 0},
};

/* ---- messages ------------------------------------------------------------- */

static void hint(void) {
  fputs("Try '--help' for more information.\n", stderr);
}

/* Prints the long option arg ("--name[=value]") quoted, without "=value". */
static void print_long_name(const char *arg) {
  size_t n = strcspn(arg, "=");
  fprintf(stderr, "'%.*s'", (int)n, arg);
}

static bool is_valid_opt(int c) {
  return c >= 256 || (c > 0 && c != ':' && c != '+' && strchr(short_opts, c));
}

/* How many long options start with the name in --NAME[=...]. */
static int long_prefix_matches(const char *arg) {
  const char *name = arg + 2;
  size_t n = strcspn(name, "=");
  int k = 0;
  for (const struct option *lo = long_opts; lo->name; lo++) {
    if (strncmp(lo->name, name, n) != 0) continue;
    if (lo->name[n] == '\0') return 1; /* an exact match is never ambiguous */
    k++;
  }
  return k;
}

/* getopt returned '?': an unknown short option, an unknown or ambiguous long
 * one, or a long one given an argument it does not take. */
static void report_bad_option(char **argv) {
  const char *arg = argv[optind - 1];
  if (optopt == 0 && arg && strncmp(arg, "--", 2) == 0 && long_prefix_matches(arg) > 1) {
    fprintf(stderr, "%s: option ", PROG);
    print_long_name(arg);
    fputs(" is ambiguous\n", stderr);
  } else if (optopt == 0 && arg && strncmp(arg, "--", 2) == 0) {
    fprintf(stderr, "%s: unrecognized option '%s'\n", PROG, arg);
  } else if (is_valid_opt(optopt) && arg && strncmp(arg, "--", 2) == 0) {
    fprintf(stderr, "%s: option ", PROG);
    print_long_name(arg);
    fputs(" doesn't allow an argument\n", stderr);
  } else {
    fprintf(stderr, "%s: invalid option -- '%c'\n", PROG, optopt);
  }
  hint();
}

/* getopt returned ':': a required argument is missing. */
static void report_missing_arg(char **argv) {
  if (optopt >= 256) {
    fprintf(stderr, "%s: option ", PROG);
    print_long_name(argv[optind - 1]);
    fputs(" requires an argument\n", stderr);
  } else {
    fprintf(stderr, "%s: option requires an argument -- '%c'\n", PROG, optopt);
  }
  hint();
}

static int not_implemented_short(int c) {
  fprintf(stderr, "%s: option -%c is not implemented yet\n", PROG, c);
  return -ENOTSUP;
}

static int not_implemented_long(const char *name) {
  fprintf(stderr, "%s: option --%s is not implemented yet\n", PROG, name);
  return -ENOTSUP;
}

/* ---- validation ------------------------------------------------------------ */

static bool is_ident_start(int c) {
  return isalpha(c) || c == '_';
}

static bool is_ident_char(int c) {
  return isalnum(c) || c == '_';
}

/* -D NAME[=[-]VALUE] with NAME and VALUE made of [a-z_0-9] (any case), so
 * that nothing but a macro definition reaches a later pass's C compiler. */
static bool define_ok(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  if (!is_ident_start(*p)) return false;
  while (is_ident_char(*p)) p++;
  if (*p == '\0') return true;
  if (*p++ != '=') return false;
  if (*p == '-') p++;
  if (!is_ident_char(*p)) return false;
  while (is_ident_char(*p)) p++;
  return *p == '\0';
}

/* ---- -D limits ------------------------------------------------------------- */

static const char *const limit_names[CLI_NLIMITS] = {
    [CLI_MAXSTRINGLEN] = "MAXSTRINGLEN",
    [CLI_MAXACTION] = "MAXACTION",
    [CLI_MAXACTION_INTERRUPTIBLE] = "MAXACTION_INTERRUPTIBLE",
    [CLI_MAXMAPENTRIES] = "MAXMAPENTRIES",
    [CLI_MAXNESTING] = "MAXNESTING",
    [CLI_MAXERRORS] = "MAXERRORS",
    [CLI_MAXSKIPPED] = "MAXSKIPPED",
    [CLI_HIST_ELISION] = "HIST_ELISION",
    [CLI_HIST_WIDTH] = "HIST_WIDTH",
};

const char *cli_limit_name(CliLimit l) { return limit_names[l]; }

/* -D NAME=VALUE (already pattern-checked): a known limit with a decimal or
 * 0x value.  stap hands -D to its C compiler, where any macro goes; stapjit
 * has none, so an unknown name is refused rather than silently ignored. */
static int parse_limit(CliOptions *o, const char *arg) {
  size_t n = strcspn(arg, "=");
  for (int l = 0; l < CLI_NLIMITS; l++) {
    if (strlen(limit_names[l]) != n || strncmp(limit_names[l], arg, n) != 0) continue;
    char *end = NULL;
    errno = 0;
    long long v = arg[n] == '=' ? strtoll(arg + n + 1, &end, 0) : 0;
    if (arg[n] != '=' || !*(arg + n + 1) || *end || errno) {
      fprintf(stderr, "%s: -D %s needs a number, as in -D %s=100\n", PROG, arg, limit_names[l]);
      return -EINVAL;
    }
    if (v < 0 && l != CLI_HIST_ELISION) {
      fprintf(stderr, "%s: -D %s: %s cannot be negative\n", PROG, arg, limit_names[l]);
      return -EINVAL;
    }
    o->limit[l] = v;
    o->limit_set[l] = true;
    return 0;
  }
  fprintf(stderr, "%s: -D %.*s is not supported: stapjit compiles no C, and only knows the limits", PROG, (int)n,
          arg);
  for (int l = 0; l < CLI_NLIMITS; l++) fprintf(stderr, "%s %s", l ? "," : "", limit_names[l]);
  fputc('\n', stderr);
  return -ENOTSUP;
}

/* -G NAME=VALUE with VALUE made of [a-z0-9_.-] (any case). */
static bool gvar_ok(const char *s) {
  const unsigned char *p = (const unsigned char *)s;
  if (!is_ident_start(*p)) return false;
  while (is_ident_char(*p)) p++;
  if (*p++ != '=' || *p == '\0') return false;
  for (; *p; p++)
    if (!is_ident_char(*p) && *p != '.' && *p != '-') return false;
  return true;
}

static int pattern_mismatch(char opt, const char *arg, const char *pattern) {
  fprintf(stderr, "ERROR: Safety pattern mismatch for -%c parameter ('%s' vs. '%s')\n", opt, arg,
          pattern);
  return -EINVAL;
}

/* -l PROBE / -L PROBE: as stap, the script "probe PROBE {}" elaborated
 * without warnings and, for -L, without optimisation, so that the alias
 * variables stay.  stapjit elaborates -l unoptimised too: its optimiser
 * drops probes whose bodies end up empty, and every listed probe's is. */
static int take_listing(CliOptions *o, int c, const char *arg) {
  if (o->script_text) {
    fputs("Only one script can be given on the command line.\n", stderr);
    return -EINVAL;
  }
  size_t n = strlen(arg) + sizeof "probe  {}";
  o->list_script = malloc(n);
  if (!o->list_script) {
    fprintf(stderr, "%s: %s\n", PROG, strerror(ENOMEM));
    return -ENOMEM;
  }
  snprintf(o->list_script, n, "probe %s {}", arg);
  o->script_text = o->list_script;
  o->list = c == 'l' ? CLI_LIST_POINTS : CLI_LIST_VARS;
  o->list_probe = arg;
  o->warnings_off = true;
  o->unoptimized = true;
  return 0;
}

/* -p NUM: exactly one of 1..5. */
/* -m NAME: stap's module names are C identifiers. */
static int parse_module_name(const char *arg, const char **out) {
  bool ok = *arg && !isdigit((unsigned char)*arg);
  for (const char *p = arg; *p && ok; p++) ok = isalnum((unsigned char)*p) || *p == '_';
  if (!ok) {
    fprintf(stderr, "%s: invalid module name '%s': use letters, digits and '_'\n", PROG, arg);
    return -EINVAL;
  }
  *out = arg;
  return 0;
}

/* -T SECONDS: a positive number, possibly with a fraction. */
static int parse_seconds(const char *arg, double *out) {
  char *end;
  errno = 0;
  double v = strtod(arg, &end);
  if (errno || end == arg || *end || !(v > 0)) {
    fprintf(stderr, "%s: invalid timeout '%s' for -T: a positive number of seconds\n", PROG, arg);
    return -EINVAL;
  }
  *out = v;
  return 0;
}

/* -c CMD / -x PID: one target process, as stap allows. */
static int parse_target(CliOptions *o, int c, const char *arg) {
  if ((c == 'c' && o->target_pid) || (c == 'x' && o->target_cmd)) {
    fputs("You can't specify -c and -x options together.\n", stderr);
    return -EINVAL;
  }
  if (c == 'c') {
    o->target_cmd = arg;
    return 0;
  }
  char *end;
  errno = 0;
  long v = strtol(arg, &end, 10);
  if (errno || end == arg || *end || v < 1 || v > INT_MAX) {
    fputs("Invalid target process ID number.\n", stderr);
    return -EINVAL;
  }
  o->target_pid = (int)v;
  return 0;
}

/* -s NUM: the buffer size in megabytes, 1..4095 as stap allows. */
static int parse_bufsize(const char *arg, int *out) {
  char *end;
  errno = 0;
  long v = strtol(arg, &end, 10);
  if (errno || end == arg || *end || v < 1 || v > 4095) {
    fprintf(stderr, "%s: Invalid buffer size '%s' (should be 1-4095 MB).\n", PROG, arg);
    return -EINVAL;
  }
  *out = (int)v;
  return 0;
}

static int parse_pass(const char *arg, int *pass) {
  if (arg[0] >= '1' && arg[0] <= '5' && arg[1] == '\0') {
    *pass = arg[0] - '0';
    return 0;
  }
  fputs("Invalid pass number (should be 1-5).\n", stderr);
  return -EINVAL;
}

static int parse_backend(const char *arg, const char *opt, CliBackend *b) {
  if (strcmp(arg, "bpf") == 0) {
    *b = CLI_BACKEND_BPF;
  } else if (strcmp(arg, "kmod") == 0 || (strcmp(opt, "runtime") == 0 && strcmp(arg, "kernel") == 0)) {
    *b = CLI_BACKEND_KMOD;
  } else if (strcmp(arg, "dyninst") == 0) {
    fprintf(stderr, "%s: the dyninst runtime is not supported (use bpf or kernel)\n", PROG);
    return -ENOTSUP;
  } else {
    fprintf(stderr, "ERROR: %s is an invalid argument for --%s\n", arg, opt);
    return -EINVAL;
  }
  return 0;
}

/* --kfunc-attach=auto|kprobe|fentry: how kernel.function probes attach. */
static int parse_kfunc_attach(const char *arg, BpfKfuncAttach *out) {
  static const char *const names[] = {[BPF_KFUNC_AUTO] = "auto", [BPF_KFUNC_KPROBE] = "kprobe",
                                      [BPF_KFUNC_FENTRY] = "fentry"};
  for (int k = 0; k < 3; k++)
    if (strcmp(arg, names[k]) == 0) {
      *out = (BpfKfuncAttach)k;
      return 0;
    }
  fprintf(stderr, "ERROR: %s is an invalid argument for --kfunc-attach (auto, kprobe or fentry)\n", arg);
  return -EINVAL;
}

/* ---- defaults ----------------------------------------------------------------- */

/* uname -m as the kernel's build system names the architecture (the names
 * stap's `arch` condition compares against). */
static const char *normalize_machine(const char *m) {
  size_t n = strlen(m);
  if (n == 4 && m[0] == 'i' && m[2] == '8' && m[3] == '6') return "i386";
  if (strcmp(m, "sun4u") == 0) return "sparc64";
  if (strncmp(m, "arm", 3) == 0 || strcmp(m, "sa110") == 0) return "arm";
  if (strcmp(m, "s390x") == 0) return "s390";
  if (strcmp(m, "aarch64") == 0) return "arm64";
  if (strncmp(m, "ppc", 3) == 0) return "powerpc";
  if (strncmp(m, "mips", 4) == 0) return "mips";
  if (strncmp(m, "sh", 2) == 0 && n > 2) return "sh";
  return m;
}

/* -r /DIR: the release is the build tree's include/config/kernel.release. */
static int read_build_release(CliOptions *o) {
  char path[PATH_MAX];
  if ((size_t)snprintf(path, sizeof path, "%s/include/config/kernel.release", o->kernel_build_dir) >=
      sizeof path)
    return -ENAMETOOLONG;
  FILE *f = fopen(path, "r");
  if (!f || !fgets(o->release_buf, sizeof o->release_buf, f)) {
    int err = f ? (ferror(f) ? errno : ENODATA) : errno;
    if (f) fclose(f);
    fprintf(stderr, "%s: cannot read the kernel release of build tree %s: %s: %s\n", PROG,
            o->kernel_build_dir, path, strerror(err));
    return -err;
  }
  fclose(f);
  o->release_buf[strcspn(o->release_buf, "\r\n")] = '\0';
  o->kernel_release = o->release_buf;
  return 0;
}

static int apply_defaults(CliOptions *o) {
  if (o->kernel_build_dir) {
    int rc = read_build_release(o);
    if (rc) return rc;
  }
  if (!o->kernel_release) o->kernel_release = o->uts.release;
  if (!o->arch) o->arch = normalize_machine(o->uts.machine);
  return 0;
}

/* ---- the parser ---------------------------------------------------------------- */

/* One option of a getopt_long result; returns 0 or -errno (message printed). */
static int take_option(CliOptions *o, int c, int longindex, char **argv) {
  switch (c) {
  case 'h': o->show_help = true; return 0;
  case 'V': o->show_version = true; return 0;
  case 'v': o->verbose++; return 0;
  case 'p': return parse_pass(optarg, &o->last_pass);
  case 'g': o->guru = true; return 0;
  case 'u': o->unoptimized = true; return 0;
  case 'w': o->warnings_off = true; return 0;
  case 'I': o->include_dirs[o->ninclude++] = optarg; return 0;
  case 'a': o->arch = optarg; return 0;
  case 'l':
  case 'L': return take_listing(o, c, optarg);
  case 'e':
    if (o->script_text) {
      fputs("Only one script can be given on the command line.\n", stderr);
      return -EINVAL;
    }
    o->script_text = optarg;
    return 0;
  case 'r':
    o->kernel_build_dir = optarg[0] == '/' ? optarg : NULL;
    o->kernel_release = optarg[0] == '/' ? NULL : optarg;
    return 0;
  case 'D':
    if (!define_ok(optarg)) return pattern_mismatch('D', optarg, "^[a-z_][a-z_0-9]*(=-?[a-z_0-9]+)?$");
    o->defines[o->ndefines++] = optarg;
    return parse_limit(o, optarg);
  case 'o': o->output_path = optarg; return 0;
  case 'G':
    if (!gvar_ok(optarg)) return pattern_mismatch('G', optarg, "^[a-z_][a-z0-9_]*=[a-z0-9_.-]+$");
    o->gvars[o->ngvars++] = optarg;
    return 0;
  case OPT_BACKEND: return parse_backend(optarg, "backend", &o->backend);
  case OPT_RUNTIME: return parse_backend(optarg, "runtime", &o->backend);
  case OPT_BPF: o->backend = CLI_BACKEND_BPF; return 0;
  case OPT_KFUNC_ATTACH: return parse_kfunc_attach(optarg, &o->kfunc_attach);
  case OPT_DYNINST: return parse_backend("dyninst", "runtime", &o->backend);
  case OPT_NO_GVAR_DISPLAY: o->no_global_var_display = true; return 0;
  case OPT_CLEAN_CACHE: o->clean_cache = true; return 0;
  case OPT_DISABLE_CACHE: o->cache = CLI_CACHE_OFF; return 0;
  case OPT_POISON_CACHE: o->cache = CLI_CACHE_POISON; return 0;
  case OPT_DUMP_IR: o->dump_ir = optarg ? optarg : ""; return 0;
  case OPT_DUMP_LLVM: o->dump_llvm = true; return 0;
  case OPT_DUMP_ASM: o->dump_asm = true; return 0;
  case 'm': return parse_module_name(optarg, &o->module_name);
  case 'T': return parse_seconds(optarg, &o->timeout_s);
  case 's': return parse_bufsize(optarg, &o->bufsize_mb);
  case 'c':
  case 'x': return parse_target(o, c, optarg);
  case OPT_LATER: return not_implemented_long(long_opts[longindex].name);
  case ':': report_missing_arg(argv); return -EINVAL;
  case '?': report_bad_option(argv); return -EINVAL;
  default:
    if (longindex >= 0) return not_implemented_long(long_opts[longindex].name); /* --interactive */
    if (strchr(later_short, c)) return not_implemented_short(c);
    report_bad_option(argv);
    return -EINVAL;
  }
}

/* Arrays for the repeatable options; argc bounds how many there can be. */
static int alloc_lists(CliOptions *o, int argc) {
  size_t n = (size_t)argc + 1;
  o->include_dirs = calloc(n, sizeof *o->include_dirs);
  o->defines = calloc(n, sizeof *o->defines);
  o->gvars = calloc(n, sizeof *o->gvars);
  if (!o->include_dirs || !o->defines || !o->gvars) {
    fprintf(stderr, "%s: %s\n", PROG, strerror(ENOMEM));
    return -ENOMEM;
  }
  return 0;
}

int cli_options_parse(CliOptions *o, int argc, char **argv) {
  memset(o, 0, sizeof *o);
  o->last_pass = CLI_PASS_RUN;
  o->backend = CLI_BACKEND_BPF;
  if (uname(&o->uts) != 0) {
    strcpy(o->uts.release, "unknown");
    strcpy(o->uts.machine, "unknown");
  }
  int rc = alloc_lists(o, argc);
  if (rc) return rc;

  opterr = 0;
  optind = 1;
  for (;;) {
    int longindex = -1;
    int c = getopt_long(argc, argv, short_opts, long_opts, &longindex);
    if (c == -1) break;
    rc = take_option(o, c, longindex, argv);
    if (rc) return rc;
    /* stap acts on --help and --version as soon as it sees them. */
    if (o->show_help || o->show_version || o->clean_cache) return 0;
  }

  if (!o->script_text) {
    if (optind >= argc) {
      fputs("A script must be specified.\n", stderr);
      hint();
      return -EINVAL;
    }
    o->script_path = argv[optind++];
  }
  o->args = (const char *const *)argv + optind;
  o->nargs = argc - optind;
  if (o->list) o->last_pass = CLI_PASS_ELABORATE; /* whatever -p said */
  return apply_defaults(o);
}

void cli_options_free(CliOptions *o) {
  free(o->include_dirs);
  free(o->defines);
  free(o->gvars);
  free(o->list_script);
  o->include_dirs = o->defines = o->gvars = NULL;
  o->list_script = NULL;
}

const char *cli_backend_runtime(CliBackend b) {
  return b == CLI_BACKEND_KMOD ? "kernel" : "bpf";
}

/* ---- the tapset library ----------------------------------------------------------- */

static bool is_dir(const char *p) {
  struct stat st;
  return p && *p && stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

/* Is `path` (already resolved) inside directory `dir`? */
static bool path_under(const char *path, const char *dir) {
  if (!*dir) return false;
  char buf[PATH_MAX];
  const char *d = realpath(dir, buf) ? buf : dir;
  size_t n = strlen(d);
  while (n > 1 && d[n - 1] == '/') n--;
  if (n == 1 && d[0] == '/') return true;
  return strncmp(path, d, n) == 0 && path[n] == '/';
}

bool cli_is_installed(void) {
  char exe[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return false;
  exe[n] = '\0';
  /* A build tree inside the install prefix is still a build tree. */
  return path_under(exe, STAPJIT_INSTALL_PREFIX) && !path_under(exe, STAPJIT_BUILD_DIR);
}

const char *cli_tapset_dir(void) {
  const char *env = getenv("STAPJIT_TAPSET_DIR");
  if (env && *env) return env;
  const char *inst = STAPJIT_TAPSET_INSTALL_DIR, *src = STAPJIT_TAPSET_SOURCE_DIR;
  bool installed = cli_is_installed();
  if (installed && is_dir(inst)) return inst;
  if (is_dir(src)) return src;
  if (is_dir(inst)) return inst;
  return NULL;
}

/* ---- --help and --version ---------------------------------------------------------- */

void cli_print_version(FILE *out) {
  fputs(PROG " (SystemTap-compatible) translator/driver version " STAPJIT_VERSION "\n"
             "License GPL-2.0-or-later: this is free software; see the source for copying "
             "conditions.\n",
        out);
}

void cli_print_usage(FILE *out) {
  struct utsname u;
  if (uname(&u) != 0) {
    strcpy(u.release, "unknown");
    strcpy(u.machine, "unknown");
  }
  const char *tapsets = cli_tapset_dir();
  cli_print_version(out);
  fprintf(out,
          "\n"
          "Usage: " PROG " [options] FILE [ARGS...]         Run script in file.\n"
          "   or: " PROG " [options] - [ARGS...]            Run script on stdin.\n"
          "   or: " PROG " [options] -e SCRIPT [ARGS...]    Run given script.\n"
          "   or: " PROG " [options] -l PROBE               List matching probes.\n"
          "   or: " PROG " [options] -L PROBE               List matching probes and local variables.\n"
          "\n"
          "Options (only before the script; ARGS become $1, @1, ...):\n"
          "   --         end of translator options, script options follow\n"
          "   -h --help  show help\n"
          "   -V --version\n"
          "              show version\n"
          "   -p NUM     stop after pass NUM 1-5, instead of 5\n"
          "              (parse, elaborate, translate, compile, run)\n"
          "   -l PROBE   just list probe points matching PROBE (wildcards allowed)\n"
          "   -L PROBE   just list probe points and script/target variables\n"
          "   -o FILE    send the script's output to FILE\n"
          "   -c CMD     start the probes, run CMD, and exit when it finishes\n"
          "   -x PID     sets target() to PID\n"
          "   -T SECONDS end the session after SECONDS\n"
          "   -s NUM     the kernel probes' output buffer: NUM megabytes\n"
          "   -v         add verbosity to all passes\n"
          "   -u         unoptimized translation\n"
          "   -w         suppress warnings\n"
          "   -g         guru mode\n"
          "   -I DIR     look in DIR for additional .stp script files, in addition to\n"
          "              %s\n"
          "   -D NM=VAL  set a limit: MAXSTRINGLEN, MAXACTION, MAXACTION_INTERRUPTIBLE,\n"
          "              MAXMAPENTRIES, MAXNESTING, MAXERRORS, MAXSKIPPED, HIST_ELISION,\n"
          "              HIST_WIDTH\n"
          "   -G VAR=VAL set global variable to value\n"
          "   -r RELEASE build for kernel RELEASE, instead of %s\n"
          "   -r /DIR    build for the kernel build tree DIR\n"
          "   -a ARCH    build for architecture ARCH, instead of %s\n"
          "   --backend=bpf|kmod\n"
          "              the backend of passes 4 and 5, instead of bpf\n"
          "   --runtime=bpf|kernel\n"
          "              the same, in SystemTap's spelling\n"
          "   --bpf      shorthand for --backend=bpf\n"
          "   --kfunc-attach=auto|kprobe|fentry\n"
          "              how kernel.function probes attach on the bpf backend: auto\n"
          "              (fentry/fexit for exact names where the kernel offers them,\n"
          "              else kprobes), or one method for all\n"
          "   --no-global-var-display\n"
          "              do not print the unread global variables at the end\n"
          "   --dump-ir[=PASS]\n"
          "              print the IR after PASS (or every pass: all; default: the\n"
          "              final IR) on stdout\n"
          "\n"
          "Environment:\n"
          "   STAPJIT_TAPSET_DIR  the tapset library to use instead of the above\n"
          "\n"
          "stap's options that stapjit does not implement yet (-k, -t, -d,\n"
          "--ldd, ...) are refused with a message.\n",
          tapsets ? tapsets : "(no tapset library found)", u.release, normalize_machine(u.machine));
}

/* cli.h: the driver's internal contract between main.c (pass sequencing),
 * options.c (the stap command line) and kconfig.c (kernel configuration).
 *
 * Nothing outside cli/ includes this header; the driver's only public face
 * is its command line.  It declares no compiler types: the front end's are
 * in frontend.h and the driver fills FeOptions from a CliOptions.
 */
#ifndef STAPJIT_CLI_H
#define STAPJIT_CLI_H

#include "bpfgen.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/utsname.h>

/* ---- options (options.c) ------------------------------------------------- */

typedef enum CliBackend {
  CLI_BACKEND_BPF,  /* --backend=bpf, --runtime=bpf, --bpf (the default) */
  CLI_BACKEND_KMOD, /* --backend=kmod, --runtime=kernel */
} CliBackend;

/* The -D limits stapjit knows (stap passes -D to its C compiler; stapjit
 * compiles no C, so only these names mean something and others are refused). */
typedef enum CliLimit {
  CLI_MAXSTRINGLEN,
  CLI_MAXACTION,
  CLI_MAXACTION_INTERRUPTIBLE,
  CLI_MAXMAPENTRIES,
  CLI_MAXNESTING,
  CLI_MAXERRORS,
  CLI_MAXSKIPPED,
  CLI_HIST_ELISION,
  CLI_HIST_WIDTH,
  CLI_NLIMITS
} CliLimit;

/* The name of a limit ("MAXACTION"). */
const char *cli_limit_name(CliLimit l);

/* Passes as stap numbers them; CLI_PASS_RUN is what no -p means. */
enum { CLI_PASS_PARSE = 1, CLI_PASS_ELABORATE, CLI_PASS_TRANSLATE, CLI_PASS_COMPILE, CLI_PASS_RUN };

/* The cache of compiled objects (cache.c). */
typedef enum CliCacheMode {
  CLI_CACHE_ON,      /* read and write */
  CLI_CACHE_OFF,     /* --disable-cache: neither */
  CLI_CACHE_POISON,  /* --poison-cache: write, never read */
} CliCacheMode;

/* -l and -L (list.c). */
typedef enum CliList {
  CLI_LIST_NONE,
  CLI_LIST_POINTS, /* -l PROBE: the matching probe points */
  CLI_LIST_VARS,   /* -L PROBE: the same with their variables */
} CliList;

typedef struct CliOptions {
  int last_pass;                /* -p NUM: 1..5; CLI_PASS_RUN by default */
  CliList list;                 /* -l/-L PROBE: list instead of running (passes 1 and 2 only) */
  const char *list_probe;       /* ... PROBE as given */
  char *list_script;            /* ... "probe PROBE {}" (malloc'd), which script_text points to */
  int verbose;                  /* number of -v */
  const char *script_text;      /* -e SCRIPT, or NULL */
  const char *script_path;      /* FILE or "-" (stdin); NULL with -e */
  const char *const *args;      /* script arguments ($1, @1, ...): points into argv */
  int nargs;
  const char **include_dirs;    /* -I DIR, in order (malloc'd array of argv strings) */
  int ninclude;
  const char **defines;         /* -D NAME[=VALUE], validated, kept for passes 3-5 */
  int ndefines;
  int64_t limit[CLI_NLIMITS];   /* -D NAME=VALUE of a known limit ... */
  bool limit_set[CLI_NLIMITS];  /* ... when given */
  const char **gvars;           /* -G NAME=VALUE, validated */
  int ngvars;
  bool guru;                    /* -g */
  bool unoptimized;             /* -u */
  bool warnings_off;            /* -w */
  const char *output_path;      /* -o FILE: where the script's output goes, or NULL (stdout) */
  bool no_global_var_display;   /* --no-global-var-display */
  CliCacheMode cache;           /* --disable-cache, --poison-cache (cache.c) */
  bool clean_cache;             /* --clean-cache: prune the cache and exit */
  const char *dump_ir;          /* --dump-ir[=PASS]: a pass name, "all", "" (the final IR), or NULL */
  bool dump_llvm;               /* --dump-llvm: print the LLVM IR of the kernel probes */
  bool dump_asm;                /* --dump-asm: print their BPF assembly */
  BpfKfuncAttach kfunc_attach;  /* --kfunc-attach=auto|kprobe|fentry (bpfgen.h) */
  const char *module_name;      /* -m NAME: the object's name, or NULL */
  double timeout_s;             /* -T SECONDS, or 0 */
  int bufsize_mb;               /* -s NUM, or 0 */
  const char *target_cmd;       /* -c CMD, or NULL */
  int target_pid;               /* -x PID, or 0 */
  CliBackend backend;
  const char *kernel_release;   /* -r RELEASE, the build tree's release, or uname -r */
  const char *kernel_build_dir; /* -r /DIR, else NULL */
  const char *arch;             /* -a ARCH as given, or the normalised uname -m */
  bool show_help;               /* -h/--help seen: print usage, exit 0 */
  bool show_version;            /* -V/--version seen: print version, exit 0 */
  struct utsname uts;           /* the running kernel (owns the default strings) */
  char release_buf[256];        /* kernel release read from -r /DIR */
} CliOptions;

/* Parses argv the way stap does: options only before the script (FILE, "-"
 * or -e SCRIPT), everything after it is a script argument.  Fills *o, with
 * defaults for what was not given.  Returns 0, or -EINVAL (or another -errno)
 * after printing a stap-like message and, for usage errors, the "Try
 * '--help'" hint on stderr.  On 0 the caller checks show_help/show_version
 * first.  Call cli_options_free in either case. */
int cli_options_parse(CliOptions *o, int argc, char **argv);
void cli_options_free(CliOptions *o);

void cli_print_usage(FILE *out);
void cli_print_version(FILE *out);

/* The tapset library directory: $STAPJIT_TAPSET_DIR if set; else the
 * installed library when this executable is the installed one; else the
 * source tree's tapsets/; else the installed one.  NULL if none exists.
 * The string has static storage (or is the environment's). */
const char *cli_tapset_dir(void);

/* The runtime name the front end's `runtime` condition sees. */
const char *cli_backend_runtime(CliBackend b);

/* ---- kernel configuration (kconfig.c) ------------------------------------- */

/* One kernel's CONFIG_* settings, read lazily on the first lookup from
 * build_dir/.config when a build tree was given, else /boot/config-RELEASE,
 * /lib/modules/RELEASE/build/.config, and /proc/config.gz when RELEASE is the
 * running kernel.  Owns copies of its arguments and the file's text. */
typedef struct CliKconfig CliKconfig;

/* Returns a new lookup context, or NULL with errno set (out of memory). */
CliKconfig *cli_kconfig_new(const char *release, const char *build_dir);
void cli_kconfig_free(CliKconfig *k);

/* An FeKconfigFn: ctx is a CliKconfig.  name is "CONFIG_X" (or "X").
 * Returns the value as written in the file ("y", "m", "42", "\"str\"") or
 * NULL when the option is not set or no configuration file was found.  The
 * string lives as long as the context. */
const char *cli_kconfig_lookup(void *ctx, const char *name);

/* The file the settings came from, or NULL if none was found or none has
 * been looked up yet. */
const char *cli_kconfig_source(const CliKconfig *k);

/* list.c: -l and -L, after passes 1 and 2 ran on o->list_script (with
 * o->unoptimized, so that every derived probe and alias variable is kept):
 * prints on stdout, sorted and without repeats, the probe points that the
 * script's probe resolved to, expanding kernel.trace globs from tracefs and
 * kernel.function / kprobe.function globs from BTF and kallsyms, and with
 * -L each point's variables.  Problems that keep a point from being listed
 * at all (no tracefs, no BTF, a pattern BTF cannot answer) are added to
 * s->diag for the driver to print.  Returns 0 when at least one point was
 * printed and nothing was reported, else -1. */
struct FeSession;
int cli_list(struct FeSession *s, const CliOptions *o);

/* syscalls.c: tapset text with the syscall.NAME[.return] aliases of the
 * syscalls matching any of the globs, from the running kernel's tracepoints;
 * *count gets how many.  malloc'd; NULL with errno when tracefs cannot be
 * read. */
char *cli_syscall_tapset(const char *const *patterns, int npatterns, int *count);

/* Whether this binary is the installed one (not a build tree's). */
bool cli_is_installed(void);

/* bpfgen.c: pass 4's code generator, loaded when first needed from its
 * module (libstapjit-bpfgen.so), so that runs without kernel probes never
 * load LLVM.  Returns bpfgen_compile's result, or -1 with a diagnostic
 * when the module cannot be loaded. */
int cli_bpfgen_compile(const IrModule *m, const BpfLayout *l, const BpfGenOptions *o, BpfObjectImage *img,
                       DiagList *diag);
/* The same through the cache of compiled objects (cache.c): *cached names
 * the file a hit came from ("" when compiled). */
int cli_bpfgen_compile_cached(const IrModule *m, const BpfLayout *l, const BpfGenOptions *o, CliCacheMode mode,
                              BpfObjectImage *img, char *cached, size_t len, DiagList *diag);

/* ---- cache.c: compiled objects kept between runs ---------------------------------------- */

int cli_cache_dir(char *buf, size_t len); /* $SYSTEMTAP_DIR/cache/stapjit */
/* A regular file's bytes, malloc'd (object.c).  0 or -errno. */
int cli_read_file(const char *path, void **data, size_t *size);
/* The object's name: a hash of what the generator's output depends on. */
int cli_cache_key(const IrModule *m, const BpfGenOptions *go, const char *genpath, char key[33]);
int cli_cache_get(const char *key, BpfObjectImage *img, char *path, size_t len); /* 0, or -errno (a miss) */
int cli_cache_put(const char *key, const BpfObjectImage *img); /* then prunes to the size limit */
int cli_cache_clean(void); /* --clean-cache: prune to cache_mb_limit */

#endif

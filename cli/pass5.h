/* pass5.h: what stapjit and stapjit-run share: pass 5 (a session of the
 * module, its kernel probes loaded from a BPF object) and saved objects
 * (-p4 writes one, stapjit-run reads it back).
 *
 * Internal to cli/, like cli.h; unlike cli.h it speaks the compiler's types
 * (IR module, BPF layout, diagnostics), and nothing here touches the front
 * end or LLVM: stapjit-run links pass5.c and object.c without them.
 */
#ifndef STAPJIT_PASS5_H
#define STAPJIT_PASS5_H

#include "bpfload.h"
#include "cli.h"
#include "ir.h"

#include <stdio.h>

/* ---- pass 5 (pass5.c) ------------------------------------------------------ */

/* The -D limit l of o, or dflt when it was not given. */
int64_t cli_limit_or(const CliOptions *o, CliLimit l, int64_t dflt);

/* Sets the runtime's limits (rt_limits_set) from o's -D, before anything of
 * the runtime is created. */
void cli_set_rt_limits(const CliOptions *o);

/* Prints the diagnostics of d after *mark (NULL: all of them) on stderr and
 * moves the mark past them. */
void cli_print_diags(const DiagList *d, const Diag **mark);

/* Pass 5 of m as stap runs it: starts -c's command (or takes -x's process),
 * loads the BPF object elf (size bytes, built from m with layout l; NULL
 * when m has no kernel probes), then runs the session (ir_run_session) with
 * o's limits, -G values, -o, -T, -s, -v and --no-global-var-display.  prog names the program in messages
 * ("stapjit"). Diagnostics go to diag and are printed from *mark.  Returns 0, or -1 after printing why
 * (stap's "Pass 5: run failed" line included). */
int cli_run_pass5(const char *prog, const CliOptions *o, const IrModule *m, const BpfLayout *l,
                  const void *elf, size_t size, DiagList *diag, const Diag **mark);

/* ---- saved objects (object.c) ---------------------------------------------- */

/* -p4: writes NAME.bpf.o (-m NAME, else stap_bpf) in the current directory:
 * the object elf with what stapjit-run needs to run it (bobj_pack): m's IR
 * text, the source files its locations name (from m->src), and o's settings
 * for pass 5 (-D limits, -G values, --no-global-var-display).  Prints the
 * path on stdout.  Returns 0, or -1 after printing why. */
int cli_object_write(const CliOptions *o, const IrModule *m, const void *elf, size_t size);

/* A saved object read back: its bytes, the module parsed from its IR text
 * (its locations naming the source files in src), and its settings applied
 * to a CliOptions.  Owns everything; cli_object_free releases it. */
typedef struct CliObject {
  void *data; /* the file (given to libbpf as it is) */
  size_t size;
  BobjInfo info; /* points into data */
  Arena *arena;  /* src, diag and the settings' strings */
  SrcSet src;
  DiagList diag;
  IrModule *m;
  const char **gvars; /* the -G values it was compiled with (arena) */
  int ngvars;
} CliObject;

/* Reads path into obj and applies its settings to o (limits and
 * no_global_var_display; o->gvars is left to the caller, obj->gvars has the
 * compile-time values).  Returns 0, or -1 after printing why on stderr
 * (prefixed "prog: path: "); obj is then released already. */
int cli_object_read(const char *prog, const char *path, CliObject *obj, CliOptions *o);
void cli_object_free(CliObject *obj);

#endif

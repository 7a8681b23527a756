/* bpfgen.c: the code generator, loaded on demand.
 *
 * LLVM is a large shared library whose loading and static constructors cost
 * a process tens of milliseconds; stapjit runs that never reach pass 4 with
 * kernel probes (-p1..-p3, scripts with only begin/end probes) should not
 * pay it.  So the generator is a module, libstapjit-bpfgen.so, opened here
 * the first time it is needed: $STAPJIT_BPFGEN_MODULE if set, else the
 * installed one for an installed stapjit, else the build tree's.  The
 * module keeps its own copy of the runtime's limits: they travel in
 * BpfGenOptions.limits.
 */
#include "cli.h"

#include <dlfcn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

typedef int (*CompileFn)(const IrModule *, const BpfLayout *, const BpfGenOptions *, BpfObjectImage *, DiagList *);

static const char *module_path(void) {
  const char *env = getenv("STAPJIT_BPFGEN_MODULE");
  return env && *env ? env : cli_is_installed() ? STAPJIT_BPFGEN_INSTALL_PATH : STAPJIT_BPFGEN_BUILD_PATH;
}

static CompileFn load(DiagList *diag) {
  static CompileFn fn;
  if (fn) return fn;
  const char *path = module_path();
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    diag_error(diag, (SrcLoc){0, 0, 0}, "cannot load the BPF code generator: %s", dlerror());
    return NULL;
  }
  fn = (CompileFn)dlsym(h, "bpfgen_compile");
  if (!fn) diag_error(diag, (SrcLoc){0, 0, 0}, "%s has no bpfgen_compile: %s", path, dlerror());
  return fn;
}

int cli_bpfgen_compile(const IrModule *m, const BpfLayout *l, const BpfGenOptions *o, BpfObjectImage *img,
                       DiagList *diag) {
  CompileFn fn = load(diag);
  return fn ? fn(m, l, o, img, diag) : -1;
}

int cli_bpfgen_compile_cached(const IrModule *m, const BpfLayout *l, const BpfGenOptions *o, CliCacheMode mode,
                              BpfObjectImage *img, char *cached, size_t len, DiagList *diag) {
  char key[33];
  cached[0] = '\0';
  /* the dumps are made while compiling: those runs compile */
  bool keyed = mode != CLI_CACHE_OFF && !o->dump_llvm && !o->dump_asm && cli_cache_key(m, o, module_path(), key) == 0;
  if (keyed && mode == CLI_CACHE_ON && cli_cache_get(key, img, cached, len) == 0) return 0;
  cached[0] = '\0';
  int rc = cli_bpfgen_compile(m, l, o, img, diag);
  if (rc == 0 && keyed) (void)cli_cache_put(key, img); /* a cache that cannot be written is no error */
  return rc;
}

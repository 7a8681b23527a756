/* object.c: the driver's side of saved objects: what `stapjit -p4` puts in
 * the object besides the programs, and what stapjit-run makes of it again.
 *
 * The bytes are backend-bpf/object.c's (bobj_pack, bobj_unpack).  What goes
 * in is decided here: the module's IR text; the source files its locations
 * name (the user's script and the library files whose code it kept), so that
 * runtime errors quote "near identifier 'x' at t.stp:3:9" on any machine;
 * and the command-line settings pass 5 depends on, spelled as the options
 * they came from:
 *   -DNAME=VALUE               a -D limit (MAXACTION, MAXERRORS, ...)
 *   -GNAME=VALUE               a -G value, the default stapjit-run starts from
 *   --no-global-var-display
 * Options of the run itself (-o, -T, -s, -v) are stapjit-run's to give.
 */
#include "pass5.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef STAPJIT_VERSION
#define STAPJIT_VERSION "0.0.0"
#endif

/* ---- writing ---------------------------------------------------------------------- */

static void mark_loc(bool *used, uint32_t n, SrcLoc loc) {
  if (loc.file && loc.file < n) used[loc.file] = true;
}

/* Which files of m->src the module's locations name. */
static bool *files_used(const IrModule *m, uint32_t n) {
  bool *used = calloc(n ? n : 1, sizeof *used);
  if (!used) return NULL;
  for (int k = 0; k < m->nglobals; k++) mark_loc(used, n, m->globals[k]->loc);
  for (int k = 0; k < m->nfuncs; k++) {
    const IrFunc *f = m->funcs[k];
    mark_loc(used, n, f->loc);
    for (int b = 0; b < f->nblocks; b++)
      for (const IrInst *i = f->blocks[b]->first; i; i = i->next) mark_loc(used, n, i->loc);
  }
  return used;
}

static char *module_text(const IrModule *m, size_t *len) {
  char *text = NULL;
  FILE *f = open_memstream(&text, len);
  if (!f) return NULL;
  ir_print_module(f, m);
  if (fclose(f) != 0) {
    free(text);
    return NULL;
  }
  return text;
}

/* The settings as option spellings, in arena a. */
static const char **settings_of(const CliOptions *o, Arena *a, int *n) {
  const char **v = arena_alloc(a, sizeof *v * (size_t)(CLI_NLIMITS + o->ngvars + 1));
  *n = 0;
  for (int l = 0; l < CLI_NLIMITS; l++)
    if (o->limit_set[l])
      v[(*n)++] = arena_printf(a, "-D%s=%lld", cli_limit_name((CliLimit)l), (long long)o->limit[l]);
  for (int k = 0; k < o->ngvars; k++) v[(*n)++] = arena_printf(a, "-G%s", o->gvars[k]);
  if (o->no_global_var_display) v[(*n)++] = "--no-global-var-display";
  return v;
}

static int write_file(const char *path, const void *data, size_t size) {
  FILE *f = fopen(path, "wb");
  if (!f) return -errno;
  int rc = fwrite(data, 1, size, f) == size ? 0 : -errno;
  if (fclose(f) != 0 && !rc) rc = -errno;
  return rc;
}

int cli_object_write(const CliOptions *o, const IrModule *m, const void *elf, size_t size) {
  char path[300];
  snprintf(path, sizeof path, "%s.bpf.o", o->module_name ? o->module_name : "stap_bpf");
  uint32_t nfiles = m->src ? m->src->n : 0;
  Arena *a = arena_new();
  size_t ir_len = 0;
  char *ir = module_text(m, &ir_len);
  bool *used = files_used(m, nfiles);
  BobjInfo info = {.producer = "stapjit " STAPJIT_VERSION, .ir = ir, .ir_len = ir_len};
  info.sources = arena_alloc(a, sizeof *info.sources * (nfiles ? nfiles : 1));
  for (uint32_t k = 1; used && k < nfiles; k++) {
    const SrcFile *f = srcset_get(m->src, k);
    if (used[k] && f) info.sources[info.nsources++] = (BobjSource){f->path, f->text, f->len};
  }
  info.settings = settings_of(o, a, &info.nsettings);
  void *obj = NULL;
  size_t obj_size = 0;
  int rc = ir && used ? bobj_pack(elf, size, &info, &obj, &obj_size) : -ENOMEM;
  if (!rc) rc = write_file(path, obj, obj_size);
  if (rc)
    fprintf(stderr, "stapjit: cannot write %s: %s\n", path, strerror(-rc));
  else
    printf("%s\n", path);
  free(obj);
  free(used);
  free(ir);
  arena_free(a);
  return rc ? -1 : 0;
}

/* ---- reading ---------------------------------------------------------------------- */

void cli_object_free(CliObject *obj) {
  if (!obj) return;
  if (obj->m) ir_module_free(obj->m);
  bobj_info_free(&obj->info);
  if (obj->arena) arena_free(obj->arena);
  free(obj->data);
  memset(obj, 0, sizeof *obj);
}

int cli_read_file(const char *path, void **data, size_t *size) {
  FILE *f = fopen(path, "rb");
  if (!f) return -errno;
  struct stat st;
  int rc = fstat(fileno(f), &st) ? -errno : S_ISREG(st.st_mode) ? 0 : -EINVAL;
  char *buf = rc ? NULL : malloc((size_t)st.st_size + 1);
  if (!rc && !buf) rc = -ENOMEM;
  if (!rc && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) rc = ferror(f) ? -EIO : -EINVAL;
  fclose(f);
  if (rc) {
    free(buf);
    return rc;
  }
  *data = buf;
  *size = (size_t)st.st_size;
  return 0;
}

/* One setting (an option spelling, as settings_of wrote it) into o and obj. */
static int apply_setting(CliObject *obj, CliOptions *o, const char *s, int *cap_gvars) {
  if (!strcmp(s, "--no-global-var-display")) {
    o->no_global_var_display = true;
    return 0;
  }
  if (!strncmp(s, "-G", 2) && strchr(s, '=')) {
    if (obj->ngvars == *cap_gvars) {
      int nc = *cap_gvars ? *cap_gvars * 2 : 8;
      obj->gvars = arena_realloc(obj->arena, obj->gvars, sizeof *obj->gvars * (size_t)*cap_gvars,
                                 sizeof *obj->gvars * (size_t)nc);
      *cap_gvars = nc;
    }
    obj->gvars[obj->ngvars++] = s + 2;
    return 0;
  }
  if (strncmp(s, "-D", 2) != 0) return -EINVAL;
  size_t n = strcspn(s + 2, "=");
  for (int l = 0; l < CLI_NLIMITS; l++) {
    const char *name = cli_limit_name((CliLimit)l);
    if (strlen(name) != n || strncmp(name, s + 2, n) != 0 || s[2 + n] != '=') continue;
    char *end;
    errno = 0;
    long long v = strtoll(s + 3 + n, &end, 10);
    if (errno || *end || end == s + 3 + n) return -EINVAL;
    o->limit[l] = v;
    o->limit_set[l] = true;
    return 0;
  }
  return -EINVAL;
}

static int read_failed(const char *prog, const char *path, CliObject *obj, const char *fmt,
                       const char *what) {
  fprintf(stderr, "%s: %s: ", prog, path);
  fprintf(stderr, fmt, what);
  fputc('\n', stderr);
  cli_object_free(obj);
  return -1;
}

int cli_object_read(const char *prog, const char *path, CliObject *obj, CliOptions *o) {
  memset(obj, 0, sizeof *obj);
  int rc = cli_read_file(path, &obj->data, &obj->size);
  if (rc) return read_failed(prog, path, obj, "%s", rc == -EINVAL ? "not a regular file" : strerror(-rc));
  char err[512];
  if (bobj_unpack(obj->data, obj->size, &obj->info, err, sizeof err) != 0)
    return read_failed(prog, path, obj, "%s", err);
  obj->arena = arena_new();
  srcset_init(&obj->src, obj->arena);
  diag_init(&obj->diag, obj->arena, &obj->src);
  for (int k = 0; k < obj->info.nsources; k++) {
    const BobjSource *s = &obj->info.sources[k];
    srcset_add(&obj->src, s->path, s->text, s->len, 0);
  }
  int cap = 0;
  for (int k = 0; k < obj->info.nsettings; k++)
    if (apply_setting(obj, o, obj->info.settings[k], &cap) != 0)
      return read_failed(prog, path, obj, "it holds a setting this program does not know: '%s'",
                         obj->info.settings[k]);
  obj->m = ir_parse(obj->info.ir, obj->info.ir_len, &obj->src, &obj->diag);
  if (obj->m) ir_verify(obj->m, &obj->diag);
  if (!obj->m || obj->diag.nerrors) {
    diag_print(&obj->diag, stderr);
    return read_failed(prog, path, obj, "the IR of its script is malformed (written by %s)",
                       obj->info.producer);
  }
  return 0;
}

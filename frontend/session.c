/* session.c: a compilation session, and loading of the user script and the
 * tapset library.
 *
 * The library is parsed eagerly but used lazily: fe_load_tapsets parses every
 * .stpm (macros, first, so that every file can use them) and .stp file under
 * the tapset and -I directories; elaboration later decides which files the
 * script actually pulls in.  Subdirectories named for another architecture
 * or runtime are skipped, as stap does.
 */
#include "fe-int.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

FeSession *fe_session_new(const FeOptions *opt) {
  Arena *a = arena_new();
  FeSession *s = ARENA_NEW(a, FeSession);
  s->arena = a;
  size_t n = opt->sz < sizeof s->opt ? opt->sz : sizeof s->opt;
  memcpy(&s->opt, opt, n);
  s->opt.sz = sizeof s->opt;
  srcset_init(&s->src, a);
  diag_init(&s->diag, a, &s->src);
  return s;
}

void fe_session_free(FeSession *s) {
  if (s) arena_free(s->arena);
}

AstFile *fe_parse(FeSession *s, uint32_t src, bool is_tapset) {
  TokArray raw = {0}, toks = {0};
  int errors = s->diag.nerrors;
  lex_file(s, src, &raw);
  pp_run(s, &raw, &toks, is_tapset);
  if (s->diag.nerrors > errors) return NULL;
  return parse_file(s, src, &toks, is_tapset);
}

int fe_load_user(FeSession *s, const char *path_or_text, bool is_text) {
  uint32_t id;
  if (is_text) {
    id = srcset_add(&s->src, "<input>", path_or_text, strlen(path_or_text), 0);
  } else {
    id = srcset_read(&s->src, path_or_text, 0);
    if (!id) {
      diag_error(&s->diag, (SrcLoc){0, 0, 0}, "cannot read script '%s': %s", path_or_text, strerror(errno));
      return -1;
    }
  }
  s->user = fe_parse(s, id, false);
  return s->user ? 0 : -1;
}

int fe_load_tapset_text(FeSession *s, const char *name, const char *text) {
  uint32_t id = srcset_add(&s->src, name, text, strlen(text), 1);
  AstFile *f = fe_parse(s, id, true);
  if (!f) return -1;
  ptrvec_push(s->arena, &s->tapsets, f);
  return 0;
}

static const char *const other_dirs[] = {"i386", "x86_64", "ia64",  "ppc64",  "powerpc", "s390",   "arm",
                                         "arm64", "mips",  "riscv", "loongarch64", "bpf", "linux", "dyninst"};

static bool dir_skipped(const FeSession *s, const char *name) {
  const char *arch = s->opt.arch ? s->opt.arch : "";
  const char *rt = s->opt.runtime ? s->opt.runtime : "bpf";
  const char *rtdir = strcmp(rt, "kernel") ? rt : "linux";
  if (!strcmp(name, arch) || !strcmp(name, rtdir)) return false;
  for (size_t k = 0; k < sizeof other_dirs / sizeof other_dirs[0]; k++)
    if (!strcmp(name, other_dirs[k])) return true;
  return false;
}

static int path_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Collects .stp or .stpm paths (by suffix) under dir, recursively, sorted. */
static void scan_dir(FeSession *s, const char *dir, const char *suffix, PtrVec *out, int depth) {
  DIR *d = opendir(dir);
  if (!d || depth > 8) {
    if (d) closedir(d);
    return;
  }
  PtrVec here = {0};
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    char *path = arena_printf(s->arena, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) < 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (!dir_skipped(s, e->d_name)) scan_dir(s, path, suffix, out, depth + 1);
      continue;
    }
    size_t n = strlen(e->d_name), m = strlen(suffix);
    if (n > m && !strcmp(e->d_name + n - m, suffix)) ptrvec_push(s->arena, &here, path);
  }
  closedir(d);
  if (here.n) qsort(here.items, (size_t)here.n, sizeof(void *), path_cmp);
  for (int k = 0; k < here.n; k++) ptrvec_push(s->arena, out, here.items[k]);
}

int fe_load_macro_file(FeSession *s, const char *path) {
  int errors = s->diag.nerrors;
  uint32_t id = srcset_read(&s->src, path, 1);
  if (!id) {
    diag_error(&s->diag, (SrcLoc){0, 0, 0}, "cannot read '%s': %s", path, strerror(errno));
    return -1;
  }
  TokArray raw = {0};
  lex_file(s, id, &raw);
  pp_collect_macros(s, &raw);
  return s->diag.nerrors > errors ? -1 : 0;
}

int fe_load_tapsets(FeSession *s) {
  if (s->tapsets_loaded) return 0;
  s->tapsets_loaded = true;
  PtrVec dirs = {0}, macros = {0}, files = {0};
  if (s->opt.tapset_dir) ptrvec_push(s->arena, &dirs, (void *)s->opt.tapset_dir);
  for (int k = 0; k < s->opt.ninclude; k++) ptrvec_push(s->arena, &dirs, (void *)s->opt.include_dirs[k]);
  for (int k = 0; k < dirs.n; k++) {
    scan_dir(s, dirs.items[k], ".stpm", &macros, 0);
    scan_dir(s, dirs.items[k], ".stp", &files, 0);
  }
  int errors = s->diag.nerrors;
  for (int k = 0; k < macros.n; k++) fe_load_macro_file(s, macros.items[k]);
  for (int k = 0; k < files.n; k++) {
    uint32_t id = srcset_read(&s->src, files.items[k], 1);
    if (!id) {
      diag_error(&s->diag, (SrcLoc){0, 0, 0}, "cannot read '%s': %s", (char *)files.items[k], strerror(errno));
      continue;
    }
    AstFile *f = fe_parse(s, id, true);
    if (f) ptrvec_push(s->arena, &s->tapsets, f);
  }
  return s->diag.nerrors > errors ? -1 : 0;
}

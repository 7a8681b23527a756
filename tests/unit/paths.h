/* paths.h: sorted lists of the files under a directory, for the test
 * programs that walk script trees (corpus, roundtrip).  Header-only, like
 * check.h; the lists are malloc'd and freed with paths_free.
 */
#ifndef STAPJIT_TEST_PATHS_H
#define STAPJIT_TEST_PATHS_H

#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct Paths {
  char **v;
  int n, cap;
} Paths;

static bool has_suffix(const char *s, const char *suf) {
  size_t n = strlen(s), m = strlen(suf);
  return n > m && !strcmp(s + n - m, suf);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void collect(const char *dir, const char *suffix, Paths *out) {
  DIR *d = opendir(dir);
  if (!d) return;
  struct dirent *e;
  while ((e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    char *path = malloc(len);
    snprintf(path, len, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      collect(path, suffix, out);
      free(path);
    } else if (has_suffix(path, suffix)) {
      if (out->n == out->cap) {
        out->cap = out->cap ? out->cap * 2 : 64;
        out->v = realloc(out->v, sizeof(char *) * (size_t)out->cap);
      }
      out->v[out->n++] = path;
    } else {
      free(path);
    }
  }
  closedir(d);
}

/* Every file under dir (recursively) whose name ends in suffix, sorted. */
static Paths collect_sorted(const char *dir, const char *suffix) {
  Paths p = {0};
  collect(dir, suffix, &p);
  if (p.n) qsort(p.v, (size_t)p.n, sizeof *p.v, cmp_str);
  return p;
}

static void paths_free(Paths *p) {
  for (int k = 0; k < p->n; k++) free(p->v[k]);
  free(p->v);
}

#endif

/* corpus.c: parses SystemTap's own tapset library, every file of it.
 *
 * Debian's systemtap-common installs ~600 .stp/.stpm files under
 * /usr/share/systemtap/tapset (scripts/setup.sh installs it); they are the
 * largest body of real-world SystemTap code there is.  Every .stpm is loaded
 * first (its macros serve every file), then every .stp is parsed as a tapset
 * file for x86_64 and the kernel runtime, in all subdirectories (other
 * architectures' files must parse too: only pass 2 chooses between them).
 * Prints "parsed N of M SystemTap tapset files", each failure's diagnostics,
 * and exits non-zero if any file fails or the library is not there.
 *
 *   test_corpus [TAPSET_DIR]
 */
#include "frontend.h"
#include "../unit/paths.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define DEFAULT_DIR "/usr/share/systemtap/tapset"

/* Prints the diagnostics recorded after `after` (NULL: all). */
static void print_since(const FeSession *s, const Diag *after) {
  for (const Diag *g = after ? after->next : s->diag.head; g; g = g->next) {
    const SrcFile *f = srcset_get(&s->src, g->loc.file);
    printf("  %s:%u:%u: %s\n", f ? f->path : "?", g->loc.line, g->loc.col, g->msg);
  }
}

int main(int argc, char **argv) {
  const char *dir = argc > 1 ? argv[1] : DEFAULT_DIR;
  struct stat st;
  if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
    printf("FAIL: the SystemTap tapset library %s is missing: systemtap-common is not installed "
           "(run scripts/setup.sh, or apt-get install systemtap-common)\n",
           dir);
    printf("0 passed, 1 failed\n");
    return 1;
  }
  printf("tapset library: %s\n", dir);
  /* every .stpm first: their macros serve every .stp */
  Paths lists[2] = {collect_sorted(dir, ".stpm"), collect_sorted(dir, ".stp")};
  int n = lists[0].n + lists[1].n;

  FeOptions o = {.sz = sizeof o, .arch = "x86_64", .runtime = "kernel", .kernel_release = "6.1.0-28-amd64"};
  FeSession *s = fe_session_new(&o);
  s->diag.max_errors = 1 << 30; /* show every failure */
  int ok = 0, failed = 0;
  for (int pass = 0; pass < 2; pass++) {
    char **paths = lists[pass].v;
    for (int k = 0; k < lists[pass].n; k++) {
      bool macro = pass == 0;
      const Diag *mark = s->diag.tail;
      bool good;
      if (macro) {
        good = fe_load_macro_file(s, paths[k]) == 0;
      } else {
        uint32_t id = srcset_read(&s->src, paths[k], 1);
        if (!id) printf("FAIL: cannot read %s: %s\n", paths[k], strerror(errno));
        good = id && fe_parse(s, id, true) != NULL;
      }
      if (good) {
        ok++;
      } else {
        failed++;
        printf("FAIL: %s\n", paths[k]);
        print_since(s, mark);
      }
    }
  }
  printf("parsed %d of %d SystemTap tapset files\n", ok, n);
  if (n == 0) printf("FAIL: no .stp or .stpm files under %s\n", dir);
  printf("%d passed, %d failed\n", ok, failed + (n == 0));
  fe_session_free(s);
  paths_free(&lists[0]);
  paths_free(&lists[1]);
  return failed || n == 0 ? 1 : 0;
}

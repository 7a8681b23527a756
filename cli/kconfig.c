/* kconfig.c: the kernel's CONFIG_* settings for %( CONFIG_X == "y" %).
 *
 * The file is found and read on the first lookup, so scripts that never ask
 * cost nothing.  zlib reads /proc/config.gz and, transparently, the plain
 * .config files too.  A missing file is not an error here: every option then
 * reads as unset, as it would on a kernel built without it.  This file must
 * not print: it knows nothing of verbosity or diagnostics.
 */
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <zlib.h>

typedef struct KcEntry {
  const char *name;  /* "CONFIG_X", points into text */
  const char *value; /* as written after '=', points into text */
} KcEntry;

struct CliKconfig {
  char *release;   /* malloc'd copy, or NULL */
  char *build_dir; /* malloc'd copy, or NULL */
  bool loaded;     /* a load was attempted */
  char *source;    /* malloc'd path of the file read, NULL if none */
  char *text;      /* malloc'd file contents, split in place */
  KcEntry *ents;   /* malloc'd, sorted by name */
  size_t n;
};

static char *dup_or_null(const char *s) {
  return s ? strdup(s) : NULL;
}

CliKconfig *cli_kconfig_new(const char *release, const char *build_dir) {
  CliKconfig *k = calloc(1, sizeof *k);
  if (!k) return NULL;
  k->release = dup_or_null(release);
  k->build_dir = dup_or_null(build_dir);
  if ((release && !k->release) || (build_dir && !k->build_dir)) {
    cli_kconfig_free(k);
    errno = ENOMEM;
    return NULL;
  }
  return k;
}

void cli_kconfig_free(CliKconfig *k) {
  if (!k) return;
  free(k->release);
  free(k->build_dir);
  free(k->source);
  free(k->text);
  free(k->ents);
  free(k);
}

/* Reads a whole (possibly gzip'd) file.  Returns 0 with *out malloc'd and
 * NUL-terminated, or -errno. */
static int read_gz(const char *path, char **out) {
  gzFile g = gzopen(path, "rb");
  if (!g) return errno ? -errno : -ENOMEM;
  size_t len = 0, cap = 1 << 16;
  char *buf = malloc(cap);
  int rc = buf ? 0 : -ENOMEM;
  while (rc == 0) {
    if (cap - len < 4096) {
      char *nb = realloc(buf, cap * 2);
      if (!nb) {
        rc = -ENOMEM;
        break;
      }
      buf = nb;
      cap *= 2;
    }
    int n = gzread(g, buf + len, (unsigned)(cap - len - 1));
    if (n < 0) rc = -EIO;
    else if (n == 0) break;
    else len += (size_t)n;
  }
  gzclose(g);
  if (rc) {
    free(buf);
    return rc;
  }
  buf[len] = '\0';
  *out = buf;
  return 0;
}

static int entry_cmp(const void *a, const void *b) {
  return strcmp(((const KcEntry *)a)->name, ((const KcEntry *)b)->name);
}

/* Splits k->text into CONFIG_X=value entries; "# CONFIG_X is not set" and
 * other comments are skipped, so those options read as unset. */
static int index_text(CliKconfig *k) {
  size_t cap = 0;
  for (char *line = k->text; line && *line;) {
    char *nl = strchr(line, '\n');
    if (nl) *nl = '\0';
    char *eq = strchr(line, '=');
    if (strncmp(line, "CONFIG_", 7) == 0 && eq) {
      *eq = '\0';
      char *v = eq + 1;
      v[strcspn(v, "\r")] = '\0';
      if (k->n == cap) {
        cap = cap ? cap * 2 : 1024;
        KcEntry *ne = realloc(k->ents, cap * sizeof *ne);
        if (!ne) return -ENOMEM;
        k->ents = ne;
      }
      k->ents[k->n++] = (KcEntry){line, v};
    }
    line = nl ? nl + 1 : NULL;
  }
  if (k->n) qsort(k->ents, k->n, sizeof *k->ents, entry_cmp);
  return 0;
}

static bool is_running_kernel(const char *release) {
  struct utsname u;
  return release && uname(&u) == 0 && strcmp(u.release, release) == 0;
}

/* Tries the candidate files in order; the first that reads wins. */
static void load(CliKconfig *k) {
  char paths[3][PATH_MAX];
  int np = 0;
  k->loaded = true;
  if (k->build_dir) {
    snprintf(paths[np++], PATH_MAX, "%s/.config", k->build_dir);
  } else if (k->release) {
    snprintf(paths[np++], PATH_MAX, "/boot/config-%s", k->release);
    snprintf(paths[np++], PATH_MAX, "/lib/modules/%s/build/.config", k->release);
    if (is_running_kernel(k->release)) snprintf(paths[np++], PATH_MAX, "/proc/config.gz");
  }
  for (int i = 0; i < np; i++) {
    if (read_gz(paths[i], &k->text) != 0) continue;
    k->source = strdup(paths[i]);
    if (!k->source || index_text(k) != 0) {
      /* Out of memory: behave as if there were no file rather than half of one. */
      free(k->source);
      free(k->text);
      free(k->ents);
      k->source = k->text = NULL;
      k->ents = NULL;
      k->n = 0;
    }
    return;
  }
}

const char *cli_kconfig_lookup(void *ctx, const char *name) {
  CliKconfig *k = ctx;
  if (!k || !name) return NULL;
  if (!k->loaded) load(k);
  if (!k->n) return NULL;
  char buf[256];
  if (strncmp(name, "CONFIG_", 7) != 0) {
    if ((size_t)snprintf(buf, sizeof buf, "CONFIG_%s", name) >= sizeof buf) return NULL;
    name = buf;
  }
  KcEntry key = {name, NULL};
  const KcEntry *e = bsearch(&key, k->ents, k->n, sizeof *k->ents, entry_cmp);
  return e ? e->value : NULL;
}

const char *cli_kconfig_source(const CliKconfig *k) {
  return k ? k->source : NULL;
}

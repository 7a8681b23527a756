/* cache.c: compiled BPF objects kept between runs, as stap keeps modules.
 *
 * Pass 4 costs a run most of its start-up (loading LLVM, optimising,
 * emitting); a script run again unchanged needs none of it.  The object is
 * kept in $SYSTEMTAP_DIR/cache/stapjit (SYSTEMTAP_DIR defaults to
 * ~/.systemtap, stap's; the subdirectory keeps our files apart from stap's
 * own), named by a 128-bit hash of everything the generator's output
 * depends on:
 *   - this stapjit's version and the generator module's identity (inode,
 *     size, modification time), so a rebuilt generator misses;
 *   - the IR module as text (probes, globals, code, limits, formats) and
 *     every source file's path and text (the object's line info quotes the
 *     source);
 *   - the generator's options (-u, MAXACTION, MAXERRORS, the -D limits);
 *   - the running kernel (release, build version, machine): $field reads
 *     are compiled from its tracepoint formats.
 * --disable-cache neither reads nor writes the cache, --poison-cache
 * writes but does not read, --clean-cache prunes it and exits; stap's
 * options.  The size limit is stap's too: the file cache_mb_limit in the
 * cache directory (MiB; created with 256 when missing); after an object is
 * added the oldest are removed until the cache fits.  -v says which file a
 * run used ("Pass 4: using cached PATH").  Failures to write the cache are
 * not errors: the run goes on without it.
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

enum { CACHE_DEFAULT_MB = 256 };

typedef struct Hash {
  uint64_t a, b;
} Hash;

static void hash_bytes(Hash *h, const void *p, size_t n) {
  const unsigned char *s = p;
  for (size_t k = 0; k < n; k++) {
    h->a = (h->a ^ s[k]) * 0x100000001b3ull;
    h->b = (h->b ^ s[k]) * 0x100000001b3ull;
    h->b ^= h->b >> 29;
  }
}

static void hash_str(Hash *h, const char *s) { hash_bytes(h, s ? s : "", (s ? strlen(s) : 0) + 1); }

static void hash_i64(Hash *h, int64_t v) { hash_bytes(h, &v, sizeof v); }

int cli_cache_dir(char *buf, size_t len) {
  const char *base = getenv("SYSTEMTAP_DIR");
  int n;
  if (base && *base) {
    n = snprintf(buf, len, "%s/cache/stapjit", base);
  } else {
    const char *home = getenv("HOME");
    if (!home || !*home) return -ENOENT;
    n = snprintf(buf, len, "%s/.systemtap/cache/stapjit", home);
  }
  return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

int cli_cache_key(const IrModule *m, const BpfGenOptions *go, const char *genpath, char key[33]) {
  Hash h = {0xcbf29ce484222325ull, 0x84222325cbf29ce4ull};
  hash_str(&h, "stapjit " STAPJIT_VERSION);
  struct stat st;
  if (stat(genpath, &st) != 0) return -errno;
  hash_i64(&h, (int64_t)st.st_ino);
  hash_i64(&h, (int64_t)st.st_size);
  hash_i64(&h, (int64_t)st.st_mtim.tv_sec);
  hash_i64(&h, (int64_t)st.st_mtim.tv_nsec);
  char *text = NULL;
  size_t tlen = 0;
  FILE *f = open_memstream(&text, &tlen);
  if (!f) return -errno;
  ir_print_module(f, m);
  if (fclose(f) != 0) {
    free(text);
    return -EIO;
  }
  hash_bytes(&h, text, tlen);
  free(text);
  for (uint32_t k = 1; m->src && k < m->src->n; k++) {
    hash_str(&h, m->src->files[k]->path);
    hash_bytes(&h, m->src->files[k]->text, m->src->files[k]->len);
  }
  hash_i64(&h, go->optimize);
  hash_i64(&h, go->maxaction);
  hash_i64(&h, go->maxerrors);
  hash_i64(&h, go->kfunc_attach);
  hash_i64(&h, go->kfunc_attach == BPF_KFUNC_AUTO && bpf_caps_probe_kernel()->fentry); /* what auto chose */
  if (go->limits) hash_bytes(&h, go->limits, sizeof *go->limits);
  struct utsname u;
  if (uname(&u) == 0) {
    hash_str(&h, u.release);
    hash_str(&h, u.version);
    hash_str(&h, u.machine);
  }
  snprintf(key, 33, "%016llx%016llx", (unsigned long long)h.a, (unsigned long long)h.b);
  return 0;
}

static int object_path(char *buf, size_t len, const char *key) {
  char dir[4096];
  int rc = cli_cache_dir(dir, sizeof dir);
  if (rc) return rc;
  int n = snprintf(buf, len, "%s/stapjit_%s.bpf.o", dir, key);
  return n > 0 && (size_t)n < len ? 0 : -ENAMETOOLONG;
}

int cli_cache_get(const char *key, BpfObjectImage *img, char *path, size_t len) {
  int rc = object_path(path, len, key);
  if (rc) return rc;
  void *p;
  size_t got;
  if ((rc = cli_read_file(path, &p, &got)) != 0) return rc;
  if (!got) {
    free(p);
    return -EIO;
  }
  img->elf = p;
  img->size = got;
  (void)utimensat(AT_FDCWD, path, NULL, 0); /* recently used: pruned last */
  return 0;
}

static int mkdirs(const char *dir) {
  char buf[4096];
  snprintf(buf, sizeof buf, "%s", dir);
  for (char *s = buf + 1; *s; s++) {
    if (*s != '/') continue;
    *s = '\0';
    if (mkdir(buf, 0755) != 0 && errno != EEXIST) return -errno;
    *s = '/';
  }
  return mkdir(buf, 0755) != 0 && errno != EEXIST ? -errno : 0;
}

static int64_t limit_bytes(const char *dir) {
  char path[4200];
  snprintf(path, sizeof path, "%s/cache_mb_limit", dir);
  FILE *f = fopen(path, "r");
  long long mb = -1;
  if (f) {
    if (fscanf(f, "%lld", &mb) != 1) mb = -1;
    fclose(f);
  } else if ((f = fopen(path, "w"))) {
    fprintf(f, "%d\n", CACHE_DEFAULT_MB);
    fclose(f);
  }
  return (mb >= 0 ? mb : CACHE_DEFAULT_MB) * 1024 * 1024;
}

typedef struct Entry {
  char name[300];
  int64_t size;
  struct timespec mtime;
} Entry;

static int by_age(const void *a, const void *b) {
  const Entry *x = a, *y = b;
  if (x->mtime.tv_sec != y->mtime.tv_sec) return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
  return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : x->mtime.tv_nsec > y->mtime.tv_nsec;
}

int cli_cache_clean(void) {
  char dir[4096];
  int rc = cli_cache_dir(dir, sizeof dir);
  if (rc) return rc;
  DIR *d = opendir(dir);
  if (!d) return errno == ENOENT ? 0 : -errno;
  Entry *es = NULL;
  size_t n = 0, cap = 0;
  int64_t total = 0;
  struct dirent *de;
  while ((de = readdir(d))) {
    if (strncmp(de->d_name, "stapjit_", 8) != 0) continue;
    struct stat st;
    if (fstatat(dirfd(d), de->d_name, &st, 0) != 0 || !S_ISREG(st.st_mode)) continue;
    if (n == cap) {
      size_t nc = cap ? cap * 2 : 64;
      Entry *ne = realloc(es, sizeof *ne * nc);
      if (!ne) break;
      es = ne;
      cap = nc;
    }
    snprintf(es[n].name, sizeof es[n].name, "%s", de->d_name);
    es[n].size = (int64_t)st.st_size;
    es[n].mtime = st.st_mtim;
    total += es[n].size;
    n++;
  }
  int64_t limit = limit_bytes(dir);
  if (n) qsort(es, n, sizeof *es, by_age);
  for (size_t k = 0; k < n && total > limit; k++)
    if (unlinkat(dirfd(d), es[k].name, 0) == 0) total -= es[k].size;
  closedir(d);
  free(es);
  return 0;
}

int cli_cache_put(const char *key, const BpfObjectImage *img) {
  char dir[4096], path[4400], tmp[4500];
  int rc = cli_cache_dir(dir, sizeof dir);
  if (!rc) rc = mkdirs(dir);
  if (!rc) rc = object_path(path, sizeof path, key);
  if (rc) return rc;
  snprintf(tmp, sizeof tmp, "%s.%d.tmp", path, (int)getpid());
  int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return -errno;
  size_t done = 0;
  while (done < img->size) {
    ssize_t w = write(fd, (const char *)img->elf + done, img->size - done);
    if (w <= 0) break;
    done += (size_t)w;
  }
  if (close(fd) != 0 || done != img->size || rename(tmp, path) != 0) {
    unlink(tmp);
    return -EIO;
  }
  return cli_cache_clean();
}

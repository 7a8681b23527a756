/* test_ksym.c: kernel symbolisation (ksym.c).
 *
 * A small kallsyms-format file checks the table's rules exactly (aliases,
 * sizes, module boundaries, skipped symbols) and stap's formats, which come
 * from _stp_snprint_addr in stap 4.8's runtime/sym.c.  Then the live
 * /proc/kallsyms, cross-checked against a plain scan of the same file: the
 * live part needs root (kallsyms shows 0 addresses otherwise) and is skipped
 * without it.
 */
#include "../unit/check.h"
#include "runtime.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <unistd.h>

static RtBuf out = RT_BUF_INIT;

static const char *fmt(const RtKsyms *ks, uint64_t addr, int style) {
  rt_buf_truncate(&out, 0);
  CHECK_INT(rt_ksyms_format(&out, ks, addr, style), 0);
  return rt_buf_cstr(&out);
}

/* Writes text to a temporary file; returns its path (static). */
static const char *temp_file(const char *text) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/test_ksym.XXXXXX");
  int fd = mkstemp(path);
  if (fd < 0) return NULL;
  size_t n = strlen(text);
  if (write(fd, text, n) != (ssize_t)n) n = 0;
  close(fd);
  return path;
}

static const char fake[] = "0000000000000000 A fixed_percpu_data\n"
                           "ffffffff81000000 T _stext\n"
                           "a line that is not one\n"
                           "ffffffff81000000 T _text\n"
                           "ffffffff81000100 t helper\n"
                           "ffffffff81000180 D some_data\n"
                           "ffffffff81000180 T aliased_text\n"
                           "ffffffff81000200 T vfs_read\n"
                           "ffffffff81000320 T vfs_write\n"
                           "ffffffff81000400 a an_absolute\n"
                           "ffffffff81000480 R __stop_last\n"
                           "ffffffffc0001000 t ext4_fill_super\t[ext4]\n"
                           "ffffffffc0001200 T ext4_mount\t[ext4]\n"
                           "ffffffffc0002000 t xfs_init\t[xfs]\n"
                           "ffffffffc0003000 t .dot_func\t[sub/dir/mod]\n";

static void test_table(void) {
  check_context = "table";
  const char *path = temp_file(fake);
  RtKsyms *ks = rt_ksyms_load_path(path);
  unlink(path);
  CHECK(ks != NULL);
  if (!ks) return;
  /* A, a and the 0 address dropped; the two aliases each folded into one. */
  CHECK_INT(rt_ksyms_count(ks), 10);

  uint64_t off = 99;
  const char *mod = NULL;
  CHECK_STR(rt_ksyms_lookup(ks, 0xffffffff81000200, &off, &mod), "vfs_read");
  CHECK_INT(off, 0);
  CHECK_STR(mod, "kernel");
  CHECK_STR(rt_ksyms_lookup(ks, 0xffffffff8100031f, &off, &mod), "vfs_read");
  CHECK_INT(off, 0x11f);
  CHECK_STR(rt_ksyms_lookup(ks, 0xffffffff81000000, NULL, NULL), "_stext");       /* first of the aliases */
  CHECK_STR(rt_ksyms_lookup(ks, 0xffffffff81000180, NULL, NULL), "aliased_text"); /* text before data */
  /* The absolute symbol is no boundary: vfs_write runs to __stop_last. */
  RtKsym s;
  CHECK(rt_ksyms_find(ks, 0xffffffff81000400, &s));
  CHECK_STR(s.name, "vfs_write");
  CHECK_INT(s.size, 0x160);
  CHECK_INT(s.type, 'T');
  /* The kernel's last symbol has no size: only its own address is it. */
  CHECK_STR(rt_ksyms_lookup(ks, 0xffffffff81000480, NULL, NULL), "__stop_last");
  CHECK(rt_ksyms_lookup(ks, 0xffffffff81000481, NULL, NULL) == NULL);
  CHECK(rt_ksyms_lookup(ks, 0xffffffffa0000000, NULL, NULL) == NULL);
  /* Modules: sizes stop at the module's end. */
  CHECK_STR(rt_ksyms_lookup(ks, 0xffffffffc0001010, &off, &mod), "ext4_fill_super");
  CHECK_INT(off, 0x10);
  CHECK_STR(mod, "ext4");
  CHECK(rt_ksyms_find(ks, 0xffffffffc0001200, &s));
  CHECK_INT(s.size, 0);
  CHECK(rt_ksyms_lookup(ks, 0xffffffffc0001201, NULL, NULL) == NULL);
  CHECK_STR(rt_ksyms_lookup(ks, 0xffffffffc0002000, NULL, &mod), "xfs_init");
  CHECK_STR(mod, "xfs");
  /* Below the first symbol, and 0. */
  CHECK(rt_ksyms_lookup(ks, 0xffffffff80000000, NULL, NULL) == NULL);
  CHECK(rt_ksyms_lookup(ks, 0, NULL, NULL) == NULL);
  CHECK(rt_ksyms_lookup(NULL, 0xffffffff81000200, NULL, NULL) == NULL);

  check_context = "formats";
  uint64_t a = 0xffffffff81000210;
  CHECK_STR(fmt(ks, a, RT_SYM_HEX), "0xffffffff81000210 ");
  CHECK_STR(fmt(ks, a, RT_SYM_NAME), "vfs_read");
  CHECK_STR(fmt(ks, a, RT_SYM_DATA), "vfs_read+0x10/0x120 [kernel]");
  CHECK_STR(fmt(ks, a, RT_SYM_BACKTRACE), " 0xffffffff81000210 : vfs_read+0x10/0x120 [kernel]\n");
  CHECK_STR(fmt(ks, a, RT_SYM_SIMPLE), "vfs_read+0x10 [kernel]\n");
  CHECK_STR(fmt(ks, a, RT_SYM_BRIEF), "vfs_read+0x10\n");
  /* Offset 0 prints as stap's %#lx does: 0x0, not C's 0. */
  CHECK_STR(fmt(ks, 0xffffffff81000200, RT_SYM_DATA), "vfs_read+0x0/0x120 [kernel]");
  CHECK_STR(fmt(ks, 0xffffffff81000200, RT_SYM_BACKTRACE | RT_SYM_INEXACT),
            " 0xffffffff81000200 : vfs_read+0x0/0x120 [kernel] (inexact)\n");
  CHECK_STR(fmt(ks, 0xffffffffc0001010, RT_SYM_BACKTRACE),
            " 0xffffffffc0001010 : ext4_fill_super+0x10/0x200 [ext4]\n");
  /* Unknown addresses: hex with the style's spacing. */
  uint64_t u = 0xffffffffa0000000;
  CHECK_STR(fmt(ks, u, RT_SYM_NAME), "0xffffffffa0000000");
  CHECK_STR(fmt(ks, u, RT_SYM_DATA), "0xffffffffa0000000");
  CHECK_STR(fmt(ks, u, RT_SYM_BACKTRACE), " 0xffffffffa0000000\n");
  CHECK_STR(fmt(ks, u, RT_SYM_BACKTRACE | RT_SYM_INEXACT), " 0xffffffffa0000000 (inexact)\n");
  CHECK_STR(fmt(ks, u, RT_SYM_SIMPLE), "0xffffffffa0000000\n");
  CHECK_STR(fmt(ks, u, RT_SYM_HEX | RT_SYM_INEXACT), "0xffffffffa0000000 ");
  CHECK_STR(fmt(NULL, 0x1234, RT_SYM_NAME), "0x1234");
  CHECK_STR(fmt(ks, 0, RT_SYM_DATA), "0x0");
  /* Dot symbols lose the dot; SIMPLE shows the module's basename. */
  CHECK_STR(fmt(ks, 0xffffffffc0003000, RT_SYM_NAME), "dot_func");
  CHECK_STR(fmt(ks, 0xffffffffc0003000, RT_SYM_SIMPLE), "dot_func+0x0 [mod]\n");
  CHECK_STR(fmt(ks, 0xffffffffc0003000, RT_SYM_DATA), "dot_func+0x0/0x0 [sub/dir/mod]");
  rt_ksyms_free(ks);
}

static void test_load_errors(void) {
  check_context = "load errors";
  const char *path = temp_file("0000000000000000 T _stext\n0000000000000000 T vfs_read\n");
  errno = 0;
  CHECK(rt_ksyms_load_path(path) == NULL);
  CHECK_INT(errno, EACCES);
  unlink(path);
  path = temp_file("not kallsyms\n");
  errno = 0;
  CHECK(rt_ksyms_load_path(path) == NULL);
  CHECK_INT(errno, EINVAL);
  unlink(path);
  errno = 0;
  CHECK(rt_ksyms_load_path("/nonexistent/kallsyms") == NULL);
  CHECK_INT(errno, ENOENT);
  rt_ksyms_free(NULL);
}

/* The kernel symbol name's line in /proc/kallsyms: its address, and the
 * next higher kernel address (the symbol's end by our rule), found by a plain
 * scan.  Returns false if absent or aliased. */
static bool scan_kallsyms(const char *name, uint64_t *addr, uint64_t *next) {
  FILE *f = fopen("/proc/kallsyms", "r");
  if (!f) return false;
  char line[1024], sym[512], type;
  uint64_t a;
  *addr = 0;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "%" SCNx64 " %c %511s", &a, &type, sym) == 3 && !strcmp(sym, name) && !strchr(line, '['))
      *addr = a;
  rewind(f);
  int same = 0;
  *next = UINT64_MAX;
  while (*addr && fgets(line, sizeof line, f)) {
    if (sscanf(line, "%" SCNx64 " %c %511s", &a, &type, sym) != 3 || strchr(line, '[')) continue;
    if (type == 'a' || type == 'A' || type == 'U') continue;
    if (a == *addr) same++;
    if (a > *addr && a < *next) *next = a;
  }
  fclose(f);
  return *addr && same == 1 && *next != UINT64_MAX;
}

static void test_live(void) {
  check_context = "live /proc/kallsyms";
  uint64_t addr, next;
  if (geteuid() != 0) {
    printf("live kallsyms: skipped (not root)\n");
    return;
  }
  const char *name = "vfs_read";
  if (!scan_kallsyms(name, &addr, &next)) name = "schedule";
  CHECK(scan_kallsyms(name, &addr, &next));
  RtKsyms *ks = rt_ksyms_load();
  CHECK(ks != NULL);
  if (!ks) return;
  CHECK(rt_ksyms_count(ks) > 1000);
  uint64_t off = 99;
  const char *mod = NULL;
  CHECK_STR(rt_ksyms_lookup(ks, addr, &off, &mod), name);
  CHECK_INT(off, 0);
  CHECK_STR(mod, "kernel");
  CHECK_STR(rt_ksyms_lookup(ks, addr + 1, &off, &mod), name);
  CHECK_INT(off, 1);
  CHECK_STR(rt_ksyms_lookup(ks, next - 1, &off, NULL), name);
  CHECK_INT(off, next - 1 - addr);
  const char *after = rt_ksyms_lookup(ks, next, NULL, NULL);
  CHECK(after && strcmp(after, name) != 0);

  char want[1200];
  snprintf(want, sizeof want, " 0x%" PRIx64 " : %s+0x1/0x%" PRIx64 " [kernel]\n", addr + 1, name,
           next - addr);
  CHECK_STR(fmt(ks, addr + 1, RT_SYM_BACKTRACE), want);
  snprintf(want, sizeof want, "%s+0x0/0x%" PRIx64 " [kernel]", name, next - addr);
  CHECK_STR(fmt(ks, addr, RT_SYM_DATA), want);
  CHECK_STR(fmt(ks, addr + 4, RT_SYM_NAME), name);
  rt_ksyms_free(ks);
}

int main(void) {
  test_table();
  test_load_errors();
  test_live();
  rt_buf_free(&out);
  return check_summary();
}

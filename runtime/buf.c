/* buf.c: the runtime's small pieces: limits, errors, output buffers, strings.
 *
 * RtLimits is the one piece of process-wide state (stap's -D macros are
 * compile-time constants of the module; here the session sets them once
 * before anything runs).  RtBuf is the byte buffer every formatting function
 * appends to; it never shrinks its allocation, so steady-state printing does
 * not allocate.  Nothing here knows the script language.
 */
#include "rt-int.h"

#include <stdarg.h>
#include <unistd.h>

static RtLimits limits = {
    .sz = sizeof(RtLimits),
    .maxstringlen = 512,   /* langref 1.6: 512 bytes on 64-bit machines */
    .maxmapentries = 2048, /* stap(1) RESOURCE LIMITS */
    .hist_elision = 2,     /* langref 8.4.1 */
    .hist_width = 50,      /* runtime/stat-common.c HIST_WIDTH */
    .bufsize = 8192,       /* runtime/transport/transport.h STP_BUFFER_SIZE */
    .maxbuckets = 128,     /* runtime/stat.h STP_MAX_BUCKETS */
};

void rt_limits_set(const RtLimits *l) {
  size_t n = l->sz < sizeof(RtLimits) ? l->sz : sizeof(RtLimits);
  memcpy(&limits, l, n);
  limits.sz = sizeof(RtLimits);
  if (limits.maxstringlen < 2) limits.maxstringlen = 2;
  if (limits.bufsize < 1) limits.bufsize = 1;
  if (limits.hist_width < 1) limits.hist_width = 1;
}

const RtLimits *rt_limits(void) { return &limits; }

_Noreturn void rt_panic(const char *file, int line, const char *what) {
  fprintf(stderr, "%s:%d: runtime invariant broken: %s\n", file, line, what);
  abort();
}

/* ---- errors ---------------------------------------------------------------- */

int rt_err_set(RtErr *err, const char *fmt, ...) {
  if (err && !err->set) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    err->set = 1;
  }
  return -EINVAL;
}

void rt_err_clear(RtErr *err) {
  err->set = 0;
  err->msg[0] = '\0';
}

/* ---- RtBuf ------------------------------------------------------------------- */

void rt_buf_free(RtBuf *b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

int rt_buf_reserve(RtBuf *b, size_t extra) {
  if (b->cap - b->len > extra) return 0; /* one byte stays for the NUL */
  size_t need = b->len + extra + 1;
  if (need < b->len) return -ENOMEM;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < need) {
    if (cap > SIZE_MAX / 2) return -ENOMEM;
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (!p) return -ENOMEM;
  b->data = p;
  b->cap = cap;
  return 0;
}

int rt_buf_append(RtBuf *b, const void *p, size_t n) {
  if (rt_buf_reserve(b, n)) return -ENOMEM;
  if (n) memcpy(b->data + b->len, p, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int rt_buf_puts(RtBuf *b, const char *s) { return rt_buf_append(b, s, strlen(s)); }

int rt_buf_fill(RtBuf *b, char c, size_t n) {
  if (rt_buf_reserve(b, n)) return -ENOMEM;
  memset(b->data + b->len, c, n);
  b->len += n;
  b->data[b->len] = '\0';
  return 0;
}

int rt_buf_put_long(RtBuf *b, int64_t v) {
  char tmp[24], *p = tmp + sizeof tmp;
  uint64_t u = v < 0 ? -(uint64_t)v : (uint64_t)v;
  do *--p = (char)('0' + u % 10);
  while (u /= 10);
  if (v < 0) *--p = '-';
  return rt_buf_append(b, p, (size_t)(tmp + sizeof tmp - p));
}

void rt_buf_truncate(RtBuf *b, size_t len) {
  if (len < b->len) {
    b->len = len;
    b->data[len] = '\0';
  }
}

const char *rt_buf_cstr(RtBuf *b) { return b->data ? b->data : ""; }

int rt_buf_flush_fd(RtBuf *b, int fd) {
  size_t off = 0;
  while (off < b->len) {
    ssize_t n = write(fd, b->data + off, b->len - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      int e = errno;
      memmove(b->data, b->data + off, b->len - off); /* keep what was not written */
      rt_buf_truncate(b, b->len - off);
      return -e;
    }
    off += (size_t)n;
  }
  rt_buf_truncate(b, 0);
  return 0;
}

int rt_buf_flush_file(RtBuf *b, FILE *f) {
  size_t n = b->len ? fwrite(b->data, 1, b->len, f) : 0;
  int rc = n == b->len ? 0 : -(errno ? errno : EIO);
  rt_buf_truncate(b, 0);
  return rc;
}

/* ---- strings ----------------------------------------------------------------- */

size_t rt_str_len(const char *s, size_t len) {
  size_t max = (size_t)limits.maxstringlen - 1;
  if (len > max) len = max;
  const char *nul = len ? memchr(s, '\0', len) : NULL;
  return nul ? (size_t)(nul - s) : len;
}

void rt_buf_to_str(RtBuf *b, size_t start) {
  if (start > b->len) return;
  rt_buf_truncate(b, start + rt_str_len(b->data + start, b->len - start));
}

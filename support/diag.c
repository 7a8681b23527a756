/* diag.c: source files, locations and located diagnostics.
 *
 * Deep code records a Diag; only the driver prints.  Printing quotes the
 * source line and puts a caret under the column (tabs are kept so the caret
 * lines up).  This file must not decide whether compilation goes on.
 */
#include "support.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void srcset_init(SrcSet *s, Arena *a) {
  memset(s, 0, sizeof *s);
  s->arena = a;
  s->cap = 16;
  s->files = arena_alloc(a, sizeof(SrcFile *) * s->cap);
  s->n = 1;
}

uint32_t srcset_add(SrcSet *s, const char *path, const char *text, size_t len, int is_tapset) {
  if (s->n == s->cap) {
    s->files = arena_realloc(s->arena, s->files, sizeof(SrcFile *) * s->cap, sizeof(SrcFile *) * s->cap * 2);
    s->cap *= 2;
  }
  SrcFile *f = ARENA_NEW(s->arena, SrcFile);
  f->path = arena_strdup(s->arena, path);
  f->text = arena_strndup(s->arena, text, len);
  f->len = len;
  f->is_tapset = is_tapset;
  uint32_t nl = 1;
  for (size_t i = 0; i < len; i++) nl += text[i] == '\n';
  f->lines = arena_alloc(s->arena, sizeof(uint32_t) * nl);
  f->lines[0] = 0;
  uint32_t k = 1;
  for (size_t i = 0; i < len; i++)
    if (text[i] == '\n') f->lines[k++] = (uint32_t)(i + 1);
  f->nlines = nl;
  s->files[s->n] = f;
  return s->n++;
}

uint32_t srcset_read(SrcSet *s, const char *path, int is_tapset) {
  FILE *fp = strcmp(path, "-") ? fopen(path, "rb") : stdin;
  if (!fp) return 0;
  StrBuf b = {0};
  char buf[65536];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0) sb_putn(&b, buf, n);
  int err = ferror(fp) ? (errno ? errno : EIO) : 0;
  if (fp != stdin) fclose(fp);
  if (err) {
    sb_free(&b);
    errno = err;
    return 0;
  }
  uint32_t id = srcset_add(s, strcmp(path, "-") ? path : "<input>", sb_str(&b), b.len, is_tapset);
  sb_free(&b);
  return id;
}

const SrcFile *srcset_get(const SrcSet *s, uint32_t file) {
  return file > 0 && file < s->n ? s->files[file] : NULL;
}

const char *srcset_line(const SrcSet *s, uint32_t file, uint32_t line, size_t *len) {
  const SrcFile *f = srcset_get(s, file);
  if (!f || line == 0 || line > f->nlines) return NULL;
  const char *p = f->text + f->lines[line - 1];
  const char *e = memchr(p, '\n', (size_t)(f->text + f->len - p));
  *len = e ? (size_t)(e - p) : (size_t)(f->text + f->len - p);
  return p;
}

SrcLoc srcset_loc(const SrcSet *s, uint32_t file, size_t off) {
  const SrcFile *f = srcset_get(s, file);
  SrcLoc l = {file, 1, 1};
  if (!f) return l;
  uint32_t lo = 0, hi = f->nlines; /* last line start <= off */
  while (hi - lo > 1) {
    uint32_t mid = (lo + hi) / 2;
    if (f->lines[mid] <= off) lo = mid;
    else hi = mid;
  }
  l.line = lo + 1;
  l.col = (uint32_t)(off - f->lines[lo]) + 1;
  return l;
}

void diag_init(DiagList *d, Arena *a, const SrcSet *src) {
  memset(d, 0, sizeof *d);
  d->arena = a;
  d->src = src;
  d->max_errors = 100;
}

void diag_vreport(DiagList *d, DiagLevel lv, SrcLoc loc, const char *fmt, va_list ap) {
  if (lv == DIAG_WARNING && d->warnings_off) return;
  if (lv == DIAG_ERROR) {
    if (d->nerrors >= d->max_errors) {
      d->suppressed++;
      d->nerrors++;
      return;
    }
    d->nerrors++;
  } else if (lv == DIAG_WARNING) {
    d->nwarnings++;
  }
  Diag *g = ARENA_NEW(d->arena, Diag);
  g->level = lv;
  g->loc = loc;
  g->msg = arena_vprintf(d->arena, fmt, ap);
  if (d->tail) d->tail->next = g;
  else d->head = g;
  d->tail = g;
}

#define DIAG_FN(name, lv)                                          \
  void name(DiagList *d, SrcLoc loc, const char *fmt, ...) {       \
    va_list ap;                                                    \
    va_start(ap, fmt);                                             \
    diag_vreport(d, lv, loc, fmt, ap);                             \
    va_end(ap);                                                    \
  }
DIAG_FN(diag_error, DIAG_ERROR)
DIAG_FN(diag_warning, DIAG_WARNING)
DIAG_FN(diag_note, DIAG_NOTE)

static void print_one(const DiagList *d, const Diag *g, FILE *out) {
  static const char *const names[] = {"error", "warning", "note"};
  const SrcFile *f = d->src ? srcset_get(d->src, g->loc.file) : NULL;
  if (!f) {
    fprintf(out, "%s: %s\n", names[g->level], g->msg);
    return;
  }
  fprintf(out, "%s:%u:%u: %s: %s\n", f->path, g->loc.line, g->loc.col, names[g->level], g->msg);
  size_t len;
  const char *line = srcset_line(d->src, g->loc.file, g->loc.line, &len);
  if (!line) return;
  if (len > 512) len = 512; /* a giant line would bury the message */
  fprintf(out, " %.*s\n ", (int)len, line);
  for (uint32_t i = 1; i < g->loc.col && i <= len; i++) fputc(line[i - 1] == '\t' ? '\t' : ' ', out);
  fputs("^\n", out);
}

int diag_print(const DiagList *d, FILE *out) {
  int n = 0;
  for (const Diag *g = d->head; g; g = g->next) {
    print_one(d, g, out);
    n += g->level == DIAG_ERROR;
  }
  if (d->suppressed) fprintf(out, "note: %d further errors not shown\n", d->suppressed);
  return n;
}

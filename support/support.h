/* support.h: arenas, growable buffers, source files and diagnostics.
 *
 * The small library every compiler component shares.  It knows nothing of the
 * script language: it holds bytes, source text and located messages.  User
 * mistakes travel as Diag records (channel 1 of STYLE.md); broken invariants
 * abort through SUP_ASSERT (channel 3).  Nothing here calls exit().
 */
#ifndef STAPJIT_SUPPORT_H
#define STAPJIT_SUPPORT_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- invariants ---------------------------------------------------------- */

_Noreturn void sup_panic(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#define SUP_ASSERT(c) ((c) ? (void)0 : sup_panic(__FILE__, __LINE__, "assertion failed: %s", #c))
#define SUP_UNREACHABLE() sup_panic(__FILE__, __LINE__, "unreachable")

/* ---- arena --------------------------------------------------------------- */

/* An Arena owns every allocation made from it; arena_free releases them all.
 * Allocation failure aborts (a compiler out of memory cannot report much). */
typedef struct Arena Arena;

Arena *arena_new(void);
void arena_free(Arena *a);
void *arena_alloc(Arena *a, size_t n);            /* zeroed, 16-byte aligned */
void *arena_realloc(Arena *a, void *p, size_t old, size_t n); /* bytes past old are not zeroed */
char *arena_strndup(Arena *a, const char *s, size_t n);
char *arena_strdup(Arena *a, const char *s);
char *arena_printf(Arena *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *arena_vprintf(Arena *a, const char *fmt, va_list ap);
size_t arena_bytes(const Arena *a); /* bytes reserved from the system so far */

#define ARENA_NEW(a, T) ((T *)arena_alloc((a), sizeof(T)))

/* A growable array of pointers living in an arena. */
typedef struct PtrVec {
  void **items; /* arena memory */
  int n;        /* used */
  int cap;      /* allocated */
} PtrVec;

void ptrvec_push(Arena *a, PtrVec *v, void *item);

/* ---- string buffer (malloc-owned) ---------------------------------------- */

typedef struct StrBuf {
  char *s;    /* NUL-terminated, malloc'd; NULL until first write */
  size_t len; /* bytes used, not counting the NUL */
  size_t cap; /* bytes allocated */
} StrBuf;

void sb_putc(StrBuf *b, char c);
void sb_putn(StrBuf *b, const char *s, size_t n);
void sb_puts(StrBuf *b, const char *s);
void sb_printf(StrBuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sb_vprintf(StrBuf *b, const char *fmt, va_list ap);
const char *sb_str(StrBuf *b); /* never NULL */
void sb_reset(StrBuf *b);
void sb_free(StrBuf *b);

/* ---- source files and locations ----------------------------------------- */

typedef struct SrcFile {
  const char *path;  /* as shown in messages ("<input>" for -e) */
  const char *text;  /* NUL-terminated contents */
  size_t len;        /* bytes of text */
  uint32_t *lines;   /* byte offset of the start of each line */
  uint32_t nlines;   /* entries in lines */
  int is_tapset;     /* came from the tapset library, not the user */
} SrcFile;

/* file is an index into a SrcSet (0 = no location); line and col count from 1. */
typedef struct SrcLoc {
  uint32_t file;
  uint32_t line;
  uint32_t col;
} SrcLoc;

/* Every source file of one compilation; owns the files and their text. */
typedef struct SrcSet {
  Arena *arena;
  SrcFile **files; /* files[0] is unused so that file 0 means "nowhere" */
  uint32_t n;
  uint32_t cap;
} SrcSet;

void srcset_init(SrcSet *s, Arena *a);
/* Adds text (copied) under path; returns its index. */
uint32_t srcset_add(SrcSet *s, const char *path, const char *text, size_t len, int is_tapset);
/* Reads path into the set; returns the index, or 0 with errno set. */
uint32_t srcset_read(SrcSet *s, const char *path, int is_tapset);
const SrcFile *srcset_get(const SrcSet *s, uint32_t file);
/* The text of line `line` of `file`, without its newline; *len gets its length. */
const char *srcset_line(const SrcSet *s, uint32_t file, uint32_t line, size_t *len);
/* Location of byte offset off in file. */
SrcLoc srcset_loc(const SrcSet *s, uint32_t file, size_t off);

/* ---- diagnostics --------------------------------------------------------- */

typedef enum DiagLevel { DIAG_ERROR, DIAG_WARNING, DIAG_NOTE } DiagLevel;

typedef struct Diag {
  DiagLevel level;
  SrcLoc loc;
  char *msg;         /* arena string */
  struct Diag *next; /* in the order reported */
} Diag;

typedef struct DiagList {
  Arena *arena;
  const SrcSet *src;
  Diag *head, *tail;
  int nerrors;
  int nwarnings;
  int max_errors;      /* after this many errors, further ones are counted only */
  int suppressed;      /* errors counted but not stored */
  int warnings_off;    /* -w */
} DiagList;

void diag_init(DiagList *d, Arena *a, const SrcSet *src);
void diag_error(DiagList *d, SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_warning(DiagList *d, SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_note(DiagList *d, SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_vreport(DiagList *d, DiagLevel lv, SrcLoc loc, const char *fmt, va_list ap);
/* Prints every diagnostic as "file:line:col: error: msg", the source line and a
 * caret under the column.  Returns the number of errors printed. */
int diag_print(const DiagList *d, FILE *out);

/* ---- misc ---------------------------------------------------------------- */

/* Levenshtein distance, capped at cap+1 (for "did you mean"). */
int sup_edit_distance(const char *a, const char *b, int cap);

#endif

/* runtime.h: the host runtime shared by both backends (library stapruntime).
 *
 * What a running script needs on the host, with SystemTap's semantics:
 * the printf engine, MAXSTRINGLEN truncation, associative arrays behind one
 * interface (a host hash table now, BPF maps later), statistics with their
 * histograms, and the display of unread globals at exit.  It knows nothing of
 * the compiler: no AST, no IR.  It is linked into the small stapjit-run.
 *
 * Conventions.  Names are rt_<object>_<verb>, types Rt*.  Functions returning
 * int return 0 or a negative errno; a script-level error (the kind stap
 * reports as "ERROR: ..." and counts against MAXERRORS) also fills the RtErr
 * the caller passed, with the message worded as stap words it, and returns
 * -EINVAL (or -ENOSPC for a full array).  The caller appends the location
 * ("near identifier 'a' at foo.stp:3:9").  Functions returning pointers return
 * NULL and set errno.  Every allocation has one owner named below.
 *
 * Process-wide state: only RtLimits (the -D limits), set once at session start,
 * and the target process's pid (target()).
 * Nothing here locks: a session uses the runtime from one thread.
 */
#ifndef STAPJIT_RUNTIME_H
#define STAPJIT_RUNTIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* ---- limits (stap's -D macros) -------------------------------------------- */

typedef struct RtLimits {
  size_t sz;             /* sizeof(RtLimits), so the struct can grow */
  int64_t maxstringlen;  /* MAXSTRINGLEN: strings hold at most this - 1 bytes (default 512) */
  int64_t maxmapentries; /* MAXMAPENTRIES: rows of an array without a declared size (default 2048) */
  int64_t hist_elision;  /* HIST_ELISION: empty rows kept at each end of a run (default 2; <0 never elide) */
  int64_t hist_width;    /* HIST_WIDTH: columns of the histogram bar (default 50) */
  int64_t bufsize;       /* STP_BUFFER_SIZE: bytes one print may emit (default 8192) */
  int64_t maxbuckets;    /* STP_MAX_BUCKETS: buckets of a linear histogram, both out-of-range ones
                            included (default 128) */
} RtLimits;

/* Copies the fields of l (those up to l->sz) over the defaults.  Call once,
 * before any map is created or any string is produced. */
void rt_limits_set(const RtLimits *l);
const RtLimits *rt_limits(void); /* never NULL */

/* ---- the target process (target.c): stap's -c CMD and -x PID -------------- */

/* One session's target process.  -c CMD: forked before the session (so that
 * target() is known to begin probes), held at its exec until rt_target_start
 * and watched through a pidfd; -x PID: only a pid, which the session does not
 * watch (stap runs independently of its lifespan).  Owned by the caller. */
typedef struct RtTarget {
  int pid;      /* target(): the command's or -x's process; 0 without either */
  bool cmd;     /* -c: a command this session forked */
  bool started; /* -c: released to run (rt_target_start) */
  int go_fd;    /* -c: the socket whose byte releases it; -1 once used */
  int pidfd;    /* -c: readable once the command exited; -1 otherwise */
} RtTarget;

void rt_target_init(RtTarget *t); /* no target */
/* -x PID: t names pid, which target() now returns. */
void rt_target_set_pid(RtTarget *t, int pid);
/* -c CMD: forks the command (words by wordexp(3) without command
 * substitution, executed directly; shell syntax goes to /bin/sh -c), held
 * before its exec.  target() returns its pid.  0, or -errno after printing
 * "ERROR: ..." on err (a command that does not parse, fork or pidfd_open
 * failing).  A command that cannot be executed is reported by the child
 * ("CMD: No such file or directory") and exits 1. */
int rt_target_spawn(RtTarget *t, const char *cmd, FILE *err);
/* Lets a held command run (once; 0 without one).  0 or -errno. */
int rt_target_start(RtTarget *t);
/* A descriptor that becomes readable when the -c command exits, or -1 (no
 * command: -x, or none).  t may be NULL. */
int rt_target_end_fd(const RtTarget *t);
/* After the session: a command never started is sent away (it exits without
 * running) and reaped; one that exited is reaped and a failure reported as
 * stap does ("WARNING: Child process exited with status 2", "... with signal
 * 9 (Killed)") on err; one still running is left to run.  Returns 1 when the
 * command failed (stap's exit status is then 1), else 0.  t may be NULL. */
int rt_target_finish(RtTarget *t, FILE *err);
/* target(): the pid of the last rt_target_spawn / rt_target_set_pid, or 0. */
int64_t rt_target(void);

/* ---- errors ---------------------------------------------------------------- */

/* A script-level runtime error.  set is 0 until a message is stored; a second
 * error does not overwrite the first. */
typedef struct RtErr {
  int set;
  char msg[256]; /* e.g. "division by 0", "empty aggregate", "Array overflow, check MAXMAPENTRIES" */
} RtErr;

/* Stores the message (printf-style) if err is not NULL and not yet set; returns -EINVAL. */
int rt_err_set(RtErr *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rt_err_clear(RtErr *err);

/* ---- output buffer ----------------------------------------------------------- */

/* Growable bytes, malloc-owned by the struct; data is NUL-terminated after len
 * once anything was written (the NUL is not counted). */
typedef struct RtBuf {
  char *data;
  size_t len;
  size_t cap;
} RtBuf;

#define RT_BUF_INIT \
  { NULL, 0, 0 }

void rt_buf_free(RtBuf *b);                           /* releases data; b is empty again */
int rt_buf_reserve(RtBuf *b, size_t extra);           /* room for extra more bytes, or -ENOMEM */
int rt_buf_append(RtBuf *b, const void *p, size_t n); /* 0 or -ENOMEM */
int rt_buf_puts(RtBuf *b, const char *s);             /* 0 or -ENOMEM */
int rt_buf_fill(RtBuf *b, char c, size_t n);          /* n copies of c */
int rt_buf_put_long(RtBuf *b, int64_t v);             /* decimal, as %d */
void rt_buf_truncate(RtBuf *b, size_t len);           /* keeps the first len bytes */
const char *rt_buf_cstr(RtBuf *b);                    /* never NULL */
int rt_buf_flush_fd(RtBuf *b, int fd);                /* writes all, empties b; 0 or -errno */
int rt_buf_flush_file(RtBuf *b, FILE *f);             /* writes all, empties b; 0 or -errno */

/* ---- strings ------------------------------------------------------------------ */

/* The length a string value of len bytes keeps: stap strings are C strings of
 * at most MAXSTRINGLEN-1 bytes, so the value ends at its first NUL and is cut
 * to MAXSTRINGLEN-1.  Every string the runtime produces goes through this. */
size_t rt_str_len(const char *s, size_t len);

/* Cuts b back to a string value (see rt_str_len), counting from byte start. */
void rt_buf_to_str(RtBuf *b, size_t start);

/* ---- printf ----------------------------------------------------------------------- */

typedef enum RtArgKind {
  RT_ARG_LONG = 1, /* int64_t */
  RT_ARG_STR = 2,  /* bytes: a string (ends at its first NUL or len) or, for %m/%M, raw memory */
} RtArgKind;

typedef struct RtArg {
  RtArgKind kind;
  int64_t l;     /* RT_ARG_LONG */
  const char *s; /* RT_ARG_STR: not NUL-terminated necessarily */
  size_t len;    /* RT_ARG_STR: bytes at s */
} RtArg;

static inline RtArg rt_arg_long(int64_t v) { return (RtArg){RT_ARG_LONG, v, NULL, 0}; }
static inline RtArg rt_arg_str(const char *s, size_t len) { return (RtArg){RT_ARG_STR, 0, s, len}; }

/* Conversion flags (one character of them per conversion, see rt_format_parse). */
enum {
  RT_FMT_LEFT = 1,     /* '-' */
  RT_FMT_PLUS = 2,     /* '+' */
  RT_FMT_SPACE = 4,    /* ' ' */
  RT_FMT_SPECIAL = 8,  /* '#' */
  RT_FMT_ZEROPAD = 16, /* '0' */
};

/* One conversion of a compiled format, for the compiler's type check.
 * Arguments are consumed in this order: the '*' width, the '*' precision,
 * then the value.  %m/%M take a long (an address) in the script; the code
 * that runs printf reads the memory and passes its bytes as RT_ARG_STR
 * (rt_format_mem_len says how many bytes). */
typedef struct RtFmtConv {
  char conv;          /* one of d i u x X o c s p b m M */
  uint8_t flags;      /* RT_FMT_* */
  bool width_star;    /* width comes from a long argument */
  bool prec_star;     /* precision comes from a long argument */
  int width;          /* static width, -1 if none (or '*') */
  int prec;           /* static precision, -1 if none (or '*') */
  RtArgKind arg_kind; /* what the script passes for the value: long, or string for %s */
  int arg_index;      /* index of the value argument; the '*' ones come just before it */
} RtFmtConv;

typedef struct RtFormat RtFormat; /* malloc-owned by whoever parsed it; free with rt_format_free */

/* Compiles fmt (len bytes, stap's rules: "%%" and a trailing lone "%" print
 * "%"; then at most one flag character, width or '*', '.' and precision or
 * '*', an optional 'l', and the conversion).  On a bad format returns -EINVAL
 * with stap's message in errbuf ("invalid or missing conversion specifier",
 * "trailing incomplete print format conversion"); -ENOMEM on allocation failure. */
int rt_format_parse(const char *fmt, size_t len, RtFormat **out, char *errbuf, size_t errlen);
void rt_format_free(RtFormat *f);
int rt_format_nconv(const RtFormat *f);
const RtFmtConv *rt_format_conv(const RtFormat *f, int i); /* 0 <= i < nconv */
int rt_format_nargs(const RtFormat *f);                    /* value and '*' arguments together */
/* The format as its pieces, in order (a code generator that formats by
 * itself, gen-fmt.c, walks them): piece i is a conversion (returned) or a
 * literal (NULL; its bytes in *lit, *litlen, "%%" already one '%'). */
int rt_format_npieces(const RtFormat *f);
const RtFmtConv *rt_format_piece(const RtFormat *f, int i, const char **lit, size_t *litlen);
RtArgKind rt_format_arg_kind(const RtFormat *f, int i);    /* of argument i, as the script passes it */

/* Bytes %m/%M dump for a static or '*' precision prec (-1 if none): prec when
 * positive, else 1.  More than RT_MEMDUMP_MAX is an error at format time. */
int64_t rt_format_mem_len(int64_t prec);

/* The largest %m/%M precision: stap's generated C rejects a precision over
 * PAGE_SIZE, the kernel's page size (4096 on x86-64). */
enum { RT_MEMDUMP_MAX = 4096 };

/* Appends the formatted output of one print (at most RtLimits.bufsize bytes,
 * like stap's print buffer).  Allocation-free when out has room.  Returns 0,
 * -EINVAL with err set (an argument of the wrong kind, too few arguments, a
 * memory dump over RT_MEMDUMP_MAX bytes), or -ENOMEM. */
int rt_format(RtBuf *out, const RtFormat *fmt, const RtArg *args, int nargs, RtErr *err);

/* sprintf: like rt_format, but the result is a string value (stap formats into
 * a MAXSTRINGLEN buffer: fields are clamped to the room left, the result ends
 * at its first NUL and holds at most MAXSTRINGLEN-1 bytes). */
int rt_format_str(RtBuf *out, const RtFormat *fmt, const RtArg *args, int nargs, RtErr *err);

/* print()/sprint() of one value: a long as %d, a string as is. */
int rt_format_value(RtBuf *out, const RtArg *v);

/* ---- statistics ------------------------------------------------------------------ */

typedef enum RtHistKind { RT_HIST_NONE = 0, RT_HIST_LOG = 1, RT_HIST_LINEAR = 2 } RtHistKind;

/* What a statistic variable (or the stats values of an array) collects; one
 * per variable, fixed at compile time. */
typedef struct RtStatDesc {
  RtHistKind hist;
  int64_t start, stop, interval; /* RT_HIST_LINEAR: @hist_linear(v, start, stop, interval) */
  int nbuckets;                  /* set by rt_stat_desc_init: 0, 128 (log) or (stop-start)/interval+3 */
  int shift;                     /* @variance(v, shift) bit shift, 0..62 */
} RtStatDesc;

/* Fills d (hist kind, linear parameters, variance shift) and computes nbuckets.
 * Returns -EINVAL with stap's message for a bad linear histogram. */
int rt_stat_desc_init(RtStatDesc *d, RtHistKind hist, int64_t start, int64_t stop, int64_t interval,
                      int shift, RtErr *err);

/* One aggregate, as one CPU collects it; also the binary layout of a stats
 * value in a map (and in a BPF per-CPU map): 7 int64 words, then nbuckets
 * int64 histogram counts.  Variance follows stap: Welford's online algorithm
 * in integer arithmetic on values scaled by << shift (avg_s, m2), with
 * variance_s = m2 / (count - 1); CPUs are combined with the "total variance"
 * formula.  A sum of squares is not kept because stap does not use one. */
typedef struct RtStatCell {
  int64_t count;
  int64_t sum;
  int64_t min;
  int64_t max;
  int64_t avg_s;      /* running mean, scaled by << shift */
  int64_t m2;         /* Welford's sum of squared deviations, scaled by << 2*shift */
  int64_t variance_s; /* sample variance, scaled by << 2*shift */
  int64_t hist[];     /* nbuckets counts */
} RtStatCell;

typedef enum RtStatOp {
  RT_STAT_COUNT,
  RT_STAT_SUM,
  RT_STAT_MIN,
  RT_STAT_MAX,
  RT_STAT_AVG,
  RT_STAT_VARIANCE,
} RtStatOp;

size_t rt_stat_cell_size(const RtStatDesc *d); /* header plus histogram, bytes */
void rt_stat_cell_clear(RtStatCell *c, const RtStatDesc *d);
/* The <<< operator on one CPU.  Code that fills cells itself (a BPF program)
 * must do exactly this arithmetic; stat.c spells it out. */
void rt_stat_add(RtStatCell *c, const RtStatDesc *d, int64_t v);

/* Folds src into dst as stap folds the per-CPU cells of an array element
 * (pairwise: an empty dst becomes a copy of src; an empty src changes nothing).
 * m2 of the result is not meaningful: merged cells are read, not added to. */
void rt_stat_merge(RtStatCell *dst, const RtStatCell *src, const RtStatDesc *d);

/* Combines n per-CPU cells of a scalar statistic into out, as stap does for a
 * scalar (all CPUs at once, variance by the total variance formula; also for
 * n == 1, which is why @variance of 1..5 is 12, not Welford's 7). */
void rt_stat_aggregate(RtStatCell *out, const RtStatCell *const *cells, int n, const RtStatDesc *d);

/* @count @sum @min @max @avg @variance of an aggregate.  @count and @sum of an
 * empty one are 0; the others are the error "empty aggregate". */
int rt_stat_extract(const RtStatCell *c, const RtStatDesc *d, RtStatOp op, int64_t *out, RtErr *err);

/* @hist_log(v)[i] / @hist_linear(v,...)[i]: bucket i (0 and nbuckets-1 are the
 * linear out-of-range buckets).  "histogram index out of range" otherwise. */
int rt_stat_bucket(const RtStatCell *c, const RtStatDesc *d, int64_t i, int64_t *out, RtErr *err);

/* The bucket a value falls in, for code that fills cells itself (BPF). */
int rt_hist_log_bucket(int64_t v);
int rt_hist_linear_bucket(const RtStatDesc *d, int64_t v);

/* print(@hist_log(v)) / print(@hist_linear(v,...)): appends stap's ASCII bar
 * chart of an aggregate (header, rows, '~' for elided runs of empty buckets,
 * one blank line at the end).  "empty aggregate" if c->count is 0. */
int rt_hist_print(RtBuf *out, const RtStatCell *c, const RtStatDesc *d, RtErr *err);

/* A scalar statistic: one cell per CPU and an aggregate, malloc-owned by the
 * RtStat; rt_stat_free releases all. */
typedef struct RtStat RtStat;
RtStat *rt_stat_new(const RtStatDesc *d, int ncpus); /* NULL, errno ENOMEM/EINVAL */
void rt_stat_free(RtStat *s);
RtStatCell *rt_stat_cpu(RtStat *s, int cpu); /* the cell of one CPU, to add to or fill */
const RtStatDesc *rt_stat_desc(const RtStat *s);
void rt_stat_push(RtStat *s, int cpu, int64_t v); /* v <<< on a CPU */
const RtStatCell *rt_stat_get(RtStat *s);         /* aggregates the CPUs; valid until next call */
void rt_stat_reset(RtStat *s);                    /* delete s: back to empty */

/* ---- associative arrays ---------------------------------------------------------------- */

#define RT_MAX_KEYS 9

typedef enum RtType { RT_LONG = 1, RT_STR = 2, RT_STAT = 3 } RtType;

/* How an array is declared: key and value types, string slot sizes, size and
 * wrap.  name is copied. */
typedef struct RtMapDesc {
  size_t sz;                         /* sizeof(RtMapDesc) */
  const char *name;                  /* the script's name, for messages and display */
  int nkeys;                         /* 1..9 */
  RtType key_type[RT_MAX_KEYS];      /* RT_LONG or RT_STR */
  uint32_t key_strsize[RT_MAX_KEYS]; /* bytes of a string key slot; 0 = MAXSTRINGLEN */
  RtType val_type;                   /* RT_LONG, RT_STR or RT_STAT */
  uint32_t val_strsize;              /* bytes of a string value slot; 0 = MAXSTRINGLEN */
  RtStatDesc stat;                   /* RT_STAT values: histogram and shift (after rt_stat_desc_init) */
  int64_t max_entries;               /* declared size ("global a[100]"); 0 = MAXMAPENTRIES */
  bool wrap;                         /* declared with '%': the oldest entry makes room */
} RtMapDesc;

/* The binary layout, fixed so a BPF map can hold keys and values as they are.
 *   key:   the key columns packed in order, no header.  A long is 8 bytes
 *          (int64, native byte order).  A string is a slot of key_len[i] bytes
 *          (its declared size rounded up to a multiple of 8, so longs stay
 *          aligned): the bytes, a NUL, zero padding.  Keys are compared and
 *          hashed by value, so they must be zero-padded (rt_key_set_str is).
 *   value: a long is 8 bytes; a string a zero-padded slot of val_size bytes;
 *          stats an RtStatCell of rt_stat_cell_size(&stat) bytes. */
typedef struct RtMapLayout {
  int nkeys;
  RtType key_type[RT_MAX_KEYS];
  uint32_t key_off[RT_MAX_KEYS]; /* byte offset of column i in the key */
  uint32_t key_len[RT_MAX_KEYS]; /* 8 for a long, the slot size for a string */
  uint32_t key_size;             /* bytes of the whole key */
  RtType val_type;
  uint32_t val_size; /* bytes of a value */
  RtStatDesc stat;   /* RT_STAT values */
} RtMapLayout;

/* Computes the layout of d; -EINVAL if d is malformed. */
int rt_map_layout(const RtMapDesc *d, RtMapLayout *out);

void rt_key_set_long(const RtMapLayout *l, void *key, int i, int64_t v);
void rt_key_set_str(const RtMapLayout *l, void *key, int i, const char *s, size_t len); /* truncates, pads */
int64_t rt_key_get_long(const RtMapLayout *l, const void *key, int i);
const char *rt_key_get_str(const RtMapLayout *l, const void *key, int i); /* NUL-terminated, in key */
void rt_val_set_long(void *val, int64_t v);
void rt_val_set_str(const RtMapLayout *l, void *val, const char *s, size_t len); /* truncates, pads */
int64_t rt_val_get_long(const void *val);

typedef struct RtMap RtMap;

/* Called once per element; key and val point into the map (or a snapshot of
 * it) and stay valid until the map is next changed.  Nonzero stops the walk
 * and is returned by the iterating function. */
typedef int (*RtMapIterFn)(void *ctx, const void *key, const void *val);

/* The one interface every array implementation provides.  The host hash table
 * (rt_map_hash_new) is one; a BPF-map-backed one plugs in the same way, with
 * keys and values in the RtMapLayout format. */
typedef struct RtMapOps {
  const char *kind;
  /* The value of key, or NULL.  The pointer is the element's storage or a copy
   * of it, valid until the next call on the map; change values with update. */
  void *(*lookup)(RtMap *m, const void *key);
  /* Inserts or replaces.  A new element in a full array evicts the oldest one
   * if the array wraps, else fails with -ENOSPC and "Array overflow, check ...". */
  int (*update)(RtMap *m, const void *key, const void *val, RtErr *err);
  /* key <<< v on a stats array (creating the element as update does). */
  int (*stat_add)(RtMap *m, const void *key, int64_t v, RtErr *err);
  int (*remove)(RtMap *m, const void *key);            /* 0, or -ENOENT if absent */
  int (*iterate)(RtMap *m, RtMapIterFn fn, void *ctx); /* storage order (see the implementation) */
  void (*clear)(RtMap *m);
  size_t (*count)(const RtMap *m);
  void (*destroy)(RtMap *m);
} RtMapOps;

/* The part every implementation starts with (the implementation's struct has
 * an RtMap as its first member). */
struct RtMap {
  const RtMapOps *ops;
  RtMapLayout layout;
  char *name;          /* malloc'd copy of the script name */
  int64_t max_entries; /* effective capacity */
  bool sized;          /* size was declared: the overflow message names it */
  bool wrap;
};

/* Initialises the common part of a new map from d (used by implementations).
 * Returns 0, -EINVAL or -ENOMEM. */
int rt_map_base_init(RtMap *m, const RtMapOps *ops, const RtMapDesc *d);
void rt_map_base_fini(RtMap *m);
/* Stores stap's message for a full array in err; returns -ENOSPC. */
int rt_map_overflow(const RtMap *m, RtErr *err);

/* The host implementation: a hash table whose storage order is insertion
 * order (an element keeps its place when its value changes; a wrapping array
 * evicts the oldest).  Owned by the caller; free with rt_map_free.  NULL and
 * errno EINVAL or ENOMEM on failure. */
RtMap *rt_map_hash_new(const RtMapDesc *d);

void rt_map_free(RtMap *m);
static inline const RtMapLayout *rt_map_get_layout(const RtMap *m) { return &m->layout; }
static inline const char *rt_map_name(const RtMap *m) { return m->name; }

void *rt_map_lookup(RtMap *m, const void *key); /* see RtMapOps.lookup */
bool rt_map_exists(RtMap *m, const void *key);  /* [k] in a */
int rt_map_set(RtMap *m, const void *key, const void *val, RtErr *err);
int rt_map_set_long(RtMap *m, const void *key, int64_t v, RtErr *err);
int rt_map_set_str(RtMap *m, const void *key, const char *s, size_t len, RtErr *err);
int rt_map_stat_add(RtMap *m, const void *key, int64_t v, RtErr *err);
/* Folds one CPU's cell src into element key of the aggregate array m (an
 * absent element becomes a copy), as stap aggregates the per-CPU maps of a
 * stats array before reading it.  A full array is the error "aggregation
 * overflow in NAME". */
int rt_map_stat_merge(RtMap *m, const void *key, const RtStatCell *src, RtErr *err);
int64_t rt_map_get_long(RtMap *m, const void *key);    /* 0 when absent, as stap */
const char *rt_map_get_str(RtMap *m, const void *key); /* "" when absent */
int rt_map_delete(RtMap *m, const void *key);          /* absent is not an error: returns 0 */
void rt_map_clear(RtMap *m);                           /* delete a */
size_t rt_map_count(const RtMap *m);

/* A slice: the key columns whose bit is set in fixed are compared with the
 * same columns of key; the others match anything ("a[*, "x"]"). */
typedef struct RtSlice {
  uint32_t fixed;  /* bit i: column i is fixed */
  const void *key; /* a full key buffer; only the fixed columns are read */
} RtSlice;

bool rt_slice_match(const RtMapLayout *l, const RtSlice *s, const void *key);
int rt_map_iterate(RtMap *m, const RtSlice *slice, RtMapIterFn fn, void *ctx); /* slice may be NULL */
int rt_map_delete_slice(RtMap *m, const RtSlice *slice); /* delete a[k, *]; 0 or -ENOMEM */

/* foreach ordering.  column 0 sorts by value, 1..nkeys by that key column,
 * -1 keeps storage order.  Longs compare as int64, strings bytewise (strcmp);
 * stats values compare by the aggregate agg (stap sorts "foreach (k in a-)"
 * on a stats array by @count).  Ties keep storage order in both directions,
 * as stap's stable merge sort does.  limit < 0 means no limit. */
typedef struct RtSortSpec {
  int column;
  int dir;      /* +1 ascending ("+"), -1 descending ("-") */
  RtStatOp agg; /* for stats values: RT_STAT_COUNT SUM MIN MAX AVG */
  int64_t limit;
  const RtSlice *slice; /* may be NULL */
} RtSortSpec;

typedef struct RtMapEntry {
  const void *key;
  const void *val;
} RtMapEntry;

/* The entries of one foreach, in order; the arrays are malloc-owned by the
 * struct and reused by the next rt_map_sorted on it. */
typedef struct RtMapSorted {
  RtMapEntry *e;
  size_t n;
  size_t cap;
  void *scratch; /* sort records, reused */
  size_t scap;
} RtMapSorted;

#define RT_MAP_SORTED_INIT \
  { NULL, 0, 0, NULL, 0 }

/* Collects and orders the elements (O(n log n), no allocation per comparison).
 * The entries point into the map and stay valid until it is changed.
 * Returns 0, -EINVAL (bad spec, err set) or -ENOMEM. */
int rt_map_sorted(RtMap *m, const RtSortSpec *spec, RtMapSorted *out, RtErr *err);
void rt_map_sorted_free(RtMapSorted *s);

/* ---- unread globals at exit ---------------------------------------------------------- */

/* stap prints every global the script wrote but never read when it ends
 * (unless --no-global-var-display), with these printf formats:
 *   long     name=%#x\n                           ("x=0x5")
 *   string   name="%#s"\n                         ("s=\"hi\"", no escaping)
 *   stats    name @count=%#d @min=%#d @max=%#d @sum=%#d @avg=%#d\n,
 *            or name @count=0x0\n when empty
 *   arrays   one line per element, sorted by value descending (stats by
 *            @count), keys as %#d or "%#s": a[1,"x"]=0x3, s["k"]="v",
 *            st["k"] @count=...  */
int rt_print_global_long(RtBuf *out, const char *name, int64_t v);
int rt_print_global_str(RtBuf *out, const char *name, const char *s, size_t len);
int rt_print_global_stat(RtBuf *out, const char *name, const RtStatCell *agg);
int rt_print_global_map(RtBuf *out, RtMap *m, RtErr *err); /* uses the map's name */

/* ---- kernel symbols ------------------------------------------------------------------ */

/* The kernel's symbol table from /proc/kallsyms (ksym.c), for symname(),
 * symdata() and the backtrace functions.  Text and data symbols are kept
 * (absolute and undefined ones are not), one per address: among aliases the
 * first text symbol in kallsyms' order.  A symbol's size is the distance to
 * the next symbol, as stap's runtime counts it; the last symbol of the kernel
 * or of a module has size 0 and matches only its own address.  Core kernel
 * symbols belong to module "kernel", as in stap; others keep the name of
 * kallsyms' [module] column ("ext4", "bpf", "__builtin__ftrace"). */
typedef struct RtKsyms RtKsyms;

/* Reads /proc/kallsyms once (about 100,000 lines, a few MB).  Returns the
 * table, malloc-owned by the caller (rt_ksyms_free), or NULL with errno set:
 * EACCES when kallsyms shows every address as 0 (not root, or
 * kernel.kptr_restrict), EINVAL when no line has kallsyms' format (others
 * are skipped), ENOMEM, or fopen's error. */
RtKsyms *rt_ksyms_load(void);
RtKsyms *rt_ksyms_load_path(const char *path); /* the same from a file in kallsyms' format */
void rt_ksyms_free(RtKsyms *ks);               /* takes NULL */
size_t rt_ksyms_count(const RtKsyms *ks);      /* distinct addresses kept */

/* One symbol found for an address; the strings point into the table. */
typedef struct RtKsym {
  const char *name;   /* "vfs_read" */
  const char *module; /* "kernel", or the module's name */
  uint64_t addr;      /* where the symbol starts */
  uint64_t offset;    /* the address looked up, minus addr */
  uint64_t size;      /* to the next symbol; 0 when unknown */
  char type;          /* kallsyms' type letter: 'T', 't', 'W', 'D', ... */
} RtKsym;

/* The symbol containing addr: false when none does (addr 0, below the first
 * symbol, past a symbol of unknown size, or ks NULL). */
bool rt_ksyms_find(const RtKsyms *ks, uint64_t addr, RtKsym *out);
/* The name of the symbol containing addr, or NULL; *offset and *module (each
 * may be NULL) receive the offset into it and its module. */
const char *rt_ksyms_lookup(const RtKsyms *ks, uint64_t addr, uint64_t *offset, const char **module);

/* How rt_ksyms_format writes an address, as stap's runtime writes it
 * (_stp_snprint_addr's flag sets).  Without a symbol each writes the address
 * in hex ("0xffffffffc0001234") with the style's spacing. */
typedef enum RtSymStyle {
  RT_SYM_HEX,       /* backtrace()'s items: "0xffffffff816b8230 " (never symbolised) */
  RT_SYM_NAME,      /* symname(): "vfs_read" */
  RT_SYM_DATA,      /* symdata(): "vfs_read+0x10/0x120 [kernel]" */
  RT_SYM_BACKTRACE, /* print_backtrace() and print_stack() lines:
                       " 0xffffffff816b8240 : vfs_read+0x10/0x120 [kernel]\n" */
  RT_SYM_SIMPLE,    /* sprint_backtrace() and sprint_stack() lines: "vfs_read+0x10 [kernel]\n" */
  RT_SYM_BRIEF,     /* print_ubacktrace_brief()'s lines: "vfs_read+0x10\n" */
  /* Or'ed in: append " (inexact)" after the item, before the newline. */
  RT_SYM_INEXACT = 0x100
} RtSymStyle;

/* Appends addr in style (an RtSymStyle, optionally | RT_SYM_INEXACT) to out.
 * ks may be NULL: every address is then unknown.  Returns 0 or -ENOMEM. */
int rt_ksyms_format(RtBuf *out, const RtKsyms *ks, uint64_t addr, int style);

#endif

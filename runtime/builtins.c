/* builtins.c: the builtin table, the RtCtx, and the builtins that touch the
 * session: log, warn, error, exit, abort, the regex match state (=~,
 * matched, ngroups), randint, errno_str, gettimeofday_ns and ctime.
 *
 * Each follows SystemTap's tapset C code (tapset/logging.stp, regex.stp,
 * random.stp, errno.stp, linux/ctime.stp) and its man page; where the two
 * disagree the man page wins and the comment says so.  String builtins are
 * in builtins-str.c.  Nothing here knows the IR or how it is called: the
 * table below is data, generated from builtins.def.
 */
#include "builtins.h"
#include "rt-int.h"

#include <stdarg.h>
#include <time.h>

/* ---- the table ------------------------------------------------------------------ */

#define T_V RT_BI_VOID
#define T_L RT_BI_LONG
#define T_S RT_BI_STR
#define ARGS0() \
  { T_V }
#define ARGS1(a) \
  { T_##a }
#define ARGS2(a, b) \
  { T_##a, T_##b }
#define ARGS3(a, b, d) \
  { T_##a, T_##b, T_##d }

static const RtBuiltin table[] = {
#define B(name, ret, n, ...) {#name, (void (*)(void))rt_bi_##name, T_##ret, n, ARGS##n(__VA_ARGS__)},
#include "builtins.def"
#undef B
};

const RtBuiltin *rt_builtin_find(const char *name) {
  for (size_t i = 0; i < sizeof table / sizeof *table; i++)
    if (!strcmp(table[i].name, name)) return &table[i];
  return NULL;
}

int rt_builtin_count(void) { return (int)(sizeof table / sizeof *table); }

const RtBuiltin *rt_builtin_at(int i) {
  RT_ASSERT(i >= 0 && i < rt_builtin_count());
  return &table[i];
}

/* ---- the context -------------------------------------------------------------------- */

int rt_ctx_init(RtCtx *c, RtBuf *out, FILE *warn) {
  memset(c, 0, sizeof *c);
  c->sz = sizeof *c;
  c->out = out;
  c->warn = warn;
  size_t n = (size_t)rt_limits()->maxstringlen;
  c->ret = calloc(1, n);
  c->errmsg = calloc(1, n);
  c->match_str = calloc(1, n);
  c->tok_str = calloc(1, n);
  c->seed = (uint64_t)time(NULL);
  if (!c->ret || !c->errmsg || !c->match_str || !c->tok_str) {
    rt_ctx_fini(c);
    return -ENOMEM;
  }
  return 0;
}

void rt_ctx_fini(RtCtx *c) {
  free(c->ret);
  free(c->errmsg);
  free(c->match_str);
  free(c->tok_str);
  c->ret = c->errmsg = c->match_str = c->tok_str = NULL;
}

void rt_ctx_begin_hit(RtCtx *c) {
  c->match_ok = false;
  c->match_groups = 0;
}

void rt_ctx_error(RtCtx *c, const char *fmt, ...) {
  if (c->failed) return;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(c->errmsg, (size_t)rt_limits()->maxstringlen, fmt, ap);
  va_end(ap);
  c->failed = true;
}

void rt_ctx_clear_error(RtCtx *c) {
  c->failed = false;
  c->errmsg[0] = '\0';
}

/* ---- session control and output ------------------------------------------------------- */

/* man function::log: "If the last character given is not a newline, then one
 * is added."  (stap 4.8's C adds one unconditionally; the man page is followed.) */
void rt_bi_log(RtCtx *c, const char *msg) {
  if (!c->out) return;
  size_t n = strlen(msg);
  if (rt_buf_append(c->out, msg, n) || ((n == 0 || msg[n - 1] != '\n') && rt_buf_puts(c->out, "\n")))
    rt_ctx_error(c, "out of memory");
}

/* man function::warn: a line on the warning stream, a newline added if missing;
 * staprun shows it as "WARNING: msg". */
void rt_bi_warn(RtCtx *c, const char *msg) {
  c->warnings++;
  if (!c->warn) return;
  size_t n = strlen(msg);
  fprintf(c->warn, "WARNING: %s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
  fflush(c->warn);
}

void rt_bi_error(RtCtx *c, const char *msg) { rt_ctx_error(c, "%s", msg); }

void rt_bi_exit(RtCtx *c) { c->exit_requested = true; }

void rt_bi_abort(RtCtx *c) {
  c->exit_requested = true;
  c->aborted = true;
}

/* ---- regular expressions ------------------------------------------------------------- */

int rt_regex_compile(regex_t *re, const char *pattern, char *errbuf, size_t errlen) {
  int rc = regcomp(re, pattern, REG_EXTENDED);
  if (rc == 0) return 0;
  regerror(rc, re, errbuf, errlen);
  return -EINVAL;
}

bool rt_regex_match(RtCtx *c, const regex_t *re, const char *s) {
  size_t n = re->re_nsub + 1;
  if (n > RT_REGEX_MAXGROUPS) n = RT_REGEX_MAXGROUPS;
  c->match_ok = regexec(re, s, n, c->match, 0) == 0;
  c->match_groups = (int)(re->re_nsub + 1);
  if (c->match_ok) {
    size_t max = (size_t)rt_limits()->maxstringlen;
    size_t len = strnlen(s, max - 1);
    memcpy(c->match_str, s, len);
    c->match_str[len] = '\0';
  }
  return c->match_ok;
}

/* regex.stp: subexpression n of the last match; "" for a group that did not
 * take part; errors for a failed match or a group the regex does not have. */
const char *rt_bi_matched(RtCtx *c, int64_t n) {
  c->ret[0] = '\0';
  if (!c->match_ok) {
    rt_ctx_error(c, "Attempted to get subexpression %lld from failed match", (long long)n);
    return c->ret;
  }
  if (n < 0 || n >= c->match_groups || n >= RT_REGEX_MAXGROUPS) {
    rt_ctx_error(c, "Attempted to get nonexistent subexpression %lld", (long long)n);
    return c->ret;
  }
  regmatch_t m = c->match[n];
  if (m.rm_so < 0 || m.rm_eo < m.rm_so) return c->ret;
  size_t len = (size_t)(m.rm_eo - m.rm_so);
  memcpy(c->ret, c->match_str + m.rm_so, len);
  c->ret[len] = '\0';
  return c->ret;
}

int64_t rt_bi_ngroups(RtCtx *c) {
  if (!c->match_ok) rt_ctx_error(c, "Attempted to get subexpression count from failed match");
  return c->match_groups;
}

/* ---- numbers ------------------------------------------------------------------------- */

/* random.stp: uniform in [0, n) from a linear congruential generator (the
 * runtime's _stp_random_u); n above 2^20, negative ones included as the C
 * compares unsigned, is "range too wide"; randint(0) is 0. */
int64_t rt_bi_randint(RtCtx *c, int64_t n) {
  if ((uint64_t)n > 1024 * 1024) {
    rt_ctx_error(c, "range too wide");
    return 0;
  }
  c->seed = c->seed * 6364136223846793005ull + 1442695040888963407ull;
  return n == 0 ? 0 : (int64_t)((c->seed >> 33) % (uint64_t)n);
}

/* errno.stp's table: the kernel's asm-generic names 1..131 (aliases such as
 * EWOULDBLOCK and EDEADLOCK left out, as stap leaves them). */
#define N(e) [e] = #e
/* clang-format off */
static const char *const errnames[] = {
    N(EPERM), N(ENOENT), N(ESRCH), N(EINTR), N(EIO), N(ENXIO), N(E2BIG), N(ENOEXEC), N(EBADF), N(ECHILD),
    N(EAGAIN), N(ENOMEM), N(EACCES), N(EFAULT), N(ENOTBLK), N(EBUSY), N(EEXIST), N(EXDEV), N(ENODEV),
    N(ENOTDIR), N(EISDIR), N(EINVAL), N(ENFILE), N(EMFILE), N(ENOTTY), N(ETXTBSY), N(EFBIG), N(ENOSPC),
    N(ESPIPE), N(EROFS), N(EMLINK), N(EPIPE), N(EDOM), N(ERANGE), N(EDEADLK), N(ENAMETOOLONG), N(ENOLCK),
    N(ENOSYS), N(ENOTEMPTY), N(ELOOP), N(ENOMSG), N(EIDRM), N(ECHRNG), N(EL2NSYNC), N(EL3HLT), N(EL3RST),
    N(ELNRNG), N(EUNATCH), N(ENOCSI), N(EL2HLT), N(EBADE), N(EBADR), N(EXFULL), N(ENOANO), N(EBADRQC),
    N(EBADSLT), N(EBFONT), N(ENOSTR), N(ENODATA), N(ETIME), N(ENOSR), N(ENONET), N(ENOPKG), N(EREMOTE),
    N(ENOLINK), N(EADV), N(ESRMNT), N(ECOMM), N(EPROTO), N(EMULTIHOP), N(EDOTDOT), N(EBADMSG), N(EOVERFLOW),
    N(ENOTUNIQ), N(EBADFD), N(EREMCHG), N(ELIBACC), N(ELIBBAD), N(ELIBSCN), N(ELIBMAX), N(ELIBEXEC), N(EILSEQ),
    N(ERESTART), N(ESTRPIPE), N(EUSERS), N(ENOTSOCK), N(EDESTADDRREQ), N(EMSGSIZE), N(EPROTOTYPE),
    N(ENOPROTOOPT), N(EPROTONOSUPPORT), N(ESOCKTNOSUPPORT), N(EOPNOTSUPP), N(EPFNOSUPPORT), N(EAFNOSUPPORT),
    N(EADDRINUSE), N(EADDRNOTAVAIL), N(ENETDOWN), N(ENETUNREACH), N(ENETRESET), N(ECONNABORTED), N(ECONNRESET),
    N(ENOBUFS), N(EISCONN), N(ENOTCONN), N(ESHUTDOWN), N(ETOOMANYREFS), N(ETIMEDOUT), N(ECONNREFUSED),
    N(EHOSTDOWN), N(EHOSTUNREACH), N(EALREADY), N(EINPROGRESS), N(ESTALE), N(EUCLEAN), N(ENOTNAM), N(ENAVAIL),
    N(EISNAM), N(EREMOTEIO), N(EDQUOT), N(ENOMEDIUM), N(EMEDIUMTYPE), N(ECANCELED), N(ENOKEY), N(EKEYEXPIRED),
    N(EKEYREVOKED), N(EKEYREJECTED), N(EOWNERDEAD), N(ENOTRECOVERABLE),
};
/* clang-format on */
#undef N

/* man function::errno_str: "ENOENT for the number 2, or E#3333 for an
 * out-of-range value such as 3333" (stap 4.8's C returns "" there; the man
 * page is followed).  Negative values name the same error. */
const char *rt_bi_errno_str(RtCtx *c, int64_t err) {
  uint64_t e = err < 0 ? 0 - (uint64_t)err : (uint64_t)err;
  size_t n = sizeof errnames / sizeof *errnames;
  if (e > 0 && e < n && errnames[e])
    snprintf(c->ret, (size_t)rt_limits()->maxstringlen, "%s", errnames[e]);
  else
    snprintf(c->ret, (size_t)rt_limits()->maxstringlen, "E#%llu", (unsigned long long)e);
  return c->ret;
}

/* ---- time ------------------------------------------------------------------------------ */

int64_t rt_bi_gettimeofday_ns(RtCtx *c) {
  struct timespec ts;
  if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
    rt_ctx_error(c, "gettimeofday not initialized");
    return 0;
  }
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static bool is_leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* linux/ctime.stp: "Wed Jun 30 21:49:08 1993" in UTC for seconds in the
 * 32-bit range; outside it the errors "Time too far in the future/past to
 * be converted" (man function::ctime). */
const char *rt_bi_ctime(RtCtx *c, int64_t secs) {
  static const int mon_len[2][12] = {{31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31},
                                     {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31}};
  static const char days[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char mons[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  c->ret[0] = '\0';
  if (secs > 2147483647LL) {
    rt_ctx_error(c, "Time too far in the future to be converted");
    return c->ret;
  }
  if (secs < -2147483648LL) {
    rt_ctx_error(c, "Time too far in the past to be converted");
    return c->ret;
  }
  int64_t d = secs / 86400, rem = secs % 86400;
  if (rem < 0) rem += 86400, d--;
  int hour = (int)(rem / 3600), min = (int)(rem % 3600 / 60), sec = (int)(rem % 60);
  int wday = (int)((4 + d) % 7);
  if (wday < 0) wday += 7;
  int64_t year = 1970;
  if (d >= 0) {
    while (d >= (is_leap(year) ? 366 : 365)) d -= is_leap(year) ? 366 : 365, year++;
  } else {
    do year--, d += is_leap(year) ? 366 : 365;
    while (d < 0);
  }
  const int *ml = mon_len[is_leap(year)];
  int mon = 0;
  while (d >= ml[mon]) d -= ml[mon++];
  snprintf(c->ret, (size_t)rt_limits()->maxstringlen, "%s %s%3d %.2d:%.2d:%.2d %lld", days[wday], mons[mon],
           (int)d + 1, hour, min, sec, (long long)year);
  return c->ret;
}

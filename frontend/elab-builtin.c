/* elab-builtin.c: the print family, which the compiler itself provides.
 *
 * print, println, sprint, sprintln take any scalars (print and println also
 * a histogram); printd, printdln, sprintd, sprintdln a literal delimiter and
 * two or more scalars (langref 9.3); printf and sprintf a literal format
 * whose conversions type the other arguments (%d %i %o %u %x %X %c %p %b %m
 * %M want a long, %s a string, a '*' width or precision a long), as stap's
 * translator checks them.  The s* forms return a string, the others nothing.
 * Formatting itself is the runtime's job.
 */
#include "elab.h"

#include <string.h>

enum { B_PLAIN, B_FORMAT, B_DELIM };

typedef struct Builtin {
  const char *name;
  int kind;
  bool to_string; /* sprint*: returns the text instead of printing it */
  int min_args;
} Builtin;

static const Builtin builtins[] = {
    {"print", B_PLAIN, false, 1},    {"println", B_PLAIN, false, 0},  {"sprint", B_PLAIN, true, 1},
    {"sprintln", B_PLAIN, true, 0},  {"printf", B_FORMAT, false, 1},  {"sprintf", B_FORMAT, true, 1},
    {"printd", B_DELIM, false, 3},   {"printdln", B_DELIM, false, 3}, {"sprintd", B_DELIM, true, 3},
    {"sprintdln", B_DELIM, true, 3},
};

static const Builtin *find(const char *name) {
  for (size_t k = 0; k < sizeof builtins / sizeof builtins[0]; k++)
    if (!strcmp(name, builtins[k].name)) return &builtins[k];
  return NULL;
}

bool elab_is_print_builtin(const char *name) { return find(name) != NULL; }

void elab_check_builtin_call(Elab *E, AstExpr *e) {
  const Builtin *b = find(e->name);
  if (e->nargs < b->min_args) {
    if (b->kind == B_PLAIN)
      elab_error(E, e->loc, "'%s' needs at least one argument", e->name);
    else if (b->kind == B_FORMAT)
      elab_error(E, e->loc, "'%s' needs a format string", e->name);
    else
      elab_error(E, e->loc, "'%s' needs a delimiter string and at least two values", e->name);
    return;
  }
  if (b->kind != B_PLAIN && e->args[0]->kind != EX_STR)
    elab_error(E, e->args[0]->loc, "the %s of '%s' must be a literal string",
               b->kind == B_FORMAT ? "format" : "delimiter", e->name);
}

/* Fills want[] with the type of each argument the format consumes; returns
 * how many, or -1 with *bad set to the offending conversion. */
static int parse_format(const char *f, size_t len, int *want, char *bad) {
  int n = 0;
  for (size_t i = 0; i < len; i++) {
    if (f[i] != '%') continue;
    if (++i >= len) {
      *bad = 0;
      return -1;
    }
    if (f[i] == '%') continue;
    while (i < len && strchr("-+ #0", f[i])) i++;
    if (i < len && f[i] == '*') {
      want[n++] = TY_LONG;
      i++;
    }
    while (i < len && f[i] >= '0' && f[i] <= '9') i++;
    if (i < len && f[i] == '.') {
      i++;
      if (i < len && f[i] == '*') {
        want[n++] = TY_LONG;
        i++;
      }
      while (i < len && f[i] >= '0' && f[i] <= '9') i++;
    }
    if (i < len && f[i] == 'l') i++;
    if (i >= len) {
      *bad = 0;
      return -1;
    }
    if (f[i] == 's')
      want[n++] = TY_STRING;
    else if (f[i] && strchr("dioupxXcbmM", f[i]))
      want[n++] = TY_LONG;
    else {
      *bad = f[i];
      return -1;
    }
  }
  return n;
}

static void infer_rest(ElabTyper *T, AstExpr *e, int from) {
  for (int k = from; k < e->nargs; k++) elab_infer_expr(T, e->args[k], ELAB_WANT_SCALAR);
}

static void infer_format(ElabTyper *T, AstExpr *e) {
  AstExpr *fmt = e->args[0];
  elab_infer_expr(T, fmt, TY_STRING);
  if (fmt->kind != EX_STR) {
    infer_rest(T, e, 1);
    return;
  }
  int *want = arena_alloc(T->E->a, sizeof(int) * (fmt->str_len + 1));
  char bad = 0;
  int n = parse_format(fmt->str, fmt->str_len, want, &bad);
  if (n < 0) {
    if (bad >= 0x20 && bad < 0x7f)
      elab_error(T->E, fmt->loc, "invalid conversion '%%%c' in the format of '%s'", bad, e->name);
    else
      elab_error(T->E, fmt->loc, "incomplete conversion at the end of the format of '%s'", e->name);
    infer_rest(T, e, 1);
    return;
  }
  if (n != e->nargs - 1)
    elab_error(T->E, e->loc, "the format of '%s' takes %d argument%s, but %d %s given", e->name, n,
               n == 1 ? "" : "s", e->nargs - 1, e->nargs - 1 == 1 ? "is" : "are");
  for (int k = 1; k < e->nargs; k++)
    elab_infer_expr(T, e->args[k], k - 1 < n ? want[k - 1] : ELAB_WANT_SCALAR);
}

int elab_infer_builtin(ElabTyper *T, AstExpr *e, int want) {
  const Builtin *b = find(e->name);
  if (e->nargs >= 1) {
    switch (b->kind) {
    case B_FORMAT: infer_format(T, e); break;
    case B_DELIM:
      elab_infer_expr(T, e->args[0], TY_STRING);
      infer_rest(T, e, 1);
      break;
    default:
      for (int k = 0; k < e->nargs; k++)
        elab_infer_expr(T, e->args[k],
                        e->args[k]->kind == EX_HIST && !e->args[k]->rhs ? TY_STATS : ELAB_WANT_SCALAR);
      break;
    }
  }
  (void)want;
  return b->to_string ? TY_STRING : TY_VOID;
}

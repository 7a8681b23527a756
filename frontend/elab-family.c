/* elab-family.c: the built-in probe point families.
 *
 * probes.def lists each family as a compact spec; the first match asks for
 * them, and they are expanded once into flat forms (a fixed list of
 * component names with the argument kinds each accepts).  A concrete point
 * matches a form when it has as many components, each name matches (the
 * point's '*' globs against the form's names) and each argument has an
 * accepted kind.  What the arguments denote (functions, tracepoints, paths,
 * perf events) is the backend's business; here only shape and a few ranges
 * (timer intervals) are checked.
 */
#include "elab.h"

#include <string.h>

#define FORM_MAX 12 /* components in the longest form */

enum { K_NONE = 1, K_STR = 2, K_NUM = 4 };
enum { CHECK_NONE, CHECK_TIMER };

typedef struct ElabForm {
  int n;
  const char *names[FORM_MAX];
  unsigned char kinds[FORM_MAX];
  int check;
} ElabForm;

typedef struct Spec {
  const char *text;
  int check;
} Spec;

static const Spec specs[] = {
#define ELAB_FAMILY(spec, check) {spec, CHECK_##check},
#include "probes.def"
#undef ELAB_FAMILY
};

bool elab_glob_match(const char *p, const char *s) {
  const char *star = NULL, *back = NULL;
  while (*s) {
    if (*p == '*') {
      star = p++;
      back = s;
    } else if (*p == *s) {
      p++;
      s++;
    } else if (star) {
      p = star + 1;
      s = ++back;
    } else {
      return false;
    }
  }
  while (*p == '*') p++;
  return !*p;
}

/* ---- expanding the specs ------------------------------------------------------*/

typedef struct SpecComp {
  const char *name;
  unsigned char kinds;
} SpecComp;

/* name [ '(' ('S' | 'N' | 'SN') ['?'] ')' ] */
static SpecComp parse_comp(Arena *a, const char **pp) {
  const char *p = *pp, *start = p;
  while ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_') p++;
  SUP_ASSERT(p > start);
  SpecComp c = {arena_strndup(a, start, (size_t)(p - start)), K_NONE};
  if (*p == '(') {
    c.kinds = 0;
    for (p++; *p != ')'; p++) {
      SUP_ASSERT(*p);
      c.kinds |= *p == 'S' ? K_STR : *p == 'N' ? K_NUM : *p == '?' ? K_NONE : 0;
    }
    p++;
  }
  *pp = p;
  return c;
}

static ElabForm *form_append(Arena *a, const ElabForm *f, const SpecComp *c, int n) {
  ElabForm *r = ARENA_NEW(a, ElabForm);
  *r = *f;
  for (int k = 0; k < n; k++) {
    SUP_ASSERT(r->n < FORM_MAX);
    r->names[r->n] = c[k].name;
    r->kinds[r->n++] = c[k].kinds;
  }
  return r;
}

/* Applies one item (a component or a group) to every partial form. */
static void expand_spec(Elab *E, const Spec *sp) {
  PtrVec cur = {0};
  ElabForm *empty = ARENA_NEW(E->a, ElabForm);
  empty->check = sp->check;
  ptrvec_push(E->a, &cur, empty);
  const char *p = sp->text;
  bool first = true;
  while (*p) {
    PtrVec next = {0};
    if (first || *p == '.') {
      if (!first) p++;
      first = false;
      SpecComp c = parse_comp(E->a, &p);
      for (int k = 0; k < cur.n; k++) ptrvec_push(E->a, &next, form_append(E->a, cur.items[k], &c, 1));
    } else {
      SUP_ASSERT(*p == '[' || *p == '{');
      bool optional = *p == '[';
      char close = optional ? ']' : '}';
      p++;
      if (optional)
        for (int k = 0; k < cur.n; k++) ptrvec_push(E->a, &next, cur.items[k]);
      while (*p != close) {
        SpecComp alt[FORM_MAX];
        int n = 0;
        while (*p == '.') {
          p++;
          SUP_ASSERT(n < FORM_MAX);
          alt[n++] = parse_comp(E->a, &p);
        }
        for (int k = 0; k < cur.n; k++) ptrvec_push(E->a, &next, form_append(E->a, cur.items[k], alt, n));
        SUP_ASSERT(*p == '|' || *p == close);
        if (*p == '|') p++;
      }
      p++;
    }
    cur = next;
  }
  for (int k = 0; k < cur.n; k++) ptrvec_push(E->a, &E->forms, cur.items[k]);
}

static void load_forms(Elab *E) {
  if (E->forms.n) return;
  for (size_t k = 0; k < sizeof specs / sizeof specs[0]; k++) expand_spec(E, &specs[k]);
}

/* ---- matching -------------------------------------------------------------------*/

static unsigned char arg_kind(const AstExpr *arg) {
  if (!arg) return K_NONE;
  return arg->kind == EX_STR ? K_STR : K_NUM;
}

static bool name_match(const char *pat, const char *name) {
  return strchr(pat, '*') ? elab_glob_match(pat, name) : !strcmp(pat, name);
}

static int prefix_match(const ElabForm *f, const AstProbePoint *pt) {
  int k = 0;
  while (k < f->n && k < pt->ncomps && name_match(pt->comps[k].name, f->names[k])) k++;
  return k;
}

static const char *kinds_text(unsigned char k) {
  switch (k & (K_STR | K_NUM)) {
  case K_STR: return "a string";
  case K_NUM: return "a number";
  default: return "a string or number";
  }
}

static void report_arg(Elab *E, const AstPpComp *c, const char *name, unsigned char want) {
  unsigned char have = arg_kind(c->arg);
  if (have == K_NONE)
    elab_error(E, c->loc, "probe point component '%s' needs %s argument", name, kinds_text(want));
  else if (want == K_NONE)
    elab_error(E, c->loc, "probe point component '%s' takes no argument", name);
  else
    elab_error(E, c->loc, "probe point component '%s' takes %s argument, not %s", name, kinds_text(want),
               have == K_STR ? "a string" : "a number");
}

/* Range checks of timer.UNIT(N)[.randomize(M)] and the hz forms; false
 * when one fails (reported unless quiet), and the point then matches
 * nothing, as in stap, where -l does not list timer.ms(0). */
static bool check_timer(Elab *E, const AstProbePoint *pt, const ElabForm *f, bool quiet) {
  int64_t interval = 0;
  bool ok = true;
  for (int k = 0; k < pt->ncomps; k++) {
    const AstPpComp *c = &pt->comps[k];
    if (!c->arg || c->arg->kind != EX_NUM) continue;
    int64_t v = c->arg->num;
    if (!strcmp(f->names[k], "randomize")) {
      if (v >= 0 && v <= interval) continue;
      ok = false;
      if (!quiet)
        elab_error(E, c->loc,
                   "randomization value out of range: %lld must be between 0 and the interval, %lld",
                   (long long)v, (long long)interval);
      continue;
    }
    interval = v;
    bool jiffies = !strcmp(f->names[k], "jiffies");
    if (v > 0 && !(jiffies && v > 1000000)) continue;
    ok = false;
    if (quiet) continue;
    if (v <= 0)
      elab_error(E, c->loc, "timer interval must be positive, not %lld", (long long)v);
    else
      elab_error(E, c->loc, "timer.jiffies interval %lld is out of range (1 to 1000000)", (long long)v);
  }
  return ok;
}

static bool same_names(const AstProbePoint *a, const AstProbePoint *b) {
  if (a->ncomps != b->ncomps) return false;
  for (int k = 0; k < a->ncomps; k++)
    if (strcmp(a->comps[k].name, b->comps[k].name)) return false;
  return true;
}

int elab_family_match(Elab *E, const AstProbePoint *pt, bool quiet, PtrVec *out, int *fail_comp) {
  load_forms(E);
  int count = 0, best = 0;
  const ElabForm *bad_form = NULL;
  int bad_comp = -1;
  bool bad_value = false; /* a form matched, but a checked value was out of range */
  int start = out->n;
  for (int i = 0; i < E->forms.n; i++) {
    const ElabForm *f = E->forms.items[i];
    int pm = prefix_match(f, pt);
    if (pm > best) best = pm;
    if (f->n != pt->ncomps || pm != f->n) continue;
    int k = 0;
    while (k < f->n && (arg_kind(pt->comps[k].arg) & f->kinds[k])) k++;
    if (k < f->n) {
      /* a glob only selects the forms whose arguments fit */
      if (!bad_form && !strchr(pt->comps[k].name, '*')) {
        bad_form = f;
        bad_comp = k;
      }
      continue;
    }
    AstProbePoint *c = elab_copy_point(E->a, pt);
    for (int j = 0; j < f->n; j++) c->comps[j].name = f->names[j];
    bool dup = false;
    for (int j = start; j < out->n && !dup; j++) dup = same_names(out->items[j], c);
    if (dup) continue;
    if (f->check == CHECK_TIMER && !check_timer(E, c, f, quiet)) {
      bad_value = true;
      continue;
    }
    ptrvec_push(E->a, out, c);
    count++;
  }
  if (count) return count;
  if (bad_value) { /* reported by check_timer */
    *fail_comp = -2;
    return -1;
  }
  if (bad_form) {
    if (!quiet) report_arg(E, &pt->comps[bad_comp], bad_form->names[bad_comp], bad_form->kinds[bad_comp]);
    *fail_comp = -2;
    return -1;
  }
  *fail_comp = best;
  return -1;
}

int elab_family_names_at(Elab *E, const AstProbePoint *pt, int pos, const char **out, int max) {
  load_forms(E);
  int n = 0;
  for (int i = 0; i < E->forms.n && n < max; i++) {
    const ElabForm *f = E->forms.items[i];
    if (f->n <= pos || prefix_match(f, pt) < pos) continue;
    bool dup = false;
    for (int k = 0; k < n && !dup; k++) dup = !strcmp(out[k], f->names[pos]);
    if (!dup) out[n++] = f->names[pos];
  }
  return n;
}

/* elab.c: pass 2's driver and its name tables.
 *
 * fe_elaborate runs the phases of elab.h in order.  This file owns what every
 * phase shares: the tables of functions, globals and aliases over the user
 * file and the whole library, the lookups that apply stap's visibility rules
 * (private names stay in their file; the user's names hide the library's),
 * "did you mean" suggestions, and diagnostics that are given once per place
 * even though derived probes share code.  It does not walk bodies.
 */
#include "elab.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* ---- string map -------------------------------------------------------------*/

static uint32_t map_hash(const char *s) {
  uint32_t h = 2166136261u;
  for (; *s; s++) h = (h ^ (unsigned char)*s) * 16777619u;
  return h;
}

static int map_slot(const ElabMap *m, const char *key) {
  uint32_t i = map_hash(key) & (uint32_t)(m->cap - 1);
  while (m->keys[i] && strcmp(m->keys[i], key)) i = (i + 1) & (uint32_t)(m->cap - 1);
  return (int)i;
}

PtrVec *elab_map_get(const ElabMap *m, const char *key) {
  if (!m->cap) return NULL;
  int i = map_slot(m, key);
  return m->keys[i] ? m->vals[i] : NULL;
}

void elab_map_add(Arena *a, ElabMap *m, const char *key, void *val) {
  if (2 * (m->n + 1) > m->cap) {
    ElabMap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->keys = arena_alloc(a, sizeof(char *) * (size_t)m->cap);
    m->vals = arena_alloc(a, sizeof(PtrVec *) * (size_t)m->cap);
    m->n = 0;
    for (int k = 0; k < old.cap; k++) {
      if (!old.keys[k]) continue;
      int i = map_slot(m, old.keys[k]);
      m->keys[i] = old.keys[k];
      m->vals[i] = old.vals[k];
      m->n++;
    }
  }
  int i = map_slot(m, key);
  if (!m->keys[i]) {
    m->keys[i] = key;
    m->vals[i] = ARENA_NEW(a, PtrVec);
    m->n++;
  }
  if (val) ptrvec_push(a, m->vals[i], val);
}

/* ---- pointer map ------------------------------------------------------------*/

static uint32_t ptr_slot(const ElabPtrMap *m, const void *key) {
  uintptr_t h = (uintptr_t)key;
  h ^= h >> 17;
  h *= 0x9E3779B1u;
  uint32_t i = (uint32_t)(h ^ (h >> 32)) & (uint32_t)(m->cap - 1);
  while (m->keys[i] && m->keys[i] != key) i = (i + 1) & (uint32_t)(m->cap - 1);
  return i;
}

void *elab_ptrmap_get(const ElabPtrMap *m, const void *key) {
  if (!m->cap) return NULL;
  uint32_t i = ptr_slot(m, key);
  return m->keys[i] ? m->vals[i] : NULL;
}

void elab_ptrmap_put(Arena *a, ElabPtrMap *m, const void *key, void *val) {
  if (2 * (m->n + 1) > m->cap) {
    ElabPtrMap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->keys = arena_alloc(a, sizeof(void *) * (size_t)m->cap);
    m->vals = arena_alloc(a, sizeof(void *) * (size_t)m->cap);
    m->n = 0;
    for (int k = 0; k < old.cap; k++)
      if (old.keys[k]) elab_ptrmap_put(a, m, old.keys[k], old.vals[k]);
  }
  uint32_t i = ptr_slot(m, key);
  if (!m->keys[i]) m->n++;
  m->keys[i] = key;
  m->vals[i] = val;
}

/* ---- diagnostics ------------------------------------------------------------*/

/* Derived probes are copies of the same source: one mistake, one message. */
static void report(Elab *E, DiagLevel lv, SrcLoc loc, const char *fmt, va_list ap) {
  if (lv == DIAG_NOTE) {
    if (!E->last_dropped) diag_vreport(E->d, lv, loc, fmt, ap);
    return;
  }
  va_list ap2;
  va_copy(ap2, ap);
  char *msg = arena_vprintf(E->a, fmt, ap2);
  va_end(ap2);
  char *key = arena_printf(E->a, "%u:%u:%u:%d:%s", loc.file, loc.line, loc.col, (int)lv, msg);
  E->last_dropped = elab_map_get(&E->reported, key) != NULL;
  if (E->last_dropped) return;
  elab_map_add(E->a, &E->reported, key, NULL);
  diag_vreport(E->d, lv, loc, fmt, ap);
}

#define REPORT_FN(name, lv)                              \
  void name(Elab *E, SrcLoc loc, const char *fmt, ...) { \
    va_list ap;                                          \
    va_start(ap, fmt);                                   \
    report(E, lv, loc, fmt, ap);                         \
    va_end(ap);                                          \
  }
REPORT_FN(elab_error, DIAG_ERROR)
REPORT_FN(elab_warning, DIAG_WARNING)
REPORT_FN(elab_note, DIAG_NOTE)

typedef struct Cand {
  const char *name;
  int dist;
} Cand;

static int cand_cmp(const void *a, const void *b) {
  const Cand *x = a, *y = b;
  if (x->dist != y->dist) return x->dist - y->dist;
  return strcmp(x->name, y->name);
}

const char *elab_suggest(Elab *E, const char *name, const char *const *cands, int n) {
  int len = (int)strlen(name);
  int cap = len <= 4 ? 1 : len <= 8 ? 2 : 3;
  Cand *v = arena_alloc(E->a, sizeof(Cand) * (size_t)(n ? n : 1));
  int m = 0;
  for (int k = 0; k < n; k++) {
    if (!cands[k] || !strcmp(cands[k], name)) continue;
    int d = sup_edit_distance(name, cands[k], cap);
    if (d > cap || d >= len) continue;
    bool dup = false;
    for (int j = 0; j < m; j++) dup |= !strcmp(v[j].name, cands[k]);
    if (!dup) v[m++] = (Cand){cands[k], d};
  }
  if (!m) return "";
  qsort(v, (size_t)m, sizeof *v, cand_cmp);
  StrBuf b = {0};
  sb_puts(&b, " (did you mean: ");
  for (int k = 0; k < m && k < ELAB_MAX_SUGGEST; k++) sb_printf(&b, "%s%s", k ? ", " : "", v[k].name);
  sb_puts(&b, "?)");
  const char *r = arena_strdup(E->a, sb_str(&b));
  sb_free(&b);
  return r;
}

/* ---- files and tables -------------------------------------------------------*/

AstFile *elab_file_of(const Elab *E, SrcLoc loc) { return loc.file < E->nsrc ? E->by_src[loc.file] : NULL; }

bool elab_loc_is_tapset(const Elab *E, SrcLoc loc) {
  const SrcFile *f = srcset_get(&E->s->src, loc.file);
  return f ? f->is_tapset != 0 : false;
}

ElabFuncInfo *elab_finfo(Elab *E, const AstFunc *fn) {
  ElabFuncInfo *fi = elab_ptrmap_get(&E->finfo_by_fn, fn);
  SUP_ASSERT(fi);
  return fi;
}

/* Several definitions of one name and arity are runtime overloads (langref
 * 3.4): no error here; link_overloads orders them. */
static void add_func(Elab *E, AstFunc *fn, int order) {
  PtrVec *same = elab_map_get(&E->funcs, fn->name);
  /* chain overloads of other arities (the contract's next_overload) */
  for (int k = same ? same->n - 1 : -1; k >= 0; k--) {
    AstFunc *o = same->items[k];
    if (o->nparams != fn->nparams && !o->next_overload) {
      o->next_overload = fn;
      break;
    }
  }
  elab_map_add(E->a, &E->funcs, fn->name, fn);
  ElabFuncInfo *fi = ARENA_NEW(E->a, ElabFuncInfo);
  fi->fn = fn;
  fi->order = order;
  ptrvec_push(E->a, &E->finfo, fi);
  elab_ptrmap_put(E->a, &E->finfo_by_fn, fn, fi);
}

static void add_global(Elab *E, AstFile *f, AstSym *g) {
  PtrVec *same = elab_map_get(&E->globals, g->name);
  for (int k = 0; same && k < same->n; k++) {
    AstSym *o = same->items[k];
    if (o->file != f) continue;
    elab_error(E, g->loc, "global '%s' is already declared", g->name);
    elab_note(E, o->loc, "the previous declaration of '%s' is here", g->name);
    return;
  }
  g->kind = SYM_GLOBAL;
  g->file = f;
  g->type_loc = g->loc;
  if (g->init) {
    g->type = g->init->kind == EX_STR ? TY_STRING : TY_LONG;
    g->arity = 0;
    g->written = true;
  }
  elab_map_add(E->a, &E->globals, g->name, g);
}

static void collect(Elab *E) {
  ptrvec_push(E->a, &E->files, E->user);
  for (int k = 0; k < E->s->tapsets.n; k++)
    if (E->s->tapsets.items[k] != E->user) ptrvec_push(E->a, &E->files, E->s->tapsets.items[k]);
  E->nsrc = E->s->src.n;
  E->by_src = arena_alloc(E->a, sizeof(AstFile *) * (E->nsrc ? E->nsrc : 1));
  int order = 0, aorder = 0;
  for (int i = 0; i < E->files.n; i++) {
    AstFile *f = E->files.items[i];
    if (f->src < E->nsrc) E->by_src[f->src] = f;
    f->used = false;
    for (int k = 0; k < f->funcs.n; k++) add_func(E, f->funcs.items[k], order++);
    for (int k = 0; k < f->globals.n; k++) add_global(E, f, f->globals.items[k]);
    for (int k = 0; k < f->aliases.n; k++) {
      AstProbe *pr = f->aliases.items[k];
      for (int j = 0; j < pr->nalias_names; j++) {
        ElabAlias *al = ARENA_NEW(E->a, ElabAlias);
        al->probe = pr;
        al->name = pr->alias_names[j];
        al->file = f;
        al->order = aorder++;
        ptrvec_push(E->a, &E->aliases, al);
      }
    }
  }
}

/* ---- lookups ----------------------------------------------------------------*/

/* Tier of a declaration seen from file `from`: 0 invisible, 1 private to
 * from, 2 the user's, 3 the library's. */
static int tier(const Elab *E, AstFile *decl_file, bool priv, AstFile *from) {
  if (priv) return decl_file == from ? 1 : 0;
  return decl_file == E->user ? 2 : 3;
}

/* Overloads of one name and arity run in this order (langref 3.4): by
 * priority, the written one or else 0 for the user's functions and 1 for the
 * library's; then, as before priorities existed, a file's private functions
 * before the user's before the library's (tiers); then declaration order. */
static bool overload_before(Elab *E, const AstFunc *a, int ta, const AstFunc *b, int tb) {
  int64_t pa = a->priority ? a->priority : a->file == E->user ? 0 : 1;
  int64_t pb = b->priority ? b->priority : b->file == E->user ? 0 : 1;
  if (pa != pb) return pa < pb;
  if (ta != tb) return ta < tb;
  return elab_finfo(E, a)->order < elab_finfo(E, b)->order;
}

AstFunc *elab_lookup_func(Elab *E, const char *name, int nargs, AstFile *from) {
  PtrVec *v = elab_map_get(&E->funcs, name);
  AstFunc *best = NULL, *lib = NULL;
  int best_tier = 99;
  for (int k = 0; v && k < v->n; k++) {
    AstFunc *fn = v->items[k];
    if (fn->nparams != nargs) continue;
    int t = tier(E, fn->file, fn->is_private, from);
    if (!t) continue;
    if (t == 3 && best_tier == 3 && lib && fn->file != lib->file) {
      elab_error(E, fn->loc, "function '%s' with %d parameter%s is defined in two library files", name, nargs,
                 nargs == 1 ? "" : "s");
      elab_note(E, lib->loc, "the other definition of '%s' is here", name);
    }
    if (t == 3 && !lib) lib = fn;
    if (!best || overload_before(E, fn, t, best, best_tier)) {
      best = fn;
      best_tier = t;
    }
  }
  return best;
}

static bool stmt_has_next(const AstStmt *st) {
  if (!st) return false;
  if (st->kind == ST_NEXT) return true;
  if (st->kind == ST_EMBEDDED) return st->code && strstr(st->code, "STAP_NEXT");
  for (int k = 0; k < st->nbody; k++)
    if (stmt_has_next(st->body[k])) return true;
  return stmt_has_next(st->then) || stmt_has_next(st->els);
}

/* Sets each function's fallback: the overload its 'next' runs, the one
 * after it in overload_before's order as seen from its own file.  A
 * function without 'next' has none, so the overloads after it are never
 * reached (stap drops them too).  Reading: the chain is fixed per function,
 * not per caller; only a private overload declared in a tapset could make
 * the two differ. */
static void link_overloads(Elab *E) {
  for (int i = 0; i < E->finfo.n; i++) {
    AstFunc *fn = ((ElabFuncInfo *)E->finfo.items[i])->fn;
    if (!stmt_has_next(fn->body)) continue;
    PtrVec *same = elab_map_get(&E->funcs, fn->name);
    int tf = tier(E, fn->file, fn->is_private, fn->file), tbest = 0;
    AstFunc *best = NULL;
    for (int k = 0; k < same->n; k++) {
      AstFunc *o = same->items[k];
      int t = tier(E, o->file, o->is_private, fn->file);
      if (o == fn || o->nparams != fn->nparams || !t || !overload_before(E, fn, tf, o, t)) continue;
      if (!best || overload_before(E, o, t, best, tbest)) {
        best = o;
        tbest = t;
      }
    }
    fn->fallback = best;
  }
}

AstSym *elab_lookup_global(Elab *E, const char *name, AstFile *from) {
  PtrVec *v = elab_map_get(&E->globals, name);
  AstSym *best = NULL;
  int best_tier = 99;
  for (int k = 0; v && k < v->n; k++) {
    AstSym *g = v->items[k];
    int t = tier(E, g->file, g->is_private, from);
    if (!t) continue;
    if (t < best_tier) {
      best = g;
      best_tier = t;
    } else if (t == best_tier && t == 3 && g->file != best->file) {
      elab_error(E, g->loc, "global '%s' is declared in two library files", name);
      elab_note(E, best->loc, "the other declaration of '%s' is here", name);
    }
  }
  return best;
}

/* ---- -G NAME=VALUE ----------------------------------------------------------*/

static void gvars_mark(Elab *E) {
  for (int k = 0; k < E->s->opt.ngvars; k++) {
    const char *arg = E->s->opt.gvars[k];
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
      elab_error(E, (SrcLoc){0}, "-G %s: expected NAME=VALUE", arg);
      continue;
    }
    const char *name = arena_strndup(E->a, arg, (size_t)(eq - arg));
    AstSym *g = elab_lookup_global(E, name, E->user);
    if (!g) {
      PtrVec names = {0};
      for (int i = 0; i < E->user->globals.n; i++)
        ptrvec_push(E->a, &names, (void *)((AstSym *)E->user->globals.items[i])->name);
      elab_error(E, (SrcLoc){0}, "-G %s: the script has no global variable '%s'%s", arg, name,
                 elab_suggest(E, name, (const char *const *)names.items, names.n));
      continue;
    }
    g->from_cmdline = true;
    g->written = true;
  }
}

bool elab_is_number(const char *s) {
  if (!*s) return false;
  char *end;
  errno = 0;
  (void)strtoll(s, &end, 0);
  if (*end || errno) {
    errno = 0;
    (void)strtoull(s, &end, 0);
    return !*end && !errno && *s != '-';
  }
  return true;
}

static void gvars_check(Elab *E) {
  for (int k = 0; k < E->s->opt.ngvars; k++) {
    const char *arg = E->s->opt.gvars[k];
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) continue;
    AstSym *g = elab_lookup_global(E, arena_strndup(E->a, arg, (size_t)(eq - arg)), E->user);
    if (!g || !g->used) continue;
    if (g->arity > 0) {
      elab_error(E, (SrcLoc){0}, "-G %s: '%s' is an array; -G sets only scalars", arg, g->name);
      elab_note(E, g->loc, "'%s' is declared here", g->name);
    } else if (g->type == TY_STATS) {
      elab_error(E, (SrcLoc){0}, "-G %s: '%s' holds statistics; -G sets only numbers and strings", arg,
                 g->name);
    } else if (g->type == TY_LONG && !elab_is_number(eq + 1)) {
      elab_error(E, (SrcLoc){0}, "-G %s: '%s' is a long, but '%s' is not a number", arg, g->name, eq + 1);
      elab_note(E, g->type_loc, "the type of '%s' was inferred here", g->name);
    }
  }
}

/* ---- the pass -----------------------------------------------------------------*/

int fe_elaborate(FeSession *s) {
  int errors = s->diag.nerrors;
  if (!s->user) {
    diag_error(&s->diag, (SrcLoc){0}, "no script to elaborate");
    return -1;
  }
  if (!s->tapsets_loaded) (void)fe_load_tapsets(s); /* a broken library file is reported, not fatal */
  Elab *E = ARENA_NEW(s->arena, Elab);
  E->s = s;
  E->a = s->arena;
  E->d = &s->diag;
  E->user = s->user;
  E->prog = ARENA_NEW(s->arena, ElabProgram);
  s->prog = E->prog;
  s->priv = E;
  collect(E);
  link_overloads(E);
  gvars_mark(E);
  elab_derive_probes(E);
  elab_resolve(E);
  elab_optimize(E);
  elab_infer_types(E);
  gvars_check(E);
  return s->diag.nerrors > errors ? -1 : 0;
}

int fe_library_files_used(const FeSession *s) { return s->prog ? s->prog->ntapset_files : 0; }

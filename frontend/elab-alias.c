/* elab-alias.c: from the user's probes to concrete derived probes.
 *
 * Each point of each user probe is expanded: a point whose components match
 * an alias name (the point may use '*' globs, alias names are literal)
 * becomes the alias's target points, plus any suffix the point had beyond the
 * alias name (langref 3.2.4); targets may name aliases again, to a depth
 * limit and never in a loop.  A point that matches no alias must match a
 * built-in family (elab-family.c).  Optional points ('?', and everything
 * below one) fail silently; a sufficient point ('!') that resolves cuts off
 * the points after it, where resolving means matching an alias or a family:
 * whether kernel.function("x") exists is the backend's question, asked
 * later.  Every concrete point found becomes an ElabProbe with
 * its own copy of the body: the prologues of the aliases it went through
 * (innermost first), the user's body, then the epilogues, and with the
 * conditions of all levels and-ed together.
 *
 * Order follows stap: an exact alias name, then the built-in families, then
 * an alias with a suffix (so timer.profile.tick stays built in although
 * timer.profile is an alias).
 */
#include "elab.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DERIVED 20000 /* concrete probes from one script */
#define MAX_EXPANSIONS 1000000

typedef struct Level {
  ElabAlias *alias;
  const AstProbePoint *ref; /* the point that named the alias */
} Level;

typedef struct Deriv {
  AstProbe *user;
  const char *text; /* "alias <- ... <- user points" */
  Level levels[ELAB_MAX_ALIAS_DEPTH];
  int depth;
  bool optional;
  AstExpr *conds[ELAB_MAX_ALIAS_DEPTH + 2];
  int nconds;
} Deriv;

typedef struct Expander {
  Elab *E;
  long expansions;
  bool too_many;
} Expander;

/* ---- text -----------------------------------------------------------------------*/

const char *elab_point_text(Elab *E, const AstProbePoint *pp, bool flags) {
  StrBuf b = {0};
  if (flags) {
    fe_print_probe_point(&b, pp);
  } else {
    AstProbePoint bare = *pp;
    bare.optional = bare.sufficient = false;
    bare.cond = NULL;
    fe_print_probe_point(&b, &bare);
  }
  const char *r = arena_strdup(E->a, sb_str(&b));
  sb_free(&b);
  return r;
}

static const char *points_text(Elab *E, AstProbePoint *const *v, int n, const char *sep) {
  StrBuf b = {0};
  for (int k = 0; k < n; k++) {
    if (k) sb_puts(&b, sep);
    fe_print_probe_point(&b, v[k]);
  }
  const char *r = arena_strdup(E->a, sb_str(&b));
  sb_free(&b);
  return r;
}

/* "a.b = begin, end" as stap's derivation comments show an alias. */
static const char *alias_text(Elab *E, ElabAlias *al) {
  if (!al->text)
    al->text =
        arena_printf(E->a, "%s %s %s", elab_point_text(E, al->name, false), al->probe->epilogue ? "+=" : "=",
                     points_text(E, al->probe->points, al->probe->npoints, ", "));
  return al->text;
}

/* ---- alias matching -----------------------------------------------------------------*/

static bool has_wildcard(const AstProbePoint *pt) {
  for (int k = 0; k < pt->ncomps; k++)
    if (strchr(pt->comps[k].name, '*')) return true;
  return false;
}

static bool arg_equal(const AstExpr *a, const AstExpr *b) {
  if (!a || !b) return !a && !b;
  if (a->kind != b->kind) return false;
  if (a->kind == EX_NUM) return a->num == b->num;
  return a->str_len == b->str_len && !memcmp(a->str, b->str, a->str_len);
}

static bool comp_match(const AstPpComp *pat, const AstPpComp *name) {
  bool names =
      strchr(pat->name, '*') ? elab_glob_match(pat->name, name->name) : !strcmp(pat->name, name->name);
  return names && arg_equal(pat->arg, name->arg);
}

static int names_cmp(const AstProbePoint *a, const AstProbePoint *b) {
  for (int k = 0; k < a->ncomps && k < b->ncomps; k++) {
    int c = strcmp(a->comps[k].name, b->comps[k].name);
    if (c) return c;
  }
  return a->ncomps - b->ncomps;
}

static int point_cmp(const void *a, const void *b) {
  return names_cmp(*(AstProbePoint *const *)a, *(AstProbePoint *const *)b);
}

/* By name, then declaration order (qsort is not stable). */
static int alias_cmp(const void *a, const void *b) {
  const ElabAlias *x = *(ElabAlias *const *)a, *y = *(ElabAlias *const *)b;
  int c = names_cmp(x->name, y->name);
  return c ? c : x->order - y->order;
}

/* How many leading components of pt the alias name matches (all of the name, or -1). */
static int alias_match(Elab *E, const ElabAlias *al, const AstProbePoint *pt, AstFile *from) {
  if (al->probe->is_private && al->file != from) return -1;
  int m = al->name->ncomps;
  if (m > pt->ncomps) return -1;
  for (int k = 0; k < m; k++)
    if (!comp_match(&pt->comps[k], &al->name->comps[k])) return -1;
  return m;
}

/* ---- making probes ------------------------------------------------------------------*/

static AstStmt *block_of(Arena *a, SrcLoc loc, AstStmt *x, AstStmt *y, AstStmt *z) {
  AstStmt *b = ARENA_NEW(a, AstStmt);
  b->kind = ST_BLOCK;
  b->loc = loc;
  b->body = arena_alloc(a, sizeof(AstStmt *) * 3);
  if (x) b->body[b->nbody++] = x;
  if (y) b->body[b->nbody++] = y;
  if (z) b->body[b->nbody++] = z;
  return b;
}

static AstStmt *combined_body(Elab *E, const Deriv *D) {
  AstStmt *body = elab_copy_stmt(E->a, D->user->body);
  SrcLoc loc = D->user->body ? D->user->body->loc : D->user->loc;
  for (int i = 0; i < D->depth; i++) {
    const AstProbe *al = D->levels[i].alias->probe;
    AstStmt *own = elab_copy_stmt(E->a, al->body);
    if (al->epilogue)
      body = block_of(E->a, loc, body, own, NULL);
    else
      body = block_of(E->a, loc, own, body, elab_copy_stmt(E->a, al->epi_body));
  }
  if (!body) body = block_of(E->a, loc, NULL, NULL, NULL);
  return body;
}

/* The conditions of all levels, and-ed from the innermost out, as stap
 * shows them: (target's) && (alias user's) && ... */
static AstExpr *combined_cond(Elab *E, const Deriv *D) {
  AstExpr *c = NULL;
  for (int k = D->nconds - 1; k >= 0; k--) {
    AstExpr *x = elab_copy_expr(E->a, D->conds[k]);
    if (!c) {
      c = x;
      continue;
    }
    AstExpr *and = ARENA_NEW(E->a, AstExpr);
    and->kind = EX_BINARY;
    and->op = OP_LAND;
    and->loc = c->loc;
    and->lhs = c;
    and->rhs = x;
    c = and;
  }
  return c;
}

static void make_probe(Expander *X, const Deriv *D, AstProbePoint *concrete) {
  Elab *E = X->E;
  if (E->prog->probes.n >= MAX_DERIVED) {
    if (!X->too_many)
      elab_error(E, D->user->loc, "too many probes (more than %d) after alias expansion", MAX_DERIVED);
    X->too_many = true;
    return;
  }
  ElabProbe *ep = ARENA_NEW(E->a, ElabProbe);
  ep->point = concrete;
  ep->pp = elab_point_text(E, concrete, false);
  ep->derivation = D->text;
  ep->body = combined_body(E, D);
  ep->cond = combined_cond(E, D);
  concrete->cond = ep->cond; /* the header shows the whole condition */
  ep->origin = D->user;
  ep->index = E->prog->probes.n;
  ep->optional = D->optional;
  ElabProbeInfo *pi = ARENA_NEW(E->a, ElabProbeInfo);
  pi->file = E->user;
  pi->named = D->depth ? D->levels[0].ref : NULL;
  for (int i = 0; i < D->depth; i++) ptrvec_push(E->a, &pi->aliases, D->levels[i].alias);
  ptrvec_push(E->a, &E->prog->probes, ep);
  ptrvec_push(E->a, &E->pinfo, pi);
}

/* ---- errors -----------------------------------------------------------------------*/

/* Notes from the innermost alias out to the user's point (the innermost
 * few and the user's point when the chain is long). */
static void chain_notes(Elab *E, const Deriv *D) {
  for (int i = D->depth - 1; i >= 0; i--) {
    if (i > 0 && i < D->depth - 4) {
      if (i == D->depth - 5)
        elab_note(E, D->levels[i].ref->loc, "... %d more levels of probe aliases ...", i);
      continue;
    }
    elab_note(E, D->levels[i].ref->loc, "while expanding probe alias '%s' here",
              elab_point_text(E, D->levels[i].alias->name, false));
  }
}

/* How far pt goes along some visible alias name, component by component. */
static int alias_prefix(Elab *E, const AstProbePoint *pt, AstFile *from) {
  int best = 0;
  for (int i = 0; i < E->aliases.n; i++) {
    const ElabAlias *al = E->aliases.items[i];
    if (al->probe->is_private && al->file != from) continue;
    int k = 0;
    while (k < pt->ncomps && k < al->name->ncomps && comp_match(&pt->comps[k], &al->name->comps[k])) k++;
    if (k > best) best = k;
  }
  return best;
}

static const char *comp_text(Elab *E, const AstPpComp *c) {
  AstProbePoint one = {.comps = (AstPpComp *)c, .ncomps = 1};
  return elab_point_text(E, &one, false);
}

static void report_mismatch(Elab *E, const Deriv *D, const AstProbePoint *pt, int fail, int nbase,
                            AstFile *from) {
  const char *names[256];
  int ap = alias_prefix(E, pt, from);
  if (ap > fail) fail = ap;
  int n = elab_family_names_at(E, pt, fail, names, 200);
  for (int i = 0; i < E->aliases.n && n < 256; i++) {
    const ElabAlias *al = E->aliases.items[i];
    if ((al->probe->is_private && al->file != from) || al->name->ncomps <= fail) continue;
    int k = 0;
    while (k < fail && comp_match(&pt->comps[k], &al->name->comps[k])) k++;
    if (k == fail) names[n++] = al->name->comps[fail].name;
  }
  if (fail >= pt->ncomps) {
    StrBuf b = {0};
    for (int k = 0; k < n && k < 6; k++) sb_printf(&b, "%s%s", k ? ", " : "", names[k]);
    elab_error(E, pt->comps[pt->ncomps - 1].loc, "probe point mismatch: '%s' is incomplete%s%s%s",
               elab_point_text(E, pt, false), n ? " (it may go on with: " : "", sb_str(&b), n ? ")" : "");
    sb_free(&b);
  } else if (fail >= nbase) {
    AstProbePoint base = *pt;
    base.ncomps = nbase;
    elab_error(E, pt->comps[fail].loc, "invalid suffix '%s' for probe point '%s'%s",
               comp_text(E, &pt->comps[fail]), elab_point_text(E, &base, false),
               elab_suggest(E, pt->comps[fail].name, names, n));
  } else {
    elab_error(E, pt->comps[fail].loc, "probe point mismatch: no probe alias or family matches '%s'%s",
               comp_text(E, &pt->comps[fail]), elab_suggest(E, pt->comps[fail].name, names, n));
  }
  chain_notes(E, D);
}

/* ---- expansion ---------------------------------------------------------------------*/

static int expand(Expander *X, const Deriv *D, const AstProbePoint *pt, AstFile *from, int nbase);

/* Expands pt through alias al, which matched its first m components. */
static int expand_alias(Expander *X, const Deriv *D, const AstProbePoint *pt, ElabAlias *al, int m) {
  Elab *E = X->E;
  for (int i = 0; i < D->depth; i++) {
    if (D->levels[i].alias->probe != al->probe) continue;
    elab_error(E, pt->loc, "recursive loop in the expansion of probe alias '%s'",
               elab_point_text(E, al->name, false));
    chain_notes(E, D);
    return 0;
  }
  if (D->depth >= ELAB_MAX_ALIAS_DEPTH) {
    elab_error(E, pt->loc, "probe alias expansion nested too deeply (more than %d levels)",
               ELAB_MAX_ALIAS_DEPTH);
    chain_notes(E, D);
    return 0;
  }
  Deriv D2 = *D;
  D2.levels[D2.depth++] = (Level){al, pt};
  D2.text = arena_printf(E->a, "%s <- %s", alias_text(E, al), D->text);
  int total = 0;
  for (int t = 0; t < al->probe->npoints; t++) {
    const AstProbePoint *T = al->probe->points[t];
    AstProbePoint *q = elab_copy_point(E->a, T);
    q->cond = T->cond;
    q->ncomps = T->ncomps + pt->ncomps - m;
    q->comps = arena_alloc(E->a, sizeof(AstPpComp) * (size_t)q->ncomps);
    memcpy(q->comps, T->comps, sizeof(AstPpComp) * (size_t)T->ncomps);
    memcpy(q->comps + T->ncomps, pt->comps + m, sizeof(AstPpComp) * (size_t)(pt->ncomps - m));
    int r = expand(X, &D2, q, al->file, T->ncomps);
    total += r;
    if (r > 0 && T->sufficient) break;
  }
  return total;
}

static int expand(Expander *X, const Deriv *D, const AstProbePoint *pt, AstFile *from, int nbase) {
  Elab *E = X->E;
  if (X->too_many || ++X->expansions > MAX_EXPANSIONS) {
    if (!X->too_many) elab_error(E, D->user->loc, "probe alias expansion too large");
    X->too_many = true;
    return 0;
  }
  Deriv here = *D;
  here.optional |= pt->optional || pt->sufficient;
  if (pt->cond) here.conds[here.nconds++] = pt->cond;
  bool wild = has_wildcard(pt);
  int total = 0, best = 0;
  PtrVec exact = {0};
  for (int i = 0; i < E->aliases.n; i++) {
    int m = alias_match(E, E->aliases.items[i], pt, from);
    if (m == pt->ncomps)
      ptrvec_push(E->a, &exact, E->aliases.items[i]);
    else if (m > best)
      best = m;
  }
  /* stap walks its tree of names in order: wildcard matches come sorted */
  if (wild && exact.n > 1) qsort(exact.items, (size_t)exact.n, sizeof(void *), alias_cmp);
  for (int i = 0; i < exact.n; i++) total += expand_alias(X, &here, pt, exact.items[i], pt->ncomps);
  int nexact = exact.n;
  if (nexact && !wild) return total;
  PtrVec found = {0};
  int fail = 0;
  int r = elab_family_match(E, pt, here.optional, &found, &fail);
  if (wild && found.n > 1) qsort(found.items, (size_t)found.n, sizeof(void *), point_cmp);
  for (int k = 0; k < found.n; k++) make_probe(X, &here, found.items[k]);
  if (r > 0) total += r;
  if (total > 0 || nexact || fail == -2) return total;
  if (best > 0) {
    for (int i = 0; i < E->aliases.n; i++)
      if (alias_match(E, E->aliases.items[i], pt, from) == best)
        total += expand_alias(X, &here, pt, E->aliases.items[i], best);
    return total;
  }
  if (!here.optional) report_mismatch(E, &here, pt, fail, nbase, from);
  return 0;
}

void elab_derive_probes(Elab *E) {
  Expander X = {.E = E};
  for (int i = 0; i < E->user->probes.n; i++) {
    AstProbe *pr = E->user->probes.items[i];
    Deriv D = {.user = pr, .text = points_text(E, pr->points, pr->npoints, ",")};
    for (int k = 0; k < pr->npoints; k++) {
      int r = expand(&X, &D, pr->points[k], E->user, pr->points[k]->ncomps);
      if (r > 0 && pr->points[k]->sufficient) break;
    }
  }
}

/* elab-list.c: -l and -L, what each derived probe is listed as.
 *
 * stap's listing mode elaborates "probe POINT {}" and names every derived
 * probe by the second link of its derivation chain: the outermost alias it
 * went through, printed as the alias's name followed by whatever suffix the
 * user's point added beyond that name ("tt.randomize(1)" for alias tt), or,
 * when no alias was involved, the concrete point itself with its ?, ! and
 * condition ("timer.ms(100)?").  -L adds the derived probe's locals, which
 * are the alias bodies' variables since the user's body is empty.
 *
 * This file only reads the elaborated program; it neither sorts nor prints
 * (the driver does, after expanding what the backend resolves: tracepoint
 * and kernel-function globs).
 */
#include "elab.h"

/* The alias's name and the user's suffix.  The suffix is taken from the
 * end of the concrete point, where each expansion appended it and where
 * family matching has replaced its globs with the names they matched. */
static const AstProbePoint *alias_name(Elab *E, const ElabProbe *ep, const ElabProbeInfo *pi) {
  const ElabAlias *al = pi->aliases.items[0];
  int nsuffix = pi->named ? pi->named->ncomps - al->name->ncomps : 0;
  if (nsuffix < 0) nsuffix = 0;
  if (nsuffix > ep->point->ncomps) nsuffix = ep->point->ncomps;
  AstProbePoint *pp = ARENA_NEW(E->a, AstProbePoint);
  pp->loc = al->name->loc;
  pp->ncomps = al->name->ncomps + nsuffix;
  pp->comps = arena_alloc(E->a, sizeof(AstPpComp) * (size_t)pp->ncomps);
  for (int k = 0; k < al->name->ncomps; k++) pp->comps[k] = al->name->comps[k];
  for (int k = 0; k < nsuffix; k++)
    pp->comps[al->name->ncomps + k] = ep->point->comps[ep->point->ncomps - nsuffix + k];
  return pp;
}

/* Locals only: a probe has no parameters, but stay safe if one ever does. */
static void local_vars(Elab *E, const ElabProbe *ep, FeListed *l) {
  AstSym **v = arena_alloc(E->a, sizeof(AstSym *) * (size_t)(ep->nlocals ? ep->nlocals : 1));
  int n = 0;
  for (int k = 0; k < ep->nlocals; k++)
    if (ep->locals[k]->kind == SYM_LOCAL) v[n++] = ep->locals[k];
  l->vars = v;
  l->nvars = n;
}

int fe_list_probes(FeSession *s, const FeListed **out) {
  *out = NULL;
  Elab *E = s->priv;
  if (!s->prog || !E) return 0;
  const ElabProgram *P = s->prog;
  FeListed *v = arena_alloc(E->a, sizeof(FeListed) * (size_t)(P->probes.n ? P->probes.n : 1));
  for (int i = 0; i < P->probes.n; i++) {
    const ElabProbe *ep = P->probes.items[i];
    const ElabProbeInfo *pi = E->pinfo.items[i];
    v[i] = (FeListed){.probe = ep};
    if (pi->aliases.n) v[i].alias_name = alias_name(E, ep, pi);
    local_vars(E, ep, &v[i]);
  }
  *out = v;
  return P->probes.n;
}

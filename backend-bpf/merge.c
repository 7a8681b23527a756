/* merge.c: tracepoint probes that share one BPF program.
 *
 * A script with hundreds of probes usually repeats one body with a
 * different constant in each (`probe kernel.trace("X") { c[5]++ }`).  Each
 * program costs LLVM a few milliseconds and the verifier a load, whatever
 * its size, so compile time grows with the number of probes, not with the
 * code.  Here such probes are found and grouped: the group's first probe
 * (its representative) gets the only program, every member attaches it
 * with its ordinal as the BPF cookie, and the program reads the member's
 * values of the constants that differ, and the shift of its site numbers,
 * from a table indexed by the cookie (gen-func.c).
 *
 * Two handlers merge when their IR is the same instruction for instruction
 * (ops, types, operands by position, blocks, globals, formats, builtins,
 * string bounds) except for the values of i64 constants whose every use
 * takes them as a plain value (arithmetic, comparisons, map keys and
 * values, printf arguments, stores): an op that reads a constant's value
 * at compile time (a divisor, a builtin's argument) keeps the constants
 * apart.  Sites are per instruction in the layout, and a handler's sites
 * are consecutive, so member j's sites are the representative's plus one
 * shift: an error in a member still names its own line.
 *
 * Only kernel.trace probes on one named tracepoint each (the kernel
 * refuses one program twice on a tracepoint, so a group's tracepoints are
 * distinct) whose handlers read nothing probe-specific ($fields, pp(),
 * ppfunc(), print_backtrace()'s site) are candidates, and
 * only groups of at least BLAY_MERGE_MIN probes merge: the cookie lookup
 * costs every hit a helper call and a few loads, worth paying where it
 * saves the compilation of many programs.  The grouping depends on the IR
 * alone, so the loader (session.c) finds the same groups in a saved
 * object's IR that the generator compiled.
 */
#include "bpfload.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A handler laid out flat: its instructions in block order, and each
 * value's position (by instruction id). */
typedef struct Flat {
  const IrFunc *f;
  const IrInst **ins;
  int n;
  int *pos; /* by id */
  char tp[200]; /* its tracepoint, SYSTEM:EVENT */
  uint64_t hash;
  int site0; /* its first site, or -1 */
} Flat;

static uint64_t mix(uint64_t h, uint64_t v) { return (h ^ v) * 0x100000001b3ull; }

static const char *bname(const IrInst *i) {
  const IrBuiltin *b = i->aux;
  return b ? b->name : "";
}

/* Does the handler read anything that depends on which probe runs it? */
static bool probe_specific(const IrInst *i) {
  if (i->op == IR_CTX) return true;
  if (i->op != IR_BUILTIN) return false;
  const char *n = bname(i);
  return !strcmp(n, "pp") || !strcmp(n, "ppfunc") || !strcmp(n, "probefunc") || !strcmp(n, "print_backtrace");
}

static int flat_init(Flat *fl, const IrFunc *f) {
  memset(fl, 0, sizeof *fl);
  fl->f = f;
  fl->site0 = -1;
  int n = 0;
  for (int b = 0; b < f->nblocks; b++)
    for (const IrInst *i = f->blocks[b]->first; i; i = i->next) n++;
  fl->ins = malloc(sizeof *fl->ins * (size_t)(n ? n : 1));
  fl->pos = malloc(sizeof *fl->pos * (size_t)(f->next_id + 1));
  if (!fl->ins || !fl->pos) return -ENOMEM;
  for (int k = 0; k <= f->next_id; k++) fl->pos[k] = -1;
  uint64_t h = 0xcbf29ce484222325ull;
  for (int b = 0; b < f->nblocks; b++) {
    h = mix(h, 0xb10c);
    for (const IrInst *i = f->blocks[b]->first; i; i = i->next) {
      if (probe_specific(i)) return 1;
      if (i->id >= 0 && i->id <= f->next_id) fl->pos[i->id] = fl->n;
      fl->ins[fl->n++] = i;
      h = mix(mix(mix(h, (uint64_t)i->op), (uint64_t)i->type), (uint64_t)i->nargs);
      if (i->op != IR_CONST_I64) h = mix(h, (uint64_t)i->imm);
    }
  }
  fl->hash = h;
  return 0;
}

static void flat_fini(Flat *fl) {
  free(fl->ins);
  free(fl->pos);
}

static int block_index(const IrBlock *b) { return b ? b->index : -1; }

static bool same_aux(const IrInst *x, const IrInst *y) {
  if (x->aux == y->aux) return true;
  if (!x->aux || !y->aux) return false;
  switch (x->op) {
  case IR_PRINTF:
  case IR_SPRINTF: {
    const IrFormat *a = x->aux, *b = y->aux;
    return a->len == b->len && !memcmp(a->text, b->text, a->len);
  }
  case IR_BUILTIN: return !strcmp(bname(x), bname(y));
  case IR_ITER_BEGIN: {
    const IrSort *a = x->aux, *b = y->aux;
    return a->col == b->col && a->dir == b->dir && a->aggr == b->aggr && a->has_limit == b->has_limit &&
           a->slice == b->slice;
  }
  default: return false;
  }
}

/* May constant c (at position p of fl) take another value per member?
 * Only if every use reads it as a plain run-time value. */
static bool param_ok(const Flat *fl, int p) {
  const IrInst *c = fl->ins[p];
  for (int k = 0; k < fl->n; k++) {
    const IrInst *u = fl->ins[k];
    for (int a = 0; a < u->nargs; a++) {
      if (u->args[a] != c) continue;
      switch (u->op) {
      case IR_ADD: case IR_SUB: case IR_MUL: case IR_AND: case IR_OR: case IR_XOR: case IR_NEG: case IR_BNOT:
      case IR_EQ: case IR_NE: case IR_LT: case IR_LE: case IR_GT: case IR_GE: case IR_TOBOOL:
      case IR_MAP_GET: case IR_MAP_SET: case IR_MAP_EXISTS: case IR_MAP_DELETE: case IR_STAT_ADD:
      case IR_PRINTF: case IR_GLOBAL_SET: case IR_LOCAL_SET: case IR_PHI: case IR_COPY:
        break;
      default: return false;
      }
    }
  }
  return true;
}

/* Is b the same handler as a but for i64 constants?  Sets diff[p] for
 * each position p whose constants differ. */
static bool same_handler(const Flat *a, const Flat *b, bool *diff) {
  if (a->f == b->f) return true;
  if (a->hash != b->hash || a->n != b->n || a->f->nblocks != b->f->nblocks || a->f->nslots != b->f->nslots) return false;
  for (int k = 0; k < a->f->nslots; k++)
    if (a->f->slots[k] != b->f->slots[k]) return false;
  for (int k = 0; k < a->n; k++) {
    const IrInst *x = a->ins[k], *y = b->ins[k];
    if (x->op != y->op || x->type != y->type || x->nargs != y->nargs || x->str_bound != y->str_bound ||
        x->g != y->g || x->callee != y->callee || block_index(x->block) != block_index(y->block) ||
        block_index(x->targets[0]) != block_index(y->targets[0]) ||
        block_index(x->targets[1]) != block_index(y->targets[1]) || x->len != y->len ||
        (x->str != y->str && (!x->str || !y->str || memcmp(x->str, y->str, x->len))) || !same_aux(x, y))
      return false;
    if (x->imm != y->imm) {
      if (x->op != IR_CONST_I64 || !param_ok(a, k)) return false;
      diff[k] = true;
    }
    for (int j = 0; j < x->nargs; j++) {
      if (a->pos[x->args[j]->id] != b->pos[y->args[j]->id]) return false;
      if (x->phi_blocks && block_index(x->phi_blocks[j]) != block_index(y->phi_blocks[j])) return false;
    }
  }
  return true;
}

/* A probe on one named tracepoint (no wildcard: the kernel refuses a
 * program twice on one tracepoint, so members must name distinct ones). */
static bool candidate(const IrProbe *p, char *tp, size_t len) {
  BattachSpec sp;
  if (p->site != IR_SITE_KERNEL || battach_parse(p->pp, &sp) != 0 || sp.kind != BATT_TRACEPOINT) return false;
  snprintf(tp, len, "%s:%s", sp.system, sp.event);
  return !strpbrk(tp, "*?[");
}

static int make_group(BpfLayout *l, Flat *fl, const int *members, int n, const bool *diff) {
  BlayGroup *ng = realloc(l->groups, sizeof *ng * (size_t)(l->ngroups + 1));
  if (!ng) return -ENOMEM;
  l->groups = ng;
  BlayGroup *g = &l->groups[l->ngroups];
  memset(g, 0, sizeof *g);
  const Flat *rep = &fl[members[0]];
  for (int k = 0; k < rep->n; k++) g->nparams += diff[k];
  g->members = malloc(sizeof *g->members * (size_t)n);
  g->params = malloc(sizeof *g->params * (size_t)(g->nparams ? g->nparams : 1));
  g->values = malloc(sizeof *g->values * (size_t)n * (size_t)(g->nparams ? g->nparams : 1));
  g->site_shift = malloc(sizeof *g->site_shift * (size_t)n);
  if (!g->members || !g->params || !g->values || !g->site_shift) {
    free(g->members), free(g->params), free(g->values), free(g->site_shift);
    return -ENOMEM;
  }
  g->n = n;
  g->rep = members[0];
  for (int k = 0, p = 0; k < rep->n; k++)
    if (diff[k]) g->params[p++] = rep->ins[k];
  for (int j = 0; j < n; j++) {
    const Flat *m = &fl[members[j]];
    g->members[j] = members[j];
    for (int k = 0, p = 0; k < rep->n; k++)
      if (diff[k]) g->values[j * g->nparams + p++] = m->ins[k]->imm;
    g->site_shift[j] = m->site0 >= 0 && rep->site0 >= 0 ? m->site0 - rep->site0 : 0;
    l->probe_group[members[j]] = l->ngroups;
    l->probe_member[members[j]] = j;
  }
  l->ngroups++;
  return 0;
}

static bool tp_in(const Flat *fl, const int *members, int n, const char *tp) {
  for (int k = 0; k < n; k++)
    if (!strcmp(fl[members[k]].tp, tp)) return true;
  return false;
}

int blay_merge(BpfLayout *l) {
  const IrModule *m = l->m;
  int np = m->nprobes, rc = 0;
  l->probe_group = malloc(sizeof *l->probe_group * (size_t)(np ? np : 1));
  l->probe_member = calloc((size_t)(np ? np : 1), sizeof *l->probe_member);
  Flat *fl = calloc((size_t)(np ? np : 1), sizeof *fl);
  bool *ok = calloc((size_t)(np ? np : 1), sizeof *ok), *taken = calloc((size_t)(np ? np : 1), sizeof *taken);
  int *members = malloc(sizeof *members * (size_t)(np ? np : 1));
  if (!l->probe_group || !l->probe_member || !fl || !ok || !taken || !members) {
    rc = -ENOMEM;
    goto out;
  }
  for (int k = 0; k < np; k++) l->probe_group[k] = -1;
  int ncand = 0;
  for (int k = 0; k < np && !rc; k++) {
    char tp[200];
    if (!candidate(m->probes[k], tp, sizeof tp)) continue;
    int r = flat_init(&fl[k], m->probes[k]->handler);
    snprintf(fl[k].tp, sizeof fl[k].tp, "%s", tp);
    if (r < 0) rc = r;
    ok[k] = r == 0;
    ncand += ok[k];
  }
  if (rc || ncand < BLAY_MERGE_MIN) goto out;
  for (int s = 0; s < l->nsites; s++) /* each handler's first site */
    for (int k = 0; k < np; k++)
      if (ok[k] && fl[k].site0 < 0 && l->sites[s].inst->block->func == fl[k].f) fl[k].site0 = s;
  size_t maxn = 0;
  for (int k = 0; k < np; k++)
    if (ok[k] && (size_t)fl[k].n > maxn) maxn = (size_t)fl[k].n;
  bool *diff = calloc(maxn ? maxn : 1, sizeof *diff), *d1 = calloc(maxn ? maxn : 1, sizeof *d1);
  if (!diff || !d1) {
    free(diff), free(d1);
    rc = -ENOMEM;
    goto out;
  }
  for (int k = 0; k < np && !rc; k++) {
    if (!ok[k] || taken[k]) continue;
    int n = 0;
    members[n++] = k;
    memset(diff, 0, maxn);
    for (int j = k + 1; j < np; j++) {
      if (!ok[j] || taken[j] || tp_in(fl, members, n, fl[j].tp)) continue;
      memset(d1, 0, maxn);
      if (!same_handler(&fl[k], &fl[j], d1)) continue;
      members[n++] = j;
      taken[j] = true;
      for (size_t p = 0; p < (size_t)fl[k].n; p++) diff[p] |= d1[p];
    }
    if (n >= BLAY_MERGE_MIN) rc = make_group(l, fl, members, n, diff);
    else
      for (int j = 1; j < n; j++) taken[members[j]] = false;
  }
  free(diff);
  free(d1);
out:
  for (int k = 0; fl && k < np; k++)
    if (fl[k].ins) flat_fini(&fl[k]);
  free(fl);
  free(ok);
  free(taken);
  free(members);
  return rc;
}

void blay_merge_free(BpfLayout *l) {
  for (int k = 0; k < l->ngroups; k++) {
    free(l->groups[k].members);
    free(l->groups[k].params);
    free(l->groups[k].values);
    free(l->groups[k].site_shift);
  }
  free(l->groups);
  free(l->probe_group);
  free(l->probe_member);
}

const BlayGroup *blay_group_of(const BpfLayout *l, int probe, int *member) {
  if (!l->probe_group || probe < 0 || probe >= l->m->nprobes || l->probe_group[probe] < 0) return NULL;
  if (member) *member = l->probe_member[probe];
  return &l->groups[l->probe_group[probe]];
}

/* interp-map.c: the interpreter's globals: scalar cells, arrays (RtMap),
 * statistics (RtStat or stats arrays), foreach iterators and histograms,
 * and the display of unread globals at the end of a session.
 *
 * Every IrGlobal gets its runtime objects once, in ir_interp_new: a long or
 * a string cell for a scalar (its initial value, or 0 / ""), one RtMap for
 * an array, one RtStat for a statistic.  A statistic printed as two
 * different histograms keeps one object per shape (IrGlobal.hists), each
 * fed every value, so that each histogram has its own buckets; the plain
 * extractors read the first.  @variance's bit shift is the literal second
 * argument of the script's @variance(v, N), 0 without one.
 *
 * A foreach iterates a snapshot: iter.begin sorts the elements
 * (rt_map_sorted, with the slice and the limit) and copies their keys and
 * values, so the loop body may change the array.  Iterators are pooled and
 * stacked so that an error can close those opened inside a try region.
 */
#include "interp-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define V(x) (fr->v[(x)->id])
#define A(k) V(i->args[k])

/* ---- creation ------------------------------------------------------------------------ */

static RtType rt_type(IrType t) { return t == IR_STR ? RT_STR : RT_LONG; }

/* The literal shift of @variance(g..., N), 0 if none. */
static int variance_shift(const IrModule *m, const IrGlobal *g) {
  for (int f = 0; f < m->nfuncs; f++)
    for (int b = 0; b < m->funcs[f]->nblocks; b++)
      for (const IrInst *i = m->funcs[f]->blocks[b]->first; i; i = i->next)
        if (i->op == IR_STAT_GET && i->g == g && i->imm == IR_STAT_VARIANCE && i->nargs == g->nkeys + 1 &&
            i->args[g->nkeys]->op == IR_CONST_I64)
          return (int)i->args[g->nkeys]->imm;
  return 0;
}

static SrcLoc global_loc(const IrGlobal *g) { return g->loc; }

int ir_global_nobj(const IrGlobal *g) { return g->is_stat && g->nhists > 1 ? g->nhists : 1; }

int ir_global_stat_desc(const IrModule *m, const IrGlobal *g, int obj, RtStatDesc *out, RtErr *err) {
  memset(out, 0, sizeof *out);
  if (!g->is_stat) return 0;
  const IrHist *h = g->nhists ? &g->hists[obj] : NULL;
  int shift = variance_shift(m, g);
  return h ? rt_stat_desc_init(out, h->linear ? RT_HIST_LINEAR : RT_HIST_LOG, h->lo, h->hi, h->step, shift, err)
           : rt_stat_desc_init(out, RT_HIST_NONE, 0, 0, 0, shift, err);
}

/* Which argument of i gives key column col a value to store or match, or
 * -1: a foreach without a slice on col and a delete with a wildcard there
 * match any stored key, and clear and hist.str take no key. */
static int key_arg(const IrInst *i, int col) {
  uint32_t before = col < 32 ? (1u << col) - 1 : 0xffffffffu;
  switch (i->op) {
  case IR_ITER_BEGIN: {
    const IrSort *s = i->aux;
    if (!s || !(s->slice >> col & 1)) return -1;
    return (s->has_limit ? 1 : 0) + __builtin_popcount(s->slice & before);
  }
  case IR_MAP_DELETE:
    if ((uint64_t)i->imm >> col & 1) return -1;
    return col - __builtin_popcount((uint32_t)i->imm & before);
  case IR_MAP_CLEAR:
  case IR_HIST_STR: return -1;
  default: return col;
  }
}

/* The bytes a string key column (col >= 0) or the string value (col < 0)
 * of g needs: the largest str_bound of the strings the module's
 * instructions use there, lookups included (a longer lookup key must not
 * match a stored prefix of it); 0 (MAXSTRINGLEN) when one has no bound or
 * a slice or wildcard names the column. */
static uint32_t str_slot(const IrModule *m, const IrGlobal *g, int col) {
  int64_t best = 1;
  for (int f = 0; f < m->nfuncs; f++)
    for (int b = 0; b < m->funcs[f]->nblocks; b++)
      for (const IrInst *i = m->funcs[f]->blocks[b]->first; i; i = i->next) {
        if (!(ir_op_flags(i->op) & IRF_GLOBAL) || i->g != g) continue;
        const IrInst *v = NULL;
        if (col >= 0) {
          int at = key_arg(i, col);
          if (at >= 0 && at < i->nargs) v = i->args[at];
        } else if (i->op == IR_MAP_SET) {
          v = i->args[i->nargs - 1];
        }
        if (!v) continue;
        if (v->type != IR_STR || v->str_bound <= 0) return 0;
        if (v->str_bound > best) best = v->str_bound;
      }
  return (uint32_t)best;
}

RtMapDesc ir_global_map_desc(const IrModule *m, const IrGlobal *g, const RtStatDesc *stat) {
  RtMapDesc d = {.sz = sizeof d, .name = g->script_name, .nkeys = g->nkeys};
  for (int k = 0; k < g->nkeys; k++) d.key_type[k] = rt_type(g->keys[k]);
  for (int k = 0; k < g->nkeys && m; k++)
    if (g->keys[k] == IR_STR) d.key_strsize[k] = str_slot(m, g, k);
  if (m && !g->is_stat && g->value == IR_STR) d.val_strsize = str_slot(m, g, -1);
  d.val_type = g->is_stat ? RT_STAT : rt_type(g->value);
  d.max_entries = g->maxsize;
  d.wrap = g->wrap;
  if (stat) d.stat = *stat;
  return d;
}

static int init_descs(IrInterp *in, GlobalRt *gr, DiagList *diag) {
  const IrGlobal *g = gr->g;
  gr->nobj = ir_global_nobj(g);
  gr->descs = arena_alloc(in->arena, sizeof(RtStatDesc) * (size_t)gr->nobj);
  for (int k = 0; k < gr->nobj; k++) {
    RtErr err = {0};
    if (ir_global_stat_desc(in->m, g, k, &gr->descs[k], &err) != 0) {
      diag_error(diag, global_loc(g), "statistic '%s': %s", g->name, err.msg);
      return -EINVAL;
    }
  }
  return 0;
}

static int init_global(IrInterp *in, GlobalRt *gr, const IrGlobal *g, DiagList *diag) {
  gr->g = g;
  int rc = init_descs(in, gr, diag);
  if (rc) return rc;
  if (g->kind == IR_GLOBAL_SCALAR) {
    gr->i = g->has_init ? g->init_i64 : 0;
    if (g->value == IR_STR) {
      if (!(gr->s = calloc(1, in->maxlen))) return -ENOMEM;
      if (g->has_init && g->init_str) interp_strcpy(in, gr->s, g->init_str);
    }
    return 0;
  }
  if (g->kind == IR_GLOBAL_STAT) {
    gr->stats = calloc((size_t)gr->nobj, sizeof(RtStat *));
    if (!gr->stats) return -ENOMEM;
    int ncpus = in->opt.stat_ncpus > 0 ? in->opt.stat_ncpus : 1;
    for (int k = 0; k < gr->nobj; k++)
      if (!(gr->stats[k] = rt_stat_new(&gr->descs[k], ncpus))) return -ENOMEM;
    return 0;
  }
  gr->maps = calloc((size_t)gr->nobj, sizeof(RtMap *));
  if (!gr->maps) return -ENOMEM;
  for (int k = 0; k < gr->nobj; k++) {
    RtMapDesc d = ir_global_map_desc(in->m, g, &gr->descs[k]);
    gr->maps[k] = in->opt.new_map ? in->opt.new_map(in->opt.map_ctx, g, k, &d) : rt_map_hash_new(&d);
    if (!gr->maps[k]) {
      if (in->opt.new_map)
        diag_error(diag, global_loc(g), "array '%s': cannot open its kernel map: %s", g->name, strerror(errno));
      return -errno;
    }
  }
  gr->key = calloc(1, rt_map_get_layout(gr->maps[0])->key_size);
  return gr->key ? 0 : -ENOMEM;
}

int interp_globals_init(IrInterp *in, DiagList *diag) {
  const IrModule *m = in->m;
  in->globals = calloc((size_t)(m->nglobals ? m->nglobals : 1), sizeof(GlobalRt));
  if (!in->globals) return -ENOMEM;
  for (int k = 0; k < m->nglobals; k++) {
    SUP_ASSERT(m->globals[k]->id == k);
    int rc = init_global(in, &in->globals[k], m->globals[k], diag);
    if (rc) return rc;
  }
  return 0;
}

void interp_globals_free(IrInterp *in) {
  for (int k = 0; in->globals && k < in->m->nglobals; k++) {
    GlobalRt *gr = &in->globals[k];
    for (int j = 0; j < gr->nobj; j++) {
      if (gr->maps) rt_map_free(gr->maps[j]);
      if (gr->stats) rt_stat_free(gr->stats[j]);
    }
    free(gr->maps);
    free(gr->stats);
    free(gr->s);
    free(gr->key);
  }
  free(in->globals);
  in->globals = NULL;
}

/* ---- keys ------------------------------------------------------------------------------- */

/* Fills gr->key from args[first..], one per column (all columns). */
static void *make_key(GlobalRt *gr, const Frame *fr, const IrInst *i, int first) {
  const RtMapLayout *l = rt_map_get_layout(gr->maps[0]);
  for (int k = 0; k < l->nkeys; k++) {
    const Val *v = &fr->v[i->args[first + k]->id];
    if (l->key_type[k] == RT_STR)
      rt_key_set_str(l, gr->key, k, v->s, strlen(v->s));
    else
      rt_key_set_long(l, gr->key, k, v->i);
  }
  return gr->key;
}

/* The columns whose bit is set in fixed, from args[first..] in order. */
static void *make_slice_key(GlobalRt *gr, const Frame *fr, const IrInst *i, int first, uint32_t fixed) {
  const RtMapLayout *l = rt_map_get_layout(gr->maps[0]);
  memset(gr->key, 0, l->key_size);
  for (int k = 0, a = first; k < l->nkeys; k++) {
    if (!(fixed & (1u << k))) continue;
    const Val *v = &fr->v[i->args[a++]->id];
    if (l->key_type[k] == RT_STR)
      rt_key_set_str(l, gr->key, k, v->s, strlen(v->s));
    else
      rt_key_set_long(l, gr->key, k, v->i);
  }
  return gr->key;
}

/* A runtime call's error at i: its message, stap's wording. */
static XStatus rt_fail(IrInterp *in, const IrInst *i, int rc, const RtErr *err) {
  if (err->set) return interp_fail(in, i, "%s", err->msg);
  return interp_fail(in, i, "%s", rc == -ENOMEM ? "out of memory" : strerror(-rc));
}

/* ---- statistics ------------------------------------------------------------------------------ */

/* The aggregate of g (or of the element at i's keys); NULL if the element is absent. */
static const RtStatCell *stat_cell(GlobalRt *gr, const Frame *fr, const IrInst *i, int obj) {
  if (gr->g->kind == IR_GLOBAL_STAT) return rt_stat_get(gr->stats[obj]);
  return rt_map_lookup(gr->maps[obj], make_key(gr, fr, i, 0));
}

static XStatus stat_add(IrInterp *in, GlobalRt *gr, Frame *fr, const IrInst *i) {
  int64_t v = A(i->nargs - 1).i;
  for (int k = 0; k < gr->nobj; k++) {
    if (gr->g->kind == IR_GLOBAL_STAT) {
      rt_stat_push(gr->stats[k], 0, v);
      continue;
    }
    RtErr err = {0};
    int rc = rt_map_stat_add(gr->maps[k], make_key(gr, fr, i, 0), v, &err);
    if (rc) return rt_fail(in, i, rc, &err);
  }
  return X_OK;
}

/* @count of an empty or absent aggregate is 0; any other extractor fails
 * (the stap tutorial, A.5, and the Beginners Guide, 6.2: "an extractor
 * other than @count was invoked on an aggregate that has not had any values
 * accumulated yet"), with their message "aggregate element not found" for
 * an absent array element and the runtime's "empty aggregate" for an empty
 * statistic.  (stap 4.8's code returns 0 for @sum and says "empty
 * aggregate" in both cases; the documentation is followed.) */
static XStatus stat_get(IrInterp *in, GlobalRt *gr, Frame *fr, const IrInst *i) {
  const RtStatCell *c = stat_cell(gr, fr, i, 0);
  RtStatOp op = (RtStatOp)i->imm;
  if (!c) {
    if (op == RT_STAT_COUNT) return V(i).i = 0, X_OK;
    return interp_fail(in, i, "aggregate element not found");
  }
  if (op == RT_STAT_SUM && c->count == 0) return interp_fail(in, i, "empty aggregate");
  RtErr err = {0};
  int rc = rt_stat_extract(c, &gr->descs[0], op, &V(i).i, &err);
  return rc ? rt_fail(in, i, rc, &err) : X_OK;
}

static XStatus hist_str(IrInterp *in, GlobalRt *gr, Frame *fr, const IrInst *i) {
  int obj = gr->nobj > 1 ? (int)i->imm : 0;
  RtBuf *b = &fr->big[fr->fi->big[i->id]];
  rt_buf_truncate(b, 0);
  const RtStatCell *c = stat_cell(gr, fr, i, obj);
  RtErr err = {0};
  int rc = 0;
  if (c)
    rc = rt_hist_print(b, c, &gr->descs[obj], &err);
  else
    rc = rt_err_set(&err, "aggregate element not found");
  if (rc) return rt_fail(in, i, rc, &err);
  V(i).s = rt_buf_cstr(b);
  return X_OK;
}

/* @hist_log(v)[n]: bucket n's count, "empty aggregate" with no values (as
 * stap's generated C checks), else rt_stat_bucket's range check. */
static XStatus hist_bucket(IrInterp *in, GlobalRt *gr, Frame *fr, const IrInst *i) {
  int obj = gr->nobj > 1 ? (int)i->imm : 0;
  const RtStatCell *c = stat_cell(gr, fr, i, obj);
  if (!c) return interp_fail(in, i, "aggregate element not found");
  if (c->count == 0) return interp_fail(in, i, "empty aggregate");
  RtErr err = {0};
  int rc = rt_stat_bucket(c, &gr->descs[obj], A(i->nargs - 1).i, &V(i).i, &err);
  return rc ? rt_fail(in, i, rc, &err) : X_OK;
}

/* ---- iterators ------------------------------------------------------------------------------- */

static Iter *iter_new(IrInterp *in) {
  if (in->niters == in->cap_iters) {
    int c = in->cap_iters ? 2 * in->cap_iters : 8;
    Iter **v = realloc(in->iters, sizeof(Iter *) * (size_t)c);
    if (!v) return NULL;
    in->iters = v;
    in->cap_iters = c;
  }
  Iter *it = in->free_iters;
  if (it)
    in->free_iters = it->next_free;
  else if (!(it = calloc(1, sizeof *it)))
    return NULL;
  it->n = it->pos = 0;
  it->open = true;
  in->iters[in->niters++] = it;
  return it;
}

/* Closed iterators at the top of the stack go back to the pool. */
static void iters_pop_closed(IrInterp *in) {
  while (in->niters > 0 && !in->iters[in->niters - 1]->open) {
    Iter *it = in->iters[--in->niters];
    it->next_free = in->free_iters;
    in->free_iters = it;
  }
}

void interp_iters_close(IrInterp *in, int mark) {
  for (int k = mark; k < in->niters; k++) in->iters[k]->open = false;
  iters_pop_closed(in);
}

void interp_iters_free(IrInterp *in) {
  interp_iters_close(in, 0);
  for (Iter *it = in->free_iters, *next; it; it = next) {
    next = it->next_free;
    free(it->keys);
    free(it->vals);
    free(it);
  }
  in->free_iters = NULL;
  free(in->iters);
  in->iters = NULL;
  in->cap_iters = 0;
}

static int iter_fill(Iter *it, const RtMapLayout *l, const RtMapSorted *s) {
  it->l = l;
  size_t kb = s->n * l->key_size, vb = s->n * l->val_size;
  if (kb > it->kbytes) {
    char *k = realloc(it->keys, kb);
    if (!k) return -ENOMEM;
    it->keys = k;
    it->kbytes = kb;
  }
  if (vb > it->vbytes) {
    char *v = realloc(it->vals, vb);
    if (!v) return -ENOMEM;
    it->vals = v;
    it->vbytes = vb;
  }
  for (size_t e = 0; e < s->n; e++) {
    memcpy(it->keys + e * l->key_size, s->e[e].key, l->key_size);
    memcpy(it->vals + e * l->val_size, s->e[e].val, l->val_size);
  }
  it->n = s->n;
  return 0;
}

static XStatus iter_begin(IrInterp *in, GlobalRt *gr, Frame *fr, const IrInst *i) {
  const IrSort *s = i->aux;
  RtSortSpec spec = {.column = s->col == 0    ? -1
                               : s->col == -1 ? 0
                                              : s->col,
                     .dir = s->dir < 0 ? -1 : 1,
                     .agg = (RtStatOp)s->aggr,
                     .limit = -1};
  int a = 0;
  if (s->has_limit) {
    int64_t lim = A(a++).i; /* stap stops when the count reaches the limit: <= 0 runs nothing */
    spec.limit = lim < 0 ? 0 : lim;
  }
  RtSlice slice = {s->slice, NULL};
  if (s->slice) {
    slice.key = make_slice_key(gr, fr, i, a, s->slice);
    spec.slice = &slice;
  }
  Iter *it = iter_new(in);
  if (!it) return interp_fail(in, i, "out of memory");
  RtMapSorted sorted = RT_MAP_SORTED_INIT;
  RtErr err = {0};
  int rc = rt_map_sorted(gr->maps[0], &spec, &sorted, &err);
  if (!rc) rc = iter_fill(it, rt_map_get_layout(gr->maps[0]), &sorted);
  rt_map_sorted_free(&sorted);
  if (rc) return rt_fail(in, i, rc, &err);
  V(i).it = it;
  return X_OK;
}

static XStatus iter_key(IrInterp *in, Frame *fr, const IrInst *i) {
  const Iter *it = A(0).it;
  SUP_ASSERT(it && it->open && it->pos > 0 && i->imm >= 0 && i->imm < it->l->nkeys);
  const char *key = it->keys + (it->pos - 1) * it->l->key_size;
  if (it->l->key_type[i->imm] == RT_STR)
    V(i).s = interp_strcpy(in, interp_buf(in, fr, i), rt_key_get_str(it->l, key, (int)i->imm));
  else
    V(i).i = rt_key_get_long(it->l, key, (int)i->imm);
  return X_OK;
}

static XStatus iter_value(IrInterp *in, Frame *fr, const IrInst *i) {
  const Iter *it = A(0).it;
  SUP_ASSERT(it && it->open && it->pos > 0);
  const char *val = it->vals + (it->pos - 1) * it->l->val_size;
  if (it->l->val_type == RT_STR)
    V(i).s = interp_strcpy(in, interp_buf(in, fr, i), val);
  else if (it->l->val_type == RT_LONG)
    V(i).i = rt_val_get_long(val);
  else
    V(i).i = ((const RtStatCell *)val)->count;
  return X_OK;
}

/* ---- the ops ------------------------------------------------------------------------------------ */

static XStatus map_set(IrInterp *in, GlobalRt *gr, Frame *fr, const IrInst *i) {
  const Val *v = &A(i->nargs - 1);
  void *key = make_key(gr, fr, i, 0);
  RtErr err = {0};
  int rc = gr->g->value == IR_STR ? rt_map_set_str(gr->maps[0], key, v->s, strlen(v->s), &err)
                                  : rt_map_set_long(gr->maps[0], key, v->i, &err);
  return rc ? rt_fail(in, i, rc, &err) : X_OK;
}

static XStatus map_delete(IrInterp *in, GlobalRt *gr, Frame *fr, const IrInst *i) {
  uint32_t all = (1u << gr->g->nkeys) - 1, fixed = all & ~(uint32_t)i->imm;
  int rc = 0;
  for (int k = 0; k < gr->nobj && !rc; k++) {
    if (fixed == all) {
      rc = rt_map_delete(gr->maps[k], make_key(gr, fr, i, 0));
    } else if (fixed == 0) {
      rt_map_clear(gr->maps[k]);
    } else {
      RtSlice slice = {fixed, make_slice_key(gr, fr, i, 0, fixed)};
      rc = rt_map_delete_slice(gr->maps[k], &slice);
    }
  }
  return rc ? interp_fail(in, i, "out of memory") : X_OK;
}

/* delete g: an array empties, a statistic resets, a scalar is 0 or "" again. */
static XStatus clear(GlobalRt *gr) {
  for (int k = 0; k < gr->nobj; k++) {
    if (gr->maps) rt_map_clear(gr->maps[k]);
    if (gr->stats) rt_stat_reset(gr->stats[k]);
  }
  gr->i = 0;
  if (gr->s) gr->s[0] = '\0';
  return X_OK;
}

XStatus interp_global_op(IrInterp *in, Frame *fr, const IrInst *i) {
  GlobalRt *gr = i->g ? &in->globals[i->g->id] : NULL;
  switch (i->op) {
  case IR_GLOBAL_GET:
    if (i->type == IR_STR)
      V(i).s = interp_strcpy(in, interp_buf(in, fr, i), gr->s);
    else
      V(i).i = gr->i;
    return X_OK;
  case IR_GLOBAL_SET:
    if (gr->s)
      interp_strcpy(in, gr->s, A(0).s);
    else
      gr->i = A(0).i;
    return X_OK;
  case IR_MAP_GET:
    if (i->type == IR_STR)
      V(i).s = interp_strcpy(in, interp_buf(in, fr, i), rt_map_get_str(gr->maps[0], make_key(gr, fr, i, 0)));
    else
      V(i).i = rt_map_get_long(gr->maps[0], make_key(gr, fr, i, 0));
    return X_OK;
  case IR_MAP_SET: return map_set(in, gr, fr, i);
  case IR_MAP_EXISTS: V(i).i = rt_map_exists(gr->maps[0], make_key(gr, fr, i, 0)); return X_OK;
  case IR_MAP_DELETE: return map_delete(in, gr, fr, i);
  case IR_MAP_CLEAR: return clear(gr);
  case IR_STAT_ADD: return stat_add(in, gr, fr, i);
  case IR_STAT_GET: return stat_get(in, gr, fr, i);
  case IR_HIST_STR: return hist_str(in, gr, fr, i);
  case IR_HIST_BUCKET: return hist_bucket(in, gr, fr, i);
  case IR_ITER_BEGIN: return iter_begin(in, gr, fr, i);
  case IR_ITER_NEXT: {
    Iter *it = A(0).it;
    SUP_ASSERT(it && it->open);
    V(i).i = it->pos < it->n;
    if (it->pos < it->n) it->pos++;
    return X_OK;
  }
  case IR_ITER_KEY: return iter_key(in, fr, i);
  case IR_ITER_VALUE: return iter_value(in, fr, i);
  case IR_ITER_END:
    if (A(0).it) A(0).it->open = false;
    iters_pop_closed(in);
    return X_OK;
  default: SUP_UNREACHABLE();
  }
}

/* ---- the display of unread globals ----------------------------------------------------------- */

/* stap 4.8 synthesises an end probe per global with printf formats
 * "x=%lld\n", "s=\"%s\"\n", "a[%lld,\"%s\"]=%lld\n" (elements by value,
 * descending) and "st @count=%lld @min=%lld @max=%lld @sum=%lld
 * @avg=%lld\n" ("st @count=0x0\n" when empty): decimal, nothing escaped. */
static int put_stats(RtBuf *out, const RtStatCell *c) {
  static const char *const label[] = {" @count=", " @min=", " @max=", " @sum=", " @avg="};
  const int64_t v[] = {c->count, c->min, c->max, c->sum, c->sum / c->count}; /* count > 0 */
  int rc = 0;
  for (int k = 0; k < 5 && !rc; k++) {
    rc = rt_buf_puts(out, label[k]);
    if (!rc) rc = rt_buf_put_long(out, v[k]);
  }
  return rc ? rc : rt_buf_puts(out, "\n");
}

static int put_quoted(RtBuf *out, const char *s) {
  int rc = rt_buf_puts(out, "\"");
  if (!rc) rc = rt_buf_puts(out, s);
  return rc ? rc : rt_buf_puts(out, "\"");
}

static int put_element(RtBuf *out, const char *name, const RtMapLayout *l, const void *key, const void *val) {
  int rc = rt_buf_puts(out, name);
  if (!rc) rc = rt_buf_puts(out, "[");
  for (int k = 0; k < l->nkeys && !rc; k++) {
    if (k) rc = rt_buf_puts(out, ",");
    if (rc) break;
    rc = l->key_type[k] == RT_STR ? put_quoted(out, rt_key_get_str(l, key, k))
                                  : rt_buf_put_long(out, rt_key_get_long(l, key, k));
  }
  if (!rc) rc = rt_buf_puts(out, "]");
  if (rc) return rc;
  if (l->val_type == RT_STAT) return put_stats(out, val);
  rc = rt_buf_puts(out, "=");
  if (!rc) rc = l->val_type == RT_STR ? put_quoted(out, val) : rt_buf_put_long(out, rt_val_get_long(val));
  return rc ? rc : rt_buf_puts(out, "\n");
}

static int display_map(RtBuf *out, const char *name, RtMap *m) {
  RtSortSpec spec = {.column = 0, .dir = -1, .agg = RT_STAT_COUNT, .limit = -1};
  RtMapSorted s = RT_MAP_SORTED_INIT;
  RtErr err = {0};
  int rc = rt_map_sorted(m, &spec, &s, &err);
  for (size_t k = 0; !rc && k < s.n; k++)
    rc = put_element(out, name, rt_map_get_layout(m), s.e[k].key, s.e[k].val);
  rt_map_sorted_free(&s);
  return rc;
}

/* Declaration order: by the location of the declaration. */
static int by_decl(const void *a, const void *b) {
  const GlobalRt *x = *(const GlobalRt *const *)a, *y = *(const GlobalRt *const *)b;
  SrcLoc p = x->g->loc, q = y->g->loc;
  if (p.file != q.file) return p.file < q.file ? -1 : 1;
  if (p.line != q.line) return p.line < q.line ? -1 : 1;
  if (p.col != q.col) return p.col < q.col ? -1 : 1;
  return (x->g->id > y->g->id) - (x->g->id < y->g->id);
}

int interp_display(IrInterp *in, RtBuf *out) {
  int rc = 0, n = 0;
  GlobalRt **order = calloc((size_t)in->m->nglobals + 1, sizeof *order);
  if (!order) return -ENOMEM;
  for (int k = 0; k < in->m->nglobals; k++)
    if (in->globals[k].g->display) order[n++] = &in->globals[k];
  qsort(order, (size_t)n, sizeof *order, by_decl);
  for (int k = 0; k < n && !rc; k++) {
    GlobalRt *gr = order[k];
    const IrGlobal *g = gr->g;
    if (!g->display) continue;
    const char *name = g->script_name;
    if (gr->maps) {
      rc = display_map(out, name, gr->maps[0]);
    } else if (gr->stats) {
      const RtStatCell *c = rt_stat_get(gr->stats[0]);
      rc = rt_buf_puts(out, name);
      if (!rc) rc = c->count ? put_stats(out, c) : rt_buf_puts(out, " @count=0x0\n");
    } else {
      rc = rt_buf_puts(out, name);
      if (!rc) rc = rt_buf_puts(out, "=");
      if (!rc) rc = gr->s ? put_quoted(out, gr->s) : rt_buf_put_long(out, gr->i);
      if (!rc) rc = rt_buf_puts(out, "\n");
    }
  }
  free(order);
  return rc;
}

/* ---- -G NAME=VALUE ----------------------------------------------------------------------------- */

int interp_set_global(IrInterp *in, const char *name, size_t len, const char *value) {
  for (int k = 0; k < in->m->nglobals; k++) {
    GlobalRt *gr = &in->globals[k];
    const IrGlobal *g = gr->g;
    if (!g->cmdline || strlen(g->script_name) != len || strncmp(g->script_name, name, len) != 0) continue;
    if (gr->g->kind != IR_GLOBAL_SCALAR) return -EINVAL;
    if (gr->s) {
      interp_strcpy(in, gr->s, value);
      return 0;
    }
    char *end;
    errno = 0;
    long long v = strtoll(value, &end, 0);
    if (errno == ERANGE && *value != '-') v = (long long)strtoull(value, &end, 0);
    if (!*value || *end) return -EINVAL;
    gr->i = v;
    return 0;
  }
  return -ENOENT;
}

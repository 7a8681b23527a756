/* layout.c: what the BPF code generator and the loader agree on, computed
 * from the IR module alone: the record each output or error site of a
 * kernel handler sends, and where globals live (bpfload.h has the picture).
 *
 * Sites are numbered in the module's order (functions, blocks,
 * instructions), kernel handlers only, so the generator and a loader that
 * re-parsed the IR text number them alike.  A saved object is run by a
 * loader that may be of another build: a change to what this file computes
 * must bump BOBJ_VERSION (bpfload.h).
 */
#include "bpfload.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t round8(uint64_t n) { return (uint32_t)((n + 7) & ~(uint64_t)7); }

uint32_t blay_str_slot(const BpfLayout *l, const IrInst *v) {
  int64_t b = v && v->str_bound > 0 ? v->str_bound : l->maxstringlen;
  if (b > l->maxstringlen) b = l->maxstringlen;
  return round8((uint64_t)b);
}

void blay_map_name(const IrGlobal *g, int obj, char *buf, size_t len) {
  snprintf(buf, len, "stp_%c%d_%d", g->kind == IR_GLOBAL_MAP ? 'a' : 's', g->id, obj);
}

static bool is_kernel_func(const IrModule *m, const IrFunc *f) {
  for (int k = 0; k < m->nprobes; k++)
    if (m->probes[k]->handler == f) return m->probes[k]->site == IR_SITE_KERNEL;
  return false; /* script functions are inlined into kernel handlers, or refused by the generator */
}

static const char *builtin_name(const IrInst *i) {
  const IrBuiltin *b = i->aux;
  return b ? b->name : "";
}

/* The kind of site inst is, or -1 for none. */
static int site_kind(const IrInst *i) {
  switch (i->op) {
  case IR_PRINTF: return BLAY_PRINTF;
  case IR_BUILTIN:
    if (!strcmp(builtin_name(i), "exit") || !strcmp(builtin_name(i), "abort")) return BLAY_EXIT;
    if (!strcmp(builtin_name(i), "warn")) return BLAY_WARN;
    if (!strcmp(builtin_name(i), "log")) return BLAY_LOG;
    if (!strcmp(builtin_name(i), "print_backtrace")) return BLAY_BACKTRACE;
    return BLAY_FAIL; /* error(), and builtins that can fail */
  case IR_CTX: return BLAY_FAIL; /* a tracepoint field not where the object expects it, a kernel read fault */
  default: return ir_op_flags(i->op) & IRF_FAIL ? BLAY_FAIL : -1;
  }
}

static int add_site(BpfLayout *l, int *cap, const IrInst *i, int kind) {
  if (l->nsites == *cap) {
    int nc = *cap ? *cap * 2 : 32;
    BlaySite *ns = realloc(l->sites, sizeof *ns * (size_t)nc);
    if (!ns) return -ENOMEM;
    l->sites = ns;
    *cap = nc;
  }
  BlaySite *s = &l->sites[l->nsites++];
  memset(s, 0, sizeof *s);
  s->kind = kind;
  s->inst = i;
  s->format = -1;
  uint32_t off = sizeof(BlayHeader);
  bool with_msg = kind == BLAY_WARN || kind == BLAY_LOG ||
                  (kind == BLAY_FAIL && (i->op == IR_ERROR || (i->op == IR_BUILTIN && !strcmp(builtin_name(i), "error"))));
  int n = kind == BLAY_PRINTF ? i->nargs : with_msg ? 1 : 0;
  if (n) {
    s->args = calloc((size_t)n, sizeof *s->args);
    if (!s->args) return -ENOMEM;
  }
  s->nargs = n;
  for (int k = 0; k < n; k++) {
    const IrInst *a = i->args[k];
    s->args[k].kind = a->type == IR_STR ? RT_ARG_STR : RT_ARG_LONG;
    s->args[k].size = a->type == IR_STR ? blay_str_slot(l, a) : 8;
    s->args[k].off = off;
    off += s->args[k].size;
  }
  if (kind == BLAY_PRINTF) s->format = ((const IrFormat *)i->aux)->id;
  if (kind == BLAY_BACKTRACE) off += 8 * BLAY_MAX_FRAMES;
  s->size = off;
  return 0;
}

static int layout_globals(BpfLayout *l, DiagList *diag) {
  const IrModule *m = l->m;
  l->globals = calloc((size_t)(m->nglobals ? m->nglobals : 1), sizeof *l->globals);
  if (!l->globals) return -ENOMEM;
  uint32_t off = 0;
  for (int k = 0; k < m->nglobals; k++) {
    const IrGlobal *g = m->globals[k];
    BlayGlobal *bg = &l->globals[k];
    bg->g = g;
    bg->nobj = ir_global_nobj(g);
    if (g->kind == IR_GLOBAL_SCALAR) {
      bg->off = off;
      off += g->value == IR_STR ? round8((uint64_t)l->maxstringlen) : 8;
      continue;
    }
    bg->desc = calloc((size_t)bg->nobj, sizeof *bg->desc);
    bg->mdesc = calloc((size_t)bg->nobj, sizeof *bg->mdesc);
    bg->mlay = calloc((size_t)bg->nobj, sizeof *bg->mlay);
    if (!bg->desc || !bg->mdesc || !bg->mlay) return -ENOMEM;
    for (int o = 0; o < bg->nobj; o++) {
      RtErr err = {0};
      if (ir_global_stat_desc(m, g, o, &bg->desc[o], &err) != 0) {
        diag_error(diag, g->loc, "statistic '%s': %s", g->name, err.msg);
        return -EINVAL;
      }
      if (g->kind != IR_GLOBAL_MAP) continue;
      bg->mdesc[o] = ir_global_map_desc(m, g, &bg->desc[o]);
      if (rt_map_layout(&bg->mdesc[o], &bg->mlay[o]) != 0) {
        diag_error(diag, g->loc, "array '%s': no layout for its keys and values", g->name);
        return -EINVAL;
      }
    }
  }
  l->glob_size = off ? off : 8;
  return 0;
}

BpfLayout *blay_new(const IrModule *m, DiagList *diag) {
  BpfLayout *l = calloc(1, sizeof *l);
  if (!l) return NULL;
  l->m = m;
  l->maxstringlen = m->maxstringlen > 0 ? m->maxstringlen : rt_limits()->maxstringlen;
  int rc = layout_globals(l, diag);
  int cap = 0;
  for (int f = 0; f < m->nfuncs && !rc; f++) {
    if (!is_kernel_func(m, m->funcs[f])) continue;
    for (int b = 0; b < m->funcs[f]->nblocks && !rc; b++)
      for (const IrInst *i = m->funcs[f]->blocks[b]->first; i && !rc; i = i->next) {
        int kind = site_kind(i);
        if (kind >= 0) rc = add_site(l, &cap, i, kind);
      }
  }
  if (!rc) rc = blay_merge(l);
  if (!rc) {
    l->tprefs = blay_tp_refs(m, &l->ntprefs);
    if (!l->tprefs && l->ntprefs) rc = -ENOMEM;
  }
  if (rc) {
    blay_free(l);
    errno = -rc;
    return NULL;
  }
  return l;
}

void blay_free(BpfLayout *l) {
  if (!l) return;
  blay_merge_free(l);
  for (int k = 0; k < l->nsites; k++) free(l->sites[k].args);
  free(l->sites);
  for (int k = 0; l->globals && k < l->m->nglobals; k++) {
    free(l->globals[k].desc);
    free(l->globals[k].mdesc);
    free(l->globals[k].mlay);
  }
  free(l->globals);
  free(l->tprefs);
  free(l);
}

int blay_site_of(const BpfLayout *l, const IrInst *inst) {
  /* Sites are few and this is called once per instruction by the generator
   * and never on the event path (the loader indexes by number). */
  for (int k = 0; k < l->nsites; k++)
    if (l->sites[k].inst == inst) return k;
  return -1;
}

const char *blay_fail_message(const BpfLayout *l, int site, uint32_t code, uint64_t aux, char *buf, size_t len) {
  const IrInst *i = l->sites[site].inst;
  switch (i->op) {
  case IR_BUILTIN: {
    /* the wording of stap's conversions tapsets */
    const char *name = builtin_name(i);
    if (!strncmp(name, "kernel_string", 13))
      snprintf(buf, len, "kernel string copy fault at 0x%llx [man error::fault]", (unsigned long long)aux);
    else if (!strncmp(name, "user_string", 11))
      snprintf(buf, len, "user string copy fault %d at 0x%llx [man error::fault]", (int32_t)code,
               (unsigned long long)aux);
    else if (!strncmp(name, "kernel_", 7))
      snprintf(buf, len, "kernel %s copy fault at 0x%llx [man error::fault]", name + 7, (unsigned long long)aux);
    else if (!strcmp(name, "ppid") || !strcmp(name, "euid") || !strcmp(name, "egid"))
      snprintf(buf, len, "%s: cannot read the current task (the kernel's BTF lacks a field it needs)", name);
    else if (!strcmp(name, "randint"))
      snprintf(buf, len, "range too wide");
    else if (!strcmp(name, "stringat")) /* the runtime's words (builtins-str.c, builtins.c) */
      snprintf(buf, len, "Position out of bounds");
    else if (!strcmp(name, "matched"))
      snprintf(buf, len, code ? "Attempted to get nonexistent subexpression %lld"
                              : "Attempted to get subexpression %lld from failed match", (long long)aux);
    else if (!strcmp(name, "ngroups"))
      snprintf(buf, len, "Attempted to get subexpression count from failed match");
    else
      snprintf(buf, len, "%s failed", name);
    break;
  }
  case IR_DIV:
  case IR_MOD: snprintf(buf, len, "division by 0"); break;
  case IR_ACTIONS: snprintf(buf, len, "MAXACTION exceeded"); break;
  case IR_CTX: {
    const IrCtx *c = i->aux;
    if (code == 1) { /* gen-kfn.c: a pointer it followed */
      snprintf(buf, len, "kernel read fault reading '%s' [man error::fault]", c && c->text ? c->text : "?");
      break;
    }
    snprintf(buf, len, "tracepoint field '%s' is not where this object was compiled to read it (the kernel's event "
             "format differs)", c && c->text ? c->text : "?");
    break;
  }
  case IR_CALL: snprintf(buf, len, "MAXNESTING exceeded"); break;
  case IR_STAT_GET:
    snprintf(buf, len, "%s", code == 1 ? "empty aggregate" : "aggregate element not found");
    break;
  case IR_HIST_BUCKET: /* as the interpreter: absent element, no values, index out of range */
    snprintf(buf, len, "%s",
             code == 1   ? "empty aggregate"
             : code == 2 ? "histogram index out of range"
                         : "aggregate element not found");
    break;
  case IR_MAP_SET:
  case IR_STAT_ADD: {
    const IrGlobal *g = i->g;
    if (g->maxsize > 0)
      snprintf(buf, len, "Array overflow, check size limit (%lld)", (long long)g->maxsize);
    else
      snprintf(buf, len, "Array overflow, check MAXMAPENTRIES");
    break;
  }
  default: snprintf(buf, len, "%s failed", ir_op_name(i->op)); break;
  }
  return buf;
}

/* ---- tracepoint fields ------------------------------------------------------------------- */

BlayTpRef *blay_tp_refs(const IrModule *m, int *n) {
  BlayTpRef *v = NULL;
  int cap = 0;
  *n = 0;
  for (int k = 0; k < m->nprobes; k++) {
    const IrProbe *p = m->probes[k];
    BattachSpec spec;
    if (p->site != IR_SITE_KERNEL || battach_parse(p->pp, &spec) != 0 || spec.kind != BATT_TRACEPOINT) continue;
    const IrFunc *f = p->handler;
    for (int b = 0; b < f->nblocks; b++)
      for (const IrInst *i = f->blocks[b]->first; i; i = i->next) {
        const IrCtx *c = i->op == IR_CTX ? i->aux : NULL;
        if (!c || !c->text || c->text[0] != '$' || strspn(c->text + 1, "abcdefghijklmnopqrstuvwxyz"
                                                                        "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
                                                           strlen(c->text + 1))
          continue;
        if (*n == cap) {
          cap = cap ? cap * 2 : 8;
          BlayTpRef *nv = realloc(v, sizeof *nv * (size_t)cap);
          if (!nv) {
            free(v);
            *n = 0;
            return NULL;
          }
          v = nv;
        }
        BlayTpRef *r = &v[(*n)++];
        r->inst = i;
        r->probe = p;
        snprintf(r->field, sizeof r->field, "%s", c->text + 1);
      }
  }
  return v;
}

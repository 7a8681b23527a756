/* print.c: the IR's text form, written.
 *
 * The text is line oriented and parse.c reads it back: for any text this file
 * printed, printing what parse.c makes of it gives the same bytes, so pass
 * tests are plain .ir files.  The grammar (parse.c has it rule by rule):
 *
 *   module  := "maxstringlen" N  global*  (format | regex)*  func*  probe*
 *   global  := "global" @name ":" gtype ["=" init] ["maxsize" N] ["wrap"]
 *              ("hist" "log" | "hist" "linear" LO HI STEP)* ["display"] ["cmdline"] [loc]
 *   gtype   := "i64" | "str" | "stat" | "map" "[" keytypes "]" "->" ("i64"|"str"|"stat")
 *   format  := "format" #N "=" STRING          regex := "regex" $N "=" STRING
 *   func    := ("func" | "handler") @name "(" types ")" "->" type "{" [loc]
 *              ("slot" sN ":" type [STRING] ["pinned"])*  (bN ":" inst*)*  "}"
 *   inst    := ["%"N "="] opname operands [":" type] ["maxlen" N] [loc]
 *   probe   := "probe" kind "seq" N ("host"|"kernel") STRING "->" @name ["optional"]
 *   loc     := "!" path ":" line ":" col
 *
 * An instruction shows its type only where the opcode does not imply it
 * (ir_op_result_type).  Operands by opcode: see print_operands.  Locations are
 * aligned at column 40.  The printer must not crash on malformed IR (it is
 * how a pass's damage gets seen): a missing pointer prints as "?".
 * Saved objects carry this text (backend-bpf/object.c): a change to what it
 * says or how must bump BOBJ_VERSION, so old objects are refused, not misread.
 */
#include "ir.h"

#include <inttypes.h>
#include <string.h>

enum { LOC_COLUMN = 40 };

static const char *const stat_field_names[] = {"count", "sum", "min", "max", "avg", "variance"};
static const char *const probe_kind_names[] = {"begin", "end", "error", "never", "other"};

static void put_str(StrBuf *b, const char *s, size_t len) {
  sb_putc(b, '"');
  for (size_t k = 0; k < len; k++) {
    unsigned char c = (unsigned char)s[k];
    switch (c) {
    case '"': sb_puts(b, "\\\""); break;
    case '\\': sb_puts(b, "\\\\"); break;
    case '\n': sb_puts(b, "\\n"); break;
    case '\t': sb_puts(b, "\\t"); break;
    case '\r': sb_puts(b, "\\r"); break;
    default:
      if (c < 0x20 || c >= 0x7f)
        sb_printf(b, "\\x%02x", c);
      else
        sb_putc(b, (char)c);
    }
  }
  sb_putc(b, '"');
}

/* Names are bare when they are word characters, else quoted: @"a b". */
static void put_name(StrBuf *b, char sigil, const char *name) {
  sb_putc(b, sigil);
  if (!name) {
    sb_putc(b, '?');
    return;
  }
  bool bare = *name != 0 && !(*name >= '0' && *name <= '9');
  for (const char *p = name; *p; p++)
    if (!(*p == '_' || *p == '.' || (*p >= '0' && *p <= '9') || ((*p | 32) >= 'a' && (*p | 32) <= 'z')))
      bare = false;
  if (bare)
    sb_puts(b, name);
  else
    put_str(b, name, strlen(name));
}

static void put_val(StrBuf *b, const IrInst *v) {
  if (v)
    sb_printf(b, "%%%d", v->id);
  else
    sb_puts(b, "%?");
}

static void put_block(StrBuf *b, const IrBlock *bl) {
  if (bl)
    sb_printf(b, "b%d", bl->id);
  else
    sb_puts(b, "b?");
}

/* " !path:line:col", padded to LOC_COLUMN from the line starting at b->s[start] */
static void put_loc(StrBuf *b, const IrModule *m, SrcLoc loc, size_t start) {
  if (!loc.file) return;
  const SrcFile *f = m->src ? srcset_get(m->src, loc.file) : NULL;
  const char *path = f ? f->path : "?";
  size_t col = b->len - start;
  do sb_putc(b, ' ');
  while (++col < LOC_COLUMN);
  sb_putc(b, '!');
  if (!*path || strpbrk(path, " \t\"\\;"))
    put_str(b, path, strlen(path));
  else
    sb_puts(b, path);
  sb_printf(b, ":%u:%u", loc.line, loc.col);
}

/* %a, %b, ... for args[from..to) */
static void put_args(StrBuf *b, const IrInst *i, int from, int to, const char *sep) {
  for (int k = from; k < to; k++) {
    if (k > from)
      sb_puts(b, ", ");
    else
      sb_puts(b, sep);
    put_val(b, i->args[k]);
  }
}

/* @g[k1, *, k3]: n key positions; a set bit of starmask is a '*', the other
 * positions take args from *next on.  The brackets show whenever there are
 * positions or the global has keys, so "@m[]" (keys missing) stays visible. */
static void put_keys(StrBuf *b, const IrInst *i, int *next, int n, uint64_t starmask) {
  put_name(b, '@', i->g ? i->g->name : NULL);
  if (n == 0 && !(i->g && i->g->nkeys)) return;
  sb_putc(b, '[');
  for (int k = 0; k < n; k++) {
    if (k) sb_puts(b, ", ");
    if (k < 64 && (starmask >> k & 1))
      sb_putc(b, '*');
    else if (*next < i->nargs)
      put_val(b, i->args[(*next)++]);
    else
      sb_puts(b, "%?");
  }
  sb_putc(b, ']');
}

/* How many of i's operands are keys: by the op, and for stat.get (whose
 * optional last operand is @variance's bits) by the global's key count. */
static int key_positions(const IrInst *i) {
  switch (i->op) {
  case IR_MAP_SET:
  case IR_STAT_ADD:
  case IR_HIST_BUCKET: return i->nargs > 0 ? i->nargs - 1 : 0;
  case IR_STAT_GET: return i->g && i->g->nkeys < i->nargs ? i->g->nkeys : i->nargs;
  case IR_MAP_DELETE: {
    uint64_t mask = (uint64_t)i->imm;
    int n = i->nargs + __builtin_popcountll(mask), top = mask ? 64 - __builtin_clzll(mask) : 0;
    return n > top ? n : top;
  }
  default: return i->nargs;
  }
}

static void put_sort(StrBuf *b, const IrInst *i) {
  const IrSort *s = i->aux;
  if (!s) {
    sb_puts(b, " sort ?");
    return;
  }
  if (s->col == 0)
    sb_puts(b, " sort none");
  else if (s->col < 0)
    sb_puts(b, " sort value");
  else
    sb_printf(b, " sort key %d", s->col);
  if (s->dir > 0)
    sb_puts(b, " asc");
  else if (s->dir < 0)
    sb_puts(b, " desc");
  if (s->aggr != IR_STAT_COUNT && (unsigned)s->aggr <= IR_STAT_VARIANCE)
    sb_printf(b, " %s", stat_field_names[s->aggr]);
  int next = 0;
  if (s->has_limit) {
    sb_puts(b, " limit ");
    put_val(b, next < i->nargs ? i->args[next] : NULL);
    next++;
  }
  if (s->slice) {
    int n = 32 - __builtin_clz(s->slice);
    if (i->g && i->g->nkeys > n) n = i->g->nkeys;
    sb_puts(b, " slice [");
    for (int k = 0; k < n; k++) {
      if (k) sb_puts(b, ", ");
      if (s->slice >> k & 1)
        put_val(b, next < i->nargs ? i->args[next++] : NULL);
      else
        sb_putc(b, '*');
    }
    sb_putc(b, ']');
  }
}

/* name(args) for the call-like ops */
static void put_call(StrBuf *b, const IrInst *i) {
  sb_putc(b, '(');
  put_args(b, i, 0, i->nargs, "");
  sb_putc(b, ')');
}

static void print_operands(StrBuf *b, const IrInst *i) {
  int next = 0;
  switch (i->op) {
  case IR_CONST_I64:
  case IR_PARAM:
  case IR_ACTIONS: sb_printf(b, " %" PRId64, i->imm); break;
  case IR_CONST_BOOL:
    if (i->imm == 0 || i->imm == 1)
      sb_puts(b, i->imm ? " true" : " false");
    else
      sb_printf(b, " %" PRId64, i->imm);
    break;
  case IR_CONST_STR:
    sb_putc(b, ' ');
    put_str(b, i->str ? i->str : "", i->str ? i->len : 0);
    break;
  case IR_REGEX:
    put_args(b, i, 0, i->nargs, " ");
    sb_printf(b, "%s$%" PRId64, i->nargs ? ", " : " ", i->imm);
    break;
  case IR_ITER_KEY:
    put_args(b, i, 0, i->nargs, " ");
    sb_printf(b, "%s%" PRId64, i->nargs ? ", " : " ", i->imm);
    break;
  case IR_PHI:
    for (int k = 0; k < i->nargs; k++) {
      sb_puts(b, k ? ", [" : " [");
      put_val(b, i->args[k]);
      sb_puts(b, ", ");
      put_block(b, i->phi_blocks ? i->phi_blocks[k] : NULL);
      sb_putc(b, ']');
    }
    break;
  case IR_LOCAL_GET:
  case IR_LOCAL_SET:
    sb_printf(b, " s%" PRId64, i->imm);
    put_args(b, i, 0, i->nargs, ", ");
    break;
  case IR_GLOBAL_GET:
  case IR_GLOBAL_SET:
  case IR_MAP_CLEAR:
    sb_putc(b, ' ');
    put_name(b, '@', i->g ? i->g->name : NULL);
    put_args(b, i, 0, i->nargs, ", ");
    break;
  case IR_STAT_GET:
  case IR_HIST_STR:
  case IR_HIST_BUCKET:
  case IR_MAP_GET:
  case IR_MAP_SET:
  case IR_MAP_EXISTS:
  case IR_STAT_ADD:
  case IR_MAP_DELETE:
    if (i->op == IR_STAT_GET)
      sb_printf(b, " %s", (uint64_t)i->imm <= IR_STAT_VARIANCE ? stat_field_names[i->imm] : "?");
    if (i->op == IR_HIST_STR || i->op == IR_HIST_BUCKET) sb_printf(b, " %" PRId64, i->imm);
    sb_putc(b, ' ');
    put_keys(b, i, &next, key_positions(i), i->op == IR_MAP_DELETE ? (uint64_t)i->imm : 0);
    put_args(b, i, next, i->nargs, ", ");
    break;
  case IR_ITER_BEGIN:
    sb_putc(b, ' ');
    put_name(b, '@', i->g ? i->g->name : NULL);
    put_sort(b, i);
    break;
  case IR_CALL:
    sb_putc(b, ' ');
    put_name(b, '@', i->callee ? i->callee->name : NULL);
    put_call(b, i);
    break;
  case IR_BUILTIN:
    put_name(b, ' ', i->aux ? ((const IrBuiltin *)i->aux)->name : NULL);
    put_call(b, i);
    break;
  case IR_PRINTF:
  case IR_SPRINTF:
    if (i->aux)
      sb_printf(b, " #%d", ((const IrFormat *)i->aux)->id);
    else
      sb_puts(b, " #?");
    put_call(b, i);
    break;
  case IR_CTX: {
    const IrCtx *c = i->aux;
    const char *t = c && c->text ? c->text : "?";
    sb_putc(b, ' ');
    put_str(b, t, strlen(t));
    put_call(b, i);
    break;
  }
  case IR_TRY_PUSH:
  case IR_BR:
  case IR_CBR:
    put_args(b, i, 0, i->nargs, " ");
    for (int t = 0; t < (i->op == IR_CBR ? 2 : 1); t++) {
      sb_puts(b, t || i->nargs ? ", " : " ");
      put_block(b, i->targets[t]);
    }
    break;
  default: put_args(b, i, 0, i->nargs, " "); break;
  }
}

static void print_inst(StrBuf *b, const IrModule *m, const IrInst *i) {
  size_t start = b->len;
  sb_puts(b, "  ");
  if (i->type != IR_VOID) sb_printf(b, "%%%d = ", i->id);
  sb_puts(b, ir_op_name(i->op));
  print_operands(b, i);
  int implied = ir_op_result_type(i->op);
  if ((int)i->type != (implied < 0 ? (int)IR_VOID : implied)) sb_printf(b, " : %s", ir_type_name(i->type));
  if (i->type == IR_STR && i->str_bound > 0) sb_printf(b, " maxlen %" PRId64, i->str_bound - 1);
  put_loc(b, m, i->loc, start);
  sb_putc(b, '\n');
}

static void print_func(StrBuf *b, const IrFunc *f) {
  size_t start = b->len;
  sb_puts(b, f->kind == IR_FUNC_PROBE ? "handler " : "func ");
  put_name(b, '@', f->name);
  sb_putc(b, '(');
  for (int k = 0; k < f->nparams; k++) sb_printf(b, "%s%s", k ? ", " : "", ir_type_name(f->params[k]));
  sb_printf(b, ") -> %s {", ir_type_name(f->ret));
  put_loc(b, f->mod, f->loc, start);
  sb_putc(b, '\n');
  for (int k = 0; k < f->nslots; k++) {
    sb_printf(b, "  slot s%d : %s", k, ir_type_name(f->slots[k]));
    if (f->slot_names && f->slot_names[k]) {
      sb_putc(b, ' ');
      put_str(b, f->slot_names[k], strlen(f->slot_names[k]));
    }
    if (f->slot_pinned && f->slot_pinned[k]) sb_puts(b, " pinned");
    sb_putc(b, '\n');
  }
  for (int k = 0; k < f->nblocks; k++) {
    const IrBlock *bl = f->blocks[k];
    sb_printf(b, "b%d:\n", bl->id);
    for (const IrInst *i = bl->first; i; i = i->next) print_inst(b, f->mod, i);
  }
  sb_puts(b, "}\n");
}

static void print_global(StrBuf *b, const IrModule *m, const IrGlobal *g) {
  static const char *const key_names[] = {"void", "i64", "str", "bool", "iter"};
  size_t start = b->len;
  sb_puts(b, "global ");
  put_name(b, '@', g->name);
  sb_puts(b, " : ");
  if (g->kind == IR_GLOBAL_STAT) {
    sb_puts(b, "stat");
  } else if (g->kind == IR_GLOBAL_MAP) {
    sb_puts(b, "map [");
    for (int k = 0; k < g->nkeys && k < 9; k++)
      sb_printf(b, "%s%s", k ? ", " : "", (unsigned)g->keys[k] <= IR_ITER ? key_names[g->keys[k]] : "?");
    sb_printf(b, "] -> %s", g->is_stat ? "stat" : ir_type_name(g->value));
  } else {
    sb_puts(b, ir_type_name(g->value));
  }
  if (g->has_init) {
    sb_puts(b, " = ");
    if (g->value == IR_STR)
      put_str(b, g->init_str ? g->init_str : "", g->init_str ? strlen(g->init_str) : 0);
    else
      sb_printf(b, "%" PRId64, g->init_i64);
  }
  if (g->maxsize) sb_printf(b, " maxsize %" PRId64, g->maxsize);
  if (g->wrap) sb_puts(b, " wrap");
  for (int k = 0; k < g->nhists; k++) {
    const IrHist *h = &g->hists[k];
    if (h->linear)
      sb_printf(b, " hist linear %" PRId64 " %" PRId64 " %" PRId64, h->lo, h->hi, h->step);
    else
      sb_puts(b, " hist log");
  }
  if (g->display) sb_puts(b, " display");
  if (g->cmdline) sb_puts(b, " cmdline");
  put_loc(b, m, g->loc, start);
  sb_putc(b, '\n');
}

static void print_probe(StrBuf *b, const IrProbe *p) {
  sb_printf(b, "probe %s seq %" PRId64 " %s ",
            (unsigned)p->kind <= IR_PROBE_OTHER ? probe_kind_names[p->kind] : "?", p->seq,
            p->site == IR_SITE_KERNEL ? "kernel" : "host");
  put_str(b, p->pp ? p->pp : "", p->pp ? strlen(p->pp) : 0);
  sb_puts(b, " -> ");
  put_name(b, '@', p->handler ? p->handler->name : NULL);
  if (p->optional) sb_puts(b, " optional");
  sb_putc(b, '\n');
}

static void flush(FILE *out, StrBuf *b) {
  fwrite(sb_str(b), 1, b->len, out);
  sb_free(b);
}

/* Writes m in the text form; sections are separated by one blank line. */
void ir_print_module(FILE *out, const IrModule *m) {
  StrBuf b = {0};
  sb_printf(&b, "maxstringlen %" PRId64 "\n", m->maxstringlen);
  if (m->nglobals) sb_putc(&b, '\n');
  for (int k = 0; k < m->nglobals; k++) print_global(&b, m, m->globals[k]);
  if (m->nformats || m->nregexes) sb_putc(&b, '\n');
  for (int k = 0; k < m->nformats; k++) {
    sb_printf(&b, "format #%d = ", k);
    put_str(&b, m->formats[k]->text, m->formats[k]->len);
    sb_putc(&b, '\n');
  }
  for (int k = 0; k < m->nregexes; k++) {
    sb_printf(&b, "regex $%d = ", k);
    put_str(&b, m->regexes[k], strlen(m->regexes[k]));
    sb_putc(&b, '\n');
  }
  for (int k = 0; k < m->nfuncs; k++) {
    sb_putc(&b, '\n');
    print_func(&b, m->funcs[k]);
    flush(out, &b); /* one function at a time: big modules need not sit in memory twice */
  }
  if (m->nprobes) sb_putc(&b, '\n');
  for (int k = 0; k < m->nprobes; k++) print_probe(&b, m->probes[k]);
  flush(out, &b);
}

/* Writes one function, as it appears inside ir_print_module's output. */
void ir_print_func(FILE *out, const IrFunc *f) {
  StrBuf b = {0};
  print_func(&b, f);
  flush(out, &b);
}

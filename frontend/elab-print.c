/* elab-print.c: -p2, the elaborated program as stap's -p2 prints it.
 *
 *   # globals
 *   a%[10]:long [long, string]      name, wrap, size, value type, key types
 *   # functions
 *   f:long (x:string)               then its locals, as for probes
 *   # probes
 *   begin /\* <- a.b = begin <- a.b *\/
 *     # locals
 *     q:long
 *
 * Sections without entries are left out; a function without a value prints
 * as "unknown", as stap's does.  With verbose > 0 each function and probe is
 * followed by its body (fe_print_stmt's layout, not stap's).  Reads only.
 */
#include "elab.h"

#include <inttypes.h>

static const char *type_text(AstType t) {
  switch (t) {
  case TY_LONG: return "long";
  case TY_STRING: return "string";
  case TY_STATS: return "stats";
  default: return "unknown";
  }
}

static void put_global(StrBuf *b, const AstSym *g) {
  sb_puts(b, g->name);
  if (g->wrap) sb_putc(b, '%');
  if (g->maxsize > 0) sb_printf(b, "[%" PRId64 "]", g->maxsize);
  sb_printf(b, ":%s", type_text(g->type));
  if (g->arity > 0) {
    sb_puts(b, " [");
    for (int k = 0; k < g->arity && k < 9; k++)
      sb_printf(b, "%s%s", k ? ", " : "", type_text(g->key_types[k]));
    sb_putc(b, ']');
  }
  sb_putc(b, '\n');
}

static void put_locals(StrBuf *b, AstSym *const *v, int n) {
  bool any = false;
  for (int k = 0; k < n; k++) {
    if (v[k]->kind == SYM_PARAM) continue;
    if (!any) sb_puts(b, "  # locals\n");
    any = true;
    sb_printf(b, "  %s:%s\n", v[k]->name, type_text(v[k]->type));
  }
}

static void put_body(StrBuf *b, const AstStmt *body, int verbose) {
  if (verbose <= 0 || !body) return;
  fe_print_stmt(b, body, 0);
  sb_putc(b, '\n');
}

static void put_func(StrBuf *b, const AstFunc *fn, int verbose) {
  sb_printf(b, "%s:%s (", fn->name, type_text(fn->ret));
  for (int k = 0; k < fn->nparams; k++) {
    AstType t = k < fn->nlocals ? fn->locals[k]->type : fn->params[k].type;
    sb_printf(b, "%s%s:%s", k ? ", " : "", fn->params[k].name, type_text(t));
  }
  sb_puts(b, ")\n");
  put_locals(b, fn->locals, fn->nlocals);
  put_body(b, fn->body, verbose);
}

static void put_probe(StrBuf *b, const ElabProbe *ep, int verbose) {
  fe_print_probe_point(b, ep->point);
  sb_printf(b, " /* <- %s */\n", ep->derivation);
  put_locals(b, ep->locals, ep->nlocals);
  put_body(b, ep->body, verbose);
}

void fe_print_program(FILE *out, const ElabProgram *p, int verbose) {
  if (!p) return;
  StrBuf b = {0};
  if (p->globals.n) sb_puts(&b, "# globals\n");
  for (int k = 0; k < p->globals.n; k++) put_global(&b, p->globals.items[k]);
  if (p->funcs.n) sb_puts(&b, "# functions\n");
  for (int k = 0; k < p->funcs.n; k++) put_func(&b, p->funcs.items[k], verbose);
  if (p->probes.n) sb_puts(&b, "# probes\n");
  for (int k = 0; k < p->probes.n; k++) put_probe(&b, p->probes.items[k], verbose);
  fputs(sb_str(&b), out);
  sb_free(&b);
}

/* elab-resolve.c: symbol resolution, calls and lazy loading, statement checks.
 *
 * Walks every derived probe (condition, then body) and then, from a work
 * list, every function some resolved code calls: a tapset function enters
 * the program only when something reaches it.  An identifier is a parameter,
 * else a local already seen, else a global visible from the code's file
 * (private globals of that file, the user's, the library's), else a new
 * local.  Locals are scalars; arrays must be global.  Calls bind by name and
 * number of arguments to the first overload to run; the overloads its 'next'
 * may reach (AstFunc.fallback) are resolved with it.  Also refused here:
 * embedded C outside tapsets without -g, break/continue outside loops,
 * return outside functions.  Types are not looked at (elab-types.c).
 */
#include "elab.h"

#include <string.h>

typedef struct Scope {
  Elab *E;
  ElabProbe *probe;
  AstFunc *fn;
  PtrVec locals; /* AstSym*: parameters first in a function */
  AstFile *file; /* whose privates are visible */
  int loops;
  bool in_cond;
} Scope;

static void resolve_expr(Scope *sc, AstExpr *e);
static void resolve_stmt(Scope *sc, AstStmt *st);

static bool user_code(const Scope *sc, SrcLoc loc) { return !elab_loc_is_tapset(sc->E, loc); }

static AstSym *find_local(Scope *sc, const char *name) {
  for (int k = 0; k < sc->locals.n; k++) {
    AstSym *s = sc->locals.items[k];
    if (!strcmp(s->name, name)) return s;
  }
  return NULL;
}

static AstSym *new_local(Scope *sc, const char *name, SrcLoc loc, AstSymKind kind) {
  AstSym *s = ARENA_NEW(sc->E->a, AstSym);
  s->kind = kind;
  s->name = name;
  s->loc = loc;
  s->type_loc = loc;
  s->index = sc->locals.n;
  ptrvec_push(sc->E->a, &sc->locals, s);
  return s;
}

static const char *global_suggestion(Scope *sc, const char *name) {
  PtrVec names = {0};
  Elab *E = sc->E;
  for (int i = 0; i < E->globals.cap; i++)
    if (E->globals.keys[i] && elab_lookup_global(E, E->globals.keys[i], sc->file))
      ptrvec_push(E->a, &names, (void *)E->globals.keys[i]);
  return elab_suggest(E, name, (const char *const *)names.items, names.n);
}

/* A scalar name: parameter, local, global, or a new local. */
static AstSym *resolve_name(Scope *sc, const char *name, SrcLoc loc) {
  AstSym *s = sc->in_cond ? NULL : find_local(sc, name);
  if (s) return s;
  s = elab_lookup_global(sc->E, name, sc->file);
  if (s) {
    s->used = true;
    return s;
  }
  if (sc->in_cond) {
    elab_error(sc->E, loc, "a probe condition may use only global variables, and '%s' is not one%s", name,
               global_suggestion(sc, name));
    return NULL;
  }
  return new_local(sc, name, loc, SYM_LOCAL);
}

/* The array of a[...], k in a, foreach, delete a[...]: always a global. */
static AstSym *resolve_array(Scope *sc, const char *name, SrcLoc loc) {
  AstSym *s = sc->in_cond ? NULL : find_local(sc, name);
  if (s) {
    elab_error(sc->E, loc, "'%s' is a local variable and cannot be used as an array (arrays must be global)",
               name);
    return NULL;
  }
  s = elab_lookup_global(sc->E, name, sc->file);
  if (s) {
    s->used = true;
    return s;
  }
  elab_error(sc->E, loc, "array '%s' is not declared; an array needs a 'global %s' declaration%s", name, name,
             global_suggestion(sc, name));
  return NULL;
}

/* ---- calls --------------------------------------------------------------------------*/

/* fn and the overloads its 'next' may run. */
static void queue_func(Elab *E, AstFunc *fn) {
  for (; fn; fn = fn->fallback) {
    ElabFuncInfo *fi = elab_finfo(E, fn);
    if (fi->resolved) return;
    fi->resolved = true;
    ptrvec_push(E->a, &E->func_work, fn);
  }
}

static void unresolved_call(Scope *sc, AstExpr *e) {
  Elab *E = sc->E;
  PtrVec *same = elab_map_get(&E->funcs, e->name);
  for (int k = 0; same && k < same->n; k++) {
    AstFunc *fn = same->items[k];
    if (fn->is_private && fn->file != sc->file) continue;
    elab_error(E, e->loc, "function '%s' is called with %d argument%s, but no definition takes that many",
               e->name, e->nargs, e->nargs == 1 ? "" : "s");
    for (; k < same->n; k++) {
      fn = same->items[k];
      if (!fn->is_private || fn->file == sc->file)
        elab_note(E, fn->loc, "'%s' is defined here with %d parameter%s", fn->name, fn->nparams,
                  fn->nparams == 1 ? "" : "s");
    }
    return;
  }
  PtrVec names = {0};
  for (int i = 0; i < E->funcs.cap; i++) {
    PtrVec *v = E->funcs.keys[i] ? E->funcs.vals[i] : NULL;
    bool visible = false;
    for (int k = 0; v && k < v->n && !visible; k++)
      visible = !((AstFunc *)v->items[k])->is_private || ((AstFunc *)v->items[k])->file == sc->file;
    if (visible) ptrvec_push(E->a, &names, (void *)E->funcs.keys[i]);
  }
  static const char *const builtins[] = {"print",  "println",  "printf",  "printd",  "printdln",
                                         "sprint", "sprintln", "sprintf", "sprintd", "sprintdln"};
  for (size_t k = 0; k < sizeof builtins / sizeof builtins[0]; k++)
    ptrvec_push(E->a, &names, (void *)builtins[k]);
  elab_error(E, e->loc, "unresolved function call '%s'%s", e->name,
             elab_suggest(E, e->name, (const char *const *)names.items, names.n));
}

static void resolve_call(Scope *sc, AstExpr *e) {
  for (int k = 0; k < e->nargs; k++) resolve_expr(sc, e->args[k]);
  if (elab_is_print_builtin(e->name)) {
    elab_check_builtin_call(sc->E, e);
    return;
  }
  AstFunc *fn = elab_lookup_func(sc->E, e->name, e->nargs, sc->file);
  if (!fn) {
    unresolved_call(sc, e);
    return;
  }
  e->func = fn;
  for (AstFunc *f = fn; f; f = f->fallback)
    if ((f->pragmas & FN_PRAGMA_GURU) && !sc->E->s->opt.guru)
      elab_error(sc->E, e->loc, "function '%s' contains unsafe embedded code; calling it needs stap -g",
                 f->name);
  queue_func(sc->E, fn);
}

/* ---- expressions -----------------------------------------------------------------*/

static void resolve_list(Scope *sc, AstExpr **v, int n) {
  for (int k = 0; k < n; k++)
    if (v[k]) resolve_expr(sc, v[k]);
}

static void resolve_comps(Scope *sc, AstExpr *e) {
  for (int k = 0; k < e->ncomps; k++)
    if (e->comps[k].index) resolve_expr(sc, e->comps[k].index);
}

static void resolve_expr(Scope *sc, AstExpr *e) {
  switch (e->kind) {
  case EX_NUM:
  case EX_STR:
  case EX_TARGET_SYM: break;
  case EX_VAR: e->sym = resolve_name(sc, e->name, e->loc); break;
  case EX_INDEX:
  case EX_IN:
    e->sym = resolve_array(sc, e->name, e->loc);
    resolve_list(sc, e->args, e->nargs);
    break;
  case EX_PROBEWRITE: e->sym = resolve_name(sc, e->name, e->loc); break;
  case EX_CALL: resolve_call(sc, e); break;
  case EX_TARGET:
  case EX_ATVAR: resolve_comps(sc, e); break;
  case EX_CAST:
    resolve_expr(sc, e->lhs);
    resolve_comps(sc, e);
    break;
  case EX_EMBEDDED:
    if (user_code(sc, e->loc) && !sc->E->s->opt.guru)
      elab_error(sc->E, e->loc, "embedded code in unprivileged script; need stap -g");
    break;
  case EX_ENTRY:
    if (sc->probe && !strstr(sc->probe->pp, ".return"))
      elab_error(sc->E, e->loc, "@entry is only valid in .return probes, not in '%s'", sc->probe->pp);
    resolve_expr(sc, e->lhs);
    break;
  case EX_CONST:
    if (user_code(sc, e->loc) && !sc->E->s->opt.guru)
      elab_error(sc->E, e->loc, "@const in unprivileged script; need stap -g");
    break;
  default:
    if (e->cond) resolve_expr(sc, e->cond);
    if (e->lhs) resolve_expr(sc, e->lhs);
    if (e->rhs) resolve_expr(sc, e->rhs);
    resolve_list(sc, e->args, e->nargs);
    break;
  }
}

/* ---- statements ------------------------------------------------------------------*/

static void resolve_foreach(Scope *sc, AstStmt *st) {
  AstForeach *fe = st->fe;
  if (fe->array->kind == EX_VAR)
    fe->array->sym = resolve_array(sc, fe->array->name, fe->array->loc);
  else
    resolve_expr(sc, fe->array);
  resolve_list(sc, fe->slice, fe->nslice);
  for (int k = 0; k < fe->nkeys; k++) resolve_expr(sc, fe->keys[k]);
  if (fe->value) resolve_expr(sc, fe->value);
  if (fe->limit) resolve_expr(sc, fe->limit);
  sc->loops++;
  resolve_stmt(sc, st->then);
  sc->loops--;
}

static void resolve_loop(Scope *sc, AstStmt *st) {
  if (st->expr) resolve_expr(sc, st->expr);
  if (st->cond) resolve_expr(sc, st->cond);
  if (st->step) resolve_expr(sc, st->step);
  sc->loops++;
  resolve_stmt(sc, st->then);
  sc->loops--;
}

static void resolve_delete(Scope *sc, AstStmt *st) {
  AstExpr *e = st->expr;
  if (e->kind == EX_VAR) {
    /* 'delete a' empties an array or resets a scalar */
    AstSym *s = find_local(sc, e->name);
    e->sym = s ? s : elab_lookup_global(sc->E, e->name, sc->file);
    if (e->sym)
      e->sym->used |= e->sym->kind == SYM_GLOBAL;
    else
      e->sym = new_local(sc, e->name, e->loc, SYM_LOCAL);
    return;
  }
  resolve_expr(sc, e);
}

static void resolve_stmt(Scope *sc, AstStmt *st) {
  if (!st) return;
  switch (st->kind) {
  case ST_BLOCK: {
    AstFile *saved = sc->file, *f = elab_file_of(sc->E, st->loc);
    if (f) sc->file = f; /* an alias body inside a derived probe */
    for (int k = 0; k < st->nbody; k++) resolve_stmt(sc, st->body[k]);
    sc->file = saved;
    break;
  }
  case ST_EXPR: resolve_expr(sc, st->expr); break;
  case ST_IF:
    resolve_expr(sc, st->cond);
    resolve_stmt(sc, st->then);
    resolve_stmt(sc, st->els);
    break;
  case ST_WHILE:
  case ST_FOR: resolve_loop(sc, st); break;
  case ST_FOREACH: resolve_foreach(sc, st); break;
  case ST_BREAK:
  case ST_CONTINUE:
    if (!sc->loops)
      elab_error(sc->E, st->loc, "'%s' outside a loop", st->kind == ST_BREAK ? "break" : "continue");
    break;
  case ST_NEXT: break; /* in a function: on to the next overload (AstFunc.fallback) */
  case ST_RETURN:
    if (!sc->fn) elab_error(sc->E, st->loc, "'return' outside a function (use 'next' to leave a probe)");
    if (st->expr) resolve_expr(sc, st->expr);
    break;
  case ST_DELETE: resolve_delete(sc, st); break;
  case ST_TRY:
    resolve_stmt(sc, st->then);
    if (st->catch_var) resolve_expr(sc, st->catch_var);
    resolve_stmt(sc, st->els);
    break;
  case ST_EMBEDDED:
    if (user_code(sc, st->loc) && !sc->E->s->opt.guru)
      elab_error(sc->E, st->loc, "embedded code in unprivileged script; need stap -g");
    break;
  case ST_NULL: break;
  default: SUP_UNREACHABLE();
  }
}

/* ---- probes and functions --------------------------------------------------------*/

static AstSym **freeze(Scope *sc, int *n) {
  *n = sc->locals.n;
  return (AstSym **)sc->locals.items;
}

static void resolve_probe(Elab *E, ElabProbe *ep) {
  Scope sc = {.E = E, .probe = ep, .file = E->user};
  if (ep->cond) {
    sc.in_cond = true;
    sc.file = elab_file_of(E, ep->cond->loc) ? elab_file_of(E, ep->cond->loc) : E->user;
    resolve_expr(&sc, ep->cond);
    sc.in_cond = false;
    sc.file = E->user;
  }
  resolve_stmt(&sc, ep->body);
  ep->locals = freeze(&sc, &ep->nlocals);
}

/* Globals an embedded body names in pragma:read:NAME / pragma:write:NAME. */
static void embedded_globals(Elab *E, AstFunc *fn, ElabFuncInfo *fi) {
  static const char *const tags[] = {"pragma:read:", "pragma:write:"};
  for (int t = 0; t < 2; t++) {
    for (const char *p = fn->body->code; p && (p = strstr(p, tags[t]));) {
      p += strlen(tags[t]);
      size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_$");
      AstSym *g = n ? elab_lookup_global(E, arena_strndup(E->a, p, n), fn->file) : NULL;
      if (!g) continue;
      g->used = true;
      ptrvec_push(E->a, t ? &fi->globals_written : &fi->globals_read, g);
    }
  }
}

static void resolve_func(Elab *E, AstFunc *fn) {
  ElabFuncInfo *fi = elab_finfo(E, fn);
  Scope sc = {.E = E, .fn = fn, .file = fn->file};
  for (int k = 0; k < fn->nparams; k++) {
    AstSym *p = new_local(&sc, fn->params[k].name, fn->params[k].loc, SYM_PARAM);
    p->type = fn->params[k].type;
  }
  if (fn->embedded) {
    resolve_stmt(&sc, fn->body);
    embedded_globals(E, fn, fi);
  } else {
    resolve_stmt(&sc, fn->body);
  }
  fn->locals = freeze(&sc, &fn->nlocals);
}

void elab_resolve(Elab *E) {
  if (!E->s->opt.guru)
    for (int k = 0; k < E->user->embeds.n; k++)
      elab_error(E, ((AstEmbed *)E->user->embeds.items[k])->loc,
                 "embedded code in unprivileged script; need stap -g");
  for (int k = 0; k < E->prog->probes.n; k++) resolve_probe(E, E->prog->probes.items[k]);
  if (E->s->opt.unoptimized) {
    for (int k = 0; k < E->user->funcs.n; k++) queue_func(E, E->user->funcs.items[k]);
    for (int k = 0; k < E->user->globals.n; k++) ((AstSym *)E->user->globals.items[k])->used = true;
  }
  for (int k = 0; k < E->func_work.n; k++) resolve_func(E, E->func_work.items[k]);
}

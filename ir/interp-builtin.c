/* interp-builtin.c: what the interpreter hands to the runtime: builtin
 * calls through libffi, printf/sprintf through the format engine, and =~
 * through POSIX regexes.
 *
 * A builtin is found by name in the runtime's table (builtins.def) when the
 * module is prepared; its signature there must match the call's operand and
 * result types, else the module is refused at the call.  Each table entry
 * used gets one ffi_cif, prepared once; a call passes the RtCtx, then each
 * operand (int64_t or const char *), and reads the flags the builtin left:
 * abort() stops the probe hit with no error, rt_ctx_error becomes a runtime
 * error at the call (so "ERROR: msg near identifier 'error' at ..."), exit()
 * is the run driver's to see.  A builtin call is a function call to stap,
 * so it counts against MAXNESTING like one.  Formats are parsed once, when
 * the module is prepared (a bad one is refused at its printf); regexes are
 * compiled once with REG_EXTENDED.
 */
#include "interp-int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define V(x) (fr->v[(x)->id])
#define A(k) V(i->args[k])

/* Every instruction of every function, for the checks below. */
#define FOR_EACH_INST(m, i)                              \
  for (int f_ = 0; f_ < (m)->nfuncs; f_++)               \
    for (int b_ = 0; b_ < (m)->funcs[f_]->nblocks; b_++) \
      for (const IrInst *i = (m)->funcs[f_]->blocks[b_]->first; i; i = i->next)

/* ---- builtins ------------------------------------------------------------------------ */

static ffi_type *ffi_of(RtBiType t) {
  switch (t) {
  case RT_BI_LONG: return &ffi_type_sint64;
  case RT_BI_STR: return &ffi_type_pointer;
  default: return &ffi_type_void;
  }
}

static RtBiType bi_of(IrType t) { return t == IR_I64 ? RT_BI_LONG : t == IR_STR ? RT_BI_STR : RT_BI_VOID; }

static const char *bi_name(RtBiType t) {
  return t == RT_BI_LONG ? "long" : t == RT_BI_STR ? "string" : "void";
}

/* The call's operand and result types against the table's signature. */
static bool check_signature(const IrInst *i, const RtBuiltin *b, DiagList *diag) {
  const IrBuiltin *ib = i->aux;
  if (i->nargs != b->nargs) {
    diag_error(diag, i->loc, "builtin '%s' takes %d argument%s in the stapjit runtime, not %d", ib->name,
               b->nargs, b->nargs == 1 ? "" : "s", i->nargs);
    return false;
  }
  for (int k = 0; k < i->nargs; k++)
    if (bi_of(i->args[k]->type) != b->args[k]) {
      diag_error(diag, i->loc, "argument %d of builtin '%s' is a %s in the stapjit runtime", k + 1, ib->name,
                 bi_name(b->args[k]));
      return false;
    }
  if (bi_of(i->type) != b->ret) {
    diag_error(diag, i->loc, "builtin '%s' returns %s in the stapjit runtime", ib->name, bi_name(b->ret));
    return false;
  }
  return true;
}

static int prepare_cif(BuiltinRt *br, const RtBuiltin *b) {
  br->b = b;
  br->types[0] = &ffi_type_pointer; /* RtCtx * */
  for (int k = 0; k < b->nargs; k++) br->types[k + 1] = ffi_of(b->args[k]);
  ffi_status st = ffi_prep_cif(&br->cif, FFI_DEFAULT_ABI, (unsigned)b->nargs + 1, ffi_of(b->ret), br->types);
  return st == FFI_OK ? 0 : -EINVAL;
}

static int builtin_index(const RtBuiltin *b) {
  for (int k = 0; k < rt_builtin_count(); k++)
    if (rt_builtin_at(k) == b) return k;
  SUP_UNREACHABLE();
}

/* The call sites' IrBuiltin -> BuiltinRt table, so a call finds its cif at once. */
static void remember(IrInterp *in, const IrBuiltin *ib, BuiltinRt *br) {
  unsigned mask = (unsigned)in->bcap - 1, k = interp_ptr_hash(ib) & mask;
  while (in->bkeys[k] && in->bkeys[k] != ib) k = (k + 1) & mask;
  in->bkeys[k] = ib;
  in->bvals[k] = br;
}

static const BuiltinRt *lookup(const IrInterp *in, const IrBuiltin *ib) {
  unsigned mask = (unsigned)in->bcap - 1;
  for (unsigned k = interp_ptr_hash(ib) & mask;; k = (k + 1) & mask) {
    if (in->bkeys[k] == ib) return in->bvals[k];
    SUP_ASSERT(in->bkeys[k]); /* every call site was seen by interp_builtins_init */
  }
}

int interp_builtins_init(IrInterp *in, DiagList *diag) {
  in->builtins = arena_alloc(in->arena, sizeof(BuiltinRt) * (size_t)rt_builtin_count());
  int bad = 0, sites = 0;
  FOR_EACH_INST(in->m, i) sites += i->op == IR_BUILTIN;
  in->bcap = 16;
  while (in->bcap < 2 * sites + 2) in->bcap *= 2;
  in->bkeys = arena_alloc(in->arena, sizeof(void *) * (size_t)in->bcap);
  in->bvals = arena_alloc(in->arena, sizeof(BuiltinRt *) * (size_t)in->bcap);
  FOR_EACH_INST(in->m, i) {
    if (i->op != IR_BUILTIN) continue;
    const IrBuiltin *ib = i->aux;
    const RtBuiltin *b = ib ? rt_builtin_find(ib->name) : NULL;
    if (!b) {
      diag_error(diag, i->loc, "builtin '%s' is not provided by the stapjit runtime", ib ? ib->name : "?");
      bad++;
      continue;
    }
    if (!check_signature(i, b, diag)) {
      bad++;
      continue;
    }
    BuiltinRt *br = &in->builtins[builtin_index(b)];
    if (!br->b && prepare_cif(br, b) != 0) {
      diag_error(diag, i->loc, "libffi cannot call builtin '%s'", b->name);
      bad++;
    }
    remember(in, ib, br);
  }
  return bad ? -EINVAL : 0;
}

static XStatus call_builtin(IrInterp *in, Frame *fr, const IrInst *i) {
  if (in->depth >= in->maxnesting) return interp_fail(in, i, "MAXNESTING exceeded");
  const BuiltinRt *br = lookup(in, i->aux);
  const RtBuiltin *b = br->b;
  RtCtx *ctx = &in->ctx;
  int64_t longs[RT_BUILTIN_MAXARGS];
  const char *strs[RT_BUILTIN_MAXARGS];
  void *avalues[RT_BUILTIN_MAXARGS + 1] = {&ctx};
  for (int k = 0; k < b->nargs; k++) {
    if (b->args[k] == RT_BI_STR) {
      strs[k] = A(k).s;
      avalues[k + 1] = &strs[k];
    } else {
      longs[k] = A(k).i;
      avalues[k + 1] = &longs[k];
    }
  }
  union {
    ffi_arg raw;
    int64_t l;
    const char *s;
  } rv = {0};
  ffi_call((ffi_cif *)&br->cif, b->fn, b->ret == RT_BI_VOID ? NULL : &rv, avalues);
  if (ctx->aborted) {
    in->aborted = true;
    return X_FAIL;
  }
  if (ctx->failed) {
    interp_fail(in, i, "%s", ctx->errmsg);
    rt_ctx_clear_error(ctx);
    return X_FAIL;
  }
  if (b->ret == RT_BI_LONG) V(i).i = rv.l;
  if (b->ret == RT_BI_STR) V(i).s = interp_strcpy(in, interp_buf(in, fr, i), rv.s ? rv.s : "");
  return X_OK;
}

/* ---- formats -------------------------------------------------------------------------- */

int interp_formats_init(IrInterp *in, DiagList *diag) {
  const IrModule *m = in->m;
  in->formats = calloc((size_t)(m->nformats ? m->nformats : 1), sizeof(RtFormat *));
  if (!in->formats) return -ENOMEM;
  int bad = 0;
  FOR_EACH_INST(m, i) {
    if (i->op != IR_PRINTF && i->op != IR_SPRINTF) continue;
    const IrFormat *f = i->aux;
    SUP_ASSERT(f && f->id >= 0 && f->id < m->nformats);
    if (in->formats[f->id]) continue;
    char msg[256];
    int rc = rt_format_parse(f->text, f->len, &in->formats[f->id], msg, sizeof msg);
    if (rc == -ENOMEM) return rc;
    if (rc) {
      diag_error(diag, i->loc, "%s", msg);
      bad++;
    }
  }
  return bad ? -EINVAL : 0;
}

void interp_formats_free(IrInterp *in) {
  for (int k = 0; in->formats && k < in->m->nformats; k++) rt_format_free(in->formats[k]);
  free(in->formats);
  in->formats = NULL;
}

enum { INLINE_ARGS = 16 };

static XStatus do_printf(IrInterp *in, Frame *fr, const IrInst *i) {
  const IrFormat *f = i->aux;
  const RtFormat *rf = in->formats[f->id];
  RtArg small[INLINE_ARGS], *args = small;
  if (i->nargs > INLINE_ARGS && !(args = malloc(sizeof(RtArg) * (size_t)i->nargs)))
    return interp_fail(in, i, "out of memory");
  for (int k = 0; k < i->nargs; k++) {
    const Val *v = &A(k);
    args[k] = i->args[k]->type == IR_STR ? rt_arg_str(v->s, strlen(v->s)) : rt_arg_long(v->i);
  }
  RtErr err = {0};
  int rc;
  if (i->op == IR_PRINTF) {
    RtBuf *out = in->opt.out ? in->opt.out : &in->scratch;
    rc = rt_format(out, rf, args, i->nargs, &err);
    if (!in->opt.out) rt_buf_truncate(&in->scratch, 0);
  } else {
    rt_buf_truncate(&in->scratch, 0);
    rc = rt_format_str(&in->scratch, rf, args, i->nargs, &err);
    if (!rc) V(i).s = interp_strcpy(in, interp_buf(in, fr, i), rt_buf_cstr(&in->scratch));
  }
  if (args != small) free(args);
  if (!rc) return X_OK;
  return interp_fail(in, i, "%s", err.set ? err.msg : "out of memory");
}

/* ---- regular expressions ------------------------------------------------------------------ */

int interp_regexes_init(IrInterp *in, DiagList *diag) {
  const IrModule *m = in->m;
  in->regexes = calloc((size_t)(m->nregexes ? m->nregexes : 1), sizeof(regex_t));
  in->regex_ok = calloc((size_t)(m->nregexes ? m->nregexes : 1), sizeof(bool));
  if (!in->regexes || !in->regex_ok) return -ENOMEM;
  for (int k = 0; k < m->nregexes; k++) {
    char msg[256];
    if (rt_regex_compile(&in->regexes[k], m->regexes[k], msg, sizeof msg) == 0) {
      in->regex_ok[k] = true;
      continue;
    }
    SrcLoc loc = {0, 0, 0};
    FOR_EACH_INST(m, i) if (i->op == IR_REGEX && i->imm == k && !loc.file) loc = i->loc;
    diag_error(diag, loc, "invalid regular expression \"%s\": %s", m->regexes[k], msg);
  }
  for (int k = 0; k < m->nregexes; k++)
    if (!in->regex_ok[k]) return -EINVAL;
  return 0;
}

void interp_regexes_free(IrInterp *in) {
  for (int k = 0; in->regexes && k < in->m->nregexes; k++)
    if (in->regex_ok[k]) regfree(&in->regexes[k]);
  free(in->regexes);
  free(in->regex_ok);
  in->regexes = NULL;
  in->regex_ok = NULL;
}

/* ---- dispatch ------------------------------------------------------------------------------ */

XStatus interp_builtin_op(IrInterp *in, Frame *fr, const IrInst *i) {
  switch (i->op) {
  case IR_BUILTIN: return call_builtin(in, fr, i);
  case IR_PRINTF:
  case IR_SPRINTF: return do_printf(in, fr, i);
  case IR_REGEX:
    SUP_ASSERT(i->imm >= 0 && i->imm < in->m->nregexes);
    V(i).i = rt_regex_match(&in->ctx, &in->regexes[i->imm], A(0).s);
    return X_OK;
  default: SUP_UNREACHABLE();
  }
}

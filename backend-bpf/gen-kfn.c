/* gen-kfn.c: target variables of kernel.function and kprobe.function
 * probes, typed from the kernel's BTF (no DWARF), for the code generator,
 * and how each such probe attaches.
 *
 * Two attachment methods, chosen here per probe (gen_kfn_method, from
 * --kfunc-attach and what the compiling kernel offers) and recorded in the
 * program's section, so a saved object carries it:
 *   kprobes: the context is the probed function's struct pt_regs, so
 *     parameter i is the x86-64 calling convention's register i (rdi, rsi,
 *     rdx, rcx, r8, r9) and $return, in a .return probe, is rax;
 *   fentry/fexit (kernel.function; the default for exact names; a pattern
 *     only when forced, as one program per function, since a trampoline
 *     program attaches to one: g->kfn_func names it): the context is the trampoline's array of u64
 *     arguments, read with bpf_get_func_arg and, in fexit, bpf_get_func_ret
 *     (helpers, not loads, so the verifier sees scalars, never BTF
 *     pointers it would forbid arithmetic on).  Cheaper per hit than a
 *     kprobe's int3 on x86, so the default where the kernel has it.
 * Each value is narrowed to its BTF type's size and sign.  `->member`
 * chains go through BTF's struct and union member offsets, reading kernel
 * memory with bpf_probe_read_kernel where a pointer is followed; a member
 * that is a struct or union is stepped into without a read, as C's `.`
 * would.  The value at the end is an integer (a pointer is its address); a
 * char array is, as for tracepoint fields, its address: scripts read
 * strings with kernel_string().  A failed read is the IR_CTX site's error
 * (code 1).
 *
 * Values at entry in .return probes (@entry(expr), and $param, which stap
 * reads as @entry($param)): fexit has the parameters itself, so a plain
 * $param is read there directly; anything else (kretprobes, member chains)
 * is saved by a second program on the function's entry (gen_kfn_entry)
 * into a map keyed by thread id, which the .return handler looks up.  Only
 * target variables can be saved: @entry of another expression is refused.
 * The key has no call depth, so a recursive function's inner call
 * overwrites the outer's values (a missing entry reads as 0).
 *
 * Offsets are the compiling kernel's (its /sys/kernel/btf), put into the
 * code as constants: the object is for that kernel (no CO-RE relocations
 * yet).  A pattern's probe runs one program for all its functions: where
 * they read a variable differently, and for pp() and ppfunc(), the program
 * tells its function by the BPF cookie of the attachment (the function's
 * index in kfn.c's list, the same at compile and attach time on one
 * kernel) through a read-only table.  Refused, with the stap-like wording of error::dwarf:
 * unknown parameters and members, -> on a non-pointer, bitfields, [index],
 * kprobe parameters past the sixth, and parameters wider than a register.
 * Nothing here attaches.
 */
#include "gen-int.h"
#include "kbtf.h"

#include <bpf/btf.h>
#include <linux/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { KFN_MAX_LOADS = 16 };

/* What one target variable reads, for one function: a register, then
 * loads, then the value or an address.  Compared with memcmp between the
 * functions of a pattern, so always built from a zeroed struct. */
typedef struct KfnPlan { /* int64_t throughout: no padding for memcmp to see */
  int64_t reg;        /* offset in struct pt_regs; fentry/fexit: the argument's index, -1 for $return */
  int64_t reg_size;   /* the register's value narrowed to this many bytes */
  int64_t reg_signed;
  int64_t nloads;     /* v = *(size bytes *)(v + off), in order */
  int64_t load_off[KFN_MAX_LOADS];
  int64_t load_size[KFN_MAX_LOADS];
  int64_t load_signed[KFN_MAX_LOADS];
  int64_t addr;       /* the result is v + addr_off (an array, not read) */
  int64_t addr_off;
} KfnPlan;

static const int arg_regs[6] = {112, 104, 96, 88, 72, 64}; /* di si dx cx r8 r9 */
enum { REG_AX = 80 };
enum { KFN_MAX_SAVED = 32 }; /* values one .return probe saves at entry (the entry program's stack) */

/* typedefs, qualifiers and type tags skipped; NULL for void */
static const struct btf_type *resolve(const struct btf *btf, uint32_t id, uint32_t *out_id) {
  const struct btf_type *t = NULL;
  for (int depth = 0; depth < 32; depth++) {
    if (!id) break;
    t = btf__type_by_id(btf, id);
    if (!t) break;
    int k = btf_kind(t);
    if (k != BTF_KIND_TYPEDEF && k != BTF_KIND_CONST && k != BTF_KIND_VOLATILE && k != BTF_KIND_RESTRICT &&
        k != BTF_KIND_TYPE_TAG)
      break;
    id = t->type;
    t = NULL;
  }
  if (out_id) *out_id = id;
  return t;
}

/* The size and sign of a scalar (integer, enum, pointer); false otherwise. */
static bool scalar(const struct btf *btf, uint32_t id, int *size, bool *sgn) {
  const struct btf_type *t = resolve(btf, id, NULL);
  if (!t) return false;
  switch (btf_kind(t)) {
  case BTF_KIND_INT:
    *size = (int)t->size;
    *sgn = (btf_int_encoding(t) & BTF_INT_SIGNED) != 0;
    return btf_int_offset(t) == 0 && (t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8);
  case BTF_KIND_ENUM:
  case BTF_KIND_ENUM64:
    *size = (int)t->size;
    *sgn = btf_kflag(t);
    return t->size == 1 || t->size == 2 || t->size == 4 || t->size == 8;
  case BTF_KIND_PTR:
    *size = 8;
    *sgn = false;
    return true;
  default: return false;
  }
}

/* A member called name of struct/union t, looked for in anonymous members
 * too; adds its byte offset to *off.  0, -ENOENT, or -EINVAL for a bitfield. */
static int find_member(const struct btf *btf, const struct btf_type *t, const char *name, int64_t *off,
                       uint32_t *type) {
  const struct btf_member *m = btf_members(t);
  for (int k = 0; k < btf_vlen(t); k++) {
    const char *mn = btf__name_by_offset(btf, m[k].name_off);
    uint32_t bits = btf_member_bit_offset(t, (uint32_t)k);
    if (mn && *mn) {
      if (strcmp(mn, name)) continue;
      if (btf_member_bitfield_size(t, (uint32_t)k) || bits % 8) return -EINVAL;
      *off += bits / 8;
      *type = m[k].type;
      return 0;
    }
    const struct btf_type *in = resolve(btf, m[k].type, NULL);
    if (!in || (!btf_is_struct(in) && !btf_is_union(in))) continue;
    int64_t sub = bits / 8;
    int rc = find_member(btf, in, name, &sub, type);
    if (rc != -ENOENT) {
      *off += sub;
      return rc;
    }
  }
  return -ENOENT;
}

/* " m1 m2 ..." (at most a few) of struct/union t, for "alternatives". */
static void member_names(const struct btf *btf, const struct btf_type *t, char *buf, size_t len) {
  const struct btf_member *m = btf_members(t);
  size_t at = 0;
  buf[0] = '\0';
  for (int k = 0; k < btf_vlen(t) && at + 1 < len; k++) {
    const char *mn = btf__name_by_offset(btf, m[k].name_off);
    if (!mn || !*mn) continue;
    int w = snprintf(buf + at, len - at, "%s%s", at ? " " : "", mn);
    if (w < 0 || (size_t)w >= len - at) {
      snprintf(buf + at, len - at, " ...");
      break;
    }
    at += (size_t)w;
  }
}

static bool add_load(Gen *g, KfnPlan *pl, int64_t off, int size, bool sgn, SrcLoc loc, const char *text) {
  if (pl->nloads == KFN_MAX_LOADS) {
    gen_error(g, loc, "'%s' follows more than %d pointers", text, KFN_MAX_LOADS);
    return false;
  }
  pl->load_off[pl->nloads] = off;
  pl->load_size[pl->nloads] = size;
  pl->load_signed[pl->nloads++] = sgn;
  return true;
}

/* The start of the plan: the parameter called name of f, or $return. */
static bool plan_start(Gen *g, const KbtfFunc *f, const BattachSpec *sp, const AstExpr *e, const char *name,
                       KfnPlan *pl, uint32_t *type) {
  char tn[KBTF_TYPE_MAX];
  if (!strcmp(name, "return")) {
    *type = kbtf_func_return(f);
    if (!sp->kret || !*type) {
      gen_error(g, e->loc, "unable to find return value of function '%s' (BTF)%s", f->name,
                !sp->kret ? ": $return exists in .return probes only" : ": it returns void");
      return false;
    }
    pl->reg = g->kfn_fentry ? -1 : REG_AX;
  } else {
    int n = kbtf_func_nparams(f), at = -1;
    char alts[300] = "";
    size_t used = 0;
    for (int k = 0; k < n; k++) {
      uint32_t t;
      const char *pn = kbtf_func_param(f, k, &t);
      if (!strcmp(pn, name)) at = k, *type = t;
      if (*pn && used + strlen(pn) + 3 < sizeof alts) used += (size_t)snprintf(alts + used, sizeof alts - used, " $%s", pn);
    }
    if (at < 0) {
      gen_error(g, e->loc, "unable to find parameter '%s' of function '%s' (BTF)%s%s%s", name, f->name,
                alts[0] ? " (alternatives:" : "", alts, alts[0] ? ")" : "");
      return false;
    }
    if (!g->kfn_fentry && at >= 6) {
      gen_error(g, e->loc, "parameter '$%s' of '%s' is passed on the stack (it is parameter %d), which the bpf "
                           "backend does not read yet", name, f->name, at + 1);
      return false;
    }
    pl->reg = g->kfn_fentry ? at : arg_regs[at];
  }
  int size;
  bool sgn;
  bool fits = scalar(f->btf, *type, &size, &sgn);
  pl->reg_size = size;
  pl->reg_signed = sgn;
  if (!fits) {
    gen_error(g, e->loc, "'%s' of '%s' is a %s, which does not fit in a register (the bpf backend reads "
                         "integers and pointers)", e->name, f->name, kbtf_type_name(f->btf, *type, tn, sizeof tn));
    return false;
  }
  return true;
}

/* The plan of e for function f; false after a diagnostic. */
static bool plan(Gen *g, const KbtfFunc *f, const BattachSpec *sp, const AstExpr *e, const char *text, KfnPlan *pl) {
  const struct btf *btf = f->btf;
  const char *name = e->name[0] == '$' ? e->name + 1 : e->name;
  char tn[KBTF_TYPE_MAX], alts[400];
  uint32_t type;
  memset(pl, 0, sizeof *pl);
  if (!plan_start(g, f, sp, e, name, pl, &type)) return false;
  bool lval = false; /* v + off is where the current member is (not read yet) */
  int64_t off = 0;
  for (int c = 0; c < e->ncomps; c++) {
    const AstComp *cp = &e->comps[c];
    if (cp->kind != COMP_FIELD) {
      gen_error(g, cp->loc, "indexing target variables ('%s') is not supported by the bpf backend yet", text);
      return false;
    }
    const struct btf_type *t = resolve(btf, type, NULL);
    if (t && btf_is_ptr(t)) {
      if (lval && !add_load(g, pl, off, 8, false, cp->loc, text)) return false;
      uint32_t pid;
      t = resolve(btf, t->type, &pid);
      lval = true;
      off = 0;
      if (!t || (!btf_is_struct(t) && !btf_is_union(t))) {
        gen_error(g, cp->loc, "invalid access '->%s' vs '%s': not a pointer to a struct or union", cp->field,
                  kbtf_type_name(btf, type, tn, sizeof tn));
        return false;
      }
    } else if (!lval || !t || (!btf_is_struct(t) && !btf_is_union(t))) {
      gen_error(g, cp->loc, "invalid access '->%s' vs '%s': not a pointer to a struct or union", cp->field,
                kbtf_type_name(btf, type, tn, sizeof tn));
      return false;
    }
    int rc = find_member(btf, t, cp->field, &off, &type);
    if (rc == -EINVAL) {
      gen_error(g, cp->loc, "member '%s' of %s is a bitfield, which the bpf backend does not read yet", cp->field,
                kbtf_type_name(btf, type, tn, sizeof tn));
      return false;
    }
    if (rc) {
      member_names(btf, t, alts, sizeof alts);
      const char *tag = btf_is_union(t) ? "union" : "struct";
      const char *sn = btf__name_by_offset(btf, t->name_off);
      gen_error(g, cp->loc, "unable to find member '%s' for %s %s (alternatives: %s)", cp->field, tag,
                sn && *sn ? sn : "{...}", alts);
      return false;
    }
  }
  if (!lval) return true;
  const struct btf_type *t = resolve(btf, type, NULL);
  int size;
  bool sgn;
  if (t && btf_is_array(t)) {
    pl->addr = true;
    pl->addr_off = off;
    return true;
  }
  if (!scalar(btf, type, &size, &sgn)) {
    gen_error(g, e->loc, "'%s' is a %s, not an integer or a pointer: read one of its members with '->'", text,
              kbtf_type_name(btf, type, tn, sizeof tn));
    return false;
  }
  return add_load(g, pl, off, size, sgn, e->loc, text);
}

/* ---- the functions of the probe point --------------------------------------------------- */

typedef struct Funcs {
  KbtfFunc *v;
  int n, cap;
} Funcs;

static int collect(void *ctx, const KbtfFunc *f) {
  Funcs *fs = ctx;
  if (fs->n && !strcmp(fs->v[fs->n - 1].name, f->name)) return 0; /* as kfn_names: the first of a name */
  if (fs->n == fs->cap) {
    int nc = fs->cap ? fs->cap * 2 : 16;
    KbtfFunc *nv = realloc(fs->v, sizeof *nv * (size_t)nc);
    if (!nv) return -ENOMEM;
    fs->v = nv;
    fs->cap = nc;
  }
  fs->v[fs->n++] = *f;
  return 0;
}

/* The catalogue, opened on first need and kept for the compilation. */
static Kbtf *catalogue(Gen *g, SrcLoc loc) {
  if (!g->kbtf && !g->kbtf_failed) {
    char err[300];
    if (kbtf_open(&g->kbtf, err, sizeof err) != 0) {
      g->kbtf_failed = true;
      gen_error(g, loc, "kernel function probes need the kernel's BTF for their target variables: %s", err);
    }
  }
  return g->kbtf;
}

static int functions(Gen *g, const BattachSpec *sp, SrcLoc loc, Funcs *fs) {
  Kbtf *k = catalogue(g, loc);
  if (!k) return -1;
  char err[300] = "";
  int rc = kbtf_func_glob(k, sp->kmodule[0] ? sp->kmodule : NULL, sp->kfunc, collect, fs, err, sizeof err);
  if (rc < 0) {
    gen_error(g, loc, "cannot list the kernel's functions: %s", err[0] ? err : strerror(-rc));
    return -1;
  }
  return 0;
}

int gen_kfn_check(Gen *g, const IrProbe *p, const BattachSpec *sp) {
  Kbtf *k = NULL;
  if (!g->kbtf && !g->kbtf_failed) {
    char err[300];
    if (kbtf_open(&g->kbtf, err, sizeof err) != 0) g->kbtf_failed = true; /* exact names attach without BTF */
  }
  k = g->kbtf;
  if (!k) return 0;
  Funcs fs = {0};
  char err[300] = "";
  int rc = kbtf_func_glob(k, sp->kmodule[0] ? sp->kmodule : NULL, sp->kfunc, collect, &fs, err, sizeof err);
  free(fs.v);
  if (rc < 0 && sp->kmodule[0]) {
    if (p->optional) return 0;
    gen_error(g, p->handler->loc, "while resolving probe point %s: %s", p->pp, err);
    return -1;
  }
  if (rc == 0 && !p->optional) {
    gen_error(g, p->handler->loc, "while resolving probe point %s: no match (no function of the kernel's BTF with "
                                  "a symbol in /proc/kallsyms is called '%s')", p->pp, sp->kfunc);
    return -1;
  }
  return 0;
}

/* ---- code ------------------------------------------------------------------------------- */

static LLVMValueRef narrow(Gen *g, LLVMValueRef v, int64_t size, int64_t sgn) {
  if (size == 8) return v;
  LLVMTypeRef t = LLVMIntTypeInContext(g->ctx, (unsigned)size * 8);
  LLVMValueRef n = LLVMBuildTrunc(g->b, v, t, "");
  return sgn ? LLVMBuildSExt(g->b, n, g->i64, "") : LLVMBuildZExt(g->b, n, g->i64, "");
}

/* The register (kprobes) or argument (fentry/fexit) a plan starts from. */
static LLVMValueRef start(Gen *g, const KfnPlan *pl, LLVMValueRef ctxp) {
  if (!g->kfn_fentry) {
    LLVMValueRef r = LLVMBuildLoad2(g->b, g->i64, bb_gep(g, ctxp, (uint64_t)pl->reg), "");
    LLVMSetAlignment(r, 8);
    return r;
  }
  LLVMValueRef slot = gen_ctx_stack(g, 8);
  LLVMBuildStore(g->b, bb_c64(g, 0), slot);
  if (pl->reg < 0) {
    LLVMValueRef a[2] = {ctxp, slot};
    bb_helper(g, BPF_FUNC_get_func_ret, g->i64, a, 2);
  } else {
    LLVMValueRef a[3] = {ctxp, bb_c64(g, pl->reg), slot};
    bb_helper(g, BPF_FUNC_get_func_arg, g->i64, a, 3);
  }
  return LLVMBuildLoad2(g->b, g->i64, slot, "");
}

static LLVMValueRef emit(Gen *g, const KfnPlan *pl, LLVMValueRef ctxp, LLVMValueRef *fault) {
  LLVMValueRef r = start(g, pl, ctxp);
  LLVMValueRef v = narrow(g, r, pl->reg_size, pl->reg_signed);
  LLVMValueRef bad = NULL;
  for (int k = 0; k < pl->nloads; k++) {
    LLVMValueRef slot = gen_ctx_stack(g, 8);
    LLVMBuildStore(g->b, bb_c64(g, 0), slot);
    LLVMValueRef addr = LLVMBuildIntToPtr(g->b, LLVMBuildAdd(g->b, v, bb_c64(g, pl->load_off[k]), ""), g->ptr, "");
    LLVMValueRef rc = bb_read_kernel(g, slot, (uint32_t)pl->load_size[k], addr);
    LLVMValueRef failed = LLVMBuildICmp(g->b, LLVMIntSLT, rc, bb_c64(g, 0), "");
    bad = bad ? LLVMBuildOr(g->b, bad, failed, "") : failed;
    v = narrow(g, LLVMBuildLoad2(g->b, g->i64, slot, ""), pl->load_size[k], pl->load_signed[k]);
  }
  if (pl->addr) v = LLVMBuildAdd(g->b, v, bb_c64(g, pl->addr_off), "");
  *fault = bad;
  return v;
}

/* The attachment's BPF cookie: its function's index in the list (kfn.c). */
static LLVMValueRef cookie(Gen *g, LLVMValueRef ctxp) {
  LLVMValueRef a[1] = {ctxp};
  return bb_helper(g, BPF_FUNC_get_attach_cookie, g->i64, a, 1);
}

/* A read-only byte table of len bytes, and v's entry of stride bytes in it
 * (entry 0 when v >= n), as an address. */
static LLVMValueRef table_entry(Gen *g, const char *bytes, size_t len, LLVMValueRef v, uint64_t n, uint64_t stride) {
  LLVMValueRef tab = gen_rodata_str(g, bytes, len);
  LLVMValueRef in = LLVMBuildICmp(g->b, LLVMIntULT, v, bb_c64(g, (int64_t)n), "");
  /* the barrier keeps the multiplication after the bound, where the verifier sees it */
  LLVMValueRef k = bb_barrier(g, LLVMBuildSelect(g->b, in, v, bb_c64(g, 0), ""));
  return bb_gep_var(g, tab, LLVMBuildMul(g->b, k, bb_c64(g, (int64_t)stride), ""));
}

/* The plans of the functions of a pattern differ ($return of functions
 * returning int and long): the program picks its function's plan by the
 * cookie, through a table of plan numbers. */
static LLVMValueRef emit_by_cookie(Gen *g, const KfnPlan *plans, int nplans, const unsigned char *which, int n,
                                   LLVMValueRef ctxp, LLVMValueRef *fault) {
  LLVMValueRef at = table_entry(g, (const char *)which, (size_t)n, cookie(g, ctxp), (uint64_t)n, 1);
  LLVMValueRef cls = LLVMBuildZExt(g->b, LLVMBuildLoad2(g->b, g->i8, at, ""), g->i64, "");
  LLVMBasicBlockRef done = bb_block(g, "kfn.done");
  LLVMValueRef vals[256], faults[256];
  LLVMBasicBlockRef from[256];
  for (int j = 0; j < nplans; j++) {
    LLVMBasicBlockRef body = bb_block(g, "kfn.plan"), next = j + 1 < nplans ? bb_block(g, "kfn.next") : NULL;
    if (next)
      LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntEQ, cls, bb_c64(g, j), ""), body, next);
    else
      LLVMBuildBr(g->b, body);
    LLVMPositionBuilderAtEnd(g->b, body);
    LLVMValueRef f = NULL;
    vals[j] = emit(g, &plans[j], ctxp, &f);
    faults[j] = f ? f : LLVMConstInt(g->i1, 0, false);
    from[j] = LLVMGetInsertBlock(g->b);
    LLVMBuildBr(g->b, done);
    if (next) LLVMPositionBuilderAtEnd(g->b, next);
  }
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef v = LLVMBuildPhi(g->b, g->i64, ""), f = LLVMBuildPhi(g->b, g->i1, "");
  LLVMAddIncoming(v, vals, from, (unsigned)nplans);
  LLVMAddIncoming(f, faults, from, (unsigned)nplans);
  *fault = f;
  return v;
}

/* The value of target expression e ($param->member...) for the functions
 * sp names, read from ctxp; NULL after a diagnostic. */
static LLVMValueRef read_target(Gen *g, const IrProbe *p, const BattachSpec *sp, const AstExpr *e, const char *text,
                                SrcLoc loc, LLVMValueRef ctxp, LLVMValueRef *fault) {
  Funcs fs = {0};
  if (functions(g, sp, loc, &fs)) return NULL;
  if (fs.n == 0) {
    gen_error(g, loc, "no kernel function matches %s, so '%s' cannot be resolved", p->pp, text);
    return NULL;
  }
  KfnPlan *plans = calloc((size_t)fs.n, sizeof *plans);
  unsigned char *which = calloc((size_t)fs.n, 1);
  int nplans = 0;
  bool ok = plans && which;
  for (int k = 0; ok && k < fs.n; k++) {
    KfnPlan pl;
    ok = plan(g, &fs.v[k], sp, e, text, &pl);
    int j = 0;
    while (ok && j < nplans && memcmp(&plans[j], &pl, sizeof pl)) j++;
    if (ok && j == nplans) {
      if (nplans == 256) {
        gen_error(g, loc, "'%s' is read in more than 256 different ways by the functions %s matches", text,
                  sp->kfunc);
        ok = false;
        break;
      }
      plans[nplans++] = pl;
    }
    which[k] = (unsigned char)j;
  }
  LLVMValueRef v = NULL;
  if (ok) v = nplans == 1 ? emit(g, &plans[0], ctxp, fault) : emit_by_cookie(g, plans, nplans, which, fs.n, ctxp, fault);
  free(plans);
  free(which);
  free(fs.v);
  return v;
}

static bool is_return(const AstExpr *e) {
  return e->kind == EX_TARGET && e->name && !strcmp(e->name[0] == '$' ? e->name + 1 : e->name, "return");
}

/* In a .return probe, the target expression whose value at entry e stands
 * for (@entry(x): x; $param...: itself); NULL for $return, and outside
 * .return probes. */
static const AstExpr *entry_target(const BattachSpec *sp, const AstExpr *e) {
  if (!sp->kret || !e) return NULL;
  if (e->kind == EX_ENTRY) return e->lhs;
  if (e->kind == EX_TARGET && !is_return(e)) return e;
  return NULL;
}

/* Can x be read at entry (checked before it is saved)?  A diagnostic if not. */
static bool entry_readable(Gen *g, const AstExpr *x, const char *text, SrcLoc loc) {
  if (!x || x->kind != EX_TARGET || x->suffix != SFX_NONE || x->addr || !x->name) {
    gen_error(g, loc, "'%s' cannot run in a kernel probe on the bpf backend yet: @entry takes a target "
                      "variable ('$parameter' or a '->member' chain of one)", text);
    return false;
  }
  if (is_return(x)) {
    gen_error(g, loc, "'%s': $return has no value at the function's entry", text);
    return false;
  }
  return true;
}

/* Does a value at entry need the entry program?  Not a plain $param under
 * fexit, which reads the parameters itself. */
static bool needs_saving(const Gen *g, const AstExpr *x) { return !(g->kfn_fentry && x->ncomps == 0); }

/* Slot k of the values the entry program saved for this thread: 0 and no
 * fault when there are none. */
static LLVMValueRef read_saved(Gen *g, int k, LLVMValueRef *fault) {
  LLVMValueRef key = gen_ctx_stack(g, 8);
  LLVMValueRef id = bb_helper(g, BPF_FUNC_get_current_pid_tgid, g->i64, NULL, 0);
  LLVMBuildStore(g->b, LLVMBuildAnd(g->b, id, bb_c64(g, 0xffffffff), ""), key);
  LLVMValueRef ptr = bb_map_lookup(g, g->kfn_entmap, key);
  LLVMBasicBlockRef here = LLVMGetInsertBlock(g->b), hit = bb_block(g, "ent.hit"), done = bb_block(g, "ent.done");
  LLVMBuildCondBr(g->b, LLVMBuildIsNull(g->b, ptr, ""), done, hit);
  LLVMPositionBuilderAtEnd(g->b, hit);
  LLVMValueRef v = bb_load64(g, ptr, 8 + 8 * (uint64_t)k);
  LLVMValueRef mask = bb_load64(g, ptr, 0);
  LLVMValueRef bit = LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, mask, bb_c64(g, k), ""), bb_c64(g, 1), "");
  LLVMValueRef bad = LLVMBuildICmp(g->b, LLVMIntNE, bit, bb_c64(g, 0), "");
  LLVMBasicBlockRef hit_end = LLVMGetInsertBlock(g->b);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  LLVMValueRef pv = LLVMBuildPhi(g->b, g->i64, ""), pf = LLVMBuildPhi(g->b, g->i1, "");
  LLVMValueRef vs[2] = {bb_c64(g, 0), v}, fs[2] = {LLVMConstInt(g->i1, 0, false), bad};
  LLVMBasicBlockRef from[2] = {here, hit_end};
  LLVMAddIncoming(pv, vs, from, 2);
  LLVMAddIncoming(pf, fs, from, 2);
  *fault = pf;
  return pv;
}

LLVMValueRef gen_kfn_read(Gen *g, const IrProbe *p, const BattachSpec *sp, LLVMValueRef ctxp, const IrInst *i,
                          LLVMValueRef *fault) {
  const IrCtx *c = i->aux;
  const AstExpr *e = c ? c->expr : NULL;
  const char *text = c && c->text ? c->text : "target variable";
  *fault = NULL;
  BattachSpec one;
  if (g->kfn_func[0]) { /* one function of a pattern (fentry): this program's */
    one = *sp;
    snprintf(one.kfunc, sizeof one.kfunc, "%s", g->kfn_func);
    sp = &one;
  }
  const AstExpr *x = entry_target(sp, e);
  if (x) {
    if (!entry_readable(g, x, text, i->loc)) return NULL;
    if (!needs_saving(g, x)) {
      BattachSpec at_entry = *sp;
      at_entry.kret = false;
      return read_target(g, p, &at_entry, x, text, i->loc, ctxp, fault);
    }
    for (int k = 0; k < g->kfn_nslots; k++)
      if (g->kfn_slots[k] == i) return read_saved(g, k, fault);
    return NULL; /* gen_kfn_entry said why */
  }
  if (!e || e->kind != EX_TARGET || e->suffix != SFX_NONE || e->addr || !e->name) {
    gen_error(g, i->loc, "'%s' cannot run in a kernel probe on the bpf backend yet: kernel.function probes read "
                         "'$parameter', '$return' and '->member' chains", text);
    return NULL;
  }
  return read_target(g, p, sp, e, text, i->loc, ctxp, fault);
}

/* ---- how a probe attaches, and its entry program --------------------------------------- */

/* Why fentry/fexit cannot trace function f, into why ("" when they can). */
static void fentry_refusal(const KbtfFunc *f, bool kret, char *why, size_t len) {
  int size, n = kbtf_func_nparams(f);
  bool sgn;
  char tn[KBTF_TYPE_MAX];
  why[0] = '\0';
  if (n > 6) {
    snprintf(why, len, "'%s' has %d parameters, more than a BPF trampoline passes (6)", f->name, n);
    return;
  }
  for (int k = 0; k < n; k++) {
    uint32_t t;
    kbtf_func_param(f, k, &t);
    if (!scalar(f->btf, t, &size, &sgn)) {
      snprintf(why, len, "parameter %d of '%s' is a %s, which a BPF trampoline does not pass", k + 1, f->name,
               kbtf_type_name(f->btf, t, tn, sizeof tn));
      return;
    }
  }
  uint32_t r = kbtf_func_return(f);
  if (kret && r && !scalar(f->btf, r, &size, &sgn))
    snprintf(why, len, "'%s' returns a %s, which fexit does not pass", f->name, kbtf_type_name(f->btf, r, tn, sizeof tn));
  else if (!kfn_ftrace_has(f->name))
    snprintf(why, len, "'%s' is not one of ftrace's functions (available_filter_functions)", f->name);
}

int gen_kfn_method(Gen *g, const IrProbe *p, const BattachSpec *sp) {
  g->kfn_fentry = false;
  BpfKfuncAttach how = g->o->kfunc_attach;
  if (sp->kprobe_ns || how == BPF_KFUNC_KPROBE) return 0;
  const BpfCaps *caps = bpf_caps_probe_kernel();
  char why[400] = "";
  if (kfn_is_pattern(sp) && how == BPF_KFUNC_AUTO) {
    return 0; /* fentry would be a program per function: kprobe_multi is one */
  } else if (!caps->fentry) {
    snprintf(why, sizeof why, "%s", caps->bpf ? caps->fentry_why : caps->why);
  } else if (!kfn_is_pattern(sp)) { /* a pattern's functions: gen_kfn_fentry_functions */
    Funcs fs = {0};
    Kbtf *k = g->kbtf;
    char err[300] = "";
    int rc = k ? kbtf_func_glob(k, sp->kmodule[0] ? sp->kmodule : NULL, sp->kfunc, collect, &fs, err, sizeof err)
               : -ENOENT;
    if (rc <= 0 || fs.n == 0)
      snprintf(why, sizeof why, "'%s' is not a function of the kernel's BTF%s%s", sp->kfunc, err[0] ? ": " : "", err);
    else
      fentry_refusal(&fs.v[0], sp->kret, why, sizeof why);
    free(fs.v);
  }
  if (!why[0]) {
    g->kfn_fentry = true;
    return 1;
  }
  if (how == BPF_KFUNC_AUTO) return 0;
  gen_error(g, p->handler->loc, "while resolving probe point %s: it cannot attach with fentry/fexit "
                                "(--kfunc-attach=fentry): %s", p->pp, why);
  return -1;
}

int gen_kfn_fentry_functions(Gen *g, const IrProbe *p, const BattachSpec *sp, char ***names, int *n) {
  Funcs fs = {0};
  *names = NULL;
  *n = 0;
  if (functions(g, sp, p->handler->loc, &fs)) return -1;
  char why[400] = "", first[400] = "";
  *names = calloc((size_t)(fs.n ? fs.n : 1), sizeof **names);
  for (int k = 0; *names && k < fs.n; k++) {
    fentry_refusal(&fs.v[k], sp->kret, why, sizeof why);
    if (why[0]) { /* skipped, as stap skips the functions of a pattern the kernel refuses */
      if (!first[0]) snprintf(first, sizeof first, "%s", why);
      continue;
    }
    if (!((*names)[*n] = strdup(fs.v[k].name))) break;
    (*n)++;
  }
  free(fs.v);
  if (!*names) return -ENOMEM;
  if (*n == 0 && !p->optional) {
    gen_error(g, p->handler->loc, "while resolving probe point %s: none of its functions can attach with "
                                  "fentry/fexit (--kfunc-attach=fentry)%s%s", p->pp, first[0] ? ": " : "", first);
    return -1;
  }
  return 0;
}

const char *gen_kfn_section(Gen *g, const BattachSpec *sp, bool entry, char *buf, size_t len) {
  if (!g->kfn_fentry) snprintf(buf, len, "kprobe"); /* libbpf: BPF_PROG_TYPE_KPROBE; session.c attaches it */
  else snprintf(buf, len, "%s/%s", sp->kret && !entry ? "fexit" : "fentry", sp->kfunc);
  return buf;
}

/* The entry program's function, with the debug info BTF needs. */
static LLVMValueRef entry_function(Gen *g, const IrProbe *p, const char *sec, LLVMMetadataRef *scope) {
  char name[64];
  snprintf(name, sizeof name, "probe_%d%s" KFN_ENTRY_SUFFIX, p->index, g->prog_suffix);
  LLVMTypeRef fty = LLVMFunctionType(g->i32, &g->ptr, 1, false);
  LLVMValueRef fn = LLVMAddFunction(g->mod, name, fty);
  LLVMSetSection(fn, sec);
  unsigned line = p->handler->loc.line;
  LLVMMetadataRef types[2] = {g->di_int, LLVMDIBuilderCreatePointerType(g->di, NULL, 64, 64, 0, NULL, 0)};
  LLVMMetadataRef st = LLVMDIBuilderCreateSubroutineType(g->di, g->di_file, types, 2, LLVMDIFlagZero);
  LLVMMetadataRef sp = LLVMDIBuilderCreateFunction(g->di, g->di_file, name, strlen(name), name, strlen(name),
                                                   g->di_file, line, st, false, true, line, LLVMDIFlagPrototyped,
                                                   true);
  LLVMDIBuilderCreateParameterVariable(g->di, sp, "a", 1, 1, g->di_file, line, types[1], true, LLVMDIFlagZero);
  LLVMSetSubprogram(fn, sp);
  *scope = sp;
  return fn;
}

int gen_kfn_entry(Gen *g, const IrProbe *p, const BattachSpec *sp) {
  free(g->kfn_slots);
  g->kfn_slots = NULL;
  g->kfn_nslots = 0;
  g->kfn_entmap = -1;
  if (!sp->kret) return 0;
  const IrFunc *f = p->handler;
  int n = 0;
  for (int pass = 0; pass < 2; pass++) {
    if (pass == 1) {
      if (n == 0) return 0;
      if (!(g->kfn_slots = calloc((size_t)n, sizeof *g->kfn_slots))) return -ENOMEM;
    }
    n = 0;
    for (int b = 0; b < f->nblocks; b++)
      for (const IrInst *i = f->blocks[b]->first; i; i = i->next) {
        const IrCtx *c = i->op == IR_CTX ? i->aux : NULL;
        const AstExpr *x = c ? entry_target(sp, c->expr) : NULL;
        if (!x || x->kind != EX_TARGET || is_return(x) || !needs_saving(g, x)) continue;
        if (pass == 1) g->kfn_slots[n] = i;
        n++;
      }
  }
  g->kfn_nslots = n;
  if (n > KFN_MAX_SAVED) {
    gen_error(g, f->loc, "probe %s reads %d values at entry (@entry, $parameters), more than the bpf backend saves "
                         "(%d)", p->pp, n, KFN_MAX_SAVED);
    return 0;
  }
  char name[32], sec[200];
  snprintf(name, sizeof name, "stp_ent%d%s", p->index, g->prog_suffix);
  g->kfn_entmap = gen_map_add(g, name, BPF_MAP_TYPE_LRU_HASH, 8, 8 * (uint32_t)(n + 1), 16384, 0);
  if (g->kfn_entmap < 0) return -ENOMEM;
  g->maps[g->kfn_entmap].loc = f->loc;
  LLVMMetadataRef scope;
  LLVMValueRef fn = entry_function(g, p, gen_kfn_section(g, sp, true, sec, sizeof sec), &scope);
  LLVMPositionBuilderAtEnd(g->b, LLVMAppendBasicBlockInContext(g->ctx, fn, "entry"));
  LLVMValueRef ctxp = LLVMGetParam(fn, 0);
  LLVMValueRef vals = gen_ctx_stack(g, 8 * (unsigned)(n + 1)), mask = bb_c64(g, 0);
  BattachSpec at_entry = *sp;
  at_entry.kret = false;
  for (int k = 0; k < n; k++) {
    const IrCtx *c = g->kfn_slots[k]->aux;
    SrcLoc loc = g->kfn_slots[k]->loc;
    LLVMSetCurrentDebugLocation2(g->b, gen_di_loc(g, scope, loc));
    const char *text = c->text ? c->text : "target variable";
    LLVMValueRef fault = NULL, v = read_target(g, p, &at_entry, entry_target(sp, c->expr), text, loc, ctxp, &fault);
    if (!v) continue;
    bb_store64(g, vals, 8 + 8 * (uint64_t)k, v);
    if (fault)
      mask = LLVMBuildOr(g->b, mask, LLVMBuildShl(g->b, LLVMBuildZExt(g->b, fault, g->i64, ""), bb_c64(g, k), ""), "");
  }
  bb_store64(g, vals, 0, mask);
  LLVMValueRef key = gen_ctx_stack(g, 8);
  LLVMValueRef id = bb_helper(g, BPF_FUNC_get_current_pid_tgid, g->i64, NULL, 0);
  LLVMBuildStore(g->b, LLVMBuildAnd(g->b, id, bb_c64(g, 0xffffffff), ""), key);
  bb_map_update(g, g->kfn_entmap, key, vals, BPF_ANY);
  LLVMBuildRet(g->b, LLVMConstInt(g->i32, 0, false));
  return 0;
}

void gen_str_by_cookie(Gen *g, LLVMValueRef ctxp, const char *bytes, size_t n, size_t stride, LLVMValueRef dst,
                       uint32_t dst_size) {
  LLVMValueRef src = table_entry(g, bytes, n * stride, cookie(g, ctxp), (uint64_t)n, stride);
  bb_read_str(g, dst, dst_size, src);
}

/* pp() and ppfunc() of a pattern's probe: its function's, by the cookie,
 * from a table of fixed-width strings ("kernel.function(\"vfs_read\")"). */
bool gen_kfn_pp(Gen *g, const IrProbe *p, LLVMValueRef ctxp, bool func_only, LLVMValueRef dst, uint32_t dst_size) {
  BattachSpec sp;
  if (battach_parse(p->pp, &sp) != 0 || sp.kind != BATT_KPROBE || !kfn_is_pattern(&sp)) return false;
  if (g->kfn_func[0]) { /* one function of a pattern (fentry): a constant */
    char quoted[sizeof sp.kfunc + 2], text[512];
    snprintf(quoted, sizeof quoted, "\"%s\"", sp.kfunc);
    const char *at = strstr(p->pp, quoted);
    if (func_only)
      snprintf(text, sizeof text, "%s", g->kfn_func);
    else if (at)
      snprintf(text, sizeof text, "%.*s\"%s\"%s", (int)(at - p->pp), p->pp, g->kfn_func, at + strlen(quoted));
    else
      return false;
    bb_read_str(g, dst, dst_size, gen_rodata_str(g, text, strlen(text) + 1));
    return true;
  }
  Funcs fs = {0};
  if (functions(g, &sp, p->handler->loc, &fs) || fs.n == 0) {
    free(fs.v);
    return false; /* the pattern, as written */
  }
  char quoted[sizeof sp.kfunc + 2];
  snprintf(quoted, sizeof quoted, "\"%s\"", sp.kfunc);
  const char *at = strstr(p->pp, quoted);
  size_t stride = 0;
  for (int k = 0; k < fs.n; k++) {
    size_t len = func_only ? strlen(fs.v[k].name) : strlen(p->pp) - strlen(sp.kfunc) + strlen(fs.v[k].name);
    if (len + 1 > stride) stride = len + 1;
  }
  stride = (stride + 7) & ~(size_t)7;
  char *bytes = at ? calloc((size_t)fs.n, stride) : NULL;
  for (int k = 0; bytes && k < fs.n; k++) {
    if (func_only)
      snprintf(bytes + k * stride, stride, "%s", fs.v[k].name);
    else
      snprintf(bytes + k * stride, stride, "%.*s\"%s\"%s", (int)(at - p->pp), p->pp, fs.v[k].name, at + strlen(quoted));
  }
  if (bytes) gen_str_by_cookie(g, ctxp, bytes, (size_t)fs.n, stride, dst, dst_size);
  free(bytes);
  free(fs.v);
  return bytes != NULL;
}

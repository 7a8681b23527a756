/* gen-fmt.c: sprintf in kernel probes: the format, parsed at compile time
 * by the runtime's own parser, becomes straight BPF code that produces
 * exactly what runtime/format.c (stap's vsprintf.c) would: the same
 * padding, signs, prefixes, precision, '*' widths clamped to the room
 * left, the same window of MAXSTRINGLEN bytes and cut at MAXSTRINGLEN - 1.
 *
 * The output is built in the instruction's scratch region by "runs": a run
 * is k bytes copied at the current position from a source (a .rodata block
 * of blanks or zeros, a literal, a string argument, the digits computed in
 * a scratch buffer) by one probe_read_kernel_str, so nothing here loops
 * over bytes but the digit loop (at most 22 turns).  The position is a
 * scratch word that counts every byte produced, kept or not, as the
 * runtime's Out.pos does; bytes past the region are dropped.  %b, %m and %M
 * are refused (a sprintf result is a string: their bytes would be cut at
 * the first NUL anyway).
 */
#include "gen-fn.h"

#include <linux/bpf.h>
#include <stdlib.h>
#include <string.h>

typedef struct Out {
  Fn *F;
  uint32_t r, b;  /* the result's region and its bytes */
  int64_t cap;    /* stap's window: MAXSTRINGLEN */
  uint32_t pos;   /* scratch word: bytes produced */
  uint32_t tmp;   /* 32 scratch bytes: digits (right-aligned, ending at 24), a sign, a char */
  LLVMValueRef spaces, zeros; /* .rodata blocks of cap bytes */
} Out;

enum { DIGITS_END = 24, SIGN_AT = 25, CHAR_AT = 27 };

static LLVMValueRef block_of(Gen *g, char c, int64_t n) {
  char *s = malloc((size_t)n + 1);
  if (!s) return NULL;
  memset(s, c, (size_t)n);
  s[n] = 0;
  LLVMValueRef v = gen_rodata_str(g, s, (size_t)n + 1);
  free(s);
  return v;
}

static LLVMValueRef imax0(Gen *g, LLVMValueRef v) {
  return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, v, bb_c64(g, 0), ""), bb_c64(g, 0), v, "");
}

static LLVMValueRef imin(Gen *g, LLVMValueRef a, LLVMValueRef b) {
  return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, a, b, ""), a, b, "");
}

/* k (>= 0 enforced) bytes from src (an address as a number) at the
 * position.  sat: the position stops at the window's end (stap's %s loops
 * test has_room); else it counts every byte (put()). */
static void run(Out *o, LLVMValueRef src, LLVMValueRef k, bool sat) {
  Fn *F = o->F;
  Gen *g = F->g;
  k = imax0(g, k);
  LLVMValueRef pos = bb_load64(g, F->scratch, o->pos);
  LLVMBasicBlockRef put = bb_block(g, "fmt.put"), done = bb_block(g, "fmt.next");
  LLVMBuildCondBr(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, pos, bb_c64(g, o->b - 1), ""), put, done);
  LLVMPositionBuilderAtEnd(g->b, put);
  LLVMValueRef at = str_clamp(F, pos, o->b - 1);
  LLVMValueRef w = imin(g, k, LLVMBuildSub(g->b, bb_c64(g, o->b - 1), at, ""));
  LLVMValueRef cnt = str_clamp(F, LLVMBuildAdd(g->b, w, bb_c64(g, 1), ""), o->b);
  LLVMValueRef a[3] = {bb_gep_var(g, fn_scratch_at(F, o->r), at), LLVMBuildTrunc(g->b, cnt, g->i32, ""),
                       LLVMBuildIntToPtr(g->b, src, g->ptr, "")};
  bb_helper(g, BPF_FUNC_probe_read_kernel_str, g->i64, a, 3);
  LLVMBuildBr(g->b, done);
  LLVMPositionBuilderAtEnd(g->b, done);
  pos = bb_load64(g, F->scratch, o->pos);
  LLVMValueRef np = LLVMBuildAdd(g->b, pos, k, "");
  if (sat) {
    LLVMValueRef room = LLVMBuildICmp(g->b, LLVMIntSLT, pos, bb_c64(g, o->cap), "");
    np = LLVMBuildSelect(g->b, room, imin(g, np, bb_c64(g, o->cap)), pos, "");
  }
  bb_store64(g, F->scratch, o->pos, np);
}

static LLVMValueRef addr(Out *o, LLVMValueRef p) { return str_addr(o->F, p); }
static LLVMValueRef tmp_addr(Out *o, int at) { return addr(o, fn_scratch_at(o->F, o->tmp + (uint32_t)at)); }

/* stap's clamp_t(int, v, 0, room): v cut to int, then into [0, cap - pos]. */
static LLVMValueRef clamp_field(Out *o, LLVMValueRef v) {
  Gen *g = o->F->g;
  LLVMValueRef w = LLVMBuildSExt(g->b, LLVMBuildTrunc(g->b, v, g->i32, ""), g->i64, "");
  LLVMValueRef room = LLVMBuildSub(g->b, bb_c64(g, o->cap), bb_load64(g, o->F->scratch, o->pos), "");
  return imin(g, imax0(g, w), room);
}

/* after "while (size-- > 0) put(...)": nothing more to pad */
static LLVMValueRef padded(Gen *g, LLVMValueRef size) {
  return LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, size, bb_c64(g, 0), ""), bb_c64(g, 0), size, "");
}

/* The digits of num in base, right-aligned before tmp[DIGITS_END]; returns their count. */
static LLVMValueRef digits(Out *o, LLVMValueRef num, int base, bool upper) {
  Fn *F = o->F;
  Gen *g = F->g;
  LLVMValueRef t = fn_scratch_at(F, o->tmp);
  LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), bb_gep(g, t, DIGITS_END));
  LLVMBasicBlockRef pre = LLVMGetInsertBlock(g->b), loop = bb_block(g, "dig"), done = bb_block(g, "dig.done");
  LLVMBuildBr(g->b, loop);
  LLVMPositionBuilderAtEnd(g->b, loop);
  LLVMValueRef j = LLVMBuildPhi(g->b, g->i64, ""), n = LLVMBuildPhi(g->b, g->i64, "");
  LLVMValueRef d = LLVMBuildURem(g->b, n, bb_c64(g, base), "");
  LLVMValueRef ch = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntULT, d, bb_c64(g, 10), ""),
                                    LLVMBuildAdd(g->b, d, bb_c64(g, '0'), ""),
                                    LLVMBuildAdd(g->b, d, bb_c64(g, (upper ? 'A' : 'a') - 10), ""), "");
  LLVMValueRef at = LLVMBuildSub(g->b, bb_c64(g, DIGITS_END - 1), j, "");
  LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, ch, g->i8, ""), bb_gep_var(g, t, at));
  LLVMValueRef n1 = LLVMBuildUDiv(g->b, n, bb_c64(g, base), "");
  LLVMValueRef j1 = LLVMBuildAdd(g->b, j, bb_c64(g, 1), "");
  LLVMValueRef more = LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntNE, n1, bb_c64(g, 0), ""),
                                   LLVMBuildICmp(g->b, LLVMIntULT, j1, bb_c64(g, 22), ""), "");
  LLVMBasicBlockRef body = LLVMGetInsertBlock(g->b);
  LLVMBuildCondBr(g->b, more, loop, done);
  LLVMValueRef jv[2] = {bb_c64(g, 0), j1}, nv[2] = {num, n1};
  LLVMBasicBlockRef bb2[2] = {pre, body};
  LLVMAddIncoming(j, jv, bb2, 2);
  LLVMAddIncoming(n, nv, bb2, 2);
  LLVMPositionBuilderAtEnd(g->b, done);
  return j1;
}

/* put_number of runtime/format.c */
static void put_number(Out *o, LLVMValueRef num, int base, bool is_signed, bool upper, LLVMValueRef size,
                       LLVMValueRef prec, int flags) {
  Fn *F = o->F;
  Gen *g = F->g;
  if (flags & RT_FMT_LEFT) flags &= ~RT_FMT_ZEROPAD;
  LLVMValueRef sign = bb_c64(g, 0);
  if (is_signed) {
    LLVMValueRef neg = LLVMBuildICmp(g->b, LLVMIntSLT, num, bb_c64(g, 0), "");
    int other = (flags & RT_FMT_PLUS) ? '+' : (flags & RT_FMT_SPACE) ? ' ' : 0;
    sign = LLVMBuildSelect(g->b, neg, bb_c64(g, '-'), bb_c64(g, other), "");
    num = LLVMBuildSelect(g->b, neg, LLVMBuildNeg(g->b, num, ""), num, "");
    size = LLVMBuildSub(g->b, size,
                        LLVMBuildZExt(g->b, LLVMBuildICmp(g->b, LLVMIntNE, sign, bb_c64(g, 0), ""), g->i64, ""), "");
  }
  bool prefix = (flags & RT_FMT_SPECIAL) && (base == 8 || base == 16);
  if (flags & RT_FMT_SPECIAL) size = LLVMBuildSub(g->b, size, bb_c64(g, base == 16 ? 2 : base == 8 ? 1 : 0), "");
  LLVMValueRef i = digits(o, num, base, upper);
  prec = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSGT, i, prec, ""), i, prec, "");
  size = LLVMBuildSub(g->b, size, prec, "");
  if (!(flags & (RT_FMT_ZEROPAD | RT_FMT_LEFT))) {
    run(o, addr(o, o->spaces), size, false);
    size = padded(g, size);
  }
  if (is_signed) {
    LLVMValueRef t = fn_scratch_at(F, o->tmp);
    LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, sign, g->i8, ""), bb_gep(g, t, SIGN_AT));
    LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), bb_gep(g, t, SIGN_AT + 1));
    run(o, tmp_addr(o, SIGN_AT), LLVMBuildZExt(g->b, LLVMBuildICmp(g->b, LLVMIntNE, sign, bb_c64(g, 0), ""), g->i64, ""),
        false);
  }
  if (prefix) {
    const char *p = base == 8 ? "0" : upper ? "0X" : "0x";
    run(o, addr(o, gen_rodata_str(g, p, strlen(p) + 1)), bb_c64(g, (int64_t)strlen(p)), false);
  }
  if (!(flags & RT_FMT_LEFT)) {
    run(o, addr(o, (flags & RT_FMT_ZEROPAD) ? o->zeros : o->spaces), size, false);
    size = padded(g, size);
  }
  run(o, addr(o, o->zeros), LLVMBuildSub(g->b, prec, i, ""), false);
  run(o, LLVMBuildSub(g->b, tmp_addr(o, DIGITS_END), i, ""), i, false);
  run(o, addr(o, o->spaces), size, false);
}

/* put_char: the byte, or under '#' its escape, padded to width */
static void put_char(Out *o, LLVMValueRef c, LLVMValueRef width, int flags) {
  Fn *F = o->F;
  Gen *g = F->g;
  c = LLVMBuildAnd(g->b, c, bb_c64(g, 0xff), "");
  LLVMValueRef t = bb_gep(g, fn_scratch_at(F, o->tmp), CHAR_AT);
  LLVMValueRef size = bb_c64(g, 1);
  LLVMValueRef b[4] = {c, bb_c64(g, 0), bb_c64(g, 0), bb_c64(g, 0)};
  if (flags & RT_FMT_SPECIAL) {
    static const char from[] = "\a\b\f\n\r\t\v'\\", to[] = "abfnrtv'\\";
    LLVMValueRef plain = LLVMBuildAnd(
        g->b,
        LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntUGE, c, bb_c64(g, 0x20), ""),
                     LLVMBuildICmp(g->b, LLVMIntULT, c, bb_c64(g, 0x7f), ""), ""),
        LLVMBuildAnd(g->b, LLVMBuildICmp(g->b, LLVMIntNE, c, bb_c64(g, '\''), ""),
                     LLVMBuildICmp(g->b, LLVMIntNE, c, bb_c64(g, '\\'), ""), ""),
        "");
    LLVMValueRef short_ = LLVMConstInt(g->i1, 0, false), letter = bb_c64(g, 0);
    for (size_t k = 0; k < sizeof from - 1; k++) {
      LLVMValueRef is = LLVMBuildICmp(g->b, LLVMIntEQ, c, bb_c64(g, (unsigned char)from[k]), "");
      short_ = LLVMBuildOr(g->b, short_, is, "");
      letter = LLVMBuildSelect(g->b, is, bb_c64(g, to[k]), letter, "");
    }
    LLVMValueRef o1 = LLVMBuildAdd(g->b, bb_c64(g, '0'), LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, c, bb_c64(g, 6), ""), bb_c64(g, 3), ""), "");
    LLVMValueRef o2 = LLVMBuildAdd(g->b, bb_c64(g, '0'), LLVMBuildAnd(g->b, LLVMBuildLShr(g->b, c, bb_c64(g, 3), ""), bb_c64(g, 7), ""), "");
    LLVMValueRef o3 = LLVMBuildAdd(g->b, bb_c64(g, '0'), LLVMBuildAnd(g->b, c, bb_c64(g, 7), ""), "");
    b[0] = LLVMBuildSelect(g->b, plain, c, bb_c64(g, '\\'), "");
    b[1] = LLVMBuildSelect(g->b, plain, bb_c64(g, 0), LLVMBuildSelect(g->b, short_, letter, o1, ""), "");
    b[2] = LLVMBuildSelect(g->b, LLVMBuildOr(g->b, plain, short_, ""), bb_c64(g, 0), o2, "");
    b[3] = LLVMBuildSelect(g->b, LLVMBuildOr(g->b, plain, short_, ""), bb_c64(g, 0), o3, "");
    size = LLVMBuildSelect(g->b, plain, bb_c64(g, 1), LLVMBuildSelect(g->b, short_, bb_c64(g, 2), bb_c64(g, 4), ""), "");
  }
  for (int k = 0; k < 4; k++) LLVMBuildStore(g->b, LLVMBuildTrunc(g->b, b[k], g->i8, ""), bb_gep(g, t, (uint64_t)k));
  LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), bb_gep(g, t, 4));
  LLVMValueRef pad = LLVMBuildSub(g->b, width, size, "");
  if (!(flags & RT_FMT_LEFT)) run(o, addr(o, o->spaces), pad, false);
  /* a NUL byte is produced too: the copy stops at it, the position counts it */
  run(o, tmp_addr(o, CHAR_AT), size, false);
  if (flags & RT_FMT_LEFT) run(o, addr(o, o->spaces), pad, false);
}

/* put_memory for %s */
static void put_string(Out *o, const IrInst *s, LLVMValueRef width, LLVMValueRef prec, int flags) {
  Fn *F = o->F;
  Gen *g = F->g;
  LLVMValueRef n = str_len(F, V(s), fn_obj_size(F, s));
  LLVMValueRef len = LLVMBuildSelect(g->b, LLVMBuildICmp(g->b, LLVMIntSLT, prec, bb_c64(g, 0), ""), n,
                                     imin(g, n, prec), "");
  LLVMValueRef pad = LLVMBuildSub(g->b, width, len, "");
  if (!(flags & RT_FMT_LEFT)) run(o, addr(o, o->spaces), pad, true);
  run(o, addr(o, V(s)), len, true);
  if (flags & RT_FMT_LEFT) run(o, addr(o, o->spaces), pad, true);
  if (flags & RT_FMT_ZEROPAD) {
    LLVMValueRef t = bb_gep(g, fn_scratch_at(F, o->tmp), CHAR_AT);
    LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), t);
    run(o, tmp_addr(o, CHAR_AT), bb_c64(g, 1), true);
  }
}

static void out_init(Out *o, Fn *F, uint32_t region, uint32_t bound) {
  Gen *g = F->g;
  o->F = F;
  o->r = region;
  o->b = bound;
  o->cap = g->l->maxstringlen;
  o->pos = fn_scratch_alloc(F, 8);
  o->tmp = fn_scratch_alloc(F, 32);
  if (!F->fmt_spaces) F->fmt_spaces = block_of(g, ' ', o->cap), F->fmt_zeros = block_of(g, '0', o->cap);
  o->spaces = F->fmt_spaces;
  o->zeros = F->fmt_zeros;
  bb_store64(g, F->scratch, o->pos, bb_c64(g, 0));
  LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), fn_scratch_at(F, region));
}

/* The end: stap keeps min(pos, MAXSTRINGLEN - 1) bytes; the runs wrote no
 * more than the region holds and ended each with a NUL. */
static void out_end(Out *o) {
  Fn *F = o->F;
  Gen *g = F->g;
  LLVMValueRef pos = bb_load64(g, F->scratch, o->pos);
  LLVMValueRef at = str_clamp(F, pos, o->b - 1);
  LLVMBuildStore(g->b, LLVMConstInt(g->i8, 0, false), bb_gep_var(g, fn_scratch_at(F, o->r), at));
}

void fmt_number(Fn *F, uint32_t region, uint32_t bound, const char *prefix, LLVMValueRef v) {
  Gen *g = F->g;
  Out o;
  out_init(&o, F, region, bound);
  run(&o, addr(&o, gen_rodata_str(g, prefix, strlen(prefix) + 1)), bb_c64(g, (int64_t)strlen(prefix)), false);
  put_number(&o, v, 10, false, false, bb_c64(g, -1), bb_c64(g, -1), 0);
  out_end(&o);
}

LLVMValueRef fmt_emit_sprintf(Fn *F, const IrInst *i) {
  Gen *g = F->g;
  const IrFormat *fmt = i->aux;
  RtFormat *rf = NULL;
  char err[128];
  if (rt_format_parse(fmt->text, fmt->len, &rf, err, sizeof err) != 0) {
    gen_error(g, i->loc, "%s", err);
    F->failed = true;
    return NULL;
  }
  for (int k = 0; k < rt_format_nconv(rf); k++) {
    char c = rt_format_conv(rf, k)->conv;
    if (c == 'b' || c == 'm' || c == 'M') {
      fn_unsupported(F, i, "sprintf's %b, %m and %M");
      rt_format_free(rf);
      return NULL;
    }
  }
  if (i->nargs < rt_format_nargs(rf)) { /* the front end checks this; refuse rather than read past the args */
    fn_unsupported(F, i, "a sprintf with fewer values than its format needs");
    rt_format_free(rf);
    return NULL;
  }
  Out o;
  fn_str_region(F, i);
  out_init(&o, F, F->soff[i->id], fn_str_bound(F, i));
  int n = rt_format_npieces(rf);
  for (int p = 0; p < n; p++) {
    const char *lit;
    size_t litlen;
    const RtFmtConv *c = rt_format_piece(rf, p, &lit, &litlen);
    if (!c) {
      run(&o, addr(&o, gen_rodata_str(g, lit, litlen + 1)), bb_c64(g, (int64_t)litlen), false);
      continue;
    }
    int a = c->arg_index - c->width_star - c->prec_star;
    LLVMValueRef width = bb_c64(g, -1), prec = bb_c64(g, -1);
    if (c->width_star)
      width = clamp_field(&o, V(i->args[a++]));
    else if (c->width >= 0)
      width = clamp_field(&o, bb_c64(g, c->width));
    if (c->prec_star)
      prec = clamp_field(&o, V(i->args[a++]));
    else if (c->prec >= 0)
      prec = clamp_field(&o, bb_c64(g, c->prec));
    const IrInst *v = i->args[a];
    if ((c->conv == 's') != (v->type == IR_STR)) {
      fn_unsupported(F, i, "a sprintf whose values do not match its format");
      break;
    }
    switch (c->conv) {
    case 'd':
    case 'i': put_number(&o, V(v), 10, true, false, width, prec, c->flags); break;
    case 'u': put_number(&o, V(v), 10, false, false, width, prec, c->flags); break;
    case 'o': put_number(&o, V(v), 8, false, false, width, prec, c->flags); break;
    case 'x': put_number(&o, V(v), 16, false, false, width, prec, c->flags); break;
    case 'X': put_number(&o, V(v), 16, false, true, width, prec, c->flags); break;
    case 'p': put_number(&o, V(v), 16, false, false, width, prec, c->flags | RT_FMT_SPECIAL); break;
    case 'c': put_char(&o, V(v), width, c->flags); break;
    case 's': put_string(&o, v, width, prec, c->flags); break;
    default: break;
    }
  }
  rt_format_free(rf);
  out_end(&o);
  return fn_str_region(F, i);
}

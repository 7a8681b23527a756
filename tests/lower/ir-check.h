/* ir-check.h: a structural check of lowered IR that needs no verifier.
 *
 * check_module counts what it finds wrong and prints each problem: blocks
 * ending in exactly one terminator, phis first, catch.msg first in its
 * block, result and operand types by opcode as the IR contract (ir.h, the
 * lowering brief) gives them, locations on every instruction, targets inside
 * the function.  ir_verify checks more; this one is stricter about what the
 * lowering promises (no block without a location, no instruction without a
 * place) and names the lowering's promises in its messages.  Test code only.
 */
#ifndef STAPJIT_TESTS_IR_CHECK_H
#define STAPJIT_TESTS_IR_CHECK_H

#include "ir.h"

#include <stdio.h>

static int nproblems;

static void problem(const IrFunc *f, const IrInst *i, const char *what) {
  nproblems++;
  fprintf(stderr, "  IR problem in %s: %s (op %s, %u:%u)\n", f->name, what, i ? ir_op_name(i->op) : "-",
          i ? i->loc.line : 0, i ? i->loc.col : 0);
}

static IrType expected_type(const IrInst *i) {
  switch (i->op) {
  case IR_CONST_I64:
  case IR_ADD:
  case IR_SUB:
  case IR_MUL:
  case IR_DIV:
  case IR_MOD:
  case IR_SHL:
  case IR_SHR:
  case IR_USHR:
  case IR_AND:
  case IR_OR:
  case IR_XOR:
  case IR_NEG:
  case IR_BNOT:
  case IR_ZEXT:
  case IR_STAT_GET:
  case IR_HIST_BUCKET: return IR_I64;
  case IR_CONST_STR:
  case IR_CONCAT:
  case IR_HIST_STR:
  case IR_SPRINTF:
  case IR_CATCH_MSG: return IR_STR;
  case IR_CONST_BOOL:
  case IR_NOT:
  case IR_TOBOOL:
  case IR_MAP_EXISTS:
  case IR_ITER_NEXT:
  case IR_REGEX:
  case IR_EQ:
  case IR_NE:
  case IR_LT:
  case IR_LE:
  case IR_GT:
  case IR_GE:
  case IR_SEQ:
  case IR_SNE:
  case IR_SLT:
  case IR_SLE:
  case IR_SGT:
  case IR_SGE: return IR_BOOL;
  case IR_ITER_BEGIN: return IR_ITER;
  case IR_MAP_GET:
  case IR_GLOBAL_GET: return i->g ? i->g->value : IR_VOID;
  case IR_CALL: return i->callee ? i->callee->ret : IR_VOID;
  case IR_LOCAL_GET: return i->block->func->slots[i->imm];
  case IR_PARAM: return i->block->func->params[i->imm];
  case IR_PHI:
  case IR_CTX:
  case IR_BUILTIN:
  case IR_ITER_KEY:
  case IR_ITER_VALUE:
  case IR_COPY: return i->type;
  default: return IR_VOID;
  }
}

/* Operand types the op wants (for the ones that are fixed). */
static void check_operands(const IrFunc *f, const IrInst *i) {
  for (int k = 0; k < i->nargs; k++)
    if (!i->args[k] || !i->args[k]->block) return problem(f, i, "operand missing or not in a block");
  switch (i->op) {
  case IR_ADD:
  case IR_SUB:
  case IR_MUL:
  case IR_DIV:
  case IR_MOD:
  case IR_SHL:
  case IR_SHR:
  case IR_USHR:
  case IR_AND:
  case IR_OR:
  case IR_XOR:
  case IR_NEG:
  case IR_BNOT:
  case IR_TOBOOL:
  case IR_EQ:
  case IR_NE:
  case IR_LT:
  case IR_LE:
  case IR_GT:
  case IR_GE:
    for (int k = 0; k < i->nargs; k++)
      if (i->args[k]->type != IR_I64) problem(f, i, "operand is not i64");
    break;
  case IR_SEQ:
  case IR_SNE:
  case IR_SLT:
  case IR_SLE:
  case IR_SGT:
  case IR_SGE:
  case IR_CONCAT:
  case IR_REGEX:
    for (int k = 0; k < i->nargs; k++)
      if (i->args[k]->type != IR_STR) problem(f, i, "operand is not str");
    break;
  case IR_NOT:
  case IR_ZEXT:
  case IR_CBR:
    if (i->args[0]->type != IR_BOOL) problem(f, i, "operand is not bool");
    break;
  case IR_ITER_NEXT:
  case IR_ITER_KEY:
  case IR_ITER_VALUE:
  case IR_ITER_END:
    if (i->args[0]->type != IR_ITER) problem(f, i, "operand is not an iterator");
    break;
  case IR_LOCAL_SET:
    if (i->args[0]->type != f->slots[i->imm]) problem(f, i, "slot type mismatch");
    break;
  case IR_GLOBAL_SET:
    if (i->args[0]->type != i->g->value) problem(f, i, "global type mismatch");
    break;
  case IR_MAP_GET:
  case IR_MAP_EXISTS:
  case IR_MAP_SET:
  case IR_STAT_ADD: {
    int nk = i->g->nkeys;
    if (i->nargs != nk + (i->op == IR_MAP_SET || i->op == IR_STAT_ADD)) return problem(f, i, "operand count");
    for (int k = 0; k < nk; k++)
      if (i->args[k]->type != i->g->keys[k]) problem(f, i, "key type mismatch");
    if (i->op == IR_MAP_SET && i->args[nk]->type != i->g->value) problem(f, i, "value type mismatch");
    if (i->op == IR_STAT_ADD && (i->args[nk]->type != IR_I64 || !i->g->is_stat))
      problem(f, i, "bad stat.add");
    break;
  }
  case IR_CALL:
    if (i->nargs != i->callee->nparams) return problem(f, i, "argument count");
    for (int k = 0; k < i->nargs; k++)
      if (i->args[k]->type != i->callee->params[k]) problem(f, i, "argument type");
    break;
  case IR_RET:
    if ((f->ret == IR_VOID) != (i->nargs == 0) || (i->nargs && i->args[0]->type != f->ret))
      problem(f, i, "return value does not match the function");
    break;
  default: break;
  }
}

static void check_func(const IrFunc *f) {
  if (!f->nblocks) return problem(f, NULL, "no blocks");
  for (int k = 0; k < f->nblocks; k++) {
    const IrBlock *b = f->blocks[k];
    if (b->index != k || b->func != f) problem(f, NULL, "block links");
    bool phis = true;
    for (const IrInst *i = b->first; i; i = i->next) {
      if (i->block != b) problem(f, i, "instruction's block");
      bool term = ir_op_flags(i->op) & IRF_TERM;
      if (term != (i == b->last))
        problem(f, i, term ? "terminator inside a block" : "block without terminator");
      if (i->op == IR_PHI && !phis) problem(f, i, "phi after other instructions");
      if (i->op != IR_PHI) phis = false;
      if (i->op == IR_CATCH_MSG && i != b->first) problem(f, i, "catch.msg not first");
      if (i->type != expected_type(i)) problem(f, i, "result type");
      int n = ir_op_nargs(i->op);
      if (n >= 0 && n != i->nargs) problem(f, i, "operand count");
      if (!i->loc.line) problem(f, i, "no location");
      check_operands(f, i);
      for (int t = 0; t < 2 && (ir_op_flags(i->op) & IRF_TARGETS); t++)
        if (i->targets[t] && (i->targets[t]->func != f || f->blocks[i->targets[t]->index] != i->targets[t]))
          problem(f, i, "target not in the function");
    }
    if (!b->last) problem(f, NULL, "empty block");
  }
}

static int check_module(const IrModule *m) {
  nproblems = 0;
  for (int k = 0; k < m->nfuncs; k++) check_func(m->funcs[k]);
  return nproblems;
}

/* ---- running a script ----------------------------------------------------------------*/

#endif

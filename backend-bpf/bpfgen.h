/* bpfgen.h: the BPF backend's code generator (library stapbpfgen): IR ->
 * LLVM IR through the LLVM C API -> a BPF ELF object in memory, with BTF
 * (maps as BTF-defined .maps globals) and line info from the IR's source
 * locations.  The loader side is bpfload.h.
 */
#ifndef STAPJIT_BPFGEN_H
#define STAPJIT_BPFGEN_H

#include "bpfload.h"
#include "ir.h"

#include <stdio.h>

/* How kernel.function probes attach (--kfunc-attach).  The choice is made
 * here, at compile time, and recorded in the object: a program for fentry
 * or fexit is in section "fentry/F" or "fexit/F" (BPF_PROG_TYPE_TRACING),
 * a kprobe's in "kprobe"; the loader attaches by the program's type. */
typedef enum BpfKfuncAttach {
  BPF_KFUNC_AUTO,   /* fentry/fexit for an exact name the running kernel can trace so; else kprobes */
  BPF_KFUNC_KPROBE, /* kprobes and kretprobes (kprobe_multi for patterns) */
  BPF_KFUNC_FENTRY, /* fentry/fexit, or an error naming the probe point */
} BpfKfuncAttach;

typedef struct BpfGenOptions {
  size_t sz;               /* sizeof(BpfGenOptions) */
  bool optimize;           /* run LLVM's -O2 pipeline on the module */
  int64_t maxaction;       /* MAXACTION: statements per kernel probe hit */
  int64_t maxerrors;       /* MAXERRORS: a handler whose error is one too many stops the session */
  FILE *dump_llvm;         /* print the LLVM IR (after optimisation) here */
  FILE *dump_asm;          /* print the BPF assembly here, source lines interleaved */
  const RtLimits *limits;  /* the session's -D limits (the generator may be a module with its own copy) */
  BpfKfuncAttach kfunc_attach; /* kernel.function probes: fentry/fexit or kprobes */
} BpfGenOptions;

/* A compiled object: ELF bytes (malloc-owned) and its layout. */
typedef struct BpfObjectImage {
  void *elf;
  size_t size;
} BpfObjectImage;

/* Compiles m's kernel probes into img.  Constructs that cannot run in a
 * kernel probe are diagnostics at their location naming the backend.
 * Returns 0, or -1 with diagnostics (or -ENOMEM). */
int bpfgen_compile(const IrModule *m, const BpfLayout *l, const BpfGenOptions *o, BpfObjectImage *img,
                   DiagList *diag);

#endif

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

typedef struct BpfGenOptions {
  size_t sz;               /* sizeof(BpfGenOptions) */
  bool optimize;           /* run LLVM's -O2 pipeline on the module */
  int64_t maxaction;       /* MAXACTION: statements per kernel probe hit */
  int64_t maxerrors;       /* MAXERRORS: a handler whose error is one too many stops the session */
  FILE *dump_llvm;         /* print the LLVM IR (after optimisation) here */
  FILE *dump_asm;          /* print the BPF assembly here, source lines interleaved */
  const RtLimits *limits;  /* the session's -D limits (the generator may be a module with its own copy) */
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

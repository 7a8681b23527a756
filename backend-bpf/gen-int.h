/* gen-int.h: what the code generator's files share (gen-*.c), and nobody else.
 *
 * gen-module.c owns the LLVM context, the target, the maps (BTF-defined
 * .maps globals with their debug-info types), read-only strings, emission
 * and the dumps; gen-bb.c is the builder layer of BPF idioms (helper calls,
 * map operations, probe reads, ring-buffer records, atomics, the division
 * BPF lacks); gen-func.c walks one kernel handler's IR.
 */
#ifndef STAPJIT_GEN_INT_H
#define STAPJIT_GEN_INT_H

#include "bpfgen.h"

#include <llvm-c/Core.h>
#include <llvm-c/DebugInfo.h>

/* A map the module defines. */
typedef struct GenMap {
  LLVMValueRef var;
  char name[32];
  unsigned type; /* enum bpf_map_type */
  uint32_t key_size, value_size, max_entries, flags;
  SrcLoc loc;
} GenMap;

typedef struct Gen {
  const IrModule *m;
  const BpfLayout *l;
  const BpfGenOptions *o;
  DiagList *diag;
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMDIBuilderRef di;
  LLVMMetadataRef di_cu, di_file, di_int, di_subr;
  LLVMTypeRef i1, i8, i32, i64, ptr, voidt;
  GenMap *maps;
  int nmaps, cap_maps;
  int ctl, events, scratch, glob; /* indexes in maps */
  int *gmap;                      /* by IrGlobal.id: first map of the global (objects follow), -1 */
  uint32_t scratch_size;          /* the largest handler's need */
  uint32_t cu_file;               /* the source file of the compile unit (the user's script) */
  int nerrors;                    /* diagnostics given */
  int nstrings;                   /* read-only strings made */
  struct Kbtf *kbtf;              /* the kernel's functions and types (gen-kfn.c), opened on first need */
  bool kbtf_failed;               /* ... and it could not be */
  bool kfn_fentry;                /* the kernel.function probe being generated is fentry/fexit (gen-kfn.c) */
  const IrInst **kfn_slots;       /* its reads saved at entry, by slot (gen_kfn_entry); malloc'd */
  int kfn_nslots;
  int kfn_entmap;                 /* the map of those saved values (index in maps), -1 */
  char kfn_func[128];             /* a pattern's probe under fentry: the one function this program is for */
  char prog_suffix[16];           /* ... and what its programs' names add to "probe_N" ("_f3"), else "" */
} Gen;

/* ---- gen-module.c -------------------------------------------------------------- */

int gen_map_add(Gen *g, const char *name, unsigned type, uint32_t key_size, uint32_t value_size,
                uint32_t max_entries, uint32_t flags);
LLVMValueRef gen_rodata_str(Gen *g, const char *s, size_t len); /* len bytes, the NUL included */
void gen_error(Gen *g, SrcLoc loc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
LLVMMetadataRef gen_di_loc(Gen *g, LLVMMetadataRef scope, SrcLoc loc);

/* ---- gen-bb.c: BPF idioms ------------------------------------------------------------ */

LLVMValueRef bb_helper(Gen *g, int id, LLVMTypeRef ret, LLVMValueRef *args, int nargs);
LLVMValueRef bb_map_lookup(Gen *g, int map, LLVMValueRef key);                  /* ptr or null */
LLVMValueRef bb_map_update(Gen *g, int map, LLVMValueRef key, LLVMValueRef val, uint64_t flags); /* i64 */
LLVMValueRef bb_map_delete(Gen *g, int map, LLVMValueRef key);                  /* i64 */
LLVMValueRef bb_read_str(Gen *g, LLVMValueRef dst, uint32_t size, LLVMValueRef src); /* kernel_str; i64 */
LLVMValueRef bb_read_kernel(Gen *g, LLVMValueRef dst, uint32_t size, LLVMValueRef src);
LLVMValueRef bb_ringbuf_reserve(Gen *g, uint32_t size); /* ptr or null */
void bb_ringbuf_submit(Gen *g, LLVMValueRef rec, LLVMValueRef ctl);
void bb_atomic_add(Gen *g, LLVMValueRef p, LLVMValueRef v);
LLVMValueRef bb_gep(Gen *g, LLVMValueRef base, uint64_t off); /* byte offset */
LLVMValueRef bb_gep_var(Gen *g, LLVMValueRef base, LLVMValueRef off);
LLVMValueRef bb_load64(Gen *g, LLVMValueRef p, uint64_t off);
void bb_store64(Gen *g, LLVMValueRef p, uint64_t off, LLVMValueRef v);
void bb_store32(Gen *g, LLVMValueRef p, uint64_t off, LLVMValueRef v); /* v: an i32 */
LLVMValueRef bb_c64(Gen *g, int64_t v);
/* Signed 64-bit division and remainder with C's truncation (BPF v3 has only
 * unsigned ones); b != 0; b == -1 wraps as stap does. */
LLVMValueRef bb_sdiv(Gen *g, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef bb_srem(Gen *g, LLVMValueRef a, LLVMValueRef b);
/* v, which LLVM may no longer reason about (an empty asm): so that a bound
 * the code checks is not folded into arithmetic the verifier cannot follow. */
LLVMValueRef bb_barrier(Gen *g, LLVMValueRef v);
/* A new basic block in the function being built. */
LLVMBasicBlockRef bb_block(Gen *g, const char *name);

/* ---- gen-ctx.c: target variables ---------------------------------------------------- */

/* The value of context read i ($field ...) in kernel probe p, whose
 * program's context argument is ctxp; NULL after a diagnostic.  *fault
 * (i1, or NULL) is true when the running kernel's field is not where the
 * object reads it (the loader's table says). */
LLVMValueRef gen_ctx_read(Gen *g, const IrProbe *p, LLVMValueRef ctxp, const IrInst *i, LLVMValueRef *fault,
                          uint32_t *code);
/* A buffer of n bytes (a multiple of 8) on the program's stack, allocated
 * in the entry block. */
LLVMValueRef gen_ctx_stack(Gen *g, unsigned n);

/* The memory-reading builtins (kernel_string, kernel_string_n, user_string_n,
 * kernel_long/int/short/char, user_long/int/short/char): false if name is
 * not one.  String results go to dst (dst_size bytes).  *out is the value;
 * *fault (i1) is set when the read can fail with an error and *code to
 * what the message quotes (the helper's errno); both NULL when a failure
 * gives 0 instead (user_long ...). */
bool gen_mem_builtin(Gen *g, const char *name, LLVMValueRef *args, int nargs, LLVMValueRef dst, uint32_t dst_size,
                     LLVMValueRef *out, LLVMValueRef *fault, LLVMValueRef *code);

/* pp(), backtrace(), print_backtrace() of kernel probe p (ctl: the control
 * block, for lost records): false if i's builtin is not one of them.
 * String results go to dst (dst_size bytes); *out gets the value, NULL for
 * print_backtrace. */
bool gen_ctx_builtin(Gen *g, const IrProbe *p, LLVMValueRef ctxp, LLVMValueRef ctl, const IrInst *i, LLVMValueRef dst,
                     uint32_t dst_size, LLVMValueRef *out);

/* ---- gen-kfn.c: kernel.function and kprobe.function ------------------------------------ */

struct BattachSpec;
/* The value of context read i ($param->member...) in kernel.function probe
 * p (sp: its parsed point); NULL after a diagnostic.  *fault (i1, or NULL)
 * is true when a kernel memory read failed. */
LLVMValueRef gen_kfn_read(Gen *g, const IrProbe *p, const BattachSpec *sp, LLVMValueRef ctxp, const IrInst *i,
                          LLVMValueRef *fault);
/* A diagnostic, and -1, when the functions of p do not exist on the
 * compiling kernel (unless p is optional).  0 without BTF: exact names are
 * left to the attach. */
int gen_kfn_check(Gen *g, const IrProbe *p, const BattachSpec *sp);
/* How p attaches (--kfunc-attach and what the compiling kernel offers):
 * 1 fentry/fexit, 0 kprobes, -1 after a diagnostic (fentry forced where it
 * cannot be).  Sets g->kfn_fentry. */
int gen_kfn_method(Gen *g, const IrProbe *p, const BattachSpec *sp);
/* A pattern's functions that fentry/fexit can trace (malloc'd names, free
 * with kfn_names_free); 0, or -1 after a diagnostic (none can). */
int gen_kfn_fentry_functions(Gen *g, const IrProbe *p, const BattachSpec *sp, char ***names, int *n);
/* The section of p's program: "fentry/F", "fexit/F" or "kprobe". */
const char *gen_kfn_section(Gen *g, const BattachSpec *sp, bool entry, char *buf, size_t len);
/* For a .return probe p whose handler reads values at entry (@entry(...),
 * $param): chooses their slots (g->kfn_slots) and emits the program that
 * saves them (KFN_ENTRY_SUFFIX, bpfload.h).  0 (also after a diagnostic),
 * or -ENOMEM. */
int gen_kfn_entry(Gen *g, const IrProbe *p, const BattachSpec *sp);
/* pp() (func_only: ppfunc()) of a kernel.function pattern's probe into dst:
 * its function's, by the attachment's cookie.  false when p is no pattern's
 * probe (or its functions cannot be listed): the caller uses the text. */
bool gen_kfn_pp(Gen *g, const IrProbe *p, LLVMValueRef ctxp, bool func_only, LLVMValueRef dst, uint32_t dst_size);
/* Copies into dst entry `cookie` of a table of n strings of stride bytes
 * (entry 0 past the end): what a program attached many times says of the
 * attachment that ran it. */
void gen_str_by_cookie(Gen *g, LLVMValueRef ctxp, const char *bytes, size_t n, size_t stride, LLVMValueRef dst,
                       uint32_t dst_size);

/* ---- gen-func.c ------------------------------------------------------------------------ */

/* Emits the handler of kernel probe p as a program in section sec. */
int gen_handler(Gen *g, const IrProbe *p, const BlayGroup *grp, const char *sec);

#endif

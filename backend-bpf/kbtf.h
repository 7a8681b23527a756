/* kbtf.h: kernel functions and their C types from BTF (kbtf.c).
 *
 * What kernel.function("PATTERN") and kprobe.function("PATTERN") can name on
 * the running kernel, without DWARF: the functions the kernel's BTF
 * describes (/sys/kernel/btf/vmlinux, and /sys/kernel/btf/MODULE for a
 * module) that /proc/kallsyms also shows as text symbols, with their
 * parameters' and return value's types.  And one spelling of C types, the
 * one stap -L prints ("struct file*", "char const*", "long unsigned int"),
 * from BTF ids or from the type text of a tracefs format file, so that
 * tracepoint fields and function parameters read the same.  The -l/-L
 * listing (cli/list.c) uses it today; typing kprobe target variables
 * ($file->f_pos) is meant to reuse the same catalogue and spelling.
 *
 * This is the BPF backend's second public header only because bpfload.h
 * was being edited when it was written: fold it in when convenient.
 * Functions return 0 (or a count) or -errno, with a message for the user in
 * err where the caller passes one; nothing here prints.
 */
#ifndef STAPJIT_KBTF_H
#define STAPJIT_KBTF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct btf;

/* The catalogue: vmlinux's BTF, the modules' BTF opened on demand, and the
 * text symbols of /proc/kallsyms read on first need.  Malloc-owned by the
 * caller; kbtf_close releases it (and takes NULL). */
typedef struct Kbtf Kbtf;

/* Loads vmlinux's BTF.  Returns 0 (*out set), or -errno with err saying
 * what could not be read (-ENOENT: the kernel has no BTF). */
int kbtf_open(Kbtf **out, char *err, size_t errlen);
void kbtf_close(Kbtf *k);

/* One function that BTF describes and kallsyms has as a text symbol.  The
 * pointers live as long as the catalogue. */
typedef struct KbtfFunc {
  const char *name;      /* "vfs_read" */
  const char *module;    /* NULL for vmlinux, else the module's name */
  const struct btf *btf; /* where its type ids are */
  uint32_t id;           /* its BTF_KIND_FUNC */
  uint32_t proto;        /* its BTF_KIND_FUNC_PROTO */
} KbtfFunc;

/* Walks the functions of module (NULL: vmlinux) whose names match the
 * fnmatch pattern, in name order (a name BTF gives twice, as two static
 * functions of different files, comes twice, in id order).  fn returns 0 to
 * go on; anything else stops the walk and is returned (keep it negative).
 * Returns the number of functions passed to fn, or -errno: -ENOENT when
 * the module has no BTF (not loaded, or built without it), or when kallsyms
 * cannot be read; err says which. */
typedef int (*KbtfFuncFn)(void *ctx, const KbtfFunc *f);
int kbtf_func_glob(Kbtf *k, const char *module, const char *pattern, KbtfFuncFn fn, void *ctx, char *err,
                   size_t errlen);

/* The names of the modules with BTF (/sys/kernel/btf/ but vmlinux) that
 * match the fnmatch pattern, sorted.  fn and the return as for
 * kbtf_func_glob. */
typedef int (*KbtfNameFn)(void *ctx, const char *name);
int kbtf_module_glob(const char *pattern, KbtfNameFn fn, void *ctx);

/* A function's parameters, without the "..." of a variadic one. */
int kbtf_func_nparams(const KbtfFunc *f);
/* Parameter i's name ("" when BTF has none) and, in *type, its type id. */
const char *kbtf_func_param(const KbtfFunc *f, int i, uint32_t *type);
/* The return type's id; 0 for void. */
uint32_t kbtf_func_return(const KbtfFunc *f);

#define KBTF_TYPE_MAX 256 /* bytes that hold any spelling (longer ones are cut with "...") */

/* Writes stap -L's spelling of BTF type id into buf (len bytes, at least
 * 4): the name of a base type, typedef, struct, union or enum ("size_t",
 * "struct file", "long unsigned int"), qualifiers after what they qualify
 * (" const", " volatile"), '*' with no space ("char const*"), arrays as
 * "[N]", function pointers as C writes them ("int (*)(struct file*)"), void
 * for id 0; type tags (__user) are left out.  Returns buf. */
char *kbtf_type_name(const struct btf *btf, uint32_t id, char *buf, size_t len);

/* The same spelling from a C declaration's type text, as tracefs format
 * files give it ("const char *" -> "char const*", "unsigned long" ->
 * "long unsigned int", "void __seg_gs *" -> "void*"), followed by dims
 * ("[16]", "[]" or "").  Returns buf. */
char *kbtf_ctext_name(const char *ctype, const char *dims, char *buf, size_t len);

#endif

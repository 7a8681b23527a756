/* bpfload.h: the BPF backend's loader side (library stapbpfload), which
 * stapjit-run links without LLVM.
 *
 * Files: caps.c (what the running kernel offers), tracefs.c (the tracepoint
 * catalogue), map-bpf.c (runtime arrays and statistics stored in BPF maps),
 * and the session (load, attach, ring buffer, detach).  Conventions as
 * libbpf's: int functions return 0 or -errno; pointer functions return NULL
 * and set errno; messages for the user go into caller-supplied buffers, never
 * to stderr from here.
 */
#ifndef STAPJIT_BPFLOAD_H
#define STAPJIT_BPFLOAD_H

#include "interp.h"
#include "ir.h"
#include "run.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- kernel capabilities (caps.c) ----------------------------------------- */

typedef struct BpfCaps {
  bool probed;
  bool bpf;          /* BPF programs can be loaded at all (root, CONFIG_BPF_SYSCALL) */
  bool ringbuf;      /* BPF_MAP_TYPE_RINGBUF */
  bool bpf_loop;     /* the bpf_loop helper */
  bool for_each_map; /* bpf_for_each_map_elem */
  bool perf_event;   /* BPF programs on perf events (timers, perf.*) */
  bool btf;          /* /sys/kernel/btf/vmlinux */
  bool kprobes;      /* kprobes can be created (a kprobe PMU, or tracefs kprobe_events): CONFIG_KPROBES */
  bool kprobe_multi; /* BPF kprobe_multi links (CONFIG_FPROBE, Linux 5.18): one link for many functions */
  bool fentry;       /* fentry/fexit programs attach (BTF, a BPF trampoline: CONFIG_DYNAMIC_FTRACE_WITH_DIRECT_CALLS)
                        and have bpf_get_func_arg (Linux 5.17) */
  char fentry_why[160]; /* when fentry is false: what the kernel said */
  char why[256];     /* when bpf is false: the reason, for the user */
} BpfCaps;

/* Probes the running kernel once (cached). Never fails: fields say. */
const BpfCaps *bpf_caps_probe_kernel(void);

/* ---- the object's layout (layout.c) ----------------------------------------
 *
 * What the code generator and the loader must agree on, computed the same
 * way on both sides from the IR module alone (the loader of a saved object
 * recomputes it from the IR text the object carries): the maps and the
 * records kernel handlers send through the ring buffer.
 *
 * Maps, by name:
 *   stp_ctl      ARRAY[1] of BpfCtl: session state and counters (the loader adds
 *                BPF_F_MMAPABLE and maps it, to store the state alone)
 *   stp_events   RINGBUF: records
 *   stp_scratch  ARRAY[ncpus]: per-CPU scratch space (size from the codegen)
 *   stp_glob     ARRAY[1]: the scalar longs and strings, at BlayGlobal.off
 *   stp_sN_O     PERCPU_ARRAY[1] of RtStatCell: scalar statistic N, object O
 *   stp_aN_O     HASH / LRU_HASH / PERCPU_HASH / LRU_PERCPU_HASH: array N, object O
 * (N is IrGlobal.id.)
 *
 * A record: BlayHeader, then the site's arguments, each 8-byte aligned: a
 * long as 8 bytes, a string as a NUL-terminated slot of its bound rounded up
 * to 8. */
enum { BLAY_STARTING = 0, BLAY_RUNNING = 1, BLAY_STOPPING = 2 };

typedef struct BpfCtl {
  uint64_t state;   /* BLAY_*: handlers run only while RUNNING */
  uint64_t lost;    /* records the ring buffer had no room for */
  uint64_t errors;  /* runtime errors raised in kernel handlers */
  uint64_t skipped; /* handler hits skipped (not RUNNING) */
  int64_t wall_offset; /* CLOCK_REALTIME - CLOCK_BOOTTIME in ns, for gettimeofday_*() */
  int64_t target;      /* target(): the -c command's or -x process's pid (rt_target()), or 0 */
  uint64_t woke_ns;    /* bpf_ktime_get_ns() of the last record that may wake the reader (BLAY_WAKE_NS) */
} BpfCtl;

/* Reader wake-ups.  A record wakes the reader (the kernel's adaptive rule:
 * only when the reader has caught up) if no record asked to in the last
 * BLAY_WAKE_NS; others commit with BPF_RB_NO_WAKEUP, so a fast producer
 * costs one wake-up (an irq_work, an IPI in a VM) per interval rather than
 * per record.  The reader, once woken, polls every BLAY_POLL_MS until a
 * poll finds nothing: a record left without a wake-up was committed within
 * BLAY_WAKE_NS of one, so that poll, which starts after the wake-up and
 * lasts longer, finds it. */
enum { BLAY_WAKE_NS = 1000000, BLAY_POLL_MS = 3 };

typedef struct BlayHeader {
  uint32_t site;
  uint32_t code; /* BLAY_FAIL: which of the op's messages, or an errno they quote */
  uint64_t aux;  /* BLAY_FAIL: a value the message quotes (a faulting address) */
} BlayHeader;

typedef enum BlaySiteKind {
  BLAY_PRINTF, /* printf: format and arguments */
  BLAY_FAIL,   /* a runtime error of the instruction; message from the op (error(): the string argument) */
  BLAY_EXIT,   /* exit() */
  BLAY_WARN,   /* warn(msg) */
  BLAY_LOG,    /* log(msg) */
  BLAY_BACKTRACE, /* print_backtrace(): header.aux frames, their addresses after the header */
} BlaySiteKind;

enum { BLAY_MAX_FRAMES = 32 }; /* kernel stack frames a backtrace keeps */

typedef struct BlayArg {
  RtArgKind kind;
  uint32_t off;  /* from the record's start */
  uint32_t size; /* 8, or the string slot */
} BlayArg;

typedef struct BlaySite {
  BlaySiteKind kind;
  const IrInst *inst;
  int format;    /* BLAY_PRINTF: IrFormat.id */
  BlayArg *args; /* BLAY_PRINTF: one per IR argument; FAIL of error()/ERROR, WARN, LOG: the message */
  int nargs;
  uint32_t size; /* of the record */
  char msg[160]; /* BLAY_FAIL with a fixed message */
} BlaySite;

typedef struct BlayGlobal {
  const IrGlobal *g;
  uint32_t off;    /* scalars: offset in stp_glob's value */
  int nobj;
  RtStatDesc *desc;   /* statistics: per object */
  RtMapDesc *mdesc;   /* arrays: per object */
  RtMapLayout *mlay;  /* arrays: per object */
} BlayGlobal;

/* Kernel.trace probes that share one program (merge.c). */
typedef struct BlayGroup {
  int rep;              /* index in m->probes of the probe whose program runs (members[0]) */
  int n;                /* members; member j attaches with cookie j */
  int *members;         /* indexes in m->probes */
  int nparams;          /* the i64 constants whose values differ between members */
  const IrInst **params; /* those constants, in rep's handler */
  int64_t *values;      /* member j's value of param p: values[j * nparams + p] */
  int64_t *site_shift;  /* member j's site numbers: rep's + site_shift[j] */
} BlayGroup;

/* Groups smaller than this compile one program per probe (merge.c says why). */
enum { BLAY_MERGE_MIN = 8 };

typedef struct BpfLayout {
  const IrModule *m;
  BlaySite *sites; /* the site number is the index */
  int nsites;
  BlayGlobal *globals; /* by IrGlobal.id */
  uint32_t glob_size;  /* stp_glob's value size (>= 8) */
  struct BlayTpRef *tprefs; /* the `$field` reads of tracepoint probes (blay_tp_refs) */
  int ntprefs;
  int64_t maxstringlen;
  BlayGroup *groups;  /* merged probes (merge.c) */
  int ngroups;
  int *probe_group;   /* by index in m->probes: its group, or -1 */
  int *probe_member;  /* by index in m->probes: its ordinal (cookie) in its group */
} BpfLayout;

/* Computes the layout of m's kernel probes; NULL with a diagnostic on a
 * construct the layout cannot express (or ENOMEM).  Free with blay_free. */
BpfLayout *blay_new(const IrModule *m, DiagList *diag);
void blay_free(BpfLayout *l);
/* Groups m's mergeable probes (merge.c; blay_new calls it). */
int blay_merge(BpfLayout *l);
void blay_merge_free(BpfLayout *l);
/* The group of probe (an index in m->probes) and its ordinal there, or NULL. */
const BlayGroup *blay_group_of(const BpfLayout *l, int probe, int *member);
/* The site of inst, or -1. */
int blay_site_of(const BpfLayout *l, const IrInst *inst);
/* Bytes a string value of inst occupies in a record or a slot. */
uint32_t blay_str_slot(const BpfLayout *l, const IrInst *v);
/* The message of a BLAY_FAIL record without a string argument. */
const char *blay_fail_message(const BpfLayout *l, int site, uint32_t code, uint64_t aux, char *buf, size_t len);
/* A map's name for global g, object obj ("stp_a3_0"). */
void blay_map_name(const IrGlobal *g, int obj, char *buf, size_t len);

/* ---- arrays and statistics in BPF maps (map-bpf.c) --------------------------
 *
 * An RtMap whose storage is a BPF map the kernel-side probes write: every
 * RtMapOps call is a syscall on the map, nothing is copied to a host table.
 * The map behind map_fd must be what the codegen creates for the array's
 * RtMapLayout (checked with BPF_OBJ_GET_INFO_BY_FD; -EINVAL otherwise):
 *   key_size   == layout.key_size, value_size == layout.val_size,
 *   max_entries == the RtMap's capacity (declared size, else MAXMAPENTRIES),
 *   long and string values: BPF_MAP_TYPE_HASH, or LRU_HASH when d->wrap ('%');
 *   statistics: PERCPU_HASH (LRU_PERCPU_HASH when d->wrap), one RtStatCell per
 *   possible CPU, each CPU's value at a multiple of round_up(val_size, 8) as
 *   the kernel lays per-CPU values out; plain HASH / LRU_HASH with one cell
 *   are accepted too.
 * ncpus is libbpf_num_possible_cpus() (or <= 0 to ask libbpf); another value
 * is -EINVAL, since the kernel copies that many values whatever the buffer
 * (ignored when the map is not per-CPU).
 *
 * Semantics, where they differ from the host hash map:
 *   - storage order (iterate) is the kernel's bucket order, the order
 *     bpf_map_get_next_key walks, not insertion order; foreach ties
 *     therefore come out in a different (still deterministic) order;
 *   - lookup and iterate of a statistics element fold its per-CPU cells with
 *     rt_stat_merge (stap's aggregation of an array); update writes the given
 *     cell to CPU 0 and empties the others; stat_add reads all cells, adds on
 *     CPU 0's and writes them back (a probe's <<< on the same element between
 *     the two syscalls is lost: call it while probes are quiet);
 *   - a new key in a full plain array is the kernel's E2BIG, reported as the
 *     runtime's overflow error (rt_map_overflow); a wrapping array is a
 *     kernel LRU map, which evicts approximately the least recently used
 *     element and may evict before it is full;
 *   - iterate hands out a snapshot the map owns (walked with
 *     BPF_MAP_LOOKUP_BATCH, or get_next_key where the kernel refuses batch
 *     commands): its pointers stay valid until the next iterate or destroy;
 *     lookup's until the next lookup;
 *   - count walks the whole map (a BPF hash map has no readable count);
 *     clear is BPF_MAP_LOOKUP_AND_DELETE_BATCH over the map;
 *   - a syscall failing other than with ENOENT makes lookup read as absent
 *     and count 0; update, stat_add and remove return its -errno.
 * Ownership: the RtMap is the caller's, freed with rt_map_free; map_fd stays
 * the caller's and is not closed by rt_map_free unless bmap_own_fd was called.
 * NULL and errno EINVAL (map and layout disagree, bad ncpus), ENOMEM, or the
 * errno of the info syscall (EBADF; Linux 6.18 says EBADFD). */
RtMap *bmap_new(const RtMapDesc *d, int map_fd, int ncpus);
int bmap_fd(const RtMap *m);              /* the map's descriptor, or -EINVAL if m is not a bmap */
int bmap_own_fd(RtMap *m);                /* rt_map_free(m) will close the descriptor; 0 or -EINVAL */
int bmap_set_batch(RtMap *m, bool on);    /* use batch commands (default) or force the key walk */

/* A scalar statistic: a BPF_MAP_TYPE_PERCPU_ARRAY of one element (key 0, u32)
 * holding one RtStatCell of d per possible CPU.  read aggregates the CPUs
 * with rt_stat_aggregate into out (rt_stat_cell_size(d) bytes), as stap
 * reads a scalar; reset empties every CPU's cell; add does v <<< on CPU 0's
 * cell from the host (read-modify-write, like a map's stat_add).  0, -EINVAL
 * (not such a map, or bad ncpus), -ENOMEM or a syscall's -errno. */
int bmap_stat_read(int fd, const RtStatDesc *d, int ncpus, RtStatCell *out);
int bmap_stat_reset(int fd, const RtStatDesc *d, int ncpus);
int bmap_stat_add(int fd, const RtStatDesc *d, int ncpus, int64_t v);

/* ---- probe points and how they attach (attach.c) ------------------------------
 *
 * From a probe point's text (IrProbe.pp, as the IR text keeps it), so that
 * a saved object can be attached without the front end. */

typedef enum BattachKind {
  BATT_TRACEPOINT, /* kernel.trace("SYS:EVENT"): one program per event */
  BATT_PERF,       /* timers and perf.*: a perf event per CPU (or CPU 0 only) */
  BATT_KPROBE,     /* kernel.function("F"), kprobe.function("F"), module("M").function("F"):
                      a kprobe (kretprobe) on each function F names, or one kprobe_multi link */
  BATT_NONE,       /* not a probe point this backend attaches; why says */
} BattachKind;

typedef struct BattachSpec {
  BattachKind kind;
  char system[64]; /* BATT_TRACEPOINT */
  char event[128];
  uint32_t perf_type; /* BATT_PERF: perf_event_attr type, config, period or frequency */
  uint64_t perf_config;
  uint64_t period;
  bool freq;     /* period is a frequency in Hz */
  bool one_cpu;  /* timer.s/ms/...: one CPU fires, as stap's interval timers; else every CPU */
  char kfunc[128];  /* BATT_KPROBE: the function, an fnmatch pattern */
  char kmodule[64]; /* BATT_KPROBE: its module, "" for vmlinux */
  bool kret;        /* BATT_KPROBE: .return (a kretprobe, or fexit) */
  bool kprobe_ns;   /* BATT_KPROBE: kprobe.function or kprobe.module: always kprobes, never fentry */
  char why[200]; /* BATT_NONE */
} BattachSpec;

/* Parses pp; returns 0 (spec filled, BATT_NONE with why for a point the
 * backend does not attach) or -EINVAL for text that is not a probe point. */
int battach_parse(const char *pp, BattachSpec *out);
/* The ELF section a program for spec goes in (libbpf infers its type). */
const char *battach_section(const BattachSpec *spec, char *buf, size_t len);
/* CONFIG_HZ of the running kernel, from /boot/config-RELEASE or /proc/config.gz
 * (250 if neither tells). */
int battach_kernel_hz(void);

/* ---- kernel functions (kfn.c) ------------------------------------------------
 *
 * The functions a BATT_KPROBE spec names, one per name, sorted (a pattern
 * goes through kbtf.h's catalogue; an exact name is taken as it is): entry
 * k is the function of the attachment with BPF cookie k. */

bool kfn_is_pattern(const BattachSpec *sp);
/* *names (malloc'd, free with kfn_names_free) and *n; 0, or -errno with err
 * saying why (no BTF, an unknown module, no kallsyms).  No match is 0 and
 * *n == 0. */
int kfn_names(const BattachSpec *sp, char ***names, int *n, char *err, size_t errlen);
void kfn_names_free(char **names, int n);

struct bpf_program;
struct bpf_link;
typedef struct KfnLinks {
  struct bpf_link **links; /* malloc'd; the caller destroys each and frees the array */
  int n, cap;
  int functions; /* functions attached */
} KfnLinks;

/* Attaches prog (loaded as a kprobe, or, with multi, for kprobe_multi) to
 * the functions sp names, adding the links to *out (also on failure: the
 * caller destroys them).  0, or -errno with err saying why: no function
 * matches (-ENOENT), the kernel refused an exact name, or every function of
 * a pattern. */
int kfn_attach(struct bpf_program *prog, const BattachSpec *sp, bool multi, KfnLinks *out, char *err,
               size_t errlen);
/* Is name one of ftrace's functions (available_filter_functions), which
 * fentry and kprobe_multi need?  True when the list cannot be read. */
bool kfn_ftrace_has(const char *name);

/* The program that saves a .return probe's entry values (@entry, and
 * $param in .return), when the probe has one: "probe_N" has "probe_N_entry",
 * in section "kprobe" or "fentry/F" like its probe's, attached to the same
 * functions with the same cookies; it writes map "stp_entN" (LRU hash, key:
 * the thread id as a u64; value: a u64 mask of faulted reads, then one u64
 * per saved read).  The .return program reads that map. */
#define KFN_ENTRY_SUFFIX "_entry"

/* ---- tracepoint catalogue (tracefs.c) --------------------------------------- */

/* The directory where tracefs is mounted: /sys/kernel/tracing, else
 * /sys/kernel/debug/tracing; when neither shows tracefs, mounts it at
 * /sys/kernel/tracing (needs root).  The answer is cached once found, so
 * *path stays valid for the process; a failure is not cached.  Returns 0, or
 * -errno of the mount (-EPERM without root, -ENOENT without CONFIG_TRACING). */
int tfs_root(const char **path);
/* Reads a whole file into a malloc'd NUL-terminated string, to EOF (tracefs
 * and /proc files report size 0).  Returns 0 or -errno. */
int tfs_read_file(const char *path, char **out);
/* Formats a message for the user into err (nothing when err is NULL). */
void tfs_set_err(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* One field of a tracepoint's record, as its format file describes it.
 * Offsets are from the start of the record, which is what a BPF tracepoint
 * program's context points to (common fields included). */
typedef struct TfsField {
  char *name;      /* "filename", "prev_comm", "common_pid" */
  char *type;      /* the text before the name: "const char *", "unsigned long", "char" (for
                      "char prev_comm[16]"), "__data_loc char[]" */
  int offset;      /* bytes from the start of the record */
  int size;        /* bytes in the record (4 for a __data_loc field) */
  bool is_signed;  /* the format's "signed:1" */
  bool data_loc;   /* __data_loc or __rel_loc: a u32 holding offset | len << 16 of a dynamic array */
  bool rel_loc;    /* __rel_loc: that offset counts from the end of this field, not the record */
  bool is_string;  /* char arrays, fixed or dynamic: read as a NUL-terminated string */
  bool is_pointer; /* a pointer, not an array ("const char *", "void *"): the value is an address */
  int array_len;   /* fixed arrays: element count ("char comm[16]" -> 16); 0 otherwise, and for the
                      flexible "char buf[]" */
  bool common;     /* common_type, common_flags, common_preempt_count, common_pid */
} TfsField;

/* A parsed events/SYS/EVENT/format.  Malloc-owned by the caller: release with
 * tfs_event_free (which takes NULL). */
typedef struct TfsEvent {
  char *system, *name; /* "sched", "sched_switch" */
  int id;              /* the tracepoint id (perf_event_attr.config) */
  TfsField *fields;    /* in record order, common fields first */
  int nfields;
} TfsEvent;

/* Loads and parses one event's format.  Returns 0 (*out set), -ENOENT when
 * the kernel has no such event (err names "SYS:EVENT"), -EINVAL for a name
 * with '/' or a format that does not parse, or another -errno; err receives
 * a message for the user on every failure. */
int tfs_event_load(const char *system, const char *name, TfsEvent **out, char *err, size_t errlen);
/* Parses the text of a format file (what tfs_event_load reads); for tests and
 * for formats saved elsewhere.  Same returns. */
int tfs_event_parse(const char *system, const char *name, const char *text, TfsEvent **out, char *err,
                    size_t errlen);
void tfs_event_free(TfsEvent *ev);
/* The field called name, or NULL. */
const TfsField *tfs_event_field(const TfsEvent *ev, const char *name);

/* Walks the events that kernel.trace(pattern) names, in (system, name)
 * order: pattern is "SYS:EVENT" with fnmatch globs in either part, or
 * "EVENT" alone for any system.  Reads only available_events (a pattern
 * without globs, only its event's directory).  fn returns 0
 * to go on; anything else stops the walk and is returned (keep it negative
 * to tell it from a count).  Returns the number of events passed to fn (0
 * when none matched), -EINVAL for an empty part, or -errno. */
typedef int (*TfsEventFn)(void *ctx, const char *system, const char *name);
int tfs_event_glob(const char *pattern, TfsEventFn fn, void *ctx);

/* A syscall as its two tracepoints show it: what syscall.NAME needs to
 * generate probes with named, typed arguments.  Owns both events. */
typedef struct TfsSyscall {
  char *name;           /* "openat" */
  TfsEvent *enter;      /* syscalls:sys_enter_NAME */
  TfsEvent *exit;       /* syscalls:sys_exit_NAME, or NULL when the kernel has none */
  const TfsField *nr;   /* enter's __syscall_nr */
  const TfsField *args; /* the arguments in order: enter's fields after __syscall_nr.  Each is
                           8 bytes, whatever its C type ("int dfd"); is_pointer marks user pointers */
  int nargs;            /* 0..6 */
  const TfsField *ret;  /* exit's "long ret", or NULL without exit */
} TfsSyscall;

/* Walks the syscalls that have a sys_enter_ tracepoint, sorted by name, whose
 * name matches the fnmatch glob pattern (NULL: all), telling whether
 * sys_exit_NAME exists too.  Reads only the directory events/syscalls.  fn
 * and the return as for tfs_event_glob; -ENOENT when the kernel has no
 * syscall tracepoints (CONFIG_FTRACE_SYSCALLS). */
typedef int (*TfsSyscallFn)(void *ctx, const char *name, bool has_exit);
int tfs_syscall_list(const char *pattern, TfsSyscallFn fn, void *ctx);
/* Loads one syscall's tracepoints (two format files).  Returns 0 (*out set,
 * free with tfs_syscall_free), -ENOENT without sys_enter_NAME (err names the
 * syscall), or the errors of tfs_event_load. */
int tfs_syscall_load(const char *name, TfsSyscall **out, char *err, size_t errlen);
void tfs_syscall_free(TfsSyscall *sc);

/* ---- saved objects (object.c) ------------------------------------------------
 *
 * What `stapjit -p4` writes and `stapjit-run` loads: the BPF ELF object with
 * a ".stapjit" section that libbpf ignores, holding what the loader needs
 * besides the programs: the IR text of the module (host probes run in the
 * interpreter; the layout is recomputed from it), the source files that
 * error messages quote, and the driver's session settings.  object.c has
 * the byte format. */

enum { BOBJ_VERSION = 4 }; /* bump on any change to the format, the IR text form or the layout contract */

typedef struct BobjSource {
  const char *path; /* as messages show it (NUL-terminated) */
  const char *text; /* len bytes (NUL-terminated when read back) */
  size_t len;
} BobjSource;

typedef struct BobjInfo {
  const char *producer;  /* "stapjit 0.1.0" */
  const char *ir;        /* ir_print_module's text, ir_len bytes */
  size_t ir_len;
  BobjSource *sources;   /* the files the IR's locations name */
  int nsources;
  const char **settings; /* the driver's "NAME=VALUE" strings (opaque here) */
  int nsettings;
} BobjInfo;

/* The object elf (size bytes, as bpfgen_compile makes it) with info in its
 * .stapjit section: *out (malloc'd, the caller's) of *out_size bytes.
 * Returns 0, -EINVAL (elf is not a 64-bit little-endian BPF ELF object, or
 * info lacks the producer or the IR), -EEXIST (it has the section already),
 * or -ENOMEM. */
int bobj_pack(const void *elf, size_t size, const BobjInfo *info, void **out, size_t *out_size);

/* Reads a saved object's .stapjit section into *info.  The strings point
 * into data (which must outlive info) and are NUL-terminated; the sources
 * and settings arrays are malloc'd: release with bobj_info_free.  Returns 0;
 * -EINVAL not a BPF ELF object, -ENOENT no .stapjit section, -EPROTO an
 * object of another format version, -EBADMSG damaged (checksum, sizes,
 * entries), -ENOMEM; on failure err receives a message for the user that
 * completes "FILE: ...". */
int bobj_unpack(const void *data, size_t size, BobjInfo *info, char *err, size_t errlen);
void bobj_info_free(BobjInfo *info); /* takes a zeroed info too */

/* ---- running an object (session.c) ------------------------------------------
 *
 * A loaded object and its attachments, for one session: the host session
 * (ir/run.h) drives it through bpfs_phase.  bpfs_close detaches whatever is
 * still attached and frees everything. */

typedef struct BpfSessionOptions {
  size_t sz;          /* sizeof(BpfSessionOptions) */
  int verbose;        /* -v: the verifier's log on a rejection (-vv: its full trace) */
  int64_t bufsize;    /* ring buffer bytes (rounded up to a power of 2); 0: 4 MiB */
  int64_t timeout_ms; /* -T: end the session after this long; 0: no limit */
  FILE *err;          /* where -v prints the verifier's log */
} BpfSessionOptions;

typedef struct BpfSession BpfSession;

/* Loads the object (elf, size bytes) built from m with layout l (both must
 * outlive the session).  NULL with a diagnostic on failure: the kernel
 * lacks what is needed, or the verifier refused a program (at the script
 * line its log names). */
BpfSession *bpfs_open(const IrModule *m, const BpfLayout *l, const void *elf, size_t size,
                      const BpfSessionOptions *o, DiagList *diag);
const IrKernelPhase *bpfs_phase(BpfSession *s);
void bpfs_close(BpfSession *s);

/* ---- kernel struct offsets from BTF (btfoff.c) ----------------------------- */

typedef enum BtfOff {
  BTFOFF_TASK_REAL_PARENT, /* task_struct.real_parent */
  BTFOFF_TASK_TGID,        /* task_struct.tgid */
  BTFOFF_TASK_CRED,        /* task_struct.cred */
  BTFOFF_CRED_EUID,        /* cred.euid */
  BTFOFF_CRED_EGID,        /* cred.egid */
  BTFOFF__COUNT
} BtfOff;

typedef struct BtfOffField {
  const char *type, *field;
} BtfOffField;

extern const BtfOffField btfoff_fields[BTFOFF__COUNT];

/* The ELF section of the generated array of BTFOFF__COUNT int64 offsets
 * (libbpf makes it a read-only map of its own, which the loader fills). */
#define BTFOFF_SECTION ".rodata.stpbtf"
#define BTFOFF_SYMBOL "stp_btf_off"

/* The offsets in the running kernel (-1 for a field it lacks).  0, or
 * -errno when its BTF cannot be read (every offset -1). */
int btfoff_compute(int64_t *out);

/* ---- tracepoint fields placed at load time ---------------------------------
 *
 * A `$field` read in a tracepoint probe takes the field's offset from a
 * read-only table (TPOFF_SECTION) that the loader fills from the running
 * kernel's tracefs formats, with the field's shape (size, array, dynamic
 * array) next to it; the code checks the shape it was compiled for, so a
 * saved object run on a kernel whose event changed fails with an error
 * naming the field instead of reading the wrong bytes.  Entries come in
 * the order of blay_tp_refs. */

#define TPOFF_SECTION ".rodata.stptp"
#define TPOFF_SYMBOL "stp_tp_off"

/* shape word: size | TPOFF_ARRAY | TPOFF_DATALOC | TPOFF_RELLOC; -1 when missing */
enum { TPOFF_ARRAY = 1 << 16, TPOFF_DATALOC = 1 << 17, TPOFF_RELLOC = 1 << 18 };

typedef struct BlayTpRef {
  const IrInst *inst; /* the ctx read */
  const IrProbe *probe;
  char field[64];
} BlayTpRef;

/* The `$field` reads of m's tracepoint probes, in module order (*n of them;
 * malloc'd, NULL when none). */
BlayTpRef *blay_tp_refs(const IrModule *m, int *n);
/* The shape word of a field as tracefs describes it. */
int64_t tpoff_shape(const TfsField *f);
/* Fills out (2 int64 per ref: offset, shape) for the running kernel; -1s
 * for a field an event lacks or that differs between a wildcard's events. */
void tpoff_compute(const BlayTpRef *refs, int n, int64_t *out);

#endif

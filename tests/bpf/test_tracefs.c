/* test_tracefs.c: the tracepoint catalogue (backend-bpf/tracefs.c).
 *
 * First the format parser on written-out formats, the cases the running
 * kernel may not show (__rel_loc, flexible and unexpanded arrays, "field
 * special:" without "signed:", bad lines).
 * Then the running kernel's tracefs, mounted if need be: events every Linux
 * with tracepoints has (syscalls, sched), globs, syscalls, and every event of
 * available_events parsed once.  The live part needs root; without it, it is
 * skipped (exit 77) unless tracefs is already readable.
 */
#include "../unit/check.h"
#include "bpfload.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

static char err[512];

static const TfsField *field(const TfsEvent *ev, const char *name) {
  const TfsField *f = tfs_event_field(ev, name);
  if (!f) fprintf(stderr, "%s:%s: no field %s\n", ev->system, ev->name, name);
  return f;
}

/* ---- the parser --------------------------------------------------------------- */

static const char fake_format[] = "name: fake\n"
                                  "ID: 4242\n"
                                  "format:\n"
                                  "\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;\n"
                                  "\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;\n"
                                  "\n"
                                  "\tfield:__rel_loc char[] rel;\toffset:8;\tsize:4;\tsigned:0;\n"
                                  "\tfield:char comm[TASK_COMM_LEN];\toffset:12;\tsize:16;\tsigned:0;\n"
                                  "\tfield:unsigned long caller[8];\toffset:32;\tsize:64;\tsigned:0;\n"
                                  "\tfield:u32 words[WORDS];\toffset:96;\tsize:16;\tsigned:0;\n"
                                  "\tfield:__data_loc cpumask_t cpumask;\toffset:112;\tsize:4;\tsigned:0;\n"
                                  "\tfield:const char *const * argv;\toffset:120;\tsize:8;\tsigned:0;\n"
                                  "\tfield special:void *old;\toffset:128;\tsize:8;\n"
                                  "\tfield:long tail;\toffset:136;\tsize:8;\tsigned:1;\n"
                                  "\tfield:char buf[];\toffset:144;\tsize:0;\tsigned:0;\n"
                                  "\n"
                                  "print fmt: \"field:int not_a_field;\", REC->rel\n";

static void test_parse(void) {
  check_context = "parse";
  TfsEvent *ev;
  CHECK_INT(tfs_event_parse("fake", "fake", fake_format, &ev, err, sizeof err), 0);
  if (!ev) return;
  CHECK_INT(ev->id, 4242);
  CHECK_STR(ev->system, "fake");
  CHECK_INT(ev->nfields, 11);
  const TfsField *f = field(ev, "common_pid");
  if (f) CHECK(f->common && f->is_signed && f->offset == 4 && !strcmp(f->type, "int"));
  if ((f = field(ev, "rel"))) {
    CHECK(f->data_loc && f->rel_loc && f->is_string && !f->common && !f->is_pointer);
    CHECK_STR(f->type, "__rel_loc char[]");
  }
  if ((f = field(ev, "comm"))) {
    CHECK_INT(f->array_len, 16); /* an unexpanded length: size / 1 */
    CHECK(f->is_string && !f->data_loc);
    CHECK_STR(f->type, "char");
  }
  if ((f = field(ev, "caller"))) {
    CHECK_INT(f->array_len, 8);
    CHECK(!f->is_string && !f->is_pointer);
    CHECK_STR(f->type, "unsigned long");
  }
  if ((f = field(ev, "words"))) CHECK_INT(f->array_len, 4);
  if ((f = field(ev, "cpumask"))) CHECK(f->data_loc && !f->rel_loc && !f->is_string);
  if ((f = field(ev, "argv"))) {
    CHECK(f->is_pointer && !f->is_string);
    CHECK_STR(f->type, "const char *const *");
  }
  if ((f = field(ev, "old"))) CHECK(f->is_pointer && !f->is_signed && f->offset == 128);
  if ((f = field(ev, "tail"))) CHECK(f->is_signed && !f->is_pointer && f->offset == 136);
  if ((f = field(ev, "buf"))) CHECK(f->is_string && f->array_len == 0 && f->size == 0);
  CHECK(tfs_event_field(ev, "not_a_field") == NULL);
  tfs_event_free(ev);
  tfs_event_free(NULL);

  check_context = "parse errors";
  err[0] = '\0';
  CHECK_INT(
      tfs_event_parse("s", "e", "ID: 1\nformat:\n\tfield:int;\toffset:0;\tsize:4;\n", &ev, err, sizeof err),
      -EINVAL);
  CHECK(ev == NULL);
  CHECK_CONTAINS(err, "s:e: cannot parse line 3 of the format: field:int;");
  CHECK_INT(tfs_event_parse("s", "e", "ID: 1\n\tfield:int x;\tsize:4;\n", &ev, err, sizeof err), -EINVAL);
  CHECK_INT(tfs_event_parse("s", "e", "format:\n\tfield:int x;\toffset:0;\tsize:4;\n", &ev, err, sizeof err),
            -EINVAL);
  CHECK_CONTAINS(err, "no ID");
}

/* ---- the running kernel ----------------------------------------------------------- */

static void test_root(void) {
  check_context = "root";
  const char *a = NULL, *b = NULL;
  CHECK_INT(tfs_root(&a), 0);
  CHECK(a && (!strcmp(a, "/sys/kernel/tracing") || !strcmp(a, "/sys/kernel/debug/tracing")));
  CHECK_INT(tfs_root(&b), 0);
  CHECK(a == b); /* cached */
  char p[128];
  snprintf(p, sizeof p, "%s/events/sched", a ? a : "");
  CHECK(access(p, X_OK) == 0);
}

static void test_openat(void) {
  check_context = "syscalls:sys_enter_openat";
  TfsEvent *ev;
  CHECK_INT(tfs_event_load("syscalls", "sys_enter_openat", &ev, err, sizeof err), 0);
  if (!ev) return;
  CHECK(ev->id > 0);
  static const char *const names[] = {"common_type", "common_flags", "common_preempt_count",
                                      "common_pid",  "__syscall_nr", "dfd",
                                      "filename",    "flags",        "mode"};
  CHECK_INT(ev->nfields, 9);
  for (int i = 0; i < ev->nfields && i < 9; i++) {
    CHECK_STR(ev->fields[i].name, names[i]);
    CHECK_INT(ev->fields[i].common, i < 4);
    if (i) CHECK(ev->fields[i].offset >= ev->fields[i - 1].offset + ev->fields[i - 1].size);
  }
  const TfsField *f = &ev->fields[0];
  CHECK(f->offset == 0 && f->size == 2 && !f->is_signed);
  CHECK_STR(f->type, "unsigned short");
  if ((f = field(ev, "__syscall_nr"))) {
    CHECK(f->is_signed && f->size == 4);
    CHECK_STR(f->type, "int");
  }
  if ((f = field(ev, "filename"))) {
    CHECK_STR(f->type, "const char *");
    CHECK(f->is_pointer && !f->is_string && !f->data_loc && f->size == 8 && f->array_len == 0);
  }
  if ((f = field(ev, "dfd"))) {
    CHECK_STR(f->type, "int"); /* declared int, stored as an unsigned long */
    CHECK_INT(f->size, 8);
  }
  if ((f = field(ev, "mode"))) CHECK_STR(f->type, "umode_t");
  tfs_event_free(ev);
}

static void test_sched(void) {
  check_context = "sched:sched_switch";
  TfsEvent *ev;
  CHECK_INT(tfs_event_load("sched", "sched_switch", &ev, err, sizeof err), 0);
  if (!ev) return;
  const TfsField *f;
  for (int i = 0; i < 2; i++)
    if ((f = field(ev, i ? "next_comm" : "prev_comm"))) {
      CHECK(f->is_string && !f->data_loc && !f->is_pointer && !f->is_signed);
      CHECK_INT(f->array_len, 16);
      CHECK_INT(f->size, 16);
      CHECK_STR(f->type, "char");
    }
  if ((f = field(ev, "prev_pid"))) {
    CHECK(f->is_signed && f->size == 4 && !f->is_string && f->array_len == 0);
    CHECK_STR(f->type, "pid_t");
  }
  if ((f = field(ev, "prev_state"))) CHECK(f->is_signed && f->size == 8);
  tfs_event_free(ev);

  check_context = "sched:sched_process_exec";
  CHECK_INT(tfs_event_load("sched", "sched_process_exec", &ev, err, sizeof err), 0);
  if (!ev) return;
  if ((f = field(ev, "filename"))) {
    CHECK(f->data_loc && !f->rel_loc && f->is_string && !f->is_pointer);
    CHECK_INT(f->size, 4);
    CHECK_INT(f->array_len, 0);
    CHECK_STR(f->type, "__data_loc char[]");
  }
  tfs_event_free(ev);
}

static void test_missing(void) {
  check_context = "missing events";
  TfsEvent *ev = (TfsEvent *)&ev;
  err[0] = '\0';
  CHECK_INT(tfs_event_load("sched", "no_such_event", &ev, err, sizeof err), -ENOENT);
  CHECK(ev == NULL);
  CHECK_CONTAINS(err, "sched:no_such_event");
  CHECK_INT(tfs_event_load("no_such_system", "sched_switch", &ev, err, sizeof err), -ENOENT);
  CHECK_CONTAINS(err, "no_such_system:sched_switch");
  CHECK_INT(tfs_event_load("..", "available_events", &ev, err, sizeof err), -EINVAL);
  CHECK_INT(tfs_event_load("sched", "../sched_switch", &ev, err, sizeof err), -EINVAL);
}

/* ---- globs and syscalls -------------------------------------------------------------- */

typedef struct Names {
  char v[4096][64];
  int n;
  bool sorted;
  int stop_at; /* return -42 at this call (1-based), 0: never */
} Names;

static int collect_event(void *ctx, const char *system, const char *name) {
  Names *c = ctx;
  if (c->n < 4096) {
    snprintf(c->v[c->n], sizeof c->v[0], "%s:%s", system, name);
    if (c->n && strcmp(c->v[c->n - 1], c->v[c->n]) >= 0) {
      /* (system, name) order is not "s:n" order when one system prefixes
       * another ("irq" < "irq_vectors" but "irq:" > "irq_"): compare parts. */
      char *a = c->v[c->n - 1], *b = c->v[c->n];
      size_t la = strcspn(a, ":"), lb = strcspn(b, ":");
      int s = strncmp(a, b, la < lb ? la : lb);
      if (!s) s = (int)la - (int)lb;
      if (s > 0 || (s == 0 && strcmp(a + la, b + lb) >= 0)) c->sorted = false;
    }
    c->n++;
  }
  return c->stop_at && c->n == c->stop_at ? -42 : 0;
}

static int glob(const char *pattern, Names *c) {
  memset(c, 0, sizeof *c);
  c->sorted = true;
  return tfs_event_glob(pattern, collect_event, c);
}

static bool has(const Names *c, const char *s) {
  for (int i = 0; i < c->n; i++)
    if (!strcmp(c->v[i], s)) return true;
  return false;
}

static void test_glob(void) {
  static Names c;
  check_context = "glob sched:sched_switch*";
  int n = glob("sched:sched_switch*", &c);
  CHECK(n >= 1 && n == c.n);
  CHECK(has(&c, "sched:sched_switch"));
  CHECK(c.n > 0 && !strcmp(c.v[0], "sched:sched_switch")); /* the shortest sorts first */
  for (int i = 0; i < c.n; i++) CHECK(!strncmp(c.v[i], "sched:sched_switch", 18));

  check_context = "glob exact";
  CHECK_INT(glob("syscalls:sys_enter_getppid", &c), 1);
  CHECK_STR(c.v[0], "syscalls:sys_enter_getppid");
  CHECK_INT(glob("sched_switch", &c), 1); /* EVENT alone: any system */
  CHECK_STR(c.v[0], "sched:sched_switch");
  CHECK_INT(glob("sched:no_such_*", &c), 0);

  check_context = "glob wide";
  n = glob("sched:*", &c);
  CHECK(n > 10 && c.sorted && has(&c, "sched:sched_process_exec"));
  n = glob("*:*", &c);
  CHECK(n > 100 && c.sorted && has(&c, "syscalls:sys_exit_openat"));
  CHECK(glob("*", &c) == n);
  CHECK(glob("s?hed:sched_[sw]*", &c) >= 2 && has(&c, "sched:sched_wakeup") && has(&c, "sched:sched_switch"));

  check_context = "glob stop and errors";
  memset(&c, 0, sizeof c);
  c.stop_at = 3;
  CHECK_INT(tfs_event_glob("sched:*", collect_event, &c), -42);
  CHECK_INT(c.n, 3);
  CHECK_INT(glob("sched:", &c), -EINVAL);
  CHECK_INT(glob(":sched_switch", &c), -EINVAL);
  CHECK_INT(glob("", &c), -EINVAL);
}

typedef struct Syscalls {
  char v[1024][48];
  bool exit[1024];
  int n;
  bool sorted;
} Syscalls;

static int collect_syscall(void *ctx, const char *name, bool has_exit) {
  Syscalls *c = ctx;
  if (c->n < 1024) {
    snprintf(c->v[c->n], sizeof c->v[0], "%s", name);
    c->exit[c->n] = has_exit;
    if (c->n && strcmp(c->v[c->n - 1], name) >= 0) c->sorted = false;
    c->n++;
  }
  return 0;
}

static int syscall_index(const Syscalls *c, const char *s) {
  for (int i = 0; i < c->n; i++)
    if (!strcmp(c->v[i], s)) return i;
  return -1;
}

static void test_syscall_list(void) {
  static Syscalls c;
  check_context = "syscall list";
  c.sorted = true;
  int n = tfs_syscall_list(NULL, collect_syscall, &c);
  CHECK(n > 100 && n == c.n && c.sorted);
  static const char *const want[] = {"read", "write", "openat", "getppid", "close"};
  for (int i = 0; i < 5; i++) {
    int k = syscall_index(&c, want[i]);
    CHECK(k >= 0);
    if (k >= 0) CHECK(c.exit[k]);
  }
  CHECK_INT(syscall_index(&c, "__syscall_nr"), -1);

  memset(&c, 0, sizeof c);
  c.sorted = true;
  n = tfs_syscall_list("open*", collect_syscall, &c);
  CHECK(n >= 1 && c.sorted && syscall_index(&c, "openat") >= 0 && syscall_index(&c, "read") < 0);
  for (int i = 0; i < c.n; i++) CHECK(!strncmp(c.v[i], "open", 4));
}

static void test_syscall_load(void) {
  check_context = "syscall openat";
  TfsSyscall *sc;
  CHECK_INT(tfs_syscall_load("openat", &sc, err, sizeof err), 0);
  if (!sc) return;
  CHECK_STR(sc->name, "openat");
  CHECK(sc->enter && sc->exit && sc->nr && sc->ret);
  CHECK_STR(sc->nr ? sc->nr->name : NULL, "__syscall_nr");
  static const char *const names[] = {"dfd", "filename", "flags", "mode"};
  static const char *const types[] = {"int", "const char *", "int", "umode_t"};
  CHECK_INT(sc->nargs, 4);
  for (int i = 0; i < sc->nargs && i < 4; i++) {
    CHECK_STR(sc->args[i].name, names[i]);
    CHECK_STR(sc->args[i].type, types[i]);
    CHECK_INT(sc->args[i].size, 8);
    CHECK(i == 0 || sc->args[i].offset == sc->args[i - 1].offset + 8);
  }
  CHECK(sc->args[1].is_pointer && !sc->args[0].is_pointer);
  if (sc->ret) {
    CHECK_STR(sc->ret->name, "ret");
    CHECK_STR(sc->ret->type, "long");
    CHECK(sc->ret->is_signed && sc->ret->size == 8);
  }
  CHECK(sc->enter->id != sc->exit->id);
  tfs_syscall_free(sc);

  check_context = "syscall getppid";
  CHECK_INT(tfs_syscall_load("getppid", &sc, err, sizeof err), 0);
  if (sc) {
    CHECK_INT(sc->nargs, 0);
    CHECK(sc->ret != NULL);
    tfs_syscall_free(sc);
  }

  check_context = "syscall missing";
  err[0] = '\0';
  CHECK_INT(tfs_syscall_load("no_such_call", &sc, err, sizeof err), -ENOENT);
  CHECK(sc == NULL);
  CHECK_CONTAINS(err, "no_such_call");
  CHECK_INT(tfs_syscall_load("../x", &sc, err, sizeof err), -EINVAL);
  tfs_syscall_free(NULL);
}

/* Every event the kernel lists parses, with the common fields first and
 * fields that do not overlap. */
static int load_one(void *ctx, const char *system, const char *name) {
  int *bad = ctx;
  TfsEvent *ev;
  char e[512];
  int rc = tfs_event_load(system, name, &ev, e, sizeof e);
  if (rc == -ENOENT) return 0; /* an event removed meanwhile (a module unloaded) */
  bool ok = rc == 0 && ev->nfields >= 1 && !strcmp(ev->fields[0].name, "common_type") && ev->id > 0;
  for (int i = 1; ok && i < ev->nfields; i++) {
    const TfsField *p = &ev->fields[i - 1], *f = &ev->fields[i];
    ok = f->offset >= p->offset + p->size && f->size >= 0 && (!f->common || p->common);
  }
  if (!ok) {
    if (++*bad <= 5) fprintf(stderr, "%s:%s: %s\n", system, name, rc ? e : "fields out of order");
  }
  tfs_event_free(ev);
  return 0;
}

static void test_all_events(void) {
  check_context = "every event";
  int bad = 0;
  CHECK(tfs_event_glob("*:*", load_one, &bad) > 100);
  CHECK_INT(bad, 0);
}

int main(void) {
  test_parse();
  const char *root;
  int rc = tfs_root(&root);
  if (rc && geteuid() != 0) {
    printf("tracefs: %s; live tests skipped (they need root)\n", strerror(-rc));
    return check_summary() ? 1 : 77;
  }
  test_root();
  test_openat();
  test_sched();
  test_missing();
  test_glob();
  test_syscall_list();
  test_syscall_load();
  test_all_events();
  return check_summary();
}

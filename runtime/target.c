/* target.c: the target process of a session: stap's -c CMD and -x PID.
 *
 * -c CMD is run as stap's staprun runs it: split into words by wordexp(3)
 * without command substitution and executed directly, so that target() is
 * the command's own pid; a command with shell syntax (';', '|', '&&', ...)
 * that wordexp refuses goes to /bin/sh -c instead.  The child is forked
 * before the session starts, so that target() is known to begin probes and
 * to the kernel's handlers, and it waits at the exec on a socket until the
 * session lets it go (rt_target_start: after the probes are attached and the
 * begin probes ran).  If stapjit ends or dies first, the socket's end of file
 * makes the child leave quietly, never running the command.  The session
 * ends when the command exits (rt_target_end_fd, a pidfd); its status is
 * reported as stap reports it.  -x PID only names a process: the session
 * runs independently of its lifespan (stap(1)).
 *
 * Nothing here prints but rt_target_spawn's refusals and rt_target_finish's
 * warnings, on the stream the caller gives.
 */
#include "runtime.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <wordexp.h>

static int64_t target_pid;

int64_t rt_target(void) { return target_pid; }

void rt_target_init(RtTarget *t) {
  memset(t, 0, sizeof *t);
  t->go_fd = t->pidfd = -1;
}

void rt_target_set_pid(RtTarget *t, int pid) {
  t->pid = pid;
  target_pid = pid;
}

/* In the child: wait for the session's word, then exec.  Never returns. */
static void child(int go, char *const *argv, const char *cmd) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGINT, SIG_DFL);
  signal(SIGTERM, SIG_DFL);
  signal(SIGHUP, SIG_DFL);
  signal(SIGPIPE, SIG_DFL);
  /* Hold none of stapjit's descriptors (BPF objects, links, the output
   * file) while waiting: a link a child holds outlives stapjit's close. */
  if (go != 3) {
    if (dup2(go, 3) < 0) _exit(1);
    go = 3;
  }
  closefrom(4);
  char c;
  ssize_t n;
  while ((n = read(go, &c, 1)) < 0 && errno == EINTR) {
  }
  if (n != 1) _exit(0); /* the session ended before it started the command */
  close(go);
  execvp(argv[0], argv);
  int e = errno;
  fprintf(stderr, "%s: %s\n", cmd, strerror(e));
  _exit(1);
}

int rt_target_spawn(RtTarget *t, const char *cmd, FILE *err) {
  wordexp_t w;
  char *sh[] = {"/bin/sh", "-c", (char *)cmd, NULL};
  char *const *argv = sh;
  int rc = wordexp(cmd, &w, WRDE_NOCMD | WRDE_UNDEF);
  bool words = rc == 0;
  if (rc == 0 && w.we_wordc < 1) {
    wordfree(&w);
    fprintf(err, "ERROR: empty -c COMMAND\n");
    return -EINVAL;
  }
  if (rc == WRDE_SYNTAX) {
    fprintf(err, "ERROR: syntax error (unmatched quotes?) in -c COMMAND '%s'\n", cmd);
    return -EINVAL;
  }
  if (rc == WRDE_BADVAL) {
    fprintf(err, "ERROR: -c COMMAND '%s' uses an undefined shell variable\n", cmd);
    return -EINVAL;
  }
  if (rc == WRDE_NOSPACE) {
    if (w.we_wordv) wordfree(&w);
    return -ENOMEM;
  }
  /* WRDE_BADCHAR: shell syntax; WRDE_CMDSUB: $(...) or `...`: the shell runs it */
  if (words) argv = w.we_wordv;
  /* A socket pair rather than a pipe: send(MSG_NOSIGNAL) to a child that
   * died meanwhile is EPIPE, not a SIGPIPE that would end stapjit. */
  int p[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) != 0) {
    rc = -errno;
    if (words) wordfree(&w);
    fprintf(err, "ERROR: cannot run -c COMMAND: %s\n", strerror(-rc));
    return rc;
  }
  fflush(NULL); /* nothing buffered is written twice */
  pid_t pid = fork();
  if (pid == 0) {
    close(p[1]);
    child(p[0], argv, words ? w.we_wordv[0] : cmd);
  }
  rc = pid < 0 ? -errno : 0;
  close(p[0]);
  if (words) wordfree(&w);
  if (rc) {
    close(p[1]);
    fprintf(err, "ERROR: cannot run -c COMMAND: %s\n", strerror(-rc));
    return rc;
  }
  t->go_fd = p[1];
  t->cmd = true;
  t->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (t->pidfd < 0) { /* before Linux 5.3: the session cannot wait for it */
    rc = -errno;
    close(p[1]);
    waitpid(pid, NULL, 0);
    t->go_fd = -1;
    fprintf(err, "ERROR: cannot watch the -c COMMAND's process (pidfd_open): %s\n", strerror(-rc));
    return rc;
  }
  rt_target_set_pid(t, pid);
  return 0;
}

int rt_target_start(RtTarget *t) {
  if (!t || t->go_fd < 0) return 0;
  ssize_t n;
  while ((n = send(t->go_fd, "g", 1, MSG_NOSIGNAL)) < 0 && errno == EINTR) {
  }
  int rc = n == 1 ? 0 : -errno;
  close(t->go_fd);
  t->go_fd = -1;
  t->started = rc == 0;
  return rc;
}

int rt_target_end_fd(const RtTarget *t) { return t && t->cmd ? t->pidfd : -1; }

int rt_target_finish(RtTarget *t, FILE *err) {
  if (!t || !t->cmd) return 0;
  if (t->go_fd >= 0) { /* never started: the end of file sends it away */
    close(t->go_fd);
    t->go_fd = -1;
  }
  int rc = 0, status;
  /* A command still running is left to run, as stap leaves it. */
  pid_t got = waitpid(t->pid, &status, t->started ? WNOHANG : 0);
  if (got == t->pid && t->started) {
    if (WIFSIGNALED(status)) {
      fprintf(err, "WARNING: Child process exited with signal %d (%s)\n", WTERMSIG(status),
              strsignal(WTERMSIG(status)));
      rc = 1;
    } else if (WIFEXITED(status) && WEXITSTATUS(status)) {
      fprintf(err, "WARNING: Child process exited with status %d\n", WEXITSTATUS(status));
      rc = 1;
    }
  }
  if (t->pidfd >= 0) close(t->pidfd);
  t->pidfd = -1;
  t->cmd = false;
  return rc;
}

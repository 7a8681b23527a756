/* live_helper.c: the events the live tests count, made on demand.
 *
 *   live_helper getppid N [WAITFILE]  N getppid() calls (after WAITFILE exists,
 *                                     when given), then exit 0
 *   live_helper sleep MS              sleep MS milliseconds, exit 0
 *   live_helper exit STATUS           exit STATUS at once
 *   live_helper hwcounters            exit 0 when the kernel opens a hardware
 *                                     cycle counter on CPU 0, else 1 (reason
 *                                     on stdout)
 *
 * getppid is what the tests count: neither the dynamic loader nor libc's
 * start-up calls it, so a process's count is exactly its N.  The calls go
 * through syscall(2) so that no libc caches them.
 */
#include <errno.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms) {
  struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000};
  while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
  }
}

int main(int argc, char **argv) {
  if (argc >= 3 && !strcmp(argv[1], "getppid")) {
    long n = atol(argv[2]);
    if (argc >= 4) {
      struct stat st;
      for (int k = 0; stat(argv[3], &st) != 0; k++) {
        if (k > 30000) return 2; /* 30 s: the test gave up */
        sleep_ms(1);
      }
    }
    for (long k = 0; k < n; k++) syscall(SYS_getppid);
    return 0;
  }
  if (argc == 3 && !strcmp(argv[1], "sleep")) {
    sleep_ms(atol(argv[2]));
    return 0;
  }
  if (argc == 3 && !strcmp(argv[1], "exit")) return atoi(argv[2]);
  if (argc == 2 && !strcmp(argv[1], "hwcounters")) {
    struct perf_event_attr a = {.size = sizeof a,
                                .type = PERF_TYPE_HARDWARE,
                                .config = PERF_COUNT_HW_CPU_CYCLES,
                                .sample_period = 1000000};
    int fd = (int)syscall(SYS_perf_event_open, &a, -1, 0, -1, 0);
    if (fd < 0) {
      printf("no hardware cycle counter: %s\n", strerror(errno));
      return 1;
    }
    close(fd);
    return 0;
  }
  fprintf(stderr, "usage: live_helper getppid N [WAITFILE] | sleep MS | exit STATUS | hwcounters\n");
  return 2;
}

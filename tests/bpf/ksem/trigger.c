/* trigger.c: the process whose getpgid calls fire the ksem harness's kernel
 * probes.  It prints its pid, then calls getpgid(0) every 200 us until
 * killed, or for at most the number of seconds given (60 by default), so
 * that a harness that dies leaves nothing running for long.  It stays on
 * one CPU, so that every <<< of a case lands in the same per-CPU cell, as
 * all of them do on the host (the extractors' integer rounding differs
 * with the split: runtime/stat.c).
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
  long secs = argc > 1 ? strtol(argv[1], NULL, 10) : 60;
  cpu_set_t one;
  CPU_ZERO(&one);
  CPU_SET(sched_getcpu() >= 0 ? sched_getcpu() : 0, &one);
  sched_setaffinity(0, sizeof one, &one); /* best effort: a failure only risks split cells */
  printf("%ld\n", (long)getpid());
  fflush(stdout);
  struct timespec nap = {0, 200000}, start, now;
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (;;) {
    getpgid(0);
    nanosleep(&nap, NULL);
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec - start.tv_sec >= secs) return 0;
  }
}

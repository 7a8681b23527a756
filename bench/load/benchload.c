/* benchload: the load generator of the tracer benchmarks (bench/run builds it
 * with cc -O2).  It makes system calls, nothing else, so that the time a
 * tracer adds to each call is the only difference between a traced and an
 * untraced run.  It must not use glibc wrappers that could cache a result:
 * every call goes through syscall(2).
 *
 *   benchload getppid N   N getppid calls; prints "START_NS END_NS" (CLOCK_MONOTONIC)
 *                         on stdout when done, so the caller can time the loop alone
 *
 * Pinning to a CPU is done by the caller (sched_setaffinity before exec).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3 || strcmp(argv[1], "getppid") != 0) {
    fprintf(stderr, "usage: benchload getppid N\n");
    return 2;
  }
  long n = atol(argv[2]);
  long long start = now_ns();
  for (long i = 0; i < n; i++) syscall(SYS_getppid);
  long long end = now_ns();
  printf("%lld %lld\n", start, end);
  return 0;
}

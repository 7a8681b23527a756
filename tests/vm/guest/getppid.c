/* getppid.c: a guest workload: N getppid calls (default 7), the events the
 * tracepoint cases count exactly.  Built static: the guest has no libc. */
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 7;
  for (int k = 0; k < n; k++) (void)getppid();
  return 0;
}

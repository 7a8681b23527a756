/* readfile.c: a guest workload for the kernel.function cases: writes
 * N * SIZE bytes to PATH, then opens it again and reads it with exactly N
 * read(2) calls of SIZE bytes each (the vfs_read calls the cases count),
 * then one more that returns 0 at the end of the file.  Built static: the
 * guest has no libc.
 *   readfile PATH N SIZE */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: readfile PATH N SIZE\n");
    return 2;
  }
  int n = atoi(argv[2]), size = atoi(argv[3]);
  char *buf = malloc((size_t)size);
  if (!buf || n < 0 || size <= 0) return 2;
  memset(buf, 'x', (size_t)size);
  int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return 1;
  for (int k = 0; k < n; k++)
    if (write(fd, buf, (size_t)size) != size) return 1;
  close(fd);
  fd = open(argv[1], O_RDONLY);
  if (fd < 0) return 1;
  for (int k = 0; k < n; k++)
    if (read(fd, buf, (size_t)size) != size) return 1;
  if (read(fd, buf, (size_t)size) != 0) return 1;
  close(fd);
  return 0;
}

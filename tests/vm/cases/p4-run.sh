# A saved object: stapjit -p4 writes it (and prints its name, as stap does),
# stapjit-run (no LLVM) runs it.
stapjit -p4 -m vmtp -e 'global n
  probe kernel.trace("syscalls:sys_enter_getppid") { if (pid() == target()) n++ }
  probe end { printf("n=%d\n", n) }' || exit
stapjit-run -c 'getppid 321' vmtp.bpf.o

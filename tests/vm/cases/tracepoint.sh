# A live tracepoint in the guest kernel: exactly the workload's getppid calls,
# through the BPF code generator (LLVM) and the loader.
stapjit -c 'getppid 1000' -e 'global n, all
  probe kernel.trace("syscalls:sys_enter_getppid") { all++; if (pid() == target()) n++ }
  probe end { printf("n=%d\nall_ok=%d\n", n, all >= n) }'

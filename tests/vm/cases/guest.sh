# The test bed itself: the guest is Debian's 6.1 kernel with BTF, and the
# file systems stapjit uses are mounted.
uname -r | sed 's/^\(6\.1\)\..*-amd64$/\1 debian/'
[ -f /sys/kernel/btf/vmlinux ] && echo btf
[ -f /sys/kernel/tracing/events/syscalls/sys_enter_getppid/id ] && echo tracefs
[ -f /proc/kallsyms ] && echo kallsyms

# kernel.function probes (typed from BTF) in the guest kernel, attached as
# --kfunc-attach=auto chooses (fentry/fexit for exact names, kprobes for
# patterns and kprobe.function; kfn-fentry.sh forces each method):
# exact counts of the workload's vfs_read calls (readfile: 5 reads of 300
# bytes and one at the end of the file), its parameters, a member chain
# read as a string, $return, wildcards (one kprobe_multi link where the
# kernel has them, and forced to one kprobe per function) with pp() and
# ppfunc() naming each function (static glibc's start-up readlink shows as
# vfs_readlink), kprobe.function, and script errors at their location.
echo '-- entry'
stapjit -c 'readfile kfn-data 5 300' -e 'global n, sized, named
  probe kernel.function("vfs_read") {
    if (pid() != target()) next
    n++
    if ($count == 300) sized++
    if (kernel_string($file->f_path->dentry->d_name->name) == "kfn-data") named++
  }
  probe end { printf("n=%d sized=%d named=%d\n", n, sized, named) }'
echo "status=$?"
echo '-- return'
stapjit -c 'readfile kfn-data 5 300' -e 'global n, full, eof
  probe kernel.function("vfs_read").return {
    if (pid() != target()) next
    n++
    if ($return == 300) full++
    if ($return == 0) eof++
  }
  probe end { printf("n=%d full=%d eof=%d\n", n, full, eof) }'
echo "status=$?"
echo '-- call and wildcard'
stapjit -c 'readfile kfn-data 5 300' -e 'global n, c, fn
  probe kernel.function("vfs_read").call { if (pid() == target()) c++ }
  probe kernel.function("vfs_rea*") { if (pid() == target()) { n++; fn[pp()]++ } }
  probe end { printf("call=%d wildcard=%d\n", c, n); foreach (f+ in fn) printf("%s %d\n", f, fn[f]) }'
echo "status=$?"
echo '-- wildcard return, by function, one kprobe per function'
STAPJIT_TEST_KERNEL_LACKS=kprobe_multi stapjit -c 'readfile kfn-data 2 64' -e 'global n, sum
  probe kernel.function("vfs_read*").return { if (pid() == target()) { n[ppfunc()]++; sum[ppfunc()] += $return } }
  probe end { foreach (f+ in n) printf("%s n=%d sum=%d\n", f, n[f], sum[f]) }'
echo "status=$?"
echo '-- kprobe.function'
stapjit -c 'readfile kfn-data 3 100' -e 'global n, r
  probe kprobe.function("vfs_read") { if (pid() == target()) n++ }
  probe kprobe.function("vfs_read").return { if (pid() == target() && $return == 100) r++ }
  probe end { printf("entry=%d return=%d\n", n, r) }'
echo "status=$?"
echo '-- errors'
stapjit -p4 -e 'probe kernel.function("vfs_read") { print($cnt) }' 2>&1 >/dev/null
echo "status=$?"
stapjit -p4 -e 'probe kernel.function("vfs_read") { print($file->f_nosuch) }' 2>&1 >/dev/null | head -3
stapjit -p4 -e 'probe kernel.function("vfs_read") { print($count->x) }' 2>&1 >/dev/null | head -3
stapjit -p4 -e 'probe kernel.function("no_such_function_x") { print(1) }' 2>&1 >/dev/null | head -3

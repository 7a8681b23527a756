# kernel.function probes attached with fentry/fexit and with kprobes
# (--kfunc-attach), in the guest kernel, which has both: which method each
# choice compiles to (the program's section in the saved object), exact
# vfs_read counts of the readfile workload (5 reads of 300 bytes and one
# at the end of the file) with each, $count and $return, @entry($count) and
# $count in .return probes (fexit reads the parameter itself; a kretprobe,
# and a member chain under fexit, take the value an entry program saved),
# patterns under forced fentry (a program per function) against kprobes,
# a saved fentry object run by stapjit-run (and refused where fentry is
# not), and the errors.
script='global n, sized, ret, full, eof, ent, direct, named
  probe kernel.function("vfs_read") { if (pid() == target()) { n++; if ($count == 300) sized++ } }
  probe kernel.function("vfs_read").return {
    if (pid() != target()) next
    ret++
    if ($return == 300) full++
    if ($return == 0) eof++
    if (@entry($count) == 300) ent++
    if ($count == 300) direct++
    if (kernel_string(@entry($file->f_path->dentry->d_name->name)) == "kfn-data") named++
  }
  probe end { printf("n=%d sized=%d ret=%d full=%d eof=%d entry=%d direct=%d named=%d\n",
                     n, sized, ret, full, eof, ent, direct, named) }'
for how in auto fentry kprobe; do
  echo "-- $how"
  stapjit --kfunc-attach=$how -p4 -m kfn_$how -e "$script" >/dev/null || echo "p4 status=$?"
  for sec in fentry/vfs_read fexit/vfs_read kprobe; do
    grep -q "$sec" kfn_$how.bpf.o && echo "section $sec"
  done
  stapjit --kfunc-attach=$how -c 'readfile kfn-data 5 300' -e "$script"
  echo "status=$?"
done
echo '-- saved fentry object, stapjit-run'
stapjit-run -c 'readfile kfn-data 2 300' kfn_fentry.bpf.o
echo "status=$?"
echo '-- a kernel that refuses fentry: auto takes kprobes, a saved fentry object is refused'
STAPJIT_TEST_KERNEL_LACKS=fentry stapjit -p4 -m kfn_nofentry -e "$script" >/dev/null
grep -q fentry/vfs_read kfn_nofentry.bpf.o && echo "fentry section"
grep -q kprobe kfn_nofentry.bpf.o && echo "kprobe section"
STAPJIT_TEST_KERNEL_LACKS=fentry stapjit-run -c 'readfile kfn-data 2 300' kfn_fentry.bpf.o 2>&1
echo "status=$?"
echo '-- a pattern under fentry: a program per function, each with its pp()'
pattern='global n, sum, fn
  probe kernel.function("vfs_read*").return { if (pid() == target()) { n[ppfunc()]++; sum[ppfunc()] += $return } }
  probe kernel.function("vfs_rea*") { if (pid() == target()) fn[pp()]++ }
  probe end { foreach (f+ in n) printf("%s n=%d sum=%d\n", f, n[f], sum[f]); foreach (f+ in fn) printf("%s %d\n", f, fn[f]) }'
stapjit --kfunc-attach=fentry -p4 -m kfn_pat -e "$pattern" >/dev/null
for sec in fexit/vfs_read fexit/vfs_readlink fentry/vfs_readlink kprobe; do
  grep -q "$sec" kfn_pat.bpf.o && echo "section $sec"
done
for how in fentry kprobe; do
  stapjit --kfunc-attach=$how -c 'readfile kfn-data 2 64' -e "$pattern" > pattern-$how.txt
  echo "$how status=$?"
done
cat pattern-fentry.txt
cmp pattern-fentry.txt pattern-kprobe.txt && echo "the same with kprobes"
echo '-- kprobe.function stays a kprobe'
stapjit --kfunc-attach=fentry -p4 -m kfn_kp -e 'probe kprobe.function("vfs_read") { print(1) }' >/dev/null
grep -q fentry/vfs_read kfn_kp.bpf.o && echo "fentry section"
grep -q kprobe kfn_kp.bpf.o && echo "kprobe section"
echo '-- errors'
stapjit -p4 --kfunc-attach=fentry -e 'probe kernel.function("vfs_rea*") { print($nosuch) }' 2>&1 >/dev/null | head -3
stapjit -p4 -e 'probe kernel.function("vfs_read").return { print(@entry(pid())) }' 2>&1 >/dev/null | head -3
stapjit -p4 -e 'probe kernel.function("vfs_read").return { print(@entry($return)) }' 2>&1 >/dev/null | head -3
stapjit -p4 -e 'probe kernel.function("vfs_read") { print(@entry($count)) }' 2>&1 >/dev/null | head -3

#!/usr/bin/env bash
# run.sh: the VM test bed.  Boots the stock Debian kernel (get-kernel.sh) in
# qemu with an initramfs that carries stapjit, and runs every guest test in
# that one boot, so what the build machine's kernel refuses (kprobes, fentry,
# modules) and a second kernel version (6.1) can be tested from ctest.
#
#   bash run.sh STAPJIT STAPJIT_RUN BPFGEN_MODULE [CASE...]
#
# A case is cases/NAME.sh, run in the guest by busybox sh as root from a
# scratch directory, with stapjit, stapjit-run and the workloads (guest/*.c,
# compiled static on the host) on PATH.  Its stdout must equal cases/NAME.out
# and its exit status cases/NAME.status (0 when absent); its stderr is shown
# when it fails.  Without CASE arguments every case runs.
#
# The initramfs holds busybox-static, the three stapjit files with the shared
# libraries ldd finds for them (libLLVM among them), the source tree's
# tapsets/, the cases and the workloads; the environment points stapjit at its
# code generator and tapsets (STAPJIT_BPFGEN_MODULE, STAPJIT_TAPSET_DIR).
# The guest reports over the serial console between markers:
#
#   @@stapjit-vm kernel RELEASE@@
#   @@stapjit-vm out NAME@@      the case's stdout
#   @@stapjit-vm err NAME@@      its stderr
#   @@stapjit-vm end NAME STATUS@@
#   @@stapjit-vm done@@          then it powers off
#
# Exits 0 when every case passed, 1 when one failed or the guest did not
# finish, 77 (skipped) when qemu, busybox-static, cpio or the kernel image is
# missing.  Environment (all optional):
#
#   STAPJIT_VM_ACCEL    kvm or tcg; by default kvm only where /dev/kvm is
#                       hardware virtualisation (see pick_accel)
#   STAPJIT_VM_TIMEOUT  seconds for the whole boot (default 480)
#   STAPJIT_VM_MEM      guest memory (default 2G)
#   STAPJIT_VM_KEEP     a directory to keep the initramfs tree and console log in
#   STAPJIT_VM_VERBOSE  1: print the whole console log, not only on failure
#   STAPJIT_VM_KVER     the guest kernel's version, STAPJIT_VM_CACHE its cache
#                       (get-kernel.sh)
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)
usage='usage: run.sh STAPJIT STAPJIT_RUN BPFGEN_MODULE [CASE...]'
stapjit=${1:?$usage}
stapjit_run=${2:?$usage}
bpfgen=${3:?$usage}
shift 3

skip() { echo "SKIP: $*"; exit 77; }

# ---- what the host needs -----------------------------------------------------

qemu=$(command -v qemu-system-x86_64) || skip "no qemu-system-x86_64 (apt-get install qemu-system-x86)"
busybox=$(command -v busybox) || skip "no busybox (apt-get install busybox-static)"
# A dynamically linked busybox would need its libraries in the guest too.
ldd "$busybox" >/dev/null 2>&1 && skip "$busybox is not static (apt-get install busybox-static)"
command -v cpio >/dev/null || skip "no cpio (apt-get install cpio)"
cc=${CC:-cc}
command -v "$cc" >/dev/null || skip "no C compiler for the guest workloads"
kdir=$("$here/get-kernel.sh") || skip "no Debian kernel image to boot (get-kernel.sh says why)"
kernel=$kdir/vmlinux
[[ -f $kernel ]] || kernel=$kdir/vmlinuz

cases=("$@")
if ((${#cases[@]} == 0)); then
  for f in "$here"/cases/*.sh; do
    n=${f##*/}
    cases+=("${n%.sh}")
  done
fi
for c in "${cases[@]}"; do
  [[ -f $here/cases/$c.sh && -f $here/cases/$c.out ]] || { echo "run.sh: no cases/$c.sh with $c.out" >&2; exit 2; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/stapjit-vm.XXXXXX") || exit 1
qpid=
cleanup() {
  [[ -n $qpid ]] && kill "$qpid" 2>/dev/null
  if [[ -n ${STAPJIT_VM_KEEP:-} ]]; then
    mkdir -p "$STAPJIT_VM_KEEP" && cp -a "$work"/. "$STAPJIT_VM_KEEP"/
  fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the initramfs -------------------------------------------------------------

root=$work/root
mkdir -p "$root"/{bin,dev,proc,sys,tmp,root,opt/stapjit/bin,opt/stapjit/lib,tests/cases,tests/bin}

# carry FILE: copies the shared libraries ldd finds for FILE to the same
# paths in the guest (the dynamic loader among them).
carry() {
  local lib
  for lib in $(ldd "$1" 2>/dev/null | grep -oE '/[^ ]+'); do
    [[ -e $root$lib ]] && continue
    mkdir -p "$root${lib%/*}"
    cp -L "$lib" "$root$lib" || return 1
  done
}

cp "$busybox" "$root/bin/busybox"
cp "$stapjit" "$stapjit_run" "$root/opt/stapjit/bin/" || exit 1
cp "$bpfgen" "$root/opt/stapjit/lib/libstapjit-bpfgen.so" || exit 1
cp -r "$src/tapsets" "$root/opt/stapjit/tapsets"
for f in "$stapjit" "$stapjit_run" "$bpfgen"; do
  carry "$f" || { echo "run.sh: cannot gather the libraries of $f" >&2; exit 1; }
done
for f in "$here"/guest/*.c; do
  n=${f##*/}
  "$cc" -static -O2 -o "$root/tests/bin/${n%.c}" "$f" ||
    { echo "run.sh: cannot build the guest workload $n" >&2; exit 1; }
done
for c in "${cases[@]}"; do
  cp "$here/cases/$c.sh" "$root/tests/cases/"
  echo "$c" >>"$root/tests/list"
done

# The sanitizer build's programs take their options in the guest too.
{
  echo "export ASAN_OPTIONS='${ASAN_OPTIONS:-}' UBSAN_OPTIONS='${UBSAN_OPTIONS:-}'"
} >"$root/tests/env"

cat >"$root/init" <<'INIT'
#!/bin/busybox sh
# The guest's init: mounts what stapjit uses, runs each listed case with its
# output between markers on the console, and powers off.
/bin/busybox --install -s /bin
export PATH=/opt/stapjit/bin:/tests/bin:/bin HOME=/root TERM=dumb
export STAPJIT_BPFGEN_MODULE=/opt/stapjit/lib/libstapjit-bpfgen.so
export STAPJIT_TAPSET_DIR=/opt/stapjit/tapsets
. /tests/env
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing
mount -t bpf bpf /sys/fs/bpf
ulimit -l unlimited
# Kernel messages would interleave with the cases' output.
echo 1 >/proc/sys/kernel/printk
echo "@@stapjit-vm kernel $(uname -r)@@"
while read -r name; do
  dir=/tmp/case-$name
  mkdir -p "$dir"
  (cd "$dir" && timeout 240 sh "/tests/cases/$name.sh" </dev/null >"$dir/.out" 2>"$dir/.err")
  status=$?
  # Each part ends in a newline, so the next marker starts a line.
  echo "@@stapjit-vm out $name@@"
  cat "$dir/.out"
  [ -s "$dir/.out" ] && [ -n "$(tail -c 1 "$dir/.out")" ] && echo
  echo "@@stapjit-vm err $name@@"
  cat "$dir/.err"
  [ -s "$dir/.err" ] && [ -n "$(tail -c 1 "$dir/.err")" ] && echo
  echo "@@stapjit-vm end $name $status@@"
done </tests/list
echo "@@stapjit-vm done@@"
poweroff -f
INIT
chmod +x "$root/init"
(cd "$root" && find . | cpio -o -H newc --quiet >"$work/initramfs.cpio") || exit 1

# ---- boot ------------------------------------------------------------------------

# pick_accel: kvm only where /dev/kvm is hardware virtualisation.  Some
# machines offer a /dev/kvm without VT-x/AMD-V (the kvm_pvm module): a stock
# kernel does not boot there (qemu stops at an MSR, or the instruction
# emulator fails), so those use TCG like machines without /dev/kvm.
pick_accel() {
  if [[ -n ${STAPJIT_VM_ACCEL:-} ]]; then
    echo "$STAPJIT_VM_ACCEL"
  elif [[ -r /dev/kvm && -w /dev/kvm && ! -d /sys/module/kvm_pvm ]] &&
       grep -qwE 'vmx|svm' /proc/cpuinfo; then
    echo kvm
  else
    echo tcg
  fi
}
accel=$(pick_accel)
case $accel in
  kvm) cpu=host ;;
  tcg) cpu=max ;;
  *) echo "run.sh: STAPJIT_VM_ACCEL must be kvm or tcg" >&2; exit 2 ;;
esac

console=$work/console.log
start=$SECONDS
timeout -k 5 "${STAPJIT_VM_TIMEOUT:-480}" "$qemu" -accel "$accel" -cpu "$cpu" \
  -m "${STAPJIT_VM_MEM:-2G}" -smp 1 -no-reboot \
  -display none -vga none -nic none -monitor none -serial "file:$console" \
  -kernel "$kernel" -initrd "$work/initramfs.cpio" \
  -append "console=ttyS0 panic=-1 oops=panic quiet" </dev/null >"$work/qemu.err" 2>&1 &
qpid=$!
wait "$qpid"
qrc=$?
qpid=
elapsed=$((SECONDS - start))
sed -i 's/\r$//' "$console"

release=$(sed -n 's/^@@stapjit-vm kernel \(.*\)@@$/\1/p' "$console")
echo "vm: kernel ${release:-?} ($(cat "$kdir/kver")), accel $accel, ${elapsed}s, ${#cases[@]} cases"

# ---- results -----------------------------------------------------------------------

# Split the console into each case's out, err and status files.
res=$work/results
mkdir -p "$res"
awk -v res="$res" '
  /^@@stapjit-vm out .*@@$/ { name = $3; sub(/@@$/, "", name); file = res "/" name ".out"; printf "" > file; next }
  /^@@stapjit-vm err .*@@$/ { file = res "/" name ".err"; printf "" > file; next }
  /^@@stapjit-vm end .*@@$/ { st = $4; sub(/@@$/, "", st); print st > (res "/" name ".status"); file = ""; next }
  /^@@stapjit-vm / { file = ""; next }
  file != "" { print > file }
' "$console"

passed=0
failed=0
for c in "${cases[@]}"; do
  want_status=0
  [[ -f $here/cases/$c.status ]] && want_status=$(<"$here/cases/$c.status")
  if [[ ! -f $res/$c.status ]]; then
    echo "FAIL $c: no result from the guest"
    failed=$((failed + 1))
    continue
  fi
  status=$(<"$res/$c.status")
  why=
  [[ $status == "$want_status" ]] || why="exit status $status, expected $want_status"
  if ! diff -u "$here/cases/$c.out" "$res/$c.out" >"$work/diff"; then
    why="${why:+$why; }stdout differs"
  fi
  if [[ -z $why ]]; then
    echo "ok   $c"
    passed=$((passed + 1))
  else
    echo "FAIL $c: $why"
    sed 's/^/  /' "$work/diff"
    echo "  stderr:"
    sed 's/^/  | /' "$res/$c.err"
    failed=$((failed + 1))
  fi
done

finished=1
grep -qx '@@stapjit-vm done@@' "$console" || finished=0
if ((failed || !finished)) || [[ ${STAPJIT_VM_VERBOSE:-} == 1 ]]; then
  echo "---- guest console ----"
  cat "$console"
  [[ -s $work/qemu.err ]] && sed 's/^/qemu: /' "$work/qemu.err"
fi
if ((!finished)); then
  if ((qrc == 124 || qrc == 137)); then
    echo "FAIL: the guest did not finish within ${STAPJIT_VM_TIMEOUT:-480}s"
  else
    echo "FAIL: the guest stopped before reporting every case (qemu status $qrc)"
  fi
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
((failed == 0))

#!/usr/bin/env bash
# run.sh: saved objects end to end.  `stapjit -p4` writes an object, and
# `stapjit-run OBJECT` must give what the direct `stapjit SCRIPT` gives:
# the same stdout, the same stderr (-p4's warnings, then stapjit-run's
# messages) and the same exit status, with stdout also equal to
# cases/NAME.out (and stderr to cases/NAME.err where it exists), so that a
# bug shared by both runs is caught too.  Then what only stapjit-run does:
# -G on a saved object, SIGINT, refusing damaged, other-version and foreign
# objects with a clear message, and no LLVM among its libraries.
#
#   run.sh STAPJIT STAPJIT_RUN GETPPID TEST_OBJECT
#
# GETPPID N makes N getppid calls (the tracepoint cases' workload);
# TEST_OBJECT is tests/bpf/test_object, given a real object here.  Kernel
# probes need root: without it the test exits 77 (skipped).
# Prints "N passed, N failed".
set -u
abs() { case "$1" in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
stapjit=$(abs "$1") run=$(abs "$2") getppid=$(abs "$3") test_object=$(abs "$4")
if [ "$(id -u)" != 0 ]; then
  echo "skipped: loading BPF programs needs root"
  exit 77
fi
cd "$(dirname "${BASH_SOURCE[0]}")/cases" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); }
bad() {
  fail=$((fail + 1))
  echo "FAIL $1"
  shift
  for f in "$@"; do [ -f "$f" ] && sed 's/^/  | /' "$f" | head -n 30; done
}

# same NAME [COMPILE-OPTS...] -- [RUN-OPTS...]: direct run against -p4 + stapjit-run
same() {
  local name=$1 copts=() ropts=()
  shift
  while [ $# -gt 0 ] && [ "$1" != -- ]; do copts+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  ropts=("$@")
  timeout 60 "$stapjit" "${copts[@]}" "${ropts[@]}" "$name.stp" >"$tmp/d.out" 2>"$tmp/d.err" </dev/null
  local drc=$?
  timeout 60 "$stapjit" -p4 -m "obj_$name" "${copts[@]}" "$name.stp" >"$tmp/p4.out" 2>"$tmp/o.err"
  local prc=$?
  if [ $prc -ne 0 ] || [ "$(cat "$tmp/p4.out")" != "obj_$name.bpf.o" ] || [ ! -f "obj_$name.bpf.o" ]; then
    bad "$name: -p4 did not write obj_$name.bpf.o (status $prc)" "$tmp/p4.out" "$tmp/o.err"
    return
  fi
  mv "obj_$name.bpf.o" "$tmp/"
  timeout 60 "$run" "${ropts[@]}" "$tmp/obj_$name.bpf.o" >"$tmp/o.out" 2>>"$tmp/o.err" </dev/null
  local orc=$?
  local why=""
  cmp -s "$tmp/d.out" "$tmp/o.out" || why="$why stdout"
  cmp -s "$tmp/d.err" "$tmp/o.err" || why="$why stderr"
  [ $drc = $orc ] || why="$why status($drc vs $orc)"
  cmp -s "$name.out" "$tmp/o.out" || why="$why expected-stdout"
  if [ -f "$name.err" ]; then cmp -s "$name.err" "$tmp/o.err" || why="$why expected-stderr"; fi
  if [ -f "$name.status" ]; then [ "$(cat "$name.status")" = $orc ] || why="$why expected-status"; fi
  if [ -z "$why" ]; then
    ok
  else
    bad "$name:$why" "$tmp/d.out" "$tmp/o.out" "$tmp/d.err" "$tmp/o.err"
    diff -u "$name.out" "$tmp/o.out" | head -n 20
  fi
}

same host
same tracepoint -- -c "$getppid 7"
same errors -D MAXERRORS=5 -- -c "$getppid 3"
same gvars -G lim=7 -G name=cli

# -G: compile-time values are defaults; the run's own win; only -G globals
"$stapjit" -p4 -m gv -G lim=7 -G name=cli gvars.stp >/dev/null && mv gv.bpf.o "$tmp/"
expect() { # expect NAME STATUS STDOUT STDERR-SUBSTRING CMD...
  local name=$1 want_rc=$2 want_out=$3 want_err=$4
  shift 4
  "$@" >"$tmp/e.out" 2>"$tmp/e.err" </dev/null
  local rc=$?
  local err_ok=1
  if [ -z "$want_err" ]; then [ -s "$tmp/e.err" ] && err_ok=0; else grep -qF -- "$want_err" "$tmp/e.err" || err_ok=0; fi
  if [ $rc = "$want_rc" ] && [ "$(cat "$tmp/e.out")" = "$want_out" ] && [ $err_ok = 1 ]; then
    ok
  else
    bad "$name (status $rc, want $want_rc)" "$tmp/e.out" "$tmp/e.err"
  fi
}
expect "-G default" 0 "lim=7 name=cli" "" "$run" "$tmp/gv.bpf.o"
expect "-G override" 0 "lim=9 name=cli" "" "$run" -G lim=9 "$tmp/gv.bpf.o"
expect "NAME=VALUE after the object" 0 "lim=7 name=x" "" "$run" "$tmp/gv.bpf.o" name=x
expect "-G not a number" 1 "" "'lim' is a long, but 'abc' is not a number" "$run" -G lim=abc "$tmp/gv.bpf.o"
expect "-G not compiled with -G" 1 "" "the object has no global 'other' to set" "$run" -G other=1 "$tmp/gv.bpf.o"
expect "script arguments" 1 "" "script arguments were bound when the object was compiled" "$run" "$tmp/gv.bpf.o" 5

expect "-o FILE" 0 "" "" "$run" -o "$tmp/gv.out" "$tmp/gv.bpf.o"
[ "$(cat "$tmp/gv.out")" = "lim=7 name=cli" ] && ok || bad "-o FILE: the file has not the output" "$tmp/gv.out"

# refusals: damaged, another version, not ours, not ELF, missing
cp "$tmp/gv.bpf.o" "$tmp/damaged.o"
printf '\x55' | dd of="$tmp/damaged.o" bs=1 seek=300 conv=notrunc 2>/dev/null
expect "damaged object" 1 "" "damaged.o: it is damaged: its checksum does not match" "$run" "$tmp/damaged.o"
head -c 1000 "$tmp/gv.bpf.o" >"$tmp/cut.o"
expect "truncated object" 1 "" "cut.o: it" "$run" "$tmp/cut.o"
off=$(grep -obUaP 'STAPJIT\x00' "$tmp/gv.bpf.o" | head -n 1 | cut -d: -f1)
cp "$tmp/gv.bpf.o" "$tmp/v9.o"
printf '\x09' | dd of="$tmp/v9.o" bs=1 seek=$((off + 8)) conv=notrunc 2>/dev/null
expect "other version" 1 "" "v9.o: it is a stapjit object of format version 9, and this program reads version" \
  "$run" "$tmp/v9.o"
expect "not ELF" 1 "" "gvars.stp: not an ELF file" "$run" gvars.stp
expect "missing" 1 "" "nothing.o: No such file or directory" "$run" "$tmp/nothing.o"
if command -v llvm-objcopy-19 >/dev/null; then
  llvm-objcopy-19 --remove-section=.stapjit "$tmp/gv.bpf.o" "$tmp/plain.o"
  expect "foreign object" 1 "" "plain.o: it has no .stapjit section" "$run" "$tmp/plain.o"
fi
"$test_object" "$tmp/gv.bpf.o" >"$tmp/t.out" 2>&1 && ok || bad "test_object on a -p4 object" "$tmp/t.out"

# SIGINT ends a session that waits for it, and the end probe runs
"$stapjit" -p4 -m sig signal.stp >/dev/null && mv sig.bpf.o "$tmp/"
"$run" -o "$tmp/sig.out" "$tmp/sig.bpf.o" 2>"$tmp/sig.err" &
pid=$!
for _ in $(seq 100); do grep -q ready "$tmp/sig.out" 2>/dev/null && break; sleep 0.1; done
kill -INT $pid
wait $pid
rc=$?
if [ $rc = 0 ] && [ "$(cat "$tmp/sig.out")" = "$(printf 'ready\nend after 1')" ]; then ok; else bad "SIGINT (status $rc)" "$tmp/sig.out" "$tmp/sig.err"; fi

# no compiler in stapjit-run: no libLLVM among its libraries and none of
# LLVM's code in it (the generator module links LLVM's static components,
# so its code is recognised by a string LLVM's code generator carries)
llvm_code() { grep -qa "SelectionDAG" "$1"; }
if ! libs=$(ldd "$run"); then
  bad "ldd $run failed"
elif grep -qi llvm <<<"$libs" || llvm_code "$run"; then
  bad "stapjit-run links LLVM: $(grep -i llvm <<<"$libs")"
else
  ok
fi
# the control: the code generator module stapjit loads for pass 4 does have it
gen=$(dirname "$stapjit")/../backend-bpf/libstapjit-bpfgen.so
{ ldd "$gen" | grep -qi llvm || llvm_code "$gen"; } && ok || bad "no LLVM found in $gen either: the check above proves nothing"
# and stapjit itself loads LLVM only when it compiles kernel probes
{ ldd "$stapjit" | grep -qi llvm || llvm_code "$stapjit"; } && bad "stapjit links LLVM at start-up" || ok

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

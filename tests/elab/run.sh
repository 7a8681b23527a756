#!/usr/bin/env bash
# run.sh: pass 2's golden tests.
#
# Each cases/NAME.stp is elaborated from this directory with
#     stapjit -p2 -I tapsets ARGS cases/NAME.stp
# (ARGS from a "# args: ..." line in the script; the default library is
# switched off so only tapsets/ is seen) and what it prints is compared with
# cases/NAME.out:  stdout, a "--- stderr" line, stderr, a "--- exit N" line.
# Timings in "Pass N:" lines and the machine-specific -vv lines are removed.
#
#   run.sh STAPJIT [NAME...]            run all cases, or the named ones
#   UPDATE=1 run.sh STAPJIT [NAME...]   rewrite the .out files from this build
#
# The .out files were written from SystemTap's documented behaviour and the
# output of the real stap -p2; UPDATE is for after a reviewed change only.
# Prints "N passed, N failed"; exits non-zero on any failure.
set -u
if [ $# -lt 1 ]; then
  echo "usage: run.sh STAPJIT [NAME...]" >&2
  exit 2
fi
stapjit=$1
shift
case "$stapjit" in /*) ;; *) stapjit="$PWD/$stapjit" ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")" || exit 2
export STAPJIT_TAPSET_DIR=/nonexistent/stapjit-elab-tests

names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for f in cases/*.stp; do names+=("$(basename "$f" .stp)"); done
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
for name in "${names[@]}"; do
  script=cases/$name.stp
  expected=cases/$name.out
  if [ ! -f "$script" ]; then
    echo "FAIL $name: no $script"
    fail=$((fail + 1))
    continue
  fi
  args=$(sed -n 's/^# args: //p' "$script" | head -n 1)
  # shellcheck disable=SC2086 # ARGS are words on purpose
  timeout 60 "$stapjit" -p2 -I tapsets $args "$script" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  {
    cat "$tmp/out"
    echo "--- stderr"
    sed -e 's/^\(Pass [0-9]: .*\) using .*$/\1/' \
        -e '/^Session arch: /d' -e '/^Tapset library: /d' -e '/^Kernel configuration: /d' "$tmp/err"
    echo "--- exit $rc"
  } >"$tmp/actual"
  if [ "${UPDATE:-}" = 1 ]; then
    cp "$tmp/actual" "$expected"
    echo "updated $name"
    pass=$((pass + 1))
  elif [ -f "$expected" ] && cmp -s "$tmp/actual" "$expected"; then
    pass=$((pass + 1))
  else
    echo "FAIL $name"
    if [ -f "$expected" ]; then diff -u "$expected" "$tmp/actual" | head -n 60
    else echo "  (no $expected)"; fi
    fail=$((fail + 1))
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

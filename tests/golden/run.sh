#!/usr/bin/env bash
# run.sh: golden -p1 and -p2 outputs for the language-coverage scripts.
#
# For each cases/NAME.stp, runs  stapjit -pN OPTS NAME.stp ARGS  for N = 1, 2
# (OPTS from a "# opts: ..." line, ARGS from "# args: ...") and compares
# stdout, then "--- stderr", stderr, then "--- exit N", with cases/NAME.pN.
# The tapset library is switched off so only the script itself is seen.
#
#   run.sh STAPJIT            compare
#   UPDATE=1 run.sh STAPJIT   rewrite the expected files (review the diff!)
#
# The -p1 text is our printer's (stap's form with declared types kept and
# blocks indented), reviewed by hand against the input; -p2 follows the
# form of stap's -p2.  Prints "N passed, N failed".
set -u
stapjit=$1
case "$stapjit" in /*) ;; *) stapjit="$PWD/$stapjit" ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/cases" || exit 2
export STAPJIT_TAPSET_DIR=/nonexistent/stapjit-golden-tests
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
for script in *.stp; do
  name=${script%.stp}
  opts=$(sed -n 's/^# opts: //p' "$script" | head -n 1)
  args=$(sed -n 's/^# args: //p' "$script" | head -n 1)
  for n in 1 2; do
    # shellcheck disable=SC2086 # OPTS and ARGS are words on purpose
    timeout 60 "$stapjit" -p$n $opts "$script" $args >"$tmp/out" 2>"$tmp/err"
    rc=$?
    { cat "$tmp/out"; echo "--- stderr"; cat "$tmp/err"; echo "--- exit $rc"; } >"$tmp/actual"
    expected=$name.p$n
    if [ "${UPDATE:-}" = 1 ]; then
      cp "$tmp/actual" "$expected"
      pass=$((pass + 1))
    elif [ -f "$expected" ] && cmp -s "$tmp/actual" "$expected"; then
      pass=$((pass + 1))
    else
      echo "FAIL $name -p$n"
      if [ -f "$expected" ]; then diff -u "$expected" "$tmp/actual" | head -n 40; else echo "  (no $expected)"; fi
      fail=$((fail + 1))
    fi
  done
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

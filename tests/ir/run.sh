#!/usr/bin/env bash
# run.sh: the .ir tests of the IR's text form, verifier and passes.
#
# Each cases/NAME.ir starts with a line "; RUN: ARGS" (ir-opt's arguments,
# e.g. "-p fold,dce --verify"); ir-opt runs on it from the cases directory and
# its stdout, then, if it failed or wrote to stderr, "--- stderr", stderr and
# "--- exit N", is compared with cases/NAME.expected.  Two more checks per
# case, on the text form itself:
#   - round trip: the input, parsed and printed, prints the same again;
#   - the expected module (when it is one module, not diagnostics or dumps)
#     parses and prints back to exactly itself.
# A case passes when all its checks do.
#
#   run.sh IR-OPT            compare
#   UPDATE=1 run.sh IR-OPT   rewrite the expected files (review the diff!)
#
# Prints "N passed, N failed".
set -u
iropt=$1
case "$iropt" in /*) ;; *) iropt="$PWD/$iropt" ;; esac
cd "$(dirname "${BASH_SOURCE[0]}")/cases" || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

# run_case NAME ARGS...: ir-opt's result, in the .expected format, to stdout
run_case() {
  local rc
  timeout 60 "$iropt" "${@:2}" "$1" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  cat "$tmp/out"
  if [ $rc -ne 0 ] || [ -s "$tmp/err" ]; then
    echo "--- stderr"
    cat "$tmp/err"
    echo "--- exit $rc"
  fi
}

for input in *.ir; do
  name=${input%.ir}
  args=$(sed -n 's/^; RUN: //p' "$input" | head -n 1)
  problems=()
  # shellcheck disable=SC2086 # ARGS are words on purpose
  run_case "$input" $args >"$tmp/actual"
  if [ "${UPDATE:-}" = 1 ]; then
    cp "$tmp/actual" "$name.expected"
  elif [ ! -f "$name.expected" ]; then
    problems+=("no $name.expected")
  elif ! cmp -s "$tmp/actual" "$name.expected"; then
    problems+=("output differs:\n$(diff -u "$name.expected" "$tmp/actual" | head -n 60)")
  fi
  # round trip of the input (inputs that are meant not to parse are exempt)
  if "$iropt" --parse-only "$input" >"$tmp/p1.ir" 2>/dev/null; then
    "$iropt" --parse-only "$tmp/p1.ir" >"$tmp/p2.ir" 2>&1
    cmp -s "$tmp/p1.ir" "$tmp/p2.ir" || problems+=("input does not round-trip:\n$(diff -u "$tmp/p1.ir" "$tmp/p2.ir" | head -n 30)")
  elif ! grep -q -- '^--- exit' "$name.expected" 2>/dev/null; then
    problems+=("input does not parse")
  fi
  # the expected module prints back to itself
  if [ -f "$name.expected" ] && ! grep -q -e '^--- stderr' -e '^; after' "$name.expected"; then
    cp "$name.expected" "$tmp/e.ir"
    "$iropt" --parse-only "$tmp/e.ir" >"$tmp/e2.ir" 2>&1
    cmp -s "$tmp/e.ir" "$tmp/e2.ir" || problems+=("expected output does not round-trip:\n$(diff -u "$tmp/e.ir" "$tmp/e2.ir" | head -n 30)")
  fi
  if [ ${#problems[@]} -eq 0 ]; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $name"
    for p in "${problems[@]}"; do printf '  %b\n' "$p"; done
  fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

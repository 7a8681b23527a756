#!/bin/bash
# run.sh: golden IR text of the lowering.  For each cases/NAME.stp, the IR
# that "test_lower TAPSETS --dump NAME.stp --kernel" prints must equal
# cases/NAME.ir, and its diagnostics cases/NAME.err (an absent .err means
# none).  The text form is ours (ir/print.c), so these files are readable
# diffs; after a deliberate change, regenerate with --update and review.
#
#   run.sh TEST_LOWER TAPSET_DIR CASES_DIR [--update]
#
# Prints "N passed, N failed"; exits non-zero on any failure.
set -u
bin=$1 tapsets=$2 cases=$3 update=${4:-}
pass=0 fail=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for stp in "$cases"/*.stp; do
  name=${stp%.stp}
  (cd "$cases" && ASAN_OPTIONS=detect_leaks=0 "$bin" "$tapsets" --dump "$(basename "$stp")" --kernel \
    >"$tmp/out" 2>"$tmp/err")
  if [ "$update" = --update ]; then
    cp "$tmp/out" "$name.ir"
    if [ -s "$tmp/err" ]; then cp "$tmp/err" "$name.err"; else rm -f "$name.err"; fi
    continue
  fi
  ok=1
  if ! diff -u "$name.ir" "$tmp/out" >"$tmp/diff"; then ok=0; cat "$tmp/diff"; fi
  want_err=/dev/null
  [ -f "$name.err" ] && want_err=$name.err
  if ! diff -u "$want_err" "$tmp/err" >"$tmp/diff"; then ok=0; cat "$tmp/diff"; fi
  if [ $ok = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAIL: $stp"; fi
done
echo "$pass passed, $fail failed"
[ $fail = 0 ]

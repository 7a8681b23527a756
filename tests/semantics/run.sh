#!/usr/bin/env bash
# run.sh: the language-semantics corpus.  Each cases/NAME.stp is run as
#
#     STAPJIT $OPTS <opts> NAME.stp <args>
#
# from the cases directory with a 30 s timeout, where <opts> comes from a
# "# opts: ..." comment line and <args> from a "# args: ..." comment line
# in the first lines of the script (split on blanks, no quoting).
#
# Checks:
#   stdout          must equal NAME.out exactly (a missing .out means empty);
#   stderr          must equal NAME.err exactly, when NAME.err exists;
#   exit status     must equal NAME.status when it exists, else 0.
# Without NAME.err stderr is not compared (warnings may go there).
#
#   run.sh STAPJIT [NAME...]        run all cases, or only the named ones
#   OPTS="-u" run.sh STAPJIT        add options to every run (the
#                                   optimisation on/off differential)
#   KEEP=1 run.sh STAPJIT NAME      keep the actual outputs in /tmp
#
# Prints one FAIL line per failing case with diffs, then
# "N passed, N failed"; exits 1 if any case failed, 2 on usage errors.
set -u
if [ $# -lt 1 ]; then
  echo "usage: $0 STAPJIT [NAME...]" >&2
  exit 2
fi
stapjit=$1
shift
case "$stapjit" in
  /*) ;;
  */*) stapjit="$PWD/$stapjit" ;;
  *) stapjit=$(command -v "$stapjit" || echo "$stapjit") ;;
esac
cd "$(dirname "${BASH_SOURCE[0]}")/cases" || exit 2
tmp=$(mktemp -d)
if [ "${KEEP:-}" = 1 ]; then echo "outputs kept in $tmp"; else trap 'rm -rf "$tmp"' EXIT; fi

if [ $# -gt 0 ]; then
  names=("$@")
else
  names=()
  for f in *.stp; do names+=("${f%.stp}"); done
fi

# known-failures.txt: listed cases may fail (counted as known); passing is news.
known=" $(sed -e 's/#.*//' ../known-failures.txt 2>/dev/null | awk 'NF {print $1}' | tr '\n' ' ') "
pass=0 fail=0 nknown=0
for name in "${names[@]}"; do
  name=${name%.stp}
  script=$name.stp
  if [ ! -f "$script" ]; then
    echo "FAIL $name: no such case"
    fail=$((fail + 1))
    continue
  fi
  opts=$(head -n 5 "$script" | sed -n 's/^# opts: //p' | head -n 1)
  args=$(head -n 5 "$script" | sed -n 's/^# args: //p' | head -n 1)
  # shellcheck disable=SC2086 # OPTS, opts and args are word lists on purpose
  timeout 30 "$stapjit" ${OPTS:-} $opts "$script" $args \
    >"$tmp/$name.stdout" 2>"$tmp/$name.stderr" </dev/null
  rc=$?
  want_rc=0
  [ -f "$name.status" ] && want_rc=$(tr -d ' \n' <"$name.status")
  want_out=$name.out
  [ -f "$want_out" ] || want_out=/dev/null
  ok=1 why=""
  if ! cmp -s "$want_out" "$tmp/$name.stdout"; then ok=0; why="$why stdout"; fi
  if [ -f "$name.err" ] && ! cmp -s "$name.err" "$tmp/$name.stderr"; then ok=0; why="$why stderr"; fi
  if [ "$rc" != "$want_rc" ]; then
    ok=0
    if [ "$rc" = 124 ]; then why="$why status(timeout)"; else why="$why status($rc, want $want_rc)"; fi
  fi
  case "$known" in *" $name "*) is_known=1 ;; *) is_known=0 ;; esac
  if [ $ok = 1 ] && [ $is_known = 1 ]; then
    fail=$((fail + 1))
    echo "FAIL $name: passes now; remove it from known-failures.txt"
  elif [ $ok = 1 ]; then
    pass=$((pass + 1))
  elif [ $is_known = 1 ]; then
    nknown=$((nknown + 1))
  else
    fail=$((fail + 1))
    echo "FAIL $name:$why"
    echo "  (in cases/: $stapjit ${OPTS:-} $opts $script $args)"
    case "$why" in *stdout*)
      diff -u --label "$name.out (expected)" --label "stdout (actual)" \
        "$want_out" "$tmp/$name.stdout" | head -n 40 ;;
    esac
    case "$why" in *stderr*)
      diff -u --label "$name.err (expected)" --label "stderr (actual)" \
        "$name.err" "$tmp/$name.stderr" | head -n 40 ;;
    esac
    case "$why" in *status*)
      if [ ! -f "$name.err" ] && [ -s "$tmp/$name.stderr" ]; then
        echo "--- stderr:"; head -n 10 "$tmp/$name.stderr"
      fi ;;
    esac
  fi
done
[ "$nknown" -gt 0 ] && echo "$nknown known failures (known-failures.txt)"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]

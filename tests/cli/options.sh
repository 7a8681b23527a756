#!/usr/bin/env bash
# options.sh: checks stapjit's command-line handling: exit statuses and the
# stap-like messages for --help, --version, bad options, missing arguments,
# and passes or options that are not implemented yet; -p3, running (pass 5)
# and the options that go with it.
#
#   bash options.sh path/to/stapjit
#
# Runs with an empty tapset library ($STAPJIT_TAPSET_DIR), so it tests the
# driver, not the library; the few runs that need exit() use the source
# tree's library.  Prints one line per failed check, then "N passed, M
# failed"; exits non-zero if any check failed.
set -u

stapjit=${1:?usage: options.sh path/to/stapjit}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/tapsets"
export STAPJIT_TAPSET_DIR="$tmp/tapsets"
library=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../tapsets" && pwd)

passed=0
failed=0

# run ARGS...: runs stapjit with stdin from $stdin (default /dev/null); sets
# $rc, $out (stdout) and $err (stderr).
run() {
  "$stapjit" "$@" >"$tmp/out" 2>"$tmp/err" <"${stdin:-/dev/null}"
  rc=$?
  out=$(<"$tmp/out")
  err=$(<"$tmp/err")
}

fail() {
  failed=$((failed + 1))
  printf 'FAIL: %s\n' "$1"
  printf '  rc=%s\n  stdout: %s\n  stderr: %s\n' "$rc" "${out:0:400}" "${err:0:400}"
}

# check NAME WANT_RC STREAM PATTERN [ARGS...]: run ARGS, expect exit status
# WANT_RC and the fixed string PATTERN in STREAM (out or err).
check() {
  local name=$1 want=$2 stream=$3 pattern=$4
  shift 4
  run "$@"
  local text=$out
  [[ $stream == err ]] && text=$err
  if [[ $rc -ne $want ]]; then
    fail "$name: exit status $rc, expected $want"
  elif [[ $text != *"$pattern"* ]]; then
    fail "$name: std$stream lacks '$pattern'"
  else
    passed=$((passed + 1))
  fi
}

# check_not NAME PATTERN: the last run's stderr must not contain PATTERN.
check_not() {
  if [[ $err == *"$2"* ]]; then
    fail "$1: stderr has '$2'"
  else
    passed=$((passed + 1))
  fi
}

ok_script='probe begin { print("hi") }'

check "--help" 0 out "Usage: stapjit" --help
check "-h" 0 out "Usage: stapjit" -h
check "-h wins over what follows" 0 out "Usage: stapjit" -h -Q
check "-V" 0 out "stapjit (SystemTap-compatible)" -V
check "--version" 0 out "version" --version

check "unknown short option" 1 err "stapjit: invalid option -- 'Q'" -Q
check "unknown short option hint" 1 err "Try '--help' for more information." -Q
check "unknown long option" 1 err "stapjit: unrecognized option '--no-such-option'" --no-such-option
check "unknown long option hint" 1 err "Try '--help'" --no-such-option
check "missing -e argument" 1 err "stapjit: option requires an argument -- 'e'" -e
check "missing -e argument hint" 1 err "Try '--help'" -e
check "missing --runtime argument" 1 err "option '--runtime' requires an argument" --runtime
check "no script" 1 err "A script must be specified." -p1
check "no script hint" 1 err "Try '--help'" -p1
check "two -e" 1 err "Only one script can be given" -e "$ok_script" -e "$ok_script"
check "bad pass number" 1 err "Invalid pass number (should be 1-5)." -p 9 -e "$ok_script"
check "bad --runtime" 1 err "foo is an invalid argument for --runtime" --runtime=foo -e "$ok_script"
check "bad --backend" 1 err "foo is an invalid argument for --backend" --backend=foo -e "$ok_script"
check "bad -D" 1 err "Safety pattern mismatch for -D parameter" -D '1bad;rm' -e "$ok_script"
check "bad -G" 1 err "Safety pattern mismatch for -G parameter" -G novalue -e "$ok_script"

exit_script='probe begin { print("hi") exit() }'
STAPJIT_TAPSET_DIR=$library check "-o" 0 out "" -o "$tmp/o" -e "$exit_script"
if [[ $(<"$tmp/o") == hi ]]; then passed=$((passed + 1)); else fail "-o: $tmp/o does not hold the output"; fi
check "-m bad name" 1 err "invalid module name '1x'" -m 1x -e "$ok_script"
check "-T bad" 1 err "invalid timeout 'abc' for -T" -T abc -e "$ok_script"
check "-s bad" 1 err "Invalid buffer size '0' (should be 1-4095 MB)." -s 0 -e "$ok_script"
STAPJIT_TAPSET_DIR=$library check "-T ends the session" 0 out "hi bye" -T 0.5 \
  -e 'probe begin { print("hi") } probe end { print(" bye") }'
check "-d" 1 err "stapjit: option -d is not implemented yet" -d /bin/true -e "$ok_script"
check "-c and -x" 1 err "You can't specify -c and -x options together." -c true -x 1 -e "$ok_script"
check "-x bad" 1 err "Invalid target process ID number." -x 12abc -e "$ok_script"
STAPJIT_TAPSET_DIR=$library check "-c runs the command, ends with it" 0 out "b 1 e" -c "sleep 0.2" \
  -e 'probe begin { printf("b %d", target() > 0) } probe end { print(" e") }'
STAPJIT_TAPSET_DIR=$library check "-x sets target()" 0 out "4242" -x 4242 -e 'probe begin { print(target()) exit() }'
check "--ldd" 1 err "stapjit: option --ldd is not implemented yet" --ldd -e "$ok_script"

# -p3 prints the IR; pass 4 is refused only after passes 1-3 succeed...
check "-p3" 0 out 'probe begin seq 0 host "begin"' -p3 -e "$ok_script"
check "--dump-ir" 0 out "; after ssa" -p3 --dump-ir=ssa -e "$ok_script"
check "--dump-ir=bogus" 1 err "stapjit: --dump-ir: no pass 'bogus'" --dump-ir=bogus -e "$ok_script"
check "-p4 --backend=kmod" 1 err "stapjit: the kmod backend is not implemented yet" \
  -p4 --backend=kmod -e "$ok_script"
check "kernel probes, kmod" 1 err "stapjit: the kmod backend is not implemented yet" \
  --backend=kmod -e 'probe timer.s(1) { print("x") }'
# ...so that errors in the script come first.
check "-p3, parse error" 1 err "Pass 1: parse failed.  [man error::pass1]" -p3 -e 'probe begin {'
check_not "-p3, parse error" "not implemented"

# No -p runs the script; without exit() it runs until interrupted, then the
# end probes run.
run_interrupted() {
  timeout --preserve-status -s INT 3 "$stapjit" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
  out=$(<"$tmp/out")
  err=$(<"$tmp/err")
}
run_interrupted -e 'probe begin { print("hi") } probe end { print(" bye") }'
if [[ $rc -eq 0 && $out == "hi bye" ]]; then passed=$((passed + 1)); else fail "SIGINT ends the run"; fi
STAPJIT_TAPSET_DIR=$library check "no -p runs" 0 out "hi" -e "$exit_script"
STAPJIT_TAPSET_DIR=$library check "runtime error" 1 err "ERROR: division by 0 near operator '/' at <input>:1:" \
  -e 'global z; probe begin { println(1 / z) }'
check "-D unknown" 1 err "stapjit: -D FOO is not supported" -D FOO=1 -e "$ok_script"
check "-D not a number" 1 err "stapjit: -D MAXACTION=abc needs a number" -D MAXACTION=abc -e "$ok_script"
STAPJIT_TAPSET_DIR=$library check "--no-global-var-display" 0 out "" --no-global-var-display \
  -e 'global g; probe begin { g = 1; exit() }'
if [[ -z $out ]]; then passed=$((passed + 1)); else fail "--no-global-var-display printed '$out'"; fi
STAPJIT_TAPSET_DIR=$library check "global display" 0 out "g=1" -e 'global g; probe begin { g = 1; exit() }'

# Options stop at the script (FILE, or the first non-option after -e
# SCRIPT): what follows is the script's arguments.
printf '%s\n' "$ok_script" >"$tmp/ok.stp"
check "args after FILE" 0 out 'print("hi")' -p1 "$tmp/ok.stp" -o x -Q
check "args after -e" 0 out 'print("hi")' -p1 -e "$ok_script" arg1 -o x -Q
stdin="$tmp/ok.stp" check "script on stdin" 0 out 'print("hi")' -p1 -
check "-p1 with -v" 0 err "Pass 1: parsed user script and 0 library scripts using " \
  -v -p1 -e "$ok_script"
check "-p2 with -v" 0 err "Pass 2: analyzed script: 1 probe, " -v -p2 -e "$ok_script"
check "accepted options" 0 out "" -p2 -g -u -w -I "$tmp" -D MAXACTION=100 -G x=1 \
  -r 6.1.0-test -a x86_64 --runtime=kernel --bpf -e 'global x; probe begin { print(x) }'

printf '%d passed, %d failed\n' "$passed" "$failed"
((failed == 0))

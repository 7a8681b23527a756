#!/usr/bin/env bash
# cache.sh: the cache of compiled BPF objects (cli/cache.c), in a private
# $SYSTEMTAP_DIR: a second compile of the same script is a hit that -v
# names; a changed source, a changed limit or another -u misses;
# --disable-cache neither reads nor writes, --poison-cache writes but does
# not read; --clean-cache prunes to cache_mb_limit; and a cached object
# runs (as root: pass 5 attaches a tracepoint).
#
#   bash cache.sh path/to/stapjit
set -u

stapjit=${1:?usage: cache.sh path/to/stapjit}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export SYSTEMTAP_DIR="$tmp/stapdir"
cache="$SYSTEMTAP_DIR/cache/stapjit"
passed=0
failed=0

ok() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'FAIL: %s\n  stderr: %s\n' "$1" "$(head -c 600 "$tmp/err")"
}
check() {
  local what=$1
  shift
  if "$@"; then ok; else fail "$what"; fi
}
# p4 ARGS...: stapjit -v -p4 ARGS (in $tmp), stderr in $tmp/err
p4() { (cd "$tmp" && "$stapjit" -v -p4 "$@") >/dev/null 2>"$tmp/err"; rc=$?; }
compiled() { grep -q '^Pass 4: compiled BPF object' "$tmp/err"; }
hit() { grep -q "^Pass 4: using cached $cache/stapjit_[0-9a-f]\{32\}\.bpf\.o\$" "$tmp/err"; }
entries() { find "$cache" -name 'stapjit_*.bpf.o' 2>/dev/null | wc -l; }

cat >"$tmp/a.stp" <<'STP'
global n
probe kernel.trace("syscalls:sys_enter_getppid") { n++ }
probe timer.ms(20) { printf("n>=0 %d\n", n >= 0) exit() }
STP

p4 --disable-cache a.stp
check "--disable-cache: compiled (rc $rc)" compiled
check "--disable-cache: nothing written ($(entries))" test "$(entries)" = 0
p4 a.stp
check "first run: compiled" compiled
check "first run: one object in the cache ($(entries))" test "$(entries)" = 1
check "first run: cache_mb_limit made with 256" test "$(cat "$cache/cache_mb_limit" 2>/dev/null)" = 256
p4 a.stp
check "second run: a hit, named by -v" hit
check "second run: status $rc" test "$rc" = 0
p4 --poison-cache a.stp
check "--poison-cache: compiled" compiled
p4 -u a.stp
check "-u: another object" compiled
p4 -DMAXSTRINGLEN=64 a.stp
check "-DMAXSTRINGLEN=64: another object" compiled
printf '# a comment\n' >>"$tmp/a.stp"
p4 a.stp
check "an edited source: another object (its line info quotes the source)" compiled
check "four objects now ($(entries))" test "$(entries)" = 4
p4 --dump-asm a.stp
check "--dump-asm compiles (it prints while compiling)" compiled

if [[ $(id -u) == 0 ]]; then
  (cd "$tmp" && "$stapjit" -v a.stp) >"$tmp/out" 2>"$tmp/err"
  check "a cached object runs: $(cat "$tmp/out")" eval 'hit && grep -qx "n>=0 1" "$tmp/out"'
fi

echo 0 >"$cache/cache_mb_limit"
"$stapjit" --clean-cache 2>"$tmp/err"
check "--clean-cache with a 0 MiB limit: status $?, $(entries) objects left" test "$(entries)" = 0

echo "$passed passed, $failed failed"
((failed == 0))

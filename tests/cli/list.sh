#!/usr/bin/env bash
# list.sh: stap's -l PROBE and -L PROBE (cli/list.c, frontend/elab-list.c,
# backend-bpf/kbtf.c): the points listed, sorted and once each, as stap
# prints them; -L's script variables (name:type) and target variables
# ($name:type); nothing on either stream and exit status 1 when nothing
# matches (stap: "the process result code will indicate failure if there
# are no matches"; its errors show only with -vv); the errors that keep a
# point from being listed at all.
#
#   bash list.sh path/to/stapjit host     points the translator knows, aliases
#   bash list.sh path/to/stapjit kernel   tracepoints, syscall.*, kernel
#                                         functions: root, tracefs and BTF
#                                         (exits 77 without them)
#
# Prints one line per failed check, then "N passed, M failed"; exits
# non-zero if any check failed.
set -u

stapjit=${1:?usage: list.sh path/to/stapjit host|kernel}
part=${2:?usage: list.sh path/to/stapjit host|kernel}
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
export LC_ALL=C

passed=0
failed=0

# run ARGS...: sets $rc, $out (stdout) and $err (stderr)
run() {
  "$stapjit" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
  out=$(<"$tmp/out")
  err=$(<"$tmp/err")
}

fail() {
  failed=$((failed + 1))
  printf 'FAIL: %s\n' "$1"
  printf '  rc=%s\n  stdout: %s\n  stderr: %s\n' "$rc" "${out:0:600}" "${err:0:600}"
}

ok() { passed=$((passed + 1)); }

# exact NAME WANT_STDOUT ARGS...: exit status 0, stdout exactly WANT, stderr empty
exact() {
  local name=$1 want=$2
  shift 2
  run "$@"
  if [[ $rc -ne 0 ]]; then fail "$name: exit status $rc, expected 0"
  elif [[ $out != "$want" ]]; then fail "$name: stdout is not '$want'"
  elif [[ -n $err ]]; then fail "$name: stderr is not empty"
  else ok; fi
}

# has NAME PATTERN...: the last run's stdout contains every fixed string
has() {
  local name=$1
  shift
  for p in "$@"; do
    if [[ $out != *"$p"* ]]; then
      fail "$name: stdout lacks '$p'"
      return
    fi
  done
  ok
}

# nomatch NAME ARGS...: exit status 1 and nothing on either stream
nomatch() {
  local name=$1
  shift
  run "$@"
  if [[ $rc -ne 1 ]]; then fail "$name: exit status $rc, expected 1"
  elif [[ -n $out || -n $err ]]; then fail "$name: expected no output at all"
  else ok; fi
}

# error NAME PATTERN ARGS...: exit status 1, nothing on stdout, PATTERN on stderr
error() {
  local name=$1 pattern=$2
  shift 2
  run "$@"
  if [[ $rc -ne 1 ]]; then fail "$name: exit status $rc, expected 1"
  elif [[ -n $out ]]; then fail "$name: expected nothing on stdout"
  elif [[ $err != *"$pattern"* ]]; then fail "$name: stderr lacks '$pattern'"
  else ok; fi
}

# sorted NAME PREFIX MIN: stdout has at least MIN lines, sorted, each once,
# each starting with PREFIX
sorted() {
  local name=$1 prefix=$2 min=$3 n
  n=$(printf '%s\n' "$out" | grep -c .)
  if [[ $rc -ne 0 ]]; then fail "$name: exit status $rc, expected 0"
  elif ((n < min)); then fail "$name: $n lines, expected at least $min"
  elif ! printf '%s\n' "$out" | sort -c -u 2>/dev/null; then fail "$name: not sorted, or repeated lines"
  elif printf '%s\n' "$out" | cut -c1-${#prefix} | grep -v -q -x -F "$prefix"; then
    fail "$name: a line not starting with '$prefix'"
  else ok; fi
}

host_part() {
  # an empty library but for a few aliases of our own
  mkdir "$tmp/tapsets"
  export STAPJIT_TAPSET_DIR="$tmp/tapsets"
  cat >"$tmp/tapsets/t.stp" <<'STP'
probe foo.bar = begin { name = "x"; v = 5 }
probe foo.baz = end { s = "a" }
probe foo.nested = foo.bar { w = "q" . name }
probe foo.two = begin, end { t = 1 }
probe tt = timer.s(1) { a = 1 }
probe uu = begin { x = y }
STP
  exact "-l begin" "begin" -l begin
  exact "-L begin" "begin" -L begin
  exact "-l timer.ms(100)" "timer.ms(100)" -l 'timer.ms(100)'
  exact "-l timer.s(1).randomize(1)" "timer.s(1).randomize(1)" -l 'timer.s(1).randomize(1)'
  exact "-l never" "never" -l never
  exact "-l perf" "perf.sw.cpu_clock.sample(1000)" -l 'perf.sw.cpu_clock.sample(1000)'
  exact "canonical number" "begin(16)" -l 'begin(0x10)'
  exact "flags kept" "timer.ms(100)?" -l 'timer.ms(100)?'
  exact "condition kept" "begin if (1)" -l 'begin if (1)'
  exact "sorted, once" $'begin\nend' -l 'end,begin,begin'
  exact "alias names" $'foo.bar\nfoo.baz\nfoo.nested\nfoo.two' -l 'foo.*'
  exact "optional glob" $'foo.bar\nfoo.baz\nfoo.nested\nfoo.two' -l 'foo.*?'
  exact "alias variables" 'foo.bar name:string v:long' -L foo.bar
  exact "nested alias" 'foo.nested name:string v:long w:string' -L foo.nested
  exact "alias to two points" 'foo.two t:long' -L foo.two
  exact "alias with a suffix" 'tt.randomize(1) a:long' -L 'tt.randomize(1)'
  exact "untyped variables" 'uu x:unknown y:unknown' -L uu
  exact "what matched, of two" "begin" -l 'begin,foo.nosuch'
  nomatch "no match" -l nosuch.point
  nomatch "no match, -L" -L 'foo.nosuch'
  nomatch "bad suffix" -l 'foo.bar.nosuch'
  nomatch "timer out of range" -l 'timer.ms(0)'
  run -vv -l nosuch.point
  if [[ $rc -eq 1 && -z $out && $err == *"probe point mismatch"* ]]; then ok
  else fail "-vv shows why nothing matched"; fi
  error "parse error" "Pass 1: parse failed" -l 'timer.ms(*)'
  error "-l and -e" "Only one script can be given on the command line." -l begin -e 'probe end {}'
  error "-e and -L" "Only one script can be given on the command line." -e 'probe end {}' -L begin
  error "unexpanded pattern" "does not expand patterns in process(...)" -l 'process("/bin/*").function("main")'
  # -p does not turn listing into a run
  exact "-l with -p5" "never" -p5 -l never
}

kernel_part() {
  if [[ $(id -u) -ne 0 ]]; then
    echo "list.sh kernel: needs root (tracefs); skipped"
    exit 77
  fi
  if [[ ! -r /sys/kernel/btf/vmlinux ]]; then
    echo "list.sh kernel: the kernel has no BTF; skipped"
    exit 77
  fi
  run -l 'kernel.trace("sched:sched_switch")'
  local tfs
  for tfs in /sys/kernel/tracing /sys/kernel/debug/tracing; do
    [[ -r $tfs/available_events ]] && break
  done
  if [[ ! -r $tfs/events/sched/sched_switch/format ]]; then
    echo "list.sh kernel: no tracefs with sched:sched_switch; skipped"
    exit 77
  fi

  # tracepoints
  exact "one tracepoint" 'kernel.trace("sched:sched_switch")' -l 'kernel.trace("sched:sched_switch")'
  exact "event without system" 'kernel.trace("sched:sched_switch")' -l 'kernel.trace("sched_switch")'
  run -L 'kernel.trace("sched:sched_switch")'
  has "-L tracepoint" 'kernel.trace("sched:sched_switch") $' ' $prev_pid:pid_t' ' $next_comm:char[16]' \
    ' $prev_state:long int'
  [[ $out != *common_* && $(printf '%s\n' "$out" | wc -l) -eq 1 ]] && ok || fail "-L tracepoint: one line, no common_ fields"
  run -l 'kernel.trace("sched:sched_*")'
  sorted "tracepoint glob" 'kernel.trace("sched:sched_' 3
  local want
  want=$(ls -d "$tfs"/events/sched/sched_* | wc -l)
  [[ $(printf '%s\n' "$out" | wc -l) -eq $want ]] && ok || fail "tracepoint glob: not the $want sched_* events"
  run -L 'kernel.trace("syscalls:sys_enter_openat")'
  has "-L pointer field" ' $filename:char const*'
  nomatch "no tracepoint" -l 'kernel.trace("nosuch_sys:nosuch_event")'
  run -vv -l 'kernel.trace("nosuch_sys:nosuch_event")'
  [[ $rc -eq 1 && $err == *"no tracepoint matches 'nosuch_sys:nosuch_event'"* ]] && ok ||
    fail "-vv: why no tracepoint matched"

  # syscall.* aliases, made from the syscall tracepoints
  exact "syscall alias" "syscall.openat" -l syscall.openat
  run -L syscall.openat
  has "-L syscall alias" 'syscall.openat name:string ' ' dfd:long' ' filename:string' ' flags:long' \
    ' argstr:string $' ' $filename:char const*' ' $dfd:int'
  exact "syscall return" "syscall.openat.return" -l syscall.openat.return
  run -L syscall.openat.return
  has "-L syscall return" 'syscall.openat.return name:string retval:long retstr:string' ' $ret:long int'
  run -l 'syscall.*'
  sorted "syscall.*" "syscall." 100
  [[ $out != *.return* ]] && ok || fail "syscall.* lists no .return aliases"
  # the syscalls syscalls.c makes aliases of: a readable format with __syscall_nr
  local n=0 f
  for f in "$tfs"/events/syscalls/sys_enter_*/format; do
    grep -q '__syscall_nr;' "$f" 2>/dev/null && n=$((n + 1))
  done
  [[ $(printf '%s\n' "$out" | wc -l) -eq $n ]] && ok ||
    fail "syscall.*: $(printf '%s\n' "$out" | wc -l) aliases, but $n sys_enter_ tracepoints"
  # an argument called like an alias variable is renamed (sethostname(name, len))
  run -L syscall.sethostname
  has "renamed argument" 'syscall.sethostname name:string name_uaddr:long len:long argstr:string'
  run -p2 -e 'probe syscall.* { printf("%s\n", name) }'
  [[ $rc -eq 0 ]] && ok || fail "syscall.* with name elaborates"

  # kernel functions, from BTF and kallsyms
  run -l 'kernel.function("vfs_rea*")'
  sorted "function glob" 'kernel.function("vfs_rea' 1
  has "function glob" 'kernel.function("vfs_read")'
  run -L 'kernel.function("vfs_read")'
  has "-L function" 'kernel.function("vfs_read") $file:struct file* ' ' $count:size_t' ' $pos:loff_t*'
  run -L 'kernel.function("vfs_read").return'
  has "-L return" 'kernel.function("vfs_read").return $return:ssize_t $file:struct file* '
  exact "kprobe.function" 'kprobe.function("vfs_read")' -L 'kprobe.function("vfs_read")'
  nomatch "no function" -l 'kernel.function("nosuch_function_xyz*")'
  nomatch "no module" -l 'module("nosuch_module_xyz").function("*")'
  error "source file" "records no source files" -l 'kernel.function("vfs_read@fs/read_write.c")'
  error "inline" "does not tell which functions were inlined" -l 'kernel.function("vfs_read").inline'
}

case $part in
host) host_part ;;
kernel) kernel_part ;;
*) echo "usage: list.sh path/to/stapjit host|kernel" >&2; exit 2 ;;
esac

echo "$passed passed, $failed failed"
[[ $failed -eq 0 ]]

#!/usr/bin/env bash
# live.sh: kernel probes attached live, with the events counted exactly where
# the test makes them (live_helper's getppid calls) and within a tolerance
# where they come from a clock; session control (-c, -x, -T, -o, signals,
# exit(), MAXERRORS); lost records; and that nothing stays attached after
# stapjit exits, whichever way it exits.
#
#   bash live.sh STAPJIT LIVE_HELPER CASE...
#
# Each CASE is a function below (case_NAME); ctest runs one per test.  Needs
# root (BPF, tracefs, perf events): without it every case exits 77 (skipped).
# Attachment checks use bpftool (scripts/setup.sh installs it): while stapjit
# runs, the BPF programs, links and maps it holds are read from
# /proc/PID/fdinfo; after it exits each must be gone from `bpftool prog/link/
# map show id N`.  IDs are never reused soon, so concurrent tests and other
# tracers do not disturb the check.
#
# Time-based counts allow for a loaded 2-CPU VM, whose CPUs the host may not
# run for a while (stolen time costs a CPU's timers their ticks): at least a
# quarter of the nominal count, at most 10% (plus one) over it.  What the
# periods must get right is checked more tightly as ratios between probes
# that fire on the same CPU in the same run, which lose ticks together.
# Each run has a timeout, so a hang fails the case instead of blocking ctest.
#
# Prints one line per failed check and "N passed, N failed"; exits 1 on any
# failure, 77 when skipped.
set -u

stapjit=${1:?usage: live.sh STAPJIT LIVE_HELPER CASE...}
helper=${2:?usage: live.sh STAPJIT LIVE_HELPER CASE...}
shift 2

if [[ $EUID -ne 0 ]]; then
  echo "SKIP: live BPF tests need root"
  exit 77
fi

tmp=$(mktemp -d) || exit 1
bgpid=
cleanup() {
  [[ -n $bgpid ]] && kill -KILL "$bgpid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

passed=0
failed=0
skipped=0

ok() { passed=$((passed + 1)); }
fail() {
  failed=$((failed + 1))
  printf 'FAIL [%s]: %s\n' "$case_name" "$1"
  [[ -f $tmp/out ]] && printf '  stdout: %s\n' "$(head -c 600 "$tmp/out")"
  [[ -f $tmp/err ]] && printf '  stderr: %s\n' "$(head -c 600 "$tmp/err")"
}
# check DESCRIPTION COMMAND...: passes when COMMAND succeeds.
check() {
  local what=$1
  shift
  if "$@"; then ok; else fail "$what"; fi
}
# within VALUE LOW HIGH
within() { [[ $1 =~ ^[0-9]+$ ]] && (($1 >= $2 && $1 <= $3)); }
# near VALUE NOMINAL: a count from a clock, on a loaded machine.
near() { within "$1" $(($2 / 4)) $(($2 + $2 / 10 + 1)); }
# ratio A B NOMINAL: 100*A/B is within 25% of NOMINAL (A and B counted on the
# same CPU over the same time).
ratio() {
  [[ $1 =~ ^[0-9]+$ && $2 =~ ^[1-9][0-9]*$ ]] || return 1
  within $((100 * $1 / $2)) $(($3 * 3 / 4)) $(($3 * 5 / 4))
}
# value NAME: the number after "NAME=" in the output.
value() { sed -n "s/^$1=\\([0-9-]*\\).*/\\1/p" "$tmp/out" | head -n 1; }

# skipped: the "skipped probes: N" of stapjit's closing warning (0 without
# one).  The kernel skips a BPF program that would run while another one is
# running on the same CPU (other tracers on a shared machine); stapjit
# reports those hits, so a timer count short by them is accounted for.
skipped() { local n; n=$(sed -n 's/.*skipped probes: \([0-9]*\).*/\1/p' "$tmp/err" | head -n 1); echo "${n:-0}"; }
# low_ok LOW NOMINAL: LOW is near NOMINAL, or, with skipped hits reported,
# LOW plus them reaches a quarter of it.
low_ok() {
  near "$1" "$2" && return 0
  local sk
  sk=$(skipped)
  [[ $sk -gt 0 && $1 =~ ^[0-9]+$ ]] && within $(($1 + sk)) $(($2 / 4)) 1000000000
}

now_ms() { date +%s%3N; }

# run [TIMEOUT] -- ARGS...: stapjit ARGS in the foreground; sets rc, elapsed
# (ms), and leaves $tmp/out and $tmp/err.
run() {
  local limit=30
  if [[ $1 != -- ]]; then limit=$1; shift; fi
  shift
  local t0
  t0=$(now_ms)
  timeout -s KILL "$limit" "$stapjit" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null
  rc=$?
  elapsed=$(($(now_ms) - t0))
}

# busy SECONDS: a spinning process pinned to each online CPU for SECONDS.
# A tickless kernel stops an idle CPU's tick, and with it timer.profile and
# cpu-clock samples there (bpftrace's profile:hz sees the same), so the
# per-CPU cases keep every CPU busy while they count.
busy() {
  local c
  busy_pids=()
  for c in $(seq 0 $(($(getconf _NPROCESSORS_ONLN) - 1))); do
    taskset -c "$c" timeout "$1" sh -c 'while :; do :; done' &
    busy_pids+=($!)
  done
}
unbusy() { kill "${busy_pids[@]}" 2>/dev/null; wait "${busy_pids[@]}" 2>/dev/null; busy_pids=(); }

# ---- running in the background, and what it leaves attached ------------------

# start ARGS...: stapjit ARGS in the background (bgpid).
start() {
  rm -f "$tmp/out" "$tmp/err" "$tmp/ids"
  "$stapjit" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null &
  bgpid=$!
}

# wait_line TEXT: until a line of the output is TEXT (20 s), while stapjit runs.
wait_line() {
  local k
  for ((k = 0; k < 2000; k++)); do
    grep -qx -- "$1" "$tmp/out" 2>/dev/null && return 0
    kill -0 "$bgpid" 2>/dev/null || return 1
    sleep 0.01
  done
  return 1
}

# collect_ids: the BPF programs, links and maps stapjit holds now, as
# "prog N" / "link N" / "map N" lines in $tmp/ids.  Fails unless one of the
# programs is a probe handler (probe_N), so that the later check means
# something.
collect_ids() {
  local f
  : >"$tmp/ids"
  for f in /proc/"$bgpid"/fdinfo/*; do
    sed -n -e 's/^prog_id:[[:space:]]*\([0-9]*\)$/prog \1/p' -e 's/^link_id:[[:space:]]*\([0-9]*\)$/link \1/p' \
      -e 's/^map_id:[[:space:]]*\([0-9]*\)$/map \1/p' "$f" 2>/dev/null
  done | sort -u >"$tmp/ids"
  local id
  while read -r kind id; do
    [[ $kind == prog ]] || continue
    bpftool prog show id "$id" 2>/dev/null | grep -q " name probe_[0-9]" && return 0
  done <"$tmp/ids"
  return 1
}

# finish: waits for the background stapjit (20 s, then SIGKILL); sets rc.
finish() {
  local k
  for ((k = 0; k < 2000; k++)); do
    kill -0 "$bgpid" 2>/dev/null || break
    sleep 0.01
  done
  kill -0 "$bgpid" 2>/dev/null && kill -KILL "$bgpid"
  wait "$bgpid"
  rc=$?
  bgpid=
}

# detached: every id of $tmp/ids is gone (the kernel frees them shortly after
# the last descriptor closes: 5 s).
detached() {
  local k kind id left
  for ((k = 0; k < 500; k++)); do
    left=0
    while read -r kind id; do
      bpftool "$kind" show id "$id" >/dev/null 2>&1 && left=$((left + 1))
    done <"$tmp/ids"
    ((left == 0)) && return 0
    sleep 0.01
  done
  echo "  still there after stapjit exited:" $(while read -r kind id; do
    bpftool "$kind" show id "$id" >/dev/null 2>&1 && echo "$kind $id"; done <"$tmp/ids")
  return 1
}

need_bpftool() {
  command -v bpftool >/dev/null && return 0
  fail "bpftool is not installed (scripts/setup.sh installs it)"
  return 1
}

# A kernel probe that says once, from the kernel, that probes run.
RUNNING='global running_said; probe timer.ms(10) { if (!running_said) { running_said = 1; printf("running\n") } }'

# ---- tracepoints -------------------------------------------------------------

case_tracepoint() {
  run -- -c "$helper getppid 1000" -e 'global n, all
    probe kernel.trace("syscalls:sys_enter_getppid") { all++; if (pid() == target()) n++ }
    probe end { printf("n=%d\nall_ok=%d\n", n, all >= n) }'
  check "exit status $rc" test "$rc" -eq 0
  check "n=$(value n), expected 1000 (the command's getppid calls)" test "$(value n)" = 1000
  check "all getppid calls include the command's" test "$(value all_ok)" = 1
}

# Probes whose bodies differ only in constants share one BPF program
# (backend-bpf/merge.c): each must still count with its own constants, and
# an error in each must name its own line.
case_merged() {
  local script k tp lines
  script='global c, t'
  k=0
  for tp in enter_getppid enter_getpgid enter_getsid enter_sethostname enter_acct enter_syncfs enter_vhangup \
    enter_setdomainname exit_getppid; do
    k=$((k + 1))
    script+="
probe kernel.trace(\"syscalls:sys_$tp\") { if (pid() == target()) { c[$k] += $k; if (++t[$k] == 3) error(\"boom\") } }"
  done
  script+='
probe end { foreach (k in c+) printf("c%d=%d\n", k, c[k]) }'
  printf '%s\n' "$script" >"$tmp/merged.stp"
  (cd "$tmp" && "$stapjit" -p4 --dump-asm merged.stp) >"$tmp/asm" 2>&1
  check "9 probes, one program: $(grep -c '^probe_[0-9]*:' "$tmp/asm") in --dump-asm" \
    test "$(grep -c '^probe_[0-9]*:' "$tmp/asm")" = 1
  run -- -DMAXERRORS=20 -c "$helper getppid 100" "$tmp/merged.stp"
  check "exit status $rc, expected 1 (the run had errors)" test "$rc" -eq 1
  check "getppid entry, the group's first probe: c[1]=$(value c1), expected 100" test "$(value c1)" = 100
  check "getppid exit, its last: c[9]=$(value c9), expected 900" test "$(value c9)" = 900
  lines=$(grep -o 'merged.stp:[0-9]*' "$tmp/err" | sort -u | tr '\n' ' ')
  check "an error in each, on its own line: $lines" test "$lines" = "merged.stp:10 merged.stp:2 "
  # a saved object finds the same groups in its IR (stapjit-run compiles nothing)
  (cd "$tmp" && "$stapjit" -DMAXERRORS=20 -p4 -m merged merged.stp) >/dev/null 2>&1
  timeout -s KILL 30 "$(dirname "$stapjit")/stapjit-run" -c "$helper getppid 100" "$tmp/merged.bpf.o" \
    >"$tmp/out" 2>"$tmp/err" </dev/null
  check "stapjit-run of the -p4 object: c[1]=$(value c1) c[9]=$(value c9), expected 100 and 900" \
    test "$(value c1) $(value c9)" = "100 900"
}

case_tracepoint_wildcard() {
  run -- -c "$helper getppid 700" -e 'global n, both, name, by
    probe kernel.trace("syscalls:sys_enter_getpp*") { if (pid() == target()) n++ }
    probe kernel.trace("syscalls:sys_e*_getppid") { if (pid() == target()) { both++; name = execname(); by[pp()]++ } }
    probe end { printf("n=%d\nboth=%d\n%s\n", n, both, name) foreach (p in by) printf("%s %d\n", p, by[p]) }'
  check "exit status $rc" test "$rc" -eq 0
  check "pp() names the event that fired: 700 each" eval \
    'grep -qx "kernel.trace(\"syscalls:sys_enter_getppid\") 700" "$tmp/out" &&
     grep -qx "kernel.trace(\"syscalls:sys_exit_getppid\") 700" "$tmp/out"'
  check "sys_enter_getpp*: n=$(value n), expected 700" test "$(value n)" = 700
  check "sys_e*_getppid (enter and exit): both=$(value both), expected 1400" test "$(value both)" = 1400
  check "target() is the command itself, not a shell" grep -qx "live_helper" "$tmp/out"
}

# ---- timers and perf events --------------------------------------------------

kernel_hz() {
  local hz
  hz=$( (cat "/boot/config-$(uname -r)" 2>/dev/null || zcat /proc/config.gz 2>/dev/null) |
    sed -n 's/^CONFIG_HZ=//p' | head -n 1)
  echo "${hz:-250}"
}

case_timers() {
  local hz jif
  hz=$(kernel_hz)
  jif=$((hz / 10)) # 100 ms
  run -- -T 3 -e "global ms, s, hz, jf, us
    probe timer.ms(100) { ms++ }
    probe timer.s(1) { s++ }
    probe timer.hz(20) { hz++ }
    probe timer.jiffies($jif) { jf++ }
    probe timer.us(50000) { us++ }
    probe end { printf(\"ms=%d\\ns=%d\\nhz=%d\\njf=%d\\nus=%d\\n\", ms, s, hz, jf, us) }"
  check "exit status $rc" test "$rc" -eq 0
  check "-T 3 lasted ${elapsed} ms" within "$elapsed" 2900 15000
  check "timer.ms(100) over 3 s: $(value ms), expected 30" near "$(value ms)" 30
  check "timer.s(1) over 3 s: $(value s), expected 3" within "$(value s)" 1 4
  check "timer.hz(20) over 3 s: $(value hz), expected 60" near "$(value hz)" 60
  check "timer.jiffies($jif) at HZ=$hz over 3 s: $(value jf), expected 30" near "$(value jf)" 30
  check "timer.us(50000) over 3 s: $(value us), expected 60" near "$(value us)" 60
  # All five fire on one CPU (CPU 0), so their ratios hold whatever it lost.
  check "timer.hz(20) / timer.ms(100): $(value hz)/$(value ms), expected 2" ratio "$(value hz)" "$(value ms)" 200
  check "timer.jiffies($jif) / timer.ms(100): $(value jf)/$(value ms), expected 1" ratio "$(value jf)" "$(value ms)" 100
  check "timer.us(50000) / timer.ms(100): $(value us)/$(value ms), expected 2" ratio "$(value us)" "$(value ms)" 200
}

# timer.profile.tick fires on every CPU, HZ times a second.
case_timer_profile() {
  local hz ncpu
  hz=$(kernel_hz)
  ncpu=$(getconf _NPROCESSORS_ONLN)
  busy 4
  run -- -T 2 -e 'global n
    probe timer.profile.tick { n[cpu()]++ }
    probe end { foreach (c in n) { cpus++; if (n[c] < low || !low) low = n[c]; if (n[c] > high) high = n[c] }
                printf("cpus=%d\nlow=%d\nhigh=%d\n", cpus, low, high) }'
  unbusy
  check "exit status $rc" test "$rc" -eq 0
  check "CPUs that ran timer.profile.tick: $(value cpus), expected $ncpu" test "$(value cpus)" = "$ncpu"
  check "fewest ticks on a CPU over 2 s: $(value low) (skipped: $(skipped)), expected $((2 * hz))" \
    low_ok "$(value low)" $((2 * hz))
  check "most ticks on a CPU over 2 s: $(value high), expected $((2 * hz))" near "$(value high)" $((2 * hz))
}

# perf.sw.cpu_clock and the same event by number (perf.type(1).config(0):
# PERF_TYPE_SOFTWARE, PERF_COUNT_SW_CPU_CLOCK), one sample per 1 ms of CPU
# clock, on every CPU.
perf_case() {
  local pp=$1 ncpu hz
  ncpu=$(getconf _NPROCESSORS_ONLN)
  hz=$(kernel_hz)
  # timer.profile.tick on the same CPUs is the reference for the ratio.
  busy 4
  run -- -T 2 -e "global n, tick
    probe $pp { n[cpu()]++ }
    probe timer.profile.tick { tick[cpu()]++ }
    probe end { worst = 100000
                foreach (c in n) { cpus++; if (n[c] < low || !low) low = n[c]; if (n[c] > high) high = n[c]
                                   r = tick[c] ? 100 * n[c] / tick[c] : 0; if (r < worst) worst = r
                                   if (r > best) best = r }
                printf(\"cpus=%d\\nlow=%d\\nhigh=%d\\nworst=%d\\nbest=%d\\n\", cpus, low, high, worst, best) }"
  unbusy
  local want=$((100000 / hz)) # 100 * (1000 samples/s) / (HZ ticks/s)
  check "$pp: exit status $rc" test "$rc" -eq 0
  check "$pp: CPUs: $(value cpus), expected $ncpu" test "$(value cpus)" = "$ncpu"
  check "$pp: fewest samples on a CPU over 2 s: $(value low) (skipped: $(skipped)), expected 2000" \
    low_ok "$(value low)" 2000
  check "$pp: most samples on a CPU over 2 s: $(value high), expected 2000" near "$(value high)" 2000
  # skipped hits (reported) distort the per-CPU ratio; it is checked when there are none
  [[ $(skipped) -gt 0 ]] ||
    check "$pp: per CPU, 100 * samples / profile ticks: $(value worst)..$(value best), expected $want" \
      eval 'within "$(value worst)" $((want * 3 / 4)) $((want * 5 / 4)) && within "$(value best)" $((want * 3 / 4)) $((want * 5 / 4))'
}
case_perf_sw() { perf_case 'perf.sw.cpu_clock.sample(1000000)'; }
case_perf_raw() { perf_case 'perf.type(1).config(0).sample(1000000)'; }

# perf.hw.*: counted where the machine has hardware counters; where it has
# none (most VMs), stapjit must say so clearly and fail, and the case is
# reported as skipped.
case_perf_hw() {
  local why
  if why=$("$helper" hwcounters); then
    run -- -T 1 -e 'global n; probe perf.hw.cpu_cycles.sample(1000000) { n++ } probe end { printf("n=%d\n", n) }'
    check "exit status $rc" test "$rc" -eq 0
    check "perf.hw.cpu_cycles samples: $(value n), expected some" within "$(value n)" 1 100000000
    return
  fi
  run -- -T 1 -e 'global n; probe perf.hw.cpu_cycles.sample(1000000) { n++ } probe end { printf("n=%d\n", n) }'
  check "no hardware counters: exit status $rc, expected 1" test "$rc" -eq 1
  check "no hardware counters: the error names the probe point and the reason" \
    grep -q "ERROR: probe perf.hw.cpu_cycles.sample(1000000): this machine has no hardware performance counters" \
    "$tmp/err"
  echo "SKIP: perf.hw.* not counted: $why"
  skipped=1
}

# ---- session control ----------------------------------------------------------

# -c: target() is the command's pid from the begin probes on; the command
# starts after the probes are attached and the begin probes ran (its events
# are all seen); the session ends when it exits; its failure is stap's
# warning and exit status 1.
case_target_c() {
  run -- -c "$helper getppid 500" -e 'global n, t
    probe begin { t = target(); printf("begin_target_set=%d\n", t > 0) }
    probe kernel.trace("syscalls:sys_enter_getppid") { if (pid() == target()) n++ }
    probe end { printf("n=%d\nsame=%d\n", n, t == target()) }'
  check "exit status $rc" test "$rc" -eq 0
  check "target() in begin" test "$(value begin_target_set)" = 1
  check "n=$(value n), expected 500" test "$(value n)" = 500
  check "target() is the same in begin and end" test "$(value same)" = 1
  # The session ends with the command, not before and not much after.
  run -- -c "$helper sleep 700" -e 'probe begin { printf("b\n") } probe end { printf("e\n") }'
  check "-c sleep 700: exit status $rc" test "$rc" -eq 0
  check "-c sleep 700: begin and end ran" test "$(tr '\n' ' ' <"$tmp/out")" = "b e "
  check "-c sleep 700: the session took ${elapsed} ms" within "$elapsed" 650 10000
  run -- -c "$helper exit 3" -e 'probe end { printf("e\n") }'
  check "-c failing command: exit status $rc, expected 1" test "$rc" -eq 1
  check "-c failing command: stap's warning" grep -qx "WARNING: Child process exited with status 3" "$tmp/err"
  check "-c failing command: end probes ran" grep -qx "e" "$tmp/out"
  run -- -c "/nonexistent/cmd" -e 'probe end { printf("e\n") }'
  check "-c missing command: exit status $rc, expected 1" test "$rc" -eq 1
  check "-c missing command: the reason" grep -q "/nonexistent/cmd: No such file or directory" "$tmp/err"
}

# -x PID: target() is PID; the session does not end when PID exits (stap:
# "runs independently of the PID's lifespan").
case_target_x() {
  local go=$tmp/go hpid
  "$helper" getppid 300 "$go" &
  hpid=$!
  start -x "$hpid" -T 4 -e "$RUNNING"'
    global n
    probe begin { printf("target_ok=%d\n", target() == '"$hpid"') }
    probe kernel.trace("syscalls:sys_enter_getppid") { if (pid() == target()) n++ }
    probe end { printf("n=%d\n", n) }'
  local t0
  t0=$(now_ms)
  check "stapjit -x reached RUNNING" wait_line running
  touch "$go"
  wait "$hpid"
  finish
  elapsed=$(($(now_ms) - t0))
  check "exit status $rc" test "$rc" -eq 0
  check "target() is the -x PID" test "$(value target_ok)" = 1
  check "n=$(value n), expected 300" test "$(value n)" = 300
  check "the session outlived the -x process (-T 4): ${elapsed} ms" within "$elapsed" 3000 20000
}

# -T ends a session with kernel probes like an interrupt: end probes run,
# exit 0, nothing stays attached.
case_option_T() {
  need_bpftool || return
  start -T 2 -e "$RUNNING"' probe end { printf("end\n") }'
  check "reached RUNNING" wait_line running
  check "stapjit holds its probe programs" collect_ids
  finish
  check "exit status $rc" test "$rc" -eq 0
  check "end probe ran" grep -qx end "$tmp/out"
  check "nothing attached after -T" detached
}

# -o FILE: kernel probes' output and end probes go to FILE, none to stdout.
case_option_o() {
  run -- -o "$tmp/file" -c "$helper getppid 20" -e 'global n
    probe kernel.trace("syscalls:sys_enter_getppid") { if (pid() == target()) printf("hit %d\n", ++n) }
    probe end { printf("end %d\n", n) }'
  check "exit status $rc" test "$rc" -eq 0
  check "nothing on stdout" test ! -s "$tmp/out"
  check "FILE has 20 hits then the end line" test "$(grep -c '^hit ' "$tmp/file")-$(tail -n 1 "$tmp/file")" = "20-end 20"
  check "hits in order" test "$(sed -n 20p "$tmp/file")" = "hit 20"
}

# SIGINT / SIGTERM / SIGHUP: end probes run, output is flushed, exit 0,
# nothing stays attached.
signal_case() {
  local sig=$1
  need_bpftool || return
  start -e "$RUNNING"'
    global n
    probe kernel.trace("syscalls:sys_enter_getppid") { n++ }
    probe end { printf("end %s\n", n >= 0 ? "ok" : "?") }'
  check "reached RUNNING" wait_line running
  check "stapjit holds its probe programs" collect_ids
  kill -s "$sig" "$bgpid"
  finish
  check "SIG$sig: exit status $rc, expected 0" test "$rc" -eq 0
  check "SIG$sig: end probe ran and its output was flushed" grep -qx "end ok" "$tmp/out"
  check "SIG$sig: nothing attached afterwards" detached
}
case_sigint() { signal_case INT; }
case_sigterm() { signal_case TERM; }
case_sighup() { signal_case HUP; }

# SIGKILL: no end probes, but the kernel drops every program, link and perf
# event with the process's descriptors (nothing is pinned).
case_sigkill() {
  need_bpftool || return
  start -e "$RUNNING"' global n; probe kernel.trace("syscalls:sys_enter_getppid") { n++ } probe perf.sw.cpu_clock.sample(10000000) { n++ }'
  check "reached RUNNING" wait_line running
  check "stapjit holds its probe programs" collect_ids
  kill -KILL "$bgpid"
  finish
  check "SIGKILL: exit status $rc, expected 137" test "$rc" -eq 137
  check "SIGKILL: nothing attached afterwards" detached
}

# exit() in a kernel probe: the first hit ends the session (later hits are
# not run), end probes run, exit 0, nothing attached.
case_exit_kernel() {
  need_bpftool || return
  local go=$tmp/go
  start -c "$helper getppid 100 $go" -e "$RUNNING"'
    global n
    probe kernel.trace("syscalls:sys_enter_getppid") { if (pid() == target()) { n++; exit() } }
    probe end { printf("n=%d\n", n) }'
  check "reached RUNNING" wait_line running
  check "stapjit holds its probe programs" collect_ids
  touch "$go"
  finish
  check "exit status $rc" test "$rc" -eq 0
  check "exit() stopped the probes at once: n=$(value n), expected 1" test "$(value n)" = 1
  check "nothing attached after exit()" detached
}

# Runtime errors in a kernel probe: each is reported; past MAXERRORS the
# session ends (exit 1), with nothing attached.
case_maxerrors() {
  need_bpftool || return
  local go=$tmp/go
  start -DMAXERRORS=3 -c "$helper getppid 100 $go" -e "$RUNNING"'
    probe kernel.trace("syscalls:sys_enter_getppid") { if (pid() == target()) error("boom") }
    probe end { printf("end\n") }'
  check "reached RUNNING" wait_line running
  check "stapjit holds its probe programs" collect_ids
  touch "$go"
  finish
  check "exit status $rc, expected 1" test "$rc" -eq 1
  check "four errors reported (MAXERRORS=3)" test "$(grep -c '^ERROR: boom near' "$tmp/err")" = 4
  check "the error count" grep -q "WARNING: Number of errors: 4" "$tmp/err"
  check "nothing attached after MAXERRORS" detached
}

# ---- lost records -----------------------------------------------------------------
#
# STAPJIT_TEST_HOLD_READER makes the reader take no record until the session
# ends (session.c), so the 1 MB ring buffer (-s 1) overflows by a count the
# test controls: every record is either printed or counted lost.
case_lost() {
  local n=20000 pad got lost
  pad=$(printf 'x%.0s' $(seq 200))
  export STAPJIT_TEST_HOLD_READER=1
  # The pad is a global, so that every record carries it (a constant would
  # stay in the format string, on the host).
  run -- -s 1 -c "$helper getppid $n" -e 'global n, pad
    probe begin { pad = "'"$pad"'" }
    probe kernel.trace("syscalls:sys_enter_getppid") { if (pid() == target()) printf("%d %s\n", ++n, pad) }
    probe end { printf("generated=%d\n", n) }'
  unset STAPJIT_TEST_HOLD_READER
  got=$(grep -c " $pad\$" "$tmp/out")
  lost=$(sed -n 's/^WARNING: There were \([0-9]*\) transport failures.*/\1/p' "$tmp/err")
  check "exit status $rc" test "$rc" -eq 0
  check "generated=$(value generated), expected $n" test "$(value generated)" = "$n"
  check "records were lost (got $got, lost ${lost:-none})" within "${lost:-0}" 1 "$n"
  check "received $got + lost ${lost:-0} = $n" test $((got + ${lost:-0})) -eq "$n"
  # The same with a reader and room: nothing lost, every line in order.
  run -- -s 16 -c "$helper getppid $n" -e 'global n, pad
    probe begin { pad = "'"$pad"'" }
    probe kernel.trace("syscalls:sys_enter_getppid") { if (pid() == target()) printf("%d %s\n", ++n, pad) }'
  got=$(grep -c " $pad\$" "$tmp/out")
  check "-s 16: exit status $rc" test "$rc" -eq 0
  check "-s 16: no loss reported" test "$(grep -c 'transport failures' "$tmp/err")" = 0
  check "-s 16: received $got of $n" test "$got" -eq "$n"
  check "-s 16: in order" test "$(sed -n "${n}p" "$tmp/out" | cut -d' ' -f1)" = "$n"
}

# ---- errors -----------------------------------------------------------------------

# Records reach the output while stapjit runs, whatever the rate: a burst
# (most records commit without waking the reader) arrives in full soon after
# it ends, and so does a single record after a quiet spell.
case_burst() {
  local n=5000 seen
  # a copy under its own name: other cases' live_helper runs in parallel.
  # (A sanitizer build's helper calls getppid again as it exits, from
  # LeakSanitizer's tracer: lines past n are those.)
  cp "$helper" "$tmp/burst_helper"
  start -e "$RUNNING"'
    global n
    probe kernel.trace("syscalls:sys_enter_getppid") { if (execname() == "burst_helper") printf("line %d\n", ++n) }'
  check "reached RUNNING" wait_line running
  "$tmp/burst_helper" getppid "$n"
  check "burst of $n: the last line arrived while stapjit runs" wait_line "line $n"
  check "burst of $n: lines 1..$n in order (first out of place: $(grep "^line " "$tmp/out" | awk '$2 != NR {print NR ": " $0; exit}'))" \
    eval 'test "$(grep "^line " "$tmp/out" | head -n $n | awk '"'"'$2 == NR'"'"' | wc -l)" -eq $n'
  sleep 0.5
  seen=$(grep -c "^line " "$tmp/out")
  "$tmp/burst_helper" getppid 1
  check "one record after a quiet spell arrives" wait_line "line $((seen + 1))"
  kill -INT "$bgpid"
  finish
  check "exit status $rc" test "$rc" -eq 0
  check "nothing lost or skipped: $(grep -E 'transport failures|skipped' "$tmp/err" | head -n 2)" \
    eval '! grep -qE "transport failures|skipped probes: [1-9]" "$tmp/err"'
}

# A probe of 1,000 statements that can each fail compiles (their error exits
# share one block); one too large for BPF's jumps is a clear pass-4 error,
# not LLVM's abort.
case_big_probe() {
  local body k
  body=""
  for ((k = 0; k < 1000; k++)); do body+="c[$k]++ "; done
  printf 'global c\nprobe kernel.trace("syscalls:sys_enter_getppid") { %s}\n' "$body" >"$tmp/big.stp"
  (cd "$tmp" && "$stapjit" --disable-cache -p4 big.stp) >"$tmp/out" 2>"$tmp/err"
  check "1,000 statements: -p4 status $?" test -s "$tmp/stap_bpf.bpf.o"
  body=""
  for ((k = 0; k < 4000; k++)); do body+="c[$k]++ "; done
  printf 'global c\nprobe kernel.trace("syscalls:sys_enter_getppid") { %s}\n' "$body" >"$tmp/huge.stp"
  (cd "$tmp" && "$stapjit" --disable-cache -DMAXACTION=100000 -p4 huge.stp) >"$tmp/out" 2>"$tmp/err"
  rc=$?
  check "4,000 statements: status $rc, expected 1" test "$rc" -eq 1
  check "4,000 statements: the error says why" grep -q "larger than a BPF jump can span" "$tmp/err"
  check "4,000 statements: pass 4 failed as a pass fails" grep -q "^Pass 4: compilation failed" "$tmp/err"
}

case_errors() {
  run 20 -- -e 'probe kernel.trace("nosuch:thing") { printf("x\n") }'
  check "missing tracepoint: exit status $rc, expected 1" test "$rc" -eq 1
  check "missing tracepoint: the error names the probe point" grep -q 'kernel.trace("nosuch:thing")' "$tmp/err"
  check "missing tracepoint: no hang (${elapsed} ms)" within "$elapsed" 0 15000
  run 20 -- -e 'probe kernel.trace("nosuch:*")? { printf("x\n") } probe begin { printf("ok\n"); exit() }'
  check "optional missing tracepoint: exit status $rc" test "$rc" -eq 0
  check "optional missing tracepoint: skipped, the rest ran" grep -qx ok "$tmp/out"
  run 20 -- -e 'probe kernel.trace("sched:nosuch_event") { printf("x\n") } probe begin { printf("begun\n") }'
  check "missing event in a real system: exit status $rc, expected 1" test "$rc" -eq 1
  check "missing event in a real system: the error names it" grep -q 'sched:nosuch_event' "$tmp/err"
  check "missing event: no begin probe ran" test ! -s "$tmp/out"
}

# A kernel without what a probe needs: an immediate error naming the probe
# point and the missing feature, before anything is attached.  The kernel
# here has everything, so caps.c's test hook STAPJIT_TEST_KERNEL_LACKS makes
# it look older.
lacks() {
  local what=$1 want=$2
  export STAPJIT_TEST_KERNEL_LACKS=$what
  run 20 -- -e 'global a
    probe timer.ms(100) { i = 0; while (i < 10) i++; a[i] = 1; foreach (k in a) n++ }
    probe begin { printf("begun\n") }'
  unset STAPJIT_TEST_KERNEL_LACKS
  check "without $what: exit status $rc, expected 1" test "$rc" -eq 1
  check "without $what: the error says so" grep -qF "$want" "$tmp/err"
  check "without $what: nothing ran" test ! -s "$tmp/out"
  check "without $what: no hang (${elapsed} ms)" within "$elapsed" 0 15000
}
case_kernel_lacks() {
  lacks bpf "error: the kernel refuses BPF tracepoint programs"
  lacks ringbuf "error: the running kernel has no BPF ring buffer"
  lacks perf_event "error: probe timer.ms(100): the running kernel cannot run BPF programs on perf events"
  lacks bpf_loop "error: probe timer.ms(100): its loops need the bpf_loop helper"
  lacks for_each_map "error: probe timer.ms(100): its foreach needs the bpf_for_each_map_elem helper"
}

# kprobe_progs: the ids of the kprobe-type probe handlers loaded now.
kprobe_progs() { bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\): kprobe  *name probe_[0-9].*/\1/p' | sort; }

# kernel.function on a kernel without kprobes (this machine's CONFIG_KPROBES
# is off; elsewhere STAPJIT_TEST_KERNEL_LACKS makes it look so): a clear
# error naming the probe point before anything is loaded or run.
case_kprobes_absent() {
  need_bpftool || return
  local before after
  before=$(kprobe_progs)
  # without fentry too: --kfunc-attach=auto would take fentry where there are no kprobes
  export STAPJIT_TEST_KERNEL_LACKS=fentry
  [[ -e /sys/bus/event_source/devices/kprobe/type || -e /sys/kernel/tracing/kprobe_events ]] &&
    export STAPJIT_TEST_KERNEL_LACKS=kprobes,fentry
  run 20 -- -e 'probe kernel.function("vfs_read") { printf("%d\n", $count); exit() }
    probe begin { printf("begun\n") }'
  unset STAPJIT_TEST_KERNEL_LACKS
  after=$(kprobe_progs)
  check "exit status $rc, expected 1" test "$rc" -eq 1
  check "the error names the probe point and says why" grep -qF \
    'error: probe kernel.function("vfs_read"): this kernel has no kprobes (CONFIG_KPROBES is off' "$tmp/err"
  check "nothing ran" test ! -s "$tmp/out"
  check "no hang (${elapsed} ms)" within "$elapsed" 0 15000
  check "no kprobe program left loaded" test -z "$(comm -13 <(echo "$before") <(echo "$after"))"
}

# --kfunc-attach=fentry where the kernel refuses fentry (this one, or one that
# pretends to): an error at the probe point, naming it, before anything runs.
# Then the real probe of this kernel, unpretended: fentry works (pass 4 ends
# well) or the same error says what the kernel refused.
case_fentry_forced() {
  local script='probe kernel.function("vfs_read") { printf("%d\n", $count); exit() }
    probe begin { printf("begun\n") }'
  local want='error: while resolving probe point kernel.function("vfs_read"): it cannot attach with fentry/fexit (--kfunc-attach=fentry): '
  export STAPJIT_TEST_KERNEL_LACKS=fentry
  run 20 -- --kfunc-attach=fentry -e "$script"
  unset STAPJIT_TEST_KERNEL_LACKS
  check "exit status $rc, expected 1" test "$rc" -eq 1
  check "the error names the probe point and says why" grep -qF "$want" "$tmp/err"
  check "the caret is under the probe point" grep -qxF '       ^' "$tmp/err"
  check "it is a pass 4 failure" grep -qF 'Pass 4: compilation failed.' "$tmp/err"
  check "nothing ran" test ! -s "$tmp/out"
  run 20 -- -p4 --kfunc-attach=fentry -e "$script"
  if [[ $rc -ne 0 ]]; then
    check "exit status $rc, expected 1" test "$rc" -eq 1
    check "the kernel's refusal is named" grep -qF "$want" "$tmp/err"
  fi
  run 20 -- -p4 --kfunc-attach=sometimes -e "$script"
  check "exit status $rc for a bad --kfunc-attach, expected 1" test "$rc" -eq 1
  check "a bad --kfunc-attach is named" grep -qF 'ERROR: sometimes is an invalid argument for --kfunc-attach' "$tmp/err"
}

# -----------------------------------------------------------------------------------

if [[ $# -eq 0 ]]; then
  set -- $(declare -F | sed -n 's/^declare -f case_//p')
fi
for case_name in "$@"; do
  if ! declare -F "case_$case_name" >/dev/null; then
    fail "no such case"
    continue
  fi
  "case_$case_name"
done
echo "$passed passed, $failed failed"
((failed > 0)) && exit 1
((skipped > 0)) && exit 77
exit 0

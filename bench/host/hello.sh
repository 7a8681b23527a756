#!/usr/bin/env bash
# hello.sh: the whole-process cost of the smallest script that runs on the
# host: stapjit -e 'probe begin { println("hello") exit() }', from exec to
# exit.  Runs it ROUNDS times (default 51) after 3 warm-up runs, timing each
# with Python's perf_counter around fork/exec/wait (hyperfine is not
# installed; date +%s%N would add a fork of its own to every sample), and
# prints the median, min and max wall time in ms, for the script as is, with
# -u, with -p2 (front end only: what pass 3 and 5 add is the difference),
# and /bin/true (the cost of a process).
#
#   bench/host/hello.sh path/to/stapjit [ROUNDS]
#
# Use a release build (-DCMAKE_BUILD_TYPE=Release, no sanitizers) for
# numbers worth comparing.
set -eu
stapjit=${1:?usage: hello.sh STAPJIT [ROUNDS]}
rounds=${2:-51}
out=$("$stapjit" -e 'probe begin { println("hello") exit() }')
[ "$out" = hello ] || { echo "hello.sh: unexpected output: $out" >&2; exit 1; }
exec python3 - "$stapjit" "$rounds" <<'PY'
import statistics, subprocess, sys, time
stapjit, rounds = sys.argv[1], int(sys.argv[2])
script = 'probe begin { println("hello") exit() }'

def measure(label, cmd):
    for _ in range(3):
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
    ms = []
    for _ in range(rounds):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True)
        ms.append((time.perf_counter() - t0) * 1000)
    print(f"{label:12} median {statistics.median(ms):6.2f} ms  (min {min(ms):.2f}, max {max(ms):.2f}, {rounds} runs)")

measure("hello", [stapjit, "-e", script])
measure("hello -u", [stapjit, "-u", "-e", script])
measure("hello -p2", [stapjit, "-p2", "-e", script])
measure("/bin/true", ["/bin/true"])
PY

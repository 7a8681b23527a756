#!/usr/bin/env python3
"""Front-end benchmark: parse and elaborate (stapjit -p2) a generated script
of 200 probes and 50 functions pulling in 20 tapset files, then the same at
2x, 4x and 8x the size, to show how the cost grows.

usage: run.py STAPJIT [ROUNDS]
Prints a Markdown table: median wall ms (min-max) and peak RSS per size,
and the ms per 1x unit, which stays flat when growth is linear.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

stapjit = os.path.abspath(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 11
here = os.path.dirname(os.path.abspath(__file__))


def run_once(workdir):
    """Returns (wall ms, peak RSS kB) of one stapjit -p2 run (os.wait4 gives
    the rusage of exactly this child)."""
    env = dict(os.environ, STAPJIT_TAPSET_DIR=os.path.join(workdir, "tapset"))
    t0 = time.perf_counter()
    proc = subprocess.Popen([stapjit, "-p2", "script.stp"], cwd=workdir, env=env,
                            stdout=subprocess.DEVNULL)
    _, status, ru = os.wait4(proc.pid, 0)
    wall = (time.perf_counter() - t0) * 1000
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode != 0:
        sys.exit(f"stapjit -p2 failed in {workdir} (exit {proc.returncode})")
    return wall, ru.ru_maxrss


print(f"stapjit -p2 on generated scripts ({rounds} rounds, wall ms of the whole process)\n")
print("| size | probes | functions | tapset files | ms median (min-max) | ms per 1x | peak RSS kB |")
print("|---|---|---|---|---|---|---|")
for scale in (1, 2, 4, 8):
    with tempfile.TemporaryDirectory() as d:
        subprocess.run([sys.executable, os.path.join(here, "gen.py"), d, str(scale)], check=True)
        samples = [run_once(d) for _ in range(rounds)]
        walls = [w for w, _ in samples]
        med = statistics.median(walls)
        rss = max(r for _, r in samples)
        print(f"| {scale}x | {200 * scale} | {50 * scale + 3} | 20 | {med:.2f} ({min(walls):.2f}-{max(walls):.2f}) "
              f"| {med / scale:.2f} | {rss} |")

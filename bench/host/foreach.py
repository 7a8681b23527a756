#!/usr/bin/env python3
"""Host foreach benchmark (issue 3): a 1,000,000-entry array sorted by value
with one printf per entry, written to a file with -o, against a C program
doing the same sort and formatting (foreach_sort.c, built here with cc -O2).

usage: foreach.py STAPJIT [ROUNDS] [N]
Prints median wall seconds (min-max) for both and the ratio stapjit / C;
the target is within 3x.  The two output files must be identical.
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

stapjit = os.path.abspath(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 5
n = int(sys.argv[3]) if len(sys.argv) > 3 else 1000000
here = os.path.dirname(os.path.abspath(__file__))

script = f"""
global a[{n}]
probe begin {{
  for (i = 0; i < {n}; i++) a[i] = (i * 7919) % 1000003
  foreach (k in a-) printf("%d %d\\n", k, a[k])
  exit()
}}
"""


def timed(cmd):
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


with tempfile.TemporaryDirectory() as d:
    cbin = os.path.join(d, "foreach_sort")
    subprocess.run(["cc", "-O2", "-o", cbin, os.path.join(here, "foreach_sort.c")], check=True)
    stp = os.path.join(d, "foreach.stp")
    with open(stp, "w") as f:
        f.write(script)
    out_s, out_c = os.path.join(d, "s.out"), os.path.join(d, "c.out")
    ts = [timed([stapjit, "-D", f"MAXMAPENTRIES={n}", "-D", f"MAXACTION={10 * n}", "-o", out_s, stp]) for _ in range(rounds)]
    tc = [timed([cbin, out_c, str(n)]) for _ in range(rounds)]
    same = open(out_s, "rb").read() == open(out_c, "rb").read()
    ms, mc = statistics.median(ts), statistics.median(tc)
    print(f"foreach over {n} entries sorted by value, printf per entry, {rounds} rounds")
    print("| program | median s (min-max) |")
    print("|---|---|")
    print(f"| stapjit | {ms:.3f} ({min(ts):.3f}-{max(ts):.3f}) |")
    print(f"| C (qsort + fprintf) | {mc:.3f} ({min(tc):.3f}-{max(tc):.3f}) |")
    print(f"\nratio stapjit / C: {ms / mc:.2f}x (target <= 3x); outputs identical: {same}")

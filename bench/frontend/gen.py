#!/usr/bin/env python3
"""Generates the front-end benchmark input: a script of P probes and F
functions that pulls in T tapset files (each with functions, a global and a
probe alias), scaled by a factor so that growth with size can be measured.

usage: gen.py OUTDIR [SCALE]   -> OUTDIR/script.stp, OUTDIR/tapset/*.stp
"""
import os
import sys

out = sys.argv[1]
scale = int(sys.argv[2]) if len(sys.argv) > 2 else 1
P, F, T = 200 * scale, 50 * scale, 20
os.makedirs(os.path.join(out, "tapset"), exist_ok=True)

for t in range(T):
    with open(os.path.join(out, "tapset", f"lib{t}.stp"), "w") as f:
        f.write(f"global lib{t}_count\n")
        f.write(f"probe lib{t}.tick = timer.ms({t + 1}) {{ lib{t}_count++; name = \"lib{t}\" }}\n")
        for k in range(5):
            f.write(f"function lib{t}_f{k}:long (x:long) {{ return x * {k + 1} + lib{t}_count }}\n")
            f.write(f"function lib{t}_s{k}:string (s:string) {{ return s . \"-{t}-{k}\" }}\n")
        # files nobody uses are still parsed, as stap does
        f.write(f"function lib{t}_unused (a, b) {{ if (a > b) return a; return b }}\n")

with open(os.path.join(out, "script.stp"), "w") as f:
    f.write("global counts, names[1000], stats\n")
    for k in range(F):
        t = k % T
        f.write(f"function user{k}:long (a:long, b:string) {{\n"
                f"  x = lib{t}_f{k % 5}(a) + strlen_{k % 3}(b)\n"
                f"  if (x > {k}) {{ counts[b, x] += 1 }} else {{ names[x] = lib{t}_s{k % 5}(b) }}\n"
                f"  for (i = 0; i < 3; i++) x += i * {k}\n"
                f"  return x\n}}\n")
    for k in range(3):
        f.write(f"function strlen_{k}:long (s:string) {{ n = 0; foreach (c in names) n++; return n + {k} }}\n")
    for k in range(P):
        t = k % T
        if k % 4 == 0:
            f.write(f"probe lib{t}.tick {{ stats <<< user{k % F}({k}, name) }}\n")
        else:
            f.write(f"probe timer.ms({k + 1}) {{\n"
                    f"  v = user{k % F}({k}, \"p{k}\")\n"
                    f"  printf(\"%d %s\\n\", v, lib{t}_s0(\"x\"))\n"
                    f"  foreach ([s, n] in counts- limit 5) printf(\"%s %d\\n\", s, n)\n}}\n")
    f.write("probe end { printf(\"%d\\n\", @count(stats)) }\n")

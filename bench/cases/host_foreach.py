"""Host runtime (issue 3): a 1,000,000-entry array filled in a begin probe,
then `foreach (k in a-) printf(...)` to a file with -o, against
bench/host/foreach_sort.c (the same values, qsort and fprintf, cc -O2); the
two output files must be identical.  Same measurement as
bench/host/foreach.py, which still works on its own."""
import os
import subprocess

from harness.core import Cell, Proc, Row, first_lines

NAME = "host_foreach"
TITLE = "Host runtime: foreach over 1M entries sorted, printf each (-o)"
ORDER = 90
ABOUT = ("Whole process, stapjit against a C program doing the same sort and formatting "
         "(bench/host/foreach_sort.c, cc -O2); outputs compared byte for byte.")

N = 1000000
SCRIPT = f"""global a[{N}]
probe begin {{
  for (i = 0; i < {N}; i++) a[i] = (i * 7919) % 1000003
  foreach (k in a-) printf("%d %d\\n", k, a[k])
  exit()
}}
"""


def run(ctx):
    t = next(t for t in ctx.tracers if t.name == "stapjit")
    row = Row("foreach 1M sorted + printf", "ms", target="<= 3x C", goal=("max_ratio", 3, "C reference"))
    if not t.available:
        row.cells[t.name] = ctx.unavailable(t)
        return [row]
    cbin = os.path.join(ctx.tmpdir, "foreach_sort")
    subprocess.run(["cc", "-O2", "-o", cbin, os.path.join(ctx.here, "host", "foreach_sort.c")], check=True)
    stp = ctx.script(t, SCRIPT)
    out_s, out_c = os.path.join(ctx.tmpdir, "foreach-s.out"), os.path.join(ctx.tmpdir, "foreach-c.out")
    cs, cc = row.cell("stapjit"), row.cell("C reference")
    for i in range(ctx.rounds):
        for cell, argv in ((cs, [t.path, "-D", f"MAXMAPENTRIES={N}", "-D", f"MAXACTION={10 * N}", "-o", out_s, stp]),
                           (cc, [cbin, out_c, str(N)])):
            if cell.error:
                continue
            p = Proc(argv, cwd=ctx.tmpdir)
            p.wait(300)
            if p.returncode != 0:
                cell.error = f"exit {p.returncode}: {first_lines(p.err)}"
                continue
            cell.samples.append((p.t_exit - p.t_start) * 1000)
            cell.info.setdefault("rss_kb", []).append(p.peak_rss_kb())
    if cs.ok() and cc.ok():
        same = open(out_s, "rb").read() == open(out_c, "rb").read()
        ctx.note(f"outputs identical: {same}")
        if not same:
            row.cells["stapjit"] = Cell(error="output differs from the C reference's")
    return [row]

"""Front end alone (issue 2): `stapjit -p2` (parse and elaborate) of the
script bench/frontend/gen.py writes (200 probes, 53 functions, 20 tapset
files) at 1x, 2x, 4x and 8x the size, whole process.  stapjit only: stap's
own translator checks for a kernel build tree before pass 1, and bpftrace
has no separate front end to time.  Same measurement as
bench/frontend/run.py, which still works on its own."""
import os
import subprocess
import sys
import tempfile

from harness.core import Proc, Row, first_lines

NAME = "frontend"
TITLE = "Front end: stapjit -p2 on generated scripts (script size)"
ORDER = 80
ABOUT = ("Whole `stapjit -p2` process on bench/frontend/gen.py's script at 1x-8x "
         "(1x = 200 probes, 53 functions, 20 tapset files); 3 warm-up runs. "
         "Time per 1x staying flat means linear growth.")
PLOT = {"series": {"stapjit -p2": "stapjit -p2 (ms) vs probes in the script"}}

SCALES = (1, 2, 4, 8)


def run(ctx):
    t = next(t for t in ctx.tracers if t.name == "stapjit")
    rows = []
    for scale in SCALES:
        row = Row(f"{scale}x: {200 * scale} probes, {50 * scale + 3} functions", "ms", x=200 * scale,
                  series="stapjit -p2", target="<= 20 ms" if scale == 1 else None,
                  goal=("max", 20) if scale == 1 else None)
        rows.append(row)
        if not t.available:
            row.cells[t.name] = ctx.unavailable(t)
            continue
        cell = row.cell(t.name)
        with tempfile.TemporaryDirectory(dir=ctx.tmpdir) as d:
            subprocess.run([sys.executable, os.path.join(ctx.here, "frontend", "gen.py"), d, str(scale)],
                           check=True)
            env = dict(os.environ, STAPJIT_TAPSET_DIR=os.path.join(d, "tapset"))
            for i in range(3 + ctx.rounds):
                p = Proc([t.path, "-p2", "script.stp"], env=env, cwd=d)
                p.wait(120)
                if p.returncode != 0:
                    cell.error = f"exit {p.returncode}: {first_lines(p.err)}"
                    break
                if i >= 3:
                    cell.samples.append((p.t_exit - p.t_start) * 1000)
                    cell.info.setdefault("rss_kb", []).append(p.peak_rss_kb())
    ok = [r for r in rows if r.cells.get("stapjit") and r.cells["stapjit"].ok()]
    if ok:
        ctx.note("ms per 1x: " + ", ".join(f"{r.x // 200}x {r.cells['stapjit'].median() / (r.x // 200):.2f}"
                                            for r in ok))
    return rows

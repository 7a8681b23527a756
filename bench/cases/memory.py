"""Memory: peak RSS of the tracer process (and the children it waited for,
as wait4 reports it) during the overhead and throughput runs.  Measures
nothing itself: it reads the rss_kb the overhead and throughput cases kept
for every run, so it needs them to have run first (REQUIRES)."""
from harness.core import Cell, Row

NAME = "memory"
TITLE = "Memory: peak RSS of the tracer"
ORDER = 50
REQUIRES = ["overhead", "throughput"]
ABOUT = ("Peak RSS (`ru_maxrss` from wait4: the tracer and the children it waited for) "
         "over each run of the overhead and throughput benchmarks.")


def run(ctx):
    rows = []
    for case in REQUIRES:
        for src in ctx.results.get(case, []):
            if "over the floor" in src.label:
                continue
            row = Row(f"during {case}: {src.label}", "kB", target="<= 1/2 of bpftrace",
                      goal=("max_ratio", 0.5, "bpftrace"))
            for tool, c in src.cells.items():
                if c.unavailable:
                    row.cells[tool] = Cell(unavailable=c.unavailable)
                elif c.error:
                    row.cells[tool] = Cell(error=c.error)
                elif "rss_kb" in c.info:
                    row.cells[tool] = Cell([x for x in c.info["rss_kb"] if x is not None])
            if any(c.info.get("rss_kb") for c in src.cells.values()):
                rows.append(row)
    return rows

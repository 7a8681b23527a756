"""Turns the cases' Rows into the report: a Markdown table per case (medians
with min-max, the ratio of stapjit to each other tool, the issue's target
and whether stapjit meets it) and the same data as JSON for tools.

Ratios are always stapjit / other on the medians.  For quantities where
lower is better (ms, ns, kB) a ratio below 1 is stapjit ahead; for events/s
a ratio above 1 is.
"""
import json
import re

from .core import SUBJECT


def fmt(v, digits=None):
    if v is None:
        return "-"
    if digits is None:
        a = abs(v)
        digits = 0 if a >= 1000 else 1 if a >= 10 else 2
    return f"{v:,.{digits}f}"


def cell_text(c, digits=None):
    if c is None:
        return ""
    if c.unavailable:
        return "not run" if c.unavailable.startswith("not requested") else "cannot run here"
    if c.error:
        msg = re.sub(r"\S*/stapjit-bench-[^/\s]+/s\d+\.(stp|bt)", r"script.\1", c.error)
        return "**FAILED**: " + msg.replace("|", "\\|").replace("\n", " ")
    if not c.samples:
        return "-"
    s = f"{fmt(c.median(), digits)} ({fmt(min(c.samples), digits)}-{fmt(max(c.samples), digits)})"
    if c.info.get("warning"):
        s += f" ({c.info['warning']})"
    return s


def ratio_text(row, other):
    a, b = row.cells.get(SUBJECT), row.cells.get(other)
    if not row.ratio or not a or not b or not a.ok() or not b.ok() or not b.median():
        return ""
    r = a.median() / b.median()
    good = r < 1 if row.better == "lower" else r > 1
    word = "better" if good else "worse" if abs(r - 1) > 0.005 else "same"
    return f"{r:.2f}x, {word}"


def goal_text(row):
    """The target and, when it is machine-checkable, whether stapjit meets it."""
    if not row.target:
        return ""
    g = row.goal
    a = row.cells.get(SUBJECT)
    if not g or not a or not a.ok():
        return row.target
    kind, value = g[0], g[1]
    m = a.median()
    if kind == "max":
        limit = value
    elif kind == "min":
        limit = value
    elif kind == "max_ratio":  # at most value x the other tool's median
        b = row.cells.get(g[2])
        if not b or not b.ok():
            return row.target
        limit = value * b.median()
        kind = "max"
    else:
        return row.target
    if kind == "max":
        met = m <= limit
        miss = f"missed by {fmt(m - limit)} {row.unit} (x{m / limit:.2f})" if limit else "missed"
    else:
        met = m >= limit
        miss = f"missed: x{m / limit:.2f} of it"
    return f"{row.target}: {'met' if met else miss}"


def columns(case_rows, tracers):
    """The tools shown for a case: tracers in report order, then references."""
    names = [t.name for t in tracers]
    seen = {k for r in case_rows for k in r.cells}
    return [n for n in names if n in seen] + sorted(seen - set(names))


def markdown(meta, cases, tracers):
    label = {t.name: t.label for t in tracers}
    out = [f"# stapjit benchmarks, {meta['date']}", ""]
    out.append(f"Machine: {meta['machine']}.  ")
    out.append(f"Load average at start {meta['load_start']}, at end {meta['load_end']}; "
               f"run took {meta['duration_min']:.1f} min.  ")
    out.append(f"Settings: {meta['settings']}.")
    out.append("")
    out.append("| tool | version | status |")
    out.append("|---|---|---|")
    for t in tracers:
        status = "ran" if t.available else t.reason if t.reason.startswith("not requested") \
            else f"cannot run here: {t.reason}"
        out.append(f"| {t.label} | {t.version or '-'} | {status} |")
    out.append("")
    if meta.get("contended"):
        out.append(f"Shared machine: {meta['contended']}")
        out.append("")
    if meta.get("resent"):
        out.append(f"Stopping: {meta['resent']}")
        out.append("")
    out.append("Cells: median (min-max) over the rounds.  Ratios: stapjit / other, on the medians "
               "(\"better\" means stapjit is ahead).")
    for case in cases:
        out += ["", f"## {case['title']}", "", case["about"], ""]
        if case.get("failed"):
            out += [f"**The benchmark itself failed**: {case['failed']}", ""]
            continue
        rows = case["rows"]
        cols = columns(rows, tracers)
        others = [c for c in cols if c != SUBJECT and any(r.ratio for r in rows)
                  and any(ratio_text(r, c) for r in rows)]
        head = ["benchmark", "unit"] + [label.get(c, c) for c in cols] + \
            [f"stapjit / {label.get(c, c)}" for c in others] + ["target"]
        out.append("| " + " | ".join(head) + " |")
        out.append("|" + "---|" * len(head))
        for r in rows:
            cells = [r.label, r.unit] + [cell_text(r.cells.get(c), r.digits) for c in cols] + \
                [ratio_text(r, c) for c in others] + [goal_text(r)]
            out.append("| " + " | ".join(cells) + " |")
        for n in case["notes"]:
            out += ["", n]
    return "\n".join(out) + "\n"


def to_json(meta, cases, tracers):
    return json.dumps({
        "meta": meta,
        "tools": {t.name: {"label": t.label, "available": t.available, "reason": t.reason,
                           "version": t.version} for t in tracers},
        "cases": [{"name": c["name"], "title": c["title"], "about": c["about"], "failed": c.get("failed"),
                   "notes": c["notes"], "plot": c.get("plot"),
                   "rows": [dict(r.to_json(), ratios={o: ratio_text(r, o) for o in r.cells if o != SUBJECT},
                                 target_status=goal_text(r)) for r in c["rows"]]}
                  for c in cases],
    }, indent=1) + "\n"

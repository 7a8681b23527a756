"""Per-event overhead on syscalls:sys_enter_getppid, hit by a loop of
--events (2,000,000) getppid calls in the C load generator.

Each traced loop is paired with an untraced loop run just before it, and
the result is (traced - untraced) / events: the nanoseconds the probe adds
to each call.  The empty probe is the floor (the cost of entering any BPF
program on the tracepoint); "over the floor" rows subtract the same round's
empty-probe result, which is what the issue's target is stated against.
Rounds rotate the order of the tracers.  Peak RSS of each run is kept for
the memory case.

stapjit, like stap, elides a probe with an empty body ("no probes found"),
so its floor script runs with -u (no optimisation), the documented way to
keep it.
"""
from harness.core import Cell, Row, log, median

NAME = "overhead"
TITLE = "Per-event overhead: getppid loop, added ns per event"
ORDER = 30
ABOUT = ("Added ns per getppid call = (traced loop - untraced loop run just before it) / calls. "
         "\"over the floor\" subtracts the same round's empty probe. "
         "bpftrace counts with `count()` (its per-CPU idiom), stapjit with `c[execname()]++`.")

TP_STP = 'kernel.trace("syscalls:sys_enter_getppid")'
TP_BT = "tracepoint:syscalls:sys_enter_getppid"

# name, label, stp script, stp flags, bt script, target, check(out, events) -> note or None
VARIANTS = [
    ("empty", "empty probe (the floor)",
     f"probe {TP_STP} {{ }}\n", ["-u"],
     f"{TP_BT} {{ }}\n", None),
    ("count", "count into array keyed by execname()",
     f"global c\nprobe {TP_STP} {{ c[execname()]++ }}\n"
     "probe end { foreach (k in c-) printf(\"%s %d\\n\", k, c[k]) }\n", [],
     f"{TP_BT} {{ @c[comm] = count(); }}\n", "<= 60 ns over the floor"),
    ("stats_array", "<<< into stats array [execname()], @hist_log at end",
     f"global s\nprobe {TP_STP} {{ s[execname()] <<< tid() }}\n"
     "probe end { foreach (k in s) { printf(\"%s\\n\", k) print(@hist_log(s[k])) } }\n", [],
     f"{TP_BT} {{ @s[comm] = hist(tid); }}\n", None),
    ("stats_scalar", "<<< into stats scalar, @hist_log at end",
     f"global s\nprobe {TP_STP} {{ s <<< tid() }}\nprobe end {{ print(@hist_log(s)) }}\n", [],
     f"{TP_BT} {{ @s = hist(tid); }}\n", None),
    ("string", "string copy per event: s[tid()] = execname()",
     f"global s\nprobe {TP_STP} {{ s[tid()] = execname() }}\n"
     "probe end { foreach (t in s) printf(\"%d %s\\n\", t, s[t]) }\n", [],
     f"{TP_BT} {{ @s[tid] = comm; }}\n", None),
]


def _count_seen(out, lang):
    """Events the count variant saw from the load generator (comm 'benchload')."""
    for line in out.splitlines():
        parts = line.replace("@c[benchload]:", "benchload").split()
        if len(parts) == 2 and parts[0] == "benchload" and parts[1].isdigit():
            return int(parts[1])
    return None


def run(ctx):
    rows = {v[0]: Row(v[1], "ns/event") for v in VARIANTS}
    floor_rows = {v[0]: Row(f"{v[1]}, over the floor", "ns/event", target=v[5],
                            goal=("max", 60) if v[5] else None)
                  for v in VARIANTS if v[0] != "empty"}
    untraced_ns = []
    live = [t for t in ctx.tracers if t.available]
    for t in ctx.tracers:
        if not t.available:
            for r in list(rows.values()) + list(floor_rows.values()):
                r.cells[t.name] = ctx.unavailable(t)
    per_round = {}  # (variant, tracer) -> {round: added ns}
    for rnd in range(ctx.rounds):
        order = live[rnd % len(live):] + live[:rnd % len(live)] if live else []
        for name, label, stp, flags, bt, _ in VARIANTS:
            for t in order:
                cell = rows[name].cell(t.name)
                if cell.error:
                    continue
                log(f"  overhead round {rnd + 1}/{ctx.rounds}: {name} / {t.name}")
                untraced = ctx.run_loop()[0]
                untraced_ns.append(untraced / ctx.events * 1e9)
                text, fl = (stp, flags) if t.lang == "stp" else (bt, [])
                r = ctx.traced_loop(t, text, flags=fl)
                if r.get("contended"):
                    ctx.contended.append((NAME, t.name, r["contended"]))
                if not r["ok"]:
                    cell.error = r["error"]
                    continue
                added = (r["loop_s"] - untraced) / ctx.events * 1e9
                cell.samples.append(added)
                cell.info.setdefault("contended", []).append(bool(r.get("contended")))
                cell.info.setdefault("rss_kb", []).append(r["rss_kb"])
                cell.info.setdefault("untraced_ns", []).append(untraced / ctx.events * 1e9)
                per_round.setdefault((name, t.name), {})[rnd] = added
                if name == "count":
                    seen = _count_seen(r["out"], t.lang)
                    cell.info.setdefault("events_seen", []).append(seen)
                    if seen is None or seen < ctx.events:
                        cell.info["warning"] = f"saw {seen} of {ctx.events} events from the loop"
    for name, fr in floor_rows.items():
        for t in live:
            src, floor = rows[name].cells.get(t.name), rows["empty"].cells.get(t.name)
            if src is None or src.error or floor is None or floor.error:
                fr.cells[t.name] = Cell(error=(src.error if src and src.error else "floor failed"))
                continue
            a, f = per_round.get((name, t.name), {}), per_round.get(("empty", t.name), {})
            fr.cells[t.name] = Cell([a[k] - f[k] for k in sorted(a) if k in f])
    if untraced_ns:
        ctx.note(f"Untraced getppid call: median {median(untraced_ns):.1f} ns "
                 f"({min(untraced_ns):.1f}-{max(untraced_ns):.1f}) over {len(untraced_ns)} loops "
                 f"of {ctx.events:,} calls.")
    out = []
    for v in VARIANTS:
        out.append(rows[v[0]])
        if v[0] in floor_rows:
            out.append(floor_rows[v[0]])
    return out

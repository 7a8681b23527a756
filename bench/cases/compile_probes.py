"""Compile scaling by probe count: compile-and-attach time of scripts with
1, 10, 100 and 1,000 probes, each on its own tracepoint, each counting into
an array (stapjit: c[i]++, bpftrace: @c[i] = count()).

The probes go on distinct tracepoints because the kernel allows at most 64
BPF programs on one tracepoint (the 65th attach fails with E2BIG).  They are
taken in a fixed order: the syscalls tracepoints (sys_enter_*, sys_exit_*),
then xfs's (cold on a machine without XFS), then the other subsystems,
skipping a few that must not be traced (ftrace, bpf_trace, printk).

Time = exec to "all attached": the script also has a sentinel probe on
sys_enter_getpgid that prints a line; the harness calls getpgid every
0.5 ms until that line arrives, then checks with bpftool that all N+1
programs are attached (and keeps polling bpftool if some are not, so a
tracer that attaches the sentinel first is not flattered).  Stopping is
timed too: detaching N tracepoints costs the kernel an RCU grace period
each, tens of ms, whichever tracer asks.
"""
import os

from harness.core import Row, bpf_attachments, descendants, first_lines, log

NAME = "compile_probes"
TITLE = "Compile scaling: probes on distinct tracepoints, compile + attach"
ORDER = 60
ABOUT = ("Exec to all N probes attached (a sentinel probe's line seen, then bpftool confirms N+1 programs); "
         "each probe counts into an array. \"per probe\" rows are the slope between 100 and 1,000 probes.")
PLOT = {"series": {"compile + attach": "compile + attach (ms) vs probes"}}

SIZES = (1, 10, 100, 1000)
MARK = "BENCH-READY"
SENTINEL = "sys_enter_getpgid"
SKIP_SUBSYS = {"ftrace", "bpf_trace", "printk", "bpf_test_run"}


def tracepoints(n):
    """The first n tracepoints in the fixed order above, as SUBSYS:EVENT."""
    base = "/sys/kernel/tracing/events"
    if not os.path.isdir(base):
        base = "/sys/kernel/debug/tracing/events"

    def events(sub):
        d = os.path.join(base, sub)
        return [f"{sub}:{e}" for e in sorted(os.listdir(d))
                if os.path.exists(os.path.join(d, e, "id")) and e != SENTINEL]

    syscalls = events("syscalls")
    ordered = [e for e in syscalls if ":sys_enter_" in e] + [e for e in syscalls if ":sys_exit_" in e]
    subs = sorted(s for s in os.listdir(base) if os.path.isdir(os.path.join(base, s)))
    ordered += events("xfs") if "xfs" in subs else []
    for s in subs:
        if s not in SKIP_SUBSYS and s not in ("syscalls", "xfs"):
            ordered += events(s)
    if len(ordered) < n:
        raise RuntimeError(f"only {len(ordered)} tracepoints on this kernel, {n} needed")
    return ordered[:n]


def script(lang, tps):
    if lang == "stp":
        body = "".join(f'probe kernel.trace("{tp}") {{ c[{i}]++ }}\n' for i, tp in enumerate(tps))
        return f"global c\n{body}probe kernel.trace(\"syscalls:{SENTINEL}\") {{ println(\"{MARK}\") }}\n"
    body = "".join(f"tracepoint:{tp} {{ @c[{i}] = count(); }}\n" for i, tp in enumerate(tps))
    return f"{body}tracepoint:syscalls:{SENTINEL} {{ printf(\"{MARK}\\n\"); }}\n"


def attach_time(ctx, t, text, nprogs, flags=()):
    """Starts t on text; returns (ms to all nprogs attached, ms to exit after
    SIGINT, None) or (None, None, error)."""
    p = ctx.start(t, text, flags=flags, markers=(MARK.encode(),))
    s = p.wait_marker(MARK.encode(), timeout=ctx.args.attach_timeout, poke=lambda: os.getpgid(0))
    if s is not None:
        pids = set(descendants(p.pid))
        if sum(1 for pid, _ in bpf_attachments() if pid in pids) < nprogs:
            s = p.wait_attached(None, nprogs, timeout=ctx.args.attach_timeout, every=0.005)
    # detaching costs the kernel tens of ms per tracepoint, whoever asks
    stop_s, how = ctx.stop(t, p, extra=nprogs * 0.25)
    if s is None or not how.startswith("SIGINT") or p.returncode != 0:
        err = first_lines(p.err)
        return None, None, (f"not attached within {ctx.args.attach_timeout} s; " if s is None else "") + \
            f"exit {p.returncode} after {how}: {err}"
    return s * 1000, stop_s * 1000, None


def scaling(ctx, rows_by_n, stop_by_n, make_text, flags_for, nprogs_for):
    for n in rows_by_n:
        for t in ctx.tracers:
            for r in (rows_by_n[n], stop_by_n.get(n)):
                if r is not None and not t.available:
                    r.cells[t.name] = ctx.unavailable(t)
    failed = set()
    for rnd in range(ctx.rounds):
        for n in rows_by_n:
            for t in ctx.tracers:
                if not t.available or (t.name, n) in failed:
                    continue
                log(f"  {ctx.case} round {rnd + 1}/{ctx.rounds}: {n} / {t.name}")
                ms, stop_ms, err = attach_time(ctx, t, make_text(t.lang, n), nprogs_for(n), flags_for(t, n))
                if err:
                    rows_by_n[n].cell(t.name).error = err
                    if n in stop_by_n:
                        stop_by_n[n].cell(t.name).error = err
                    failed.add((t.name, n))
                    continue
                rows_by_n[n].cell(t.name).samples.append(ms)
                if n in stop_by_n:
                    stop_by_n[n].cell(t.name).samples.append(stop_ms)


def slope_note(ctx, rows_by_n, what):
    """Notes the growth: ms per unit between the two largest sizes, and the
    ratio of their times (10 for linear growth from 100 to 1,000)."""
    ns = sorted(rows_by_n)
    if len(ns) < 2:
        return
    a, b = ns[-2], ns[-1]
    for tool in rows_by_n[b].cells:
        ca, cb = rows_by_n[a].cells.get(tool), rows_by_n[b].cells.get(tool)
        if ca and cb and ca.ok() and cb.ok():
            ma, mb = ca.median(), cb.median()
            ctx.note(f"{tool}: {(mb - ma) / (b - a):.2f} ms per {what} from {a} to {b}; "
                     f"time x{mb / ma:.1f} for x{b // a} the {what}s.")


def run(ctx):
    tps = tracepoints(max(SIZES))
    rows = {n: Row(f"{n} probe{'s' if n > 1 else ''}: compile + attach", "ms", x=n,
                   series="compile + attach", target="<= 1000 ms, linear" if n == 1000 else None,
                   goal=("max", 1000) if n == 1000 else None)
            for n in SIZES}
    stops = {n: Row(f"{n} probe{'s' if n > 1 else ''}: SIGINT to exit (detach)", "ms") for n in SIZES}
    scaling(ctx, rows, stops, lambda lang, n: script(lang, tps[:n]), lambda t, n: (), lambda n: n + 1)
    slope_note(ctx, rows, "probe")
    return [rows[n] for n in SIZES] + [stops[n] for n in SIZES]

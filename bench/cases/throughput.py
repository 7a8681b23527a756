"""Output throughput: one printf line per event, written by the tracer to a
file with -o, while the load generator makes --events getppid calls as fast
as it can.

events/s = lines received from the loop / (loop start -> last growth of the
file), so a tracer that falls behind and catches up later is charged for the
catching up.  "lost" compares lines received with events generated (only
lines carrying the generator's pid count: other processes on the machine
also call getppid); "lost, as reported" is what the tracer itself says
(stapjit: "WARNING: There were N transport failures", bpftrace: "Lost N
events"), which must match when nothing is dropped silently.
"""
import os
import re

from harness.core import Row, log

NAME = "throughput"
TITLE = "Output throughput: one printf per event to a file (-o)"
ORDER = 40
ABOUT = ("One `printf(\"getppid %d\\n\", pid())` per getppid call of the loop, to a file with `-o`. "
         "events/s = lines received / (loop start to the file's last growth); lost = events generated - "
         "lines received; \"reported lost\" is the count the tracer itself prints.")

SCRIPTS = {"stp": 'probe kernel.trace("syscalls:sys_enter_getppid") { printf("getppid %d\\n", pid()) }\n',
           "bt": 'tracepoint:syscalls:sys_enter_getppid { printf("getppid %d\\n", pid); }\n'}


def _reported_lost(err):
    """Lost records the tracer reported on stderr (0 when it said nothing)."""
    n = 0
    for pat in (r"There were (\d+) transport failures", r"Lost (\d+) events"):
        n += sum(int(m) for m in re.findall(pat, err))
    return n


def _lines_from(path, pid):
    want = f"getppid {pid}\n".encode()
    n = 0
    with open(path, "rb") as f:
        for line in f:
            n += line == want
    return n


def run(ctx):
    rate = Row("printf per event, events/s", "events/s", better="higher", target=">= 1,000,000/s",
               goal=("min", 1e6))
    lost = Row("lost (generated - received)", "events", ratio=False, target="0", goal=("max", 0), digits=0)
    rep = Row("lost, as reported by the tracer", "events", ratio=False, digits=0)
    for t in ctx.tracers:
        if not t.available:
            for r in (rate, lost, rep):
                r.cells[t.name] = ctx.unavailable(t)
            continue
        for rnd in range(ctx.rounds):
            if rate.cell(t.name).error:
                break
            log(f"  throughput round {rnd + 1}/{ctx.rounds}: {t.name}")
            out = os.path.join(ctx.tmpdir, f"throughput-{t.name}.out")
            if os.path.exists(out):
                os.unlink(out)
            r = ctx.traced_loop(t, SCRIPTS[t.lang], out=out, drain=True)
            if r.get("contended"):
                ctx.contended.append((NAME, t.name, r["contended"]))
            if not r["ok"]:
                for row in (rate, lost, rep):
                    row.cell(t.name).error = r["error"]
                break
            got = _lines_from(out, r["load_pid"]) if os.path.exists(out) else 0
            rate.cell(t.name).samples.append(got / (r["last_write"] - r["loop_start"]))
            rate.cell(t.name).info.setdefault("rss_kb", []).append(r["rss_kb"])
            rate.cell(t.name).info.setdefault("received", []).append(got)
            rate.cell(t.name).info.setdefault("contended", []).append(bool(r.get("contended")))
            # where the time went: the loop itself, and the writing after it
            rate.cell(t.name).info.setdefault("loop_s", []).append(round(r["loop_s"], 3))
            rate.cell(t.name).info.setdefault("after_loop_s", []).append(round(r["last_write"] - r["loop_end"], 3))
            lost.cell(t.name).samples.append(ctx.events - got)
            rep.cell(t.name).samples.append(_reported_lost(r["err"]))
            os.unlink(out)
    return [rate, lost, rep]

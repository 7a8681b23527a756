"""Start-up to the first event: time from exec of the tracer until its probe
on syscalls:sys_enter_getppid has fired and the line it printed has reached
the harness (a pipe on the tracer's stdout).  The harness calls getppid every
0.5 ms meanwhile, so the event happens as soon as the probe is attached.
Then SIGINT; the time to exit (detach) is reported too."""
import os

from harness.core import Row, first_lines

NAME = "startup_first_event"
TITLE = "Start-up: start to first tracepoint event"
ORDER = 20
ABOUT = ("Exec of the tracer to the first line its `syscalls:sys_enter_getppid` probe prints, "
         "read from its stdout pipe, while the harness calls getppid every 0.5 ms; "
         "then SIGINT to exit (end probes, detach).")

MARK = "BENCH-EVENT"
SCRIPTS = {"stp": f'probe kernel.trace("syscalls:sys_enter_getppid") {{ println("{MARK}") }}\n',
           "bt": f'tracepoint:syscalls:sys_enter_getppid {{ printf("{MARK}\\n"); }}\n'}


def run(ctx):
    first = Row("exec to first event", "ms", target="<= 40 ms", goal=("max", 40))
    stop = Row("SIGINT to exit (1 probe)", "ms")
    for t in ctx.tracers:
        if not t.available:
            first.cells[t.name] = stop.cells[t.name] = ctx.unavailable(t)
            continue
        cf, cs = first.cell(t.name), stop.cell(t.name)
        for i in range(1 + ctx.rounds):  # one warm-up
            p = ctx.start(t, SCRIPTS[t.lang], markers=(MARK.encode(),))
            s = p.wait_marker(MARK.encode(), timeout=ctx.args.attach_timeout, poke=os.getppid)
            secs, how = ctx.stop(t, p)
            if s is None or not how.startswith("SIGINT") or p.returncode != 0:
                cf.error = cs.error = (f"no event within {ctx.args.attach_timeout} s; " if s is None else "") + \
                    f"exit {p.returncode} after {how}: {first_lines(p.err)}"
                break
            if i >= 1:
                cf.samples.append(s * 1000)
                cs.samples.append(secs * 1000)
    return [first, stop]

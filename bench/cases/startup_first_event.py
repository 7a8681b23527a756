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
    cached = Row("exec to first event, object from stapjit's cache", "ms")
    stop = Row("SIGINT to exit (1 probe)", "ms")
    for t in ctx.tracers:
        if not t.available:
            first.cells[t.name] = stop.cells[t.name] = ctx.unavailable(t)
            continue
        measure(ctx, t, first.cell(t.name), stop.cell(t.name), ())
        if t.name == "stapjit":  # the warm-up run fills the cache
            measure(ctx, t, cached.cell(t.name), None, (t.CACHED,))
    return [first, cached, stop]


def measure(ctx, t, cf, cs, flags):
    """Rounds of exec-to-first-event into cell cf (and exit time into cs)."""
    for i in range(1 + ctx.rounds):  # one warm-up
        p = ctx.start(t, SCRIPTS[t.lang], markers=(MARK.encode(),), flags=flags)
        s = p.wait_marker(MARK.encode(), timeout=ctx.args.attach_timeout, poke=os.getppid)
        secs, how = ctx.stop(t, p)
        if s is None or not how.startswith("SIGINT") or p.returncode != 0:
            cf.error = (f"no event within {ctx.args.attach_timeout} s; " if s is None else "") + \
                f"exit {p.returncode} after {how}: {first_lines(p.err)}"
            if cs:
                cs.error = cf.error
            return
        if i >= 1:
            cf.samples.append(s * 1000)
            if cs:
                cs.samples.append(secs * 1000)

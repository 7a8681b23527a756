"""Start-up, hello world: the whole process of the smallest script, from
exec to exit, for each tracer (compile, load, run the begin probe, exit).
3 warm-up runs, then max(--rounds, 15) timed runs (each is cheap)."""
from harness.core import Row, first_lines

NAME = "startup_hello"
TITLE = "Start-up: hello world, whole process"
ORDER = 10
ABOUT = ("Wall time from exec to exit of `probe begin { println(\"hello\") exit() }` "
         "(bpftrace: `BEGIN { printf(\"hello\\n\"); exit(); }`), after 3 warm-up runs.")

SCRIPTS = {"stp": 'probe begin { println("hello") exit() }\n',
           "bt": 'BEGIN { printf("hello\\n"); exit(); }\n'}


def run(ctx):
    row = Row("hello world, exec to exit", "ms", target="<= 15 ms", goal=("max", 15))
    rounds = max(ctx.rounds, 15)
    for t in ctx.tracers:
        if not t.available:
            row.cells[t.name] = ctx.unavailable(t)
            continue
        cell = row.cell(t.name)
        for i in range(3 + rounds):
            p = ctx.start(t, SCRIPTS[t.lang])
            if not p.wait(120):
                ctx.stop(t, p, timeout=10)
                cell.error = "did not exit within 120 s"
                break
            if p.returncode != 0 or "hello" not in p.out:
                cell.error = f"exit {p.returncode}: {first_lines(p.err)}"
                break
            if i >= 3:
                cell.samples.append((p.t_exit - p.t_start) * 1000)
    return [row]

"""Compile scaling by script size: one probe on sys_enter_getppid whose body
has 1, 10, 100 or 1,000 statements (stapjit: c[i]++, bpftrace:
@c[i] = count()), compile-and-attach time measured as in compile_probes
(a sentinel probe's line, then bpftool confirms both programs attached).
The 1,000-statement body runs more than stap's default MAXACTION (1000)
statements each time another process calls getppid, so the SystemTap-language
scripts get -D MAXACTION=100000, the limit stap itself would need."""
from harness.core import Row

from cases.compile_probes import MARK, SENTINEL, scaling, slope_note

NAME = "compile_size"
TITLE = "Compile scaling: statements in one probe, compile + attach"
ORDER = 70
ABOUT = ("Exec to attached for one probe of N statements (plus the sentinel probe). "
         "\"per statement\" is the slope between 100 and 1,000 statements.")
PLOT = {"series": {"one probe of N statements": "compile + attach (ms) vs statements in one probe"}}

SIZES = (1, 10, 100, 1000)


def script(lang, n):
    if lang == "stp":
        body = " ".join(f"c[{i}]++" for i in range(n))
        return (f"global c\nprobe kernel.trace(\"syscalls:sys_enter_getppid\") {{ {body} }}\n"
                f"probe kernel.trace(\"syscalls:{SENTINEL}\") {{ println(\"{MARK}\") }}\n")
    body = " ".join(f"@c[{i}] = count();" for i in range(n))
    return (f"tracepoint:syscalls:sys_enter_getppid {{ {body} }}\n"
            f"tracepoint:syscalls:{SENTINEL} {{ printf(\"{MARK}\\n\"); }}\n")


def run(ctx):
    rows = {n: Row(f"1 probe, {n} statement{'s' if n > 1 else ''}: compile + attach", "ms", x=n,
                   series="one probe of N statements") for n in SIZES}
    flags = lambda t, n: ["-D", "MAXACTION=100000"] if t.lang == "stp" else []
    scaling(ctx, rows, {}, script, flags, lambda n: 2)
    slope_note(ctx, rows, "statement")
    return [rows[n] for n in SIZES]

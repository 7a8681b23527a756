#!/usr/bin/env python3
"""run.py: the language-semantics corpus with its begin probes in the kernel.

For every tests/semantics/cases/NAME.stp this makes a kernel variant and runs
it on the BPF backend against the case's own expectations (.out, .err,
.status): the corpus is the oracle, nothing here is derived from stapjit.
The scripts in diff/ (constructs the corpus leaves out or checks only on the
host: unsorted foreach, regex corners, sprintf flags, text_str's UTF-8 ...)
are differential: their kernel variant must do exactly what the same script
does on the host, in the interpreter.

The variant.  Every `begin` / `begin(N)` probe point (also inside a probe
alias definition that some probe uses) is replaced, in place, by the name of
an alias `kbNNN`, padded with blanks to the same width, so that every line
and column of the script stays where it was (runtime errors quote them).
The aliases are appended after the script's last line:

    global __ksem_pid, __ksem_state
    probe kbNNN = kernel.trace("syscalls:sys_enter_getpgid")
      { if (pid() != __ksem_pid || __ksem_state != R) next; __ksem_state = R + 1 }

R is the point's rank in stap's begin order (sequence number, then script
order).  Each begin body thus becomes its own kernel probe (own locals, own
`next`, own MAXACTION budget, own error) that runs once, for the trigger
process only (its pid comes in with -G, since scripts use $1/@1 themselves),
and only after every begin body before it in stap's order.  BPF programs on
one tracepoint run in attach order, so a chain in script order runs in one
getpgid call, and another order takes a few more.  After the last rank one
more kernel probe calls exit(): a stap session whose begin probes did not
call exit() runs until interrupted and then runs its end probes, which is
what exit() does too; a session already stopping (exit(), too many errors)
never runs it, since kernel probes run only while the session runs.  End,
error and never probes stay on the host.

The trigger (trigger.c, built by the test) is one process for the whole run
that calls getpgid(0) in a loop; it is started first and killed at the end.

Outputs must equal the case's .out/.err/.status exactly.  The one
adjustment (README.md): the variant runs with -D MAXACTION=B
-D MAXACTION_INTERRUPTIBLE=B, B the budget the case's begin probes had on
the host (MAXACTION * 10, stap's MAXACTION_INTERRUPTIBLE), since a kernel
probe gets MAXACTION itself.

Lists (same convention as tests/semantics/known-failures.txt):
  excluded.txt        cases a kernel probe refuses by design: the variant
                      must still fail to compile with the reason as given;
  known-failures.txt  cases that fail today; a listed case that passes
                      fails the run, so the list only shrinks.

    run.py STAPJIT TRIGGER [NAME...]
    JOBS=N (default 2) runs N cases at once; KEEP=1 keeps the variants and
    outputs (the directory is printed); OPTS="-u" adds options to every run.
Exits 0 when every case passed or is listed, 1 otherwise, 77 without root.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.normpath(os.path.join(HERE, "..", "..", "semantics", "cases"))
TRACEPOINT = 'kernel.trace("syscalls:sys_enter_getpgid")'
TIMEOUT = 30


class TransformError(Exception):
    pass


# ---- a lexer for what the transformation needs --------------------------------------

TOKEN = re.compile(
    r"""(?P<ws>\s+)
      | (?P<comment>\#[^\n]*|//[^\n]*|/\*.*?\*/)
      | (?P<embedded>%\{.*?%\})
      | (?P<pp>%[(?:)])
      | (?P<str>"(?:[^"\\\n]|\\.)*")
      | (?P<num>[0-9][0-9a-zA-Z]*)
      | (?P<ident>[A-Za-z_$@][A-Za-z0-9_$]*)
      | (?P<op>\+=|.)""",
    re.X | re.S,
)


def lex(src):
    """Tokens as (kind, text, start, end), without blanks and comments."""
    out = []
    pos = 0
    while pos < len(src):
        m = TOKEN.match(src, pos)
        kind = m.lastgroup
        if kind not in ("ws", "comment"):
            out.append((kind, m.group(), m.start(), m.end()))
        pos = m.end()
    return out


class Probe:
    def __init__(self, start):
        self.start = start        # offset of the "probe" keyword
        self.alias = None         # the name an alias definition defines
        self.points = []          # [(tokens of one point)]


def parse_probes(toks):
    """Top-level probe declarations with their points; raises on a begin
    point inside a preprocessor conditional (it may never be compiled)."""
    probes = []
    depth = ppdepth = 0
    k = 0
    while k < len(toks):
        kind, text = toks[k][0], toks[k][1]
        if kind == "pp":
            ppdepth += 1 if text == "%(" else -1 if text == "%)" else 0
        elif text == "{":
            depth += 1
        elif text == "}":
            depth -= 1
        elif depth == 0 and kind == "ident" and text == "probe":
            p = Probe(toks[k][2])
            k += 1
            point, paren = [], 0
            while k < len(toks) and not (toks[k][1] == "{" and paren == 0):
                t = toks[k]
                if t[1] == "(":
                    paren += 1
                elif t[1] == ")":
                    paren -= 1
                if paren == 0 and t[1] in ("=", "+=") and len(p.points) == 0 and len(point) == 1:
                    p.alias = point[0][1]
                    point = []
                elif paren == 0 and t[1] == ",":
                    p.points.append(point)
                    point = []
                else:
                    point.append(t)
                k += 1
            p.points.append(point)
            if ppdepth and any(begin_seq(pt) is not None for pt in p.points):
                raise TransformError("a begin probe inside a preprocessor conditional")
            probes.append(p)
            continue  # the "{" is counted on the next turn
        k += 1
    return probes


def begin_seq(point):
    """The sequence number of a begin point (0 for plain begin), else None."""
    texts = [t[1] for t in point]
    if texts == ["begin"]:
        return 0
    if len(texts) >= 4 and texts[0] == "begin" and texts[1] == "(" and texts[-1] == ")":
        inner = "".join(texts[2:-1])
        if re.fullmatch(r"[-+]?(0x[0-9a-fA-F]+|[0-9]+)", inner):
            return int(inner, 0)
    return None


def transform(src):
    """The kernel variant of script src, and the number of begin points moved."""
    probes = parse_probes(lex(src))
    uses = {}
    for i, p in enumerate(probes):
        for pt in p.points:
            if pt and pt[0][0] == "ident":
                uses.setdefault(pt[0][1], []).append(i)
    moved = []  # (seq, order, start, end)
    for i, p in enumerate(probes):
        if p.alias is not None:
            used = uses.get(p.alias, [])
            if not used:
                continue  # never instantiated: its begin never runs on the host either
            if len(used) > 1 and any(begin_seq(pt) is not None for pt in p.points):
                raise TransformError("alias %s with a begin point is used more than once" % p.alias)
            order = used[0]
        else:
            order = i
        for pt in p.points:
            seq = begin_seq(pt)
            if seq is not None:
                moved.append((seq, order, pt[0][2], pt[-1][3]))
    ranked = sorted(moved, key=lambda m: (m[0], m[1]))
    rank = {m[2]: r for r, m in enumerate(ranked)}
    out = src
    for seq, order, start, end in sorted(moved, key=lambda m: -m[2]):
        name = "kb%03d" % rank[start]
        out = out[:start] + name.ljust(end - start) + out[end:]
    tail = ["", "global __ksem_pid, __ksem_state"]
    for r in range(len(ranked)):
        tail.append("probe kb%03d = %s { if (pid() != __ksem_pid || __ksem_state != %d) next; __ksem_state = %d }"
                    % (r, TRACEPOINT, r, r + 1))
    tail.append("probe %s { if (pid() != __ksem_pid || __ksem_state != %d) next; __ksem_state = %d; exit() }"
                % (TRACEPOINT, len(ranked), len(ranked) + 1))
    if not out.endswith("\n"):
        out += "\n"
    return out + "\n".join(tail[1:]) + "\n", len(ranked)


# ---- running -------------------------------------------------------------------------

def read_list(name):
    """NAME -> reason (the rest of the line) from one of the lists."""
    entries = {}
    try:
        with open(os.path.join(HERE, name)) as f:
            for line in f:
                line = "" if line.lstrip().startswith("#") else line.strip()
                if line:
                    parts = line.split(None, 1)
                    entries[parts[0]] = parts[1].strip() if len(parts) > 1 else ""
    except FileNotFoundError:
        pass
    return entries


def header_value(src, key):
    for line in src.splitlines()[:5]:
        if line.startswith("# %s: " % key):
            return line[len("# %s: " % key):].split()
    return []


def option_value(opts, name):
    for k, o in enumerate(opts):
        if o == "-D" and k + 1 < len(opts) and opts[k + 1].startswith(name + "="):
            return opts[k + 1].split("=", 1)[1]
    return None


def read(path, default=b""):
    try:
        with open(path, "rb") as f:
            return f.read()
    except FileNotFoundError:
        return default


def run(cmd, cwd):
    """(stdout, stderr, status or 'timeout') of cmd run in cwd."""
    try:
        r = subprocess.run(cmd, cwd=cwd, stdin=subprocess.DEVNULL, capture_output=True, timeout=TIMEOUT)
        return r.stdout, r.stderr, r.returncode
    except subprocess.TimeoutExpired as e:
        return e.stdout or b"", e.stderr or b"", "timeout"


def run_case(name, stapjit, pid, work):
    """(outcome, detail): outcome 'pass', 'fail' or 'rejected' (a compile error).
    A corpus case is checked against its .out/.err/.status; a differential
    case (diff/NAME) against the same script's run on the host, whose begin
    probes the interpreter runs (DESIGN.md: the interpreter is the oracle of
    differential tests)."""
    differential = name.startswith("diff/")
    path = os.path.join(HERE, name + ".stp") if differential else os.path.join(CASES, name + ".stp")
    base = os.path.basename(name)
    with open(path) as f:
        src = f.read()
    try:
        variant, _ = transform(src)
    except TransformError as e:
        return "fail", "cannot make the variant: %s" % e
    d = os.path.join(work, name)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, base + ".stp"), "w") as f:
        f.write(variant)
    opts = header_value(src, "opts")
    args = header_value(src, "args")
    maxaction = option_value(opts, "MAXACTION")
    budget = int(maxaction or 1000) * 10
    extra = os.environ.get("OPTS", "").split()
    cmd = [stapjit] + extra + opts + ["-D", "MAXACTION=%d" % budget, "-D", "MAXACTION_INTERRUPTIBLE=%d" % budget,
                                      "-G", "__ksem_pid=%d" % pid, base + ".stp"] + args
    out, err, rc = run(cmd, d)
    with open(os.path.join(d, "stdout"), "wb") as f:
        f.write(out)
    with open(os.path.join(d, "stderr"), "wb") as f:
        f.write(err)
    shown = "(in %s: %s)" % (d, " ".join(cmd[1:]))
    text = err.decode(errors="replace")
    if rc != "timeout" and rc != 0 and (" error: " in text and "cannot run in a kernel probe" in text
                                        or "the kernel's BPF verifier rejected" in text):
        return "rejected", text.strip()
    if differential:
        hd = os.path.join(d, "host")
        os.makedirs(hd, exist_ok=True)
        shutil.copy(path, os.path.join(hd, base + ".stp"))
        want_out, want_err, want_rc = run([stapjit] + extra + opts + [base + ".stp"] + args, hd)
        label = "the host's"
    else:
        cb = os.path.join(CASES, name)
        want_out = read(cb + ".out")
        want_err = read(cb + ".err", None)
        want_rc = int(read(cb + ".status", b"0").strip() or 0)
        label = name + ".out"
    why = []
    if out != want_out:
        why.append("stdout")
    if want_err is not None and err != want_err:
        why.append("stderr")
    if rc != want_rc:
        why.append("status(%s, want %s)" % (rc, want_rc))
    if not why:
        return "pass", ""
    detail = [" ".join(why), shown]
    if "stdout" in why:
        detail.append(diff(want_out, out, label + " (expected)", "stdout (actual)"))
    if "stderr" in why:
        detail.append(diff(want_err, err, "stderr (expected)", "stderr (actual)"))
    elif want_err is None and err:
        detail.append("--- stderr:\n" + "\n".join(text.splitlines()[:10]))
    return "fail", "\n".join(detail)


def diff(a, b, la, lb):
    import difflib
    lines = difflib.unified_diff(a.decode(errors="replace").splitlines(), b.decode(errors="replace").splitlines(),
                                 la, lb, lineterm="")
    return "\n".join(list(lines)[:40])


def main(argv):
    if len(argv) < 3:
        print("usage: run.py STAPJIT TRIGGER [NAME...]", file=sys.stderr)
        return 2
    if os.geteuid() != 0:
        print("ksem: needs root (BPF, tracefs); skipped")
        return 77
    stapjit, trigger = os.path.abspath(argv[1]), os.path.abspath(argv[2])
    names = [n[:-4] if n.endswith(".stp") else n for n in argv[3:]]
    if not names:
        names = sorted(f[:-4] for f in os.listdir(CASES) if f.endswith(".stp"))
        names += sorted("diff/" + f[:-4] for f in os.listdir(os.path.join(HERE, "diff")) if f.endswith(".stp"))
    excluded = read_list("excluded.txt")
    known = read_list("known-failures.txt")
    for lst, what in ((excluded, "excluded.txt"), (known, "known-failures.txt")):
        for n in lst:
            if not os.path.exists(os.path.join(HERE if n.startswith("diff/") else CASES, n + ".stp")):
                print("FAIL %s: listed in %s but not a case" % (n, what))
                return 1
    work = tempfile.mkdtemp(prefix="ksem.")
    keep = os.environ.get("KEEP") == "1"
    if keep:
        print("variants and outputs kept in %s" % work)
    trig = subprocess.Popen([trigger, "600"], stdout=subprocess.PIPE)
    lock = threading.Lock()
    counts = {"pass": 0, "fail": 0, "known": 0, "excluded": 0}
    try:
        pid = int(trig.stdout.readline())

        def one(name):
            outcome, detail = run_case(name, stapjit, pid, work)
            with lock:
                report(name, outcome, detail, excluded, known, counts)

        with ThreadPoolExecutor(max_workers=int(os.environ.get("JOBS", "2"))) as ex:
            list(ex.map(one, names))
    finally:
        trig.kill()
        trig.wait()
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    print("%d passed, %d failed, %d excluded by design, %d known failures"
          % (counts["pass"], counts["fail"], counts["excluded"], counts["known"]))
    return 0 if counts["fail"] == 0 else 1


def report(name, outcome, detail, excluded, known, counts):
    if name in excluded:
        reason = excluded[name]
        if outcome == "rejected" and reason in detail:
            counts["excluded"] += 1
        else:
            counts["fail"] += 1
            print("FAIL %s: excluded (\"%s\") but %s" % (
                name, reason, "rejected otherwise:\n" + detail if outcome == "rejected"
                else "it compiles now: remove it from excluded.txt" if outcome == "pass"
                else "it compiles now and fails: %s" % detail))
        return
    if outcome == "pass":
        if name in known:
            counts["fail"] += 1
            print("FAIL %s: passes now; remove it from known-failures.txt" % name)
        else:
            counts["pass"] += 1
        return
    if name in known:
        counts["known"] += 1
        return
    counts["fail"] += 1
    print("FAIL %s: %s" % (name, detail if outcome == "fail" else "rejected:\n" + detail))


if __name__ == "__main__":
    sys.exit(main(sys.argv))

"""The benchmark framework's data model and the one place that knows how to
start, watch and stop a tracer.

A benchmark (a module in bench/cases/) gets a Ctx and returns Rows.  A Row
is one measured quantity (one line of the report's table); it holds one Cell
per tool (stapjit, bpftrace, stap --bpf, or a reference such as a C
program).  A Cell holds the samples of that quantity over the rounds, or the
reason there are none: the tool failed (error, with its message) or cannot
run on this machine (unavailable).  Medians, ranges and ratios are computed
by the report (report.py), never here, so a case only measures.

This module must not print to stdout: stdout carries the report.  Progress
goes to stderr through Ctx.log.
"""
import os
import re
import select
import signal
import statistics
import subprocess
import sys
import threading
import time

# Tools in report order; the first is the one the ratios are computed for.
SUBJECT = "stapjit"


class Cell:
    """Samples of one quantity for one tool, or why there are none."""

    def __init__(self, samples=None, error=None, unavailable=None, info=None):
        self.samples = list(samples or [])  # numbers, one per round
        self.error = error  # the tool failed: its message (first lines of stderr)
        self.unavailable = unavailable  # the tool cannot run here: the reason
        self.info = dict(info or {})  # extra per-round lists or notes for the table

    def ok(self):
        return not self.error and not self.unavailable and bool(self.samples)

    def median(self):
        return statistics.median(self.samples) if self.samples else None

    def to_json(self):
        d = {"samples": self.samples}
        if self.samples:
            d.update(median=self.median(), min=min(self.samples), max=max(self.samples))
        if self.error:
            d["error"] = self.error
        if self.unavailable:
            d["unavailable"] = self.unavailable
        if self.info:
            d["info"] = self.info
        return d


class Row:
    """One line of a case's table: a quantity measured for several tools."""

    def __init__(self, label, unit, better="lower", cells=None, x=None, series=None, target=None,
                 ratio=True, digits=None, goal=None):
        self.label = label  # what was measured, as the table shows it
        self.unit = unit  # "ms", "ns/event", "events/s", "kB", ...
        self.better = better  # "lower" or "higher": which way a ratio is good
        self.cells = dict(cells or {})  # tool name -> Cell
        self.x = x  # for scaling rows: the x value of the plot
        self.series = series  # for scaling rows: which plot panel line
        self.target = target  # the target for stapjit, as text
        self.ratio = ratio  # False when a ratio means nothing (e.g. counts of lost records)
        self.digits = digits  # decimals to print; None: chosen from the magnitude
        # the target in checkable form: ("max", V), ("min", V) or ("max_ratio", K, TOOL)
        # (at most K times TOOL's median); None when only the text says it
        self.goal = goal

    def cell(self, tool):
        return self.cells.setdefault(tool, Cell())

    def to_json(self):
        return {"label": self.label, "unit": self.unit, "better": self.better, "x": self.x,
                "series": self.series, "target": self.target,
                "cells": {k: c.to_json() for k, c in self.cells.items()}}


class CaseFailed(Exception):
    """A case could not run at all (not a tool failing: that is a Cell.error)."""


# ---------------------------------------------------------------------------
# Processes


def first_lines(text, n=3, width=300):
    """The first n non-empty lines of a tool's stderr, minus noise every run
    prints (bpftrace's RLIMIT_MEMLOCK warning), for a failure cell."""
    lines = [l.strip() for l in text.splitlines() if l.strip() and "RLIMIT_MEMLOCK" not in l]
    return " / ".join(lines[:n])[:width] or "(no message)"


def descendants(pid):
    """pid and every live process below it (stap forks stapbpf)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                st = f.read()
        except OSError:
            continue
        ppid = int(st[st.rindex(")") + 2:].split()[1])
        children.setdefault(ppid, []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def bpf_attachments():
    """[(pid, tracepoint)] for every BPF program attached to a tracepoint through
    a perf event, from `bpftool perf show` (empty when bpftool is missing)."""
    try:
        out = subprocess.run(["bpftool", "perf", "show"], capture_output=True, text=True,
                             timeout=20).stdout
    except (OSError, subprocess.TimeoutExpired):
        return []
    res = []
    for line in out.splitlines():
        m = re.match(r"pid (\d+)\s+fd \d+: prog_id \d+\s+(?:tracepoint|raw_tracepoint)\s+(\S+)", line)
        if m:
            res.append((int(m.group(1)), m.group(2)))
    return res


class Proc:
    """A tracer (or any command) started by the harness: stdout read by a
    thread (so markers are seen the moment they are written and the pipe never
    fills), stderr to a file, reaped with wait4 for its peak RSS."""

    def __init__(self, argv, env=None, cwd=None, preexec_fn=None, markers=()):
        self.argv = argv
        self._watch = tuple(markers)  # markers (bytes) whose first appearance is timed
        self.t_start = time.perf_counter()
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL, env=env, cwd=cwd,
                                     preexec_fn=preexec_fn)
        self.pid = self.proc.pid
        self._out = bytearray()
        self._err = bytearray()
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._markers = {}  # marker -> time first seen
        self.returncode = None
        self.rusage = None
        self.t_exit = None
        self._threads = [threading.Thread(target=self._pump, args=(self.proc.stdout, self._out), daemon=True),
                         threading.Thread(target=self._pump, args=(self.proc.stderr, self._err), daemon=True)]
        for t in self._threads:
            t.start()

    def _pump(self, stream, buf):
        fd = stream.fileno()
        while True:
            try:
                data = os.read(fd, 65536)
            except OSError:
                data = b""
            t = time.perf_counter()
            with self._changed:
                if data:
                    buf.extend(data)
                    for m in self._watch:
                        if m not in self._markers and m in buf:
                            self._markers[m] = t
                self._changed.notify_all()
            if not data:
                return

    def watch(self, *markers):
        """Markers (bytes) whose first appearance on stdout/stderr is timed."""
        with self._lock:
            self._watch = tuple(markers)

    @property
    def out(self):
        with self._lock:
            return self._out.decode(errors="replace")

    @property
    def err(self):
        with self._lock:
            return self._err.decode(errors="replace")

    def poll(self):
        """True when the process has exited (then reaped, with its rusage)."""
        if self.returncode is not None:
            return True
        pid, status, ru = os.wait4(self.pid, os.WNOHANG)
        if pid == 0:
            return False
        self.t_exit = time.perf_counter()
        self.returncode = os.waitstatus_to_exitcode(status)
        self.proc.returncode = self.returncode
        self.rusage = ru
        for t in self._threads:
            t.join(timeout=5)
        return True

    def wait_marker(self, marker, timeout, poke=None, poke_every=0.0005):
        """Waits until marker (bytes) is seen, calling poke() every poke_every
        seconds meanwhile (to make the event the marker reports happen).
        Returns the seconds from start to the marker, or None if the process
        exited or the timeout passed first."""
        self.watch(marker)
        with self._lock:  # the marker may already be in the buffer
            if marker in self._out or marker in self._err:
                self._markers.setdefault(marker, time.perf_counter())
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with self._lock:
                t = self._markers.get(marker)
            if t is not None:
                return t - self.t_start
            if self.poll():
                with self._lock:
                    t = self._markers.get(marker)
                return None if t is None else t - self.t_start
            if poke:
                poke()
            time.sleep(poke_every)
        return None

    def wait_attached(self, tracepoint, count, timeout, every=0.02):
        """Waits until at least count BPF programs of this process tree are
        attached to tracepoints (any tracepoint if tracepoint is None).
        Returns seconds from start, or None (exited, or timeout)."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.poll():
                return None
            pids = set(descendants(self.pid))
            n = sum(1 for p, tp in bpf_attachments() if p in pids and (tracepoint is None or tp == tracepoint))
            if n >= count:
                return time.perf_counter() - self.t_start
            time.sleep(every)
        return None

    def wait(self, timeout):
        """Waits for exit; True if it exited within timeout.  Sleeps on a pidfd,
        so the exit time is exact without polling."""
        if self.poll():
            return True
        try:
            fd = os.pidfd_open(self.pid)
        except OSError:  # already reaped elsewhere, or an old kernel
            fd = None
        deadline = time.perf_counter() + timeout
        try:
            while not self.poll():
                left = deadline - time.perf_counter()
                if left <= 0:
                    return False
                if fd is not None:
                    select.select([fd], [], [], left)
                else:
                    time.sleep(min(left, 0.005))
        finally:
            if fd is not None:
                os.close(fd)
        return True

    def stop(self, timeout=60.0, resend=None):
        """SIGINT (the tracer runs its end probes and detaches), then SIGTERM and
        SIGKILL if it does not exit.  resend: seconds after which SIGINT is sent
        again (for tools that sometimes miss the first; never for stap-like
        tools, where a second SIGINT means "quit now").  Returns (seconds from
        the first SIGINT to exit, how it was stopped: "SIGINT", "SIGINT x2",
        "SIGTERM", "SIGKILL" or "exited")."""
        if self.poll():
            return 0.0, "exited"
        t0 = time.perf_counter()
        self._kill(signal.SIGINT)
        if resend and resend < timeout:
            if self.wait(resend):
                return self.t_exit - t0, "SIGINT"
            self._kill(signal.SIGINT)
            if self.wait(timeout - resend):
                return self.t_exit - t0, "SIGINT x2"
        elif self.wait(timeout):
            return self.t_exit - t0, "SIGINT"
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 30)):
            self._kill(sig)
            if self.wait(wait):
                return self.t_exit - t0, signal.Signals(sig).name
        return time.perf_counter() - t0, "stuck"

    def _kill(self, sig):
        try:
            os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def peak_rss_kb(self):
        """Peak RSS in kB of the process and the children it waited for (wait4)."""
        return self.rusage.ru_maxrss if self.rusage else None


def median(xs):
    return statistics.median(xs) if xs else None


def log(*args):
    print(*args, file=sys.stderr, flush=True)

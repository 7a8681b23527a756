"""What a benchmark case gets: the run's settings, the tracers, the load
generator, and the helpers every tracepoint case shares (start a tracer on a
script, wait until its probes are attached, run the getppid loop pinned or
not, stop the tracer and read its peak RSS).

A case never talks to a tracer another way, so that every tool is started,
waited for and stopped identically.
"""
import hashlib
import os
import subprocess
import time

from .core import Cell, Proc, bpf_attachments, descendants, first_lines, log

GETPPID_TP = "sys_enter_getppid"  # as bpftool names it


class Ctx:
    def __init__(self, args, tracers, tmpdir, loadgen, here):
        self.args = args
        self.rounds = args.rounds  # at least 5 for every measurement
        self.events = args.events  # getppid calls per loop
        self.pin = args.pin  # CPU for the load generator, or None
        self.tracers = tracers  # all of them, available or not, in report order
        self.tmpdir = tmpdir
        self.loadgen = loadgen  # path of the built benchload
        self.here = here  # the bench/ folder
        self.results = {}  # case name -> [Row], for cases that read others' results
        self.contended = []  # (case, tracer, pids) runs that had other tracers' programs on the tracepoint
        self.resent = []  # (case, tracer) runs that needed a second SIGINT to stop
        self.notes = []  # the current case's notes, printed under its table
        self.case = None  # the current case's NAME
        self._n = 0

    def note(self, text):
        """Adds a line printed under the current case's table."""
        self.notes.append(text)

    # -- scripts and tracers ------------------------------------------------

    def script(self, tracer, text):
        """Writes text to a file named by its content, with the tracer's
        extension; returns its path.  The same text gets the same path, so
        a run with stapjit's cache can find the object of an earlier one
        (the path is part of what the object depends on: its line info)."""
        self._n += 1
        digest = hashlib.sha1(text.encode()).hexdigest()[:16]
        path = os.path.join(self.tmpdir, f"s-{digest}.{tracer.lang}")
        with open(path, "w") as f:
            f.write(text)
        return path

    def unavailable(self, tracer):
        return Cell(unavailable=tracer.reason)

    def start(self, tracer, text, out=None, flags=(), markers=()):
        """Starts tracer on a script (text in its language); returns the Proc."""
        return Proc(tracer.argv(self.script(tracer, text), out=out, flags=flags), env=tracer.env,
                    cwd=self.tmpdir, markers=markers)

    def stop(self, tracer, p, timeout=None, extra=0.0):
        """Stops a tracer's Proc (see Proc.stop); extra: seconds its detach may
        legitimately take beyond the usual (many probes), before a second
        SIGINT is sent to a tool that wants one.  Counts the runs that needed it."""
        timeout = (self.args.stop_timeout if timeout is None else timeout) + extra
        resend = tracer.resend_sigint + extra if tracer.resend_sigint else None
        secs, how = p.stop(timeout=timeout, resend=resend)
        if how == "SIGINT x2":
            self.resent.append((self.case, tracer.name))
        return secs, how

    # -- the load generator ---------------------------------------------------

    def _pin(self):
        if self.pin is not None:
            os.sched_setaffinity(0, {self.pin})

    def run_loop(self, n=None):
        """Runs the getppid loop of n calls (default --events); returns
        (seconds the loop took as the generator timed it, its start and end as
        time.monotonic() values, its pid)."""
        n = n or self.events
        p = subprocess.Popen([self.loadgen, "getppid", str(n)], stdout=subprocess.PIPE, text=True,
                             preexec_fn=self._pin)
        out, _ = p.communicate()
        if p.returncode != 0:
            raise RuntimeError(f"benchload failed with exit {p.returncode}")
        start, end = (int(x) for x in out.split())
        return (end - start) / 1e9, start / 1e9, end / 1e9, p.pid

    # -- sharing the machine ------------------------------------------------------

    def wait_quiet(self, tracepoint=GETPPID_TP, timeout=None):
        """Waits (up to --quiet-wait seconds) until no other process has a BPF
        program on tracepoint: on a shared machine another user's tracer on the
        same tracepoint would run on every call of our loop.  Returns the pids
        still attached (empty when quiet)."""
        timeout = self.args.quiet_wait if timeout is None else timeout
        me = os.getpid()
        deadline = time.monotonic() + timeout
        warned = False
        while True:
            others = sorted({p for p, tp in bpf_attachments() if tp == tracepoint and p != me})
            if not others or time.monotonic() > deadline:
                return others
            if not warned:
                log(f"    waiting up to {timeout:.0f} s: other processes {others} have BPF programs on {tracepoint}")
                warned = True
            time.sleep(0.5)

    # -- one traced loop -----------------------------------------------------------

    def traced_loop(self, tracer, text, out=None, flags=(), drain=False):
        """Starts tracer on text, waits until it has a program on
        sys_enter_getppid, runs the getppid loop, stops it with SIGINT.
        drain: before stopping, wait until the -o file stops growing.
        Returns a dict: ok, error, loop_s, loop_start, loop_end, load_pid,
        last_write, rss_kb, stop_s, how, out, err, contended."""
        others = self.wait_quiet()
        p = self.start(tracer, text, out=out, flags=flags)
        r = {"contended": others}
        t = p.wait_attached(GETPPID_TP, 1, timeout=self.args.attach_timeout)
        if t is None:
            self.stop(tracer, p, timeout=10)
            r.update(ok=False, error=first_lines(p.err) if p.returncode not in (None, 0) or p.err.strip()
                     else f"no program attached to {GETPPID_TP} within {self.args.attach_timeout} s")
            return r
        time.sleep(0.2)  # let the rest of its start-up finish before the timed loop
        r["loop_s"], r["loop_start"], r["loop_end"], r["load_pid"] = self.run_loop()
        if drain and out:
            # 2 s without growth: a tracer descheduled for a moment on a busy
            # machine must not be stopped (and lose what it still holds) early
            r["last_write"] = _wait_stable(out, p, quiet=2.0, start=r["loop_end"])
        # another user's tracer may have arrived during the loop: look again
        me = set(descendants(p.pid)) | {os.getpid()}
        late = {q for q, tp in bpf_attachments() if tp == GETPPID_TP and q not in me}
        r["contended"] = sorted(set(others) | late)
        r["stop_s"], r["how"] = self.stop(tracer, p)
        r.update(rss_kb=p.peak_rss_kb(), out=p.out, err=p.err)
        if p.returncode != 0 or r["how"] not in ("SIGINT", "SIGINT x2", "exited"):
            r.update(ok=False, error=f"exit {p.returncode} after {r['how']}: {first_lines(p.err)}")
        else:
            r["ok"] = True
        return r


def _wait_stable(path, proc, quiet, start):
    """Waits until the file has not grown for `quiet` seconds (or the tracer
    exited); returns the time.monotonic() of the last growth seen (its first
    look, just after `start`, when the file was already complete)."""
    last_size, last_t = -1, start
    while True:
        try:
            size = os.path.getsize(path)
        except OSError:
            size = 0
        now = time.monotonic()
        if size != last_size:
            last_size, last_t = size, now
        elif now - last_t >= quiet or proc.poll():
            return last_t
        time.sleep(0.005)

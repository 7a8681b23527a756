"""The tools the benchmarks compare: stapjit, bpftrace and SystemTap's BPF
runtime (stap --bpf).  Each Tracer knows its script language ("stp" or
"bt"), how to build a command line for a script file, and whether it can run
on this machine (detect() tries it once; when it cannot, `reason` says why
and every case reports "cannot run here" for it instead of failing).

Installing the competitors is bench/setup.sh's job, never this file's.
"""
import os
import platform
import shutil
import subprocess
import tempfile


class Tracer:
    def __init__(self, name, label, lang):
        self.name = name  # key in results and JSON
        self.label = label  # column heading
        self.lang = lang  # "stp" (SystemTap language) or "bt" (bpftrace)
        self.available = False
        self.reason = "not checked"  # why it cannot run, when not available
        self.version = ""
        self.env = None  # environment for its runs (None: inherit)
        self.resend_sigint = None  # seconds after which a missed SIGINT is sent again

    def argv(self, script, out=None, flags=()):
        raise NotImplementedError


class Stapjit(Tracer):
    def __init__(self, path):
        super().__init__("stapjit", "stapjit", "stp")
        self.path = os.path.abspath(path)

    # Every run compiles (--disable-cache), as bpftrace always does, unless
    # a case asks for the cached path with this pseudo-flag (stripped here).
    CACHED = "@cached"

    def argv(self, script, out=None, flags=()):
        cache = [] if self.CACHED in flags else ["--disable-cache"]
        flags = [f for f in flags if f != self.CACHED]
        return [self.path, *cache, *flags, *(["-o", out] if out else []), script]

    def detect(self):
        if not os.access(self.path, os.X_OK):
            self.reason = f"{self.path} not found: build it (README.md) or pass --stapjit PATH"
            return
        v = subprocess.run([self.path, "-V"], capture_output=True, text=True)
        self.version = (v.stdout or v.stderr).splitlines()[0] if (v.stdout or v.stderr) else "?"
        build_type = _cmake_build_type(self.path)
        if build_type:
            self.version += f" ({build_type} build)"
        self.available, self.reason = True, ""


class Bpftrace(Tracer):
    def __init__(self):
        super().__init__("bpftrace", "bpftrace", "bt")
        # 1,000-probe scripts exceed bpftrace's default limit of 512 probes and
        # programs: raising the limit is its documented configuration, not a change
        # to what is measured.
        self.env = dict(os.environ, BPFTRACE_MAX_PROBES="4096", BPFTRACE_MAX_BPF_PROGS="4096")
        # bpftrace 0.17 now and then ignores a SIGINT (seen with map-only
        # scripts); a second one is harmless to it.  Runs where it was needed
        # are counted in the report.
        self.resend_sigint = 10

    def argv(self, script, out=None, flags=()):
        return ["bpftrace", *flags, *(["-o", out] if out else []), script]

    def detect(self):
        if not shutil.which("bpftrace"):
            self.reason = "bpftrace is not installed (run bench/setup.sh)"
            return
        v = subprocess.run(["bpftrace", "--version"], capture_output=True, text=True)
        self.version = v.stdout.strip()
        r = subprocess.run(["bpftrace", "-e", "BEGIN { exit(); }"], capture_output=True, text=True,
                           timeout=120, env=self.env)
        if r.returncode != 0:
            from .core import first_lines
            self.reason = f"bpftrace -e 'BEGIN {{ exit(); }}' failed: {first_lines(r.stderr)}"
            return
        self.available, self.reason = True, ""


class StapBpf(Tracer):
    def __init__(self):
        super().__init__("stap", "stap --bpf", "stp")

    def argv(self, script, out=None, flags=()):
        return ["stap", "--bpf", *flags, *(["-o", out] if out else []), script]

    def detect(self):
        if not shutil.which("stap"):
            self.reason = "SystemTap is not installed (run bench/setup.sh)"
            return
        v = subprocess.run(["stap", "-V"], capture_output=True, text=True)
        self.version = ((v.stderr or v.stdout).splitlines() or ["?"])[0]
        with tempfile.TemporaryDirectory() as d:
            try:
                r = subprocess.run(["stap", "--bpf", "-p4", "-e", "probe begin { exit() }"], cwd=d,
                                   capture_output=True, text=True, timeout=300)
            except subprocess.TimeoutExpired:
                self.reason = "stap --bpf -p4 did not finish in 300 s"
                return
        if r.returncode == 0:
            self.available, self.reason = True, ""
            return
        self.reason = _stap_reason(r.stderr)


def _stap_reason(stderr):
    """Why stap --bpf cannot compile here, in one line."""
    release = platform.release()
    if f"/lib/modules/{release}/build" in stderr:
        return (f"no kernel build tree for the running kernel {release} "
                f"(/lib/modules/{release}/build is missing; stap --bpf needs the kernel's "
                f"build tree and .config, which Debian packages only for its own kernels)")
    from .core import first_lines
    return "stap --bpf -p4 failed: " + first_lines(stderr)


def _cmake_build_type(binary):
    """CMAKE_BUILD_TYPE of the build tree a binary came from, or ''."""
    d = os.path.dirname(binary)
    for _ in range(4):
        cache = os.path.join(d, "CMakeCache.txt")
        if os.path.exists(cache):
            with open(cache) as f:
                for line in f:
                    if line.startswith("CMAKE_BUILD_TYPE:"):
                        return line.split("=", 1)[1].strip() or "no build type"
            return ""
        d = os.path.dirname(d)
    return ""


def all_tracers(stapjit_path, names=None):
    """The tracers in report order, detected; names limits which are tried
    (the others are reported as not requested)."""
    ts = [Stapjit(stapjit_path), Bpftrace(), StapBpf()]
    for t in ts:
        if names is not None and t.name not in names:
            t.reason = "not requested (--tracers)"
            continue
        t.detect()
    return ts

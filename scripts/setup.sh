#!/usr/bin/env bash
# setup.sh: installs stapjit's build dependencies from Debian 12's archive and
# builds the project into build/.
#
# Idempotent and quick when already done: apt is touched only if a package is
# missing (dpkg-query decides), and the build is incremental.  Runs as root or
# through sudo; never reads stdin (CI has none).
#
#   scripts/setup.sh              install what is missing, configure, build
#   scripts/setup.sh --deps-only  install what is missing, nothing else
#
# JOBS (default 2) sets the build's parallelism.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

PACKAGES=(
  build-essential cmake pkg-config
  llvm-19-dev                       # the LLVM C API (pass 4)
  libbpf-dev libelf-dev libdw-dev   # BPF loading, ELF and DWARF
  libffi-dev                        # the IR interpreter's builtin calls
  zlib1g-dev libzstd-dev            # what LLVM's and libdw's libraries link
  clang libclang-rt-14-dev          # clang 14 and its libFuzzer/sanitizer runtimes
  systemtap-common                  # its tapsets are the tests' parse corpus
  python3                           # test helpers
  bpftool                           # live tests: nothing stays attached (tests/bpf/live)
  qemu-system-x86 busybox-static    # the VM test bed (tests/vm): a stock Debian kernel
  cpio linux-headers-amd64          #   in qemu; the headers name the kernel image it fetches
)

deps_only=0
for arg in "$@"; do
  case "$arg" in
    --deps-only) deps_only=1 ;;
    -h|--help) sed -n '2,12p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "setup.sh: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

say() { printf 'setup: %s\n' "$*"; }

installed() {
  [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]
}

missing=()
for p in "${PACKAGES[@]}"; do
  installed "$p" || missing+=("$p")
done

if ((${#missing[@]})); then
  if ((EUID == 0)); then
    sudo=()
  elif command -v sudo >/dev/null; then
    sudo=(sudo -n)
  else
    echo "setup: missing packages (${missing[*]}) and not root; no sudo to install them" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  say "installing: ${missing[*]}"
  # An unreachable third-party source must not stop us: the install below
  # fails clearly if Debian's own archive did not answer.
  "${sudo[@]}" apt-get update -q </dev/null ||
    say "warning: apt-get update reported errors; trying the install anyway"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get install -y -q --no-install-recommends "${missing[@]}" </dev/null
  for p in "${missing[@]}"; do
    installed "$p" || { echo "setup: $p is still not installed" >&2; exit 1; }
  done
else
  say "packages: all ${#PACKAGES[@]} installed"
fi

((deps_only)) && exit 0

# Configure once; afterwards `cmake --build` re-runs the configure step by
# itself when a CMakeLists.txt or a globbed folder changes.
if [[ ! -f build/CMakeCache.txt || ! -f build/Makefile ]]; then
  say "configuring build/"
  cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
say "building build/"
cmake --build build -j"${JOBS:-2}"
if [[ -x build/cli/stapjit ]]; then
  say "done: build/cli/stapjit"
else
  say "done (build/cli/stapjit was not built: no stapjit target yet?)"
fi

#!/usr/bin/env bash
# test.sh: the whole test suite.  Runs setup.sh (packages and the build/
# tree), builds the sanitizer tree build-asan/ with clang (ASan, UBSan and the
# libFuzzer targets), and runs every test there with ctest.
#
# Exits non-zero if any step fails or any test fails; once the tests run,
# ctest's closing summary ("N% tests passed, M tests failed out of T") is
# printed.  A tree with no tests at all is a failure too: a suite that
# cannot fail is not a suite.
#
# JOBS (default 2) sets the build's and ctest's parallelism.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
jobs="${JOBS:-2}"

say() { printf 'test: %s\n' "$*"; }

scripts/setup.sh

# Configure once (changing CMAKE_C_COMPILER on an existing cache would make
# cmake start over); `cmake --build` re-runs the configure step when needed.
if [[ ! -f build-asan/CMakeCache.txt || ! -f build-asan/Makefile ]]; then
  say "configuring build-asan/"
  cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DSTAPJIT_SANITIZE=ON -DSTAPJIT_FUZZ=ON
fi
say "building build-asan/"
cmake --build build-asan -j"$jobs"

# Sanitizer reports must fail the test that triggers them, with a stack.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1}"
# LeakSanitizer's stop-the-world scan of thread-local storage can crash
# ("Tracer caught signal 11") in a process that dlopen()ed libLLVM, which
# stapjit does for pass 4 (libstapjit-bpfgen.so).  stapjit keeps no heap
# pointers in thread-local storage, so leaks are still found without it.
export LSAN_OPTIONS="${LSAN_OPTIONS:-use_tls=0:print_suppressions=0}"

say "running ctest in build-asan/"
ctest --test-dir build-asan --output-on-failure -j"$jobs" --no-tests=error --timeout 600

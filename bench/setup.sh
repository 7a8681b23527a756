#!/usr/bin/env bash
# bench/setup.sh: installs what bench/run compares stapjit with, as root on
# Debian: bpftrace, SystemTap (whose BPF runtime, stap --bpf, runs only with
# a build tree for the running kernel), bpftool (bench/run uses it to see
# which programs are attached) and a C compiler for the load generator.
# The test suite never runs this: competitors are the benchmark's business.
#
#   sudo bench/setup.sh
set -eu
[ "$(id -u)" = 0 ] || { echo "setup.sh: run as root" >&2; exit 1; }
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq bpftrace systemtap bpftool gcc python3 >/dev/null
# stap --bpf needs /lib/modules/$(uname -r)/build.  Debian ships it as
# linux-headers-RELEASE for its own kernels only; on any other kernel there
# is nothing to install, and bench/run reports why stap --bpf cannot run.
release=$(uname -r)
if [ -e "/lib/modules/$release/build/.config" ]; then
  echo "setup.sh: kernel build tree for $release present: stap --bpf can run"
elif apt-cache show "linux-headers-$release" >/dev/null 2>&1; then
  apt-get install -y -qq "linux-headers-$release" >/dev/null
  echo "setup.sh: installed linux-headers-$release for stap --bpf"
else
  echo "setup.sh: no Debian package linux-headers-$release for this kernel:" \
       "stap --bpf will be reported as unable to run"
fi
echo "setup.sh: bpftrace $(bpftrace --version | awk '{print $2}'), $(stap -V 2>&1 | head -1)"

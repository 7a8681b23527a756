#!/usr/bin/env bash
# get-kernel.sh: the stock Debian kernel the VM tests boot, fetched once.
#
# The version is VERSION, else $STAPJIT_VM_KVER, else the one the installed
# linux-headers-amd64 depends on (so modules built later against
# /usr/src/linux-headers-VER match the guest), else the newest
# /usr/src/linux-headers-*-amd64.  The image package is
# downloaded with `apt-get download`, never installed: only its /boot is
# unpacked, into the cache (outside the source tree: kernels are never
# committed).  Prints the kernel's cache directory, which holds:
#
#   vmlinuz   the bzImage, as packaged
#   vmlinux   the uncompressed ELF carved out of it when that works (qemu
#             boots it directly through its PVH note: seconds faster under
#             TCG, where the decompressor runs emulated); it also carries .BTF
#   config    the kernel's configuration
#   kver      the version, written last: the directory is complete with it
#
#   get-kernel.sh [VERSION]
#
# STAPJIT_VM_CACHE (default ${XDG_CACHE_HOME:-~/.cache}/stapjit-vm) is the
# cache.  Exits 1 with a message when no version is known or the download
# fails (the archive keeps only the current ABI's image: `apt-get update`,
# and upgrade linux-headers-amd64 with it).
set -euo pipefail

say() { printf 'get-kernel: %s\n' "$*" >&2; }

kver=${1:-${STAPJIT_VM_KVER:-}}
if [[ -z $kver ]]; then
  kver=$(dpkg-query -W -f='${Depends}' linux-headers-amd64 2>/dev/null |
    sed -n 's/^linux-headers-\([^ ,]*-amd64\).*/\1/p' || true)
fi
if [[ -z $kver ]]; then
  h=$(printf '%s\n' /usr/src/linux-headers-*-amd64 | grep -v '\*' | sort -V | tail -n 1 || true)
  kver=${h#/usr/src/linux-headers-}
fi
[[ -n $kver ]] || { say "no kernel version: install linux-headers-amd64"; exit 1; }

cache=${STAPJIT_VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/stapjit-vm}
dir=$cache/$kver
if [[ -s $dir/kver ]]; then echo "$dir"; exit 0; fi

mkdir -p "$cache"
# Two test trees may ask at once: one downloads, the other waits.
exec 8>"$cache/.lock"
flock 8
if [[ -s $dir/kver ]]; then echo "$dir"; exit 0; fi

tmp=$(mktemp -d "$cache/.get.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
say "downloading linux-image-$kver"
# apt-get download writes to the current directory; as root it warns that
# the download runs unsandboxed, which is harmless.
if ! (cd "$tmp" && apt-get download -q "linux-image-$kver" >&2 2>&1) &&
   ! (cd "$tmp" && apt-get download -q "linux-image-$kver-unsigned" >&2 2>&1); then
  say "apt-get download linux-image-$kver failed (run apt-get update?)"
  exit 1
fi
# /boot only: the modules are hundreds of megabytes the tests do not load.
dpkg-deb --fsys-tarfile "$tmp"/*.deb | tar -xf - -C "$tmp" ./boot
mkdir -p "$dir"
cp "$tmp/boot/vmlinuz-$kver" "$dir/vmlinuz"
cp "$tmp/boot/config-$kver" "$dir/config"

# The ELF inside the bzImage: Debian compresses it with xz.  Without it the
# harness boots vmlinuz, only slower.
python3 - "$dir/vmlinuz" "$dir/vmlinux" <<'PY' || say "no vmlinux in the bzImage; booting vmlinuz"
import lzma, sys
data = open(sys.argv[1], "rb").read()
at = data.find(b"\xfd7zXZ\x00")
while at >= 0:
    try:
        elf = lzma.LZMADecompressor().decompress(data[at:])
        if elf[:4] == b"\x7fELF":
            open(sys.argv[2], "wb").write(elf)
            sys.exit(0)
    except lzma.LZMAError:
        pass
    at = data.find(b"\xfd7zXZ\x00", at + 1)
sys.exit(1)
PY
echo "$kver" >"$dir/kver"
say "kernel $kver in $dir"
echo "$dir"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Extract files from a Debian kernel source tarball (linux-source-VER):
#   kernel-source.sh VER DESTDIR PATH...
# PATHs are relative to the top of the kernel tree; they land in DESTDIR
# under the same relative paths. Done once: files already there are kept.
set -euo pipefail

ver=${1:?version}
dest=${2:?destination}
shift 2

tarball=/usr/src/linux-source-$ver.tar.xz
[[ -r $tarball ]] || { echo "kernel-source: $tarball missing (run scripts/setup.sh)" >&2; exit 1; }

need=()
for p in "$@"; do
	[[ -e $dest/$p ]] || need+=("linux-source-$ver/$p")
done
((${#need[@]})) || exit 0

mkdir -p "$dest"
tar -xJf "$tarball" -C "$dest" --strip-components=1 "${need[@]}"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Write a kernel module as a plain .ko, whether it is plain or compressed
# as a kernel package or DKMS may install it (.ko.xz, .ko.zst, .ko.gz):
#   ko-plain.sh SRC DEST
# busybox's insmod and a search of the module's text both need it plain.
set -euo pipefail

src=${1:?module} dst=${2:?destination}
case $src in
*.xz)	xz -dc -- "$src" > "$dst" ;;
*.zst)	zstd -qdc -- "$src" > "$dst" ;;
*.gz)	gzip -dc -- "$src" > "$dst" ;;
*)	cp -- "$src" "$dst" ;;
esac

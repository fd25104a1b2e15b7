#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's demonstration: on a fresh Debian 12 machine, as root, install
# what is needed, build, boot each stock kernel in a VM, load acall.ko and
# show what it supports.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v make > /dev/null; then
	apt-get update -q && apt-get install -y -q --no-install-recommends make
fi
scripts/setup.sh
make -s examples
for k in 6.1 6.12; do
	echo "=== kernel $k"
	scripts/vmtest.sh "$k" 'insmod acall.ko && cp /acall/examples/acall-probe /bin/ && acall-probe' |
		grep -vE '^\[ *[0-9]+\.[0-9]+\] '
done

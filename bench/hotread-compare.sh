#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the VM (scripts/hotread-compare.sh boots it):
#   hotread-compare.sh ROUNDS READS MODULE...
# ext4 on a memory-backed null_blk, a 16 MiB file read once into the page
# cache, then for each round each module in /acall/modules loaded in turn
# and bench/hotread run with it.
rounds=$1 reads=$2
shift 2
fail() { echo "hotread-compare: $*"; exit 1; }

. "$(dirname "$0")/guest-ext4.sh"

guest_ext4 1 20000 || exit 1
dd if=/dev/zero of=/mnt/ext4/hot bs=1M count=16 2>/dev/null || fail "no file"
# Clean before the first read: once, a round right after the write sent
# its reads to workers (the cause was not found; the counters now show it).
sync

round=1
while [ "$round" -le "$rounds" ]; do
	for m in "$@"; do
		insmod "/acall/modules/$m.ko" || fail "cannot load $m"
		/acall/bench/hotread /mnt/ext4/hot "$reads" |
			sed -n "s/^  /round $round $m /p"
		rmmod acall || fail "cannot unload $m"
	done
	round=$((round + 1))
done

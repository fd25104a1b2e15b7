#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the VM (scripts/bench-compare.sh boots it):
#   bench-compare.sh ROUNDS ENGINES "MODULE..." ACALL-BENCH-OPTIONS...
# ext4 on a memory-backed null_blk as in the quick profile; the file is
# laid out once, then for each round each module in /acall/modules is
# loaded in turn and acall-bench runs the workload with ENGINES.
rounds=$1 engines=$2 modules=$3
shift 3
fail() { echo "bench-compare: $*"; exit 1; }

. "$(dirname "$0")/guest-ext4.sh"

guest_ext4 1 20000 || exit 1
bench=/acall/bench/acall-bench
common="--filename=/mnt/ext4/bench.dat --device-ns=20000"
# Lay the file out before the first measured run, with the same size.
# shellcheck disable=SC2086 # $common and $@ are words
"$bench" $common --engines=psync --runtime=0.2 "$@" >/dev/null ||
	fail "acall-bench failed"

round=1
while [ "$round" -le "$rounds" ]; do
	for m in $modules; do
		insmod "/acall/modules/$m.ko" || fail "cannot load $m"
		# shellcheck disable=SC2086
		"$bench" $common --engines="$engines" "$@" |
			grep -E "^([a-z_-]+ +[0-9]|acall / )" |
			sed "s/^/round $round $m: /"
		rmmod acall || fail "cannot unload $m"
	done
	round=$((round + 1))
done

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# In the VM (scripts/perf-engines.sh boots it):
#   perf-engines.sh --symbols=N ENGINES ACALL-BENCH-OPTIONS...
# ext4 on a memory-backed null_blk as in the quick profile; for each engine
# of the comma-separated ENGINES, one acall-bench run for its figures, then
# a second under "perf record -a -g -e cpu-clock" and the symbols that took
# the most samples, whole system, both CPUs, idle included, then the
# samples of each thread name.
symbols=${1#--symbols=}
engines=$2
shift 2
fail() { echo "perf-engines: $*"; exit 1; }

. "$(dirname "$0")/guest-ext4.sh"

insmod /acall/acall.ko || fail "cannot load acall.ko"
guest_ext4 1 20000 || exit 1
# Kernel symbols for perf, as root in a VM of its own.
echo 0 > /proc/sys/kernel/kptr_restrict
echo -1 > /proc/sys/kernel/perf_event_paranoid

bench=/acall/bench/acall-bench
common="--filename=/mnt/ext4/bench.dat --device-ns=20000 --rounds=1"
for e in $(echo "$engines" | tr , ' '); do
	# shellcheck disable=SC2086 # $common is words
	"$bench" $common --engines="$e" "$@" | grep -E "^(engine|$e) " ||
		fail "acall-bench failed"
	# shellcheck disable=SC2086
	perf record -q -a -g -e cpu-clock -o /tmp/perf.data -- \
		"$bench" $common --engines="$e" "$@" >/dev/null 2>&1 ||
		fail "perf record failed"
	echo "perf-engines: $e, the $symbols symbols with the most samples:"
	perf report -i /tmp/perf.data --stdio --no-children --sort sym 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -n "$symbols"
	# Which thread is the bottleneck: a pool's worker, the submitter.
	echo "perf-engines: $e, samples by thread:"
	perf report -i /tmp/perf.data --stdio --no-children --sort comm 2>/dev/null |
		grep -E '^ +[0-9.]+%' | head -n 8
done

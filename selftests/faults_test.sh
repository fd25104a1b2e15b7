#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Fault injection, short, during the verifying stress (acall-stress -f):
#   1. fail-nth: before half of the submissions, one allocation (slab or
#      page) of that ioctl, and only of it, fails;
#   2. failslab restricted by its cache filter to acall's request cache
#      (acall_req), for every task, and fail_make_request on the raw test
#      device: its I/O fails with -EIO.
# Every request still completes exactly once, with its result or a clean
# -ENOMEM/-EIO; then no worker is left, the module unloads, and the kernel
# reported nothing and leaked nothing. Needs a kernel with fault injection
# (the debug kernel); skipped elsewhere.
#   ACALL_FAULTS_SECONDS (default 15 a phase)  ACALL_FAULTS_SEED (the time)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hardening.sh"

dbg=/sys/kernel/debug
if [ ! -e /proc/self/fail-nth ] || [ ! -d $dbg/failslab ]; then
	tap_skip "faults: this kernel has no fault injection (CONFIG_FAULT_INJECTION, FAILSLAB)"
	tap_end
fi
if [ -z "$ACALL_TEST_EXT4" ]; then
	tap_skip "faults: fixture ACALL_TEST_EXT4 not set up (see run_tests.sh)"
	tap_end
fi

# fault_set ATTR VALUE: set a fault-injection attribute.
fault_set() { echo "$2" > "$dbg/$1"; }
fi_reset() {
	for a in failslab fail_page_alloc fail_make_request; do
		[ -d $dbg/$a ] || continue
		fault_set $a/probability 0
		fault_set $a/times -1
		fault_set $a/verbose 0
		fault_set $a/task-filter N
	done
	fault_set failslab/cache-filter N
	fault_set failslab/ignore-gfp-wait Y
	fault_set fail_page_alloc/ignore-gfp-wait Y
	[ -e /sys/kernel/slab/acall_req/failslab ] && echo 0 > /sys/kernel/slab/acall_req/failslab
	[ -n "$ACALL_TEST_BDEV" ] && echo 0 > "/sys/block/${ACALL_TEST_BDEV#/dev/}/make-it-fail"
	return 0
}

seed=${ACALL_FAULTS_SEED:-$(date +%s)}
secs=${ACALL_FAULTS_SECONDS:-15}
echo "# seed $seed (ACALL_FAULTS_SEED=$seed replays it)"
set -- -f -s "$seed" -t "$secs" -p 2 -j 2 -d "$ACALL_TEST_EXT4"
[ -n "$ACALL_TEST_BDEV" ] && set -- "$@" -b "$ACALL_TEST_BDEV"

kreport_mark
fi_reset
out=/tmp/acall-faults.out

# 1. fail-nth: reclaiming allocations may fail too, pages of any order.
fault_set failslab/ignore-gfp-wait N
fault_set fail_page_alloc/ignore-gfp-wait N
fault_set fail_page_alloc/min-order 0
"$here/acall-stress" "$@" > "$out" 2>&1
status=$?
sed 's/^/# /' "$out"
tap_check "$status" "fail-nth in submissions: exactly one clean completion each"
fi_reset

# 2. acall_req allocations fail for any task (1 in 5), and so does I/O of
# the raw test device (1 in 10). "times" counts down each injected fault.
many=1000000
if [ -e /sys/kernel/slab/acall_req/failslab ]; then
	echo 1 > /sys/kernel/slab/acall_req/failslab
	fault_set failslab/cache-filter Y
	fault_set failslab/ignore-gfp-wait N
	fault_set failslab/probability 20
	fault_set failslab/interval 1
	fault_set failslab/times $many
	if [ -n "$ACALL_TEST_BDEV" ] && [ -d $dbg/fail_make_request ]; then
		echo 1 > "/sys/block/${ACALL_TEST_BDEV#/dev/}/make-it-fail"
		fault_set fail_make_request/probability 10
		fault_set fail_make_request/interval 1
		fault_set fail_make_request/times $many
	fi
	"$here/acall-stress" "$@" -s "$((seed + 1))" > "$out" 2>&1
	status=$?
	slab=$((many - $(cat $dbg/failslab/times)))
	bio=0
	[ "$(cat $dbg/fail_make_request/times)" = -1 ] ||
		bio=$((many - $(cat $dbg/fail_make_request/times)))
	fi_reset
	sed 's/^/# /' "$out"
	echo "# faults: acall_req allocations failed $slab, device I/O failed $bio"
	tap_check "$status" "failslab on acall_req and fail_make_request: exactly one clean completion each"
else
	fi_reset
	tap_skip "failslab: no /sys/kernel/slab/acall_req/failslab"
fi
hardening_after
tap_end

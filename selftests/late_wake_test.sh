#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A worker's wake-up that comes late must not reach the worker where it
# sleeps next. With the test-only module, the module chooses an idle thread
# of the process for a request, signals it and only then, a second later,
# wakes it: the thread leaves SERVE meanwhile and must not see that wake-up
# in userspace (acall-late_wake says how). Prints TAP; leaves acall.ko
# loaded.
KO=${ACALL_KO:-/acall/acall.ko}
INJECT_KO=${ACALL_INJECT_KO:-$(dirname "$KO")/acall-inject.ko}
here=$(cd "$(dirname "$0")" && pwd)

echo "TAP version 13"
echo "1..3"
if [ ! -f "$INJECT_KO" ]; then
	for i in 1 2 3; do
		echo "ok $i late_wake # SKIP needs $INJECT_KO"
	done
	exit 0
fi

[ -d /sys/module/acall ] && rmmod acall
# The thread must still be idle in the pool when the request comes,
# however slow the machine.
insmod "$INJECT_KO" worker_idle_ms=600000 || {
	echo "not ok 1 late_wake # insmod"
	exit 1
}
out=$("$here/acall-late_wake")
status=$?
[ -n "$out" ] && echo "$out"
# Set-up failed before any check: say so in TAP.
echo "$out" | grep -q '^\(not \)\?ok 3 ' ||
	echo "not ok 3 late_wake # acall-late_wake ended early (status $status)"
rmmod acall
insmod "$KO"
exit $status

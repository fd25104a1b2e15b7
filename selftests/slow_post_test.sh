#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# A completion consumed while its post is half done (the ring's tail
# stored, the module's own not yet) must leave the ring as it is: WAIT
# finds nothing ready and SUBMIT finds room. With the test-only module the
# post stalls between its two stores while the caller consumes it
# (acall-slow_post says how). Prints TAP; leaves acall.ko loaded.
KO=${ACALL_KO:-/acall/acall.ko}
INJECT_KO=${ACALL_INJECT_KO:-$(dirname "$KO")/acall-inject.ko}
here=$(cd "$(dirname "$0")" && pwd)

echo "TAP version 13"
echo "1..3"
if [ ! -f "$INJECT_KO" ]; then
	for i in 1 2 3; do
		echo "ok $i slow_post # SKIP needs $INJECT_KO"
	done
	exit 0
fi

[ -d /sys/module/acall ] && rmmod acall
insmod "$INJECT_KO" || {
	echo "not ok 1 slow_post # insmod"
	exit 1
}
out=$("$here/acall-slow_post")
status=$?
[ -n "$out" ] && echo "$out"
# Set-up failed before any check: say so in TAP.
echo "$out" | grep -q '^\(not \)\?ok 3 ' ||
	echo "not ok 3 slow_post # acall-slow_post ended early (status $status)"
rmmod acall
insmod "$KO"
exit $status

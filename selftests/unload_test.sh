#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rmmod while a kiocb completion that dropped the last context reference
# is still running: the module's text must outlive the completion. With
# the test-only module, one O_DIRECT read's completion spins for a while
# after its last put; rmmod, retried until the context is gone, must not
# return before that completion has logged its end. On the VM's devices
# that completion runs in an interrupt; the same wait covers the
# workqueue completions of O_DIRECT writes that need completion work (XFS,
# btrfs), which these fixtures cannot produce. Prints TAP; leaves acall.ko
# loaded.
KO=${ACALL_KO:-/acall/acall.ko}
INJECT_KO=${ACALL_INJECT_KO:-$(dirname "$KO")/acall-inject.ko}
here=$(cd "$(dirname "$0")" && pwd)

echo "TAP version 13"
echo "1..1"
# The slow ext4: on a RAM disk the write would be done before its
# submission returns, and no completion callback would run.
if [ -z "$ACALL_TEST_SLOW_EXT4" ] || [ ! -f "$INJECT_KO" ]; then
	echo "ok 1 rmmod_waits_for_a_running_completion # SKIP needs ACALL_TEST_SLOW_EXT4 and $INJECT_KO"
	exit 0
fi

[ -d /sys/module/acall ] && rmmod acall
insmod "$INJECT_KO" || { echo "not ok 1 rmmod_waits_for_a_running_completion # insmod"; exit 1; }
file=$ACALL_TEST_SLOW_EXT4/unload-test
"$here/acall-unload" "$file" || {
	echo "not ok 1 rmmod_waits_for_a_running_completion # acall-unload failed"
	rmmod acall; insmod "$KO"; exit 1
}
# The context goes once the read's completion has dropped its reference.
tries=0
until rmmod acall 2>/dev/null; do
	tries=$((tries + 1))
	if [ $tries -gt 3000 ]; then
		echo "not ok 1 rmmod_waits_for_a_running_completion # the module stayed busy"
		exit 1
	fi
	sleep 0.01
done
if dmesg | grep -q 'acall: slow completion over'; then
	echo "ok 1 rmmod_waits_for_a_running_completion"
	status=0
else
	echo "# rmmod returned while the completion was still running"
	echo "not ok 1 rmmod_waits_for_a_running_completion"
	status=1
fi
rm -f "$file"
insmod "$KO"
exit $status

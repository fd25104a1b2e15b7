#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Loading and unloading acall.ko: insmod/rmmod cycles, /dev/acall appearing
# and going away with it, rmmod refused while a context is open, the
# read-only parameter refused on insmod's command line, and the default
# that keeps kernel-thread workers to CAP_SYS_ADMIN.
# Prints TAP; expects the module loaded on entry and leaves it loaded.
KO=${ACALL_KO:-/acall/acall.ko}
n=0
failed=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n $1"; }
loaded() { [ -d /sys/module/acall ]; }

echo "TAP version 13"
echo "1..6"

# 20 insmod/rmmod cycles, each one also opening the device.
cycles_ok=1
loaded && rmmod acall
for i in $(seq 20); do
	if ! insmod "$KO"; then
		echo "# cycle $i: insmod failed"; cycles_ok=0; break
	fi
	if ! [ -c /dev/acall ] || ! : <>/dev/acall; then
		echo "# cycle $i: /dev/acall missing or cannot be opened"; cycles_ok=0; break
	fi
	if ! rmmod acall; then
		echo "# cycle $i: rmmod failed"; cycles_ok=0; break
	fi
	if loaded || [ -e /dev/acall ]; then
		echo "# cycle $i: module or device still present after rmmod"; cycles_ok=0; break
	fi
done
[ $cycles_ok = 1 ] && ok insmod_rmmod_20_cycles || not_ok insmod_rmmod_20_cycles
loaded || insmod "$KO"

# An open context holds module references (the file's, and the context's
# own, which outlives the file until its last request and worker are gone):
# rmmod must be refused.
exec 3<>/dev/acall
refcnt=$(cat /sys/module/acall/refcnt)
if rmmod acall 2>/dev/null; then
	not_ok rmmod_refused_while_open
	echo "# rmmod succeeded with /dev/acall open"
elif ! loaded || [ "$refcnt" -lt 1 ]; then
	not_ok rmmod_refused_while_open
	echo "# loaded=$(loaded && echo yes || echo no) refcnt=$refcnt (expected 1 or more)"
else
	ok rmmod_refused_while_open
fi
exec 3>&-

# Once the last context is closed, rmmod works.
if rmmod acall && ! loaded; then
	ok rmmod_after_close
else
	not_ok rmmod_after_close
fi
loaded || insmod "$KO"

# Loading twice is refused and leaves the loaded module working.
if insmod "$KO" 2>/dev/null; then
	not_ok insmod_twice_refused
elif ! : <>/dev/acall; then
	not_ok insmod_twice_refused
	echo "# /dev/acall unusable after a refused second insmod"
else
	ok insmod_twice_refused
fi

# kthread_workers is a count, read only: given at load time, insmod fails
# (the kernel calls the parameter's set operation, which must exist and
# refuse it), and the module then loads without it.
if ! rmmod acall; then
	not_ok read_only_parameter_refused_at_load
	echo "# rmmod failed"
elif insmod "$KO" kthread_workers=1 2>/dev/null; then
	not_ok read_only_parameter_refused_at_load
	echo "# insmod took kthread_workers=1"
elif loaded; then
	not_ok read_only_parameter_refused_at_load
	echo "# the module is loaded after a refused insmod"
elif ! insmod "$KO" || [ "$(cat /sys/module/acall/parameters/kthread_workers)" != 0 ]; then
	not_ok read_only_parameter_refused_at_load
	echo "# insmod without it failed, or kthread_workers is not 0"
else
	ok read_only_parameter_refused_at_load
fi
loaded || insmod "$KO"

# Freshly loaded, kernel-thread workers are for an opener with
# CAP_SYS_ADMIN alone (unpriv_test checks what each level does); a level
# beyond 2 is refused, at run time (the level unchanged) and at load time
# (the module does not load).
param=/sys/module/acall/parameters/kthread_workers_disabled
if [ "$(cat $param)" != 1 ]; then
	not_ok kthread_workers_disabled_by_default
	echo "# kthread_workers_disabled is $(cat $param), not 1"
elif echo 3 2>/dev/null >$param || [ "$(cat $param)" != 1 ]; then
	not_ok kthread_workers_disabled_by_default
	echo "# level 3 taken, or the level changed to $(cat $param)"
elif ! rmmod acall; then
	not_ok kthread_workers_disabled_by_default
	echo "# rmmod failed"
elif insmod "$KO" kthread_workers_disabled=3 2>/dev/null || loaded; then
	not_ok kthread_workers_disabled_by_default
	echo "# insmod took kthread_workers_disabled=3"
elif ! insmod "$KO" kthread_workers_disabled=2 ||
	[ "$(cat $param)" != 2 ]; then
	not_ok kthread_workers_disabled_by_default
	echo "# insmod with kthread_workers_disabled=2 failed or set $(cat $param)"
else
	ok kthread_workers_disabled_by_default
fi
loaded && rmmod acall
loaded || insmod "$KO"

[ $failed = 0 ]

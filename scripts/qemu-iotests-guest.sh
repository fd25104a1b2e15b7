#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The guest's half of scripts/qemu-iotests.sh: unpack the Debian root and
# QEMU's tree (/acall/root.tar, /acall/overlay.tar), give it /proc, /sys,
# /dev (with /dev/acall) and a scratch ext4 on null_blk, and run QEMU's
# iotests chrooted there, for each format of FORMATS and each aio mode of
# MODES, on the groups IOTESTS_GROUPS (or the tests TESTS). Each run's TAP goes
# between "qemu-iotests: begin FORMAT MODE" and "qemu-iotests: end ..."
# lines, the end line with ./check's exit status; each test not run is
# named with its reason, and the differences of failed tests from their
# expected output come at the end of the run (the iotests' own stderr).
# A run is cut off after RUN_TIMEOUT seconds (default 3600; its status is
# then timeout's, 124 or above), and every process left in the root is
# killed, so that one hung test does not take the other runs with it.
fail() { echo "qemu-iotests: guest: $*"; exit 1; }

r=/iotests
[ -d /sys/module/acall ] || insmod /acall/acall.ko || fail "cannot load acall.ko"
# Discard frees null_blk's memory: fstrim after each run gives back what
# the run's images took.
acall-modprobe null_blk nr_devices=1 memory_backed=1 discard=1 gb=2 bs=4096 ||
	fail "no null_blk"
acall-modprobe ext4 || fail "no ext4"
/sbin/mke2fs -q -F -t ext4 -b 4096 -E lazy_itable_init=1,lazy_journal_init=1 \
	/dev/nullb0 > /dev/null || fail "mke2fs failed"

mkdir -p $r
tar -xf /acall/root.tar -C $r || fail "cannot unpack the root"
tar -xf /acall/overlay.tar -C $r || fail "cannot unpack QEMU's tree"
rm -f /acall/root.tar /acall/overlay.tar
{ mount -t proc proc $r/proc &&
	mount -t sysfs sysfs $r/sys &&
	mount -o bind /dev $r/dev &&
	mount -t tmpfs tmpfs $r/tmp; } || fail "cannot mount the root's file systems"
mount -t devpts devpts $r/dev/pts 2>/dev/null
mkdir -p $r/scratch
mount -t ext4 -o noinit_itable /dev/nullb0 $r/scratch || fail "cannot mount ext4"
chroot $r /sbin/ldconfig
[ -c /dev/acall ] || fail "no /dev/acall"

# qcow2 tests 073 and 214 hang with aio=io_uring here: QEMU waits for
# completions that never come (Documentation/qemu.rst). The io_uring runs
# leave them out, so that the comparison finishes.
printf '%s\n' '073 io_uring-hangs' '214 io_uring-hangs' \
	> $r/qemu/tests/qemu-iotests/group.local

version=$(chroot $r /qemu/qemu-img --version) || fail "QEMU's qemu-img does not run in the root"
echo "qemu-iotests: $(nproc) CPUs, kernel $(uname -r), $(echo "$version" | head -n 1)"
# kill_root: every process whose root is the chroot.
kill_root() {
	for p in /proc/[0-9]*; do
		[ "$(readlink "$p/root" 2>/dev/null)" = $r ] && kill -9 "${p#/proc/}" 2>/dev/null
	done
	return 0
}

sel=
for g in $IOTESTS_GROUPS; do sel="$sel${sel:+,}$g"; done
for fmt in $FORMATS; do
	for aio in $MODES; do
		echo "qemu-iotests: begin $fmt $aio"
		rm -rf $r/scratch/t $r/tmp/sock
		mkdir -p $r/scratch/t $r/tmp/sock
		if [ -n "$TESTS" ]; then
			what=$TESTS
		else
			what="-g $sel"
		fi
		[ -z "$TESTS" ] && [ "$fmt" = qcow2 ] && [ "$aio" = io_uring ] &&
			what="-x io_uring-hangs $what"
		# Word splitting wanted: the tests or the group option.
		# shellcheck disable=SC2086
		timeout "${RUN_TIMEOUT:-3600}" chroot $r /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root LC_ALL=C.UTF-8 PYTHONUTF8=1 TEST_DIR=/scratch/t \
			SOCK_DIR=/tmp/sock /bin/sh -c \
			"cd /qemu/tests/qemu-iotests && exec ./check -tap -j $(nproc) -$fmt -i $aio $what" 2>&1
		status=$?
		# timeout stops ./check alone: its workers and their QEMUs would
		# go on into the next run.
		kill_root
		for f in $r/scratch/t/*.notrun $r/scratch/t/*/*.notrun; do
			[ -e "$f" ] || continue
			t=${f##*/}
			echo "qemu-iotests: notrun $fmt $aio ${t%.notrun}: $(head -n 1 "$f")"
		done
		echo "qemu-iotests: end $fmt $aio $status"
		fstrim $r/scratch 2>/dev/null
	done
done
# What is left is said by the host's parse of the TAP above.
umount $r/scratch 2>/dev/null || echo "qemu-iotests: warning: /scratch is still busy"
exit 0

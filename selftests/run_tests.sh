#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every acall selftest (inside the VM) and sum their TAP output into
#   selftests: N passed, N failed, N skipped
# Usage: run_tests.sh [TEST...]   (default: every *_test in this directory)
# A test that crashes, times out or reports nothing counts as one failure.
here=$(cd "$(dirname "$0")" && pwd)
export ACALL_KO=${ACALL_KO:-$here/../acall.ko}
TEST_TIMEOUT=${ACALL_TEST_TIMEOUT:-600}

[ -d /sys/module/acall ] || insmod "$ACALL_KO" || {
	echo "run_tests: cannot load $ACALL_KO"
	echo "selftests: 0 passed, 1 failed, 0 skipped"
	exit 1
}

# ---- fixtures ---------------------------------------------------------------
# Devices and filesystems the engine tests use, set up once and passed in the
# environment (selftests/acall_test.h lists them). Each is set up only where
# the guest can (acall-modprobe, a real mke2fs); a test whose fixture is
# absent SKIPs and names it. ACALL_TEST_NO_FIXTURES=1 sets up none.
fixture_log() { echo "# fixture: $*"; }

# A real mke2fs (busybox's, first in the guest's PATH, makes only ext2):
# sets MKE2FS.
have_mke2fs() {
	for MKE2FS in /sbin/mke2fs /usr/sbin/mke2fs $(command -v mke2fs); do
		"$MKE2FS" -V 2>&1 | grep -q '^mke2fs 1\.' && return 0
	done
	return 1
}

# mkfs_ext4 DEVICE MOUNTPOINT: an ext4 that does no background I/O of its own
# (no lazy inode-table zeroing), mounted.
mkfs_ext4() {
	# Already there from an earlier run in the same guest: keep it.
	grep -q "^$1 $2 ext4 " /proc/mounts && return 0
	"$MKE2FS" -q -F -t ext4 -b 4096 \
		-E lazy_itable_init=1,lazy_journal_init=1,nodiscard "$1" >/dev/null &&
	mkdir -p "$2" && mount -t ext4 -o "noinit_itable${3:+,$3}" "$1" "$2"
}

# mkfs_xfs DEVICE MOUNTPOINT: XFS, mounted. mkfs.xfs refuses a device
# below 300 MB unless it runs under fstests, whose variables lift that.
mkfs_xfs() {
	grep -q "^$1 $2 xfs " /proc/mounts && return 0
	[ -x /sbin/mkfs.xfs ] && acall-modprobe xfs &&
	TEST_DIR=1 TEST_DEV=1 QA_CHECK_FS=1 /sbin/mkfs.xfs -q -f "$1" >/dev/null &&
	mkdir -p "$2" && mount -t xfs "$1" "$2"
}

setup_fixtures() {
	command -v acall-modprobe >/dev/null || {
		fixture_log "no acall-modprobe: not in the test VM, none set up"
		return
	}
	# Fast: four 128 MiB RAM disks; ext4 on the first, the second raw,
	# XFS on the third, ext4 with data=journal (no direct I/O: O_DIRECT
	# falls back to buffered) on the fourth.
	if acall-modprobe brd rd_nr=4 rd_size=131072 && [ -b /dev/ram1 ]; then
		export ACALL_TEST_BDEV=/dev/ram1
		fixture_log "ACALL_TEST_BDEV=$ACALL_TEST_BDEV"
		if have_mke2fs && acall-modprobe ext4 &&
		   mkfs_ext4 /dev/ram0 /mnt/acall-ext4; then
			export ACALL_TEST_EXT4=/mnt/acall-ext4 ACALL_TEST_EXT4_DEV=/dev/ram0
			fixture_log "ACALL_TEST_EXT4=$ACALL_TEST_EXT4 on $ACALL_TEST_EXT4_DEV"
		else
			fixture_log "no ext4 on /dev/ram0 (mke2fs or ext4 missing)"
		fi
		if have_mke2fs && acall-modprobe ext4 && [ -b /dev/ram3 ] &&
		   mkfs_ext4 /dev/ram3 /mnt/acall-ext4-journal data=journal; then
			export ACALL_TEST_EXT4_JOURNAL=/mnt/acall-ext4-journal
			fixture_log "ACALL_TEST_EXT4_JOURNAL=$ACALL_TEST_EXT4_JOURNAL on /dev/ram3"
		else
			fixture_log "no data=journal ext4 on /dev/ram3"
		fi
		if mkfs_xfs /dev/ram2 /mnt/acall-xfs; then
			export ACALL_TEST_XFS=/mnt/acall-xfs
			fixture_log "ACALL_TEST_XFS=$ACALL_TEST_XFS on /dev/ram2"
		else
			fixture_log "no XFS on /dev/ram2 (mkfs.xfs or xfs missing)"
		fi
	else
		fixture_log "no brd"
	fi
	# The memory and cpuset controllers, and a cgroup with both that stays
	# for the whole run. The kernel patches its code (static keys) when the
	# first cpuset cgroup comes and again when the last one goes; under
	# TCG, a CPU running that code while another patches it can take a
	# stray int3 (an oops in the page allocator, seen under load). With
	# this one kept, the tests' own cgroups never flip the key.
	if echo "+memory +cpuset" > /sys/fs/cgroup/cgroup.subtree_control &&
	   mkdir -p /sys/fs/cgroup/acall-keep; then
		fixture_log "memory and cpuset controllers on"
	else
		fixture_log "no memory or cpuset controller"
	fi
	# Slow: memory-backed null_blk devices whose every request completes
	# after ACALL_TEST_SLOW_NS (a timer, irqmode=2); the first raw, ext4 on
	# the second.
	slow_ns=${ACALL_TEST_SLOW_NS:-300000000}
	if acall-modprobe null_blk nr_devices=2 memory_backed=1 gb=1 bs=4096 \
		irqmode=2 completion_nsec="$slow_ns" && [ -b /dev/nullb1 ]; then
		export ACALL_TEST_SLOW_NS=$slow_ns ACALL_TEST_SLOW_BDEV=/dev/nullb0
		fixture_log "ACALL_TEST_SLOW_BDEV=$ACALL_TEST_SLOW_BDEV (${slow_ns} ns a request)"
		if have_mke2fs && acall-modprobe ext4 &&
		   mkfs_ext4 /dev/nullb1 /mnt/acall-slow; then
			export ACALL_TEST_SLOW_EXT4=/mnt/acall-slow
			fixture_log "ACALL_TEST_SLOW_EXT4=$ACALL_TEST_SLOW_EXT4 on /dev/nullb1"
		else
			fixture_log "no ext4 on /dev/nullb1 (mke2fs or ext4 missing)"
		fi
	else
		fixture_log "no slow null_blk"
	fi
}
[ "${ACALL_TEST_NO_FIXTURES:-0}" = 1 ] || setup_fixtures

tests="$*"
[ -n "$tests" ] || tests=$(cd "$here" && ls *_test *_test.sh 2>/dev/null)

pass=0 fail=0 skip=0
out=/tmp/acall-test.out

# The module's settable parameters as they were before each test program,
# put back after it: a test killed by its timeout cannot restore those it
# changed, and the programs after it must not run with them.
params="max_workers_limit worker_idle_ms user_max_contexts user_max_ring_kb
user_max_workers max_kthread_workers kthread_workers_disabled"
save_params() {
	saved=
	for p in $params; do
		f=/sys/module/acall/parameters/$p
		[ -f "$f" ] && saved="$saved $p=$(cat "$f")"
	done
}
restore_params() {
	for pv in $saved; do
		f=/sys/module/acall/parameters/${pv%%=*}
		[ -f "$f" ] && [ "$(cat "$f")" != "${pv#*=}" ] &&
			echo "${pv#*=}" > "$f"
	done
}

# The CPUs online now, put back online after each test program: one killed
# while it had a CPU offline (hotplug_test) cannot do it itself.
cpus_online=
for f in /sys/devices/system/cpu/cpu[0-9]*/online; do
	[ -f "$f" ] && [ "$(cat "$f")" = 1 ] && cpus_online="$cpus_online $f"
done
restore_cpus() {
	for f in $cpus_online; do
		[ "$(cat "$f")" = 1 ] || echo 1 > "$f" ||
			echo "# run_tests: cannot bring ${f%/online} back"
	done
}

for t in $tests; do
	echo "# ===== $t"
	save_params
	timeout "$TEST_TIMEOUT" "$here/$t" >"$out" 2>&1
	rc=$?
	# One stopped between its rmmod and its insmod left no module.
	[ -d /sys/module/acall ] || insmod "$ACALL_KO" ||
		echo "# run_tests: cannot load $ACALL_KO again"
	restore_params
	restore_cpus
	cat "$out"
	p=$(grep -E '^ok ' "$out" | grep -vc '# SKIP')
	s=$(grep -E '^ok ' "$out" | grep -c '# SKIP')
	f=$(grep -cE '^not ok ' "$out")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "# $t: exit status $rc without a failed test (crash or timeout)"
		f=1
	elif [ $((p + s + f)) = 0 ]; then
		echo "# $t: ran no test"
		f=1
	fi
	echo "# $t: $p passed, $f failed, $s skipped"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done

echo "selftests: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]

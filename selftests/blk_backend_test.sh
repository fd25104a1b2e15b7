#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The example block backend (examples/blk-backend) end to end: vCPU threads
# writing, reading and flushing through one acall queue and an epoll
# iothread, every read and every block checked at the end. Buffered and
# O_DIRECT on ext4, and with flushes drained by hand (the path taken when
# the module has no ordering). Prints TAP; needs the ext4 fixture.
here=$(cd "$(dirname "$0")" && pwd)
BACKEND=${ACALL_BACKEND:-$here/../examples/blk-backend}
n=0

echo "TAP version 13"
echo "1..3"

# check NAME OPTIONS...: run the backend on a fresh file in the ext4 fixture.
check() {
	name=$1
	shift
	n=$((n + 1))
	if [ -z "$ACALL_TEST_EXT4" ]; then
		echo "ok $n $name # SKIP no ext4 fixture (ACALL_TEST_EXT4)"
		return
	fi
	if [ ! -x "$BACKEND" ]; then
		echo "not ok $n $name # no $BACKEND"
		return
	fi
	out=$("$BACKEND" -c 4 -n 300 -q 8 -f 16 "$@" "$ACALL_TEST_EXT4/blk-backend.img" 2>&1)
	rc=$?
	echo "$out" | sed 's/^/# /'
	rm -f "$ACALL_TEST_EXT4/blk-backend.img"
	if [ $rc = 0 ] && echo "$out" | grep -q '^blk-backend: data verified$'; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
	fi
}

check backend_buffered
check backend_direct -d
check backend_flush_drained -o off

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# QEMU's own block layer on acall: qemu-io and qemu-img built with
# aio=acall (make qemu: scripts/qemu-build.sh, qemu/patches) open a raw
# image on the ext4 fixture with --aio acall, buffered (cache=writeback)
# and O_DIRECT (-n, cache=none), write patterns with write, writev and
# concurrent aio_write, read them back with read, readv and aio_read
# verifying every byte (-P), flush, and discard and write zeroes (which
# must read back as zeroes, and a discard free the file's blocks). QEMU's
# trace of its acall backend must show the requests going through acall.
# qemu-img bench writes patterns with 16 requests in flight, with more
# in flight than acall's ring holds, and with flushes among writes in
# flight; qemu-io reads them back. With /dev/acall gone (renamed for the
# test and put back), opening the image must fail with QEMU's message
# naming acall; so must opening an image on a filesystem acall does not
# serve (ramfs). An O_DIRECT read past an unaligned end of the file reads
# zeroes there, and a write that can get no worker (user_max_workers 0)
# fails with EAGAIN after QEMU's retries rather than being retried for
# ever. After a flush that failed (a block device with bad blocks), the
# next one fails too, though the kernel has nothing left to report.
# qemu-storage-daemon exporting the image from an IOThread serves
# it with threads that have the IOThread's CPUs and nice level, not those
# of the main thread that moved the node there.
#
# Prints TAP; skips when QEMU's tools were not built and cached (the
# test run never builds them: make qemu does), or the fixture is
# missing. ACALL_QEMU_DIR names the tools' directory (default: qemu/
# next to this one, where scripts/vmtest.sh puts the cached build).
here=$(cd "$(dirname "$0")" && pwd)
qdir=${ACALL_QEMU_DIR:-$here/../qemu}
dir=${ACALL_TEST_EXT4:-}
# The tools link libacall dynamically: this tree's, next to the tests.
LD_LIBRARY_PATH=$here/../lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH

tests="qemu_io_acall_buffered_patterns qemu_io_acall_direct_patterns
qemu_io_acall_concurrent_aio qemu_io_acall_flush
qemu_io_acall_discard_write_zeroes qemu_io_acall_traced
qemu_img_bench_acall_write_read_back qemu_img_bench_acall_deep_and_flushes
qemu_io_acall_no_device_fails qemu_io_acall_unserved_filesystem_fails
qemu_io_acall_direct_read_across_unaligned_end qemu_io_acall_no_worker_fails
qemu_io_acall_failed_flush_fails_again
qemu_io_acall_iothread_workers_are_the_iothread_s"

echo "TAP version 13"
echo "1..14"
# skip_all REASON: every test skipped (run_tests.sh counts them as such).
skip_all() {
	i=0
	for t in $tests; do
		i=$((i + 1))
		echo "ok $i $t # SKIP $1"
	done
	exit 0
}
if [ ! -x "$qdir/qemu-io" ] || [ ! -x "$qdir/qemu-img" ]; then
	skip_all "QEMU with aio=acall is not built (make qemu)"
fi
[ -n "$dir" ] || skip_all "no ext4 fixture (ACALL_TEST_EXT4)"
[ -c /dev/acall ] || skip_all "no /dev/acall"

out=$(mktemp -d /tmp/qemu-io-test.XXXXXX) || exit 1
img=$dir/qemu-io-test.raw
hidden=/dev/acall.qemu-io-test
ramfs=$out/ramfs
workers_param=/sys/module/acall/parameters/user_max_workers
workers_saved=$(cat "$workers_param")
nullb=/sys/kernel/config/nullb/acall_qemu_io
qsd_pid= qio_pid=
cleanup() {
	# The daemon and client of the IOThread test, if it was cut short.
	[ -n "$qsd_pid" ] && kill -KILL $qsd_pid 2>/dev/null
	[ -n "$qio_pid" ] && kill -KILL $qio_pid 2>/dev/null
	# The device, if the last test left it renamed.
	[ -e "$hidden" ] && mv "$hidden" /dev/acall
	echo "$workers_saved" > "$workers_param"
	umount "$ramfs" 2>/dev/null
	# The block device of the failed-flush test, if it was cut short.
	if [ -d "$nullb" ]; then
		echo 0 > "$nullb/power"
		rmdir "$nullb"
	fi
	rm -rf "$out" "$img"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
n=0 failed=0

result() {	# ok|fail NAME
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		echo "not ok $n $2"
	fi
}

skip() {	# NAME REASON
	n=$((n + 1))
	echo "ok $n $1 # SKIP $2"
}

# poll_until PASSES CONDITION...: whether CONDITION holds, tried again
# every tenth of a second, PASSES times at most after the first try. For
# what another process does, seen only from outside (a file, /proc).
poll_until() {
	passes=$1
	shift
	until "$@"; do
		[ "$passes" -gt 0 ] || return 1
		passes=$((passes - 1))
		sleep 0.1
	done
}

# gone PID: the process is no more.
gone() {
	! kill -0 "$1" 2>/dev/null
}

# fresh_image SIZE: a new raw image of SIZE bytes, unallocated.
fresh_image() {
	rm -f "$img"
	"$qdir/qemu-img" create -q -f raw "$img" "$1"
}

# qio OPTIONS... -c CMD...: qemu-io on the image with aio=acall, unmapping
# discards; its output in $out/qio.out. Succeeds if qemu-io did and no
# command said it failed (qemu-io's exit status misses aio_read's
# verification).
qio() {
	"$qdir/qemu-io" -f raw --aio acall -d unmap "$@" "$img" \
		> "$out/qio.out" 2>&1
	status=$?
	if [ $status = 0 ] && ! grep -qi -e 'fail' -e 'error' "$out/qio.out"; then
		return 0
	fi
	echo "# qemu-io exit status $status"
	sed 's/^/# /' "$out/qio.out" | tail -n 30
	return 1
}

# count WORD: lines of the last qemu-io output that start with WORD.
count() {
	grep -c "^$1 " "$out/qio.out"
}

# patterns NAME OPTION...: write 0xab with write, 0xcd with a vectored
# writev of three pieces, 0xef over the end of the first; read all three
# back with read and readv, in a second qemu-io (so from the file, not
# from anything this one kept).
patterns() {
	name=$1
	shift
	fresh_image 1M
	if qio "$@" -c 'write -P 0xab 0 64k' \
		-c 'writev -P 0xcd 64k 4k 8k 52k' \
		-c 'write -P 0xef 60k 8k' &&
	   [ "$(count wrote)" = 3 ] &&
	   qio "$@" -c 'read -P 0xab 0 60k' \
		-c 'readv -P 0xef 60k 4k 4k' \
		-c 'read -P 0xcd 68k 60k' \
		-c 'read -P 0 128k 64k' &&
	   [ "$(count read)" = 4 ]; then
		result ok "$name"
	else
		result fail "$name"
	fi
}

patterns qemu_io_acall_buffered_patterns -t writeback
patterns qemu_io_acall_direct_patterns -n

# Sixteen writes in flight at once, each its own pattern, then as many
# reads in flight verifying them; O_DIRECT, so they are async kiocbs.
fresh_image 1M
wcmds='' rcmds=''
i=0
while [ $i -lt 16 ]; do
	wcmds="$wcmds -c 'aio_write -P $((i + 1)) $((i * 8))k 8k'"
	rcmds="$rcmds -c 'aio_read -P $((i + 1)) $((i * 8))k 8k'"
	i=$((i + 1))
done
if eval qio -n "$wcmds" -c aio_flush &&
   [ "$(count wrote)" = 16 ] &&
   eval qio -n "$rcmds" -c aio_flush &&
   [ "$(count read)" = 16 ]; then
	result ok qemu_io_acall_concurrent_aio
else
	result fail qemu_io_acall_concurrent_aio
fi

# A flush (an fdatasync) between writes, buffered, and the data
# read back.
fresh_image 1M
if qio -t writeback -c 'write -P 0x11 0 64k' -c flush \
	-c 'write -P 0x22 64k 64k' -c flush &&
   qio -t writeback -c 'read -P 0x11 0 64k' -c 'read -P 0x22 64k 64k' &&
   [ "$(count read)" = 2 ]; then
	result ok qemu_io_acall_flush
else
	result fail qemu_io_acall_flush
fi

# discard punches a hole (the blocks are freed), write -z writes zeroes
# (ZERO_RANGE) and write -z -u may unmap; all read back as zeroes, the
# data around them untouched.
fresh_image 1M
if qio -c 'write -P 0x5a 0 1M' -c flush; then
	before=$(du -k "$img" | cut -f1)
	if qio -c 'discard 0 512k' -c 'write -z 512k 64k' \
		-c 'write -z -u 576k 64k' -c flush &&
	   qio -c 'read -P 0 0 640k' -c 'read -P 0x5a 640k 384k' &&
	   [ "$(count read)" = 2 ]; then
		after=$(du -k "$img" | cut -f1)
		echo "# allocated before discard ${before} KiB, after ${after} KiB"
		if [ "$after" -le $((before - 512)) ]; then
			result ok qemu_io_acall_discard_write_zeroes
		else
			result fail qemu_io_acall_discard_write_zeroes
		fi
	else
		result fail qemu_io_acall_discard_write_zeroes
	fi
else
	result fail qemu_io_acall_discard_write_zeroes
fi

# QEMU's trace of the acall backend: every kind of request went through
# acall (the submission and a completion of each), none to QEMU's thread
# pool.
fresh_image 1M
if qio -t writeback --trace 'qacall_*' --trace thread_pool_submit \
	-c 'write -P 0x33 0 4k' -c flush -c 'read -P 0x33 0 4k' \
	-c 'discard 0 4k' -c 'write -z 4k 4k'; then
	grep '^qacall_' "$out/qio.out" | head -n 4 | sed 's/^/# /'
	# QEMU_AIO_*: 1 read, 2 write, 8 flush, 16 discard, 32 write zeroes
	kinds=$(sed -n 's/^qacall_co_submit .* type \([0-9]*\).*/\1/p' "$out/qio.out" |
		sort -un | tr '\n' ' ')
	pool=$(grep -c '^thread_pool_submit' "$out/qio.out")
	echo "# request types through acall: $kinds; to the thread pool: $pool"
	# The control: with aio=threads the same trace shows the pool.
	"$qdir/qemu-io" -f raw --aio threads -t writeback \
		--trace thread_pool_submit -c 'read 0 4k' "$img" \
		> "$out/control.out" 2>&1
	control=$(grep -c '^thread_pool_submit' "$out/control.out")
	echo "# aio=threads: $control to the thread pool"
	if grep -q '^qacall_init_state' "$out/qio.out" &&
	   grep -q '^qacall_process_completion' "$out/qio.out" &&
	   [ "$kinds" = "1 2 8 16 32 " ] && [ "$pool" = 0 ] &&
	   [ "$control" -gt 0 ]; then
		result ok qemu_io_acall_traced
	else
		sed 's/^/# /' "$out/qio.out" | tail -n 20
		result fail qemu_io_acall_traced
	fi
else
	result fail qemu_io_acall_traced
fi

# qemu-img bench: 256 writes of 4 KiB of 0x5a, 16 in flight, O_DIRECT,
# through acall; qemu-io reads the pattern back.
fresh_image 1M
if "$qdir/qemu-img" bench -f raw -i acall -t none -w -c 256 -d 16 \
	-s 4k --pattern=0x5a "$img" > "$out/bench.out" 2>&1 &&
   qio -n -c 'read -P 0x5a 0 1M'; then
	sed 's/^/# /' "$out/bench.out"
	result ok qemu_img_bench_acall_write_read_back
else
	sed 's/^/# /' "$out/bench.out"
	result fail qemu_img_bench_acall_write_read_back
fi

# Deeper than the ring (300 in flight, 256 entries: the rest wait in
# QEMU's queue until completions make room), O_DIRECT; then buffered,
# with a flush every 64 writes issued while writes are in flight
# (--no-drain). qemu-io reads each pattern back.
bench_back() {	# CACHE PATTERN BENCH-OPTIONS...
	cache=$1 pattern=$2
	shift 2
	"$qdir/qemu-img" bench -f raw -i acall -t "$cache" -w -c 2048 -s 4k \
		--pattern="$pattern" "$@" "$img" > "$out/bench.out" 2>&1 &&
	qio -t "$cache" -c "read -P $pattern 0 4M"
	status=$?
	sed 's/^/# /' "$out/bench.out"
	return $status
}
fresh_image 4M
if bench_back none 0x79 -d 300 &&
   bench_back writeback 0x78 -d 32 --flush-interval=64 --no-drain; then
	result ok qemu_img_bench_acall_deep_and_flushes
else
	result fail qemu_img_bench_acall_deep_and_flushes
fi

# No /dev/acall: the device node is renamed (cleanup() puts it back if
# this is cut short). Opening fails, and says why.
fresh_image 1M
if mv /dev/acall "$hidden"; then
	"$qdir/qemu-io" -f raw --aio acall -c 'read 0 4k' "$img" \
		> "$out/qio.out" 2>&1
	status=$?
	mv "$hidden" /dev/acall
	sed 's/^/# /' "$out/qio.out"
	if [ $status != 0 ] &&
	   grep -q 'Unable to use acall: cannot open /dev/acall' "$out/qio.out" &&
	   ! grep -q '^read ' "$out/qio.out"; then
		result ok qemu_io_acall_no_device_fails
	else
		result fail qemu_io_acall_no_device_fails
	fi
else
	result fail qemu_io_acall_no_device_fails
fi

# An image on a filesystem acall does not serve (ramfs): opening it
# fails and says why, rather than every request failing with EOPNOTSUPP.
mkdir -p "$ramfs"
if mount -t ramfs acall-qemu-test "$ramfs" &&
   "$qdir/qemu-img" create -q -f raw "$ramfs/img.raw" 1M; then
	"$qdir/qemu-io" -f raw --aio acall -c 'read 0 4k' "$ramfs/img.raw" \
		> "$out/qio.out" 2>&1
	status=$?
	sed 's/^/# /' "$out/qio.out"
	if [ $status != 0 ] &&
	   grep -q 'Unable to use acall: acall does not serve files of this filesystem' \
		"$out/qio.out" &&
	   ! grep -q '^read ' "$out/qio.out"; then
		result ok qemu_io_acall_unserved_filesystem_fails
	else
		result fail qemu_io_acall_unserved_filesystem_fails
	fi
else
	result fail qemu_io_acall_unserved_filesystem_fails
fi
umount "$ramfs" 2>/dev/null

# An image of 5096 bytes, no multiple of the O_DIRECT alignment: an
# aligned read of its last 1024 bytes (4096 to 5120, QEMU's length) goes
# to acall whole and is cut short at the end of the file; the rest,
# submitted again, starts unaligned at the end of the file, and the bytes
# past it read as zeroes. (ext4 answers it with 0, the end of the file,
# before it looks at alignment; where a kernel answers EINVAL, the
# backend takes that as the end of the file too, as the thread pool
# does.) The trace shows the rest submitted and nothing given to the
# thread pool (which an unaligned request would be, and which takes the
# end of the file its own way).
fresh_image 8k
if qio -t writeback -c 'write -P 0xab 0 8k' &&
   truncate -s 5096 "$img" &&
   qio -n --trace qacall_resubmit_rest --trace thread_pool_submit \
	-c 'read -P 0xab 0 4096' -c 'read -P 0xab -l 1000 4096 1024' \
	-c 'read -P 0 -s 1000 -l 24 4096 1024' &&
   [ "$(count read)" = 3 ] &&
   grep -q '^qacall_resubmit_rest' "$out/qio.out" &&
   ! grep -q '^thread_pool_submit' "$out/qio.out"; then
	result ok qemu_io_acall_direct_read_across_unaligned_end
else
	sed 's/^/# /' "$out/qio.out" | tail -n 20
	result fail qemu_io_acall_direct_read_across_unaligned_end
fi

# No worker to be had (user_max_workers 0): a buffered write on ext4,
# which needs one, completes with EAGAIN. QEMU tries it again for about
# a second (ten tries, each traced), then fails the write; it used to
# resubmit it at once, for ever. qemu-io runs in a user namespace of its
# own: without CAP_SYS_RESOURCE, which lifts the per-user limits.
fresh_image 1M
if ! unshare -U true 2>/dev/null; then
	# As root, CAP_SYS_RESOURCE would lift the limit the test sets.
	skip qemu_io_acall_no_worker_fails "no user namespaces (CONFIG_USER_NS)"
elif echo 0 > "$workers_param"; then
	timeout 120 unshare -U "$qdir/qemu-io" -f raw --aio acall -t writeback \
		--trace qacall_eagain_retry -c 'write -P 0x44 0 4k' "$img" \
		> "$out/qio.out" 2>&1
	status=$?
	echo "$workers_saved" > "$workers_param"
	retries=$(grep -c '^qacall_eagain_retry' "$out/qio.out")
	grep -v '^qacall_eagain_retry' "$out/qio.out" | sed 's/^/# /'
	echo "# exit status $status, $retries retries traced"
	# Cut short by timeout, it would have said nothing of the write.
	if grep -q 'write failed: Resource temporarily unavailable' "$out/qio.out" &&
	   [ "$retries" -ge 10 ]; then
		result ok qemu_io_acall_no_worker_fails
	else
		result fail qemu_io_acall_no_worker_fails
	fi
else
	result fail qemu_io_acall_no_worker_fails
fi

# A failed flush stays failed: the kernel reports a writeback error to
# an fdatasync once, and the page cache may have dropped the data it could
# not write, so a later fdatasync succeeds with that data lost. QEMU's
# thread pool then fails every later flush of the image (file-posix's
# page_cache_inconsistent); the acall backend must too. A memory-backed
# null_blk whose first 64 KiB are bad blocks, opened buffered: a write
# with FUA there (QEMU follows it with a flush) fails with EIO; a second
# one, to good blocks, must fail as well. With the thread pool (the
# control) both fail.
# fua_twice AIO: the two writes; their results in $out/fua.out.
fua_twice() {
	"$qdir/qemu-io" -f raw --aio "$1" -t writeback \
		-c 'write -f -P 0x61 0 4k' -c 'write -f -P 0x62 64k 4k' \
		"$bdev" > "$out/fua.out" 2>&1
	sed 's/^/# '"$1"': /' "$out/fua.out"
	[ "$(grep -c '^write failed: Input/output error' "$out/fua.out")" = 2 ]
}
bdev=/dev/${nullb##*/}
if [ ! -d "${nullb%/*}" ]; then
	skip qemu_io_acall_failed_flush_fails_again "no null_blk in configfs"
elif mkdir "$nullb" && echo 16 > "$nullb/size" &&
     echo 4096 > "$nullb/blocksize" && echo 1 > "$nullb/memory_backed" &&
     echo +0-127 > "$nullb/badblocks" && echo 1 > "$nullb/power" &&
     [ -b "$bdev" ]; then
	if fua_twice threads && fua_twice acall; then
		result ok qemu_io_acall_failed_flush_fails_again
	else
		result fail qemu_io_acall_failed_flush_fails_again
	fi
	echo 0 > "$nullb/power"
	rmdir "$nullb"
else
	result fail qemu_io_acall_failed_flush_fails_again
fi

# An IOThread's threads are the IOThread's, not those of the thread that
# moves a node to it: qemu-storage-daemon, with an IOThread, opens the
# image buffered; then its main thread alone is pinned to one CPU at nice
# 5 (the IOThread keeps the CPUs and nice level it was made with), and
# QMP's block-export-add exports the node over NBD from the IOThread, the
# main thread moving it there. A buffered write through the export runs
# in acall's workers. The IOThread's acall context is set up in the
# IOThread, at the first request there, so its spawner has the IOThread's
# CPUs and nice level, and every worker it makes its nice level; set up
# by the main thread as the node moved, they had the main thread's. (The
# main AioContext's spawner, made at open, before the main thread was
# pinned, has them too.) QMP is spoken on the daemon's stdin and stdout;
# qemu-storage-daemon 7.2 has no query-iothreads to name the IOThread's
# thread, so it is the main thread that is made to differ.
qsd=$qdir/storage-daemon/qemu-storage-daemon
cpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)
first=${cpus%%[-,]*}
if [ ! -x "$qsd" ]; then
	skip qemu_io_acall_iothread_workers_are_the_iothread_s \
		"qemu-storage-daemon is not built (make qemu)"
elif [ "$first" = "$cpus" ]; then
	skip qemu_io_acall_iothread_workers_are_the_iothread_s \
		"one CPU: the main thread cannot be pinned apart"
else
	fresh_image 1M
	rm -f "$out/qmp.in" "$out/nbd.sock" "$out/qio.out"
	: > "$out/qmp.out"
	mkfifo "$out/qmp.in"
	"$qsd" --chardev stdio,id=mon --monitor chardev=mon \
		--object iothread,id=io0 \
		--blockdev driver=file,node-name=disk,filename="$img",aio=acall,cache.direct=off \
		--nbd-server addr.type=unix,addr.path="$out/nbd.sock" \
		< "$out/qmp.in" > "$out/qmp.out" 2>&1 &
	qsd_pid=$!
	exec 3> "$out/qmp.in"
	# A daemon gone would end the script at the next command written.
	trap '' PIPE
	# answered N: the session has N answers, or the daemon is gone.
	answered() {
		[ "$(grep -c -e '"return"' -e '"error"' "$out/qmp.out")" -ge "$1" ] ||
			gone $qsd_pid
	}
	# qmp N COMMAND: send it, wait for the Nth answer of the session.
	qmp() {
		echo "$2" >&3
		poll_until 600 answered "$1" && ! gone $qsd_pid &&
			! grep -q '"error"' "$out/qmp.out"
	}
	# written: whether the export's write of 0x5a ("Z") reached the image.
	written() {
		[ "$(dd if="$img" bs=1 skip=262143 count=1 2>/dev/null)" = Z ]
	}
	# written_or_gone: that, or the client or the daemon is gone.
	written_or_gone() {
		written || gone $qio_pid || gone $qsd_pid
	}
	# qemu-io writes and stays connected (sleep) while the threads are
	# looked at, until block-export-del lets it go: the daemon of QEMU 7.2
	# asserts (nbd_blockdev_client_closed() must run in the main thread)
	# when a client of an IOThread's export leaves on its own. Its output
	# is buffered until it exits: the write is seen in the image, and the
	# data read back from there afterwards.
	ok=false
	if qmp 1 '{"execute": "qmp_capabilities"}' &&
	   taskset -p "$(printf %x $((1 << first)))" $qsd_pid > /dev/null &&
	   renice 5 -p $qsd_pid > /dev/null &&
	   qmp 2 '{"execute": "block-export-add", "arguments": {"type": "nbd", "id": "exp", "node-name": "disk", "iothread": "io0", "writable": true}}'; then
		"$qdir/qemu-io" -f raw -c 'write -P 0x5a 0 256k' \
			-c 'sleep 600000' \
			"nbd+unix:///disk?socket=$out/nbd.sock" \
			> "$out/qio.out" 2>&1 3>&- &
		qio_pid=$!
		poll_until 600 written_or_gone
		written && ok=true
	fi
	# The spawners (two: the main AioContext's and the IOThread's) and
	# the workers still there (they go when idle): a worker's CPUs are
	# its NUMA node's within the spawner's.
	spawners=0
	for t in /proc/$qsd_pid/task/*; do
		comm=$(cat "$t/comm" 2>/dev/null) || continue
		case $comm in
		acall-spawn|acall/*) ;;
		*) continue ;;
		esac
		tcpus=$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status" 2>/dev/null)
		nice=$(cut -d' ' -f19 "$t/stat" 2>/dev/null) || continue
		[ -n "$tcpus" ] && [ -n "$nice" ] || continue
		echo "# $comm: CPUs $tcpus, nice $nice"
		[ "$nice" = 0 ] || ok=false
		if [ "$comm" = acall-spawn ]; then
			spawners=$((spawners + 1))
			[ "$tcpus" = "$cpus" ] || ok=false
		fi
	done
	[ "$spawners" -ge 2 ] || ok=false
	# Let the client go from the main thread, then end both.
	if [ -n "$qio_pid" ] &&
	   ! qmp 3 '{"execute": "block-export-del", "arguments": {"id": "exp", "mode": "hard"}}'; then
		ok=false
		kill -KILL $qsd_pid 2>/dev/null
	fi
	[ -n "$qio_pid" ] && kill $qio_pid 2>/dev/null
	kill $qsd_pid 2>/dev/null
	exec 3>&-
	poll_until 300 gone $qsd_pid || kill -KILL $qsd_pid 2>/dev/null
	wait $qsd_pid
	[ -n "$qio_pid" ] && wait $qio_pid
	qsd_pid= qio_pid=
	trap - PIPE
	$ok || sed 's/^/# /' "$out/qmp.out"
	# What went through the export is in the file, the rest untouched.
	if $ok && qio -t writeback -c 'read -P 0x5a 0 256k' \
		-c 'read -P 0 256k 768k' && [ "$(count read)" = 2 ]; then
		result ok qemu_io_acall_iothread_workers_are_the_iothread_s
	else
		result fail qemu_io_acall_iothread_workers_are_the_iothread_s
	fi
fi

[ "$failed" = 0 ]

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# qemu-img bench with each of QEMU's aio modes, inside the VM that
# scripts/qemu-bench.sh boots:
#   qemu-img-bench.sh
# Sets up a memory-backed null_blk that completes each request after
# DEVICE_NS (an SSD stand-in, as bench/profile.sh does), ext4 on it and a
# fully preallocated raw image of IMAGE_MB MiB, loads acall.ko, then runs
# every workload with -i threads, native, io_uring and acall, in ROUNDS
# rounds. The number of requests of a workload is calibrated once, for
# the fastest engine to last about RUN_SECONDS (and the slowest no more
# than MAX_SECONDS), and is the same for every engine and round. Within a
# round the engines of a workload run one after the other, starting from
# a different engine for each workload and round, so that drift is
# shared. Before each run the page cache is written back
# (sync); before the buffered reads of a workload the image is read
# once, so that they hit the page cache.
#
# Each run prints a line; at the end the runs are printed as TSV between
# "qemu-bench: begin results.tsv" and "qemu-bench: end results.tsv":
# workload, rw, block size in bytes, cache mode, depth, flush interval (0:
# none), engine, round, requests, seconds ("-" where the run failed),
# and qemu-img's message where it failed.
#
# Environment: ACALL_QEMU_DIR (the tools, default /acall/qemu), DEVICE_NS
# (20000), IMAGE_MB (128), RUN_SECONDS (1), MAX_SECONDS (5), ROUNDS (2).
qdir=${ACALL_QEMU_DIR:-/acall/qemu}
DEVICE_NS=${DEVICE_NS:-20000}
IMAGE_MB=${IMAGE_MB:-128}
RUN_SECONDS=${RUN_SECONDS:-1}
MAX_SECONDS=${MAX_SECONDS:-5}
ROUNDS=${ROUNDS:-2}
engines="threads native io_uring acall"
out=/tmp/qemu-bench
img=/mnt/ext4/bench.raw
LD_LIBRARY_PATH=/acall/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
export LD_LIBRARY_PATH

fail() { echo "qemu-bench: $*"; exit 1; }

# The workloads, one a line: rw, block size, cache mode, depth, flush
# interval (0: none).
workloads="read 4k none 1 0
read 4k none 32 0
read 64k none 1 0
read 64k none 32 0
write 4k none 1 0
write 4k none 32 0
write 64k none 1 0
write 64k none 32 0
read 4k writeback 1 0
read 4k writeback 32 0
read 64k writeback 1 0
read 64k writeback 32 0
write 4k writeback 1 0
write 4k writeback 32 0
write 64k writeback 1 0
write 64k writeback 32 0
write 4k none 32 32
write 4k writeback 32 32"

[ -x "$qdir/qemu-img" ] || fail "no qemu-img in $qdir"
mkdir -p $out
: > $out/results.tsv
[ -d /sys/module/acall ] || insmod /acall/acall.ko || fail "cannot load acall.ko"
acall-modprobe null_blk nr_devices=1 memory_backed=1 gb=1 bs=4096 \
	irqmode=2 completion_nsec="$DEVICE_NS" || fail "no null_blk"
acall-modprobe ext4 || fail "no ext4"
/sbin/mke2fs -q -F -t ext4 -b 4096 -E lazy_itable_init=1,lazy_journal_init=1,nodiscard \
	/dev/nullb0 > /dev/null || fail "mke2fs failed"
mkdir -p /mnt/ext4
mount -t ext4 -o noinit_itable /dev/nullb0 /mnt/ext4 || fail "cannot mount ext4"
"$qdir/qemu-img" create -q -f raw -o preallocation=full "$img" "${IMAGE_MB}M" ||
	fail "cannot create the image"
sync
echo "qemu-bench: null_blk completes each request after $DEVICE_NS ns; ext4; a raw image of $IMAGE_MB MiB, preallocated"
echo "qemu-bench: $(nproc) CPUs, kernel $(uname -r), $("$qdir/qemu-img" --version | head -n 1)"
echo "qemu-bench: $ROUNDS rounds; per run about $RUN_SECONDS s for the fastest engine, at most $MAX_SECONDS s for the slowest"

# bench ENGINE RW BS CACHE DEPTH FLUSH COUNT: one qemu-img bench; prints
# its time in seconds, or nothing if it failed (its output in $out/run.out).
bench() {
	b_engine=$1 b_rw=$2 b_bs=$3 b_cache=$4 b_depth=$5 b_flush=$6 b_count=$7
	set -- -f raw -i "$b_engine" -t "$b_cache" -c "$b_count" -d "$b_depth" -s "$b_bs"
	[ "$b_rw" = write ] && set -- "$@" -w
	[ "$b_flush" != 0 ] && set -- "$@" --flush-interval="$b_flush"
	sync
	"$qdir/qemu-img" bench "$@" "$img" > $out/run.out 2>&1 || return 0
	sed -n 's/^Run completed in \([0-9.]*\) seconds\.$/\1/p' $out/run.out
}

name_of() {	# RW BS CACHE DEPTH FLUSH
	n="$1 $2 $3 qd$4"
	[ "$5" != 0 ] && n="$n flush/$5"
	echo "$n"
}

bytes_of() {	# 4k | 64k
	echo $(( ${1%k} * 1024 ))
}

# calibrate RW BS CACHE DEPTH FLUSH: the number of requests per run, for
# the fastest engine to be busy for about RUN_SECONDS, but the slowest for
# no more than MAX_SECONDS. A pilot count is found on aio=threads (one
# that lasts at least 0.3 s), then the other engines run it once.
calibrate() {
	c=256
	while :; do
		t=$(bench threads "$@" "$c")
		[ -n "$t" ] || { echo 0; return; }
		if awk -v t="$t" 'BEGIN { exit !(t >= 0.3) }' || [ "$c" -ge 4194304 ]; then
			break
		fi
		c=$((c * 4))
	done
	times=$t
	for e in native io_uring acall; do
		times="$times $(bench "$e" "$@" "$c")"
	done
	echo "$times" | awk -v c="$c" -v s="$RUN_SECONDS" -v m="$MAX_SECONDS" '{
		lo = hi = $1
		for (i = 2; i <= NF; i++) { if ($i < lo) lo = $i; if ($i > hi) hi = $i }
		if (lo <= 0) lo = 0.001
		n = c * s / lo
		if (n > c * m / hi) n = c * m / hi
		n = int(n)
		print (n < 256 ? 256 : n) }'
}

# rotate N: the engines, starting from the (N mod 4)th.
rotate() {
	echo "$engines $engines" | awk -v k="$1" '{
		n = NF / 2; k %= n; s = $(k + 1)
		for (i = k + 2; i <= k + n; i++) s = s " " $i
		print s }'
}

start=$(date +%s)
# The counts, calibrated before the first round, one a line in workload order.
: > $out/counts
echo "$workloads" | while read -r rw bs cache depth flush; do
	count=$(calibrate "$rw" "$bs" "$cache" "$depth" "$flush")
	echo "qemu-bench: $(name_of "$rw" "$bs" "$cache" "$depth" "$flush"): $count requests per run"
	echo "$count" >> $out/counts
done

round=1
while [ $round -le "$ROUNDS" ]; do
	echo "qemu-bench: round $round"
	w=0
	echo "$workloads" | while read -r rw bs cache depth flush; do
		w=$((w + 1))
		name=$(name_of "$rw" "$bs" "$cache" "$depth" "$flush")
		count=$(sed -n "${w}p" $out/counts)
		if [ "$count" = 0 ]; then
			echo "qemu-bench: $name: aio=threads failed in calibration; skipped"
			continue
		fi
		if [ "$cache" != none ] && [ "$rw" = read ]; then
			cat "$img" > /dev/null
		fi
		# Round r starts workload w at engine w + 2(r - 1): each engine
		# runs in another place in the second round.
		for engine in $(rotate $((w + 2 * (round - 1)))); do
			t=$(bench "$engine" "$rw" "$bs" "$cache" "$depth" "$flush" "$count")
			if [ -n "$t" ]; then
				iops=$(awk -v c="$count" -v t="$t" 'BEGIN { printf "%.0f", (t > 0 ? c / t : 0) }')
				printf 'qemu-bench: round %s %-32s %-8s %8s requests in %6s s: %8s IOPS\n' \
					"$round" "$name" "$engine" "$count" "$t" "$iops"
				note=
			else
				t=-
				note=$(grep -m 1 . $out/run.out | tr '\t' ' ' |
					sed "s|^qemu-img: Could not open '[^']*': ||")
				echo "qemu-bench: round $round $name $engine: failed: $note"
			fi
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$rw" \
				"$(bytes_of "$bs")" "$cache" "$depth" "$flush" "$engine" \
				"$round" "$count" "$t" "$note" >> $out/results.tsv
		done
	done
	round=$((round + 1))
done
echo "qemu-bench: $(($(date +%s) - start)) s of runs"

rm -f "$img"
umount /mnt/ext4
echo "qemu-bench: begin results.tsv"
cat $out/results.tsv
echo "qemu-bench: end results.tsv"

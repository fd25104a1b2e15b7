#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run a benchmark profile inside the VM (scripts/bench.sh boots it):
#   profile.sh quick|full|xcheck
# Sets up a memory-backed null_blk that completes each request after
# DEVICE_NS (an SSD stand-in), ext4 on it (and xfs for the full matrix),
# loads acall.ko and runs acall-bench on each row of the profile. The tables
# go to the console; at the end the JSON and TSV are printed between marker
# lines for the host to pick up.
profile=${1:-quick}
here=$(cd "$(dirname "$0")" && pwd)
DEVICE_NS=${DEVICE_NS:-20000}
out=/tmp/acall-bench
mkdir -p $out
: > $out/results.json
: > $out/results.tsv
: > $out/tables.txt

fail() { echo "profile: $*"; exit 1; }

. "$here/guest-ext4.sh"

[ -d /sys/module/acall ] || insmod /acall/acall.ko || fail "cannot load acall.ko"
guest_ext4 2 "$DEVICE_NS" || exit 1
fs_list=ext4
if [ "$profile" = full ]; then
	if acall-modprobe xfs && mkfs.xfs -q -f /dev/nullb1 >/dev/null 2>&1 &&
	   mkdir -p /mnt/xfs && mount -t xfs /dev/nullb1 /mnt/xfs; then
		fs_list="ext4 xfs"
	else
		echo "profile: no xfs (mkfs.xfs or the module missing); ext4 only"
	fi
fi
echo "profile: $profile; null_blk completes each request after $DEVICE_NS ns"
echo "profile: $(nproc) CPUs, kernel $(uname -r), clocksource $(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
/acall/examples/acall-probe

# The demonstration first: a QEMU-like block backend on acall, data checked.
backend() {
	/acall/examples/blk-backend -c 4 -n 2000 -q 16 -f 32 /mnt/ext4/backend.img
	rm -f /mnt/ext4/backend.img
}

FIO_ENGINES=psync,libaio,io_uring,posixaio
# fio's acall engine, when it was built (make fio-engine): "fio acall".
if [ -f /acall/fio/libacall-fio.so ]; then
	export ACALL_FIO_ENGINE=/acall/fio/libacall-fio.so
	FIO_ENGINES=$FIO_ENGINES,acall
fi
# row FS NAME ACALL-BENCH-OPTIONS...
row() {
	fs=$1 name=$2
	shift 2
	"$here/acall-bench" --filename="/mnt/$fs/bench.dat" --name="$fs $name" \
		--device-ns="$DEVICE_NS" --json=$out/results.json \
		--tsv=$out/results.tsv "$@" | tee -a $out/tables.txt
}

quick() {
	backend || fail "the example backend failed"
	t=--runtime=1.5 s=--size=64m
	row ext4 "randread 4k direct qd32" --rw=randread --bs=4k --direct=1 \
		--iodepth=32 $t $s --fio=$FIO_ENGINES
	row ext4 "randread 4k hot qd32" --rw=randread --bs=4k --iodepth=32 \
		$t $s --fio=$FIO_ENGINES
	row ext4 "randread 4k cold qd32" --rw=randread --bs=4k --cache=cold \
		--iodepth=32 $t $s
	row ext4 "randwrite 4k direct qd32" --rw=randwrite --bs=4k --direct=1 \
		--iodepth=32 $t $s
	row ext4 "randwrite 4k hot qd32" --rw=randwrite --bs=4k --iodepth=32 \
		$t $s
	row ext4 "batch 1: randread 4k direct qd64" --rw=randread --bs=4k \
		--direct=1 --iodepth=64 --batch=1 $t $s
	row ext4 "batch 32: randread 4k direct qd64" --rw=randread --bs=4k \
		--direct=1 --iodepth=64 --batch=32 $t $s
	# Batching on the buffered paths: hits inline, misses in workers.
	row ext4 "batch 8: randread 4k hot qd32" --rw=randread --bs=4k \
		--iodepth=32 --batch=8 $t $s
	row ext4 "batch 8: randread 4k cold qd32" --rw=randread --bs=4k \
		--cache=cold --iodepth=32 --batch=8 $t $s
	row ext4 "ordered: randwrite 4k direct qd32 fdatasync/32" --rw=randwrite \
		--bs=4k --direct=1 --iodepth=32 --fdatasync=32 $t $s
}

# The devconf-2016 matrix on ext4 (on xfs 4 KiB and one job only, to keep
# the run near half an hour), the 2014 batching case and the ordered writes.
full() {
	t=--runtime=0.7 s=--size=64m
	for fs in $fs_list; do
		sizes="4k 16k 64k" jobs_list="1 2"
		[ $fs = xfs ] && sizes=4k jobs_list=1
		for rw in read randread write randwrite; do
			for bs in $sizes; do
				for cache in hot cold direct; do
					for qd in 1 32; do
						for jobs in $jobs_list; do
							if [ $cache = direct ]; then
								c=--direct=1
							else
								c=--cache=$cache
							fi
							fio=
							[ $fs = ext4 ] && [ $bs = 4k ] && [ $qd = 32 ] &&
								[ $jobs = 1 ] && fio=--fio=$FIO_ENGINES
							row $fs "$rw $bs $cache qd$qd jobs$jobs" \
								--rw=$rw --bs=$bs $c --iodepth=$qd \
								--numjobs=$jobs $t $s $fio
						done
					done
				done
			done
		done
		for b in 1 32; do
			row $fs "batch $b: randread 4k direct qd64" --rw=randread \
				--bs=4k --direct=1 --iodepth=64 --batch=$b $t $s
		done
		row $fs "ordered: randwrite 4k direct qd32 fdatasync/32" \
			--rw=randwrite --bs=4k --direct=1 --iodepth=32 --fdatasync=32 $t $s
		rm -f "/mnt/$fs/bench.dat"
	done
}

# The fio cross-check alone, with fio measuring latency and without.
xcheck() {
	t=--runtime=1.5 s=--size=64m
	for fo in "" --gtod_reduce=1; do
		row ext4 "xcheck randread 4k direct qd32 $fo" --rw=randread --bs=4k \
			--direct=1 --iodepth=32 $t $s --fio=$FIO_ENGINES --fio-opts="$fo" \
			--engines=psync,libaio,io_uring,posixaio,acall
		row ext4 "xcheck randread 4k hot qd32 $fo" --rw=randread --bs=4k \
			--iodepth=32 $t $s --fio=$FIO_ENGINES --fio-opts="$fo" \
			--engines=psync,libaio,io_uring,posixaio,acall
	done
}

case $profile in
row) shift; row ext4 "${NAME:-custom}" "$@" ;;	# profile.sh row ACALL-BENCH-OPTIONS...
quick) quick ;;
xcheck) xcheck ;;
full) full ;;
*) fail "unknown profile $profile" ;;
esac

for f in results.json results.tsv tables.txt; do
	echo "acall-bench: begin $f"
	cat $out/$f
	echo "acall-bench: end $f"
done

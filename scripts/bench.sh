#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The benchmark, in a VM: build, boot a stock kernel, run one profile of
# bench/profile.sh and keep what it measured.
#   bench.sh [quick|full|xcheck]   (xcheck: the fio cross-check alone)
# Results go to build/bench-results/PROFILE/: tables.txt (one table per
# workload), summary.txt (printed at the end), results.json (one object per
# workload), results.tsv, PNG charts (scripts/bench-charts.sh) and the VM's
# console.log. ACALL_BENCH_KERNEL picks the kernel (default 6.12).
# Exit status: the VM run's (vm-run.sh).
set -euo pipefail
cd "$(dirname "$0")/.."

profile=${1:-quick}
case $profile in
quick|xcheck) timeout=1500 ;;
full) timeout=5400 ;;
*) echo "usage: bench.sh [quick|full|xcheck]" >&2; exit 2 ;;
esac
# Installs the kernels the next line looks for, on a fresh machine.
scripts/setup.sh
eval "$(scripts/kernels.sh env "${ACALL_BENCH_KERNEL:-6.12}")"

make -s module KDIR="$KDIR"
make -s lib examples bench-tools
# fio's acall engine for the cross-check ("fio acall"); without it the
# cross-check leaves acall out.
fio_engine=()
if make -s fio-engine; then
	fio_engine=(--payload build/fio/libacall-fio.so=/acall/fio/libacall-fio.so)
else
	echo "bench: no fio engine for acall; the fio cross-check leaves it out" >&2
fi

res=build/bench-results/$profile
rm -rf "$res"
mkdir -p "$res"
echo "bench: the $profile profile in a VM (TCG: compare engines, not absolute figures)"

status=0
scripts/vm-run.sh --kernel "$KIMAGE" --moddir "$KMODDIR" --mem 2G \
	--timeout "${ACALL_VM_TIMEOUT:-$timeout}" --log "$res/console.log" \
	--payload "build/kmod/$KREL/acall.ko=/acall/acall.ko" \
	--payload build/lib=/acall/lib \
	--payload build/examples=/acall/examples \
	--payload build/bench=/acall/bench \
	--payload /usr/bin/fio=/usr/bin/fio "${fio_engine[@]}" \
	--payload /sbin/mke2fs=/sbin/mke2fs \
	--payload /etc/mke2fs.conf=/etc/mke2fs.conf \
	--payload /sbin/mkfs.xfs=/sbin/mkfs.xfs \
	-- "${ACALL_BENCH_COMMAND:-sh bench/profile.sh $profile}" |
	awk '/^acall-bench: begin /{skip=1} !skip && !/^\[ *[0-9]+\.[0-9]+\] /{print; fflush()} /^acall-bench: end /{skip=0}' ||
	status=$?

# The guest printed its files between marker lines; kernel messages that
# landed in between are dropped.
extract() {
	sed -n "/^acall-bench: begin $1\$/,/^acall-bench: end $1\$/p" "$res/console.log" |
		sed '1d;$d' | grep -vE '^\[ *[0-9]+\.[0-9]+\] ' || true
}
extract tables.txt > "$res/tables.txt"
extract results.tsv > "$res/results.tsv"
extract results.json | awk 'BEGIN{print "["} NR>1{print ","} {printf "%s", $0} END{print "\n]"}' \
	> "$res/results.json"

if [[ ! -s $res/results.tsv ]]; then
	echo "bench: no results came back (status $status); see $res/console.log" >&2
	exit $((status ? status : 1))
fi
scripts/bench-charts.sh "$res" || echo "bench: no charts (gnuplot missing?)" >&2
scripts/bench-summary.sh "$res" > "$res/summary.txt"
echo
echo "=== every engine side by side: acall and the best other engine"
cat "$res/summary.txt"
echo
echo "bench: results in $res: tables.txt summary.txt results.json results.tsv *.png"
exit "$status"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Where each engine's time goes on one workload: boots one VM (6.12, or
# ACALL_BENCH_KERNEL), runs acall-bench on ext4 on a null_blk for each
# engine, once for its figures and once under perf, and prints the symbols
# that took the most samples and the samples of each thread name
# (bench/perf-engines.sh).
#
#   perf-engines.sh [--symbols=N] ENGINES ACALL-BENCH-OPTIONS...
#   perf-engines.sh acall,libaio,io_uring --rw=randwrite --bs=4k --iodepth=32 \
#           --size=64m --runtime=3
# --symbols: how many symbols to print per engine (40).
#
# Needs perf on the host (Debian's linux-perf); the guest runs that binary.
# Samples are cpu-clock: under TCG a sample taken with interrupts off is
# counted where they come back on (_raw_spin_unlock_irq*).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: perf-engines.sh [--symbols=N] ENGINES ACALL-BENCH-OPTIONS..." >&2; exit 2; }
symbols=--symbols=40
[[ ${1:-} == --symbols=* ]] && { symbols=$1; shift; }
[[ ${symbols#--symbols=} =~ ^[1-9][0-9]*$ && $# -ge 2 ]] || usage
perf=$(command -v perf) || { echo "perf-engines: no perf; apt-get install linux-perf" >&2; exit 2; }
# Installs the kernels the next line looks for, on a fresh machine.
scripts/setup.sh
eval "$(scripts/kernels.sh env "${ACALL_BENCH_KERNEL:-6.12}")"

make -s module lib bench-tools KDIR="$KDIR"
scripts/vm-run.sh --kernel "$KIMAGE" --moddir "$KMODDIR" --mem 2G --timeout 3600 \
	--payload "build/kmod/$KREL/acall.ko=/acall/acall.ko" \
	--payload build/lib=/acall/lib --payload build/bench=/acall/bench \
	--payload /sbin/mke2fs=/sbin/mke2fs --payload /etc/mke2fs.conf=/etc/mke2fs.conf \
	--payload "$perf=/usr/bin/perf" \
	-- "sh bench/perf-engines.sh $symbols $*" |
	grep -v '^\[ *[0-9]*\.[0-9]*\] '

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# One acall-bench workload through the modules of several commits, in one
# VM run: each module is loaded in turn, ROUNDS times, and acall-bench runs
# the workload with acall and the engines it is compared with. One run of
# one guest is what makes figures of TCG comparable; pairing each module's
# run with the other engines' of the same round shows what a change did
# beside what the host's load did meanwhile.
#
#   bench-compare.sh [--rounds N] [--engines LIST] COMMIT... -- OPTIONS...
#
# COMMIT is anything git names (a hash, HEAD~2); each one's module is built
# in a worktree under build/compare/ (removed once built), the tools from
# the current tree. OPTIONS are acall-bench's (--rw=randwrite --bs=4k
# --iodepth=32 ...; --filename, --device-ns and --engines are set here).
# LIST defaults to libaio,io_uring,acall. ACALL_BENCH_KERNEL picks the
# kernel (default 6.12). Prints, per round and module, each engine's line
# and acall's ratio to the best other.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	echo "usage: bench-compare.sh [--rounds N] [--engines LIST] COMMIT... -- ACALL-BENCH-OPTIONS..." >&2
	exit 2
}

rounds=3 engines=libaio,io_uring,acall
commits=()
while [[ $# -gt 0 ]]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--engines) engines=$2; shift 2 ;;
	--) shift; break ;;
	-*) usage ;;
	*) commits+=("$1"); shift ;;
	esac
done
[[ ${#commits[@]} -ge 1 && $# -ge 1 ]] || usage
# Installs the kernels the next line looks for, on a fresh machine.
scripts/setup.sh
eval "$(scripts/kernels.sh env "${ACALL_BENCH_KERNEL:-6.12}")"
. scripts/compare-modules.sh

make -s lib bench-tools
compare_modules "${commits[@]}"
compare_vm_run "sh bench/bench-compare.sh $rounds $engines '${names[*]}' $*"

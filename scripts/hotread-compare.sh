#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The cost of a hot-cache read through the modules of several commits, in
# one VM run: each module is loaded in turn, ROUNDS times, and runs
# bench/hotread (pread, then acall with 1 and with 32 reads per SUBMIT).
# One run of one guest is what makes figures of TCG comparable.
#
#   hotread-compare.sh [--rounds N] [--reads N] COMMIT...
#
# COMMIT is anything git names (a hash, HEAD~2); each one's module is built
# in a worktree under build/compare/ (removed once built), the tools from
# the current tree. ACALL_BENCH_KERNEL picks the kernel (default 6.12).
# Prints, per round and module, hotread's time per read, its ratio to
# pread's in the same run, and acall's counters.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { echo "usage: hotread-compare.sh [--rounds N] [--reads N] COMMIT..." >&2; exit 2; }

rounds=3 reads=200000
while [[ $# -gt 0 ]]; do
	case $1 in
	--rounds) rounds=$2; shift 2 ;;
	--reads) reads=$2; shift 2 ;;
	--) shift; break ;;
	-*) usage ;;
	*) break ;;
	esac
done
[[ $# -ge 1 ]] || usage
# Installs the kernels the next line looks for, on a fresh machine.
scripts/setup.sh
eval "$(scripts/kernels.sh env "${ACALL_BENCH_KERNEL:-6.12}")"
. scripts/compare-modules.sh

make -s lib bench-tools
compare_modules "$@"
compare_vm_run "sh bench/hotread-compare.sh $rounds $reads ${names[*]}"

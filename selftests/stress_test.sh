#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Stress with data verification, short: threads of several processes mix
# reads, writes, flushes, discards and (when the module has them) ORDERED
# and LINKed pairs over shared files on ext4 and a raw device; every read
# is checked against what its blocks must hold, every completion arrives
# exactly once (selftests/hardening/stress.c). Then no worker is left, the
# module unloads, and the kernel reported nothing and leaked nothing.
#   ACALL_STRESS_SECONDS (default 30)  ACALL_STRESS_SEED (the time)
#   ACALL_STRESS_PROCS (2)  ACALL_STRESS_THREADS (3)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hardening.sh"

if [ -z "$ACALL_TEST_EXT4" ]; then
	tap_skip "stress: fixture ACALL_TEST_EXT4 not set up (see run_tests.sh)"
	tap_end
fi
seed=${ACALL_STRESS_SEED:-$(date +%s)}
echo "# seed $seed (ACALL_STRESS_SEED=$seed replays it)"
set -- -s "$seed" -t "${ACALL_STRESS_SECONDS:-30}" \
	-p "${ACALL_STRESS_PROCS:-2}" -j "${ACALL_STRESS_THREADS:-3}" \
	-d "$ACALL_TEST_EXT4"
[ -n "$ACALL_TEST_BDEV" ] && set -- "$@" -b "$ACALL_TEST_BDEV"

kreport_mark
out=/tmp/acall-stress.out
"$here/acall-stress" "$@" > "$out" 2>&1
status=$?
sed 's/^/# /' "$out"
tap_check "$status" "stress: every byte read as written, every completion exactly once"
hardening_after
tap_end

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# The fuzzer, short: every call of acall's surface with random and bad
# arguments from racing threads and processes, forks, execs and SIGKILLs
# (selftests/hardening/fuzz.c). Then no worker is left, the module unloads,
# and the kernel reported nothing.
#   ACALL_FUZZ_SECONDS (default 30)  ACALL_FUZZ_SEED (default: the time)
#   ACALL_FUZZ_PROCS (3)  ACALL_FUZZ_THREADS (3)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hardening.sh"

seed=${ACALL_FUZZ_SEED:-$(date +%s)}
echo "# seed $seed (ACALL_FUZZ_SEED=$seed replays it)"
set -- -s "$seed" -t "${ACALL_FUZZ_SECONDS:-30}" \
	-p "${ACALL_FUZZ_PROCS:-3}" -j "${ACALL_FUZZ_THREADS:-3}" \
	-d "${ACALL_TEST_EXT4:-/tmp}"
[ -n "$ACALL_TEST_SLOW_BDEV" ] && set -- "$@" -b "$ACALL_TEST_SLOW_BDEV"

kreport_mark
echo "# t=$(cut -d" " -f1 /proc/uptime) start"
out=/tmp/acall-fuzz.out
"$here/acall-fuzz" "$@" > "$out" 2>&1
status=$?
sed 's/^/# /' "$out"
tap_check "$status" "fuzz: no crash, hang or undocumented errno"
hardening_after
tap_end

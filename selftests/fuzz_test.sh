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
# At most its first MiB, NULs dropped: should a request of the fuzzer's ever
# reach its own output file and extend it (sparse, by a write or fallocate
# far out), reading it all would take for ever.
head -c 1048576 "$out" | tr -d '\000' | sed 's/^/# /'
[ "$(stat -c %s "$out")" -gt 1048576 ] &&
	echo "# the fuzzer's output file grew to $(stat -c %s "$out") bytes"
tap_check "$status" "fuzz: no crash, hang or undocumented errno"
hardening_after
tap_end

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Kill storm, short: processes with contexts full of slow in-flight work
# are SIGKILLed at random moments, and some are OOM-killed in a memory
# cgroup (selftests/hardening/killstorm.c). Then no worker is left, the
# module unloads, and the kernel reported nothing and leaked nothing.
#   ACALL_KILLSTORM_SECONDS (default 30)  ACALL_KILLSTORM_SEED (the time)
#   ACALL_KILLSTORM_PROCS (6)
here=$(cd "$(dirname "$0")" && pwd)
. "$here/hardening.sh"

seed=${ACALL_KILLSTORM_SEED:-$(date +%s)}
echo "# seed $seed (ACALL_KILLSTORM_SEED=$seed replays it)"
set -- -s "$seed" -t "${ACALL_KILLSTORM_SECONDS:-30}" -p "${ACALL_KILLSTORM_PROCS:-6}"
[ -n "$ACALL_TEST_SLOW_BDEV" ] && set -- "$@" -b "$ACALL_TEST_SLOW_BDEV"
[ -n "$ACALL_TEST_SLOW_EXT4" ] && set -- "$@" -d "$ACALL_TEST_SLOW_EXT4"

# A memory cgroup (v2) for the OOM kills, small enough to fill quickly.
cg=/sys/fs/cgroup
memcg=$cg/acall-killstorm
if grep -q "^cgroup2 $cg " /proc/mounts && grep -qw memory $cg/cgroup.controllers &&
   echo +memory > $cg/cgroup.subtree_control && mkdir -p $memcg &&
   echo 48M > $memcg/memory.max; then
	[ -e $memcg/memory.swap.max ] && echo 0 > $memcg/memory.swap.max
	set -- "$@" -m "$memcg"
else
	echo "# no memory cgroup v2 here: SIGKILL only"
fi

kreport_mark
out=/tmp/acall-killstorm.out
"$here/acall-killstorm" "$@" > "$out" 2>&1
status=$?
sed 's/^/# /' "$out"
tap_check "$status" "killstorm: every child died of SIGKILL (or the OOM killer)"
hardening_after
[ -d $memcg ] && rmdir $memcg
tap_end

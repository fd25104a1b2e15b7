#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Static checks of the module, as TAP: for each stock kernel a W=1 build with
# warnings as errors and a sparse pass (C=2) over every file, then
# checkpatch.pl --strict (from linux-source-6.1) over kmod/ and uapi/, and
# the man pages (scripts/man-check.sh).
# Exits non-zero if any check fails.
set -uo pipefail
cd "$(dirname "$0")/.."

out=build/lint
mkdir -p "$out"
n=0 failed=0
. scripts/tap-count.sh

for k in ${ACALL_LINT_KERNELS:-6.1 6.12 6.12-rt}; do
	kdir=$(scripts/kernels.sh env "$k" | sed -n 's/^KDIR=//p')
	log=$out/build-$k.log
	# A fresh tree each time, so every file is compiled and checked.
	rm -rf "$out/tree-$k"
	make --no-print-directory module OUT="$out/tree-$k" KDIR="$kdir" \
		W=1 C=2 KCFLAGS=-Werror > "$log" 2>&1
	status=$?
	# sparse reports are warnings that do not fail the build by themselves.
	if grep -qE 'warning:|error:' "$log"; then
		status=1
	fi
	tap_result "lint: W=1 -Werror and sparse against $k" $status "$log"
done

scripts/kernel-source.sh 6.1 build/ksrc-6.1 scripts/checkpatch.pl \
	scripts/spelling.txt scripts/const_structs.checkpatch
checkpatch() {
	build/ksrc-6.1/scripts/checkpatch.pl --strict --no-tree --show-types \
		--quiet "$@"
}
log=$out/checkpatch.log
(
	checkpatch -f $(ls kmod/*.[ch] uapi/linux/*.h | grep -v kmod/compat.h)
	s1=$?
	# compat.h exists to compare kernel versions: the one place allowed to.
	checkpatch --ignore LINUX_VERSION_CODE,CONSTANT_COMPARISON -f kmod/compat.h
	s2=$?
	exit $((s1 | s2))
) > "$log" 2>&1
tap_result "lint: checkpatch --strict on kmod/ and uapi/" $? "$log"

log=$out/man-check.log
scripts/man-check.sh > "$log" 2>&1
tap_result "lint: a man page for every public function, groff -ww clean" $? "$log"

[[ $failed == 0 ]]

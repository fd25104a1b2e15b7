#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The selftests on a busy machine: stress-ng keeps every host CPU busy
# beside the VM while the whole suite runs ROUNDS times on each kernel, so
# that a test which depends on timing fails here rather than in CI.
#
#   load-test.sh [ROUNDS]      ROUNDS default 3; ACALL_KERNELS narrows
#                              the kernels (default "6.1 6.12 6.12-rt debug")
#
# Ends with "selftests: N passed, N failed, N skipped" over every run and
# exits non-zero if any run failed. Logs: build/logs/load-ROUND-KERNEL.log.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
. scripts/tap-count.sh

rounds=${1:-3}
kernels=${ACALL_KERNELS:-6.1 6.12 6.12-rt debug}
pass=0 fail=0 skip=0

scripts/setup.sh || exit 1
if ! command -v stress-ng > /dev/null; then
	DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends stress-ng >&2 ||
		{ echo "load-test: cannot install stress-ng" >&2; exit 1; }
fi
if [[ " $kernels " == *" debug "* ]]; then
	scripts/debug-kernel.sh > /dev/null || exit 1
fi

stress-ng --cpu "$(nproc)" --quiet &
load=$!
trap 'kill $load 2>/dev/null; wait $load 2>/dev/null' EXIT

mkdir -p build/logs
start=$SECONDS
for ((r = 1; r <= rounds; r++)); do
	for k in $kernels; do
		t=$SECONDS
		scripts/vmtest.sh "$k" > "build/logs/load-$r-$k.log" 2>&1
		status=$?
		read -r p f s < <(run_counts "build/logs/load-$r-$k.log" "$status")
		pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
		echo "round $r, kernel $k: $p passed, $f failed, $s skipped ($((SECONDS - t))s)"
		grep -E '^not ok ' "build/logs/load-$r-$k.log" | sed 's/^/  /'
	done
done
echo "under load, $rounds rounds, $((SECONDS - start))s"
echo "selftests: $pass passed, $fail failed, $skip skipped"
[[ $fail == 0 ]]

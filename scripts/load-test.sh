#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The selftests on a busy machine: stress-ng keeps every host CPU busy
# beside the VM while the whole suite runs ROUNDS times on each kernel, so
# that a test which depends on timing fails here rather than in CI.
#
#   load-test.sh [ROUNDS]      ROUNDS default 3; ACALL_KERNELS narrows
#                              the kernels (default "6.1 6.12 6.12-rt debug")
#   ACALL_LOAD_PARALLEL=1      every kernel's rounds run at once, one VM per
#                              kernel: each VM then has less of the CPUs than
#                              alone beside stress-ng, and the whole takes
#                              less time
#
# The guests' hang timeout is raised (ACALL_VM_TIMEOUT, default 7200 s here):
# a starved guest is slow, not hung. Ends with "selftests: N passed,
# N failed, N skipped" over every run and exits non-zero if any run failed.
# Logs: build/logs/load-ROUND-KERNEL.log.
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

export ACALL_VM_TIMEOUT=${ACALL_VM_TIMEOUT:-7200}
# Built once here: VMs started at once must not build the same files.
make -s lib selftests pipeline-tools examples bench-tools || exit 1
make -s fio-engine || echo "load-test: no fio engine; its test will skip" >&2
mkdir -p build/logs
rm -f build/logs/load-*.counts

# run_one ROUND KERNEL: one suite run; its counts go to a file of its own so
# that runs in parallel do not share a variable.
run_one() {
	local log=build/logs/load-$1-$2.log t=$SECONDS status p f s
	scripts/vmtest.sh "$2" > "$log" 2>&1
	status=$?
	read -r p f s < <(run_counts "$log" "$status")
	echo "$p $f $s" > "build/logs/load-$1-$2.counts"
	echo "round $1, kernel $2: $p passed, $f failed, $s skipped ($((SECONDS - t))s)"
	grep -E '^not ok ' "$log" | sed 's/^/  /'
}

start=$SECONDS
if [[ ${ACALL_LOAD_PARALLEL:-0} == 1 ]]; then
	jobs=()
	for k in $kernels; do
		for ((r = 1; r <= rounds; r++)); do run_one "$r" "$k"; done &
		jobs+=($!)
	done
	wait "${jobs[@]}"	# not stress-ng, which runs until the end
else
	for ((r = 1; r <= rounds; r++)); do
		for k in $kernels; do run_one "$r" "$k"; done
	done
fi
for c in build/logs/load-*.counts; do
	read -r p f s < "$c"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done
runs=$(find build/logs -name 'load-*.counts' | wc -l)
expected=$((rounds * $(wc -w <<<"$kernels")))
# A run that left no counts (killed) is a failure, not a pass by omission.
fail=$((fail + expected - runs))
echo "under load, $rounds rounds, $((SECONDS - start))s"
echo "selftests: $pass passed, $fail failed, $skip skipped"
[[ $fail == 0 ]]

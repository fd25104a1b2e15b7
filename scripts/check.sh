#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything CI runs ("make check"): install what is missing, build with
# warnings as errors, lint the module, run the selftests in a VM on each
# kernel, and check that the pipeline itself catches failures. Ends with
#   selftests: N passed, N failed, N skipped
# and exits non-zero if anything failed.
#
# ACALL_KERNELS picks the kernels (default "6.1 6.12 debug").
set -uo pipefail
cd "$(dirname "$0")/.."

kernels=${ACALL_KERNELS:-6.1 6.12 debug}
start=$SECONDS
pass=0 fail=0 skip=0
lines=()

# count LABEL FILE: add the TAP results in FILE to the totals.
count() {
	local p s f
	p=$(grep -E '^ok ' "$2" | grep -vc '# SKIP')
	s=$(grep -E '^ok ' "$2" | grep -c '# SKIP')
	f=$(grep -cE '^not ok ' "$2")
	pass=$((pass + p)) skip=$((skip + s)) fail=$((fail + f))
	lines+=("$1: $p passed, $f failed, $s skipped")
}

step() { echo; echo "=== $* ($((SECONDS - start))s)"; }

mkdir -p build/logs
step setup
scripts/setup.sh || { echo "selftests: 0 passed, 1 failed"; exit 1; }

step "userspace build (-Wall -Wextra -Werror, ASan, UBSan)"
if make -s lib selftests pipeline-tools > build/logs/build.log 2>&1; then
	echo "ok 1 build: libacall and selftests" | tee build/logs/build.tap
else
	cat build/logs/build.log
	echo "not ok 1 build: libacall and selftests" | tee build/logs/build.tap
fi
count "build" build/logs/build.tap

step lint
scripts/lint.sh | tee build/logs/lint.tap
count "lint" build/logs/lint.tap

# If the debug kernel is wanted, build (or find) it before the VM runs.
if [[ " $kernels " == *" debug "* ]]; then
	step "debug kernel"
	if ! scripts/debug-kernel.sh > build/logs/debug-kernel.out; then
		echo "not ok 1 debug kernel build" > build/logs/debug-kernel.tap
		count "debug kernel" build/logs/debug-kernel.tap
		kernels=${kernels/debug/}
	fi
fi

for k in $kernels; do
	step "selftests on $k"
	scripts/vmtest.sh "$k"
	status=$?
	summary=$(grep -E '^selftests: [0-9]+ passed' "build/logs/vmtest-$k.log" | tail -n 1)
	p=$(sed -En 's/.* ([0-9]+) passed.*/\1/p' <<<"$summary")
	f=$(sed -En 's/.* ([0-9]+) failed.*/\1/p' <<<"$summary")
	s=$(sed -En 's/.* ([0-9]+) skipped.*/\1/p' <<<"$summary")
	p=${p:-0} f=${f:-0} s=${s:-0}
	# A run whose tests passed but whose kernel complained, hung or died
	# still failed.
	if [[ $status != 0 && $f == 0 ]]; then
		echo "# kernel $k: the VM run failed (status $status) although no test did"
		f=1
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	lines+=("kernel $k ($(scripts/kernels.sh release "$k")): $p passed, $f failed, $s skipped")
done

step "pipeline self-check"
debug_kernels=()
[[ " $kernels " == *" debug "* ]] && debug_kernels=(debug)
scripts/pipeline-test.sh "${debug_kernels[@]}" | tee build/logs/pipeline.tap
count "pipeline" build/logs/pipeline.tap

echo
echo "=== summary ($((SECONDS - start))s)"
printf '%s\n' "${lines[@]}"
echo "selftests: $pass passed, $fail failed, $skip skipped"
[[ $fail == 0 ]]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Everything CI runs ("make check"): install what is missing, build with
# warnings as errors, lint the module, check what "make install" and DKMS
# give (scripts/install-check.sh) and what the Debian packages give
# (scripts/deb-check.sh), run the selftests in a VM on each kernel, and
# check that the pipeline itself catches failures. Ends with
#   selftests: N passed, N failed, N skipped
# and exits non-zero if anything failed.
#
# ACALL_KERNELS picks the kernels (default "6.1 6.12 6.12-rt debug").
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

kernels=${ACALL_KERNELS:-6.1 6.12 6.12-rt debug}
start=$SECONDS
pass=0 fail=0 skip=0
lines=() failures=()

. scripts/tap-count.sh

# count LABEL FILE: add the TAP results in FILE to the totals, and its
# failures to those the summary names.
count() {
	local p f s
	read -r p f s < <(tap_counts "$2")
	pass=$((pass + p)) skip=$((skip + s)) fail=$((fail + f))
	lines+=("$1: $p passed, $f failed, $s skipped")
	mapfile -t -O "${#failures[@]}" failures < <(grep -E '^not ok ' "$2" | sed "s/^/$1: /")
}

# count_vm LABEL PREFIX LOG STATUS [WHY]: a VM run's counts, from its
# console LOG and vm-run.sh's exit STATUS, into the totals, the summary
# line LABEL and the failures (each after PREFIX). With WHY, a run that
# skipped a test or passed none is one more failure, WHY saying why.
count_vm() {
	local p f s
	read -r p f s < <(run_counts "$3" "$4")
	if ((f > 0)); then
		mapfile -t -O "${#failures[@]}" failures < \
			<(run_failures "$3" "$4" | head -n 24 | sed "s/^/$2: /")
	fi
	if [[ -n ${5:-} ]] && ((s > 0 || p == 0)); then
		failures+=("$2: $5 ($s skipped)")
		f=$((f + 1))
	fi
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	lines+=("$1: $p passed, $f failed, $s skipped")
}

step() { echo; echo "=== $* ($((SECONDS - start))s)"; }

mkdir -p build/logs
step setup
scripts/setup.sh || { echo "selftests: 0 passed, 1 failed"; exit 1; }

# The debug kernel takes longest to build (the first time): it builds in
# the background, niced, while the userspace, the lint and the stock
# kernels' runs go on, and is waited for just before its own run.
debug_build=
if [[ " $kernels " == *" debug "* ]]; then
	step "debug kernel: building or found in the background"
	nice -n 10 scripts/debug-kernel.sh > build/logs/debug-kernel.out \
		2> build/logs/debug-kernel.err &
	debug_build=$!
fi

step "userspace build (-Wall -Wextra -Werror, ASan, UBSan)"
if make -s lib selftests pipeline-tools > build/logs/build.log 2>&1; then
	echo "ok 1 build: libacall and selftests" | tee build/logs/build.tap
else
	cat build/logs/build.log
	echo "not ok 1 build: libacall and selftests" | tee build/logs/build.tap
fi
# fio's acall engine against the installed fio's headers: its source is
# fetched and configured once (scripts/fio-source.sh), then cached.
if make -s fio-engine > build/logs/fio-engine.log 2>&1; then
	echo "ok 2 build: fio's acall engine" | tee -a build/logs/build.tap
else
	cat build/logs/fio-engine.log
	echo "not ok 2 build: fio's acall engine" | tee -a build/logs/build.tap
fi
count "build" build/logs/build.tap

step lint
scripts/lint.sh | tee build/logs/lint.tap
count "lint" build/logs/lint.tap

step "install (make install, DKMS)"
scripts/install-check.sh | tee build/logs/install.tap
count "install" build/logs/install.tap

step "Debian packages (make deb, a clean root, the VM)"
scripts/deb-check.sh | tee build/logs/deb.tap
count "deb" build/logs/deb.tap

ran=
for k in $kernels; do
	if [[ $k == debug ]]; then
		step "waiting for the debug kernel"
		if ! wait "$debug_build"; then
			tail -n 60 build/logs/debug-kernel.err
			echo "not ok 1 debug kernel build" > build/logs/debug-kernel.tap
			count "debug kernel" build/logs/debug-kernel.tap
			continue
		fi
		sed -n 's/^debug-kernel: //p' build/logs/debug-kernel.err | tail -n 1
	fi
	step "selftests on $k"
	scripts/vmtest.sh "$k"
	status=$?
	count_vm "kernel $k ($(scripts/kernels.sh release "$k"))" "$k" \
		"build/logs/vmtest-$k.log" "$status"
	ran+=" $k"
done

# Kernel-thread workers and isolated CPUs: isolated_cpus_test skips unless
# the kernel isolates one, so it runs once more on 6.12 with CPU 1 isolated.
if [[ " $ran " == *" 6.12 "* ]]; then
	step "selftests on 6.12 with CPU 1 isolated (isolcpus=1 nohz_full=1)"
	log=build/logs/vmtest-6.12-isolated.log
	ACALL_VM_APPEND="isolcpus=1 nohz_full=1" ACALL_VM_LOG=$log \
		scripts/vmtest.sh 6.12 'sh selftests/run_tests.sh isolated_cpus_test'
	status=$?
	# The run exists for these tests: one skipped there tested nothing.
	count_vm "kernel 6.12, CPU 1 isolated" "6.12 isolated" "$log" "$status" \
		"isolated_cpus_test did not run: no CPU isolated?"
fi

# A pool of workers per NUMA node: appends_from_two_nodes_... skips on one
# node, so append_test runs once more on 6.12 with two.
if [[ " $ran " == *" 6.12 "* ]]; then
	step "selftests on 6.12 with two NUMA nodes"
	log=build/logs/vmtest-6.12-numa.log
	ACALL_VM_NUMA=1 ACALL_VM_LOG=$log \
		scripts/vmtest.sh 6.12 'sh selftests/run_tests.sh append_test posixaio_append_test'
	status=$?
	count_vm "kernel 6.12, two NUMA nodes" "6.12 numa" "$log" "$status" \
		"append_test skipped: one NUMA node?"
fi

step "pipeline self-check"
debug_kernels=()
[[ " $ran " == *" debug "* ]] && debug_kernels=(debug)
scripts/pipeline-test.sh "${debug_kernels[@]}" | tee build/logs/pipeline.tap
pipeline_status=${PIPESTATUS[0]}
count "pipeline" build/logs/pipeline.tap
# A self-check that stopped without naming a failed check (it died, or its
# results were lost) fails too.
if [[ ! -s build/logs/pipeline.tap ]] ||
   { [[ $pipeline_status != 0 ]] && ! grep -q '^not ok ' build/logs/pipeline.tap; }; then
	fail=$((fail + 1))
	failures+=("pipeline: exit status $pipeline_status without a result for each check")
fi

echo
echo "=== summary ($((SECONDS - start))s)"
printf '%s\n' "${lines[@]}"
if ((${#failures[@]})); then
	echo "what failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "selftests: $pass passed, $fail failed, $skip skipped"
[[ $fail == 0 ]]

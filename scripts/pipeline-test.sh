#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The test pipeline's check of itself, as TAP: a run that should fail must
# fail. Each case boots a VM on purpose to go wrong and checks that
# vm-run.sh's exit status and console say so.
#   pipeline-test.sh [KERNEL...]   kernels for the KASAN case (default: debug
#                                  if it is in ACALL_KERNELS)
set -uo pipefail
cd "$(dirname "$0")/.."

stock=${ACALL_PIPELINE_KERNEL:-6.12}
n=0 failed=0
log=build/logs/pipeline.log
# The guest's console, apart from the selftest runs' own logs.
console=build/logs/pipeline-console.log
mkdir -p build/logs

# expect NAME KERNEL STATUS PATTERN COMMAND [LINES]: the VM run must exit
# with STATUS and its console must match the extended regex PATTERN (on
# exactly LINES lines, when given).
expect() {
	local name=$1 kernel=$2 want=$3 pattern=$4 cmd=$5 lines=${6:-} got matched
	n=$((n + 1))
	rm -f "$console"	# what the summary checks read is this run's
	ACALL_VM_TIMEOUT=${ACALL_VM_TIMEOUT:-600} ACALL_VM_LOG=$console \
		scripts/vmtest.sh "$kernel" "$cmd" > "$log" 2>&1
	got=$?
	matched=$(grep -cE -- "$pattern" "$log")
	if [[ $got == "$want" ]] && ((matched > 0)) && [[ -z $lines || $matched == "$lines" ]]; then
		echo "ok $n pipeline: $name"
	else
		failed=$((failed + 1))
		echo "not ok $n pipeline: $name"
		echo "# expected exit $want and /$pattern/${lines:+ on $lines lines}, got exit $got and $matched lines; console:"
		tail -n 30 "$log" | sed 's/^/# /'
	fi
}

expect "a failing test fails the run ($stock)" "$stock" 1 \
	'^selftests: [0-9]+ passed, 1 failed' \
	'cp pipeline/fail_test selftests/ && sh selftests/run_tests.sh fail_test probe_test'

# The same run's console, as check.sh's summary reads it: the failure is
# named with its test program and the assertion that failed.
. scripts/tap-count.sh
named=build/logs/pipeline-named.log
run_failures "$console" 1 > "$named"
grep -q '^fail_test: not ok .*fails_on_purpose' "$named" &&
	grep -q 'Expected 3 (3) == 1 + 1' "$named"
tap_result "pipeline: the summary names a failing test and its assertion" $? "$named"

expect "a guest kernel WARN fails a run whose tests pass ($stock)" "$stock" 97 \
	'vm-run: FAIL: the guest kernel reported' \
	'insmod acall-inject.ko && pipeline/inject warn && echo injected'

# check.sh's summary of that run says what the kernel reported, as the
# summary of a run cut short says which test program it was in.
run_failures "$console" 97 > "$named"
grep -q '^the guest kernel reported a problem:' "$named" &&
	grep -A1 'WARNING:' "$named" | grep -q 'RIP: 0010:'
tap_result "pipeline: the summary quotes the kernel's report" $? "$named"

# The panic comes while a test program runs, after two that ended, as
# run_tests.sh prints them (a program's output comes when it ends): one
# with a pass and a failure, one that crashed. The summary counts those
# and one failure more, and names the program the run was cut short in.
ended='echo "# ===== a_test"; echo "ok 1 a"; echo "not ok 2 b"
echo "# a_test: 1 passed, 1 failed, 0 skipped"; echo "# ===== b_test"
echo "# b_test: exit status 139 without a failed test (crash or timeout)"
echo "# b_test: 0 passed, 1 failed, 0 skipped"; echo "# ===== panic_test"'
expect "a guest panic fails the run ($stock)" "$stock" 97 \
	'Kernel panic' \
	"$ended; echo c > /proc/sysrq-trigger"
{
	echo "counts: $(run_counts "$console" 97)"
	run_failures "$console" 97
} > "$named"
grep -qx 'counts: 1 3 0' "$named" && grep -qx 'cut short in panic_test' "$named" &&
	grep -q 'Kernel panic' "$named"
tap_result "pipeline: the summary counts a run cut short and names where" $? "$named"

ACALL_VM_TIMEOUT=60 expect "a hung guest fails the run ($stock)" "$stock" 98 \
	'vm-run: FAIL: the guest hung' \
	'sleep 100000'

# No init to run: the kernel panics in its own boot, before /init, which is
# how a boot that TCG spoiled ends; vm-run.sh boots it again, twice at most,
# then fails the run.
ACALL_VM_APPEND="rdinit=/none init=/none" expect \
	"a guest that dies in its kernel's boot is booted again, then fails ($stock)" \
	"$stock" 97 '^vm-run: booting ' 'true' 3
run_failures "$console" 97 > "$named"
grep -q '^(booted 3 times' "$named"
tap_result "pipeline: the summary says the boot was spoiled and tried again" $? "$named"

for k in "$@"; do
	expect "KASAN catches a use-after-free ($k)" "$k" 97 \
		'BUG: KASAN: [a-z-]*use-after-free' \
		'insmod acall-inject.ko && pipeline/inject uaf'
done

[[ $failed == 0 ]]

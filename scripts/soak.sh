#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The long versions of the hardening tests ("make soak"), in one VM on the
# debug kernel: fuzz, stress with data verification, kill storm, fault
# injection, for MINUTES in all (default 40), split 35/25/20/20. Then the
# README's table of what they tried and survived is rewritten from the
# counts each printed (between the soak markers), and the log is kept in
# build/logs/soak.log.
#   soak.sh [MINUTES]
#   soak.sh --report     only rewrite the table from the kept log
# Exit status: the VM run's (0: every test passed and the kernel said
# nothing; see vm-run.sh).
set -uo pipefail
cd "$(dirname "$0")/.."

log=build/logs/soak.log
if [[ ${1:-} != --report ]]; then
	minutes=${1:-40}
	[[ $minutes =~ ^[0-9]+$ ]] && ((minutes > 0)) || { echo "soak: MINUTES, a whole number" >&2; exit 2; }
	secs=$((minutes * 60))
	fuzz=$((secs * 35 / 100)) stress=$((secs * 25 / 100))
	kill=$((secs * 20 / 100)) faults=$((secs * 10 / 100))	# faults: two phases
	seed=${ACALL_SOAK_SEED:-$(date +%s)}

	command="ACALL_TEST_TIMEOUT=$((secs + 1800))"
	command+=" ACALL_FUZZ_SECONDS=$fuzz ACALL_FUZZ_PROCS=4 ACALL_FUZZ_THREADS=4 ACALL_FUZZ_SEED=$seed"
	command+=" ACALL_STRESS_SECONDS=$stress ACALL_STRESS_PROCS=3 ACALL_STRESS_THREADS=3 ACALL_STRESS_SEED=$seed"
	command+=" ACALL_KILLSTORM_SECONDS=$kill ACALL_KILLSTORM_PROCS=8 ACALL_KILLSTORM_SEED=$seed"
	command+=" ACALL_FAULTS_SECONDS=$faults ACALL_FAULTS_SEED=$seed"
	command+=" sh selftests/run_tests.sh fuzz_test.sh stress_test.sh killstorm_test.sh faults_test.sh"

	echo "soak: $minutes min on the debug kernel, seed $seed"
	start=$SECONDS
	ACALL_VM_TIMEOUT=$((secs + 3600)) scripts/vmtest.sh debug "$command"
	status=$?
	elapsed=$(((SECONDS - start) / 60))
	mkdir -p build/logs
	{ cat build/logs/vmtest-debug.log
	  echo "soak: minutes $minutes seed $seed elapsed $elapsed status $status"; } > "$log"

fi
[[ -r $log ]] || { echo "soak: no $log" >&2; exit 2; }
read -r minutes seed elapsed status < <(sed -n 's/^soak: minutes \([0-9]*\) seed \([0-9]*\) elapsed \([0-9]*\) status \([0-9]*\)$/\1 \2 \3 \4/p' "$log" | tail -n 1)

# field LINE-PREFIX NAME: the sum of "NAME N" over the log's lines that
# start with LINE-PREFIX.
field() {
	grep -E "^# $1" "$log" | grep -oE "(^| )$2 [0-9]+" | awk '{ s += $2 } END { print s + 0 }'
}
calls=$(field "fuzz: seed" calls)
fuzz_req=$(field "fuzz: seed" requests)
fuzz_kills=$(field "fuzz: seed" kills)
forks=$(field "fuzz: seed" forks)
execs=$(field "fuzz: seed" execs)
bad_errno=$(field "fuzz: seed" bad_errno)
killed=$(field "killstorm: seed" killed)
oom=$(field "killstorm: seed" oom_killed)
stress_req=$(field "stress: seed" requests)
stress_done=$(field "stress: seed" completions)
verified=$(field "stress: seed" bytes_verified)
written=$(field "stress: seed" bytes_written)
ordered=$(field "stress: seed" ordered_pairs)
linked=$(field "stress: seed" linked_pairs)
failures=$(field "stress: seed" failures)
nth=$(field "stress: seed" faults)
clean=$(field "stress: seed" clean_errors)
slab=$(grep -oE "acall_req allocations failed [0-9]+" "$log" | awk '{ s += $4 } END { print s + 0 }')
bio=$(grep -oE "device I/O failed [0-9]+" "$log" | awk '{ s += $4 } END { print s + 0 }')
reports=$(grep -cE '^# (kernel|kmemleak): ' "$log")
verdict=$(grep -E '^selftests: [0-9]+ passed' "$log" | tail -n 1)
[[ $status == 97 ]] && reports="$reports (and the VM run failed on a kernel report)"
release=$(scripts/kernels.sh release debug)
# What the tests' own checks (workers gone, module unloaded) said.
after="no worker left, the module unloaded after each test"
[[ $verdict == *" 0 failed"* ]] || after="a test failed: see $log"
mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

table=$(cat <<EOF
Last \`make soak DURATION=$minutes\` ($(date -u +%Y-%m-%d), kernel $release,
seed $seed, $elapsed min in the VM): \`$verdict\`, VM exit status $status.

| what | tried | survived |
| --- | --- | --- |
| fuzzing | $calls calls ($fuzz_req requests taken, $forks forks, $execs execs, $fuzz_kills workers SIGKILLed) | $bad_errno undocumented errnos |
| stress with verification | $stress_req requests, $(mib "$written") written, $ordered ORDERED and $linked LINKed pairs | $(mib "$verified") read back and verified, $stress_done completions, $failures mismatches or lost/duplicated completions |
| fault injection | $nth fail-nth faults in submissions, $slab failed acall_req allocations, $bio failed device I/Os | $clean clean -ENOMEM/-EIO results; no other error |
| kill storms | $killed processes SIGKILLed, $oom OOM-killed in a memory cgroup, with I/O in flight | $after |
| kernel reports | KASAN, lockdep, kmemleak, WARN, hung task | $reports |
EOF
)

# Between the markers in README.md, nothing else.
TABLE=$table awk '
	/^<!-- soak:begin -->$/ { print; print ENVIRON["TABLE"]; skip = 1; next }
	/^<!-- soak:end -->$/ { skip = 0 }
	!skip { print }' README.md > README.md.new && mv README.md.new README.md
echo "$table"
echo "soak: README.md updated; log in $log"
exit "$status"

#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run every acall selftest (inside the VM) and sum their TAP output into
#   selftests: N passed, N failed, N skipped
# Usage: run_tests.sh [TEST...]   (default: every *_test in this directory)
# A test that crashes, times out or reports nothing counts as one failure.
here=$(cd "$(dirname "$0")" && pwd)
export ACALL_KO=${ACALL_KO:-$here/../acall.ko}
TEST_TIMEOUT=${ACALL_TEST_TIMEOUT:-600}

[ -d /sys/module/acall ] || insmod "$ACALL_KO" || {
	echo "run_tests: cannot load $ACALL_KO"
	echo "selftests: 0 passed, 1 failed, 0 skipped"
	exit 1
}

tests="$*"
[ -n "$tests" ] || tests=$(cd "$here" && ls *_test *_test.sh 2>/dev/null)

pass=0 fail=0 skip=0
out=/tmp/acall-test.out
for t in $tests; do
	echo "# ===== $t"
	timeout "$TEST_TIMEOUT" "$here/$t" >"$out" 2>&1
	rc=$?
	cat "$out"
	p=$(grep -E '^ok ' "$out" | grep -vc '# SKIP')
	s=$(grep -E '^ok ' "$out" | grep -c '# SKIP')
	f=$(grep -cE '^not ok ' "$out")
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "# $t: exit status $rc without a failed test (crash or timeout)"
		f=1
	elif [ $((p + s + f)) = 0 ]; then
		echo "# $t: ran no test"
		f=1
	fi
	echo "# $t: $p passed, $f failed, $s skipped"
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
done

echo "selftests: $pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ]

# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by check.sh and load-test.sh: count results in a log; by lint.sh,
# install-check.sh, deb-check.sh and pipeline-test.sh: print them.

# tap_result NAME STATUS LOG: one TAP line for check number $((n + 1)),
# counting it in the caller's n and failed; a failure is followed by the
# complaints in LOG (warnings, errors), else by the end of LOG.
tap_result() {
	n=$((n + 1))
	if [[ $2 == 0 ]]; then
		echo "ok $n $1"
	else
		failed=$((failed + 1))
		echo "not ok $n $1"
		{ grep -A1 -E 'warning:|error:|ERROR|WARNING|CHECK:' "$3" || tail -n 20 "$3"; } |
			head -n 40 | sed 's/^/# /'
	fi
}

# tap_counts FILE: "PASSED FAILED SKIPPED" of the TAP lines in FILE.
tap_counts() {
	local p s f
	p=$(grep -E '^ok ' "$1" | grep -vc '# SKIP')
	s=$(grep -E '^ok ' "$1" | grep -c '# SKIP')
	f=$(grep -cE '^not ok ' "$1")
	echo "$p $f $s"
}

# run_counts FILE STATUS: "PASSED FAILED SKIPPED" of a VM run, from the last
# "selftests:" line of its log FILE, or for a run cut short before it, from
# the lines of the test programs that ended and, when STATUS is non-zero,
# one failure more. A run that exited STATUS non-zero although no test
# failed (the kernel complained, hung or died) counts one failure.
run_counts() {
	local p f s ended
	# Each test program that ended has its line "# T: P passed, F failed,
	# S skipped" (run_tests.sh); the one running when the guest died
	# printed nothing.
	read -r p f s ended < <(awk '
		/^selftests: [0-9]+ passed/ { tp = $2; tf = $4; ts = $6; ended = 1 }
		/^# [^ ]+: [0-9]+ passed, [0-9]+ failed, [0-9]+ skipped$/ {
			p += $3; f += $5; s += $7
		}
		END {
			if (ended)
				print tp + 0, tf + 0, ts + 0, 1
			else
				print p + 0, f + 0, s + 0, 0
		}' "$1")
	p=${p:-0} f=${f:-0} s=${s:-0} ended=${ended:-0}	# no log at all
	# A run cut short: one failure more for the run that did not end.
	((ended)) || [[ $2 == 0 ]] || f=$((f + 1))
	[[ $2 != 0 && $f == 0 ]] && f=1
	echo "$p $f $s"
}

# run_failures LOG STATUS: what failed in a VM run whose console is LOG
# and whose vm-run.sh exit status is STATUS, a few lines each: why the VM
# run itself failed (vm-run.sh's verdict at the end of LOG, with the
# kernel's complaints), the test program a run cut short was in, the
# boots the kernel spoiled before, then every "not ok" with the test
# program it came from and the comment lines just before it, and a test
# program that crashed or timed out. The end of a CI log is often all
# anyone sees of it, so check.sh prints these in its summary, the run's
# own failure first.
run_failures() {
	local verdict boots
	case $2 in
	97 | 98 | 99)
		verdict=$(sed -n '/^vm-run: FAIL: /,$s/^vm-run: \(FAIL: \)\{0,1\}//p' "$1" | head -n 12)
		if [[ -z $verdict ]]; then
			case $2 in
			97) verdict="the guest kernel reported a problem" ;;
			98) verdict="the guest hung" ;;
			99) verdict="the guest died without reporting (panic or crash)" ;;
			esac
		fi
		echo "$verdict"
		# The guest's /init says how the command ended, unless it died.
		if ! grep -q '^vm-init: exit status' "$1"; then
			sed -n 's/^# ===== \(.*\)/cut short in \1/p' "$1" | tail -n 1
		fi
		;;
	esac
	boots=$(grep -c '^vm-run: the kernel complained while booting' "$1" || true)
	((boots == 0)) ||
		echo "(booted $((boots + 1)) times: the kernel complained in its own boot before)"
	awk '
		/^# ===== / { prog = $3; n = 0; next }
		/^#/ { ctx[n++ % 3] = $0; next }
		/^not ok / {
			print prog ": " $0
			for (i = (n > 3 ? n - 3 : 0); i < n; i++)
				print "    " ctx[i % 3]
			n = 0
			next
		}
		{ n = 0 }
	' "$1"
	grep -E '^# [^ ]+: (exit status|ran no test)' "$1"
}

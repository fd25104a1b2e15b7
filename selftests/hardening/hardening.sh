# SPDX-License-Identifier: GPL-2.0
# Shell helpers of the hardening tests (fuzz, stress, kill storm, faults),
# sourced by selftests/*_test.sh inside the VM. Each test prints TAP: tap_ok
# and tap_not_ok count, tap_end prints the plan and exits.

tap_n=0 tap_failed=0
echo "TAP version 13"

tap_ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n $*"; }
tap_not_ok() { tap_n=$((tap_n + 1)) tap_failed=1; echo "not ok $tap_n $*"; }
tap_skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n $* # SKIP"; }
# tap_check STATUS NAME: ok if STATUS is 0.
tap_check() { if [ "$1" = 0 ]; then tap_ok "$2"; else tap_not_ok "$2"; fi; }
tap_end() { echo "1..$tap_n"; exit "$tap_failed"; }

# The kernel's complaints, as vm-run.sh and vm-init.sh recognise them.
KREPORT_RE='WARNING:|BUG:|Oops|kernel BUG at|general protection fault|UBSAN:|INFO: task .* blocked|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|Call Trace:'

# kreport_mark: mark where the kernel log is now, with a line of our own
# in it: a count of lines would point elsewhere once the log buffer is full
# and old lines make room (killstorm's OOM reports fill it).
kreport_mark() {
	kreport_tag="acall-kreport-mark $$ $(date +%s%N)"
	echo "$kreport_tag" > /dev/kmsg
	kmemleak_mark
}

# kreport_new: print the complaints logged since kreport_mark; false if any.
# The Call Trace of an OOM kill's report (killstorm provokes them) is none.
# Should the mark itself have left the buffer, what is left starts
# somewhere in a report: lines up to the first report's start are skipped.
kreport_new() {
	dmesg | awk -v tag="$kreport_tag" '
		index($0, tag) { seen = 1; next }
		{ lines[n++] = $0 }
		seen { print }
		END {
			if (seen) exit
			for (i = 0; i < n; i++) {
				if (!start && lines[i] !~ /invoked oom-killer:|WARNING:|BUG:|Oops|UBSAN:|INFO: task|possible (circular|recursive)|inconsistent lock|suspicious RCU/)
					continue
				start = 1
				print lines[i]
			}
		}' |
		awk '/invoked oom-killer:/ { oom = 1 }
		     !(oom && /Call Trace:/) { print }
		     /oom-kill:constraint=|Killed process [0-9]+/ { oom = 0 }' |
		grep -E "$KREPORT_RE" | head -n 20 |
		sed 's/^/# kernel: /' | grep . && return 1
	return 0
}

# kmemleak_mark: note the leaks kmemleak lists already (found by an
# earlier test's scans or its own periodic one; they stay listed), so that
# kmemleak_new does not blame this test for them. vm-init.sh still reports
# every one at the guest's end. One no scan has found yet is not noted.
kmemleak_seen=${TMPDIR:-/tmp}/acall-kmemleak-seen.$$
kmemleak_mark() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	grep '^unreferenced object' /sys/kernel/debug/kmemleak > "$kmemleak_seen" ||
		true
}

# kmemleak_new: scan (twice: an object is reported only once it has been
# unreferenced for a full scan) and print the leaks reported since
# kmemleak_mark, each with its backtrace; false if any. True when kmemleak
# is not in this kernel.
kmemleak_new() {
	[ -w /sys/kernel/debug/kmemleak ] || return 0
	[ -f "$kmemleak_seen" ] || : > "$kmemleak_seen"
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	awk 'FILENAME == ARGV[1] { seen[$0] = 1; next }
	     /^unreferenced object/ { show = !($0 in seen) }
	     show' "$kmemleak_seen" /sys/kernel/debug/kmemleak |
		head -n 40 | sed 's/^/# kmemleak: /' | grep .
	leaked=$?
	rm -f "$kmemleak_seen"
	[ "$leaked" != 0 ]
}

# acall_threads: how many acall worker threads exist now.
acall_threads() {
	cat /proc/[0-9]*/task/[0-9]*/comm 2>/dev/null | grep -c '^acall/'
}

# until_zero BOUND_S COMMAND: poll COMMAND's output every 0.1 s until it is
# 0, for at most BOUND_S seconds (a generous bound for a state change, not
# a measurement). True if it came to 0.
until_zero() {
	bound=$(($1 * 10)); shift
	i=0
	while [ "$("$@")" != 0 ]; do
		i=$((i + 1))
		[ "$i" -ge "$bound" ] && return 1
		sleep 0.1
	done
	return 0
}

acall_refcnt() { cat /sys/module/acall/refcnt 2>/dev/null || echo gone; }

# module_cycles: once every context is gone, the module unloads and loads
# again (so later tests find it). Prints why not; false if it could not.
module_cycles() {
	until_zero 120 acall_refcnt || { echo "# acall still referenced: $(acall_refcnt)"; return 1; }
	rmmod acall || { echo "# rmmod acall failed"; return 1; }
	insmod "${ACALL_KO:-/acall/acall.ko}" || { echo "# insmod acall.ko failed"; return 1; }
}

# The common end of a hardening test: no worker left, the module unloads,
# no kernel complaint, no leak.
hardening_after() {
	echo "# t=$(cut -d' ' -f1 /proc/uptime) waiting for workers"
	until_zero 120 acall_threads
	tap_check $? "no acall worker survives its context"
	echo "# t=$(cut -d' ' -f1 /proc/uptime) module"
	module_cycles
	tap_check $? "the module unloads and loads again"
	kreport_new
	tap_check $? "no kernel report (KASAN, lockdep, WARN, hung task)"
	echo "# t=$(cut -d' ' -f1 /proc/uptime) kmemleak"
	kmemleak_new
	leaks=$?
	echo "# t=$(cut -d' ' -f1 /proc/uptime) done"
	tap_check "$leaks" "kmemleak finds nothing"
}

# with_inject_module N NAME [PARAM=VALUE...]: run acall-NAME, a tool that
# prints its own N TAP lines, with the test-only module (loaded with the
# PARAMs) in place of acall.ko, which is loaded again after; each line is
# skipped without that module. Exits with the tool's status.
with_inject_module() {
	n=$1 name=$2
	shift 2
	ko=${ACALL_KO:-/acall/acall.ko}
	inject_ko=${ACALL_INJECT_KO:-$(dirname "$ko")/acall-inject.ko}
	echo "1..$n"
	if [ ! -f "$inject_ko" ]; then
		i=1
		while [ "$i" -le "$n" ]; do
			echo "ok $i $name # SKIP needs $inject_ko"
			i=$((i + 1))
		done
		exit 0
	fi
	[ -d /sys/module/acall ] && rmmod acall
	insmod "$inject_ko" "$@" || {
		echo "not ok 1 $name # insmod"
		exit 1
	}
	out=$("$(dirname "$0")/acall-$name")
	status=$?
	[ -n "$out" ] && echo "$out"
	# Set-up failed before any check: say so in TAP.
	echo "$out" | grep -q "^\(not \)\?ok $n " ||
		echo "not ok $n $name # acall-$name ended early (status $status)"
	rmmod acall
	insmod "$ko"
	exit $status
}

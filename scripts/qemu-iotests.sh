#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# QEMU's own tests/qemu-iotests on aio=acall, against aio=io_uring, in one
# VM run:
#   qemu-iotests.sh            build (or reuse) QEMU with aio=acall for the
#                              iotests (scripts/qemu-build.sh --iotests),
#                              boot the 6.12 kernel, run the iotests in it,
#                              and report
#   qemu-iotests.sh --report   only the report, again, from the last run
# The iotests run from a Debian root (mmdebstrap's minbase with python3
# and the libraries QEMU links; cached under /var/cache/acall), chrooted
# in the guest, on ext4 on null_blk: the group "auto" (the one QEMU's own
# "make check-block" runs), for the raw and qcow2 formats on the file
# protocol, each once with -i acall and once with -i io_uring, and with
# the default cache mode (writeback). The io_uring runs of qcow2's groups
# leave out tests 073 and 214, which hang there (scripts/qemu-iotests-guest.sh).
# Results go to build/qemu-iotests/: results.tsv (format, aio mode, test,
# result, reason), runs.tsv (per run: the count of tests planned and
# reported, and whether it ended), summary.txt (printed at the end: per
# format and mode the count of passed, failed and not run tests, each
# test whose result differs between acall and io_uring, and the runs cut
# short), the VM's console.log, and vm-status and formats for --report.
# ACALL_IOTESTS_KERNEL picks the kernel (default 6.12); ACALL_IOTESTS
# overrides what the guest runs: "FORMATS;GROUPS" (default "raw
# qcow2;auto"), and ACALL_IOTESTS_TESTS, if set, names tests instead of
# groups. ACALL_IOTESTS_RUN_TIMEOUT cuts each run of ./check off after
# that many seconds (default 3600); ACALL_VM_TIMEOUT, the whole VM run
# (default: every run's timeout, and an hour more).
# Exit status: 0 if every run ended (each format and mode: its plan's
# count of tests reported, none cut short), every test that io_uring
# passes also passes on acall, and the VM run ended cleanly; 1 otherwise
# (vm-run.sh's own status is printed); 2 for bad usage.
set -euo pipefail
cd "$(dirname "$0")/.."

res=build/qemu-iotests
cache=${ACALL_CACHE:-/var/cache/acall}
modes=(acall io_uring)

# The guest prints each run's TAP between marker lines; a test's result
# is pass, fail or notrun, with the reason the test gave for not running.
# runs.tsv says, for each run, how many tests its plan ("1..N") had, how
# many it reported, and whether it ended (its end marker came, and ./check
# was not cut off by the guest's timeout).
parse() {
	[[ -s $res/console.log ]] || { : > "$res/results.tsv"; : > "$res/runs.tsv"; return 0; }
	tr -d '\r' < "$res/console.log" | awk -v OFS='\t' -v runs="$res/runs.tsv" '
	/^\[ *[0-9]+\.[0-9]+\] / { next }	# kernel messages
	/^qemu-iotests: begin / { fmt = $3; aio = $4; on = 1; r = fmt SUBSEP aio
		order[++nr] = r; next }
	/^qemu-iotests: notrun / { k = $3 SUBSEP $4 SUBSEP $5; sub(/:$/, "", k)
		why = $0; sub(/^[^:]*:[^:]*: */, "", why); reason[k] = why; next }
	/^qemu-iotests: end / { if (on && ($5 == "" || $5 < 124)) ended[r] = 1; on = 0; next }
	!on { next }
	/^1\.\.[0-9]+$/ { plan[r] = substr($0, 4); next }
	/^ok / && $2 == fmt { res[++n] = (/# *SKIP/ ? "notrun" : "pass")
		key[n] = r SUBSEP $3; got[r]++ }
	/^not ok / && $3 == fmt { res[++n] = "fail"; key[n] = r SUBSEP $4; got[r]++ }
	END {
		print "format", "aio", "test", "result", "reason"
		for (i = 1; i <= n; i++) { split(key[i], f, SUBSEP)
			print f[1], f[2], f[3], res[i], res[i] == "notrun" ? reason[key[i]] : "" }
		print "format", "aio", "planned", "reported", "ended" > runs
		for (i = 1; i <= nr; i++) { split(order[i], f, SUBSEP)
			print f[1], f[2], plan[order[i]] + 0, got[order[i]] + 0,
			      ended[order[i]] ? "yes" : "no" > runs }
	}' > "$res/results.tsv"
}

# summary: the counts and the differences, from results.tsv.
summary() {
	awk -F'\t' '
	NR == 1 { next }
	{ r[$1, $2, $3] = $4; n[$1, $2, $4]++
	  if (!(($1, $3) in seen)) { seen[$1, $3] = 1; tests[$1] = tests[$1] " " $3 }
	  if (!($1 in fseen)) { fseen[$1] = 1; fmts[++nf] = $1 } }
	END {
		printf "%-8s %-9s %7s %7s %8s\n", "format", "aio", "passed", "failed", "not run"
		for (i = 1; i <= nf; i++) {
			f = fmts[i]
			split("acall io_uring", m, " ")
			for (j = 1; j <= 2; j++)
				printf "%-8s %-9s %7d %7d %8d\n", f, m[j], n[f, m[j], "pass"],
				       n[f, m[j], "fail"], n[f, m[j], "notrun"]
		}
		printf "\ntests whose result differs between acall and io_uring:\n"
		diff = 0
		for (i = 1; i <= nf; i++) {
			f = fmts[i]
			k = split(tests[f], t, " ")
			for (j = 1; j <= k; j++) {
				a = r[f, "acall", t[j]]; u = r[f, "io_uring", t[j]]
				if (a == u) continue
				printf "  %-6s %-8s acall: %-7s io_uring: %s\n", f, t[j],
				       a == "" ? "-" : a, u == "" ? "-" : u
				diff++
			}
		}
		if (!diff) printf "  none\n"
	}' "$res/results.tsv"
	incomplete | sed '1s/^/\nruns cut short (format, aio, tests planned, reported, ended):\n/'
}

# incomplete: each run that did not report its whole plan or end, and
# each format and mode that has no run at all.
incomplete() {
	local fmt fmts aio
	awk -F'\t' 'NR > 1 && ($3 == 0 || $4 < $3 || $5 != "yes") { print "  " $1, $2, $3, $4, $5 }' \
		"$res/runs.tsv"
	read -r fmts < "$res/formats"
	for fmt in $fmts; do
		for aio in "${modes[@]}"; do
			awk -F'\t' -v f="$fmt" -v a="$aio" '$1 == f && $2 == a { found = 1 }
				END { exit !found }' "$res/runs.tsv" || echo "  $fmt $aio: no run"
		done
	done
}

# regressions: tests io_uring passes and acall does not.
regressions() {
	awk -F'\t' 'NR > 1 { r[$1, $2, $3] = $4; t[$1, $3] = 1 }
	END { for (k in t) { split(k, p, SUBSEP)
		if (r[p[1], "io_uring", p[2]] == "pass" && r[p[1], "acall", p[2]] != "pass")
			print p[1], p[2] } }' "$res/results.tsv"
}

# report: the summary; fails when a run was cut short, a test passes on
# io_uring and not on acall, or the VM run did not end cleanly.
report() {
	local vm bad
	summary | tee "$res/summary.txt"
	vm=$(cat "$res/vm-status")
	bad=$(regressions)
	[[ -z $bad ]] || { echo "qemu-iotests: io_uring passes, acall does not:"; sed 's/^/  /' <<<"$bad"; }
	[[ $vm == 0 ]] || echo "qemu-iotests: the VM run ended with status $vm (scripts/vm-run.sh)"
	[[ -z $bad && -z $(incomplete) && $vm == 0 ]]
}

case ${1:-} in
--report)
	[[ -s $res/console.log && -s $res/vm-status && -s $res/formats ]] ||
		{ echo "qemu-iotests: no run in $res" >&2; exit 1; }
	parse
	report
	exit ;;
'') ;;
*) sed -n '3,9s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac

spec=${ACALL_IOTESTS:-raw qcow2;auto}
tests=${ACALL_IOTESTS_TESTS:-}
run_timeout=${ACALL_IOTESTS_RUN_TIMEOUT:-3600}
[[ $spec =~ ^[a-z0-9\ ]*[a-z0-9][a-z0-9\ ]*\;[a-z0-9,\ -]*[a-z0-9][a-z0-9,\ -]*$ &&
   $tests =~ ^([a-z0-9\ -]*[a-z0-9][a-z0-9\ -]*)?$ && $run_timeout =~ ^[1-9][0-9]*$ ]] ||
	{ echo "qemu-iotests: ACALL_IOTESTS is \"FORMATS;GROUPS\", ACALL_IOTESTS_TESTS test names, ACALL_IOTESTS_RUN_TIMEOUT seconds" >&2; exit 2; }
IFS=';' read -r formats groups <<<"$spec"

# Installs the kernels the next line looks for, on a fresh machine.
scripts/setup.sh
eval "$(scripts/kernels.sh env "${ACALL_IOTESTS_KERNEL:-6.12}")"
make -s module KDIR="$KDIR"
make -s lib
tree=$(scripts/qemu-build.sh --iotests)

# ---- the Debian root --------------------------------------------------------

# python3 for the iotests, bzip2 for their sample images, the firmware
# the system emulator loads (where Debian's QEMU has it), and the Debian
# packages of the libraries QEMU's binaries link (libacall travels alone).
packages=(python3 bzip2 qemu-system-data seabios ipxe-qemu)
mapfile -t libs < <(for b in qemu-img qemu-io qemu-nbd qemu-system-x86_64 \
			      storage-daemon/qemu-storage-daemon; do
			LD_LIBRARY_PATH=build/lib ldd "$tree/$b"
		    done | grep -o '=> /[^ ]*' | cut -c4- | grep -v libacall | sort -u)
mapfile -t -O ${#packages[@]} packages < <(for l in "${libs[@]}"; do
	dpkg -S "$(realpath "$l")" 2>/dev/null || dpkg -S "$l"
done | cut -d: -f1 | sort -u)
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
mmopts=(--variant=minbase --dpkgopt='path-exclude=/usr/share/doc/*'
	--dpkgopt='path-exclude=/usr/share/man/*'
	--dpkgopt='path-exclude=/usr/share/locale/*')
# The key holds the versions installed here, which QEMU was built against:
# a root older than those is built again.
key=$({ printf '%s\n' "$codename" "${mmopts[@]}" "${packages[@]}"
	dpkg-query -W -f='${Package}=${Version}\n' "${packages[@]}" 2>/dev/null || true
      } | sha256sum | cut -c1-12)
tarball=$cache/iotests-root-$key.tar

# make_root: the root's tarball, unless cached; one builder at a time
# (the lock is held in a subshell, not by the VM run).
make_root() (
	local sources=() f
	[[ -s $tarball ]] && return 0
	mkdir -p "$cache"
	exec 9>"$cache/.iotests-root.lock"
	if ! flock -n 9; then
		echo "qemu-iotests: another run is building the Debian root; waiting"
		flock 9
	fi
	[[ -s $tarball ]] && return 0
	[[ -s /etc/apt/sources.list ]] && grep -q '^[[:space:]]*deb' /etc/apt/sources.list &&
		sources+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] && sources+=("$f")
	done
	((${#sources[@]})) || { echo "qemu-iotests: no apt sources on this machine" >&2; return 1; }
	if ! command -v mmdebstrap >/dev/null; then
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q mmdebstrap >&2 ||
			{ apt-get update -q >&2 && apt-get install -y -q mmdebstrap >&2; } ||
			return 1
	fi
	rm -f "$cache"/iotests-root-*.tar
	echo "qemu-iotests: building the Debian root ($codename minbase: ${packages[*]})"
	if mmdebstrap "${mmopts[@]}" --include="$(IFS=,; echo "${packages[*]}")" \
		"$codename" "$tarball.tmp.tar" "${sources[@]}" >&2; then
		mv "$tarball.tmp.tar" "$tarball"
	else
		rm -f "$tarball.tmp.tar"
		return 1
	fi
)
make_root

# What goes on top of the root: QEMU's tree at /qemu, this tree's
# libacall in /usr/local/lib.
rm -rf "$res"
mkdir -p "$res/overlay/usr/local/lib"
echo "$formats" > "$res/formats"
# What a run of the iotests on the host may have left in the tree stays.
tar -C "$tree" --exclude=./tests/qemu-iotests/scratch \
	--exclude=./tests/qemu-iotests/.last-elapsed-cache --exclude=__pycache__ \
	-cf - . | (mkdir "$res/overlay/qemu" && tar -C "$res/overlay/qemu" -xf -)
cp -a build/lib/libacall.so* "$res/overlay/usr/local/lib/"
tar -C "$res/overlay" -cf "$res/overlay.tar" .
rm -rf "$res/overlay"

# ---- the run ----------------------------------------------------------------

if [[ -n $tests ]]; then what="tests $tests"; else what="groups $groups"; fi
echo "qemu-iotests: formats $formats; $what; aio ${modes[*]}; in a VM on $KREL"
read -ra fmt_list <<<"$formats"
vm_timeout=${ACALL_VM_TIMEOUT:-$((${#fmt_list[@]} * ${#modes[@]} * run_timeout + 3600))}
start=$SECONDS
set +e
scripts/vm-run.sh --kernel "$KIMAGE" --moddir "$KMODDIR" --mem 3G \
	--timeout "$vm_timeout" --log "$res/console.log" \
	--payload "build/kmod/$KREL/acall.ko=/acall/acall.ko" \
	--payload "$tarball=/acall/root.tar" \
	--payload "$res/overlay.tar=/acall/overlay.tar" \
	--payload scripts/qemu-iotests-guest.sh=/acall/qemu-iotests-guest.sh \
	--payload /sbin/mke2fs=/sbin/mke2fs \
	--payload /etc/mke2fs.conf=/etc/mke2fs.conf \
	-- "FORMATS='$formats' IOTESTS_GROUPS='$groups' TESTS='$tests' MODES='${modes[*]}' RUN_TIMEOUT=$run_timeout sh qemu-iotests-guest.sh" |
	grep --line-buffered -E '^qemu-iotests: |^(not )?ok '
status=${PIPESTATUS[0]}
set -e
echo "qemu-iotests: the VM run took $((SECONDS - start)) s"
echo "$status" > "$res/vm-status"
rm -f "$res/overlay.tar"
parse

report

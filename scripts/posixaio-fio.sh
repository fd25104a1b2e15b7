#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fio's posixaio engine, unmodified, on glibc's POSIX AIO and on acall's
# (libacall-posixaio.so preloaded), job by job, side by side. Runs where
# /dev/acall is, in the test VM: selftests/posixaio_fio_test.sh runs it in
# short mode, and "make posixaio-fio" runs the full list for figures.
#
#   posixaio-fio.sh [--short] [--dir DIR] [--lib SO]
#     --short   fewer jobs on small files (CI); default: the figures run
#     --dir     where the test files go (default $ACALL_TEST_EXT4, else /tmp)
#     --lib     the library (default: ../lib/libacall-posixaio.so from here)
#
# Prints TAP, one test per job and side, then the table of figures as TAP
# comments: IOPS and mean total latency (usec) of reads and writes.
#
# Every job writes its file with verify headers first, then runs the
# measured job with verify=crc32c and verify_fatal=1. On acall's side the
# library prints acall's counters at exit (ACALL_POSIXAIO_STATS=1), and
# the run checks they count at least the measured job's requests.
here=$(cd "$(dirname "$0")" && pwd)
size=16M short=0
dir=${ACALL_TEST_EXT4:-/tmp}
lib=$here/../lib/libacall-posixaio.so
while [ $# -gt 0 ]; do
	case $1 in
	--short) short=1; size=4M ;;
	--dir) dir=$2; shift ;;
	--lib) lib=$2; shift ;;
	*) echo "usage: $0 [--short] [--dir DIR] [--lib SO]" >&2; exit 2 ;;
	esac
	shift
done
FIO=${FIO:-fio}
out=$(mktemp -d "${TMPDIR:-/tmp}/posixaio-fio.XXXXXX") || exit 1
trap 'rm -rf "$out"' EXIT

# rw bs iodepth direct [fio options]
jobs="randread  4k  1  0
randread  4k  16 0
randread  4k  16 1
randread  64k 8  1
randwrite 4k  16 0
randwrite 16k 8  1
randwrite 4k  16 0 --fsync=16
randrw    4k  32 0
randrw    8k  16 1"
[ $short = 1 ] && jobs="randread  4k  16 0
randread  4k  8  1
randwrite 16k 8  0
randwrite 4k  16 1
randwrite 4k  8  0 --fsync=16
randrw    4k  32 0
randrw    8k  16 1"

n=0 failed=0
tap_line() {	# status description [diagnostic]
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		echo "not ok $n $2"
	fi
	[ -n "$3" ] && echo "# $3"
	return 0
}

# run SIDE NAME RW BS DEPTH DIRECT [OPTIONS]: fio's terse line of the
# measured job in $out/NAME.SIDE.terse, stderr in .err; returns fio's status.
run() {
	side=$1 name=$2 rw=$3 bs=$4 depth=$5 direct=$6 extra=$7
	file=$dir/posixaio-fio.$name
	rm -f "$file"
	# Jobs as threads of one process, on both sides: the library prints
	# its counters when that process exits (fio ends job processes with
	# _exit(), which skips exit handlers).
	set -- --output-format=terse --terse-version=3 --ioengine=posixaio --thread \
		--filename="$file" --size="$size" --bs="$bs" --direct="$direct" \
		--verify=crc32c --verify_fatal=1 \
		--name=fill --rw=write --iodepth=16 --do_verify=0 \
		--name=measured --stonewall --rw="$rw" --iodepth="$depth" $extra
	if [ "$side" = acall ]; then
		LD_PRELOAD=$lib ACALL_POSIXAIO_STATS=1 ACALL_POSIXAIO_VERBOSE=1 $FIO "$@" \
			>"$out/$name.$side.out" 2>"$out/$name.$side.err"
	else
		$FIO "$@" >"$out/$name.$side.out" 2>"$out/$name.$side.err"
	fi
	status=$?
	rm -f "$file"
	grep '^3;[^;]*;measured;' "$out/$name.$side.out" > "$out/$name.$side.terse"
	return $status
}

# Fields of fio's terse v3 line: 5 error, 6/47 KiB, 8/49 IOPS,
# 40/81 mean total latency (usec), read/write.
field() { cut -d';' -f"$2" "$1"; }

iops() { [ -s "$1" ] && echo $(( $(field "$1" 8) + $(field "$1" 49) )) || echo -; }
lat() { [ -s "$1" ] && awk -F';' -v f="$2" '{ printf "%.0f", $f }' "$1" || echo -; }

# check SIDE NAME BS: TAP for one fio run.
check() {
	side=$1 name=$2 bs=$3 status=$4
	t=$out/$name.$side.terse
	err=$(field "$t" 5 2>/dev/null)
	if [ "$status" != 0 ] || [ "$err" != 0 ]; then
		tap_line "not ok" "fio $side $name" "fio status $status, error ${err:-none}: $(grep -h -m1 -iE 'verify|err' "$out/$name.$side.out" "$out/$name.$side.err" | head -1)"
		return
	fi
	if [ "$side" = acall ]; then
		# The fill job's requests plus the measured job's, from KiB moved.
		ios=$(( (${size%M} * 1024 + $(field "$t" 6) + $(field "$t" 47)) / ${bs%k} ))
		req=$(sed -n 's/.* submitted \([0-9]*\) .*/\1/p' "$out/$name.$side.err" |
			awk '{ s += $1 } END { print s + 0 }')
		echo "$req" > "$out/$name.req"
		# How acall served them: inline / async kiocb / worker.
		sed -n 's/.* inline \([0-9]*\) async_kiocb \([0-9]*\) punted \([0-9]*\) .*/\1 \2 \3/p' \
			"$out/$name.$side.err" |
			awk '{ i += $1; k += $2; p += $3 } END { printf "%d/%d/%d\n", i, k, p }' \
			> "$out/$name.how"
		if [ "$req" -lt "$ios" ]; then
			tap_line "not ok" "fio $side $name" "acall counted $req requests, fio made at least $ios: $(head -3 "$out/$name.$side.err")"
			return
		fi
	fi
	tap_line ok "fio $side $name"
}

[ -e /dev/acall ] || { echo "1..0 # SKIP no /dev/acall"; exit 0; }
echo "TAP version 13"
echo "1..$(( $(echo "$jobs" | wc -l) * 2 ))"
table=$out/table
printf '%-26s %10s %10s %10s %10s %10s %10s %9s %s\n' job \
	glibc_iops acall_iops glibc_rlat acall_rlat glibc_wlat acall_wlat \
	acall_req inline/kiocb/worker > "$table"
while read -r rw bs depth direct extra; do
	name=$rw-$bs-qd$depth-$([ "$direct" = 1 ] && echo direct || echo buffered)
	# An option joins the name: --fsync=16 makes -fsync16.
	[ -n "$extra" ] && name=$name-$(echo "$extra" | tr -d '=-')
	for side in glibc acall; do
		run $side "$name" "$rw" "$bs" "$depth" "$direct" "$extra"
		check $side "$name" "$bs" $?
	done
	g=$out/$name.glibc.terse a=$out/$name.acall.terse
	printf '%-26s %10s %10s %10s %10s %10s %10s %9s %s\n' "$name" \
		"$(iops "$g")" "$(iops "$a")" "$(lat "$g" 40)" "$(lat "$a" 40)" \
		"$(lat "$g" 81)" "$(lat "$a" 81)" "$(cat "$out/$name.req" 2>/dev/null || echo -)" \
		"$(cat "$out/$name.how" 2>/dev/null || echo -)" >> "$table"
done <<JOBS
$jobs
JOBS
echo "# fio $($FIO --version) posixaio, $size files in $dir, $(nproc) CPUs"
echo "# IOPS (reads + writes); mean total latency in usec (rlat reads, wlat writes);"
echo "# acall_req: requests acall's counters saw (fill job + measured job), and"
echo "# how acall served them: inline in the submitter / async kiocb / worker"
sed 's/^/# /' "$table"
[ "$failed" = 0 ]

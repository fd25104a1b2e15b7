#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unmodified fio, ioengine=posixaio, with libacall-posixaio.so preloaded:
# the short job list of posixaio-fio.sh on glibc and on acall (verify=crc32c,
# verify_fatal=1, acall's counters checked; ACALL_POSIXAIO_FIO_FULL=1 runs
# the full list, for figures), then fio with the module
# unloaded: the library must fall back to glibc, say so once per process
# when asked, and the job must pass. Prints TAP; expects the module loaded
# on entry and leaves it loaded.
here=$(cd "$(dirname "$0")" && pwd)
KO=${ACALL_KO:-/acall/acall.ko}
LIB=$here/../lib/libacall-posixaio.so
dir=${ACALL_TEST_EXT4:-}

echo "TAP version 13"
if ! command -v fio >/dev/null; then
	echo "1..0 # SKIP fio is not installed"
	exit 0
fi
if [ -z "$dir" ]; then
	echo "1..0 # SKIP fixture ACALL_TEST_EXT4 not set up (see run_tests.sh)"
	exit 0
fi

out=$(mktemp -d /tmp/posixaio-fio-test.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT
short=--short
[ "${ACALL_POSIXAIO_FIO_FULL:-0}" = 1 ] && short=
sh "$here/posixaio-fio.sh" $short --dir "$dir" --lib "$LIB" > "$out/jobs"
grep -v -e '^TAP version' -e '^1\.\.' "$out/jobs"
n=$(grep -cE '^(not )?ok ' "$out/jobs")
failed=$(grep -c '^not ok ' "$out/jobs")

# Without the module: glibc serves fio, and the library says so.
n=$((n + 1))
file=$dir/posixaio-fio.fallback
# The last workers of the runs above may take a moment to exit and drop
# their module references: poll for that, a bounded number of times.
tries=0
until rmmod acall 2>/dev/null || [ $tries -ge 100 ]; do
	tries=$((tries + 1))
	sleep 0.1
done
if [ -d /sys/module/acall ]; then
	echo "not ok $n fio_falls_back_to_glibc_without_module"
	echo "# rmmod acall failed"
	failed=$((failed + 1))
else
	LD_PRELOAD=$LIB ACALL_POSIXAIO_VERBOSE=1 fio --ioengine=posixaio \
		--filename="$file" --size=2M --bs=4k --iodepth=8 \
		--verify=crc32c --verify_fatal=1 --name=fallback --rw=randrw \
		> "$out/fallback.out" 2> "$out/fallback.err"
	status=$?
	rm -f "$file"
	said=$(grep -c "using glibc's POSIX AIO" "$out/fallback.err")
	repeated=$(grep "using glibc's POSIX AIO" "$out/fallback.err" |
		   sed 's/:.*//' | sort | uniq -d | wc -l)
	if [ $status = 0 ] && [ "$said" -ge 1 ] && [ "$repeated" = 0 ]; then
		echo "ok $n fio_falls_back_to_glibc_without_module"
	else
		echo "not ok $n fio_falls_back_to_glibc_without_module"
		echo "# fio status $status, said $said times, $repeated processes more than once"
		sed 's/^/# /' "$out/fallback.err" | head -20
		failed=$((failed + 1))
	fi
	insmod "$KO" || echo "# insmod $KO failed"
fi
echo "1..$n"
[ "$failed" = 0 ]

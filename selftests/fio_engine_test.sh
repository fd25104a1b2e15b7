#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# fio with acall's own engine (ioengine=external:libacall-fio.so, built by
# "make fio-engine"): random writes at iodepth 16 then their verification
# (verify=crc32c, verify_fatal=1) on a file of the ext4 fixture, buffered
# and O_DIRECT; the same with an fdatasync every 16 writes (ORDERED
# barriers); and trim (fallocate punch-hole), which must free the file's
# blocks; and a write cut short by RLIMIT_FSIZE, which fio must see as
# short (resid) and requeue, the rest failing with EFBIG. Each job prints
# acall's counters (acall_stats=1), which must count every request as
# submitted and completed. Prints TAP; skips when the engine was not
# built, fio is missing or the fixture is.
here=$(cd "$(dirname "$0")" && pwd)
ENGINE=${ACALL_FIO_ENGINE:-$here/../fio/libacall-fio.so}
dir=${ACALL_TEST_EXT4:-}

tests="fio_acall_randwrite_verify_buffered fio_acall_randwrite_verify_direct
fio_acall_fdatasync_barriers_verify fio_acall_trim_punches_holes
fio_acall_short_write_requeued"

echo "TAP version 13"
echo "1..5"
# skip_all REASON: every test skipped (run_tests.sh counts them as such).
skip_all() {
	i=0
	for t in $tests; do
		i=$((i + 1))
		echo "ok $i $t # SKIP $1"
	done
	exit 0
}
[ -f "$ENGINE" ] || skip_all "the fio engine was not built (make fio-engine)"
command -v fio >/dev/null || skip_all "fio is not installed"
[ -n "$dir" ] || skip_all "no ext4 fixture (ACALL_TEST_EXT4)"

out=$(mktemp -d /tmp/fio-engine-test.XXXXXX) || exit 1
trap 'rm -rf "$out"' EXIT
file=$dir/fio-engine-test.dat
n=0 failed=0

result() {	# ok|fail NAME
	n=$((n + 1))
	if [ "$1" = ok ]; then
		echo "ok $n $2"
	else
		failed=$((failed + 1))
		echo "not ok $n $2"
	fi
}

# counter NAME: acall's counter NAME from the last job's output.
counter() {
	sed -n "s/.*acall: .* $1=\([0-9]*\).*/\1/p" "$out/fio.out" | tail -n 1
}

# fio_job OPTIONS...: one fio job with the acall engine on $file; its
# output in $out/fio.out, shown as TAP comments on failure. Returns 0 if
# fio succeeded and acall's counters show every request completed.
fio_job() {
	fio --name=acall --ioengine=external:"$ENGINE" --filename="$file" \
		--acall_stats=1 "$@" > "$out/fio.out" 2>&1
	status=$?
	submitted=$(counter submitted)
	completed=$(counter completed)
	grep -e '^acall: .* submitted=' -e 'issued rwts' "$out/fio.out" | sed 's/^ */# /'

	if [ $status = 0 ] && [ "${submitted:-0}" -gt 0 ] &&
	   [ "$submitted" = "$completed" ] &&
	   ! grep -q 'err= *[1-9]' "$out/fio.out"; then
		return 0
	fi
	echo "# fio exit status $status, submitted ${submitted:-?}, completed ${completed:-?}"
	sed 's/^/# /' "$out/fio.out" | tail -n 30
	return 1
}

# randwrite_verify NAME DIRECT [OPTIONS]
randwrite_verify() {
	name=$1 direct=$2
	shift 2
	rm -f "$file"
	if fio_job --rw=randwrite --bs=4k --size=8M --iodepth=16 \
		--iodepth_batch_submit=8 --direct="$direct" \
		--verify=crc32c --verify_fatal=1 --do_verify=1 "$@"; then
		result ok "$name"
	else
		result fail "$name"
	fi
}

randwrite_verify fio_acall_randwrite_verify_buffered 0
randwrite_verify fio_acall_randwrite_verify_direct 1

# Syncs are ORDERED barriers: the module counts them.
rm -f "$file"
if fio_job --rw=randwrite --bs=4k --size=4M --iodepth=16 --fdatasync=16 \
	--verify=crc32c --verify_fatal=1 --do_verify=1 &&
   [ "$(counter ordered)" -gt 0 ]; then
	result ok fio_acall_fdatasync_barriers_verify
else
	result fail fio_acall_fdatasync_barriers_verify
fi

# Trim: punch the whole file; its blocks must be gone.
rm -f "$file"
dd if=/dev/urandom of="$file" bs=64k count=64 2>/dev/null && sync
before=$(du -k "$file" | cut -f1)
if fio_job --rw=trim --bs=64k --size=4M --iodepth=16; then
	after=$(du -k "$file" | cut -f1)
	echo "# allocated before trim ${before} KiB, after ${after} KiB"
	if [ "$after" -lt "$before" ] && [ "$after" -le 64 ]; then
		result ok fio_acall_trim_punches_holes
	else
		result fail fio_acall_trim_punches_holes
	fi
else
	result fail fio_acall_trim_punches_holes
fi
rm -f "$file"

# A short write: the limit cuts the write that crosses it (in a worker,
# which takes no SIGXFSZ; the shell ignores it anyway, for fio's own
# calls). fio must count one short write, requeue the rest at the limit
# and get EFBIG for it. The limit is 2053 blocks of 512 or 1024 bytes
# (which ulimit counts varies between shells): not a multiple of 4 KiB.
rm -f "$file"
(
	trap '' XFSZ
	ulimit -f 2053 &&
	exec fio --name=acall --ioengine=external:"$ENGINE" --filename="$file" \
		--acall_stats=1 --rw=write --bs=4k --size=4M --iodepth=1 \
		--fallocate=none
) > "$out/fio.out" 2>&1
grep -e '^acall: .* submitted=' -e 'issued rwts' -e 'err=' "$out/fio.out" |
	sed 's/^ */# /'
if grep -q 'issued rwts: .* short=0,1,' "$out/fio.out" &&
   grep -q 'err=27' "$out/fio.out" &&
   [ "$(counter submitted)" = "$(counter completed)" ]; then
	result ok fio_acall_short_write_requeued
else
	sed 's/^/# /' "$out/fio.out" | tail -n 30
	result fail fio_acall_short_write_requeued
fi
rm -f "$file"

[ "$failed" = 0 ]

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build everything for one kernel and run the selftests (or COMMAND) in a VM
# booting it:
#   vmtest.sh NAME [COMMAND...]      NAME: 6.1, 6.12, 6.12-rt or debug
# The guest sees /acall/acall.ko, /acall/acall-inject.ko (the test-only
# variant), /acall/selftests, /acall/pipeline, /acall/lib and, when it
# builds, fio's acall engine /acall/fio/libacall-fio.so, and when cached,
# QEMU's tools with aio=acall in /acall/qemu. Exit status as
# vm-run.sh's; the console is also kept in build/logs/vmtest-NAME.log.
# ACALL_VM_TIMEOUT overrides the guest's time limit (seconds),
# ACALL_VM_APPEND adds kernel parameters, ACALL_VM_NUMA=1 gives the guest
# two NUMA nodes, ACALL_VM_LOG names the console log instead.
set -euo pipefail
cd "$(dirname "$0")/.."

name=${1:?kernel name: 6.1, 6.12, 6.12-rt or debug}
shift
eval "$(scripts/kernels.sh env "$name")"

make -s module KDIR="$KDIR"
make -s module KDIR="$KDIR" ACALL_INJECT=1
make -s lib selftests pipeline-tools examples bench-tools
# fio's acall engine (fio_engine_test.sh skips without it): cheap once
# scripts/fio-source.sh has fio's source in its cache.
fio_engine=()
if make -s fio-engine; then
	fio_engine=(--payload build/fio/libacall-fio.so=/acall/fio/libacall-fio.so)
else
	echo "vmtest: no fio engine for acall; fio_engine_test.sh will skip" >&2
fi

# QEMU's tools with aio=acall (qemu_io_test.sh skips without them): only
# when scripts/qemu-build.sh has them cached; never built here.
qemu_tools=()
if qemu_bin=$(scripts/qemu-build.sh --cached 2>/dev/null); then
	qemu_tools=(--payload "$qemu_bin=/acall/qemu")
fi

command=${*:-sh selftests/run_tests.sh}
mem=1G timeout=900
if [[ $name == debug ]]; then
	# KASAN's shadow and the debug checks need room and time.
	mem=2G timeout=2400
fi

mkdir -p build/logs
exec scripts/vm-run.sh --kernel "$KIMAGE" --moddir "$KMODDIR" \
	--mem "$mem" --timeout "${ACALL_VM_TIMEOUT:-$timeout}" \
	--log "${ACALL_VM_LOG:-build/logs/vmtest-$name.log}" ${ACALL_VM_APPEND:+--append "$ACALL_VM_APPEND"} \
	${ACALL_VM_NUMA:+--numa} \
	--payload "build/kmod/$KREL/acall.ko=/acall/acall.ko" \
	--payload "build/kmod/$KREL-inject/acall.ko=/acall/acall-inject.ko" \
	--payload build/selftests=/acall/selftests \
	--payload build/pipeline=/acall/pipeline \
	--payload build/lib=/acall/lib \
	--payload build/examples=/acall/examples \
	--payload build/bench=/acall/bench \
	--payload /sbin/mke2fs=/sbin/mke2fs \
	--payload /etc/mke2fs.conf=/etc/mke2fs.conf \
	--payload /sbin/mkfs.xfs=/sbin/mkfs.xfs \
	--payload /usr/bin/fio=/usr/bin/fio "${fio_engine[@]}" "${qemu_tools[@]}" \
	-- "$command"

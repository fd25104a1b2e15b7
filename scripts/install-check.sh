#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What an admin's install gives, checked as TAP:
#  1. "make install" into a staging root (DESTDIR) for the 6.12 kernel: the
#     library and its soname link, the headers, acall.pc with the PREFIX
#     given at install, the man pages, and acall.ko under updates/ with
#     depmod's modules.dep naming it;
#  2. DKMS builds the module from the sources "make install-dkms" lays out,
#     for 6.12 and 6.1, whatever ACALL_INJECT the environment has (skipped
#     when DKMS already has an acall of this version: that is someone's
#     real install, left alone).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

n=0 failed=0
out=build/install-check
log=$out/log
rm -rf "$out"
mkdir -p "$out"
. scripts/tap-count.sh

eval "$(scripts/kernels.sh env 6.12)"
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
stage=$(realpath "$out")/root

check_staged() {
	local f
	for f in usr/lib/libacall.so.1 usr/lib/libacall.so usr/lib/libacall.a \
		 usr/include/acall.h usr/include/linux/acall.h \
		 usr/lib/pkgconfig/acall.pc usr/share/man/man3/acall_submit.3 \
		 usr/share/man/man4/acall.4 usr/share/man/man7/acall.7; do
		[[ -e $stage/$f ]] || { echo "missing $f"; return 1; }
	done
	grep -qx 'prefix=/usr' "$stage/usr/lib/pkgconfig/acall.pc" ||
		{ echo "acall.pc does not say prefix=/usr"; return 1; }
	ls "$stage/lib/modules/$KREL/updates/"acall.ko* >/dev/null ||
		{ echo "no acall.ko for $KREL"; return 1; }
	grep -q '^updates/acall.ko' "$stage/lib/modules/$KREL/modules.dep" ||
		{ echo "modules.dep does not name acall.ko"; return 1; }
}
{
	make --no-print-directory install DESTDIR="$stage" PREFIX=/usr \
		KDIR="$KDIR" && check_staged
} > "$log" 2>&1
tap_result "install: make install stages the library, headers, acall.pc, man pages and acall.ko" $? "$log"

# With ACALL_INJECT=1 in the environment, as a developer's shell may have
# it: the module still builds, without the test-only injection.
dkms_build() {	# dkms_build KERNEL-NAME
	local krel kdir ko
	eval "$(scripts/kernels.sh env "$1")"
	krel=$KREL kdir=$KDIR
	ACALL_INJECT=1 dkms build -m acall -v "$version" -k "$krel" \
		--kernelsourcedir "$kdir" || return
	ko=$(ls "/var/lib/dkms/acall/$version/$krel/x86_64/module/"acall.ko*) ||
		return
	echo "$ko"
	scripts/ko-plain.sh "$ko" "$out/dkms.ko" || return
	if grep -aq acall_ioctl_inject "$out/dkms.ko"; then
		echo "$ko has the test-only injection"
		return 1
	fi
}
if ! command -v dkms >/dev/null; then
	echo "ok $((n + 1)) install: DKMS builds the module # SKIP no dkms"
	n=$((n + 1))
elif [[ -n $(dkms status -m acall -v "$version" 2>/dev/null) ]]; then
	echo "ok $((n + 1)) install: DKMS builds the module # SKIP acall $version already registered with DKMS"
	n=$((n + 1))
else
	{
		make --no-print-directory install-dkms DESTDIR="$stage" &&
		dkms add "$stage/usr/src/acall-$version" &&
		dkms_build 6.12 && dkms_build 6.1
	} > "$log" 2>&1
	status=$?
	# Leave no trace of the check in DKMS or /usr/src.
	dkms remove -m acall -v "$version" --all >> "$log" 2>&1
	rm -rf "/usr/src/acall-$version"
	tap_result "install: DKMS builds the module from install-dkms's sources (6.12, 6.1)" $status "$log"
fi

[[ $failed == 0 ]]

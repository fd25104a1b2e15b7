#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Describe the kernels acall builds for and boots. Versions move with
# Debian's security updates, so they are discovered here, never written down.
#
#   kernels.sh release NAME   kernel release of NAME (6.1, 6.12, 6.12-rt or debug)
#   kernels.sh env NAME       shell assignments KREL, KIMAGE, KMODDIR, KDIR
#   kernels.sh default-kdir   the build tree "make" uses when KDIR is unset
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)

# The stock kernels are whatever Debian's meta-packages currently point to.
meta_package() {
	case $1 in
	6.1)	echo linux-image-amd64 ;;
	6.12)	echo linux-image-6.12-amd64 ;;
	6.12-rt) echo linux-image-6.12-rt-amd64 ;;	# PREEMPT_RT
	*)	return 1 ;;
	esac
}

stock_release() {
	local meta dep
	meta=$(meta_package "$1") || { echo "kernels: unknown kernel '$1'" >&2; exit 2; }
	dep=$(dpkg-query -W -f='${Depends}' "$meta" 2>/dev/null) || {
		echo "kernels: $meta is not installed (run scripts/setup.sh)" >&2
		exit 1
	}
	# "linux-image-6.1.0-56-amd64 (= 6.1.192-2)" -> "6.1.0-56-amd64"
	dep=${dep%% *}
	echo "${dep#linux-image-}"
}

kernel_env() {
	local name=$1 krel dir

	if [[ $name == debug ]]; then
		dir=$("$here/debug-kernel.sh" | tail -n 1)
		krel=$(cat "$dir/release")
		echo "KREL=$krel"
		echo "KIMAGE=$dir/bzImage"
		echo "KMODDIR=$dir/modules/lib/modules/$krel"
		echo "KDIR=$dir/build"
		return
	fi
	krel=$(stock_release "$name")
	for f in "/boot/vmlinuz-$krel" "/lib/modules/$krel/build/Makefile"; do
		[[ -e $f ]] || { echo "kernels: $f missing (run scripts/setup.sh)" >&2; exit 1; }
	done
	echo "KREL=$krel"
	echo "KIMAGE=/boot/vmlinuz-$krel"
	echo "KMODDIR=/lib/modules/$krel"
	echo "KDIR=/lib/modules/$krel/build"
}

# The running kernel's tree if it has one, else the newest one installed.
default_kdir() {
	local running newest
	running=/lib/modules/$(uname -r)/build
	if [[ -e $running/Makefile ]]; then
		echo "$running"
		return
	fi
	newest=$(find /lib/modules -mindepth 2 -maxdepth 2 -name build 2>/dev/null |
		 sort -V | tail -n 1)
	[[ -n $newest ]] || { echo "kernels: no kernel build tree under /lib/modules" >&2; exit 1; }
	echo "$newest"
}

case ${1:-} in
release)	kernel_env "${2:?name}" | sed -n 's/^KREL=//p' ;;
env)		kernel_env "${2:?name}" ;;
default-kdir)	default_kdir ;;
*)		sed -n '3,9s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Install, from Debian's packages, everything acall's build, tests and
# benchmark use. Idempotent: installs only what is missing, so it is cheap to
# run before every build.
set -euo pipefail

packages=(
	# build
	make gcc libc6-dev pkg-config liburcu-dev kmod bc flex bison
	libelf-dev libssl-dev cpio xz-utils zstd sparse
	# the stock kernels (6.1, 6.12 and 6.12 with PREEMPT_RT) with
	# headers, and source (kselftest harness, checkpatch, the debug kernel)
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64
	linux-image-6.12-rt-amd64 linux-headers-6.12-rt-amd64
	linux-source-6.1 linux-source-6.12
	# the VM
	qemu-system-x86 busybox-static
	# what runs inside the VM
	e2fsprogs xfsprogs fio liburing-dev libaio-dev
	# the benchmark's charts
	gnuplot-nox
	# the man pages' check, and the install check's DKMS
	groff-base dkms
	# fio's source package, for fio's acall engine (scripts/fio-source.sh)
	dpkg-dev
	# the Debian packages ("make deb": dpkg-buildpackage also wants
	# build-essential) and their check on a clean root (scripts/deb-check.sh)
	build-essential debhelper dh-dkms lintian mmdebstrap
)

missing=()
for p in "${packages[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[[ $status == "install ok installed" ]] || missing+=("$p")
done

if ((${#missing[@]} == 0)); then
	exit 0
fi

if ((EUID != 0)); then
	echo "setup: missing packages: ${missing[*]}; run as root to install them" >&2
	exit 1
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends "${missing[@]}" >&2

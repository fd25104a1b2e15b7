#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# QEMU's block tools (qemu-img, qemu-io, qemu-nbd, qemu-storage-daemon)
# with aio=acall, built once from Debian's QEMU source package and acall's
# patches (qemu/) and cached:
#   qemu-build.sh            build unless cached; print the binaries' directory
#   qemu-build.sh --cached   print it if it is cached; otherwise exit 1,
#                            building and fetching nothing (the test run)
#   qemu-build.sh --iotests [--cached]
#                            what QEMU's own tests/qemu-iotests need, in a
#                            cache directory of its own: the tools, the
#                            x86_64 system emulator (the tests start it
#                            with -accel qtest), qemu-storage-daemon, the
#                            iotests and QEMU's python packages, laid out
#                            as a build tree (see "Layout" below); prints
#                            that tree
# Everything but that one line goes to stderr.
#
# The source is that of the installed qemu-system-x86 (Debian 12: 7.2),
# fetched by scripts/apt-source.sh, with the patches of qemu/patches
# applied by patch -p1. The tools link libacall from this tree's build
# (build/lib, made first), dynamically: run them with
# LD_LIBRARY_PATH=build/lib (the selftest's guest has it in /acall/lib).
# The cache directory, ${ACALL_CACHE:-/var/cache/acall}/qemu-VERSION-KEY,
# is named after the source's version and a hash of the patches,
# libacall's ABI (its headers and symbols file) and this script: any of
# them changing builds anew, and the directories of other keys are
# removed. Layout:
#   bin/            qemu-img, qemu-io, qemu-nbd,
#                   storage-daemon/qemu-storage-daemon (IOThreads)
#   version         the source package's version
#   build.log       configure's and ninja's output
#   .done           written last; a directory without it is garbage
# and with --iotests, qemu-iotests-VERSION-KEY/tree/ in place of bin/:
#   qemu-img, qemu-io, qemu-nbd, qemu-system-x86_64,
#   storage-daemon/qemu-storage-daemon   where the iotests look for them
#   tests/qemu-iotests/   the source's iotests: "cd there && ./check"
#   python/               QEMU's python packages, which they import
# The emulator looks for its firmware where Debian's does (the packages
# qemu-system-data, seabios and ipxe-qemu).
set -euo pipefail

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
top=$(cd -- "$here/.." && pwd)
self=$here/$(basename -- "${BASH_SOURCE[0]}")
cache=$(realpath -m -- "${ACALL_CACHE:-/var/cache/acall}")
readonly TOOLS=(qemu-img qemu-io qemu-nbd storage-daemon/qemu-storage-daemon)
# What the build needs beyond the essential set and acall's own build.
readonly BUILD_DEPS=(gcc make pkg-config ninja-build meson python3
		     libglib2.0-dev zlib1g-dev libaio-dev liburing-dev
		     liburcu-dev dpkg-dev patch)

log() { printf 'qemu-build: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cached_only=false iotests=false
while (($#)); do
	case $1 in
	--cached) cached_only=true ;;
	--iotests) iotests=true ;;
	*) die "usage: qemu-build.sh [--iotests] [--cached]" ;;
	esac
	shift
done
# What the flavour changes, in one place: the cache directory's name, the
# result's, the make target that builds it, the packages, configure's
# options and ninja's targets.
flavor=qemu result_name=bin make_target=qemu
flavor_deps=() flavor_config=(--disable-system) targets=("${TOOLS[@]}")
if $iotests; then
	flavor=qemu-iotests result_name=tree make_target=qemu-iotests
	flavor_deps=(libpixman-1-dev libfdt-dev)	# the system emulator's
	# Firmware where Debian's own QEMU looks for it (qemu-system-data,
	# seabios, ipxe-qemu).
	flavor_config=(--target-list=x86_64-softmmu
		       --firmwarepath=/usr/share/qemu:/usr/share/seabios:/usr/lib/ipxe/qemu)
	targets+=(qemu-system-x86_64)
fi

# The source version: that of the installed QEMU (the VM's), no epoch.
srcver=$(dpkg-query -W -f='${Status} ${source:Version}\n' qemu-system-x86 \
	 2>/dev/null | sed -n 's/^install ok installed //p')
[[ -n $srcver ]] || die "qemu-system-x86 is not installed (scripts/setup.sh installs it)"
srcver=${srcver#*:}

shopt -s nullglob
patches=("$top"/qemu/patches/*.patch)
((${#patches[@]})) || die "no patches in $top/qemu/patches"
key=$({
	echo "$srcver"
	cat -- "${patches[@]}"
	cat -- "$top/libacall/include/acall.h" "$top/uapi/linux/acall.h" \
		"$top/debian/libacall1.symbols"
	cat -- "$self"
} | sha256sum | cut -c1-12)
out=$cache/$flavor-$srcver-$key
result=$out/$result_name

if [[ -e $out/.done ]]; then
	printf '%s\n' "$result"
	exit 0
fi
if $cached_only; then
	log "no $flavor build cached for this tree ($out); make $make_target builds it"
	exit 1
fi

ensure_packages() {
	local missing=() p
	for p in "$@"; do
		[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	((EUID == 0)) || die "missing packages: ${missing[*]}; run as root to install them"
	log "installing missing packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update -q >&2 &&
		  apt-get install -y -q --no-install-recommends "${missing[@]}" >&2; } ||
		die "could not install: ${missing[*]}"
}
ensure_packages "${BUILD_DEPS[@]}" "${flavor_deps[@]}"

mkdir -p -- "$cache"
exec 9>"$cache/.qemu-build.lock"
if ! flock -n 9; then
	log "another build holds $cache/.qemu-build.lock; waiting"
	flock 9
fi
if [[ -e $out/.done ]]; then		# built by whoever held the lock
	printf '%s\n' "$result"
	exit 0
fi

# Builds of this flavour for other keys are stale by definition.
for old in "$cache/$flavor"-[0-9]*; do
	[[ -d $old && $old != "$out" ]] || continue
	log "removing stale $old"
	rm -rf -- "$old"
done

start=$SECONDS
rm -rf -- "$out"
mkdir -p -- "$out"
work=$(mktemp -d "$cache/qemu-build.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
buildlog=$out/build.log
: > "$buildlog"

# Scrubbed environment: nothing of the caller's (CC, CFLAGS, MAKEFLAGS,
# PKG_CONFIG_PATH, ...) leaks into the build.
clean_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$work" LC_ALL=C)

step() {
	local what=$1; shift
	log "[$((SECONDS - start))s] $what"
	printf '\n==== %s: %s\n' "$what" "$*" >> "$buildlog"
	if ! "$@" >> "$buildlog" 2>&1; then
		log "FAILED: $what (full log: $buildlog); last lines:"
		tail -n 40 -- "$buildlog" >&2
		exit 1
	fi
}

# in_dir DIR COMMAND...: COMMAND run in DIR.
in_dir() ( cd -- "$1" && shift && exec "$@" )

step "libacall" make -C "$top" -s lib

# libacall as pkg-config finds it: this tree's headers, and -lacall with no
# -L, the library's directory being LIBRARY_PATH for the build: a -L would
# become the binaries' RUNPATH, naming one checkout's build directory.
stage=$work/libacall
mkdir -p "$stage/include/linux" "$stage/pkgconfig"
cp -- "$top/libacall/include/acall.h" "$stage/include/"
cp -- "$top/uapi/linux/acall.h" "$stage/include/linux/"
version=$(sed -n 's/^VERSION *:= *//p' "$top/Makefile")
cat > "$stage/pkgconfig/libacall.pc" <<EOF
Name: libacall
Description: Batched asynchronous I/O through /dev/acall
Version: $version
Libs: -lacall
Cflags: -I$stage/include
EOF

log "[$((SECONDS - start))s] fetching QEMU's source package ($srcver)"
src=$("$here/apt-source.sh" qemu-system-x86 "$work" 2>> "$buildlog") ||
	{ tail -n 20 -- "$buildlog" >&2; die "could not fetch QEMU's source"; }
for p in "${patches[@]}"; do
	step "apply ${p##*/}" patch -d "$src" -p1 --forward --batch -s -i "$p"
done

# Every optional feature off but the AIO backends (the others' too, for
# comparison), and no debugging information: quicker to build, and
# smaller to copy into the test VM. Tools only, unless the iotests want
# the system emulator and the storage daemon too.
config=(--without-default-features --disable-user --enable-tools
	--disable-docs --disable-debug-info
	--enable-linux-aio --enable-linux-io-uring --enable-acall
	"${flavor_config[@]}")
mkdir -p "$work/build"
step "configure" in_dir "$work/build" \
	"${clean_env[@]}" PKG_CONFIG_PATH="$stage/pkgconfig" \
	"$src/configure" "${config[@]}"
step "build ${targets[*]}" "${clean_env[@]}" LIBRARY_PATH="$top/build/lib" \
	ninja -C "$work/build" -j"$(nproc)" "${targets[@]}"

# Each binary at its place in the build tree (the tools at its top).
for t in "${targets[@]}"; do
	mkdir -p "$result/$(dirname -- "$t")"
	cp -- "$work/build/$t" "$result/$t"
done
if $iotests; then
	# The iotests find the binaries at ../.. of their own directory, and
	# QEMU's python packages at ../../python.
	mkdir -p "$result/tests"
	cp -r -- "$src/tests/qemu-iotests" "$result/tests/"
	cp -r -- "$src/python" "$result/"
fi
# The build knows aio=acall: the tool says so.
LD_LIBRARY_PATH=$top/build/lib "$result/qemu-io" --help | grep -q 'acall' ||
	die "the qemu-io built does not know aio=acall"
echo "$srcver" > "$out/version"

sync -f "$out"
touch "$out/.done"
log "[$((SECONDS - start))s] done: $result"
printf '%s\n' "$result"

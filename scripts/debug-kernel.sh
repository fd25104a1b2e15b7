#!/usr/bin/env bash
# Build, once, a small x86_64 debug kernel (KASAN, lockdep, kmemleak, fault
# injection) from Debian's linux-source-6.12 and cache it for the VM tests.
#
# Usage: scripts/debug-kernel.sh
#   Prints the output directory as the last line of stdout; everything else
#   goes to stderr.  Cache root: ${ACALL_CACHE:-/var/cache/acall}.
#
# Output directory layout (other scripts rely on it):
#   bzImage         kernel image
#   release         `make kernelrelease`
#   src/            kernel source the build tree points at
#   build/          O= tree, usable as KDIR: make -C <dir>/build M=<mod> modules
#   modules/lib/modules/<release>/   stripped, uncompressed .ko + modules.dep
#   build.log       full build log
#   .done           written last; a directory without it is garbage
set -euo pipefail

readonly SRC_PKG=linux-source-6.12
readonly TARBALL=/usr/src/linux-source-6.12.tar.xz
# Everything the build needs beyond Debian's essential set.
readonly BUILD_DEPS=(gcc make libc6-dev bc bison flex libelf-dev libssl-dev
		     xz-utils kmod "$SRC_PKG")

here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
self=$here/$(basename -- "${BASH_SOURCE[0]}")
fragment=$here/debug-kernel.config
# Absolute, because make -C changes directory before it sees O=.
cache=$(realpath -m -- "${ACALL_CACHE:-/var/cache/acall}")

log() { printf 'debug-kernel: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

ensure_packages() {
	local missing=() p
	for p in "$@"; do
		[[ $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null) == 'install ok installed' ]] ||
			missing+=("$p")
	done
	((${#missing[@]})) || return 0
	log "installing missing packages: ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# Only refresh the package lists if they turn out to be stale/empty.
	apt-get install -y --no-install-recommends "${missing[@]}" >&2 ||
		{ apt-get update >&2 &&
		  apt-get install -y --no-install-recommends "${missing[@]}" >&2; } ||
		die "could not install: ${missing[*]}"
}

ensure_packages "${BUILD_DEPS[@]}"
[[ -r $fragment ]] || die "missing config fragment $fragment"
[[ -r $TARBALL ]] || die "$SRC_PKG is installed but $TARBALL is missing"
[[ $cache != *[[:space:]]* ]] || die "kbuild cannot cope with whitespace in '$cache'"

# The key covers everything that changes the result: the recipe (this script
# and the fragment), the source, and the compiler -- out-of-tree modules must
# be built with the same gcc as the tree, so a gcc upgrade must rebuild too.
key=$({
	dpkg-query -W -f='${Version}\n' "$SRC_PKG"
	gcc --version | sed -n 1p
	cat -- "$self" "$fragment"
} | sha256sum | cut -c1-12)
out=$cache/debug-kernel-$key

if [[ -e $out/.done ]]; then
	printf '%s\n' "$out"
	exit 0
fi

mkdir -p -- "$cache"
exec 9>"$cache/.debug-kernel.lock"
if ! flock -n 9; then
	log "another build holds $cache/.debug-kernel.lock; waiting"
	flock 9
fi
if [[ -e $out/.done ]]; then		# built by whoever held the lock
	printf '%s\n' "$out"
	exit 0
fi

# Trees for other keys are stale by definition; reclaim their disk before
# needing more.
for old in "$cache"/debug-kernel-*; do
	[[ -d $old && $old != "$out" ]] || continue
	log "removing stale $old"
	rm -rf -- "$old"
done

# Peak use is ~2.5G (1.7G source + objects); fail now, not mid-build.
avail_kb=$(df -Pk -- "$cache" | awk 'NR == 2 { print $4 }')
((avail_kb > 4 * 1024 * 1024)) ||
	die "need ~4G free under $cache, have $((avail_kb / 1024))M"

# The build happens in place rather than in a temp dir that gets renamed:
# build/Makefile and build/source hold absolute paths to src/, so the tree
# cannot be moved afterwards.  Atomicity comes from .done being written
# last; a leftover partial directory is discarded, not resumed, since a
# killed compiler can leave truncated objects that make would trust.
rm -rf -- "$out"
mkdir -p -- "$out/src" "$out/build" "$out/modules"
buildlog=$out/build.log
: >"$buildlog"
start=$SECONDS

# Scrubbed environment so nothing from the caller (CC, ARCH, KCFLAGS,
# MAKEFLAGS, a /usr/local toolchain, ...) leaks into the build.
clean_env=(env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$out" LC_ALL=C
	   KBUILD_BUILD_USER=acall KBUILD_BUILD_HOST=acall)

step() {
	local what=$1; shift
	log "[$((SECONDS - start))s] $what"
	printf '\n==== %s: %s\n' "$what" "$*" >>"$buildlog"
	if ! "${clean_env[@]}" "$@" >>"$buildlog" 2>&1; then
		log "FAILED: $what (full log: $buildlog); last lines:"
		tail -n 60 -- "$buildlog" >&2
		exit 1
	fi
}

kmake() { step "$1" make -C "$out/src" O="$out/build" "${@:2}"; }

step "extract $TARBALL" \
	tar -xf "$TARBALL" -C "$out/src" --strip-components=1 "$SRC_PKG"

kmake "defconfig" x86_64_defconfig
step "merge fragment" \
	sh -c 'cd "$1" && "$2/scripts/kconfig/merge_config.sh" -m .config "$3"' \
	sh "$out/build" "$out/src" "$fragment"
kmake "olddefconfig" olddefconfig

# merge_config.sh only warns when a request is dropped for unmet
# dependencies; treat that as fatal so the fragment stays truthful.
mismatches=()
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		sym=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		sym=${BASH_REMATCH[1]} want=n
	else
		continue
	fi
	got=$(sed -n "s/^$sym=//p" "$out/build/.config")
	[[ ${got:-n} == "$want" ]] || mismatches+=("$sym: wanted $want, got ${got:-n}")
done <"$fragment"
if ((${#mismatches[@]})); then
	log "final .config does not honour $fragment:"
	printf '  %s\n' "${mismatches[@]}" >&2
	exit 1
fi

kmake "build bzImage + modules" -j"$(nproc)" bzImage modules
kmake "modules_install" INSTALL_MOD_PATH="$out/modules" INSTALL_MOD_STRIP=1 \
	modules_install
cp -- "$out/build/arch/x86/boot/bzImage" "$out/bzImage"
"${clean_env[@]}" make -s -C "$out/src" O="$out/build" kernelrelease \
	>"$out/release" 2>>"$buildlog"
release=$(<"$out/release")
[[ -e $out/modules/lib/modules/$release/modules.dep ]] ||
	die "modules_install produced no modules.dep for $release"

# Like Debian's linux-headers: external modules need .config, generated
# headers, host tools, Module.symvers and objtool, not the kernel's own
# objects, nor the intermediate kallsyms link stages.  vmlinux stays for
# symbolizing reports.
du -sh "$out/build" >>"$buildlog"
find "$out/build" -type f \( -name '*.o' -o -name '*.a' -o -name '*.ko' \
	-o -name '.tmp_vmlinux*' \) -delete
du -sh "$out/build" >>"$buildlog"

# Not atomic against power loss, but .done must not hit disk before the rest.
sync -f "$out"
touch "$out/.done"
log "[$((SECONDS - start))s] done: $release"

printf '%s\n' "$out"

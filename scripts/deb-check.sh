#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# What an admin's install from the Debian packages gives, checked as TAP:
#  1. "make deb" builds acall-dkms, libacall1, libacall-dev and
#     libacall-posixaio, each holding what it should, with no error or
#     warning from lintian;
#  2. on a clean Debian root (the machine's own apt sources, mmdebstrap's
#     "apt" variant with a compiler, pkg-config, DKMS and the 6.12 kernel's
#     headers; cached under /var/cache/acall), "dpkg -i" of the four
#     packages has DKMS build and install acall.ko for 6.12, and a program
#     built there with "pkg-config --cflags --libs libacall" links the
#     package's libacall.so.1;
#  3. a VM booting 6.12 loads the module DKMS built there and runs that
#     program (a pwritev, then a preadv of the same bytes, read back and
#     compared) on the package's libacall.so.1, and a POSIX AIO program
#     with the package's libacall-posixaio.so preloaded, served by acall.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

n=0 failed=0
out=build/deb-check
log=$out/log
cache=${ACALL_CACHE:-/var/cache/acall}
rm -rf "$out"
mkdir -p "$out"
. scripts/tap-count.sh

eval "$(scripts/kernels.sh env 6.12)"
version=$(sed -n 's/^VERSION *:= *//p' Makefile)
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
ours=(acall-dkms libacall1 libacall-dev libacall-posixaio)
arch=$(dpkg --print-architecture)
debs=("build/deb/acall-dkms_${version}_all.deb")
for p in "${ours[@]:1}"; do
	debs+=("build/deb/${p}_${version}_$arch.deb")
done

names=("deb: make deb builds acall-dkms, libacall1, libacall-dev and libacall-posixaio, lintian-clean"
       "deb: DKMS builds acall.ko for 6.12 on a clean root; a program builds with pkg-config"
       "deb: the VM loads the package's module and runs the program on the package's libraries")
skip_rest() {	# skip_rest REASON: the checks left, skipped
	while ((n < ${#names[@]})); do
		echo "ok $((n + 1)) ${names[n]} # SKIP $1"
		n=$((n + 1))
	done
	[[ $failed == 0 ]]
	exit
}

# ---- 1. the packages --------------------------------------------------------

check_contents() {
	local deb=$1 list f
	shift
	list=$(dpkg-deb -c "$deb") || return 1
	for f; do
		grep -qE " \\./$f( |$)" <<<"$list" || { echo "$deb lacks $f"; return 1; }
	done
}
check_debs() {
	local d
	for d in "${debs[@]}"; do
		[[ -f $d ]] || { echo "missing $d"; return 1; }
	done
	check_contents "${debs[0]}" "usr/src/acall-$version/dkms.conf" \
		"usr/src/acall-$version/Kbuild" "usr/src/acall-$version/kmod/main.c" \
		"usr/src/acall-$version/uapi/linux/acall.h" "lib/udev/rules.d/60-acall.rules" &&
	check_contents "${debs[1]}" "usr/lib/$multiarch/libacall.so.1" \
		"usr/lib/$multiarch/libacall.so.$version" &&
	check_contents "${debs[2]}" usr/include/acall.h usr/include/linux/acall.h \
		"usr/lib/$multiarch/libacall.so" "usr/lib/$multiarch/libacall.a" \
		"usr/lib/$multiarch/pkgconfig/libacall.pc" "usr/lib/$multiarch/pkgconfig/acall.pc" \
		usr/share/man/man3/acall_submit.3.gz usr/share/man/man4/acall.4.gz \
		usr/share/man/man7/acall.7.gz &&
	check_contents "${debs[3]}" "usr/lib/$multiarch/acall/libacall-posixaio.so" &&
	[[ $(dpkg-deb -I "${debs[0]}" postinst) == *dkms* ]] ||
		{ echo "acall-dkms has no DKMS postinst"; return 1; }
}
{
	make --no-print-directory deb && check_debs &&
	lintian --fail-on error,warning "${debs[@]}"
} > "$log" 2>&1
tap_result "${names[0]}" $? "$log"
[[ $failed == 0 ]] || skip_rest "no packages"

# ---- 2. a clean root ---------------------------------------------------------

# What the root holds: the tools of the check, the 6.12 kernel's headers,
# and what the packages depend on (first alternatives, but our own), so
# that "dpkg -i" needs no network. The cached tarball is named by a hash of
# all of it; one for other packages is stale and removed.
packages=(gcc libc6-dev make pkg-config dkms "linux-headers-$KREL")
mapfile -t -O ${#packages[@]} packages < <(
	for d in "${debs[@]}"; do dpkg-deb -f "$d" Depends; done |
	tr ',' '\n' | sed -E 's/\|.*//; s/\(.*\)//; s/[[:space:]]//g' |
	grep -vxE "$(IFS='|'; echo "${ours[*]}")|" | sort -u)
codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
# The kernel's own modules are not needed to build one: left out, they
# would be most of the root.
mmopts=(--variant=apt --dpkgopt='path-exclude=/lib/modules/*/kernel/*'
	--dpkgopt='path-exclude=/usr/lib/modules/*/kernel/*')
key=$(printf '%s\n' "$codename" "${mmopts[@]}" "${packages[@]}" | sha256sum | cut -c1-12)
tarball=$cache/deb-root-$key.tar.zst

make_root() {
	local sources=() f
	# The machine's apt sources, as apt-get uses them.
	[[ -s /etc/apt/sources.list ]] && grep -q '^[[:space:]]*deb' /etc/apt/sources.list &&
		sources+=(/etc/apt/sources.list)
	for f in /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
		[[ -r $f ]] && sources+=("$f")
	done
	((${#sources[@]})) || { echo "no apt sources on this machine"; return 1; }
	mkdir -p "$cache"
	exec 9>"$cache/.deb-root.lock"
	flock 9
	[[ -s $tarball ]] && return 0
	rm -f "$cache"/deb-root-*.tar.zst
	echo "deb-check: building the clean root ($codename: ${packages[*]})"
	mmdebstrap "${mmopts[@]}" --include="$(IFS=,; echo "${packages[*]}")" \
		"$codename" "$tarball.tmp.tar.zst" "${sources[@]}" &&
		mv "$tarball.tmp.tar.zst" "$tarball" ||
		{ rm -f "$tarball.tmp.tar.zst"; return 1; }
}

root=$(realpath "$out")/root
# in_root COMMAND...: COMMAND in the root, with /proc, in a mount namespace
# of its own (the mount goes with it).
in_root() {
	unshare --mount --propagation private -- \
		sh -c 'mount -t proc proc "$0/proc" && exec chroot "$0" "$@"' "$root" \
		env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}

# The program: a pwritev of two buffers, then a preadv of the same bytes,
# compared; then says which libacall it ran on.
cat > "$out/deb-prog.c" <<'EOF'
#include <acall.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int complete(struct acall_ring *ring, __u64 tag, long want)
{
	struct acall_cqe *cqe;
	int ret = acall_wait_cqe(ring, &cqe, -1);

	if (ret < 0) {
		fprintf(stderr, "acall_wait_cqe: %s\n", strerror(-ret));
		return -1;
	}
	if (cqe->user_data != tag || cqe->res != want) {
		fprintf(stderr, "completion %llu: res %lld, want %llu: %ld\n",
			(unsigned long long)cqe->user_data, (long long)cqe->res,
			(unsigned long long)tag, want);
		return -1;
	}
	acall_cq_advance(ring, 1);
	return 0;
}

int main(int argc, char **argv)
{
	char a[4096], b[512], ra[4096], rb[512], line[512];
	struct iovec wiov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	struct iovec riov[2] = { { ra, sizeof(ra) }, { rb, sizeof(rb) } };
	long len = sizeof(a) + sizeof(b);
	struct acall_ring ring;
	struct acall_sqe sqe;
	FILE *maps;
	int fd, ret;

	if (argc != 2)
		return 2;
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	ret = acall_ring_init(&ring, NULL);
	if (ret < 0) {
		fprintf(stderr, "acall_ring_init: %s\n", strerror(-ret));
		return 1;
	}
	memset(a, 'a', sizeof(a));
	memset(b, 'b', sizeof(b));
	acall_prep_pwritev(&sqe, fd, wiov, 2, 4096, 0);
	acall_sqe_set_data(&sqe, 1);
	if (acall_submit(&ring, &sqe, 1) != 1 || complete(&ring, 1, len))
		return 1;
	acall_prep_preadv(&sqe, fd, riov, 2, 4096, 0);
	acall_sqe_set_data(&sqe, 2);
	if (acall_submit(&ring, &sqe, 1) != 1 || complete(&ring, 2, len))
		return 1;
	if (memcmp(a, ra, sizeof(a)) || memcmp(b, rb, sizeof(b))) {
		fprintf(stderr, "the bytes read back differ\n");
		return 1;
	}
	acall_ring_exit(&ring);
	close(fd);
	printf("pwritev, preadv: %ld bytes through /dev/acall, read back\n", len);

	maps = fopen("/proc/self/maps", "r");
	while (maps && fgets(line, sizeof(line), maps)) {
		char *path = strchr(line, '/');

		if (path && strstr(path, "/libacall.so")) {
			printf("libacall: %s", path);
			break;
		}
	}
	return 0;
}
EOF

# A POSIX AIO program: aio_write, then aio_read, compared.
cat > "$out/deb-aio.c" <<'EOF'
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int run(struct aiocb *cb, int (*op)(struct aiocb *))
{
	const struct aiocb *list[1] = { cb };

	if (op(cb))
		return -1;
	while (aio_error(cb) == EINPROGRESS)
		aio_suspend(list, 1, NULL);
	return aio_return(cb) == (ssize_t)cb->aio_nbytes ? 0 : -1;
}

int main(int argc, char **argv)
{
	char w[8192], r[8192];
	struct aiocb cb = { 0 };

	if (argc != 2)
		return 2;
	cb.aio_fildes = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (cb.aio_fildes < 0)
		return 1;
	memset(w, 'p', sizeof(w));
	cb.aio_buf = w;
	cb.aio_nbytes = sizeof(w);
	if (run(&cb, aio_write))
		return 1;
	cb.aio_buf = r;
	if (run(&cb, aio_read) || memcmp(w, r, sizeof(r)))
		return 1;
	printf("aio_write, aio_read: %zu bytes, read back\n", sizeof(r));
	return 0;
}
EOF

ko=
install_in_root() {
	local status
	make_root || return 1
	rm -rf "$root" && mkdir -p "$root" &&
		tar --zstd -xpf "$tarball" -C "$root" --numeric-owner || return 1
	mkdir -p "$root/tmp/acall" &&
		cp "${debs[@]}" "$out/deb-prog.c" "$out/deb-aio.c" "$root/tmp/acall/" || return 1
	in_root sh -c 'dpkg -i /tmp/acall/*.deb' || return 1
	status=$(in_root dkms status -m acall -v "$version" -k "$KREL")
	echo "dkms status: $status"
	[[ $status == *installed* ]] ||
		{ echo "DKMS did not install acall $version for $KREL"; return 1; }
	ko=$(ls "$root/lib/modules/$KREL/updates/dkms/"acall.ko* 2>/dev/null | head -n 1)
	[[ -n $ko ]] || { echo "no acall.ko under /lib/modules/$KREL/updates/dkms"; return 1; }
	[[ -f $root/lib/udev/rules.d/60-acall.rules ]] || { echo "no udev rule"; return 1; }
	in_root sh -c 'cd /tmp/acall &&
		echo "pkg-config --cflags --libs libacall: $(pkg-config --cflags --libs libacall)" &&
		gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o deb-prog deb-prog.c \
			$(pkg-config --cflags --libs libacall) &&
		gcc -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -o deb-aio deb-aio.c &&
		ldd deb-prog' | tee "$out/ldd" || return 1
	grep -qE "libacall.so.1 => (/usr)?/lib/$multiarch/libacall.so.1 " "$out/ldd" ||
		{ echo "deb-prog does not link the package's libacall.so.1"; return 1; }
	# busybox insmod takes a plain .ko.
	scripts/ko-plain.sh "$ko" "$out/acall.ko"
}
if ! command -v mmdebstrap >/dev/null; then
	skip_rest "no mmdebstrap"
fi
install_in_root > "$log" 2>&1
tap_result "${names[1]}" $? "$log"
[[ $failed == 0 ]] || skip_rest "the packages did not install"

# ---- 3. in the VM ---------------------------------------------------------------

# The package's libraries at their own paths in the guest, before the
# programs (whose libraries vm-run.sh would otherwise look up on the host).
lib=$root/usr/lib/$multiarch/libacall.so.1
pa=$root/usr/lib/$multiarch/acall/libacall-posixaio.so
sum=$(md5sum < "$lib" | cut -d' ' -f1)
scripts/vm-run.sh --kernel "$KIMAGE" --moddir "$KMODDIR" --timeout 300 \
	--log "$out/vm.log" \
	--payload "$lib=/usr/lib/$multiarch/libacall.so.1" \
	--payload "$pa=/usr/lib/$multiarch/acall/libacall-posixaio.so" \
	--payload "$out/acall.ko=/acall/deb/acall.ko" \
	--payload "$root/tmp/acall/deb-prog=/acall/deb/deb-prog" \
	--payload "$root/tmp/acall/deb-aio=/acall/deb/deb-aio" \
	-- "insmod /acall/deb/acall.ko || exit 1
	    ./deb/deb-prog /tmp/deb-prog.dat > /tmp/out || exit 1
	    cat /tmp/out
	    lib=\$(sed -n 's/^libacall: //p' /tmp/out)
	    [ \"\$(md5sum < \"\$lib\" | cut -d' ' -f1)\" = $sum ] ||
		{ echo \"deb-prog ran on \$lib, not the package's libacall.so.1\"; exit 1; }
	    ACALL_POSIXAIO_STATS=1 LD_PRELOAD=/usr/lib/$multiarch/acall/libacall-posixaio.so \\
		./deb/deb-aio /tmp/deb-aio.dat 2> /tmp/err || { cat /tmp/err; exit 1; }
	    cat /tmp/err
	    grep -q 'submitted [1-9]' /tmp/err ||
		{ echo 'libacall-posixaio did not serve the POSIX AIO program'; exit 1; }" \
	> "$log" 2>&1
tap_result "${names[2]}" $? "$log"

# The root is kept for a look when something failed.
[[ $failed == 0 ]] && rm -rf "$root"
[[ $failed == 0 ]]

#!/bin/busybox sh
# SPDX-License-Identifier: GPL-2.0
# /init of acall's test VM (see vm-run.sh): set up a minimal system, run the
# command from /etc/acall-command, report the kernel's own complaints, and
# power off. The host reads the "vm-init:" lines.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin HOME=/root TMPDIR=/tmp

mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm /root
mount -t devpts devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
hostname acall-vm
ln -sf /proc/self/fd /dev/fd

# Load a kernel module shipped in the initramfs, dependencies first:
#   acall-modprobe NAME [PARAM=VALUE...]
cat > /bin/acall-modprobe <<'SCRIPT'
#!/bin/sh
name=$1; shift
list=/etc/acall-modules/$name
if [ ! -e "$list" ]; then
	[ -d "/sys/module/$name" ] && exit 0	# built in
	echo "acall-modprobe: no module $name" >&2; exit 1
fi
while read -r m; do
	[ -d "/sys/module/$m" ] && continue
	if [ "$m" = "$name" ]; then
		insmod "/lib/modules/acall/$m.ko" "$@" || exit 1
	else
		insmod "/lib/modules/acall/$m.ko" || exit 1
	fi
done < "$list"
SCRIPT
chmod 755 /bin/acall-modprobe
# configfs is a module in Debian's kernels: null_blk's devices with bad
# blocks are made there.
acall-modprobe configfs 2>/dev/null &&
	mount -t configfs configfs /sys/kernel/config

# Taint bits a test may add: O (out-of-tree module) and E (unsigned module),
# what loading any module built outside the distribution does.
allowed_taint=$((4096 | 8192))
taint_before=$(cat /proc/sys/kernel/tainted)

echo "vm-init: kernel $(uname -r), $(nproc) CPUs"
cd /acall
sh -c "$(cat /etc/acall-command)"
status=$?

# The kernel's own complaints, whatever the command said.
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak
	echo scan > /sys/kernel/debug/kmemleak
	sed 's/^/vm-init: kernel: kmemleak: /' /sys/kernel/debug/kmemleak
fi
dmesg | grep -E 'WARNING:|BUG:|Oops|kernel BUG at|general protection fault|UBSAN:|INFO: task .* blocked|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage' |
	sed 's/^/vm-init: kernel: /'
taint_after=$(cat /proc/sys/kernel/tainted)
# X (auxiliary): the kernel's own mark for a program's fanotify permission
# watch (fsnotify_test), and only when it says that is why.
if dmesg | grep -q 'Using fanotify permission checks may lead to deadlock; tainting kernel'; then
	allowed_taint=$((allowed_taint | 65536))
fi
new_taint=$(( (taint_after & ~taint_before) & ~allowed_taint ))
if [ "$new_taint" != 0 ]; then
	echo "vm-init: kernel: new taint $new_taint (was $taint_before, now $taint_after)"
fi

echo "vm-init: exit status $status"
sync
poweroff -f

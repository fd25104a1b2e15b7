#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print "kvm" if KERNEL boots to userspace under KVM within a short time,
# else "tcg". /dev/kvm can exist and still hang every guest.
#   kvm-probe.sh KERNEL
set -euo pipefail
kernel=${1:?kernel image}
work=$(mktemp -d /tmp/acall-kvm-probe.XXXXXX)
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/root/bin"
cp /bin/busybox "$work/root/bin/"
printf '#!/bin/busybox sh\necho ACALL-KVM-OK\n/bin/busybox poweroff -f\n' > "$work/root/init"
chmod 755 "$work/root/init"
(cd "$work/root" && find . | cpio -o -H newc --quiet) > "$work/probe.cpio"

if timeout -k 5 30 qemu-system-x86_64 -accel kvm -cpu host -m 256M -nographic \
	-no-reboot -nic none -monitor none -serial stdio -kernel "$kernel" \
	-initrd "$work/probe.cpio" -append "console=ttyS0 quiet panic=-1" \
	</dev/null 2>/dev/null | grep -q ACALL-KVM-OK; then
	echo kvm
else
	echo tcg
fi

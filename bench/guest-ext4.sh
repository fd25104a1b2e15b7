# SPDX-License-Identifier: GPL-2.0
# Sourced in the VM by the benchmark's scripts: the device and filesystem
# they all measure on.
#   guest_ext4 NR_DEVICES DEVICE_NS
# makes NR_DEVICES memory-backed null_blk devices whose every request
# completes after DEVICE_NS ns (an SSD stand-in; irqmode=2, a timer), puts
# ext4 on the first and mounts it on /mnt/ext4. On failure it says why and
# returns non-zero.
guest_ext4() {
	acall-modprobe null_blk nr_devices="$1" memory_backed=1 gb=1 bs=4096 \
		irqmode=2 completion_nsec="$2" ||
		{ echo "guest-ext4: no null_blk"; return 1; }
	acall-modprobe ext4 || { echo "guest-ext4: no ext4"; return 1; }
	/sbin/mke2fs -q -F -t ext4 -b 4096 \
		-E lazy_itable_init=1,lazy_journal_init=1,nodiscard \
		/dev/nullb0 >/dev/null ||
		{ echo "guest-ext4: mke2fs failed"; return 1; }
	mkdir -p /mnt/ext4
	mount -t ext4 -o noinit_itable /dev/nullb0 /mnt/ext4 ||
		{ echo "guest-ext4: cannot mount ext4"; return 1; }
}

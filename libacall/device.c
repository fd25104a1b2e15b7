// SPDX-License-Identifier: LGPL-2.1-or-later
/* Opening /dev/acall and asking it what it supports. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "acall.h"
#include "internal.h"

dev_t acall_fd_device(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISCHR(st.st_mode) ? st.st_rdev : 0;
}

bool acall_fd_is_device(int fd, dev_t rdev)
{
	struct stat st;

	/* Only a closed fd or another file says no: fstat() may be denied. */
	if (fstat(fd, &st))
		return errno != EBADF;
	return !rdev || (S_ISCHR(st.st_mode) && st.st_rdev == rdev);
}

ACALL_API int acall_open_device(void)
{
	int fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

ACALL_API int acall_probe(int fd, struct acall_probe *probe)
{
	int own = -1, ret = 0;

	if (fd < 0) {
		own = acall_open_device();
		if (own < 0)
			return own;
		fd = own;
	}
	memset(probe, 0, sizeof(*probe));
	if (ioctl(fd, ACALL_IOC_PROBE, probe) < 0)
		ret = -errno;
	if (own >= 0)
		close(own);
	return ret;
}

/* ACALL_FS_* and the superblock magic fstatfs() reports for each. */
static const struct {
	uint32_t fs_type;
	uint32_t magic;
} acall_fs_magic[] = {
	{ ACALL_FS_EXT4,	EXT4_SUPER_MAGIC },	/* also ext2, ext3 */
	{ ACALL_FS_XFS,		XFS_SUPER_MAGIC },
	{ ACALL_FS_BTRFS,	BTRFS_SUPER_MAGIC },
	{ ACALL_FS_F2FS,	F2FS_SUPER_MAGIC },
	{ ACALL_FS_TMPFS,	TMPFS_MAGIC },		/* also memfd */
};

ACALL_API int acall_fd_supported(const struct acall_probe *probe, int fd)
{
	uint32_t known = 0;
	struct statfs sfs;
	struct stat st;
	int flags;

	if (fstat(fd, &st))
		return -errno;
	/* The module resolves the fd as read() would: O_PATH is no file. */
	flags = fcntl(fd, F_GETFL);
	if (flags < 0)
		return -errno;
	if (flags & O_PATH)
		return 0;
	if (S_ISBLK(st.st_mode))
		return !!(probe->fd_types & ACALL_FD_BLOCK);
	if (!S_ISREG(st.st_mode) || !(probe->fd_types & ACALL_FD_REGULAR))
		return 0;
	if (!probe->fs_types)
		return 1;
	if (fstatfs(fd, &sfs))
		return -errno;
	for (size_t i = 0; i < sizeof(acall_fs_magic) / sizeof(acall_fs_magic[0]);
	     i++) {
		/* f_type is a signed int on some ABIs: compare 32 bits. */
		if ((uint32_t)sfs.f_type == acall_fs_magic[i].magic)
			return !!(probe->fs_types & acall_fs_magic[i].fs_type);
		known |= acall_fs_magic[i].fs_type;
	}
	/* A later module's filesystem this library cannot name: its requests tell. */
	return !!(probe->fs_types & ~known);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Which files a request may name: an allow-list, not a deny-list. Workers
 * act on the submitter's behalf, so only files whose reads and writes are
 * known to look at nothing of the calling task but its credentials may
 * reach them: block devices, and regular files of the local filesystems
 * below. Everything else (pseudo-filesystems, FUSE, whose server sees the
 * caller's pid, network filesystems, ttys, sockets, character devices, ...)
 * is refused, and ACALL_IOC_PROBE says which filesystems are served.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>

#include "internal.h"

static const struct {
	unsigned long magic;
	u32 fs_type;			/* ACALL_FS_* */
} acall_fs_allowed[] = {
	{ EXT4_SUPER_MAGIC,	ACALL_FS_EXT4 },	/* also ext2, ext3 */
	{ XFS_SUPER_MAGIC,	ACALL_FS_XFS },
	{ BTRFS_SUPER_MAGIC,	ACALL_FS_BTRFS },
	{ F2FS_SUPER_MAGIC,	ACALL_FS_F2FS },
	{ TMPFS_MAGIC,		ACALL_FS_TMPFS },	/* also memfd */
};

static bool acall_fs_served(const struct super_block *sb)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(acall_fs_allowed); i++)
		if (sb->s_magic == acall_fs_allowed[i].magic)
			return true;
	return false;
}

/* The filesystems served, as ACALL_FS_* bits for the probe. */
u32 acall_fs_types(void)
{
	unsigned int i;
	u32 types = 0;

	for (i = 0; i < ARRAY_SIZE(acall_fs_allowed); i++)
		types |= acall_fs_allowed[i].fs_type;
	return types;
}

/* Resolve fd now; the request holds the file until it completes. */
struct file *acall_file_get(int fd)
{
	struct file *file = fget(fd);
	struct inode *inode;

	if (!file)
		return ERR_PTR(-EBADF);
	inode = file_inode(file);
	if (S_ISBLK(inode->i_mode) ||
	    (S_ISREG(inode->i_mode) && acall_fs_served(inode->i_sb)))
		return file;
	fput(file);
	return ERR_PTR(-EOPNOTSUPP);
}

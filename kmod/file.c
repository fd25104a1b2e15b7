// SPDX-License-Identifier: GPL-2.0
/*
 * Which files a request may name: regular files of real filesystems and
 * block devices. Workers act on the submitter's behalf, so nothing whose
 * read or write looks at the calling task (pseudo-filesystems, ttys,
 * sockets, character devices, ...) may reach them.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/magic.h>

#include "internal.h"

/* Not in <linux/magic.h>. */
#define ACALL_CONFIGFS_MAGIC	0x62656570
#define ACALL_FUSECTL_MAGIC	0x65735543

static const unsigned long acall_pseudo_fs_magic[] = {
	PROC_SUPER_MAGIC, SYSFS_MAGIC, DEBUGFS_MAGIC, TRACEFS_MAGIC,
	SECURITYFS_MAGIC, CGROUP_SUPER_MAGIC, CGROUP2_SUPER_MAGIC,
	BPF_FS_MAGIC, SELINUX_MAGIC, SMACK_MAGIC, PSTOREFS_MAGIC,
	EFIVARFS_MAGIC, ANON_INODE_FS_MAGIC, NSFS_MAGIC, PIPEFS_MAGIC,
	SOCKFS_MAGIC, DEVPTS_SUPER_MAGIC, BINFMTFS_MAGIC, ACALL_CONFIGFS_MAGIC,
	ACALL_FUSECTL_MAGIC, AUTOFS_SUPER_MAGIC,
};

static bool acall_pseudo_fs(const struct super_block *sb)
{
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(acall_pseudo_fs_magic); i++)
		if (sb->s_magic == acall_pseudo_fs_magic[i])
			return true;
	return false;
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
	    (S_ISREG(inode->i_mode) && !acall_pseudo_fs(inode->i_sb)))
		return file;
	fput(file);
	return ERR_PTR(-EOPNOTSUPP);
}

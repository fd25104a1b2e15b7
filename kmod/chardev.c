// SPDX-License-Identifier: GPL-2.0
/* File operations of /dev/acall: one open file is one context. */
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/acall.h>

#include "internal.h"
#ifdef ACALL_INJECT
#include "inject.h"
#endif

static int acall_open(struct inode *inode, struct file *file)
{
	return nonseekable_open(inode, file);
}

static int acall_release(struct inode *inode, struct file *file)
{
	return 0;
}

static long acall_unlocked_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case ACALL_IOC_PROBE:
		return acall_ioctl_probe(uarg);
#ifdef ACALL_INJECT
	case ACALL_IOC_INJECT:
		return acall_ioctl_inject(arg);
#endif
	default:
		return -ENOTTY;
	}
}

const struct file_operations acall_fops = {
	.owner		= THIS_MODULE,
	.open		= acall_open,
	.release	= acall_release,
	.unlocked_ioctl	= acall_unlocked_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

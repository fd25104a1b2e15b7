// SPDX-License-Identifier: GPL-2.0
/* File operations of /dev/acall: one open file is one context. */
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/sched.h>

#include "internal.h"
#ifdef ACALL_INJECT
#include "inject.h"
#endif

static int acall_fop_open(struct inode *inode, struct file *file)
{
	struct acall_ctx *ctx;
	int ret;

	/*
	 * A context belongs to a process's memory: a kernel thread has none
	 * of its own, even one that borrowed a process's.
	 */
	if (!current->mm || (current->flags & PF_KTHREAD))
		return -EPERM;
	ret = nonseekable_open(inode, file);
	if (ret)
		return ret;
	ctx = acall_ctx_alloc();
	if (IS_ERR(ctx))
		return PTR_ERR(ctx);
	file->private_data = ctx;
	return 0;
}

static int acall_fop_release(struct inode *inode, struct file *file)
{
	acall_ctx_close(file->private_data);
	return 0;
}

static int acall_fop_flush(struct file *file, fl_owner_t id)
{
	acall_owner_flush(file->private_data);
	return 0;
}

static int acall_fop_mmap(struct file *file, struct vm_area_struct *vma)
{
	return acall_ring_mmap(file->private_data, vma);
}

static long acall_unlocked_ioctl(struct file *file, unsigned int cmd,
				 unsigned long arg)
{
	struct acall_ctx *ctx = file->private_data;
	void __user *uarg = (void __user *)arg;
	long ret;

	switch (cmd) {
	case ACALL_IOC_PROBE:
		return acall_ioctl_probe(uarg);
	case ACALL_IOC_SETUP:
		return acall_ctx_setup(ctx, file, uarg);
#ifdef ACALL_INJECT
	case ACALL_IOC_INJECT:
		return acall_ioctl_inject(arg);
#endif
	}

	ret = acall_ctx_check(ctx);
	if (ret) {
		/* Unknown numbers are ENOTTY whatever the context's state. */
		switch (cmd) {
		case ACALL_IOC_SUBMIT:
		case ACALL_IOC_WAIT:
		case ACALL_IOC_EVENTFD:
		case ACALL_IOC_CANCEL:
		case ACALL_IOC_STATS:
		case ACALL_IOC_PUNTS:
		case ACALL_IOC_AFFINITY:
		case ACALL_IOC_SHUTDOWN:
		case ACALL_IOC_SERVE:
		case ACALL_IOC_SPAWN:
			return ret;
		default:
			return -ENOTTY;
		}
	}

	switch (cmd) {
	case ACALL_IOC_SUBMIT:
		return acall_ioctl_submit(ctx, uarg);
	case ACALL_IOC_WAIT:
		return acall_ioctl_wait(ctx, uarg);
	case ACALL_IOC_EVENTFD:
		return acall_ioctl_eventfd(ctx, uarg);
	case ACALL_IOC_CANCEL:
		return acall_ioctl_cancel(ctx, uarg);
	case ACALL_IOC_STATS:
		return acall_ioctl_stats(ctx, uarg);
	case ACALL_IOC_PUNTS:
		return acall_ioctl_punts(ctx, uarg);
	case ACALL_IOC_AFFINITY:
		return acall_ioctl_affinity(ctx, uarg);
	case ACALL_IOC_SHUTDOWN:
		return acall_ioctl_shutdown(ctx, arg);
	case ACALL_IOC_SERVE:
		return acall_ioctl_serve(ctx, arg);
	case ACALL_IOC_SPAWN:
		return acall_ioctl_spawn(ctx, uarg);
	default:
		return -ENOTTY;
	}
}

const struct file_operations acall_fops = {
	.owner		= THIS_MODULE,
	.open		= acall_fop_open,
	.flush		= acall_fop_flush,
	.release	= acall_fop_release,
	.mmap		= acall_fop_mmap,
	.unlocked_ioctl	= acall_unlocked_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
};

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels acall builds against (6.1 to 6.12).
 * Everything that needs a LINUX_VERSION_CODE test lives here, nowhere else.
 */
#ifndef ACALL_COMPAT_H
#define ACALL_COMPAT_H

#include <linux/blkdev.h>
#include <linux/eventfd.h>
#include <linux/fs.h>
#include <linux/fsnotify.h>
#include <linux/mm.h>
#include <linux/resume_user_mode.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/version.h>

/* 6.8 dropped the count argument: every signal now adds one. */
static inline void acall_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

/*
 * A lone iovec as an ITER_UBUF iterator over its buffer, what
 * import_iovec() has made of one since 6.4 (import_ubuf()). Before, it
 * checked the length against the address space before it clamped it to
 * MAX_RW_COUNT, and a module's shortcut would answer some lengths
 * otherwise than preadv(): there, import_iovec() keeps doing it.
 *
 * acall_import_ubuf() itself, for READ and WRITE's one buffer, clamps
 * first on every kernel, as import_ubuf() and IORING_OP_READ do: before
 * 6.4 it is import_ubuf()'s three steps, written out.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 4, 0)
#define ACALL_LONE_IOVEC_UBUF	1
static inline int acall_import_ubuf(int type, void __user *buf, size_t len,
				    struct iov_iter *i)
{
	return import_ubuf(type, buf, len, i);
}
#else
#define ACALL_LONE_IOVEC_UBUF	0
static inline int acall_import_ubuf(int type, void __user *buf, size_t len,
				    struct iov_iter *i)
{
	len = min_t(size_t, len, MAX_RW_COUNT);
	if (!access_ok(buf, len))
		return -EFAULT;
	iov_iter_ubuf(i, type, buf, len);
	return 0;
}
#endif

/* 6.3 made vm_flags read-only outside the helpers. */
static inline void acall_vm_flags_set(struct vm_area_struct *vma,
				      unsigned long flags)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	vm_flags_set(vma, flags);
#else
	vma->vm_flags |= flags;
#endif
}

/* 6.11 told kiocb_set_rw_flags() whether the kiocb reads or writes. */
static inline int acall_kiocb_set_rw_flags(struct kiocb *kiocb, rwf_t flags,
					   int rw)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return kiocb_set_rw_flags(kiocb, flags, rw);
#else
	return kiocb_set_rw_flags(kiocb, flags);
#endif
}

/* 6.11 moved "buffered writes can be tried without blocking" to f_op. */
static inline bool acall_file_nowait_buffered_write(struct file *file)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return file->f_op->fop_flags & FOP_BUFFER_WASYNC;
#else
	return file->f_mode & FMODE_BUF_WASYNC;
#endif
}

/* 6.11 moved "buffered reads can wait for a page by callback" to f_op. */
static inline bool acall_file_async_buffered_read(struct file *file)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	return file->f_op->fop_flags & FOP_BUFFER_RASYNC;
#else
	return file->f_mode & FMODE_BUF_RASYNC;
#endif
}

/* Whether any inode, mount or the filesystem of sb is watched (6.10: sb_info). */
static inline bool acall_fsnotify_sb_watched(struct super_block *sb)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 10, 0)
	return fsnotify_sb_has_watchers(sb);
#else
	return atomic_long_read(&sb->s_fsnotify_connectors);
#endif
}

/* Take a signal off current's queues, siglock held (6.12: no task argument). */
static inline int acall_dequeue_signal(sigset_t *mask, kernel_siginfo_t *info)
{
	enum pid_type type;

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	return dequeue_signal(mask, info, &type);
#else
	return dequeue_signal(current, mask, info, &type);
#endif
}

/*
 * Whether the io controller (io.latency, io.cost, a throttled swap-in)
 * asked current to wait on its way back to userspace, as
 * blkcg_schedule_throttle() does: 6.3 names the disk by its gendisk, 6.1
 * and 6.2 by its queue.
 */
static inline bool acall_blkcg_throttle_pending(void)
{
#if !IS_ENABLED(CONFIG_BLK_CGROUP)
	return false;
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	return current->throttle_disk;
#else
	return current->throttle_queue;
#endif
}

#ifdef ACALL_INJECT
/* What blkcg_schedule_throttle() does for disk, no delay asked: tests only. */
static inline void acall_blkcg_throttle_set(struct gendisk *disk)
{
#if !IS_ENABLED(CONFIG_BLK_CGROUP)
	return;
#elif LINUX_VERSION_CODE >= KERNEL_VERSION(6, 3, 0)
	if (current->throttle_disk != disk) {
		get_device(disk_to_dev(disk));
		if (current->throttle_disk)
			put_disk(current->throttle_disk);
		current->throttle_disk = disk;
	}
	set_notify_resume(current);
#else
	if (current->throttle_queue != disk->queue) {
		if (!blk_get_queue(disk->queue))
			return;
		if (current->throttle_queue)
			blk_put_queue(current->throttle_queue);
		current->throttle_queue = disk->queue;
	}
	set_notify_resume(current);
#endif
}
#endif

#endif /* ACALL_COMPAT_H */

// SPDX-License-Identifier: GPL-2.0
/* Deliberate kernel bugs for testing the test pipeline; see inject.h. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/capability.h>
#include <linux/completion.h>
#include <linux/delay.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "compat.h"
#include "internal.h"
#include "inject.h"

static noinline int acall_inject_uaf(void)
{
	int *obj = kmalloc(sizeof(*obj), GFP_KERNEL);
	int val;

	if (!obj)
		return -ENOMEM;
	*obj = 42;
	kfree(obj);
	val = READ_ONCE(*obj);	/* the bug: KASAN must report it */
	pr_info("read %d from a freed object\n", val);
	return 0;
}

static atomic_t acall_inject_slow_completion;

/* At the very end of an async kiocb completion (rw.c). */
void acall_inject_completion_tail(void)
{
	if (!atomic_xchg(&acall_inject_slow_completion, 0))
		return;
	mdelay(ACALL_INJECT_SLOW_COMPLETION_MS);
	pr_info("slow completion over\n");
}

static atomic_t acall_inject_late_wake;

/* Between choosing an idle worker and waking it (pool.c). */
void acall_inject_before_wake(struct task_struct *task)
{
	if (!atomic_xchg(&acall_inject_late_wake, 0))
		return;
	send_sig(SIGUSR1, task, 1);
	/* Some callers hold a spinlock or an RCU read lock: then busy. */
	if (preemptible() && !rcu_preempt_depth())
		msleep(ACALL_INJECT_LATE_WAKE_MS);
	else
		mdelay(ACALL_INJECT_LATE_WAKE_MS);
	pr_info("late wake-up\n");
}

static atomic_t acall_inject_slow_post;

/* Between the two tails a post stores (ring.c), under cq_lock. */
void acall_inject_between_tails(void)
{
	if (!atomic_xchg(&acall_inject_slow_post, 0))
		return;
	/* No message here: a console write would stretch the stall. */
	mdelay(ACALL_INJECT_SLOW_POST_MS);
}

static atomic_t acall_inject_cancel_armed;
static DECLARE_COMPLETION(acall_inject_cancel_resume);

/* Where CANCEL's walk has let go of a list's lock (cancel.c). */
void acall_inject_cancel_pause(void)
{
	long timeout = msecs_to_jiffies(ACALL_INJECT_CANCEL_PAUSE_MS);

	if (!atomic_xchg(&acall_inject_cancel_armed, 0))
		return;
	pr_info("cancel walk paused\n");
	/* Interruptible: the test sees the thread asleep (S) here. */
	wait_for_completion_interruptible_timeout(&acall_inject_cancel_resume,
						  timeout);
	pr_info("cancel walk goes on\n");
}

static atomic_t acall_inject_throttle;

/* A worker about to run req (pool.c). */
void acall_inject_worker_throttle(struct acall_req *req)
{
	struct super_block *sb;

	if (!atomic_read(&acall_inject_throttle) || !req->file ||
	    (current->flags & PF_KTHREAD))
		return;
	sb = file_inode(req->file)->i_sb;
	if (!sb->s_bdev || !atomic_xchg(&acall_inject_throttle, 0))
		return;
	pr_info("the io controller asks a worker to wait\n");
	acall_blkcg_throttle_set(sb->s_bdev->bd_disk);
}

long acall_ioctl_inject(unsigned long arg)
{
	/* Test builds only, and even there not for any holder of the device. */
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	switch (arg) {
	case ACALL_INJECT_WARN:
		pr_info("injecting a WARN on request\n");
		WARN_ON_ONCE(1);
		return 0;
	case ACALL_INJECT_UAF:
		pr_info("injecting a use-after-free on request\n");
		return acall_inject_uaf();
	case ACALL_INJECT_SLOW_COMPLETION:
		pr_info("the next completion will be slow\n");
		atomic_set(&acall_inject_slow_completion, 1);
		return 0;
	case ACALL_INJECT_LATE_WAKE:
		pr_info("the next wake-up of a worker will be late\n");
		atomic_set(&acall_inject_late_wake, 1);
		return 0;
	case ACALL_INJECT_SLOW_POST:
		pr_info("the next post will stall between its tails\n");
		atomic_set(&acall_inject_slow_post, 1);
		return 0;
	case ACALL_INJECT_CANCEL_PAUSE:
		pr_info("the next cancel walk will pause\n");
		reinit_completion(&acall_inject_cancel_resume);
		atomic_set(&acall_inject_cancel_armed, 1);
		return 0;
	case ACALL_INJECT_CANCEL_RESUME:
		complete(&acall_inject_cancel_resume);
		return 0;
	case ACALL_INJECT_WORKER_THROTTLE:
		pr_info("the next worker on a disk will be asked to wait\n");
		atomic_set(&acall_inject_throttle, 1);
		return 0;
	default:
		return -EINVAL;
	}
}

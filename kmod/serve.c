// SPDX-License-Identifier: GPL-2.0
/*
 * Workers made of the owner's own threads (ACALL_SETUP_PROCESS_WORKERS).
 *
 * A module cannot create a thread in another process: create_io_thread(),
 * which io_uring's io-wq uses since Linux 5.12, is not exported. So the
 * process donates them. One of its threads sleeps in ACALL_IOC_SPAWN until
 * a pool wants another worker and no thread is idle; it creates that many,
 * and each calls ACALL_IOC_SERVE, which runs the pool's requests until the
 * thread has been idle for worker_idle_ms or the context shuts down.
 *
 * Being the process's threads, the workers are in its cgroups (cpu, pids,
 * memory, io, cpuset), under its rlimits and nice level, named in audit
 * records and seen by FUSE as the process, and they die with it, on exit,
 * exec or SIGKILL. On joining, a worker takes the context's io_context (if
 * SETUP could make one), just as a thread created with CLONE_IO by the
 * thread that set the context up would share it. Each request still runs
 * with its submitter's credentials, which a thread of the same process may
 * have changed.
 */
#include <linux/iocontext.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "internal.h"

/* A thread of the owner's process, in its memory? */
static bool acall_serve_is_owner_thread(struct acall_ctx *ctx)
{
	return !(current->flags & (PF_KTHREAD | PF_EXITING)) &&
	       task_tgid(current) == ctx->owner && current->mm == ctx->mm;
}

/*
 * Use the context's io_context, as CLONE_IO would have made the thread
 * share it. An io_context of the thread's own (a thread created without
 * CLONE_IO gets a copy when its creator's has a priority set) is dropped,
 * as its exit would drop it, if nothing else uses it and no scheduler has
 * state in it; otherwise the thread keeps its own, as it does when every
 * task that used the context's has exited (a dead io_context is not
 * revived): it serves all the same, as a kernel thread would.
 */
void acall_serve_take_io_context(struct acall_ctx *ctx)
{
	struct io_context *own, *ioc = ctx->ioc;

	/* None to share (SETUP could not make one): the thread keeps its own. */
	if (!ioc)
		return;
	task_lock(current);
	own = current->io_context;
	if (own == ioc || (own && atomic_read(&own->active_ref) != 1)) {
		task_unlock(current);
		return;
	}
#ifdef CONFIG_BLK_ICQ
	if (own && !hlist_empty(&own->icq_list)) {
		task_unlock(current);
		return;
	}
#endif
	if (!atomic_inc_not_zero(&ioc->active_ref)) {
		task_unlock(current);
		return;
	}
	current->io_context = ioc;
	task_unlock(current);
	if (own && atomic_dec_and_test(&own->active_ref))
		put_io_context(own);
}

/*
 * Who calls before what it asks, as for every other ioctl: a process that
 * is not the owner's thread group gets EPERM whatever the context's mode.
 */
static int acall_serve_check(struct acall_ctx *ctx)
{
	if (!acall_serve_is_owner_thread(ctx))
		return -EPERM;
	if (!ctx->process_workers)
		return -EINVAL;
	return 0;
}

long acall_ioctl_serve(struct acall_ctx *ctx, unsigned long arg)
{
	struct acall_pool *pool;
	bool charged;
	int ret;

	ret = acall_serve_check(ctx);
	if (ret)
		return ret;
	if (arg)
		return -EINVAL;
	if (READ_ONCE(ctx->dying) || acall_owner_is_gone(ctx))
		return 0;
	pool = acall_pool_join(ctx, &charged);
	if (!pool)
		return 0;
	return acall_worker_serve(pool, charged);
}

/* A pool wants one more thread: any context (pool_queue runs in irqs). */
void acall_spawn_ask(struct acall_ctx *ctx)
{
	atomic_inc(&ctx->spawn_asked);
	wake_up(&ctx->spawn_wait);
}

/*
 * nr threads that were asked for will not come: undo what many pools
 * counted on. Bounded by what they still wait for, whatever nr says.
 */
static void acall_spawn_failed(struct acall_ctx *ctx, u32 nr)
{
	struct acall_pool *pool;
	unsigned int i = 0;

	while (nr && (pool = acall_pool_next(ctx, &i))) {
		if (!acall_pool_take_slot(pool))
			continue;
		acall_pool_join_failed(pool, -EAGAIN);
		nr--;
		i--;	/* this pool may want more than one */
	}
}

long acall_ioctl_spawn(struct acall_ctx *ctx, struct acall_spawn __user *arg)
{
	struct acall_spawn s;
	int ret, nr;

	ret = acall_serve_check(ctx);
	if (ret)
		return ret;
	if (copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	if (s.resv)
		return -EINVAL;
	acall_spawn_failed(ctx, s.failed);

	for (;;) {
		if (wait_event_interruptible(ctx->spawn_wait,
					     atomic_read(&ctx->spawn_asked) ||
					     READ_ONCE(ctx->dying) ||
					     acall_owner_is_gone(ctx)))
			return -EINTR;
		if (READ_ONCE(ctx->dying) || acall_owner_is_gone(ctx))
			return 0;
		/* Another thread calling SPAWN may have taken them. */
		nr = atomic_xchg(&ctx->spawn_asked, 0);
		if (nr > ACALL_SPAWN_MAX) {
			atomic_add(nr - ACALL_SPAWN_MAX, &ctx->spawn_asked);
			nr = ACALL_SPAWN_MAX;
		}
		if (nr)
			return nr;
	}
}

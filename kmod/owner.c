// SPDX-License-Identifier: GPL-2.0
/*
 * The owner's end, seen from the process itself rather than guessed from
 * its fds or from counters: what it queued must not run on for nobody.
 *
 * Exit: the context waits on the owner's struct pid, on the queue a pidfd
 * polls (wait_pidfd), which the kernel wakes as the thread group ends. A
 * thread that exits alone, even one with a private fd table, is not the
 * owner's end. Exec: the owner's exec closes the context's fd when it is
 * close-on-exec (libacall opens it so); without close-on-exec the context
 * lives on in the new image, which may not use it, and the teardown of the
 * old memory, where the ring was mapped, is the owner's end.
 *
 * Once the owner is gone nothing of the context starts any more, and what
 * workers run is interrupted.
 */
#include <linux/pid.h>
#include <linux/sched/signal.h>
#include <linux/wait.h>

#include "internal.h"

static bool acall_owner_group_exited(struct pid *pid)
{
	struct task_struct *leader;
	bool exited;

	rcu_read_lock();
	leader = pid_task(pid, PIDTYPE_PID);
	exited = !leader || (READ_ONCE(leader->exit_state) &&
			     thread_group_empty(leader));
	rcu_read_unlock();
	return exited;
}

static void acall_owner_gone_work(struct work_struct *work)
{
	struct acall_ctx *ctx = container_of(work, struct acall_ctx, owner_work);

	mutex_lock(&ctx->setup_lock);
	if (ctx->ready) {
		acall_pools_interrupt(ctx);
		/*
		 * Threads of the process died with it: nobody takes what
		 * waits in the pools (kernel threads cancel it as they do).
		 */
		if (ctx->process_workers)
			acall_pools_shutdown(ctx);
	}
	mutex_unlock(&ctx->setup_lock);
	acall_ctx_put(ctx);
}

/* Any context: the wake-up below runs with the wait queue's lock held. */
static void acall_owner_set_gone(struct acall_ctx *ctx)
{
	if (atomic_xchg(&ctx->owner_gone, 1))
		return;
	/* A context already on its way to being freed needs nothing. */
	if (!kref_get_unless_zero(&ctx->ref))
		return;
	if (!queue_work(acall_wq, &ctx->owner_work))
		acall_ctx_put(ctx);
}

static int acall_owner_wake(struct wait_queue_entry *wait, unsigned int mode,
			    int sync, void *key)
{
	struct acall_ctx *ctx = container_of(wait, struct acall_ctx, owner_wait);

	/* Woken for other exits of the pid too (a traced leader's, ...). */
	if (acall_owner_group_exited(ctx->owner))
		acall_owner_set_gone(ctx);
	return 0;
}

/* At open, by the owner. */
void acall_owner_watch(struct acall_ctx *ctx)
{
	INIT_WORK(&ctx->owner_work, acall_owner_gone_work);
	init_waitqueue_func_entry(&ctx->owner_wait, acall_owner_wake);
	add_wait_queue(&ctx->owner->wait_pidfd, &ctx->owner_wait);
}

/* When the context is freed; no wake-up runs once this returns. */
void acall_owner_unwatch(struct acall_ctx *ctx)
{
	remove_wait_queue(&ctx->owner->wait_pidfd, &ctx->owner_wait);
}

/*
 * flush(): a close by the owner in the middle of execve() is its
 * close-on-exec, past the point of no return: its memory is about to be
 * replaced. (A thread exiting alone closes with no memory left, and is no
 * such end.)
 */
void acall_owner_flush(struct acall_ctx *ctx)
{
	if (current->in_execve && task_tgid(current) == ctx->owner)
		acall_owner_set_gone(ctx);
}

/*
 * A mapping of the ring is removed from mm. With no user of mm left this
 * is its teardown (exit_mmap()): the owner's exit, or its exec with the
 * context's fd kept open, which no flush() sees and after which no thread
 * of the owner's serves: what waits for one would wait until the new
 * image closed the fd. (A munmap() leaves users; a child's copy of the
 * mapping, which MADV_DOFORK makes possible, is in another mm.)
 */
void acall_owner_mm_closing(struct acall_ctx *ctx, struct mm_struct *mm)
{
	if (mm == ctx->mm && !atomic_read(&mm->mm_users))
		acall_owner_set_gone(ctx);
}

/*
 * Before a worker starts a request: does a thread of the owner still use
 * the memory the context belongs to? An exec that closed no acall fd
 * (the ring kept mapped, or an fd without close-on-exec) is seen here,
 * if the teardown of a ring mapping did not say so first: the owner is
 * then gone for the context too.
 */
bool acall_owner_check_mm(struct acall_ctx *ctx)
{
	struct task_struct *leader, *t;
	bool in_use = false;

	if (acall_owner_is_gone(ctx))
		return false;
	rcu_read_lock();
	leader = pid_task(ctx->owner, PIDTYPE_PID);
	if (leader) {
		for_each_thread(leader, t) {
			if (READ_ONCE(t->mm) == ctx->mm) {
				in_use = true;
				break;
			}
		}
	}
	rcu_read_unlock();
	if (!in_use)
		acall_owner_set_gone(ctx);
	return in_use;
}

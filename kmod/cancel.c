// SPDX-License-Identifier: GPL-2.0
/*
 * Canceling: ACALL_IOC_CANCEL of requests that have not started, and the
 * cancellation of whatever would still reach a worker after close.
 */
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/uaccess.h>

#include "internal.h"

/*
 * What must complete without running (-ECANCELED, or the error it was
 * refused with) where no completion may do it: canceled while held, left
 * of a failed chain past what one completion completes (order.c), or bound
 * for a worker after close. One request at a time from a work item: each
 * completion may release more (barriers, links), and those join the list
 * rather than recurse.
 */
static void acall_cancel_work(struct work_struct *work)
{
	struct acall_ctx *ctx = container_of(work, struct acall_ctx, cancel_work);
	struct acall_req *req;

	for (;;) {
		spin_lock_irq(&ctx->cancel_lock);
		req = list_first_entry_or_null(&ctx->cancel_list,
					       struct acall_req, node);
		if (!req) {
			ctx->canceling = false;
			spin_unlock_irq(&ctx->cancel_lock);
			break;
		}
		acall_cancel_cursor_leave(&ctx->cancel_cursor, &req->node);
		list_del(&req->node);
		spin_unlock_irq(&ctx->cancel_lock);
		acall_req_complete_notify(req, acall_req_end_res(req, -ECANCELED));
		/* A chain's tail may be as long as the ring. */
		cond_resched();
	}
	acall_ctx_put(ctx);
}

void acall_cancel_init_work(struct acall_ctx *ctx)
{
	spin_lock_init(&ctx->cancel_lock);
	INIT_LIST_HEAD(&ctx->cancel_list);
	INIT_WORK(&ctx->cancel_work, acall_cancel_work);
	mutex_init(&ctx->cancel_mutex);
}

void acall_cancel_later(struct acall_req *req)
{
	struct acall_ctx *ctx = req->ctx;
	unsigned long flags;
	bool start;

	spin_lock_irqsave(&ctx->cancel_lock, flags);
	list_add_tail(&req->node, &ctx->cancel_list);
	start = !ctx->canceling;
	ctx->canceling = true;
	spin_unlock_irqrestore(&ctx->cancel_lock, flags);
	if (start) {
		/* req's own reference keeps ctx alive until here. */
		kref_get(&ctx->ref);
		if (!queue_work(acall_wq, &ctx->cancel_work))
			acall_ctx_put(ctx);
	}
}

/*
 * The node w looks at next, pos or, once it has looked at
 * ACALL_CANCEL_WALK since it took its list's lock and while it may still
 * (w->pauses), the one it goes on from after it let go of the lock at pos
 * and took it again: each list holds up to a ring's requests, and its
 * lock is taken from interrupts, which must not wait for the whole walk
 * (nor other CPUs spin for it with interrupts off). Whatever takes a node
 * off the list meanwhile moves the cursor past it
 * (acall_cancel_cursor_leave()), and a pool's file's run that moves to the
 * tail with the cursor in it leaves the cursor after the run's old place
 * (acall_pool_cursor_move()): a node may be met again, and none that stays
 * on the list is passed by. Nodes added meanwhile may or may not be seen,
 * as those added just after the call. The list's head ends the walk: a
 * dying caller's too (nobody reads its answer). Under ctx->cancel_mutex:
 * one walk, so one cursor, per list.
 */
struct list_head *acall_cancel_walk_next(struct acall_cancel_walk *w,
					 struct list_head *pos)
{
	if (pos == w->head || w->n++ < ACALL_CANCEL_WALK || !w->pauses)
		return pos;
	w->pauses--;
	/* The node it goes on from is the next stretch's first. */
	w->n = 1;
	*w->cursor = pos;
	spin_unlock_irq(w->lock);
	cond_resched();
	acall_inject_cancel_pause();
	spin_lock_irq(w->lock);
	pos = *w->cursor;
	*w->cursor = NULL;
	return fatal_signal_pending(current) ? w->head : pos;
}

/* Whether a request with user_data waits for acall_cancel_work() to end it. */
static bool acall_cancel_pending(struct acall_ctx *ctx, u64 user_data)
{
	struct acall_cancel_walk w = acall_cancel_walk(ctx, &ctx->cancel_lock,
						      &ctx->cancel_list,
						      &ctx->cancel_cursor);
	struct list_head *pos;
	struct acall_req *req;
	bool found = false;

	spin_lock_irq(&ctx->cancel_lock);
	pos = ctx->cancel_list.next;
	while ((pos = acall_cancel_walk_next(&w, pos)) != &ctx->cancel_list) {
		req = list_entry(pos, struct acall_req, node);
		if (req->user_data == user_data) {
			found = true;
			break;
		}
		pos = pos->next;
	}
	spin_unlock_irq(&ctx->cancel_lock);
	return found;
}

/*
 * Take the requests of pool->work with user_data off it, onto list; say
 * whether one of them has started (*running) or was marked already
 * (*marked_before). Returns how many it took.
 */
static long acall_cancel_pool(struct acall_pool *pool, u64 user_data,
			      struct list_head *list, bool *running,
			      bool *marked_before)
{
	struct acall_cancel_walk w = acall_cancel_walk(pool->ctx, &pool->lock,
						      &pool->work,
						      &pool->cancel_cursor);
	struct acall_worker *worker;
	struct list_head *pos;
	struct acall_req *req;
	long canceled = 0;
	bool busy = false;

	spin_lock_irq(&pool->lock);
	pos = pool->work.next;
	while ((pos = acall_cancel_walk_next(&w, pos)) != &pool->work) {
		req = list_entry(pos, struct acall_req, node);
		pos = pos->next;
		if (req->user_data != user_data)
			continue;
		/* A read going on after its page wait has started. */
		if (req->resumed) {
			busy = true;
			continue;
		}
		/* Marked while held and released since: on its way. */
		if (req->canceled) {
			*marked_before = true;
			continue;
		}
		acall_pool_unlink(pool, req);
		list_move_tail(&req->node, list);
		WRITE_ONCE(pool->nr_queued, pool->nr_queued - 1);
		canceled++;
	}
	/* As many as its workers: walked in one go. */
	list_for_each_entry(req, &pool->running, node)
		busy |= req->user_data == user_data;
	list_for_each_entry(worker, &pool->issuing, issuing_node)
		busy |= worker->issuing_user_data == user_data;
	spin_unlock_irq(&pool->lock);
	*running |= busy;
	return canceled;
}

long acall_ioctl_cancel(struct acall_ctx *ctx, u64 __user *arg)
{
	bool running = false, marked_before = false;
	struct acall_pool *pool;
	unsigned int i = 0;
	long canceled, ret;
	u64 user_data;

	if (get_user(user_data, arg))
		return -EFAULT;
	/* Only a fatal signal ends the wait: nobody sees its -EINTR. */
	if (mutex_lock_killable(&ctx->cancel_mutex))
		return -EINTR;

	/* Held ones first: canceling a pool's may release more of them. */
	canceled = acall_order_cancel(ctx, user_data, &marked_before);
	while ((pool = acall_pool_next(ctx, &i))) {
		LIST_HEAD(list);

		canceled += acall_cancel_pool(pool, user_data, &list, &running,
					      &marked_before);
		acall_fail_list(ctx, &list, -ECANCELED);
	}
	if (canceled)
		ret = canceled;
	/* Running, or bound to complete with -ECANCELED already. */
	else if (running || marked_before ||
		 acall_cancel_pending(ctx, user_data))
		ret = -EALREADY;
	else
		ret = -ENOENT;
	mutex_unlock(&ctx->cancel_mutex);
	return ret;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Canceling: ACALL_IOC_CANCEL of requests that have not started, and the
 * cancellation of whatever would still reach a worker after close.
 */
#include <linux/sched.h>
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

/* Whether a request with user_data waits for acall_cancel_work() to end it. */
static bool acall_cancel_pending(struct acall_ctx *ctx, u64 user_data)
{
	struct acall_req *req;
	bool found = false;

	spin_lock_irq(&ctx->cancel_lock);
	list_for_each_entry(req, &ctx->cancel_list, node) {
		if (req->user_data == user_data) {
			found = true;
			break;
		}
	}
	spin_unlock_irq(&ctx->cancel_lock);
	return found;
}

long acall_ioctl_cancel(struct acall_ctx *ctx, u64 __user *arg)
{
	struct acall_req *req, *next;
	struct acall_worker *worker;
	struct acall_pool *pool;
	bool running = false, marked_before = false;
	unsigned int i = 0;
	long canceled;
	u64 user_data;

	if (get_user(user_data, arg))
		return -EFAULT;

	/* Held ones first: canceling a pool's may release more of them. */
	canceled = acall_order_cancel(ctx, user_data, &marked_before);
	while ((pool = acall_pool_next(ctx, &i))) {
		LIST_HEAD(list);

		spin_lock_irq(&pool->lock);
		list_for_each_entry_safe(req, next, &pool->work, node) {
			if (req->user_data != user_data)
				continue;
			/* A read going on after its page wait has started. */
			if (req->resumed) {
				running = true;
				continue;
			}
			/* Marked while held and released since: on its way. */
			if (req->canceled) {
				marked_before = true;
				continue;
			}
			acall_pool_unlink(pool, req);
			list_move_tail(&req->node, &list);
			WRITE_ONCE(pool->nr_queued, pool->nr_queued - 1);
			canceled++;
		}
		list_for_each_entry(req, &pool->running, node)
			running |= req->user_data == user_data;
		list_for_each_entry(worker, &pool->issuing, issuing_node)
			running |= worker->issuing_user_data == user_data;
		spin_unlock_irq(&pool->lock);
		acall_fail_list(ctx, &list, -ECANCELED);
	}
	if (canceled)
		return canceled;
	/* Running, or bound to complete with -ECANCELED already. */
	if (running || marked_before || acall_cancel_pending(ctx, user_data))
		return -EALREADY;
	return -ENOENT;
}

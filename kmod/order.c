// SPDX-License-Identifier: GPL-2.0
/*
 * Ordering: queues, ORDERED barriers and LINK chains.
 *
 * A request starts when its gates are all open. Every request has one gate,
 * held by the submission until the batch has read the whole chain it
 * belongs to; a linked request has one more, opened by its predecessor's
 * completion; a request held back by a barrier has one more, opened by the
 * queue when the barrier allows it. Held requests sit on lists, never in a
 * thread, and whatever opens their last gate outside the submission hands
 * them to the pool rather than running them in its own stack.
 *
 * Each queue counts its active requests (admitted and not completed). A
 * SIMPLE request only increments that count and looks at the queue's
 * barrier count and releasing flag; the queue lock is taken only while a
 * barrier exists, or, for a write the pool runs in its file's order,
 * while held requests are being let go.
 *
 * A completion may run in an interrupt, and what waits behind one request
 * (a barrier's queue, a failed chain's tail) can be as many as the ring
 * holds: one completion lets at most ACALL_RELEASE_BUDGET of them go, all
 * queues and chain members together, and leaves the rest to a work item,
 * as io_uring leaves a failed link's tail to task work.
 */
#include <linux/sched.h>
#include <linux/slab.h>

#include "internal.h"
#include "acall_trace.h"

static void acall_queue_release_work(struct work_struct *work);

int acall_queues_init(struct acall_ctx *ctx)
{
	unsigned int i;

	ctx->queues = kcalloc(ctx->nr_queues, sizeof(*ctx->queues),
			      GFP_KERNEL_ACCOUNT);
	if (!ctx->queues)
		return -ENOMEM;
	for (i = 0; i < ctx->nr_queues; i++) {
		struct acall_queue *q = &ctx->queues[i];

		spin_lock_init(&q->lock);
		atomic_set(&q->active, 0);
		INIT_LIST_HEAD(&q->held);
		q->ctx = ctx;
		INIT_WORK(&q->release_work, acall_queue_release_work);
	}
	return 0;
}

void acall_queues_free(struct acall_ctx *ctx)
{
	unsigned int i;

	if (!ctx->queues)
		return;
	for (i = 0; i < ctx->nr_queues; i++) {
		acall_pool_free(ctx->queues[i].pool);
		free_cpumask_var(ctx->queues[i].mask);
	}
	kfree(ctx->queues);
	ctx->queues = NULL;
}

/*
 * req is held back by why: keep it findable by ACALL_IOC_CANCEL until it
 * starts.
 */
static void acall_held_add(struct acall_req *req, enum acall_hold why)
{
	struct acall_ctx *ctx = req->ctx;
	unsigned long flags;

	spin_lock_irqsave(&ctx->held_lock, flags);
	/* Held by a link and a barrier, it still counts once. */
	if (!req->held_listed) {
		list_add_tail(&req->held_node, &ctx->held);
		req->held_listed = true;
		this_cpu_inc(ctx->counts->order_waits);
	}
	spin_unlock_irqrestore(&ctx->held_lock, flags);
	trace_acall_held(ctx, req->user_data, why);
}

static void acall_held_del(struct acall_req *req)
{
	struct acall_ctx *ctx = req->ctx;
	unsigned long flags;

	spin_lock_irqsave(&ctx->held_lock, flags);
	if (req->held_listed) {
		acall_cancel_cursor_leave(&ctx->held_cursor, &req->held_node);
		list_del(&req->held_node);
		req->held_listed = false;
	}
	spin_unlock_irqrestore(&ctx->held_lock, flags);
}

/* acall_req_open_gate() for a gate that is not the last, or a held req. */
bool acall_req_open_gate_slow(struct acall_req *req)
{
	/* As acall_req_open_gate() says. */
	if (atomic_read_acquire(&req->gates) == 1)
		atomic_set(&req->gates, 0);
	else if (!atomic_dec_and_test(&req->gates))
		return false;
	if (unlikely(req->held_listed)) {
		acall_held_del(req);
		trace_acall_release(req->ctx, req->user_data);
	}
	return true;
}

/*
 * Open one gate of req from another request's completion, in any context,
 * interrupts included: if it was the last, a worker starts req, never this
 * stack (chains could be long). The submitter opens its own gate with
 * acall_req_open_submit_gate().
 */
static void acall_req_release(struct acall_req *req)
{
	if (!acall_req_open_gate(req))
		return;
	/* Canceled while held: completed without a worker, and no punt. */
	if (READ_ONCE(req->canceled)) {
		acall_cancel_later(req);
		return;
	}
	req->worker_try = true;
	acall_pool_queue(req, ACALL_PUNT_RELEASED);
}

/*
 * Move what the queue lets start now from its held list to start: the
 * SIMPLE requests at the head while no barrier runs, or the barrier at the
 * head once nothing else of the queue is active; each one taken from
 * *budget. Returns whether more could go now, past the budget. Called with
 * q->lock held.
 */
static bool acall_queue_release(struct acall_queue *q, struct list_head *start,
				unsigned int *budget)
{
	struct acall_req *req;

	while (!q->barrier_running && !list_empty(&q->held)) {
		req = list_first_entry(&q->held, struct acall_req, node);
		if ((req->flags & ACALL_SQE_ORDERED) && atomic_read(&q->active))
			break;
		if (!*budget)
			return true;
		(*budget)--;
		if (req->flags & ACALL_SQE_ORDERED)
			q->barrier_running = true;
		atomic_inc(&q->active);
		list_move_tail(&req->node, start);
	}
	return false;
}

/* Start, in order, what acall_queue_release() moved to start. */
static void acall_queue_start(struct list_head *start)
{
	struct acall_req *req, *next;

	list_for_each_entry_safe(req, next, start, node) {
		list_del(&req->node);
		acall_req_release(req);
	}
}

/*
 * Become the queue's releaser, if none is at work: true if the caller is
 * now. Written before a barrier count that drops (acall_queue_admit()
 * reads them the other way round), so that a SIMPLE request that finds
 * the barriers gone also finds the held requests still being let go.
 * Called with q->lock held.
 */
static bool acall_queue_claim(struct acall_queue *q)
{
	if (q->releasing)
		return false;
	WRITE_ONCE(q->releasing, true);
	/* Before the barrier count drops: acall_queue_admit() reads it first. */
	smp_wmb();
	return true;
}

/*
 * Let go, in order, what the held list allows now, and look again until
 * nothing more is allowed: one releaser per queue at a time
 * (q->releasing), so that what one lets go reaches the pool before
 * anything later: another caller's release, or a hashed SIMPLE request
 * admitted meanwhile (acall_req_hashed()), which q->releasing sends to
 * the held list's tail. The pool runs one file's writes in the order they
 * reach it: appends a barrier held land in submission order. A caller
 * that finds another releaser at work (owner false, and q->releasing set)
 * leaves it what it changed under the lock: that one looks again before
 * it stops. Past *budget, the work item goes on as the releaser. Called
 * with q->lock held (taken with flags); returns with it dropped.
 */
static void acall_queue_kick(struct acall_queue *q, unsigned long flags,
			     unsigned int *budget, bool owner)
	__releases(&q->lock)
{
	struct acall_ctx *ctx = q->ctx;
	bool more;

	if (!owner && !acall_queue_claim(q)) {
		spin_unlock_irqrestore(&q->lock, flags);
		return;
	}
	for (;;) {
		LIST_HEAD(start);

		more = acall_queue_release(q, &start, budget);
		if (list_empty(&start))
			break;
		spin_unlock_irqrestore(&q->lock, flags);
		acall_queue_start(&start);
		spin_lock_irqsave(&q->lock, flags);
		if (more)
			break;
	}
	if (more) {
		/* The work item is the releaser now; the queue is ctx's. */
		spin_unlock_irqrestore(&q->lock, flags);
		kref_get(&ctx->ref);
		if (!queue_work(acall_wq, &q->release_work))
			acall_ctx_put(ctx);
		return;
	}
	/*
	 * Nothing more now: SIMPLE requests may skip the lock again. What
	 * this let go has reached the pool before they can.
	 */
	smp_store_release(&q->releasing, false);
	spin_unlock_irqrestore(&q->lock, flags);
}

/* What the budget left: released a budget at a time, in process context. */
static void acall_queue_release_work(struct work_struct *work)
{
	struct acall_queue *q = container_of(work, struct acall_queue,
					     release_work);
	struct acall_ctx *ctx = q->ctx;
	unsigned int budget = ACALL_RELEASE_BUDGET;
	unsigned long flags;

	/* Queued by the releaser, which left q->releasing set for it. */
	spin_lock_irqsave(&q->lock, flags);
	acall_queue_kick(q, flags, &budget, true);
	acall_ctx_put(ctx);
}

/* Hold req behind the barriers of its queue. Called with q->lock held. */
static void acall_queue_hold(struct acall_queue *q, struct acall_req *req)
{
	atomic_inc(&req->gates);
	list_add_tail(&req->node, &q->held);
	acall_held_add(req, ACALL_HELD_BARRIER);
}

/*
 * acall_queue_admit() for an ORDERED request, or a SIMPLE one (counted
 * active already) that found a barrier in its queue.
 */
void acall_queue_admit_slow(struct acall_req *req)
{
	unsigned int budget = ACALL_RELEASE_BUDGET;
	struct acall_queue *q = req->queue;
	unsigned long flags;

	if (!(req->flags & ACALL_SQE_ORDERED)) {
		spin_lock_irqsave(&q->lock, flags);
		if (!q->barriers && (!q->releasing || !acall_req_hashed(req))) {
			spin_unlock_irqrestore(&q->lock, flags);
			return;
		}
		/*
		 * Behind a barrier, or a write the pool must run after the
		 * held ones still being let go (acall_queue_admit() lets any
		 * other through): not active, held, at the tail.
		 */
		acall_queue_hold(q, req);
		if (!atomic_dec_and_test(&q->active)) {
			spin_unlock_irqrestore(&q->lock, flags);
			return;
		}
		/* It was the last active one: a held barrier may start. */
		acall_queue_kick(q, flags, &budget, false);
		return;
	}

	spin_lock_irqsave(&q->lock, flags);
	WRITE_ONCE(q->barriers, q->barriers + 1);
	/* Either a SIMPLE submitter sees barriers, or this sees its count. */
	smp_mb();
	if (!q->barrier_running && list_empty(&q->held) &&
	    !atomic_read(&q->active)) {
		q->barrier_running = true;
		atomic_inc(&q->active);
	} else {
		acall_queue_hold(q, req);
	}
	spin_unlock_irqrestore(&q->lock, flags);
}

/*
 * acall_queue_done() for an ORDERED request, or a SIMPLE one (its count
 * dropped already) that was the last active one while barriers wait.
 */
void acall_queue_done_slow(struct acall_req *req, unsigned int *budget)
{
	struct acall_queue *q = req->queue;
	unsigned long flags;
	bool owner = false;

	spin_lock_irqsave(&q->lock, flags);
	if (req->flags & ACALL_SQE_ORDERED) {
		/* Releasing before the count drops: see acall_queue_claim(). */
		owner = acall_queue_claim(q);
		WRITE_ONCE(q->barriers, q->barriers - 1);
		q->barrier_running = false;
		atomic_dec(&q->active);
	}
	acall_queue_kick(q, flags, budget, owner);
}

/*
 * req's completion (res) is posted: release what waited for it. A link
 * goes on only after a complete success. A released chain member that must
 * not run (canceled, or refused at submission) is completed right here,
 * with no worker woken or created for it, and releases its own successor
 * in turn: iteratively, so a long chain costs no stack, and past the
 * budget from the work item that completes canceled requests.
 */
void acall_order_done_chain(struct acall_req *req, long res)
{
	unsigned int budget = ACALL_RELEASE_BUDGET;
	struct acall_ctx *ctx = req->ctx;
	struct acall_req *first = req, *next;
	bool failed, last, posted = false;

	for (;;) {
		next = req->link;
		failed = res < 0 || res != req->expected;
		if (next && failed)
			WRITE_ONCE(next->canceled, true);
		/*
		 * The successor's link gate before req's queue moves on: one
		 * that req's barrier holds too is then let go in its queue's
		 * order, ahead of what was submitted after it. The write above
		 * is seen by whoever opens the last gate.
		 */
		last = next && acall_req_open_gate(next);
		if (req->queue)
			acall_queue_done(req, &budget);
		/* The caller puts first; this loop the members it completed. */
		if (req != first)
			acall_req_put(req);
		if (!last)
			break;
		if (!next->fail_res && !READ_ONCE(next->canceled)) {
			/* Never from a completion's own stack: it may block. */
			next->worker_try = true;
			acall_pool_queue(next, ACALL_PUNT_RELEASED);
			break;
		}
		if (!budget) {
			acall_cancel_later(next);
			break;
		}
		budget--;
		res = acall_req_end_res(next, -ECANCELED);
		acall_req_post(next, res);
		posted = true;
		req = next;
	}
	if (posted)
		acall_ring_notify(ctx);
}

/*
 * ACALL_IOC_CANCEL for requests waiting on a barrier or a link: mark them;
 * they complete with -ECANCELED when they would have started. Returns how
 * many it marked; *marked_before says whether one matched that was marked
 * already (by an earlier CANCEL, or by its chain's failure). Under
 * ctx->cancel_mutex.
 */
long acall_order_cancel(struct acall_ctx *ctx, u64 user_data,
			bool *marked_before)
{
	struct acall_cancel_walk w = acall_cancel_walk(ctx, &ctx->held_lock,
						      &ctx->held,
						      &ctx->held_cursor);
	struct list_head *pos;
	struct acall_req *req;
	long found = 0;

	spin_lock_irq(&ctx->held_lock);
	pos = ctx->held.next;
	while ((pos = acall_cancel_walk_next(&w, pos)) != &ctx->held) {
		req = list_entry(pos, struct acall_req, held_node);
		pos = pos->next;
		if (req->user_data != user_data)
			continue;
		if (req->canceled) {
			*marked_before = true;
			continue;
		}
		WRITE_ONCE(req->canceled, true);
		found++;
	}
	spin_unlock_irq(&ctx->held_lock);
	return found;
}

/* req runs only after prev has completed successfully. */
void acall_link(struct acall_req *prev, struct acall_req *req)
{
	prev->link = req;
	atomic_inc(&req->gates);
	acall_held_add(req, ACALL_HELD_LINK);
}

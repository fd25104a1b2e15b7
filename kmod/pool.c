// SPDX-License-Identifier: GPL-2.0
/*
 * The worker pools of a context: one set of workers per NUMA node and one
 * per queue bound to CPUs of its own (affinity.c), created on demand up to
 * ctx->max_workers and gone after worker_idle_ms without work.
 *
 * A worker is a thread of the owner's process (ACALL_SETUP_PROCESS_WORKERS,
 * serve.c: in its cgroups, under its limits, sharing its io_context) or
 * a kernel thread that shares the context's io_context as a CLONE_IO thread
 * would (when SETUP could make one) and uses the owner's memory while it
 * has work. Either runs each request with its submitter's credentials
 * (identity.c).
 */
#include <linux/freezer.h>
#include <linux/hash.h>
#include <linux/iocontext.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/task_work.h>
#include <linux/topology.h>
#include <linux/wait_bit.h>

#include "compat.h"
#include "internal.h"
#include "acall_trace.h"

/*
 * Complete every request of list, which no worker will run, with res (or
 * what an earlier attempt of one already moved). In process context, with
 * no spinlock held: the list may be a whole ring's.
 */
void acall_fail_list(struct acall_ctx *ctx, struct list_head *list, int res)
{
	struct acall_req *req, *next;

	if (list_empty(list))
		return;
	list_for_each_entry_safe(req, next, list, node) {
		list_del(&req->node);
		acall_req_complete(req, acall_req_end_res(req, res));
		cond_resched();
	}
	acall_ring_notify(ctx);
}

/* ---- the owner's io_context and memory ------------------------------------ */

static void acall_worker_share_io_context(struct acall_ctx *ctx)
{
	struct io_context *ioc = ctx->ioc;

	/*
	 * What CLONE_IO does in copy_process(): one more task on the same
	 * io_context; exit_io_context() undoes it when the worker exits. Only
	 * while some task still uses it: a dead io_context is not revived.
	 * None to share (SETUP could not make one): the worker's own, made
	 * when its I/O first needs one.
	 */
	if (!ioc)
		return;
	task_lock(current);
	if (!current->io_context && atomic_inc_not_zero(&ioc->active_ref))
		current->io_context = ioc;
	task_unlock(current);
}

/* The submitter's memory, only while there is work: idle workers pin none. */
static bool acall_worker_use_mm(struct acall_ctx *ctx)
{
	if (!mmget_not_zero(ctx->mm))
		return false;
	kthread_use_mm(ctx->mm);
	return true;
}

static void acall_worker_unuse_mm(struct acall_ctx *ctx)
{
	kthread_unuse_mm(ctx->mm);
	mmput(ctx->mm);
}

/* ---- the worker ----------------------------------------------------------- */

/* Count where a worker runs a request, against where it was submitted. */
static void acall_worker_count_cpu(struct acall_ctx *ctx, struct acall_req *req)
{
	int cpu = raw_smp_processor_id();

	if (cpu == req->submit_cpu)
		this_cpu_inc(ctx->counts->ran_submit_cpu);
	else if (cpu_to_node(cpu) == cpu_to_node(req->submit_cpu))
		this_cpu_inc(ctx->counts->ran_submit_node);
	else
		this_cpu_inc(ctx->counts->ran_other_node);
}

/*
 * Whether a worker may start a request of pool, about to list it (or
 * itself) under pool->lock: the owner's end and close set their flag
 * before they interrupt what is listed under this lock, so either they
 * find it there, or it sees the flag here.
 */
static bool acall_worker_may_start(struct acall_pool *pool)
{
	struct acall_ctx *ctx = pool->ctx;

	lockdep_assert_held(&pool->lock);
	return !acall_owner_is_gone(ctx) && !READ_ONCE(ctx->dying);
}

/*
 * Put req, which this worker is about to run, on the running list, where
 * cancel finds it and acall_pools_interrupt() interrupts it; under the
 * lock. False when it must not run (acall_worker_may_start()).
 */
static bool acall_worker_list_running(struct acall_pool *pool,
				      struct acall_req *req)
{
	if (!acall_worker_may_start(pool))
		return false;
	list_add_tail(&req->node, &pool->running);
	req->worker = current;
	req->run_pool = pool;
	return true;
}

/*
 * A kernel thread interrupted: the signal was for the request it ran
 * only. A thread of the process keeps its signals: they are the process's
 * (its death), and it goes back to userspace to take them.
 */
static void acall_worker_forget_interrupt(void)
{
	if ((current->flags & PF_KTHREAD) && signal_pending(current))
		flush_signals(current);
}

/* Off the running list, before its completion is posted. */
static void acall_worker_unlist_running(struct acall_pool *pool,
					struct acall_req *req)
{
	spin_lock_irq(&pool->lock);
	list_del(&req->node);
	spin_unlock_irq(&pool->lock);
	acall_worker_forget_interrupt();
}

/*
 * As acall_worker_list_running(), for a request the worker issues first
 * (worker_try): that may block (a lock, a frozen filesystem, a fault on
 * the buffer) as a run does, but its kiocb may complete, and queue req
 * again or free it, before the call returns, so req cannot be on a list of
 * the worker's. The worker is listed instead, with req's user_data: cancel
 * finds it running, acall_pools_interrupt() interrupts it.
 */
static bool acall_worker_list_issuing(struct acall_worker *worker,
				      struct acall_req *req)
{
	struct acall_pool *pool = worker->pool;

	if (!acall_worker_may_start(pool))
		return false;
	worker->issuing_user_data = req->user_data;
	list_add_tail(&worker->issuing_node, &pool->issuing);
	/* Where it goes on if a signal cuts the issue short. */
	req->run_pool = pool;
	return true;
}

/* The issue returned: only the worker is touched, req may be gone. */
static void acall_worker_unlist_issuing(struct acall_worker *worker)
{
	struct acall_pool *pool = worker->pool;

	spin_lock_irq(&pool->lock);
	list_del_init(&worker->issuing_node);
	spin_unlock_irq(&pool->lock);
	acall_worker_forget_interrupt();
}

/*
 * A request the worker's issue left to it to run: from the worker's
 * listing to req's in one take of the lock, so that cancel finds it on
 * one of them at any time. A kernel thread interrupted meanwhile (by
 * anything but close or the owner's end, which make the relist fail)
 * keeps its signal: acall_worker_run() sees it, and req does not start.
 */
static bool acall_worker_relist_running(struct acall_worker *worker,
					struct acall_req *req)
{
	struct acall_pool *pool = worker->pool;
	bool listed;

	spin_lock_irq(&pool->lock);
	list_del_init(&worker->issuing_node);
	listed = acall_worker_list_running(pool, req);
	spin_unlock_irq(&pool->lock);
	if (!listed)
		acall_worker_forget_interrupt();
	return listed;
}

/* Off whichever list the worker put req on when it took it. */
static void acall_worker_unlist(struct acall_worker *worker,
				struct acall_req *req)
{
	if (req->worker_try)
		acall_worker_unlist_issuing(worker);
	else
		acall_worker_unlist_running(worker->pool, req);
}

/* A kernel thread interrupted since it listed req: req does not start. */
static bool acall_worker_interrupted(void)
{
	return (current->flags & PF_KTHREAD) && fatal_signal_pending(current);
}

static bool acall_res_interrupted(long res)
{
	return res == -EINTR || res == -ERESTARTSYS || res == -ERESTARTNOINTR ||
	       res == -ERESTARTNOHAND || res == -ERESTART_RESTARTBLOCK;
}

/* What a system call would restart, a completion reports. */
static long acall_worker_res(long res)
{
	return acall_res_interrupted(res) ? -EINTR : res;
}

/*
 * A thread of the process whose call a signal that is not the process's
 * death cut short (a stop, a debugger, glibc's setuid() broadcast, the
 * freezer; 6.1's tmpfs fallocate() stops for any): the signal was the
 * thread's, not the submitter's, and is no result of the request. The
 * request goes back to the head of the pool, to run again (each call
 * returns this only for what it undid or never did), and the thread to
 * userspace for the signal (acall_worker_must_return()).
 */
static bool acall_worker_signalled(long res)
{
	return !(current->flags & PF_KTHREAD) && acall_res_interrupted(res) &&
	       signal_pending(current) && !fatal_signal_pending(current);
}

/*
 * Run req the ordinary, blocking way: findable by cancel as running, and
 * interruptible by acall_pools_interrupt(). listed: it is on the running
 * list already (the worker put it there when it took it, or after its
 * issue).
 */
static long acall_worker_run(struct acall_pool *pool, struct acall_req *req,
			     bool listed)
{
	struct acall_ctx *ctx = pool->ctx;
	long res;

	if (!listed) {
		spin_lock_irq(&pool->lock);
		listed = acall_worker_list_running(pool, req);
		spin_unlock_irq(&pool->lock);
		if (!listed)
			return acall_req_end_res(req, -ECANCELED);
	}

	/*
	 * Interrupted by a close or its owner's end: req does not start, or
	 * go on (acall_req_end_res()).
	 */
	if (acall_worker_interrupted()) {
		acall_worker_unlist_running(pool, req);
		return acall_req_end_res(req, -ECANCELED);
	}
	trace_acall_issue(ctx, req->user_data, ACALL_PATH_WORKER);
	acall_inject_worker_throttle(req);
	res = req->op->run(req);

	acall_worker_unlist_running(pool, req);
	/*
	 * Parked by run: from here on, its wake-up may queue it again.
	 * Counted only now that it is off the running list, so that whoever
	 * sees the count finds it parked or queued again, never running.
	 */
	if (res == -EIOCBQUEUED) {
		this_cpu_inc(ctx->counts->page_waits);
		acall_req_unpark(req);
	}
	return acall_worker_res(res);
}

/*
 * One request taken off the work list, run as its submitter. One released
 * by a barrier or a link never had a try, and an O_DIRECT one that the
 * submitter could not send without blocking may be sent by a thread that
 * can: those (req->worker_try) are issued here first
 * (acall_req_try_worker()), so that their I/O goes out as an async kiocb
 * rather than hold this worker.
 */
static long acall_worker_issue_or_run(struct acall_worker *worker,
				      struct acall_req *req, bool listed)
{
	struct acall_pool *pool = worker->pool;
	enum acall_try how;
	long res;

	if (req->worker_try) {
		/* listed: as the worker, in pool->issuing. */
		req->worker_try = false;
		if (!listed)
			return acall_req_end_res(req, -ECANCELED);
		if (acall_worker_interrupted()) {
			acall_worker_unlist_issuing(worker);
			return acall_req_end_res(req, -ECANCELED);
		}
		how = acall_req_try_worker(req, &res);
		if (how == ACALL_TRY_PUNT) {
			if (!acall_worker_relist_running(worker, req))
				return acall_req_end_res(req, -ECANCELED);
			return acall_worker_run(pool, req, true);
		}
		acall_worker_unlist_issuing(worker);
		if (how == ACALL_TRY_QUEUED)
			return -EIOCBQUEUED;
		trace_acall_issue(pool->ctx, req->user_data, ACALL_PATH_WORKER);
		return acall_worker_res(res);
	}
	return acall_worker_run(pool, req, listed);
}

/*
 * A worker's completions are in the ring at once, and WAIT callers are
 * woken at once; the eventfd's signal, which wakes an event loop, goes for
 * several of them while the worker has more requests to run. It is sent
 * once the worker holds back as many as are queued in its pool (the event
 * loop, woken then, submits as many again before the worker runs out, and
 * the worker need not sleep); once it holds back
 * ACALL_WORKER_EVENTFD_MAX; about ACALL_WORKER_EVENTFD_DELAY_MS after the
 * first one still held back; or as soon as the worker finds no more work.
 * An event loop woken once per completion of a busy worker spends more on
 * its wake-ups than on its I/O; one woken once for several submits them
 * back in one go, and the worker keeps running meanwhile. The bound in
 * time is a timer of the wheel, a list insertion per batch that fires only
 * when the next request takes long (an hrtimer's programming, once per
 * batch, cost more than the batching saved).
 */
#define ACALL_WORKER_EVENTFD_MAX	16
#define ACALL_WORKER_EVENTFD_DELAY_MS	8

/*
 * Signal the eventfd for what the worker held back, unless the timer did:
 * whichever takes the count signals, once.
 */
static void acall_worker_eventfd_flush(struct acall_worker *worker)
{
	if (!atomic_xchg(&worker->eventfd_held, 0))
		return;
	acall_ring_signal_eventfd(worker->pool->ctx);
	del_timer(&worker->eventfd_timer);
}

/* The bound in time: the request after them may take long. */
static void acall_worker_eventfd_timer(struct timer_list *timer)
{
	struct acall_worker *worker = from_timer(worker, timer, eventfd_timer);

	if (atomic_xchg(&worker->eventfd_held, 0))
		acall_ring_signal_eventfd(worker->pool->ctx);
}

/* After one of the worker's completions was posted. */
static void acall_worker_completed(struct acall_worker *worker)
{
	struct acall_pool *pool = worker->pool;
	unsigned int held = atomic_inc_return(&worker->eventfd_held);

	acall_ring_wake_waiters(pool->ctx);
	/*
	 * Nothing queued (its caller waits for this one, and a lone
	 * completion pays for no timer), or no more than it holds back. A
	 * racy look, and enough: a count that is off only moves the signal
	 * within the bounds, and work taken meanwhile leaves this worker's
	 * loop none, and it flushes then.
	 */
	if (list_empty(&pool->work) || held >= ACALL_WORKER_EVENTFD_MAX ||
	    READ_ONCE(pool->nr_queued) <= held) {
		acall_worker_eventfd_flush(worker);
		return;
	}
	/* Armed again once it fired: each held-back one has its bound. */
	if (!timer_pending(&worker->eventfd_timer))
		mod_timer(&worker->eventfd_timer, jiffies +
			  msecs_to_jiffies(ACALL_WORKER_EVENTFD_DELAY_MS));
}

/*
 * Whether the owner still uses the context's memory. A thread of the
 * process that serves is such a thread itself (SERVE let it in for that,
 * and only exec changes it): no walk of the owner's threads.
 */
static bool acall_worker_owner_alive(struct acall_worker *worker)
{
	struct acall_ctx *ctx = worker->pool->ctx;

	if (worker->thread)
		return !acall_owner_is_gone(ctx);
	return acall_owner_check_mm(ctx);
}

/*
 * Run req, taken off the work list; listed: put on the running list then
 * (acall_worker_list_running()), or the worker on pool->issuing for one it
 * issues first (acall_worker_list_issuing()).
 */
static void acall_worker_handle(struct acall_worker *worker,
				struct acall_req *req, bool mm_held, bool listed)
{
	struct acall_pool *pool = worker->pool;
	struct acall_ctx *ctx = pool->ctx;
	struct acall_assumed assumed;
	long res;

	if (req->fail_res || !mm_held || !acall_worker_owner_alive(worker) ||
	    READ_ONCE(req->canceled) || READ_ONCE(ctx->dying)) {
		if (listed)
			acall_worker_unlist(worker, req);
		res = acall_req_end_res(req, -ECANCELED);
	} else {
		/* Once per request, not again when it goes on. */
		if (req->resumed)
			req->resumed = false;
		else
			acall_worker_count_cpu(ctx, req);
		acall_identity_assume(&req->id, !worker->thread,
				      req->op->grows_file, &assumed);
		res = acall_worker_issue_or_run(worker, req, listed);
		acall_identity_revert(&assumed, !worker->thread);
		/*
		 * An async kiocb in flight, or a request parked on a wait
		 * queue: req may already be completed and gone, or be running
		 * again in another worker.
		 */
		if (res == -EIOCBQUEUED)
			return;
		/* Cut short by a signal to this thread: it runs again. */
		if (acall_worker_signalled(res)) {
			acall_req_requeue(req);
			return;
		}
	}
	acall_req_complete(req, res);
	acall_worker_completed(worker);
}

/*
 * Buffered writes to one file run one at a time, by whichever worker is on
 * that file: several workers would only queue on the inode's lock, each
 * paying a sleep and a wake-up (io_uring's io-wq does the same). Appends,
 * O_DIRECT ones too, are serialised the same way, which also keeps them in
 * the order they were submitted, as O_APPEND writes from one thread land.
 * Files are
 * told apart by a 6-bit hash of the inode; a request is "hashed" to its
 * bucket + 1, 0 when it is not. Which operations are hashed is the op
 * table's to say (hash_reg_file).
 */
static u8 acall_req_hash(const struct acall_req *req)
{
	if (!acall_req_hashed(req))
		return 0;
	return hash_ptr(file_inode(req->file), ACALL_HASH_BITS) + 1;
}

static bool acall_pool_hash_busy(struct acall_pool *pool, u8 hash)
{
	return hash && (pool->hash_busy & BIT_ULL(hash - 1));
}

/*
 * Whether a request of file bucket hash needs no worker of its own: one
 * is writing that bucket's file and takes its next write, or one was
 * woken or asked for when an earlier write of the bucket was queued, and
 * is on its way. Without the second half, a burst of writes to one file
 * queued before any worker got to the first called a worker for each, up
 * to max_workers, all but one of them to find nothing they could take.
 *
 * A claim is only a hint that holds back wake-ups, never work: it is
 * dropped when a request of its bucket is taken (the bucket is busy
 * then), and every claim of the pool is dropped when any worker finds
 * nothing it could take, leaves, or will not come (more wake-ups, never
 * fewer). So a write stays held back only while no worker of the pool can
 * go idle: each one running, on its way or still to come looks at the
 * work again, and the first free one takes the first request it can.
 */
static bool acall_pool_hash_taken(struct acall_pool *pool, u8 hash)
{
	return hash && ((pool->hash_busy | pool->hash_claimed) &
			BIT_ULL(hash - 1));
}

/*
 * Queue req on pool->work, at the head (resume) or the tail; a hashed one
 * next to those of its bucket, as io-wq keeps a hash's work together, so
 * that a worker can pass a bucket over in one step. Under the lock.
 */
static void acall_pool_link(struct acall_pool *pool, struct acall_req *req,
			    bool head)
{
	struct acall_req **first, **last;

	lockdep_assert_held(&pool->lock);

	if (!req->hash || !pool->hash_first[req->hash - 1]) {
		if (head)
			list_add(&req->node, &pool->work);
		else
			list_add_tail(&req->node, &pool->work);
		if (req->hash) {
			pool->hash_first[req->hash - 1] = req;
			pool->hash_last[req->hash - 1] = req;
		}
		return;
	}
	first = &pool->hash_first[req->hash - 1];
	last = &pool->hash_last[req->hash - 1];
	if (head) {
		list_add_tail(&req->node, &(*first)->node);
		*first = req;
	} else {
		list_add(&req->node, &(*last)->node);
		*last = req;
	}
}

/* Before req leaves pool->work: its bucket's ends move past it. */
void acall_pool_unlink(struct acall_pool *pool, struct acall_req *req)
{
	struct acall_req **first, **last;

	lockdep_assert_held(&pool->lock);

	if (!req->hash)
		return;
	first = &pool->hash_first[req->hash - 1];
	last = &pool->hash_last[req->hash - 1];
	if (*first == req && *last == req) {
		*first = NULL;
		*last = NULL;
	} else if (*first == req) {
		*first = list_next_entry(req, node);
	} else if (*last == req) {
		*last = list_prev_entry(req, node);
	}
}

/* Every request leaves pool->work at once (spliced away). */
static void acall_pool_unlink_all(struct acall_pool *pool)
{
	memset(pool->hash_first, 0, sizeof(pool->hash_first));
	memset(pool->hash_last, 0, sizeof(pool->hash_last));
	/* A paused CANCEL finds nothing more. */
	if (pool->cancel_cursor)
		pool->cancel_cursor = &pool->work;
}

/*
 * The run of bucket hash, up to last, goes to the tail of pool->work: a
 * CANCEL paused in it goes on with what followed the run, and meets the
 * rest of the run again at the tail. (Runs of two files taken in turn can
 * send it back and forth: its pauses are bounded, acall_cancel_walk().)
 * Under the lock.
 */
static void acall_pool_cursor_move(struct acall_pool *pool, u8 hash,
				   struct acall_req *last)
{
	struct list_head *cursor = pool->cancel_cursor;

	if (likely(!cursor) || cursor == &pool->work ||
	    list_entry(cursor, struct acall_req, node)->hash != hash ||
	    list_is_last(&last->node, &pool->work))
		return;
	pool->cancel_cursor = last->node.next;
}

/*
 * The next request for a worker that just finished one of file bucket
 * prefer (0: none), *streak in a row: that file's next write if there is
 * one, so that its writes stay on this worker; else, or once the streak is
 * ACALL_HASH_STREAK long, the first request in the pool's order (a
 * file's run goes behind the rest once one of its writes is taken) of
 * another file that no other worker is writing, so that a stream of writes
 * to one file cannot starve the rest when this is the only worker; else
 * that file's next after all. Under the lock.
 */
static struct acall_req *acall_pool_take(struct acall_pool *pool, u8 prefer,
					 unsigned int *streak)
{
	struct acall_req *req;

	lockdep_assert_held(&pool->lock);

	if (prefer) {
		pool->hash_busy &= ~BIT_ULL(prefer - 1);
		req = pool->hash_first[prefer - 1];
		if (req && *streak < ACALL_HASH_STREAK)
			goto take;
	}
	/*
	 * The first this worker may take. One that is not hashed always
	 * may; a bucket that is busy, or prefer's, is passed over whole, so
	 * the walk looks at one request per bucket at most, however many
	 * are queued (it runs with interrupts off).
	 */
	list_for_each_entry(req, &pool->work, node) {
		if (!req->hash)
			goto take;
		if (!acall_pool_hash_busy(pool, req->hash) &&
		    req->hash != prefer)
			goto take;
		req = pool->hash_last[req->hash - 1];
	}
	if (prefer) {
		req = pool->hash_first[prefer - 1];
		if (req)
			goto take;
	}
	/*
	 * Nothing this worker could take: what a claim held back is no more
	 * (taken, canceled). Those of buckets still on their way go too.
	 */
	pool->hash_claimed = 0;
	return NULL;
take:
	*streak = prefer && req->hash == prefer ? *streak + 1 : 1;
	if (req->hash) {
		pool->hash_busy |= BIT_ULL(req->hash - 1);
		pool->hash_claimed &= ~BIT_ULL(req->hash - 1);
	}
	acall_pool_unlink(pool, req);
	acall_cancel_cursor_leave(&pool->cancel_cursor, &req->node);
	list_del(&req->node);
	WRITE_ONCE(pool->nr_queued, pool->nr_queued - 1);
	/*
	 * The rest of the bucket's run goes behind everything queued since:
	 * it would otherwise hold its place at the front for as long as its
	 * file has writes coming, and with a worker per such file, starve
	 * what was queued after it.
	 */
	if (req->hash) {
		struct acall_req *first = pool->hash_first[req->hash - 1];
		struct acall_req *last = pool->hash_last[req->hash - 1];

		if (first) {
			acall_pool_cursor_move(pool, req->hash, last);
			list_bulk_move_tail(&pool->work, &first->node,
					    &last->node);
		}
	}
	return req;
}

/*
 * An idle worker to wake, preferably one that last ran on another CPU than
 * this one (task_cpu() is an unlocked hint here). The waker (a submitter,
 * a worker, whatever queues a read whose page is read) goes on running on
 * this CPU. The scheduler wakes a worker on the CPU it last ran on if that
 * CPU is idle; one that last ran here it may leave here (when the cache
 * domain's average use is high, SIS_UTIL cuts its search for an idle CPU
 * to nothing), to take turns with the waker. An interrupt or softirq that
 * interrupted this CPU's idle task is the exception: a worker that last
 * ran here is woken here, with no IPI, and runs once the interrupt
 * returns (never where handlers and softirqs run in threads: PREEMPT_RT,
 * threadirqs).
 */
static struct acall_worker *acall_pool_idle_worker(struct acall_pool *pool)
{
	int cpu = raw_smp_processor_id();
	bool here = !in_task() && is_idle_task(current);
	struct acall_worker *worker;
	unsigned int looked = 0;

	list_for_each_entry(worker, &pool->idle, idle_node) {
		if ((task_cpu(worker->task) == cpu) == here)
			return worker;
		if (++looked == 8)
			break;
	}
	return list_first_entry_or_null(&pool->idle, struct acall_worker,
					idle_node);
}

static void acall_worker_count_alive(struct acall_ctx *ctx)
{
	int peak, now;

	now = atomic_inc_return(&ctx->stats.workers);
	peak = atomic_read(&ctx->stats.workers_peak);
	while (now > peak && !atomic_try_cmpxchg(&ctx->stats.workers_peak, &peak, now))
		;
}

/*
 * A worker leaves its pool, under the lock; true when a thread must be
 * asked for in its place. One that was
 * interrupted (interrupted) may leave work behind: the file it was writing
 * is free for another worker now, and a thread is asked for if nobody
 * idles, unless the process is dying. One that idled out or saw the
 * context close left nothing it could have taken.
 */
static bool acall_worker_leave(struct acall_worker *worker, u8 hash,
			       bool interrupted)
{
	struct acall_pool *pool = worker->pool;
	struct acall_ctx *ctx = pool->ctx;
	struct acall_worker *idle;
	bool away;

	lockdep_assert_held(&pool->lock);
	list_del_init(&worker->idle_node);
	if (hash)
		pool->hash_busy &= ~BIT_ULL(hash - 1);
	/* It may have been the worker a claim waits for. */
	pool->hash_claimed = 0;
	/*
	 * A thread gone back to userspace calls SERVE again (the ABI says so,
	 * libacall's do): it stays one of the pool's workers, and what waits
	 * here may wait for it, rather than fail for want of a new thread.
	 */
	away = interrupted && ctx->process_workers && !READ_ONCE(ctx->dying) &&
	       !fatal_signal_pending(current);
	if (!away) {
		pool->nr_workers--;
		return false;
	}
	/* Its place keeps its charge: the user's limit cannot take it back. */
	worker->away = true;
	pool->nr_away++;
	if (list_empty(&pool->work))
		return false;
	idle = acall_pool_idle_worker(pool);
	if (idle) {
		list_del_init(&idle->idle_node);
		wake_up_process(idle->task);
		return false;
	}
	/* Another thread, if there is room, takes the work meanwhile. */
	if (pool->nr_workers >= ctx->max_workers)
		return false;
	pool->nr_workers++;
	pool->nr_to_spawn++;
	return true;
}

/*
 * Serve the pool until idle for worker_idle_ms or the context is closing
 * (0), or, in a thread of the process, until it must go back to userspace
 * (-EINTR) and may then come back: a signal is pending for it (a stop, a
 * debugger, glibc's setuid() broadcast), task work waits for it (the last
 * fput() of a file, which releases its locks), it charged its memory
 * cgroup past memory.high, whose reclaim runs on the way back, or its io
 * cgroup's controller asked it to wait there (io.latency, io.cost). (Not
 * for every TIF_NOTIFY_RESUME: rseq sets it at each preemption.)
 */
static bool acall_worker_must_return(struct acall_worker *worker)
{
	if (!worker->thread)
		return false;
#ifdef CONFIG_MEMCG
	if (current->memcg_nr_pages_over_high)
		return true;
#endif
	if (acall_blkcg_throttle_pending())
		return true;
	/* The last fput() of a file a request held runs there, for one. */
	return signal_pending(current) || task_work_pending(current);
}

static int acall_worker_loop(struct acall_worker *worker)
{
	struct acall_pool *pool = worker->pool;
	struct acall_ctx *ctx = pool->ctx;
	/* A thread of the owner already runs in its memory. */
	bool timed_out = false, mm_held = worker->thread, spawn, listed;
	bool widen;		/* the pool's CPUs are not all its own */
	struct acall_req *req;
	u8 hash = 0;		/* the file of the write it just ran */
	unsigned int streak = 0;	/* of that file's writes, in a row */
	int ret = 0;

	timer_setup(&worker->eventfd_timer, acall_worker_eventfd_timer, 0);
	for (;;) {
		cond_resched();
		/* Between requests: none starts while the system sleeps. */
		if (!worker->thread)
			try_to_freeze();
		widen = acall_worker_follow_mask(worker);
		spin_lock_irq(&pool->lock);
		list_del_init(&worker->idle_node);
		if (widen || acall_worker_must_return(worker)) {
			ret = -EINTR;
			break;
		}
		req = acall_pool_take(pool, hash, &streak);
		hash = req ? req->hash : 0;
		/*
		 * Running from here on, in the same take of the lock; one to
		 * be issued first (worker_try) is listed as its worker.
		 */
		listed = false;
		if (req && req->worker_try)
			listed = acall_worker_list_issuing(worker, req);
		else if (req)
			listed = acall_worker_list_running(pool, req);
		if (!req && atomic_read(&worker->eventfd_held)) {
			/* Nothing to run next: its caller waits for these. */
			spin_unlock_irq(&pool->lock);
			acall_worker_eventfd_flush(worker);
			continue;
		}
		if (req) {
			spin_unlock_irq(&pool->lock);
			if (!mm_held)
				mm_held = acall_worker_use_mm(ctx);
			acall_worker_handle(worker, req, mm_held, listed);
			timed_out = false;
			continue;
		}
		if (mm_held && !worker->thread) {
			/* Let go of the memory before sleeping; then look again. */
			spin_unlock_irq(&pool->lock);
			acall_worker_unuse_mm(ctx);
			mm_held = false;
			continue;
		}
		if (READ_ONCE(ctx->dying) || timed_out)
			break;
		list_add(&worker->idle_node, &pool->idle);
		/*
		 * Set before unlocking, so that a wake-up cannot be missed. A
		 * thread sleeps interruptibly: a stop or a debugger must not
		 * wait for it. A kernel thread may be frozen where it idles.
		 */
		set_current_state(worker->thread ? TASK_INTERRUPTIBLE :
				  TASK_IDLE | TASK_FREEZABLE);
		spin_unlock_irq(&pool->lock);
		/* Read each time: a change applies from a worker's next idling. */
		timed_out = !schedule_timeout(msecs_to_jiffies(READ_ONCE(acall_worker_idle_ms)));
	}
	spawn = acall_worker_leave(worker, hash, ret == -EINTR);
	spin_unlock_irq(&pool->lock);
	/* Nothing held back, and no timer left on a worker that goes. */
	acall_worker_eventfd_flush(worker);
	del_timer_sync(&worker->eventfd_timer);
	/*
	 * A waker that chose it just before is done with it first: its
	 * wake-up must not reach this task sleeping elsewhere, nor its worker
	 * freed.
	 */
	wait_var_event(&worker->wakers, !atomic_read_acquire(&worker->wakers));
	if (spawn)
		acall_spawn_ask(ctx);
	return ret;
}

static int acall_worker_fn(void *data)
{
	struct acall_worker *worker = data;
	struct acall_ctx *ctx = worker->pool->ctx;

	trace_acall_worker_start(current->pid, ctx->tgid);
	acall_worker_share_io_context(ctx);
	/*
	 * SIGKILL interrupts what it runs (acall_pools_interrupt()); the
	 * module's own only, as for the kernel's other threads: a kill(2),
	 * even root's, must not cut a request short.
	 */
	allow_kernel_signal(SIGKILL);
	/*
	 * Frozen for suspend and hibernation with the kernel's other threads,
	 * after the process it serves: a kernel thread is not, unless it says
	 * so, and a write it ran after the hibernation image was taken would
	 * be missing from the image's view of the filesystem.
	 */
	set_freezable();

	acall_worker_loop(worker);

	trace_acall_worker_exit(current->pid, ctx->tgid, 0);
	atomic_dec(&ctx->stats.workers);
	acall_limits_worker_put(ctx, true);
	kfree(worker);
	acall_ctx_put(ctx);
	module_put_and_kthread_exit(0);
}

/* Take one of a count that pool->lock guards; false when it is 0. */
static bool acall_pool_take_one(struct acall_pool *pool, unsigned int *count)
{
	bool taken;

	spin_lock_irq(&pool->lock);
	taken = *count;
	if (taken)
		(*count)--;
	spin_unlock_irq(&pool->lock);
	return taken;
}

/*
 * Take one of the threads pool asked for (nr_to_spawn), for a thread that
 * comes or one that will not. False when it asked for none.
 */
bool acall_pool_take_slot(struct acall_pool *pool)
{
	return acall_pool_take_one(pool, &pool->nr_to_spawn);
}

/* The place of a thread gone back to userspace, for one that comes back. */
static bool acall_pool_take_away(struct acall_pool *pool)
{
	return acall_pool_take_one(pool, &pool->nr_away);
}

/*
 * A pool that asked for a thread (or, for one the process donates on its
 * own, the pool of its node if that has room), now counting the caller
 * among its workers; NULL when none wants one. *charged: the place is one
 * a thread gone back to userspace kept, with its charge to the user.
 * ACALL_IOC_SERVE.
 */
struct acall_pool *acall_pool_join(struct acall_ctx *ctx, bool *charged)
{
	struct acall_pool *pool;
	unsigned int i = 0;

	/* A place kept for a thread that went back first: it may be this one. */
	*charged = true;
	while ((pool = acall_pool_next(ctx, &i)))
		if (acall_pool_take_away(pool))
			return pool;
	*charged = false;
	i = 0;
	while ((pool = acall_pool_next(ctx, &i)))
		if (acall_pool_take_slot(pool))
			return pool;
	pool = &ctx->pools[numa_node_id()];
	spin_lock_irq(&pool->lock);
	if (pool->nr_workers < ctx->max_workers) {
		pool->nr_workers++;
		spin_unlock_irq(&pool->lock);
		return pool;
	}
	spin_unlock_irq(&pool->lock);
	return NULL;
}

/*
 * A thread that pool counted on will not come (res says why): if it has no
 * worker left, nobody will run what waits there.
 */
void acall_pool_join_failed(struct acall_pool *pool, int res)
{
	LIST_HEAD(stranded);

	spin_lock_irq(&pool->lock);
	pool->nr_workers--;
	/* It may have been the worker a claim waits for. */
	pool->hash_claimed = 0;
	if (!pool->nr_workers) {
		list_splice_init(&pool->work, &stranded);
		acall_pool_unlink_all(pool);
		WRITE_ONCE(pool->nr_queued, 0);
	}
	spin_unlock_irq(&pool->lock);
	acall_fail_list(pool->ctx, &stranded, res);
}

/*
 * The calling thread of the owner's process, counted in pool by
 * acall_pool_join() (charged: in a place that holds a charge to the user
 * already), serves it. Returns 0 when it may end, -EINTR when a signal
 * must be taken first, -ENOMEM.
 */
int acall_worker_serve(struct acall_pool *pool, bool charged)
{
	struct acall_ctx *ctx = pool->ctx;
	struct acall_worker *worker;
	bool away = false;
	int ret = -ENOMEM;

	if (!charged && !acall_limits_worker_get(ctx, false)) {
		acall_pool_join_failed(pool, -EAGAIN);
		return 0;
	}
	/*
	 * Not on the stack: the filesystem's calls run on top of it. Charged
	 * to the thread's memory cgroup, the process's, as its stack is.
	 */
	worker = kzalloc(sizeof(*worker), GFP_KERNEL_ACCOUNT);
	if (!worker)
		goto out_limit;
	if (!alloc_cpumask_var(&worker->allowed, GFP_KERNEL_ACCOUNT))
		goto out_worker;
	if (!alloc_cpumask_var(&worker->applied, GFP_KERNEL_ACCOUNT))
		goto out_allowed;
	if (!alloc_cpumask_var(&worker->joined_without, GFP_KERNEL_ACCOUNT))
		goto out_applied;
	cpumask_copy(worker->allowed, &current->cpus_mask);
	cpumask_copy(worker->applied, &current->cpus_mask);
	worker->task = current;
	worker->pool = pool;
	worker->thread = true;
	/* Not the pool's yet: follow its mask at once. */
	worker->mask_seq = READ_ONCE(pool->mask_seq) - 1;
	INIT_LIST_HEAD(&worker->idle_node);
	INIT_LIST_HEAD(&worker->issuing_node);

	/* Only a thread that serves: one refused keeps its own. */
	acall_serve_take_io_context(ctx);
	trace_acall_worker_start(current->pid, ctx->tgid);
	acall_worker_count_alive(ctx);
	ret = acall_worker_loop(worker);
	away = worker->away;
	atomic_dec(&ctx->stats.workers);
	trace_acall_worker_exit(current->pid, ctx->tgid, ret);
	/*
	 * It keeps the CPUs it was narrowed to: those it had before may be
	 * outside its cpuset now (acall_worker_follow_mask()).
	 */
	free_cpumask_var(worker->joined_without);
out_applied:
	free_cpumask_var(worker->applied);
out_allowed:
	free_cpumask_var(worker->allowed);
out_worker:
	kfree(worker);
out_limit:
	/* Gone back to userspace, it left its charge to its place. */
	if (!away)
		acall_limits_worker_put(ctx, false);
	if (ret == -ENOMEM) {
		/* Undone here: the thread may end, and is not a failure. */
		acall_pool_join_failed(pool, -ENOMEM);
		ret = 0;
	}
	return ret;
}

static int acall_worker_create(struct acall_pool *pool)
{
	struct acall_ctx *ctx = pool->ctx;
	struct acall_worker *worker;
	struct task_struct *task;

	/*
	 * The user's threads are bounded, and kernel threads of all users
	 * together: requests wait for those the context has.
	 */
	if (!acall_limits_worker_get(ctx, true))
		return -EAGAIN;
	worker = kzalloc_node(sizeof(*worker), GFP_KERNEL, pool->node);
	if (!worker) {
		acall_limits_worker_put(ctx, true);
		return -ENOMEM;
	}
	INIT_LIST_HEAD(&worker->idle_node);
	INIT_LIST_HEAD(&worker->issuing_node);
	worker->pool = pool;

	/* The worker's own references, dropped as it exits. */
	kref_get(&ctx->ref);
	__module_get(THIS_MODULE);
	task = kthread_create_on_node(acall_worker_fn, worker, pool->node,
				      "acall/%d:%d", ctx->tgid,
				      atomic_inc_return(&ctx->worker_ids));
	if (IS_ERR(task)) {
		acall_limits_worker_put(ctx, true);
		module_put(THIS_MODULE);
		acall_ctx_put(ctx);
		kfree(worker);
		return PTR_ERR(task);
	}
	worker->task = task;
	/*
	 * It starts on the pool's CPUs where the kernel takes them (one is
	 * online), and looks at them again first thing: CPUs may have come
	 * or gone since they were worked out.
	 */
	mutex_lock(&pool->mask_lock);
	set_cpus_allowed_ptr(task, pool->kthread_mask);
	worker->mask_seq = pool->mask_seq - 1;
	mutex_unlock(&pool->mask_lock);

	acall_worker_count_alive(ctx);
	wake_up_process(task);
	return 0;
}

/*
 * Creating a thread sleeps, so it is never done by the submitter (or in a
 * completion): this work item does it.
 */
static void acall_spawn_work(struct work_struct *work)
{
	struct acall_pool *pool = container_of(work, struct acall_pool, spawn_work);
	struct acall_ctx *ctx = pool->ctx;
	int ret;

	while (acall_pool_take_slot(pool)) {
		ret = READ_ONCE(ctx->dying) ? -ECANCELED : acall_worker_create(pool);
		if (ret)
			acall_pool_join_failed(pool, ret);
	}
	acall_ctx_put(ctx);
}

/* ---- the pools ------------------------------------------------------------ */

static int acall_pool_init(struct acall_pool *pool, struct acall_ctx *ctx,
			   int node)
{
	spin_lock_init(&pool->lock);
	INIT_LIST_HEAD(&pool->work);
	INIT_LIST_HEAD(&pool->running);
	INIT_LIST_HEAD(&pool->issuing);
	INIT_LIST_HEAD(&pool->idle);
	INIT_WORK(&pool->spawn_work, acall_spawn_work);
	pool->node = node;
	pool->ctx = ctx;
	return acall_pool_mask_init(pool);
}

void acall_pools_free(struct acall_ctx *ctx)
{
	int node;

	if (!ctx->pools)
		return;
	for (node = 0; node < nr_node_ids; node++)
		acall_pool_mask_free(&ctx->pools[node]);
	kvfree(ctx->pools);
	ctx->pools = NULL;
}

int acall_pools_init(struct acall_ctx *ctx)
{
	int node;

	/* About 1.3 KiB a node: many nodes make more than a few pages. */
	ctx->pools = kvcalloc(nr_node_ids, sizeof(*ctx->pools),
			      GFP_KERNEL_ACCOUNT);
	if (!ctx->pools)
		return -ENOMEM;
	for (node = 0; node < nr_node_ids; node++) {
		if (acall_pool_init(&ctx->pools[node], ctx, node)) {
			acall_pools_free(ctx);
			return -ENOMEM;
		}
	}
	return 0;
}

/* The pool of a queue bound to CPUs of its own (affinity.c). */
struct acall_pool *acall_pool_alloc(struct acall_ctx *ctx)
{
	struct acall_pool *pool = kzalloc(sizeof(*pool), GFP_KERNEL_ACCOUNT);

	if (pool && acall_pool_init(pool, ctx, NUMA_NO_NODE)) {
		acall_pool_free(pool);
		pool = NULL;
	}
	return pool;
}

void acall_pool_free(struct acall_pool *pool)
{
	if (!pool)
		return;
	acall_pool_mask_free(pool);
	kfree(pool);
}

/*
 * The pools of a context, one after the other: *i starts at 0. Queue pools
 * are created under setup_lock and never freed before the context.
 */
struct acall_pool *acall_pool_next(struct acall_ctx *ctx, unsigned int *i)
{
	struct acall_pool *pool;

	while (*i < nr_node_ids + ctx->nr_queues) {
		if (*i < nr_node_ids)
			return &ctx->pools[(*i)++];
		/* Pairs with the release in acall_affinity_slot(). */
		pool = smp_load_acquire(&ctx->queues[*i - nr_node_ids].pool);
		(*i)++;
		if (pool)
			return pool;
	}
	return NULL;
}

/*
 * Add req to the work of a pool (a punt: count it), or cancel it if no
 * worker may start it: its queue's own pool if the queue has one, else
 * this CPU's node's, or for a hashed one (a file's buffered writes and
 * appends) the node's that set the context up: those run one at a time
 * in the order they reached their pool, so all of a file's must reach
 * one, from whatever CPU queues them. A parked request that goes on
 * (resume) returns to the pool that ran it, at the head (a hashed one at
 * its bucket's head): it started before anything waiting there, and its
 * page is read, so it only has to be copied. Once added, a worker may run
 * and free it at once, and with it the context's last reference: what
 * comes after the unlock holds one of its own.
 */
static void acall_pool_add(struct acall_req *req, bool resume,
			   enum acall_punt_reason why)
{
	struct acall_ctx *ctx = req->ctx;
	struct acall_pool *pool = NULL;
	struct acall_worker *worker, *wakee = NULL;
	unsigned long flags;
	bool spawn = false;

	/*
	 * It runs as its submitter, who that is was taken in the submitter
	 * (acall_req_detach()): one that missed it must not run at all.
	 */
	if (WARN_ON_ONCE(!req->detached))
		req->fail_res = -EIO;
	if (resume) {
		pool = req->run_pool;
	} else if (req->queue) {
		/* Pairs with the release in acall_affinity_slot(). */
		pool = smp_load_acquire(&req->queue->pool);
	}
	req->hash = acall_req_hash(req);
	if (!pool)
		pool = &ctx->pools[req->hash ? ctx->hash_node : numa_node_id()];

	spin_lock_irqsave(&pool->lock, flags);
	if (READ_ONCE(ctx->dying) ||
	    (ctx->process_workers && acall_owner_is_gone(ctx))) {
		/*
		 * Closed, or (threads of the process) its owner is gone: no
		 * worker may start anything new.
		 */
		spin_unlock_irqrestore(&pool->lock, flags);
		acall_cancel_later(req);
		return;
	}
	acall_pool_link(pool, req, resume);
	if (resume) {
		req->resumed = true;
	} else {
		this_cpu_inc(ctx->counts->punted);
		this_cpu_inc(ctx->counts->punts[why]);
	}
	WRITE_ONCE(pool->nr_queued, pool->nr_queued + 1);
	/* A worker on the same file, or one called for it, takes it. */
	worker = NULL;
	if (!acall_pool_hash_taken(pool, req->hash))
		worker = acall_pool_idle_worker(pool);
	if (worker) {
		/*
		 * Off the idle list, it is this request's: it takes the lock
		 * and finds the work whenever it wakes. Woken after the unlock:
		 * woken before, it would spin on the lock of a waker whose
		 * (virtual) CPU may be preempted right after the wake-up, a
		 * whole host time slice in a VM. Pinned until then: it does
		 * not leave (to userspace, or exit) under a late wake-up.
		 */
		list_del_init(&worker->idle_node);
		atomic_inc(&worker->wakers);
		wakee = worker;
	} else if (!acall_pool_hash_taken(pool, req->hash) &&
		   pool->nr_workers < ctx->max_workers) {
		pool->nr_workers++;
		pool->nr_to_spawn++;
		spawn = true;
		kref_get(&ctx->ref);
	}
	/* Otherwise each worker (running, away, to come) looks again. */
	if (req->hash && (wakee || spawn))
		pool->hash_claimed |= BIT_ULL(req->hash - 1);
	spin_unlock_irqrestore(&pool->lock, flags);
	if (wakee) {
		acall_inject_before_wake(wakee->task);
		wake_up_process(wakee->task);
		/* Fully ordered: the wake-up is done before it may leave. */
		if (atomic_dec_and_test(&wakee->wakers))
			wake_up_var(&wakee->wakers);
	}

	if (spawn && ctx->process_workers) {
		acall_spawn_ask(ctx);
		acall_ctx_put(ctx);
	} else if (spawn && !queue_work(acall_wq, &pool->spawn_work)) {
		acall_ctx_put(ctx);
	}
}

/*
 * Hand req to a worker (a punt) for reason why (ACALL_PUNT_*); any context,
 * interrupts included.
 */
void acall_pool_queue(struct acall_req *req, enum acall_punt_reason why)
{
	if (WARN_ON_ONCE(why >= ACALL_PUNT_NR))
		why = ACALL_PUNT_WOULD_BLOCK;
	acall_pool_add(req, false, why);
}

/*
 * A request that its op's run left waiting on a wait queue, with no thread
 * (-EIOCBQUEUED: a read waiting for its page): the wake-up and the worker
 * that ran it each let go of it once, in either order, and the last one
 * queues it again for a worker to go on with it. Set before the op arms
 * its wait.
 */
void acall_req_park(struct acall_req *req)
{
	atomic_set(&req->park_refs, 2);
}

/* Any context, interrupts included. */
void acall_req_unpark(struct acall_req *req)
{
	if (atomic_dec_and_test(&req->park_refs))
		acall_pool_add(req, true, 0);	/* no punt: why is unused */
}

/*
 * A request whose run a signal to its thread cut short goes on as a
 * parked one does: at the head of the pool that ran it, started already.
 */
void acall_req_requeue(struct acall_req *req)
{
	acall_pool_add(req, true, 0);
}

/*
 * The context is closing, or its owner is gone: cancel what has not
 * started, wake idle workers, and give back the places (and charges) of
 * threads gone back to userspace: no SERVE takes one from now on, and
 * none is kept again (acall_worker_leave()).
 */
void acall_pools_shutdown(struct acall_ctx *ctx)
{
	struct acall_worker *worker, *next;
	struct acall_pool *pool;
	unsigned int i = 0, away;

	while ((pool = acall_pool_next(ctx, &i))) {
		LIST_HEAD(canceled);

		spin_lock_irq(&pool->lock);
		list_splice_init(&pool->work, &canceled);
		acall_pool_unlink_all(pool);
		WRITE_ONCE(pool->nr_queued, 0);
		list_for_each_entry_safe(worker, next, &pool->idle, idle_node) {
			list_del_init(&worker->idle_node);
			wake_up_process(worker->task);
		}
		away = pool->nr_away;
		pool->nr_away = 0;
		pool->nr_workers -= away;
		spin_unlock_irq(&pool->lock);
		while (away--)
			acall_limits_worker_put(ctx, false);
		acall_fail_list(ctx, &canceled, -ECANCELED);
	}
	/* ACALL_IOC_SPAWN returns 0: the threads may end. */
	wake_up_all(&ctx->spawn_wait);
}

/*
 * Interrupt what workers are running for a context whose owner is gone or
 * that is closing: a signal ends whatever waits interruptibly (the calls
 * then return early, as they would for a killed caller). Kernel threads
 * only: a SIGKILL to a thread of the process would kill the process. Its
 * own threads end as its other threads do, with it; a closing context
 * lets them finish what they run, as a thread that called the blocking
 * system call itself would.
 */
void acall_pools_interrupt(struct acall_ctx *ctx)
{
	struct acall_worker *worker;
	struct acall_pool *pool;
	struct acall_req *req;
	unsigned int i = 0;

	while ((pool = acall_pool_next(ctx, &i))) {
		spin_lock_irq(&pool->lock);
		list_for_each_entry(req, &pool->running, node)
			if (req->worker->flags & PF_KTHREAD)
				send_sig(SIGKILL, req->worker, 1);
		list_for_each_entry(worker, &pool->issuing, issuing_node)
			if (!worker->thread)
				send_sig(SIGKILL, worker->task, 1);
		spin_unlock_irq(&pool->lock);
	}
}

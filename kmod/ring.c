// SPDX-License-Identifier: GPL-2.0
/*
 * The completion ring shared with userspace: allocation and mmap, slot
 * reservation (in-flight requests never outnumber free slots, so no
 * completion is ever dropped), posting, eventfd notification and waiting.
 */
#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <asm/shmparam.h>

#include "compat.h"
#include "internal.h"

/*
 * The ring's memory, charged to the memory cgroup of the process that sets
 * it up, as its own memory would be: vmalloc_user() cannot charge it (its
 * gfp is fixed). The pages are zeroed whole, so the mapping shows nothing
 * of the kernel's, which is what vmalloc_user()'s VM_USERMAP stands for.
 * On architectures whose SHMLBA is above a page (where data caches may
 * alias), the kernel's address must have the colour of the user's, which
 * only vmalloc_user() gives: there the ring stays uncharged.
 */
static void *acall_ring_vmalloc(size_t bytes)
{
	if (SHMLBA > PAGE_SIZE)
		return vmalloc_user(bytes);
	return __vmalloc(bytes, GFP_KERNEL_ACCOUNT | __GFP_ZERO | __GFP_NOWARN);
}

int acall_ring_alloc(struct acall_ctx *ctx, struct acall_params *p)
{
	size_t bytes = struct_size(ctx->ring, cqes, p->entries);
	struct acall_ring *ring;

	bytes = PAGE_ALIGN(bytes);
	ring = acall_ring_vmalloc(bytes);
	if (!ring)
		return -ENOMEM;
	ring->ring_mask = p->entries - 1;
	ring->ring_entries = p->entries;

	ctx->ring = ring;
	ctx->ring_bytes = bytes;
	p->ring_bytes = bytes;
	p->ring.head = offsetof(struct acall_ring, head);
	p->ring.tail = offsetof(struct acall_ring, tail);
	p->ring.ring_mask = offsetof(struct acall_ring, ring_mask);
	p->ring.ring_entries = offsetof(struct acall_ring, ring_entries);
	p->ring.flags = offsetof(struct acall_ring, flags);
	p->ring.cqes = offsetof(struct acall_ring, cqes);
	p->ring.resv = 0;
	return 0;
}

/* A mapping of the ring goes: maybe with the owner's memory (owner.c). */
static void acall_ring_vm_close(struct vm_area_struct *vma)
{
	acall_owner_mm_closing(vma->vm_file->private_data, vma->vm_mm);
}

static const struct vm_operations_struct acall_ring_vm_ops = {
	.close = acall_ring_vm_close,
};

int acall_ring_mmap(struct acall_ctx *ctx, struct vm_area_struct *vma)
{
	unsigned long off;
	int ret = acall_ctx_check(ctx);

	if (ret)
		return ret;
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != ctx->ring_bytes)
		return -EINVAL;
	/* A private copy would never see a completion. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/*
	 * A forked child may not use the context; it need not see it. The
	 * rest is what remap_vmalloc_range() sets, which maps only
	 * vmalloc_user() memory (acall_ring_vmalloc()): page by page instead.
	 */
	acall_vm_flags_set(vma, VM_DONTCOPY | VM_DONTEXPAND | VM_DONTDUMP);
	for (off = 0; off < ctx->ring_bytes; off += PAGE_SIZE) {
		struct page *page = vmalloc_to_page((void *)ctx->ring + off);

		ret = vm_insert_page(vma, vma->vm_start + off, page);
		if (ret)
			return ret;
	}
	vma->vm_ops = &acall_ring_vm_ops;
	return 0;
}

/*
 * Completions posted and not yet consumed. The mapping is userspace's to
 * scribble on: head is the only value read back from it, and one that is
 * not within entries of the module's own tail counts as a full ring.
 */
static u32 acall_ring_used(struct acall_ctx *ctx)
{
	unsigned long flags;
	u32 used;

	/* Pairs with __acall_ring_post(): ring->tail is there too. */
	used = smp_load_acquire(&ctx->cached_tail) - READ_ONCE(ctx->ring->head);

	if (likely(used <= ctx->entries))
		return used;
	/*
	 * An honest head may be ahead of cached_tail while a post is half
	 * done: userspace may consume the completion as soon as ring->tail
	 * shows it. Under the lock no post is, and a head still out of
	 * bounds is hostile. Taken inside cq_wait's lock by a waker, never
	 * the other way round.
	 */
	spin_lock_irqsave(&ctx->cq_lock, flags);
	used = ctx->cached_tail - READ_ONCE(ctx->ring->head);
	spin_unlock_irqrestore(&ctx->cq_lock, flags);
	return min(used, ctx->entries);
}

/*
 * Accepted requests whose completion is not posted yet, at most entries.
 * The tail is read first: every completion it counts had its slot
 * reserved, so the difference cannot go below zero.
 */
u32 acall_ring_inflight(struct acall_ctx *ctx)
{
	/* Pairs with __acall_ring_post(), and orders the next read. */
	u32 tail = smp_load_acquire(&ctx->cached_tail);

	return min((u32)atomic_read(&ctx->reserved) - tail, ctx->entries);
}

/*
 * A statistic: what was in flight when a SUBMIT reserved its slots, less
 * those it gave back unused (a batch refused or cut short took no request
 * for them). Racing calls may each raise it; the highest stays.
 */
void acall_ring_count_peak(struct acall_ctx *ctx, u32 inflight)
{
	u32 peak = READ_ONCE(ctx->inflight_peak);

	while (inflight > peak && !try_cmpxchg(&ctx->inflight_peak, &peak,
					       inflight))
		;
}

/*
 * One try at taking up to nr slots; 0 when the ring is full, or when the
 * head is not within entries of the tail (*head_bad). A slot is occupied
 * from its reservation until userspace consumes its completion: the slots
 * in use are reserved - head, whatever was posted meanwhile. reserved only
 * grows here and shrinks when unused slots are given back; userspace's
 * head moves on, or is hostile. An exchange that finds reserved as it was
 * read therefore finds at most the slots in use that were computed from
 * it, and the head is trusted only within entries of the tail read before
 * it: then nothing is in flight beyond entries.
 */
static u32 acall_ring_try_reserve(struct acall_ctx *ctx, u32 nr,
				  bool *head_bad)
{
	u32 tail, head, used, take;
	int reserved;

	do {
		/* Pairs with __acall_ring_post(), and orders the next reads. */
		tail = smp_load_acquire(&ctx->cached_tail);
		/* Read before head: a full ring was full when this was read. */
		reserved = atomic_read_acquire(&ctx->reserved);
		head = READ_ONCE(ctx->ring->head);
		*head_bad = tail - head > ctx->entries;
		if (*head_bad)
			return 0;
		used = (u32)reserved - head;
		if (used >= ctx->entries)
			return 0;
		take = min(nr, ctx->entries - used);
	} while (!atomic_try_cmpxchg(&ctx->reserved, &reserved,
				     (int)((u32)reserved + take)));
	return take;
}

/*
 * Take up to nr slots for new requests; returns how many were taken, none
 * when the ring is full or after ACALL_IOC_SHUTDOWN, and in *inflight what
 * was in flight then, these slots included. Without the ring's
 * lock, unless the head is out of bounds: read after the tail, an honest
 * one may be ahead of it (userspace consumed a completion posted
 * meanwhile, whose ring->tail is stored before cached_tail). Under the
 * lock no post is half done, and such a head is hostile.
 */
u32 acall_ring_reserve(struct acall_ctx *ctx, u32 nr, u32 *inflight)
{
	bool head_bad;
	u32 take = acall_ring_try_reserve(ctx, nr, &head_bad);

	if (unlikely(head_bad)) {
		spin_lock_irq(&ctx->cq_lock);
		take = acall_ring_try_reserve(ctx, nr, &head_bad);
		spin_unlock_irq(&ctx->cq_lock);
	}
	if (!take)
		return 0;
	/*
	 * Fully ordered by the exchange: either the wait for idle after
	 * acall_ring_shut() sees these slots taken, or this sees its flag.
	 */
	if (unlikely(READ_ONCE(ctx->shut_down))) {
		acall_ring_unreserve(ctx, take);
		return 0;
	}
	*inflight = acall_ring_inflight(ctx);
	return take;
}

void acall_ring_unreserve(struct acall_ctx *ctx, u32 nr)
{
	atomic_sub(nr, &ctx->reserved);
	/*
	 * A shutdown, or an ACALL_SUBMIT_WAIT call, may be waiting for the
	 * context to go idle: the slots never used were what kept it busy.
	 * Woken whether or not it is idle now: one more look is harmless.
	 */
	smp_mb__after_atomic();
	/* After the count: either a sleeper sees it or this sees the sleeper. */
	if (waitqueue_active(&ctx->cq_wait))
		wake_up_all(&ctx->cq_wait);
}

/* Accept no new requests: those already accepted are all counted. */
void acall_ring_shut(struct acall_ctx *ctx)
{
	WRITE_ONCE(ctx->shut_down, true);
	/* Pairs with the exchange in acall_ring_reserve(). */
	smp_mb();
	/*
	 * A WAIT asleep on a context with nothing in flight now has all
	 * there will ever be: no completion would come to wake it.
	 */
	wake_up_all(&ctx->cq_wait);
}

/*
 * Nothing in flight: no completion will come. The acquire of the tail
 * pairs with __acall_ring_post()'s release, so that whoever reads the
 * ring's tail after this finds the last completion in it.
 */
static bool acall_ring_idle(struct acall_ctx *ctx)
{
	return !acall_ring_inflight(ctx);
}

/*
 * Until every accepted request has posted its completion; -EINTR if a
 * signal handler runs first (see acall_ioctl_wait()).
 */
int acall_ring_wait_idle(struct acall_ctx *ctx)
{
	if (wait_event_interruptible(ctx->cq_wait, acall_ring_idle(ctx)))
		return -ERESTARTNOHAND;
	return 0;
}

/* One completion into the next slot; under cq_lock. */
static void __acall_ring_post(struct acall_ctx *ctx, u64 user_data, s32 res)
{
	struct acall_ring *ring = ctx->ring;
	struct acall_cqe *cqe;

	lockdep_assert_held(&ctx->cq_lock);
	/* The module's own size, never the mapping's ring_mask. */
	cqe = &ring->cqes[ctx->cached_tail & (ctx->entries - 1)];
	cqe->user_data = user_data;
	cqe->res = res;
	cqe->flags = 0;
	/* The entry is written before userspace can see the new tail. */
	smp_store_release(&ring->tail, ctx->cached_tail + 1);
	acall_inject_between_tails();
	/*
	 * Then the module's own, which a sleeper reads without the lock (but
	 * for a head past it, acall_ring_used()): one that sees a completion
	 * here finds it in ring->tail once it returns.
	 */
	smp_store_release(&ctx->cached_tail, ctx->cached_tail + 1);
	ctx->completed++;
}

/* Post one completion into the slot its request reserved. */
void acall_ring_post(struct acall_ctx *ctx, u64 user_data, s32 res)
{
	unsigned long flags;

	spin_lock_irqsave(&ctx->cq_lock, flags);
	__acall_ring_post(ctx, user_data, res);
	spin_unlock_irqrestore(&ctx->cq_lock, flags);
}

/*
 * Post the completions of first and the requests after it (linked by
 * ->batch_next, each with its ->res), in one take of the lock: a SUBMIT's
 * inline completions.
 */
void acall_ring_post_list(struct acall_ctx *ctx, struct acall_req *first)
{
	struct acall_req *req;
	unsigned long flags;

	spin_lock_irqsave(&ctx->cq_lock, flags);
	for (req = first; req; req = req->batch_next)
		__acall_ring_post(ctx, req->user_data, req->res);
	spin_unlock_irqrestore(&ctx->cq_lock, flags);
}

static void acall_eventfd_signal_work(struct work_struct *work)
{
	struct acall_ctx *ctx = container_of(work, struct acall_ctx, evfd_work);
	struct eventfd_ctx *evfd;

	rcu_read_lock();
	evfd = rcu_dereference(ctx->evfd);
	if (evfd)
		acall_eventfd_signal(evfd);
	rcu_read_unlock();
	acall_ctx_put(ctx);
}

/*
 * Signal the eventfd (unless muted, or a quiet SUBMIT runs) for completions
 * already posted; what waits in WAIT is woken by whoever posted them. Any
 * context.
 */
void acall_ring_signal_eventfd(struct acall_ctx *ctx)
{
	struct eventfd_ctx *evfd;

	/*
	 * Order the tail posted before this against the flag and the count
	 * read below: userspace that unmutes and then looks at the tail, or
	 * whose quiet SUBMIT ends (the barrier after its decrement), cannot
	 * miss both the entry and a signal.
	 */
	smp_mb();
	if (READ_ONCE(ctx->ring->flags) & ACALL_RING_EVENTFD_MUTED)
		return;
	/* An ACALL_SUBMIT_QUIET caller reads the ring once its call returns. */
	if (atomic_read(&ctx->quiet_submits))
		return;
	rcu_read_lock();
	evfd = rcu_dereference(ctx->evfd);
	if (evfd) {
		/*
		 * A completion interrupting an eventfd signal on this CPU must
		 * not signal recursively; a work item does it instead.
		 */
		if (eventfd_signal_allowed()) {
			acall_eventfd_signal(evfd);
		} else {
			kref_get(&ctx->ref);
			if (!queue_work(acall_wq, &ctx->evfd_work))
				acall_ctx_put(ctx);
		}
	}
	rcu_read_unlock();
}

/*
 * Tell the eventfd and waiters that completions arrived. The entries are
 * already visible in the ring: signalling after them is what lets an event
 * loop that read the eventfd and found the ring empty go back to sleep
 * without missing one.
 */
void acall_ring_notify(struct acall_ctx *ctx)
{
	acall_ring_signal_eventfd(ctx);
	/* The barrier atop acall_ring_signal_eventfd() orders the tail. */
	if (waitqueue_active(&ctx->cq_wait))
		wake_up_all(&ctx->cq_wait);
}

/*
 * Tell waiters, not the eventfd: for what an ACALL_SUBMIT_QUIET call posted
 * itself (its caller finds those in the ring when the call returns, and a
 * signal would only cost it a wake-up and a read of the eventfd), and for
 * a busy worker's completions, whose signal it holds back (pool.c).
 */
void acall_ring_wake_waiters(struct acall_ctx *ctx)
{
	/* Orders the tail posted before this against the check below. */
	smp_mb();
	/* Either a waiter sees the new tail or this sees the waiter. */
	if (waitqueue_active(&ctx->cq_wait))
		wake_up_all(&ctx->cq_wait);
}

/* The ring's tail has reached target (a wrapping count of completions). */
static bool acall_ring_reached(struct acall_ctx *ctx, u32 target)
{
	/* Pairs with __acall_ring_post(), as in acall_ring_used(). */
	return (s32)(smp_load_acquire(&ctx->cached_tail) - target) >= 0;
}

/*
 * Someone asleep in WAIT or SUBMIT_WAIT. Each completion wakes cq_wait;
 * the waker tests the sleeper's own condition first, so a sleeper that
 * wants many completions is woken once, when they are there, and not to
 * find too few and sleep again at each one (io_uring's io_wake_function).
 */
struct acall_ring_waiter {
	struct wait_queue_entry wait;
	struct acall_ctx *ctx;
	bool submitted;	/* SUBMIT_WAIT: until the tail reaches target */
	u32 target;
	u32 nr;		/* WAIT: until nr completions are in the ring */
};

/*
 * Whether the waiter may return; in the sleeper's context and the waker's
 * (under cq_wait's lock, never cq_lock's). Read without cq_lock, but for
 * a head past the tail (acall_ring_used()): whatever makes this true (a
 * post, slots given back, a shutdown) wakes cq_wait after its write.
 */
static bool acall_ring_waiter_done(struct acall_ring_waiter *w)
{
	struct acall_ctx *ctx = w->ctx;

	/* With nothing in flight, nothing more can come. */
	if (w->submitted)
		return acall_ring_reached(ctx, w->target) ||
		       acall_ring_idle(ctx);
	/* Shut down with nothing in flight: what there is, rather than never. */
	return acall_ring_used(ctx) >= w->nr ||
	       (READ_ONCE(ctx->shut_down) && acall_ring_idle(ctx));
}

static int acall_ring_wake_waiter(struct wait_queue_entry *wait,
				  unsigned int mode, int sync, void *key)
{
	struct acall_ring_waiter *w = container_of(wait, struct acall_ring_waiter,
						   wait);

	lockdep_assert_not_held(&w->ctx->cq_lock);
	if (!acall_ring_waiter_done(w))
		return 0;
	return autoremove_wake_function(wait, mode, sync, key);
}

/*
 * A timeout of none: negative, or KTIME_MAX, which arms no timer as in
 * wait_event_interruptible_hrtimeout().
 */
static bool acall_ring_no_timeout(s64 timeout_ns)
{
	return timeout_ns < 0 || timeout_ns == KTIME_MAX;
}

/*
 * Sleep until the waiter is done: 0, -ERESTARTSYS on a signal, or -ETIME
 * once timeout_ns (acall_ring_no_timeout(): none) has passed.
 */
static int acall_ring_sleep(struct acall_ring_waiter *w, s64 timeout_ns)
{
	struct acall_ctx *ctx = w->ctx;
	bool forever = acall_ring_no_timeout(timeout_ns);
	bool expired = false;
	ktime_t expires = 0;
	int ret = 0;

	might_sleep();
	/* Done already (inline completions, say): no queue, no clock. */
	if (acall_ring_waiter_done(w))
		return 0;
	/*
	 * A poll: a timer at now would still sleep out the thread's timer
	 * slack (its hard expiry) before saying so.
	 */
	if (!timeout_ns)
		return -ETIME;
	if (!forever)
		expires = ktime_add_safe(ktime_get(), ns_to_ktime(timeout_ns));
	init_waitqueue_func_entry(&w->wait, acall_ring_wake_waiter);
	w->wait.private = current;
	INIT_LIST_HEAD(&w->wait.entry);
	/* Checked in wait_event_interruptible_hrtimeout()'s order. */
	for (;;) {
		prepare_to_wait(&ctx->cq_wait, &w->wait, TASK_INTERRUPTIBLE);
		if (acall_ring_waiter_done(w))
			break;
		if (signal_pending(current)) {
			ret = -ERESTARTSYS;
			break;
		}
		if (expired) {
			ret = -ETIME;
			break;
		}
		if (forever)
			schedule();
		else
			expired = !schedule_hrtimeout_range(&expires,
							   current->timer_slack_ns,
							   HRTIMER_MODE_ABS);
	}
	finish_wait(&ctx->cq_wait, &w->wait);
	return ret;
}

/*
 * ACALL_SUBMIT_WAIT, once its call took its requests: sleep until the ring
 * holds nr completions past its head as it stands now (those already there
 * count, and so do those another thread reaps meanwhile), or none is in
 * flight (nothing more can come), or a signal. The head is userspace's: a
 * bogus one only moves this caller's own target, and idle still ends it.
 */
void acall_ring_wait_submitted(struct acall_ctx *ctx, u32 nr)
{
	struct acall_ring_waiter w = {
		.ctx = ctx,
		.submitted = true,
		.target = READ_ONCE(ctx->ring->head) + nr,
	};

	/* Ended by a signal: delivered on return, with what is ready. */
	acall_ring_sleep(&w, -1);
}

long acall_ioctl_wait(struct acall_ctx *ctx, struct acall_wait __user *arg)
{
	struct acall_ring_waiter w = { .ctx = ctx };
	struct acall_wait a;
	long ret;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if (a.flags || a.resv || !a.min_complete || a.min_complete > ctx->entries)
		return -EINVAL;

	w.nr = a.min_complete;
	ret = acall_ring_sleep(&w, a.timeout_ns);
	/*
	 * Woken for what runs no handler (task work such as io_uring's
	 * completions for this thread, a stop, the freezer), a wait without
	 * a timeout goes on once the thread has been back to userspace for
	 * it: -EINTR only if a handler ran, as poll() answers. A timed one
	 * cannot restart with the time it has left: -EINTR, as epoll_wait().
	 */
	if (ret == -ERESTARTSYS)
		return acall_ring_no_timeout(a.timeout_ns) ? -ERESTARTNOHAND :
							     -EINTR;
	if (ret)
		return ret;
	return acall_ring_used(ctx);
}

long acall_ioctl_eventfd(struct acall_ctx *ctx, s32 __user *arg)
{
	struct eventfd_ctx *evfd = NULL, *old;
	s32 fd;

	if (get_user(fd, arg))
		return -EFAULT;
	if (fd != -1) {
		evfd = eventfd_ctx_fdget(fd);
		if (IS_ERR(evfd))
			return PTR_ERR(evfd);
	}
	mutex_lock(&ctx->setup_lock);
	old = rcu_replace_pointer(ctx->evfd, evfd,
				  lockdep_is_held(&ctx->setup_lock));
	mutex_unlock(&ctx->setup_lock);
	if (old) {
		synchronize_rcu();
		eventfd_ctx_put(old);
	}
	return 0;
}

void acall_eventfd_release(struct acall_ctx *ctx)
{
	struct eventfd_ctx *evfd = rcu_dereference_protected(ctx->evfd, true);

	if (evfd)
		eventfd_ctx_put(evfd);
}

void acall_ring_init_work(struct acall_ctx *ctx)
{
	INIT_WORK(&ctx->evfd_work, acall_eventfd_signal_work);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * The completion ring shared with userspace: allocation and mmap, slot
 * reservation (in-flight requests never outnumber free slots, so no
 * completion is ever dropped), posting, eventfd notification and waiting.
 */
#include <linux/eventfd.h>
#include <linux/hrtimer.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "internal.h"

int acall_ring_alloc(struct acall_ctx *ctx, struct acall_params *p)
{
	size_t bytes = struct_size(ctx->ring, cqes, p->entries);
	struct acall_ring *ring;

	bytes = PAGE_ALIGN(bytes);
	ring = vmalloc_user(bytes);
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

int acall_ring_mmap(struct acall_ctx *ctx, struct vm_area_struct *vma)
{
	int ret = acall_ctx_check(ctx);

	if (ret)
		return ret;
	if (vma->vm_pgoff || vma->vm_end - vma->vm_start != ctx->ring_bytes)
		return -EINVAL;
	/* A private copy would never see a completion. */
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	/* A forked child may not use the context; it need not see it. */
	acall_vm_flags_set(vma, VM_DONTCOPY);
	return remap_vmalloc_range(vma, ctx->ring, 0);
}

/*
 * Completions posted and not yet consumed. The mapping is userspace's to
 * scribble on: head is the only value read back from it, and one that is
 * not within entries of the module's own tail counts as a full ring.
 */
static u32 acall_ring_used(struct acall_ctx *ctx)
{
	u32 used = READ_ONCE(ctx->cached_tail) - READ_ONCE(ctx->ring->head);

	return min(used, ctx->entries);
}

/*
 * Take up to nr slots for new requests; returns how many were taken, none
 * after ACALL_IOC_SHUTDOWN.
 */
u32 acall_ring_reserve(struct acall_ctx *ctx, u32 nr)
{
	u32 room, take;

	spin_lock_irq(&ctx->cq_lock);
	if (unlikely(ctx->shut_down)) {
		spin_unlock_irq(&ctx->cq_lock);
		return 0;
	}
	room = ctx->entries - acall_ring_used(ctx);
	room = room > ctx->inflight ? room - ctx->inflight : 0;
	take = min(nr, room);
	ctx->inflight += take;
	if (ctx->inflight > ctx->inflight_peak)
		ctx->inflight_peak = ctx->inflight;
	spin_unlock_irq(&ctx->cq_lock);
	return take;
}

void acall_ring_unreserve(struct acall_ctx *ctx, u32 nr)
{
	bool idle;

	spin_lock_irq(&ctx->cq_lock);
	ctx->inflight -= nr;
	idle = !ctx->inflight;
	spin_unlock_irq(&ctx->cq_lock);
	/*
	 * A shutdown, or an ACALL_SUBMIT_WAIT call, may be waiting for the
	 * context to go idle: the slots never used were what kept it busy.
	 */
	if (idle)
		wake_up_all(&ctx->cq_wait);
}

/* Accept no new requests: those already accepted are all counted. */
void acall_ring_shut(struct acall_ctx *ctx)
{
	spin_lock_irq(&ctx->cq_lock);
	WRITE_ONCE(ctx->shut_down, true);
	spin_unlock_irq(&ctx->cq_lock);
	/*
	 * A WAIT asleep on a context with nothing in flight now has all
	 * there will ever be: no completion would come to wake it.
	 */
	wake_up_all(&ctx->cq_wait);
}

static bool acall_ring_idle(struct acall_ctx *ctx)
{
	bool idle;

	spin_lock_irq(&ctx->cq_lock);
	idle = !ctx->inflight;
	spin_unlock_irq(&ctx->cq_lock);
	return idle;
}

/* Until every accepted request has posted its completion; or -EINTR. */
int acall_ring_wait_idle(struct acall_ctx *ctx)
{
	if (wait_event_interruptible(ctx->cq_wait, acall_ring_idle(ctx)))
		return -EINTR;
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
	WRITE_ONCE(ctx->cached_tail, ctx->cached_tail + 1);
	/* The entry is written before userspace can see the new tail. */
	smp_store_release(&ring->tail, ctx->cached_tail);
	ctx->inflight--;
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
 * Post the completions of the requests on reqs (linked by ->node, each
 * with its ->res), in one take of the lock: a SUBMIT's inline completions.
 */
void acall_ring_post_list(struct acall_ctx *ctx, struct list_head *reqs)
{
	struct acall_req *req;
	unsigned long flags;

	spin_lock_irqsave(&ctx->cq_lock, flags);
	list_for_each_entry(req, reqs, node)
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

/*
 * nr completions to reap, or no more will come: shut down with nothing in
 * flight, a WAIT returns what there is rather than sleep for good.
 */
static bool acall_ring_has(struct acall_ctx *ctx, u32 nr)
{
	return acall_ring_used(ctx) >= nr ||
	       (READ_ONCE(ctx->shut_down) && acall_ring_idle(ctx));
}

/* The ring's tail has reached target (a wrapping count of completions). */
static bool acall_ring_reached(struct acall_ctx *ctx, u32 target)
{
	return (s32)(READ_ONCE(ctx->cached_tail) - target) >= 0;
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
	u32 target = READ_ONCE(ctx->ring->head) + nr;

	/* Ended by a signal: delivered on return, with what is ready. */
	wait_event_interruptible(ctx->cq_wait,
				 acall_ring_reached(ctx, target) ||
				 acall_ring_idle(ctx));
}

long acall_ioctl_wait(struct acall_ctx *ctx, struct acall_wait __user *arg)
{
	struct acall_wait w;
	long ret;

	if (copy_from_user(&w, arg, sizeof(w)))
		return -EFAULT;
	if (w.flags || w.resv || !w.min_complete || w.min_complete > ctx->entries)
		return -EINVAL;

	if (w.timeout_ns < 0)
		ret = wait_event_interruptible(ctx->cq_wait,
					       acall_ring_has(ctx, w.min_complete));
	else
		ret = wait_event_interruptible_hrtimeout(ctx->cq_wait,
							 acall_ring_has(ctx, w.min_complete),
							 ns_to_ktime(w.timeout_ns));
	if (ret == -ERESTARTSYS)
		return -EINTR;
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

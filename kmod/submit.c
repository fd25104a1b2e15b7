// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_IOC_SUBMIT: take a batch of requests, check each, and start each the
 * cheapest way that cannot block the submitter: inline, as an async kiocb,
 * or through the worker pool. LINK chains are taken whole or not at all.
 */
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/nospec.h>
#include <linux/poison.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"
#include "acall_trace.h"

/*
 * SQEs read from user at once: 256 bytes of stack, and a quarter of the
 * user access windows for a batch.
 */
#define ACALL_SUBMIT_CHUNK	4

static struct kmem_cache *acall_req_cache;

int acall_submit_init(void)
{
	/* User iovecs are copied into fast_iov (rw.c): a usercopy region. */
	acall_req_cache = KMEM_CACHE_USERCOPY(acall_req, SLAB_ACCOUNT, fast_iov);
	return acall_req_cache ? 0 : -ENOMEM;
}

void acall_submit_exit(void)
{
	kmem_cache_destroy(acall_req_cache);
}

/*
 * Whether a request's memory is used again without the slab between (a
 * call's done requests, the context's spare): not under KASAN, which sees
 * a use after free only through the slab.
 */
#define ACALL_REQ_REUSE		(!IS_ENABLED(CONFIG_KASAN))

/*
 * Free req's memory, or keep it as ctx's spare if that is empty; in any
 * context.
 */
static void acall_req_free(struct acall_ctx *ctx, struct acall_req *req)
{
	struct acall_req *spare = READ_ONCE(ctx->spare_req);

	/* Freed twice: the slab would not see it, so leak it, loudly. */
	if (WARN_ON_ONCE(spare == req))
		return;
	/* Only an empty spare is written: its cache line stays shared. */
	if (ACALL_REQ_REUSE && !spare &&
	    try_cmpxchg(&ctx->spare_req, &spare, req))
		return;
	kmem_cache_free(acall_req_cache, req);
}

/* When ctx goes: nothing can take or give back its spare any more. */
void acall_req_spare_free(struct acall_ctx *ctx)
{
	if (ctx->spare_req)
		kmem_cache_free(acall_req_cache, ctx->spare_req);
}

/* Drop what req holds besides its memory and its submitter's identity. */
static void acall_req_drop(struct acall_req *req)
{
	if (req->need_cleanup)
		req->op->cleanup(req);
	if (req->file)
		fput(req->file);
}

void acall_req_put(struct acall_req *req)
{
	struct acall_ctx *ctx = req->ctx;
	bool detached;

	/*
	 * The only reference is the caller's (a request that completed
	 * inline, the common case): nobody can take another (the one other
	 * reference, acall_rw_issue_async()'s, is taken by a holder), so no
	 * atomic RMW. The acquire pairs with the decrements of earlier holders.
	 */
	if (atomic_read_acquire(&req->refs) != 1 &&
	    !atomic_dec_and_test(&req->refs))
		return;
	detached = req->detached;

	acall_req_drop(req);
	if (detached)
		acall_identity_put(ctx, &req->id);
	/*
	 * ctx is still here: a detached request's own reference keeps it, and
	 * any other one is put only inside its SUBMIT, whose file does.
	 */
	acall_req_free(ctx, req);
	if (detached)
		acall_ctx_put(ctx);
}

/*
 * req may leave its SUBMIT call: run in a worker, go out as an async kiocb,
 * start from another request's completion. It takes along what it needs
 * there: its submitter's identity and a reference to the context (a request
 * that is not detached is put only inside its SUBMIT, which holds ctx). Only in
 * the submitter, before anything else can start req (cancel may already
 * find it on a held list, which only marks it). A request that completes
 * inline needs neither (the call holds the context, and the submitter is
 * current), and so pays for neither. Idempotent.
 */
void acall_req_detach(struct acall_req *req)
{
	if (req->detached)
		return;
	/* A worker's identity is never a request's. */
	if (WARN_ON_ONCE(current->flags & PF_KTHREAD))
		return;
	req->detached = true;
	kref_get(&req->ctx->ref);
	acall_identity_take(req->ctx, &req->id);
}

/*
 * The result of a request that stops without running (any further), for
 * reason err. One refused at submission keeps its own errno, whichever
 * path gets to it; one that an earlier attempt already moved bytes for
 * completes with those, since the file shows them (a read or write
 * continued by a worker after a partial inline or kiocb attempt). Only one
 * that never started counts as canceled.
 */
long acall_req_end_res(struct acall_req *req, int err)
{
	if (req->fail_res)
		return req->fail_res;
	if (req->done)
		return req->done;
	if (err == -ECANCELED)
		this_cpu_inc(req->ctx->counts->canceled);
	return err;
}

/* After the completion is posted: what waited for this request may go. */
static void acall_req_finish(struct acall_req *req, long res)
{
	acall_order_done(req, res);
	acall_req_put(req);
}

/*
 * Post req's completion, nothing more. Its tracepoint comes first: once
 * the completion is visible, so is the event.
 */
void acall_req_post(struct acall_req *req, long res)
{
	trace_acall_complete(req->ctx, req->user_data, res, req->submit_ns);
	acall_ring_post(req->ctx, req->user_data, res);
}

/* Post the result without waking anyone: the caller notifies once. */
void acall_req_complete(struct acall_req *req, long res)
{
	acall_req_post(req, res);
	acall_req_finish(req, res);
}

/* Post the result and tell waiters and the eventfd. */
void acall_req_complete_notify(struct acall_req *req, long res)
{
	acall_req_post(req, res);
	acall_ring_notify(req->ctx);
	acall_req_finish(req, res);
}

/* What one ACALL_IOC_SUBMIT call carries from one request to the next. */
struct acall_batch {
	struct acall_ctx *ctx;
	bool quiet;			/* ACALL_SUBMIT_QUIET */
	struct acall_req *chain_head;	/* requests whose submission gate */
	struct acall_req *chain_tail;	/* is still closed, linked by ->link */
	bool posted;			/* posted since the last announce */
	u32 inline_done;		/* counted once for the batch */
	u64 inline_room;		/* bytes it may still copy inline */
	struct acall_sqe *chain;	/* the chain read ahead of its start */
	u32 chain_size;			/* entries chain has room for */
	/*
	 * Singly linked by ->batch_next, as io_uring's completion list: only
	 * this call sees them, and a list_head would have each add and del
	 * checked out of line (CONFIG_DEBUG_LIST, on in Debian's kernels).
	 */
	struct acall_req *done;		/* completed inline, not yet posted, */
	struct acall_req **done_tail;	/* in the order they completed */
	u32 nr_done;
	struct acall_req *free;		/* requests to use again, this call's */
};

/*
 * Inline completions posted at once, io_uring's completion batching: one
 * take of the ring's lock for several. Few enough that their requests are
 * soon used again.
 */
#define ACALL_BATCH_DONE_MAX	8

/*
 * Tell whoever waits of what this call posted so far: the eventfd and the
 * threads in WAIT, or only those for a quiet call (its caller reads the
 * ring when the call returns). Before the call goes on: its next request
 * may take page faults on its buffers and wait for them (a userfaultfd
 * range, a FUSE file), and a thread waiting for what is in the ring
 * already must not wait for that too.
 */
static void acall_batch_announce(struct acall_batch *b)
{
	b->posted = false;
	if (b->quiet)
		acall_ring_wake_waiters(b->ctx);
	else
		acall_ring_notify(b->ctx);
}

/*
 * Post the batch's pending inline completions, then let what waited for
 * them go; their requests are used again by this call. Before anything
 * that may wait for them (an ORDERED request), and at the end of the call.
 */
static void acall_batch_flush(struct acall_batch *b)
{
	struct acall_req *req, *next;

	if (!b->done)
		return;
	for (req = b->done; req; req = req->batch_next)
		trace_acall_complete(b->ctx, req->user_data, req->res,
				     req->submit_ns);
	acall_ring_post_list(b->ctx, b->done);
	acall_batch_announce(b);
	for (req = b->done; req; req = next) {
		next = req->batch_next;
		acall_order_done(req, req->res);
		/* Nobody else can have a reference: see acall_batch_complete(). */
		acall_req_drop(req);
		if (ACALL_REQ_REUSE) {
			req->batch_next = b->free;
			b->free = req;
		} else {
			kmem_cache_free(acall_req_cache, req);
		}
	}
	b->done = NULL;
	b->done_tail = &b->done;
	b->nr_done = 0;
}

/*
 * req completed inline with res. One of a chain or an ORDERED one posts
 * now: others wait for it. Any other one is posted with the batch's next
 * flush: it is in no list, cancel cannot find it, and its only reference
 * is this call's. Returns true if it posted req's completion now.
 */
static bool acall_batch_complete(struct acall_batch *b, struct acall_req *req,
				 long res)
{
	if (req->link || (req->flags & ACALL_SQE_ORDERED) || req->detached ||
	    atomic_read(&req->refs) != 1) {
		acall_req_complete(req, res);
		return true;
	}
	req->res = res;
	req->batch_next = NULL;
	*b->done_tail = req;
	b->done_tail = &req->batch_next;
	/* The flush announces what it posts. */
	if (++b->nr_done == ACALL_BATCH_DONE_MAX)
		acall_batch_flush(b);
	return false;
}

static int acall_req_prep(struct acall_req *req, const struct acall_sqe *sqe)
{
	const struct acall_op_def *op;
	struct file *file;

	if (sqe->opcode >= ACALL_OP_LAST)
		return -EINVAL;
	/* Indexes the caller chooses are not followed past the check. */
	op = &acall_op_defs[array_index_nospec(sqe->opcode, ACALL_OP_LAST)];
	req->op = op;
	if ((sqe->flags & ~(ACALL_SQE_ORDERED | ACALL_SQE_LINK)) ||
	    sqe->queue >= req->ctx->nr_queues || sqe->resv[0] || sqe->resv[1])
		return -EINVAL;
	if (op->needs_file) {
		file = acall_file_get(sqe->fd);
		if (IS_ERR(file))
			return PTR_ERR(file);
		req->file = file;
	} else if (sqe->fd) {
		return -EINVAL;
	}
	return op->prep(req, sqe);
}

/*
 * The try of a request whose gates are all open: the one place that
 * decides how it goes on, wherever it starts; issue_flags say where. In
 * the submitter (ACALL_ISSUE_SUBMITTER) it never blocks, and may complete
 * inline, taking what it copies out of *room, the bytes its SUBMIT may
 * still copy inline. In a worker (ACALL_ISSUE_WORKER; *room is 0: nothing
 * is copied inline there, so a buffered one with bytes to move is run,
 * unless RWF_NOWAIT makes the try its result) it is a request
 * released by a barrier or a link, or one the submitter could not send
 * without blocking (req->worker_try): an O_DIRECT one goes out as an async
 * kiocb even if that blocks on a lock first, and leaves the worker free
 * while its I/O runs, as io-wq issues it. Returns ACALL_TRY_DONE
 * with its result in *res, ACALL_TRY_QUEUED once it is in flight (req may
 * already be completed and gone), or ACALL_TRY_PUNT when a thread must do
 * it, req->punt saying why.
 */
static __always_inline enum acall_try
__acall_req_try(struct acall_req *req, unsigned int issue_flags, u64 *room,
		long *res)
{
	struct acall_ctx *ctx = req->ctx;
	long ret;

	if (!req->op->issue) {
		req->punt = ACALL_PUNT_BLOCKING_OP;
		return ACALL_TRY_PUNT;
	}
	/* The op takes what it copies inline out of inline_room. */
	req->inline_room = *room;
	/* An -EAGAIN that the op does not explain. */
	req->punt = ACALL_PUNT_WOULD_BLOCK;
	ret = req->op->issue(req, issue_flags);
	if (ret == -EIOCBQUEUED) {
		/* Whoever called holds the context, not req. */
		this_cpu_inc(ctx->counts->async_kiocb);
		return ACALL_TRY_QUEUED;
	}
	*room = req->inline_room;
	/* An RWF_NOWAIT request's -EAGAIN is its result, never a thread's. */
	if (ret == -EAGAIN && !req->user_nowait)
		return ACALL_TRY_PUNT;
	*res = ret;
	return ACALL_TRY_DONE;
}

/* A worker's try (pool.c); the submitter's path has its own inline. */
enum acall_try acall_req_try_worker(struct acall_req *req, long *res)
{
	u64 room = 0;

	return __acall_req_try(req, ACALL_ISSUE_WORKER, &room, res);
}

/*
 * Start a request whose gates are all open, in the submitter: inline if it
 * can complete without blocking, as an async kiocb, or through the pool.
 * Returns true if its completion was posted here and is still to be
 * announced (acall_batch_announce()); one held for the batch's next flush
 * is announced there.
 */
static bool acall_req_start(struct acall_req *req, struct acall_batch *b)
{
	struct acall_ctx *ctx = req->ctx;
	long res;

	/* Nothing starts after close, ACALL_IOC_SHUTDOWN or the owner's end. */
	if (unlikely(req->fail_res || READ_ONCE(req->canceled) ||
		     READ_ONCE(ctx->dying) || acall_owner_is_gone(ctx))) {
		acall_req_complete(req, acall_req_end_res(req, -ECANCELED));
		return true;
	}
	/* Inline here: the path of every request. */
	switch (__acall_req_try(req, ACALL_ISSUE_SUBMITTER, &b->inline_room,
				&res)) {
	case ACALL_TRY_QUEUED:
		return false;
	case ACALL_TRY_DONE:
		trace_acall_issue(ctx, req->user_data, ACALL_PATH_INLINE);
		b->inline_done++;
		return acall_batch_complete(b, req, res);
	case ACALL_TRY_PUNT:
		break;
	}
	acall_req_detach(req);
	acall_pool_queue(req, req->punt);
	return false;
}

/*
 * Open the submission's gate of req, in the submitter: if it was the last,
 * req starts here and may complete inline. Returns true if a completion
 * was posted here and is still to be announced.
 */
static bool acall_req_open_submit_gate(struct acall_req *req,
				       struct acall_batch *b)
{
	/*
	 * Others still closed: whoever opens the last one starts req, maybe
	 * outside the submitter. Gates are added only before this one opens,
	 * so when one is left, it is this one.
	 */
	if (atomic_read(&req->gates) > 1)
		acall_req_detach(req);
	if (!acall_req_open_gate(req))
		return false;
	return acall_req_start(req, b);
}

/* Open the submission gate of every request of the pending chain, in order. */
static void acall_batch_end_chain(struct acall_batch *b)
{
	struct acall_req *req = b->chain_head, *next;

	b->chain_head = NULL;
	b->chain_tail = NULL;
	while (req) {
		/* Its successor holds a gate of its own: still here after. */
		next = req->link;
		if (b->posted)
			acall_batch_announce(b);
		b->posted |= acall_req_open_submit_gate(req, b);
		req = next;
	}
}

/*
 * A request for sqe: one this call completed inline, the context's spare,
 * or a new one.
 */
static struct acall_req *acall_req_alloc(struct acall_batch *b,
					 const struct acall_sqe *sqe)
{
	struct acall_ctx *ctx = b->ctx;
	struct acall_req *req;

	req = b->free;
	if (req)
		b->free = req->batch_next;
	else if (READ_ONCE(ctx->spare_req))
		req = xchg(&ctx->spare_req, NULL);
	if (req) {
		/* Zeroed up to what is written before it is read. */
		memset(req, 0, ACALL_REQ_ZEROED);
	} else {
		req = kmem_cache_zalloc(acall_req_cache, GFP_KERNEL);
		if (!req)
			return NULL;
		/*
		 * Where none is used again, start each as one used again
		 * might, with nothing of use past the zeroed part: a read
		 * there before the write is likelier to fail a test.
		 */
		if (!ACALL_REQ_REUSE)
			memset((char *)req + ACALL_REQ_ZEROED, POISON_INUSE,
			       sizeof(*req) - ACALL_REQ_ZEROED);
	}
	req->ctx = ctx;
	atomic_set(&req->refs, 1);
	/* The submission's own gate, opened at the end of its chain. */
	atomic_set(&req->gates, 1);
	req->user_data = sqe->user_data;
	req->flags = sqe->flags;
	req->submit_cpu = raw_smp_processor_id();
	/* The clock is read only for a latency someone is tracing. */
	if (trace_acall_complete_enabled())
		req->submit_ns = ktime_get_ns();
	return req;
}

/*
 * Take one request, allocated for sqe, into the batch: check it, link it,
 * admit it.
 */
static void acall_submit_one(struct acall_ctx *ctx, struct acall_batch *b,
			     const struct acall_sqe *sqe, struct acall_req *req)
{
	bool in_chain = b->chain_tail || (sqe->flags & ACALL_SQE_LINK);
	int ret;

	trace_acall_submit(ctx, sqe);
	ret = acall_req_prep(req, sqe);
	if (ret && !in_chain) {
		acall_req_complete(req, ret);
		b->posted = true;
		return;
	}
	if (b->chain_tail)
		acall_link(b->chain_tail, req);
	if (ret) {
		/* Its error is its result, posted in its turn in the chain. */
		req->fail_res = ret;
	} else {
		if (req->flags & ACALL_SQE_ORDERED)
			this_cpu_inc(ctx->counts->ordered);
		if (req->flags & ACALL_SQE_LINK)
			this_cpu_inc(ctx->counts->linked);
		req->queue = &ctx->queues[array_index_nospec(sqe->queue,
							     ctx->nr_queues)];
		/* A barrier waits for every earlier request: post them. */
		if (req->flags & ACALL_SQE_ORDERED)
			acall_batch_flush(b);
		acall_queue_admit(req);
	}

	if (!b->chain_head)
		b->chain_head = req;
	b->chain_tail = req;
}

/*
 * Copy a struct made of u64 words (an SQE, the SUBMIT arguments, an
 * iovec) from userspace in one user access window: copy_from_user() costs
 * several times these few loads, on every request's path. An unaligned one
 * takes copy_from_user(), which any architecture can do. Returns 0 or
 * -EFAULT.
 */
int acall_copy_words(void *dst, const void __user *src, size_t size)
{
	const u64 __user *from = src;
	u64 *to = dst;
	size_t i;

	BUILD_BUG_ON(sizeof(struct acall_sqe) % sizeof(u64) ||
		     sizeof(struct acall_submit) % sizeof(u64));
	if (WARN_ON_ONCE(size % sizeof(u64)))
		return -EFAULT;
	if (!IS_ALIGNED((unsigned long)src, sizeof(u64)))
		return copy_from_user(dst, src, size) ? -EFAULT : 0;
	might_fault();
	if (!user_access_begin(src, size))
		return -EFAULT;
	for (i = 0; i < size / sizeof(u64); i++)
		unsafe_get_user(to[i], &from[i], efault);
	user_access_end();
	return 0;
efault:
	user_access_end();
	return -EFAULT;
}

/*
 * Read up to ACALL_SUBMIT_CHUNK of the nr SQEs at usqes into chunk, in one
 * user access window rather than one each. When they cannot all be read,
 * only the first is tried, so that a batch that runs into an unmapped page
 * still takes every request before it. Returns how many it read, 0 for
 * -EFAULT.
 */
static u32 acall_chunk_read(struct acall_sqe *chunk,
			    const struct acall_sqe __user *usqes, u32 nr)
{
	nr = min_t(u32, nr, ACALL_SUBMIT_CHUNK);
	if (!acall_copy_words(chunk, usqes, nr * sizeof(*chunk)))
		return nr;
	if (nr > 1 && !acall_copy_words(chunk, usqes, sizeof(*chunk)))
		return 1;
	return 0;
}

/* Make room for at least n sqes in b->chain, keeping the first n - 1. */
static int acall_chain_grow(struct acall_batch *b, u32 n, u32 limit)
{
	struct acall_sqe *chain;
	u32 size;

	if (n <= b->chain_size)
		return 0;
	size = min(max(b->chain_size * 2, 8U), limit);
	chain = kvmalloc_array(size, sizeof(*chain), GFP_KERNEL_ACCOUNT);
	if (!chain)
		return -ENOMEM;
	if (b->chain)
		memcpy(chain, b->chain, (n - 1) * sizeof(*chain));
	kvfree(b->chain);
	b->chain = chain;
	b->chain_size = size;
	return 0;
}

/*
 * Copy the chain that starts with *first, the request at usqes[0], into
 * b->chain: up to its first member without LINK, or to the end of the
 * batch (nr requests from usqes on). Each member is read once; only these
 * copies are looked at from here on. Returns the chain's length, or
 * limit + 1 as soon as it is known to be longer than limit (at most the
 * ring's size), or -EFAULT or -ENOMEM.
 */
static long acall_chain_read(struct acall_ctx *ctx, struct acall_batch *b,
			     const struct acall_sqe *first,
			     const struct acall_sqe __user *usqes, u32 nr,
			     u32 limit)
{
	u32 len = 1;
	int ret;

	ret = acall_chain_grow(b, 1, ctx->entries);
	if (ret)
		return ret;
	b->chain[0] = *first;
	while (len < nr && (b->chain[len - 1].flags & ACALL_SQE_LINK)) {
		if (len == limit)
			return limit + 1;
		ret = acall_chain_grow(b, len + 1, ctx->entries);
		if (ret)
			return ret;
		if (acall_copy_words(&b->chain[len], &usqes[len],
				     sizeof(*b->chain)))
			return -EFAULT;
		len++;
	}
	return len;
}

/*
 * A request for each of the len members of b->chain, on list; all or none
 * (-ENOMEM), so that a chain never starts in part.
 */
static int acall_chain_alloc(struct acall_ctx *ctx, struct acall_batch *b,
			     u32 len, struct list_head *list)
{
	struct acall_req *req, *next;
	u32 j;

	for (j = 0; j < len; j++) {
		req = acall_req_alloc(b, &b->chain[j]);
		if (!req)
			goto fail;
		list_add_tail(&req->node, list);
	}
	return 0;
fail:
	list_for_each_entry_safe(req, next, list, node) {
		list_del(&req->node);
		acall_req_put(req);
	}
	return -ENOMEM;
}

/*
 * Whether the batch's first chain is longer than the ring: its first
 * entries requests all have LINK and another follows. Asked only when the
 * ring is full, so that such a chain is refused with EINVAL then too, not
 * with an EBUSY that no amount of reaping could end. A request that cannot
 * be read counts as "no": the call after the reaping reports it.
 */
static bool acall_first_chain_too_long(struct acall_ctx *ctx,
				       const struct acall_sqe __user *usqes,
				       u32 nr)
{
	u32 k;
	u8 flags;

	if (nr <= ctx->entries)
		return false;
	for (k = 0; k < ctx->entries; k++)
		if (get_user(flags, &usqes[k].flags) ||
		    !(flags & ACALL_SQE_LINK))
			return false;
	return true;
}

long acall_ioctl_submit(struct acall_ctx *ctx, struct acall_submit __user *arg)
{
	struct acall_batch batch = {
		.ctx = ctx,
		.inline_room = ctx->inline_bytes,
		.done_tail = &batch.done,
	};
	/*
	 * Not zeroed on entry (CONFIG_INIT_STACK_ALL_ZERO) on every call:
	 * only the entries read into it are read, and blk_start_plug()
	 * initialises the plug it uses.
	 */
	struct acall_sqe chunk[ACALL_SUBMIT_CHUNK] __uninitialized;
	struct blk_plug plug __uninitialized;
	struct acall_sqe __user *usqes;
	struct acall_sqe *sqe;
	struct acall_submit s;
	u32 chunk_base = 0, chunk_len = 0;
	struct acall_req *req, *next;
	LIST_HEAD(reqs);
	u32 taken, inflight, i, j;
	long ret = 0, len;

	if (acall_copy_words(&s, arg, sizeof(s)))
		return -EFAULT;
	if ((s.flags & ~(ACALL_SUBMIT_QUIET | ACALL_SUBMIT_WAIT)) || s.resv)
		return -EINVAL;
	/* How many to wait for: said with the flag, and never more than fit. */
	if (s.flags & ACALL_SUBMIT_WAIT) {
		if (!s.min_complete || s.min_complete > ctx->entries)
			return -EINVAL;
	} else if (s.min_complete) {
		return -EINVAL;
	}
	if (READ_ONCE(ctx->shut_down))
		return -ESHUTDOWN;
	if (!s.nr) {
		/* Nothing to take: only the wait, as WAIT with an idle exit. */
		if (s.flags & ACALL_SUBMIT_WAIT)
			acall_ring_wait_submitted(ctx, s.min_complete);
		return 0;
	}
	/*
	 * A process sharing the owner's memory (CLONE_VM without
	 * CLONE_THREAD) has no thread in the pool: its requests would run
	 * as the owner's threads, under their limits and cgroups.
	 */
	if (ctx->process_workers && task_tgid(current) != ctx->owner)
		return -EPERM;

	/* Room for every completion before anything starts. */
	usqes = u64_to_user_ptr(s.sqes);
	taken = acall_ring_reserve(ctx, s.nr, &inflight);
	if (!taken) {
		if (READ_ONCE(ctx->shut_down))
			return -ESHUTDOWN;
		if (acall_first_chain_too_long(ctx, usqes, s.nr))
			return -EINVAL;
		return -EBUSY;
	}

	/*
	 * Whatever completes while a quiet call runs, here or elsewhere, is
	 * in the ring when it returns, where its caller looks: no signal.
	 */
	batch.quiet = s.flags & ACALL_SUBMIT_QUIET;
	if (batch.quiet)
		atomic_inc(&ctx->quiet_submits);
	/* Plugging pays off only for a few bios at once (io_uring's rule). */
	if (taken > 2)
		blk_start_plug(&plug);
	for (i = 0; i < taken; i += len) {
		if (batch.posted)
			acall_batch_announce(&batch);
		if (i - chunk_base >= chunk_len) {
			chunk_base = i;
			chunk_len = acall_chunk_read(chunk, &usqes[i], taken - i);
			if (!chunk_len) {
				ret = -EFAULT;
				break;
			}
		}
		sqe = &chunk[i - chunk_base];
		if (!(sqe->flags & ACALL_SQE_LINK)) {
			/* A chain of one: the common case, read once. */
			len = 1;
			req = acall_req_alloc(&batch, sqe);
			if (!req) {
				trace_acall_submit(ctx, sqe);
				trace_acall_complete(ctx, sqe->user_data,
						     -ENOMEM, 0);
				acall_ring_post(ctx, sqe->user_data, -ENOMEM);
				batch.posted = true;
				continue;
			}
			acall_submit_one(ctx, &batch, sqe, req);
			acall_batch_end_chain(&batch);
			continue;
		}
		/*
		 * A chain is taken whole or not at all: read all of it before
		 * its first member starts. Past the first chain only whether
		 * it fits matters; the first one's length also tells a chain
		 * that will fit once the ring drains from one that never can.
		 */
		len = acall_chain_read(ctx, &batch, sqe, &usqes[i], s.nr - i,
				       i ? taken - i : ctx->entries);
		if (len < 0) {
			ret = len;
			break;
		}
		if (len > taken - i) {
			ret = len > ctx->entries ? -EINVAL : -EBUSY;
			break;
		}
		/* Every member's request first: none starts unless all can. */
		ret = acall_chain_alloc(ctx, &batch, len, &reqs);
		if (ret)
			break;
		for (j = 0; j < len; j++) {
			req = list_first_entry(&reqs, struct acall_req, node);
			list_del(&req->node);
			acall_submit_one(ctx, &batch, &batch.chain[j], req);
		}
		/* A chain ends with its batch: its last member may have LINK. */
		acall_batch_end_chain(&batch);
	}
	acall_batch_flush(&batch);
	if (taken > 2)
		blk_finish_plug(&plug);
	/* Allocated only for a chain: the common call has none to free. */
	if (batch.chain)
		kvfree(batch.chain);
	for (req = batch.free; req; req = next) {
		next = req->batch_next;
		acall_req_free(ctx, req);
	}

	/* Reserved slots count in flight only for the requests they took. */
	if (i)
		acall_ring_count_peak(ctx, inflight - (taken - i));
	if (i < taken)
		acall_ring_unreserve(ctx, taken - i);
	this_cpu_add(ctx->counts->submitted, i);
	if (batch.inline_done)
		this_cpu_add(ctx->counts->inline_done, batch.inline_done);
	if (batch.quiet) {
		atomic_dec(&ctx->quiet_submits);
		/*
		 * Pairs with the barrier in acall_ring_signal_eventfd(): a
		 * completion either signals or was posted before this and is
		 * in the ring the caller reads next.
		 */
		smp_mb__after_atomic();
		/* The caller reaps these when this returns. */
		if (batch.posted)
			acall_ring_wake_waiters(ctx);
	} else if (batch.posted) {
		acall_ring_notify(ctx);
	}
	if (!i)
		return ret;
	/* Its answer is what it took, however the wait ends. */
	if (s.flags & ACALL_SUBMIT_WAIT)
		acall_ring_wait_submitted(ctx, s.min_complete);
	return i;
}

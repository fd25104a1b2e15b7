// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_IOC_SUBMIT: take a batch of requests, check each, and start each the
 * cheapest way that cannot block the submitter: inline, as an async kiocb,
 * or through the worker pool.
 */
#include <linux/blkdev.h>
#include <linux/file.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>

#include "internal.h"

static struct kmem_cache *acall_req_cache;

int acall_submit_init(void)
{
	/* import_iovec() copies user iovecs into fast_iov: a usercopy region. */
	acall_req_cache = KMEM_CACHE_USERCOPY(acall_req, SLAB_ACCOUNT, fast_iov);
	return acall_req_cache ? 0 : -ENOMEM;
}

void acall_submit_exit(void)
{
	kmem_cache_destroy(acall_req_cache);
}

void acall_req_put(struct acall_req *req)
{
	struct acall_ctx *ctx = req->ctx;

	if (!atomic_dec_and_test(&req->refs))
		return;

	if (req->op && req->op->cleanup)
		req->op->cleanup(req);
	if (req->file)
		fput(req->file);
	kmem_cache_free(acall_req_cache, req);
	acall_ctx_put(ctx);
}

/* Post the result without waking anyone: the caller notifies once. */
void acall_req_complete(struct acall_req *req, long res)
{
	acall_ring_post(req->ctx, req->user_data, res);
	acall_req_put(req);
}

/* Post the result and tell waiters and the eventfd. */
void acall_req_complete_notify(struct acall_req *req, long res)
{
	acall_ring_post(req->ctx, req->user_data, res);
	acall_ring_notify(req->ctx);
	acall_req_put(req);
}

static int acall_req_prep(struct acall_req *req, const struct acall_sqe *sqe)
{
	const struct acall_op_def *op;
	struct file *file;

	if (sqe->opcode >= ACALL_OP_LAST)
		return -EINVAL;
	op = &acall_op_defs[sqe->opcode];
	req->op = op;
	if (sqe->flags || sqe->queue >= req->ctx->nr_queues ||
	    sqe->resv[0] || sqe->resv[1])
		return -EINVAL;
	if (op->needs_file) {
		file = acall_file_get(sqe->fd);
		if (IS_ERR(file))
			return PTR_ERR(file);
		req->file = file;
	} else if (sqe->fd) {
		return -EINVAL;
	}
	req->fsize = rlimit(RLIMIT_FSIZE);
	return op->prep(req, sqe);
}

/*
 * Start one request. Returns true if its completion was posted here, so
 * that the caller notifies once for the whole batch.
 */
static bool acall_submit_one(struct acall_ctx *ctx, const struct acall_sqe *sqe)
{
	struct acall_req *req;
	int ret;

	req = kmem_cache_zalloc(acall_req_cache, GFP_KERNEL);
	if (!req) {
		acall_ring_post(ctx, sqe->user_data, -ENOMEM);
		return true;
	}
	kref_get(&ctx->ref);
	req->ctx = ctx;
	atomic_set(&req->refs, 1);
	req->user_data = sqe->user_data;

	ret = acall_req_prep(req, sqe);
	if (ret) {
		acall_req_complete(req, ret);
		return true;
	}

	if (req->op->issue) {
		ret = req->op->issue(req);
		if (ret == -EIOCBQUEUED) {
			/* In flight; req may already be completed and gone. */
			atomic64_inc(&ctx->stats.async_kiocb);
			return false;
		}
		if (ret != -EAGAIN || req->user_nowait) {
			atomic64_inc(&ctx->stats.inline_done);
			acall_req_complete(req, ret);
			return true;
		}
	}
	acall_pool_queue(req);
	return false;
}

long acall_ioctl_submit(struct acall_ctx *ctx, struct acall_submit __user *arg)
{
	struct acall_sqe __user *usqes;
	struct acall_submit s;
	struct acall_sqe sqe;
	struct blk_plug plug;
	bool posted = false;
	u32 taken, i;

	if (copy_from_user(&s, arg, sizeof(s)))
		return -EFAULT;
	if (s.flags || s.resv)
		return -EINVAL;
	if (!s.nr)
		return 0;

	/* Room for every completion before anything starts. */
	taken = acall_ring_reserve(ctx, s.nr);
	if (!taken)
		return -EBUSY;

	usqes = u64_to_user_ptr(s.sqes);
	blk_start_plug(&plug);
	for (i = 0; i < taken; i++) {
		if (copy_from_user(&sqe, &usqes[i], sizeof(sqe)))
			break;
		posted |= acall_submit_one(ctx, &sqe);
	}
	blk_finish_plug(&plug);

	if (i < taken)
		acall_ring_unreserve(ctx, taken - i);
	atomic64_add(i, &ctx->stats.submitted);
	if (posted)
		acall_ring_notify(ctx);
	return i ? i : -EFAULT;
}

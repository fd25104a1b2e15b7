// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_OP_PREADV and ACALL_OP_PWRITEV, and ACALL_OP_READ and ACALL_OP_WRITE,
 * their one-buffer forms: the same request once its iterator is made.
 *
 * An attempt works on req->iter and may consume any part of it before it
 * fails, so each starts from a copy (req->iter_saved; a struct copy of an
 * iovec or ubuf iterator is a complete snapshot) that a retry goes back to.
 *
 * In the submitter: O_DIRECT goes out as an async kiocb with IOCB_NOWAIT
 * (no thread at all); buffered I/O is tried with IOCB_NOWAIT, reads also
 * without starting any I/O, and completes inline on a page-cache hit.
 * Whatever would block (-EAGAIN), and the rest of a read that was served
 * only in part, goes to a worker, which does it the ordinary, blocking way,
 * but for two cases: an O_DIRECT request the submitter's call refused it
 * sends again as an async kiocb without IOCB_NOWAIT, and a buffered read
 * of a file that can wait for its pages by callback it starts (the
 * readahead) and leaves waiting for the page, with no thread; a worker
 * copies it once the page is read.
 * Every path raises the fsnotify event the blocking call would, before the
 * completion is posted.
 */
#include <linux/compat.h>
#include <linux/fs.h>
#include <linux/fsnotify.h>
#include <linux/ioprio.h>
#include <linux/sched/signal.h>
#include <linux/uio.h>
#include <linux/workqueue.h>

#include "compat.h"
#include "internal.h"
#include "ops.h"
#include "acall_trace.h"

/* Whether the caller asked that a write not append (RWF_NOAPPEND, 6.9). */
static bool acall_rw_noappend(rwf_t flags)
{
#ifdef RWF_NOAPPEND
	return flags & RWF_NOAPPEND;
#else
	return false;
#endif
}

/* Where the write goes: at the end of the file, as kiocb_set_rw_flags() says. */
static bool acall_write_appends(struct file *file, rwf_t flags)
{
	if (acall_rw_noappend(flags))
		return false;
	return (flags & RWF_APPEND) || (file->f_flags & O_APPEND);
}

/*
 * The file's flags as a kiocb's (iocb_flags()), but direct or not and
 * appending or not as the request was taken (req->direct, req->append):
 * fcntl() may have changed O_DIRECT or O_APPEND since. The path chosen must
 * be the one the filesystem takes, and a write lands where pwritev2()
 * called at SUBMIT would have put it. RWF_NOAPPEND stays for
 * kiocb_set_rw_flags(), which refuses it on an append-only inode.
 */
static int acall_rw_iocb_flags(const struct acall_req *req)
{
	int flags = iocb_flags(req->file);

	flags = req->direct ? flags | IOCB_DIRECT : flags & ~IOCB_DIRECT;
	if (req->append)
		return flags | IOCB_APPEND;
	if (acall_rw_noappend(req->rw_flags))
		return flags;
	return flags & ~IOCB_APPEND;
}

/*
 * One buffer, the common case: its iovec read in one user access into an
 * ITER_UBUF iterator, as import_iovec() makes of one (see compat.h), with
 * fewer calls on the way. Returns 0, -EFAULT, or -EINVAL for a length
 * that is no ssize_t (as preadv() says).
 */
static int acall_rw_import_one(struct acall_req *req, int rw,
			       const struct iovec __user *uiov)
{
	struct iovec *iov = &req->fast_iov[0];

	BUILD_BUG_ON(sizeof(*iov) % sizeof(u64));
	if (acall_copy_words(iov, uiov, sizeof(*iov)))
		return -EFAULT;
	if ((ssize_t)iov->iov_len < 0)
		return -EINVAL;
	return acall_import_ubuf(rw == READ ? ITER_DEST : ITER_SOURCE,
				 iov->iov_base, iov->iov_len, &req->iter);
}

/*
 * Several: one array longer than fast_iov is allocated here, not by
 * import_iovec(), so that it is charged to the submitter's memory cgroup:
 * up to IOV_MAX of them for as long as the request is in flight. Returns
 * the bytes they add up to, or an error import_iovec() gives.
 */
static ssize_t acall_rw_import(struct acall_req *req, int rw,
			       const struct iovec __user *uiov, u32 nr)
{
	struct iovec *iov = req->fast_iov;

	if (nr > UIO_FASTIOV) {
		iov = kmalloc_array(nr, sizeof(*iov), GFP_KERNEL_ACCOUNT);
		if (!iov)
			return -ENOMEM;
		req->iov_alloc = iov;
		req->need_cleanup = true;
	}
	/* It takes iov as its own array: nothing is allocated or freed. */
	return import_iovec(rw == READ ? ITER_DEST : ITER_SOURCE, uiov, nr,
			    max_t(u32, nr, UIO_FASTIOV), &iov, &req->iter);
}

static int acall_rw_prep(struct acall_req *req, const struct acall_sqe *sqe,
			 int rw, bool vectored)
{
	struct file *file = req->file;
	ssize_t ret;

	/* A bad SQE as preadv2() sees its arguments, in its order of checks. */
	if (sqe->len64 || (s64)sqe->off < 0)
		return -EINVAL;
	if (!(file->f_mode & (rw == READ ? FMODE_READ : FMODE_WRITE)))
		return -EBADF;
	/*
	 * What preadv2() refuses with EINVAL, refused the same: every path
	 * after this calls ->read_iter() or ->write_iter() itself, where
	 * vfs_iter_read() would have checked this first.
	 */
	if (!(file->f_mode & (rw == READ ? FMODE_CAN_READ : FMODE_CAN_WRITE)))
		return -EINVAL;
	if (vectored && (!sqe->len || sqe->len > UIO_MAXIOV))
		return -EINVAL;

	req->pos = sqe->off;
	req->rw_flags = (__force rwf_t)sqe->op_flags;
	req->user_nowait = req->rw_flags & RWF_NOWAIT;
	req->append = rw == WRITE && acall_write_appends(file, req->rw_flags);
	/*
	 * Which way it goes, fixed now: a file whose O_DIRECT fcntl() clears
	 * later must not have a worker take the page-wait path, which uses
	 * req->kiocb, while an issuer of its async kiocb may still be in
	 * ->read_iter().
	 */
	req->direct = file->f_flags & O_DIRECT;
	/*
	 * READ and WRITE name one buffer in the SQE itself, as IORING_OP_READ
	 * does: no iovec to read from user, the length clamped to MAX_RW_COUNT
	 * before the range is checked (read() checks the range first). The
	 * iovec array is copied now: workers never read it from user. A
	 * 32-bit caller's iovec is a compat_iovec: import_iovec() reads it.
	 */
	if (!vectored)
		ret = acall_import_ubuf(rw == READ ? ITER_DEST : ITER_SOURCE,
					u64_to_user_ptr(sqe->addr), sqe->len,
					&req->iter);
	else if (ACALL_LONE_IOVEC_UBUF && sqe->len == 1 && !in_compat_syscall())
		ret = acall_rw_import_one(req, rw, u64_to_user_ptr(sqe->addr));
	else
		ret = acall_rw_import(req, rw, u64_to_user_ptr(sqe->addr),
				      sqe->len);
	if (ret < 0)
		return ret;
	/* A link goes on only after every byte moved. */
	req->expected = iov_iter_count(&req->iter);
	ret = rw_verify_area(rw, file, &req->pos, req->expected);
	if (ret)
		return ret;
	/* The flags last, as kiocb_set_rw_flags() checks them. */
	if (sqe->op_flags & ~(__force u32)RWF_SUPPORTED)
		return -EOPNOTSUPP;
	if (req->user_nowait && !(file->f_mode & FMODE_NOWAIT))
		return -EOPNOTSUPP;
	return 0;
}

int acall_preadv_prep(struct acall_req *req, const struct acall_sqe *sqe)
{
	return acall_rw_prep(req, sqe, READ, true);
}

int acall_pwritev_prep(struct acall_req *req, const struct acall_sqe *sqe)
{
	return acall_rw_prep(req, sqe, WRITE, true);
}

int acall_read_prep(struct acall_req *req, const struct acall_sqe *sqe)
{
	return acall_rw_prep(req, sqe, READ, false);
}

int acall_write_prep(struct acall_req *req, const struct acall_sqe *sqe)
{
	return acall_rw_prep(req, sqe, WRITE, false);
}

void acall_rw_cleanup(struct acall_req *req)
{
	kfree(req->iov_alloc);
}

/*
 * Account for a non-blocking attempt that moved ret bytes (or failed with
 * ret < 0). Returns the request's result, or -EAGAIN when a worker must do
 * the rest: an attempt that stopped short only because it could not block
 * is no short transfer, and a read is short only at end of file.
 */
static int acall_rw_progress(struct acall_req *req, int rw, ssize_t ret)
{
	if (ret < 0)
		return req->done ? req->done : ret;
	/* All of it, the common case: the iterator is not looked at again. */
	if (ret == iov_iter_count(&req->iter_saved)) {
		req->pos += ret;
		req->done += ret;
		return req->done;
	}

	req->iter = req->iter_saved;
	iov_iter_advance(&req->iter, ret);
	req->pos += ret;
	req->done += ret;

	if (!ret || !iov_iter_count(&req->iter))
		return req->done;
	if (rw == READ && req->pos >= i_size_read(req->file->f_mapping->host))
		return req->done;
	return req->user_nowait ? req->done : -EAGAIN;
}

/*
 * The access checks of prep, made again by a worker just before it calls
 * the file's ->read_iter() or ->write_iter() itself: its call may come
 * much later (released by a link or a barrier, back from a page wait),
 * after a security policy or a permission watch (fanotify FAN_ACCESS_PERM)
 * changed, as the blocking vfs_iter_read() and vfs_iter_write() check, and
 * io_uring at every issue. 0; else the request's result, or -EAGAIN (no
 * bytes moved yet) for the worker's blocking call, which checks itself.
 */
static int acall_rw_verify_again(struct acall_req *req, int rw)
{
	int ret = rw_verify_area(rw, req->file, &req->pos,
				 iov_iter_count(&req->iter));

	return ret ? acall_rw_progress(req, rw, ret) : 0;
}

/*
 * Freeze protection held across an async write, as fs/aio.c does it; with
 * nowait, false rather than wait for a frozen filesystem.
 */
static bool acall_start_write(struct kiocb *kiocb, bool nowait)
{
	struct inode *inode = file_inode(kiocb->ki_filp);

	if (S_ISREG(inode->i_mode)) {
		if (!nowait)
			sb_start_write(inode->i_sb);
		else if (!sb_start_write_trylock(inode->i_sb))
			return false;
		/* Released by whoever completes it, maybe in irq context. */
		__sb_writers_release(inode->i_sb, SB_FREEZE_WRITE);
	}
	kiocb->ki_flags |= IOCB_WRITE;
	return true;
}

static void acall_end_write(struct kiocb *kiocb)
{
	struct inode *inode = file_inode(kiocb->ki_filp);

	if (S_ISREG(inode->i_mode)) {
		__sb_writers_acquired(inode->i_sb, SB_FREEZE_WRITE);
		sb_end_write(inode->i_sb);
	}
}

/*
 * Whether a call that returned res raises the event preadv() or pwritev()
 * would: a read that did not fail (at end of file too), a write that moved
 * bytes.
 */
static bool acall_rw_raises(int rw, long res)
{
	return rw == READ ? res >= 0 : res > 0;
}

/* That event; in process context only (fsnotify() allocates, may sleep). */
static void acall_rw_fsnotify(struct acall_req *req, int rw, long res)
{
	if (!acall_rw_raises(rw, res))
		return;
	if (rw == WRITE)
		fsnotify_modify(req->file);
	else
		fsnotify_access(req->file);
}

/*
 * The rest of a request whose async kiocb completed with res, to a worker
 * that runs it the blocking way. Not one that sends it again: its issuer
 * may still be in ->read_iter() or ->write_iter(), which may look at the
 * kiocb after the completion (ext4's direct read does), and a new kiocb
 * would be that one.
 */
static void acall_rw_kiocb_punt(struct acall_req *req)
{
	req->worker_try = false;
	acall_pool_queue(req, ACALL_PUNT_KIOCB_AGAIN);
}

static void acall_rw_notify_work(struct work_struct *work)
{
	struct acall_req *req = container_of(work, struct acall_req,
					     notify_work);
	int rw = req->kiocb.ki_flags & IOCB_WRITE ? WRITE : READ;

	/* A kiocb that moved part of it: the part's event, then the rest. */
	if (req->notify_res == -EAGAIN) {
		acall_rw_fsnotify(req, rw, req->done);
		acall_rw_kiocb_punt(req);
		return;
	}
	acall_rw_fsnotify(req, rw, req->notify_res);
	/* As in acall_rw_complete(): this may let the module go. */
	rcu_read_lock();
	acall_req_complete_notify(req, req->notify_res);
	rcu_read_unlock();
}

/* Hand req to acall_rw_notify_work() with res, in process context. */
static void acall_rw_notify_later(struct acall_req *req, long res)
{
	req->notify_res = res;
	INIT_WORK(&req->notify_work, acall_rw_notify_work);
	/* acall_wq: module exit waits for it to drain. */
	queue_work(acall_wq, &req->notify_work);
}

/*
 * Post the completion of an async kiocb: res for the request, whose event,
 * if the kiocb's own call raises one (raises), is that of the bytes moved
 * since the last part's. If anything on its filesystem is watched, the
 * event must come first, as it does before a blocking call returns, and
 * this may be an interrupt: a workqueue raises it and then posts.
 * Unwatched files pay one atomic read.
 */
static void acall_rw_complete_async(struct acall_req *req, int rw, long res,
				    bool raises)
{
	if (raises && acall_fsnotify_sb_watched(file_inode(req->file)->i_sb)) {
		acall_rw_notify_later(req, res);
		return;
	}
	acall_req_complete_notify(req, res);
}

/*
 * Whether an async kiocb's res means "not without blocking": -EAGAIN, or
 * -EOPNOTSUPP for IOCB_NOWAIT itself (a bio-based device without nowait
 * support on 6.1, ext4's and f2fs's buffered fallback of a direct write).
 * With RWF_NOWAIT, either is the result, as from preadv2().
 */
static bool acall_rw_kiocb_would_block(struct acall_req *req,
				       struct kiocb *kiocb, long res)
{
	if (req->user_nowait)
		return false;
	return res == -EAGAIN ||
	       (res == -EOPNOTSUPP && (kiocb->ki_flags & IOCB_NOWAIT));
}

/*
 * An async kiocb moved part of req (a direct write cut short at a block
 * device's end): the rest to a worker, after the part's event, which
 * preadv() or pwritev() would have raised for it. Raised from process
 * context, as acall_rw_complete_async() raises a whole one's.
 */
static void acall_rw_partial_punt(struct acall_req *req)
{
	if (acall_fsnotify_sb_watched(file_inode(req->file)->i_sb)) {
		acall_rw_notify_later(req, -EAGAIN);
		return;
	}
	acall_rw_kiocb_punt(req);
}

/* Completion of an async kiocb: any context, interrupts included. */
static void __acall_rw_complete(struct kiocb *kiocb, long res)
{
	struct acall_req *req = container_of(kiocb, struct acall_req, kiocb);
	int rw = kiocb->ki_flags & IOCB_WRITE ? WRITE : READ;
	bool raises;

	if (rw == WRITE)
		acall_end_write(kiocb);
	/* The device said "not without blocking": a worker retries. */
	if (acall_rw_kiocb_would_block(req, kiocb, res)) {
		req->iter = req->iter_saved;
		acall_rw_kiocb_punt(req);
		return;
	}
	/*
	 * A worker's kiocb for the rest of a request whose first part raised
	 * its event already: a failure of the rest raises none.
	 */
	raises = acall_rw_raises(rw, res);
	res = acall_rw_progress(req, rw, res);
	/* An RWF_NOWAIT request's -EAGAIN is its result, never a worker's. */
	if (res == -EAGAIN && !req->user_nowait) {
		acall_rw_partial_punt(req);
		return;
	}
	acall_rw_complete_async(req, rw, res, raises);
}

/*
 * The completion may drop the context's last reference, and so (through
 * the context's free work) the module's: rmmod may then proceed while this
 * still runs, in a workqueue (iomap's end of a write) as well as in an
 * interrupt. free_module() waits for RCU readers before it frees the
 * module's text, so the whole completion is one; only the return from
 * this function is left after it, which acall_exit() waits for where a
 * task was preempted on it. Nothing after the last put of the context may
 * block (on PREEMPT_RT, not even on a spinlock_t): a voluntary switch
 * there would end that wait early.
 */
static void acall_rw_complete(struct kiocb *kiocb, long res)
{
	rcu_read_lock();
	__acall_rw_complete(kiocb, res);
	acall_inject_completion_tail();
	rcu_read_unlock();
}

/*
 * Why a buffered read's non-blocking try stopped at req->pos: I/O to start
 * there (a page not cached or not up to date, or a page marked for
 * readahead, which the submitter does not start), or else something it
 * would have waited for (a lock). Looked up only on the way to a worker.
 */
static enum acall_punt_reason acall_read_stop_reason(struct acall_req *req)
{
	enum acall_punt_reason why = ACALL_PUNT_WOULD_BLOCK;
	struct folio *folio;

	/* NULL (6.1) or an error (6.12) when there is none. */
	folio = __filemap_get_folio(req->file->f_mapping,
				    req->pos >> PAGE_SHIFT, 0, 0);
	if (IS_ERR_OR_NULL(folio))
		return ACALL_PUNT_NOT_CACHED;
	if (!folio_test_uptodate(folio) || folio_test_readahead(folio))
		why = ACALL_PUNT_NOT_CACHED;
	folio_put(folio);
	return why;
}

/*
 * Send req out as an async kiocb: from the submitter with IOCB_NOWAIT, from
 * a worker (ACALL_ISSUE_WORKER) without, as fs/aio.c sends one: it may
 * wait for a lock or a frozen filesystem, and some filesystems do the
 * whole I/O before they return (ext4's extending or unaligned writes,
 * buffered fallbacks), but the device's time is not spent in the worker
 * as a rule. What the submitter's call refuses or leaves undone, the
 * worker sends again this way (req->worker_try); what a completion
 * leaves, or a worker's call, a worker runs.
 */
static int acall_rw_issue_async(struct acall_req *req, int rw,
				unsigned int issue_flags)
{
	bool nowait = !(issue_flags & ACALL_ISSUE_WORKER);
	struct kiocb *kiocb = &req->kiocb;
	struct file *file = req->file;
	struct iov_iter iter;
	ssize_t ret;

	/* At most two calls: the submitter's, then one worker's. */
	req->worker_try = nowait;
	if (nowait && !(file->f_mode & FMODE_NOWAIT))
		return acall_req_eagain(req, ACALL_PUNT_NO_NOWAIT);
	if (!nowait) {
		ret = acall_rw_verify_again(req, rw);
		if (ret)
			return ret;
	}

	memset(kiocb, 0, sizeof(*kiocb));
	kiocb->ki_filp = file;
	kiocb->ki_pos = req->pos;
	/*
	 * Not IOCB_DIO_CALLER_COMP: the end of a direct write would then wait
	 * for a task of ours; the submitter may be in inode_dio_wait() for it,
	 * and a worker would save nothing over iomap's workqueue.
	 */
	kiocb->ki_flags = acall_rw_iocb_flags(req);
	if (nowait)
		kiocb->ki_flags |= IOCB_NOWAIT;
	/*
	 * Some filesystems serve an O_DIRECT read through the page cache
	 * (ext4 with journalled data, encryption or verity; btrfs when
	 * misaligned): as a buffered read in the submitter, it starts no
	 * readahead (acall_rw_read_buffered_nowait()). Direct I/O ignores it.
	 */
	if (nowait && rw == READ && !req->user_nowait)
		kiocb->ki_flags |= IOCB_NOIO;
	kiocb->ki_complete = acall_rw_complete;
	ret = acall_kiocb_set_rw_flags(kiocb, req->rw_flags, rw);
	if (ret)
		return ret;
	/*
	 * Its completion, and a worker it may need, run elsewhere. A worker's
	 * request is detached already: acall_pool_add() fails one that is not.
	 */
	acall_req_detach(req);
	kiocb->ki_ioprio = req->id.ioprio;
	/* Nobody polls for completions. */
	kiocb->ki_flags &= ~IOCB_HIPRI;

	/* RWF_NOWAIT does not wait for a thaw, whoever sends it. */
	if (rw == WRITE && !acall_start_write(kiocb, nowait || req->user_nowait))
		return -EAGAIN;

	/*
	 * The callee may complete the kiocb before it returns, and still look
	 * at its kiocb and iterator afterwards (blkdev_write_iter() does): an
	 * extra reference keeps the request, iovecs included, until it
	 * returns, and the callee consumes a copy of the iterator, so that a
	 * worker the completion handed the rest to has req->iter to itself
	 * (and runs it with a kiocb of its own: acall_rw_kiocb_punt()).
	 */
	req->iter_saved = req->iter;
	iter = req->iter;
	/*
	 * The only reference ever taken besides the first, and by its holder:
	 * acall_req_put() relies on it to skip the atomic when one is left.
	 */
	atomic_inc(&req->refs);
	if (rw == WRITE)
		ret = file->f_op->write_iter(kiocb, &iter);
	else
		ret = file->f_op->read_iter(kiocb, &iter);
	if (ret == -EIOCBQUEUED) {
		/*
		 * Under the reference taken above, req is still here; its
		 * completion may have been posted already, and traced first.
		 */
		trace_acall_issue(req->ctx, req->user_data, ACALL_PATH_KIOCB);
		acall_req_put(req);
		return ret;
	}
	/* Done (or refused) before it went out: no callback came. */
	atomic_dec(&req->refs);

	if (rw == WRITE)
		acall_end_write(kiocb);
	if (ret == -EAGAIN) {
		req->iter = req->iter_saved;
	} else {
		/* A worker's call, without IOCB_NOWAIT, may take the other way. */
		if (acall_rw_kiocb_would_block(req, kiocb, ret)) {
			req->iter = req->iter_saved;
			return acall_req_eagain(req, ACALL_PUNT_NO_NOWAIT);
		}
		/* Like one preadv(): its own event, even if a worker does the rest. */
		acall_rw_fsnotify(req, rw, ret);
		ret = acall_rw_progress(req, rw, ret);
	}
	/*
	 * The submitter's read that ext4 served buffered (its fallback drops
	 * IOCB_DIRECT) stopped at req->pos as a buffered one does: say why.
	 */
	if (ret == -EAGAIN && nowait && rw == READ &&
	    !(kiocb->ki_flags & IOCB_DIRECT))
		return acall_req_eagain(req, acall_read_stop_reason(req));
	return ret;
}

/*
 * Whether a non-blocking attempt's ret means "not without blocking": a
 * worker does it then. -EOPNOTSUPP is how some filesystems refuse
 * IOCB_NOWAIT for a file; with RWF_NOWAIT it is the result, as from
 * preadv2().
 */
static bool acall_rw_would_block(struct acall_req *req, ssize_t ret)
{
	return ret == -EAGAIN || (ret == -EOPNOTSUPP && !req->user_nowait);
}

/*
 * A write under a finite RLIMIT_FSIZE is not tried in the submitter: where
 * it reached the limit, the filesystem would send SIGXFSZ to the thread
 * trying it, and only in the submitter is that the caller's. Whether it
 * will reach it cannot be told beforehand (an append's position, another
 * thread's setrlimit() in between), so any such write goes to a worker,
 * which never takes the signal (identity.c). No path delivers SIGXFSZ; the
 * completion (-EFBIG, or a short count) is the only report. An RWF_NOWAIT
 * one, which may not wait for a worker, is refused with -EAGAIN wherever
 * it is first tried, a worker's try too. rlimit() is the submitter's here
 * and in a kernel-thread worker (identity.c sets it), the process's in a
 * worker of its own.
 */
static bool acall_write_limited_here(struct acall_req *req,
				     unsigned int issue_flags)
{
	return (!(issue_flags & ACALL_ISSUE_WORKER) || req->user_nowait) &&
	       S_ISREG(file_inode(req->file)->i_mode) &&
	       rlimit(RLIMIT_FSIZE) != RLIM_INFINITY;
}

/* The kiocb of a non-blocking buffered attempt in the submitter. */
static int acall_rw_init_nowait_kiocb(struct acall_req *req,
				      struct kiocb *kiocb, int rw)
{
	/* init_sync_kiocb() gives current's: right in the submitter. */
	init_sync_kiocb(kiocb, req->file);
	kiocb->ki_flags = acall_rw_iocb_flags(req);
	kiocb->ki_pos = req->pos;
	if (req->detached)
		kiocb->ki_ioprio = req->id.ioprio;
	kiocb->ki_flags |= IOCB_NOWAIT;
	return acall_kiocb_set_rw_flags(kiocb, req->rw_flags, rw);
}

/*
 * The iterator of such an attempt: req->iter cut to what its SUBMIT call
 * may still copy inline (acall_params.inline_bytes), so that a read of
 * many megabytes of cached data does not hold the caller's event loop; a
 * worker copies the rest. A write is not cut: one pwritev() is atomic
 * against other writers of the file (the inode lock), two calls are not,
 * so one that does not fit goes to a worker whole. False when the request
 * is not to be tried here; one of no bytes is, whatever the bound, rather
 * than waking a worker for it. An RWF_NOWAIT request is never cut either:
 * its result is what completes now.
 */
static bool acall_rw_inline_iter(struct acall_req *req, struct iov_iter *iter,
				 int rw)
{
	req->iter_saved = req->iter;
	*iter = req->iter;
	if (req->user_nowait || iov_iter_count(iter) <= req->inline_room)
		return true;
	if (rw == WRITE) {
		/*
		 * It spends what is left, as a cut write would: the call's
		 * later requests go to workers after it, and a later write of
		 * the file's queues behind it instead of overtaking it.
		 */
		req->inline_room = 0;
		return false;
	}
	if (!req->inline_room)
		return false;
	iov_iter_truncate(iter, req->inline_room);
	return true;
}

/*
 * The end of such an attempt that returned ret: as acall_rw_progress(),
 * and if a worker is left with the rest, why.
 */
static int acall_rw_nowait_done(struct acall_req *req, int rw, ssize_t ret)
{
	if (acall_rw_would_block(req, ret)) {
		req->iter = req->iter_saved;
		/* The filesystem refuses IOCB_NOWAIT for this file. */
		if (ret == -EOPNOTSUPP)
			return acall_req_eagain(req, ACALL_PUNT_NO_NOWAIT);
	} else {
		if (ret > 0 && !req->user_nowait)
			req->inline_room -= min_t(u64, ret, req->inline_room);
		acall_rw_fsnotify(req, rw, ret);
		ret = acall_rw_progress(req, rw, ret);
		if (ret != -EAGAIN)
			return ret;
		if (!req->inline_room)
			return acall_req_eagain(req, ACALL_PUNT_INLINE_BOUND);
	}
	if (rw == READ)
		return acall_req_eagain(req, acall_read_stop_reason(req));
	return acall_req_eagain(req, ACALL_PUNT_WOULD_BLOCK);
}

/*
 * A buffered write in the submitter, on a filesystem that can try one
 * without blocking (XFS, btrfs; not ext4). vfs_iter_write() would wait for
 * a frozen filesystem in sb_start_write(), and a write that must be synced
 * (O_DSYNC, O_SYNC, RWF_DSYNC, a sync inode) would run the sync here: both
 * go to a worker instead.
 */
static int acall_rw_write_buffered_nowait(struct acall_req *req,
					  unsigned int issue_flags)
{
	struct file *file = req->file;
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t ret;

	if (!acall_file_nowait_buffered_write(file)) {
		/*
		 * RWF_NOWAIT cannot be honoured here, as pwritev2() says on
		 * ext4 and block devices (other files without
		 * FOP_BUFFER_WASYNC: -EINVAL from generic_write_checks());
		 * a retry would fail the same way.
		 */
		if (req->user_nowait)
			return -EOPNOTSUPP;
		return acall_req_eagain(req, ACALL_PUNT_NO_NOWAIT);
	}
	ret = acall_rw_init_nowait_kiocb(req, &kiocb, WRITE);
	if (ret)
		return ret;
	/* The flags, and a sync inode or mount set after open. */
	if (iocb_is_dsync(&kiocb))
		return acall_req_eagain(req, ACALL_PUNT_MUST_BLOCK);
	if (!acall_rw_inline_iter(req, &iter, WRITE))
		return acall_req_eagain(req, ACALL_PUNT_INLINE_BOUND);
	if (issue_flags & ACALL_ISSUE_WORKER) {
		ret = acall_rw_verify_again(req, WRITE);
		if (ret)
			return ret;
	}
	/* Frozen. */
	if (!acall_start_write(&kiocb, true))
		return acall_req_eagain(req, ACALL_PUNT_WOULD_BLOCK);
	ret = file->f_op->write_iter(&kiocb, &iter);
	acall_end_write(&kiocb);
	return acall_rw_nowait_done(req, WRITE, ret);
}

/*
 * A buffered read in the submitter: what the page cache holds, and no I/O
 * at all (IOCB_NOIO). Starting the readahead of a miss here would block
 * the submitter whenever the device has no free request slot (a busy
 * queue, a device with few tags): the worker that does the rest starts it,
 * and the async readahead a sequential reader's hit would start too.
 */
static int acall_rw_read_buffered_nowait(struct acall_req *req,
					 unsigned int issue_flags)
{
	struct file *file = req->file;
	struct iov_iter iter;
	struct kiocb kiocb;
	ssize_t ret;

	if (!file->f_op->read_iter)
		return acall_req_eagain(req, ACALL_PUNT_NO_NOWAIT);
	ret = acall_rw_init_nowait_kiocb(req, &kiocb, READ);
	if (ret)
		return ret;
	/*
	 * RWF_NOWAIT never reaches a worker: as preadv2() does on the same
	 * kernel, it starts the readahead (6.12; 6.1 adds IOCB_NOIO to it).
	 */
	if (!req->user_nowait)
		kiocb.ki_flags |= IOCB_NOIO;
	if (!acall_rw_inline_iter(req, &iter, READ))
		return acall_req_eagain(req, ACALL_PUNT_INLINE_BOUND);
	if (issue_flags & ACALL_ISSUE_WORKER) {
		ret = acall_rw_verify_again(req, READ);
		if (ret)
			return ret;
	}
	ret = file->f_op->read_iter(&kiocb, &iter);
	return acall_rw_nowait_done(req, READ, ret);
}

static int acall_rw_issue(struct acall_req *req, int rw,
			  unsigned int issue_flags)
{
	struct file *file = req->file;

	if (rw == WRITE && unlikely(acall_write_limited_here(req, issue_flags)))
		return acall_req_eagain(req, ACALL_PUNT_MUST_BLOCK);
	/*
	 * An append is one blocking call in a worker, whole under the inode's
	 * lock as pwritev2() does it: a non-blocking attempt could stop short
	 * and leave the rest to land after another appender's record. With
	 * RWF_NOWAIT a short attempt is the result, so it may be tried.
	 */
	if (rw == WRITE && unlikely(req->append) && !req->user_nowait)
		return acall_req_eagain(req, ACALL_PUNT_MUST_BLOCK);

	if (req->direct)
		return acall_rw_issue_async(req, rw, issue_flags);

	if (!(file->f_mode & FMODE_NOWAIT))
		return acall_req_eagain(req, ACALL_PUNT_NO_NOWAIT);
	if (rw == WRITE)
		return acall_rw_write_buffered_nowait(req, issue_flags);

	return acall_rw_read_buffered_nowait(req, issue_flags);
}

int acall_preadv_issue(struct acall_req *req, unsigned int issue_flags)
{
	return acall_rw_issue(req, READ, issue_flags);
}

int acall_pwritev_issue(struct acall_req *req, unsigned int issue_flags)
{
	return acall_rw_issue(req, WRITE, issue_flags);
}

/*
 * The page a parked read waits for was unlocked (read, or failed): under
 * the page wait queue's lock, maybe in an interrupt. Only a worker can
 * copy it, to the submitter's memory: back to the pool.
 */
static int acall_rw_page_wake(struct wait_queue_entry *wait,
			      unsigned int mode, int sync, void *key)
{
	struct wait_page_queue *wpq = container_of(wait, struct wait_page_queue,
						   wait);
	struct acall_req *req = wait->private;

	if (!wake_page_match(wpq, key))
		return 0;
	list_del_init(&wait->entry);
	/* As in acall_rw_complete(): canceling it may let the module go. */
	rcu_read_lock();
	acall_req_unpark(req);
	rcu_read_unlock();
	return 1;
}

/* Whether a worker's read of req can wait for its pages with no thread. */
static bool acall_rw_can_wait_page(struct acall_req *req)
{
	struct file *file = req->file;

	return !req->direct && !req->user_nowait &&
	       file->f_op->read_iter && acall_file_async_buffered_read(file);
}

/*
 * A worker's buffered read, the way io_uring does it (IOCB_WAITQ): the
 * filesystem starts the readahead a miss needs (this may block, on a
 * device's request slots, say: a worker is for that), copies what is read
 * already, and where a page is still being read, queues req->wpq on it and
 * returns -EIOCBQUEUED instead of sleeping; acall_rw_page_wake() then
 * queues the request again and this goes on where it stopped. A call that
 * copied bytes returns their count, not -EIOCBQUEUED (the filesystem makes
 * the rest of that call IOCB_NOWAIT), and the loop goes round for the
 * rest. -EAGAIN: read the rest the blocking way (no page could be
 * allocated, a page read failed and must be read again).
 */
static int acall_rw_read_page_wait(struct acall_req *req)
{
	struct kiocb *kiocb = &req->kiocb;
	struct iov_iter iter;
	ssize_t ret;

	/* Each resume after a page wait runs this again, and checks again. */
	ret = acall_rw_verify_again(req, READ);
	if (ret)
		return ret;
	for (;;) {
		init_sync_kiocb(kiocb, req->file);
		kiocb->ki_flags = acall_rw_iocb_flags(req);
		kiocb->ki_pos = req->pos;
		kiocb->ki_ioprio = req->id.ioprio;
		ret = acall_kiocb_set_rw_flags(kiocb, req->rw_flags, READ);
		if (ret)
			return ret;
		kiocb->ki_flags &= ~(IOCB_NOWAIT | IOCB_HIPRI);
		kiocb->ki_flags |= IOCB_WAITQ;
		init_waitqueue_func_entry(&req->wpq.wait, acall_rw_page_wake);
		req->wpq.wait.private = req;
		kiocb->ki_waitq = &req->wpq;

		req->iter_saved = req->iter;
		iter = req->iter;
		acall_req_park(req);
		ret = req->file->f_op->read_iter(kiocb, &iter);
		if (ret == -EIOCBQUEUED) {
			/*
			 * The worker's unpark keeps req here until it lets go,
			 * and counts the wait then (pool.c).
			 */
			trace_acall_issue(req->ctx, req->user_data,
					  ACALL_PATH_PAGE_WAIT);
			return ret;
		}
		if (ret == -EAGAIN) {
			req->iter = req->iter_saved;
			return ret;
		}
		acall_rw_fsnotify(req, READ, ret);
		ret = acall_rw_progress(req, READ, ret);
		if (ret != -EAGAIN)
			return ret;
	}
}

/*
 * vfs_iter_write() on kiocb: its checks, freeze protection (of a regular
 * file only, as file_start_write() takes it; vfs_iocb_iter_write() takes
 * it of any file on 6.8 and later, a block device's node included) and
 * event. FMODE_WRITE and FMODE_CAN_WRITE were checked at prep.
 */
static ssize_t acall_rw_write_blocking(struct acall_req *req,
				       struct kiocb *kiocb)
{
	struct file *file = req->file;
	size_t count = iov_iter_count(&req->iter);
	ssize_t ret;

	if (!file->f_op->write_iter)
		return -EINVAL;
	ret = rw_verify_area(WRITE, file, &kiocb->ki_pos, count);
	if (ret)
		return ret;
	file_start_write(file);
	ret = file->f_op->write_iter(kiocb, &req->iter);
	acall_rw_fsnotify(req, WRITE, ret);
	file_end_write(file);
	return ret;
}

/*
 * In a worker, as the submitter: the blocking call vfs_iter_read() or
 * vfs_iter_write() makes, but on a kiocb whose flags are the request's
 * (acall_rw_iocb_flags()), not the file's now.
 */
static ssize_t acall_rw_blocking(struct acall_req *req, int rw)
{
	struct kiocb kiocb;
	ssize_t ret;

	/* Nothing to move: no flag looked at, as vfs_iter_read() does it. */
	if (!iov_iter_count(&req->iter)) {
		acall_rw_fsnotify(req, rw, 0);
		return 0;
	}
	init_sync_kiocb(&kiocb, req->file);
	kiocb.ki_flags = acall_rw_iocb_flags(req);
	kiocb.ki_pos = req->pos;
	ret = acall_kiocb_set_rw_flags(&kiocb, req->rw_flags, rw);
	if (ret)
		return ret;
	if (rw == READ)
		ret = vfs_iocb_iter_read(req->file, &kiocb, &req->iter);
	else
		ret = acall_rw_write_blocking(req, &kiocb);
	req->pos = kiocb.ki_pos;
	return ret;
}

/* In a worker, as the submitter: the plain blocking calls. */
static int acall_rw_run(struct acall_req *req, int rw)
{
	ssize_t ret;

	if (rw == READ && acall_rw_can_wait_page(req)) {
		ret = acall_rw_read_page_wait(req);
		if (ret != -EAGAIN)
			return ret;
	}

	do {
		ret = acall_rw_blocking(req, rw);
		if (ret > 0)
			req->done += ret;
		/* A read goes on until end of file, a write stops short. */
	} while (ret > 0 && rw == READ && iov_iter_count(&req->iter) &&
		 req->pos < i_size_read(req->file->f_mapping->host));

	if (ret < 0 && !req->done)
		return ret;
	return req->done;
}

int acall_preadv_run(struct acall_req *req)
{
	return acall_rw_run(req, READ);
}

int acall_pwritev_run(struct acall_req *req)
{
	return acall_rw_run(req, WRITE);
}

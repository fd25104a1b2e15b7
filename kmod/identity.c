// SPDX-License-Identifier: GPL-2.0
/*
 * The identity a request runs with: its submitter's, taken in the
 * submitter as soon as the request may leave it (acall_req_detach()) and
 * carried to completion, whichever path starts it. One that completes
 * inline runs as current, its submitter, and takes nothing. A process that sets
 * a context up as root and then drops privileges (QEMU's usual way) must
 * not keep root workers, and a thread that submits with other credentials
 * than its siblings gets its own. io_uring does the same per request
 * (io_prep_async_work() takes the submitter's creds).
 *
 * Taken: credentials, block cgroup, I/O priority and RLIMIT_FSIZE. In the
 * submitter they are current's already; a kernel-thread worker assumes them
 * around each request it runs. A worker that is a thread of the process
 * takes only the credentials: the rest is its own, the process's. The I/O
 * priority goes on the async kiocbs the module issues and on a worker's
 * page waits; a worker's plain blocking calls take theirs from the
 * io_context it shares, as a CLONE_IO thread's would.
 */
#include <linux/blk-cgroup.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/ioprio.h>
#include <linux/kthread.h>
#include <linux/sched/signal.h>

#include "compat.h"
#include "internal.h"

/*
 * current's credentials for a request of ctx. The first request to leave
 * its SUBMIT leaves a reference to its submitter's in ctx->cred_cache; a
 * request whose submitter's are the same (cred structs are never changed,
 * so the same pointer is the same identity) borrows that one: the
 * context's reference the request holds keeps it alive. That spares an
 * async kiocb's submitter and completion (maybe an interrupt, on another
 * CPU) an atomic each on a count the process's threads may share; a
 * worker with other credentials than the request's still takes its own in
 * override_creds(). A thread with other credentials takes a reference of
 * its own. The cached ones stay pinned until the context goes, even if no
 * thread has them any more (a process that drops privileges after its
 * first request).
 */
static void acall_identity_take_cred(struct acall_ctx *ctx,
				     struct acall_identity *id)
{
	const struct cred *cred = current_cred();
	const struct cred *cached = READ_ONCE(ctx->cred_cache);

	if (!cached) {
		cached = cmpxchg(&ctx->cred_cache, NULL, get_cred(cred));
		/* Another thread's came first: that reference is not needed. */
		if (cached)
			put_cred(cred);
		else
			cached = cred;
	}
	id->cred = cred == cached ? cred : get_cred(cred);
}

/* When ctx goes: no request borrows its credentials any more. */
void acall_identity_cache_free(struct acall_ctx *ctx)
{
	if (ctx->cred_cache)
		put_cred(ctx->cred_cache);
}

/* In the submitter, at submission. */
void acall_identity_take(struct acall_ctx *ctx, struct acall_identity *id)
{
	acall_identity_take_cred(ctx, id);
#ifdef CONFIG_BLK_CGROUP
	id->blkcg_css = task_get_css(current, io_cgrp_id);
#endif
	id->ioprio = get_current_ioprio();
	id->fsize = rlimit(RLIMIT_FSIZE);
}

/*
 * When the request is freed: any context, but before it drops its
 * reference to ctx, the one its identity was taken for.
 */
void acall_identity_put(struct acall_ctx *ctx, struct acall_identity *id)
{
	if (id->blkcg_css)
		css_put(id->blkcg_css);
	/* ctx->cred_cache was set by the time id was taken, and never changes. */
	if (id->cred && id->cred != READ_ONCE(ctx->cred_cache))
		put_cred(id->cred);
}

/* current's own: only the thread itself replaces it (exec). */
static struct sighand_struct *acall_own_sighand(void)
{
	return rcu_dereference_protected(current->sighand, 1);
}

/*
 * A write or fallocate past RLIMIT_FSIZE sends SIGXFSZ to the thread that
 * makes it (generic_write_check_limits(), inode_newsize_ok()). A kernel
 * thread ignores it. A thread of the process would take it back to
 * userspace, where the program's handler, or the default action (a core
 * dump of the process), would run in a thread that asked for nothing; a
 * program on the raw ABI need not block signals in its SERVE threads. So
 * such a thread runs a request that may grow a file, under a finite
 * limit, with SIGXFSZ blocked, and drops the one the request raised: the
 * completion (-EFBIG, a short count) is the report, as from a kernel
 * thread. The limit is read here: one another thread makes finite while
 * the request runs can still signal, as it can for a write tried in the
 * submitter.
 */
static void acall_xfsz_block(struct acall_assumed *a, bool grows_file)
{
	struct sighand_struct *sighand;
	sigset_t xfsz;

	a->xfsz_blocked = grows_file && rlimit(RLIMIT_FSIZE) != RLIM_INFINITY;
	if (!a->xfsz_blocked)
		return;
	siginitset(&xfsz, sigmask(SIGXFSZ));
	sigprocmask(SIG_BLOCK, &xfsz, &a->old_blocked);
	sighand = acall_own_sighand();
	spin_lock_irq(&sighand->siglock);
	a->xfsz_was_pending = sigismember(&current->pending.signal, SIGXFSZ);
	spin_unlock_irq(&sighand->siglock);
}

/*
 * Whether the SIGXFSZ pending for this thread alone is the one the kernel
 * sent it for its own write (send_sig(SIGXFSZ, current, 0): SI_USER from
 * its own process), and not one a tgkill() or a timer aimed at it first
 * (one that came after the write's was merged into it and goes with it).
 * A bit with no queued entry (none could be allocated) is taken as the
 * write's. Under siglock.
 */
static bool acall_xfsz_is_own(void)
{
	struct sigqueue *q;

	list_for_each_entry(q, &current->pending.list, list)
		if (q->info.si_signo == SIGXFSZ)
			return q->info.si_code == SI_USER &&
			       q->info.si_pid == task_tgid_vnr(current);
	return true;
}

static void acall_xfsz_unblock(struct acall_assumed *a)
{
	struct sighand_struct *sighand;
	kernel_siginfo_t info;
	sigset_t others;

	if (!a->xfsz_blocked)
		return;
	sighand = acall_own_sighand();
	spin_lock_irq(&sighand->siglock);
	/* Not pending before, for this thread alone, and the write's. */
	if (!a->xfsz_was_pending &&
	    sigismember(&current->pending.signal, SIGXFSZ) &&
	    acall_xfsz_is_own()) {
		siginitsetinv(&others, sigmask(SIGXFSZ));
		acall_dequeue_signal(&others, &info);
	}
	spin_unlock_irq(&sighand->siglock);
	sigprocmask(SIG_SETMASK, &a->old_blocked, NULL);
}

/*
 * In a worker, around one request. A kernel thread's signal_struct is its
 * own, so setting the limit there affects nobody else. A thread of the
 * owner's process (serve.c) already is in its cgroups and under its limits:
 * it only takes the credentials, which may be another thread's, and keeps
 * the SIGXFSZ a request that grows a file raises to itself.
 */
void acall_identity_assume(const struct acall_identity *id, bool kthread,
			   bool grows_file, struct acall_assumed *a)
{
	if (kthread) {
		task_lock(current->group_leader);
		WRITE_ONCE(current->signal->rlim[RLIMIT_FSIZE].rlim_cur,
			   id->fsize);
		task_unlock(current->group_leader);
		kthread_associate_blkcg(id->blkcg_css);
	} else {
		acall_xfsz_block(a, grows_file);
	}
	/*
	 * A thread of the process shares its creator's cred struct until
	 * either changes them: one with the request's very credentials runs
	 * as its submitter already, without the two atomics of an override.
	 */
	a->old_cred = current_cred() == id->cred ? NULL :
		      override_creds(id->cred);
}

void acall_identity_revert(struct acall_assumed *a, bool kthread)
{
	if (a->old_cred)
		revert_creds(a->old_cred);
	if (kthread)
		kthread_associate_blkcg(NULL);
	else
		acall_xfsz_unblock(a);
}

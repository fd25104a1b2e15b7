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
 * priority goes on the kiocbs the module issues itself; a worker's blocking
 * calls take theirs from the io_context it shares, as a CLONE_IO thread's
 * would.
 */
#include <linux/blk-cgroup.h>
#include <linux/cgroup.h>
#include <linux/cred.h>
#include <linux/ioprio.h>
#include <linux/kthread.h>
#include <linux/sched/signal.h>

#include "internal.h"

/* In the submitter, at submission. */
void acall_identity_take(struct acall_identity *id)
{
	id->cred = get_current_cred();
#ifdef CONFIG_BLK_CGROUP
	id->blkcg_css = task_get_css(current, io_cgrp_id);
#endif
	id->ioprio = get_current_ioprio();
	id->fsize = rlimit(RLIMIT_FSIZE);
}

/* When the request is freed: any context. */
void acall_identity_put(struct acall_identity *id)
{
	if (id->blkcg_css)
		css_put(id->blkcg_css);
	if (id->cred)
		put_cred(id->cred);
}

/*
 * In a worker, around one request. A kernel thread's signal_struct is its
 * own, so setting the limit there affects nobody else. A thread of the
 * owner's process (serve.c) already is in its cgroups and under its limits:
 * it only takes the credentials, which may be another thread's.
 */
const struct cred *acall_identity_assume(const struct acall_identity *id,
					 bool kthread)
{
	if (kthread) {
		task_lock(current->group_leader);
		WRITE_ONCE(current->signal->rlim[RLIMIT_FSIZE].rlim_cur,
			   id->fsize);
		task_unlock(current->group_leader);
		kthread_associate_blkcg(id->blkcg_css);
	}
	return override_creds(id->cred);
}

void acall_identity_revert(const struct cred *old, bool kthread)
{
	revert_creds(old);
	if (kthread)
		kthread_associate_blkcg(NULL);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_OP_NOP: completes with 0, inline. With a delay it sleeps that long
 * in a worker first, so tests can make a request last as long as they need.
 */
#include <linux/hrtimer.h>
#include <linux/sched.h>

#include "internal.h"
#include "ops.h"

int acall_nop_prep(struct acall_req *req, const struct acall_sqe *sqe)
{
	if (sqe->off || sqe->addr || sqe->len || sqe->op_flags)
		return -EINVAL;
	if (sqe->len64 > ACALL_NOP_MAX_DELAY_NS)
		return -EINVAL;
	req->len64 = sqe->len64;
	return 0;
}

int acall_nop_issue(struct acall_req *req, unsigned int issue_flags)
{
	if (req->len64)
		return acall_req_eagain(req, ACALL_PUNT_BLOCKING_OP);
	return 0;
}

int acall_nop_run(struct acall_req *req)
{
	ktime_t delay = ns_to_ktime(req->len64);

	/* TASK_IDLE: a worker sleeping here is not load. */
	set_current_state(TASK_IDLE);
	schedule_hrtimeout(&delay, HRTIMER_MODE_REL);
	return 0;
}

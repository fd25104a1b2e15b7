// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_IOC_STATS and ACALL_IOC_PUNTS: a context's counters, so that tests
 * and admins see the paths its requests took, and why they took them.
 */
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

long acall_ioctl_stats(struct acall_ctx *ctx, struct acall_stats __user *arg)
{
	struct acall_stats_counters *c = &ctx->stats;
	struct acall_stats s;

	memset(&s, 0, sizeof(s));
	s.submitted = atomic64_read(&c->submitted);
	s.inline_done = atomic64_read(&c->inline_done);
	s.async_kiocb = atomic64_read(&c->async_kiocb);
	s.punted = atomic64_read(&c->punted);
	s.canceled = atomic64_read(&c->canceled);
	s.ordered = atomic64_read(&c->ordered);
	s.linked = atomic64_read(&c->linked);
	s.order_waits = atomic64_read(&c->order_waits);
	s.ran_submit_cpu = atomic64_read(&c->ran_submit_cpu);
	s.ran_submit_node = atomic64_read(&c->ran_submit_node);
	s.ran_other_node = atomic64_read(&c->ran_other_node);
	s.page_waits = atomic64_read(&c->page_waits);
	s.workers = atomic_read(&c->workers);
	s.workers_peak = atomic_read(&c->workers_peak);
	spin_lock_irq(&ctx->cq_lock);
	s.completed = ctx->completed;
	s.inflight = ctx->inflight;
	s.inflight_peak = ctx->inflight_peak;
	spin_unlock_irq(&ctx->cq_lock);

	if (copy_to_user(arg, &s, sizeof(s)))
		return -EFAULT;
	return 0;
}

long acall_ioctl_punts(struct acall_ctx *ctx, struct acall_punts __user *arg)
{
	struct acall_punts p;
	unsigned int i;

	BUILD_BUG_ON(ACALL_PUNT_NR > ACALL_PUNT_MAX);
	memset(&p, 0, sizeof(p));
	for (i = 0; i < ACALL_PUNT_NR; i++)
		p.reason[i] = atomic64_read(&ctx->stats.punts[i]);
	if (copy_to_user(arg, &p, sizeof(p)))
		return -EFAULT;
	return 0;
}

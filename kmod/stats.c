// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_IOC_STATS and ACALL_IOC_PUNTS: a context's counters, so that tests
 * and admins see the paths its requests took, and why they took them.
 */
#include <linux/percpu.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

/* The sum of every CPU's counts. Not a snapshot: each moves on meanwhile. */
static void acall_counts_sum(struct acall_ctx *ctx, struct acall_counts *sum)
{
	const u64 *from;
	u64 *to = (u64 *)sum;
	unsigned int cpu, i;

	BUILD_BUG_ON(sizeof(*sum) % sizeof(u64));
	memset(sum, 0, sizeof(*sum));
	for_each_possible_cpu(cpu) {
		from = (const u64 *)per_cpu_ptr(ctx->counts, cpu);
		for (i = 0; i < sizeof(*sum) / sizeof(u64); i++) {
			/* Racing this_cpu_inc(): a count a moment old is fine. */
			to[i] += data_race(READ_ONCE(from[i]));
		}
	}
}

long acall_ioctl_stats(struct acall_ctx *ctx, struct acall_stats __user *arg)
{
	struct acall_counts c;
	struct acall_stats s;

	acall_counts_sum(ctx, &c);
	memset(&s, 0, sizeof(s));
	s.submitted = c.submitted;
	s.inline_done = c.inline_done;
	s.async_kiocb = c.async_kiocb;
	s.punted = c.punted;
	s.canceled = c.canceled;
	s.ordered = c.ordered;
	s.linked = c.linked;
	s.order_waits = c.order_waits;
	s.ran_submit_cpu = c.ran_submit_cpu;
	s.ran_submit_node = c.ran_submit_node;
	s.ran_other_node = c.ran_other_node;
	s.page_waits = c.page_waits;
	s.workers = atomic_read(&ctx->stats.workers);
	s.workers_peak = atomic_read(&ctx->stats.workers_peak);
	spin_lock_irq(&ctx->cq_lock);
	s.completed = ctx->completed;
	spin_unlock_irq(&ctx->cq_lock);
	s.inflight = acall_ring_inflight(ctx);
	s.inflight_peak = READ_ONCE(ctx->inflight_peak);

	if (copy_to_user(arg, &s, sizeof(s)))
		return -EFAULT;
	return 0;
}

long acall_ioctl_punts(struct acall_ctx *ctx, struct acall_punts __user *arg)
{
	struct acall_counts c;
	struct acall_punts p;
	unsigned int i;

	BUILD_BUG_ON(ACALL_PUNT_NR > ACALL_PUNT_MAX);
	acall_counts_sum(ctx, &c);
	memset(&p, 0, sizeof(p));
	for (i = 0; i < ACALL_PUNT_NR; i++)
		p.reason[i] = c.punts[i];
	if (copy_to_user(arg, &p, sizeof(p)))
		return -EFAULT;
	return 0;
}

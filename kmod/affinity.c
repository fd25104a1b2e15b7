// SPDX-License-Identifier: GPL-2.0
/*
 * Where workers run. By default a pool's workers run on the CPUs of its
 * NUMA node. ACALL_IOC_AFFINITY binds every pool of a context to a CPU set,
 * or gives one queue a pool of its own bound to its own set, so that an
 * IOThread and its I/O stay on the cores given to them. A worker applies a
 * new mask to itself the next time it looks for work, and after a CPU
 * comes or goes. Kernel-thread workers keep off the CPUs nohz_full= and
 * isolcpus= isolate.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpuhotplug.h>
#include <linux/nospec.h>
#include <linux/sched.h>
#include <linux/sched/isolation.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "internal.h"

/*
 * Moved at each CPU hotplug event (acall_cpus_changed()): workers look at
 * their CPUs again then, as at a change of their pool's. Read at each pass
 * of every worker's loop.
 */
static atomic_t acall_cpus_seq __read_mostly = ATOMIC_INIT(0);
static int acall_cpuhp_state;

/*
 * A CPU came online (before it is active), or goes offline (inactive
 * already, still online). The release orders the mask that changed
 * before the count, for a worker that reads the count first
 * (acall_worker_follow_mask()).
 */
static int acall_cpus_changed(unsigned int cpu)
{
	atomic_inc_return_release(&acall_cpus_seq);
	return 0;
}

/*
 * Without a state of its own (the kernel's dynamic ones are few), the
 * module still works: a worker then follows CPUs that come back only at
 * the next change of its pool's.
 */
void acall_affinity_init(void)
{
	int ret;

	ret = cpuhp_setup_state_nocalls(CPUHP_AP_ONLINE_DYN, "acall:online",
					acall_cpus_changed, acall_cpus_changed);
	if (ret < 0)
		pr_warn("no CPU hotplug state (%d): workers stay where the kernel moves them\n",
			ret);
	else
		acall_cpuhp_state = ret;
}

void acall_affinity_exit(void)
{
	if (acall_cpuhp_state > 0)
		cpuhp_remove_state_nocalls(acall_cpuhp_state);
}

/* A pool's CPUs without a binding: its node's while one of them is active. */
static const struct cpumask *acall_pool_default_mask(int node)
{
	if (node != NUMA_NO_NODE &&
	    cpumask_intersects(cpumask_of_node(node), cpu_active_mask))
		return cpumask_of_node(node);
	return cpu_possible_mask;
}

/*
 * The CPUs of the pool's kernel-thread workers: its own less those outside
 * the housekeeping sets of unbound kernel threads and of the scheduler's
 * domains (those nohz_full= and isolcpus= with its domain flag isolate):
 * an admin who isolated a CPU for a vCPU or a poller does not expect I/O
 * threads there. A binding with no housekeeping CPU active is taken as it
 * is; a default mask with none (a node all isolated or offline) gives way
 * to the housekeeping CPUs. What is active is read here, so this is done
 * again when CPUs come or go (acall_pool_cpus_changed()). Under mask_lock,
 * or before the pool is used.
 */
static void acall_pool_kthread_mask_update(struct acall_pool *pool)
{
	const struct cpumask *hk_kthread = housekeeping_cpumask(HK_TYPE_KTHREAD);
	const struct cpumask *hk_domain = housekeeping_cpumask(HK_TYPE_DOMAIN);
	struct cpumask *kmask = pool->kthread_mask;

	/*
	 * Active: a kernel thread is refused a mask with no online CPU, and
	 * one going offline is inactive first.
	 */
	cpumask_and(kmask, pool->mask, hk_kthread);
	cpumask_and(kmask, kmask, hk_domain);
	if (cpumask_intersects(kmask, cpu_active_mask))
		return;
	if (!pool->bound) {
		cpumask_and(kmask, hk_kthread, hk_domain);
		if (cpumask_intersects(kmask, cpu_active_mask))
			return;
	}
	cpumask_copy(kmask, pool->mask);
}

/* Set the pool's CPUs, bound or its default, and its kernel threads'. */
static void acall_pool_mask_update(struct acall_pool *pool,
				   const struct cpumask *mask, bool bound)
{
	cpumask_copy(pool->mask, mask);
	pool->bound = bound;
	acall_pool_kthread_mask_update(pool);
}

/*
 * CPUs came or went: a pool without a binding takes its node's again (a
 * node that was all offline), and its kernel threads' are worked out
 * again. Under mask_lock.
 */
static void acall_pool_cpus_changed(struct acall_pool *pool)
{
	if (!pool->bound)
		cpumask_copy(pool->mask, acall_pool_default_mask(pool->node));
	acall_pool_kthread_mask_update(pool);
}

int acall_pool_mask_init(struct acall_pool *pool)
{
	mutex_init(&pool->mask_lock);
	/* On failure the caller frees what was allocated (mask_free). */
	if (!zalloc_cpumask_var(&pool->mask, GFP_KERNEL_ACCOUNT) ||
	    !zalloc_cpumask_var(&pool->kthread_mask, GFP_KERNEL_ACCOUNT))
		return -ENOMEM;
	acall_pool_mask_update(pool, acall_pool_default_mask(pool->node), false);
	return 0;
}

void acall_pool_mask_free(struct acall_pool *pool)
{
	free_cpumask_var(pool->mask);
	free_cpumask_var(pool->kthread_mask);
}

static void acall_pool_wake_idle(struct acall_pool *pool)
{
	struct acall_worker *worker;

	spin_lock_irq(&pool->lock);
	list_for_each_entry(worker, &pool->idle, idle_node)
		wake_up_process(worker->task);
	spin_unlock_irq(&pool->lock);
}

/*
 * Whether a thread goes back to userspace for a CPU that came back. Before
 * 6.3, and in a cpuset below the root, sched_setaffinity() leaves out the
 * CPUs not active at the time: a thread that set its CPUs while one of its
 * pool's was away (libacall's, back from SERVE) may have joined without
 * it. Its first look notes the CPUs it lacked that were not active; at a
 * settled hotplug event after which one of them is active and its pool's,
 * it goes back (once: it joins again as a new worker, with a new note). A
 * thread that joined with every CPU not active then never goes back for
 * this.
 */
static bool acall_worker_cpu_back(struct acall_worker *worker,
				  const struct cpumask *own, bool event)
{
	const struct cpumask *mask = worker->pool->mask;
	unsigned int cpu;

	if (!worker->cpus_known) {
		cpumask_andnot(worker->joined_without, cpu_possible_mask,
			       cpu_active_mask);
		cpumask_andnot(worker->joined_without, worker->joined_without,
			       own);
		return false;
	}
	if (!event)
		return false;
	for_each_cpu_and(cpu, worker->joined_without, cpu_active_mask) {
		if (cpumask_test_cpu(cpu, mask) && !cpumask_test_cpu(cpu, own))
			return true;
	}
	return false;
}

/*
 * In a worker: move onto the pool's CPUs if they changed since it last
 * looked, or CPUs came or went. A kernel thread takes them as they are. A
 * thread of the process keeps within its own CPUs (its cpuset's, its
 * creator's affinity): those it had when it joined, or whatever the kernel
 * or its process set since the last move (a cpuset that shrank); where the
 * pool's do not meet them, it keeps its own. It is only ever narrowed,
 * never widened: a module cannot read a task's cpuset
 * (cpuset_cpus_allowed() is not exported), and set_cpus_allowed_ptr() does
 * not check it, so CPUs the thread had once may be outside its cpuset now
 * (one that shrank to exactly the CPUs it was narrowed to leaves it no
 * trace). Returns true when the pool's CPUs need one it does not have: the
 * thread goes back to userspace, where sched_setaffinity(), which the
 * kernel checks against the cpuset, can give it more (libacall's threads
 * take a new thread's), and joins again; so it does for a CPU that came
 * back (acall_worker_cpu_back()).
 *
 * Where none of the CPUs is active, it is not moved: it stays where the
 * kernel put it (off a CPU that went offline) until one comes back.
 */
bool acall_worker_follow_mask(struct acall_worker *worker)
{
	struct acall_pool *pool = worker->pool;
	struct cpumask *own = &current->cpus_mask;
	const struct cpumask *target;
	unsigned int cpus_seq = atomic_read_acquire(&acall_cpus_seq);
	unsigned int seen;
	bool widen = false, dl_kept;

	/*
	 * Or a thread's own CPUs changed (a cpuset's, sched_setaffinity()
	 * from outside): a binding then narrows them again.
	 */
	if (likely(READ_ONCE(pool->mask_seq) == worker->mask_seq &&
		   cpus_seq == worker->cpus_seq &&
		   (!worker->thread || cpumask_equal(own, worker->applied))))
		return false;
	/*
	 * A CPU on its way up is online and counted before it is active; one
	 * on its way down is inactive, then counted, then offline. Until the
	 * two masks agree (a few milliseconds of each hotplug operation), the
	 * event is taken as not seen yet: the next pass looks again. An
	 * offline that fails after the CPU was made inactive is not counted
	 * (no callback runs): workers the kernel pushed off it stay where
	 * they went until the next event or change of their pool's CPUs.
	 */
	seen = cpus_seq;
	if (!cpumask_equal(cpu_online_mask, cpu_active_mask))
		seen--;
	mutex_lock(&pool->mask_lock);
	if (pool->cpus_seq != cpus_seq) {
		acall_pool_cpus_changed(pool);
		pool->cpus_seq = seen;
	}
	if (!worker->thread) {
		target = pool->kthread_mask;
	} else {
		if (!cpumask_equal(own, worker->applied))
			cpumask_copy(worker->allowed, own);
		if (!cpumask_and(worker->applied, pool->mask, worker->allowed))
			cpumask_copy(worker->applied, worker->allowed);
		target = worker->applied;
		/* Its first look notes what it joined without. */
		widen = acall_worker_cpu_back(worker, own, seen == cpus_seq &&
					      seen != worker->cpus_seq);
		widen |= !cpumask_subset(target, own);
	}
	/*
	 * A deadline task's CPUs are part of its admission: sched_setaffinity()
	 * refuses to narrow them below its root domain
	 * (dl_task_check_affinity()), set_cpus_allowed_ptr() does not check.
	 * It keeps its own, and looks again at each pass until it leaves the
	 * policy.
	 */
	dl_kept = current->policy == SCHED_DEADLINE;
	if (dl_kept)
		widen = false;
	else if (!widen && cpumask_intersects(target, cpu_active_mask))
		set_cpus_allowed_ptr(current, target);
	if (worker->thread)
		cpumask_copy(worker->applied, own);	/* what the kernel did */
	worker->mask_seq = dl_kept ? pool->mask_seq - 1 : pool->mask_seq;
	/* A deadline task keeps the event for when it leaves the policy. */
	if (!dl_kept || !worker->cpus_known)
		worker->cpus_seq = seen;
	worker->cpus_known = true;
	mutex_unlock(&pool->mask_lock);
	return widen;
}

static void acall_pool_set_mask(struct acall_pool *pool,
				const struct cpumask *mask, bool bound)
{
	mutex_lock(&pool->mask_lock);
	acall_pool_mask_update(pool, mask, bound);
	WRITE_ONCE(pool->mask_seq, pool->mask_seq + 1);
	mutex_unlock(&pool->mask_lock);
	acall_pool_wake_idle(pool);
}

/* Give every pool the mask its bindings say. Called with setup_lock held. */
static void acall_apply_affinity(struct acall_ctx *ctx)
{
	const struct cpumask *mask;
	unsigned int i;
	int node;

	for (node = 0; node < nr_node_ids; node++) {
		mask = ctx->affinity_set ? ctx->affinity :
					   acall_pool_default_mask(node);
		acall_pool_set_mask(&ctx->pools[node], mask,
				    ctx->affinity_set);
	}
	for (i = 0; i < ctx->nr_queues; i++) {
		struct acall_queue *q = &ctx->queues[i];

		if (!q->pool)
			continue;
		mask = cpu_possible_mask;
		if (q->bound)
			mask = q->mask;
		else if (ctx->affinity_set)
			mask = ctx->affinity;
		acall_pool_set_mask(q->pool, mask,
				    q->bound || ctx->affinity_set);
	}
}

/* Read the user's CPU set: CPUs this caller may use, at least one online. */
static int acall_affinity_read(const struct acall_affinity *a,
			       struct cpumask *mask)
{
	size_t len = min_t(size_t, a->mask_size, cpumask_size());

	cpumask_clear(mask);
	if (copy_from_user(cpumask_bits(mask), u64_to_user_ptr(a->mask), len))
		return -EFAULT;
	cpumask_and(mask, mask, current->cpus_ptr);
	if (!cpumask_intersects(mask, cpu_online_mask))
		return -EINVAL;
	return 0;
}

/*
 * Where a binding is kept: the context's mask or the queue's, allocated
 * here. A queue bound for the first time gets its own pool, published only
 * once the binding has room, so that a failed call leaves no pool outside
 * the context's binding, and born on the new CPUs (mask), so that none of
 * its workers runs elsewhere before acall_apply_affinity().
 */
static int acall_affinity_slot(struct acall_ctx *ctx,
			       const struct acall_affinity *a,
			       const struct cpumask *mask,
			       cpumask_var_t **slot, bool **bound)
{
	struct acall_queue *q = NULL;
	struct acall_pool *pool;

	lockdep_assert_held(&ctx->setup_lock);
	if (a->flags & ACALL_AFFINITY_QUEUE) {
		q = &ctx->queues[array_index_nospec(a->queue, ctx->nr_queues)];
		*slot = &q->mask;
		*bound = &q->bound;
	} else {
		*slot = &ctx->affinity;
		*bound = &ctx->affinity_set;
	}
	if (!a->mask_size)
		return 0;
	if (!cpumask_available(**slot) &&
	    !zalloc_cpumask_var(*slot, GFP_KERNEL_ACCOUNT))
		return -ENOMEM;
	if (q && !q->pool) {
		pool = acall_pool_alloc(ctx);
		if (!pool)
			return -ENOMEM;
		acall_pool_mask_update(pool, mask, true);
		/* acall_pool_queue() looks without the lock. */
		smp_store_release(&q->pool, pool);
	}
	return 0;
}

long acall_ioctl_affinity(struct acall_ctx *ctx,
			  struct acall_affinity __user *arg)
{
	struct acall_affinity a;
	cpumask_var_t mask;
	cpumask_var_t *slot;
	bool *bound;
	long ret;

	if (copy_from_user(&a, arg, sizeof(a)))
		return -EFAULT;
	if ((a.flags & ~ACALL_AFFINITY_QUEUE) || a.resv1 || a.resv2 || a.resv)
		return -EINVAL;
	if (a.flags & ACALL_AFFINITY_QUEUE) {
		if (a.queue >= ctx->nr_queues)
			return -EINVAL;
	} else if (a.queue) {
		return -EINVAL;
	}
	/* The ABI's unit is 8 bytes, whatever the size of the kernel's long. */
	if (a.mask_size % sizeof(u64) || (!a.mask_size && a.mask))
		return -EINVAL;

	if (!zalloc_cpumask_var(&mask, GFP_KERNEL))
		return -ENOMEM;
	if (a.mask_size) {
		ret = acall_affinity_read(&a, mask);
		if (ret)
			goto out;
	}

	mutex_lock(&ctx->setup_lock);
	ret = acall_affinity_slot(ctx, &a, mask, &slot, &bound);
	if (ret)
		goto out_unlock;
	if (a.mask_size)
		cpumask_copy(*slot, mask);
	*bound = a.mask_size != 0;
	acall_apply_affinity(ctx);
out_unlock:
	mutex_unlock(&ctx->setup_lock);
out:
	free_cpumask_var(mask);
	return ret;
}

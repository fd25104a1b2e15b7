// SPDX-License-Identifier: GPL-2.0
/*
 * The worker pool of a context: kernel threads, one set per NUMA node,
 * created on demand up to ctx->max_workers and gone after worker_idle_ms
 * without work. A worker acts as the submitter: it shares the context's
 * io_context exactly as a CLONE_IO thread would, and works with its
 * credentials, block cgroup, memory (and so memory cgroup) and
 * RLIMIT_FSIZE.
 */
#include <linux/blk-cgroup.h>
#include <linux/cred.h>
#include <linux/iocontext.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/topology.h>

#include "internal.h"

struct acall_worker {
	struct list_head idle_node;	/* in pool->idle while idle */
	struct task_struct *task;
	struct acall_pool *pool;
};

/* Complete every request of list, none of which started, with res. */
static void acall_fail_list(struct acall_ctx *ctx, struct list_head *list,
			    int res)
{
	struct acall_req *req, *next;

	if (list_empty(list))
		return;
	list_for_each_entry_safe(req, next, list, node) {
		list_del(&req->node);
		if (res == -ECANCELED)
			atomic64_inc(&ctx->stats.canceled);
		acall_req_complete(req, res);
	}
	acall_ring_notify(ctx);
}

/* ---- acting as the submitter ---------------------------------------------- */

static const struct cred *acall_worker_assume_identity(struct acall_ctx *ctx)
{
	struct io_context *ioc = ctx->ioc;

	/*
	 * What CLONE_IO does in copy_process(): one more task on the same
	 * io_context; exit_io_context() undoes it when the worker exits. Only
	 * while some task still uses it: a dead io_context is not revived.
	 */
	task_lock(current);
	if (!current->io_context && atomic_inc_not_zero(&ioc->active_ref))
		current->io_context = ioc;
	task_unlock(current);

	kthread_associate_blkcg(ctx->blkcg_css);
	return override_creds(ctx->cred);
}

static void acall_worker_drop_identity(const struct cred *old)
{
	revert_creds(old);
	kthread_associate_blkcg(NULL);
}

/* The submitter's memory, only while there is work: idle workers pin none. */
static bool acall_worker_use_mm(struct acall_ctx *ctx)
{
	if (!mmget_not_zero(ctx->mm))
		return false;
	kthread_use_mm(ctx->mm);
	atomic_inc(&ctx->mm_holders);
	return true;
}

static void acall_worker_unuse_mm(struct acall_ctx *ctx)
{
	atomic_dec(&ctx->mm_holders);
	kthread_unuse_mm(ctx->mm);
	mmput(ctx->mm);
}

/*
 * Once only workers hold the memory, the process that owns it has exited:
 * what it queued is canceled rather than run for nobody, and the workers'
 * hold cannot keep its memory (and so the ring, and so the context) alive.
 */
static bool acall_owner_gone(struct acall_ctx *ctx)
{
	return atomic_read(&ctx->mm->mm_users) <= atomic_read(&ctx->mm_holders);
}

static void acall_worker_set_fsize(unsigned long fsize)
{
	task_lock(current->group_leader);
	current->signal->rlim[RLIMIT_FSIZE].rlim_cur = fsize;
	task_unlock(current->group_leader);
}

/* ---- the worker ----------------------------------------------------------- */

static int acall_worker_fn(void *data)
{
	struct acall_worker *worker = data;
	struct acall_pool *pool = worker->pool;
	struct acall_ctx *ctx = pool->ctx;
	long idle = msecs_to_jiffies(acall_worker_idle_ms);
	const struct cred *old_cred;
	bool timed_out = false, mm_held = false;
	struct acall_req *req;
	long res;

	old_cred = acall_worker_assume_identity(ctx);

	for (;;) {
		spin_lock_irq(&pool->lock);
		list_del_init(&worker->idle_node);
		req = list_first_entry_or_null(&pool->work, struct acall_req, node);
		if (req) {
			list_move_tail(&req->node, &pool->running);
			spin_unlock_irq(&pool->lock);

			if (!mm_held)
				mm_held = acall_worker_use_mm(ctx);
			if (mm_held && !acall_owner_gone(ctx)) {
				acall_worker_set_fsize(req->fsize);
				res = req->op->run(req);
			} else {
				atomic64_inc(&ctx->stats.canceled);
				res = -ECANCELED;
			}

			spin_lock_irq(&pool->lock);
			list_del(&req->node);
			spin_unlock_irq(&pool->lock);
			acall_req_complete_notify(req, res);
			timed_out = false;
			continue;
		}
		if (mm_held) {
			/* Let go of the memory before sleeping; then look again. */
			spin_unlock_irq(&pool->lock);
			acall_worker_unuse_mm(ctx);
			mm_held = false;
			continue;
		}
		if (READ_ONCE(ctx->dying) || timed_out) {
			pool->nr_workers--;
			spin_unlock_irq(&pool->lock);
			break;
		}
		list_add(&worker->idle_node, &pool->idle);
		/* Set before unlocking, so that a wake-up cannot be missed. */
		set_current_state(TASK_IDLE);
		spin_unlock_irq(&pool->lock);
		timed_out = !schedule_timeout(idle);
	}

	acall_worker_drop_identity(old_cred);
	atomic_dec(&ctx->stats.workers);
	kfree(worker);
	acall_ctx_put(ctx);
	module_put_and_kthread_exit(0);
}

static int acall_worker_create(struct acall_pool *pool)
{
	struct acall_ctx *ctx = pool->ctx;
	struct acall_worker *worker;
	struct task_struct *task;
	int peak, now;

	worker = kzalloc_node(sizeof(*worker), GFP_KERNEL, pool->node);
	if (!worker)
		return -ENOMEM;
	INIT_LIST_HEAD(&worker->idle_node);
	worker->pool = pool;

	/* The worker's own references, dropped as it exits. */
	kref_get(&ctx->ref);
	__module_get(THIS_MODULE);
	task = kthread_create_on_node(acall_worker_fn, worker, pool->node,
				      "acall/%d:%d", ctx->tgid,
				      atomic_inc_return(&ctx->worker_ids));
	if (IS_ERR(task)) {
		module_put(THIS_MODULE);
		acall_ctx_put(ctx);
		kfree(worker);
		return PTR_ERR(task);
	}
	worker->task = task;
	if (cpumask_weight(cpumask_of_node(pool->node)))
		set_cpus_allowed_ptr(task, cpumask_of_node(pool->node));

	now = atomic_inc_return(&ctx->stats.workers);
	peak = atomic_read(&ctx->stats.workers_peak);
	while (now > peak && !atomic_try_cmpxchg(&ctx->stats.workers_peak, &peak, now))
		;
	wake_up_process(task);
	return 0;
}

/*
 * Creating a thread sleeps, so it is never done by the submitter (or in a
 * completion): this work item does it.
 */
static void acall_spawn_work(struct work_struct *work)
{
	struct acall_pool *pool = container_of(work, struct acall_pool, spawn_work);
	struct acall_ctx *ctx = pool->ctx;
	LIST_HEAD(stranded);
	int ret;

	for (;;) {
		spin_lock_irq(&pool->lock);
		if (!pool->nr_to_spawn) {
			spin_unlock_irq(&pool->lock);
			break;
		}
		pool->nr_to_spawn--;
		spin_unlock_irq(&pool->lock);

		ret = READ_ONCE(ctx->dying) ? -ECANCELED : acall_worker_create(pool);
		if (!ret)
			continue;
		spin_lock_irq(&pool->lock);
		pool->nr_workers--;
		/* No worker will ever come for these: fail them. */
		if (!pool->nr_workers)
			list_splice_init(&pool->work, &stranded);
		spin_unlock_irq(&pool->lock);
		acall_fail_list(ctx, &stranded, ret);
	}
	acall_ctx_put(ctx);
}

/* ---- the pools ------------------------------------------------------------ */

int acall_pools_init(struct acall_ctx *ctx)
{
	int node;

	ctx->pools = kcalloc(nr_node_ids, sizeof(*ctx->pools), GFP_KERNEL);
	if (!ctx->pools)
		return -ENOMEM;
	for (node = 0; node < nr_node_ids; node++) {
		struct acall_pool *pool = &ctx->pools[node];

		spin_lock_init(&pool->lock);
		INIT_LIST_HEAD(&pool->work);
		INIT_LIST_HEAD(&pool->running);
		INIT_LIST_HEAD(&pool->idle);
		INIT_WORK(&pool->spawn_work, acall_spawn_work);
		pool->node = node;
		pool->ctx = ctx;
	}
	return 0;
}

void acall_pools_free(struct acall_ctx *ctx)
{
	kfree(ctx->pools);
	ctx->pools = NULL;
}

/* Hand a request to a worker of this CPU's node. Any context. */
void acall_pool_queue(struct acall_req *req)
{
	struct acall_ctx *ctx = req->ctx;
	struct acall_pool *pool = &ctx->pools[numa_node_id()];
	struct acall_worker *worker;
	unsigned long flags;
	bool spawn = false;

	spin_lock_irqsave(&pool->lock, flags);
	if (READ_ONCE(ctx->dying)) {
		/* Closed: no worker may start anything new. */
		spin_unlock_irqrestore(&pool->lock, flags);
		atomic64_inc(&ctx->stats.canceled);
		acall_req_complete_notify(req, -ECANCELED);
		return;
	}
	list_add_tail(&req->node, &pool->work);
	worker = list_first_entry_or_null(&pool->idle, struct acall_worker,
					  idle_node);
	if (worker) {
		list_del_init(&worker->idle_node);
		wake_up_process(worker->task);
	} else if (pool->nr_workers < ctx->max_workers) {
		pool->nr_workers++;
		pool->nr_to_spawn++;
		spawn = true;
	}
	spin_unlock_irqrestore(&pool->lock, flags);
	atomic64_inc(&ctx->stats.punted);

	if (spawn) {
		kref_get(&ctx->ref);
		if (!queue_work(acall_wq, &pool->spawn_work))
			acall_ctx_put(ctx);
	}
}

/* The context is closing: cancel what has not started, wake idle workers. */
void acall_pools_shutdown(struct acall_ctx *ctx)
{
	struct acall_worker *worker, *next;
	int node;

	for (node = 0; node < nr_node_ids; node++) {
		struct acall_pool *pool = &ctx->pools[node];
		LIST_HEAD(canceled);

		spin_lock_irq(&pool->lock);
		list_splice_init(&pool->work, &canceled);
		list_for_each_entry_safe(worker, next, &pool->idle, idle_node) {
			list_del_init(&worker->idle_node);
			wake_up_process(worker->task);
		}
		spin_unlock_irq(&pool->lock);
		acall_fail_list(ctx, &canceled, -ECANCELED);
	}
}

long acall_ioctl_cancel(struct acall_ctx *ctx, u64 __user *arg)
{
	struct acall_req *req, *next;
	bool running = false;
	long canceled = 0;
	u64 user_data;
	int node;

	if (get_user(user_data, arg))
		return -EFAULT;

	for (node = 0; node < nr_node_ids; node++) {
		struct acall_pool *pool = &ctx->pools[node];
		LIST_HEAD(list);

		spin_lock_irq(&pool->lock);
		list_for_each_entry_safe(req, next, &pool->work, node) {
			if (req->user_data == user_data) {
				list_move_tail(&req->node, &list);
				canceled++;
			}
		}
		list_for_each_entry(req, &pool->running, node)
			running |= req->user_data == user_data;
		spin_unlock_irq(&pool->lock);
		acall_fail_list(ctx, &list, -ECANCELED);
	}
	if (canceled)
		return canceled;
	return running ? -EALREADY : -ENOENT;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * A context: one open /dev/acall. It is created at open, set up once with
 * ACALL_IOC_SETUP (ring, queues, pools, the shared io_context), and freed
 * when the file is closed and the last request and worker are gone.
 */
#include <linux/iocontext.h>
#include <linux/ioprio.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/percpu.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/topology.h>
#include <linux/vmalloc.h>

#include "internal.h"

static void acall_ctx_drop_io_context(struct acall_ctx *ctx)
{
	if (ctx->ioc)
		put_io_context(ctx->ioc);
	ctx->ioc = NULL;
}

static void acall_ctx_free(struct acall_ctx *ctx)
{
	acall_limits_close(ctx);
	acall_eventfd_release(ctx);
	acall_queues_free(ctx);
	acall_pools_free(ctx);
	free_cpumask_var(ctx->affinity);
	vfree(ctx->ring);
	acall_ctx_drop_io_context(ctx);
	mmdrop(ctx->mm);
	acall_owner_unwatch(ctx);
	put_pid(ctx->owner);
	free_percpu(ctx->counts);
	acall_identity_cache_free(ctx);
	acall_req_spare_free(ctx);
	kfree(ctx);
	/*
	 * Called from release() (the file's own module reference is still
	 * held) or from acall_wq (module exit destroys it, which waits for
	 * this to return).
	 */
	module_put(THIS_MODULE);
}

static void acall_ctx_free_work(struct work_struct *work)
{
	acall_ctx_free(container_of(work, struct acall_ctx, free_work));
}

static void acall_ctx_release(struct kref *ref)
{
	struct acall_ctx *ctx = container_of(ref, struct acall_ctx, ref);

	/* The last put can come from a completion in irq context. */
	queue_work(acall_wq, &ctx->free_work);
}

void acall_ctx_put(struct acall_ctx *ctx)
{
	kref_put(&ctx->ref, acall_ctx_release);
}

/* A new context for the caller, or an ERR_PTR (see acall_limits_open()). */
struct acall_ctx *acall_ctx_alloc(void)
{
	struct acall_ctx *ctx = kzalloc(sizeof(*ctx), GFP_KERNEL_ACCOUNT);
	int ret;

	if (!ctx)
		return ERR_PTR(-ENOMEM);
	ret = acall_limits_open(ctx);
	if (ret) {
		kfree(ctx);
		return ERR_PTR(ret);
	}
	/* After the limit: an open() refused there costs no per-CPU memory. */
	ctx->counts = alloc_percpu_gfp(struct acall_counts, GFP_KERNEL_ACCOUNT);
	if (!ctx->counts) {
		acall_limits_close(ctx);
		kfree(ctx);
		return ERR_PTR(-ENOMEM);
	}
	kref_init(&ctx->ref);
	mutex_init(&ctx->setup_lock);
	spin_lock_init(&ctx->cq_lock);
	init_waitqueue_head(&ctx->cq_wait);
	init_waitqueue_head(&ctx->spawn_wait);
	INIT_WORK(&ctx->free_work, acall_ctx_free_work);
	spin_lock_init(&ctx->held_lock);
	INIT_LIST_HEAD(&ctx->held);
	acall_ring_init_work(ctx);
	acall_cancel_init_work(ctx);
	/* The owner: every later call must come from this mm. */
	ctx->mm = current->mm;
	mmgrab(ctx->mm);
	/* As the host sees it: names of kernel threads, trace events. */
	ctx->tgid = task_tgid_nr(current);
	ctx->owner = get_pid(task_tgid(current));
	acall_owner_watch(ctx);
	__module_get(THIS_MODULE);
	return ctx;
}

/*
 * Take the I/O context the workers share from the calling thread, creating
 * it now if it has none, so it can be shared as CLONE_IO shares it. Every
 * other part of a worker's identity is its request's (identity.c). The
 * creation goes through set_task_ioprio(), which asks the security policy
 * as ioprio_set() does (SELinux's process:setsched, a BPF LSM program) and
 * allocates: refused or out of memory, the context is set up all the same,
 * with none to share, and each worker has none or one of its own, as
 * without CLONE_IO.
 */
static void acall_ctx_take_io_context(struct acall_ctx *ctx)
{
	struct io_context *ioc;

	if (!current->io_context)
		set_task_ioprio(current, IOPRIO_DEFAULT);
	task_lock(current);
	ioc = current->io_context;
	if (ioc)
		atomic_long_inc(&ioc->refcount);
	task_unlock(current);
	ctx->ioc = ioc;
}

static int acall_params_check(const struct acall_params *p)
{
	unsigned int i;

	if ((p->flags & ~ACALL_SETUP_PROCESS_WORKERS) || p->resv1 ||
	    p->ring_bytes)
		return -EINVAL;
	for (i = 0; i < ARRAY_SIZE(p->resv); i++)
		if (p->resv[i])
			return -EINVAL;
	if (!p->entries || !is_power_of_2(p->entries) ||
	    p->entries > ACALL_MAX_ENTRIES)
		return -EINVAL;
	if (p->nr_queues > ACALL_MAX_QUEUES)
		return -EINVAL;
	return 0;
}

long acall_ctx_setup(struct acall_ctx *ctx, const struct file *file,
		     struct acall_params __user *arg)
{
	struct acall_params p;
	long ret;

	/*
	 * The owner's threads alone: the context takes the caller's I/O
	 * context for its workers, and another process sharing the memory
	 * (CLONE_VM) would give them its own.
	 */
	if (current->mm != ctx->mm || task_tgid(current) != ctx->owner)
		return -EPERM;
	if (copy_from_user(&p, arg, sizeof(p)))
		return -EFAULT;
	ret = acall_params_check(&p);
	if (ret)
		return ret;
	if (!(p.flags & ACALL_SETUP_PROCESS_WORKERS) &&
	    !acall_limits_kthread_allowed(file))
		return -EPERM;

	mutex_lock(&ctx->setup_lock);
	ret = -EBUSY;
	if (ctx->ready || ctx->setting_up)
		goto out;

	ctx->entries = p.entries;
	ctx->nr_queues = p.nr_queues ? p.nr_queues : 1;
	ctx->max_workers = p.max_workers ? p.max_workers :
			   min(p.entries, 4 * num_online_cpus());
	ctx->max_workers = min(ctx->max_workers, acall_max_workers_limit);
	ctx->max_workers = max(ctx->max_workers, 1U);
	/* An event loop's SUBMIT copies about a millisecond's worth at most. */
	if (p.inline_bytes == ACALL_INLINE_DEFAULT)
		p.inline_bytes = ACALL_INLINE_DEFAULT_BYTES;
	ctx->inline_bytes = p.inline_bytes;
	ctx->process_workers = p.flags & ACALL_SETUP_PROCESS_WORKERS;
	ctx->hash_node = numa_node_id();

	acall_ctx_take_io_context(ctx);
	ret = acall_ring_alloc(ctx, &p);
	if (ret)
		goto out_identity;
	ret = acall_limits_ring(ctx, ctx->ring_bytes);
	if (ret)
		goto out_ring;
	ret = acall_pools_init(ctx);
	if (ret)
		goto out_ring_charge;
	ret = acall_queues_init(ctx);
	if (ret)
		goto out_pools;
	/*
	 * The answer goes out without the lock: a copy that faults into a
	 * userfaultfd or a FUSE mapping must not hold it for as long as the
	 * fault lasts. Not ready yet, the context has no other user than
	 * this call (a SETUP meanwhile is EBUSY, anything else EBADFD).
	 */
	ctx->setting_up = true;
	mutex_unlock(&ctx->setup_lock);
	ret = copy_to_user(arg, &p, sizeof(p)) ? -EFAULT : 0;
	mutex_lock(&ctx->setup_lock);
	ctx->setting_up = false;
	if (ret)
		goto out_queues;
	/* Everything above is visible to whoever sees ready. */
	smp_store_release(&ctx->ready, true);
	mutex_unlock(&ctx->setup_lock);
	return 0;

	/* Undo it all, so that setup can be tried again. */
out_queues:
	acall_queues_free(ctx);
out_pools:
	acall_pools_free(ctx);
out_ring_charge:
	acall_limits_ring_undo(ctx);
out_ring:
	vfree(ctx->ring);
	ctx->ring = NULL;
out_identity:
	acall_ctx_drop_io_context(ctx);
out:
	mutex_unlock(&ctx->setup_lock);
	return ret;
}

/*
 * Start nothing more: cancel what waits for a worker, interrupt what
 * workers run. What is in flight still completes, later.
 */
static void acall_ctx_stop(struct acall_ctx *ctx)
{
	mutex_lock(&ctx->setup_lock);
	WRITE_ONCE(ctx->dying, true);
	if (ctx->ready) {
		acall_pools_shutdown(ctx);
		acall_pools_interrupt(ctx);
	}
	mutex_unlock(&ctx->setup_lock);
}

/*
 * ACALL_IOC_SHUTDOWN: close's cancellation, and then a wait for the rest,
 * so that the caller may free its buffers once it returns, as after
 * libaio's io_destroy(). Interrupted by a signal, it may be called again.
 */
long acall_ioctl_shutdown(struct acall_ctx *ctx, unsigned long arg)
{
	if (arg)
		return -EINVAL;
	/*
	 * The owner's alone: a vfork() or CLONE_VM child shares the memory,
	 * and a teardown it runs must not end the parent's context.
	 */
	if (task_tgid(current) != ctx->owner)
		return -EPERM;
	acall_ring_shut(ctx);
	acall_ctx_stop(ctx);
	return acall_ring_wait_idle(ctx);
}

/*
 * The file is released (by close() and munmap(), or the owner's death):
 * cancel what has not started, interrupt what runs in workers, let the
 * workers exit, and drop the file's reference. Requests in flight hold
 * their own references and complete.
 */
void acall_ctx_close(struct acall_ctx *ctx)
{
	acall_ctx_stop(ctx);
	/*
	 * Free now if nothing else holds the context, so that rmmod right
	 * after the last close finds no reference left behind.
	 */
	if (refcount_dec_and_test(&ctx->ref.refcount))
		acall_ctx_free(ctx);
}

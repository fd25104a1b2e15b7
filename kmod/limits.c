// SPDX-License-Identifier: GPL-2.0
/*
 * Per-user limits: however many contexts a user opens, the kernel memory
 * and threads they can make acall spend stay bounded. Each user (real uid
 * of the opener, see acall_limits_uid()) has counts of contexts, ring
 * memory and workers; a context charges its opener's user for all three.
 * Callers with CAP_SYS_RESOURCE at open are neither limited nor charged
 * (ctx->user stays NULL): what they hold leaves the user's other
 * processes their whole budget.
 *
 * Kernel-thread workers are also counted over all users together: no
 * pids cgroup or RLIMIT_NPROC bounds them, and a caller who may switch
 * uids (a container's root) would otherwise get a user's share per uid.
 * No cgroup of the process bounds their CPU either: who may have them at
 * all is the admin's choice (kthread_workers_disabled).
 */
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/hashtable.h>
#include <linux/mm.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "internal.h"

struct acall_user {
	struct hlist_node node;
	kuid_t uid;
	unsigned int refs;		/* contexts charged to this user */
	unsigned int contexts;
	unsigned long ring_pages;
	unsigned int workers;
};

static DEFINE_SPINLOCK(acall_users_lock);
static DEFINE_HASHTABLE(acall_users, 6);
static unsigned int acall_kthread_workers;	/* of every charged user */

/*
 * Read-only: how near max_kthread_workers the users are. The load-time
 * parser calls .set without looking: kthread_workers=N on insmod's line
 * is an invalid parameter, and the load fails.
 */
static int acall_kthread_workers_get(char *buf, const struct kernel_param *kp)
{
	return scnprintf(buf, PAGE_SIZE, "%u\n", READ_ONCE(acall_kthread_workers));
}

static int acall_kthread_workers_set(const char *val,
				     const struct kernel_param *kp)
{
	return -EINVAL;
}

static const struct kernel_param_ops acall_kthread_workers_ops = {
	.set = acall_kthread_workers_set,
	.get = acall_kthread_workers_get,
};
module_param_cb(kthread_workers, &acall_kthread_workers_ops, NULL, 0444);
MODULE_PARM_DESC(kthread_workers,
		 "Kernel-thread workers of charged users alive now (read only)");

/*
 * Who may set a context up with kernel-thread workers (no
 * ACALL_SETUP_PROCESS_WORKERS): they run in the root cgroups, where the
 * process's cpu.max, cpu.weight, pids.max and cpuset do not reach, so by
 * default only an opener with CAP_SYS_ADMIN may have them (which io_uring
 * asks for at kernel.io_uring_disabled 1; CAP_SYS_RESOURCE lifts rlimits,
 * never a cgroup's bounds). 0: every opener; 2: none.
 */
static unsigned int acall_kthread_workers_disabled = 1;

static int acall_kthread_workers_disabled_set(const char *val,
					      const struct kernel_param *kp)
{
	unsigned int level;
	int ret = kstrtouint(val, 10, &level);

	if (ret)
		return ret;
	if (level > 2)
		return -EINVAL;
	WRITE_ONCE(acall_kthread_workers_disabled, level);
	return 0;
}

static const struct kernel_param_ops acall_kthread_workers_disabled_ops = {
	.set = acall_kthread_workers_disabled_set,
	.get = param_get_uint,
};
module_param_cb(kthread_workers_disabled, &acall_kthread_workers_disabled_ops,
		&acall_kthread_workers_disabled, 0644);
__MODULE_PARM_TYPE(kthread_workers_disabled, "uint");
MODULE_PARM_DESC(kthread_workers_disabled,
		 "Kernel-thread workers for: 0 every context, 1 an opener with CAP_SYS_ADMIN (default), 2 none");

static struct acall_user *acall_user_find(kuid_t uid)
{
	struct acall_user *u;

	hash_for_each_possible(acall_users, u, node, __kuid_val(uid))
		if (uid_eq(u->uid, uid))
			return u;
	return NULL;
}

/*
 * The user a new context is charged to: the caller's real uid, unless the
 * caller is in a user namespace that a user other than root (kuid 0)
 * created (its own, or one it is nested in): then the outermost such
 * namespace's owner. A user who may create a namespace can map many uids
 * into it (its subordinate ids), and each would otherwise count as a user
 * of its own. Namespaces root made (a container runtime's) keep the uids
 * the admin gave them apart. The walk needs no lock: the caller's
 * credentials hold its namespace, and each namespace its parent.
 */
static kuid_t acall_limits_uid(void)
{
	const struct user_namespace *ns;
	kuid_t uid = current_uid();

	for (ns = current_user_ns(); ns != &init_user_ns; ns = ns->parent) {
		if (!uid_eq(ns->owner, GLOBAL_ROOT_UID))
			uid = ns->owner;
	}
	return uid;
}

/*
 * Charge a new context to the calling user. Returns 0, or -EMFILE when
 * the user has user_max_contexts contexts already, or -ENOMEM.
 */
int acall_limits_open(struct acall_ctx *ctx)
{
	kuid_t uid = acall_limits_uid();
	struct acall_user *u, *fresh;
	int ret = 0;

	if (ns_capable_noaudit(&init_user_ns, CAP_SYS_RESOURCE))
		return 0;
	fresh = kzalloc(sizeof(*fresh), GFP_KERNEL);
	if (!fresh)
		return -ENOMEM;

	spin_lock(&acall_users_lock);
	u = acall_user_find(uid);
	if (!u) {
		u = fresh;
		fresh = NULL;
		u->uid = uid;
		hash_add(acall_users, &u->node, __kuid_val(uid));
	}
	if (u->contexts >= acall_user_max_contexts) {
		ret = -EMFILE;
		if (!u->refs) {
			hash_del(&u->node);
			kfree(u);
		}
	} else {
		u->refs++;
		u->contexts++;
		ctx->user = u;
	}
	spin_unlock(&acall_users_lock);
	kfree(fresh);
	return ret;
}

/*
 * May the context of file have kernel-thread workers
 * (kthread_workers_disabled)? The capability is the opener's, as
 * CAP_SYS_RESOURCE is for the limits: a process that opens the device and
 * then drops its privileges keeps what it had. Asked only when SETUP
 * wants kernel threads, so that the security module's audit records a
 * refusal that matters.
 */
bool acall_limits_kthread_allowed(const struct file *file)
{
	switch (READ_ONCE(acall_kthread_workers_disabled)) {
	case 0:
		return true;
	case 1:
		return file_ns_capable(file, &init_user_ns, CAP_SYS_ADMIN);
	default:
		return false;
	}
}

/* The context is freed: give back everything it still holds. */
void acall_limits_close(struct acall_ctx *ctx)
{
	struct acall_user *u = ctx->user;

	if (!u)
		return;
	spin_lock(&acall_users_lock);
	u->contexts--;
	u->ring_pages -= ctx->ring_charged;
	if (!--u->refs) {
		hash_del(&u->node);
		kfree(u);
	}
	spin_unlock(&acall_users_lock);
	ctx->user = NULL;
}

/* Charge the ring's pages. Returns 0 or -ENOMEM past user_max_ring_kb. */
int acall_limits_ring(struct acall_ctx *ctx, size_t bytes)
{
	unsigned long pages = PAGE_ALIGN(bytes) >> PAGE_SHIFT;
	unsigned long max = (unsigned long)acall_user_max_ring_kb >>
			    (PAGE_SHIFT - 10);
	struct acall_user *u = ctx->user;
	int ret = 0;

	if (!u)
		return 0;
	spin_lock(&acall_users_lock);
	if (u->ring_pages + pages > max) {
		ret = -ENOMEM;
	} else {
		u->ring_pages += pages;
		ctx->ring_charged += pages;
	}
	spin_unlock(&acall_users_lock);
	return ret;
}

/* Undo acall_limits_ring() when setup fails after it. */
void acall_limits_ring_undo(struct acall_ctx *ctx)
{
	if (!ctx->user)
		return;
	spin_lock(&acall_users_lock);
	ctx->user->ring_pages -= ctx->ring_charged;
	ctx->ring_charged = 0;
	spin_unlock(&acall_users_lock);
}

/*
 * One more worker for the context's user (a kernel thread if kthread)?
 * false past user_max_workers, or max_kthread_workers for a kernel thread.
 */
bool acall_limits_worker_get(struct acall_ctx *ctx, bool kthread)
{
	struct acall_user *u = ctx->user;
	bool ok;

	if (!u)
		return true;
	spin_lock(&acall_users_lock);
	ok = u->workers < acall_user_max_workers &&
	     (!kthread || acall_kthread_workers < acall_max_kthread_workers);
	if (ok) {
		u->workers++;
		if (kthread)
			WRITE_ONCE(acall_kthread_workers,
				   acall_kthread_workers + 1);
	}
	spin_unlock(&acall_users_lock);
	return ok;
}

void acall_limits_worker_put(struct acall_ctx *ctx, bool kthread)
{
	if (!ctx->user)
		return;
	spin_lock(&acall_users_lock);
	ctx->user->workers--;
	if (kthread)
		WRITE_ONCE(acall_kthread_workers, acall_kthread_workers - 1);
	spin_unlock(&acall_users_lock);
}

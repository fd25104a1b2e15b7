// SPDX-License-Identifier: GPL-2.0
/*
 * acall: batched asynchronous system calls for event-loop programs.
 *
 * Module entry points: parameters, the request cache, the CPU hotplug
 * state (affinity.c), the module's workqueue and the /dev/acall misc
 * device. Each open of the device is an independent context (ctx.c).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/rcupdate.h>
#include <linux/workqueue.h>

#include "internal.h"

unsigned int acall_max_workers_limit = 64;
module_param_named(max_workers_limit, acall_max_workers_limit, uint, 0644);
MODULE_PARM_DESC(max_workers_limit,
		 "Most workers one context may have per NUMA node and per queue bound to CPUs (default 64)");

unsigned int acall_worker_idle_ms = 5000;
module_param_named(worker_idle_ms, acall_worker_idle_ms, uint, 0644);
MODULE_PARM_DESC(worker_idle_ms,
		 "Milliseconds an idle worker waits for work before it exits (default 5000)");

unsigned int acall_user_max_contexts = 128;
module_param_named(user_max_contexts, acall_user_max_contexts, uint, 0644);
MODULE_PARM_DESC(user_max_contexts,
		 "Most contexts one user may have open (default 128)");

unsigned int acall_user_max_ring_kb = 65536;
module_param_named(user_max_ring_kb, acall_user_max_ring_kb, uint, 0644);
MODULE_PARM_DESC(user_max_ring_kb,
		 "Most KiB of completion rings one user may have (default 65536)");

unsigned int acall_user_max_workers = 512;
module_param_named(user_max_workers, acall_user_max_workers, uint, 0644);
MODULE_PARM_DESC(user_max_workers,
		 "Most workers all contexts of one user may have (default 512)");

unsigned int acall_max_kthread_workers = 4096;
module_param_named(max_kthread_workers, acall_max_kthread_workers, uint, 0644);
MODULE_PARM_DESC(max_kthread_workers,
		 "Most kernel-thread workers of all users together (default 4096)");

/* Worker creation and context teardown; module exit waits for both. */
struct workqueue_struct *acall_wq;

static struct miscdevice acall_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "acall",
	.fops	= &acall_fops,
	.mode	= 0600,
};

static int __init acall_init(void)
{
	int ret;

	ret = acall_submit_init();
	if (ret)
		return ret;
	acall_affinity_init();
	ret = -ENOMEM;
	acall_wq = alloc_workqueue("acall", WQ_UNBOUND, 0);
	if (!acall_wq)
		goto out_cpuhp;
	ret = misc_register(&acall_misc);
	if (ret) {
		pr_err("cannot register /dev/acall: %d\n", ret);
		goto out_wq;
	}
	pr_info("ABI version %u ready\n", ACALL_ABI_VERSION);
	return 0;

out_wq:
	destroy_workqueue(acall_wq);
out_cpuhp:
	acall_affinity_exit();
	acall_submit_exit();
	return ret;
}

/* acall_exit() relies on Tasks RCU where a completion can be preempted. */
#if defined(CONFIG_PREEMPTION) && !defined(CONFIG_TASKS_RCU)
#error "a preemptible kernel needs CONFIG_TASKS_RCU for acall (see acall_exit())"
#endif

static void __exit acall_exit(void)
{
	misc_deregister(&acall_misc);
	/* Waits for the last context's free work to return. */
	destroy_workqueue(acall_wq);
	/*
	 * A kiocb completion run by a task (a workqueue's end of a write)
	 * can be preempted between its rcu_read_unlock() and its return:
	 * free_module()'s RCU grace period does not wait for it, a Tasks RCU
	 * one does (rw.c). Every Debian kernel has Tasks RCU; the module is
	 * not built for a preemptible kernel without it, where this would
	 * be a plain RCU grace period and leave that window open.
	 */
	synchronize_rcu_tasks();
	acall_affinity_exit();
	acall_submit_exit();
}

module_init(acall_init);
module_exit(acall_exit);

MODULE_DESCRIPTION("Batched asynchronous preadv/pwritev with a completion ring");
MODULE_AUTHOR("The acall developers");
MODULE_LICENSE("GPL");

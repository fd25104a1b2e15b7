/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Test-only bug injection. Compiled in only by "make ACALL_INJECT=1", never
 * into a module that is shipped: the test suite uses it to prove that the VM
 * runner catches a kernel WARN and that the debug kernel catches a
 * use-after-free.
 */
#ifndef ACALL_INJECT_H
#define ACALL_INJECT_H

#include <linux/acall.h>

#define ACALL_INJECT_WARN	1	/* WARN_ON_ONCE(1) */
#define ACALL_INJECT_UAF	2	/* read a freed kmalloc object */
/*
 * The next async kiocb completion spins ACALL_INJECT_SLOW_COMPLETION_MS
 * after it has posted and dropped its references, then logs "slow
 * completion over": rmmod must not free the module under it.
 */
#define ACALL_INJECT_SLOW_COMPLETION	3
#define ACALL_INJECT_SLOW_COMPLETION_MS	300

/*
 * The next wake-up of an idle worker chosen for a request first sends the
 * worker SIGUSR1, then waits ACALL_INJECT_LATE_WAKE_MS: the worker leaves
 * meanwhile (a thread goes back to userspace), and the wake-up, when it
 * comes, must not reach it where it sleeps next.
 */
#define ACALL_INJECT_LATE_WAKE		4
#define ACALL_INJECT_LATE_WAKE_MS	1000

/*
 * The next completion posted stalls ACALL_INJECT_SLOW_POST_MS between
 * storing the ring's tail, which userspace sees, and the module's own
 * (cached_tail): a caller that consumes it meanwhile and then calls WAIT
 * or SUBMIT must find the ring as it is, neither full nor holding more.
 * Armed for the whole module: the next post of any context stalls.
 */
#define ACALL_INJECT_SLOW_POST		5
#define ACALL_INJECT_SLOW_POST_MS	300

/*
 * The next ACALL_IOC_CANCEL that lets go of a list's lock in the middle of
 * its walk (more than ACALL_CANCEL_WALK requests on the list) logs "cancel
 * walk paused" and waits there, the lock let go, until
 * ACALL_INJECT_CANCEL_RESUME (or ACALL_INJECT_CANCEL_PAUSE_MS): the test
 * changes the list meanwhile, and the walk must go on past what left it.
 */
#define ACALL_INJECT_CANCEL_PAUSE	6
#define ACALL_INJECT_CANCEL_RESUME	7
#define ACALL_INJECT_CANCEL_PAUSE_MS	10000

/*
 * The next request a thread of the process runs as a worker, on a file of
 * a block device's filesystem, has the io controller ask that thread to
 * wait on its way back to userspace, with no delay (what io.latency and
 * io.cost do to a cgroup over its share): the thread must go back.
 */
#define ACALL_INJECT_WORKER_THROTTLE	8

#define ACALL_IOC_INJECT	_IOW(ACALL_IOC_MAGIC, 0x3f, __u32)

#endif /* ACALL_INJECT_H */

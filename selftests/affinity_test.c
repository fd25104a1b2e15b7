// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_IOC_AFFINITY: workers bound to a CPU set are only ever allowed, and
 * seen, on those CPUs (their Cpus_allowed_list and the CPU they last ran
 * on, from /proc), for the whole context and for one queue.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#ifndef SCHED_DEADLINE
#define SCHED_DEADLINE	6
#endif

/* sched_setattr()'s argument, its first version (glibc has no wrapper). */
struct deadline_attr {
	__u32 size;
	__u32 sched_policy;
	__u64 sched_flags;
	__s32 sched_nice;
	__u32 sched_priority;
	__u64 sched_runtime;
	__u64 sched_deadline;
	__u64 sched_period;
};

#define MS	1000000ULL
#define MAX_W	64

FIXTURE(affinity) {
	struct acall_ring ring;
	int ncpus;
	long long idle;		/* worker_idle_ms as it was, or -1 */
	char failslab[3][8];	/* failslab_knobs as read, or "" */
};

/*
 * The tests look at the workers after their requests completed: they must
 * not idle out first, however slow the machine (worker_idle_ms is 5 s).
 * Workers made from here on wait ten minutes; the context's end still
 * ends them.
 */
FIXTURE_SETUP(affinity)
{
	struct acall_options opts = { .entries = 64, .nr_queues = 2 };

	self->ring.fd = -1;
	self->idle = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_AFFINITY | ACALL_FEAT_STATS);
	self->ncpus = sysconf(_SC_NPROCESSORS_ONLN);
	self->idle = acall_param_read("worker_idle_ms");
	ASSERT_LE(0, self->idle);
	ASSERT_EQ(0, acall_param_write("worker_idle_ms", 600000));
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

/*
 * The failslab settings a test of allocation failures changes, and the
 * values it needs: sleeping allocations fail too, whatever their cache,
 * without a stack trace in the log.
 */
#define FAILSLAB_DIR	"/sys/kernel/debug/failslab/"
static const char *const failslab_knobs[3][2] = {
	{ FAILSLAB_DIR "ignore-gfp-wait", "N" },
	{ FAILSLAB_DIR "cache-filter", "N" },
	{ FAILSLAB_DIR "verbose", "0" },
};

FIXTURE_TEARDOWN(affinity)
{
	int i;

	for (i = 0; i < 3; i++)
		if (self->failslab[i][0])
			acall_knob_swap(failslab_knobs[i][0], NULL, 0,
					self->failslab[i]);
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->idle >= 0 &&
	    acall_param_write("worker_idle_ms", self->idle))
		perror("worker_idle_ms");
}

/* A thread's allowed CPUs, as a cpu_set_t. 0 or -errno. */
static int allowed_cpus(pid_t tid, cpu_set_t *set)
{
	return sched_getaffinity(tid, sizeof(*set), set) ? -errno : 0;
}

/* The CPU a thread last ran on (field 39 of /proc/<tid>/stat), or -1. */
static int last_cpu(pid_t tid)
{
	const char *cpu;
	char buf[1024];

	if (!acall_task_stat(tid, buf, sizeof(buf)))
		return -1;
	cpu = acall_stat_field(buf, 39);
	return cpu ? atoi(cpu) : -1;
}

/* Run nr NOPs of delay_ns on queue, all at once, and reap them. */
static int run_nops(struct acall_ring *ring, unsigned int nr, __u16 queue,
		    __u64 delay_ns)
{
	struct acall_sqe sqes[16];
	struct acall_cqe cqes[16];
	unsigned int i;

	for (i = 0; i < nr; i++) {
		acall_prep_nop(&sqes[i], delay_ns);
		acall_sqe_set_queue(&sqes[i], queue);
		acall_sqe_set_data(&sqes[i], i);
	}
	return acall_run(ring, sqes, nr, cqes);
}

/*
 * Wait until every worker of this process is allowed exactly the CPUs of
 * one of want[0..nwant), each seen at least once. Returns how many workers
 * there are. Idle workers apply a new binding when woken, which the module
 * does at once; this looks until they have.
 */
static int wait_workers_bound(const cpu_set_t *want, int nwant)
{
	pid_t tids[MAX_W];
	int n, i, j, seen;

	for (;;) {
		bool all = true;

		seen = 0;
		n = acall_workers_of(getpid(), tids, MAX_W);
		if (n <= 0)
			return n;
		for (i = 0; i < n && all; i++) {
			cpu_set_t set;

			if (allowed_cpus(tids[i], &set))
				continue;	/* exited meanwhile */
			for (j = 0; j < nwant; j++)
				if (CPU_EQUAL(&set, &want[j]))
					break;
			if (j == nwant)
				all = false;
			else
				seen |= 1 << j;
		}
		if (all && seen == (1 << nwant) - 1)
			return n;
		sched_yield();
	}
}

/* Every worker's last CPU lies in one of want[]. */
static bool workers_ran_within(const cpu_set_t *want, int nwant)
{
	pid_t tids[MAX_W];
	int n, i, j;

	n = acall_workers_of(getpid(), tids, MAX_W);
	for (i = 0; i < n; i++) {
		int cpu = last_cpu(tids[i]);

		if (cpu < 0)
			continue;
		for (j = 0; j < nwant; j++)
			if (CPU_ISSET(cpu, &want[j]))
				break;
		if (j == nwant)
			return false;
	}
	return true;
}

TEST_F(affinity, context_binding_holds_for_new_and_existing_workers)
{
	cpu_set_t one[1];
	struct acall_stats st;
	int last = self->ncpus - 1;

	CPU_ZERO(&one[0]);
	CPU_SET(last, &one[0]);
	ASSERT_EQ(0, acall_set_affinity(&self->ring, -1, &one[0]));
	ASSERT_EQ(0, run_nops(&self->ring, 4, 0, 50 * MS));
	ASSERT_LE(1, wait_workers_bound(one, 1));
	EXPECT_TRUE(workers_ran_within(one, 1));

	/*
	 * Move them: existing workers follow (a thread of the process, which
	 * the module never widens, by way of userspace, where libacall gives
	 * it a new thread's CPUs).
	 */
	CPU_ZERO(&one[0]);
	CPU_SET(0, &one[0]);
	ASSERT_EQ(0, acall_set_affinity(&self->ring, -1, &one[0]));
	ASSERT_EQ(0, run_nops(&self->ring, 4, 0, 50 * MS));
	ASSERT_LE(1, wait_workers_bound(one, 1));
	EXPECT_TRUE(workers_ran_within(one, 1));

	/* The counters say where work ran, against where it was submitted. */
	ASSERT_EQ(0, acall_stats(&self->ring, &st));
	EXPECT_EQ(8, st.ran_submit_cpu + st.ran_submit_node + st.ran_other_node);
}

TEST_F(affinity, queue_binding_gives_the_queue_its_own_workers)
{
	cpu_set_t sets[2];

	if (self->ncpus < 2)
		SKIP(return, "needs two CPUs, has %d", self->ncpus);
	CPU_ZERO(&sets[0]);
	CPU_SET(0, &sets[0]);
	CPU_ZERO(&sets[1]);
	CPU_SET(1, &sets[1]);
	/* Queue 1 on CPU 0; the rest of the context on CPU 1. */
	ASSERT_EQ(0, acall_set_affinity(&self->ring, 1, &sets[0]));
	ASSERT_EQ(0, acall_set_affinity(&self->ring, -1, &sets[1]));
	ASSERT_EQ(0, run_nops(&self->ring, 2, 0, 50 * MS));
	ASSERT_EQ(0, run_nops(&self->ring, 2, 1, 50 * MS));
	ASSERT_LE(2, wait_workers_bound(sets, 2));
	EXPECT_TRUE(workers_ran_within(sets, 2));
}

/* Read a CPU list ("0-3,8") into set; false if it is none. */
static bool parse_cpulist(const char *list, cpu_set_t *set)
{
	char *end;
	long a, b;

	CPU_ZERO(set);
	while (*list >= '0' && *list <= '9') {
		a = strtol(list, &end, 10);
		b = *end == '-' ? strtol(end + 1, &end, 10) : a;
		for (; a <= b && a < CPU_SETSIZE; a++)
			CPU_SET(a, set);
		list = *end == ',' ? end + 1 : end;
	}
	return CPU_COUNT(set) > 0;
}

/*
 * The CPUs of the NUMA node of CPU cpu: where the workers of that node's
 * pool run when nothing binds them. Every CPU where the kernel names no
 * node.
 */
static void node_cpus_of(int cpu, int ncpus, cpu_set_t *set)
{
	char path[64], list[256];
	FILE *f;
	int node;

	for (node = 0; node < 1024; node++) {
		snprintf(path, sizeof(path),
			 "/sys/devices/system/node/node%d/cpulist", node);
		f = fopen(path, "re");
		if (!f)
			continue;
		if (fgets(list, sizeof(list), f) && parse_cpulist(list, set) &&
		    CPU_ISSET(cpu, set)) {
			fclose(f);
			return;
		}
		fclose(f);
	}
	CPU_ZERO(set);
	for (cpu = 0; cpu < ncpus; cpu++)
		CPU_SET(cpu, set);
}

/*
 * Bind every worker to CPU 0, let it run work there, then remove the
 * binding: every worker gets every CPU of its node back (of the machine,
 * on one node). The requests are submitted from CPU 0, so that the pool
 * is its node's. after_a_signal: each has gone back to userspace (glibc's
 * setuid() broadcast reaches every thread) and serves again before the
 * binding goes, and more work comes after.
 */
static void bind_then_unbind(struct __test_metadata *_metadata,
			     FIXTURE_DATA(affinity) *self, bool after_a_signal)
{
	cpu_set_t one[1], node[1], was;

	CPU_ZERO(&one[0]);
	CPU_SET(0, &one[0]);
	node_cpus_of(0, self->ncpus, &node[0]);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(was), &was));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(one[0]), &one[0]));
	ASSERT_EQ(0, acall_set_affinity(&self->ring, -1, &one[0]));
	ASSERT_EQ(0, run_nops(&self->ring, 2, 0, 10 * MS));
	ASSERT_LE(1, wait_workers_bound(one, 1));
	/* Returns once every thread has taken the broadcast. */
	if (after_a_signal)
		ASSERT_EQ(0, setresuid(-1, -1, -1));
	ASSERT_EQ(0, acall_set_affinity(&self->ring, -1, NULL));
	if (after_a_signal)
		ASSERT_EQ(0, run_nops(&self->ring, 2, 0, 10 * MS));
	ASSERT_LE(1, wait_workers_bound(node, 1));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(was), &was));
}

TEST_F(affinity, unbinding_returns_workers_to_every_cpu_of_their_node)
{
	bind_then_unbind(_metadata, self, false);
}

/*
 * A thread of the process that went back to userspace and serves again
 * still gets every CPU of its node back when the binding goes: libacall
 * gives it a new thread's CPUs before it calls again, since the module
 * never widens it.
 */
TEST_F(affinity, unbinding_after_a_signal_returns_workers_to_their_node)
{
	bind_then_unbind(_metadata, self, true);
}

/*
 * A binding outlasts a worker widened from outside (a management tool
 * setting every thread's CPUs, as libvirt's emulator pinning does): the
 * worker narrows itself to the binding again before its next request.
 * One worker only, so that it is the one to run that request: a queue's
 * own pool (one, whatever NUMA node submits), of one worker.
 */
TEST_F(affinity, binding_holds_for_a_worker_widened_from_outside)
{
	struct acall_options opts = { .entries = 8, .max_workers = 1,
				      .nr_queues = 2 };
	struct acall_ring ring;
	cpu_set_t one[1], all, now;
	pid_t tid;

	if (self->ncpus < 2)
		SKIP(return, "one CPU");
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	CPU_ZERO(&one[0]);
	CPU_SET(self->ncpus - 1, &one[0]);
	ASSERT_EQ(0, acall_set_affinity(&ring, 1, &one[0]));
	ASSERT_EQ(0, run_nops(&ring, 1, 1, MS));
	ASSERT_EQ(1, wait_workers_bound(one, 1));
	ASSERT_EQ(1, acall_workers_of(getpid(), &tid, 1));
	/* Idle, past the check it makes before it looks for work. */
	acall_task_wait_asleep_in_ioctl(tid);

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(all), &all));
	ASSERT_LT(1, CPU_COUNT(&all));
	ASSERT_EQ(0, sched_setaffinity(tid, sizeof(all), &all));
	ASSERT_EQ(0, run_nops(&ring, 1, 1, MS));
	ASSERT_EQ(0, allowed_cpus(tid, &now));
	EXPECT_TRUE(CPU_EQUAL(&now, &one[0]))
		TH_LOG("worker %d allowed %d CPUs", tid, CPU_COUNT(&now));
	acall_ring_exit(&ring);
}

/*
 * A kernel-thread worker that root narrows from outside (sched_setaffinity(),
 * as tuna or a cpuset partition does) stays narrowed until its CPUs next
 * change: the module does not undo it at each request. Its queue is bound
 * to every CPU of the process: one pool, whatever node the submitter is on.
 */
TEST_F(affinity, kernel_thread_worker_narrowed_from_outside_stays_so)
{
	struct acall_params p = { .entries = 8, .max_workers = 1,
				  .nr_queues = 2 };
	struct acall_affinity a = { .flags = ACALL_AFFINITY_QUEUE, .queue = 1 };
	cpu_set_t mine, first, now;
	struct acall_raw raw;
	pid_t tid;
	int dev, cpu;

	ACALL_REQUIRE(ACALL_FEAT_WORKERS);
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(mine), &mine));
	if (CPU_COUNT(&mine) < 2)
		SKIP(return, "one CPU");
	dev = acall_open_device();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, acall_raw_setup_params(&raw, dev, &p));
	a.mask = (__u64)(uintptr_t)&mine;
	a.mask_size = sizeof(mine);
	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_AFFINITY, &a));
	ASSERT_EQ(0, acall_raw_nop(&raw, 1, MS));
	ASSERT_EQ(1, acall_kthread_workers(getpid(), &tid, 1));
	for (cpu = 0; !CPU_ISSET(cpu, &mine); cpu++)
		;
	CPU_ZERO(&first);
	CPU_SET(cpu, &first);
	ASSERT_EQ(0, sched_setaffinity(tid, sizeof(first), &first));

	ASSERT_EQ(0, acall_raw_nop(&raw, 1, MS));
	ASSERT_EQ(0, allowed_cpus(tid, &now));
	EXPECT_TRUE(CPU_EQUAL(&now, &first))
		TH_LOG("worker %d allowed %d CPUs", tid, CPU_COUNT(&now));
	acall_raw_unmap(&raw);
	close(dev);
}

/*
 * A worker its process made SCHED_DEADLINE is not narrowed by a binding:
 * its CPUs are part of its admission, which sched_setaffinity() keeps
 * (dl_task_check_affinity()) and set_cpus_allowed_ptr() does not check.
 * One thread of the process serves; after the binding it serves a NOP
 * and still has every CPU it had; back to SCHED_OTHER, it is bound at its
 * next request.
 */
TEST_F(affinity, deadline_worker_is_not_narrowed)
{
	struct acall_options opts = { .entries = 8, .max_workers = 1 };
	struct deadline_attr attr = {
		.size = sizeof(attr),
		.sched_policy = SCHED_DEADLINE,
		.sched_runtime = 2 * MS,
		.sched_deadline = 20 * MS,
		.sched_period = 20 * MS,
	};
	struct acall_ring ring = { .fd = -1 };
	cpu_set_t mine, one, now;
	pid_t tid;

	ACALL_REQUIRE(ACALL_FEAT_PROCESS_WORKERS);
	if (geteuid())
		SKIP(return, "root makes a thread SCHED_DEADLINE");
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(mine), &mine));
	if (CPU_COUNT(&mine) < 2)
		SKIP(return, "one CPU");
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	ASSERT_EQ(0, run_nops(&ring, 1, 0, MS));
	ASSERT_EQ(1, acall_workers_of(getpid(), &tid, 1));
	if (syscall(SYS_sched_setattr, tid, &attr, 0))
		SKIP(goto out, "no SCHED_DEADLINE here: %s", strerror(errno));

	CPU_ZERO(&one);
	CPU_SET(self->ncpus - 1, &one);
	ASSERT_EQ(0, acall_set_affinity(&ring, -1, &one));
	ASSERT_EQ(0, run_nops(&ring, 1, 0, MS));
	ASSERT_EQ(1, acall_workers_of(getpid(), &tid, 1));
	ASSERT_EQ(0, allowed_cpus(tid, &now));
	EXPECT_TRUE(CPU_EQUAL(&now, &mine))
		TH_LOG("worker %d allowed %d CPUs", tid, CPU_COUNT(&now));

	/* Back to SCHED_OTHER: its next request finds it bound. */
	memset(&attr, 0, sizeof(attr));
	attr.size = sizeof(attr);
	ASSERT_EQ(0, syscall(SYS_sched_setattr, tid, &attr, 0));
	ASSERT_EQ(0, run_nops(&ring, 1, 0, MS));
	ASSERT_EQ(0, allowed_cpus(tid, &now));
	EXPECT_TRUE(CPU_EQUAL(&now, &one))
		TH_LOG("worker %d allowed %d CPUs", tid, CPU_COUNT(&now));
out:
	acall_ring_exit(&ring);
}

/*
 * A queue's first binding that fails for want of memory leaves the context
 * bound: it must not leave the queue a pool of its own on every CPU. Each
 * round makes a context bound to one CPU and fails the n-th slab
 * allocation of the queue's AFFINITY call (fail-nth, a kernel with fault
 * injection), until a round fails none; after each, the queue's worker
 * runs a request on that CPU alone.
 */
TEST_F(affinity, failed_queue_binding_keeps_the_context_binding)
{
	struct acall_options opts = { .entries = 8, .max_workers = 1,
				      .nr_queues = 2 };
	struct acall_affinity a;
	int nomem = 0, n, i, fault;
	cpu_set_t one[1];
	char buf[16];

	if (self->ncpus < 2)
		SKIP(return, "one CPU");
	if (access("/proc/thread-self/fail-nth", W_OK) ||
	    access(failslab_knobs[0][0], W_OK))
		SKIP(return, "no fault injection (FAULT_INJECTION, FAILSLAB)");
	for (i = 0; i < 3; i++)
		ASSERT_EQ(0, acall_knob_swap(failslab_knobs[i][0],
					     self->failslab[i],
					     sizeof(self->failslab[i]),
					     failslab_knobs[i][1]));
	CPU_ZERO(&one[0]);
	CPU_SET(self->ncpus - 1, &one[0]);
	for (n = 1; n < 64; n++) {
		struct acall_ring ring;
		pid_t tids[MAX_W];
		int fd, nw, ret;
		ssize_t got;

		ASSERT_EQ(0, acall_ring_init(&ring, &opts));
		ASSERT_EQ(0, acall_set_affinity(&ring, -1, &one[0]));
		memset(&a, 0, sizeof(a));
		a.flags = ACALL_AFFINITY_QUEUE;
		a.queue = 1;
		a.mask = (__u64)(uintptr_t)&one[0];
		a.mask_size = sizeof(one[0]);

		fd = open("/proc/thread-self/fail-nth", O_RDWR);
		ASSERT_LE(0, fd);
		snprintf(buf, sizeof(buf), "%d", n);
		ASSERT_EQ((ssize_t)strlen(buf), write(fd, buf, strlen(buf)));
		ret = ioctl(ring.fd, ACALL_IOC_AFFINITY, &a);
		ret = ret ? errno : 0;
		memset(buf, 0, sizeof(buf));
		got = pread(fd, buf, sizeof(buf) - 1, 0);
		/* Disarmed before anything else can fail. */
		ASSERT_EQ(1, pwrite(fd, "0", 1, 0));
		close(fd);
		ASSERT_LT(0, got);
		fault = atoi(buf) == 0;

		if (ret) {
			ASSERT_EQ(ENOMEM, ret);
			ASSERT_TRUE(fault);
			nomem++;
		}
		ASSERT_EQ(0, run_nops(&ring, 1, 1, MS));
		nw = acall_workers_of(getpid(), tids, MAX_W);
		ASSERT_LE(1, nw);
		for (i = 0; i < nw; i++) {
			cpu_set_t now;

			if (allowed_cpus(tids[i], &now))
				continue;	/* a worker of a round before */
			EXPECT_TRUE(CPU_EQUAL(&now, &one[0]))
				TH_LOG("fail-nth %d (%s): worker %d on %d CPUs",
				       n, ret ? "ENOMEM" : "bound", tids[i],
				       CPU_COUNT(&now));
		}
		acall_ring_exit(&ring);
		if (!fault)
			break;
	}
	TH_LOG("%d allocations failed in turn, %d of them with ENOMEM",
	       n - 1, nomem);
	EXPECT_LT(n, 64);
	EXPECT_LE(1, nomem);
}

TEST_F(affinity, bad_bindings_are_refused)
{
	struct acall_affinity a;
	unsigned long big[32];
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	memset(&a, 0, sizeof(a));
	a.mask = (__u64)(uintptr_t)&set;
	a.mask_size = 4;			/* not a whole word */
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_AFFINITY, &a));
	EXPECT_EQ(EINVAL, errno);
	a.mask_size = sizeof(set);
	a.flags = 2;				/* unknown flag */
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_AFFINITY, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = ACALL_AFFINITY_QUEUE;
	a.queue = 2;				/* only queues 0 and 1 */
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_AFFINITY, &a));
	EXPECT_EQ(EINVAL, errno);
	a.flags = 0;
	a.queue = 1;				/* a queue without the flag */
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_AFFINITY, &a));
	EXPECT_EQ(EINVAL, errno);
	a.queue = 0;
	a.resv = 1;
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_AFFINITY, &a));
	EXPECT_EQ(EINVAL, errno);
	a.resv = 0;
	a.mask = 8;				/* unmapped */
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_AFFINITY, &a));
	EXPECT_EQ(EFAULT, errno);
	/* Only CPUs that do not exist. */
	memset(big, 0, sizeof(big));
	big[31] = 1;
	a.mask = (__u64)(uintptr_t)big;
	a.mask_size = sizeof(big);
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_AFFINITY, &a));
	EXPECT_EQ(EINVAL, errno);
	/* A size with no pointer. */
	a.mask_size = 0;
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_AFFINITY, &a));
	EXPECT_EQ(EINVAL, errno);
	/* Unbinding what is not bound is fine. */
	EXPECT_EQ(0, acall_set_affinity(&self->ring, 1, NULL));
	EXPECT_EQ(0, acall_set_affinity(&self->ring, -1, NULL));
}

TEST_HARNESS_MAIN

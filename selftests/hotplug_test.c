// SPDX-License-Identifier: GPL-2.0
/*
 * CPU hotplug and ACALL_IOC_AFFINITY: a context bound to one CPU keeps
 * serving while that CPU is offline (the kernel moves its workers
 * elsewhere), and once the CPU is back its workers are bound to it again
 * from their next request: kernel threads (the raw ABI without
 * ACALL_SETUP_PROCESS_WORKERS) and threads of the process (libacall) alike,
 * whether the worker existed before the CPU went, was made while it was
 * away or went back to userspace then, bound to the CPU or in its node's
 * pool; a worker narrowed from outside to another CPU stays there. What
 * is seen is each worker's allowed CPUs (sched_getaffinity()).
 *
 * Needs root and a CPU other than the first that can go offline; the CPU
 * is put back online in the teardown (and by run_tests.sh after a test
 * that was killed).
 */
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define MS	1000000ULL

FIXTURE(hotplug) {
	struct acall_ring ring;		/* threads of the process */
	struct acall_raw raw;		/* kernel threads */
	int fd;				/* the context's, either way */
	int cpu;			/* the CPU taken offline and back */
	char online[64];		/* its sysfs file */
	bool offline;			/* taken offline by this test */
	long long idle;			/* worker_idle_ms as it was, or -1 */
};

FIXTURE_VARIANT(hotplug) {
	bool kthread;
};

FIXTURE_VARIANT_ADD(hotplug, kernel_threads) {
	.kthread = true,
};

FIXTURE_VARIANT_ADD(hotplug, process_threads) {
	.kthread = false,
};

/*
 * One worker, kept through the test (it would go after worker_idle_ms, 5 s
 * by default; a slow machine must not see it idle out), in the pool of
 * queue 1, bound to the last CPU this process may use: one pool, whatever
 * node the submitter runs on. (One test uses queue 0 instead, the pool of
 * the submitter's node.)
 */
FIXTURE_SETUP(hotplug)
{
	struct acall_options opts = { .entries = 8, .max_workers = 1,
				      .nr_queues = 2 };
	struct acall_params p = { .entries = 8, .max_workers = 1,
				  .nr_queues = 2 };
	struct acall_affinity a = { .flags = ACALL_AFFINITY_QUEUE, .queue = 1 };
	cpu_set_t mine, one;

	self->fd = -1;
	self->idle = -1;
	memset(&self->raw, 0, sizeof(self->raw));
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_AFFINITY |
		      (variant->kthread ? ACALL_FEAT_WORKERS :
					  ACALL_FEAT_PROCESS_WORKERS));
	if (geteuid())
		SKIP(return, "root takes a CPU offline");
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(mine), &mine));
	for (self->cpu = CPU_SETSIZE - 1; self->cpu > 0; self->cpu--)
		if (CPU_ISSET(self->cpu, &mine))
			break;
	if (self->cpu < 1 || CPU_COUNT(&mine) < 2)
		SKIP(return, "one CPU");
	snprintf(self->online, sizeof(self->online),
		 "/sys/devices/system/cpu/cpu%d/online", self->cpu);
	if (access(self->online, W_OK))
		SKIP(return, "CPU %d cannot go offline", self->cpu);

	self->idle = acall_param_read("worker_idle_ms");
	ASSERT_LE(0, self->idle);
	ASSERT_EQ(0, acall_param_write("worker_idle_ms", 600000));
	if (variant->kthread) {
		self->fd = acall_open_device();
		ASSERT_LE(0, self->fd);
		ASSERT_EQ(0, acall_raw_setup_params(&self->raw, self->fd, &p));
	} else {
		ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
		self->fd = self->ring.fd;
	}
	CPU_ZERO(&one);
	CPU_SET(self->cpu, &one);
	a.mask = (__u64)(uintptr_t)&one;
	a.mask_size = sizeof(one);
	ASSERT_EQ(0, ioctl(self->fd, ACALL_IOC_AFFINITY, &a));
}

FIXTURE_TEARDOWN(hotplug)
{
	if (self->offline && acall_knob_swap(self->online, NULL, 0, "1"))
		perror(self->online);
	if (self->fd >= 0 && variant->kthread) {
		acall_raw_unmap(&self->raw);
		close(self->fd);
	} else if (self->fd >= 0) {
		acall_ring_exit(&self->ring);
	}
	if (self->idle >= 0 &&
	    acall_param_write("worker_idle_ms", self->idle))
		perror("worker_idle_ms");
}

/* The first CPU of the process other than the one taken offline. */
static int other_cpu(FIXTURE_DATA(hotplug) *self)
{
	cpu_set_t mine;
	int cpu;

	if (sched_getaffinity(0, sizeof(mine), &mine))
		return -1;
	for (cpu = 0; cpu == self->cpu || !CPU_ISSET(cpu, &mine); cpu++)
		;
	return cpu;
}

/* A NOP that a worker of the queue's pool runs (it has a delay): its res. */
static int queue_nop(FIXTURE_DATA(hotplug) *self, unsigned int queue)
{
	struct acall_sqe sqe;

	acall_prep_nop(&sqe, MS);
	acall_sqe_set_queue(&sqe, queue);
	return acall_run1(&self->ring, &sqe);
}

/* A NOP that a worker of queue 1 runs: its res. */
static int worker_nop(FIXTURE_DATA(hotplug) *self, bool kthread)
{
	if (kthread)
		return acall_raw_nop(&self->raw, 1, MS);
	return queue_nop(self, 1);
}

static int set_online(FIXTURE_DATA(hotplug) *self, bool online)
{
	int ret = acall_knob_swap(self->online, NULL, 0, online ? "1" : "0");

	if (!ret)
		self->offline = !online;
	return ret;
}

/*
 * Whether the CPU, back online, is one this process may use again: not in
 * a cpuset of cgroup v1 (or a child cpuset of v2 set to other CPUs), whose
 * CPUs a CPU that went offline leaves for good.
 */
static bool cpu_given_back(int cpu)
{
	cpu_set_t mine;

	return !sched_getaffinity(0, sizeof(mine), &mine) &&
	       CPU_ISSET(cpu, &mine);
}

/*
 * Take the CPU offline. False, the test skipped, where it stays online.
 */
static bool cpu_away(struct __test_metadata *_metadata,
		     FIXTURE_DATA(hotplug) *self)
{
	int ret = set_online(self, false);

	if (ret)
		SKIP(return false, "CPU %d stays online: %s", self->cpu,
		     strerror(-ret));
	return true;
}

/*
 * Bring the CPU back. False, the test skipped, where the process lost it
 * (cpu_given_back(); a kernel thread's CPUs are not the process's).
 */
static bool cpu_back(struct __test_metadata *_metadata,
		     FIXTURE_DATA(hotplug) *self, bool kthread)
{
	ASSERT_EQ(0, set_online(self, true));
	if (!kthread && !cpu_given_back(self->cpu))
		SKIP(return false, "CPU %d online but not the process's",
		     self->cpu);
	return true;
}

/* The one worker's allowed CPUs: how many, and whether cpu is one. */
static int worker_cpus(pid_t *tid, int cpu, bool *has_cpu)
{
	cpu_set_t set;

	if (acall_workers_of(getpid(), tid, 1) != 1 ||
	    sched_getaffinity(*tid, sizeof(set), &set))
		return -1;
	*has_cpu = CPU_ISSET(cpu, &set);
	return CPU_COUNT(&set);
}

/*
 * Take the CPU offline, have a worker serve a request while it is away,
 * bring it back: the worker's next request finds it bound there alone.
 */
static void away_and_back(struct __test_metadata *_metadata,
			  FIXTURE_DATA(hotplug) *self, bool kthread)
{
	bool has_cpu;
	pid_t tid;

	if (!cpu_away(_metadata, self))
		return;
	EXPECT_EQ(0, worker_nop(self, kthread));
	if (!cpu_back(_metadata, self, kthread))
		return;

	ASSERT_EQ(0, worker_nop(self, kthread));
	EXPECT_EQ(1, worker_cpus(&tid, self->cpu, &has_cpu))
		TH_LOG("worker %d not bound to CPU %d alone", tid, self->cpu);
	EXPECT_TRUE(has_cpu);
}

/* The worker, bound to the CPU before it goes, comes back to it. */
TEST_F(hotplug, worker_returns_to_its_cpu_when_it_comes_back)
{
	bool has_cpu;
	pid_t tid;

	ASSERT_EQ(0, worker_nop(self, variant->kthread));
	ASSERT_EQ(1, worker_cpus(&tid, self->cpu, &has_cpu));
	ASSERT_TRUE(has_cpu);
	away_and_back(_metadata, self, variant->kthread);
}

/*
 * The same for a worker made while every CPU of the binding is offline:
 * it cannot be bound then, and is once the CPU is back.
 */
TEST_F(hotplug, worker_made_while_its_cpu_is_away_goes_there_later)
{
	ASSERT_EQ(0, acall_workers_of(getpid(), NULL, 0));
	away_and_back(_metadata, self, variant->kthread);
}

/*
 * A worker of the process that goes back to userspace while its CPU is
 * away (a signal: setuid() has glibc signal every thread) joins again with
 * the spawner's CPUs, offline ones included, and so has its CPU again once
 * that is back. libacall gave it the spawner's CPUs as sched_getaffinity()
 * reports them, the active ones alone; the module only narrows a thread,
 * and the worker kept off its CPU (one run of
 * worker_returns_to_its_cpu_when_it_comes_back in six failed so on the
 * debug kernel, where a worker's periodic task work sent it back to
 * userspace at that moment). Before 6.3, sched_setaffinity() itself keeps
 * offline CPUs out: the worker joins without the CPU, and the module sends
 * it back to userspace once when the CPU comes back, to take the
 * spawner's CPUs again; without that, it kept off the CPU until something
 * else sent it back. Queue 1's worker is bound to the CPU alone; queue 0's
 * is in the pool of the submitter's node, unbound, whose CPUs leave out
 * those that are offline (on a machine of one node: the pool is the
 * submitter's node's).
 */
static void back_from_userspace(struct __test_metadata *_metadata,
				FIXTURE_DATA(hotplug) *self,
				unsigned int queue)
{
	bool has_cpu;
	pid_t tid;
	int ret;

	ASSERT_EQ(0, queue_nop(self, queue));
	ret = worker_cpus(&tid, self->cpu, &has_cpu);
	ASSERT_LE(1, ret);
	if (queue)
		ASSERT_EQ(1, ret);
	ASSERT_TRUE(has_cpu);
	if (!cpu_away(_metadata, self))
		return;
	EXPECT_EQ(0, queue_nop(self, queue));
	/* Returns once every thread ran glibc's handler: out of SERVE. */
	ASSERT_EQ(0, setuid(getuid()));
	while (!acall_task_sleeps_in_ioctl(tid)) {
		ASSERT_NE(0, acall_task_state(tid)) TH_LOG("worker %d gone", tid);
		sched_yield();
	}
	if (!cpu_back(_metadata, self, false))
		return;

	ASSERT_EQ(0, queue_nop(self, queue));
	ret = worker_cpus(&tid, self->cpu, &has_cpu);
	ASSERT_LE(1, ret);
	if (queue)
		EXPECT_EQ(1, ret)
			TH_LOG("worker %d not bound to CPU %d alone", tid,
			       self->cpu);
	EXPECT_TRUE(has_cpu) TH_LOG("worker %d without CPU %d", tid, self->cpu);
}

TEST_F(hotplug, worker_back_from_userspace_while_its_cpu_is_away_returns_to_it)
{
	if (variant->kthread)
		SKIP(return, "a kernel thread never goes back to userspace");
	back_from_userspace(_metadata, self, 1);
}

TEST_F(hotplug, node_worker_back_from_userspace_while_a_cpu_is_away_gets_it)
{
	if (variant->kthread)
		SKIP(return, "a kernel thread never goes back to userspace");
	if (!access("/sys/devices/system/node/node1", F_OK))
		SKIP(return, "NUMA nodes: the pool would be where the submitter runs");
	back_from_userspace(_metadata, self, 0);
}

/* Whether the kernel is release major.minor or later. */
static bool kernel_at_least(int major, int minor)
{
	struct utsname u;
	int ma = 0, mi = 0;

	if (uname(&u) || sscanf(u.release, "%d.%d", &ma, &mi) != 2)
		return false;
	return ma > major || (ma == major && mi >= minor);
}

/*
 * A worker that a management tool narrowed to a CPU outside its pool's
 * (sched_setaffinity() on its thread) keeps it while the pool's CPU goes
 * and comes back: a thread goes back to userspace for a CPU that came back
 * only when it joined without it (back_from_userspace()), and this one
 * joined with it.
 *
 * From 6.4 a thread of the process goes back to userspace now and then on
 * its own (the scheduler's task work for its memory's CPU ids, at most
 * every 100 ms), and libacall then gives it the spawner's CPUs, undoing
 * the narrowing: the test runs on kernels before that.
 */
TEST_F(hotplug, worker_narrowed_from_outside_keeps_its_cpu_through_hotplug)
{
	int cpu = other_cpu(self);
	cpu_set_t other;
	bool has_cpu;
	pid_t tid;

	if (variant->kthread)
		SKIP(return, "a kernel thread's CPUs are the module's");
	if (kernel_at_least(6, 4))
		SKIP(return, "workers go back to userspace on their own from 6.4");
	ASSERT_LE(0, cpu);
	ASSERT_EQ(0, worker_nop(self, false));
	ASSERT_EQ(1, worker_cpus(&tid, self->cpu, &has_cpu));
	ASSERT_TRUE(has_cpu);
	CPU_ZERO(&other);
	CPU_SET(cpu, &other);
	ASSERT_EQ(0, sched_setaffinity(tid, sizeof(other), &other));
	ASSERT_EQ(0, worker_nop(self, false));
	ASSERT_EQ(1, worker_cpus(&tid, cpu, &has_cpu));
	ASSERT_TRUE(has_cpu);
	if (!cpu_away(_metadata, self))
		return;
	EXPECT_EQ(0, worker_nop(self, false));
	if (!cpu_back(_metadata, self, false))
		return;

	ASSERT_EQ(0, worker_nop(self, false));
	EXPECT_EQ(1, worker_cpus(&tid, cpu, &has_cpu))
		TH_LOG("worker %d not on CPU %d alone", tid, cpu);
	EXPECT_TRUE(has_cpu);
}

TEST_HARNESS_MAIN

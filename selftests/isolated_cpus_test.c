// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-thread workers (a context set up on the raw ABI, without
 * ACALL_SETUP_PROCESS_WORKERS) keep off the CPUs the admin isolated
 * (isolcpus=, nohz_full=), as unbound workqueues do: their pool's default
 * CPUs are those of a NUMA node, isolated ones included. A binding that
 * names isolated CPUs only is kept as it is, and a worker moves when its
 * binding changes.
 *
 * Skips unless the kernel was booted with a CPU isolated ("make check"
 * runs it once so, on 6.12, with isolcpus=1 nohz_full=1).
 */
#include <ctype.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define MS	1000000ULL
#define MAX_CPU	64	/* the VM has a few */

/* A CPU list ("0", "1-3,5") into a bitmap; 0 for an empty one. */
static uint64_t parse_cpu_list(const char *s)
{
	unsigned long a, b;
	uint64_t set = 0;
	char *end;

	while (isdigit((unsigned char)*s)) {
		a = strtoul(s, &end, 10);
		b = *end == '-' ? strtoul(end + 1, &end, 10) : a;
		for (; a <= b && a < MAX_CPU; a++)
			set |= 1ULL << a;
		if (*end != ',')
			break;
		s = end + 1;
	}
	return set;
}

/* The CPU list in a sysfs file (0 if it is missing or empty). */
static uint64_t sysfs_cpus(const char *path)
{
	char buf[256] = "";
	FILE *f = fopen(path, "r");

	if (!f)
		return 0;
	if (!fgets(buf, sizeof(buf), f))
		buf[0] = '\0';
	fclose(f);
	return parse_cpu_list(buf);
}

/* CPUs isolated from unbound kernel threads or the scheduler's domains. */
static uint64_t isolated_cpus(void)
{
	return sysfs_cpus("/sys/devices/system/cpu/isolated") |
	       sysfs_cpus("/sys/devices/system/cpu/nohz_full");
}

/*
 * Cpus_allowed_list of any task (a kernel thread is not in this process's
 * /proc/self/task), as a bitmap; 0 if it cannot be read.
 */
static uint64_t task_cpus(pid_t tid)
{
	static const char key[] = "Cpus_allowed_list:";
	char path[64], line[256];
	const char *list;

	snprintf(path, sizeof(path), "/proc/%d/status", tid);
	if (acall_file_line(path, key, line, sizeof(line)))
		return 0;
	list = line + strlen(key);
	return parse_cpu_list(list + strspn(list, " \t"));
}

/*
 * The union of the allowed CPUs of this process's kernel-thread workers,
 * how many there are, and the first one's tid (if first).
 */
static uint64_t workers_cpus(int *count, pid_t *first)
{
	pid_t tids[16];
	uint64_t set = 0;
	int i;

	*count = acall_kthread_workers(getpid(), tids, 16);
	for (i = 0; i < *count && i < 16; i++)
		set |= task_cpus(tids[i]);
	if (first)
		*first = *count > 0 ? tids[0] : -1;
	return set;
}

FIXTURE(isolated) {
	struct acall_raw r;
	int dev;
	uint64_t isolated;
	long long idle_ms;	/* worker_idle_ms as it was */
};

FIXTURE_SETUP(isolated)
{
	self->dev = -1;
	self->idle_ms = -1;
	memset(&self->r, 0, sizeof(self->r));
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS |
		      ACALL_FEAT_AFFINITY);
	self->isolated = isolated_cpus();
	if (!self->isolated)
		SKIP(return, "no CPU isolated (boot with isolcpus= or nohz_full=)");
	if (geteuid())
		SKIP(return, "root sets worker_idle_ms");
	self->dev = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, acall_raw_setup(&self->r, self->dev, 8));
	/*
	 * Workers idle until the context closes, so they can be looked at;
	 * set last, as a failed setup is not torn down.
	 */
	self->idle_ms = acall_param_read("worker_idle_ms");
	ASSERT_LE(0, self->idle_ms);
	ASSERT_EQ(0, acall_param_write("worker_idle_ms", 3600 * 1000));
}

FIXTURE_TEARDOWN(isolated)
{
	acall_raw_unmap(&self->r);
	if (self->dev >= 0)
		close(self->dev);
	if (self->idle_ms >= 0)
		acall_param_write("worker_idle_ms", self->idle_ms);
}

/* A NOP a worker runs, to its completion. */
static int worker_nop(FIXTURE_DATA(isolated) *self)
{
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	int ret;

	acall_prep_nop(&sqe, MS);
	ret = acall_raw_submit(self->dev, &sqe, 1);
	if (ret != 1)
		return ret < 0 ? ret : -EIO;
	ret = acall_raw_reap(&self->r, &cqe);
	return ret ? ret : cqe.res;
}

TEST_F(isolated, kernel_thread_workers_stay_off_isolated_cpus)
{
	uint64_t cpus;
	int count;

	ASSERT_EQ(0, worker_nop(self));
	cpus = workers_cpus(&count, NULL);
	ASSERT_LE(1, count);
	EXPECT_NE(0, cpus);
	EXPECT_EQ(0, cpus & self->isolated)
		TH_LOG("workers may run on CPUs %#llx, isolated %#llx",
		       (unsigned long long)cpus,
		       (unsigned long long)self->isolated);
}

/* Bind the context's workers to the CPUs in bits (0: unbind). */
static int bind(FIXTURE_DATA(isolated) *self, uint64_t bits)
{
	struct acall_affinity a = { 0 };
	cpu_set_t set;
	int cpu;

	CPU_ZERO(&set);
	for (cpu = 0; cpu < MAX_CPU; cpu++)
		if (bits & (1ULL << cpu))
			CPU_SET(cpu, &set);
	if (bits) {
		a.mask = (uintptr_t)&set;
		a.mask_size = sizeof(set);
	}
	return ioctl(self->dev, ACALL_IOC_AFFINITY, &a) ? -errno : 0;
}

/*
 * A binding the caller made to isolated CPUs only: the worker that exists
 * moves there, and back off them when the binding goes.
 */
TEST_F(isolated, a_binding_to_isolated_cpus_only_is_kept)
{
	pid_t worker, now;
	cpu_set_t set;
	uint64_t cpus;
	int cpu, count;

	/* The caller may run there itself (root widens its own mask). */
	CPU_ZERO(&set);
	for (cpu = 0; cpu < sysconf(_SC_NPROCESSORS_ONLN); cpu++)
		CPU_SET(cpu, &set);
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(set), &set));

	/* One worker, idle until the context closes, off the isolated CPUs. */
	ASSERT_EQ(0, worker_nop(self));
	cpus = workers_cpus(&count, &worker);
	ASSERT_EQ(1, count);
	EXPECT_EQ(0, cpus & self->isolated);

	/* The same worker applies a new binding before its next request. */
	ASSERT_EQ(0, bind(self, self->isolated));
	ASSERT_EQ(0, worker_nop(self));
	cpus = workers_cpus(&count, &now);
	ASSERT_EQ(1, count);
	EXPECT_EQ(worker, now);
	EXPECT_EQ(self->isolated, cpus)
		TH_LOG("the worker may run on CPUs %#llx, bound to %#llx",
		       (unsigned long long)cpus,
		       (unsigned long long)self->isolated);

	ASSERT_EQ(0, bind(self, 0));
	ASSERT_EQ(0, worker_nop(self));
	cpus = workers_cpus(&count, &now);
	ASSERT_EQ(1, count);
	EXPECT_EQ(worker, now);
	EXPECT_NE(0, cpus);
	EXPECT_EQ(0, cpus & self->isolated);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * acall-worker_throttle: with the test-only module (acall-inject.ko)
 * loaded, a thread donated with ACALL_IOC_SERVE idles in the pool; an
 * fsync() of a file on ext4 is submitted, and as the thread runs it the
 * io controller asks the thread to wait on its way back to userspace
 * (ACALL_INJECT_WORKER_THROTTLE, what io.latency and io.cost do to a
 * cgroup over its share; the wait itself happens only there). The thread
 * must leave SERVE with EINTR once the request is done, so that the wait
 * applies to it, rather than go on serving until it idles out (the module
 * is loaded with worker_idle_ms=2000: SERVE then returns 0, and the
 * thread calls it again). Once the fsync has completed (with 0) and SERVE
 * has returned since, one of its returns since the fsync was queued must
 * be EINTR; without the ask, none is. Both threads run on the CPUs of the first NUMA node
 * (all of them, where there is one node): the thread joins its node's
 * pool, where the fsync must be queued, and has all of that pool's CPUs.
 * Needs ACALL_TEST_EXT4 (run_tests.sh sets it).
 * Prints TAP lines; exit status 0 when all passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/acall.h>
#include "inject.h"
#include "served.h"

#define MAX_RETURNS	64

static int dev;
static pid_t server_tid;	/* set before it first calls SERVE */
static int stop;		/* the test is over: serve no more */
static int returns;		/* how many of its SERVE calls returned */
static int errs[MAX_RETURNS];	/* each one's errno, or 0 */

/* SERVE until told to stop, each return's errno noted. */
static void *serve(void *arg)
{
	int err, n;

	(void)arg;
	__atomic_store_n(&server_tid, gettid(), __ATOMIC_RELEASE);
	while (!__atomic_load_n(&stop, __ATOMIC_ACQUIRE)) {
		err = ioctl(dev, ACALL_IOC_SERVE, 0) ? errno : 0;
		n = __atomic_load_n(&returns, __ATOMIC_RELAXED);
		if (n < MAX_RETURNS)
			errs[n] = err;
		__atomic_store_n(&returns, n + 1, __ATOMIC_RELEASE);
	}
	return NULL;
}

/* An EINTR among the returns from first on. */
static bool eintr_since(int first)
{
	int n = __atomic_load_n(&returns, __ATOMIC_ACQUIRE), i;

	for (i = first; i < n && i < MAX_RETURNS; i++)
		if (errs[i] == EINTR)
			return true;
	return false;
}

/* The CPUs of NUMA node 0, from sysfs; all of them where it has none. */
static void node0_cpus(cpu_set_t *set)
{
	FILE *f = fopen("/sys/devices/system/node/node0/cpulist", "r");
	int lo, hi, cpu;
	char sep;

	CPU_ZERO(set);
	while (f && fscanf(f, "%d", &lo) == 1) {
		hi = lo;
		sep = (char)fgetc(f);
		if (sep == '-' && fscanf(f, "%d", &hi) == 1)
			sep = (char)fgetc(f);
		for (cpu = lo; cpu <= hi && cpu < CPU_SETSIZE; cpu++)
			CPU_SET(cpu, set);
		if (sep != ',')
			break;
	}
	if (f)
		fclose(f);
	if (!CPU_COUNT(set))
		sched_getaffinity(0, sizeof(*set), set);
}

static int check(int n, int ok, const char *name, const char *why)
{
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", n, name,
	       ok ? "" : " # ", ok ? "" : why);
	return ok ? 0 : 1;
}

int main(void)
{
	struct acall_params p = { .entries = 8,
				  .flags = ACALL_SETUP_PROCESS_WORKERS };
	/* A guard: fail rather than hang should nobody serve the fsync. */
	struct acall_wait w = { .min_complete = 1,
				.timeout_ns = 60 * 1000000000LL };
	struct acall_submit s = { .nr = 1 };
	const char *dir = getenv("ACALL_TEST_EXT4");
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	pthread_t server;
	cpu_set_t node0;
	char path[256], why[128];
	int ctl, fd, failed = 0, before, after;
	bool eintr;
	void *map;

	if (!dir) {
		fprintf(stderr, "acall-worker_throttle: no ACALL_TEST_EXT4\n");
		return 1;
	}
	/* Before the thread is made: it inherits them. */
	node0_cpus(&node0);
	if (sched_setaffinity(0, sizeof(node0), &node0)) {
		perror("acall-worker_throttle: sched_setaffinity");
		return 1;
	}
	snprintf(path, sizeof(path), "%s/acall-worker-throttle", dir);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0) {
		perror("acall-worker_throttle: open");
		return 1;
	}
	unlink(path);
	/* The thread idles in SERVE: the one to run the fsync. */
	if (served_context("acall-worker_throttle", &p, &dev, &ctl, &map) ||
	    served_start("acall-worker_throttle", &server, serve, &server_tid))
		return 1;

	before = __atomic_load_n(&returns, __ATOMIC_ACQUIRE);
	if (ioctl(ctl, ACALL_IOC_INJECT, ACALL_INJECT_WORKER_THROTTLE)) {
		perror("acall-worker_throttle: ACALL_IOC_INJECT");
		return 1;
	}
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = ACALL_OP_FSYNC;
	sqe.fd = fd;
	sqe.user_data = 42;
	s.sqes = (__u64)(uintptr_t)&sqe;
	if (ioctl(dev, ACALL_IOC_SUBMIT, &s) != 1 ||
	    ioctl(dev, ACALL_IOC_WAIT, &w) < 1) {
		perror("acall-worker_throttle: SUBMIT or WAIT");
		return 1;
	}
	cqe = ((struct acall_cqe *)((char *)map + p.ring.cqes))[0];
	/*
	 * A return of SERVE after the completion: the one that ran the
	 * fsync, or, if that one returned already, the next (after
	 * worker_idle_ms). EINTR, if it comes, came by then.
	 */
	after = __atomic_load_n(&returns, __ATOMIC_ACQUIRE);
	while (!eintr_since(before) &&
	       __atomic_load_n(&returns, __ATOMIC_ACQUIRE) == after)
		sched_yield();
	eintr = eintr_since(before);
	__atomic_store_n(&stop, 1, __ATOMIC_RELEASE);
	ioctl(dev, ACALL_IOC_SHUTDOWN, 0);
	pthread_join(server, NULL);

	snprintf(why, sizeof(why), "SERVE returned %d times since, none EINTR",
		 __atomic_load_n(&returns, __ATOMIC_ACQUIRE) - before);
	failed += check(1, eintr,
			"a worker the io controller asks to wait leaves SERVE with EINTR",
			why);
	snprintf(why, sizeof(why), "user_data %llu res %d",
		 (unsigned long long)cqe.user_data, cqe.res);
	failed += check(2, cqe.user_data == 42 && cqe.res == 0,
			"the request it ran completed", why);
	return failed ? 1 : 0;
}

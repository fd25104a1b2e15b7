// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel-thread worker (a context set up without
 * ACALL_SETUP_PROCESS_WORKERS) is named acall/<pid>:<n> with its process's
 * pid in the initial pid namespace: kernel threads live there, and an
 * admin looking at one on the host must find the process it serves. Here
 * the process is pid 1 of a pid namespace of its own; before, its worker
 * was acall/1:1, naming the host's init.
 */
#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define MS	1000000ULL

/* In the namespace's first process: one delayed NOP, then wait. */
static int serve_one_nop(int ready, int done)
{
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	struct acall_raw r;
	char c = 1;
	int fd;

	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0 || acall_raw_setup(&r, fd, 8))
		return 2;
	acall_prep_nop(&sqe, 10 * MS);
	if (acall_raw_submit(fd, &sqe, 1) != 1)
		return 3;
	if (acall_raw_reap(&r, &cqe) || cqe.res)
		return 4;
	/* Its worker now idles (for worker_idle_ms) until the test looked. */
	if (write(ready, &c, 1) != 1 || read(done, &c, 1) != 1)
		return 5;
	return 0;
}

FIXTURE(ns) {
	long long idle;		/* worker_idle_ms as it was, or -1 */
};

FIXTURE_SETUP(ns)
{
	self->idle = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	if (geteuid())
		SKIP(return, "needs root for a pid namespace");
	self->idle = acall_param_read("worker_idle_ms");
	ASSERT_LE(0, self->idle);
	/* The worker must still be there when the test looks. */
	ASSERT_EQ(0, acall_param_write("worker_idle_ms", 600000));
}

FIXTURE_TEARDOWN(ns)
{
	if (self->idle >= 0)
		acall_param_write("worker_idle_ms", self->idle);
}

TEST_F(ns, kernel_thread_worker_is_named_by_the_hosts_pid)
{
	int pids[2], ready[2], done[2], status, n;
	char prefix[32], c;
	pid_t outer, inner;

	ASSERT_EQ(0, pipe(pids));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	outer = fork();
	ASSERT_LE(0, outer);
	if (outer == 0) {
		if (unshare(CLONE_NEWPID))
			_exit(100);
		inner = fork();
		if (inner < 0)
			_exit(101);
		if (inner == 0)
			_exit(serve_one_nop(ready[1], done[0]));
		/* inner as the test's namespace sees it. */
		if (write(pids[1], &inner, sizeof(inner)) != sizeof(inner))
			_exit(102);
		_exit(waitpid(inner, &status, 0) == inner && WIFEXITED(status) ?
		      WEXITSTATUS(status) : 103);
	}
	/* A child that stops early closes its ends: the reads then end. */
	close(pids[1]);
	close(ready[1]);
	close(done[0]);
	ASSERT_EQ(sizeof(inner), read(pids[0], &inner, sizeof(inner)))
		TH_LOG("no pid namespace");
	ASSERT_EQ(1, read(ready[0], &c, 1)) TH_LOG("the NOP did not complete");

	snprintf(prefix, sizeof(prefix), "acall/%d:", (int)inner);
	n = acall_comm_scan("/proc", prefix, NULL, 0, 0);
	EXPECT_LE(1, n) TH_LOG("no kernel thread %s<n>", prefix);

	ASSERT_EQ(1, write(done[1], &c, 1));
	ASSERT_EQ(outer, waitpid(outer, &status, 0));
	EXPECT_EQ(0, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	close(pids[0]);
	close(ready[0]);
	close(done[1]);
}

TEST_HARNESS_MAIN

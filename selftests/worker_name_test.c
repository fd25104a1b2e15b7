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
#include "task_state.h"

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

/* Kernel threads show in /proc only in the initial pid namespace. */
static bool in_initial_pid_namespace(void)
{
	char stat[512];

	return acall_task_stat(2, stat, sizeof(stat)) &&
	       strstr(stat, "(kthreadd)");
}

FIXTURE_SETUP(ns)
{
	self->idle = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	if (geteuid())
		SKIP(return, "needs root for a pid namespace");
	if (!in_initial_pid_namespace())
		SKIP(return, "not in the initial pid namespace");
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
	int pids[2], ready[2], done[2], status = 0, n;
	char prefix[32], c;
	pid_t outer, inner;
	int err;

	ASSERT_EQ(0, pipe(pids));
	ASSERT_EQ(0, pipe(ready));
	ASSERT_EQ(0, pipe(done));
	outer = fork();
	ASSERT_LE(0, outer);
	if (outer == 0) {
		/* Only the ends each one writes or reads stay open. */
		close(pids[0]);
		close(ready[0]);
		close(done[1]);
		/* The first word says unshare()'s errno, then inner's pid. */
		err = unshare(CLONE_NEWPID) ? errno : 0;
		if (write(pids[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(100);
		inner = fork();
		if (inner < 0)
			_exit(101);
		if (inner == 0) {
			close(pids[1]);
			_exit(serve_one_nop(ready[1], done[0]));
		}
		close(ready[1]);
		close(done[0]);
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
	ASSERT_EQ(sizeof(err), read(pids[0], &err, sizeof(err)));
	if (err == EPERM || err == EINVAL) {
		waitpid(outer, &status, 0);
		close(pids[0]);
		close(ready[0]);
		close(done[1]);
		SKIP(return, "no pid namespace: %s", strerror(err));
	}
	ASSERT_EQ(0, err);
	ASSERT_EQ(sizeof(inner), read(pids[0], &inner, sizeof(inner)));
	n = read(ready[0], &c, 1);
	if (n != 1)
		waitpid(outer, &status, 0);
	ASSERT_EQ(1, n) TH_LOG("the NOP did not complete (exit %d)",
			       WIFEXITED(status) ? WEXITSTATUS(status) : -1);

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

// SPDX-License-Identifier: GPL-2.0
/*
 * A FALLOCATE of a huge length on a memfd must stop when its owner is
 * killed, as a plain fallocate() does. Found by the fuzzer: the worker is a
 * kernel thread, so shmem_fallocate()'s signal_pending() check never
 * stopped it; the request held the memfd, so nothing freed what it
 * allocated, until the OOM killer had no process left to kill and the
 * kernel panicked ("System is deadlocked on memory"). The module now
 * interrupts what workers run when the owner dies; should that break, this
 * test takes the guest down, and the run fails.
 */
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define WORKERS_BOUND_S 60	/* generous: TCG is slow */

TEST(fallocate_stops_when_its_owner_is_killed)
{
	int p[2], status;
	pid_t child;
	char c;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	ASSERT_EQ(0, pipe(p));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		struct acall_ring ring;
		struct acall_sqe sqe;
		struct acall_cqe *cqe;
		int mfd = memfd_create("acall-unbounded", 0);

		if (mfd < 0 || acall_ring_init(&ring, NULL))
			_exit(2);
		/* 1 TiB: far more than any test machine's memory. */
		acall_prep_fallocate(&sqe, mfd, 0, 0, 1ULL << 40);
		if (acall_submit(&ring, &sqe, 1) != 1)
			_exit(3);
		close(mfd);	/* the request holds the file now */
		if (write(p[1], "s", 1) != 1)
			_exit(4);
		acall_wait_cqe(&ring, &cqe, -1);
		_exit(5);
	}
	close(p[1]);
	ASSERT_EQ(1, read(p[0], &c, 1)) TH_LOG("the child could not submit");
	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFSIGNALED(status));

	/* The owner is gone: its fallocate must stop, and its worker exit. */
	EXPECT_EQ(0, acall_wait_workers_gone(child, WORKERS_BOUND_S))
		TH_LOG("a worker of a killed process is still allocating");
}

TEST_HARNESS_MAIN

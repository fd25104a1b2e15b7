// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-thread workers (a context set up without
 * ACALL_SETUP_PROCESS_WORKERS) are freezable: suspend and hibernation
 * freeze them between requests, as the owner's own threads are frozen. A
 * kernel thread is created with PF_NOFREEZE and stays unfreezable unless it
 * calls set_freezable(); its flags (field 9 of /proc/<tid>/stat) show
 * which.
 */
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define PF_NOFREEZE	0x00008000	/* include/linux/sched.h */
#define PF_KTHREAD	0x00200000
#define MAX_W		64

/*
 * A task's state (field 3 of /proc/<tid>/stat) and flags (field 9), read
 * at once; false if it is gone.
 */
static bool task_stat(pid_t tid, char *state, unsigned long *flags)
{
	const char *field3, *field9;
	char buf[1024];

	if (!acall_task_stat(tid, buf, sizeof(buf)))
		return false;
	field3 = acall_stat_field(buf, 3);
	field9 = acall_stat_field(buf, 9);
	if (!field3 || !field9)
		return false;
	*state = *field3;
	*flags = strtoul(field9, NULL, 10);
	return true;
}

TEST(kernel_thread_workers_are_freezable)
{
	struct acall_raw raw;
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	pid_t tids[MAX_W];
	unsigned long flags;
	int fd, n, i, seen = 0;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_raw_setup(&raw, fd, 8));
	/* A NOP of 1 s runs in a worker: there is one until it completes. */
	acall_prep_nop(&sqe, 1000000000ULL);
	ASSERT_EQ(1, acall_raw_submit(fd, &sqe, 1));
	while ((n = acall_workers_of(getpid(), tids, MAX_W)) == 0)
		sched_yield();
	ASSERT_LT(0, n);
	for (i = 0; i < n; i++) {
		char state;

		/*
		 * Named as soon as it is created, a worker first waits to be
		 * started ('D'); its loop (the NOP, or its idle sleep) shows
		 * 'I', after it could have made itself freezable.
		 */
		while (task_stat(tids[i], &state, &flags) && state != 'I')
			sched_yield();
		if (!task_stat(tids[i], &state, &flags))
			continue;	/* gone meanwhile */
		seen++;
		EXPECT_TRUE(flags & PF_KTHREAD) TH_LOG("worker %d", tids[i]);
		EXPECT_FALSE(flags & PF_NOFREEZE)
			TH_LOG("worker %d flags 0x%lx", tids[i], flags);
	}
	EXPECT_LT(0, seen);
	ASSERT_EQ(0, acall_raw_reap(&raw, &cqe));
	EXPECT_EQ(0, cqe.res);
	acall_raw_unmap(&raw);
	close(fd);
}

TEST_HARNESS_MAIN

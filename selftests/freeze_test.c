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

#define PF_NOFREEZE	0x00008000	/* include/linux/sched.h */
#define PF_KTHREAD	0x00200000
#define MAX_W		64

/*
 * A task's state (field 3 of /proc/<tid>/stat) and flags (field 9), read
 * at once; false if it is gone.
 */
static bool task_stat(pid_t tid, char *state, unsigned long *flags)
{
	char path[64], buf[1024], *p;
	int fd, field;
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = 0;
	/* Fields after the ")" closing comm, which may hold spaces. */
	p = strrchr(buf, ')');
	if (!p || p[1] != ' ')
		return false;
	*state = p[2];
	for (field = 2; p && field < 9; field++)
		p = strchr(p + 1, ' ');
	if (!p)
		return false;
	*flags = strtoul(p + 1, NULL, 10);
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

// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_IOC_CANCEL on lists longer than the stretch it walks under the
 * list's lock (64 requests; it lets go of the lock between stretches):
 * a request anywhere on the list is found once, whether it waits for a
 * worker or behind a barrier, and a second CANCEL says what became of it.
 * Each is canceled last first, so that every CANCEL walks to the end of
 * what is left, and a request at each place, those at a stretch's ends
 * included, is the one sought.
 * A context whose worker threads never come (ACALL_SETUP_PROCESS_WORKERS
 * and no SPAWN or SERVE) keeps every request where it was queued.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define NR	300	/* almost five stretches */

FIXTURE(many) {
	struct acall_raw raw;
	int fd;
};

FIXTURE_SETUP(many)
{
	self->fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_CANCEL |
		      ACALL_FEAT_PROCESS_WORKERS);
	self->fd = open("/dev/acall", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, acall_raw_setup_flags(&self->raw, self->fd, 1024,
					   ACALL_SETUP_PROCESS_WORKERS));
}

FIXTURE_TEARDOWN(many)
{
	if (self->fd < 0)
		return;
	acall_raw_unmap(&self->raw);
	close(self->fd);
}

/* ACALL_IOC_CANCEL: how many it canceled, or -errno. */
static int cancel(int fd, __u64 user_data)
{
	int ret = ioctl(fd, ACALL_IOC_CANCEL, &user_data);

	return ret < 0 ? -errno : ret;
}

/*
 * SHUTDOWN, then every completion: each user_data in [first, first + nr)
 * once, -ECANCELED (by CANCEL or by the SHUTDOWN).
 */
static void shutdown_and_reap(struct __test_metadata *_metadata,
			      struct acall_raw *r, __u64 first, unsigned int nr)
{
	static unsigned char seen[NR + 2];
	struct acall_cqe cqe;
	unsigned int i;

	ASSERT_EQ(0, ioctl(r->fd, ACALL_IOC_SHUTDOWN, 0));
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < nr; i++) {
		ASSERT_EQ(0, acall_raw_reap(r, &cqe));
		ASSERT_LE(first, cqe.user_data);
		ASSERT_GT(first + nr, cqe.user_data);
		EXPECT_EQ(0, seen[cqe.user_data - first]++);
		EXPECT_EQ(-ECANCELED, cqe.res);
	}
	EXPECT_EQ(*r->head, __atomic_load_n(r->tail, __ATOMIC_ACQUIRE));
}

/* Waiting for a worker: each found once, then nothing is left to find. */
TEST_F(many, found_anywhere_on_a_pool_s_queue)
{
	struct acall_sqe sqes[NR];
	unsigned int i;

	for (i = 0; i < NR; i++) {
		acall_prep_nop(&sqes[i], 1);	/* a delay: for a worker */
		acall_sqe_set_data(&sqes[i], i + 1);
	}
	ASSERT_EQ(NR, acall_raw_submit(self->fd, sqes, NR));
	for (i = NR; i >= 1; i--)
		EXPECT_EQ(1, cancel(self->fd, i)) TH_LOG("user_data %u", i);
	/* Completed: nothing is left to find. */
	EXPECT_EQ(-ENOENT, cancel(self->fd, 200));
	EXPECT_EQ(-ENOENT, cancel(self->fd, NR + 1));
	shutdown_and_reap(_metadata, &self->raw, 1, NR);
}

/* Held behind a barrier that waits for a worker: marked, then EALREADY. */
TEST_F(many, found_anywhere_behind_a_barrier)
{
	struct acall_sqe sqes[NR + 1];
	unsigned int i;

	acall_prep_nop(&sqes[0], 1);
	acall_sqe_set_ordered(&sqes[0]);
	acall_sqe_set_data(&sqes[0], 1);
	for (i = 1; i <= NR; i++) {
		acall_prep_nop(&sqes[i], 0);
		acall_sqe_set_data(&sqes[i], i + 1);
	}
	ASSERT_EQ(NR + 1, acall_raw_submit(self->fd, sqes, NR + 1));
	for (i = NR + 1; i >= 2; i--)
		EXPECT_EQ(1, cancel(self->fd, i)) TH_LOG("user_data %u", i);
	/* Still held, bound to complete with -ECANCELED. */
	for (i = NR + 1; i >= 2; i--)
		EXPECT_EQ(-EALREADY, cancel(self->fd, i)) TH_LOG("user_data %u", i);
	EXPECT_EQ(-ENOENT, cancel(self->fd, NR + 2));
	shutdown_and_reap(_metadata, &self->raw, 1, NR + 1);
}

TEST_HARNESS_MAIN

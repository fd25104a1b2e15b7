// SPDX-License-Identifier: GPL-2.0
/*
 * Buffered writes in the submitter, on XFS, which can start one without
 * blocking: a frozen filesystem does not hold SUBMIT; the write waits for
 * the thaw in a worker.
 *
 * Not tested here: that an O_DSYNC or RWF_DSYNC write is not tried inline.
 * XFS refuses a non-blocking write whenever the file's mtime must change,
 * which is most of the time, so whether a write completed inline says
 * nothing reliable about that rule.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <time.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define WATCHDOG_S	30

FIXTURE(xfs) {
	struct acall_ring ring;
	const char *dir;
	int fd;
	char buf[4096];
	struct iovec iov;
};

FIXTURE_SETUP(xfs)
{
	self->fd = -1;
	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_INLINE);
	ACALL_FIXTURE(self->dir, "ACALL_TEST_XFS");
	self->fd = acall_tmpfile(self->dir, O_RDWR);
	ASSERT_LE(0, self->fd);
	acall_fill(self->buf, sizeof(self->buf), 0, 3);
	self->iov = (struct iovec){ self->buf, sizeof(self->buf) };
	ASSERT_EQ(0, acall_ring_init(&self->ring, NULL));
}

FIXTURE_TEARDOWN(xfs)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
}

struct thawer {
	int dirfd;
	atomic_bool submitted;
	bool fired;		/* thawed by the watchdog, SUBMIT still blocked */
};

/* Thaw if SUBMIT has not returned after WATCHDOG_S, so the VM goes on. */
static void *watchdog(void *arg)
{
	struct thawer *t = arg;
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	int i;

	for (i = 0; i < WATCHDOG_S * 100; i++) {
		if (atomic_load(&t->submitted))
			return NULL;
		nanosleep(&tick, NULL);
	}
	t->fired = true;
	ioctl(t->dirfd, FITHAW, 0);
	return NULL;
}

TEST_F_TIMEOUT(xfs, frozen_filesystem_does_not_hold_submit, 120)
{
	struct thawer t = { .dirfd = open(self->dir, O_RDONLY | O_DIRECTORY) };
	struct acall_cqe *cqe;
	struct acall_sqe sqe;
	char back[4096];
	pthread_t thread;

	ASSERT_LE(0, t.dirfd);
	ASSERT_EQ(0, ioctl(t.dirfd, FIFREEZE, 0));
	ASSERT_EQ(0, pthread_create(&thread, NULL, watchdog, &t));

	acall_prep_pwritev(&sqe, self->fd, &self->iov, 1, 0, 0);
	acall_sqe_set_data(&sqe, 7);
	EXPECT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	atomic_store(&t.submitted, true);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_FALSE(t.fired) TH_LOG("SUBMIT waited for the thaw");
	if (!t.fired) {
		/* Still frozen: the write waits in a worker. */
		EXPECT_EQ(-ETIME, acall_wait(&self->ring, 1, 0));
		ASSERT_EQ(0, ioctl(t.dirfd, FITHAW, 0));
	}

	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(7, cqe->user_data);
	EXPECT_EQ(4096, cqe->res);
	acall_cq_advance(&self->ring, 1);
	ASSERT_EQ(4096, pread(self->fd, back, sizeof(back), 0));
	EXPECT_EQ(-1, acall_check(back, sizeof(back), 0, 3));
	close(t.dirfd);
}

TEST_HARNESS_MAIN

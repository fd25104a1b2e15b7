// SPDX-License-Identifier: GPL-2.0
/*
 * Buffered writes in the submitter, on XFS, which can start one without
 * blocking: a frozen filesystem does not hold SUBMIT; the write waits for
 * the thaw in a worker. A write that must be synced (RWF_DSYNC, O_DSYNC)
 * is never tried inline, where the sync would block the submitter.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define WATCHDOG_S	30
#define SYNC_WRITES	64

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

	if (!acall_watchdog_expired(&t->submitted, WATCHDOG_S))
		return NULL;
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

/*
 * XFS starts a non-blocking write only while the file's mtime needs no
 * update, so a plain pwrite() just before each one makes an inline attempt
 * likely to go through: a sync write that the submitter tried would then
 * complete inline (and sync there) at least once in SYNC_WRITES.
 */
static void sync_writes_go_to_workers(struct __test_metadata *_metadata,
				      FIXTURE_DATA(xfs) *self, int fd,
				      int rw_flags)
{
	struct acall_stats before, after;
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	int i;

	ASSERT_EQ(0, acall_stats(&self->ring, &before));
	for (i = 0; i < SYNC_WRITES; i++) {
		ASSERT_EQ(sizeof(self->buf), pwrite(fd, self->buf, sizeof(self->buf), 0));
		acall_prep_pwritev(&sqe, fd, &self->iov, 1, 4096, rw_flags);
		ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
		ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
		EXPECT_EQ(sizeof(self->buf), cqe->res);
		acall_cq_advance(&self->ring, 1);
	}
	ASSERT_EQ(0, acall_stats(&self->ring, &after));
	EXPECT_EQ(0, ACALL_DELTA(before, after, inline_done));
	EXPECT_EQ(SYNC_WRITES, ACALL_DELTA(before, after, punted));
}

TEST_F(xfs, rwf_dsync_writes_are_never_tried_inline)
{
	ACALL_REQUIRE(ACALL_FEAT_STATS);
	sync_writes_go_to_workers(_metadata, self, self->fd, RWF_DSYNC);
}

TEST_F(xfs, o_dsync_writes_are_never_tried_inline)
{
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_STATS);
	fd = acall_reopen(self->fd, O_RDWR | O_DSYNC);
	ASSERT_LE(0, fd);
	sync_writes_go_to_workers(_metadata, self, fd, 0);
	close(fd);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * An RWF_NOWAIT O_DIRECT request whose kiocb completes with -EAGAIN (the
 * device had no free request slot) completes with -EAGAIN, as preadv2()
 * would, without visiting a worker. The slow device is narrowed to
 * nr_requests 4 with no I/O scheduler, and four slow reads hold every slot.
 */
#include <fcntl.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define HOLDERS	4	/* BLKDEV_MIN_RQ: the fewest a queue takes */

FIXTURE(narrow) {
	const char *bdev;
	struct acall_queue_saved saved;
	struct acall_ring ring;
	int fd;
	void *buf;
};

FIXTURE_SETUP(narrow)
{
	self->fd = -1;
	self->ring.fd = -1;
	self->saved.nr[0] = self->saved.sched[0] = 0;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ASYNC_KIOCB | ACALL_FEAT_STATS);
	ACALL_FIXTURE(self->bdev, "ACALL_TEST_SLOW_BDEV");
	ASSERT_EQ(0, acall_narrow_queue(self->bdev, "4", &self->saved));
	self->fd = open(self->bdev, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, posix_memalign(&self->buf, 4096, (HOLDERS + 1) * 4096));
	ASSERT_EQ(0, acall_ring_init(&self->ring, NULL));
}

FIXTURE_TEARDOWN(narrow)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
	acall_restore_queue(self->bdev, &self->saved);
}

TEST_F(narrow, nowait_eagain_from_the_device_takes_no_worker)
{
	struct iovec iov[HOLDERS + 1];
	struct acall_sqe sqes[HOLDERS + 1];
	struct acall_stats before, after;
	struct acall_cqe *cqe;
	int i, nowait_res = 1;

	/* Far apart, so that no two merge into one request. */
	for (i = 0; i <= HOLDERS; i++) {
		iov[i] = (struct iovec){ (char *)self->buf + i * 4096, 4096 };
		acall_prep_preadv(&sqes[i], self->fd, &iov[i], 1,
				  (__u64)i << 20, i == HOLDERS ? RWF_NOWAIT : 0);
		acall_sqe_set_data(&sqes[i], i);
	}
	ASSERT_EQ(HOLDERS, acall_submit(&self->ring, sqes, HOLDERS));
	ASSERT_EQ(0, acall_stats(&self->ring, &before));
	ASSERT_EQ(1, acall_submit(&self->ring, &sqes[HOLDERS], 1));
	ASSERT_EQ(0, acall_stats(&self->ring, &after));
	EXPECT_EQ(0, ACALL_DELTA(before, after, punted));

	for (i = 0; i <= HOLDERS; i++) {
		ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
		if (cqe->user_data == HOLDERS)
			nowait_res = cqe->res;
		else
			EXPECT_EQ(4096, cqe->res);
		acall_cq_advance(&self->ring, 1);
	}
	EXPECT_EQ(-EAGAIN, nowait_res);
}

TEST_HARNESS_MAIN

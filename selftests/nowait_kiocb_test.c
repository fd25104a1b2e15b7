// SPDX-License-Identifier: GPL-2.0
/*
 * An RWF_NOWAIT O_DIRECT request whose kiocb completes with -EAGAIN (the
 * device had no free request slot) completes with -EAGAIN, as preadv2()
 * would, without visiting a worker. The slow device is narrowed to
 * nr_requests 4 with no I/O scheduler, and four slow reads hold every slot.
 */
#include <fcntl.h>
#include <libgen.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define HOLDERS	4	/* BLKDEV_MIN_RQ: the fewest a queue takes */

/* /sys/block/NAME/queue/ATTR of the device at path: read old, write val. */
static int queue_attr(const char *dev, const char *attr, char *old,
		      size_t old_len, const char *val)
{
	char path[128], name[64];
	ssize_t n;
	int fd;

	snprintf(name, sizeof(name), "%s", dev);
	snprintf(path, sizeof(path), "/sys/block/%s/queue/%s", basename(name), attr);
	fd = open(path, O_RDWR);
	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, old, old_len - 1);
		old[n > 0 ? n : 0] = 0;
	}
	n = val ? write(fd, val, strlen(val)) : 0;
	close(fd);
	return n < 0 ? -errno : 0;
}

FIXTURE(narrow) {
	const char *bdev;
	char sched[128], nr[32];
	struct acall_ring ring;
	int fd;
	void *buf;
};

FIXTURE_SETUP(narrow)
{
	self->fd = -1;
	self->ring.fd = -1;
	self->nr[0] = self->sched[0] = 0;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ASYNC_KIOCB | ACALL_FEAT_STATS);
	ACALL_FIXTURE(self->bdev, "ACALL_TEST_SLOW_BDEV");
	ASSERT_EQ(0, queue_attr(self->bdev, "scheduler", self->sched,
				sizeof(self->sched), "none"));
	ASSERT_EQ(0, queue_attr(self->bdev, "nr_requests", self->nr,
				sizeof(self->nr), "4"));
	self->fd = open(self->bdev, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, posix_memalign(&self->buf, 4096, (HOLDERS + 1) * 4096));
	ASSERT_EQ(0, acall_ring_init(&self->ring, NULL));
}

FIXTURE_TEARDOWN(narrow)
{
	char *sel;

	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
	if (self->nr[0])
		queue_attr(self->bdev, "nr_requests", NULL, 0, self->nr);
	/* "[mq-deadline] none": write back the one in brackets. */
	sel = strchr(self->sched, '[');
	if (sel) {
		sel[strcspn(sel, "]")] = 0;
		queue_attr(self->bdev, "scheduler", NULL, 0, sel + 1);
	}
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

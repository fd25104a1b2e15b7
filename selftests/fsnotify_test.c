// SPDX-License-Identifier: GPL-2.0
/*
 * A read or write through acall raises IN_ACCESS or IN_MODIFY as preadv()
 * and pwritev() do, whichever path moves the bytes: inline, a worker, or an
 * O_DIRECT kiocb that the filesystem completes before it returns (ext4 on a
 * RAM disk) or later in an interrupt (ext4 on the slow device). The event
 * is queued before the completion is posted, so it is read here without
 * waiting.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define LEN	4096

FIXTURE(fsnotify) {
	struct acall_ring ring;
	const char *dir;
	int fd;
	int inotify;
	void *buf;
};

FIXTURE_VARIANT(fsnotify) {
	const char *env;
	const char *dir;
	int flags;
};

FIXTURE_VARIANT_ADD(fsnotify, ext4_direct) {
	.env = "ACALL_TEST_EXT4", .flags = O_DIRECT,
};
FIXTURE_VARIANT_ADD(fsnotify, slow_ext4_direct) {
	.env = "ACALL_TEST_SLOW_EXT4", .flags = O_DIRECT,
};
FIXTURE_VARIANT_ADD(fsnotify, xfs_direct) {
	.env = "ACALL_TEST_XFS", .flags = O_DIRECT,
};
FIXTURE_VARIANT_ADD(fsnotify, ext4_buffered) { .env = "ACALL_TEST_EXT4" };

/* Every event queued so far, or'ed together; 0 if none. */
static unsigned int drain(int inotify)
{
	char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	unsigned int mask = 0;
	ssize_t n;
	char *p;

	while ((n = read(inotify, events, sizeof(events))) > 0)
		for (p = events; p < events + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			mask |= ev->mask;
		}
	return mask;
}

FIXTURE_SETUP(fsnotify)
{
	char path[64];

	self->fd = -1;
	self->inotify = -1;
	self->ring.fd = -1;
	self->buf = NULL;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ACALL_FIXTURE(self->dir, variant->env);
	self->fd = acall_tmpfile(self->dir, O_RDWR | variant->flags);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, posix_memalign(&self->buf, LEN, LEN));
	/* Written and synced first: O_DIRECT overwrites go out as kiocbs. */
	memset(self->buf, 0x5a, LEN);
	ASSERT_EQ(LEN, pwrite(self->fd, self->buf, LEN, 0));
	ASSERT_EQ(0, fsync(self->fd));
	self->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ASSERT_LE(0, self->inotify);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	ASSERT_LE(0, inotify_add_watch(self->inotify, path,
				       IN_ACCESS | IN_MODIFY));
	ASSERT_EQ(0, acall_ring_init(&self->ring, NULL));
}

FIXTURE_TEARDOWN(fsnotify)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->inotify >= 0)
		close(self->inotify);
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
}

/* One request on the file; returns its result once reaped. */
static int one(struct __test_metadata *_metadata, struct acall_ring *ring,
	       int fd, void *buf, bool write)
{
	struct iovec iov = { buf, LEN };
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	int res;

	if (write)
		acall_prep_pwritev(&sqe, fd, &iov, 1, 0, 0);
	else
		acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	EXPECT_EQ(1, acall_submit(ring, &sqe, 1));
	EXPECT_EQ(0, acall_wait_cqe(ring, &cqe, -1));
	res = cqe->res;
	acall_cq_advance(ring, 1);
	return res;
}

TEST_F(fsnotify, write_raises_in_modify_before_its_completion)
{
	EXPECT_EQ(0, drain(self->inotify));
	memset(self->buf, 0xa5, LEN);
	ASSERT_EQ(LEN, one(_metadata, &self->ring, self->fd, self->buf, true));
	EXPECT_EQ(IN_MODIFY, drain(self->inotify) & (IN_MODIFY | IN_ACCESS));
}

TEST_F(fsnotify, read_raises_in_access_before_its_completion)
{
	EXPECT_EQ(0, drain(self->inotify));
	ASSERT_EQ(LEN, one(_metadata, &self->ring, self->fd, self->buf, false));
	EXPECT_EQ(0x5a, ((unsigned char *)self->buf)[LEN - 1]);
	EXPECT_EQ(IN_ACCESS, drain(self->inotify) & (IN_MODIFY | IN_ACCESS));
}

/* The control: what the blocking calls raise, which acall must match. */
TEST_F(fsnotify, pwrite_and_pread_raise_the_same)
{
	EXPECT_EQ(0, drain(self->inotify));
	ASSERT_EQ(LEN, pwrite(self->fd, self->buf, LEN, 0));
	EXPECT_EQ(IN_MODIFY, drain(self->inotify));
	ASSERT_EQ(LEN, pread(self->fd, self->buf, LEN, 0));
	EXPECT_EQ(IN_ACCESS, drain(self->inotify));
}

/*
 * An O_DIRECT write across the end of a block device: the device takes
 * the part before its end (the async kiocb completes short) and a worker
 * is refused the rest (ENOSPC). pwrite() returns the part and raises
 * IN_MODIFY; the request must raise it too. It raised nothing when the
 * short kiocb sent the rest to the worker.
 */
TEST(direct_write_cut_short_by_the_device_end_raises_in_modify)
{
	struct acall_ring ring;
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	struct iovec iov;
	const char *dev;
	char path[64];
	void *buf = NULL;
	__u64 bytes;
	int fd, in, res;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ACALL_FIXTURE(dev, "ACALL_TEST_BDEV");
	fd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, BLKGETSIZE64, &bytes));
	ASSERT_EQ(0, posix_memalign(&buf, LEN, 2 * LEN));
	memset(buf, 0x3c, 2 * LEN);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ASSERT_LE(0, in);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ASSERT_LE(0, inotify_add_watch(in, path, IN_MODIFY));
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));

	/* The control: what the blocking call does. */
	ASSERT_EQ(LEN, pwrite(fd, buf, 2 * LEN, bytes - LEN));
	EXPECT_EQ(IN_MODIFY, drain(in));

	iov = (struct iovec){ buf, 2 * LEN };
	acall_prep_pwritev(&sqe, fd, &iov, 1, bytes - LEN, 0);
	ASSERT_EQ(1, acall_submit(&ring, &sqe, 1));
	ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
	res = cqe->res;
	acall_cq_advance(&ring, 1);
	EXPECT_EQ(LEN, res);
	EXPECT_EQ(IN_MODIFY, drain(in))
		TH_LOG("a write that moved %d bytes raised no IN_MODIFY", res);

	acall_ring_exit(&ring);
	close(in);
	close(fd);
	free(buf);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * RWF_NOWAIT: a request that carries it completes with what preadv2() or
 * pwritev2() with the flag answers on the same file, on each kind of file
 * acall serves: the data where they move it, -EOPNOTSUPP where the file
 * cannot honour the flag (a buffered write on ext4 or a block device),
 * rather than an -EAGAIN that tells the caller to try again.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define BLK	4096

FIXTURE(nowait) {
	struct acall_ring ring;
	const char *dir;
	unsigned char buf[BLK], back[BLK];
	int fd;
};

FIXTURE_VARIANT(nowait) {
	const char *env;	/* fixture variable naming the directory */
	const char *dir;	/* or a fixed directory */
	bool bdev;		/* env names a block device instead */
	bool times_wait;	/* a write may wait for the file's times */
};

FIXTURE_VARIANT_ADD(nowait, tmpfs) { .dir = "/tmp" };
FIXTURE_VARIANT_ADD(nowait, ext4) { .env = "ACALL_TEST_EXT4" };
FIXTURE_VARIANT_ADD(nowait, xfs) { .env = "ACALL_TEST_XFS", .times_wait = true };
FIXTURE_VARIANT_ADD(nowait, bdev) { .env = "ACALL_TEST_BDEV", .bdev = true };

FIXTURE_SETUP(nowait)
{
	struct acall_options opts = { .entries = 8 };

	self->fd = -1;
	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	self->dir = variant->dir;
	if (variant->env)
		ACALL_FIXTURE(self->dir, variant->env);
	if (variant->bdev)
		self->fd = open(self->dir, O_RDWR);
	else
		self->fd = acall_tmpfile(self->dir, O_RDWR);
	ASSERT_LE(0, self->fd);
	/* Four blocks of pattern 1, on the medium: overwrites, no allocation. */
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 4 * BLK, 1));
	ASSERT_EQ(0, fsync(self->fd));
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

FIXTURE_TEARDOWN(nowait)
{
	ACALL_FILE_FIXTURE_TEARDOWN();
}

/*
 * Whether two answers to the same write agree: equal, or, where the file
 * can write without waiting but must wait to update its times (XFS, at
 * most once a clock tick: kiocb_modified()), one -EAGAIN and the other
 * the whole block.
 */
static bool same_answer(long a, long b, bool times_wait)
{
	if (a == b)
		return true;
	return times_wait && ((a == -EAGAIN && b == BLK) ||
			      (a == BLK && b == -EAGAIN));
}

/* What pwritev2() or preadv2() with RWF_NOWAIT answers: bytes or -errno. */
static long plain_nowait(int fd, bool write, void *buf, __u64 off)
{
	struct iovec iov = { buf, BLK };
	ssize_t ret;

	if (write)
		ret = pwritev2(fd, &iov, 1, off, RWF_NOWAIT);
	else
		ret = preadv2(fd, &iov, 1, off, RWF_NOWAIT);
	return ret < 0 ? -errno : ret;
}

TEST_F(nowait, buffered_write_answers_as_pwritev2)
{
	struct iovec iov = { self->buf, BLK };
	struct acall_sqe sqe;
	long plain;
	int res;

	acall_fill(self->buf, BLK, BLK, 2);
	plain = plain_nowait(self->fd, true, self->buf, BLK);
	acall_fill(self->buf, BLK, 2 * BLK, 3);
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, 2 * BLK, RWF_NOWAIT);
	res = acall_run1(&self->ring, &sqe);
	ASSERT_LT(ACALL_RUN_FAILED, res);
	EXPECT_TRUE(same_answer(plain, res, variant->times_wait))
		TH_LOG("pwritev2 %ld, acall %d", plain, res);
	/* Written where both wrote, untouched where both refused. */
	ASSERT_EQ(BLK, pread(self->fd, self->back, BLK, 2 * BLK));
	EXPECT_EQ(-1, acall_check(self->back, BLK, 2 * BLK, res == BLK ? 3 : 1));
}

TEST_F(nowait, cached_read_answers_as_preadv2)
{
	struct iovec iov = { self->back, BLK };
	struct acall_sqe sqe;
	long plain;
	int res;

	/* Both blocks in the page cache: fsync left them there. */
	plain = plain_nowait(self->fd, false, self->back, BLK);
	acall_prep_preadv(&sqe, self->fd, &iov, 1, 2 * BLK, RWF_NOWAIT);
	res = acall_run1(&self->ring, &sqe);
	ASSERT_LT(ACALL_RUN_FAILED, res);
	EXPECT_EQ(plain, res)
		TH_LOG("preadv2 %ld, acall %d", plain, res);
	if (res == BLK)
		EXPECT_EQ(-1, acall_check(self->back, BLK, 2 * BLK, 1));
}

TEST_HARNESS_MAIN

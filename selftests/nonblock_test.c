// SPDX-License-Identifier: GPL-2.0
/*
 * Submission never waits for I/O. On devices where every request takes
 * hundreds of milliseconds (null_blk, memory-backed, completion by timer:
 * ACALL_TEST_SLOW_BDEV raw and ACALL_TEST_SLOW_EXT4 with ext4 on it), a
 * cold buffered read, O_DIRECT reads and writes, an fdatasync and an
 * O_DIRECT write that must allocate blocks all return from the submission
 * with their completion not posted yet, and complete afterwards with the
 * right result and data.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define LEN (64 * 1024)

FIXTURE(slow) {
	struct acall_ring ring;
	unsigned char *buf;
};

FIXTURE_SETUP(slow)
{
	struct acall_options opts = { .entries = 16 };

	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, posix_memalign((void **)&self->buf, 4096, LEN));
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

FIXTURE_TEARDOWN(slow)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	free(self->buf);
}

/*
 * Submit one request, check that its completion is not there when the
 * submission returns, then wait for it; its res is returned.
 */
static int submit_pending(struct __test_metadata *_metadata,
			  struct acall_ring *ring, struct acall_sqe *sqe)
{
	struct acall_cqe *cqe;
	unsigned int ready;
	int res;

	acall_sqe_set_data(sqe, 0x510);
	if (acall_submit(ring, sqe, 1) != 1)
		return ACALL_RUN_FAILED;
	ready = acall_cq_ready(ring);
	EXPECT_EQ(0, ready) TH_LOG("the submission waited for the I/O");
	if (acall_wait_cqe(ring, &cqe, -1) < 0)
		return ACALL_RUN_FAILED;
	if (cqe->user_data != 0x510)
		return ACALL_RUN_FAILED - 1;
	res = cqe->res;
	acall_cq_advance(ring, 1);
	return res;
}

/* A file on the slow ext4 holding the pattern, on the device and not in
 * memory. */
static int cold_file(struct __test_metadata *_metadata, const char *dir,
		     unsigned int seed)
{
	int fd = acall_tmpfile(dir, O_RDWR);

	if (fd < 0)
		return fd;
	if (acall_pwrite_pattern(fd, 0, LEN, seed) || fsync(fd) ||
	    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) || acall_drop_caches())
		return -EIO;
	return fd;
}

TEST_F_TIMEOUT(slow, cold_buffered_read, 120)
{
	struct iovec iov = { self->buf, LEN };
	struct acall_sqe sqe;
	const char *dir;
	int fd;

	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	fd = cold_file(_metadata, dir, 1);
	ASSERT_LE(0, fd);
	memset(self->buf, 0, LEN);
	acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	ASSERT_EQ(LEN, submit_pending(_metadata, &self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 0, 1));
	close(fd);
}

TEST_F_TIMEOUT(slow, cold_buffered_block_device_read, 120)
{
	struct iovec iov = { self->buf, LEN };
	struct acall_sqe sqe;
	const char *dev;
	int fd;

	ACALL_FIXTURE(dev, "ACALL_TEST_SLOW_BDEV");
	fd = open(dev, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 3 << 20, LEN, 2));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	memset(self->buf, 0, LEN);
	acall_prep_preadv(&sqe, fd, &iov, 1, 3 << 20, 0);
	ASSERT_EQ(LEN, submit_pending(_metadata, &self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 3 << 20, 2));
	close(fd);
}

TEST_F_TIMEOUT(slow, direct_write_then_direct_read, 120)
{
	struct iovec iov[2] = { { self->buf, 4096 }, { self->buf + 4096, LEN - 4096 } };
	struct acall_sqe sqe;
	const char *dev;
	int dfd;

	ACALL_FIXTURE(dev, "ACALL_TEST_SLOW_BDEV");
	dfd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);

	acall_fill(self->buf, LEN, 1 << 20, 3);
	acall_prep_pwritev(&sqe, dfd, iov, 2, 1 << 20, 0);
	ASSERT_EQ(LEN, submit_pending(_metadata, &self->ring, &sqe));

	memset(self->buf, 0, LEN);
	acall_prep_preadv(&sqe, dfd, iov, 2, 1 << 20, 0);
	ASSERT_EQ(LEN, submit_pending(_metadata, &self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 1 << 20, 3));
	close(dfd);
}

TEST_F_TIMEOUT(slow, fdatasync_of_dirty_file, 120)
{
	struct acall_sqe sqe;
	const char *dir;
	int fd;

	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, LEN, 4));	/* dirty, in memory */
	acall_prep_fdatasync(&sqe, fd);
	ASSERT_EQ(0, submit_pending(_metadata, &self->ring, &sqe));
	/* Written back: the pages are clean now and can be dropped. */
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	ASSERT_EQ(LEN, pread(fd, self->buf, LEN, 0));
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 0, 4));
	close(fd);
}

/* ext4 must allocate blocks for it: the write cannot be a plain overwrite. */
TEST_F_TIMEOUT(slow, direct_write_into_sparse_file, 120)
{
	struct iovec iov = { self->buf, LEN };
	struct acall_sqe sqe;
	const char *dir;
	struct stat st;
	int fd, dfd;

	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, 4 << 20));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, st.st_blocks) TH_LOG("the file is not sparse");
	dfd = acall_reopen(fd, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);

	acall_fill(self->buf, LEN, 1 << 20, 5);
	acall_prep_pwritev(&sqe, dfd, &iov, 1, 1 << 20, 0);
	ASSERT_EQ(LEN, submit_pending(_metadata, &self->ring, &sqe));
	ASSERT_EQ(0, fstat(fd, &st));
	EXPECT_LE(LEN / 512, st.st_blocks);
	memset(self->buf, 0, LEN);
	ASSERT_EQ(LEN, pread(fd, self->buf, LEN, 1 << 20));
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 1 << 20, 5));
	close(dfd);
	close(fd);
}

/* Several at once, of every kind: none is there when the call returns. */
TEST_F_TIMEOUT(slow, mixed_batch, 120)
{
	struct iovec iov[3] = {
		{ self->buf, 16384 }, { self->buf + 16384, 16384 },
		{ self->buf + 32768, 16384 },
	};
	struct acall_sqe sqes[3];
	struct acall_cqe cqes[3];
	const char *dir, *dev;
	int fd, dfd, i;

	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	ACALL_FIXTURE(dev, "ACALL_TEST_SLOW_BDEV");
	fd = cold_file(_metadata, dir, 6);
	ASSERT_LE(0, fd);
	dfd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);
	acall_fill(self->buf + 32768, 16384, 0, 7);

	acall_prep_preadv(&sqes[0], fd, &iov[0], 1, 0, 0);
	acall_prep_preadv(&sqes[1], dfd, &iov[1], 1, 2 << 20, 0);
	acall_prep_pwritev(&sqes[2], dfd, &iov[2], 1, 0, 0);
	for (i = 0; i < 3; i++)
		acall_sqe_set_data(&sqes[i], i + 1);
	ASSERT_EQ(3, acall_submit(&self->ring, sqes, 3));
	EXPECT_EQ(0, acall_cq_ready(&self->ring));
	for (i = 0; i < 3; i++) {
		struct acall_cqe *cqe;

		ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
		ASSERT_LE(1, cqe->user_data);
		ASSERT_GE(3, cqe->user_data);
		cqes[cqe->user_data - 1] = *cqe;
		acall_cq_advance(&self->ring, 1);
	}
	for (i = 0; i < 3; i++)
		EXPECT_EQ(16384, cqes[i].res) TH_LOG("request %d", i + 1);
	EXPECT_EQ(-1, acall_check(self->buf, 16384, 0, 6));
	close(dfd);
	close(fd);
}

TEST_HARNESS_MAIN

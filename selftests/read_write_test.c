// SPDX-License-Identifier: GPL-2.0
/*
 * READ and WRITE: one buffer named in the SQE itself, as pread() and
 * pwrite() take it. Data written is read back with plain pread, data read
 * is compared with what plain pwrite wrote; buffered (page cache hot and
 * cold), O_DIRECT, and every argument the one-buffer form checks
 * differently from PREADV's iovec.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

FIXTURE(read_write) {
	struct acall_ring ring;
	const char *dir;
	int fd;
};

FIXTURE_VARIANT(read_write) {
	const char *env;
	const char *dir;
};

FIXTURE_VARIANT_ADD(read_write, tmpfs) { .dir = "/tmp" };
FIXTURE_VARIANT_ADD(read_write, ext4) { .env = "ACALL_TEST_EXT4" };

FIXTURE_SETUP(read_write)
{
	ACALL_FILE_FIXTURE_SETUP(64);
}

FIXTURE_TEARDOWN(read_write)
{
	ACALL_FILE_FIXTURE_TEARDOWN();
}

/* Odd offsets and lengths, written with WRITE and read with READ. */
TEST_F(read_write, buffered_write_then_read)
{
	size_t len = 3 * 4096 + 123;
	unsigned char *buf = malloc(len), *back = malloc(len);
	struct acall_sqe sqe;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, back);
	acall_fill(buf, len, 777, 41);
	acall_prep_write(&sqe, self->fd, buf, len, 777, 0);
	ASSERT_EQ(len, acall_run1(&self->ring, &sqe));
	memset(back, 0, len);
	ASSERT_EQ(len, pread(self->fd, back, len, 777));
	EXPECT_EQ(-1, acall_check(back, len, 777, 41));

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 777, len, 42));
	memset(back, 0, len);
	acall_prep_read(&sqe, self->fd, back, len, 777, 0);
	ASSERT_EQ(len, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(back, len, 777, 42));
	free(buf);
	free(back);
}

/* A read the page cache cannot serve goes the asynchronous way. */
TEST_F_TIMEOUT(read_write, cold_cache_read, 60)
{
	size_t len = 256 * 1024 + 77;
	unsigned char *buf = malloc(len);
	struct acall_sqe sqe;

	if (!variant->env)
		SKIP(return, "tmpfs pages cannot be dropped");
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 99, len, 43));
	ASSERT_EQ(0, fsync(self->fd));
	ASSERT_EQ(0, acall_drop_caches());
	memset(buf, 0, len);
	acall_prep_read(&sqe, self->fd, buf, len, 99, 0);
	ASSERT_EQ(len, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(buf, len, 99, 43));
	free(buf);
}

/* O_DIRECT both ways, and a read across end of file that is short. */
TEST_F(read_write, direct_io)
{
	enum { LEN = 4 * 4096 };
	unsigned char *buf = NULL, *back = NULL;
	struct acall_sqe sqe;
	int dfd;

	dfd = acall_reopen(self->fd, O_RDWR | O_DIRECT);
	if (dfd == -EINVAL)
		SKIP(return, "%s does not support O_DIRECT", self->dir);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, LEN));
	ASSERT_EQ(0, posix_memalign((void **)&back, 4096, LEN));

	acall_fill(buf, LEN, 8192, 44);
	acall_prep_write(&sqe, dfd, buf, LEN, 8192, 0);
	ASSERT_EQ(LEN, acall_run1(&self->ring, &sqe));
	ASSERT_EQ(LEN, pread(self->fd, back, LEN, 8192));
	EXPECT_EQ(-1, acall_check(back, LEN, 8192, 44));

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 8192, LEN, 45));
	ASSERT_EQ(0, fsync(self->fd));
	memset(back, 0, LEN);
	acall_prep_read(&sqe, dfd, back, LEN, 8192, 0);
	ASSERT_EQ(LEN, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(back, LEN, 8192, 45));

	ASSERT_EQ(0, ftruncate(self->fd, 8192 + 4096));
	acall_prep_read(&sqe, dfd, back, LEN, 8192, 0);
	EXPECT_EQ(4096, acall_run1(&self->ring, &sqe));
	free(buf);
	free(back);
	close(dfd);
}

/* No bytes asked for: 0, as pread and pwrite of 0 bytes, at any user address. */
TEST_F(read_write, zero_length)
{
	struct acall_sqe sqe;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 100, 46));
	acall_prep_read(&sqe, self->fd, NULL, 0, 0, 0);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
	acall_prep_write(&sqe, self->fd, NULL, 0, 0, 0);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(100, lseek(self->fd, 0, SEEK_END));
}

/*
 * A length above MAX_RW_COUNT is cut to it before the buffer is checked,
 * as IORING_OP_READ does: from a page 3 GiB below the top of the 47-bit
 * user address space, the largest length runs past the top (read() says
 * EFAULT) and the clamped one does not, so the read moves what the file
 * has.
 */
TEST_F(read_write, huge_length_is_clamped)
{
	void *want = (void *)(0x7ffffffff000UL - (3UL << 30));
	struct acall_sqe sqe;
	void *p;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 100, 47));
	p = mmap(want, 4096, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (p == MAP_FAILED || p != want) {
		if (p != MAP_FAILED)
			munmap(p, 4096);
		SKIP(return, "no page at %p for the test", want);
	}
	errno = 0;
	if (pread(self->fd, p, ~0U, 0) != -1 || errno != EFAULT) {
		munmap(p, 4096);
		SKIP(return, "the address space is larger: nothing to tell apart");
	}
	acall_prep_read(&sqe, self->fd, p, ~0U, 0, 0);
	EXPECT_EQ(100, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(p, 100, 0, 47));
	munmap(p, 4096);
}

/* A buffer that is not accessible memory: EFAULT, and nothing written. */
TEST_F(read_write, inaccessible_buffer_is_efault)
{
	void *none = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct acall_sqe sqe;

	ASSERT_NE(MAP_FAILED, none);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 4096, 48));
	acall_prep_read(&sqe, self->fd, none, 4096, 0, 0);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	acall_prep_write(&sqe, self->fd, none, 4096, 4096, 0);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	/*
	 * A kernel address fails the range check when the request is taken:
	 * even a read at end of file, which would move nothing, says EFAULT.
	 */
	acall_prep_read(&sqe, self->fd, (void *)0xffff888000000000ul, 4096, 0, 0);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	acall_prep_read(&sqe, self->fd, (void *)0xffff888000000000ul, 4096,
			8192, 0);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	acall_prep_write(&sqe, self->fd, (void *)0xffff888000000000ul, 4096,
			 4096, 0);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(4096, lseek(self->fd, 0, SEEK_END));
	munmap(none, 4096);
}

/* The arguments refused, each with its errno. */
TEST_F(read_write, bad_arguments)
{
	unsigned char buf[64];
	struct acall_sqe sqe;
	int rfd, wfd;

	rfd = acall_reopen(self->fd, O_RDONLY);
	wfd = acall_reopen(self->fd, O_WRONLY);
	ASSERT_LE(0, rfd);
	ASSERT_LE(0, wfd);

	acall_prep_read(&sqe, wfd, buf, sizeof(buf), 0, 0);
	EXPECT_EQ(-EBADF, acall_run1(&self->ring, &sqe));
	acall_prep_write(&sqe, rfd, buf, sizeof(buf), 0, 0);
	EXPECT_EQ(-EBADF, acall_run1(&self->ring, &sqe));
	/* len64 is FALLOCATE's and NOP's: must be zero here. */
	acall_prep_read(&sqe, self->fd, buf, sizeof(buf), 0, 0);
	sqe.len64 = 1;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_write(&sqe, self->fd, buf, sizeof(buf), (__u64)-1, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_read(&sqe, self->fd, buf, sizeof(buf), 0, 1 << 30);
	EXPECT_EQ(-EOPNOTSUPP, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(0, lseek(self->fd, 0, SEEK_END));
	close(rfd);
	close(wfd);
}

/*
 * An SQE wrong in two ways gets the errno preadv2() and pwritev2() give
 * the same arguments: an unknown flag is the last thing they check.
 */
TEST_F(read_write, two_faults_answered_as_preadv2_answers)
{
	struct iovec kiov = { (void *)0xffff888000000000ul, 64 };
	unsigned char buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	struct acall_sqe sqe;
	int rfd;

	rfd = acall_reopen(self->fd, O_RDONLY);
	ASSERT_LE(0, rfd);
	/* A write on a file open for reading. */
	acall_prep_pwritev(&sqe, rfd, &iov, 1, 0, 1 << 30);
	EXPECT_EQ(-EBADF, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, pwritev2(rfd, &iov, 1, 0, 1 << 30));
	EXPECT_EQ(EBADF, errno);
	/* A buffer that is not the caller's. */
	acall_prep_preadv(&sqe, self->fd, &kiov, 1, 0, 1 << 30);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, preadv2(self->fd, &kiov, 1, 0, 1 << 30));
	EXPECT_EQ(EFAULT, errno);
	close(rfd);
}

/* The module says it has both operations. */
TEST(probe_announces_them)
{
	struct acall_probe probe;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_probe(-1, &probe));
	EXPECT_TRUE(acall_opcode_supported(&probe, ACALL_OP_READ));
	EXPECT_TRUE(acall_opcode_supported(&probe, ACALL_OP_WRITE));
}

TEST_HARNESS_MAIN

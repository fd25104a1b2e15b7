// SPDX-License-Identifier: GPL-2.0
/*
 * FSYNC, FDATASYNC and FALLOCATE: their effects are looked at afterwards,
 * not only their results. A sync must have put the data on the device (read
 * back from the raw device where FIEMAP says it is); fallocate must have
 * changed size, blocks and contents as fallocate(2) would.
 */
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fiemap.h>
#include <linux/fs.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

FIXTURE(ops) {
	struct acall_ring ring;
	const char *dir;
	int fd;
};

FIXTURE_VARIANT(ops) {
	const char *env;	/* fixture variable naming the directory */
	const char *dir;	/* or a fixed directory */
};

FIXTURE_VARIANT_ADD(ops, tmpfs) { .dir = "/tmp" };
FIXTURE_VARIANT_ADD(ops, ext4) { .env = "ACALL_TEST_EXT4" };

FIXTURE_SETUP(ops)
{
	ACALL_FILE_FIXTURE_SETUP(16);
}

FIXTURE_TEARDOWN(ops)
{
	ACALL_FILE_FIXTURE_TEARDOWN();
}

static int run_fallocate(struct acall_ring *ring, int fd, int mode,
			 __u64 off, __u64 len)
{
	struct acall_sqe sqe;

	acall_prep_fallocate(&sqe, fd, mode, off, len);
	return acall_run1(ring, &sqe);
}

/* The first extent of fd, without FIEMAP_FLAG_SYNC (that would flush). */
static int first_extent(int fd, struct fiemap_extent *ext)
{
	struct {
		struct fiemap map;
		struct fiemap_extent ext[1];
	} fm;

	memset(&fm, 0, sizeof(fm));
	fm.map.fm_length = FIEMAP_MAX_OFFSET;
	fm.map.fm_extent_count = 1;
	if (ioctl(fd, FS_IOC_FIEMAP, &fm.map))
		return -errno;
	if (fm.map.fm_mapped_extents != 1)
		return -ENODATA;
	*ext = fm.ext[0];
	return 0;
}

/*
 * ext4 allocates a buffered write's blocks only when it writes them back:
 * before the sync FIEMAP reports the extent delayed, after it the extent
 * has a place on the device, and the data is there.
 */
static void sync_puts_data_on_device(struct __test_metadata *_metadata,
				     FIXTURE_DATA(ops) *self, __u8 op)
{
	const size_t len = 64 * 1024;
	struct fiemap_extent ext;
	struct acall_sqe sqe;
	unsigned char *buf = NULL;
	const char *dev;
	int dfd;

	if (!getenv("ACALL_TEST_EXT4") || strcmp(self->dir, getenv("ACALL_TEST_EXT4")))
		SKIP(return, "needs ext4's delayed allocation to see the effect");
	ACALL_FIXTURE(dev, "ACALL_TEST_EXT4_DEV");
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, len, op));
	ASSERT_EQ(0, first_extent(self->fd, &ext));
	ASSERT_TRUE(ext.fe_flags & FIEMAP_EXTENT_DELALLOC)
		TH_LOG("the write was allocated before the sync: flags 0x%x", ext.fe_flags);

	acall_prep_rw(&sqe, op, self->fd, NULL, 0, 0, 0);
	ASSERT_EQ(0, acall_run1(&self->ring, &sqe));

	ASSERT_EQ(0, first_extent(self->fd, &ext));
	EXPECT_FALSE(ext.fe_flags & (FIEMAP_EXTENT_DELALLOC | FIEMAP_EXTENT_UNKNOWN))
		TH_LOG("still not written back: flags 0x%x", ext.fe_flags);
	ASSERT_LE(len, ext.fe_length);

	dfd = open(dev, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, len));
	ASSERT_EQ(len, pread(dfd, buf, len, ext.fe_physical));
	EXPECT_EQ(-1, acall_check(buf, len, 0, op))
		TH_LOG("the device does not hold the data after the sync");
	free(buf);
	close(dfd);
}

TEST_F(ops, fsync_puts_data_on_device)
{
	sync_puts_data_on_device(_metadata, self, ACALL_OP_FSYNC);
}

TEST_F(ops, fdatasync_puts_data_on_device)
{
	sync_puts_data_on_device(_metadata, self, ACALL_OP_FDATASYNC);
}

/* On any file, with or without dirty data: the result is 0. */
TEST_F(ops, sync_ops_return_zero)
{
	struct acall_sqe sqe;

	acall_prep_fsync(&sqe, self->fd);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 5000, 1));
	acall_prep_fdatasync(&sqe, self->fd);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
	acall_prep_fsync(&sqe, self->fd);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
}

TEST_F(ops, fallocate_extends_size_and_reads_zeros)
{
	const size_t len = 1 << 20;
	unsigned char *buf = malloc(len);
	struct stat st;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, run_fallocate(&self->ring, self->fd, 0, 0, len));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(len, st.st_size);
	EXPECT_LE(len, st.st_blocks * 512);
	memset(buf, 0xff, len);
	ASSERT_EQ(len, pread(self->fd, buf, len, 0));
	EXPECT_EQ(-1, acall_check_zero(buf, len));
	free(buf);
}

TEST_F(ops, fallocate_keep_size_allocates_without_growing)
{
	struct stat st;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 100, 2));
	ASSERT_EQ(0, run_fallocate(&self->ring, self->fd, FALLOC_FL_KEEP_SIZE,
				   0, 1 << 20));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(100, st.st_size);
	EXPECT_LE(1 << 20, st.st_blocks * 512);
}

TEST_F(ops, punch_hole_reads_zeros_and_frees_blocks)
{
	const size_t len = 256 * 1024;
	unsigned char *buf = malloc(len);
	struct stat before, after;

	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, len, 3));
	ASSERT_EQ(0, fsync(self->fd));
	ASSERT_EQ(0, fstat(self->fd, &before));

	/* A block-aligned hole: zeros, and its blocks given back. */
	ASSERT_EQ(0, run_fallocate(&self->ring, self->fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   64 * 1024, 64 * 1024));
	ASSERT_EQ(0, fstat(self->fd, &after));
	EXPECT_EQ(len, after.st_size);
	EXPECT_GE(before.st_blocks - 128, after.st_blocks);
	/* An unaligned one: zeros exactly there. */
	ASSERT_EQ(0, run_fallocate(&self->ring, self->fd,
				   FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				   1000, 4000));

	ASSERT_EQ(len, pread(self->fd, buf, len, 0));
	EXPECT_EQ(-1, acall_check(buf, 1000, 0, 3));
	EXPECT_EQ(-1, acall_check_zero(buf + 1000, 4000));
	EXPECT_EQ(-1, acall_check(buf + 5000, 64 * 1024 - 5000, 5000, 3));
	EXPECT_EQ(-1, acall_check_zero(buf + 64 * 1024, 64 * 1024));
	EXPECT_EQ(-1, acall_check(buf + 128 * 1024, 128 * 1024, 128 * 1024, 3));
	free(buf);
}

/* A mode the filesystem may lack: the result is what fallocate(2) says. */
TEST_F(ops, zero_range_zeroes_in_place)
{
	const size_t len = 64 * 1024;
	unsigned char *buf = malloc(len);
	int twin, expect;
	struct stat st;

	ASSERT_NE(NULL, buf);
	twin = acall_tmpfile(self->dir, O_RDWR);
	ASSERT_LE(0, twin);
	ASSERT_EQ(0, acall_pwrite_pattern(twin, 0, 100, 4));
	expect = fallocate(twin, FALLOC_FL_ZERO_RANGE, 10, 20) ? -errno : 0;
	close(twin);

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, len, 4));
	ASSERT_EQ(expect, run_fallocate(&self->ring, self->fd,
					FALLOC_FL_ZERO_RANGE, 4096 + 10, 3 * 4096));
	if (expect)
		SKIP(return, "%s: no FALLOC_FL_ZERO_RANGE (%d), acall agreed", self->dir, expect);

	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(len, st.st_size);
	ASSERT_EQ(len, pread(self->fd, buf, len, 0));
	EXPECT_EQ(-1, acall_check(buf, 4096 + 10, 0, 4));
	EXPECT_EQ(-1, acall_check_zero(buf + 4096 + 10, 3 * 4096));
	EXPECT_EQ(-1, acall_check(buf + 4 * 4096 + 10, len - 4 * 4096 - 10,
				  4 * 4096 + 10, 4));

	/* Past the end without KEEP_SIZE: the file grows. */
	ASSERT_EQ(0, run_fallocate(&self->ring, self->fd, FALLOC_FL_ZERO_RANGE,
				   len, 8192));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(len + 8192, st.st_size);
	/* With KEEP_SIZE: it does not. */
	ASSERT_EQ(0, run_fallocate(&self->ring, self->fd,
				   FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
				   len + 8192, 8192));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(len + 8192, st.st_size);
	free(buf);
}

/* Errors of fallocate(2) itself come back as they are. */
TEST_F(ops, fallocate_errors_are_the_calls_own)
{
	/* Zero length. */
	EXPECT_EQ(-EINVAL, run_fallocate(&self->ring, self->fd, 0, 0, 0));
	/* PUNCH_HOLE without KEEP_SIZE. */
	EXPECT_EQ(-EOPNOTSUPP, run_fallocate(&self->ring, self->fd,
					     FALLOC_FL_PUNCH_HOLE, 0, 4096));
	/* Beyond the largest file size. */
	EXPECT_EQ(-EFBIG, run_fallocate(&self->ring, self->fd, 0,
					(__u64)LLONG_MAX - 4095, 8192));
}

TEST_HARNESS_MAIN

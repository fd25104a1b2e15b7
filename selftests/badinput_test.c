// SPDX-License-Identifier: GPL-2.0
/*
 * Bad input, answered exactly as Documentation/acall.rst says: an error of
 * one request is that request's completion (the submission goes on), an
 * error of the call is the ioctl's errno. Files acall does not serve are
 * refused, a full ring takes part of a batch and then nothing, and nothing
 * accepted is ever dropped.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <linux/falloc.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

FIXTURE(req) {
	struct acall_ring ring;
	char buf[8192];
	struct iovec iov;
	int fd;		/* a tmpfs file holding 8192 bytes of pattern 1 */
	unsigned int ring_queues;
};

FIXTURE_SETUP(req)
{
	struct acall_options opts = { .entries = 32, .nr_queues = 2 };

	self->ring_queues = opts.nr_queues;
	self->fd = -1;
	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	self->iov = (struct iovec){ self->buf, sizeof(self->buf) };
	self->fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 8192, 1));
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

FIXTURE_TEARDOWN(req)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
}

static int read_res(FIXTURE_DATA(req) *self, int fd)
{
	struct acall_sqe sqe;

	acall_prep_preadv(&sqe, fd, &self->iov, 1, 0, 0);
	return acall_run1(&self->ring, &sqe);
}

static int write_res(FIXTURE_DATA(req) *self, int fd)
{
	struct acall_sqe sqe;

	acall_prep_pwritev(&sqe, fd, &self->iov, 1, 0, 0);
	return acall_run1(&self->ring, &sqe);
}

static int op_res(FIXTURE_DATA(req) *self, __u8 op, int fd)
{
	struct acall_sqe sqe;

	acall_prep_rw(&sqe, op, fd, NULL, 0, 0, 0);
	return acall_run1(&self->ring, &sqe);
}

TEST_F(req, bad_fd_is_ebadf)
{
	EXPECT_EQ(-EBADF, read_res(self, 99999));
	EXPECT_EQ(-EBADF, read_res(self, -1));
	EXPECT_EQ(-EBADF, write_res(self, 99999));
	EXPECT_EQ(-EBADF, op_res(self, ACALL_OP_FSYNC, 99999));
	EXPECT_EQ(-EBADF, op_res(self, ACALL_OP_FDATASYNC, -5));
}

TEST_F(req, wrong_access_mode_is_ebadf)
{
	struct acall_sqe sqe;
	int rd = acall_reopen(self->fd, O_RDONLY);
	int wr = acall_reopen(self->fd, O_WRONLY);

	ASSERT_LE(0, rd);
	ASSERT_LE(0, wr);
	EXPECT_EQ(-EBADF, write_res(self, rd));
	EXPECT_EQ(-EBADF, read_res(self, wr));
	acall_prep_fallocate(&sqe, rd, 0, 0, 4096);
	EXPECT_EQ(-EBADF, acall_run1(&self->ring, &sqe));
	/* The file is untouched and the right modes work. */
	EXPECT_EQ(8192, read_res(self, rd));
	EXPECT_EQ(-1, acall_check(self->buf, 8192, 0, 1));
	close(rd);
	close(wr);
}

/*
 * The fd is replaced by another file right after the submission: the
 * request still acts on the file it named, which it holds.
 */
TEST_F_TIMEOUT(req, fd_closed_after_submit_still_completes, 60)
{
	const char *slow = getenv("ACALL_TEST_SLOW_BDEV");
	struct acall_cqe *cqe;
	struct acall_sqe sqe;
	unsigned char *buf = NULL;
	int fd, other, flags = O_RDONLY;

	/* On the slow device the read is surely still in flight at the close. */
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 8192));
	if (slow && *slow) {
		int w = open(slow, O_RDWR);

		ASSERT_LE(0, w);
		ASSERT_EQ(0, acall_pwrite_pattern(w, 5 << 20, 8192, 9));
		ASSERT_EQ(0, fsync(w));
		close(w);
		fd = open(slow, O_RDONLY | O_DIRECT);
		flags |= O_DIRECT;
	} else {
		ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 5 << 20, 8192, 9));
		fd = acall_reopen(self->fd, flags);
	}
	ASSERT_LE(0, fd);
	other = acall_tmpfile("/tmp", O_RDWR);	/* empty */
	ASSERT_LE(0, other);

	self->iov = (struct iovec){ buf, 8192 };
	acall_prep_preadv(&sqe, fd, &self->iov, 1, 5 << 20, 0);
	acall_sqe_set_data(&sqe, 42);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	ASSERT_EQ(fd, dup2(other, fd));		/* closes the file submitted */
	ASSERT_EQ(0, close(other));

	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(42, cqe->user_data);
	EXPECT_EQ(8192, cqe->res);
	acall_cq_advance(&self->ring, 1);
	EXPECT_EQ(-1, acall_check(buf, 8192, 5 << 20, 9));
	close(fd);
	free(buf);
}

/*
 * Every kind of file acall does not serve: -EOPNOTSUPP for any op on it,
 * and acall_fd_supported() says so beforehand.
 */
static void check_refused(struct __test_metadata *_metadata,
			  FIXTURE_DATA(req) *self, int fd, const char *what,
			  bool writable)
{
	struct acall_probe probe;

	ASSERT_LE(0, fd) TH_LOG("cannot open %s", what);
	ASSERT_EQ(0, acall_probe(self->ring.fd, &probe));
	EXPECT_EQ(0, acall_fd_supported(&probe, fd)) TH_LOG("%s", what);
	EXPECT_EQ(-EOPNOTSUPP, read_res(self, fd)) TH_LOG("%s: PREADV", what);
	if (writable)
		EXPECT_EQ(-EOPNOTSUPP, write_res(self, fd)) TH_LOG("%s: PWRITEV", what);
	EXPECT_EQ(-EOPNOTSUPP, op_res(self, ACALL_OP_FSYNC, fd)) TH_LOG("%s: FSYNC", what);
	EXPECT_EQ(-EOPNOTSUPP, op_res(self, ACALL_OP_FDATASYNC, fd)) TH_LOG("%s: FDATASYNC", what);
}

TEST_F(req, unsupported_files_are_eopnotsupp)
{
	int p[2], s[2], pty, efd;

	ASSERT_EQ(0, pipe(p));
	check_refused(_metadata, self, p[0], "pipe (read end)", false);
	check_refused(_metadata, self, p[1], "pipe (write end)", true);
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, s));
	check_refused(_metadata, self, s[0], "unix socket", true);
	pty = posix_openpt(O_RDWR | O_NOCTTY);
	check_refused(_metadata, self, pty, "pty master", true);
	ASSERT_EQ(0, grantpt(pty));
	ASSERT_EQ(0, unlockpt(pty));
	check_refused(_metadata, self, open(ptsname(pty), O_RDWR | O_NOCTTY), "pty slave", true);
	check_refused(_metadata, self, open("/proc/self/status", O_RDONLY), "proc file", false);
	check_refused(_metadata, self, open("/proc/sys/kernel/hostname", O_RDWR), "proc sysctl", true);
	check_refused(_metadata, self, open("/sys/kernel/uevent_seqnum", O_RDONLY), "sysfs file", false);
	check_refused(_metadata, self, open("/dev/null", O_RDWR), "character device", true);
	check_refused(_metadata, self, open("/dev/zero", O_RDONLY), "/dev/zero", false);
	efd = eventfd(0, 0);
	check_refused(_metadata, self, efd, "eventfd", true);
	check_refused(_metadata, self, open("/tmp", O_RDONLY | O_DIRECTORY), "directory", false);
	/* The device itself. */
	check_refused(_metadata, self, self->ring.fd, "/dev/acall", true);
}

/*
 * Regular files are served only on the filesystems the probe lists: ramfs
 * is a real enough filesystem, but not on the list.
 */
TEST_F(req, files_of_unlisted_filesystems_are_eopnotsupp)
{
	char dir[] = "/tmp/acall-ramfs.XXXXXX", path[64];
	struct acall_probe probe;
	int fd;

	ASSERT_EQ(0, acall_probe(self->ring.fd, &probe));
	EXPECT_EQ(ACALL_FS_EXT4 | ACALL_FS_XFS | ACALL_FS_BTRFS |
		  ACALL_FS_F2FS | ACALL_FS_TMPFS, probe.fs_types);
	/* A tmpfs file is served, and said to be. */
	EXPECT_EQ(1, acall_fd_supported(&probe, self->fd));
	EXPECT_EQ(8192, read_res(self, self->fd));

	ASSERT_NE(NULL, mkdtemp(dir));
	ASSERT_EQ(0, mount("acall-test", dir, "ramfs", 0, NULL));
	snprintf(path, sizeof(path), "%s/f", dir);
	fd = open(path, O_RDWR | O_CREAT, 0600);
	ASSERT_LE(0, fd);
	ASSERT_EQ(8192, pwrite(fd, self->buf, 8192, 0));
	check_refused(_metadata, self, fd, "ramfs file", true);
	/* A module that predates fs_types: its requests tell. */
	probe.fs_types = 0;
	EXPECT_EQ(1, acall_fd_supported(&probe, fd));
	/* A later one, with a filesystem this library cannot name: so may it. */
	probe.fs_types = ACALL_FS_EXT4 | (1u << 31);
	EXPECT_EQ(1, acall_fd_supported(&probe, fd));
	probe.fs_types = ACALL_FS_EXT4;
	EXPECT_EQ(0, acall_fd_supported(&probe, fd));
	/* One that serves no regular file at all. */
	probe.fd_types &= ~ACALL_FD_REGULAR;
	EXPECT_EQ(0, acall_fd_supported(&probe, self->fd));
	close(fd);
	EXPECT_EQ(-EBADF, acall_fd_supported(&probe, fd));
	/* An O_PATH fd of a served file: the module answers -EBADF. */
	ASSERT_EQ(0, acall_probe(self->ring.fd, &probe));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	fd = open(path, O_PATH | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(0, acall_fd_supported(&probe, fd));
	EXPECT_EQ(-EBADF, read_res(self, fd));
	close(fd);
	umount2(dir, MNT_DETACH);
	rmdir(dir);
}

TEST_F(req, bad_iovec_pointer_is_efault)
{
	struct acall_sqe sqe;
	struct iovec iov;
	void *none = mmap(NULL, 8192, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_NE(MAP_FAILED, none);
	/* The iovec array itself. */
	acall_prep_preadv(&sqe, self->fd, none, 1, 0, 0);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	acall_prep_pwritev(&sqe, self->fd, (void *)8, 1, 0, 0);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	/* A buffer it points to. */
	iov = (struct iovec){ none, 4096 };
	acall_prep_preadv(&sqe, self->fd, &iov, 1, 0, 0);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, 0, 0);
	EXPECT_EQ(-EFAULT, acall_run1(&self->ring, &sqe));
	/* The file was not changed by the failed write. */
	EXPECT_EQ(8192, read_res(self, self->fd));
	EXPECT_EQ(-1, acall_check(self->buf, 8192, 0, 1));
	munmap(none, 8192);
}

/*
 * A length that is no ssize_t, in one iovec (the module's own path) or
 * among several (import_iovec()'s): EINVAL, as from preadv() and pwritev(),
 * and nothing moves.
 */
TEST_F(req, iovec_length_past_ssize_max_is_einval)
{
	struct iovec iov[2] = {
		{ self->buf, (size_t)SSIZE_MAX + 1 },
		{ self->buf, 1 },
	};
	struct acall_sqe sqe;
	unsigned int nr;

	for (nr = 1; nr <= 2; nr++) {
		acall_prep_preadv(&sqe, self->fd, iov, nr, 0, 0);
		EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe)) TH_LOG("%u iovecs", nr);
		acall_prep_pwritev(&sqe, self->fd, iov, nr, 0, 0);
		EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe)) TH_LOG("%u iovecs", nr);
	}
	/* The file was not changed by the failed writes. */
	EXPECT_EQ(8192, read_res(self, self->fd));
	EXPECT_EQ(-1, acall_check(self->buf, 8192, 0, 1));
}

TEST_F(req, iovec_count_out_of_range_is_einval)
{
	static struct iovec many[IOV_MAX + 1];
	struct acall_sqe sqe;
	unsigned int i;

	for (i = 0; i <= IOV_MAX; i++)
		many[i] = (struct iovec){ self->buf, 1 };
	acall_prep_preadv(&sqe, self->fd, many, 0, 0, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_pwritev(&sqe, self->fd, many, 0, 0, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_preadv(&sqe, self->fd, many, IOV_MAX + 1, 0, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_pwritev(&sqe, self->fd, many, IOV_MAX + 1, 0, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_preadv(&sqe, self->fd, many, UINT_MAX, 0, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	/* IOV_MAX itself is fine. */
	acall_prep_preadv(&sqe, self->fd, many, IOV_MAX, 0, 0);
	EXPECT_EQ(IOV_MAX, acall_run1(&self->ring, &sqe));
}

TEST_F(req, negative_offset_is_einval)
{
	struct acall_sqe sqe;

	acall_prep_preadv(&sqe, self->fd, &self->iov, 1, (__u64)-4096, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_pwritev(&sqe, self->fd, &self->iov, 1, (__u64)LLONG_MIN, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_fallocate(&sqe, self->fd, 0, (__u64)-1, 4096);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
}

TEST_F(req, unknown_op_is_einval)
{
	struct acall_sqe sqe;

	acall_prep_rw(&sqe, ACALL_OP_LAST, self->fd, NULL, 0, 0, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_rw(&sqe, 0xff, self->fd, NULL, 0, 0, 0);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
}

TEST_F(req, unknown_or_reserved_flags_are_einval)
{
	struct acall_sqe sqe;
	unsigned int bit;

	/* Every sqe flag but the two ordering tags. */
	for (bit = 2; bit < 8; bit++) {
		acall_prep_preadv(&sqe, self->fd, &self->iov, 1, 0, 0);
		sqe.flags = 1u << bit;
		EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe)) TH_LOG("flag bit %u", bit);
	}
	/* A queue the context was not set up with. */
	acall_prep_nop(&sqe, 0);
	sqe.queue = self->ring_queues;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	/* An unknown RWF_* flag is the call's own -EOPNOTSUPP. */
	acall_prep_preadv(&sqe, self->fd, &self->iov, 1, 0, 0x40000000);
	EXPECT_EQ(-EOPNOTSUPP, acall_run1(&self->ring, &sqe));
}

TEST_F(req, nonzero_reserved_or_unused_fields_are_einval)
{
	struct acall_sqe sqe;

	acall_prep_preadv(&sqe, self->fd, &self->iov, 1, 0, 0);
	sqe.resv[0] = 1;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_preadv(&sqe, self->fd, &self->iov, 1, 0, 0);
	sqe.resv[1] = 1ULL << 63;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_nop(&sqe, 0);
	sqe.resv[0] = 1;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	/* Fields the op does not use. */
	acall_prep_preadv(&sqe, self->fd, &self->iov, 1, 0, 0);
	sqe.len64 = 1;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_fsync(&sqe, self->fd);
	sqe.addr = (__u64)(uintptr_t)&self->iov;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_fdatasync(&sqe, self->fd);
	sqe.off = 4096;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_fallocate(&sqe, self->fd, 0, 0, 4096);
	sqe.len = 1;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	acall_prep_nop(&sqe, 0);
	sqe.fd = self->fd;
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
	/* A NOP delay above one second. */
	acall_prep_nop(&sqe, 1000ULL * 1000 * 1000 + 1);
	EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe));
}

/* O_DIRECT transfers not aligned as the file requires: what preadv says. */
static void check_misaligned(struct __test_metadata *_metadata,
			     FIXTURE_DATA(req) *self, int dfd)
{
	struct { __u64 off; size_t len; size_t shift; } cases[] = {
		{ 1, 4096, 0 },		/* offset */
		{ 0, 100, 0 },		/* length */
		{ 0, 4096, 1 },		/* buffer address */
	};
	unsigned char *buf = NULL;
	unsigned int i;

	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, 8192));
	memset(buf, 0, 8192);
	for (i = 0; i < 3; i++) {
		struct iovec iov = { buf + cases[i].shift, cases[i].len };
		struct acall_sqe sqe;

		ASSERT_EQ(-1, preadv(dfd, &iov, 1, cases[i].off)) TH_LOG("case %u", i);
		ASSERT_EQ(EINVAL, errno);
		acall_prep_preadv(&sqe, dfd, &iov, 1, cases[i].off, 0);
		EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe)) TH_LOG("read case %u", i);
		acall_prep_pwritev(&sqe, dfd, &iov, 1, cases[i].off, 0);
		EXPECT_EQ(-EINVAL, acall_run1(&self->ring, &sqe)) TH_LOG("write case %u", i);
	}
	free(buf);
}

TEST_F(req, misaligned_direct_io_is_einval)
{
	const char *dir, *dev;
	int fd, dfd;

	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, 16384, 2));
	ASSERT_EQ(0, fsync(fd));
	dfd = acall_reopen(fd, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);
	check_misaligned(_metadata, self, dfd);
	close(dfd);
	close(fd);

	dev = getenv("ACALL_TEST_BDEV");
	if (dev && *dev) {
		dfd = open(dev, O_RDWR | O_DIRECT);
		ASSERT_LE(0, dfd);
		check_misaligned(_metadata, self, dfd);
		close(dfd);
	}
}

/* One submission, good and bad requests mixed: each its own completion. */
TEST_F(req, errors_are_completions_and_the_batch_goes_on)
{
	struct acall_sqe sqes[5];
	struct acall_cqe cqes[5];
	int expect[5] = { -EBADF, 0, -EINVAL, 8192, -EFAULT };
	unsigned int i;

	acall_prep_preadv(&sqes[0], 99999, &self->iov, 1, 0, 0);
	acall_prep_nop(&sqes[1], 0);
	acall_prep_rw(&sqes[2], 0xee, self->fd, NULL, 0, 0, 0);
	acall_prep_preadv(&sqes[3], self->fd, &self->iov, 1, 0, 0);
	acall_prep_preadv(&sqes[4], self->fd, (void *)8, 1, 0, 0);
	for (i = 0; i < 5; i++)
		acall_sqe_set_data(&sqes[i], 100 + i);
	ASSERT_EQ(5, acall_submit(&self->ring, sqes, 5));
	for (i = 0; i < 5; i++) {
		struct acall_cqe *cqe;

		ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
		ASSERT_LE(100, cqe->user_data);
		ASSERT_GT(105, cqe->user_data);
		cqes[cqe->user_data - 100] = *cqe;
		acall_cq_advance(&self->ring, 1);
	}
	for (i = 0; i < 5; i++)
		EXPECT_EQ(expect[i], cqes[i].res) TH_LOG("request %u", i);
	EXPECT_EQ(-1, acall_check(self->buf, 8192, 0, 1));
}

/* ---- errors of the call itself, through the raw ioctls -------------------- */

TEST(setup_bad_params_are_einval)
{
	struct acall_params p;
	struct acall_probe probe;
	__u32 bad[] = { 0, 3, 6, 100, 1000 };
	unsigned int i;
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, ACALL_IOC_PROBE, &probe));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&p, 0, sizeof(p));
		p.entries = bad[i];
		EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SETUP, &p)) TH_LOG("entries %u", bad[i]);
		EXPECT_EQ(EINVAL, errno);
	}
	memset(&p, 0, sizeof(p));
	p.entries = probe.max_entries * 2;
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SETUP, &p));
	EXPECT_EQ(EINVAL, errno);
	memset(&p, 0, sizeof(p));
	p.entries = 8;
	p.nr_queues = probe.max_queues + 1;
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SETUP, &p));
	EXPECT_EQ(EINVAL, errno);
	memset(&p, 0, sizeof(p));
	p.entries = 8;
	p.flags = 1u << 31;	/* no such ACALL_SETUP_* flag */
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SETUP, &p));
	EXPECT_EQ(EINVAL, errno);
	memset(&p, 0, sizeof(p));
	p.entries = 8;
	p.resv[2] = 1;
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SETUP, &p));
	EXPECT_EQ(EINVAL, errno);
	memset(&p, 0, sizeof(p));
	p.entries = 8;
	p.resv1 = 1;
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SETUP, &p));
	EXPECT_EQ(EINVAL, errno);
	close(fd);

	/* libacall passes the same answer on. */
	{
		struct acall_options opts = { .entries = 24 };
		struct acall_ring ring;

		EXPECT_EQ(-EINVAL, acall_ring_init(&ring, &opts));
	}
}

TEST(before_setup_is_ebadfd_after_setup_twice_is_ebusy)
{
	struct acall_submit sub = { 0 };
	struct acall_wait w = { .min_complete = 1 };
	struct acall_stats st;
	struct acall_params p = { .entries = 8 };
	struct acall_raw raw;
	__s32 efd = -1;
	__u64 data = 1;
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SUBMIT, &sub));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_WAIT, &w));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_STATS, &st));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_EVENTFD, &efd));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_CANCEL, &data));
	EXPECT_EQ(EBADFD, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_EQ(EBADFD, errno);

	ASSERT_EQ(0, acall_raw_setup(&raw, fd, 8));
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SETUP, &p));
	EXPECT_EQ(EBUSY, errno);
	acall_raw_unmap(&raw);
	close(fd);
}

TEST(mmap_bad_offset_length_or_private_is_einval)
{
	struct acall_params p = { .entries = 8 };
	void *m;
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, ACALL_IOC_SETUP, &p));
	ASSERT_LT(0, p.ring_bytes);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, p.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 4096));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, p.ring_bytes + 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	if (p.ring_bytes > 4096) {
		EXPECT_EQ(MAP_FAILED, mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
		EXPECT_EQ(EINVAL, errno);
	}
	EXPECT_EQ(MAP_FAILED, mmap(NULL, p.ring_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
	EXPECT_EQ(EINVAL, errno);
	m = mmap(NULL, p.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, m);
	EXPECT_EQ(8, *(__u32 *)((char *)m + p.ring.ring_entries));
	EXPECT_EQ(7, *(__u32 *)((char *)m + p.ring.ring_mask));
	munmap(m, p.ring_bytes);
	close(fd);
}

TEST(submit_and_wait_bad_args)
{
	struct acall_sqe sqes[2];
	struct acall_submit sub;
	struct acall_wait w;
	struct acall_raw raw;
	struct acall_cqe cqe;
	char *page;
	__s32 efd;
	__u64 data = 12345;
	int fd, p[2], j, k;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_raw_setup(&raw, fd, 8));
	acall_prep_nop(&sqes[0], 0);
	acall_prep_nop(&sqes[1], 0);

	sub = (struct acall_submit){ .sqes = (__u64)(uintptr_t)sqes, .nr = 1, .flags = 1u << 31 };
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SUBMIT, &sub));
	EXPECT_EQ(EINVAL, errno);
	sub = (struct acall_submit){ .sqes = (__u64)(uintptr_t)sqes, .nr = 1, .resv = 1 };
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SUBMIT, &sub));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SUBMIT, NULL));
	EXPECT_EQ(EFAULT, errno);
	/* The first request unreadable: EFAULT. */
	EXPECT_EQ(-EFAULT, acall_raw_submit(fd, NULL, 1));
	/* The second one unreadable: the first is taken. */
	page = acall_page_before_hole();
	ASSERT_NE(MAP_FAILED, page);
	acall_prep_nop((struct acall_sqe *)(page + 4096) - 1, 0);
	((struct acall_sqe *)(page + 4096) - 1)->user_data = 77;
	EXPECT_EQ(1, acall_raw_submit(fd, (struct acall_sqe *)(page + 4096) - 1, 2));
	ASSERT_EQ(0, acall_raw_reap(&raw, &cqe));
	EXPECT_EQ(77, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	/*
	 * k readable ones before the unreadable: all k are taken, however
	 * the module groups its reads of them.
	 */
	for (k = 2; k <= 6; k++) {
		struct acall_sqe *first = (struct acall_sqe *)(page + 4096) - k;

		for (j = 0; j < k; j++) {
			acall_prep_nop(&first[j], 0);
			first[j].user_data = 100 + j;
		}
		EXPECT_EQ(k, acall_raw_submit(fd, first, k + 1)) TH_LOG("k %d", k);
		for (j = 0; j < k; j++) {
			ASSERT_EQ(0, acall_raw_reap(&raw, &cqe));
			EXPECT_EQ(100 + j, cqe.user_data);
		}
	}
	/* A request whose second half is unreadable: EFAULT, none taken. */
	memcpy(page + 4096 - sizeof(*sqes) / 2, &sqes[0], sizeof(*sqes) / 2);
	EXPECT_EQ(-EFAULT, acall_raw_submit(fd, (struct acall_sqe *)(page + 4096 -
						sizeof(*sqes) / 2), 1));
	/* Arguments whose last field is unreadable: EFAULT. */
	sub = (struct acall_submit){ .sqes = (__u64)(uintptr_t)sqes, .nr = 1 };
	memcpy(page + 4096 - 16, &sub, 16);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SUBMIT, page + 4096 - 16));
	EXPECT_EQ(EFAULT, errno);
	/* Requests and arguments at a kernel address: EFAULT. */
	EXPECT_EQ(-EFAULT, acall_raw_submit(fd, (void *)0xffff888000000000ul, 1));
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SUBMIT, (void *)0xffff888000000000ul));
	EXPECT_EQ(EFAULT, errno);
	/* A request at an address not aligned to its fields: read as any. */
	acall_prep_nop(&sqes[1], 0);
	sqes[1].user_data = 78;
	memcpy(page + 3, &sqes[1], sizeof(sqes[1]));
	EXPECT_EQ(1, acall_raw_submit(fd, (void *)(page + 3), 1));
	ASSERT_EQ(0, acall_raw_reap(&raw, &cqe));
	EXPECT_EQ(78, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	/* None of the refused ones left a completion behind. */
	EXPECT_EQ(-ETIME, acall_raw_wait(fd, 1, 0));
	munmap(page, 8192);

	w = (struct acall_wait){ .min_complete = 0, .timeout_ns = 0 };
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w = (struct acall_wait){ .min_complete = 9, .timeout_ns = 0 };
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w = (struct acall_wait){ .min_complete = 1, .flags = 1 };
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	w = (struct acall_wait){ .min_complete = 1, .resv = 1 };
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_WAIT, &w));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_WAIT, NULL));
	EXPECT_EQ(EFAULT, errno);

	/* Eventfd registration of something else. */
	ASSERT_EQ(0, pipe(p));
	efd = p[0];
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_EVENTFD, &efd));
	EXPECT_EQ(EINVAL, errno);
	efd = 99999;
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_EVENTFD, &efd));
	EXPECT_EQ(EBADF, errno);
	/* Cancel of nothing. */
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_CANCEL, &data));
	EXPECT_EQ(ENOENT, errno);
	acall_raw_unmap(&raw);
	close(fd);
}

/*
 * An 8-entry ring and 12 requests: 8 taken, then EBUSY, also while the 8
 * completions sit unconsumed; once they are consumed the rest are taken.
 * Every accepted request completes, none twice, none lost.
 */
TEST(full_ring_takes_part_then_ebusy_and_drops_nothing)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqes[12];
	unsigned int seen = 0, i;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	for (i = 0; i < 12; i++) {
		acall_prep_nop(&sqes[i], 200 * 1000 * 1000);
		acall_sqe_set_data(&sqes[i], i);
	}
	ASSERT_EQ(8, acall_submit(&ring, sqes, 12));
	EXPECT_EQ(-EBUSY, acall_submit(&ring, sqes + 8, 4));
	/* All 8 completed but not consumed: still no room. */
	ASSERT_EQ(8, acall_wait(&ring, 8, -1));
	EXPECT_EQ(-EBUSY, acall_submit(&ring, sqes + 8, 4));
	for (i = 0; i < 8; i++) {
		struct acall_cqe *cqe = acall_peek_cqe(&ring);

		ASSERT_NE(NULL, cqe);
		ASSERT_GT(8, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		EXPECT_FALSE(seen & (1u << cqe->user_data)) TH_LOG("completed twice");
		seen |= 1u << cqe->user_data;
		acall_cq_advance(&ring, 1);
	}
	EXPECT_EQ(NULL, acall_peek_cqe(&ring));
	ASSERT_EQ(4, acall_submit(&ring, sqes + 8, 4));
	for (i = 0; i < 4; i++) {
		struct acall_cqe *cqe;

		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		ASSERT_LE(8, cqe->user_data);
		ASSERT_GT(12, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		EXPECT_FALSE(seen & (1u << cqe->user_data)) TH_LOG("completed twice");
		seen |= 1u << cqe->user_data;
		acall_cq_advance(&ring, 1);
	}
	EXPECT_EQ(0xfff, seen);
	EXPECT_EQ(-ETIME, acall_wait(&ring, 1, 0));
	acall_ring_exit(&ring);
}

#define RACE_ENTRIES	16
#define RACE_THREADS	4
#define RACE_ROUNDS	200

struct race {
	struct acall_ring *ring;
	pthread_barrier_t start;
	atomic_uint taken;
	atomic_int bad;		/* a result other than 1..3 or EBUSY */
};

/*
 * Submit batches of 1 to 3 NOPs until the ring says EBUSY: some complete
 * inline, some a little later from a worker, so posts race the
 * reservations too. Each round's user_data says round and submitter.
 */
static void *race_submit(void *arg)
{
	struct race *r = arg;
	struct acall_sqe sqes[3];
	unsigned int round, i, n = 0;
	int ret;

	for (round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&r->start);
		for (;;) {
			unsigned int nr = 1 + n++ % 3;

			for (i = 0; i < nr; i++) {
				acall_prep_nop(&sqes[i], n % 2 ? 0 : 20 * 1000);
				acall_sqe_set_data(&sqes[i], round);
			}
			ret = acall_submit(r->ring, sqes, nr);
			if (ret == -EBUSY)
				break;
			if (ret < 1 || ret > (int)nr) {
				atomic_fetch_add(&r->bad, 1);
				break;
			}
			atomic_fetch_add(&r->taken, ret);
		}
		pthread_barrier_wait(&r->start);
	}
	return NULL;
}

/*
 * Threads racing to submit into one 16-entry ring that nobody reaps:
 * together they are given exactly 16 slots each round, never more (a
 * completion would have nowhere to go) and never fewer (EBUSY while there
 * was room). Every accepted request completes once, in its round.
 */
TEST(racing_submitters_fill_the_ring_exactly)
{
	struct acall_options opts = { .entries = RACE_ENTRIES };
	pthread_t threads[RACE_THREADS];
	struct acall_ring ring;
	struct race r = { .ring = &ring };
	unsigned int round, i, taken = 0;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	ASSERT_EQ(0, pthread_barrier_init(&r.start, NULL, RACE_THREADS + 1));
	for (i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, race_submit, &r));
	for (round = 0; round < RACE_ROUNDS; round++) {
		pthread_barrier_wait(&r.start);
		/* Every thread saw EBUSY: the ring is full. */
		pthread_barrier_wait(&r.start);
		ASSERT_EQ(RACE_ENTRIES, atomic_load(&r.taken) - taken)
			TH_LOG("round %u", round);
		taken = atomic_load(&r.taken);
		ASSERT_EQ(RACE_ENTRIES, acall_wait(&ring, RACE_ENTRIES, -1));
		for (i = 0; i < RACE_ENTRIES; i++) {
			struct acall_cqe *cqe = acall_peek_cqe(&ring);

			ASSERT_NE(NULL, cqe);
			EXPECT_EQ(round, cqe->user_data);
			EXPECT_EQ(0, cqe->res);
			acall_cq_advance(&ring, 1);
		}
		EXPECT_EQ(NULL, acall_peek_cqe(&ring));
	}
	for (i = 0; i < RACE_THREADS; i++)
		ASSERT_EQ(0, pthread_join(threads[i], NULL));
	EXPECT_EQ(0, atomic_load(&r.bad));
	pthread_barrier_destroy(&r.start);
	acall_ring_exit(&ring);
}

/*
 * One thread keeps the ring as full as its own count allows, reaping what
 * is there and submitting exactly the room left, while workers post most
 * completions: SUBMIT takes all of it every time. EBUSY only
 * when the ring is full, not when a completion is being posted or the
 * head moved while SUBMIT looked.
 */
TEST(ebusy_only_when_the_ring_is_full)
{
	struct acall_options opts = { .entries = RACE_ENTRIES };
	struct acall_sqe sqes[RACE_ENTRIES];
	unsigned int submitted = 0, reaped = 0, iter, room, i;
	struct acall_ring ring;
	struct acall_cqe *cqe;
	int ret;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	for (iter = 0; iter < 4000; iter++) {
		while ((cqe = acall_peek_cqe(&ring))) {
			ASSERT_GT(submitted, cqe->user_data);
			EXPECT_EQ(0, cqe->res);
			acall_cq_advance(&ring, 1);
			reaped++;
		}
		room = RACE_ENTRIES - (submitted - reaped);
		if (!room) {
			ASSERT_LE(1, acall_wait(&ring, 1, -1));
			continue;
		}
		for (i = 0; i < room; i++) {
			acall_prep_nop(&sqes[i], (submitted + i) % 3 ? 2000 : 0);
			acall_sqe_set_data(&sqes[i], submitted + i);
		}
		ret = acall_submit(&ring, sqes, room);
		ASSERT_EQ((int)room, ret)
			TH_LOG("iteration %u: %u free, %u in flight or unread",
			       iter, room, submitted - reaped);
		submitted += room;
	}
	acall_ring_exit(&ring);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_IOC_PUNTS: every request that goes to a worker is counted under the
 * one reason that sent it there, so the counters add up to
 * acall_stats.punted. One test per reason, each with its data read back;
 * the ioctl's errors; the library's names.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define LEN	(64u << 10)

FIXTURE(punts) {
	struct acall_ring ring;
	struct acall_stats stats0;
	struct acall_punts punts0;
	const char *dir;
	unsigned char *buf;
	int fd, dirfd;
	bool frozen;
};

FIXTURE_SETUP(punts)
{
	self->fd = -1;
	self->dirfd = -1;
	self->frozen = false;
	self->ring.fd = -1;
	self->buf = NULL;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_STATS | ACALL_FEAT_PUNTS);
	ACALL_FIXTURE(self->dir, "ACALL_TEST_EXT4");
	ASSERT_EQ(0, posix_memalign((void **)&self->buf, 4096, 4 * LEN));
	self->fd = acall_tmpfile(self->dir, O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(punts)
{
	if (self->frozen)
		ioctl(self->dirfd, FITHAW, 0);
	if (self->dirfd >= 0)
		close(self->dirfd);
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
}

static void ring_up(struct __test_metadata *_metadata,
		    FIXTURE_DATA(punts) *self, __u64 inline_bytes)
{
	struct acall_options opts = { .entries = 16,
				      .inline_bytes = inline_bytes };

	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
	ASSERT_EQ(0, acall_stats(&self->ring, &self->stats0));
	ASSERT_EQ(0, acall_punts(&self->ring, &self->punts0));
}

/*
 * Since ring_up(): want[r] punts for each reason r, and punted is their
 * sum (every punt counted once, under one reason).
 */
static void expect_punts(struct __test_metadata *_metadata,
			 FIXTURE_DATA(punts) *self,
			 const long long want[ACALL_PUNT_MAX])
{
	struct acall_stats stats;
	struct acall_punts punts;
	long long sum = 0, got;
	unsigned int r;

	ASSERT_EQ(0, acall_stats(&self->ring, &stats));
	ASSERT_EQ(0, acall_punts(&self->ring, &punts));
	for (r = 0; r < ACALL_PUNT_MAX; r++) {
		got = punts.reason[r] - self->punts0.reason[r];
		EXPECT_EQ(want[r], got) TH_LOG("reason %u (%s)", r,
					       acall_punt_name(r) ?: "?");
		sum += got;
	}
	EXPECT_EQ(ACALL_DELTA(self->stats0, stats, punted), sum);
}

/* Freeze the fixture's ext4; the teardown thaws it if a test cannot. */
static void freeze(struct __test_metadata *_metadata,
		   FIXTURE_DATA(punts) *self)
{
	self->dirfd = open(self->dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->dirfd);
	ASSERT_EQ(0, ioctl(self->dirfd, FIFREEZE, 0));
	self->frozen = true;
}

static void thaw(struct __test_metadata *_metadata, FIXTURE_DATA(punts) *self)
{
	ASSERT_EQ(0, ioctl(self->dirfd, FITHAW, 0));
	self->frozen = false;
}

static void fill_file(struct __test_metadata *_metadata, int fd, size_t len,
		      unsigned int seed)
{
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, len, seed));
	ASSERT_EQ(0, fsync(fd));
}

TEST_F(punts, fsync_is_a_blocking_op)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_BLOCKING_OP] = 1 };
	struct acall_sqe sqe;

	ring_up(_metadata, self, 0);
	acall_prep_fsync(&sqe, self->fd);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
	expect_punts(_metadata, self, want);
}

/* ext4 has no non-blocking buffered writes (FOP_BUFFER_WASYNC). */
TEST_F(punts, ext4_buffered_write_has_no_nowait_form)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_NO_NOWAIT] = 1 };
	struct iovec iov = { self->buf, LEN };
	struct acall_sqe sqe;

	ring_up(_metadata, self, 0);
	acall_fill(self->buf, LEN, 0, 3);
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, 0, 0);
	EXPECT_EQ((int)LEN, acall_run1(&self->ring, &sqe));
	expect_punts(_metadata, self, want);
	memset(self->buf, 0, LEN);
	ASSERT_EQ((ssize_t)LEN, pread(self->fd, self->buf, LEN, 0));
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 0, 3));
}

/* An append is done whole by a thread, whatever the filesystem. */
TEST_F(punts, append_must_block)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_MUST_BLOCK] = 1 };
	struct iovec iov = { self->buf, LEN };
	struct acall_sqe sqe;

	fill_file(_metadata, self->fd, LEN, 4);
	ring_up(_metadata, self, 0);
	acall_fill(self->buf, LEN, LEN, 4);
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, 0, RWF_APPEND);
	EXPECT_EQ((int)LEN, acall_run1(&self->ring, &sqe));
	expect_punts(_metadata, self, want);
	memset(self->buf, 0, 2 * LEN);
	ASSERT_EQ((ssize_t)(2 * LEN), pread(self->fd, self->buf, 2 * LEN, 0));
	EXPECT_EQ(-1, acall_check(self->buf, 2 * LEN, 0, 4));
}

TEST_F(punts, cold_read_is_not_cached)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_NOT_CACHED] = 1 };
	struct iovec iov = { self->buf, LEN };
	struct acall_sqe sqe;

	fill_file(_metadata, self->fd, LEN, 5);
	ASSERT_EQ(0, posix_fadvise(self->fd, 0, 0, POSIX_FADV_DONTNEED));
	ring_up(_metadata, self, 0);
	memset(self->buf, 0, LEN);
	acall_prep_preadv(&sqe, self->fd, &iov, 1, 0, 0);
	EXPECT_EQ((int)LEN, acall_run1(&self->ring, &sqe));
	expect_punts(_metadata, self, want);
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 0, 5));
}

/*
 * A bound of LEN: the first cached read is copied inline, the second
 * finds the bound used up; a read of 2 * LEN in a new call is copied in
 * part, and a worker does the rest for the same reason.
 */
TEST_F(punts, used_up_inline_bound)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_INLINE_BOUND] = 2 };
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];
	struct iovec iov[2];
	int i;

	ACALL_REQUIRE(ACALL_FEAT_INLINE_BOUND);
	fill_file(_metadata, self->fd, 2 * LEN, 6);
	ASSERT_EQ((ssize_t)(2 * LEN), pread(self->fd, self->buf, 2 * LEN, 0));
	ring_up(_metadata, self, LEN);
	memset(self->buf, 0, 4 * LEN);
	for (i = 0; i < 2; i++) {
		iov[i] = (struct iovec){ self->buf + i * LEN, LEN };
		acall_prep_preadv(&sqes[i], self->fd, &iov[i], 1, i * LEN, 0);
		acall_sqe_set_data(&sqes[i], i + 1);
	}
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	for (i = 0; i < 2; i++)
		EXPECT_EQ((int)LEN, cqes[i].res);
	iov[0] = (struct iovec){ self->buf + 2 * LEN, 2 * LEN };
	acall_prep_preadv(&sqes[0], self->fd, &iov[0], 1, 0, 0);
	EXPECT_EQ((int)(2 * LEN), acall_run1(&self->ring, &sqes[0]));
	expect_punts(_metadata, self, want);
	EXPECT_EQ(-1, acall_check(self->buf, 2 * LEN, 0, 6));
	EXPECT_EQ(-1, acall_check(self->buf + 2 * LEN, 2 * LEN, 0, 6));
}

/*
 * A write of LEN bytes of pattern seed at 0 through an O_DIRECT open of
 * fd, on a new ring: it completes whole, with the punts want, and its data
 * reads back through the O_DIRECT open.
 */
static void direct_write_punted(struct __test_metadata *_metadata,
				FIXTURE_DATA(punts) *self, int fd,
				unsigned int seed,
				const long long want[ACALL_PUNT_MAX])
{
	struct iovec iov = { self->buf, LEN };
	struct acall_sqe sqe;
	int dfd;

	dfd = acall_reopen(fd, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);
	ring_up(_metadata, self, 0);
	acall_fill(self->buf, LEN, 0, seed);
	acall_prep_pwritev(&sqe, dfd, &iov, 1, 0, 0);
	EXPECT_EQ((int)LEN, acall_run1(&self->ring, &sqe));
	expect_punts(_metadata, self, want);
	memset(self->buf, 0, LEN);
	ASSERT_EQ((ssize_t)LEN, pread(dfd, self->buf, LEN, 0));
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 0, seed));
	close(dfd);
}

/* ext4 refuses IOCB_NOWAIT for an O_DIRECT write that extends the file. */
TEST_F(punts, extending_direct_write_would_block)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_WOULD_BLOCK] = 1 };

	ACALL_REQUIRE(ACALL_FEAT_ASYNC_KIOCB);
	direct_write_punted(_metadata, self, self->fd, 7, want);
}

/*
 * ext4 mounted data=journal has no direct I/O: an O_DIRECT write falls
 * back to a buffered one, which ext4 refuses under IOCB_NOWAIT with
 * -EOPNOTSUPP. That means "not without blocking", not the result:
 * pwritev() succeeds, and so does the worker.
 */
TEST_F(punts, direct_write_with_journaled_data_has_no_nowait_form)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_NO_NOWAIT] = 1 };
	const char *dir;
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_ASYNC_KIOCB);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4_JOURNAL");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	/* An overwrite: ext4 refuses an extending one with -EAGAIN first. */
	fill_file(_metadata, fd, LEN, 3);
	direct_write_punted(_metadata, self, fd, 10, want);
	close(fd);
}

/* ext4's own ioctl (fs/ext4/ext4.h), not in the exported headers. */
#ifndef EXT4_IOC_CHECKPOINT
#define EXT4_IOC_CHECKPOINT	_IOW('f', 43, __u32)
#endif

/* Bytes this thread has had read from devices (its own, not its workers'). */
static long long thread_read_bytes(void)
{
	char line[64];

	if (acall_file_line("/proc/thread-self/io", "read_bytes:", line,
			    sizeof(line)))
		return -1;
	return atoll(line + strlen("read_bytes:"));
}

/*
 * ext4 mounted data=journal serves an O_DIRECT read from the page cache.
 * A miss starts no readahead in the submitter, as for a buffered read:
 * SUBMIT has nothing read from the device (the submitting thread is
 * charged for what it sends), the try gives up at once and a worker
 * reads, counted as a miss. (Before, the submitter started the readahead;
 * on a RAM disk the page was read then, and the read completed inline.)
 */
TEST_F(punts, direct_read_with_journaled_data_starts_no_io_in_the_submitter)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_NOT_CACHED] = 1 };
	struct iovec iov = { self->buf, LEN };
	long long read_bytes;
	struct acall_cqe *cqe;
	struct acall_sqe sqe;
	const char *dir;
	unsigned char resident;
	__u32 flags = 0;
	void *map;
	int fd, dfd;

	ACALL_REQUIRE(ACALL_FEAT_ASYNC_KIOCB);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4_JOURNAL");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	fill_file(_metadata, fd, LEN, 11);
	/* Journalled data stays in the cache until the journal lets it go. */
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, ioctl(fd, EXT4_IOC_CHECKPOINT, &flags));
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	map = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	ASSERT_EQ(0, mincore(map, 4096, &resident));
	munmap(map, 4096);
	ASSERT_EQ(0, resident & 1);

	dfd = acall_reopen(fd, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, dfd);
	ring_up(_metadata, self, 0);
	memset(self->buf, 0, LEN);
	acall_prep_preadv(&sqe, dfd, &iov, 1, 0, 0);
	read_bytes = thread_read_bytes();
	ASSERT_LE(0, read_bytes);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	EXPECT_EQ(read_bytes, thread_read_bytes());
	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ((int)LEN, cqe->res);
	acall_cq_advance(&self->ring, 1);
	expect_punts(_metadata, self, want);
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 0, 11));
	close(dfd);
	close(fd);
}

/*
 * Whether a worker of this process (a thread of it, or a kernel thread)
 * waits for a frozen filesystem: in sb_start_write(), which sleeps in
 * percpu_rwsem_wait() on 6.1 and 6.12 alike.
 */
static bool a_worker_waits_for_a_thaw(void)
{
	char path[64], wchan[64];
	bool found = false;
	pid_t tids[16];
	int n, i;
	FILE *f;

	n = acall_workers_of(getpid(), tids, 16);
	for (i = 0; i < n && i < 16 && !found; i++) {
		snprintf(path, sizeof(path), "/proc/%d/wchan", (int)tids[i]);
		f = fopen(path, "r");
		if (!f)
			continue;
		found = fgets(wchan, sizeof(wchan), f) &&
			strstr(wchan, "percpu_rwsem");
		fclose(f);
	}
	return found;
}

/*
 * An O_DIRECT write to a frozen filesystem goes to a worker, which sends
 * it again as a kiocb that may block: it waits for the thaw before the
 * write goes out. Meanwhile CANCEL finds it running (-EALREADY), as for
 * any request a worker is on; after the thaw it completes, whole.
 */
TEST_F(punts, direct_write_waiting_for_a_thaw_is_running)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_WOULD_BLOCK] = 1 };
	struct timespec tick = { 0, 10 * 1000 * 1000 };
	struct iovec iov = { self->buf, 4096 };
	bool waiting = false;
	struct acall_cqe *cqe;
	struct acall_sqe sqe;
	int dfd, i, cancel = 0;

	ACALL_REQUIRE(ACALL_FEAT_ASYNC_KIOCB | ACALL_FEAT_CANCEL);
	fill_file(_metadata, self->fd, LEN, 11);
	dfd = acall_reopen(self->fd, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);
	ring_up(_metadata, self, 0);
	freeze(_metadata, self);

	acall_fill(self->buf, 4096, 0, 12);
	acall_prep_pwritev(&sqe, dfd, &iov, 1, 0, 0);
	acall_sqe_set_data(&sqe, 5);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	/*
	 * Until its worker waits for the thaw. Bounded (20 s, a generous
	 * bound, not a measurement) and thawed before any assertion: a
	 * filesystem left frozen would hang every later test.
	 */
	for (i = 0; i < 2000 && !acall_cq_ready(&self->ring); i++) {
		waiting = a_worker_waits_for_a_thaw();
		if (waiting)
			break;
		nanosleep(&tick, NULL);
	}
	if (waiting)
		cancel = acall_cancel(&self->ring, 5);
	thaw(_metadata, self);
	ASSERT_TRUE(waiting) TH_LOG("no worker waited for the thaw");
	EXPECT_EQ(-EALREADY, cancel);
	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(5, cqe->user_data);
	EXPECT_EQ(4096, cqe->res);
	acall_cq_advance(&self->ring, 1);
	expect_punts(_metadata, self, want);
	memset(self->buf, 0, 4096);
	ASSERT_EQ(4096, pread(self->fd, self->buf, 4096, 0));
	EXPECT_EQ(-1, acall_check(self->buf, 4096, 0, 12));
	close(dfd);
}

/*
 * RWF_NOWAIT asks for no wait of any kind: an O_DIRECT write with it that
 * a worker starts, after the request it is linked to, completes with
 * -EAGAIN on a frozen filesystem, as when the submitter tries it, rather
 * than wait for the thaw. The wait for both completions is bounded (20 s,
 * not a measurement) and the filesystem thawed before any assertion.
 */
TEST_F(punts, nowait_write_released_while_frozen_is_eagain)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_BLOCKING_OP] = 1,
					   [ACALL_PUNT_RELEASED] = 1 };
	struct iovec iov = { self->buf, 4096 };
	long res[3] = { 0, 1, 1 };
	struct acall_sqe sqes[2];
	struct acall_cqe *cqe;
	int dfd, ready;

	ACALL_REQUIRE(ACALL_FEAT_ASYNC_KIOCB | ACALL_FEAT_ORDERING);
	fill_file(_metadata, self->fd, LEN, 13);
	dfd = acall_reopen(self->fd, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);
	ring_up(_metadata, self, 0);
	freeze(_metadata, self);

	acall_prep_nop(&sqes[0], 1);
	acall_sqe_set_link(&sqes[0]);
	acall_sqe_set_data(&sqes[0], 1);
	acall_prep_pwritev(&sqes[1], dfd, &iov, 1, 0, RWF_NOWAIT);
	acall_sqe_set_data(&sqes[1], 2);
	ASSERT_EQ(2, acall_submit(&self->ring, sqes, 2));
	ready = acall_wait(&self->ring, 2, 20LL * 1000 * 1000 * 1000);
	thaw(_metadata, self);
	ASSERT_EQ(2, ready) TH_LOG("the RWF_NOWAIT write waited for the thaw");
	while ((cqe = acall_peek_cqe(&self->ring))) {
		if (cqe->user_data == 1 || cqe->user_data == 2)
			res[cqe->user_data] = cqe->res;
		acall_cq_advance(&self->ring, 1);
	}
	EXPECT_EQ(0, res[1]);
	EXPECT_EQ(-EAGAIN, res[2]);
	expect_punts(_metadata, self, want);
	close(dfd);
}

/* A link's second request starts when the first completes, in a worker. */
TEST_F(punts, linked_read_is_released)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_NO_NOWAIT] = 1,
					   [ACALL_PUNT_RELEASED] = 1 };
	struct iovec wiov = { self->buf, LEN };
	struct iovec riov = { self->buf + LEN, LEN };
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];

	ACALL_REQUIRE(ACALL_FEAT_ORDERING);
	ring_up(_metadata, self, 0);
	acall_fill(self->buf, LEN, 0, 8);
	memset(self->buf + LEN, 0, LEN);
	acall_prep_pwritev(&sqes[0], self->fd, &wiov, 1, 0, 0);
	acall_sqe_set_link(&sqes[0]);
	acall_sqe_set_data(&sqes[0], 1);
	acall_prep_preadv(&sqes[1], self->fd, &riov, 1, 0, 0);
	acall_sqe_set_data(&sqes[1], 2);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	EXPECT_EQ((int)LEN, cqes[0].res);
	EXPECT_EQ((int)LEN, cqes[1].res);
	expect_punts(_metadata, self, want);
	EXPECT_EQ(-1, acall_check(self->buf + LEN, LEN, 0, 8));
}

/*
 * A read held behind a barrier and canceled there completes with
 * -ECANCELED when the barrier ends, with no worker: no punt. The barrier
 * is a write that waits in its worker until the filesystem is thawed.
 */
TEST_F(punts, canceled_while_held_is_no_punt)
{
	long long want[ACALL_PUNT_MAX] = { [ACALL_PUNT_NO_NOWAIT] = 1 };
	struct iovec wiov = { self->buf, 4096 };
	struct iovec riov = { self->buf + LEN, 4096 };
	struct acall_sqe sqes[2];
	struct acall_cqe *cqe;
	long res[3] = { 0 };
	int i;

	ACALL_REQUIRE(ACALL_FEAT_ORDERING | ACALL_FEAT_CANCEL);
	ring_up(_metadata, self, 0);
	freeze(_metadata, self);
	acall_prep_pwritev(&sqes[0], self->fd, &wiov, 1, 0, 0);
	acall_sqe_set_ordered(&sqes[0]);
	acall_sqe_set_data(&sqes[0], 1);
	acall_prep_preadv(&sqes[1], self->fd, &riov, 1, 0, 0);
	acall_sqe_set_data(&sqes[1], 2);
	ASSERT_EQ(2, acall_submit(&self->ring, sqes, 2));
	EXPECT_EQ(1, acall_cancel(&self->ring, 2));
	thaw(_metadata, self);
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
		ASSERT_GE(2, cqe->user_data);
		res[cqe->user_data] = cqe->res;
		acall_cq_advance(&self->ring, 1);
	}
	EXPECT_EQ(4096, res[1]);
	EXPECT_EQ(-ECANCELED, res[2]);
	expect_punts(_metadata, self, want);
}

/* Inline and async kiocbs are no punts. */
TEST_F(punts, cached_read_is_no_punt)
{
	long long want[ACALL_PUNT_MAX] = { 0 };
	struct iovec iov = { self->buf, LEN };
	struct acall_sqe sqe;

	fill_file(_metadata, self->fd, LEN, 9);
	ASSERT_EQ((ssize_t)LEN, pread(self->fd, self->buf, LEN, 0));
	ring_up(_metadata, self, 0);
	memset(self->buf, 0, LEN);
	acall_prep_preadv(&sqe, self->fd, &iov, 1, 0, 0);
	EXPECT_EQ((int)LEN, acall_run1(&self->ring, &sqe));
	expect_punts(_metadata, self, want);
	EXPECT_EQ(-1, acall_check(self->buf, LEN, 0, 9));
}

TEST_F(punts, bad_pointer_is_efault)
{
	ring_up(_metadata, self, 0);
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_PUNTS, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST(punts_before_setup_are_refused_as_stats_are)
{
	struct acall_punts punts;
	struct acall_stats stats;
	int dev, err;

	ACALL_REQUIRE(ACALL_FEAT_PUNTS);
	dev = acall_open_device();
	ASSERT_LE(0, dev);
	ASSERT_EQ(-1, ioctl(dev, ACALL_IOC_STATS, &stats));
	err = errno;
	EXPECT_EQ(-1, ioctl(dev, ACALL_IOC_PUNTS, &punts));
	EXPECT_EQ(err, errno);
	close(dev);
}

TEST(punt_names)
{
	unsigned int r;

	for (r = 0; r < ACALL_PUNT_NR; r++)
		EXPECT_NE(NULL, acall_punt_name(r)) TH_LOG("reason %u", r);
	EXPECT_STREQ("not_cached", acall_punt_name(ACALL_PUNT_NOT_CACHED));
	EXPECT_EQ(NULL, acall_punt_name(ACALL_PUNT_NR));
	EXPECT_EQ(NULL, acall_punt_name(~0u));
}

/*
 * The slow device narrowed to 4 request slots, held by four reads: the
 * fifth's kiocb completes with -EAGAIN, and a worker reads it.
 */
FIXTURE(busy) {
	const char *bdev;
	struct acall_queue_saved saved;
	struct acall_ring ring;
	void *buf;
	int fd;
};

FIXTURE_SETUP(busy)
{
	self->fd = -1;
	self->ring.fd = -1;
	self->buf = NULL;
	self->saved.nr[0] = self->saved.sched[0] = 0;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ASYNC_KIOCB |
		      ACALL_FEAT_PUNTS);
	ACALL_FIXTURE(self->bdev, "ACALL_TEST_SLOW_BDEV");
	ASSERT_EQ(0, acall_narrow_queue(self->bdev, "4", &self->saved));
	self->fd = open(self->bdev, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, posix_memalign(&self->buf, 4096, 5 * 4096));
	ASSERT_EQ(0, acall_ring_init(&self->ring, NULL));
}

FIXTURE_TEARDOWN(busy)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
	acall_restore_queue(self->bdev, &self->saved);
}

TEST_F(busy, kiocb_again_from_a_full_device)
{
	struct acall_sqe sqes[5];
	struct acall_cqe cqes[5];
	struct acall_punts before, after;
	struct iovec iov[5];
	int i;

	/* Far apart, so that no two merge into one request. */
	for (i = 0; i < 5; i++) {
		iov[i] = (struct iovec){ (char *)self->buf + i * 4096, 4096 };
		acall_prep_preadv(&sqes[i], self->fd, &iov[i], 1,
				  (__u64)i << 20, 0);
		acall_sqe_set_data(&sqes[i], i + 1);
	}
	ASSERT_EQ(0, acall_punts(&self->ring, &before));
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 5, cqes));
	ASSERT_EQ(0, acall_punts(&self->ring, &after));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(4096, cqes[i].res);
	EXPECT_EQ(1, after.reason[ACALL_PUNT_KIOCB_AGAIN] -
		     before.reason[ACALL_PUNT_KIOCB_AGAIN]);
}

TEST_HARNESS_MAIN

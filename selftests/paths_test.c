// SPDX-License-Identifier: GPL-2.0
/*
 * Each way a request can go is really taken, as the context's counters
 * (ACALL_IOC_STATS) show: a page-cache hit completes inline in the
 * submitter, O_DIRECT goes out as an async kiocb (from a worker that does
 * not wait for it, where the submitter could not send it without
 * blocking), a cold buffered read and a delayed NOP go to a worker, and the
 * workers are threads named after the process.
 * Data is checked on every path.
 *
 * Where the I/O must not be finished before the submission returns, the
 * slow devices are used: on a RAM disk a "cold" read or an O_DIRECT read
 * completes during the submission, rightly counted inline.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <sched.h>
#include <stdbool.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

FIXTURE(paths) {
	struct acall_ring ring;
	struct acall_stats before, after;
	unsigned char *buf;
};

FIXTURE_SETUP(paths)
{
	struct acall_options opts = { .entries = 16 };

	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_STATS);
	ASSERT_EQ(0, posix_memalign((void **)&self->buf, 4096, 64 * 1024));
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
	ASSERT_EQ(0, acall_stats(&self->ring, &self->before));
}

FIXTURE_TEARDOWN(paths)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	free(self->buf);
}

/* Submit one request and reap it; *ready_at_return: completions ready the
 * moment the submission returned. The completion's res is returned. */
static int submit_reap(struct __test_metadata *_metadata, struct acall_ring *ring,
		       struct acall_sqe *sqe, unsigned int *ready_at_return)
{
	struct acall_cqe *cqe;
	int res;

	acall_sqe_set_data(sqe, 77);
	if (acall_submit(ring, sqe, 1) != 1)
		return ACALL_RUN_FAILED;
	*ready_at_return = acall_cq_ready(ring);
	if (acall_wait_cqe(ring, &cqe, -1) < 0)
		return ACALL_RUN_FAILED;
	if (cqe->user_data != 77)
		return ACALL_RUN_FAILED - 1;
	res = cqe->res;
	acall_cq_advance(ring, 1);
	return res;
}

TEST_F(paths, hot_read_completes_inline)
{
	struct iovec iov = { self->buf, 8192 };
	unsigned int ready;
	struct acall_sqe sqe;
	const char *dir;
	int fd;

	/* ext4 reads with IOCB_NOWAIT (not every filesystem does: tmpfs). */
	ACALL_REQUIRE(ACALL_FEAT_INLINE);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, 8192, 1));
	ASSERT_EQ(8192, pread(fd, self->buf, 8192, 0));		/* surely cached */
	ASSERT_EQ(0, acall_stats(&self->ring, &self->before));

	memset(self->buf, 0, 8192);
	acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	ASSERT_EQ(8192, submit_reap(_metadata, &self->ring, &sqe, &ready));
	EXPECT_EQ(-1, acall_check(self->buf, 8192, 0, 1));
	/* Done in the submitting thread: posted before the call returned. */
	EXPECT_EQ(1, ready);

	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, submitted));
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, completed));
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, punted));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, async_kiocb));
	EXPECT_EQ(0, self->after.inflight);
	close(fd);
}

TEST_F_TIMEOUT(paths, direct_read_is_async_kiocb, 60)
{
	struct iovec iov = { self->buf, 16384 };
	unsigned int ready;
	struct acall_sqe sqe;
	const char *dir;
	int fd, dfd;

	ACALL_REQUIRE(ACALL_FEAT_ASYNC_KIOCB);
	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, 16384, 2));
	ASSERT_EQ(0, fsync(fd));
	dfd = acall_reopen(fd, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, acall_stats(&self->ring, &self->before));

	memset(self->buf, 0, 16384);
	acall_prep_preadv(&sqe, dfd, &iov, 1, 0, 0);
	ASSERT_EQ(16384, submit_reap(_metadata, &self->ring, &sqe, &ready));
	EXPECT_EQ(-1, acall_check(self->buf, 16384, 0, 2));

	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, async_kiocb));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, punted));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, completed));
	close(dfd);
	close(fd);
}

TEST_F_TIMEOUT(paths, direct_block_device_write_is_async_kiocb, 60)
{
	struct iovec iov = { self->buf, 8192 };
	unsigned int ready;
	struct acall_sqe sqe;
	const char *dev;
	int dfd;

	ACALL_REQUIRE(ACALL_FEAT_ASYNC_KIOCB);
	ACALL_FIXTURE(dev, "ACALL_TEST_SLOW_BDEV");
	dfd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);

	acall_fill(self->buf, 8192, 40960, 3);
	acall_prep_pwritev(&sqe, dfd, &iov, 1, 40960, 0);
	ASSERT_EQ(8192, submit_reap(_metadata, &self->ring, &sqe, &ready));
	memset(self->buf, 0, 8192);
	ASSERT_EQ(8192, pread(dfd, self->buf, 8192, 40960));
	EXPECT_EQ(-1, acall_check(self->buf, 8192, 40960, 3));

	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, async_kiocb));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, punted));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, inline_done));
	close(dfd);
}

/*
 * ext4 refuses IOCB_NOWAIT for an O_DIRECT write into a hole (it must
 * allocate), so each goes to a worker; the worker sends it again as an
 * async kiocb, which may wait for the inode's lock but not for the device
 * (300 ms a request here), and takes the next: with one worker, every one
 * goes out as a kiocb. A worker that waited for each ran it the blocking
 * way (async_kiocb 0).
 */
#define HOLE_WRITES	4

TEST_F_TIMEOUT(paths, worker_sends_a_direct_write_as_a_kiocb, 120)
{
	struct acall_options opts = { .entries = 16, .max_workers = 1 };
	struct acall_sqe sqes[HOLE_WRITES];
	struct iovec iov[HOLE_WRITES];
	struct acall_ring ring;
	struct acall_cqe *cqe;
	const char *dir;
	struct stat st;
	int fd, dfd, i;

	ACALL_REQUIRE(ACALL_FEAT_ASYNC_KIOCB | ACALL_FEAT_WORKERS);
	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ftruncate(fd, HOLE_WRITES << 20));
	ASSERT_EQ(0, fstat(fd, &st));
	ASSERT_EQ(0, st.st_blocks) TH_LOG("the file is not sparse");
	dfd = acall_reopen(fd, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	ASSERT_EQ(0, acall_stats(&ring, &self->before));

	for (i = 0; i < HOLE_WRITES; i++) {
		iov[i].iov_base = self->buf + i * 4096;
		iov[i].iov_len = 4096;
		acall_fill(iov[i].iov_base, 4096, (__u64)i << 20, 9);
		acall_prep_pwritev(&sqes[i], dfd, &iov[i], 1, (__u64)i << 20, 0);
		acall_sqe_set_data(&sqes[i], i + 1);
	}
	ASSERT_EQ(HOLE_WRITES, acall_submit(&ring, sqes, HOLE_WRITES));
	for (i = 0; i < HOLE_WRITES; i++) {
		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		EXPECT_EQ(4096, cqe->res);
		acall_cq_advance(&ring, 1);
	}
	ASSERT_EQ(0, acall_stats(&ring, &self->after));
	EXPECT_EQ(HOLE_WRITES, ACALL_DELTA(self->before, self->after, punted));
	EXPECT_EQ(HOLE_WRITES, ACALL_DELTA(self->before, self->after, async_kiocb));
	EXPECT_EQ(1, self->after.workers_peak);
	acall_ring_exit(&ring);

	for (i = 0; i < HOLE_WRITES; i++) {
		memset(self->buf, 0, 4096);
		ASSERT_EQ(4096, pread(fd, self->buf, 4096, (off_t)i << 20));
		EXPECT_EQ(-1, acall_check(self->buf, 4096, (__u64)i << 20, 9));
	}
	close(dfd);
	close(fd);
}

TEST_F_TIMEOUT(paths, cold_buffered_read_is_punted, 60)
{
	struct iovec iov = { self->buf, 32768 };
	unsigned int ready;
	struct acall_sqe sqe;
	const char *dir;
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_WORKERS);
	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, 32768, 4));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, acall_drop_caches());
	ASSERT_EQ(0, acall_stats(&self->ring, &self->before));

	memset(self->buf, 0, 32768);
	acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	ASSERT_EQ(32768, submit_reap(_metadata, &self->ring, &sqe, &ready));
	EXPECT_EQ(-1, acall_check(self->buf, 32768, 0, 4));

	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, punted));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, async_kiocb));
	EXPECT_LE(1, self->after.workers_peak);
	close(fd);
}

/* A delayed NOP goes to a worker, and completes there. */
TEST_F(paths, delayed_nop_runs_in_a_worker)
{
	unsigned int ready;
	struct acall_sqe sqe;

	ACALL_REQUIRE(ACALL_FEAT_WORKERS);
	acall_prep_nop(&sqe, 10ULL * 1000 * 1000);	/* 10 ms */
	EXPECT_EQ(0, submit_reap(_metadata, &self->ring, &sqe, &ready));
	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, punted));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_LE(1, self->after.workers_peak);
}

/*
 * While a request runs in a worker, a thread named acall/<our pid>:<n>
 * exists. The request is a write into a frozen filesystem, which stays in
 * its worker until the thaw, however slow the machine: the test waits for
 * the thread to show, not for a time.
 */
TEST_F(paths, running_request_has_a_named_worker)
{
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	struct iovec iov = { self->buf, 4096 };
	struct acall_stats mid;
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	const char *dir;
	int fd, dirfd, n;
	pid_t tids[8];

	ACALL_REQUIRE(ACALL_FEAT_WORKERS);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, dirfd);
	acall_fill(self->buf, 4096, 0, 6);
	ASSERT_EQ(0, ioctl(dirfd, FIFREEZE, 0));
	/* ext4 has no non-blocking buffered write: a worker does it. */
	acall_prep_pwritev(&sqe, fd, &iov, 1, 0, 0);
	acall_sqe_set_data(&sqe, 6);
	if (acall_submit(&self->ring, &sqe, 1) != 1) {
		ioctl(dirfd, FITHAW, 0);
		ASSERT_TRUE(false) TH_LOG("submit failed");
	}
	while ((n = acall_workers_of(getpid(), tids, 8)) == 0)
		nanosleep(&tick, NULL);
	EXPECT_EQ(0, acall_cq_ready(&self->ring));
	EXPECT_EQ(0, acall_stats(&self->ring, &mid));
	ASSERT_EQ(0, ioctl(dirfd, FITHAW, 0));
	close(dirfd);
	EXPECT_LE(1, n);
	EXPECT_LE(1, mid.workers);

	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(6, cqe->user_data);
	EXPECT_EQ(4096, cqe->res);
	acall_cq_advance(&self->ring, 1);
	memset(self->buf, 0, 4096);
	ASSERT_EQ(4096, pread(fd, self->buf, 4096, 0));
	EXPECT_EQ(-1, acall_check(self->buf, 4096, 0, 6));
	close(fd);
}

/*
 * Fourteen hot reads and a bad one in one SUBMIT (the ring has 16 slots): the module posts inline
 * completions in groups and uses their requests again for later ones of
 * the call. Every completion is in the ring when the call returns, once,
 * with its own data.
 */
TEST_F(paths, batch_of_hot_reads_posts_each_once_with_its_data)
{
	enum { N = 14 };
	struct acall_sqe sqes[N + 1];
	struct iovec iov[N];
	struct acall_cqe *cqe;
	unsigned int seen[N + 1] = { 0 }, i, k;
	unsigned char *bufs;
	const char *dir;
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_INLINE);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, N * 4096, 3));
	bufs = malloc(N * 4096);
	ASSERT_NE(NULL, bufs);
	ASSERT_EQ(N * 4096, pread(fd, bufs, N * 4096, 0));	/* cached */
	memset(bufs, 0, N * 4096);
	ASSERT_EQ(0, acall_stats(&self->ring, &self->before));

	for (i = 0, k = 0; k <= N; k++) {
		if (k == N / 2) {
			/* In the middle: refused at submission, posted alone. */
			acall_prep_preadv(&sqes[k], -1, &iov[0], 1, 0, 0);
			acall_sqe_set_data(&sqes[k], N);
			continue;
		}
		/* Block i into buffer N - 1 - i: a mix-up shows. */
		iov[i] = (struct iovec){ bufs + (N - 1 - i) * 4096, 4096 };
		acall_prep_preadv(&sqes[k], fd, &iov[i], 1, i * 4096, 0);
		acall_sqe_set_data(&sqes[k], i);
		i++;
	}
	ASSERT_EQ(N + 1, acall_submit(&self->ring, sqes, N + 1));
	EXPECT_EQ(N + 1, acall_cq_ready(&self->ring));
	while ((cqe = acall_peek_cqe(&self->ring))) {
		ASSERT_GE(N, cqe->user_data);
		seen[cqe->user_data]++;
		EXPECT_EQ(cqe->user_data == N ? -EBADF : 4096, cqe->res);
		acall_cq_advance(&self->ring, 1);
	}
	for (i = 0; i <= N; i++)
		EXPECT_EQ(1, seen[i]) TH_LOG("user_data %u", i);
	for (i = 0; i < N; i++)
		EXPECT_EQ(-1, acall_check(bufs + (N - 1 - i) * 4096, 4096,
					  i * 4096, 3)) TH_LOG("block %u", i);

	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	EXPECT_EQ(N + 1, ACALL_DELTA(self->before, self->after, submitted));
	EXPECT_EQ(N + 1, ACALL_DELTA(self->before, self->after, completed));
	EXPECT_EQ(N, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_EQ(0, self->after.inflight);
	free(bufs);
	close(fd);
}

/*
 * The counters are kept per CPU: what was submitted on each CPU adds up,
 * whichever CPU reads them.
 */
TEST_F(paths, counters_add_up_across_cpus)
{
	unsigned int cpu, i, ncpu = 0, done = 0;
	struct acall_sqe sqe;
	cpu_set_t old, one;

	ASSERT_EQ(0, sched_getaffinity(0, sizeof(old), &old));
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (!CPU_ISSET(cpu, &old))
			continue;
		CPU_ZERO(&one);
		CPU_SET(cpu, &one);
		ASSERT_EQ(0, sched_setaffinity(0, sizeof(one), &one));
		for (i = 0; i < 10 + cpu; i++) {
			acall_prep_nop(&sqe, 0);
			acall_sqe_set_data(&sqe, i);
			ASSERT_EQ(0, acall_run1(&self->ring, &sqe));
			done++;
		}
		ncpu++;
	}
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(old), &old));
	if (ncpu < 2)
		SKIP(return, "one CPU only");
	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	EXPECT_EQ(done, ACALL_DELTA(self->before, self->after, submitted));
	EXPECT_EQ(done, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_EQ(done, ACALL_DELTA(self->before, self->after, completed));
}

/* Submitted, completed and in-flight counters agree with what happened. */
TEST_F(paths, counters_add_up)
{
	struct acall_sqe sqes[6];
	struct acall_cqe cqes[6];
	unsigned int i;

	for (i = 0; i < 4; i++)
		acall_prep_nop(&sqes[i], 0);
	acall_prep_nop(&sqes[4], 100 * 1000 * 1000);
	acall_prep_nop(&sqes[5], 100 * 1000 * 1000);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 6, cqes));
	for (i = 0; i < 6; i++)
		EXPECT_EQ(0, cqes[i].res);
	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	EXPECT_EQ(6, ACALL_DELTA(self->before, self->after, submitted));
	EXPECT_EQ(6, ACALL_DELTA(self->before, self->after, completed));
	EXPECT_LE(2, ACALL_DELTA(self->before, self->after, punted));
	EXPECT_EQ(0, self->after.inflight);
	/* The two delayed NOPs were in flight together. */
	EXPECT_LE(2, self->after.inflight_peak);
	EXPECT_GE(6, self->after.inflight_peak);
	EXPECT_EQ(0, self->after.canceled);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * The bound on what one SUBMIT copies inline (acall_params.inline_bytes):
 * a read of many megabytes of cached data has its first part copied in the
 * submitter and the rest done by a worker, the bound spans every request
 * of the batch, a read of no bytes is not bounded, nor is RWF_NOWAIT,
 * and SETUP answers with the bound in force; a buffered write is never
 * cut, but goes to a worker whole. The counters (ACALL_IOC_STATS) show
 * the path; the data read back shows the two parts joined right.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define BIG	(4u << 20)	/* above the default bound of 1 MiB */
#define SMALL	(64u << 10)	/* the bound the tests set */

FIXTURE(bound) {
	struct acall_ring ring;
	struct acall_stats before, after;
	unsigned char *buf;
	int fd;
};

FIXTURE_SETUP(bound)
{
	const char *dir;

	self->fd = -1;
	self->ring.fd = -1;
	self->buf = NULL;
	/* ext4 reads with IOCB_NOWAIT: the inline path is taken. */
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_STATS | ACALL_FEAT_INLINE);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	ASSERT_EQ(0, posix_memalign((void **)&self->buf, 4096, BIG));
	self->fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, BIG, 5));
	ASSERT_EQ(BIG, pread(self->fd, self->buf, BIG, 0));	/* all cached */
}

FIXTURE_TEARDOWN(bound)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
}

static int ring_with_bound(struct acall_ring *ring, __u64 inline_bytes)
{
	struct acall_options opts = { .entries = 16,
				      .inline_bytes = inline_bytes };

	return acall_ring_init(ring, &opts);
}

/* Read [off, off + len) into buf + off with nr requests in one batch. */
static void read_batch(struct __test_metadata *_metadata,
		       FIXTURE_DATA(bound) *self, unsigned int nr, size_t len,
		       int rwf)
{
	struct acall_sqe sqes[8];
	struct acall_cqe cqes[8];
	struct iovec iov[8];
	unsigned int i;

	ASSERT_GE(8, nr);
	memset(self->buf, 0, nr * len);
	for (i = 0; i < nr; i++) {
		iov[i] = (struct iovec){ self->buf + i * len, len };
		acall_prep_preadv(&sqes[i], self->fd, &iov[i], 1, i * len, rwf);
		acall_sqe_set_data(&sqes[i], i);
	}
	ASSERT_EQ(0, acall_stats(&self->ring, &self->before));
	ASSERT_EQ(0, acall_run(&self->ring, sqes, nr, cqes));
	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	for (i = 0; i < nr; i++)
		EXPECT_EQ((int)len, cqes[i].res) TH_LOG("request %llu",
			(unsigned long long)cqes[i].user_data);
	EXPECT_EQ(-1, acall_check(self->buf, nr * len, 0, 5));
}

TEST_F(bound, big_cached_read_is_finished_by_a_worker)
{
	ASSERT_EQ(0, ring_with_bound(&self->ring, 0));
	read_batch(_metadata, self, 1, BIG, 0);
	/* Its first MiB inline, the rest in a worker: one request, punted. */
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, punted));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, inline_done));
}

TEST_F(bound, unbounded_copies_all_inline)
{
	ACALL_REQUIRE(ACALL_FEAT_INLINE_BOUND);
	ASSERT_EQ(0, ring_with_bound(&self->ring, ACALL_INLINE_UNBOUNDED));
	read_batch(_metadata, self, 1, BIG, 0);
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, punted));
}

/* 64 KiB for the batch: two 32 KiB reads inline, the next two in workers. */
TEST_F(bound, bound_spans_the_batch)
{
	ACALL_REQUIRE(ACALL_FEAT_INLINE_BOUND);
	ASSERT_EQ(0, ring_with_bound(&self->ring, SMALL));
	read_batch(_metadata, self, 4, SMALL / 2, 0);
	EXPECT_EQ(2, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_EQ(2, ACALL_DELTA(self->before, self->after, punted));
	/* A new SUBMIT has the whole bound again. */
	read_batch(_metadata, self, 1, SMALL, 0);
	EXPECT_EQ(1, ACALL_DELTA(self->before, self->after, inline_done));
}

TEST_F(bound, nowait_is_not_bounded)
{
	ACALL_REQUIRE(ACALL_FEAT_INLINE_BOUND);
	ASSERT_EQ(0, ring_with_bound(&self->ring, SMALL));
	read_batch(_metadata, self, 2, 4 * SMALL, RWF_NOWAIT);
	EXPECT_EQ(2, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, punted));
}

/*
 * A read of no bytes copies nothing: it completes in the submitter even
 * after the batch used up the bound, instead of waking a worker for it.
 */
TEST_F(bound, empty_read_past_the_bound_is_inline)
{
	struct iovec iov[2] = { { self->buf, SMALL }, { self->buf, 0 } };
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];

	ACALL_REQUIRE(ACALL_FEAT_INLINE_BOUND);
	ASSERT_EQ(0, ring_with_bound(&self->ring, SMALL));
	acall_prep_preadv(&sqes[0], self->fd, &iov[0], 1, 0, 0);
	acall_sqe_set_data(&sqes[0], 0);
	acall_prep_preadv(&sqes[1], self->fd, &iov[1], 1, 0, 0);
	acall_sqe_set_data(&sqes[1], 1);
	ASSERT_EQ(0, acall_stats(&self->ring, &self->before));
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	ASSERT_EQ(0, acall_stats(&self->ring, &self->after));
	EXPECT_EQ(SMALL, cqes[0].res);
	EXPECT_EQ(0, cqes[1].res);
	EXPECT_EQ(2, ACALL_DELTA(self->before, self->after, inline_done));
	EXPECT_EQ(0, ACALL_DELTA(self->before, self->after, punted));
}

/* SETUP writes back the bound in force: the default, or what was asked. */
TEST_F(bound, setup_answers_the_bound)
{
	__u64 asked[] = { 0, SMALL, ACALL_INLINE_UNBOUNDED };
	__u64 want[] = { 1u << 20, SMALL, ACALL_INLINE_UNBOUNDED };
	struct acall_params p;
	unsigned int i;
	int dev;

	ACALL_REQUIRE(ACALL_FEAT_INLINE_BOUND);
	for (i = 0; i < 3; i++) {
		dev = acall_open_device();
		ASSERT_LE(0, dev);
		memset(&p, 0, sizeof(p));
		p.entries = 8;
		p.inline_bytes = asked[i];
		ASSERT_EQ(0, ioctl(dev, ACALL_IOC_SETUP, &p));
		EXPECT_EQ(want[i], p.inline_bytes);
		close(dev);
	}
}

/*
 * A buffered write that does not fit in what the SUBMIT call may still
 * copy is not cut there: one pwritev() is atomic against the file's other
 * writers, a part written in the submitter and the rest by a worker would
 * not be. On XFS, which takes buffered writes without blocking (ext4 does
 * not, and never tries them inline), a write of twice the bound is queued
 * whole: with no thread serving the context yet, none of it is in the file
 * when SUBMIT returns, and all of it once a thread has served it. It
 * spends the bound as a cut one would: a small cached read after it in
 * the same call is queued too, not copied inline. The test keeps to one
 * CPU, so that both go to the one pool its thread serves (a file's
 * writes go to the pool of the node that set the context up, a read to
 * the submitter's).
 */
TEST(write_past_the_bound_goes_whole_to_a_worker)
{
	struct acall_params p = { .entries = 8, .inline_bytes = SMALL,
				  .flags = ACALL_SETUP_PROCESS_WORKERS };
	static unsigned char out[2 * SMALL], in[2 * SMALL];
	static unsigned char small[SMALL / 2];
	struct iovec iov = { out, sizeof(out) }, riov = { small, sizeof(small) };
	struct acall_punts before, after;
	struct acall_raw raw;
	struct acall_sqe sqes[2];
	struct acall_cqe cqe;
	int i;
	const char *dir;
	int fd, dev;
	pthread_t t;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_INLINE_BOUND |
		      ACALL_FEAT_PROCESS_WORKERS | ACALL_FEAT_PUNTS);
	ACALL_FIXTURE(dir, "ACALL_TEST_XFS");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, sizeof(in), 1));
	acall_fill(out, sizeof(out), 0, 2);
	ASSERT_EQ(0, acall_pin_to_this_cpu());
	dev = acall_open_device();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, acall_raw_setup_params(&raw, dev, &p));
	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_PUNTS, &before));

	acall_prep_pwritev(&sqes[0], fd, &iov, 1, 0, 0);
	acall_sqe_set_data(&sqes[0], 0);
	acall_prep_preadv(&sqes[1], fd, &riov, 1, 2 * SMALL, 0);
	acall_sqe_set_data(&sqes[1], 1);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 2 * SMALL, sizeof(small), 1));
	ASSERT_EQ(2, acall_raw_submit(dev, sqes, 2));
	EXPECT_EQ(*raw.head, __atomic_load_n(raw.tail, __ATOMIC_ACQUIRE));
	ASSERT_EQ((ssize_t)sizeof(in), pread(fd, in, sizeof(in), 0));
	EXPECT_EQ(-1, acall_check(in, sizeof(in), 0, 1));

	ASSERT_EQ(0, pthread_create(&t, NULL, acall_raw_serve_thread, &dev));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, acall_raw_reap(&raw, &cqe));
		EXPECT_EQ(cqe.user_data ? (int)sizeof(small) : (int)sizeof(out),
			  cqe.res);
	}
	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_PUNTS, &after));
	EXPECT_EQ(2, ACALL_DELTA(before, after, reason[ACALL_PUNT_INLINE_BOUND]));
	EXPECT_EQ(-1, acall_check(small, sizeof(small), 2 * SMALL, 1));
	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ((ssize_t)sizeof(in), pread(fd, in, sizeof(in), 0));
	EXPECT_EQ(-1, acall_check(in, sizeof(in), 0, 2));
	acall_raw_unmap(&raw);
	close(dev);
	close(fd);
}

TEST_HARNESS_MAIN

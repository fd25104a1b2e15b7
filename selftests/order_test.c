// SPDX-License-Identifier: GPL-2.0
/*
 * ORDERED barriers and independent queues. The order is forced by the
 * semantics and observed in the completion ring, not hoped for: slow
 * requests are NOPs that sleep a given time in a worker (or I/O on the slow
 * null_blk), fast ones complete inline. Without the barrier the fast ones
 * would complete first every time.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define MS		1000000ULL
#define REPEAT		20

FIXTURE(order) {
	struct acall_ring ring;
	struct acall_stats stats;
};

FIXTURE_SETUP(order)
{
	struct acall_options opts = { .entries = 1024, .nr_queues = 4 };

	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING | ACALL_FEAT_STATS);
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

FIXTURE_TEARDOWN(order)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
}

static void nop(struct acall_sqe *sqe, __u64 delay_ns, __u16 queue,
		bool ordered, __u64 data)
{
	acall_prep_nop(sqe, delay_ns);
	acall_sqe_set_queue(sqe, queue);
	if (ordered)
		acall_sqe_set_ordered(sqe);
	acall_sqe_set_data(sqe, data);
}

/* Position of user_data in the completions, or -1. */
static int pos_of(const struct acall_cqe *cqes, unsigned int nr, __u64 data)
{
	unsigned int i;

	for (i = 0; i < nr; i++)
		if (cqes[i].user_data == data)
			return i;
	return -1;
}

TEST_F(order, barrier_holds_back_later_fast_requests)
{
	struct acall_sqe sqes[4];
	struct acall_cqe cqes[4];
	int round;

	for (round = 0; round < REPEAT; round++) {
		nop(&sqes[0], 30 * MS, 0, false, 1);	/* slow, a worker */
		nop(&sqes[1], 10 * MS, 0, false, 2);	/* slow, a worker */
		nop(&sqes[2], 0, 0, true, 3);		/* the barrier */
		nop(&sqes[3], 0, 0, false, 4);		/* fast: inline */
		ASSERT_EQ(0, acall_run(&self->ring, sqes, 4, cqes));
		ASSERT_EQ(2, pos_of(cqes, 4, 3)) TH_LOG("round %d", round);
		ASSERT_EQ(3, pos_of(cqes, 4, 4)) TH_LOG("round %d", round);
		EXPECT_EQ(0, cqes[2].res);
		EXPECT_EQ(0, cqes[3].res);
	}
	ASSERT_EQ(0, acall_stats(&self->ring, &self->stats));
	EXPECT_EQ(REPEAT, self->stats.ordered);
	/* Each round: the barrier waited, and so did the request after it. */
	EXPECT_EQ(2 * REPEAT, self->stats.order_waits);
}

/* A barrier after a barrier: each waits for the one before. */
TEST_F(order, barriers_complete_in_submission_order)
{
	struct acall_sqe sqes[8];
	struct acall_cqe cqes[8];
	unsigned int i;

	for (i = 0; i < 8; i++)
		nop(&sqes[i], (8 - i) * 5 * MS, 0, true, i);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 8, cqes));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(i, cqes[i].user_data);
		EXPECT_EQ(0, cqes[i].res);
	}
}

/*
 * Queue 1 has a barrier stuck behind a 1 s request; queue 2's requests,
 * barriers included, are all complete the moment the submission returns.
 */
TEST_F(order, queues_are_independent)
{
	struct acall_sqe sqes[6];
	struct acall_cqe cqes[6];

	nop(&sqes[0], 1000 * MS, 1, false, 10);
	nop(&sqes[1], 0, 1, true, 11);
	nop(&sqes[2], 0, 1, false, 12);
	nop(&sqes[3], 0, 2, false, 20);
	nop(&sqes[4], 0, 2, true, 21);
	nop(&sqes[5], 0, 2, false, 22);
	ASSERT_EQ(6, acall_submit(&self->ring, sqes, 6));
	/* Queue 2's three, in order, before anything of queue 1. */
	ASSERT_EQ(3, acall_cq_ready(&self->ring));
	ASSERT_EQ(0, acall_reap(&self->ring, cqes, 6));
	EXPECT_EQ(20, cqes[0].user_data);
	EXPECT_EQ(21, cqes[1].user_data);
	EXPECT_EQ(22, cqes[2].user_data);
	EXPECT_EQ(10, cqes[3].user_data);
	EXPECT_EQ(11, cqes[4].user_data);
	EXPECT_EQ(12, cqes[5].user_data);
}

/* SIMPLE requests overlap: a short one overtakes a 1 s one. */
TEST_F(order, simple_requests_overlap)
{
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];

	nop(&sqes[0], 1000 * MS, 0, false, 1);
	nop(&sqes[1], 1 * MS, 0, false, 2);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	EXPECT_EQ(2, cqes[0].user_data);
	EXPECT_EQ(1, cqes[1].user_data);
}

/*
 * Held requests cost no thread: while a 1 s request runs, a barrier and
 * the 1000 requests behind it wait on a list. They still count against the
 * ring: with it full, a submission is refused.
 */
TEST_F(order, held_requests_take_no_worker_and_count_in_the_ring)
{
	static struct acall_sqe sqes[1024];
	struct acall_cqe *cqe;
	unsigned int i, seen = 0;
	__u64 next = 2;

	nop(&sqes[0], 1000 * MS, 0, false, 0);
	nop(&sqes[1], 0, 0, true, 1);
	for (i = 2; i < 1024; i++)
		nop(&sqes[i], 0, 0, false, i);
	ASSERT_EQ(1024, acall_submit(&self->ring, sqes, 1024));
	ASSERT_EQ(0, acall_stats(&self->ring, &self->stats));
	EXPECT_GE(1, self->stats.workers_peak);
	EXPECT_EQ(1023, self->stats.order_waits);
	EXPECT_EQ(1024, self->stats.inflight);
	EXPECT_EQ(-EBUSY, acall_submit(&self->ring, sqes, 1));

	/* The slow one, the barrier, then the rest in any order. */
	while (seen < 1024) {
		ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
		if (seen < 2) {
			ASSERT_EQ(seen, cqe->user_data);
		} else {
			next += cqe->user_data;
		}
		EXPECT_EQ(0, cqe->res);
		acall_cq_advance(&self->ring, 1);
		seen++;
	}
	/* Each of 2..1023 exactly once: their sum, plus the 2 it started at. */
	EXPECT_EQ(2 + (2 + 1023) * 1022 / 2, next);
}

/* Write A, then an ORDERED write B of the same range: the file holds B. */
TEST_F(order, ordered_write_lands_last)
{
	static unsigned char a[65536], b[65536], back[65536];
	struct iovec ia = { a, sizeof(a) }, ib = { b, sizeof(b) };
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];
	const char *dir;
	int fd, round;

	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	acall_fill(a, sizeof(a), 0, 1);
	acall_fill(b, sizeof(b), 0, 2);
	for (round = 0; round < REPEAT; round++) {
		acall_prep_pwritev(&sqes[0], fd, &ia, 1, 0, 0);
		acall_prep_pwritev(&sqes[1], fd, &ib, 1, 0, 0);
		acall_sqe_set_ordered(&sqes[1]);
		ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
		EXPECT_EQ(sizeof(a), cqes[0].res);
		EXPECT_EQ(sizeof(b), cqes[1].res);
		ASSERT_EQ(sizeof(back), pread(fd, back, sizeof(back), 0));
		ASSERT_EQ(-1, acall_check(back, sizeof(back), 0, 2))
			TH_LOG("round %d", round);
	}
	close(fd);
}

/* libacall's write + ordered flush pattern. */
TEST_F(order, write_then_ordered_flush)
{
	static unsigned char buf[16384];
	struct iovec iov = { buf, sizeof(buf) };
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];
	const char *dir;
	int fd;

	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	acall_fill(buf, sizeof(buf), 8192, 3);
	acall_prep_write_flush(sqes, fd, &iov, 1, 8192, 3, 99);
	acall_sqe_set_data(&sqes[1], 100);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	EXPECT_EQ(99, cqes[0].user_data);
	EXPECT_EQ(sizeof(buf), cqes[0].res);
	EXPECT_EQ(100, cqes[1].user_data);
	EXPECT_EQ(0, cqes[1].res);
	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(sizeof(buf), pread(fd, buf, sizeof(buf), 8192));
	EXPECT_EQ(-1, acall_check(buf, sizeof(buf), 8192, 3));
	close(fd);
}

/*
 * The three paths in one queue: an O_DIRECT write to the slow device (an
 * async kiocb, hundreds of ms), a barrier that would complete inline, and
 * a buffered read of the same block (a worker's). They complete in that
 * order; the read sees the write. Then a barrier released by a worker still goes out as an
 * async kiocb.
 */
TEST_F(order, ordering_spans_inline_async_and_worker_paths)
{
	struct acall_sqe sqes[4];
	struct acall_cqe cqes[4];
	struct acall_stats before;
	unsigned char *wbuf = NULL, *rbuf = NULL;
	struct iovec wv, rv;
	const char *dev;
	int dfd, bfd;

	ACALL_FIXTURE(dev, "ACALL_TEST_SLOW_BDEV");
	ASSERT_EQ(0, posix_memalign((void **)&wbuf, 4096, 4096));
	ASSERT_EQ(0, posix_memalign((void **)&rbuf, 4096, 4096));
	dfd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);
	bfd = open(dev, O_RDONLY);
	ASSERT_LE(0, bfd);
	acall_fill(wbuf, 4096, 0, 7);
	wv = (struct iovec){ wbuf, 4096 };
	rv = (struct iovec){ rbuf, 4096 };
	ASSERT_EQ(0, acall_stats(&self->ring, &before));

	acall_prep_pwritev(&sqes[0], dfd, &wv, 1, 0, 0);
	acall_sqe_set_data(&sqes[0], 1);
	nop(&sqes[1], 0, 0, true, 2);
	acall_prep_preadv(&sqes[2], bfd, &rv, 1, 0, 0);
	acall_sqe_set_data(&sqes[2], 3);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 3, cqes));
	EXPECT_EQ(1, cqes[0].user_data);
	EXPECT_EQ(4096, cqes[0].res);
	EXPECT_EQ(2, cqes[1].user_data);
	EXPECT_EQ(3, cqes[2].user_data);
	EXPECT_EQ(4096, cqes[2].res);
	EXPECT_EQ(-1, acall_check(rbuf, 4096, 0, 7));
	ASSERT_EQ(0, acall_stats(&self->ring, &self->stats));
	EXPECT_EQ(before.async_kiocb + 1, self->stats.async_kiocb);

	/*
	 * A worker's NOP releases an ORDERED O_DIRECT write: async still. Far
	 * from the pages the buffered read cached, which would make the
	 * non-blocking try refuse.
	 */
	before = self->stats;
	nop(&sqes[0], 10 * MS, 0, false, 4);
	acall_prep_pwritev(&sqes[1], dfd, &wv, 1, 512 << 20, 0);
	acall_sqe_set_ordered(&sqes[1]);
	acall_sqe_set_data(&sqes[1], 5);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	EXPECT_EQ(4, cqes[0].user_data);
	EXPECT_EQ(5, cqes[1].user_data);
	EXPECT_EQ(4096, cqes[1].res);
	ASSERT_EQ(0, acall_stats(&self->ring, &self->stats));
	EXPECT_EQ(before.async_kiocb + 1, self->stats.async_kiocb);

	close(bfd);
	close(dfd);
	free(wbuf);
	free(rbuf);
}

/*
 * A request held behind a barrier can be canceled; so can the barrier. A
 * second CANCEL of one still held finds it on its way (EALREADY), not gone.
 */
TEST_F(order, held_requests_can_be_canceled)
{
	struct acall_sqe sqes[4];
	struct acall_cqe cqes[4];

	nop(&sqes[0], 1000 * MS, 0, false, 1);
	nop(&sqes[1], 0, 0, true, 2);
	nop(&sqes[2], 0, 0, false, 3);
	nop(&sqes[3], 0, 0, true, 4);
	ASSERT_EQ(4, acall_submit(&self->ring, sqes, 4));
	EXPECT_EQ(1, acall_cancel(&self->ring, 3));
	EXPECT_EQ(1, acall_cancel(&self->ring, 4));
	/* Still held, and bound to complete with -ECANCELED already. */
	EXPECT_EQ(-EALREADY, acall_cancel(&self->ring, 3));
	ASSERT_EQ(0, acall_reap(&self->ring, cqes, 4));
	EXPECT_EQ(1, cqes[0].user_data);
	EXPECT_EQ(0, cqes[0].res);
	EXPECT_EQ(2, cqes[1].user_data);
	EXPECT_EQ(0, cqes[1].res);
	EXPECT_EQ(3, cqes[2].user_data);
	EXPECT_EQ(-ECANCELED, cqes[2].res);
	EXPECT_EQ(4, cqes[3].user_data);
	EXPECT_EQ(-ECANCELED, cqes[3].res);
}

/* Closing with requests held: every one is accounted for, nothing hangs. */
TEST_F(order, close_with_held_requests)
{
	struct acall_sqe sqes[64];
	unsigned int i;

	nop(&sqes[0], 200 * MS, 0, false, 0);
	for (i = 1; i < 64; i++)
		nop(&sqes[i], i % 2 ? 0 : MS, 0, i % 3 == 0, i);
	ASSERT_EQ(64, acall_submit(&self->ring, sqes, 64));
	acall_ring_exit(&self->ring);
	self->ring.fd = -1;
	/* A new context works at once. */
	ASSERT_EQ(0, acall_ring_init(&self->ring, NULL));
	nop(&sqes[0], 0, 0, true, 1);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqes[0]));
}

/*
 * A SUBMIT posts its inline completions in groups; a barrier after a dozen
 * of them in the same batch still finds them all complete and runs inline
 * itself, with nothing held and no worker: the call posts them before it
 * admits the barrier.
 */
TEST_F(order, barrier_after_inline_requests_of_its_batch_runs_inline)
{
	struct acall_sqe sqes[16];
	struct acall_cqe cqes[16];
	unsigned int i;

	for (i = 0; i < 16; i++)
		nop(&sqes[i], 0, 0, i == 12, i);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 16, cqes));
	/* Everything before the barrier completed before it, the rest after. */
	for (i = 0; i < 12; i++)
		EXPECT_GT(12, pos_of(cqes, 16, i)) TH_LOG("request %u", i);
	EXPECT_EQ(12, pos_of(cqes, 16, 12));
	for (i = 13; i < 16; i++)
		EXPECT_LT(12, pos_of(cqes, 16, i)) TH_LOG("request %u", i);
	ASSERT_EQ(0, acall_stats(&self->ring, &self->stats));
	EXPECT_EQ(16, self->stats.inline_done);
	EXPECT_EQ(1, self->stats.ordered);
	EXPECT_EQ(0, self->stats.order_waits);
	EXPECT_EQ(0, self->stats.punted);
}

/* Without tags, nothing of ordering shows on the hot path. */
TEST_F(order, untagged_requests_do_no_ordering_work)
{
	struct acall_sqe sqes[64];
	struct acall_cqe cqes[64];
	unsigned int i;

	for (i = 0; i < 64; i++)
		nop(&sqes[i], 0, i % 4, false, i);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 64, cqes));
	ASSERT_EQ(0, acall_stats(&self->ring, &self->stats));
	EXPECT_EQ(64, self->stats.inline_done);
	EXPECT_EQ(0, self->stats.ordered);
	EXPECT_EQ(0, self->stats.linked);
	EXPECT_EQ(0, self->stats.order_waits);
	EXPECT_EQ(0, self->stats.punted);
}

TEST_HARNESS_MAIN

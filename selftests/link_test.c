// SPDX-License-Identifier: GPL-2.0
/*
 * LINK chains: the next request of a batch starts only after the previous
 * one completed with every byte it asked for; otherwise the rest of the
 * chain completes with -ECANCELED and none of it runs (the file shows it).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define MS	1000000ULL
#define SZ	16384

FIXTURE(link) {
	struct acall_ring ring;
	struct acall_stats stats;
	unsigned char a[SZ], b[SZ], back[SZ];
	struct iovec ia, ib, iback;
	const char *dir;
	int fd;
};

FIXTURE_SETUP(link)
{
	struct acall_options opts = { .entries = 64 };

	self->fd = -1;
	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	ACALL_FIXTURE(self->dir, "ACALL_TEST_EXT4");
	self->fd = acall_tmpfile(self->dir, O_RDWR);
	ASSERT_LE(0, self->fd);
	acall_fill(self->a, SZ, 0, 1);
	acall_fill(self->b, SZ, 0, 2);
	self->ia = (struct iovec){ self->a, SZ };
	self->ib = (struct iovec){ self->b, SZ };
	self->iback = (struct iovec){ self->back, SZ };
	/* The file: SZ bytes of pattern 1. */
	ASSERT_EQ(SZ, pwrite(self->fd, self->a, SZ, 0));
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

FIXTURE_TEARDOWN(link)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Link sqes[0..nr) into one chain (user_data = index), run it, and check
 * that the completions came in chain order.
 */
static void run_chain(struct __test_metadata *_metadata,
		      struct acall_ring *ring, struct acall_sqe *sqes,
		      unsigned int nr, struct acall_cqe *cqes)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		acall_sqe_set_data(&sqes[i], i);
		if (i + 1 < nr)
			acall_sqe_set_link(&sqes[i]);
	}
	ASSERT_EQ(0, acall_run(ring, sqes, nr, cqes));
	for (i = 0; i < nr; i++)
		EXPECT_EQ(i, cqes[i].user_data);
}

/* A slow NOP linked to a write linked to a read: each sees the one before. */
TEST_F(link, chain_runs_in_order_and_sees_earlier_members)
{
	struct acall_sqe sqes[3];
	struct acall_cqe cqes[3];

	acall_prep_nop(&sqes[0], 20 * MS);
	acall_prep_pwritev(&sqes[1], self->fd, &self->ib, 1, 0, 0);
	acall_prep_preadv(&sqes[2], self->fd, &self->iback, 1, 0, 0);
	run_chain(_metadata, &self->ring, sqes, 3, cqes);
	EXPECT_EQ(0, cqes[0].res);
	EXPECT_EQ(SZ, cqes[1].res);
	EXPECT_EQ(SZ, cqes[2].res);
	EXPECT_EQ(-1, acall_check(self->back, SZ, 0, 2));
	ASSERT_EQ(0, acall_stats(&self->ring, &self->stats));
	EXPECT_EQ(2, self->stats.linked);
	EXPECT_EQ(2, self->stats.order_waits);
}

/*
 * The second member is ORDERED as well: held back by the link and by the
 * barrier at once, it is one request held, counted once.
 */
TEST_F(link, member_held_by_link_and_barrier_counts_once)
{
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];

	acall_prep_nop(&sqes[0], 20 * MS);
	acall_prep_nop(&sqes[1], 0);
	acall_sqe_set_ordered(&sqes[1]);
	run_chain(_metadata, &self->ring, sqes, 2, cqes);
	EXPECT_EQ(0, cqes[0].res);
	EXPECT_EQ(0, cqes[1].res);
	ASSERT_EQ(0, acall_stats(&self->ring, &self->stats));
	EXPECT_EQ(1, self->stats.linked);
	EXPECT_EQ(1, self->stats.ordered);
	EXPECT_EQ(1, self->stats.order_waits);
}

/*
 * The second member is a short read (it runs past the end of the file):
 * the write and the NOP after it complete with -ECANCELED, and the file
 * still holds pattern 1.
 */
static void run_short_read_chain(struct __test_metadata *_metadata,
				 FIXTURE_DATA(link) *self, __u64 nop_delay_ns,
				 bool read_is_barrier)
{
	struct acall_sqe sqes[4];
	struct acall_cqe cqes[4];

	acall_prep_nop(&sqes[0], nop_delay_ns);
	acall_prep_preadv(&sqes[1], self->fd, &self->iback, 1, SZ - 100, 0);
	if (read_is_barrier)
		acall_sqe_set_ordered(&sqes[1]);
	acall_prep_pwritev(&sqes[2], self->fd, &self->ib, 1, 0, 0);
	acall_prep_nop(&sqes[3], 0);
	run_chain(_metadata, &self->ring, sqes, 4, cqes);
	EXPECT_EQ(0, cqes[0].res);
	EXPECT_EQ(100, cqes[1].res);
	EXPECT_EQ(-ECANCELED, cqes[2].res);
	EXPECT_EQ(-ECANCELED, cqes[3].res);
	ASSERT_EQ(SZ, pread(self->fd, self->back, SZ, 0));
	EXPECT_EQ(-1, acall_check(self->back, SZ, 0, 1));
}

TEST_F(link, short_transfer_cancels_the_rest)
{
	run_short_read_chain(_metadata, self, 0, false);
}

/*
 * The same chain, its short read a barrier: the write after it is held by
 * its link and by the barrier, and is let go by the barrier's queue once
 * the link is open and marked; the same results, in chain order.
 */
TEST_F(link, failed_barrier_cancels_the_member_it_holds)
{
	run_short_read_chain(_metadata, self, 20 * MS, true);
}

/* A member refused at submission (bad fd) fails its chain the same way. */
TEST_F(link, refused_member_cancels_the_rest)
{
	struct acall_sqe sqes[4];
	struct acall_cqe cqes[4];

	acall_prep_nop(&sqes[0], 10 * MS);
	acall_prep_fdatasync(&sqes[1], -1);
	acall_prep_pwritev(&sqes[2], self->fd, &self->ib, 1, 0, 0);
	acall_prep_nop(&sqes[3], 0);
	run_chain(_metadata, &self->ring, sqes, 4, cqes);
	EXPECT_EQ(0, cqes[0].res);
	EXPECT_EQ(-EBADF, cqes[1].res);
	EXPECT_EQ(-ECANCELED, cqes[2].res);
	EXPECT_EQ(-ECANCELED, cqes[3].res);
	ASSERT_EQ(SZ, pread(self->fd, self->back, SZ, 0));
	EXPECT_EQ(-1, acall_check(self->back, SZ, 0, 1));
}

/* A chain ends with its batch; the next batch is not linked to it. */
TEST_F(link, chain_ends_with_the_batch)
{
	struct acall_sqe sqe;

	acall_prep_preadv(&sqe, self->fd, &self->iback, 1, SZ - 100, 0);
	acall_sqe_set_link(&sqe);
	EXPECT_EQ(100, acall_run1(&self->ring, &sqe));
	acall_prep_nop(&sqe, 0);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
}

/* Two chains in one batch: the failure of one leaves the other alone. */
TEST_F(link, chains_are_independent)
{
	struct acall_sqe sqes[4];
	struct acall_cqe cqes[4];
	unsigned int i;

	acall_prep_fdatasync(&sqes[0], -1);
	acall_prep_nop(&sqes[1], 0);
	acall_prep_nop(&sqes[2], 0);
	acall_prep_nop(&sqes[3], 0);
	acall_sqe_set_link(&sqes[0]);
	acall_sqe_set_link(&sqes[2]);
	for (i = 0; i < 4; i++)
		acall_sqe_set_data(&sqes[i], i);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 4, cqes));
	for (i = 0; i < 4; i++) {
		switch (cqes[i].user_data) {
		case 0:
			EXPECT_EQ(-EBADF, cqes[i].res);
			break;
		case 1:
			EXPECT_EQ(-ECANCELED, cqes[i].res);
			break;
		default:
			EXPECT_EQ(0, cqes[i].res);
		}
	}
}

/*
 * libacall's read-modify-write: read a block, write it back with 100 new
 * bytes in the middle, gathered around the old head and tail.
 */
TEST_F(link, read_modify_write_pattern)
{
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];
	struct iovec wv[3];
	unsigned char expect[SZ];

	memset(self->back, 0, SZ);
	wv[0] = (struct iovec){ self->back, 1000 };
	wv[1] = (struct iovec){ self->b + 1000, 100 };
	wv[2] = (struct iovec){ self->back + 1100, SZ - 1100 };
	acall_prep_read_write_linked(sqes, self->fd, &self->iback, 1, wv, 3,
				     0, 0, 5);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	EXPECT_EQ(SZ, cqes[0].res);
	EXPECT_EQ(SZ, cqes[1].res);
	memcpy(expect, self->a, SZ);
	memcpy(expect + 1000, self->b + 1000, 100);
	ASSERT_EQ(SZ, pread(self->fd, self->back, SZ, 0));
	EXPECT_EQ(0, memcmp(expect, self->back, SZ));
}

/*
 * The rest of a chain that a worker's short read broke is canceled where
 * the read completes: no worker is woken or created to post -ECANCELED.
 * Only the NOP and the read (released by the NOP, so first tried by a
 * worker) are punted.
 */
TEST_F(link, canceled_members_take_no_worker)
{
	struct acall_sqe sqes[16];
	struct acall_cqe cqes[16];
	struct acall_stats before, after;
	unsigned int i;

	ACALL_REQUIRE(ACALL_FEAT_STATS | ACALL_FEAT_WORKERS);
	acall_prep_nop(&sqes[0], 10 * MS);
	/* Past the end of the file: 0 bytes, a short read. */
	acall_prep_preadv(&sqes[1], self->fd, &self->iback, 1, 4 * SZ, 0);
	for (i = 2; i < 16; i++)
		acall_prep_nop(&sqes[i], 10 * MS);
	ASSERT_EQ(0, acall_stats(&self->ring, &before));
	run_chain(_metadata, &self->ring, sqes, 16, cqes);
	ASSERT_EQ(0, acall_stats(&self->ring, &after));

	EXPECT_EQ(0, cqes[0].res);
	EXPECT_EQ(0, cqes[1].res);
	for (i = 2; i < 16; i++)
		EXPECT_EQ(-ECANCELED, cqes[i].res);
	EXPECT_EQ(2, ACALL_DELTA(before, after, punted));
	EXPECT_EQ(14, ACALL_DELTA(before, after, canceled));
}

TEST_HARNESS_MAIN

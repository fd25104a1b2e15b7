// SPDX-License-Identifier: GPL-2.0
/*
 * A LINK chain is taken whole or not at all. When the ring has room for
 * only part of a batch, the module stops before the first chain that does
 * not fit; it fails with EBUSY when that is the first chain of the batch,
 * and with EINVAL when a chain is longer than the ring could ever hold, a
 * full ring or not. A
 * chain cut anywhere would run its tail as a chain of its own, even after
 * its head failed: every test here would see that.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define SZ	4096
/* A NOP delay above the 1 s limit: refused at submission with -EINVAL. */
#define BAD_DELAY	2000000000ULL

/*
 * Leave n completions of NOPs in the ring, unconsumed: the ring then has
 * room for entries - n more requests.
 */
static void occupy(struct __test_metadata *_metadata, struct acall_ring *ring,
		   unsigned int n)
{
	struct acall_sqe sqe;
	unsigned int i;

	for (i = 0; i < n; i++) {
		acall_prep_nop(&sqe, 0);
		acall_sqe_set_data(&sqe, 1000 + i);
		ASSERT_EQ(1, acall_submit(ring, &sqe, 1));
	}
	ASSERT_LE(n, acall_wait(ring, n, -1));
	ASSERT_EQ(n, acall_cq_ready(ring));
}

/* Consume n completions, checking they are the NOPs of occupy(). */
static void drain(struct __test_metadata *_metadata, struct acall_ring *ring,
		  unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct acall_cqe *cqe = acall_peek_cqe(ring);

		ASSERT_NE(NULL, cqe);
		EXPECT_LE(1000, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		acall_cq_advance(ring, 1);
	}
}

/* Wait for n completions and consume them into out[], in ring order. */
static void reap(struct __test_metadata *_metadata, struct acall_ring *ring,
		 struct acall_cqe *out, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct acall_cqe *cqe;

		ASSERT_EQ(0, acall_wait_cqe(ring, &cqe, -1));
		out[i] = *cqe;
		acall_cq_advance(ring, 1);
	}
}

/* sqes[0..n): NOPs with user_data base + i, linked into one chain. */
static void nop_chain(struct acall_sqe *sqes, unsigned int n, __u64 base,
		      bool link_last)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		acall_prep_nop(&sqes[i], 0);
		acall_sqe_set_data(&sqes[i], base + i);
		if (i + 1 < n || link_last)
			acall_sqe_set_link(&sqes[i]);
	}
}

static __u64 submitted(struct __test_metadata *_metadata,
		       struct acall_ring *ring)
{
	struct acall_stats st;

	EXPECT_EQ(0, acall_stats(ring, &st));
	EXPECT_EQ(0, st.inflight);
	return st.submitted;
}

/*
 * Room for 2 of 3: a single NOP, then a chain whose head is refused. The
 * module takes the NOP and stops at the chain; after reaping, the chain
 * goes whole and its tail is canceled, not run.
 */
TEST(chain_crossing_the_cut_waits_whole)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqes[3];
	struct acall_cqe cqes[2];

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	occupy(_metadata, &ring, 6);

	acall_prep_nop(&sqes[0], 0);
	acall_sqe_set_data(&sqes[0], 0);
	acall_prep_nop(&sqes[1], BAD_DELAY);
	acall_sqe_set_data(&sqes[1], 1);
	acall_sqe_set_link(&sqes[1]);
	acall_prep_nop(&sqes[2], 0);
	acall_sqe_set_data(&sqes[2], 2);

	/* Up to the chain's start, never into it. */
	ASSERT_EQ(1, acall_submit(&ring, sqes, 3));
	ASSERT_EQ(7, acall_wait(&ring, 7, -1));
	drain(_metadata, &ring, 6);
	reap(_metadata, &ring, cqes, 1);
	EXPECT_EQ(0, cqes[0].user_data);
	EXPECT_EQ(0, cqes[0].res);
	EXPECT_EQ(-ETIME, acall_wait(&ring, 1, 0));

	/* Now the chain, whole. */
	ASSERT_EQ(2, acall_submit(&ring, sqes + 1, 2));
	reap(_metadata, &ring, cqes, 2);
	EXPECT_EQ(1, cqes[0].user_data);
	EXPECT_EQ(-EINVAL, cqes[0].res);
	EXPECT_EQ(2, cqes[1].user_data);
	EXPECT_EQ(-ECANCELED, cqes[1].res);
	acall_ring_exit(&ring);
}

/*
 * The first chain does not fit: EBUSY, nothing taken, nothing posted, no
 * slot kept. Whatever fits is taken by the next call, and the chain once
 * there is room.
 */
TEST(first_chain_that_does_not_fit_is_ebusy)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqes[3], one[2];
	struct acall_cqe cqes[3];
	unsigned int i;
	__u64 before;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING | ACALL_FEAT_STATS);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	occupy(_metadata, &ring, 6);
	before = submitted(_metadata, &ring);

	nop_chain(sqes, 3, 0, false);
	EXPECT_EQ(-EBUSY, acall_submit(&ring, sqes, 3));
	/* Also when the chain runs to the end of the batch. */
	nop_chain(sqes, 3, 0, true);
	EXPECT_EQ(-EBUSY, acall_submit(&ring, sqes, 3));
	EXPECT_EQ(6, acall_cq_ready(&ring));
	EXPECT_EQ(before, submitted(_metadata, &ring));

	/* The two free slots are still free. */
	for (i = 0; i < 2; i++) {
		acall_prep_nop(&one[i], 0);
		acall_sqe_set_data(&one[i], 1000 + 6 + i);
	}
	EXPECT_EQ(2, acall_submit(&ring, one, 2));
	ASSERT_EQ(8, acall_wait(&ring, 8, -1));
	drain(_metadata, &ring, 8);

	nop_chain(sqes, 3, 0, false);
	ASSERT_EQ(3, acall_submit(&ring, sqes, 3));
	reap(_metadata, &ring, cqes, 3);
	for (i = 0; i < 3; i++) {
		EXPECT_EQ(i, cqes[i].user_data);
		EXPECT_EQ(0, cqes[i].res);
	}
	acall_ring_exit(&ring);
}

/* A chain longer than the ring could never fit: EINVAL, nothing taken. */
TEST(chain_longer_than_the_ring_is_einval)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqes[10];
	struct acall_cqe cqe;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING | ACALL_FEAT_STATS);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));

	nop_chain(sqes, 9, 0, false);
	EXPECT_EQ(-EINVAL, acall_submit(&ring, sqes, 9));
	nop_chain(sqes, 9, 0, true);
	EXPECT_EQ(-EINVAL, acall_submit(&ring, sqes, 9));
	EXPECT_EQ(0, acall_cq_ready(&ring));
	EXPECT_EQ(0, submitted(_metadata, &ring));

	/* Not EBUSY either while the ring is partly full. */
	occupy(_metadata, &ring, 6);
	EXPECT_EQ(-EINVAL, acall_submit(&ring, sqes, 9));
	drain(_metadata, &ring, 6);

	/* Nor while it is full: no reaping would ever make room for it. */
	occupy(_metadata, &ring, 8);
	EXPECT_EQ(-EINVAL, acall_submit(&ring, sqes, 9));
	/* A chain of the ring's size, then another request: only waiting. */
	nop_chain(sqes, 8, 0, false);
	acall_prep_nop(&sqes[8], 0);
	EXPECT_EQ(-EBUSY, acall_submit(&ring, sqes, 9));
	drain(_metadata, &ring, 8);

	/* Behind a single request: that one is taken, then EINVAL. */
	acall_prep_nop(&sqes[0], 0);
	acall_sqe_set_data(&sqes[0], 100);
	nop_chain(sqes + 1, 9, 1, false);
	ASSERT_EQ(1, acall_submit(&ring, sqes, 10));
	EXPECT_EQ(-EINVAL, acall_submit(&ring, sqes + 1, 9));
	reap(_metadata, &ring, &cqe, 1);
	EXPECT_EQ(100, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	EXPECT_EQ(-ETIME, acall_wait(&ring, 1, 0));
	EXPECT_EQ(15, submitted(_metadata, &ring));
	acall_ring_exit(&ring);
}

static __u32 inflight_peak(struct __test_metadata *_metadata,
			   struct acall_ring *ring)
{
	struct acall_stats st;

	EXPECT_EQ(0, acall_stats(ring, &st));
	return st.inflight_peak;
}

/*
 * A SUBMIT reserves the ring's room for its whole batch before it reads
 * it; the room a refused or cut-short batch gives back took no request and
 * is not in the in-flight peak (ACALL_IOC_STATS inflight_peak).
 */
TEST(room_given_back_is_not_in_the_peak)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqes[10], *end;
	struct acall_cqe cqe;
	char *page;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING | ACALL_FEAT_STATS);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));

	/* Refused whole: a chain longer than the ring, an unreadable batch. */
	nop_chain(sqes, 9, 0, false);
	EXPECT_EQ(-EINVAL, acall_submit(&ring, sqes, 9));
	page = acall_page_before_hole();
	ASSERT_NE(MAP_FAILED, page);
	end = (struct acall_sqe *)(page + 4096);
	EXPECT_EQ(-EFAULT, acall_submit(&ring, end, 4));
	munmap(page, 8192);
	EXPECT_EQ(0, inflight_peak(_metadata, &ring));

	/* Cut short after one request: one was in flight, not eight. */
	acall_prep_nop(&sqes[0], 0);
	acall_sqe_set_data(&sqes[0], 100);
	nop_chain(sqes + 1, 9, 1, false);
	ASSERT_EQ(1, acall_submit(&ring, sqes, 10));
	reap(_metadata, &ring, &cqe, 1);
	EXPECT_EQ(100, cqe.user_data);
	EXPECT_EQ(1, inflight_peak(_metadata, &ring));
	EXPECT_EQ(1, submitted(_metadata, &ring));
	acall_ring_exit(&ring);
}

/*
 * A chain as long as the ring fits exactly, but only into an empty ring:
 * EBUSY (not EINVAL, not part of it) until then.
 */
TEST(chain_of_ring_size_fits_an_empty_ring)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqes[9];
	struct acall_cqe cqes[8];
	unsigned int i;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));

	occupy(_metadata, &ring, 1);
	nop_chain(sqes, 8, 0, false);
	EXPECT_EQ(-EBUSY, acall_submit(&ring, sqes, 8));
	drain(_metadata, &ring, 1);
	ASSERT_EQ(8, acall_submit(&ring, sqes, 8));
	reap(_metadata, &ring, cqes, 8);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(i, cqes[i].user_data);
		EXPECT_EQ(0, cqes[i].res);
	}

	/* Behind a single request in an empty ring: the single goes alone. */
	acall_prep_nop(&sqes[0], 0);
	acall_sqe_set_data(&sqes[0], 100);
	nop_chain(sqes + 1, 8, 0, true);
	ASSERT_EQ(1, acall_submit(&ring, sqes, 9));
	reap(_metadata, &ring, cqes, 1);
	EXPECT_EQ(100, cqes[0].user_data);
	ASSERT_EQ(8, acall_submit(&ring, sqes + 1, 8));
	reap(_metadata, &ring, cqes, 8);
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(i, cqes[i].user_data);
		EXPECT_EQ(0, cqes[i].res);
	}
	acall_ring_exit(&ring);
}

/*
 * A request that is not readable inside a chain ends the batch before the
 * chain: nothing of it is taken, nothing of it runs.
 */
TEST(fault_inside_a_chain_takes_none_of_it)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe *end;
	struct acall_cqe cqe;
	char *page;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING | ACALL_FEAT_STATS);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	page = acall_page_before_hole();
	ASSERT_NE(MAP_FAILED, page);
	end = (struct acall_sqe *)(page + 4096);

	/* A single NOP, then a chain whose second member is unreadable. */
	acall_prep_nop(end - 2, 0);
	acall_sqe_set_data(end - 2, 1);
	acall_prep_nop(end - 1, 0);
	acall_sqe_set_data(end - 1, 2);
	acall_sqe_set_link(end - 1);
	EXPECT_EQ(1, acall_submit(&ring, end - 2, 3));
	reap(_metadata, &ring, &cqe, 1);
	EXPECT_EQ(1, cqe.user_data);
	/* The chain first: EFAULT. */
	EXPECT_EQ(-EFAULT, acall_submit(&ring, end - 1, 2));
	EXPECT_EQ(-ETIME, acall_wait(&ring, 1, 0));
	EXPECT_EQ(1, submitted(_metadata, &ring));
	munmap(page, 8192);
	acall_ring_exit(&ring);
}

/*
 * Submit every request as a caller does: take what the module takes; on
 * EBUSY consume a completion into out[] and retry. Returns how many
 * completions were consumed, or -errno.
 */
static int submit_all(struct acall_ring *ring, const struct acall_sqe *sqes,
		      unsigned int nr, struct acall_cqe *out)
{
	unsigned int sent = 0, got = 0;
	struct acall_cqe *cqe;
	int ret;

	while (sent < nr) {
		ret = acall_submit(ring, sqes + sent, nr - sent);
		if (ret > 0) {
			sent += ret;
			continue;
		}
		if (ret != -EBUSY)
			return ret ? ret : -EPROTO;
		ret = acall_wait_cqe(ring, &cqe, -1);
		if (ret)
			return ret;
		out[got++] = *cqe;
		acall_cq_advance(ring, 1);
	}
	return got;
}

/*
 * libacall's read-modify-write pair with room for one request: the read is
 * short (it runs past the end of the file), so the write must not run.
 * Split at the cut, the write would go alone and overwrite the file.
 */
TEST(read_write_linked_with_room_for_one)
{
	struct acall_options opts = { .entries = 4 };
	static unsigned char rbuf[2 * SZ], wbuf[SZ], back[SZ];
	struct iovec riov = { rbuf, sizeof(rbuf) };
	struct iovec wiov = { wbuf, sizeof(wbuf) };
	struct acall_cqe cqes[8];
	struct acall_ring ring;
	struct acall_sqe sqes[2];
	const char *dir;
	int fd, got, i, seen = 0;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, SZ, 1));
	acall_fill(wbuf, SZ, 0, 2);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	occupy(_metadata, &ring, 3);

	acall_prep_read_write_linked(sqes, fd, &riov, 1, &wiov, 1, 0, 0, 7);
	sqes[1].user_data = 8;
	got = submit_all(&ring, sqes, 2, cqes);
	ASSERT_LE(0, got);
	/* The rest of the 3 NOPs and the pair. */
	reap(_metadata, &ring, cqes + got, 5 - got);
	for (i = 0; i < 5; i++) {
		if (cqes[i].user_data == 7) {
			EXPECT_EQ(SZ, cqes[i].res);
			seen |= 1;
		} else if (cqes[i].user_data == 8) {
			EXPECT_EQ(-ECANCELED, cqes[i].res);
			seen |= 2;
		}
	}
	EXPECT_EQ(3, seen);
	/* The file is untouched. */
	ASSERT_EQ(SZ, pread(fd, back, SZ, 0));
	EXPECT_EQ(-1, acall_check(back, SZ, 0, 1));
	acall_ring_exit(&ring);
	close(fd);
}

/*
 * Where each chain starts and how long it is, against the groups the
 * module reads requests in: a batch of ten NOPs with one chain at
 * [start, start + len), whose head is refused (BAD_DELAY). Exactly its
 * members complete with -ECANCELED, each request once, whatever group
 * boundary the chain starts on, crosses or ends at.
 */
TEST(chain_membership_at_every_position)
{
	struct acall_options opts = { .entries = 16 };
	struct acall_sqe sqes[10];
	struct acall_cqe cqes[10];
	struct acall_ring ring;
	unsigned int start, len, i;
	int seen[10];

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	for (start = 0; start < 8; start++) {
		for (len = 2; start + len <= 10 && len <= 7; len++) {
			for (i = 0; i < 10; i++) {
				acall_prep_nop(&sqes[i],
					       i == start ? BAD_DELAY : 0);
				acall_sqe_set_data(&sqes[i], i);
			}
			for (i = start; i + 1 < start + len; i++)
				acall_sqe_set_link(&sqes[i]);
			ASSERT_EQ(10, acall_submit(&ring, sqes, 10));
			reap(_metadata, &ring, cqes, 10);
			memset(seen, 0, sizeof(seen));
			for (i = 0; i < 10; i++) {
				__u64 k = cqes[i].user_data;
				int want = 0;

				ASSERT_GT(10, k);
				seen[k]++;
				if (k == start)
					want = -EINVAL;
				else if (k > start && k < start + len)
					want = -ECANCELED;
				EXPECT_EQ(want, cqes[i].res)
					TH_LOG("chain [%u, %u): request %llu",
					       start, start + len,
					       (unsigned long long)k);
			}
			for (i = 0; i < 10; i++)
				EXPECT_EQ(1, seen[i]) TH_LOG("request %u", i);
			EXPECT_EQ(-ETIME, acall_wait(&ring, 1, 0));
		}
	}
	acall_ring_exit(&ring);
}

/*
 * k readable requests before an unreadable page, the last two of them the
 * head of a chain that runs into it: the k - 2 before the chain are taken
 * and run, however the module groups its reads, and nothing of the chain.
 */
TEST(fault_in_a_chain_after_k_requests)
{
	struct acall_options opts = { .entries = 16 };
	struct acall_sqe *end, *first;
	struct acall_ring ring;
	struct acall_cqe cqe;
	unsigned int k, i;
	__u64 before;
	char *page;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING | ACALL_FEAT_STATS);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	page = acall_page_before_hole();
	ASSERT_NE(MAP_FAILED, page);
	end = (struct acall_sqe *)(page + 4096);
	for (k = 3; k <= 9; k++) {
		first = end - k;
		for (i = 0; i < k; i++) {
			acall_prep_nop(&first[i], 0);
			acall_sqe_set_data(&first[i], i);
		}
		acall_sqe_set_link(&first[k - 2]);
		acall_sqe_set_link(&first[k - 1]);
		before = submitted(_metadata, &ring);
		EXPECT_EQ(k - 2, acall_submit(&ring, first, k + 1))
			TH_LOG("k %u", k);
		for (i = 0; i < k - 2; i++) {
			reap(_metadata, &ring, &cqe, 1);
			EXPECT_EQ(i, cqe.user_data);
			EXPECT_EQ(0, cqe.res);
		}
		EXPECT_EQ(-ETIME, acall_wait(&ring, 1, 0));
		EXPECT_EQ(before + k - 2, submitted(_metadata, &ring));
	}
	munmap(page, 8192);
	acall_ring_exit(&ring);
}

TEST_HARNESS_MAIN

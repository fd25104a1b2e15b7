// SPDX-License-Identifier: GPL-2.0
/*
 * LINK chains through libacall's queue: acall_enqueue_n() keeps a group
 * together whatever other threads enqueue, and a flush hands every chain to
 * the module whole, never cut by its batch limit nor by a full ring.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

/* A NOP delay above the 1 s limit: refused at submission with -EINVAL. */
#define BAD_DELAY	2000000000ULL

TEST(enqueue_n_refuses_what_would_cut_a_chain)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqes[9];
	unsigned int i;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	for (i = 0; i < 9; i++) {
		acall_prep_nop(&sqes[i], 0);
		acall_sqe_set_link(&sqes[i]);
	}
	/* Ending inside a chain: another thread's request would join it. */
	EXPECT_EQ(-EINVAL, acall_enqueue(&ring, &sqes[0]));
	EXPECT_EQ(-EINVAL, acall_enqueue_n(&ring, sqes, 2));
	/* A chain longer than the ring could never be submitted. */
	sqes[8].flags = 0;
	EXPECT_EQ(-EINVAL, acall_enqueue_n(&ring, sqes, 9));
	EXPECT_EQ(0, acall_queued(&ring));
	/* As long as the ring: fine; so are several chains and singles. */
	EXPECT_EQ(0, acall_enqueue_n(&ring, sqes + 1, 8));
	sqes[3].flags = 0;
	EXPECT_EQ(0, acall_enqueue_n(&ring, sqes, 9));
	EXPECT_EQ(0, acall_enqueue_n(&ring, sqes, 0));
	EXPECT_EQ(17, acall_queued(&ring));
	acall_ring_exit(&ring);
}

/*
 * 6 single NOPs and then a chain of 4 whose head fails, in an 8-entry
 * ring. The flush's first batch stops before the chain (8 would cut it);
 * the chain does not fit beside the 6 completions, so it waits, whole, and
 * fails whole once there is room.
 */
TEST(flush_never_cuts_a_chain)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqe, chain[4];
	struct acall_cqe *cqe;
	unsigned int i;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	for (i = 0; i < 6; i++) {
		acall_prep_nop(&sqe, 0);
		acall_sqe_set_data(&sqe, i);
		ASSERT_EQ(0, acall_enqueue(&ring, &sqe));
	}
	for (i = 0; i < 4; i++) {
		acall_prep_nop(&chain[i], i ? 0 : BAD_DELAY);
		acall_sqe_set_data(&chain[i], 6 + i);
		if (i < 3)
			acall_sqe_set_link(&chain[i]);
	}
	ASSERT_EQ(0, acall_enqueue_n(&ring, chain, 4));

	EXPECT_EQ(6, acall_flush(&ring));
	EXPECT_EQ(4, acall_queued(&ring));
	EXPECT_EQ(-EBUSY, acall_flush(&ring));
	ASSERT_EQ(6, acall_wait(&ring, 6, -1));
	for (i = 0; i < 6; i++) {
		cqe = acall_peek_cqe(&ring);
		ASSERT_NE(NULL, cqe);
		EXPECT_EQ(i, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		acall_cq_advance(&ring, 1);
	}
	EXPECT_EQ(4, acall_flush(&ring));
	EXPECT_EQ(0, acall_queued(&ring));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		EXPECT_EQ(6 + i, cqe->user_data);
		EXPECT_EQ(i ? -ECANCELED : -EINVAL, cqe->res);
		acall_cq_advance(&ring, 1);
	}
	acall_ring_exit(&ring);
}

/* ---- many threads, chains and single requests ----------------------------- */

#define THREADS		6
#define PER_THREAD	400		/* enqueue calls per thread */
#define IDS		(THREADS * PER_THREAD)
#define MAX_CHAIN	6
#define NO_FAIL		0xff

/*
 * user_data: bit 63 set for a chain member, with the chain's id, length,
 * failing member (NO_FAIL for none) and its own index; a single request is
 * its id alone.
 */
static __u64 member_data(unsigned int id, unsigned int len, unsigned int fail,
			 unsigned int idx)
{
	return 1ULL << 63 | (__u64)id << 24 | len << 16 | fail << 8 | idx;
}

struct mix {
	struct acall_ring ring;
	unsigned long submitted;	/* sum of what every flush took */
	unsigned long errors;		/* enqueue or flush errors */
	unsigned int done;		/* threads finished enqueueing */
};

struct worker {
	struct mix *m;
	unsigned int id;
	pthread_t thread;
};

static void count_flush(struct mix *m, int ret)
{
	if (ret > 0)
		__atomic_fetch_add(&m->submitted, ret, __ATOMIC_SEQ_CST);
	else if (ret < 0 && ret != -EBUSY)
		__atomic_fetch_add(&m->errors, 1, __ATOMIC_SEQ_CST);
}

/*
 * Each thread enqueues, in a fixed pseudo-random mix, single NOPs and
 * chains of 2 to MAX_CHAIN NOPs with short delays (so that members run in
 * workers while other requests come and go), half of the chains with a
 * member that is refused; it flushes now and then too.
 */
static void *enqueue_mix(void *arg)
{
	struct worker *w = arg;
	struct mix *m = w->m;
	struct acall_sqe sqes[MAX_CHAIN];
	unsigned int seed = 12345 + w->id, i, k;
	int ret;

	for (i = 0; i < PER_THREAD; i++) {
		unsigned int id = w->id * PER_THREAD + i;
		unsigned int r = rand_r(&seed);
		unsigned int len = 2 + r % (MAX_CHAIN - 1);
		unsigned int fail = (r >> 8) & 1 ? (r >> 9) % len : NO_FAIL;

		if ((r >> 16) % 3 == 0) {
			acall_prep_nop(&sqes[0], 0);
			acall_sqe_set_data(&sqes[0], id);
			ret = acall_enqueue(&m->ring, &sqes[0]);
		} else {
			for (k = 0; k < len; k++) {
				acall_prep_nop(&sqes[k], k == fail ? BAD_DELAY :
					       (k % 2) * 20000);
				acall_sqe_set_data(&sqes[k],
						   member_data(id, len, fail, k));
				if (k + 1 < len)
					acall_sqe_set_link(&sqes[k]);
			}
			ret = acall_enqueue_n(&m->ring, sqes, len);
		}
		if (ret)
			__atomic_fetch_add(&m->errors, 1, __ATOMIC_SEQ_CST);
		if (i % 16 == 15)
			count_flush(m, acall_flush(&m->ring));
	}
	__atomic_fetch_add(&m->done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

struct check {
	unsigned char next[IDS];	/* a chain's next member, or singles seen */
	unsigned char len[IDS];		/* 0 for a single */
	unsigned long total, bad_data, bad_res, out_of_order;
};

static void check_cqe(struct check *c, const struct acall_cqe *cqe)
{
	__u64 ud = cqe->user_data;
	unsigned int id, len, fail, idx;
	int want;

	c->total++;
	if (!(ud >> 63)) {
		if (ud >= IDS || c->len[ud]) {
			c->bad_data++;
			return;
		}
		c->next[ud]++;
		c->bad_res += cqe->res != 0;
		return;
	}
	id = (ud >> 24) & 0xffffff;
	len = (ud >> 16) & 0xff;
	fail = (ud >> 8) & 0xff;
	idx = ud & 0xff;
	if (id >= IDS || len < 2 || len > MAX_CHAIN || idx >= len) {
		c->bad_data++;
		return;
	}
	c->len[id] = len;
	/* Completions of a chain appear in chain order. */
	if (c->next[id] != idx)
		c->out_of_order++;
	c->next[id] = idx + 1;
	want = idx < fail ? 0 : idx == fail ? -EINVAL : -ECANCELED;
	c->bad_res += cqe->res != want;
}

/*
 * A small ring keeps filling, so flushes keep stopping part way through
 * the queue, and batches keep reaching the ring's size. A chain cut either
 * way would run its tail after its failed member (res 0, not -ECANCELED);
 * a request of another thread inside a chain would be canceled with it, or
 * would end it early and let the rest run out of order.
 */
TEST(threads_enqueue_chains_and_singles)
{
	struct acall_options opts = { .entries = 16 };
	struct worker w[THREADS];
	struct check *c;
	struct acall_cqe *cqe;
	unsigned long singles = 0, members = 0;
	struct mix m;
	unsigned int i;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	memset(&m, 0, sizeof(m));
	ASSERT_EQ(0, acall_ring_init(&m.ring, &opts));
	c = calloc(1, sizeof(*c));
	ASSERT_NE(NULL, c);

	for (i = 0; i < THREADS; i++) {
		w[i].m = &m;
		w[i].id = i;
		ASSERT_EQ(0, pthread_create(&w[i].thread, NULL, enqueue_mix,
					    &w[i]));
	}
	/* This thread flushes and is the only reaper. */
	for (;;) {
		bool done = __atomic_load_n(&m.done, __ATOMIC_SEQ_CST) ==
			    THREADS;
		unsigned long before = c->total;

		count_flush(&m, acall_flush(&m.ring));
		while ((cqe = acall_peek_cqe(&m.ring))) {
			check_cqe(c, cqe);
			acall_cq_advance(&m.ring, 1);
		}
		if (c->total != before)
			continue;
		if (__atomic_load_n(&m.submitted, __ATOMIC_SEQ_CST) > c->total) {
			ASSERT_LE(1, acall_wait(&m.ring, 1, -1));
			continue;
		}
		if (done && acall_queued(&m.ring) == 0)
			break;
		sched_yield();
	}
	for (i = 0; i < THREADS; i++)
		ASSERT_EQ(0, pthread_join(w[i].thread, NULL));

	EXPECT_EQ(0, m.errors);
	EXPECT_EQ(0, c->bad_data);
	EXPECT_EQ(0, c->bad_res);
	EXPECT_EQ(0, c->out_of_order);
	for (i = 0; i < IDS; i++) {
		if (c->len[i]) {
			EXPECT_EQ(c->len[i], c->next[i]);
			members += c->len[i];
		} else {
			EXPECT_EQ(1, c->next[i]);
			singles++;
		}
	}
	EXPECT_EQ(singles + members, c->total);
	EXPECT_EQ(c->total, m.submitted);
	TH_LOG("%lu singles, %lu chain members", singles, members);
	free(c);
	acall_ring_exit(&m.ring);
}

TEST_HARNESS_MAIN

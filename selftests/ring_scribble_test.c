// SPDX-License-Identifier: GPL-2.0
/*
 * The completion ring is mapped read-write, so every byte of it is the
 * caller's to scribble on. The module relies only on its own copies of the
 * ring's size and tail; from the mapping it reads head and the flags word
 * and treats any value there as untrusted (Documentation/acall.rst,
 * "Completions"). Scribbling may cost the caller its own completions'
 * visibility, never the kernel's memory.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <sys/ioctl.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define ENTRIES	32
#define ROUNDS	400

struct scribbler {
	struct acall_raw *r;
	atomic_bool stop;
	unsigned long writes;
};

/* Write hostile values into every field but head, until told to stop. */
static void *scribble(void *arg)
{
	struct scribbler *s = arg;
	__u32 x = 0x9e3779b9;

	while (!atomic_load(&s->stop)) {
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		__atomic_store_n(s->r->ring_mask, x | 0xffff0000u, __ATOMIC_RELAXED);
		__atomic_store_n(s->r->ring_entries, ~x, __ATOMIC_RELAXED);
		__atomic_store_n(s->r->tail, x * 7, __ATOMIC_RELAXED);
		__atomic_store_n(s->r->flags, x | ~1u, __ATOMIC_RELAXED);
		s->writes++;
	}
	return NULL;
}

FIXTURE(scribble) {
	struct acall_raw r;
	/* Stopped and joined by the teardown too: a failed ASSERT leaves. */
	struct scribbler s;
	pthread_t thread;
	bool running;
};

FIXTURE_SETUP(scribble)
{
	int fd;

	self->r.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	fd = acall_open_device();
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_raw_setup(&self->r, fd, ENTRIES));
	ASSERT_EQ(ENTRIES - 1, self->r.mask);
}

/* Stop the scribbler, whose writes go to the ring until it is joined. */
static int scribble_stop(FIXTURE_DATA(scribble) *self)
{
	if (!self->running)
		return 0;
	self->running = false;
	atomic_store(&self->s.stop, true);
	return pthread_join(self->thread, NULL);
}

FIXTURE_TEARDOWN(scribble)
{
	/* Before the ring goes: a stray write would hit whatever is there next. */
	scribble_stop(self);
	acall_raw_unmap(&self->r);
	if (self->r.fd >= 0)
		close(self->r.fd);
}

/*
 * A burst of completions, inline and from workers, while another thread
 * keeps writing garbage into ring_mask, ring_entries, tail and flags: every
 * completion lands in the slot the real mask gives, exactly once, and WAIT
 * counts from the module's own tail.
 */
TEST_F_TIMEOUT(scribble, mask_entries_tail_and_flags_are_not_trusted, 300)
{
	struct acall_sqe sqes[ENTRIES];
	__u32 head = 0;
	int round, i;

	self->s.r = &self->r;
	ASSERT_EQ(0, pthread_create(&self->thread, NULL, scribble, &self->s));
	self->running = true;
	for (round = 0; round < ROUNDS; round++) {
		unsigned char seen[ENTRIES] = { 0 };

		memset(sqes, 0, sizeof(sqes));
		for (i = 0; i < ENTRIES; i++) {
			sqes[i].opcode = ACALL_OP_NOP;
			sqes[i].user_data = (__u64)round * ENTRIES + i;
			/* Every fourth goes through a worker. */
			if (i % 4 == 0)
				sqes[i].len64 = 1000;
		}
		ASSERT_EQ(ENTRIES, acall_raw_submit(self->r.fd, sqes, ENTRIES));
		ASSERT_EQ(ENTRIES, acall_raw_wait(self->r.fd, ENTRIES, -1));
		for (i = 0; i < ENTRIES; i++) {
			struct acall_cqe *cqe = &self->r.cqes[(head + i) % ENTRIES];
			__u64 n = cqe->user_data - (__u64)round * ENTRIES;

			ASSERT_EQ(0, cqe->res);
			ASSERT_GT(ENTRIES, n) TH_LOG("round %d slot %d: user_data %llu",
						     round, i,
						     (unsigned long long)cqe->user_data);
			ASSERT_EQ(0, seen[n]);
			seen[n] = 1;
		}
		head += ENTRIES;
		__atomic_store_n(self->r.head, head, __ATOMIC_RELEASE);
	}
	ASSERT_EQ(0, scribble_stop(self));
	ASSERT_LT(0, self->s.writes);

	/* Nothing is left over: the ring is empty by the module's count. */
	ASSERT_EQ(-ETIME, acall_raw_wait(self->r.fd, 1, 0));
}

/*
 * A head that is not within entries behind the module's tail, ahead of it
 * or far behind it, makes the ring count as full: SUBMIT takes nothing and
 * WAIT returns at once with the ring's size. Putting head back restores
 * every completion.
 */
TEST_F(scribble, head_out_of_range_counts_as_full)
{
	const __u32 bad_heads[] = { 1, 100, 0x80000000u, (__u32)-ENTRIES - 1,
				    (__u32)-1000 };
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	unsigned int i;

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = ACALL_OP_NOP;
	/* Three completions posted and not consumed: tail is 3, head 0. */
	for (i = 0; i < 3; i++) {
		sqe.user_data = i;
		ASSERT_EQ(1, acall_raw_submit(self->r.fd, &sqe, 1));
	}
	ASSERT_EQ(3, acall_raw_wait(self->r.fd, 3, -1));

	for (i = 0; i < sizeof(bad_heads) / sizeof(bad_heads[0]); i++) {
		/* tail + bad_heads[i]: ahead of tail, or more than entries behind. */
		__atomic_store_n(self->r.head, 3 + bad_heads[i], __ATOMIC_RELEASE);
		sqe.user_data = 100 + i;
		EXPECT_EQ(-EBUSY, acall_raw_submit(self->r.fd, &sqe, 1))
			TH_LOG("head %u", 3 + bad_heads[i]);
		EXPECT_EQ(ENTRIES, acall_raw_wait(self->r.fd, 1, 0))
			TH_LOG("head %u", 3 + bad_heads[i]);
		EXPECT_EQ(ENTRIES, acall_raw_wait(self->r.fd, ENTRIES, -1))
			TH_LOG("head %u", 3 + bad_heads[i]);
	}

	__atomic_store_n(self->r.head, 0, __ATOMIC_RELEASE);
	sqe.user_data = 3;
	ASSERT_EQ(1, acall_raw_submit(self->r.fd, &sqe, 1));
	ASSERT_EQ(4, acall_raw_wait(self->r.fd, 4, -1));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, acall_raw_reap(&self->r, &cqe));
		EXPECT_EQ(i, cqe.user_data);
		EXPECT_EQ(0, cqe.res);
	}
	ASSERT_EQ(-ETIME, acall_raw_wait(self->r.fd, 1, 0));
}

TEST_HARNESS_MAIN

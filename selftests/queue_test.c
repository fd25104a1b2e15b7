// SPDX-License-Identifier: GPL-2.0
/*
 * libacall's submission queue and its thin wrappers: many threads enqueue at
 * once, flushes keep leftovers first in line when the ring is small, every
 * request completes exactly once, and every error is a negative errno.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

#include "kselftest_harness.h"
#include <acall.h>

/* Features of the running module, or 0 if it cannot be probed. */
static __u64 features(void)
{
	struct acall_probe probe;

	return acall_probe(-1, &probe) ? 0 : probe.features;
}

#define REQUIRE(feat) do {						\
	if (!(features() & (feat)))					\
		SKIP(return, "the module does not support " #feat);	\
} while (0)

static void nop(struct acall_sqe *sqe, __u64 user_data)
{
	acall_prep_nop(sqe, 0);
	acall_sqe_set_data(sqe, user_data);
}

/* What a reaper saw. */
struct reaped {
	unsigned long total;	/* completions seen */
	unsigned long bad_data;	/* user_data out of range */
	unsigned long bad_res;	/* res != 0 */
};

/* Reap every ready completion into seen[], counting bad ones. */
static void reap(struct acall_ring *ring, unsigned char *seen,
		 unsigned long nr, struct reaped *r)
{
	struct acall_cqe *cqe;

	while ((cqe = acall_peek_cqe(ring))) {
		if (cqe->user_data < nr)
			seen[cqe->user_data]++;
		else
			r->bad_data++;
		if (cqe->res != 0)
			r->bad_res++;
		r->total++;
		acall_cq_advance(ring, 1);
	}
}

/* ---- many enqueuers, one reaper ------------------------------------------ */

#define PRODUCERS	8
#define PER_PRODUCER	2000
#define TOTAL		(PRODUCERS * PER_PRODUCER)

struct stress {
	struct acall_ring ring;
	bool producers_flush;		/* producers flush now and then too */
	unsigned long submitted;	/* sum of what every flush took */
	unsigned long enqueue_errors;
	unsigned long flush_errors;	/* anything but -EBUSY */
	unsigned int producers_done;
};

struct producer {
	struct stress *s;
	unsigned int id;
	pthread_t thread;
};

static void count_flush(struct stress *s, int ret)
{
	if (ret > 0)
		__atomic_fetch_add(&s->submitted, ret, __ATOMIC_SEQ_CST);
	else if (ret < 0 && ret != -EBUSY)
		__atomic_fetch_add(&s->flush_errors, 1, __ATOMIC_SEQ_CST);
}

static void *produce(void *arg)
{
	struct producer *p = arg;
	struct stress *s = p->s;
	struct acall_sqe sqe;
	unsigned int i;

	for (i = 0; i < PER_PRODUCER; i++) {
		nop(&sqe, (__u64)p->id * PER_PRODUCER + i);
		if (acall_enqueue(&s->ring, &sqe))
			__atomic_fetch_add(&s->enqueue_errors, 1,
					   __ATOMIC_SEQ_CST);
		if (s->producers_flush && i % 64 == 63)
			count_flush(s, acall_flush(&s->ring));
	}
	__atomic_fetch_add(&s->producers_done, 1, __ATOMIC_SEQ_CST);
	return NULL;
}

static void run_stress(struct __test_metadata *_metadata, bool producers_flush)
{
	struct producer prod[PRODUCERS];
	struct reaped r = { 0 };
	struct acall_stats stats;
	unsigned char *seen;
	struct stress s;
	unsigned long i, missing = 0, twice = 0;

	memset(&s, 0, sizeof(s));
	s.producers_flush = producers_flush;
	ASSERT_EQ(0, acall_ring_init(&s.ring, NULL));
	seen = calloc(TOTAL, 1);
	ASSERT_NE(NULL, seen);

	for (i = 0; i < PRODUCERS; i++) {
		prod[i].s = &s;
		prod[i].id = i;
		ASSERT_EQ(0, pthread_create(&prod[i].thread, NULL, produce,
					    &prod[i]));
	}

	/* This thread flushes and is the only reaper. */
	while (r.total < TOTAL && r.bad_data == 0) {
		bool done = __atomic_load_n(&s.producers_done,
					    __ATOMIC_SEQ_CST) == PRODUCERS;
		unsigned long before = r.total;

		count_flush(&s, acall_flush(&s.ring));
		reap(&s.ring, seen, TOTAL, &r);
		if (r.total != before)
			continue;
		if (__atomic_load_n(&s.submitted, __ATOMIC_SEQ_CST) > r.total) {
			/* Submitted and not reaped yet: block for it. */
			ASSERT_LE(1, acall_wait(&s.ring, 1, -1));
			continue;
		}
		/* Nothing queued, in flight or left to come. */
		if (done && acall_queued(&s.ring) == 0)
			break;
		/* Producers are still enqueueing. */
		sched_yield();
	}

	for (i = 0; i < PRODUCERS; i++)
		ASSERT_EQ(0, pthread_join(prod[i].thread, NULL));

	EXPECT_EQ(0, s.enqueue_errors);
	EXPECT_EQ(0, s.flush_errors);
	EXPECT_EQ(0, r.bad_data);
	EXPECT_EQ(0, r.bad_res);
	EXPECT_EQ(TOTAL, r.total);
	EXPECT_EQ(TOTAL, s.submitted);
	for (i = 0; i < TOTAL; i++) {
		missing += seen[i] == 0;
		twice += seen[i] > 1;
	}
	EXPECT_EQ(0, missing);
	EXPECT_EQ(0, twice);
	/* Nothing left anywhere. */
	EXPECT_EQ(0, acall_queued(&s.ring));
	EXPECT_EQ(0, acall_flush(&s.ring));
	EXPECT_EQ(0, acall_cq_ready(&s.ring));
	EXPECT_EQ(-ETIME, acall_wait(&s.ring, 1, 0));
	if (features() & ACALL_FEAT_STATS) {
		ASSERT_EQ(0, acall_stats(&s.ring, &stats));
		EXPECT_EQ(TOTAL, stats.submitted);
		EXPECT_EQ(TOTAL, stats.completed);
		EXPECT_EQ(0, stats.inflight);
	}
	free(seen);
	acall_ring_exit(&s.ring);
}

TEST(many_enqueuers_one_flusher)
{
	REQUIRE(ACALL_FEAT_RING);
	run_stress(_metadata, false);
}

TEST(many_enqueuers_many_flushers)
{
	REQUIRE(ACALL_FEAT_RING);
	run_stress(_metadata, true);
}

/* ---- a ring smaller than the queue --------------------------------------- */

/*
 * Flush, wait for what it took, and check it completes in order: NOPs
 * without a delay complete inline, so in submission order. Returns what
 * the flush returned.
 */
static int flush_and_check(struct __test_metadata *_metadata,
			   struct acall_ring *ring, __u64 *next)
{
	struct acall_cqe *cqe;
	int ret, i;

	ret = acall_flush(ring);
	if (ret <= 0)
		return ret;
	EXPECT_EQ(ret, acall_wait(ring, ret, -1));
	for (i = 0; i < ret; i++) {
		cqe = acall_peek_cqe(ring);
		if (!cqe)
			break;
		EXPECT_EQ(*next, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		(*next)++;
		acall_cq_advance(ring, 1);
	}
	EXPECT_EQ(ret, i);
	return ret;
}

TEST(small_ring_keeps_leftovers_first)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqe;
	__u64 next = 0, ud;

	REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	ASSERT_EQ(8, ring.entries);

	for (ud = 0; ud < 1000; ud++) {
		nop(&sqe, ud);
		ASSERT_EQ(0, acall_enqueue(&ring, &sqe));
	}
	EXPECT_EQ(1000, acall_queued(&ring));

	/* The ring holds 8 completions: the flush takes 8, the rest waits. */
	EXPECT_EQ(8, acall_flush(&ring));
	EXPECT_EQ(992, acall_queued(&ring));
	/* With those 8 unconsumed there is no room at all. */
	EXPECT_EQ(-EBUSY, acall_flush(&ring));
	EXPECT_EQ(992, acall_queued(&ring));
	EXPECT_EQ(8, acall_wait(&ring, 8, -1));
	for (; next < 8; next++) {
		struct acall_cqe *cqe = acall_peek_cqe(&ring);

		ASSERT_NE(NULL, cqe);
		EXPECT_EQ(next, cqe->user_data);
		acall_cq_advance(&ring, 1);
	}

	/* Queued now goes behind the 992 left over. */
	for (ud = 1000; ud < 1100; ud++) {
		nop(&sqe, ud);
		ASSERT_EQ(0, acall_enqueue(&ring, &sqe));
	}
	EXPECT_EQ(1092, acall_queued(&ring));

	/* The 992 go first, in order, then the 100; each flush takes 8. */
	while (next < 1100) {
		int fits = 1100 - next < 8 ? 1100 - next : 8;

		ASSERT_EQ(fits, flush_and_check(_metadata, &ring, &next));
	}
	EXPECT_EQ(0, acall_flush(&ring));
	EXPECT_EQ(1100, next);
	EXPECT_EQ(0, acall_queued(&ring));
	acall_ring_exit(&ring);
}

/* What acall_ring_exit frees: ASan's leak check fails the test otherwise. */
TEST(exit_with_requests_queued_and_unreaped)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqe;
	unsigned int i;

	REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	for (i = 0; i < 100; i++) {
		nop(&sqe, i);
		ASSERT_EQ(0, acall_enqueue(&ring, &sqe));
	}
	EXPECT_EQ(8, acall_flush(&ring));
	EXPECT_EQ(92, acall_queued(&ring));
	acall_ring_exit(&ring);
#ifdef __SANITIZE_ADDRESS__
	/* The harness's child _exit()s, so look for leaks here. */
	EXPECT_EQ(0, __lsan_do_recoverable_leak_check());
#endif
}

TEST(flush_of_nothing)
{
	struct acall_ring ring;

	REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	EXPECT_EQ(0, acall_queued(&ring));
	EXPECT_EQ(0, acall_flush(&ring));
	EXPECT_EQ(0, acall_cq_ready(&ring));
	acall_ring_exit(&ring);
}

/* A ring whose setup failed, or that was torn down, has no queue. */
TEST(queue_of_a_ring_without_one_is_ebadf)
{
	struct acall_options opts = { .entries = 3 };
	struct acall_ring ring;
	struct acall_sqe sqe;

	REQUIRE(ACALL_FEAT_RING);
	nop(&sqe, 1);
	ASSERT_EQ(-EINVAL, acall_ring_init(&ring, &opts));
	EXPECT_EQ(-EBADF, acall_enqueue(&ring, &sqe));
	EXPECT_EQ(-EBADF, acall_enqueue_n(&ring, &sqe, 1));
	EXPECT_EQ(-EBADF, acall_flush(&ring));
	EXPECT_EQ(0, acall_queued(&ring));

	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	acall_ring_exit(&ring);
	EXPECT_EQ(-EBADF, acall_enqueue(&ring, &sqe));
	EXPECT_EQ(-EBADF, acall_flush(&ring));
	EXPECT_EQ(0, acall_queued(&ring));
}

/*
 * In a child of the ring's owner: every queue call refused with -EPERM.
 * 0, or which call was not (1 to 3), for the child's exit status.
 */
static int queue_refused(struct acall_ring *ring, const struct acall_sqe *sqe)
{
	if (acall_enqueue(ring, sqe) != -EPERM)
		return 1;
	if (acall_enqueue_n(ring, sqe, 1) != -EPERM)
		return 2;
	if (acall_flush(ring) != -EPERM)
		return 3;
	return 0;
}

/*
 * A forked child has a copy of the queue that nothing could ever submit
 * (and of a flush lock another thread may have held): it may neither
 * enqueue nor flush, however it was made (raw: the clone system call
 * itself, which runs no atfork handler). The parent's queue is untouched.
 */
static void forked_child_may_not_use_the_queue(struct __test_metadata *_metadata,
					       bool raw)
{
	struct acall_ring ring;
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	int status;
	pid_t child;

	REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	nop(&sqe, 7);
	ASSERT_EQ(0, acall_enqueue(&ring, &sqe));

	child = raw ? syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0) : fork();
	ASSERT_LE(0, child);
	if (child == 0)
		_exit(queue_refused(&ring, &sqe));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("check %d failed in the child", WEXITSTATUS(status));

	EXPECT_EQ(1, acall_queued(&ring));
	ASSERT_EQ(1, acall_flush(&ring));
	ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
	EXPECT_EQ(7, cqe->user_data);
	acall_cq_advance(&ring, 1);
	acall_ring_exit(&ring);
}

TEST(a_forked_child_may_not_enqueue_or_flush)
{
	forked_child_may_not_use_the_queue(_metadata, false);
}

TEST(a_raw_forked_child_may_not_enqueue_or_flush)
{
	forked_child_may_not_use_the_queue(_metadata, true);
}

/* fork() into a new pid namespace: the child is its pid 1. */
static pid_t fork_as_pid1(void)
{
	return unshare(CLONE_NEWPID) ? -1 : fork();
}

/*
 * In a pid namespace of its own (pid 1), set a ring up with one request
 * queued, and have a child, pid 1 of another namespace, try the queue.
 * Exits 0 when the child was refused and the request was then flushed.
 */
static void pid1_owner(void)
{
	struct acall_ring ring;
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	int status;
	pid_t child;

	if (acall_ring_init(&ring, NULL))
		_exit(10);
	nop(&sqe, 7);
	if (acall_enqueue(&ring, &sqe))
		_exit(11);
	child = fork_as_pid1();
	if (child < 0)
		_exit(12);
	if (child == 0)
		_exit(getpid() != 1 ? 4 : queue_refused(&ring, &sqe));
	if (waitpid(child, &status, 0) != child || !WIFEXITED(status))
		_exit(13);
	if (WEXITSTATUS(status))
		_exit(WEXITSTATUS(status));
	if (acall_flush(&ring) != 1 || acall_wait_cqe(&ring, &cqe, -1) ||
	    cqe->user_data != 7)
		_exit(14);
	acall_cq_advance(&ring, 1);
	acall_ring_exit(&ring);
	_exit(0);
}

/*
 * The owner and its child may have the same pid, each pid 1 of its own
 * namespace (a container's init that starts another): the child is told
 * apart all the same.
 */
TEST(a_child_with_the_owners_pid_may_not_enqueue_or_flush)
{
	int status;
	pid_t owner;

	REQUIRE(ACALL_FEAT_RING);
	if (geteuid())
		SKIP(return, "root makes pid namespaces");
	owner = fork();
	ASSERT_LE(0, owner);
	if (owner == 0) {
		pid_t pid1 = fork_as_pid1();

		if (pid1 < 0)
			_exit(20);
		if (pid1 == 0)
			pid1_owner();
		if (waitpid(pid1, &status, 0) != pid1 || !WIFEXITED(status))
			_exit(21);
		_exit(WEXITSTATUS(status));
	}
	ASSERT_EQ(owner, waitpid(owner, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status))
		TH_LOG("check %d failed (1-4: in the child)", WEXITSTATUS(status));
}

struct exit_canceled {
	struct acall_ring *ring;
	pthread_barrier_t cancel_sent;
};

static void *exit_with_a_cancel_pending(void *arg)
{
	struct exit_canceled *e = arg;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, NULL);
	pthread_barrier_wait(&e->cancel_sent);	/* not a cancellation point */
	pthread_barrier_wait(&e->cancel_sent);
	/* Pending: acts at the next cancellation point. */
	pthread_setcancelstate(PTHREAD_CANCEL_ENABLE, NULL);
	acall_ring_exit(e->ring);
	pthread_testcancel();
	return NULL;
}

/*
 * acall_ring_exit() is not a cancellation point: cancelled at its close()
 * or while waiting for the worker threads, it would leave the ring half
 * torn down and its lock held. A pending cancel acts after it returns.
 */
TEST(exit_completes_before_a_cancel_acts)
{
	struct acall_ring ring;
	struct exit_canceled e = { .ring = &ring };
	pthread_t t;
	void *ret;
	int fd;

	REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	fd = ring.fd;
	ASSERT_EQ(0, pthread_barrier_init(&e.cancel_sent, NULL, 2));
	ASSERT_EQ(0, pthread_create(&t, NULL, exit_with_a_cancel_pending, &e));
	pthread_barrier_wait(&e.cancel_sent);
	ASSERT_EQ(0, pthread_cancel(t));
	pthread_barrier_wait(&e.cancel_sent);
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(PTHREAD_CANCELED, ret);
	/* Torn down to the end: the ring reset, its fd closed. */
	EXPECT_EQ(-1, ring.fd);
	EXPECT_EQ(NULL, ring.sq);
	EXPECT_EQ(NULL, ring.ring_ptr);
	EXPECT_EQ(-1, fcntl(fd, F_GETFD));
	pthread_barrier_destroy(&e.cancel_sent);
}

/* ---- the wrappers -------------------------------------------------------- */

TEST(ring_init_defaults_and_errors)
{
	struct acall_options opts = { 0 };
	struct acall_probe probe;
	struct acall_ring ring;

	REQUIRE(ACALL_FEAT_RING);
	/* Zero options take the defaults. */
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	EXPECT_EQ(ACALL_DEFAULT_ENTRIES, ring.entries);
	EXPECT_EQ(ACALL_DEFAULT_ENTRIES - 1, ring.mask);
	EXPECT_EQ(-1, ring.eventfd);
	EXPECT_TRUE(fcntl(ring.fd, F_GETFD) & FD_CLOEXEC);
	EXPECT_EQ(0, *ring.khead);
	EXPECT_EQ(0, *ring.ktail);
	EXPECT_EQ(0, *ring.kflags);
	acall_ring_exit(&ring);

	opts.entries = 3;
	EXPECT_EQ(-EINVAL, acall_ring_init(&ring, &opts));
	EXPECT_EQ(-1, ring.fd);
	EXPECT_EQ(NULL, ring.sq);
	opts.entries = 8;
	opts.flags = 1u << 31;
	EXPECT_EQ(-EINVAL, acall_ring_init(&ring, &opts));
	opts.flags = 0;
	opts.nr_queues = 1u << 16;	/* does not fit the ABI's __u16 */
	EXPECT_EQ(-EINVAL, acall_ring_init(&ring, &opts));
	opts.nr_queues = 0;
	ASSERT_EQ(0, acall_probe(-1, &probe));
	if (probe.max_entries <= 1u << 30) {
		opts.entries = probe.max_entries * 2;
		EXPECT_EQ(-EINVAL, acall_ring_init(&ring, &opts));
	}
}

TEST(submit_takes_what_fits)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_sqe sqes[9];
	struct acall_ring ring;
	unsigned int i;

	REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	for (i = 0; i < 9; i++)
		nop(&sqes[i], i);
	EXPECT_EQ(0, acall_submit(&ring, sqes, 0));
	EXPECT_EQ(8, acall_submit(&ring, sqes, 9));
	EXPECT_EQ(-EBUSY, acall_submit(&ring, &sqes[8], 1));
	EXPECT_EQ(8, acall_wait(&ring, 8, -1));
	acall_cq_advance(&ring, 1);
	EXPECT_EQ(1, acall_submit(&ring, &sqes[8], 1));
	acall_ring_exit(&ring);
}

TEST(wait_errors_and_fast_path)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_cqe *cqe;
	struct acall_sqe sqes[4];
	unsigned int i;

	REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	EXPECT_EQ(-EINVAL, acall_wait(&ring, 0, 0));
	EXPECT_EQ(-EINVAL, acall_wait(&ring, 9, 0));
	/* Nothing in flight: a poll times out at once, not -1. */
	EXPECT_EQ(-ETIME, acall_wait(&ring, 1, 0));
	EXPECT_EQ(-ETIME, acall_wait_cqe(&ring, &cqe, 0));
	EXPECT_EQ(NULL, cqe);

	for (i = 0; i < 4; i++)
		nop(&sqes[i], 100 + i);
	ASSERT_EQ(4, acall_submit(&ring, sqes, 4));
	EXPECT_EQ(4, acall_wait(&ring, 4, -1));
	/* They are in the ring: a poll sees them. */
	EXPECT_EQ(4, acall_wait(&ring, 1, 0));
	EXPECT_EQ(4, acall_wait(&ring, 4, 0));
	EXPECT_EQ(-ETIME, acall_wait(&ring, 5, 0));
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, 0));
		ASSERT_NE(NULL, cqe);
		EXPECT_EQ(100 + i, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		acall_cq_advance(&ring, 1);
	}
	EXPECT_EQ(-ETIME, acall_wait_cqe(&ring, &cqe, 0));
	acall_ring_exit(&ring);
}

/*
 * A head moved past the tail (a misuse) counts as a full ring: the wait
 * returns at once with the ring's size, not a count that wrapped into a
 * negative errno on the fast path.
 */
TEST(wait_with_the_head_past_the_tail_returns_at_once)
{
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;

	REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	acall_cq_advance(&ring, 1);
	EXPECT_EQ(8, acall_wait(&ring, 1, 0));
	EXPECT_EQ(8, acall_wait(&ring, 1, -1));
	acall_cq_advance(&ring, UINT_MAX);	/* back where it was */
	EXPECT_EQ(-ETIME, acall_wait(&ring, 1, 0));
	acall_ring_exit(&ring);
}

TEST(cancel_unknown_is_enoent)
{
	struct acall_ring ring;

	REQUIRE(ACALL_FEAT_RING);
	REQUIRE(ACALL_FEAT_CANCEL);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	EXPECT_EQ(-ENOENT, acall_cancel(&ring, 0x1234));
	acall_ring_exit(&ring);
}

TEST(stats_count_requests)
{
	struct acall_ring ring;
	struct acall_stats stats;
	struct acall_sqe sqes[5];
	unsigned int i;

	REQUIRE(ACALL_FEAT_RING);
	REQUIRE(ACALL_FEAT_STATS);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	ASSERT_EQ(0, acall_stats(&ring, &stats));
	EXPECT_EQ(0, stats.submitted);
	for (i = 0; i < 5; i++)
		nop(&sqes[i], i);
	ASSERT_EQ(5, acall_submit(&ring, sqes, 5));
	EXPECT_EQ(5, acall_wait(&ring, 5, -1));
	ASSERT_EQ(0, acall_stats(&ring, &stats));
	EXPECT_EQ(5, stats.submitted);
	EXPECT_EQ(5, stats.completed);
	acall_ring_exit(&ring);
}

/* ---- eventfd ------------------------------------------------------------- */

/* Submit one NOP and wait for its completion; then consume it. */
static void one_nop(struct __test_metadata *_metadata, struct acall_ring *ring)
{
	struct acall_sqe sqe;

	nop(&sqe, 7);
	ASSERT_EQ(1, acall_submit(ring, &sqe, 1));
	ASSERT_EQ(1, acall_wait(ring, 1, -1));
	acall_cq_advance(ring, 1);
}

TEST(eventfd_register_errors)
{
	struct acall_ring ring;
	int pipefd[2];

	REQUIRE(ACALL_FEAT_RING);
	REQUIRE(ACALL_FEAT_EVENTFD);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	ASSERT_EQ(0, pipe(pipefd));
	EXPECT_EQ(-EINVAL, acall_register_eventfd(&ring, pipefd[0]));
	EXPECT_EQ(-EBADF, acall_register_eventfd(&ring, 1000000));
	EXPECT_EQ(-EBADF, acall_register_eventfd(&ring, -1));
	EXPECT_EQ(-1, ring.eventfd);
	close(pipefd[0]);
	close(pipefd[1]);
	acall_ring_exit(&ring);
}

TEST(eventfd_signals_unless_muted)
{
	struct acall_ring ring;
	uint64_t val;
	int efd;

	REQUIRE(ACALL_FEAT_RING);
	REQUIRE(ACALL_FEAT_EVENTFD);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, acall_register_eventfd(&ring, efd));
	EXPECT_EQ(efd, ring.eventfd);

	one_nop(_metadata, &ring);
	ASSERT_EQ(sizeof(val), read(efd, &val, sizeof(val)));
	EXPECT_LE(1, val);

	acall_eventfd_mute(&ring, true);
	EXPECT_TRUE(*ring.kflags & ACALL_RING_EVENTFD_MUTED);
	one_nop(_metadata, &ring);
	EXPECT_EQ(-1, read(efd, &val, sizeof(val)));
	EXPECT_EQ(EAGAIN, errno);

	acall_eventfd_mute(&ring, false);
	EXPECT_FALSE(*ring.kflags & ACALL_RING_EVENTFD_MUTED);
	one_nop(_metadata, &ring);
	ASSERT_EQ(sizeof(val), read(efd, &val, sizeof(val)));
	EXPECT_LE(1, val);

	ASSERT_EQ(0, acall_unregister_eventfd(&ring));
	EXPECT_EQ(-1, ring.eventfd);
	one_nop(_metadata, &ring);
	EXPECT_EQ(-1, read(efd, &val, sizeof(val)));
	EXPECT_EQ(EAGAIN, errno);
	close(efd);
	acall_ring_exit(&ring);
}

/*
 * The event loop of Documentation/libacall.rst: epoll on the eventfd,
 * drain with the eventfd muted, unmute, look once more.
 */
TEST(eventfd_epoll_loop)
{
	struct acall_options opts = { .entries = 16 };
	struct epoll_event ev = { .events = EPOLLIN };
	unsigned char seen[200] = { 0 };
	struct reaped r = { 0 };
	struct acall_ring ring;
	struct acall_sqe sqe;
	unsigned int i, twice = 0;
	uint64_t val;
	int efd, ep;

	REQUIRE(ACALL_FEAT_RING);
	REQUIRE(ACALL_FEAT_EVENTFD);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, acall_register_eventfd(&ring, efd));
	ep = epoll_create1(EPOLL_CLOEXEC);
	ASSERT_LE(0, ep);
	ev.data.fd = efd;
	ASSERT_EQ(0, epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));

	for (i = 0; i < 200; i++) {
		nop(&sqe, i);
		ASSERT_EQ(0, acall_enqueue(&ring, &sqe));
	}
	while (r.total < 200) {
		int ret = acall_flush(&ring);

		ASSERT_TRUE(ret >= 0 || ret == -EBUSY);
		ASSERT_EQ(1, epoll_wait(ep, &ev, 1, -1));
		ASSERT_EQ(efd, ev.data.fd);
		ASSERT_EQ(sizeof(val), read(efd, &val, sizeof(val)));
		for (;;) {
			acall_eventfd_mute(&ring, true);
			reap(&ring, seen, 200, &r);
			acall_eventfd_mute(&ring, false);
			/* What arrived while muted signalled nothing: look. */
			if (!acall_cq_ready(&ring))
				break;
		}
	}
	EXPECT_EQ(200, r.total);
	EXPECT_EQ(0, r.bad_data);
	EXPECT_EQ(0, r.bad_res);
	for (i = 0; i < 200; i++)
		twice += seen[i] != 1;
	EXPECT_EQ(0, twice);
	EXPECT_EQ(0, acall_queued(&ring));
	close(ep);
	close(efd);
	acall_ring_exit(&ring);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Being told about completions: a registered eventfd is signalled (for a
 * busy worker's completion too, though its next request takes long), not
 * while muted from the ring, not after it is unregistered; ACALL_IOC_WAIT
 * returns what is ready, gives up with -ETIME at its timeout and with
 * -EINTR at a signal (not at task work, without a timeout), and a
 * completion it did not wait for stays in the ring to be reaped
 * afterwards.
 */
#include <fcntl.h>
#include <liburing.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define SECOND (1000LL * 1000 * 1000)

FIXTURE(ev) {
	struct acall_ring ring;
	int efd;
};

FIXTURE_SETUP(ev)
{
	struct acall_options opts = { .entries = 8 };

	self->efd = -1;
	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

FIXTURE_TEARDOWN(ev)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->efd >= 0)
		close(self->efd);
}

/* Run one NOP (delay_ns) to completion and consume it. */
static void one_nop(struct __test_metadata *_metadata, struct acall_ring *ring,
		    __u64 delay_ns)
{
	struct acall_sqe sqe;

	acall_prep_nop(&sqe, delay_ns);
	ASSERT_EQ(0, acall_run1(ring, &sqe));
}

/*
 * The eventfd's signal, waited for: it follows the completion, so a test
 * that reaped the completion from the ring may get there first. Blocks
 * until the signal comes; a missing one fails by the test's timeout.
 */
static __u64 eventfd_await(int efd)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	__u64 v = 0;

	/* 0, which no signal gives, when it went wrong. */
	if (poll(&pfd, 1, -1) != 1 || read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

/* The eventfd's count, consumed; 0 if it was not signalled. */
static __u64 eventfd_take(int efd)
{
	__u64 v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return errno == EAGAIN ? 0 : (__u64)-1;
	return v;
}

TEST_F(ev, eventfd_signalled_by_completions)
{
	ACALL_REQUIRE(ACALL_FEAT_EVENTFD);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, acall_register_eventfd(&self->ring, self->efd));
	EXPECT_EQ(0, eventfd_take(self->efd));

	one_nop(_metadata, &self->ring, 0);		/* inline or not */
	EXPECT_LE(1, eventfd_await(self->efd));
	one_nop(_metadata, &self->ring, 1000 * 1000);	/* from a worker */
	EXPECT_LE(1, eventfd_await(self->efd));
	EXPECT_EQ(0, eventfd_take(self->efd));
}

/*
 * With ACALL_SUBMIT_QUIET, what SUBMIT completes itself is in the ring when
 * it returns and signals nothing; without it, it signals.
 */
TEST_F(ev, quiet_submit_does_not_signal_what_it_completes)
{
	struct acall_sqe sqe;

	ACALL_REQUIRE(ACALL_FEAT_EVENTFD | ACALL_FEAT_QUIET_SUBMIT);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, acall_register_eventfd(&self->ring, self->efd));

	acall_prep_nop(&sqe, 0);			/* completes inline */
	ASSERT_EQ(1, acall_submit_flags(&self->ring, &sqe, 1,
					ACALL_SUBMIT_QUIET));
	EXPECT_EQ(1, acall_cq_ready(&self->ring));
	acall_cq_advance(&self->ring, 1);
	/* A request refused at submission: its completion is SUBMIT's too. */
	acall_prep_preadv(&sqe, -1, NULL, 1, 0, 0);
	ASSERT_EQ(1, acall_submit_flags(&self->ring, &sqe, 1,
					ACALL_SUBMIT_QUIET));
	EXPECT_EQ(1, acall_cq_ready(&self->ring));
	acall_cq_advance(&self->ring, 1);
	EXPECT_EQ(0, eventfd_take(self->efd));

	/* Without the flag, the same inline completion signals. */
	acall_prep_nop(&sqe, 0);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	EXPECT_LE(1, eventfd_take(self->efd));
	acall_cq_advance(&self->ring, 1);
}

/* What the thread holding a quiet call's fault saw. */
struct quiet_witness {
	struct acall_ring *ring;
	int uffd, efd, stop;	/* stop: the call returned with no fault */
	void *page;
	bool held;		/* it took the fault */
	int nop_res;		/* its NOP's SUBMIT */
	__u64 signals;		/* eventfd count after its NOP completed */
};

/*
 * The next fault held on uffd, into *msg: true; false, at once, when stop
 * is written first or uffd fails (the test then fails instead of hanging).
 */
static bool await_fault(int uffd, int stop, struct uffd_msg *msg)
{
	struct pollfd pfd[2] = { { .fd = uffd, .events = POLLIN },
				 { .fd = stop, .events = POLLIN } };

	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[0].revents & ~POLLIN)
			return false;
		if ((pfd[0].revents & POLLIN) &&
		    read(uffd, msg, sizeof(*msg)) == sizeof(*msg))
			return true;
		if (pfd[1].revents)
			return false;
	}
}

/*
 * Take the fault of the quiet call's copy: the call is running. Complete
 * a NOP of this thread's own, without the flag, and read the eventfd; then
 * let the call go on. Returns at once, holding nothing, when told to stop
 * before a fault came (the test then fails instead of hanging).
 */
static void *hold_quiet_call(void *arg)
{
	struct quiet_witness *w = arg;
	struct uffd_msg msg;
	struct acall_sqe sqe;

	if (!await_fault(w->uffd, w->stop, &msg))
		return NULL;
	w->held = true;
	acall_prep_nop(&sqe, 0);
	w->nop_res = acall_submit(w->ring, &sqe, 1);
	w->signals = eventfd_take(w->efd);
	acall_uffd_zeropage(w->uffd, w->page, 4096);
	return NULL;
}

/*
 * While an ACALL_SUBMIT_QUIET call runs, no completion signals, not even
 * one of another call without the flag: each is in the ring when the quiet
 * call returns, where its caller looks. The quiet call is held inside by
 * the fault of its inline copy, which another thread serves.
 */
TEST_F(ev, quiet_submit_holds_every_signal_while_it_runs)
{
	struct quiet_witness w = { .ring = &self->ring, .nop_res = -1 };
	struct acall_sqe sqe;
	struct iovec iov;
	const char *dir;
	pthread_t holder;
	int fd, ret;

	ACALL_REQUIRE(ACALL_FEAT_EVENTFD | ACALL_FEAT_QUIET_SUBMIT);
	/* ext4 reads with IOCB_NOWAIT: the read is copied inline. */
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, 4096, 3));
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, acall_register_eventfd(&self->ring, self->efd));
	w.efd = self->efd;
	w.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, w.page);
	w.uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (w.uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, acall_uffd_hold(w.uffd, w.page, 4096, 0));
	w.stop = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, w.stop);
	ASSERT_EQ(0, pthread_create(&holder, NULL, hold_quiet_call, &w));

	iov.iov_base = w.page;
	iov.iov_len = 4096;
	acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	acall_sqe_set_data(&sqe, 1);
	ret = acall_submit_flags(&self->ring, &sqe, 1, ACALL_SUBMIT_QUIET);
	/* A holder that saw no fault stops waiting for one. */
	ASSERT_EQ(sizeof(__u64), write(w.stop, &(__u64){ 1 }, sizeof(__u64)));
	ASSERT_EQ(0, pthread_join(holder, NULL));
	ASSERT_EQ(1, ret);
	/* The copy faulted inside the call, in this thread. */
	ASSERT_TRUE(w.held);
	EXPECT_EQ(1, w.nop_res);
	EXPECT_EQ(0, w.signals);
	/* Both completions are there, the read's with its data. */
	EXPECT_EQ(2, acall_cq_ready(&self->ring));
	EXPECT_EQ(0, eventfd_take(self->efd));
	for (int i = 0; i < 2; i++) {
		struct acall_cqe *cqe = acall_peek_cqe(&self->ring);

		ASSERT_NE(NULL, cqe);
		/* The read's is 4096, the NOP's 0. */
		EXPECT_EQ(cqe->user_data == 1 ? 4096 : 0, cqe->res);
		acall_cq_advance(&self->ring, 1);
	}
	EXPECT_EQ(-1, acall_check(w.page, 4096, 0, 3));

	/* The quiet call is over: the next completion signals again. */
	acall_prep_nop(&sqe, 0);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	EXPECT_LE(1, eventfd_take(self->efd));
	acall_cq_advance(&self->ring, 1);
	close(w.stop);
	close(w.uffd);
	munmap(w.page, 4096);
	close(fd);
}

/* A thread asleep in WAIT for the first eight completions of a call. */
struct posted_waiter {
	struct acall_ring *ring;
	_Atomic pid_t tid;
	int res;
};

static void *wait_for_eight(void *arg)
{
	struct posted_waiter *w = arg;

	atomic_store(&w->tid, gettid());
	w->res = acall_wait(w->ring, 8, -1);
	return NULL;
}

/* What the thread holding a call's ninth request in a fault saw. */
struct posted_witness {
	struct acall_ring *ring;
	int uffd, efd, stop;	/* stop: the call returned with no fault */
	void *page;
	pid_t waiter;
	pid_t submitter;
	bool held;		/* it took the fault */
	pid_t faulted;		/* the thread that took it */
	unsigned int ready;	/* completions in the ring then */
	__u64 signals;		/* the eventfd's count then */
	bool waiter_asleep;	/* the waiter still asleep in WAIT then */
};

/*
 * Take the fault of the call's ninth request: look at what the eight
 * before it left (the ring, the eventfd, the waiter), then let the call go
 * on. Returns at once, holding nothing, when told to stop before a fault
 * came (the test then fails instead of hanging).
 */
static void *hold_ninth(void *arg)
{
	struct posted_witness *w = arg;
	struct uffd_msg msg;

	if (!await_fault(w->uffd, w->stop, &msg))
		return NULL;
	w->held = true;
	w->faulted = msg.arg.pagefault.feat.ptid;
	w->ready = acall_cq_ready(w->ring);
	w->signals = eventfd_take(w->efd);
	w->waiter_asleep = acall_task_sleeps_in_ioctl(w->waiter);
	acall_uffd_zeropage(w->uffd, w->page, 4096);
	return NULL;
}

/*
 * One call of nine cached reads, the ninth into a page whose fault another
 * thread holds: before the ninth starts, the eight before it are in the
 * ring, a thread asleep in WAIT for them has been woken, and (without
 * ACALL_SUBMIT_QUIET) the eventfd signalled once, though the call has not
 * returned. A quiet call signals nothing, then or when it returns.
 */
static void posted_announced_before_the_next(struct __test_metadata *_metadata,
					     unsigned int flags)
{
	struct acall_options opts = { .entries = 16 };
	struct posted_witness w = { .efd = -1 };
	struct posted_waiter pw = { .res = -1 };
	struct acall_sqe sqes[9];
	struct iovec iovs[9];
	pthread_t holder, waiter;
	struct acall_ring ring;
	const char *dir;
	char *bufs;
	int fd, ret, i;

	ACALL_REQUIRE(ACALL_FEAT_EVENTFD |
		      (flags ? ACALL_FEAT_QUIET_SUBMIT : 0));
	/* ext4 reads with IOCB_NOWAIT: each read is copied inline. */
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, 9 * 4096, 5));
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	w.ring = &ring;
	w.efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, w.efd);
	ASSERT_EQ(0, acall_register_eventfd(&ring, w.efd));
	/* The eight buffers fault nothing: only the ninth's page is held. */
	bufs = mmap(NULL, 9 * 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, bufs);
	memset(bufs, 0, 8 * 4096);
	w.page = bufs + 8 * 4096;
	w.uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (w.uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, acall_uffd_hold(w.uffd, w.page, 4096,
				     UFFD_FEATURE_THREAD_ID));
	w.stop = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, w.stop);
	w.submitter = gettid();

	pw.ring = &ring;
	ASSERT_EQ(0, pthread_create(&waiter, NULL, wait_for_eight, &pw));
	while (!atomic_load(&pw.tid))
		sched_yield();
	w.waiter = atomic_load(&pw.tid);
	/* Asleep before anything is posted: only a wake-up ends its wait. */
	acall_task_wait_asleep_in_ioctl(w.waiter);
	ASSERT_EQ(0, pthread_create(&holder, NULL, hold_ninth, &w));

	for (i = 0; i < 9; i++) {
		iovs[i].iov_base = bufs + i * 4096;
		iovs[i].iov_len = 4096;
		acall_prep_preadv(&sqes[i], fd, &iovs[i], 1, i * 4096, 0);
		acall_sqe_set_data(&sqes[i], i + 1);
	}
	ret = acall_submit_flags(&ring, sqes, 9, flags);
	ASSERT_EQ(sizeof(__u64), write(w.stop, &(__u64){ 1 }, sizeof(__u64)));
	ASSERT_EQ(0, pthread_join(holder, NULL));
	ASSERT_EQ(9, ret);
	ASSERT_EQ(0, pthread_join(waiter, NULL));
	/* The ninth's copy faulted inside the call, in this thread. */
	ASSERT_TRUE(w.held);
	ASSERT_EQ(w.submitter, w.faulted);
	EXPECT_EQ(8, w.ready);
	EXPECT_FALSE(w.waiter_asleep);
	/* One signal for the eight, none for a quiet call, then or after. */
	EXPECT_EQ(flags ? 0 : 1, w.signals);
	if (flags)
		EXPECT_EQ(0, eventfd_take(w.efd));
	EXPECT_LE(8, pw.res);

	/* Each completion once, each read's data. */
	for (i = 0; i < 9; i++) {
		struct acall_cqe *cqe = acall_peek_cqe(&ring);

		ASSERT_NE(NULL, cqe);
		ASSERT_LE(1, cqe->user_data);
		ASSERT_GE(9, cqe->user_data);
		EXPECT_EQ(4096, cqe->res);
		EXPECT_EQ(-1, acall_check(bufs + (cqe->user_data - 1) * 4096,
					  4096, (cqe->user_data - 1) * 4096, 5));
		iovs[cqe->user_data - 1].iov_len = 0;
		acall_cq_advance(&ring, 1);
	}
	for (i = 0; i < 9; i++)
		EXPECT_EQ(0, iovs[i].iov_len);
	acall_ring_exit(&ring);
	close(w.stop);
	close(w.uffd);
	close(w.efd);
	munmap(bufs, 9 * 4096);
	close(fd);
}

TEST(posted_completions_signalled_before_the_call_goes_on)
{
	posted_announced_before_the_next(_metadata, 0);
}

TEST(quiet_call_wakes_waiters_before_it_goes_on)
{
	posted_announced_before_the_next(_metadata, ACALL_SUBMIT_QUIET);
}

/* A flag the module does not know is refused. */
TEST_F(ev, unknown_submit_flag_is_einval)
{
	struct acall_sqe sqe;

	acall_prep_nop(&sqe, 0);
	EXPECT_EQ(-EINVAL, acall_submit_flags(&self->ring, &sqe, 1, 1u << 31));
}

/*
 * A worker with more to run may hold back the eventfd's signal for its
 * completions, but not for long: with one worker and three NOPs queued,
 * each is signalled on its own while the next one still runs (a second,
 * the longest a NOP may take): the first and the second by the bound in
 * time (for the second, the timer is armed again after it fired), the
 * last when the worker runs out of work.
 */
TEST_F_TIMEOUT(ev, worker_completion_signalled_while_the_next_runs, 60)
{
	struct acall_options opts = { .entries = 8, .max_workers = 1 };
	__u64 delays[3] = { SECOND / 1000, SECOND, SECOND };
	struct acall_sqe sqes[3];
	struct acall_stats st;
	struct acall_cqe *cqe;
	struct acall_ring ring;
	int i;

	ACALL_REQUIRE(ACALL_FEAT_EVENTFD | ACALL_FEAT_WORKERS);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, acall_register_eventfd(&ring, self->efd));

	for (i = 0; i < 3; i++) {
		acall_prep_nop(&sqes[i], delays[i]);
		acall_sqe_set_data(&sqes[i], i + 1);
	}
	ASSERT_EQ(3, acall_submit(&ring, sqes, 3));

	for (i = 0; i < 3; i++) {
		EXPECT_LE(1, eventfd_await(self->efd));
		/* This one alone: its signal did not wait for the next. */
		ASSERT_EQ(1, acall_cq_ready(&ring)) TH_LOG("NOP %d", i + 1);
		cqe = acall_peek_cqe(&ring);
		EXPECT_EQ(i + 1, cqe->user_data);
		EXPECT_EQ(0, cqe->res);
		acall_cq_advance(&ring, 1);
	}
	/* One worker ran them all, one after the other. */
	ASSERT_EQ(0, acall_stats(&ring, &st));
	EXPECT_EQ(1, st.workers_peak);
	acall_ring_exit(&ring);
}

TEST_F(ev, muted_eventfd_is_not_signalled)
{
	ACALL_REQUIRE(ACALL_FEAT_EVENTFD);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, acall_register_eventfd(&self->ring, self->efd));

	acall_eventfd_mute(&self->ring, true);
	EXPECT_TRUE(*self->ring.kflags & ACALL_RING_EVENTFD_MUTED);
	one_nop(_metadata, &self->ring, 0);
	one_nop(_metadata, &self->ring, 1000 * 1000);
	EXPECT_EQ(0, eventfd_take(self->efd));

	/* Unmuted, it is signalled again. */
	acall_eventfd_mute(&self->ring, false);
	EXPECT_FALSE(*self->ring.kflags & ACALL_RING_EVENTFD_MUTED);
	one_nop(_metadata, &self->ring, 1000 * 1000);
	EXPECT_LE(1, eventfd_await(self->efd));
}

TEST_F(ev, unregistered_or_replaced_eventfd_is_not_signalled)
{
	int second;

	ACALL_REQUIRE(ACALL_FEAT_EVENTFD);
	self->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	second = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	ASSERT_LE(0, self->efd);
	ASSERT_LE(0, second);
	ASSERT_EQ(0, acall_register_eventfd(&self->ring, self->efd));
	/* Registering replaces. */
	ASSERT_EQ(0, acall_register_eventfd(&self->ring, second));
	one_nop(_metadata, &self->ring, 1000 * 1000);
	EXPECT_LE(1, eventfd_await(second));
	EXPECT_EQ(0, eventfd_take(self->efd));

	/*
	 * Every signal for the NOP above has been sent (to second); once
	 * unregistering returns, none reaches either eventfd.
	 */

	ASSERT_EQ(0, acall_unregister_eventfd(&self->ring));
	one_nop(_metadata, &self->ring, 1000 * 1000);
	EXPECT_EQ(0, eventfd_take(self->efd));
	EXPECT_EQ(0, eventfd_take(second));
	close(second);
}

TEST_F(ev, wait_returns_how_many_are_ready)
{
	struct acall_sqe sqes[3];
	unsigned int i;

	for (i = 0; i < 3; i++)
		acall_prep_nop(&sqes[i], 1000 * 1000 * (i + 1));
	ASSERT_EQ(3, acall_submit(&self->ring, sqes, 3));
	EXPECT_EQ(3, acall_wait(&self->ring, 3, -1));
	EXPECT_EQ(3, acall_cq_ready(&self->ring));
	/* Already there: a poll (timeout 0) says so. */
	EXPECT_EQ(3, acall_wait(&self->ring, 1, 0));
	acall_cq_advance(&self->ring, 3);
	EXPECT_EQ(0, acall_cq_ready(&self->ring));
}

TEST_F(ev, wait_times_out_with_nothing_in_flight)
{
	EXPECT_EQ(-ETIME, acall_wait(&self->ring, 1, 0));
	EXPECT_EQ(-ETIME, acall_wait(&self->ring, 1, 20 * 1000 * 1000));
}

/*
 * A timeout of 0 polls: -ETIME without sleeping, which it did before for
 * the thread's timer slack (a timer armed at now fires at now plus the
 * slack). A slack of 10 s makes that sleep plain; the count of the
 * thread's voluntary context switches says whether it slept at all.
 */
TEST_F(ev, wait_with_timeout_zero_does_not_sleep)
{
	unsigned long slack = prctl(PR_GET_TIMERSLACK);
	struct acall_sqe sqe;
	struct rusage before, after;

	ASSERT_EQ(0, prctl(PR_SET_TIMERSLACK, (unsigned long)(10 * SECOND)));
	/* Nothing in flight, then a NOP that lasts longer than the test. */
	ASSERT_EQ(0, getrusage(RUSAGE_THREAD, &before));
	EXPECT_EQ(-ETIME, acall_raw_wait(self->ring.fd, 1, 0));
	ASSERT_EQ(0, getrusage(RUSAGE_THREAD, &after));
	EXPECT_EQ(0, ACALL_DELTA(before, after, ru_nvcsw));

	acall_prep_nop(&sqe, 900 * 1000 * 1000);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	ASSERT_EQ(0, getrusage(RUSAGE_THREAD, &before));
	EXPECT_EQ(-ETIME, acall_raw_wait(self->ring.fd, 1, 0));
	ASSERT_EQ(0, getrusage(RUSAGE_THREAD, &after));
	EXPECT_EQ(0, ACALL_DELTA(before, after, ru_nvcsw));
	prctl(PR_SET_TIMERSLACK, slack);
}

/* Two asked for, one long NOP in flight: only the timeout can end it. */
TEST_F(ev, wait_times_out_before_a_long_nop)
{
	struct acall_sqe sqe;
	struct acall_cqe *cqe;

	acall_prep_nop(&sqe, SECOND);
	acall_sqe_set_data(&sqe, 3);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	EXPECT_EQ(-ETIME, acall_wait(&self->ring, 2, 50 * 1000 * 1000));
	/* Still reaped afterwards. */
	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(3, cqe->user_data);
	EXPECT_EQ(0, cqe->res);
	acall_cq_advance(&self->ring, 1);
}

static atomic_int stop_signalling;
static atomic_int handled;

static void on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

/* Signal the waiting thread until told to stop. */
static void *signaller(void *arg)
{
	struct timespec tick = { 0, 2 * 1000 * 1000 };
	pthread_t target = *(pthread_t *)arg;

	while (!atomic_load(&stop_signalling)) {
		pthread_kill(target, SIGUSR1);
		nanosleep(&tick, NULL);
	}
	return NULL;
}

/*
 * Waiting forever for two completions with one in flight: only a signal
 * can end the wait. A handler without SA_RESTART makes it -EINTR; the
 * completion is then still reaped.
 */
TEST_F(ev, wait_interrupted_by_signal_is_eintr)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	pthread_t self_thread = pthread_self(), thread;
	struct acall_sqe sqe;
	struct acall_cqe *cqe;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	acall_prep_nop(&sqe, SECOND);
	acall_sqe_set_data(&sqe, 4);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));

	atomic_store(&stop_signalling, 0);
	ASSERT_EQ(0, pthread_create(&thread, NULL, signaller, &self_thread));
	EXPECT_EQ(-EINTR, acall_wait(&self->ring, 2, -1));
	atomic_store(&stop_signalling, 1);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_LE(1, atomic_load(&handled));

	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(4, cqe->user_data);
	EXPECT_EQ(0, cqe->res);
	acall_cq_advance(&self->ring, 1);
}

/* The same with a timer and an eventfd in the picture. */
TEST_F(ev, wait_interrupted_by_timer_then_eventfd_says_done)
{
	struct sigaction sa = { .sa_handler = on_signal };
	struct itimerval it = {
		.it_interval = { 0, 10 * 1000 },
		.it_value = { 0, 10 * 1000 },
	};
	struct itimerval off = { 0 };
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	__u64 v = 0;
	ssize_t n;

	ACALL_REQUIRE(ACALL_FEAT_EVENTFD);
	self->efd = eventfd(0, EFD_CLOEXEC);	/* blocking */
	ASSERT_LE(0, self->efd);
	ASSERT_EQ(0, acall_register_eventfd(&self->ring, self->efd));
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	acall_prep_nop(&sqe, SECOND / 2);
	acall_sqe_set_data(&sqe, 5);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));

	ASSERT_EQ(0, setitimer(ITIMER_REAL, &it, NULL));
	EXPECT_EQ(-EINTR, acall_wait(&self->ring, 2, -1));
	ASSERT_EQ(0, setitimer(ITIMER_REAL, &off, NULL));

	/* Block on the eventfd (retrying a read a late tick interrupted). */
	do
		n = read(self->efd, &v, sizeof(v));
	while (n < 0 && errno == EINTR);
	ASSERT_EQ(sizeof(v), n);
	EXPECT_LE(1, v);
	ASSERT_EQ(1, acall_cq_ready(&self->ring));
	cqe = acall_peek_cqe(&self->ring);
	ASSERT_NE(NULL, cqe);
	EXPECT_EQ(5, cqe->user_data);
	EXPECT_EQ(0, cqe->res);
	acall_cq_advance(&self->ring, 1);
}

struct task_work_waker {
	struct io_uring *uring;
	struct acall_ring *ring;
	int pipe_wr;
	pid_t waiter;
};

/*
 * Once the waiter sleeps in WAIT, complete its io_uring read (io_uring
 * queues the rest as task work for it, waking it); once that task work
 * has run, complete a NOP, which is what the WAIT waits for.
 */
static void *wake_with_task_work(void *arg)
{
	struct task_work_waker *k = arg;
	struct acall_sqe sqe;

	acall_task_wait_asleep_in_ioctl(k->waiter);
	if (write(k->pipe_wr, "12345678", 8) != 8)
		return (void *)1;
	while (!io_uring_cq_ready(k->uring))
		sched_yield();
	acall_prep_nop(&sqe, 0);
	acall_sqe_set_data(&sqe, 6);
	return (void *)(long)(acall_submit(k->ring, &sqe, 1) != 1);
}

/*
 * Task work for the waiting thread (its io_uring read, completed by a
 * write to the pipe) wakes it as a signal would, with no signal: a WAIT
 * without a timeout goes on, and ends with the NOP it waited for, not
 * with -EINTR. The io_uring ring is set up without
 * IORING_SETUP_COOP_TASKRUN, so that its task work wakes the thread.
 */
TEST_F(ev, wait_goes_on_after_task_work)
{
	struct task_work_waker k = { .ring = &self->ring };
	struct io_uring_cqe *cqe;
	struct acall_cqe *done;
	struct io_uring uring;
	struct io_uring_sqe *sqe;
	char buf[8];
	pthread_t waker;
	void *failed;
	int p[2], ret;

	ret = io_uring_queue_init(4, &uring, 0);
	if (ret == -ENOSYS || ret == -EPERM)
		SKIP(return, "no io_uring here (%d)", ret);
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, pipe(p));
	/* The pipe is empty: io_uring waits for it to become readable. */
	sqe = io_uring_get_sqe(&uring);
	ASSERT_NE(NULL, sqe);
	io_uring_prep_read(sqe, p[0], buf, sizeof(buf), -1);
	ASSERT_EQ(1, io_uring_submit(&uring));
	ASSERT_EQ(0, io_uring_cq_ready(&uring));

	k.uring = &uring;
	k.pipe_wr = p[1];
	k.waiter = gettid();
	ASSERT_EQ(0, pthread_create(&waker, NULL, wake_with_task_work, &k));
	EXPECT_EQ(1, acall_wait(&self->ring, 1, -1));
	ASSERT_EQ(0, pthread_join(waker, &failed));
	EXPECT_EQ(NULL, failed);

	/* The task work ran: io_uring's read is done. */
	ASSERT_EQ(1, io_uring_cq_ready(&uring));
	ASSERT_EQ(0, io_uring_peek_cqe(&uring, &cqe));
	EXPECT_EQ(8, cqe->res);
	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &done, -1));
	EXPECT_EQ(6, done->user_data);
	acall_cq_advance(&self->ring, 1);
	close(p[0]);
	close(p[1]);
	io_uring_queue_exit(&uring);
}

TEST_HARNESS_MAIN

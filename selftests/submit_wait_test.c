// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_SUBMIT_WAIT, acall_submit_and_wait(): one call submits and then
 * sleeps until min_complete completions are in the ring (inline, async
 * kiocb and worker completions alike), while other requests stay in
 * flight, and never for completions that cannot come (also when another
 * submitter gives back slots it did not use); nr 0 only waits; a signal
 * ends the sleep without hiding what the call took; the quiet hold ends
 * before the sleep; a shutdown from another thread ends it too. Bad
 * arguments are EINVAL and take nothing; min_complete may be the ring's
 * size; after a shutdown even nr 0 is ESHUTDOWN.
 *
 * The raw tests use a context whose workers are the process's threads:
 * a request that needs one cannot complete until a thread serves, which
 * is how they make a request stay in flight for as long as they need.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define MS (1000LL * 1000)

FIXTURE(sw) {
	struct acall_ring ring;
};

FIXTURE_SETUP(sw)
{
	struct acall_options opts = { .entries = 8 };

	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

FIXTURE_TEARDOWN(sw)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
}

/* This tree's module has it; the other tests skip on one without. */
TEST_F(sw, module_offers_submit_wait)
{
	EXPECT_TRUE(acall_test_features() & ACALL_FEAT_SUBMIT_WAIT);
}

/* A worker's NOP and an inline one: the call returns once both are in. */
TEST_F(sw, returns_with_min_complete_in_the_ring)
{
	struct acall_sqe sqes[2];
	struct acall_cqe *cqe;
	int i;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT);
	acall_prep_nop(&sqes[0], 50 * MS);
	acall_sqe_set_data(&sqes[0], 1);
	acall_prep_nop(&sqes[1], 0);
	acall_sqe_set_data(&sqes[1], 2);
	ASSERT_EQ(2, acall_submit_and_wait(&self->ring, sqes, 2, 2, 0));
	ASSERT_EQ(2, acall_cq_ready(&self->ring));
	for (i = 0; i < 2; i++) {
		cqe = acall_peek_cqe(&self->ring);
		ASSERT_NE(NULL, cqe);
		EXPECT_EQ(0, cqe->res);
		acall_cq_advance(&self->ring, 1);
	}
}

/* An O_DIRECT read completes as an async kiocb; its data is there. */
TEST_F(sw, async_kiocb_read_is_waited_for)
{
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	struct iovec iov;
	const char *dir;
	void *buf = NULL;
	int fd, dfd;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, 65536, 7));
	ASSERT_EQ(0, fsync(fd));
	dfd = acall_reopen(fd, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 16384));
	memset(buf, 0, 16384);
	iov.iov_base = buf;
	iov.iov_len = 16384;
	acall_prep_preadv(&sqe, dfd, &iov, 1, 32768, 0);
	acall_sqe_set_data(&sqe, 9);
	ASSERT_EQ(1, acall_submit_and_wait(&self->ring, &sqe, 1, 1, 0));
	ASSERT_EQ(1, acall_cq_ready(&self->ring));
	cqe = acall_peek_cqe(&self->ring);
	ASSERT_NE(NULL, cqe);
	EXPECT_EQ(9, cqe->user_data);
	EXPECT_EQ(16384, cqe->res);
	acall_cq_advance(&self->ring, 1);
	EXPECT_EQ(-1, acall_check(buf, 16384, 32768, 7));
	free(buf);
	close(dfd);
	close(fd);
}

/*
 * Four asked for, one in flight: once it is in, nothing more can come, and
 * the call returns rather than sleep for good.
 */
TEST_F(sw, never_sleeps_for_completions_that_cannot_come)
{
	struct acall_sqe sqe;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT);
	acall_prep_nop(&sqe, 20 * MS);
	ASSERT_EQ(1, acall_submit_and_wait(&self->ring, &sqe, 1, 4, 0));
	ASSERT_EQ(1, acall_cq_ready(&self->ring));
	acall_cq_advance(&self->ring, 1);
}

/* Completions already in the ring count: no sleep at all. */
TEST_F(sw, completions_already_there_count)
{
	struct acall_sqe sqe;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT);
	acall_prep_nop(&sqe, 0);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	ASSERT_EQ(1, acall_submit_and_wait(&self->ring, &sqe, 1, 2, 0));
	EXPECT_EQ(2, acall_cq_ready(&self->ring));
	/* nr 0 takes nothing; the two there are enough. */
	EXPECT_EQ(0, acall_submit_and_wait(&self->ring, &sqe, 0, 2, 0));
	EXPECT_EQ(2, acall_cq_ready(&self->ring));
	acall_cq_advance(&self->ring, 2);
}

/* Bad min_complete: EINVAL, and nothing is taken. */
TEST_F(sw, bad_min_complete_is_einval)
{
	struct acall_submit s = { .nr = 1 };
	struct acall_stats st;
	struct acall_sqe sqe;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT | ACALL_FEAT_STATS);
	acall_prep_nop(&sqe, 0);
	s.sqes = (__u64)(uintptr_t)&sqe;
	EXPECT_EQ(-EINVAL, acall_submit_and_wait(&self->ring, &sqe, 1, 0, 0));
	EXPECT_EQ(-EINVAL, acall_submit_and_wait(&self->ring, &sqe, 1, 9, 0));
	EXPECT_EQ(-EINVAL, acall_submit_and_wait(&self->ring, &sqe, 0, 0, 0));
	/* min_complete without the flag, a reserved field. */
	s.min_complete = 1;
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_SUBMIT, &s));
	EXPECT_EQ(EINVAL, errno);
	s.flags = ACALL_SUBMIT_WAIT;
	s.resv = 1;
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_SUBMIT, &s));
	EXPECT_EQ(EINVAL, errno);
	ASSERT_EQ(0, acall_stats(&self->ring, &st));
	EXPECT_EQ(0, st.submitted);
	EXPECT_EQ(0, acall_cq_ready(&self->ring));
}

/* The whole ring's worth at once: min_complete may be the ring's size. */
TEST_F(sw, min_complete_may_be_the_ring_size)
{
	struct acall_sqe sqes[8];
	int i;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT);
	for (i = 0; i < 8; i++) {
		acall_prep_nop(&sqes[i], 0);
		acall_sqe_set_data(&sqes[i], i);
	}
	EXPECT_EQ(8, acall_submit_and_wait(&self->ring, sqes, 8, 8, 0));
	EXPECT_EQ(8, acall_cq_ready(&self->ring));
}

/* After a shutdown even the call that only waits is refused. */
TEST_F(sw, nr_0_after_shutdown_is_eshutdown)
{
	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT | ACALL_FEAT_SHUTDOWN);
	ASSERT_EQ(0, ioctl(self->ring.fd, ACALL_IOC_SHUTDOWN, 0));
	EXPECT_EQ(-ESHUTDOWN, acall_submit_and_wait(&self->ring, NULL, 0, 1, 0));
}

/* A raw context whose workers are threads of the process; 0 or -errno. */
static int raw_open(struct acall_raw *r)
{
	int fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC), ret;

	if (fd < 0)
		return -errno;
	ret = acall_raw_setup_flags(r, fd, 8, ACALL_SETUP_PROCESS_WORKERS);
	if (ret)
		close(fd);
	return ret;
}

static __u32 raw_ready(struct acall_raw *r)
{
	return __atomic_load_n(r->tail, __ATOMIC_ACQUIRE) - *r->head;
}

/* SUBMIT with flags and min_complete: how many were taken, or -errno. */
static int raw_submit(int fd, const struct acall_sqe *sqes, __u32 nr,
		      __u32 flags, __u32 min_complete)
{
	struct acall_submit s = { .sqes = (__u64)(uintptr_t)sqes, .nr = nr,
				  .flags = flags,
				  .min_complete = min_complete };
	int ret = ioctl(fd, ACALL_IOC_SUBMIT, &s);

	return ret < 0 ? -errno : ret;
}

/* A thread that serves the context once tid sleeps in a call to it. */
struct late_server {
	int fd;
	pid_t tid;
	pthread_t thread;
	int ret;
};

static void *serve_when_asleep(void *arg)
{
	struct late_server *ls = arg;

	acall_task_wait_asleep_in_ioctl(ls->tid);
	ls->ret = acall_raw_serve(ls->fd);
	return NULL;
}

static int late_server_start(struct late_server *ls, int fd)
{
	ls->fd = fd;
	ls->tid = syscall(SYS_gettid);
	ls->ret = -1;
	return pthread_create(&ls->thread, NULL, serve_when_asleep, ls);
}

/* Shut the context down, which ends SERVE; its answer. */
static int late_server_stop(struct late_server *ls)
{
	if (ioctl(ls->fd, ACALL_IOC_SHUTDOWN, 0))
		return -errno;
	if (pthread_join(ls->thread, NULL))
		return -1;
	return ls->ret;
}

/*
 * One of two reaches the ring, the other needs a worker and none serves:
 * the call returns with the one, and the other is still in flight.
 */
TEST(min_complete_reached_while_another_is_in_flight)
{
	struct late_server ls;
	struct acall_sqe sqes[2];
	struct acall_cqe cqe;
	struct acall_raw r;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT | ACALL_FEAT_PROCESS_WORKERS |
		      ACALL_FEAT_SHUTDOWN);
	ASSERT_EQ(0, raw_open(&r));
	acall_prep_nop(&sqes[0], 0);
	acall_sqe_set_data(&sqes[0], 1);
	acall_prep_nop(&sqes[1], MS);
	acall_sqe_set_data(&sqes[1], 2);
	EXPECT_EQ(2, raw_submit(r.fd, sqes, 2, ACALL_SUBMIT_WAIT, 1));
	ASSERT_EQ(1, raw_ready(&r));
	ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
	EXPECT_EQ(1, cqe.user_data);

	/* A thread serves: the other one completes. */
	ASSERT_EQ(0, late_server_start(&ls, r.fd));
	ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
	EXPECT_EQ(2, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	EXPECT_EQ(0, late_server_stop(&ls));
	acall_raw_unmap(&r);
	close(r.fd);
}

/* nr 0 takes nothing and waits for what earlier calls submitted. */
TEST(nr_0_waits_for_earlier_requests)
{
	struct late_server ls;
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	struct acall_raw r;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT | ACALL_FEAT_PROCESS_WORKERS |
		      ACALL_FEAT_SHUTDOWN);
	ASSERT_EQ(0, raw_open(&r));
	acall_prep_nop(&sqe, MS);
	acall_sqe_set_data(&sqe, 3);
	ASSERT_EQ(1, raw_submit(r.fd, &sqe, 1, 0, 0));
	ASSERT_EQ(0, late_server_start(&ls, r.fd));
	EXPECT_EQ(0, raw_submit(r.fd, NULL, 0, ACALL_SUBMIT_WAIT, 1));
	ASSERT_EQ(1, raw_ready(&r));
	ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
	EXPECT_EQ(3, cqe.user_data);
	EXPECT_EQ(0, late_server_stop(&ls));
	acall_raw_unmap(&r);
	close(r.fd);
}

/*
 * With ACALL_SUBMIT_QUIET too, the hold ends before the sleep: what
 * completes while the call sleeps signals the eventfd.
 */
TEST(quiet_hold_ends_before_the_sleep)
{
	struct late_server ls;
	struct acall_sqe sqe;
	struct acall_raw r;
	__u64 count = 0;
	int efd;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT | ACALL_FEAT_PROCESS_WORKERS |
		      ACALL_FEAT_SHUTDOWN | ACALL_FEAT_QUIET_SUBMIT |
		      ACALL_FEAT_EVENTFD);
	ASSERT_EQ(0, raw_open(&r));
	efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	ASSERT_LE(0, efd);
	ASSERT_EQ(0, ioctl(r.fd, ACALL_IOC_EVENTFD, &efd));
	acall_prep_nop(&sqe, MS);
	ASSERT_EQ(0, late_server_start(&ls, r.fd));
	EXPECT_EQ(1, raw_submit(r.fd, &sqe, 1,
				ACALL_SUBMIT_QUIET | ACALL_SUBMIT_WAIT, 1));
	EXPECT_EQ(1, raw_ready(&r));
	/*
	 * A worker wakes the sleeper before it signals: once it is gone
	 * (shut down, which itself signals nothing), its signal is sent.
	 */
	EXPECT_EQ(0, late_server_stop(&ls));
	EXPECT_EQ(sizeof(count), read(efd, &count, sizeof(count)));
	EXPECT_LE(1, count);
	acall_raw_unmap(&r);
	close(r.fd);
	close(efd);
}

/* A submitter held inside the copy of its first request. */
struct held_submitter {
	int fd;
	void *sqes;	/* a page whose first touch a userfaultfd holds */
	int ret, err;
};

static void *submit_held(void *arg)
{
	struct held_submitter *h = arg;
	struct acall_submit s = { .sqes = (__u64)(uintptr_t)h->sqes, .nr = 4 };

	h->ret = ioctl(h->fd, ACALL_IOC_SUBMIT, &s);
	h->err = errno;
	return NULL;
}

/* Once tid sleeps in its call, make the held copy fail: EFAULT. */
struct releaser {
	pid_t tid;
	int uffd;
	void *page;
};

static void *release_when_asleep(void *arg)
{
	struct releaser *rl = arg;

	acall_task_wait_asleep_in_ioctl(rl->tid);
	munmap(rl->page, 4096);
	close(rl->uffd);
	return NULL;
}

/*
 * Another SUBMIT holds four slots while this call's one request completes;
 * then it fails and gives them back unused. Nothing is in flight any
 * more: the sleeping call must be woken, not left for a signal.
 */
TEST(slots_given_back_unused_end_the_sleep)
{
	struct held_submitter h = { .ret = 0 };
	struct releaser rl;
	struct uffd_msg msg;
	struct acall_sqe sqe;
	struct acall_raw r;
	pthread_t held, releaser;
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT);
	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_raw_setup(&r, fd, 8));
	rl.uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (rl.uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	rl.page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, rl.page);
	ASSERT_EQ(0, acall_uffd_hold(rl.uffd, rl.page, 4096, 0));
	rl.tid = syscall(SYS_gettid);

	/* The other submitter takes its slots, then faults on its SQEs. */
	h.fd = fd;
	h.sqes = rl.page;
	ASSERT_EQ(0, pthread_create(&held, NULL, submit_held, &h));
	ASSERT_EQ(sizeof(msg), read(rl.uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	ASSERT_EQ(0, pthread_create(&releaser, NULL, release_when_asleep, &rl));
	/* Two asked for, one will come: in flight only the held slots. */
	acall_prep_nop(&sqe, 0);
	EXPECT_EQ(1, raw_submit(fd, &sqe, 1, ACALL_SUBMIT_WAIT, 2));
	ASSERT_EQ(0, pthread_join(releaser, NULL));
	ASSERT_EQ(0, pthread_join(held, NULL));
	EXPECT_EQ(-1, h.ret);
	EXPECT_EQ(EFAULT, h.err);
	EXPECT_EQ(1, raw_ready(&r));
	acall_raw_unmap(&r);
	close(fd);
}

static atomic_int handled;

static void on_signal(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

struct sleeper {
	pid_t tid;		/* the thread in the call */
	pthread_t thread;
};

/* Signal the thread once it sleeps in the call. */
static void *signal_when_asleep(void *arg)
{
	struct sleeper *s = arg;

	acall_task_wait_asleep_in_ioctl(s->tid);
	pthread_kill(s->thread, SIGUSR1);
	return NULL;
}

/*
 * A context whose workers are the process's threads, and none serves: the
 * punted NOP cannot complete, so only a signal can end the sleep. The call
 * returns what it took, not EINTR, and the request is still there: a
 * thread that serves runs it, and its completion is reaped.
 */
TEST(signal_ends_the_sleep_and_the_call_returns_what_it_took)
{
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct acall_submit s = { .nr = 1, .flags = ACALL_SUBMIT_WAIT,
				  .min_complete = 1 };
	struct sleeper sl = { .tid = syscall(SYS_gettid),
			      .thread = pthread_self() };
	pthread_t signaller, server;
	struct acall_raw r;
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	void *served;
	int fd, ret;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT | ACALL_FEAT_PROCESS_WORKERS |
		      ACALL_FEAT_SHUTDOWN);
	ASSERT_EQ(0, raw_open(&r));
	fd = r.fd;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	acall_prep_nop(&sqe, MS);
	acall_sqe_set_data(&sqe, 5);
	s.sqes = (__u64)(uintptr_t)&sqe;

	ASSERT_EQ(0, pthread_create(&signaller, NULL, signal_when_asleep, &sl));
	ret = ioctl(fd, ACALL_IOC_SUBMIT, &s);
	ASSERT_EQ(0, pthread_join(signaller, NULL));
	EXPECT_EQ(1, ret);
	EXPECT_EQ(1, atomic_load(&handled));
	/* No thread served: the NOP has not run. */
	EXPECT_EQ(*r.head, __atomic_load_n(r.tail, __ATOMIC_ACQUIRE));

	ASSERT_EQ(0, pthread_create(&server, NULL, acall_raw_serve_thread, &fd));
	ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
	EXPECT_EQ(5, cqe.user_data);
	EXPECT_EQ(0, cqe.res);
	ASSERT_EQ(0, ioctl(fd, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, pthread_join(server, &served));
	EXPECT_EQ(0, (intptr_t)served);
	acall_raw_unmap(&r);
	close(fd);
}

struct shutter {
	int fd;
	pid_t tid;		/* the thread to wait for */
	int ret;
};

/* Shut the context down once tid sleeps in a call to it. */
static void *shut_down_when_asleep(void *arg)
{
	struct shutter *sh = arg;

	acall_task_wait_asleep_in_ioctl(sh->tid);
	sh->ret = ioctl(sh->fd, ACALL_IOC_SHUTDOWN, 0) ? -errno : 0;
	return NULL;
}

/*
 * No thread serves, so the punted NOP can only end by a shutdown, which
 * another thread makes while the call sleeps: it cancels the NOP, whose
 * completion ends the sleep; the call returns what it took.
 */
TEST(shutdown_from_another_thread_ends_the_sleep)
{
	struct shutter sh = { .tid = syscall(SYS_gettid), .ret = -1 };
	pthread_t shutter;
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	struct acall_raw r;

	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT | ACALL_FEAT_PROCESS_WORKERS |
		      ACALL_FEAT_SHUTDOWN);
	ASSERT_EQ(0, raw_open(&r));
	sh.fd = r.fd;
	acall_prep_nop(&sqe, MS);
	acall_sqe_set_data(&sqe, 6);
	ASSERT_EQ(0, pthread_create(&shutter, NULL, shut_down_when_asleep, &sh));
	EXPECT_EQ(1, raw_submit(r.fd, &sqe, 1, ACALL_SUBMIT_WAIT, 1));
	ASSERT_EQ(0, pthread_join(shutter, NULL));
	EXPECT_EQ(0, sh.ret);
	ASSERT_EQ(1, raw_ready(&r));
	ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
	EXPECT_EQ(6, cqe.user_data);
	EXPECT_EQ(-ECANCELED, cqe.res);
	acall_raw_unmap(&r);
	close(r.fd);
}

TEST_HARNESS_MAIN

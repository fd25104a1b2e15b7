// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio: aio_suspend(). It returns at once when a listed
 * request is done, sleeps until one is, gives up with EAGAIN at its
 * timeout and EINTR on a signal. A read from an empty pipe (a file acall
 * hands to glibc) is the request that stays pending until the test writes.
 */
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"
#include "task_state.h"

FIXTURE(suspend) {
	int pipe[2];
	int fd;
	char pbuf[16];
	struct aiocb pending;	/* read of the empty pipe */
};

FIXTURE_SETUP(suspend)
{
	self->fd = -1;
	self->pipe[0] = self->pipe[1] = -1;
	PA_REQUIRE_ACALL();
	ASSERT_EQ(0, pipe(self->pipe));
	self->fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 4096, 1));
	pa_prep(&self->pending, self->pipe[0], self->pbuf, sizeof(self->pbuf), 0);
	ASSERT_EQ(0, aio_read(&self->pending));
}

FIXTURE_TEARDOWN(suspend)
{
	if (self->pipe[1] >= 0) {
		/* Let the pending read finish before the process ends. */
		if (write(self->pipe[1], "x", 1) != 1)
			perror("write");
		pa_wait(&self->pending);
		close(self->pipe[1]);
		close(self->pipe[0]);
	}
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(suspend, returns_once_one_of_the_list_is_done)
{
	char buf[4096];
	struct aiocb cb;
	const struct aiocb *list[3] = { &self->pending, NULL, &cb };
	struct timespec zero = { 0, 0 };

	pa_prep(&cb, self->fd, buf, sizeof(buf), 0);
	ASSERT_EQ(0, aio_read(&cb));
	while (aio_error(&cb) == EINPROGRESS) {
		ASSERT_EQ(0, aio_suspend(list, 3, NULL));
	}
	EXPECT_EQ(sizeof(buf), aio_return(&cb));
	EXPECT_EQ(EINPROGRESS, aio_error(&self->pending));
	/* A done request in the list: at once, also with a zero timeout. */
	EXPECT_EQ(0, aio_suspend(list, 3, &zero));
	/* Nothing listed: nothing to wait for. */
	list[0] = list[2] = NULL;
	EXPECT_EQ(0, aio_suspend(list, 3, NULL));
}

TEST_F(suspend, timeout_is_eagain)
{
	const struct aiocb *list[1] = { &self->pending };
	struct timespec t = { 0, 20 * 1000 * 1000 };

	errno = 0;
	EXPECT_EQ(-1, aio_suspend(list, 1, &t));
	EXPECT_EQ(EAGAIN, errno);
	t.tv_nsec = 0;
	EXPECT_EQ(-1, aio_suspend(list, 1, &t));
	EXPECT_EQ(EAGAIN, errno);
	t.tv_nsec = 1000 * 1000 * 1000;
	EXPECT_EQ(-1, aio_suspend(list, 1, &t));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(suspend, wakes_when_the_pipe_read_completes)
{
	const struct aiocb *list[1] = { &self->pending };

	ASSERT_EQ(5, write(self->pipe[1], "hello", 5));
	while (aio_error(&self->pending) == EINPROGRESS) {
		ASSERT_EQ(0, aio_suspend(list, 1, NULL));
	}
	EXPECT_EQ(5, aio_return(&self->pending));
	EXPECT_EQ(0, memcmp(self->pbuf, "hello", 5));
	/* The teardown's read: a new pending request on the same aiocb. */
	ASSERT_EQ(0, aio_read(&self->pending));
}

struct pipe_writer {
	pid_t tid;		/* the thread in aio_suspend() */
	int fd;			/* the pipe's write end */
	int back;		/* that thread is back from the call */
};

/* Write to the pipe once the thread sleeps in aio_suspend(), not before. */
static void *write_when_asleep(void *arg)
{
	struct pipe_writer *w = arg;

	while (acall_task_in_syscall(w->tid, SYS_futex) != 1) {
		if (__atomic_load_n(&w->back, __ATOMIC_SEQ_CST))
			return NULL;
		sched_yield();
	}
	if (write(w->fd, "x", 1) != 1)
		perror("write");
	return NULL;
}

/*
 * The largest timeout a timespec holds is "for ever": the call sleeps
 * until the request is done, rather than fail at once because the
 * deadline it adds up to does not fit.
 */
TEST_F(suspend, a_timeout_of_time_t_max_seconds_waits)
{
	const struct aiocb *list[1] = { &self->pending };
	struct timespec forever = { LONG_MAX, 999999999L };
	struct pipe_writer w = { .tid = gettid(), .fd = self->pipe[1] };
	pthread_t t;
	int ret, err;

	ASSERT_EQ(0, pthread_create(&t, NULL, write_when_asleep, &w));
	ret = aio_suspend(list, 1, &forever);
	err = errno;
	__atomic_store_n(&w.back, 1, __ATOMIC_SEQ_CST);
	ASSERT_EQ(0, pthread_join(t, NULL));
	EXPECT_EQ(0, ret) TH_LOG("aio_suspend: %s", strerror(err));
	if (ret) {
		/* Not woken by the write: let the pending read finish. */
		ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	}
	EXPECT_EQ(0, pa_wait(&self->pending));
	EXPECT_EQ(1, aio_return(&self->pending));
	/* The teardown's read: a new pending request on the same aiocb. */
	ASSERT_EQ(0, aio_read(&self->pending));
}

static volatile sig_atomic_t handled;

static void on_signal(int sig)
{
	(void)sig;
	handled = 1;
}

struct kicker {
	pthread_t target;
	volatile int stop;
};

/* Signal the target until it says it is back from aio_suspend(). */
static void *kick(void *arg)
{
	struct kicker *k = arg;

	while (!__atomic_load_n(&k->stop, __ATOMIC_ACQUIRE)) {
		pthread_kill(k->target, SIGUSR1);
		sched_yield();
	}
	return NULL;
}

TEST_F(suspend, a_signal_interrupts_with_eintr)
{
	const struct aiocb *list[1] = { &self->pending };
	struct sigaction sa = { .sa_handler = on_signal };	/* no SA_RESTART */
	struct kicker k = { .target = pthread_self() };
	pthread_t t;
	int ret, err;

	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));
	ASSERT_EQ(0, pthread_create(&t, NULL, kick, &k));
	/* The pipe read never completes: only the signal can end this. */
	ret = aio_suspend(list, 1, NULL);
	err = errno;
	__atomic_store_n(&k.stop, 1, __ATOMIC_RELEASE);
	pthread_join(t, NULL);
	EXPECT_EQ(-1, ret);
	EXPECT_EQ(EINTR, err);
	EXPECT_TRUE(handled);
	EXPECT_EQ(EINPROGRESS, aio_error(&self->pending));
}

TEST_HARNESS_MAIN

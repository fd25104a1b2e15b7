// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio: sigevent notification. SIGEV_SIGNAL queues the signal
 * with si_code SI_ASYNCIO and the request's value; SIGEV_THREAD runs the
 * function in a new thread with the value; both only once the result is
 * in the aiocb. SIGEV_NONE sends nothing.
 */
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"

FIXTURE(notify) {
	int fd;
	char buf[8192];
	struct aiocb cb;
	sigset_t sig;
};

FIXTURE_SETUP(notify)
{
	self->fd = -1;
	PA_REQUIRE_ACALL();
	self->fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, sizeof(self->buf), 1));
	pa_prep(&self->cb, self->fd, self->buf, sizeof(self->buf), 0);
	/* Taken with sigwaitinfo(), never delivered to a handler. */
	sigemptyset(&self->sig);
	sigaddset(&self->sig, SIGRTMIN + 1);
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &self->sig, NULL));
}

FIXTURE_TEARDOWN(notify)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(notify, sigev_signal)
{
	unsigned int i;

	for (i = 0; i < 8; i++) {
		siginfo_t si;

		self->cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		self->cb.aio_sigevent.sigev_signo = SIGRTMIN + 1;
		self->cb.aio_sigevent.sigev_value.sival_int = 1000 + i;
		ASSERT_EQ(0, i % 2 ? aio_write(&self->cb) : aio_read(&self->cb));
		ASSERT_EQ(SIGRTMIN + 1, sigwaitinfo(&self->sig, &si));
		EXPECT_EQ(SI_ASYNCIO, si.si_code);
		EXPECT_EQ(1000 + i, si.si_value.sival_int);
		EXPECT_EQ(getpid(), si.si_pid);
		/* The signal comes after the result. */
		EXPECT_EQ(0, aio_error(&self->cb));
		EXPECT_EQ(sizeof(self->buf), aio_return(&self->cb));
	}
	EXPECT_EQ(-1, acall_check(self->buf, sizeof(self->buf), 0, 1));
}

TEST_F(notify, sigev_signal_for_fsync_and_a_failed_request)
{
	siginfo_t si;

	self->cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
	self->cb.aio_sigevent.sigev_signo = SIGRTMIN + 1;
	self->cb.aio_sigevent.sigev_value.sival_int = 7;
	ASSERT_EQ(0, aio_fsync(O_DSYNC, &self->cb));
	ASSERT_EQ(SIGRTMIN + 1, sigwaitinfo(&self->sig, &si));
	EXPECT_EQ(7, si.si_value.sival_int);
	EXPECT_EQ(0, aio_return(&self->cb));

	self->cb.aio_fildes = 999;
	self->cb.aio_sigevent.sigev_value.sival_int = 8;
	ASSERT_EQ(0, aio_read(&self->cb));
	ASSERT_EQ(SIGRTMIN + 1, sigwaitinfo(&self->sig, &si));
	EXPECT_EQ(8, si.si_value.sival_int);
	EXPECT_EQ(EBADF, aio_error(&self->cb));
}

struct seen {
	sem_t sem;
	struct aiocb *cb;
	int error;		/* aio_error() inside the function */
	pthread_t thread;
	int value;
};

static void on_done(union sigval v)
{
	struct seen *s = v.sival_ptr;

	s->error = aio_error(s->cb);
	s->thread = pthread_self();
	s->value++;
	sem_post(&s->sem);
}

TEST_F(notify, sigev_thread)
{
	struct seen s = { .cb = &self->cb, .error = -1 };
	unsigned int i;

	ASSERT_EQ(0, sem_init(&s.sem, 0, 0));
	for (i = 0; i < 8; i++) {
		self->cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
		self->cb.aio_sigevent.sigev_notify_function = on_done;
		self->cb.aio_sigevent.sigev_value.sival_ptr = &s;
		ASSERT_EQ(0, aio_read(&self->cb));
		ASSERT_EQ(0, sem_wait(&s.sem));
		EXPECT_EQ(0, s.error);
		EXPECT_EQ(i + 1, s.value);
		EXPECT_FALSE(pthread_equal(s.thread, pthread_self()));
		EXPECT_EQ(sizeof(self->buf), aio_return(&self->cb));
	}
}

TEST_F(notify, sigev_thread_with_attributes)
{
	struct seen s = { .cb = &self->cb, .error = -1 };
	pthread_attr_t attr;

	ASSERT_EQ(0, sem_init(&s.sem, 0, 0));
	ASSERT_EQ(0, pthread_attr_init(&attr));
	ASSERT_EQ(0, pthread_attr_setstacksize(&attr, 1 << 20));
	self->cb.aio_sigevent.sigev_notify = SIGEV_THREAD;
	self->cb.aio_sigevent.sigev_notify_function = on_done;
	self->cb.aio_sigevent.sigev_notify_attributes = &attr;
	self->cb.aio_sigevent.sigev_value.sival_ptr = &s;
	ASSERT_EQ(0, aio_write(&self->cb));
	ASSERT_EQ(0, sem_wait(&s.sem));
	EXPECT_EQ(0, s.error);
	EXPECT_EQ(sizeof(self->buf), aio_return(&self->cb));
	pthread_attr_destroy(&attr);
}

static volatile sig_atomic_t handled;
static volatile ssize_t handler_ret;
static volatile int handler_err;

/* aio_error() and aio_return() are async-signal-safe: call them here. */
static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	struct aiocb *cb = si->si_value.sival_ptr;

	(void)sig;
	(void)ctx;
	handler_err = aio_error(cb);
	handler_ret = aio_return(cb);
	handled = handled + 1;
}

TEST_F(notify, aio_return_in_the_signal_handler)
{
	struct sigaction sa = { .sa_sigaction = on_signal, .sa_flags = SA_SIGINFO };
	sigset_t block, wait;
	int i;

	sigemptyset(&block);
	sigaddset(&block, SIGRTMIN + 2);
	ASSERT_EQ(0, sigaction(SIGRTMIN + 2, &sa, NULL));
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &block, &wait));
	sigdelset(&wait, SIGRTMIN + 2);
	for (i = 0; i < 50; i++) {
		handler_ret = 0;
		self->cb.aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		self->cb.aio_sigevent.sigev_signo = SIGRTMIN + 2;
		self->cb.aio_sigevent.sigev_value.sival_ptr = &self->cb;
		ASSERT_EQ(0, i % 2 ? aio_write(&self->cb) : aio_read(&self->cb));
		while (handled == i)
			sigsuspend(&wait);
		ASSERT_EQ(i + 1, handled);
		EXPECT_EQ(0, handler_err);
		EXPECT_EQ(sizeof(self->buf), handler_ret);
		/* Taken by the handler: nothing left for a second call. */
		EXPECT_EQ(-1, aio_return(&self->cb));
	}
}

TEST_F(notify, sigev_none_sends_nothing)
{
	struct timespec zero = { 0, 0 };
	siginfo_t si;

	self->cb.aio_sigevent.sigev_notify = SIGEV_NONE;
	self->cb.aio_sigevent.sigev_signo = SIGRTMIN + 1;
	ASSERT_EQ(0, aio_read(&self->cb));
	ASSERT_EQ(0, pa_wait(&self->cb));
	EXPECT_EQ(sizeof(self->buf), aio_return(&self->cb));
	/* A signal would be queued before the result was visible. */
	EXPECT_EQ(-1, sigtimedwait(&self->sig, &si, &zero));
	EXPECT_EQ(EAGAIN, errno);
}

TEST_HARNESS_MAIN

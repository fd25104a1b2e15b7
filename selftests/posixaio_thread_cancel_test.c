// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio and pthread_cancel(). aio_suspend() is a cancellation
 * point, as POSIX requires: a cancellation ends it while it sleeps, and one
 * already pending ends it before it sleeps. The other calls are none, as
 * in glibc, and a cancellation pending while they run must not act in the
 * library's own waits or files: not in the set-up at a process's first
 * request (which opens /dev/acall under the library's lock), nor in the
 * wait for a notification's turn (behind another thread still sending),
 * nor in an aio_suspend() of a signal handler that interrupted the library.
 * Each would leave a lock held or a request half made.
 *
 * A read from an empty pipe is the request that stays pending until the
 * test writes; a SIGEV_THREAD note whose attributes lie on a page held by
 * userfaultfd holds its sender inside its turn until the test supplies it,
 * and a cached read of ext4 completes inline, in its submitter, which then
 * sends its own note.
 *
 * Built without ASan: it does not follow the unwinding of a canceled
 * thread's stack, and reports the thread's exit.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"
#include "task_state.h"

#define PAGE		4096
#define BOUND_MS	60000	/* generous: TCG is slow */
#define RETURNED	((void *)1)

/* What a test thread does, and what it tells the test. */
struct worker {
	struct aiocb *cb;	/* the request it waits for, or submits */
	int (*submit)(struct aiocb *cb);
	bool cancel_first;	/* start with cancellation disabled */
	sem_t go;		/* cancel_first: the test has canceled it */
	pid_t tid;
	int started;		/* about to make its call */
};

/* Tell the test who it is; with cancel_first, be canceled meanwhile. */
static void begin(struct worker *w)
{
	int state;

	__atomic_store_n(&w->tid, gettid(), __ATOMIC_SEQ_CST);
	if (w->cancel_first) {
		pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
		while (sem_wait(&w->go))
			;
		pthread_setcancelstate(state, NULL);
	}
	__atomic_store_n(&w->started, 1, __ATOMIC_SEQ_CST);
}

static void *suspend_main(void *arg)
{
	struct worker *w = arg;
	const struct aiocb *list[1] = { w->cb };

	begin(w);
	do
		aio_suspend(list, 1, NULL);
	while (aio_error(w->cb) == EINPROGRESS);
	return RETURNED;
}

static void *submit_main(void *arg)
{
	struct worker *w = arg;

	begin(w);
	/* No cancellation point after it: a pending cancel stays pending. */
	return w->submit(w->cb) ? NULL : RETURNED;
}

static bool started(struct worker *w)
{
	return __atomic_load_n(&w->started, __ATOMIC_SEQ_CST);
}

FIXTURE(tc) {
	int pipe[2];
	int fd;
	char pbuf[16];
	struct aiocb pending;	/* read of the empty pipe */
	struct worker w;
};

FIXTURE_SETUP(tc)
{
	self->fd = -1;
	self->pipe[0] = self->pipe[1] = -1;
	/* No aio call here: set_up_is_not_canceled makes the first. */
	PA_REQUIRE_ACALL();
	ASSERT_EQ(0, pipe(self->pipe));
	self->fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, PAGE, 1));
	pa_prep(&self->pending, self->pipe[0], self->pbuf, sizeof(self->pbuf), 0);
	memset(&self->w, 0, sizeof(self->w));
	ASSERT_EQ(0, sem_init(&self->w.go, 0, 0));
}

FIXTURE_TEARDOWN(tc)
{
	if (self->pipe[0] >= 0) {
		close(self->pipe[0]);
		close(self->pipe[1]);
	}
	if (self->fd >= 0)
		close(self->fd);
}

/* Canceled while it sleeps: the write that comes next is too late. */
TEST_F(tc, suspend_is_canceled_while_it_sleeps)
{
	pthread_t t;
	void *ret;

	ASSERT_EQ(0, aio_read(&self->pending));
	self->w.cb = &self->pending;
	ASSERT_EQ(0, pthread_create(&t, NULL, suspend_main, &self->w));
	while (!started(&self->w))
		sched_yield();
	/* Its only futex from here on is aio_suspend()'s. */
	while (acall_task_in_syscall(self->w.tid, SYS_futex) == 0)
		sched_yield();
	ASSERT_EQ(0, pthread_cancel(t));
	ASSERT_EQ(3, write(self->pipe[1], "abc", 3));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(PTHREAD_CANCELED, ret)
		TH_LOG("aio_suspend() slept through the cancellation");
	/* The request itself is untouched, and waiting for it still works. */
	EXPECT_EQ(0, pa_wait(&self->pending));
	EXPECT_EQ(3, aio_return(&self->pending));
	EXPECT_EQ(0, memcmp(self->pbuf, "abc", 3));
}

/* Canceled before it is called: it must not sleep at all. */
TEST_F(tc, suspend_acts_on_a_pending_cancel)
{
	pthread_t t;
	void *ret;

	ASSERT_EQ(0, aio_read(&self->pending));
	self->w.cb = &self->pending;
	self->w.cancel_first = true;
	ASSERT_EQ(0, pthread_create(&t, NULL, suspend_main, &self->w));
	ASSERT_EQ(0, pthread_cancel(t));
	ASSERT_EQ(0, sem_post(&self->w.go));
	while (!started(&self->w))
		sched_yield();
	/* Gone (canceled), or asleep in aio_suspend() (the cancel ignored). */
	while (acall_task_in_syscall(self->w.tid, SYS_futex) == 0)
		sched_yield();
	ASSERT_EQ(3, write(self->pipe[1], "abc", 3));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(PTHREAD_CANCELED, ret)
		TH_LOG("aio_suspend() slept with a cancellation pending");
	EXPECT_EQ(0, pa_wait(&self->pending));
	EXPECT_EQ(3, aio_return(&self->pending));
}

/* Canceled before it is called, its request done: it acts all the same. */
TEST_F(tc, suspend_acts_on_a_pending_cancel_with_nothing_to_wait_for)
{
	char buf[PAGE];
	struct aiocb cb;
	pthread_t t;
	void *ret;

	pa_prep(&cb, self->fd, buf, PAGE, 0);
	ASSERT_EQ(0, aio_read(&cb));
	ASSERT_EQ(0, pa_wait(&cb));
	self->w.cb = &cb;
	self->w.cancel_first = true;
	ASSERT_EQ(0, pthread_create(&t, NULL, suspend_main, &self->w));
	ASSERT_EQ(0, pthread_cancel(t));
	ASSERT_EQ(0, sem_post(&self->w.go));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(PTHREAD_CANCELED, ret)
		TH_LOG("aio_suspend() returned with a cancellation pending");
	EXPECT_EQ(PAGE, aio_return(&cb));
}

/*
 * The process's first request, from a thread with a cancellation pending:
 * aio_write() is no cancellation point, so it submits and returns, and the
 * library works for everyone afterwards.
 */
TEST_F(tc, set_up_is_not_canceled)
{
	char buf[PAGE], back[PAGE];
	struct aiocb cb;
	pthread_t t;
	void *ret;

	acall_fill(buf, PAGE, 0, 5);
	pa_prep(&cb, self->fd, buf, PAGE, 0);
	self->w.cb = &cb;
	self->w.submit = aio_write;
	self->w.cancel_first = true;
	ASSERT_EQ(0, pthread_create(&t, NULL, submit_main, &self->w));
	ASSERT_EQ(0, pthread_cancel(t));
	ASSERT_EQ(0, sem_post(&self->w.go));
	ASSERT_EQ(0, pthread_join(t, &ret));
	ASSERT_EQ(RETURNED, ret)
		TH_LOG("canceled inside the library's set-up (%p)", ret);
	EXPECT_EQ(0, pa_wait(&cb));
	EXPECT_EQ(PAGE, aio_return(&cb));
	ASSERT_EQ(PAGE, pread(self->fd, back, PAGE, 0));
	EXPECT_EQ(-1, acall_check(back, PAGE, 0, 5));
	/* And the library still works from this thread. */
	pa_prep(&cb, self->fd, back, PAGE, 0);
	EXPECT_EQ(PAGE, pa_run(&cb, aio_read));
	EXPECT_EQ(-1, acall_check(back, PAGE, 0, 5));
}

static void on_done(union sigval v)
{
	sem_post(v.sival_ptr);
}

static const struct aiocb *handler_list[1];
static volatile sig_atomic_t handler_returned;

static void suspend_in_handler(int sig)
{
	aio_suspend(handler_list, 1, NULL);
	handler_returned = 1;
}

/*
 * aio_suspend() from a signal handler (allowed: it is async-signal-safe)
 * that interrupted the library on the same thread, with a cancellation
 * pending: a cancellation there would unwind the library's own frames.
 * The thread is held inside aio_read() by its aiocb, on a page held by
 * userfaultfd; the signal interrupts that fault, the handler runs and
 * returns, and the read goes on once the page comes.
 */
TEST_F_TIMEOUT(tc, suspend_in_a_handler_inside_the_library_is_not_canceled, 120)
{
	struct pollfd pfd = { .events = POLLIN };
	struct sigaction sa = { .sa_handler = suspend_in_handler };
	char buf[PAGE], done_buf[PAGE], src[PAGE];
	struct aiocb done, *held;
	struct uffd_msg msg;
	pthread_t t;
	void *ret;
	int uffd;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	pfd.fd = uffd;
	held = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, held);
	ASSERT_EQ(0, acall_uffd_hold(uffd, held, PAGE, 0));
	pa_prep(&done, self->fd, done_buf, PAGE, 0);
	ASSERT_EQ(0, aio_read(&done));
	ASSERT_EQ(0, pa_wait(&done));
	handler_list[0] = &done;
	ASSERT_EQ(0, sigaction(SIGUSR1, &sa, NULL));

	self->w.cb = held;
	self->w.submit = aio_read;
	ASSERT_EQ(0, pthread_create(&t, NULL, submit_main, &self->w));
	ASSERT_EQ(1, poll(&pfd, 1, BOUND_MS))
		TH_LOG("aio_read() did not fault on its aiocb");
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(0, pthread_cancel(t));
	ASSERT_EQ(0, pthread_kill(t, SIGUSR1));
	while (!handler_returned &&
	       acall_task_in_syscall(self->w.tid, SYS_futex) >= 0)
		sched_yield();
	ASSERT_TRUE(handler_returned)
		TH_LOG("canceled in a handler that interrupted aio_read()");

	memset(src, 0, PAGE);
	pa_prep((struct aiocb *)src, self->fd, buf, PAGE, 0);
	ASSERT_EQ(0, acall_uffd_copy(uffd, held, src, PAGE));
	ASSERT_EQ(0, pthread_join(t, &ret));
	EXPECT_EQ(RETURNED, ret);
	EXPECT_EQ(0, pa_wait(held));
	EXPECT_EQ(PAGE, aio_return(held));
	EXPECT_EQ(-1, acall_check(buf, PAGE, 0, 1));
	EXPECT_EQ(PAGE, aio_return(&done));
	close(uffd);
	munmap(held, PAGE);
}

/*
 * The first note's sender holds its turn (the note's attributes are on a
 * held page); a second thread's read completes at once and its note waits
 * for the next turn. That thread, canceled meanwhile, must still send its
 * note and return: canceled in the wait, it would never end its turn and
 * would leave the turn's lock held.
 */
TEST_F_TIMEOUT(tc, notification_turn_is_not_canceled, 120)
{
	struct pollfd pfd = { .events = POLLIN };
	struct aiocb first, second;
	char buf1[PAGE], buf2[PAGE], src[PAGE];
	struct worker w1 = { 0 };
	sem_t done1, done2;
	pthread_attr_t attr;
	struct uffd_msg msg;
	pthread_t t1, t2;
	void *ret, *page;
	const char *dir;
	int uffd, fd;

	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, PAGE, 1));
	page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, acall_uffd_hold(uffd, page, PAGE, 0));
	pfd.fd = uffd;
	ASSERT_EQ(0, sem_init(&done1, 0, 0));
	ASSERT_EQ(0, sem_init(&done2, 0, 0));

	/* The first: its sender faults on the attributes, inside its turn. */
	pa_prep(&first, fd, buf1, PAGE, 0);
	first.aio_sigevent.sigev_notify = SIGEV_THREAD;
	first.aio_sigevent.sigev_notify_function = on_done;
	first.aio_sigevent.sigev_notify_attributes = page;
	first.aio_sigevent.sigev_value.sival_ptr = &done1;
	w1.cb = &first;
	w1.submit = aio_read;
	ASSERT_EQ(0, pthread_create(&t1, NULL, submit_main, &w1));
	ASSERT_EQ(1, poll(&pfd, 1, BOUND_MS))
		TH_LOG("no sender faulted on the note's attributes");
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	/* The second, from a thread canceled while it waits for its turn. */
	pa_prep(&second, fd, buf2, PAGE, 0);
	second.aio_sigevent.sigev_notify = SIGEV_THREAD;
	second.aio_sigevent.sigev_notify_function = on_done;
	second.aio_sigevent.sigev_value.sival_ptr = &done2;
	/* aio_error() of a block not yet submitted reads this field. */
	second.__error_code = EINPROGRESS;
	self->w.cb = &second;
	self->w.submit = aio_read;
	ASSERT_EQ(0, pthread_create(&t2, NULL, submit_main, &self->w));
	while (!started(&self->w))
		sched_yield();
	/*
	 * Its read completes inline, and its thread then waits to send the
	 * note after the first: it cannot leave aio_read() before that.
	 */
	while (aio_error(&second) == EINPROGRESS)
		sched_yield();
	while (acall_task_in_syscall(self->w.tid, SYS_futex) == 0)
		sched_yield();
	ASSERT_EQ(1, acall_task_in_syscall(self->w.tid, SYS_futex))
		TH_LOG("the second read's thread did not wait for its note's turn");
	ASSERT_EQ(0, pthread_cancel(t2));

	/* Valid attributes on the page: the first sender goes on. */
	ASSERT_EQ(0, pthread_attr_init(&attr));
	memset(src, 0, PAGE);
	memcpy(src, &attr, sizeof(attr));
	ASSERT_EQ(0, acall_uffd_copy(uffd, page, src, PAGE));
	/*
	 * Canceled in its wait, it would have left the turn's lock held and
	 * the first sender would wait forever: stop before joining that one.
	 */
	ASSERT_EQ(0, pthread_join(t2, &ret));
	ASSERT_EQ(RETURNED, ret)
		TH_LOG("canceled in the wait for its note's turn");
	ASSERT_EQ(0, pthread_join(t1, &ret));
	EXPECT_EQ(RETURNED, ret);
	ASSERT_EQ(0, sem_wait(&done1));
	ASSERT_EQ(0, sem_wait(&done2));
	EXPECT_EQ(PAGE, aio_return(&first));
	EXPECT_EQ(PAGE, aio_return(&second));
	EXPECT_EQ(-1, acall_check(buf1, PAGE, 0, 1));
	EXPECT_EQ(-1, acall_check(buf2, PAGE, 0, 1));
	pthread_attr_destroy(&attr);
	close(uffd);
	munmap(page, PAGE);
	close(fd);
}

TEST_HARNESS_MAIN

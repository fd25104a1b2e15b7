// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio: requests on files acall does not serve (a pipe here;
 * the module refuses them with EOPNOTSUPP) are handed to glibc's own AIO.
 * Those of one fd reach glibc in the order they were submitted, whichever
 * thread reaps their refusal, and the thread glibc starts to report one
 * done runs none of the application's signal handlers while it holds the
 * library's lock.
 *
 * A thread is held inside the library at a chosen point with userfaultfd:
 * a SIGEV_THREAD note whose attributes lie on a held page holds its sender
 * inside its turn to send notes; an aiocb on a write-protected page holds
 * whoever writes the result into it, under the library's lock.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
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

FIXTURE(forward) {
	int pipe[2];
	int fd, uffd;
	void *page;
};

FIXTURE_SETUP(forward)
{
	self->fd = -1;
	self->uffd = -1;
	self->page = MAP_FAILED;
	self->pipe[0] = self->pipe[1] = -1;
	PA_REQUIRE_ACALL();
	ASSERT_EQ(0, pipe(self->pipe));
	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	self->page = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->page);
}

FIXTURE_TEARDOWN(forward)
{
	if (self->page != MAP_FAILED)
		munmap(self->page, PAGE);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->pipe[0] >= 0) {
		close(self->pipe[0]);
		close(self->pipe[1]);
	}
	if (self->fd >= 0)
		close(self->fd);
}

/* The next fault on the uffd: the faulting thread, or -1. */
static pid_t next_fault(int uffd, __u64 flags)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, BOUND_MS) != 1 ||
	    read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT ||
	    (msg.arg.pagefault.flags & flags) != flags)
		return -1;
	return (pid_t)msg.arg.pagefault.feat.ptid;
}

static void on_done(union sigval v)
{
	sem_post(v.sival_ptr);
}

struct lister {
	struct aiocb *list[2];
	pid_t tid;
	int ret;
};

static void *lio_main(void *arg)
{
	struct lister *l = arg;

	__atomic_store_n(&l->tid, gettid(), __ATOMIC_SEQ_CST);
	l->ret = lio_listio(LIO_NOWAIT, l->list, 2, NULL);
	return NULL;
}

static void *read_main(void *arg)
{
	return (void *)(long)aio_read(arg);
}

/*
 * A's refusal is reaped by a thread that must then wait for its turn to
 * send a note (the first sender is held in its turn). B, on the same pipe
 * and submitted after A, is reaped meanwhile by the test's own thread.
 * glibc must get A first: the pipe then reads "AB".
 */
TEST_F_TIMEOUT(forward, refused_requests_reach_glibc_in_submission_order, 120)
{
	struct aiocb first, second, a, b;
	char buf1[PAGE], buf2[PAGE], src[PAGE], got[4] = "";
	struct lister l = { .list = { &second, &a } };
	sem_t done1, done2;
	pthread_attr_t attr;
	pthread_t t1, t2;
	const char *dir;
	void *ret;

	/* ext4 reads cached pages inline: each submitter reaps its own. */
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	self->fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 2 * PAGE, 1));
	ASSERT_EQ(0, acall_uffd_hold(self->uffd, self->page, PAGE,
				     UFFD_FEATURE_THREAD_ID));
	ASSERT_EQ(0, sem_init(&done1, 0, 0));
	ASSERT_EQ(0, sem_init(&done2, 0, 0));

	/* The first note's sender faults on its attributes, in its turn. */
	pa_prep(&first, self->fd, buf1, PAGE, 0);
	first.aio_sigevent.sigev_notify = SIGEV_THREAD;
	first.aio_sigevent.sigev_notify_function = on_done;
	first.aio_sigevent.sigev_notify_attributes = self->page;
	first.aio_sigevent.sigev_value.sival_ptr = &done1;
	ASSERT_EQ(0, pthread_create(&t1, NULL, read_main, &first));
	ASSERT_LT(0, next_fault(self->uffd, 0))
		TH_LOG("no sender faulted on the note's attributes");

	/* A cached read with a note, and A: reaped together, then a wait. */
	pa_prep(&second, self->fd, buf2, PAGE, PAGE);
	second.aio_lio_opcode = LIO_READ;
	second.aio_sigevent.sigev_notify = SIGEV_THREAD;
	second.aio_sigevent.sigev_notify_function = on_done;
	second.aio_sigevent.sigev_value.sival_ptr = &done2;
	/* aio_error() of a block not yet submitted reads this field. */
	second.__error_code = EINPROGRESS;
	pa_prep(&a, self->pipe[1], "A", 1, 0);
	a.aio_lio_opcode = LIO_WRITE;
	ASSERT_EQ(0, pthread_create(&t2, NULL, lio_main, &l));
	while (aio_error(&second) == EINPROGRESS)
		sched_yield();
	while (!__atomic_load_n(&l.tid, __ATOMIC_SEQ_CST))
		sched_yield();
	while (acall_task_in_syscall(l.tid, SYS_futex) == 0)
		sched_yield();
	ASSERT_EQ(1, acall_task_in_syscall(l.tid, SYS_futex))
		TH_LOG("the list's thread did not wait for its note's turn");
	EXPECT_EQ(EINPROGRESS, aio_error(&a));

	/* B, reaped by this thread, after A. */
	pa_prep(&b, self->pipe[1], "B", 1, 0);
	ASSERT_EQ(0, aio_write(&b));
	EXPECT_EQ(0, pa_wait(&b));
	EXPECT_EQ(1, aio_return(&b));
	EXPECT_LE(1, read(self->pipe[0], got, 2));
	EXPECT_STREQ("AB", got) TH_LOG("B reached glibc before A");

	/* Valid attributes on the page: the first sender goes on. */
	ASSERT_EQ(0, pthread_attr_init(&attr));
	memset(src, 0, PAGE);
	memcpy(src, &attr, sizeof(attr));
	ASSERT_EQ(0, acall_uffd_copy(self->uffd, self->page, src, PAGE));
	ASSERT_EQ(0, pthread_join(t1, &ret));
	EXPECT_EQ(NULL, ret);
	ASSERT_EQ(0, pthread_join(t2, NULL));
	EXPECT_EQ(0, l.ret);
	ASSERT_EQ(0, sem_wait(&done1));
	ASSERT_EQ(0, sem_wait(&done2));
	EXPECT_EQ(0, pa_wait(&a));
	EXPECT_EQ(1, aio_return(&a));
	if (!strcmp(got, "B"))
		EXPECT_EQ(1, read(self->pipe[0], got, 1));
	EXPECT_EQ(PAGE, aio_return(&first));
	EXPECT_EQ(PAGE, aio_return(&second));
	EXPECT_EQ(-1, acall_check(buf1, PAGE, 0, 1));
	EXPECT_EQ(-1, acall_check(buf2, PAGE, PAGE, 1));
	pthread_attr_destroy(&attr);
}

/*
 * The thread glibc starts to report a forwarded request done starts with
 * every signal unblocked. It writes the result into the application's
 * aiocb under the library's lock: held there (the aiocb's page is
 * write-protected), it must block the application's signals, or a handler
 * that calls aio_suspend() would wait for that lock for ever.
 */
TEST_F_TIMEOUT(forward, glibc_thread_blocks_signals_under_the_library_lock, 120)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_THREAD_ID | UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	};
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	struct aiocb *cb = self->page;
	char buf[16];
	pid_t tid;

	memset(self->page, 0, PAGE);
	if (ioctl(self->uffd, UFFDIO_API, &api))
		SKIP(return, "no write-protect faults: %s", strerror(errno));
	reg.range.start = (uintptr_t)self->page;
	reg.range.len = PAGE;
	if (ioctl(self->uffd, UFFDIO_REGISTER, &reg))
		SKIP(return, "no write-protect of anonymous memory: %s",
		     strerror(errno));

	/* A read of the empty pipe, glibc's until the test writes. */
	pa_prep(cb, self->pipe[0], buf, sizeof(buf), 0);
	ASSERT_EQ(0, aio_read(cb));
	wp.range = reg.range;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_WRITEPROTECT, &wp));
	ASSERT_EQ(1, write(self->pipe[1], "x", 1));
	tid = next_fault(self->uffd, UFFD_PAGEFAULT_FLAG_WP);
	ASSERT_LT(0, tid) TH_LOG("nobody wrote the result");
	EXPECT_NE(gettid(), tid);
	EXPECT_EQ(1, acall_task_sig_in(tid, "SigBlk:", SIGUSR1))
		TH_LOG("thread %d holds the lock with SIGUSR1 unblocked", tid);

	wp.mode = 0;
	ASSERT_EQ(0, ioctl(self->uffd, UFFDIO_WRITEPROTECT, &wp));
	EXPECT_EQ(0, pa_wait(cb));
	EXPECT_EQ(1, aio_return(cb));
	EXPECT_EQ('x', buf[0]);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio: aio_cancel(). AIO_ALLDONE for requests already done,
 * AIO_CANCELED when every matching request was canceled (they then say
 * ECANCELED and are notified), AIO_NOTCANCELED when one is running;
 * EBADF and EINVAL. Pending requests come from a pipe (a blocked read
 * runs, a second one on the same fd waits behind it) and from an fsync
 * waiting for its fd's earlier requests; the slow device gives requests
 * canceled inside the module.
 */
#include <fcntl.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"

FIXTURE(cancel) {
	int pipe[2];
	int fd;
};

FIXTURE_SETUP(cancel)
{
	self->fd = -1;
	self->pipe[0] = self->pipe[1] = -1;
	PA_REQUIRE_ACALL();
	ASSERT_EQ(0, pipe(self->pipe));
	self->fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(cancel)
{
	if (self->pipe[0] >= 0) {
		close(self->pipe[0]);
		close(self->pipe[1]);
	}
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(cancel, done_requests_are_alldone)
{
	char buf[512];
	struct aiocb cb;

	pa_prep(&cb, self->fd, buf, sizeof(buf), 0);
	ASSERT_EQ(0, pa_run(&cb, aio_write) == sizeof(buf) ? 0 : -1);
	EXPECT_EQ(AIO_ALLDONE, aio_cancel(self->fd, &cb));
	EXPECT_EQ(AIO_ALLDONE, aio_cancel(self->fd, NULL));
	/* Nothing ever submitted on this fd. */
	EXPECT_EQ(AIO_ALLDONE, aio_cancel(self->pipe[1], NULL));
}

TEST_F(cancel, bad_fd_and_mismatched_fd)
{
	char buf[16];
	struct aiocb cb;

	pa_prep(&cb, self->fd, buf, sizeof(buf), 0);
	errno = 0;
	EXPECT_EQ(-1, aio_cancel(999, NULL));
	EXPECT_EQ(EBADF, errno);
	EXPECT_EQ(-1, aio_cancel(self->pipe[0], &cb));
	EXPECT_EQ(EINVAL, errno);
}

static void on_cancel(union sigval v)
{
	sem_post(v.sival_ptr);
}

/*
 * Two reads of an empty pipe: the first runs (blocked), the second waits
 * behind it. One canceled, one not.
 */
TEST_F(cancel, running_is_notcanceled_waiting_is_canceled)
{
	char a[8], b[8];
	struct aiocb first, second;
	const struct aiocb *list[1] = { &first };
	sem_t sem;

	ASSERT_EQ(0, sem_init(&sem, 0, 0));
	pa_prep(&first, self->pipe[0], a, sizeof(a), 0);
	pa_prep(&second, self->pipe[0], b, sizeof(b), 0);
	second.aio_sigevent.sigev_notify = SIGEV_THREAD;
	second.aio_sigevent.sigev_notify_function = on_cancel;
	second.aio_sigevent.sigev_value.sival_ptr = &sem;
	ASSERT_EQ(0, aio_read(&first));
	ASSERT_EQ(0, aio_read(&second));
	/* Wait until the second is queued behind the first (not canceled yet). */
	EXPECT_EQ(AIO_NOTCANCELED, aio_cancel(self->pipe[0], &first));
	while (aio_cancel(self->pipe[0], &second) == AIO_NOTCANCELED)
		sched_yield();	/* still on its way from acall to glibc */
	EXPECT_EQ(ECANCELED, aio_error(&second));
	EXPECT_EQ(-1, aio_return(&second));
	/* A canceled request is notified. */
	ASSERT_EQ(0, sem_wait(&sem));
	EXPECT_EQ(EINPROGRESS, aio_error(&first));
	ASSERT_EQ(3, write(self->pipe[1], "abc", 3));
	while (aio_error(&first) == EINPROGRESS)
		aio_suspend(list, 1, NULL);
	EXPECT_EQ(3, aio_return(&first));
}

/*
 * An fsync waits for the fd's earlier requests (in the library, or as an
 * ordered request in the module): not started, so it can be canceled.
 */
TEST_F(cancel, fsync_waiting_for_earlier_requests)
{
	char a[8];
	struct aiocb rd, fs;

	pa_prep(&rd, self->pipe[0], a, sizeof(a), 0);
	pa_prep(&fs, self->pipe[0], NULL, 0, 0);
	ASSERT_EQ(0, aio_read(&rd));
	ASSERT_EQ(0, aio_fsync(O_SYNC, &fs));
	while (aio_cancel(self->pipe[0], &fs) == AIO_NOTCANCELED)
		sched_yield();
	EXPECT_EQ(ECANCELED, aio_error(&fs));
	/* By fd: the blocked read is running. */
	EXPECT_EQ(AIO_NOTCANCELED, aio_cancel(self->pipe[0], NULL));
	ASSERT_EQ(1, write(self->pipe[1], "z", 1));
	EXPECT_EQ(0, pa_wait(&rd));
	EXPECT_EQ(1, aio_return(&rd));
}

/*
 * Requests canceled inside the module: on the slow device with a single
 * worker, reads queue behind the one the worker is running. Each request
 * ends either canceled or read in full, as aio_cancel's answer says.
 */
TEST(module_cancel_on_slow_device)
{
	enum { N = 8, BS = 4096 };
	static struct aiocb cbs[N];
	static char bufs[N][BS];
	const char *dir;
	unsigned int i, canceled = 0;
	int fd, ret;

	PA_REQUIRE_ACALL();
	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	ASSERT_EQ(0, setenv("ACALL_POSIXAIO_WORKERS", "1", 1));
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, N * BS, 3));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, acall_drop_caches());
	for (i = 0; i < N; i++) {
		pa_prep(&cbs[i], fd, bufs[i], BS, (off_t)i * BS);
		ASSERT_EQ(0, aio_read(&cbs[i]));
	}
	ret = aio_cancel(fd, NULL);
	for (i = 0; i < N; i++) {
		int err = pa_wait(&cbs[i]);

		if (err == ECANCELED) {
			canceled++;
			EXPECT_EQ(-1, aio_return(&cbs[i]));
			continue;
		}
		ASSERT_EQ(0, err) TH_LOG("request %u", i);
		ASSERT_EQ(BS, aio_return(&cbs[i]));
		EXPECT_EQ(-1, acall_check(bufs[i], BS, (off_t)i * BS, 3));
	}
	if (ret == AIO_CANCELED) {
		EXPECT_EQ(N, canceled);
	} else {
		EXPECT_EQ(AIO_NOTCANCELED, ret);
	}
	EXPECT_LT(0, canceled) TH_LOG("none of %d queued behind one worker was canceled", N);
	close(fd);
}

TEST_HARNESS_MAIN

/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers of the libacall-posixaio selftests. Include after
 * "kselftest_harness.h", <acall.h> and "acall_test.h". The tests link the
 * library directly (not LD_PRELOAD, which ASan does not allow), so the
 * aio_* calls below are acall's.
 *
 * The library sets itself up at a process's first request, and the harness
 * runs each test in its own child: a test may setenv() the library's
 * variables (ACALL_POSIXAIO_ENTRIES, ...) before its first aio call.
 */
#ifndef ACALL_POSIXAIO_TEST_H
#define ACALL_POSIXAIO_TEST_H

#include <aio.h>
#include <errno.h>
#include <signal.h>
#include <string.h>

/* SKIP unless the library can use the module (else it is glibc's AIO). */
#define PA_REQUIRE_ACALL() ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_EVENTFD | \
					 ACALL_FEAT_CANCEL)

static inline void pa_prep(struct aiocb *cb, int fd, void *buf, size_t len,
			   off_t off)
{
	memset(cb, 0, sizeof(*cb));
	cb->aio_fildes = fd;
	cb->aio_buf = buf;
	cb->aio_nbytes = len;
	cb->aio_offset = off;
	cb->aio_sigevent.sigev_notify = SIGEV_NONE;
}

/* aio_suspend() on one request until it is done; its aio_error(). */
static inline int pa_wait(const struct aiocb *cb)
{
	const struct aiocb *list[1] = { cb };
	int err;

	while ((err = aio_error(cb)) == EINPROGRESS) {
		if (aio_suspend(list, 1, NULL) && errno != EINTR)
			return -errno;
	}
	return err;
}

/* Run one request to its end: aio_return(), or -aio_error(). */
static inline ssize_t pa_run(struct aiocb *cb, int (*submit)(struct aiocb *))
{
	int err;

	if (submit(cb))
		return -100000 - errno;
	err = pa_wait(cb);
	if (err)
		return -err;
	return aio_return(cb);
}

#endif /* ACALL_POSIXAIO_TEST_H */

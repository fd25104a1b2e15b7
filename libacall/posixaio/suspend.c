// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * aio_suspend(): sleep on a futex that every completion bumps, so a signal
 * interrupts the sleep (EINTR) and the timeout is the kernel's (EAGAIN).
 */
#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "posixaio.h"

int pa_wait_gen(uint32_t gen, const struct timespec *deadline)
{
	long ret;
	int err;

	__atomic_add_fetch(&pa.waiters, 1, __ATOMIC_SEQ_CST);
	/* Absolute CLOCK_MONOTONIC deadline, or none. */
	ret = syscall(SYS_futex, &pa.gen, FUTEX_WAIT_BITSET_PRIVATE, gen,
		      deadline, NULL, FUTEX_BITSET_MATCH_ANY);
	err = errno;
	__atomic_sub_fetch(&pa.waiters, 1, __ATOMIC_SEQ_CST);
	if (ret == 0 || err == EAGAIN)	/* woken, or gen already moved on */
		return 0;
	return err == ETIMEDOUT ? EAGAIN : err;
}

/* Is any listed request still ours and not done? Under pa.lock. */
static bool all_pending(const struct aiocb *const list[], int nent)
{
	bool any = false;
	int i;

	for (i = 0; i < nent; i++) {
		const struct pa_req *req;

		if (!list[i])
			continue;
		req = pa_table_find(list[i]);
		if (!req || req->where == PA_DONE)
			return false;	/* done, or not a request: nothing to wait for */
		any = true;
	}
	return any;
}

PA_API int aio_suspend(const struct aiocb *const list[], int nent,
		       const struct timespec *timeout)
{
	struct timespec deadline;
	uint32_t gen;
	int err;

	if (!pa_use_acall())
		return pa_glibc()->aio_suspend(list, nent, timeout);
	if (timeout) {
		if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
		    timeout->tv_nsec >= 1000000000L)
			return pa_fail(EINVAL);
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_sec += timeout->tv_sec;
		deadline.tv_nsec += timeout->tv_nsec;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
	}
	for (;;) {
		bool wait;

		pthread_mutex_lock(&pa.lock);
		wait = all_pending(list, nent);
		gen = pa.gen;
		pthread_mutex_unlock(&pa.lock);
		if (!wait)
			return 0;
		err = pa_wait_gen(gen, timeout ? &deadline : NULL);
		if (err)
			return pa_fail(err);
	}
}

PA_API int aio_suspend64(const struct aiocb64 *const list[], int nent,
			 const struct timespec *timeout)
{
	return aio_suspend((const struct aiocb *const *)list, nent, timeout);
}

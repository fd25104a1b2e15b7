// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * aio_suspend(): sleep on a futex that every completion bumps, so a signal
 * interrupts the sleep (EINTR) and the timeout is the kernel's (EAGAIN).
 * It is a cancellation point, as POSIX requires.
 */
#include <errno.h>
#include <linux/futex.h>
#include <pthread.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "posixaio.h"

static void waiter_gone(void *unused)
{
	(void)unused;
	__atomic_sub_fetch(&pa.waiters, 1, __ATOMIC_SEQ_CST);
}

/*
 * Completions in the ring that may have signalled nobody: those posted
 * during a quiet SUBMIT, which its caller reaps after the call, and this
 * may be a signal handler run on that thread before it did. The reaper is
 * told instead (write() is async-signal-safe); at worst it wakes for
 * nothing.
 */
static void tell_reaper_of_unreaped(void)
{
	uint64_t one = 1;

	/* A failed write: nothing better to do; the next completion tells. */
	if (acall_cq_ready(&pa.ring) && write(pa.efd, &one, sizeof(one)) < 0)
		return;
}

int pa_wait_gen(uint32_t gen, const struct timespec *deadline,
		bool cancel_point)
{
	int err, type = PTHREAD_CANCEL_DEFERRED;
	long ret;

	__atomic_add_fetch(&pa.waiters, 1, __ATOMIC_SEQ_CST);
	tell_reaper_of_unreaped();
	/*
	 * Built with -fexceptions: the handler is the compiler's cleanup,
	 * run by a cancellation's unwinding and registered nowhere in the
	 * thread, so a siglongjmp() out of a signal handler leaves nothing
	 * behind but a count one too high (spare wake-ups), as does a
	 * cancellation that lands on an instruction of this function
	 * rather than in the system call.
	 */
	pthread_cleanup_push(waiter_gone, NULL);
	/*
	 * A raw futex is no cancellation point, and a deferred cancellation
	 * sends no signal that would end it: switch to asynchronous
	 * cancellation for the system call alone, as glibc's own blocking
	 * calls do (a cancellation pending already acts here). A SIGCANCEL
	 * still on its way when the type is switched back only marks the
	 * cancellation pending.
	 */
	if (cancel_point)
		pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &type);
	/* Absolute CLOCK_MONOTONIC deadline, or none. */
	ret = syscall(SYS_futex, &pa.gen, FUTEX_WAIT_BITSET_PRIVATE, gen,
		      deadline, NULL, FUTEX_BITSET_MATCH_ANY);
	err = errno;
	if (cancel_point)
		pthread_setcanceltype(type, NULL);
	pthread_cleanup_pop(1);
	if (ret == 0 || err == EAGAIN)	/* woken, or gen already moved on */
		return 0;
	return err == ETIMEDOUT ? EAGAIN : err;
}

/*
 * Is every listed request (at least one) still ours and in progress? No
 * lock: aio_suspend() is async-signal-safe. A block never submitted, or
 * already returned, has no request: nothing to wait for.
 */
static bool all_pending(const struct aiocb *const list[], int nent)
{
	bool any = false;
	int i;

	for (i = 0; i < nent; i++) {
		if (!list[i])
			continue;
		if (__atomic_load_n(&list[i]->__error_code, __ATOMIC_SEQ_CST) != EINPROGRESS ||
		    !pa_req_of(list[i]))
			return false;
		any = true;
	}
	return any;
}

PA_API int aio_suspend(const struct aiocb *const list[], int nent,
		       const struct timespec *timeout)
{
	struct timespec deadline;
	bool forever = !timeout;
	uint32_t gen;
	int err;

	if (!pa_use_acall())
		return pa_glibc()->aio_suspend(list, nent, timeout);
	/*
	 * A cancellation point even when nothing needs waiting for. Called
	 * by a signal handler that interrupted the library on this thread,
	 * it acts on nothing: the library keeps cancellation disabled.
	 */
	pthread_testcancel();
	if (timeout) {
		if (timeout->tv_sec < 0 || timeout->tv_nsec < 0 ||
		    timeout->tv_nsec >= 1000000000L)
			return pa_fail(EINVAL);
		clock_gettime(CLOCK_MONOTONIC, &deadline);
		deadline.tv_nsec += timeout->tv_nsec;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		/* A deadline past what time_t holds never comes: none. */
		forever = __builtin_add_overflow(deadline.tv_sec,
						 timeout->tv_sec,
						 &deadline.tv_sec);
	}
	for (;;) {
		/* gen first: a completion after the look below moves it on. */
		gen = __atomic_load_n(&pa.gen, __ATOMIC_SEQ_CST);
		if (!all_pending(list, nent))
			return 0;
		err = pa_wait_gen(gen, forever ? NULL : &deadline, true);
		if (err)
			return pa_fail(err);
	}
}

PA_API int aio_suspend64(const struct aiocb64 *const list[], int nent,
			 const struct timespec *timeout)
{
	return aio_suspend((const struct aiocb *const *)list, nent, timeout);
}

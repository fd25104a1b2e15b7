// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * aio_error() and aio_return(). Results live in the aiocb's own private
 * fields, where glibc keeps them too: aio_error() is one load.
 */
#include <errno.h>

#include "posixaio.h"

/*
 * In __error_code once aio_return() took the result: the block refers to
 * no request any more, and aio_error() fails (-1, EINVAL) as POSIX says,
 * where an EINVAL the request itself ended with is its error status.
 */
#define PA_RESULT_TAKEN	(-1)

PA_API int aio_error(const struct aiocb *cb)
{
	int err;

	if (!pa_use_acall())
		return pa_glibc()->aio_error(cb);
	err = __atomic_load_n(&cb->__error_code, __ATOMIC_ACQUIRE);
	return err == PA_RESULT_TAKEN ? pa_fail(EINVAL) : err;
}

/*
 * The result, once: the exchange on __next_prio lets exactly one caller
 * have it; a second call (and aio_error() after it) says EINVAL, as for a
 * control block never used. No lock: a signal handler may call this while
 * its thread is inside the library. The request is freed later, under the
 * lock, from the pa.returned stack.
 */
static ssize_t take_result(struct aiocb *cb)
{
	struct pa_req *req, *head;
	ssize_t ret;

	if (!pa_use_acall())
		return pa_glibc()->aio_return(cb);
	if (__atomic_load_n(&cb->__error_code, __ATOMIC_SEQ_CST) == EINPROGRESS)
		return pa_fail(EINPROGRESS);
	/* Never accepted, or a copy: its __next_prio is not to be followed. */
	if (!pa_cb_is_tagged(cb))
		return pa_fail(EINVAL);
	req = (struct pa_req *)(void *)__atomic_exchange_n(&cb->__next_prio, NULL,
							    __ATOMIC_SEQ_CST);
	/* None, or the parent's record in a forked child (never freed). */
	if (!req || req->orphan || req->cb != cb)
		return pa_fail(EINVAL);
	__atomic_store_n(&req->returned, true, __ATOMIC_SEQ_CST);
	ret = cb->__return_value;
	__atomic_store_n(&cb->__error_code, PA_RESULT_TAKEN, __ATOMIC_RELAXED);
	head = __atomic_load_n(&pa.returned, __ATOMIC_RELAXED);
	do {
		req->returned_next = head;
	} while (!__atomic_compare_exchange_n(&pa.returned, &head, req, true,
					      __ATOMIC_RELEASE, __ATOMIC_RELAXED));
	return ret;
}

PA_API ssize_t aio_return(struct aiocb *cb)
{
	int state = pa_cancel_off();
	ssize_t ret = take_result(cb);

	pa_cancel_restore(state);
	return ret;
}

PA_API int aio_error64(const struct aiocb64 *cb)
{
	return aio_error((const struct aiocb *)cb);
}

PA_API ssize_t aio_return64(struct aiocb64 *cb)
{
	return aio_return((struct aiocb *)cb);
}

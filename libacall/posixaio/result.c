// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * aio_error() and aio_return(). Results live in the aiocb's own private
 * fields, where glibc keeps them too: aio_error() is one load.
 */
#include <errno.h>

#include "posixaio.h"

PA_API int aio_error(const struct aiocb *cb)
{
	if (!pa_use_acall())
		return pa_glibc()->aio_error(cb);
	return __atomic_load_n(&cb->__error_code, __ATOMIC_ACQUIRE);
}

/*
 * The result, once: the request is forgotten, and a second call (or
 * aio_error() after it) says EINVAL, as for a control block never used.
 */
PA_API ssize_t aio_return(struct aiocb *cb)
{
	struct pa_req *req;
	ssize_t ret;

	if (!pa_use_acall())
		return pa_glibc()->aio_return(cb);
	pthread_mutex_lock(&pa.lock);
	req = pa_table_find(cb);
	if (!req || req->where != PA_DONE) {
		pthread_mutex_unlock(&pa.lock);
		return pa_fail(req ? EINPROGRESS : EINVAL);
	}
	ret = cb->__return_value;
	pa_table_remove(req);
	pa_maybe_free(req);
	__atomic_store_n(&cb->__error_code, EINVAL, __ATOMIC_RELAXED);
	pthread_mutex_unlock(&pa.lock);
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

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * aio_cancel(): requests not started are canceled in the module (or in
 * this library, for an fsync still waiting for its fd, or in glibc, for a
 * request forwarded there); their aiocb says ECANCELED on return, and
 * their notification is delivered as for any completion.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>

#include "posixaio.h"

/* Try to cancel one request: true if it was. Under pa.lock. */
static bool cancel_one(struct pa_req *req)
{
	struct pa_req **pp;

	switch (req->where) {
	case PA_DEFERRED:
		for (pp = &pa.deferred; *pp != req; pp = &(*pp)->link)
			;
		*pp = req->link;
		pa_release_slot(req);
		return true;
	case PA_IN_ACALL:
		/*
		 * -EALREADY: it is running. -ENOENT: it completed, but the
		 * reaper has not written its result yet: still in progress
		 * as far as the application can see.
		 */
		return acall_cancel(&pa.ring, (uintptr_t)req) > 0;
	case PA_IN_GLIBC:
		return pa_glibc_cancel(req) == AIO_CANCELED;
	case PA_DONE:
		break;
	}
	return false;
}

static int cancel_requests(int fd, struct aiocb *cb)
{
	struct pa_req *req, *next;
	struct pa_note *notes = NULL;
	bool canceled = false, running = false, submitted = false;

	if (!pa_use_acall())
		return pa_glibc()->aio_cancel(fd, cb);
	if (fcntl(fd, F_GETFL) < 0)
		return pa_fail(EBADF);
	if (cb && cb->aio_fildes != fd)
		return pa_fail(EINVAL);

	pthread_mutex_lock(&pa.lock);
	for (req = pa.active.next; req != &pa.active; req = next) {
		next = req->next;
		if (cb ? req->cb != cb : req->fd != fd)
			continue;
		if (cancel_one(req)) {
			pa_finish(req, -ECANCELED, &notes);
			pa_maybe_free(req);
			canceled = true;
		} else {
			running = true;
		}
	}
	/* An fsync may have waited on them; reap what it completed at once. */
	if (canceled)
		submitted = pa_submit_ready_fsyncs(&notes);
	pa_notes_send_unlock(notes);
	if (canceled)
		pa_wake_waiters();
	if (submitted)
		pa_drain_ring();
	if (running)
		return AIO_NOTCANCELED;
	return canceled ? AIO_CANCELED : AIO_ALLDONE;
}

PA_API int aio_cancel(int fd, struct aiocb *cb)
{
	int state = pa_cancel_off(), ret = cancel_requests(fd, cb);

	pa_cancel_restore(state);
	return ret;
}

PA_API int aio_cancel64(int fd, struct aiocb64 *cb)
{
	return aio_cancel(fd, (struct aiocb *)cb);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * glibc's own POSIX AIO, for when acall cannot serve: the whole process
 * when /dev/acall is missing, or one request on a file acall does not
 * serve (a pipe, a socket, ...: the module refuses it with EOPNOTSUPP).
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>

#include "posixaio.h"

static struct pa_glibc glibc_fns;
static pthread_once_t glibc_once = PTHREAD_ONCE_INIT;

/* The version programs built against glibc 2.34 and later bind to first. */
static void *next_symbol(const char *name)
{
	static const char *const versions[] = { "GLIBC_2.34", "GLIBC_2.4", "GLIBC_2.2.5" };
	unsigned int i;
	void *fn;

	for (i = 0; i < sizeof(versions) / sizeof(versions[0]); i++) {
		fn = dlvsym(RTLD_NEXT, name, versions[i]);
		if (fn)
			return fn;
	}
	fn = dlsym(RTLD_NEXT, name);
	if (!fn)
		abort();	/* no libc POSIX AIO to fall back on */
	return fn;
}

static void glibc_lookup(void)
{
	*(void **)&glibc_fns.aio_read = next_symbol("aio_read");
	*(void **)&glibc_fns.aio_write = next_symbol("aio_write");
	*(void **)&glibc_fns.aio_fsync = next_symbol("aio_fsync");
	*(void **)&glibc_fns.aio_error = next_symbol("aio_error");
	*(void **)&glibc_fns.aio_return = next_symbol("aio_return");
	*(void **)&glibc_fns.aio_suspend = next_symbol("aio_suspend");
	*(void **)&glibc_fns.aio_cancel = next_symbol("aio_cancel");
	*(void **)&glibc_fns.lio_listio = next_symbol("lio_listio");
	*(void **)&glibc_fns.aio_init = next_symbol("aio_init");
}

const struct pa_glibc *pa_glibc(void)
{
	pthread_once(&glibc_once, glibc_lookup);
	return &glibc_fns;
}

/*
 * glibc calls this in a thread of its own when a forwarded request is done,
 * a thread it starts with every signal unblocked. The signals are the
 * application's, which asked for no such thread: they are blocked first,
 * and stay blocked until the thread ends, on return from here (one handled
 * here could wait for pa.lock, held below; one left pending by the
 * notes sent below would be taken here as soon as the mask came back).
 */
static void glibc_done(union sigval value)
{
	struct pa_req *req = value.sival_ptr;
	const struct pa_glibc *g = pa_glibc();
	struct pa_note *notes = NULL;
	bool submitted = false;
	int err, state;
	sigset_t all;
	ssize_t ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, NULL);
	state = pa_cancel_off();
	err = g->aio_error(&req->shadow);
	ret = g->aio_return(&req->shadow);
	pthread_mutex_lock(&pa.lock);
	req->glibc_busy = false;
	if (pa_finish(req, err ? -err : ret, &notes))
		submitted = pa_submit_ready_fsyncs(&notes);
	pa_maybe_free(req);
	pa_notes_send_unlock(notes);
	pa_wake_waiters();
	if (submitted)
		pa_drain_ring();	/* what it completed at once */
	pa_cancel_restore(state);
}

/*
 * The request becomes glibc's on a private copy of the aiocb, so the
 * application's own control block is never touched by two libraries.
 * Made under pa.lock, before the request is said to be glibc's: cancel
 * hands the copy to glibc's aio_cancel() from then on.
 */
static void shadow_prepare(struct pa_req *req)
{
	struct aiocb *sh = &req->shadow;

	*sh = (struct aiocb){ 0 };
	sh->aio_fildes = req->fd;
	sh->aio_buf = req->iov.iov_base;
	sh->aio_nbytes = req->iov.iov_len;
	sh->aio_offset = req->off;
	sh->aio_sigevent.sigev_notify = SIGEV_THREAD;
	sh->aio_sigevent.sigev_notify_function = glibc_done;
	sh->aio_sigevent.sigev_value.sival_ptr = req;
}

/* Hand req, its copy made, to glibc. Called unlocked. */
static void forward_to_glibc(struct pa_req *req)
{
	const struct pa_glibc *g = pa_glibc();
	struct aiocb *sh = &req->shadow;
	struct pa_note *notes = NULL;
	bool submitted = false;
	int ret;

	switch (req->kind) {
	case PA_READ:
		ret = g->aio_read(sh);
		break;
	case PA_WRITE:
		ret = g->aio_write(sh);
		break;
	case PA_FSYNC:
		ret = g->aio_fsync(O_SYNC, sh);
		break;
	default:
		ret = g->aio_fsync(O_DSYNC, sh);
		break;
	}
	if (ret == 0)
		return;
	/* glibc refused it at once: that is the request's result. */
	ret = errno;
	pthread_mutex_lock(&pa.lock);
	req->glibc_busy = false;
	if (pa_finish(req, -ret, &notes))
		submitted = pa_submit_ready_fsyncs(&notes);
	pa_maybe_free(req);
	pa_notes_send_unlock(notes);
	pa_wake_waiters();
	if (submitted)
		pa_drain_ring();	/* what it completed at once */
}

/*
 * glibc runs the requests of one fd in the order it is given them, and
 * POSIX AIO promises submission order for them: refused requests are
 * queued as the drains of the ring take them (under pa.lock, in the ring's
 * order) and handed over by one thread at a time, in that order. Under
 * pa.lock.
 */
void pa_forward_queue(struct pa_req *req)
{
	req->glibc_busy = true;
	req->link = NULL;
	*pa.forward_tail = req;
	pa.forward_tail = &req->link;
}

/*
 * Hand over what is queued, unless another thread is doing so: that one
 * hands over this thread's too. Not the drain that queued a request: it
 * may first wait for its notifications' turn behind another thread's, and
 * a later request of the same fd, drained elsewhere meanwhile, would reach
 * glibc first. Signals are blocked meanwhile: a handler run here would
 * hold up every queued request (an aio_suspend() on one of them would
 * wait for ever), and one that left by siglongjmp() would strand them.
 * Called unlocked.
 */
void pa_forward_queued(void)
{
	sigset_t all, old;
	struct pa_req *req;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	pthread_mutex_lock(&pa.lock);
	if (pa.forwarding) {
		pthread_mutex_unlock(&pa.lock);
		pthread_sigmask(SIG_SETMASK, &old, NULL);
		return;
	}
	pa.forwarding = true;
	while ((req = pa.forward)) {
		pa.forward = req->link;
		if (!pa.forward)
			pa.forward_tail = &pa.forward;
		shadow_prepare(req);
		req->where = PA_IN_GLIBC;
		pthread_mutex_unlock(&pa.lock);
		forward_to_glibc(req);
		pthread_mutex_lock(&pa.lock);
	}
	pa.forwarding = false;
	pthread_mutex_unlock(&pa.lock);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int pa_glibc_cancel(struct pa_req *req)
{
	return pa_glibc()->aio_cancel(req->shadow.aio_fildes, &req->shadow);
}

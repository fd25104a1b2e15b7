// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Submission: aio_read, aio_write, aio_fsync, lio_listio and their *64
 * twins. Each request takes one ring slot up front, so a full ring is
 * EAGAIN at once, as at glibc's limit, and a deferred fsync always has the
 * slot it will need.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "posixaio.h"

/* What aio_read() and aio_write() refuse at once: EINVAL or 0. */
static int check_rw(const struct aiocb *cb)
{
	if (cb->aio_offset < 0 || cb->aio_nbytes > SSIZE_MAX ||
	    cb->aio_reqprio < 0 || cb->aio_reqprio > AIO_PRIO_DELTA_MAX)
		return EINVAL;
	return 0;
}

static struct pa_req *req_new(struct aiocb *cb, enum pa_kind kind)
{
	struct pa_req *req = calloc(1, sizeof(*req));

	if (!req)
		return NULL;
	req->cb = cb;
	req->kind = kind;
	req->fd = cb->aio_fildes;
	req->iov.iov_base = (void *)cb->aio_buf;
	req->iov.iov_len = cb->aio_nbytes;
	req->off = cb->aio_offset;
	req->sigev = cb->aio_sigevent;
	req->notify = true;
	req->prev = req->next = req;
	return req;
}

/*
 * An aiocb names one buffer: READ and WRITE carry it in the SQE, with no
 * iovec for the module to read, when the module has them and the length
 * fits their 32 bits (the kernel moves at most MAX_RW_COUNT either way).
 */
static bool pa_buffer_op(const struct pa_req *req)
{
	return pa.buffer_ops && req->iov.iov_len <= UINT_MAX;
}

void pa_prep_sqe(struct pa_req *req, struct acall_sqe *sqe)
{
	switch (req->kind) {
	case PA_READ:
		if (pa_buffer_op(req))
			acall_prep_read(sqe, req->fd, req->iov.iov_base,
					req->iov.iov_len, req->off, 0);
		else
			acall_prep_preadv(sqe, req->fd, &req->iov, 1, req->off, 0);
		break;
	case PA_WRITE:
		if (pa_buffer_op(req))
			acall_prep_write(sqe, req->fd, req->iov.iov_base,
					 req->iov.iov_len, req->off, 0);
		else
			acall_prep_pwritev(sqe, req->fd, &req->iov, 1, req->off, 0);
		break;
	case PA_FSYNC:
		acall_prep_fsync(sqe, req->fd);
		break;
	case PA_FDATASYNC:
		acall_prep_fdatasync(sqe, req->fd);
		break;
	}
	acall_sqe_set_data(sqe, (uintptr_t)req);
	if (pa.ordering) {
		/* Queue fd % nr_queues: an fsync is a barrier there. */
		acall_sqe_set_queue(sqe, (unsigned int)req->fd % pa.nr_queues);
		if (req->kind == PA_FSYNC || req->kind == PA_FDATASYNC)
			acall_sqe_set_ordered(sqe);
	}
}

/* Does an earlier request on the same fd remain? Under pa.lock. */
bool pa_fd_busy_before(const struct pa_req *req)
{
	const struct pa_req *r;

	for (r = pa.active.next; r != &pa.active; r = r->next)
		if (r != req && r->fd == req->fd && r->seq < req->seq)
			return true;
	return false;
}

/*
 * Is an earlier request on the same fd glibc's to finish (given back by
 * the module, on its way to glibc or there)? The module's ordering does
 * not wait for those. Under pa.lock.
 */
static bool fd_in_glibc_before(const struct pa_req *req)
{
	const struct pa_req *r;

	for (r = pa.active.next; r != &pa.active; r = r->next)
		if (r != req && r->fd == req->fd && r->seq < req->seq &&
		    r->glibc_busy)
			return true;
	return false;
}

/*
 * req, given back by the module, goes to glibc: an fsync of its fd that
 * the module holds or runs (its barrier let it through, or will) covers
 * nothing of it, and must run again after it. Under pa.lock.
 */
void pa_fsyncs_after_glibc(const struct pa_req *req)
{
	struct pa_req *r;

	for (r = pa.active.next; r != &pa.active; r = r->next)
		if ((r->kind == PA_FSYNC || r->kind == PA_FDATASYNC) &&
		    r->fd == req->fd && r->seq > req->seq &&
		    r->where == PA_IN_ACALL)
			r->again = true;
}

/*
 * A held-back fsync (submit_one(), or one to run again: complete.c) waits
 * here until every request on its fd submitted before it has completed,
 * glibc's included. One that fails adds its note to *notes, after the
 * caller's. Returns whether it submitted any:
 * what the module completed inside that call (a refused fsync) is in the
 * ring and signals no eventfd, so the caller drains the ring. Under
 * pa.lock.
 */
bool pa_submit_ready_fsyncs(struct pa_note **notes)
{
	struct pa_req **pp = &pa.deferred, *req;
	struct acall_sqe sqe;
	bool submitted = false;
	int ret;

	while ((req = *pp)) {
		if (pa_fd_busy_before(req)) {
			pp = &req->link;
			continue;
		}
		*pp = req->link;
		req->where = PA_IN_ACALL;
		pa_prep_sqe(req, &sqe);
		ret = acall_submit(&pa.ring, &sqe, 1);
		if (ret == 1) {
			submitted = true;
			continue;
		}
		/* Cannot happen with its slot reserved; fail it rather than hang. */
		pa_release_slot(req);
		pa_finish(req, ret < 0 ? ret : -EAGAIN, notes);
	}
	return submitted;
}

/*
 * Hand nr prepared requests to the module. Returns how many it took; the
 * slots reserved make a shortfall an error of the module alone.
 *
 * What completes inline (a page-cache hit) is reaped here, by the
 * submitter, so its result is in the aiocb when aio_read() returns: no
 * wake-up of the reaper thread and no thread switch. Nothing signals the
 * eventfd while the call runs (ACALL_SUBMIT_QUIET); this look at the ring
 * after it sees whatever completed meanwhile. The module ends the quiet
 * as the call returns: a signal handler that runs next, before that look,
 * and waits in aio_suspend() has the reaper told of what the quiet left
 * in the ring (suspend.c). A module without the flag: the ring's mute,
 * around the call.
 */
int pa_submit_sqes(struct acall_sqe *sqes, unsigned int nr)
{
	unsigned int flags = pa.quiet_submit ? ACALL_SUBMIT_QUIET : 0;
	unsigned int sent = 0;
	int ret;

	if (!flags)
		acall_eventfd_mute(&pa.ring, true);
	while (sent < nr) {
		ret = acall_submit_flags(&pa.ring, sqes + sent, nr - sent, flags);
		if (ret <= 0)
			break;
		sent += ret;
	}
	if (!flags)
		acall_eventfd_mute(&pa.ring, false);
	if (acall_cq_ready(&pa.ring))
		pa_drain_ring();
	return (int)sent;
}

/*
 * Make reqs[0..nr) known (table, active list, EINPROGRESS) and reserve
 * their slots; returns false (EAGAIN) when the ring has no room for all.
 * Under pa.lock.
 */
static bool accept_reqs(struct pa_req **reqs, unsigned int nr)
{
	unsigned int i;

	if (nr > pa.ring.entries - pa.slots)
		return false;
	pa_collect_returned();
	for (i = 0; i < nr; i++) {
		struct pa_req *req = reqs[i], *old = pa_table_find(req->cb);

		pa_cb_tag(req->cb);
		/*
		 * The control block reused. Its old request is forgotten now,
		 * unless aio_return() took it: then it is collected from
		 * pa.returned. (__next_prio may be garbage in a block never
		 * submitted, or cleared by the application: it is overwritten.)
		 */
		if (old && !pa_link_cb(req->cb, old, req)) {
			req->cb->__next_prio = (struct aiocb *)(void *)req;
			if (__atomic_load_n(&old->returned, __ATOMIC_SEQ_CST))
				old = NULL;
		} else if (!old) {
			req->cb->__next_prio = (struct aiocb *)(void *)req;
		}
		if (old) {
			pa_table_remove(old);
			pa_maybe_free(old);
		}
		req->seq = ++pa.seq;
		req->holds_slot = true;
		pa.slots++;
		req->where = PA_IN_ACALL;
		pa_table_add(req);
		pa_active_add(req);
		req->cb->__return_value = 0;
		__atomic_store_n(&req->cb->__error_code, EINPROGRESS, __ATOMIC_RELEASE);
	}
	return true;
}

/*
 * Requests the module did not take: forget them. A list's note they end
 * goes on *notes (their own are not sent: they were not taken). Under
 * pa.lock.
 */
static void unaccept(struct pa_req **reqs, unsigned int nr, int err,
		     struct pa_note **notes)
{
	unsigned int i;

	for (i = 0; i < nr; i++) {
		pa_release_slot(reqs[i]);
		reqs[i]->notify = false;
		pa_finish(reqs[i], -err, notes);
		/* Unless aio_return() took it meanwhile, forget it now. */
		if (pa_link_cb(reqs[i]->cb, reqs[i], NULL)) {
			pa_table_remove(reqs[i]);
			pa_maybe_free(reqs[i]);
		}
	}
}

/*
 * A block not accepted keeps no record for aio_return() to take: it may
 * be one never submitted, its private fields garbage, or one whose earlier
 * result was not taken (that record is forgotten when the block is next
 * accepted).
 */
static void forget_record(struct aiocb *cb)
{
	__atomic_store_n(&cb->__next_prio, NULL, __ATOMIC_SEQ_CST);
}

static int submit_one(struct aiocb *cb, enum pa_kind kind)
{
	struct pa_req *req = req_new(cb, kind);
	struct pa_note *notes = NULL;
	struct acall_sqe sqe;
	bool submitted;

	if (!req) {
		forget_record(cb);
		return pa_fail(EAGAIN);
	}
	pthread_mutex_lock(&pa.lock);
	if (!accept_reqs(&req, 1)) {
		pthread_mutex_unlock(&pa.lock);
		free(req);
		forget_record(cb);
		return pa_fail(EAGAIN);
	}
	/*
	 * Without the module's ordering an fsync waits here for every earlier
	 * request of its fd; with it, for those glibc runs, which the
	 * module's barrier does not see.
	 */
	if ((kind == PA_FSYNC || kind == PA_FDATASYNC) &&
	    (pa.ordering ? fd_in_glibc_before(req) : pa_fd_busy_before(req))) {
		req->where = PA_DEFERRED;
		req->link = pa.deferred;
		pa.deferred = req;
		pthread_mutex_unlock(&pa.lock);
		return 0;
	}
	pthread_mutex_unlock(&pa.lock);
	/* Its completion may be reaped before acall_submit() returns. */
	pa_prep_sqe(req, &sqe);
	if (pa_submit_sqes(&sqe, 1) == 1)
		return 0;
	pthread_mutex_lock(&pa.lock);
	unaccept(&req, 1, EAGAIN, &notes);
	/* An fsync may have waited for it. */
	submitted = pa_submit_ready_fsyncs(&notes);
	pa_notes_send_unlock(notes);
	if (submitted)
		pa_drain_ring();
	return pa_fail(EAGAIN);
}

/* A request refused at once: its own error, set right away, no record. */
static void refuse(struct aiocb *cb, int err)
{
	forget_record(cb);
	cb->__return_value = -1;
	__atomic_store_n(&cb->__error_code, err, __ATOMIC_RELEASE);
}

static int submit_rw(struct aiocb *cb, enum pa_kind kind)
{
	int err;

	if (!pa_use_acall())
		return kind == PA_READ ? pa_glibc()->aio_read(cb) :
					 pa_glibc()->aio_write(cb);
	err = check_rw(cb);
	if (err) {
		/* aio_error() says why, as glibc's for a bad aio_reqprio. */
		refuse(cb, err);
		return pa_fail(err);
	}
	return submit_one(cb, kind);
}

PA_API int aio_read(struct aiocb *cb)
{
	int state = pa_cancel_off(), ret = submit_rw(cb, PA_READ);

	pa_cancel_restore(state);
	return ret;
}

PA_API int aio_write(struct aiocb *cb)
{
	int state = pa_cancel_off(), ret = submit_rw(cb, PA_WRITE);

	pa_cancel_restore(state);
	return ret;
}

static int submit_fsync(int op, struct aiocb *cb)
{
	if (!pa_use_acall())
		return pa_glibc()->aio_fsync(op, cb);
	if (op != O_SYNC && op != O_DSYNC) {
		forget_record(cb);
		return pa_fail(EINVAL);
	}
	if (fcntl(cb->aio_fildes, F_GETFL) < 0) {
		forget_record(cb);
		return pa_fail(EBADF);
	}
	return submit_one(cb, op == O_SYNC ? PA_FSYNC : PA_FDATASYNC);
}

PA_API int aio_fsync(int op, struct aiocb *cb)
{
	int state = pa_cancel_off(), ret = submit_fsync(op, cb);

	pa_cancel_restore(state);
	return ret;
}

PA_API int aio_read64(struct aiocb64 *cb)
{
	return aio_read((struct aiocb *)cb);
}

PA_API int aio_write64(struct aiocb64 *cb)
{
	return aio_write((struct aiocb *)cb);
}

PA_API int aio_fsync64(int op, struct aiocb64 *cb)
{
	return aio_fsync(op, (struct aiocb *)cb);
}

/* The requests of a list become one lio group and one acall batch. */
static int lio_submit(int mode, struct aiocb *const list[], int nent,
		      struct sigevent *sev)
{
	struct pa_req **reqs = calloc(nent ? nent : 1, sizeof(*reqs));
	struct acall_sqe *sqes = calloc(nent ? nent : 1, sizeof(*sqes));
	struct pa_lio *lio = calloc(1, sizeof(*lio));
	struct pa_note *notes = NULL;
	bool refused = false, failed;
	unsigned int nr = 0, i, sent;
	int ret = 0;

	if (!reqs || !sqes || !lio) {
		i = 0;
		goto unqueued;
	}
	lio->notify = mode == LIO_NOWAIT && sev;
	if (sev)
		lio->sigev = *sev;
	for (i = 0; i < (unsigned int)nent; i++) {
		struct aiocb *cb = list[i];
		enum pa_kind kind;

		if (!cb || cb->aio_lio_opcode == LIO_NOP)
			continue;
		if (cb->aio_lio_opcode != LIO_READ && cb->aio_lio_opcode != LIO_WRITE) {
			refuse(cb, EINVAL);
			refused = true;
			continue;
		}
		if (check_rw(cb)) {
			refuse(cb, EINVAL);
			refused = true;
			continue;
		}
		kind = cb->aio_lio_opcode == LIO_READ ? PA_READ : PA_WRITE;
		reqs[nr] = req_new(cb, kind);
		if (!reqs[nr])
			goto unqueued;
		/*
		 * Each as if by aio_read() or aio_write(), its own
		 * aio_sigevent included (POSIX; glibc since 2.4); the list's
		 * comes after the last of them.
		 */
		reqs[nr]->lio = lio;
		nr++;
	}

	pthread_mutex_lock(&pa.lock);
	if (!accept_reqs(reqs, nr)) {
		pthread_mutex_unlock(&pa.lock);
		i = (unsigned int)nent;
		goto unqueued;
	}
	lio->pending = nr;
	lio->refs = nr + 1;	/* + this call, until it returns */
	lio->failed = refused;
	if (nr == 0 && lio->notify)
		pa_note_add(&notes, &lio->sigev);
	pa_notes_send_unlock(notes);

	for (i = 0; i < nr; i++)
		pa_prep_sqe(reqs[i], &sqes[i]);
	sent = (unsigned int)pa_submit_sqes(sqes, nr);
	if (sent < nr) {
		bool submitted;

		notes = NULL;
		pthread_mutex_lock(&pa.lock);
		unaccept(reqs + sent, nr - sent, EAGAIN, &notes);
		/* An fsync may have waited for them. */
		submitted = pa_submit_ready_fsyncs(&notes);
		pa_notes_send_unlock(notes);
		if (submitted)
			pa_drain_ring();
	}

	pthread_mutex_lock(&pa.lock);
	while (mode == LIO_WAIT && lio->pending) {
		uint32_t gen = pa.gen;

		pthread_mutex_unlock(&pa.lock);
		ret = pa_wait_gen(gen, NULL, false);
		pthread_mutex_lock(&pa.lock);
		if (ret == EINTR)
			break;
		ret = 0;
	}
	failed = lio->failed;
	if (--lio->refs == 0)
		free(lio);
	pthread_mutex_unlock(&pa.lock);
	free(reqs);
	free(sqes);
	if (ret == EINTR)
		return pa_fail(EINTR);
	/* Some were not queued (their aio_error is EAGAIN); the rest run. */
	if (sent < nr)
		return pa_fail(EAGAIN);
	/* Requests refused at once, or (LIO_WAIT) failed: see each aiocb. */
	if (refused || (mode == LIO_WAIT && failed))
		return pa_fail(EIO);
	return 0;

	/*
	 * None queued (no memory, or no room in the ring): each request that
	 * was not refused says EAGAIN, as POSIX asks, those from list[i] on
	 * (not looked at yet) included.
	 */
unqueued:
	for (; i < (unsigned int)nent; i++)
		if (list[i] && (list[i]->aio_lio_opcode == LIO_READ ||
				list[i]->aio_lio_opcode == LIO_WRITE))
			refuse(list[i], EAGAIN);
	for (i = 0; i < nr; i++) {
		refuse(reqs[i]->cb, EAGAIN);
		free(reqs[i]);
	}
	free(reqs);
	free(sqes);
	free(lio);
	return pa_fail(EAGAIN);
}

/* No cancellation point, even with LIO_WAIT, as in glibc. */
PA_API int lio_listio(int mode, struct aiocb *const list[], int nent,
		      struct sigevent *sev)
{
	int state = pa_cancel_off(), ret;

	if (!pa_use_acall())
		ret = pa_glibc()->lio_listio(mode, list, nent, sev);
	else if ((mode != LIO_WAIT && mode != LIO_NOWAIT) || nent < 0)
		ret = pa_fail(EINVAL);
	else
		ret = lio_submit(mode, list, nent, sev);
	pa_cancel_restore(state);
	return ret;
}

PA_API int lio_listio64(int mode, struct aiocb64 *const list[], int nent,
			struct sigevent *sev)
{
	return lio_listio(mode, (struct aiocb *const *)list, nent, sev);
}

/* acall needs no tuning from aio_init(); glibc's pool still gets it. */
PA_API void aio_init(const struct aioinit *init)
{
	pa_glibc()->aio_init(init);
}

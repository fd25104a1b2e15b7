// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Completion: one reaper thread per process sleeps on the eventfd the
 * module signals, drains the ring, writes each result into its aiocb,
 * delivers notifications and wakes aio_suspend() and lio_listio() waiters.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "posixaio.h"

/*
 * Write res (bytes or -errno) into the aiocb, once. Returns false when the
 * request was already done (canceled meanwhile). Under pa.lock.
 */
bool pa_finish(struct pa_req *req, ssize_t res, struct pa_note **notes)
{
	struct pa_lio *lio = req->lio;

	if (req->where == PA_DONE)
		return false;
	req->where = PA_DONE;
	pa_active_remove(req);
	req->cb->__return_value = res >= 0 ? res : -1;
	/* Read without the lock: the value first, then the error code. */
	__atomic_store_n(&req->cb->__error_code, res >= 0 ? 0 : (int)-res,
			 __ATOMIC_SEQ_CST);
	if (req->notify)
		pa_note_add(notes, &req->sigev);
	if (lio) {
		req->lio = NULL;
		if (res < 0)
			lio->failed = true;
		if (--lio->pending == 0 && lio->notify)
			pa_note_add(notes, &lio->sigev);
		if (--lio->refs == 0)
			free(lio);
	}
	__atomic_add_fetch(&pa.gen, 1, __ATOMIC_SEQ_CST);
	return true;
}

/* The request's completion has been consumed from the ring. Under pa.lock. */
void pa_release_slot(struct pa_req *req)
{
	if (req->holds_slot) {
		req->holds_slot = false;
		pa.slots--;
	}
}

/* Free once nothing refers to it any more. Under pa.lock. */
void pa_maybe_free(struct pa_req *req)
{
	if (req->where == PA_DONE && !req->in_table && !req->holds_slot &&
	    !req->glibc_busy)
		free(req);
}

/* Wake aio_suspend() and lio_listio(LIO_WAIT) callers. Unlocked. */
void pa_wake_waiters(void)
{
	if (__atomic_load_n(&pa.waiters, __ATOMIC_SEQ_CST))
		syscall(SYS_futex, &pa.gen, FUTEX_WAKE_PRIVATE, INT_MAX,
			NULL, NULL, 0);
}

/*
 * Hold the fsync back with the fsyncs that wait for their fd's earlier
 * requests (submit.c), its slot taken again (given back if it is
 * canceled): it runs once they are done. Under pa.lock.
 */
static void fsync_hold_back(struct pa_req *req)
{
	req->where = PA_DEFERRED;
	req->holds_slot = true;
	pa.slots++;
	req->link = pa.deferred;
	pa.deferred = req;
}

/*
 * An fsync the module ran while an earlier request of its fd went to glibc
 * (pa_fsyncs_after_glibc() marked it) covers nothing of that one: it runs
 * again. One that failed keeps its error, which the file reports once.
 * Under pa.lock.
 */
static bool fsync_again_later(struct pa_req *req, int res)
{
	if (!req->again || req->where != PA_IN_ACALL)
		return false;
	req->again = false;
	if (res < 0)
		return false;
	fsync_hold_back(req);
	return true;
}

/*
 * A refused fsync goes to glibc only once its fd's earlier requests are
 * done: one refused just before it may not be in glibc's queue yet (the
 * refused are handed over after the drain unlocks, pa_forward_queued()),
 * and glibc orders only what it has. Under pa.lock.
 */
static bool fsync_refused_too_early(struct pa_req *req)
{
	if ((req->kind != PA_FSYNC && req->kind != PA_FDATASYNC) ||
	    !pa_fd_busy_before(req))
		return false;
	fsync_hold_back(req);
	return true;
}

/*
 * A drain that queues a request for glibc runs no signal handler from
 * then until it has handed the queue over: one that waited for that
 * request (aio_suspend() is async-signal-safe) would wait for ever, and
 * one that left by siglongjmp() would strand it. *old: the mask to put
 * back after.
 */
static void block_signals_once(bool *blocked, sigset_t *old)
{
	sigset_t all;

	if (*blocked)
		return;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
	*blocked = true;
}

void pa_drain_ring(void)
{
	struct pa_note *notes = NULL;
	struct pa_req *req;
	struct acall_cqe *cqe;
	bool any = false, held_again = false, blocked = false;
	sigset_t old;

	pthread_mutex_lock(&pa.lock);
again:
	while ((cqe = acall_peek_cqe(&pa.ring))) {
		int res = cqe->res;

		req = (struct pa_req *)(uintptr_t)cqe->user_data;
		acall_cq_advance(&pa.ring, 1);
		pa_release_slot(req);
		/*
		 * A file acall does not serve (pipe, socket, ...), or no worker
		 * to run it (the module's per-user worker limit; the library
		 * never asks for RWF_NOWAIT): glibc's, as without the library.
		 */
		if ((res == -EOPNOTSUPP || res == -EAGAIN) && req->where == PA_IN_ACALL) {
			if (fsync_refused_too_early(req)) {
				held_again = true;
				continue;
			}
			/* In ring order, which is submission order on its fd. */
			block_signals_once(&blocked, &old);
			pa_forward_queue(req);
			pa_fsyncs_after_glibc(req);
			continue;
		}
		/*
		 * With the module's ordering an fsync is a barrier there, which
		 * waits for what the module holds, not for what it gave back.
		 */
		if (fsync_again_later(req, res)) {
			held_again = true;
			continue;
		}
		if (pa_finish(req, res, &notes))
			any = true;
		pa_maybe_free(req);
	}
	/*
	 * What those submissions completed themselves is in the ring now. An
	 * fsync held back again may have nothing left to wait for.
	 */
	if ((any || held_again) && pa_submit_ready_fsyncs(&notes)) {
		held_again = false;
		goto again;
	}
	pa_collect_returned();
	/* What waits to go to glibc, this drain's or one held up elsewhere. */
	if (pa.forward)
		block_signals_once(&blocked, &old);
	pa_notes_send_unlock(notes);
	if (any)
		pa_wake_waiters();
	if (blocked) {
		pa_forward_queued();
		pthread_sigmask(SIG_SETMASK, &old, NULL);
	}
}

static void *reaper_main(void *arg)
{
	uint64_t signals;

	(void)arg;
	for (;;) {
		/* Signals coalesce; drain whatever is there after each. */
		if (read(pa.efd, &signals, sizeof(signals)) < 0 && errno != EINTR)
			return NULL;
		pa_drain_ring();
	}
}

/* Start the reaper with every signal blocked: they are the application's. */
void pa_start_reaper(void)
{
	sigset_t all, old;
	pthread_t t;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(&t, NULL, reaper_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret)
		pa.use_glibc = true;
	else
		pthread_detach(t);
}

/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libacall-posixaio: POSIX AIO served by acall. Private to the files of
 * this directory. Documentation/posixaio.rst describes the semantics.
 *
 * Every request the library accepts is a struct pa_req. Its user_data in
 * acall is the pointer to it. All shared state is guarded by one mutex,
 * pa.lock; the I/O itself never runs under it.
 *
 * aio_error(), aio_return() and aio_suspend() are async-signal-safe, as
 * POSIX wants (a SIGEV_SIGNAL handler may call them), so they never take
 * pa.lock: the result lives in the aiocb's private fields as in glibc,
 * and the aiocb's __next_prio field points to its pa_req from submission
 * until aio_return() takes it with an atomic exchange.
 */
#ifndef LIBACALL_POSIXAIO_H
#define LIBACALL_POSIXAIO_H

#include <aio.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "acall.h"

/* The exported POSIX API; everything else is hidden. */
#define PA_API __attribute__((visibility("default")))

/* aiocb and aiocb64 are one layout on the 64-bit ABIs this library serves. */
_Static_assert(sizeof(off_t) == 8, "64-bit off_t required");
_Static_assert(sizeof(struct aiocb) == sizeof(struct aiocb64), "aiocb64 layout");
_Static_assert(sizeof(((struct aiocb *)0)->__glibc_reserved) >= sizeof(void *),
	       "room for pa_cb_tag()");

enum pa_kind { PA_READ, PA_WRITE, PA_FSYNC, PA_FDATASYNC };

/* Where a request is. */
enum pa_where {
	PA_DEFERRED,	/* an fsync waiting for the fd's earlier requests */
	PA_IN_ACALL,	/* submitted to the module */
	PA_IN_GLIBC,	/* forwarded to glibc (a file acall does not serve) */
	PA_DONE,	/* result written to the aiocb */
};

struct pa_lio;

struct pa_req {
	struct aiocb *cb;		/* the application's control block */
	enum pa_kind kind;
	enum pa_where where;
	bool holds_slot;		/* counts in pa.slots until its cqe is reaped */
	bool in_table;			/* in pa.table until returned and collected */
	bool glibc_busy;		/* glibc will still call back about it */
	bool returned;			/* aio_return() took it (set without the lock) */
	bool orphan;			/* the parent's, in a forked child: kept */
	bool again;			/* an fsync to run again: glibc ran an earlier one */
	bool notify;			/* deliver cb's own sigevent when done */
	int fd;
	uint64_t seq;			/* submission order, for fsync draining */
	struct sigevent sigev;		/* copied at submission */
	struct pa_lio *lio;		/* the lio_listio call it belongs to */
	struct iovec iov;
	off_t off;			/* aio_offset, copied at submission */
	struct aiocb shadow;		/* PA_IN_GLIBC: the copy glibc works on */
	struct pa_req *hash_next;	/* pa.table chain, keyed by cb */
	struct pa_req *link;		/* pa.deferred, or a private list */
	struct pa_req *returned_next;	/* pa.returned */
	struct pa_req *prev, *next;	/* pa.active: not yet PA_DONE */
};

/* One lio_listio() call: done when its last request is. */
struct pa_lio {
	unsigned int refs;		/* requests not done, + 1 while a caller waits */
	unsigned int pending;		/* requests not done */
	bool failed;			/* one of them failed */
	bool notify;			/* LIO_NOWAIT: deliver sigev when all done */
	struct sigevent sigev;
};

#define PA_TABLE_SIZE 1024

/* The per-process state. */
struct pa_state {
	pthread_mutex_t lock;
	/* Notes go out in the order they were collected (notify.c). */
	pthread_mutex_t send_lock;
	pthread_cond_t send_cond;
	uint64_t send_next;		/* the next turn to hand out (pa.lock) */
	uint64_t send_turn;		/* the turn sending now (send_lock) */
	bool ready;			/* set up in this process (fork clears it) */
	pid_t pid;			/* the process that set it up */
	bool use_glibc;			/* acall unavailable: forward everything */
	bool ordering;			/* module has ACALL_FEAT_ORDERING */
	bool buffer_ops;		/* module has ACALL_OP_READ and _WRITE */
	bool quiet_submit;		/* module has ACALL_FEAT_QUIET_SUBMIT */
	unsigned int nr_queues;
	struct acall_ring ring;
	int efd;			/* eventfd the module signals */
	unsigned int slots;		/* ring slots held, at most ring.entries */
	uint64_t seq;
	struct pa_req *table[PA_TABLE_SIZE];	/* every request not yet collected */
	struct pa_req *returned;	/* lock-free stack: aio_return() was called */
	struct pa_req *orphans;		/* a forked child's: the parent's records */
	struct pa_req active;		/* list head of requests not PA_DONE */
	struct pa_req *deferred;	/* fsyncs not yet submitted, by link */
	/* Refused by the module, for glibc in this order, by link (glibc.c). */
	struct pa_req *forward, **forward_tail;
	bool forwarding;		/* a thread is handing them over */
	uint32_t gen;			/* futex: bumped at every completion */
	uint32_t waiters;		/* threads sleeping on gen */
};

extern struct pa_state pa;

/*
 * The library's calls are no cancellation points (aio_suspend()'s sleep
 * aside): a cancellation acting inside one, or inside a signal handler's
 * aio_suspend() that interrupted one, would leave its locks held and its
 * requests half made. Each runs with cancellation disabled; one that came
 * meanwhile acts at the program's next cancellation point.
 */
static inline int pa_cancel_off(void)
{
	int state;

	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &state);
	return state;
}

static inline void pa_cancel_restore(int state)
{
	pthread_setcancelstate(state, NULL);
}

/*
 * A block the library accepted carries its own address in a private field
 * glibc's AIO leaves unused. A copy of it (struct assignment) carries the
 * original's: its __next_prio, the original's record, which may be freed
 * by now, is never followed. Async-signal-safe.
 */
static inline void pa_cb_tag(struct aiocb *cb)
{
	struct aiocb *self = cb;

	memcpy(cb->__glibc_reserved, &self, sizeof(self));
}

static inline bool pa_cb_is_tagged(const struct aiocb *cb)
{
	const struct aiocb *tag;

	memcpy(&tag, cb->__glibc_reserved, sizeof(tag));
	return tag == cb;
}

/* context.c: make sure this process has its context (or chose glibc). */
bool pa_use_acall(void);
/* Errors go back through errno, as POSIX AIO reports them. */
int pa_fail(int err);

/* glibc.c: glibc's own functions, for forwarding. */
struct pa_glibc {
	int (*aio_read)(struct aiocb *);
	int (*aio_write)(struct aiocb *);
	int (*aio_fsync)(int, struct aiocb *);
	int (*aio_error)(const struct aiocb *);
	ssize_t (*aio_return)(struct aiocb *);
	int (*aio_suspend)(const struct aiocb *const[], int, const struct timespec *);
	int (*aio_cancel)(int, struct aiocb *);
	int (*lio_listio)(int, struct aiocb *const[], int, struct sigevent *);
	void (*aio_init)(const struct aioinit *);
};
const struct pa_glibc *pa_glibc(void);
/*
 * Queue a request acall gave back (EOPNOTSUPP, or EAGAIN: no worker) for
 * glibc. Under pa.lock.
 */
void pa_forward_queue(struct pa_req *req);
/* Hand the queued ones to glibc, in order. Called unlocked. */
void pa_forward_queued(void);
/* Cancel a forwarded request in glibc: AIO_CANCELED, ... Under pa.lock. */
int pa_glibc_cancel(struct pa_req *req);

/* table.c: requests by aiocb, and the active list. Under pa.lock. */
void pa_table_add(struct pa_req *req);
struct pa_req *pa_table_find(const struct aiocb *cb);
void pa_table_remove(struct pa_req *req);
/* The request an aiocb names, with no lock; NULL once returned. */
static inline struct pa_req *pa_req_of(const struct aiocb *cb)
{
	return (struct pa_req *)(void *)__atomic_load_n(&cb->__next_prio,
							__ATOMIC_SEQ_CST);
}
/* Point cb at req, unless it no longer points at old. Under pa.lock. */
bool pa_link_cb(struct aiocb *cb, struct pa_req *old, struct pa_req *req);
/* Forget requests aio_return() is done with. Under pa.lock. */
void pa_collect_returned(void);
void pa_active_add(struct pa_req *req);
void pa_active_remove(struct pa_req *req);

/* submit.c */
int pa_submit_sqes(struct acall_sqe *sqes, unsigned int nr);
void pa_prep_sqe(struct pa_req *req, struct acall_sqe *sqe);
struct pa_note;
bool pa_submit_ready_fsyncs(struct pa_note **notes);
bool pa_fd_busy_before(const struct pa_req *req);
void pa_fsyncs_after_glibc(const struct pa_req *req);

/* complete.c: write the result, notify, wake waiters. */
bool pa_finish(struct pa_req *req, ssize_t res, struct pa_note **notes);
void pa_release_slot(struct pa_req *req);
void pa_maybe_free(struct pa_req *req);
void pa_wake_waiters(void);
void pa_start_reaper(void);
/* Take every completion in the ring and finish its request. Unlocked. */
void pa_drain_ring(void);

/* notify.c: sigevent delivery, collected under the lock, sent after. */
struct pa_note {
	struct sigevent sigev;
	pid_t pid;
	struct pa_note *next;
};
void pa_note_add(struct pa_note **notes, const struct sigevent *sev);
/* Under pa.lock, which it drops; sends after, in collection order. */
void pa_notes_send_unlock(struct pa_note *notes);

/*
 * suspend.c: sleep until pa.gen moves on from gen. 0, EINTR, EAGAIN (timed
 * out). A thread cancellation acts in the sleep if cancel_point.
 */
int pa_wait_gen(uint32_t gen, const struct timespec *deadline,
		bool cancel_point);

#endif /* LIBACALL_POSIXAIO_H */

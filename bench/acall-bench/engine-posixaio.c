// SPDX-License-Identifier: GPL-2.0
/*
 * posixaio: glibc's aio_read/aio_write/aio_fsync, waited for with
 * aio_suspend and found with aio_error, as fio's posixaio engine does.
 * POSIX AIO has no eventfd, so this job's loop sleeps in aio_suspend.
 */
#include <aio.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>

#include "bench.h"

struct posixaio_job {
	struct aiocb *cbs;		/* one per io_unit */
	const struct aiocb **wait;	/* the requests in flight */
	struct io_unit **busy;
	unsigned int nr_busy;
};

static int posixaio_setup(struct job *j)
{
	struct posixaio_job *a = calloc(1, sizeof(*a));

	if (!a)
		return -ENOMEM;
	j->priv = a;
	a->cbs = calloc(j->depth, sizeof(*a->cbs));
	a->wait = calloc(j->depth, sizeof(*a->wait));
	a->busy = calloc(j->depth, sizeof(*a->busy));
	return a->cbs && a->wait && a->busy ? 0 : -ENOMEM;
}

static int posixaio_submit(struct job *j, struct io_unit **ios, unsigned int n)
{
	struct posixaio_job *a = j->priv;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct io_unit *io = ios[i];
		struct aiocb *cb = &a->cbs[io->index];
		int ret;

		*cb = (struct aiocb){
			.aio_fildes = j->fd,
			.aio_buf = io->buf,
			.aio_nbytes = io->iov.iov_len,
			.aio_offset = io->off,
			.aio_sigevent.sigev_notify = SIGEV_NONE,
		};
		if (io->kind == IO_READ)
			ret = aio_read(cb);
		else if (io->kind == IO_WRITE)
			ret = aio_write(cb);
		else
			ret = aio_fsync(O_DSYNC, cb);
		if (ret < 0)
			return i ? (int)i : -errno;
		a->busy[a->nr_busy++] = io;
	}
	return n;
}

/* Complete what aio_error says is done; returns how many. */
static int posixaio_scan(struct job *j)
{
	struct posixaio_job *a = j->priv;
	unsigned int i, n = 0, before = a->nr_busy;

	for (i = 0; i < a->nr_busy; i++) {
		struct io_unit *io = a->busy[i];
		struct aiocb *cb = &a->cbs[io->index];
		int err = aio_error(cb);

		if (err == EINPROGRESS) {
			a->busy[n++] = io;
			continue;
		}
		job_complete(j, io, err ? -err : (long)aio_return(cb));
	}
	a->nr_busy = n;
	return before - n;
}

/* Look first, as fio does; sleep in aio_suspend only when nothing is done. */
static int posixaio_reap(struct job *j)
{
	struct posixaio_job *a = j->priv;
	unsigned int i;
	int n = posixaio_scan(j);

	if (n || !a->nr_busy)
		return n;
	for (i = 0; i < a->nr_busy; i++)
		a->wait[i] = &a->cbs[a->busy[i]->index];
	if (aio_suspend(a->wait, a->nr_busy, NULL) < 0 && errno != EINTR)
		return -errno;
	return posixaio_scan(j);
}

static void posixaio_teardown(struct job *j)
{
	struct posixaio_job *a = j->priv;

	if (!a)
		return;
	free(a->cbs);
	free(a->wait);
	free(a->busy);
	free(a);
}

static const char *posixaio_caveat(const struct params *p)
{
	(void)p;
	return "glibc queues requests on one fd behind each other: one in flight per fd";
}

const struct engine engine_posixaio = {
	.name = "posixaio",
	.setup = posixaio_setup,
	.submit = posixaio_submit,
	.reap = posixaio_reap,
	.teardown = posixaio_teardown,
	.caveat = posixaio_caveat,
};

// SPDX-License-Identifier: GPL-2.0
/*
 * libaio: io_submit in batches, completions signalled on an eventfd and
 * reaped with a zero-timeout io_getevents, as QEMU's aio=native does.
 */
#include <errno.h>
#include <libaio.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"

struct libaio_job {
	io_context_t ctx;
	struct iocb *iocbs;	/* one per io_unit */
	struct io_event *events;
};

static int libaio_setup(struct job *j)
{
	struct libaio_job *l = calloc(1, sizeof(*l));
	int ret;

	if (!l)
		return -ENOMEM;
	j->priv = l;
	l->iocbs = calloc(j->depth, sizeof(*l->iocbs));
	l->events = calloc(j->depth, sizeof(*l->events));
	if (!l->iocbs || !l->events)
		return -ENOMEM;
	ret = io_setup(j->depth, &l->ctx);
	if (ret < 0)
		return ret;
	j->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	return j->event_fd < 0 ? -errno : 0;
}

static int libaio_submit(struct job *j, struct io_unit **ios, unsigned int n)
{
	struct libaio_job *l = j->priv;
	struct iocb *list[1024];
	unsigned int i;
	int ret;

	for (i = 0; i < n && i < 1024; i++) {
		struct io_unit *io = ios[i];
		struct iocb *cb = &l->iocbs[io->index];

		if (io->kind == IO_READ)
			io_prep_pread(cb, j->fd, io->buf, io->iov.iov_len, io->off);
		else if (io->kind == IO_WRITE)
			io_prep_pwrite(cb, j->fd, io->buf, io->iov.iov_len, io->off);
		else
			io_prep_fdsync(cb, j->fd);
		io_set_eventfd(cb, j->event_fd);
		cb->data = io;
		list[i] = cb;
	}
	do
		ret = io_submit(l->ctx, i, list);
	while (ret == -EAGAIN || ret == -EINTR);
	return ret == 0 ? -EIO : ret;
}

static int libaio_reap(struct job *j)
{
	struct libaio_job *l = j->priv;
	struct timespec zero = { 0, 0 };
	int ret, i;

	ret = drain_eventfd(j->event_fd);
	if (ret < 0)
		return ret;
	do {
		ret = io_getevents(l->ctx, 0, j->depth, l->events, &zero);
		for (i = 0; i < ret; i++)
			job_complete(j, l->events[i].data, (long)l->events[i].res);
	} while (ret > 0);
	return ret == -EINTR ? 0 : ret;
}

static void libaio_teardown(struct job *j)
{
	struct libaio_job *l = j->priv;

	if (!l)
		return;
	if (l->ctx)
		io_destroy(l->ctx);
	if (j->event_fd >= 0)
		close(j->event_fd);
	free(l->iocbs);
	free(l->events);
	free(l);
}

static const char *libaio_caveat(const struct params *p)
{
	return p->direct ? NULL :
		"buffered: io_submit does the I/O synchronously in the submitter";
}

const struct engine engine_libaio = {
	.name = "libaio",
	.setup = libaio_setup,
	.submit = libaio_submit,
	.reap = libaio_reap,
	.teardown = libaio_teardown,
	.caveat = libaio_caveat,
};

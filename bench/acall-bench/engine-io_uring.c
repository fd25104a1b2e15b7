// SPDX-License-Identifier: GPL-2.0
/*
 * io_uring: liburing with a registered eventfd, submissions batched into
 * one io_uring_enter, as QEMU's aio=io_uring does.
 */
#include <errno.h>
#include <liburing.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bench.h"

static int uring_setup(struct job *j)
{
	struct io_uring *ring = calloc(1, sizeof(*ring));
	int ret;

	if (!ring)
		return -ENOMEM;
	ret = io_uring_queue_init(j->depth < 8 ? 8 : j->depth, ring, 0);
	if (ret < 0) {
		free(ring);
		return ret;
	}
	j->priv = ring;
	j->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (j->event_fd < 0)
		return -errno;
	return io_uring_register_eventfd(ring, j->event_fd);
}

static int uring_submit(struct job *j, struct io_unit **ios, unsigned int n)
{
	struct io_uring *ring = j->priv;
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		struct io_unit *io = ios[i];
		struct io_uring_sqe *sqe = io_uring_get_sqe(ring);

		if (!sqe)
			break;
		if (io->kind == IO_READ)
			io_uring_prep_read(sqe, j->fd, io->buf, io->iov.iov_len,
					   io->off);
		else if (io->kind == IO_WRITE)
			io_uring_prep_write(sqe, j->fd, io->buf, io->iov.iov_len,
					    io->off);
		else
			io_uring_prep_fsync(sqe, j->fd, IORING_FSYNC_DATASYNC);
		io_uring_sqe_set_data(sqe, io);
	}
	do
		ret = io_uring_submit(ring);
	while (ret == -EINTR || ret == -EAGAIN);
	return ret == 0 ? -EIO : ret;
}

static int uring_poll(struct job *j)
{
	struct io_uring *ring = j->priv;
	struct io_uring_cqe *cqe;
	int n = 0;

	while (io_uring_peek_cqe(ring, &cqe) == 0) {
		job_complete(j, io_uring_cqe_get_data(cqe), cqe->res);
		io_uring_cqe_seen(ring, cqe);
		n++;
	}
	return n;
}

static int uring_reap(struct job *j)
{
	int ret = drain_eventfd(j->event_fd);

	return ret < 0 ? ret : uring_poll(j);
}

static void uring_teardown(struct job *j)
{
	if (j->priv) {
		io_uring_queue_exit(j->priv);
		free(j->priv);
	}
	if (j->event_fd >= 0)
		close(j->event_fd);
}

const struct engine engine_io_uring = {
	.name = "io_uring",
	.setup = uring_setup,
	.submit = uring_submit,
	.reap = uring_reap,
	.poll = uring_poll,
	.teardown = uring_teardown,
};

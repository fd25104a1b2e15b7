// SPDX-License-Identifier: GPL-2.0
/*
 * acall: libacall, batches in one ACALL_IOC_SUBMIT, completions signalled
 * on a registered eventfd and drained from the ring with the eventfd
 * muted. Flushes are ORDERED FDATASYNCs when the module has ordering.
 * The loop polls the ring after each submission, so what completes inside
 * it need not signal the eventfd (ACALL_SUBMIT_QUIET, where the module
 * has it).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <acall.h>

#include "bench.h"

static int acall_engine_setup(struct job *j)
{
	struct acall_ring *ring = calloc(1, sizeof(*ring));
	struct acall_options opts = { .entries = 64 };
	struct acall_probe probe;
	int ret;

	if (!ring)
		return -ENOMEM;
	ring->fd = -1;
	j->priv = ring;
	while (opts.entries < 2 * j->depth)
		opts.entries *= 2;
	ret = acall_ring_init(ring, &opts);
	if (ret < 0)
		return ret;
	ret = acall_probe(ring->fd, &probe);
	if (ret < 0)
		return ret;
	j->ordered_flush = probe.features & ACALL_FEAT_ORDERING;
	/* One buffer without an iovec where the module can (as libaio does). */
	j->buffer_ops = acall_opcode_supported(&probe, ACALL_OP_READ) &&
			acall_opcode_supported(&probe, ACALL_OP_WRITE);
	if (probe.features & ACALL_FEAT_QUIET_SUBMIT)
		j->submit_flags = ACALL_SUBMIT_QUIET;
	j->event_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (j->event_fd < 0)
		return -errno;
	return acall_register_eventfd(ring, j->event_fd);
}

static int acall_engine_submit(struct job *j, struct io_unit **ios, unsigned int n)
{
	struct acall_sqe sqes[1024];
	unsigned int i;
	int ret;

	for (i = 0; i < n && i < 1024; i++) {
		struct io_unit *io = ios[i];

		if (io->kind == IO_READ && !j->buffer_ops) {
			acall_prep_preadv(&sqes[i], j->fd, &io->iov, 1, io->off, 0);
		} else if (io->kind == IO_WRITE && !j->buffer_ops) {
			acall_prep_pwritev(&sqes[i], j->fd, &io->iov, 1, io->off, 0);
		} else if (io->kind == IO_READ) {
			acall_prep_read(&sqes[i], j->fd, io->buf, io->iov.iov_len,
					io->off, 0);
		} else if (io->kind == IO_WRITE) {
			acall_prep_write(&sqes[i], j->fd, io->buf, io->iov.iov_len,
					 io->off, 0);
		} else {
			acall_prep_fdatasync(&sqes[i], j->fd);
			if (j->ordered_flush)
				acall_sqe_set_ordered(&sqes[i]);
		}
		acall_sqe_set_data(&sqes[i], (uintptr_t)io);
	}
	ret = acall_submit_flags(j->priv, sqes, i, j->submit_flags);
	return ret == 0 ? -EIO : ret;
}

static int acall_engine_poll(struct job *j)
{
	struct acall_ring *ring = j->priv;
	struct acall_cqe *cqe;
	int n = 0;

	while ((cqe = acall_peek_cqe(ring))) {
		job_complete(j, (struct io_unit *)(uintptr_t)cqe->user_data, cqe->res);
		acall_cq_advance(ring, 1);
		n++;
	}
	return n;
}

static int acall_engine_reap(struct job *j)
{
	struct acall_ring *ring = j->priv;
	int ret = drain_eventfd(j->event_fd), n = 0;

	if (ret < 0)
		return ret;
	do {
		/* No signals for what arrives while draining. */
		acall_eventfd_mute(ring, true);
		n += acall_engine_poll(j);
		acall_eventfd_mute(ring, false);
	} while (acall_cq_ready(ring));
	return n;
}

static void acall_engine_teardown(struct job *j)
{
	struct acall_ring *ring = j->priv;
	struct acall_stats st;
	struct acall_punts punts;

	if (!ring)
		return;
	if (ring->fd >= 0 && acall_stats(ring, &st) == 0) {
		j->ctr_inline = st.inline_done;
		j->ctr_async = st.async_kiocb;
		j->ctr_punted = st.punted;
		j->ctr_workers_peak = st.workers_peak;
	}
	/* A module without ACALL_IOC_PUNTS leaves the reasons at zero. */
	if (ring->fd >= 0 && acall_punts(ring, &punts) == 0)
		memcpy(j->ctr_punts, punts.reason, sizeof(j->ctr_punts));
	acall_ring_exit(ring);
	free(ring);
	if (j->event_fd >= 0)
		close(j->event_fd);
}

const struct engine engine_acall = {
	.name = "acall",
	.setup = acall_engine_setup,
	.submit = acall_engine_submit,
	.reap = acall_engine_reap,
	.poll = acall_engine_poll,
	.teardown = acall_engine_teardown,
};

// SPDX-License-Identifier: GPL-2.0-only
/*
 * fio engine "acall": fio's requests through /dev/acall with libacall.
 *
 *   fio --ioengine=external:/path/to/libacall-fio.so ...
 *
 * ->queue() prepares a request in a batch; ->commit() hands the batch to
 * the module in one acall_submit(); ->getevents() copies completions out
 * of acall's ring (freeing their slots at once) and sleeps in acall_wait()
 * while fewer than fio's minimum are there. Reads and writes are preadv2
 * and pwritev2 of one iovec; fsync and fdatasync are ORDERED barriers of
 * their file's queue unless acall_sync_barrier=0; trim is fallocate
 * PUNCH_HOLE | KEEP_SIZE.
 *
 * The engine reads fio's own structures, whose layout changes between fio
 * versions: it is built against the headers of one version (make
 * fio-engine, scripts/fio-source.sh) and refuses to run in any other.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>

#include "fio.h"
#include "optgroup.h"

#include <acall.h>

#ifndef ACALL_FIO_VERSION
#error "ACALL_FIO_VERSION: the version string of the fio whose headers these are"
#endif

#define ENGINE_VISIBLE __attribute__((visibility("default")))

/* The job's options (fio wants no option at offset 0: hence pad). */
struct acall_fio_options {
	void *pad;
	unsigned int entries;
	unsigned int queues;
	unsigned int max_workers;
	unsigned long long inline_bytes;
	unsigned int sync_barrier;
	unsigned int nowait;
	unsigned int stats;
};

/* A completion copied out of the ring, for ->event(). */
struct acall_fio_done {
	struct io_u *io_u;
	int res;
};

/* One job's context. */
struct acall_fio {
	struct acall_ring ring;
	bool ring_up;
	unsigned int nr_queues;
	__u32 rw_flags;		/* RWF_* on every read and write */
	bool barrier;		/* syncs are ORDERED */
	bool buffer_ops;	/* the module has READ and WRITE */

	/* The batch: prepared by ->queue(), not yet taken by the module. */
	struct acall_sqe *batch;
	struct io_u **batch_io_u;
	unsigned int batched;
	unsigned int batch_max;

	/* Each io_u's iovec, by io_u->index; the module copies it at submit. */
	struct iovec *iovecs;
	unsigned int nr_iovecs;

	unsigned int in_flight;	/* submitted, completion not yet reaped */

	/* What the last ->getevents() reaped. */
	struct acall_fio_done *done;
	unsigned int done_max;
};

static struct fio_option acall_fio_option_table[] = {
	{
		.name	= "acall_entries",
		.lname	= "acall ring entries",
		.type	= FIO_OPT_INT,
		.off1	= offsetof(struct acall_fio_options, entries),
		.def	= "0",
		.help	= "Size of acall's completion ring, a power of 2 (0: iodepth rounded up to one)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "acall_queues",
		.lname	= "acall ordering queues",
		.type	= FIO_OPT_INT,
		.off1	= offsetof(struct acall_fio_options, queues),
		.def	= "1",
		.minval	= 1,
		.maxval	= 65535,
		.help	= "Ordering queues; the job's file number N uses queue N modulo this",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "acall_max_workers",
		.lname	= "acall workers per node",
		.type	= FIO_OPT_INT,
		.off1	= offsetof(struct acall_fio_options, max_workers),
		.def	= "0",
		.help	= "Most acall workers per NUMA node (0: the module's default)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "acall_inline_bytes",
		.lname	= "acall inline bound",
		.type	= FIO_OPT_STR_VAL,
		.off1	= offsetof(struct acall_fio_options, inline_bytes),
		.def	= "0",
		.help	= "Most bytes one submission copies in fio's thread (0: the module's default)",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "acall_sync_barrier",
		.lname	= "acall ordered syncs",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct acall_fio_options, sync_barrier),
		.def	= "1",
		.help	= "fsync/fdatasync as ORDERED barriers: after every earlier request of the file's queue, before every later one",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "acall_nowait",
		.lname	= "acall RWF_NOWAIT",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct acall_fio_options, nowait),
		.def	= "0",
		.help	= "RWF_NOWAIT on reads and writes: EAGAIN rather than a worker",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= "acall_stats",
		.lname	= "acall counters",
		.type	= FIO_OPT_BOOL,
		.off1	= offsetof(struct acall_fio_options, stats),
		.def	= "0",
		.help	= "Print the context's acall counters when the job ends",
		.category = FIO_OPT_C_ENGINE,
		.group	= FIO_OPT_G_INVALID,
	},
	{
		.name	= NULL,
	},
};

static unsigned int pow2_at_least(unsigned int n)
{
	unsigned int p = 1;

	while (p < n && p < (1U << 31))
		p <<= 1;
	return p;
}

/* Set io_u's outcome from the call's result, as fio reads it. */
static void set_outcome(struct io_u *io_u, int res)
{
	if (res < 0) {
		io_u->error = -res;
		return;
	}
	io_u->error = 0;
	if (io_u->ddir != DDIR_READ && io_u->ddir != DDIR_WRITE)
		return;
	if ((unsigned long long)res > io_u->xfer_buflen)
		io_u->error = EIO;	/* more than was asked for */
	else
		io_u->resid = io_u->xfer_buflen - res;	/* fio requeues a short one */
}

static enum fio_q_status acall_fio_queue(struct thread_data *td,
					 struct io_u *io_u)
{
	struct acall_fio *af = td->io_ops_data;
	struct fio_file *f = io_u->file;
	struct acall_sqe *sqe;
	struct iovec *iov;

	fio_ro_check(td, io_u);

	if (af->batched == af->batch_max)
		return FIO_Q_BUSY;
	sqe = &af->batch[af->batched];

	switch (io_u->ddir) {
	case DDIR_READ:
	case DDIR_WRITE:
		/* One buffer, no iovec for the module to read, where it can. */
		if (af->buffer_ops && io_u->xfer_buflen <= UINT_MAX) {
			if (io_u->ddir == DDIR_READ)
				acall_prep_read(sqe, f->fd, io_u->xfer_buf,
						(unsigned int)io_u->xfer_buflen,
						io_u->offset, (int)af->rw_flags);
			else
				acall_prep_write(sqe, f->fd, io_u->xfer_buf,
						 (unsigned int)io_u->xfer_buflen,
						 io_u->offset, (int)af->rw_flags);
			break;
		}
		if (io_u->index >= af->nr_iovecs) {
			io_u->error = EINVAL;
			return FIO_Q_COMPLETED;
		}
		/* From the io_u as it is now: a requeue moves xfer_buf. */
		iov = &af->iovecs[io_u->index];
		iov->iov_base = io_u->xfer_buf;
		iov->iov_len = io_u->xfer_buflen;
		if (io_u->ddir == DDIR_READ)
			acall_prep_preadv(sqe, f->fd, iov, 1, io_u->offset,
					  (int)af->rw_flags);
		else
			acall_prep_pwritev(sqe, f->fd, iov, 1, io_u->offset,
					   (int)af->rw_flags);
		break;
	case DDIR_SYNC:
	case DDIR_DATASYNC:
		if (io_u->ddir == DDIR_SYNC)
			acall_prep_fsync(sqe, f->fd);
		else
			acall_prep_fdatasync(sqe, f->fd);
		if (af->barrier)
			acall_sqe_set_ordered(sqe);
		break;
	case DDIR_TRIM:
		acall_prep_fallocate(sqe, f->fd,
				     FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
				     io_u->offset, io_u->xfer_buflen);
		break;
	default:
		/* sync_file_range: acall has no such operation. */
		io_u->error = EOPNOTSUPP;
		return FIO_Q_COMPLETED;
	}
	acall_sqe_set_queue(sqe, (__u16)(f->fileno % af->nr_queues));
	acall_sqe_set_data(sqe, (__u64)(uintptr_t)io_u);
	af->batch_io_u[af->batched++] = io_u;
	return FIO_Q_QUEUED;
}

/* The n io_us at io_us[] went to the module now: their issue time. */
static void mark_issued(struct thread_data *td, struct io_u **io_us,
			unsigned int n)
{
	struct timespec now;

	if (!fio_fill_issue_time(td))
		return;
	fio_gettime(&now, NULL);
	for (unsigned int i = 0; i < n; i++) {
		io_us[i]->issue_time = now;
		io_u_queued(td, io_us[i]);
	}
	if (td->o.read_iolog_file)
		td->last_issue = now;
}

/*
 * Submit the batch, as much of it as the module takes. What it cannot
 * take yet (its ring has no room while completions wait to be reaped)
 * stays first in the batch: ->getevents() submits it once it has reaped.
 */
static int acall_fio_commit(struct thread_data *td)
{
	struct acall_fio *af = td->io_ops_data;
	int ret;

	while (af->batched) {
		ret = acall_submit(&af->ring, af->batch, af->batched);
		if (ret == 0)
			ret = -EBUSY;
		if (ret < 0) {
			if (ret == -EINTR)
				continue;
			if (ret == -EBUSY && af->in_flight)
				return 0;
			return ret;
		}
		mark_issued(td, af->batch_io_u, (unsigned int)ret);
		io_u_mark_submit(td, (unsigned int)ret);
		af->in_flight += (unsigned int)ret;
		af->batched -= (unsigned int)ret;
		if (af->batched) {
			memmove(af->batch, af->batch + ret,
				af->batched * sizeof(*af->batch));
			memmove(af->batch_io_u, af->batch_io_u + ret,
				af->batched * sizeof(*af->batch_io_u));
		}
	}
	return 0;
}

/* Copy up to room completions out of the ring after the first `at'. */
static unsigned int reap(struct acall_fio *af, unsigned int at,
			 unsigned int room)
{
	struct acall_cqe *cqe;
	unsigned int n = 0;

	while (n < room && (cqe = acall_peek_cqe(&af->ring))) {
		af->done[at + n].io_u = (struct io_u *)(uintptr_t)cqe->user_data;
		af->done[at + n].res = cqe->res;
		acall_cq_advance(&af->ring, 1);
		n++;
	}
	af->in_flight -= n < af->in_flight ? n : af->in_flight;
	return n;
}

static int acall_fio_getevents(struct thread_data *td, unsigned int min,
			       unsigned int max, const struct timespec *t)
{
	struct acall_fio *af = td->io_ops_data;
	bool poll = td->o.iodepth_batch_complete_min == 0;
	int64_t timeout_ns = -1;
	unsigned int got = 0, want;
	int ret;

	if (t)
		timeout_ns = (int64_t)t->tv_sec * 1000000000 + t->tv_nsec;
	if (max > af->done_max)
		max = af->done_max;
	if (min > max)
		min = max;

	for (;;) {
		got += reap(af, got, max - got);
		if (got >= min || got == max)
			break;
		/* What commit left behind counts as in flight for fio. */
		if (af->batched) {
			ret = acall_fio_commit(td);
			if (ret < 0) {
				td_verror(td, -ret, "acall_submit");
				return ret;
			}
		}
		if (!af->in_flight)
			break;		/* nothing more will come */
		if (poll)
			continue;	/* iodepth_batch_complete_min=0: spin */
		want = min - got;
		if (want > af->in_flight)
			want = af->in_flight;
		ret = acall_wait(&af->ring, want, timeout_ns);
		if (ret == -EINTR)
			continue;
		if (ret == -ETIME)
			break;
		if (ret < 0) {
			td_verror(td, -ret, "acall_wait");
			return ret;
		}
	}
	return (int)got;
}

static struct io_u *acall_fio_event(struct thread_data *td, int event)
{
	struct acall_fio *af = td->io_ops_data;
	struct acall_fio_done *d = &af->done[event];

	set_outcome(d->io_u, d->res);
	return d->io_u;
}

static void print_stats(struct thread_data *td, struct acall_fio *af)
{
	struct acall_stats s;
	int ret = acall_stats(&af->ring, &s);

	if (ret < 0) {
		log_err("acall: %s: counters: %s\n", td->o.name, strerror(-ret));
		return;
	}
	log_info("acall: %s: submitted=%llu completed=%llu inline=%llu "
		 "async_kiocb=%llu punted=%llu ordered=%llu order_waits=%llu "
		 "workers_peak=%u inflight_peak=%u\n", td->o.name,
		 (unsigned long long)s.submitted, (unsigned long long)s.completed,
		 (unsigned long long)s.inline_done,
		 (unsigned long long)s.async_kiocb, (unsigned long long)s.punted,
		 (unsigned long long)s.ordered,
		 (unsigned long long)s.order_waits, s.workers_peak,
		 s.inflight_peak);
}

static void acall_fio_cleanup(struct thread_data *td)
{
	struct acall_fio *af = td->io_ops_data;
	struct acall_fio_options *o = td->eo;

	if (!af)
		return;
	if (af->ring_up) {
		if (o->stats)
			print_stats(td, af);
		/* Returns once nothing writes into fio's buffers any more. */
		acall_ring_exit(&af->ring);
	}
	free(af->batch);
	free(af->batch_io_u);
	free(af->iovecs);
	free(af->done);
	free(af);
	td->io_ops_data = NULL;
}

/* What the job needs that the running module lacks, or NULL. */
static const char *missing(struct thread_data *td,
			   const struct acall_probe *p, bool barrier)
{
	if (!(p->features & ACALL_FEAT_RING))
		return "the completion ring";
	if (!(p->ops & (1ULL << ACALL_OP_PREADV)) ||
	    !(p->ops & (1ULL << ACALL_OP_PWRITEV)))
		return "PREADV and PWRITEV";
	if (!(p->ops & (1ULL << ACALL_OP_FSYNC)) ||
	    !(p->ops & (1ULL << ACALL_OP_FDATASYNC)))
		return "FSYNC and FDATASYNC";
	if (td_trim(td) && !(p->ops & (1ULL << ACALL_OP_FALLOCATE)))
		return "FALLOCATE (for trim)";
	if (barrier && !(p->features & ACALL_FEAT_ORDERING))
		return "ordering (for acall_sync_barrier=1 or acall_queues > 1)";
	return NULL;
}

static int acall_fio_init(struct thread_data *td)
{
	struct acall_fio_options *o = td->eo;
	struct acall_options opts = { 0 };
	unsigned int depth = td->o.iodepth ? td->o.iodepth : 1;
	struct acall_probe probe;
	struct acall_fio *af;
	const char *lack;
	int ret;

	if (td->o.sync_file_range) {
		log_err("acall: sync_file_range is not supported (acall has "
			"fsync and fdatasync)\n");
		return 1;
	}
	ret = acall_probe(-1, &probe);
	if (ret < 0) {
		log_err("acall: %s: %s%s\n", ACALL_DEVICE_PATH, strerror(-ret),
			ret == -ENOENT ? " (is the acall module loaded?)" : "");
		td_verror(td, -ret, "acall_probe");
		return 1;
	}
	lack = missing(td, &probe, o->sync_barrier || o->queues > 1);
	if (lack) {
		log_err("acall: the loaded module has no %s\n", lack);
		td_verror(td, EOPNOTSUPP, "acall_probe");
		return 1;
	}

	opts.entries = o->entries ? o->entries : pow2_at_least(depth);
	if (opts.entries & (opts.entries - 1) || opts.entries < depth ||
	    opts.entries > probe.max_entries) {
		log_err("acall: acall_entries=%u must be a power of 2, at least "
			"iodepth=%u and at most %u\n", opts.entries, depth,
			probe.max_entries);
		td_verror(td, EINVAL, "acall_fio_init");
		return 1;
	}
	opts.nr_queues = o->queues ? o->queues : 1;
	if (opts.nr_queues > probe.max_queues) {
		log_err("acall: acall_queues=%u is above the module's %u\n",
			opts.nr_queues, probe.max_queues);
		td_verror(td, EINVAL, "acall_fio_init");
		return 1;
	}
	opts.max_workers = o->max_workers;
	opts.inline_bytes = o->inline_bytes;

	af = calloc(1, sizeof(*af));
	if (!af) {
		td_verror(td, ENOMEM, "acall_fio_init");
		return 1;
	}
	td->io_ops_data = af;
	af->nr_queues = opts.nr_queues;
	af->barrier = o->sync_barrier;
	af->buffer_ops = acall_opcode_supported(&probe, ACALL_OP_READ) &&
			 acall_opcode_supported(&probe, ACALL_OP_WRITE);
	af->rw_flags = o->nowait ? RWF_NOWAIT : 0;
	af->batch_max = opts.entries;
	af->done_max = opts.entries;
	af->nr_iovecs = depth;	/* fio makes iodepth io_us, index 0.. */
	af->batch = calloc(af->batch_max, sizeof(*af->batch));
	af->batch_io_u = calloc(af->batch_max, sizeof(*af->batch_io_u));
	af->iovecs = calloc(af->nr_iovecs, sizeof(*af->iovecs));
	af->done = calloc(af->done_max, sizeof(*af->done));
	if (!af->batch || !af->batch_io_u || !af->iovecs || !af->done) {
		td_verror(td, ENOMEM, "acall_fio_init");
		return 1;	/* fio calls ->cleanup() */
	}

	ret = acall_ring_init(&af->ring, &opts);
	if (ret < 0) {
		log_err("acall: acall_ring_init(entries=%u, queues=%u): %s\n",
			opts.entries, opts.nr_queues, strerror(-ret));
		td_verror(td, -ret, "acall_ring_init");
		return 1;
	}
	af->ring_up = true;
	return 0;
}

ENGINE_VISIBLE struct ioengine_ops ioengine = {
	.name			= "acall",
	.version		= FIO_IOOPS_VERSION,
	.flags			= FIO_NO_OFFLOAD | FIO_ASYNCIO_SETS_ISSUE_TIME,
	.init			= acall_fio_init,
	.queue			= acall_fio_queue,
	.commit			= acall_fio_commit,
	.getevents		= acall_fio_getevents,
	.event			= acall_fio_event,
	.cleanup		= acall_fio_cleanup,
	.open_file		= generic_open_file,
	.close_file		= generic_close_file,
	.get_file_size		= generic_get_file_size,
	.options		= acall_fio_option_table,
	.option_struct_size	= sizeof(struct acall_fio_options),
};

/*
 * At dlopen(), before fio looks at anything of ours: in a fio of another
 * version, whose structures differ from the ones compiled in, make fio
 * refuse the engine (it checks .version first) rather than run it.
 */
static void __attribute__((constructor)) acall_fio_check_version(void)
{
	if (strcmp(fio_version_string, ACALL_FIO_VERSION)) {
		log_err("acall: this engine was built for %s, not %s: rebuild "
			"it against this fio (make fio-engine)\n",
			ACALL_FIO_VERSION, fio_version_string);
		ioengine.version = -1;
	}
}

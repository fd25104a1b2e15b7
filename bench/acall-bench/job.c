// SPDX-License-Identifier: GPL-2.0
/*
 * One job: a thread with one event loop, like an iothread of QEMU. It keeps
 * iodepth requests in flight, submits them in batches of up to p->batch,
 * sleeps in epoll on the engine's eventfd and reaps. The n-th request of a
 * job has the same kind and offset whatever the engine.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

int drain_eventfd(int efd)
{
	uint64_t v;

	while (read(efd, &v, sizeof(v)) == sizeof(v))
		;
	return errno == EAGAIN ? 0 : -errno;
}

/* xorshift64*: cheap, and the same sequence on every engine. */
static uint64_t next_rand(struct job *j)
{
	j->rng ^= j->rng >> 12;
	j->rng ^= j->rng << 25;
	j->rng ^= j->rng >> 27;
	return j->rng * 0x2545f4914f6cdd1dull;
}

static void prep_io(struct job *j, struct io_unit *io)
{
	const struct params *p = j->p;
	uint64_t blocks = p->size / p->bs;
	uint64_t r = next_rand(j);

	switch (p->rw) {
	case RW_READ:
	case RW_WRITE:
		io->off = (j->seq_block++ % blocks) * p->bs;
		io->kind = p->rw == RW_READ ? IO_READ : IO_WRITE;
		break;
	case RW_RANDREAD:
	case RW_RANDWRITE:
		io->off = (r % blocks) * p->bs;
		io->kind = p->rw == RW_RANDREAD ? IO_READ : IO_WRITE;
		break;
	case RW_RANDRW:
		io->off = (r % blocks) * p->bs;
		io->kind = (r >> 40) % 100 < p->rwmixread ? IO_READ : IO_WRITE;
		break;
	}
	io->iov = (struct iovec){ io->buf, p->bs };
	if (io->kind == IO_WRITE)
		j->writes_since_flush++;
}

void job_complete(struct job *j, struct io_unit *io, long res)
{
	uint64_t t = now_ns();

	io->res = res;
	if (io->kind == IO_FLUSH) {
		j->flush_inflight = false;
		j->flushes++;
		if (res < 0 && !j->errors++)
			j->first_error = res;
	} else if (res != (long)j->p->bs) {
		if (!j->errors++)
			j->first_error = res < 0 ? res : -EIO;
	} else {
		if (io->kind == IO_READ)
			j->done_reads++;
		else
			j->done_writes++;
		j->bytes += res;
		if (j->nr_lat < j->max_lat)
			j->lat[j->nr_lat++] = t - io->start_ns;
	}
	j->inflight--;
	io->next = j->free;
	j->free = io;
}

static bool time_is_up(struct job *j)
{
	if (j->p->ios && j->issued >= j->p->ios)
		return true;
	return j->end_ns && now_ns() >= j->end_ns;
}

/* Submit ios[0..n), looping until the engine took them all. */
static int submit_all(struct job *j, struct io_unit **ios, unsigned int n)
{
	while (n) {
		uint64_t t = now_ns();
		int ret = j->e->submit(j, ios, n);

		j->submit_ns += now_ns() - t;
		j->submit_calls++;
		if (ret < 0)
			return ret;
		j->submitted += ret;
		ios += ret;
		n -= ret;
	}
	return 0;
}

/*
 * Gather and submit what the depth allows. A flush every fsync_every writes:
 * an engine with ordered flushes sends it in the stream; the others drain
 * every write in flight first and hold back later requests until it
 * completes, as QEMU does for a flush.
 */
static int issue(struct job *j, bool *finished)
{
	struct io_unit *batch[1024];
	unsigned int n = 0, max = j->p->batch;
	int ret;

	if (max > 1024)
		max = 1024;
	for (;;) {
		struct io_unit *io;

		if (j->flush_inflight)
			break;
		if (j->flush_pending && !j->ordered_flush && j->inflight + n)
			break;		/* drain first */
		if (j->inflight + n >= j->depth)
			break;
		if (!j->flush_pending && time_is_up(j)) {
			*finished = true;
			break;
		}
		io = j->free;
		j->free = io->next;
		io->start_ns = now_ns();
		if (j->flush_pending) {
			io->kind = IO_FLUSH;
			io->off = 0;
			j->flush_pending = false;
			j->writes_since_flush = 0;
			if (!j->ordered_flush)
				j->flush_inflight = true;
		} else {
			prep_io(j, io);
			j->issued++;
			if (j->p->fsync_every &&
			    j->writes_since_flush >= j->p->fsync_every)
				j->flush_pending = true;
		}
		batch[n++] = io;
		if (n == max) {
			j->inflight += n;
			ret = submit_all(j, batch, n);
			if (ret < 0)
				return ret;
			n = 0;
		}
	}
	j->inflight += n;
	return submit_all(j, batch, n);
}

int job_run(struct job *j)
{
	const struct params *p = j->p;
	struct epoll_event ev = { .events = EPOLLIN };
	bool finished = false;
	uint64_t start;
	int ep = -1, ret;
	unsigned int i;

	j->depth = p->iodepth;
	if (j->e->max_depth && j->depth > j->e->max_depth)
		j->depth = j->e->max_depth;
	j->ios = calloc(j->depth, sizeof(*j->ios));
	if (!j->ios)
		return -ENOMEM;
	for (i = 0; i < j->depth; i++) {
		struct io_unit *io = &j->ios[i];

		io->job = j;
		io->index = i;
		if (posix_memalign(&io->buf, 4096, p->bs))
			return -ENOMEM;
		memset(io->buf, 0x5a ^ i, p->bs);
		io->next = j->free;
		j->free = io;
	}
	j->rng = p->seed * 0x9e3779b97f4a7c15ull + j->id + 1;
	j->seq_block = (p->size / p->bs) / p->numjobs * j->id;
	j->event_fd = -1;
	ret = j->e->setup(j);
	if (ret < 0)
		goto out;
	if (j->event_fd >= 0) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, j->event_fd, &ev) < 0) {
			ret = -errno;
			goto out;
		}
	}

	start = now_ns();
	if (p->runtime > 0)
		j->end_ns = start + (uint64_t)(p->runtime * 1e9);
	for (;;) {
		if (!finished) {
			ret = issue(j, &finished);
			if (ret < 0)
				break;
		}
		if (!j->inflight) {
			if (finished)
				break;
			continue;
		}
		if (j->e->poll) {
			ret = j->e->poll(j);
			if (ret < 0)
				break;
			if (ret > 0)
				continue;
		}
		if (ep >= 0 && epoll_wait(ep, &ev, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			ret = -errno;
			break;
		}
		ret = j->e->reap(j);
		if (ret < 0)
			break;
	}
	j->elapsed_ns = now_ns() - start;
out:
	j->e->teardown(j);
	if (ep >= 0)
		close(ep);
	return ret < 0 ? ret : 0;
}

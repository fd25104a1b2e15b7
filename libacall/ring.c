// SPDX-License-Identifier: LGPL-2.1-or-later
/* Setting up a context and mapping its completion ring; tearing it down. */
#include <errno.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "acall.h"
#include "internal.h"

/* Does a field of size bytes at off lie inside a ring of len bytes? */
static bool inside(__u64 len, __u32 off, __u64 size)
{
	return off <= len && size <= len - off;
}

/*
 * The module describes the ring; check that the description is one this
 * library can use before it reads or writes through it.
 */
static int check_layout(const struct acall_params *p)
{
	const struct acall_ring_offsets *o = &p->ring;
	__u64 len = p->ring_bytes;

	if (!inside(len, o->head, sizeof(__u32)) ||
	    !inside(len, o->tail, sizeof(__u32)) ||
	    !inside(len, o->ring_mask, sizeof(__u32)) ||
	    !inside(len, o->ring_entries, sizeof(__u32)) ||
	    !inside(len, o->flags, sizeof(__u32)) ||
	    !inside(len, o->cqes, (__u64)p->entries * sizeof(struct acall_cqe)))
		return -EPROTO;
	if ((o->head | o->tail | o->ring_mask | o->ring_entries | o->flags) %
	    sizeof(__u32) || o->cqes % _Alignof(struct acall_cqe))
		return -EPROTO;
	return 0;
}

/*
 * Whether ring->fd is still open on /dev/acall. It is the ring's until
 * acall_ring_exit(); a program that closed it anyway (a close_range()
 * sweep) may have the number taken by another file since, which the
 * teardown must not shut down or close. (Another open of /dev/acall
 * cannot be told from it.)
 */
static bool ring_fd_is_acall(const struct acall_ring *ring)
{
	return acall_fd_is_device(ring->fd, *acall_sq_rdev(ring->sq));
}

ACALL_API int acall_ring_init(struct acall_ring *ring,
			      const struct acall_options *opts)
{
	struct acall_options none = { 0 };
	struct acall_workers *workers = NULL;
	struct acall_probe probe;
	struct acall_params p;
	unsigned char *base;
	int fd, ret;

	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	ring->eventfd = -1;
	if (!opts)
		opts = &none;
	if (opts->nr_queues > UINT16_MAX)
		return -EINVAL;
	for (size_t i = 0; i < sizeof(opts->resv) / sizeof(opts->resv[0]); i++)
		if (opts->resv[i])
			return -EINVAL;

	memset(&p, 0, sizeof(p));
	p.entries = opts->entries ? opts->entries : ACALL_DEFAULT_ENTRIES;
	p.flags = opts->flags;
	p.max_workers = opts->max_workers;
	p.nr_queues = opts->nr_queues;
	p.inline_bytes = opts->inline_bytes;

	fd = acall_open_device();
	if (fd < 0)
		return fd;
	/* Workers are the process's own threads wherever the module can. */
	if (acall_ioctl(fd, ACALL_IOC_PROBE, &probe) == 0 &&
	    probe.features & ACALL_FEAT_PROCESS_WORKERS)
		p.flags |= ACALL_SETUP_PROCESS_WORKERS;
	ret = acall_ioctl(fd, ACALL_IOC_SETUP, &p);
	if (ret < 0)
		goto err_close;
	ret = check_layout(&p);
	if (ret < 0)
		goto err_close;
	if (p.ring_bytes > SIZE_MAX) {
		ret = -EPROTO;
		goto err_close;
	}

	base = mmap(NULL, p.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		    fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	ring->fd = fd;
	ring->ring_ptr = base;
	ring->ring_bytes = p.ring_bytes;
	ring->khead = (unsigned int *)(base + p.ring.head);
	ring->ktail = (unsigned int *)(base + p.ring.tail);
	ring->kflags = (unsigned int *)(base + p.ring.flags);
	ring->cqes = (struct acall_cqe *)(base + p.ring.cqes);
	ring->entries = *(unsigned int *)(base + p.ring.ring_entries);
	ring->mask = *(unsigned int *)(base + p.ring.ring_mask);
	if (!ring->entries || ring->entries & (ring->entries - 1) ||
	    ring->entries != p.entries || ring->mask != ring->entries - 1) {
		ret = -EPROTO;
		goto err_unmap;
	}

	if (p.flags & ACALL_SETUP_PROCESS_WORKERS) {
		workers = acall_workers_start(fd, &ret);
		if (!workers)
			goto err_unmap;
	}
	ring->sq = acall_sq_alloc(ring->entries);
	if (!ring->sq) {
		ret = -ENOMEM;
		goto err_workers;
	}
	*acall_sq_workers(ring->sq) = workers;
	*acall_sq_rdev(ring->sq) = acall_fd_device(fd);
	return 0;

err_workers:
	acall_workers_stop(workers, fd);
err_unmap:
	munmap(base, p.ring_bytes);
err_close:
	close(fd);
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	ring->eventfd = -1;
	return ret;
}

ACALL_API void acall_ring_exit(struct acall_ring *ring)
{
	int saved_errno = errno, cancel_state;
	bool own_fd;

	/*
	 * Not a cancellation point: cancelled in its close() or while it
	 * waits for the worker threads, it would leave them its lock held
	 * and the ring half torn down. A cancel waits for the return.
	 */
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	/*
	 * In a child (fork, vfork, CLONE_VM), the ring, the queue and *ring
	 * itself may be the parent's memory: only the child's fd is closed.
	 */
	own_fd = ring->fd >= 0 && (!ring->sq || ring_fd_is_acall(ring));
	if (ring->sq && !acall_sq_is_owner(ring->sq)) {
		acall_workers_forget(*acall_sq_workers(ring->sq));
		if (own_fd)
			close(ring->fd);
		goto out;
	}
	/*
	 * A signal does not end the wait: the buffers are not free yet. With
	 * worker threads, their own fd shuts it down (the ring's may have
	 * been closed, even reused, by the program).
	 */
	if (own_fd && !(ring->sq && *acall_sq_workers(ring->sq)))
		while (ioctl(ring->fd, ACALL_IOC_SHUTDOWN, 0) < 0 &&
		       errno == EINTR)
			;
	if (ring->sq) {
		/* Shut down, the context lets its threads go. */
		acall_workers_stop(*acall_sq_workers(ring->sq),
				   own_fd ? ring->fd : -1);
		acall_sq_free(ring->sq);
	}
	if (ring->ring_ptr)
		munmap(ring->ring_ptr, ring->ring_bytes);
	if (own_fd)
		close(ring->fd);
	memset(ring, 0, sizeof(*ring));
	ring->fd = -1;
	ring->eventfd = -1;
out:
	pthread_setcancelstate(cancel_state, &cancel_state);
	errno = saved_errno;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Waiting for completions: from the ring when they are there, else asleep. */
#include "acall.h"
#include "internal.h"

ACALL_API int acall_wait(struct acall_ring *ring, unsigned int min,
			 int64_t timeout_ns)
{
	struct acall_wait w = {
		.min_complete = min,
		.timeout_ns = timeout_ns,
	};
	unsigned int ready;

	/* What the module would refuse, refused before the fast path. */
	if (!min || min > ring->entries)
		return -EINVAL;
	/*
	 * Enough are in the ring already: no system call. A count above
	 * entries is a head moved past the tail, which the module answers.
	 */
	ready = acall_cq_ready(ring);
	if (ready >= min && ready <= ring->entries)
		return (int)ready;
	return acall_ioctl(ring->fd, ACALL_IOC_WAIT, &w);
}

ACALL_API int acall_wait_cqe(struct acall_ring *ring, struct acall_cqe **cqe,
			     int64_t timeout_ns)
{
	int ret = acall_wait(ring, 1, timeout_ns);

	*cqe = NULL;
	if (ret < 0)
		return ret;
	/* Fewer than asked only once the context is shut down and idle. */
	if (ret == 0)
		return -ESHUTDOWN;
	*cqe = acall_peek_cqe(ring);
	return *cqe ? 0 : -EPROTO;
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* Handing a batch of requests to the module in one call. */
#include <stdint.h>

#include "acall.h"
#include "internal.h"

ACALL_API int acall_submit_flags(struct acall_ring *ring,
				 const struct acall_sqe *sqes, unsigned int nr,
				 unsigned int flags)
{
	struct acall_submit s = {
		.sqes = (__u64)(uintptr_t)sqes,
		.nr = nr,
		.flags = flags,
	};

	if (!nr)
		return 0;
	return acall_ioctl(ring->fd, ACALL_IOC_SUBMIT, &s);
}

ACALL_API int acall_submit_and_wait(struct acall_ring *ring,
				    const struct acall_sqe *sqes,
				    unsigned int nr, unsigned int min_complete,
				    unsigned int flags)
{
	struct acall_submit s = {
		.sqes = (__u64)(uintptr_t)sqes,
		.nr = nr,
		.flags = flags | ACALL_SUBMIT_WAIT,
		.min_complete = min_complete,
	};

	/* nr 0 goes to the module all the same: it only waits. */
	return acall_ioctl(ring->fd, ACALL_IOC_SUBMIT, &s);
}

ACALL_API int acall_submit(struct acall_ring *ring,
			   const struct acall_sqe *sqes, unsigned int nr)
{
	return acall_submit_flags(ring, sqes, nr, 0);
}

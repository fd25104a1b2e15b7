// SPDX-License-Identifier: LGPL-2.1-or-later
/* Completion notification through an eventfd, and muting it from the ring. */
#include "acall.h"
#include "internal.h"

ACALL_API int acall_register_eventfd(struct acall_ring *ring, int efd)
{
	__s32 arg = efd;
	int ret;

	/* -1 would mean "unregister" to the module. */
	if (efd < 0)
		return -EBADF;
	ret = acall_ioctl(ring->fd, ACALL_IOC_EVENTFD, &arg);
	if (ret < 0)
		return ret;
	ring->eventfd = efd;
	return 0;
}

ACALL_API int acall_unregister_eventfd(struct acall_ring *ring)
{
	__s32 arg = -1;
	int ret = acall_ioctl(ring->fd, ACALL_IOC_EVENTFD, &arg);

	if (ret < 0)
		return ret;
	ring->eventfd = -1;
	return 0;
}

/*
 * No system call: the module reads the flag each time it posts completions.
 * After unmuting, the caller looks at the ring's tail again for completions
 * that arrived while muted; the full fence keeps that load from being
 * ordered before the flag's store (the module orders its tail store before
 * its flag load the same way).
 */
ACALL_API void acall_eventfd_mute(struct acall_ring *ring, bool muted)
{
	if (muted) {
		__atomic_fetch_or(ring->kflags, ACALL_RING_EVENTFD_MUTED,
				  __ATOMIC_SEQ_CST);
	} else {
		__atomic_fetch_and(ring->kflags,
				   ~(unsigned int)ACALL_RING_EVENTFD_MUTED,
				   __ATOMIC_SEQ_CST);
		__atomic_thread_fence(__ATOMIC_SEQ_CST);
	}
}

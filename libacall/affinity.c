// SPDX-License-Identifier: LGPL-2.1-or-later
/* Binding a context's workers, or one queue's, to a set of CPUs. */
#include <string.h>

#include "acall.h"
#include "internal.h"

ACALL_API int acall_set_affinity(struct acall_ring *ring, int queue,
				 const cpu_set_t *cpus)
{
	struct acall_affinity a;

	if (queue > UINT16_MAX)
		return -EINVAL;
	memset(&a, 0, sizeof(a));
	if (queue >= 0) {
		a.flags = ACALL_AFFINITY_QUEUE;
		a.queue = queue;
	}
	if (cpus) {
		a.mask = (__u64)(uintptr_t)cpus;
		a.mask_size = sizeof(*cpus);
	}
	return acall_ioctl(ring->fd, ACALL_IOC_AFFINITY, &a);
}

// SPDX-License-Identifier: LGPL-2.1-or-later
/* A context's counters. */
#include <string.h>

#include "acall.h"
#include "internal.h"

ACALL_API int acall_stats(struct acall_ring *ring, struct acall_stats *stats)
{
	int ret;

	memset(stats, 0, sizeof(*stats));
	ret = acall_ioctl(ring->fd, ACALL_IOC_STATS, stats);
	return ret < 0 ? ret : 0;
}

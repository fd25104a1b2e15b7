// SPDX-License-Identifier: LGPL-2.1-or-later
/* A context's counters, and why its requests went to a worker. */
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

ACALL_API int acall_punts(struct acall_ring *ring, struct acall_punts *punts)
{
	int ret;

	memset(punts, 0, sizeof(*punts));
	ret = acall_ioctl(ring->fd, ACALL_IOC_PUNTS, punts);
	return ret < 0 ? ret : 0;
}

static const char *const acall_punt_names[ACALL_PUNT_NR] = {
	[ACALL_PUNT_BLOCKING_OP]	= "blocking_op",
	[ACALL_PUNT_NO_NOWAIT]		= "no_nowait",
	[ACALL_PUNT_MUST_BLOCK]		= "must_block",
	[ACALL_PUNT_NOT_CACHED]		= "not_cached",
	[ACALL_PUNT_WOULD_BLOCK]	= "would_block",
	[ACALL_PUNT_KIOCB_AGAIN]	= "kiocb_again",
	[ACALL_PUNT_INLINE_BOUND]	= "inline_bound",
	[ACALL_PUNT_RELEASED]		= "released",
};

ACALL_API const char *acall_punt_name(unsigned int reason)
{
	return reason < ACALL_PUNT_NR ? acall_punt_names[reason] : NULL;
}

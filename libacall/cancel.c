// SPDX-License-Identifier: LGPL-2.1-or-later
/* Canceling requests that have not started. */
#include "acall.h"
#include "internal.h"

ACALL_API int acall_cancel(struct acall_ring *ring, __u64 user_data)
{
	__u64 arg = user_data;

	return acall_ioctl(ring->fd, ACALL_IOC_CANCEL, &arg);
}

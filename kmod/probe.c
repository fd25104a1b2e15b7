// SPDX-License-Identifier: GPL-2.0
/* ACALL_IOC_PROBE: tell userspace, at run time, what this module supports. */
#include <linux/string.h>
#include <linux/uaccess.h>

#include "internal.h"

long acall_ioctl_probe(void __user *arg)
{
	struct acall_probe probe;

	memset(&probe, 0, sizeof(probe));
	probe.abi_version = ACALL_ABI_VERSION;
	probe.size = sizeof(probe);
	probe.features = ACALL_FEAT_PROBE | ACALL_FEAT_RING |
			 ACALL_FEAT_EVENTFD | ACALL_FEAT_CANCEL |
			 ACALL_FEAT_STATS | ACALL_FEAT_INLINE |
			 ACALL_FEAT_ASYNC_KIOCB | ACALL_FEAT_WORKERS |
			 ACALL_FEAT_ORDERING | ACALL_FEAT_AFFINITY |
			 ACALL_FEAT_SHUTDOWN | ACALL_FEAT_INLINE_BOUND |
			 ACALL_FEAT_QUIET_SUBMIT | ACALL_FEAT_PROCESS_WORKERS |
			 ACALL_FEAT_PAGE_WAIT | ACALL_FEAT_PUNTS |
			 ACALL_FEAT_SUBMIT_WAIT;
	probe.ops = acall_ops_supported();
	probe.fd_types = ACALL_FD_REGULAR | ACALL_FD_BLOCK;
	probe.fs_types = acall_fs_types();
	probe.max_entries = ACALL_MAX_ENTRIES;
	probe.max_queues = ACALL_MAX_QUEUES;

	if (copy_to_user(arg, &probe, sizeof(probe)))
		return -EFAULT;
	return 0;
}

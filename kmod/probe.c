// SPDX-License-Identifier: GPL-2.0
/* ACALL_IOC_PROBE: tell userspace, at run time, what this module supports. */
#include <linux/string.h>
#include <linux/uaccess.h>
#include <linux/acall.h>

#include "internal.h"

long acall_ioctl_probe(void __user *arg)
{
	struct acall_probe probe;

	memset(&probe, 0, sizeof(probe));
	probe.abi_version = ACALL_ABI_VERSION;
	probe.size = sizeof(probe);
	probe.features = ACALL_FEAT_PROBE;

	if (copy_to_user(arg, &probe, sizeof(probe)))
		return -EFAULT;
	return 0;
}

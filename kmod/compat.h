/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels acall builds against (6.1 to 6.12).
 * Everything that needs a LINUX_VERSION_CODE test lives here, nowhere else.
 */
#ifndef ACALL_COMPAT_H
#define ACALL_COMPAT_H

#include <linux/version.h>
#include <linux/eventfd.h>

/* 6.8 dropped the count argument: every signal now adds one. */
static inline void acall_eventfd_signal(struct eventfd_ctx *ctx)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 8, 0)
	eventfd_signal(ctx);
#else
	eventfd_signal(ctx, 1);
#endif
}

#endif /* ACALL_COMPAT_H */

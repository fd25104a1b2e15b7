/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * acall: batched asynchronous system calls through /dev/acall.
 *
 * Every structure here has a fixed layout made of explicitly sized fields,
 * so the same binary works for 32- and 64-bit callers. Reserved fields must
 * be zero; unknown flags and operations are refused with -EINVAL so the ABI
 * can grow without breaking old callers.
 */
#ifndef _UAPI_LINUX_ACALL_H
#define _UAPI_LINUX_ACALL_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/const.h>

/* Bumped only for incompatible changes; additions are announced as features. */
#define ACALL_ABI_VERSION	1

/* Feature bits reported by ACALL_IOC_PROBE in acall_probe.features. */
#define ACALL_FEAT_PROBE	_BITULL(0)	/* this probe ioctl exists */

/* Answer of ACALL_IOC_PROBE: what this module supports, at run time. */
struct acall_probe {
	__u32	abi_version;	/* ACALL_ABI_VERSION of the module */
	__u32	size;		/* bytes of this structure the module filled */
	__u64	features;	/* ACALL_FEAT_* */
	__u64	ops;		/* bit n set: operation n is supported */
	__u64	resv[5];	/* zero for now */
};

/*
 * ioctl numbers: magic 0xAC, commands 0x20-0x3f (0xAC 0x00-0x1f belonged to
 * the long-removed raw driver).
 */
#define ACALL_IOC_MAGIC		0xAC
#define ACALL_IOC_PROBE		_IOR(ACALL_IOC_MAGIC, 0x20, struct acall_probe)

#endif /* _UAPI_LINUX_ACALL_H */

/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces shared by the files of the acall module. */
#ifndef ACALL_INTERNAL_H
#define ACALL_INTERNAL_H

#include <linux/fs.h>

extern const struct file_operations acall_fops;

long acall_ioctl_probe(void __user *arg);

#ifdef ACALL_INJECT
long acall_ioctl_inject(unsigned long arg);
#endif

#endif /* ACALL_INTERNAL_H */

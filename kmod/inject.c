// SPDX-License-Identifier: GPL-2.0
/* Deliberate kernel bugs for testing the test pipeline; see inject.h. */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/bug.h>
#include <linux/slab.h>

#include "internal.h"
#include "inject.h"

static noinline int acall_inject_uaf(void)
{
	int *obj = kmalloc(sizeof(*obj), GFP_KERNEL);
	int val;

	if (!obj)
		return -ENOMEM;
	*obj = 42;
	kfree(obj);
	val = READ_ONCE(*obj);	/* the bug: KASAN must report it */
	pr_info("read %d from a freed object\n", val);
	return 0;
}

long acall_ioctl_inject(unsigned long arg)
{
	switch (arg) {
	case ACALL_INJECT_WARN:
		pr_info("injecting a WARN on request\n");
		WARN_ON_ONCE(1);
		return 0;
	case ACALL_INJECT_UAF:
		pr_info("injecting a use-after-free on request\n");
		return acall_inject_uaf();
	default:
		return -EINVAL;
	}
}

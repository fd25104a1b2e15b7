// SPDX-License-Identifier: GPL-2.0
/*
 * acall: batched asynchronous system calls for event-loop programs.
 *
 * Module entry points: register the /dev/acall misc device. Each open of
 * the device is an independent context.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/acall.h>

#include "internal.h"

static struct miscdevice acall_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "acall",
	.fops	= &acall_fops,
	.mode	= 0600,
};

static int __init acall_init(void)
{
	int ret;

	ret = misc_register(&acall_misc);
	if (ret) {
		pr_err("cannot register /dev/acall: %d\n", ret);
		return ret;
	}
	pr_info("ABI version %u ready\n", ACALL_ABI_VERSION);
	return 0;
}

static void __exit acall_exit(void)
{
	misc_deregister(&acall_misc);
}

module_init(acall_init);
module_exit(acall_exit);

MODULE_DESCRIPTION("Batched asynchronous preadv/pwritev with a completion ring");
MODULE_AUTHOR("The acall developers");
MODULE_LICENSE("GPL");

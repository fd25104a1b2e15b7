// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * acall-probe: print what the running acall module supports, the way a
 * program detects features at run time before it relies on them.
 */
#include <stdio.h>
#include <string.h>

#include <acall.h>

int main(void)
{
	struct acall_probe probe;
	int ret = acall_probe(-1, &probe);

	if (ret < 0) {
		fprintf(stderr, "acall-probe: %s%s\n", strerror(-ret),
			ret == -2 ? " (is acall.ko loaded?)" : "");
		return 1;
	}
	printf("abi_version %u\n", probe.abi_version);
	printf("features    0x%016llx%s\n", (unsigned long long)probe.features,
	       probe.features & ACALL_FEAT_PROBE ? " probe" : "");
	printf("ops         0x%016llx\n", (unsigned long long)probe.ops);
	return 0;
}

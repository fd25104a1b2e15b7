// SPDX-License-Identifier: GPL-2.0
/*
 * inject warn|uaf: ask the test-only build of acall.ko (ACALL_INJECT=1) to
 * commit a deliberate kernel bug, so the pipeline can prove it notices.
 */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "inject.h"

int main(int argc, char **argv)
{
	unsigned long what;
	int fd;

	if (argc != 2 || (strcmp(argv[1], "warn") && strcmp(argv[1], "uaf"))) {
		fprintf(stderr, "usage: inject warn|uaf\n");
		return 2;
	}
	what = strcmp(argv[1], "warn") ? ACALL_INJECT_UAF : ACALL_INJECT_WARN;
	fd = open("/dev/acall", O_RDWR);
	if (fd < 0 || ioctl(fd, ACALL_IOC_INJECT, what) < 0) {
		perror("inject");
		return 1;
	}
	close(fd);
	return 0;
}

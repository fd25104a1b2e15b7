// SPDX-License-Identifier: GPL-2.0
/*
 * acall-unload FILE: with the test-only module (acall-inject.ko) loaded,
 * make the next async kiocb completion slow, then submit one O_DIRECT
 * overwrite of FILE's first 4 KiB and exit without waiting for it. The
 * write's completion then drops the context's last reference, and with it
 * the module's, while it still runs: unload_test.sh unloads the module
 * right then. Exit status 0 once the write is submitted.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <acall.h>
#include "inject.h"

static int fail(const char *what)
{
	fprintf(stderr, "acall-unload: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	struct acall_params p = { .entries = 8 };
	struct acall_submit s = { .nr = 1 };
	struct acall_sqe sqe;
	struct iovec iov;
	void *buf;
	int fd, dev;

	if (argc != 2) {
		fprintf(stderr, "usage: acall-unload FILE\n");
		return 2;
	}
	if (posix_memalign(&buf, 4096, 4096))
		return fail("posix_memalign");
	memset(buf, 'u', 4096);
	/* Written blocks first, so that O_DIRECT can overwrite without blocking. */
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || pwrite(fd, buf, 4096, 0) != 4096 || fsync(fd))
		return fail(argv[1]);
	close(fd);
	fd = open(argv[1], O_RDWR | O_DIRECT);
	if (fd < 0)
		return fail("O_DIRECT open");

	dev = open("/dev/acall", O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return fail("/dev/acall");
	if (ioctl(dev, ACALL_IOC_INJECT, ACALL_INJECT_SLOW_COMPLETION))
		return fail("ACALL_IOC_INJECT (is acall-inject.ko loaded?)");
	if (ioctl(dev, ACALL_IOC_SETUP, &p))
		return fail("ACALL_IOC_SETUP");

	iov = (struct iovec){ buf, 4096 };
	acall_prep_pwritev(&sqe, fd, &iov, 1, 0, 0);
	s.sqes = (__u64)(uintptr_t)&sqe;
	if (ioctl(dev, ACALL_IOC_SUBMIT, &s) != 1)
		return fail("ACALL_IOC_SUBMIT");
	/* Exit with the write in flight: no reference is left but its own. */
	return 0;
}

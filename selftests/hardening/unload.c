// SPDX-License-Identifier: GPL-2.0
/*
 * acall-unload FILE: with the test-only module (acall-inject.ko) loaded,
 * make the next async kiocb completion slow, then submit one O_DIRECT read
 * of FILE's first 4 KiB (written first) and exit without waiting for it.
 * The read's completion then drops the context's last reference, and with
 * it the module's, while it still runs: unload_test.sh unloads the module
 * right then. Prints how the read went out; exit status 0 once submitted.
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

/* Static: the read is still in flight when the process exits. */
static char buf[4096] __attribute__((aligned(4096)));

int main(int argc, char **argv)
{
	struct acall_params p = { .entries = 8 };
	struct acall_submit s = { .nr = 1 };
	struct acall_stats st;
	struct acall_sqe sqe;
	struct iovec iov;
	int fd, dev;

	if (argc != 2) {
		fprintf(stderr, "usage: acall-unload FILE\n");
		return 2;
	}
	memset(buf, 'u', sizeof(buf));
	/* Written blocks, so that the read goes to the device. */
	fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0 || pwrite(fd, buf, 4096, 0) != 4096 || fsync(fd))
		return fail(argv[1]);
	close(fd);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
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
	acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	s.sqes = (__u64)(uintptr_t)&sqe;
	if (ioctl(dev, ACALL_IOC_SUBMIT, &s) != 1)
		return fail("ACALL_IOC_SUBMIT");
	if (!ioctl(dev, ACALL_IOC_STATS, &st))
		printf("# the read: inline %llu, async kiocb %llu, punted %llu\n",
		       (unsigned long long)st.inline_done,
		       (unsigned long long)st.async_kiocb,
		       (unsigned long long)st.punted);
	/* Exit with the read in flight: no reference is left but its own. */
	return 0;
}

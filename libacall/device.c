// SPDX-License-Identifier: LGPL-2.1-or-later
/* Opening /dev/acall and asking it what it supports. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "acall.h"
#include "internal.h"

ACALL_API int acall_open_device(void)
{
	int fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

ACALL_API int acall_probe(int fd, struct acall_probe *probe)
{
	int own = -1, ret = 0;

	if (fd < 0) {
		own = acall_open_device();
		if (own < 0)
			return own;
		fd = own;
	}
	memset(probe, 0, sizeof(*probe));
	if (ioctl(fd, ACALL_IOC_PROBE, probe) < 0)
		ret = -errno;
	if (own >= 0)
		close(own);
	return ret;
}

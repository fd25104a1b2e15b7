// SPDX-License-Identifier: LGPL-2.1-or-later
/* Opening /dev/acall and asking it what it supports. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "acall.h"
#include "internal.h"

dev_t acall_fd_device(int fd)
{
	struct stat st;

	return !fstat(fd, &st) && S_ISCHR(st.st_mode) ? st.st_rdev : 0;
}

bool acall_fd_is_device(int fd, dev_t rdev)
{
	struct stat st;

	/* Only a closed fd or another file says no: fstat() may be denied. */
	if (fstat(fd, &st))
		return errno != EBADF;
	return !rdev || (S_ISCHR(st.st_mode) && st.st_rdev == rdev);
}

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

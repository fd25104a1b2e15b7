// SPDX-License-Identifier: GPL-2.0
/* psync: pread/pwrite in the job thread, one at a time. The floor. */
#include <errno.h>
#include <unistd.h>

#include "bench.h"

static int psync_setup(struct job *j)
{
	(void)j;
	return 0;
}

static long sync_io(int fd, struct io_unit *io)
{
	ssize_t ret;

	switch (io->kind) {
	case IO_READ:
		ret = pread(fd, io->buf, io->iov.iov_len, io->off);
		break;
	case IO_WRITE:
		ret = pwrite(fd, io->buf, io->iov.iov_len, io->off);
		break;
	default:
		ret = fdatasync(fd);
		break;
	}
	return ret < 0 ? -errno : ret;
}

static int psync_submit(struct job *j, struct io_unit **ios, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		job_complete(j, ios[i], sync_io(j->fd, ios[i]));
	return n;
}

static int psync_reap(struct job *j)
{
	(void)j;
	return 0;	/* everything completed in submit */
}

static void psync_teardown(struct job *j)
{
	(void)j;
}

const struct engine engine_psync = {
	.name = "psync",
	.max_depth = 1,
	.setup = psync_setup,
	.submit = psync_submit,
	.reap = psync_reap,
	.teardown = psync_teardown,
};

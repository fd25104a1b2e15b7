// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_OP_FSYNC, ACALL_OP_FDATASYNC and ACALL_OP_FALLOCATE: the flush,
 * discard and write-zeroes calls of a block layer. They block, so they
 * always run in a worker.
 */
#include <linux/fs.h>

#include "internal.h"
#include "ops.h"

int acall_fsync_prep(struct acall_req *req, const struct acall_sqe *sqe)
{
	if (sqe->off || sqe->addr || sqe->len || sqe->op_flags || sqe->len64)
		return -EINVAL;
	return 0;
}

int acall_fsync_run(struct acall_req *req)
{
	return vfs_fsync(req->file, 0);
}

int acall_fdatasync_run(struct acall_req *req)
{
	return vfs_fsync(req->file, 1);
}

int acall_fallocate_prep(struct acall_req *req, const struct acall_sqe *sqe)
{
	if (sqe->addr || sqe->len)
		return -EINVAL;
	if ((s64)sqe->off < 0 || (s64)sqe->len64 <= 0)
		return -EINVAL;
	req->pos = sqe->off;
	req->len64 = sqe->len64;
	req->mode = sqe->op_flags;
	return 0;
}

int acall_fallocate_run(struct acall_req *req)
{
	return vfs_fallocate(req->file, req->mode, req->pos, req->len64);
}

/* SPDX-License-Identifier: GPL-2.0 */
/* The operations behind acall_op_defs[] (opdef.c), one file per kind. */
#ifndef ACALL_OPS_H
#define ACALL_OPS_H

#include "internal.h"

/* nop.c */
int acall_nop_prep(struct acall_req *req, const struct acall_sqe *sqe);
int acall_nop_issue(struct acall_req *req, unsigned int issue_flags);
int acall_nop_run(struct acall_req *req);

/* rw.c */
int acall_preadv_prep(struct acall_req *req, const struct acall_sqe *sqe);
int acall_pwritev_prep(struct acall_req *req, const struct acall_sqe *sqe);
int acall_read_prep(struct acall_req *req, const struct acall_sqe *sqe);
int acall_write_prep(struct acall_req *req, const struct acall_sqe *sqe);
int acall_preadv_issue(struct acall_req *req, unsigned int issue_flags);
int acall_pwritev_issue(struct acall_req *req, unsigned int issue_flags);
int acall_preadv_run(struct acall_req *req);
int acall_pwritev_run(struct acall_req *req);
void acall_rw_cleanup(struct acall_req *req);

/* sync.c */
int acall_fsync_prep(struct acall_req *req, const struct acall_sqe *sqe);
int acall_fsync_run(struct acall_req *req);
int acall_fdatasync_run(struct acall_req *req);
int acall_fallocate_prep(struct acall_req *req, const struct acall_sqe *sqe);
int acall_fallocate_run(struct acall_req *req);

#endif /* ACALL_OPS_H */

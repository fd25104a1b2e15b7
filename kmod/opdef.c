// SPDX-License-Identifier: GPL-2.0
/* The operation table: what each opcode does at each stage. */
#include "internal.h"
#include "ops.h"

const struct acall_op_def acall_op_defs[ACALL_OP_LAST] = {
	[ACALL_OP_NOP] = {
		.name		= "NOP",
		.prep		= acall_nop_prep,
		.issue		= acall_nop_issue,
		.run		= acall_nop_run,
	},
	[ACALL_OP_PREADV] = {
		.name		= "PREADV",
		.needs_file	= true,
		.prep		= acall_preadv_prep,
		.issue		= acall_preadv_issue,
		.run		= acall_preadv_run,
		.cleanup	= acall_rw_cleanup,
	},
	[ACALL_OP_PWRITEV] = {
		.name		= "PWRITEV",
		.needs_file	= true,
		.hash_reg_file	= true,
		.grows_file	= true,
		.prep		= acall_pwritev_prep,
		.issue		= acall_pwritev_issue,
		.run		= acall_pwritev_run,
		.cleanup	= acall_rw_cleanup,
	},
	[ACALL_OP_FSYNC] = {
		.name		= "FSYNC",
		.needs_file	= true,
		.prep		= acall_fsync_prep,
		.run		= acall_fsync_run,
	},
	[ACALL_OP_FDATASYNC] = {
		.name		= "FDATASYNC",
		.needs_file	= true,
		.prep		= acall_fsync_prep,
		.run		= acall_fdatasync_run,
	},
	[ACALL_OP_FALLOCATE] = {
		.name		= "FALLOCATE",
		.needs_file	= true,
		.grows_file	= true,
		.prep		= acall_fallocate_prep,
		.run		= acall_fallocate_run,
	},
	[ACALL_OP_READ] = {
		.name		= "READ",
		.needs_file	= true,
		.prep		= acall_read_prep,
		.issue		= acall_preadv_issue,
		.run		= acall_preadv_run,
		.cleanup	= acall_rw_cleanup,
	},
	[ACALL_OP_WRITE] = {
		.name		= "WRITE",
		.needs_file	= true,
		.hash_reg_file	= true,
		.grows_file	= true,
		.prep		= acall_write_prep,
		.issue		= acall_pwritev_issue,
		.run		= acall_pwritev_run,
		.cleanup	= acall_rw_cleanup,
	},
};

/* Bit n set: opcode n has an entry, for ACALL_IOC_PROBE. */
u64 acall_ops_supported(void)
{
	u64 ops = 0;
	unsigned int i;

	for (i = 0; i < ACALL_OP_LAST; i++)
		if (acall_op_defs[i].prep)
			ops |= BIT_ULL(i);
	return ops;
}

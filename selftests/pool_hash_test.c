// SPDX-License-Identifier: GPL-2.0
/*
 * One file's buffered writes run one at a time, on one worker, in the
 * order they came (io-wq's hashing); a long stream of them does not starve
 * other requests when that worker is the context's only one.
 */
#include <fcntl.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define WRITES	64
#define NOP_ID	1000

TEST(one_files_writes_do_not_starve_the_rest)
{
	struct acall_options opts = { .entries = 128, .max_workers = 1 };
	struct acall_sqe sqes[WRITES + 1];
	struct iovec iov;
	struct acall_ring ring;
	struct acall_cqe *cqe;
	char buf[512];
	int i, n = 0, fd, nop_at = -1, last_write = -1, writes_seen = 0;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	memset(buf, 'w', sizeof(buf));
	iov = (struct iovec){ buf, sizeof(buf) };

	/* tmpfs cannot start a buffered write without blocking: all punted. */
	for (i = 0; i < WRITES; i++) {
		if (i == WRITES / 2) {
			acall_prep_nop(&sqes[n], 1);	/* a worker's job too */
			acall_sqe_set_data(&sqes[n++], NOP_ID);
		}
		acall_prep_pwritev(&sqes[n], fd, &iov, 1, (__u64)i * sizeof(buf), 0);
		acall_sqe_set_data(&sqes[n++], i);
	}
	ASSERT_EQ(n, acall_submit(&ring, sqes, n));

	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		if (cqe->user_data == NOP_ID) {
			EXPECT_EQ(0, cqe->res);
			nop_at = i;
		} else {
			EXPECT_EQ(sizeof(buf), cqe->res);
			/* One file's writes complete in the order they came. */
			EXPECT_EQ(writes_seen, cqe->user_data);
			writes_seen++;
			last_write = i;
		}
		acall_cq_advance(&ring, 1);
	}
	EXPECT_EQ(WRITES, writes_seen);
	EXPECT_LT(nop_at, last_write)
		TH_LOG("the NOP waited for all %d writes to one file", WRITES);
	acall_ring_exit(&ring);
	close(fd);
}

TEST_HARNESS_MAIN

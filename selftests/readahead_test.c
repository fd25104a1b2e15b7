// SPDX-License-Identifier: GPL-2.0
/*
 * A buffered read that misses the page cache starts no I/O in the
 * submitter: SUBMIT never waits for the device (a request slot, a slow
 * read), and the worker that does the read starts the readahead. Checked
 * on the slow device with the only worker held by a NOP: while it is held,
 * nothing but the submitter could send a read to the device, and the
 * device's own counters must not move.
 */
#include <fcntl.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define NR	16
#define LEN	(64 << 10)
#define HOLD_NS	(60ULL * 1000 * 1000 * 1000)	/* ended by the shutdown */

/* Reads the device completed plus those in flight: every read it was sent. */
static long long device_reads(const char *bdev)
{
	unsigned long long f[11] = { 0 };
	char path[128];
	FILE *stat;
	int n;

	snprintf(path, sizeof(path), "/sys/block/%s/stat", strrchr(bdev, '/') + 1);
	stat = fopen(path, "r");
	if (!stat)
		return -1;
	n = fscanf(stat, "%llu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
		   &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7],
		   &f[8], &f[9], &f[10]);
	fclose(stat);
	/* Field 1: reads completed; field 9: requests in flight. */
	return n == 11 ? (long long)(f[0] + f[8]) : -1;
}

TEST(cold_buffered_reads_start_no_io_in_the_submitter)
{
	struct acall_options opts = { .entries = 32, .max_workers = 1 };
	struct acall_stats before, after;
	struct acall_sqe sqes[NR], hold;
	struct iovec iov[NR];
	struct acall_ring ring;
	long long reads;
	const char *bdev;
	char *buf;
	int fd, i;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_INLINE | ACALL_FEAT_STATS |
		      ACALL_FEAT_SHUTDOWN);
	ACALL_FIXTURE(bdev, "ACALL_TEST_SLOW_BDEV");
	fd = open(bdev, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	buf = malloc(NR * LEN);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));

	/* The only worker sleeps in this NOP until the shutdown ends it. */
	acall_prep_nop(&hold, HOLD_NS);
	ASSERT_EQ(1, acall_submit(&ring, &hold, 1));

	for (i = 0; i < NR; i++) {
		iov[i] = (struct iovec){ buf + i * LEN, LEN };
		/* Far apart: each its own miss and its own readahead. */
		acall_prep_preadv(&sqes[i], fd, &iov[i], 1, (__u64)i << 22, 0);
		acall_sqe_set_data(&sqes[i], i);
	}
	reads = device_reads(bdev);
	ASSERT_LE(0, reads);
	ASSERT_EQ(0, acall_stats(&ring, &before));
	ASSERT_EQ(NR, acall_submit(&ring, sqes, NR));
	ASSERT_EQ(0, acall_stats(&ring, &after));
	EXPECT_EQ(reads, device_reads(bdev));
	EXPECT_EQ(NR, ACALL_DELTA(before, after, punted));
	EXPECT_EQ(0, ACALL_DELTA(before, after, inline_done));

	/* Ends the NOP; the reads are canceled or done. */
	acall_ring_exit(&ring);
	close(fd);
	free(buf);
}

TEST_HARNESS_MAIN

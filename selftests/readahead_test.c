/*
 * A buffered read that misses the page cache starts no I/O in the
 * submitter: SUBMIT never waits for the device (a request slot, a slow
 * read), and the worker that does the read starts the readahead. Checked
 * on the slow device with the only worker held: while it is held, nothing
 * but the submitter could send a read to the device, and the device's own
 * counters must not move.
 *
 * The hold is a buffered write to the ext4 fixture, frozen: it goes to the
 * worker (ext4 cannot start one without blocking) and waits there for the
 * thaw, which comes only after the check. (A NOP cannot hold a worker
 * longer than 1 s, a time SUBMIT could take.)
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define NR	16
#define LEN	(64 << 10)

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

FIXTURE(hold) {
	int dirfd;	/* the frozen ext4, thawed by the teardown */
	bool frozen;
};

FIXTURE_SETUP(hold)
{
	const char *dir;

	self->dirfd = -1;
	self->frozen = false;
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	self->dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->dirfd);
}

FIXTURE_TEARDOWN(hold)
{
	if (self->frozen)
		ioctl(self->dirfd, FITHAW, 0);
	if (self->dirfd >= 0)
		close(self->dirfd);
}

TEST_F(hold, cold_buffered_reads_start_no_io_in_the_submitter)
{
	struct acall_options opts = { .entries = 32, .max_workers = 1 };
	struct acall_stats before, after;
	struct acall_sqe sqes[NR], hold;
	struct iovec iov[NR], hold_iov;
	struct acall_ring ring;
	char *buf, byte = 1;
	long long reads;
	const char *bdev;
	int fd, wfd, i;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_INLINE | ACALL_FEAT_STATS |
		      ACALL_FEAT_SHUTDOWN);
	ACALL_FIXTURE(bdev, "ACALL_TEST_SLOW_BDEV");
	fd = open(bdev, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	buf = malloc(NR * LEN);
	ASSERT_NE(NULL, buf);
	wfd = openat(self->dirfd, ".", O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, wfd);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));

	/* The only worker waits in this write until the thaw. */
	ASSERT_EQ(0, ioctl(self->dirfd, FIFREEZE, 0));
	self->frozen = true;
	hold_iov = (struct iovec){ &byte, 1 };
	acall_prep_pwritev(&hold, wfd, &hold_iov, 1, 0, 0);
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

	/* The write goes on; the reads are canceled or done. */
	ASSERT_EQ(0, ioctl(self->dirfd, FITHAW, 0));
	self->frozen = false;
	acall_ring_exit(&ring);
	close(wfd);
	close(fd);
	free(buf);
}

TEST_HARNESS_MAIN

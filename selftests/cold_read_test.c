// SPDX-License-Identifier: GPL-2.0
/*
 * Cold buffered reads, on the slow device (every request takes
 * ACALL_TEST_SLOW_NS) with the only worker held by a buffered write to the
 * frozen ext4 fixture: it goes to the worker (ext4 cannot start one
 * without blocking) and waits there for the thaw. (A NOP cannot hold a
 * worker longer than 1 s, a time SUBMIT could take.)
 *
 * A miss starts no I/O in the submitter: SUBMIT never waits for the device
 * (a request slot, a slow read), and the worker that does the read starts
 * the readahead. While the worker is held, nothing but the submitter could
 * send a read to the device, and the device's own counters must not move.
 *
 * A miss waits for its page with no thread: a worker starts each one's
 * read from the device, leaves it waiting for the page and goes on to the
 * next request; a worker copies it once the page is read. With readahead
 * off, each 4 KiB read is one request of the device. NR cold reads are
 * submitted, then the holding write. A worker that slept on each page
 * would send the k-th read to the device only after the (k-1)-th had
 * completed, so by the time the device has been sent all NR, at least
 * NR - 1 completions would be posted. With the pages waited for by
 * callback, the worker sends all NR at once and then is held by the
 * write: a read is copied only after the thaw, so (but for one the worker
 * found read already, by then) none has completed yet.
 *
 * A read whose page has been read has started: it goes on before what was
 * queued for a worker after it, and canceling it finds it running
 * (-EALREADY), not pending.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

/* The first test: far apart reads, each its own miss and readahead. */
#define RA_NR	16
#define RA_LEN	(64 << 10)
/* The second: one page each, readahead off. */
#define PW_NR	8
#define PW_LEN	4096

/* Reads the device completed plus those in flight: every read it was sent. */
static long long device_reads(const char *bdev)
{
	unsigned long long f[11] = { 0 };
	char path[128];
	FILE *stat;
	int n;

	snprintf(path, sizeof(path), "/sys/class/block/%s/stat",
		 strrchr(bdev, '/') + 1);
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
	struct acall_sqe sqes[RA_NR], hold;
	struct iovec iov[RA_NR], hold_iov;
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
	buf = malloc(RA_NR * RA_LEN);
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

	for (i = 0; i < RA_NR; i++) {
		iov[i] = (struct iovec){ buf + i * RA_LEN, RA_LEN };
		/* Far apart: each its own miss and its own readahead. */
		acall_prep_preadv(&sqes[i], fd, &iov[i], 1, (__u64)i << 22, 0);
		acall_sqe_set_data(&sqes[i], i);
	}
	reads = device_reads(bdev);
	ASSERT_LE(0, reads);
	ASSERT_EQ(0, acall_stats(&ring, &before));
	ASSERT_EQ(RA_NR, acall_submit(&ring, sqes, RA_NR));
	ASSERT_EQ(0, acall_stats(&ring, &after));
	EXPECT_EQ(reads, device_reads(bdev));
	EXPECT_EQ(RA_NR, ACALL_DELTA(before, after, punted));
	EXPECT_EQ(0, ACALL_DELTA(before, after, inline_done));

	/* The write goes on; the reads are canceled or done. */
	ASSERT_EQ(0, ioctl(self->dirfd, FITHAW, 0));
	self->frozen = false;
	acall_ring_exit(&ring);
	close(wfd);
	close(fd);
	free(buf);
}


TEST_F_TIMEOUT(hold, cold_reads_wait_for_pages_with_no_thread, 120)
{
	struct acall_options opts = { .entries = 32, .max_workers = 1 };
	struct acall_stats before, after;
	struct acall_sqe sqes[PW_NR], hold;
	struct iovec iov[PW_NR], hold_iov;
	unsigned int early, seen = 0;
	struct acall_ring ring;
	struct acall_cqe *cqe;
	char *buf, byte = 1;
	long long reads;
	const char *bdev;
	int fd, wfd, i;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_STATS | ACALL_FEAT_PAGE_WAIT);
	ACALL_FIXTURE(bdev, "ACALL_TEST_SLOW_BDEV");
	fd = open(bdev, O_RDWR);
	ASSERT_LE(0, fd);
	for (i = 0; i < PW_NR; i++)
		ASSERT_EQ(0, acall_pwrite_pattern(fd, (__u64)i << 22, PW_LEN, i + 1));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	/* No readahead: each read is one request of the device. */
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
	buf = malloc(PW_NR * PW_LEN);
	ASSERT_NE(NULL, buf);
	memset(buf, 0, PW_NR * PW_LEN);
	wfd = openat(self->dirfd, ".", O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, wfd);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));

	for (i = 0; i < PW_NR; i++) {
		iov[i] = (struct iovec){ buf + i * PW_LEN, PW_LEN };
		acall_prep_preadv(&sqes[i], fd, &iov[i], 1, (__u64)i << 22, 0);
		acall_sqe_set_data(&sqes[i], i);
	}
	hold_iov = (struct iovec){ &byte, 1 };
	acall_prep_pwritev(&hold, wfd, &hold_iov, 1, 0, 0);
	acall_sqe_set_data(&hold, PW_NR);
	ASSERT_EQ(0, ioctl(self->dirfd, FIFREEZE, 0));
	self->frozen = true;

	reads = device_reads(bdev);
	ASSERT_LE(0, reads);
	ASSERT_EQ(0, acall_stats(&ring, &before));
	ASSERT_EQ(PW_NR, acall_submit(&ring, sqes, PW_NR));
	ASSERT_EQ(1, acall_submit(&ring, &hold, 1));

	/* Until the device has been sent every read. */
	while (device_reads(bdev) - reads < PW_NR)
		ASSERT_EQ(0, usleep(1000));
	early = acall_cq_ready(&ring);
	EXPECT_GT(PW_NR - 1, early)
		TH_LOG("%u reads completed before the last went to the device",
		       early);

	/* The write goes on, and the worker copies the reads. */
	ASSERT_EQ(0, ioctl(self->dirfd, FITHAW, 0));
	self->frozen = false;
	while (seen < PW_NR + 1) {
		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		if (cqe->user_data == PW_NR) {
			EXPECT_EQ(1, cqe->res);
		} else {
			ASSERT_GT(PW_NR, cqe->user_data);
			EXPECT_EQ(PW_LEN, cqe->res) TH_LOG("read %llu",
				(unsigned long long)cqe->user_data);
		}
		acall_cq_advance(&ring, 1);
		seen++;
	}
	for (i = 0; i < PW_NR; i++)
		EXPECT_EQ(-1, acall_check(buf + i * PW_LEN, PW_LEN, (__u64)i << 22,
					  i + 1))
			TH_LOG("read %d", i);
	ASSERT_EQ(0, acall_stats(&ring, &after));
	/* Each read the worker did not find read already waited. */
	EXPECT_LE(PW_NR - early, ACALL_DELTA(before, after, page_waits));

	acall_ring_exit(&ring);
	close(wfd);
	close(fd);
	free(buf);
}

#define WOKEN_NOPS	3

TEST_F_TIMEOUT(hold, woken_read_has_started, 60)
{
	struct acall_options opts = { .entries = 32, .max_workers = 1 };
	struct acall_sqe sqes[2 + WOKEN_NOPS];
	unsigned int seen = 0, read_at = 0;
	struct acall_stats before, now;
	struct iovec iov, hold_iov;
	struct acall_ring ring;
	struct acall_cqe *cqe;
	char *buf, byte = 1;
	const char *bdev;
	int fd, wfd, i, ret;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_CANCEL | ACALL_FEAT_STATS |
		      ACALL_FEAT_PAGE_WAIT);
	ACALL_FIXTURE(bdev, "ACALL_TEST_SLOW_BDEV");
	fd = open(bdev, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, PW_LEN, 7));
	ASSERT_EQ(0, fsync(fd));
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED));
	ASSERT_EQ(0, posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM));
	buf = calloc(1, PW_LEN);
	ASSERT_NE(NULL, buf);
	wfd = openat(self->dirfd, ".", O_TMPFILE | O_RDWR, 0600);
	ASSERT_LE(0, wfd);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));

	/* The read (0), the write that holds the worker (1), then NOPs. */
	iov = (struct iovec){ buf, PW_LEN };
	acall_prep_preadv(&sqes[0], fd, &iov, 1, 0, 0);
	hold_iov = (struct iovec){ &byte, 1 };
	acall_prep_pwritev(&sqes[1], wfd, &hold_iov, 1, 0, 0);
	for (i = 2; i < 2 + WOKEN_NOPS; i++)
		acall_prep_nop(&sqes[i], 1);
	for (i = 0; i < 2 + WOKEN_NOPS; i++)
		acall_sqe_set_data(&sqes[i], i);
	ASSERT_EQ(0, ioctl(self->dirfd, FIFREEZE, 0));
	self->frozen = true;
	ASSERT_EQ(0, acall_stats(&ring, &before));
	ASSERT_EQ(2 + WOKEN_NOPS, acall_submit(&ring, sqes, 2 + WOKEN_NOPS));

	/*
	 * The worker left the read waiting for its page (the device takes
	 * ACALL_TEST_SLOW_NS to read it); it is not found while it waits,
	 * and runs once its page is read.
	 */
	do {
		ASSERT_EQ(0, usleep(1000));
		ASSERT_EQ(0, acall_stats(&ring, &now));
		ASSERT_EQ(0, acall_cq_ready(&ring)) TH_LOG("the read did not wait");
	} while (now.page_waits == before.page_waits);
	/*
	 * A worker kept from the write for longer than the device takes
	 * finds the page read before it let go of the read, and copies it
	 * at once: then there is nothing to see.
	 */
	while ((ret = acall_cancel(&ring, 0)) == -ENOENT && !acall_cq_ready(&ring))
		ASSERT_EQ(0, usleep(1000));
	if (ret == -ENOENT) {
		ASSERT_EQ(0, ioctl(self->dirfd, FITHAW, 0));
		self->frozen = false;
		acall_ring_exit(&ring);
		SKIP(return, "the worker was away longer than the device's read");
	}
	EXPECT_EQ(-EALREADY, ret);

	ASSERT_EQ(0, ioctl(self->dirfd, FITHAW, 0));
	self->frozen = false;
	while (seen < 2 + WOKEN_NOPS) {
		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		if (cqe->user_data == 0) {
			EXPECT_EQ(PW_LEN, cqe->res);
			read_at = seen;
		} else if (cqe->user_data == 1) {
			EXPECT_EQ(1, cqe->res);
		} else {
			EXPECT_EQ(0, cqe->res);
		}
		acall_cq_advance(&ring, 1);
		seen++;
	}
	/* The write, then the read: the NOPs were queued after it started. */
	EXPECT_EQ(1, read_at);
	EXPECT_EQ(-1, acall_check(buf, PW_LEN, 0, 7));

	acall_ring_exit(&ring);
	close(wfd);
	close(fd);
	free(buf);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * What a canceled request completes with: -ECANCELED only if it never
 * moved a byte and was not refused at submission. A read continued by a
 * worker after a partial inline attempt completes with the bytes it moved;
 * a request refused at submission keeps its errno whichever path ends it.
 */
#include <fcntl.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define SECOND		(1000ULL * 1000 * 1000)
#define BUSY_NOPS	4

FIXTURE(cancel) {
	struct acall_ring ring;
	const char *dir;
	int fd;
};

FIXTURE_VARIANT(cancel) {
	const char *env;
	const char *dir;
};

/* A slow device: the second page is still being read when the try ends. */
FIXTURE_VARIANT_ADD(cancel, slow_ext4) { .env = "ACALL_TEST_SLOW_EXT4" };

FIXTURE_SETUP(cancel)
{
	struct acall_options opts = { .entries = 16, .max_workers = 1 };

	self->fd = -1;
	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_CANCEL | ACALL_FEAT_WORKERS);
	ACALL_FIXTURE(self->dir, variant->env);
	self->fd = acall_tmpfile(self->dir, O_RDWR);
	ASSERT_LE(0, self->fd);
	/* One worker for the whole context: NOPs can keep it busy. */
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

FIXTURE_TEARDOWN(cancel)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
}

/* Keep the only worker busy for BUSY_NOPS half-seconds; user_data 100+i. */
static void occupy_the_worker(struct __test_metadata *_metadata,
			      struct acall_ring *ring)
{
	struct acall_sqe sqes[BUSY_NOPS];
	int i;

	for (i = 0; i < BUSY_NOPS; i++) {
		acall_prep_nop(&sqes[i], SECOND / 2);
		acall_sqe_set_data(&sqes[i], 100 + i);
	}
	ASSERT_EQ(BUSY_NOPS, acall_submit(ring, sqes, BUSY_NOPS));
}

/* Reap n completions; the one with user_data want goes to *out. */
static void reap(struct __test_metadata *_metadata, struct acall_ring *ring,
		 int n, __u64 want, struct acall_cqe *out)
{
	struct acall_cqe *cqe;
	int found = 0;

	while (n--) {
		ASSERT_EQ(0, acall_wait_cqe(ring, &cqe, -1));
		if (cqe->user_data == want) {
			*out = *cqe;
			found++;
		}
		acall_cq_advance(ring, 1);
	}
	ASSERT_EQ(1, found);
}

/*
 * The first page is cached, the second not (readahead off): the inline try
 * copies the first and the rest waits for the worker, behind the NOPs,
 * where it is canceled. It completes with the page it did move.
 */
TEST_F(cancel, read_continued_by_a_worker_completes_with_its_bytes)
{
	char *buf;
	struct iovec iov;
	struct acall_sqe sqe;
	struct acall_cqe cqe;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 8192, 7));
	ASSERT_EQ(0, fsync(self->fd));
	ASSERT_EQ(0, posix_fadvise(self->fd, 0, 0, POSIX_FADV_RANDOM));
	ASSERT_EQ(0, acall_drop_caches());
	buf = aligned_alloc(4096, 8192);
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(4096, pread(self->fd, buf, 4096, 0));
	memset(buf, 0, 8192);

	occupy_the_worker(_metadata, &self->ring);
	iov = (struct iovec){ buf, 8192 };
	acall_prep_preadv(&sqe, self->fd, &iov, 1, 0, 0);
	acall_sqe_set_data(&sqe, 1);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	ASSERT_EQ(1, acall_cancel(&self->ring, 1));

	reap(_metadata, &self->ring, BUSY_NOPS + 1, 1, &cqe);
	EXPECT_EQ(4096, cqe.res) TH_LOG("a read that moved a page reported %d", cqe.res);
	EXPECT_EQ(-1, acall_check(buf, 4096, 0, 7));
	free(buf);
}

/*
 * A chain member refused at submission (a bad fd) and canceled while it
 * waits for its predecessor keeps its own errno when the link releases it,
 * as it does when the submitter gets to it.
 */
TEST_F(cancel, refused_member_keeps_its_errno_when_canceled)
{
	struct acall_sqe sqes[2];
	struct acall_cqe cqe;
	char byte = 0;
	struct iovec iov = { &byte, 1 };

	acall_prep_nop(&sqes[0], SECOND);
	acall_sqe_set_link(&sqes[0]);
	acall_sqe_set_data(&sqes[0], 1);
	acall_prep_pwritev(&sqes[1], -1, &iov, 1, 0, 0);
	acall_sqe_set_data(&sqes[1], 2);
	ASSERT_EQ(2, acall_submit(&self->ring, sqes, 2));
	ASSERT_EQ(1, acall_cancel(&self->ring, 2));

	reap(_metadata, &self->ring, 2, 2, &cqe);
	EXPECT_EQ(-EBADF, cqe.res);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio: aio_read, aio_write, aio_fsync, aio_error and
 * aio_return, with the data checked: one request, many in flight on one fd
 * completing in any order, O_DIRECT, end of file, a length past 32 bits,
 * the *64 twins, and the errors (EINVAL, EBADF, EAGAIN at the ring's
 * limit, aio_return once).
 */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"

FIXTURE(rw) {
	const char *dir;
	int fd;
};

FIXTURE_VARIANT(rw) {
	const char *env;	/* fixture variable naming the directory */
	const char *dir;	/* or a fixed directory */
};

FIXTURE_VARIANT_ADD(rw, tmpfs) { .dir = "/tmp" };
FIXTURE_VARIANT_ADD(rw, ext4) { .env = "ACALL_TEST_EXT4" };

FIXTURE_SETUP(rw)
{
	self->fd = -1;
	PA_REQUIRE_ACALL();
	self->dir = variant->dir;
	if (variant->env)
		ACALL_FIXTURE(self->dir, variant->env);
	self->fd = acall_tmpfile(self->dir, O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(rw)
{
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(rw, write_then_read_back)
{
	char buf[10000], back[10000];
	struct aiocb cb;

	acall_fill(buf, sizeof(buf), 4097, 1);
	pa_prep(&cb, self->fd, buf, sizeof(buf), 4097);
	ASSERT_EQ(0, aio_write(&cb));
	ASSERT_EQ(0, pa_wait(&cb));
	ASSERT_EQ(sizeof(buf), aio_return(&cb));
	ASSERT_EQ(sizeof(back), pread(self->fd, back, sizeof(back), 4097));
	EXPECT_EQ(-1, acall_check(back, sizeof(back), 4097, 1));

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 20000, 2));
	memset(back, 0, sizeof(back));
	pa_prep(&cb, self->fd, back, sizeof(back), 333);
	ASSERT_EQ(sizeof(back), pa_run(&cb, aio_read));
	EXPECT_EQ(-1, acall_check(back, sizeof(back), 333, 2));
}

TEST_F(rw, error_is_einprogress_until_done_and_return_is_once)
{
	char buf[4096];
	struct aiocb cb;
	int err;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 4096, 3));
	pa_prep(&cb, self->fd, buf, sizeof(buf), 0);
	ASSERT_EQ(0, aio_read(&cb));
	err = aio_error(&cb);
	EXPECT_TRUE(err == EINPROGRESS || err == 0) TH_LOG("aio_error %d", err);
	ASSERT_EQ(0, pa_wait(&cb));
	EXPECT_EQ(4096, aio_return(&cb));
	/*
	 * The result was consumed: the block refers to no request, and a
	 * second aio_return, and aio_error, fail with EINVAL.
	 */
	errno = 0;
	EXPECT_EQ(-1, aio_return(&cb));
	EXPECT_EQ(EINVAL, errno);
	errno = 0;
	EXPECT_EQ(-1, aio_error(&cb));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, acall_check(buf, sizeof(buf), 0, 3));
}

/*
 * A copy of a block whose result was not taken yet is not that request:
 * its aio_return fails, before and after the original's record is gone,
 * and the original's still has the result. The copy took the original's
 * record before, which was freed under it; and once the original's own
 * aio_return had freed it, the copy's read it (ASan: use after free).
 */
TEST_F(rw, copy_of_a_block_is_not_its_request)
{
	struct aiocb cb, copy, stale, next;
	char buf[4096], buf2[4096];

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 8192, 4));
	pa_prep(&cb, self->fd, buf, sizeof(buf), 0);
	ASSERT_EQ(0, aio_read(&cb));
	ASSERT_EQ(0, pa_wait(&cb));
	copy = cb;
	stale = cb;
	errno = 0;
	EXPECT_EQ(-1, aio_return(&copy));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(0, aio_error(&cb));
	EXPECT_EQ(4096, aio_return(&cb));
	EXPECT_EQ(-1, acall_check(buf, sizeof(buf), 0, 4));

	/* The next submission frees the record aio_return took. */
	pa_prep(&next, self->fd, buf2, sizeof(buf2), 4096);
	ASSERT_EQ(4096, pa_run(&next, aio_read));
	errno = 0;
	EXPECT_EQ(-1, aio_return(&stale));
	EXPECT_EQ(EINVAL, errno);
}

/* 64 requests on one fd, all in flight at once, reaped in any order. */
TEST_F(rw, many_in_flight_on_one_fd)
{
	enum { N = 64, BS = 4096 };
	static struct aiocb cbs[N];
	static char bufs[N][BS];
	const struct aiocb *list[N];
	unsigned int done = 0, i;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, N * BS, 4));
	for (i = 0; i < N; i++) {
		/* Reverse order, so completion order cannot be file order. */
		pa_prep(&cbs[i], self->fd, bufs[i], BS, (off_t)(N - 1 - i) * BS);
		ASSERT_EQ(0, aio_read(&cbs[i]));
		list[i] = &cbs[i];
	}
	while (done < N) {
		int ret = aio_suspend(list, N, NULL);

		ASSERT_TRUE(ret == 0 || errno == EINTR);
		for (i = 0; i < N; i++) {
			if (!list[i] || aio_error(&cbs[i]) == EINPROGRESS)
				continue;
			ASSERT_EQ(0, aio_error(&cbs[i]));
			ASSERT_EQ(BS, aio_return(&cbs[i]));
			ASSERT_EQ(-1, acall_check(bufs[i], BS, (off_t)(N - 1 - i) * BS, 4))
				TH_LOG("request %u", i);
			list[i] = NULL;
			done++;
		}
	}
}

TEST_F(rw, read_across_eof_is_short_and_past_eof_zero)
{
	char buf[8192];
	struct aiocb cb;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 5000, 5));
	pa_prep(&cb, self->fd, buf, sizeof(buf), 1000);
	EXPECT_EQ(4000, pa_run(&cb, aio_read));
	EXPECT_EQ(-1, acall_check(buf, 4000, 1000, 5));
	pa_prep(&cb, self->fd, buf, sizeof(buf), 1 << 20);
	EXPECT_EQ(0, pa_run(&cb, aio_read));
}

/*
 * A length past 32 bits, into a mapping that large: read() stops at the
 * end of the file. The module's one-buffer READ carries 32 bits of
 * length, so the library must not cut the length down to fit it (4 GiB +
 * 100 would read 100 bytes).
 */
TEST_F(rw, read_of_more_than_4_gib_is_not_cut)
{
	size_t len = (1ULL << 32) + 100;
	struct aiocb cb;
	char *buf;

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (buf == MAP_FAILED)
		SKIP(return, "no 4 GiB mapping here (errno %d)", errno);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 5000, 6));
	pa_prep(&cb, self->fd, buf, len, 0);
	EXPECT_EQ(5000, pa_run(&cb, aio_read));
	EXPECT_EQ(-1, acall_check(buf, 5000, 0, 6));
	munmap(buf, len);
}

TEST_F(rw, fsync_and_fdatasync_after_writes)
{
	char buf[4096];
	struct aiocb w[4], s, d;
	unsigned int i;

	acall_fill(buf, sizeof(buf), 0, 6);
	for (i = 0; i < 4; i++) {
		pa_prep(&w[i], self->fd, buf, sizeof(buf), (off_t)i * 4096);
		ASSERT_EQ(0, aio_write(&w[i]));
	}
	/* Covers the four writes queued before it. */
	pa_prep(&s, self->fd, NULL, 0, 0);
	ASSERT_EQ(0, aio_fsync(O_SYNC, &s));
	ASSERT_EQ(0, pa_wait(&s));
	EXPECT_EQ(0, aio_return(&s));
	/* POSIX: the queued writes are done once the fsync is. */
	for (i = 0; i < 4; i++)
		EXPECT_NE(EINPROGRESS, aio_error(&w[i])) TH_LOG("write %u", i);
	for (i = 0; i < 4; i++) {
		ASSERT_EQ(0, pa_wait(&w[i]));
		EXPECT_EQ(4096, aio_return(&w[i]));
	}
	pa_prep(&d, self->fd, NULL, 0, 0);
	ASSERT_EQ(0, aio_fsync(O_DSYNC, &d));
	ASSERT_EQ(0, pa_wait(&d));
	EXPECT_EQ(0, aio_return(&d));
}

TEST_F(rw, o_direct)
{
	struct aiocb cb;
	void *buf = NULL, *back = NULL;
	int fd;

	if (!variant->env)
		SKIP(return, "tmpfs has no O_DIRECT");
	fd = acall_reopen(self->fd, O_RDWR | O_DIRECT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 65536));
	ASSERT_EQ(0, posix_memalign(&back, 4096, 65536));
	acall_fill(buf, 65536, 8192, 7);
	pa_prep(&cb, fd, buf, 65536, 8192);
	ASSERT_EQ(65536, pa_run(&cb, aio_write));
	memset(back, 0, 65536);
	pa_prep(&cb, fd, back, 65536, 8192);
	ASSERT_EQ(65536, pa_run(&cb, aio_read));
	EXPECT_EQ(-1, acall_check(back, 65536, 8192, 7));
	free(buf);
	free(back);
	close(fd);
}

TEST_F(rw, the_64_bit_names)
{
	char buf[512], back[512];
	struct aiocb64 cb;
	const struct aiocb64 *list[1] = { &cb };

	acall_fill(buf, sizeof(buf), 77, 8);
	memset(&cb, 0, sizeof(cb));
	cb.aio_fildes = self->fd;
	cb.aio_buf = buf;
	cb.aio_nbytes = sizeof(buf);
	cb.aio_offset = 77;
	ASSERT_EQ(0, aio_write64(&cb));
	while (aio_error64(&cb) == EINPROGRESS)
		aio_suspend64(list, 1, NULL);
	ASSERT_EQ(0, aio_error64(&cb));
	ASSERT_EQ(sizeof(buf), aio_return64(&cb));
	cb.aio_buf = back;
	ASSERT_EQ(0, aio_read64(&cb));
	while (aio_error64(&cb) == EINPROGRESS)
		aio_suspend64(list, 1, NULL);
	ASSERT_EQ(sizeof(back), aio_return64(&cb));
	EXPECT_EQ(-1, acall_check(back, sizeof(back), 77, 8));
	ASSERT_EQ(0, aio_fsync64(O_SYNC, &cb));
	while (aio_error64(&cb) == EINPROGRESS)
		aio_suspend64(list, 1, NULL);
	EXPECT_EQ(0, aio_return64(&cb));
	EXPECT_EQ(AIO_ALLDONE, aio_cancel64(self->fd, &cb));
}

TEST_F(rw, bad_input)
{
	char buf[512];
	struct aiocb cb, unused;

	/* Refused at once. */
	pa_prep(&cb, self->fd, buf, sizeof(buf), -1);
	errno = 0;
	EXPECT_EQ(-1, aio_read(&cb));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, aio_write(&cb));
	EXPECT_EQ(EINVAL, errno);
	pa_prep(&cb, self->fd, buf, sizeof(buf), 0);
	cb.aio_reqprio = AIO_PRIO_DELTA_MAX + 1;
	EXPECT_EQ(-1, aio_read(&cb));
	EXPECT_EQ(EINVAL, errno);
	pa_prep(&cb, self->fd, buf, sizeof(buf), 0);
	EXPECT_EQ(-1, aio_fsync(O_RDWR, &cb));
	EXPECT_EQ(EINVAL, errno);
	pa_prep(&cb, 999, buf, sizeof(buf), 0);
	EXPECT_EQ(-1, aio_fsync(O_SYNC, &cb));
	EXPECT_EQ(EBADF, errno);

	/* Found when the request runs, as with glibc: in aio_error(). */
	pa_prep(&cb, 999, buf, sizeof(buf), 0);
	EXPECT_EQ(-EBADF, pa_run(&cb, aio_read));
	EXPECT_EQ(-1, aio_return(&cb));
	pa_prep(&cb, self->fd, buf, sizeof(buf), 0);
	{
		int ro = acall_reopen(self->fd, O_RDONLY);

		ASSERT_LE(0, ro);
		cb.aio_fildes = ro;
		EXPECT_EQ(-EBADF, pa_run(&cb, aio_write));
		close(ro);
	}
	/* Never submitted: aio_return has nothing to give. */
	pa_prep(&unused, self->fd, buf, sizeof(buf), 0);
	EXPECT_EQ(-1, aio_return(&unused));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * At the ring's limit a submission is EAGAIN, as at glibc's: a list
 * longer than the whole ring is refused at once, whatever is in flight.
 */
TEST_F(rw, eagain_at_the_limit)
{
	enum { RING = 8 };
	static struct aiocb cbs[RING + 1];
	static char bufs[RING + 1][512];
	struct aiocb *list[RING + 1];
	unsigned int i;

	ASSERT_EQ(0, setenv("ACALL_POSIXAIO_ENTRIES", "8", 1));
	for (i = 0; i <= RING; i++) {
		pa_prep(&cbs[i], self->fd, bufs[i], 512, (off_t)i * 512);
		cbs[i].aio_lio_opcode = LIO_WRITE;
		list[i] = &cbs[i];
	}
	errno = 0;
	EXPECT_EQ(-1, lio_listio(LIO_WAIT, list, RING + 1, NULL));
	EXPECT_EQ(EAGAIN, errno);
	/* Exactly the ring's size fits. */
	EXPECT_EQ(0, lio_listio(LIO_WAIT, list, RING, NULL));
	for (i = 0; i < RING; i++)
		EXPECT_EQ(512, aio_return(&cbs[i]));
}

/*
 * A single request at the limit: the slow device holds RING requests in
 * flight for hundreds of ms each, so the next one finds the ring full.
 */
TEST(eagain_single_request_on_slow_device)
{
	enum { RING = 4 };
	static struct aiocb cbs[RING + 1];
	const char *dir;
	void *buf = NULL;
	unsigned int i;
	int fd;

	PA_REQUIRE_ACALL();
	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	ASSERT_EQ(0, setenv("ACALL_POSIXAIO_ENTRIES", "4", 1));
	fd = acall_tmpfile(dir, O_RDWR | O_DIRECT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 4096 * (RING + 1)));
	memset(buf, 1, 4096 * (RING + 1));
	for (i = 0; i < RING; i++) {
		pa_prep(&cbs[i], fd, (char *)buf + 4096 * i, 4096, (off_t)i * 4096);
		ASSERT_EQ(0, aio_write(&cbs[i]));
	}
	pa_prep(&cbs[RING], fd, (char *)buf + 4096 * RING, 4096, 0);
	errno = 0;
	EXPECT_EQ(-1, aio_write(&cbs[RING]));
	EXPECT_EQ(EAGAIN, errno);
	for (i = 0; i < RING; i++) {
		ASSERT_EQ(0, pa_wait(&cbs[i]));
		EXPECT_EQ(4096, aio_return(&cbs[i]));
	}
	/* Room again. */
	EXPECT_EQ(4096, pa_run(&cbs[RING], aio_write));
	free(buf);
	close(fd);
}

TEST_HARNESS_MAIN

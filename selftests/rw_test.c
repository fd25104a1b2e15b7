// SPDX-License-Identifier: GPL-2.0
/*
 * PREADV and PWRITEV of every shape, with the data checked: 1 to IOV_MAX
 * segments, unaligned offsets and lengths, across end of file, an empty
 * file; buffered with the page cache hot and cold, O_DIRECT, and a block
 * device. What acall writes is read back with plain pread, what it reads
 * is compared with what plain pwrite wrote.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

FIXTURE(rw) {
	struct acall_ring ring;
	const char *dir;
	int fd;
};

/* The same tests on tmpfs (always there) and on ext4 (a real disk fs). */
FIXTURE_VARIANT(rw) {
	const char *env;	/* fixture variable naming the directory */
	const char *dir;	/* or a fixed directory */
};

FIXTURE_VARIANT_ADD(rw, tmpfs) { .dir = "/tmp" };
FIXTURE_VARIANT_ADD(rw, ext4) { .env = "ACALL_TEST_EXT4" };

FIXTURE_SETUP(rw)
{
	ACALL_FILE_FIXTURE_SETUP(64);
}

FIXTURE_TEARDOWN(rw)
{
	ACALL_FILE_FIXTURE_TEARDOWN();
}

/*
 * Write [off, off + total) as nr segments of varying, odd lengths with one
 * PWRITEV, read it back with pread; then read it with one PREADV into
 * differently cut segments and compare.
 */
static void rw_segments(struct __test_metadata *_metadata,
			struct acall_ring *ring, int fd, unsigned int nr,
			__u64 off, unsigned int seed)
{
	struct iovec *iov = calloc(nr, sizeof(*iov));
	struct acall_sqe sqe;
	unsigned char *buf = NULL, *back = NULL;
	size_t total = 0, at;
	unsigned int i;

	ASSERT_NE(NULL, iov);
	for (i = 0; i < nr; i++)
		total += 1 + (i * 7) % 23;
	buf = malloc(total);
	back = malloc(total);
	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, back);

	acall_fill(buf, total, off, seed);
	for (i = 0, at = 0; i < nr; i++) {
		iov[i].iov_base = buf + at;
		iov[i].iov_len = 1 + (i * 7) % 23;
		at += iov[i].iov_len;
	}
	acall_prep_pwritev(&sqe, fd, iov, nr, off, 0);
	ASSERT_EQ(total, acall_run1(ring, &sqe)) TH_LOG("pwritev of %u segments", nr);
	memset(back, 0, total);
	ASSERT_EQ(total, pread(fd, back, total, off));
	EXPECT_EQ(-1, acall_check(back, total, off, seed))
		TH_LOG("%u segments: written data differs", nr);

	/* Read with other cuts: 1 + (i * 5) % 31 bytes, the last takes the rest. */
	memset(back, 0, total);
	for (i = 0, at = 0; i < nr; i++) {
		size_t len = 1 + (i * 5) % 31;

		if (i == nr - 1 || at + len > total)
			len = total - at;
		iov[i].iov_base = back + at;
		iov[i].iov_len = len;
		at += len;
	}
	acall_prep_preadv(&sqe, fd, iov, nr, off, 0);
	ASSERT_EQ(total, acall_run1(ring, &sqe)) TH_LOG("preadv of %u segments", nr);
	EXPECT_EQ(-1, acall_check(back, total, off, seed))
		TH_LOG("%u segments: read data differs", nr);
	free(buf);
	free(back);
	free(iov);
}

TEST_F_TIMEOUT(rw, segment_counts_1_to_iov_max, 120)
{
	static const unsigned int counts[] = { 1, 2, 3, 16, 255, 1023, IOV_MAX };
	unsigned int i;

	for (i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		rw_segments(_metadata, &self->ring, self->fd, counts[i],
			    4096 * i + 13, i + 1);
}

/*
 * One iovec at an address that is no multiple of its alignment (a packed
 * struct of the caller's): the module reads it in one access when it is
 * aligned, and the data moves both ways all the same when it is not.
 */
TEST_F(rw, one_iovec_at_an_unaligned_address)
{
	_Alignas(8) unsigned char raw[sizeof(struct iovec) + 1];
	unsigned char buf[4096], back[4096];
	struct acall_sqe sqe;
	struct iovec iov;

	acall_fill(buf, sizeof(buf), 8192, 7);
	iov = (struct iovec){ buf, sizeof(buf) };
	memcpy(raw + 1, &iov, sizeof(iov));
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, 8192, 0);
	sqe.addr = (uintptr_t)(raw + 1);
	ASSERT_EQ(4096, acall_run1(&self->ring, &sqe));
	memset(back, 0, sizeof(back));
	ASSERT_EQ(4096, pread(self->fd, back, sizeof(back), 8192));
	EXPECT_EQ(-1, acall_check(back, sizeof(back), 8192, 7));

	memset(back, 0, sizeof(back));
	iov = (struct iovec){ back, sizeof(back) };
	memcpy(raw + 1, &iov, sizeof(iov));
	acall_prep_preadv(&sqe, self->fd, &iov, 1, 8192, 0);
	sqe.addr = (uintptr_t)(raw + 1);
	ASSERT_EQ(4096, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(back, sizeof(back), 8192, 7));
}

TEST_F_TIMEOUT(rw, unaligned_offsets_and_lengths, 120)
{
	static const __u64 offs[] = { 0, 1, 511, 4095, 4097, 65537, 1048575 };
	static const size_t lens[] = { 1, 3, 511, 4096, 4097, 12289, 131073 };
	unsigned char *buf = malloc(131073), *back = malloc(131073);
	unsigned int i, j, seed = 0;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, back);
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		for (j = 0; j < sizeof(lens) / sizeof(lens[0]); j++) {
			struct iovec iov = { buf, lens[j] };
			struct acall_sqe sqe;

			seed++;
			acall_fill(buf, lens[j], offs[i], seed);
			acall_prep_pwritev(&sqe, self->fd, &iov, 1, offs[i], 0);
			ASSERT_EQ(lens[j], acall_run1(&self->ring, &sqe))
				TH_LOG("write off %llu len %zu", (unsigned long long)offs[i], lens[j]);
			memset(back, 0, lens[j]);
			ASSERT_EQ(lens[j], pread(self->fd, back, lens[j], offs[i]));
			ASSERT_EQ(-1, acall_check(back, lens[j], offs[i], seed))
				TH_LOG("write off %llu len %zu", (unsigned long long)offs[i], lens[j]);

			/* Fresh data with pwrite, read with acall. */
			seed++;
			ASSERT_EQ(0, acall_pwrite_pattern(self->fd, offs[i], lens[j], seed));
			memset(buf, 0, lens[j]);
			acall_prep_preadv(&sqe, self->fd, &iov, 1, offs[i], 0);
			ASSERT_EQ(lens[j], acall_run1(&self->ring, &sqe))
				TH_LOG("read off %llu len %zu", (unsigned long long)offs[i], lens[j]);
			ASSERT_EQ(-1, acall_check(buf, lens[j], offs[i], seed))
				TH_LOG("read off %llu len %zu", (unsigned long long)offs[i], lens[j]);
		}
	}
	free(buf);
	free(back);
}

TEST_F(rw, read_across_eof_is_short)
{
	unsigned char buf[3][4096];
	struct iovec iov[3] = {
		{ buf[0], 4096 }, { buf[1], 4096 }, { buf[2], 4096 },
	};
	struct acall_sqe sqe;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 10001, 7));
	memset(buf, 0, sizeof(buf));
	/* 12288 asked from 4000: 6001 there. */
	acall_prep_preadv(&sqe, self->fd, iov, 3, 4000, 0);
	ASSERT_EQ(6001, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(buf, 6001, 4000, 7));
	EXPECT_EQ(-1, acall_check_zero((unsigned char *)buf + 6001, sizeof(buf) - 6001));
	/* At end of file and beyond: 0. */
	acall_prep_preadv(&sqe, self->fd, iov, 3, 10001, 0);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
	acall_prep_preadv(&sqe, self->fd, iov, 3, 1 << 30, 0);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
}

TEST_F(rw, read_empty_file_returns_zero)
{
	char buf[512];
	struct iovec iov = { buf, sizeof(buf) };
	struct acall_sqe sqe;

	acall_prep_preadv(&sqe, self->fd, &iov, 1, 0, 0);
	EXPECT_EQ(0, acall_run1(&self->ring, &sqe));
}

TEST_F(rw, write_past_eof_extends_with_hole)
{
	char buf[100];
	struct iovec iov = { buf, sizeof(buf) };
	struct acall_sqe sqe;
	struct stat st;
	char *back = malloc(1 << 20);

	ASSERT_NE(NULL, back);
	acall_fill(buf, sizeof(buf), (1 << 20) - 50, 3);
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, (1 << 20) - 50, 0);
	ASSERT_EQ(100, acall_run1(&self->ring, &sqe));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ((1 << 20) + 50, st.st_size);
	ASSERT_EQ((1 << 20) - 50, pread(self->fd, back, (1 << 20) - 50, 0));
	EXPECT_EQ(-1, acall_check_zero(back, (1 << 20) - 50));
	free(back);
}

/* Many requests at once on one file, each its own region. */
TEST_F(rw, batch_of_writes_then_batch_of_reads)
{
	enum { N = 48, LEN = 3000 };
	static unsigned char bufs[N][LEN];
	struct iovec iov[N];
	struct acall_sqe sqes[N];
	struct acall_cqe cqes[N];
	unsigned int i;

	for (i = 0; i < N; i++) {
		acall_fill(bufs[i], LEN, (__u64)i * LEN, 9);
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = LEN;
		acall_prep_pwritev(&sqes[i], self->fd, &iov[i], 1, (__u64)i * LEN, 0);
		acall_sqe_set_data(&sqes[i], 1000 + i);
	}
	ASSERT_EQ(0, acall_run(&self->ring, sqes, N, cqes));
	for (i = 0; i < N; i++) {
		ASSERT_LE(1000, cqes[i].user_data);
		ASSERT_GT(1000 + N, cqes[i].user_data);
		EXPECT_EQ(LEN, cqes[i].res);
	}
	memset(bufs, 0, sizeof(bufs));
	for (i = 0; i < N; i++)
		acall_prep_preadv(&sqes[i], self->fd, &iov[i], 1, (__u64)i * LEN, 0);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, N, cqes));
	for (i = 0; i < N; i++) {
		EXPECT_EQ(LEN, cqes[i].res);
		EXPECT_EQ(-1, acall_check(bufs[i], LEN, (__u64)i * LEN, 9));
	}
}

/*
 * Requests completed inline are used again by the next ones of the same
 * call and of the next call, which the module zeroes only in part: one
 * shape after another (20 segments, one buffer, a NOP, a read at end of
 * file, an unaligned one), many calls in a row, each result and every
 * byte checked, each completion once. On ext4 the reads complete inline;
 * on tmpfs (no IOCB_NOWAIT) workers do them, and the NOPs are used again.
 */
TEST_F(rw, requests_used_again_keep_nothing_of_the_last)
{
	enum { N = 48, SEG = 20, LEN = 2000, ROUNDS = 20 };
	static unsigned char bufs[N][LEN];
	static struct iovec segs[N][SEG];
	const size_t size = (size_t)N * LEN + 1;
	struct acall_sqe sqes[N];
	struct acall_cqe cqes[N];
	long want[N];
	bool seen[N];
	unsigned int i, j, round;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, size, 31));
	for (round = 0; round < ROUNDS; round++) {
		memset(bufs, 0, sizeof(bufs));
		for (i = 0; i < N; i++) {
			__u64 off = (__u64)i * LEN;

			switch ((i + round) % 5) {
			case 0:
				for (j = 0; j < SEG; j++) {
					segs[i][j].iov_base = bufs[i] + j * (LEN / SEG);
					segs[i][j].iov_len = LEN / SEG;
				}
				acall_prep_preadv(&sqes[i], self->fd, segs[i], SEG, off, 0);
				want[i] = LEN;
				break;
			case 1:
				acall_prep_read(&sqes[i], self->fd, bufs[i], LEN - 500, off, 0);
				want[i] = LEN - 500;
				break;
			case 2:
				acall_prep_nop(&sqes[i], 0);
				want[i] = 0;
				break;
			case 3:
				acall_prep_read(&sqes[i], self->fd, bufs[i], LEN, size, 0);
				want[i] = 0;
				break;
			default:
				acall_prep_read(&sqes[i], self->fd, bufs[i], LEN, off + 1, 0);
				want[i] = LEN;
				break;
			}
			acall_sqe_set_data(&sqes[i], i);
		}
		ASSERT_EQ(0, acall_run(&self->ring, sqes, N, cqes));
		memset(seen, 0, sizeof(seen));
		for (i = 0; i < N; i++) {
			unsigned int k;
			__u64 off;

			ASSERT_GT(N, cqes[i].user_data);
			k = cqes[i].user_data;
			off = (__u64)k * LEN;
			ASSERT_FALSE(seen[k]) TH_LOG("request %u completed twice", k);
			seen[k] = true;
			ASSERT_EQ(want[k], cqes[i].res) TH_LOG("round %u, request %u", round, k);
			switch ((k + round) % 5) {
			case 0:
			case 1:
				EXPECT_EQ(-1, acall_check(bufs[k], want[k], off, 31));
				break;
			case 4:
				EXPECT_EQ(-1, acall_check(bufs[k], LEN, off + 1, 31));
				break;
			default:
				EXPECT_EQ(-1, acall_check_zero(bufs[k], LEN));
				break;
			}
		}
	}
}

/*
 * The context keeps the memory of a request that ended for the next one
 * (its spare): a read alone after each of these ends takes it, when the
 * memory is back by then (a worker, or an O_DIRECT read's completion,
 * gives it back after its completion is posted). Before it: an O_DIRECT
 * read (an async kiocb on ext4, a worker's call on tmpfs), a PREADV of 20
 * iovecs refused at its last one (an iovec array allocated and freed), a
 * LINK chain whose first member is refused, a NOP.
 */
TEST_F(rw, read_alone_after_other_ends)
{
	enum { SEG = 20, LEN = 4096, ROUNDS = 10 };
	unsigned char *dbuf = NULL, buf[LEN];
	struct iovec segs[SEG];
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];
	unsigned int round, j;
	int dfd;

	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 4 * LEN, 41));
	ASSERT_EQ(0, fsync(self->fd));
	dfd = acall_reopen(self->fd, O_RDONLY | O_DIRECT);
	ASSERT_TRUE(dfd >= 0 || dfd == -EINVAL);
	ASSERT_EQ(0, posix_memalign((void **)&dbuf, 4096, LEN));
	for (j = 0; j < SEG; j++)
		segs[j] = (struct iovec){ buf + j * 8, 8 };
	/* Not a user address: refused when the array is imported. */
	segs[SEG - 1].iov_base = (void *)-4096L;

	for (round = 0; round < ROUNDS; round++) {
		/* The one read alone, after each kind of end. */
		for (j = 0; j < 4; j++) {
			switch (j) {
			case 0:
				if (dfd < 0)	/* tmpfs before 6.6 */
					continue;
				memset(dbuf, 0, LEN);
				acall_prep_read(&sqes[0], dfd, dbuf, LEN, LEN, 0);
				ASSERT_EQ(LEN, acall_run1(&self->ring, &sqes[0]));
				EXPECT_EQ(-1, acall_check(dbuf, LEN, LEN, 41));
				break;
			case 1:
				acall_prep_preadv(&sqes[0], self->fd, segs, SEG, 0, 0);
				ASSERT_EQ(-EFAULT, acall_run1(&self->ring, &sqes[0]));
				break;
			case 2:
				/* A flag no kernel knows: refused when prepared. */
				acall_prep_read(&sqes[0], self->fd, buf, LEN, 0, 0);
				sqes[0].op_flags = 1U << 31;
				acall_sqe_set_link(&sqes[0]);
				acall_prep_read(&sqes[1], self->fd, buf, LEN, 0, 0);
				acall_sqe_set_data(&sqes[0], 1);
				acall_sqe_set_data(&sqes[1], 2);
				ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
				ASSERT_EQ(3, cqes[0].user_data + cqes[1].user_data);
				ASSERT_EQ(2, cqes[0].user_data * cqes[1].user_data);
				EXPECT_EQ(-EOPNOTSUPP, cqes[0].user_data == 1 ? cqes[0].res : cqes[1].res);
				EXPECT_EQ(-ECANCELED, cqes[0].user_data == 2 ? cqes[0].res : cqes[1].res);
				break;
			default:
				acall_prep_nop(&sqes[0], 0);
				ASSERT_EQ(0, acall_run1(&self->ring, &sqes[0]));
				break;
			}
			memset(buf, 0, LEN);
			acall_prep_read(&sqes[0], self->fd, buf, LEN - 7, 2 * LEN + 7, 0);
			ASSERT_EQ(LEN - 7, acall_run1(&self->ring, &sqes[0]))
				TH_LOG("round %u, after end %u", round, j);
			EXPECT_EQ(-1, acall_check(buf, LEN - 7, 2 * LEN + 7, 41));
		}
	}
	free(dbuf);
	if (dfd >= 0)
		close(dfd);
}

/* A read of a file whose pages are not in memory. */
TEST_F_TIMEOUT(rw, cold_cache_read, 60)
{
	size_t len = 256 * 1024 + 77;
	unsigned char *buf = malloc(len);
	struct iovec iov[2] = { { buf, 4096 + 5 }, { buf + 4096 + 5, len - 4096 - 5 } };
	struct acall_sqe sqe;

	if (!variant->env)
		SKIP(return, "tmpfs pages cannot be dropped");
	ASSERT_NE(NULL, buf);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 123, len, 21));
	ASSERT_EQ(0, fsync(self->fd));
	ASSERT_EQ(0, acall_drop_caches());
	memset(buf, 0, len);
	acall_prep_preadv(&sqe, self->fd, iov, 2, 123, 0);
	ASSERT_EQ(len, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(buf, len, 123, 21));
	free(buf);
}

/* The same region read twice: the second time the cache is hot. */
TEST_F(rw, hot_cache_read)
{
	size_t len = 64 * 1024 + 3;
	unsigned char *buf = malloc(len), *buf2 = malloc(len);
	struct iovec iov = { buf, len };
	struct acall_sqe sqe;

	ASSERT_NE(NULL, buf);
	ASSERT_NE(NULL, buf2);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 5, len, 22));
	ASSERT_EQ(len, pread(self->fd, buf2, len, 5));	/* now surely cached */
	memset(buf, 0, len);
	acall_prep_preadv(&sqe, self->fd, &iov, 1, 5, 0);
	ASSERT_EQ(len, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(buf, len, 5, 22));
	free(buf);
	free(buf2);
}

/* O_DIRECT: aligned buffers and offsets, several segments. */
TEST_F(rw, direct_io_write_and_read)
{
	enum { SEG = 4096, NSEG = 5 };
	unsigned char *buf = NULL, *back = NULL;
	struct iovec iov[NSEG];
	struct acall_sqe sqe;
	unsigned int i;
	int dfd;

	dfd = acall_reopen(self->fd, O_RDWR | O_DIRECT);
	if (dfd == -EINVAL)
		SKIP(return, "%s does not support O_DIRECT", self->dir);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, SEG * NSEG));
	ASSERT_EQ(0, posix_memalign((void **)&back, 4096, SEG * NSEG));

	acall_fill(buf, SEG * NSEG, 8192, 31);
	/* Segments of 1, 2, 1 and 1 pages, the second one two pages long. */
	iov[0] = (struct iovec){ buf, SEG };
	iov[1] = (struct iovec){ buf + SEG, 2 * SEG };
	iov[2] = (struct iovec){ buf + 3 * SEG, SEG };
	iov[3] = (struct iovec){ buf + 4 * SEG, SEG };
	acall_prep_pwritev(&sqe, dfd, iov, 4, 8192, 0);
	ASSERT_EQ(SEG * NSEG, acall_run1(&self->ring, &sqe));
	ASSERT_EQ(SEG * NSEG, pread(self->fd, back, SEG * NSEG, 8192));
	EXPECT_EQ(-1, acall_check(back, SEG * NSEG, 8192, 31));

	/* Overwrite with pwrite, read with acall O_DIRECT in 5 pieces. */
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 8192, SEG * NSEG, 32));
	ASSERT_EQ(0, fsync(self->fd));
	memset(back, 0, SEG * NSEG);
	for (i = 0; i < NSEG; i++)
		iov[i] = (struct iovec){ back + (NSEG - 1 - i) * SEG, SEG };
	acall_prep_preadv(&sqe, dfd, iov, NSEG, 8192, 0);
	ASSERT_EQ(SEG * NSEG, acall_run1(&self->ring, &sqe));
	/* The iovecs were in reverse order: check each page where it went. */
	for (i = 0; i < NSEG; i++)
		EXPECT_EQ(-1, acall_check(back + (NSEG - 1 - i) * SEG, SEG,
					  8192 + i * SEG, 32)) TH_LOG("page %u", i);

	/* O_DIRECT read across end of file: short. */
	ASSERT_EQ(0, ftruncate(self->fd, 8192 + 2 * SEG));
	iov[0] = (struct iovec){ back, SEG * NSEG };
	acall_prep_preadv(&sqe, dfd, iov, 1, 8192, 0);
	EXPECT_EQ(2 * SEG, acall_run1(&self->ring, &sqe));
	free(buf);
	free(back);
	close(dfd);
}

/* A block device, buffered and O_DIRECT. */
TEST(block_device)
{
	struct acall_options opts = { .entries = 16 };
	const size_t len = 3 * 4096;
	unsigned char *buf = NULL, *back = NULL;
	struct acall_ring ring;
	struct acall_sqe sqe;
	struct iovec iov;
	const char *dev;
	int fd, dfd;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ACALL_FIXTURE(dev, "ACALL_TEST_BDEV");
	fd = open(dev, O_RDWR);
	ASSERT_LE(0, fd);
	dfd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, dfd);
	ASSERT_EQ(0, posix_memalign((void **)&buf, 4096, len));
	ASSERT_EQ(0, posix_memalign((void **)&back, 4096, len));
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));

	/* Buffered, unaligned. */
	acall_fill(buf, 5000, 1001, 41);
	iov = (struct iovec){ buf, 5000 };
	acall_prep_pwritev(&sqe, fd, &iov, 1, 1001, 0);
	ASSERT_EQ(5000, acall_run1(&ring, &sqe));
	ASSERT_EQ(5000, pread(fd, back, 5000, 1001));
	EXPECT_EQ(-1, acall_check(back, 5000, 1001, 41));
	memset(buf, 0, len);
	acall_prep_preadv(&sqe, fd, &iov, 1, 1001, 0);
	ASSERT_EQ(5000, acall_run1(&ring, &sqe));
	EXPECT_EQ(-1, acall_check(buf, 5000, 1001, 41));

	/* O_DIRECT write, read back with a plain O_DIRECT pread. */
	acall_fill(buf, len, 1 << 20, 42);
	iov = (struct iovec){ buf, len };
	acall_prep_pwritev(&sqe, dfd, &iov, 1, 1 << 20, 0);
	ASSERT_EQ(len, acall_run1(&ring, &sqe));
	ASSERT_EQ(len, pread(dfd, back, len, 1 << 20));
	EXPECT_EQ(-1, acall_check(back, len, 1 << 20, 42));

	/* O_DIRECT read of what pwrite put there. */
	acall_fill(back, len, 2 << 20, 43);
	ASSERT_EQ(len, pwrite(dfd, back, len, 2 << 20));
	memset(buf, 0, len);
	acall_prep_preadv(&sqe, dfd, &iov, 1, 2 << 20, 0);
	ASSERT_EQ(len, acall_run1(&ring, &sqe));
	EXPECT_EQ(-1, acall_check(buf, len, 2 << 20, 43));

	acall_ring_exit(&ring);
	free(buf);
	free(back);
	close(fd);
	close(dfd);
}

TEST_HARNESS_MAIN

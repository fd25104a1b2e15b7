// SPDX-License-Identifier: GPL-2.0
/*
 * Appends (O_APPEND, RWF_APPEND) keep what pwritev2() gives them: each
 * record lands whole, never split by another appender's, and one thread's
 * appends land in the order it submitted them, on every kind of fd,
 * O_DIRECT included.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define RECORDS		40
#define THREADS		4
#define PER_THREAD	24
#define MAGIC		0xacca11a9u

/* A record: a header, then its own byte everywhere else. */
struct record_head {
	__u32 magic;
	__u32 writer;
	__u32 seq;
	__u32 len;
};

static void *record(unsigned int writer, unsigned int seq, size_t len)
{
	struct record_head *h;
	void *buf;

	if (posix_memalign(&buf, 4096, len))
		return NULL;
	memset(buf, (int)(writer * 31 + seq) & 0xff, len);
	h = buf;
	*h = (struct record_head){ MAGIC, writer, seq, (__u32)len };
	return buf;
}

/* 4 to 64 KiB, whole blocks, so that O_DIRECT takes them. */
static size_t record_len(unsigned int seq)
{
	return 4096 * (1 + (seq * 7) % 16);
}

FIXTURE(append) {
	struct acall_ring ring;
	const char *dir;
	int fd;
};

FIXTURE_VARIANT(append) {
	const char *env;
	const char *dir;
	int flags;
};

FIXTURE_VARIANT_ADD(append, tmpfs) { .dir = "/tmp" };
FIXTURE_VARIANT_ADD(append, ext4) { .env = "ACALL_TEST_EXT4" };
FIXTURE_VARIANT_ADD(append, ext4_direct) {
	.env = "ACALL_TEST_EXT4", .flags = O_DIRECT,
};

FIXTURE_SETUP(append)
{
	int fd;

	ACALL_FILE_FIXTURE_SETUP(256);
	fd = acall_reopen(self->fd, O_RDWR | O_APPEND | variant->flags);
	ASSERT_LE(0, fd);
	close(self->fd);
	self->fd = fd;
}

FIXTURE_TEARDOWN(append)
{
	ACALL_FILE_FIXTURE_TEARDOWN();
}

/*
 * Walk the file's records; each must be whole. seen[writer][seq] counts
 * them; order[] gets the writers' sequence numbers in file order.
 */
static int walk(int fd, unsigned char seen[THREADS][RECORDS],
		unsigned int *order, unsigned int max)
{
	struct stat st;
	off_t off = 0;
	unsigned int n = 0;
	char *buf;
	int ret = 0;

	if (fstat(fd, &st) || !(buf = malloc(st.st_size ? st.st_size : 1)))
		return -1;
	if (pread(fd, buf, st.st_size, 0) != st.st_size) {
		free(buf);
		return -1;
	}
	while (off < st.st_size) {
		struct record_head *h = (struct record_head *)(buf + off);
		unsigned char want = (h->writer * 31 + h->seq) & 0xff;
		size_t i;

		if (off + (off_t)sizeof(*h) > st.st_size || h->magic != MAGIC ||
		    h->writer >= THREADS || h->seq >= RECORDS ||
		    h->len != record_len(h->seq) || off + h->len > st.st_size) {
			ret = -2;	/* a record split or torn */
			break;
		}
		for (i = sizeof(*h); i < h->len; i++)
			if ((unsigned char)buf[off + i] != want)
				break;
		if (i != h->len) {
			ret = -2;
			break;
		}
		seen[h->writer][h->seq]++;
		if (order && n < max)
			order[n] = h->seq;
		n++;
		off += h->len;
	}
	free(buf);
	return ret ? ret : (int)n;
}

TEST_F(append, appends_land_in_submission_order)
{
	unsigned char seen[THREADS][RECORDS] = { { 0 } };
	unsigned int order[RECORDS], i;
	struct acall_sqe sqes[RECORDS];
	struct acall_cqe cqes[RECORDS];
	struct iovec iov[RECORDS];

	for (i = 0; i < RECORDS; i++) {
		iov[i] = (struct iovec){ record(0, i, record_len(i)), record_len(i) };
		ASSERT_NE(NULL, iov[i].iov_base);
		acall_prep_pwritev(&sqes[i], self->fd, &iov[i], 1, 0, 0);
		acall_sqe_set_data(&sqes[i], i);
	}
	ASSERT_EQ(0, acall_run(&self->ring, sqes, RECORDS, cqes));
	for (i = 0; i < RECORDS; i++)
		EXPECT_EQ(record_len(cqes[i].user_data), cqes[i].res);

	ASSERT_EQ(RECORDS, walk(self->fd, seen, order, RECORDS));
	for (i = 0; i < RECORDS; i++) {
		EXPECT_EQ(1, seen[0][i]);
		EXPECT_EQ(i, order[i]) TH_LOG("record %u in place %u", order[i], i);
	}
	for (i = 0; i < RECORDS; i++)
		free(iov[i].iov_base);
}

struct appender {
	int fd;
	unsigned int writer;
	int failed;
};

/* One thread, its own context, PER_THREAD records in batches of 4. */
static void *append_records(void *arg)
{
	struct appender *a = arg;
	struct acall_options opts = { .entries = 8 };
	struct acall_ring ring;
	struct acall_sqe sqes[4];
	struct acall_cqe cqes[4];
	struct iovec iov[4];
	unsigned int seq, i;

	if (acall_ring_init(&ring, &opts)) {
		a->failed = 1;
		return NULL;
	}
	for (seq = 0; seq < PER_THREAD; seq += 4) {
		for (i = 0; i < 4; i++) {
			size_t len = record_len(seq + i);

			iov[i] = (struct iovec){ record(a->writer, seq + i, len), len };
			acall_prep_pwritev(&sqes[i], a->fd, &iov[i], 1, 0, 0);
			acall_sqe_set_data(&sqes[i], seq + i);
		}
		if (acall_run(&ring, sqes, 4, cqes))
			a->failed = 1;
		for (i = 0; i < 4; i++) {
			if (cqes[i].res != (int)record_len(cqes[i].user_data))
				a->failed = 1;
			free(iov[i].iov_base);
		}
	}
	acall_ring_exit(&ring);
	return NULL;
}

TEST_F(append, concurrent_appenders_records_whole_and_once)
{
	unsigned char seen[THREADS][RECORDS] = { { 0 } };
	struct appender a[THREADS];
	pthread_t t[THREADS];
	unsigned int i, j;

	for (i = 0; i < THREADS; i++) {
		a[i] = (struct appender){ .fd = self->fd, .writer = i };
		ASSERT_EQ(0, pthread_create(&t[i], NULL, append_records, &a[i]));
	}
	for (i = 0; i < THREADS; i++) {
		ASSERT_EQ(0, pthread_join(t[i], NULL));
		EXPECT_EQ(0, a[i].failed);
	}
	ASSERT_EQ(THREADS * PER_THREAD, walk(self->fd, seen, NULL, 0));
	for (i = 0; i < THREADS; i++)
		for (j = 0; j < PER_THREAD; j++)
			EXPECT_EQ(1, seen[i][j]) TH_LOG("writer %u record %u", i, j);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Appends (O_APPEND, RWF_APPEND) keep what pwritev2() gives them: each
 * record lands whole, never split by another appender's, and one thread's
 * appends land in the order it submitted them, on every kind of fd,
 * O_DIRECT included, from whichever NUMA node it submits; so do its
 * buffered writes over one another. A write goes as its fd's O_APPEND and
 * O_DIRECT were at SUBMIT, whatever fcntl() does while it waits.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "append_records.h"

#define PER_THREAD	24

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

/* The first CPU of NUMA node node, online, or -1 (no such node or CPU). */
static int first_cpu_of_node(int node)
{
	char path[64];
	FILE *f;
	int cpu;

	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d/cpulist",
		 node);
	f = fopen(path, "re");
	if (!f)
		return -1;
	if (fscanf(f, "%d", &cpu) != 1)
		cpu = -1;
	fclose(f);
	return cpu;
}

static int run_on(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return sched_setaffinity(0, sizeof(set), &set);
}

/*
 * One thread's appends, submitted from the CPUs of two NUMA nodes in
 * turn, land in the order it submitted them. Each node has a pool of
 * workers; the appends went to the submitting CPU's, and two pools ran
 * them side by side, each in its own order.
 */
TEST_F(append, appends_from_two_nodes_land_in_submission_order)
{
	unsigned char seen[THREADS][RECORDS] = { { 0 } };
	unsigned int order[RECORDS], i;
	struct acall_cqe cqes[RECORDS];
	struct iovec iov[RECORDS];
	int cpu[2] = { first_cpu_of_node(0), first_cpu_of_node(1) };
	cpu_set_t was;

	if (cpu[0] < 0 || cpu[1] < 0)
		SKIP(return, "one NUMA node (the test VM has two with --numa)");
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(was), &was));
	for (i = 0; i < RECORDS; i++) {
		struct acall_sqe sqe;

		iov[i] = (struct iovec){ record(0, i, record_len(i)), record_len(i) };
		ASSERT_NE(NULL, iov[i].iov_base);
		acall_prep_pwritev(&sqe, self->fd, &iov[i], 1, 0, 0);
		acall_sqe_set_data(&sqe, i);
		ASSERT_EQ(0, run_on(cpu[i % 2]));
		ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	}
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(was), &was));
	ASSERT_EQ(0, acall_reap(&self->ring, cqes, RECORDS));
	for (i = 0; i < RECORDS; i++)
		EXPECT_EQ(record_len(cqes[i].user_data), cqes[i].res);

	ASSERT_EQ(RECORDS, walk(self->fd, seen, order, RECORDS));
	for (i = 0; i < RECORDS; i++) {
		unsigned int place = i, seq = order[i];

		EXPECT_EQ(place, seq) TH_LOG("record %u in place %u", seq, place);
		free(iov[i].iov_base);
	}
}

/*
 * Buffered writes of one file run one at a time in the order they reached
 * their pool, and go to one pool from every node: eight blocks written
 * over and over in one batch from a CPU of node 0, then once more each in
 * a batch from node 1, hold node 1's writes. The writes went to the
 * submitting CPU's pool before: node 1's few, run at once by a pool of
 * their own, were overwritten by node 0's backlog.
 */
TEST_F(append, overwrites_from_two_nodes_land_in_submission_order)
{
	enum { BLOCKS = 8, ROUNDS = 16, LEN = 65536, N = BLOCKS * (ROUNDS + 1) };
	struct acall_sqe sqes[N];
	struct acall_cqe cqes[N];
	struct iovec iov[N];
	struct record_head h;
	int cpu[2] = { first_cpu_of_node(0), first_cpu_of_node(1) };
	unsigned int i;
	cpu_set_t was;
	int fd;

	if (cpu[0] < 0 || cpu[1] < 0)
		SKIP(return, "one NUMA node (the test VM has two with --numa)");
	/*
	 * Buffered, whatever the variant: O_DIRECT writes that do not append
	 * are async kiocbs, in no order.
	 */
	fd = acall_reopen(self->fd, O_RDWR);
	ASSERT_LE(0, fd);
	for (i = 0; i < N; i++) {
		iov[i] = (struct iovec){ record(0, i, LEN), LEN };
		ASSERT_NE(NULL, iov[i].iov_base);
		acall_prep_pwritev(&sqes[i], fd, &iov[i], 1,
				   (off_t)(i % BLOCKS) * LEN, 0);
		acall_sqe_set_data(&sqes[i], i);
	}
	ASSERT_EQ(0, sched_getaffinity(0, sizeof(was), &was));
	ASSERT_EQ(0, run_on(cpu[0]));
	ASSERT_EQ(N - BLOCKS, acall_submit(&self->ring, sqes, N - BLOCKS));
	ASSERT_EQ(0, run_on(cpu[1]));
	ASSERT_EQ(BLOCKS, acall_submit(&self->ring, sqes + N - BLOCKS, BLOCKS));
	ASSERT_EQ(0, sched_setaffinity(0, sizeof(was), &was));
	ASSERT_EQ(0, acall_reap(&self->ring, cqes, N));
	for (i = 0; i < N; i++)
		EXPECT_EQ(LEN, cqes[i].res);

	for (i = 0; i < BLOCKS; i++) {
		unsigned int last = N - BLOCKS + i;

		ASSERT_EQ(sizeof(h), pread(fd, &h, sizeof(h), (off_t)i * LEN));
		EXPECT_EQ(last, h.seq) TH_LOG("block %u holds write %u", i, h.seq);
	}
	for (i = 0; i < N; i++)
		free(iov[i].iov_base);
	close(fd);
}

/*
 * A write to ext4 waits for a worker (a buffered one: ext4 has none that
 * does not block; an append: it is one call there, whole), and the
 * context has no thread serving it until the test changes the file's
 * flags with fcntl(): the write goes as pwritev2() called at SUBMIT would
 * have sent it, to the end of the file for an fd that had O_APPEND, to its
 * offset for one that had not, through the page cache (its 100 bytes are
 * no direct write) for one without O_DIRECT.
 */
static void setfl_while_held(struct __test_metadata *_metadata,
			     const char *dir, int open_flags, int setfl_flags)
{
	struct acall_params p = { .entries = 4,
				  .flags = ACALL_SETUP_PROCESS_WORKERS };
	/* An O_DIRECT fd's aligned; else too short for any direct write. */
	size_t len = open_flags & O_DIRECT ? 4096 : 100, in_len = 4096 + len + 1;
	unsigned char *rec = NULL, *in = NULL;
	off_t size = 4096, at = 0;
	struct iovec iov;
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	struct acall_raw raw;
	int fd, rfd, dev;
	pthread_t t;

	fd = acall_tmpfile(dir, O_RDWR | open_flags);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, size, 1));
	ASSERT_EQ(0, posix_memalign((void **)&rec, 4096, len));
	ASSERT_EQ(0, posix_memalign((void **)&in, 4096, in_len));
	acall_fill(rec, len, 0, 2);
	iov = (struct iovec){ rec, len };
	/* Every request in the pool of this CPU's node: the one served. */
	ASSERT_EQ(0, acall_pin_to_this_cpu());
	dev = acall_open_device();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, acall_raw_setup_params(&raw, dev, &p));

	acall_prep_pwritev(&sqe, fd, &iov, 1, 0, 0);
	ASSERT_EQ(1, acall_raw_submit(dev, &sqe, 1));
	EXPECT_EQ(*raw.head, __atomic_load_n(raw.tail, __ATOMIC_ACQUIRE));
	ASSERT_EQ(0, fcntl(fd, F_SETFL, setfl_flags));
	ASSERT_EQ(0, pthread_create(&t, NULL, acall_raw_serve_thread, &dev));
	ASSERT_EQ(0, acall_raw_reap(&raw, &cqe));
	EXPECT_EQ((int)len, cqe.res);
	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, pthread_join(t, NULL));

	/* The write at the end (the file grew) or over its first bytes. */
	if (open_flags & O_APPEND) {
		at = size;
		size += len;
	}
	rfd = acall_reopen(fd, O_RDONLY);
	ASSERT_LE(0, rfd);
	ASSERT_EQ(size, pread(rfd, in, in_len, 0));
	EXPECT_EQ(-1, acall_check(in + at, len, 0, 2))
		TH_LOG("the write is not at %lld", (long long)at);
	if (at) {
		EXPECT_EQ(-1, acall_check(in, at, 0, 1));
	} else {
		EXPECT_EQ(-1, acall_check(in + len, size - len, len, 1));
	}
	acall_raw_unmap(&raw);
	close(dev);
	close(rfd);
	close(fd);
	free(rec);
	free(in);
}

TEST(append_held_when_o_append_is_cleared_lands_at_the_end)
{
	const char *dir;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	setfl_while_held(_metadata, dir, O_APPEND, 0);
}

TEST(write_held_when_o_append_is_set_lands_at_its_offset)
{
	const char *dir;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	setfl_while_held(_metadata, dir, 0, O_APPEND);
}

TEST(buffered_write_held_when_o_direct_is_set_stays_buffered)
{
	const char *dir;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	setfl_while_held(_metadata, dir, 0, O_DIRECT);
}

TEST(direct_append_held_when_o_append_is_cleared_lands_at_the_end)
{
	const char *dir;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	setfl_while_held(_metadata, dir, O_DIRECT | O_APPEND, O_DIRECT);
}

struct appender {
	int fd;
	unsigned int writer;
	int failed;
};

/*
 * A barrier with LINK holds its chain's next request twice, by the link
 * and by the barrier: an append that goes on from it lands ahead of the
 * appends submitted after it, which the barrier held too. The barrier's
 * completion let its queue go before it opened the link, and the next
 * request reached the pool last.
 */
TEST_F(append, linked_append_after_a_barrier_lands_in_its_place)
{
	unsigned char seen[THREADS][RECORDS] = { { 0 } };
	unsigned int order[4], i;
	struct acall_sqe sqes[5];
	struct acall_cqe cqes[5];
	struct iovec iov[4];

	acall_prep_nop(&sqes[0], 20 * 1000 * 1000);
	acall_sqe_set_ordered(&sqes[0]);
	acall_sqe_set_link(&sqes[0]);
	acall_sqe_set_data(&sqes[0], 4);
	for (i = 0; i < 4; i++) {
		iov[i] = (struct iovec){ record(0, i, record_len(i)), record_len(i) };
		ASSERT_NE(NULL, iov[i].iov_base);
		acall_prep_pwritev(&sqes[i + 1], self->fd, &iov[i], 1, 0, 0);
		acall_sqe_set_data(&sqes[i + 1], i);
	}
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 5, cqes));
	for (i = 0; i < 5; i++)
		EXPECT_EQ(cqes[i].user_data == 4 ? 0 : (int)record_len(cqes[i].user_data),
			  cqes[i].res);

	ASSERT_EQ(4, walk(self->fd, seen, order, 4));
	for (i = 0; i < 4; i++) {
		EXPECT_EQ(1, seen[0][i]);
		EXPECT_EQ(i, order[i]) TH_LOG("record %u in place %u", order[i], i);
	}
	for (i = 0; i < 4; i++)
		free(iov[i].iov_base);
}

/*
 * Appends a barrier held, more than one completion lets go at once (the
 * rest go from a work item), and one submitted as soon as the barrier's
 * completion is seen: the last lands last. It was admitted while the held
 * ones were still being let go, skipped them, and landed among them.
 * Round after round, as the window is a matter of timing.
 */
TEST_F(append, append_after_a_barrier_lands_after_those_it_held)
{
	const unsigned int held = RECORDS - 1, rounds = 20;
	unsigned int order[RECORDS], i, round, got;
	struct acall_sqe sqes[RECORDS];
	struct iovec iov[RECORDS];
	struct acall_cqe *cqe;

	for (i = 0; i < RECORDS; i++) {
		iov[i] = (struct iovec){ record(0, i, record_len(i)), record_len(i) };
		ASSERT_NE(NULL, iov[i].iov_base);
	}
	for (round = 0; round < rounds; round++) {
		unsigned char seen[THREADS][RECORDS] = { { 0 } };
		bool nop_seen = false;

		ASSERT_EQ(0, ftruncate(self->fd, 0));
		/* A barrier that takes a while, and appends behind it. */
		acall_prep_nop(&sqes[0], 20 * 1000 * 1000);
		acall_sqe_set_ordered(&sqes[0]);
		acall_sqe_set_data(&sqes[0], RECORDS);
		for (i = 0; i < held; i++) {
			acall_prep_pwritev(&sqes[i + 1], self->fd, &iov[i], 1, 0, 0);
			acall_sqe_set_data(&sqes[i + 1], i);
		}
		ASSERT_EQ(held + 1, acall_submit(&self->ring, sqes, held + 1));
		/* The barrier's completion, then at once the last append. */
		got = 0;
		while (!nop_seen) {
			ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
			if (cqe->user_data == RECORDS) {
				EXPECT_EQ(0, cqe->res);
				nop_seen = true;
			} else {
				EXPECT_EQ(record_len(cqe->user_data), cqe->res);
				got++;
			}
			acall_cq_advance(&self->ring, 1);
		}
		acall_prep_pwritev(&sqes[0], self->fd, &iov[held], 1, 0, 0);
		acall_sqe_set_data(&sqes[0], held);
		ASSERT_EQ(1, acall_submit(&self->ring, sqes, 1));
		while (got < RECORDS) {
			ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
			EXPECT_EQ(record_len(cqe->user_data), cqe->res);
			acall_cq_advance(&self->ring, 1);
			got++;
		}

		ASSERT_EQ(RECORDS, walk(self->fd, seen, order, RECORDS));
		for (i = 0; i < RECORDS; i++)
			ASSERT_EQ(1, seen[0][i]) TH_LOG("record %u", i);
		for (i = 0; i < RECORDS && order[i] == i; i++)
			;
		EXPECT_EQ(RECORDS, i)
			TH_LOG("round %u: record %u in place %u", round,
			       order[i < RECORDS ? i : 0], i);
		if (i != RECORDS)
			break;
	}
	for (i = 0; i < RECORDS; i++)
		free(iov[i].iov_base);
}

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

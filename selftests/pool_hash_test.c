// SPDX-License-Identifier: GPL-2.0
/*
 * One file's buffered writes run one at a time, on one worker, in the
 * order they came (io-wq's hashing); a long stream of them does not starve
 * other requests when that worker is the context's only one, and two
 * files' streams take turns with them; a burst of them calls for one
 * worker, not one each; and canceling some of them leaves the rest of the
 * file's run in order.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/vfs.h>

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

/*
 * A raw context of entries whose workers are threads of ours (none yet:
 * nothing runs until one serves), every request of this thread going to
 * one pool (its CPU's node's). Its fd, or -1 when the test is skipped:
 * tmpfs cannot try a buffered write without blocking, so every write to a
 * file of /tmp needs a worker; where it can (XFS, btrfs), none would be.
 */
static int one_pool_context(struct __test_metadata *_metadata,
			    struct acall_raw *r, __u32 entries)
{
	struct statfs fs;
	int dev;

	ASSERT_EQ(0, statfs("/tmp", &fs));
	if (fs.f_type != TMPFS_MAGIC)
		SKIP(return -1, "/tmp is not tmpfs");
	ASSERT_EQ(0, acall_pin_to_this_cpu());
	dev = acall_open_device();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, acall_raw_setup_flags(r, dev, entries,
					   ACALL_SETUP_PROCESS_WORKERS));
	return dev;
}

#define BURST	16

static void on_alarm(int sig)
{
	(void)sig;
}

/*
 * BURST buffered writes to one file in one SUBMIT (and, with_nop, a NOP
 * for a worker after them), before the context has a single thread: the
 * raw ABI's ACALL_IOC_SPAWN says how many threads the module asks for,
 * which no thread's timing can change. One file's writes run one at a time,
 * so they want one thread; the NOP, which is no write of that file, one
 * more. Then one thread of ours serves them all: every write lands, in
 * order.
 */
static void burst_to_one_file(struct __test_metadata *_metadata, bool with_nop)
{
	/* No SA_RESTART: the alarm ends a SPAWN that waits for good. */
	struct sigaction sa = { .sa_handler = on_alarm };
	struct acall_spawn sp = { 0 };
	struct acall_sqe sqes[BURST + 1];
	char buf[BURST][512], back[512];
	struct iovec iov[BURST];
	struct acall_raw r;
	struct acall_cqe cqe;
	int dev, fd, i, n = 0, writes_seen = 0, asked;
	pthread_t threads[BURST];
	void *served;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	/* The default bound on threads, min(entries, 4 per CPU), is above 2. */
	dev = one_pool_context(_metadata, &r, 32);
	if (dev < 0)
		return;
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);

	/* All at one offset: the last one submitted is what stays. */
	for (i = 0; i < BURST; i++) {
		memset(buf[i], 'a' + i, sizeof(buf[i]));
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
		acall_prep_pwritev(&sqes[n], fd, &iov[i], 1, 0, 0);
		acall_sqe_set_data(&sqes[n++], i);
	}
	if (with_nop) {
		acall_prep_nop(&sqes[n], 1);	/* a worker's job */
		acall_sqe_set_data(&sqes[n++], NOP_ID);
	}
	ASSERT_EQ(n, acall_raw_submit(dev, sqes, n));

	/* Were none asked for, SPAWN would sleep: fail instead (EINTR). */
	ASSERT_EQ(0, sigaction(SIGALRM, &sa, NULL));
	alarm(30);
	asked = ioctl(dev, ACALL_IOC_SPAWN, &sp);
	alarm(0);
	EXPECT_EQ(with_nop ? 2 : 1, asked)
		TH_LOG("threads asked for a burst of %d writes to one file%s",
		       BURST, with_nop ? " and a NOP" : "");
	ASSERT_LT(0, asked);
	ASSERT_GE(BURST, asked);

	/* As many as asked for, as a spawner would. */
	for (i = 0; i < asked; i++)
		ASSERT_EQ(0, pthread_create(&threads[i], NULL, acall_raw_serve_thread, &dev));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
		if (cqe.user_data == NOP_ID) {
			EXPECT_EQ(0, cqe.res);
			continue;
		}
		EXPECT_EQ(sizeof(buf[0]), cqe.res);
		EXPECT_EQ(writes_seen, cqe.user_data);
		writes_seen++;
	}
	EXPECT_EQ(BURST, writes_seen);
	ASSERT_EQ(sizeof(back), pread(fd, back, sizeof(back), 0));
	EXPECT_EQ(0, memcmp(back, buf[BURST - 1], sizeof(back)));

	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_SHUTDOWN, 0));
	for (i = 0; i < asked; i++) {
		ASSERT_EQ(0, pthread_join(threads[i], &served));
		EXPECT_EQ(0, (long)served);
	}
	acall_raw_unmap(&r);
	close(fd);
	close(dev);
}

TEST(burst_to_one_file_asks_for_one_thread)
{
	burst_to_one_file(_metadata, false);
}

TEST(burst_and_other_work_asks_for_two_threads)
{
	burst_to_one_file(_metadata, true);
}

#define STREAM	40
#define FILES	3

/*
 * Three files' writes, STREAM each, interleaved, then a NOP, all queued
 * before the context has a thread; one thread then serves them. The NOP
 * runs while every file still has writes waiting: once the worker takes a
 * file's write, the rest of that file's go behind what was queued
 * meanwhile, so the files take turns with the NOP rather than hold the
 * front of the pool until they are done (which, with writes that keep
 * coming, would be for ever). Each file's writes still run in order.
 * (Three files: two files may share a bucket, and then one stream of
 * writes is all the NOP waits behind, either way.)
 */
TEST(files_writes_take_turns_with_the_rest)
{
	struct acall_sqe sqes[FILES * STREAM + 1];
	int dev, fd[FILES], i, f, n = 0, left[FILES], last[FILES];
	int left_at_nop[FILES], fewest = STREAM, before_nop = 0;
	char buf[512];
	struct iovec iov = { buf, sizeof(buf) };
	struct acall_raw r;
	struct acall_cqe cqe;
	pthread_t thread;
	void *served;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	dev = one_pool_context(_metadata, &r, 256);
	if (dev < 0)
		return;
	memset(buf, 't', sizeof(buf));
	for (f = 0; f < FILES; f++) {
		fd[f] = acall_tmpfile("/tmp", O_RDWR);
		ASSERT_LE(0, fd[f]);
		left[f] = STREAM;
		last[f] = -1;
		left_at_nop[f] = -1;
	}
	for (i = 0; i < STREAM; i++) {
		for (f = 0; f < FILES; f++) {
			acall_prep_pwritev(&sqes[n], fd[f], &iov, 1,
					   (__u64)i * sizeof(buf), 0);
			acall_sqe_set_data(&sqes[n++], f * 100 + i);
		}
	}
	acall_prep_nop(&sqes[n], 1);	/* a worker's job */
	acall_sqe_set_data(&sqes[n++], NOP_ID);
	ASSERT_EQ(n, acall_raw_submit(dev, sqes, n));

	ASSERT_EQ(0, pthread_create(&thread, NULL, acall_raw_serve_thread, &dev));
	for (i = 0; i < n; i++) {
		ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
		if (cqe.user_data == NOP_ID) {
			EXPECT_EQ(0, cqe.res);
			memcpy(left_at_nop, left, sizeof(left));
			continue;
		}
		f = cqe.user_data / 100;
		ASSERT_GT(FILES, f);
		EXPECT_EQ(sizeof(buf), cqe.res);
		/* One file's writes in the order they came. */
		EXPECT_LT(last[f], (int)(cqe.user_data % 100));
		last[f] = cqe.user_data % 100;
		left[f]--;
	}
	for (f = 0; f < FILES; f++) {
		fewest = left_at_nop[f] < fewest ? left_at_nop[f] : fewest;
		before_nop += STREAM - left_at_nop[f];
	}
	EXPECT_LT(0, fewest)
		TH_LOG("a file had %d writes waiting when the NOP ran", fewest);
	/* Behind the first file's streak of 16 at least: it did wait. */
	EXPECT_LE(16, before_nop);

	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, pthread_join(thread, &served));
	EXPECT_EQ(0, (long)served);
	acall_raw_unmap(&r);
	for (f = 0; f < FILES; f++)
		close(fd[f]);
	close(dev);
}

#define PER_FILE	8

/*
 * Two files' writes, interleaved, queued before the context has a thread;
 * the first, a middle and the last of one file's are canceled, and all of
 * the other's; then more writes to the first file are queued, which must
 * join its run after what is left of it (its bucket's ends moved past what
 * left). One thread then serves: the first file's writes land in order,
 * the later ones included, and nothing canceled runs.
 */
TEST(cancels_inside_one_files_run_keep_the_rest_in_order)
{
	static const int canceled_a[] = { 0, 3, PER_FILE - 1 };
	struct acall_sqe sqes[2 * PER_FILE];
	char buf[PER_FILE + 4][512], back[512], zero[512] = { 0 };
	struct iovec iov[PER_FILE + 4];
	int dev, fd[2], i, f, n = 0, last_a = -1;
	bool canceled[2][PER_FILE] = { { false } };
	struct acall_raw r;
	struct acall_cqe cqe;
	pthread_t thread;
	void *served;
	__u64 ud;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	dev = one_pool_context(_metadata, &r, 64);
	if (dev < 0)
		return;
	for (f = 0; f < 2; f++) {
		fd[f] = acall_tmpfile("/tmp", O_RDWR);
		ASSERT_LE(0, fd[f]);
	}
	for (i = 0; i < PER_FILE + 4; i++) {
		memset(buf[i], 'a' + i, sizeof(buf[i]));
		iov[i] = (struct iovec){ buf[i], sizeof(buf[i]) };
	}
	for (i = 0; i < PER_FILE; i++) {
		for (f = 0; f < 2; f++) {
			acall_prep_pwritev(&sqes[n], fd[f], &iov[i], 1,
					   (__u64)i * sizeof(buf[i]), 0);
			acall_sqe_set_data(&sqes[n++], f * 100 + i);
		}
	}
	ASSERT_EQ(n, acall_raw_submit(dev, sqes, n));

	for (i = 0; i < 3; i++) {
		ud = canceled_a[i];
		EXPECT_EQ(1, ioctl(dev, ACALL_IOC_CANCEL, &ud));
		canceled[0][ud] = true;
	}
	for (i = 0; i < PER_FILE; i++) {
		ud = 100 + i;
		EXPECT_EQ(1, ioctl(dev, ACALL_IOC_CANCEL, &ud));
		canceled[1][i] = true;
	}

	/* The first file's run takes new writes after what is left of it. */
	for (i = PER_FILE; i < PER_FILE + 4; i++) {
		acall_prep_pwritev(&sqes[i - PER_FILE], fd[0], &iov[i], 1,
				   (__u64)i * sizeof(buf[i]), 0);
		acall_sqe_set_data(&sqes[i - PER_FILE], i);
	}
	ASSERT_EQ(4, acall_raw_submit(dev, sqes, 4));

	ASSERT_EQ(0, pthread_create(&thread, NULL, acall_raw_serve_thread, &dev));
	for (n = 0; n < 2 * PER_FILE + 4; n++) {
		ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
		f = cqe.user_data / 100;
		i = cqe.user_data % 100;
		ASSERT_GT(2, f);
		ASSERT_GT(PER_FILE + 4, i);
		if (i < PER_FILE && canceled[f][i]) {
			EXPECT_EQ(-ECANCELED, cqe.res);
			continue;
		}
		EXPECT_EQ(sizeof(buf[i]), cqe.res);
		EXPECT_LT(last_a, i);
		last_a = i;
	}
	EXPECT_EQ(PER_FILE + 3, last_a);

	for (i = 0; i < PER_FILE + 4; i++) {
		bool hole = i < PER_FILE && canceled[0][i];

		ASSERT_EQ(sizeof(back), pread(fd[0], back, sizeof(back),
					      (off_t)i * sizeof(back)));
		EXPECT_EQ(0, memcmp(back, hole ? zero : buf[i], sizeof(back)))
			TH_LOG("offset %d of the first file", i * 512);
	}
	EXPECT_EQ(0, pread(fd[1], back, sizeof(back), 0));

	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, pthread_join(thread, &served));
	EXPECT_EQ(0, (long)served);
	acall_raw_unmap(&r);
	close(fd[0]);
	close(fd[1]);
	close(dev);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * RLIMIT_FSIZE is the submitter's on every path a write can take: tried in
 * the submitter (inline, or an async O_DIRECT kiocb), run by a worker, or
 * released later by a link or a barrier and then tried by a worker. A
 * write at or beyond the limit completes with -EFBIG and no path sends
 * SIGXFSZ (Documentation/acall.rst, "Requests"), not even to a thread that
 * a program on the raw ABI gave the context with its signals unblocked.
 */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define LIMIT	65536
#define SLOW_NS	(20 * 1000 * 1000)
/* A barrier's NOP, submitted a call before what it holds back. */
#define BARRIER_NS	(200 * 1000 * 1000)

static volatile sig_atomic_t sigxfsz_seen;

static void on_sigxfsz(int sig)
{
	(void)sig;
	sigxfsz_seen++;
}

FIXTURE(fsize) {
	struct acall_ring ring;
	const char *dir;
	int fd;
	char *buf;
};

FIXTURE_VARIANT(fsize) {
	const char *env;
	const char *dir;
	int flags;		/* reopened with these */
};

/* tmpfs and buffered ext4 writes go to a worker; O_DIRECT is a kiocb. */
FIXTURE_VARIANT_ADD(fsize, tmpfs) { .dir = "/tmp" };
FIXTURE_VARIANT_ADD(fsize, ext4) { .env = "ACALL_TEST_EXT4" };
FIXTURE_VARIANT_ADD(fsize, ext4_direct) {
	.env = "ACALL_TEST_EXT4", .flags = O_DIRECT,
};
/* Buffered writes that can be tried without waiting. */
FIXTURE_VARIANT_ADD(fsize, xfs) { .env = "ACALL_TEST_XFS" };

FIXTURE_SETUP(fsize)
{
	struct rlimit lim = { .rlim_cur = LIMIT, .rlim_max = RLIM_INFINITY };
	struct sigaction sa = { .sa_handler = on_sigxfsz };

	self->buf = NULL;
	ACALL_FILE_FIXTURE_SETUP(0);
	if (variant->flags) {
		int fd = acall_reopen(self->fd, O_RDWR | variant->flags);

		ASSERT_LE(0, fd);
		close(self->fd);
		self->fd = fd;
	}
	self->buf = aligned_alloc(4096, 4096);
	ASSERT_NE(NULL, self->buf);
	memset(self->buf, 'x', 4096);
	ASSERT_EQ(0, sigaction(SIGXFSZ, &sa, NULL));
	sigxfsz_seen = 0;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
}

FIXTURE_TEARDOWN(fsize)
{
	free(self->buf);
	ACALL_FILE_FIXTURE_TEARDOWN();
}

static off_t file_size(int fd)
{
	struct stat st;

	return fstat(fd, &st) ? -1 : st.st_size;
}

/*
 * Threads of ours with SIGXFSZ pending (SigPnd: sent to the thread alone),
 * blocked or not: a worker thread that blocks every signal would keep one
 * there unseen. -1 if /proc cannot say.
 */
static int threads_with_sigxfsz(void)
{
	struct dirent *d;
	int n = 0;
	DIR *dir;

	dir = opendir("/proc/self/task");
	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		/* A thread gone meanwhile has no line. */
		if (acall_task_sig_in(atoi(d->d_name), "SigPnd:", SIGXFSZ) == 1)
			n++;
	}
	closedir(dir);
	return n;
}

/* Submitted on its own: the submitter tries it first. */
TEST_F(fsize, beyond_the_limit_is_efbig_without_sigxfsz)
{
	struct iovec iov = { self->buf, 4096 };
	struct acall_sqe sqe;

	acall_prep_pwritev(&sqe, self->fd, &iov, 1, LIMIT, 0);
	EXPECT_EQ(-EFBIG, acall_run1(&self->ring, &sqe));
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, 4 * LIMIT, 0);
	EXPECT_EQ(-EFBIG, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(0, file_size(self->fd));
	EXPECT_EQ(0, sigxfsz_seen);
	/* Nor left pending on a worker thread, which blocks it. */
	EXPECT_EQ(0, threads_with_sigxfsz());

	/* Below it, the same write goes through. */
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, LIMIT - 4096, 0);
	EXPECT_EQ(4096, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(LIMIT, file_size(self->fd));
}

/*
 * Released by a link from a worker's NOP: the write's first try happens
 * in a worker, which must still hold the submitter's limit.
 */
TEST_F(fsize, write_released_by_a_link_obeys_the_limit)
{
	struct iovec iov = { self->buf, 4096 };
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];

	acall_prep_nop(&sqes[0], SLOW_NS);
	acall_sqe_set_link(&sqes[0]);
	acall_sqe_set_data(&sqes[0], 1);
	acall_prep_pwritev(&sqes[1], self->fd, &iov, 1, 2 * LIMIT, 0);
	acall_sqe_set_data(&sqes[1], 2);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	EXPECT_EQ(1, cqes[0].user_data);
	EXPECT_EQ(0, cqes[0].res);
	EXPECT_EQ(2, cqes[1].user_data);
	EXPECT_EQ(-EFBIG, cqes[1].res);
	EXPECT_EQ(0, file_size(self->fd));
	EXPECT_EQ(0, sigxfsz_seen);
	EXPECT_EQ(0, threads_with_sigxfsz());
}

/* A context to run requests on: libacall's, or one on the raw ABI. */
struct runner {
	struct acall_ring *ring;
	struct acall_raw *raw;		/* kernel-thread workers */
};

static int runner_fd(struct runner *r)
{
	return r->ring ? r->ring->fd : r->raw->fd;
}

/* Submit sqes[0..nr), all of them. 0 or -errno. */
static int runner_submit(struct runner *r, struct acall_sqe *sqes,
			 unsigned int nr)
{
	int ret = r->ring ? acall_submit(r->ring, sqes, nr) :
			    acall_raw_submit(r->raw->fd, sqes, nr);

	return ret == (int)nr ? 0 : ret < 0 ? ret : -EPROTO;
}

/* Reap nr completions into cqes, in completion order. 0 or -errno. */
static int runner_reap(struct runner *r, struct acall_cqe *cqes,
		       unsigned int nr)
{
	unsigned int i;
	int ret;

	if (r->ring)
		return acall_reap(r->ring, cqes, nr);
	for (i = 0; i < nr; i++) {
		ret = acall_raw_reap(r->raw, &cqes[i]);
		if (ret)
			return ret;
	}
	return 0;
}

/* Requests a worker took after a barrier or a link released them. */
static long long released(struct runner *r)
{
	struct acall_punts p;

	if (ioctl(runner_fd(r), ACALL_IOC_PUNTS, &p))
		return -errno;
	return p.reason[ACALL_PUNT_RELEASED];
}

static int set_fsize(rlim_t cur)
{
	struct rlimit lim = { .rlim_cur = cur, .rlim_max = RLIM_INFINITY };

	return setrlimit(RLIMIT_FSIZE, &lim) ? -errno : 0;
}

/*
 * An RWF_NOWAIT write of buf over block i of fd, submitted under the limit
 * cur, for each path a write can first be tried on: i = 0 alone, by the
 * submitter; 1 after a LINK from a worker's NOP, and 2 behind a barrier
 * (ORDERED) after one, by a worker. That NOP is submitted without a
 * limit, so that a kernel-thread worker that ran it does not hold the
 * write's (identity.c leaves a request's limit on the thread). Their
 * results go to res[i]. 0, or -errno of the machinery (-EPROTO: a write
 * came before its NOP, or took another path).
 */
static int nowait_overwrites(struct runner *r, int fd, char *buf, rlim_t cur,
			     int res[3])
{
	struct iovec iov = { buf, 4096 };
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];
	long long before;
	unsigned int i;
	int ret;

	for (i = 0; i < 3; i++) {
		/*
		 * A file without RWF_NOWAIT (or, buffered, without writes
		 * that cannot block: ext4) refuses it on any path.
		 */
		if (i && res[0] == -EOPNOTSUPP) {
			res[i] = res[0];
			continue;
		}
		before = released(r);
		if (before < 0)
			return before;
		/* The barrier's NOP is submitted apart: it must last. */
		acall_prep_nop(&sqes[0], i == 2 ? BARRIER_NS : SLOW_NS);
		acall_sqe_set_data(&sqes[0], 1);
		acall_prep_pwritev(&sqes[1], fd, &iov, 1, i * 4096, RWF_NOWAIT);
		acall_sqe_set_data(&sqes[1], 2);
		if (i == 1)
			acall_sqe_set_link(&sqes[0]);
		if (i == 2) {
			acall_sqe_set_ordered(&sqes[1]);
			ret = set_fsize(RLIM_INFINITY);
			if (!ret)
				ret = runner_submit(r, &sqes[0], 1);
			if (ret)
				return ret;
		}
		ret = set_fsize(cur);
		if (!ret)
			ret = i == 1 ? runner_submit(r, sqes, 2) :
				       runner_submit(r, &sqes[1], 1);
		if (!ret)
			ret = i ? runner_reap(r, cqes, 2) :
				  runner_reap(r, &cqes[1], 1);
		if (ret)
			return ret;
		/* The write last, after the NOP it waited for, released. */
		if (cqes[1].user_data != 2 ||
		    (i && (cqes[0].user_data != 1 || cqes[0].res)) ||
		    released(r) != before + !!i)
			return -EPROTO;
		res[i] = cqes[1].res;
	}
	return 0;
}

/*
 * RWF_NOWAIT may not wait for a worker: under a finite limit a write with
 * it is refused with -EAGAIN (Documentation/acall.rst, "Errors"), below
 * the limit too, on every path it can first be tried on, with either kind
 * of worker (libacall's are the process's threads, the raw ABI's without
 * ACALL_SETUP_PROCESS_WORKERS kernel threads). The writes overwrite
 * blocks already written; without the limit each must go through, or the
 * file cannot take them without waiting and the variant shows nothing:
 * tmpfs without RWF_NOWAIT, buffered ext4, and XFS, which after the NOP
 * has a timestamp to update (kiocb_modified()). O_DIRECT on ext4 is the
 * one that can.
 */
TEST_F(fsize, nowait_write_under_a_limit_is_eagain_on_every_path)
{
	struct runner runners[2] = { { .ring = &self->ring } };
	struct acall_raw raw;
	int res[3], i, k, dev;

	ACALL_REQUIRE(ACALL_FEAT_ORDERING | ACALL_FEAT_PUNTS);
	dev = acall_open_device();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, acall_raw_setup(&raw, dev, 8));
	runners[1].raw = &raw;
	ASSERT_EQ(0, set_fsize(RLIM_INFINITY));
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(4096, pwrite(self->fd, self->buf, 4096, i * 4096));
	}
	ASSERT_EQ(0, fsync(self->fd));

	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, nowait_overwrites(&runners[k], self->fd, self->buf,
					       RLIM_INFINITY, res))
			TH_LOG("runner %d", k);
		for (i = 0; i < 3; i++) {
			/* Only tmpfs may lack it: on ext4, XFS a failure. */
			if (res[i] == -EOPNOTSUPP && variant->dir)
				SKIP(goto out, "tmpfs without RWF_NOWAIT");
			/* Buffered: ext4 has none, XFS a timestamp to update. */
			if ((res[i] == -EAGAIN || res[i] == -EOPNOTSUPP) &&
			    !(variant->flags & O_DIRECT))
				SKIP(goto out, "no write without waiting");
			ASSERT_EQ(4096, res[i])
				TH_LOG("runner %d path %d", k, i);
		}
	}

	memset(self->buf, 'y', 4096);
	for (k = 0; k < 2; k++) {
		ASSERT_EQ(0, nowait_overwrites(&runners[k], self->fd, self->buf,
					       LIMIT, res))
			TH_LOG("runner %d", k);
		for (i = 0; i < 3; i++) {
			EXPECT_EQ(-EAGAIN, res[i])
				TH_LOG("runner %d path %d", k, i);
		}
	}

	/* None wrote: every block is as it was. */
	for (i = 0; i < 3; i++) {
		ASSERT_EQ(4096, pread(self->fd, self->buf, 4096, i * 4096));
		EXPECT_EQ('x', self->buf[0]);
		EXPECT_EQ('x', self->buf[4095]);
	}
	EXPECT_EQ(3 * 4096, file_size(self->fd));
	EXPECT_EQ(0, sigxfsz_seen);
	EXPECT_EQ(0, threads_with_sigxfsz());
out:
	acall_raw_unmap(&raw);
	close(dev);
}

/*
 * Released by a barrier: a NOP submitted without a limit runs in a worker,
 * then an ORDERED write submitted with one is released behind it and first
 * tried by a worker, perhaps the one that ran the NOP. The write would
 * overwrite data already there, so that even O_DIRECT on ext4 can start it
 * without blocking: only the limit can stop it.
 */
TEST_F(fsize, write_released_by_a_barrier_obeys_the_limit)
{
	struct rlimit lim = { .rlim_cur = RLIM_INFINITY, .rlim_max = RLIM_INFINITY };
	struct iovec iov = { self->buf, 4096 };
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	int i;

	ACALL_REQUIRE(ACALL_FEAT_ORDERING);
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	memset(self->buf, 'y', 4096);
	ASSERT_EQ(4096, pwrite(self->fd, self->buf, 4096, 2 * LIMIT));
	ASSERT_EQ(0, fsync(self->fd));
	memset(self->buf, 'x', 4096);
	acall_prep_nop(&sqe, SLOW_NS);
	acall_sqe_set_data(&sqe, 1);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));

	lim.rlim_cur = LIMIT;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, 2 * LIMIT, 0);
	acall_sqe_set_ordered(&sqe);
	acall_sqe_set_data(&sqe, 2);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));

	for (i = 1; i <= 2; i++) {
		ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
		EXPECT_EQ(i, cqe->user_data);
		EXPECT_EQ(i == 1 ? 0 : -EFBIG, cqe->res);
		acall_cq_advance(&self->ring, 1);
	}
	EXPECT_EQ(2 * LIMIT + 4096, file_size(self->fd));
	ASSERT_EQ(4096, pread(self->fd, self->buf, 4096, 2 * LIMIT));
	EXPECT_EQ('y', self->buf[0]);
	EXPECT_EQ('y', self->buf[4095]);
	EXPECT_EQ(0, sigxfsz_seen);
	EXPECT_EQ(0, threads_with_sigxfsz());
}

/*
 * A thread of ours, SIGXFSZ unblocked whatever the runner's mask, serving
 * the context until it ends. Returns 0, -1 if SERVE failed, -2 if it came
 * back with SIGXFSZ blocked or pending.
 */
static void *serve(void *arg)
{
	int fd = *(int *)arg;
	sigset_t xfsz, now;

	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	if (pthread_sigmask(SIG_UNBLOCK, &xfsz, NULL))
		return (void *)-1L;
	if (acall_raw_serve(fd))
		return (void *)-1L;
	if (pthread_sigmask(SIG_BLOCK, NULL, &now) || sigismember(&now, SIGXFSZ))
		return (void *)-2L;
	if (sigpending(&now) || sigismember(&now, SIGXFSZ))
		return (void *)-2L;
	return NULL;
}

/*
 * The raw ABI, its workers our own threads (ACALL_SETUP_PROCESS_WORKERS)
 * with SIGXFSZ unblocked: the write beyond the limit runs in one of them,
 * which must not receive SIGXFSZ either, and gets its mask back. Without
 * a spawner, the thread we give after submitting takes the pool's request
 * for a thread: the only worker. Its signals reach the handler whenever it
 * returns to userspace, at the latest when it leaves for good: the count
 * is read after that.
 */
TEST(raw_abi_serving_thread_gets_no_sigxfsz)
{
	struct rlimit lim = { .rlim_cur = LIMIT, .rlim_max = RLIM_INFINITY };
	struct sigaction sa = { .sa_handler = on_sigxfsz };
	struct acall_raw r;
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	struct iovec iov;
	pthread_t thread;
	void *served;
	char *buf;
	int dev, fd;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	dev = acall_open_device();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, acall_raw_setup_flags(&r, dev, 8,
					   ACALL_SETUP_PROCESS_WORKERS));
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);
	buf = calloc(1, 4096);
	ASSERT_NE(NULL, buf);
	iov = (struct iovec){ buf, 4096 };
	ASSERT_EQ(0, sigaction(SIGXFSZ, &sa, NULL));
	sigxfsz_seen = 0;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));

	acall_prep_pwritev(&sqe, fd, &iov, 1, LIMIT, 0);
	acall_sqe_set_data(&sqe, 5);
	ASSERT_EQ(1, acall_raw_submit(dev, &sqe, 1));
	ASSERT_EQ(0, pthread_create(&thread, NULL, serve, &dev));
	ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
	EXPECT_EQ(5, cqe.user_data);
	EXPECT_EQ(-EFBIG, cqe.res);
	EXPECT_EQ(0, file_size(fd));

	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, pthread_join(thread, &served));
	EXPECT_EQ(0, (long)served);
	EXPECT_EQ(0, sigxfsz_seen);
	acall_raw_unmap(&r);
	close(fd);
	close(dev);
	free(buf);
}

TEST_HARNESS_MAIN

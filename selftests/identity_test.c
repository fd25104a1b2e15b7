// SPDX-License-Identifier: GPL-2.0
/*
 * Workers act with the identity of each request's submitter, taken at
 * submission: not the identity of whoever set the context up.
 *
 * Access to a file is decided when it is opened, by the fd's mode, and
 * requests name open fds: no request can reach a file its submitter could
 * not open, whoever runs it. What a worker's own identity still decides
 * while it does the I/O, and what these tests look at:
 *  - credentials: a write by a caller without CAP_FSETID clears the file's
 *    set-user-ID bit, one by root keeps it (the kernel asks capable() of
 *    the thread doing the write, so a worker with kernel-thread credentials
 *    would keep it);
 *  - RLIMIT_FSIZE: the submitter's, taken at each submission (a kernel
 *    thread's own limit is infinite);
 *  - the io_context: shared, so an I/O priority the submitter sets on
 *    itself is the workers' too, even for workers that already exist.
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/ioprio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define NOBODY 65534

static int ioprio_get_tid(pid_t tid)
{
	return syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, tid);
}

/* Wait (bounded poll) for up to max workers of ours to exist. */
static int find_workers(pid_t *tids, int max)
{
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	int i, n = 0;

	for (i = 0; i < 400 && n <= 0; i++) {
		n = acall_workers_of(getpid(), tids, max);
		if (n <= 0)
			nanosleep(&tick, NULL);
	}
	return n < max ? n : max;
}

TEST(worker_shares_submitters_ioprio)
{
	const int want = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 6);
	struct acall_ring ring;
	struct acall_sqe sqes[2];
	struct acall_cqe *cqe;
	pid_t tids[8];
	int i, n;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	/*
	 * Two delayed NOPs, completed: workers that ran them exist before
	 * the priority changes (idle, for worker_idle_ms).
	 */
	acall_prep_nop(&sqes[0], 100ULL * 1000 * 1000);
	acall_prep_nop(&sqes[1], 100ULL * 1000 * 1000);
	ASSERT_EQ(2, acall_submit(&ring, sqes, 2));
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		EXPECT_EQ(0, cqe->res);
		acall_cq_advance(&ring, 1);
	}
	n = find_workers(tids, 8);
	ASSERT_LE(1, n) TH_LOG("no worker thread acall/%d:<n> appeared", getpid());
	for (i = 0; i < n; i++)
		ASSERT_NE(want, ioprio_get_tid(tids[i]))
			TH_LOG("worker %d already has the priority to be set", tids[i]);

	ASSERT_EQ(0, syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, want));
	ASSERT_EQ(want, ioprio_get_tid(0));
	for (i = 0; i < n; i++)
		EXPECT_EQ(want, ioprio_get_tid(tids[i]))
			TH_LOG("worker %d does not share our io_context", tids[i]);
	acall_ring_exit(&ring);
}

FIXTURE(fsize) {
	struct acall_ring ring;
	const char *dir;
	char buf[8192];
	int fd;
};

FIXTURE_VARIANT(fsize) {
	const char *env;
	const char *dir;
};

FIXTURE_VARIANT_ADD(fsize, tmpfs) { .dir = "/tmp" };
FIXTURE_VARIANT_ADD(fsize, ext4) { .env = "ACALL_TEST_EXT4" };

FIXTURE_SETUP(fsize)
{
	ACALL_FILE_FIXTURE_SETUP(0);
	ASSERT_NE(SIG_ERR, signal(SIGXFSZ, SIG_IGN));
}

FIXTURE_TEARDOWN(fsize)
{
	ACALL_FILE_FIXTURE_TEARDOWN();
}

static int write_at(FIXTURE_DATA(fsize) *self, __u64 off, size_t len)
{
	struct iovec iov = { self->buf, len };
	struct acall_sqe sqe;

	acall_fill(self->buf, len, off, 5);
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, off, 0);
	return acall_run1(&self->ring, &sqe);
}

TEST_F(fsize, write_beyond_rlimit_fsize_is_efbig)
{
	struct rlimit lim = { .rlim_cur = 65536, .rlim_max = RLIM_INFINITY };
	struct stat st;

	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	/* Wholly beyond the limit. */
	EXPECT_EQ(-EFBIG, write_at(self, 65536, 4096));
	EXPECT_EQ(-EFBIG, write_at(self, 1 << 20, 10));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(0, st.st_size);
	/* Across it: short, up to the limit. */
	EXPECT_EQ(4096, write_at(self, 61440, 8192));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(65536, st.st_size);
	/* Below it: whole. */
	EXPECT_EQ(100, write_at(self, 1000, 100));

	/* The limit is read at each submission: raised, the write passes. */
	lim.rlim_cur = RLIM_INFINITY;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	EXPECT_EQ(4096, write_at(self, 65536, 4096));
	ASSERT_EQ(0, fstat(self->fd, &st));
	EXPECT_EQ(65536 + 4096, st.st_size);
	/* And lowered again, it bites again. */
	lim.rlim_cur = 4096;
	ASSERT_EQ(0, setrlimit(RLIMIT_FSIZE, &lim));
	EXPECT_EQ(-EFBIG, write_at(self, 8192, 10));
}

/*
 * Who writes: root throughout, or nobody from before or after setup, or
 * from after a first request of root's went to a worker.
 */
enum drop { STAY_ROOT, DROP_BEFORE_SETUP, DROP_AFTER_SETUP, DROP_AFTER_ROOT_REQUEST };

static int drop_to_nobody(void)
{
	if (setresgid(NOBODY, NOBODY, NOBODY) ||
	    setresuid(NOBODY, NOBODY, NOBODY))
		return -errno;
	return 0;
}

/*
 * Write 10 bytes to a set-user-ID file through a context of a process that
 * opened the file and the device as root and perhaps dropped to uid/gid
 * 65534 (nobody), before or after setting the context up; linked: the
 * write waits behind a NOP in a worker, so that it is released from the
 * NOP's completion rather than started by the submitter. Returns the
 * file's mode afterwards, or a negative errno.
 */
static int write_setuid_file(struct __test_metadata *_metadata, const char *dir,
			     enum drop drop, bool linked)
{
	struct acall_raw raw;
	struct acall_sqe sqes[2];
	struct acall_cqe cqe;
	char data[10] = "0123456789";
	struct iovec iov = { data, sizeof(data) };
	struct stat st;
	int fd, dev, ret, n = 0, i;

	fd = acall_tmpfile(dir, O_RDWR);
	if (fd < 0)
		return fd;
	if (fchmod(fd, S_ISUID | 0777) || fstat(fd, &st))
		return -errno;
	if (!(st.st_mode & S_ISUID))
		return -ENOTSUP;
	dev = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);	/* mode 0600: root */
	if (dev < 0)
		return -errno;
	if (drop == DROP_BEFORE_SETUP && (ret = drop_to_nobody()))
		return ret;
	ret = acall_raw_setup(&raw, dev, 8);
	if (ret)
		return ret;
	if (drop == DROP_AFTER_SETUP && (ret = drop_to_nobody()))
		return ret;
	if (drop == DROP_AFTER_ROOT_REQUEST) {
		/* A delayed NOP runs in a worker: it took root's credentials. */
		acall_prep_nop(&sqes[0], 1000 * 1000);
		ret = acall_raw_submit(dev, sqes, 1);
		if (ret != 1)
			return ret < 0 ? ret : -EPROTO;
		ret = acall_raw_reap(&raw, &cqe);
		if (ret)
			return ret;
		if (cqe.res)
			return cqe.res;
		ret = drop_to_nobody();
		if (ret)
			return ret;
	}
	if (linked) {
		acall_prep_nop(&sqes[n], 10 * 1000 * 1000);
		acall_sqe_set_link(&sqes[n++]);
	}
	acall_prep_pwritev(&sqes[n++], fd, &iov, 1, 0, 0);
	ret = acall_raw_submit(dev, sqes, n);
	if (ret != n)
		return ret < 0 ? ret : -EPROTO;
	for (i = 0; i < n; i++) {
		ret = acall_raw_reap(&raw, &cqe);
		if (ret)
			return ret;
	}
	/* The last completion is the write's: a chain completes in order. */
	if (cqe.res != sizeof(data))
		return cqe.res < 0 ? cqe.res : -EIO;
	if (fstat(fd, &st))
		return -errno;
	acall_raw_unmap(&raw);
	close(dev);
	close(fd);
	return st.st_mode & 07777;
}

TEST(unprivileged_submitters_write_clears_setuid)
{
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, geteuid()) TH_LOG("must start as root");
	EXPECT_EQ(0777, write_setuid_file(_metadata, "/tmp", DROP_BEFORE_SETUP, false))
		TH_LOG("set-user-ID kept: the write did not run as the submitter");
}

TEST(root_submitters_write_keeps_setuid)
{
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, geteuid()) TH_LOG("must start as root");
	EXPECT_EQ(S_ISUID | 0777, write_setuid_file(_metadata, "/tmp", STAY_ROOT, false))
		TH_LOG("set-user-ID cleared although root (CAP_FSETID) wrote");
	EXPECT_EQ(S_ISUID | 0777, write_setuid_file(_metadata, "/tmp", STAY_ROOT, true))
		TH_LOG("set-user-ID cleared although root (CAP_FSETID) wrote");
}

TEST(unprivileged_submitters_write_clears_setuid_ext4)
{
	const char *dir;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	ASSERT_EQ(0, geteuid()) TH_LOG("must start as root");
	EXPECT_EQ(0777, write_setuid_file(_metadata, dir, DROP_BEFORE_SETUP, false))
		TH_LOG("set-user-ID kept: the write did not run as the submitter");
}

/*
 * Set up as root, then privileges dropped (QEMU's way): requests run as
 * who submits them, not as who set the context up.
 */
TEST(dropped_after_setup_write_clears_setuid)
{
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, geteuid()) TH_LOG("must start as root");
	EXPECT_EQ(0777, write_setuid_file(_metadata, "/tmp", DROP_AFTER_SETUP, false))
		TH_LOG("set-user-ID kept: the worker ran with setup's credentials");
}

TEST(dropped_after_setup_linked_write_clears_setuid)
{
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	ASSERT_EQ(0, geteuid()) TH_LOG("must start as root");
	EXPECT_EQ(0777, write_setuid_file(_metadata, "/tmp", DROP_AFTER_SETUP, true))
		TH_LOG("set-user-ID kept: the released write ran with setup's credentials");
}

/*
 * The context keeps the credentials of the first request that left its
 * SUBMIT (root's here) for later ones with the same: a request of another
 * identity must not borrow them.
 */
TEST(dropped_after_a_root_request_linked_write_clears_setuid)
{
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	ASSERT_EQ(0, geteuid()) TH_LOG("must start as root");
	EXPECT_EQ(0777, write_setuid_file(_metadata, "/tmp", DROP_AFTER_ROOT_REQUEST, true))
		TH_LOG("set-user-ID kept: the released write ran with root's credentials");
}

TEST(dropped_after_setup_write_clears_setuid_ext4)
{
	const char *dir;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	ASSERT_EQ(0, geteuid()) TH_LOG("must start as root");
	EXPECT_EQ(0777, write_setuid_file(_metadata, dir, DROP_AFTER_SETUP, false))
		TH_LOG("set-user-ID kept: the worker ran with setup's credentials");
}

TEST_HARNESS_MAIN

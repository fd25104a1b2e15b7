// SPDX-License-Identifier: GPL-2.0
/*
 * The owner's end is seen from the process itself: when its thread group
 * exits, or when it execs with the context's fd close-on-exec, what its
 * workers run stops, however many of its acall fds it had closed before;
 * when it execs keeping the fd, what waits for one of its threads is
 * canceled; and a thread that exits alone, even with a private fd table,
 * is not its end. Documentation/acall.rst, "Contexts".
 */
#include <fcntl.h>
#include <linux/magic.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define WORKERS_BOUND_S	60	/* generous: TCG is slow */
#define LONG_READ	(128ULL << 20)	/* minutes of the slow device */
#define MARK		0x5a

/*
 * In a child: start a buffered read of LONG_READ bytes of the slow device
 * and return once a worker is copying its data (the device's first block
 * holds MARK). With close_fd the acall fd is closed (the ring stays
 * mapped); else it stays open, close-on-exec as libacall opens it. Exits
 * on error.
 */
static void start_long_read(const char *bdev, bool close_fd)
{
	struct acall_ring ring;
	struct acall_sqe sqe;
	struct iovec iov;
	volatile unsigned char *buf;
	int fd, i;

	fd = open(bdev, O_RDONLY);
	buf = mmap(NULL, LONG_READ, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (fd < 0 || buf == MAP_FAILED || acall_ring_init(&ring, NULL))
		_exit(2);
	iov = (struct iovec){ (void *)buf, LONG_READ };
	acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	if (acall_submit(&ring, &sqe, 1) != 1)
		_exit(3);
	if (close_fd)
		close(ring.fd);
	for (i = 0; buf[0] != MARK; i++) {
		if (i == WORKERS_BOUND_S * 100)
			_exit(4);
		usleep(10 * 1000);
	}
}

FIXTURE(owner) {
	const char *bdev;
};

FIXTURE_SETUP(owner)
{
	void *block = NULL;
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	ACALL_FIXTURE(self->bdev, "ACALL_TEST_SLOW_BDEV");
	fd = open(self->bdev, O_WRONLY | O_DIRECT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, posix_memalign(&block, 4096, 4096));
	memset(block, MARK, 4096);
	ASSERT_EQ(4096, pwrite(fd, block, 4096, 0));
	free(block);
	close(fd);
	/* Cold, so that the read waits for the device. */
	ASSERT_EQ(0, acall_drop_caches());
}

FIXTURE_TEARDOWN(owner)
{
}

/* The child exits normally, its only acall fd closed before. */
TEST_F_TIMEOUT(owner, exit_stops_what_workers_run, 300)
{
	pid_t child;
	int status;

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		start_long_read(self->bdev, true);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	EXPECT_EQ(0, acall_wait_workers_gone(child, WORKERS_BOUND_S))
		TH_LOG("a worker still reads for a process that exited");
}

/* The child execs a program that outlives the check; its fd was CLOEXEC. */
TEST_F_TIMEOUT(owner, exec_stops_what_workers_run, 300)
{
	pid_t child;
	int status;

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		start_long_read(self->bdev, false);
		execlp("sleep", "sleep", "600", (char *)NULL);
		_exit(5);
	}
	EXPECT_EQ(0, acall_wait_workers_gone(child, WORKERS_BOUND_S))
		TH_LOG("a worker still reads for the memory the process exec'd away from");
	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
}

/*
 * The owner execs with the context's fd kept open (no close-on-exec) and a
 * write waiting for a thread of its own, which none will serve any more:
 * the write is canceled as the old memory goes, and with it goes its
 * reference to its file, the last one (IN_CLOSE_WRITE). It used to wait
 * until the new image closed the fd.
 */
TEST(exec_keeping_the_fd_cancels_what_waits_for_a_thread)
{
	char path[] = "/tmp/acall-exec-XXXXXX";
	char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev = (const void *)events;
	int in, wd, status, fd, report[2], err = 0;
	pid_t child, parent = getpid();
	struct statfs fs;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	/* tmpfs cannot try a buffered write without blocking: it waits. */
	ASSERT_EQ(0, statfs("/tmp", &fs));
	if (fs.f_type != TMPFS_MAGIC)
		SKIP(return, "/tmp is not tmpfs");
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	close(fd);
	in = inotify_init1(IN_CLOEXEC);
	ASSERT_LE(0, in);
	wd = inotify_add_watch(in, path, IN_CLOSE_WRITE);
	ASSERT_LE(0, wd);
	/* The child's errors before exec come back here; exec closes it. */
	ASSERT_EQ(0, pipe2(report, O_CLOEXEC));

	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		char buf[512] = "x";
		struct iovec iov = { buf, sizeof(buf) };
		struct acall_sqe sqe;
		struct acall_raw raw;
		int dev;

		close(report[0]);
		/* Gone with the test, should it hang. */
		if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() != parent)
			_exit(24);
		dev = open(ACALL_DEVICE_PATH, O_RDWR);	/* no O_CLOEXEC */
		fd = open(path, O_WRONLY);
		if (dev < 0 || fd < 0 ||
		    acall_raw_setup_flags(&raw, dev, 8, ACALL_SETUP_PROCESS_WORKERS))
			err = 20;
		acall_prep_pwritev(&sqe, fd, &iov, 1, 0, 0);
		if (!err && acall_raw_submit(dev, &sqe, 1) != 1)
			err = 21;
		/* Waiting for a thread, not completed (nor failed) at once. */
		if (!err && __atomic_load_n(raw.tail, __ATOMIC_ACQUIRE))
			err = 25;
		/* The write holds the file's last reference now. */
		close(fd);
		if (!err) {
			execlp("sleep", "sleep", "600", (char *)NULL);
			err = 22;
		}
		if (write(report[1], &err, sizeof(err)) != sizeof(err))
			_exit(23);
		_exit(err);
	}
	close(report[1]);
	EXPECT_EQ(0, read(report[0], &err, sizeof(err)))
		TH_LOG("the child failed with %d before its exec (25: the write "
		       "did not wait for a thread)", err);
	close(report[0]);

	/* The write's file is closed for good once the write is canceled. */
	if (!err) {
		ASSERT_LT(0, read(in, events, sizeof(events)));
		EXPECT_EQ(wd, ev->wd);
		EXPECT_TRUE(ev->mask & IN_CLOSE_WRITE);
		/* By the exec, not by an end of the child's. */
		EXPECT_EQ(0, waitpid(child, &status, WNOHANG));
	}
	ASSERT_EQ(0, kill(child, SIGKILL));
	ASSERT_EQ(child, waitpid(child, &status, 0));
	close(in);
	unlink(path);
}

/*
 * Unmapping the ring is no end of the owner: a write waiting for a thread
 * still runs once one serves (the ring mapped again to see it).
 */
TEST(munmap_of_the_ring_cancels_nothing)
{
	char buf[512] = "m";
	struct iovec iov = { buf, sizeof(buf) };
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	struct acall_raw r;
	pthread_t thread;
	int dev, fd;
	void *ret;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	dev = acall_open_device();
	ASSERT_LE(0, dev);
	ASSERT_EQ(0, acall_raw_setup_flags(&r, dev, 8,
					   ACALL_SETUP_PROCESS_WORKERS));
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);
	acall_prep_pwritev(&sqe, fd, &iov, 1, 0, 0);
	ASSERT_EQ(1, acall_raw_submit(dev, &sqe, 1));
	acall_raw_unmap(&r);

	ASSERT_EQ(0, acall_raw_remap(&r));
	ASSERT_EQ(0, pthread_create(&thread, NULL, acall_raw_serve_thread, &dev));
	ASSERT_EQ(0, acall_raw_reap(&r, &cqe));
	EXPECT_EQ(sizeof(buf), cqe.res);
	ASSERT_EQ(0, ioctl(dev, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, pthread_join(thread, &ret));
	acall_raw_unmap(&r);
	close(fd);
	close(dev);
}

static void *unshare_files_and_exit(void *arg)
{
	(void)arg;
	if (unshare(CLONE_FILES))
		return (void *)1;
	return NULL;
}

/* A thread with a private fd table exits: the process lives on. */
TEST(thread_with_private_files_exiting_is_not_the_owners_end)
{
	struct acall_ring ring;
	struct acall_sqe sqe;
	pthread_t thread;
	void *ret;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	ASSERT_EQ(0, pthread_create(&thread, NULL, unshare_files_and_exit, NULL));
	ASSERT_EQ(0, pthread_join(thread, &ret));
	ASSERT_EQ(NULL, ret);

	/* A worker's request still runs. */
	acall_prep_nop(&sqe, 1000 * 1000);
	EXPECT_EQ(0, acall_run1(&ring, &sqe));
	acall_ring_exit(&ring);
}

TEST_HARNESS_MAIN

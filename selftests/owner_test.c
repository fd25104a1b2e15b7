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

/* ---- another process sharing the owner's memory (CLONE_VM) ------------- */

#define CHILD_STACK	(256 * 1024)

struct vm_child {
	int dev;		/* the context's fd (the child has a copy) */
	int file;		/* a file of one block, cached */
	int go;			/* read end: the child submits once it reads */
	int res;		/* write end: the request's result, or -errno */
	struct acall_raw *r;
	char buf[4096];
};

/*
 * The CLONE_VM child: submit one read of the file once told to, wait for
 * its completion and report its result (or SUBMIT's -errno).
 */
static int vm_child_read(void *arg)
{
	struct vm_child *c = arg;
	struct iovec iov = { c->buf, sizeof(c->buf) };
	struct acall_cqe cqe;
	struct acall_sqe sqe;
	int ret;
	char go;

	if (c->go >= 0 && read(c->go, &go, 1) != 1)
		return 2;
	acall_prep_preadv(&sqe, c->file, &iov, 1, 0, 0);
	ret = acall_raw_submit(c->dev, &sqe, 1);
	if (ret == 1)
		ret = acall_raw_reap(c->r, &cqe) ? -EIO : cqe.res;
	else if (ret >= 0)
		ret = -EPROTO;
	return write(c->res, &ret, sizeof(ret)) == sizeof(ret) ? 0 : 3;
}

/*
 * Run fn in a CLONE_VM child (another process sharing this memory), wait
 * for it, and read the size bytes of result it wrote to c->res from
 * res_rd. 0, or -1 if a step failed or the child did not exit 0.
 */
static int run_vm_child(int (*fn)(void *), struct vm_child *c, int res_rd,
			void *result, size_t size)
{
	char *stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	int status, ret = -1;
	pid_t pid;

	if (stack == MAP_FAILED)
		return -1;
	pid = clone(fn, stack + CHILD_STACK, CLONE_VM | SIGCHLD, c);
	if (pid >= 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
	    !WEXITSTATUS(status) &&
	    read(res_rd, result, size) == (ssize_t)size)
		ret = 0;
	munmap(stack, CHILD_STACK);
	return ret;
}

/*
 * The device for a CLONE_VM child, not set up yet, and the pipe its result
 * comes back on (res[1] is the child's, in c->res). 0, or -1 on error.
 */
static int vm_child_open(struct vm_child *c, int res[2])
{
	if (pipe(res))
		return -1;
	c->res = res[1];
	c->dev = open("/dev/acall", O_RDWR | O_CLOEXEC);
	return c->dev < 0 ? -1 : 0;
}

static void vm_child_close(struct vm_child *c, int res[2])
{
	close(c->dev);
	close(res[0]);
	close(res[1]);
}

/*
 * A file of one 4 KiB block in dir, in the page cache: a read of it
 * completes inline. -1 on error.
 */
static int hot_file(const char *dir)
{
	int fd = acall_tmpfile(dir, O_RDWR | O_CLOEXEC);

	if (fd < 0 || acall_pwrite_pattern(fd, 0, 4096, 1))
		return -1;
	return fd;
}

/*
 * The owner (a child of the test) sets up a context with kernel-thread
 * workers, starts a CLONE_VM process (a child of the test's too, through
 * CLONE_PARENT) and exits. Once the owner is reaped, the other process
 * submits a read of a cached block, which used to complete inline: nothing
 * of the context starts after the owner's end.
 */
TEST(owners_end_cancels_what_a_clone_vm_process_submits)
{
	int go[2], res[2], status, result = 0;
	pid_t owner, other = 0;
	const char *dir;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_INLINE);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(res));
	owner = fork();
	ASSERT_LE(0, owner);
	if (owner == 0) {
		static struct acall_raw r;
		static struct vm_child c;
		char *stack;

		/*
		 * The owner, and the other process it starts, keep only
		 * their ends: if the test fails before it says go, the
		 * other's read sees the end of the pipe.
		 */
		close(go[1]);
		close(res[0]);

		c.dev = open("/dev/acall", O_RDWR | O_CLOEXEC);
		c.file = hot_file(dir);
		c.go = go[0];
		c.res = res[1];
		c.r = &r;
		stack = mmap(NULL, CHILD_STACK, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
		if (c.dev < 0 || c.file < 0 || stack == MAP_FAILED ||
		    acall_raw_setup(&r, c.dev, 8))
			_exit(1);
		other = clone(vm_child_read, stack + CHILD_STACK,
			      CLONE_VM | CLONE_PARENT | SIGCHLD, &c);
		if (other < 0)
			_exit(1);
		if (write(res[1], &other, sizeof(other)) != sizeof(other)) {
			kill(other, SIGKILL);
			_exit(1);
		}
		_exit(0);
	}
	/* An owner that fails before it writes ends the read. */
	close(go[0]);
	close(res[1]);
	ASSERT_EQ(sizeof(other), read(res[0], &other, sizeof(other)));
	ASSERT_EQ(owner, waitpid(owner, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* The owner is reaped: its end has been seen. */
	ASSERT_EQ(1, write(go[1], "g", 1));
	ASSERT_EQ(sizeof(result), read(res[0], &result, sizeof(result)));
	ASSERT_EQ(other, waitpid(other, &status, 0));
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	EXPECT_EQ(-ECANCELED, result)
		TH_LOG("a read submitted after the owner's end completed with %d",
		       result);
	close(go[1]);
	close(res[0]);
}

/*
 * With ACALL_SETUP_PROCESS_WORKERS the workers are the owner's threads; a
 * CLONE_VM process has none, and what it punted would run as the owner's
 * threads, under their limits and cgroups: its SUBMIT is refused (EPERM).
 * The owner's own read of the same block is the control.
 */
TEST(a_clone_vm_process_may_not_submit_to_process_workers)
{
	static struct vm_child c;
	struct acall_raw r;
	int res[2], result = 0;
	pthread_t server;
	const char *dir;
	void *ret;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	ASSERT_EQ(0, vm_child_open(&c, res));
	c.file = hot_file(dir);
	ASSERT_LE(0, c.file);
	c.go = -1;
	c.r = &r;
	ASSERT_EQ(0, acall_raw_setup_flags(&r, c.dev, 8,
					   ACALL_SETUP_PROCESS_WORKERS));
	/* Whichever way the owner's read goes, a thread serves it. */
	ASSERT_EQ(0, pthread_create(&server, NULL, acall_raw_serve_thread,
				    &c.dev));

	ASSERT_EQ(0, vm_child_read(&c));
	ASSERT_EQ(sizeof(result), read(res[0], &result, sizeof(result)));
	EXPECT_EQ(sizeof(c.buf), result);

	ASSERT_EQ(0, run_vm_child(vm_child_read, &c, res[0], &result,
				  sizeof(result)));
	EXPECT_EQ(-EPERM, result);

	ASSERT_EQ(0, ioctl(c.dev, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, pthread_join(server, &ret));
	acall_raw_unmap(&r);
	close(c.file);
	vm_child_close(&c, res);
}

/* The CLONE_VM child: SETUP the context; report 0 or -errno. */
static int vm_child_setup(void *arg)
{
	struct vm_child *c = arg;
	struct acall_params p;
	int ret;

	memset(&p, 0, sizeof(p));
	p.entries = 8;
	p.flags = ACALL_SETUP_PROCESS_WORKERS;
	ret = ioctl(c->dev, ACALL_IOC_SETUP, &p) < 0 ? -errno : 0;
	return write(c->res, &ret, sizeof(ret)) == sizeof(ret) ? 0 : 3;
}

/*
 * SETUP takes the caller's I/O context for the workers: a CLONE_VM
 * process may not set up the owner's context (it did, and the owner's
 * threads then served under that process's I/O context). The owner may,
 * after.
 */
TEST(a_clone_vm_process_may_not_set_up_the_context)
{
	static struct vm_child c;
	struct acall_raw r;
	int res[2], result = 0;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, vm_child_open(&c, res));

	ASSERT_EQ(0, run_vm_child(vm_child_setup, &c, res[0], &result,
				  sizeof(result)));
	EXPECT_EQ(-EPERM, result);
	EXPECT_EQ(0, acall_raw_setup_flags(&r, c.dev, 8,
					   ACALL_SETUP_PROCESS_WORKERS));

	acall_raw_unmap(&r);
	vm_child_close(&c, res);
}

/* The CLONE_VM child: SERVE, then SPAWN; report both errnos (0 if none). */
static int vm_child_serve(void *arg)
{
	struct vm_child *c = arg;
	struct acall_spawn sp;
	int ret[2];

	memset(&sp, 0, sizeof(sp));
	ret[0] = ioctl(c->dev, ACALL_IOC_SERVE, 0) < 0 ? -errno : 0;
	ret[1] = ioctl(c->dev, ACALL_IOC_SPAWN, &sp) < 0 ? -errno : 0;
	return write(c->res, ret, sizeof(ret)) == sizeof(ret) ? 0 : 3;
}

/*
 * Who calls comes before what it asks: a CLONE_VM process calling SERVE
 * or SPAWN gets EPERM, on a context with kernel-thread workers too (it got
 * EINVAL there, which said the context, not the caller, was wrong).
 */
TEST(a_clone_vm_process_may_not_serve_in_any_mode)
{
	static struct vm_child c;
	struct acall_raw r;
	int res[2], result[2] = { 0, 0 };

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	memset(&r, 0, sizeof(r));
	ASSERT_EQ(0, vm_child_open(&c, res));
	ASSERT_EQ(0, acall_raw_setup(&r, c.dev, 8));

	ASSERT_EQ(0, run_vm_child(vm_child_serve, &c, res[0], result,
				  sizeof(result)));
	EXPECT_EQ(-EPERM, result[0]);
	EXPECT_EQ(-EPERM, result[1]);
	/* The owner itself is told what is wrong with the context. */
	EXPECT_EQ(-1, ioctl(c.dev, ACALL_IOC_SERVE, 0));
	EXPECT_EQ(EINVAL, errno);

	acall_raw_unmap(&r);
	vm_child_close(&c, res);
}

TEST_HARNESS_MAIN

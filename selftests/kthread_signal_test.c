// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel-thread worker (a context set up on the raw ABI without
 * ACALL_SETUP_PROCESS_WORKERS) takes no signal from userspace, as the
 * kernel's other threads take none: a SIGKILL that root sends it does not
 * cut short the request it runs (Documentation/acall.rst, "Workers are the
 * process's threads"). Only the module interrupts one, when its context
 * closes or its process ends.
 *
 * The worker is caught in the middle of a request, exactly: a buffered
 * write on ext4 (which always goes to a worker) from a page userfaultfd
 * holds, so the worker faults on it and waits, interruptibly, until the
 * test supplies the page; the fault names the thread. A signal it took
 * would stay pending until the request ends, and end every interruptible
 * wait of the request at once (this one it would retry, spinning, until
 * the page came): that it is not pending is what is seen.
 */
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define PAGE		4096
#define FAULT_BOUND_MS	60000	/* generous: TCG is slow */

FIXTURE(held) {
	struct acall_raw r;
	char *buf;
	int dev, fd, uffd;
};

FIXTURE_SETUP(held)
{
	const char *dir;

	self->dev = -1;
	self->fd = -1;
	self->uffd = -1;
	self->buf = MAP_FAILED;
	memset(&self->r, 0, sizeof(self->r));
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	if (geteuid())
		SKIP(return, "root sends the signal");
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	self->fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, self->fd);
	self->buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	/* Made by root, it also takes faults of a worker (kernel mode). */
	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, acall_uffd_hold(self->uffd, self->buf, PAGE,
				     UFFD_FEATURE_THREAD_ID));
	self->dev = open("/dev/acall", O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, self->dev);
	ASSERT_EQ(0, acall_raw_setup(&self->r, self->dev, 8));
}

FIXTURE_TEARDOWN(held)
{
	acall_raw_unmap(&self->r);
	if (self->dev >= 0)
		close(self->dev);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, PAGE);
	if (self->fd >= 0)
		close(self->fd);
}

/* Whether tid is a kernel thread (PF_KTHREAD in /proc/<tid>/stat). */
static bool is_kthread(pid_t tid)
{
	char stat[512];
	const char *flags;

	if (!acall_task_stat(tid, stat, sizeof(stat)))
		return false;
	flags = acall_stat_field(stat, 9);
	return flags && (strtoul(flags, NULL, 10) & 0x00200000);
}

/*
 * Write the held page to the file; return the worker that faulted on it,
 * held there until the page is supplied, or -1.
 */
static pid_t hold(FIXTURE_DATA(held) *self)
{
	struct pollfd pfd = { .fd = self->uffd, .events = POLLIN };
	struct iovec iov = { self->buf, PAGE };
	struct uffd_msg msg;
	struct acall_sqe sqe;
	pid_t worker;

	acall_prep_pwritev(&sqe, self->fd, &iov, 1, 0, 0);
	sqe.user_data = 7;
	if (acall_raw_submit(self->dev, &sqe, 1) != 1 ||
	    poll(&pfd, 1, FAULT_BOUND_MS) != 1 ||
	    read(self->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return -1;
	worker = (pid_t)msg.arg.pagefault.feat.ptid;
	/* The raw ABI's workers are kernel threads: nothing else is killed. */
	return worker > 0 && is_kthread(worker) ? worker : -1;
}

TEST_F_TIMEOUT(held, kill_from_userspace_is_dropped_and_the_request_completes,
	       120)
{
	char page[PAGE], back[PAGE];
	struct acall_cqe cqe;
	pid_t worker;

	worker = hold(self);
	ASSERT_LT(0, worker) TH_LOG("no kernel-thread worker held on the page");

	/* Sent (root may signal any task) and dropped: nothing pending. */
	ASSERT_EQ(0, kill(worker, SIGKILL));
	EXPECT_EQ(0, acall_task_sig_in(worker, "ShdPnd:", SIGKILL));
	EXPECT_EQ(0, acall_task_sig_in(worker, "SigPnd:", SIGKILL));

	acall_fill(page, PAGE, 0, 5);
	ASSERT_EQ(0, acall_uffd_copy(self->uffd, self->buf, page, PAGE));
	ASSERT_EQ(0, acall_raw_reap(&self->r, &cqe));
	EXPECT_EQ(7, cqe.user_data);
	EXPECT_EQ(PAGE, cqe.res);
	ASSERT_EQ(PAGE, pread(self->fd, back, PAGE, 0));
	EXPECT_EQ(-1, acall_check(back, PAGE, 0, 5));
}

/*
 * The module's own SIGKILL still reaches it: SHUTDOWN interrupts what
 * kernel-thread workers run, and returns once it completed. The page is
 * never supplied, so only that signal can end the wait (else SHUTDOWN
 * never returns, and the test times out).
 */
TEST_F_TIMEOUT(held, shutdown_still_interrupts_the_worker, 120)
{
	struct acall_cqe cqe;
	char back[PAGE];

	ASSERT_LT(0, hold(self)) TH_LOG("no kernel-thread worker held on the page");
	ASSERT_EQ(0, ioctl(self->dev, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, acall_raw_reap(&self->r, &cqe));
	EXPECT_EQ(7, cqe.user_data);
	EXPECT_GT(0, cqe.res) TH_LOG("the interrupted write reported %d", cqe.res);
	EXPECT_EQ(0, pread(self->fd, back, PAGE, 0));
}

TEST_HARNESS_MAIN

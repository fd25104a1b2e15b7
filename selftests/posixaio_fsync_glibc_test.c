// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio: aio_fsync() covers every request of its fd queued
 * before it, one the module gave back to glibc included. With the module's
 * ordering an fsync is a barrier in the module, which waits only for what
 * the module holds; a write the module completed with EAGAIN (no worker
 * could be had: here the per-user worker limit, 0) runs in glibc instead,
 * and the fsync must still come after it (Documentation/posixaio.rst).
 *
 * Exactly, with no timing: the write's page is held by userfaultfd, so
 * glibc's thread waits in it until the test supplies the page. The fsync,
 * asked for once workers may be had again, must not reach the module
 * meanwhile (its counters say what it was given, at once): before, it
 * did, its barrier let it through, and it was done with its write still
 * in glibc.
 */
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"

#define PAGE		4096
#define BOUND_MS	60000	/* generous: TCG is slow */

/* The library's context: the one /dev/acall fd of the process. */
static int library_fd(void)
{
	char path[300], target[64];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/fd");
	int fd = -1;
	ssize_t n;

	if (!dir)
		return -1;
	while ((d = readdir(dir))) {
		snprintf(path, sizeof(path), "/proc/self/fd/%s", d->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, ACALL_DEVICE_PATH)) {
			fd = atoi(d->d_name);
			break;
		}
	}
	closedir(dir);
	return fd;
}

/* Requests the context took so far, or -1. */
static long long submitted(int fd)
{
	struct acall_stats st;

	return ioctl(fd, ACALL_IOC_STATS, &st) ? -1 : (long long)st.submitted;
}

FIXTURE(held) {
	long long workers;	/* user_max_workers to restore, -1: none */
	int fd, uffd;
	char *buf;
};

FIXTURE_SETUP(held)
{

	self->workers = -1;
	self->fd = -1;
	self->uffd = -1;
	self->buf = MAP_FAILED;
	PA_REQUIRE_ACALL();
	ACALL_REQUIRE(ACALL_FEAT_ORDERING | ACALL_FEAT_STATS);
	if (geteuid())
		SKIP(return, "needs root to set the module's worker limit");
	self->fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, self->fd);
	self->buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	/* Made with CAP_SYS_PTRACE: it takes faults in the kernel too. */
	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, acall_uffd_hold(self->uffd, self->buf, PAGE, 0));
	self->workers = acall_param_read("user_max_workers");
	ASSERT_LE(0, self->workers);
	/* Root without CAP_SYS_RESOURCE: the per-user limits apply to it. */
	ASSERT_EQ(0, acall_drop_capability(CAP_SYS_RESOURCE));
	ASSERT_EQ(0, acall_param_write("user_max_workers", 0));
}

FIXTURE_TEARDOWN(held)
{
	if (self->workers >= 0)
		acall_param_write("user_max_workers", self->workers);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, PAGE);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(held, fsync_waits_for_a_write_glibc_runs, 120)
{
	struct pollfd pfd = { .fd = self->uffd, .events = POLLIN };
	struct aiocb write_cb, fsync_cb;
	char page[PAGE], back[PAGE];
	struct uffd_msg msg;
	int lib;

	/* No worker may be had: the module gives the write back, to glibc. */
	pa_prep(&write_cb, self->fd, self->buf, PAGE, 0);
	ASSERT_EQ(0, aio_write(&write_cb));
	ASSERT_EQ(1, poll(&pfd, 1, BOUND_MS))
		TH_LOG("glibc's thread did not fault on the write's page");
	ASSERT_EQ(sizeof(msg), read(self->uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	lib = library_fd();
	ASSERT_LE(0, lib);

	ASSERT_EQ(1, submitted(lib));

	/*
	 * Workers again: the module could run the fsync, and its barrier
	 * would let it through. aio_fsync() submits it, or holds it back,
	 * before it returns.
	 */
	ASSERT_EQ(0, acall_param_write("user_max_workers", self->workers));
	pa_prep(&fsync_cb, self->fd, NULL, 0, 0);
	ASSERT_EQ(0, aio_fsync(O_SYNC, &fsync_cb));
	EXPECT_EQ(1, submitted(lib))
		TH_LOG("the fsync went to the module, its write still in glibc");
	EXPECT_EQ(EINPROGRESS, aio_error(&write_cb));

	acall_fill(page, PAGE, 0, 8);
	ASSERT_EQ(0, acall_uffd_copy(self->uffd, self->buf, page, PAGE));
	EXPECT_EQ(0, pa_wait(&write_cb));
	EXPECT_EQ(PAGE, aio_return(&write_cb));
	EXPECT_EQ(0, pa_wait(&fsync_cb));
	EXPECT_EQ(0, aio_return(&fsync_cb));
	ASSERT_EQ(PAGE, pread(self->fd, back, PAGE, 0));
	EXPECT_EQ(-1, acall_check(back, PAGE, 0, 8));
}

TEST_HARNESS_MAIN

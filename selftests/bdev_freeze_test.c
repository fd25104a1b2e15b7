// SPDX-License-Identifier: GPL-2.0
/*
 * A worker's blocking write holds its filesystem's freeze protection only
 * for a regular file, as write() does: a buffered write to a block device
 * whose node lives on ext4 does not keep ext4 from freezing while it waits
 * (nor, behind that freeze, every writer of ext4). Here it waits for its
 * source page, which a userfaultfd holds.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define WATCHDOG_S	30
#define LEN		4096

struct supplier {
	int uffd;
	void *page;
	const void *src;
	atomic_bool frozen;
	bool fired;		/* page supplied by the watchdog, FIFREEZE waiting */
};

/* Supply the page if FIFREEZE has not returned after WATCHDOG_S. */
static void *watchdog(void *arg)
{
	struct supplier *s = arg;

	if (!acall_watchdog_expired(&s->frozen, WATCHDOG_S))
		return NULL;
	s->fired = true;
	acall_uffd_copy(s->uffd, s->page, s->src, LEN);
	return NULL;
}

FIXTURE(node) {
	struct supplier s;
	int fd, dirfd;
	struct acall_ring ring;
};

FIXTURE_SETUP(node)
{
	const char *dir, *bdev;
	char path[256];
	struct stat st;

	self->fd = self->dirfd = self->s.uffd = self->ring.fd = -1;
	self->s.page = MAP_FAILED;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	ACALL_FIXTURE(bdev, "ACALL_TEST_BDEV");
	self->s.uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (self->s.uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, stat(bdev, &st));
	snprintf(path, sizeof(path), "%s/acall-bdev.%d", dir, getpid());
	if (mknod(path, S_IFBLK | 0600, st.st_rdev))
		SKIP(return, "no device node in %s: %s", dir, strerror(errno));
	self->fd = open(path, O_RDWR);
	unlink(path);
	if (self->fd < 0)
		SKIP(return, "no device opened in %s: %s", dir, strerror(errno));
	self->dirfd = open(dir, O_RDONLY | O_DIRECTORY);
	ASSERT_LE(0, self->dirfd);
	self->s.page = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->s.page);
	ASSERT_EQ(0, acall_uffd_hold(self->s.uffd, self->s.page, LEN, 0));
	ASSERT_EQ(0, acall_ring_init(&self->ring, NULL));
}

/*
 * After a failed check: thawed, and the page let go (a closed userfaultfd
 * lets its fault go on) before the ring's exit waits for the write.
 */
FIXTURE_TEARDOWN(node)
{
	if (self->dirfd >= 0) {
		ioctl(self->dirfd, FITHAW, 0);
		close(self->dirfd);
	}
	if (self->s.uffd >= 0)
		close(self->s.uffd);
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->s.page != MAP_FAILED)
		munmap(self->s.page, LEN);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F_TIMEOUT(node, block_device_writer_does_not_hold_a_freeze, 120)
{
	static char src[LEN], back[LEN];
	struct iovec iov = { self->s.page, LEN };
	struct supplier *s = &self->s;
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	struct uffd_msg msg;
	pthread_t thread;

	acall_fill(src, sizeof(src), 0, 5);
	s->src = src;
	/* No non-blocking buffered write to a block device: a worker's. */
	acall_prep_pwritev(&sqe, self->fd, &iov, 1, 0, 0);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	/* The worker is in the write, on the held page. */
	ASSERT_EQ(sizeof(msg), read(s->uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	ASSERT_EQ(0, pthread_create(&thread, NULL, watchdog, s));
	EXPECT_EQ(0, ioctl(self->dirfd, FIFREEZE, 0));
	atomic_store(&s->frozen, true);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_FALSE(s->fired) TH_LOG("the freeze waited for the device's writer");
	EXPECT_EQ(0, ioctl(self->dirfd, FITHAW, 0));
	if (!s->fired)
		ASSERT_EQ(0, acall_uffd_copy(s->uffd, s->page, src, LEN));

	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(LEN, cqe->res);
	acall_cq_advance(&self->ring, 1);
	ASSERT_EQ(LEN, pread(self->fd, back, LEN, 0));
	EXPECT_EQ(-1, acall_check(back, LEN, 0, 5));
}

TEST_HARNESS_MAIN

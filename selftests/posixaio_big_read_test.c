// SPDX-License-Identifier: GPL-2.0
/*
 * aio_read() and lio_listio(LIO_NOWAIT) of many megabytes of cached data
 * return with the request still in progress: the module copies at most its
 * inline bound (1 MiB by default) in the calling thread and a worker does
 * the rest. Programs that wait for EINPROGRESS after aio_read(), as POSIX
 * conformance tests do, need that.
 *
 * That the request is still in progress is no matter of timing here: the
 * buffer past the first 2 MiB is registered with userfaultfd, and the
 * thread that first writes there is kept waiting until the test has looked
 * at the request. That thread must not be the caller's.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"

#define BIG		(8u << 20)
#define HELD_FROM	(2u << 20)	/* past the inline bound */

FIXTURE(big) {
	int fd, uffd, stop;	/* stop: ends a server that saw no fault */
	unsigned char *buf;
	pid_t caller;
	atomic_int faulter;	/* tid of the first writer past HELD_FROM */
	atomic_int serve_err;	/* -errno of mapping the range */
	atomic_ulong present;	/* its pages mapped before any was served */
	sem_t looked;		/* the test has looked at the request */
};

FIXTURE_SETUP(big)
{
	const char *dir;

	self->fd = -1;
	self->uffd = -1;
	self->stop = -1;
	self->buf = MAP_FAILED;
	PA_REQUIRE_ACALL();
	/* ext4 reads with IOCB_NOWAIT: the module tries them inline. */
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	self->fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, BIG, 6));
	self->buf = mmap(NULL, BIG, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	/*
	 * No huge pages: one left or made in the watched range (a THP
	 * fault, khugepaged) is written without a fault and makes
	 * UFFDIO_ZEROPAGE stop short of it. EINVAL: a kernel without THP.
	 */
	if (madvise(self->buf, BIG, MADV_NOHUGEPAGE))
		ASSERT_EQ(EINVAL, errno);
	ASSERT_EQ(BIG, pread(self->fd, self->buf, BIG, 0));	/* cached */
	/* Back to missing pages past HELD_FROM, then watched. */
	ASSERT_EQ(0, madvise(self->buf + HELD_FROM, BIG - HELD_FROM,
			     MADV_DONTNEED));
	memset(self->buf, 0, HELD_FROM);

	/* Non-blocking: poll() on a blocking one only says POLLERR. */
	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, acall_uffd_hold(self->uffd, self->buf + HELD_FROM,
				     BIG - HELD_FROM, UFFD_FEATURE_THREAD_ID));
	self->stop = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, self->stop);
	self->caller = gettid();
	atomic_init(&self->faulter, 0);
	atomic_init(&self->serve_err, 0);
	atomic_init(&self->present, 0);
	ASSERT_EQ(0, sem_init(&self->looked, 0, 0));
}

FIXTURE_TEARDOWN(big)
{
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->stop >= 0)
		close(self->stop);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, BIG);
	if (self->fd >= 0)
		close(self->fd);
}

/*
 * Map zero pages over what is still missing of [start, start + len).
 * UFFDIO_ZEROPAGE stops short (EAGAIN, saying how far it got) at a page
 * already there, or fails with EEXIST when that page is the first: such
 * pages are skipped and counted in *present, so that the copy is never
 * left waiting. EAGAIN with nothing mapped (the mappings were changing)
 * is tried again. Returns 0 or -errno.
 */
static int map_missing(int uffd, unsigned long start, unsigned long len,
		       unsigned long *present)
{
	unsigned long page = sysconf(_SC_PAGESIZE);
	int retries = 1000;

	*present = 0;
	while (len) {
		struct uffdio_zeropage zp = { .range = { start, len } };
		unsigned long step;

		if (!ioctl(uffd, UFFDIO_ZEROPAGE, &zp))
			return 0;
		if (errno == EAGAIN && zp.zeropage > 0) {
			step = zp.zeropage;
		} else if (errno == EAGAIN && retries-- > 0) {
			continue;	/* nothing mapped: try again, as asked */
		} else if (errno == EEXIST) {
			step = page;
			(*present)++;
		} else {
			return -errno;
		}
		start += step;
		len -= step;
	}
	return 0;
}

/*
 * Take the first fault past HELD_FROM; unless the caller took it (the
 * test then fails, but must not hang), hold it until the test has looked.
 * Then map the whole range: the copy retries and goes on. Returns
 * without mapping only when told to stop before any fault came.
 */
static void *serve_fault(void *arg)
{
	FIXTURE_DATA(big) *self = arg;
	struct pollfd pfd[2] = { { .fd = self->uffd, .events = POLLIN },
				 { .fd = self->stop, .events = POLLIN } };
	struct uffdio_range range = { (uintptr_t)self->buf + HELD_FROM,
				      BIG - HELD_FROM };
	struct uffd_msg msg = { .event = 0 };
	unsigned long present;
	int ret;

	for (;;) {
		if (poll(pfd, 2, -1) < 0)
			continue;
		if (pfd[0].revents & ~POLLIN)
			break;		/* cannot happen: map all the same */
		if (pfd[0].revents & POLLIN) {
			if (read(self->uffd, &msg, sizeof(msg)) == sizeof(msg))
				break;
			continue;	/* woken before read: poll again */
		}
		if (pfd[1].revents)
			return NULL;
	}
	if (msg.event == UFFD_EVENT_PAGEFAULT) {
		atomic_store(&self->faulter,
			     (int)msg.arg.pagefault.feat.ptid);
		if ((pid_t)msg.arg.pagefault.feat.ptid != self->caller)
			sem_wait(&self->looked);
	}
	ret = map_missing(self->uffd, range.start, range.len, &present);
	atomic_store(&self->present, present);
	if (ret) {
		atomic_store(&self->serve_err, ret);
		/* Wakes the held copy; its faults are ordinary ones now. */
		ioctl(self->uffd, UFFDIO_UNREGISTER, &range);
	}
	return NULL;
}

static void read_big(struct __test_metadata *_metadata,
		     FIXTURE_DATA(big) *self, bool lio)
{
	struct aiocb cb, *list[1] = { &cb };
	pthread_t server;

	ASSERT_EQ(0, pthread_create(&server, NULL, serve_fault, self));
	pa_prep(&cb, self->fd, self->buf, BIG, 0);
	cb.aio_lio_opcode = LIO_READ;
	if (lio) {
		ASSERT_EQ(0, lio_listio(LIO_NOWAIT, list, 1, NULL));
	} else {
		ASSERT_EQ(0, aio_read(&cb));
	}
	/* The worker cannot finish before this: it waits on the fault. */
	EXPECT_EQ(EINPROGRESS, aio_error(&cb));
	sem_post(&self->looked);

	ASSERT_EQ(0, pa_wait(&cb));
	EXPECT_EQ(BIG, aio_return(&cb));
	EXPECT_EQ(-1, acall_check(self->buf, BIG, 0, 6));
	ASSERT_EQ(sizeof(uint64_t), write(self->stop, &(uint64_t){ 1 },
					  sizeof(uint64_t)));
	ASSERT_EQ(0, pthread_join(server, NULL));
	EXPECT_EQ(0, atomic_load(&self->serve_err));
	/* Nothing may map a page there but the server (no THP either). */
	EXPECT_EQ(0, atomic_load(&self->present))
		TH_LOG("pages in the watched range before it was served");
	/* A tid, not 0 (no fault: the read never reached there). */
	EXPECT_LT(0, atomic_load(&self->faulter));
	EXPECT_NE(self->caller, atomic_load(&self->faulter))
		TH_LOG("the caller copied past the inline bound");
}

TEST_F_TIMEOUT(big, aio_read_returns_before_the_copy_is_done, 120)
{
	read_big(_metadata, self, false);
}

TEST_F_TIMEOUT(big, lio_listio_nowait_returns_before_the_copy_is_done, 120)
{
	read_big(_metadata, self, true);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * A read or write through acall raises IN_ACCESS or IN_MODIFY as preadv()
 * and pwritev() do, whichever path moves the bytes: inline, a worker, or an
 * O_DIRECT kiocb that the filesystem completes before it returns (ext4 on a
 * RAM disk) or later in an interrupt (ext4 on the slow device). The event
 * is queued before the completion is posted, so it is read here without
 * waiting.
 */
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/eventfd.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define LEN	4096

FIXTURE(fsnotify) {
	struct acall_ring ring;
	const char *dir;
	int fd;
	int inotify;
	void *buf;
};

FIXTURE_VARIANT(fsnotify) {
	const char *env;
	const char *dir;
	int flags;
};

FIXTURE_VARIANT_ADD(fsnotify, ext4_direct) {
	.env = "ACALL_TEST_EXT4", .flags = O_DIRECT,
};
FIXTURE_VARIANT_ADD(fsnotify, slow_ext4_direct) {
	.env = "ACALL_TEST_SLOW_EXT4", .flags = O_DIRECT,
};
FIXTURE_VARIANT_ADD(fsnotify, xfs_direct) {
	.env = "ACALL_TEST_XFS", .flags = O_DIRECT,
};
FIXTURE_VARIANT_ADD(fsnotify, ext4_buffered) { .env = "ACALL_TEST_EXT4" };

/* Every event queued so far, or'ed together; 0 if none. */
static unsigned int drain(int inotify)
{
	char events[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	const struct inotify_event *ev;
	unsigned int mask = 0;
	ssize_t n;
	char *p;

	while ((n = read(inotify, events, sizeof(events))) > 0)
		for (p = events; p < events + n; p += sizeof(*ev) + ev->len) {
			ev = (const struct inotify_event *)p;
			mask |= ev->mask;
		}
	return mask;
}

FIXTURE_SETUP(fsnotify)
{
	char path[64];

	self->fd = -1;
	self->inotify = -1;
	self->ring.fd = -1;
	self->buf = NULL;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ACALL_FIXTURE(self->dir, variant->env);
	self->fd = acall_tmpfile(self->dir, O_RDWR | variant->flags);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, posix_memalign(&self->buf, LEN, LEN));
	/* Written and synced first: O_DIRECT overwrites go out as kiocbs. */
	memset(self->buf, 0x5a, LEN);
	ASSERT_EQ(LEN, pwrite(self->fd, self->buf, LEN, 0));
	ASSERT_EQ(0, fsync(self->fd));
	self->inotify = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ASSERT_LE(0, self->inotify);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->fd);
	ASSERT_LE(0, inotify_add_watch(self->inotify, path,
				       IN_ACCESS | IN_MODIFY));
	ASSERT_EQ(0, acall_ring_init(&self->ring, NULL));
}

FIXTURE_TEARDOWN(fsnotify)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->inotify >= 0)
		close(self->inotify);
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
}

/* One request on the file; returns its result once reaped. */
static int one(struct __test_metadata *_metadata, struct acall_ring *ring,
	       int fd, void *buf, bool write)
{
	struct iovec iov = { buf, LEN };
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	int res;

	if (write)
		acall_prep_pwritev(&sqe, fd, &iov, 1, 0, 0);
	else
		acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	EXPECT_EQ(1, acall_submit(ring, &sqe, 1));
	EXPECT_EQ(0, acall_wait_cqe(ring, &cqe, -1));
	res = cqe->res;
	acall_cq_advance(ring, 1);
	return res;
}

TEST_F(fsnotify, write_raises_in_modify_before_its_completion)
{
	EXPECT_EQ(0, drain(self->inotify));
	memset(self->buf, 0xa5, LEN);
	ASSERT_EQ(LEN, one(_metadata, &self->ring, self->fd, self->buf, true));
	EXPECT_EQ(IN_MODIFY, drain(self->inotify) & (IN_MODIFY | IN_ACCESS));
}

TEST_F(fsnotify, read_raises_in_access_before_its_completion)
{
	EXPECT_EQ(0, drain(self->inotify));
	ASSERT_EQ(LEN, one(_metadata, &self->ring, self->fd, self->buf, false));
	EXPECT_EQ(0x5a, ((unsigned char *)self->buf)[LEN - 1]);
	EXPECT_EQ(IN_ACCESS, drain(self->inotify) & (IN_MODIFY | IN_ACCESS));
}

/* The control: what the blocking calls raise, which acall must match. */
TEST_F(fsnotify, pwrite_and_pread_raise_the_same)
{
	EXPECT_EQ(0, drain(self->inotify));
	ASSERT_EQ(LEN, pwrite(self->fd, self->buf, LEN, 0));
	EXPECT_EQ(IN_MODIFY, drain(self->inotify));
	ASSERT_EQ(LEN, pread(self->fd, self->buf, LEN, 0));
	EXPECT_EQ(IN_ACCESS, drain(self->inotify));
}

/*
 * An O_DIRECT write across the end of a block device: the device takes
 * the part before its end (the async kiocb completes short) and a worker
 * is refused the rest (ENOSPC). pwrite() returns the part and raises
 * IN_MODIFY; the request must raise it too. It raised nothing when the
 * short kiocb sent the rest to the worker.
 */
TEST(direct_write_cut_short_by_the_device_end_raises_in_modify)
{
	struct acall_ring ring;
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	struct iovec iov;
	const char *dev;
	void *buf = NULL, *saved = NULL;
	char path[64];
	__u64 bytes;
	int fd, in, res;

	ACALL_REQUIRE(ACALL_FEAT_RING);
	ACALL_FIXTURE(dev, "ACALL_TEST_BDEV");
	fd = open(dev, O_RDWR | O_DIRECT);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, BLKGETSIZE64, &bytes));
	ASSERT_EQ(0, posix_memalign(&buf, LEN, 2 * LEN));
	ASSERT_EQ(0, posix_memalign(&saved, LEN, LEN));
	/* The device's last block, put back at the end. */
	ASSERT_EQ(LEN, pread(fd, saved, LEN, bytes - LEN));
	memset(buf, 0x3c, 2 * LEN);
	in = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	ASSERT_LE(0, in);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ASSERT_LE(0, inotify_add_watch(in, path, IN_MODIFY));
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));

	/* The control: what the blocking call does. */
	ASSERT_EQ(LEN, pwrite(fd, buf, 2 * LEN, bytes - LEN));
	EXPECT_EQ(IN_MODIFY, drain(in));

	iov = (struct iovec){ buf, 2 * LEN };
	acall_prep_pwritev(&sqe, fd, &iov, 1, bytes - LEN, 0);
	ASSERT_EQ(1, acall_submit(&ring, &sqe, 1));
	ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
	res = cqe->res;
	acall_cq_advance(&ring, 1);
	EXPECT_EQ(LEN, res);
	EXPECT_EQ(IN_MODIFY, drain(in))
		TH_LOG("a write that moved %d bytes raised no IN_MODIFY", res);

	EXPECT_EQ(LEN, pwrite(fd, saved, LEN, bytes - LEN));
	acall_ring_exit(&ring);
	close(in);
	close(fd);
	free(saved);
	free(buf);
}

/* Answers every permission event with one response, counting them. */
struct perm_listener {
	int fan;		/* fanotify, FAN_CLASS_CONTENT */
	int stop;		/* an eventfd: written to end the thread */
	__u32 response;		/* FAN_ALLOW or FAN_DENY */
	atomic_int events;
};

static void *answer_all(void *arg)
{
	char events[4096] __attribute__((aligned(__alignof__(struct fanotify_event_metadata))));
	struct perm_listener *l = arg;
	struct pollfd fds[2] = {
		{ .fd = l->fan, .events = POLLIN },
		{ .fd = l->stop, .events = POLLIN },
	};
	struct fanotify_event_metadata *ev;
	struct fanotify_response answer;
	ssize_t n;

	while (poll(fds, 2, -1) > 0 && !fds[1].revents) {
		n = read(l->fan, events, sizeof(events));
		for (ev = (void *)events; n > 0 && FAN_EVENT_OK(ev, n);
		     ev = FAN_EVENT_NEXT(ev, n)) {
			if (ev->mask & FAN_ACCESS_PERM) {
				/* Counted before the answer lets the reader go. */
				atomic_fetch_add(&l->events, 1);
				answer.fd = ev->fd;
				answer.response = l->response;
				if (write(l->fan, &answer, sizeof(answer)) < 0)
					return (void *)1;
			}
			if (ev->fd >= 0)
				close(ev->fd);
		}
	}
	return NULL;
}

/*
 * A read (flags: O_DIRECT or not) checked at SUBMIT waits behind a link
 * until a permission watch is on its file; the worker that then sends it
 * must check again (FAN_ACCESS_PERM), as the blocking pread() does, and
 * take the listener's answer (response). The link before it is a
 * buffered write from a page a userfaultfd holds, which keeps a worker in
 * it until the watch is in place. The read went out on the SUBMIT's check
 * alone, raising no event.
 */
static void released_read_is_checked_again(struct __test_metadata *_metadata,
					   int flags, __u32 response)
{
	struct perm_listener l = { .response = response, .events = 0 };
	const bool deny = response == FAN_DENY;
	struct acall_sqe sqes[2];
	struct iovec iov[2];
	struct uffd_msg msg;
	struct acall_ring ring;
	struct acall_cqe *cqe;
	void *page, *buf = NULL, *src = NULL;
	int file, held, uffd, i, before;
	pthread_t listener;
	const char *dir;
	void *ret;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_ORDERING);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	l.fan = fanotify_init(FAN_CLASS_CONTENT | FAN_CLOEXEC, O_RDONLY);
	if (l.fan < 0)
		SKIP(return, "no fanotify permission events: %s",
		     strerror(errno));
	held = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, held);
	/*
	 * A permission watch on the filesystem's held file before the read
	 * one is opened: later kernels raise permission events only on a
	 * file opened while its filesystem had one (FMODE_FSNOTIFY_PERM).
	 * The held file is never read.
	 */
	ASSERT_EQ(0, fanotify_mark(l.fan, FAN_MARK_ADD, FAN_ACCESS_PERM, held,
				   NULL));
	l.stop = eventfd(0, EFD_CLOEXEC);
	ASSERT_LE(0, l.stop);
	ASSERT_EQ(0, pthread_create(&listener, NULL, answer_all, &l));
	file = acall_tmpfile(dir, O_RDWR | flags);
	ASSERT_LE(0, file);
	ASSERT_EQ(0, posix_memalign(&buf, LEN, LEN));
	ASSERT_EQ(0, posix_memalign(&src, LEN, LEN));
	memset(src, 0x6b, LEN);
	ASSERT_EQ(LEN, pwrite(file, src, LEN, 0));
	page = mmap(NULL, LEN, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	ASSERT_EQ(0, acall_uffd_hold(uffd, page, LEN, 0));
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));

	iov[0] = (struct iovec){ page, LEN };
	acall_prep_pwritev(&sqes[0], held, &iov[0], 1, 0, 0);
	acall_sqe_set_link(&sqes[0]);
	iov[1] = (struct iovec){ buf, LEN };
	acall_prep_preadv(&sqes[1], file, &iov[1], 1, 0, 0);
	ASSERT_EQ(2, acall_submit(&ring, sqes, 2));
	/* A worker is in the write, on the held page. */
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);

	ASSERT_EQ(0, atomic_load(&l.events));
	ASSERT_EQ(0, fanotify_mark(l.fan, FAN_MARK_ADD, FAN_ACCESS_PERM, file,
				   NULL));
	/* The control: the blocking call raises one and takes its answer. */
	if (deny) {
		ASSERT_EQ(-1, pread(file, buf, LEN, 0));
		ASSERT_EQ(EPERM, errno);
	} else {
		ASSERT_EQ(LEN, pread(file, buf, LEN, 0));
	}
	before = atomic_load(&l.events);
	ASSERT_LE(1, before);

	memset(buf, 0, LEN);
	ASSERT_EQ(0, acall_uffd_copy(uffd, page, src, LEN));
	/* The write completes first: the read starts only after it. */
	for (i = 0; i < 2; i++) {
		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		EXPECT_EQ(i == 1 && deny ? -EPERM : LEN, cqe->res);
		acall_cq_advance(&ring, 1);
	}
	EXPECT_EQ(deny ? 0 : 0x6b, ((unsigned char *)buf)[LEN - 1]);
	/* Asked once: by the worker, just before it read. */
	EXPECT_EQ(before + 1, atomic_load(&l.events))
		TH_LOG("the read sent after the watch raised %d FAN_ACCESS_PERM",
		       atomic_load(&l.events) - before);

	ASSERT_EQ(sizeof(__u64), write(l.stop, &(__u64){ 1 }, sizeof(__u64)));
	ASSERT_EQ(0, pthread_join(listener, &ret));
	EXPECT_EQ(NULL, ret);
	acall_ring_exit(&ring);
	munmap(page, LEN);
	close(l.stop);
	close(l.fan);
	close(uffd);
	close(held);
	close(file);
	free(buf);
	free(src);
}

TEST(a_released_direct_read_is_checked_again_when_sent)
{
	released_read_is_checked_again(_metadata, O_DIRECT, FAN_ALLOW);
}

/* The same of a cached buffered read, which the worker copies itself. */
TEST(a_released_buffered_read_is_checked_again_when_sent)
{
	released_read_is_checked_again(_metadata, 0, FAN_ALLOW);
}

/* A listener's FAN_DENY at that check fails the read with EPERM. */
TEST(a_released_direct_read_denied_when_sent_fails_with_eperm)
{
	released_read_is_checked_again(_metadata, O_DIRECT, FAN_DENY);
}

TEST(a_released_buffered_read_denied_when_sent_fails_with_eperm)
{
	released_read_is_checked_again(_metadata, 0, FAN_DENY);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Tearing a context down while requests are in flight on a slow device
 * (every request takes ACALL_TEST_SLOW_NS): once acall_ring_exit() returns,
 * nothing writes into the caller's buffers any more, whether the reads were
 * blocked in workers waiting for one of the device's four request slots
 * (O_DIRECT; the device copies the data when a request goes out) or for
 * the page cache (buffered misses). With the raw ACALL_IOC_SHUTDOWN, every request has posted its
 * completion when it returns, and no new one is accepted; a WAIT another
 * thread sleeps in on an idle context returns.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define NR	16
#define LEN	(64 << 10)
#define SPAN	((off_t)NR * LEN)
#define NARROW	"4"	/* request slots of the device */
#define SETTLE	5	/* reads in a row that outlast NR on NARROW slots */

FIXTURE(shutdown) {
	struct acall_ring ring;
	const char *bdev;
	struct acall_queue_saved saved;
	int fd;
	unsigned char *buf;
	unsigned char *seen;
};

FIXTURE_VARIANT(shutdown) {
	int flags;
	off_t base;	/* each variant reads a span of its own */
};

FIXTURE_VARIANT_ADD(shutdown, direct) { .flags = O_DIRECT, .base = 0 };
FIXTURE_VARIANT_ADD(shutdown, buffered) { .base = 4 * SPAN };

FIXTURE_SETUP(shutdown)
{
	int wfd;

	self->fd = -1;
	self->ring.fd = -1;
	self->buf = self->seen = NULL;
	self->saved.nr[0] = self->saved.sched[0] = 0;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ACALL_FIXTURE(self->bdev, "ACALL_TEST_SLOW_BDEV");
	ASSERT_EQ(0, posix_memalign((void **)&self->buf, 4096, 2 * SPAN));
	self->seen = malloc(SPAN);
	ASSERT_NE(NULL, self->seen);

	/* The device holds 0x11 where the reads go, the buffers 0xee. */
	wfd = open(self->bdev, O_WRONLY | O_DIRECT);
	ASSERT_LE(0, wfd);
	memset(self->buf, 0x11, 2 * SPAN);
	ASSERT_EQ(2 * SPAN, pwrite(wfd, self->buf, 2 * SPAN, variant->base));
	close(wfd);
	memset(self->buf, 0xee, 2 * SPAN);
	if (variant->flags & O_DIRECT)
		ASSERT_EQ(0, acall_narrow_queue(self->bdev, NARROW, &self->saved));

	self->fd = open(self->bdev, O_RDONLY | variant->flags);
	ASSERT_LE(0, self->fd);
	/* Buffered reads must miss the page cache: they go to workers. */
	ASSERT_EQ(0, posix_fadvise(self->fd, 0, 0, POSIX_FADV_DONTNEED));
	ASSERT_EQ(0, acall_ring_init(&self->ring, NULL));
}

FIXTURE_TEARDOWN(shutdown)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->fd >= 0)
		close(self->fd);
	free(self->buf);
	free(self->seen);
	acall_restore_queue(self->bdev, &self->saved);
}

/* NR reads of LEN, from span number span of the variant's, into buf. */
static void submit_reads(struct __test_metadata *_metadata,
			 FIXTURE_DATA(shutdown) *self, off_t base, int span)
{
	struct acall_sqe sqes[NR];
	struct iovec iov[NR];
	int i;

	for (i = 0; i < NR; i++) {
		iov[i] = (struct iovec){ self->buf + (off_t)span * SPAN + i * LEN,
					 LEN };
		acall_prep_preadv(&sqes[i], self->fd, &iov[i], 1,
				  base + (off_t)span * SPAN + i * LEN, 0);
		acall_sqe_set_data(&sqes[i], i);
	}
	ASSERT_EQ(NR, acall_submit(&self->ring, sqes, NR));
}

/*
 * Let whatever a worker may still send to the device go out: every request
 * takes the same time there, and while SETTLE reads in a row hold one slot
 * at a time, the other slots serve more than NR requests.
 */
static void device_settles(struct __test_metadata *_metadata, const char *bdev,
			   off_t off)
{
	void *tmp = NULL;
	int fd, i;

	ASSERT_EQ(0, posix_memalign(&tmp, 4096, 4096));
	fd = open(bdev, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, fd);
	for (i = 0; i < SETTLE; i++)
		EXPECT_EQ(4096, pread(fd, tmp, 4096, off + i * 4096));
	close(fd);
	free(tmp);
}

TEST_F(shutdown, nothing_writes_into_the_buffers_after_ring_exit)
{
	submit_reads(_metadata, self, variant->base, 0);
	acall_ring_exit(&self->ring);
	memcpy(self->seen, self->buf, SPAN);
	device_settles(_metadata, self->bdev, variant->base + 3 * SPAN);
	EXPECT_EQ(0, memcmp(self->seen, self->buf, SPAN));
}

TEST_F(shutdown, every_completion_is_posted_when_shutdown_returns)
{
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	unsigned int seen = 0;
	int i, n, done = 0;

	ACALL_REQUIRE(ACALL_FEAT_SHUTDOWN);
	submit_reads(_metadata, self, variant->base, 1);
	ASSERT_EQ(0, ioctl(self->ring.fd, ACALL_IOC_SHUTDOWN, 0));

	n = acall_cq_ready(&self->ring);
	ASSERT_EQ(NR, n);
	for (i = 0; i < n; i++) {
		cqe = acall_peek_cqe(&self->ring);
		ASSERT_NE(NULL, cqe);
		ASSERT_GT(NR, cqe->user_data);
		EXPECT_EQ(0, seen & (1u << cqe->user_data));
		seen |= 1u << cqe->user_data;
		/* Done, or stopped by the shutdown: nothing else. */
		if (cqe->res == LEN) {
			EXPECT_EQ(0x11, self->buf[SPAN + cqe->user_data * LEN]);
			done++;
		} else {
			EXPECT_TRUE(cqe->res == -ECANCELED || cqe->res == -EINTR ||
				    (cqe->res > 0 && cqe->res < LEN))
				TH_LOG("request %llu: res %d",
				       (unsigned long long)cqe->user_data, cqe->res);
		}
		acall_cq_advance(&self->ring, 1);
	}
	TH_LOG("%d of %d reads done before the shutdown stopped the rest",
	       done, NR);

	acall_prep_nop(&sqe, 0);
	EXPECT_EQ(-ESHUTDOWN, acall_submit(&self->ring, &sqe, 1));
	EXPECT_EQ(0, acall_cq_ready(&self->ring));
	/* No more will come: WAIT returns what there is, nothing. */
	EXPECT_EQ(0, acall_wait(&self->ring, 1, -1));
	EXPECT_EQ(-ESHUTDOWN, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(NULL, cqe);
}

/* A vfork() child shares the memory, not the context: its teardown only closes. */
TEST_F(shutdown, only_the_owner_may_shut_down)
{
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	int status;
	pid_t pid;

	ACALL_REQUIRE(ACALL_FEAT_SHUTDOWN);
	pid = vfork();
	if (pid == 0)
		_exit(ioctl(self->ring.fd, ACALL_IOC_SHUTDOWN, 0) < 0 ? errno : 0);
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(EPERM, WEXITSTATUS(status));

	/* The owner's context still takes requests. */
	acall_prep_nop(&sqe, 0);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(0, cqe->res);
	acall_cq_advance(&self->ring, 1);
}

/*
 * acall_ring_exit() in a vfork() child: the ring, its queue and the
 * struct are the parent's memory, and the parent goes on using them.
 */
TEST_F(shutdown, ring_exit_in_a_vfork_child_leaves_the_parents_ring)
{
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	int status;
	pid_t pid;

	pid = vfork();
	if (pid == 0) {
		acall_ring_exit(&self->ring);
		_exit(0);
	}
	ASSERT_LT(0, pid);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_LE(0, self->ring.fd);

	acall_prep_nop(&sqe, 0);
	acall_sqe_set_data(&sqe, 7);
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(7, cqe->user_data);
	acall_cq_advance(&self->ring, 1);
}

TEST_F(shutdown, shutdown_takes_no_argument)
{
	ACALL_REQUIRE(ACALL_FEAT_SHUTDOWN);
	EXPECT_EQ(-1, ioctl(self->ring.fd, ACALL_IOC_SHUTDOWN, 1));
	EXPECT_EQ(EINVAL, errno);
}

struct idle_waiter {
	int fd;
	_Atomic pid_t tid;	/* set before it calls WAIT */
	int ret;
};

static void *wait_for_four(void *arg)
{
	struct idle_waiter *w = arg;

	atomic_store(&w->tid, (pid_t)syscall(SYS_gettid));
	w->ret = acall_raw_wait(w->fd, 4, -1);
	return NULL;
}

/*
 * A WAIT asleep on an idle context, for more than will ever come: once
 * another thread shuts the context down nothing can come, and the WAIT
 * returns what there is (nothing) instead of sleeping until a signal.
 */
TEST(shutdown_ends_a_wait_that_sleeps_on_an_idle_context)
{
	struct idle_waiter w = { .ret = -1 };
	struct acall_ring ring;
	pthread_t waiter;
	pid_t tid;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_SHUTDOWN);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	w.fd = ring.fd;
	ASSERT_EQ(0, pthread_create(&waiter, NULL, wait_for_four, &w));
	while (!(tid = atomic_load(&w.tid)))
		sched_yield();
	acall_task_wait_asleep_in_ioctl(tid);
	ASSERT_EQ(0, ioctl(ring.fd, ACALL_IOC_SHUTDOWN, 0));
	ASSERT_EQ(0, pthread_join(waiter, NULL));
	EXPECT_EQ(0, w.ret);
	acall_ring_exit(&ring);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * ACALL_IOC_SETUP copies its answer out without the context's setup lock:
 * a SETUP whose answer faults into a userfaultfd holds no other thread's
 * call, and one whose answer cannot be written is EFAULT and leaves the
 * context to be set up.
 */
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

struct setup_call {
	int fd;
	struct acall_params *params;
	atomic_int tid;
	atomic_int done;
	int ret, err;
};

static void *call_setup(void *arg)
{
	struct setup_call *c = arg;

	atomic_store(&c->tid, syscall(SYS_gettid));
	c->ret = ioctl(c->fd, ACALL_IOC_SETUP, c->params);
	c->err = errno;
	atomic_store(&c->done, 1);
	return NULL;
}

/*
 * Whether thread tid sleeps uninterruptibly (state D): on the context's
 * lock, for a SETUP that has nothing else to sleep on.
 */
static bool asleep_uninterruptibly(pid_t tid)
{
	char stat[512];
	const char *state;

	if (!acall_task_stat(tid, stat, sizeof(stat)))
		return false;
	state = acall_stat_field(stat, 3);
	return state && *state == 'D';
}

/*
 * One thread's SETUP is held in the copy of its answer (a write-protected
 * page a userfaultfd serves); another thread's SETUP of the same context
 * is EBUSY at once meanwhile, and the held one then goes through. With the
 * lock held across the copy, the second slept on it (state D) for as long
 * as the fault lasted.
 */
TEST(answer_held_in_a_fault_holds_no_other_setup)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	struct acall_params second = { .entries = 16 };
	struct setup_call held = { .ret = 0 }, other = { .ret = 0 };
	pthread_t held_thread, other_thread;
	bool blocked = false;
	struct uffd_msg msg;
	void *page, *map;
	int uffd, fd;

	uffd = syscall(SYS_userfaultfd, O_CLOEXEC);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	api.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP;
	if (ioctl(uffd, UFFDIO_API, &api))
		SKIP(return, "no write-protect userfaultfd: %s", strerror(errno));
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	/* Present and filled in: SETUP reads it; only its write faults. */
	held.params = page;
	memset(held.params, 0, sizeof(*held.params));
	held.params->entries = 8;
	reg.range.start = (uintptr_t)page;
	reg.range.len = 4096;
	if (ioctl(uffd, UFFDIO_REGISTER, &reg))
		SKIP(return, "cannot write-protect anonymous memory: %s",
		     strerror(errno));
	wp.range = reg.range;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));

	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	held.fd = other.fd = fd;
	other.params = &second;
	ASSERT_EQ(0, pthread_create(&held_thread, NULL, call_setup, &held));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_TRUE(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP);

	/* The held call is in the copy now; the other one must not wait. */
	ASSERT_EQ(0, pthread_create(&other_thread, NULL, call_setup, &other));
	while (!atomic_load(&other.done) && !blocked) {
		pid_t tid = atomic_load(&other.tid);

		blocked = tid && asleep_uninterruptibly(tid);
		sched_yield();
	}

	wp.mode = 0;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));
	ASSERT_EQ(0, pthread_join(held_thread, NULL));
	ASSERT_EQ(0, pthread_join(other_thread, NULL));
	EXPECT_FALSE(blocked);
	EXPECT_EQ(-1, other.ret);
	EXPECT_EQ(EBUSY, other.err);
	EXPECT_EQ(0, held.ret);

	/* The context is the held call's, 8 entries, as its answer says. */
	map = mmap(NULL, held.params->ring_bytes, PROT_READ | PROT_WRITE,
		   MAP_SHARED, fd, 0);
	ASSERT_NE(MAP_FAILED, map);
	EXPECT_EQ(8, *(__u32 *)((char *)map + held.params->ring.ring_entries));
	munmap(map, held.params->ring_bytes);
	close(fd);
	close(uffd);
	munmap(page, 4096);
}

/*
 * An answer that cannot be written (a read-only page) is EFAULT, and
 * nothing was set up: the context is still to be set up (EBADFD for
 * anything else), and SETUP then works.
 */
TEST(unwritable_answer_is_efault_and_sets_up_nothing)
{
	struct acall_params *ro;
	struct acall_raw r;
	__s32 efd = -1;
	int fd;

	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	memset(ro, 0, sizeof(*ro));
	ro->entries = 8;
	ASSERT_EQ(0, mprotect(ro, 4096, PROT_READ));

	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SETUP, ro));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_EVENTFD, &efd));
	EXPECT_EQ(EBADFD, errno);
	ASSERT_EQ(0, acall_raw_setup(&r, fd, 8));
	EXPECT_EQ(8, r.mask + 1);
	acall_raw_unmap(&r);
	close(fd);
	munmap(ro, 4096);
}

TEST_HARNESS_MAIN

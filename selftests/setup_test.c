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
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

struct setup_call {
	int fd;
	struct acall_params *params;
	int ret;
};

static void *call_setup(void *arg)
{
	struct setup_call *c = arg;

	c->ret = ioctl(c->fd, ACALL_IOC_SETUP, c->params);
	return NULL;
}

/*
 * One thread's SETUP is held in the copy of its answer (a write-protected
 * page a userfaultfd serves); meanwhile another SETUP of the same context,
 * from this thread, is EBUSY at once, and the held one then goes through.
 * With the lock held across the copy, the second slept on it (state D)
 * for as long as the fault lasted: here, for ever (the harness's timeout).
 */
TEST(answer_held_in_a_fault_holds_no_other_setup)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_WP };
	struct uffdio_writeprotect wp = { .mode = UFFDIO_WRITEPROTECT_MODE_WP };
	struct acall_params second = { .entries = 16 };
	struct setup_call held = { .ret = 0 };
	pthread_t held_thread;
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
	held.fd = fd;
	ASSERT_EQ(0, pthread_create(&held_thread, NULL, call_setup, &held));
	ASSERT_EQ(sizeof(msg), read(uffd, &msg, sizeof(msg)));
	ASSERT_EQ(UFFD_EVENT_PAGEFAULT, msg.event);
	ASSERT_TRUE(msg.arg.pagefault.flags & UFFD_PAGEFAULT_FLAG_WP);

	/* The held call is in the copy now; this one must not wait. */
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_SETUP, &second));
	EXPECT_EQ(EBUSY, errno);

	wp.mode = 0;
	ASSERT_EQ(0, ioctl(uffd, UFFDIO_WRITEPROTECT, &wp));
	ASSERT_EQ(0, pthread_join(held_thread, NULL));
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

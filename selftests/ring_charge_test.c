// SPDX-License-Identifier: GPL-2.0
/*
 * The completion ring's pages are the memory of the process that set the
 * context up: charged to its memory cgroup while the context lives, given
 * back when it is gone, and still mapped into the process as before.
 */
#include <acall.h>

#include "kselftest_harness.h"
#include "acall_test.h"

#define RINGS	8

FIXTURE(memcg)
{
	char dir[96];
	int fds[RINGS];
	struct acall_params params;
};

FIXTURE_SETUP(memcg)
{
	int ret;

	for (int i = 0; i < RINGS; i++)
		self->fds[i] = -1;
	self->dir[0] = '\0';
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ret = acall_memcg_enter("acall-ring", self->dir, sizeof(self->dir));
	if (ret == -ENODEV)
		SKIP(return, "no memory controller at /sys/fs/cgroup");
	ASSERT_EQ(0, ret);
}

FIXTURE_TEARDOWN(memcg)
{
	char pid[16];

	for (int i = 0; i < RINGS; i++)
		if (self->fds[i] >= 0)
			close(self->fds[i]);
	if (!self->dir[0])
		return;
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	EXPECT_EQ(0, acall_cg_write("", "cgroup.procs", pid));
	/* The contexts' memory may still be going: it is the kernel's then. */
	EXPECT_EQ(0, rmdir(self->dir));
}

/* Open and set up a context with the largest ring; its fd, or -errno. */
static int big_ring(struct acall_params *p)
{
	struct acall_probe probe;
	int fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC), err;

	if (fd < 0)
		return -errno;
	memset(p, 0, sizeof(*p));
	if (ioctl(fd, ACALL_IOC_PROBE, &probe))
		goto fail;
	p->entries = probe.max_entries;
	if (ioctl(fd, ACALL_IOC_SETUP, p))
		goto fail;
	return fd;
fail:
	err = errno;
	close(fd);
	return -err;
}

/*
 * RINGS rings of the largest size add at least their bytes to the
 * cgroup's memory.current, less what the kernel had charged ahead: a
 * per-CPU stock of 64 pages at most, on each CPU this test charged from
 * (1 MiB covers four). Without the charge, the contexts add a few KiB.
 */
TEST_F(memcg, ring_is_charged_to_the_setup_process_cgroup)
{
	long long before, after, now, gone, rings;

	if (acall_kmem_off())
		SKIP(return, "cgroup.memory=nokmem: no kernel memory is charged");
	before = acall_cg_value(self->dir, "memory.current", NULL);
	ASSERT_LE(0, before);
	for (int i = 0; i < RINGS; i++) {
		self->fds[i] = big_ring(&self->params);
		ASSERT_LE(0, self->fds[i])
			TH_LOG("setup: %s", strerror(-self->fds[i]));
	}
	after = acall_cg_value(self->dir, "memory.current", NULL);
	rings = RINGS * (long long)self->params.ring_bytes;
	EXPECT_LE(rings - (1 << 20), after - before)
		TH_LOG("%d rings of %llu bytes added %lld bytes to memory.current",
		       RINGS, (unsigned long long)self->params.ring_bytes,
		       after - before);

	/*
	 * Closed, each context is freed at once, or in a workqueue if a
	 * request or worker still held it: the charge goes with its ring. A
	 * charge never given back hangs here until the harness's timeout
	 * fails the test.
	 */
	for (int i = 0; i < RINGS; i++) {
		close(self->fds[i]);
		self->fds[i] = -1;
	}
	do {
		now = acall_cg_value(self->dir, "memory.current", NULL);
		ASSERT_LE(0, now);
		gone = after - now;
		if (gone < rings - (1 << 20))
			ASSERT_EQ(0, usleep(10000));
	} while (gone < rings - (1 << 20));
}

/* The VmFlags line of /proc/self/smaps for the mapping at addr, or "". */
static void vm_flags_of(void *addr, char *out, size_t len)
{
	char line[512];
	unsigned long start, end;
	bool here = false;
	FILE *f = fopen("/proc/self/smaps", "r");

	out[0] = '\0';
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			here = start == (unsigned long)addr;
		else if (here && !strncmp(line, "VmFlags:", 8)) {
			snprintf(out, len, "%s", line + 8);
			break;
		}
	}
	if (f)
		fclose(f);
}

/*
 * The ring is still the process's to map and read, shared, whole; not
 * copied into a child (dc), dumped (dd) or grown (de).
 */
TEST_F(memcg, charged_ring_maps_whole_and_shared)
{
	volatile __u32 *entries;
	char flags[512];
	void *map;

	self->fds[0] = big_ring(&self->params);
	ASSERT_LE(0, self->fds[0]);
	EXPECT_EQ(MAP_FAILED, mmap(NULL, self->params.ring_bytes,
				   PROT_READ | PROT_WRITE, MAP_PRIVATE,
				   self->fds[0], 0));
	EXPECT_EQ(EINVAL, errno);
	map = mmap(NULL, self->params.ring_bytes, PROT_READ | PROT_WRITE,
		   MAP_SHARED, self->fds[0], 0);
	ASSERT_NE(MAP_FAILED, map);
	entries = (__u32 *)((char *)map + self->params.ring.ring_entries);
	EXPECT_EQ(self->params.entries, *entries);
	/* Its last byte is there and zero: no cqe was ever written. */
	EXPECT_EQ(0, ((volatile char *)map)[self->params.ring_bytes - 1]);
	vm_flags_of(map, flags, sizeof(flags));
	EXPECT_NE(NULL, strstr(flags, " dc")) TH_LOG("VmFlags:%s", flags);
	EXPECT_NE(NULL, strstr(flags, " dd")) TH_LOG("VmFlags:%s", flags);
	EXPECT_NE(NULL, strstr(flags, " de")) TH_LOG("VmFlags:%s", flags);
	/* mremap() may not grow it past the ring. */
	EXPECT_EQ(MAP_FAILED, mremap(map, self->params.ring_bytes,
				     2 * self->params.ring_bytes, MREMAP_MAYMOVE));
	EXPECT_EQ(0, munmap(map, self->params.ring_bytes));
}

TEST_HARNESS_MAIN

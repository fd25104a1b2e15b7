/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by acall's engine selftests. Include after
 * "kselftest_harness.h" and <acall.h>.
 *
 * Fixtures prepared by run_tests.sh (a test that needs one and finds it
 * absent SKIPs, naming the variable):
 *   ACALL_TEST_EXT4        ext4 mount point on a fast (brd) device
 *   ACALL_TEST_EXT4_DEV    the block device under ACALL_TEST_EXT4
 *   ACALL_TEST_XFS         XFS mount point on a fast (brd) device: a
 *                          filesystem with non-blocking buffered writes
 *   ACALL_TEST_EXT4_JOURNAL  ext4 mounted data=journal on a fast (brd)
 *                          device: O_DIRECT falls back to buffered
 *   ACALL_TEST_BDEV        a spare fast block device (brd), no filesystem
 *   ACALL_TEST_SLOW_BDEV   a memory-backed null_blk whose every request
 *                          takes hundreds of ms, no filesystem
 *   ACALL_TEST_SLOW_EXT4   ext4 mount point on another such device
 */
#ifndef ACALL_SELFTEST_H
#define ACALL_SELFTEST_H

/*
 * TEST_F()'s wrapper, from kselftest_harness.h, calls setjmp(); at -O2
 * -Wextra's -Wclobbered then warns about the wrapper's own locals and
 * -Werror fails the build. The kernel builds the harness without -Wextra;
 * the warning is about code this tree does not own.
 */
#pragma GCC diagnostic ignored "-Wclobbered"

/*
 * The harness's 30 s a test is there to end a hang. The debug kernel
 * (KASAN, lockdep) on a host busy with other work runs a test that takes
 * a second on a quiet machine in more than that: load-test.sh saw it. A
 * test that hangs still ends, at this or at run_tests.sh's bound on the
 * whole binary.
 */
#undef TEST_TIMEOUT_DEFAULT
#define TEST_TIMEOUT_DEFAULT	180

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include <linux/userfaultfd.h>
#include <sys/syscall.h>

/* ---- the module ---------------------------------------------------------- */

static inline __u64 acall_test_features(void)
{
	struct acall_probe probe;

	if (acall_probe(-1, &probe))
		return 0;
	return probe.features;
}

/* SKIP unless the module announces every feature in feat. */
#define ACALL_REQUIRE(feat) do {					\
	__u64 _have = acall_test_features();				\
	if ((_have & (feat)) != (__u64)(feat))				\
		SKIP(return, "module lacks features 0x%llx (has 0x%llx)", \
		     (unsigned long long)((feat) & ~_have),		\
		     (unsigned long long)_have);			\
} while (0)

/* SKIP unless fixture variable name is set; evaluates to its value. */
#define ACALL_FIXTURE(var, name) do {					\
	(var) = getenv(name);						\
	if (!(var) || !*(var))						\
		SKIP(return, "fixture %s not set up (see run_tests.sh)", name); \
} while (0)

/*
 * The FIXTURE_SETUP and FIXTURE_TEARDOWN of the tests on files: a context
 * of nr_entries (0: the default) and a temporary file, in variant->dir or in
 * the directory the fixture variable variant->env names. self needs ring,
 * dir and fd; the variant env and dir.
 */
#define ACALL_FILE_FIXTURE_SETUP(nr_entries) do {				\
	struct acall_options _opts = { .entries = (nr_entries) };	\
									\
	self->fd = -1;							\
	self->ring.fd = -1;						\
	ACALL_REQUIRE(ACALL_FEAT_RING);					\
	self->dir = variant->dir;					\
	if (variant->env)						\
		ACALL_FIXTURE(self->dir, variant->env);			\
	self->fd = acall_tmpfile(self->dir, O_RDWR);			\
	ASSERT_LE(0, self->fd);						\
	ASSERT_EQ(0, acall_ring_init(&self->ring, &_opts));		\
} while (0)

#define ACALL_FILE_FIXTURE_TEARDOWN() do {				\
	if (self->ring.fd >= 0)						\
		acall_ring_exit(&self->ring);				\
	if (self->fd >= 0)						\
		close(self->fd);					\
} while (0)

/* ---- data patterns ------------------------------------------------------- */

/* The byte a pattern puts at file offset off: depends on the offset, so a
 * byte landing in the wrong place is noticed. */
static inline unsigned char acall_pat(__u64 off, unsigned int seed)
{
	return (unsigned char)((off * 131) ^ (off >> 9) ^ (seed * 77) ^ 0x5a);
}

static inline void acall_fill(void *buf, size_t len, __u64 off,
			      unsigned int seed)
{
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		p[i] = acall_pat(off + i, seed);
}

/* Index of the first byte that does not match the pattern, or -1. */
static inline long acall_check(const void *buf, size_t len, __u64 off,
			       unsigned int seed)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != acall_pat(off + i, seed))
			return (long)i;
	return -1;
}

/* Index of the first non-zero byte, or -1. */
static inline long acall_check_zero(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return (long)i;
	return -1;
}

/* ---- knobs (sysfs, debugfs, procfs) --------------------------------------- */

/*
 * The knob at path: read what it holds into old (old_len bytes, as read,
 * newline included) unless old is NULL, then write val unless val is NULL.
 * 0 or -errno.
 */
static inline int acall_knob_swap(const char *path, char *old, size_t old_len,
				  const char *val)
{
	int flags = old ? (val ? O_RDWR : O_RDONLY) : O_WRONLY;
	ssize_t n;
	int fd;

	fd = open(path, flags);
	if (fd < 0)
		return -errno;
	if (old) {
		n = read(fd, old, old_len - 1);
		old[n > 0 ? n : 0] = 0;
	}
	n = val ? write(fd, val, strlen(val)) : 0;
	close(fd);
	return n < 0 ? -errno : 0;
}

/* ---- block devices -------------------------------------------------------- */

/* /sys/block/NAME/queue/ATTR of the device at dev: read old, write val. */
static inline int acall_queue_attr(const char *dev, const char *attr,
				   char *old, size_t old_len, const char *val)
{
	const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
	char path[128];

	snprintf(path, sizeof(path), "/sys/block/%s/queue/%s", name, attr);
	return acall_knob_swap(path, old, old_len, val);
}

/* A device's scheduler and depth, as acall_narrow_queue() found them. */
struct acall_queue_saved {
	char sched[128];
	char nr[32];
};

/*
 * Leave the device nr_requests request slots (4 at least, the block
 * layer's minimum) and no I/O scheduler, so that a few slow requests hold
 * every slot and the next cannot go out without waiting.
 */
static inline int acall_narrow_queue(const char *dev, const char *nr,
				     struct acall_queue_saved *saved)
{
	int ret;

	saved->sched[0] = saved->nr[0] = 0;
	ret = acall_queue_attr(dev, "scheduler", saved->sched,
			       sizeof(saved->sched), "none");
	if (!ret)
		ret = acall_queue_attr(dev, "nr_requests", saved->nr,
				       sizeof(saved->nr), nr);
	return ret;
}

static inline void acall_restore_queue(const char *dev,
				       struct acall_queue_saved *saved)
{
	char *sel;

	if (saved->nr[0])
		acall_queue_attr(dev, "nr_requests", NULL, 0, saved->nr);
	/* "[mq-deadline] none": write back the one in brackets. */
	sel = strchr(saved->sched, '[');
	if (sel) {
		sel[strcspn(sel, "]")] = 0;
		acall_queue_attr(dev, "scheduler", NULL, 0, sel + 1);
	}
}

/* ---- files --------------------------------------------------------------- */

/*
 * A new empty regular file in dir, already unlinked, opened with flags
 * (O_RDWR, plus O_DIRECT or others). Returns the fd or -errno.
 */
static inline int acall_tmpfile(const char *dir, int flags)
{
	char path[PATH_MAX];
	int fd, ret;

	snprintf(path, sizeof(path), "%s/acall-test.XXXXXX", dir);
	fd = mkstemp(path);
	if (fd < 0)
		return -errno;
	if (flags != O_RDWR) {
		/* Reopen for flags mkstemp does not take, e.g. O_DIRECT. */
		ret = open(path, flags);
		if (ret < 0)
			ret = -errno;
		close(fd);
		fd = ret;
	}
	unlink(path);
	return fd;
}

/* A second, independent open file of the same inode (own flags). */
static inline int acall_reopen(int fd, int flags)
{
	char path[64];
	int ret;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ret = open(path, flags);
	return ret < 0 ? -errno : ret;
}

/* Write the pattern to [off, off + len) with plain pwrite. 0 or -errno. */
static inline int acall_pwrite_pattern(int fd, __u64 off, size_t len,
				       unsigned int seed)
{
	void *buf;
	ssize_t n;

	if (posix_memalign(&buf, 4096, len ? len : 1))
		return -ENOMEM;
	acall_fill(buf, len, off, seed);
	n = pwrite(fd, buf, len, off);
	free(buf);
	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

/*
 * Whether the kernel was booted to charge no kernel memory to memory
 * cgroups (cgroup.memory=nokmem, alone or in a list).
 */
static inline bool acall_kmem_off(void)
{
	char line[4096] = "", *opt;
	FILE *f = fopen("/proc/cmdline", "r");

	if (f) {
		if (!fgets(line, sizeof(line), f))
			line[0] = '\0';
		fclose(f);
	}
	for (opt = strtok(line, " \n"); opt; opt = strtok(NULL, " \n"))
		if (!strncmp(opt, "cgroup.memory=", 14) &&
		    strstr(opt + 14, "nokmem"))
			return true;
	return false;
}

/* ---- cgroups (v2, at /sys/fs/cgroup) ------------------------------------- */

/* Write str to /sys/fs/cgroup/<cg>/<file> (cg "" is the root); 0 or -errno. */
static inline int acall_cg_write(const char *cg, const char *file,
				 const char *str)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/fs/cgroup/%s%s%s", cg, *cg ? "/" : "",
		 file);
	return acall_knob_swap(path, NULL, 0, str);
}

/*
 * The number in a cgroup file such as pids.current (key NULL), or of key
 * in one such as pids.events, under the cgroup directory dir; -1 if absent.
 */
static inline long long acall_cg_value(const char *dir, const char *file,
				       const char *key)
{
	char path[192], name[64];
	long long val, ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!key) {
		if (fscanf(f, "%lld", &val) == 1)
			ret = val;
	} else {
		while (fscanf(f, "%63s %lld", name, &val) == 2)
			if (!strcmp(name, key))
				ret = val;
	}
	fclose(f);
	return ret;
}

/*
 * Make the memory cgroup <name>-<pid> and move this process into it; its
 * directory goes to dir. 0, -ENODEV when there is no memory controller
 * (the caller SKIPs), or -errno.
 */
static inline int acall_memcg_enter(const char *name, char *dir, size_t len)
{
	char cg[64], pid[16];

	if (acall_cg_write("", "cgroup.subtree_control", "+memory\n"))
		return -ENODEV;
	snprintf(cg, sizeof(cg), "%s-%d", name, (int)getpid());
	snprintf(dir, len, "/sys/fs/cgroup/%s", cg);
	if (mkdir(dir, 0755))
		return -errno;
	snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
	return acall_cg_write(cg, "cgroup.procs", pid);
}

/* Drop clean page cache (and slab) system-wide. 0 or -errno. */
static inline int acall_drop_caches(void)
{
	int fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	int ret = 0;

	if (fd < 0)
		return -errno;
	sync();
	if (write(fd, "3", 1) != 1)
		ret = -errno;
	close(fd);
	return ret;
}

/* ---- requests ------------------------------------------------------------ */

/*
 * Wait for and reap exactly nr completions of requests already submitted
 * into out[], in completion order. 0 or -errno.
 */
static inline int acall_reap(struct acall_ring *ring, struct acall_cqe *out,
			     unsigned int nr)
{
	struct acall_cqe *cqe;
	unsigned int i;
	int ret;

	for (i = 0; i < nr; i++) {
		ret = acall_wait_cqe(ring, &cqe, -1);
		if (ret < 0)
			return ret;
		out[i] = *cqe;
		acall_cq_advance(ring, 1);
	}
	return 0;
}

/*
 * Submit all nr requests (the ring must have room) and reap exactly nr
 * completions into out[] in completion order. 0 or -errno.
 */
static inline int acall_run(struct acall_ring *ring,
			    const struct acall_sqe *sqes, unsigned int nr,
			    struct acall_cqe *out)
{
	unsigned int sent = 0;
	int ret;

	while (sent < nr) {
		ret = acall_submit(ring, sqes + sent, nr - sent);
		if (ret < 0)
			return ret;
		if (ret == 0)
			return -EPROTO;
		sent += ret;
	}
	return acall_reap(ring, out, nr);
}

/*
 * One request, its completion's res; the sqe's user_data is checked to come
 * back. A negative errno of the machinery itself is returned as
 * ACALL_RUN_FAILED - errno, far below any res.
 */
#define ACALL_RUN_FAILED	(-100000)
static inline int acall_run1(struct acall_ring *ring, struct acall_sqe *sqe)
{
	struct acall_cqe cqe;
	int ret;

	if (!sqe->user_data)
		sqe->user_data = 0xacca11;
	ret = acall_run(ring, sqe, 1, &cqe);
	if (ret)
		return ACALL_RUN_FAILED + ret;
	if (cqe.user_data != sqe->user_data)
		return ACALL_RUN_FAILED - EPROTO;
	return cqe.res;
}

/* ---- workers ------------------------------------------------------------- */

/*
 * The first line of the file at path that starts with key, into out. 0,
 * -ENOENT when no line does, -EOVERFLOW when it does not fit in len, or
 * -errno of the open.
 */
static inline int acall_file_line(const char *path, const char *key,
				  char *out, size_t len)
{
	char line[256];
	bool at_start = true;	/* line starts a line of the file */
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		bool whole = strchr(line, '\n') || feof(f);

		if (at_start && !strncmp(line, key, strlen(key))) {
			size_t n = snprintf(out, len, "%s", line);

			fclose(f);
			return whole && n < len ? 0 : -EOVERFLOW;
		}
		at_start = whole;
	}
	fclose(f);
	return -ENOENT;
}

/* acall_file_line() of /proc/self/task/<tid>/<file>. */
static inline int acall_task_line(pid_t tid, const char *file,
				  const char *key, char *out, size_t len)
{
	char path[96];

	snprintf(path, sizeof(path), "/proc/self/task/%d/%s", (int)tid, file);
	return acall_file_line(path, key, out, len);
}

/* Count in dir (of /proc/<tid> entries) the threads whose comm has prefix. */
static inline int acall_comm_scan(const char *dir, const char *prefix,
				  pid_t *tids, int max, int n)
{
	char path[600], comm[32];
	struct dirent *de;
	DIR *d = opendir(dir);

	if (!d)
		return n;
	while ((de = readdir(d))) {
		ssize_t len;
		int fd;

		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof(path), "%s/%s/comm", dir, de->d_name);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;	/* gone meanwhile */
		len = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (len <= 0)
			continue;
		comm[len] = 0;
		if (strncmp(comm, prefix, strlen(prefix)))
			continue;
		if (tids && n < max)
			tids[n] = atoi(de->d_name);
		n++;
	}
	closedir(d);
	return n;
}

/*
 * Threads whose comm starts "acall/<pid>:" (the workers of pid's contexts):
 * its own threads, or kernel threads of an older module. Up to max of
 * their tids go to tids (may be NULL). Returns how many exist.
 */
static inline int acall_workers_of(pid_t pid, pid_t *tids, int max)
{
	char prefix[32], task[64];
	int n;

	snprintf(prefix, sizeof(prefix), "acall/%d:", (int)pid);
	snprintf(task, sizeof(task), "/proc/%d/task", (int)pid);
	n = acall_comm_scan(task, prefix, tids, max, 0);
	return acall_comm_scan("/proc", prefix, tids, max, n);
}

/*
 * A watchdog thread's wait: whether *done stayed false for bound_s seconds
 * (checked every 10 ms), after which the watchdog undoes the hang it
 * guards against, so that a failing test fails instead of stalling the VM.
 */
static inline bool acall_watchdog_expired(atomic_bool *done,
					  unsigned int bound_s)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	unsigned int i;

	for (i = 0; i < bound_s * 100; i++) {
		if (atomic_load(done))
			return false;
		nanosleep(&ts, NULL);
	}
	return true;
}

/*
 * Poll for a state change: until pid has no acall worker left, re-checking
 * every 10 ms for at most bound_s seconds (a generous bound, not a
 * measurement). Returns the number of workers still there at the end.
 */
static inline int acall_wait_workers_gone(pid_t pid, unsigned int bound_s)
{
	struct timespec ts = { 0, 10 * 1000 * 1000 };
	unsigned int i;
	int n = acall_workers_of(pid, NULL, 0);

	for (i = 0; n > 0 && i < bound_s * 100; i++) {
		nanosleep(&ts, NULL);
		n = acall_workers_of(pid, NULL, 0);
	}
	return n;
}

/*
 * Two pages, the second inaccessible (PROT_NONE): what ends at the end of
 * the first is readable, what runs past it faults. Returns the first page
 * (munmap(page, 8192) when done), or MAP_FAILED.
 */
static inline char *acall_page_before_hole(void)
{
	char *page = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page != MAP_FAILED && mprotect(page + 4096, 4096, PROT_NONE)) {
		munmap(page, 8192);
		page = MAP_FAILED;
	}
	return page;
}

/* ---- the raw ABI, without libacall ---------------------------------------- */

/* A context driven with the ioctls themselves. */
struct acall_raw {
	int fd;
	void *map;
	size_t len;
	__u32 *head, *tail, mask;
	__u32 *ring_mask, *ring_entries, *flags;	/* as mapped */
	struct acall_cqe *cqes;
	struct acall_ring_offsets off;			/* SETUP's answer */
};

/* Map r's ring (again), as SETUP's answer in r says. 0 or -errno. */
static inline int acall_raw_remap(struct acall_raw *r)
{
	r->map = mmap(NULL, r->len, PROT_READ | PROT_WRITE, MAP_SHARED, r->fd, 0);
	if (r->map == MAP_FAILED)
		return -errno;
	r->head = (__u32 *)((char *)r->map + r->off.head);
	r->tail = (__u32 *)((char *)r->map + r->off.tail);
	r->ring_mask = (__u32 *)((char *)r->map + r->off.ring_mask);
	r->ring_entries = (__u32 *)((char *)r->map + r->off.ring_entries);
	r->flags = (__u32 *)((char *)r->map + r->off.flags);
	r->mask = *r->ring_mask;
	r->cqes = (struct acall_cqe *)((char *)r->map + r->off.cqes);
	return 0;
}

/*
 * ACALL_IOC_SETUP with the parameters at p on an open /dev/acall, then map
 * the ring. 0 or -errno.
 */
static inline int acall_raw_setup_params(struct acall_raw *r, int fd,
					 struct acall_params *p)
{
	memset(r, 0, sizeof(*r));
	r->fd = fd;
	if (ioctl(fd, ACALL_IOC_SETUP, p))
		return -errno;
	r->len = p->ring_bytes;
	r->off = p->ring;
	return acall_raw_remap(r);
}

/* The same with only a size and flags (ACALL_SETUP_*). */
static inline int acall_raw_setup_flags(struct acall_raw *r, int fd,
					__u32 entries, __u32 flags)
{
	struct acall_params p;

	memset(&p, 0, sizeof(p));
	p.entries = entries;
	p.flags = flags;
	return acall_raw_setup_params(r, fd, &p);
}

/* The same with no flags: kernel-thread workers. */
static inline int acall_raw_setup(struct acall_raw *r, int fd, __u32 entries)
{
	return acall_raw_setup_flags(r, fd, entries, 0);
}

/* ACALL_IOC_SUBMIT: how many were taken, or -errno. */
static inline int acall_raw_submit(int fd, const struct acall_sqe *sqes,
				   __u32 nr)
{
	struct acall_submit s = { .sqes = (__u64)(uintptr_t)sqes, .nr = nr };
	int ret = ioctl(fd, ACALL_IOC_SUBMIT, &s);

	return ret < 0 ? -errno : ret;
}

/* ACALL_IOC_WAIT: how many are ready, or -errno. */
static inline int acall_raw_wait(int fd, __u32 min, __s64 timeout_ns)
{
	struct acall_wait w = { .min_complete = min, .timeout_ns = timeout_ns };
	int ret = ioctl(fd, ACALL_IOC_WAIT, &w);

	return ret < 0 ? -errno : ret;
}

/* Wait for and consume the oldest completion. 0 or -errno. */
static inline int acall_raw_reap(struct acall_raw *r, struct acall_cqe *out)
{
	__u32 head = *r->head;
	int ret;

	if (head == __atomic_load_n(r->tail, __ATOMIC_ACQUIRE)) {
		ret = acall_raw_wait(r->fd, 1, -1);
		if (ret < 0)
			return ret;
	}
	*out = r->cqes[head & r->mask];
	__atomic_store_n(r->head, head + 1, __ATOMIC_RELEASE);
	return 0;
}

/*
 * One NOP of delay_ns (delayed: a worker runs it) on queue, submitted and
 * reaped: its res, or -errno of the machinery.
 */
static inline int acall_raw_nop(struct acall_raw *r, __u16 queue,
				__u64 delay_ns)
{
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	int ret;

	acall_prep_nop(&sqe, delay_ns);
	acall_sqe_set_queue(&sqe, queue);
	acall_sqe_set_data(&sqe, 1);
	ret = acall_raw_submit(r->fd, &sqe, 1);
	if (ret != 1)
		return ret < 0 ? ret : -EPROTO;
	ret = acall_raw_reap(r, &cqe);
	if (ret)
		return ret;
	return cqe.user_data == 1 ? cqe.res : -EPROTO;
}

static inline void acall_raw_unmap(struct acall_raw *r)
{
	if (r->map && r->map != MAP_FAILED)
		munmap(r->map, r->len);
	r->map = NULL;
}

/*
 * ACALL_IOC_SERVE in the calling thread until it returns for good: called
 * again after EINTR, as the ABI asks of a thread that took its signal.
 * 0 (idle, or the context shut down) or -errno.
 */
static inline int acall_raw_serve(int fd)
{
	int ret;

	while ((ret = ioctl(fd, ACALL_IOC_SERVE, 0)) < 0 && errno == EINTR)
		;
	return ret < 0 ? -errno : ret;
}

/* A thread's start routine: acall_raw_serve(*(int *)fdp), as a pointer. */
static inline void *acall_raw_serve_thread(void *fdp)
{
	return (void *)(intptr_t)acall_raw_serve(*(int *)fdp);
}

/* ---- userfaultfd --------------------------------------------------------- */

/*
 * Hold the missing pages of [addr, addr + len) on userfaultfd uffd, with
 * features (UFFD_FEATURE_*): a thread that touches one waits until the
 * test supplies it. 0 or -errno.
 */
static inline int acall_uffd_hold(int uffd, void *addr, size_t len,
				  __u64 features)
{
	struct uffdio_api api = { .api = UFFD_API, .features = features };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };

	reg.range.start = (uintptr_t)addr;
	reg.range.len = len;
	if (ioctl(uffd, UFFDIO_API, &api) || ioctl(uffd, UFFDIO_REGISTER, &reg))
		return -errno;
	return 0;
}

/* Supply the held pages at dst with len bytes from src. 0 or -errno. */
static inline int acall_uffd_copy(int uffd, void *dst, const void *src,
				  size_t len)
{
	struct uffdio_copy copy = {
		.dst = (uintptr_t)dst, .src = (uintptr_t)src, .len = len,
	};

	return ioctl(uffd, UFFDIO_COPY, &copy) ? -errno : 0;
}

/* Supply the held pages of [addr, addr + len) as zeroes. 0 or -errno. */
static inline int acall_uffd_zeropage(int uffd, void *addr, size_t len)
{
	struct uffdio_zeropage zp = { .mode = 0 };

	zp.range.start = (uintptr_t)addr;
	zp.range.len = len;
	return ioctl(uffd, UFFDIO_ZEROPAGE, &zp) ? -errno : 0;
}

/*
 * Keep the calling thread on the CPU it runs on, so that whatever it queues
 * goes to one pool (its node's), whichever pool a request picks. 0 or -errno.
 */
static inline int acall_pin_to_this_cpu(void)
{
	cpu_set_t one;
	int cpu = sched_getcpu();

	if (cpu < 0)
		return -errno;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	return sched_setaffinity(0, sizeof(one), &one) ? -errno : 0;
}

/* ---- module parameters --------------------------------------------------- */

#define ACALL_PARAM_DIR	"/sys/module/acall/parameters/"

/* The value of the module's parameter name, or -1 when it cannot be read. */
static inline long long acall_param_read(const char *name)
{
	char path[128], buf[32] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), ACALL_PARAM_DIR "%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? atoll(buf) : -1;
}

/* Set the module's parameter name to value. 0 or -errno. */
static inline int acall_param_write(const char *name, long long value)
{
	char path[128], buf[32];
	int fd, len, ret = 0;

	snprintf(path, sizeof(path), ACALL_PARAM_DIR "%s", name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -errno;
	len = snprintf(buf, sizeof(buf), "%lld", value);
	if (write(fd, buf, len) != len)
		ret = -errno;
	close(fd);
	return ret;
}

/*
 * Drop capability cap (a CAP_ number below 32) from this thread's
 * effective and permitted sets, for good. 0 or -errno.
 */
static inline int acall_drop_capability(int cap)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &hdr, data))
		return -errno;
	data[0].effective &= ~(1U << cap);
	data[0].permitted &= ~(1U << cap);
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

/* ---- counters ------------------------------------------------------------ */

/* after - before of one counter field. */
#define ACALL_DELTA(a, b, field) ((long long)((b).field - (a).field))

#endif /* ACALL_SELFTEST_H */

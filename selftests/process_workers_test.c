// SPDX-License-Identifier: GPL-2.0
/*
 * The workers are threads of the process (ACALL_SETUP_PROCESS_WORKERS, as
 * libacall sets contexts up): the thread that runs a blocking request is
 * one of ours, under our identity, nice level, I/O priority and cgroup.
 *
 * Which thread runs a request is seen exactly, not guessed: the request
 * reads into a buffer whose second page userfaultfd holds, past an inline
 * bound of one page, so a worker copies it and faults; the fault names its
 * thread, which stays there until the test lets it go.
 */
#include <dirent.h>
#include <grp.h>
#include <linux/ioprio.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define PAGE		4096
#define FAULT_BOUND_MS	60000	/* generous: TCG is slow */
#define NOBODY		65534

FIXTURE(held) {
	struct acall_ring ring;
	bool ring_up;
	char *buf;
	int fd, uffd;
};

FIXTURE_SETUP(held)
{
	const char *dir;

	self->fd = -1;
	self->uffd = -1;
	self->ring_up = false;
	self->buf = MAP_FAILED;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS |
		      ACALL_FEAT_INLINE_BOUND);
	/* ext4 reads with IOCB_NOWAIT: the first page is copied inline. */
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	self->fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, 2 * PAGE, 9));
	self->buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0, PAGE);
	/* Made by root, it also takes faults of a worker (kernel mode). */
	self->uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (self->uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	ASSERT_EQ(0, acall_uffd_hold(self->uffd, self->buf + PAGE, PAGE,
				     UFFD_FEATURE_THREAD_ID));
}

FIXTURE_TEARDOWN(held)
{
	if (self->ring_up)
		acall_ring_exit(&self->ring);
	if (self->uffd >= 0)
		close(self->uffd);
	if (self->buf != MAP_FAILED)
		munmap(self->buf, 2 * PAGE);
	if (self->fd >= 0)
		close(self->fd);
}

static void ring_up(struct __test_metadata *_metadata, FIXTURE_DATA(held) *self)
{
	struct acall_options opts = { .inline_bytes = PAGE };

	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
	self->ring_up = true;
}

/*
 * Read both pages; return the thread that faulted on the second, held
 * there until release().
 */
static pid_t hold(struct __test_metadata *_metadata, FIXTURE_DATA(held) *self)
{
	struct pollfd pfd = { .fd = self->uffd, .events = POLLIN };
	struct iovec iov = { self->buf, 2 * PAGE };
	struct uffd_msg msg;
	struct acall_sqe sqe;

	acall_prep_preadv(&sqe, self->fd, &iov, 1, 0, 0);
	sqe.user_data = 7;
	EXPECT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	if (poll(&pfd, 1, FAULT_BOUND_MS) != 1)
		return -1;
	if (read(self->uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return -1;
	return (pid_t)msg.arg.pagefault.feat.ptid;
}

/* Let the held copy go on; its completion carries both pages. */
static void release(struct __test_metadata *_metadata,
		    FIXTURE_DATA(held) *self)
{
	struct acall_cqe *cqe;

	ASSERT_EQ(0, acall_uffd_zeropage(self->uffd, self->buf + PAGE, PAGE));
	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(7, cqe->user_data);
	EXPECT_EQ(2 * PAGE, cqe->res);
	acall_cq_advance(&self->ring, 1);
	EXPECT_EQ(-1, acall_check(self->buf, 2 * PAGE, 0, 9));
}

TEST_F(held, worker_is_a_named_thread_of_the_process)
{
	char comm[32], want[32];
	pid_t tid;

	ring_up(_metadata, self);
	tid = hold(_metadata, self);
	ASSERT_LT(0, tid) TH_LOG("no worker faulted on the held page");
	EXPECT_NE(gettid(), tid) TH_LOG("the submitter copied past the bound");
	/* A kernel thread is no entry of our task directory. */
	EXPECT_EQ(0, acall_task_line(tid, "comm", "", comm, sizeof(comm)))
		TH_LOG("worker %d is not a thread of process %d", tid, getpid());
	snprintf(want, sizeof(want), "acall/%d:", getpid());
	EXPECT_EQ(0, strncmp(comm, want, strlen(want))) TH_LOG("comm %s", comm);
	release(_metadata, self);
}

TEST_F(held, worker_has_the_identity_the_process_dropped_to)
{
	char line[256], want[64];
	pid_t tid;

	/* Set up as root, then drop everything (QEMU's -runas). */
	ring_up(_metadata, self);
	ASSERT_EQ(0, setgroups(0, NULL));
	ASSERT_EQ(0, setresgid(NOBODY, NOBODY, NOBODY));
	ASSERT_EQ(0, setresuid(NOBODY, NOBODY, NOBODY));
	tid = hold(_metadata, self);
	ASSERT_LT(0, tid);
	ASSERT_EQ(0, acall_task_line(tid, "status", "Uid:", line, sizeof(line)))
		TH_LOG("worker %d is not a thread of ours", tid);
	snprintf(want, sizeof(want), "Uid:\t%d\t%d\t%d\t%d\n", NOBODY, NOBODY,
		 NOBODY, NOBODY);
	EXPECT_STREQ(want, line);
	ASSERT_EQ(0, acall_task_line(tid, "status", "Gid:", line, sizeof(line)));
	want[0] = 'G';
	EXPECT_STREQ(want, line);
	release(_metadata, self);
}

TEST_F(held, worker_has_the_process_nice_and_io_priority)
{
	const int idle = IOPRIO_PRIO_VALUE(IOPRIO_CLASS_IDLE, 0);
	pid_t tid;

	/* nice 19 and ionice -c3, before the context exists. */
	ASSERT_EQ(0, setpriority(PRIO_PROCESS, 0, 19));
	ASSERT_EQ(0, syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, idle));
	ring_up(_metadata, self);
	tid = hold(_metadata, self);
	ASSERT_LT(0, tid);
	errno = 0;
	EXPECT_EQ(19, getpriority(PRIO_PROCESS, tid)) TH_LOG("%s", strerror(errno));
	EXPECT_EQ(idle, syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, tid));
	release(_metadata, self);
}

/*
 * Go back to the root cgroup and remove the one at dir. A thread of ours
 * that was exiting as we left (the pool's, just after acall_ring_exit())
 * is not moved, and keeps dir populated (rmdir() fails with EBUSY) until
 * it is gone: wait for cgroup.events to say so; the file is pollable.
 * Returns 0 or -errno.
 */
static int cg_leave_and_remove(const char *dir)
{
	char path[256], buf[256], pid[16];
	struct pollfd pfd = { .events = POLLPRI };
	ssize_t n;
	int ret;

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	ret = acall_cg_write("", "cgroup.procs", pid);
	if (ret)
		return ret;
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	pfd.fd = open(path, O_RDONLY);
	if (pfd.fd < 0)
		return -errno;
	for (;;) {
		n = pread(pfd.fd, buf, sizeof(buf) - 1, 0);
		if (n < 0) {
			ret = -errno;
			break;
		}
		buf[n] = '\0';
		if (strstr(buf, "populated 0"))
			break;
		if (poll(&pfd, 1, -1) < 0) {
			ret = -errno;
			break;
		}
	}
	close(pfd.fd);
	if (!ret && rmdir(dir))
		ret = -errno;
	return ret;
}

TEST_F(held, worker_is_in_the_process_cgroup)
{
	char path[300], cg[128], line[256];
	int fd;

	/* A cgroup of our own, so that the root cgroup does not match. */
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/acall-pw-%d", getpid());
	if (mkdir(cg, 0755) && errno != EEXIST)
		SKIP(return, "no cgroup2 at /sys/fs/cgroup: %s", strerror(errno));
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, dprintf(fd, "%d\n", getpid()));
	close(fd);

	ring_up(_metadata, self);
	{
		pid_t tid = hold(_metadata, self);

		ASSERT_LT(0, tid);
		snprintf(path, sizeof(path), "0::/acall-pw-%d\n", getpid());
		EXPECT_EQ(0, acall_task_line(tid, "cgroup", "0::", line, sizeof(line)))
			TH_LOG("worker %d is not a thread of ours", tid);
		EXPECT_STREQ(path, line);
		release(_metadata, self);
	}
	acall_ring_exit(&self->ring);
	self->ring_up = false;
	EXPECT_EQ(0, cg_leave_and_remove(cg));
}

/* A cpuset of the last CPU: the worker runs only there. */
TEST_F(held, worker_keeps_to_the_process_cpuset)
{
	char cg[64], dir[96], cpu[32], line[256], want[64], pid[16];
	long last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	pid_t tid;

	if (last < 1)
		SKIP(return, "one CPU: a cpuset cannot narrow it");
	snprintf(cg, sizeof(cg), "acall-cpuset-%d", getpid());
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	snprintf(cpu, sizeof(cpu), "%ld\n", last);
	if (acall_cg_write("", "cgroup.subtree_control", "+cpuset\n"))
		SKIP(return, "no cpuset controller");
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s", cg);
	ASSERT_EQ(0, mkdir(dir, 0755));
	ASSERT_EQ(0, acall_cg_write(cg, "cpuset.cpus", cpu));
	ASSERT_EQ(0, acall_cg_write(cg, "cgroup.procs", pid));

	ring_up(_metadata, self);
	tid = hold(_metadata, self);
	ASSERT_LT(0, tid);
	snprintf(want, sizeof(want), "Cpus_allowed_list:\t%ld\n", last);
	EXPECT_EQ(0, acall_task_line(tid, "status", "Cpus_allowed_list:", line,
				     sizeof(line)))
		TH_LOG("worker %d is not a thread of ours", tid);
	EXPECT_STREQ(want, line);
	release(_metadata, self);
	acall_ring_exit(&self->ring);
	self->ring_up = false;
	EXPECT_EQ(0, cg_leave_and_remove(dir));
}

/*
 * A worker bound to the last CPU, whose cpuset then shrinks to exactly
 * that CPU: the kernel leaves its mask as it is, and nothing tells the
 * module. Unbinding must not give the worker back the CPUs it joined
 * with: the module never widens a thread; this one goes back to
 * userspace, where libacall asks for a new thread's CPUs and the kernel
 * gives it those of its cpuset. Looked at once the worker has run a
 * request after the unbinding and sleeps again.
 */
TEST_F(held, unbinding_keeps_a_worker_within_a_cpuset_that_shrank)
{
	long last = sysconf(_SC_NPROCESSORS_ONLN) - 1;
	char cg[64], dir[96], cpus[32], pid[16];
	struct acall_cqe *cqe;
	struct acall_sqe sqe;
	cpu_set_t one, set;
	pid_t tid;

	ACALL_REQUIRE(ACALL_FEAT_PROCESS_WORKERS);
	if (last < 1)
		SKIP(return, "one CPU: a cpuset cannot narrow it");
	snprintf(cg, sizeof(cg), "acall-shrink-%d", getpid());
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (acall_cg_write("", "cgroup.subtree_control", "+cpuset\n"))
		SKIP(return, "no cpuset controller");
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s", cg);
	ASSERT_EQ(0, mkdir(dir, 0755));
	snprintf(cpus, sizeof(cpus), "0-%ld\n", last);
	ASSERT_EQ(0, acall_cg_write(cg, "cpuset.cpus", cpus));
	ASSERT_EQ(0, acall_cg_write(cg, "cgroup.procs", pid));

	ring_up(_metadata, self);
	CPU_ZERO(&one);
	CPU_SET(last, &one);
	ASSERT_EQ(0, acall_set_affinity(&self->ring, -1, &one));
	tid = hold(_metadata, self);
	ASSERT_LT(0, tid);
	ASSERT_EQ(0, sched_getaffinity(tid, sizeof(set), &set));
	ASSERT_TRUE(CPU_EQUAL(&one, &set)) TH_LOG("worker not bound");

	snprintf(cpus, sizeof(cpus), "%ld\n", last);
	ASSERT_EQ(0, acall_cg_write(cg, "cpuset.cpus", cpus));
	ASSERT_EQ(0, acall_set_affinity(&self->ring, -1, NULL));
	release(_metadata, self);
	/* The worker looks at its pool's CPUs before it takes more work. */
	acall_prep_nop(&sqe, 1000);	/* with a delay: a worker's */
	sqe.user_data = 8;
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(8, cqe->user_data);
	acall_cq_advance(&self->ring, 1);
	while (!sched_getaffinity(tid, sizeof(set), &set) &&
	       !acall_task_sleeps_in_ioctl(tid))
		sched_yield();
	if (!sched_getaffinity(tid, sizeof(set), &set))
		EXPECT_TRUE(CPU_EQUAL(&one, &set))
			TH_LOG("worker %d widened past its cpuset to %d CPUs",
			       tid, CPU_COUNT(&set));
	acall_ring_exit(&self->ring);
	self->ring_up = false;
	EXPECT_EQ(0, cg_leave_and_remove(dir));
}

/* Threads of this process: entries of /proc/self/task. */
static int thread_count(void)
{
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");
	int n = 0;

	if (!dir)
		return -1;
	while ((d = readdir(dir)))
		n += d->d_name[0] != '.';
	closedir(dir);
	return n;
}

/*
 * The pool's kernel memory is the process's: each thread it adds has a
 * kernel stack (16 KiB at least on x86-64) charged to the process's memory
 * cgroup. memory.stat is flushed every few seconds, so it is read until
 * the stacks show; with workers outside the cgroup they never do.
 */
TEST_F_TIMEOUT(held, pool_kernel_stacks_are_charged_to_the_process_cgroup, 120)
{
	long long base, stacks;
	int threads, ret;
	char dir[96];
	pid_t tid;

	if (acall_kmem_off())
		SKIP(return, "cgroup.memory=nokmem: no kernel memory is charged");
	ret = acall_memcg_enter("acall-memory", dir, sizeof(dir));
	if (ret == -ENODEV)
		SKIP(return, "no memory controller");
	ASSERT_EQ(0, ret);
	base = acall_cg_value(dir, "memory.stat", "kernel_stack");
	ASSERT_LE(0, base);
	threads = thread_count();
	ASSERT_LT(0, threads);

	ring_up(_metadata, self);
	tid = hold(_metadata, self);
	ASSERT_LT(0, tid);
	threads = thread_count() - threads;
	EXPECT_LT(0, threads) TH_LOG("the pool added no thread to the process");
	do {
		ASSERT_EQ(0, usleep(10000));
		stacks = acall_cg_value(dir, "memory.stat", "kernel_stack") - base;
	} while (stacks < threads * 16384LL);

	release(_metadata, self);
	acall_ring_exit(&self->ring);
	self->ring_up = false;
	EXPECT_EQ(0, cg_leave_and_remove(dir));
}

/*
 * A request's iovec array, copied at submission and kept while it is in
 * flight, is the submitter's memory: HELD reads of IOV_MAX iovecs each
 * (16 KiB of array apiece), held behind an ORDERED read whose worker
 * waits on userfaultfd, add at least their arrays to the cgroup's
 * memory.current, less 1 MiB for what the kernel had charged ahead (its
 * per-CPU stock). Uncharged, they add only the requests themselves.
 */
#define HELD	256
TEST_F(held, iovec_arrays_of_held_requests_are_charged_to_the_cgroup)
{
	static struct iovec iovs[IOV_MAX];
	static struct acall_sqe sqes[HELD];
	static char scratch[IOV_MAX];
	struct acall_options opts = { .entries = 512, .inline_bytes = PAGE };
	struct pollfd pfd = { .fd = self->uffd, .events = POLLIN };
	struct iovec iov = { self->buf, 2 * PAGE };
	long long before, after, arrays = HELD * (long long)sizeof(iovs);
	struct uffd_msg msg;
	struct acall_sqe sqe;
	char dir[96];
	int i, ret;

	ACALL_REQUIRE(ACALL_FEAT_ORDERING);
	if (acall_kmem_off())
		SKIP(return, "cgroup.memory=nokmem: no kernel memory is charged");
	ret = acall_memcg_enter("acall-iov", dir, sizeof(dir));
	if (ret == -ENODEV)
		SKIP(return, "no memory controller");
	ASSERT_EQ(0, ret);
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
	self->ring_up = true;

	/* The barrier: its second page faults in a worker, which waits. */
	acall_prep_preadv(&sqe, self->fd, &iov, 1, 0, 0);
	acall_sqe_set_ordered(&sqe);
	sqe.user_data = 7;
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	ASSERT_EQ(1, poll(&pfd, 1, FAULT_BOUND_MS));
	ASSERT_EQ(sizeof(msg), read(self->uffd, &msg, sizeof(msg)));

	for (i = 0; i < IOV_MAX; i++)
		iovs[i] = (struct iovec){ scratch + i, 1 };
	for (i = 0; i < HELD; i++) {
		acall_prep_preadv(&sqes[i], self->fd, iovs, IOV_MAX, 0, 0);
		sqes[i].user_data = 100 + i;
	}
	before = acall_cg_value(dir, "memory.current", NULL);
	ASSERT_LE(0, before);
	ASSERT_EQ(HELD, acall_submit(&self->ring, sqes, HELD));
	after = acall_cg_value(dir, "memory.current", NULL);
	EXPECT_LE(arrays - (1 << 20), after - before)
		TH_LOG("%d held requests of %d iovecs added %lld bytes",
		       HELD, IOV_MAX, after - before);

	/* Let the barrier go: it, then every held read, completes whole. */
	ASSERT_EQ(0, acall_uffd_zeropage(self->uffd, self->buf + PAGE, PAGE));
	for (i = 0; i < HELD + 1; i++) {
		struct acall_cqe *cqe;

		ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
		EXPECT_EQ(cqe->user_data == 7 ? 2 * PAGE : IOV_MAX, cqe->res)
			TH_LOG("request %llu", (unsigned long long)cqe->user_data);
		acall_cq_advance(&self->ring, 1);
	}
	EXPECT_EQ(-1, acall_check(scratch, IOV_MAX, 0, 9));
	acall_ring_exit(&self->ring);
	self->ring_up = false;
	EXPECT_EQ(0, cg_leave_and_remove(dir));
}

/*
 * A request holds the last reference to a file the program closed; its
 * worker, a thread of ours, drops it. The file is released (its lock
 * with it) at once, not when that thread next returns to userspace:
 * worker_idle_ms is made ten minutes long, and the lock must come free
 * well before.
 */
TEST_F(held, file_closed_under_a_request_is_released_by_its_worker)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	char path[64] = "/tmp/acall-release.XXXXXX";
	struct acall_sqe sqe;
	struct acall_cqe *cqe;
	int fd, other, i, locked = -1;
	long long idle;
	pid_t tid;

	idle = acall_param_read("worker_idle_ms");
	ASSERT_LE(0, idle);
	ASSERT_EQ(0, acall_param_write("worker_idle_ms", 600000));
	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, fcntl(fd, F_OFD_SETLK, &lk));

	ring_up(_metadata, self);
	tid = hold(_metadata, self);
	ASSERT_LT(0, tid);
	/* Behind the held read: it runs only once that completes. */
	acall_prep_fsync(&sqe, fd);
	acall_sqe_set_ordered(&sqe);
	sqe.user_data = 8;
	ASSERT_EQ(1, acall_submit(&self->ring, &sqe, 1));
	ASSERT_EQ(0, close(fd));
	release(_metadata, self);
	ASSERT_EQ(0, acall_wait_cqe(&self->ring, &cqe, -1));
	EXPECT_EQ(8, cqe->user_data);
	EXPECT_EQ(0, cqe->res);
	acall_cq_advance(&self->ring, 1);

	other = open(path, O_RDWR);
	ASSERT_LE(0, other);
	/*
	 * Poll for the state change, within the harness's 30 s: a generous
	 * bound against the ten minutes the lock would otherwise be held.
	 */
	for (i = 0; i < 2000 && (locked = fcntl(other, F_OFD_SETLK, &lk)); i++)
		usleep(10 * 1000);
	close(other);
	unlink(path);
	ASSERT_EQ(0, acall_param_write("worker_idle_ms", idle));
	EXPECT_EQ(0, locked) TH_LOG("the closed file's lock is still held");
}

/*
 * pids.max leaves room for one worker: every request still completes, on
 * the one there is, and no more threads than the cgroup allows ever ran.
 */
TEST(pids_max_reached_requests_wait_and_none_is_lost)
{
	struct acall_sqe sqes[16];
	struct acall_stats st;
	struct acall_ring ring;
	char cg[128], path[160], buf[32];
	int fd, i, cur;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS | ACALL_FEAT_STATS);
	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/acall-pids-%d", getpid());
	if (mkdir(cg, 0755) && errno != EEXIST)
		SKIP(return, "no cgroup2 at /sys/fs/cgroup: %s", strerror(errno));
	fd = open("/sys/fs/cgroup/cgroup.subtree_control", O_WRONLY);
	if (fd >= 0) {
		dprintf(fd, "+pids\n");	/* already on: fine */
		close(fd);
	}
	snprintf(path, sizeof(path), "%s/pids.max", cg);
	if (access(path, F_OK)) {
		rmdir(cg);
		SKIP(return, "no pids controller");
	}
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, dprintf(fd, "%d\n", getpid()));
	close(fd);

	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	snprintf(path, sizeof(path), "%s/pids.current", cg);
	fd = open(path, O_RDONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, read(fd, buf, sizeof(buf) - 1));
	close(fd);
	cur = atoi(buf);
	snprintf(path, sizeof(path), "%s/pids.max", cg);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, dprintf(fd, "%d\n", cur + 1));
	close(fd);

	for (i = 0; i < 16; i++) {
		acall_prep_nop(&sqes[i], 20 * 1000 * 1000);
		sqes[i].user_data = i;
	}
	ASSERT_EQ(16, acall_submit(&ring, sqes, 16));
	for (i = 0; i < 16; i++) {
		struct acall_cqe *cqe;

		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		EXPECT_EQ(0, cqe->res) TH_LOG("request %llu",
					      (unsigned long long)cqe->user_data);
		acall_cq_advance(&ring, 1);
	}
	ASSERT_EQ(0, acall_stats(&ring, &st));
	EXPECT_EQ(1, st.workers_peak)
		TH_LOG("%u workers ran in a cgroup with room for one thread",
		       st.workers_peak);
	acall_ring_exit(&ring);
	EXPECT_EQ(0, cg_leave_and_remove(cg));
}

/* Enough for this test's pool; one left out only makes the sum smaller. */
#define MAX_THREADS	64

/*
 * Every thread of ours, and every worker of ours wherever it is (an older
 * module's were kernel threads), with its CPU time so far (schedstat), ns.
 */
struct runtimes {
	int n;
	pid_t tid[MAX_THREADS];
	unsigned long long ns[MAX_THREADS];
};

static void add_runtime(struct runtimes *r, pid_t tid)
{
	char path[64];
	FILE *f;

	for (int i = 0; i < r->n; i++)
		if (r->tid[i] == tid)
			return;
	if (r->n == MAX_THREADS)
		return;
	snprintf(path, sizeof(path), "/proc/%d/schedstat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return;		/* gone meanwhile */
	if (fscanf(f, "%llu", &r->ns[r->n]) == 1)
		r->tid[r->n++] = tid;
	fclose(f);
}

static void read_runtimes(struct runtimes *r)
{
	pid_t workers[MAX_THREADS];
	struct dirent *d;
	DIR *dir = opendir("/proc/self/task");
	int n;

	r->n = 0;
	while (dir && (d = readdir(dir)))
		if (d->d_name[0] != '.')
			add_runtime(r, atoi(d->d_name));
	if (dir)
		closedir(dir);
	n = acall_workers_of(getpid(), workers, MAX_THREADS);
	for (int i = 0; i < n && i < MAX_THREADS; i++)
		add_runtime(r, workers[i]);
}

/* tid's CPU time in r, 0 if it was not there (not yet born). */
static unsigned long long runtime_of(const struct runtimes *r, pid_t tid)
{
	for (int i = 0; i < r->n; i++)
		if (r->tid[i] == tid)
			return r->ns[i];
	return 0;
}

/* tid's CPU time from before to after; 0 for a tid reused meanwhile. */
static unsigned long long runtime_delta(const struct runtimes *before,
					const struct runtimes *after, pid_t tid)
{
	unsigned long long b = runtime_of(before, tid), a = runtime_of(after, tid);

	return a > b ? a - b : 0;
}

/*
 * The pool's CPU time is the cgroup's: every thread of ours, the workers
 * that wrote 32 MiB to ext4 (a buffered write always goes to one) among
 * them, ran for no more than the cgroup's cpu.stat counts over the same
 * span. The cgroup is read before the threads at the start and after them
 * at the end, so it can only count more; 1 ms is for its unit (us). A
 * worker outside the cgroup (a kernel thread) leaves its time out of
 * usage_usec.
 */
TEST(worker_cpu_time_is_in_the_process_cgroup_cpu_stat)
{
	static char data[64 * 1024];
	struct runtimes before, after;
	unsigned long long threads_ns = 0, workers_ns = 0;
	long long usage0, usage1;
	pid_t workers[MAX_THREADS];
	struct acall_stats st;
	struct acall_ring ring;
	char cg[64], dir[96], pid[16];
	const char *ext4;
	int fd, i, nr_workers;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS | ACALL_FEAT_STATS |
		      ACALL_FEAT_PROCESS_WORKERS);
	ACALL_FIXTURE(ext4, "ACALL_TEST_EXT4");
	if (access("/proc/self/schedstat", R_OK))
		SKIP(return, "no schedstat (CONFIG_SCHED_INFO)");
	snprintf(cg, sizeof(cg), "acall-cpu-%d", getpid());
	snprintf(dir, sizeof(dir), "/sys/fs/cgroup/%s", cg);
	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (mkdir(dir, 0755))
		SKIP(return, "no cgroup2 at /sys/fs/cgroup: %s", strerror(errno));
	ASSERT_EQ(0, acall_cg_write(cg, "cgroup.procs", pid));
	fd = acall_tmpfile(ext4, O_RDWR);
	ASSERT_LE(0, fd);
	memset(data, 0x5a, sizeof(data));
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));

	usage0 = acall_cg_value(dir, "cpu.stat", "usage_usec");
	ASSERT_LE(0, usage0);
	read_runtimes(&before);
	for (i = 0; i < 512; i += 16) {
		struct acall_sqe sqes[16];
		struct acall_cqe cqes[16];
		struct iovec iov = { data, sizeof(data) };

		for (int k = 0; k < 16; k++)
			acall_prep_pwritev(&sqes[k], fd, &iov, 1,
					   (__u64)(i + k) * sizeof(data), 0);
		ASSERT_EQ(0, acall_run(&ring, sqes, 16, cqes));
		for (int k = 0; k < 16; k++)
			ASSERT_EQ((int)sizeof(data), cqes[k].res);
	}
	read_runtimes(&after);
	nr_workers = acall_workers_of(getpid(), workers, MAX_THREADS);
	usage1 = acall_cg_value(dir, "cpu.stat", "usage_usec");
	ASSERT_LE(0, usage1);

	ASSERT_EQ(0, acall_stats(&ring, &st));
	EXPECT_LT(0, st.punted) TH_LOG("no write went to a worker");
	ASSERT_LT(0, nr_workers) TH_LOG("no worker of ours is left");
	for (i = 0; i < after.n; i++)
		threads_ns += runtime_delta(&before, &after, after.tid[i]);
	for (i = 0; i < nr_workers && i < MAX_THREADS; i++)
		workers_ns += runtime_delta(&before, &after, workers[i]);
	EXPECT_LT(0, workers_ns) TH_LOG("the workers took no CPU time");
	EXPECT_LE(threads_ns, (unsigned long long)(usage1 - usage0 + 1000) * 1000)
		TH_LOG("threads ran %llu us (workers %llu), cpu.stat counted %lld",
		       threads_ns / 1000, workers_ns / 1000, usage1 - usage0);

	acall_ring_exit(&ring);
	close(fd);
	EXPECT_EQ(0, cg_leave_and_remove(dir));
}

/* The thread of ours named comm, or 0. */
static pid_t thread_named(const char *comm)
{
	char path[300], name[32];
	struct dirent *d;
	pid_t tid = 0;
	DIR *dir = opendir("/proc/self/task");
	FILE *f;

	if (!dir)
		return 0;
	while (!tid && (d = readdir(dir))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/self/task/%s/comm", d->d_name);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(name, sizeof(name), f) && !strncmp(name, comm, strlen(comm)) &&
		    name[strlen(comm)] == '\n')
			tid = atoi(d->d_name);
		fclose(f);
	}
	closedir(dir);
	return tid;
}

/*
 * Until the spawner has failed to make a thread (pids.events "max" reached
 * want) and is back asleep in ACALL_IOC_SPAWN, having told the module so;
 * false if every request completed first.
 */
static bool spawn_failed(const char *cg, long long want, pid_t spawner,
			 struct acall_ring *ring, unsigned int nr)
{
	while (acall_cg_value(cg, "pids.events", "max") < want || !acall_task_sleeps_in_ioctl(spawner)) {
		if (acall_cq_ready(ring) == nr)
			return false;
		usleep(1000);
	}
	return true;
}

/* A write of one page that userfaultfd holds: it holds fd's lock. */
struct lock_holder {
	int fd;
	void *page;
	ssize_t ret;
	pthread_t thread;
};

static void *write_main(void *arg)
{
	struct lock_holder *h = arg;

	h->ret = write(h->fd, h->page, PAGE);
	return NULL;
}

/*
 * Take h->fd's inode lock: a tmpfs write holds it while it faults on
 * h->page, which uffd holds. 0 once it does, -1 if it does not.
 */
static int lock_hold(struct lock_holder *h, int uffd)
{
	struct pollfd pfd = { .fd = uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (pthread_create(&h->thread, NULL, write_main, h))
		return -1;
	if (poll(&pfd, 1, FAULT_BOUND_MS) != 1 ||
	    read(uffd, &msg, sizeof(msg)) != sizeof(msg) ||
	    msg.event != UFFD_EVENT_PAGEFAULT)
		return -1;
	return 0;
}

/* Supply the page: the write goes on, and lets the lock go. */
static int lock_release(struct lock_holder *h, int uffd)
{
	char src[PAGE];

	memset(src, 'w', PAGE);
	if (acall_uffd_copy(uffd, h->page, src, PAGE) ||
	    pthread_join(h->thread, NULL))
		return -1;
	return h->ret == PAGE ? 0 : -1;
}

static void on_usr1(int sig)
{
	(void)sig;
}

struct fallocator {
	int fd;
	int err;
	pid_t tid;
};

static void *fallocate_main(void *arg)
{
	struct fallocator *f = arg;

	__atomic_store_n(&f->tid, gettid(), __ATOMIC_SEQ_CST);
	f->err = fallocate(f->fd, 0, 0, 1 << 20) ? errno : 0;
	return NULL;
}

/*
 * Whether tmpfs's fallocate() stops for a signal that is not fatal here
 * (6.1's does; 6.12's stops only for a fatal one): a thread of the test
 * waits for the file's lock, takes SIGUSR1 there, and is let go. 1 it
 * does, 0 it does not, -1 the probe failed. page: one uffd holds.
 */
static int tmpfs_fallocate_stops_for_signals(int uffd, void *page)
{
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct fallocator f = { .err = -1 };
	struct lock_holder h = { .page = page };
	pthread_t t;
	int ret = -1;

	f.fd = h.fd = memfd_create("acall-probe", MFD_CLOEXEC);
	if (f.fd < 0 || sigaction(SIGUSR1, &sa, NULL) || lock_hold(&h, uffd))
		return -1;
	if (!pthread_create(&t, NULL, fallocate_main, &f)) {
		while (!__atomic_load_n(&f.tid, __ATOMIC_SEQ_CST) ||
		       acall_task_state(f.tid) != 'D')
			sched_yield();
		if (!pthread_kill(t, SIGUSR1)) {
			while (acall_task_sig_in(f.tid, "SigPnd:", SIGUSR1) != 1)
				sched_yield();
		}
		if (!lock_release(&h, uffd) && !pthread_join(t, NULL))
			ret = f.err == EINTR;
	}
	close(f.fd);
	return ret;
}

static void *setid_main(void *arg)
{
	/* glibc's broadcast: every other thread takes SIGSETXID. */
	*(int *)arg = setresuid(-1, -1, -1) ? errno : 0;
	return NULL;
}

/*
 * A signal to the worker is not its request's result. tmpfs's fallocate()
 * stops with EINTR for any signal pending (where it does); glibc's
 * setuid() broadcast reaches the worker while it waits for the file's
 * lock, before the call goes on. The signal was the worker's, not the
 * submitter's: the fallocate runs again and completes.
 */
TEST(a_signal_to_a_worker_does_not_end_its_request)
{
	struct acall_options opts = { .entries = 8 };
	int uffd, stops, setid_err = -1, sigsetxid = SIGRTMIN - 1;
	struct lock_holder h;
	struct acall_ring ring;
	struct acall_cqe *cqe;
	struct acall_sqe sqe;
	char path[64], *pages;
	struct stat st;
	pid_t worker;
	pthread_t ts;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	uffd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		SKIP(return, "no userfaultfd: %s", strerror(errno));
	pages = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, pages);
	ASSERT_EQ(0, acall_uffd_hold(uffd, pages, 2 * PAGE, 0));
	stops = tmpfs_fallocate_stops_for_signals(uffd, pages);
	ASSERT_LE(0, stops);
	if (!stops)
		SKIP(return, "tmpfs's fallocate() stops only for a fatal signal here");

	h.fd = memfd_create("acall-fallocate", MFD_CLOEXEC);
	ASSERT_LE(0, h.fd);
	h.page = pages + PAGE;
	ASSERT_EQ(0, lock_hold(&h, uffd));
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	acall_prep_fallocate(&sqe, h.fd, 0, 0, 1 << 20);
	sqe.user_data = 5;
	ASSERT_EQ(1, acall_submit(&ring, &sqe, 1));
	snprintf(path, sizeof(path), "acall/%d:1", getpid());
	while (!(worker = thread_named(path)))
		sched_yield();
	/* Asleep, uninterruptibly, on the file's lock. */
	while (acall_task_state(worker) != 'D')
		sched_yield();
	/* glibc's SIGSETXID, the real-time signal below its first public one. */
	ASSERT_EQ(0, pthread_create(&ts, NULL, setid_main, &setid_err));
	while (acall_task_sig_in(worker, "SigPnd:", sigsetxid) != 1)
		sched_yield();

	ASSERT_EQ(0, lock_release(&h, uffd));
	ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
	EXPECT_EQ(5, cqe->user_data);
	EXPECT_EQ(0, cqe->res) TH_LOG("fallocate: %s", strerror(-cqe->res));
	acall_cq_advance(&ring, 1);
	ASSERT_EQ(0, pthread_join(ts, NULL));
	EXPECT_EQ(0, setid_err);
	ASSERT_EQ(0, fstat(h.fd, &st));
	EXPECT_EQ(1 << 20, st.st_size);
	EXPECT_LE((1 << 20) / 512, st.st_blocks);
	acall_ring_exit(&ring);
	munmap(pages, 2 * PAGE);
	close(h.fd);
	close(uffd);
}

/*
 * The worker goes back to userspace with work waiting (a debugger stops
 * it there: PTRACE_INTERRUPT), and pids.max leaves room for no other
 * thread. It is still one of the pool's: when the module has asked for
 * another thread and the spawner has told it none could be made, nothing
 * has completed with -EAGAIN, and once the worker is let go it serves
 * everything. (max_workers 2: one more thread is asked for, and fails,
 * once at the start and once when the worker goes.)
 */
#define AWAY_NR	8

TEST(worker_gone_to_userspace_keeps_its_place)
{
	struct acall_options opts = { .entries = 64, .max_workers = 2 };
	int to_tracer[2], from_tracer[2], fd, i, status;
	pid_t tracer, worker = 0, spawner;
	struct acall_sqe sqes[AWAY_NR];
	char cg[128], path[192], c;
	unsigned int seen = 0;
	struct acall_stats st;
	struct acall_ring ring;
	struct acall_cqe *cqe;
	bool early = false;
	long long fails;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS |
		      ACALL_FEAT_STATS);
	if (acall_cg_write("", "cgroup.subtree_control", "+pids\n"))
		SKIP(return, "no pids controller");
	/* The debugger, forked before the cgroup counts our threads. */
	ASSERT_EQ(0, pipe(to_tracer));
	ASSERT_EQ(0, pipe(from_tracer));
	tracer = fork();
	ASSERT_LE(0, tracer);
	if (tracer == 0) {
		close(to_tracer[1]);
		close(from_tracer[0]);
		if (read(to_tracer[0], &worker, sizeof(worker)) != sizeof(worker) ||
		    ptrace(PTRACE_SEIZE, worker, 0, 0) ||
		    ptrace(PTRACE_INTERRUPT, worker, 0, 0) ||
		    waitpid(worker, &status, __WALL) != worker ||
		    write(from_tracer[1], "s", 1) != 1 ||
		    read(to_tracer[0], &c, 1) != 1)
			_exit(1);
		_exit(ptrace(PTRACE_DETACH, worker, 0, 0) ? 1 : 0);
	}
	/* A debugger that fails closes its ends: the reads below see it. */
	close(to_tracer[0]);
	close(from_tracer[1]);

	snprintf(cg, sizeof(cg), "/sys/fs/cgroup/acall-away-%d", getpid());
	ASSERT_EQ(0, mkdir(cg, 0755));
	snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, dprintf(fd, "%d\n", getpid()));
	close(fd);
	ASSERT_EQ(0, acall_ring_init(&ring, &opts));
	/* The spawner names itself once it runs: after acall_ring_init(). */
	while (!(spawner = thread_named("acall-spawn")))
		ASSERT_EQ(0, usleep(1000));
	snprintf(path, sizeof(path), "%s/pids.max", cg);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_LT(0, dprintf(fd, "%lld\n", acall_cg_value(cg, "pids.current", NULL) + 1));
	close(fd);
	fails = acall_cg_value(cg, "pids.events", "max");
	ASSERT_LE(0, fails);

	/* Half a second each: the worker is stopped while most still wait. */
	for (i = 0; i < AWAY_NR; i++) {
		acall_prep_nop(&sqes[i], 500 * 1000 * 1000);
		sqes[i].user_data = i;
	}
	ASSERT_EQ(AWAY_NR, acall_submit(&ring, sqes, AWAY_NR));
	snprintf(path, sizeof(path), "acall/%d:1", getpid());
	while (!(worker = thread_named(path)))
		ASSERT_EQ(0, usleep(1000));
	early = !spawn_failed(cg, fails + 1, spawner, &ring, AWAY_NR);
	if (early)
		goto out;
	ASSERT_EQ(sizeof(worker), write(to_tracer[1], &worker, sizeof(worker)));
	ASSERT_EQ(1, read(from_tracer[0], &c, 1));

	early = !spawn_failed(cg, fails + 2, spawner, &ring, AWAY_NR);
	if (early)
		goto out;
	while ((cqe = acall_peek_cqe(&ring))) {
		EXPECT_EQ(0, cqe->res) TH_LOG("request %llu",
					      (unsigned long long)cqe->user_data);
		acall_cq_advance(&ring, 1);
		seen++;
	}

out:
	/* Let the worker go: it serves the rest. */
	if (early)
		kill(tracer, SIGKILL);	/* its tracee goes on as it exits */
	else
		ASSERT_EQ(1, write(to_tracer[1], "g", 1));
	ASSERT_EQ(tracer, waitpid(tracer, &status, 0));
	if (!early)
		EXPECT_EQ(0, status);
	for (; seen < AWAY_NR; seen++) {
		ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, -1));
		EXPECT_EQ(0, cqe->res) TH_LOG("request %llu",
					      (unsigned long long)cqe->user_data);
		acall_cq_advance(&ring, 1);
	}
	ASSERT_EQ(0, acall_stats(&ring, &st));
	EXPECT_EQ(1, st.workers_peak);
	acall_ring_exit(&ring);
	EXPECT_EQ(0, cg_leave_and_remove(cg));
	close(to_tracer[1]);
	close(from_tracer[0]);
	if (early)
		SKIP(return, "every request completed before the worker was stopped");
}

static void *setup_ring(void *arg)
{
	return (void *)(intptr_t)acall_ring_init(arg, NULL);
}

/*
 * The context's io_context is its setup thread's; once that thread has
 * exited, no task uses it, and a new worker cannot share it. It serves
 * all the same: the NOP completes.
 */
TEST(setup_thread_gone_workers_still_serve)
{
	struct acall_ring ring;
	struct acall_cqe *cqe;
	struct acall_sqe sqe;
	pthread_t t;
	void *ret;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	ASSERT_EQ(0, pthread_create(&t, NULL, setup_ring, &ring));
	ASSERT_EQ(0, pthread_join(t, &ret));
	ASSERT_EQ(0, (intptr_t)ret);
	acall_prep_nop(&sqe, 10 * 1000 * 1000);
	sqe.user_data = 3;
	ASSERT_EQ(1, acall_submit(&ring, &sqe, 1));
	ASSERT_EQ(0, acall_wait_cqe(&ring, &cqe, 60LL * 1000 * 1000 * 1000))
		TH_LOG("no worker ran the NOP");
	EXPECT_EQ(3, cqe->user_data);
	EXPECT_EQ(0, cqe->res);
	acall_cq_advance(&ring, 1);
	acall_ring_exit(&ring);
}

/*
 * A program closed the ring's fd first (a close_range() sweep): the
 * teardown still ends, and leaves alone the file that took the number
 * since (it closed that one before).
 */
TEST(ring_exit_after_the_fd_was_closed_returns)
{
	struct acall_ring ring;
	struct acall_sqe sqe;
	int number, other;

	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	acall_prep_nop(&sqe, 10 * 1000 * 1000);
	ASSERT_EQ(1, acall_submit(&ring, &sqe, 1));
	number = ring.fd;
	ASSERT_EQ(0, close(ring.fd));
	other = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ASSERT_LE(0, other);
	/* The lowest free number is likely that one already. */
	if (other != number) {
		ASSERT_EQ(number, dup3(other, number, O_CLOEXEC));
		close(other);
	}
	acall_ring_exit(&ring);
	EXPECT_EQ(-1, ring.fd);
	EXPECT_LE(0, fcntl(number, F_GETFD)) TH_LOG("the program's file was closed");
	close(number);
}

/* The other descriptor of fd's device: the one libacall keeps for its threads. */
static int threads_fd_of(int fd)
{
	struct stat st, ring;
	int i;

	if (fstat(fd, &ring))
		return -1;
	for (i = 0; i < 1024; i++)
		if (i != fd && !fstat(i, &st) && S_ISCHR(st.st_mode) &&
		    st.st_rdev == ring.st_rdev)
			return i;
	return -1;
}

/*
 * A program closed the descriptor libacall keeps for its threads, not the
 * ring's: the teardown shuts the context down through the ring's and waits
 * for the threads, so its worker leaves SERVE and ends. Before, the
 * teardown returned at once and left the context alive, its worker idle
 * in SERVE until worker_idle_ms (ten minutes here).
 */
FIXTURE(long_idle) {
	long long idle;		/* worker_idle_ms as it was, or -1 */
};

/* Workers idle for ten minutes: only the context's end ends them. */
FIXTURE_SETUP(long_idle)
{
	self->idle = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	self->idle = acall_param_read("worker_idle_ms");
	ASSERT_LE(0, self->idle);
	ASSERT_EQ(0, acall_param_write("worker_idle_ms", 600000));
}

FIXTURE_TEARDOWN(long_idle)
{
	if (self->idle >= 0 && acall_param_write("worker_idle_ms", self->idle))
		perror("worker_idle_ms");
}

TEST_F(long_idle, ring_exit_after_the_threads_fd_was_closed_ends_the_threads)
{
	struct acall_ring ring;
	struct acall_sqe sqe;
	int tfd;

	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	acall_prep_nop(&sqe, 10 * 1000 * 1000);
	ASSERT_EQ(0, acall_run1(&ring, &sqe));
	ASSERT_EQ(1, acall_workers_of(getpid(), NULL, 0));
	tfd = threads_fd_of(ring.fd);
	ASSERT_LE(0, tfd);
	ASSERT_EQ(0, close(tfd));
	acall_ring_exit(&ring);
	EXPECT_EQ(0, acall_wait_workers_gone(getpid(), 60));
}

/* ---- the raw ABI ------------------------------------------------------ */

FIXTURE(serve) {
	struct acall_raw r;
	int fd;
};

FIXTURE_SETUP(serve)
{
	self->fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_PROCESS_WORKERS);
	self->fd = acall_open_device();
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(serve)
{
	if (self->fd >= 0)
		close(self->fd);
}

static int setup_ctx(int fd, __u32 flags)
{
	struct acall_params p = { .entries = 8, .flags = flags };

	return ioctl(fd, ACALL_IOC_SETUP, &p) ? -errno : 0;
}

TEST_F(serve, serve_and_spawn_need_process_workers)
{
	struct acall_spawn s = { 0 };

	ASSERT_EQ(0, setup_ctx(self->fd, 0));
	EXPECT_EQ(-1, ioctl(self->fd, ACALL_IOC_SERVE, 0));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, ACALL_IOC_SPAWN, &s));
	EXPECT_EQ(EINVAL, errno);
}

TEST_F(serve, bad_arguments_are_einval_and_efault)
{
	struct acall_spawn s = { .resv = 1 };

	ASSERT_EQ(0, setup_ctx(self->fd, ACALL_SETUP_PROCESS_WORKERS));
	EXPECT_EQ(-1, ioctl(self->fd, ACALL_IOC_SERVE, 1));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, ACALL_IOC_SPAWN, &s));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, ioctl(self->fd, ACALL_IOC_SPAWN, (void *)8));
	EXPECT_EQ(EFAULT, errno);
}

TEST_F(serve, unknown_setup_flag_is_einval)
{
	EXPECT_EQ(-EINVAL, setup_ctx(self->fd, 1u << 31));
}

TEST_F(serve, another_process_cannot_serve)
{
	int status;
	pid_t child;

	ASSERT_EQ(0, setup_ctx(self->fd, ACALL_SETUP_PROCESS_WORKERS));
	child = fork();
	ASSERT_LE(0, child);
	if (child == 0) {
		struct acall_spawn s = { 0 };

		if (ioctl(self->fd, ACALL_IOC_SERVE, 0) != -1 || errno != EPERM)
			_exit(1);
		if (ioctl(self->fd, ACALL_IOC_SPAWN, &s) != -1 || errno != EPERM)
			_exit(2);
		_exit(0);
	}
	ASSERT_EQ(child, waitpid(child, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/* Shut down, a context lets its threads go: both calls return 0. */
TEST_F(serve, shut_down_serve_and_spawn_return_zero)
{
	struct acall_spawn s = { 0 };

	ASSERT_EQ(0, setup_ctx(self->fd, ACALL_SETUP_PROCESS_WORKERS));
	ASSERT_EQ(0, ioctl(self->fd, ACALL_IOC_SHUTDOWN, 0));
	EXPECT_EQ(0, ioctl(self->fd, ACALL_IOC_SERVE, 0));
	EXPECT_EQ(0, ioctl(self->fd, ACALL_IOC_SPAWN, &s));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * Unprivileged use: a normal user (nobody, uid 65534) can do everything a
 * user may, and nothing more. The device is root-only until an admin (or
 * the udev rule) opens it up; a file the user cannot open stays closed; a
 * context cannot be used by another process it was passed to; and the
 * per-user limits on contexts, ring memory and workers hold, with EMFILE,
 * ENOMEM and EAGAIN, for all the uids of a user's own user namespace
 * together, and kernel-thread workers for all users together (a thread
 * refused as a worker keeps its own I/O context). Root (CAP_SYS_RESOURCE)
 * is neither limited nor charged; CAP_SYS_ADMIN alone may have
 * kernel-thread workers unless kthread_workers_disabled says otherwise.
 *
 * Each case runs in a child that drops to nobody; it exits 0, or the line
 * of the first check that failed.
 */
#include <fcntl.h>
#include <grp.h>
#include <linux/ioprio.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define NOBODY		65534
#define OTHER_UID	65533
#define MS		1000000ULL

/* In a child: exit with (the low byte of) its line unless cond holds. */
#define CHILD_CHECK(cond) do {						\
	if (!(cond))							\
		_exit(__LINE__ % 255 + 1);				\
} while (0)

static void become_nobody(void)
{
	CHILD_CHECK(setgroups(0, NULL) == 0);
	CHILD_CHECK(setresgid(NOBODY, NOBODY, NOBODY) == 0);
	CHILD_CHECK(setresuid(NOBODY, NOBODY, NOBODY) == 0);
}

/* Run fn in a child, as nobody if asked; its exit status (0: every check held). */
static int in_child(void (*fn)(void *), void *arg, bool nobody)
{
	int status;
	pid_t pid = fork();

	if (pid < 0)
		return -errno;
	if (pid == 0) {
		if (nobody)
			become_nobody();
		fn(arg);
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -errno;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1000 + WTERMSIG(status);
}

static int as_nobody(void (*fn)(void *), void *arg)
{
	return in_child(fn, arg, true);
}

FIXTURE(unpriv) {
	mode_t mode;
	long long contexts, ring_kb, workers;	/* as they were, or -1 */
	long long kthreads, idle_ms;	/* max_kthread_workers, worker_idle_ms */
	long long kthreads_disabled;	/* kthread_workers_disabled */
};

FIXTURE_SETUP(unpriv)
{
	struct stat st;

	if (geteuid())
		SKIP(return, "needs root to become another user");
	ACALL_REQUIRE(ACALL_FEAT_RING);
	ASSERT_EQ(0, stat(ACALL_DEVICE_PATH, &st));
	self->mode = st.st_mode & 07777;
	self->contexts = acall_param_read("user_max_contexts");
	self->ring_kb = acall_param_read("user_max_ring_kb");
	self->workers = acall_param_read("user_max_workers");
	self->kthreads = acall_param_read("max_kthread_workers");
	self->idle_ms = acall_param_read("worker_idle_ms");
	self->kthreads_disabled = acall_param_read("kthread_workers_disabled");
	ASSERT_LT(0, self->contexts);
	ASSERT_LE(0, self->ring_kb);
	ASSERT_LE(0, self->workers);
}

FIXTURE_TEARDOWN(unpriv)
{
	if (geteuid() || self->contexts <= 0 || self->ring_kb < 0 ||
	    self->workers < 0)
		return;
	chmod(ACALL_DEVICE_PATH, self->mode);
	acall_param_write("user_max_contexts", self->contexts);
	acall_param_write("user_max_ring_kb", self->ring_kb);
	acall_param_write("user_max_workers", self->workers);
	if (self->kthreads >= 0)
		acall_param_write("max_kthread_workers", self->kthreads);
	if (self->idle_ms >= 0)
		acall_param_write("worker_idle_ms", self->idle_ms);
	if (self->kthreads_disabled >= 0)
		acall_param_write("kthread_workers_disabled",
				  self->kthreads_disabled);
}

static void open_device(void *arg)
{
	int *expect = arg;
	int fd = open(ACALL_DEVICE_PATH, O_RDWR);

	CHILD_CHECK(fd < 0 && errno == *expect);
}

TEST_F(unpriv, device_is_root_only_by_default)
{
	static int eacces = EACCES;
	struct stat st;

	ASSERT_EQ(0, stat(ACALL_DEVICE_PATH, &st));
	EXPECT_EQ(0600, st.st_mode & 0777);
	EXPECT_EQ(0, st.st_uid);
	EXPECT_EQ(0, as_nobody(open_device, &eacces));
}

/* Everything a user may do: a context, I/O on its own file, data back. */
static void do_io(void *arg)
{
	static char out[8192], in[8192];
	struct iovec wv = { out, sizeof(out) }, rv = { in, sizeof(in) };
	struct acall_ring ring;
	struct acall_sqe sqes[3];
	struct acall_cqe cqes[3];
	cpu_set_t cpus;
	int fd;

	(void)arg;
	fd = acall_tmpfile("/tmp", O_RDWR);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(acall_ring_init(&ring, NULL) == 0);
	acall_fill(out, sizeof(out), 0, 9);
	acall_prep_pwritev(&sqes[0], fd, &wv, 1, 0, 0);
	acall_sqe_set_link(&sqes[0]);
	acall_prep_fdatasync(&sqes[1], fd);
	acall_sqe_set_ordered(&sqes[1]);
	acall_prep_preadv(&sqes[2], fd, &rv, 1, 0, 0);
	acall_sqe_set_ordered(&sqes[2]);
	CHILD_CHECK(acall_run(&ring, sqes, 3, cqes) == 0);
	CHILD_CHECK(cqes[0].res == sizeof(out) && cqes[1].res == 0);
	CHILD_CHECK(cqes[2].res == sizeof(in));
	CHILD_CHECK(acall_check(in, sizeof(in), 0, 9) == -1);
	CPU_ZERO(&cpus);
	CPU_SET(0, &cpus);
	CHILD_CHECK(acall_set_affinity(&ring, -1, &cpus) == 0);
	acall_prep_nop(&sqes[0], MS);
	CHILD_CHECK(acall_run1(&ring, &sqes[0]) == 0);
	acall_ring_exit(&ring);
}

TEST_F(unpriv, a_user_can_do_io_on_its_files)
{
	ASSERT_EQ(0, chmod(ACALL_DEVICE_PATH, 0666));
	EXPECT_EQ(0, as_nobody(do_io, NULL));
}

/* A root-only file: open refuses, and an O_PATH fd carries no access. */
static void closed_file(void *arg)
{
	const char *path = arg;
	struct acall_ring ring;
	struct acall_sqe sqe;
	char buf[64];
	struct iovec iov = { buf, sizeof(buf) };
	int fd;

	CHILD_CHECK(open(path, O_RDONLY) < 0 && errno == EACCES);
	fd = open(path, O_PATH);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(acall_ring_init(&ring, NULL) == 0);
	acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	CHILD_CHECK(acall_run1(&ring, &sqe) == -EBADF);
	acall_prep_fdatasync(&sqe, fd);
	CHILD_CHECK(acall_run1(&ring, &sqe) == -EBADF);
	acall_ring_exit(&ring);
}

TEST_F(unpriv, files_the_user_cannot_open_stay_closed)
{
	char path[] = "/tmp/acall-secret.XXXXXX";
	int fd;

	fd = mkstemp(path);
	ASSERT_LE(0, fd);
	ASSERT_EQ(6, write(fd, "secret", 6));
	ASSERT_EQ(0, fchmod(fd, 0600));
	close(fd);
	ASSERT_EQ(0, chmod(ACALL_DEVICE_PATH, 0666));
	EXPECT_EQ(0, as_nobody(closed_file, path));
	unlink(path);
}

/* A context passed over a unix socket is useless to its receiver. */
static void use_passed_context(void *arg)
{
	int sock = *(int *)arg;
	char dummy, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &dummy, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct acall_submit s;
	struct acall_sqe sqe;
	struct cmsghdr *cmsg;
	int fd;

	CHILD_CHECK(recvmsg(sock, &msg, 0) == 1);
	cmsg = CMSG_FIRSTHDR(&msg);
	CHILD_CHECK(cmsg && cmsg->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cmsg), sizeof(fd));
	acall_prep_nop(&sqe, 0);
	memset(&s, 0, sizeof(s));
	s.sqes = (__u64)(uintptr_t)&sqe;
	s.nr = 1;
	CHILD_CHECK(ioctl(fd, ACALL_IOC_SUBMIT, &s) == -1 && errno == EPERM);
	CHILD_CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	CHILD_CHECK(errno == EPERM);
}

TEST_F(unpriv, a_context_passed_over_a_socket_is_eperm)
{
	char dummy = 0, cbuf[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { &dummy, 1 };
	struct msghdr msg = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct acall_ring ring;
	struct cmsghdr *cmsg;
	int sv[2];

	ASSERT_EQ(0, acall_ring_init(&ring, NULL));
	ASSERT_EQ(0, socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	cmsg = CMSG_FIRSTHDR(&msg);
	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &ring.fd, sizeof(int));
	ASSERT_EQ(1, sendmsg(sv[0], &msg, 0));
	EXPECT_EQ(0, as_nobody(use_passed_context, &sv[1]));
	close(sv[0]);
	close(sv[1]);
	acall_ring_exit(&ring);
}

/* With user_max_contexts 3: three open, the fourth is EMFILE. */
static void contexts_limit(void *arg)
{
	int fds[4], i;

	(void)arg;
	for (i = 0; i < 3; i++) {
		fds[i] = open(ACALL_DEVICE_PATH, O_RDWR);
		CHILD_CHECK(fds[i] >= 0);
	}
	CHILD_CHECK(open(ACALL_DEVICE_PATH, O_RDWR) < 0 && errno == EMFILE);
	close(fds[0]);
	fds[3] = open(ACALL_DEVICE_PATH, O_RDWR);
	CHILD_CHECK(fds[3] >= 0);
	for (i = 1; i < 4; i++)
		close(fds[i]);
}

TEST_F(unpriv, contexts_per_user_are_limited)
{
	int fds[4], i;

	ASSERT_EQ(0, chmod(ACALL_DEVICE_PATH, 0666));
	ASSERT_EQ(0, acall_param_write("user_max_contexts", 3));
	EXPECT_EQ(0, as_nobody(contexts_limit, NULL));
	/* Root is not limited. */
	for (i = 0; i < 4; i++) {
		fds[i] = open(ACALL_DEVICE_PATH, O_RDWR);
		EXPECT_LE(0, fds[i]);
	}
	for (i = 0; i < 4; i++)
		close(fds[i]);
}

/*
 * nobody makes a user namespace of its own, with uids 0-9 of it mapped
 * (by root here, as newuidmap maps a user's subordinate ids), and opens
 * the device once as each of them: they are all nobody's contexts, and
 * the limit holds for the lot. Before, each mapped uid was a user of its
 * own, and all ten opened.
 */
TEST_F(unpriv, a_users_namespace_is_charged_to_that_user)
{
	int to_child[2], from_child[2], status, fd, i;
	char path[64], c = 0, opened = 0;
	static const char map[] = "0 200000 10";
	pid_t pid;

	ASSERT_EQ(0, chmod(ACALL_DEVICE_PATH, 0666));
	ASSERT_EQ(0, acall_param_write("user_max_contexts", 2));
	ASSERT_EQ(0, pipe(to_child));
	ASSERT_EQ(0, pipe(from_child));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		close(to_child[1]);
		close(from_child[0]);
		become_nobody();
		c = unshare(CLONE_NEWUSER) ? 1 : 0;
		CHILD_CHECK(write(from_child[1], &c, 1) == 1);
		if (c)
			_exit(0);
		CHILD_CHECK(read(to_child[0], &c, 1) == 1);
		for (i = 0; i < 10; i++) {
			CHILD_CHECK(setresuid(i, i, 0) == 0);
			fd = open(ACALL_DEVICE_PATH, O_RDWR);
			CHILD_CHECK(fd >= 0 || errno == EMFILE);
			opened += fd >= 0;
			CHILD_CHECK(setresuid(0, 0, 0) == 0);
		}
		CHILD_CHECK(write(from_child[1], &opened, 1) == 1);
		_exit(0);
	}
	/* A child that fails a check exits: its pipe then reads as ended. */
	close(to_child[0]);
	close(from_child[1]);
	ASSERT_EQ(1, read(from_child[0], &c, 1));
	if (c) {
		waitpid(pid, &status, 0);
		close(to_child[1]);
		close(from_child[0]);
		SKIP(return, "nobody may not make a user namespace here");
	}
	snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)pid);
	fd = open(path, O_WRONLY);
	ASSERT_LE(0, fd);
	ASSERT_EQ(sizeof(map) - 1, write(fd, map, sizeof(map) - 1));
	close(fd);
	ASSERT_EQ(1, write(to_child[1], &c, 1));
	ASSERT_EQ(1, read(from_child[0], &opened, 1));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	EXPECT_EQ(2, opened) TH_LOG("the namespace's uids opened %d", opened);
	close(to_child[1]);
	close(from_child[0]);
}

/*
 * A process with CAP_SYS_RESOURCE is not limited, nor charged: root's own
 * contexts leave a process of root's without the capability its whole
 * budget. Before, root's three contexts counted, and its first open
 * failed with EMFILE.
 */
TEST_F(unpriv, unlimited_contexts_leave_the_budget_whole)
{
	int fds[3], fd, i, status;
	pid_t pid;

	ASSERT_EQ(0, acall_param_write("user_max_contexts", 2));
	for (i = 0; i < 3; i++) {
		fds[i] = open(ACALL_DEVICE_PATH, O_RDWR);
		ASSERT_LE(0, fds[i]);
	}
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		CHILD_CHECK(acall_drop_capability(CAP_SYS_RESOURCE) == 0);
		for (i = 0; i < 2; i++)
			CHILD_CHECK(open(ACALL_DEVICE_PATH, O_RDWR) >= 0);
		fd = open(ACALL_DEVICE_PATH, O_RDWR);
		CHILD_CHECK(fd < 0 && errno == EMFILE);
		_exit(0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_EQ(0, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	for (i = 0; i < 3; i++)
		close(fds[i]);
}

/*
 * With user_max_ring_kb 64: a 4096-entry ring (64 KiB of completions and a
 * header) is too big; a 2048-entry one fits, but not two.
 */
static void ring_limit(void *arg)
{
	struct acall_options big = { .entries = 4096 }, half = { .entries = 2048 };
	struct acall_ring r1, r2;

	(void)arg;
	CHILD_CHECK(acall_ring_init(&r1, &big) == -ENOMEM);
	CHILD_CHECK(acall_ring_init(&r1, &half) == 0);
	CHILD_CHECK(acall_ring_init(&r2, &half) == -ENOMEM);
	acall_ring_exit(&r1);
	CHILD_CHECK(acall_ring_init(&r2, &half) == 0);
	acall_ring_exit(&r2);
}

TEST_F(unpriv, ring_memory_per_user_is_limited)
{
	ASSERT_EQ(0, chmod(ACALL_DEVICE_PATH, 0666));
	ASSERT_EQ(0, acall_param_write("user_max_ring_kb", 64));
	EXPECT_EQ(0, as_nobody(ring_limit, NULL));
}

/*
 * With user_max_workers 2: a context's four 1 s requests are served by two
 * workers, all complete; a second context of the same user, finding no
 * worker to be had, gets -EAGAIN.
 */
static void workers_limit(void *arg)
{
	struct acall_options opts = { .entries = 16, .max_workers = 8 };
	struct acall_ring a, b;
	struct acall_sqe sqes[4];
	struct acall_stats st;
	struct acall_cqe *cqe;
	int i;

	(void)arg;
	CHILD_CHECK(acall_ring_init(&a, &opts) == 0);
	CHILD_CHECK(acall_ring_init(&b, &opts) == 0);
	for (i = 0; i < 4; i++) {
		acall_prep_nop(&sqes[i], 1000 * MS);
		acall_sqe_set_data(&sqes[i], i);
	}
	CHILD_CHECK(acall_submit(&a, sqes, 4) == 4);
	/* Until both workers the user may have exist. */
	do {
		CHILD_CHECK(acall_stats(&a, &st) == 0);
	} while (st.workers < 2);
	acall_prep_nop(&sqes[0], MS);
	CHILD_CHECK(acall_run1(&b, &sqes[0]) == -EAGAIN);
	for (i = 0; i < 4; i++) {
		CHILD_CHECK(acall_wait_cqe(&a, &cqe, -1) == 0);
		CHILD_CHECK(cqe->res == 0);
		acall_cq_advance(&a, 1);
	}
	CHILD_CHECK(acall_stats(&a, &st) == 0);
	CHILD_CHECK(st.workers_peak == 2);
	acall_ring_exit(&b);
	acall_ring_exit(&a);
}

TEST_F(unpriv, workers_per_user_are_limited)
{
	ASSERT_EQ(0, chmod(ACALL_DEVICE_PATH, 0666));
	ASSERT_EQ(0, acall_param_write("user_max_workers", 2));
	EXPECT_EQ(0, as_nobody(workers_limit, NULL));
}

/* What a thread that SERVE refused saw of its own I/O priority. */
struct refused_serve {
	int fd;
	int set_errno;		/* its ioprio_set() */
	int ioprio_before, ioprio_after;
	int serve_ret;
};

static void *serve_refused(void *arg)
{
	struct refused_serve *r = arg;

	/* An I/O context of its own, with a priority the test can see. */
	r->set_errno = syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0,
			       IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 3)) ? errno : 0;
	r->ioprio_before = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
	r->serve_ret = ioctl(r->fd, ACALL_IOC_SERVE, 0);
	r->ioprio_after = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
	return NULL;
}

/*
 * In a child as nobody, with user_max_workers 0: a thread of the process
 * that calls SERVE is refused (0 at once, nothing served) and keeps its
 * own I/O context: the I/O priority it set is still its own, not the
 * context's.
 */
static void refused_serve_keeps(void *arg)
{
	struct acall_params p = {
		.entries = 8, .flags = ACALL_SETUP_PROCESS_WORKERS,
	};
	struct refused_serve r = { .serve_ret = -1 };
	pthread_t t;

	(void)arg;
	r.fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(r.fd >= 0);
	CHILD_CHECK(ioctl(r.fd, ACALL_IOC_SETUP, &p) == 0);
	CHILD_CHECK(pthread_create(&t, NULL, serve_refused, &r) == 0);
	CHILD_CHECK(pthread_join(t, NULL) == 0);
	CHILD_CHECK(r.set_errno == 0);
	CHILD_CHECK(r.serve_ret == 0);
	CHILD_CHECK(r.ioprio_before == IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 3));
	CHILD_CHECK(r.ioprio_after == r.ioprio_before);
	close(r.fd);
}

TEST_F(unpriv, a_thread_serve_refuses_keeps_its_io_context)
{
	ACALL_REQUIRE(ACALL_FEAT_PROCESS_WORKERS);
	ASSERT_EQ(0, chmod(ACALL_DEVICE_PATH, 0666));
	ASSERT_EQ(0, acall_param_write("user_max_workers", 0));
	EXPECT_EQ(0, as_nobody(refused_serve_keeps, NULL));
}

/*
 * In a child as nobody: a context whose one worker thread then idles (a
 * 1 ms NOP made it; worker_idle_ms set high), ready written; once go
 * reads a byte or end of file, another NOP, which that thread serves when
 * it is back: it kept its place, and its charge, while stopped.
 */
static void hold_thread_worker(int ready, int go)
{
	struct acall_options opts = { .entries = 8, .max_workers = 1 };
	struct acall_ring ring;
	struct acall_stats st;
	struct acall_sqe sqe;
	char c;

	become_nobody();
	CHILD_CHECK(acall_ring_init(&ring, &opts) == 0);
	acall_prep_nop(&sqe, MS);
	CHILD_CHECK(acall_run1(&ring, &sqe) == 0);
	CHILD_CHECK(acall_stats(&ring, &st) == 0);
	CHILD_CHECK(st.workers == 1);
	CHILD_CHECK(write(ready, "r", 1) == 1);
	CHILD_CHECK(read(go, &c, 1) >= 0);
	acall_prep_nop(&sqe, MS);
	CHILD_CHECK(acall_run1(&ring, &sqe) == 0);
	acall_ring_exit(&ring);
	_exit(0);
}

/* As nobody: a NOP that needs a worker completes with *(int *)arg. */
static void worker_nop(void *arg)
{
	struct acall_ring ring;
	struct acall_sqe sqe;

	CHILD_CHECK(acall_ring_init(&ring, NULL) == 0);
	acall_prep_nop(&sqe, MS);
	CHILD_CHECK(acall_run1(&ring, &sqe) == *(int *)arg);
	acall_ring_exit(&ring);
}

/*
 * Fork a child that runs hold(ready, go), which makes a worker and writes
 * ready, then waits for go to read a byte or end of file; the device open
 * to all, and workers idling until their context closes. Returns its pid
 * once it is ready, and in *go_write the end of go to close.
 */
static pid_t start_holder(struct __test_metadata *_metadata,
			  void (*hold)(int ready, int go), int *go_write)
{
	int ready[2], go[2];
	pid_t holder;
	char c;

	ASSERT_EQ(0, chmod(ACALL_DEVICE_PATH, 0666));
	ASSERT_EQ(0, acall_param_write("worker_idle_ms", 3600 * 1000));
	ASSERT_EQ(0, pipe2(ready, O_CLOEXEC));
	ASSERT_EQ(0, pipe2(go, O_CLOEXEC));
	holder = fork();
	ASSERT_LE(0, holder);
	if (holder == 0) {
		close(ready[0]);
		close(go[1]);
		hold(ready[1], go[0]);
	}
	close(ready[1]);
	close(go[0]);
	/* End of file instead if the holder failed a check. */
	ASSERT_EQ(1, read(ready[0], &c, 1));
	close(ready[0]);
	*go_write = go[1];
	return holder;
}

/*
 * Start hold_thread_worker() with user_max_workers 1 and stop it: its
 * worker thread goes back to userspace (EINTR) to stop with the rest of
 * the process, and is away from the pool once the stop is reported.
 * Returns the child's pid.
 */
static pid_t stop_thread_worker_holder(struct __test_metadata *_metadata,
				       int *go_write)
{
	pid_t holder;
	int status;

	ASSERT_EQ(0, acall_param_write("user_max_workers", 1));
	holder = start_holder(_metadata, hold_thread_worker, go_write);
	ASSERT_EQ(0, kill(holder, SIGSTOP));
	ASSERT_EQ(holder, waitpid(holder, &status, WUNTRACED));
	ASSERT_TRUE(WIFSTOPPED(status));
	return holder;
}

/*
 * With user_max_workers 1, a process's one worker thread is stopped (it
 * went back to userspace): it still counts, so another process of the
 * same user gets no worker (-EAGAIN) and cannot take its place; the
 * thread, continued, serves its own context's next request.
 */
TEST_F(unpriv, a_thread_gone_to_userspace_keeps_its_worker_charge)
{
	static int refused = -EAGAIN;
	int go, status;
	pid_t holder;

	holder = stop_thread_worker_holder(_metadata, &go);
	EXPECT_EQ(0, as_nobody(worker_nop, &refused));
	ASSERT_EQ(0, kill(holder, SIGCONT));
	close(go);
	ASSERT_EQ(holder, waitpid(holder, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
}

/*
 * The charge of a thread that never comes back is given back when its
 * process dies: killed while stopped, it leaves the user its worker.
 */
TEST_F(unpriv, a_killed_process_gives_back_its_stopped_workers_charge)
{
	static int served;
	int go, status;
	pid_t holder;

	holder = stop_thread_worker_holder(_metadata, &go);
	ASSERT_EQ(0, kill(holder, SIGKILL));
	ASSERT_EQ(holder, waitpid(holder, &status, 0));
	EXPECT_TRUE(WIFSIGNALED(status));
	close(go);
	/* Its last thread released the context as it exited, before this. */
	EXPECT_EQ(0, as_nobody(worker_nop, &served));
}

/*
 * In a child as OTHER_UID: make one kernel-thread worker (a context on the
 * raw ABI, no ACALL_SETUP_PROCESS_WORKERS), which then idles until the
 * context closes (worker_idle_ms set high), write to ready, and shut the
 * context down once go reads end of file.
 */
static void hold_kthread_worker(int ready, int go)
{
	struct acall_stats st;
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	struct acall_raw r;
	char c;
	int fd;

	CHILD_CHECK(setgroups(0, NULL) == 0);
	CHILD_CHECK(setresgid(OTHER_UID, OTHER_UID, OTHER_UID) == 0);
	CHILD_CHECK(setresuid(OTHER_UID, OTHER_UID, OTHER_UID) == 0);
	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(acall_raw_setup(&r, fd, 8) == 0);
	acall_prep_nop(&sqe, MS);	/* a worker's */
	CHILD_CHECK(acall_raw_submit(fd, &sqe, 1) == 1);
	CHILD_CHECK(acall_raw_reap(&r, &cqe) == 0);
	CHILD_CHECK(cqe.res == 0);
	CHILD_CHECK(ioctl(fd, ACALL_IOC_STATS, &st) == 0);
	CHILD_CHECK(st.workers == 1);
	CHILD_CHECK(write(ready, "r", 1) == 1);
	CHILD_CHECK(read(go, &c, 1) >= 0);
	CHILD_CHECK(ioctl(fd, ACALL_IOC_SHUTDOWN, 0) == 0);
	_exit(0);
}

/*
 * As nobody: a kernel-thread context's request gets a worker (arg NULL),
 * or (arg non-NULL) none, -EAGAIN, with another user's kernel-thread
 * worker alive and max_kthread_workers 1, though nobody's own
 * user_max_workers has room; a context with process workers is not
 * bounded by max_kthread_workers.
 */
static void kthread_worker_refused(void *arg)
{
	struct acall_ring ring;
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	struct acall_raw r;
	int fd;

	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(acall_raw_setup(&r, fd, 8) == 0);
	acall_prep_nop(&sqe, MS);
	CHILD_CHECK(acall_raw_submit(fd, &sqe, 1) == 1);
	CHILD_CHECK(acall_raw_reap(&r, &cqe) == 0);
	CHILD_CHECK(cqe.res == (arg ? -EAGAIN : 0));
	acall_raw_unmap(&r);
	close(fd);

	CHILD_CHECK(acall_ring_init(&ring, NULL) == 0);
	acall_prep_nop(&sqe, MS);
	CHILD_CHECK(acall_run1(&ring, &sqe) == 0);
	acall_ring_exit(&ring);
}

/*
 * Kernel threads are in no pids cgroup and under no RLIMIT_NPROC: a caller
 * who may take many uids (a container's root) would get user_max_workers
 * of them per uid but for max_kthread_workers, which counts them over all
 * users together (kthread_workers shows the count). Once the holder's
 * worker has gone, the count is down by one at least, and with the bound
 * at the count the holder's worker made, nobody gets a worker: a count
 * that leaked the holder's would fail both.
 */
TEST_F(unpriv, kernel_thread_workers_of_all_users_are_limited)
{
	static int refused = 1;
	long long held, after;
	int go, status;
	pid_t holder;

	/* Users without CAP_SYS_ADMIN may have kernel-thread workers. */
	ASSERT_EQ(0, acall_param_write("kthread_workers_disabled", 0));
	/* The holder's worker idles until its context closes. */
	holder = start_holder(_metadata, hold_kthread_worker, &go);
	held = acall_param_read("kthread_workers");
	ASSERT_LE(1, held);
	/* At least the holder's is alive: no other may start. */
	ASSERT_EQ(0, acall_param_write("max_kthread_workers", 1));
	EXPECT_EQ(0, as_nobody(kthread_worker_refused, &refused));
	close(go);
	ASSERT_EQ(holder, waitpid(holder, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));

	/* Its context closed, the holder's worker ends: its count with it. */
	while (acall_kthread_workers(holder, NULL, 0) > 0)
		sched_yield();
	after = acall_param_read("kthread_workers");
	EXPECT_GE(held - 1, after);
	ASSERT_EQ(0, acall_param_write("max_kthread_workers", held));
	EXPECT_EQ(0, as_nobody(kthread_worker_refused, NULL));
}

/*
 * SETUP without ACALL_SETUP_PROCESS_WORKERS on a fresh context: 0, or
 * -errno. fd: the device, opened by the caller.
 */
static int kthread_setup(int fd)
{
	struct acall_raw r;
	int ret;

	ret = acall_raw_setup(&r, fd, 8);
	if (!ret)
		acall_raw_unmap(&r);
	close(fd);
	return ret;
}

/*
 * As nobody: a kernel-thread context is refused with *arg (EPERM) or set
 * up (0); either way the same fd can still be set up with process workers
 * (the refusal, if any, before the EBUSY of a second SETUP), and
 * libacall's context runs a request that needs a worker.
 */
static void kthread_setup_as_nobody(void *arg)
{
	struct acall_params p = { .entries = 8 }, again = { .entries = 8 };
	const int *expect = arg;
	struct acall_ring ring;
	struct acall_sqe sqe;
	int fd;

	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	if (*expect) {
		CHILD_CHECK(ioctl(fd, ACALL_IOC_SETUP, &p) == -1);
		CHILD_CHECK(errno == *expect);
		p.flags = ACALL_SETUP_PROCESS_WORKERS;
	}
	CHILD_CHECK(ioctl(fd, ACALL_IOC_SETUP, &p) == 0);
	CHILD_CHECK(ioctl(fd, ACALL_IOC_SETUP, &again) == -1);
	CHILD_CHECK(errno == (*expect ? EPERM : EBUSY));
	close(fd);
	CHILD_CHECK(acall_ring_init(&ring, NULL) == 0);
	acall_prep_nop(&sqe, MS);	/* a worker's */
	CHILD_CHECK(acall_run1(&ring, &sqe) == 0);
	acall_ring_exit(&ring);
}

/* What a child of root's does before (or after) it opens the device. */
enum root_child {
	AS_ROOT,
	NOBODY_AFTER_OPEN,	/* open as root, then become nobody */
	OWN_USERNS,		/* root of a user namespace of its own */
};

struct root_setup {
	int cap;		/* a capability to drop first, or -1 */
	enum root_child how;
	int expect;		/* SETUP's errno, or 0 */
};

/*
 * In a child of root's: drop the capability, do what how says, then SETUP
 * a kernel-thread context, which must answer expect.
 */
static void kthread_setup_in_root_child(void *arg)
{
	const struct root_setup *s = arg;
	int fd;

	if (s->cap >= 0)
		CHILD_CHECK(acall_drop_capability(s->cap) == 0);
	if (s->how == OWN_USERNS)
		CHILD_CHECK(unshare(CLONE_NEWUSER) == 0);
	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	if (s->how == NOBODY_AFTER_OPEN)
		become_nobody();
	CHILD_CHECK(kthread_setup(fd) == -s->expect);
}

/* The child's exit status: 0, or the line of the check that failed. */
static int kthread_setup_as_root(int cap, enum root_child how, int expect)
{
	struct root_setup s = { .cap = cap, .how = how, .expect = expect };

	return in_child(kthread_setup_in_root_child, &s, false);
}

/*
 * Kernel-thread workers run outside the process's cgroups (cpu.max,
 * pids.max, cpuset): kthread_workers_disabled keeps them to an opener
 * with CAP_SYS_ADMIN (1, the default), refuses them to all (2), or gives
 * them to all (0). EPERM from SETUP is the refusal; process workers stay
 * open to everyone. The capability counts at open, and it is
 * CAP_SYS_ADMIN, not root's uid or CAP_SYS_RESOURCE.
 */
TEST_F(unpriv, kernel_thread_workers_need_cap_sys_admin)
{
	static int eperm = EPERM, none;

	ASSERT_EQ(0, chmod(ACALL_DEVICE_PATH, 0666));

	ASSERT_EQ(0, acall_param_write("kthread_workers_disabled", 1));
	EXPECT_EQ(0, as_nobody(kthread_setup_as_nobody, &eperm));
	EXPECT_EQ(0, kthread_setup_as_root(-1, AS_ROOT, 0));
	EXPECT_EQ(0, kthread_setup_as_root(-1, NOBODY_AFTER_OPEN, 0));
	EXPECT_EQ(0, kthread_setup_as_root(CAP_SYS_ADMIN, AS_ROOT, EPERM));
	EXPECT_EQ(0, kthread_setup_as_root(CAP_SYS_RESOURCE, AS_ROOT, 0));
	/* A container's root: CAP_SYS_ADMIN in its own namespace only. */
	if (access("/proc/self/ns/user", F_OK) == 0) {
		EXPECT_EQ(0, kthread_setup_as_root(-1, OWN_USERNS, EPERM));
	} else {
		TH_LOG("no user namespaces here: a container's root not checked");
	}

	ASSERT_EQ(0, acall_param_write("kthread_workers_disabled", 2));
	EXPECT_EQ(0, kthread_setup_as_root(-1, AS_ROOT, EPERM));
	EXPECT_EQ(0, kthread_setup_as_root(-1, NOBODY_AFTER_OPEN, EPERM));
	EXPECT_EQ(0, as_nobody(kthread_setup_as_nobody, &eperm));

	ASSERT_EQ(0, acall_param_write("kthread_workers_disabled", 0));
	EXPECT_EQ(0, as_nobody(kthread_setup_as_nobody, &none));

	/* Beyond 2: refused, the level unchanged. */
	EXPECT_EQ(-EINVAL, acall_param_write("kthread_workers_disabled", 3));
	EXPECT_EQ(0, acall_param_read("kthread_workers_disabled"));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio across fork(): an acall context belongs to the process
 * that opened it, so the child must get its own, and the parent's must go
 * on working.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"
#include "task_state.h"

/* Write then read back 64 KiB at off with seed; 0 when the data matches. */
static int round_trip(int fd, off_t off, unsigned int seed)
{
	static char buf[65536], back[65536];
	struct aiocb cb;

	acall_fill(buf, sizeof(buf), off, seed);
	pa_prep(&cb, fd, buf, sizeof(buf), off);
	if (pa_run(&cb, aio_write) != sizeof(buf))
		return 1;
	memset(back, 0, sizeof(back));
	pa_prep(&cb, fd, back, sizeof(back), off);
	if (pa_run(&cb, aio_read) != sizeof(back))
		return 2;
	return acall_check(back, sizeof(back), off, seed) == -1 ? 0 : 3;
}

TEST(child_and_parent_both_keep_working)
{
	int fd, status, i;
	pid_t pid;

	PA_REQUIRE_ACALL();
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);
	/* The parent's context exists before the fork. */
	ASSERT_EQ(0, round_trip(fd, 0, 1));
	for (i = 0; i < 3; i++) {
		pid = fork();
		ASSERT_LE(0, pid);
		if (pid == 0)
			_exit(round_trip(fd, 65536 * (i + 1), 10 + i));
		ASSERT_EQ(pid, waitpid(pid, &status, 0));
		EXPECT_TRUE(WIFEXITED(status));
		EXPECT_EQ(0, WEXITSTATUS(status)) TH_LOG("child %d", i);
		EXPECT_EQ(0, round_trip(fd, 0, 20 + i)) TH_LOG("parent after child %d", i);
	}
	close(fd);
}

static pthread_mutex_t app_lock = PTHREAD_MUTEX_INITIALIZER;

static void app_lock_take(void)
{
	pthread_mutex_lock(&app_lock);
}

static void app_lock_give(void)
{
	pthread_mutex_unlock(&app_lock);
}

struct forker {
	pid_t tid;
	int status;
};

static void *forker_main(void *arg)
{
	struct forker *f = arg;
	pid_t pid;

	__atomic_store_n(&f->tid, gettid(), __ATOMIC_RELEASE);
	pid = fork();
	if (pid == 0)
		_exit(0);
	if (pid < 0 || waitpid(pid, &f->status, 0) != pid)
		f->status = -1;
	return NULL;
}

/*
 * The program's fork handler takes a lock of its own, registered before
 * its first AIO call, and a thread calls aio_write() holding that lock
 * while another forks. The library's handler (which takes the library's
 * lock) runs after the program's, so the fork waits for the thread and
 * not the other way round; before, it ran first and the two waited for
 * each other (the test then ends by its timeout).
 */
TEST(fork_waits_for_a_thread_in_aio_holding_the_program_s_lock)
{
	struct forker f = { 0 };
	pthread_t thread;
	int fd;

	PA_REQUIRE_ACALL();
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, pthread_atfork(app_lock_take, app_lock_give, app_lock_give));
	ASSERT_EQ(0, round_trip(fd, 0, 1));

	pthread_mutex_lock(&app_lock);
	ASSERT_EQ(0, pthread_create(&thread, NULL, forker_main, &f));
	/* Until the forking thread waits in a fork handler for app_lock. */
	while (!__atomic_load_n(&f.tid, __ATOMIC_ACQUIRE) ||
	       acall_task_state(f.tid) != 'S')
		sched_yield();
	EXPECT_EQ(0, round_trip(fd, 65536, 2));
	pthread_mutex_unlock(&app_lock);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	EXPECT_TRUE(WIFEXITED(f.status));
	EXPECT_EQ(0, WEXITSTATUS(f.status));
	close(fd);
}

/* A child forked while the parent has a request in flight. */
TEST(fork_with_a_request_in_flight)
{
	int p[2], fd, status;
	char c;
	struct aiocb cb;
	pid_t pid;

	PA_REQUIRE_ACALL();
	ASSERT_EQ(0, pipe(p));
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);
	pa_prep(&cb, p[0], &c, 1, 0);
	ASSERT_EQ(0, aio_read(&cb));	/* stays pending until written */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(round_trip(fd, 0, 5));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(1, write(p[1], "k", 1));
	EXPECT_EQ(0, pa_wait(&cb));
	EXPECT_EQ(1, aio_return(&cb));
	EXPECT_EQ('k', c);
	close(fd);
	close(p[0]);
	close(p[1]);
}

/*
 * The child's copy of an aiocb that completed in the parent and was not
 * returned there: its record is not the child's, and aio_return() on it
 * says EINVAL. Before, it took the record the child had freed at the fork,
 * returned the parent's count and pushed the freed record for a second
 * free at the child's next request.
 */
static int child_after_fork(int fd, struct aiocb *parents)
{
	static char buf[4096];
	struct aiocb cb;
	ssize_t ret;

	errno = 0;
	ret = aio_return(parents);
	if (ret != -1 || errno != EINVAL)
		return 10;
	/* A request of the child's own, after that, and its result. */
	acall_fill(buf, sizeof(buf), 8192, 4);
	pa_prep(&cb, fd, buf, sizeof(buf), 8192);
	if (pa_run(&cb, aio_write) != sizeof(buf))
		return 11;
	return round_trip(fd, 65536, 6);
}

TEST(child_aio_return_of_a_parent_request_is_einval)
{
	static char buf[4096];
	struct aiocb cb;
	int fd, status;
	pid_t pid;

	PA_REQUIRE_ACALL();
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);
	acall_fill(buf, sizeof(buf), 0, 3);
	pa_prep(&cb, fd, buf, sizeof(buf), 0);
	ASSERT_EQ(0, aio_write(&cb));
	ASSERT_EQ(0, pa_wait(&cb));	/* done, not returned */
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0)
		_exit(child_after_fork(fd, &cb));
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	EXPECT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The parent's own aio_return() is untouched by the child's. */
	EXPECT_EQ((ssize_t)sizeof(buf), aio_return(&cb));
	close(fd);
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * A thread asleep in ACALL_IOC_WAIT or ACALL_SUBMIT_WAIT for n completions
 * is woken once, when the n are in the ring: not at each completion before
 * them, to find too few and go back to sleep. Counted as the sleeper's
 * voluntary context switches while the completions arrive one at a time.
 *
 * The context's workers are the process's threads and none serves, so a
 * NOP with a delay stays in flight for as long as a test needs: the
 * context is never idle, which would end the sleep early. The shutdown at
 * the end cancels it.
 */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "task_state.h"

#define ENTRIES	32
#define WANTED	16

/* Voluntary context switches of thread tid of this process, or -1. */
static long voluntary_switches(pid_t tid)
{
	char line[128];
	long n;

	if (acall_task_line(tid, "status", "voluntary_ctxt_switches:", line,
			    sizeof(line)) ||
	    sscanf(line, "voluntary_ctxt_switches: %ld", &n) != 1)
		return -1;
	return n;
}

enum sleep_call { SLEEP_WAIT, SLEEP_WAIT_TIMED, SLEEP_SUBMIT_WAIT };

struct sleeper {
	int fd;
	enum sleep_call call;
	pid_t tid;
	bool returned;
	int ret;
	long switches;		/* its own count once the call returned */
};

static void *sleep_for_wanted(void *arg)
{
	struct sleeper *s = arg;
	struct acall_submit sub = { .flags = ACALL_SUBMIT_WAIT,
				    .min_complete = WANTED };
	struct acall_wait w = { .min_complete = WANTED, .timeout_ns = -1 };
	struct rusage ru;

	__atomic_store_n(&s->tid, syscall(SYS_gettid), __ATOMIC_RELEASE);
	if (s->call == SLEEP_WAIT_TIMED)
		w.timeout_ns = 3600 * 1000000000LL;
	if (s->call == SLEEP_SUBMIT_WAIT)
		s->ret = ioctl(s->fd, ACALL_IOC_SUBMIT, &sub);
	else
		s->ret = ioctl(s->fd, ACALL_IOC_WAIT, &w);
	getrusage(RUSAGE_THREAD, &ru);
	s->switches = ru.ru_nvcsw;
	__atomic_store_n(&s->returned, true, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * Until the sleeper sleeps in its call; false if the call returned
 * instead (too early: the test fails rather than hangs).
 */
static bool sleeper_asleep(struct sleeper *s)
{
	while (!acall_task_sleeps_in_ioctl(s->tid)) {
		if (__atomic_load_n(&s->returned, __ATOMIC_ACQUIRE))
			return false;
		sched_yield();
	}
	return true;
}

/*
 * WANTED NOPs completed one per SUBMIT by this thread, each waking the
 * sleeper's queue before its call returns; after each, wait until the
 * sleeper is asleep again (at once if it was never woken). The number of
 * times it went back to sleep, or -1.
 */
static long sleeps_while_completions_arrive(struct __test_metadata *_metadata,
					    enum sleep_call call)
{
	struct sleeper s = { .call = call };
	struct acall_sqe sqe;
	struct acall_raw r;
	pthread_t thread;
	long before;
	int fd, i;

	fd = open(ACALL_DEVICE_PATH, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (acall_raw_setup_flags(&r, fd, ENTRIES,
				  ACALL_SETUP_PROCESS_WORKERS)) {
		close(fd);
		return -1;
	}
	s.fd = fd;
	/* In flight until the shutdown: no worker serves it. */
	acall_prep_nop(&sqe, 1000 * 1000);
	EXPECT_EQ(1, acall_raw_submit(fd, &sqe, 1));

	if (pthread_create(&thread, NULL, sleep_for_wanted, &s)) {
		close(fd);
		return -1;
	}
	while (!__atomic_load_n(&s.tid, __ATOMIC_ACQUIRE))
		sched_yield();
	before = sleeper_asleep(&s) ? voluntary_switches(s.tid) : -1;

	acall_prep_nop(&sqe, 0);
	for (i = 0; i < WANTED && before >= 0; i++) {
		/* Failed: the sleeper would wait for good; the shutdown ends it. */
		if (acall_raw_submit(fd, &sqe, 1) != 1) {
			TH_LOG("SUBMIT %d of %d failed", i + 1, WANTED);
			before = -1;
			break;
		}
		/* The last one ends the sleep for good. */
		if (i < WANTED - 1 && !sleeper_asleep(&s))
			before = -1;
	}
	if (before >= 0) {
		/*
		 * The last completion alone must end the sleep: a sleeper
		 * whose wake-up was lost hangs here, and the test times out.
		 * SUBMIT_WAIT returns the none it took, WAIT what is ready.
		 */
		EXPECT_EQ(0, pthread_join(thread, NULL));
		EXPECT_EQ(call == SLEEP_SUBMIT_WAIT ? 0 : WANTED, s.ret);
		EXPECT_EQ(0, ioctl(fd, ACALL_IOC_SHUTDOWN, 0));
	} else {
		/* It returned too early: the shutdown ends what is left. */
		EXPECT_EQ(0, ioctl(fd, ACALL_IOC_SHUTDOWN, 0));
		EXPECT_EQ(0, pthread_join(thread, NULL));
		TH_LOG("the sleeper's call returned %d early", s.ret);
	}
	acall_raw_unmap(&r);
	close(fd);
	if (before < 0)
		return -1;
	return s.switches - before;
}

/*
 * Each SUBMIT wakes the queue; a sleeper woken to find too few would sleep
 * again, WANTED - 1 times in all. The margin is for switches that are not
 * the wait's: the first sleep itself when /proc showed the sleeper asleep
 * before it switched out, a major fault on the way back, or (PREEMPT_RT)
 * a contended lock, which counts as a voluntary switch there.
 */
#define MARGIN	3

static void check_woken_once(struct __test_metadata *_metadata,
			     enum sleep_call call, const char *name)
{
	long sleeps = sleeps_while_completions_arrive(_metadata, call);

	ASSERT_LE(0, sleeps) {
		TH_LOG("%s returned before its %d completions", name, WANTED);
	}
	EXPECT_GE(MARGIN, sleeps) {
		TH_LOG("%s slept %ld more times for %d completions", name,
		       sleeps, WANTED);
	}
}

TEST(wait_sleeper_is_woken_once_for_all_it_wants)
{
	ACALL_REQUIRE(ACALL_FEAT_PROCESS_WORKERS | ACALL_FEAT_SHUTDOWN);
	check_woken_once(_metadata, SLEEP_WAIT, "WAIT");
}

/* The same with a timeout, which sleeps on a timer of its own. */
TEST(timed_wait_sleeper_is_woken_once_for_all_it_wants)
{
	ACALL_REQUIRE(ACALL_FEAT_PROCESS_WORKERS | ACALL_FEAT_SHUTDOWN);
	check_woken_once(_metadata, SLEEP_WAIT_TIMED, "a timed WAIT");
}

TEST(submit_wait_sleeper_is_woken_once_for_all_it_wants)
{
	ACALL_REQUIRE(ACALL_FEAT_SUBMIT_WAIT | ACALL_FEAT_PROCESS_WORKERS |
		      ACALL_FEAT_SHUTDOWN);
	check_woken_once(_metadata, SLEEP_SUBMIT_WAIT, "SUBMIT_WAIT");
}

TEST_HARNESS_MAIN

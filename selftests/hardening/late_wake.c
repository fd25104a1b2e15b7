// SPDX-License-Identifier: GPL-2.0
/*
 * acall-late_wake: with the test-only module (acall-inject.ko) loaded, a
 * thread donated with ACALL_IOC_SERVE idles in the pool; a delayed NOP
 * (one that runs in a worker) is submitted, and the module, having chosen
 * that thread for it, signals it and holds back the wake-up for a second
 * (ACALL_INJECT_LATE_WAKE). The thread leaves SERVE with EINTR and then
 * waits in sigtimedwait() for a signal nobody sends: it must time out
 * (EAGAIN). Were the late wake-up to reach it there, it would return EINTR
 * with no signal. The thread then serves the NOP, which must complete.
 * Prints TAP lines; exit status 0 when all passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/acall.h>
#include "inject.h"
#include "served.h"

static int dev;
static pthread_t server;
static pid_t server_tid;	/* set before it first calls SERVE */
static int serve_first, wait_res, serve_again;	/* errno values, or 0 */

static void on_usr1(int sig)
{
	(void)sig;
}

static void *serve(void *arg)
{
	struct timespec two = { .tv_sec = 2 };
	sigset_t usr2;
	int ret;

	(void)arg;
	__atomic_store_n(&server_tid, gettid(), __ATOMIC_RELEASE);
	serve_first = ioctl(dev, ACALL_IOC_SERVE, 0) ? errno : 0;
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	wait_res = sigtimedwait(&usr2, NULL, &two) < 0 ? errno : 0;
	while ((ret = ioctl(dev, ACALL_IOC_SERVE, 0)) < 0 && errno == EINTR)
		;
	serve_again = ret ? errno : 0;
	return NULL;
}

static int check(int n, int ok, const char *name, const char *why)
{
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", n, name,
	       ok ? "" : " # ", ok ? "" : why);
	return ok ? 0 : 1;
}

int main(void)
{
	struct acall_params p = { .entries = 8,
				  .flags = ACALL_SETUP_PROCESS_WORKERS };
	struct acall_wait w = { .min_complete = 1, .timeout_ns = -1 };
	struct acall_submit s = { .nr = 1 };
	struct sigaction sa = { .sa_handler = on_usr1 };
	struct acall_sqe sqe;
	struct acall_cqe cqe;
	sigset_t usr2;
	cpu_set_t cpu0;
	char why[128];
	int ctl, failed = 0;
	void *map;

	/*
	 * One CPU for both threads: a thread that serves of its own accord
	 * joins its node's pool, and the NOP must be queued there.
	 */
	CPU_ZERO(&cpu0);
	CPU_SET(0, &cpu0);
	sched_setaffinity(0, sizeof(cpu0), &cpu0);
	/* SIGUSR2 is only waited for: blocked in every thread. */
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	/* No SA_RESTART: SERVE returns EINTR for it, as the ABI says. */
	sigaction(SIGUSR1, &sa, NULL);

	/* The thread idles in SERVE: the one to choose. */
	if (served_context("acall-late_wake", &p, &dev, &ctl, &map) ||
	    served_start("acall-late_wake", &server, serve, &server_tid))
		return 1;

	if (ioctl(ctl, ACALL_IOC_INJECT, ACALL_INJECT_LATE_WAKE)) {
		perror("acall-late_wake: ACALL_IOC_INJECT");
		return 1;
	}
	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = ACALL_OP_NOP;
	sqe.len64 = 1;		/* a delay: it runs in a worker */
	sqe.user_data = 42;
	s.sqes = (__u64)(uintptr_t)&sqe;
	if (ioctl(dev, ACALL_IOC_SUBMIT, &s) != 1) {
		perror("acall-late_wake: ACALL_IOC_SUBMIT");
		return 1;
	}
	if (ioctl(dev, ACALL_IOC_WAIT, &w) < 1) {
		perror("acall-late_wake: ACALL_IOC_WAIT");
		return 1;
	}
	cqe = ((struct acall_cqe *)((char *)map + p.ring.cqes))[0];
	ioctl(dev, ACALL_IOC_SHUTDOWN, 0);
	pthread_join(server, NULL);

	snprintf(why, sizeof(why), "SERVE: %s", strerror(serve_first));
	failed += check(1, serve_first == EINTR,
			"the chosen thread, signalled, leaves SERVE with EINTR",
			why);
	snprintf(why, sizeof(why), "sigtimedwait: %s", strerror(wait_res));
	failed += check(2, wait_res == EAGAIN,
			"the late wake-up does not reach it in sigtimedwait",
			why);
	snprintf(why, sizeof(why), "user_data %llu res %d, SERVE: %s",
		 (unsigned long long)cqe.user_data, cqe.res,
		 strerror(serve_again));
	failed += check(3, cqe.user_data == 42 && cqe.res == 0 && !serve_again,
			"it comes back and serves the request", why);
	return failed ? 1 : 0;
}

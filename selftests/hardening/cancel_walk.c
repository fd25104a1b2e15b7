// SPDX-License-Identifier: GPL-2.0
/*
 * acall-cancel_walk: with the test-only module (acall-inject.ko) loaded,
 * ACALL_IOC_CANCEL walks a list longer than the stretch it looks at under
 * the list's lock (ACALL_CANCEL_WALK, 64), so it lets go of the lock and
 * pauses there (ACALL_INJECT_CANCEL_PAUSE) while every request leaves the
 * list and completes: this test shuts the context down, or donates a
 * worker that runs them all. The walk must then go on from where the list
 * now is, not from a request that was completed and freed (the debug
 * kernel's KASAN sees that), and find nothing. Three times: requests
 * waiting for a worker (a context whose worker threads do not come until
 * then), shut down and served, and requests held behind a barrier, shut
 * down.
 * Prints TAP lines; exit status 0 when all passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/acall.h>
#include "inject.h"
#include "../task_state.h"

#define ENTRIES	512
#define NR	200	/* more than three stretches of the walk */
#define TARGET	150	/* the user_data canceled: past the first pause */

struct canceler {
	int fd;
	pid_t tid;		/* set before it calls CANCEL */
	int done;		/* it returned */
	int err;		/* its errno, or 0 */
};

static void *cancel_one(void *arg)
{
	struct canceler *c = arg;
	__u64 user_data = TARGET;

	__atomic_store_n(&c->tid, gettid(), __ATOMIC_RELEASE);
	c->err = ioctl(c->fd, ACALL_IOC_CANCEL, &user_data) < 0 ? errno : 0;
	__atomic_store_n(&c->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static void *serve(void *arg)
{
	int fd = *(int *)arg;

	while (ioctl(fd, ACALL_IOC_SERVE, 0) < 0 && errno == EINTR)
		;
	return NULL;
}

static int check(int n, int ok, const char *name, const char *why)
{
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", n, name,
	       ok ? "" : " # ", ok ? "" : why);
	return ok ? 0 : 1;
}

static void prep_nop(struct acall_sqe *sqe, __u64 user_data, __u8 flags)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = ACALL_OP_NOP;
	sqe->len64 = 1;		/* a delay: it waits for a worker */
	sqe->flags = flags;
	sqe->user_data = user_data;
}

/*
 * One run: a context whose workers do not come, nr requests from sqes, a
 * CANCEL of TARGET paused in its walk; meanwhile a SHUTDOWN, or (served)
 * a thread that serves them all, each completing with want. Checks n and
 * n + 1; returns how many failed, or -1 when it could not set up.
 */
static int run(int n, const char *list, const struct acall_sqe *sqes,
	       unsigned int nr, bool served, int ctl)
{
	struct acall_wait w = { .min_complete = nr, .timeout_ns = -1 };
	int want = served ? 0 : -ECANCELED;
	pthread_t server;
	struct acall_params p = { .entries = ENTRIES,
				  .flags = ACALL_SETUP_PROCESS_WORKERS };
	struct acall_submit s = { .sqes = (__u64)(uintptr_t)sqes, .nr = nr };
	static unsigned char seen[ENTRIES * 2];
	struct canceler c = { .fd = -1 };
	unsigned int head, tail, i, bad = 0;
	struct acall_cqe *cqes;
	char name[128], why[160];
	int failed = 0, paused;
	pthread_t thread;
	void *map;
	pid_t tid;

	c.fd = open("/dev/acall", O_RDWR);
	if (c.fd < 0 || ioctl(c.fd, ACALL_IOC_SETUP, &p)) {
		perror("acall-cancel_walk: /dev/acall");
		return -1;
	}
	map = mmap(NULL, p.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		   c.fd, 0);
	if (map == MAP_FAILED || ioctl(c.fd, ACALL_IOC_SUBMIT, &s) != (int)nr) {
		perror("acall-cancel_walk: mmap or SUBMIT");
		return -1;
	}
	if (ioctl(ctl, ACALL_IOC_INJECT, ACALL_INJECT_CANCEL_PAUSE)) {
		perror("acall-cancel_walk: ACALL_IOC_INJECT");
		return -1;
	}
	if (pthread_create(&thread, NULL, cancel_one, &c)) {
		fprintf(stderr, "acall-cancel_walk: pthread_create failed\n");
		return -1;
	}
	while (!(tid = __atomic_load_n(&c.tid, __ATOMIC_ACQUIRE)))
		sched_yield();
	/* Asleep in the pause, or back already: a walk in one go. */
	while (!(paused = acall_task_sleeps_in_ioctl(tid)) &&
	       !__atomic_load_n(&c.done, __ATOMIC_ACQUIRE))
		sched_yield();
	/* Every request completes meanwhile. */
	if (served) {
		if (pthread_create(&server, NULL, serve, &c.fd)) {
			fprintf(stderr, "acall-cancel_walk: pthread_create failed\n");
			return -1;
		}
		ioctl(c.fd, ACALL_IOC_WAIT, &w);
	} else {
		ioctl(c.fd, ACALL_IOC_SHUTDOWN, 0);
	}
	ioctl(ctl, ACALL_IOC_INJECT, ACALL_INJECT_CANCEL_RESUME);
	pthread_join(thread, NULL);
	if (served) {
		ioctl(c.fd, ACALL_IOC_SHUTDOWN, 0);
		pthread_join(server, NULL);
	}

	snprintf(name, sizeof(name),
		 "CANCEL lets go of the lock of %s in its walk", list);
	failed += check(n, paused, name, "it returned without a pause");

	cqes = (struct acall_cqe *)((char *)map + p.ring.cqes);
	head = *(__u32 *)((char *)map + p.ring.head);
	tail = __atomic_load_n((__u32 *)((char *)map + p.ring.tail),
			       __ATOMIC_ACQUIRE);
	memset(seen, 0, sizeof(seen));
	for (i = head; i != tail; i++) {
		const struct acall_cqe *cqe = &cqes[i & (ENTRIES - 1)];

		if (cqe->user_data >= sizeof(seen) || cqe->res != want ||
		    seen[cqe->user_data]++)
			bad++;
	}
	snprintf(why, sizeof(why),
		 "CANCEL: %s; %u completions, %u not a first with %d",
		 strerror(c.err), tail - head, bad, want);
	snprintf(name, sizeof(name),
		 "%s in its pause: the walk of %s ends with ENOENT, each request completed once",
		 served ? "a worker serving them all" : "a SHUTDOWN", list);
	failed += check(n + 1, c.err == ENOENT && tail - head == nr && !bad,
			name, why);
	munmap(map, p.ring_bytes);
	close(c.fd);
	return failed;
}

int main(void)
{
	static struct acall_sqe sqes[NR + 1];
	unsigned int i;
	int ctl, a, b, c;

	ctl = open("/dev/acall", O_RDWR);
	if (ctl < 0) {
		perror("acall-cancel_walk: /dev/acall");
		return 1;
	}
	/* Waiting for a worker, on the pool's queue. */
	for (i = 0; i < NR; i++)
		prep_nop(&sqes[i], i + 1, 0);
	a = run(1, "a pool's queue", sqes, NR, false, ctl);
	b = run(3, "a pool's queue", sqes, NR, true, ctl);
	if (a < 0 || b < 0)
		return 1;
	/* A barrier that waits for a worker, and NR held behind it. */
	prep_nop(&sqes[0], NR + 1, ACALL_SQE_ORDERED);
	for (i = 1; i <= NR; i++)
		prep_nop(&sqes[i], i, 0);
	c = run(5, "the held requests", sqes, NR + 1, false, ctl);
	return a || b || c ? 1 : 0;
}

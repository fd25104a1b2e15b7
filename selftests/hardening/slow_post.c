// SPDX-License-Identifier: GPL-2.0
/*
 * acall-slow_post: with the test-only module (acall-inject.ko) loaded, a
 * completion's post stalls between storing the ring's tail, which the
 * caller sees, and the module's own (ACALL_INJECT_SLOW_POST). The caller
 * consumes the completion in that window, as an event loop would, and
 * then:
 *   1. WAIT with a zero timeout finds nothing ready (ETIME), not a full
 *      ring (its head is one past the module's tail for a moment);
 *   2. SUBMIT takes a request: the ring has room.
 * The workers run on CPU 1 and this thread on CPU 0, so that the stalled
 * post, with interrupts off, does not hold this thread off its CPU. A
 * check whose call returned before the stall was over proves nothing (the
 * window was missed): it is tried again, up to TRIES times. Under TCG on
 * a busy host (CI builds the debug kernel beside the first VM run) a
 * vCPU can lose the window several times in a row; a module that gets it
 * wrong fails every try, so more of them cost only time.
 * Prints TAP lines; exit status 0 when all passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/acall.h>
#include "inject.h"

#define TRIES	20

static int dev;
static void *map;
static struct acall_params p = { .entries = 8 };

static __u32 *ring_u32(__u32 off)
{
	return (__u32 *)((char *)map + off);
}

static struct acall_cqe *ring_cqe(__u32 i)
{
	return (struct acall_cqe *)((char *)map + p.ring.cqes) +
	       (i & *ring_u32(p.ring.ring_mask));
}

static int check(int n, int ok, const char *name, const char *why)
{
	printf("%sok %d %s%s%s\n", ok ? "" : "not ", n, name,
	       ok ? "" : " # ", ok ? "" : why);
	return ok ? 0 : 1;
}

static int submit_nop(__u64 delay_ns, __u64 user_data)
{
	struct acall_sqe sqe;
	struct acall_submit s = { .nr = 1, .sqes = (__u64)(uintptr_t)&sqe };

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = ACALL_OP_NOP;
	sqe.len64 = delay_ns;	/* a delay: it runs in a worker */
	sqe.user_data = user_data;
	return ioctl(dev, ACALL_IOC_SUBMIT, &s);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * Post a delayed NOP with a stalled post and consume it as soon as the
 * ring's tail shows it: head is then tail, one past the module's own.
 * Returns the time it showed, or 0 if it did not within 20 s or was not
 * that NOP.
 */
static double consume_in_the_stall(__u32 tail, __u64 user_data)
{
	double deadline = now() + 20, seen;

	if (ioctl(dev, ACALL_IOC_INJECT, ACALL_INJECT_SLOW_POST) ||
	    submit_nop(1, user_data) != 1) {
		perror("acall-slow_post: INJECT or SUBMIT");
		return 0;
	}
	while (__atomic_load_n(ring_u32(p.ring.tail), __ATOMIC_ACQUIRE) == tail)
		if (now() > deadline)
			return 0;
	seen = now();
	if (ring_cqe(tail)->user_data != user_data)
		return 0;
	__atomic_store_n(ring_u32(p.ring.head), tail + 1, __ATOMIC_RELEASE);
	return seen;
}

/*
 * The call that followed took most of the stall: it came while the post
 * was half done (a module that got it right waited the post out). One
 * that returned at once came after it: the window was missed.
 */
static int waited_out_stall(double seen)
{
	return now() - seen >= ACALL_INJECT_SLOW_POST_MS / 1000.0 / 3;
}

/* The workers on CPU 1, this thread on CPU 0; false with one CPU. */
static int pin(void)
{
	struct acall_affinity a = { .mask_size = sizeof(cpu_set_t) };
	cpu_set_t set;

	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return 0;
	CPU_ZERO(&set);
	CPU_SET(1, &set);
	a.mask = (__u64)(uintptr_t)&set;
	if (ioctl(dev, ACALL_IOC_AFFINITY, &a))
		return 0;
	CPU_ZERO(&set);
	CPU_SET(0, &set);
	return !sched_setaffinity(0, sizeof(set), &set);
}

static void skip_all(const char *why)
{
	int i;

	for (i = 1; i <= 3; i++)
		printf("ok %d slow_post # SKIP %s\n", i, why);
}

int main(void)
{
	struct acall_wait w = { .min_complete = 1, .timeout_ns = 0 };
	__u32 tail = 0, user_data = 0;
	int failed = 0, ret = 0, err = 0, try;
	char why[128];
	double seen;

	dev = open("/dev/acall", O_RDWR);
	if (dev < 0 || ioctl(dev, ACALL_IOC_SETUP, &p)) {
		perror("acall-slow_post: /dev/acall");
		return 1;
	}
	map = mmap(NULL, p.ring_bytes, PROT_READ | PROT_WRITE, MAP_SHARED,
		   dev, 0);
	if (map == MAP_FAILED) {
		perror("acall-slow_post: mmap");
		return 1;
	}
	if (!pin()) {
		skip_all("needs two CPUs");
		return 0;
	}

	/* 1: WAIT right after consuming it. */
	for (try = 0; try < TRIES; try++) {
		seen = consume_in_the_stall(tail, ++user_data);
		if (!seen)
			break;
		tail++;
		ret = ioctl(dev, ACALL_IOC_WAIT, &w);
		err = errno;
		if (!(ret == -1 && err == ETIME) || waited_out_stall(seen))
			break;
	}
	if (!seen)
		snprintf(why, sizeof(why), "NOP %u never showed in the ring",
			 user_data);
	else if (ret == -1 && err == ETIME)
		snprintf(why, sizeof(why), "the window was missed %d times", try);
	else
		snprintf(why, sizeof(why), "WAIT returned %d (%s)", ret,
			 ret < 0 ? strerror(err) : "completions ready");
	failed += check(1, seen && ret == -1 && err == ETIME && try < TRIES,
			"WAIT finds nothing ready after a completion consumed mid-post",
			why);

	/* 2: SUBMIT right after consuming it. */
	for (try = 0; seen && try < TRIES; try++) {
		seen = consume_in_the_stall(tail, ++user_data);
		if (!seen)
			break;
		tail++;
		ret = submit_nop(0, ++user_data);
		err = errno;
		if (ret != 1)
			break;
		/* Its completion, posted inline, is the only one there. */
		w.timeout_ns = -1;
		if (ioctl(dev, ACALL_IOC_WAIT, &w) != 1 ||
		    ring_cqe(tail)->user_data != user_data) {
			ret = -2;
			break;
		}
		w.timeout_ns = 0;
		__atomic_store_n(ring_u32(p.ring.head), ++tail, __ATOMIC_RELEASE);
		if (waited_out_stall(seen))
			break;
	}
	if (!seen)
		snprintf(why, sizeof(why), "NOP %u never showed in the ring",
			 user_data);
	else if (ret == 1)
		snprintf(why, sizeof(why), "the window was missed %d times", try);
	else if (ret == -2)
		snprintf(why, sizeof(why), "its completion is not the one there");
	else
		snprintf(why, sizeof(why), "SUBMIT returned %d (%s)", ret,
			 strerror(err));
	failed += check(2, seen && ret == 1 && try < TRIES,
			"SUBMIT finds room after a completion consumed mid-post",
			why);

	/* 3: nothing else is left in the ring or in flight. */
	ret = ioctl(dev, ACALL_IOC_WAIT, &w);
	err = errno;
	snprintf(why, sizeof(why), "WAIT %d (%s), tail %u, head %u", ret,
		 ret < 0 ? strerror(err) : "ready",
		 *ring_u32(p.ring.tail), *ring_u32(p.ring.head));
	failed += check(3, ret == -1 && err == ETIME &&
			*ring_u32(p.ring.tail) == tail,
			"the ring holds every completion once, and no more", why);
	return failed ? 1 : 0;
}

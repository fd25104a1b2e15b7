/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A context served by a thread the tool donates (ACALL_IOC_SERVE), for the
 * hardening tools that drive the test-only module: its set-up, and the
 * start of the serving thread.
 */
#ifndef ACALL_HARDENING_SERVED_H
#define ACALL_HARDENING_SERVED_H

#include <pthread.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include <linux/acall.h>
#include "../task_state.h"

/*
 * Open /dev/acall twice: *dev set up with *p, its ring mapped read-only
 * at *map; *ctl for ACALL_IOC_INJECT. 0, or -1 once perror() has said why
 * (tool: the program's name).
 */
static inline int served_context(const char *tool, struct acall_params *p,
				 int *dev, int *ctl, void **map)
{
	*dev = open("/dev/acall", O_RDWR);
	*ctl = open("/dev/acall", O_RDWR);
	if (*dev < 0 || *ctl < 0 || ioctl(*dev, ACALL_IOC_SETUP, p)) {
		perror(tool);
		return -1;
	}
	*map = mmap(NULL, p->ring_bytes, PROT_READ, MAP_SHARED, *dev, 0);
	if (*map == MAP_FAILED) {
		perror(tool);
		return -1;
	}
	return 0;
}

/*
 * Start serve, which stores its thread's gettid() at *tidp (with release)
 * before it first calls SERVE, and return once that thread sleeps in
 * ioctl(2): idle in its pool, the worker the next request goes to. 0, or
 * -1 once it has said why.
 */
static inline int served_start(const char *tool, pthread_t *thread,
			       void *(*serve)(void *), pid_t *tidp)
{
	pid_t tid;

	if (pthread_create(thread, NULL, serve, NULL)) {
		fprintf(stderr, "%s: pthread_create failed\n", tool);
		return -1;
	}
	while (!(tid = __atomic_load_n(tidp, __ATOMIC_ACQUIRE)))
		sched_yield();
	acall_task_wait_asleep_in_ioctl(tid);
	return 0;
}

#endif /* ACALL_HARDENING_SERVED_H */

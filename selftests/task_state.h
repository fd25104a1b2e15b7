/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a thread of the calling process is doing, from /proc: for tests
 * that must wait until a thread has gone to sleep in a call to the module.
 * Needs no test harness.
 */
#ifndef ACALL_TASK_STATE_H
#define ACALL_TASK_STATE_H

#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>

/* Whether thread tid of this process sleeps (state S) in ioctl(2). */
static inline bool acall_task_sleeps_in_ioctl(pid_t tid)
{
	char path[64], line[256] = "", *state;
	bool sleeping = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	if (fgets(line, sizeof(line), f)) {
		state = strrchr(line, ')');
		sleeping = state && state[1] == ' ' && state[2] == 'S';
	}
	fclose(f);
	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return false;
	snprintf(path, sizeof(path), "%d ", SYS_ioctl);
	if (!fgets(line, sizeof(line), f) || strncmp(line, path, strlen(path)))
		sleeping = false;
	fclose(f);
	return sleeping;
}

/* Yield until thread tid of this process sleeps in ioctl(2). */
static inline void acall_task_wait_asleep_in_ioctl(pid_t tid)
{
	while (!acall_task_sleeps_in_ioctl(tid))
		sched_yield();
}

#endif /* ACALL_TASK_STATE_H */

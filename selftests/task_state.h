/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a thread is doing, from /proc: for tests that must wait until a
 * thread has gone to sleep in a call to the module, or look at a worker.
 * Needs no test harness.
 */
#ifndef ACALL_TASK_STATE_H
#define ACALL_TASK_STATE_H

#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <unistd.h>

/*
 * /proc/<tid>/stat of any task, read at once into buf (size bytes), so
 * that the fields taken from it agree. False when the task is gone.
 */
static inline bool acall_task_stat(pid_t tid, char *buf, size_t size)
{
	char path[64];
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)tid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return false;
	len = read(fd, buf, size - 1);
	close(fd);
	if (len <= 0)
		return false;
	buf[len] = 0;
	return true;
}

/*
 * Field number field (3 or more: those after the ")" that closes comm,
 * which may hold spaces and parentheses) of a stat line, or NULL when the
 * line has fewer.
 */
static inline const char *acall_stat_field(const char *stat, int field)
{
	const char *p = strrchr(stat, ')');
	int n;

	for (n = 2; p && n < field; n++)
		p = strchr(p + 1, ' ');
	return p ? p + 1 : NULL;
}

/*
 * Whether thread tid of this process is in system call nr, as
 * /proc/self/task/<tid>/syscall says: 1 it is, 0 it is not, -1 the thread
 * is gone.
 */
static inline int acall_task_in_syscall(pid_t tid, long nr)
{
	char path[64], line[32] = "", want[24];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (!fgets(line, sizeof(line), f))
		line[0] = 0;
	fclose(f);
	snprintf(want, sizeof(want), "%ld ", nr);
	return !strncmp(line, want, strlen(want));
}

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
	return sleeping && acall_task_in_syscall(tid, SYS_ioctl) == 1;
}

/* Yield until thread tid of this process sleeps in ioctl(2). */
static inline void acall_task_wait_asleep_in_ioctl(pid_t tid)
{
	while (!acall_task_sleeps_in_ioctl(tid))
		sched_yield();
}

#endif /* ACALL_TASK_STATE_H */

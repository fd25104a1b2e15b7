/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What a thread is doing, from /proc: for tests that must wait until a
 * thread has gone to sleep in a call to the module, or look at a worker.
 * Needs no test harness.
 */
#ifndef ACALL_TASK_STATE_H
#define ACALL_TASK_STATE_H

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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

/* Task tid's state letter (R, S, D, ...), or 0 once it is gone. */
static inline char acall_task_state(pid_t tid)
{
	const char *state;
	char buf[1024];

	if (!acall_task_stat(tid, buf, sizeof(buf)))
		return 0;
	state = acall_stat_field(buf, 3);
	return state ? state[0] : 0;
}

/*
 * Whether signal sig is in the set that /proc/<tid>/status shows on its
 * line key ("SigPnd:", "ShdPnd:", "SigBlk:"): 1 or 0; -1 when there is no
 * such line (the task is gone).
 */
static inline int acall_task_sig_in(pid_t tid, const char *key, int sig)
{
	char path[64], line[256];
	unsigned long long set;
	int ret = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, strlen(key)) &&
		    sscanf(line + strlen(key), "%llx", &set) == 1) {
			ret = !!(set & (1ULL << (sig - 1)));
			break;
		}
	fclose(f);
	return ret;
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
	return acall_task_state(tid) == 'S' &&
	       acall_task_in_syscall(tid, SYS_ioctl) == 1;
}

/* Yield until thread tid of this process sleeps in ioctl(2). */
static inline void acall_task_wait_asleep_in_ioctl(pid_t tid)
{
	while (!acall_task_sleeps_in_ioctl(tid))
		sched_yield();
}

/*
 * The kernel-thread workers of process tgid ("acall/<tgid>:<n>", a context
 * set up without ACALL_SETUP_PROCESS_WORKERS): how many there are, the
 * first max of them in tids.
 */
static inline int acall_kthread_workers(pid_t tgid, pid_t *tids, int max)
{
	char prefix[32], path[64], comm[32];
	struct dirent *d;
	int count = 0;
	DIR *proc;
	FILE *f;

	snprintf(prefix, sizeof(prefix), "acall/%d:", (int)tgid);
	proc = opendir("/proc");
	if (!proc)
		return -1;
	while ((d = readdir(proc))) {
		pid_t tid = atoi(d->d_name);

		if (tid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)tid);
		f = fopen(path, "r");
		if (!f)
			continue;
		if (fgets(comm, sizeof(comm), f) &&
		    !strncmp(comm, prefix, strlen(prefix))) {
			if (count < max)
				tids[count] = tid;
			count++;
		}
		fclose(f);
	}
	closedir(proc);
	return count;
}

#endif /* ACALL_TASK_STATE_H */

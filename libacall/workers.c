// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The worker threads a context asks of its process
 * (ACALL_SETUP_PROCESS_WORKERS): one spawner sleeps in ACALL_IOC_SPAWN and
 * creates as many threads as the module asks for; each serves the context
 * in ACALL_IOC_SERVE until the module lets it go (idle, or shut down).
 *
 * They are ordinary threads of the process, created with every signal
 * blocked and detached: glibc knows them (setuid() reaches them, debuggers
 * list them), they run no code of the program (but a malloc replacement,
 * which glibc calls), and signals meant for the program are never taken
 * by them. They start with the scheduling attributes (CPUs, policy, nice)
 * of the thread that set the ring up, as any new thread. The module makes
 * them share the context's io_context as CLONE_IO would. acall_ring_exit()
 * shuts the context down, then waits for every one of them to be gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "acall.h"
#include "internal.h"

/* The threads only run the ioctl loop: a small stack does. */
#if defined(__SANITIZE_ADDRESS__)
#define WORKER_STACK	(1024 * 1024)
#else
#define WORKER_STACK	(128 * 1024)
#endif

struct acall_workers {
	int fd;			/* the threads' own, dup()ed: see start */
	dev_t rdev;		/* the device fd is open on */
	pthread_mutex_t lock;
	pthread_cond_t gone;	/* alive reached 0 */
	unsigned int alive;	/* the spawner and the workers, under lock */
	unsigned int next_id;	/* for the workers' names, under lock */
	unsigned int failed;	/* workers whose SERVE failed, under lock */
	pid_t spawner_tid;	/* under lock; 0 until it runs */
};

/* The last thing a thread does with w: after this, w may be freed. */
static void thread_gone(struct acall_workers *w)
{
	pthread_mutex_lock(&w->lock);
	if (--w->alive == 0)
		pthread_cond_broadcast(&w->gone);
	pthread_mutex_unlock(&w->lock);
}

/*
 * The CPUs of thread tid, in a set of *size bytes (CPU_FREE() it), or NULL
 * when they cannot be read, as /proc/self/task/TID/status lists them,
 * offline ones included.
 */
static cpu_set_t *cpus_listed_of(pid_t tid, size_t *size)
{
	static const char key[] = "Cpus_allowed_list:";
	unsigned long first, last, max = 0;
	cpu_set_t *set = NULL;
	char path[64], *line = NULL, *p;
	size_t cap = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return NULL;
	while (!found && getline(&line, &cap, f) > 0)
		found = !strncmp(line, key, sizeof(key) - 1);
	fclose(f);
	if (!found)
		goto out;
	/* "0-3,8,10-11": twice, for the size, then the bits. */
	for (int pass = 0; pass < 2; pass++) {
		for (p = line + sizeof(key) - 1; *p && *p != '\n';) {
			char *start = p;

			first = last = strtoul(start, &p, 10);
			if (p != start && *p == '-') {
				start = p + 1;
				last = strtoul(start, &p, 10);
			}
			if (p == start || last < first || last >= 1UL << 20)
				goto bad;
			if (!pass && last > max)
				max = last;
			for (; pass && first <= last; first++)
				CPU_SET_S(first, *size, set);
			if (*p == ',')
				p++;
		}
		if (!pass) {
			if (p == line + sizeof(key) - 1)
				goto out;	/* no CPU at all */
			set = CPU_ALLOC(max + 1);
			if (!set)
				goto out;
			*size = CPU_ALLOC_SIZE(max + 1);
			CPU_ZERO_S(*size, set);
		}
	}
	goto out;
bad:
	CPU_FREE(set);
	set = NULL;
out:
	free(line);
	return set;
}

/*
 * The CPUs of thread tid, in a set of *size bytes (CPU_FREE() it), or NULL
 * when they cannot be read. Listed by /proc, offline ones included:
 * sched_getaffinity() leaves out the CPUs that are not active, and a
 * worker given those alone while a CPU is offline would keep off that CPU
 * once it is back (the module only narrows a thread). Without /proc (not
 * mounted, another pid namespace's), sched_getaffinity()'s.
 */
static cpu_set_t *cpus_of(pid_t tid, size_t *size)
{
	cpu_set_t *set = cpus_listed_of(tid, size);
	int err;

	if (set)
		return set;
	/* As large as the kernel's CPU mask: it refuses a smaller one. */
	for (int n = 1024; n <= 1 << 20; n *= 2) {
		set = CPU_ALLOC(n);
		if (!set)
			return NULL;
		*size = CPU_ALLOC_SIZE(n);
		if (!sched_getaffinity(tid, *size, set))
			return set;
		err = errno;
		CPU_FREE(set);
		if (err != EINVAL)
			return NULL;
	}
	return NULL;
}

/*
 * Back from SERVE with EINTR: take the CPUs a new thread would have, the
 * spawner's, which follow the cpuset and the program's affinity. The
 * module only ever narrows a serving thread (it cannot see the cpuset);
 * the kernel checks this call against the cpuset.
 */
static void take_spawner_cpus(struct acall_workers *w)
{
	cpu_set_t *set;
	size_t size;
	pid_t tid;

	/* Under the lock: the spawner clears its tid there before it ends. */
	pthread_mutex_lock(&w->lock);
	tid = w->spawner_tid;
	set = tid ? cpus_of(tid, &size) : NULL;
	pthread_mutex_unlock(&w->lock);
	if (!set)
		return;
	sched_setaffinity(0, size, set);
	CPU_FREE(set);
}

static void *worker_main(void *arg)
{
	struct acall_workers *w = arg;
	char name[16];
	int ret;

	pthread_mutex_lock(&w->lock);
	snprintf(name, sizeof(name), "acall/%d:%u", (int)getpid(), ++w->next_id);
	pthread_mutex_unlock(&w->lock);
	prctl(PR_SET_NAME, name);	/* cut at 15 bytes, as comm is */

	/*
	 * Interrupted to take a signal (a stop, setuid()), or for CPUs its
	 * pool has and it lacks: serve again, on a new thread's CPUs.
	 */
	while ((ret = ioctl(w->fd, ACALL_IOC_SERVE, 0)) < 0 && errno == EINTR)
		take_spawner_cpus(w);
	if (ret < 0) {
		/* The pool counted on this thread: the spawner says it failed. */
		pthread_mutex_lock(&w->lock);
		w->failed++;
		pthread_mutex_unlock(&w->lock);
	}
	thread_gone(w);
	return NULL;
}

static void *spawner_main(void *arg);

/* One more detached thread running fn; 0 or a negative errno. */
static int start_thread(struct acall_workers *w, void *(*fn)(void *))
{
	pthread_attr_t attr;
	sigset_t all;
	pthread_t t;
	int ret;

	sigfillset(&all);
	ret = pthread_attr_init(&attr);
	if (ret)
		return -ret;
	ret = pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (!ret)
		ret = pthread_attr_setsigmask_np(&attr, &all);
	if (!ret)
		ret = pthread_attr_setstacksize(&attr, WORKER_STACK);
	if (ret)
		goto out;

	pthread_mutex_lock(&w->lock);
	w->alive++;
	pthread_mutex_unlock(&w->lock);
	ret = pthread_create(&t, &attr, fn, w);
	if (ret == EINVAL) {
		/* Static TLS larger than the small stack: the default one. */
		pthread_attr_destroy(&attr);
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setsigmask_np(&attr, &all);
		ret = pthread_create(&t, &attr, fn, w);
	}
	if (ret)
		thread_gone(w);
out:
	pthread_attr_destroy(&attr);
	return -ret;
}

static void *spawner_main(void *arg)
{
	struct acall_workers *w = arg;
	struct acall_spawn s = { 0 };
	int i, n;

	prctl(PR_SET_NAME, "acall-spawn");
	pthread_mutex_lock(&w->lock);
	w->spawner_tid = gettid();
	pthread_mutex_unlock(&w->lock);
	for (;;) {
		pthread_mutex_lock(&w->lock);
		s.failed += w->failed;
		w->failed = 0;
		pthread_mutex_unlock(&w->lock);
		n = ioctl(w->fd, ACALL_IOC_SPAWN, &s);
		/* The module has taken in what failed, whatever it returned. */
		s.failed = 0;
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			if (start_thread(w, worker_main))
				s.failed++;
	}
	/* Its tid may name another thread once it is gone. */
	pthread_mutex_lock(&w->lock);
	w->spawner_tid = 0;
	pthread_mutex_unlock(&w->lock);
	thread_gone(w);
	return NULL;
}

struct acall_workers *acall_workers_start(int fd, int *err)
{
	struct acall_workers *w = calloc(1, sizeof(*w));

	*err = -ENOMEM;
	if (!w)
		return NULL;
	/*
	 * A descriptor of their own: a program may close the ring's fd with
	 * requests in flight (the mapping keeps the context), and the
	 * threads must still reach it.
	 */
	w->fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (w->fd < 0) {
		*err = -errno;
		goto err_free;
	}
	w->rdev = acall_fd_device(w->fd);
	if (pthread_mutex_init(&w->lock, NULL))
		goto err_fd;
	if (pthread_cond_init(&w->gone, NULL))
		goto err_lock;
	*err = start_thread(w, spawner_main);
	if (*err)
		goto err_cond;
	return w;

err_cond:
	pthread_cond_destroy(&w->gone);
err_lock:
	pthread_mutex_destroy(&w->lock);
err_fd:
	close(w->fd);
err_free:
	free(w);
	return NULL;
}

/*
 * Shut the context down through the threads' own fd (the ring's may be
 * closed already), or ring_fd (-1: none) if the program closed that one:
 * the module lets every thread go. Wait until they have all left the
 * context, so that closing it ends it.
 */
void acall_workers_stop(struct acall_workers *w, int ring_fd)
{
	bool own_fd;
	int ret;

	if (!w)
		return;
	/*
	 * The program closed ours (its number may be another file's now):
	 * the ring's, if it still has it, shuts the context down.
	 */
	own_fd = acall_fd_is_device(w->fd, w->rdev);
	if (!own_fd && ring_fd < 0)
		return;		/* threads may still use w: leave it */
	do
		ret = ioctl(own_fd ? w->fd : ring_fd, ACALL_IOC_SHUTDOWN, 0);
	while (ret < 0 && errno == EINTR);
	pthread_mutex_lock(&w->lock);
	/* Not shut down (the program closed even our fd): do not wait. */
	while (!ret && w->alive)
		pthread_cond_wait(&w->gone, &w->lock);
	pthread_mutex_unlock(&w->lock);
	if (ret)
		return;		/* threads may still use w: leave it */
	pthread_cond_destroy(&w->gone);
	pthread_mutex_destroy(&w->lock);
	if (own_fd)
		close(w->fd);
	free(w);
}

/* In a forked child: the parent's threads are not here; drop the fd. */
void acall_workers_forget(struct acall_workers *w)
{
	if (w && acall_fd_is_device(w->fd, w->rdev))
		close(w->fd);
}

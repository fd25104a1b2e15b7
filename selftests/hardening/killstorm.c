// SPDX-License-Identifier: GPL-2.0
/*
 * acall-killstorm: processes with contexts full of in-flight work, killed at
 * random moments.
 *
 *   acall-killstorm [-s SEED] [-t SECONDS] [-p PROCS] [-b SLOW_BDEV]
 *                   [-d SLOW_DIR] [-m MEMCG_DIR]
 *
 * PROCS children at a time each open one to three contexts and keep them
 * full: O_DIRECT reads and writes of a slow block device, buffered writes
 * and fsyncs of a file on a slow filesystem, NOPs that sleep in workers.
 * The parent SIGKILLs each after a random delay (from the seed), whatever it
 * is doing then: setting up, submitting, reaping, or waiting. With -m, every
 * fourth child moves itself into the memory cgroup MEMCG_DIR (its
 * memory.max set small by the caller) and, once its work is in flight,
 * touches memory until the OOM killer kills it.
 *
 * Prints "killstorm: seed S killed N oom_killed N ..." and exits 0, or 1 if
 * a child died otherwise than by SIGKILL. Whether workers and contexts
 * outlived their processes is the caller's to check once all are gone.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <acall.h>
#include "rand.h"

#define MAX_PROCS	32
#define BUFS		64
#define BUF_SIZE	4096
#define SECOND_NS	1000000000ULL
#define OOM_BOUND_MS	60000	/* generous: TCG is slow */

static struct {
	uint64_t seed;
	unsigned int seconds, procs;
	const char *bdev, *dir, *memcg;
} opt = { .seconds = 10, .procs = 6 };

/* Buffers of I/O that may outlive the process's last look at them. */
static unsigned char bufs[BUFS][BUF_SIZE] __attribute__((aligned(4096)));
static struct iovec iovs[BUFS];

/* One request that keeps a context busy; which kind, from the generator. */
static void busy_sqe(struct rnd *r, struct acall_sqe *sqe, int bdev, int file)
{
	unsigned int b = rnd_below(r, BUFS);
	__u64 off = rnd_below(r, 4096) * BUF_SIZE;

	iovs[b] = (struct iovec){ bufs[b], BUF_SIZE };
	switch (rnd_below(r, 6)) {
	case 0:
		if (bdev >= 0) {
			acall_prep_preadv(sqe, bdev, &iovs[b], 1, off, 0);
			break;
		}
		/* fall through */
	case 1:
		if (bdev >= 0) {
			acall_prep_pwritev(sqe, bdev, &iovs[b], 1, off, 0);
			break;
		}
		/* fall through */
	case 2:
		if (file >= 0) {
			acall_prep_pwritev(sqe, file, &iovs[b], 1, off, 0);
			break;
		}
		/* fall through */
	case 3:
		if (file >= 0) {
			acall_prep_fsync(sqe, file);
			break;
		}
		/* fall through */
	default:
		acall_prep_nop(sqe, rnd_below(r, SECOND_NS));
		break;
	}
	acall_sqe_set_data(sqe, rnd_next(r));
}

/* Touch memory until the OOM killer ends this process. */
static void eat_memory(void)
{
	for (;;) {
		size_t len = 1 << 20, i;
		unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (p == MAP_FAILED)
			continue;
		for (i = 0; i < len; i += 4096)
			p[i] = 1;
	}
}

static int join_memcg(void)
{
	char path[4096], pid[32];
	int fd, n;

	snprintf(path, sizeof(path), "%s/cgroup.procs", opt.memcg);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = snprintf(pid, sizeof(pid), "%d", getpid());
	n = write(fd, pid, n) == n ? 0 : -1;
	close(fd);
	return n;
}

/* A child: contexts kept full until it is killed. */
static void child(unsigned int idx, int oom)
{
	struct acall_ring rings[3];
	struct acall_sqe sqes[32];
	unsigned int nrings, i;
	int bdev = -1, file = -1;
	struct rnd r;

	rnd_init(&r, opt.seed, idx + 1, 0);
	if (oom && join_memcg())
		_exit(3);
	if (opt.bdev)
		bdev = open(opt.bdev, O_RDWR | O_DIRECT);
	if (opt.dir) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/acall-killstorm.%u", opt.dir, idx);
		file = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
		unlink(path);
	}
	nrings = 1 + rnd_below(&r, 3);
	for (i = 0; i < nrings; i++) {
		struct acall_options o = {
			.entries = 1U << (4 + rnd_below(&r, 5)),
			.max_workers = rnd_below(&r, 8),
		};

		if (acall_ring_init(&rings[i], &o))
			_exit(4);
	}
	for (;;) {
		struct acall_ring *ring = &rings[rnd_below(&r, nrings)];
		unsigned int n = 1 + rnd_below(&r, 32);
		int ret;

		for (i = 0; i < n; i++)
			busy_sqe(&r, &sqes[i], bdev, file);
		ret = acall_submit(ring, sqes, n);
		if (ret == -EBUSY) {
			/* Full: reap a little, or, once full, starve for memory. */
			if (oom)
				eat_memory();
			ret = acall_wait(ring, 1, rnd_below(&r, 50000000));
			if (ret > 0)
				acall_cq_advance(ring, rnd_below(&r, ret + 1));
		} else if (ret < 0) {
			_exit(5);
		}
	}
}

static unsigned long long oom_kills(void)
{
	char path[4096], line[128];
	unsigned long long n = 0;
	FILE *f;

	if (!opt.memcg)
		return 0;
	snprintf(path, sizeof(path), "%s/memory.events", opt.memcg);
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "oom_kill %llu", &n) == 1)
			break;
	fclose(f);
	return n;
}

static void usage(void)
{
	fprintf(stderr, "usage: acall-killstorm [-s SEED] [-t SECONDS] [-p PROCS] "
		"[-b SLOW_BDEV] [-d SLOW_DIR] [-m MEMCG_DIR]\n");
	exit(2);
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000ULL + ts.tv_nsec / 1000000;
}

int main(int argc, char **argv)
{
	struct { pid_t pid; uint64_t kill_at; int oom; } kids[MAX_PROCS] = { 0 };
	unsigned long long started = 0, killed = 0, oom_died = 0, oom_before;
	struct timespec tick = { 0, 5 * 1000 * 1000 };
	uint64_t end;
	unsigned int i;
	struct rnd r;
	int failed = 0, c;

	opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	while ((c = getopt(argc, argv, "s:t:p:b:d:m:")) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 't': opt.seconds = atoi(optarg); break;
		case 'p': opt.procs = atoi(optarg); break;
		case 'b': opt.bdev = optarg; break;
		case 'd': opt.dir = optarg; break;
		case 'm': opt.memcg = optarg; break;
		default: usage();
		}
	}
	if (!opt.procs || opt.procs > MAX_PROCS)
		usage();
	printf("killstorm: seed %llu, %u processes at a time, %u s\n",
	       (unsigned long long)opt.seed, opt.procs, opt.seconds);
	fflush(stdout);
	rnd_init(&r, opt.seed, 0, 0);
	oom_before = oom_kills();
	end = now_ms() + opt.seconds * 1000ULL;

	for (;;) {
		unsigned int alive = 0;

		for (i = 0; i < opt.procs; i++) {
			int status;

			if (!kids[i].pid && now_ms() < end) {
				kids[i].oom = opt.memcg && started % 4 == 3;
				/*
				 * Killed anywhere from at once to two seconds
				 * in; the OOM killer's are given a minute.
				 */
				kids[i].kill_at = now_ms() + (kids[i].oom ? OOM_BOUND_MS
									  : rnd_below(&r, 2000));
				kids[i].pid = fork();
				if (kids[i].pid == 0)
					child(started, kids[i].oom);
				if (kids[i].pid < 0) {
					kids[i].pid = 0;
					continue;
				}
				started++;
			}
			if (!kids[i].pid)
				continue;
			alive++;
			if (now_ms() >= kids[i].kill_at) {
				if (kids[i].oom) {
					fprintf(stderr, "killstorm: child %d in the memcg was not OOM-killed\n",
						kids[i].pid);
					failed = 1;
				}
				kill(kids[i].pid, SIGKILL);
				kids[i].kill_at = UINT64_MAX;
			}
			if (waitpid(kids[i].pid, &status, WNOHANG) != kids[i].pid)
				continue;
			if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
				fprintf(stderr, "killstorm: child %d ended with status 0x%x\n",
					kids[i].pid, status);
				failed = 1;
			} else if (kids[i].oom) {
				oom_died++;
			} else {
				killed++;
			}
			kids[i].pid = 0;
		}
		if (!alive && now_ms() >= end)
			break;
		nanosleep(&tick, NULL);
	}
	printf("killstorm: seed %llu started %llu killed %llu oom_killed %llu (memcg oom_kill events %llu)\n",
	       (unsigned long long)opt.seed, started, killed, oom_died,
	       oom_kills() - oom_before);
	if (opt.memcg && oom_died && oom_kills() == oom_before) {
		fprintf(stderr, "killstorm: children died in the memcg but no OOM kill was counted\n");
		failed = 1;
	}
	return failed;
}

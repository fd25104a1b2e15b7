// SPDX-License-Identifier: GPL-2.0
/*
 * ordercost: what a guest's flush costs. 4 KiB random O_DIRECT writes, 32
 * in flight, run three ways on the same file and offsets:
 *
 *   acall            untagged writes: no ordering at all (the ceiling);
 *   acall+ordered    an ORDERED FDATASYNC after every 32 writes, submitted
 *                    in the stream: the module holds later writes behind
 *                    it, the submitter never waits;
 *   threads+drain    the same guarantee on a QEMU-style userspace thread
 *                    pool: before each flush, wait for every write in
 *                    flight, run the flush, wait for it, then go on.
 *
 *   ordercost FILE [WRITES]
 *
 * FILE is created or reused, 64 MiB, on a filesystem that supports
 * O_DIRECT. Prints writes per second for each way and the ratios.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <acall.h>

#define BS		4096
#define DEPTH		32
#define FLUSH_EVERY	32
#define FILE_BLOCKS	(64 << 20) / BS
#define POOL_THREADS	16

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* The same pseudo-random block sequence for every way. */
static unsigned long next_block(unsigned long *state)
{
	*state = *state * 6364136223846793005UL + 1442695040888963407UL;
	return (*state >> 33) % FILE_BLOCKS;
}

/* ---- acall ---------------------------------------------------------------- */

static int run_acall(int fd, char *buf, long writes, bool ordered)
{
	struct acall_options opts = { .entries = 256 };
	struct iovec iov = { buf, BS };
	struct acall_ring ring;
	unsigned long rng = 1;
	long issued = 0, done = 0, since_flush = 0;
	int inflight = 0, ret;

	ret = acall_ring_init(&ring, &opts);
	if (ret)
		return ret;
	while (done < writes) {
		struct acall_sqe sqes[DEPTH + DEPTH / FLUSH_EVERY + 1];
		unsigned int n = 0;
		struct acall_cqe *cqe;

		while (issued < writes && inflight + n < DEPTH) {
			acall_prep_pwritev(&sqes[n], fd, &iov, 1,
					   next_block(&rng) * BS, 0);
			acall_sqe_set_data(&sqes[n++], 1);
			issued++;
			if (ordered && ++since_flush == FLUSH_EVERY) {
				acall_prep_fdatasync(&sqes[n], fd);
				acall_sqe_set_ordered(&sqes[n]);
				acall_sqe_set_data(&sqes[n++], 0);
				since_flush = 0;
			}
		}
		if (n) {
			ret = acall_submit(&ring, sqes, n);
			if (ret != (int)n)
				goto out;
			inflight += n;
		}
		ret = acall_wait(&ring, 1, -1);
		if (ret < 0)
			goto out;
		while ((cqe = acall_peek_cqe(&ring))) {
			if (cqe->res < 0 || (cqe->user_data && cqe->res != BS)) {
				ret = cqe->res < 0 ? cqe->res : -EIO;
				goto out;
			}
			done += cqe->user_data;
			inflight--;
			acall_cq_advance(&ring, 1);
		}
	}
	ret = 0;
out:
	acall_ring_exit(&ring);
	return ret;
}

/* ---- a userspace pool, draining before each flush ----------------------- */

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work, idle;
	int fd;
	char *buf;
	unsigned long queued[DEPTH];	/* offsets waiting for a thread */
	int nqueued, running;
	bool flush, stop;
	int err;
};

static void *pool_thread(void *arg)
{
	struct pool *p = arg;

	pthread_mutex_lock(&p->lock);
	for (;;) {
		unsigned long off = 0;
		bool flush = false;
		ssize_t res;

		while (!p->stop && !p->nqueued && !p->flush)
			pthread_cond_wait(&p->work, &p->lock);
		if (p->stop)
			break;
		if (p->nqueued)
			off = p->queued[--p->nqueued];
		else
			flush = true, p->flush = false;
		p->running++;
		pthread_mutex_unlock(&p->lock);
		if (flush)
			res = fdatasync(p->fd) ? -errno : 0;
		else
			res = pwrite(p->fd, p->buf, BS, off) == BS ? 0 : -EIO;
		pthread_mutex_lock(&p->lock);
		if (res)
			p->err = res;
		p->running--;
		pthread_cond_broadcast(&p->idle);
	}
	pthread_mutex_unlock(&p->lock);
	return NULL;
}

/* Wait until nothing is queued or running. Called with the lock held. */
static void pool_drain(struct pool *p)
{
	while (p->nqueued || p->running || p->flush)
		pthread_cond_wait(&p->idle, &p->lock);
}

static int run_threads(int fd, char *buf, long writes)
{
	struct pool p = { .fd = fd, .buf = buf };
	pthread_t th[POOL_THREADS];
	unsigned long rng = 1;
	long issued = 0;
	int i;

	pthread_mutex_init(&p.lock, NULL);
	pthread_cond_init(&p.work, NULL);
	pthread_cond_init(&p.idle, NULL);
	for (i = 0; i < POOL_THREADS; i++)
		pthread_create(&th[i], NULL, pool_thread, &p);

	pthread_mutex_lock(&p.lock);
	while (issued < writes && !p.err) {
		while (p.nqueued + p.running >= DEPTH)
			pthread_cond_wait(&p.idle, &p.lock);
		p.queued[p.nqueued++] = next_block(&rng) * BS;
		pthread_cond_signal(&p.work);
		if (++issued % FLUSH_EVERY == 0) {
			/* The guarantee by hand: drain, flush, wait. */
			pool_drain(&p);
			p.flush = true;
			pthread_cond_signal(&p.work);
			pool_drain(&p);
		}
	}
	pool_drain(&p);
	p.stop = true;
	pthread_cond_broadcast(&p.work);
	pthread_mutex_unlock(&p.lock);
	for (i = 0; i < POOL_THREADS; i++)
		pthread_join(th[i], NULL);
	return p.err;
}

int main(int argc, char **argv)
{
	static const char *names[] = { "acall", "acall+ordered", "threads+drain" };
	double rate[3];
	long writes;
	char *buf;
	int fd, way, ret;

	if (argc < 2) {
		fprintf(stderr, "usage: ordercost FILE [WRITES]\n");
		return 2;
	}
	writes = argc > 2 ? atol(argv[2]) : 4096;
	fd = open(argv[1], O_RDWR | O_CREAT | O_DIRECT, 0600);
	if (fd < 0 || posix_memalign((void **)&buf, BS, BS) ||
	    posix_fallocate(fd, 0, (off_t)FILE_BLOCKS * BS)) {
		perror("ordercost: set-up");
		return 1;
	}
	memset(buf, 0xa5, BS);

	for (way = 0; way < 3; way++) {
		double t = now_s();

		if (way < 2)
			ret = run_acall(fd, buf, writes, way == 1);
		else
			ret = run_threads(fd, buf, writes);
		if (ret) {
			fprintf(stderr, "ordercost: %s: %s\n", names[way],
				strerror(-ret));
			return 1;
		}
		rate[way] = writes / (now_s() - t);
		printf("%-14s %9.0f writes/s\n", names[way], rate[way]);
	}
	printf("ordered flush every %d writes: acall keeps %.0f%% of its "
	       "untagged rate; %.2fx the drained thread pool\n",
	       FLUSH_EVERY, 100 * rate[1] / rate[0], rate[1] / rate[2]);
	return 0;
}

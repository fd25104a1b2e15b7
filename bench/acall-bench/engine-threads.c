// SPDX-License-Identifier: GPL-2.0
/*
 * threads: a userspace thread pool modelled on QEMU's util/thread-pool.c:
 * up to 64 workers, a new one started when none is idle, idle workers exit
 * after 10 s, one request per handoff, completions handed back on a list
 * and signalled on an eventfd.
 *
 * threads-nowait: the same pool, but the submitter first tries each request
 * with preadv2/pwritev2(RWF_NOWAIT) and hands it to the pool only when that
 * would block: the strongest a userspace program can do without a kernel
 * interface.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define POOL_MAX_WORKERS	64
#define POOL_IDLE_SECONDS	10

struct pool {
	pthread_mutex_t lock;
	pthread_cond_t work;		/* a request was queued, or stop */
	pthread_cond_t gone;		/* a worker exited */
	struct io_unit *head, *tail;	/* requests waiting for a worker */
	struct io_unit *done;		/* completed, for the event loop */
	unsigned int workers, idle;
	bool stop;
	bool nowait;
	bool nowait_writes;	/* the file takes RWF_NOWAIT writes */
	int fd;
	int efd;
};

static long blocking_io(int fd, struct io_unit *io, int rwf)
{
	ssize_t ret;

	switch (io->kind) {
	/* One buffer: pread/pwrite unless a flag needs the v2 calls. */
	case IO_READ:
		ret = rwf ? preadv2(fd, &io->iov, 1, io->off, rwf) :
			    pread(fd, io->buf, io->iov.iov_len, io->off);
		break;
	case IO_WRITE:
		ret = rwf ? pwritev2(fd, &io->iov, 1, io->off, rwf) :
			    pwrite(fd, io->buf, io->iov.iov_len, io->off);
		break;
	default:
		ret = fdatasync(fd);
		break;
	}
	return ret < 0 ? -errno : ret;
}

static void *worker(void *arg)
{
	struct pool *pool = arg;
	struct timespec deadline;
	uint64_t one = 1;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct io_unit *io;
		bool was_empty;

		while (!pool->head && !pool->stop) {
			int ret;

			clock_gettime(CLOCK_REALTIME, &deadline);
			deadline.tv_sec += POOL_IDLE_SECONDS;
			pool->idle++;
			ret = pthread_cond_timedwait(&pool->work, &pool->lock, &deadline);
			pool->idle--;
			if (ret == ETIMEDOUT && !pool->head)
				goto out;
		}
		if (!pool->head)
			break;		/* stopping */
		io = pool->head;
		pool->head = io->next;
		if (!pool->head)
			pool->tail = NULL;
		pthread_mutex_unlock(&pool->lock);

		io->res = blocking_io(pool->fd, io, 0);

		pthread_mutex_lock(&pool->lock);
		was_empty = !pool->done;
		io->next = pool->done;
		pool->done = io;
		/* Like a bottom half: one wake-up until the loop runs. */
		if (was_empty && write(pool->efd, &one, sizeof(one)) < 0)
			abort();
	}
out:
	pool->workers--;
	pthread_cond_signal(&pool->gone);
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

static int pool_setup(struct job *j, bool nowait)
{
	struct pool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return -ENOMEM;
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->work, NULL);
	pthread_cond_init(&pool->gone, NULL);
	pool->nowait = nowait;
	pool->nowait_writes = nowait;
	pool->fd = j->fd;
	pool->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	j->priv = pool;
	j->event_fd = pool->efd;
	return pool->efd < 0 ? -errno : 0;
}

static int threads_setup(struct job *j)
{
	return pool_setup(j, false);
}

static int threads_nowait_setup(struct job *j)
{
	return pool_setup(j, true);
}

static int pool_submit(struct job *j, struct io_unit **ios, unsigned int n)
{
	struct pool *pool = j->priv;
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct io_unit *io = ios[i];

		if (io->kind == IO_READ ? pool->nowait :
		    io->kind == IO_WRITE && pool->nowait_writes) {
			long res = blocking_io(pool->fd, io, RWF_NOWAIT);

			/*
			 * Short or would block: the pool does all of it. Buffered
			 * writes on many filesystems refuse RWF_NOWAIT outright
			 * (-EOPNOTSUPP): stop trying them.
			 */
			if (res == -EOPNOTSUPP && io->kind == IO_WRITE)
				pool->nowait_writes = false;
			else if (res == (long)io->iov.iov_len || (res < 0 && res != -EAGAIN)) {
				job_complete(j, io, res);
				continue;
			}
		}
		pthread_mutex_lock(&pool->lock);
		io->next = NULL;
		if (pool->tail)
			pool->tail->next = io;
		else
			pool->head = io;
		pool->tail = io;
		if (!pool->idle && pool->workers < POOL_MAX_WORKERS) {
			pthread_t t;

			if (pthread_create(&t, NULL, worker, pool) == 0) {
				pthread_detach(t);
				pool->workers++;
			}
		}
		pthread_cond_signal(&pool->work);
		pthread_mutex_unlock(&pool->lock);
	}
	return n;
}

static int pool_reap(struct job *j)
{
	struct pool *pool = j->priv;
	struct io_unit *io, *next;
	int ret = drain_eventfd(pool->efd);

	if (ret < 0)
		return ret;
	pthread_mutex_lock(&pool->lock);
	io = pool->done;
	pool->done = NULL;
	pthread_mutex_unlock(&pool->lock);
	for (; io; io = next) {
		next = io->next;
		job_complete(j, io, io->res);
	}
	return 0;
}

static void pool_teardown(struct job *j)
{
	struct pool *pool = j->priv;

	if (!pool)
		return;
	pthread_mutex_lock(&pool->lock);
	pool->stop = true;
	pthread_cond_broadcast(&pool->work);
	while (pool->workers)
		pthread_cond_wait(&pool->gone, &pool->lock);
	pthread_mutex_unlock(&pool->lock);
	if (pool->efd >= 0)
		close(pool->efd);
	free(pool);
}

const struct engine engine_threads = {
	.name = "threads",
	.setup = threads_setup,
	.submit = pool_submit,
	.reap = pool_reap,
	.teardown = pool_teardown,
};

const struct engine engine_threads_nowait = {
	.name = "threads-nowait",
	.setup = threads_nowait_setup,
	.submit = pool_submit,
	.reap = pool_reap,
	.teardown = pool_teardown,
};

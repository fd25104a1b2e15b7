// SPDX-License-Identifier: GPL-2.0
/*
 * handoff: what one request handed to a worker and back costs, one in
 * flight, as an event loop sees it. WRITES writes of BS bytes, each
 * waited for before the next, sequential over FILE, run four ways:
 *
 *   pwrite     the submitter writes itself: no hand-off (the floor);
 *   thread     a userspace thread writes and signals an eventfd, which
 *              the submitter waits on with poll(): QEMU's thread pool;
 *   acall      one acall_submit() (ACALL_SUBMIT_QUIET), then poll() on
 *              the eventfd registered with the context, the ring reaped:
 *              QEMU's aio=acall at depth 1;
 *   acall-wait the same, waiting in acall_wait() instead of the eventfd.
 *
 *   handoff FILE [WRITES [BS [direct]]]
 *
 * FILE must exist and hold at least one block (a preallocated image). A
 * buffered write on ext4 always goes to a worker (ext4 has no
 * non-blocking buffered writes), so acall and thread both hand each write
 * to another thread and take its completion back through a wake-up: a gap
 * between them is the cost of acall's hand-off, not of the write. With
 * "direct", O_DIRECT. Prints, for each way, writes per second, the mean,
 * median, 90th and 99th percentile latency, and for acall the context's
 * counters (punted, workers) and why requests went to a worker.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <acall.h>

enum way { WAY_PWRITE, WAY_THREAD, WAY_ACALL, WAY_ACALL_WAIT, WAY_NR };

static const char *const way_names[WAY_NR] = {
	"pwrite", "thread", "acall", "acall-wait",
};

static int fd, efd;
static size_t bs;
static off_t blocks;
static char *buf;

/* The thread pool of one: the next block to write, -1 for none, -2 to end. */
static pthread_mutex_t job_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t job_cond = PTHREAD_COND_INITIALIZER;
static long job = -1;

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void write_block(long i)
{
	if (pwrite(fd, buf, bs, (i % blocks) * (off_t)bs) != (ssize_t)bs) {
		perror("handoff: pwrite");
		exit(1);
	}
}

static void *pool_thread(void *arg)
{
	uint64_t one = 1;
	long i;

	(void)arg;
	for (;;) {
		pthread_mutex_lock(&job_lock);
		while (job == -1)
			pthread_cond_wait(&job_cond, &job_lock);
		i = job;
		job = -1;
		pthread_mutex_unlock(&job_lock);
		if (i == -2)
			return NULL;
		write_block(i);
		if (write(efd, &one, sizeof(one)) != sizeof(one))
			perror("handoff: eventfd write");
	}
}

static void post_job(long i)
{
	pthread_mutex_lock(&job_lock);
	job = i;
	pthread_cond_signal(&job_cond);
	pthread_mutex_unlock(&job_lock);
}

/* Sleep in poll() until the eventfd is signalled, and consume it. */
static void wait_eventfd(void)
{
	struct pollfd p = { .fd = efd, .events = POLLIN };
	uint64_t v;

	while (poll(&p, 1, -1) < 0 && errno == EINTR)
		;
	if (read(efd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		perror("handoff: eventfd read");
}

static void acall_one(struct acall_ring *ring, enum way way, unsigned int flags,
		      long i)
{
	struct iovec iov = { .iov_base = buf, .iov_len = bs };
	struct acall_cqe *cqe;
	struct acall_sqe sqe;
	int ret;

	acall_prep_pwritev(&sqe, fd, &iov, 1, (i % blocks) * (off_t)bs, 0);
	acall_sqe_set_data(&sqe, i);
	ret = acall_submit_flags(ring, &sqe, 1, flags);
	if (ret != 1) {
		fprintf(stderr, "handoff: acall_submit: %s\n", strerror(-ret));
		exit(1);
	}
	if (way == WAY_ACALL_WAIT) {
		ret = acall_wait(ring, 1, -1);
		if (ret < 0 && ret != -EINTR) {
			fprintf(stderr, "handoff: acall_wait: %s\n", strerror(-ret));
			exit(1);
		}
	}
	/* What completed inside the call is there already, unsignalled. */
	while (!acall_cq_ready(ring))
		wait_eventfd();
	cqe = acall_peek_cqe(ring);
	if (cqe->res != (int)bs) {
		fprintf(stderr, "handoff: write: %d\n", cqe->res);
		exit(1);
	}
	acall_cq_advance(ring, 1);
}

static void report_acall(struct acall_ring *ring)
{
	struct acall_stats st;
	struct acall_punts p;
	unsigned int r;

	if (acall_stats(ring, &st) == 0)
		printf("    inline %llu, async kiocbs %llu, punted %llu; workers %u, at most %u\n",
		       (unsigned long long)st.inline_done,
		       (unsigned long long)st.async_kiocb,
		       (unsigned long long)st.punted, st.workers,
		       st.workers_peak);
	if (acall_punts(ring, &p) == 0 && st.punted) {
		printf("    punted for");
		for (r = 0; r < ACALL_PUNT_NR; r++)
			if (p.reason[r])
				printf(" %s %llu", acall_punt_name(r),
				       (unsigned long long)p.reason[r]);
		printf("\n");
	}
}

static void run(enum way way, long writes, int direct)
{
	struct acall_options opts = { .entries = 256 };
	unsigned int flags = 0;
	struct acall_ring ring;
	struct acall_probe probe;
	pthread_t thread;
	double t0, t, total, *lat;
	long i;
	int ret;

	lat = calloc(writes, sizeof(*lat));
	if (!lat) {
		perror("handoff: calloc");
		exit(1);
	}
	if (way == WAY_ACALL || way == WAY_ACALL_WAIT) {
		ret = acall_ring_init(&ring, &opts);
		if (ret < 0) {
			fprintf(stderr, "handoff: acall_ring_init: %s\n", strerror(-ret));
			exit(1);
		}
		if (way == WAY_ACALL) {
			ret = acall_register_eventfd(&ring, efd);
			if (ret < 0) {
				fprintf(stderr, "handoff: eventfd: %s\n", strerror(-ret));
				exit(1);
			}
			if (acall_probe(ring.fd, &probe) == 0 &&
			    (probe.features & ACALL_FEAT_QUIET_SUBMIT))
				flags = ACALL_SUBMIT_QUIET;
		}
	}
	if (way == WAY_THREAD && pthread_create(&thread, NULL, pool_thread, NULL)) {
		fprintf(stderr, "handoff: cannot create a thread\n");
		exit(1);
	}

	t0 = now_us();
	for (i = 0; i < writes; i++) {
		t = now_us();
		switch (way) {
		case WAY_PWRITE:
			write_block(i);
			break;
		case WAY_THREAD:
			post_job(i);
			wait_eventfd();
			break;
		default:
			acall_one(&ring, way, flags, i);
			break;
		}
		lat[i] = now_us() - t;
	}
	total = now_us() - t0;

	qsort(lat, writes, sizeof(*lat), cmp_double);
	printf("%-10s %s %zu: %8.0f writes/s, mean %6.0f us, median %6.0f, p90 %6.0f, p99 %6.0f\n",
	       way_names[way], direct ? "direct" : "buffered", bs,
	       writes / total * 1e6, total / writes, lat[writes / 2],
	       lat[writes * 9 / 10], lat[writes * 99 / 100]);
	if (way == WAY_THREAD) {
		post_job(-2);
		pthread_join(thread, NULL);
	} else if (way != WAY_PWRITE) {
		report_acall(&ring);
		acall_ring_exit(&ring);
	}
	free(lat);
}

int main(int argc, char **argv)
{
	long writes = argc > 2 ? atol(argv[2]) : 2000;
	int direct = argc > 4 && !strcmp(argv[4], "direct");
	enum way way;
	off_t size;

	bs = argc > 3 ? strtoul(argv[3], NULL, 0) : 4096;
	if (argc < 2 || writes <= 0 || !bs || bs % 512) {
		fprintf(stderr, "usage: handoff FILE [WRITES [BS [direct]]]\n");
		return 2;
	}
	fd = open(argv[1], O_RDWR | (direct ? O_DIRECT : 0));
	if (fd < 0) {
		perror(argv[1]);
		return 1;
	}
	size = lseek(fd, 0, SEEK_END);
	blocks = size / (off_t)bs;
	if (blocks <= 0) {
		fprintf(stderr, "handoff: %s is smaller than one block\n", argv[1]);
		return 1;
	}
	if (posix_memalign((void **)&buf, 4096, bs)) {
		fprintf(stderr, "handoff: no memory\n");
		return 1;
	}
	memset(buf, 0x5a, bs);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0) {
		perror("handoff: eventfd");
		return 1;
	}
	for (way = 0; way < WAY_NR; way++)
		run(way, writes, direct);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * hotread: the cost of a hot-cache 4 KiB read through acall next to plain
 * pread(2), same file, same loop, same offsets.
 *
 *   hotread FILE [ITERATIONS]
 *
 * FILE must be on a filesystem that can read without blocking (ext4, xfs,
 * btrfs; not tmpfs on older kernels) so that acall completes it inline.
 * Prints ns per read for pread, acall one request per submit, and acall
 * 32 requests per submit, and the counters that show which path ran.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <acall.h>

#define BS	4096
#define BATCH	32

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int reap(struct acall_ring *ring, unsigned int n)
{
	while (n) {
		struct acall_cqe *cqe = acall_peek_cqe(ring);

		if (!cqe) {
			int ret = acall_wait(ring, 1, -1);

			if (ret < 0)
				return ret;
			continue;
		}
		if (cqe->res != BS) {
			fprintf(stderr, "hotread: read returned %d\n", cqe->res);
			return -EIO;
		}
		acall_cq_advance(ring, 1);
		n--;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[BATCH][BS];
	struct iovec iov[BATCH];
	struct acall_sqe sqe[BATCH];
	struct acall_stats st;
	struct acall_ring ring;
	long i, iters = argc > 2 ? atol(argv[2]) : 100000;
	off_t blocks;
	struct stat sb;
	double t0, t_pread, t_one, t_batch;
	long done = 0;
	int fd, ret, b;

	if (argc < 2) {
		fprintf(stderr, "usage: hotread FILE [ITERATIONS]\n");
		return 2;
	}
	fd = open(argv[1], O_RDONLY);
	if (fd < 0 || fstat(fd, &sb) < 0 || sb.st_size < BS * BATCH) {
		fprintf(stderr, "hotread: %s: need a readable file of %d bytes or more\n",
			argv[1], BS * BATCH);
		return 1;
	}
	blocks = sb.st_size / BS;
	for (i = 0; i < blocks; i++)	/* warm the page cache */
		if (pread(fd, buf[0], BS, i * BS) != BS)
			return 1;
	ret = acall_ring_init(&ring, &(struct acall_options){ .entries = 64 });
	if (ret < 0) {
		fprintf(stderr, "hotread: acall_ring_init: %s\n", strerror(-ret));
		return 1;
	}
	for (b = 0; b < BATCH; b++)
		iov[b] = (struct iovec){ buf[b], BS };

	t0 = now_ns();
	for (i = 0; i < iters; i++)
		if (pread(fd, buf[0], BS, (i % blocks) * BS) != BS)
			return 1;
	t_pread = (now_ns() - t0) / iters;

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		acall_prep_preadv(&sqe[0], fd, &iov[0], 1, (i % blocks) * BS, 0);
		if (acall_submit(&ring, sqe, 1) != 1 || reap(&ring, 1))
			return 1;
	}
	t_one = (now_ns() - t0) / iters;

	t0 = now_ns();
	for (i = 0; i < iters; i += BATCH) {
		for (b = 0; b < BATCH; b++)
			acall_prep_preadv(&sqe[b], fd, &iov[b], 1,
					  ((i + b) % blocks) * BS, 0);
		if (acall_submit(&ring, sqe, BATCH) != BATCH || reap(&ring, BATCH))
			return 1;
		done += BATCH;
	}
	t_batch = (now_ns() - t0) / done;

	if (acall_stats(&ring, &st) < 0)
		return 1;
	printf("hot 4 KiB read, %ld iterations:\n", iters);
	printf("  pread                   %8.0f ns/read  1.00x\n", t_pread);
	printf("  acall, 1 per submit     %8.0f ns/read  %.2fx\n", t_one, t_one / t_pread);
	printf("  acall, %d per submit    %8.0f ns/read  %.2fx\n", BATCH, t_batch,
	       t_batch / t_pread);
	printf("  acall counters: submitted %llu inline %llu async %llu punted %llu\n",
	       (unsigned long long)st.submitted, (unsigned long long)st.inline_done,
	       (unsigned long long)st.async_kiocb, (unsigned long long)st.punted);
	acall_ring_exit(&ring);
	return 0;
}

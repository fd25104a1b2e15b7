// SPDX-License-Identifier: GPL-2.0
/*
 * hotread: the cost of a hot-cache 4 KiB read through acall next to plain
 * pread(2) and io_uring, same file, same loop, same offsets.
 *
 *   hotread FILE [ITERATIONS]
 *
 * FILE must be on a filesystem that can read without blocking (ext4, xfs,
 * btrfs; not tmpfs on older kernels) so that acall completes it inline.
 * Prints ns per read for pread, acall and io_uring (readv) with one
 * request per submit and with 32, and the counters that show which path
 * acall took. Then what a call costs before any read: a bare system call
 * (getppid), an ioctl on the acall file that the module refuses (the
 * ioctl path and its security hooks), and a NOP submitted alone through
 * acall and through io_uring (each one's own submission and completion
 * machinery).
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

/* Reap n io_uring completions, each a whole block. */
static int uring_reap(struct io_uring *uring, unsigned int n)
{
	struct io_uring_cqe *cqe;
	int ret;

	while (n--) {
		ret = io_uring_wait_cqe(uring, &cqe);
		if (ret < 0)
			return ret;
		if (cqe->res != BS) {
			fprintf(stderr, "hotread: io_uring read returned %d\n", cqe->res);
			return -EIO;
		}
		io_uring_cqe_seen(uring, cqe);
	}
	return 0;
}

/* ns per call of what a call costs before any read. */
static int fixed_costs(struct acall_ring *ring, struct io_uring *uring, long iters)
{
	struct acall_sqe sqe;
	struct io_uring_cqe *cqe;
	double t0;
	long i;

	printf("per call, before any read:\n");
	t0 = now_ns();
	for (i = 0; i < iters; i++)
		syscall(SYS_getppid);
	printf("  system call (getppid)   %8.0f ns\n", (now_ns() - t0) / iters);

	/* A number the module does not know: ENOTTY, after the ioctl path. */
	t0 = now_ns();
	for (i = 0; i < iters; i++)
		if (ioctl(ring->fd, _IO(0xac, 0xff)) != -1 || errno != ENOTTY)
			return -1;
	printf("  ioctl, refused          %8.0f ns\n", (now_ns() - t0) / iters);

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		acall_prep_nop(&sqe, 0);
		if (acall_submit(ring, &sqe, 1) != 1)
			return -1;
		while (!acall_cq_ready(ring))
			if (acall_wait(ring, 1, -1) < 0)
				return -1;
		acall_cq_advance(ring, 1);
	}
	printf("  acall NOP               %8.0f ns\n", (now_ns() - t0) / iters);

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		io_uring_prep_nop(io_uring_get_sqe(uring));
		if (io_uring_submit(uring) != 1 || io_uring_wait_cqe(uring, &cqe) < 0)
			return -1;
		io_uring_cqe_seen(uring, cqe);
	}
	printf("  io_uring NOP            %8.0f ns\n", (now_ns() - t0) / iters);
	return 0;
}

int main(int argc, char **argv)
{
	static char buf[BATCH][BS];
	struct iovec iov[BATCH];
	struct acall_sqe sqe[BATCH];
	struct acall_stats st;
	struct acall_ring ring;
	struct io_uring uring;
	long i, iters = argc > 2 ? atol(argv[2]) : 100000;
	off_t blocks;
	struct stat sb;
	double t0, t_pread, t_one, t_batch, t_uone, t_ubatch;
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
	ret = io_uring_queue_init(64, &uring, 0);
	if (ret < 0) {
		fprintf(stderr, "hotread: io_uring_queue_init: %s\n", strerror(-ret));
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

	t0 = now_ns();
	for (i = 0; i < iters; i++) {
		io_uring_prep_readv(io_uring_get_sqe(&uring), fd, &iov[0], 1,
				    (i % blocks) * BS);
		if (io_uring_submit(&uring) != 1 || uring_reap(&uring, 1))
			return 1;
	}
	t_uone = (now_ns() - t0) / iters;

	t0 = now_ns();
	for (i = 0; i < iters; i += BATCH) {
		for (b = 0; b < BATCH; b++)
			io_uring_prep_readv(io_uring_get_sqe(&uring), fd, &iov[b], 1,
					    ((i + b) % blocks) * BS);
		if (io_uring_submit(&uring) != BATCH || uring_reap(&uring, BATCH))
			return 1;
	}
	t_ubatch = (now_ns() - t0) / done;

	if (acall_stats(&ring, &st) < 0)
		return 1;
	printf("hot 4 KiB read, %ld iterations:\n", iters);
	printf("  pread                   %8.0f ns/read  1.00x\n", t_pread);
	printf("  acall, 1 per submit     %8.0f ns/read  %.2fx\n", t_one, t_one / t_pread);
	printf("  acall, %d per submit    %8.0f ns/read  %.2fx\n", BATCH, t_batch,
	       t_batch / t_pread);
	printf("  io_uring, 1 per submit  %8.0f ns/read  %.2fx\n", t_uone,
	       t_uone / t_pread);
	printf("  io_uring, %d per submit %8.0f ns/read  %.2fx\n", BATCH, t_ubatch,
	       t_ubatch / t_pread);
	printf("  acall counters: submitted %llu inline %llu async %llu punted %llu\n",
	       (unsigned long long)st.submitted, (unsigned long long)st.inline_done,
	       (unsigned long long)st.async_kiocb, (unsigned long long)st.punted);
	if (fixed_costs(&ring, &uring, iters)) {
		fprintf(stderr, "hotread: a call failed\n");
		return 1;
	}
	io_uring_queue_exit(&uring);
	acall_ring_exit(&ring);
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * acall-stress: mixed reads, writes, flushes, discards and ordering tags from
 * many threads and processes over shared files, every byte read checked,
 * every completion accounted for exactly once.
 *
 *   acall-stress [-s SEED] [-t SECONDS] [-p PROCS] [-j THREADS] -d DIR
 *                [-b BDEV] [-f]
 *
 * Every thread has its own context and owns a region of each shared file
 * (a buffered and an O_DIRECT open of two files in DIR, and the block
 * device BDEV opened O_DIRECT): it alone writes there, so it knows what
 * each block must hold. A block holds a pattern of its offset and a
 * version; a read of a block with no write in flight must return exactly
 * the last version written. With ACALL_FEAT_ORDERING it also submits
 *   - a write, then an ORDERED write of the same blocks: the second must
 *     complete after the first, and the file holds the second;
 *   - a write LINKed to a read of the same blocks: the read completes after
 *     the write and returns its data, or -ECANCELED if the write failed.
 * At the end every thread drains its context and reads its whole region
 * back with plain pread.
 *
 * Every request has a unique user_data; a completion nobody is waiting for
 * (duplicate or unknown) fails the run, and so does a request whose
 * completion does not come within LOST_S seconds.
 *
 * -f (fault injection, see faults_test.sh): before half of the
 * submissions the thread arms /proc/thread-self/fail-nth, so that one
 * allocation of that ioctl fails; results of clean errors (-ENOMEM, -EIO)
 * are accepted and leave the blocks' contents unknown until rewritten.
 *
 * Prints "stress: seed S requests N ... bytes_verified N faults N" and
 * exits 0, or 1 on any mismatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <stdatomic.h>
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

#define MAX_PROCS	8
#define MAX_THREADS	8
#define BLK		4096
#define REGION		64	/* blocks each thread owns in each target */
#define MAX_BLKS	4	/* blocks per read or write */
#define SLOTS		64	/* requests in flight per thread */
#define ENTRIES		128
#define LOST_S		120	/* no completion for this long: lost */
#define NTARGETS	3

enum { KIND_READ, KIND_WRITE, KIND_SYNC, KIND_ZERO, KIND_NOP };

struct counts {
	atomic_ullong requests, completions, bytes_written, bytes_verified;
	atomic_ullong faults, clean_errors, ordered_pairs, linked_pairs, failures;
};

static struct counts *counts;

static struct {
	uint64_t seed;
	unsigned int seconds, procs, threads;
	const char *dir, *bdev;
	int faults;
} opt = { .seconds = 10, .procs = 2, .threads = 3 };

static int ordering;		/* the module has ACALL_FEAT_ORDERING */
static time_t end_time;

/* Paths of the shared files, created by the parent. */
static char paths[2][4096];

struct block {
	unsigned int version;	/* 0: zeroes */
	unsigned char known;	/* contents known: version is what it holds */
	unsigned char writes, reads;	/* in flight */
	unsigned int last_issued;	/* version of the latest write issued */
	unsigned int failed_version;	/* of the latest write that failed */
};

struct target {
	int fd;
	int can_zero;		/* files take fallocate; the raw device here not */
	struct block blk[REGION];
	__u64 base;		/* byte offset of this thread's region */
};

struct slot {
	int used;
	__u64 tag;
	int kind, t;
	unsigned int first, n, version;
	int linked_to;		/* a LINKed read: the slot of its write, or -1 */
	int failed;		/* a write that did not fully succeed */
	int done;
	void *buf;
	struct iovec iov[MAX_BLKS];
};

struct thread {
	unsigned int id;	/* global thread number */
	struct rnd r;
	struct acall_ring ring;
	struct target tg[NTARGETS];
	unsigned int ntargets;
	struct slot slot[SLOTS];
	unsigned int inflight, next_version;
	__u64 next_tag;
	int failed;
	int fail_nth_fd;
};

#define FAIL(th, ...) do {						\
	fprintf(stderr, "stress: thread %u: ", (th)->id);		\
	fprintf(stderr, __VA_ARGS__);					\
	fputc('\n', stderr);						\
	(th)->failed = 1;						\
	atomic_fetch_add(&counts->failures, 1);				\
} while (0)

/* Contents of one block: its place and version, so misplaced or stale
 * data cannot pass. */
static void fill_block(unsigned char *p, int t, __u64 off, unsigned int version)
{
	uint64_t x = rnd_splitmix(off * 7 + t) ^ version;
	unsigned int i;

	if (!version) {
		memset(p, 0, BLK);
		return;
	}
	for (i = 0; i < BLK; i += 8) {
		x = rnd_splitmix(x);
		memcpy(p + i, &x, 8);
	}
}

static int check_block(struct thread *th, const unsigned char *p, int t,
		       unsigned int b, unsigned int version, const char *how)
{
	static __thread unsigned char want[BLK] __attribute__((aligned(64)));
	__u64 off = th->tg[t].base + (__u64)b * BLK;

	fill_block(want, t, off, version);
	if (memcmp(p, want, BLK)) {
		FAIL(th, "%s: target %d block at %llu does not hold version %u",
		     how, t, (unsigned long long)off, version);
		return -1;
	}
	atomic_fetch_add(&counts->bytes_verified, BLK);
	return 0;
}

/* ---- requests ----------------------------------------------------------- */

static struct slot *new_slot(struct thread *th, int kind, int t)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &th->slot[i];

		if (s->used)
			continue;
		memset(s->iov, 0, sizeof(s->iov));
		s->used = 1;
		s->kind = kind;
		s->t = t;
		s->tag = ((__u64)th->id << 48) | th->next_tag++;
		s->linked_to = -1;
		s->failed = 0;
		s->done = 0;
		s->n = 0;
		return s;
	}
	return NULL;
}

/* A run of n blocks starting at first with nothing in flight, or -1. */
static int free_run(struct thread *th, int t, unsigned int n)
{
	unsigned int first = rnd_below(&th->r, REGION - n + 1), i;

	for (i = 0; i < n; i++) {
		struct block *b = &th->tg[t].blk[first + i];

		if (b->writes || b->reads)
			return -1;
	}
	return first;
}

static void prep_io(struct thread *th, struct acall_sqe *sqe, struct slot *s,
		    int write)
{
	unsigned int i;
	__u64 off = th->tg[s->t].base + (__u64)s->first * BLK;

	/* One iovec, or one a block: both shapes of the same transfer. */
	if (rnd_one_in(&th->r, 2)) {
		s->iov[0] = (struct iovec){ s->buf, (size_t)s->n * BLK };
		i = 1;
	} else {
		for (i = 0; i < s->n; i++)
			s->iov[i] = (struct iovec){ (char *)s->buf + i * BLK, BLK };
	}
	if (write) {
		for (unsigned int b = 0; b < s->n; b++)
			fill_block((unsigned char *)s->buf + b * BLK, s->t,
				   off + (__u64)b * BLK, s->version);
		acall_prep_pwritev(sqe, th->tg[s->t].fd, s->iov, i, off, 0);
	} else {
		acall_prep_preadv(sqe, th->tg[s->t].fd, s->iov, i, off, 0);
	}
	acall_sqe_set_data(sqe, s->tag);
}

static struct slot *add_write(struct thread *th, struct acall_sqe *sqe, int t,
			      int first, unsigned int n)
{
	struct slot *s = new_slot(th, KIND_WRITE, t);
	unsigned int i;

	if (!s)
		return NULL;
	s->first = first;
	s->n = n;
	s->version = ++th->next_version;
	prep_io(th, sqe, s, 1);
	for (i = 0; i < n; i++) {
		th->tg[t].blk[first + i].writes++;
		th->tg[t].blk[first + i].last_issued = s->version;
	}
	return s;
}

static struct slot *add_read(struct thread *th, struct acall_sqe *sqe, int t,
			     int first, unsigned int n)
{
	struct slot *s = new_slot(th, KIND_READ, t);
	unsigned int i;

	if (!s)
		return NULL;
	s->first = first;
	s->n = n;
	prep_io(th, sqe, s, 0);
	for (i = 0; i < n; i++)
		th->tg[t].blk[first + i].reads++;
	return s;
}

/* Build up to max requests into sqes; returns how many. */
static unsigned int build_batch(struct thread *th, struct acall_sqe *sqes,
				unsigned int max)
{
	unsigned int nr = 0;

	while (nr + 2 <= max && th->inflight + nr + 2 <= SLOTS) {
		int t = rnd_below(&th->r, th->ntargets);
		unsigned int n = 1 + rnd_below(&th->r, MAX_BLKS);
		unsigned int kind = rnd_below(&th->r, 100);
		struct slot *s, *w;
		int first;

		if (kind < 5)		/* sometimes a short batch */
			break;
		if (kind < 15) {
			s = new_slot(th, KIND_SYNC, t);
			if (!s)
				break;
			if (rnd_one_in(&th->r, 2))
				acall_prep_fsync(&sqes[nr], th->tg[t].fd);
			else
				acall_prep_fdatasync(&sqes[nr], th->tg[t].fd);
			acall_sqe_set_data(&sqes[nr++], s->tag);
			continue;
		}
		if (kind < 18) {
			s = new_slot(th, KIND_NOP, t);
			if (!s)
				break;
			acall_prep_nop(&sqes[nr], rnd_below(&th->r, 1000000));
			acall_sqe_set_data(&sqes[nr++], s->tag);
			continue;
		}
		first = free_run(th, t, n);
		if (first < 0)
			continue;
		if (kind < 25 && th->tg[t].can_zero) {
			/* A discard: the blocks read back as zeroes. */
			s = new_slot(th, KIND_ZERO, t);
			if (!s)
				break;
			s->first = first;
			s->n = n;
			s->version = 0;
			acall_prep_fallocate(&sqes[nr], th->tg[t].fd,
					     FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
					     th->tg[t].base + (__u64)first * BLK,
					     (__u64)n * BLK);
			acall_sqe_set_data(&sqes[nr++], s->tag);
			for (unsigned int i = 0; i < n; i++) {
				th->tg[t].blk[first + i].writes++;
				th->tg[t].blk[first + i].last_issued = 0;
			}
			continue;
		}
		if (kind < 55) {
			if (!add_write(th, &sqes[nr++], t, first, n))
				break;
			continue;
		}
		if (kind < 85 || !ordering) {
			if (!add_read(th, &sqes[nr++], t, first, n))
				break;
			continue;
		}
		if (kind < 93) {
			/* write, then an ORDERED write of the same blocks */
			if (!add_write(th, &sqes[nr], t, first, n))
				break;
			w = add_write(th, &sqes[nr + 1], t, first, n);
			if (!w)
				break;
			acall_sqe_set_ordered(&sqes[nr + 1]);
			nr += 2;
			atomic_fetch_add(&counts->ordered_pairs, 1);
			continue;
		}
		/* write LINKed to a read of the same blocks */
		w = add_write(th, &sqes[nr], t, first, n);
		if (!w)
			break;
		acall_sqe_set_link(&sqes[nr]);
		s = add_read(th, &sqes[nr + 1], t, first, n);
		if (!s)
			break;
		s->linked_to = w - th->slot;
		s->version = w->version;
		nr += 2;
		atomic_fetch_add(&counts->linked_pairs, 1);
	}
	return nr;
}

/* A result of a clean failure, acceptable under fault injection. */
static int clean_error(int res)
{
	return opt.faults && (res == -ENOMEM || res == -EIO);
}

static void complete(struct thread *th, const struct acall_cqe *cqe)
{
	struct slot *s = NULL;
	struct target *tg;
	unsigned int i, len;

	for (i = 0; i < SLOTS; i++)
		if (th->slot[i].used && !th->slot[i].done &&
		    th->slot[i].tag == cqe->user_data)
			s = &th->slot[i];
	if (!s) {
		FAIL(th, "completion of user_data 0x%llx, res %d: unknown or duplicate",
		     (unsigned long long)cqe->user_data, cqe->res);
		return;
	}
	atomic_fetch_add(&counts->completions, 1);
	tg = &th->tg[s->t];
	len = s->n * BLK;
	s->done = 1;
	if (cqe->res < 0 && clean_error(cqe->res))
		atomic_fetch_add(&counts->clean_errors, 1);

	switch (s->kind) {
	case KIND_SYNC:
	case KIND_NOP:
		if (cqe->res && !clean_error(cqe->res))
			FAIL(th, "flush or nop: res %d", cqe->res);
		break;
	case KIND_WRITE:
	case KIND_ZERO:
		if (s->kind == KIND_WRITE ? cqe->res != (int)len : cqe->res != 0) {
			if (!clean_error(cqe->res))
				FAIL(th, "write of %u bytes: res %d", len, cqe->res);
			s->failed = 1;
		} else if (s->kind == KIND_WRITE) {
			atomic_fetch_add(&counts->bytes_written, len);
		}
		for (i = 0; i < s->n; i++) {
			struct block *b = &tg->blk[s->first + i];

			b->writes--;
			/*
			 * An ORDERED write may not overtake the write before
			 * it; one refused at submission (no memory for it)
			 * never ran, and completes at once.
			 */
			if (b->last_issued != s->version && b->writes == 0 &&
			    b->failed_version != b->last_issued)
				FAIL(th, "write of version %u completed after the later %u",
				     s->version, b->last_issued);
			b->known = !s->failed;
			b->version = s->version;
			if (s->failed)
				b->failed_version = s->version;
		}
		break;
	case KIND_READ:
		for (i = 0; i < s->n; i++)
			tg->blk[s->first + i].reads--;
		if (s->linked_to >= 0 && !clean_error(cqe->res)) {
			struct slot *w = &th->slot[s->linked_to];

			/* LINK: the read starts after the write completes... */
			if (!w->done) {
				FAIL(th, "a read LINKed after a write completed first");
				break;
			}
			/* ... and only if it succeeded. */
			if (w->failed) {
				if (cqe->res != -ECANCELED)
					FAIL(th, "read LINKed to a failed write: res %d, not -ECANCELED",
					     cqe->res);
				break;
			}
		}
		if (cqe->res != (int)len) {
			if (!clean_error(cqe->res))
				FAIL(th, "read of %u bytes: res %d", len, cqe->res);
			break;
		}
		for (i = 0; i < s->n; i++) {
			struct block *b = &tg->blk[s->first + i];
			unsigned int v = s->linked_to >= 0 ? s->version : b->version;

			if ((b->known || s->linked_to >= 0) && !b->writes)
				check_block(th, (unsigned char *)s->buf + i * BLK, s->t,
					    s->first + i, v, "read");
		}
		break;
	}
}

/* Free the slots whose completions are in, LINKed pairs together. */
static void release_done(struct thread *th)
{
	unsigned int i;

	for (i = 0; i < SLOTS; i++) {
		struct slot *s = &th->slot[i];
		int keep = 0;

		if (!s->used || !s->done)
			continue;
		/* A write is kept while a read LINKed to it still needs it. */
		for (unsigned int j = 0; j < SLOTS; j++)
			if (th->slot[j].used && !th->slot[j].done &&
			    th->slot[j].linked_to == (int)i)
				keep = 1;
		if (keep)
			continue;
		s->used = 0;
		th->inflight--;
	}
}

static void reap(struct thread *th, int wait)
{
	struct acall_cqe *cqe;
	int ret;

	if (wait) {
		ret = acall_wait(&th->ring, 1, LOST_S * 1000000000LL);
		if (ret == -ETIME)
			FAIL(th, "no completion in %d s with %u in flight: lost",
			     LOST_S, th->inflight);
		else if (ret < 0 && ret != -EINTR)
			FAIL(th, "wait: %d", ret);
	}
	while ((cqe = acall_peek_cqe(&th->ring))) {
		struct acall_cqe c = *cqe;

		acall_cq_advance(&th->ring, 1);
		complete(th, &c);
	}
	release_done(th);
}

/* Arm fail-nth: one allocation of the next syscall fails. */
static void arm_fault(struct thread *th)
{
	char buf[16];
	int n;

	if (th->fail_nth_fd < 0 || rnd_one_in(&th->r, 2))
		return;
	n = snprintf(buf, sizeof(buf), "%u", 1 + (unsigned int)rnd_below(&th->r, 16));
	if (pwrite(th->fail_nth_fd, buf, n, 0) != n)
		th->fail_nth_fd = -1;
}

/* After the syscall: did the fault fire? (fail-nth reads 0 then.) */
static void disarm_fault(struct thread *th)
{
	char buf[16] = "";

	if (th->fail_nth_fd < 0)
		return;
	if (pread(th->fail_nth_fd, buf, sizeof(buf) - 1, 0) > 0 && atoi(buf) == 0)
		atomic_fetch_add(&counts->faults, 1);
	if (pwrite(th->fail_nth_fd, "0", 1, 0) != 1)
		th->fail_nth_fd = -1;
}

static void submit_all(struct thread *th, struct acall_sqe *sqes, unsigned int nr)
{
	unsigned int sent = 0;

	while (sent < nr && !th->failed) {
		int ret;

		arm_fault(th);
		ret = acall_submit(&th->ring, sqes + sent, nr - sent);
		disarm_fault(th);
		if (ret > 0) {
			sent += ret;
			th->inflight += ret;
			atomic_fetch_add(&counts->requests, ret);
		} else if (ret == -EBUSY || (opt.faults && (ret == -ENOMEM || ret == -EFAULT))) {
			reap(th, ret == -EBUSY);
		} else {
			FAIL(th, "submit of %u: %d", nr - sent, ret);
		}
	}
}

/* The whole region read back with plain pread, after everything is done. */
static void final_check(struct thread *th)
{
	unsigned char *buf;
	unsigned int t, b;

	if (posix_memalign((void **)&buf, BLK, BLK))
		return;
	for (t = 0; t < th->ntargets; t++)
		for (b = 0; b < REGION; b++) {
			struct block *blk = &th->tg[t].blk[b];
			__u64 off = th->tg[t].base + (__u64)b * BLK;

			if (!blk->known)
				continue;
			if (pread(th->tg[t].fd, buf, BLK, off) != BLK) {
				/* The device may still be failing I/O on purpose. */
				if (!clean_error(-errno))
					FAIL(th, "final pread at %llu: %s",
					     (unsigned long long)off, strerror(errno));
				continue;
			}
			check_block(th, buf, t, b, blk->version, "final read");
		}
	free(buf);
}

static void *stress_thread(void *p)
{
	struct thread *th = p;
	struct acall_options o = { .entries = ENTRIES, .nr_queues = 1 };
	struct acall_sqe sqes[16];
	char path[64];
	unsigned int i;
	int ret;

	ret = acall_ring_init(&th->ring, &o);
	if (ret) {
		FAIL(th, "ring init: %d", ret);
		return NULL;
	}
	for (i = 0; i < SLOTS; i++)
		if (posix_memalign(&th->slot[i].buf, BLK, MAX_BLKS * BLK)) {
			FAIL(th, "no memory");
			return NULL;
		}
	th->fail_nth_fd = -1;
	if (opt.faults) {
		snprintf(path, sizeof(path), "/proc/thread-self/fail-nth");
		th->fail_nth_fd = open(path, O_RDWR);
		if (th->fail_nth_fd < 0)
			FAIL(th, "-f: no %s in this kernel", path);
	}
	while (!th->failed && time(NULL) < end_time) {
		unsigned int nr = build_batch(th, sqes, 2 + rnd_below(&th->r, 15));

		submit_all(th, sqes, nr);
		/* Wait when full enough, or when this round sent nothing. */
		reap(th, th->inflight && (th->inflight >= SLOTS / 2 || !nr));
	}
	while (th->inflight && !th->failed)
		reap(th, 1);
	if (th->fail_nth_fd >= 0)
		close(th->fail_nth_fd);
	if (!th->failed)
		final_check(th);
	/* A context with requests in flight (a failed run) keeps its buffers. */
	if (!th->inflight) {
		acall_ring_exit(&th->ring);
		for (i = 0; i < SLOTS; i++)
			free(th->slot[i].buf);
	}
	return NULL;
}

static int open_target(struct target *tg, const char *path, int flags, int can_zero,
		       unsigned int id, int zero_known)
{
	unsigned int b;

	tg->fd = open(path, flags);
	if (tg->fd < 0)
		return -1;
	tg->can_zero = can_zero;
	tg->base = (__u64)id * REGION * BLK;
	for (b = 0; b < REGION; b++)
		tg->blk[b].known = zero_known;
	return 0;
}

static int stress_process(unsigned int proc)
{
	static struct thread th[MAX_THREADS];
	pthread_t pt[MAX_THREADS];
	unsigned int i, failed = 0;

	for (i = 0; i < opt.threads; i++) {
		struct thread *t = &th[i];

		t->id = proc * opt.threads + i;
		rnd_init(&t->r, opt.seed, proc + 1, i + 1);
		/* The files start as zeroes (holes); the device's contents are
		 * unknown until written. */
		if (open_target(&t->tg[0], paths[0], O_RDWR, 1, t->id, 1) ||
		    open_target(&t->tg[1], paths[1], O_RDWR | O_DIRECT, 1, t->id, 1))
			return 1;
		t->ntargets = 2;
		if (opt.bdev && !open_target(&t->tg[2], opt.bdev, O_RDWR | O_DIRECT, 0,
					     t->id, 0))
			t->ntargets = 3;
		if (pthread_create(&pt[i], NULL, stress_thread, t))
			return 1;
	}
	for (i = 0; i < opt.threads; i++) {
		pthread_join(pt[i], NULL);
		failed |= th[i].failed;
	}
	return failed;
}

static void usage(void)
{
	fprintf(stderr, "usage: acall-stress [-s SEED] [-t SECONDS] [-p PROCS] "
		"[-j THREADS] -d DIR [-b BDEV] [-f]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	pid_t pids[MAX_PROCS];
	struct acall_probe probe;
	unsigned int i;
	int failed = 0, c;

	opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	while ((c = getopt(argc, argv, "s:t:p:j:d:b:f")) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 't': opt.seconds = atoi(optarg); break;
		case 'p': opt.procs = atoi(optarg); break;
		case 'j': opt.threads = atoi(optarg); break;
		case 'd': opt.dir = optarg; break;
		case 'b': opt.bdev = optarg; break;
		case 'f': opt.faults = 1; break;
		default: usage();
		}
	}
	if (!opt.dir || !opt.procs || opt.procs > MAX_PROCS || !opt.threads ||
	    opt.threads > MAX_THREADS)
		usage();
	if (acall_probe(-1, &probe)) {
		fprintf(stderr, "stress: no /dev/acall\n");
		return 1;
	}
	ordering = !!(probe.features & ACALL_FEAT_ORDERING);
	printf("stress: seed %llu, %u processes of %u threads, ordering tags %s%s\n",
	       (unsigned long long)opt.seed, opt.procs, opt.threads,
	       ordering ? "on" : "off (not in this module)",
	       opt.faults ? ", fault injection" : "");
	fflush(stdout);

	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return 2;
	for (i = 0; i < 2; i++) {
		int fd;

		snprintf(paths[i], sizeof(paths[i]), "%s/acall-stress.%u.XXXXXX", opt.dir, i);
		fd = mkstemp(paths[i]);
		if (fd < 0 || ftruncate(fd, (off_t)MAX_PROCS * MAX_THREADS * REGION * BLK)) {
			perror("stress: shared file");
			return 2;
		}
		close(fd);
	}
	end_time = time(NULL) + opt.seconds;
	for (i = 0; i < opt.procs; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			_exit(stress_process(i));
	}
	for (i = 0; i < opt.procs; i++) {
		int status;

		if (pids[i] < 0 || waitpid(pids[i], &status, 0) != pids[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status)) {
			fprintf(stderr, "stress: process %u failed\n", i);
			failed = 1;
		}
	}
	unlink(paths[0]);
	unlink(paths[1]);
	printf("stress: seed %llu requests %llu completions %llu bytes_written %llu "
	       "bytes_verified %llu ordered_pairs %llu linked_pairs %llu faults %llu "
	       "clean_errors %llu failures %llu\n",
	       (unsigned long long)opt.seed,
	       (unsigned long long)counts->requests,
	       (unsigned long long)counts->completions,
	       (unsigned long long)counts->bytes_written,
	       (unsigned long long)counts->bytes_verified,
	       (unsigned long long)counts->ordered_pairs,
	       (unsigned long long)counts->linked_pairs,
	       (unsigned long long)counts->faults,
	       (unsigned long long)counts->clean_errors,
	       (unsigned long long)counts->failures);
	if (counts->requests != counts->completions)
		failed = 1;
	return failed || counts->failures;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * acall-fuzz: a structured fuzzer of /dev/acall's whole surface.
 *
 *   acall-fuzz [-s SEED] [-t SECONDS] [-n CALLS] [-p PROCS] [-j THREADS]
 *              [-d DIR] [-b BDEV]
 *
 * PROCS worker processes of THREADS threads each open contexts, set them up
 * with good and bad parameters, call every ioctl (and unknown ones) with
 * good, NULL, unmapped, read-only and kernel pointers, map and unmap the
 * ring, register eventfds, and submit batches of random requests: every
 * opcode, flag, ordering tag and queue, fds of every type, iovecs pointing
 * to unmapped, read-only and overlapping memory, huge counts and lengths.
 * Threads close and unmap each other's contexts while requests are in
 * flight; threads fork children that use (EPERM) and exec past inherited
 * contexts; the controller SIGKILLs workers at random moments and starts new
 * ones. Every random choice a thread makes comes from the seed, so its
 * sequence of calls replays (the interleaving of threads does not).
 *
 * The kernel is judged from outside (KASAN, lockdep, kmemleak, WARN, hung
 * tasks: the caller reads the kernel log). The fuzzer itself checks that no
 * ioctl fails with an errno Documentation/acall.rst does not list, that no
 * request writes outside the memory it was given, and that nothing hangs
 * (a hung worker's threads and children are listed). It prints "fuzz:
 * seed S calls N ..." and exits 0, or 1.
 *
 * Pointers handed to the kernel may be bad on purpose; userspace never
 * dereferences them. ioctl goes through syscall() so that the sanitizers'
 * ioctl interceptor does not inspect them either. Buffers the kernel may
 * write into after a context is gone live in an arena that is never
 * unmapped, never on the heap. Every good pointer is into its RW pages,
 * and the pages after them stop any copy that runs on: a request writes
 * nowhere else, whatever its length.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/acall.h>
#include "rand.h"

#define MAX_PROCS	16
#define MAX_THREADS	16
#define SLOTS		8		/* contexts per process, shared by its threads */
#define ARENA_PAGES	64
#define PAGE		4096UL
#define HANG_GRACE_S	120		/* a worker this late past its end is hung */

/*
 * Counters shared by every process of the run (a MAP_SHARED page). The
 * canary is written once: should it change, a request wrote outside the
 * arena (which the workers often map next to this page), and the run
 * fails.
 */
#define COUNTS_CANARY	0xacca11c0ffee5eedULL

struct counts {
	uint64_t canary;
	atomic_ullong calls;		/* system calls made on acall's surface */
	atomic_ullong requests;		/* requests the module took */
	atomic_ullong completions;	/* completions reaped */
	atomic_ullong forks, execs, kills;
	atomic_ullong bad_errno;	/* ioctl errnos the ABI does not list */
};

static struct counts *counts;

/* A context slot: ioctls and close race freely; the ring is touched under mu. */
struct slot {
	pthread_mutex_t mu;
	atomic_int fd;
	void *map;			/* the mapped ring, or NULL */
	size_t map_len;
	struct acall_ring_offsets off;
	size_t ring_bytes;		/* from SETUP, 0 if not set up by us */
};

static struct {
	uint64_t seed;
	unsigned int seconds, procs, threads;
	unsigned long long calls_per_thread;	/* 0: run for seconds */
	const char *dir, *bdev;
} opt = { .seconds = 10, .procs = 2, .threads = 3, .dir = "/tmp" };

/* Per-process state, set up before its threads start. */
static struct slot slots[SLOTS];
static unsigned char *arena;		/* RW pages, then RO, then NONE */
static int fds[32], nfds;		/* fds of every type for requests */
static time_t end_time;

#define RW_PAGES	(ARENA_PAGES - 2)

static unsigned char *arena_rw(void) { return arena; }
static unsigned char *arena_ro(void) { return arena + RW_PAGES * PAGE; }
static unsigned char *arena_none(void) { return arena + (RW_PAGES + 1) * PAGE; }

/*
 * An unmapped page. Not one unmapped next to the arena: the next mmap() of
 * a page (a ring, the sanitizer's own) may land there, and a request aimed
 * at it would then write through it into whatever lies beyond. Nothing in
 * these processes maps this low: mmap() places mappings near the top of
 * the address space unless given an address, and none is given this one.
 */
#define UNMAPPED_PAGE	0x8000UL

static long sys_ioctl(int fd, unsigned long cmd, unsigned long arg)
{
	long ret = syscall(SYS_ioctl, fd, cmd, arg);

	atomic_fetch_add(&counts->calls, 1);
	return ret < 0 ? -errno : ret;
}

/* The errnos Documentation/acall.rst lists for its calls, and EBADF for an
 * fd another thread closed meanwhile. */
static void check_errno(unsigned long cmd, long ret)
{
	static const int listed[] = {
		EFAULT, ENOTTY, EINVAL, EBUSY, EBADFD, EPERM, EBADF, ETIME,
		EINTR, ENOENT, EALREADY, ENOMEM, ECANCELED,
	};
	unsigned int i;

	/* Other types' numbers may be the VFS's own (FIONBIO, FICLONE, ...). */
	if (ret >= 0 || _IOC_TYPE(cmd) != ACALL_IOC_MAGIC)
		return;
	for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++)
		if (-ret == listed[i])
			return;
	atomic_fetch_add(&counts->bad_errno, 1);
	fprintf(stderr, "fuzz: ioctl 0x%lx failed with errno %ld, not in the ABI\n",
		cmd, -ret);
}

/* ---- pointers and values -------------------------------------------------- */

/* A pointer for the kernel to read or write size bytes at: mostly good. */
static uint64_t any_ptr(struct rnd *r, size_t size)
{
	static const uint64_t wild[] = {
		0, 1, 0xfff, 0x7ffffffff000ULL, 0x800000000000ULL,
		0xffff888000000000ULL, 0xffffffff81000000ULL, ~0ULL,
	};
	uint64_t room = RW_PAGES;

	switch (rnd_below(r, 12)) {
	case 0:
		return RND_PICK(r, wild);
	case 1:
		return (uintptr_t)arena_ro();
	case 2:
		return (uintptr_t)arena_none();
	case 3:
		return UNMAPPED_PAGE;
	case 4:	/* straddling the end of the RW pages into read-only memory */
		return (uintptr_t)arena_ro() - (size ? rnd_below(r, size) : 0) - 1;
	default:
		if (size >= room * PAGE)
			return (uintptr_t)arena_rw();
		return (uintptr_t)arena_rw() + rnd_below(r, room * PAGE - size);
	}
}

/* A place userspace may write size bytes at (RW arena pages), aligned. */
static void *rw_place(struct rnd *r, size_t size)
{
	return arena_rw() + (rnd_below(r, RW_PAGES * PAGE - size) & ~7UL);
}

static uint64_t any_u64(struct rnd *r)
{
	static const uint64_t edge[] = {
		0, 1, 2, 3, 7, 8, 511, 512, 4095, 4096, 4097, 65536, 1 << 20,
		0x7fffffff, 0x80000000, 0xffffffff, 0x100000000ULL,
		0x7fffffffffffffffULL, 0x8000000000000000ULL, ~0ULL,
	};

	switch (rnd_below(r, 3)) {
	case 0:
		return RND_PICK(r, edge);
	case 1:
		return rnd_next(r);
	default:
		return rnd_below(r, 1 << 20);
	}
}

/* An fd for a request: acall's own, files of every type, closed, junk. */
static int any_fd(struct rnd *r)
{
	switch (rnd_below(r, 8)) {
	case 0:
		return atomic_load(&slots[rnd_below(r, SLOTS)].fd);
	case 1: {
		int fd = (int)any_u64(r);

		/* Not stdin, stdout or stderr: a write there lands in the log. */
		return fd >= 0 && fd <= 2 ? -1 : fd;
	}
	default:
		return fds[rnd_below(r, nfds)];
	}
}

/* ---- one request ------------------------------------------------------------ */

static void iovecs(struct rnd *r, struct acall_sqe *sqe)
{
	unsigned int nr = 1 + rnd_below(r, 8), i;
	struct iovec *iov;

	if (rnd_one_in(r, 16)) {	/* a count, not an array we build */
		sqe->len = (__u32)any_u64(r);
		sqe->addr = any_ptr(r, 16);
		return;
	}
	iov = rw_place(r, nr * sizeof(*iov));
	for (i = 0; i < nr; i++) {
		size_t len = rnd_one_in(r, 4) ? PAGE : rnd_below(r, 3 * PAGE);

		if (rnd_one_in(r, 20))
			len = (size_t)any_u64(r);
		iov[i].iov_len = len;
		/* Overlapping buffers come for free: all share the arena. */
		iov[i].iov_base = (void *)(uintptr_t)any_ptr(r, len < PAGE * 8 ? len : 0);
	}
	sqe->addr = (uintptr_t)iov;
	sqe->len = nr;
	if (rnd_one_in(r, 16))	/* the array itself straddles unmapped memory */
		sqe->addr = (uintptr_t)arena_ro() - sizeof(*iov);
}

/*
 * A file offset: mostly in the first MiB, else one of a few places at or
 * past the ends of what files and devices can hold. Never a random large
 * one: writes and fallocates there would allocate fresh memory each time
 * (tmpfs, memfd, a memory-backed device), and a long run would exhaust the
 * machine rather than test acall.
 */
static uint64_t any_off(struct rnd *r)
{
	static const uint64_t far[] = {
		1ULL << 44, (1ULL << 44) - PAGE, 0x7fffffffffffffffULL,
		0x7fffffffffffffffULL - PAGE + 1, 0x8000000000000000ULL, ~0ULL,
		1ULL << 30, (1ULL << 40) + 1,
	};

	return rnd_one_in(r, 10) ? RND_PICK(r, far) : rnd_below(r, 1 << 20);
}

static void one_sqe(struct rnd *r, struct acall_sqe *sqe, uint64_t tag)
{
	static const int rwf[] = {
		0, 0, 0, RWF_HIPRI, RWF_DSYNC, RWF_SYNC, RWF_NOWAIT, RWF_APPEND,
		RWF_NOWAIT | RWF_DSYNC, 0x40000000,
	};
	static const int falloc[] = {
		0, FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_ZERO_RANGE, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE,
		FALLOC_FL_COLLAPSE_RANGE, FALLOC_FL_INSERT_RANGE, FALLOC_FL_PUNCH_HOLE,
		0x80,
	};

	static const uint64_t bad_len[] = {
		0, 1ULL << 63, (1ULL << 63) + PAGE, ~0ULL,
	};

	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = rnd_one_in(r, 20) ? (__u8)rnd_next(r) : rnd_below(r, ACALL_OP_LAST);
	sqe->user_data = tag;
	/* Ordering tags: refused by a module without ACALL_FEAT_ORDERING. */
	switch (rnd_below(r, 6)) {
	case 0: sqe->flags = ACALL_SQE_ORDERED; break;
	case 1: sqe->flags = ACALL_SQE_LINK; break;
	case 2: sqe->flags = (__u8)rnd_next(r); break;
	default: break;
	}
	if (rnd_one_in(r, 4))
		sqe->queue = rnd_one_in(r, 4) ? (__u16)rnd_next(r) : rnd_below(r, 4);
	sqe->off = any_off(r);
	switch (sqe->opcode) {
	case ACALL_OP_NOP:
		/* Mostly short delays; a few of the longest and of too long. */
		sqe->len64 = rnd_one_in(r, 2) ? 0 : rnd_below(r, 2000000);
		if (rnd_one_in(r, 64))
			sqe->len64 = rnd_one_in(r, 2) ? 1000000000ULL : any_u64(r);
		sqe->off = 0;
		break;
	case ACALL_OP_PREADV:
	case ACALL_OP_PWRITEV:
		sqe->fd = any_fd(r);
		iovecs(r, sqe);
		sqe->op_flags = RND_PICK(r, rwf);
		break;
	case ACALL_OP_READ:
	case ACALL_OP_WRITE:
		/* One buffer: any length, mostly small; any address. */
		sqe->fd = any_fd(r);
		sqe->len = rnd_one_in(r, 4) ? PAGE : rnd_below(r, 3 * PAGE);
		if (rnd_one_in(r, 20))
			sqe->len = (__u32)any_u64(r);
		sqe->addr = any_ptr(r, sqe->len < PAGE * 8 ? sqe->len : 0);
		sqe->op_flags = RND_PICK(r, rwf);
		break;
	case ACALL_OP_FALLOCATE:
		sqe->fd = any_fd(r);
		sqe->op_flags = RND_PICK(r, falloc);
		/*
		 * Small lengths, or ones no file takes (negative as loff_t).
		 * Never a huge valid one: on a memfd a worker would allocate
		 * until the machine has no memory left (see testing.rst).
		 */
		sqe->len64 = rnd_one_in(r, 8) ? RND_PICK(r, bad_len) : rnd_below(r, 1 << 20);
		break;
	default:
		sqe->fd = any_fd(r);
		break;
	}
	if (rnd_one_in(r, 32))	/* a reserved or unused field set */
		sqe->resv[rnd_below(r, 2)] = rnd_next(r);
}

/* ---- the calls ------------------------------------------------------------- */

static void on_timer(int sig)
{
	(void)sig;
}

/*
 * A timer that signals this thread after 20 ms, so that a call that sleeps
 * (SERVE, SPAWN, a SUBMIT with ACALL_SUBMIT_WAIT) ends. false if none.
 */
static bool arm_interrupt(timer_t *timer)
{
	struct sigevent ev = { .sigev_notify = SIGEV_THREAD_ID,
			       .sigev_signo = SIGUSR1 };
	struct itimerspec its = { .it_value = { 0, 20 * 1000 * 1000 } };

	ev._sigev_un._tid = gettid();
	if (timer_create(CLOCK_MONOTONIC, &ev, timer))
		return false;
	timer_settime(*timer, 0, &its, NULL);
	return true;
}

static void do_submit(struct rnd *r, int fd)
{
	unsigned int nr = 1 + rnd_below(r, 32), i;
	struct acall_submit *s = rw_place(r, sizeof(*s) + nr * sizeof(struct acall_sqe));
	struct acall_sqe *sqes = (struct acall_sqe *)(s + 1);
	bool wait = false;
	timer_t timer;
	long ret;

	for (i = 0; i < nr; i++)
		one_sqe(r, &sqes[i], rnd_next(r));
	memset(s, 0, sizeof(*s));
	s->sqes = (uintptr_t)sqes;
	s->nr = nr;
	switch (rnd_below(r, 16)) {
	case 0: s->nr = (__u32)any_u64(r); break;		/* huge counts */
	case 1: s->sqes = any_ptr(r, nr * sizeof(*sqes)); break;
	case 2: s->flags = (__u32)rnd_next(r); break;
	case 3: s->resv = rnd_next(r); break;
	case 4:		/* and wait, for a count that may not fit */
		wait = arm_interrupt(&timer);
		if (!wait)
			break;
		s->flags = ACALL_SUBMIT_WAIT | (rnd_one_in(r, 2) ? ACALL_SUBMIT_QUIET : 0);
		s->min_complete = rnd_one_in(r, 8) ? (__u32)rnd_next(r) : rnd_below(r, 64);
		if (rnd_one_in(r, 8))
			s->nr = 0;
		break;
	default: break;
	}
	ret = sys_ioctl(fd, ACALL_IOC_SUBMIT,
			rnd_one_in(r, 32) ? any_ptr(r, sizeof(*s)) : (uintptr_t)s);
	if (wait)
		timer_delete(timer);
	check_errno(ACALL_IOC_SUBMIT, ret);
	if (ret > 0)
		atomic_fetch_add(&counts->requests, ret);
}

static void do_setup(struct rnd *r, int fd)
{
	struct acall_params *p = rw_place(r, sizeof(*p));

	memset(p, 0, sizeof(*p));
	p->entries = rnd_one_in(r, 8) ? (__u32)any_u64(r) : 1U << rnd_below(r, 10);
	p->max_workers = rnd_one_in(r, 2) ? 0 : (__u32)rnd_below(r, 8);
	p->nr_queues = rnd_one_in(r, 2) ? 0 : (__u16)(rnd_one_in(r, 8) ? rnd_next(r) : rnd_below(r, 8));
	if (rnd_one_in(r, 2))
		p->flags = ACALL_SETUP_PROCESS_WORKERS;
	if (rnd_one_in(r, 16))
		p->flags = (__u32)rnd_next(r);
	if (rnd_one_in(r, 16))
		p->resv[rnd_below(r, 4)] = rnd_next(r);
	if (rnd_one_in(r, 16))
		p->resv1 = (__u16)rnd_next(r);
	check_errno(ACALL_IOC_SETUP, sys_ioctl(fd, ACALL_IOC_SETUP,
			rnd_one_in(r, 16) ? any_ptr(r, sizeof(*p)) : (uintptr_t)p));
}

/* Any ioctl number of acall's range, or of its size variants, or junk. */
static void do_random_ioctl(struct rnd *r, int fd)
{
	static const unsigned long known[] = {
		ACALL_IOC_PROBE, ACALL_IOC_SETUP, ACALL_IOC_SUBMIT, ACALL_IOC_WAIT,
		ACALL_IOC_EVENTFD, ACALL_IOC_CANCEL, ACALL_IOC_STATS, ACALL_IOC_AFFINITY,
	};
	unsigned long cmd;
	size_t size = 256;
	unsigned char *arg = rw_place(r, size);
	size_t i;

	switch (rnd_below(r, 4)) {
	case 0:	/* 0x3f is the test-only injector's number: never */
		cmd = _IOC(rnd_below(r, 4), ACALL_IOC_MAGIC, 0x20 + rnd_below(r, 0x1f),
			   rnd_below(r, 256));
		break;
	case 1:
		cmd = (unsigned int)rnd_next(r);
		break;
	default:
		cmd = RND_PICK(r, known);
		break;
	}
	/* And the calls that sleep: do_serve() bounds them. */
	if (cmd == _IOC(_IOC_WRITE, ACALL_IOC_MAGIC, 0x3f, 4) ||
	    cmd == ACALL_IOC_SERVE || cmd == ACALL_IOC_SPAWN)
		cmd = ACALL_IOC_PROBE;
	for (i = 0; i < size; i += 8) {
		uint64_t v = rnd_one_in(r, 2) ? 0 : any_u64(r);

		memcpy(arg + i, &v, 8);
	}
	/* WAIT must not wait long: a bounded, non-negative timeout. */
	if (cmd == ACALL_IOC_WAIT) {
		struct acall_wait *w = (struct acall_wait *)arg;

		w->timeout_ns = rnd_below(r, 2000000);
	}
	if (cmd == ACALL_IOC_AFFINITY && rnd_one_in(r, 2)) {
		struct acall_affinity *a = (struct acall_affinity *)arg;
		uint64_t *mask = rw_place(r, 16);

		mask[0] = rnd_next(r);
		mask[1] = 0;
		memset(a, 0, sizeof(*a));
		a->mask = rnd_one_in(r, 4) ? any_ptr(r, 16) : (uintptr_t)mask;
		a->mask_size = rnd_one_in(r, 4) ? (__u32)any_u64(r) : 8 * rnd_below(r, 3);
		a->flags = rnd_one_in(r, 2) ? ACALL_AFFINITY_QUEUE : (__u32)rnd_below(r, 4);
		a->queue = (__u16)rnd_below(r, 8);
	}
	if (cmd == ACALL_IOC_WAIT || _IOC_TYPE(cmd) != ACALL_IOC_MAGIC || !rnd_one_in(r, 8)) {
		check_errno(cmd, sys_ioctl(fd, cmd, (uintptr_t)arg));
		return;
	}
	/* Any pointer but for WAIT, whose timeout lives in the argument. */
	check_errno(cmd, sys_ioctl(fd, cmd, any_ptr(r, _IOC_SIZE(cmd))));
}

static void do_eventfd(struct rnd *r, int fd)
{
	__s32 *efd = rw_place(r, sizeof(*efd));
	int made = -1;

	switch (rnd_below(r, 4)) {
	case 0:
		*efd = -1;
		break;
	case 1:
		*efd = any_fd(r);
		break;
	default:
		made = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		*efd = made;
		break;
	}
	check_errno(ACALL_IOC_EVENTFD, sys_ioctl(fd, ACALL_IOC_EVENTFD, (uintptr_t)efd));
	if (made >= 0) {
		uint64_t v;

		if (rnd_one_in(r, 2) && read(made, &v, sizeof(v)) < 0 && errno != EAGAIN)
			perror("fuzz: eventfd read");
		close(made);	/* the module holds its own reference */
	}
}

static void do_wait_cancel_stats(struct rnd *r, int fd)
{
	struct acall_wait *w = rw_place(r, sizeof(*w) + 16 + sizeof(struct acall_stats));
	__u64 *tag = (__u64 *)(w + 1);

	switch (rnd_below(r, 3)) {
	case 0:
		memset(w, 0, sizeof(*w));
		w->min_complete = rnd_one_in(r, 8) ? (__u32)any_u64(r) : 1 + rnd_below(r, 4);
		w->timeout_ns = rnd_below(r, 2000000);
		if (rnd_one_in(r, 16))
			w->flags = (__u32)rnd_next(r);
		check_errno(ACALL_IOC_WAIT, sys_ioctl(fd, ACALL_IOC_WAIT, (uintptr_t)w));
		break;
	case 1:
		*tag = rnd_one_in(r, 2) ? rnd_below(r, 4) : rnd_next(r);
		check_errno(ACALL_IOC_CANCEL, sys_ioctl(fd, ACALL_IOC_CANCEL, (uintptr_t)tag));
		break;
	default:
		check_errno(ACALL_IOC_STATS, sys_ioctl(fd, ACALL_IOC_STATS, (uintptr_t)tag));
		break;
	}
}

/* Map the ring (or try to, wrongly), reap, scribble on head, unmap. */
static void do_ring(struct rnd *r, struct slot *s)
{
	struct acall_params *p = rw_place(r, sizeof(*p));
	int fd = atomic_load(&s->fd);

	pthread_mutex_lock(&s->mu);
	if (!s->map && fd >= 0) {
		size_t len = 0;
		void *m;

		/* The ring's size: from a context we set up, else a guess. */
		len = s->ring_bytes ? s->ring_bytes : PAGE * (1 + rnd_below(r, 4));
		if (rnd_one_in(r, 8))
			len += PAGE;
		memset(p, 0, sizeof(*p));
		m = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 rnd_one_in(r, 8) ? MAP_PRIVATE : MAP_SHARED, fd,
			 rnd_one_in(r, 8) ? PAGE : 0);
		atomic_fetch_add(&counts->calls, 1);
		if (m != MAP_FAILED) {
			s->map = m;
			s->map_len = len;
		}
	} else if (s->map && s->ring_bytes == s->map_len && s->off.cqes) {
		/* Our own ring: reap what is there, sometimes move head wildly. */
		unsigned char *m = s->map;
		unsigned int *head = (unsigned int *)(m + s->off.head);
		unsigned int *tail = (unsigned int *)(m + s->off.tail);
		unsigned int *flags = (unsigned int *)(m + s->off.flags);
		unsigned int *entries = (unsigned int *)(m + s->off.ring_entries);
		unsigned int t = __atomic_load_n(tail, __ATOMIC_ACQUIRE);

		/* After a wild head (below) the difference means nothing. */
		if (t - *head <= *entries)
			atomic_fetch_add(&counts->completions, t - *head);
		if (rnd_one_in(r, 64))
			t = (unsigned int)rnd_next(r);
		__atomic_store_n(head, t, __ATOMIC_RELEASE);
		if (rnd_one_in(r, 8))
			*flags = (unsigned int)rnd_below(r, 4);
		if (rnd_one_in(r, 4)) {
			munmap(s->map, s->map_len);
			atomic_fetch_add(&counts->calls, 1);
			s->map = NULL;
		}
	} else if (s->map) {
		munmap(s->map, s->map_len);
		atomic_fetch_add(&counts->calls, 1);
		s->map = NULL;
	}
	pthread_mutex_unlock(&s->mu);
}

/* A fresh context in the slot (closing what was there), usually set up. */
static void do_open(struct rnd *r, struct slot *s)
{
	/*
	 * On this thread's stack, not in the arena: the ring's size and
	 * offsets are read back and used to reach into the mapping, and the
	 * arena is written all the time by other threads and by requests.
	 */
	struct acall_params p;
	int fd, old;

	fd = open("/dev/acall", O_RDWR | (rnd_one_in(r, 2) ? O_CLOEXEC : 0));
	atomic_fetch_add(&counts->calls, 1);
	if (fd >= 0 && rnd_below(r, 4)) {
		memset(&p, 0, sizeof(p));
		p.entries = 1U << (2 + rnd_below(r, 8));
		p.max_workers = rnd_below(r, 4);
		p.nr_queues = rnd_below(r, 3);
		if (sys_ioctl(fd, ACALL_IOC_SETUP, (uintptr_t)&p) == 0) {
			pthread_mutex_lock(&s->mu);
			s->ring_bytes = p.ring_bytes;
			s->off = p.ring;
			pthread_mutex_unlock(&s->mu);
		}
	}
	old = atomic_exchange(&s->fd, fd);
	if (old >= 0) {
		close(old);	/* with whatever it has in flight */
		atomic_fetch_add(&counts->calls, 1);
	}
	if (fd < 0) {
		pthread_mutex_lock(&s->mu);
		s->ring_bytes = 0;
		pthread_mutex_unlock(&s->mu);
	}
}

static void do_close(struct slot *s)
{
	int old = atomic_exchange(&s->fd, -1);

	if (old >= 0) {
		close(old);
		atomic_fetch_add(&counts->calls, 1);
	}
}

/*
 * A child that shares the contexts but not their ownership: its calls are
 * refused (EPERM), except a SETUP of a context not set up yet, which makes it
 * the child's. Sometimes it execs first, keeping the fds without O_CLOEXEC.
 * Either way it exits with the work of any context it took still in flight.
 */
static void do_fork(struct rnd *r)
{
	uint64_t child_seed = rnd_next(r);
	int do_exec = rnd_one_in(r, 4);
	pid_t pid = fork();

	if (pid < 0)
		return;
	if (pid == 0) {
		struct rnd cr;
		int i;

		if (do_exec) {
			char seed[32];

			snprintf(seed, sizeof(seed), "%llu", (unsigned long long)child_seed);
			execl("/proc/self/exe", "acall-fuzz", "--exec-child", seed, (char *)NULL);
			_exit(127);
		}
		rnd_init(&cr, child_seed, 0, 0);
		for (i = 0; i < 16; i++) {
			int fd = atomic_load(&slots[rnd_below(&cr, SLOTS)].fd);

			switch (rnd_below(&cr, 3)) {
			case 0: do_submit(&cr, fd); break;
			case 1: do_setup(&cr, fd); if (rnd_one_in(&cr, 2)) do_submit(&cr, fd); break;
			default: do_random_ioctl(&cr, fd); break;
			}
		}
		_exit(0);
	}
	atomic_fetch_add(&counts->forks, 1);
	if (do_exec)
		atomic_fetch_add(&counts->execs, 1);
	waitpid(pid, NULL, 0);
}

/* After exec: contexts inherited without O_CLOEXEC belong to a dead mm. */
static int exec_child(uint64_t seed)
{
	static struct counts local;
	struct rnd r;
	int fd;

	counts = &local;	/* this process's calls are not counted */
	rnd_init(&r, seed, 1, 1);
	for (fd = 3; fd < 256; fd++) {
		struct acall_stats st;
		struct acall_params p;

		if (syscall(SYS_ioctl, fd, ACALL_IOC_STATS, &st) < 0 && errno == EBADF)
			continue;
		memset(&p, 0, sizeof(p));
		p.entries = 8;
		syscall(SYS_ioctl, fd, ACALL_IOC_SETUP, &p);
		if (rnd_one_in(&r, 2))
			mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	}
	return 0;
}

/* ---- threads and processes ----------------------------------------------- */

struct thread_arg {
	unsigned int proc, thread;
};

/*
 * SERVE or SPAWN with random arguments. Either may sleep (until work
 * comes, or worker_idle_ms): a timer interrupts this thread after 20 ms,
 * and they return EINTR.
 */
static void do_serve(struct rnd *r, int fd)
{
	struct acall_spawn *sp = rw_place(r, sizeof(*sp));
	timer_t timer;
	long ret;

	sp->failed = rnd_one_in(r, 2) ? 0 : (__u32)rnd_next(r);
	sp->resv = rnd_one_in(r, 8) ? (__u32)rnd_next(r) : 0;
	if (!arm_interrupt(&timer))
		return;
	if (rnd_one_in(r, 2)) {
		ret = sys_ioctl(fd, ACALL_IOC_SERVE,
				rnd_one_in(r, 8) ? rnd_next(r) : 0);
		check_errno(ACALL_IOC_SERVE, ret);
	} else {
		ret = sys_ioctl(fd, ACALL_IOC_SPAWN,
				rnd_one_in(r, 8) ? any_ptr(r, sizeof(*sp)) :
				(uintptr_t)sp);
		check_errno(ACALL_IOC_SPAWN, ret);
	}
	timer_delete(timer);
}

static void *fuzz_thread(void *p)
{
	struct thread_arg *a = p;
	unsigned long long n;
	struct rnd r;

	rnd_init(&r, opt.seed, a->proc + 1, a->thread + 1);
	for (n = 0;; n++) {
		struct slot *s = &slots[rnd_below(&r, SLOTS)];
		int fd = atomic_load(&s->fd);

		if (opt.calls_per_thread ? n >= opt.calls_per_thread
					 : (n % 16 == 0 && time(NULL) >= end_time))
			break;
		switch (rnd_below(&r, 100)) {
		case 0 ... 39: do_submit(&r, fd); break;
		case 40 ... 49: do_ring(&r, s); break;
		case 50 ... 59: do_wait_cancel_stats(&r, fd); break;
		case 60 ... 69: do_random_ioctl(&r, fd); break;
		case 70 ... 74: do_eventfd(&r, fd); break;
		case 75 ... 79: do_setup(&r, fd); break;
		case 80 ... 89: do_open(&r, s); break;
		case 90 ... 94: do_close(s); break;
		case 95 ... 96: do_fork(&r); break;
		case 97: do_serve(&r, fd); break;
		default: do_ring(&r, s); break;
		}
	}
	return NULL;
}

/* Files of every kind for requests to name. */
static void open_fds(void)
{
	char path[4096];
	int sv[2], p[2], fd;

	snprintf(path, sizeof(path), "%s/acall-fuzz.XXXXXX", opt.dir);
	fd = mkstemp(path);
	if (fd >= 0) {
		fds[nfds++] = fd;
		fds[nfds++] = open(path, O_RDONLY);
		fds[nfds++] = open(path, O_WRONLY | O_APPEND);
		fds[nfds++] = open(path, O_RDWR | O_DIRECT);
		fds[nfds++] = open(path, O_RDWR | O_DSYNC);
		unlink(path);
	}
	if (opt.bdev) {
		fds[nfds++] = open(opt.bdev, O_RDWR | O_DIRECT);
		fds[nfds++] = open(opt.bdev, O_RDONLY);
	}
	fds[nfds++] = open(opt.dir, O_RDONLY | O_DIRECTORY);
	fds[nfds++] = open("/dev/null", O_RDWR);
	fds[nfds++] = open("/proc/self/status", O_RDONLY);
	fds[nfds++] = eventfd(0, EFD_NONBLOCK);
	fds[nfds++] = memfd_create("acall-fuzz", 0);
	if (pipe2(p, O_NONBLOCK) == 0) {
		fds[nfds++] = p[0];
		fds[nfds++] = p[1];
	}
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) == 0) {
		fds[nfds++] = sv[0];
		fds[nfds++] = sv[1];
	}
	fds[nfds++] = 100000;	/* never open */
}

static void fuzz_process(unsigned int proc)
{
	pthread_t th[MAX_THREADS];
	struct thread_arg args[MAX_THREADS];
	unsigned int i;

	arena = mmap(NULL, ARENA_PAGES * PAGE, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (arena == MAP_FAILED)
		_exit(2);
	mprotect(arena_ro(), PAGE, PROT_READ);
	mprotect(arena_none(), PAGE, PROT_NONE);
	for (i = 0; i < SLOTS; i++) {
		pthread_mutex_init(&slots[i].mu, NULL);
		atomic_init(&slots[i].fd, -1);
	}
	open_fds();
	/* do_serve()'s timer: no SA_RESTART, so that the ioctl ends. */
	sigaction(SIGUSR1, &(struct sigaction){ .sa_handler = on_timer }, NULL);
	for (i = 0; i < opt.threads; i++) {
		args[i] = (struct thread_arg){ proc, i };
		if (pthread_create(&th[i], NULL, fuzz_thread, &args[i]))
			_exit(2);
	}
	for (i = 0; i < opt.threads; i++)
		pthread_join(th[i], NULL);
	/* Exit with contexts open and work in flight: the kernel cleans up. */
	_exit(0);
}

static pid_t start_proc(unsigned int proc)
{
	pid_t pid = fork();

	if (pid == 0)
		fuzz_process(proc);
	return pid;
}

/*
 * A hung worker: print what each of its threads is doing (its state, where
 * it sleeps, the top of its kernel stack, which root may read), then the
 * same for the children it waits for (do_fork()'s), and kill them all. A
 * thread that spins in userspace shows R and no kernel frame.
 */
static void end_hung(pid_t pid, bool child)
{
	char path[320], line[256];
	struct dirent *d;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/task", pid);
	dir = opendir(path);
	if (!dir)
		return;
	while ((d = readdir(dir))) {
		char state = '?', wchan[64] = "", stack[160] = "";
		const char *close_paren;
		FILE *f;

		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", pid, d->d_name);
		f = fopen(path, "r");
		if (f && fgets(line, sizeof(line), f) &&
		    (close_paren = strrchr(line, ')')) && close_paren[1])
			state = close_paren[2];
		if (f)
			fclose(f);
		snprintf(path, sizeof(path), "/proc/%d/task/%s/wchan", pid, d->d_name);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(wchan, sizeof(wchan), f))
				wchan[0] = 0;
			fclose(f);
		}
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stack", pid, d->d_name);
		f = fopen(path, "r");
		for (int i = 0; f && i < 3 && fgets(line, sizeof(line), f); i++) {
			char *fn = strchr(line, ' ');

			line[strcspn(line, "+\n")] = 0;
			if (fn)
				snprintf(stack + strlen(stack), sizeof(stack) - strlen(stack),
					 " %s", fn + 1);
		}
		if (f)
			fclose(f);
		fprintf(stderr, "fuzz: %s %d thread %s: %c %s%s\n",
			child ? "child" : "worker", pid, d->d_name, state,
			wchan[0] ? wchan : "-", stack);
		if (child)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/children", pid, d->d_name);
		f = fopen(path, "r");
		for (int kid; f && fscanf(f, "%d", &kid) == 1;)
			end_hung(kid, true);
		if (f)
			fclose(f);
	}
	closedir(dir);
	kill(pid, SIGKILL);
}

static void usage(void)
{
	fprintf(stderr, "usage: acall-fuzz [-s SEED] [-t SECONDS] [-n CALLS_PER_THREAD] "
		"[-p PROCS] [-j THREADS] [-d DIR] [-b BDEV]\n");
	exit(2);
}

int main(int argc, char **argv)
{
	pid_t pids[MAX_PROCS];
	unsigned int i, next_proc, failed = 0, overwritten = 0;
	struct timespec tick = { 0, 50 * 1000 * 1000 };
	struct rnd ctl;
	time_t hang;
	int c;

	if (argc == 3 && !strcmp(argv[1], "--exec-child"))
		return exec_child(strtoull(argv[2], NULL, 0));
	opt.seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 20);
	while ((c = getopt(argc, argv, "s:t:n:p:j:d:b:")) != -1) {
		switch (c) {
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 't': opt.seconds = atoi(optarg); break;
		case 'n': opt.calls_per_thread = strtoull(optarg, NULL, 0); break;
		case 'p': opt.procs = atoi(optarg); break;
		case 'j': opt.threads = atoi(optarg); break;
		case 'd': opt.dir = optarg; break;
		case 'b': opt.bdev = optarg; break;
		default: usage();
		}
	}
	if (!opt.procs || opt.procs > MAX_PROCS || !opt.threads || opt.threads > MAX_THREADS)
		usage();
	printf("fuzz: seed %llu, %u processes of %u threads, %s\n",
	       (unsigned long long)opt.seed, opt.procs, opt.threads,
	       opt.calls_per_thread ? "fixed number of calls" : "timed");
	fflush(stdout);

	counts = mmap(NULL, sizeof(*counts), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (counts == MAP_FAILED)
		return 2;
	counts->canary = COUNTS_CANARY;
	end_time = time(NULL) + opt.seconds;
	hang = end_time + HANG_GRACE_S;
	rnd_init(&ctl, opt.seed, 0, 0);
	for (i = 0; i < opt.procs; i++)
		pids[i] = start_proc(i);
	next_proc = opt.procs;

	/*
	 * Reap workers; while the run lasts, SIGKILL one now and then (its
	 * contexts die with work in flight) and start a fresh one in its place.
	 */
	for (;;) {
		unsigned int alive = 0;

		for (i = 0; i < opt.procs; i++) {
			int status;

			if (pids[i] <= 0)
				continue;
			if (waitpid(pids[i], &status, WNOHANG) == pids[i]) {
				if (!WIFEXITED(status) && !(WIFSIGNALED(status) &&
							     WTERMSIG(status) == SIGKILL)) {
					fprintf(stderr, "fuzz: worker %d died: status 0x%x\n",
						pids[i], status);
					failed = 1;
				} else if (WIFEXITED(status) && WEXITSTATUS(status)) {
					fprintf(stderr, "fuzz: worker %d exit %d\n",
						pids[i], WEXITSTATUS(status));
					failed = 1;
				}
				pids[i] = 0;
				if (!opt.calls_per_thread && time(NULL) < end_time)
					pids[i] = start_proc(next_proc++);
				continue;
			}
			alive++;
			if (!opt.calls_per_thread && time(NULL) < end_time &&
			    rnd_one_in(&ctl, 100)) {
				kill(pids[i], SIGKILL);
				atomic_fetch_add(&counts->kills, 1);
			}
		}
		if (counts->canary != COUNTS_CANARY && !overwritten) {
			fprintf(stderr, "fuzz: the counters' page was overwritten: "
				"a request wrote outside the arena\n");
			overwritten = 1;
			failed = 1;
		}
		if (!alive)
			break;
		if (time(NULL) > hang) {
			for (i = 0; i < opt.procs; i++)
				if (pids[i] > 0)
					end_hung(pids[i], false);
			fprintf(stderr, "fuzz: workers still running %ds after the end: hung\n",
				HANG_GRACE_S);
			failed = 1;
			break;
		}
		nanosleep(&tick, NULL);
	}
	if (counts->bad_errno)
		failed = 1;
	printf("fuzz: seed %llu calls %llu requests %llu completions %llu forks %llu "
	       "execs %llu kills %llu bad_errno %llu\n",
	       (unsigned long long)opt.seed, (unsigned long long)counts->calls,
	       (unsigned long long)counts->requests,
	       (unsigned long long)counts->completions,
	       (unsigned long long)counts->forks, (unsigned long long)counts->execs,
	       (unsigned long long)counts->kills, (unsigned long long)counts->bad_errno);
	return failed;
}

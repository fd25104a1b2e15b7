/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libacall: userspace side of /dev/acall.
 *
 * Every function that can fail returns a negative errno value; none of them
 * returns -1 and leaves the reason in errno.
 *
 * Threads: acall_enqueue() and acall_enqueue_n() may be called from any
 * number of threads at once; acall_flush() from any thread (flushes are serialised inside). Reaping
 * (acall_peek_cqe, acall_cq_advance, acall_wait_cqe, ...) belongs to one
 * thread at a time, the one running the event loop.
 */
#ifndef LIBACALL_ACALL_H
#define LIBACALL_ACALL_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <linux/acall.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ACALL_DEVICE_PATH "/dev/acall"
#define ACALL_DEFAULT_ENTRIES 256

struct acall_sq;	/* the thread-safe submission queue, private */

/* A context: an open, set up /dev/acall with its completion ring mapped. */
struct acall_ring {
	int fd;
	unsigned int entries;
	unsigned int mask;
	unsigned int *khead;	/* written by us */
	unsigned int *ktail;	/* written by the module */
	unsigned int *kflags;	/* ACALL_RING_*, written by us */
	struct acall_cqe *cqes;
	void *ring_ptr;
	size_t ring_bytes;
	int eventfd;		/* registered eventfd, or -1 */
	struct acall_sq *sq;
};

/* Parameters of acall_ring_init(); zero fields take the defaults. */
struct acall_options {
	unsigned int entries;		/* ring size, power of two; default 256 */
	unsigned int max_workers;	/* worker bound per NUMA node */
	unsigned int nr_queues;		/* ordering queues; default 1 */
	unsigned int flags;		/* ACALL_SETUP_*; 0: the defaults */
	/*
	 * Most bytes one submission copies in the calling thread; the rest
	 * of a request past it is done asynchronously. 0: the module's
	 * default (1 MiB); ACALL_INLINE_UNBOUNDED: no bound. Needs
	 * ACALL_FEAT_INLINE_BOUND (an older module refuses it: -EINVAL).
	 */
	uint64_t inline_bytes;
	uint64_t resv[4];		/* must be zero: room to grow */
};

/*
 * Open /dev/acall close-on-exec. Returns the file descriptor, or -ENOENT
 * when the module is not loaded, or another negative errno.
 */
int acall_open_device(void);

/*
 * Fill *probe with what the running module supports. fd is an open
 * /dev/acall, or -1 to open (and close) the device just for the probe.
 * Returns 0 or a negative errno.
 */
int acall_probe(int fd, struct acall_probe *probe);

/*
 * Whether the module that answered *probe takes opcode op (an
 * ACALL_OP_*), as liburing's io_uring_opcode_supported(). No system call.
 */
static inline bool acall_opcode_supported(const struct acall_probe *probe,
					  unsigned int op)
{
	return op < 64 && (probe->ops & (1ULL << op));
}

/*
 * Whether the module that answered *probe takes requests naming fd: a
 * block device, or a regular file of a filesystem in probe->fs_types (by
 * fstatfs()'s f_type, the superblock magic the module checks). Returns 1,
 * 0 (a request naming fd would fail: -EOPNOTSUPP, or -EBADF for an O_PATH
 * fd), or the negative errno of fstat(), fcntl() or fstatfs(). 1 for any
 * regular file where the library cannot tell: a module that predates
 * fs_types (0 there), or one that serves a filesystem this library does
 * not know the magic of; its requests tell.
 */
int acall_fd_supported(const struct acall_probe *probe, int fd);

/*
 * Open and set up a context; opts may be NULL. Returns 0 or -errno:
 * -EINVAL for a bad option (non-zero resv included) or one the module
 * refuses, and whatever open, ACALL_IOC_SETUP or mmap return.
 */
int acall_ring_init(struct acall_ring *ring, const struct acall_options *opts);

/*
 * Tear the context down: requests that have not started are canceled,
 * those that workers run finish (kernel-thread workers are interrupted),
 * and the call returns once every request has finished and the context's
 * worker threads have left it (they are detached and may take a moment
 * more to exit: the process may still count them), so that the caller
 * may then free or reuse its buffers (as after libaio's io_destroy()).
 * Their completions are not seen.
 * A module without ACALL_FEAT_SHUTDOWN, or a forked child's copy of the
 * context, is only closed: requests may then still be running.
 */
void acall_ring_exit(struct acall_ring *ring);

/* ---- preparing requests -------------------------------------------------- */

static inline void acall_prep_rw(struct acall_sqe *sqe, __u8 op, int fd,
				 const void *addr, unsigned int len,
				 __u64 off, __u32 op_flags)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->addr = (__u64)(uintptr_t)addr;
	sqe->len = len;
	sqe->off = off;
	sqe->op_flags = op_flags;
}

/* A NOP; with delay_ns > 0 it sleeps that long in a worker (tests). */
static inline void acall_prep_nop(struct acall_sqe *sqe, __u64 delay_ns)
{
	acall_prep_rw(sqe, ACALL_OP_NOP, 0, NULL, 0, 0, 0);
	sqe->len64 = delay_ns;
}

/* preadv2(fd, iov, nr_iov, off, rwf_flags) */
static inline void acall_prep_preadv(struct acall_sqe *sqe, int fd,
				     const struct iovec *iov, unsigned int nr_iov,
				     __u64 off, int rwf_flags)
{
	acall_prep_rw(sqe, ACALL_OP_PREADV, fd, iov, nr_iov, off, rwf_flags);
}

/* pwritev2(fd, iov, nr_iov, off, rwf_flags) */
static inline void acall_prep_pwritev(struct acall_sqe *sqe, int fd,
				      const struct iovec *iov, unsigned int nr_iov,
				      __u64 off, int rwf_flags)
{
	acall_prep_rw(sqe, ACALL_OP_PWRITEV, fd, iov, nr_iov, off, rwf_flags);
}

/* pread(fd, buf, nbytes, off), with preadv2()'s rwf_flags */
static inline void acall_prep_read(struct acall_sqe *sqe, int fd, void *buf,
				   unsigned int nbytes, __u64 off, int rwf_flags)
{
	acall_prep_rw(sqe, ACALL_OP_READ, fd, buf, nbytes, off, rwf_flags);
}

/* pwrite(fd, buf, nbytes, off), with pwritev2()'s rwf_flags */
static inline void acall_prep_write(struct acall_sqe *sqe, int fd,
				    const void *buf, unsigned int nbytes,
				    __u64 off, int rwf_flags)
{
	acall_prep_rw(sqe, ACALL_OP_WRITE, fd, buf, nbytes, off, rwf_flags);
}

static inline void acall_prep_fsync(struct acall_sqe *sqe, int fd)
{
	acall_prep_rw(sqe, ACALL_OP_FSYNC, fd, NULL, 0, 0, 0);
}

static inline void acall_prep_fdatasync(struct acall_sqe *sqe, int fd)
{
	acall_prep_rw(sqe, ACALL_OP_FDATASYNC, fd, NULL, 0, 0, 0);
}

/* fallocate(fd, mode, off, len): discard and write-zeroes use the modes */
static inline void acall_prep_fallocate(struct acall_sqe *sqe, int fd,
					int mode, __u64 off, __u64 len)
{
	acall_prep_rw(sqe, ACALL_OP_FALLOCATE, fd, NULL, 0, off, mode);
	sqe->len64 = len;
}

static inline void acall_sqe_set_data(struct acall_sqe *sqe, __u64 data)
{
	sqe->user_data = data;
}

/* ---- ordering (Documentation/acall.rst, "Ordering") ---------------------- */

/* Which ordering queue the request belongs to (default 0). */
static inline void acall_sqe_set_queue(struct acall_sqe *sqe, __u16 queue)
{
	sqe->queue = queue;
}

/* A barrier: after every earlier request of its queue, before every later. */
static inline void acall_sqe_set_ordered(struct acall_sqe *sqe)
{
	sqe->flags |= ACALL_SQE_ORDERED;
}

/*
 * The next request of the batch runs only if this one fully succeeds. The
 * module takes a chain whole or not at all; through the queue, enqueue a
 * chain with one acall_enqueue_n().
 */
static inline void acall_sqe_set_link(struct acall_sqe *sqe)
{
	sqe->flags |= ACALL_SQE_LINK;
}

/*
 * A write followed by a flush that covers it and everything submitted to
 * the queue before it: sqes[0] is the write, sqes[1] an ORDERED FDATASYNC.
 * Submit both in one batch, or enqueue both with one acall_enqueue_n().
 * user_data is set on both.
 */
static inline void acall_prep_write_flush(struct acall_sqe sqes[2], int fd,
					  const struct iovec *iov,
					  unsigned int nr_iov, __u64 off,
					  __u16 queue, __u64 user_data)
{
	acall_prep_pwritev(&sqes[0], fd, iov, nr_iov, off, 0);
	acall_prep_fdatasync(&sqes[1], fd);
	acall_sqe_set_ordered(&sqes[1]);
	acall_sqe_set_queue(&sqes[0], queue);
	acall_sqe_set_queue(&sqes[1], queue);
	acall_sqe_set_data(&sqes[0], user_data);
	acall_sqe_set_data(&sqes[1], user_data);
}

/*
 * Read-modify-write as a linked pair, with no round trip in between:
 * sqes[0] reads riov at off and is linked to sqes[1], which writes wiov at
 * off only if the read returned every byte. For a write smaller than a
 * block, riov reads the whole block into a buffer and wiov gathers the old
 * head and tail from that buffer around the new bytes. Submit both in one
 * batch (the module takes the pair whole or not at all), or enqueue both
 * with one acall_enqueue_n(); user_data is set on both.
 */
static inline void acall_prep_read_write_linked(struct acall_sqe sqes[2],
						int fd,
						const struct iovec *riov,
						unsigned int nr_riov,
						const struct iovec *wiov,
						unsigned int nr_wiov, __u64 off,
						__u16 queue, __u64 user_data)
{
	acall_prep_preadv(&sqes[0], fd, riov, nr_riov, off, 0);
	acall_prep_pwritev(&sqes[1], fd, wiov, nr_wiov, off, 0);
	acall_sqe_set_link(&sqes[0]);
	acall_sqe_set_queue(&sqes[0], queue);
	acall_sqe_set_queue(&sqes[1], queue);
	acall_sqe_set_data(&sqes[0], user_data);
	acall_sqe_set_data(&sqes[1], user_data);
}

/* ---- submitting ---------------------------------------------------------- */

/*
 * Submit nr requests in one call. Returns how many the module took (it
 * takes fewer when the ring has no room for their completions, and never
 * part of a LINK chain), -EBUSY when it could take none (the first chain
 * does not fit yet), -EINVAL when the first chain is longer than the ring,
 * or another negative errno.
 */
int acall_submit(struct acall_ring *ring, const struct acall_sqe *sqes,
		 unsigned int nr);

/*
 * acall_submit() with ACALL_SUBMIT_* flags. ACALL_SUBMIT_QUIET: what
 * completes while the call runs (inside it or elsewhere) is in the ring
 * when it returns and signals no eventfd, for the event loop that submits
 * and reaps the ring in one thread and looks at the ring after each call,
 * before it sleeps (needs ACALL_FEAT_QUIET_SUBMIT; an older module refuses
 * the flag with -EINVAL).
 */
int acall_submit_flags(struct acall_ring *ring, const struct acall_sqe *sqes,
		       unsigned int nr, unsigned int flags);

/*
 * acall_submit_flags(), then, in the same call, sleep until the ring holds
 * min_complete (1 to the ring's entries) completions past its head as the
 * sleep begins (those already there count), none of the context's
 * requests is in flight, or a signal comes; for a caller that has nothing
 * else to do meanwhile (the idea of io_uring_submit_and_wait()). Unlike
 * acall_wait() it never returns -EINTR and never sleeps with nothing in
 * flight. Returns what acall_submit() does, however the sleep ended (read
 * the ring for what is ready); nr 0 takes nothing, only waits, and returns
 * 0 (or an error of the call, -ESHUTDOWN after a shutdown). -EINVAL also
 * for min_complete 0 or above the ring's entries (nothing taken) and from
 * a module without ACALL_FEAT_SUBMIT_WAIT.
 */
int acall_submit_and_wait(struct acall_ring *ring, const struct acall_sqe *sqes,
			  unsigned int nr, unsigned int min_complete,
			  unsigned int flags);

/*
 * Thread-safe, wait-free: queue a copy of *sqe for the next acall_flush().
 * Returns 0, -ENOMEM, or -EINVAL when *sqe has LINK (it would link to
 * whatever another thread queues next: use acall_enqueue_n()); -EPERM in
 * a child of the ring's owner made without CLONE_VM (fork(), say), -EBADF
 * for a ring that has no queue (not set up, or torn down).
 */
int acall_enqueue(struct acall_ring *ring, const struct acall_sqe *sqe);

/*
 * Thread-safe, wait-free: queue copies of sqes[0..n) as one group, in
 * order, for the next acall_flush(); no other thread's request lands among
 * them. LINK chains inside the group are submitted whole, never cut by a
 * flush. Returns 0 (also for n 0, queueing nothing), -ENOMEM, or -EINVAL
 * when sqes[n - 1] has LINK (the group would end inside a chain) or a
 * chain is longer than ring->entries (it could never be submitted);
 * -EPERM and -EBADF as acall_enqueue(); nothing is queued on error.
 */
int acall_enqueue_n(struct acall_ring *ring, const struct acall_sqe *sqes,
		    unsigned int n);

/*
 * Submit everything queued so far, as few calls as possible, in queue
 * order, each LINK chain whole in one call. Requests the module cannot take
 * yet stay queued, first in line. Returns how many were submitted, or a
 * negative errno if none could be (-EBUSY: the ring has no room for the
 * first chain yet; -EPROTO: the module claimed more than it was given;
 * -EPERM and -EBADF as for acall_enqueue()).
 */
int acall_flush(struct acall_ring *ring);

/* Requests queued and not yet flushed (0 for a ring with no queue). */
unsigned int acall_queued(struct acall_ring *ring);

/* ---- completions --------------------------------------------------------- */

/* Completions ready in the ring. */
static inline unsigned int acall_cq_ready(const struct acall_ring *ring)
{
	return __atomic_load_n(ring->ktail, __ATOMIC_ACQUIRE) -
	       __atomic_load_n(ring->khead, __ATOMIC_RELAXED);
}

/* The oldest ready completion, or NULL. No syscall. */
static inline struct acall_cqe *acall_peek_cqe(const struct acall_ring *ring)
{
	unsigned int head = __atomic_load_n(ring->khead, __ATOMIC_RELAXED);

	if (head == __atomic_load_n(ring->ktail, __ATOMIC_ACQUIRE))
		return NULL;
	return &ring->cqes[head & ring->mask];
}

/* Mark the n oldest completions consumed, freeing their slots. */
static inline void acall_cq_advance(struct acall_ring *ring, unsigned int n)
{
	unsigned int head = __atomic_load_n(ring->khead, __ATOMIC_RELAXED);

	__atomic_store_n(ring->khead, head + n, __ATOMIC_RELEASE);
}

/*
 * Wait until at least min completions are ready, up to timeout_ns (< 0:
 * forever, 0: just look). Returns how many are ready, -ETIME on timeout,
 * -EINTR when a signal interrupted the wait (nothing is lost).
 */
int acall_wait(struct acall_ring *ring, unsigned int min, int64_t timeout_ns);

/* acall_wait(ring, 1, timeout_ns), then the oldest completion in *cqe. */
int acall_wait_cqe(struct acall_ring *ring, struct acall_cqe **cqe,
		   int64_t timeout_ns);

/* ---- eventfd, cancel, counters ------------------------------------------- */

/* Signal efd when completions arrive (coalesced). Returns 0 or -errno. */
int acall_register_eventfd(struct acall_ring *ring, int efd);
int acall_unregister_eventfd(struct acall_ring *ring);

/* Mute or unmute the eventfd from the ring, with no syscall. */
void acall_eventfd_mute(struct acall_ring *ring, bool muted);

/*
 * Cancel requests with this user_data that have not started. Returns how
 * many were canceled (they complete with -ECANCELED), -ENOENT if none
 * matched, -EALREADY if those that matched are already running or were
 * canceled already (by an earlier call, or by their chain's failure).
 */
int acall_cancel(struct acall_ring *ring, __u64 user_data);

/* The context's counters. Returns 0 or -errno. */
int acall_stats(struct acall_ring *ring, struct acall_stats *stats);

/*
 * Why the context's requests went to a worker: punts->reason[r] for each
 * enum acall_punt_reason r (ACALL_FEAT_PUNTS). Returns 0 or -errno
 * (-ENOTTY from a module without it).
 */
int acall_punts(struct acall_ring *ring, struct acall_punts *punts);

/* A short name for reason r ("not_cached"), NULL for one it does not know. */
const char *acall_punt_name(unsigned int reason);

/*
 * Bind the workers of the whole context (queue < 0) or of one queue to the
 * CPUs in *cpus; cpus NULL removes the binding. Returns 0 or -errno.
 */
int acall_set_affinity(struct acall_ring *ring, int queue,
		       const cpu_set_t *cpus);

#ifdef __cplusplus
}
#endif

#endif /* LIBACALL_ACALL_H */

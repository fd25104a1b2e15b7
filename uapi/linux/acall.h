/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * acall: batched asynchronous system calls through /dev/acall.
 *
 * Every structure here has a fixed layout made of explicitly sized fields,
 * so the same binary works for 32- and 64-bit callers. Reserved fields must
 * be zero; unknown flags and operations are refused with -EINVAL so the ABI
 * can grow without breaking old callers. The flags a request hands to its
 * call (op_flags: RWF_*, a fallocate mode) get that call's answer.
 *
 * Documentation/acall.rst describes the semantics and every errno.
 */
#ifndef _UAPI_LINUX_ACALL_H
#define _UAPI_LINUX_ACALL_H

#include <linux/types.h>
#include <linux/ioctl.h>
#include <linux/const.h>

/* Bumped only for incompatible changes; additions are announced as features. */
#define ACALL_ABI_VERSION	1

/* ---- operations ---------------------------------------------------------- */

enum acall_op {
	ACALL_OP_NOP,		/* completes with 0; see acall_sqe.len64 */
	ACALL_OP_PREADV,	/* preadv2(fd, addr, len, off, op_flags) */
	ACALL_OP_PWRITEV,	/* pwritev2(fd, addr, len, off, op_flags) */
	ACALL_OP_FSYNC,		/* fsync(fd) */
	ACALL_OP_FDATASYNC,	/* fdatasync(fd) */
	ACALL_OP_FALLOCATE,	/* fallocate(fd, op_flags, off, len64) */
	ACALL_OP_READ,		/* PREADV of one buffer: addr, len bytes */
	ACALL_OP_WRITE,		/* PWRITEV of one buffer: addr, len bytes */

	ACALL_OP_LAST,		/* not an operation: one past the last */
};

/*
 * acall_sqe.flags: ordering tags. A request with neither is SIMPLE: it may
 * start and complete in any order. Ordering applies within one queue
 * (acall_sqe.queue); queues never wait for each other.
 *
 * ORDERED: a barrier. It starts only once every earlier request of its
 * queue has completed, and no later request of its queue starts before it
 * has completed.
 *
 * LINK: the next request of the same batch starts only after this one has
 * completed successfully (a transfer of every byte asked for, or 0); on a
 * failure or a short transfer the rest of the chain completes with
 * -ECANCELED without running. The chain ends at the first request without
 * LINK, or at the end of the batch. ACALL_IOC_SUBMIT takes a chain whole or
 * not at all: EBUSY when the first one does not fit yet, EINVAL when it is
 * longer than the ring.
 */
#define ACALL_SQE_ORDERED	_BITUL(0)
#define ACALL_SQE_LINK		_BITUL(1)

/*
 * One request, 64 bytes. Fields an operation does not use must be zero.
 *
 * NOP: completes with 0. With len64 = N > 0 it instead sleeps N nanoseconds
 * in a worker first (at most one second): a request whose duration a test
 * controls.
 *
 * PREADV and PWRITEV: addr is a user pointer to len struct iovecs. READ and
 * WRITE: addr is a user pointer to one buffer of len bytes.
 */
struct acall_sqe {
	__u8	opcode;		/* enum acall_op */
	__u8	flags;		/* ACALL_SQE_* */
	__u16	queue;		/* ordering queue, below acall_params.nr_queues */
	__s32	fd;		/* file descriptor, resolved at submission */
	__u64	off;		/* file offset */
	__u64	addr;		/* PREADV/PWRITEV: iovec[]; READ/WRITE: buffer */
	__u32	len;		/* PREADV/PWRITEV: iovecs, 1..IOV_MAX; READ/WRITE: bytes */
	__u32	op_flags;	/* reads and writes: RWF_*; FALLOCATE: mode */
	__u64	user_data;	/* returned untouched in the completion */
	__u64	len64;		/* FALLOCATE: length; NOP: delay in ns */
	__u64	resv[2];	/* must be zero */
};

/* One completion, 16 bytes. */
struct acall_cqe {
	__u64	user_data;	/* the request's acall_sqe.user_data */
	__s32	res;		/* the call's result: bytes or -errno */
	__u32	flags;		/* ACALL_CQE_*; none defined yet */
};

/* ---- the completion ring ------------------------------------------------- */

/*
 * The ring is mapped with mmap(NULL, ring_bytes, PROT_READ | PROT_WRITE,
 * MAP_SHARED, fd, 0) after ACALL_IOC_SETUP. The module writes entries and
 * advances tail (store-release); userspace reads entries up to tail
 * (load-acquire) and then advances head (store-release). Entries live at
 * cqes[index & ring_mask].
 */
struct acall_ring_offsets {
	__u32	head;		/* __u32, written by userspace */
	__u32	tail;		/* __u32, written by the module */
	__u32	ring_mask;	/* __u32, entries - 1 */
	__u32	ring_entries;	/* __u32, entries */
	__u32	flags;		/* __u32, ACALL_RING_*, written by userspace */
	__u32	cqes;		/* struct acall_cqe[entries] */
	__u64	resv;
};

/* Ring flags word, set by userspace. */
#define ACALL_RING_EVENTFD_MUTED	_BITUL(0)	/* do not signal the eventfd */

/* ---- ioctls -------------------------------------------------------------- */

/* ACALL_IOC_SETUP: turn a freshly opened /dev/acall into a context. */
struct acall_params {
	__u32	entries;	/* in: ring size, a power of two */
	__u32	flags;		/* in: ACALL_SETUP_* */
	__u32	max_workers;	/* in: worker bound per NUMA node, 0 = default */
	__u16	nr_queues;	/* in: ordering queues, 0 = 1 (at most max_queues) */
	__u16	resv1;
	__u64	ring_bytes;	/* out: length to mmap */
	struct acall_ring_offsets ring;	/* out */
	__u64	inline_bytes;	/* in: ACALL_INLINE_*; out: the bound in force */
	__u64	resv[3];	/* must be zero */
};

/*
 * acall_params.flags. PROCESS_WORKERS: the requests that must block run in
 * threads of the calling process, which it donates with ACALL_IOC_SERVE
 * and creates when ACALL_IOC_SPAWN asks; without it, in kernel threads
 * that take each request's submitter's credentials (ACALL_FEAT_WORKERS),
 * which SETUP refuses with EPERM by default to a process that lacked
 * CAP_SYS_ADMIN at open (module parameter kthread_workers_disabled).
 */
#define ACALL_SETUP_PROCESS_WORKERS	_BITUL(0)

/*
 * acall_params.inline_bytes: the most bytes one ACALL_IOC_SUBMIT call copies
 * in the submitter (buffered reads and writes served from the page cache);
 * the rest of a read past it goes the asynchronous way, as does a whole
 * write that does not fit (one write is atomic against other writers). RWF_NOWAIT
 * requests are not bounded: their answer is what completes at once.
 */
#define ACALL_INLINE_DEFAULT	0		/* 1 MiB */
#define ACALL_INLINE_UNBOUNDED	(~0ULL)		/* copy whatever is cached */

/* ACALL_IOC_SUBMIT: hand a batch of requests to the module. */
struct acall_submit {
	__u64	sqes;		/* user pointer to struct acall_sqe[nr] */
	__u32	nr;		/* number of requests */
	__u32	flags;		/* ACALL_SUBMIT_* */
	__u32	min_complete;	/* ACALL_SUBMIT_WAIT: 1..entries; else 0 */
	__u32	resv;		/* must be zero */
};

/*
 * acall_submit.flags: ACALL_SUBMIT_QUIET, no completion signals the eventfd
 * while this call runs, neither those it posts itself (inline, refused at
 * submission) nor any other: the caller, the loop that reaps the ring,
 * looks at the ring when the call returns (ACALL_FEAT_QUIET_SUBMIT).
 */
#define ACALL_SUBMIT_QUIET	_BITUL(0)

/*
 * acall_submit.flags: ACALL_SUBMIT_WAIT, once the call has taken its
 * requests it sleeps until the ring holds min_complete completions past
 * its head as the sleep begins, none of the context's requests is in
 * flight any more, or a signal comes; it still returns how many it took
 * (nr 0: it takes nothing and only waits). ACALL_FEAT_SUBMIT_WAIT; the
 * idea is io_uring_enter()'s IORING_ENTER_GETEVENTS.
 */
#define ACALL_SUBMIT_WAIT	_BITUL(1)

/* ACALL_IOC_WAIT: wait until at least min_complete completions are ready. */
struct acall_wait {
	__u32	min_complete;	/* 1..entries */
	__u32	flags;		/* must be 0 */
	__s64	timeout_ns;	/* relative; < 0 or INT64_MAX waits forever, 0 polls */
	__u64	resv;		/* must be zero */
};

/* ACALL_IOC_STATS: counters of one context since it was set up. */
struct acall_stats {
	__u64	submitted;	/* requests accepted */
	__u64	completed;	/* completions posted */
	__u64	inline_done;	/* completed in the submitter, no thread involved */
	__u64	async_kiocb;	/* issued as async kiocbs (O_DIRECT, block devices) */
	__u64	punted;		/* handed to the worker pool */
	__u64	canceled;	/* completed with -ECANCELED before they started */
	__u32	workers;	/* workers alive now */
	__u32	workers_peak;	/* most workers alive at once */
	__u32	inflight;	/* requests accepted and not yet completed */
	__u32	inflight_peak;	/* queue high-water: most in flight at once */
	__u64	ordered;	/* ORDERED requests accepted */
	__u64	linked;		/* LINK requests accepted */
	__u64	order_waits;	/* requests held back by a barrier or a link */
	__u64	ran_submit_cpu;	/* worker runs on the submitting CPU */
	__u64	ran_submit_node; /* ... on another CPU of the submitting node */
	__u64	ran_other_node;	/* ... on another NUMA node */
	__u64	page_waits;	/* buffered reads left waiting for a page, no thread on it */
	__u64	resv;
};

/*
 * Why a request went to a worker: the index of its counter in
 * acall_punts.reason. Every punt counts under exactly one, so that with
 * nothing in flight between the two calls the counters add up to
 * acall_stats.punted. Values are fixed; new reasons take the next ones,
 * so ACALL_PUNT_NR grows; a module leaves those it does not know at zero.
 */
enum acall_punt_reason {
	/*
	 * The operation has no non-blocking form: FSYNC, FDATASYNC,
	 * FALLOCATE, a NOP with a delay.
	 */
	ACALL_PUNT_BLOCKING_OP = 0,
	/*
	 * The file cannot be tried without blocking: no FMODE_NOWAIT, a
	 * filesystem that refuses IOCB_NOWAIT for it, or a buffered write on
	 * a filesystem without non-blocking ones (ext4), synced or not.
	 */
	ACALL_PUNT_NO_NOWAIT = 1,
	/*
	 * A write that is done whole by a thread by design: an append, a
	 * synced write (O_DSYNC, O_SYNC, RWF_DSYNC), a write under a finite
	 * RLIMIT_FSIZE.
	 */
	ACALL_PUNT_MUST_BLOCK = 2,
	/*
	 * A buffered read must start I/O: a page not in the page cache or
	 * not up to date, or a page marked for readahead (the submitter
	 * starts none); an O_DIRECT read ext4 serves buffered, likewise.
	 */
	ACALL_PUNT_NOT_CACHED = 3,
	/*
	 * Any other -EAGAIN or short return of the non-blocking try: a lock
	 * held, a frozen filesystem, an O_DIRECT write that must allocate.
	 */
	ACALL_PUNT_WOULD_BLOCK = 4,
	/* An async kiocb completed with -EAGAIN or short: the device was busy. */
	ACALL_PUNT_KIOCB_AGAIN = 5,
	/*
	 * The SUBMIT call had copied its acall_params.inline_bytes already, or
	 * a buffered write did not fit whole in what was left.
	 */
	ACALL_PUNT_INLINE_BOUND = 6,
	/*
	 * Released by a barrier or a link when another request completed; the
	 * worker still tries it without blocking first.
	 */
	ACALL_PUNT_RELEASED = 7,
	ACALL_PUNT_NR
};

#define ACALL_PUNT_MAX	16	/* room in acall_punts.reason */

/* ACALL_IOC_PUNTS: counters of one context since it was set up. */
struct acall_punts {
	__u64	reason[ACALL_PUNT_MAX];	/* indexed by enum acall_punt_reason */
};

/*
 * ACALL_IOC_AFFINITY: bind the workers of the whole context, or of one
 * queue, to a set of CPUs. mask points to a CPU bitmap of mask_size bytes,
 * laid out as sched_setaffinity()'s; mask_size 0 removes the binding.
 */
struct acall_affinity {
	__u64	mask;		/* user pointer to the CPU bitmap */
	__u32	mask_size;	/* bytes at mask, a multiple of 8; 0: unbind */
	__u32	flags;		/* ACALL_AFFINITY_* */
	__u16	queue;		/* with ACALL_AFFINITY_QUEUE: which queue */
	__u16	resv1;
	__u32	resv2;
	__u64	resv;		/* must be zero */
};

/* acall_affinity.flags */
#define ACALL_AFFINITY_QUEUE	_BITUL(0)	/* bind one queue, not the context */

/* Feature bits reported by ACALL_IOC_PROBE in acall_probe.features. */
#define ACALL_FEAT_PROBE	_BITULL(0)	/* this probe ioctl exists */
#define ACALL_FEAT_RING		_BITULL(1)	/* setup, submit, the ring, wait */
#define ACALL_FEAT_EVENTFD	_BITULL(2)	/* ACALL_IOC_EVENTFD, muting */
#define ACALL_FEAT_CANCEL	_BITULL(3)	/* ACALL_IOC_CANCEL */
#define ACALL_FEAT_STATS	_BITULL(4)	/* ACALL_IOC_STATS */
#define ACALL_FEAT_INLINE	_BITULL(5)	/* non-blocking inline attempts */
#define ACALL_FEAT_ASYNC_KIOCB	_BITULL(6)	/* async kiocbs for O_DIRECT */
#define ACALL_FEAT_WORKERS	_BITULL(7)	/* CLONE_IO-sharing worker pool */
#define ACALL_FEAT_ORDERING	_BITULL(8)	/* queues, ORDERED and LINK tags */
#define ACALL_FEAT_AFFINITY	_BITULL(9)	/* ACALL_IOC_AFFINITY */
#define ACALL_FEAT_SHUTDOWN	_BITULL(10)	/* ACALL_IOC_SHUTDOWN */
#define ACALL_FEAT_INLINE_BOUND	_BITULL(11)	/* acall_params.inline_bytes */
#define ACALL_FEAT_QUIET_SUBMIT	_BITULL(12)	/* ACALL_SUBMIT_QUIET */
#define ACALL_FEAT_PROCESS_WORKERS _BITULL(13)	/* ACALL_SETUP_PROCESS_WORKERS */
#define ACALL_FEAT_PAGE_WAIT	_BITULL(14)	/* cold buffered reads wait on no thread */
#define ACALL_FEAT_PUNTS	_BITULL(15)	/* ACALL_IOC_PUNTS */
#define ACALL_FEAT_SUBMIT_WAIT	_BITULL(16)	/* ACALL_SUBMIT_WAIT */

/* acall_probe.fd_types: what kind of file a request may name. */
#define ACALL_FD_REGULAR	_BITUL(0)	/* regular files of the fs_types */
#define ACALL_FD_BLOCK		_BITUL(1)	/* block devices */

/*
 * acall_probe.fs_types: the filesystems whose regular files are served; a
 * file of any other filesystem is refused with -EOPNOTSUPP. 0 from a
 * module that predates the field.
 */
#define ACALL_FS_EXT4		_BITUL(0)	/* ext4, and ext2/ext3 by it */
#define ACALL_FS_XFS		_BITUL(1)
#define ACALL_FS_BTRFS		_BITUL(2)
#define ACALL_FS_F2FS		_BITUL(3)
#define ACALL_FS_TMPFS		_BITUL(4)	/* tmpfs, shmem, memfd */

/* Answer of ACALL_IOC_PROBE: what this module supports, at run time. */
struct acall_probe {
	__u32	abi_version;	/* ACALL_ABI_VERSION of the module */
	__u32	size;		/* bytes of this structure the module filled */
	__u64	features;	/* ACALL_FEAT_* */
	__u64	ops;		/* bit n set: enum acall_op n is supported */
	__u32	fd_types;	/* ACALL_FD_* */
	__u32	max_entries;	/* largest ring */
	__u32	max_queues;	/* most ordering queues */
	__u32	fs_types;	/* ACALL_FS_* */
	__u64	resv[3];	/* zero for now */
};

/*
 * ioctl numbers: magic 0xAC, commands 0x20-0x3f (0xAC 0x00-0x1f belonged to
 * the long-removed raw driver).
 */
#define ACALL_IOC_MAGIC		0xAC
#define ACALL_IOC_PROBE		_IOR(ACALL_IOC_MAGIC, 0x20, struct acall_probe)
#define ACALL_IOC_SETUP		_IOWR(ACALL_IOC_MAGIC, 0x21, struct acall_params)
#define ACALL_IOC_SUBMIT	_IOW(ACALL_IOC_MAGIC, 0x22, struct acall_submit)
#define ACALL_IOC_WAIT		_IOW(ACALL_IOC_MAGIC, 0x23, struct acall_wait)
/* arg: pointer to __s32 eventfd, or to -1 to unregister */
#define ACALL_IOC_EVENTFD	_IOW(ACALL_IOC_MAGIC, 0x24, __s32)
/* arg: pointer to __u64 user_data */
#define ACALL_IOC_CANCEL	_IOW(ACALL_IOC_MAGIC, 0x25, __u64)
#define ACALL_IOC_STATS		_IOR(ACALL_IOC_MAGIC, 0x26, struct acall_stats)
#define ACALL_IOC_AFFINITY	_IOW(ACALL_IOC_MAGIC, 0x27, struct acall_affinity)
/*
 * ACALL_IOC_SHUTDOWN (arg: 0): accept no more requests, cancel those that
 * have not started, interrupt those that workers run, and return once
 * every request has posted its completion: nothing touches the caller's
 * buffers after it returns (libaio's io_destroy() waits the same way).
 */
#define ACALL_IOC_SHUTDOWN	_IO(ACALL_IOC_MAGIC, 0x28)

/*
 * With ACALL_SETUP_PROCESS_WORKERS. ACALL_IOC_SERVE (arg: 0): the calling
 * thread, one of the context owner's, serves the context's blocking
 * requests until it has been idle for the module's worker_idle_ms or the
 * context is shut down (returns 0: let the thread end), or a signal is
 * pending for it (-EINTR: call again). ACALL_IOC_SPAWN: sleeps until the
 * context wants more threads and returns how many to create, each to call
 * ACALL_IOC_SERVE; 0 once the context is shut down. failed tells it how
 * many of those it asked for last could not be created.
 */
struct acall_spawn {
	__u32	failed;		/* in: threads asked for but not created */
	__u32	resv;		/* must be zero */
};

#define ACALL_IOC_SERVE		_IO(ACALL_IOC_MAGIC, 0x29)
#define ACALL_IOC_SPAWN		_IOW(ACALL_IOC_MAGIC, 0x2a, struct acall_spawn)
#define ACALL_IOC_PUNTS		_IOR(ACALL_IOC_MAGIC, 0x2b, struct acall_punts)

#endif /* _UAPI_LINUX_ACALL_H */

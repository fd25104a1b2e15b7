/* SPDX-License-Identifier: GPL-2.0 */
/* Internal interfaces shared by the files of the acall module. */
#ifndef ACALL_INTERNAL_H
#define ACALL_INTERNAL_H

#include <linux/cpumask.h>
#include <linux/fs.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/pagemap.h>
#include <linux/sizes.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/acall.h>

#define ACALL_MAX_ENTRIES	32768
#define ACALL_MAX_QUEUES	256
#define ACALL_NOP_MAX_DELAY_NS	1000000000ULL
#define ACALL_INLINE_DEFAULT_BYTES	SZ_1M
#define ACALL_HASH_BITS		6	/* file buckets: pool->hash_* */
#define ACALL_HASH_STREAK	16	/* one file's writes in a row, at most */
#define ACALL_SPAWN_MAX		1024	/* threads one ACALL_IOC_SPAWN asks for */

/* Module parameters (main.c). */
extern unsigned int acall_max_workers_limit;
extern unsigned int acall_worker_idle_ms;
extern unsigned int acall_user_max_contexts;
extern unsigned int acall_user_max_ring_kb;
extern unsigned int acall_user_max_workers;
extern unsigned int acall_max_kthread_workers;
extern struct workqueue_struct *acall_wq;

/*
 * The completion ring as the module sees it; userspace finds the same
 * fields through struct acall_ring_offsets. head and tail sit on cache lines
 * of their own since two sides write them.
 */
struct acall_ring {
	u32 head ____cacheline_aligned_in_smp;
	u32 tail ____cacheline_aligned_in_smp;
	u32 flags ____cacheline_aligned_in_smp;
	u32 ring_mask;
	u32 ring_entries;
	struct acall_cqe cqes[] ____cacheline_aligned_in_smp;
};

/*
 * Workers of one NUMA node (or of one queue bound to its own CPUs), and the
 * requests waiting for them.
 */
struct acall_pool {
	spinlock_t lock;		/* taken from completion (irq) context */
	struct list_head work;		/* requests for a worker to take */
	unsigned int nr_queued;		/* on work; read racily (pool.c) */
	struct list_head running;	/* requests a worker is running */
	struct list_head issuing;	/* workers issuing one (worker_try) */
	struct list_head idle;		/* idle workers */
	u64 hash_busy;			/* files with a write running (pool.c) */
	u64 hash_claimed;		/* buckets a worker was called for */
	unsigned int nr_workers;	/* alive, or asked of spawn_work */
	unsigned int nr_to_spawn;
	/*
	 * Of nr_workers, threads gone back to userspace (EINTR) for a while;
	 * each still charged to the user (user_max_workers), as while serving.
	 */
	unsigned int nr_away;
	int node;			/* NUMA_NO_NODE for a queue's pool */
	struct acall_ctx *ctx;
	struct work_struct spawn_work;

	/*
	 * Where the workers may run, kernel-thread ones off isolated CPUs
	 * (affinity.c); they apply it when mask_seq moves.
	 */
	struct mutex mask_lock;
	cpumask_var_t mask;
	cpumask_var_t kthread_mask;
	bool bound;			/* mask is a binding */
	unsigned int mask_seq;
	/* The CPU hotplug events the masks saw; one less: not settled. */
	unsigned int cpus_seq;

	/* Where a CANCEL that let go of lock goes on in work (cancel.c). */
	struct list_head *cancel_cursor;

	/* Each bucket's requests lie together on work: its first and last. */
	struct acall_req *hash_first[1 << ACALL_HASH_BITS];
	struct acall_req *hash_last[1 << ACALL_HASH_BITS];
};

struct acall_worker {
	struct list_head idle_node;	/* in pool->idle while idle */
	struct task_struct *task;
	struct acall_pool *pool;
	/* acall_pool_add()s that chose it and have yet to wake it. */
	atomic_t wakers;
	unsigned int mask_seq;		/* the pool mask it runs with */
	unsigned int cpus_seq;		/* the hotplug events, as the pool's */
	/* A thread of the owner's (serve.c), not a kernel thread. */
	bool thread;
	/* Its CPUs were looked at since it joined (affinity.c). */
	bool cpus_known;
	/* It left to userspace keeping its place: nr_away, with its charge. */
	bool away;
	/* A thread's own CPUs, and those it was last moved to (mask_lock). */
	cpumask_var_t allowed;
	cpumask_var_t applied;
	/* The CPUs not active and not its own as it joined. */
	cpumask_var_t joined_without;
	/* In pool->issuing while it issues the request of that user_data. */
	struct list_head issuing_node;
	u64 issuing_user_data;
	/* Its completions whose eventfd signal it holds back (pool.c). */
	atomic_t eventfd_held;
	struct timer_list eventfd_timer;
};

/* One ordering queue (order.c). */
struct acall_queue {
	spinlock_t lock;		/* taken from completion (irq) context */
	atomic_t active;		/* admitted, not completed */
	unsigned int barriers;		/* ORDERED requests held or running */
	bool barrier_running;
	/* Held requests are being let go (order.c): hashed writes wait too. */
	bool releasing;
	struct list_head held;		/* waiting for a barrier, in order */
	struct acall_ctx *ctx;
	/* Releases past what one completion may do (order.c). */
	struct work_struct release_work;

	/* Set by ACALL_IOC_AFFINITY (setup_lock). */
	struct acall_pool *pool;	/* the queue's own workers, once bound */
	cpumask_var_t mask;
	bool bound;
};

/*
 * What a context's requests did, per CPU: every path counts with
 * this_cpu_inc(), no atomic on a shared line; ACALL_IOC_STATS sums them.
 */
struct acall_counts {
	u64 submitted;
	u64 inline_done;
	u64 async_kiocb;
	u64 punted;
	u64 canceled;
	u64 ordered;
	u64 linked;
	u64 order_waits;
	u64 ran_submit_cpu;
	u64 ran_submit_node;
	u64 ran_other_node;
	u64 page_waits;
	u64 punts[ACALL_PUNT_NR];	/* by enum acall_punt_reason */
};

/* The pool's size now and at its largest. */
struct acall_worker_counts {
	atomic_t workers;
	atomic_t workers_peak;
};

/* One open /dev/acall. */
struct acall_ctx {
	struct kref ref;	/* the file, each worker, each request */
	struct mutex setup_lock;
	bool ready;		/* set up; read with smp_load_acquire() */
	bool setting_up;	/* SETUP copying its answer out (setup_lock) */
	bool dying;		/* closed: workers exit when idle */

	/* What the opener's user is charged for (limits.c); NULL: nothing. */
	struct acall_user *user;
	unsigned long ring_charged;	/* pages */

	/* The owner, and the io_context its workers share (from setup). */
	struct mm_struct *mm;	/* mmgrab()ed at open: the owner */
	pid_t tgid;		/* the opener's, in the initial pid namespace */
	struct pid *owner;	/* the opener's thread group */
	atomic_t owner_gone;	/* it exited or exec'd (owner.c) */
	struct wait_queue_entry owner_wait;	/* on owner->wait_pidfd */
	struct work_struct owner_work;
	struct io_context *ioc;	/* NULL: none could be made */

	/* The completion ring. */
	struct acall_ring *ring;
	size_t ring_bytes;
	u32 entries;
	spinlock_t cq_lock;	/* posting; taken from irq context */
	u32 cached_tail;
	/*
	 * Slots taken by accepted requests, posted or not, less those given
	 * back unused: a count that wraps, as cached_tail does (ring.c).
	 */
	atomic_t reserved;
	bool shut_down;		/* ACALL_IOC_SHUTDOWN: accept no more */
	u32 inflight_peak;
	u64 completed;		/* posted; under cq_lock, as cached_tail */
	wait_queue_head_t cq_wait;
	struct eventfd_ctx __rcu *evfd;
	struct work_struct evfd_work;
	/* ACALL_SUBMIT_QUIET calls running: the eventfd waits for them. */
	atomic_t quiet_submits;

	/* Execution. */
	bool process_workers;		/* ACALL_SETUP_PROCESS_WORKERS */
	atomic_t spawn_asked;		/* threads to ask ACALL_IOC_SPAWN for */
	wait_queue_head_t spawn_wait;	/* where ACALL_IOC_SPAWN sleeps */
	unsigned int max_workers;	/* per pool */
	unsigned int nr_queues;
	u64 inline_bytes;		/* bound on one SUBMIT's inline copies */
	struct acall_queue *queues;
	struct acall_pool *pools;	/* one per possible NUMA node */
	int hash_node;			/* whose pool takes hashed requests */
	atomic_t worker_ids;
	cpumask_var_t affinity;		/* of the whole context (setup_lock) */
	bool affinity_set;

	/* Requests waiting on a barrier or a link, for ACALL_IOC_CANCEL. */
	spinlock_t held_lock;
	struct list_head held;
	struct list_head *held_cursor;	/* a paused CANCEL's (cancel.c) */

	/* Requests canceled after close, completed one by one by a work. */
	spinlock_t cancel_lock;
	struct list_head cancel_list;
	struct list_head *cancel_cursor; /* a paused CANCEL's (cancel.c) */
	bool canceling;
	struct work_struct cancel_work;
	/* One ACALL_IOC_CANCEL at a time: each list has one cursor. */
	struct mutex cancel_mutex;

	struct acall_counts __percpu *counts;
	struct acall_worker_counts stats;
	/*
	 * The credentials of the first request to leave its SUBMIT, held
	 * until the context goes: a later request whose submitter has the
	 * same ones borrows them and takes no reference (identity.c). Set
	 * once, never replaced.
	 */
	const struct cred *cred_cache;
	struct work_struct free_work;

	/*
	 * One freed request kept for the next SUBMIT, io_uring's request
	 * cache in its smallest form: a call of one request, or a request
	 * freed by its completion between two calls, costs no slab round
	 * trip. Taken by SUBMIT with xchg(), given back from any context
	 * with cmpxchg(); a line of its own, away from the counters.
	 */
	struct acall_req *spare_req ____cacheline_aligned_in_smp;
};

/* A request's submitter, as its workers act (identity.c). */
struct acall_identity {
	const struct cred *cred;
	struct cgroup_subsys_state *blkcg_css;	/* NULL without blk-cgroup */
	unsigned long fsize;			/* RLIMIT_FSIZE */
	int ioprio;
};

struct acall_req;

/* What each operation does; one entry per enum acall_op (opdef.c). */
struct acall_op_def {
	const char *name;
	bool needs_file;
	/* Buffered writes of one file run one at a time, on one worker. */
	bool hash_reg_file;
	/* May grow a file: past RLIMIT_FSIZE it raises SIGXFSZ. */
	bool grows_file;
	/* Check the request and take what it needs, in the submitter. */
	int (*prep)(struct acall_req *req, const struct acall_sqe *sqe);
	/*
	 * Try it without waiting for its I/O: in the submitter without
	 * blocking at all, in a worker (ACALL_ISSUE_WORKER) blocking on what
	 * it must (a lock, a frozen filesystem) but leaving the I/O to an
	 * async kiocb where it can. Returns the result, or -EAGAIN to have a
	 * worker run it, or -EIOCBQUEUED once it is in flight as an async
	 * kiocb. NULL: always a worker's job.
	 */
	int (*issue)(struct acall_req *req, unsigned int issue_flags);
	/* Run it in a worker, blocking as needed. Returns the result. */
	int (*run)(struct acall_req *req);
	/* Release what prep took, if it said so (req->need_cleanup). */
	void (*cleanup)(struct acall_req *req);
};

/*
 * op->issue's issue_flags, where the try runs, said by its caller (io_uring's
 * IO_URING_F_NONBLOCK, the other way round). Test ACALL_ISSUE_WORKER only:
 * the submitter's is 0.
 */
#define ACALL_ISSUE_SUBMITTER	0	/* in the submitter: it never blocks */
#define ACALL_ISSUE_WORKER	BIT(0)	/* a worker's try: it may block */

extern const struct acall_op_def acall_op_defs[ACALL_OP_LAST];
u64 acall_ops_supported(void);

/* One request from submission to completion. */
struct acall_req {
	struct list_head node;		/* in a pool's or a queue's list */
	struct acall_req *batch_next;	/* in its SUBMIT's done or free list */
	struct acall_ctx *ctx;
	/* The completion's, and the issuer's while a kiocb call is running. */
	atomic_t refs;
	const struct acall_op_def *op;
	struct file *file;
	u64 user_data;

	/* Ordering (order.c). */
	atomic_t gates;			/* starts when they are all open */
	u8 flags;			/* ACALL_SQE_* */
	bool canceled;			/* complete with -ECANCELED, do not run */
	bool worker_try;		/* a worker issues it before it runs it */
	u8 punt;			/* why it goes to a worker: ACALL_PUNT_* */
	bool held_listed;		/* on ctx->held */
	bool need_cleanup;		/* prep took what op->cleanup releases */
	u8 hash;			/* its file's bucket + 1, or 0 (pool.c) */
	int fail_res;			/* its checks failed: complete with this */
	int submit_cpu;
	u64 submit_ns;			/* for acall_complete's latency, or 0 */
	struct acall_queue *queue;	/* NULL until admitted */
	struct acall_req *link;		/* the next of its chain */
	struct list_head held_node;	/* on ctx->held */
	struct task_struct *worker;	/* running it, on pool->running */
	u64 expected;			/* the result that counts as success */
	u64 len64;
	loff_t pos;
	rwf_t rw_flags;
	int mode;
	bool user_nowait;		/* RWF_NOWAIT: never a worker */
	bool append;			/* a write at the end of the file */
	bool direct;			/* O_DIRECT when taken (fcntl() may change it) */
	bool detached;			/* took id and a context reference */
	u64 inline_room;		/* what its SUBMIT may still copy inline */
	long res;			/* completed inline: posted with its batch */
	/* Its submitter's, with a context reference: acall_req_detach(). */
	struct acall_identity id;

	/* Reads and writes. */
	size_t done;			/* bytes moved by earlier attempts */
	struct iovec *iov_alloc;
	long notify_res;		/* -EAGAIN: the event, then a worker */
	atomic_t park_refs;		/* its wake-up's and its worker's */
	bool resumed;			/* on pool->work to go on: started */
	struct acall_pool *run_pool;	/* whose worker parked it: it goes on there */

	/*
	 * From here on, each field is written before it is read, on every
	 * path: a request used again is not zeroed past this point
	 * (acall_req_alloc(); under KASAN, where none is used again, a new
	 * one starts poisoned here instead, so that a read before the write
	 * is likelier to fail the debug kernel's run). A field that needs a
	 * value to start with goes above.
	 */
	struct kiocb kiocb;		/* its async kiocb, or a page wait's */
	struct work_struct notify_work;	/* fsnotify, then completion */
	struct iov_iter iter;		/* made by prep */
	struct iov_iter iter_saved;	/* before the last attempt */
	struct iovec fast_iov[UIO_FASTIOV];
	/* A buffered read waiting for a page with no thread (rw.c). */
	struct wait_page_queue wpq;
};

/* The part of a request used again that acall_req_alloc() zeroes. */
#define ACALL_REQ_ZEROED	offsetof(struct acall_req, kiocb)

/* chardev.c */
extern const struct file_operations acall_fops;

/* ctx.c */
struct acall_ctx *acall_ctx_alloc(void);
long acall_ctx_setup(struct acall_ctx *ctx, const struct file *file,
		     struct acall_params __user *arg);
void acall_ctx_close(struct acall_ctx *ctx);
long acall_ioctl_shutdown(struct acall_ctx *ctx, unsigned long arg);
void acall_ctx_put(struct acall_ctx *ctx);

/* Calls other than probe and setup: the owner's, on a set-up context. */
static inline int acall_ctx_check(struct acall_ctx *ctx)
{
	if (current->mm != ctx->mm)
		return -EPERM;
	/* Pairs with the release in acall_ctx_setup(): ring and pools are seen. */
	if (!smp_load_acquire(&ctx->ready))
		return -EBADFD;
	return 0;
}

/* ring.c */
int acall_ring_alloc(struct acall_ctx *ctx, struct acall_params *p);
int acall_ring_mmap(struct acall_ctx *ctx, struct vm_area_struct *vma);
u32 acall_ring_reserve(struct acall_ctx *ctx, u32 nr, u32 *inflight);
void acall_ring_count_peak(struct acall_ctx *ctx, u32 inflight);
void acall_ring_unreserve(struct acall_ctx *ctx, u32 nr);
u32 acall_ring_inflight(struct acall_ctx *ctx);
void acall_ring_shut(struct acall_ctx *ctx);
int acall_ring_wait_idle(struct acall_ctx *ctx);
void acall_ring_post(struct acall_ctx *ctx, u64 user_data, s32 res);
void acall_ring_post_list(struct acall_ctx *ctx, struct acall_req *first);
void acall_ring_notify(struct acall_ctx *ctx);
void acall_ring_signal_eventfd(struct acall_ctx *ctx);
void acall_ring_wake_waiters(struct acall_ctx *ctx);
void acall_ring_wait_submitted(struct acall_ctx *ctx, u32 nr);
long acall_ioctl_wait(struct acall_ctx *ctx, struct acall_wait __user *arg);
long acall_ioctl_eventfd(struct acall_ctx *ctx, s32 __user *arg);
void acall_eventfd_release(struct acall_ctx *ctx);
void acall_ring_init_work(struct acall_ctx *ctx);

/* submit.c */
int acall_submit_init(void);
void acall_submit_exit(void);
long acall_ioctl_submit(struct acall_ctx *ctx, struct acall_submit __user *arg);
long acall_req_end_res(struct acall_req *req, int err);
void acall_req_post(struct acall_req *req, long res);
void acall_req_complete(struct acall_req *req, long res);
void acall_req_complete_notify(struct acall_req *req, long res);
void acall_req_put(struct acall_req *req);
void acall_req_spare_free(struct acall_ctx *ctx);
int acall_copy_words(void *dst, const void __user *src, size_t size);
/* How a request's try went, the submitter's or a worker's. */
enum acall_try {
	ACALL_TRY_DONE,		/* completed: post its result */
	ACALL_TRY_QUEUED,	/* in flight as an async kiocb */
	ACALL_TRY_PUNT,		/* a thread must do it */
};

enum acall_try acall_req_try_worker(struct acall_req *req, long *res);
void acall_req_detach(struct acall_req *req);

/* owner.c */
static inline bool acall_owner_is_gone(struct acall_ctx *ctx)
{
	return atomic_read(&ctx->owner_gone);
}

void acall_owner_watch(struct acall_ctx *ctx);
void acall_owner_unwatch(struct acall_ctx *ctx);
void acall_owner_flush(struct acall_ctx *ctx);
void acall_owner_mm_closing(struct acall_ctx *ctx, struct mm_struct *mm);
bool acall_owner_check_mm(struct acall_ctx *ctx);

/* identity.c */
void acall_identity_take(struct acall_ctx *ctx, struct acall_identity *id);
void acall_identity_cache_free(struct acall_ctx *ctx);
void acall_identity_put(struct acall_ctx *ctx, struct acall_identity *id);
/* What a worker puts back after a request (acall_identity_revert()). */
struct acall_assumed {
	const struct cred *old_cred;	/* NULL: none overridden */
	sigset_t old_blocked;		/* a thread of the process: its mask */
	bool xfsz_blocked;		/* SIGXFSZ blocked for the request */
	bool xfsz_was_pending;		/* on the thread before it */
};

void acall_identity_assume(const struct acall_identity *id, bool kthread,
			   bool grows_file, struct acall_assumed *a);
void acall_identity_revert(struct acall_assumed *a, bool kthread);

/* order.c */
/*
 * Held requests one completion lets go (starts, or completes without
 * running): the rest are left to a work item. A completion may run in an
 * interrupt, and as many may wait behind one request as the ring holds.
 */
#define ACALL_RELEASE_BUDGET	32

int acall_queues_init(struct acall_ctx *ctx);
void acall_queues_free(struct acall_ctx *ctx);
void acall_link(struct acall_req *prev, struct acall_req *req);
long acall_order_cancel(struct acall_ctx *ctx, u64 user_data,
			bool *marked_before);
/* The rest of what the inline functions below do, when they cannot. */
void acall_queue_admit_slow(struct acall_req *req);
bool acall_req_open_gate_slow(struct acall_req *req);
void acall_queue_done_slow(struct acall_req *req, unsigned int *budget);
void acall_order_done_chain(struct acall_req *req, long res);

/*
 * Every request passes through the functions below; what nearly all of
 * them do is inline here, the rest in order.c.
 */

/*
 * Whether the pool runs req in its file's order (pool.c): a regular
 * file's buffered write, or an append, of an op the table says is hashed.
 * Fixed at prep: what the request is, not how it happens to go.
 */
static inline bool acall_req_hashed(const struct acall_req *req)
{
	return req->op->hash_reg_file &&
	       S_ISREG(file_inode(req->file)->i_mode) &&
	       (!req->direct || req->append);
}

/*
 * Admit a prepared request into its queue, at submission, in order. A
 * SIMPLE one in a queue without barriers only counts itself active; so
 * does one while held requests are being let go, unless the pool must run
 * it after them (acall_req_hashed()).
 */
static inline void acall_queue_admit(struct acall_req *req)
{
	struct acall_queue *q = req->queue;

	if (likely(!(req->flags & ACALL_SQE_ORDERED))) {
		atomic_inc(&q->active);
		/* Pairs with the barrier in acall_queue_admit_slow(). */
		smp_mb__after_atomic();
		/* Pairs with acall_queue_claim()'s smp_wmb(): barriers first. */
		if (likely(!smp_load_acquire(&q->barriers))) {
			/* Pairs with the end of acall_queue_kick(): after it. */
			if (likely(!smp_load_acquire(&q->releasing)) ||
			    !acall_req_hashed(req))
				return;
		}
	}
	acall_queue_admit_slow(req);
}

/*
 * Open one gate of req; true if it was the last. Any context. Gates are
 * added only while the submission's is closed, so one left is the
 * caller's own, and nobody else writes the count: a plain store, not an
 * atomic RMW. The acquire pairs with the other openers' decrements (what
 * they wrote before opening theirs is seen here).
 */
static inline bool acall_req_open_gate(struct acall_req *req)
{
	/* held_listed: written before the other gates opened, seen now. */
	if (atomic_read_acquire(&req->gates) == 1 && likely(!req->held_listed)) {
		atomic_set(&req->gates, 0);
		return true;
	}
	return acall_req_open_gate_slow(req);
}

/*
 * req, admitted into its queue, has completed: let the queue move on. A
 * SIMPLE one that was not the last active one before a barrier releases
 * nothing. What it releases is taken from *budget.
 */
static inline void acall_queue_done(struct acall_req *req,
				    unsigned int *budget)
{
	struct acall_queue *q = req->queue;

	if (likely(!(req->flags & ACALL_SQE_ORDERED))) {
		/* Fully ordered: the count drops before barriers is read. */
		if (!atomic_dec_and_test(&q->active) ||
		    likely(!READ_ONCE(q->barriers)))
			return;
	}
	acall_queue_done_slow(req, budget);
}

/* req's completion (res) is posted: release what waited for it. */
static inline void acall_order_done(struct acall_req *req, long res)
{
	unsigned int budget = ACALL_RELEASE_BUDGET;

	if (unlikely(req->link))
		acall_order_done_chain(req, res);
	else if (req->queue)
		acall_queue_done(req, &budget);
}

/* file.c */
struct file *acall_file_get(int fd);
u32 acall_fs_types(void);

/* pool.c */
int acall_pools_init(struct acall_ctx *ctx);
void acall_pools_free(struct acall_ctx *ctx);
struct acall_pool *acall_pool_alloc(struct acall_ctx *ctx);
void acall_pool_free(struct acall_pool *pool);
void acall_pool_queue(struct acall_req *req, enum acall_punt_reason why);
void acall_pool_unlink(struct acall_pool *pool, struct acall_req *req);

/*
 * What an op's issue returns when it cannot go on without blocking: req
 * goes to a worker, for reason why (counted for ACALL_IOC_PUNTS).
 */
static inline int acall_req_eagain(struct acall_req *req,
				   enum acall_punt_reason why)
{
	req->punt = why;
	return -EAGAIN;
}

void acall_req_park(struct acall_req *req);
void acall_req_unpark(struct acall_req *req);
void acall_req_requeue(struct acall_req *req);
void acall_pools_shutdown(struct acall_ctx *ctx);
void acall_pools_interrupt(struct acall_ctx *ctx);
struct acall_pool *acall_pool_next(struct acall_ctx *ctx, unsigned int *i);
void acall_fail_list(struct acall_ctx *ctx, struct list_head *list, int res);
bool acall_pool_take_slot(struct acall_pool *pool);
struct acall_pool *acall_pool_join(struct acall_ctx *ctx, bool *charged);
void acall_pool_join_failed(struct acall_pool *pool, int res);
int acall_worker_serve(struct acall_pool *pool, bool charged);

/* serve.c */
long acall_ioctl_serve(struct acall_ctx *ctx, unsigned long arg);
void acall_serve_take_io_context(struct acall_ctx *ctx);
long acall_ioctl_spawn(struct acall_ctx *ctx, struct acall_spawn __user *arg);
void acall_spawn_ask(struct acall_ctx *ctx);

/* cancel.c */
long acall_ioctl_cancel(struct acall_ctx *ctx, u64 __user *arg);
void acall_cancel_init_work(struct acall_ctx *ctx);
void acall_cancel_later(struct acall_req *req);

/* Nodes a CANCEL looks at under a list's lock before it lets go of it. */
#define ACALL_CANCEL_WALK	64

/*
 * A CANCEL's walk of one list (the held requests, a pool's queue, the
 * cancel work's list), which lets go of the list's lock every
 * ACALL_CANCEL_WALK nodes: acall_cancel_walk_next() (cancel.c).
 */
struct acall_cancel_walk {
	spinlock_t *lock;		/* the list's, held while it walks */
	struct list_head *head;		/* the list's */
	struct list_head **cursor;	/* where it went on, while let go */
	unsigned int n;			/* nodes handed out under the lock */
	unsigned int pauses;		/* times it may still let go */
};

/*
 * A walk of the list at head under lock, cursor its owner's. It lets go
 * of the lock at most twice as often as a ring's worth of requests needs,
 * and two more times: requests that workers take and submitters queue as
 * fast as it goes, or files' runs moved behind it, could otherwise keep it
 * going for as long as they come; past that it goes to the end in one go,
 * the list's length (a ring's requests at most), as it did before it let
 * go of the lock at all.
 */
static inline struct acall_cancel_walk
acall_cancel_walk(const struct acall_ctx *ctx, spinlock_t *lock,
		  struct list_head *head, struct list_head **cursor)
{
	return (struct acall_cancel_walk){
		.lock = lock,
		.head = head,
		.cursor = cursor,
		.pauses = 2 * (ctx->entries / ACALL_CANCEL_WALK) + 2,
	};
}

struct list_head *acall_cancel_walk_next(struct acall_cancel_walk *w,
					 struct list_head *pos);

/*
 * node leaves a list on which a CANCEL may have paused at *cursor (or NULL:
 * none has): that walk goes on from the node after it. Under the list's
 * lock.
 */
static inline void acall_cancel_cursor_leave(struct list_head **cursor,
					     struct list_head *node)
{
	if (unlikely(*cursor == node))
		*cursor = node->next;
}

/* affinity.c */
void acall_affinity_init(void);
void acall_affinity_exit(void);
int acall_pool_mask_init(struct acall_pool *pool);
bool acall_worker_follow_mask(struct acall_worker *worker);
void acall_pool_mask_free(struct acall_pool *pool);
long acall_ioctl_affinity(struct acall_ctx *ctx,
			  struct acall_affinity __user *arg);

/* limits.c */
int acall_limits_open(struct acall_ctx *ctx);
bool acall_limits_kthread_allowed(const struct file *file);
void acall_limits_close(struct acall_ctx *ctx);
int acall_limits_ring(struct acall_ctx *ctx, size_t bytes);
void acall_limits_ring_undo(struct acall_ctx *ctx);
bool acall_limits_worker_get(struct acall_ctx *ctx, bool kthread);
void acall_limits_worker_put(struct acall_ctx *ctx, bool kthread);

/* stats.c */
long acall_ioctl_stats(struct acall_ctx *ctx, struct acall_stats __user *arg);
long acall_ioctl_punts(struct acall_ctx *ctx, struct acall_punts __user *arg);

/* probe.c */
long acall_ioctl_probe(void __user *arg);

#ifdef ACALL_INJECT
long acall_ioctl_inject(unsigned long arg);
void acall_inject_completion_tail(void);
void acall_inject_before_wake(struct task_struct *task);
void acall_inject_between_tails(void);
void acall_inject_cancel_pause(void);
void acall_inject_worker_throttle(struct acall_req *req);
#else
static inline void acall_inject_completion_tail(void) { }
static inline void acall_inject_before_wake(struct task_struct *task) { }
static inline void acall_inject_between_tails(void) { }
static inline void acall_inject_cancel_pause(void) { }
static inline void acall_inject_worker_throttle(struct acall_req *req) { }
#endif

#endif /* ACALL_INTERNAL_H */

// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The thread-safe submission queue.
 *
 * Any number of threads enqueue copies of requests on a wait-free
 * concurrent queue (liburcu's cds_wfcq): one exchange on the tail, no lock,
 * no retry loop. Flushers are serialised by a mutex, which is also the
 * mutual exclusion liburcu asks of whoever dequeues or splices.
 *
 * A flush moves the whole shared queue, in one splice, to the end of a
 * private "held" list. Requests the module does not take (it takes only
 * what its ring has room for) stay at the front of that list and go first
 * at the next flush, before anything enqueued later: the queue's order is
 * the submission order.
 *
 * One node carries one enqueue call's requests, so a group queued by
 * acall_enqueue_n() is contiguous whatever other threads queue meanwhile.
 * A group never ends inside a LINK chain, and a flush never cuts one: it
 * hands the module whole chains only, and the module takes whole chains.
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <urcu/wfcqueue.h>

#include "acall.h"
#include "internal.h"

struct sq_node {
	struct cds_wfcq_node link;
	unsigned int nr;	/* requests of the enqueue call */
	unsigned int done;	/* of them taken by the module (flush_lock) */
	struct acall_sqe sqes[];
};

struct acall_sq {
	/* Shared: enqueuers append at tail; flushers splice from head. */
	struct __cds_wfcq_head head;
	struct cds_wfcq_tail tail;
	/* Enqueued and not yet taken by the module. */
	unsigned long pending;

	/* Everything below belongs to whoever holds flush_lock. */
	pthread_mutex_t flush_lock;
	struct __cds_wfcq_head held_head;
	struct cds_wfcq_tail held_tail;
	unsigned int batch_max;
	struct acall_sqe *batch;	/* contiguous copy for one submit */

	pid_t owner;	/* the process that set the ring up */
	uint64_t owner_mark;	/* its acall_mark(), or 0 */
	struct acall_workers *workers;	/* the ring's threads, or NULL */
	dev_t rdev;	/* of the ring's fd: /dev/acall's */
};

static struct sq_node *to_node(struct cds_wfcq_node *link)
{
	return (struct sq_node *)((char *)link - offsetof(struct sq_node, link));
}

/*
 * A mark of this process, for the queue's fork check, kept where a child
 * made without CLONE_VM finds 0 however it was made (fork(), _Fork(), a
 * raw clone, one in a new pid namespace whose pid may equal its
 * parent's): a page with MADV_WIPEONFORK. The first look in a process
 * draws a new mark. A load per enqueue, where getpid() would be a system
 * call (glibc keeps no copy since 2.25). NULL where the page could not be
 * had: the pids are compared instead.
 */
static uint64_t *acall_mark_page;
static pthread_once_t acall_mark_once = PTHREAD_ONCE_INIT;

static void acall_mark_init(void)
{
	long size = sysconf(_SC_PAGESIZE);
	void *page = mmap(NULL, size, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (page == MAP_FAILED)
		return;
	if (madvise(page, size, MADV_WIPEONFORK)) {
		munmap(page, size);
		return;
	}
	acall_mark_page = page;
}

/* This process's mark (never 0), or 0 without the page. */
static uint64_t acall_mark(void)
{
	uint64_t mark, drawn = 0, *page = acall_mark_page;
	struct timespec now;

	if (!page)
		return 0;
	mark = __atomic_load_n(page, __ATOMIC_RELAXED);
	if (mark)
		return mark;
	/* Any value this process's children cannot have drawn the same. */
	if (getrandom(&drawn, sizeof(drawn), GRND_NONBLOCK) != sizeof(drawn)) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		drawn = (uint64_t)getpid() << 32 ^
			(uint64_t)now.tv_sec * 1000000000 ^ (uint64_t)now.tv_nsec;
	}
	drawn |= 1;
	/* Threads looking first at once agree on one of theirs. */
	if (!__atomic_compare_exchange_n(page, &mark, drawn, false,
					 __ATOMIC_RELAXED, __ATOMIC_RELAXED))
		return mark;
	return drawn;
}

struct acall_sq *acall_sq_alloc(unsigned int batch)
{
	struct acall_sq *sq = calloc(1, sizeof(*sq));

	if (!sq)
		return NULL;
	sq->batch = calloc(batch, sizeof(*sq->batch));
	if (!sq->batch || pthread_mutex_init(&sq->flush_lock, NULL)) {
		free(sq->batch);
		free(sq);
		return NULL;
	}
	sq->batch_max = batch;
	pthread_once(&acall_mark_once, acall_mark_init);
	sq->owner = getpid();
	sq->owner_mark = acall_mark();
	__cds_wfcq_init(&sq->head, &sq->tail);
	__cds_wfcq_init(&sq->held_head, &sq->held_tail);
	return sq;
}

/*
 * Whether the calling process set the queue up. The mark alone tells a
 * child made without CLONE_VM, for the price of a load; one made with it
 * (which shares the page) passes, as the man pages say.
 */
static bool queue_owner(const struct acall_sq *sq)
{
	if (sq->owner_mark)
		return acall_mark() == sq->owner_mark;
	return getpid() == sq->owner;
}

/*
 * Whether the calling process set the ring up, exactly: neither a child
 * made without CLONE_VM (the mark) nor one made with it (the pid).
 */
bool acall_sq_is_owner(const struct acall_sq *sq)
{
	return queue_owner(sq) && getpid() == sq->owner;
}

/* Where the ring keeps its worker threads' state (workers.c). */
struct acall_workers **acall_sq_workers(struct acall_sq *sq)
{
	return &sq->workers;
}

/* Where the ring keeps its file's device number (ring.c). */
dev_t *acall_sq_rdev(struct acall_sq *sq)
{
	return &sq->rdev;
}

/* Frees what was never submitted; no other thread may use the queue. */
void acall_sq_free(struct acall_sq *sq)
{
	struct cds_wfcq_node *link;

	__cds_wfcq_splice_blocking(&sq->held_head, &sq->held_tail,
				   &sq->head, &sq->tail);
	while ((link = __cds_wfcq_dequeue_blocking(&sq->held_head,
						   &sq->held_tail)))
		free(to_node(link));
	pthread_mutex_destroy(&sq->flush_lock);
	free(sq->batch);
	free(sq);
}

/*
 * Is sqes[0..n) a whole number of chains none longer than max? The last
 * request must end its chain: with LINK it would link to whatever another
 * thread queues next.
 */
static bool whole_chains(const struct acall_sqe *sqes, unsigned int n,
			 unsigned int max)
{
	unsigned int i, len = 0;

	for (i = 0; i < n; i++) {
		if (++len > max)
			return false;
		if (!(sqes[i].flags & ACALL_SQE_LINK))
			len = 0;
	}
	return len == 0;
}

/*
 * The queue is the setting-up process's: in a child that copied it (fork)
 * its requests could never be submitted, and its flush lock may have been
 * copied held. A ring with no queue was never set up or was torn down.
 */
static int queue_usable(const struct acall_ring *ring)
{
	if (!ring->sq)
		return -EBADF;
	if (!queue_owner(ring->sq))
		return -EPERM;
	return 0;
}

static int enqueue(struct acall_ring *ring, const struct acall_sqe *sqes,
		   unsigned int n)
{
	struct acall_sq *sq = ring->sq;
	struct sq_node *node;
	size_t bytes;
	int ret;

	if (!n)
		return 0;
	ret = queue_usable(ring);
	if (ret)
		return ret;
	if (!whole_chains(sqes, n, sq->batch_max))
		return -EINVAL;
	if (__builtin_mul_overflow(n, sizeof(*sqes), &bytes) ||
	    __builtin_add_overflow(bytes, sizeof(*node), &bytes))
		return -ENOMEM;
	node = malloc(bytes);
	if (!node)
		return -ENOMEM;
	cds_wfcq_node_init(&node->link);
	node->nr = n;
	node->done = 0;
	memcpy(node->sqes, sqes, n * sizeof(*sqes));
	/*
	 * Counted before they are visible, so a flush that takes them never
	 * subtracts them first and acall_queued() never goes below zero.
	 */
	__atomic_fetch_add(&sq->pending, n, __ATOMIC_SEQ_CST);
	cds_wfcq_enqueue(&sq->head, &sq->tail, &node->link);
	return 0;
}

ACALL_API int acall_enqueue(struct acall_ring *ring,
			    const struct acall_sqe *sqe)
{
	return enqueue(ring, sqe, 1);
}

ACALL_API int acall_enqueue_n(struct acall_ring *ring,
			      const struct acall_sqe *sqes, unsigned int n)
{
	return enqueue(ring, sqes, n);
}

/*
 * Copy up to batch_max held requests, oldest first, into the batch, and
 * no part of a chain: one cut by batch_max waits for the next batch.
 */
static unsigned int fill_batch(struct acall_sq *sq)
{
	struct cds_wfcq_node *link;
	unsigned int n = 0, i;

	for (link = __cds_wfcq_first_blocking(&sq->held_head, &sq->held_tail);
	     link && n < sq->batch_max;
	     link = __cds_wfcq_next_blocking(&sq->held_head, &sq->held_tail,
					     link)) {
		struct sq_node *node = to_node(link);

		for (i = node->done; i < node->nr && n < sq->batch_max; i++)
			sq->batch[n++] = node->sqes[i];
	}
	/* Every chain fits in batch_max: this leaves at least one. */
	while (n && (sq->batch[n - 1].flags & ACALL_SQE_LINK))
		n--;
	return n;
}

/* The module took the n oldest held requests: forget them. */
static void drop_held(struct acall_sq *sq, unsigned int n)
{
	while (n) {
		struct cds_wfcq_node *link;
		struct sq_node *node;
		unsigned int take;

		link = __cds_wfcq_first_blocking(&sq->held_head, &sq->held_tail);
		node = to_node(link);
		take = node->nr - node->done;
		if (take > n) {
			node->done += n;
			return;
		}
		n -= take;
		__cds_wfcq_dequeue_blocking(&sq->held_head, &sq->held_tail);
		free(node);
	}
}

ACALL_API int acall_flush(struct acall_ring *ring)
{
	struct acall_sq *sq = ring->sq;
	int total = 0, ret = queue_usable(ring);
	unsigned int n;

	if (ret)
		return ret;
	pthread_mutex_lock(&sq->flush_lock);
	/* Everything enqueued so far goes behind what an earlier flush held. */
	__cds_wfcq_splice_blocking(&sq->held_head, &sq->held_tail,
				   &sq->head, &sq->tail);
	while ((n = fill_batch(sq))) {
		ret = acall_submit(ring, sq->batch, n);
		if (ret <= 0)
			break;
		if ((unsigned int)ret > n) {	/* took more than it was given */
			ret = -EPROTO;
			break;
		}
		drop_held(sq, ret);
		__atomic_fetch_sub(&sq->pending, ret, __ATOMIC_SEQ_CST);
		total += ret;
		/* The ring is full: the rest waits for the next flush. */
		if ((unsigned int)ret < n)
			break;
		if (total > INT_MAX - (int)sq->batch_max)
			break;
	}
	pthread_mutex_unlock(&sq->flush_lock);
	return total ? total : (ret < 0 ? ret : 0);
}

ACALL_API unsigned int acall_queued(struct acall_ring *ring)
{
	unsigned long n;

	if (!ring->sq)
		return 0;
	n = __atomic_load_n(&ring->sq->pending, __ATOMIC_SEQ_CST);
	return n > UINT_MAX ? UINT_MAX : n;
}

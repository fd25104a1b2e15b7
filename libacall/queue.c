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
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdlib.h>

#include <urcu/wfcqueue.h>

#include "acall.h"
#include "internal.h"

struct sq_node {
	struct cds_wfcq_node link;
	struct acall_sqe sqe;
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
};

static struct sq_node *to_node(struct cds_wfcq_node *link)
{
	return (struct sq_node *)((char *)link - offsetof(struct sq_node, link));
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
	__cds_wfcq_init(&sq->head, &sq->tail);
	__cds_wfcq_init(&sq->held_head, &sq->held_tail);
	return sq;
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

ACALL_API int acall_enqueue(struct acall_ring *ring,
			    const struct acall_sqe *sqe)
{
	struct acall_sq *sq = ring->sq;
	struct sq_node *node = malloc(sizeof(*node));

	if (!node)
		return -ENOMEM;
	cds_wfcq_node_init(&node->link);
	node->sqe = *sqe;
	/*
	 * Counted before it is visible, so a flush that takes it never
	 * subtracts it first and acall_queued() never goes below zero.
	 */
	__atomic_fetch_add(&sq->pending, 1, __ATOMIC_SEQ_CST);
	cds_wfcq_enqueue(&sq->head, &sq->tail, &node->link);
	return 0;
}

/* Copy up to batch_max held requests, oldest first, into the batch. */
static unsigned int fill_batch(struct acall_sq *sq)
{
	struct cds_wfcq_node *link;
	unsigned int n = 0;

	for (link = __cds_wfcq_first_blocking(&sq->held_head, &sq->held_tail);
	     link && n < sq->batch_max;
	     link = __cds_wfcq_next_blocking(&sq->held_head, &sq->held_tail,
					     link))
		sq->batch[n++] = to_node(link)->sqe;
	return n;
}

/* The module took the n oldest held requests: forget them. */
static void drop_held(struct acall_sq *sq, unsigned int n)
{
	while (n--) {
		struct cds_wfcq_node *link;

		link = __cds_wfcq_dequeue_blocking(&sq->held_head,
						   &sq->held_tail);
		free(to_node(link));
	}
}

ACALL_API int acall_flush(struct acall_ring *ring)
{
	struct acall_sq *sq = ring->sq;
	int total = 0, ret = 0;
	unsigned int n;

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
	unsigned long n = __atomic_load_n(&ring->sq->pending, __ATOMIC_SEQ_CST);

	return n > UINT_MAX ? UINT_MAX : n;
}

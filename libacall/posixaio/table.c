// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Requests by aiocb (for aio_return, aio_suspend, aio_cancel) and the list
 * of requests not yet done (for draining an fd before an fsync, and for
 * aio_cancel by fd). Callers hold pa.lock.
 */
#include <stdint.h>

#include "posixaio.h"

static unsigned int slot_of(const struct aiocb *cb)
{
	uintptr_t p = (uintptr_t)cb;

	return (unsigned int)((p >> 4) ^ (p >> 14)) % PA_TABLE_SIZE;
}

/* Newest first: a control block reused for a new request finds that one. */
void pa_table_add(struct pa_req *req)
{
	unsigned int s = slot_of(req->cb);

	req->hash_next = pa.table[s];
	pa.table[s] = req;
	req->in_table = true;
}

struct pa_req *pa_table_find(const struct aiocb *cb)
{
	struct pa_req *req;

	for (req = pa.table[slot_of(cb)]; req; req = req->hash_next)
		if (req->cb == cb)
			return req;
	return NULL;
}

void pa_table_remove(struct pa_req *req)
{
	struct pa_req **pp = &pa.table[slot_of(req->cb)];

	while (*pp && *pp != req)
		pp = &(*pp)->hash_next;
	if (*pp)
		*pp = req->hash_next;
	req->hash_next = NULL;
	req->in_table = false;
}

bool pa_link_cb(struct aiocb *cb, struct pa_req *old, struct pa_req *req)
{
	struct aiocb *expected = (struct aiocb *)(void *)old;

	return __atomic_compare_exchange_n(&cb->__next_prio, &expected,
					   (struct aiocb *)(void *)req, false,
					   __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
}

void pa_collect_returned(void)
{
	struct pa_req *req = __atomic_exchange_n(&pa.returned, NULL, __ATOMIC_ACQUIRE);

	while (req) {
		struct pa_req *next = req->returned_next;

		pa_table_remove(req);
		pa_maybe_free(req);
		req = next;
	}
}

void pa_active_add(struct pa_req *req)
{
	req->prev = pa.active.prev;
	req->next = &pa.active;
	pa.active.prev->next = req;
	pa.active.prev = req;
}

void pa_active_remove(struct pa_req *req)
{
	req->prev->next = req->next;
	req->next->prev = req->prev;
	req->prev = req->next = req;
}

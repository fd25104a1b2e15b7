// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio from many threads at once: each submits reads and
 * writes of its own region, with requests in flight together, and reaps
 * its own; all data is checked.
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"

enum { THREADS = 8, DEPTH = 8, ROUNDS = 20, BS = 4096 };

struct worker {
	int fd;
	unsigned int id;
	int failed;		/* 0, or the line that found a problem */
	struct aiocb cbs[DEPTH];
	char bufs[DEPTH][BS];
};

static off_t block_off(const struct worker *w, unsigned int round, unsigned int i)
{
	return (off_t)(((w->id * DEPTH + i) * 4 + round % 4)) * BS;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	const struct aiocb *list[DEPTH];
	unsigned int round, i;

	for (round = 0; round < ROUNDS && !w->failed; round++) {
		bool write = round % 2 == 0;

		for (i = 0; i < DEPTH; i++) {
			off_t off = block_off(w, round / 2, i);

			if (write)
				acall_fill(w->bufs[i], BS, off, w->id + round);
			else
				memset(w->bufs[i], 0, BS);
			pa_prep(&w->cbs[i], w->fd, w->bufs[i], BS, off);
			if ((write ? aio_write : aio_read)(&w->cbs[i])) {
				w->failed = __LINE__;
				return NULL;
			}
			list[i] = &w->cbs[i];
		}
		for (i = 0; i < DEPTH; i++) {
			off_t off = block_off(w, round / 2, i);

			while (aio_error(&w->cbs[i]) == EINPROGRESS)
				aio_suspend(list, DEPTH, NULL);
			if (aio_return(&w->cbs[i]) != BS)
				w->failed = __LINE__;
			/* Reads find what the round before wrote. */
			else if (!write &&
				 acall_check(w->bufs[i], BS, off, w->id + round - 1) != -1)
				w->failed = __LINE__;
		}
	}
	return NULL;
}

TEST(threads_submit_and_reap_at_once)
{
	static struct worker w[THREADS];
	pthread_t t[THREADS];
	unsigned int i;
	int fd;

	PA_REQUIRE_ACALL();
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);
	for (i = 0; i < THREADS; i++) {
		w[i].fd = fd;
		w[i].id = i;
		ASSERT_EQ(0, pthread_create(&t[i], NULL, run, &w[i]));
	}
	for (i = 0; i < THREADS; i++) {
		pthread_join(t[i], NULL);
		EXPECT_EQ(0, w[i].failed) TH_LOG("thread %u", i);
	}
	close(fd);
}

TEST_HARNESS_MAIN

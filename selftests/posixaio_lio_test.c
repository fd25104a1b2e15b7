// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio: lio_listio() with LIO_WAIT and LIO_NOWAIT, reads and
 * writes mixed in one list (one acall batch), LIO_NOP and NULL entries,
 * the list's own notification, and bad input (mode, opcode, offset).
 */
#include <fcntl.h>
#include <semaphore.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"

enum { N = 16, BS = 4096 };

FIXTURE(lio) {
	int fd;
	struct aiocb cbs[N];
	struct aiocb *list[N];
	char bufs[N][BS];
};

FIXTURE_SETUP(lio)
{
	self->fd = -1;
	PA_REQUIRE_ACALL();
	self->fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, self->fd);
	/* The odd blocks hold pattern 1 from the start. */
	ASSERT_EQ(0, acall_pwrite_pattern(self->fd, 0, N * BS, 1));
}

FIXTURE_TEARDOWN(lio)
{
	if (self->fd >= 0)
		close(self->fd);
}

/* Even entries write pattern 2 to their block, odd ones read theirs. */
static void prep_mixed(FIXTURE_DATA(lio) *self)
{
	unsigned int i;

	for (i = 0; i < N; i++) {
		pa_prep(&self->cbs[i], self->fd, self->bufs[i], BS, (off_t)i * BS);
		if (i % 2) {
			self->cbs[i].aio_lio_opcode = LIO_READ;
			memset(self->bufs[i], 0, BS);
		} else {
			self->cbs[i].aio_lio_opcode = LIO_WRITE;
			acall_fill(self->bufs[i], BS, (off_t)i * BS, 2);
		}
		self->list[i] = &self->cbs[i];
	}
}

static void check_mixed(struct __test_metadata *_metadata,
			FIXTURE_DATA(lio) *self)
{
	char back[BS];
	unsigned int i;

	for (i = 0; i < N; i++) {
		ASSERT_EQ(0, aio_error(&self->cbs[i])) TH_LOG("entry %u", i);
		ASSERT_EQ(BS, aio_return(&self->cbs[i])) TH_LOG("entry %u", i);
		if (i % 2) {
			EXPECT_EQ(-1, acall_check(self->bufs[i], BS, (off_t)i * BS, 1))
				TH_LOG("read %u", i);
		} else {
			ASSERT_EQ(BS, pread(self->fd, back, BS, (off_t)i * BS));
			EXPECT_EQ(-1, acall_check(back, BS, (off_t)i * BS, 2))
				TH_LOG("write %u", i);
		}
	}
}

TEST_F(lio, wait_mixed_reads_and_writes)
{
	prep_mixed(self);
	ASSERT_EQ(0, lio_listio(LIO_WAIT, self->list, N, NULL));
	/* LIO_WAIT returned: every request is done. */
	check_mixed(_metadata, self);
}

static void list_done(union sigval v)
{
	sem_post(v.sival_ptr);
}

TEST_F(lio, nowait_notifies_once_when_all_are_done)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD };
	unsigned int i;
	sem_t sem;

	ASSERT_EQ(0, sem_init(&sem, 0, 0));
	sev.sigev_notify_function = list_done;
	sev.sigev_value.sival_ptr = &sem;
	prep_mixed(self);
	/* Individual notifications are not sent for a list. */
	for (i = 0; i < N; i++) {
		self->cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		self->cbs[i].aio_sigevent.sigev_notify_function = list_done;
		self->cbs[i].aio_sigevent.sigev_value.sival_ptr = &sem;
	}
	ASSERT_EQ(0, lio_listio(LIO_NOWAIT, self->list, N, &sev));
	ASSERT_EQ(0, sem_wait(&sem));
	check_mixed(_metadata, self);
	/* Exactly one notification: a second would have posted again. */
	{
		struct aiocb cb;
		struct aiocb *one[1] = { &cb };
		char b[16];

		pa_prep(&cb, self->fd, b, sizeof(b), 0);
		cb.aio_lio_opcode = LIO_READ;
		ASSERT_EQ(0, lio_listio(LIO_NOWAIT, one, 1, &sev));
		ASSERT_EQ(0, sem_wait(&sem));
		EXPECT_EQ(-1, sem_trywait(&sem));
		EXPECT_EQ(sizeof(b), aio_return(&cb));
	}
}

TEST_F(lio, nop_and_null_entries_are_skipped)
{
	prep_mixed(self);
	self->cbs[3].aio_lio_opcode = LIO_NOP;
	self->list[5] = NULL;
	ASSERT_EQ(0, lio_listio(LIO_WAIT, self->list, N, NULL));
	EXPECT_EQ(-1, aio_return(&self->cbs[3]));	/* never a request */
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(BS, aio_return(&self->cbs[4]));
	ASSERT_EQ(0, lio_listio(LIO_WAIT, self->list, 0, NULL));
}

TEST_F(lio, bad_mode_is_einval)
{
	prep_mixed(self);
	errno = 0;
	EXPECT_EQ(-1, lio_listio(42, self->list, N, NULL));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, lio_listio(LIO_WAIT, self->list, -1, NULL));
	EXPECT_EQ(EINVAL, errno);
}

/*
 * A bad opcode or offset fails that entry with EINVAL; the others run;
 * the call says EIO.
 */
TEST_F(lio, bad_entries_fail_alone_with_einval)
{
	unsigned int i;

	prep_mixed(self);
	self->cbs[2].aio_lio_opcode = 99;
	self->cbs[6].aio_offset = -4096;
	errno = 0;
	EXPECT_EQ(-1, lio_listio(LIO_WAIT, self->list, N, NULL));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(EINVAL, aio_error(&self->cbs[2]));
	EXPECT_EQ(EINVAL, aio_error(&self->cbs[6]));
	for (i = 0; i < N; i++) {
		if (i == 2 || i == 6)
			continue;
		EXPECT_EQ(0, aio_error(&self->cbs[i])) TH_LOG("entry %u", i);
		EXPECT_EQ(BS, aio_return(&self->cbs[i])) TH_LOG("entry %u", i);
	}
	/* LIO_NOWAIT: the same, without waiting. */
	prep_mixed(self);
	self->cbs[0].aio_lio_opcode = 99;
	EXPECT_EQ(-1, lio_listio(LIO_NOWAIT, self->list, N, NULL));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(EINVAL, aio_error(&self->cbs[0]));
	for (i = 1; i < N; i++)
		EXPECT_EQ(0, pa_wait(&self->cbs[i])) TH_LOG("entry %u", i);
}

/* A request that fails while running makes LIO_WAIT say EIO. */
TEST_F(lio, wait_reports_eio_for_a_failed_request)
{
	prep_mixed(self);
	self->cbs[1].aio_fildes = 999;
	errno = 0;
	EXPECT_EQ(-1, lio_listio(LIO_WAIT, self->list, N, NULL));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(EBADF, aio_error(&self->cbs[1]));
	EXPECT_EQ(-1, aio_return(&self->cbs[1]));
	EXPECT_EQ(BS, aio_return(&self->cbs[2]));
}

TEST_HARNESS_MAIN

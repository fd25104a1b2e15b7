// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio: lio_listio() with LIO_WAIT and LIO_NOWAIT, reads and
 * writes mixed in one list (one acall batch), LIO_NOP and NULL entries,
 * each entry's notification and the list's own, and bad input (mode,
 * opcode, offset).
 */
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
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

static void posted(union sigval v)
{
	sem_post(v.sival_ptr);
}

/* Each entry notifies as aio_read()/aio_write() would, then the list. */
TEST_F(lio, nowait_notifies_each_entry_and_then_the_list)
{
	struct sigevent sev = { .sigev_notify = SIGEV_THREAD };
	sem_t entries, list;
	unsigned int i;

	ASSERT_EQ(0, sem_init(&entries, 0, 0));
	ASSERT_EQ(0, sem_init(&list, 0, 0));
	sev.sigev_notify_function = posted;
	sev.sigev_value.sival_ptr = &list;
	prep_mixed(self);
	for (i = 0; i < N; i++) {
		self->cbs[i].aio_sigevent.sigev_notify = SIGEV_THREAD;
		self->cbs[i].aio_sigevent.sigev_notify_function = posted;
		self->cbs[i].aio_sigevent.sigev_value.sival_ptr = &entries;
	}
	ASSERT_EQ(0, lio_listio(LIO_NOWAIT, self->list, N, &sev));
	ASSERT_EQ(0, sem_wait(&list));
	check_mixed(_metadata, self);
	/* One per entry: a missing one leaves this waiting. */
	for (i = 0; i < N; i++)
		ASSERT_EQ(0, sem_wait(&entries));
}

/*
 * With SIGEV_SIGNAL, LIO_WAIT and LIO_NOWAIT alike: one SIGRTMIN+1 per
 * submitted entry, carrying its value, failed entries included (fd -1:
 * EBADF); none for NULL and LIO_NOP entries; list_signo once for the list
 * (LIO_NOWAIT), after every entry's: a program may free what the entries'
 * values point to once the list's arrives. Queued signals of one number
 * arrive in the order sent, so with list_signo SIGRTMIN+1 too the list's
 * must be the last.
 */
static void signals_per_entry(struct __test_metadata *_metadata,
			      FIXTURE_DATA(lio) *self, int mode, int list_signo)
{
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL };
	unsigned int i, got_list = 0, got[N] = { 0 };
	struct aiocb *list[N + 2], nop;
	sigset_t sigs, pending;
	siginfo_t si;
	int want;

	sigemptyset(&sigs);
	sigaddset(&sigs, SIGRTMIN + 1);
	sigaddset(&sigs, list_signo);
	/* Taken with sigwaitinfo(), never delivered to a handler. */
	ASSERT_EQ(0, pthread_sigmask(SIG_BLOCK, &sigs, NULL));
	prep_mixed(self);
	self->cbs[0].aio_fildes = -1;
	for (i = 0; i < N; i++) {
		self->cbs[i].aio_sigevent.sigev_notify = SIGEV_SIGNAL;
		self->cbs[i].aio_sigevent.sigev_signo = SIGRTMIN + 1;
		self->cbs[i].aio_sigevent.sigev_value.sival_int = (int)i;
		list[i] = &self->cbs[i];
	}
	list[N] = NULL;
	nop = self->cbs[1];
	nop.aio_lio_opcode = LIO_NOP;
	list[N + 1] = &nop;
	sev.sigev_signo = list_signo;
	sev.sigev_value.sival_int = -1;

	/* LIO_WAIT reports the failed entry; LIO_NOWAIT leaves it to aio_error. */
	ASSERT_EQ(mode == LIO_WAIT ? -1 : 0, lio_listio(mode, list, N + 2, &sev));
	want = N + (mode == LIO_NOWAIT);	/* the list notifies only then */
	while (want--) {
		ASSERT_LT(0, sigwaitinfo(&sigs, &si));
		if (si.si_value.sival_int == -1) {
			EXPECT_EQ(list_signo, si.si_signo);
			if (list_signo == SIGRTMIN + 1)
				EXPECT_EQ(0, want) TH_LOG("the list's came first");
			got_list++;
			continue;
		}
		ASSERT_EQ(SIGRTMIN + 1, si.si_signo);
		ASSERT_LE(0, si.si_value.sival_int);
		ASSERT_GT(N, si.si_value.sival_int);
		got[si.si_value.sival_int]++;
	}
	for (i = 0; i < N; i++)
		EXPECT_EQ(1, got[i]) TH_LOG("entry %u", i);
	EXPECT_EQ(mode == LIO_NOWAIT, got_list);
	EXPECT_EQ(EBADF, aio_error(&self->cbs[0]));
	EXPECT_EQ(-1, aio_return(&self->cbs[0]));
	for (i = 1; i < N; i++) {
		EXPECT_EQ(0, pa_wait(&self->cbs[i]));
		EXPECT_EQ(BS, aio_return(&self->cbs[i]));
	}
	/* Nothing more is pending: no NULL or LIO_NOP entry sent one. */
	ASSERT_EQ(0, sigpending(&pending));
	EXPECT_EQ(0, sigismember(&pending, SIGRTMIN + 1));
	ASSERT_EQ(0, pthread_sigmask(SIG_UNBLOCK, &sigs, NULL));
}

TEST_F(lio, nowait_sends_each_entry_signal_and_the_list_signal)
{
	signals_per_entry(_metadata, self, LIO_NOWAIT, SIGRTMIN + 2);
}

TEST_F(lio, nowait_list_signal_comes_after_every_entry_signal)
{
	signals_per_entry(_metadata, self, LIO_NOWAIT, SIGRTMIN + 1);
}

TEST_F(lio, wait_sends_each_entry_signal)
{
	signals_per_entry(_metadata, self, LIO_WAIT, SIGRTMIN + 2);
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

/*
 * A refused entry leaves aio_return() nothing to take: -1, as glibc
 * answers, for a block whose earlier result was never taken (not that
 * result) and for one whose private fields hold garbage (a block from
 * malloc(), never submitted: not a pointer to follow). So do a refused
 * aio_read() and a refused aio_fsync().
 */
TEST_F(lio, refused_entry_has_no_result_to_take)
{
	struct aiocb *used = &self->cbs[1], *fresh = &self->cbs[3];

	prep_mixed(self);
	ASSERT_EQ(0, aio_read(used));
	ASSERT_EQ(0, pa_wait(used));
	memset(&fresh->__next_prio, 0xa5, sizeof(fresh->__next_prio));
	used->aio_lio_opcode = 99;
	fresh->aio_lio_opcode = 99;
	errno = 0;
	EXPECT_EQ(-1, lio_listio(LIO_WAIT, self->list, N, NULL));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(EINVAL, aio_error(used));
	EXPECT_EQ(-1, aio_return(used));
	EXPECT_EQ(EINVAL, aio_error(fresh));
	EXPECT_EQ(-1, aio_return(fresh));

	/* aio_read() refused for its offset, after a result not taken. */
	pa_prep(used, self->fd, self->bufs[1], BS, BS);
	ASSERT_EQ(0, aio_read(used));
	ASSERT_EQ(0, pa_wait(used));
	used->aio_offset = -1;
	EXPECT_EQ(-1, aio_read(used));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(EINVAL, aio_error(used));
	EXPECT_EQ(-1, aio_return(used));

	/* aio_fsync() refused for its op, on a block of garbage. */
	pa_prep(fresh, self->fd, NULL, 0, 0);
	memset(&fresh->__next_prio, 0xa5, sizeof(fresh->__next_prio));
	EXPECT_EQ(-1, aio_fsync(-1, fresh));
	EXPECT_EQ(EINVAL, errno);
	EXPECT_EQ(-1, aio_return(fresh));
}

/*
 * A list the ring has no room for is not queued at all: the call says
 * EAGAIN, and so does aio_error() of each entry, as POSIX asks (before,
 * the entries kept whatever they held: 0 here, a finished request's).
 */
TEST_F(lio, list_that_does_not_fit_says_eagain_in_each_entry)
{
	unsigned int i;

	ASSERT_EQ(0, setenv("ACALL_POSIXAIO_ENTRIES", "8", 1));
	prep_mixed(self);
	self->cbs[3].aio_lio_opcode = LIO_NOP;
	errno = 0;
	EXPECT_EQ(-1, lio_listio(LIO_NOWAIT, self->list, N, NULL));
	EXPECT_EQ(EAGAIN, errno);
	for (i = 0; i < N; i++) {
		EXPECT_EQ(i == 3 ? 0 : EAGAIN, aio_error(&self->cbs[i]))
			TH_LOG("entry %u", i);
	}
	/* Nothing was queued: a list that fits runs whole. */
	prep_mixed(self);
	EXPECT_EQ(0, lio_listio(LIO_WAIT, self->list, 8, NULL));
	for (i = 0; i < 8; i++) {
		EXPECT_EQ(BS, aio_return(&self->cbs[i])) TH_LOG("entry %u", i);
	}
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

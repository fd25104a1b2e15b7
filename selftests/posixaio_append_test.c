// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio: forty aio_write() calls back to back on an O_APPEND
 * file land in the order of the calls, each whole, as POSIX says of
 * O_APPEND (each write at the end of the file as it is then), on tmpfs,
 * ext4 and ext4 with O_DIRECT.
 */
#include <aio.h>
#include <fcntl.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "append_records.h"
#include "posixaio_test.h"

FIXTURE(pa_append) {
	int fd;
	struct aiocb cbs[RECORDS];
	void *bufs[RECORDS];
};

FIXTURE_VARIANT(pa_append) {
	const char *env;
	const char *dir;
	int flags;
};

FIXTURE_VARIANT_ADD(pa_append, tmpfs) { .dir = "/tmp" };
FIXTURE_VARIANT_ADD(pa_append, ext4) { .env = "ACALL_TEST_EXT4" };
FIXTURE_VARIANT_ADD(pa_append, ext4_direct) {
	.env = "ACALL_TEST_EXT4", .flags = O_DIRECT,
};

FIXTURE_SETUP(pa_append)
{
	const char *dir = variant->dir;
	int fd;

	self->fd = -1;
	memset(self->bufs, 0, sizeof(self->bufs));
	PA_REQUIRE_ACALL();
	if (variant->env)
		ACALL_FIXTURE(dir, variant->env);
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	self->fd = acall_reopen(fd, O_RDWR | O_APPEND | variant->flags);
	close(fd);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(pa_append)
{
	unsigned int i;

	for (i = 0; i < RECORDS; i++)
		free(self->bufs[i]);
	if (self->fd >= 0)
		close(self->fd);
}

TEST_F(pa_append, aio_write_appends_land_in_call_order)
{
	unsigned char seen[THREADS][RECORDS] = { { 0 } };
	unsigned int order[RECORDS], i;

	for (i = 0; i < RECORDS; i++) {
		self->bufs[i] = record(0, i, record_len(i));
		ASSERT_NE(NULL, self->bufs[i]);
		/* The offset is ignored under O_APPEND. */
		pa_prep(&self->cbs[i], self->fd, self->bufs[i], record_len(i), 0);
		ASSERT_EQ(0, aio_write(&self->cbs[i]));
	}
	for (i = 0; i < RECORDS; i++) {
		ASSERT_EQ(0, pa_wait(&self->cbs[i])) TH_LOG("call %u", i);
		EXPECT_EQ(record_len(i), aio_return(&self->cbs[i]));
	}

	ASSERT_EQ(RECORDS, walk(self->fd, seen, order, RECORDS));
	for (i = 0; i < RECORDS; i++) {
		EXPECT_EQ(1, seen[0][i]);
		EXPECT_EQ(i, order[i]) TH_LOG("call %u's data in place %u",
					      order[i], i);
	}
}

TEST_HARNESS_MAIN

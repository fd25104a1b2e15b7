// SPDX-License-Identifier: GPL-2.0
/*
 * libacall-posixaio when acall does not serve the process: with
 * ACALL_POSIXAIO_DISABLE=1 (the same path as a missing /dev/acall) every
 * call goes to glibc's own implementation and behaves as glibc's.
 * posixaio_fio_test.sh also runs fio with the module unloaded.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"
#include "posixaio_test.h"

TEST(everything_goes_to_glibc)
{
	char buf[4096], back[4096];
	struct aiocb cb, l1, l2;
	struct aiocb *list[2] = { &l1, &l2 };
	int fd;

	ASSERT_EQ(0, setenv("ACALL_POSIXAIO_DISABLE", "1", 1));
	fd = acall_tmpfile("/tmp", O_RDWR);
	ASSERT_LE(0, fd);
	acall_fill(buf, sizeof(buf), 0, 1);
	pa_prep(&cb, fd, buf, sizeof(buf), 0);
	EXPECT_EQ(sizeof(buf), pa_run(&cb, aio_write));
	pa_prep(&cb, fd, back, sizeof(back), 0);
	EXPECT_EQ(sizeof(back), pa_run(&cb, aio_read));
	EXPECT_EQ(-1, acall_check(back, sizeof(back), 0, 1));
	EXPECT_EQ(AIO_ALLDONE, aio_cancel(fd, &cb));
	pa_prep(&cb, fd, NULL, 0, 0);
	ASSERT_EQ(0, aio_fsync(O_SYNC, &cb));
	EXPECT_EQ(0, pa_wait(&cb));
	pa_prep(&l1, fd, back, 100, 0);
	l1.aio_lio_opcode = LIO_READ;
	pa_prep(&l2, fd, buf, 100, 8192);
	l2.aio_lio_opcode = LIO_WRITE;
	ASSERT_EQ(0, lio_listio(LIO_WAIT, list, 2, NULL));
	EXPECT_EQ(100, aio_return(&l1));
	EXPECT_EQ(100, aio_return(&l2));
	/* glibc's aio_return does not consume: the value again. */
	EXPECT_EQ(100, aio_return(&l2));
	close(fd);
}

TEST_HARNESS_MAIN

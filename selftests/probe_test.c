// SPDX-License-Identifier: GPL-2.0
/* /dev/acall as a device: open, close, probe, and refusal of what it lacks. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>

TEST(open_close)
{
	int fd = open(ACALL_DEVICE_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(0, close(fd));
}

TEST(many_contexts_at_once)
{
	int fds[64];
	unsigned int i;

	for (i = 0; i < 64; i++) {
		fds[i] = open(ACALL_DEVICE_PATH, O_RDWR);
		ASSERT_LE(0, fds[i]);
	}
	for (i = 0; i < 64; i++)
		EXPECT_EQ(0, close(fds[i]));
}

TEST(open_close_cycles)
{
	unsigned int i;

	for (i = 0; i < 100; i++) {
		int fd = open(ACALL_DEVICE_PATH, O_RDWR);

		ASSERT_LE(0, fd);
		ASSERT_EQ(0, close(fd));
	}
}

TEST(probe_reports_abi)
{
	struct acall_probe probe;
	unsigned int i;
	int fd = open(ACALL_DEVICE_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	memset(&probe, 0xff, sizeof(probe));
	ASSERT_EQ(0, ioctl(fd, ACALL_IOC_PROBE, &probe));
	EXPECT_EQ(ACALL_ABI_VERSION, probe.abi_version);
	EXPECT_EQ(sizeof(probe), probe.size);
	EXPECT_TRUE(probe.features & ACALL_FEAT_PROBE);
	for (i = 0; i < sizeof(probe.resv) / sizeof(probe.resv[0]); i++)
		EXPECT_EQ(0, probe.resv[i]);
	close(fd);
}

TEST(probe_bad_pointer_is_efault)
{
	int fd = open(ACALL_DEVICE_PATH, O_RDWR);
	void *unmapped;

	ASSERT_LE(0, fd);
	unmapped = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, unmapped);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_PROBE, unmapped));
	EXPECT_EQ(EFAULT, errno);
	EXPECT_EQ(-1, ioctl(fd, ACALL_IOC_PROBE, NULL));
	EXPECT_EQ(EFAULT, errno);
	munmap(unmapped, 4096);
	close(fd);
}

TEST(unknown_ioctl_is_enotty)
{
	struct acall_probe probe;
	int fd = open(ACALL_DEVICE_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	/* Right magic, unused number. */
	EXPECT_EQ(-1, ioctl(fd, _IO(ACALL_IOC_MAGIC, 0x3e), 0));
	EXPECT_EQ(ENOTTY, errno);
	/* The probe's number with the wrong size. */
	EXPECT_EQ(-1, ioctl(fd, _IOR(ACALL_IOC_MAGIC, 0x20, __u32), &probe));
	EXPECT_EQ(ENOTTY, errno);
	/* Somebody else's ioctl. */
	EXPECT_EQ(-1, ioctl(fd, TCGETS, &probe));
	EXPECT_EQ(ENOTTY, errno);
	close(fd);
}

TEST(not_seekable)
{
	int fd = open(ACALL_DEVICE_PATH, O_RDWR);

	ASSERT_LE(0, fd);
	EXPECT_EQ(-1, lseek(fd, 0, SEEK_SET));
	EXPECT_EQ(ESPIPE, errno);
	close(fd);
}

TEST(libacall_probe)
{
	struct acall_probe direct, lib;
	int fd = acall_open_device();

	ASSERT_LE(0, fd);
	/* libacall opens close-on-exec. */
	EXPECT_TRUE(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	ASSERT_EQ(0, ioctl(fd, ACALL_IOC_PROBE, &direct));
	ASSERT_EQ(0, acall_probe(fd, &lib));
	EXPECT_EQ(0, memcmp(&direct, &lib, sizeof(lib)));
	/* Without a context: opens the device just for the probe. */
	memset(&lib, 0, sizeof(lib));
	ASSERT_EQ(0, acall_probe(-1, &lib));
	EXPECT_EQ(0, memcmp(&direct, &lib, sizeof(lib)));
	/* Errors come back as negative errno values. */
	EXPECT_EQ(-EBADF, acall_probe(1000000, &lib));
	close(fd);
}

/* acall_opcode_supported() reads the probe's ops bits, any op number. */
TEST(opcode_supported)
{
	struct acall_probe probe;
	unsigned int op;

	ASSERT_EQ(0, acall_probe(-1, &probe));
	/* Every operation of this ABI, by the module of this tree. */
	for (op = 0; op < ACALL_OP_LAST; op++)
		EXPECT_TRUE(acall_opcode_supported(&probe, op)) TH_LOG("op %u", op);
	EXPECT_FALSE(acall_opcode_supported(&probe, ACALL_OP_LAST));
	/* Past the 64 bits: no, and no shift past the width (UBSan). */
	probe.ops = ~0ULL;
	EXPECT_TRUE(acall_opcode_supported(&probe, 63));
	EXPECT_FALSE(acall_opcode_supported(&probe, 64));
	EXPECT_FALSE(acall_opcode_supported(&probe, ~0u));
	probe.ops = 1ULL << ACALL_OP_READ;
	EXPECT_TRUE(acall_opcode_supported(&probe, ACALL_OP_READ));
	EXPECT_FALSE(acall_opcode_supported(&probe, ACALL_OP_WRITE));
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * libacall's shared objects start threads that outlive the calls that made
 * them (a ring's worker threads, posixaio's): one that dlclose() unmapped
 * while such a thread still returns through its code would crash the
 * program (fio's external engine is dlclose()d right after its last job's
 * cleanup). Each object is linked with -z nodelete, so it stays mapped:
 * its dynamic section carries DF_1_NODELETE, which these tests read.
 */
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>

/* 1 if the ELF64 object at path has DF_1_NODELETE, 0 if not, -errno. */
static int nodelete(const char *path)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	Elf64_Dyn dyn;
	int fd, i, ret = -ENOENT;
	off_t at;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &eh, sizeof(eh), 0) != sizeof(eh) ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) ||
	    eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_phentsize != sizeof(ph)) {
		ret = -ENOEXEC;
		goto out;
	}
	for (i = 0; i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof(ph), eh.e_phoff + i * sizeof(ph)) !=
		    sizeof(ph)) {
			ret = -EIO;
			goto out;
		}
		if (ph.p_type == PT_DYNAMIC)
			break;
	}
	if (i == eh.e_phnum)
		goto out;
	ret = 0;
	for (at = ph.p_offset; at + sizeof(dyn) <= ph.p_offset + ph.p_filesz;
	     at += sizeof(dyn)) {
		if (pread(fd, &dyn, sizeof(dyn), at) != sizeof(dyn)) {
			ret = -EIO;
			break;
		}
		if (dyn.d_tag == DT_NULL)
			break;
		if (dyn.d_tag == DT_FLAGS_1 && (dyn.d_un.d_val & DF_1_NODELETE))
			ret = 1;
	}
out:
	close(fd);
	return ret;
}

/* dir/../rel, dir being this program's directory. */
static void beside_me(char *out, size_t len, const char *rel)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	snprintf(out, len, "%s/../%s", dirname(self), rel);
}

TEST(libacall_stays_mapped_after_dlclose)
{
	Dl_info info;

	/* The object this program's acall_ring_init() comes from. */
	ASSERT_NE(0, dladdr((void *)acall_ring_init, &info));
	ASSERT_NE(NULL, info.dli_fname);
	EXPECT_EQ(1, nodelete(info.dli_fname))
		TH_LOG("%s lacks DF_1_NODELETE", info.dli_fname);
}

TEST(posixaio_stays_mapped_after_dlclose)
{
	char path[PATH_MAX];

	beside_me(path, sizeof(path), "lib/libacall-posixaio.so");
	if (access(path, F_OK))
		SKIP(return, "libacall-posixaio.so: not built");
	EXPECT_EQ(1, nodelete(path)) TH_LOG("%s lacks DF_1_NODELETE", path);
}

TEST(fio_engine_stays_mapped_after_dlclose)
{
	char path[PATH_MAX];

	beside_me(path, sizeof(path), "fio/libacall-fio.so");
	if (access(path, F_OK))
		SKIP(return, "libacall-fio.so: not built (make fio-engine)");
	EXPECT_EQ(1, nodelete(path)) TH_LOG("%s lacks DF_1_NODELETE", path);
}

TEST_HARNESS_MAIN

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

/*
 * The object at dir/../rel (dir: this program's directory) carries
 * DF_1_NODELETE; skips when it was not built (how: what builds it).
 */
static void expect_nodelete_beside_me(struct __test_metadata *_metadata,
				      const char *rel, const char *how)
{
	char self[PATH_MAX], path[PATH_MAX + 64];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	self[n > 0 ? n : 0] = '\0';
	snprintf(path, sizeof(path), "%s/../%s", dirname(self), rel);
	if (access(path, F_OK))
		SKIP(return, "not built (%s)", how);
	EXPECT_EQ(1, nodelete(path)) TH_LOG("%s lacks DF_1_NODELETE", path);
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
	expect_nodelete_beside_me(_metadata, "lib/libacall-posixaio.so",
				  "make lib");
}

TEST(fio_engine_stays_mapped_after_dlclose)
{
	expect_nodelete_beside_me(_metadata, "fio/libacall-fio.so",
				  "make fio-engine");
}

TEST_HARNESS_MAIN

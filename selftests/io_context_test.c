// SPDX-License-Identifier: GPL-2.0
/*
 * SETUP gives a thread that has no I/O context one, for the workers to
 * share, the way ioprio_set() makes one, and that asks the security policy
 * (Documentation/acall.rst, "A context's life"). Where the policy refuses,
 * the context is set up all the same and its workers run with I/O contexts
 * of their own. The refusing policy here is a BPF LSM program on
 * task_setioprio that answers EACCES, loaded with bpf(2) alone: two
 * instructions, attached by the BTF id of the hook, found in the kernel's
 * own BTF.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <linux/btf.h>
#include <linux/ioprio.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define DELAY_NS	(20 * 1000 * 1000)

/*
 * The BTF id of function name in the kernel's BTF; -ENOENT when it has no
 * such function (or no BTF), -EPROTO at a kind this walk cannot step over.
 */
static int vmlinux_btf_func(const char *name)
{
	const struct btf_header *h;
	const char *types, *strs, *p, *end;
	struct stat st;
	char *buf;
	int fd, id = -ENOENT, i;
	off_t got = 0;
	ssize_t n;

	fd = open("/sys/kernel/btf/vmlinux", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ENOENT;
	buf = fstat(fd, &st) ? NULL : malloc(st.st_size);
	/* sysfs hands it out a page at a time. */
	while (buf && got < st.st_size &&
	       (n = read(fd, buf + got, st.st_size - got)) > 0)
		got += n;
	if (!buf || got != st.st_size)
		goto out;
	h = (const void *)buf;
	if (h->magic != BTF_MAGIC)
		goto out;
	types = buf + h->hdr_len + h->type_off;
	strs = buf + h->hdr_len + h->str_off;
	end = types + h->type_len;
	for (p = types, i = 1; p < end; i++) {
		const struct btf_type *t = (const void *)p;
		unsigned int vlen = BTF_INFO_VLEN(t->info);

		p += sizeof(*t);
		switch (BTF_INFO_KIND(t->info)) {
		case BTF_KIND_INT:
		case BTF_KIND_VAR:
		case BTF_KIND_DECL_TAG:
			p += 4;
			break;
		case BTF_KIND_ARRAY:
			p += sizeof(struct btf_array);
			break;
		case BTF_KIND_STRUCT:
		case BTF_KIND_UNION:
		case BTF_KIND_DATASEC:
		case BTF_KIND_ENUM64:
			p += vlen * 12;
			break;
		case BTF_KIND_ENUM:
		case BTF_KIND_FUNC_PROTO:
			p += vlen * 8;
			break;
		case BTF_KIND_FUNC:
			if (!strcmp(strs + t->name_off, name)) {
				id = i;
				goto out;
			}
			break;
		case BTF_KIND_PTR:
		case BTF_KIND_FWD:
		case BTF_KIND_TYPEDEF:
		case BTF_KIND_VOLATILE:
		case BTF_KIND_CONST:
		case BTF_KIND_RESTRICT:
		case BTF_KIND_FLOAT:
		case BTF_KIND_TYPE_TAG:
			break;
		default:
			id = -EPROTO;	/* newer than this walk */
			goto out;
		}
	}
out:
	free(buf);
	close(fd);
	return id;
}

/*
 * Make every task_setioprio check answer -err: a BPF LSM program, attached
 * while the returned fd is open. -ENOENT when the kernel has no such hook
 * in its BTF (no BTF, no BPF LSM built in), else -errno of the load or the
 * attach. A kernel whose lsm= list leaves the BPF LSM out loads and
 * attaches it all the same, and never runs it: the caller checks.
 */
static int lsm_refuse_setioprio(int err)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0,
		  .imm = -err },
		{ .code = BPF_JMP | BPF_EXIT },
	};
	union bpf_attr load, attach;
	int id, prog, link;

	id = vmlinux_btf_func("bpf_lsm_task_setioprio");
	if (id < 0)
		return id;
	memset(&load, 0, sizeof(load));
	load.prog_type = BPF_PROG_TYPE_LSM;
	load.expected_attach_type = BPF_LSM_MAC;
	load.insns = (__u64)(uintptr_t)insns;
	load.insn_cnt = 2;
	load.license = (__u64)(uintptr_t)"GPL";
	load.attach_btf_id = id;
	prog = syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof(load));
	if (prog < 0)
		return -errno;
	memset(&attach, 0, sizeof(attach));
	attach.raw_tracepoint.prog_fd = prog;
	link = syscall(SYS_bpf, BPF_RAW_TRACEPOINT_OPEN, &attach, sizeof(attach));
	if (link < 0)
		link = -errno;
	close(prog);
	return link;
}

struct setup_arg {
	bool raw;		/* the raw ABI: kernel-thread workers */
	int fd;
	struct acall_ring ring;
	struct acall_raw r;
	int ioprio;		/* the thread's, before SETUP */
	int ioprio_set_errno;	/* the policy, seen from this thread */
	int ret;
};

static int ioprio_set_self(int prio)
{
	return syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, prio) ? errno : 0;
}

/*
 * In a thread of its own: made without CLONE_IO, it has an I/O context only
 * if its creator had one with a priority set, which it then shows (a class
 * other than none); without one, SETUP must make one.
 */
static void *setup_thread(void *p)
{
	struct setup_arg *a = p;

	a->ioprio = syscall(SYS_ioprio_get, IOPRIO_WHO_PROCESS, 0);
	a->ioprio_set_errno =
		ioprio_set_self(IOPRIO_PRIO_VALUE(IOPRIO_CLASS_BE, 6));
	if (a->raw)
		a->ret = acall_raw_setup(&a->r, a->fd, 8);
	else
		a->ret = acall_ring_init(&a->ring, NULL);
	return NULL;
}

FIXTURE(refused) {
	int link;
};

FIXTURE_VARIANT(refused) {
	bool raw;
};

FIXTURE_VARIANT_ADD(refused, process_workers) { .raw = false };
FIXTURE_VARIANT_ADD(refused, kernel_thread_workers) { .raw = true };

FIXTURE_SETUP(refused)
{
	ACALL_REQUIRE(ACALL_FEAT_RING | ACALL_FEAT_WORKERS);
	self->link = lsm_refuse_setioprio(EACCES);
	if (self->link == -ENOENT)
		SKIP(return, "no BPF LSM hook task_setioprio in the kernel's BTF");
	if (self->link == -EPROTO)
		SKIP(return, "a kind of BTF this test cannot read");
	ASSERT_LE(0, self->link) TH_LOG("BPF LSM program: %s",
					strerror(-self->link));
	/* Class none: a priority the harness's threads do not inherit. */
	if (!ioprio_set_self(IOPRIO_PRIO_VALUE(IOPRIO_CLASS_NONE, 0)))
		SKIP(return, "the BPF LSM is not in the kernel's lsm= list");
}

FIXTURE_TEARDOWN(refused)
{
	if (self->link >= 0)
		close(self->link);
}

/* A delayed NOP goes to a worker, which must run it. */
TEST_F(refused, setup_succeeds_and_workers_run)
{
	struct setup_arg a = { .raw = variant->raw, .fd = -1 };
	struct acall_cqe cqe;
	struct acall_sqe sqe;
	pthread_t t;

	if (a.raw) {
		a.fd = open("/dev/acall", O_RDWR | O_CLOEXEC);
		ASSERT_LE(0, a.fd);
	}
	ASSERT_EQ(0, pthread_create(&t, NULL, setup_thread, &a));
	ASSERT_EQ(0, pthread_join(t, NULL));
	ASSERT_EQ(IOPRIO_CLASS_NONE, IOPRIO_PRIO_CLASS(a.ioprio))
		TH_LOG("the thread has an I/O context (ionice?): SETUP would not make one");
	ASSERT_EQ(EACCES, a.ioprio_set_errno)
		TH_LOG("the BPF LSM program does not refuse ioprio_set()");
	ASSERT_EQ(0, a.ret) TH_LOG("SETUP: %s", strerror(-a.ret));

	acall_prep_nop(&sqe, DELAY_NS);
	sqe.user_data = 7;
	if (a.raw) {
		ASSERT_EQ(1, acall_raw_submit(a.fd, &sqe, 1));
		ASSERT_EQ(0, acall_raw_reap(&a.r, &cqe));
	} else {
		ASSERT_EQ(1, acall_submit(&a.ring, &sqe, 1));
		ASSERT_EQ(0, acall_reap(&a.ring, &cqe, 1));
	}
	EXPECT_EQ(7, cqe.user_data);
	EXPECT_EQ(0, cqe.res);

	if (a.raw) {
		acall_raw_unmap(&a.r);
		close(a.fd);
	} else {
		acall_ring_exit(&a.ring);
	}
}

TEST_HARNESS_MAIN

// SPDX-License-Identifier: GPL-2.0
/*
 * The acall tracepoints, read back through tracefs: for a request of each
 * path (inline, async kiocb, worker) and for requests held by a barrier and
 * by a link, the events of its life appear with its user_data, the path it
 * took, what held it, and its completion's res and latency; a worker's
 * start and exit appear with the owner's tgid.
 *
 * Every event of a request is written before its completion is posted, or
 * in the submitting call itself, so reaping the completions first and then
 * reading the trace needs no waiting. A worker's exit is written before
 * the thread is gone, which is what the test polls for.
 *
 * Enabling an event rewrites kernel text (its static key): the test does
 * it once and leaves the events on, and turns record-cmd off first, which
 * would also hook the scheduler's tracepoints (sched_wakeup runs all the
 * time on every CPU). Rewriting that under emulation (TCG) once made a
 * CPU trip on the rewrite's breakpoint, an "Oops: int3" in
 * trace_sched_wakeup, on the debug kernel.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <linux/fs.h>
#include <sys/mount.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include <acall.h>
#include "acall_test.h"

#define TRACEFS		"/sys/kernel/tracing"
#define MS		1000000ULL

/* user_data of each request: distinctive, none a prefix of another. */
#define UD_INLINE	0xacca7e0001ULL
#define UD_KIOCB	0xacca7e0002ULL
#define UD_WORKER	0xacca7e0003ULL
#define UD_SLOW		0xacca7e0004ULL
#define UD_BARRIER	0xacca7e0005ULL
#define UD_LINK_FIRST	0xacca7e0006ULL
#define UD_LINK_NEXT	0xacca7e0007ULL
#define UD_MANY		0xacca7e1000ULL	/* and on: one of many held */

/* Requests held behind one, and what one completion lets go (acall.rst). */
#define MANY		256
#define RELEASE_BUDGET	32

/* Write s to the tracefs file name (truncating it). 0 or -errno. */
static int tracefs_write(const char *name, const char *s)
{
	char path[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), TRACEFS "/%s", name);
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	close(fd);
	if (n < 0)
		return -errno;
	return (size_t)n == strlen(s) ? 0 : -EIO;
}

/* The whole of the tracefs file name, NUL-terminated; NULL on error. */
static char *tracefs_read(const char *name)
{
	size_t len = 0, size = 1 << 16;
	char path[256], *buf, *more;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), TRACEFS "/%s", name);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return NULL;
	buf = malloc(size);
	while (buf) {
		n = read(fd, buf + len, size - len - 1);
		if (n <= 0)
			break;
		len += n;
		if (size - len - 1 == 0) {
			size *= 2;
			more = realloc(buf, size);
			if (!more)
				free(buf);
			buf = more;
		}
	}
	close(fd);
	if (buf)
		buf[len] = 0;
	return buf;
}

/*
 * How many lines of trace are event ev with the word key ("user_data=0x..",
 * "tgid=..") among its fields; the last one is copied to last.
 */
static int find_events(const char *trace, const char *ev, const char *key,
		       char *last, size_t last_len)
{
	size_t klen = strlen(key);
	const char *line, *end, *e, *k;
	char evs[64];
	int n = 0;

	snprintf(evs, sizeof(evs), " %s: ", ev);
	for (line = trace; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		e = memmem(line, end - line, evs, strlen(evs));
		if (!e)
			continue;
		k = memmem(e, end - e, key, klen);
		if (!k || k[-1] != ' ' || (k + klen != end && k[klen] != ' '))
			continue;
		n++;
		snprintf(last, last_len, "%.*s", (int)(end - line), line);
	}
	return n;
}

/* Whether line has the field word "name=value" exactly. */
static bool has_field(const char *line, const char *word)
{
	size_t len = strlen(word);
	const char *p;

	for (p = strstr(line, word); p; p = strstr(p + 1, word))
		if (p > line && p[-1] == ' ' && (p[len] == ' ' || !p[len]))
			return true;
	return false;
}

/* The number after " name=" in line, or LLONG_MIN. */
static long long field(const char *line, const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), " %s=", name);
	p = strstr(line, key);
	return p ? strtoll(p + strlen(key), NULL, 0) : LLONG_MIN;
}

/*
 * How many workers of the process (key "tgid=...") did not end: a thread
 * of the process may stop for a while (res=-EINTR: it goes back to take
 * task work the scheduler queued, say) and start again, so each worker
 * must have as many exits as starts, the last with res=0. The first one
 * that did not end is described in why.
 */
static int workers_not_ended(const char *trace, const char *key, char *why,
			     size_t why_len)
{
	char ev[512], last[512], pidkey[32];
	long long started, ended, res;
	const char *line, *end;
	int bad = 0;

	*why = 0;
	for (line = trace; *line; line = *end ? end + 1 : end) {
		end = strchrnul(line, '\n');
		snprintf(ev, sizeof(ev), "%.*s", (int)(end - line), line);
		if (!strstr(ev, " acall_worker_start: ") || !has_field(ev, key))
			continue;
		snprintf(pidkey, sizeof(pidkey), "pid=%lld", field(ev, "pid"));
		started = find_events(trace, "acall_worker_start", pidkey,
				      last, sizeof(last));
		if (strcmp(last, ev))
			continue;	/* each worker once: at its last start */
		ended = find_events(trace, "acall_worker_exit", pidkey,
				    last, sizeof(last));
		res = ended ? field(last, "res") : LLONG_MIN;
		if (started == ended && res == 0)
			continue;
		if (!bad++)
			snprintf(why, why_len,
				 "%s: %lld starts, %lld exits, last res %lld",
				 pidkey, started, ended, res);
	}
	return bad;
}

/*
 * Whether the trace line was recorded in interrupt context: 1 or 0, or -1
 * for a line without the flags column (options/irq-info off). The column
 * follows the CPU number, five flags ("d.h1." and the like): irqs off,
 * need-resched, then h, s, H (a hard interrupt in a soft one), z (NMI) or
 * "." for the context.
 */
static int in_interrupt_context(const char *line)
{
	const char *p = strstr(line, "] ");

	if (!p || strnlen(p + 2, 6) < 6 || strchr(p + 2, ' ') != p + 7)
		return -1;
	return !!strchr("hsHz", p[4]);
}

/*
 * How many events ev of the requests UD_MANY + first to UD_MANY + last are
 * in the trace, one each, and how many of those were recorded in
 * interrupt context; -1 if a line has no flags column.
 */
static int count_many(const char *trace, const char *ev, unsigned int first,
		      unsigned int last, int *in_interrupt)
{
	char key[64], line[512];
	unsigned int i;
	int n = 0, irq;

	*in_interrupt = 0;
	for (i = first; i <= last; i++) {
		snprintf(key, sizeof(key), "user_data=0x%llx",
			 (unsigned long long)(UD_MANY + i));
		if (find_events(trace, ev, key, line, sizeof(line)) != 1)
			continue;
		irq = in_interrupt_context(line);
		if (irq < 0)
			return -1;
		n++;
		*in_interrupt += irq;
	}
	return n;
}

FIXTURE(trace) {
	struct acall_ring ring;
	bool turned_on;		/* tracing_on was 0: set back */
	char *trace;
	char line[512];
};

FIXTURE_SETUP(trace)
{
	struct acall_options opts = { .entries = 16, .nr_queues = 2 };
	char *on;

	self->ring.fd = -1;
	ACALL_REQUIRE(ACALL_FEAT_RING);
	if (access(TRACEFS "/events", F_OK) &&
	    mount("nodev", TRACEFS, "tracefs", 0, NULL))
		SKIP(return, "no tracefs at " TRACEFS ": %s", strerror(errno));
	if (access(TRACEFS "/events/acall", F_OK))
		SKIP(return, "no acall events: a kernel without tracepoints?");

	/* Left as they are once set: see the top of the file. */
	ASSERT_EQ(0, tracefs_write("options/record-cmd", "0"));
	/* The flags column, which says a line's context (the default). */
	ASSERT_EQ(0, tracefs_write("options/irq-info", "1"));
	on = tracefs_read("events/acall/enable");
	ASSERT_NE(NULL, on);
	if (on[0] != '1')
		ASSERT_EQ(0, tracefs_write("events/acall/enable", "1"));
	free(on);
	on = tracefs_read("tracing_on");
	ASSERT_NE(NULL, on);
	if (on[0] == '0') {
		ASSERT_EQ(0, tracefs_write("tracing_on", "1"));
		self->turned_on = true;
	}
	free(on);
	/* Opening "trace" for writing with O_TRUNC empties the buffer. */
	ASSERT_EQ(0, tracefs_write("trace", ""));
	ASSERT_EQ(0, acall_ring_init(&self->ring, &opts));
}

FIXTURE_TEARDOWN(trace)
{
	if (self->ring.fd >= 0)
		acall_ring_exit(&self->ring);
	if (self->turned_on)
		tracefs_write("tracing_on", "0");
	free(self->trace);
}

/* Read the trace into self->trace, after the completions were reaped. */
#define READ_TRACE() do {						\
	free(self->trace);						\
	self->trace = tracefs_read("trace");				\
	ASSERT_NE(NULL, self->trace);					\
} while (0)

/* The one event ev of request ud, in self->line; fails if not exactly one. */
#define ONE_EVENT(ev, ud) do {						\
	char _key[64];							\
									\
	snprintf(_key, sizeof(_key), "user_data=0x%llx",		\
		 (unsigned long long)(ud));				\
	ASSERT_EQ(1, find_events(self->trace, ev, _key, self->line,	\
				 sizeof(self->line)))			\
		TH_LOG("%s of %s: not exactly one in\n%s", ev, _key,	\
		       self->trace);					\
} while (0)

/* No event ev of request ud. */
#define NO_EVENT(ev, ud) do {						\
	char _key[64], _line[512];					\
									\
	snprintf(_key, sizeof(_key), "user_data=0x%llx",		\
		 (unsigned long long)(ud));				\
	EXPECT_EQ(0, find_events(self->trace, ev, _key, _line,		\
				 sizeof(_line)))			\
		TH_LOG("unexpected: %s", _line);			\
} while (0)

/* The life of request ud that took path and completed with res. */
#define EXPECT_LIFE(ud, op, path, res) do {				\
	ONE_EVENT("acall_submit", ud);					\
	EXPECT_TRUE(has_field(self->line, "opcode=" op))		\
		TH_LOG("%s", self->line);				\
	ONE_EVENT("acall_issue", ud);					\
	EXPECT_TRUE(has_field(self->line, "path=" path))		\
		TH_LOG("%s", self->line);				\
	ONE_EVENT("acall_complete", ud);				\
	EXPECT_EQ(res, field(self->line, "res")) TH_LOG("%s", self->line); \
	EXPECT_LE(0, field(self->line, "latency_ns"));			\
} while (0)

TEST_F(trace, inline_hot_read)
{
	char buf[8192];
	struct iovec iov = { buf, sizeof(buf) };
	struct acall_sqe sqe;
	const char *dir;
	int fd;

	ACALL_REQUIRE(ACALL_FEAT_INLINE);
	ACALL_FIXTURE(dir, "ACALL_TEST_EXT4");
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, sizeof(buf), 1));
	ASSERT_EQ(sizeof(buf), pread(fd, buf, sizeof(buf), 0));	/* cached */

	acall_prep_preadv(&sqe, fd, &iov, 1, 0, 0);
	acall_sqe_set_data(&sqe, UD_INLINE);
	ASSERT_EQ(sizeof(buf), acall_run1(&self->ring, &sqe));
	close(fd);

	READ_TRACE();
	EXPECT_LIFE(UD_INLINE, "PREADV", "inline", (long long)sizeof(buf));
	NO_EVENT("acall_held", UD_INLINE);
}

TEST_F_TIMEOUT(trace, direct_read_kiocb, 60)
{
	struct acall_sqe sqe;
	struct iovec iov;
	const char *dir, *slow;
	void *buf = NULL;
	int fd, dfd;

	ACALL_REQUIRE(ACALL_FEAT_ASYNC_KIOCB);
	ACALL_FIXTURE(dir, "ACALL_TEST_SLOW_EXT4");
	ASSERT_EQ(0, posix_memalign(&buf, 4096, 16384));
	iov.iov_base = buf;
	iov.iov_len = 16384;
	fd = acall_tmpfile(dir, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, acall_pwrite_pattern(fd, 0, 16384, 2));
	ASSERT_EQ(0, fsync(fd));
	dfd = acall_reopen(fd, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, dfd);

	acall_prep_preadv(&sqe, dfd, &iov, 1, 0, 0);
	acall_sqe_set_data(&sqe, UD_KIOCB);
	ASSERT_EQ(16384, acall_run1(&self->ring, &sqe));
	EXPECT_EQ(-1, acall_check(buf, 16384, 0, 2));
	close(dfd);
	close(fd);
	free(buf);

	READ_TRACE();
	EXPECT_LIFE(UD_KIOCB, "PREADV", "kiocb", 16384);
	/* The slow device takes ACALL_TEST_SLOW_NS a request, at least. */
	slow = getenv("ACALL_TEST_SLOW_NS");
	if (slow)
		EXPECT_LE(strtoll(slow, NULL, 0) / 2,
			  field(self->line, "latency_ns"))
			TH_LOG("%s", self->line);
}

/* A delayed NOP runs in a worker, whose start and exit are traced too. */
TEST_F(trace, delayed_nop_worker)
{
	char key[32], line[512];
	struct acall_sqe sqe;

	ACALL_REQUIRE(ACALL_FEAT_WORKERS);
	acall_prep_nop(&sqe, 20 * MS);
	acall_sqe_set_data(&sqe, UD_WORKER);
	ASSERT_EQ(0, acall_run1(&self->ring, &sqe));

	READ_TRACE();
	EXPECT_LIFE(UD_WORKER, "NOP", "worker", 0);
	EXPECT_LE(20 * MS, field(self->line, "latency_ns"))
		TH_LOG("%s", self->line);

	/* The context is new: a worker started for this request. */
	snprintf(key, sizeof(key), "tgid=%d", getpid());
	ASSERT_LE(1, find_events(self->trace, "acall_worker_start", key,
				 line, sizeof(line)))
		TH_LOG("no acall_worker_start with %s in\n%s", key, self->trace);
	EXPECT_LT(0, field(line, "pid")) TH_LOG("%s", line);

	/* Closing the context ends its workers; each one's end is traced. */
	acall_ring_exit(&self->ring);
	ASSERT_EQ(0, acall_wait_workers_gone(getpid(), 30));
	READ_TRACE();
	EXPECT_EQ(0, workers_not_ended(self->trace, key, line, sizeof(line)))
		TH_LOG("%s in\n%s", line, self->trace);
}

/* An ORDERED request waits behind a slow one of its queue: held. */
TEST_F(trace, ordered_held_by_barrier)
{
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];

	ACALL_REQUIRE(ACALL_FEAT_ORDERING | ACALL_FEAT_WORKERS);
	acall_prep_nop(&sqes[0], 1000 * MS);	/* the longest a NOP may take */
	acall_sqe_set_data(&sqes[0], UD_SLOW);
	acall_sqe_set_queue(&sqes[0], 1);
	acall_prep_nop(&sqes[1], 0);
	acall_sqe_set_data(&sqes[1], UD_BARRIER);
	acall_sqe_set_queue(&sqes[1], 1);
	acall_sqe_set_ordered(&sqes[1]);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	/* The barrier kept its order. */
	EXPECT_EQ(UD_SLOW, cqes[0].user_data);
	EXPECT_EQ(UD_BARRIER, cqes[1].user_data);

	READ_TRACE();
	EXPECT_LIFE(UD_SLOW, "NOP", "worker", 0);
	NO_EVENT("acall_held", UD_SLOW);
	EXPECT_LIFE(UD_BARRIER, "NOP", "worker", 0);
	ONE_EVENT("acall_submit", UD_BARRIER);
	EXPECT_TRUE(has_field(self->line, "flags=0x1")) TH_LOG("%s", self->line);
	ONE_EVENT("acall_held", UD_BARRIER);
	EXPECT_TRUE(has_field(self->line, "by=barrier")) TH_LOG("%s", self->line);
	/* It waited for the slow one: at least as long. */
	ONE_EVENT("acall_complete", UD_BARRIER);
	EXPECT_LE(50 * MS, field(self->line, "latency_ns"))
		TH_LOG("%s", self->line);
}

/* The second request of a LINK chain is held by the first. */
TEST_F(trace, linked_held_by_link)
{
	struct acall_sqe sqes[2];
	struct acall_cqe cqes[2];

	ACALL_REQUIRE(ACALL_FEAT_ORDERING);
	acall_prep_nop(&sqes[0], 0);
	acall_sqe_set_data(&sqes[0], UD_LINK_FIRST);
	acall_sqe_set_link(&sqes[0]);
	acall_prep_nop(&sqes[1], 0);
	acall_sqe_set_data(&sqes[1], UD_LINK_NEXT);
	ASSERT_EQ(0, acall_run(&self->ring, sqes, 2, cqes));
	EXPECT_EQ(0, cqes[0].res);
	EXPECT_EQ(0, cqes[1].res);

	READ_TRACE();
	EXPECT_LIFE(UD_LINK_FIRST, "NOP", "inline", 0);
	ONE_EVENT("acall_submit", UD_LINK_FIRST);
	EXPECT_TRUE(has_field(self->line, "flags=0x2")) TH_LOG("%s", self->line);
	NO_EVENT("acall_held", UD_LINK_FIRST);
	/* Both gates open within the submission: it starts inline too. */
	EXPECT_LIFE(UD_LINK_NEXT, "NOP", "inline", 0);
	ONE_EVENT("acall_held", UD_LINK_NEXT);
	EXPECT_TRUE(has_field(self->line, "by=link")) TH_LOG("%s", self->line);
}

/*
 * The many requests a slow device's completion lets go, on the raw
 * null_blk whose requests end from a timer (an interrupt): every one of
 * them once, RELEASE_BUDGET of them from that interrupt (which shows that
 * the test saw one), a work item the rest. Without the bound, one
 * interrupt went through all of them (up to the ring's 32768). The device, opened
 * O_DIRECT, in *fd, its size in *size, a ring of MANY in ring.
 */
static void many_setup(struct __test_metadata *_metadata, const char *dev,
		       int *fd, off_t *size, struct acall_ring *ring)
{
	struct acall_options opts = { .entries = MANY };
	__u64 bytes;

	*fd = open(dev, O_RDONLY | O_DIRECT);
	ASSERT_LE(0, *fd) TH_LOG("%s: %s", dev, strerror(errno));
	ASSERT_EQ(0, ioctl(*fd, BLKGETSIZE64, &bytes));
	*size = bytes;
	ASSERT_EQ(0, acall_ring_init(ring, &opts));
}

/*
 * A LINK chain whose first member, an O_DIRECT read of two blocks from the
 * device's last one, comes back short: each of the rest completes once,
 * -ECANCELED, RELEASE_BUDGET of them in the read's interrupt, and each
 * is released once (the hold of one more ends in the interrupt).
 */
TEST_F(trace, failed_chain_tail_bounded)
{
	static struct acall_sqe sqes[MANY];
	static struct acall_cqe cqes[MANY];
	static char buf[2 * 4096] __attribute__((aligned(4096)));
	struct acall_ring ring = { .fd = -1 };
	int fd = -1, n, in_irq, i;
	const char *dev;
	off_t size;

	ACALL_REQUIRE(ACALL_FEAT_ORDERING);
	ACALL_FIXTURE(dev, "ACALL_TEST_SLOW_BDEV");
	many_setup(_metadata, dev, &fd, &size, &ring);
	acall_prep_read(&sqes[0], fd, buf, sizeof(buf), size - 4096, 0);
	for (i = 1; i < MANY; i++)
		acall_prep_nop(&sqes[i], 0);
	for (i = 0; i < MANY; i++) {
		acall_sqe_set_data(&sqes[i], UD_MANY + i);
		if (i < MANY - 1)
			acall_sqe_set_link(&sqes[i]);
	}
	ASSERT_EQ(0, acall_run(&ring, sqes, MANY, cqes));
	acall_ring_exit(&ring);
	close(fd);
	/* A chain completes in its order. */
	for (i = 0; i < MANY; i++) {
		EXPECT_EQ(UD_MANY + i, cqes[i].user_data);
		EXPECT_EQ(i ? -ECANCELED : 4096, cqes[i].res);
	}

	READ_TRACE();
	n = count_many(self->trace, "acall_complete", 1, MANY - 1, &in_irq);
	EXPECT_EQ(MANY - 1, n);
	EXPECT_EQ(RELEASE_BUDGET, in_irq)
		TH_LOG("%d of %d completions posted in interrupt context",
		       in_irq, n);
	/* The hold of the one after them ends there too, not its completion. */
	n = count_many(self->trace, "acall_release", 1, MANY - 1, &in_irq);
	EXPECT_EQ(MANY - 1, n);
	EXPECT_EQ(RELEASE_BUDGET + 1, in_irq)
		TH_LOG("%d of %d releases in interrupt context", in_irq, n);
}

/*
 * An ORDERED O_DIRECT read with many NOPs of its queue behind it: each
 * NOP is released once, RELEASE_BUDGET of them in the read's interrupt,
 * and completes.
 */
TEST_F(trace, barrier_release_bounded)
{
	static struct acall_sqe sqes[MANY];
	static struct acall_cqe cqes[MANY];
	static char buf[4096] __attribute__((aligned(4096)));
	struct acall_ring ring = { .fd = -1 };
	int fd = -1, n, in_irq, i;
	const char *dev;
	off_t size;

	ACALL_REQUIRE(ACALL_FEAT_ORDERING | ACALL_FEAT_WORKERS);
	ACALL_FIXTURE(dev, "ACALL_TEST_SLOW_BDEV");
	many_setup(_metadata, dev, &fd, &size, &ring);
	acall_prep_read(&sqes[0], fd, buf, sizeof(buf), 0, 0);
	acall_sqe_set_ordered(&sqes[0]);
	for (i = 1; i < MANY; i++)
		acall_prep_nop(&sqes[i], 0);
	for (i = 0; i < MANY; i++)
		acall_sqe_set_data(&sqes[i], UD_MANY + i);
	ASSERT_EQ(0, acall_run(&ring, sqes, MANY, cqes));
	acall_ring_exit(&ring);
	close(fd);
	/* The barrier first, then every NOP. */
	EXPECT_EQ(UD_MANY, cqes[0].user_data);
	EXPECT_EQ(4096, cqes[0].res);
	for (i = 1; i < MANY; i++)
		EXPECT_EQ(0, cqes[i].res);

	READ_TRACE();
	n = count_many(self->trace, "acall_complete", 1, MANY - 1, &in_irq);
	EXPECT_EQ(MANY - 1, n);
	n = count_many(self->trace, "acall_release", 1, MANY - 1, &in_irq);
	EXPECT_EQ(MANY - 1, n);
	EXPECT_EQ(RELEASE_BUDGET, in_irq)
		TH_LOG("%d of %d releases in interrupt context", in_irq, n);
}

TEST_HARNESS_MAIN

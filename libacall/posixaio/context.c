// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The per-process context: set up at the first request, in the process
 * that makes it. A context belongs to the process that opened it, so a
 * child of fork() starts afresh with its own at its first request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "posixaio.h"

struct pa_state pa = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.send_lock = PTHREAD_MUTEX_INITIALIZER,
	.send_cond = PTHREAD_COND_INITIALIZER,
	.efd = -1,
	.active = { .prev = &pa.active, .next = &pa.active },
	.forward_tail = &pa.forward,
};

static pthread_once_t pa_once = PTHREAD_ONCE_INIT;

int pa_fail(int err)
{
	errno = err;
	return -1;
}

static bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0");
}

static unsigned int env_uint(const char *name, unsigned int dflt)
{
	const char *v = getenv(name);
	char *end;
	unsigned long n;

	if (!v || !*v)
		return dflt;
	n = strtoul(v, &end, 0);
	return *end || n > 1u << 30 ? dflt : (unsigned int)n;
}

/* Say once why glibc serves this process, if asked to. */
static void report_glibc(const char *why, int err)
{
	if (env_flag("ACALL_POSIXAIO_VERBOSE"))
		fprintf(stderr, "libacall-posixaio[%d]: %s%s%s; using glibc's POSIX AIO\n",
			(int)getpid(), why, err ? ": " : "", err ? strerror(err) : "");
}

static void print_stats(void)
{
	struct acall_stats st;
	int state;

	if (!pa.ready || pa.use_glibc || acall_stats(&pa.ring, &st))
		return;
	state = pa_cancel_off();	/* fprintf() is a cancellation point */
	fprintf(stderr, "libacall-posixaio[%d]: submitted %llu completed %llu "
		"inline %llu async_kiocb %llu punted %llu canceled %llu "
		"ordered %llu inflight_peak %u workers_peak %u\n", (int)getpid(),
		(unsigned long long)st.submitted, (unsigned long long)st.completed,
		(unsigned long long)st.inline_done, (unsigned long long)st.async_kiocb,
		(unsigned long long)st.punted, (unsigned long long)st.canceled,
		(unsigned long long)st.ordered, st.inflight_peak, st.workers_peak);
	pa_cancel_restore(state);
}

/*
 * fork(): the child has the parent's memory but none of its threads, and
 * the parent's context refuses it. Forget everything; the child's first
 * request sets up its own context. Its copies of the parent's requests
 * stay in progress forever: POSIX does not let a child inherit them. Their
 * records are kept, marked as the parent's, never freed: an aiocb may
 * still point at one, and aio_return() on it then says EINVAL. The
 * aiocbs themselves are not touched: they may be shared with the parent,
 * or gone.
 */
static void atfork_prepare(void)
{
	pthread_mutex_lock(&pa.lock);
}

static void atfork_parent(void)
{
	pthread_mutex_unlock(&pa.lock);
}

static void atfork_child(void)
{
	int state = pa_cancel_off();	/* close() is a cancellation point */
	unsigned int i;

	pthread_mutex_init(&pa.lock, NULL);
	pthread_mutex_init(&pa.send_lock, NULL);
	pthread_cond_init(&pa.send_cond, NULL);
	pa.send_next = pa.send_turn = 0;
	if (pa.ready && !pa.use_glibc) {
		acall_ring_exit(&pa.ring);
		close(pa.efd);
	}
	for (i = 0; i < PA_TABLE_SIZE; i++) {
		while (pa.table[i]) {
			struct pa_req *req = pa.table[i];

			pa.table[i] = req->hash_next;
			req->orphan = true;
			req->hash_next = pa.orphans;
			pa.orphans = req;
		}
	}
	pa.ready = false;
	pa.use_glibc = false;
	pa.efd = -1;
	pa.slots = 0;
	pa.active.prev = pa.active.next = &pa.active;
	pa.deferred = NULL;
	pa.forward = NULL;
	pa.forward_tail = &pa.forward;
	pa.forwarding = false;
	pa.returned = NULL;
	pa.waiters = 0;
	pa_cancel_restore(state);
}

/*
 * Registered as the library is loaded, before any of the program's: fork
 * runs prepare handlers in the reverse order, so the program's run first.
 * One of them may take a lock that a thread holds while it calls into
 * this library; registered later, this one would hold pa.lock while that
 * handler waited, and the thread would wait for pa.lock.
 */
__attribute__((constructor)) static void pa_register_atfork(void)
{
	pthread_atfork(atfork_prepare, atfork_parent, atfork_child);
}

static void pa_once_init(void)
{
	if (env_flag("ACALL_POSIXAIO_STATS"))
		atexit(print_stats);
}

/* Open and set up the context. Under pa.lock. */
static void setup(void)
{
	struct acall_options opts = { 0 };
	struct acall_probe probe;
	const __u64 need = ACALL_FEAT_RING | ACALL_FEAT_EVENTFD | ACALL_FEAT_CANCEL;
	int ret;

	pa.use_glibc = true;
	if (env_flag("ACALL_POSIXAIO_DISABLE")) {
		report_glibc("ACALL_POSIXAIO_DISABLE is set", 0);
		return;
	}
	ret = acall_probe(-1, &probe);
	if (ret < 0) {
		report_glibc("cannot open " ACALL_DEVICE_PATH, -ret);
		return;
	}
	if ((probe.features & need) != need) {
		report_glibc("the acall module lacks the ring, eventfd or cancel", 0);
		return;
	}
	pa.ordering = probe.features & ACALL_FEAT_ORDERING;
	pa.buffer_ops = acall_opcode_supported(&probe, ACALL_OP_READ) &&
			acall_opcode_supported(&probe, ACALL_OP_WRITE);
	pa.quiet_submit = probe.features & ACALL_FEAT_QUIET_SUBMIT;
	opts.entries = env_uint("ACALL_POSIXAIO_ENTRIES", 4096);
	if (opts.entries > probe.max_entries)
		opts.entries = probe.max_entries;
	opts.max_workers = env_uint("ACALL_POSIXAIO_WORKERS", 0);
	/*
	 * One ordering queue per fd (modulo): a barrier holds back its fd,
	 * and the fds equal to it modulo the queues.
	 */
	pa.nr_queues = 1;
	if (!probe.max_queues)
		pa.ordering = false;
	if (pa.ordering)
		pa.nr_queues = probe.max_queues < 64 ? probe.max_queues : 64;
	opts.nr_queues = pa.nr_queues;
	ret = acall_ring_init(&pa.ring, &opts);
	if (ret < 0) {
		report_glibc("cannot set up an acall context", -ret);
		return;
	}
	pa.efd = eventfd(0, EFD_CLOEXEC);
	if (pa.efd < 0 || (ret = acall_register_eventfd(&pa.ring, pa.efd)) < 0) {
		report_glibc("cannot register an eventfd", pa.efd < 0 ? errno : -ret);
		if (pa.efd >= 0)
			close(pa.efd);
		pa.efd = -1;
		acall_ring_exit(&pa.ring);
		return;
	}
	pa.use_glibc = false;
	pa_start_reaper();
	if (pa.use_glibc) {
		report_glibc("cannot start the completion thread", EAGAIN);
		close(pa.efd);
		pa.efd = -1;
		acall_ring_exit(&pa.ring);
	}
}

/*
 * No getpid() on the fast path: the fork handler clears pa.ready, so a
 * child sets up its own context here at its first request. Not canceled
 * in the middle: setup() opens and closes files (cancellation points),
 * and a thread canceled there would leave pa.lock held.
 */
bool pa_use_acall(void)
{
	if (!__atomic_load_n(&pa.ready, __ATOMIC_ACQUIRE)) {
		int state = pa_cancel_off();

		pthread_once(&pa_once, pa_once_init);
		pthread_mutex_lock(&pa.lock);
		if (!pa.ready) {
			pa.pid = getpid();
			setup();
			/* Published last: other threads then see a whole context. */
			__atomic_store_n(&pa.ready, true, __ATOMIC_RELEASE);
		}
		pthread_mutex_unlock(&pa.lock);
		pa_cancel_restore(state);
	}
	return !pa.use_glibc;
}

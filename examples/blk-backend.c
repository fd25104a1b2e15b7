// SPDX-License-Identifier: GPL-2.0
/*
 * blk-backend: acall as a QEMU block backend would use it.
 *
 *   blk-backend FILE [-c VCPUS] [-n REQUESTS] [-q DEPTH] [-f FLUSH_EVERY]
 *                    [-d] [-o auto|on|off]
 *
 * Several "vCPU" threads play the guest: each owns every VCPUS-th 4 KiB
 * block of FILE, keeps up to DEPTH requests in flight (writes of a pattern
 * naming the block and a generation, reads that check the last pattern
 * written), and every FLUSH_EVERY writes asks for a flush. A request goes
 * onto libacall's queue (acall_enqueue, any thread, no lock) and the vCPU
 * "kicks" the iothread through an eventfd, as a virtqueue notify does.
 *
 * The iothread is one epoll loop over the kick eventfd and acall's eventfd:
 * a kick flushes everything queued in one batch; a completion goes back to
 * its vCPU, whose own eventfd plays the interrupt. A flush is an ORDERED
 * FDATASYNC when the module has ordering; without it the vCPU drains its
 * own writes before the flush, as a guest driver does. At the end every
 * block of FILE is read back and checked.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <acall.h>

#define BS		4096
#define MAX_VCPUS	64
#define MAX_DEPTH	64

enum req_type { REQ_READ, REQ_WRITE, REQ_FLUSH };

struct vcpu;

/* One virtio-blk-like request: what the guest asked, and the answer. */
struct vreq {
	struct vcpu *vcpu;
	enum req_type type;
	unsigned int slot;	/* the vCPU's block index */
	uint32_t gen;		/* the generation written, or expected */
	struct iovec iov;
	int res;
	struct vreq *next;	/* free list, or the vCPU's completed list */
};

struct vcpu {
	unsigned int id;
	pthread_t thread;
	int irq;			/* eventfd: "an interrupt" */
	pthread_mutex_t lock;
	struct vreq *completed;		/* filled by the iothread */
	struct vreq reqs[MAX_DEPTH];
	struct vreq *free;
	unsigned int inflight, writes_inflight;
	uint32_t *gen;			/* last generation written, per slot */
	unsigned char *busy;		/* a request is in flight on the slot */
	uint64_t rng;
	/* counts */
	unsigned long reads, writes, flushes, mismatches, errors;
};

static struct {
	struct acall_ring ring;
	int fd, kick;
	unsigned int nr_vcpus, depth, flush_every;
	unsigned long requests;		/* per vCPU */
	unsigned int slots;		/* blocks per vCPU */
	bool ordered;
	unsigned long flush_calls, submitted;
	unsigned int vcpus_done;
	pthread_mutex_t lock;
} be = { .nr_vcpus = 4, .depth = 16, .flush_every = 32, .requests = 2000,
	 .slots = 256, .lock = PTHREAD_MUTEX_INITIALIZER };

static uint64_t block_of(const struct vcpu *v, unsigned int slot)
{
	return (uint64_t)slot * be.nr_vcpus + v->id;
}

/* Generation 0 is the zeroes the file starts with. */
static void fill(void *buf, uint64_t block, uint32_t gen)
{
	uint64_t *w = buf;

	for (unsigned int i = 0; i < BS / 8; i++)
		w[i] = gen ? (block << 32 | gen) ^ i : 0;
}

static bool check(const void *buf, uint64_t block, uint32_t gen)
{
	static __thread uint64_t want[BS / 8];

	fill(want, block, gen);
	return !memcmp(buf, want, BS);
}

static uint64_t next_rand(struct vcpu *v)
{
	v->rng ^= v->rng << 13;
	v->rng ^= v->rng >> 7;
	v->rng ^= v->rng << 17;
	return v->rng;
}

static void die(const char *what, int err)
{
	fprintf(stderr, "blk-backend: %s: %s\n", what, strerror(err));
	exit(1);
}

static void kick(void)
{
	uint64_t one = 1;

	if (write(be.kick, &one, sizeof(one)) < 0)
		die("kick", errno);
}

/* Queue one request on libacall's queue; the iothread submits it. */
static void submit(struct vcpu *v, struct vreq *r)
{
	struct acall_sqe sqe;
	int ret;

	if (r->type == REQ_READ) {
		acall_prep_preadv(&sqe, be.fd, &r->iov, 1, block_of(v, r->slot) * BS, 0);
	} else if (r->type == REQ_WRITE) {
		fill(r->iov.iov_base, block_of(v, r->slot), r->gen);
		acall_prep_pwritev(&sqe, be.fd, &r->iov, 1, block_of(v, r->slot) * BS, 0);
		v->writes_inflight++;
	} else {
		acall_prep_fdatasync(&sqe, be.fd);
		if (be.ordered)
			acall_sqe_set_ordered(&sqe);
	}
	acall_sqe_set_data(&sqe, (uintptr_t)r);
	ret = acall_enqueue(&be.ring, &sqe);
	if (ret < 0)
		die("acall_enqueue", -ret);
	v->inflight++;
}

/* Wait for the "interrupt", then handle every completed request. */
static void handle_irq(struct vcpu *v)
{
	struct vreq *r, *next;
	uint64_t n;

	if (read(v->irq, &n, sizeof(n)) < 0)
		die("irq", errno);
	pthread_mutex_lock(&v->lock);
	r = v->completed;
	v->completed = NULL;
	pthread_mutex_unlock(&v->lock);
	for (; r; r = next) {
		next = r->next;
		v->inflight--;
		if (r->type == REQ_FLUSH) {
			if (r->res < 0)
				v->errors++;
		} else if (r->res != BS) {
			v->errors++;
		} else if (r->type == REQ_WRITE) {
			v->gen[r->slot] = r->gen;
		} else if (!check(r->iov.iov_base, block_of(v, r->slot), r->gen)) {
			v->mismatches++;
		}
		if (r->type == REQ_WRITE)
			v->writes_inflight--;
		if (r->type != REQ_FLUSH)
			v->busy[r->slot] = 0;
		r->next = v->free;
		v->free = r;
	}
}

static void *vcpu_main(void *arg)
{
	struct vcpu *v = arg;
	unsigned long issued = 0, writes_since_flush = 0;

	while (issued < be.requests || v->inflight) {
		bool queued = false;

		while (issued < be.requests && v->free) {
			struct vreq *r = v->free;
			unsigned int slot = next_rand(v) % be.slots;

			if (be.flush_every && writes_since_flush >= be.flush_every) {
				/* Without ordering the guest waits for its writes. */
				if (!be.ordered && v->writes_inflight)
					break;
				v->free = r->next;
				r->type = REQ_FLUSH;
				submit(v, r);
				v->flushes++;
				writes_since_flush = 0;
				queued = true;
				continue;
			}
			if (v->busy[slot])
				break;	/* a guest does not race itself on a block */
			v->free = r->next;
			r->slot = slot;
			v->busy[slot] = 1;
			if (next_rand(v) % 100 < 60) {
				r->type = REQ_WRITE;
				r->gen = v->gen[slot] + 1;
				v->writes++;
				writes_since_flush++;
			} else {
				r->type = REQ_READ;
				r->gen = v->gen[slot];
				v->reads++;
			}
			submit(v, r);
			issued++;
			queued = true;
		}
		if (queued)
			kick();
		if (v->inflight)
			handle_irq(v);
	}
	pthread_mutex_lock(&be.lock);
	be.vcpus_done++;
	pthread_mutex_unlock(&be.lock);
	kick();
	return NULL;
}

/* Hand each completion back to its vCPU and raise its interrupt. */
static void complete(struct acall_cqe *cqe)
{
	struct vreq *r = (struct vreq *)(uintptr_t)cqe->user_data;
	struct vcpu *v = r->vcpu;
	uint64_t one = 1;

	r->res = cqe->res;
	pthread_mutex_lock(&v->lock);
	r->next = v->completed;
	v->completed = r;
	pthread_mutex_unlock(&v->lock);
	if (write(v->irq, &one, sizeof(one)) < 0)
		die("irq", errno);
}

/* Submit what is queued; how many went in (0: the ring is full). */
static int flush_queue(void)
{
	int ret = acall_flush(&be.ring);

	if (ret > 0) {
		be.flush_calls++;
		be.submitted += ret;
	} else if (ret < 0 && ret != -EBUSY) {
		die("acall_flush", -ret);	/* -EBUSY: reap, then again */
	}
	return ret > 0 ? ret : 0;
}

/* Hand back every completion in the ring, the eventfd muted meanwhile. */
static void drain_ring(void)
{
	do {
		struct acall_cqe *cqe;

		acall_eventfd_mute(&be.ring, true);
		while ((cqe = acall_peek_cqe(&be.ring))) {
			complete(cqe);
			acall_cq_advance(&be.ring, 1);
		}
		acall_eventfd_mute(&be.ring, false);
	} while (acall_cq_ready(&be.ring));
}

/* The iothread: one epoll loop, as QEMU's AioContext. */
static void iothread(int efd)
{
	struct epoll_event ev[2], add = { .events = EPOLLIN };
	int ep = epoll_create1(EPOLL_CLOEXEC);
	uint64_t n;

	add.data.fd = be.kick;
	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, be.kick, &add) < 0)
		die("epoll", errno);
	add.data.fd = efd;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, efd, &add) < 0)
		die("epoll", errno);

	for (;;) {
		int nev = epoll_wait(ep, ev, 2, -1);

		if (nev < 0 && errno != EINTR)
			die("epoll_wait", errno);
		for (int i = 0; i < nev; i++) {
			if (read(ev[i].data.fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
				die("read", errno);
		}
		/*
		 * Everything the vCPUs queued since the last kick, in one go.
		 * What completes inside the flush signals nothing: drain after
		 * it, and flush again while draining made room.
		 */
		drain_ring();
		while (acall_queued(&be.ring) && flush_queue())
			drain_ring();
		pthread_mutex_lock(&be.lock);
		n = be.vcpus_done;
		pthread_mutex_unlock(&be.lock);
		if (n == be.nr_vcpus)
			break;
	}
	close(ep);
}

/* Read every block back with pread and compare with what was written last. */
static unsigned long verify(struct vcpu *vcpus)
{
	static char buf[BS] __attribute__((aligned(BS)));
	unsigned long bad = 0;

	for (unsigned int c = 0; c < be.nr_vcpus; c++) {
		struct vcpu *v = &vcpus[c];

		for (unsigned int s = 0; s < be.slots; s++) {
			uint64_t block = block_of(v, s);

			if (pread(be.fd, buf, BS, block * BS) != BS ||
			    !check(buf, block, v->gen[s]))
				bad++;
		}
	}
	return bad;
}

int main(int argc, char **argv)
{
	static struct vcpu vcpus[MAX_VCPUS];
	const char *ordering = "auto";
	struct acall_probe probe;
	struct acall_stats st;
	unsigned long reads = 0, writes = 0, flushes = 0, bad = 0, errors = 0, unverified;
	struct timespec t0, t1;
	bool direct = false;
	int opt, ret, efd;

	while ((opt = getopt(argc, argv, "c:n:q:f:do:")) != -1) {
		switch (opt) {
		case 'c': be.nr_vcpus = atoi(optarg); break;
		case 'n': be.requests = strtoul(optarg, NULL, 0); break;
		case 'q': be.depth = atoi(optarg); break;
		case 'f': be.flush_every = atoi(optarg); break;
		case 'd': direct = true; break;
		case 'o': ordering = optarg; break;
		default: goto usage;
		}
	}
	if (optind != argc - 1 || !be.nr_vcpus || be.nr_vcpus > MAX_VCPUS ||
	    !be.depth || be.depth > MAX_DEPTH) {
usage:
		fprintf(stderr, "usage: blk-backend FILE [-c VCPUS] [-n REQUESTS] "
			"[-q DEPTH] [-f FLUSH_EVERY] [-d] [-o auto|on|off]\n");
		return 2;
	}

	be.fd = open(argv[optind], O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC |
		     (direct ? O_DIRECT : 0), 0644);
	if (be.fd < 0)
		die(argv[optind], errno);
	if (fallocate(be.fd, 0, 0, (off_t)be.slots * be.nr_vcpus * BS) < 0 &&
	    ftruncate(be.fd, (off_t)be.slots * be.nr_vcpus * BS) < 0)
		die("ftruncate", errno);

	ret = acall_probe(-1, &probe);
	if (ret < 0)
		die("acall_probe", -ret);
	be.ordered = probe.features & ACALL_FEAT_ORDERING;
	if (!strcmp(ordering, "off"))
		be.ordered = false;
	else if (!strcmp(ordering, "on") && !be.ordered)
		die("ordering", EOPNOTSUPP);
	ret = acall_ring_init(&be.ring, NULL);
	if (ret < 0)
		die("acall_ring_init", -ret);
	efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	be.kick = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (efd < 0 || be.kick < 0)
		die("eventfd", errno);
	ret = acall_register_eventfd(&be.ring, efd);
	if (ret < 0)
		die("acall_register_eventfd", -ret);

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned int c = 0; c < be.nr_vcpus; c++) {
		struct vcpu *v = &vcpus[c];

		v->id = c;
		v->rng = 0x9e3779b97f4a7c15ull * (c + 1);
		v->irq = eventfd(0, EFD_CLOEXEC);
		v->gen = calloc(be.slots, sizeof(*v->gen));
		v->busy = calloc(be.slots, 1);
		if (v->irq < 0 || !v->gen || !v->busy)
			die("vcpu", ENOMEM);
		pthread_mutex_init(&v->lock, NULL);
		for (unsigned int i = 0; i < be.depth; i++) {
			struct vreq *r = &v->reqs[i];

			r->vcpu = v;
			if (posix_memalign(&r->iov.iov_base, BS, BS))
				die("posix_memalign", ENOMEM);
			r->iov.iov_len = BS;
			r->next = v->free;
			v->free = r;
		}
		if (pthread_create(&v->thread, NULL, vcpu_main, v))
			die("pthread_create", EAGAIN);
	}
	iothread(efd);
	for (unsigned int c = 0; c < be.nr_vcpus; c++) {
		pthread_join(vcpus[c].thread, NULL);
		reads += vcpus[c].reads;
		writes += vcpus[c].writes;
		flushes += vcpus[c].flushes;
		bad += vcpus[c].mismatches;
		errors += vcpus[c].errors;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	unverified = verify(vcpus);
	if (acall_stats(&be.ring, &st) < 0)
		memset(&st, 0, sizeof(st));

	printf("blk-backend: %u vCPUs x %lu requests, depth %u, %s I/O, flushes %s\n",
	       be.nr_vcpus, be.requests, be.depth, direct ? "O_DIRECT" : "buffered",
	       be.ordered ? "ORDERED FDATASYNC" : "drained by the vCPU, then FDATASYNC");
	printf("  %lu writes, %lu reads checked, %lu flushes in %.2f s\n", writes, reads,
	       flushes, (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
	printf("  %lu submissions, %.1f requests each; inline %llu async %llu punted %llu\n",
	       be.flush_calls, be.flush_calls ? (double)be.submitted / be.flush_calls : 0,
	       (unsigned long long)st.inline_done, (unsigned long long)st.async_kiocb,
	       (unsigned long long)st.punted);
	printf("  errors %lu, reads with wrong data %lu, blocks wrong at the end %lu\n",
	       errors, bad, unverified);
	printf("blk-backend: %s\n", errors || bad || unverified ? "FAIL" : "data verified");
	acall_unregister_eventfd(&be.ring);
	acall_ring_exit(&be.ring);
	return errors || bad || unverified ? 1 : 0;
}

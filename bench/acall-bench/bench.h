/* SPDX-License-Identifier: GPL-2.0 */
/*
 * acall-bench: one fio-like workload run by every engine in turn, with the
 * same buffers, the same offsets and the same event loop.
 */
#ifndef ACALL_BENCH_H
#define ACALL_BENCH_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <acall.h>

enum rw_mode { RW_READ, RW_RANDREAD, RW_WRITE, RW_RANDWRITE, RW_RANDRW };
enum io_kind { IO_READ, IO_WRITE, IO_FLUSH };

/* The workload, as fio would name it. */
struct params {
	const char *name;	/* label of the row */
	const char *filename;
	enum rw_mode rw;
	unsigned int rwmixread;	/* percent of reads for randrw */
	unsigned int bs;
	unsigned int iodepth;
	unsigned int numjobs;
	unsigned int batch;	/* most requests per submission call */
	bool direct;
	bool cold;		/* buffered: drop the page cache first */
	uint64_t size;		/* bytes of the file the jobs use */
	double runtime;		/* seconds; 0: until ios */
	uint64_t ios;		/* per job; 0: until runtime */
	uint64_t seed;
	unsigned int fsync_every; /* a FDATASYNC after every N writes */
	uint64_t device_ns;	/* null_blk completion delay, for the ceiling */
	const char *fio_opts;	/* more options for fio's command line */
	unsigned int rounds;	/* the engines take turns this many times */
};

struct job;

/* One request slot; a job owns iodepth of them. */
struct io_unit {
	struct job *job;
	unsigned int index;
	enum io_kind kind;
	void *buf;
	struct iovec iov;
	uint64_t off;
	uint64_t start_ns;
	long res;
	struct io_unit *next;	/* free list, or an engine's queues */
};

/*
 * An engine, driven by job_run()'s loop. submit() takes n prepared
 * requests and returns how many it took (>= 1) or -errno; it may complete
 * some at once (job_complete()). reap() completes what has finished; it is
 * called when event_fd is readable, or, for engines with no event_fd, to
 * block until something completes. Both return how many completed.
 */
struct engine {
	const char *name;
	unsigned int max_depth;	/* 0: no limit of its own */
	int (*setup)(struct job *j);
	int (*submit)(struct job *j, struct io_unit **ios, unsigned int n);
	int (*reap)(struct job *j);
	/* Optional: reap what is ready without a system call (QEMU polls
	 * completion rings before sleeping the same way). */
	int (*poll)(struct job *j);
	void (*teardown)(struct job *j);
	/* Why the results of this engine mean less than they seem, or NULL. */
	const char *(*caveat)(const struct params *p);
};

/* Everything one thread measured. */
struct job {
	const struct params *p;
	const struct engine *e;
	unsigned int id;
	int fd;
	int event_fd;		/* set by setup(); -1: reap() blocks */
	bool ordered_flush;	/* set by setup(): flushes need no drain */
	unsigned int submit_flags;	/* acall's ACALL_SUBMIT_*, by setup() */
	bool buffer_ops;	/* acall's READ and WRITE, by setup() */
	void *priv;
	struct io_unit *ios;
	struct io_unit *free;
	unsigned int depth;
	unsigned int inflight;
	uint64_t rng;
	uint64_t seq_block;
	unsigned int writes_since_flush;
	bool flush_pending, flush_inflight;
	uint64_t end_ns;
	uint64_t issued;
	/* results */
	uint64_t done_reads, done_writes, flushes, bytes, errors;
	long first_error;
	uint64_t submit_calls, submit_ns, submitted;
	uint64_t *lat;		/* completion latency of each request, ns */
	uint64_t nr_lat, max_lat;
	/* engine counters (acall) */
	uint64_t ctr_inline, ctr_async, ctr_punted;
	uint64_t ctr_punts[ACALL_PUNT_MAX];	/* punted, by reason */
	unsigned int ctr_workers_peak;
	uint64_t elapsed_ns;
	pthread_t thread;
};

uint64_t now_ns(void);
int job_run(struct job *j);
void job_complete(struct job *j, struct io_unit *io, long res);
/* Read an eventfd until empty; returns 0 or -errno. */
int drain_eventfd(int efd);

extern const struct engine engine_psync, engine_threads, engine_threads_nowait,
	engine_libaio, engine_io_uring, engine_posixaio, engine_acall;

#endif /* ACALL_BENCH_H */

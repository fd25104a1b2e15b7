// SPDX-License-Identifier: GPL-2.0
/*
 * Run one engine on a workload: numjobs threads, each with its own file
 * descriptor and event loop, between two samples of /proc/stat.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "result.h"
#include "sysstat.h"

#define MAX_LAT_SAMPLES	(1u << 22)

void prepare_cache(const struct params *p)
{
	static char chunk[1 << 20];
	int fd, dc;

	/* What an earlier engine wrote must not be written back during this one. */
	sync();
	if (p->direct || p->cold) {
		dc = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
		if (dc < 0 || write(dc, "3", 1) != 1)
			fprintf(stderr, "acall-bench: cannot drop the page cache: %s\n",
				strerror(errno));
		if (dc >= 0)
			close(dc);
		return;
	}
	fd = open(p->filename, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	for (uint64_t off = 0; off < p->size; off += sizeof(chunk))
		if (pread(fd, chunk, sizeof(chunk), off) <= 0)
			break;
	close(fd);
}

/*
 * Start job j's thread on the same CPU for every engine: the (j->id)th CPU
 * the process may use. Where the scheduler puts a new thread depends on
 * what ran before it, and under TCG the guest's CPUs do not run equally
 * fast. Only the start is fixed: the mask is given back at once, so the
 * thread may still move, and the threads an engine creates inherit the
 * whole mask.
 */
static void place_job_thread(const struct job *j)
{
	cpu_set_t all, one;
	unsigned int n, cpu;

	if (sched_getaffinity(0, sizeof(all), &all) || !CPU_COUNT(&all))
		return;
	n = j->id % CPU_COUNT(&all);
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++) {
		if (CPU_ISSET(cpu, &all) && n-- == 0)
			break;
	}
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	/* Moves the thread there now; then it may go anywhere again. */
	if (sched_setaffinity(0, sizeof(one), &one) == 0)
		sched_setaffinity(0, sizeof(all), &all);
}

static void *job_thread(void *arg)
{
	struct job *j = arg;
	long ret;

	place_job_thread(j);
	ret = job_run(j);
	return (void *)ret;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static double percentile_us(const uint64_t *v, uint64_t n, double pct)
{
	uint64_t i;

	if (!n)
		return 0;
	i = (uint64_t)(pct / 100.0 * (double)(n - 1) + 0.5);
	return v[i] / 1000.0;
}

static void fail(struct result *r, const char *what, long err)
{
	r->status = "error";
	snprintf(r->note, sizeof(r->note), "%s: %s", what, strerror((int)-err));
}

void result_init(struct result *r, const char *engine)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->engine, sizeof(r->engine), "%s", engine);
	r->status = "ok";
}

void run_engine(const struct params *p, const struct engine *e, struct result *r)
{
	struct job *jobs = calloc(p->numjobs, sizeof(*jobs));
	struct sysstat s0, s1;
	uint64_t nr_lat = 0, elapsed = 0;
	long err = 0;
	unsigned int i;

	if (e->caveat && e->caveat(p))
		snprintf(r->note, sizeof(r->note), "%s", e->caveat(p));
	r->has_counters = e == &engine_acall;
	if (!jobs)
		return fail(r, "calloc", -ENOMEM);

	prepare_cache(p);
	for (i = 0; i < p->numjobs; i++) {
		struct job *j = &jobs[i];

		j->p = p;
		j->e = e;
		j->id = i;
		j->max_lat = MAX_LAT_SAMPLES / p->numjobs;
		j->lat = malloc(j->max_lat * sizeof(*j->lat));
		j->fd = open(p->filename, O_RDWR | O_CLOEXEC | (p->direct ? O_DIRECT : 0));
		if (!j->lat || j->fd < 0) {
			fail(r, "open", j->lat ? -errno : -ENOMEM);
			goto out;
		}
	}

	sysstat_read(&s0);
	for (i = 0; i < p->numjobs; i++)
		pthread_create(&jobs[i].thread, NULL, job_thread, &jobs[i]);
	for (i = 0; i < p->numjobs; i++) {
		void *ret;

		pthread_join(jobs[i].thread, &ret);
		if ((long)ret < 0 && !err)
			err = (long)ret;
	}
	sysstat_read(&s1);
	if (err) {
		fail(r, "run", err);
		goto out;
	}

	for (i = 0; i < p->numjobs; i++) {
		struct job *j = &jobs[i];

		r->ios += j->done_reads + j->done_writes;
		r->bytes += j->bytes;
		nr_lat += j->nr_lat;
		r->flushes += j->flushes;
		if (j->elapsed_ns > elapsed)
			elapsed = j->elapsed_ns;
		r->submit_ns += j->submit_ns;
		r->ctr_inline += j->ctr_inline;
		r->ctr_async += j->ctr_async;
		r->ctr_punted += j->ctr_punted;
		for (unsigned int k = 0; k < ACALL_PUNT_MAX; k++)
			r->ctr_punts[k] += j->ctr_punts[k];
		if (j->ctr_workers_peak > r->ctr_workers_peak)
			r->ctr_workers_peak = j->ctr_workers_peak;
		if (j->errors && !err) {
			err = j->first_error;
			snprintf(r->note, sizeof(r->note), "%llu requests failed: %s",
				 (unsigned long long)j->errors, strerror((int)-err));
			r->status = "error";
		}
	}
	r->elapsed_ns += elapsed;
	r->busy_us += sysstat_busy_us(&s0, &s1);
	r->ctxt += s1.ctxt - s0.ctxt;

	r->lat = realloc(r->lat, (r->nr_lat + nr_lat) * sizeof(*r->lat) + 1);
	if (!r->lat) {
		fail(r, "realloc", -ENOMEM);
		goto out;
	}
	for (i = 0; i < p->numjobs; i++) {
		memcpy(r->lat + r->nr_lat, jobs[i].lat, jobs[i].nr_lat * sizeof(*r->lat));
		r->nr_lat += jobs[i].nr_lat;
	}
out:
	for (i = 0; i < p->numjobs; i++) {
		for (unsigned int k = 0; jobs[i].ios && k < jobs[i].depth; k++)
			free(jobs[i].ios[k].buf);
		free(jobs[i].ios);
		free(jobs[i].lat);
		if (jobs[i].fd > 0)
			close(jobs[i].fd);
	}
	free(jobs);
}

void result_finish(struct result *r)
{
	if (r->ios && r->elapsed_ns) {
		r->iops = r->ios * 1e9 / r->elapsed_ns;
		r->mbps = r->bytes / 1e6 * 1e9 / r->elapsed_ns;
		r->submit_ns_per_io = (double)r->submit_ns / r->ios;
		r->cpu_us_per_io = r->busy_us / r->ios;
		r->ctxsw_per_io = (double)r->ctxt / r->ios;
	}
	if (r->nr_lat) {
		qsort(r->lat, r->nr_lat, sizeof(*r->lat), cmp_u64);
		r->p50_us = percentile_us(r->lat, r->nr_lat, 50);
		r->p99_us = percentile_us(r->lat, r->nr_lat, 99);
		r->p999_us = percentile_us(r->lat, r->nr_lat, 99.9);
	}
	free(r->lat);
	r->lat = NULL;
}

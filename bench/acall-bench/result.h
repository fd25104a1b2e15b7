/* SPDX-License-Identifier: GPL-2.0 */
/* What one engine (or fio with one of its engines) measured on a workload. */
#ifndef ACALL_BENCH_RESULT_H
#define ACALL_BENCH_RESULT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bench.h"

struct result {
	char engine[32];
	bool fio;		/* measured by fio, for the cross-check */
	const char *status;	/* "ok", "error", "unsupported" */
	char note[160];
	double iops, mbps;
	double p50_us, p99_us, p999_us;
	double cpu_us_per_io;	/* system-wide */
	double ctxsw_per_io;	/* system-wide */
	double submit_ns_per_io; /* time in the submission call, per request */
	uint64_t ios, flushes;
	uint64_t ctr_inline, ctr_async, ctr_punted;
	uint64_t ctr_punts[ACALL_PUNT_MAX];	/* punted, by reason */
	unsigned int ctr_workers_peak;	/* most workers of one context */
	bool has_counters;
	/* sums over the rounds, turned into the figures above at the end */
	uint64_t bytes, elapsed_ns, submit_ns, ctxt;
	double busy_us;
	uint64_t *lat, nr_lat;
};

/* Start a result of this engine: "ok" and zero. */
void result_init(struct result *r, const char *engine);
/* Run one round of one engine of this tool, adding to *r. */
void run_engine(const struct params *p, const struct engine *e, struct result *r);
/* Turn the sums of the rounds into rates and percentiles. */
void result_finish(struct result *r);
/* Run fio's engine of that name on the same workload. */
void run_fio(const struct params *p, const char *engine, struct result *r);
/* Put the file's cache in the state the workload asks for. */
void prepare_cache(const struct params *p);

void print_table(const struct params *p, const struct result *r, unsigned int n);
void write_json(FILE *f, const struct params *p, const struct result *r, unsigned int n);
/* One tab-separated line per engine, for the charts. */
void write_tsv(FILE *f, const struct params *p, const struct result *r, unsigned int n);

const char *rw_name(enum rw_mode rw);

#endif

// SPDX-License-Identifier: GPL-2.0
/*
 * acall-bench: run one fio-like workload with every engine, one after the
 * other, and print them side by side (Documentation/bench.rst).
 *
 *   acall-bench --filename=F [--rw=randread] [--bs=4k] [--iodepth=1]
 *               [--numjobs=1] [--batch=1] [--direct=0] [--cache=hot|cold]
 *               [--size=64m] [--runtime=2] [--ios=N] [--seed=1]
 *               [--rwmixread=70] [--fdatasync=N] [--device-ns=NS]
 *               [--engines=LIST] [--rounds=3] [--fio=LIST] [--fio-opts=OPTS]
 *               [--name=LABEL] [--json=FILE] [--tsv=FILE]
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <acall.h>

#include "result.h"

#define MAX_ROWS	16

static const struct engine *const engines[] = {
	&engine_psync, &engine_threads, &engine_threads_nowait, &engine_libaio,
	&engine_io_uring, &engine_posixaio, &engine_acall,
};
#define NR_ENGINES (sizeof(engines) / sizeof(engines[0]))

static void usage(void)
{
	fprintf(stderr,
		"usage: acall-bench --filename=FILE [--rw=read|randread|write|randwrite|randrw]\n"
		"  [--bs=4k] [--iodepth=N] [--numjobs=N] [--batch=N] [--direct=0|1]\n"
		"  [--cache=hot|cold] [--size=64m] [--runtime=SECONDS] [--ios=N] [--seed=N]\n"
		"  [--rwmixread=PCT] [--fdatasync=N] [--device-ns=NS] [--name=LABEL]\n"
		"  [--engines=psync,threads,threads-nowait,libaio,io_uring,posixaio,acall]\n"
		"  [--rounds=N] [--fio-opts=OPTIONS]\n"
		"  [--fio=psync,libaio,io_uring,posixaio,acall] [--json=FILE] [--tsv=FILE]\n"
		"fio's acall engine (make fio-engine) is loaded from $ACALL_FIO_ENGINE\n");
	exit(2);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	uint64_t v = strtoull(s, &end, 0);

	switch (*end) {
	case 'k': case 'K': return v << 10;
	case 'm': case 'M': return v << 20;
	case 'g': case 'G': return v << 30;
	default: return v;
	}
}

static int parse_rw(const char *s)
{
	for (int rw = RW_READ; rw <= RW_RANDRW; rw++)
		if (!strcmp(s, rw_name(rw)))
			return rw;
	usage();
	return -1;
}

/* A regular file the workload needs: created and written to its size once. */
static int prepare_file(const struct params *p)
{
	static char chunk[1 << 20];
	struct stat st;
	int fd = open(p->filename, O_RDWR | O_CREAT | O_CLOEXEC, 0644);

	if (fd < 0 || fstat(fd, &st) < 0)
		return -errno;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < p->size) {
		memset(chunk, 0xa5, sizeof(chunk));
		for (uint64_t off = 0; off < p->size; off += sizeof(chunk))
			if (pwrite(fd, chunk, sizeof(chunk), off) != sizeof(chunk))
				return -EIO;
		fsync(fd);
	}
	close(fd);
	return 0;
}

static int append_to(const char *path,
		     void (*write)(FILE *, const struct params *,
				   const struct result *, unsigned int),
		     const struct params *p, const struct result *r, unsigned int n)
{
	FILE *f = fopen(path, "a");

	if (!f) {
		fprintf(stderr, "acall-bench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	write(f, p, r, n);
	fclose(f);
	return 0;
}

/* acall's ordered flush needs the module's ordering. */
static bool acall_unsupported(const struct params *p, struct result *r)
{
	struct acall_probe probe;
	int ret = acall_probe(-1, &probe);

	if (ret < 0) {
		snprintf(r->note, sizeof(r->note), "no /dev/acall: %s", strerror(-ret));
		r->status = "error";
		return true;
	}
	if (p->fsync_every && !(probe.features & ACALL_FEAT_ORDERING)) {
		snprintf(r->note, sizeof(r->note),
			 "this module has no ordering (ACALL_FEAT_ORDERING)");
		r->status = "unsupported";
		return true;
	}
	return false;
}

/* The smallest integer above prev that shares no factor with n (n > 0). */
static unsigned int next_coprime(unsigned int prev, unsigned int n)
{
	for (unsigned int c = prev + 1;; c++) {
		unsigned int a = c, b = n;

		while (b) {
			unsigned int r = a % b;

			a = b;
			b = r;
		}
		if (a == 1)
			return c;
	}
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "filename", 1, 0, 'f' }, { "rw", 1, 0, 'r' }, { "bs", 1, 0, 'b' },
		{ "iodepth", 1, 0, 'd' }, { "numjobs", 1, 0, 'j' },
		{ "batch", 1, 0, 'B' }, { "direct", 1, 0, 'D' }, { "cache", 1, 0, 'c' },
		{ "size", 1, 0, 's' }, { "runtime", 1, 0, 't' }, { "ios", 1, 0, 'n' },
		{ "seed", 1, 0, 'S' }, { "rwmixread", 1, 0, 'm' },
		{ "fdatasync", 1, 0, 'F' }, { "device-ns", 1, 0, 'N' },
		{ "engines", 1, 0, 'e' }, { "fio", 1, 0, 'x' }, { "name", 1, 0, 'L' },
		{ "rounds", 1, 0, 'R' }, { "fio-opts", 1, 0, 'O' },
		{ "json", 1, 0, 'J' }, { "tsv", 1, 0, 'T' }, { "help", 0, 0, 'h' }, { 0 },
	};
	struct params p = {
		.name = "workload", .rw = RW_RANDREAD, .rwmixread = 70, .bs = 4096,
		.iodepth = 1, .numjobs = 1, .batch = 1, .size = 64 << 20,
		.runtime = 2, .seed = 1, .rounds = 3,
	};
	const char *want = "psync,threads,threads-nowait,libaio,io_uring,posixaio,acall";
	const char *fio = "", *json = NULL, *tsv = NULL;
	const struct engine *chosen[MAX_ROWS];
	struct result results[MAX_ROWS];
	struct params round;
	unsigned int n = 0, nr_engines;
	char fio_engine[MAX_ROWS][16];
	char list[256], *tok, *s;
	int c, ret;

	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f': p.filename = optarg; break;
		case 'r': p.rw = parse_rw(optarg); break;
		case 'b': p.bs = parse_size(optarg); break;
		case 'd': p.iodepth = atoi(optarg); break;
		case 'j': p.numjobs = atoi(optarg); break;
		case 'B': p.batch = atoi(optarg); break;
		case 'D': p.direct = atoi(optarg); break;
		case 'c': p.cold = !strcmp(optarg, "cold"); break;
		case 's': p.size = parse_size(optarg); break;
		case 't': p.runtime = atof(optarg); break;
		case 'n': p.ios = strtoull(optarg, NULL, 0); break;
		case 'S': p.seed = strtoull(optarg, NULL, 0); break;
		case 'm': p.rwmixread = atoi(optarg); break;
		case 'F': p.fsync_every = atoi(optarg); break;
		case 'N': p.device_ns = strtoull(optarg, NULL, 0); break;
		case 'e': want = optarg; break;
		case 'x': fio = optarg; break;
		case 'L': p.name = optarg; break;
		case 'J': json = optarg; break;
		case 'T': tsv = optarg; break;
		case 'R': p.rounds = atoi(optarg); break;
		case 'O': p.fio_opts = optarg; break;
		default: usage();
		}
	}
	if (!p.filename || !p.bs || !p.iodepth || !p.numjobs || !p.batch ||
	    !p.rounds || p.size < p.bs || (p.runtime <= 0 && !p.ios))
		usage();
	if (p.ios)
		p.runtime = 0;
	ret = prepare_file(&p);
	if (ret < 0) {
		fprintf(stderr, "acall-bench: %s: %s\n", p.filename, strerror(-ret));
		return 1;
	}

	snprintf(list, sizeof(list), "%s", want);
	for (s = list; (tok = strsep(&s, ",")) && n < MAX_ROWS; n++) {
		unsigned int i;

		for (i = 0; i < NR_ENGINES && strcmp(engines[i]->name, tok); i++)
			;
		if (i == NR_ENGINES) {
			fprintf(stderr, "acall-bench: no engine %s\n", tok);
			return 2;
		}
		chosen[n] = engines[i];
		result_init(&results[n], tok);
		if (chosen[n] == &engine_acall)
			acall_unsupported(&p, &results[n]);
	}
	/*
	 * The engines take turns, --rounds times, each for its share of the run:
	 * a host busy with something else for a while slows every engine a
	 * little rather than one a lot.
	 */
	round = p;
	round.runtime = p.runtime / p.rounds;
	round.ios = (p.ios + p.rounds - 1) / p.rounds;
	nr_engines = n;
	snprintf(list, sizeof(list), "%s", fio);
	for (s = list; (tok = strsep(&s, ",")) && *tok && n < MAX_ROWS; n++) {
		char name[32];

		snprintf(fio_engine[n], sizeof(fio_engine[n]), "%s", tok);
		snprintf(name, sizeof(name), "fio %s", tok);
		result_init(&results[n], name);
		results[n].fio = true;
	}
	for (unsigned int k = 0, step = 0; k < p.rounds; k++) {
		step = next_coprime(step, nr_engines);
		for (unsigned int t = 0; t < n; t++) {
			/*
			 * Each round its own order: an engine measures
			 * differently depending on which one ran just before it
			 * (bench.rst, "An order effect"), so no engine may always
			 * follow the same one. Round k runs engine k + t * step
			 * t-th, step coprime to their number: every engine runs
			 * once, after a different one each round (while there
			 * are such steps). fio's engines follow.
			 */
			unsigned int i = t < nr_engines ?
					 (k + t * step) % nr_engines : t;

			if (strcmp(results[i].status, "ok"))
				continue;
			else if (i < nr_engines)
				run_engine(&round, chosen[i], &results[i]);
			else
				run_fio(&round, fio_engine[i], &results[i]);
		}
	}
	for (unsigned int i = 0; i < n; i++) {
		if (results[i].fio) {
			results[i].p50_us /= p.rounds;
			results[i].p99_us /= p.rounds;
			results[i].p999_us /= p.rounds;
		}
		result_finish(&results[i]);
	}

	print_table(&p, results, n);
	if (json && append_to(json, write_json, &p, results, n))
		return 1;
	if (tsv && append_to(tsv, write_tsv, &p, results, n))
		return 1;
	return 0;
}

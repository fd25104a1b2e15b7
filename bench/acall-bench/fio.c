// SPDX-License-Identifier: GPL-2.0
/*
 * The cross-check: the same workload run by fio with its own engine of the
 * same name. If fio and this tool disagree on psync, libaio, io_uring or
 * posixaio, the harness is wrong, not the engines. For acall, fio runs
 * acall's own fio engine (make fio-engine), found at $ACALL_FIO_ENGINE.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "result.h"
#include "sysstat.h"

/* Fields of fio's terse output, version 3 (1-based, as fio's HOWTO). */
#define T_READ_KB	6
#define T_READ_IOPS	8
#define T_READ_CLAT_PCT	18	/* 20 "pct%=usec" fields */
#define T_WRITE_OFFSET	41	/* the write fields follow the read ones */
#define T_NR_FIELDS	130

static double clat_pct(char **f, int first, const char *pct)
{
	for (int i = 0; i < 20; i++) {
		char *eq = strchr(f[first + i], '=');

		if (eq && !strncmp(f[first + i], pct, strlen(pct)))
			return atof(eq + 1);
	}
	return 0;
}

/* fio's --ioengine= for this engine name, in buf; NULL (with a note) if none. */
static const char *fio_ioengine(const char *engine, char *buf, size_t size,
				struct result *r)
{
	const char *so;

	if (strcmp(engine, "acall"))
		return engine;
	so = getenv("ACALL_FIO_ENGINE");
	if (!so || !*so || access(so, R_OK)) {
		snprintf(r->note, sizeof(r->note),
			 "no fio engine for acall (make fio-engine; ACALL_FIO_ENGINE)");
		r->status = "unsupported";
		return NULL;
	}
	snprintf(buf, size, "external:%s", so);
	return buf;
}

void run_fio(const struct params *p, const char *engine, struct result *r)
{
	static const char *const rws[] = {
		[RW_READ] = "read", [RW_RANDREAD] = "randread",
		[RW_WRITE] = "write", [RW_RANDWRITE] = "randwrite",
		[RW_RANDRW] = "randrw",
	};
	char cmd[2048], line[8192], *f[T_NR_FIELDS + 1], ioengine[1024];
	struct sysstat s0, s1;
	double rk, wk, ri, wi, secs;
	uint64_t ios;
	int n = 0, len;
	FILE *out;

	engine = fio_ioengine(engine, ioengine, sizeof(ioengine), r);
	if (!engine)
		return;
	len = snprintf(cmd, sizeof(cmd),
		"fio --name=xcheck --filename=%s --ioengine=%s --rw=%s --rwmixread=%u "
		"--bs=%u --iodepth=%u --numjobs=%u --iodepth_batch_submit=%u "
		"--direct=%d --invalidate=%d --size=%llu --randseed=%llu "
		"--norandommap --thread --group_reporting --output-format=terse "
		"--terse-version=3",
		p->filename, engine, rws[p->rw], p->rwmixread, p->bs, p->iodepth,
		p->numjobs, p->batch, p->direct, p->cold, (unsigned long long)p->size,
		(unsigned long long)p->seed);
	if (p->runtime > 0)
		len += snprintf(cmd + len, sizeof(cmd) - len,
				" --runtime=%.0fms --time_based", p->runtime * 1000);
	else
		len += snprintf(cmd + len, sizeof(cmd) - len, " --number_ios=%llu",
				(unsigned long long)p->ios);
	if (p->fsync_every)
		len += snprintf(cmd + len, sizeof(cmd) - len, " --fdatasync=%u",
				p->fsync_every);
	snprintf(cmd + len, sizeof(cmd) - len, " %s 2>/dev/null",
		 p->fio_opts ? p->fio_opts : "");

	prepare_cache(p);
	sysstat_read(&s0);
	out = popen(cmd, "r");
	if (!out) {
		snprintf(r->note, sizeof(r->note), "cannot run fio: %s", strerror(errno));
		return;
	}
	line[0] = 0;
	while (fgets(line, sizeof(line), out) && strncmp(line, "3;", 2))
		;
	if (pclose(out) != 0 || strncmp(line, "3;", 2)) {
		snprintf(r->note, sizeof(r->note), "fio failed or is missing");
		r->status = "error";
		return;
	}
	sysstat_read(&s1);

	for (char *s = line, *tok; n < T_NR_FIELDS && (tok = strsep(&s, ";"));)
		f[++n] = tok;
	if (n < T_WRITE_OFFSET + T_READ_CLAT_PCT + 20) {
		snprintf(r->note, sizeof(r->note), "fio: short terse line");
		r->status = "error";
		return;
	}
	rk = atof(f[T_READ_KB]);
	wk = atof(f[T_WRITE_OFFSET + T_READ_KB]);
	ri = atof(f[T_READ_IOPS]);
	wi = atof(f[T_WRITE_OFFSET + T_READ_IOPS]);
	/* fio's runtime, from its read or write runtime */
	secs = atof(f[ri > 0 ? 9 : T_WRITE_OFFSET + 9]) / 1000.0;
	ios = (uint64_t)((ri + wi) * secs + 0.5);
	r->ios += ios;
	r->bytes += (uint64_t)((rk + wk) * 1024);
	r->elapsed_ns += (uint64_t)(secs * 1e9);
	r->busy_us += sysstat_busy_us(&s0, &s1);
	r->ctxt += s1.ctxt - s0.ctxt;
	{
		int base = (ri >= wi ? 0 : T_WRITE_OFFSET) + T_READ_CLAT_PCT;

		/* summed over the rounds; main() makes them a mean */
		r->p50_us += clat_pct(f, base, "50.000000%");
		r->p99_us += clat_pct(f, base, "99.000000%");
		r->p999_us += clat_pct(f, base, "99.900000%");
	}
	snprintf(r->note, sizeof(r->note),
		 "fio's own figures; latency is its clat, a mean of the rounds; "
		 "CPU includes its start-up");
}

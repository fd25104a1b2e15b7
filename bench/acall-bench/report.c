// SPDX-License-Identifier: GPL-2.0
/*
 * The side-by-side table of one workload, and the same as one JSON line.
 * The headline is acall's IOPS over the best other engine of this tool
 * (fio's rows are the cross-check, never the competition).
 */
#include <stdio.h>
#include <string.h>

#include "result.h"

/*
 * " (not_cached 90, released 10)": the reasons of x's punts that occurred,
 * appended to buf of size len.
 */
static void punt_reasons(const struct result *x, char *buf, size_t len)
{
	size_t used = strlen(buf);
	const char *sep = " (";

	for (unsigned int k = 0; k < ACALL_PUNT_MAX && used < len; k++) {
		if (!x->ctr_punts[k])
			continue;
		used += snprintf(buf + used, len - used, "%s%s %llu", sep,
				 acall_punt_name(k) ? acall_punt_name(k) : "?",
				 (unsigned long long)x->ctr_punts[k]);
		sep = ", ";
	}
	if (*sep == ',' && used < len)
		snprintf(buf + used, len - used, ")");
}

const char *rw_name(enum rw_mode rw)
{
	static const char *const names[] = {
		[RW_READ] = "read", [RW_RANDREAD] = "randread",
		[RW_WRITE] = "write", [RW_RANDWRITE] = "randwrite",
		[RW_RANDRW] = "randrw",
	};
	return names[rw];
}

static const char *cache_name(const struct params *p)
{
	return p->direct ? "direct" : p->cold ? "cold" : "hot";
}

static bool usable(const struct result *r)
{
	return !strcmp(r->status, "ok") && r->iops > 0;
}

/* Index of acall's row and of the best other engine's, or -1. */
static void headline(const struct result *r, unsigned int n, int *acall, int *best)
{
	*acall = *best = -1;
	for (unsigned int i = 0; i < n; i++) {
		if (r[i].fio || !usable(&r[i]))
			continue;
		if (!strcmp(r[i].engine, "acall"))
			*acall = i;
		else if (*best < 0 || r[i].iops > r[*best].iops)
			*best = i;
	}
}

/* The same engine of this tool, for a fio row. */
static const struct result *twin(const struct result *r, unsigned int n,
				 const struct result *fio)
{
	for (unsigned int i = 0; i < n; i++)
		if (!r[i].fio && !strcmp(r[i].engine, fio->engine + 4))
			return &r[i];
	return NULL;
}

static double ceiling_iops(const struct params *p)
{
	unsigned int depth = p->iodepth * p->numjobs;

	if (!p->device_ns || !p->direct)
		return 0;
	return depth * 1e9 / p->device_ns;
}

void print_table(const struct params *p, const struct result *r, unsigned int n)
{
	int a, b;

	printf("\n== %s: %s %uk %s iodepth %u jobs %u batch %u%s\n", p->name,
	       rw_name(p->rw), p->bs / 1024, cache_name(p), p->iodepth, p->numjobs,
	       p->batch, p->fsync_every ? " +fdatasync" : "");
	printf("%-16s %9s %8s %8s %8s %8s %9s %7s %9s  %s\n", "engine", "IOPS", "MB/s",
	       "p50 us", "p99 us", "p99.9 us", "CPU us/io", "cs/io", "submit ns", "notes");
	for (unsigned int i = 0; i < n; i++) {
		const struct result *x = &r[i];
		char note[200];

		if (!usable(x)) {
			printf("%-16s %9s  %s: %s\n", x->engine, "-", x->status, x->note);
			continue;
		}
		if (x->has_counters) {
			snprintf(note, sizeof(note),
				 "inline %llu async %llu workers %u punted %llu",
				 (unsigned long long)x->ctr_inline,
				 (unsigned long long)x->ctr_async,
				 x->ctr_workers_peak, (unsigned long long)x->ctr_punted);
			punt_reasons(x, note, sizeof(note));
		} else if (x->fio && twin(r, n, x) && usable(twin(r, n, x)))
			snprintf(note, sizeof(note), "tool/fio %.2f",
				 twin(r, n, x)->iops / x->iops);
		else
			snprintf(note, sizeof(note), "%s", x->note);
		printf("%-16s %9.0f %8.1f %8.0f %8.0f %8.0f %9.1f %7.2f %9.0f%s%s\n",
		       x->engine, x->iops, x->mbps, x->p50_us, x->p99_us, x->p999_us,
		       x->cpu_us_per_io, x->ctxsw_per_io, x->fio ? 0.0 : x->submit_ns_per_io,
		       *note ? "  " : "", note);
	}
	headline(r, n, &a, &b);
	if (a >= 0 && b >= 0)
		printf("acall / best other (%s): %.2fx IOPS, %.2fx p99, %.2fx CPU per I/O\n",
		       r[b].engine, r[a].iops / r[b].iops,
		       r[b].p99_us ? r[a].p99_us / r[b].p99_us : 0,
		       r[b].cpu_us_per_io ? r[a].cpu_us_per_io / r[b].cpu_us_per_io : 0);
	if (ceiling_iops(p) > 0)
		printf("device ceiling: %.0f IOPS (iodepth %u x jobs %u / %llu ns)\n",
		       ceiling_iops(p), p->iodepth, p->numjobs,
		       (unsigned long long)p->device_ns);
	for (unsigned int i = 0; i < n; i++)
		if (!p->direct && !p->cold && !strcmp(r[i].engine, "psync") &&
		    usable(&r[i]))
			printf("floor: psync does the copy in %.1f us of CPU per I/O\n",
			       r[i].cpu_us_per_io);
	fflush(stdout);
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		if ((unsigned char)*s >= 0x20)
			fputc(*s, f);
	}
	fputc('"', f);
}

void write_json(FILE *f, const struct params *p, const struct result *r, unsigned int n)
{
	int a, b;

	fprintf(f, "{\"name\":");
	json_string(f, p->name);
	fprintf(f, ",\"rw\":\"%s\",\"rwmixread\":%u,\"bs\":%u,\"cache\":\"%s\","
		"\"iodepth\":%u,\"numjobs\":%u,\"batch\":%u,\"size\":%llu,"
		"\"runtime\":%.3f,\"ios\":%llu,\"rounds\":%u,\"seed\":%llu,\"fdatasync_every\":%u,"
		"\"device_ns\":%llu,\"ceiling_iops\":%.0f,\"results\":[",
		rw_name(p->rw), p->rwmixread, p->bs, cache_name(p), p->iodepth,
		p->numjobs, p->batch, (unsigned long long)p->size, p->runtime,
		(unsigned long long)p->ios, p->rounds, (unsigned long long)p->seed,
		p->fsync_every, (unsigned long long)p->device_ns, ceiling_iops(p));
	for (unsigned int i = 0; i < n; i++) {
		const struct result *x = &r[i];

		fprintf(f, "%s{\"engine\":", i ? "," : "");
		json_string(f, x->engine);
		fprintf(f, ",\"fio\":%s,\"status\":\"%s\",\"note\":", x->fio ? "true" : "false",
			x->status);
		json_string(f, x->note);
		fprintf(f, ",\"iops\":%.1f,\"mbps\":%.2f,\"lat_us\":{\"p50\":%.1f,"
			"\"p99\":%.1f,\"p99.9\":%.1f},\"cpu_us_per_io\":%.2f,"
			"\"ctxsw_per_io\":%.3f,\"submit_ns_per_io\":%.0f,\"ios\":%llu,"
			"\"flushes\":%llu",
			x->iops, x->mbps, x->p50_us, x->p99_us, x->p999_us,
			x->cpu_us_per_io, x->ctxsw_per_io, x->submit_ns_per_io,
			(unsigned long long)x->ios, (unsigned long long)x->flushes);
		if (x->has_counters) {
			fprintf(f, ",\"acall\":{\"inline\":%llu,\"async\":%llu,\"punted\":%llu,"
				"\"workers_peak\":%u,\"punts\":{",
				(unsigned long long)x->ctr_inline,
				(unsigned long long)x->ctr_async,
				(unsigned long long)x->ctr_punted, x->ctr_workers_peak);
			for (unsigned int k = 0, first = 1; k < ACALL_PUNT_MAX; k++) {
				if (!x->ctr_punts[k] || !acall_punt_name(k))
					continue;
				fprintf(f, "%s\"%s\":%llu", first ? "" : ",",
					acall_punt_name(k),
					(unsigned long long)x->ctr_punts[k]);
				first = 0;
			}
			fprintf(f, "}}");
		}
		fputc('}', f);
	}
	fputc(']', f);
	headline(r, n, &a, &b);
	if (a >= 0 && b >= 0)
		fprintf(f, ",\"best_other\":\"%s\",\"acall_ratio\":%.3f", r[b].engine,
			r[a].iops / r[b].iops);
	fprintf(f, "}\n");
	fflush(f);
}

void write_tsv(FILE *f, const struct params *p, const struct result *r, unsigned int n)
{
	for (unsigned int i = 0; i < n; i++) {
		if (!usable(&r[i]))
			continue;
		fprintf(f, "%s\t%s\t%.1f\t%.1f\t%.1f\t%.2f\t%.3f\n", p->name,
			r[i].engine, r[i].iops, r[i].mbps, r[i].p99_us,
			r[i].cpu_us_per_io, r[i].ctxsw_per_io);
	}
	fflush(f);
}

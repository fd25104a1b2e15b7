/* SPDX-License-Identifier: GPL-2.0 */
/* System-wide CPU time and context switches, from /proc/stat. */
#ifndef ACALL_BENCH_SYSSTAT_H
#define ACALL_BENCH_SYSSTAT_H

#include <stdint.h>

struct sysstat {
	uint64_t busy_ticks;	/* every CPU, everything but idle and iowait */
	uint64_t ctxt;
};

int sysstat_read(struct sysstat *s);
/* CPU microseconds between two samples. */
double sysstat_busy_us(const struct sysstat *a, const struct sysstat *b);

#endif

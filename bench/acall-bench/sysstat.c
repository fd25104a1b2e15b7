// SPDX-License-Identifier: GPL-2.0
/*
 * System-wide, so that work done by kernel threads (workers, softirqs,
 * writeback) and by other threads of any engine is counted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "sysstat.h"

int sysstat_read(struct sysstat *s)
{
	unsigned long long v[10] = { 0 };
	char line[512];
	FILE *f = fopen("/proc/stat", "re");

	if (!f)
		return -errno;
	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "cpu ", 4) &&
		    sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu",
			   &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &v[6],
			   &v[7], &v[8], &v[9]) >= 8)
			/* user nice system [idle iowait] irq softirq steal */
			s->busy_ticks = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
		else if (sscanf(line, "ctxt %llu", &v[0]) == 1)
			s->ctxt = v[0];
	}
	fclose(f);
	return 0;
}

double sysstat_busy_us(const struct sysstat *a, const struct sysstat *b)
{
	return (double)(b->busy_ticks - a->busy_ticks) * 1e6 / sysconf(_SC_CLK_TCK);
}

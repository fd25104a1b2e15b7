#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The side-by-side summary of a benchmark run, from its results.tsv: per
# workload acall's IOPS next to the best other engine's, then how closely
# this tool agrees with fio on the engines both have.
#   bench-summary.sh RESULT-DIR
set -euo pipefail
tsv=${1:?result directory}/results.tsv

awk -F'\t' '
	$2 ~ /^fio / { fio[$1, substr($2, 5)] = $3; next }
	!($1 in seen) { seen[$1] = 1; order[++rows] = $1 }
	{ iops[$1, $2] = $3
	  if ($2 == "acall") acall[$1] = $3
	  else if ($3 > best[$1]) { best[$1] = $3; who[$1] = $2 } }
	END {
		printf "%-50s %-15s %9s %9s %7s\n", "workload", "best other", "IOPS",
		       "acall", "ratio"
		for (r = 1; r <= rows; r++) {
			w = order[r]
			if (w in acall) {
				printf "%-50s %-15s %9.0f %9.0f %6.2fx\n", w, who[w], best[w],
				       acall[w], acall[w] / best[w]
				n++; if (acall[w] > best[w]) ahead++
			} else {
				printf "%-50s %-15s %9.0f %9s %7s\n", w, who[w], best[w],
				       "-", "-"
			}
		}
		printf "acall ahead of every other engine on %d of %d workloads\n", ahead, n
		for (k in fio) {
			split(k, p, SUBSEP)
			if ((p[1], p[2]) in iops && fio[k] > 0) {
				# how far apart, whichever is higher: 1.00 = equal
				x = iops[p[1], p[2]] / fio[k]
				d = x > 1 ? x : 1 / x
				sum[p[2]] += d; cnt[p[2]]++
				if (d > worst[p[2]]) worst[p[2]] = d
			}
		}
		for (e in cnt)
			printf "fio cross-check, %s: tool and fio within %.2fx on average, %.2fx at worst (%d workloads)\n",
			       e, sum[e] / cnt[e], worst[e], cnt[e]
	}' "$tsv"

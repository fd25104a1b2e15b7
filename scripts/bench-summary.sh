#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The side-by-side summary of a benchmark run, from its results.tsv: per
# workload acall's IOPS next to the best of the engines QEMU offers
# (threads, libaio, io_uring) and of every other engine, then how closely
# this tool agrees with fio on the engines both have.
#   bench-summary.sh RESULT-DIR
set -euo pipefail
tsv=${1:?result directory}/results.tsv

awk -F'\t' '
	$2 ~ /^fio / { fio[$1, substr($2, 5)] = $3; next }
	!($1 in seen) { seen[$1] = 1; order[++rows] = $1 }
	{ iops[$1, $2] = $3
	  if ($2 == "acall") acall[$1] = $3
	  else {
		if ($3 > best[$1]) { best[$1] = $3; who[$1] = $2 }
		# What QEMU offers: aio=threads, aio=native, aio=io_uring.
		if ($2 ~ /^(threads|libaio|io_uring)$/ && $3 > qbest[$1]) {
			qbest[$1] = $3; qwho[$1] = $2
		}
	  } }
	END {
		printf "%-50s %-9s %8s %-15s %8s %8s %6s %6s\n", "workload",
		       "QEMU best", "IOPS", "best other", "IOPS", "acall",
		       "/QEMU", "/best"
		for (r = 1; r <= rows; r++) {
			w = order[r]
			a = (w in acall) ? sprintf("%8.0f", acall[w]) : sprintf("%8s", "-")
			qr = (w in acall && qbest[w] > 0) ? sprintf("%5.2fx", acall[w] / qbest[w]) : "    -"
			br = (w in acall && best[w] > 0) ? sprintf("%5.2fx", acall[w] / best[w]) : "    -"
			printf "%-50s %-9s %8.0f %-15s %8.0f %s %6s %6s\n", w,
			       qwho[w] == "" ? "-" : qwho[w], qbest[w], who[w], best[w],
			       a, qr, br
			if (w in acall) {
				n++
				if (acall[w] > best[w]) ahead++
				if (acall[w] >= qbest[w]) qahead++
			}
		}
		printf "acall at least level with the best of the engines QEMU offers (threads, libaio, io_uring) on %d of %d workloads\n", qahead, n
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

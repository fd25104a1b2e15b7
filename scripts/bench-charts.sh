#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PNG charts of a benchmark run, from its results.tsv, with gnuplot:
#   bench-charts.sh RESULT-DIR
#   iops-relative.png  each engine's IOPS over the best engine of the row
#   acall-ratio.png    acall's IOPS over the best other engine, per row
#   cpu-per-io.png     system-wide CPU microseconds per I/O (log scale)
#   p99.png            99th percentile completion latency (log scale)
# A run of more than 40 workloads (the full matrix) gets the first three for
# each group of workloads (file system and rw mode: ext4-randread-...png)
# and one acall-ratio.png of them all.
set -euo pipefail
dir=${1:?result directory}
command -v gnuplot > /dev/null || { echo "bench-charts: no gnuplot" >&2; exit 1; }

engines="psync threads threads-nowait libaio io_uring posixaio acall"

# pivot TSV COLUMN: one line per workload, one column per engine ("-" where
# none), then acall's IOPS over the best other engine's. COLUMN "rel" is
# IOPS made relative to the best engine of the row.
pivot() {
	local c=$2 rel=0
	[[ $2 == rel ]] && c=3 rel=1
	awk -F'\t' -v c="$c" -v rel="$rel" -v engines="$engines" '
		BEGIN { n = split(engines, e, " ") }
		$2 ~ /^fio / { next }
		!($1 in seen) { seen[$1] = 1; order[++rows] = $1 }
		{ v[$1, $2] = $c; iops[$1, $2] = $3
		  if ($2 != "acall" && $3 > best[$1]) best[$1] = $3
		  if ($3 > top[$1]) top[$1] = $3 }
		END {
			for (r = 1; r <= rows; r++) {
				w = order[r]; line = "\"" w "\""
				for (i = 1; i <= n; i++) {
					x = v[w, e[i]]
					if (x == "") x = "-"
					else if (rel) x = x / top[w]
					line = line "\t" x
				}
				a = iops[w, "acall"]
				line = line "\t" ((a != "" && best[w] > 0) ? a / best[w] : "-")
				print line
			}
		}' "$1"
}

# gp OUT WIDTH: gnuplot with the common settings, the rest on stdin.
gp() {
	{
		cat <<GNUPLOT
set terminal pngcairo size $2,640 font ",9" noenhanced
set output "$1"
set style data histogram
set style fill solid 0.9 border -1
set datafile missing "-"
set datafile separator "\t"
set xtics rotate by -35 scale 0
set bmargin 12
set rmargin 4
set grid ytics
GNUPLOT
		cat
	} | gnuplot 2> >(grep -vE "no valid points|empty y range" >&2)
}

width_for() {
	local w=$(($1 * $2 + 300))
	((w < 900)) && w=900
	((w > 16000)) && w=16000
	echo "$w"
}

# per_engine TSV PREFIX: the three per-engine charts of these workloads.
per_engine() {
	local tsv=$1 prefix=$2 rows width name title extra
	rows=$(awk -F'\t' '$2 !~ /^fio / && !s[$1]++' "$tsv" | wc -l)
	width=$(width_for "$rows" 90)
	pivot "$tsv" rel > "$dir/${prefix}iops.dat"
	pivot "$tsv" 6 > "$dir/${prefix}cpu.dat"
	pivot "$tsv" 5 > "$dir/${prefix}p99.dat"
	for chart in iops cpu p99; do
		case $chart in
		iops) name=iops-relative
		      title="IOPS relative to the best engine of each workload (1 = best)"
		      extra='set ylabel "IOPS / best"; set yrange [0:1.05]' ;;
		cpu)  name=cpu-per-io
		      title="CPU time per I/O, system-wide (lower is better)"
		      extra='set ylabel "microseconds"; set logscale y' ;;
		p99)  name=p99
		      title="99th percentile completion latency (lower is better)"
		      extra='set ylabel "microseconds"; set logscale y' ;;
		esac
		gp "$dir/$prefix$name.png" "$width" <<GNUPLOT
set title "$title"
set style histogram clustered gap 1
set boxwidth 0.9
set key outside right top
$extra
plot for [i=2:8] "$dir/${prefix}$chart.dat" using i:xtic(1) title word("$engines", i-1)
GNUPLOT
	done
}

tsv=$dir/results.tsv
rows=$(awk -F'\t' '$2 !~ /^fio / && !s[$1]++' "$tsv" | wc -l)
if ((rows <= 40)); then
	per_engine "$tsv" ""
else
	pivot "$tsv" rel > "$dir/iops.dat"
	# groups: the first two words of a workload's name
	for group in $(awk -F'\t' '{ split($1, w, " "); g = w[1] "-" w[2]; sub(/:$/, "", g)
			     if (!s[g]++) print g }' "$tsv"); do
		awk -F'\t' -v g="$group" '{ split($1, w, " "); x = w[1] "-" w[2]
			sub(/:$/, "", x); if (x == g) print }' "$tsv" > "$dir/$group.tsv"
		per_engine "$dir/$group.tsv" "$group-"
		rm -f "$dir/$group.tsv"
	done
fi
gp "$dir/acall-ratio.png" "$(width_for "$rows" 30)" <<GNUPLOT
set title "acall IOPS / best other engine (above 1: acall ahead)"
set key off
set boxwidth 0.8
plot "$dir/iops.dat" using 9:xtic(1) lc rgb "#3060c0", 1 with lines lc rgb "black"
GNUPLOT

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# PNG charts of a benchmark run, from its results.tsv, with gnuplot:
#   bench-charts.sh RESULT-DIR
#   iops-relative.png  each engine's IOPS over the best engine of the row
#   acall-ratio.png    acall's IOPS over the best other engine, per row
#   cpu-per-io.png     system-wide CPU microseconds per I/O (log scale)
#   p99.png            99th percentile completion latency (log scale)
set -euo pipefail
dir=${1:?result directory}
tsv=$dir/results.tsv
command -v gnuplot > /dev/null || { echo "bench-charts: no gnuplot" >&2; exit 1; }

engines="psync threads threads-nowait libaio io_uring posixaio acall"

rows=$(awk -F'\t' '$2 !~ /^fio / && !s[$1]++' "$tsv" | wc -l)
width=$((rows * 90 + 300)); ((width < 900)) && width=900; ((width > 16000)) && width=16000

# pivot_file COLUMN OUT: one line per workload, one column per engine ("-"
# where none), then acall's IOPS over the best other engine's. COLUMN "rel"
# is IOPS made relative to the best engine of the row.
pivot_file() {
	local col=$1 out=$2 c=$1 rel=0
	[[ $col == rel ]] && c=3 rel=1
	awk -F'\t' -v c="$c" -v rel="$rel" \
		-v engines="$engines" '
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
		}' "$tsv" > "$out"
}

pivot_file rel "$dir/iops.dat"
pivot_file 6 "$dir/cpu.dat"
pivot_file 5 "$dir/p99.dat"

plot() {
	local out=$1 data=$2 title=$3 ylabel=$4 extra=$5
	gnuplot 2> >(grep -v "no valid points" >&2) <<GNUPLOT
set terminal pngcairo size $width,600 font ",9" noenhanced
set output "$dir/$out"
set title "$title"
set ylabel "$ylabel"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set datafile missing "-"
set datafile separator "\t"
set xtics rotate by -35 scale 0
set bmargin 12
set rmargin 4
set key outside right top
set grid ytics
$extra
plot for [i=2:8] "$data" using i:xtic(1) title word("$engines", i-1)
GNUPLOT
}

plot iops-relative.png "$dir/iops.dat" \
	"IOPS relative to the best engine of each workload (1 = best)" "IOPS / best" \
	"set yrange [0:1.05]"
plot cpu-per-io.png "$dir/cpu.dat" "CPU time per I/O, system-wide (lower is better)" \
	"microseconds" "set logscale y"
plot p99.png "$dir/p99.dat" "99th percentile completion latency (lower is better)" \
	"microseconds" "set logscale y"
gnuplot <<GNUPLOT
set terminal pngcairo size $width,600 font ",9" noenhanced
set output "$dir/acall-ratio.png"
set title "acall IOPS / best other engine (above 1: acall ahead)"
set style data histogram
set style fill solid 0.9 border -1
set datafile missing "-"
set datafile separator "\t"
set xtics rotate by -35 scale 0
set bmargin 12
set rmargin 4
set grid ytics
set key off
plot "$dir/iops.dat" using 9:xtic(1) lc rgb "#3060c0", 1 with lines lc rgb "black"
GNUPLOT

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# QEMU's own benchmark on each of its aio modes, in one VM run:
#   qemu-bench.sh             build (or reuse) QEMU's tools with aio=acall,
#                             boot the 6.12 kernel, run bench/qemu-img-bench.sh
#                             in it, and report
#   qemu-bench.sh --report    only the report, again, from the results.tsv
#                             of the last run
# qemu-img bench drives a raw image on ext4 on null_blk with -i threads,
# native, io_uring and acall; O_DIRECT (-t none) and buffered (-t
# writeback), reads and writes, 4 KiB and 64 KiB, depths 1 and 32, and
# writes with a flush every 32 requests; two rounds.
# Results go to build/bench-results/qemu/: summary.txt (printed at the
# end), results.tsv (one line per run), results.json (one object per
# workload), iops-relative.png and acall-ratio.png, and the VM's
# console.log. ACALL_BENCH_KERNEL picks the kernel (default 6.12);
# ACALL_QEMU_BENCH_ENV passes VAR=VALUE words to the guest's script (ROUNDS,
# RUN_SECONDS, IMAGE_MB, DEVICE_NS: bench/qemu-img-bench.sh).
# Exit status: the VM run's (vm-run.sh), or 1 if no results came back.
set -euo pipefail
cd "$(dirname "$0")/.."

res=build/bench-results/qemu
engines=(threads native io_uring acall)

# results.tsv, one line per run after a header: workload, engine, round,
# rw, bs (bytes), cache, depth, flush_interval (0: none), requests,
# seconds, iops, mbps ("-" for the three where the run failed), note
# (qemu-img's message where it failed).

# summary: the side-by-side table, from results.tsv.
summary() {
	awk -F'\t' '
	NR == 1 { next }	# the header
	!($1 in seen) { seen[$1] = 1; order[++rows] = $1; bs[$1] = $5 }
	$3 > rounds { rounds = $3 }
	$11 != "-" { iops[$1, $2, $3] = $11; sum[$1, $2] += $11; cnt[$1, $2]++ }
	$11 == "-" && !(($2, $1) in noted) { noted[$2, $1] = 1; nfailed[$2]++
		if (!($2 in note)) { note[$2] = $13; first[$2] = $1 } }
	END {
		n = split("threads native io_uring", q, " ")
		printf "%-32s %8s %8s %8s %8s %10s  %-9s", "workload", "threads",
		       "native", "io_uring", "acall", "acall MB/s", "best of 3"
		for (r = 1; r <= rounds; r++) printf " %6s", "r" r
		printf " %6s\n", "lower"
		for (i = 1; i <= rows; i++) {
			w = order[i]; best = 0; who = "-"
			printf "%-32s", w
			for (j = 1; j <= n + 1; j++) {
				e = j <= n ? q[j] : "acall"
				m[e] = cnt[w, e] ? sum[w, e] / cnt[w, e] : -1
				printf " %8s", m[e] < 0 ? "-" : sprintf("%.0f", m[e])
				if (j <= n && m[e] > best) { best = m[e]; who = e }
			}
			mb = m["acall"] < 0 ? "-" : sprintf("%.1f", m["acall"] * bs[w] / 1e6)
			printf " %10s  %-9s", mb, who
			low = -1
			for (r = 1; r <= rounds; r++) {
				b = 0
				for (j = 1; j <= n; j++)
					if ((w, q[j], r) in iops && iops[w, q[j], r] > b)
						b = iops[w, q[j], r]
				if (b > 0 && (w, "acall", r) in iops) {
					x = iops[w, "acall", r] / b
					printf " %5.2fx", x
					if (low < 0 || x < low) low = x
				} else
					printf " %6s", "-"
			}
			printf " %6s\n", low < 0 ? "-" : sprintf("%5.2fx", low)
			if (low >= 0) { k++; if (low >= 1) level++ }
		}
		printf "IOPS: requests / seconds, the mean of %d rounds. rN: acall over the best of threads, native and io_uring in round N; lower: the lowest of the rounds.\n", rounds
		printf "acall level with or ahead of the best of threads, native and io_uring in every round on %d of %d workloads\n", level, k
		for (e in nfailed)
			printf "%s failed on %d workloads (the first: %s): %s\n", e,
			       nfailed[e], first[e], note[e]
	}' "$res/results.tsv"
}

# json: one object per workload, its parameters and each round's IOPS per
# engine (null where the run failed), acall's ratio per round and the lower.
json() {
	awk -F'\t' '
	NR == 1 { next }
	!($1 in seen) { seen[$1] = 1; order[++rows] = $1
		p[$1] = sprintf("\"rw\": \"%s\", \"bs\": %d, \"cache\": \"%s\", \"depth\": %d, \"flush_interval\": %d, \"requests\": %d",
				$4, $5, $6, $7, $8, $9) }
	$3 > rounds { rounds = $3 }
	{ v[$1, $2, $3] = $11 == "-" ? "null" : $11 }
	END {
		n = split("threads native io_uring acall", e, " ")
		print "["
		for (i = 1; i <= rows; i++) {
			w = order[i]
			printf "  {\"workload\": \"%s\", %s, \"rounds\": [", w, p[w]
			low = -1
			for (r = 1; r <= rounds; r++) {
				printf "%s{\"round\": %d, \"iops\": {", (r > 1 ? ", " : ""), r
				b = 0
				for (j = 1; j <= n; j++) {
					x = v[w, e[j], r]; if (x == "") x = "null"
					printf "%s\"%s\": %s", (j > 1 ? ", " : ""), e[j], x
					if (j < n && x != "null" && x + 0 > b) b = x + 0
				}
				a = v[w, "acall", r]
				ratio = (b > 0 && a != "" && a != "null") ? sprintf("%.3f", a / b) : "null"
				if (ratio != "null" && (low < 0 || ratio + 0 < low)) low = ratio + 0
				printf "}, \"acall_ratio\": %s}", ratio
			}
			printf "], \"acall_ratio_lower\": %s}%s\n",
			       (low < 0 ? "null" : sprintf("%.3f", low)), (i < rows ? "," : "")
		}
		print "]"
	}' "$res/results.tsv"
}

# charts: iops-relative.png (each engine's mean IOPS over the best
# engine's, per workload) and acall-ratio.png (acall over the best of
# threads, native and io_uring, per workload and round), with gnuplot.
charts() {
	command -v gnuplot > /dev/null || { echo "qemu-bench: no gnuplot, no charts" >&2; return 0; }
	awk -F'\t' '
	NR == 1 { next }
	!($1 in seen) { seen[$1] = 1; order[++rows] = $1 }
	$3 > rounds { rounds = $3 }
	$11 != "-" { sum[$1, $2] += $11; cnt[$1, $2]++; iops[$1, $2, $3] = $11 }
	END {
		n = split("threads native io_uring acall", e, " ")
		for (i = 1; i <= rows; i++) {
			w = order[i]; top = 0
			for (j = 1; j <= n; j++) {
				m[j] = cnt[w, e[j]] ? sum[w, e[j]] / cnt[w, e[j]] : -1
				if (m[j] > top) top = m[j]
			}
			line = "\"" w "\""
			for (j = 1; j <= n; j++)
				line = line "\t" (m[j] < 0 || top == 0 ? "-" : sprintf("%.3f", m[j] / top))
			for (r = 1; r <= rounds; r++) {
				b = 0
				for (j = 1; j < n; j++)
					if ((w, e[j], r) in iops && iops[w, e[j], r] > b) b = iops[w, e[j], r]
				x = b > 0 && (w, "acall", r) in iops ? sprintf("%.3f", iops[w, "acall", r] / b) : "-"
				line = line "\t" x
			}
			print line
		}
	}' "$res/results.tsv" > "$res/chart.dat"
	local width rows rounds
	rows=$(wc -l < "$res/chart.dat")
	rounds=$(awk -F'\t' 'NR > 1 && $3 > r { r = $3 } END { print r + 0 }' "$res/results.tsv")
	width=$((rows * 60 + 300))
	((width < 900)) && width=900
	gp() {
		{
			cat <<GNUPLOT
set terminal pngcairo size $width,640 font ",9" noenhanced
set output "$1"
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.9 border -1
set boxwidth 0.9
set datafile missing "-"
set datafile separator "\t"
set xtics rotate by -35 scale 0
set bmargin 10
set rmargin 14
set grid ytics
set key outside right top
GNUPLOT
			cat
		} | gnuplot 2> >(grep -vE "no valid points|empty y range" >&2)
	}
	gp "$res/iops-relative.png" <<GNUPLOT
set title "qemu-img bench: IOPS relative to the best aio mode of each workload (1 = best; mean of the rounds)"
set ylabel "IOPS / best"
set yrange [0:1.05]
plot for [i=2:5] "$res/chart.dat" using i:xtic(1) title word("${engines[*]}", i-1)
GNUPLOT
	gp "$res/acall-ratio.png" <<GNUPLOT
set title "qemu-img bench: aio=acall IOPS / best of threads, native, io_uring (above 1: acall ahead)"
set ylabel "acall / best"
set yrange [0:*]
plot for [r=1:$rounds] "$res/chart.dat" using (column(5 + r)):xtic(1) title sprintf("round %d", r), \
     1 with lines lc rgb "black" notitle
GNUPLOT
	rm -f "$res/chart.dat"
}

report() {
	summary > "$res/summary.txt"
	json > "$res/results.json"
	charts
	echo
	echo "=== qemu-img bench: QEMU's aio modes side by side"
	cat "$res/summary.txt"
	echo
	echo "qemu-bench: results in $res: summary.txt results.tsv results.json *.png console.log"
}

case ${1:-} in
--report)
	[[ -s $res/results.tsv ]] || { echo "qemu-bench: no $res/results.tsv" >&2; exit 1; }
	report
	exit 0 ;;
'') ;;
*) sed -n '3,9s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
esac

# Installs the kernels the next line looks for, on a fresh machine.
scripts/setup.sh
eval "$(scripts/kernels.sh env "${ACALL_BENCH_KERNEL:-6.12}")"
make -s module KDIR="$KDIR"
make -s lib
qbin=$(scripts/qemu-build.sh)

rm -rf "$res"
mkdir -p "$res"
echo "qemu-bench: qemu-img bench in a VM (TCG: compare aio modes, not absolute figures)"
start=$SECONDS
status=0
# Word splitting wanted: VAR=VALUE words for the guest's command line.
# shellcheck disable=SC2206
guest_env=(${ACALL_QEMU_BENCH_ENV:-})
scripts/vm-run.sh --kernel "$KIMAGE" --moddir "$KMODDIR" --mem 1G \
	--timeout "${ACALL_VM_TIMEOUT:-2400}" --log "$res/console.log" \
	--payload "build/kmod/$KREL/acall.ko=/acall/acall.ko" \
	--payload build/lib=/acall/lib \
	--payload "$qbin=/acall/qemu" \
	--payload bench/qemu-img-bench.sh=/acall/qemu-img-bench.sh \
	--payload /sbin/mke2fs=/sbin/mke2fs \
	--payload /etc/mke2fs.conf=/etc/mke2fs.conf \
	-- "${guest_env[*]} sh qemu-img-bench.sh" |
	awk '/^qemu-bench: begin /{skip=1} !skip && !/^\[ *[0-9]+\.[0-9]+\] /{print; fflush()} /^qemu-bench: end /{skip=0}' ||
	status=$?
echo "qemu-bench: the VM run took $((SECONDS - start)) s"

# The guest printed its runs between marker lines (kernel messages that
# landed in between are dropped); IOPS and MB/s are computed here.
{
	printf 'workload\tengine\tround\trw\tbs\tcache\tdepth\tflush_interval\trequests\tseconds\tiops\tmbps\tnote\n'
	sed -n '/^qemu-bench: begin results.tsv$/,/^qemu-bench: end results.tsv$/p' "$res/console.log" |
		sed '1d;$d' | grep -vE '^\[ *[0-9]+\.[0-9]+\] ' |
		awk -F'\t' -v OFS='\t' '{
			ok = $10 != "-" && $10 > 0
			iops = ok ? sprintf("%.0f", $9 / $10) : "-"
			mbps = ok ? sprintf("%.2f", $9 * $3 / $10 / 1e6) : "-"
			print $1, $7, $8, $2, $3, $4, $5, $6, $9, $10, iops, mbps, $11 }'
} > "$res/results.tsv"

if (($(wc -l < "$res/results.tsv") < 2)); then
	echo "qemu-bench: no results came back (status $status); see $res/console.log" >&2
	exit $((status ? status : 1))
fi
report
exit "$status"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# fio's source, configured, for building acall's fio engine against the
# installed fio (make fio-engine):
#   fio-source.sh        prints the directory of the configured tree
# The tree is Debian's source package of the installed fio version, fetched
# with "apt-get source" and configured (./configure, for config-host.h, and
# FIO-VERSION-GEN; fio itself is not built). It is kept in
# ${ACALL_CACHE:-/var/cache/acall}/fio-src-VERSION and reused; a new fio
# version gets a tree of its own.
#
# Source packages come from the apt sources this machine already uses: the
# entry that serves the installed fio (apt-cache madison) is copied as a
# deb-src entry into a private apt configuration, whose index lives and
# dies in a scratch directory. The machine's own apt configuration and
# lists are left as they are. Needs dpkg-dev (dpkg-source) and the network
# the first time.
set -euo pipefail

cache=${ACALL_CACHE:-/var/cache/acall}
say() { echo "fio-source: $*" >&2; }
die() { say "$*"; exit 1; }

ver=$(dpkg-query -W -f='${Status} ${Version}' fio 2>/dev/null |
      sed -n 's/^install ok installed //p')
[[ -n $ver ]] || die "fio is not installed (scripts/setup.sh installs it)"
dir=$cache/fio-src-$ver

ready() { [[ -f $dir/config-host.h && -f $dir/FIO-VERSION-FILE ]]; }
if ready; then
	echo "$dir"
	exit 0
fi

command -v dpkg-source >/dev/null ||
	die "dpkg-source is missing: install dpkg-dev (scripts/setup.sh does)"
mkdir -p "$cache"
# One fetch at a time; whoever waited finds the tree ready.
exec 9>"$cache/fio-src.lock"
flock 9
if ready; then
	echo "$dir"
	exit 0
fi

start=$SECONDS
work=$(mktemp -d "$cache/fio-src-$ver.XXXXXX")
trap 'rm -rf "$work"' EXIT
apt=$work/apt
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
: > "$apt/sources.list"

# Where the installed version comes from: "URI SUITE/COMPONENT" (the
# madison line: "fio | VERSION | URI SUITE/COMPONENT ARCH Packages").
origin=$(apt-cache madison fio |
	 awk -F'|' -v v="$ver" '{ gsub(/^[ \t]+|[ \t]+$/, "", $2) }
		$2 == v { split($3, a, " "); print a[1], a[2]; exit }')
[[ -n $origin ]] || die "fio $ver is in none of this machine's apt sources"
read -r uri dist <<<"$origin"
uri=${uri%/}
suite=${dist%%/*}
comp=${dist#*/}
[[ $comp != "$dist" ]] || comp=

# The machine's entry for that URI and suite, made a deb-src entry for that
# component alone, options (Signed-By, ...) kept. One-line entries first.
shopt -s nullglob
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
	[[ -r $f ]] || continue
	awk -v uri="$uri" -v suite="$suite" -v comp="$comp" '
		{ sub(/#.*/, "") }
		$1 != "deb" { next }
		{
			i = 2; opts = ""
			if ($2 ~ /^\[/) {
				while (i <= NF && $i !~ /\]$/) { opts = opts " " $i; i++ }
				opts = opts " " $i; i++
			}
			u = $i; sub(/\/$/, "", u)
			if (u != uri || $(i + 1) != suite) next
			print "deb-src" opts, uri, suite, comp
		}' "$f" >> "$apt/sources.list"
done
# Then deb822 stanzas: fields as they are (continuation lines too), but
# Types, URIs, Suites and Components (and Enabled) for this one source.
for f in /etc/apt/sources.list.d/*.sources; do
	[[ -r $f ]] || continue
	awk -v uri="$uri" -v suite="$suite" -v comp="$comp" '
		function has(list, want, n, a, i, x) {
			n = split(list, a, /[ \t]+/)
			for (i = 1; i <= n; i++) {
				x = a[i]; sub(/\/$/, "", x)
				if (x == want) return 1
			}
			return 0
		}
		function flush() {
			if (nf && has(types, "deb") && has(uris, uri) &&
			    has(suites, suite) && tolower(enabled) != "no") {
				print "Types: deb-src"
				print "URIs: " uri
				print "Suites: " suite
				if (comp != "") print "Components: " comp
				printf "%s", keep
				print ""
			}
			nf = 0; keep = ""; types = uris = suites = enabled = ""
			field = ""
		}
		/^#/ { next }
		/^[ \t]*$/ { flush(); next }
		/^[ \t]/ { if (field == "keep") keep = keep $0 "\n"; next }
		{
			nf++
			name = tolower(substr($0, 1, index($0, ":") - 1))
			value = substr($0, index($0, ":") + 1)
			sub(/^[ \t]+/, "", value)
			field = ""
			if (name == "types") types = value
			else if (name == "uris") uris = value
			else if (name == "suites") suites = value
			else if (name == "enabled") enabled = value
			else if (name != "components") { field = "keep"; keep = keep $0 "\n" }
		}
		END { flush() }' "$f" >> "$apt/sources.list.d/fio-src.sources"
done
if [[ ! -s $apt/sources.list && ! -s $apt/sources.list.d/fio-src.sources ]]; then
	die "no apt entry for $uri $suite to derive a deb-src entry from"
fi

aptopts=(-q -o "Dir::Etc::SourceList=$apt/sources.list"
	 -o "Dir::Etc::SourceParts=$apt/sources.list.d"
	 -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	 -o APT::Sandbox::User=root)
say "fetching fio $ver's source package from $uri $suite"
apt-get "${aptopts[@]}" update > "$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; die "apt-get update failed"; }
(cd "$work" && apt-get "${aptopts[@]}" source "fio=$ver") >> "$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; die "apt-get source fio=$ver failed"; }

tree=$(find "$work" -mindepth 2 -maxdepth 2 -name FIO-VERSION-GEN -printf '%h\n' | head -n 1)
[[ -n $tree ]] || die "no fio tree in what apt-get source unpacked"

# Only what the engine's build reads: config-host.h and FIO-VERSION-FILE.
# Which optional libraries configure finds here changes no structure the
# engine uses (those #ifdefs sit at their structures' ends, or in unions
# the engine does not touch).
say "configuring fio $ver"
(cd "$tree" && ./configure --disable-native --prefix=/usr &&
 ./FIO-VERSION-GEN) > "$tree/acall-configure.log" 2>&1 ||
	{ tail -n 20 "$tree/acall-configure.log" >&2; die "fio's configure failed"; }
built=$(sed -n 's/^FIO_VERSION = //p' "$tree/FIO-VERSION-FILE")
running=$(fio --version 2>/dev/null || true)
if [[ $built != "$running" ]]; then
	say "warning: the source says $built, the installed fio says $running"
fi

rm -rf "$dir"
mv "$tree" "$dir"
say "fio $ver's source configured in $dir ($((SECONDS - start)) s)"
echo "$dir"

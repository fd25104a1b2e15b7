#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch and unpack the Debian source package an installed binary package
# was built from:
#   apt-source.sh BINARY-PACKAGE DESTDIR
# Unpacks into a new directory under DESTDIR (which must exist) and prints
# that tree's path. The source is the installed version's (dpkg's
# source:Version), with Debian's patches applied by dpkg-source.
#
# Source packages come from the apt sources this machine already uses: the
# entry that serves the installed binary package (apt-cache madison) is
# copied as a deb-src entry into a private apt configuration whose index
# lives and dies in a scratch directory under DESTDIR. The machine's own
# apt configuration and lists are left as they are; no archive address is
# written anywhere but that scratch directory. Needs dpkg-dev (dpkg-source)
# and the network.
set -euo pipefail

say() { echo "apt-source: $*" >&2; }
die() { say "$*"; exit 1; }

bin=${1:?binary package}
dest=${2:?destination directory}
[[ -d $dest ]] || die "$dest is not a directory"

read -r ver src srcver < <(dpkg-query -W \
	-f='${Status} ${Version} ${source:Package} ${source:Version}\n' "$bin" \
	2>/dev/null | sed -n 's/^install ok installed //p') || true
[[ -n ${srcver:-} ]] || die "$bin is not installed"
command -v dpkg-source >/dev/null ||
	die "dpkg-source is missing: install dpkg-dev (scripts/setup.sh does)"

work=$(mktemp -d "$dest/apt-source.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
apt=$work/apt
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
: > "$apt/sources.list"

# Where the installed version comes from: "URI SUITE/COMPONENT" (the
# madison line: "PKG | VERSION | URI SUITE/COMPONENT ARCH Packages").
origin=$(apt-cache madison "$bin" |
	 awk -F'|' -v v="$ver" '{ gsub(/^[ \t]+|[ \t]+$/, "", $2) }
		$2 == v { split($3, a, " "); print a[1], a[2]; exit }')
[[ -n $origin ]] || die "$bin $ver is in none of this machine's apt sources"
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
# Then deb822 stanzas: their other fields kept (continuation lines too),
# Types, URIs, Suites and Components for this one source.
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
		END { flush() }' "$f" >> "$apt/sources.list.d/src.sources"
done
if [[ ! -s $apt/sources.list && ! -s $apt/sources.list.d/src.sources ]]; then
	die "no apt entry for $uri $suite to derive a deb-src entry from"
fi

aptopts=(-q -o "Dir::Etc::SourceList=$apt/sources.list"
	 -o "Dir::Etc::SourceParts=$apt/sources.list.d"
	 -o "Dir::State::Lists=$apt/lists" -o "Dir::Cache=$apt/cache"
	 -o APT::Sandbox::User=root)
say "fetching $src $srcver (the source of $bin $ver) from $uri $suite"
apt-get "${aptopts[@]}" update > "$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; die "apt-get update failed"; }
(cd "$work" && apt-get "${aptopts[@]}" source "$src=$srcver") >> "$work/apt.log" 2>&1 ||
	{ cat "$work/apt.log" >&2; die "apt-get source $src=$srcver failed"; }

# dpkg-source unpacked one tree next to the downloaded files; keep the
# tree, drop the rest.
tree=$(find "$work" -mindepth 2 -maxdepth 2 -name debian -type d -printf '%h\n' | head -n 1)
[[ -n $tree ]] || die "no source tree in what apt-get source unpacked"
out=$(mktemp -d "$dest/$src-src.XXXXXX")
rmdir "$out"
mv "$tree" "$out"
echo "$out"

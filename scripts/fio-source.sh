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
# The source package comes through scripts/apt-source.sh, from the apt
# sources this machine already uses, leaving its apt configuration and
# lists as they are. Needs dpkg-dev (dpkg-source) and the network the
# first time.
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
tree=$("$(dirname "$0")/apt-source.sh" fio "$work")
[[ -f $tree/FIO-VERSION-GEN ]] || die "no fio tree in what apt-get source unpacked"

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

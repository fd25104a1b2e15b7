#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Copy the kernel modules tests use into an initramfs:
#   vm-modules.sh MODDIR ROOT
# MODDIR is a kernel's /lib/modules/<release>. Each wanted module and its
# dependencies land decompressed in ROOT/lib/modules/acall/, and
# ROOT/etc/acall-modules/NAME lists, in load order, what NAME needs (empty
# when NAME is built in). A wanted module the kernel lacks gets no list.
set -euo pipefail

moddir=${1:?module directory}
root=${2:?initramfs root}

wanted=(configfs null_blk brd loop ext4 xfs)

# Dependencies modules.dep does not show: the checksum the filesystems ask
# the crypto API for by name.
declare -A softdep=([ext4]=crc32c_generic [xfs]=crc32c_generic)

declare -A path deps
while IFS= read -r line; do
	mod=${line%%:*}
	name=$(basename "$mod"); name=${name%%.ko*}; name=${name//-/_}
	path[$name]=$mod
	deps[$name]=${line#*:}
done < "$moddir/modules.dep"

modname() { local n; n=$(basename "$1"); n=${n%%.ko*}; echo "${n//-/_}"; }

mkdir -p "$root/lib/modules/acall" "$root/etc/acall-modules"

copy_module() {
	local name=$1 src=$moddir/${path[$1]} dst=$root/lib/modules/acall/$1.ko
	[[ -e $dst ]] && return
	"$(dirname "$0")/ko-plain.sh" "$src" "$dst"
}

# Built into this kernel: nothing to load (an empty list says so).
declare -A builtin
if [[ -e $moddir/modules.builtin ]]; then
	while IFS= read -r mod; do
		builtin[$(modname "$mod")]=1
	done < "$moddir/modules.builtin"
fi

for want in "${wanted[@]}"; do
	if [[ -n ${builtin[$want]:-} ]]; then
		: > "$root/etc/acall-modules/$want"
		continue
	fi
	[[ -n ${path[$want]:-} ]] || continue
	order=()
	if [[ -n ${softdep[$want]:-} && -n ${path[${softdep[$want]}]:-} ]]; then
		order+=("${softdep[$want]}")
	fi
	# modules.dep lists every transitive dependency, the one to load
	# first last.
	read -ra dlist <<<"${deps[$want]}"
	for ((i = ${#dlist[@]} - 1; i >= 0; i--)); do
		order+=("$(modname "${dlist[i]}")")
	done
	order+=("$want")
	for m in "${order[@]}"; do
		copy_module "$m"
	done
	printf '%s\n' "${order[@]}" > "$root/etc/acall-modules/$want"
done

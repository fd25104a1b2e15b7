# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
# Sourced by hotread-compare.sh and bench-compare.sh: the modules of
# several commits, side by side in one VM.
#   compare_modules COMMIT...
# builds each commit's module for $KDIR/$KREL in a worktree under
# build/compare/ (removed once built) and sets payloads (vm-run.sh options
# placing them at /acall/modules/SHA.ko) and names (the short hashes).
#   compare_vm_run GUEST-COMMAND
# boots $KIMAGE with those modules, the library, the benchmark tools and
# mke2fs, runs GUEST-COMMAND and prints its output without kernel messages.
compare_modules() {
	local out=build/compare commit sha tree

	mkdir -p "$out"
	payloads=() names=()
	for commit in "$@"; do
		sha=$(git rev-parse --short "$commit^{commit}")
		tree=$out/tree-$sha
		git worktree remove --force "$tree" 2>/dev/null || rm -rf "$tree"
		git worktree add -f --detach "$tree" "$sha" >/dev/null
		make -s -C "$tree" module KDIR="$KDIR"
		cp "$tree/build/kmod/$KREL/acall.ko" "$out/$sha.ko"
		git worktree remove --force "$tree"
		payloads+=(--payload "$out/$sha.ko=/acall/modules/$sha.ko")
		names+=("$sha")
	done
}

compare_vm_run() {
	scripts/vm-run.sh --kernel "$KIMAGE" --moddir "$KMODDIR" --mem 2G \
		--timeout 3600 "${payloads[@]}" \
		--payload build/lib=/acall/lib --payload build/bench=/acall/bench \
		--payload /sbin/mke2fs=/sbin/mke2fs \
		--payload /etc/mke2fs.conf=/etc/mke2fs.conf \
		-- "$1" | grep -v '^\[ *[0-9]*\.[0-9]*\] '
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot a kernel in QEMU, run one command inside it, and exit with that
# command's status.
#
#   vm-run.sh --kernel IMAGE --moddir DIR [options] -- COMMAND...
#
#   --kernel IMAGE     kernel to boot (bzImage / vmlinuz)
#   --moddir DIR       that kernel's /lib/modules/<release> (for null_blk,
#                      brd, ext4, xfs and their dependencies)
#   --payload SRC=DST  copy file or directory SRC to DST in the guest
#                      (repeatable); ELF files get their shared libraries
#   --timeout SECONDS  give up on a hung guest after this long (default 900)
#   --mem SIZE         guest memory (default 1G)
#   --smp N            guest CPUs (default 2)
#   --log FILE         also write the console to FILE, then what spoiled
#                      boots said and the verdict (below)
#   --append PARAMS    more kernel parameters
#   --numa             two NUMA nodes, each with half the CPUs and memory
#
# The initramfs holds busybox, the kernel modules tests want (loaded in the
# guest with "acall-modprobe NAME [PARAM=VALUE...]") and the payloads.
# The command runs from /acall with a shell. The console streams to stdout.
#
# Exit status: the command's, unless the guest kernel reported a problem
# (WARN, BUG, Oops, KASAN, lockdep, hung task, kmemleak, new taint): 97;
# the guest hung past --timeout: 98; the guest died without reporting
# (panic, crash): 99; bad usage or set-up: 2.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
cache=${ACALL_CACHE:-/var/cache/acall}

kernel= moddir= timeout=900 mem=1G smp=2 log= append= numa=
payloads=()
while (($#)); do
	case $1 in
	--kernel)	kernel=$2; shift 2 ;;
	--moddir)	moddir=$2; shift 2 ;;
	--payload)	payloads+=("$2"); shift 2 ;;
	--timeout)	timeout=$2; shift 2 ;;
	--mem)		mem=$2; shift 2 ;;
	--smp)		smp=$2; shift 2 ;;
	--log)		log=$2; shift 2 ;;
	--append)	append=$2; shift 2 ;;
	--numa)		numa=1; shift ;;
	--)		shift; break ;;
	*)		echo "vm-run: unknown option $1" >&2; exit 2 ;;
	esac
done
command=$*
if [[ -z $kernel || -z $moddir || -z $command ]]; then
	sed -n '3,28s/^# \{0,1\}//p' "$0" >&2
	exit 2
fi
[[ -r $kernel ]] || { echo "vm-run: cannot read kernel $kernel" >&2; exit 2; }
[[ -d $moddir ]] || { echo "vm-run: no module directory $moddir" >&2; exit 2; }

# Two NUMA nodes: CPUs 0..smp/2-1 and their half of memory on node 0.
# Each node a socket of its own: cores of one socket share a last-level
# cache, which the kernel warns about across nodes.
smp_args=$smp
numa_args=()
if [[ -n $numa ]]; then
	case $mem in
	*G)	mib=$((${mem%G} * 1024)) ;;
	*M)	mib=${mem%M} ;;
	*)	echo "vm-run: --numa needs --mem in M or G" >&2; exit 2 ;;
	esac
	if ((smp < 2 || smp % 2)); then
		echo "vm-run: --numa needs an even --smp" >&2
		exit 2
	fi
	smp_args="$smp,sockets=2,cores=$((smp / 2)),threads=1"
	cpus() { (($1 == $2)) && echo "$1" || echo "$1-$2"; }
	numa_args=(-object "memory-backend-ram,id=m0,size=$((mib / 2))M"
		   -object "memory-backend-ram,id=m1,size=$((mib - mib / 2))M"
		   -numa "node,nodeid=0,cpus=$(cpus 0 $((smp / 2 - 1))),memdev=m0"
		   -numa "node,nodeid=1,cpus=$(cpus $((smp / 2)) $((smp - 1))),memdev=m1")
fi

work=$(mktemp -d /tmp/acall-vm.XXXXXX)
trap 'rm -rf "$work"' EXIT
root=$work/root

# ---- the initramfs --------------------------------------------------------

mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,run,mnt,acall,usr/bin,usr/sbin}
cp /bin/busybox "$root/bin/busybox"

# Shared libraries of an ELF file, copied to the same paths in the guest.
copy_libs() {
	local lib
	for lib in $(ldd "$1" 2>/dev/null | grep -o '/[^ ]*' || true); do
		case $lib in
		/lib/*|/lib64/*|/usr/lib/*) ;;
		*) continue ;;	# the payload's own libraries travel with it
		esac
		[[ -e $root$lib ]] && continue
		mkdir -p "$root$(dirname "$lib")"
		cp -L "$lib" "$root$lib"
	done
}

for p in "${payloads[@]}"; do
	src=${p%%=*} dst=${p#*=}
	[[ -e $src ]] || { echo "vm-run: payload $src missing" >&2; exit 2; }
	mkdir -p "$root$(dirname "$dst")"
	cp -rL "$src" "$root$dst"
	while IFS= read -r f; do
		if head -c 4 "$f" | grep -q 'ELF'; then
			copy_libs "$f"
		fi
	done < <(find "$root$dst" -type f)
done

# Kernel modules: each wanted module with its dependencies, decompressed
# (busybox insmod takes plain .ko), and for each an ordered load list.
"$here/vm-modules.sh" "$moddir" "$root"

cat > "$root/etc/acall-command" <<<"$command"
cp "$here/vm-init.sh" "$root/init"
chmod 755 "$root/init"

(cd "$root" && find . | cpio -o -H newc --quiet) > "$work/initramfs.cpio"

# ---- the accelerator ------------------------------------------------------

# KVM only where a short boot shows it works: on some hosts /dev/kvm exists
# but hangs every guest. The answer is kept for the host's current boot.
accel=${ACALL_ACCEL:-}
if [[ -z $accel ]]; then
	accel=tcg
	if [[ -w /dev/kvm ]]; then
		mkdir -p "$cache"
		probe=$cache/kvm-probe.$(cat /proc/sys/kernel/random/boot_id)
		if [[ ! -e $probe ]]; then
			"$here/kvm-probe.sh" "$kernel" > "$probe" || true
		fi
		accel=$(cat "$probe")
	fi
fi
# Under TCG, every feature QEMU can emulate except 5-level paging, which
# real hosts rarely use and early KASAN boots trip over.
[[ $accel == kvm ]] && cpu=host || cpu=max,la57=off

# ---- boot -----------------------------------------------------------------

# Kernel messages on the console carry a timestamp; the guest's own report of
# its kernel log (vm-init.sh) is prefixed "vm-init: kernel:".
splat='WARNING:|BUG:|Oops|Kernel panic|kernel BUG at|general protection fault|UBSAN:|INFO: task .* blocked|possible (circular|recursive) locking|inconsistent lock state|suspicious RCU usage|unreferenced object|Call Trace:|new taint'
# An OOM kill, which tests provoke on purpose in a memory cgroup, is no
# complaint: the Call Trace of its report (from "invoked oom-killer" to the
# kill) is not counted. Anything else in it still is.
kernel_reports() {
	grep -E "^(\[ *[0-9]+\.[0-9]+\] |vm-init: kernel: )" "$1" |
		awk '/invoked oom-killer:/ { oom = 1 }
		     !(oom && /Call Trace:/) { print }
		     /oom-kill:constraint=|Killed process [0-9]+/ { oom = 0 }' |
		grep -E "$splat${2:+|$2}" || true
}
# kernel_reports_quoted FILE: the same with each report's kernel-mode RIP
# (where the kernel was) in place, each line once (vm-init.sh repeats
# the console's).
kernel_reports_quoted() {
	kernel_reports "$1" '\] RIP: 0010:' |
		awk '{ k = $0; sub(/^vm-init: kernel: /, "", k) } !seen[k]++'
}

console=$work/console.log
boot() {
	echo "vm-run: booting $(basename "$kernel") ($accel, $smp CPUs, $mem)" >&2
	set +e
	timeout --foreground -k 10 "$timeout" \
		qemu-system-x86_64 -accel "$accel" -cpu "$cpu" -m "$mem" -smp "$smp_args" \
			"${numa_args[@]}" \
			-bios qboot.rom -nographic -no-reboot -nic none -monitor none \
			-serial stdio -kernel "$kernel" -initrd "$work/initramfs.cpio" \
			-append "console=ttyS0 loglevel=5 log_buf_len=4M panic=-1 oops=panic softlockup_panic=0 printk.time=1 kasan.fault=report${append:+ $append}" \
		< /dev/null 2>&1 | tr -d '\r' | tee "$console"
	qemu_status=${PIPESTATUS[0]}
	set -e
}

# A complaint of the kernel's own boot, before /init ran anything of ours,
# says nothing about acall but spoils the run (KASAN turns lockdep off),
# and so does an oops that ends the boot there: under TCG, a CPU can run
# code the kernel has just patched (a static key flipped at boot) in its
# old form and die on a stray int3 (one boot in fifteen, the host busy).
# Boot again, twice at most, and say so. A hung guest is not booted again,
# and what happens once /init runs is the run's own.
rebooted=
for attempt in 1 2 3; do
	boot
	early=$(sed '/^vm-init: /q' "$console" > "$work/early.log"; kernel_reports "$work/early.log")
	[[ -n $early && $qemu_status != 124 && $qemu_status != 137 ]] && ((attempt < 3)) || break
	said=$({ echo "the kernel complained while booting, before any test ran; booting again:"
		 kernel_reports_quoted "$work/early.log" | head -n 5 || true
	       } | sed 's/^/vm-run: /')
	echo "$said" >&2
	rebooted+=$said$'\n'
done
if [[ -n $log ]] && ! cp "$console" "$log"; then
	echo "vm-run: cannot write $log" >&2
	log=
fi

# ---- verdict --------------------------------------------------------------

reports=$(kernel_reports "$console")
status=$(sed -n 's/^vm-init: exit status \([0-9]*\)$/\1/p' "$console" | tail -n 1)

# The verdict goes to stderr and to the end of the log, where check.sh's
# summary finds it (the end of a CI log is often all anyone sees), after
# what the spoiled boots before this one said. A log that cannot be
# written does not change the exit status.
if [[ -n $log && -n $rebooted ]]; then
	printf '%s' "$rebooted" >> "$log" || true
fi
verdict() {
	sed 's/^/vm-run: /' | if [[ -n $log ]]; then
		tee -a "$log" >&2 || true
	else
		cat >&2
	fi
}
if [[ $qemu_status == 124 || $qemu_status == 137 ]]; then
	echo "FAIL: the guest hung: no end after ${timeout}s" | verdict
	exit 98
fi
if [[ -n $reports ]]; then
	quoted=$(kernel_reports_quoted "$console")
	{ echo "FAIL: the guest kernel reported a problem:"
	  head -n 20 <<<"$quoted"
	} | verdict
	exit 97
fi
if [[ -z $status ]]; then
	echo "FAIL: the guest died without reporting (panic or crash)" | verdict
	exit 99
fi
exit "$status"

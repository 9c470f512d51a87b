#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh SCRIPT [ARGS...]: boot Debian's stock kernel under QEMU with this
# machine's own root as the guest's userspace, run SCRIPT (a path inside
# this repository) there as root, and exit with its status.
# vm.sh --fetch: only fetch the guest's kernel and modules into the cache.
#
# The run fails, whatever SCRIPT says, when the kernel log has a line of a
# BUG (SLUB's object reports included), WARNING, Oops, panic, call trace,
# RCU stall, soft or hard lockup, hung task, list corruption (DEBUG_LIST),
# usercopy or FORTIFY overflow, stack protector, or of a sanitizer (KASAN,
# UBSAN, KFENCE, lockdep: Debian's kernel has none of them, a kernel given
# by L4LB_KVER may), or when the kernel gained a taint other than
# out-of-tree (4096) and unsigned (8192).
#
#   host /  --9p, read-only-->  guest /      (tools, libraries)
#   repo    --9p, read-write->  guest repo   (module, tests, results)
#   cache   ----------------->  guest /lib/modules (the image's modules)
#
# The guest kernel runs with slub_debug=FZPU and init_on_free=1: a use
# after free or an overrun of a slab object shows in its log. Benchmarks
# set L4LB_GUEST_NODEBUG=1: without them, as a production kernel runs
# (they make every allocation and free many times dearer).
#
# L4LB_BOOT_LIMIT (seconds, default 240): a guest that has not started the
# script by then is stopped and booted once more.
# L4LB_GUEST_TIMEOUT (seconds, default 900) bounds the whole boot, and the
# script gets 100 s less; L4LB_GUEST_CMDLINE is added to the guest
# kernel's command line. L4LB_GUEST_ICOUNT=1 runs the guest under QEMU's
# icount (one vCPU): its clock then advances a nanosecond per instruction
# executed, so a time measured in it is an instruction count, whatever the
# host is doing (tests/bench/).

set -euo pipefail
. "$(dirname "$0")/../lib/common.sh"

[ $# -ge 1 ] || die "usage: vm.sh SCRIPT [ARGS...] | --fetch"
[ "$(id -u)" = 0 ] || die "vm.sh runs as root (it shares / with the guest)"

kver=$(l4lb_kver)
[ -n "$kver" ] || die "linux-headers-amd64 is not installed"
gdir=$L4LB_CACHE/guest/$kver

# The boot modules the initramfs needs to mount the 9p shares, in order.
boot_mods="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev
virtio_pci netfs fscache 9pnet 9pnet_virtio 9p"

fetch_kernel() {
	local tmp

	[ -f "$gdir/.ready" ] && return
	echo "vm: fetching linux-image-$kver into $gdir" >&2
	rm -rf "$gdir"
	tmp=$(mktemp -d)
	chmod 755 "$tmp"
	(cd "$tmp" && apt-get download -q "linux-image-$kver" >&2)
	mkdir -p "$gdir/root"
	dpkg -x "$tmp"/linux-image-"$kver"_*.deb "$gdir/root"
	rm -rf "$tmp"
	depmod -b "$gdir/root" "$kver"
	touch "$gdir/.ready"
}

build_initramfs() {
	local dir m path tmp

	# Rebuilt when the init script changes; never removed, so a guest
	# starting beside one that rebuilds it always finds one.
	[ -f "$gdir/initramfs.cpio.gz" ] &&
		[ ! "$L4LB_REPO/tests/guest/initramfs-init" -nt \
			"$gdir/initramfs.cpio.gz" ] && return
	dir=$(mktemp -d)
	mkdir -p "$dir"/{bin,dev,proc,sys,mods,newroot}
	cp /bin/busybox "$dir/bin/busybox"
	ln -s busybox "$dir/bin/sh"
	: > "$dir/mods/order"
	for m in $boot_mods; do
		path=$(modinfo -b "$gdir/root" -k "$kver" -n "$m" 2>/dev/null) ||
			continue
		case $path in
		/*) cp "$path" "$dir/mods/$m.ko"; echo "$m" >> "$dir/mods/order" ;;
		esac
	done
	cp "$L4LB_REPO/tests/guest/initramfs-init" "$dir/init"
	chmod 755 "$dir/init"
	# Guests boot side by side: each builds in a file of its own, and
	# the rename puts a whole one in place.
	tmp=$(mktemp "$gdir/initramfs.XXXXXX")
	(cd "$dir" && find . | cpio -o -H newc --quiet) | gzip -1 > "$tmp"
	chmod 644 "$tmp"
	mv "$tmp" "$gdir/initramfs.cpio.gz"
	rm -rf "$dir"
}

fetch_kernel
[ "$1" != --fetch ] || exit 0
build_initramfs
# The guest mounts the image's modules over /lib/modules: it needs a
# mount point on the shared root.
mkdir -p /lib/modules

mkdir -p "$L4LB_REPO/.guest-runs"
run=$(mktemp -d "$L4LB_REPO/.guest-runs/run.XXXXXX")
trap 'rm -rf "$run"' EXIT
printf '%q ' "$@" > "$run/cmd"

# boot: one run of the guest. A watchdog stops a guest that has not
# started the script within L4LB_BOOT_LIMIT seconds (default 240; a boot
# takes some 20 s): QEMU has been seen to hang in its firmware once in many
# boots, and then only the whole timeout would end it.
boot() {
	rm -f "$run/booted" "$run/boot-hung"
	(
		for _ in $(seq $((${L4LB_BOOT_LIMIT:-240} * 2))); do
			[ -e "$run/booted" ] && exit 0
			sleep 0.5
		done
		touch "$run/boot-hung"
		pkill -f "l4lb_run=$run " || true
	) &
	watchdog=$!
	debug="slub_debug=FZPU init_on_free=1"
	[ -z "${L4LB_GUEST_NODEBUG:-}" ] || debug=
	icount=()
	[ -z "${L4LB_GUEST_ICOUNT:-}" ] ||
		icount=(-icount shift=0,align=off,sleep=off)
	timeout --foreground -k 10 "${L4LB_GUEST_TIMEOUT:-900}" \
		qemu-system-x86_64 -m 2048 -smp "${L4LB_GUEST_CPUS:-2}" -cpu max \
		"${icount[@]}" -nographic -no-reboot \
		-nic none \
		-kernel "$gdir/root/boot/vmlinuz-$kver" \
		-initrd "$gdir/initramfs.cpio.gz" \
		-virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
		-virtfs "local,path=$L4LB_REPO,mount_tag=work,security_model=none" \
		-append "console=ttyS0 quiet panic=-1 oops=panic mitigations=off $debug l4lb_work=$L4LB_REPO l4lb_run=$run l4lb_mods=$gdir/root/lib/modules l4lb_timeout=$((${L4LB_GUEST_TIMEOUT:-900} - 100)) ${L4LB_GUEST_CMDLINE:-}" \
		< /dev/null 2>&1 | sed -u 's/\r//g; s/\x1b\[[0-9;?]*[a-zA-Z]//g' |
		tee "$run/console" || true
	kill "$watchdog" 2>/dev/null || true
	wait "$watchdog" 2>/dev/null || true
}

boot
if [ -e "$run/boot-hung" ]; then
	echo "vm: the guest did not start within ${L4LB_BOOT_LIMIT:-240} s; booting it again" >&2
	boot
fi

fail=0
if [ ! -f "$run/status" ]; then
	echo "vm: the guest stopped before the script finished" >&2
	fail=1
else
	status=$(cat "$run/status")
	[ "$status" = 0 ] || fail=$status
fi
# SLUB's reports read "BUG kmalloc-64 (Tainted: ...): Poison overwritten".
bad='BUG:|BUG [^ ]+ \(|kernel BUG|WARNING:|Oops|Kernel panic|Call Trace:|general protection'
bad+='|rcu.*stall|soft lockup|hard LOCKUP|hung_task|list_(add|del) corruption'
bad+='|usercopy:|detected buffer overflow|stack-protector|refcount_t:'
bad+='|lockdep|KASAN|UBSAN:|KFENCE:'
if grep -Eh "$bad" "$run/console" "$run/dmesg" 2>/dev/null | grep -v 'l4lb-test-ignore' >&2; then
	echo "vm: the kernel log has the lines above" >&2
	[ "$fail" != 0 ] || fail=1
fi
if [ -f "$run/taint" ]; then
	read -r before after < "$run/taint"
	if [ $(((after & ~before) & ~(4096 | 8192))) != 0 ]; then
		echo "vm: the kernel became tainted ($before -> $after)" >&2
		[ "$fail" != 0 ] || fail=1
	fi
fi
exit "$fail"

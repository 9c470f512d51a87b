#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs inside the guest as its init, in this machine's root: runs the
# command vm.sh left in RUN/cmd, records its status, the kernel log and the
# taint flags in RUN/, then powers off.

run=$1
# vm.sh's watchdog: the guest started.
: > "$run/booted"
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=dumb
export L4LB_REPO=${run%/.guest-runs/*}
cd "$L4LB_REPO" || exit 1

hostname l4lb-guest
ip link set lo up
# What udev makes on a real system: bash's <(...) and dkms need /dev/fd.
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
echo 1 > /proc/sys/kernel/panic_on_oops

read -r taint_before < /proc/sys/kernel/tainted
status=0
# vm.sh says how long the script may take (l4lb_timeout= on the command line).
limit=$(sed -n 's/.*l4lb_timeout=\([0-9]*\).*/\1/p' /proc/cmdline)
eval "timeout -k 5 ${limit:-800} bash $(cat "$run/cmd")" || status=$?
read -r taint_after < /proc/sys/kernel/tainted

dmesg > "$run/dmesg"
echo "$taint_before $taint_after" > "$run/taint"
echo "$status" > "$run/status"
sync
echo o > /proc/sysrq-trigger
# PID 1 must not exit before the power goes (a panic): a loop parsed whole
# goes on even if the shares are gone and sleep cannot be run.
while :; do sleep 1 || :; done

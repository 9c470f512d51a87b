#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# In the guest, after tests/dkms.sh check installed l4lb the DKMS way:
# modprobe finds it, l4lbadm reaches it, modprobe -r removes it.

. "$L4LB_REPO/tests/lib/e2e.sh"
version=$1

check_eq "modprobe finds the DKMS copy" \
	"$(modinfo -n l4lb | sed 's#.*/lib/modules/[^/]*/##')" "updates/dkms/l4lb.ko"
check "modprobe l4lb" modprobe l4lb
check_eq "l4lbadm reaches it" "$(l4lbadm version | tail -1)" "l4lb module $version"
check "modprobe -r l4lb" modprobe -r l4lb
check "gone" sh -c '! grep -q "^l4lb " /proc/modules'
finish

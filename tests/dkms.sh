#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms.sh install [KVER]: the operator's path. Copies the module's sources
# (never the tests) to /usr/src/l4lb-VERSION, then dkms add, build and
# install for KVER (default: the running kernel), and installs l4lbadm.
#
# dkms.sh check: the same DKMS steps in private trees for the guest kernel,
# installs the result into the guest's module tree, and boots the guest to
# `modprobe l4lb` from there.

set -euo pipefail
. "$(dirname "$0")/lib/common.sh"

version=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$L4LB_REPO/dkms.conf")
grep -q "define L4LB_VERSION \"$version\"" "$L4LB_REPO/kmod/version.h" ||
	die "dkms.conf's PACKAGE_VERSION ($version) differs from kmod/version.h"

# stage DIR: what DKMS needs to build the module, and nothing else.
stage() {
	rm -rf "$1"
	mkdir -p "$1"
	(cd "$L4LB_REPO" && find Kbuild dkms.conf kmod include \
		\( -name '*.[ch]' -o -name Kbuild -o -name dkms.conf \) -print |
		cpio -pdm --quiet "$1")
}

install() {
	local kver=${1:-$(uname -r)}

	[ "$(id -u)" = 0 ] || die "dkms.sh install runs as root"
	if dkms status -m l4lb -v "$version" | grep -q .; then
		dkms remove -m l4lb -v "$version" --all
	fi
	stage "/usr/src/l4lb-$version"
	dkms add -m l4lb -v "$version"
	dkms build -m l4lb -v "$version" -k "$kver"
	dkms install -m l4lb -v "$version" -k "$kver"
	make -C "$L4LB_REPO/tools/l4lbadm" install
}

check() {
	local kver tmp gmods ko rc trees

	kver=$(l4lb_kver)
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' RETURN
	stage "$tmp/src/l4lb-$version"
	trees=(--sourcetree "$tmp/src" --dkmstree "$tmp/dkms"
	       --installtree "$tmp/install")
	mkdir -p "$tmp/dkms" "$tmp/install/$kver"
	dkms add -m l4lb -v "$version" "${trees[@]}"
	dkms build -m l4lb -v "$version" -k "$kver" "${trees[@]}"
	dkms install -m l4lb -v "$version" -k "$kver" "${trees[@]}" \
		--no-depmod
	ko=$(find "$tmp/install" -name l4lb.ko | head -1)
	[ -n "$ko" ] || die "dkms install left no l4lb.ko in $tmp/install"
	echo "dkms: installed ${ko#"$tmp/install/"}"

	# The guest's module tree, where DKMS would put the module on a real
	# machine.
	"$L4LB_REPO/tests/guest/vm.sh" --fetch
	gmods=$L4LB_CACHE/guest/$kver/root/lib/modules/$kver
	mkdir -p "$gmods/updates/dkms"
	cp "$ko" "$gmods/updates/dkms/l4lb.ko"
	depmod -b "$gmods/../../.." "$kver"
	"$L4LB_REPO/tests/guest/vm.sh" tests/guest/dkms-modprobe.sh \
		"$version" && rc=0 || rc=$?
	rm -f "$gmods/updates/dkms/l4lb.ko"
	depmod -b "$gmods/../../.." "$kver"
	return $rc
}

case ${1:-} in
install) shift; install "$@" ;;
check) check ;;
*) die "usage: dkms.sh install [KVER] | check" ;;
esac

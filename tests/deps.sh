#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs what building and testing l4lb needs on Debian 12 (as root).

set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
# bird2 and frr serve the guest tests, which run their own daemons in
# network namespaces, keepalived the host test of import-keepalived (its
# --config-test reads the samples): no package may start a daemon on this
# machine. A
# policy-rc.d refusing every start (as container images have) is put in
# place for the install if there is none.
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
	chmod 755 /usr/sbin/policy-rc.d
	trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
apt-get update
apt-get install -y --no-install-recommends \
	build-essential pkg-config libmnl-dev linux-headers-amd64 dkms kmod \
	sparse linux-source-6.1 bc flex bison libelf-dev libssl-dev python3 \
	python3-yaml \
	qemu-system-x86 busybox-static cpio xz-utils \
	iproute2 iputils-ping procps util-linux socat ncat iperf3 ipvsadm \
	nftables python3-prometheus-client debhelper dh-dkms bash-completion \
	systemd bird2 frr keepalived

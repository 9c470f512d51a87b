#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# guest-timeout: 1800
#
# The Debian packages (make deb, in .deb/) on a stock Debian 12 system:
# this machine's root, made writable by an overlay, as a chroot in the
# guest. dpkg -i of l4lb-dkms builds the module with DKMS for the running
# kernel; modprobe loads it; l4lbadm reaches it; the l4lb unit's commands
# restore a configuration and save it; the metrics unit writes its file;
# completion is installed; dpkg -r leaves nothing behind.

. "$L4LB_REPO/tests/lib/e2e.sh"

debs=$L4LB_REPO/.deb
kver=$(uname -r)
R=/tmp/pkg/root

if ! ls "$debs"/l4lb-dkms_*_all.deb "$debs"/l4lbadm_*_amd64.deb > /dev/null; then
	not_ok "no packages in .deb/: run make deb first"
	finish
fi
version=$(dpkg-deb -f "$debs"/l4lb-dkms_*_all.deb Version)

# / (this machine's, read-only) under a tmpfs; /lib/modules: the guest
# kernel's modules over this machine's (its headers' build link).
mkdir -p /tmp/pkg/{root,up,work,mup,mwork}
mount -t overlay overlay -o lowerdir=/,upperdir=/tmp/pkg/up,workdir=/tmp/pkg/work $R
mount -t overlay overlay \
	-o "lowerdir=/lib/modules:$R/lib/modules,upperdir=/tmp/pkg/mup,workdir=/tmp/pkg/mwork" \
	"$R/lib/modules"
mount -t proc proc $R/proc
mount -t sysfs sysfs $R/sys
mount --rbind /dev $R/dev
for d in tmp run; do
	mount -t tmpfs tmpfs "$R/$d"
done
cleanup() {
	umount -R $R 2> /dev/null || umount -l $R
}
trap cleanup EXIT
in_root() { chroot $R "$@"; }
cp "$debs"/l4lb-dkms_*_all.deb "$debs"/l4lbadm_*_amd64.deb $R/tmp/

check_eq "nothing of l4lb before" \
	"$(in_root sh -c 'ls -d /usr/src/l4lb-* /var/lib/dkms/l4lb /usr/sbin/l4lbadm 2>/dev/null' | wc -l)" 0
start=$SECONDS
check "dpkg -i l4lb-dkms l4lbadm (DKMS builds the module)" \
	in_root sh -c 'dpkg -i /tmp/l4lb-dkms_*_all.deb /tmp/l4lbadm_*_amd64.deb > /tmp/dpkg.log 2>&1'
echo "# dpkg -i took $((SECONDS - start)) s:"
sed 's/^/#   /' $R/tmp/dpkg.log
check_eq "dkms status" "$(in_root dkms status l4lb)" \
	"l4lb/$version, $kver, x86_64: installed"
check_eq "modprobe finds the DKMS build" \
	"$(in_root modinfo -n l4lb)" "/lib/modules/$kver/updates/dkms/l4lb.ko"
check "modprobe l4lb" in_root modprobe l4lb
check_eq "l4lbadm version" "$(in_root l4lbadm version)" \
	"l4lbadm $version
l4lb module $version"

# The l4lb unit's commands, as systemd would run them ($$ is a $).
unit_run() {
	local line

	while read -r line; do
		eval "in_root ${line//\$\$/\$}" || return 1
	done < <(sed -n "s/^$2=//p" "$R/lib/systemd/system/$1")
}
check "the units pass systemd-analyze verify" \
	in_root systemd-analyze verify --man=no /lib/systemd/system/l4lb.service \
	/lib/systemd/system/l4lb-healthd.service \
	/lib/systemd/system/l4lb-metrics.service /lib/systemd/system/l4lb-metrics.timer
mkdir -p $R/etc/l4lb
cat > $R/etc/l4lb/l4lb.conf <<'EOF'
set max-flows 20000
service add tcp 10.0.0.1:80 sched wlc
backend add tcp 10.0.0.1:80 10.0.2.11:80 weight 2
EOF
check "l4lb.service starts: module loaded, configuration restored" \
	unit_run l4lb.service ExecStart
check_eq "the services are the file's" \
	"$(in_root l4lbadm save | grep -v '^set')" \
	"$(grep -v '^set' $R/etc/l4lb/l4lb.conf)"
check "a restart changes nothing configured already" \
	unit_run l4lb.service ExecStart
in_root l4lbadm backend add tcp 10.0.0.1:80 10.0.2.12:80
check "stop without SAVE_ON_STOP keeps the file" unit_run l4lb.service ExecStop
check_eq "(unchanged)" "$(grep -c backend $R/etc/l4lb/l4lb.conf)" 1
echo SAVE_ON_STOP=yes > $R/etc/default/l4lb
# With the unit's EnvironmentFile.
stop_saving() {
	local SAVE_ON_STOP

	. $R/etc/default/l4lb
	export SAVE_ON_STOP
	unit_run l4lb.service ExecStop
}
check "stop with SAVE_ON_STOP=yes in /etc/default/l4lb saves" stop_saving
check_eq "the file is what save prints" "$(cat $R/etc/l4lb/l4lb.conf)" \
	"$(in_root l4lbadm save)"
check "l4lb-metrics.service writes node_exporter's file" \
	unit_run l4lb-metrics.service ExecStart
check "with the table's limit in it" grep -qx 'l4lb_table_max_flows 20000' \
	$R/var/lib/prometheus/node-exporter/l4lb.prom
check_eq "bash completion is installed" \
	"$(in_root bash -c '. /usr/share/bash-completion/completions/l4lbadm; COMP_WORDS=(l4lbadm backend set tcp ""); COMP_CWORD=4; _l4lbadm; echo "${COMPREPLY[*]}"')" \
	"10.0.0.1:80"
check "the man page is installed" test -s $R/usr/share/man/man8/l4lbadm.8.gz

check "modprobe -r l4lb" in_root modprobe -r l4lb
check "dpkg -r l4lbadm l4lb-dkms" \
	in_root sh -c 'dpkg -r l4lbadm l4lb-dkms > /tmp/dpkg-r.log 2>&1'
sed 's/^/#   /' $R/tmp/dpkg-r.log
check_eq "nothing left behind: sources, DKMS tree, module, tool, units, completion" \
	"$(in_root sh -c 'ls -d /usr/src/l4lb-* /var/lib/dkms/l4lb /lib/modules/*/updates/dkms/l4lb.ko /usr/sbin/l4lbadm /lib/systemd/system/l4lb* /usr/share/bash-completion/completions/l4lbadm /usr/share/man/man8/l4lbadm.8.gz 2>&1 | grep -v "No such file"')" ""
check "dpkg -P purges what dpkg keeps of them" \
	in_root dpkg -P l4lbadm l4lb-dkms
check "dpkg knows neither package" \
	sh -c "! chroot $R dpkg -s l4lb-dkms && ! chroot $R dpkg -s l4lbadm" 2>/dev/null
check_eq "modprobe finds no l4lb" "$(in_root modinfo -n l4lb 2>&1 | grep -c 'not found')" 1

finish

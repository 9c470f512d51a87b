#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Persistence (IPVS -p and -M, keepalived persistence_timeout and
# persistence_granularity), l4lb and then IPVS in the same guest, the same
# checks: a client keeps its backend over connections round robin would
# send round; clients of other networks (/24 netmask) or addresses (none)
# are spread; the template is listed, and gone a bounded time after the
# client's last flow ended; a backend deleted moves its clients. Then
# l4lb alone: health down moves the client, a drained backend keeps it,
# service set changes it, save and restore keep it, bad requests are
# refused and change nothing.
#
#   cl 10.0.1.2-4, 10.0.3.2, 10.0.4.2 --- lb (VIP 10.0.0.1 :80 tcp rr
#      persist, :81 tcp rr persist /24, :7777 udp rr persist /24)
#                                          --- b1 b2 b3

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 3
for i in 1 2 3; do
	serve "b$i" "b$i" 80
	serve "b$i" "b$i" 81
	serve "b$i" "b$i" 7777
done
# More clients on cl: two more of 10.0.1.0/24, one each of two networks.
for a in 10.0.1.3/24 10.0.1.4/24 10.0.3.2/24 10.0.4.2/24; do
	ip -n cl addr add "$a" dev veth0
done
ip -n lb route add 10.0.3.0/24 via 10.0.1.2
ip -n lb route add 10.0.4.0/24 via 10.0.1.2

# from SRC: the client's next connections to the VIP come from SRC.
from() { ip -n cl route replace $VIP/32 via 10.0.1.1 src "$1"; }

# names SRC PROTO PORT N: the backends N connections (datagrams) from SRC
# reach, sorted, each once.
names() {
	local i

	from "$1"
	for i in $(seq 1 "$4"); do
		if [ "$2" = tcp ]; then
			cl "$ECHO" tcp $VIP "$3" 10
		else
			cl "$ECHO" udp $VIP "$3" 1 | cut -d' ' -f1
		fi
	done | sort -u | tr '\n' ' '
}

# distinct PROTO PORT SRC...: how many backends the first connection of
# each SRC reaches, together.
distinct() {
	local proto=$1 port=$2 src

	shift 2
	for src in "$@"; do names "$src" "$proto" "$port" 1; done |
		tr ' ' '\n' | sort -u | grep -c .
}

# tpl_listed TEMPLATES: a datagram of 10.0.1.0/24 to the UDP service, then
# whether TEMPLATES (a command) lists that network's template. Its session
# lives 1 s and the template 3 s after: a guest slowed past that between
# the sessions above and a look would find it gone, so each look follows
# a datagram of its own.
tpl_listed() {
	names 10.0.1.2 udp 7777 1 > /dev/null
	sh -c "$1 | grep -iq '^udp .*10\.0\.1\.0'"
}

# The checks both balancers must pass; $1 names the balancer, $2 lists
# the templates (a command), $3 deletes backend b1 of :80 (a command).
compare() {
	local who=$1 templates=$2 del_b1=$3 first

	first=$(names 10.0.1.2 tcp 80 1)
	check_eq "$who: one client keeps its backend over 6 connections" \
		"$(names 10.0.1.2 tcp 80 6)" "$first"
	check_eq "$who: three clients (addresses, no netmask) spread on the three backends" \
		"$(distinct tcp 80 10.0.1.3 10.0.1.4 10.0.3.2)" 3
	check_eq "$who: netmask /24: three clients of one network share one backend" \
		"$(for s in 10.0.1.2 10.0.1.3 10.0.1.4; do names $s tcp 81 2; done | tr ' ' '\n' | sort -u | grep -c .)" 1
	check_eq "$who: netmask /24: three networks spread on the three backends" \
		"$(distinct tcp 81 10.0.1.2 10.0.3.2 10.0.4.2)" 3
	check_eq "$who: udp, netmask /24: a network's sessions share one backend" \
		"$(for s in 10.0.1.2 10.0.1.3 10.0.1.4; do names $s udp 7777 2; done | tr ' ' '\n' | sort -u | grep -c .)" 1
	wait_for "$who: the /24 template is listed" 60 tpl_listed "$templates"
	! declare -F "${who}_listed" > /dev/null || "${who}_listed"
	# UDP: sessions of 1 s, persistence of 3 s; the template goes after.
	names 10.0.4.2 udp 7777 1 > /dev/null
	wait_for "$who: udp: the template of 10.0.4.0/24 goes after its last session" 60 \
		sh -c "! { $templates | grep -iq '^udp .*10\.0\.4\.0'; }"
	# Deleting the client's backend moves it.
	first=$(names 10.0.1.2 tcp 80 1)
	check "$who: delete the backend of 10.0.1.2" $del_b1 "${first% }"
	check_eq "$who: the client moved: a backend other than its own, then kept" \
		"$(names 10.0.1.2 tcp 80 3 | grep -c "$first")$(names 10.0.1.2 tcp 80 3 | wc -w)" 01
}

# l4lb
lb set timeout-closing 1 > /dev/null
check "service add :80 persist 3" lb service add tcp $VIP:80 persist 3
check "service add :81 persist 3 netmask 24" \
	lb service add tcp $VIP:81 persist 3 netmask 24
check "service add udp :7777 rr timeout 1 persist 3 netmask 24" \
	lb service add udp $VIP:7777 sched rr timeout 1 persist 3 netmask 24
for p in tcp:80 tcp:81 udp:7777; do
	for i in 1 2 3; do
		check "backend b$i $p" lb backend add "${p%%:*}" "$VIP:${p#*:}" \
			"10.0.2.1$i:${p#*:}"
	done
done
check "list: persistence in the service's row" sh -c \
	"ip netns exec lb $L4LBADM list | grep -q '^tcp   10.0.0.1:81 .* persist 3 netmask 24$'"
check_eq "list -j: persist and netmask" \
	"$(lb_json "[(x['port'], x['persist'], x.get('netmask')) for x in s]")" \
	"[(80, 3, 32), (81, 3, 24), (7777, 3, 24)]"
l4lb_templates="ip netns exec lb $L4LBADM flows | grep ' persist '"
l4lb_del() {
	local ip

	ip=10.0.2.1${1#b}
	lb backend del tcp $VIP:80 "$ip:80"
}
l4lb_listed() {
	check_eq "flows -j: the template's state is persist, its client the network, no port" \
		"$(lb_json_of flows "[(f['client'], f.get('client_port')) for f in s if f['service'] == '$VIP:7777' and f['state'] == 'persist']")" \
		"[('10.0.1.0', None)]"
}
compare l4lb "$l4lb_templates" l4lb_del

# l4lb alone: health down moves the client, drained keeps it.
first=$(names 10.0.3.2 tcp 81 1)
ip=10.0.2.1$(echo "$first" | tr -dc 0-9)
check "drain the backend of 10.0.3.0/24" lb backend set tcp $VIP:81 "$ip:81" weight 0
check_eq "drained: the network keeps its backend" "$(names 10.0.3.2 tcp 81 3)" "$first"
check "its health down" lb backend set tcp $VIP:81 "$ip:81" weight 1 health down
check_eq "down: the network moves, to one backend" \
	"$(names 10.0.3.2 tcp 81 3 | grep -c "$first")$(names 10.0.3.2 tcp 81 3 | wc -w)" 01
check "its health up" lb backend set tcp $VIP:81 "$ip:81" health up
first=$(names 10.0.4.2 tcp 81 1)
ip=10.0.2.1$(echo "$first" | tr -dc 0-9)
check "10.0.4.0/24's template is its backend's" sh -c \
	"ip netns exec lb $L4LBADM flows tcp $VIP:81 $ip:81 | grep -q '^tcp   10.0.4.0 .* persist '"
check_eq "backend pick: a client of 10.0.4.0/24 without a flow, its template's backend (rr picks none)" \
	"$(ip netns exec lb $L4LBADM backend pick tcp $VIP:81 10.0.4.77)" \
	"10.0.4.77 $ip:81 flow"
check "flush of that backend" lb flush tcp $VIP:81 "$ip:81"
check "the flush took its templates" sh -c \
	"! ip netns exec lb $L4LBADM flows tcp $VIP:81 $ip:81 | grep -q ' persist '"
wait_for "tcp: the templates of :80 go 3 s after their last flow ended" 60 \
	sh -c "! ip netns exec lb $L4LBADM flows tcp $VIP:80 | grep -q ' persist '"

# service set; save and restore.
check "service set :80 persist 5 netmask 16" lb service set tcp $VIP:80 persist 5 netmask 16
check "service set :81 persist off" lb service set tcp $VIP:81 persist off
check "persist off: its templates are gone at once" \
	sh -c "! ip netns exec lb $L4LBADM flows tcp $VIP:81 | grep -q ' persist '"
check_eq "persist off: round robin again for one client" \
	"$(names 10.0.1.2 tcp 81 4 | wc -w)" 3
lb save > /tmp/saved
check "save: persistence on the service's line" \
	grep -qx "service add tcp $VIP:80 sched rr persist 5 netmask 16" /tmp/saved
check "save: udp's timeout and persistence" \
	grep -qx "service add udp $VIP:7777 sched rr timeout 1 persist 3 netmask 24" /tmp/saved
check "save: off is nothing" grep -qx "service add tcp $VIP:81 sched rr" /tmp/saved
for p in tcp:80 tcp:81 udp:7777; do
	lb service del "${p%%:*}" "$VIP:${p#*:}"
done
check "restore" lb restore /tmp/saved
check_eq "restore: save prints the same" "$(lb save)" "$(cat /tmp/saved)"

# Refused, one line each, nothing changed.
before=$(lb save)
check_err "netmask without persist" \
	"l4lbadm: service add: netmask needs persist SECONDS" \
	lb service add tcp $VIP:82 netmask 24
check_err "a /33 for IPv4" \
	"l4lbadm: netmask '33' is not a prefix length of 1 to 32 for an IPv4 service" \
	lb service add tcp $VIP:82 persist 3 netmask 33
check_err "persist out of range" \
	"l4lbadm: persist '2073601' is not off or 0 to 2073600 seconds" \
	lb service add tcp $VIP:82 persist 2073601
check_err "service set: a netmask on a service without persistence (the kernel's word)" \
	"l4lbadm: service set: a netmask needs persistence" \
	lb service set tcp $VIP:81 netmask 24
check_err "service set: no such service" "l4lbadm: service set: no such service" \
	lb service set tcp $VIP:82 persist 3
check_err "service set: nothing to set" \
	"l4lbadm: service set: use service set PROTO VIP:PORT fallback ADDRESS:PORT|none, or persist SECONDS|off [netmask PREFIX], or local-clients on|off" \
	lb service set tcp $VIP:81
check_eq "the refusals changed nothing" "$(lb save)" "$before"
for p in tcp:80 tcp:81 udp:7777; do
	lb service del "${p%%:*}" "$VIP:${p#*:}"
done
lb set timeout-closing 10 > /dev/null

# IPVS, the same services.
ip netns exec lb ipvsadm -C
ip netns exec lb ipvsadm --set 0 1 1
ip netns exec lb ipvsadm -A -t $VIP:80 -s rr -p 3
ip netns exec lb ipvsadm -A -t $VIP:81 -s rr -p 3 -M 255.255.255.0
ip netns exec lb ipvsadm -A -u $VIP:7777 -s rr -p 3 -M 255.255.255.0
for p in t:80 t:81 u:7777; do
	for i in 1 2 3; do
		ip netns exec lb ipvsadm -a "-${p%%:*}" "$VIP:${p#*:}" \
			-r "10.0.2.1$i:${p#*:}" -m
	done
done
ipvs_templates="ip netns exec lb ipvsadm -L -n -c"
ipvs_del() {
	ip netns exec lb ipvsadm -d -t $VIP:80 -r "10.0.2.1${1#b}:80"
}
compare IPVS "$ipvs_templates" ipvs_del
ip netns exec lb ipvsadm -C

finish

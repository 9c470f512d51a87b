#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Port ranges and every port (IPVS's port 0 real servers, fwmark services
# over port sets), l4lb and then IPVS in the same guest, the same traffic:
# TCP connections to several ports of VIP:5060-5080 land round robin on
# portless backends, each on the port the client asked for (every backend
# listens on each port under its own name), every byte echoed; an all-port
# UDP service (VIP:*) answers from the VIP and the port asked; a backend
# reply of a port outside the range is left alone; flows, counters, save
# and restore show the range.
#
#   cl 10.0.1.2 --- lb (VIP 10.0.0.1:5060-5080 tcp rr; 10.0.0.1:* udp rr)
#                   --- b1 b2 (5060 5061 5062 7001 40000, portless)

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 2
for i in 1 2; do
	for p in 5060 5061 5062 7001 40000; do serve "b$i" "b$i-$p" $p; done
done

# Connections to 5060, 5061, 5062, 5061 (20000 bytes each, echoed and
# compared by l4lb-echo): the names of who answered.
tcp_round() {
	local p

	for p in 5060 5061 5062 5061; do cl "$ECHO" tcp $VIP $p 20000; done |
		tr '\n' ' '
}
tcp_want="b1-5060 b2-5061 b1-5062 b2-5061 "

check "service add tcp range" lb service add tcp $VIP:5060-5080
check "service add udp every port" lb service add udp "$VIP:*" sched rr
for i in 1 2; do
	check "backend b$i of the range, no port" \
		lb backend add tcp $VIP:5060-5080 "10.0.2.1$i"
	check "backend b$i of every port" lb backend add udp "$VIP:*" "10.0.2.1$i"
done
check_eq "list shows the range and portless backends" \
	"$(lb list | awk 'NR > 2 { print ($1 == "->" ? $2 : $1 " " $2) }' | tr '\n' ' ')" \
	"tcp $VIP:5060-5080 10.0.2.11 10.0.2.12 udp $VIP:* 10.0.2.11 10.0.2.12 "
check_eq "JSON: the range's first and last ports" \
	"$(lb_json '[(x["port"], x.get("port_last")) for x in s]')" \
	"[(5060, 5080), (1, 65535)]"

got=$(tcp_round)
check_eq "l4lb: round robin, each connection on the port it asked for" \
	"$got" "$tcp_want"
check "the client talked to the VIP's ports" \
	sh -c "ip netns exec cl ss -Htn state time-wait | grep -q '$VIP:5062'"
check_eq "l4lb: counters of the service and its backends" \
	"$(lb_json '[s[0]["stats"]["conns"]] + [b["stats"]["conns"] for b in s[0]["backends"]]')" \
	"[4, 2, 2]"
check_eq "l4lb: the service's bytes are its backends' sums" \
	"$(lb_json 'all(s[0]["stats"][k] == sum(b["stats"][k] for b in s[0]["backends"]) and s[0]["stats"][k] > 80000 for k in ("bytes_in", "bytes_out"))')" \
	"True"

# A held connection: its flow shows the backend's port, the one asked.
mkfifo /tmp/hold
cl "$ECHO" tcp $VIP 5062 100 - < /tmp/hold > /tmp/held &
held=$!
exec 7> /tmp/hold
wait_for "a held flow" 30 sh -c "ip netns exec lb $L4LBADM flows | grep -q ':5062'"
check "flows: the range, and the backend's port the client asked for" \
	sh -c "ip netns exec lb $L4LBADM flows | grep -q '^tcp .* $VIP:5060-5080 *10.0.2.1[12]:5062 '"
exec 7>&-
check "the held connection echoed again" wait $held

out=$(cl "$ECHO" udp $VIP 7001 3; cl "$ECHO" udp $VIP 40000 2)
check_eq "l4lb: UDP of every port, each answered from the VIP and its port" \
	"$(awk '{ print $2 }' <<< "$out" | tr '\n' ' ')" \
	"$VIP:7001 $VIP:7001 $VIP:7001 $VIP:40000 $VIP:40000 "
check_eq "l4lb: a session per client address and port, on the port asked" \
	"$(awk '{ print $1 }' <<< "$out" | sort -u | tr '\n' ' ')" \
	"b1-7001 b2-40000 "
check_eq "l4lb: two sessions counted" \
	"$(lb_json 's[1]["flows"]')" 2

lb save > /tmp/saved
sed 's/^/# saved: /' /tmp/saved
check "save: the range" grep -q "^service add tcp $VIP:5060-5080 sched rr" /tmp/saved
check "save: every port" grep -q "^service add udp $VIP:\\* sched rr" /tmp/saved
check "save: the portless backend" \
	grep -q "^backend add tcp $VIP:5060-5080 10.0.2.11 " /tmp/saved
check "service del of the range" lb service del tcp $VIP:5060-5080
check "service del of every port" lb service del udp "$VIP:*"
check "restore what save printed" lb restore /tmp/saved
check_eq "restored as it was" "$(lb save)" "$(cat /tmp/saved)"

check_err "a backend with a port on a range" \
	"l4lbadm: backend add: service $VIP:5060-5080 is a port range: its backends have no port (give 10.0.2.13 alone), each flow keeps the port its client sent to" \
	lb backend add tcp $VIP:5060-5080 10.0.2.13:5060
check_err "a range over another" \
	"l4lbadm: service add: its ports overlap another service's on this address and protocol (see service list): port ranges of one address do not overlap" \
	lb service add tcp $VIP:5070-5090
check_eq "the refusals changed nothing" "$(lb save)" "$(cat /tmp/saved)"

# A backend's own connection, from a port outside the range, is not the
# range's: it passes as it is (neither rewritten nor dropped as stray).
serve cl cl 9000
check_eq "b1's own connection out passes untouched" \
	"$(ip netns exec b1 "$ECHO" tcp 10.0.1.2 9000 1000)" "cl"

# IPVS: the same range as a fwmark service (nft marks the ports), every
# UDP port likewise; real servers of port 0.
check "l4lb: its services go" sh -c "ip netns exec lb $L4LBADM service del tcp $VIP:5060-5080 && ip netns exec lb $L4LBADM service del udp '$VIP:*'"
ip netns exec lb nft -f - <<EOF
table ip ports {
	chain pre {
		type filter hook prerouting priority mangle;
		ip daddr $VIP tcp dport 5060-5080 meta mark set 1
		ip daddr $VIP meta l4proto udp meta mark set 2
	}
}
EOF
ip netns exec lb ipvsadm -C
ip netns exec lb ipvsadm -A -f 1 -s rr
ip netns exec lb ipvsadm -A -f 2 -s rr
for i in 1 2; do
	ip netns exec lb ipvsadm -a -f 1 -r "10.0.2.1$i:0" -m
	ip netns exec lb ipvsadm -a -f 2 -r "10.0.2.1$i:0" -m
done
ip netns exec lb ipvsadm -L -n | sed 's/^/# /'
# IPVS lists its newest real server first: its round robin begins at b2.
check_eq "IPVS: the same connections, each on the port it asked for" \
	"$(tcp_round)" "b2-5060 b1-5061 b2-5062 b1-5061 "
out=$(cl "$ECHO" udp $VIP 7001 3; cl "$ECHO" udp $VIP 40000 2)
check_eq "IPVS: UDP of every port answered from the VIP and its port" \
	"$(awk '{ print $2 }' <<< "$out" | tr '\n' ' ')" \
	"$VIP:7001 $VIP:7001 $VIP:7001 $VIP:40000 $VIP:40000 "
ip netns exec lb ipvsadm -C
ip netns exec lb nft delete table ip ports

finish

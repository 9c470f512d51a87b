#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# One pool of TCP servers behind two VIPs (issue 25), first with l4lb, then
# with IPVS's shared real servers in the same guest: each VIP's clients get
# round robin over the same two servers, every byte echoed intact, from the
# VIP they dialled (connections held to both at once, and the client's
# link captured: never a backend's address); each service counts its own
# flows on its own copy of a server; deleting one service leaves the
# other's held connection and new ones working (the deleted one's flows
# stop being forwarded, in both). Then l4lb's refusal of a
# UDP server shared by two UDP services (its answers name only the
# client), while a TCP and a UDP service still share an address and port.
#
#   cl 10.0.1.2 --- lb  VIP  10.0.0.1:80   (rr) --- b1 10.0.2.11:80
#                       VIP2 10.0.0.2:8080 (rr) +-- b2 10.0.2.12:80

. "$L4LB_REPO/tests/lib/e2e.sh"

VIP2=10.0.0.2

load_l4lb
modprobe ip_vs_rr
topo 2
ip -n lb addr add $VIP2/32 dev lo
for i in 1 2; do serve "b$i" "b$i" 80; done

# The number of established connections the client holds to ADDR:PORT.
held_to() {
	cl ss -Htn state established "dst = $1" | wc -l
}

# counted WANT: STATS (shared()'s) prints WANT.
counted() {
	[ "$($stats)" = "$1" ]
}

# shared NAME ADD DEL_FIRST STATS: the same checks of l4lb and IPVS. ADD
# sets both services up, DEL_FIRST deletes VIP:80's; STATS prints
# "conns_of_vip conns_of_vip2" (the flows each service counted).
shared() {
	local name=$1 add=$2 del=$3 stats=$4 got sniff i

	$add
	mkfifo /tmp/sniff-in
	cl python3 "$L4LB_REPO/tests/tools/sniff.py" veth0 \
		< /tmp/sniff-in > /tmp/sniff &
	sniff=$!
	exec 6> /tmp/sniff-in
	wait_for "$name: the client's link is captured" 30 \
		grep -q ^ready /tmp/sniff
	got=$(for i in 1 2 3 4; do
		cl "$ECHO" tcp $VIP 80 20000
		cl "$ECHO" tcp $VIP2 8080 20000
	done | tr '\n' ' ')
	check_eq "$name: each VIP's round robin over the shared servers, bytes intact" \
		"$got" "b1 b1 b2 b2 b1 b1 b2 b2 "
	# IPVS folds its per-CPU counters in from a timer: polled.
	wait_for "$name: each service counted its own flows (4 and 4)" 10 \
		counted "4 4"

	# One connection held to each VIP: both are one server's at once.
	mkfifo /tmp/hold
	cl "$ECHO" tcp $VIP 80 100 - < /tmp/hold > /tmp/held1 &
	T_PIDS+=($!)
	held1=$!
	cl "$ECHO" tcp $VIP2 8080 100 - < /tmp/hold > /tmp/held2 &
	T_PIDS+=($!)
	held2=$!
	exec 7> /tmp/hold
	wait_for "$name: the client holds a connection to each VIP" 30 \
		sh -c "[ \$(ip netns exec cl ss -Htn state established | wc -l) = 2 ]"
	check_eq "$name: from the client, one peer is $VIP:80, one $VIP2:8080" \
		"$(held_to $VIP:80) $(held_to $VIP2:8080)" "1 1"

	$del
	got=$(for i in 1 2; do cl "$ECHO" tcp $VIP2 8080 20000; done |
	      tr '\n' ' ')
	check_eq "$name: with $VIP:80 deleted, $VIP2:8080 goes on over both" \
		"$got" "b2 b1 "
	exec 7>&-
	check "$name: the held connection to $VIP2:8080 echoed again" \
		wait $held2
	# A deleted service's flows stop being forwarded, in both (l4lb's
	# client gets a RST from the VIP's own address, IPVS's times out).
	check "$name: the deleted service's held connection ended" \
		eval "! wait $held1"
	check_eq "$name: both held connections were b1's" \
		"$(cat /tmp/held1 /tmp/held2 | tr '\n' ' ')" "b1 b1 "
	exec 6>&-
	check "$name: the capture ends" wait $sniff
	sed "s/^/# $name seen: /" /tmp/sniff
	check_eq "$name: the client saw both VIPs" \
		"$(grep -c -x -e $VIP -e $VIP2 /tmp/sniff)" 2
	check_eq "$name: the client never saw a backend's address" \
		"$(grep -c '^10\.0\.2\.' /tmp/sniff)" 0
	rm -f /tmp/hold /tmp/sniff-in
}

l4lb_add() {
	lb service add tcp $VIP:80
	lb service add tcp $VIP2:8080
	for i in 1 2; do
		check "l4lb: 10.0.2.1$i:80 serves $VIP:80" \
			lb backend add tcp $VIP:80 "10.0.2.1$i:80"
		check "l4lb: and $VIP2:8080 too" \
			lb backend add tcp $VIP2:8080 "10.0.2.1$i:80"
	done
}
l4lb_del() { lb service del tcp $VIP:80; }
l4lb_stats() {
	lb_json_of stats '" ".join(str(v["stats"]["conns"]) for v in s["services"])'
}
shared l4lb l4lb_add l4lb_del l4lb_stats
check_eq "l4lb: the remaining service lists its own copies of the servers" \
	"$(lb_json '[(v["address"], v["port"], [(b["address"], b["port"], b["stats"]["conns"]) for b in v["backends"]]) for v in s]')" \
	"[('$VIP2', 8080, [('10.0.2.11', 80, 4), ('10.0.2.12', 80, 3)])]"
check_eq "l4lb: nothing dropped as stray or clash" \
	"$(lb_json_of stats '[(v["stats"]["drops"]["stray"], v["stats"]["drops"]["clash"]) for v in s["services"]]')" \
	"[(0, 0)]"
lb service del tcp $VIP2:8080

# UDP: one server per service, said why and what to do.
lb service add udp $VIP:53
lb service add udp $VIP2:53 stateless
check "l4lb: 10.0.2.11:53 serves udp $VIP:53" \
	lb backend add udp $VIP:53 10.0.2.11:53
check_err "l4lb: a UDP server refused to a second UDP service" \
	"l4lbadm: backend add: backend address and port already serve another UDP service: its answers name only the client, so l4lb could not tell which VIP to answer from; give each service its own backend port" \
	lb backend add udp $VIP2:53 10.0.2.11:53
check_eq "l4lb: the refusal added nothing" \
	"$(lb_json '[len(v["backends"]) for v in s]')" "[1, 0]"
check "l4lb: the same server on another port is another backend" \
	lb backend add udp $VIP2:53 10.0.2.11:5353
lb service add tcp $VIP:53
check "l4lb: a TCP service shares the UDP server's address and port" \
	lb backend add tcp $VIP:53 10.0.2.11:53
for p in udp:$VIP:53 udp:$VIP2:53 tcp:$VIP:53; do
	lb service del "${p%%:*}" "${p#*:}"
done

# IPVS, the same services.
ipvs_add() {
	ip netns exec lb ipvsadm -C
	ip netns exec lb ipvsadm -A -t $VIP:80 -s rr
	ip netns exec lb ipvsadm -A -t $VIP2:8080 -s rr
	# Each added at the head of IPVS's list, which rr walks: b1 first.
	for i in 2 1; do
		ip netns exec lb ipvsadm -a -t $VIP:80 -r "10.0.2.1$i:80" -m
		ip netns exec lb ipvsadm -a -t $VIP2:8080 -r "10.0.2.1$i:80" -m
	done
}
ipvs_del() { ip netns exec lb ipvsadm -D -t $VIP:80; }
ipvs_stats() {
	ip netns exec lb ipvsadm -L -n --stats |
		awk '$1 == "TCP" { printf "%s%s", sep, $3; sep = " " }'
}
shared IPVS ipvs_add ipvs_del ipvs_stats
ip netns exec lb ipvsadm -C

finish

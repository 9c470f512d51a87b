#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Several balancers behind ECMP. A router spreads the flows to the VIP over
# three balancers by an L4 hash (fib_multipath_hash_policy=1); each runs
# l4lb with the same services (mh), its backends added in another order;
# the backends' default route is multipath over the three, so a reply often
# passes another balancer than its request.
#
#   cl 10.0.1.2 --- rt ==(10.0.4N.0/24)== lbN, N = 1..3 (VIP 10.0.0.1 on lo)
#                                          10.0.2.N --- sw (bridge) --- bM
#                                                        10.0.2.1M, M = 1..4
#
# New connections succeed and spread over balancers and backends; the
# balancers pick alike for 1,000 clients; 30 TCP connections and 30 UDP
# sessions go on, bytes intact, while a balancer dies and comes back; a
# fourth backend moves at most 1/4 + 2% of the choices, none between the
# old three; and of the connections that change balancer after that, no
# more break than the 1/4 that b4 takes allows (katran#155: an adopted flow
# follows the new backend set).
#
# guest-timeout: 900

. "$L4LB_REPO/tests/lib/e2e.sh"

STREAM=$L4LB_REPO/tests/tools/stream.py
LBS="lb1 lb2 lb3"

sysctls() {
	ip netns exec "$1" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.fib_multipath_hash_policy=1
}

# nexthops N...: a multipath route's hops to the balancers numbered N.
nexthops() {
	local n

	for n in "$@"; do printf 'nexthop via %s ' "$hop_prefix$n$hop_suffix"; done
}

# route_vip N...: the router sends the VIP to balancers N... (BGP's doing).
route_vip() {
	hop_prefix=10.0.4 hop_suffix=.2
	ip -n rt route replace $VIP/32 $(nexthops "$@")
}

# route_back N...: the backends' default route, over balancers N...
route_back() {
	local i

	hop_prefix=10.0.2. hop_suffix=
	for i in 1 2 3 4; do
		ip -n "b$i" route replace default $(nexthops "$@")
	done
}

ns_add cl rt lb1 lb2 lb3 sw b1 b2 b3 b4
for n in cl rt lb1 lb2 lb3 sw b1 b2 b3 b4; do sysctls "$n"; done
ip link add veth0 netns cl type veth peer name cl0 netns rt
ip -n cl addr add 10.0.1.2/24 dev veth0
for i in $(seq 10 39); do ip -n cl addr add "10.0.1.$i/24" dev veth0; done
ip -n cl link set veth0 up
ip -n cl route add default via 10.0.1.1
ip -n rt addr add 10.0.1.1/24 dev cl0
ip -n rt link set cl0 up
ip netns exec rt sysctl -qw net.ipv4.ip_forward=1
ip -n sw link add br0 type bridge
ip -n sw link set br0 up
for n in 1 2 3; do
	ip link add "lb$n" netns rt type veth peer name up0 netns "lb$n"
	ip -n rt addr add "10.0.4$n.1/24" dev "lb$n"
	ip -n rt link set "lb$n" up
	ip -n "lb$n" addr add "10.0.4$n.2/24" dev up0
	ip -n "lb$n" link set up0 up
	ip link add "lb$n" netns sw type veth peer name down0 netns "lb$n"
	ip -n sw link set "lb$n" master br0 up
	ip -n "lb$n" addr add "10.0.2.$n/24" dev down0
	ip -n "lb$n" link set down0 up
	ip -n "lb$n" addr add $VIP/32 dev lo
	ip -n "lb$n" route add default via "10.0.4$n.1"
	ip netns exec "lb$n" sysctl -qw net.ipv4.ip_forward=1
done
for i in 1 2 3 4; do
	ip link add veth0 netns "b$i" type veth peer name "b$i" netns sw
	ip -n "b$i" addr add "10.0.2.1$i/24" dev veth0
	ip -n "b$i" link set veth0 up
	ip -n sw link set "b$i" master br0 up
done
route_vip 1 2 3
route_back 1 2 3

load_l4lb
for i in 1 2 3 4; do
	serve "b$i" "b$i" 80
	serve "b$i" "b$i" 7777
done

# The same configuration everywhere, the backends in three orders.
orders=("1 2 3" "3 1 2" "2 3 1")
for n in 1 2 3; do
	l="ip netns exec lb$n $L4LBADM"
	check "lb$n: services and seed" sh -c \
		"$l set hash-seed 4242 && $l service add tcp $VIP:80 sched mh hash-port && $l service add udp $VIP:7777 sched mh"
	for i in ${orders[$((n - 1))]}; do
		check "lb$n: backend b$i" sh -c \
			"$l backend add tcp $VIP:80 10.0.2.1$i:80 && $l backend add udp $VIP:7777 10.0.2.1$i:7777"
	done
done
check "save keeps the seed" sh -c \
	"ip netns exec lb2 $L4LBADM save | grep -q 'hash-seed 4242'"

lbx() { local n=$1; shift; ip netns exec "$n" "$L4LBADM" "$@"; }

# stat_of LB PROTO KEY: a service's counter on one balancer.
stat_of() {
	lbx "$1" -j stats | python3 -c "import json,sys
s = json.load(sys.stdin)
print([v for v in s['services'] if v['proto'] == '$2'][0]['stats']['$3'])"
}

# 1. New connections: all succeed, through every balancer, to every backend.
got=$(for k in $(seq 60); do cl "$ECHO" tcp $VIP 80 2000 || echo FAIL; done)
check_eq "60 new connections through the router, all echoed" \
	"$(grep -c '^b[1-3]$' <<< "$got")" 60
check_eq "spread over the three backends" "$(sort -u <<< "$got" | tr '\n' ' ')" \
	"b1 b2 b3 "
for n in $LBS; do
	syns=$(($(stat_of "$n" tcp conns) - $(stat_of "$n" tcp adopted)))
	check "$n took SYNs of its own ($syns)" [ "$syns" -gt 0 ]
done
adopted=0
for n in $LBS; do adopted=$((adopted + $(stat_of "$n" tcp adopted))); done
check "replies through another balancer were adopted ($adopted)" \
	[ "$adopted" -gt 0 ]
for n in $LBS; do
	check_eq "$n: no TCP packet dropped" \
		"$(lbx "$n" -j stats | python3 -c "import json,sys; print(sum(sum(v['stats']['drops'].values()) for v in json.load(sys.stdin)['services']))")" 0
done

# 2. The same choice on every balancer, for clients none has seen.
clients=$(for k in $(seq 0 999); do
	echo "198.51.$((100 + k / 250)).$((k % 250 + 1)):$((1024 + k * 61))"
done)
for n in $LBS; do
	lbx "$n" backend pick tcp $VIP:80 $clients > "/tmp/ecmp-pick-$n"
	lbx "$n" backend pick udp $VIP:7777 $clients >> "/tmp/ecmp-pick-$n"
done
check_eq "1,000 clients: 2,000 choices by hash" \
	"$(grep -c ' hash$' /tmp/ecmp-pick-lb1)" 2000
check "lb1 and lb2 choose alike" cmp -s /tmp/ecmp-pick-lb1 /tmp/ecmp-pick-lb2
check "lb1 and lb3 choose alike" cmp -s /tmp/ecmp-pick-lb1 /tmp/ecmp-pick-lb3
check_eq "the TCP choices cover the three backends" \
	"$(head -1000 /tmp/ecmp-pick-lb1 | awk '{ print $2 }' | sort -u | wc -l)" 3

# 3. Long-lived connections and sessions while a balancer dies.
rm -f /tmp/ecmp-in-tcp /tmp/ecmp-in-udp
mkfifo /tmp/ecmp-in-tcp /tmp/ecmp-in-udp
cl python3 "$STREAM" tcp $VIP 80 30 < /tmp/ecmp-in-tcp > /tmp/ecmp-tcp &
T_PIDS+=($!)
cl python3 "$STREAM" udp $VIP 7777 30 10.0.1.10 < /tmp/ecmp-in-udp \
	> /tmp/ecmp-udp &
T_PIDS+=($!)
exec 7> /tmp/ecmp-in-tcp 8> /tmp/ecmp-in-udp

# result KIND LABEL: waits (60 s at most) for the round's line.
result() {
	local i

	for i in $(seq 300); do
		grep -m1 "^$2 " "/tmp/ecmp-$1" && return
		sleep 0.2
	done
	echo "$2 ok=0 broken=? moved=? (no answer)"
}

# stream_round LABEL: one round of both; sets tcp_line and udp_line.
stream_round() {
	echo "$1" >&7
	echo "$1" >&8
	tcp_line=$(result tcp "$1")
	udp_line=$(result udp "$1")
}

wait_for "30 connections and 30 sessions open" 60 sh -c \
	"grep -q ^ready /tmp/ecmp-tcp && grep -q ^ready /tmp/ecmp-udp"
stream_round all3
check_eq "all balancers: 30 connections echo intact" "$tcp_line" \
	"all3 ok=30 broken=0 moved=0"
check_eq "all balancers: 30 sessions answered" "$udp_line" \
	"all3 ok=30 broken=0 moved=0"
# A client with a flow: pick names the flow's backend, and says so.
flow=$(lbx lb1 flows tcp $VIP:80 |
	awk 'NR > 1 && $5 != "closing" { print $2, $4; exit }')
check_eq "backend pick shows a flow's backend" \
	"$(lbx lb1 backend pick tcp $VIP:80 ${flow% *})" "$flow flow"
check_eq "backend pick as JSON" \
	"$(lbx lb1 -j backend pick tcp $VIP:80 ${flow% *} 198.51.100.1:1024 |
	   python3 -c 'import json,sys; print([p["by"] for p in json.load(sys.stdin)])')" \
	"['flow', 'hash']"

before=$(($(stat_of lb1 tcp adopted) + $(stat_of lb3 tcp adopted)))
route_vip 1 3
route_back 1 3
stream_round lb2-dead
check_eq "lb2 dead: the 30 connections go on, bytes intact" "$tcp_line" \
	"lb2-dead ok=30 broken=0 moved=0"
check_eq "lb2 dead: the 30 sessions go on, same backends" "$udp_line" \
	"lb2-dead ok=30 broken=0 moved=0"
after=$(($(stat_of lb1 tcp adopted) + $(stat_of lb3 tcp adopted)))
check "lb1 and lb3 adopted lb2's connections ($before -> $after)" \
	[ "$after" -gt "$before" ]

# It comes back as from a reboot: an empty table.
lbx lb2 flush
route_vip 1 2 3
route_back 1 2 3
stream_round lb2-back
check_eq "lb2 back: the 30 connections go on" "$tcp_line" \
	"lb2-back ok=30 broken=0 moved=0"
check_eq "lb2 back: the 30 sessions go on" "$udp_line" \
	"lb2-back ok=30 broken=0 moved=0"

# 4. A fourth backend on every balancer.
for n in $LBS; do
	check "$n: backend b4" sh -c \
		"ip netns exec $n $L4LBADM backend add tcp $VIP:80 10.0.2.14:80 && ip netns exec $n $L4LBADM backend add udp $VIP:7777 10.0.2.14:7777"
	lbx "$n" backend pick tcp $VIP:80 $clients > "/tmp/ecmp-pick4-$n"
done
check "with b4, lb1 and lb2 still choose alike" \
	cmp -s /tmp/ecmp-pick4-lb1 /tmp/ecmp-pick4-lb2
check "with b4, lb1 and lb3 still choose alike" \
	cmp -s /tmp/ecmp-pick4-lb1 /tmp/ecmp-pick4-lb3
moved=$(head -1000 /tmp/ecmp-pick-lb1 | paste -d' ' - /tmp/ecmp-pick4-lb1 |
	awk '$2 != $5' | wc -l)
elsewhere=$(head -1000 /tmp/ecmp-pick-lb1 | paste -d' ' - /tmp/ecmp-pick4-lb1 |
	awk '$2 != $5 && $5 != "10.0.2.14:80"' | wc -l)
# The clients and the seed are fixed, so the count is too (258).
check "b4 took $moved of 1,000 choices: at most 1/4 + 2%" [ "$moved" -le 270 ]
check "b4 took some choices" [ "$moved" -gt 0 ]
check_eq "no choice moved between the old backends" "$elsewhere" 0
stream_round b4-joined
check_eq "b4 joined: flows in the tables keep their backends" "$tcp_line" \
	"b4-joined ok=30 broken=0 moved=0"

# katran#155: a connection that reaches a balancer holding no flow of it
# after the backend set changed is adopted by the new set's hash: 1/4 of
# them now go to b4, which resets them. Here most connections find a flow
# (the reply path and the earlier moves left them on several balancers);
# then every table is flushed (each balancer restarted): the worst case.
route_vip 1 2
route_back 1 2
stream_round lb3-dead
echo "# lb3 withdrawn after b4 joined: TCP $tcp_line; UDP $udp_line"
# Only a connection that changes balancer (the router's hash-threshold
# moves 1/2 of them from three hops to two), finds no flow of it there and
# lands on b4 (1/4) can break: 3.9 of 30 if none found its flow (runs
# measured 0 to 3). At most 11: more is a binomial tail of 0.02%.
check "lb3 dead after b4 joined: at most 11 connections break" \
	[ "$(sed 's/.* ok=\([0-9]*\) .*/\1/' <<< "$tcp_line")" -ge 19 ]
check "lb3 dead after b4 joined: every session answered" \
	grep -q "ok=30 broken=0" <<< "$udp_line"
lbx lb1 flush
lbx lb2 flush
stream_round flushed
echo "# katran#155, every table flushed after b4 joined: TCP $tcp_line; UDP $udp_line"
# Each connection is hashed anew and breaks if it lands on b4: 1/4 of them
# (7.7 of 30 for b4's 25.8%; runs measured 6 to 11). At most 16: more is a
# binomial tail of 0.03%.
broken=$(sed 's/.* broken=\([0-9]*\) .*/\1/' <<< "$tcp_line")
check "tables lost after b4 joined: about 1/4 of the connections break, at most 16 ($broken)" \
	[ "$broken" -le 16 ]
check "tables lost after b4 joined: every session answered, a share by b4" \
	grep -q "ok=30 broken=0" <<< "$udp_line"

exec 7>&- 8>&-
rm -f /tmp/ecmp-in-tcp /tmp/ecmp-in-udp
finish

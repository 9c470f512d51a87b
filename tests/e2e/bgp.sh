#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Routes that follow health. Three balancers announce the VIP by BGP to a
# router, each only while its `l4lbadm healthd` keeps the VIP's address on
# the dummy interface vip0 (while the service has a usable backend): BIRD's
# `protocol direct` or FRR's `redistribute connected` exports what is on
# vip0. The router merges the equal paths into one multipath route
# (fib_multipath_hash_policy=1). The daemons run the files of
# Documentation/ecmp/ as they are, lb2's and lb3's with their own addresses
# (conf_for), and Documentation/ecmp.md must show those files verbatim.
#
#   cl 10.0.1.2 --- rt ===(10.0.4N.0/24, BGP)=== lbN, N = 1..3
#                  AS 65000                     AS 65001, VIP 10.0.0.1 on vip0
#                                               10.0.2.N --- sw (bridge) --- bM
#                                                             10.0.2.1M, M = 1..3
#
# 0. healthd refuses a bad announce line, one line on stderr, announcing
#    nothing.
# BIRD on the router and the balancers:
# 1. the route has three next hops; new connections all succeed;
# 2. lb1 loses its backends: healthd marks them down and lb1's path is
#    withdrawn (the time is reported); new connections all succeed; back;
# 3. `l4lbadm drain` on lb2 under load: exits once no new flow came for 3 s,
#    its path gone, 30 long-lived connections intact and no new connection
#    failing; `undrain` brings the path back;
# 4. lb2 dies without a carrier change on the router: BFD withdraws its path
#    in less than 1 s; lb3 (no BFD, hold time 6 s) dies too: the hold
#    timer does it, later; the long-lived connections go on.
# FRR (zebra, bgpd, bfdd) on the router and the balancers:
# 5. three next hops; lb1 losing its backends withdraws its path; BFD
#    withdraws a dead lb2's path in less than 1 s.
#
# About 5 minutes of guest time on an idle machine; the bound is for a
# guest that hangs, or runs beside others:
# guest-timeout: 1200
# guest-alone: BFD must withdraw a hung balancer in less than 1 s

. "$L4LB_REPO/tests/lib/e2e.sh"

STREAM=$L4LB_REPO/tests/tools/stream.py
CONF=$L4LB_REPO/Documentation/ecmp
LBS="lb1 lb2 lb3"
declare -A pid_of

# conf_for N FILE: balancer lbN's copy of FILE of Documentation/ecmp/,
# written for lb1: lbN's addresses are 10.0.4N.x where lb1's are 10.0.41.x
# (lb1's copy is the file as it is).
conf_for() {
	sed "s/10\.0\.41\./10.0.4$1./g" "$CONF/$2" > "/tmp/bgp-lb$1-$2"
	echo "/tmp/bgp-lb$1-$2"
}

# nexthops PREFIX SUFFIX N...: a multipath route's hops to balancers N...
nexthops() {
	local p=$1 s=$2 n

	shift 2
	for n in "$@"; do printf 'nexthop via %s ' "$p$n$s"; done
}

# route_back N...: the backends' default route, over balancers N... (by
# hand: the backends run no routing daemon).
route_back() {
	local i

	for i in 1 2 3; do
		ip -n "b$i" route replace default $(nexthops 10.0.2. '' "$@")
	done
}

# hops: the next hops of the router's route to the VIP, sorted.
hops() {
	ip -n rt route show $VIP/32 | grep -o 'via [0-9.]*' | cut -d' ' -f2 |
		sort | tr '\n' ' '
}

# hops_are N...: the router's route to the VIP goes to balancers N...
hops_are() {
	local n want=

	for n in "$@"; do want+="10.0.4$n.2 "; done
	[ "$(hops)" = "$want" ]
}

# gone_after T0 N BOUND: the seconds from T0 (microseconds, as
# ${EPOCHREALTIME/./}) until the router's route to the VIP lost its hop via
# lbN, from the time stamps of `ip monitor` (/tmp/bgp-mon): the first
# change of the route after T0 without that hop; "never" if the route
# still has it after BOUND seconds. The monitor may write its record a
# moment after the route changed (a busy guest): the log is read again
# until it has it, for as long as BOUND, which the figure does not count.
gone_after() {
	local n=$2 i got

	while ip -n rt route show $VIP/32 | grep -q "via 10.0.4$n.2 "; do
		if [ $((${EPOCHREALTIME/./} - $1)) -gt $(($3 * 1000000)) ]; then
			echo never
			return
		fi
		sleep 0.1
	done
	for i in $(seq 1 $(($3 * 10))); do
		got=$(record_after "$1" "$n")
		[ "$got" = unseen ] || break
		sleep 0.1
	done
	echo "$got"
}

# record_after T0 N: gone_after()'s reading of the monitor's log.
record_after() {
	python3 - "$1" "10.0.4$2.2" "$VIP" /tmp/bgp-mon <<-'EOF'
	import datetime, re, sys
	t0, hop, vip = int(sys.argv[1]) / 1e6, "via %s " % sys.argv[2], sys.argv[3]
	records = re.split(r"^(?=\[)", open(sys.argv[4]).read(), flags=re.M)
	for r in records:
	    m = re.match(r"\[([^]]+)\] (\S+)", r)
	    if not m or m.group(2) != vip:
	        continue
	    t = datetime.datetime.fromisoformat(m.group(1)).timestamp()
	    if t >= t0 and hop not in r:
	        print("%.3f" % (t - t0))
	        break
	else:
	    print("unseen")
	EOF
}

# below A B: A < B, both decimal seconds ("never" is no number).
below() {
	awk -v a="$1" -v b="$2" 'BEGIN { exit !(a ~ /^[0-9.]+$/ && a + 0 < b + 0) }'
}

# cut_off N: lbN's uplink drops every packet both ways (a hung machine):
# the router's side keeps its carrier, so only BGP or BFD can tell.
# Sets t0 (as gone_after takes it) when tc has put the last filter in:
# taken before, it would count tc's start, a few hundred ms in a slow guest.
cut_off() {
	tc -n "lb$1" qdisc add dev up0 clsact &&
		tc -n "lb$1" filter add dev up0 ingress matchall action drop &&
		tc -n "lb$1" filter add dev up0 egress matchall action drop &&
		t0=${EPOCHREALTIME/./}
}

reconnect() {
	tc -n "lb$1" qdisc del dev up0 clsact
}

# new_conns K: K new connections from the client; prints the failures.
new_conns() {
	local k got

	got=$(for k in $(seq "$1"); do cl "$ECHO" tcp $VIP 80 2000 || echo FAIL; done)
	echo "$got" | grep -vc '^b[1-3]$'
}

bird_start() {
	ip netns exec "$1" bird -f -c "$2" -s "/run/bird-$1.ctl" \
		-P "/run/bird-$1.pid" 2> "/tmp/bird-$1.log" &
	pid_of[bird-$1]=$!
	T_PIDS+=($!)
}

# frr_start NS...: zebra, bfdd and bgpd in each NS, their sockets under
# /run/frr/NS, their logs in /tmp; all started before any is waited for.
frr_start() {
	local n d

	install -d -o frr -g frr /run/frr
	: > /tmp/frr-empty.conf
	for n in "$@"; do
		install -d -o frr -g frr "/run/frr/$n"
		for d in zebra bfdd bgpd; do
			ip netns exec "$n" "/usr/lib/frr/$d" -N "$n" -P 0 \
				-f /tmp/frr-empty.conf --log "file:/tmp/frr-$n-$d.log" \
				> /dev/null 2>&1 &
			T_PIDS+=($!)
		done
	done
	for n in "$@"; do
		wait_for "$n: zebra, bfdd and bgpd started" 90 sh -c \
			"cd /run/frr/$n && test -S zebra.vty && test -S bfdd.vty && test -S bgpd.vty"
	done
}

# frr_conf NS CONF: vtysh gives CONF to NS's daemons (its own settings
# file, which it says it misses, is optional).
frr_conf() {
	check "$1: FRR takes $(basename "$2")" \
		ip netns exec "$1" vtysh -N "$1" -f "$2" 2> >(grep -v vtysh.conf >&2)
}

healthd_start() {
	ip netns exec "$1" "$L4LBADM" healthd "$CONF/healthd.conf" \
		2> "/tmp/healthd-$1.log" &
	pid_of[healthd-$1]=$!
	T_PIDS+=($!)
}

# vip_on NS: the VIP is on NS's vip0; vip0_empty NS: no IPv4 address is.
vip_on() {
	ip -n "$1" addr show dev vip0 | grep -q "inet $VIP/32"
}

vip0_empty() {
	! ip -n "$1" addr show dev vip0 | grep -q "inet "
}

ns_add cl rt lb1 lb2 lb3 sw b1 b2 b3
for n in cl rt lb1 lb2 lb3 sw b1 b2 b3; do
	ip netns exec "$n" sysctl -qw net.ipv4.conf.all.rp_filter=0 \
		net.ipv4.conf.default.rp_filter=0 \
		net.ipv4.fib_multipath_hash_policy=1
done
ip link add veth0 netns cl type veth peer name cl0 netns rt
ip -n cl addr add 10.0.1.2/24 dev veth0
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
	ip -n "lb$n" link add vip0 type dummy
	ip -n "lb$n" link set vip0 up
	ip -n "lb$n" route add default via "10.0.4$n.1"
	ip netns exec "lb$n" sysctl -qw net.ipv4.ip_forward=1
done
for i in 1 2 3; do
	ip link add veth0 netns "b$i" type veth peer name "b$i" netns sw
	ip -n "b$i" addr add "10.0.2.1$i/24" dev veth0
	ip -n "b$i" link set veth0 up
	ip -n sw link set "b$i" master br0 up
done
route_back 1 2 3
# The router's route changes, time-stamped, for gone_after.
ip -n rt -ts monitor route > /tmp/bgp-mon &
T_PIDS+=($!)
# What cut_off needs, loaded before any timing starts.
modprobe -a sch_ingress cls_matchall act_gact

load_l4lb
for i in 1 2 3; do serve "b$i" "b$i" 80; done
for n in $LBS; do
	l="ip netns exec $n $L4LBADM"
	check "$n: service and backends" sh -c \
		"$l set hash-seed 4242 && $l service add tcp $VIP:80 sched mh hash-port &&
		 $l backend add tcp $VIP:80 10.0.2.11:80 && $l backend add tcp $VIP:80 10.0.2.12:80 &&
		 $l backend add tcp $VIP:80 10.0.2.13:80"
done

# 0. A bad announce line, after a good one: refused with its place, and
# nothing announced (the module is loaded and the backends answer, so the
# good line alone would announce).
bad_conf() {
	local want

	cp "$CONF/healthd.conf" /tmp/bgp-bad.conf
	echo "$1" >> /tmp/bgp-bad.conf
	want="l4lbadm: healthd: /tmp/bgp-bad.conf:$(wc -l < /tmp/bgp-bad.conf): $2"
	check_err "healthd refuses '$1'" "$want" \
		ip netns exec lb1 "$L4LBADM" healthd /tmp/bgp-bad.conf
	check "... and announces nothing" vip0_empty lb1
}
bad_conf "announce $VIP dev nosuch0" \
	"announce: no interface nosuch0 (ip link add nosuch0 type dummy)"
bad_conf "announce 10.0.0.9 dev vip0" \
	"announce: 10.0.0.9 is no service's address (l4lbadm list)"
bad_conf "announce 224.0.0.9 dev vip0" \
	"announce: 224.0.0.9 is not a unicast address"
bad_conf "announce $VIP dev vip0 min-up 0" \
	"announce: min-up is a count of backends from 1 to 512"
bad_conf "announce $VIP dev vip0 min-up 513" \
	"announce: min-up is a count of backends from 1 to 512"

for n in $LBS; do healthd_start "$n"; done
for n in $LBS; do
	wait_for "$n: healthd puts the VIP on vip0" 60 vip_on "$n"
done

# 1. BIRD: the router learns the VIP from the three balancers and merges
# the paths.
# lb3's session has no BFD and a hold time of 6 s (the yardstick of 4.).
sed '/^protocol bgp lb3 /s/ }$/ bfd off; hold time 6; keepalive time 2; }/' \
	"$CONF/bird-router.conf" > /tmp/bgp-bird-router.conf
sed -i 's/bfd on;/bfd off;/' "$(conf_for 3 bird-balancer.conf)"
check "lb3's session differs from the others" \
	grep -q "lb3 .*hold time 6" /tmp/bgp-bird-router.conf
bird_start rt /tmp/bgp-bird-router.conf
for n in 1 2; do bird_start "lb$n" "$(conf_for $n bird-balancer.conf)"; done
bird_start lb3 /tmp/bgp-lb3-bird-balancer.conf
wait_for "BIRD: the router's route to the VIP has three next hops" 90 \
	hops_are 1 2 3
check_eq "BIRD: 30 new connections, none failed" "$(new_conns 30)" 0

# 2. lb1 loses its backends (its link to them goes down; its checks are
# answered by the router's ICMP net unreachable): healthd takes the VIP
# off vip0 and BIRD withdraws it.
t0=${EPOCHREALTIME/./}
ip -n lb1 link set down0 down
route_back 2 3
t=$(gone_after "$t0" 1 30)
echo "# BIRD: lb1 lost its backends; its path withdrawn after $t s; healthd said:"
grep -E 'down|withdrawn' /tmp/healthd-lb1.log | sed 's/^/#   /'
check "BIRD: lb1's path withdrawn when its backends are down ($t s)" below "$t" 30
check "BIRD: the VIP is off lb1's vip0" vip0_empty lb1
check_eq "BIRD: lb1 withdrawn: 30 new connections, none failed" "$(new_conns 30)" 0
ip -n lb1 link set down0 up
route_back 1 2 3
wait_for "BIRD: lb1's backends back: its path is back" 60 hops_are 1 2 3

# 3. Drain lb2 under load: 30 long-lived connections (a round of bytes
# while the drain runs) and a loop of new connections.
rm -f /tmp/bgp-in /tmp/bgp-stop
mkfifo /tmp/bgp-in
cl python3 "$STREAM" tcp $VIP 80 30 < /tmp/bgp-in > /tmp/bgp-tcp &
T_PIDS+=($!)
exec 7> /tmp/bgp-in

# round LABEL: one round of the long-lived connections; prints its line
# (60 s at most).
round() {
	local i

	echo "$1" >&7
	for i in $(seq 300); do
		grep -m1 "^$1 " /tmp/bgp-tcp && return
		sleep 0.2
	done
	echo "$1 ok=0 broken=? moved=? (no answer)"
}

wait_for "30 long-lived connections open" 60 grep -q ^ready /tmp/bgp-tcp
check_eq "all three: the 30 connections echo intact" "$(round all3)" \
	"all3 ok=30 broken=0 moved=0"
(
	for _ in $(seq 300); do
		[ -e /tmp/bgp-stop ] && break
		cl "$ECHO" tcp $VIP 80 2000 || echo FAIL
	done
) > /tmp/bgp-loop 2>&1 &
loop=$!
T_PIDS+=($!)
wait_for "new connections are being made" 30 \
	sh -c "[ \$(wc -l < /tmp/bgp-loop) -ge 3 ]"
ip netns exec lb2 "$L4LBADM" drain quiet 3 timeout 60 > /tmp/bgp-drain 2>&1 &
drain=$!
draining=$(round draining)
wait "$drain" && rc=0 || rc=$?
check_eq "drain lb2: exits 0" "$rc" 0
check "drain lb2 says so: $(cat /tmp/bgp-drain)" \
	grep -qx "drained: 1 of 1 addresses withdrawn: $VIP; no new flow for 3.0 s" /tmp/bgp-drain
check "drain lb2: its path is gone" hops_are 1 3
check_eq "drain lb2: the 30 connections echo intact" "$draining" \
	"draining ok=30 broken=0 moved=0"
check_eq "drained: the 30 connections echo intact" "$(round drained)" \
	"drained ok=30 broken=0 moved=0"
touch /tmp/bgp-stop
wait "$loop"
check "drain lb2: $(wc -l < /tmp/bgp-loop) new connections meanwhile, none failed" \
	sh -c "! grep -v '^b[1-3]$' /tmp/bgp-loop"
check "undrain lb2" ip netns exec lb2 "$L4LBADM" undrain
wait_for "undrained: lb2's path is back" 30 hops_are 1 2 3

# 4. lb2 hangs: its BFD session (100 ms x 5) withdraws its path. lb3's
# session runs without BFD, with a hold time of 6 s, as a yardstick.
wait_for "BIRD: BFD sessions to lb1 and lb2 up" 30 sh -c \
	"birdc -s /run/bird-rt.ctl show bfd sessions | grep -c ' Up ' | grep -qx 2"
cut_off 2
bfd=$(gone_after "$t0" 2 30)
echo "# BIRD: lb2 hung; BFD withdrew its path after $bfd s"
check "BIRD: BFD withdraws a hung lb2 in less than 1 s ($bfd s)" below "$bfd" 1
route_back 1 3
check_eq "lb2 dead: the 30 connections echo intact" "$(round lb2-dead)" \
	"lb2-dead ok=30 broken=0 moved=0"
cut_off 3
hold=$(gone_after "$t0" 3 30)
echo "# BIRD: lb3 hung (no BFD, hold time 6 s); its path withdrawn after $hold s"
check "BIRD: lb3 withdrawn by its hold timer, later than BFD ($hold s)" \
	below "$bfd" "$hold"
route_back 1
check_eq "lb3 dead too: the 30 connections echo intact" "$(round lb3-dead)" \
	"lb3-dead ok=30 broken=0 moved=0"
exec 7>&-

# 5. FRR in BIRD's place, lb2 and lb3 alive again.
for n in rt lb1 lb2 lb3; do kill "${pid_of[bird-$n]}"; done
for n in rt lb1 lb2 lb3; do wait "${pid_of[bird-$n]}"; done
reconnect 2
reconnect 3
route_back 1 2 3
frr_start rt $LBS
frr_conf rt "$CONF/frr-router.conf"
for n in 1 2 3; do frr_conf "lb$n" "$(conf_for $n frr-balancer.conf)"; done
wait_for "FRR: the router's route to the VIP has three next hops" 120 \
	hops_are 1 2 3
wait_for "FRR: the router's BFD sessions up" 60 sh -c \
	"ip netns exec rt vtysh -N rt -c 'show bfd peers brief' 2> /dev/null | grep -cw up | grep -qx 3"
check_eq "FRR: 30 new connections, none failed" "$(new_conns 30)" 0
t0=${EPOCHREALTIME/./}
ip -n lb1 link set down0 down
route_back 2 3
t=$(gone_after "$t0" 1 30)
echo "# FRR: lb1 lost its backends; its path withdrawn after $t s"
check "FRR: lb1's path withdrawn when its backends are down ($t s)" below "$t" 30
echo "# FRR: the router's BGP sessions lost before the failures: $(grep -c 'ADJCHANGE.* Down' /tmp/frr-rt-bgpd.log)"
cut_off 2
bfd_frr=$(gone_after "$t0" 2 30)
echo "# FRR: lb2 hung; BFD withdrew its path after $bfd_frr s"
check "FRR: BFD withdraws a hung lb2 in less than 1 s ($bfd_frr s)" \
	below "$bfd_frr" 1

# The files shown in Documentation/ecmp.md are the files tested here.
check "Documentation/ecmp.md shows Documentation/ecmp/ verbatim" \
	python3 "$L4LB_REPO/tests/spec/ecmp_docs.py"

rm -f /tmp/bgp-in /tmp/bgp-stop
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# healthd's announcements, without a BGP daemon (tests/e2e/bgp.sh has them):
# what `announce` lines put on the announce interface, and when. A VIP's
# address is on vip0 while every service at it has min-up usable backends;
# it goes at a check's verdict, with a weight of 0, with a service of no
# backend, with the last service, on drain, on a reload without its line,
# when healthd stops and when the module goes; it comes back on a vip0
# re-created; an address no line names stays. Bad configurations and
# unprivileged drain requests change nothing.
#
#   cl --- lb (10.0.0.1:80 tcp, min-up 2; 10.0.0.2:53 udp;  --- b1 b2
#             [2001:db8::1]:80 tcp)
#             vip0 (dummy): what a BGP daemon would export
#
# guest-timeout: 900

. "$L4LB_REPO/tests/lib/e2e.sh"

VIP2=10.0.0.2
load_l4lb
topo 2
topo6 2
# The VIP is routed here by the test; vip0 is only what would be announced.
ip -n lb addr del $VIP/32 dev lo
ip -n lb link add vip0 type dummy
ip -n lb link set vip0 up
ip -n lb addr add 192.0.2.1/32 dev vip0
for i in 1 2; do
	serve "b$i" "b$i" 80
	eval "server$i=${T_PIDS[-1]}"
done
check "tcp service" lb service add tcp $VIP:80
check "udp service at a second VIP" lb service add udp $VIP2:53 sched rr
for i in 1 2; do
	check "backend b$i" lb backend add tcp $VIP:80 "10.0.2.1$i:80"
done
check "udp backend" lb backend add udp $VIP2:53 10.0.2.11:53
check "IPv6 service" lb service add tcp "[$VIP6]:80"
for i in 1 2; do
	check "IPv6 backend b$i" lb backend add tcp "[$VIP6]:80" \
		"[2001:db8:2::1$i]:80"
done

# on_vip0: the addresses on vip0, sorted, on one line (not its link-local).
on_vip0() {
	ip -n lb -j addr show dev vip0 | python3 -c "import json,sys
print(' '.join(sorted(a['local'] for i in json.load(sys.stdin)
		      for a in i['addr_info'] if a['scope'] == 'global')))"
}
is_on_vip0() { [ "$(on_vip0)" = "$1" ]; }
hd() { ip netns exec lb "$L4LBADM" "$@"; }

# 1. Bad input: one line, exit 1, nothing announced.
bad() {
	printf '%s\n' "$2" > /tmp/announce-bad.conf
	check_err "$1" "l4lbadm: healthd: /tmp/announce-bad.conf:1: $3" \
		hd healthd /tmp/announce-bad.conf
}
bad "a missing interface is refused" "announce $VIP dev vip9" \
	"announce: no interface vip9 (ip link add vip9 type dummy)"
bad "an address no service has is refused" "announce 10.9.9.9 dev vip0" \
	"announce: 10.9.9.9 is no service's address (l4lbadm list)"
bad "min-up 0 is refused" "announce $VIP dev vip0 min-up 0" \
	"announce: min-up is a count of backends from 1 to 512"
bad "min-up 513 is refused" "announce $VIP dev vip0 min-up 513" \
	"announce: min-up is a count of backends from 1 to 512"
bad "a multicast address is refused" "announce 239.1.1.1 dev vip0" \
	"announce: 239.1.1.1 is not a unicast address"
bad "a malformed line is refused" "announce $VIP vip0" \
	"a line is: announce VIP dev DEV [min-up N]"
check_eq "none of them announced anything" "$(on_vip0)" "192.0.2.1"
ip -n lb addr add $VIP/32 dev vip0
bad "a file refused at start takes back what an earlier run put" \
	"announce $VIP dev vip0 min-up 0" \
	"announce: min-up is a count of backends from 1 to 512"
check_eq "for nothing checks it now" "$(on_vip0)" "192.0.2.1"
check_err "drain without healthd says so" \
	"l4lbadm: drain: no l4lbadm healthd runs in this network namespace (nothing announces its VIPs)" \
	hd drain

# 2. Announced while it can serve. Refused connections, never timeouts,
# make a check fail: a slowed guest does not fail them.
cat > /tmp/announce.conf <<EOF
check tcp $VIP:80 connect interval 0.5 timeout 10 rise 2 fall 2
announce $VIP dev vip0 min-up 2
announce $VIP2 dev vip0
announce $VIP6 dev vip0
EOF
ALL="10.0.0.1 10.0.0.2 192.0.2.1 2001:db8::1"
# Not through hd(): $! must be healthd itself (ip netns exec execs it).
ip netns exec lb "$L4LBADM" healthd /tmp/announce.conf 2> /tmp/announce.log &
healthd=$!
T_PIDS+=($healthd)
wait_for "the three VIPs announced, the operator's address kept" 60 \
	is_on_vip0 "$ALL"
check_err "a second healthd that announces is refused" \
	"l4lbadm: healthd: /tmp/announce.conf:2: announce: another l4lbadm healthd runs in this network namespace" \
	hd healthd /tmp/announce.conf
check_eq "and took back nothing of the first one's" "$(on_vip0)" "$ALL"

kill "$server2"
wait_for "b2's server stops: 1 usable of min-up 2, 10.0.0.1 withdrawn" 60 \
	is_on_vip0 "10.0.0.2 192.0.2.1 2001:db8::1"
check "at the check's verdict, saying why" grep -q \
	"10.0.0.1: withdrawn from vip0 (tcp 10.0.0.1:80 has 1 usable backends, min-up 2)" \
	/tmp/announce.log
check "the verdict came first" sh -c \
	"grep -n -e 'down after' -e 'withdrawn from vip0 (tcp' /tmp/announce.log | head -1 | grep -q 'down after'"
serve b2 b2 80
wait_for "b2 back: announced again" 60 is_on_vip0 "$ALL"

check "an operator sets b1's weight to 0" \
	lb backend set tcp $VIP:80 10.0.2.11:80 weight 0
wait_for "a backend of weight 0 is not usable: withdrawn" 60 \
	is_on_vip0 "10.0.0.2 192.0.2.1 2001:db8::1"
check "weight 1 again" lb backend set tcp $VIP:80 10.0.2.11:80 weight 1
wait_for "announced again" 60 is_on_vip0 "$ALL"

check "a service of no backend at the IPv6 VIP" lb service add udp "[$VIP6]:53"
wait_for "every service at the VIP must serve: 2001:db8::1 withdrawn" 60 \
	is_on_vip0 "10.0.0.1 10.0.0.2 192.0.2.1"
check "that service deleted" lb service del udp "[$VIP6]:53"
wait_for "announced again" 60 is_on_vip0 "$ALL"

# The device re-created (or flushed) behind healthd's back.
ip -n lb link del vip0
ip -n lb link add vip0 type dummy
ip -n lb link set vip0 up
wait_for "vip0 re-created: healthd puts its addresses back" 60 \
	is_on_vip0 "10.0.0.1 10.0.0.2 2001:db8::1"
ip -n lb addr add 192.0.2.1/32 dev vip0

# 3. drain and undrain.
got=$(hd drain quiet 1)
check_eq "drain withdraws all three and returns once no flow comes" "$got" \
	"drained: 3 of 3 addresses withdrawn: 10.0.0.1 10.0.0.2 2001:db8::1; no new flow for 1.0 s"
check_eq "drained: only the operator's address is left" "$(on_vip0)" \
	"192.0.2.1"
check "a drained balancer still serves what reaches it" \
	cl "$ECHO" tcp $VIP 80 100
# New flows, one every few tenths of a second (well under 8 s however slow
# the guest): the router has not moved the traffic.
new_flows() {
	while :; do cl "$ECHO" tcp $VIP 80 10 > /dev/null 2>&1; sleep 0.2; done
}
new_flows &
loop=$!
T_PIDS+=($loop)
check_err "drain gives up when new flows keep coming" \
	"l4lbadm: drain: 3 of 3 addresses withdrawn: 10.0.0.1 10.0.0.2 2001:db8::1; new flows still came after 10.0 s: has the router withdrawn the route? (undrain announces again)" \
	hd drain quiet 8 timeout 10
kill $loop
wait $loop 2> /dev/null
check_eq "undrain announces again" "$(hd undrain)" \
	"undrained: 3 of 3 addresses announced: 10.0.0.1 10.0.0.2 2001:db8::1"
check_eq "all back on vip0" "$(on_vip0)" "$ALL"

# Only root is heard (the socket is in a directory of root's alone).
for verb in drain undrain; do
	check_err "nobody's $verb is refused" \
		"l4lbadm: $verb: permission denied (only root may drain or undrain)" \
		ip netns exec lb setpriv --reuid=65534 --regid=65534 \
		--clear-groups "$L4LBADM" $verb
done
check_eq "and nothing was withdrawn" "$(on_vip0)" "$ALL"

# 4. The last service at an address goes, a line goes, healthd stops.
check "the udp service deleted" lb service del udp $VIP2:53
wait_for "no service has 10.0.0.2: withdrawn" 60 \
	is_on_vip0 "10.0.0.1 192.0.2.1 2001:db8::1"
check "the udp service back" ip netns exec lb sh -c \
	"$L4LBADM service add udp $VIP2:53 && $L4LBADM backend add udp $VIP2:53 10.0.2.11:53"
wait_for "announced again" 60 is_on_vip0 "$ALL"
sed -i "/$VIP2/d" /tmp/announce.conf
kill -HUP "$healthd"
wait_for "a reload without its line withdraws 10.0.0.2" 60 \
	is_on_vip0 "10.0.0.1 192.0.2.1 2001:db8::1"
kill "$healthd"
check "healthd stops" wait "$healthd"
check_eq "stopped, it withdrew what it announced, and only that" \
	"$(on_vip0)" "192.0.2.1"

# 5. The module goes: nothing is left to serve with.
ip netns exec lb "$L4LBADM" healthd /tmp/announce.conf 2>> /tmp/announce.log &
healthd=$!
T_PIDS+=($healthd)
wait_for "a new healthd announces again" 60 \
	is_on_vip0 "10.0.0.1 192.0.2.1 2001:db8::1"
check "the module unloaded" unload_l4lb
wait_for "no module: every address withdrawn" 60 is_on_vip0 "192.0.2.1"
kill "$healthd"
echo "# healthd's log:"
sed 's/^/#   /' /tmp/announce.log

finish

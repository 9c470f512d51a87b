#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# healthd's announcements, without a BGP daemon (tests/e2e/bgp.sh has them):
# what `announce` lines put on the announce interface, and when. The VIP's
# address is on vip0 while every service at it has min-up usable backends;
# it goes at a check's verdict, with a weight of 0, with a service of no
# backend, with the last service, on drain, on a reload without its line and
# when healthd stops; an address no line names stays. Bad configurations and
# unprivileged drain requests change nothing.
#
#   cl 10.0.1.2 --- lb (10.0.0.1:80 tcp rr, min-up 2; 10.0.0.2:53 udp) --- b1 b2
#                   vip0 (dummy): what a BGP daemon would export
#
# guest-timeout: 900

. "$L4LB_REPO/tests/lib/e2e.sh"

VIP2=10.0.0.2
load_l4lb
topo 2
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
check_err "drain without healthd says so" \
	"l4lbadm: drain: no l4lbadm healthd runs in this network namespace (nothing announces its VIPs)" \
	hd drain

# 2. Announced while it can serve. Refused connections, never timeouts,
# make a check fail: a slowed guest does not fail them.
cat > /tmp/announce.conf <<EOF
check tcp $VIP:80 connect interval 0.5 timeout 10 rise 2 fall 2
announce $VIP dev vip0 min-up 2
announce $VIP2 dev vip0
EOF
hd healthd /tmp/announce.conf 2> /tmp/announce.log &
healthd=$!
T_PIDS+=($healthd)
wait_for "both VIPs announced, the operator's address kept" 60 \
	is_on_vip0 "10.0.0.1 10.0.0.2 192.0.2.1"
check_err "a second healthd that announces is refused" \
	"l4lbadm: healthd: /tmp/announce.conf:2: announce: another l4lbadm healthd runs in this network namespace" \
	hd healthd /tmp/announce.conf

kill "$server2"
wait_for "b2's server stops: 1 usable of min-up 2, withdrawn" 60 \
	is_on_vip0 "10.0.0.2 192.0.2.1"
check "at the check's verdict, saying why" grep -q \
	"10.0.0.1: withdrawn from vip0 (tcp 10.0.0.1:80 has 1 usable backends, min-up 2)" \
	/tmp/announce.log
check "the verdict came first" sh -c \
	"grep -n -e 'down after' -e 'withdrawn from vip0 (tcp' /tmp/announce.log | head -1 | grep -q 'down after'"
serve b2 b2 80
wait_for "b2 back: announced again" 60 is_on_vip0 "10.0.0.1 10.0.0.2 192.0.2.1"

check "an operator sets b1's weight to 0" \
	lb backend set tcp $VIP:80 10.0.2.11:80 weight 0
wait_for "a backend of weight 0 is not usable: withdrawn" 60 \
	is_on_vip0 "10.0.0.2 192.0.2.1"
check "weight 1 again" lb backend set tcp $VIP:80 10.0.2.11:80 weight 1
wait_for "announced again" 60 is_on_vip0 "10.0.0.1 10.0.0.2 192.0.2.1"

check "a service of no backend at the VIP" lb service add tcp $VIP:81
wait_for "every service at the VIP must serve: withdrawn" 60 \
	is_on_vip0 "10.0.0.2 192.0.2.1"
check "that service deleted" lb service del tcp $VIP:81
wait_for "announced again" 60 is_on_vip0 "10.0.0.1 10.0.0.2 192.0.2.1"

# 3. drain and undrain.
got=$(hd drain quiet 1)
check_eq "drain withdraws both and returns once no flow comes" "$got" \
	"drained: 2 of 2 addresses withdrawn: 10.0.0.1 10.0.0.2; no new flow for 1.0 s"
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
	"l4lbadm: drain: 2 of 2 addresses withdrawn: 10.0.0.1 10.0.0.2; new flows still came after 10.0 s: has the router withdrawn the route? (undrain announces again)" \
	hd drain quiet 8 timeout 10
kill $loop
wait $loop 2> /dev/null
check_eq "undrain announces again" "$(hd undrain)" \
	"undrained: 2 of 2 addresses announced: 10.0.0.1 10.0.0.2"
check_eq "both back on vip0" "$(on_vip0)" "10.0.0.1 10.0.0.2 192.0.2.1"

# Only root is heard: a drain request as nobody changes nothing.
req='import socket
s = socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET)
s.connect("\0l4lb-healthd")
try:
    s.send(b"drain")
except BrokenPipeError:
    pass  # refused before it was read: the answer waits all the same
print(s.recv(200).decode())'
check_eq "nobody's drain request is refused" \
	"$(ip netns exec lb setpriv --reuid=65534 --regid=65534 --clear-groups python3 -c "$req")" \
	"error permission denied (drain and undrain need root)"
check_eq "and nothing was withdrawn" "$(on_vip0)" "10.0.0.1 10.0.0.2 192.0.2.1"

# 4. The last service at an address goes, a line goes, healthd stops.
check "the udp service deleted" lb service del udp $VIP2:53
wait_for "no service has 10.0.0.2: withdrawn" 60 \
	is_on_vip0 "10.0.0.1 192.0.2.1"
check "the udp service back" ip netns exec lb sh -c \
	"$L4LBADM service add udp $VIP2:53 && $L4LBADM backend add udp $VIP2:53 10.0.2.11:53"
wait_for "announced again" 60 is_on_vip0 "10.0.0.1 10.0.0.2 192.0.2.1"
sed -i "/$VIP2/d" /tmp/announce.conf
kill -HUP "$healthd"
wait_for "a reload without its line withdraws 10.0.0.2" 60 \
	is_on_vip0 "10.0.0.1 192.0.2.1"
kill "$healthd"
check "healthd stops" wait "$healthd"
check_eq "stopped, it withdrew what it announced, and only that" \
	"$(on_vip0)" "192.0.2.1"
echo "# healthd's log:"
sed 's/^/#   /' /tmp/announce.log

finish

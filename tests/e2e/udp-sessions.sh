#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# UDP through a VIP: a session per client address (source hash by
# default): every datagram of a stream reaches one backend and every reply
# comes from the VIP; the session expires after its timeout and the next
# datagram is scheduled afresh (on a service of 2 s sessions: the others'
# outlive the test, a slowed guest's too); a stateless service (DNS)
# spreads its queries and keeps no session.
#
#   cl 10.0.1.2 --- lb (VIP 10.0.0.1:7777 rr, timeout 3600;
#                       VIP 10.0.0.1:7778 rr, timeout 2;
#                       VIP 10.0.0.1:53 rr, stateless) --- b1 b2 b3

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 3
for i in 1 2 3; do
	serve "b$i" "b$i" 7777
	serve "b$i" "b$i" 7778
	serve "b$i" "d$i" 53
done
check "session service" lb service add udp $VIP:7777 sched rr timeout 3600
check "service of 2 s sessions" lb service add udp $VIP:7778 sched rr timeout 2
check "stateless service" lb service add udp $VIP:53 sched rr stateless
for i in 1 2 3; do
	check "backend b$i" lb backend add udp $VIP:7777 "10.0.2.1$i:7777"
	check "backend b$i of 2 s sessions" lb backend add udp $VIP:7778 "10.0.2.1$i:7778"
	check "backend d$i" lb backend add udp $VIP:53 "10.0.2.1$i:53"
done

out=$(cl "$ECHO" udp $VIP 7777 50)
check_eq "50 datagrams, 50 replies" "$(wc -l <<< "$out")" 50
check_eq "one backend for the whole stream" \
	"$(cut -d' ' -f1 <<< "$out" | sort -u)" "b1"
check_eq "every reply from the VIP" \
	"$(cut -d' ' -f2 <<< "$out" | sort -u)" "$VIP:7777"
check_eq "a second socket (other port), same session" \
	"$(cl "$ECHO" udp $VIP 7777 3 | cut -d' ' -f1 | sort -u)" "b1"
check_eq "one session counted" \
	"$(lb_json '[x["flows"] for x in s if x["port"] == 7777][0]')" 1

# Expiry, polled for (a slowed guest sees it later).
first=$(cl "$ECHO" udp $VIP 7778 1 | cut -d' ' -f1)
wait_for "the session expires after its 2 s timeout" 120 sh -c \
	"ip netns exec lb $L4LBADM -j list | grep -q '\"port\":7778,\"sched\":\"rr\",\"stateless\":false,\"hash_port\":false,\"udp_timeout\":2,\"flows\":0'"
check_eq "the next datagram is scheduled afresh (round robin: b1, then b2)" \
	"$first $(cl "$ECHO" udp $VIP 7778 1 | cut -d' ' -f1)" "b1 b2"

out=$(cl "$ECHO" udp $VIP 53 6)
check_eq "stateless: queries spread over all backends" \
	"$(cut -d' ' -f1 <<< "$out" | tr '\n' ' ')" "d1 d2 d3 d1 d2 d3 "
check_eq "stateless: replies from the VIP" \
	"$(cut -d' ' -f2 <<< "$out" | sort -u)" "$VIP:53"
check_eq "stateless: no session kept" \
	"$(lb_json '[x["flows"] for x in s if x["port"] == 53][0]')" 0

finish

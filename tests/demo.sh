#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The main job, run inside the guest by `make demo`: the seeds' balancer.
# A PostgreSQL-like TCP service on 10.0.0.1:5432 and a game-server UDP
# service on 10.0.0.1:7777, three backends each, one client.
#
#   cl 10.0.1.2 --- lb (VIP 10.0.0.1) --- b1 10.0.2.11, b2 .12, b3 .13

. "$L4LB_REPO/tests/lib/e2e.sh"

say() { printf '\n### %s\n' "$*"; }
adm() { printf '$ l4lbadm %s\n' "$*"; lb "$@"; }

load_l4lb
topo 3
for i in 1 2 3; do
	serve "b$i" "db-$i" 5432
	serve "b$i" "game-$i" 7777
done

say "configure the balancer (commands run in namespace lb)"
adm service add tcp $VIP:5432 sched rr
adm service add udp $VIP:7777 sched sh timeout 30
for i in 1 2 3; do
	adm backend add tcp $VIP:5432 "10.0.2.1$i:5432"
	adm backend add udp $VIP:7777 "10.0.2.1$i:7777"
done

say "six TCP connections from the client to $VIP:5432 (64 KiB echoed each)"
tcp=$(for i in 1 2 3 4 5 6; do cl "$ECHO" tcp $VIP 5432 65536; done)
echo "$tcp" | sed 's/^/  answered by /'

say "a UDP stream of 20 datagrams to $VIP:7777"
udp=$(cl "$ECHO" udp $VIP 7777 20)
echo "$udp" | sort | uniq -c |
	awk '{ printf "  %d datagrams answered by %s, replies from %s\n", $1, $2, $3 }'

say "what the balancer saw"
adm list

# The demo shows what it claims.
check_eq "TCP spread over the three backends" \
	"$(echo "$tcp" | sort | uniq -c | awk '{print $1}' | tr '\n' ' ')" "2 2 2 "
check_eq "UDP stream stuck to one backend, replies from the VIP" \
	"$(echo "$udp" | sort -u | wc -l) $(echo "$udp" | awk '{print $2}' | sort -u)" \
	"1 $VIP:7777"
finish

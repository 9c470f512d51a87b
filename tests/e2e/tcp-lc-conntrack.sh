#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Least connections prefers the idle backend; FIN and RST take a flow off
# the active count at once; all of it with nf_conntrack loaded and a
# stateful firewall on the balancer (ct state), which only passes if
# conntrack sees each flow as one consistent client <-> backend connection.
#
#   cl 10.0.1.2 --- lb (VIP 10.0.0.1:80 lc; nft forward: ct state) --- b1 b2

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 2
for i in 1 2; do serve "b$i" "b$i" 80; done
check "stateful firewall on the balancer" ip netns exec lb nft -f - <<'NFT'
table inet fw {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		ct state new tcp flags syn accept
		ct state new udp dport { 80 } accept
	}
}
NFT
check "nf_conntrack is loaded" grep -q '^nf_conntrack ' /proc/modules
check "service add lc" lb service add tcp $VIP:80 sched lc
for i in 1 2; do
	check "backend b$i" lb backend add tcp $VIP:80 "10.0.2.1$i:80"
done

# One long connection: it goes to b1 (both idle, the first wins). It
# holds until fd 7 closes, then echoes once more.
mkfifo /tmp/hold
cl "$ECHO" tcp $VIP 80 1000 - < /tmp/hold > /tmp/long &
long=$!
exec 7> /tmp/hold
wait_for "the long connection is active" 10 sh -c \
	"ip netns exec lb $L4LBADM -j list | grep -q '\"flows\":1,\"stats\"'"
got=$(for i in 1 2 3; do cl "$ECHO" tcp $VIP 80 1000; done | tr '\n' ' ')
check_eq "short connections go to the idle backend" "$got" "b2 b2 b2 "
check_eq "closed ones no longer count (FIN)" \
	"$(lb_json '[b["flows"] for b in s[0]["backends"]]')" "[1, 0]"
exec 7>&-
check "the long one went on intact" wait "$long"
check_eq "the long one was at b1" "$(cat /tmp/long)" "b1"

# RST: an abortive close (SO_LINGER 0) ends the flow at once too.
cl python3 - <<'PY'
import socket, struct
s = socket.create_connection(("10.0.0.1", 80), timeout=5)
s.recv(16)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
PY
check_eq "RST ends the flow" "$(lb_json 's[0]["flows"]')" 0
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TCP through a VIP: round robin across three backends, one client with
# three connections from three source ports (the 4-tuple keeps them apart),
# every byte echoed intact, a 4 MB transfer compared byte for byte, replies
# from the VIP only (every source address reaching the client's link is
# captured), FIN ending flows, no SYN no flow, and a backend taken out of
# the pool getting no new flows while the others keep theirs.
#
#   cl 10.0.1.2 --- lb (VIP 10.0.0.1:80, rr) --- b1 b2 b3 :80

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 3
for i in 1 2 3; do serve "b$i" "b$i" 80; done
check "service add" lb service add tcp $VIP:80
for i in 1 2 3; do
	check "backend b$i" lb backend add tcp $VIP:80 "10.0.2.1$i:80"
done

# What arrives at the client, captured on its link while the traffic runs.
mkfifo /tmp/sniff-in
cl python3 "$L4LB_REPO/tests/tools/sniff.py" veth0 < /tmp/sniff-in > /tmp/sniff &
sniff=$!
exec 6> /tmp/sniff-in
wait_for "the client's link is captured" 30 grep -q ^ready /tmp/sniff
got=$(for i in 1 2 3; do cl "$ECHO" tcp $VIP 80 20000; done | tr '\n' ' ')
check_eq "round robin: three connections, three backends, in order" \
	"$got" "b1 b2 b3 "
check_eq "each backend saw one flow" \
	"$(lb_json '[b["stats"]["conns"] for b in s[0]["backends"]]')" "[1, 1, 1]"
# Each echo sent 20000 bytes each way, plus TCP/IP headers.
check_eq "stats: every backend's bytes in and out" \
	"$(lb_json_of stats '[(b["stats"]["conns"], 20000 < b["stats"]["bytes_in"] < 30000, 20000 < b["stats"]["bytes_out"] < 30000) for b in s["services"][0]["backends"]]')" \
	"[(1, True, True), (1, True, True), (1, True, True)]"
check_eq "stats: the service's counters are its backends' sums" \
	"$(lb_json_of stats 'all(s["services"][0]["stats"][k] == sum(b["stats"][k] for b in s["services"][0]["backends"]) for k in ("conns", "pkts_in", "bytes_in", "pkts_out", "bytes_out"))')" \
	"True"
check_eq "stats as text: one row per service and backend" \
	"$(lb stats | awk 'NR > 2 { print $1, $2, $3 }' | tr '\n' ' ')" \
	"tcp $VIP:80 3 -> 10.0.2.11:80 1 -> 10.0.2.12:80 1 -> 10.0.2.13:80 1 "

check "4 MB echoed byte for byte" cl "$ECHO" tcp $VIP 80 4194304
tw=$(cl ss -Htn state time-wait)
check "client talked to the VIP" grep -q "$VIP:80" <<< "$tw"
exec 6>&-
check "the capture ends" wait $sniff
sed 's/^/# seen: /' /tmp/sniff
check "the capture saw the VIP's replies" grep -qx "$VIP" /tmp/sniff
check_eq "client never saw a backend address" "$(grep -c '^10\.0\.2\.' /tmp/sniff)" 0

wait_for "FIN ends the flows (no active flow left)" 15 \
	sh -c "[ \"\$(ip netns exec lb $L4LBADM -j list | grep -o '\"flows\":[0-9]*' | head -1)\" = '\"flows\":0' ]"

# A packet that is no SYN and has no flow is dropped and counted.
drops=$(lb_json 's[0]["stats"]["drops"]["no_flow"]')
cl python3 "$L4LB_REPO/tests/tools/tcp-ack.py" 10.0.1.2 $VIP 80
wait_for "a lone ACK is dropped and counted" 5 sh -c \
	"[ \"\$(ip netns exec lb $L4LBADM -j list | grep -o '\"no_flow\":[0-9]*' | head -1)\" = '\"no_flow\":$((drops + 1))' ]"

# Three held connections, one per backend; then b2 leaves the pool. They
# echo again once fd 7 closes.
mkfifo /tmp/hold
held=()
for i in 1 2 3; do
	cl "$ECHO" tcp $VIP 80 100 - < /tmp/hold > "/tmp/held$i" &
	held+=($!)
done
exec 7> /tmp/hold
wait_for "three held flows" 10 sh -c \
	"ip netns exec lb $L4LBADM -j list | grep -q '\"flows\":3,\"stats\"'"
check "b2 leaves the pool" lb backend del tcp $VIP:80 10.0.2.12:80
got=$(for i in 1 2 3 4; do cl "$ECHO" tcp $VIP 80 100; done | sort | uniq | tr '\n' ' ')
check_eq "new flows reach only b1 and b3" "$got" "b1 b3 "
exec 7>&-
for i in 0 1 2; do
	check "held flow $((i + 1)) echoed again after the removal" wait "${held[$i]}"
done
check_eq "they were one per backend, b2 included" \
	"$(cat /tmp/held1 /tmp/held2 /tmp/held3 | sort | tr '\n' ' ')" "b1 b2 b3 "

finish

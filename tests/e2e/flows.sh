#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The connection and session tables as the seeds draw them: l4lbadm flows
# lists each TCP flow by its 4-tuple and each UDP session by client
# address, with backend, state and time left; filters by service and
# backend; a dump of thousands of flows spans many messages with no flow
# twice; flush removes flows and their next packets are not forwarded.
#
#   cl 10.0.1.2 --- lb (VIP 10.0.0.1:80 tcp rr, :7777 udp) --- b1 b2

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 2
for i in 1 2; do serve "b$i" "b$i" 80; serve "b$i" "b$i" 7777; done
check "tcp service" lb service add tcp $VIP:80
check "udp service" lb service add udp $VIP:7777
for i in 1 2; do
	check "backends b$i" sh -c "ip netns exec lb $L4LBADM backend add tcp $VIP:80 10.0.2.1$i:80 &&
		ip netns exec lb $L4LBADM backend add udp $VIP:7777 10.0.2.1$i:7777"
done

mkfifo /tmp/hold
held=()
for i in 1 2; do
	cl "$ECHO" tcp $VIP 80 100 - < /tmp/hold > "/tmp/held$i" 2> "/tmp/held$i.err" &
	held+=($!)
done
exec 7> /tmp/hold
cl "$ECHO" udp $VIP 7777 3 > /dev/null
wait_for "two TCP flows and a session listed" 10 sh -c \
	"[ \$(ip netns exec lb $L4LBADM flows | wc -l) = 4 ]"
flows=$(lb flows)
echo "$flows"
check_eq "header" "$(head -1 <<< "$flows")" \
	"Proto Client                Service               Backend               State       Expires"
check_eq "TCP flows: client address and port, VIP, one per backend, established" \
	"$(grep ^tcp <<< "$flows" | awk '{ split($2, c, ":"); print c[1], ($2 ~ /:[0-9]+$/), $3, $4, $5 }' | sort)" \
	"10.0.1.2 1 10.0.0.1:80 10.0.2.11:80 established
10.0.1.2 1 10.0.0.1:80 10.0.2.12:80 established"
# Three datagrams at once: answered, not yet assured (no packet 2 s or more
# after the answer), so "replied".
check_eq "UDP session: the client address alone" \
	"$(grep ^udp <<< "$flows" | awk '{ print $2, $3, $5 }')" "10.0.1.2 10.0.0.1:7777 replied"
udp_expires_within_timeout() {
	grep ^udp <<< "$flows" | awk '{ s = $6 + 0; exit !(s > 0 && s <= 60) }'
}
check "expires counts down from the UDP timeout" udp_expires_within_timeout
check_eq "filter by backend" "$(lb flows tcp $VIP:80 10.0.2.12:80 | tail -n +2 | awk '{ print $4 }')" \
	"10.0.2.12:80"
check_eq "JSON" "$(lb -j flows udp $VIP:7777 | python3 -c 'import json,sys; f = json.load(sys.stdin); print(len(f), f[0]["state"], "client_port" in f[0])')" \
	"1 replied False"

check "flush the TCP service" lb flush tcp $VIP:80
check_eq "only the session is left" "$(lb flows | tail -n +2 | awk '{ print $1 }')" "udp"
drops=$(lb_json '[x for x in s if x["port"] == 80][0]["stats"]["drops"]["no_flow"]')
exec 7>&-
# Each held client echoes again once fd 7 closes: its bytes are dropped,
# nothing comes back, and its read times out (5 s) with no reset either.
for i in 1 2; do
	wait "${held[$((i - 1))]}"
	rc=$?
	check_eq "a flushed connection's next packet does not get through" \
		"exit $rc: $(cat /tmp/held$i.err)" \
		"exit 1: l4lb-echo: read echo: Resource temporarily unavailable"
done
check "and is counted as having no flow" [ \
	"$(lb_json '[x for x in s if x["port"] == 80][0]["stats"]["drops"]["no_flow"]')" -gt "$drops" ]

# Thousands of flows: the client sends 3000 SYNs and never resets.
ip netns exec cl nft add table ip quiet
ip netns exec cl nft add chain ip quiet out '{ type filter hook output priority 0; }'
ip netns exec cl nft add rule ip quiet out tcp flags rst drop
cl python3 "$L4LB_REPO/tests/tools/syn-flood.py" 10.0.1.2 $VIP 80 3000
wait_for "3000 flows in the table" 30 sh -c \
	"[ \$(ip netns exec lb $L4LBADM flows tcp $VIP:80 | tail -n +2 | wc -l) = 3000 ]"
out=$(lb flows tcp $VIP:80 | tail -n +2)
check_eq "a many-message dump lists no flow twice" \
	"$(awk '{ print $2 }' <<< "$out" | sort -u | wc -l)" 3000
check_eq "round robin split them evenly" \
	"$(awk '{ print $4 }' <<< "$out" | sort | uniq -c | awk '{ print $1 }' | tr '\n' ' ')" "1500 1500 "
finish

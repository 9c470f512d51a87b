#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Connection limits (max-conns, min-conns; IPVS's -x and -y), l4lb then
# IPVS in the same guest, the same setup and the same held connections:
# b1 takes at most 2 flows (again below 1), b2 at most 1 (again below 1,
# the default of max - max / 4). Three held connections fill both; a
# fourth connect fails (l4lb: dropped, counted as backends_full); b1 with
# one connection left stays full (hysteresis); with none it takes new ones
# again. Then save | restore and import-ipvsadm of -x and -y.
#
#   cl 10.0.1.2 --- lb (VIP 10.0.0.1:80 rr) --- b1 (max 2, min 1)
#                                          +-- b2 (max 1)

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 2
for i in 1 2; do serve "b$i" "b$i" 80; done

# hold N: connection N, open until release N; prints nothing, its
# backend's name lands in /tmp/hold.N.
declare -A HOLD_FD
hold() {
	local fd

	rm -f "/tmp/hold.$1" "/tmp/fifo.$1"
	mkfifo "/tmp/fifo.$1"
	# Without the other connections' fifos: each sees its own end alone.
	(
		for fd in "${HOLD_FD[@]}"; do exec {fd}>&-; done
		exec ip netns exec cl "$ECHO" tcp $VIP 80 100 - \
			< "/tmp/fifo.$1" > "/tmp/hold.$1" 2>&1
	) &
	exec {fd}> "/tmp/fifo.$1"
	HOLD_FD[$1]=$fd
	wait_for "connection $1 answered" 30 test -s "/tmp/hold.$1"
}

# release N: connection N echoes once more and closes (FIN).
release() {
	local fd=${HOLD_FD[$1]}

	exec {fd}>&-
}

# held N...: the backends connections N... answered from, sorted.
held() {
	local n

	for n in "$@"; do head -1 "/tmp/hold.$n"; done | sort | tr '\n' ' '
}

# A new connection: its backend's name, or "refused" (l4lb drops the SYN:
# the client's connect times out after its SYN retransmissions).
connect() {
	cl env L4LB_ECHO_TIMEOUT=4 "$ECHO" tcp $VIP 80 100 2>/dev/null ||
		echo refused
}

# The scenario, run against l4lb and IPVS alike.
scenario() {
	local who=$1

	hold 1
	hold 2
	hold 3
	check_eq "$who: three connections fill b1 (2) and b2 (1)" \
		"$(held 1 2 3)" "b1 b1 b2 "
	check_eq "$who: with every backend full a new connection fails" \
		"$(connect)" refused
}

# 1. l4lb. $TCP: the TCP service in `l4lbadm -j list` (lb_json's s).
TCP='[x for x in s if x["proto"] == "tcp"][0]'
check "service add" lb service add tcp $VIP:80 sched rr
check "b1 with max-conns 2 min-conns 1" \
	lb backend add tcp $VIP:80 10.0.2.11:80 max-conns 2 min-conns 1
check "b2 without a limit" lb backend add tcp $VIP:80 10.0.2.12:80
check "backend set: b2's limit" \
	lb backend set tcp $VIP:80 10.0.2.12:80 max-conns 1
check_eq "list shows the limits (b2's min-conns, the default)" \
	"$(lb list | grep -o 'max-conns.*' | tr '\n' ' ')" \
	"max-conns 2 min-conns 1 max-conns 1 min-conns 1 "
check "a stateless service" lb service add udp $VIP:53 stateless
check_err "a stateless service refuses max-conns" \
	"l4lbadm: backend add: a stateless service keeps no flows: no max-conns" \
	lb backend add udp $VIP:53 10.0.2.11:53 max-conns 5
check_err "min-conns above max-conns is refused" \
	"l4lbadm: backend set: min-conns is above max-conns" \
	lb backend set tcp $VIP:80 10.0.2.11:80 max-conns 2 min-conns 3
check_err "min-conns without max-conns is refused" \
	"l4lbadm: backend add: min-conns needs a max-conns" \
	lb backend add tcp $VIP:80 10.0.2.13:80 min-conns 1

scenario l4lb
check_eq "the drop is counted as backends_full" \
	"$(lb_json "${TCP}['stats']['drops']['backends_full'] > 0")" True
check_eq "both backends show full" \
	"$(lb_json "[b['state'] for b in ${TCP}['backends']]")" "['full', 'full']"
check_eq "prometheus: the drop and the gauges" \
	"$(lb stats -o prometheus | grep -c 'reason="backends_full"} [1-9]\|^l4lb_backend_full{.*} 1$')" 3

# save | restore recreates the limits exactly.
lb save > /tmp/saved
check "restore in a fresh namespace" sh -c \
	"ip netns add rst && ip netns exec rst $L4LBADM restore /tmp/saved"
T_NETNS+=(rst)
check_eq "save | restore round trip" \
	"$(ip netns exec rst "$L4LBADM" save)" "$(cat /tmp/saved)"
check_eq "save writes the limits" \
	"$(grep -c 'max-conns 2 min-conns 1$' /tmp/saved)" 1

# The held connections by backend: $B2 to b2, $B1A and $B1B to b1.
B2=$(grep -l '^b2$' /tmp/hold.1 /tmp/hold.2 /tmp/hold.3 | sed 's/.*\.//')
read -r B1A B1B <<< "$(grep -l '^b1$' /tmp/hold.1 /tmp/hold.2 /tmp/hold.3 |
	sed 's/.*\.//' | tr '\n' ' ')"

# flows_is IDX N: backend IDX has N flows.
flows_is() {
	[ "$(lb_json "${TCP}['backends'][$1]['flows']")" = "$2" ]
}

# A held connection answers once more and closes: its flow ends.
release "$B2"
wait_for "b2's flow ended" 30 flows_is 1 0
check_eq "b2, below its limit, takes a new connection" "$(connect)" b2
wait_for "that connection's flow ended" 30 flows_is 1 0
release "$B1A"
wait_for "one of b1's flows ended" 30 flows_is 0 1
hold 4
check_eq "b1 with one flow, not below min-conns 1, stays full" \
	"$(held 4)" "b2 "
release "$B1B"
wait_for "b1's flows ended" 30 flows_is 0 0
check_eq "b1, below min-conns, takes new connections again (b2 full)" \
	"$(connect) $(connect)" "b1 b1"
release 4
check "l4lb's service deleted" lb service del tcp $VIP:80
lb service del udp $VIP:53

# 2. IPVS, the same limits as ipvsadm -x and -y, from a rules file
# (ipvsadm-save writes no thresholds: the file is what import reads).
modprobe -a ip_vs ip_vs_rr
cat > /tmp/ipvs.rules <<EOF
-A -t $VIP:80 -s rr
-a -t $VIP:80 -r 10.0.2.11:80 -m -w 1 -x 2 -y 1
-a -t $VIP:80 -r 10.0.2.12:80 -m -w 1 -x 1
EOF
check "ipvsadm -R" sh -c "ip netns exec lb ipvsadm -R < /tmp/ipvs.rules"
check_eq "IPVS holds the thresholds" \
	"$(ip netns exec lb ipvsadm -L -n --thresholds | awk '$1 == "->" && $2 ~ /^10/ { print $3, $4 }' | tr '\n' ' ')" \
	"2 1 1 0 "
scenario ipvs
release 1
release 2
release 3
# (IPVS counts a closed connection until it expires, TIME_WAIT's two
# minutes; l4lb only open ones: the hysteresis is compared no further.)
ip netns exec lb ipvsadm -C
check_eq "import-ipvsadm maps -x and -y" \
	"$("$L4LBADM" import-ipvsadm /tmp/ipvs.rules | grep '^backend' | sort)" \
	"backend add tcp 10.0.0.1:80 10.0.2.11:80 weight 1 max-conns 2 min-conns 1
backend add tcp 10.0.0.1:80 10.0.2.12:80 weight 1 max-conns 1"
check "import-ipvsadm apply" sh -c \
	"ip netns add imp && ip netns exec imp $L4LBADM import-ipvsadm apply /tmp/ipvs.rules"
T_NETNS+=(imp)
check_eq "what it applied lists the limits" \
	"$(ip netns exec imp "$L4LBADM" list | grep -o 'max-conns.*' | tr '\n' ' ')" \
	"max-conns 2 min-conns 1 max-conns 1 min-conns 1 "
finish

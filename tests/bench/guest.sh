#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks, inside one guest boot (tests/bench/run.sh starts it).
# Writes one line of JSON a measurement to tests/bench/results/raw.jsonl;
# report.py turns them into ratios.
#
#   cl 10.0.1.2 --- lb --- b1 10.0.2.11
#   plain: the client talks to 10.0.2.11 itself (routing only: the floor)
#   l4lb:  VIP 10.0.0.1 (l4lb.ko, NAT)
#   ipvs:  VIP 10.0.0.2 (IPVS, NAT; ipvsadm)
#   nft:   VIP 10.0.0.3 (nftables DNAT, conntrack)
#
# Rounds, ROUNDS of each metric: the four configurations one after the
# other, each set up alone and torn down again, in an order rotated every
# round: TCP connections a second (connrate: connect, a byte each way,
# close), TCP bulk throughput (iperf3), nanoseconds a packet for small UDP
# packets from pktgen over 1,000 established flows and with a new flow
# every packet; and the size of a flow entry (slabinfo, slab_nomerge).
#
# A million flows: each configuration in fresh namespaces, its table filled
# with BIG UDP flows (a packet from each of BIG sources), then the memory
# it took (slab and vmalloc, /proc/meminfo) and nanoseconds a packet over
# all of those flows, three times.

. "$L4LB_REPO/tests/lib/e2e.sh"

# The guest has none of the host's environment: run.sh passes these on as
# arguments, NAME=VALUE.
for a in "$@"; do
	case $a in
	ROUNDS=* | SECS=* | PKTS=* | BIG=*) declare "$a" ;;
	*) echo "guest.sh: unknown argument '$a'" >&2; exit 2 ;;
	esac
done
ROUNDS=${ROUNDS:-10}
SECS=${SECS:-2}
PKTS=${PKTS:-50000}
BIG=${BIG:-1000000}
CONFIGS="plain l4lb ipvs nft"
OUT=$L4LB_REPO/tests/bench/results/raw.jsonl
CONNRATE=$L4LB_REPO/tests/bench/connrate
mkdir -p "$(dirname "$OUT")"
: > "$OUT"

record() {	# ROUND CONFIG METRIC VALUE
	printf '{"round":%s,"config":"%s","metric":"%s","value":%s}\n' \
		"$1" "$2" "$3" "$4" >> "$OUT"
	echo "# round $1: $2 $3 $4"
}

# The address of pktgen's Nth source, counting up from 16.0.0.1.
src_n() {
	echo "16.$(($1 >> 16 & 255)).$(($1 >> 8 & 255)).$(($1 & 255))"
}

# The topology, the three VIPs, a server for each test on b1. With "long",
# idle UDP flows live 600 s in all three tables (filling a million takes a
# while here).
bench_up() {
	topo 1
	ip -n lb addr add 10.0.0.2/32 dev lo
	ip -n lb addr add 10.0.0.3/32 dev lo
	# pktgen's sources: replies to them go back to the client's side.
	ip -n lb route add 16.0.0.0/8 via 10.0.1.2
	UDP_TIMEOUT=
	if [ "${1:-}" = long ]; then
		UDP_TIMEOUT=600
		ip netns exec lb sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
		ip netns exec lb ipvsadm --set 900 120 600
	else
		# IPVS's UDP entries live 30 s, as conntrack's unanswered ones
		# (l4lb's: 60 s): the new-flow rounds leave less behind.
		ip netns exec lb ipvsadm --set 900 120 30
	fi
	ip netns exec cl sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
	ip netns exec b1 "$CONNRATE" serve 80 &
	T_PIDS+=($!)
	ip netns exec b1 iperf3 -s -D -p 5201 >/dev/null
	lb_mac=$(ip -n lb -o link show cl0 |
		sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	wait_for "servers listen" 10 sh -c \
		"ip netns exec b1 ss -Hltn | grep -q ':80 ' &&
		 ip netns exec b1 ss -Hltn | grep -q ':5201 '" >/dev/null
}

# Everything bench_up made, gone; then waits (at most 300 s) until the
# flow entries of the namespaces are freed, so that the next measurement
# neither shares the memory nor the CPU with their teardown.
bench_down() {
	local i cfg busy

	stop_all
	pkill iperf3
	for i in $(seq 1 300); do
		busy=
		for cfg in $CONFIGS; do
			[ -z "$(cache_of "$cfg")" ] ||
				[ "$(slab_objs "$(cache_of "$cfg")")" -le 1000 ] ||
				busy=1
		done
		[ -z "$busy" ] && return
		sleep 1
	done
	echo "# bench: flow entries still not freed after 300 s" >&2
}

# Objects of slab cache $1 in use (0 if there is none).
slab_objs() {
	awk -v c="$1" 'BEGIN { n = 0 } $1 == c { n = $2 } END { print n }' /proc/slabinfo
}

# Bytes of slab and vmalloc memory in use.
kernel_bytes() {
	awk '$1 == "Slab:" || $1 == "VmallocUsed:" { kb += $2 }
	     END { print kb * 1024 }' /proc/meminfo
}

vip() {
	case $1 in
	plain) echo 10.0.2.11 ;;
	l4lb) echo 10.0.0.1 ;;
	ipvs) echo 10.0.0.2 ;;
	nft) echo 10.0.0.3 ;;
	esac
}

cache_of() {
	case $1 in
	l4lb) echo l4lb_conn ;;
	ipvs) echo ip_vs_conn ;;
	nft) echo nf_conntrack ;;
	esac
}

# The services of each configuration on ports 80 (TCP: connrate; UDP:
# pktgen) and 5201 (iperf3); teardown takes them away again, so that no
# hook of any of them stays registered.
ports() {
	local p port

	for p in $1; do
		for port in 80 5201; do
			"$2" "$p" "$port"
		done
	done
}
l4lb_add() {
	if [ "$1" = udp ] && [ -n "$UDP_TIMEOUT" ]; then
		lb service add udp 10.0.0.1:"$2" timeout "$UDP_TIMEOUT"
	else
		lb service add "$1" 10.0.0.1:"$2"
	fi
	lb backend add "$1" 10.0.0.1:"$2" 10.0.2.11:"$2"
}
l4lb_del() { lb service del "$1" 10.0.0.1:"$2"; }
ipvs_add() {
	ip netns exec lb ipvsadm -A "$1" 10.0.0.2:"$2" -s rr
	ip netns exec lb ipvsadm -a "$1" 10.0.0.2:"$2" -r 10.0.2.11:"$2" -m
}

setup() {
	case $1 in
	l4lb) ports "tcp udp" l4lb_add ;;
	ipvs) ports "-t -u" ipvs_add ;;
	nft)
		ip netns exec lb nft -f - <<-EOF
		table ip bench {
			chain pre {
				type nat hook prerouting priority dstnat;
				ip daddr 10.0.0.3 dnat to 10.0.2.11
			}
		}
		EOF
		;;
	esac
}

teardown() {
	case $1 in
	l4lb) ports "tcp udp" l4lb_del ;;
	ipvs) ip netns exec lb ipvsadm -C ;;
	nft) ip netns exec lb nft delete table ip bench ;;
	esac
}

pg() { ip netns exec cl sh -c "echo '$2' > /proc/net/pktgen/$1"; }

# pktgen_ns CONFIG COUNT SOURCES [FLAG]: sends COUNT small UDP packets to
# CONFIG's VIP, port 80, from SOURCES sources counting up from 16.0.0.1
# (drawn at random with IPSRC_RND); prints ns a packet that arrived at b1.
pktgen_ns() {
	local before after t0 t1

	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device veth0"
	pg veth0 "count $2"
	pg veth0 "pkt_size 64"
	pg veth0 "delay 0"
	pg veth0 "dst $(vip "$1")"
	pg veth0 "dst_mac $lb_mac"
	pg veth0 "udp_dst_min 80"
	pg veth0 "udp_dst_max 80"
	pg veth0 "udp_src_min 9"
	pg veth0 "udp_src_max 9"
	pg veth0 "src_min 16.0.0.1"
	pg veth0 "src_max $(src_n "$3")"
	pg veth0 "flag ${4:-!IPSRC_RND}"
	before=$(ip netns exec b1 cat /sys/class/net/veth0/statistics/rx_packets)
	t0=$(date +%s%N)
	pg pgctrl start
	t1=$(date +%s%N)
	after=$(ip netns exec b1 cat /sys/class/net/veth0/statistics/rx_packets)
	echo $(((t1 - t0) / (after > before ? after - before : 1)))
}

load_l4lb
modprobe -a ip_vs ip_vs_rr nf_conntrack nf_nat nft_chain_nat pktgen
sysctl -qw net.netfilter.nf_conntrack_max=4194304

# measure CONFIG METRIC: prints one figure of METRIC through CONFIG.
measure() {
	local addr

	addr=$(vip "$1")
	case $2 in
	conn_per_s) cl "$CONNRATE" run "$addr" 80 "$SECS" ;;
	bulk_mbit_s)
		# -O 1: the first second (slow start) is not counted.
		cl iperf3 -c "$addr" -p 5201 -t "$SECS" -O 1 -J |
			python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6, 1))' ;;
	udp_ns_per_pkt_1k)
		# 1,000 sources, each a flow, established by a first packet.
		pktgen_ns "$1" 1000 1000 > /dev/null
		pktgen_ns "$1" "$PKTS" 1000 IPSRC_RND ;;
	udp_ns_per_pkt_new)
		# Sources counting up through 16 million: each packet a new flow.
		pktgen_ns "$1" "$PKTS" 16777000 ;;
	esac
}

# The configurations in round N's order: rotated every round, so that none
# always comes after the same one.
order() {
	local c i

	read -ra c <<< "$CONFIGS"
	for i in "${!c[@]}"; do
		echo "${c[$(((i + $1) % ${#c[@]}))]}"
	done
}

# A metric at a time, each round measuring the four configurations one
# after the other, each set up just before its measurement and torn down
# after: a round's four figures lie seconds apart, and report.py compares
# them within the round. New flows last: the state they leave behind (IPVS
# and conntrack keep it until it times out) burdens no other metric.
bench_up
for metric in conn_per_s bulk_mbit_s udp_ns_per_pkt_1k udp_ns_per_pkt_new; do
	for round in $(seq 1 "$ROUNDS"); do
		for cfg in $(order "$round"); do
			setup "$cfg"
			record "$round" "$cfg" "$metric" "$(measure "$cfg" "$metric")"
			cache=$(cache_of "$cfg")
			[ "$metric$round" != udp_ns_per_pkt_new1 ] || [ -z "$cache" ] ||
				record 0 "$cfg" bytes_per_flow_slab \
				"$(awk -v c="$cache" '$1 == c { print $4 }' /proc/slabinfo)"
			teardown "$cfg"
		done
	done
done
bench_down

for cfg in $CONFIGS; do
	bench_up long
	setup "$cfg"
	cache=$(cache_of "$cfg")
	objs0=$(slab_objs "$cache")
	mem0=$(kernel_bytes)
	pktgen_ns "$cfg" "$BIG" "$BIG" > /dev/null
	if [ -n "$cache" ]; then
		flows=$(( $(slab_objs "$cache") - objs0 ))
		record 0 "$cfg" flows_1m "$flows"
		record 0 "$cfg" bytes_per_flow_1m \
			"$(( ($(kernel_bytes) - mem0) / (flows > 0 ? flows : 1) ))"
	fi
	for i in 1 2 3; do
		record "$i" "$cfg" udp_ns_per_pkt_1m \
			"$(pktgen_ns "$cfg" "$PKTS" "$BIG" IPSRC_RND)"
	done
	teardown "$cfg"
	bench_down
done
echo "# bench: $(wc -l < "$OUT") measurements in $OUT"

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks, inside one guest boot (tests/bench/run.sh starts it):
# each configuration in turn, ROUNDS times, so that all of them see the
# same machine. Writes one line of JSON a measurement to
# tests/bench/results/raw.jsonl; run.sh turns them into ratios.
#
#   cl 10.0.1.2 --- lb --- b1 10.0.2.11
#   plain: the client talks to 10.0.2.11 itself (routing only: the floor)
#   l4lb:  VIP 10.0.0.1 (l4lb.ko, NAT)
#   ipvs:  VIP 10.0.0.2 (IPVS, NAT; ipvsadm)
#   nft:   VIP 10.0.0.3 (nftables DNAT, conntrack)
#
# Measured: TCP connections a second (connrate: connect, a byte each way,
# close); TCP bulk throughput (iperf3); nanoseconds a packet for small UDP
# packets from pktgen, over 1,000 established flows and with a new flow
# every packet; bytes a flow entry takes (slabinfo, booted slab_nomerge).

. "$L4LB_REPO/tests/lib/e2e.sh"

ROUNDS=${ROUNDS:-5}
SECS=${SECS:-2}
PKTS=${PKTS:-100000}
OUT=$L4LB_REPO/tests/bench/results/raw.jsonl
CONNRATE=$L4LB_REPO/tests/bench/connrate
mkdir -p "$(dirname "$OUT")"
: > "$OUT"

record() {	# CONFIG METRIC VALUE
	printf '{"config":"%s","metric":"%s","value":%s}\n' "$1" "$2" "$3" >> "$OUT"
	echo "# $1 $2 $3"
}

load_l4lb
modprobe -a ip_vs ip_vs_rr nf_conntrack nf_nat nft_chain_nat pktgen
sysctl -qw net.netfilter.nf_conntrack_max=4194304
topo 1
ip -n lb addr add 10.0.0.2/32 dev lo
ip -n lb addr add 10.0.0.3/32 dev lo
# pktgen's sources: replies to them go back to the client's side.
ip -n lb route add 16.0.0.0/8 via 10.0.1.2
ip netns exec cl sysctl -qw net.ipv4.ip_local_port_range="10000 65000"
ip netns exec b1 "$CONNRATE" serve 80 &
T_PIDS+=($!)
ip netns exec b1 iperf3 -s -D -p 5201 >/dev/null
sleep 1

vip() {
	case $1 in
	plain) echo 10.0.2.11 ;;
	l4lb) echo 10.0.0.1 ;;
	ipvs) echo 10.0.0.2 ;;
	nft) echo 10.0.0.3 ;;
	esac
}

setup() {
	case $1 in
	l4lb)
		for p in tcp udp; do
			for port in 80 5201; do
				lb service add $p 10.0.0.1:$port
				lb backend add $p 10.0.0.1:$port 10.0.2.11:$port
			done
		done ;;
	ipvs)
		for p in -t -u; do
			for port in 80 5201; do
				ip netns exec lb ipvsadm -A $p 10.0.0.2:$port -s rr
				ip netns exec lb ipvsadm -a $p 10.0.0.2:$port \
					-r 10.0.2.11:$port -m
			done
		done ;;
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

# Back to nothing: no hook of any of them stays registered.
teardown() {
	case $1 in
	l4lb)
		for p in tcp udp; do
			for port in 80 5201; do
				lb service del $p 10.0.0.1:$port
			done
		done ;;
	ipvs) ip netns exec lb ipvsadm -C ;;
	nft) ip netns exec lb nft delete table ip bench ;;
	esac
}

lb_mac=$(ip -n lb -o link show cl0 | sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
pg() { ip netns exec cl sh -c "echo '$2' > /proc/net/pktgen/$1"; }

# pktgen_ns CONFIG SRC_MAX FLAGS: ns a packet at the backend for PKTS
# small UDP packets from sources 16.0.0.1 to SRC_MAX.
pktgen_ns() {
	local before after t0 t1

	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device veth0"
	pg veth0 "count $PKTS"
	pg veth0 "pkt_size 64"
	pg veth0 "delay 0"
	pg veth0 "dst $(vip "$1")"
	pg veth0 "dst_mac $lb_mac"
	pg veth0 "udp_dst_min 80"
	pg veth0 "udp_dst_max 80"
	pg veth0 "udp_src_min 9"
	pg veth0 "udp_src_max 9"
	pg veth0 "src_min 16.0.0.1"
	pg veth0 "src_max $2"
	[ -z "$3" ] || pg veth0 "flag $3"
	before=$(ip netns exec b1 cat /sys/class/net/veth0/statistics/rx_packets)
	t0=$(date +%s%N)
	pg pgctrl start
	t1=$(date +%s%N)
	after=$(ip netns exec b1 cat /sys/class/net/veth0/statistics/rx_packets)
	python3 -c "print(round(($t1 - $t0) / max($after - $before, 1), 1))"
}

for round in $(seq 1 "$ROUNDS"); do
	for cfg in plain l4lb ipvs nft; do
		setup $cfg
		addr=$(vip $cfg)
		record $cfg conn_per_s "$(cl "$CONNRATE" run "$addr" 80 "$SECS")"
		record $cfg bulk_mbit_s "$(cl iperf3 -c "$addr" -p 5201 -t "$SECS" -J |
			python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6, 1))')"
		# 1,000 sources, each a flow: established after the first packet.
		pktgen_ns $cfg 16.0.3.232 IPSRC_RND > /dev/null
		record $cfg udp_ns_per_pkt_1k "$(pktgen_ns $cfg 16.0.3.232 IPSRC_RND)"
		# Sources counting up through 16 million: every packet a new flow.
		record $cfg udp_ns_per_pkt_new "$(pktgen_ns $cfg 16.255.255.254 '')"
		if [ "$round" = "$ROUNDS" ]; then
			# Entry sizes while the tables are full of flows.
			case $cfg in
			l4lb) cache=l4lb_conn ;;
			ipvs) cache=ip_vs_conn ;;
			nft) cache=nf_conntrack ;;
			*) cache= ;;
			esac
			[ -z "$cache" ] || record $cfg bytes_per_flow \
				"$(awk -v c="$cache" '$1 == c { print $4 }' /proc/slabinfo)"
		fi
		teardown $cfg
	done
done
finish_bench() {
	for n in "${T_PIDS[@]}"; do kill "$n" 2>/dev/null; done
	pkill iperf3
	for n in "${T_NETNS[@]}"; do ip netns del "$n"; done
}
finish_bench
echo "# bench: $(wc -l < "$OUT") measurements in $OUT"

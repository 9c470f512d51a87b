#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The benchmarks, inside one guest boot (tests/bench/run.sh starts it,
# under QEMU's icount: guest time is then an instruction count). Writes a
# line of JSON a measurement to OUT (tests/bench/results/raw-BOOT.jsonl);
# report.py turns them into work above plain forwarding and ratios.
#
#   cl 10.0.1.2 --- lb --- b1 10.0.2.11
#   plain: the client talks to 10.0.2.11:8001 itself (routing only)
#   l4lb:  VIP 10.0.0.1:8002 (l4lb.ko, NAT)      -> 10.0.2.11:8002
#   ipvs:  VIP 10.0.0.2:8003 (IPVS, NAT)         -> 10.0.2.11:8003
#   nft:   VIP 10.0.0.3:8004 (nftables DNAT)     -> 10.0.2.11:8004
#   plain6, l4lb6, ipvs6, nft6: the same over IPv6 (tests/lib/e2e.sh's
#   topo6): 2001:db8:2::11:8005, VIPs 2001:db8::1:8006, 2001:db8::2:8007
#   (IPVS with IPv6 NAT), 2001:db8::3:8008 (nftables ip6 DNAT)
#   l4lbp: VIP 10.0.0.4:8009, l4lb with persistence (persist 600): every
#          connection of tcp_crr (one client) finds its template, every
#          session of udp_new (a new client each) makes one
#   ipvsp: VIP 10.0.0.5:8010, IPVS with persistence (-p 600), the same
#   l4lbr: VIP 10.0.0.1:8011-8012, l4lb's services as port ranges with
#          portless backends (RANGE=1 makes every l4lb configuration's so)
#   pass:  plain forwarding (10.0.2.11:8013) while l4lb's hooks are on for
#          a service of another VIP (10.0.0.6, a backend on no link):
#          what passing traffic pays for them, against plain
#
# Every configuration has its own server port (and iperf3 port), and every
# measurement its own client ports (and, for new UDP sessions, its own
# client addresses), never used twice in a boot: no transaction meets the
# TIME_WAIT sockets, conntrack entries or flows another one left.
#
# At 1k: one topology, and ROUNDS rounds, each setting every configuration
# up in turn (in an order rotated every round), filling its table with
# 1,000 UDP flows (pktgen, to a port of its VIP that b1 drops), measuring
# and taking it down again, hooks and all. At 1m: each configuration alone
# in fresh namespaces, a million flows in its table, the memory they took
# (slab and vmalloc) a flow, then ROUNDS rounds. The MEASURES, each the
# guest nanoseconds (instructions) a transaction took:
#   tcp_rr   a byte each way on an established TCP connection
#   tcp_crr  connect, a byte each way, close
#   udp_rr   a datagram each way, the UDP session established
#   udp_new  a datagram each way, each from a new client address: a new
#            UDP session every time
#   bulk     guest Mbit/s of iperf3 (bytes per instruction)
# With PROFILE=1, function_graph timings of l4lb's functions (in instructions)
# over the TCP and UDP transactions, at 1k, in OUT's profile file.
# With HOOKS="MEASURE...", at 1k after the rounds, those measures of l4lb
# and IPVS again, only the two balancers' netfilter hooks timed (hooks()),
# in OUT.hooks-CONFIG-MEASURE; and the flows l4lb's table holds after
# its fill, recorded as "filled" (make bench-guard's).

. "$L4LB_REPO/tests/lib/e2e.sh"

for a in "$@"; do
	case $a in
	ROUNDS=* | SIZES=* | CONFIGS=* | MEASURES=* | PROFILE=* | OUT=* | N=* | \
	HOOKS=* | \
	SCALE=* | RANGE=* | REFILL=*)
		declare "$a" ;;
	*) echo "guest.sh: unknown argument '$a'" >&2; exit 2 ;;
	esac
done
ROUNDS=${ROUNDS:-3}
SIZES=${SIZES:-1k 1m}
CONFIGS=${CONFIGS:-plain l4lb ipvs nft plain6 l4lb6 ipvs6 nft6 l4lbp ipvsp pass}
MEASURES=${MEASURES:-tcp_rr tcp_crr udp_rr udp_new bulk}
PROFILE=${PROFILE:-0}
HOOKS=${HOOKS:-}
SCALE=${SCALE:-1}
# RANGE=1: l4lb's services are port ranges (PORT-PORT+1) with portless
# backends; configuration l4lbr is l4lb's so, on ports of its own, beside
# l4lb in the same boot: what a range's path costs against one port's.
RANGE=${RANGE:-0}
# REFILL=0: at 1k, measures one after another on the table as the ones
# before left it (measure_all()); the guard's baseline was measured so.
REFILL=${REFILL:-1}
N=${N:-1}
OUT=$L4LB_REPO/${OUT:-tests/bench/results/raw-1.jsonl}
TXN=$L4LB_REPO/tests/bench/txn
mkdir -p "$(dirname "$OUT")"
: > "$OUT"

record() {	# SIZE ROUND CONFIG METRIC VALUE
	if ! [[ $5 =~ ^[0-9.]+$ ]]; then
		echo "# bench: $1 round $2: $3 $4 measured nothing" >&2
		return
	fi
	printf '{"boot":%s,"size":"%s","round":%s,"config":"%s","metric":"%s","value":%s}\n' \
		"$N" "$1" "$2" "$3" "$4" "$5" >> "$OUT"
	echo "# $1 round $2: $3 $4 $5"
}

vip() {
	case $1 in
	plain | pass) echo 10.0.2.11 ;;
	l4lb | l4lbr) echo 10.0.0.1 ;;
	ipvs) echo 10.0.0.2 ;;
	nft) echo 10.0.0.3 ;;
	plain6) echo 2001:db8:2::11 ;;
	l4lb6) echo 2001:db8::1 ;;
	ipvs6) echo 2001:db8::2 ;;
	nft6) echo 2001:db8::3 ;;
	l4lbp) echo 10.0.0.4 ;;
	ipvsp) echo 10.0.0.5 ;;
	esac
}

# An address with a port: IPv6 in brackets.
vip_port() {
	case $(vip "$1") in
	*:*) echo "[$(vip "$1")]:$2" ;;
	*) echo "$(vip "$1"):$2" ;;
	esac
}

# Each configuration's ports: its server, its iperf3, its filler.
port_of() {
	local i=0 c

	# l4lbr's ranges take two ports each: "-" is its second.
	for c in plain l4lb ipvs nft plain6 l4lb6 ipvs6 nft6 l4lbp ipvsp l4lbr - \
		pass; do
		i=$((i + 1))
		[ "$c" != "$1" ] || break
	done
	case $2 in
	txn) echo $((8000 + i)) ;;
	bulk) echo $((5200 + i)) ;;
	fill) echo $((9000 + i)) ;;
	esac
}

cache_of() {
	case $1 in
	l4lb | l4lbp | l4lbr) echo l4lb_conn ;;
	l4lb6) echo l4lb_conn6 ;;
	ipvs | ipvs6 | ipvsp) echo ip_vs_conn ;;
	nft | nft6) echo nf_conntrack ;;
	esac
}

slab_objs() {
	awk -v c="$1" 'BEGIN { n = 0 } $1 == c { n = $2 } END { print n }' /proc/slabinfo
}

kernel_bytes() {
	awk '$1 == "Slab:" || $1 == "VmallocUsed:" { kb += $2 }
	     END { print kb * 1024 }' /proc/meminfo
}

# The next unused client port (or address) of this boot, and N after it.
next_cport=10000
take_ports() {
	cport=$next_cport
	next_cport=$((next_cport + $1))
	# Above 40,000 are the ephemeral ports iperf3's connections take.
	[ "$next_cport" -le 40000 ] ||
		{ echo "guest.sh: out of client ports: fewer ROUNDS or SCALE" >&2; exit 1; }
}
next_src=1
take_srcs() {	# N [6]
	src="17.0.$((next_src >> 8)).$((next_src & 255))"
	[ -z "${2:-}" ] || src="2001:db8:17::$(printf %x "$next_src")"
	next_src=$((next_src + $1))
}

bench_up() {
	local c ports=()

	topo 1
	topo6 1
	ip -n lb addr add 10.0.0.2/32 dev lo
	ip -n lb addr add 10.0.0.3/32 dev lo
	ip -n lb addr add 2001:db8::2/128 dev lo
	ip -n lb addr add 2001:db8::3/128 dev lo
	ip -n lb addr add 10.0.0.4/32 dev lo
	ip -n lb addr add 10.0.0.5/32 dev lo
	# IPv6 fillers' sources (2001:db8:16::/64), new sessions' clients
	# (2001:db8:17::/64).
	ip -n lb route add 2001:db8:16::/64 via 2001:db8:1::2
	ip -n lb route add 2001:db8:17::/64 via 2001:db8:1::2
	# pktgen's sources (16/8) and the new sessions' clients (17/8).
	ip -n lb route add 16.0.0.0/8 via 10.0.1.2
	ip -n lb route add 17.0.0.0/8 via 10.0.1.2
	# Idle flows outlive the run in every table: none expires mid-way.
	ip netns exec lb sysctl -qw net.netfilter.nf_conntrack_udp_timeout=600
	ip netns exec lb ipvsadm --set 900 120 600
	ip netns exec cl sysctl -qw net.ipv4.ip_local_port_range="40000 65000"
	# The fillers' datagrams end at b1, unanswered.
	ip netns exec b1 nft -f - <<-EOF
	table inet sink {
		chain in {
			type filter hook input priority 0;
			udp dport 9000-9019 drop
		}
	}
	EOF
	for c in $CONFIGS; do
		ports+=("$(port_of "$c" txn)")
		ip netns exec b1 iperf3 -s -D -p "$(port_of "$c" bulk)" >/dev/null
	done
	ip netns exec b1 "$TXN" serve "${ports[@]}" &
	T_PIDS+=($!)
	# The addresses new UDP sessions come from: all of 17.0/16 is the
	# client's (a local route, as AnyIP).
	ip -n cl route add local 17.0.0.0/16 dev lo
	ip -n cl route add local 2001:db8:17::/64 dev lo
	lb_mac=$(ip -n lb -o link show cl0 |
		sed -n 's/.*link\/ether \([0-9a-f:]*\).*/\1/p')
	wait_for "servers listen" 30 sh -c \
		"ip netns exec b1 ss -Hltn | grep -q ':${ports[0]} '" >/dev/null
}

# Everything bench_up made, gone: the namespaces' exit frees every flow,
# IPVS connection and conntrack entry. Waits (at most 300 s) until their
# memory is freed, so the next configuration shares neither memory nor CPU
# with the teardown.
bench_down() {
	local c i busy

	stop_all
	pkill iperf3 || true
	for i in $(seq 1 300); do
		busy=
		for c in l4lb ipvs nft; do
			[ "$(slab_objs "$(cache_of $c)")" -le 1000 ] || busy=1
		done
		[ -n "$busy" ] || return 0
		sleep 1
	done
	echo "# bench: flow entries still not freed after 300 s" >&2
}

# The services of configuration $1: TCP and UDP on its txn port, TCP on
# its bulk port, UDP on its filler port.
services_of() {
	printf '%s\n' "tcp $(port_of "$1" txn)" "udp $(port_of "$1" txn)" \
		"tcp $(port_of "$1" bulk)" "udp $(port_of "$1" fill)"
}

setup() {
	local be=plain proto port ip=ip persist=() svc bport

	case $1 in *6) be=plain6 ip=ip6 ;; esac
	[ "$1" != l4lbp ] || persist=(persist 600)
	[ "$1" != ipvsp ] || persist=(-p 600)
	case $1 in
	l4lb | l4lb6 | l4lbp | l4lbr)
		lb set max-flows 4194304
		while read -r proto port; do
			svc=$(vip_port "$1" "$port")
			bport=$(vip_port $be "$port")
			if [ "$RANGE" = 1 ] || [ "$1" = l4lbr ]; then
				svc=$svc-$((port + 1))
				bport=$(vip $be)
			fi
			if [ "$proto" = udp ]; then
				lb service add udp "$svc" timeout 600 \
					"${persist[@]}"
			else
				lb service add tcp "$svc" "${persist[@]}"
			fi
			lb backend add "$proto" "$svc" "$bport"
		done <<< "$(services_of "$1")"
		;;
	ipvs | ipvs6 | ipvsp)
		while read -r proto port; do
			ip netns exec lb ipvsadm -A "-${proto:0:1}" \
				"$(vip_port "$1" "$port")" -s rr "${persist[@]}"
			ip netns exec lb ipvsadm -a "-${proto:0:1}" \
				"$(vip_port "$1" "$port")" -r "$(vip_port $be "$port")" -m
		done <<< "$(services_of "$1")"
		;;
	pass)
		# Hooks on, every table empty: nothing of this traffic is l4lb's.
		lb service add udp 10.0.0.6:9
		lb backend add udp 10.0.0.6:9 10.9.9.9:9
		;;
	nft | nft6)
		ip netns exec lb nft -f - <<-EOF
		table $ip bench {
			chain pre {
				type nat hook prerouting priority dstnat;
				$ip daddr $(vip "$1") dnat to $(vip $be)
			}
		}
		EOF
		;;
	esac
}

# A configuration's services gone, and with the last its hooks. IPVS's
# connections and conntrack's entries stay until they time out (after the
# run); l4lb's flows are flushed: the sweep would otherwise unlink them
# during the next configuration's measures, and charge it for them.
teardown() {
	local proto port

	case $1 in
	l4lb | l4lb6 | l4lbp | l4lbr)
		lb flush
		# RCU frees them while idle, not in the next one's measures
		# (not with REFILL=0: the guard's baseline was measured so).
		[ "$REFILL" = 0 ] || sleep 1
		while read -r proto port; do
			if [ "$RANGE" = 1 ] || [ "$1" = l4lbr ]; then
				lb service del "$proto" "$(vip_port "$1" "$port")-$((port + 1))"
			else
				lb service del "$proto" "$(vip_port "$1" "$port")"
			fi
		done <<< "$(services_of "$1")"
		;;
	ipvs | ipvs6 | ipvsp) ip netns exec lb ipvsadm -C ;;
	pass) lb service del udp 10.0.0.6:9 ;;
	nft) ip netns exec lb nft delete table ip bench ;;
	nft6) ip netns exec lb nft delete table ip6 bench ;;
	esac
}

pg() { ip netns exec cl sh -c "echo '$2' > /proc/net/pktgen/$1"; }

# fill CONFIG FLOWS: a datagram from each of FLOWS sources (16.0.0.1 on)
# to CONFIG's filler port: that many flows in its table.
fill() {
	case $1 in
	*6)
		cl "$TXN" fill6 veth0 "$lb_mac" 2001:db8:16:: "$(vip "$1")" \
			"$(port_of "$1" fill)" "$2"
		return ;;
	esac
	pg kpktgend_0 rem_device_all
	pg kpktgend_0 "add_device veth0"
	pg veth0 "count $2"
	pg veth0 "pkt_size 64"
	pg veth0 "delay 0"
	pg veth0 "dst $(vip "$1")"
	pg veth0 "dst_mac $lb_mac"
	pg veth0 "udp_dst_min $(port_of "$1" fill)"
	pg veth0 "udp_dst_max $(port_of "$1" fill)"
	pg veth0 "udp_src_min 9"
	pg veth0 "udp_src_max 9"
	pg veth0 "src_min 16.0.0.1"
	pg veth0 "src_max 16.$(($2 >> 16 & 255)).$(($2 >> 8 & 255)).$(($2 & 255))"
	pg veth0 "flag !IPSRC_RND"
	pg pgctrl start
}

# How many transactions a measure makes (SCALE times).
count_of() {
	case $1 in
	tcp_rr | udp_rr) echo $((2000 * SCALE)) ;;
	tcp_crr | udp_new) echo $((200 * SCALE)) ;;
	esac
}

# measure CONFIG METRIC: one figure, in $value. Not in a subshell: the
# client ports and addresses it takes must stay taken.
measure() {
	local addr port n

	addr=$(vip "$1")
	port=$(port_of "$1" txn)
	n=$(count_of "$2")
	case $2 in
	tcp_rr)
		take_ports 1
		value=$(cl "$TXN" tcp-rr "$addr" "$port" "$n" "$cport") ;;
	tcp_crr)
		take_ports "$n"
		value=$(cl "$TXN" tcp-crr "$addr" "$port" "$n" "$cport") ;;
	udp_rr)
		take_ports 1
		value=$(cl "$TXN" udp-rr "$addr" "$port" "$n" "$cport") ;;
	udp_new)
		take_ports 1
		take_srcs "$n" "$(case $1 in *6) echo 6 ;; esac)"
		value=$(cl "$TXN" udp-new "$addr" "$port" "$n" "$cport" "$src") ;;
	bulk)
		# Ephemeral ports (40000 on): its own server port keeps them
		# from meeting another configuration's.
		value=$(cl iperf3 -c "$addr" -p "$(port_of "$1" bulk)" -t 2 -O 1 -J |
			python3 -c 'import json,sys; print(round(json.load(sys.stdin)["end"]["sum_received"]["bits_per_second"] / 1e6, 1))') ;;
	esac
}

# function_graph over l4lb's functions: every call's instructions, for
# report.py to sum up by function.
profile() {	# [CONFIG FILE MEASURE...]
	local t=/sys/kernel/tracing cfg=${1:-l4lb} file=${2:-} m
	local measures=("${@:3}")

	[ ${#measures[@]} -gt 0 ] || measures=(tcp_rr tcp_crr udp_new)

	[ -e $t/trace ] || mount -t tracefs nodev $t
	echo 0 > $t/tracing_on
	echo function_graph > $t/current_tracer
	echo ':mod:l4lb' > $t/set_ftrace_filter
	# PROFILE=new's: work items too (a resize of the flow tables
	# among them, and packets whose softirq runs in them).
	[ -z "$file" ] || echo process_one_work >> $t/set_ftrace_filter
	echo 1 > $t/options/funcgraph-tail
	echo 0 > $t/options/funcgraph-irqs
	echo 16384 > $t/buffer_size_kb
	: > $t/trace
	echo 1 > $t/tracing_on
	for m in "${measures[@]}"; do
		measure "$cfg" "$m"
	done
	echo 0 > $t/tracing_on
	cat $t/trace > "${OUT%.jsonl}.profile$file"
	echo nop > $t/current_tracer
	: > $t/set_ftrace_filter
}

# The balancers' IPv4 netfilter hooks, l4lb's and IPVS's, by name: each
# call with everything it calls (IPVS sends its packets from its hook).
# Not what runs for a flow outside them (l4lb's sweep, its flows' freeing
# after RCU; IPVS's connection timer): when that runs depends on when a
# flow of an earlier measure times out, not on the measure.
HOOK_FUNCS="l4lb_pre_routing l4lb_post_routing ip_vs_in_hook ip_vs_out_hook"

# hooks CONFIG MEASURE: the measure again, function_graph timing only
# HOOK_FUNCS (in instructions, each with what it calls), to
# OUT.hooks-CONFIG-MEASURE for report.py: the balancer's own work, which
# the rest of a transaction (both ends' stacks, the allocator's layout)
# does not move. Recorded as nothing else: the tracer's cost is in it.
hooks() {
	local t=/sys/kernel/tracing

	[ -e $t/trace ] || mount -t tracefs nodev $t
	echo 0 > $t/tracing_on
	echo function_graph > $t/current_tracer
	# shellcheck disable=SC2086 # one name a word
	echo $HOOK_FUNCS > $t/set_ftrace_filter
	echo 1 > $t/options/funcgraph-tail
	echo 0 > $t/options/funcgraph-irqs
	echo 16384 > $t/buffer_size_kb
	: > $t/trace
	echo 1 > $t/tracing_on
	measure "$1" "$2"
	echo 0 > $t/tracing_on
	cat $t/trace > "${OUT%.jsonl}.hooks-$1-$2"
	echo nop > $t/current_tracer
	: > $t/set_ftrace_filter
}

load_l4lb
modprobe -a ip_vs ip_vs_rr nf_conntrack nf_nat nft_chain_nat pktgen
sysctl -qw net.netfilter.nf_conntrack_max=4194304

# measure_all SIZE ROUND CONFIG: every measure, once. At 1k, each from
# the same table: before every measure but the first (which follows the
# round's fill), l4lb's flows are flushed, their memory given back (an
# idle second: RCU frees them) and the table filled again. Measured one
# after another, a measure paid for what the ones before it left: l4lb's
# tables double past 75% full, moving every entry, and where that landed
# depended on them (a persistent service's table holds the filler's
# templates too, twice the entries at the same fill: tcp_crr's 1,000 flows
# pushed plain l4lb's past the mark there, the persistent one's in
# udp_new). IPVS's and conntrack's tables are of a fixed size.
measure_all() {
	local m first=1

	for m in $MEASURES; do
		if [ "$1" = 1k ] && [ -z "$first" ] && [ "$REFILL" = 1 ]; then
			case $3 in
			l4lb | l4lb6 | l4lbp | l4lbr)
				lb flush
				sleep 1
				fill "$3" 1000 ;;
			esac
		fi
		first=
		measure "$3" "$m"
		record "$1" "$2" "$3" "$m" "$value"
	done
}

# The configurations in round N's order: rotated every round, so that none
# always follows the same one.
order() {
	local c i

	read -ra c <<< "$CONFIGS"
	for i in "${!c[@]}"; do
		echo "${c[$(((i + $1) % ${#c[@]}))]}"
	done
}

for size in $SIZES; do
	case $size in
	1k)
		# Figures of one round lie moments apart: paired ratios.
		bench_up
		# PROFILE=new: new UDP sessions of l4lb and l4lbp traced as
		# the rounds measure them (a filled table, then the measure),
		# in a round of their own that records nothing.
		if [ "$PROFILE" = new ]; then
			for cfg in l4lb l4lbp; do
				setup "$cfg"
				fill "$cfg" 1000
				profile "$cfg" "-new-$cfg" udp_new
				teardown "$cfg"
			done
		fi
		for round in $(seq 1 "$ROUNDS"); do
			for cfg in $(order "$round"); do
				setup "$cfg"
				case $cfg in plain* | pass) ;; *) fill "$cfg" 1000 ;; esac
				measure_all 1k "$round" "$cfg"
				[ "$PROFILE$round$cfg" != 11l4lb ] || profile
				teardown "$cfg"
			done
		done
		# HOOKS="MEASURE...": each of l4lb and IPVS once more, traced
		# (hooks()), on a table filled as the rounds' are; and how
		# many flows l4lb's holds after the fill.
		if [ -n "$HOOKS" ]; then
			for cfg in l4lb ipvs; do
				setup "$cfg"
				fill "$cfg" 1000
				[ "$cfg" != l4lb ] || record 1k 0 l4lb filled "$(
					lb flows udp "$(vip_port l4lb "$(port_of l4lb fill)")" |
					tail -n +2 | wc -l)"
				for m in $HOOKS; do
					hooks "$cfg" "$m"
				done
				teardown "$cfg"
			done
		fi
		bench_down
		;;
	1m)
		for cfg in $CONFIGS; do
			bench_up
			setup "$cfg"
			cache=$(cache_of "$cfg")
			objs0=$(slab_objs "$cache")
			mem0=$(kernel_bytes)
			if [ -n "$cache" ]; then
				fill "$cfg" 1000000
				# A table resize in flight, or an old table not
				# yet freed.
				sleep 3
				n=$(($(slab_objs "$cache") - objs0))
				record 1m 0 "$cfg" flows "$n"
				record 1m 0 "$cfg" bytes_per_flow \
					"$(( ($(kernel_bytes) - mem0) / (n > 0 ? n : 1) ))"
				record 1m 0 "$cfg" bytes_per_slab_object \
					"$(awk -v c="$cache" '$1 == c { print $4 }' /proc/slabinfo)"
			fi
			for round in $(seq 1 "$ROUNDS"); do
				measure_all 1m "$round" "$cfg"
			done
			bench_down
		done
		;;
	*) echo "guest.sh: size '$size'?" >&2; exit 2 ;;
	esac
done
echo "# bench: $(wc -l < "$OUT") measurements in $OUT"

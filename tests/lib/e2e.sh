# SPDX-License-Identifier: GPL-2.0
# Helpers for the end-to-end tests, sourced inside the guest (vm.sh) as
# root. Each test is a bash script that calls these and ends with `finish`.

set -uo pipefail

L4LBADM=$L4LB_REPO/tools/l4lbadm/l4lbadm
L4LB_KO=$L4LB_REPO/l4lb.ko
T_PASS=0
T_FAIL=0
T_NETNS=()

l4lbadm() { "$L4LBADM" "$@"; }

# The module's dependencies come from the image's tree, the module itself
# from the build in the repository.
load_l4lb() {
	local deps

	deps=$(modinfo -F depends "$L4LB_KO" | tr , ' ')
	[ -z "$deps" ] || modprobe -a $deps
	insmod "$L4LB_KO"
}

unload_l4lb() {
	rmmod l4lb
}

# ns_add NAME...: network namespaces removed again by finish.
ns_add() {
	local n

	for n in "$@"; do
		ip netns add "$n"
		ip -n "$n" link set lo up
		T_NETNS+=("$n")
	done
}

ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok - $*"
}

not_ok() {
	T_FAIL=$((T_FAIL + 1))
	echo "not ok - $*"
}

# check DESC CMD...: CMD must succeed.
check() {
	local desc=$1

	shift
	if "$@"; then ok "$desc"; else not_ok "$desc (exit $?: $*)"; fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '  got:  %s\n  want: %s\n' "$2" "$3"
	fi
}

# check_err DESC WANT_TEXT CMD...: CMD must fail, printing WANT_TEXT as its
# single line on stderr and nothing on stdout.
check_err() {
	local desc=$1 want=$2 out err rc

	shift 2
	out=$("$@" 2>/tmp/check_err) && rc=0 || rc=$?
	err=$(cat /tmp/check_err)
	if [ "$rc" != 0 ] && [ "$err" = "$want" ] && [ -z "$out" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		printf '  exit %s\n  stdout: %s\n  stderr: %s\n  want:   %s\n' \
			"$rc" "$out" "$err" "$want"
	fi
}

# Stops the processes and removes the namespaces the script started.
stop_all() {
	local n

	for n in "${T_PIDS[@]}"; do
		kill "$n" 2>/dev/null
	done
	wait 2>/dev/null
	for n in "${T_NETNS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	T_PIDS=()
	T_NETNS=()
}

finish() {
	stop_all
	echo "# $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" = 0 ] && [ "$T_PASS" -gt 0 ]
}

ECHO=$L4LB_REPO/tests/tools/l4lb-echo
T_PIDS=()
VIP=10.0.0.1

# topo N: a client, the balancer and N backends, the balancer being the
# backends' gateway (as in the seeds):
#
#   cl 10.0.1.2 --- 10.0.1.1 lb 10.0.2.1 (br0) --- b1 10.0.2.11
#                   VIP 10.0.0.1 (lo)          +-- b2 10.0.2.12 ...
topo() {
	local n=$1 i

	ns_add cl lb
	ip link add veth0 netns cl type veth peer name cl0 netns lb
	ip -n cl addr add 10.0.1.2/24 dev veth0
	ip -n cl link set veth0 up
	ip -n cl route add default via 10.0.1.1
	ip -n lb addr add 10.0.1.1/24 dev cl0
	ip -n lb link set cl0 up
	ip -n lb addr add $VIP/32 dev lo
	ip -n lb link add br0 type bridge
	ip -n lb addr add 10.0.2.1/24 dev br0
	ip -n lb link set br0 up
	ip netns exec lb sysctl -qw net.ipv4.ip_forward=1
	for i in $(seq 1 "$n"); do
		ns_add "b$i"
		ip link add veth0 netns "b$i" type veth peer name "b$i" netns lb
		ip -n "b$i" addr add "10.0.2.1$i/24" dev veth0
		ip -n "b$i" link set veth0 up
		ip -n "b$i" route add default via 10.0.2.1
		ip -n lb link set "b$i" master br0 up
	done
}

# topo6 N: topo's namespaces and links (topo N first) get IPv6 too:
#
#   cl 2001:db8:1::2 --- 2001:db8:1::1 lb 2001:db8:2::1 --- b1 2001:db8:2::11
#                        VIP6 2001:db8::1 (lo)          +-- b2 2001:db8:2::12 ...
# (nodad: the addresses are usable at once)
VIP6=2001:db8::1
topo6() {
	local i

	ip -n cl addr add 2001:db8:1::2/64 dev veth0 nodad
	ip -n cl route add default via 2001:db8:1::1
	ip -n lb addr add 2001:db8:1::1/64 dev cl0 nodad
	ip -n lb addr add $VIP6/128 dev lo
	ip -n lb addr add 2001:db8:2::1/64 dev br0 nodad
	ip netns exec lb sysctl -qw net.ipv6.conf.all.forwarding=1
	for i in $(seq 1 "$1"); do
		ip -n "b$i" addr add "2001:db8:2::1$i/64" dev veth0 nodad
		ip -n "b$i" route add default via 2001:db8:2::1
	done
}

# serve NS NAME PORT: an l4lb-echo server, stopped by finish.
serve() {
	local i

	ip netns exec "$1" "$ECHO" serve "$2" "$3" &
	T_PIDS+=($!)
	for i in $(seq 1 100); do
		ip netns exec "$1" ss -Hltn "sport = :$3" | grep -q . && return
		sleep 0.1
	done
	echo "server $2 never listened on $3" >&2
	return 1
}

lb() { ip netns exec lb "$L4LBADM" "$@"; }
cl() { ip netns exec cl "$@"; }

# wait_for DESC SECONDS CMD...: polls CMD every 0.2 s until it succeeds.
wait_for() {
	local desc=$1 bound=$2 end=$((SECONDS + $2))

	shift 2
	while ! "$@"; do
		if [ $SECONDS -ge $end ]; then
			not_ok "$desc (still false after ${bound}s: $*)"
			return 1
		fi
		sleep 0.2
	done
	ok "$desc"
}

# tap FILE: FILE's "ok - X" and "not ok - X" lines counted as checks,
# other lines shown (genl.py --matrix output).
tap() {
	local line

	while read -r line; do
		case $line in
		"ok - "*) ok "${line#ok - }" ;;
		"not ok - "*) not_ok "${line#not ok - }" ;;
		*) echo "$line" ;;
		esac
	done < "$1"
}

# lb_json PY-EXPR: evaluates PY-EXPR over `l4lbadm -j list` as `s`.
lb_json() {
	lb_json_of list "$1"
}

# lb_json_of VERB PY-EXPR: the same over `l4lbadm -j VERB`.
lb_json_of() {
	lb -j "$1" | python3 -c "import json,sys; s=json.load(sys.stdin); print($2)"
}

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Clients on the balancer itself (local-clients): a process in the
# balancer's namespace reaching the VIP is balanced round robin over the
# backends, TCP and UDP, IPv4 and IPv6, every byte echoed intact, the VIP
# its peer (the backends' replies de-NATed at LOCAL_IN), its flows counted,
# listed and ended by FIN. Without the flag (service set ... local-clients
# off) it is not balanced; the flag toggled under traffic leaves the
# kernel quiet. Then save and restore, the refusals, a port range's local
# client (a portless backend, the port it dialled), a namespace deleted
# with the hooks on; IPVS in the same guest, which balances local clients
# always (it hooks LOCAL_OUT), the same checks; last, the module unloaded
# with the hooks registered.
#
#   lb: VIP 10.0.0.1, 2001:db8::1 (lo), the client --- b1 b2 :80 (tcp, udp)

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 2
topo6 2
for i in 1 2; do serve "b$i" "b$i" 80; done
VIP6P="[$VIP6]:80"

# on_lb CMD...: runs CMD in the balancer's namespace, as a local client.
on_lb() { ip netns exec lb "$@"; }

# tcp_names ADDR N: the backends N connections to ADDR:80 reach, in order.
tcp_names() {
	local i

	for i in $(seq 1 "$2"); do
		on_lb "$ECHO" tcp "$1" 80 20000 || echo "(failed)"
	done | tr '\n' ' '
}

# peers: the peers of the balancer's TIME_WAIT sockets, sorted, each once.
peers() { on_lb ss -Htn state time-wait | awk '{ print $NF }' | sort -u | tr '\n' ' '; }

# flows_of PROTO: the flows of the VIP's PROTO service now.
flows_of() {
	lb_json "[x['flows'] for x in s if x['proto'] == '$1' and x['address'] == '$VIP']"
}

check "service add tcp local-clients" lb service add tcp $VIP:80 local-clients
check "service add udp local-clients" \
	lb service add udp $VIP:80 sched rr timeout 2 local-clients
check "service add tcp6 local-clients" lb service add tcp "$VIP6P" local-clients
for i in 1 2; do
	check "backend b$i tcp" lb backend add tcp $VIP:80 "10.0.2.1$i:80"
	check "backend b$i udp" lb backend add udp $VIP:80 "10.0.2.1$i:80"
	check "backend b$i tcp6" lb backend add tcp "$VIP6P" "[2001:db8:2::1$i]:80"
done
check "list: local-clients in the service's row" sh -c \
	"ip netns exec lb $L4LBADM list | grep -q '^tcp   10.0.0.1:80 .* local-clients$'"
check_eq "list -j: local_clients" \
	"$(lb_json "[x['local_clients'] for x in s]")" "[True, True, True]"

# TCP, IPv4.
check_eq "tcp: a local client is balanced round robin" \
	"$(tcp_names $VIP 4)" "b1 b2 b1 b2 "
check_eq "tcp: the client's peer was the VIP" "$(peers)" "$VIP:80 "
check "tcp: 1 MB echoed byte for byte" on_lb "$ECHO" tcp $VIP 80 1048576
check_eq "tcp: each backend counted its flows (2 and 3)" \
	"$(lb_json "[b['stats']['conns'] for b in s[0]['backends']]")" "[3, 2]"
check_eq "tcp: bytes in and out counted on the backends" \
	"$(lb_json "[(20000 < b['stats']['bytes_in'], 20000 < b['stats']['bytes_out']) for b in s[0]['backends']]")" \
	"[(True, True), (True, True)]"
check_eq "tcp: the service's counters are its backends' sums" \
	"$(lb_json 'all(s[0]["stats"][k] == sum(b["stats"][k] for b in s[0]["backends"]) for k in ("conns", "pkts_in", "bytes_in", "pkts_out", "bytes_out"))')" \
	"True"

# A held connection (round robin's sixth: b2): its flow is listed, its
# client the balancer's address that reaches the VIP (the VIP's, on lo).
held_listed() {
	[ "$(lb_json_of flows "[(f['client'], f['backend'], f['state']) for f in s if f['service'] == '$VIP:80']")" = \
	  "[('$VIP', '10.0.2.12:80', 'established')]" ]
}
mkfifo /tmp/hold
on_lb "$ECHO" tcp $VIP 80 100 - < /tmp/hold > /tmp/held &
held=$!
exec 7> /tmp/hold
wait_for "tcp: the held connection's flow is listed" 10 held_listed
exec 7>&-
check "tcp: the held connection echoed again" wait $held
wait_for "tcp: FIN ends the local client's flows" 15 \
	sh -c "[ \"\$(ip netns exec lb $L4LBADM -j list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"flows\"])')\" = 0 ]"

# UDP: one session per client address, as for a remote client; a flush
# makes the next datagram a new session, round robin's next backend.
check_eq "udp: three datagrams, one backend, answered from the VIP" \
	"$(on_lb "$ECHO" udp $VIP 80 3 | tr '\n' ' ')" \
	"b1 $VIP:80 b1 $VIP:80 b1 $VIP:80 "
check "flush the udp session" lb flush udp $VIP:80
check_eq "udp: the next session, the next backend" \
	"$(on_lb "$ECHO" udp $VIP 80 2 | tr '\n' ' ')" "b2 $VIP:80 b2 $VIP:80 "
check_eq "udp: each backend counted one session" \
	"$(lb_json "[b['stats']['conns'] for b in s[1]['backends']]")" "[1, 1]"

# An ICMP error about a local client's datagram (its backend's port
# unreachable) reaches the client's socket, connected to the VIP, as about
# the VIP: the socket is refused, as a remote client's would be. (The
# bound only ends a failing run: the error comes at once.)
check "service add udp :81 local-clients" \
	lb service add udp $VIP:81 local-clients
check "backend of :81, where nothing listens" \
	lb backend add udp $VIP:81 10.0.2.11:81
check_eq "udp: the backend's port unreachable refuses the local client" \
	"$(on_lb python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect((sys.argv[1], 81))
s.settimeout(60)
s.send(b"x")
try:
    s.recv(16)
    print("answered")
except ConnectionRefusedError:
    print("refused")
except socket.timeout:
    print("no error")' $VIP)" "refused"
lb service del udp $VIP:81

# TCP, IPv6.
check_eq "tcp6: a local client is balanced round robin" \
	"$(tcp_names $VIP6 2)" "b1 b2 "
check_eq "tcp6: each backend counted one flow" \
	"$(lb_json "[b['stats']['conns'] for b in s[2]['backends']]")" "[1, 1]"
check "tcp6: 1 MB echoed byte for byte" on_lb "$ECHO" tcp $VIP6 80 1048576
check "tcp6: the client's peer was the VIP" sh -c \
	"ip netns exec lb ss -Htn state time-wait | awk '{ print \$NF }' | grep -qx '\[$VIP6\]:80'"

# Off: the local client is not balanced: its SYN reaches the VIP's own
# address (on lo), where nothing listens, and no flow is made or counted;
# the remote client is balanced still.
before=$(lb_json "[b['stats']['conns'] for b in s[0]['backends']]")
check "service set tcp local-clients off" lb service set tcp $VIP:80 local-clients off
check_eq "list -j: local_clients off" \
	"$(lb_json "[x['local_clients'] for x in s]")" "[False, True, True]"
check_eq "off: no backend answers the local client" \
	"$(L4LB_ECHO_TIMEOUT=2 tcp_names $VIP 1)" "(failed) "
check_eq "off: the remote client is balanced still" \
	"$(cl "$ECHO" tcp $VIP 80 100)" "b1"
check "service set tcp local-clients on" lb service set tcp $VIP:80 local-clients on
check_eq "on again: balanced" "$(tcp_names $VIP 2 | wc -w)" 2
check_eq "the backends took the remote client's and the two new flows" \
	"$(lb_json "[b['stats']['conns'] for b in s[0]['backends']]" | python3 -c "import sys; a=eval('$before'); b=eval(sys.stdin.read()); print(sum(b) - sum(a))")" \
	"3"

# Toggled under traffic: connections and datagrams in a bounded loop while
# the flag goes off and on; the kernel stays quiet (the guest checks its
# log), and the flag ends on, balancing.
(for i in $(seq 1 40); do
	L4LB_ECHO_TIMEOUT=1 on_lb "$ECHO" tcp $VIP 80 2000 > /dev/null 2>&1
	L4LB_ECHO_TIMEOUT=1 on_lb "$ECHO" udp $VIP 80 1 > /dev/null 2>&1
done) &
traffic=$!
for i in $(seq 1 20); do
	lb service set tcp $VIP:80 local-clients off
	lb service set udp $VIP:80 local-clients off
	lb service set tcp "$VIP6P" local-clients off
	lb service set tcp $VIP:80 local-clients on
	lb service set udp $VIP:80 local-clients on
	lb service set tcp "$VIP6P" local-clients on
done
wait $traffic
check_eq "toggled under traffic: on at the end, balanced" \
	"$(tcp_names $VIP 2 | wc -w)" 2

# save and restore.
lb save > /tmp/saved
check "save: local-clients on the service's line" \
	grep -qx "service add tcp $VIP:80 sched rr local-clients" /tmp/saved
lb flush > /dev/null
for s in "tcp $VIP:80" "udp $VIP:80" "tcp $VIP6P"; do
	lb service del $s
done
check "restore" lb restore /tmp/saved
check_eq "restore: save prints the same" "$(lb save)" "$(cat /tmp/saved)"

# Refusals, one line each, nothing changed.
before=$(lb save)
check_err "local-clients on a stateless service" \
	"l4lbadm: service add: a stateless service keeps no flows: its local clients' replies could not be told from a health check's" \
	lb service add udp $VIP:53 stateless local-clients
check_err "service set local-clients: neither on nor off" \
	"l4lbadm: local-clients 'yes' is not on or off" \
	lb service set tcp $VIP:80 local-clients yes
check "a stateless service" lb service add udp $VIP:53 stateless
check_err "service set local-clients on, stateless" \
	"l4lbadm: service set: a stateless service keeps no flows: its local clients' replies could not be told from a health check's" \
	lb service set udp $VIP:53 local-clients on
lb service del udp $VIP:53
check_eq "the refusals changed nothing" "$(lb save)" "$before"
for s in "tcp $VIP:80" "udp $VIP:80" "tcp $VIP6P"; do
	lb service del $s
done

# A port range with local-clients and a portless backend: the local
# client reaches it on the port it dialled (its replies from the VIP: the
# connection completes).
check "a port range with local-clients" lb service add tcp $VIP:79-81 local-clients
check "its portless backend" lb backend add tcp $VIP:79-81 10.0.2.12
check_eq "range: a local client reaches the portless backend on port 80" \
	"$(tcp_names $VIP 2)" "b2 b2 "
check_eq "range: its two flows counted on the range" \
	"$(lb_json "[x['stats']['conns'] for x in s if x.get('port_last') == 81]")" "[2]"
lb flush > /dev/null
lb service del tcp $VIP:79-81

# A namespace deleted while a service there has local-clients and a
# local client's flow (its SYN has no route to the backend from there:
# refused, but the flow was made): its hooks go with it, quietly.
ip netns add lx
ip -n lx link set lo up
ip -n lx addr add $VIP/32 dev lo
check "lx: a service with local-clients" \
	ip netns exec lx "$L4LBADM" service add tcp $VIP:80 local-clients
check "lx: its backend" \
	ip netns exec lx "$L4LBADM" backend add tcp $VIP:80 10.0.2.11:80
L4LB_ECHO_TIMEOUT=2 ip netns exec lx "$ECHO" tcp $VIP 80 100 2> /dev/null
check_eq "lx: the local client's flow" \
	"$(ip netns exec lx "$L4LBADM" -j list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["stats"]["conns"])')" 1
check "lx: the namespace deleted" ip netns del lx

# IPVS, the same: it balances local clients always.
on_lb ipvsadm -C
on_lb ipvsadm -A -t $VIP:80 -s rr
on_lb ipvsadm -A -u $VIP:80 -s rr
on_lb ipvsadm -A -t "$VIP6P" -s rr
for i in 1 2; do
	on_lb ipvsadm -a -t $VIP:80 -r "10.0.2.1$i:80" -m
	on_lb ipvsadm -a -u $VIP:80 -r "10.0.2.1$i:80" -m
	on_lb ipvsadm -a -t "$VIP6P" -r "[2001:db8:2::1$i]:80" -m
done
got=$(tcp_names $VIP 4)
check "IPVS: tcp: a local client is balanced round robin" \
	grep -Eqx "(b1 b2 b1 b2 |b2 b1 b2 b1 )" <<< "$got"
check "IPVS: tcp: 1 MB echoed byte for byte" on_lb "$ECHO" tcp $VIP 80 1048576
# IPVS's counters are copied out by its estimator, every 2 s.
ipvs_conns() {
	[ "$(on_lb ipvsadm -L -n -t $VIP:80 --stats | awk '$1 == "->" && $2 ~ /^10/ { print $3 }' | sort | tr '\n' ' ')" = "2 3 " ]
}
wait_for "IPVS: tcp: the backends' connections (3 and 2)" 20 ipvs_conns
# IPVS's UDP connections are per client port: each socket's datagrams
# go to one backend, the next socket's to the next.
u1=$(on_lb "$ECHO" udp $VIP 80 2 | tr '\n' ' ')
u2=$(on_lb "$ECHO" udp $VIP 80 2 | tr '\n' ' ')
check "IPVS: udp: one backend per socket, answered from the VIP, round robin" \
	grep -Eqx "(b1 $VIP:80 b1 $VIP:80 b2 $VIP:80 b2 $VIP:80 |b2 $VIP:80 b2 $VIP:80 b1 $VIP:80 b1 $VIP:80 )" \
	<<< "$u1$u2"
got=$(tcp_names $VIP6 2)
check "IPVS: tcp6: a local client is balanced round robin" \
	grep -Eqx "(b1 b2 |b2 b1 )" <<< "$got"
on_lb ipvsadm -C

check "a service with local-clients again" lb service add tcp $VIP:80 local-clients
check "the module unloads with it, its hooks registered" unload_l4lb
finish

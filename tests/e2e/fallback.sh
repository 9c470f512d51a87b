#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The fallback (sorry) server, as keepalived's sorry_server: it gets no
# flow while a backend is usable, every new flow once none is (health down
# or weight 0), for a TCP service (rr, mh) and a UDP session service; its
# connection goes on intact when the pool comes back, while new flows go to
# the pool again and its UDP session moves there at the next datagram. It
# is listed, saved and restored, counted and shown in the metrics, replaced
# in one step, removed with none; bad requests are refused and change
# nothing.
#
#   cl 10.0.1.2 --- lb (VIP 10.0.0.1:80 rr, :81 mh, :7777 udp sh)
#                      --- b1 b2 (backends), b3 (the sorry server), b4

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 4
for i in 1 2 3 4; do
	serve "b$i" "b$i" 80
	serve "b$i" "b$i" 81
	serve "b$i" "b$i" 7777
done
check "service add tcp rr" lb service add tcp $VIP:80
check "service add tcp mh" lb service add tcp $VIP:81 sched mh
check "service add udp" lb service add udp $VIP:7777
for port in 80 81; do
	for i in 1 2; do
		check "backend b$i :$port" lb backend add tcp $VIP:$port "10.0.2.1$i:$port"
	done
	check "fallback b3 :$port" lb service set tcp $VIP:$port fallback "10.0.2.13:$port"
done
check "udp backend b1" lb backend add udp $VIP:7777 10.0.2.11:7777
check "udp fallback b3" lb service set udp $VIP:7777 fallback 10.0.2.13:7777
check "setting the same fallback again changes nothing" \
	lb service set tcp $VIP:80 fallback 10.0.2.13:80

fb() { lb_json "[b['address'] for x in s if x['port'] == $1 for b in x['backends'] if b['fallback']]"; }
check_eq "list -j: one fallback server per service" "$(fb 80) $(fb 81) $(fb 7777)" \
	"['10.0.2.13'] ['10.0.2.13'] ['10.0.2.13']"
check "list: the fallback's row says so" \
	sh -c "ip netns exec lb $L4LBADM list | grep -q '^  -> 10.0.2.13:80 .* up fallback$'"

# names PORT N: the backends N new connections to PORT reach, sorted.
names() {
	local i

	for i in $(seq 1 "$2"); do cl "$ECHO" tcp $VIP "$1" 100; done | sort -u | tr '\n' ' '
}
check_eq "pool usable: rr never picks the fallback" "$(names 80 6)" "b1 b2 "
check_eq "pool usable: mh never picks the fallback" \
	"$(names 81 6 | tr ' ' '\n' | grep -c b3)" 0
check_eq "pool usable: the udp session goes to b1" \
	"$(cl "$ECHO" udp $VIP 7777 3 | cut -d' ' -f1 | sort -u)" "b1"

# Every backend down (one by health, one by weight 0): the sorry server.
for port in 80 81; do
	check "b1 :$port down" lb backend set tcp $VIP:$port 10.0.2.11:$port health down
	check "b2 :$port weight 0" lb backend set tcp $VIP:$port 10.0.2.12:$port weight 0
done
check "udp b1 down" lb backend set udp $VIP:7777 10.0.2.11:7777 health down
check_eq "no backend usable: rr sends every new connection to the fallback" \
	"$(names 80 4)" "b3 "
check_eq "no backend usable: mh too" "$(names 81 4)" "b3 "
check_eq "no backend usable: the udp session moves to the fallback" \
	"$(cl "$ECHO" udp $VIP 7777 3 | cut -d' ' -f1 | sort -u)" "b3"

# A connection held on the sorry server while the pool comes back.
mkfifo /tmp/hold
cl "$ECHO" tcp $VIP 80 20000 - < /tmp/hold > /tmp/held &
held=$!
exec 7> /tmp/hold
wait_for "the held connection reached the fallback" 30 grep -qx b3 /tmp/held
check "b1 :80 up again" lb backend set tcp $VIP:80 10.0.2.11:80 health up
check "b1 :81 up again" lb backend set tcp $VIP:81 10.0.2.11:81 health up
check "udp b1 up again" lb backend set udp $VIP:7777 10.0.2.11:7777 health up
check_eq "a backend usable again: new connections go to it, not the fallback" \
	"$(names 80 4)" "b1 "
check_eq "mh: likewise" "$(names 81 4)" "b1 "
check_eq "the udp session moves back to the pool at its next datagram" \
	"$(cl "$ECHO" udp $VIP 7777 3 | cut -d' ' -f1 | sort -u)" "b1"
exec 7>&-
check "the fallback's connection went on: 20000 bytes echoed again, intact" wait $held
check_eq "the fallback's counters: 5 connections on :80 (4 and the held one)" \
	"$(lb_json "[b['stats']['conns'] for x in s if x['port'] == 80 for b in x['backends'] if b['fallback']]")" "[5]"
check "metrics: l4lb_backend_fallback is 1 for the fallback only" sh -c \
	"ip netns exec lb $L4LBADM stats -o prometheus | grep -q '^l4lb_backend_fallback{.*service=\"$VIP:80\",backend=\"10.0.2.13:80\"} 1$' &&
	 ! ip netns exec lb $L4LBADM stats -o prometheus | grep -q '^l4lb_backend_fallback{.*backend=\"10.0.2.11:80\"} 1$'"

# save and restore: the fallback is one line, replayed identically.
lb save > /tmp/saved
check "save: the fallback as service set" \
	grep -qx "service set tcp $VIP:80 fallback 10.0.2.13:80" /tmp/saved
check "save: no backend line for it" sh -c "! grep -q '^backend add .* 10.0.2.13:' /tmp/saved"
for p in tcp:80 tcp:81 udp:7777; do
	check "service del $p" lb service del "${p%%:*}" "$VIP:${p#*:}"
done
check "restore" lb restore /tmp/saved
check_eq "restore: save prints the same" "$(lb save)" "$(cat /tmp/saved)"

# Refused, nothing changed.
before=$(lb save)
check_err "a backend cannot be the fallback too" \
	"l4lbadm: service set: backend already exists" \
	lb service set tcp $VIP:80 fallback 10.0.2.11:80
check_err "the fallback has no weight" \
	"l4lbadm: backend set: a fallback server has no weight" \
	lb backend set tcp $VIP:80 10.0.2.13:80 weight 5
check_err "of the service's family" \
	"l4lbadm: service set: backend [2001:db8::5]:80 is IPv6, service $VIP:80 is IPv4: a service and its backends share a family" \
	lb service set tcp $VIP:80 fallback '[2001:db8::5]:80'
check_err "no such service" "l4lbadm: service set: no such service" \
	lb service set tcp $VIP:82 fallback 10.0.2.13:82
check_err "fallback needs an address or none" \
	"l4lbadm: service set: use service set PROTO VIP:PORT fallback ADDRESS:PORT|none" \
	lb service set tcp $VIP:80 fallback
check_eq "the refusals changed nothing" "$(lb save)" "$before"

# Replaced in one step; then none.
lb monitor > /tmp/events &
T_PIDS+=($!)
# It joins some time after it starts: a change it prints tells it listens.
listening() {
	lb set timeout-closing 10
	[ -s /tmp/events ]
}
wait_for "the monitor listens" 30 listening
check "replace the fallback with b4" lb service set tcp $VIP:80 fallback 10.0.2.14:80
check_eq "b4 is the fallback, b3 is gone" "$(fb 80)" "['10.0.2.14']"
wait_for "monitor: the change as the commands that make it" 30 \
	grep -qx "service set tcp $VIP:80 fallback 10.0.2.14:80" /tmp/events
check "monitor: the old one deleted first" \
	grep -qx "backend del tcp $VIP:80 10.0.2.13:80" /tmp/events
check "fallback none" lb service set tcp $VIP:80 fallback none
check_eq "no fallback left" "$(fb 80)" "[]"
check "none again changes nothing" lb service set tcp $VIP:80 fallback none
for port in 80 81; do
	check "b1 :$port down again" lb backend set tcp $VIP:$port 10.0.2.11:$port health down
done
check_eq "no backend and no fallback: the connection fails" \
	"$(cl "$ECHO" tcp $VIP 80 100 2>/dev/null || echo failed)" "failed"
check_eq "mh keeps its fallback: b3" "$(names 81 2)" "b3 "

finish

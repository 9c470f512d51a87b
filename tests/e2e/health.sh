#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Health checks (l4lbadm healthd): a TCP and a UDP service over the same
# three backends. b2's server stops: within fall x interval it is down in
# both services, new flows avoid it, flows to b1 and b3 go on, its TCP
# flow too (down-flows keep); its UDP session moves all the same. The
# daemon puts its verdict back after an operator's change and after the
# module is reloaded. b2's server starts again: within rise x interval it
# is up and takes flows. Then b3 leaves its pool gracefully.
#
#   cl 10.0.1.2 --- lb (VIP 10.0.0.1:80 tcp rr, udp rr) --- b1 b2 b3 :80
#
# About 3 minutes on an idle machine, 10 beside other guests; the bound is
# for a guest that hangs, not one that is slow:
# guest-timeout: 1800

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 3
declare -A server
for i in 1 2 3; do
	serve "b$i" "b$i" 80
	server[$i]=${T_PIDS[-1]}
	# Every probe of a closed port gets its ICMP error (no rate limit),
	# so a UDP check's failure reads "port unreachable", not a timeout.
	ip netns exec "b$i" sysctl -qw net.ipv4.icmp_ratelimit=0
done
check "tcp service" lb service add tcp $VIP:80
check "udp service" lb service add udp $VIP:80 sched rr
for i in 1 2 3; do
	check "backend b$i" lb backend add tcp $VIP:80 "10.0.2.1$i:80"
	check "backend b$i (udp)" lb backend add udp $VIP:80 "10.0.2.1$i:80"
done

# 0.5 s apart, 3 failures to go down, 2 successes to come back. A
# failure here is a refused connection, a port unreachable or a command's
# exit status, never a timeout: the probes' timeouts are generous, as a
# guest slowed by a busy host answers a probe in well over 0.5 s at times.
cat > /tmp/healthd.conf <<EOF
# l4lb health checks
check tcp $VIP:80 connect interval 0.5 timeout 10 rise 2 fall 3
check udp $VIP:80 udp send "ping" interval 0.5 timeout 10 rise 2 fall 3
# b3 of the TCP service: a command of the operator's, here a file's absence
check tcp $VIP:80 10.0.2.13:80 exec "test ! -e /tmp/sick-%a-%p" interval 0.5 timeout 10 rise 2 fall 3
EOF
check_err "a bad configuration line is refused with its place" \
	"l4lbadm: healthd: /tmp/bad.conf:1: the check type is connect, udp or exec COMMAND" \
	sh -c "echo 'check tcp $VIP:80 ping' > /tmp/bad.conf; $L4LBADM healthd /tmp/bad.conf"
ip netns exec lb "$L4LBADM" healthd /tmp/healthd.conf 2> /tmp/healthd.log &
T_PIDS+=($!)

# health PROTO BACKEND-ADDRESS: up or down, as l4lbadm -j list has it.
health() {
	lb_json "[b['health'] for x in s if x['proto'] == '$1' for b in x['backends'] if b['address'] == '$2'][0]"
}
all_checked() {
	[ "$(lb_json "sorted(set((b['health'], b['check']) for x in s for b in x['backends']))")" = \
		"[('up', 'connect ok'), ('up', 'exec ok'), ('up', 'udp reply ok')]" ]
}
wait_for "every backend checked and up" 60 all_checked

# Held connections, one per backend, opened before b2 fails.
mkfifo /tmp/hold
held=()
for i in 1 2 3; do
	cl "$ECHO" tcp $VIP 80 100 - < /tmp/hold > "/tmp/held$i" 2>/dev/null &
	held+=($!)
done
exec 7> /tmp/hold
wait_for "three held flows" 60 sh -c \
	"[ \"\$(ip netns exec lb $L4LBADM -j list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0][\"flows\"])')\" = 3 ]"

# A UDP session on b2 (round robin: flush until it lands there).
for _ in 1 2 3; do
	lb flush udp $VIP:80
	[ "$(cl "$ECHO" udp $VIP 80 1 | cut -d' ' -f1)" = b2 ] && break
done
check_eq "a UDP session on b2" \
	"$(lb -j flows udp $VIP:80 | python3 -c 'import json,sys; print([f["backend"] for f in json.load(sys.stdin)])')" \
	"['10.0.2.12:80']"

listening() { lb set timeout-closing 10; [ -s "$1" ]; }
# monitor FILE: the changes, with the time each reached a listener (it
# listens once it has heard a harmless change).
monitor() {
	# Not holding the held flows' FIFO open (fd 7).
	lb -j monitor > "$1" 7>&- &
	T_PIDS+=($!)
	wait_for "a monitor listens" 60 listening "$1"
}
# took FILE EVENT-PATTERN SINCE: seconds from SINCE to the first such event.
took() {
	python3 -c '
import json, re, sys
for line in open(sys.argv[1]):
    if re.search(sys.argv[2], line):
        print("%.1f" % (json.loads(line)["time"] - float(sys.argv[3])))
        break' "$@"
}
# within WHAT LIMIT SECONDS: SECONDS (a number, or nothing) is <= LIMIT.
within() {
	check "$1 took ${3:-forever} s, at most $2" python3 -c \
		"import sys; sys.exit(not '$3' or float('$3') > $2)"
}
# bound SECONDS: SECONDS of the daemon's own waiting (its intervals), four
# times over, plus five times this guest's pace now: the seconds one
# l4lbadm -j list takes (the mean of five), two programs started and a
# netlink dump, more than all the daemon does between a kill and its
# verdict (probes, a netlink request) or a monitor's line costs. Under
# emulation a list takes some 0.3 s on an idle host: 7.7 s in all, as
# fall 20 (10 s) would not meet; a guest slowed by a busy host gets more.
bound() {
	local t0 t1

	t0=$(date +%s.%N)
	for _ in 1 2 3 4 5; do lb -j list > /dev/null; done
	t1=$(date +%s.%N)
	python3 -c "print('%.1f' % (4 * $1 + 5 * ($t1 - $t0) / 5))"
}

monitor /tmp/events
# fall x interval (1.5 s), and up to an interval until the first failing
# probe: 2 s on an idle machine. A loaded one slows the emulated guest
# down, not its clock: the bound says "promptly", for this guest's pace.
limit=$(bound 1.5)
start=$(date +%s.%N)
kill "${server[2]}"
b2_down() { [ "$(health tcp 10.0.2.12)" = down ] && [ "$(health udp 10.0.2.12)" = down ]; }
wait_for "b2 goes down in both services" 60 b2_down
within "tcp: down" "$limit" "$(took /tmp/events '"backend set","proto":"tcp".*"10.0.2.12".*"health":"down"' "$start")"
within "udp: down" "$limit" "$(took /tmp/events '"backend set","proto":"udp".*"10.0.2.12".*"health":"down"' "$start")"
check_eq "the check says why" \
	"$(lb_json "sorted(b['check'] for x in s for b in x['backends'] if b['address'] == '10.0.2.12')")" \
	"['connect: Connection refused', 'udp: port unreachable']"
check "list shows it" sh -c "ip netns exec lb $L4LBADM list | grep -q '10.0.2.12:80 .* down for [0-9]*s (connect: Connection refused)'"
check_eq "b1 and b3 are still up" \
	"$(health tcp 10.0.2.11) $(health tcp 10.0.2.13) $(health udp 10.0.2.11) $(health udp 10.0.2.13)" \
	"up up up up"
check_eq "the weights are the operator's, untouched" \
	"$(lb_json "[b['weight'] for x in s for b in x['backends']]")" "[1, 1, 1, 1, 1, 1]"

got=$(for _ in 1 2 3 4; do cl "$ECHO" tcp $VIP 80 100; done | sort | uniq -c | awk '{ print $2 ":" $1 }' | tr '\n' ' ')
check_eq "new connections reach only b1 and b3, in turn" "$got" "b1:2 b3:2 "
exec 7>&-
check "the held flow to b1 goes on" wait "${held[0]}"
check "the held flow to b3 goes on" wait "${held[2]}"
check "down-flows keep: so does b2's, served by what is left of it" \
	wait "${held[1]}"

# UDP has no connection to break: whatever down-flows says, b2's session
# goes (the sweep, or the client's next datagram) and moves.
no_b2_session() { [ "$(lb -j flows udp $VIP:80 | grep -c 10.0.2.12)" = 0 ]; }
wait_for "down-flows keep: the sweep removes b2's UDP session all the same" \
	60 no_b2_session
moved=$(cl "$ECHO" udp $VIP 80 1 | cut -d' ' -f1)
check "the client's next datagram gets a new session on b1 or b3 ($moved)" \
	grep -qx 'b1\|b3' <<< "$moved"

# The daemon's verdict wins over a change behind its back, and over a
# module reload (once the configuration is restored).
check "an operator marks b1 down behind the daemon's back" lb backend set tcp $VIP:80 10.0.2.11:80 health down
b1_up() { [ "$(health tcp 10.0.2.11)" = up ]; }
# It lists the backends every second; 60 s for a loaded machine.
wait_for "the daemon puts b1 back up" 60 b1_up
lb save > /tmp/l4lb.conf
unload_l4lb
load_l4lb
check "configuration restored after the reload" lb restore /tmp/l4lb.conf
wait_for "after the reload the daemon marks b2 down again" 60 b2_down
check "its log tells of it" grep -q "the l4lb family went away" /tmp/healthd.log

monitor /tmp/events.up
# rise x interval (1 s), an interval until the first probe, plus the
# server's start; bounded as above.
limit=$(bound 1.5)
start=$(date +%s.%N)
serve b2 b2 80
b2_up() { [ "$(health tcp 10.0.2.12)" = up ] && [ "$(health udp 10.0.2.12)" = up ]; }
wait_for "b2 comes back up in both services" 60 b2_up
within "tcp: up" "$limit" "$(took /tmp/events.up '"backend set","proto":"tcp".*"10.0.2.12".*"health":"up"' "$start")"
within "udp: up" "$limit" "$(took /tmp/events.up '"backend set","proto":"udp".*"10.0.2.12".*"health":"up"' "$start")"
got=$(for _ in 1 2 3; do cl "$ECHO" tcp $VIP 80 100; done | sort | tr '\n' ' ')
check_eq "it takes new connections again" "$got" "b1 b2 b3 "

# A command check: b3's own line, in the TCP service only.
touch /tmp/sick-10.0.2.13-80
b3_down() { [ "$(health tcp 10.0.2.13)" = down ]; }
wait_for "a failing command takes b3 down" 60 b3_down
check_eq "its check says how the command ended; in UDP it is up" \
	"$(lb_json "[(x['proto'], b['health'], b['check']) for x in s for b in x['backends'] if b['address'] == '10.0.2.13']")" \
	"[('tcp', 'down', 'exec: exit 1'), ('udp', 'up', 'udp reply ok')]"
rm /tmp/sick-10.0.2.13-80
b3_up() { [ "$(health tcp 10.0.2.13)" = up ]; }
wait_for "the command succeeds again: b3 is back" 60 b3_up

# A backend leaves gracefully: drained at once, deleted once its flow
# ended.
cl "$ECHO" tcp $VIP 80 100 - < /tmp/hold > /dev/null 2>&1 &
hold=$!
exec 7> /tmp/hold
tcp_flows() { lb -j flows tcp $VIP:80 | python3 -c 'import json,sys; print(" ".join(f["backend"] for f in json.load(sys.stdin) if f["state"] == "established"))'; }
wait_for "a held flow" 60 sh -c "[ -n \"\$(ip netns exec lb $L4LBADM -j flows tcp $VIP:80 | grep established)\" ]"
leaving=$(tcp_flows)
# (Its bound is not what is tested: long enough for a slowed guest.)
lb backend leave tcp $VIP:80 "$leaving" timeout 600 7>&- &
leave=$!
drained() { [ "$(lb_json "[b['state'] for b in s[0]['backends'] if '%s:%d' % (b['address'], b['port']) == '$leaving'][0]")" = drain ]; }
wait_for "leave drains $leaving first" 60 drained
check "while its flow is open, it stays" kill -0 $leave
exec 7>&-
check "the held flow ends well" wait $hold
check "then leave deletes it" wait $leave
check_eq "and the pool is the other two" \
	"$(lb_json "len(s[0]['backends'])")" 2
echo "# healthd's log:"
sed 's/^/#   /' /tmp/healthd.log

finish

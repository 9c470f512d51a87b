#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Closing connections, and floods that try to pin a full table (issue 27):
#
#   1. Half-close: a client sends its request, then its FIN (shutdown
#      SHUT_WR, as nc -N and HTTP/1.0 clients do); the server answers only
#      after timeout-closing has passed. The client's FIN makes the flow
#      fin-wait, living timeout-fin-wait (a setting), and all 100,000
#      bytes of the answer arrive intact.
#   2. Floods into a 64-flow table (max-flows 64). While each one's
#      keep-alive traffic goes on, another client's connection (or UDP
#      request) gets its answer, none of its packets refused as table_full:
#      a. 64 SYNs from one client, a RST on each, then a bare ACK on each
#         every 2 s: closing flows, evictable, their ACKs not extending
#         them;
#      b. bare ACKs from 64 spoofed sources to an sh service, which its
#         backend answers with RST, repeated every 2 s;
#      c. a datagram from each of 64 spoofed sources to a UDP service whose
#         backend answers: the sessions are replied (evictable), not
#         assured.
#
#   cl 10.0.1.2 (client)      lb VIP 10.0.0.1               b1 10.0.2.11
#      10.0.1.3 (attacker) ---   :81 tcp rr  ------------- :81 half-close server
#                                :80 tcp rr  ------------- :80 l4lb-echo
#                                :82 tcp sh  ------------- :82 l4lb-echo
#                                :53 udp sh, timeout 300 - :53 l4lb-echo
#   Spoofed sources 198.18.0.0/24 (ACKs) and 198.19.0.0/24 (datagrams):
#   lb routes 198.18.0.0/15 back to cl, so the backend's answers pass it.
#
# About 2 minutes on an idle machine when every check passes.

. "$L4LB_REPO/tests/lib/e2e.sh"

PIN=$L4LB_REPO/tests/tools/pin.py
CLOSING=2

load_l4lb
topo 1
ip -n cl addr add 10.0.1.3/24 dev veth0
ip -n lb route add 198.18.0.0/15 via 10.0.1.2
for p in 80 82 53; do serve b1 b1 $p; done
check "half-close service" lb service add tcp $VIP:81 sched rr
check "its backend" lb backend add tcp $VIP:81 10.0.2.11:81
check "tcp rr service" lb service add tcp $VIP:80 sched rr
check "its backend" lb backend add tcp $VIP:80 10.0.2.11:80
check "tcp sh service" lb service add tcp $VIP:82 sched sh
check "its backend" lb backend add tcp $VIP:82 10.0.2.11:82
check "udp service" lb service add udp $VIP:53 timeout 300
check "its backend" lb backend add udp $VIP:53 10.0.2.11:53

# 1. Half-close.
check "timeout-closing $CLOSING" lb set timeout-closing $CLOSING
check "timeout-fin-wait is a setting" lb set timeout-fin-wait 60
check "settings shows it" sh -c \
	"ip netns exec lb $L4LBADM settings | grep -qx 'timeout-fin-wait 60'"

# The server reads the request to its end (the client's FIN), says so in
# /tmp/closing-eof, waits for /tmp/closing-go, answers and closes.
ANSWER="bytes(i * 7 % 251 for i in range(100000))"
rm -f /tmp/closing-eof /tmp/closing-go
ip netns exec b1 python3 -c "
import os, socket, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('0.0.0.0', 81))
s.listen(1)
c, _ = s.accept()
req = b''
while True:
    d = c.recv(65536)
    if not d:
        break
    req += d
with open('/tmp/closing-eof.new', 'wb') as f:
    f.write(req)
os.rename('/tmp/closing-eof.new', '/tmp/closing-eof')
end = time.monotonic() + 600
while not os.path.exists('/tmp/closing-go') and time.monotonic() < end:
    time.sleep(0.1)
c.sendall($ANSWER)
c.close()
" &
T_PIDS+=($!)
listens() { ip netns exec b1 ss -Hltn "sport = :81" | grep -q .; }
wait_for "the half-close server listens" 30 listens
# The client: request, FIN, then reads to the server's FIN; prints the
# byte count and their hash. 60 s without a byte ends it (a lost answer).
ip netns exec cl python3 -c "
import hashlib, socket, sys
h, n = hashlib.sha256(), 0
try:
    c = socket.create_connection(('$VIP', 81), timeout=60)
    c.sendall(b'GET / HTTP/1.0\r\n\r\n')
    c.shutdown(socket.SHUT_WR)
    while True:
        d = c.recv(65536)
        if not d:
            break
        h.update(d)
        n += len(d)
except OSError as e:
    print('client:', e)
print(n, h.hexdigest())
" > /tmp/closing-client &
cpid=$!
T_PIDS+=("$cpid")
wait_for "the server read the request to its end: the client's FIN passed" 30 \
	test -e /tmp/closing-eof
check_eq "the request intact" "$(wc -c < /tmp/closing-eof)" 18
# State and seconds left of the half-closed flow.
flow81() { lb flows tcp $VIP:81 | awk 'NR > 1 { print $5, $6 + 0 }'; }
f=$(flow81)
echo "# after the client's FIN: $f"
check_eq "the client's FIN: the flow is fin-wait" "${f% *}" fin-wait
between() { [ "$1" -ge "$2" ] 2>/dev/null && [ "$1" -le "$3" ]; }
check "living timeout-fin-wait (60 s), not timeout-closing ($CLOSING s)" \
	between "${f#* }" 10 60
# Timing is the subject: on the guest's own clock (the kernel's), well
# past timeout-closing since the FIN and the server's ACK of it.
sleep $((CLOSING + 2))
f=$(flow81)
echo "# $((CLOSING + 2)) s later: $f"
check_eq "past timeout-closing, still fin-wait" "${f% *}" fin-wait
touch /tmp/closing-go
wait $cpid
want=$(python3 -c "import hashlib; print(hashlib.sha256($ANSWER).hexdigest())")
check_eq "the answer to the half-closed request arrives, 100,000 bytes intact" \
	"$(cat /tmp/closing-client)" "100000 $want"

# 2. Floods into a 64-flow table. Closing flows live 60 s here: a flood's
# flows make room by being evicted, not by expiring.
lb flush
check "max-flows 64" lb set max-flows 64
check "timeout-closing 60" lb set timeout-closing 60

table_full() {
	lb_json_of stats "sum(sv['stats']['drops']['table_full'] for sv in s['services'])"
}
# states PREFIX: the number of flows of clients whose address begins with
# PREFIX, and their states.
states() {
	lb_json_of flows "len([f for f in s if f['client'].startswith('$1')]), *sorted({f['state'] for f in s if f['client'].startswith('$1')})"
}
states_are() { [ "$(states "$1")" = "$2" ]; }
# fills DESC PREFIX WANT: waits for the flows of PREFIX to be WANT (states);
# if they never are, shows what the table holds.
fills() {
	wait_for "$1" 30 states_are "$2" "$3" ||
		lb_json_of flows "'# table: ' + str(sorted(__import__('collections').Counter((f['client'].rsplit('.', 1)[0], f['state']) for f in s).items()))"
}
# answered PREFIX: 64 sessions of those clients, each answered.
answered() {
	[ "$(lb_json_of flows "len([f for f in s if f['client'].startswith('$1') and f['state'] != 'unreplied'])")" = 64 ]
}
# newcomer PORT: another client connects and gets its echo, while a flood
# goes on (20 s for TCP's retransmissions of its SYN).
newcomer() {
	local before out

	before=$(table_full)
	out=$(cl env L4LB_ECHO_TIMEOUT=20 "$ECHO" tcp $VIP "$1" 1000 2>&1)
	check_eq "another client connects to :$1 while the flood's ACKs go on" "$out" b1
	check_eq "none of its packets refused as table_full" "$(table_full)" "$before"
}
# stop PID: a flood ended before the next one (started by ip netns exec,
# which becomes it: a function's & would leave it running).
stop() { kill "$1"; wait "$1" 2>/dev/null; }
# rounds FILE: ACK rounds a pin.py flood has sent.
rounds() { wc -l < "$1"; }

# a. SYN, RST, ACKs from one client.
ip netns exec cl python3 "$PIN" tcp 10.0.1.3 $VIP 80 64 2 > /tmp/pin-tcp &
fpid=$!
T_PIDS+=("$fpid")
fills "64 SYNs, a RST on each: 64 closing flows fill the table" \
	10.0.1.3 "64 closing"
lb -j flows > /tmp/flows1
t1=$(date +%s%3N)
r=$(rounds /tmp/pin-tcp)
wait_for "three more rounds of ACKs on them" 60 \
	sh -c "[ \$(wc -l < /tmp/pin-tcp) -ge $((r + 3)) ]"
t2=$(date +%s%3N)
lb -j flows > /tmp/flows2
# Each expires as much sooner as time passed between the two listings
# (half a second's rounding of the kernel's clock against date's).
not_extended() {
	python3 -c "
import json
def left(n):
    return {f['client_port']: f['expires_ms'] for f in json.load(open(n))
            if f['client'] == '10.0.1.3'}
a, b = left('/tmp/flows1'), left('/tmp/flows2')
late = [p for p in a if b.get(p, 1 << 30) > a[p] - ($t2 - $t1) + 500]
print('# %d flows, %d ms apart; %d extended or gone, e.g. %s' % (
    len(a), $t2 - $t1, len(late),
    ['%d: %s -> %s ms' % (p, a[p], b.get(p)) for p in late[:2]]))
exit(1 if late or len(a) != 64 else 0)
"
}
check "their ACKs do not extend the closing flows" not_extended
newcomer 80
stop "$fpid"
lb flush

# b. Spoofed ACKs to an sh service, answered by the backend's RST.
ip netns exec cl python3 "$PIN" ack 198.18.0.0 64 $VIP 82 2 > /tmp/pin-ack &
fpid=$!
T_PIDS+=("$fpid")
fills "ACKs from 64 sources, each answered by a RST: 64 closing flows fill the table" \
	198.18.0. "64 closing"
r=$(rounds /tmp/pin-ack)
wait_for "and the ACKs go on" 30 sh -c "[ \$(wc -l < /tmp/pin-ack) -gt $r ]"
newcomer 82
stop "$fpid"
lb flush

# c. A datagram from each of 64 spoofed sources, each answered.
check_eq "64 spoofed datagrams sent" "$(cl python3 "$PIN" udp 198.19.0.0 64 $VIP 53)" 64
wait_for "64 sessions, each answered by the backend, fill the table" 30 \
	answered 198.19.0.
check_eq "answered once: replied (evictable), not assured" \
	"$(states 198.19.0.)" "64 replied"
before=$(table_full)
check_eq "another client's 3 requests are answered" \
	"$(cl env L4LB_ECHO_TIMEOUT=20 "$ECHO" udp $VIP 53 3 2>&1)" \
	"b1 $VIP:53
b1 $VIP:53
b1 $VIP:53"
check_eq "none of them refused as table_full" "$(table_full)" "$before"
finish

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 end to end, beside IPv4 on the same links: the IPv4 scenarios again
# over IPv6 (TCP spread and a 4 MB echo, UDP sessions sticky and answered
# from the VIP, their expiry, stateless UDP, lc, a backend deleted under a
# held flow, health checks taking a backend down and up), then what is
# IPv6's own: path MTU discovery through the balancer (Packet Too Big
# translated), a hop-by-hop options header, fragmented UDP, and bad input.
# An IPv4 and an IPv6 service on the same port do not meet.
#
#   far 2001:db8:3::2 --- cl (router: route to far, mtu 1400)
#   cl 2001:db8:1::2 --- 2001:db8:1::1 lb 2001:db8:2::1 --- b1 2001:db8:2::11
#                        VIP 2001:db8::1 (lo)              +- b2 2001:db8:2::12
# (and topo's IPv4 addresses on the same links)
#
# Some 9 minutes beside other guests; the bound is for a guest that
# hangs, not one that is slow:
# guest-timeout: 1800

. "$L4LB_REPO/tests/lib/e2e.sh"

V6="[$VIP6]"

load_l4lb
topo 2
topo6 2
ns_add far
ip link add veth0 netns far type veth peer name fa0 netns cl
ip -n far addr add 2001:db8:3::2/64 dev veth0 nodad
ip -n far link set veth0 up
ip -n far route add default via 2001:db8:3::1
ip -n cl addr add 2001:db8:3::1/64 dev fa0 nodad
ip -n cl link set fa0 up
ip -n cl link set fa0 mtu 1400
ip netns exec cl sysctl -qw net.ipv6.conf.all.forwarding=1
ip -n lb route add 2001:db8:3::/64 via 2001:db8:1::2
for i in 1 2; do
	serve "b$i" "b$i" 80
	serve "b$i" "u$i" 7777
	serve "b$i" "u$i" 7778
	serve "b$i" "d$i" 53
done

check "IPv6 tcp service" lb service add tcp $V6:80
check "IPv4 tcp service on the same port" lb service add tcp $VIP:80
# Sessions that outlive the test (a slowed guest's commands too), and a
# service of its own for their expiry.
check "IPv6 udp sessions" lb service add udp $V6:7777 sched rr timeout 3600
check "IPv6 udp sessions of 3 s" lb service add udp $V6:7778 sched rr timeout 3
check "IPv6 stateless udp" lb service add udp $V6:53 sched rr stateless
for i in 1 2; do
	check "backend b$i" lb backend add tcp $V6:80 "[2001:db8:2::1$i]:80"
	check "udp backend b$i" lb backend add udp $V6:7777 "[2001:db8:2::1$i]:7777"
	check "udp backend b$i of 3 s sessions" lb backend add udp $V6:7778 "[2001:db8:2::1$i]:7778"
	check "dns backend b$i" lb backend add udp $V6:53 "[2001:db8:2::1$i]:53"
done
check "the IPv4 service's one backend" lb backend add tcp $VIP:80 10.0.2.12:80

# Bad input: one line, nothing changed.
before=$(lb save)
check_err "an IPv4 backend of an IPv6 service" \
	"l4lbadm: backend add: backend 10.0.2.11:80 is IPv4, service $V6:80 is IPv6: a service and its backends share a family" \
	lb backend add tcp $V6:80 10.0.2.11:80
check_err "a malformed IPv6 VIP" \
	"l4lbadm: '[2001:db8::1:80' is not VIP:PORT, VIP:FIRST-LAST (FIRST below LAST) or VIP:*, like 10.0.0.1:5432, [2001:db8::1]:443 or 10.0.0.1:5060-5080" \
	lb service add tcp "[2001:db8::1:80"
check_err "an IPv6 address with a port needs brackets" \
	"l4lbadm: '2001:db8::1:80' is not VIP:PORT, VIP:FIRST-LAST (FIRST below LAST) or VIP:*, like 10.0.0.1:5432, [2001:db8::1]:443 or 10.0.0.1:5060-5080" \
	lb service add tcp 2001:db8::1:80
check_eq "nothing changed" "$(lb save)" "$before"

# What the module itself says, past l4lbadm's checks; each request leaves
# the namespace byte for byte as it was (genl.py --matrix).
T6="SVC_PROTO=u8:6 SVC_ADDR6=ip6:$VIP6 SVC_PORT=u16:80"
T4="SVC_PROTO=u8:6 SVC_ADDR4=ip:$VIP SVC_PORT=u16:80"
ip netns exec lb python3 "$L4LB_REPO/tests/tools/genl.py" --matrix \
	> /tmp/matrix6 <<EOF
an IPv4 backend of an IPv6 service | EINVAL attr=BE_ADDR4: an IPv6 service's backends have IPv6 addresses (be-addr6), not be-addr4 | BACKEND_NEW $T6 BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80
an IPv6 backend of an IPv4 service | EINVAL attr=BE_ADDR6: an IPv4 service's backends have IPv4 addresses (be-addr4), not be-addr6 | BACKEND_NEW $T4 BE_ADDR6=ip6:2001:db8:2::11 BE_PORT=u16:80
both families named at once | EINVAL attr=SVC_ADDR6: an address is IPv4 or IPv6, not both | SERVICE_NEW $T4 SVC_ADDR6=ip6:2001:db8::9
an IPv6 address of 15 bytes | ERANGE attr=SVC_ADDR6: binary attribute size out of range | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR6=hex:20010db80000000000000000000009 SVC_PORT=u16:80
an IPv6 address of 4 bytes | ERANGE attr=SVC_ADDR6: binary attribute size out of range | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR6=hex:20010db8 SVC_PORT=u16:80
an IPv4 client picked for an IPv6 service | EINVAL: the client's address is not of the service's family | BACKEND_PICK $T6 FLOW_CADDR4=ip:10.0.1.2
flows of an IPv6 backend of an IPv4 service (a dump: no offset) | EINVAL: an IPv4 service's backends have IPv4 addresses (be-addr4), not be-addr6 | --dump FLOW_GET $T4 BE_ADDR6=ip6:2001:db8:2::12 BE_PORT=u16:80
EOF
tap /tmp/matrix6
check_eq "every case was run" "$(grep -c "^ok - \|^not ok - " /tmp/matrix6)" 7

# TCP: round robin over IPv6 clients, the bytes intact.
out=$(for _ in 1 2 3 4; do cl "$ECHO" tcp $VIP6 80; done | sort | uniq -c |
	awk '{print $2 "=" $1}' | tr '\n' ' ')
check_eq "four connections, two per backend" "$out" "b1=2 b2=2 "
check "4 MB echoed intact over IPv6" cl "$ECHO" tcp $VIP6 80 4194304
check_eq "the IPv4 service on port 80 is its own (b2 only)" \
	"$(for _ in 1 2 3; do cl "$ECHO" tcp $VIP 80; done | sort -u)" "b2"
check_eq "its flows are not the IPv6 service's" \
	"$(lb_json "[x['stats']['conns'] for x in s if x['address'] == '$VIP' and x['port'] == 80][0]")" 3
check_eq "the IPv6 service counted its own" \
	"$(lb_json "[x['stats']['conns'] for x in s if x['address'] == '$VIP6' and x['port'] == 80][0]")" 5

# UDP sessions: every port of the client, one backend, replies from the VIP.
out=$(cl "$ECHO" udp $VIP6 7777 20)
check_eq "20 datagrams, 20 replies" "$(wc -l <<< "$out")" 20
check_eq "one backend for the stream" "$(cut -d' ' -f1 <<< "$out" | sort -u)" u1
check_eq "every reply from the VIP" "$(cut -d' ' -f2 <<< "$out" | sort -u)" "$V6:7777"
check_eq "another socket of the client, same session" \
	"$(cl "$ECHO" udp $VIP6 7777 2 | cut -d' ' -f1 | sort -u)" u1
# Answered (replied), and assured (session) if the second socket's came
# 2 s or more after the first answer: which depends on the guest's pace.
check_eq "the session listed with its IPv6 client" \
	"$(lb flows udp $V6:7777 | awk 'NR > 1 {
		print $2, $3, $4, ($5 == "replied" || $5 == "session") }')" \
	"2001:db8:1::2 $V6:7777 [2001:db8:2::11]:7777 1"
# Expiry, polled for (a slowed guest sees it later), on the 3 s service.
first=$(cl "$ECHO" udp $VIP6 7778 1 | cut -d' ' -f1)
wait_for "the session expires after its 3 s timeout" 120 sh -c \
	"[ -z \"\$(ip netns exec lb $L4LBADM flows udp $V6:7778 | tail -n +2)\" ]"
check_eq "the next datagram is scheduled afresh (the other backend)" \
	"$first $(cl "$ECHO" udp $VIP6 7778 1 | cut -d' ' -f1)" "u1 u2"

# Stateless UDP: each datagram on its own.
out=$(cl "$ECHO" udp $VIP6 53 4)
check_eq "stateless: spread" "$(cut -d' ' -f1 <<< "$out" | tr '\n' ' ')" "d1 d2 d1 d2 "
check_eq "stateless: from the VIP" "$(cut -d' ' -f2 <<< "$out" | sort -u)" "$V6:53"

# A hop-by-hop options header (PadN) on a datagram to the VIP.
check "a datagram with a hop-by-hop header is balanced and answered" \
	cl python3 - <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(60)  # an answer, not a time: a slowed guest's too
s.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_HOPOPTS,
             bytes([0, 0, 1, 4, 0, 0, 0, 0]))
s.sendto(b"hbh", ("2001:db8::1", 53))
data, src = s.recvfrom(100)
print(data, src)
sys.exit(0 if data in (b"d1", b"d2") and src[:2] == ("2001:db8::1", 53) else 1)
PY

# Fragmented UDP: 4000 bytes leave the client as three fragments.
check "a fragmented datagram is reassembled, balanced and answered" \
	cl python3 - <<'PY'
import socket, sys
s = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
s.settimeout(60)
s.sendto(bytes(4000), ("2001:db8::1", 7777))
data, src = s.recvfrom(100)
print(data, src)
sys.exit(0 if data in (b"u1", b"u2") and src[:2] == ("2001:db8::1", 7777) else 1)
PY

# Path MTU discovery: b1's 1500-byte replies meet the 1400 route at cl,
# which sends Packet Too Big to the VIP; l4lb hands it to the backend.
# The echo's 5 s a wait is a bound on a hang here, not a timing: 60 (a
# rehearsal's slowed guest once waited longer for a segment sent again).
check "1 MB echoed to a client behind a 1400-byte hop" \
	ip netns exec far env L4LB_ECHO_TIMEOUT=60 "$ECHO" tcp $VIP6 80 1048576
# icmp6 COUNTER NS: a counter of nstat's.
icmp6() { ip netns exec "$2" nstat -az "$1" | awk -v c="$1" '$1 == c {print $2}'; }
check "a backend learnt the path MTU from the translated error" \
	sh -c "ip -n b1 -6 route get 2001:db8:3::2 | grep -q 'mtu 1400' ||
	       ip -n b2 -6 route get 2001:db8:3::2 | grep -q 'mtu 1400'"
# (One or more: a backend may send another segment before the first
# error reaches it.)
ptb=$(icmp6 Icmp6OutPktTooBigs cl)
check "the router sent Packet Too Big, to the VIP" [ "${ptb:-0}" -ge 1 ]
check_eq "every one reached a backend" \
	"$(($(icmp6 Icmp6InPktTooBigs b1) + $(icmp6 Icmp6InPktTooBigs b2)))" "$ptb"
check_eq "the balancer neither kept it nor made its own" \
	"$(icmp6 Icmp6InPktTooBigs lb) $(icmp6 Icmp6OutPktTooBigs lb)" "0 0"

# lc, and a backend deleted under a held flow.
check "lc service" lb service add tcp $V6:8080 sched lc
for i in 1 2; do
	serve "b$i" "b$i" 8080
	check "lc backend b$i" lb backend add tcp $V6:8080 "[2001:db8:2::1$i]:8080"
done
mkfifo /tmp/hold6
cl "$ECHO" tcp $VIP6 8080 1000 - < /tmp/hold6 > /tmp/held6 2>&1 &
held=$!
exec 7> /tmp/hold6
wait_for "the held flow" 60 sh -c "[ -s /tmp/held6 ]"
first=$(head -1 /tmp/held6)
other=b1
[ "$first" = b1 ] && other=b2
check_eq "lc: the next connections avoid the busy backend" \
	"$(for _ in 1 2 3; do cl "$ECHO" tcp $VIP6 8080; done | sort -u)" "$other"
check "the held flow's backend is deleted" \
	lb backend del tcp $V6:8080 "[2001:db8:2::1${first#b}]:8080"
exec 7>&-
check "the held flow goes on with its deleted backend" wait $held
check_eq "and answered as before" "$(cat /tmp/held6)" "$first"
rm -f /tmp/hold6

# Health checks: b2 stops answering on port 80 and goes down, then up.
cat > /tmp/healthd6.conf <<EOF
check tcp $V6:80 connect interval 0.5 timeout 10 rise 2 fall 3
check udp $V6:7777 [2001:db8:2::11]:7777 exec "echo '%a' | grep -qx 2001:db8:2::11" interval 0.5 timeout 10 rise 2 fall 3
EOF
# (Generous timeouts: a failure here is a refused connection, and a guest
# slowed by a busy host answers a probe in well over 0.5 s at times.)
ip netns exec lb "$L4LBADM" healthd /tmp/healthd6.conf 2> /tmp/healthd6.log &
T_PIDS+=($!)
# be_is PORT ADDRESS FIELD VALUE: a backend of the IPv6 VIP, as -j list has it.
be_is() {
	[ "$(lb_json "[b['$3'] for x in s if x['address'] == '$VIP6' and x['port'] == $1 for b in x['backends'] if b['address'] == '$2'][0]")" = "$4" ]
}
wait_for "b2 checked and up" 60 be_is 80 2001:db8:2::12 check "connect ok"
wait_for "an exec check got the bare IPv6 address (%a)" 60 \
	be_is 7777 2001:db8:2::11 check "exec ok"
pkill -f "l4lb-echo serve b2 80"
wait_for "b2 goes down" 60 be_is 80 2001:db8:2::12 health down
check_eq "new connections go to b1 only" \
	"$(for _ in 1 2 3; do cl "$ECHO" tcp $VIP6 80; done | sort -u)" b1
serve b2 b2 80
wait_for "b2 comes back up" 60 be_is 80 2001:db8:2::12 health up

# The other verbs over IPv6: monitor, pick, set, leave, stats, flush.
ip netns exec lb "$L4LBADM" monitor > /tmp/monitor6 2>&1 &
T_PIDS+=($!)
wait_for "monitor listens" 60 sh -c \
	"ip netns exec lb $L4LBADM set timeout-closing 10; [ -s /tmp/monitor6 ]"
check "mh service" lb service add tcp $V6:443 sched mh
for i in 1 2; do
	check "mh backend b$i" lb backend add tcp $V6:443 "[2001:db8:2::1$i]:443"
done
pick=$(lb backend pick tcp $V6:443 2001:db8:1::2 "[2001:db8:1::2]:5000")
check_eq "backend pick takes and prints IPv6 clients" \
	"$(awk '{print $1, $3}' <<< "$pick" | tr '\n' ' ')" \
	"2001:db8:1::2 hash [2001:db8:1::2]:5000 hash "
check "pick names an IPv6 backend" \
	sh -c "echo '$pick' | awk '{print \$2}' | grep -qx '\[2001:db8:2::1[12]\]:443'"
check "weight 0 (drain)" lb backend set tcp $V6:443 "[2001:db8:2::12]:443" weight 0
check "health down" lb backend set tcp $V6:443 "[2001:db8:2::12]:443" health down check manual
check "leave (no flows: at once)" lb backend leave tcp $V6:443 "[2001:db8:2::11]:443" timeout 5
check_eq "what is left" "$(lb save | grep ':443')" \
"service add tcp $V6:443 sched mh
backend add tcp $V6:443 [2001:db8:2::12]:443 weight 0"
wait_for "monitor printed every change, IPv6 addresses bracketed" 60 sh -c \
	"grep -qF 'backend del tcp $V6:443 [2001:db8:2::11]:443' /tmp/monitor6"
check_eq "monitor's lines" "$(grep -F ':443' /tmp/monitor6 | cut -d' ' -f1-5)" \
"service add tcp $V6:443 sched
backend add tcp $V6:443 [2001:db8:2::11]:443
backend add tcp $V6:443 [2001:db8:2::12]:443
backend set tcp $V6:443 [2001:db8:2::12]:443
backend set tcp $V6:443 [2001:db8:2::12]:443
backend set tcp $V6:443 [2001:db8:2::11]:443
backend del tcp $V6:443 [2001:db8:2::11]:443"
check "stats name the IPv6 service and backends" sh -c \
	"ip netns exec lb $L4LBADM stats tcp $V6:80 | grep -q '^  -> *\\[2001:db8:2::11\\]:80 '"
check "prometheus labels" sh -c \
	"ip netns exec lb $L4LBADM stats -o prometheus | grep -qF 'proto=\"tcp\",service=\"[2001:db8::1]:80\",backend=\"[2001:db8:2::12]:80\"'"
mkfifo /tmp/hold6b
cl "$ECHO" tcp $VIP6 80 100 - < /tmp/hold6b > /dev/null 2>&1 &
exec 7> /tmp/hold6b
wait_for "a held IPv6 flow" 60 sh -c \
	"ip netns exec lb $L4LBADM flows tcp $V6:80 | grep -q established"
heldbe=$(lb flows tcp $V6:80 | awk '/established/ {print $4}' | head -1)
check "flush of one backend's IPv6 flows" lb flush tcp $V6:80 "$heldbe"
check_eq "gone" "$(lb flows tcp $V6:80 | grep -c established)" 0
exec 7>&-
rm -f /tmp/hold6b

# save and restore: an exact round trip.
saved=$(lb save)
for svc in "tcp $V6:80" "tcp $VIP:80" "udp $V6:7777" "udp $V6:7778" "udp $V6:53" "tcp $V6:8080" \
	"tcp $V6:443"; do
	lb service del $svc
done
check_eq "every service deleted" "$(lb_json 'len(s)')" 0
check "restore" sh -c "echo \"\$1\" | ip netns exec lb $L4LBADM restore" _ "$saved"
check_eq "save after restore is the same" "$(lb save)" "$saved"
check "JSON names the IPv6 VIP as RFC 5952 text" \
	sh -c "ip netns exec lb $L4LBADM -j list | grep -q '\"address\":\"2001:db8::1\"'"

finish

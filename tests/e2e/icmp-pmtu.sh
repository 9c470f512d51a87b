#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# ICMP errors of balanced flows are translated: path MTU discovery works
# through the balancer, and a backend's port unreachable reaches the
# client as coming from the VIP, quoting the packet the client sent.
#
#   far 10.0.3.2 --- cl 10.0.3.1|10.0.1.2 (router: route to far, mtu 1400)
#                    --- lb (VIP 10.0.0.1) --- b1 10.0.2.11
#
# The backend's 1500-byte replies meet the 1400 route at "cl", which sends
# "fragmentation needed" to the VIP; only if l4lb hands that to b1 does b1
# lower its path MTU and the transfer finish (no blackhole detection).

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
topo 1
ns_add far
ip link add veth0 netns far type veth peer name fa0 netns cl
ip -n far addr add 10.0.3.2/24 dev veth0
ip -n far link set veth0 up
ip -n far route add default via 10.0.3.1
ip -n cl addr add 10.0.3.1/24 dev fa0
ip -n cl link set fa0 up
ip -n cl route replace 10.0.3.0/24 dev fa0 src 10.0.3.1 mtu 1400
ip netns exec cl sysctl -qw net.ipv4.ip_forward=1
ip -n lb route add 10.0.3.0/24 via 10.0.1.2
serve b1 b1 80
check "tcp service" lb service add tcp $VIP:80
check "backend" lb backend add tcp $VIP:80 10.0.2.11:80
check "udp service without a listening backend" lb service add udp $VIP:9999
check "backend" lb backend add udp $VIP:9999 10.0.2.11:9999

# The echo's 5 s a wait is a bound on a hang here, not a timing: 60 (a
# slowed guest may wait longer for a segment sent again, as ipv6.sh's did).
check "1 MB echoed across the 1400-byte hop" \
	ip netns exec far env L4LB_ECHO_TIMEOUT=60 "$ECHO" tcp $VIP 80 1048576
check "the backend learnt the path MTU from the translated error" \
	sh -c "ip -n b1 route get 10.0.3.2 | grep -q 'mtu 1400'"

check "port unreachable reaches the client from the VIP" \
	ip netns exec far python3 - <<'PY'
import socket, sys
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
raw.settimeout(5)
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.connect(("10.0.0.1", 9999))
u.send(b"anyone?")
pkt, (src, _) = raw.recvfrom(2048)
ihl = (pkt[0] & 15) * 4
icmp = pkt[ihl:]
inner = icmp[8:]
iihl = (inner[0] & 15) * 4
quoted_dst = socket.inet_ntoa(inner[16:20])
quoted_port = int.from_bytes(inner[iihl + 2:iihl + 4], "big")
print("icmp type %d code %d from %s quoting %s:%d" %
      (icmp[0], icmp[1], src, quoted_dst, quoted_port))
u.settimeout(5)
try:
    u.recv(100)
    sys.exit("no error reached the socket")
except ConnectionRefusedError:
    pass
sys.exit(0 if (icmp[0], icmp[1], src, quoted_dst, quoted_port) ==
         (3, 3, "10.0.0.1", "10.0.0.1", 9999) else 1)
PY
finish

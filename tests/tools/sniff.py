#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""sniff.py IFACE: the source addresses of what arrives on IFACE.

Captures every frame IFACE receives (AF_PACKET, none it sends) and, once
its standard input closes, reads what is still queued and prints each
IPv4 and IPv6 source address seen, one a line, sorted, then "frames N"
(the IP frames counted). Prints "ready" first, once it captures.
"""

import ipaddress
import select
import socket
import sys

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33

iface = sys.argv[1]
# Protocol 0: nothing queued before the bind names IFACE.
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, 0)
# A 4 MB transfer arrives faster than Python reads: room for all of it.
s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
s.bind((iface, ETH_P_ALL))
seen = set()
frames = 0


def take(frame, addr):
    global frames

    if addr[2] == PACKET_OUTGOING or len(frame) < 14:
        return
    proto, ip = int.from_bytes(frame[12:14], "big"), frame[14:]
    if proto == 0x0800 and len(ip) >= 20 and ip[0] >> 4 == 4:
        seen.add(ipaddress.IPv4Address(ip[12:16]))
    elif proto == 0x86DD and len(ip) >= 40 and ip[0] >> 4 == 6:
        seen.add(ipaddress.IPv6Address(ip[8:24]))
    else:
        return
    frames += 1


print("ready", flush=True)
while True:
    r, _, _ = select.select([s, sys.stdin], [], [])
    if s in r:
        take(*s.recvfrom(65535))
    if sys.stdin in r and not sys.stdin.buffer.read1(4096):
        break
s.setblocking(False)
while True:
    try:
        take(*s.recvfrom(65535))
    except BlockingIOError:
        break
for a in sorted(seen, key=lambda a: (a.version, a)):
    print(a)
print("frames", frames)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""syn-flood.py SRC DST PORT COUNT: sends COUNT SYNs from source ports
20000 to 20000+COUNT-1 (a bounded burst, for filling the flow table)."""

import socket
import struct
import sys


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


src, dst, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, 20)
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for sport in range(20000, 20000 + count):
    tcp = struct.pack("!HHIIBBHHH", sport, port, sport, 0, 5 << 4, 0x02, 1024, 0, 0)
    tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
    s.sendto(tcp, (dst, 0))

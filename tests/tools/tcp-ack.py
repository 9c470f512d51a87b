#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tcp-ack.py SRC DST PORT: sends one bare TCP ACK (no SYN, no flow)."""

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


src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
tcp = struct.pack("!HHIIBBHHH", 40000, port, 1, 1, 5 << 4, 0x10, 1024, 0, 0)
pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(tcp))
tcp = tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
s.sendto(tcp, (dst, 0))

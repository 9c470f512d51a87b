# SPDX-License-Identifier: GPL-2.0
"""Bare TCP segments with their checksum, sent on a raw socket (for
tcp-ack.py and syn-flood.py)."""

import socket
import struct


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def segment(src, dst, sport, dport, seq, ack, flags):
    """A 20-byte TCP header from src:sport to dst:dport, checksummed."""
    tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags,
                      1024, 0, 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!BBH", 0, 6, len(tcp))
    return tcp[:16] + struct.pack("!H", csum(pseudo + tcp)) + tcp[18:]


def raw_socket():
    return socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Small floods that try to pin a full flow table (tests/e2e/closing.sh),
sent on a raw socket with the IP header built here, so any source will do.

  pin.py tcp SRC DST PORT COUNT INTERVAL
      SYNs from SRC ports 20000 to 20000+COUNT-1 to DST:PORT, a RST on
      each, then a bare ACK on each every INTERVAL seconds.
  pin.py ack NET COUNT DST PORT INTERVAL
      bare ACKs (no SYN) from COUNT addresses of NET (a.b.c.0: a.b.c.1 and
      on, COUNT at most 254) to DST:PORT, all of them every INTERVAL
      seconds.
  pin.py udp NET COUNT DST PORT
      one datagram from each of COUNT addresses of NET to DST:PORT.

tcp and ack print "round N" after each round of ACKs and run until
killed (600 s at most: never outliving a test that forgot them); udp
prints the number of datagrams sent.
"""

import socket
import struct
import sys
import time

from rawtcp import csum, segment


def ip_header(src, dst, proto, length):
    h = struct.pack("!BBHHHBBH4s4s", 0x45, 0, length, 0, 0x4000, 64, proto,
                    0, socket.inet_aton(src), socket.inet_aton(dst))
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def tcp(src, dst, sport, dport, seq, ack, flags):
    seg = segment(src, dst, sport, dport, seq, ack, flags)
    return ip_header(src, dst, 6, 20 + len(seg)) + seg


def udp(src, dst, sport, dport, payload):
    h = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
        struct.pack("!BBH", 0, 17, len(h) + len(payload))
    c = csum(pseudo + h + payload) or 0xFFFF
    seg = h[:6] + struct.pack("!H", c) + payload
    return ip_header(src, dst, 17, 20 + len(seg)) + seg


def sources(net, count):
    base = net.rsplit(".", 1)[0]
    return ["%s.%d" % (base, i) for i in range(1, count + 1)]


def rounds(sock, dst, pkts, interval):
    end = time.monotonic() + 600
    n = 0
    while time.monotonic() < end:
        try:
            for p in pkts:
                sock.sendto(p, (dst, 0))
        except OSError:
            return      # its namespace is gone: done
        n += 1
        print("round", n, flush=True)
        time.sleep(interval)


def main():
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    kind = sys.argv[1]
    if kind == "tcp":
        src, dst, port = sys.argv[2], sys.argv[3], int(sys.argv[4])
        count, interval = int(sys.argv[5]), float(sys.argv[6])
        ports = range(20000, 20000 + count)
        for sport in ports:
            sock.sendto(tcp(src, dst, sport, port, sport, 0, 0x02), (dst, 0))
        for sport in ports:
            sock.sendto(tcp(src, dst, sport, port, sport + 1, 0, 0x04),
                        (dst, 0))
        rounds(sock, dst, [tcp(src, dst, sport, port, sport + 1, 1, 0x10)
                           for sport in ports], interval)
    elif kind == "ack":
        net, count = sys.argv[2], int(sys.argv[3])
        dst, port, interval = sys.argv[4], int(sys.argv[5]), float(sys.argv[6])
        rounds(sock, dst, [tcp(src, dst, 40000, port, 1, 1, 0x10)
                           for src in sources(net, count)], interval)
    else:
        net, count = sys.argv[2], int(sys.argv[3])
        dst, port = sys.argv[4], int(sys.argv[5])
        n = 0
        for src in sources(net, count):
            sock.sendto(udp(src, dst, 40000, port, b"query"), (dst, 0))
            n += 1
        print(n)


main()

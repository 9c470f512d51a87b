#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Hostile traffic for tests/e2e/hostile.sh, sent as an attacker would.

  hostile.py frames IFACE DSTMAC SRC DST COUNT SEED
      COUNT Ethernet frames on IFACE (AF_PACKET) to DSTMAC: TCP, UDP and
      ICMP errors from SRC (a.b.c.d, or a.b.c.d:port to pin the source
      port, as a backend's) to DST and around it, most of them bigger than
      a page (on a jumbo link they arrive with the transport header in a
      page fragment), mutated: bits flipped, lengths lying, IP options,
      fragment bits, truncated, header checksums mostly made right again
      so the packets reach the hooks.
  hostile.py frames6 IFACE DSTMAC SRC DST COUNT SEED
      the same over IPv6 (SRC [a:b::c]:port to pin the port): TCP, UDP
      and ICMPv6 errors, behind extension headers (hop-by-hop, destination
      options, fragment headers with any offset) or none, mutated: bits
      flipped, payload lengths lying, header chains running off the end,
      truncated.
  hostile.py flood tcp|udp NET DST PORT COUNT
      COUNT spoofed SYNs or datagrams from random addresses of NET
      (a.b.0.0/16) and ports to DST:PORT, as fast as it can; prints how
      many were sent: COUNT, unless killed (SIGTERM) or the route went
      away (the namespace deleted). Bounded by count, not time: a slowed
      guest sends as many, later.
"""

import errno
import random
import signal
import socket
import struct
import sys
import time

from rawtcp import csum


def ip_header(src, dst, proto, length, opts=b""):
    ihl = 5 + len(opts) // 4
    h = struct.pack("!BBHHHBBH4s4s", 0x40 | ihl, 0, length, 0, 0x4000, 64,
                    proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    h += opts
    return h[:10] + struct.pack("!H", csum(h)) + h[12:]


def l4(src, dst, proto, sport, dport, flags, payload):
    """A TCP or UDP segment, its checksum over the IPv4 or IPv6 (a ':' in
    the addresses) pseudo-header."""
    if proto == 6:
        h = struct.pack("!HHIIBBHHH", sport, dport, 1, 0, 5 << 4, flags,
                        1024, 0, 0)
    else:
        h = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0)
    seg = h + payload
    if ":" in src:
        pseudo = socket.inet_pton(socket.AF_INET6, src) + \
            socket.inet_pton(socket.AF_INET6, dst) + \
            struct.pack("!I3xB", len(seg), proto)
    else:
        pseudo = socket.inet_aton(src) + socket.inet_aton(dst) + \
            struct.pack("!BBH", 0, proto, len(seg))
    c = csum(pseudo + seg)
    if ":" in src:
        c = c or 0xffff
    off = 16 if proto == 6 else 6
    return seg[:off] + struct.pack("!H", c) + seg[off + 2:]


def packet(rnd, src, dst, sport, dport, proto, flags, size, opt_words=0):
    payload = bytes(rnd.getrandbits(8) for _ in range(16)) * (size // 16)
    opts = b"\x01" * (4 * opt_words)
    seg = l4(src, dst, proto, sport, dport, flags, payload)
    return ip_header(src, dst, proto, 20 + len(opts) + len(seg), opts) + seg


def icmp_error(src, dst, quoted):
    body = struct.pack("!BBHHH", 3, 4, 0, 0, 1400) + quoted
    body = body[:2] + struct.pack("!H", csum(body)) + body[4:]
    return ip_header(src, dst, 1, 20 + len(body)) + body


def fix_ip(pkt):
    ihl = (pkt[0] & 15) * 4
    if ihl < 20 or ihl > len(pkt):
        return pkt
    h = bytearray(pkt[:ihl])
    h[2:4] = struct.pack("!H", len(pkt))
    h[10:12] = b"\0\0"
    h[10:12] = struct.pack("!H", csum(bytes(h)))
    return bytes(h) + pkt[ihl:]


def mutate(rnd, pkt):
    b = bytearray(pkt)
    for _ in range(rnd.randrange(4)):
        i = rnd.randrange(min(len(b), 80))
        b[i] ^= 1 << rnd.randrange(8)
    r = rnd.random()
    if r < 0.1:
        b[6:8] = struct.pack("!H", rnd.getrandbits(14))     # fragments
    elif r < 0.2:
        b[0] = 0x40 | rnd.randrange(5, 16)                  # IHL lies
    elif r < 0.35:
        # UDP length or TCP sequence, TCP data offset: where IHL says
        i = (b[0] & 15) * 4 + rnd.choice((4, 12))
        if i + 2 <= len(b):
            b[i:i + 2] = struct.pack("!H", rnd.getrandbits(16))
    if rnd.random() < 0.25:
        b = b[:rnd.randrange(20, len(b) + 1)]               # truncated
    pkt = bytes(b)
    if rnd.random() < 0.2:
        # tot_len lies: longer or shorter than the frame
        return pkt[:2] + struct.pack("!H", rnd.getrandbits(16)) + pkt[4:]
    return fix_ip(pkt) if rnd.random() < 0.85 else pkt


def frames(iface, dstmac, src, dst, count, seed):
    """IPv4 frames, or IPv6 ones when DST is IPv6 (SRC then [a:b::c]:port
    to pin the port)."""
    v6 = ":" in dst
    rnd = random.Random(seed)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    mac = bytes.fromhex(dstmac.replace(":", ""))
    eth = mac + s.getsockname()[4] + (b"\x86\xdd" if v6 else b"\x08\x00")
    pinned = None
    if src.startswith("[") or (not v6 and ":" in src):
        src, pinned = src.strip("[").rsplit(":", 1)
        src, pinned = src.rstrip("]"), int(pinned)
    sent = 0
    for i in range(count):
        to = dst
        if rnd.random() >= 0.8:
            to = dst[:-1] + "%x" % rnd.randrange(16) if v6 else \
                "%s.%d" % (dst.rsplit(".", 1)[0], rnd.randrange(256))
        sport = pinned or rnd.randrange(1000, 1016)
        dport = rnd.choice((80, 53, 81)) if not pinned else \
            rnd.randrange(1000, 1016)
        proto = rnd.choice((6, 17))
        size = rnd.choice((0, 64, 1400, 5000, 8000))
        flags = rnd.choice((0x02, 0x12, 0x10, 0x11, 0x04, 0x18))
        if v6:
            pkt = packet6(rnd, src, to, sport, dport, proto, flags, size)
        else:
            pkt = packet(rnd, src, to, sport, dport, proto, flags, size,
                         rnd.choice((0, 0, 0, 1, 10)))
        if rnd.random() < 0.1:
            build = packet6 if v6 else packet
            quoted = build(rnd, to, src, dport, sport, proto, 0x12, 0)
            quoted = quoted[:rnd.randrange(40 if v6 else 20,
                                           len(quoted) + 1)]
            pkt = icmp6_error(rnd, src, to, quoted) if v6 else \
                icmp_error(src, to, quoted)
        if i % 8:
            pkt = mutate6(rnd, pkt) if v6 else mutate(rnd, pkt)
        try:
            s.send(eth + pkt)
            sent += 1
        except OSError:
            pass
    print(sent)


def ext_headers(rnd, proto):
    """Extension headers before @proto (first next-header, bytes)."""
    chain, nxt = b"", proto
    for _ in range(rnd.choice((0, 0, 1, 2))):
        kind = rnd.choice((0, 60, 44))      # hop-by-hop, dest opts, fragment
        if kind == 44:
            off = rnd.choice((0, 0, rnd.getrandbits(13)))
            chain = struct.pack("!BBHI", nxt, 0, off << 3 | rnd.getrandbits(1),
                                rnd.getrandbits(32)) + chain
        else:
            chain = bytes((nxt, 0, 1, 4, 0, 0, 0, 0)) + chain
        nxt = kind
    return nxt, chain


def packet6(rnd, src, dst, sport, dport, proto, flags, size):
    payload = bytes(rnd.getrandbits(8) for _ in range(16)) * (size // 16)
    seg = l4(src, dst, proto, sport, dport, flags, payload)
    nxt, chain = ext_headers(rnd, proto)
    body = chain + seg
    return struct.pack("!IHBB16s16s", 6 << 28, len(body), nxt, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + body


def icmp6_error(rnd, src, dst, quoted):
    body = struct.pack("!BBHI", rnd.choice((1, 2, 3, 4)), 0, 0, 1280) + quoted
    pseudo = socket.inet_pton(socket.AF_INET6, src) + \
        socket.inet_pton(socket.AF_INET6, dst) + \
        struct.pack("!I3xB", len(body), 58)
    body = body[:2] + struct.pack("!H", csum(pseudo + body)) + body[4:]
    return struct.pack("!IHBB16s16s", 6 << 28, len(body), 58, 64,
                       socket.inet_pton(socket.AF_INET6, src),
                       socket.inet_pton(socket.AF_INET6, dst)) + body


def mutate6(rnd, pkt):
    b = bytearray(pkt)
    for _ in range(rnd.randrange(4)):
        i = rnd.randrange(min(len(b), 96))
        b[i] ^= 1 << rnd.randrange(8)
    r = rnd.random()
    if r < 0.2:
        b[4:6] = struct.pack("!H", rnd.getrandbits(16))     # length lies
    elif r < 0.3 and len(b) > 41:
        b[6] = rnd.choice((0, 60, 43))                      # chain to nowhere
        b[40] = rnd.choice((0, 60, 43, 6, 17))
        b[41] = rnd.getrandbits(8)
    if rnd.random() < 0.25:
        b = b[:rnd.randrange(40, len(b) + 1)]               # truncated
    return bytes(b)


def flood(kind, net, dst, port, count):
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    base = net.split("/")[0].split(".")
    rnd = random.Random(1)
    n = 0
    proto, flags = (6, 0x02) if kind == "tcp" else (17, 0)

    def report(*_):
        print(n, flush=True)
        sys.exit(0)

    signal.signal(signal.SIGTERM, report)
    while n < count:
        src = "%s.%s.%d.%d" % (base[0], base[1], rnd.randrange(256),
                               rnd.randrange(1, 255))
        pkt = packet(rnd, src, dst, rnd.randrange(1024, 65535), port,
                     proto, flags, 0)
        try:
            s.sendto(pkt, (dst, 0))
            n += 1
        except OSError as e:
            if e.errno not in (errno.ENOBUFS, errno.EAGAIN):
                break           # no route: its namespace is gone
            time.sleep(0.001)   # a full queue: the same count, later
    report()


if sys.argv[1] in ("frames", "frames6"):
    frames(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5],
           int(sys.argv[6]), int(sys.argv[7]))
else:
    flood(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]),
          int(sys.argv[6]))

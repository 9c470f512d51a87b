#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Long-lived TCP connections or UDP sessions through a VIP, checked in rounds.

  stream.py tcp VIP PORT N        N connections to an l4lb-echo server
  stream.py udp VIP PORT N BASE   N sessions, one socket bound to each of
                                  the addresses BASE, BASE + 1, ...

Prints "ready NAME..." (the backend each connection was greeted by, or each
session was first answered by). Then each line on standard input is a
round's label: every live TCP connection sends 4096 pseudo-random bytes and
must read them back intact; every UDP session sends a datagram (again every
2 s while unanswered) and must be answered from VIP:PORT. Each round ends
within 30 s and prints "LABEL ok=K broken=M moved=J": broken is a TCP
connection reset, closed, timed out or corrupted (it stays broken) or a UDP
session unanswered; moved a UDP session answered by another backend than
before. End of input: exit.
"""

import ipaddress
import os
import selectors
import socket
import sys
import time

ROUND_S = 30
CHUNK = 4096


def greeting(s):
    """The l4lb-echo server's first line: its name."""
    name = b""
    while not name.endswith(b"\n"):
        got = s.recv(64)
        if not got:
            raise ConnectionError("closed before the greeting")
        name += got
    return name.decode().strip()


def tcp_open(vip, port, n):
    conns = []
    for _ in range(n):
        s = socket.create_connection((vip, port), timeout=10)
        try:
            name = greeting(s)
        except ConnectionError as e:
            raise SystemExit("stream.py: %s" % e)
        s.setblocking(False)
        conns.append({"sock": s, "name": name, "ok": True})
    return conns


def tcp_round(conns):
    sel = selectors.DefaultSelector()
    for c in conns:
        if not c["ok"]:
            continue
        c["want"] = os.urandom(CHUNK)
        c["got"] = b""
        try:
            c["sock"].sendall(c["want"])
        except OSError:
            c["ok"] = False
            continue
        sel.register(c["sock"], selectors.EVENT_READ, c)
    end = time.monotonic() + ROUND_S
    while sel.get_map() and time.monotonic() < end:
        for key, _ in sel.select(timeout=max(0.0, end - time.monotonic())):
            c = key.data
            try:
                got = c["sock"].recv(CHUNK)
            except BlockingIOError:
                continue
            except OSError:
                got = b""
            c["got"] += got
            if not got or c["want"][:len(c["got"])] != c["got"]:
                c["ok"] = False
                sel.unregister(c["sock"])
            elif len(c["got"]) == CHUNK:
                sel.unregister(c["sock"])
    for sock in list(sel.get_map()):
        sel.get_key(sock).data["ok"] = False
    ok = sum(c["ok"] for c in conns)
    return ok, len(conns) - ok, 0


def udp_open(vip, port, n, base):
    sessions = []
    for i in range(n):
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.bind((str(ipaddress.ip_address(base) + i), 0))
        s.setblocking(False)
        sessions.append({"sock": s, "name": None})
    ok, broken, _ = udp_round(sessions, (vip, port))
    if broken:
        raise SystemExit("stream.py: %d sessions never answered" % broken)
    return sessions


def udp_round(sessions, dest):
    sel = selectors.DefaultSelector()
    for s in sessions:
        s["answer"] = None
        sel.register(s["sock"], selectors.EVENT_READ, s)
    end = time.monotonic() + ROUND_S
    resend = 0.0
    while sel.get_map() and time.monotonic() < end:
        if time.monotonic() >= resend:
            for key in sel.get_map().values():
                key.data["sock"].sendto(b"ping", dest)
            resend = time.monotonic() + 2
        for key, _ in sel.select(timeout=0.2):
            s = key.data
            try:
                data, src = s["sock"].recvfrom(256)
            except OSError:
                continue
            if src != dest:
                continue
            s["answer"] = data.decode().strip()
            sel.unregister(s["sock"])
    ok = sum(s["answer"] is not None for s in sessions)
    moved = sum(s["answer"] is not None and s["name"] is not None and
                s["answer"] != s["name"] for s in sessions)
    for s in sessions:
        if s["answer"] is not None:
            s["name"] = s["answer"]
    return ok, len(sessions) - ok, moved


def main():
    kind, vip, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), \
        int(sys.argv[4])
    if kind == "tcp":
        items = tcp_open(vip, port, n)
        run = tcp_round
    else:
        items = udp_open(vip, port, n, sys.argv[5])
        run = lambda s: udp_round(s, (vip, port))
    print("ready", *(i["name"] for i in items), flush=True)
    for line in sys.stdin:
        ok, broken, moved = run(items)
        print("%s ok=%d broken=%d moved=%d" % (line.strip(), ok, broken,
                                               moved), flush=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""TCP clients for the operations test (tests/e2e/operations.sh).

  ops.py connect VIP PORT TIMEOUT
      one connection: prints "NAME SECONDS" (the server's greeting, and how
      long connect and greeting took) or "failed SECONDS ERROR"
  ops.py reset-probe VIP PORT TIMEOUT
      connects, prints "ready NAME"; at a line on standard input sends 64
      bytes and prints "reset S" (the connection was reset S seconds later),
      "echo S" (the bytes came back) or "silent" (nothing within TIMEOUT)
  ops.py pinned VIP PORT SPORT COUNT
      COUNT connections one after another, all from client port SPORT, each
      closed with a RST (no TIME_WAIT); prints "NAME:N..." (greetings by
      server) then "slowest S" and "failed F"
"""

import socket
import struct
import sys
import time

from stream import greeting


def connect(vip, port, timeout, sport=None):
    """A connected socket and the server's greeting (its name)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if sport is not None:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("", sport))
    s.connect((vip, port))
    return s, greeting(s)


def rst_close(s):
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    s.close()


def cmd_connect(vip, port, timeout):
    t0 = time.monotonic()
    try:
        s, name = connect(vip, port, timeout)
        print("%s %.3f" % (name, time.monotonic() - t0))
        s.close()
    except OSError as e:
        print("failed %.3f %s" % (time.monotonic() - t0, e))


def cmd_reset_probe(vip, port, timeout):
    s, name = connect(vip, port, 5)
    print("ready", name, flush=True)
    sys.stdin.readline()
    s.settimeout(timeout)
    t0 = time.monotonic()
    try:
        s.sendall(b"x" * 64)
        got = b""
        while len(got) < 64:
            chunk = s.recv(64)
            if not chunk:
                print("closed %.3f" % (time.monotonic() - t0))
                return
            got += chunk
        print("echo %.3f" % (time.monotonic() - t0))
    except ConnectionResetError:
        print("reset %.3f" % (time.monotonic() - t0))
    except socket.timeout:
        print("silent")


def cmd_pinned(vip, port, sport, count):
    names, slowest, failed = {}, 0.0, 0
    for _ in range(count):
        t0 = time.monotonic()
        try:
            s, name = connect(vip, port, 5, sport)
        except OSError:
            failed += 1
            continue
        slowest = max(slowest, time.monotonic() - t0)
        names[name] = names.get(name, 0) + 1
        rst_close(s)
    print(" ".join("%s:%d" % kv for kv in sorted(names.items())))
    print("slowest %.3f" % slowest)
    print("failed %d" % failed)


def main():
    a = sys.argv[1:]
    if len(a) == 4 and a[0] == "connect":
        cmd_connect(a[1], int(a[2]), float(a[3]))
    elif len(a) == 4 and a[0] == "reset-probe":
        cmd_reset_probe(a[1], int(a[2]), float(a[3]))
    elif len(a) == 5 and a[0] == "pinned":
        cmd_pinned(a[1], int(a[2]), int(a[3]), int(a[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()

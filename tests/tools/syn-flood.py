#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""syn-flood.py SRC DST PORT COUNT: sends COUNT SYNs from source ports
20000 to 20000+COUNT-1 (a bounded burst, for filling the flow table)."""

import sys

from rawtcp import raw_socket, segment

src, dst, port, count = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
s = raw_socket()
for sport in range(20000, 20000 + count):
    s.sendto(segment(src, dst, sport, port, sport, 0, 0x02), (dst, 0))

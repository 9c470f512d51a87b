#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""tcp-ack.py SRC DST PORT: sends one bare TCP ACK (no SYN, no flow)."""

import sys

from rawtcp import raw_socket, segment

src, dst, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
raw_socket().sendto(segment(src, dst, 40000, port, 1, 1, 0x10), (dst, 0))

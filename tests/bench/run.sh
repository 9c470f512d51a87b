#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: boots one guest, measures l4lb, IPVS, nftables DNAT and plain
# forwarding in turn in it (tests/bench/guest.sh), then prints the medians
# and their ratios (tests/bench/report.py) and keeps them in
# tests/bench/results/. Not part of make check. ROUNDS, SECS and PKTS
# (environment) change how long it measures.

set -euo pipefail
cd "$(dirname "$0")/../.."
make all
cc -O2 -Wall -Wextra -Werror -o tests/bench/connrate tests/bench/connrate.c
L4LB_GUEST_CMDLINE="slab_nomerge" L4LB_GUEST_TIMEOUT=2400 \
	tests/guest/vm.sh tests/bench/guest.sh
/usr/bin/python3 tests/bench/report.py tests/bench/results

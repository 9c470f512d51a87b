#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The per-commit guard of make check: one short guest boot under QEMU's
# icount (guest time is an instruction count, the same on a busy machine
# as on an idle one) measuring TCP request/response on an established
# connection and TCP connect/request/close through plain forwarding, l4lb
# and IPVS (tests/bench/guest.sh). Fails when l4lb's work above plain
# forwarding, over IPVS's, grew by more than 5% over the checked-in
# tests/bench/baseline.json: a ratio within one boot, so a new Debian
# kernel, which moves every figure, moves it much less.
#
#   guard.sh              measure and compare
#   guard.sh --baseline   measure and write the baseline (make
#                         bench-baseline; commit it with the change that
#                         earned it)

set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/common.sh

out=tests/bench/results/guard.jsonl
mkdir -p tests/bench/results
rm -f "$out"
cc -O2 -Wall -Wextra -Werror -o tests/bench/txn tests/bench/txn.c
# icount makes the guest's figures independent of the host's load, not its
# wall time: the boot takes some 6 minutes alone, and ran past 900 s beside
# two other guests on a 2-core machine. The bound is for a guest that hangs,
# not one that is slow: 2700 s, 7.5 times the idle run, over twice what a
# host three times oversubscribed needs (some 18 minutes).
L4LB_GUEST_ICOUNT=1 L4LB_GUEST_CPUS=1 L4LB_GUEST_NODEBUG=1 \
	L4LB_GUEST_CMDLINE="slab_nomerge" L4LB_GUEST_TIMEOUT=2700 \
	tests/guest/vm.sh tests/bench/guest.sh SIZES=1k ROUNDS=4 SCALE=10 \
	CONFIGS="plain l4lb ipvs" MEASURES="tcp_rr tcp_crr" N=1 OUT="$out"
if [ "${1:-}" = --baseline ]; then
	/usr/bin/python3 tests/bench/report.py --baseline "$out" \
		tests/bench/baseline.json
else
	/usr/bin/python3 tests/bench/report.py --guard "$out" \
		tests/bench/baseline.json
fi

#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The per-commit guard of make check: one short guest boot under QEMU's
# icount (guest time is an instruction count, the same on a busy machine
# as on an idle one) measuring TCP request/response on an established
# connection and TCP connect/request/close through plain forwarding, l4lb
# and IPVS, then l4lb's and IPVS's hooks alone, traced, in those and in
# new UDP sessions (tests/bench/guest.sh). Fails when l4lb's work over
# IPVS's grew by more than 3 to 8% over the checked-in baseline.json
# (report.py's GUARD_MEASURES: ratios within one boot, so a new Debian
# kernel, which moves every figure, moves them much less), or when l4lb's
# table does not hold the flows it was filled with. The baseline is the
# median of five boots, whose every figure it keeps. A boot past the limit
# is followed by a second one, and only a regression both show fails
# (Documentation/bench/README.md: what each figure can see, and why).
#
#   guard.sh                  measure and compare
#   guard.sh --baseline [N]   measure N boots (5) and write the baseline
#                             (make bench-baseline; commit it with the
#                             change that earned it)

set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/common.sh

mkdir -p tests/bench/results
cc -O2 -Wall -Wextra -Werror -o tests/bench/txn tests/bench/txn.c

# boot FILE: one guard boot, its rounds written to FILE. REFILL=0: as its
# baseline was measured (tcp_crr on the table tcp_rr left).
boot() {
# icount makes the guest's figures independent of the host's load, not its
# wall time: the boot takes some 6 minutes alone, and ran past 900 s beside
# two other guests on a 2-core machine. The bound is for a guest that hangs,
# not one that is slow: 2700 s, 7.5 times the idle run, over twice what a
# host three times oversubscribed needs (some 18 minutes).
	rm -f "$1" "${1%.jsonl}".hooks-*
	L4LB_GUEST_ICOUNT=1 L4LB_GUEST_CPUS=1 L4LB_GUEST_NODEBUG=1 \
		L4LB_GUEST_CMDLINE="slab_nomerge" L4LB_GUEST_TIMEOUT=2700 \
		tests/guest/vm.sh tests/bench/guest.sh SIZES=1k ROUNDS=4 \
		HOOKS="tcp_rr tcp_crr udp_new" \
		SCALE=10 CONFIGS="plain l4lb ipvs" \
		MEASURES="tcp_rr tcp_crr" REFILL=0 N=1 OUT="$1"
}

if [ "${1:-}" = --baseline ]; then
	files=()
	for i in $(seq "${2:-5}"); do
		boot "tests/bench/results/guard-$i.jsonl"
		files+=("tests/bench/results/guard-$i.jsonl")
	done
	/usr/bin/python3 tests/bench/report.py --baseline \
		tests/bench/baseline.json "${files[@]}"
else
	boot tests/bench/results/guard.jsonl
	/usr/bin/python3 tests/bench/report.py --guard \
		tests/bench/results/guard.jsonl tests/bench/baseline.json && exit
	echo "guard: past the limit; a second boot tells a regression from one boot's noise"
	boot tests/bench/results/guard-again.jsonl
	/usr/bin/python3 tests/bench/report.py --guard \
		tests/bench/results/guard-again.jsonl tests/bench/baseline.json
fi

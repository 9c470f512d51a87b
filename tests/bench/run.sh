#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the KUnit micro-benchmarks of the flow table under UML
# (tests/kunit/bench_test.c: lookup cost against table size, the sweep of a
# million expired flows; wall-clock times), then two guest boots under
# QEMU's icount, each measuring l4lb, IPVS, nftables DNAT and plain
# forwarding (tests/bench/guest.sh), the first with an instruction profile
# of l4lb's functions; then the report (tests/bench/report.py): work per
# transaction above plain forwarding, ratios, targets, and whether the two
# boots agree. Everything lands in tests/bench/results/. Not part of make
# check (tests/bench/guard.sh is).
#
#   run.sh [kunit|guest]   only the one part (the report covers what the
#                          results folder holds)
#
# ROUNDS (3), SIZES ("1k 1m"), MEASURES and SCALE (5: transactions a
# measure, in 2,000s for request/response and 200s for new flows) set what
# the guest part measures. CLOCK=wall measures in wall-clock time instead (two vCPUs,
# no icount): what instructions cannot show, such as the memory latency of
# a big table; such figures are labelled so, and vary from run to run.

set -euo pipefail
cd "$(dirname "$0")/../.."
. tests/lib/common.sh
results=tests/bench/results
mkdir -p "$results"

if [ "${1:-kunit}" = kunit ]; then
	rm -f "$results/kunit.log"
	tests/kunit/run.sh --bench
	cp "$L4LB_CACHE/kunit-bench-build/test.log" "$results/kunit.log"
fi
if [ "${1:-guest}" = guest ]; then
	make all
	cc -O2 -Wall -Wextra -Werror -o tests/bench/txn tests/bench/txn.c
	settings=()
	SCALE=${SCALE:-5}
	for v in ROUNDS SIZES MEASURES SCALE; do
		[ -z "${!v:-}" ] || settings+=("$v=${!v}")
	done
	rm -f "$results"/raw-*.jsonl "$results"/raw-*.profile
	if [ "${CLOCK:-icount}" = wall ]; then
		echo wall > "$results/clock"
		L4LB_GUEST_NODEBUG=1 L4LB_GUEST_CMDLINE="slab_nomerge" \
			L4LB_GUEST_TIMEOUT=3000 \
			tests/guest/vm.sh tests/bench/guest.sh "${settings[@]}" \
			N=1 OUT="$results/raw-1.jsonl"
	else
		echo icount > "$results/clock"
		for n in 1 2; do
			L4LB_GUEST_ICOUNT=1 L4LB_GUEST_CPUS=1 L4LB_GUEST_NODEBUG=1 \
				L4LB_GUEST_CMDLINE="slab_nomerge" \
				L4LB_GUEST_TIMEOUT=3000 \
				tests/guest/vm.sh tests/bench/guest.sh \
				"${settings[@]}" N=$n PROFILE=$((n == 1)) \
				OUT="$results/raw-$n.jsonl"
		done
	fi
fi
/usr/bin/python3 tests/bench/report.py "$results"

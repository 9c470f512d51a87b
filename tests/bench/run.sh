#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: the KUnit micro-benchmarks of the flow table under UML
# (tests/kunit/bench_test.c: lookup cost against table size, the sweep of a
# million expired flows), then one guest boot measuring l4lb, IPVS,
# nftables DNAT and plain forwarding in it (tests/bench/guest.sh); then the
# medians, ratios, targets and plots (tests/bench/report.py), kept in
# tests/bench/results/. Not part of make check.
#
#   run.sh [kunit|guest]   only the one part (the report covers what the
#                          results folder holds)
#
# ROUNDS, SECS, PKTS and BIG (environment) change how long the guest part
# measures (guest.sh).

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
	cc -O2 -Wall -Wextra -Werror -o tests/bench/connrate tests/bench/connrate.c
	settings=()
	for v in ROUNDS SECS PKTS BIG; do
		[ -z "${!v:-}" ] || settings+=("$v=${!v}")
	done
	L4LB_GUEST_CPUS=1 L4LB_GUEST_CMDLINE="slab_nomerge" L4LB_GUEST_TIMEOUT=3000 \
		tests/guest/vm.sh tests/bench/guest.sh "${settings[@]}"
fi
/usr/bin/python3 tests/bench/report.py "$results"

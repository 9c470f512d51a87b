#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs every end-to-end test (tests/e2e/*.sh and the demo, or those named)
# in a guest of its own and prints one closing line: "N passed, N failed".

set -uo pipefail
cd "$(dirname "$0")/../.."

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/e2e/*.sh tests/demo.sh)
pass=0
failed=()
for t in "${tests[@]}"; do
	echo "=== $t"
	start=$SECONDS
	# A test may ask for a longer bound: "# guest-timeout: SECONDS".
	limit=$(sed -n 's/^# guest-timeout: \([0-9]*\)$/\1/p' "$t")
	if L4LB_GUEST_TIMEOUT=${limit:-${L4LB_GUEST_TIMEOUT:-900}} \
		tests/guest/vm.sh "$t"; then
		pass=$((pass + 1))
		echo "=== PASS $t ($((SECONDS - start)) s)"
	else
		failed+=("$t")
		echo "=== FAIL $t ($((SECONDS - start)) s)"
	fi
done
for t in "${failed[@]}"; do
	echo "failed: $t"
done
echo "guest: ${pass} passed, ${#failed[@]} failed"
[ ${#failed[@]} = 0 ]

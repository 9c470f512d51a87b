#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Runs every end-to-end test (tests/e2e/*.sh and the demo, or those named)
# in a guest of its own and prints one closing line: "N passed, N failed".
#
# Guests run L4LB_GUEST_JOBS at a time, the longest first
# (tests/guest/costs), each test's output printed whole when it ends. A
# test whose header has "# guest-alone:" (a timing that is what it
# asserts) runs after the others, by itself. With one job, or one test,
# the output streams as it comes, in the order given. The default is one
# job for every two cores: each guest has two vCPUs, and two guests on two
# cores took longer than one after the other (hostile.sh and packages.sh
# 1416 s side by side, 998 s in turn; health.sh 484 s beside another, 246
# s alone): emulated CPUs contend, they do not wait.

set -uo pipefail
cd "$(dirname "$0")/../.."

tests=("$@")
[ ${#tests[@]} -gt 0 ] || tests=(tests/e2e/*.sh tests/demo.sh)
cores=$(nproc)
jobs=${L4LB_GUEST_JOBS:-$((cores >= 4 ? cores / 2 : 1))}
pass=0
failed=()

# A test may ask for a longer bound: "# guest-timeout: SECONDS".
limit_of() {
	local limit

	limit=$(sed -n 's/^# guest-timeout: \([0-9]*\)$/\1/p' "$1")
	echo "${limit:-${L4LB_GUEST_TIMEOUT:-900}}"
}

# The seconds a test took in an unloaded CI run (tests/guest/costs), 60
# for one not listed: only the order depends on it.
cost_of() {
	local cost

	cost=$(awk -v t="$(basename "$1")" '$1 == t { print $2 }' \
		tests/guest/costs)
	echo "${cost:-60}"
}

result() {
	local t=$1 rc=$2 took=$3

	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		echo "=== PASS $t ($took s)"
	else
		failed+=("$t")
		echo "=== FAIL $t ($took s)"
	fi
}

run_streamed() {
	local t=$1 start=$SECONDS rc=0

	echo "=== $t"
	L4LB_GUEST_TIMEOUT=$(limit_of "$t") tests/guest/vm.sh "$t" || rc=$?
	result "$t" "$rc" $((SECONDS - start))
}

# The parallel queue: a job per test, its output kept in $logs until it
# ends, then printed with its verdict.
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
trap 'kill $(jobs -p) 2>/dev/null; exit 130' INT TERM
declare -A test_of start_of
running=0

launch() {
	local t=$1 log

	log=$logs/$(basename "$t").log
	L4LB_GUEST_TIMEOUT=$(limit_of "$t") tests/guest/vm.sh "$t" \
		> "$log" 2>&1 &
	test_of[$!]=$t
	start_of[$!]=$SECONDS
	running=$((running + 1))
}

# reap: wait for one job to end and print it.
reap() {
	local pid rc=0 t

	wait -n -p pid || rc=$?
	t=${test_of[$pid]}
	echo "=== $t"
	cat "$logs/$(basename "$t").log"
	result "$t" "$rc" $((SECONDS - start_of[$pid]))
	running=$((running - 1))
}

if [ "$jobs" -le 1 ] || [ ${#tests[@]} = 1 ]; then
	for t in "${tests[@]}"; do
		run_streamed "$t"
	done
else
	alone=()
	shared=()
	while read -r _ t; do
		if grep -q '^# guest-alone:' "$t"; then
			alone+=("$t")
		else
			shared+=("$t")
		fi
	done < <(for t in "${tests[@]}"; do echo "$(cost_of "$t") $t"; done |
		sort -k1,1nr -k2)
	echo "guest: ${#shared[@]} tests $jobs at a time, then ${#alone[@]} alone"
	for t in "${shared[@]}"; do
		[ "$running" -lt "$jobs" ] || reap
		launch "$t"
	done
	while [ "$running" -gt 0 ]; do
		reap
	done
	for t in "${alone[@]}"; do
		run_streamed "$t"
	done
fi

for t in "${failed[@]}"; do
	echo "failed: $t"
done
echo "guest: ${pass} passed, ${#failed[@]} failed"
# A runner that lost a test on the way must not pass.
[ $((pass + ${#failed[@]})) = ${#tests[@]} ] ||
	{ echo "guest: ${#tests[@]} tests were to run" >&2; exit 1; }
[ ${#failed[@]} = 0 ]

# SPDX-License-Identifier: GPL-2.0
# Helpers for the end-to-end tests, sourced inside the guest (vm.sh) as
# root. Each test is a bash script that calls these and ends with `finish`.

set -uo pipefail

L4LBADM=$L4LB_REPO/tools/l4lbadm/l4lbadm
L4LB_KO=$L4LB_REPO/l4lb.ko
T_PASS=0
T_FAIL=0
T_NETNS=()

l4lbadm() { "$L4LBADM" "$@"; }

# The module's dependencies come from the image's tree, the module itself
# from the build in the repository.
load_l4lb() {
	local deps

	deps=$(modinfo -F depends "$L4LB_KO" | tr , ' ')
	[ -z "$deps" ] || modprobe -a $deps
	insmod "$L4LB_KO"
}

unload_l4lb() {
	rmmod l4lb
}

# ns_add NAME...: network namespaces removed again by finish.
ns_add() {
	local n

	for n in "$@"; do
		ip netns add "$n"
		ip -n "$n" link set lo up
		T_NETNS+=("$n")
	done
}

ok() {
	T_PASS=$((T_PASS + 1))
	echo "ok - $*"
}

not_ok() {
	T_FAIL=$((T_FAIL + 1))
	echo "not ok - $*"
}

# check DESC CMD...: CMD must succeed.
check() {
	local desc=$1

	shift
	if "$@"; then ok "$desc"; else not_ok "$desc (exit $?: $*)"; fi
}

# check_eq DESC GOT WANT
check_eq() {
	if [ "$2" = "$3" ]; then
		ok "$1"
	else
		not_ok "$1"
		printf '  got:  %s\n  want: %s\n' "$2" "$3"
	fi
}

# check_err DESC WANT_TEXT CMD...: CMD must fail, printing WANT_TEXT as its
# single line on stderr and nothing on stdout.
check_err() {
	local desc=$1 want=$2 out err rc

	shift 2
	out=$("$@" 2>/tmp/check_err) && rc=0 || rc=$?
	err=$(cat /tmp/check_err)
	if [ "$rc" != 0 ] && [ "$err" = "$want" ] && [ -z "$out" ]; then
		ok "$desc"
	else
		not_ok "$desc"
		printf '  exit %s\n  stdout: %s\n  stderr: %s\n  want:   %s\n' \
			"$rc" "$out" "$err" "$want"
	fi
}

finish() {
	local n

	for n in "${T_NETNS[@]}"; do
		ip netns del "$n" 2>/dev/null
	done
	echo "# $T_PASS passed, $T_FAIL failed"
	[ "$T_FAIL" = 0 ] && [ "$T_PASS" -gt 0 ]
}

# SPDX-License-Identifier: GPL-2.0
# What tests/import/*.sh share, sourced from the folder of their samples
# (tests/data/NAME): the tool, a scratch folder, and the tally.

L4LBADM=${L4LBADM:-$(cd ../../.. && pwd)/tools/l4lbadm/l4lbadm}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 failed=0

ok() { echo "ok: $*"; pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; failed=$((failed + 1)); }

# same WHAT WANT_FILE GOT_FILE
same() {
	if cmp -s "$2" "$3"; then
		ok "$1"
	else
		bad "$1"
		diff -u "$2" "$3" | sed 's/^/    /'
	fi
}

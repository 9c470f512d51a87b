#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# import-ipvsadm on the host (no module needed to print): every
# tests/data/ipvsadm/NAME.save (as ipvsadm-save -n writes it) is imported
# and what comes out is compared byte for byte with NAME.l4lb (the
# l4lbadm lines), or, for NAME.err, with the refusals on standard error
# (exit 1, nothing printed).

set -u
cd "$(dirname "$0")/../data/ipvsadm" || exit 1
. ../../import/lib.sh

[ -x "$L4LBADM" ] || { echo "FAIL: no $L4LBADM (make tools)"; exit 1; }

for save in *.save; do
	name=${save%.save}
	"$L4LBADM" import-ipvsadm "$save" > "$tmp/stdout" 2> "$tmp/stderr"
	rc=$?
	if [ -e "$name.err" ]; then
		same "$save: the refusals, one line each" "$name.err" "$tmp/stderr"
		[ "$rc" = 1 ] && [ ! -s "$tmp/stdout" ] &&
			ok "$save: exit 1, nothing printed" ||
			bad "$save: exit $rc, $(wc -c < "$tmp/stdout") bytes printed"
		continue
	fi
	[ "$rc" = 0 ] && [ ! -s "$tmp/stderr" ] && ok "$save: exit 0, nothing on stderr" ||
		{ bad "$save: exit $rc"; sed 's/^/    /' "$tmp/stderr"; }
	same "$save: the l4lbadm lines" "$name.l4lb" "$tmp/stdout"
done

echo "import-ipvsadm: $pass passed, $failed failed"
[ "$failed" = 0 ]

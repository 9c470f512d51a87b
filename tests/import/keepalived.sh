#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# import-keepalived on the host (no module needed to print): every
# tests/data/keepalived/NAME.conf is first read by keepalived itself
# (keepalived --config-test: the file must be one keepalived takes, without
# a warning), then imported, and what comes out is compared byte for byte:
#
#   NAME.l4lb     the l4lbadm lines (standard output)
#   NAME.healthd  the file "healthd OUT" writes; without it, its check
#                 lines follow the l4lbadm lines on standard output
#   NAME.err      for a file with keywords l4lb has no equivalent for: the
#                 refusals on standard error, exit 1, nothing printed
#                 and no OUT written
#
# healthd takes each NAME.healthd: it is started on it (in a network
# namespace of its own, with no module there) and must say it read every
# check.

set -u
cd "$(dirname "$0")/../data/keepalived" || exit 1
. ../../import/lib.sh

command -v keepalived > /dev/null || { echo "FAIL: keepalived is not installed (tests/deps.sh)"; exit 1; }
[ -x "$L4LBADM" ] || { echo "FAIL: no $L4LBADM (make tools)"; exit 1; }

for conf in *.conf; do
	name=${conf%.conf}
	if keepalived --config-test -f "$conf" > "$tmp/ka.log" 2>&1; then
		ok "$conf: keepalived takes it"
	else
		bad "$conf: keepalived --config-test refuses it"
		sed 's/^/    /' "$tmp/ka.log"
	fi
	rm -f "$tmp/out"
	"$L4LBADM" import-keepalived "$conf" healthd "$tmp/out" \
		> "$tmp/stdout" 2> "$tmp/stderr"
	rc=$?
	if [ -e "$name.err" ]; then
		same "$conf: the refusals, one line each" "$name.err" "$tmp/stderr"
		[ "$rc" = 1 ] && [ ! -s "$tmp/stdout" ] && [ ! -e "$tmp/out" ] &&
		[ ! -e "$tmp/out.new" ] &&
			ok "$conf: exit 1, nothing printed, no healthd file" ||
			bad "$conf: exit $rc, $(wc -c < "$tmp/stdout") bytes printed, healthd file: $(ls "$tmp")"
		continue
	fi
	[ "$rc" = 0 ] && [ ! -s "$tmp/stderr" ] && ok "$conf: exit 0, nothing on stderr" ||
		{ bad "$conf: exit $rc"; sed 's/^/    /' "$tmp/stderr"; }
	same "$conf: the l4lbadm lines" "$name.l4lb" "$tmp/stdout"
	same "$conf: the healthd file" "$name.healthd" "$tmp/out"
	cp "$tmp/out" "$tmp/$name.out"
	# Without "healthd OUT" the checks follow the l4lbadm lines.
	"$L4LBADM" import-keepalived "$conf" > "$tmp/both" 2>&1
	{ cat "$name.l4lb"; grep -v '^#' "$name.healthd"; } > "$tmp/want"
	same "$conf: without healthd OUT, the checks after the l4lbadm lines" \
		"$tmp/want" "$tmp/both"
	# healthd reads the file: "N checks from FILE", no complaint.
	n=$(grep -c '^check ' "$name.healthd")
	timeout 2 unshare -n "$L4LBADM" healthd "$tmp/out" > "$tmp/hd.log" 2>&1
	if grep -qx "l4lbadm: healthd: $n checks from $tmp/out" "$tmp/hd.log" &&
	   ! grep -q "$tmp/out:" "$tmp/hd.log"; then
		ok "$conf: healthd takes its $n checks"
	else
		bad "$conf: healthd does not take the file"
		sed 's/^/    /' "$tmp/hd.log"
	fi
done

# The HTTP checks mean what they say: run against a web server (python's,
# on 127.0.0.1) whose / answers 200 and /healthz 404, as healthd runs them.
# run_check N PORT: the Nth exec check import-keepalived wrote for
# http.conf, %a and %p filled in.
run_check() {
	local cmd

	cmd=$(grep '^check .* exec ' "$tmp/http.out" | sed -n "${1}p" |
		sed 's/.* exec "\(.*\)" interval.*/\1/; s/%a/127.0.0.1/g; s/%p/'"$2"'/g')
	sh -c "$cmd"
}
port=$((20000 + RANDOM % 20000))
mkdir "$tmp/www" && echo up > "$tmp/www/index.html"
(cd "$tmp/www" && exec python3 -m http.server -b 127.0.0.1 "$port") > /dev/null 2>&1 &
www=$!
for _ in $(seq 50); do
	curl -so /dev/null "http://127.0.0.1:$port/" && break
	sleep 0.1
done
run_check 2 "$port" && ok "HTTP_GET path / (200): the check passes" ||
	bad "HTTP_GET path / (200): the check fails"
run_check 1 "$port" && bad "HTTP_GET path /healthz (404): the check passes" ||
	ok "HTTP_GET path /healthz (404): the check fails"
kill "$www"
wait "$www" 2> /dev/null
run_check 2 "$port" && bad "HTTP_GET with no server: the check passes" ||
	ok "HTTP_GET with no server: the check fails"

# Bash completion: the verb, apply, files, then "healthd" and a file.
complete_words() {
	bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _l4lbadm; echo "${COMPREPLY[*]}"' \
		../../../tools/l4lbadm/l4lbadm.bash-completion l4lbadm "$@"
}
# comp WANT WORD...: completing the last WORD offers WANT.
comp() {
	local want=$1 got

	shift
	got=$(complete_words "$@")
	[ "$got" = "$want" ] && ok "completion: $*: $want" ||
		bad "completion: $*: '$got', not '$want'"
}
comp import-keepalived import-k
comp apply import-keepalived ap
comp tcp-pool.conf import-keepalived apply tcp-pool.c
comp healthd import-keepalived tcp-pool.conf ''
comp tcp-pool.healthd import-keepalived apply tcp-pool.conf healthd tcp-pool.h

# A file that is not there: one line, exit 1.
"$L4LBADM" import-keepalived nosuch.conf > "$tmp/stdout" 2> "$tmp/stderr"
rc=$?
echo "l4lbadm: import-keepalived: nosuch.conf: No such file or directory" > "$tmp/want"
[ "$rc" = 1 ] && cmp -s "$tmp/want" "$tmp/stderr" && ok "a missing file: one line, exit 1" ||
	bad "a missing file: exit $rc, $(cat "$tmp/stderr")"

echo "import-keepalived: $pass passed, $failed failed"
[ "$failed" = 0 ]

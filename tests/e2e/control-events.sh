#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# l4lbadm monitor: every change made through the family reaches listeners
# of the events group, in order, as the command line that makes it (and as
# JSON), from any process; failed requests announce nothing; each namespace
# hears only its own changes.

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
ns_add other

l4lbadm monitor > /tmp/events &
T_PIDS+=($!)
l4lbadm -j monitor > /tmp/events.json &
T_PIDS+=($!)
l4lbadm -t monitor > /tmp/events.ts &
T_PIDS+=($!)
ip netns exec other "$L4LBADM" monitor > /tmp/events.other &
T_PIDS+=($!)

# The monitors join at some point after they start: a change they both
# print tells that they listen. Only then does the test begin. These
# changes (max-flows 1048576) are left out of what is compared below.
listening() {
	l4lbadm set timeout-closing 10
	ip netns exec other "$L4LBADM" set timeout-closing 10
	[ -s /tmp/events ] && [ -s /tmp/events.json ] && [ -s /tmp/events.other ] &&
		[ -s /tmp/events.ts ]
}
wait_for "the monitors listen" 10 listening
events() { grep -v '^set max-flows 1048576 ' "${1:-/tmp/events}"; }
events_json() { grep -v '"event":"set","flows":0,"max-flows":1048576,' /tmp/events.json; }

l4lbadm service add tcp 10.0.0.1:80 sched wlc
l4lbadm backend add tcp 10.0.0.1:80 10.0.2.11:80 weight 3
l4lbadm backend add tcp 10.0.0.1:80 10.0.2.12:80
l4lbadm service add tcp 10.0.0.1:80 2>/dev/null	# refused: no event
l4lbadm backend set tcp 10.0.0.1:80 10.0.2.12:80 weight 0 health up
l4lbadm service add udp 10.0.0.1:53 stateless
l4lbadm backend del tcp 10.0.0.1:80 10.0.2.11:80
l4lbadm set max-flows 5000 2>/dev/null
l4lbadm set max-flows 0 2>/dev/null		# refused by the tool
l4lbadm service del udp 10.0.0.1:53

want="service add tcp 10.0.0.1:80 sched wlc
backend add tcp 10.0.0.1:80 10.0.2.11:80 weight 3
backend add tcp 10.0.0.1:80 10.0.2.12:80 weight 1
backend set tcp 10.0.0.1:80 10.0.2.12:80 weight 0 health up
service add udp 10.0.0.1:53 sched sh timeout 60 stateless
backend del tcp 10.0.0.1:80 10.0.2.11:80
set max-flows 5000 timeout-syn 30 timeout-established 900 timeout-fin-wait 120 timeout-closing 10 down-flows keep hash-seed 0
service del udp 10.0.0.1:53"
n=$(wc -l <<< "$want")
got_all() { [ "$(events | wc -l)" -ge "$n" ]; }
wait_for "every change arrives" 10 got_all
check_eq "in order, as the commands that made them" "$(events)" "$want"

json_all() { [ "$(events_json | wc -l)" -ge "$n" ]; }
wait_for "every change arrives as JSON" 10 json_all
check_eq "JSON: one object a line, each event named" \
	"$(events_json | python3 -c '
import json, sys
for line in sys.stdin:
    e = json.loads(line)
    be = e.get("backend", {})
    print(e["event"], e.get("port", ""), be.get("port", ""),
          be.get("weight", ""), e.get("max-flows", ""))')" \
	"service add 80   
backend add 80 80 3 
backend add 80 80 1 
backend set 80 80 0 
service add 53   
backend del 80 80 3 
set    5000
service del 53   "

check_eq "JSON: each event has the time it arrived" \
	"$(events_json | python3 -c '
import json, sys, time
print(all(abs(json.loads(l)["time"] - time.time()) < 120 for l in sys.stdin))')" "True"
check_eq "-t: each line after its time (UTC, microseconds)" \
	"$(grep -v ' set max-flows 1048576 ' /tmp/events.ts | sed -E 's/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}\.[0-9]{6}Z //')" \
	"$want"

check_eq "another namespace heard nothing of this one" \
	"$(events /tmp/events.other)" ""
ip netns exec other "$L4LBADM" service add tcp 10.0.0.1:80
other_heard() { events /tmp/events.other | grep -q .; }
wait_for "it hears its own change" 10 other_heard
check_eq "and only that" "$(events /tmp/events.other)" \
	"service add tcp 10.0.0.1:80 sched rr"

finish

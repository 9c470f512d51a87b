#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module loads, its family answers in every namespace, services are kept
# per namespace, errors are one clear line, and the module unloads while
# services exist.
#
#   init netns          ns "other"
#   10.0.0.1:5432 tcp   (no services: its list stays empty)

. "$L4LB_REPO/tests/lib/e2e.sh"

check "module loads" load_l4lb
check "genl knows the family" sh -c 'genl ctrl get name l4lb | grep -q "l4lb"'

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$L4LB_REPO/dkms.conf")
check_eq "version prints tool and module" "$(l4lbadm version)" \
	"l4lbadm $ver
l4lb module $ver"
header="Proto Service               Sched Flows   Conns
  -> Backend               Weight Flows   Conns   InPkts   OutPkts   State"
check_eq "empty list is a header" "$(l4lbadm list)" "$header"
check_eq "empty list as JSON" "$(l4lbadm -j list)" "[]"

check "service add tcp" l4lbadm service add tcp 10.0.0.1:5432 sched lc
check "service add udp default sched" l4lbadm service add udp 10.0.0.1:7777
check "backend add" l4lbadm backend add tcp 10.0.0.1:5432 10.0.0.5:5432 weight 2
check_eq "list shows both, with the pool" "$(l4lbadm list)" \
	"$header
tcp   10.0.0.1:5432         lc    0       0
  -> 10.0.0.5:5432         2      0       0       0        0         up
udp   10.0.0.1:7777         sh    0       0 timeout 60"
check_eq "JSON parses" "$(l4lbadm -j list | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 2
check_eq "show one" "$(l4lbadm service show tcp 10.0.0.1:5432 | tail -2)" \
	"tcp   10.0.0.1:5432         lc    0       0
  -> 10.0.0.5:5432         2      0       0       0        0         up"
check "drain (weight 0)" l4lbadm backend set tcp 10.0.0.1:5432 10.0.0.5:5432 weight 0
check_eq "weight shows 0" "$(l4lbadm -j list | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["backends"][0]["weight"])')" 0

before=$(l4lbadm list)
check_err "duplicate add" "l4lbadm: service add: service already exists" \
	l4lbadm service add tcp 10.0.0.1:5432
check_err "del of unknown" "l4lbadm: service del: no such service" \
	l4lbadm service del tcp 10.0.0.2:5432
check_err "bad protocol word" "l4lbadm: 'sctp' is not a protocol: use tcp or udp" \
	l4lbadm service add sctp 10.0.0.1:1
check_err "port 0" "l4lbadm: '10.0.0.1:0' is not VIP:PORT, VIP:FIRST-LAST (FIRST below LAST) or VIP:*, like 10.0.0.1:5432, [2001:db8::1]:443 or 10.0.0.1:5060-5080" \
	l4lbadm service add tcp 10.0.0.1:0
check_err "unknown scheduler" "l4lbadm: 'fastest' is not a scheduler: use rr, wrr, lc, wlc, sh or mh" \
	l4lbadm service add tcp 10.0.0.9:1 sched fastest
check_err "weight out of range" "l4lbadm: weight '1001' is not a number from 0 to 1000" \
	l4lbadm backend add tcp 10.0.0.1:5432 10.0.0.6:1 weight 1001
check_err "duplicate backend" "l4lbadm: backend add: backend already exists" \
	l4lbadm backend add tcp 10.0.0.1:5432 10.0.0.5:5432
check_err "backend of an unknown service" "l4lbadm: backend add: no such service" \
	l4lbadm backend add tcp 10.0.0.9:5432 10.0.0.5:5432
check_err "del of an unknown backend" "l4lbadm: backend del: no such backend in this service" \
	l4lbadm backend del tcp 10.0.0.1:5432 10.0.0.6:5432
check_err "stateless TCP" "l4lbadm: service add: only a UDP service can be stateless" \
	l4lbadm service add tcp 10.0.0.2:53 stateless
check_err "UDP timeout out of range" "l4lbadm: timeout '3601' is not 1 to 3600 seconds" \
	l4lbadm service add udp 10.0.0.2:53 timeout 3601
check_eq "failed commands changed nothing" "$(l4lbadm list)" "$before"

check_err "unprivileged user" \
	"l4lbadm: service add: permission denied (l4lb needs CAP_NET_ADMIN)" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$L4LBADM" service add tcp 10.0.0.3:80
check_err "unprivileged dump" \
	"l4lbadm: service show: permission denied (l4lb needs CAP_NET_ADMIN)" \
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
	"$L4LBADM" list
check_err "root of a user namespace" \
	"l4lbadm: service show: permission denied (l4lb needs CAP_NET_ADMIN)" \
	unshare -U -r "$L4LBADM" list

ns_add other
check_eq "another namespace has its own (empty) table" \
	"$(ip netns exec other "$L4LBADM" -j list)" "[]"

check "service del" l4lbadm service del udp 10.0.0.1:7777
check_eq "list after del" \
	"$(l4lbadm -j list | python3 -c 'import json,sys; print([(s["proto"], s["port"], s["sched"]) for s in json.load(sys.stdin)])')" \
	"[('tcp', 5432, 'lc')]"

check "unload with a service configured" unload_l4lb
check_err "tool says the module is missing" \
	"l4lbadm: the l4lb module is not loaded (try: modprobe l4lb)" l4lbadm list
check "reload" load_l4lb
check_eq "fresh state after reload" "$(l4lbadm -j list)" "[]"
check "final unload" unload_l4lb

finish

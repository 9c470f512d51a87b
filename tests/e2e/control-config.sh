#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Settings, and save / restore: the configuration printed as commands
# replays exactly, and a restore that fails, by a bad line or a refusal of
# the kernel, leaves the configuration as it found it.

. "$L4LB_REPO/tests/lib/e2e.sh"

load_l4lb
check_eq "default settings" "$(l4lbadm settings)" "flows 0
max-flows 1048576
timeout-syn 30
timeout-established 900
timeout-fin-wait 120
timeout-closing 10
down-flows keep
hash-seed 0"
check "set" l4lbadm set max-flows 5000 timeout-established 600
check_eq "settings as JSON" "$(l4lbadm -j settings)" \
	'{"flows":0,"max-flows":5000,"timeout-syn":30,"timeout-established":600,"timeout-fin-wait":120,"timeout-closing":10,"down-flows":"keep","hash-seed":0}'
check_err "a setting out of range" \
	"l4lbadm: timeout-syn '0' is not a number from 1 to 86400" l4lbadm set timeout-syn 0
check_err "down-flows takes a word" \
	"l4lbadm: down-flows 'maybe' is not keep, drop or reset" l4lbadm set down-flows maybe
check_err "an unknown setting" "l4lbadm: set: unknown setting 'speed'" l4lbadm set speed 3
check_err "a hash seed past 32 bits" \
	"l4lbadm: hash-seed '4294967296' is not a number from 0 to 4294967295" \
	l4lbadm set hash-seed 4294967296
check_err "a negative hash seed" \
	"l4lbadm: hash-seed '-1' is not a number from 0 to 4294967295" \
	l4lbadm set hash-seed -1

l4lbadm service add tcp 10.0.0.1:5432 sched wlc
l4lbadm backend add tcp 10.0.0.1:5432 10.0.2.11:5432 weight 3
l4lbadm backend add tcp 10.0.0.1:5432 10.0.2.12:5432 weight 0
l4lbadm service add udp 10.0.0.1:7777 timeout 30
l4lbadm backend add udp 10.0.0.1:7777 10.0.2.11:7777
l4lbadm service add udp 10.0.0.1:53 sched rr stateless
l4lbadm backend add udp 10.0.0.1:53 10.0.2.13:53
l4lbadm service add tcp 10.0.0.1:443 sched mh hash-port
l4lbadm backend add tcp 10.0.0.1:443 10.0.2.14:443 weight 2
l4lbadm set hash-seed 4294967295
l4lbadm save > /tmp/saved
check_eq "save prints the configuration as commands" "$(cat /tmp/saved)" \
"set max-flows 5000 timeout-syn 30 timeout-established 600 timeout-fin-wait 120 timeout-closing 10 down-flows keep hash-seed 4294967295
service add tcp 10.0.0.1:5432 sched wlc
backend add tcp 10.0.0.1:5432 10.0.2.11:5432 weight 3
backend add tcp 10.0.0.1:5432 10.0.2.12:5432 weight 0
service add udp 10.0.0.1:7777 sched sh timeout 30
backend add udp 10.0.0.1:7777 10.0.2.11:7777 weight 1
service add udp 10.0.0.1:53 sched rr timeout 60 stateless
backend add udp 10.0.0.1:53 10.0.2.13:53 weight 1
service add tcp 10.0.0.1:443 sched mh hash-port
backend add tcp 10.0.0.1:443 10.0.2.14:443 weight 2"

for s in "tcp 10.0.0.1:5432" "udp 10.0.0.1:7777" "udp 10.0.0.1:53" \
	"tcp 10.0.0.1:443"; do
	l4lbadm service del $s
done
l4lbadm set max-flows 1048576 timeout-established 900 hash-seed 0
check "restore from standard input" sh -c "$L4LBADM restore < /tmp/saved"
check_eq "the round trip is exact" "$(l4lbadm save)" "$(cat /tmp/saved)"

before=$(l4lbadm save)
printf 'service add tcp 10.0.0.9:80\nbackend add tcp 10.0.0.9:80 10.0.2.11:80\nservice add sctp 10.0.0.9:81\n' > /tmp/bad
check_err "a bad line stops the restore before anything" \
	"l4lbadm: restore: line 3: 'sctp' is not a protocol: use tcp or udp" \
	l4lbadm restore /tmp/bad
check_eq "nothing was applied" "$(l4lbadm save)" "$before"

printf 'set timeout-syn 5\nservice add tcp 10.0.0.9:80\nbackend add tcp 10.0.0.9:80 10.0.2.11:80\n# a comment\n\nbackend add tcp 10.0.0.8:80 10.0.2.11:80\n' > /tmp/refused
check_err "a line the kernel refuses fails the restore" \
	"l4lbadm: restore: line 6: backend add: no such service" \
	l4lbadm restore /tmp/refused
check_eq "what was applied before it was undone" "$(l4lbadm save)" "$before"
check_err "only adding lines" \
	"l4lbadm: restore: line 1: only set, service add, service set and backend add lines can be restored" \
	sh -c "echo 'service del tcp 10.0.0.1:5432' | $L4LBADM restore"
finish

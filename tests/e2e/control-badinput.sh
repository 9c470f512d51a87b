#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input, sent as raw netlink (tests/tools/genl.py) so that the kernel's
# own checks are what is tested: every attribute missing, out of range, of
# the wrong length or unknown; unknown services and backends; duplicates;
# unprivileged callers. Each request must fail with its own error and
# message, naming the attribute, and leave the configuration, the counters
# and the flow table exactly as they were.

. "$L4LB_REPO/tests/lib/e2e.sh"

GENL=$L4LB_REPO/tests/tools/genl.py
genl() { /usr/bin/python3 "$GENL" "$@"; }

# Everything a request could change: configuration, settings, counters
# (not the seconds since a backend's health changed: they run on).
state() {
	l4lbadm save
	l4lbadm -j list | sed 's/"health_since":[0-9]*,//g'
}

# bad DESC WANT GENL-ARGS...: the request fails with WANT and the state is
# still $BASE; with AS set, genl.py runs under that command (setpriv,
# unshare).
bad() {
	local desc=$1 want=$2 got

	shift 2
	# shellcheck disable=SC2086
	got=$(${AS:-} /usr/bin/python3 "$GENL" "$@")
	if [ "$got" != "$want" ]; then
		not_ok "$desc"
		printf '  got:  %s\n  want: %s\n' "$got" "$want"
	elif [ "$(state)" != "$BASE" ]; then
		not_ok "$desc (the state changed)"
		echo "$BASE" > /tmp/base
		state | diff /tmp/base - | head -20
	else
		ok "$desc"
	fi
}

load_l4lb
check "tcp service" l4lbadm service add tcp 10.0.0.1:80
check "its backend" l4lbadm backend add tcp 10.0.0.1:80 10.0.2.11:80
check "stateless udp service" l4lbadm service add udp 10.0.0.1:53 stateless
check "its backend" l4lbadm backend add udp 10.0.0.1:53 10.0.2.11:53
check "a second stateless service" l4lbadm service add udp 10.0.0.2:53 stateless
check "a second tcp service" l4lbadm service add tcp 10.0.0.2:80
check "a udp service with sessions" l4lbadm service add udp 10.0.0.3:53
check "a tcp port range" l4lbadm service add tcp 10.0.0.1:5060-5080
check "its portless backend" l4lbadm backend add tcp 10.0.0.1:5060-5080 10.0.2.11
check "a second range sharing that portless server" l4lbadm service add tcp 10.0.0.3:7000-7010
check "its backend, the same server" l4lbadm backend add tcp 10.0.0.3:7000-7010 10.0.2.11
check "a udp port range" l4lbadm service add udp 10.0.0.1:6000-6010
check "its portless backend" l4lbadm backend add udp 10.0.0.1:6000-6010 10.0.2.11
check "a second udp port range" l4lbadm service add udp 10.0.0.2:6000-6010

TCP="SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.1 SVC_PORT=u16:80"
RANGE="SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.1 SVC_PORT=u16:5060 SVC_PORT_LAST=u16:5080"
NEW="SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:80"
BE="BE_ADDR4=ip:10.0.2.12 BE_PORT=u16:80"

check_eq "a good request passes (the tool itself works)" \
	"$(genl SERVICE_GET $TCP)" "ok"

# One python process sends them all (under emulation, a process each
# would take minutes): DESC | WANT | REQUEST.
genl --matrix > /tmp/matrix <<EOF
# A service is named by three attributes; each one missing.
service add without protocol | EINVAL missing=SVC_PROTO: a service is named by protocol, address and port | SERVICE_NEW SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:80
service add without address | EINVAL missing=SVC_ADDR4: a service is named by protocol, address and port | SERVICE_NEW SVC_PROTO=u8:6 SVC_PORT=u16:80
service add without port | EINVAL missing=SVC_PORT: a service is named by protocol, address and port | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.9
service del without anything | EINVAL missing=SVC_PROTO: a service is named by protocol, address and port | SERVICE_DEL

# Out of range.
protocol other than TCP and UDP | EINVAL attr=SVC_PROTO: protocol must be TCP (6) or UDP (17) | SERVICE_NEW SVC_PROTO=u8:132 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:80
port 0 | ERANGE attr=SVC_PORT: integer out of range | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:0
scheduler past the last | ERANGE attr=SVC_SCHED: integer out of range | SERVICE_NEW $NEW SVC_SCHED=u8:6
unknown service flag | EINVAL attr=SVC_FLAGS: reserved bit set | SERVICE_NEW $NEW SVC_FLAGS=u32:8
UDP timeout 0 | ERANGE attr=SVC_UDP_TIMEOUT: integer out of range | SERVICE_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:80 SVC_UDP_TIMEOUT=u32:0
UDP timeout 3601 | ERANGE attr=SVC_UDP_TIMEOUT: integer out of range | SERVICE_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:80 SVC_UDP_TIMEOUT=u32:3601
weight 1001 | ERANGE attr=BE_WEIGHT: integer out of range | BACKEND_NEW $TCP $BE BE_WEIGHT=u16:1001
a port range's backend with a port | EINVAL attr=BE_PORT: a port range's backends have no port (be-port 0): give the address alone, each flow keeps its port | BACKEND_NEW $RANGE BE_ADDR4=ip:10.0.2.12 BE_PORT=u16:5060
port-last 0 | ERANGE attr=SVC_PORT_LAST: integer out of range | SERVICE_NEW $NEW SVC_PORT_LAST=u16:0
port-last below port | EINVAL attr=SVC_PORT_LAST: a port range's last port is below its first | SERVICE_NEW $NEW SVC_PORT_LAST=u16:79
port-last as u32 | EINVAL attr=SVC_PORT_LAST: invalid attribute length | SERVICE_NEW $NEW SVC_PORT_LAST=u32:90
a range over a single-port service | EEXIST: its ports overlap another service's on this address and protocol (see service list): port ranges of one address do not overlap | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.1 SVC_PORT=u16:70 SVC_PORT_LAST=u16:90
a range over a range | EEXIST: its ports overlap another service's on this address and protocol (see service list): port ranges of one address do not overlap | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.1 SVC_PORT=u16:5080 SVC_PORT_LAST=u16:6000
a single port inside a range | EEXIST: its ports overlap another service's on this address and protocol (see service list): port ranges of one address do not overlap | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.1 SVC_PORT=u16:5070
a range named by its first port alone | ENOENT: no such service: the service of that first port is a port range, named by all its ports (FIRST-LAST) | SERVICE_GET SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.1 SVC_PORT=u16:5060
a port a portless backend of that address answers from | EEXIST attr=BE_PORT: a portless backend of this address answers from that port already (or a backend of it with a port in this service's ports): replies could not name their service | BACKEND_NEW SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.2 SVC_PORT=u16:80 BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:5070
a port the second range's portless backend answers from | EEXIST attr=BE_PORT: a portless backend of this address answers from that port already (or a backend of it with a port in this service's ports): replies could not name their service | BACKEND_NEW SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.2 SVC_PORT=u16:80 BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:7005
one portless backend for two udp ranges (answers name only the client) | EADDRINUSE: a portless backend of this address already serves another UDP service: its answers name only the client, so l4lb could not tell which VIP to answer from; give each service its own backend address | BACKEND_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.2 SVC_PORT=u16:6000 SVC_PORT_LAST=u16:6010 BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:0
a single port named as a range | ENOENT: no such service: the service of that first port has that port alone | SERVICE_DEL $TCP SVC_PORT_LAST=u16:90
max-flows 0 | ERANGE attr=MAX_FLOWS: integer out of range | SETTINGS_SET MAX_FLOWS=u32:0
health past down | ERANGE attr=BE_HEALTH: integer out of range | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80 BE_HEALTH=u8:2
a check text of 64 characters | EINVAL attr=BE_CHECK: Attribute failed policy validation | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80 BE_CHECK=str:$(printf 'x%.0s' $(seq 64))
a check text without its NUL | EINVAL attr=BE_CHECK: Attribute failed policy validation | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80 BE_CHECK=hex:6f6b
a good health beside a bad weight: neither applies | ERANGE attr=BE_WEIGHT: integer out of range | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80 BE_HEALTH=u8:1 BE_WEIGHT=u16:5000
down-flows past reset | ERANGE attr=DOWN_FLOWS: integer out of range | SETTINGS_SET DOWN_FLOWS=u32:3
established timeout over a day | ERANGE attr=TIMEOUT_ESTABLISHED: integer out of range | SETTINGS_SET TIMEOUT_ESTABLISHED=u32:86401
a good value beside a bad one: neither applies | ERANGE attr=TIMEOUT_SYN: integer out of range | SETTINGS_SET MAX_FLOWS=u32:1000 TIMEOUT_SYN=u32:0

# Wrong type or length.
protocol as u16 | EINVAL attr=SVC_PROTO: invalid attribute length | SERVICE_NEW SVC_PROTO=u16:6 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:80
port as u32 | EINVAL attr=SVC_PORT: invalid attribute length | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u32:80
address of 5 bytes | ERANGE attr=SVC_ADDR4: binary attribute size out of range | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR4=hex:0a00000901 SVC_PORT=u16:80
empty address | ERANGE attr=SVC_ADDR4: binary attribute size out of range | SERVICE_NEW SVC_PROTO=u8:6 SVC_ADDR4=hex: SVC_PORT=u16:80
weight as u8 | EINVAL attr=BE_WEIGHT: invalid attribute length | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80 BE_WEIGHT=u8:0
max-flows as u64 | EINVAL attr=MAX_FLOWS: invalid attribute length | SETTINGS_SET MAX_FLOWS=u64:1000

# Attributes the command does not take, or nobody knows.
unknown attribute number | EINVAL attr=99: Unknown attribute type | SERVICE_NEW $NEW 99=u32:1
an attribute of another command | EINVAL attr=BE_WEIGHT: Unsupported attribute | SERVICE_NEW $NEW BE_WEIGHT=u16:1
a reply-only attribute in a request | EINVAL attr=SVC_ACTIVE: Unsupported attribute | SERVICE_NEW $NEW SVC_ACTIVE=u32:1
UDP timeout for a TCP service | EINVAL attr=SVC_UDP_TIMEOUT: a UDP timeout needs a UDP service | SERVICE_NEW $NEW SVC_UDP_TIMEOUT=u32:30
stateless TCP | EINVAL attr=SVC_FLAGS: only a UDP service can be stateless | SERVICE_NEW $NEW SVC_FLAGS=u32:1
stateless lc (it never counts a flow) | EINVAL attr=SVC_SCHED: lc and wlc count flows, and a stateless service has none | SERVICE_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:53 SVC_FLAGS=u32:1 SVC_SCHED=u8:2
stateless wlc | EINVAL attr=SVC_SCHED: lc and wlc count flows, and a stateless service has none | SERVICE_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:53 SVC_FLAGS=u32:1 SVC_SCHED=u8:3
hash-port with rr | EINVAL attr=SVC_FLAGS: hash-port needs the sh or mh scheduler | SERVICE_NEW $NEW SVC_FLAGS=u32:2
hash-port for UDP sessions (one per client address) | EINVAL attr=SVC_FLAGS: a UDP session covers every port of its client: hash-port needs TCP or a stateless service | SERVICE_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:80 SVC_FLAGS=u32:2 SVC_SCHED=u8:5
unknown command | EOPNOTSUPP | 99
persist over 24 days | ERANGE attr=SVC_PERSIST: integer out of range | SERVICE_NEW $NEW SVC_PERSIST=u32:2073601
persist as u16 | EINVAL attr=SVC_PERSIST: invalid attribute length | SERVICE_NEW $NEW SVC_PERSIST=u16:60
netmask /0 | ERANGE attr=SVC_PERSIST_MASK: integer out of range | SERVICE_NEW $NEW SVC_PERSIST=u32:60 SVC_PERSIST_MASK=u8:0
netmask /129 | ERANGE attr=SVC_PERSIST_MASK: integer out of range | SERVICE_NEW $NEW SVC_PERSIST=u32:60 SVC_PERSIST_MASK=u8:129
netmask /33 for IPv4 | EINVAL attr=SVC_PERSIST_MASK: an IPv4 service's netmask is at most /32 | SERVICE_NEW $NEW SVC_PERSIST=u32:60 SVC_PERSIST_MASK=u8:33
netmask without persistence | EINVAL attr=SVC_PERSIST_MASK: a netmask needs persistence | SERVICE_NEW $NEW SVC_PERSIST_MASK=u8:24
persistence of a stateless service | EINVAL attr=SVC_PERSIST: a stateless service has no flows to persist | SERVICE_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:53 SVC_FLAGS=u32:1 SVC_PERSIST=u32:60
service set with nothing | EINVAL: nothing to change: give persist, a netmask or flags | SERVICE_SET $TCP
service set of an unknown service | ENOENT: no such service | SERVICE_SET $NEW SVC_PERSIST=u32:60
service set: a netmask without persistence | EINVAL attr=SVC_PERSIST_MASK: a netmask needs persistence | SERVICE_SET $TCP SVC_PERSIST_MASK=u8:24
service set: persistence of a stateless service | EINVAL attr=SVC_PERSIST: a stateless service has no flows to persist | SERVICE_SET SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.1 SVC_PORT=u16:53 SVC_PERSIST=u32:60
local-clients on a stateless service | EINVAL attr=SVC_FLAGS: a stateless service keeps no flows: its local clients' replies could not be told from a health check's | SERVICE_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.9 SVC_PORT=u16:53 SVC_FLAGS=u32:5
service set: flags without a mask | EINVAL: flags and a flags mask go together | SERVICE_SET $TCP SVC_FLAGS=u32:4
service set: a mask without flags | EINVAL: flags and a flags mask go together | SERVICE_SET $TCP SVC_FLAGS_MASK=u32:4
service set: a flag that does not change in place | EINVAL attr=SVC_FLAGS_MASK: only local-clients changes on a service that exists | SERVICE_SET $TCP SVC_FLAGS=u32:2 SVC_FLAGS_MASK=u32:2
service set: an unknown flag in the mask | EINVAL attr=SVC_FLAGS_MASK: reserved bit set | SERVICE_SET $TCP SVC_FLAGS=u32:0 SVC_FLAGS_MASK=u32:8
service set: local-clients on a stateless service | EINVAL attr=SVC_FLAGS: a stateless service keeps no flows: its local clients' replies could not be told from a health check's | SERVICE_SET SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.1 SVC_PORT=u16:53 SVC_FLAGS=u32:4 SVC_FLAGS_MASK=u32:4
service set: local-clients beside a bad netmask: neither applies | EINVAL attr=SVC_PERSIST_MASK: a netmask needs persistence | SERVICE_SET $TCP SVC_FLAGS=u32:4 SVC_FLAGS_MASK=u32:4 SVC_PERSIST_MASK=u8:24

# Unknown objects, duplicates, nothing to do.
duplicate service | EEXIST: service already exists | SERVICE_NEW $TCP
del of an unknown service | ENOENT: no such service | SERVICE_DEL $NEW
get of an unknown service | ENOENT: no such service | SERVICE_GET $NEW
backend of an unknown service | ENOENT: no such service | BACKEND_NEW $NEW $BE
backend without its port | EINVAL missing=BE_PORT: a backend is named by address and port | BACKEND_NEW $TCP BE_ADDR4=ip:10.0.2.12
duplicate backend | EEXIST: backend already exists | BACKEND_NEW $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80
one backend for two stateless udp services (answers name only the client) | EADDRINUSE: backend address and port already serve another UDP service: its answers name only the client, so l4lb could not tell which VIP to answer from; give each service its own backend port | BACKEND_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.2 SVC_PORT=u16:53 BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:53
a stateless service's backend for a udp service with sessions | EADDRINUSE: backend address and port already serve another UDP service: its answers name only the client, so l4lb could not tell which VIP to answer from; give each service its own backend port | BACKEND_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.3 SVC_PORT=u16:53 BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:53
the same as its fallback server | EADDRINUSE: backend address and port already serve another UDP service: its answers name only the client, so l4lb could not tell which VIP to answer from; give each service its own backend port | BACKEND_NEW SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.3 SVC_PORT=u16:53 BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:53 BE_FALLBACK=flag
set of an unknown backend | ENOENT: no such backend in this service | BACKEND_SET $TCP $BE BE_WEIGHT=u16:5
max-conns past the table's size | ERANGE attr=BE_MAX_CONNS: integer out of range | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80 BE_MAX_CONNS=u32:67108865
max-conns as u16 | EINVAL attr=BE_MAX_CONNS: invalid attribute length | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80 BE_MAX_CONNS=u16:5
min-conns without max-conns | EINVAL attr=BE_MIN_CONNS: min-conns needs a max-conns | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80 BE_MIN_CONNS=u32:1
min-conns above max-conns | ERANGE attr=BE_MIN_CONNS: min-conns is above max-conns | BACKEND_NEW $TCP $BE BE_MAX_CONNS=u32:2 BE_MIN_CONNS=u32:3
max-conns on a stateless service | EOPNOTSUPP attr=BE_MAX_CONNS: a stateless service keeps no flows: no max-conns | BACKEND_SET SVC_PROTO=u8:17 SVC_ADDR4=ip:10.0.0.1 SVC_PORT=u16:53 BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:53 BE_MAX_CONNS=u32:2
a good weight beside bad limits: neither applies | ERANGE attr=BE_MIN_CONNS: min-conns is above max-conns | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80 BE_WEIGHT=u16:5 BE_MAX_CONNS=u32:2 BE_MIN_CONNS=u32:3
set without anything to change | EINVAL: nothing to change: give a weight, a health, a check or connection limits | BACKEND_SET $TCP BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80
del of an unknown backend | ENOENT: no such backend in this service | BACKEND_DEL $TCP $BE
settings set with nothing | EINVAL: nothing to set | SETTINGS_SET
flows of a backend without its service | EINVAL: a backend is named within a service | --dump FLOW_GET BE_ADDR4=ip:10.0.2.11 BE_PORT=u16:80
flows of an unknown service | ENOENT: no such service | --dump FLOW_GET $NEW
flush of an unknown backend | ENOENT: no such backend in this service, nor flows of one | FLOW_FLUSH $TCP $BE
backends of an unknown service | ENOENT: no such service | --dump BACKEND_GET $NEW
pick without a client | EINVAL missing=FLOW_CADDR4: a client is named by its address and port | BACKEND_PICK $TCP
pick for a client of 5 bytes | ERANGE attr=FLOW_CADDR4: binary attribute size out of range | BACKEND_PICK $TCP FLOW_CADDR4=hex:c000020101
pick of an unknown service | ENOENT: no such service | BACKEND_PICK $NEW FLOW_CADDR4=ip:192.0.2.1
pick by rr for a client with no flow | ENOENT: no flow or template of this client, and rr, wrr, lc and wlc choose when a flow begins: only sh and mh pick by the client | BACKEND_PICK $TCP FLOW_CADDR4=ip:192.0.2.1 FLOW_CPORT=u16:1000
EOF
tap /tmp/matrix
check_eq "every case was run" "$(grep -c "^ok - \|^not ok - " /tmp/matrix)" 92

BASE=$(state)
# Callers without CAP_NET_ADMIN over this namespace: a plain user, and root
# of a user namespace of its own (which does not own this network namespace).
NOBODY="setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all"
for cmd in "SERVICE_NEW $NEW" "SERVICE_DEL $TCP" "--dump SERVICE_GET" \
	"--dump FLOW_GET" "FLOW_FLUSH" "SETTINGS_GET" "INFO_GET" \
	"BACKEND_PICK $TCP FLOW_CADDR4=ip:192.0.2.1"; do
	# shellcheck disable=SC2086
	AS=$NOBODY bad "unprivileged: $cmd" "EPERM" $cmd
	# shellcheck disable=SC2086
	AS="unshare -U -r" bad "user namespace root: $cmd" "EPERM" $cmd
done
AS=$NOBODY bad "unprivileged: joining the events group" \
	"EPERM" --join
AS="unshare -U -r" bad "user namespace root: joining the events group" \
	"EPERM" --join
check_eq "root joins the events group" "$(genl --join)" "ok"

# Root of a user namespace that owns a network namespace of its own
# configures that one, and only that one.
check_eq "a user namespace's own network namespace is its to configure" \
	"$(unshare -U -r -n sh -c "$L4LBADM service add tcp 10.9.9.9:80 &&
		$L4LBADM save | grep service")" \
	"service add tcp 10.9.9.9:80 sched rr"
check_eq "and the host's configuration did not change" "$(state)" "$BASE"

# What such a namespace may hold: max-flows 65536 at most (and so by
# default), 256 services; refused with one line, nothing changed.
userns() { unshare -U -r -n sh -c "$*"; }
check_eq "a user namespace's network namespace holds 65536 flows by default" \
	"$(userns "$L4LBADM settings" | awk '$1 == "max-flows" { print $2 }')" 65536
check_eq "and may not raise it" \
	"$(userns "$L4LBADM set max-flows 65537 2>&1; echo rc=\$?")" \
	"l4lbadm: set: max-flows above the module's unpriv_max_flows needs a namespace of the initial user namespace
rc=1"
for i in $(seq 0 256); do
	echo "service add tcp 10.7.$((i / 200)).$((i % 200)):80"
done > /tmp/many.conf
check_eq "257 services: refused whole, none added" \
	"$(userns "$L4LBADM restore /tmp/many.conf 2>&1; echo rc=\$?; $L4LBADM save | grep -c service")" \
	"l4lbadm: restore: line 257: service add: namespace has the most services it may hold
rc=1
0"

finish

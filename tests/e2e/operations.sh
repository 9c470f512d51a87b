#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# guest-timeout: 1800
#
# The bad hours: servers die, are deleted, drained, flap; the daemon is
# reloaded and restarted; an operator reads metrics and migrates from IPVS.
#
#  1. UDP sessions move off a backend that is down (down-flows keep) or
#     deleted, and `backend leave` moves them instead of waiting: a client
#     that keeps sending is never black-holed.
#  2. The flows of a deleted backend go on, are listed and flushed by its
#     address.
#  3. down-flows reset: the client of a flow whose backend is down gets a
#     RST at its next packet.
#  4. A SYN retransmitted to a flow whose backend went down, was deleted or
#     drained is scheduled afresh; a thousand connections from one pinned
#     client port across drain, down and delete, none slow.
#  5. stats -o prometheus, read by the Prometheus client's own parser.
#  6. healthd: alternating checks change nothing; a reload keeps a failing
#     backend down; a restart with flows open and a backend drained changes
#     nothing.
#  7. import-ipvsadm of what ipvsadm-save printed for a real IPVS setup;
#     import-keepalived apply of the keepalived.conf samples, saved back
#     exactly, healthd running their checks, a refused file changing
#     nothing.
#  8. bash completion of services and backends.
#
#   cl 10.0.1.2 (+ .10-.15) --- lb (VIP 10.0.0.1) --- b1 b2 b3

. "$L4LB_REPO/tests/lib/e2e.sh"

STREAM=$L4LB_REPO/tests/tools/stream.py
OPS=$L4LB_REPO/tests/tools/ops.py

load_l4lb
topo 3
for i in 1 2 3; do
	serve "b$i" "b$i" 80
	serve "b$i" "b$i" 7777
done
serve b1 b1 81
check "udp service" lb service add udp $VIP:7777 sched rr
check "tcp service" lb service add tcp $VIP:80
for i in 1 2 3; do
	check "udp backend b$i" lb backend add udp $VIP:7777 "10.0.2.1$i:7777"
	check "tcp backend b$i" lb backend add tcp $VIP:80 "10.0.2.1$i:80"
done
for k in 0 1 2 3 4 5; do
	ip -n cl addr add "10.0.1.1$k/24" dev veth0
done

# drop NS PROTO PORT: NS's server stops answering (its packets vanish).
drop() {
	ip netns exec "$1" nft "add table inet ops; add chain inet ops in { type filter hook input priority 0; }; add rule inet ops in $2 dport $3 drop"
}
undrop() { ip netns exec "$1" nft delete table inet ops; }
# udp_backends: the backends of the UDP service's sessions, sorted, unique.
udp_backends() {
	lb -j flows udp $VIP:7777 |
		python3 -c 'import json,sys; print(" ".join(sorted({f["backend"] for f in json.load(sys.stdin)})))'
}

# 1. Six UDP sessions (six client addresses), two on each backend.
mkfifo /tmp/ops-udp-in
cl python3 "$STREAM" udp $VIP 7777 6 10.0.1.10 < /tmp/ops-udp-in \
	> /tmp/ops-udp &
T_PIDS+=($!)
exec 8> /tmp/ops-udp-in
wait_for "six sessions answered" 30 grep -q ^ready /tmp/ops-udp
# round LABEL: one round of the sessions; prints its line (30 s at most).
round() {
	local i

	echo "$1" >&8
	for i in $(seq 200); do
		grep -m1 "^$1 " /tmp/ops-udp && return
		sleep 0.2
	done
	echo "$1 (no answer)"
}
check_eq "round robin: two sessions a backend" "$(round start)" \
	"start ok=6 broken=0 moved=0"
check_eq "down-flows is keep (the default)" \
	"$(lb -j settings | python3 -c 'import json,sys; print(json.load(sys.stdin)["down-flows"])')" keep
drop b1 udp 7777
check "b1 dies and its checker marks it down" \
	lb backend set udp $VIP:7777 10.0.2.11:7777 health down
check_eq "b1's two sessions move and are answered; none is lost" \
	"$(round down)" "down ok=6 broken=0 moved=2"
check "b2 is deleted (a rollout)" lb backend del udp $VIP:7777 10.0.2.12:7777
line=$(round deleted)
check "b2's sessions move too: every session answered ($line)" \
	grep -q '^deleted ok=6 broken=0 moved=[2-6]$' <<< "$line"
check_eq "every session is on b3, the one left" "$(udp_backends)" \
	"10.0.2.13:7777"
undrop b1
check "b1 is back" lb backend set udp $VIP:7777 10.0.2.11:7777 health up
check "b2 is back" lb backend add udp $VIP:7777 10.0.2.12:7777
start=$SECONDS
check "b3 leaves its pool: its busy sessions are moved, not waited for" \
	lb backend leave udp $VIP:7777 10.0.2.13:7777 timeout 60
check "leave took $((SECONDS - start)) s, not its 60 s timeout" \
	test $((SECONDS - start)) -lt 20
check_eq "after leave every session is answered, by b1 or b2" \
	"$(round left | sed 's/ moved=.*//')" "left ok=6 broken=0"
check_eq "no session on b3" "$(udp_backends | grep -c 10.0.2.13)" 0
exec 8>&-

# 2. A held connection; its backend is deleted under it. Its flow, closing
# once the connection ends, must outlive a loaded guest's slow steps up to
# the flush (10 s did not, beside three other guests).
lb set timeout-closing 300
mkfifo /tmp/ops-hold
cl "$ECHO" tcp $VIP 80 100 - < /tmp/ops-hold > /tmp/ops-held &
held=$!
exec 7> /tmp/ops-hold
established() {
	lb -j flows tcp $VIP:80 |
		python3 -c 'import json,sys; print(" ".join(f["backend"] for f in json.load(sys.stdin) if f["state"] == "established"))'
}
wait_for "a held connection" 10 sh -c "[ -s /tmp/ops-held ]"
be=$(established)
check "its backend $be is deleted" lb backend del tcp $VIP:80 "$be"
exec 7>&-
check "the connection goes on: its next bytes echo intact" wait $held
check_eq "the deleted backend's flow is listed by its address" \
	"$(lb -j flows tcp $VIP:80 "$be" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 1
check "and flushed by it" lb flush tcp $VIP:80 "$be"
check_eq "none left" \
	"$(lb -j flows tcp $VIP:80 "$be" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')" 0
check_err "a backend neither listed nor with flows is unknown" \
	"l4lbadm: flush: no such backend in this service, nor flows of one" \
	lb flush tcp $VIP:80 "$be"
check "it comes back" lb backend add tcp $VIP:80 "$be"
lb set timeout-closing 10

# 3. probe MODE: a connection whose backend goes down, then the client
# speaks; prints what it got.
mkfifo /tmp/ops-probe-in
probe() {
	local name

	lb set down-flows "$1"
	rm -f /tmp/ops-probe
	cl python3 "$OPS" reset-probe $VIP 80 5 < /tmp/ops-probe-in \
		> /tmp/ops-probe &
	exec 9> /tmp/ops-probe-in
	for _ in $(seq 50); do
		grep -q ^ready /tmp/ops-probe && break
		sleep 0.2
	done
	name=$(awk '/^ready/ { print $2 }' /tmp/ops-probe)
	lb backend set tcp $VIP:80 "10.0.2.1${name#b}:80" health down
	echo go >&9
	exec 9>&-
	wait $!
	tail -1 /tmp/ops-probe
	lb backend set tcp $VIP:80 "10.0.2.1${name#b}:80" health up
}
backend_down() {
	lb_json_of stats '[x for x in s["services"] if x["proto"] == "tcp" and x["port"] == 80][0]["stats"]["drops"]["backend_down"]'
}
before=$(backend_down)
got=$(probe keep)
retrans=$(ip netns exec cl nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
check "down-flows keep: the flow goes on, served by the server ($got)" \
	grep -q '^echo' <<< "$got"
got=$(probe reset)
check "down-flows reset: the client is reset at its next packet ($got)" \
	grep -q '^reset' <<< "$got"
check_eq "not by its own retransmissions: at the first one" \
	"$(ip netns exec cl nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')" "$retrans"
check "and the drop is counted as backend_down" test "$(backend_down)" -gt "$before"
got=$(probe drop)
check_eq "down-flows drop: the client hears nothing" "$got" silent
lb set down-flows keep

# 4. syn_retry WHAT CMD...: a connection's SYN goes to b3, whose server
# drops it; then CMD (b3 down, deleted or drained, b1 able to take it):
# the retransmitted SYN reaches b1.
drop b3 tcp 81
check "a service whose backend b3 drops SYNs" lb service add tcp $VIP:81
syn_seen() {
	lb -j flows tcp $VIP:81 | grep -q '"backend":"10.0.2.13:81".*"state":"syn-seen"'
}
syn_retry() {
	local what=$1 got

	shift
	lb backend set tcp $VIP:81 10.0.2.11:81 weight 0
	# 30 s: SYNs go again at 1, 3, 7 and 15 s, and a loaded guest may
	# take several to make the change below (8 s was seen too short).
	cl python3 "$OPS" connect $VIP 81 30 > /tmp/ops-connect &
	wait_for "$what: the first SYN is b3's" 60 syn_seen
	lb backend set tcp $VIP:81 10.0.2.11:81 weight 1
	"$@"
	wait $!
	got=$(cat /tmp/ops-connect)
	check "$what: the retransmitted SYN is scheduled afresh, to b1 ($got)" \
		grep -q '^b1 ' <<< "$got"
	lb flush tcp $VIP:81
}
lb backend add tcp $VIP:81 10.0.2.13:81
lb backend add tcp $VIP:81 10.0.2.11:81
syn_retry "b3 down" lb backend set tcp $VIP:81 10.0.2.13:81 health down
lb backend set tcp $VIP:81 10.0.2.13:81 health up
syn_retry "b3 deleted" lb backend del tcp $VIP:81 10.0.2.13:81
lb backend add tcp $VIP:81 10.0.2.13:81
syn_retry "b3 drained" lb backend set tcp $VIP:81 10.0.2.13:81 weight 0
undrop b3

# The client's SYNs sent again: a connect made slow by the balancer (the
# first retransmission is 1 s late), counted by the kernel, not by a clock
# a loaded machine could slow down.
syn_retrans() {
	ip netns exec cl nstat -az TcpExtTCPSynRetrans | awk '/TCPSynRetrans/ { print $2 }'
}
# pinned COUNT WHAT BACKENDS: COUNT connections from client port 40000.
pinned() {
	local out before

	before=$(syn_retrans)
	out=$(cl python3 "$OPS" pinned $VIP 80 40000 "$1")
	check_eq "$2: $1 connections from one port, none failed" \
		"$(sed -n 3p <<< "$out")" "failed 0"
	check_eq "$2: no SYN sent twice (the slowest connect: $(sed -n 2p <<< "$out" | cut -d' ' -f2) s)" \
		"$(syn_retrans)" "$before"
	check_eq "$2: served by $3" "$(sed -n 1p <<< "$out" | sed 's/:[0-9]*//g')" "$3"
}
pinned 250 "all up" "b1 b2 b3"
lb backend set tcp $VIP:80 10.0.2.11:80 weight 0
pinned 250 "b1 drained" "b2 b3"
lb backend set tcp $VIP:80 10.0.2.11:80 weight 1
lb backend set tcp $VIP:80 10.0.2.12:80 health down
pinned 250 "b2 down" "b1 b3"
lb backend set tcp $VIP:80 10.0.2.12:80 health up
lb backend del tcp $VIP:80 10.0.2.13:80
pinned 250 "b3 deleted" "b1 b2"
lb backend add tcp $VIP:80 10.0.2.13:80

# 5. Metrics, as node_exporter's textfile collector would read them. One
# UDP session, whatever section 1 left: the service flushed, then a client
# address speaks once.
lb flush udp $VIP:7777
cl "$ECHO" udp $VIP 7777 1 > /dev/null
lb backend set tcp $VIP:80 10.0.2.12:80 health down
lb backend set tcp $VIP:80 10.0.2.13:80 weight 0
lb stats -o prometheus > /tmp/ops.prom
lb -j stats > /tmp/ops-stats.json
lb -j settings > /tmp/ops-settings.json
check "stats -o prometheus: parsed by prometheus_client, every value right" \
	python3 - /tmp/ops.prom /tmp/ops-stats.json /tmp/ops-settings.json <<'EOF'
import json, re, sys
from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1]).read()
stats = json.load(open(sys.argv[2]))
settings = json.load(open(sys.argv[3]))
fams = {f.name: f for f in text_string_to_metric_families(text)}
bad = []
def want(ok, what):
    if not ok:
        bad.append(what)
def value(name, **labels):
    for f in fams.values():
        for s in f.samples:
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items()):
                return s.value
    bad.append("no sample %s %s" % (name, labels))
for f in fams.values():
    want(re.fullmatch(r"l4lb_[a-z_]+", f.name), "name " + f.name)
    want(f.documentation, "help of " + f.name)
    for s in f.samples:
        want(f.type != "counter" or s.name.endswith("_total"), "counter " + s.name)
want(value("l4lb_table_max_flows") == settings["max-flows"], "max-flows")
want(text.count("# TYPE l4lb_service_drops_total counter") == 1, "one drops family")
tcp = dict(proto="tcp", service="10.0.0.1:80")
svc = [s for s in stats["services"] if s["proto"] == "tcp" and s["port"] == 80][0]
st = svc["stats"]
want(value("l4lb_service_connections_total", **tcp) == st["conns"], "conns")
want(value("l4lb_service_packets_total", direction="in", **tcp) == st["pkts_in"], "pkts_in")
want(value("l4lb_service_bytes_total", direction="out", **tcp) == st["bytes_out"], "bytes_out")
want(value("l4lb_service_drops_total", reason="backend_down", **tcp) == st["drops"]["backend_down"] > 0, "backend_down")
for b in svc["backends"]:
    lb = dict(backend="%s:%d" % (b["address"], b["port"]), **tcp)
    want(value("l4lb_backend_connections_total", **lb) == b["stats"]["conns"], "be conns " + lb["backend"])
want(value("l4lb_backend_up", backend="10.0.2.12:80", **tcp) == 0, "b2 down")
want(value("l4lb_backend_up", backend="10.0.2.11:80", **tcp) == 1, "b1 up")
want(value("l4lb_backend_weight", backend="10.0.2.13:80", **tcp) == 0, "b3 drained")
want(value("l4lb_flows", proto="udp") == 1, "udp flows: the one session")
want(value("l4lb_flows", proto="tcp") ==
     sum(s.value for s in fams["l4lb_service_flows"].samples if s.labels["proto"] == "tcp"),
     "tcp flows: the sum of the TCP services'")
# The TCP service always had a backend up and took at most a few thousand
# flows, so none was refused for want of either.
for reason, want_value in (("no_backend", 0), ("table_full", 0), ("no_memory", 0)):
    want(value("l4lb_service_drops_total", reason=reason, **tcp) == st["drops"][reason] == want_value,
         "drops %s: %s, %s wanted" % (reason, st["drops"][reason], want_value))
for reason in ("no_flow", "stray", "clash"):
    want(value("l4lb_service_drops_total", reason=reason, **tcp) == st["drops"][reason],
         "drops " + reason)
print("# drops of tcp 10.0.0.1:80:", st["drops"])
for b in bad:
    print(b)
sys.exit(bool(bad))
EOF
lb backend set tcp $VIP:80 10.0.2.12:80 health up
lb backend set tcp $VIP:80 10.0.2.13:80 weight 1
check_err "stats: an unknown format is named" \
	"l4lbadm: stats: unknown format 'xml': use text, json or prometheus" \
	lb stats -o xml

# 6. healthd. b1:82 passes and fails in turn (a command's file toggles);
# b2:83 has no server: it fails every check. The timeouts of the checks
# that should pass are long: a guest slowed by a busy host must not turn
# a slow pass into a failure (two in a row take b1:82 down).
lb service add tcp $VIP:82
lb backend add tcp $VIP:82 10.0.2.11:82
lb service add tcp $VIP:83
lb backend add tcp $VIP:83 10.0.2.12:83
rm -f /tmp/alt /tmp/alt.count
cat > /tmp/ops-healthd.conf <<EOF
check tcp $VIP:82 exec "echo >> /tmp/alt.count; if [ -e /tmp/alt ]; then rm /tmp/alt; exit 1; fi; : > /tmp/alt" interval 0.2 timeout 30 rise 2 fall 2
check tcp $VIP:83 connect interval 0.2 timeout 0.5 rise 2 fall 2
check tcp $VIP:80 connect interval 0.5 timeout 30 rise 2 fall 2
EOF
healthd() {
	# Not holding a held connection's FIFO open (fd 7).
	ip netns exec lb "$L4LBADM" healthd /tmp/ops-healthd.conf \
		2>> /tmp/ops-healthd.log 7>&- &
	hd=$!
	T_PIDS+=($hd)
}
health_of() {
	lb_json "[b['health'] for x in s if x['port'] == $1 for b in x['backends']][0]"
}
healthd
checks() { [ "$(cat /tmp/alt.count 2>/dev/null | wc -l)" -ge "$1" ]; }
wait_for "twenty alternating checks" 60 checks 20
check_eq "alternating checks never change its state (rise 2, fall 2)" \
	"$(grep -c '10.0.0.1:82 10.0.2.11:82: \(up\|down\) after' /tmp/ops-healthd.log)" 0
check_eq "it is up, as it began" "$(health_of 82)" up
b2_83_down() { [ "$(health_of 83)" = down ]; }
wait_for "b2:83 fails its checks: down" 60 b2_83_down
sed -i 's/interval 0.2 timeout 0.5 rise 2 fall 2/interval 0.3 timeout 0.5 rise 1 fall 2/' \
	/tmp/ops-healthd.conf
n=$(wc -l < /tmp/alt.count)
kill -HUP $hd
wait_for "the reload rereads the file" 60 sh -c \
	"[ \$(grep -c 'checks from /tmp/ops-healthd.conf' /tmp/ops-healthd.log) = 2 ]"
wait_for "ten checks after the reload" 30 checks $((n + 10))
check_eq "the reload never brought the failing b2:83 back" "$(health_of 83)" down
check_eq "nor did its log say so" \
	"$(grep -c '10.0.2.12:83: up' /tmp/ops-healthd.log)" 0

# A restart with a connection open and a backend drained.
mkfifo /tmp/ops-hold2
cl "$ECHO" tcp $VIP 80 100 - < /tmp/ops-hold2 > /tmp/ops-held2 &
held=$!
exec 7> /tmp/ops-hold2
wait_for "a held connection" 60 sh -c "[ -s /tmp/ops-held2 ]"
lb backend set tcp $VIP:80 10.0.2.13:80 weight 0
state() {
	lb_json "[(x['port'], x['flows'], [(b['address'], b['weight'], b['health']) for b in x['backends']]) for x in s]"
}
before=$(state)
kill $hd
wait $hd
healthd
wait_for "the restarted daemon checks again" 60 sh -c \
	"[ \$(grep -c 'checks from /tmp/ops-healthd.conf' /tmp/ops-healthd.log) = 3 ]"
n=$(wc -l < /tmp/alt.count)
wait_for "ten checks after the restart" 30 checks $((n + 10))
check_eq "the restart changed no weight, health or flow" "$(state)" "$before"
exec 7>&-
check "the held connection goes on" wait $held
kill $hd
lb backend set tcp $VIP:80 10.0.2.13:80 weight 1

# 7. IPVS, configured with ipvsadm in a namespace of its own, saved.
ns_add ipvs imp imp2
modprobe -a ip_vs ip_vs_rr ip_vs_wrr ip_vs_mh
ipvs() { ip netns exec ipvs ipvsadm "$@"; }
ipvs -A -t 10.0.0.1:80 -s wrr
ipvs -a -t 10.0.0.1:80 -r 10.0.2.11:80 -m -w 3
ipvs -a -t 10.0.0.1:80 -r 10.0.2.12:80 -m -w 0
ipvs -A -u 10.0.0.1:53 -s rr -o
ipvs -a -u 10.0.0.1:53 -r 10.0.2.11:53 -m
ipvs -A -t 10.0.0.1:443 -s mh -b mh-port
ipvs -a -t 10.0.0.1:443 -r 10.0.2.12:443 -m -w 2
ipvs -A -t 10.0.0.1:81 -s rr -p 120 -M 255.255.255.0
ipvs -a -t 10.0.0.1:81 -r 10.0.2.11:81 -m
# A real server shared by two TCP services: one backend of each.
ipvs -A -t 10.0.0.2:80 -s rr
ipvs -a -t 10.0.0.2:80 -r 10.0.2.11:80 -m
ip netns exec ipvs ipvsadm-save -n > /tmp/ipvs.save
echo "# ipvsadm-save -n:"
sed 's/^/#   /' /tmp/ipvs.save
want=$(sort <<'EOF'
service add tcp 10.0.0.1:80 sched wrr local-clients
backend add tcp 10.0.0.1:80 10.0.2.11:80 weight 3
backend add tcp 10.0.0.1:80 10.0.2.12:80 weight 0
service add udp 10.0.0.1:53 sched rr stateless
backend add udp 10.0.0.1:53 10.0.2.11:53 weight 1
service add tcp 10.0.0.1:443 sched mh hash-port local-clients
backend add tcp 10.0.0.1:443 10.0.2.12:443 weight 2
service add tcp 10.0.0.1:81 sched rr persist 120 netmask 24 local-clients
backend add tcp 10.0.0.1:81 10.0.2.11:81 weight 1
service add tcp 10.0.0.2:80 sched rr local-clients
backend add tcp 10.0.0.2:80 10.0.2.11:80 weight 1
EOF
)
check_eq "import-ipvsadm prints the equivalent lines" \
	"$("$L4LBADM" import-ipvsadm /tmp/ipvs.save | sort)" "$want"
check "import-ipvsadm apply" \
	ip netns exec imp "$L4LBADM" import-ipvsadm apply /tmp/ipvs.save
check_eq "what it applied saves as the same lines (UDP's default timeout)" \
	"$(ip netns exec imp "$L4LBADM" save | grep -v '^set' | sed 's/ timeout 60 / /' | sort)" "$want"
ipvs -A -f 7 -s rr
ipvs -A -t 10.0.0.3:80 -s rr
ipvs -a -t 10.0.0.3:80 -r 10.0.2.11:80 -g
ipvs -a -t 10.0.0.3:80 -r 10.0.2.12:80 -i
ipvs -A -u 10.0.0.3:53 -s rr -o
ipvs -a -u 10.0.0.3:53 -r 10.0.2.11:53 -m
ip netns exec ipvs ipvsadm-save -n > /tmp/ipvs-bad.save
ip netns exec imp2 "$L4LBADM" import-ipvsadm apply /tmp/ipvs-bad.save \
	> /tmp/imp.out 2> /tmp/imp.err && rc=0 || rc=$?
echo "# import-ipvsadm of a setup with no equivalent:"
sed 's/^/#   /' /tmp/imp.err
check_eq "what has no equivalent: an exit of 1, nothing printed" "$rc $(wc -c < /tmp/imp.out)" "1 0"
for what in "firewall-mark services have no equivalent" \
	    "direct routing (-g) has no equivalent" "tunnel forwarding (-i) has no equivalent" \
	    "a UDP real server of two UDP services: its answers name only the client"; do
	check_eq "named in one line: $what" "$(grep -cF "$what" /tmp/imp.err)" 1
done
check_eq "and nothing applied" "$(ip netns exec imp2 "$L4LBADM" save | grep -vc '^set')" 0
ipvs -C

# import-keepalived apply: the samples of tests/import (checked there line
# by line on the host) in a namespace of their own, saved back exactly.
KA=$L4LB_REPO/tests/data/keepalived
ns_add ka
for f in tcp-pool udp-dns http misc ipv6 shared; do
	check "import-keepalived apply $f.conf" ip netns exec ka \
		"$L4LBADM" import-keepalived apply "$KA/$f.conf" healthd "/tmp/ka-$f.healthd"
	check "and its healthd file" cmp "$KA/$f.healthd" "/tmp/ka-$f.healthd"
done
check_eq "save prints back the lines import-keepalived printed" \
	"$(ip netns exec ka "$L4LBADM" save | grep -v '^set ' | sort)" \
	"$(cat "$KA"/{tcp-pool,udp-dns,http,misc,ipv6,shared}.l4lb | sort)"
before=$(ip netns exec ka "$L4LBADM" save)
ip netns exec ka "$L4LBADM" import-keepalived apply "$KA/refused.conf" \
	healthd /tmp/ka-refused.healthd > /tmp/ka.out 2> /tmp/ka.err && rc=0 || rc=$?
check_eq "a refused file: exit 1, nothing printed, no healthd file" \
	"$rc $(wc -c < /tmp/ka.out) $(ls /tmp/ka-refused.healthd* 2> /dev/null)" "1 0 "
check "its refusals as on the host" cmp \
	<(sed 's/nothing printed$/nothing applied/' "$KA/refused.err") \
	<(sed "s|$KA/||" /tmp/ka.err)
check_eq "and nothing changed" "$(ip netns exec ka "$L4LBADM" save)" "$before"
# healthd runs the imported checks: the TCP pool's backends are not there,
# so the first connect check of each (at once) puts its failure beside it.
ip netns exec ka "$L4LBADM" healthd /tmp/ka-tcp-pool.healthd 2> /tmp/ka-hd.log &
kahd=$!
wait_for "healthd reads the imported checks" 10 \
	grep -q "4 checks from /tmp/ka-tcp-pool.healthd" /tmp/ka-hd.log
wait_for "and checks the imported backends" 15 sh -c \
	"[ \$(ip netns exec ka '$L4LBADM' list | grep -c 'connect: ') = 4 ]"
kill $kahd
wait $kahd

# 8. Completion asks l4lbadm for what the module has.
complete_words() {
	ip netns exec lb bash -c '. "$0"; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _l4lbadm; echo "${COMPREPLY[*]}"' \
		"$L4LB_REPO/tools/l4lbadm/l4lbadm.bash-completion" "$@"
}
check_eq "completion: the TCP services" \
	"$(complete_words "$L4LBADM" backend set tcp 10.0.0.1:8)" \
	"10.0.0.1:80 10.0.0.1:81 10.0.0.1:82 10.0.0.1:83"
check_eq "completion: a service's backends" \
	"$(complete_words "$L4LBADM" flush udp 10.0.0.1:7777 '')" \
	"10.0.2.11:7777 10.0.2.12:7777"
check_eq "completion: down-flows" \
	"$(complete_words "$L4LBADM" set down-flows '')" "keep drop reset"

finish

/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * l4lb: in-kernel layer-4 load balancer, generic netlink interface.
 *
 * Shared by the module (kmod/) and l4lbadm (tools/l4lbadm/). The family is
 * per network namespace; every command needs CAP_NET_ADMIN in the user
 * namespace that owns the network namespace. Attribute numbers and command
 * numbers are append-only.
 */
#ifndef _UAPI_LINUX_L4LB_H
#define _UAPI_LINUX_L4LB_H

#define L4LB_GENL_NAME		"l4lb"
#define L4LB_GENL_VERSION	1

/*
 * Multicast group: every change made through the family (service and
 * backend add, set and del, settings set) is sent to it as a message with
 * the command that made it and the object as it is after the change (as it
 * was, for a del). Joining needs CAP_NET_ADMIN like every command.
 */
#define L4LB_MCGRP_EVENTS	"events"

/**
 * enum l4lb_cmd - commands of the l4lb family
 * @L4LB_CMD_INFO_GET: reply with the module version (%L4LB_A_VERSION)
 * @L4LB_CMD_SERVICE_NEW: add a service; needs %L4LB_A_SVC_PROTO,
 *	%L4LB_A_SVC_ADDR4 or %L4LB_A_SVC_ADDR6, and %L4LB_A_SVC_PORT;
 *	%L4LB_A_SVC_SCHED optional
 * @L4LB_CMD_SERVICE_DEL: delete the service named by proto, address, port
 * @L4LB_CMD_SERVICE_GET: get one service (doit) or dump all of them
 * @L4LB_CMD_BACKEND_NEW: add a backend (%L4LB_A_BE_ADDR4, %L4LB_A_BE_PORT,
 *	optional %L4LB_A_BE_WEIGHT, default 1, %L4LB_A_BE_MAX_CONNS and
 *	%L4LB_A_BE_MIN_CONNS, default 0) to the service named by proto,
 *	address and port
 * @L4LB_CMD_BACKEND_SET: change a backend's weight (0 drains it), its
 *	health (%L4LB_A_BE_HEALTH, a health checker's verdict), the text of
 *	its last check (%L4LB_A_BE_CHECK) or its connection limits
 *	(%L4LB_A_BE_MAX_CONNS sets both limits, %L4LB_A_BE_MIN_CONNS 0 if
 *	absent, as ipvsadm -e does; %L4LB_A_BE_MIN_CONNS alone the lower
 *	one); at least one of them
 * @L4LB_CMD_BACKEND_DEL: take a backend out of its service; its flows stay
 * @L4LB_CMD_BACKEND_GET: dump the backends of the named service
 * @L4LB_CMD_FLOW_GET: dump the flows and sessions, of the named service if
 *	one is named, of the named backend of it if one is named too
 * @L4LB_CMD_FLOW_FLUSH: remove the flows, filtered like %L4LB_CMD_FLOW_GET;
 *	their next packets are scheduled afresh (TCP: dropped, no SYN; but
 *	adopted by sh and mh, see %L4LB_STATS_A_ADOPTED)
 * @L4LB_CMD_SETTINGS_GET: the namespace's settings and flow count
 * @L4LB_CMD_SETTINGS_SET: change any of the namespace's settings
 * @L4LB_CMD_BACKEND_PICK: which backend the named service gives a client
 *	(%L4LB_A_FLOW_CADDR4, %L4LB_A_FLOW_CPORT): its flow's if it has one,
 *	else its persistence template's (%L4LB_A_PICK_FLOW set in the reply
 *	for either), else sh's or mh's choice; what
 *	every balancer of an ECMP group must agree on; connection limits
 *	(%L4LB_A_BE_MAX_CONNS) are not applied: a full backend's clients are
 *	spilled by each balancer on its own count. Changes nothing
 * @L4LB_CMD_SERVICE_SET: change a service's persistence
 *	(%L4LB_A_SVC_PERSIST, %L4LB_A_SVC_PERSIST_MASK) or its flags of
 *	%L4LB_SVC_F_SETTABLE (%L4LB_A_SVC_FLAGS with %L4LB_A_SVC_FLAGS_MASK):
 *	at least one of them; turning persistence off or changing the mask
 *	drops the service's templates
 */
enum l4lb_cmd {
	L4LB_CMD_UNSPEC,
	L4LB_CMD_INFO_GET,
	L4LB_CMD_SERVICE_NEW,
	L4LB_CMD_SERVICE_DEL,
	L4LB_CMD_SERVICE_GET,
	L4LB_CMD_BACKEND_NEW,
	L4LB_CMD_BACKEND_SET,
	L4LB_CMD_BACKEND_DEL,
	L4LB_CMD_BACKEND_GET,
	L4LB_CMD_FLOW_GET,
	L4LB_CMD_FLOW_FLUSH,
	L4LB_CMD_SETTINGS_GET,
	L4LB_CMD_SETTINGS_SET,
	L4LB_CMD_BACKEND_PICK,
	L4LB_CMD_SERVICE_SET,

	__L4LB_CMD_MAX
};

#define L4LB_CMD_MAX (__L4LB_CMD_MAX - 1)

/**
 * enum l4lb_sched - how a service picks a backend for a new flow
 * @L4LB_SCHED_RR: round robin (default for TCP)
 * @L4LB_SCHED_WRR: weighted round robin
 * @L4LB_SCHED_LC: least connections
 * @L4LB_SCHED_WLC: weighted least connections
 * @L4LB_SCHED_SH: source address hash (default for UDP)
 * @L4LB_SCHED_MH: Maglev consistent hashing
 */
enum l4lb_sched {
	L4LB_SCHED_RR,
	L4LB_SCHED_WRR,
	L4LB_SCHED_LC,
	L4LB_SCHED_WLC,
	L4LB_SCHED_SH,
	L4LB_SCHED_MH,

	__L4LB_SCHED_MAX
};

#define L4LB_SCHED_MAX (__L4LB_SCHED_MAX - 1)

/* Service flags (%L4LB_A_SVC_FLAGS). */
#define L4LB_SVC_F_STATELESS	(1U << 0)	/* UDP only: no session table */
/* sh and mh hash the client's port too (TCP, stateless UDP): spread */
#define L4LB_SVC_F_HASH_PORT	(1U << 1)
/*
 * Processes on the balancer itself reaching the VIP are balanced too (at
 * LOCAL_OUT, as IPVS does); not with stateless. Changes in place
 * (%L4LB_CMD_SERVICE_SET with %L4LB_A_SVC_FLAGS_MASK)
 */
#define L4LB_SVC_F_LOCAL_CLIENTS	(1U << 2)
#define L4LB_SVC_F_ALL		(L4LB_SVC_F_STATELESS | L4LB_SVC_F_HASH_PORT | \
				 L4LB_SVC_F_LOCAL_CLIENTS)
/* What %L4LB_CMD_SERVICE_SET may change (%L4LB_A_SVC_FLAGS_MASK). */
#define L4LB_SVC_F_SETTABLE	L4LB_SVC_F_LOCAL_CLIENTS

#define L4LB_UDP_TIMEOUT_MIN	1
#define L4LB_UDP_TIMEOUT_MAX	3600
#define L4LB_WEIGHT_MAX		1000
/*
 * Persistence: a template lives up to 24 days after its last flow, the
 * most a deadline in 32-bit jiffies holds at HZ 1000.
 */
#define L4LB_PERSIST_MAX	(24U * 24 * 3600)
#define L4LB_TCP_TIMEOUT_MAX	86400
#define L4LB_MAX_FLOWS_MAX	(64U * 1024 * 1024)
#define L4LB_CHECK_LEN_MAX	64	/* %L4LB_A_BE_CHECK, with its NUL */
/* %L4LB_A_BE_MAX_CONNS and %L4LB_A_BE_MIN_CONNS: no more than a table holds */
#define L4LB_CONNS_LIMIT_MAX	(64U * 1024 * 1024)

/**
 * enum l4lb_health - a backend's health, as its checker last found it
 * @L4LB_HEALTH_UP: takes new flows (if its weight is above 0); the default
 * @L4LB_HEALTH_DOWN: failed its checks: no new flows; what happens to its
 *	flows is the namespace's %L4LB_A_DOWN_FLOWS
 */
enum l4lb_health {
	L4LB_HEALTH_UP,
	L4LB_HEALTH_DOWN,

	__L4LB_HEALTH_MAX
};

#define L4LB_HEALTH_MAX (__L4LB_HEALTH_MAX - 1)

/**
 * enum l4lb_down_flows - the flows of a backend that is down
 * @L4LB_DOWN_FLOWS_KEEP: go on as if it were up, until they end or expire
 *	(the default, as IPVS's expire_nodest_conn=0: a false alarm of a
 *	health check breaks no connection)
 * @L4LB_DOWN_FLOWS_DROP: are removed at their next packet (or by the
 *	sweep): a TCP SYN is scheduled afresh, other TCP packets are dropped
 *	(%L4LB_DROP_BACKEND_DOWN)
 * @L4LB_DOWN_FLOWS_RESET: as drop, but the client gets a TCP RST at its
 *	next packet (counted as %L4LB_DROP_BACKEND_DOWN), so it reconnects at
 *	once; the sweep leaves TCP flows to their client's next packet
 *
 * Whatever the setting, a UDP session whose backend is down or deleted
 * moves to a live backend at its next datagram (UDP has no connection to
 * break), and a TCP SYN reusing the ports of a flow whose backend is down,
 * deleted or drained (weight 0) is scheduled afresh.
 */
enum l4lb_down_flows {
	L4LB_DOWN_FLOWS_KEEP,
	L4LB_DOWN_FLOWS_DROP,
	L4LB_DOWN_FLOWS_RESET,

	__L4LB_DOWN_FLOWS_MAX
};

#define L4LB_DOWN_FLOWS_MAX (__L4LB_DOWN_FLOWS_MAX - 1)

/**
 * enum l4lb_drop_reason - why a packet of a service was dropped
 * @L4LB_DROP_NO_FLOW: TCP packet other than a SYN with no flow (rr, wrr,
 *	lc, wlc: sh and mh adopt it), or a reply of a flow that has just
 *	expired
 * @L4LB_DROP_NO_BACKEND: the pool has no backend with a weight above 0
 * @L4LB_DROP_TABLE_FULL: a new flow beyond the namespace's limit
 * @L4LB_DROP_NO_MEMORY: no memory for a new flow or to rewrite headers
 * @L4LB_DROP_STRAY: a packet from a backend's address and port that
 *	belongs to no flow (a flow flushed, expired or evicted under a
 *	connection the backend still holds; sh and mh adopt it instead):
 *	never let out unrewritten
 * @L4LB_DROP_CLASH: a new flow whose backend side is still held by an old
 *	flow of the same client (of a backend removed and added again, or
 *	the same client address and port to another service sharing the
 *	server: the server's stack would see one connection)
 * @L4LB_DROP_BACKEND_DOWN: a packet of a flow of a backend that is down,
 *	with %L4LB_DOWN_FLOWS_DROP
 * @L4LB_DROP_BACKENDS_FULL: a new flow (a SYN, a UDP session's first
 *	datagram) while every backend with a weight above 0 that is up is
 *	full (%L4LB_A_BE_MAX_CONNS)
 */
enum l4lb_drop_reason {
	L4LB_DROP_NO_FLOW,
	L4LB_DROP_NO_BACKEND,
	L4LB_DROP_TABLE_FULL,
	L4LB_DROP_NO_MEMORY,
	L4LB_DROP_BACKEND_DOWN,
	L4LB_DROP_STRAY,
	L4LB_DROP_CLASH,
	L4LB_DROP_BACKENDS_FULL,

	__L4LB_DROP_MAX
};

/**
 * enum l4lb_stats_attr - counters (nested in %L4LB_A_SVC_STATS and
 * %L4LB_A_BE_STATS), each a u64; "in" is client to backend
 * @L4LB_STATS_A_CONNS: flows (UDP: sessions) created
 * @L4LB_STATS_A_PKTS_IN: packets client to backend
 * @L4LB_STATS_A_BYTES_IN: bytes client to backend
 * @L4LB_STATS_A_PKTS_OUT: packets backend to client
 * @L4LB_STATS_A_BYTES_OUT: bytes backend to client
 * @L4LB_STATS_A_DROP_NO_FLOW: see &enum l4lb_drop_reason, likewise below
 * @L4LB_STATS_A_ADOPTED: flows of sh and mh services created from a packet
 *	other than a connection's first (a TCP packet without SYN, a
 *	backend's reply): connections another balancer began, or that
 *	outlived their flow; counted in %L4LB_STATS_A_CONNS too
 * @L4LB_STATS_A_DROP_BACKENDS_FULL: see &enum l4lb_drop_reason (services
 *	only: no backend was chosen)
 */
enum l4lb_stats_attr {
	L4LB_STATS_A_UNSPEC,
	L4LB_STATS_A_PAD,
	L4LB_STATS_A_CONNS,
	L4LB_STATS_A_PKTS_IN,
	L4LB_STATS_A_BYTES_IN,
	L4LB_STATS_A_PKTS_OUT,
	L4LB_STATS_A_BYTES_OUT,
	L4LB_STATS_A_DROP_NO_FLOW,
	L4LB_STATS_A_DROP_NO_BACKEND,
	L4LB_STATS_A_DROP_TABLE_FULL,
	L4LB_STATS_A_DROP_NO_MEMORY,
	L4LB_STATS_A_DROP_BACKEND_DOWN,
	L4LB_STATS_A_DROP_STRAY,
	L4LB_STATS_A_DROP_CLASH,
	L4LB_STATS_A_ADOPTED,
	L4LB_STATS_A_DROP_BACKENDS_FULL,

	__L4LB_STATS_A_MAX
};

#define L4LB_STATS_A_MAX (__L4LB_STATS_A_MAX - 1)

/**
 * enum l4lb_flow_state - a flow's state (%L4LB_A_FLOW_STATE)
 * @L4LB_FLOW_SYN_SEEN: TCP, SYN seen, no answer yet (half-open)
 * @L4LB_FLOW_ESTABLISHED: TCP, the client acknowledged the backend's SYN-ACK
 * @L4LB_FLOW_CLOSING: TCP, a FIN each way, or a RST, or a FIN of a flow never
 *	established
 * @L4LB_FLOW_UDP: a UDP session its backend has answered
 * @L4LB_FLOW_SYN_RECV: TCP, the backend's SYN-ACK seen, not the client's ACK
 * @L4LB_FLOW_UDP_UNREPLIED: a UDP session its backend has not answered yet
 * @L4LB_FLOW_ADOPTED: TCP, adopted from a client's packet without SYN
 *	(sh, mh), its backend not heard from yet
 * @L4LB_FLOW_ADOPTED_REPLY: TCP, adopted from a backend's packet (sh, mh),
 *	the client not heard from yet
 * @L4LB_FLOW_FIN_WAIT: TCP, established, then the client's FIN: the backend
 *	may still send (a half-closed connection)
 * @L4LB_FLOW_CLOSE_WAIT: TCP, established, then the backend's FIN: the
 *	client may still send
 * @L4LB_FLOW_UDP_REPLIED: a UDP session its backend has answered once, not
 *	yet assured (no packet either way 2 s or more after the answer)
 * @L4LB_FLOW_PERSIST: a persistence template: the backend a client (its
 *	address under the service's mask, client port 0) keeps; it expires
 *	%L4LB_A_SVC_PERSIST seconds after its last flow ended
 */
enum l4lb_flow_state {
	L4LB_FLOW_SYN_SEEN,
	L4LB_FLOW_ESTABLISHED,
	L4LB_FLOW_CLOSING,
	L4LB_FLOW_UDP,
	L4LB_FLOW_SYN_RECV,
	L4LB_FLOW_UDP_UNREPLIED,
	L4LB_FLOW_ADOPTED,
	L4LB_FLOW_ADOPTED_REPLY,
	L4LB_FLOW_FIN_WAIT,
	L4LB_FLOW_CLOSE_WAIT,
	L4LB_FLOW_UDP_REPLIED,
	L4LB_FLOW_PERSIST,
};

/**
 * enum l4lb_attr - attributes of the l4lb family
 * @L4LB_A_VERSION: string, the module's version (info-get reply)
 * @L4LB_A_SVC_PROTO: u8, IPPROTO_TCP or IPPROTO_UDP
 * @L4LB_A_SVC_ADDR4: 4 bytes, the virtual IPv4 address, network order
 * @L4LB_A_SVC_PORT: u16, the virtual port, host order, 1 to 65535
 * @L4LB_A_SVC_SCHED: u8, &enum l4lb_sched
 * @L4LB_A_SVC_FLAGS: u32, L4LB_SVC_F_*
 * @L4LB_A_SVC_UDP_TIMEOUT: u32, seconds a UDP session lives without
 *	packets, %L4LB_UDP_TIMEOUT_MIN to %L4LB_UDP_TIMEOUT_MAX (default 60)
 * @L4LB_A_SVC_STATS: nest of &enum l4lb_stats_attr (replies)
 * @L4LB_A_SVC_ACTIVE: u32, the service's flows now (replies)
 * @L4LB_A_BE_ADDR4: 4 bytes, the backend's IPv4 address, network order
 * @L4LB_A_BE_PORT: u16, the backend's port, host order, 1 to 65535; 0:
 *	the port the client sent to (IPVS's port 0), needed by a port range
 * @L4LB_A_BE_WEIGHT: u16, 0 (drain) to %L4LB_WEIGHT_MAX
 * @L4LB_A_BE_ACTIVE: u32, the backend's flows now (replies)
 * @L4LB_A_BE_STATS: nest of &enum l4lb_stats_attr (replies)
 * @L4LB_A_FLOW_CADDR4: 4 bytes, a flow's client address (replies)
 * @L4LB_A_FLOW_CPORT: u16, its client port, host order; 0 for a UDP
 *	session, which covers every port of the client, and for a
 *	persistence template (replies)
 * @L4LB_A_FLOW_STATE: u8, &enum l4lb_flow_state (replies)
 * @L4LB_A_FLOW_EXPIRES: u32, milliseconds until it expires if idle (replies)
 * @L4LB_A_MAX_FLOWS: u32, flows a namespace holds at most, 1 to
 *	%L4LB_MAX_FLOWS_MAX (default 1048576)
 * @L4LB_A_TIMEOUT_SYN: u32, seconds a half-open TCP flow lives, 1 to
 *	%L4LB_TCP_TIMEOUT_MAX (default 30); likewise the three below
 * @L4LB_A_TIMEOUT_ESTABLISHED: u32, idle established TCP flow (900)
 * @L4LB_A_TIMEOUT_CLOSING: u32, TCP flow after a FIN each way or a RST (10)
 * @L4LB_A_FLOWS: u32, flows in the namespace's table now (replies)
 * @L4LB_A_BE_HEALTH: u8, &enum l4lb_health
 * @L4LB_A_BE_HEALTH_SINCE: u32, seconds since the health last changed, or
 *	since the backend was added (replies)
 * @L4LB_A_BE_CHECK: string, the health checker's word on its last check,
 *	shorter than %L4LB_CHECK_LEN_MAX
 * @L4LB_A_DOWN_FLOWS: u32, &enum l4lb_down_flows (default keep)
 * @L4LB_A_HASH_SEED: u32, the seed of sh's and mh's hash of the client
 *	(default 0): balancers with the same seed and backends choose alike
 * @L4LB_A_PICK_FLOW: flag, the pick came from an existing flow (replies)
 * @L4LB_A_SVC_ADDR6: 16 bytes, the virtual IPv6 address; a service is
 *	named by %L4LB_A_SVC_ADDR4 or this, and is of that family
 * @L4LB_A_BE_ADDR6: 16 bytes, an IPv6 service's backend address (a
 *	service and its backends share a family)
 * @L4LB_A_FLOW_CADDR6: 16 bytes, an IPv6 flow's client address
 * @L4LB_A_TIMEOUT_FIN_WAIT: u32, idle TCP flow after one side's FIN, the
 *	other side still open (120)
 * @L4LB_A_BE_FALLBACK: flag; in %L4LB_CMD_BACKEND_NEW: the backend is the
 *	service's fallback (sorry) server, replacing the one it had: it takes
 *	the service's new flows only while no other backend is usable (up,
 *	weight above 0), and has no weight of its own; its UDP sessions move
 *	to the pool at their next datagram once a backend is usable again.
 *	In replies: the backend is the fallback server.
 * @L4LB_A_BE_MAX_CONNS: u32, 0 (no limit, the default) to
 *	%L4LB_CONNS_LIMIT_MAX: a backend with this many flows
 *	(%L4LB_A_BE_ACTIVE) is full and takes no new flow until it is back
 *	under %L4LB_A_BE_MIN_CONNS (IPVS's upper threshold, ipvsadm -x).
 *	Packets of its flows pass, adopted connections (sh, mh) too. Refused
 *	on a stateless service (no flows to count)
 * @L4LB_A_BE_MIN_CONNS: u32, 0 to %L4LB_A_BE_MAX_CONNS (IPVS's lower
 *	threshold, ipvsadm -y): a full backend takes new flows again once it
 *	has fewer; 0 (the default) is max - max / 4, rounded down, as IPVS.
 *	Refused without a %L4LB_A_BE_MAX_CONNS
 * @L4LB_A_BE_FULL: flag, the backend is full (replies); as last seen by
 *	a new flow of its service
 * @L4LB_A_SVC_PERSIST: u32, seconds a client keeps its backend after its
 *	last flow ended (IPVS -p, keepalived persistence_timeout), 0 (off,
 *	the default) to %L4LB_PERSIST_MAX; refused on a stateless service
 * @L4LB_A_SVC_PERSIST_MASK: u8, the prefix length of the client addresses
 *	that share a backend (IPVS -M, keepalived persistence_granularity),
 *	1 to 128, at most 32 for IPv4; default the whole address. Needs
 *	persistence
 * @L4LB_A_SVC_FLAGS_MASK: u32, in %L4LB_CMD_SERVICE_SET: the flags that
 *	%L4LB_A_SVC_FLAGS sets or clears, of %L4LB_SVC_F_SETTABLE only; the
 *	others stay
 * @L4LB_A_SVC_PORT_LAST: u16, host order: the service answers to every
 *	port from %L4LB_A_SVC_PORT to this one (a port range; 1 to 65535 is
 *	every port); absent: to %L4LB_A_SVC_PORT alone. A range's flows are
 *	one per destination port; it names its service whole (both ports);
 *	its backends have port 0 (%L4LB_A_BE_PORT): each keeps the port its
 *	client sent to. Ranges of one address and protocol do not overlap,
 *	nor hold a single-port service's port; at most 16 of them
 */
enum l4lb_attr {
	L4LB_A_UNSPEC,
	L4LB_A_VERSION,
	L4LB_A_SVC_PROTO,
	L4LB_A_SVC_ADDR4,
	L4LB_A_SVC_PORT,
	L4LB_A_SVC_SCHED,
	L4LB_A_SVC_FLAGS,
	L4LB_A_SVC_UDP_TIMEOUT,
	L4LB_A_SVC_STATS,
	L4LB_A_SVC_ACTIVE,
	L4LB_A_BE_ADDR4,
	L4LB_A_BE_PORT,
	L4LB_A_BE_WEIGHT,
	L4LB_A_BE_ACTIVE,
	L4LB_A_BE_STATS,
	L4LB_A_FLOW_CADDR4,
	L4LB_A_FLOW_CPORT,
	L4LB_A_FLOW_STATE,
	L4LB_A_FLOW_EXPIRES,
	L4LB_A_MAX_FLOWS,
	L4LB_A_TIMEOUT_SYN,
	L4LB_A_TIMEOUT_ESTABLISHED,
	L4LB_A_TIMEOUT_CLOSING,
	L4LB_A_FLOWS,
	L4LB_A_BE_HEALTH,
	L4LB_A_BE_HEALTH_SINCE,
	L4LB_A_BE_CHECK,
	L4LB_A_DOWN_FLOWS,
	L4LB_A_HASH_SEED,
	L4LB_A_PICK_FLOW,
	L4LB_A_SVC_ADDR6,
	L4LB_A_BE_ADDR6,
	L4LB_A_FLOW_CADDR6,
	L4LB_A_TIMEOUT_FIN_WAIT,
	L4LB_A_BE_FALLBACK,
	L4LB_A_BE_MAX_CONNS,
	L4LB_A_BE_MIN_CONNS,
	L4LB_A_BE_FULL,
	L4LB_A_SVC_PERSIST,
	L4LB_A_SVC_PERSIST_MASK,
	L4LB_A_SVC_FLAGS_MASK,
	L4LB_A_SVC_PORT_LAST,

	__L4LB_A_MAX
};

#define L4LB_A_MAX (__L4LB_A_MAX - 1)

#endif /* _UAPI_LINUX_L4LB_H */

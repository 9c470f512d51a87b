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

/**
 * enum l4lb_cmd - commands of the l4lb family
 * @L4LB_CMD_INFO_GET: reply with the module version (%L4LB_A_VERSION)
 * @L4LB_CMD_SERVICE_NEW: add a service; needs %L4LB_A_SVC_PROTO,
 *	%L4LB_A_SVC_ADDR4 and %L4LB_A_SVC_PORT; %L4LB_A_SVC_SCHED optional
 * @L4LB_CMD_SERVICE_DEL: delete the service named by proto, address, port
 * @L4LB_CMD_SERVICE_GET: get one service (doit) or dump all of them
 */
enum l4lb_cmd {
	L4LB_CMD_UNSPEC,
	L4LB_CMD_INFO_GET,
	L4LB_CMD_SERVICE_NEW,
	L4LB_CMD_SERVICE_DEL,
	L4LB_CMD_SERVICE_GET,

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

/**
 * enum l4lb_attr - attributes of the l4lb family
 * @L4LB_A_VERSION: string, the module's version (info-get reply)
 * @L4LB_A_SVC_PROTO: u8, IPPROTO_TCP or IPPROTO_UDP
 * @L4LB_A_SVC_ADDR4: 4 bytes, the virtual IPv4 address, network order
 * @L4LB_A_SVC_PORT: u16, the virtual port, host order, 1 to 65535
 * @L4LB_A_SVC_SCHED: u8, &enum l4lb_sched
 */
enum l4lb_attr {
	L4LB_A_UNSPEC,
	L4LB_A_VERSION,
	L4LB_A_SVC_PROTO,
	L4LB_A_SVC_ADDR4,
	L4LB_A_SVC_PORT,
	L4LB_A_SVC_SCHED,

	__L4LB_A_MAX
};
#define L4LB_A_MAX (__L4LB_A_MAX - 1)

#endif /* _UAPI_LINUX_L4LB_H */

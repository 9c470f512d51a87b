/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_NETNS_H
#define _L4LB_NETNS_H

#include <linux/bitops.h>
#include <linux/hash.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>

#include "backend.h"
#include "conn.h"

/* A million flows by default: 56 MiB of entries, ~95 MiB all in. */
#define L4LB_DEFAULT_MAX_CONNS		(1024U * 1024U)
#define L4LB_DEFAULT_UDP_TIMEOUT	60

/*
 * What one namespace may hold. A namespace owned by another user namespace
 * than the initial one (`unshare -Urn` by any local user) gets less: its
 * services, backends and pools are charged to its owner's memory cgroup,
 * its flows too (netns.c), and max-flows cannot go above
 * l4lb_unpriv_max_flows there, as conntrack keeps nf_conntrack_max
 * read-only outside init_net.
 */
#define L4LB_MAX_SERVICES		65536U
#define L4LB_NET_MAX_BACKENDS		262144U
#define L4LB_UNPRIV_MAX_SERVICES	256U
#define L4LB_UNPRIV_MAX_BACKENDS	4096U
#define L4LB_UNPRIV_MAX_FLOWS		65536U

extern unsigned int l4lb_unpriv_max_flows;

/* Bits of each address filter (&l4lb_net.be_seen and the like): 4096. */
#define L4LB_SEEN_SHIFT			12

/*
 * The bit of an address filter for an IPv4 address, port and protocol.
 * Bits are set before the packet path can need them and never cleared (a
 * removed backend's or service's flows live on until they are swept):
 * a clear bit proves the packet is none of l4lb's, a false positive only
 * costs the lookups the filter saves.
 */
static inline unsigned int l4lb_seen_bit(__be32 addr, __be16 port, u8 proto)
{
	return hash_32((__force u32)addr ^ ((__force u32)port << 16 | proto),
		       L4LB_SEEN_SHIFT);
}

/*
 * An address as the filters take it: IPv4 as it is, IPv6 folded to 32
 * bits (both families share the filters: a collision is a false positive).
 */
static inline __be32 l4lb_addr_fold6(const struct in6_addr *addr)
{
	return (__force __be32)ipv6_addr_hash(addr);
}

static inline __be32 l4lb_addr_fold(const union nf_inet_addr *addr,
				    u8 family)
{
	return family == AF_INET6 ? l4lb_addr_fold6(&addr->in6) : addr->ip;
}

/* The same by address alone: asked before a packet is even parsed. */
static inline unsigned int l4lb_addr_bit(__be32 addr)
{
	return hash_32((__force u32)addr, L4LB_SEEN_SHIFT);
}

struct mem_cgroup;

/**
 * struct l4lb_net - l4lb's state in one network namespace
 * @lock: serialises every configuration change and dump in this netns
 * @services: services by key; the packet path looks up under RCU
 * @svc_list: the same services in the order they were added, for dumps;
 *	protected by @lock
 * @n_services: length of @svc_list; protected by @lock
 * @n_services6: how many of them are IPv6; protected by @lock
 * @n_backends: backends of every service here; protected by @lock
 * @n_local: services here with local-clients (local.c); protected by @lock
 * @n_local6: how many of them are IPv6; protected by @lock
 * @genid: bumped on every change, so a dump notices it was interrupted;
 *	protected by @lock
 * @hooks_on: L4LB_HOOKS_V4 and L4LB_HOOKS_V6: whose netfilter hooks are
 *	registered in this netns (only while it has a service of that
 *	family); L4LB_HOOKS_LOCAL4 and L4LB_HOOKS_LOCAL6 likewise, while
 *	@n_local counts one of that family; changed under @lock
 * @conn_orig: flows by client side (&struct l4lb_orig_key)
 * @conn_reply: the same flows by backend side (&struct l4lb_reply_key)
 * @departed: removed backends' keys, while their late packets may come
 *	(departed.c); changed under @lock, read under RCU
 * @backends: every backend by &struct l4lb_be_key: stateless services'
 *	replies are rewritten with it, and a backend's packet of no flow is
 *	known for one. A TCP server shared by several services is one
 *	backend of each, all under its key (a flow's reply names its own);
 *	a UDP key belongs to one service (l4lb_backend_add_limited());
 *	changed under @lock
 * @be_seen: a filter of every backend ever added here (l4lb_be_seen()):
 *	bits set under @lock, never cleared, read by the packet path
 * @vip_seen: the same of every service's address, port and protocol
 *	(l4lb_vip_seen()): what is not to a VIP is passed with no lookup
 * @be_addr_seen: @be_seen by address alone (l4lb_be_addr_seen())
 * @vip_addr_seen: @vip_seen by address alone (l4lb_vip_addr_seen())
 * @svc_ranges: the ranged services of each address and protocol
 *	(&struct l4lb_range_set); changed under @lock, read under RCU
 * @vip_range_seen: a filter of the address and protocol of every ranged
 *	service ever added here (l4lb_vip_range_seen()), as @vip_seen
 * @nr_conns: flows in the tables, counted against @max_conns
 * @max_conns: no new flow beyond this many
 * @timeout: jiffies a TCP flow lives idle, by &enum l4lb_conn_timeout
 * @down_flows: &enum l4lb_down_flows, what happens to the flows of a
 *	backend that is down
 * @hash_seed: seeds sh's and mh's hash of clients; 0 unless set, so that
 *	balancers agree with no configuration
 * @sweep: the expiry work (expiry.c)
 * @sweep_pos: the bucket of @conn_orig the sweep resumes at; owned by
 *	@sweep
 * @unpriv: owned by another user namespace than the initial one: the
 *	smaller limits above apply
 * @memcg: the memory cgroup new flows are charged to (that of who made
 *	the namespace, when @unpriv; of who first configured it, if it was
 *	there before the module), or NULL; a reference, put at exit
 * @net: the namespace this belongs to
 */
struct l4lb_net {
	struct mutex lock; /* serialises configuration changes and dumps */
	struct rhashtable services;
	struct list_head svc_list;
	unsigned int n_services;
	unsigned int n_services6;
	unsigned int n_backends;
	unsigned int n_local;
	unsigned int n_local6;
	u32 genid;
	u8 hooks_on;
	struct rhashtable conn_orig;
	struct rhashtable conn_reply;
	struct rhltable backends;
	struct rhashtable departed;
	DECLARE_BITMAP(be_seen, 1 << L4LB_SEEN_SHIFT);
	DECLARE_BITMAP(vip_seen, 1 << L4LB_SEEN_SHIFT);
	DECLARE_BITMAP(be_addr_seen, 1 << L4LB_SEEN_SHIFT);
	DECLARE_BITMAP(vip_addr_seen, 1 << L4LB_SEEN_SHIFT);
	struct rhashtable svc_ranges;
	DECLARE_BITMAP(vip_range_seen, 1 << L4LB_SEEN_SHIFT);
	atomic_t nr_conns;
	u32 max_conns;
	u32 timeout[L4LB_TIMEOUT_COUNT];
	bool unpriv;
	struct mem_cgroup *memcg;
	u32 down_flows;
	u32 hash_seed;
	struct delayed_work sweep;
	unsigned int sweep_pos;
	struct net *net;
};

extern unsigned int l4lb_net_id;

/* Every packet asks it: inline. Under RCU or with the netns pinned. */
static inline struct l4lb_net *l4lb_net(const struct net *net)
{
	return net_generic(net, l4lb_net_id);
}

/*
 * The packet path's filters (under RCU; see l4lb_seen_bit()): false means
 * the packet is from no backend, or to no VIP, that was ever added here.
 */
static inline bool l4lb_be_seen(const struct l4lb_net *ln, __be32 addr,
				__be16 port, u8 proto)
{
	return test_bit(l4lb_seen_bit(addr, port, proto), ln->be_seen);
}

static inline bool l4lb_vip_seen(const struct l4lb_net *ln, __be32 addr,
				 __be16 port, u8 proto)
{
	return test_bit(l4lb_seen_bit(addr, port, proto), ln->vip_seen);
}

/*
 * A ranged service's address and protocol (its port is any): asked only of
 * a packet to a port that no single-port filter bit claims.
 */
static inline bool l4lb_vip_range_seen(const struct l4lb_net *ln, __be32 addr,
				       u8 proto)
{
	return test_bit(l4lb_seen_bit(addr, 0, proto), ln->vip_range_seen);
}

/*
 * A packet from a backend's address and port, or from a portless
 * backend's address (its port 0 in the filter: it answers from whatever
 * port its client asked for). The second bit is only asked when the first
 * is clear: a ported backend's replies pay nothing for it.
 */
static inline bool l4lb_be_port_seen(const struct l4lb_net *ln, __be32 addr,
				     __be16 port, u8 proto)
{
	return l4lb_be_seen(ln, addr, port, proto) ||
	       l4lb_be_seen(ln, addr, 0, proto);
}

static inline bool l4lb_be_addr_seen(const struct l4lb_net *ln, __be32 addr)
{
	return test_bit(l4lb_addr_bit(addr), ln->be_addr_seen);
}

static inline bool l4lb_vip_addr_seen(const struct l4lb_net *ln, __be32 addr)
{
	return test_bit(l4lb_addr_bit(addr), ln->vip_addr_seen);
}

/* The most max-flows can be set to here. */
static inline u32 l4lb_net_max_flows(const struct l4lb_net *ln)
{
	return ln->unpriv ? READ_ONCE(l4lb_unpriv_max_flows) :
			    L4LB_MAX_FLOWS_MAX;
}

static inline unsigned int l4lb_net_max_services(const struct l4lb_net *ln)
{
	return ln->unpriv ? L4LB_UNPRIV_MAX_SERVICES : L4LB_MAX_SERVICES;
}

static inline unsigned int l4lb_net_max_backends(const struct l4lb_net *ln)
{
	return ln->unpriv ? L4LB_UNPRIV_MAX_BACKENDS : L4LB_NET_MAX_BACKENDS;
}

void l4lb_net_charge_caller(struct l4lb_net *ln);
int l4lb_netns_init(void);
void l4lb_netns_uninit(void);

#endif /* _L4LB_NETNS_H */

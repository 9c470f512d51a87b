/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_SERVICE_H
#define _L4LB_SERVICE_H

#include <asm/byteorder.h>
#include <linux/jiffies.h>
#include <linux/netfilter.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/types.h>

struct l4lb_net;
struct l4lb_pool;
struct l4lb_stats;

extern atomic_t l4lb_objects;

/**
 * struct l4lb_svc_key - what tells services apart: hashed and compared whole
 * @addr: the virtual address; an IPv4 address fills @addr.ip, the rest is
 *	0; an IPv6 one @addr.in6
 * @port: the virtual port, network order; a range's first port
 * @proto: IPPROTO_TCP or IPPROTO_UDP
 * @family: AF_INET or AF_INET6; keeps v4 and v6 keys apart
 */
struct l4lb_svc_key {
	union nf_inet_addr addr;
	__be16 port;
	u8 proto;
	u8 family;
};

/**
 * struct l4lb_service - one virtual service
 * @node: in &l4lb_net.services
 * @list: in &l4lb_net.svc_list
 * @key: what the service answers to
 * @pool: the backends new flows may go to; RCU, rebuilt under
 *	&l4lb_net.lock on every change
 * @backends: every backend, draining ones too; under &l4lb_net.lock
 * @n_backends: length of @backends; under &l4lb_net.lock
 * @fallback: the fallback (sorry) server, one of @backends, or NULL; under
 *	&l4lb_net.lock
 * @rr_pos: round robin's position, advanced by every new flow
 * @ref: one for the table, one per backend: backends and through them
 *	flows keep the service's memory after it is deleted
 * @udp_timeout: jiffies a UDP session lives without packets
 * @persist: persistence: 0 when off, else its seconds << 8 | the prefix
 *	length of its mask, one word so that a packet reads both together;
 *	changed under &l4lb_net.lock, read locklessly
 * @sched: &enum l4lb_sched; never changes
 * @flags: L4LB_SVC_F_*; L4LB_SVC_F_LOCAL_CLIENTS changes under
 *	&l4lb_net.lock (l4lb_service_set_flags()), read locklessly, the
 *	others never
 * @dead: deleted: its flows are no longer used and get swept
 * @stats: per-CPU counters
 * @rcu: frees the service once no packet can still see it
 * @port_last: the last port of the range the service answers to, host
 *	order: @key.port's own for a service of one port
 * @range: in its &struct l4lb_range_set, if it is a range; changed under
 *	&l4lb_net.lock, walked under RCU
 */
struct l4lb_service {
	struct rhash_head node;
	struct list_head list;
	struct l4lb_svc_key key;
	struct l4lb_pool __rcu *pool;
	struct list_head backends;
	unsigned int n_backends;
	struct l4lb_backend *fallback;
	atomic_t rr_pos;
	refcount_t ref;
	u32 udp_timeout;
	u32 persist;
	u8 sched;
	u8 flags;
	u8 dead;
	struct l4lb_stats __percpu *stats;
	struct rcu_head rcu;
	u16 port_last;
	struct hlist_node range;
};

/*
 * @port_last: a range's last port, host order; 0 (or the key's port): the
 * key's port alone
 */
struct l4lb_svc_config {
	u8 sched;
	u8 flags;
	u32 udp_timeout;
	u32 persist;
	u16 port_last;
};

/*
 * Ranged services of one address and protocol at most: a packet to a port
 * no single-port service has walks them all (see l4lb_service_lookup_pkt()).
 */
#define L4LB_MAX_RANGES		16

/* Does @svc answer to more than one port? */
static inline bool l4lb_svc_ranged(const struct l4lb_service *svc)
{
	return svc->port_last != ntohs(svc->key.port);
}

/* Does @svc answer to @port (network order)? */
static inline bool l4lb_svc_has_port(const struct l4lb_service *svc,
				     __be16 port)
{
	u16 p = ntohs(port);

	return p >= ntohs(svc->key.port) && p <= svc->port_last;
}

/* @persist of a service persistent @secs seconds under a /@prefix mask. */
static inline u32 l4lb_persist_make(u32 secs, u8 prefix)
{
	return secs ? secs << 8 | prefix : 0;
}

/* The jiffies a template outlives its last flow; 0: not persistent. */
static inline u32 l4lb_persist_timeout(u32 persist)
{
	return (persist >> 8) * HZ;
}

static inline u8 l4lb_persist_prefix(u32 persist)
{
	return persist & 0xff;
}

int l4lb_service_table_init(struct l4lb_net *ln);
void l4lb_service_table_uninit(struct l4lb_net *ln);

struct l4lb_service *l4lb_service_lookup(struct l4lb_net *ln,
					 const struct l4lb_svc_key *key);
struct l4lb_service *l4lb_service_lookup_pkt(struct l4lb_net *ln,
					     const struct l4lb_svc_key *key);
struct l4lb_service *l4lb_service_overlap(struct l4lb_net *ln,
					  const struct l4lb_svc_key *key,
					  u16 last);
int l4lb_service_add(struct l4lb_net *ln, const struct l4lb_svc_key *key,
		     const struct l4lb_svc_config *cfg);
void l4lb_service_put(struct l4lb_service *svc);
int l4lb_service_update_pool(struct l4lb_net *ln, struct l4lb_service *svc);
int l4lb_service_remove(struct l4lb_net *ln, const struct l4lb_svc_key *key);
void l4lb_service_flush(struct l4lb_net *ln);
void l4lb_service_set_persist(struct l4lb_net *ln, struct l4lb_service *svc,
			      u32 persist);
int l4lb_service_set_flags(struct l4lb_net *ln, struct l4lb_service *svc,
			   u32 flags, u32 mask);

void l4lb_service_default_config(u8 proto, struct l4lb_svc_config *cfg);
void l4lb_svc_key_init4(struct l4lb_svc_key *key, u8 proto, __be32 addr,
			__be16 port);
void l4lb_svc_key_init6(struct l4lb_svc_key *key, u8 proto,
			const struct in6_addr *addr, __be16 port);

#endif /* _L4LB_SERVICE_H */

/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_BACKEND_H
#define _L4LB_BACKEND_H

#include <linux/in.h>
#include <linux/in6.h>
#include <linux/netfilter.h>
#include <linux/refcount.h>
#include <linux/rhashtable-types.h>
#include <linux/string.h>
#include <linux/types.h>
#include <linux/l4lb.h>

#include "stats.h"

struct l4lb_departed;
struct l4lb_net;
struct l4lb_service;

/* Backends a service can hold; Maglev's table is 100 times larger. */
#define L4LB_MAX_BACKENDS	512
#define L4LB_MAX_WEIGHT		1000

/**
 * struct l4lb_be_key - a backend's address, port and protocol
 * @addr: the server's address; an IPv4 address fills @addr.ip, the rest
 *	is 0
 * @port: the server's port, network order
 * @proto: the service's protocol
 * @family: the service's, AF_INET or AF_INET6: keeps 1.2.3.4 and
 *	102:304:: apart
 */
struct l4lb_be_key {
	union nf_inet_addr addr;
	__be16 port;
	u8 proto;
	u8 family;
};

/**
 * struct l4lb_backend - one server of a service's pool
 * @list: in &l4lb_service.backends, protected by &l4lb_net.lock
 * @node: in &l4lb_net.backends from its add to its removal, with the
 *	other services' backends of the same key (TCP only)
 * @svc: the service; the backend holds a reference on it
 * @key: address, port and protocol; never change
 * @weight: 0 drains (no new flows); changed under &l4lb_net.lock
 * @down: failed its health checks (no new flows); changed under the lock
 * @removed: deleted from its service, living on for its flows; set once,
 *	under the lock
 * @fallback: the service's fallback server (&l4lb_service.fallback, or one
 *	it replaced); set before the backend is published, never changes
 * @standby: a fallback server out of the pool because another backend is
 *	usable: its UDP sessions move to the pool; set with each pool, under
 *	the lock
 * @health_since: jiffies when @down last changed; under the lock
 * @check: the checker's text on its last check; under the lock
 * @max_conns: 0, or the flows at which the backend is full (no new flows);
 *	written under &l4lb_net.lock, read locklessly by the packet path
 * @min_conns: a full backend takes new flows again below it (never 0 while
 *	@max_conns is set: the default, max - max / 4, is stored); likewise
 * @full: the last verdict of l4lb_backend_full(); written only when it
 *	flips, so a busy backend's cache line sees no write per flow for it
 * @active: flows now pointing here (least-connection schedulers)
 * @ref: see l4lb_backend_put()
 * @stats: per-CPU counters
 * @departed: once removed, its key's entry in &l4lb_net.departed (or
 *	NULL), which it holds until it is freed; set once, under the lock
 * @rcu: frees the backend once no packet can still see it
 */
struct l4lb_backend {
	struct list_head list;
	struct rhlist_head node;
	struct l4lb_service *svc;
	struct l4lb_be_key key;
	u16 weight;
	bool down;
	bool removed;
	bool fallback;
	bool standby;
	bool full;
	u32 max_conns;
	u32 min_conns;
	atomic_t active;
	refcount_t ref;
	struct l4lb_stats __percpu *stats;
	struct l4lb_departed *departed;
	unsigned long health_since;
	char check[L4LB_CHECK_LEN_MAX];
	struct rcu_head rcu;
};

/*
 * May take new flows: weighted and healthy (a fallback server only while
 * no other backend is). Under &l4lb_net.lock.
 */
static inline bool l4lb_backend_usable(const struct l4lb_backend *be)
{
	return be->weight && !be->down;
}

/*
 * IPVS's lower threshold when none is given (ip_vs_ctl.c,
 * __ip_vs_update_dest()): three quarters of the upper one, rounded up.
 */
static inline u32 l4lb_min_conns_default(u32 max_conns)
{
	return max_conns - (max_conns >> 2);
}

/*
 * Full: no new flow (IPVS's IP_VS_DEST_F_OVERLOAD). A backend becomes full
 * at @max_conns flows and stays full until it has fewer than @min_conns:
 * the hysteresis of IPVS's u_threshold and l_threshold. The verdict is
 * kept in @full and re-evaluated here, by each new flow's pick, under RCU
 * with no lock: two CPUs may race, both computing a verdict from the same
 * count, and a flip lost to a race is made again by the next pick. Flows
 * picked on several CPUs at once may take a backend past @max_conns by
 * the number of CPUs at most (IPVS's check races alike).
 */
static inline bool l4lb_backend_full(struct l4lb_backend *be)
{
	u32 max = READ_ONCE(be->max_conns);
	u32 n;

	if (likely(!max))
		return false;
	n = atomic_read(&be->active);
	if (!READ_ONCE(be->full)) {
		if (n < max)
			return false;
		WRITE_ONCE(be->full, true);
		return true;
	}
	if (n >= READ_ONCE(be->min_conns))
		return true;
	WRITE_ONCE(be->full, false);
	return false;
}

static inline void l4lb_be_key_init4(struct l4lb_be_key *key, u8 proto,
				     __be32 addr, __be16 port)
{
	memset(key, 0, sizeof(*key));
	key->addr.ip = addr;
	key->port = port;
	key->proto = proto;
	key->family = AF_INET;
}

static inline void l4lb_be_key_init6(struct l4lb_be_key *key, u8 proto,
				     const struct in6_addr *addr, __be16 port)
{
	memset(key, 0, sizeof(*key));
	key->addr.in6 = *addr;
	key->port = port;
	key->proto = proto;
	key->family = AF_INET6;
}

struct l4lb_backend *l4lb_backend_find(struct l4lb_service *svc,
				       const union nf_inet_addr *addr,
				       __be16 port);
/* Connection limits, as netlink gives them: 0 is none, or the default. */
struct l4lb_be_limits {
	u32 max_conns;
	u32 min_conns;
};

int l4lb_backend_add_limited(struct l4lb_net *ln, struct l4lb_service *svc,
			     const union nf_inet_addr *addr, __be16 port,
			     u16 weight, const struct l4lb_be_limits *lim);

/* Without connection limits. */
static inline int l4lb_backend_add(struct l4lb_net *ln,
				   struct l4lb_service *svc,
				   const union nf_inet_addr *addr, __be16 port,
				   u16 weight)
{
	return l4lb_backend_add_limited(ln, svc, addr, port, weight, NULL);
}

int l4lb_backend_add_fallback(struct l4lb_net *ln, struct l4lb_service *svc,
			      const union nf_inet_addr *addr, __be16 port);
struct l4lb_backend *l4lb_backend_lookup(struct l4lb_net *ln,
					 const struct l4lb_be_key *key);
struct l4lb_backend *l4lb_backend_next(const struct l4lb_backend *be);
int l4lb_backend_table_init(struct l4lb_net *ln);
void l4lb_backend_table_uninit(struct l4lb_net *ln);
int l4lb_backend_set(struct l4lb_net *ln, struct l4lb_backend *be,
		     u16 weight, bool down);
void l4lb_backend_set_limits(struct l4lb_net *ln, struct l4lb_backend *be,
			     const struct l4lb_be_limits *lim);
void l4lb_backend_remove(struct l4lb_net *ln, struct l4lb_backend *be);

/* Returns false when the backend is already on its way out. */
static inline bool l4lb_backend_get(struct l4lb_backend *be)
{
	return refcount_inc_not_zero(&be->ref);
}

void l4lb_backend_put(struct l4lb_backend *be);

#endif /* _L4LB_BACKEND_H */

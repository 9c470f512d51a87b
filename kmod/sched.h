/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_SCHED_H
#define _L4LB_SCHED_H

#include <linux/netfilter.h>
#include <linux/types.h>
#include <linux/l4lb.h>

struct l4lb_backend;
struct l4lb_service;

/* Maglev lookup table size: a prime above 100 times L4LB_MAX_BACKENDS. */
#define L4LB_MH_TABLE_SIZE	65537

/**
 * struct l4lb_pool - what the schedulers choose from, rebuilt on every
 * change of a service's backends and swapped in under RCU
 * @n: backends with a weight above 0
 * @wrr_len: entries in @wrr (weighted round robin's sequence)
 * @be: those backends, in the order they were added (rr, wrr, lc, wlc)
 *	or by address and port (sh, mh: the same on every balancer)
 * @wrr: indexes into @be, each backend as often as its share of weight
 * @mh: Maglev's table of indexes into @be (NULL unless the service uses mh)
 * @rcu: frees the pool once no packet can still see it
 */
struct l4lb_pool {
	unsigned int n;
	unsigned int wrr_len;
	struct l4lb_backend **be;
	u16 *wrr;
	u16 *mh;
	struct rcu_head rcu;
};

struct l4lb_pool *l4lb_pool_build(struct l4lb_service *svc);
void l4lb_pool_free(struct l4lb_pool *pool);
void l4lb_pool_free_rcu(struct l4lb_pool *pool);

/*
 * sh and mh: the choice is a function of the client, the same on every
 * balancer and at every packet, so a flow can be adopted mid-connection.
 */
static inline bool l4lb_sched_hashes(u8 sched)
{
	return sched == L4LB_SCHED_SH || sched == L4LB_SCHED_MH;
}

struct l4lb_backend *l4lb_sched_pick(struct l4lb_service *svc,
				     const struct l4lb_pool *pool, u32 seed,
				     const union nf_inet_addr *saddr,
				     __be16 sport, bool *full);

#endif /* _L4LB_SCHED_H */

// SPDX-License-Identifier: GPL-2.0
/*
 * Backends: the servers of a service's pool. Membership changes under
 * &l4lb_net.lock and republishes the service's pool; flows hold references,
 * so a removed backend lives on, out of the pool, until its last flow goes.
 */

#include <linux/rhashtable.h>
#include <linux/slab.h>

#include "backend.h"
#include "departed.h"
#include "netns.h"
#include "service.h"

static const struct rhashtable_params backend_params = {
	.head_offset = offsetof(struct l4lb_backend, node),
	.key_offset = offsetof(struct l4lb_backend, key),
	.key_len = sizeof(struct l4lb_be_key),
	.automatic_shrinking = true,
};

int l4lb_backend_table_init(struct l4lb_net *ln)
{
	return rhltable_init(&ln->backends, &backend_params);
}

void l4lb_backend_table_uninit(struct l4lb_net *ln)
{
	/* Every service was unlinked, and with it its backends. */
	rhltable_destroy(&ln->backends);
}

/*
 * Called under RCU: the backend (of a live pool) a packet from this
 * address, port and protocol comes from; of a TCP server several services
 * share, the first of their backends, l4lb_backend_next() the others. The
 * backend and its service stay valid until the RCU read side ends.
 */
struct l4lb_backend *l4lb_backend_lookup(struct l4lb_net *ln,
					 const struct l4lb_be_key *key)
{
	struct rhlist_head *list;

	list = rhltable_lookup(&ln->backends, key, backend_params);
	return list ? container_of(list, struct l4lb_backend, node) : NULL;
}

/*
 * Under RCU: another service's backend of @be's key, after @be, or NULL.
 * One being removed may still be seen: it stays valid, as above.
 */
struct l4lb_backend *l4lb_backend_next(const struct l4lb_backend *be)
{
	struct rhlist_head *next = rcu_dereference(be->node.next);

	return next ? container_of(next, struct l4lb_backend, node) : NULL;
}

/*
 * A UDP key serves one service: a UDP answer names only the client (a
 * session's reply side has no client port), so a backend's answer with no
 * flow, or of a stateless service, could not tell which VIP to leave as.
 * A TCP connection's reply names the client's port too, which the
 * server's own stack keeps unique: its flow says which VIP.
 */
static bool backend_key_taken(struct l4lb_net *ln,
			      const struct l4lb_be_key *key)
{
	bool taken;

	if (key->proto != IPPROTO_UDP)
		return false;
	/* The lock keeps the table as it is; RCU is what the lookup wants. */
	rcu_read_lock();
	taken = rhltable_lookup(&ln->backends, key, backend_params);
	rcu_read_unlock();
	return taken;
}

static void backend_free_rcu(struct rcu_head *head)
{
	struct l4lb_backend *be = container_of(head, struct l4lb_backend, rcu);

	/* Its last flow went: its late packets may come for a while yet. */
	if (be->departed)
		l4lb_departed_release(be->departed);
	l4lb_service_put(be->svc);
	free_percpu(be->stats);
	kfree(be);
	atomic_dec(&l4lb_objects);
}

/*
 * References: one for the service's list, one from each pool that holds
 * the backend, one from each flow. The last may go while a packet still
 * holds the backend (found through the stateless table, say): free it
 * after a grace period. Pools and flows put theirs from RCU callbacks, so
 * this callback can be queued by another: see &l4lb_objects.
 */
void l4lb_backend_put(struct l4lb_backend *be)
{
	if (refcount_dec_and_test(&be->ref))
		call_rcu(&be->rcu, backend_free_rcu);
}

/* Caller holds &l4lb_net.lock. */
struct l4lb_backend *l4lb_backend_find(struct l4lb_service *svc,
				       const union nf_inet_addr *addr,
				       __be16 port)
{
	struct l4lb_backend *be;

	list_for_each_entry(be, &svc->backends, list) {
		if (nf_inet_addr_cmp(&be->key.addr, addr) && be->key.port == port)
			return be;
	}
	return NULL;
}

/* @lim: NULL for none; set before the backend can take a flow. */
static int backend_add(struct l4lb_net *ln, struct l4lb_service *svc,
		       const union nf_inet_addr *addr, __be16 port, u16 weight,
		       const struct l4lb_be_limits *lim, bool fallback)
{
	struct l4lb_be_key be_key = {};
	struct l4lb_backend *be, *old;
	int ret;

	lockdep_assert_held(&ln->lock);

	if (l4lb_backend_find(svc, addr, port))
		return -EEXIST;
	be_key.addr = *addr;
	be_key.port = port;
	be_key.proto = svc->key.proto;
	be_key.family = svc->key.family;
	if (backend_key_taken(ln, &be_key))
		return -EADDRINUSE;
	/* A fallback replacing one leaves the counts as they were. */
	if (!(fallback && svc->fallback) &&
	    (svc->n_backends >= L4LB_MAX_BACKENDS ||
	     ln->n_backends >= l4lb_net_max_backends(ln)))
		return -ENOSPC;
	be = kzalloc(sizeof(*be), GFP_KERNEL_ACCOUNT);
	if (!be)
		return -ENOMEM;
	be->stats = l4lb_stats_alloc();
	if (!be->stats) {
		kfree(be);
		return -ENOMEM;
	}
	be->key = be_key;
	be->weight = weight;
	be->fallback = fallback;
	/* Out of every pool until one takes it: see l4lb_backend_gone(). */
	be->standby = fallback;
	if (lim) {
		be->max_conns = lim->max_conns;
		be->min_conns = lim->min_conns ?:
				l4lb_min_conns_default(lim->max_conns);
	}
	be->health_since = jiffies;
	be->svc = svc;
	refcount_set(&be->ref, 1);
	refcount_inc(&svc->ref);
	atomic_inc(&l4lb_objects);

	/* Set before the pool is published: before any flow, any reply. */
	set_bit(l4lb_seen_bit(l4lb_addr_fold(addr, svc->key.family), port,
			      svc->key.proto), ln->be_seen);
	set_bit(l4lb_addr_bit(l4lb_addr_fold(addr, svc->key.family)),
		ln->be_addr_seen);
	/* Beside other services' backends of its key: see above. */
	ret = rhltable_insert(&ln->backends, &be->node, backend_params);
	if (ret)
		goto err_put;
	list_add_tail(&be->list, &svc->backends);
	svc->n_backends++;
	ln->n_backends++;
	old = svc->fallback;
	if (fallback)
		svc->fallback = be;
	ret = l4lb_service_update_pool(ln, svc);
	if (ret)
		goto err_unlist;
	ln->genid++;
	/* Replaced: it goes as a deleted backend, its flows living on. */
	if (fallback && old)
		l4lb_backend_remove(ln, old);
	return 0;

err_unlist:
	svc->fallback = old;
	/* A packet may have found it: a flow it made must see it gone. */
	WRITE_ONCE(be->removed, true);
	list_del(&be->list);
	svc->n_backends--;
	ln->n_backends--;
	rhltable_remove(&ln->backends, &be->node, backend_params);
err_put:
	l4lb_backend_put(be);
	return ret;
}

int l4lb_backend_add_limited(struct l4lb_net *ln, struct l4lb_service *svc,
			     const union nf_inet_addr *addr, __be16 port,
			     u16 weight, const struct l4lb_be_limits *lim)
{
	return backend_add(ln, svc, addr, port, weight, lim, false);
}

/*
 * The service's fallback server, in place of the one it had, which is
 * deleted (its flows live on) once the new one is in: no moment without
 * one. Caller holds &l4lb_net.lock.
 */
int l4lb_backend_add_fallback(struct l4lb_net *ln, struct l4lb_service *svc,
			      const union nf_inet_addr *addr, __be16 port)
{
	return backend_add(ln, svc, addr, port, 1, NULL, true);
}

/*
 * New weight and health at once: the pool is rebuilt only if the set of
 * usable backends or the weights changed, and on failure (no memory) both
 * are as they were.
 */
int l4lb_backend_set(struct l4lb_net *ln, struct l4lb_backend *be,
		     u16 weight, bool down)
{
	u16 old_weight = be->weight;
	bool old_down = be->down;
	int ret;

	lockdep_assert_held(&ln->lock);

	if (weight == old_weight && down == old_down)
		return 0;
	WRITE_ONCE(be->weight, weight);
	WRITE_ONCE(be->down, down);
	ret = l4lb_service_update_pool(ln, be->svc);
	if (ret) {
		WRITE_ONCE(be->weight, old_weight);
		WRITE_ONCE(be->down, old_down);
		return ret;
	}
	if (down != old_down)
		be->health_since = jiffies;
	ln->genid++;
	return 0;
}

/*
 * New connection limits (checked by the caller: @lim->min_conns no more
 * than @lim->max_conns, 0 if @lim->max_conns is; a 0 @lim->min_conns is
 * the default). Under &l4lb_net.lock; the packet path reads them with no
 * lock and may see the new upper limit with the old lower one for a
 * moment: one verdict of l4lb_backend_full() off, made right by the next
 * new flow's. A full backend stays full while its flows are at the new
 * lower limit or above (see below); otherwise the next pick decides.
 */
void l4lb_backend_set_limits(struct l4lb_net *ln, struct l4lb_backend *be,
			     const struct l4lb_be_limits *lim)
{
	u32 min = lim->min_conns ?: l4lb_min_conns_default(lim->max_conns);
	bool full;

	lockdep_assert_held(&ln->lock);

	if (be->max_conns == lim->max_conns && be->min_conns == min)
		return;
	/*
	 * As IPVS's __ip_vs_dest_update_overload(): a full backend between
	 * its new limits stays full (the hysteresis goes on); the packet
	 * path's next pick sets the rest right.
	 */
	full = lim->max_conns && READ_ONCE(be->full) &&
	       (u32)atomic_read(&be->active) >= min;
	WRITE_ONCE(be->max_conns, lim->max_conns);
	WRITE_ONCE(be->min_conns, min);
	WRITE_ONCE(be->full, full);
	ln->genid++;
}

/*
 * Out of the pool at once: no new flows; its flows keep it until they end.
 * If the smaller pool cannot be built (no memory), the old pool stays and
 * holds its reference: new flows may still reach the backend until the
 * next change rebuilds the pool, which is logged.
 */
void l4lb_backend_remove(struct l4lb_net *ln, struct l4lb_backend *be)
{
	struct l4lb_service *svc = be->svc;

	lockdep_assert_held(&ln->lock);

	list_del(&be->list);
	WRITE_ONCE(be->removed, true);
	if (svc->fallback == be)
		svc->fallback = NULL;
	svc->n_backends--;
	ln->n_backends--;
	ln->genid++;
	rhltable_remove(&ln->backends, &be->node, backend_params);
	/*
	 * Its late packets must not show a client its address. Not when
	 * the namespace goes (its hooks were unregistered first): no packet
	 * will pass here again.
	 */
	if (ln->hooks_on)
		l4lb_departed_add(ln, be);
	if (!svc->dead && l4lb_service_update_pool(ln, svc))
		pr_warn("no memory to rebuild a pool: a removed backend may still get flows\n");
	l4lb_backend_put(be);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Services: what each one answers to, how the packet path finds it and how
 * it lives and dies. Changes happen under &l4lb_net.lock; the packet path
 * reads the table under RCU and never takes a lock.
 */

#include <linux/in.h>
#include <linux/jiffies.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/l4lb.h>

#include "backend.h"
#include "hooks.h"
#include "netns.h"
#include "persist.h"
#include "sched.h"
#include "service.h"

/*
 * Services and backends alive in any namespace. They are freed from RCU
 * callbacks, some queued by other callbacks (flow -> backend -> service),
 * so module exit runs rcu_barrier() until this reaches 0.
 */
atomic_t l4lb_objects = ATOMIC_INIT(0);

static const struct rhashtable_params svc_params = {
	.head_offset = offsetof(struct l4lb_service, node),
	.key_offset = offsetof(struct l4lb_service, key),
	.key_len = sizeof(struct l4lb_svc_key),
	.automatic_shrinking = true,
};

/**
 * struct l4lb_range_set - the ranged services of one address and protocol
 * @node: in &l4lb_net.svc_ranges
 * @key: the address, protocol and family; port 0
 * @svcs: the services, by &l4lb_service.range; RCU, changed under
 *	&l4lb_net.lock
 * @n: how many, at most %L4LB_MAX_RANGES; under &l4lb_net.lock
 * @rcu: frees the set once no packet can still walk it
 *
 * Why a list: a packet to a port that no single-port service has (an
 * exact lookup missed) and whose address and protocol the range filter
 * knows walks the ranges of that address, L4LB_MAX_RANGES at most: O(1)
 * in flows and services, and an established flow never gets here (its
 * flow is found first, by its own destination port). Ranges do not
 * overlap, so the first that holds the port is the only one.
 */
struct l4lb_range_set {
	struct rhash_head node;
	struct l4lb_svc_key key;
	struct hlist_head svcs;
	unsigned int n;
	struct rcu_head rcu;
};

/*
 * Most namespaces have no port range, and one with ranges a set for each
 * address and protocol that has some: the table starts at its smallest
 * (4 buckets, 96 bytes) rather than rhashtable's default 64 (a 1 KiB
 * kmalloc in every namespace), and grows with the sets.
 */
static const struct rhashtable_params range_params = {
	.head_offset = offsetof(struct l4lb_range_set, node),
	.key_offset = offsetof(struct l4lb_range_set, key),
	.key_len = sizeof(struct l4lb_svc_key),
	.nelem_hint = 2,
	.automatic_shrinking = true,
};

int l4lb_service_table_init(struct l4lb_net *ln)
{
	int ret;

	ret = rhashtable_init(&ln->services, &svc_params);
	if (ret)
		return ret;
	ret = rhashtable_init(&ln->svc_ranges, &range_params);
	if (ret)
		rhashtable_destroy(&ln->services);
	return ret;
}

void l4lb_service_table_uninit(struct l4lb_net *ln)
{
	/* Every service was unlinked by l4lb_service_flush(), every set too. */
	rhashtable_destroy(&ln->svc_ranges);
	rhashtable_destroy(&ln->services);
}

void l4lb_svc_key_init4(struct l4lb_svc_key *key, u8 proto, __be32 addr,
			__be16 port)
{
	memset(key, 0, sizeof(*key));
	key->addr.ip = addr;
	key->port = port;
	key->proto = proto;
	key->family = AF_INET;
}

void l4lb_svc_key_init6(struct l4lb_svc_key *key, u8 proto,
			const struct in6_addr *addr, __be16 port)
{
	memset(key, 0, sizeof(*key));
	key->addr.in6 = *addr;
	key->port = port;
	key->proto = proto;
	key->family = AF_INET6;
}

void l4lb_service_default_config(u8 proto, struct l4lb_svc_config *cfg)
{
	/* As the seeds have it: TCP round robin, UDP sessions by client IP. */
	cfg->sched = proto == IPPROTO_UDP ? L4LB_SCHED_SH : L4LB_SCHED_RR;
	cfg->flags = 0;
	cfg->udp_timeout = L4LB_DEFAULT_UDP_TIMEOUT;
	cfg->persist = 0;
}

/*
 * Caller holds rcu_read_lock(). The service stays valid until that is
 * dropped, or for as long as the caller also holds &l4lb_net.lock.
 */
struct l4lb_service *l4lb_service_lookup(struct l4lb_net *ln,
					 const struct l4lb_svc_key *key)
{
	return rhashtable_lookup(&ln->services, key, svc_params);
}

/* The key of the set of @key's address and protocol. */
static void range_key(struct l4lb_svc_key *k, const struct l4lb_svc_key *key)
{
	*k = *key;
	k->port = 0;
}

/* The same set, looked up under &l4lb_net.lock. */
static struct l4lb_range_set *range_set_find(struct l4lb_net *ln,
					     const struct l4lb_svc_key *key)
{
	struct l4lb_svc_key k;

	range_key(&k, key);
	return rhashtable_lookup_fast(&ln->svc_ranges, &k, range_params);
}

/*
 * The service a new flow's packet (@key: its destination) is for: the
 * single-port service of its port (or the range beginning there), else,
 * only if the range filter knows its address, the range holding its port.
 * Caller holds rcu_read_lock(), as for l4lb_service_lookup().
 */
struct l4lb_service *l4lb_service_lookup_pkt(struct l4lb_net *ln,
					     const struct l4lb_svc_key *key)
{
	struct l4lb_service *svc = l4lb_service_lookup(ln, key);
	struct l4lb_range_set *set;
	struct l4lb_svc_key k;

	if (svc || !l4lb_vip_range_seen(ln, l4lb_addr_fold(&key->addr,
							   key->family),
					key->proto))
		return svc;
	range_key(&k, key);
	set = rhashtable_lookup(&ln->svc_ranges, &k, range_params);
	if (!set)
		return NULL;
	hlist_for_each_entry_rcu(svc, &set->svcs, range)
		if (l4lb_svc_has_port(svc, key->port))
			return svc;
	return NULL;
}

/*
 * A service of @key's address and protocol whose ports meet @key.port to
 * @last (host order), or NULL. Under &l4lb_net.lock. A single port asks
 * its own key and the address's ranges; a range, rare, walks every
 * service.
 */
struct l4lb_service *l4lb_service_overlap(struct l4lb_net *ln,
					  const struct l4lb_svc_key *key,
					  u16 last)
{
	u16 first = ntohs(key->port);
	struct l4lb_range_set *set;
	struct l4lb_service *svc;

	lockdep_assert_held(&ln->lock);

	if (first == last) {
		svc = rhashtable_lookup_fast(&ln->services, key, svc_params);
		set = svc ? NULL : range_set_find(ln, key);
		if (set)
			hlist_for_each_entry(svc, &set->svcs, range)
				if (l4lb_svc_has_port(svc, key->port))
					break;
		return svc;
	}
	list_for_each_entry(svc, &ln->svc_list, list) {
		if (svc->key.family != key->family ||
		    svc->key.proto != key->proto ||
		    !nf_inet_addr_cmp(&svc->key.addr, &key->addr))
			continue;
		if (first <= svc->port_last && ntohs(svc->key.port) <= last)
			return svc;
	}
	return NULL;
}

/*
 * The set @svc's range goes in, made and published (empty) if it is the
 * address's first: a reader walking it finds nothing yet.
 */
static struct l4lb_range_set *range_set_get(struct l4lb_net *ln,
					    const struct l4lb_svc_key *key)
{
	struct l4lb_range_set *set = range_set_find(ln, key);
	int ret;

	if (set)
		return set->n < L4LB_MAX_RANGES ? set : ERR_PTR(-ENOSPC);
	set = kzalloc(sizeof(*set), GFP_KERNEL_ACCOUNT);
	if (!set)
		return ERR_PTR(-ENOMEM);
	set->key = *key;
	set->key.port = 0;
	INIT_HLIST_HEAD(&set->svcs);
	ret = rhashtable_insert_fast(&ln->svc_ranges, &set->node, range_params);
	if (ret) {
		kfree(set);
		return ERR_PTR(ret);
	}
	return set;
}

/* An empty set goes; packets walking it see an empty list. */
static void range_set_put(struct l4lb_net *ln, struct l4lb_range_set *set)
{
	if (set->n)
		return;
	rhashtable_remove_fast(&ln->svc_ranges, &set->node, range_params);
	kfree_rcu(set, rcu);
}

/* Rebuilds the pool after a change of backends; old readers keep theirs. */
int l4lb_service_update_pool(struct l4lb_net *ln, struct l4lb_service *svc)
{
	struct l4lb_backend *fb = svc->fallback;
	struct l4lb_pool *pool, *old;
	bool serving;

	lockdep_assert_held(&ln->lock);

	pool = l4lb_pool_build(svc);
	if (IS_ERR(pool))
		return PTR_ERR(pool);
	/*
	 * The fallback's standby flag (read locklessly, see expiry.h) is
	 * off before a pool holding it is seen, and on only once none is:
	 * a flow made on it is never taken for gone while it serves.
	 */
	serving = fb && pool->n == 1 && pool->be[0] == fb;
	if (serving)
		WRITE_ONCE(fb->standby, false);
	old = rcu_replace_pointer(svc->pool, pool, lockdep_is_held(&ln->lock));
	l4lb_pool_free_rcu(old);
	if (fb && !serving)
		WRITE_ONCE(fb->standby, true);
	return 0;
}

/* @svc's local-clients counted in (+1) or out (-1); under &l4lb_net.lock. */
static void local_count(struct l4lb_net *ln, const struct l4lb_service *svc,
			int delta)
{
	ln->n_local += delta;
	if (svc->key.family == AF_INET6)
		ln->n_local6 += delta;
}

int l4lb_service_add(struct l4lb_net *ln, const struct l4lb_svc_key *key,
		     const struct l4lb_svc_config *cfg)
{
	u16 last = cfg->port_last ?: ntohs(key->port);
	struct l4lb_range_set *set = NULL;
	struct l4lb_service *svc;
	int ret;

	lockdep_assert_held(&ln->lock);

	if (last < ntohs(key->port))
		return -EINVAL;
	if (ln->n_services >= l4lb_net_max_services(ln))
		return -ENOSPC;
	/* Ports of one address and protocol belong to one service. */
	if (l4lb_service_overlap(ln, key, last))
		return -EEXIST;
	l4lb_net_charge_caller(ln);
	svc = kzalloc(sizeof(*svc), GFP_KERNEL_ACCOUNT);
	if (!svc)
		return -ENOMEM;
	svc->stats = l4lb_stats_alloc();
	if (!svc->stats) {
		ret = -ENOMEM;
		goto err_free;
	}
	svc->key = *key;
	svc->sched = cfg->sched;
	svc->flags = cfg->flags;
	svc->udp_timeout = cfg->udp_timeout * HZ;
	svc->persist = cfg->persist;
	svc->port_last = last;
	INIT_LIST_HEAD(&svc->backends);
	refcount_set(&svc->ref, 1);
	ret = l4lb_service_update_pool(ln, svc);
	if (ret)
		goto err_free;

	ret = l4lb_hooks_register(ln, key->family);
	if (ret)
		goto err_pool;
	if (cfg->flags & L4LB_SVC_F_LOCAL_CLIENTS) {
		ret = l4lb_local_hooks_register(ln, key->family);
		if (ret)
			goto err_hooks;
	}
	/* Set before the service can be found: before any flow of it. */
	set_bit(l4lb_seen_bit(l4lb_addr_fold(&key->addr, key->family),
			      key->port, key->proto), ln->vip_seen);
	set_bit(l4lb_addr_bit(l4lb_addr_fold(&key->addr, key->family)),
		ln->vip_addr_seen);
	if (l4lb_svc_ranged(svc)) {
		set_bit(l4lb_seen_bit(l4lb_addr_fold(&key->addr, key->family),
				      0, key->proto), ln->vip_range_seen);
		set = range_set_get(ln, key);
		if (IS_ERR(set)) {
			ret = PTR_ERR(set);
			goto err_hooks;
		}
	}
	ret = rhashtable_lookup_insert_fast(&ln->services, &svc->node,
					    svc_params);
	if (ret)
		goto err_set;
	if (set) {
		hlist_add_head_rcu(&svc->range, &set->svcs);
		set->n++;
	}
	list_add_tail(&svc->list, &ln->svc_list);
	ln->n_services++;
	if (key->family == AF_INET6)
		ln->n_services6++;
	if (cfg->flags & L4LB_SVC_F_LOCAL_CLIENTS)
		local_count(ln, svc, 1);
	ln->genid++;
	atomic_inc(&l4lb_objects);
	return 0;

err_set:
	if (set)
		range_set_put(ln, set);
err_hooks:
	l4lb_hooks_sync(ln);
err_pool:
	/* Never published: no reader, free now. */
	l4lb_pool_free(rcu_dereference_protected(svc->pool,
						 lockdep_is_held(&ln->lock)));
err_free:
	free_percpu(svc->stats);
	kfree(svc);
	return ret;
}

/*
 * Persistence on, off or changed (l4lb_persist_make()). Templates of a
 * mask no longer in use, or of a service no longer persistent, are
 * unlinked; a new timeout applies from each template's next flow end.
 */
void l4lb_service_set_persist(struct l4lb_net *ln, struct l4lb_service *svc,
			      u32 persist)
{
	u32 old = svc->persist;

	lockdep_assert_held(&ln->lock);

	WRITE_ONCE(svc->persist, persist);
	ln->genid++;
	if (old && (!persist ||
		    l4lb_persist_prefix(old) != l4lb_persist_prefix(persist)))
		l4lb_persist_flush(ln, svc);
}

/*
 * The flags of @mask (of L4LB_SVC_F_SETTABLE) become @flags'. Turning
 * local-clients on registers the family's local hooks if they are off
 * (the only failure: nothing changed); turning it off unregisters them
 * with the last such service, and the service's local clients are no
 * longer balanced, their flows no longer used (swept as they expire).
 */
int l4lb_service_set_flags(struct l4lb_net *ln, struct l4lb_service *svc,
			   u32 flags, u32 mask)
{
	u8 old = svc->flags;
	u8 new = (old & ~mask) | (flags & mask);
	int ret;

	lockdep_assert_held(&ln->lock);

	if (new == old)
		return 0;
	if (new & ~old & L4LB_SVC_F_LOCAL_CLIENTS) {
		ret = l4lb_local_hooks_register(ln, svc->key.family);
		if (ret)
			return ret;
		local_count(ln, svc, 1);
	}
	/* The packet path reads it locklessly, READ_ONCE() each time. */
	WRITE_ONCE(svc->flags, new);
	ln->genid++;
	if (old & ~new & L4LB_SVC_F_LOCAL_CLIENTS) {
		local_count(ln, svc, -1);
		l4lb_local_hooks_sync(ln);
	}
	return 0;
}

static void service_free_rcu(struct rcu_head *head)
{
	struct l4lb_service *svc = container_of(head, struct l4lb_service, rcu);

	free_percpu(svc->stats);
	kfree(svc);
	atomic_dec(&l4lb_objects);
}

/* The last reference may go while packets still hold the service. */
void l4lb_service_put(struct l4lb_service *svc)
{
	if (refcount_dec_and_test(&svc->ref))
		call_rcu(&svc->rcu, service_free_rcu);
}

static void service_unlink(struct l4lb_net *ln, struct l4lb_service *svc)
{
	struct l4lb_backend *be, *tmp;
	struct l4lb_pool *pool;

	lockdep_assert_held(&ln->lock);

	rhashtable_remove_fast(&ln->services, &svc->node, svc_params);
	if (l4lb_svc_ranged(svc)) {
		struct l4lb_range_set *set = range_set_find(ln, &svc->key);

		/* Readers walking past it go on: @svc outlives them (RCU). */
		hlist_del_rcu(&svc->range);
		set->n--;
		range_set_put(ln, set);
	}
	list_del(&svc->list);
	ln->n_services--;
	if (svc->key.family == AF_INET6)
		ln->n_services6--;
	if (svc->flags & L4LB_SVC_F_LOCAL_CLIENTS)
		local_count(ln, svc, -1);
	ln->genid++;
	/* Its flows stop being used now; the sweep frees them. */
	WRITE_ONCE(svc->dead, 1);
	list_for_each_entry_safe(be, tmp, &svc->backends, list)
		l4lb_backend_remove(ln, be);
	/* The pool's references on the backends go after a grace period. */
	pool = rcu_replace_pointer(svc->pool, NULL, lockdep_is_held(&ln->lock));
	l4lb_pool_free_rcu(pool);
	l4lb_service_put(svc);
}

int l4lb_service_remove(struct l4lb_net *ln, const struct l4lb_svc_key *key)
{
	struct l4lb_service *svc;

	lockdep_assert_held(&ln->lock);

	svc = rhashtable_lookup_fast(&ln->services, key, svc_params);
	if (!svc)
		return -ENOENT;
	service_unlink(ln, svc);
	l4lb_hooks_sync(ln);
	return 0;
}

void l4lb_service_flush(struct l4lb_net *ln)
{
	struct l4lb_service *svc, *tmp;

	lockdep_assert_held(&ln->lock);

	list_for_each_entry_safe(svc, tmp, &ln->svc_list, list)
		service_unlink(ln, svc);
	l4lb_hooks_unregister(ln);
}

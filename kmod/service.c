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

int l4lb_service_table_init(struct l4lb_net *ln)
{
	return rhashtable_init(&ln->services, &svc_params);
}

void l4lb_service_table_uninit(struct l4lb_net *ln)
{
	/* Every service was unlinked by l4lb_service_flush(). */
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
	struct l4lb_service *svc;
	int ret;

	lockdep_assert_held(&ln->lock);

	if (ln->n_services >= l4lb_net_max_services(ln))
		return -ENOSPC;
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
	ret = rhashtable_lookup_insert_fast(&ln->services, &svc->node,
					    svc_params);
	if (ret)
		goto err_hooks;
	list_add_tail(&svc->list, &ln->svc_list);
	ln->n_services++;
	if (key->family == AF_INET6)
		ln->n_services6++;
	if (cfg->flags & L4LB_SVC_F_LOCAL_CLIENTS)
		local_count(ln, svc, 1);
	ln->genid++;
	atomic_inc(&l4lb_objects);
	return 0;

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

// SPDX-License-Identifier: GPL-2.0
/*
 * Services: what each one answers to, how the packet path finds it and how
 * it lives and dies. Changes happen under &l4lb_net.lock; the packet path
 * reads the table under RCU and never takes a lock.
 */

#include <linux/in.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <linux/l4lb.h>

#include "hooks.h"
#include "netns.h"
#include "service.h"

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

u8 l4lb_service_default_sched(u8 proto)
{
	/* As the seeds have it: TCP round robin, UDP sessions by client IP. */
	return proto == IPPROTO_UDP ? L4LB_SCHED_SH : L4LB_SCHED_RR;
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

int l4lb_service_add(struct l4lb_net *ln, const struct l4lb_svc_key *key,
		     u8 sched)
{
	struct l4lb_service *svc;
	int ret;

	lockdep_assert_held(&ln->lock);

	svc = kzalloc(sizeof(*svc), GFP_KERNEL_ACCOUNT);
	if (!svc)
		return -ENOMEM;
	svc->key = *key;
	svc->sched = sched;

	ret = l4lb_hooks_register(ln);
	if (ret)
		goto err_free;
	ret = rhashtable_lookup_insert_fast(&ln->services, &svc->node,
					    svc_params);
	if (ret)
		goto err_hooks;
	list_add_tail(&svc->list, &ln->svc_list);
	ln->n_services++;
	ln->genid++;
	return 0;

err_hooks:
	if (!ln->n_services)
		l4lb_hooks_unregister(ln);
err_free:
	kfree(svc);
	return ret;
}

static void service_unlink(struct l4lb_net *ln, struct l4lb_service *svc)
{
	lockdep_assert_held(&ln->lock);

	rhashtable_remove_fast(&ln->services, &svc->node, svc_params);
	list_del(&svc->list);
	ln->n_services--;
	ln->genid++;
	/* Packets in flight may still hold it under RCU. */
	kfree_rcu(svc, rcu);
}

int l4lb_service_remove(struct l4lb_net *ln, const struct l4lb_svc_key *key)
{
	struct l4lb_service *svc;

	lockdep_assert_held(&ln->lock);

	svc = rhashtable_lookup_fast(&ln->services, key, svc_params);
	if (!svc)
		return -ENOENT;
	service_unlink(ln, svc);
	if (!ln->n_services)
		l4lb_hooks_unregister(ln);
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

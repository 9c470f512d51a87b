// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: created with the namespace, torn down with
 * it or when the module goes.
 */

#include <linux/rhashtable.h>
#include <net/netns/generic.h>

#include "hooks.h"
#include "netns.h"
#include "service.h"

static unsigned int l4lb_net_id __read_mostly;

struct l4lb_net *l4lb_net(const struct net *net)
{
	return net_generic(net, l4lb_net_id);
}

static int __net_init l4lb_net_init(struct net *net)
{
	struct l4lb_net *ln = l4lb_net(net);

	mutex_init(&ln->lock);
	INIT_LIST_HEAD(&ln->svc_list);
	ln->net = net;
	return l4lb_service_table_init(ln);
}

static void __net_exit l4lb_net_exit(struct net *net)
{
	struct l4lb_net *ln = l4lb_net(net);

	/* No netlink request can reach a namespace that is going away, and
	 * the module exit path unregistered the family first: the lock only
	 * documents what the callees assert.
	 */
	mutex_lock(&ln->lock);
	l4lb_hooks_unregister(ln);
	l4lb_service_flush(ln);
	mutex_unlock(&ln->lock);
	l4lb_service_table_uninit(ln);
}

static struct pernet_operations l4lb_net_ops = {
	.init = l4lb_net_init,
	.exit = l4lb_net_exit,
	.id = &l4lb_net_id,
	.size = sizeof(struct l4lb_net),
};

int l4lb_netns_init(void)
{
	return register_pernet_subsys(&l4lb_net_ops);
}

void l4lb_netns_uninit(void)
{
	unregister_pernet_subsys(&l4lb_net_ops);
}

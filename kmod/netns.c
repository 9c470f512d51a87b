// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: created with the namespace, torn down with
 * it or when the module goes.
 */

#include <linux/rhashtable.h>
#include <net/netns/generic.h>

#include "backend.h"
#include "conn.h"
#include "expiry.h"
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
	int ret;

	mutex_init(&ln->lock);
	INIT_LIST_HEAD(&ln->svc_list);
	ln->net = net;
	l4lb_expiry_init(ln);
	ret = l4lb_service_table_init(ln);
	if (ret)
		return ret;
	ret = l4lb_backend_table_init(ln);
	if (ret)
		goto err_backends;
	ret = l4lb_conn_table_init(ln);
	if (ret)
		goto err_conns;
	return 0;

err_conns:
	l4lb_backend_table_uninit(ln);
err_backends:
	l4lb_service_table_uninit(ln);
	return ret;
}

static void __net_exit l4lb_net_exit(struct net *net)
{
	struct l4lb_net *ln = l4lb_net(net);

	/*
	 * No netlink request can reach a namespace that is going away, and
	 * module exit unregistered the family first: the lock only keeps
	 * the callees' lockdep assertions true.
	 */
	mutex_lock(&ln->lock);
	/* 1. No packet enters the hooks any more (synchronize_net()). */
	l4lb_hooks_unregister(ln);
	/* 2. Services and backends out of every table. */
	l4lb_service_flush(ln);
	mutex_unlock(&ln->lock);
	/* 3. The sweep neither runs nor is queued. */
	l4lb_expiry_stop(ln);
	/* 4. Nobody else sees the tables: free the flows. */
	l4lb_conn_table_uninit(ln);
	l4lb_backend_table_uninit(ln);
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

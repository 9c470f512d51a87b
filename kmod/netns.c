// SPDX-License-Identifier: GPL-2.0
/*
 * Per network namespace state: created with the namespace, torn down with
 * it or when the module goes.
 */

#include <linux/memcontrol.h>
#include <linux/moduleparam.h>
#include <linux/rhashtable.h>
#include <linux/sched/mm.h>
#include <net/netns/generic.h>

#include "backend.h"
#include "conn.h"
#include "departed.h"
#include "expiry.h"
#include "hooks.h"
#include "netns.h"
#include "service.h"

unsigned int l4lb_net_id __read_mostly;

/*
 * True while the module loads: l4lb_net_init() then runs for every
 * namespace that exists, in the loading task's context (modprobe, which
 * the family's autoload lets any user start), not its maker's.
 */
static bool l4lb_net_loading;

unsigned int l4lb_unpriv_max_flows __read_mostly = L4LB_UNPRIV_MAX_FLOWS;
module_param_named(unpriv_max_flows, l4lb_unpriv_max_flows, uint, 0644);
MODULE_PARM_DESC(unpriv_max_flows,
		 "most flows a namespace of a non-initial user namespace may hold");

static int __net_init l4lb_net_init(struct net *net)
{
	struct l4lb_net *ln = l4lb_net(net);
	int ret;

	mutex_init(&ln->lock);
	INIT_LIST_HEAD(&ln->svc_list);
	ln->net = net;
	ln->unpriv = net->user_ns != &init_user_ns;
	l4lb_expiry_init(ln);
	ret = l4lb_service_table_init(ln);
	if (ret)
		return ret;
	ret = l4lb_backend_table_init(ln);
	if (ret)
		goto err_backends;
	ret = l4lb_departed_table_init(ln);
	if (ret)
		goto err_departed;
	ret = l4lb_conn_table_init(ln);
	if (ret)
		goto err_conns;
	if (ln->unpriv) {
		ln->max_conns = min(ln->max_conns, l4lb_net_max_flows(ln));
		/*
		 * Whoever makes the namespace pays for what it holds; one
		 * that was there before the module, whoever configures it
		 * first (l4lb_net_charge_caller()).
		 */
		if (!l4lb_net_loading)
			ln->memcg = get_mem_cgroup_from_mm(current->mm);
	}
	return 0;

err_conns:
	l4lb_departed_table_uninit(ln);
err_departed:
	l4lb_backend_table_uninit(ln);
err_backends:
	l4lb_service_table_uninit(ln);
	return ret;
}

/*
 * 1. No new packet enters the hooks, services and backends leave every
 * table. The namespace core then waits a grace period (synchronize_rcu())
 * before calling l4lb_net_exit_batch(): nf_unregister_net_hooks() does not
 * wait for packets already inside the hooks, and those may hold flows.
 */
static void __net_exit l4lb_net_pre_exit(struct net *net)
{
	struct l4lb_net *ln = l4lb_net(net);

	/*
	 * No netlink request can reach a namespace that is going away, and
	 * module exit unregistered the family first: the lock only keeps
	 * the callees' lockdep assertions true.
	 */
	mutex_lock(&ln->lock);
	l4lb_hooks_unregister(ln);
	l4lb_service_flush(ln);
	mutex_unlock(&ln->lock);
}

static void __net_exit l4lb_net_exit_batch(struct list_head *net_list)
{
	struct l4lb_net *ln;
	struct net *net;

	list_for_each_entry(net, net_list, exit_list) {
		ln = l4lb_net(net);
		/* 2. The sweep neither runs nor is queued. */
		l4lb_expiry_stop(ln);
		/* 3. No packet is in the hooks any more: free the flows. */
		l4lb_conn_table_uninit(ln);
		l4lb_departed_table_uninit(ln);
		l4lb_backend_table_uninit(ln);
		l4lb_service_table_uninit(ln);
		/* Charged objects hold their cgroup themselves. */
		mem_cgroup_put(ln->memcg);
	}
}

static struct pernet_operations l4lb_net_ops = {
	.init = l4lb_net_init,
	.pre_exit = l4lb_net_pre_exit,
	.exit_batch = l4lb_net_exit_batch,
	.id = &l4lb_net_id,
	.size = sizeof(struct l4lb_net),
};

/*
 * A namespace of another user namespace that nobody was charged for yet
 * (it was there when the module loaded): its flows are charged from now
 * on to the memory cgroup of the caller, who configures it with
 * CAP_NET_ADMIN in it. Caller holds &l4lb_net.lock.
 */
void l4lb_net_charge_caller(struct l4lb_net *ln)
{
	lockdep_assert_held(&ln->lock);

	/* Read by the packet path without the lock: set once, published. */
	if (ln->unpriv && !ln->memcg)
		WRITE_ONCE(ln->memcg, get_mem_cgroup_from_mm(current->mm));
}

int l4lb_netns_init(void)
{
	int ret;

	l4lb_net_loading = true;
	ret = register_pernet_subsys(&l4lb_net_ops);
	l4lb_net_loading = false;
	return ret;
}

void l4lb_netns_uninit(void)
{
	unregister_pernet_subsys(&l4lb_net_ops);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb: in-kernel layer-4 load balancer. This file only starts the
 * subsystems in order and stops them in reverse.
 */

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>
#include <linux/l4lb.h>

#include "conn.h"
#include "netlink.h"
#include "netns.h"
#include "service.h"
#include "version.h"

static int __init l4lb_mod_init(void)
{
	int ret;

	ret = l4lb_conn_init();
	if (ret)
		return ret;
	/* Per-netns state before the family: a request may arrive at once. */
	ret = l4lb_netns_init();
	if (ret)
		goto err_netns;
	ret = l4lb_genl_init();
	if (ret)
		goto err_genl;

	pr_info("version %s loaded\n", L4LB_VERSION);
	return 0;

err_genl:
	l4lb_netns_uninit();
	rcu_barrier();
err_netns:
	l4lb_conn_uninit();
	return ret;
}

static void __exit l4lb_mod_exit(void)
{
	/* 1. No new configuration can arrive. */
	l4lb_genl_uninit();
	/* 2. Each netns unregisters its hooks and unlinks its services. */
	l4lb_netns_uninit();
	/*
	 * 3. Wait for the RCU callbacks queued above and for those they
	 * queue in turn (flow -> backend -> service): see &l4lb_objects.
	 */
	do {
		rcu_barrier();
	} while (atomic_read(&l4lb_objects));
	/* 4. Only now can no callback touch a flow of the cache. */
	l4lb_conn_uninit();
	pr_info("version %s unloaded\n", L4LB_VERSION);
}

module_init(l4lb_mod_init);
module_exit(l4lb_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel layer-4 load balancer (NAT, TCP and UDP)");
MODULE_VERSION(L4LB_VERSION);
MODULE_ALIAS_GENL_FAMILY(L4LB_GENL_NAME);

// SPDX-License-Identifier: GPL-2.0
/*
 * l4lb: in-kernel layer-4 load balancer. This file only starts the
 * subsystems in order and stops them in reverse.
 */

#include <linux/module.h>
#include <linux/rcupdate.h>
#include <net/genetlink.h>
#include <linux/l4lb.h>

#include "netlink.h"
#include "netns.h"
#include "version.h"

static int __init l4lb_mod_init(void)
{
	int ret;

	/* Per-netns state first: a netlink request may arrive at once. */
	ret = l4lb_netns_init();
	if (ret)
		return ret;
	ret = l4lb_genl_init();
	if (ret)
		goto err_genl;

	pr_info("version %s loaded\n", L4LB_VERSION);
	return 0;

err_genl:
	l4lb_netns_uninit();
	return ret;
}

static void __exit l4lb_mod_exit(void)
{
	/* 1. No new configuration can arrive. */
	l4lb_genl_uninit();
	/* 2. Each netns unregisters its hooks and unlinks its services. */
	l4lb_netns_uninit();
	/* 3. Wait for the kfree_rcu() and call_rcu() callbacks queued above. */
	rcu_barrier();
	pr_info("version %s unloaded\n", L4LB_VERSION);
}

module_init(l4lb_mod_init);
module_exit(l4lb_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("In-kernel layer-4 load balancer (NAT, TCP and UDP)");
MODULE_VERSION(L4LB_VERSION);
MODULE_ALIAS_GENL_FAMILY(L4LB_GENL_NAME);

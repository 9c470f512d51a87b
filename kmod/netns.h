/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_NETNS_H
#define _L4LB_NETNS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <net/net_namespace.h>

/**
 * struct l4lb_net - l4lb's state in one network namespace
 * @lock: serialises every configuration change and dump in this netns
 * @services: services by key; the packet path looks up under RCU
 * @svc_list: the same services in the order they were added, for dumps;
 *	protected by @lock
 * @n_services: length of @svc_list; protected by @lock
 * @genid: bumped on every change, so a dump notices it was interrupted;
 *	protected by @lock
 * @hooks_on: the netfilter hooks are registered in this netns (only while
 *	it has a service); protected by @lock
 * @net: the namespace this belongs to
 */
struct l4lb_net {
	struct mutex lock;
	struct rhashtable services;
	struct list_head svc_list;
	unsigned int n_services;
	u32 genid;
	bool hooks_on;
	struct net *net;
};

struct l4lb_net *l4lb_net(const struct net *net);

int l4lb_netns_init(void);
void l4lb_netns_uninit(void);

#endif /* _L4LB_NETNS_H */

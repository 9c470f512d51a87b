/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_NETNS_H
#define _L4LB_NETNS_H

#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/rhashtable-types.h>
#include <linux/workqueue.h>
#include <net/net_namespace.h>

#include "backend.h"
#include "conn.h"

/* A million flows by default: 64 MiB of entries. */
#define L4LB_DEFAULT_MAX_CONNS		(1024U * 1024U)
#define L4LB_DEFAULT_UDP_TIMEOUT	60

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
 * @conn_orig: flows by client side (&struct l4lb_orig_key)
 * @conn_reply: the same flows by backend side (&struct l4lb_reply_key)
 * @stateless: backends of stateless services by &struct l4lb_be_key, so
 *	their replies are rewritten without a flow; changed under @lock
 * @be_seen: a filter of every backend ever added here (l4lb_be_seen()):
 *	bits set under @lock, never cleared, read by the packet path
 * @nr_conns: flows in the tables, counted against @max_conns
 * @max_conns: no new flow beyond this many
 * @timeout: jiffies a TCP flow lives idle, by &enum l4lb_conn_state
 * @down_flows: &enum l4lb_down_flows, what happens to the flows of a
 *	backend that is down
 * @sweep: the expiry work (expiry.c)
 * @sweep_pos: the bucket of @conn_orig the sweep resumes at; owned by
 *	@sweep
 * @net: the namespace this belongs to
 */
struct l4lb_net {
	struct mutex lock; /* serialises configuration changes and dumps */
	struct rhashtable services;
	struct list_head svc_list;
	unsigned int n_services;
	u32 genid;
	bool hooks_on;
	struct rhashtable conn_orig;
	struct rhashtable conn_reply;
	struct rhashtable stateless;
	DECLARE_BITMAP(be_seen, 1 << L4LB_BE_SEEN_SHIFT);
	atomic_t nr_conns;
	u32 max_conns;
	u32 timeout[L4LB_CONN_CLOSING + 1];
	u32 down_flows;
	struct delayed_work sweep;
	unsigned int sweep_pos;
	struct net *net;
};

struct l4lb_net *l4lb_net(const struct net *net);

int l4lb_netns_init(void);
void l4lb_netns_uninit(void);

#endif /* _L4LB_NETNS_H */

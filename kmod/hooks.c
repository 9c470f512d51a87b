// SPDX-License-Identifier: GPL-2.0
/*
 * Where l4lb meets the packet: its netfilter hooks, registered in a
 * namespace only while that namespace has a service, so a namespace
 * without one pays nothing per packet.
 */

#include <linux/ip.h>
#include <linux/netfilter_ipv4.h>
#include <linux/skbuff.h>

#include "hooks.h"
#include "netns.h"
#include "service.h"

static unsigned int l4lb_pre_routing(void *priv, struct sk_buff *skb,
				     const struct nf_hook_state *state)
{
	return NF_ACCEPT;
}

static unsigned int l4lb_post_routing(void *priv, struct sk_buff *skb,
				      const struct nf_hook_state *state)
{
	return NF_ACCEPT;
}

static const struct nf_hook_ops l4lb_nf_ops[] = {
	/*
	 * Client to VIP: rewrite the destination before routing, so the
	 * route is the backend's. Before conntrack (-200), so with
	 * nf_conntrack loaded it tracks client <-> backend in both
	 * directions and nf_nat never sees the VIP: nothing is NATed twice.
	 */
	{
		.hook = l4lb_pre_routing,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_PRE_ROUTING,
		.priority = NF_IP_PRI_CONNTRACK - 10,
	},
	/*
	 * Backend to client: rewrite the source back to the VIP after
	 * routing, because a packet arriving with a local source address
	 * would be dropped as a martian by the input route lookup. After
	 * nf_nat's SNAT (100), so a masquerade rule cannot undo it.
	 */
	{
		.hook = l4lb_post_routing,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_POST_ROUTING,
		.priority = NF_IP_PRI_NAT_SRC + 1,
	},
};

int l4lb_hooks_register(struct l4lb_net *ln)
{
	int ret;

	lockdep_assert_held(&ln->lock);

	if (ln->hooks_on)
		return 0;
	ret = nf_register_net_hooks(ln->net, l4lb_nf_ops,
				    ARRAY_SIZE(l4lb_nf_ops));
	if (ret)
		return ret;
	ln->hooks_on = true;
	return 0;
}

void l4lb_hooks_unregister(struct l4lb_net *ln)
{
	lockdep_assert_held(&ln->lock);

	if (!ln->hooks_on)
		return;
	/* Waits for packets already inside the hooks (synchronize_net()). */
	nf_unregister_net_hooks(ln->net, l4lb_nf_ops, ARRAY_SIZE(l4lb_nf_ops));
	ln->hooks_on = false;
}

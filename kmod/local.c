// SPDX-License-Identifier: GPL-2.0
/*
 * Clients on the balancer itself: a process here that reaches the VIP of
 * a service with local-clients is balanced as a remote client is, as IPVS
 * balances its local clients. Its packets are caught at LOCAL_OUT (DNAT,
 * then routed anew to the backend, as nf_nat does), the backend's replies
 * at LOCAL_IN, after routing: with the VIP's source they would be martians
 * before it. The hooks are registered in a namespace only while one of its
 * services of that family has the flag; other local traffic pays nothing.
 * The flow logic is hooks.c's: a local client's flow is an ordinary flow,
 * to a port range's service too (the flow keeps the port it dialled).
 *
 * A backend on this machine (listening in the balancer's own namespace)
 * is not supported: the client's packet reaches it through the loopback
 * device (PRE_ROUTING leaves looped-back packets alone), and its replies
 * would be rewritten at POST_ROUTING as a remote client's; untested.
 *
 * Runs under the RCU read lock nf_hook() holds, with bottom halves off
 * (l4lb_hook_bh_off(): LOCAL_OUT runs in process context).
 */

#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <net/inet_sock.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/sock.h>

#include "hooks.h"
#include "netns.h"
#include "pkt.h"

static unsigned int local_out(void *priv, struct sk_buff *skb,
			      const struct nf_hook_state *state)
{
	struct l4lb_net *ln = l4lb_net(state->net);
	unsigned int verdict;
	struct l4lb_pkt p;
	bool moved;
	int err;

	if (state->pf == NFPROTO_IPV6) {
		if (!l4lb_vip_addr_seen(ln,
					l4lb_addr_fold6(&ipv6_hdr(skb)->daddr)) ||
		    !l4lb_pkt_parse6(skb, &p) ||
		    (!l4lb_vip_seen(ln, l4lb_addr_fold6(&p.daddr.in6), p.dport,
				    p.proto) &&
		     !l4lb_vip_range_seen(ln, l4lb_addr_fold6(&p.daddr.in6),
					  p.proto)))
			return NF_ACCEPT;
	} else {
		if (!l4lb_vip_addr_seen(ln, ip_hdr(skb)->daddr) ||
		    !l4lb_pkt_parse4(skb, &p) ||
		    (!l4lb_vip_seen(ln, p.daddr.ip, p.dport, p.proto) &&
		     !l4lb_vip_range_seen(ln, p.daddr.ip, p.proto)))
			return NF_ACCEPT;
	}
	p.local = true;
	verdict = l4lb_in(ln, skb, &p);
	if (verdict != NF_ACCEPT)
		return verdict;
	/* Routed anew when the destination changed, as nf_nat does. */
	if (p.v6) {
		moved = !ipv6_addr_equal(&ipv6_hdr(skb)->daddr, &p.daddr.in6);
		err = moved ? nf_ip6_route_me_harder(state->net, state->sk,
						     skb) : 0;
	} else {
		moved = ip_hdr(skb)->daddr != p.daddr.ip;
		err = moved ? ip_route_me_harder(state->net, state->sk, skb,
						 RTN_UNSPEC) : 0;
	}
	return err < 0 ? NF_DROP_ERR(err) : NF_ACCEPT;
}

/* A local client's packet to a VIP: balanced. */
unsigned int l4lb_local_out(void *priv, struct sk_buff *skb,
			    const struct nf_hook_state *state)
{
	return l4lb_hook_bh_off(local_out, priv, skb, state);
}

/*
 * An ICMP error quoting a TCP or UDP packet, maybe a local client's to
 * its backend, from the backend or a router on the way: *@verdict is
 * l4lb_local_icmp()'s. False for any other packet.
 */
static bool local_icmp(struct l4lb_net *ln, struct sk_buff *skb,
		       const struct nf_hook_state *state, unsigned int *verdict)
{
	/* Compared whole with a backend's address: no stale words. */
	union nf_inet_addr outer_saddr = {};
	struct l4lb_pkt in;
	int icmpoff;

	if (state->pf == NFPROTO_IPV6) {
		icmpoff = l4lb_icmp_parse6(skb, &in);
		outer_saddr.in6 = ipv6_hdr(skb)->saddr;
	} else {
		icmpoff = l4lb_icmp_parse4(skb, &in) ? ip_hdrlen(skb) : -1;
		outer_saddr.ip = ip_hdr(skb)->saddr;
	}
	if (icmpoff < 0)
		return false;
	*verdict = l4lb_local_icmp(ln, skb, &in, icmpoff, &outer_saddr);
	return true;
}

static unsigned int local_in(void *priv, struct sk_buff *skb,
			     const struct nf_hook_state *state)
{
	struct l4lb_net *ln = l4lb_net(state->net);
	struct sock *sk = skb->sk;
	unsigned int verdict;
	struct l4lb_pkt p;
	bool icmp;

	/*
	 * Fragments were reassembled before LOCAL_IN: by ip_local_deliver()
	 * for IPv4, by nf_defrag_ipv6 (on with this family's hooks) for IPv6.
	 */
	if (state->pf == NFPROTO_IPV6)
		icmp = ipv6_hdr(skb)->nexthdr == IPPROTO_ICMPV6 ||
		       ipv6_ext_hdr(ipv6_hdr(skb)->nexthdr);
	else
		icmp = ip_hdr(skb)->protocol == IPPROTO_ICMP;
	if (icmp && local_icmp(ln, skb, state, &verdict))
		return verdict;
	if (state->pf == NFPROTO_IPV6) {
		if (!l4lb_be_addr_seen(ln,
				       l4lb_addr_fold6(&ipv6_hdr(skb)->saddr)) ||
		    !l4lb_pkt_parse6(skb, &p) ||
		    !l4lb_be_port_seen(ln, l4lb_addr_fold6(&p.saddr.in6),
				       p.sport, p.proto))
			return NF_ACCEPT;
	} else {
		if (!l4lb_be_addr_seen(ln, ip_hdr(skb)->saddr) ||
		    !l4lb_pkt_parse4(skb, &p) ||
		    !l4lb_be_port_seen(ln, p.saddr.ip, p.sport, p.proto))
			return NF_ACCEPT;
	}
	verdict = l4lb_local_reply(ln, skb, &p);
	/*
	 * TCP's early demux looked a socket up by the backend's address: it
	 * found none, or the wrong one. As nf_nat_ipv4_local_in() does.
	 */
	if (verdict == NF_ACCEPT && sk && !inet_sk_transparent(sk) &&
	    (p.v6 ? !ipv6_addr_equal(&ipv6_hdr(skb)->saddr, &p.saddr.in6) :
		    ip_hdr(skb)->saddr != p.saddr.ip))
		skb_orphan(skb);
	return verdict;
}

/* A backend's reply to a local client: from the VIP again. */
unsigned int l4lb_local_in(void *priv, struct sk_buff *skb,
			   const struct nf_hook_state *state)
{
	return l4lb_hook_bh_off(local_in, priv, skb, state);
}

/*
 * The places match the forwarding hooks' (hooks.c): the client's packet
 * is rewritten before conntrack (-200), so that conntrack tracks client
 * <-> backend both ways and nf_nat's DNAT (-100) never sees the VIP; the
 * reply after nf_nat's SNAT at LOCAL_IN (100), which cannot undo it.
 */
static const struct nf_hook_ops l4lb_local_ops[] = {
	{
		.hook = l4lb_local_out,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP_PRI_CONNTRACK - 10,
	},
	{
		.hook = l4lb_local_in,
		.pf = NFPROTO_IPV4,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP_PRI_NAT_SRC + 1,
	},
};

static const struct nf_hook_ops l4lb_local6_ops[] = {
	{
		.hook = l4lb_local_out,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_OUT,
		.priority = NF_IP6_PRI_CONNTRACK - 10,
	},
	{
		.hook = l4lb_local_in,
		.pf = NFPROTO_IPV6,
		.hooknum = NF_INET_LOCAL_IN,
		.priority = NF_IP6_PRI_NAT_SRC + 1,
	},
};

/* @bit's table; both have LOCAL_NR_OPS entries. */
#define LOCAL_NR_OPS ARRAY_SIZE(l4lb_local_ops)

static const struct nf_hook_ops *local_ops(u8 bit)
{
	BUILD_BUG_ON(ARRAY_SIZE(l4lb_local6_ops) != LOCAL_NR_OPS);
	return bit == L4LB_HOOKS_LOCAL6 ? l4lb_local6_ops : l4lb_local_ops;
}

/*
 * @family's local hooks, for a service of it about to get local-clients
 * (added with it, or set). They sleep: the caller holds &l4lb_net.lock,
 * which no packet takes.
 */
int l4lb_local_hooks_register(struct l4lb_net *ln, u8 family)
{
	u8 bit = family == AF_INET6 ? L4LB_HOOKS_LOCAL6 : L4LB_HOOKS_LOCAL4;
	int ret;

	lockdep_assert_held(&ln->lock);

	if (ln->hooks_on & bit)
		return 0;
	ret = nf_register_net_hooks(ln->net, local_ops(bit), LOCAL_NR_OPS);
	if (ret)
		return ret;
	WRITE_ONCE(ln->hooks_on, ln->hooks_on | bit);
	return 0;
}

static void local_off(struct l4lb_net *ln, u8 bit)
{
	if (!(ln->hooks_on & bit))
		return;
	/* Packets already inside go on under RCU, as hooks.c's hooks_off(). */
	nf_unregister_net_hooks(ln->net, local_ops(bit), LOCAL_NR_OPS);
	WRITE_ONCE(ln->hooks_on, ln->hooks_on & ~bit);
}

/* Off for each family none of whose services has local-clients. */
void l4lb_local_hooks_sync(struct l4lb_net *ln)
{
	lockdep_assert_held(&ln->lock);

	if (!ln->n_local6)
		local_off(ln, L4LB_HOOKS_LOCAL6);
	if (ln->n_local == ln->n_local6)
		local_off(ln, L4LB_HOOKS_LOCAL4);
}

void l4lb_local_hooks_unregister(struct l4lb_net *ln)
{
	lockdep_assert_held(&ln->lock);

	local_off(ln, L4LB_HOOKS_LOCAL6);
	local_off(ln, L4LB_HOOKS_LOCAL4);
}

// SPDX-License-Identifier: GPL-2.0
/*
 * IPv6's side of the hooks: parsing (extension headers walked with
 * ipv6_skip_exthdr(), nothing assumed linear), ICMPv6 errors, and the
 * PRE_ROUTING entry. The flow logic is hooks.c's, family-blind. Fragments
 * were reassembled by nf_defrag_ipv6 (enabled with these hooks) before
 * they get here; one that was not (too many, too late) is left alone.
 * Runs under the RCU read lock nf_hook() holds.
 */

#include <linux/icmpv6.h>
#include <linux/if.h>
#include <linux/ipv6.h>
#include <linux/netdevice.h>
#include <linux/netfilter_ipv6.h>
#include <linux/skbuff.h>
#include <net/ipv6.h>

#include "hooks.h"
#include "netns.h"
#include "pkt.h"

/*
 * The transport header of @skb's IPv6 packet, past any extension header:
 * its offset from the network header, and *@proto; -1 for a fragment
 * other than a whole (atomic) one, or headers cut short.
 */
static int l4_offset(const struct sk_buff *skb, unsigned int nhoff,
		     u8 *proto)
{
	const struct ipv6hdr *ip6h;
	struct ipv6hdr _ip6h;
	__be16 frag_off;
	int off;

	ip6h = skb_header_pointer(skb, nhoff, sizeof(_ip6h), &_ip6h);
	if (!ip6h)
		return -1;
	*proto = ip6h->nexthdr;
	off = ipv6_skip_exthdr(skb, nhoff + sizeof(_ip6h), proto, &frag_off);
	if (off < 0 || (frag_off & htons(IP6_OFFSET | IP6_MF)))
		return -1;
	return off - skb_network_offset(skb);
}

/* A TCP or UDP packet, whole: fills @p as hooks.c's pkt_parse() does. */
static bool pkt_parse6(struct sk_buff *skb, struct l4lb_pkt *p, int thoff,
		       u8 proto)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);

	if (thoff < 0 || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return false;
	p->saddr.in6 = ip6h->saddr;
	p->daddr.in6 = ip6h->daddr;
	p->proto = proto;
	p->v6 = true;
	p->local = false;
	p->thoff = thoff;
	return l4lb_pkt_ports(skb, p);
}

bool l4lb_pkt_parse6(struct sk_buff *skb, struct l4lb_pkt *p)
{
	u8 proto;
	int thoff = l4_offset(skb, skb_network_offset(skb), &proto);

	return pkt_parse6(skb, p, thoff, proto);
}

/*
 * An ICMPv6 error (Destination Unreachable, Packet Too Big, Time
 * Exceeded, Parameter Problem) at @icmpoff, quoting a TCP or UDP packet:
 * fills @in with the quoted packet's addresses, ports and transport
 * offset.
 */
static bool icmp6_parse(struct sk_buff *skb, unsigned int icmpoff,
			struct l4lb_pkt *in)
{
	unsigned int inoff = skb_network_offset(skb) + icmpoff +
			     sizeof(struct icmp6hdr);
	const struct ipv6hdr *inner;
	const struct icmp6hdr *ih;
	struct ipv6hdr _inner;
	struct icmp6hdr _ih;
	__be16 *ports, _ports[2];
	int thoff;
	u8 proto;

	ih = skb_header_pointer(skb, skb_network_offset(skb) + icmpoff,
				sizeof(_ih), &_ih);
	if (!ih || (ih->icmp6_type != ICMPV6_DEST_UNREACH &&
		    ih->icmp6_type != ICMPV6_PKT_TOOBIG &&
		    ih->icmp6_type != ICMPV6_TIME_EXCEED &&
		    ih->icmp6_type != ICMPV6_PARAMPROB))
		return false;
	inner = skb_header_pointer(skb, inoff, sizeof(_inner), &_inner);
	if (!inner)
		return false;
	thoff = l4_offset(skb, inoff, &proto);
	if (thoff < 0 || (proto != IPPROTO_TCP && proto != IPPROTO_UDP))
		return false;
	ports = skb_header_pointer(skb, skb_network_offset(skb) + thoff,
				   sizeof(_ports), _ports);
	if (!ports)
		return false;
	in->saddr.in6 = inner->saddr;
	in->daddr.in6 = inner->daddr;
	in->sport = ports[0];
	in->dport = ports[1];
	in->proto = proto;
	in->v6 = true;
	in->thoff = thoff;
	return true;
}

int l4lb_icmp_parse6(struct sk_buff *skb, struct l4lb_pkt *in)
{
	u8 proto;
	int thoff = l4_offset(skb, skb_network_offset(skb), &proto);

	return thoff >= 0 && proto == IPPROTO_ICMPV6 &&
	       icmp6_parse(skb, thoff, in) ? thoff : -1;
}

static unsigned int pre_routing6(void *priv, struct sk_buff *skb,
				 const struct nf_hook_state *state)
{
	struct l4lb_net *ln = l4lb_net(state->net);
	struct l4lb_pkt p;
	int thoff;
	u8 proto;

	/* Looped back, as in hooks.c's pre_routing(); or not to a VIP. */
	if (unlikely(state->in->flags & IFF_LOOPBACK) ||
	    !l4lb_vip_addr_seen(ln, l4lb_addr_fold6(&ipv6_hdr(skb)->daddr)))
		return NF_ACCEPT;
	thoff = l4_offset(skb, skb_network_offset(skb), &proto);
	if (thoff >= 0 && proto == IPPROTO_ICMPV6)
		return icmp6_parse(skb, thoff, &p) ?
		       l4lb_icmp_in(ln, skb, &p, thoff) : NF_ACCEPT;
	if (!pkt_parse6(skb, &p, thoff, proto) ||
	    (!l4lb_vip_seen(ln, l4lb_addr_fold6(&p.daddr.in6), p.dport,
			    p.proto) &&
	     !l4lb_vip_range_seen(ln, l4lb_addr_fold6(&p.daddr.in6), p.proto)))
		return NF_ACCEPT;
	return l4lb_in(ln, skb, &p);
}

unsigned int l4lb_pre_routing6(void *priv, struct sk_buff *skb,
			       const struct nf_hook_state *state)
{
	return l4lb_hook_bh_off(pre_routing6, priv, skb, state);
}

/* Called by l4lb_post_routing(), bottom halves off. */
unsigned int l4lb_post_routing6(struct l4lb_net *ln, struct sk_buff *skb,
				const struct nf_hook_state *state)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	bool from_be = l4lb_be_addr_seen(ln, l4lb_addr_fold6(&ip6h->saddr));
	union nf_inet_addr outer_saddr;
	struct l4lb_pkt p;
	int thoff;
	u8 proto;

	/*
	 * Client packets and passing traffic, not from a backend: only an
	 * ICMPv6 error (from anyone, maybe behind extension headers) may
	 * still be about a flow.
	 */
	if (!from_be && ip6h->nexthdr != IPPROTO_ICMPV6 &&
	    !ipv6_ext_hdr(ip6h->nexthdr))
		return NF_ACCEPT;
	thoff = l4_offset(skb, skb_network_offset(skb), &proto);
	if (thoff >= 0 && proto == IPPROTO_ICMPV6) {
		if (!icmp6_parse(skb, thoff, &p))
			return NF_ACCEPT;
		outer_saddr.in6 = ipv6_hdr(skb)->saddr;
		return l4lb_icmp_out(ln, skb, &p, thoff, &outer_saddr);
	}
	if (!from_be || !pkt_parse6(skb, &p, thoff, proto) ||
	    !l4lb_be_port_seen(ln, l4lb_addr_fold6(&p.saddr.in6), p.sport,
			       p.proto))
		return NF_ACCEPT;
	return l4lb_reply(ln, skb, &p, state);
}

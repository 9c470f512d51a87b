// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: packets as the wire has them (checksums right), turned into skbs
 * of any layout (all linear, or the first bytes linear and the rest in
 * one or two page fragments, as napi_gro_frags and jumbo AF_PACKET frames
 * make them), checked the way ip_rcv() checks them, and fed to l4lb's
 * hook functions as netfilter would; IPv6 packets too (kpkt6_*).
 */

#include <linux/etherdevice.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <linux/netfilter.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/net_namespace.h>

#include "../../kmod/hooks.h"
#include "packet.h"

static void ip_header(u8 *buf, u8 proto, u32 saddr, u32 daddr,
		      unsigned int opt_words, unsigned int len)
{
	struct iphdr *iph = (struct iphdr *)buf;

	memset(iph, 0, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5 + opt_words;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->saddr = htonl(saddr);
	iph->daddr = htonl(daddr);
	/* NOP options: the transport header sits further in. */
	memset(buf + sizeof(*iph), IPOPT_NOOP, opt_words * 4);
	iph->tot_len = htons(len);
	iph->check = ip_fast_csum(buf, iph->ihl);
}

/* tot_len and the header checksum made right again after a mutation. */
void kpkt_fix_ip(u8 *buf, unsigned int len)
{
	struct iphdr *iph = (struct iphdr *)buf;

	iph->tot_len = htons(len);
	iph->check = 0;
	if (iph->ihl >= 5 && iph->ihl * 4 <= len)
		iph->check = ip_fast_csum(buf, iph->ihl);
}

/*
 * The TCP or UDP header (checksum 0) and payload at @l4, @l4len bytes in
 * all; returns where the checksum goes, for the family's builder.
 */
static __sum16 *l4_build(u8 *l4, unsigned int l4len, u8 proto, u16 sport,
			 u16 dport, u8 flags, unsigned int payload)
{
	u8 *data = l4 + l4len - payload;
	struct udphdr *uh;
	unsigned int i;

	for (i = 0; i < payload; i++)
		data[i] = i * 7 + 1;
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)l4;

		memset(th, 0, sizeof(*th));
		th->source = htons(sport);
		th->dest = htons(dport);
		th->seq = htonl(1000);
		th->doff = 5;
		l4[13] = flags;
		th->window = htons(1024);
		return &th->check;
	}
	uh = (struct udphdr *)l4;
	uh->source = htons(sport);
	uh->dest = htons(dport);
	uh->len = htons(l4len);
	uh->check = 0;
	return &uh->check;
}

static unsigned int l4_len(u8 proto, unsigned int payload)
{
	return (proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
				       sizeof(struct udphdr)) + payload;
}

/* A TCP or UDP packet with valid checksums; returns its length. */
unsigned int kpkt_build(u8 *buf, const struct kpkt *p)
{
	unsigned int thoff = 20 + p->opt_words * 4;
	unsigned int l4len = l4_len(p->proto, p->payload);
	__sum16 *check;

	ip_header(buf, p->proto, p->saddr, p->daddr, p->opt_words,
		  thoff + l4len);
	check = l4_build(buf + thoff, l4len, p->proto, p->sport, p->dport,
			 p->flags, p->payload);
	*check = csum_tcpudp_magic(htonl(p->saddr), htonl(p->daddr), l4len,
				   p->proto, csum_partial(buf + thoff, l4len, 0));
	/* Computed as 0, a UDP checksum is sent as all ones. */
	if (p->proto == IPPROTO_UDP && !*check)
		*check = CSUM_MANGLED_0;
	return thoff + l4len;
}

/* An ICMP error from @saddr to @daddr quoting @qlen bytes of @quote. */
unsigned int kpkt_build_icmp(u8 *buf, u32 saddr, u32 daddr, u8 type, u8 code,
			     const u8 *quote, unsigned int qlen)
{
	struct icmphdr *ih = (struct icmphdr *)(buf + 20);
	unsigned int len = 20 + sizeof(*ih) + qlen;

	ip_header(buf, IPPROTO_ICMP, saddr, daddr, 0, len);
	memset(ih, 0, sizeof(*ih));
	ih->type = type;
	ih->code = code;
	memcpy(ih + 1, quote, qlen);
	ih->checksum = csum_fold(csum_partial(ih, sizeof(*ih) + qlen, 0));
	return len;
}

static void add_frag(struct sk_buff *skb, const u8 *data, unsigned int len)
{
	struct page *page = alloc_page(GFP_KERNEL);

	if (!page)
		return;
	memcpy(page_address(page), data, len);
	skb_add_rx_frag(skb, skb_shinfo(skb)->nr_frags, page, 0, len,
			PAGE_SIZE);
}

/*
 * An skb of @buf: its first @linear bytes in the linear part, the rest in
 * page fragments split at @split bytes after them (0: one fragment).
 * Fragments hold a page each, so at most 2 * PAGE_SIZE beyond @linear.
 */
struct sk_buff *kpkt_skb(const u8 *buf, unsigned int len, unsigned int linear,
			 unsigned int split)
{
	unsigned int rest, first;
	struct sk_buff *skb;

	linear = min(linear, len);
	skb = alloc_skb(LL_MAX_HEADER + linear, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, LL_MAX_HEADER);
	skb_reset_network_header(skb);
	skb_put_data(skb, buf, linear);
	rest = len - linear;
	first = split && split < rest ? split : rest;
	first = min_t(unsigned int, first, PAGE_SIZE);
	if (first)
		add_frag(skb, buf + linear, first);
	if (rest > first)
		add_frag(skb, buf + linear + first,
			 min_t(unsigned int, rest - first, PAGE_SIZE));
	skb->protocol = htons(ETH_P_IP);
	skb->ip_summed = CHECKSUM_NONE;
	return skb;
}

/*
 * What ip_rcv_core() lets through to PRE_ROUTING: a whole IPv4 header,
 * linear, with a valid checksum and a total length the skb holds (the skb
 * trimmed to it). False: the stack would have dropped it first.
 */
bool kpkt_ip_rcv(struct sk_buff *skb)
{
	const struct iphdr *iph;
	unsigned int len;

	if (!pskb_may_pull(skb, sizeof(struct iphdr)))
		return false;
	iph = ip_hdr(skb);
	if (iph->ihl < 5 || iph->version != 4)
		return false;
	if (!pskb_may_pull(skb, iph->ihl * 4))
		return false;
	iph = ip_hdr(skb);
	if (ip_fast_csum((const u8 *)iph, iph->ihl))
		return false;
	len = ntohs(iph->tot_len);
	if (skb->len < len || len < iph->ihl * 4)
		return false;
	if (pskb_trim_rcsum(skb, len))
		return false;
	skb_set_transport_header(skb, iph->ihl * 4);
	return true;
}

/*
 * The device received packets arrive by: an Ethernet device of init_net,
 * never registered (a packet that arrives by the loopback device was sent
 * by this machine, which PRE_ROUTING leaves alone). Made at first use,
 * kept for every suite.
 */
struct net_device *kpkt_in_dev(void)
{
	static struct net_device *dev;

	if (!dev)
		dev = alloc_etherdev(0);
	return dev;
}

/*
 * Runs l4lb's PRE_ROUTING (@in) or POST_ROUTING hook of family @pf on @skb
 * in init_net, as nf_hook() does: under RCU; PRE_ROUTING with bottom
 * halves off, as in softirq, POST_ROUTING with them on, as for a packet
 * of a local socket (the hook turns them off itself; forwarding, in
 * softirq, is the guest tests'). @out is the device a POST_ROUTING packet
 * leaves by (NULL: none in particular).
 */
static unsigned int hook(struct sk_buff *skb, u8 pf, bool in,
			 struct net_device *out)
{
	struct nf_hook_state state = {
		.hook = in ? NF_INET_PRE_ROUTING : NF_INET_POST_ROUTING,
		.pf = pf,
		.in = in ? kpkt_in_dev() : NULL,
		.out = in ? NULL : out,
		.net = &init_net,
	};
	unsigned int verdict;

	/* As received: a RST l4lb sends in reply routes by the device's netns. */
	if (in && !skb->dev)
		skb->dev = kpkt_in_dev();
	rcu_read_lock();
	if (in) {
		local_bh_disable();
		verdict = pf == NFPROTO_IPV6 ?
			  l4lb_pre_routing6(NULL, skb, &state) :
			  l4lb_pre_routing(NULL, skb, &state);
		local_bh_enable();
	} else {
		verdict = l4lb_post_routing(NULL, skb, &state);
	}
	rcu_read_unlock();
	return verdict;
}

unsigned int kpkt_hook(struct sk_buff *skb, bool in, struct net_device *out)
{
	return hook(skb, NFPROTO_IPV4, in, out);
}

/* The TCP or UDP checksum, recomputed over the whole packet, holds. */
bool kpkt_l4_csum_ok(struct sk_buff *skb)
{
	const struct iphdr *iph = ip_hdr(skb);
	unsigned int thoff = iph->ihl * 4, l4len = skb->len - thoff;
	struct udphdr _uh;
	const struct udphdr *uh;
	__wsum sum;

	if (iph->protocol == IPPROTO_UDP) {
		uh = skb_header_pointer(skb, thoff, sizeof(_uh), &_uh);
		if (!uh)
			return false;
		if (!uh->check)
			return true;
	}
	sum = skb_checksum(skb, thoff, l4len, 0);
	return !csum_tcpudp_magic(iph->saddr, iph->daddr, l4len,
				  iph->protocol, sum);
}

/*
 * An IPv6 TCP or UDP packet with a valid checksum, behind a hop-by-hop
 * header if asked: returns the transport offset, *@len the length.
 */
unsigned int kpkt6_build(u8 *buf, const struct kpkt6 *p, unsigned int *len)
{
	struct ipv6hdr *ip6h = (struct ipv6hdr *)buf;
	unsigned int thoff = sizeof(*ip6h) + (p->hbh ? 8 : 0);
	unsigned int l4len = l4_len(p->proto, p->payload);
	__sum16 *check;

	memset(ip6h, 0, sizeof(*ip6h));
	ip6h->version = 6;
	ip6h->payload_len = htons(thoff - sizeof(*ip6h) + l4len);
	ip6h->nexthdr = p->hbh ? NEXTHDR_HOP : p->proto;
	ip6h->hop_limit = 64;
	ip6h->saddr = p->saddr;
	ip6h->daddr = p->daddr;
	if (p->hbh) {
		/* Next header, length 0 (8 bytes), then a PadN of 4. */
		u8 hbh[8] = { p->proto, 0, 1, 4, 0, 0, 0, 0 };

		memcpy(buf + sizeof(*ip6h), hbh, sizeof(hbh));
	}
	check = l4_build(buf + thoff, l4len, p->proto, p->sport, p->dport,
			 p->flags, p->payload);
	*check = csum_ipv6_magic(&p->saddr, &p->daddr, l4len, p->proto,
				 csum_partial(buf + thoff, l4len, 0));
	if (p->proto == IPPROTO_UDP && !*check)
		*check = CSUM_MANGLED_0;
	*len = thoff + l4len;
	return thoff;
}

/* kpkt_skb() of an IPv6 packet. */
struct sk_buff *kpkt6_skb(const u8 *buf, unsigned int len,
			  unsigned int linear, unsigned int split)
{
	struct sk_buff *skb = kpkt_skb(buf, len, linear, split);

	if (skb)
		skb->protocol = htons(ETH_P_IPV6);
	return skb;
}

/* kpkt_hook() for IPv6. */
unsigned int kpkt6_hook(struct sk_buff *skb, bool in)
{
	return hook(skb, NFPROTO_IPV6, in, NULL);
}

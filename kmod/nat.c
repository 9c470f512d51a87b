// SPDX-License-Identifier: GPL-2.0
/*
 * Address and port rewriting of IPv4 TCP and UDP packets. Checksums are
 * updated incrementally, CHECKSUM_PARTIAL and GSO packets included (only
 * the pseudo-header part changes); nothing is linearised: at most the
 * headers are made writable.
 */

#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>

#include "nat.h"

/*
 * Rewrites the source (@src) or destination address and port. The caller
 * has checked that the packet is an unfragmented TCP or UDP packet with a
 * complete transport header. Returns 0, or -ENOMEM: drop the packet.
 */
int l4lb_nat4(struct sk_buff *skb, bool src, __be32 addr, __be16 port)
{
	unsigned int thoff = skb_network_offset(skb) + ip_hdrlen(skb);
	bool udp = ip_hdr(skb)->protocol == IPPROTO_UDP;
	__be32 *paddr, old_addr;
	__be16 *pport, old_port;
	struct iphdr *iph;
	__sum16 *check;

	if (skb_ensure_writable(skb, thoff + (udp ? sizeof(struct udphdr) :
						     sizeof(struct tcphdr))))
		return -ENOMEM;
	iph = ip_hdr(skb);
	if (udp) {
		struct udphdr *uh = (struct udphdr *)(skb->data + thoff);

		pport = src ? &uh->source : &uh->dest;
		/* A UDP checksum of 0 means none, unless the stack owes one. */
		check = uh->check || skb->ip_summed == CHECKSUM_PARTIAL ?
			&uh->check : NULL;
	} else {
		struct tcphdr *th = (struct tcphdr *)(skb->data + thoff);

		pport = src ? &th->source : &th->dest;
		check = &th->check;
	}
	paddr = src ? &iph->saddr : &iph->daddr;
	old_addr = *paddr;
	old_port = *pport;

	csum_replace4(&iph->check, old_addr, addr);
	if (check) {
		inet_proto_csum_replace4(check, skb, old_addr, addr, true);
		inet_proto_csum_replace2(check, skb, old_port, port, false);
		if (udp && !*check)
			*check = CSUM_MANGLED_0;
	}
	*paddr = addr;
	*pport = port;
	return 0;
}

/*
 * An ICMP error quoting a balanced packet (the "inner" packet, whose IP
 * header and first 8 transport bytes follow the ICMP header at @icmpoff
 * from the network header): its source (@inner_src) or destination
 * address and port become @addr and @port. The quoted UDP checksum is
 * updated in place; the ICMP checksum is computed again over the message
 * (an error is at most 576 bytes), once the old one was found right:
 * -EBADMSG if not, as nf_nat refuses one. The caller checked the quote is
 * there.
 */
static int icmp_rewrite_inner(struct sk_buff *skb, unsigned int icmpoff,
			      bool inner_src, __be32 addr, __be16 port)
{
	unsigned int off = skb_network_offset(skb) + icmpoff;
	unsigned int inoff = off + sizeof(struct icmphdr);
	struct icmphdr *icmph;
	struct iphdr *inner;
	__be32 *paddr;
	__be16 *pport;

	/* A corrupt error must not come out whole: checked first. */
	if (csum_fold(skb_checksum(skb, off, skb->len - off, 0)))
		return -EBADMSG;
	if (skb_ensure_writable(skb, inoff + sizeof(*inner)))
		return -ENOMEM;
	inner = (struct iphdr *)(skb->data + inoff);
	if (skb_ensure_writable(skb, inoff + inner->ihl * 4 + 8))
		return -ENOMEM;
	icmph = (struct icmphdr *)(skb->data + off);
	inner = (struct iphdr *)(skb->data + inoff);

	/* Both transport headers start with the source, then the dest port. */
	pport = (__be16 *)(skb->data + inoff + inner->ihl * 4);
	if (inner->protocol == IPPROTO_UDP) {
		struct udphdr *uh = (struct udphdr *)pport;

		if (uh->check) {
			csum_replace4(&uh->check,
				      inner_src ? inner->saddr : inner->daddr,
				      addr);
			csum_replace2(&uh->check, inner_src ? uh->source :
				      uh->dest, port);
			if (!uh->check)
				uh->check = CSUM_MANGLED_0;
		}
	}
	if (!inner_src)
		pport++;
	paddr = inner_src ? &inner->saddr : &inner->daddr;
	csum_replace4(&inner->check, *paddr, addr);
	*paddr = addr;
	*pport = port;

	icmph->checksum = 0;
	icmph->checksum = csum_fold(skb_checksum(skb, off, skb->len - off, 0));
	/* The bytes changed under any checksum the device gave. */
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
	return 0;
}

/*
 * An error about a reply (VIP to client) sent back to the VIP: it goes to
 * the backend, quoting the packet as the backend sent it.
 */
int l4lb_nat4_icmp_in(struct sk_buff *skb, unsigned int icmpoff,
		      __be32 addr, __be16 port)
{
	struct iphdr *iph;
	int ret;

	ret = icmp_rewrite_inner(skb, icmpoff, true, addr, port);
	if (ret)
		return ret;
	iph = ip_hdr(skb);
	csum_replace4(&iph->check, iph->daddr, addr);
	iph->daddr = addr;
	return 0;
}

/*
 * An error about a packet the client sent (client to backend) on its way
 * to the client: it quotes the packet as the client sent it, to the VIP,
 * and, when the backend itself sent it, comes from the VIP too.
 */
int l4lb_nat4_icmp_out(struct sk_buff *skb, unsigned int icmpoff,
		       __be32 addr, __be16 port, bool outer_src)
{
	struct iphdr *iph;
	int ret;

	ret = icmp_rewrite_inner(skb, icmpoff, false, addr, port);
	if (ret)
		return ret;
	if (outer_src) {
		iph = ip_hdr(skb);
		csum_replace4(&iph->check, iph->saddr, addr);
		iph->saddr = addr;
	}
	return 0;
}

// SPDX-License-Identifier: GPL-2.0
/*
 * Address and port rewriting of IPv6 TCP and UDP packets, and of ICMPv6
 * errors that quote them. As in nat.c: checksums updated incrementally
 * over the pseudo-header (16-byte addresses), CHECKSUM_PARTIAL and GSO
 * packets included, nothing linearised. IPv6 has no header checksum, and
 * a UDP checksum of 0 is invalid: never produced from another one.
 */

#include <linux/icmpv6.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>

#include "nat.h"

/*
 * Rewrites the source (@src) or destination address and port of a TCP or
 * UDP (@proto) packet whose transport header is at @thoff from the
 * network header; the caller checked it is complete and not a fragment.
 * Returns 0, or -ENOMEM: drop the packet.
 */
int l4lb_nat6(struct sk_buff *skb, unsigned int thoff, u8 proto, bool src,
	      const struct in6_addr *addr, __be16 port)
{
	unsigned int off = skb_network_offset(skb) + thoff;
	bool udp = proto == IPPROTO_UDP;
	struct in6_addr *paddr;
	struct ipv6hdr *ip6h;
	__be16 *pport;
	__sum16 *check;

	if (skb_ensure_writable(skb, off + (udp ? sizeof(struct udphdr) :
						  sizeof(struct tcphdr))))
		return -ENOMEM;
	ip6h = ipv6_hdr(skb);
	if (udp) {
		struct udphdr *uh = (struct udphdr *)(skb->data + off);

		pport = src ? &uh->source : &uh->dest;
		/*
		 * Invalid in IPv6, but a tunnel's socket may take it
		 * (RFC 6935): left as it came, as nf_nat leaves it.
		 */
		check = uh->check || skb->ip_summed == CHECKSUM_PARTIAL ?
			&uh->check : NULL;
	} else {
		struct tcphdr *th = (struct tcphdr *)(skb->data + off);

		pport = src ? &th->source : &th->dest;
		check = &th->check;
	}
	paddr = src ? &ip6h->saddr : &ip6h->daddr;
	if (check) {
		inet_proto_csum_replace16(check, skb, paddr->s6_addr32,
					  addr->s6_addr32, true);
		inet_proto_csum_replace2(check, skb, *pport, port, false);
		if (udp && !*check)
			*check = CSUM_MANGLED_0;
	}
	*paddr = *addr;
	*pport = port;
	return 0;
}

/*
 * A checksum among a packet's bytes, not the skb's (the quoted UDP one in
 * an ICMPv6 error): 16 bytes of it change from @from to @to.
 */
static void csum_replace_addr6(__sum16 *sum, const struct in6_addr *from,
			       const struct in6_addr *to)
{
	__be32 diff[] = {
		~from->s6_addr32[0], ~from->s6_addr32[1],
		~from->s6_addr32[2], ~from->s6_addr32[3],
		to->s6_addr32[0], to->s6_addr32[1],
		to->s6_addr32[2], to->s6_addr32[3],
	};

	*sum = csum_fold(csum_partial(diff, sizeof(diff), ~csum_unfold(*sum)));
}

/*
 * An ICMPv6 error (at @icmpoff from the network header) quoting a
 * balanced TCP or UDP (@proto) packet whose transport header is at
 * @inthoff: the quoted source (@inner_src) or destination address and
 * port become @addr and @port, and the quoted UDP checksum follows when
 * the quote holds it (an error may quote as little as the ports, which
 * icmp6_parse() asks). The ICMPv6 checksum, which covers the outer
 * addresses too, is computed again by icmp6_checksum() once those are
 * final.
 */
static int icmp6_rewrite_inner(struct sk_buff *skb, unsigned int icmpoff,
			       unsigned int inthoff, u8 proto, bool inner_src,
			       const struct in6_addr *addr, __be16 port)
{
	unsigned int inoff = skb_network_offset(skb) + icmpoff +
			     sizeof(struct icmp6hdr);
	unsigned int toff = skb_network_offset(skb) + inthoff;
	bool csum = proto == IPPROTO_UDP &&
		    skb->len >= toff + sizeof(struct udphdr);
	struct in6_addr *paddr;
	struct ipv6hdr *inner;
	__be16 *pport;

	/* The ports, and the UDP checksum (bytes 6 and 7) if quoted. */
	if (skb_ensure_writable(skb, toff + (csum ? sizeof(struct udphdr) :
						    2 * sizeof(__be16))))
		return -ENOMEM;
	inner = (struct ipv6hdr *)(skb->data + inoff);
	pport = (__be16 *)(skb->data + toff);
	paddr = inner_src ? &inner->saddr : &inner->daddr;
	if (!inner_src)
		pport++;
	if (csum) {
		struct udphdr *uh = (struct udphdr *)(skb->data + toff);

		if (uh->check) {
			csum_replace_addr6(&uh->check, paddr, addr);
			csum_replace2(&uh->check, *pport, port);
			if (!uh->check)
				uh->check = CSUM_MANGLED_0;
		}
	}
	*paddr = *addr;
	*pport = port;
	return 0;
}

/* The ICMPv6 checksum over the message and its pseudo-header, again. */
static void icmp6_checksum(struct sk_buff *skb, unsigned int icmpoff)
{
	unsigned int off = skb_network_offset(skb) + icmpoff;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	struct icmp6hdr *ih = (struct icmp6hdr *)(skb->data + off);
	unsigned int len = skb->len - off;

	ih->icmp6_cksum = 0;
	ih->icmp6_cksum = csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, len,
					  IPPROTO_ICMPV6,
					  skb_checksum(skb, off, len, 0));
	/* The bytes changed under any checksum the device gave. */
	if (skb->ip_summed == CHECKSUM_COMPLETE)
		skb->ip_summed = CHECKSUM_NONE;
}

/*
 * The ICMPv6 checksum holds: a corrupt error must not come out whole from
 * icmp6_checksum() (nf_nat refuses one too).
 */
static bool icmp6_checksum_ok(const struct sk_buff *skb, unsigned int icmpoff)
{
	unsigned int off = skb_network_offset(skb) + icmpoff;
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	unsigned int len = skb->len - off;

	return !csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, len,
				IPPROTO_ICMPV6, skb_checksum(skb, off, len, 0));
}

/*
 * An error about a reply (VIP to client) sent back to the VIP: it goes to
 * the backend, quoting the packet as the backend sent it.
 */
int l4lb_nat6_icmp_in(struct sk_buff *skb, unsigned int icmpoff,
		      unsigned int inthoff, u8 proto,
		      const struct in6_addr *addr, __be16 port)
{
	if (!icmp6_checksum_ok(skb, icmpoff))
		return -EBADMSG;
	if (icmp6_rewrite_inner(skb, icmpoff, inthoff, proto, true, addr,
				port))
		return -ENOMEM;
	ipv6_hdr(skb)->daddr = *addr;
	icmp6_checksum(skb, icmpoff);
	return 0;
}

/*
 * An error about a packet the client sent (client to backend) on its way
 * to the client: it quotes the packet as the client sent it, to the VIP,
 * and, when the backend itself sent it, comes from the VIP too.
 */
int l4lb_nat6_icmp_out(struct sk_buff *skb, unsigned int icmpoff,
		       unsigned int inthoff, u8 proto,
		       const struct in6_addr *addr, __be16 port, bool outer_src)
{
	if (!icmp6_checksum_ok(skb, icmpoff))
		return -EBADMSG;
	if (icmp6_rewrite_inner(skb, icmpoff, inthoff, proto, false, addr,
				port))
		return -ENOMEM;
	if (outer_src)
		ipv6_hdr(skb)->saddr = *addr;
	icmp6_checksum(skb, icmpoff);
	return 0;
}

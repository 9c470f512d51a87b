// SPDX-License-Identifier: GPL-2.0
/*
 * Address and port rewriting of IPv4 TCP and UDP packets. Checksums are
 * updated incrementally, CHECKSUM_PARTIAL and GSO packets included (only
 * the pseudo-header part changes); nothing is linearised: at most the
 * headers are made writable.
 */

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

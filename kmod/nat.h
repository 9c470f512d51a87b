/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_NAT_H
#define _L4LB_NAT_H

#include <linux/skbuff.h>

int l4lb_nat4(struct sk_buff *skb, bool src, __be32 addr, __be16 port);
int l4lb_nat4_icmp_in(struct sk_buff *skb, unsigned int icmpoff,
		      __be32 addr, __be16 port);
int l4lb_nat4_icmp_out(struct sk_buff *skb, unsigned int icmpoff,
		       __be32 addr, __be16 port, bool outer_src);

struct in6_addr;

int l4lb_nat6(struct sk_buff *skb, unsigned int thoff, u8 proto, bool src,
	      const struct in6_addr *addr, __be16 port);
int l4lb_nat6_icmp_in(struct sk_buff *skb, unsigned int icmpoff,
		      unsigned int inthoff, u8 proto,
		      const struct in6_addr *addr, __be16 port);
int l4lb_nat6_icmp_out(struct sk_buff *skb, unsigned int icmpoff,
		       unsigned int inthoff, u8 proto,
		       const struct in6_addr *addr, __be16 port, bool outer_src);

#endif /* _L4LB_NAT_H */

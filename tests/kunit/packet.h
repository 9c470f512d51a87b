/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_KUNIT_PACKET_H
#define _L4LB_KUNIT_PACKET_H

#include <linux/in6.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <linux/types.h>

/* Room for any packet the suites build: a jumbo-sized frame. */
#define KPKT_MAX	9000

/* TCP flags, as on the wire. */
#define KPKT_FIN	0x01
#define KPKT_SYN	0x02
#define KPKT_RST	0x04
#define KPKT_ACK	0x10

/**
 * struct kpkt - what a built packet carries; addresses and ports in host
 * order, @opt_words words of IP options (NOPs), @payload bytes of payload
 */
struct kpkt {
	u8 proto;
	u32 saddr, daddr;
	u16 sport, dport;
	u8 flags;
	unsigned int opt_words;
	unsigned int payload;
};

unsigned int kpkt_build(u8 *buf, const struct kpkt *p);
unsigned int kpkt_build_icmp(u8 *buf, u32 saddr, u32 daddr, u8 type, u8 code,
			     const u8 *quote, unsigned int qlen);
void kpkt_fix_ip(u8 *buf, unsigned int len);
struct sk_buff *kpkt_skb(const u8 *buf, unsigned int len, unsigned int linear,
			 unsigned int split);
bool kpkt_ip_rcv(struct sk_buff *skb);
struct net_device *kpkt_in_dev(void);
unsigned int kpkt_hook(struct sk_buff *skb, bool in, struct net_device *out);
bool kpkt_l4_csum_ok(struct sk_buff *skb);

/**
 * struct kpkt6 - an IPv6 packet, as &struct kpkt; @hbh: a hop-by-hop
 * options header (8 bytes, a PadN) before the transport header
 */
struct kpkt6 {
	u8 proto;
	struct in6_addr saddr, daddr;
	u16 sport, dport;
	u8 flags;
	bool hbh;
	unsigned int payload;
};

unsigned int kpkt6_build(u8 *buf, const struct kpkt6 *p, unsigned int *len);
struct sk_buff *kpkt6_skb(const u8 *buf, unsigned int len,
			  unsigned int linear, unsigned int split);
unsigned int kpkt6_hook(struct sk_buff *skb, bool in);

#endif /* _L4LB_KUNIT_PACKET_H */

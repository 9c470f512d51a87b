/* SPDX-License-Identifier: GPL-2.0 */
#ifndef _L4LB_PKT_H
#define _L4LB_PKT_H

#include <linux/netfilter.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/types.h>

struct l4lb_net;
struct nf_hook_state;

/*
 * What the hooks read of a packet, whatever its family: addresses (an
 * IPv4 packet fills .ip only), ports and TCP flags. The per-family code
 * (hooks.c for IPv4, hooks6.c for IPv6) parses into it; the flow logic
 * (hooks.c) reads nothing else.
 */
struct l4lb_pkt {
	union nf_inet_addr saddr, daddr;
	unsigned int thoff;	/* transport header, from the network header */
	__be16 sport, dport;
	u8 proto;
	bool v6;
	bool local;	/* sent by this machine (LOCAL_OUT: local.c) */
	bool syn;	/* SYN without ACK: a connection's first packet */
	bool synack;	/* SYN with ACK: the server's answer to it */
	bool ack;	/* ACK without SYN */
	bool fin;
	bool rst;
	bool data;	/* TCP with payload */
};

/*
 * Fills @p's ports and flags from the TCP or UDP header at @p->thoff
 * (which may lie in page fragments); false if it is cut short. Inline:
 * every packet to a VIP or from a backend asks it.
 */
static inline bool l4lb_pkt_ports(struct sk_buff *skb, struct l4lb_pkt *p)
{
	const struct udphdr *uh;
	const struct tcphdr *th;
	struct udphdr _uh;
	struct tcphdr _th;
	unsigned int off = skb_network_offset(skb) + p->thoff;

	if (p->proto == IPPROTO_TCP) {
		th = skb_header_pointer(skb, off, sizeof(_th), &_th);
		if (!th)
			return false;
		p->sport = th->source;
		p->dport = th->dest;
		p->syn = th->syn && !th->ack;
		p->synack = th->syn && th->ack;
		p->ack = th->ack && !th->syn;
		p->fin = th->fin;
		p->rst = th->rst;
		p->data = skb->len > off + th->doff * 4;
		return true;
	}
	uh = skb_header_pointer(skb, off, sizeof(_uh), &_uh);
	if (!uh)
		return false;
	p->sport = uh->source;
	p->dport = uh->dest;
	p->syn = false;
	p->synack = false;
	p->ack = false;
	p->fin = false;
	p->rst = false;
	p->data = false;
	return true;
}

/* The flow logic, family-blind: what the per-family hooks call. */
unsigned int l4lb_in(struct l4lb_net *ln, struct sk_buff *skb,
		     const struct l4lb_pkt *p);
unsigned int l4lb_local_reply(struct l4lb_net *ln, struct sk_buff *skb,
			      const struct l4lb_pkt *p);
/*
 * A TCP or UDP packet, whole, parsed into @p (not local); false for
 * anything else. For local.c: the hooks inline their own.
 */
bool l4lb_pkt_parse4(struct sk_buff *skb, struct l4lb_pkt *p);
bool l4lb_pkt_parse6(struct sk_buff *skb, struct l4lb_pkt *p);
unsigned int l4lb_reply(struct l4lb_net *ln, struct sk_buff *skb,
			const struct l4lb_pkt *p,
			const struct nf_hook_state *state);
/* IPv6's part of l4lb_post_routing() (hooks6.c). */
unsigned int l4lb_post_routing6(struct l4lb_net *ln, struct sk_buff *skb,
				const struct nf_hook_state *state);
/*
 * ICMP errors quoting a balanced packet @in (its addresses and ports, its
 * transport header at @in->thoff), whose ICMP header is at @icmpoff.
 */
unsigned int l4lb_icmp_in(struct l4lb_net *ln, struct sk_buff *skb,
			  const struct l4lb_pkt *in, unsigned int icmpoff);
unsigned int l4lb_icmp_out(struct l4lb_net *ln, struct sk_buff *skb,
			   const struct l4lb_pkt *in, unsigned int icmpoff,
			   const union nf_inet_addr *outer_saddr);
unsigned int l4lb_local_icmp(struct l4lb_net *ln, struct sk_buff *skb,
			     const struct l4lb_pkt *in, unsigned int icmpoff,
			     const union nf_inet_addr *outer_saddr);
/*
 * An ICMP (ICMPv6) error quoting a TCP or UDP packet: @in filled with the
 * quoted packet's addresses, ports and transport offset; for IPv6, the
 * ICMPv6 header's offset, or -1 for none.
 */
bool l4lb_icmp_parse4(struct sk_buff *skb, struct l4lb_pkt *in);
int l4lb_icmp_parse6(struct sk_buff *skb, struct l4lb_pkt *in);

#endif /* _L4LB_PKT_H */

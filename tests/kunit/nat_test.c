// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: address rewriting on real skbs. After every rewrite the packet
 * must verify as the receiver verifies it: IP header checksum, TCP or UDP
 * checksum over the pseudo-header, or, for CHECKSUM_PARTIAL, the pseudo
 * header sum the device will complete.
 */

#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/skbuff.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <net/checksum.h>
#include <net/ip.h>

#include "../../kmod/nat.h"

#define CLIENT	htonl(0xc0a80132)
#define VIP	htonl(0x0a000001)
#define BACKEND	htonl(0x0a000005)
#define PAYLOAD	100

/*
 * An IPv4 packet client:54321 -> VIP:5432 with correct checksums; the
 * test frees it (an assertion that fails leaks it).
 */
static struct sk_buff *make_pkt(struct kunit *test, u8 proto, bool partial,
				bool udp_nocsum)
{
	unsigned int l4len = (proto == IPPROTO_TCP ? sizeof(struct tcphdr) :
			      sizeof(struct udphdr)) + PAYLOAD;
	struct sk_buff *skb = alloc_skb(256 + l4len, GFP_KERNEL);
	struct iphdr *iph;
	__sum16 *check;
	u8 *l4;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 64);
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, sizeof(*iph));
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = proto;
	iph->tot_len = htons(sizeof(*iph) + l4len);
	iph->saddr = CLIENT;
	iph->daddr = VIP;
	iph->check = ip_fast_csum(iph, iph->ihl);
	skb_set_transport_header(skb, sizeof(*iph));
	l4 = skb_put(skb, l4len);
	memset(l4, 0x5a, l4len);
	if (proto == IPPROTO_TCP) {
		struct tcphdr *th = (struct tcphdr *)l4;

		memset(th, 0, sizeof(*th));
		th->source = htons(54321);
		th->dest = htons(5432);
		th->doff = 5;
		th->ack = 1;
		check = &th->check;
	} else {
		struct udphdr *uh = (struct udphdr *)l4;

		uh->source = htons(54321);
		uh->dest = htons(5432);
		uh->len = htons(l4len);
		uh->check = 0;
		check = &uh->check;
	}
	if (partial) {
		*check = ~csum_tcpudp_magic(CLIENT, VIP, l4len, proto, 0);
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = (u8 *)check - l4;
	} else if (!udp_nocsum) {
		*check = csum_tcpudp_magic(CLIENT, VIP, l4len, proto,
					   csum_partial(l4, l4len, 0));
		if (proto == IPPROTO_UDP && !*check)
			*check = CSUM_MANGLED_0;
	}
	return skb;
}

static unsigned int l4len_of(struct sk_buff *skb)
{
	return skb->len - ip_hdrlen(skb);
}

/* The receiver's check: 0 when the transport checksum is right. */
static __sum16 l4_verify(struct sk_buff *skb)
{
	struct iphdr *iph = ip_hdr(skb);

	return csum_tcpudp_magic(iph->saddr, iph->daddr, l4len_of(skb),
				 iph->protocol,
				 csum_partial(skb_transport_header(skb),
					      l4len_of(skb), 0));
}

static void expect_ports(struct kunit *test, struct sk_buff *skb,
			 u16 sport, u16 dport)
{
	__be16 *ports = (__be16 *)skb_transport_header(skb);

	KUNIT_EXPECT_EQ(test, ntohs(ports[0]), sport);
	KUNIT_EXPECT_EQ(test, ntohs(ports[1]), dport);
}

static void nat_tcp_dnat_full_csum(struct kunit *test)
{
	struct sk_buff *skb = make_pkt(test, IPPROTO_TCP, false, false);

	KUNIT_ASSERT_EQ(test, l4lb_nat4(skb, false, BACKEND, htons(15432)), 0);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, BACKEND);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, CLIENT);
	expect_ports(test, skb, 54321, 15432);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(ip_hdr(skb), 5), 0);
	KUNIT_EXPECT_EQ(test, l4_verify(skb), 0);
	kfree_skb(skb);
}

/* The way back: source rewritten, same guarantees. */
static void nat_tcp_snat_full_csum(struct kunit *test)
{
	struct sk_buff *skb = make_pkt(test, IPPROTO_TCP, false, false);

	KUNIT_ASSERT_EQ(test, l4lb_nat4(skb, true, BACKEND, htons(80)), 0);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, BACKEND);
	expect_ports(test, skb, 80, 5432);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(ip_hdr(skb), 5), 0);
	KUNIT_EXPECT_EQ(test, l4_verify(skb), 0);
	kfree_skb(skb);
}

/* GSO and offloaded packets: only the pseudo-header sum may change. */
static void nat_tcp_checksum_partial(struct kunit *test)
{
	struct sk_buff *skb = make_pkt(test, IPPROTO_TCP, true, false);
	struct tcphdr *th;

	KUNIT_ASSERT_EQ(test, l4lb_nat4(skb, false, BACKEND, htons(15432)), 0);
	th = tcp_hdr(skb);
	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
	KUNIT_EXPECT_EQ(test, th->check,
			(__sum16)~csum_tcpudp_magic(CLIENT, BACKEND,
						    l4len_of(skb),
						    IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, ip_fast_csum(ip_hdr(skb), 5), 0);
	kfree_skb(skb);
}

static void nat_udp_full_csum(struct kunit *test)
{
	struct sk_buff *skb = make_pkt(test, IPPROTO_UDP, false, false);

	KUNIT_ASSERT_EQ(test, l4lb_nat4(skb, false, BACKEND, htons(7777)), 0);
	expect_ports(test, skb, 54321, 7777);
	KUNIT_EXPECT_NE(test, udp_hdr(skb)->check, 0);
	KUNIT_EXPECT_EQ(test, l4_verify(skb), 0);
	kfree_skb(skb);
}

/* A UDP checksum of 0 means "none": it must stay 0. */
static void nat_udp_no_csum_stays_none(struct kunit *test)
{
	struct sk_buff *skb = make_pkt(test, IPPROTO_UDP, false, true);

	KUNIT_ASSERT_EQ(test, l4lb_nat4(skb, false, BACKEND, htons(7777)), 0);
	KUNIT_EXPECT_EQ(test, udp_hdr(skb)->check, 0);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(ip_hdr(skb), 5), 0);
	kfree_skb(skb);
}

/*
 * An ICMP error to the VIP quoting our reply VIP:5432 -> client: after
 * l4lb_nat4_icmp_in() it goes to the backend and quotes backend:15432.
 */
static void nat_icmp_in_quote(struct kunit *test)
{
	struct sk_buff *skb = alloc_skb(256, GFP_KERNEL);
	struct iphdr *iph, *inner;
	struct icmphdr *ih;
	struct udphdr *uh;
	unsigned int len = sizeof(*iph) + sizeof(*ih) + sizeof(*inner) +
			   sizeof(*uh);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	skb_reserve(skb, 64);
	skb_reset_network_header(skb);
	iph = skb_put_zero(skb, len);
	iph->version = 4;
	iph->ihl = 5;
	iph->ttl = 64;
	iph->protocol = IPPROTO_ICMP;
	iph->tot_len = htons(len);
	iph->saddr = htonl(0x0a000302);
	iph->daddr = VIP;
	iph->check = ip_fast_csum(iph, 5);
	ih = (struct icmphdr *)(iph + 1);
	ih->type = ICMP_DEST_UNREACH;
	ih->code = ICMP_FRAG_NEEDED;
	inner = (struct iphdr *)(ih + 1);
	inner->version = 4;
	inner->ihl = 5;
	inner->ttl = 63;
	inner->protocol = IPPROTO_UDP;
	inner->tot_len = htons(1500);
	inner->saddr = VIP;
	inner->daddr = CLIENT;
	inner->check = ip_fast_csum(inner, 5);
	uh = (struct udphdr *)(inner + 1);
	uh->source = htons(5432);
	uh->dest = htons(54321);
	ih->checksum = csum_fold(csum_partial(ih, len - sizeof(*iph), 0));

	KUNIT_ASSERT_EQ(test, l4lb_nat4_icmp_in(skb, sizeof(*iph), BACKEND,
						htons(15432)), 0);
	iph = ip_hdr(skb);
	ih = (struct icmphdr *)(iph + 1);
	inner = (struct iphdr *)(ih + 1);
	uh = (struct udphdr *)(inner + 1);
	KUNIT_EXPECT_EQ(test, iph->daddr, BACKEND);
	KUNIT_EXPECT_EQ(test, inner->saddr, BACKEND);
	KUNIT_EXPECT_EQ(test, inner->daddr, CLIENT);
	KUNIT_EXPECT_EQ(test, ntohs(uh->source), 15432);
	KUNIT_EXPECT_EQ(test, ntohs(uh->dest), 54321);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(iph, 5), 0);
	KUNIT_EXPECT_EQ(test, ip_fast_csum(inner, 5), 0);
	KUNIT_EXPECT_EQ(test, csum_fold(csum_partial(ih, len - sizeof(*iph), 0)),
			0);
	kfree_skb(skb);
}

static struct kunit_case l4lb_nat_cases[] = {
	KUNIT_CASE(nat_tcp_dnat_full_csum),
	KUNIT_CASE(nat_tcp_snat_full_csum),
	KUNIT_CASE(nat_tcp_checksum_partial),
	KUNIT_CASE(nat_udp_full_csum),
	KUNIT_CASE(nat_udp_no_csum_stays_none),
	KUNIT_CASE(nat_icmp_in_quote),
	{}
};

static struct kunit_suite l4lb_nat_suite = {
	.name = "l4lb-nat",
	.test_cases = l4lb_nat_cases,
};

kunit_test_suite(l4lb_nat_suite);

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: IPv6. The NAT on real skbs in every layout (headers in page
 * fragments too), with and without extension headers, checked by
 * recomputing every checksum; ICMPv6 errors both ways; the keys (an IPv4
 * and an IPv6 flow never meet); flows and sessions through the hooks;
 * then hostile IPv6 packets: truncated, mutated, lying lengths, endless
 * extension header chains.
 */

#include <kunit/test.h>
#include <linux/icmpv6.h>
#include <linux/in6.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/random.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <asm/unaligned.h>
#include <linux/l4lb.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "../../kmod/backend.h"
#include "../../kmod/conn.h"
#include "../../kmod/expiry.h"
#include "../../kmod/hooks.h"
#include "../../kmod/nat.h"
#include "../../kmod/netns.h"
#include "../../kmod/service.h"
#include "../../kmod/stats.h"
#include "fixture.h"
#include "packet.h"

/*
 * 2001:db8::1 the VIP, 2001:db8:2::11 and ::12 backends, 2001:db8:9::1 a
 * router, 2001:db8:1::/64 clients.
 */
static const struct in6_addr vip6 = { { { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 } } };

static const struct in6_addr be6[2] = {
	{ { { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x11 } } },
	{ { { 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 0x12 } } },
};

static const struct in6_addr router6 = {
	{ { 0x20, 0x01, 0x0d, 0xb8, 0, 9, [15] = 1 } }
};

static struct in6_addr client6(u16 n)
{
	struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 1 } } };

	a.s6_addr[14] = n >> 8;
	a.s6_addr[15] = n;
	return a;
}

/* An ICMPv6 error from @s to @d quoting @qlen bytes of @quote. */
static unsigned int build_icmp6(u8 *buf, const struct in6_addr *s,
				const struct in6_addr *d, u8 type,
				const u8 *quote, unsigned int qlen)
{
	struct ipv6hdr *ip6h = (struct ipv6hdr *)buf;
	struct icmp6hdr *ih = (struct icmp6hdr *)(ip6h + 1);
	unsigned int len = sizeof(*ih) + qlen;

	memset(ip6h, 0, sizeof(*ip6h));
	ip6h->version = 6;
	ip6h->payload_len = htons(len);
	ip6h->nexthdr = IPPROTO_ICMPV6;
	ip6h->hop_limit = 64;
	ip6h->saddr = *s;
	ip6h->daddr = *d;
	memset(ih, 0, sizeof(*ih));
	ih->icmp6_type = type;
	if (type == ICMPV6_PKT_TOOBIG)
		ih->icmp6_mtu = htonl(1280);
	memcpy(ih + 1, quote, qlen);
	ih->icmp6_cksum = csum_ipv6_magic(s, d, len, IPPROTO_ICMPV6,
					  csum_partial(ih, len, 0));
	return sizeof(*ip6h) + len;
}

/* The checksum of the TCP or UDP header at @thoff, recomputed, holds. */
static bool l4_csum_ok6(struct sk_buff *skb, unsigned int thoff, u8 proto)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	unsigned int l4len = skb->len - thoff;

	return !csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, l4len, proto,
				skb_checksum(skb, thoff, l4len, 0));
}

/* The ICMPv6 checksum, recomputed, holds. */
static bool icmp6_csum_ok(struct sk_buff *skb)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	unsigned int len = skb->len - sizeof(*ip6h);

	return !csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, len,
				IPPROTO_ICMPV6,
				skb_checksum(skb, sizeof(*ip6h), len, 0));
}

/* The destination port of the transport header at @thoff. */
static u16 dport_at(struct sk_buff *skb, unsigned int thoff)
{
	__be16 ports[2];

	if (skb_copy_bits(skb, thoff, ports, sizeof(ports)))
		return 0;
	return ntohs(ports[1]);
}

static u16 sport_at(struct sk_buff *skb, unsigned int thoff)
{
	__be16 ports[2];

	if (skb_copy_bits(skb, thoff, ports, sizeof(ports)))
		return 0;
	return ntohs(ports[0]);
}

#define EXPECT_ADDR(test, a, b) KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(a, b))

/*
 * TCP [2001:db8::1]:80 (rr), UDP [2001:db8::1]:7777 (sh), both with
 * backends [2001:db8:2::11]:8080 and [..::12]:8080 (7000 for UDP); and
 * an IPv4 TCP service on port 80 too, that must not meet them.
 */
struct v6_fixture {
	struct l4lb_net *ln;
	struct l4lb_svc_key tcp, udp, tcp4;
	struct l4lb_service *tcp_svc, *udp_svc, *tcp4_svc;
	u8 *buf;
};

static struct l4lb_service *add_svc6(struct kunit *test, struct l4lb_net *ln,
				     struct l4lb_svc_key *key, u8 proto,
				     u16 port, u16 bport, u8 sched)
{
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;
	union nf_inet_addr a;
	int i;

	l4lb_svc_key_init6(key, proto, &vip6, htons(port));
	l4lb_service_default_config(proto, &cfg);
	cfg.sched = sched;
	KUNIT_ASSERT_EQ(test, l4lb_service_add(ln, key, &cfg), 0);
	rcu_read_lock();
	svc = l4lb_service_lookup(ln, key);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL(test, svc);
	for (i = 0; i < 2; i++) {
		a.in6 = be6[i];
		KUNIT_ASSERT_EQ(test, l4lb_backend_add(ln, svc, &a,
						       htons(bport), 1), 0);
	}
	return svc;
}

static int v6_init(struct kunit *test)
{
	struct l4lb_svc_config cfg;
	struct v6_fixture *f;
	union nf_inet_addr a = {};

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->buf = kunit_kzalloc(test, KPKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->buf);
	f->ln = l4lb_net(&init_net);
	test->priv = f;
	mutex_lock(&f->ln->lock);
	f->tcp_svc = add_svc6(test, f->ln, &f->tcp, IPPROTO_TCP, 80, 8080,
			      L4LB_SCHED_RR);
	f->udp_svc = add_svc6(test, f->ln, &f->udp, IPPROTO_UDP, 7777, 7000,
			      L4LB_SCHED_SH);
	KUNIT_EXPECT_EQ(test, f->ln->hooks_on, L4LB_HOOKS_V6);
	l4lb_svc_key_init4(&f->tcp4, IPPROTO_TCP, htonl(0x0a090909),
			   htons(80));
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	KUNIT_ASSERT_EQ(test, l4lb_service_add(f->ln, &f->tcp4, &cfg), 0);
	KUNIT_EXPECT_EQ(test, f->ln->hooks_on, L4LB_HOOKS_V4 | L4LB_HOOKS_V6);
	rcu_read_lock();
	f->tcp4_svc = l4lb_service_lookup(f->ln, &f->tcp4);
	rcu_read_unlock();
	a.ip = htonl(0x0a09090a);
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(f->ln, f->tcp4_svc, &a,
					       htons(8080), 1), 0);
	mutex_unlock(&f->ln->lock);
	l4lb_expiry_stop(f->ln);
	conn_fixture_settle(test, f->ln);
	l4lb_clock_offset = 0;
	return 0;
}

static void v6_exit(struct kunit *test)
{
	struct v6_fixture *f = test->priv;

	conn_fixture_flush(f->ln);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
	mutex_lock(&f->ln->lock);
	l4lb_service_remove(f->ln, &f->tcp);
	KUNIT_EXPECT_EQ(test, f->ln->hooks_on, L4LB_HOOKS_V4 | L4LB_HOOKS_V6);
	l4lb_service_remove(f->ln, &f->udp);
	/* The last IPv6 service gone: IPv6's hooks go, IPv4's stay. */
	KUNIT_EXPECT_EQ(test, f->ln->hooks_on, L4LB_HOOKS_V4);
	l4lb_service_remove(f->ln, &f->tcp4);
	KUNIT_EXPECT_EQ(test, f->ln->hooks_on, 0);
	mutex_unlock(&f->ln->lock);
	conn_fixture_settle(test, f->ln);
	l4lb_expiry_start(f->ln);
}

/* Linear, headers alone linear, split inside the transport header... */
static const unsigned int layouts[][2] = {
	{ KPKT_MAX, 0 }, { 40, 0 }, { 48, 0 }, { 40, 3 }, { 44, 9 }, { 0, 0 },
};

/*
 * The NAT itself, both directions, TCP and UDP, with and without a
 * hop-by-hop header, in every layout: every checksum recomputed holds.
 */
static void ipv6_nat_layouts(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .saddr = client6(7), .daddr = vip6, .sport = 4000,
			   .dport = 80, .flags = KPKT_SYN, .payload = 300 };
	unsigned int l, len, thoff, pi;
	struct sk_buff *skb;

	for (pi = 0; pi < 4; pi++) {
		p.proto = pi & 1 ? IPPROTO_UDP : IPPROTO_TCP;
		p.hbh = pi & 2;
		thoff = kpkt6_build(f->buf, &p, &len);
		for (l = 0; l < ARRAY_SIZE(layouts); l++) {
			skb = kpkt6_skb(f->buf, len, layouts[l][0], layouts[l][1]);
			KUNIT_ASSERT_NOT_NULL(test, skb);
			KUNIT_ASSERT_EQ(test, l4lb_nat6(skb, thoff, p.proto,
							false, &be6[1],
							htons(8080)), 0);
			EXPECT_ADDR(test, &ipv6_hdr(skb)->daddr, &be6[1]);
			KUNIT_EXPECT_TRUE(test, l4_csum_ok6(skb, thoff,
							    p.proto));
			/* And back: the reply leaves as the VIP's. */
			KUNIT_ASSERT_EQ(test, l4lb_nat6(skb, thoff, p.proto,
							true, &vip6,
							htons(80)), 0);
			EXPECT_ADDR(test, &ipv6_hdr(skb)->saddr, &vip6);
			KUNIT_EXPECT_TRUE(test, l4_csum_ok6(skb, thoff,
							    p.proto));
			kfree_skb(skb);
		}
	}
}

/*
 * A UDP datagram without a checksum (0: invalid in IPv6, but a tunnel's
 * socket may take it, RFC 6935) keeps none both ways, in every layout:
 * a checksum made up from 0 would be wrong for everyone.
 */
static void ipv6_nat_udp_zero(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .saddr = client6(8), .daddr = vip6, .sport = 4000,
			   .dport = 7777, .proto = IPPROTO_UDP, .payload = 300 };
	unsigned int l, len, thoff;
	struct sk_buff *skb;
	__sum16 check;

	thoff = kpkt6_build(f->buf, &p, &len);
	((struct udphdr *)(f->buf + thoff))->check = 0;
	for (l = 0; l < ARRAY_SIZE(layouts); l++) {
		skb = kpkt6_skb(f->buf, len, layouts[l][0], layouts[l][1]);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_EQ(test, l4lb_nat6(skb, thoff, p.proto, false,
						&be6[1], htons(7000)), 0);
		EXPECT_ADDR(test, &ipv6_hdr(skb)->daddr, &be6[1]);
		KUNIT_EXPECT_EQ(test, dport_at(skb, thoff), 7000);
		KUNIT_ASSERT_FALSE(test, skb_copy_bits(skb, thoff + 6, &check,
						       sizeof(check)));
		KUNIT_EXPECT_EQ(test, (__force u16)check, 0);
		KUNIT_ASSERT_EQ(test, l4lb_nat6(skb, thoff, p.proto, true,
						&vip6, htons(7777)), 0);
		KUNIT_EXPECT_EQ(test, sport_at(skb, thoff), 7777);
		KUNIT_ASSERT_FALSE(test, skb_copy_bits(skb, thoff + 6, &check,
						       sizeof(check)));
		KUNIT_EXPECT_EQ(test, (__force u16)check, 0);
		kfree_skb(skb);
	}
}

/*
 * A GSO packet, checksum left to the device (CHECKSUM_PARTIAL): only the
 * pseudo-header sum in the check field changes; the packet stays GSO and
 * is not linearised.
 */
static void ipv6_nat_partial(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_TCP, .saddr = client6(7),
			   .daddr = vip6, .sport = 4000, .dport = 80,
			   .flags = KPKT_ACK, .payload = 3000 };
	unsigned int len, thoff, l4len, u;
	struct sk_buff *skb;
	struct tcphdr *th;

	for (u = 0; u < 2; u++) {
		p.proto = u ? IPPROTO_UDP : IPPROTO_TCP;
		thoff = kpkt6_build(f->buf, &p, &len);
		l4len = len - thoff;
		skb = kpkt6_skb(f->buf, len, thoff + 20, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		th = (struct tcphdr *)(skb->data + thoff);
		/* What the stack leaves for the device: ~pseudo-header. */
		*(u ? &((struct udphdr *)th)->check : &th->check) =
			~csum_ipv6_magic(&p.saddr, &p.daddr, l4len, p.proto, 0);
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_headroom(skb) + thoff;
		skb->csum_offset = u ? offsetof(struct udphdr, check) :
				       offsetof(struct tcphdr, check);
		skb_shinfo(skb)->gso_size = 1400;
		skb_shinfo(skb)->gso_type = u ? SKB_GSO_UDP_L4 : SKB_GSO_TCPV6;
		KUNIT_ASSERT_EQ(test, l4lb_nat6(skb, thoff, p.proto, false,
						&be6[0], htons(8080)), 0);
		th = (struct tcphdr *)(skb->data + thoff);
		KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
		KUNIT_EXPECT_TRUE(test, skb_is_gso(skb));
		KUNIT_EXPECT_TRUE(test, skb_is_nonlinear(skb));
		KUNIT_EXPECT_EQ(test, u ? ((struct udphdr *)th)->check :
				th->check,
				(__sum16)~csum_ipv6_magic(&p.saddr, &be6[0],
							  l4len, p.proto, 0));
		kfree_skb(skb);
	}
}

/*
 * A connection through the hooks: rr over IPv6 clients, the flow found
 * by its 40-byte key, the reply from the VIP; the IPv4 service on the
 * same port sees none of it.
 */
static void ipv6_tcp_flow(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_TCP, .daddr = vip6, .sport = 4000,
			   .dport = 80, .flags = KPKT_SYN, .hbh = true };
	unsigned int len, thoff, i, hits[2] = {};
	struct l4lb_stats_sum sum;
	struct l4lb_orig_key key;
	struct l4lb_conn *conn;
	struct in6_addr baddr;
	struct sk_buff *skb;

	for (i = 0; i < 4; i++) {
		p.saddr = client6(i + 1);
		p.daddr = vip6;
		p.sport = 4000;
		p.dport = 80;
		p.flags = KPKT_SYN;
		thoff = kpkt6_build(f->buf, &p, &len);
		skb = kpkt6_skb(f->buf, len, i & 1 ? 40 : KPKT_MAX, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
		KUNIT_EXPECT_TRUE(test, l4_csum_ok6(skb, thoff, IPPROTO_TCP));
		hits[ipv6_addr_equal(&ipv6_hdr(skb)->daddr, &be6[1])]++;
		KUNIT_EXPECT_EQ(test, dport_at(skb, thoff), 8080);
		baddr = ipv6_hdr(skb)->daddr;
		kfree_skb(skb);

		rcu_read_lock();
		l4lb_orig_key_init6(&key, IPPROTO_TCP, &p.saddr, htons(4000),
				    &vip6, htons(80));
		conn = l4lb_conn_lookup_orig(f->ln, &key);
		KUNIT_EXPECT_NOT_NULL(test, conn);
		if (conn) {
			KUNIT_EXPECT_TRUE(test, conn->v6);
			KUNIT_EXPECT_PTR_EQ(test, conn->be->svc, f->tcp_svc);
			EXPECT_ADDR(test, &conn->be->key.addr.in6, &baddr);
		}
		rcu_read_unlock();

		/* The SYN-ACK, from the backend the flow has. */
		p.saddr = baddr;
		p.daddr = client6(i + 1);
		p.sport = 8080;
		p.dport = 4000;
		p.flags = KPKT_SYN | KPKT_ACK;
		thoff = kpkt6_build(f->buf, &p, &len);
		skb = kpkt6_skb(f->buf, len, 44, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, false), NF_ACCEPT);
		EXPECT_ADDR(test, &ipv6_hdr(skb)->saddr, &vip6);
		KUNIT_EXPECT_TRUE(test, l4_csum_ok6(skb, thoff, IPPROTO_TCP));
		KUNIT_EXPECT_EQ(test, sport_at(skb, thoff), 80);
		kfree_skb(skb);
		rcu_read_lock();
		conn = l4lb_conn_lookup_orig(f->ln, &key);
		if (conn)
			KUNIT_EXPECT_EQ(test, READ_ONCE(conn->state),
					L4LB_CONN_SYN_RECV);
		rcu_read_unlock();
	}
	/* Round robin: two each. */
	KUNIT_EXPECT_EQ(test, hits[0], 2U);
	KUNIT_EXPECT_EQ(test, hits[1], 2U);
	l4lb_stats_sum(f->tcp_svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.conns, 4ULL);
	KUNIT_EXPECT_EQ(test, sum.pkts_in, 4ULL);
	KUNIT_EXPECT_EQ(test, sum.pkts_out, 4ULL);
	l4lb_stats_sum(f->tcp4_svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.pkts_in, 0ULL);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 4);
}

/* A client's SYN to [vip6]:@port from @c:5000; the backend it reached. */
static struct in6_addr shared_syn(struct kunit *test, struct in6_addr c,
				  u16 port)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_TCP, .saddr = c, .daddr = vip6,
			   .sport = 5000, .dport = port, .flags = KPKT_SYN };
	struct in6_addr be = {};
	unsigned int len, thoff;
	struct sk_buff *skb;

	thoff = kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, 40, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, dport_at(skb, thoff), 8080);
	be = ipv6_hdr(skb)->daddr;
	kfree_skb(skb);
	return be;
}

/* Its SYN-ACK from @be:8080: leaves as [vip6]:@port. */
static void shared_synack(struct kunit *test, struct in6_addr be,
			  struct in6_addr c, u16 port)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_TCP, .saddr = be, .daddr = c,
			   .sport = 8080, .dport = 5000,
			   .flags = KPKT_SYN | KPKT_ACK };
	unsigned int len, thoff;
	struct sk_buff *skb;

	thoff = kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, 40, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt6_hook(skb, false), NF_ACCEPT);
	EXPECT_ADDR(test, &ipv6_hdr(skb)->saddr, &vip6);
	KUNIT_EXPECT_EQ(test, sport_at(skb, thoff), port);
	KUNIT_EXPECT_TRUE(test, l4_csum_ok6(skb, thoff, IPPROTO_TCP));
	kfree_skb(skb);
}

/*
 * Issue 25: the TCP service's two servers serve [vip6]:81 too; each
 * client's replies leave from the port it dialled. A UDP server of
 * another UDP service is refused.
 */
static void ipv6_shared_backends(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct in6_addr b80, b81;
	struct l4lb_svc_key key, ukey;
	struct l4lb_svc_config cfg;
	struct l4lb_service *usvc;
	union nf_inet_addr a;

	mutex_lock(&f->ln->lock);
	add_svc6(test, f->ln, &key, IPPROTO_TCP, 81, 8080, L4LB_SCHED_RR);
	mutex_unlock(&f->ln->lock);
	b81 = shared_syn(test, client6(20), 81);
	b80 = shared_syn(test, client6(21), 80);
	/* Each service's first pick: one server behind both ports. */
	EXPECT_ADDR(test, &b80, &b81);
	shared_synack(test, b81, client6(20), 81);
	shared_synack(test, b80, client6(21), 80);

	l4lb_svc_key_init6(&ukey, IPPROTO_UDP, &vip6, htons(7778));
	l4lb_service_default_config(IPPROTO_UDP, &cfg);
	a.in6 = be6[0];
	mutex_lock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_service_add(f->ln, &ukey, &cfg), 0);
	rcu_read_lock();
	usvc = l4lb_service_lookup(f->ln, &ukey);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, l4lb_backend_add(f->ln, usvc, &a, htons(7000), 1),
			-EADDRINUSE);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln, &ukey), 0);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln, &key), 0);
	mutex_unlock(&f->ln->lock);
}

/* A UDP session is the client's address: every port of it, one backend. */
static void ipv6_udp_session(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_UDP, .saddr = client6(300),
			   .daddr = vip6, .dport = 7777, .payload = 40 };
	struct in6_addr first = {};
	unsigned int len, thoff, i;
	struct sk_buff *skb;

	for (i = 0; i < 5; i++) {
		p.sport = 1000 + i;
		thoff = kpkt6_build(f->buf, &p, &len);
		skb = kpkt6_skb(f->buf, len, 40 + (i & 1) * 8, i & 2 ? 5 : 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
		KUNIT_EXPECT_TRUE(test, l4_csum_ok6(skb, thoff, IPPROTO_UDP));
		if (!i)
			first = ipv6_hdr(skb)->daddr;
		EXPECT_ADDR(test, &ipv6_hdr(skb)->daddr, &first);
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 1);

	/* The answer comes from the VIP. */
	p.saddr = first;
	p.daddr = client6(300);
	p.sport = 7000;
	p.dport = 1003;
	thoff = kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, 40, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, false), NF_ACCEPT);
	EXPECT_ADDR(test, &ipv6_hdr(skb)->saddr, &vip6);
	KUNIT_EXPECT_EQ(test, sport_at(skb, thoff), 7777);
	KUNIT_EXPECT_TRUE(test, l4_csum_ok6(skb, thoff, IPPROTO_UDP));
	kfree_skb(skb);
}

/*
 * Packet Too Big both ways. To the VIP, about a reply: it reaches the
 * backend, quoting the backend's packet. To the client, about its packet
 * to a backend: it quotes the packet as sent, to the VIP. Every checksum
 * holds.
 */
static void ipv6_icmp(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_UDP, .saddr = client6(9),
			   .daddr = vip6, .sport = 5353, .dport = 7777,
			   .payload = 64 };
	unsigned int len, qlen, thoff, type;
	struct in6_addr backend;
	struct ipv6hdr *inner;
	struct sk_buff *skb;
	__wsum sum;
	u8 *quote;

	quote = kunit_kzalloc(test, 256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, quote);
	thoff = kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, KPKT_MAX, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
	backend = ipv6_hdr(skb)->daddr;
	kfree_skb(skb);

	for (type = ICMPV6_DEST_UNREACH; type <= ICMPV6_PARAMPROB; type++) {
		/* Our reply, VIP to client, too big for a router. */
		p.saddr = vip6;
		p.daddr = client6(9);
		p.sport = 7777;
		p.dport = 5353;
		qlen = 0;
		kpkt6_build(quote, &p, &qlen);
		len = build_icmp6(f->buf, &router6, &vip6, type, quote, qlen);
		skb = kpkt6_skb(f->buf, len, type & 1 ? 48 : KPKT_MAX, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
		EXPECT_ADDR(test, &ipv6_hdr(skb)->daddr, &backend);
		KUNIT_EXPECT_TRUE(test, icmp6_csum_ok(skb));
		skb_copy_bits(skb, 48, quote, qlen);
		inner = (struct ipv6hdr *)quote;
		EXPECT_ADDR(test, &inner->saddr, &backend);
		KUNIT_EXPECT_EQ(test, get_unaligned_be16(quote + 40), 7000);
		kfree_skb(skb);
		/* Corrupt on the way: dropped, never sent on made whole. */
		f->buf[len - 1] ^= 0x40;
		skb = kpkt6_skb(f->buf, len, 48, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_EXPECT_EQ(test, kpkt6_hook(skb, true), NF_DROP);
		kfree_skb(skb);

		/* The client's packet, to the backend, too big for a router. */
		p.saddr = client6(9);
		p.daddr = backend;
		p.sport = 5353;
		p.dport = 7000;
		kpkt6_build(quote, &p, &qlen);
		len = build_icmp6(f->buf, &router6, &p.saddr, type, quote,
				  qlen);
		skb = kpkt6_skb(f->buf, len, type & 1 ? KPKT_MAX : 52, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, false), NF_ACCEPT);
		EXPECT_ADDR(test, &ipv6_hdr(skb)->saddr, &router6);
		KUNIT_EXPECT_TRUE(test, icmp6_csum_ok(skb));
		skb_copy_bits(skb, 48, quote, qlen);
		inner = (struct ipv6hdr *)quote;
		EXPECT_ADDR(test, &inner->daddr, &vip6);
		KUNIT_EXPECT_EQ(test, get_unaligned_be16(quote + 42), 7777);
		/* The quoted UDP checksum was kept right too. */
		sum = csum_partial(quote + 40, qlen - 40, 0);
		KUNIT_EXPECT_EQ(test, csum_ipv6_magic(&inner->saddr,
						      &inner->daddr, qlen - 40,
						      IPPROTO_UDP, sum), 0);
		kfree_skb(skb);

		/* The backend's own error: it comes from the VIP too. */
		kpkt6_build(quote, &p, &qlen);
		len = build_icmp6(f->buf, &backend, &p.saddr, type, quote,
				  qlen);
		skb = kpkt6_skb(f->buf, len, 48, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, false), NF_ACCEPT);
		EXPECT_ADDR(test, &ipv6_hdr(skb)->saddr, &vip6);
		KUNIT_EXPECT_TRUE(test, icmp6_csum_ok(skb));
		kfree_skb(skb);

		/* Corrupt on the way: dropped, never passed on made whole. */
		f->buf[len - 1] ^= 0x40;
		skb = kpkt6_skb(f->buf, len, 48, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_EXPECT_EQ(test, kpkt6_hook(skb, false), NF_DROP);
		kfree_skb(skb);
	}
}

/*
 * Issue 27, item 4: an ICMPv6 error may quote as little as the ports
 * (4 to 7 transport bytes: no UDP checksum). It was accepted, then its
 * rewrite asked for 8 writable bytes and dropped it as no_memory. Now
 * the quoted ports are rewritten, the error reaches the client, and
 * nothing is counted as a drop.
 */
static void ipv6_icmp_short_quote(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_UDP, .saddr = client6(11),
			   .daddr = vip6, .sport = 5354, .dport = 7777,
			   .payload = 16 };
	unsigned int len, qlen, cut;
	struct in6_addr backend;
	struct l4lb_stats_sum sum;
	struct ipv6hdr *inner;
	struct sk_buff *skb;
	u8 *quote;

	quote = kunit_kzalloc(test, 256, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, quote);
	kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, KPKT_MAX, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
	backend = ipv6_hdr(skb)->daddr;
	kfree_skb(skb);

	/* The client's datagram to the backend, quoted by a router. */
	p.daddr = backend;
	p.dport = 7000;
	for (cut = 4; cut < 8; cut++) {
		qlen = 0;
		kpkt6_build(quote, &p, &qlen);
		len = build_icmp6(f->buf, &router6, &p.saddr,
				  ICMPV6_DEST_UNREACH, quote, 40 + cut);
		skb = kpkt6_skb(f->buf, len, cut & 1 ? KPKT_MAX : 48, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_EXPECT_EQ_MSG(test, kpkt6_hook(skb, false), NF_ACCEPT,
				    "%u quoted bytes", cut);
		KUNIT_EXPECT_TRUE(test, icmp6_csum_ok(skb));
		KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 48, quote, 40 + cut),
				0);
		inner = (struct ipv6hdr *)quote;
		EXPECT_ADDR(test, &inner->daddr, &vip6);
		KUNIT_EXPECT_EQ(test, get_unaligned_be16(quote + 42), 7777);
		kfree_skb(skb);
	}
	l4lb_stats_sum(f->udp_svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.drops[L4LB_DROP_NO_MEMORY], 0ULL);
}

/*
 * down-flows reset over IPv6: a client's packet of an established flow
 * whose backend is down gets a RST from the VIP (nf_send_reset6) and is
 * dropped, counted as backend_down; the flow is gone. A SYN after it is
 * scheduled afresh, to the backend that is up.
 */
static void ipv6_down_reset(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_TCP, .saddr = client6(40),
			   .daddr = vip6, .sport = 4040, .dport = 80,
			   .flags = KPKT_SYN };
	struct l4lb_backend *be = NULL, *b;
	struct l4lb_stats_sum sum;
	struct in6_addr first;
	unsigned int len;
	struct sk_buff *skb;

	kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, KPKT_MAX, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
	first = ipv6_hdr(skb)->daddr;
	kfree_skb(skb);
	mutex_lock(&f->ln->lock);
	list_for_each_entry(b, &f->tcp_svc->backends, list)
		if (ipv6_addr_equal(&b->key.addr.in6, &first))
			be = b;
	KUNIT_ASSERT_NOT_NULL(test, be);
	WARN_ON(l4lb_backend_set(f->ln, be, be->weight, true));
	mutex_unlock(&f->ln->lock);
	WRITE_ONCE(f->ln->down_flows, L4LB_DOWN_FLOWS_RESET);

	p.flags = KPKT_ACK;
	p.payload = 10;
	kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, 40, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt6_hook(skb, true), NF_DROP);
	kfree_skb(skb);
	l4lb_stats_sum(f->tcp_svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.drops[L4LB_DROP_BACKEND_DOWN], 1ULL);

	p.flags = KPKT_SYN;
	p.payload = 0;
	kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, KPKT_MAX, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
	KUNIT_EXPECT_FALSE(test, ipv6_addr_equal(&ipv6_hdr(skb)->daddr,
						 &first));
	kfree_skb(skb);

	WRITE_ONCE(f->ln->down_flows, L4LB_DOWN_FLOWS_KEEP);
	mutex_lock(&f->ln->lock);
	WARN_ON(l4lb_backend_set(f->ln, be, be->weight, false));
	mutex_unlock(&f->ln->lock);
}

/*
 * Keys: an IPv4 flow and an IPv6 flow whose first words are alike never
 * find each other; the entries keep their sizes.
 */
static void ipv6_keys(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct l4lb_orig_key k4, k6;
	union nf_inet_addr c = {};
	struct l4lb_backend *be;
	struct l4lb_conn *conn;
	bool created;
	int why;

	KUNIT_EXPECT_LE(test, sizeof(struct l4lb_conn), 64UL);
	KUNIT_EXPECT_LE(test, sizeof(struct l4lb_conn6), 128UL);
	/* The same leading bytes in both families. */
	c.in6 = client6(5);
	l4lb_orig_key_svc(&k6, f->tcp_svc, &c, htons(1234));
	l4lb_orig_key_init4(&k4, IPPROTO_TCP, c.ip, htons(1234),
			    vip6.s6_addr32[0], htons(80));
	be = list_first_entry(&f->tcp_svc->backends, struct l4lb_backend,
			      list);
	local_bh_disable();
	rcu_read_lock();
	conn = l4lb_conn_create(f->ln, &k6, be, L4LB_CONN_SYN_SEEN, &created,
				&why);
	KUNIT_EXPECT_TRUE(test, created);
	KUNIT_EXPECT_PTR_EQ(test, l4lb_conn_lookup_orig(f->ln, &k6), conn);
	KUNIT_EXPECT_NULL(test, l4lb_conn_lookup_orig(f->ln, &k4));
	rcu_read_unlock();
	local_bh_enable();
}

/*
 * Hostile IPv6: random truncations, random bytes in the headers, lying
 * payload lengths, extension header chains that run off the end, in
 * random layouts, to both hooks. Nothing may crash or read beyond the
 * packet (KASAN), and whatever l4lb rewrites keeps a valid checksum.
 */
static void ipv6_hostile(struct kunit *test)
{
	struct v6_fixture *f = test->priv;
	struct kpkt6 p = { .daddr = vip6, .dport = 80, .flags = KPKT_SYN };
	unsigned int i, len, cut, linear, thoff, verdict, whole = 0;
	bool in, intact;
	struct sk_buff *skb;
	u8 *quote;
	u32 r;

	quote = kunit_kzalloc(test, KPKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, quote);
	for (i = 0; i < 6000; i++) {
		r = get_random_u32();
		p.proto = r & 1 ? IPPROTO_UDP : IPPROTO_TCP;
		p.dport = r & 1 ? 7777 : 80;
		p.hbh = r & 2;
		p.saddr = client6(1000 + (i & 255));
		p.sport = 2000 + (r >> 16) % 2000;
		p.payload = (r >> 8) % 64;
		thoff = kpkt6_build(f->buf, &p, &len);
		intact = !(r & 4) && ((r >> 12) & 7) > 3 && !((r >> 20) & 1);
		in = (r >> 24) & 1;
		if (r & 4) {
			/* An ICMPv6 error quoting it, or junk. */
			memcpy(quote, f->buf, len);
			len = build_icmp6(f->buf, &router6, &vip6,
					  1 + (r >> 3) % 4, quote, len);
		}
		switch ((r >> 12) & 7) {
		case 0:	/* a random byte of the first 80 */
			f->buf[get_random_u32_below(min(len, 80U))] ^=
				get_random_u32() | 1;
			break;
		case 1:	/* a lying payload length */
			((struct ipv6hdr *)f->buf)->payload_len =
				htons(get_random_u32_below(2000));
			break;
		case 2:	/* a header chain that never ends */
			((struct ipv6hdr *)f->buf)->nexthdr = NEXTHDR_DEST;
			f->buf[40] = NEXTHDR_DEST;
			f->buf[41] = get_random_u32_below(256);
			break;
		case 3:	/* a fragment header claiming an offset */
			((struct ipv6hdr *)f->buf)->nexthdr = NEXTHDR_FRAGMENT;
			f->buf[40] = p.proto;
			f->buf[42] = get_random_u32_below(256);
			f->buf[43] = get_random_u32_below(256);
			break;
		default:
			break;
		}
		cut = (r >> 20) & 1 ? get_random_u32_below(len + 1) : len;
		linear = get_random_u32_below(cut + 1);
		skb = kpkt6_skb(f->buf, cut, linear, get_random_u32_below(16));
		KUNIT_ASSERT_NOT_NULL(test, skb);
		if (!pskb_may_pull(skb, sizeof(struct ipv6hdr))) {
			kfree_skb(skb);
			continue;
		}
		verdict = kpkt6_hook(skb, in);
		KUNIT_EXPECT_TRUE_MSG(test, verdict == NF_ACCEPT ||
				      verdict == NF_DROP, "verdict %u", verdict);
		/*
		 * A whole, unmutated packet to the VIP: balanced, to a
		 * backend, its checksum right in whatever layout it came.
		 * One from a client at POST_ROUTING: passed untouched.
		 */
		if (intact && verdict == NF_ACCEPT) {
			whole++;
			KUNIT_EXPECT_EQ(test, !ipv6_addr_equal(&ipv6_hdr(skb)->daddr,
							       &vip6), in);
			KUNIT_EXPECT_TRUE(test, l4_csum_ok6(skb, thoff, p.proto));
		}
		KUNIT_EXPECT_TRUE(test, !intact || verdict == NF_ACCEPT);
		kfree_skb(skb);
	}
	/* An eighth of them were whole (some 750): each was judged above. */
	KUNIT_EXPECT_GT(test, whole, 500U);
}

static struct kunit_case l4lb_ipv6_cases[] = {
	KUNIT_CASE(ipv6_nat_layouts),
	KUNIT_CASE(ipv6_nat_partial),
	KUNIT_CASE(ipv6_nat_udp_zero),
	KUNIT_CASE(ipv6_tcp_flow),
	KUNIT_CASE(ipv6_shared_backends),
	KUNIT_CASE(ipv6_udp_session),
	KUNIT_CASE(ipv6_icmp),
	KUNIT_CASE(ipv6_icmp_short_quote),
	KUNIT_CASE(ipv6_down_reset),
	KUNIT_CASE(ipv6_keys),
	KUNIT_CASE(ipv6_hostile),
	{}
};

static struct kunit_suite l4lb_ipv6_suite = {
	.name = "l4lb-ipv6",
	.init = v6_init,
	.exit = v6_exit,
	.test_cases = l4lb_ipv6_cases,
};

kunit_test_suite(l4lb_ipv6_suite);

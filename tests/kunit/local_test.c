// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: clients on the balancer itself (local.c). The LOCAL_OUT hook fed
 * a local client's packets as ip_local_out() hands them over (with the
 * route the socket had: DNAT, then routed anew to the backend; a GSO
 * packet with CHECKSUM_PARTIAL rewritten in its headers only), the
 * LOCAL_IN hook the backend's replies (from the VIP again; a backend's
 * packet of no flow, a health check's answer, untouched), packets looped
 * back to PRE_ROUTING left alone, and the hooks registered exactly while
 * a service of their family has local-clients.
 *
 * The loopback device is up for the suite (127.0.0.0/8 is routed locally):
 * the backend is 127.0.0.2, so that the route to it exists in UML.
 */

#include <asm/unaligned.h>
#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/netfilter.h>
#include <linux/rtnetlink.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <linux/l4lb.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>
#include <net/route.h>

#include "../../kmod/backend.h"
#include "../../kmod/conn.h"
#include "../../kmod/expiry.h"
#include "../../kmod/hooks.h"
#include "../../kmod/netns.h"
#include "../../kmod/service.h"
#include "../../kmod/stats.h"
#include "fixture.h"
#include "packet.h"

#define VIP	0x0a090909	/* 10.9.9.9 */
#define BE	0x7f000002	/* 127.0.0.2 */
#define LOCAL	0x7f000001	/* 127.0.0.1: the local client */
#define PORT	8080

struct local_fixture {
	struct l4lb_net *ln;
	struct l4lb_svc_key key;
	struct l4lb_service *svc;
	bool lo_was_up;
	u8 *buf;
};

static int local_init(struct kunit *test)
{
	struct net_device *lo = init_net.loopback_dev;
	union nf_inet_addr a = { .ip = htonl(BE) };
	struct local_fixture *f;
	struct l4lb_svc_config cfg;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->buf = kunit_kzalloc(test, KPKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->buf);
	f->ln = l4lb_net(&init_net);
	test->priv = f;
	rtnl_lock();
	f->lo_was_up = lo->flags & IFF_UP;
	KUNIT_EXPECT_EQ(test, dev_open(lo, NULL), 0);
	rtnl_unlock();

	l4lb_svc_key_init4(&f->key, IPPROTO_TCP, htonl(VIP), htons(PORT));
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	cfg.flags = L4LB_SVC_F_LOCAL_CLIENTS;
	mutex_lock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_service_add(f->ln, &f->key, &cfg), 0);
	rcu_read_lock();
	f->svc = l4lb_service_lookup(f->ln, &f->key);
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(f->ln, f->svc, &a, htons(PORT),
					       1), 0);
	mutex_unlock(&f->ln->lock);
	l4lb_expiry_stop(f->ln);
	return 0;
}

static void local_exit(struct kunit *test)
{
	struct local_fixture *f = test->priv;

	conn_fixture_flush(f->ln);
	mutex_lock(&f->ln->lock);
	l4lb_service_remove(f->ln, &f->key);
	/* No service with the flag is left: neither family's hooks. */
	KUNIT_EXPECT_EQ(test, f->ln->n_local, 0U);
	KUNIT_EXPECT_FALSE(test, f->ln->hooks_on & (L4LB_HOOKS_LOCAL4 |
						    L4LB_HOOKS_LOCAL6));
	mutex_unlock(&f->ln->lock);
	conn_fixture_settle(test, f->ln);
	if (!f->lo_was_up) {
		rtnl_lock();
		dev_close(init_net.loopback_dev);
		rtnl_unlock();
	}
}

/* An skb of @p, as the stack has it at LOCAL_OUT or LOCAL_IN. */
static struct sk_buff *build(struct kunit *test, const struct kpkt *p,
			     unsigned int linear)
{
	struct local_fixture *f = test->priv;
	unsigned int len = kpkt_build(f->buf, p);
	struct sk_buff *skb = kpkt_skb(f->buf, len, linear, 0);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
	return skb;
}

/*
 * Through the LOCAL_OUT hook, with the route a socket sending to the VIP
 * would not have (a broadcast one): a packet l4lb rewrites leaves with the
 * backend's, the local one to 127.0.0.2.
 */
static unsigned int local_out(struct kunit *test, struct sk_buff *skb)
{
	struct nf_hook_state state = {
		.hook = NF_INET_LOCAL_OUT,
		.pf = NFPROTO_IPV4,
		.out = init_net.loopback_dev,
		.net = &init_net,
	};
	struct rtable *rt;
	unsigned int verdict;

	rt = ip_route_output(&init_net, htonl(INADDR_BROADCAST),
			     htonl(LOCAL), 0, init_net.loopback_dev->ifindex);
	KUNIT_ASSERT_FALSE(test, IS_ERR(rt));
	KUNIT_ASSERT_EQ(test, rt->rt_type, RTN_BROADCAST);
	skb_dst_set(skb, &rt->dst);
	rcu_read_lock();
	verdict = l4lb_local_out(NULL, skb, &state);
	rcu_read_unlock();
	return verdict;
}

static unsigned int local_in(struct sk_buff *skb)
{
	struct nf_hook_state state = {
		.hook = NF_INET_LOCAL_IN,
		.pf = NFPROTO_IPV4,
		.in = init_net.loopback_dev,
		.net = &init_net,
	};
	unsigned int verdict;

	skb->dev = init_net.loopback_dev;
	rcu_read_lock();
	local_bh_disable();
	verdict = l4lb_local_in(NULL, skb, &state);
	local_bh_enable();
	rcu_read_unlock();
	return verdict;
}

/* Through PRE_ROUTING, as a packet arriving on @dev. */
static unsigned int pre_routing(struct sk_buff *skb, struct net_device *dev)
{
	struct nf_hook_state state = {
		.hook = NF_INET_PRE_ROUTING,
		.pf = NFPROTO_IPV4,
		.in = dev,
		.net = &init_net,
	};
	unsigned int verdict;

	skb->dev = dev;
	rcu_read_lock();
	local_bh_disable();
	verdict = l4lb_pre_routing(NULL, skb, &state);
	local_bh_enable();
	rcu_read_unlock();
	return verdict;
}

static struct l4lb_conn *flow_of(struct local_fixture *f, u16 cport)
{
	struct l4lb_orig_key k;
	struct l4lb_conn *conn;

	l4lb_orig_key_svc4(&k, f->svc, htonl(LOCAL), htons(cport));
	rcu_read_lock();
	conn = l4lb_conn_lookup_orig(f->ln, &k);
	rcu_read_unlock();
	return conn;
}

/* @p, a local client's first packet, through LOCAL_OUT: the flow it made. */
static struct l4lb_conn *local_first(struct kunit *test, const struct kpkt *p)
{
	struct sk_buff *skb = build(test, p, 40);
	struct l4lb_conn *conn;

	KUNIT_EXPECT_EQ(test, local_out(test, skb), NF_ACCEPT);
	kfree_skb(skb);
	conn = flow_of(test->priv, p->sport);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	return conn;
}

static void set_local(struct local_fixture *f, bool on)
{
	mutex_lock(&f->ln->lock);
	l4lb_service_set_flags(f->ln, f->svc,
			       on ? L4LB_SVC_F_LOCAL_CLIENTS : 0,
			       L4LB_SVC_F_LOCAL_CLIENTS);
	mutex_unlock(&f->ln->lock);
}

/*
 * A local client's SYN: to the backend, routed anew there (the route it
 * came with was the VIP's), a flow made and counted; the backend's
 * SYN-ACK, at LOCAL_IN, from the VIP again, and the flow answered.
 */
static void local_syn_and_reply(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = LOCAL, .daddr = VIP,
			  .sport = 40000, .dport = PORT, .flags = KPKT_SYN };
	struct l4lb_stats_sum sum;
	struct l4lb_conn *conn;
	struct sk_buff *skb;

	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, local_out(test, skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE));
	KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->dest, htons(PORT));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	KUNIT_EXPECT_EQ(test, ip_fast_csum(skb_network_header(skb),
					   ip_hdr(skb)->ihl), 0);
	/* Routed to the backend: the broadcast route it had is gone. */
	KUNIT_ASSERT_NOT_NULL(test, skb_dst(skb));
	KUNIT_EXPECT_EQ(test, skb_rtable(skb)->rt_type, RTN_LOCAL);
	kfree_skb(skb);
	conn = flow_of(f, 40000);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, READ_ONCE(conn->state), L4LB_CONN_SYN_SEEN);
	l4lb_stats_sum(f->svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.conns, 1ULL);
	KUNIT_EXPECT_EQ(test, sum.pkts_in, 1ULL);

	p = (struct kpkt){ .proto = IPPROTO_TCP, .saddr = BE, .daddr = LOCAL,
			   .sport = PORT, .dport = 40000,
			   .flags = KPKT_SYN | KPKT_ACK, .payload = 100 };
	skb = build(test, &p, 20);
	KUNIT_EXPECT_EQ(test, local_in(skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->source, htons(PORT));
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(LOCAL));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, READ_ONCE(conn->state), L4LB_CONN_SYN_RECV);
	l4lb_stats_sum(f->svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.pkts_out, 1ULL);
}

/*
 * A TSO packet of a local socket: GSO, CHECKSUM_PARTIAL (the TCP checksum
 * field holds the pseudo-header's sum only), its payload in a page
 * fragment. Its headers are rewritten, the pseudo-header sum follows the
 * new addresses, and nothing is linearised.
 */
static void local_gso_partial(struct kunit *test)
{
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = LOCAL, .daddr = VIP,
			  .sport = 40001, .dport = PORT, .flags = KPKT_SYN };
	unsigned int l4len = sizeof(struct tcphdr) + 3000;
	struct sk_buff *skb;
	struct tcphdr *th;

	local_first(test, &p);

	p.flags = KPKT_ACK;
	p.payload = 3000;
	skb = build(test, &p, 40);
	KUNIT_ASSERT_EQ(test, skb_headlen(skb), 40U);
	th = tcp_hdr(skb);
	skb->ip_summed = CHECKSUM_PARTIAL;
	skb->csum_start = skb_transport_header(skb) - skb->head;
	skb->csum_offset = offsetof(struct tcphdr, check);
	th->check = ~csum_tcpudp_magic(htonl(LOCAL), htonl(VIP), l4len,
				       IPPROTO_TCP, 0);
	skb_shinfo(skb)->gso_size = 1000;
	skb_shinfo(skb)->gso_type = SKB_GSO_TCPV4;
	skb_shinfo(skb)->gso_segs = 3;

	KUNIT_EXPECT_EQ(test, local_out(test, skb), NF_ACCEPT);
	th = tcp_hdr(skb);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE));
	KUNIT_EXPECT_EQ(test, th->check,
			(__sum16)~csum_tcpudp_magic(htonl(LOCAL), htonl(BE),
						    l4len, IPPROTO_TCP, 0));
	KUNIT_EXPECT_EQ(test, ip_fast_csum(skb_network_header(skb),
					   ip_hdr(skb)->ihl), 0);
	KUNIT_EXPECT_EQ(test, (int)skb->ip_summed, CHECKSUM_PARTIAL);
	KUNIT_EXPECT_TRUE(test, skb_is_gso(skb));
	KUNIT_EXPECT_EQ(test, skb_headlen(skb), 40U);
	kfree_skb(skb);
}

/*
 * A backend's packet to this machine with no flow (a health checker's
 * connection to it) is none of l4lb's at LOCAL_IN: untouched, accepted,
 * nothing made; so is a flow's reply once its service lost the flag.
 */
static void local_in_no_flow_untouched(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = BE, .daddr = LOCAL,
			  .sport = PORT, .dport = 40002,
			  .flags = KPKT_SYN | KPKT_ACK };
	struct sk_buff *skb;

	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, local_in(skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(BE));
	kfree_skb(skb);
	KUNIT_EXPECT_NULL(test, flow_of(f, 40002));

	/* A flow made, then the flag off: its reply passes as it is. */
	p = (struct kpkt){ .proto = IPPROTO_TCP, .saddr = LOCAL, .daddr = VIP,
			   .sport = 40003, .dport = PORT, .flags = KPKT_SYN };
	local_first(test, &p);
	set_local(f, false);
	p = (struct kpkt){ .proto = IPPROTO_TCP, .saddr = BE, .daddr = LOCAL,
			   .sport = PORT, .dport = 40003,
			   .flags = KPKT_SYN | KPKT_ACK };
	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, local_in(skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(BE));
	kfree_skb(skb);
}

/*
 * Without the flag a local client's packet passes untouched (and its
 * route with it), even of a flow it made while the flag was on; and a
 * packet looped back to PRE_ROUTING (to a VIP on lo) is the local
 * stack's, never balanced there.
 */
static void local_flag_off_untouched(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = LOCAL, .daddr = VIP,
			  .sport = 40004, .dport = PORT, .flags = KPKT_SYN };
	struct l4lb_stats_sum sum;
	struct sk_buff *skb;

	local_first(test, &p);
	set_local(f, false);

	p.flags = KPKT_ACK;
	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, local_out(test, skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, skb_rtable(skb)->rt_type, RTN_BROADCAST);
	kfree_skb(skb);
	p.sport = 40005;
	p.flags = KPKT_SYN;
	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, local_out(test, skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(VIP));
	kfree_skb(skb);
	KUNIT_EXPECT_NULL(test, flow_of(f, 40005));

	/* Looped back: neither flag nor flow makes PRE_ROUTING take it. */
	set_local(f, true);
	p.sport = 40006;
	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, pre_routing(skb, init_net.loopback_dev),
			NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(VIP));
	kfree_skb(skb);
	KUNIT_EXPECT_NULL(test, flow_of(f, 40006));
	l4lb_stats_sum(f->svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.conns, 1ULL);
}

/*
 * The hooks of a family are registered while one of its services has
 * the flag, whatever turns it on or off: service add, service set,
 * service del, a flush (as at namespace exit); the counts follow.
 */
static void local_registration(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct l4lb_net *ln = f->ln;
	struct l4lb_svc_key k2, k6;
	struct l4lb_svc_config cfg;
	struct in6_addr a6 = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8, [15] = 9 } };

	mutex_lock(&ln->lock);
	KUNIT_EXPECT_EQ(test, ln->n_local, 1U);
	KUNIT_EXPECT_TRUE(test, ln->hooks_on & L4LB_HOOKS_LOCAL4);
	KUNIT_EXPECT_FALSE(test, ln->hooks_on & L4LB_HOOKS_LOCAL6);

	l4lb_svc_key_init4(&k2, IPPROTO_TCP, htonl(VIP), htons(PORT + 1));
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	cfg.flags = L4LB_SVC_F_LOCAL_CLIENTS;
	KUNIT_ASSERT_EQ(test, l4lb_service_add(ln, &k2, &cfg), 0);
	KUNIT_EXPECT_EQ(test, ln->n_local, 2U);
	/* Set twice: counted once. */
	KUNIT_EXPECT_EQ(test, l4lb_service_set_flags(ln, f->svc,
						     L4LB_SVC_F_LOCAL_CLIENTS,
						     L4LB_SVC_F_LOCAL_CLIENTS),
			0);
	KUNIT_EXPECT_EQ(test, ln->n_local, 2U);
	KUNIT_EXPECT_EQ(test, l4lb_service_set_flags(ln, f->svc, 0,
						     L4LB_SVC_F_LOCAL_CLIENTS),
			0);
	KUNIT_EXPECT_EQ(test, ln->n_local, 1U);
	KUNIT_EXPECT_FALSE(test, f->svc->flags & L4LB_SVC_F_LOCAL_CLIENTS);
	KUNIT_EXPECT_TRUE(test, ln->hooks_on & L4LB_HOOKS_LOCAL4);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(ln, &k2), 0);
	KUNIT_EXPECT_EQ(test, ln->n_local, 0U);
	KUNIT_EXPECT_FALSE(test, ln->hooks_on & L4LB_HOOKS_LOCAL4);
	/* The forwarding hooks stay: a service is left. */
	KUNIT_EXPECT_TRUE(test, ln->hooks_on & L4LB_HOOKS_V4);

	KUNIT_EXPECT_EQ(test, l4lb_service_set_flags(ln, f->svc,
						     L4LB_SVC_F_LOCAL_CLIENTS,
						     L4LB_SVC_F_LOCAL_CLIENTS),
			0);
	KUNIT_EXPECT_TRUE(test, ln->hooks_on & L4LB_HOOKS_LOCAL4);
	l4lb_svc_key_init6(&k6, IPPROTO_TCP, &a6, htons(PORT));
	KUNIT_ASSERT_EQ(test, l4lb_service_add(ln, &k6, &cfg), 0);
	KUNIT_EXPECT_EQ(test, ln->n_local6, 1U);
	KUNIT_EXPECT_TRUE(test, ln->hooks_on & L4LB_HOOKS_LOCAL6);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(ln, &k6), 0);
	KUNIT_EXPECT_EQ(test, ln->n_local6, 0U);
	KUNIT_EXPECT_FALSE(test, ln->hooks_on & L4LB_HOOKS_LOCAL6);
	KUNIT_EXPECT_TRUE(test, ln->hooks_on & L4LB_HOOKS_LOCAL4);

	/* A flush, as at namespace exit, takes every hook. */
	KUNIT_ASSERT_EQ(test, l4lb_service_add(ln, &k6, &cfg), 0);
	l4lb_service_flush(ln);
	KUNIT_EXPECT_EQ(test, ln->n_local, 0U);
	KUNIT_EXPECT_EQ(test, ln->n_local6, 0U);
	KUNIT_EXPECT_EQ(test, ln->hooks_on, 0);
	mutex_unlock(&ln->lock);
}

/* An IPv6 packet through a local hook (@out: LOCAL_OUT, routed to ::1). */
static unsigned int hook6(struct kunit *test, struct sk_buff *skb, bool out)
{
	struct nf_hook_state state = {
		.hook = out ? NF_INET_LOCAL_OUT : NF_INET_LOCAL_IN,
		.pf = NFPROTO_IPV6,
		.in = out ? NULL : init_net.loopback_dev,
		.out = out ? init_net.loopback_dev : NULL,
		.net = &init_net,
	};
	struct flowi6 fl6 = { .daddr = in6addr_loopback };
	struct dst_entry *dst;
	unsigned int verdict;

	if (out) {
		dst = ip6_route_output(&init_net, NULL, &fl6);
		KUNIT_ASSERT_EQ(test, dst->error, 0);
		skb_dst_set(skb, dst);
	} else {
		skb->dev = init_net.loopback_dev;
	}
	rcu_read_lock();
	verdict = out ? l4lb_local_out(NULL, skb, &state) :
			l4lb_local_in(NULL, skb, &state);
	rcu_read_unlock();
	return verdict;
}

static bool csum_ok6(struct sk_buff *skb, unsigned int thoff)
{
	const struct ipv6hdr *ip6h = ipv6_hdr(skb);
	unsigned int l4len = skb->len - thoff;

	return !csum_ipv6_magic(&ip6h->saddr, &ip6h->daddr, l4len, IPPROTO_UDP,
				skb_checksum(skb, thoff, l4len, 0));
}

/*
 * IPv6 and UDP: a local client's datagram to an IPv6 VIP goes to the
 * backend (::1), a session made; the backend's answer comes from the VIP.
 */
static void local_ipv6_udp(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct in6_addr vip6 = { .s6_addr = { 0x20, 0x01, 0x0d, 0xb8,
					       [15] = 9 } };
	union nf_inet_addr be = { .in6 = in6addr_loopback };
	struct kpkt6 p = { .proto = IPPROTO_UDP, .saddr = in6addr_loopback,
			   .daddr = vip6, .sport = 40010, .dport = PORT,
			   .payload = 200 };
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;
	struct l4lb_stats_sum sum;
	struct l4lb_svc_key k6;
	unsigned int len, thoff;
	struct sk_buff *skb;
	__be16 sport;

	l4lb_svc_key_init6(&k6, IPPROTO_UDP, &vip6, htons(PORT));
	l4lb_service_default_config(IPPROTO_UDP, &cfg);
	cfg.flags = L4LB_SVC_F_LOCAL_CLIENTS;
	mutex_lock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_service_add(f->ln, &k6, &cfg), 0);
	rcu_read_lock();
	svc = l4lb_service_lookup(f->ln, &k6);
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(f->ln, svc, &be, htons(PORT),
					       1), 0);
	mutex_unlock(&f->ln->lock);

	thoff = kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, thoff, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, hook6(test, skb, true), NF_ACCEPT);
	KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&ipv6_hdr(skb)->daddr,
						&in6addr_loopback));
	KUNIT_EXPECT_TRUE(test, csum_ok6(skb, thoff));
	kfree_skb(skb);

	p = (struct kpkt6){ .proto = IPPROTO_UDP, .saddr = in6addr_loopback,
			    .daddr = in6addr_loopback, .sport = PORT,
			    .dport = 40010, .payload = 100 };
	thoff = kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, thoff, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, hook6(test, skb, false), NF_ACCEPT);
	KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&ipv6_hdr(skb)->saddr, &vip6));
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, thoff, &sport, sizeof(sport)),
			0);
	KUNIT_EXPECT_EQ(test, sport, htons(PORT));
	KUNIT_EXPECT_TRUE(test, csum_ok6(skb, thoff));
	kfree_skb(skb);

	l4lb_stats_sum(svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.conns, 1ULL);
	KUNIT_EXPECT_EQ(test, sum.pkts_in, 1ULL);
	KUNIT_EXPECT_EQ(test, sum.pkts_out, 1ULL);
	conn_fixture_flush(f->ln);
	mutex_lock(&f->ln->lock);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln, &k6), 0);
	KUNIT_EXPECT_FALSE(test, f->ln->hooks_on & L4LB_HOOKS_LOCAL6);
	mutex_unlock(&f->ln->lock);
}

/*
 * A packet from outside that forges this machine's address and a local
 * client's port (routing drops it as a martian after PRE_ROUTING): it
 * neither closes nor uses the local client's flow.
 */
static void local_flow_not_for_forged(struct kunit *test)
{
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = LOCAL, .daddr = VIP,
			  .sport = 40010, .dport = PORT, .flags = KPKT_SYN };
	struct l4lb_conn *conn;
	struct sk_buff *skb;

	conn = local_first(test, &p);

	p.flags = KPKT_RST;
	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, pre_routing(skb, kpkt_in_dev()), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(VIP));
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, READ_ONCE(conn->state), L4LB_CONN_SYN_SEEN);
}

/* @len bytes of @buf's ICMP error, at LOCAL_IN: its headers in pages. */
static unsigned int icmp_in(struct kunit *test, u8 *buf, unsigned int len,
			    struct sk_buff **pskb)
{
	*pskb = kpkt_skb(buf, len, 20, 0);
	KUNIT_ASSERT_NOT_NULL(test, *pskb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(*pskb));
	return local_in(*pskb);
}

/*
 * ICMP errors about a local client's packet (to the backend, as it left):
 * a router's "fragmentation needed" quotes it as the client sent it, to
 * the VIP, so that the socket learns the path's MTU; the backend's own
 * "port unreachable" comes from the VIP too. An error of no flow passes
 * untouched; a corrupt one is dropped, never made whole.
 */
static void local_icmp_errors(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = LOCAL, .daddr = VIP,
			  .sport = 40020, .dport = PORT, .flags = KPKT_SYN };
	struct iphdr inner;
	struct l4lb_stats_sum sum;
	struct sk_buff *skb;
	unsigned int len;
	u8 quote[28];

	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, local_out(test, skb), NF_ACCEPT);
	KUNIT_ASSERT_EQ(test, ip_hdr(skb)->daddr, htonl(BE));
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, quote, sizeof(quote)), 0);
	kfree_skb(skb);

	/* A router's, then the backend's. */
	len = kpkt_build_icmp(f->buf, 0x0a0b0b0b, LOCAL, ICMP_DEST_UNREACH,
			      ICMP_FRAG_NEEDED, quote, sizeof(quote));
	KUNIT_EXPECT_EQ(test, icmp_in(test, f->buf, len, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(0x0a0b0b0b));
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 28, &inner, sizeof(inner)),
			0);
	KUNIT_EXPECT_EQ(test, inner.daddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, inner.saddr, htonl(LOCAL));
	KUNIT_EXPECT_EQ(test, ip_fast_csum(&inner, 5), 0);
	KUNIT_EXPECT_EQ(test, csum_fold(skb_checksum(skb, 20, skb->len - 20,
						     0)), 0);
	kfree_skb(skb);
	len = kpkt_build_icmp(f->buf, BE, LOCAL, ICMP_DEST_UNREACH,
			      ICMP_PORT_UNREACH, quote, sizeof(quote));
	KUNIT_EXPECT_EQ(test, icmp_in(test, f->buf, len, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, ip_fast_csum(ip_hdr(skb), 5), 0);
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 28, &inner, sizeof(inner)),
			0);
	KUNIT_EXPECT_EQ(test, inner.daddr, htonl(VIP));
	kfree_skb(skb);

	/* Corrupt: dropped, not counted as short of memory. */
	len = kpkt_build_icmp(f->buf, BE, LOCAL, ICMP_DEST_UNREACH,
			      ICMP_PORT_UNREACH, quote, sizeof(quote));
	f->buf[len - 1] ^= 0x40;
	KUNIT_EXPECT_EQ(test, icmp_in(test, f->buf, len, &skb), NF_DROP);
	kfree_skb(skb);
	l4lb_stats_sum(f->svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.drops[L4LB_DROP_NO_MEMORY], 0ULL);

	/* About a port no local flow has: untouched. */
	put_unaligned_be16(40021, quote + 20);
	len = kpkt_build_icmp(f->buf, BE, LOCAL, ICMP_DEST_UNREACH,
			      ICMP_PORT_UNREACH, quote, sizeof(quote));
	KUNIT_EXPECT_EQ(test, icmp_in(test, f->buf, len, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(BE));
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 28, &inner, sizeof(inner)),
			0);
	KUNIT_EXPECT_EQ(test, inner.daddr, htonl(BE));
	kfree_skb(skb);
}

/*
 * An ICMP error from outside about a local client's flow, as if its reply
 * (VIP to the client) had left this machine: it never does, so the error
 * is forged, and passes PRE_ROUTING as it came, not translated to the
 * backend.
 */
static void local_icmp_forged_untouched(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = LOCAL, .daddr = VIP,
			  .sport = 40060, .dport = PORT, .flags = KPKT_SYN };
	struct kpkt r = { .proto = IPPROTO_TCP, .saddr = VIP, .daddr = LOCAL,
			  .sport = PORT, .dport = 40060,
			  .flags = KPKT_SYN | KPKT_ACK };
	struct iphdr inner;
	struct sk_buff *skb;
	unsigned int len;
	u8 quote[28];

	local_first(test, &p);

	kpkt_build(f->buf, &r);
	memcpy(quote, f->buf, sizeof(quote));
	len = kpkt_build_icmp(f->buf, 0x0a0b0b0b, VIP, ICMP_DEST_UNREACH,
			      ICMP_FRAG_NEEDED, quote, sizeof(quote));
	skb = kpkt_skb(f->buf, len, 20, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
	KUNIT_EXPECT_EQ(test, pre_routing(skb, kpkt_in_dev()), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(VIP));
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 28, &inner, sizeof(inner)),
			0);
	KUNIT_EXPECT_EQ(test, inner.saddr, htonl(VIP));
	kfree_skb(skb);
}

/*
 * A local client whose source is the VIP (a socket connecting to a VIP on
 * lo takes it as its own address), from a port that is another service's:
 * its backend's SYN-ACK, to the VIP at that port, is the local client's
 * reply (LOCAL_IN's), not a client's packet of the other service, which
 * would drop it as no flow's.
 */
static void local_reply_to_vip_port(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = VIP, .daddr = VIP,
			  .sport = 40030, .dport = PORT, .flags = KPKT_SYN };
	union nf_inet_addr a = { .ip = htonl(BE) };
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;
	struct l4lb_stats_sum sum;
	struct l4lb_svc_key key;
	struct sk_buff *skb;

	l4lb_svc_key_init4(&key, IPPROTO_TCP, htonl(VIP), htons(40030));
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	mutex_lock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_service_add(f->ln, &key, &cfg), 0);
	rcu_read_lock();
	svc = l4lb_service_lookup(f->ln, &key);
	rcu_read_unlock();
	KUNIT_ASSERT_NOT_NULL(test, svc);
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(f->ln, svc, &a, htons(9090), 1),
			0);
	mutex_unlock(&f->ln->lock);

	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, local_out(test, skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE));
	kfree_skb(skb);

	p = (struct kpkt){ .proto = IPPROTO_TCP, .saddr = BE, .daddr = VIP,
			   .sport = PORT, .dport = 40030,
			   .flags = KPKT_SYN | KPKT_ACK };
	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, pre_routing(skb, kpkt_in_dev()), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(BE));
	KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->dest, htons(40030));
	KUNIT_EXPECT_EQ(test, local_in(skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->source, htons(PORT));
	kfree_skb(skb);
	l4lb_stats_sum(svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.drops[L4LB_DROP_NO_FLOW], 0ULL);
	KUNIT_EXPECT_EQ(test, sum.conns, 0ULL);

	conn_fixture_flush(f->ln);
	mutex_lock(&f->ln->lock);
	l4lb_service_remove(f->ln, &key);
	mutex_unlock(&f->ln->lock);
}

/*
 * A local client of a port range (a portless backend): its SYN to a port
 * of the range reaches the backend on that port, in a flow of that port
 * marked local; the backend's answer from it, at LOCAL_IN, leaves as the
 * VIP and that port.
 */
static void local_range(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = LOCAL, .daddr = VIP,
			  .sport = 40100, .dport = 9005, .flags = KPKT_SYN };
	union nf_inet_addr a = { .ip = htonl(BE) }, ca = { .ip = htonl(LOCAL) };
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;
	struct l4lb_orig_key k;
	struct l4lb_svc_key key;
	struct l4lb_conn *conn;
	struct sk_buff *skb;
	int err;

	l4lb_svc_key_init4(&key, IPPROTO_TCP, htonl(VIP), htons(9000));
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	cfg.flags = L4LB_SVC_F_LOCAL_CLIENTS;
	cfg.port_last = 9010;
	mutex_lock(&f->ln->lock);
	err = l4lb_service_add(f->ln, &key, &cfg);
	rcu_read_lock();
	svc = l4lb_service_lookup(f->ln, &key);
	rcu_read_unlock();
	if (!err)
		KUNIT_EXPECT_EQ(test, l4lb_backend_add(f->ln, svc, &a, 0, 1),
				0);
	mutex_unlock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, err, 0);

	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, local_out(test, skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE));
	KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->dest, htons(9005));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	l4lb_orig_key_port(&k, svc, &ca, htons(40100), htons(9005));
	rcu_read_lock();
	conn = l4lb_conn_lookup_orig(f->ln, &k);
	rcu_read_unlock();
	/* Expected, not asserted: a failure still removes the service. */
	KUNIT_EXPECT_NOT_NULL(test, conn);
	if (conn) {
		KUNIT_EXPECT_EQ(test, READ_ONCE(conn->local), 1);
		KUNIT_EXPECT_EQ(test, ntohs(conn->vport), 9005);
	}

	p = (struct kpkt){ .proto = IPPROTO_TCP, .saddr = BE, .daddr = LOCAL,
			   .sport = 9005, .dport = 40100,
			   .flags = KPKT_SYN | KPKT_ACK, .payload = 10 };
	skb = build(test, &p, 20);
	KUNIT_EXPECT_EQ(test, local_in(skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->source, htons(9005));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	if (conn)
		KUNIT_EXPECT_EQ(test, READ_ONCE(conn->state),
				L4LB_CONN_SYN_RECV);

	conn_fixture_flush(f->ln);
	mutex_lock(&f->ln->lock);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln, &key), 0);
	mutex_unlock(&f->ln->lock);
}

/*
 * A packet from outside forging this machine's address makes a remote
 * flow before routing drops it as a martian; the local client's own
 * packet of that key takes the key back (a local flow, balanced), where
 * it was passed to the VIP unbalanced for as long as forged packets kept
 * the remote flow alive.
 */
static void local_takes_forged_key(struct kunit *test)
{
	struct local_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = LOCAL, .daddr = VIP,
			  .sport = 40050, .dport = PORT, .flags = KPKT_SYN };
	struct l4lb_conn *conn;
	struct sk_buff *skb;

	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, pre_routing(skb, kpkt_in_dev()), NF_ACCEPT);
	kfree_skb(skb);
	conn = flow_of(f, 40050);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, READ_ONCE(conn->local), 0);

	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, local_out(test, skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE));
	kfree_skb(skb);
	conn = flow_of(f, 40050);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, READ_ONCE(conn->local), 1);

	/* And the forger's next packet no longer touches it. */
	p.flags = KPKT_RST;
	skb = build(test, &p, 40);
	KUNIT_EXPECT_EQ(test, pre_routing(skb, kpkt_in_dev()), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(VIP));
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, READ_ONCE(conn->state), L4LB_CONN_SYN_SEEN);
}

static struct kunit_case l4lb_local_cases[] = {
	KUNIT_CASE(local_syn_and_reply),
	KUNIT_CASE(local_gso_partial),
	KUNIT_CASE(local_in_no_flow_untouched),
	KUNIT_CASE(local_flag_off_untouched),
	KUNIT_CASE(local_registration),
	KUNIT_CASE(local_ipv6_udp),
	KUNIT_CASE(local_flow_not_for_forged),
	KUNIT_CASE(local_icmp_errors),
	KUNIT_CASE(local_icmp_forged_untouched),
	KUNIT_CASE(local_reply_to_vip_port),
	KUNIT_CASE(local_range),
	KUNIT_CASE(local_takes_forged_key),
	{}
};

static struct kunit_suite l4lb_local_suite = {
	.name = "l4lb-local",
	.init = local_init,
	.exit = local_exit,
	.test_cases = l4lb_local_cases,
};

kunit_test_suite(l4lb_local_suite);

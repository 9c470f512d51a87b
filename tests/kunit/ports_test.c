// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: services of a port range and of every port, with portless
 * backends (IPVS's port 0): the lookup finds the range holding a port and
 * nothing else, ranges never overlap, a flow is one destination port, a
 * backend is sent the client's port and answers from it as the VIP.
 */

#include <kunit/test.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/random.h>
#include <linux/l4lb.h>
#include <net/ip.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "../../kmod/backend.h"
#include "../../kmod/conn.h"
#include "../../kmod/expiry.h"
#include "../../kmod/netns.h"
#include "../../kmod/persist.h"
#include "../../kmod/service.h"
#include "../../kmod/stats.h"
#include "fixture.h"
#include "packet.h"

#define VIP	0x0a080808	/* 10.8.8.8 */
#define BE1	0x0a08080a	/* 10.8.8.10 */
#define BE2	0x0a08080b	/* 10.8.8.11 */
#define CLIENT	0x0a020000	/* 10.2.0.0/16 */

static const struct in6_addr vip6 = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 8,
					  [15] = 1 } } };
static const struct in6_addr be6 = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 8,
					 [15] = 0x10 } } };
static const struct in6_addr client6 = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 9,
					     [15] = 2 } } };

struct ports_fixture {
	struct l4lb_net *ln;
	struct l4lb_svc_key keys[24];
	unsigned int n;
	u8 *buf;
};

/*
 * A service of @first..@last on the VIP (or @v6's), with the portless
 * backends @nbe of BE1, BE2 (be6 for IPv6); its key is remembered for the
 * exit. Returns it, or NULL with @err set.
 */
static struct l4lb_service *ports_add(struct kunit *test, u8 proto,
				      u16 first, u16 last, u8 sched,
				      u8 flags, unsigned int nbe, bool v6,
				      int *err)
{
	struct ports_fixture *f = test->priv;
	struct l4lb_svc_key *key = &f->keys[f->n];
	union nf_inet_addr a = {};
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;
	unsigned int i;

	if (v6)
		l4lb_svc_key_init6(key, proto, &vip6, htons(first));
	else
		l4lb_svc_key_init4(key, proto, htonl(VIP), htons(first));
	l4lb_service_default_config(proto, &cfg);
	cfg.sched = sched;
	cfg.flags = flags;
	cfg.port_last = last;
	mutex_lock(&f->ln->lock);
	*err = l4lb_service_add(f->ln, key, &cfg);
	if (*err) {
		mutex_unlock(&f->ln->lock);
		return NULL;
	}
	f->n++;
	rcu_read_lock();
	svc = l4lb_service_lookup(f->ln, key);
	rcu_read_unlock();
	for (i = 0; i < nbe; i++) {
		if (v6)
			a.in6 = be6;
		else
			a.ip = htonl(i ? BE2 : BE1);
		KUNIT_EXPECT_EQ(test, l4lb_backend_add(f->ln, svc, &a, 0, 1),
				0);
	}
	mutex_unlock(&f->ln->lock);
	return svc;
}

static int ports_init(struct kunit *test)
{
	struct ports_fixture *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->buf = kunit_kzalloc(test, KPKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->buf);
	f->ln = l4lb_net(&init_net);
	test->priv = f;
	l4lb_clock_offset = 0;
	return 0;
}

static void ports_exit(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	unsigned int i;

	conn_fixture_flush(f->ln);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
	mutex_lock(&f->ln->lock);
	for (i = 0; i < f->n; i++)
		KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln, &f->keys[i]),
				0);
	mutex_unlock(&f->ln->lock);
	/* Every range set went with its last range. */
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->svc_ranges.nelems), 0);
}

static struct l4lb_service *ports_lookup(struct ports_fixture *f,
					 u8 proto, u16 port)
{
	struct l4lb_service *svc;
	struct l4lb_svc_key k;

	l4lb_svc_key_init4(&k, proto, htonl(VIP), htons(port));
	rcu_read_lock();
	svc = l4lb_service_lookup_pkt(f->ln, &k);
	rcu_read_unlock();
	return svc;
}

/* A range holds its ports, both ends too, and nothing around it. */
static void ports_range_lookup(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	struct l4lb_service *sip, *one, *rtp;
	int err;

	sip = ports_add(test, IPPROTO_TCP, 5060, 5080, L4LB_SCHED_RR, 0, 1,
			false, &err);
	KUNIT_ASSERT_NOT_NULL(test, sip);
	one = ports_add(test, IPPROTO_TCP, 5000, 5000, L4LB_SCHED_RR, 0, 0,
			false, &err);
	KUNIT_ASSERT_NOT_NULL(test, one);
	rtp = ports_add(test, IPPROTO_TCP, 6000, 6010, L4LB_SCHED_RR, 0, 0,
			false, &err);
	KUNIT_ASSERT_NOT_NULL(test, rtp);
	KUNIT_EXPECT_TRUE(test, l4lb_svc_ranged(sip));
	KUNIT_EXPECT_FALSE(test, l4lb_svc_ranged(one));

	KUNIT_EXPECT_PTR_EQ(test, ports_lookup(f, IPPROTO_TCP, 5060), sip);
	KUNIT_EXPECT_PTR_EQ(test, ports_lookup(f, IPPROTO_TCP, 5071), sip);
	KUNIT_EXPECT_PTR_EQ(test, ports_lookup(f, IPPROTO_TCP, 5080), sip);
	KUNIT_EXPECT_PTR_EQ(test, ports_lookup(f, IPPROTO_TCP, 5000), one);
	KUNIT_EXPECT_PTR_EQ(test, ports_lookup(f, IPPROTO_TCP, 6005), rtp);
	KUNIT_EXPECT_NULL(test, ports_lookup(f, IPPROTO_TCP, 5059));
	KUNIT_EXPECT_NULL(test, ports_lookup(f, IPPROTO_TCP, 5081));
	KUNIT_EXPECT_NULL(test, ports_lookup(f, IPPROTO_TCP, 4999));
	KUNIT_EXPECT_NULL(test, ports_lookup(f, IPPROTO_TCP, 6011));
	/* Another protocol on the same address: none of them. */
	KUNIT_EXPECT_NULL(test, ports_lookup(f, IPPROTO_UDP, 5071));
}

/*
 * Ports of one address and protocol belong to one service: a range over
 * another, a port inside one, a range touching one's end are refused; a
 * range next to one, or of the other protocol, is not.
 */
static void ports_overlap_refused(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	struct l4lb_service *svc;
	unsigned int i;
	int err;

	KUNIT_ASSERT_NOT_NULL(test, ports_add(test, IPPROTO_TCP, 5060, 5080,
					      L4LB_SCHED_RR, 0, 0, false,
					      &err));
	KUNIT_ASSERT_NOT_NULL(test, ports_add(test, IPPROTO_TCP, 7000, 7000,
					      L4LB_SCHED_RR, 0, 0, false,
					      &err));
	KUNIT_EXPECT_NULL(test, ports_add(test, IPPROTO_TCP, 5070, 5090,
					  L4LB_SCHED_RR, 0, 0, false, &err));
	KUNIT_EXPECT_EQ(test, err, -EEXIST);
	KUNIT_EXPECT_NULL(test, ports_add(test, IPPROTO_TCP, 5065, 5065,
					  L4LB_SCHED_RR, 0, 0, false, &err));
	KUNIT_EXPECT_EQ(test, err, -EEXIST);
	KUNIT_EXPECT_NULL(test, ports_add(test, IPPROTO_TCP, 5000, 5060,
					  L4LB_SCHED_RR, 0, 0, false, &err));
	KUNIT_EXPECT_EQ(test, err, -EEXIST);
	KUNIT_EXPECT_NULL(test, ports_add(test, IPPROTO_TCP, 6990, 7010,
					  L4LB_SCHED_RR, 0, 0, false, &err));
	KUNIT_EXPECT_EQ(test, err, -EEXIST);
	KUNIT_EXPECT_NULL(test, ports_add(test, IPPROTO_TCP, 1, 65535,
					  L4LB_SCHED_RR, 0, 0, false, &err));
	KUNIT_EXPECT_EQ(test, err, -EEXIST);
	KUNIT_EXPECT_NULL(test, ports_add(test, IPPROTO_TCP, 5090, 5085,
					  L4LB_SCHED_RR, 0, 0, false, &err));
	KUNIT_EXPECT_EQ(test, err, -EINVAL);
	KUNIT_EXPECT_NOT_NULL(test, ports_add(test, IPPROTO_TCP, 5081, 5090,
					      L4LB_SCHED_RR, 0, 0, false,
					      &err));
	KUNIT_EXPECT_NOT_NULL(test, ports_add(test, IPPROTO_UDP, 1, 65535,
					      L4LB_SCHED_SH, 0, 0, false,
					      &err));
	/* Two ranges so far: the address takes L4LB_MAX_RANGES at most. */
	for (i = 2; i < L4LB_MAX_RANGES; i++)
		KUNIT_EXPECT_NOT_NULL(test, ports_add(test, IPPROTO_TCP,
						      8000 + 2 * i,
						      8001 + 2 * i,
						      L4LB_SCHED_RR, 0, 0,
						      false, &err));
	KUNIT_EXPECT_NULL(test, ports_add(test, IPPROTO_TCP, 9000, 9001,
					  L4LB_SCHED_RR, 0, 0, false, &err));
	KUNIT_EXPECT_EQ(test, err, -ENOSPC);
	/* Without the ranges above (they fill keys[]): removed at once. */
	mutex_lock(&f->ln->lock);
	while (f->n > 4)
		KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln,
							  &f->keys[--f->n]),
				0);
	mutex_unlock(&f->ln->lock);
	svc = ports_lookup(f, IPPROTO_TCP, 8005);
	KUNIT_EXPECT_NULL(test, svc);
}

static unsigned int send4(struct kunit *test, const struct kpkt *p, bool in,
			  struct sk_buff **out)
{
	struct ports_fixture *f = test->priv;
	unsigned int len = kpkt_build(f->buf, p), verdict;
	struct sk_buff *skb = kpkt_skb(f->buf, len, len, 0);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
	verdict = kpkt_hook(skb, in, NULL);
	if (out)
		*out = skb;
	else
		kfree_skb(skb);
	return verdict;
}

static void ports_of(struct sk_buff *skb, u16 *sport, u16 *dport)
{
	__be16 ports[2] = {};

	if (skb_copy_bits(skb, ip_hdrlen(skb), ports, sizeof(ports)))
		memset(ports, 0, sizeof(ports));
	*sport = ntohs(ports[0]);
	*dport = ntohs(ports[1]);
}

static struct l4lb_conn *flow_of(struct ports_fixture *f,
				 struct l4lb_service *svc, u32 caddr,
				 u16 cport, u16 vport)
{
	union nf_inet_addr a = { .ip = htonl(caddr) };
	struct l4lb_orig_key k;
	struct l4lb_conn *conn;

	l4lb_orig_key_port(&k, svc, &a, htons(cport), htons(vport));
	rcu_read_lock();
	conn = l4lb_conn_lookup_orig(f->ln, &k);
	rcu_read_unlock();
	return conn;
}

/*
 * Two connections of one client port to two ports of a range are two
 * flows; each reaches its backend on the port it was sent to, and each
 * reply leaves from the VIP and that port.
 */
static void ports_flow_per_port(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = CLIENT + 1,
			  .daddr = VIP, .sport = 4000, .flags = KPKT_SYN,
			  .payload = 40 };
	struct l4lb_conn *c[2];
	struct l4lb_stats_sum sum;
	struct l4lb_service *svc;
	struct sk_buff *skb;
	u16 sport, dport;
	unsigned int i;
	int err;

	svc = ports_add(test, IPPROTO_TCP, 5060, 5080, L4LB_SCHED_RR, 0, 2,
			false, &err);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	for (i = 0; i < 2; i++) {
		p.dport = 5061 + i;
		KUNIT_ASSERT_EQ(test, send4(test, &p, true, &skb), NF_ACCEPT);
		KUNIT_EXPECT_TRUE(test, (ip_hdr(skb)->daddr == htonl(BE1) ||
					 ip_hdr(skb)->daddr == htonl(BE2)));
		ports_of(skb, &sport, &dport);
		KUNIT_EXPECT_EQ(test, sport, 4000);
		KUNIT_EXPECT_EQ(test, dport, 5061 + i);
		KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
		kfree_skb(skb);
		c[i] = flow_of(f, svc, CLIENT + 1, 4000, 5061 + i);
		KUNIT_ASSERT_NOT_NULL(test, c[i]);
		KUNIT_EXPECT_EQ(test, ntohs(c[i]->vport), 5061 + i);
	}
	KUNIT_EXPECT_PTR_NE(test, c[0], c[1]);
	/* rr: one flow each. */
	KUNIT_EXPECT_PTR_NE(test, c[0]->be, c[1]->be);
	/* No flow of a port the client never asked for. */
	KUNIT_EXPECT_NULL(test, flow_of(f, svc, CLIENT + 1, 4000, 5060));

	/* Each backend's reply, from the port it was sent to. */
	for (i = 0; i < 2; i++) {
		struct kpkt r = { .proto = IPPROTO_TCP,
				  .saddr = ntohl(c[i]->be->key.addr.ip),
				  .daddr = CLIENT + 1, .sport = 5061 + i,
				  .dport = 4000, .payload = 100,
				  .flags = KPKT_SYN | KPKT_ACK };

		KUNIT_ASSERT_EQ(test, send4(test, &r, false, &skb), NF_ACCEPT);
		KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
		ports_of(skb, &sport, &dport);
		KUNIT_EXPECT_EQ(test, sport, 5061 + i);
		KUNIT_EXPECT_EQ(test, dport, 4000);
		KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
		kfree_skb(skb);
		KUNIT_EXPECT_EQ(test, READ_ONCE(c[i]->state),
				L4LB_CONN_SYN_RECV);
	}
	/* A backend's packet of another port, no flow: not the VIP's. */
	{
		struct kpkt r = { .proto = IPPROTO_TCP, .saddr = BE1,
				  .daddr = CLIENT + 1, .sport = 22,
				  .dport = 4000, .flags = KPKT_ACK };

		KUNIT_ASSERT_EQ(test, send4(test, &r, false, &skb), NF_ACCEPT);
		KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(BE1));
		kfree_skb(skb);
	}
	l4lb_stats_sum(svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.conns, 2);
	KUNIT_EXPECT_EQ(test, sum.pkts_in, 2);
	KUNIT_EXPECT_EQ(test, sum.pkts_out, 2);
}

/*
 * A UDP service of every port: a session per client address and port
 * (two ports, two sessions, each answered from its port); a stateless
 * range answers with no session, and only from its own ports.
 */
static void ports_all_udp(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_UDP, .saddr = CLIENT + 2,
			  .daddr = VIP, .sport = 3333, .payload = 64 };
	struct l4lb_service *all, *dns;
	struct l4lb_stats_sum sum;
	struct l4lb_conn *conn;
	struct sk_buff *skb;
	u16 sport, dport;
	static const u16 to[] = { 9, 40000, 65535 };
	unsigned int i;
	int err;

	all = ports_add(test, IPPROTO_UDP, 1, 65535, L4LB_SCHED_SH, 0, 1,
			false, &err);
	KUNIT_ASSERT_NOT_NULL(test, all);
	for (i = 0; i < ARRAY_SIZE(to); i++) {
		struct kpkt r = { .proto = IPPROTO_UDP, .saddr = BE1,
				  .daddr = CLIENT + 2, .sport = to[i],
				  .dport = 3333, .payload = 64 };

		p.dport = to[i];
		KUNIT_ASSERT_EQ(test, send4(test, &p, true, &skb), NF_ACCEPT);
		KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE1));
		ports_of(skb, &sport, &dport);
		KUNIT_EXPECT_EQ(test, dport, to[i]);
		KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
		kfree_skb(skb);
		conn = flow_of(f, all, CLIENT + 2, 0, to[i]);
		KUNIT_ASSERT_NOT_NULL(test, conn);

		KUNIT_ASSERT_EQ(test, send4(test, &r, false, &skb), NF_ACCEPT);
		KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
		ports_of(skb, &sport, &dport);
		KUNIT_EXPECT_EQ(test, sport, to[i]);
		KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
		kfree_skb(skb);
		/* Answered: its stamp shares the client port's room. */
		KUNIT_EXPECT_EQ(test, READ_ONCE(conn->state),
				L4LB_CONN_UDP_REPLIED);
	}
	/* A replied session is still found, by its client port 0. */
	l4lb_clock_offset += 5 * HZ;
	p.dport = 40000;
	KUNIT_ASSERT_EQ(test, send4(test, &p, true, NULL), NF_ACCEPT);
	conn = flow_of(f, all, CLIENT + 2, 0, 40000);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, READ_ONCE(conn->state), L4LB_CONN_UDP);
	l4lb_stats_sum(all->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.conns, ARRAY_SIZE(to));
	KUNIT_EXPECT_EQ(test, sum.pkts_in, ARRAY_SIZE(to) + 1);
	KUNIT_EXPECT_EQ(test, sum.pkts_out, ARRAY_SIZE(to));

	/* Stateless DNS on two ports, once the all-port service is gone. */
	mutex_lock(&f->ln->lock);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln, &f->keys[0]), 0);
	f->n = 0;
	mutex_unlock(&f->ln->lock);
	/*
	 * Its removed backend's late answers, from any port, are dropped as
	 * stray (departed.c), as a ported backend's are from its port.
	 */
	{
		struct kpkt r = { .proto = IPPROTO_UDP, .saddr = BE1,
				  .daddr = CLIENT + 2, .sport = 12345,
				  .dport = 3333, .payload = 64 };

		KUNIT_EXPECT_EQ(test, send4(test, &r, false, NULL), NF_DROP);
	}
	dns = ports_add(test, IPPROTO_UDP, 53, 54, L4LB_SCHED_RR,
			L4LB_SVC_F_STATELESS, 0, false, &err);
	KUNIT_ASSERT_NOT_NULL(test, dns);
	mutex_lock(&f->ln->lock);
	{
		union nf_inet_addr a = { .ip = htonl(BE2) };

		KUNIT_EXPECT_EQ(test, l4lb_backend_add(f->ln, dns, &a, 0, 1), 0);
	}
	mutex_unlock(&f->ln->lock);
	p.dport = 54;
	KUNIT_ASSERT_EQ(test, send4(test, &p, true, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE2));
	ports_of(skb, &sport, &dport);
	KUNIT_EXPECT_EQ(test, dport, 54);
	kfree_skb(skb);
	KUNIT_EXPECT_NULL(test, flow_of(f, dns, CLIENT + 2, 0, 54));
	for (i = 53; i <= 55; i++) {
		struct kpkt r = { .proto = IPPROTO_UDP, .saddr = BE2,
				  .daddr = CLIENT + 2, .sport = i,
				  .dport = 3333, .payload = 64 };

		KUNIT_ASSERT_EQ(test, send4(test, &r, false, &skb), NF_ACCEPT);
		/* 55 is no port of the service: left as it is. */
		KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr,
				htonl(i == 55 ? BE2 : VIP));
		ports_of(skb, &sport, &dport);
		KUNIT_EXPECT_EQ(test, sport, i);
		KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
		kfree_skb(skb);
	}
}

/* A portless backend of a single-port service: the service's port. */
static void ports_single_portless(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = CLIENT + 3,
			  .daddr = VIP, .sport = 4001, .dport = 8443,
			  .flags = KPKT_SYN };
	struct kpkt r = { .proto = IPPROTO_TCP, .saddr = BE1,
			  .daddr = CLIENT + 3, .sport = 8443, .dport = 4001,
			  .flags = KPKT_SYN | KPKT_ACK };
	struct l4lb_service *svc;
	struct sk_buff *skb;
	u16 sport, dport;
	int err;

	svc = ports_add(test, IPPROTO_TCP, 8443, 8443, L4LB_SCHED_RR, 0, 1,
			false, &err);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	KUNIT_ASSERT_EQ(test, send4(test, &p, true, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE1));
	ports_of(skb, &sport, &dport);
	KUNIT_EXPECT_EQ(test, dport, 8443);
	kfree_skb(skb);
	KUNIT_ASSERT_EQ(test, send4(test, &r, false, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	ports_of(skb, &sport, &dport);
	KUNIT_EXPECT_EQ(test, sport, 8443);
	kfree_skb(skb);
	KUNIT_EXPECT_NOT_NULL(test, flow_of(f, svc, CLIENT + 3, 4001, 8443));
}

/* IPv6: a range's flow to its portless backend, and the reply. */
static void ports_ipv6(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_TCP, .saddr = client6,
			   .daddr = vip6, .sport = 4002, .dport = 9001,
			   .flags = KPKT_SYN, .payload = 20 };
	struct kpkt6 r = { .proto = IPPROTO_TCP, .saddr = be6,
			   .daddr = client6, .sport = 9001, .dport = 4002,
			   .flags = KPKT_SYN | KPKT_ACK, .payload = 20 };
	struct l4lb_service *svc;
	unsigned int len, thoff;
	struct sk_buff *skb;
	__be16 ports[2];
	int err;

	svc = ports_add(test, IPPROTO_TCP, 9000, 9100, L4LB_SCHED_RR, 0, 1,
			true, &err);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	thoff = kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, len, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
	KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&ipv6_hdr(skb)->daddr, &be6));
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, thoff, ports, 4), 0);
	KUNIT_EXPECT_EQ(test, ntohs(ports[1]), 9001);
	kfree_skb(skb);

	thoff = kpkt6_build(f->buf, &r, &len);
	skb = kpkt6_skb(f->buf, len, len, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, kpkt6_hook(skb, false), NF_ACCEPT);
	KUNIT_EXPECT_TRUE(test, ipv6_addr_equal(&ipv6_hdr(skb)->saddr, &vip6));
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, thoff, ports, 4), 0);
	KUNIT_EXPECT_EQ(test, ntohs(ports[0]), 9001);
	kfree_skb(skb);
}

/* @svc persistent 60 s by whole address. */
static void ports_persist(struct ports_fixture *f, struct l4lb_service *svc)
{
	mutex_lock(&f->ln->lock);
	l4lb_service_set_persist(f->ln, svc, l4lb_persist_make(60, 32));
	mutex_unlock(&f->ln->lock);
}

/*
 * A persistent range keeps one template a client for all its ports, as
 * IPVS's persistent port-0 service does: two connections of one client to
 * two ports of a TCP range go to one backend through one template (keyed
 * by the range's first port), a second client's to the other backend. A
 * UDP all-port service the same, its sessions answered: the answer's stamp
 * shares the client port's room, which the template keeps its mask in.
 */
static void ports_persist_one_template(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = CLIENT + 5,
			  .daddr = VIP, .flags = KPKT_SYN };
	static const u16 to[] = { 5061, 5075, 40000, 50000 };
	union nf_inet_addr ca = { .ip = htonl(CLIENT + 5) };
	struct l4lb_service *svc[2];
	struct l4lb_conn *c[4], *tpl, *other;
	struct l4lb_orig_key k;
	struct sk_buff *skb;
	unsigned int i;
	int err;

	svc[0] = ports_add(test, IPPROTO_TCP, 5060, 5080, L4LB_SCHED_RR, 0, 2,
			   false, &err);
	KUNIT_ASSERT_NOT_NULL(test, svc[0]);
	svc[1] = ports_add(test, IPPROTO_UDP, 1, 65535, L4LB_SCHED_RR, 0, 2,
			   false, &err);
	KUNIT_ASSERT_NOT_NULL(test, svc[1]);
	ports_persist(f, svc[0]);
	ports_persist(f, svc[1]);
	for (i = 0; i < ARRAY_SIZE(to); i++) {
		struct l4lb_service *s = svc[i / 2];

		p.proto = s->key.proto;
		p.sport = 4100 + i;
		p.dport = to[i];
		KUNIT_ASSERT_EQ(test, send4(test, &p, true, &skb), NF_ACCEPT);
		kfree_skb(skb);
		c[i] = flow_of(f, s, CLIENT + 5,
			       s->key.proto == IPPROTO_TCP ? 4100 + i : 0,
			       to[i]);
		KUNIT_ASSERT_NOT_NULL(test, c[i]);
		KUNIT_EXPECT_EQ(test, ntohs(c[i]->vport), to[i]);
		if (s->key.proto == IPPROTO_UDP) {
			/* The session's answer, stamped in its cport. */
			struct kpkt r = { .proto = IPPROTO_UDP,
					  .saddr = ntohl(c[i]->be->key.addr.ip),
					  .daddr = CLIENT + 5,
					  .sport = to[i], .dport = 4100 + i,
					  .payload = 8 };

			KUNIT_ASSERT_EQ(test, send4(test, &r, false, NULL),
					NF_ACCEPT);
			KUNIT_EXPECT_EQ(test, READ_ONCE(c[i]->state),
					L4LB_CONN_UDP_REPLIED);
		}
	}
	for (i = 0; i < ARRAY_SIZE(to); i += 2) {
		struct l4lb_service *s = svc[i / 2];

		KUNIT_EXPECT_PTR_EQ(test, c[i]->be, c[i + 1]->be);
		tpl = c[i]->tpl;
		KUNIT_ASSERT_NOT_NULL(test, tpl);
		KUNIT_EXPECT_PTR_EQ(test, c[i + 1]->tpl, tpl);
		/* One template, of the first port, with both flows on it. */
		KUNIT_EXPECT_EQ(test, tpl->vport, s->key.port);
		KUNIT_EXPECT_EQ(test, atomic_read(&tpl->users),
				(int)L4LB_TPL_LINKED + 2);
		l4lb_tpl_key(&k, s, s->persist, &ca);
		rcu_read_lock();
		KUNIT_EXPECT_PTR_EQ(test, l4lb_conn_lookup_orig(f->ln, &k),
				    tpl);
		rcu_read_unlock();
		/* Still found by both keys once answered. */
		KUNIT_EXPECT_PTR_EQ(test,
				    flow_of(f, s, CLIENT + 5,
					    s->key.proto == IPPROTO_TCP ?
					    4100 + i + 1 : 0, to[i + 1]),
				    c[i + 1]);
	}
	/* Another client: its own template, rr's other backend. */
	p.proto = IPPROTO_TCP;
	p.saddr = CLIENT + 6;
	p.dport = 5080;
	KUNIT_ASSERT_EQ(test, send4(test, &p, true, NULL), NF_ACCEPT);
	other = flow_of(f, svc[0], CLIENT + 6, p.sport, 5080);
	KUNIT_ASSERT_NOT_NULL(test, other);
	KUNIT_EXPECT_PTR_NE(test, other->be, c[0]->be);
	KUNIT_EXPECT_PTR_NE(test, other->tpl, c[0]->tpl);
}

/*
 * A portless TCP server shared by two ranges of the VIP (one backend of
 * each, one key): a packet of it with no flow is adopted by the range of
 * its port (sh), whichever of the two the table holds first; from a port
 * of neither, it is no VIP's.
 */
static void ports_shared_portless(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	struct kpkt r = { .proto = IPPROTO_TCP, .saddr = BE1,
			  .daddr = CLIENT + 7, .dport = 4200,
			  .flags = KPKT_SYN | KPKT_ACK };
	struct l4lb_service *svc[2];
	struct l4lb_conn *conn;
	static const u16 from[] = { 1000, 2001 };
	struct sk_buff *skb;
	u16 sport, dport;
	unsigned int i;
	int err;

	svc[0] = ports_add(test, IPPROTO_TCP, 1000, 1001, L4LB_SCHED_SH, 0, 1,
			   false, &err);
	KUNIT_ASSERT_NOT_NULL(test, svc[0]);
	svc[1] = ports_add(test, IPPROTO_TCP, 2000, 2001, L4LB_SCHED_SH, 0, 1,
			   false, &err);
	KUNIT_ASSERT_NOT_NULL(test, svc[1]);
	for (i = 0; i < ARRAY_SIZE(from); i++) {
		r.sport = from[i];
		KUNIT_ASSERT_EQ(test, send4(test, &r, false, &skb), NF_ACCEPT);
		KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
		ports_of(skb, &sport, &dport);
		KUNIT_EXPECT_EQ(test, sport, from[i]);
		KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
		kfree_skb(skb);
		conn = flow_of(f, svc[i], CLIENT + 7, 4200, from[i]);
		KUNIT_ASSERT_NOT_NULL(test, conn);
		KUNIT_EXPECT_PTR_EQ(test, conn->be->svc, svc[i]);
		KUNIT_EXPECT_EQ(test, READ_ONCE(conn->state),
				L4LB_CONN_SYN_RECV);
	}
	r.sport = 3000;
	KUNIT_ASSERT_EQ(test, send4(test, &r, false, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(BE1));
	kfree_skb(skb);
}

/*
 * Hostile packets to a range and from its portless backends, every port
 * and flag mix of a few clients: nothing crashes, and every flow made is
 * of a port of the range, and its reply key finds it.
 */
static void ports_fuzz(struct kunit *test)
{
	struct ports_fixture *f = test->priv;
	struct l4lb_service *svc;
	struct sk_buff *skb;
	unsigned int i;
	int err;

	svc = ports_add(test, IPPROTO_TCP, 20000, 20100, L4LB_SCHED_SH, 0, 2,
			false, &err);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	for (i = 0; i < 2000; i++) {
		u32 r = get_random_u32();
		struct kpkt p = { .proto = r & 1 ? IPPROTO_TCP : IPPROTO_UDP,
				  .saddr = CLIENT + (r >> 1 & 7),
				  .daddr = VIP,
				  .sport = 1000 + (r >> 4 & 3),
				  .dport = 19990 + (r >> 8 & 127),
				  .flags = r >> 16 & 0x17,
				  .payload = r >> 24 & 63 };
		bool reply = r & 2;

		if (reply) {
			swap(p.saddr, p.daddr);
			swap(p.sport, p.dport);
			p.saddr = r & 4 ? BE1 : BE2;
		}
		send4(test, &p, !reply, &skb);
		kfree_skb(skb);
	}
	/* Flows of the range's ports only. */
	for (i = 19990; i < 20118; i++)
		KUNIT_EXPECT_TRUE(test, (!flow_of(f, svc, CLIENT, 1000, i) ||
					 l4lb_svc_has_port(svc, htons(i))));
}

static struct kunit_case l4lb_ports_cases[] = {
	KUNIT_CASE(ports_range_lookup),
	KUNIT_CASE(ports_overlap_refused),
	KUNIT_CASE(ports_flow_per_port),
	KUNIT_CASE(ports_all_udp),
	KUNIT_CASE(ports_single_portless),
	KUNIT_CASE(ports_ipv6),
	KUNIT_CASE(ports_persist_one_template),
	KUNIT_CASE(ports_shared_portless),
	KUNIT_CASE(ports_fuzz),
	{}
};

static struct kunit_suite l4lb_ports_suite = {
	.name = "l4lb-ports",
	.init = ports_init,
	.exit = ports_exit,
	.test_cases = l4lb_ports_cases,
};

kunit_test_suite(l4lb_ports_suite);

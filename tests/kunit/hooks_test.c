// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: l4lb's hook functions fed packets the way the stack hands them
 * over, in every skb layout (headers in page fragments included), and
 * then fed hostile ones: mutated, truncated, with options, fragment bits
 * and lying lengths. Each case names the defect it guards.
 */

#include <kunit/test.h>
#include <linux/icmp.h>
#include <linux/in.h>
#include <linux/ip.h>
#include <linux/netfilter.h>
#include <linux/random.h>
#include <linux/tcp.h>
#include <linux/udp.h>
#include <asm/unaligned.h>
#include <linux/l4lb.h>
#include <net/dst_metadata.h>
#include <net/ip.h>
#include <net/net_namespace.h>

#include "../../kmod/backend.h"
#include "../../kmod/conn.h"
#include "../../kmod/departed.h"
#include "../../kmod/expiry.h"
#include "../../kmod/netns.h"
#include "../../kmod/sched.h"
#include "../../kmod/service.h"
#include "../../kmod/stats.h"
#include "fixture.h"
#include "packet.h"

#define VIP	0x0a090909	/* 10.9.9.9 */
#define BE1	0x0a09090a	/* 10.9.9.10 */
#define BE2	0x0a09090b	/* 10.9.9.11 */
#define CLIENT	0x0a010000	/* 10.1.0.0/16 */

/*
 * TCP VIP:80 (rr), UDP VIP:7777 (sh), stateless UDP VIP:53 (rr), TCP
 * VIP:443 (mh, hash-port: adopts flows).
 */
struct hooks_fixture {
	struct l4lb_net *ln;
	struct l4lb_svc_key tcp, udp, dns, mh;
	struct l4lb_service *tcp_svc, *udp_svc, *dns_svc, *mh_svc;
	u32 saved_max;
	u8 *buf;
};

static struct l4lb_service *add_svc(struct kunit *test, struct l4lb_net *ln,
				    struct l4lb_svc_key *key, u8 proto,
				    u16 port, u8 sched, u8 flags)
{
	union nf_inet_addr a = {};
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;

	l4lb_svc_key_init4(key, proto, htonl(VIP), htons(port));
	l4lb_service_default_config(proto, &cfg);
	cfg.sched = sched;
	cfg.flags = flags;
	KUNIT_ASSERT_EQ(test, l4lb_service_add(ln, key, &cfg), 0);
	rcu_read_lock();
	svc = l4lb_service_lookup(ln, key);
	rcu_read_unlock();
	a.ip = htonl(BE1);
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(ln, svc, &a, htons(port), 1), 0);
	a.ip = htonl(BE2);
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(ln, svc, &a, htons(port), 1), 0);
	return svc;
}

static int hooks_init(struct kunit *test)
{
	struct hooks_fixture *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->buf = kunit_kzalloc(test, KPKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->buf);
	f->ln = l4lb_net(&init_net);
	test->priv = f;
	mutex_lock(&f->ln->lock);
	f->tcp_svc = add_svc(test, f->ln, &f->tcp, IPPROTO_TCP, 80,
			     L4LB_SCHED_RR, 0);
	f->udp_svc = add_svc(test, f->ln, &f->udp, IPPROTO_UDP, 7777,
			     L4LB_SCHED_SH, 0);
	f->dns_svc = add_svc(test, f->ln, &f->dns, IPPROTO_UDP, 53,
			     L4LB_SCHED_RR, L4LB_SVC_F_STATELESS);
	f->mh_svc = add_svc(test, f->ln, &f->mh, IPPROTO_TCP, 443,
			    L4LB_SCHED_MH, L4LB_SVC_F_HASH_PORT);
	mutex_unlock(&f->ln->lock);
	/* The test drives the sweep itself. */
	l4lb_expiry_stop(f->ln);
	conn_fixture_settle(test, f->ln);
	f->saved_max = f->ln->max_conns;
	l4lb_clock_offset = 0;
	return 0;
}

/*
 * Every packet and flow a service counts, one of its backends counts too:
 * the service's counters are its backends' sums (drops are the service's
 * alone). Caller holds &l4lb_net.lock.
 */
static void expect_counters_add_up(struct kunit *test,
				   struct l4lb_service *svc)
{
	struct l4lb_stats_sum s, b, all = {};
	struct l4lb_backend *be;

	l4lb_stats_sum(svc->stats, &s);
	list_for_each_entry(be, &svc->backends, list) {
		l4lb_stats_sum(be->stats, &b);
		all.conns += b.conns;
		all.pkts_in += b.pkts_in;
		all.bytes_in += b.bytes_in;
		all.pkts_out += b.pkts_out;
		all.bytes_out += b.bytes_out;
	}
	KUNIT_EXPECT_EQ(test, s.conns, all.conns);
	KUNIT_EXPECT_EQ(test, s.pkts_in, all.pkts_in);
	KUNIT_EXPECT_EQ(test, s.bytes_in, all.bytes_in);
	KUNIT_EXPECT_EQ(test, s.pkts_out, all.pkts_out);
	KUNIT_EXPECT_EQ(test, s.bytes_out, all.bytes_out);
}

static void hooks_exit(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct l4lb_backend *be;

	mutex_lock(&f->ln->lock);
	expect_counters_add_up(test, f->tcp_svc);
	expect_counters_add_up(test, f->udp_svc);
	expect_counters_add_up(test, f->dns_svc);
	expect_counters_add_up(test, f->mh_svc);
	mutex_unlock(&f->ln->lock);
	/* Every flow leaves, and with it every count it held. */
	conn_fixture_flush(f->ln);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
	mutex_lock(&f->ln->lock);
	list_for_each_entry(be, &f->tcp_svc->backends, list)
		KUNIT_EXPECT_EQ(test, atomic_read(&be->active), 0);
	list_for_each_entry(be, &f->udp_svc->backends, list)
		KUNIT_EXPECT_EQ(test, atomic_read(&be->active), 0);
	list_for_each_entry(be, &f->mh_svc->backends, list)
		KUNIT_EXPECT_EQ(test, atomic_read(&be->active), 0);
	l4lb_service_remove(f->ln, &f->mh);
	l4lb_service_remove(f->ln, &f->tcp);
	l4lb_service_remove(f->ln, &f->udp);
	l4lb_service_remove(f->ln, &f->dns);
	mutex_unlock(&f->ln->lock);
	f->ln->max_conns = f->saved_max;
	l4lb_clock_offset = 0;
}

/* Builds @p, runs one hook on it as an skb of the given layout. */
static unsigned int send(struct kunit *test, const struct kpkt *p, bool in,
			 unsigned int linear, struct sk_buff **out)
{
	struct hooks_fixture *f = test->priv;
	unsigned int len = kpkt_build(f->buf, p), verdict;
	struct sk_buff *skb = kpkt_skb(f->buf, len, linear, 0);

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
	verdict = kpkt_hook(skb, in, NULL);
	/* Stolen: a fragment kept for reassembly, no longer ours. */
	if (verdict == NF_STOLEN)
		skb = NULL;
	if (out)
		*out = skb;
	else
		kfree_skb(skb);
	return verdict;
}

static struct l4lb_conn *flow_of(struct hooks_fixture *f,
				 struct l4lb_service *svc, u32 caddr, u16 cport)
{
	struct l4lb_orig_key k;
	struct l4lb_conn *conn;

	l4lb_orig_key_svc4(&k, svc, htonl(caddr), htons(cport));
	rcu_read_lock();
	conn = l4lb_conn_lookup_orig(f->ln, &k);
	rcu_read_unlock();
	return conn;
}

static u64 drops(struct l4lb_service *svc, enum l4lb_drop_reason why)
{
	struct l4lb_stats_sum sum;

	l4lb_stats_sum(svc->stats, &sum);
	return sum.drops[why];
}

/*
 * Defect 1: a UDP header in a page fragment was copied 8 bytes into a
 * 4-byte buffer (stack overflow: a panic on Debian's kernel). Only the IP
 * header linear, to no service and to one: accepted, and NATed right.
 */
static void hooks_udp_header_in_fragment(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_UDP, .saddr = CLIENT + 1,
			  .daddr = 0x0a0a0a0a, .sport = 5000, .dport = 7777,
			  .payload = 300 };
	struct sk_buff *skb;

	KUNIT_EXPECT_EQ(test, send(test, &p, true, 20, NULL), NF_ACCEPT);
	p.daddr = VIP;
	KUNIT_EXPECT_EQ(test, send(test, &p, true, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_TRUE(test, (ip_hdr(skb)->daddr == htonl(BE1) ||
				 ip_hdr(skb)->daddr == htonl(BE2)));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	KUNIT_EXPECT_NOT_NULL(test, flow_of(f, f->udp_svc,
					    CLIENT + 1, 0));
}

/*
 * The packet @orig (@len bytes) through one hook in every layout: split at
 * every offset (the headers in page fragments), rewritten to @addr:@port
 * (the destination at PRE_ROUTING, @in, or the source at POST_ROUTING),
 * both checksums right, the payload as it left.
 */
static void nat_every_split(struct kunit *test, const u8 *orig,
			    unsigned int len, bool in, __be32 addr,
			    __be16 port)
{
	struct hooks_fixture *f = test->priv;
	unsigned int linear;
	struct sk_buff *skb;
	__be16 ports[2];

	for (linear = 0; linear <= len; linear++) {
		skb = kpkt_skb(orig, len, linear, (linear * 7) % 11);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
		KUNIT_EXPECT_EQ(test, kpkt_hook(skb, in, NULL), NF_ACCEPT);
		KUNIT_EXPECT_EQ(test, in ? ip_hdr(skb)->daddr :
				ip_hdr(skb)->saddr, addr);
		KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, ip_hdrlen(skb), ports,
						    sizeof(ports)), 0);
		KUNIT_EXPECT_EQ(test, ports[in], port);
		KUNIT_EXPECT_EQ(test, ip_fast_csum(skb_network_header(skb),
						   ip_hdr(skb)->ihl), 0);
		KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
		/* The payload arrives as it left. */
		KUNIT_EXPECT_EQ(test, skb_copy_bits(skb, len - 64, f->buf, 64),
				0);
		KUNIT_EXPECT_EQ(test, memcmp(f->buf, orig + len - 64, 64), 0);
		kfree_skb(skb);
	}
}

/* DNAT and SNAT on every layout: each way, split at every offset. */
static void hooks_nat_every_split(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = CLIENT + 2,
			  .daddr = VIP, .sport = 4000, .dport = 80,
			  .flags = KPKT_SYN, .payload = 64, .opt_words = 2 };
	struct kpkt r = { .daddr = CLIENT + 2, .dport = 4000, .payload = 64,
			  .opt_words = 2 };
	struct l4lb_service *svc;
	struct l4lb_backend *be;
	struct l4lb_conn *conn;
	unsigned int len;
	u8 *orig;

	orig = kunit_kzalloc(test, KPKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, orig);
	for (p.proto = IPPROTO_TCP; p.proto; p.proto = p.proto ==
	     IPPROTO_TCP ? IPPROTO_UDP : 0) {
		p.dport = p.proto == IPPROTO_TCP ? 80 : 7777;
		svc = p.proto == IPPROTO_TCP ? f->tcp_svc : f->udp_svc;
		/* The first packet makes the flow: its backend is known. */
		len = kpkt_build(orig, &p);
		KUNIT_ASSERT_EQ(test, send(test, &p, true, len, NULL),
				NF_ACCEPT);
		conn = flow_of(f, svc, p.saddr,
			       p.proto == IPPROTO_TCP ? p.sport : 0);
		KUNIT_ASSERT_NOT_NULL(test, conn);
		be = conn->be;
		nat_every_split(test, orig, len, true, be->key.addr.ip,
				be->key.port);
		/* The backend's answer leaves as the VIP's. */
		r.proto = p.proto;
		r.saddr = ntohl(be->key.addr.ip);
		r.sport = ntohs(be->key.port);
		r.flags = KPKT_SYN | KPKT_ACK;
		len = kpkt_build(orig, &r);
		nat_every_split(test, orig, len, false, htonl(VIP),
				htons(p.dport));
	}
}

/* Sends @p with @flags to the mh service; its client's flow is in @state. */
static void adopt_step(struct kunit *test, struct kpkt *p, bool in, u8 flags,
		       u8 state)
{
	struct hooks_fixture *f = test->priv;
	struct l4lb_conn *conn;

	p->flags = flags;
	KUNIT_EXPECT_EQ(test, send(test, p, in, 20, NULL), NF_ACCEPT);
	conn = in ? flow_of(f, f->mh_svc, p->saddr, p->sport) :
		    flow_of(f, f->mh_svc, p->daddr, p->dport);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, conn->state, state);
}

/*
 * ECMP: an mh service adopts what another balancer began. A client's ACK
 * with no flow goes to the backend the hash picks (ADOPTED, assured by the
 * backend's answer); a backend's packet with no flow leaves as the VIP's
 * (ADOPTED_REPLY, assured by the client's); a SYN-ACK makes SYN_RECV; a
 * client's RST passes and makes nothing; a backend that is not the one of
 * the client's flow is passed and changes nothing. rr adopts nothing (the
 * case above).
 */
static void hooks_adopt(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 20,
			  .daddr = VIP, .sport = 5000, .dport = 443,
			  .flags = KPKT_ACK, .payload = 10 };
	struct kpkt b = { .proto = IPPROTO_TCP, .daddr = CLIENT + 20,
			  .sport = 443, .dport = 5000, .flags = KPKT_ACK,
			  .payload = 10 };
	struct l4lb_service *svc = f->mh_svc;
	struct l4lb_stats_sum sum;
	struct l4lb_conn *conn;
	union nf_inet_addr caddr = { .ip = htonl(c.saddr) };
	struct sk_buff *skb;
	__be32 want;

	rcu_read_lock();
	want = l4lb_sched_pick(svc, rcu_dereference(svc->pool),
			       f->ln->hash_seed, &caddr,
			       htons(c.sport), NULL)->key.addr.ip;
	rcu_read_unlock();

	/* The client's side: to the hash's choice, assured by its answer. */
	KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, want);
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	conn = flow_of(f, svc, c.saddr, c.sport);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_ADOPTED);
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 40, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_ADOPTED);
	b.saddr = ntohl(want);
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 40, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_ESTABLISHED);

	/* The backend's side: rewritten, assured by the client's answer. */
	b.saddr = BE2;
	b.daddr = CLIENT + 21;
	b.dport = 5001;
	KUNIT_ASSERT_EQ(test, send(test, &b, false, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->source, htons(443));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	conn = flow_of(f, svc, CLIENT + 21, 5001);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_ADOPTED_REPLY);
	KUNIT_EXPECT_EQ(test, conn->be->key.addr.ip, htonl(BE2));
	c.saddr = CLIENT + 21;
	c.sport = 5001;
	KUNIT_ASSERT_EQ(test, send(test, &c, true, 40, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE2));
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_ESTABLISHED);
	/*
	 * The other backend, to that client (balancers disagree after a
	 * change of the backend set): sent as the VIP's, the flow unchanged.
	 */
	b.saddr = BE1;
	KUNIT_ASSERT_EQ(test, send(test, &b, false, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, conn->be->key.addr.ip, htonl(BE2));
	KUNIT_EXPECT_EQ(test, drops(svc, L4LB_DROP_STRAY), 0ULL);

	/*
	 * A SYN-ACK whose SYN passed another balancer, then its data: the
	 * client's ACK passed another too. A SYN here whose SYN-ACK passed
	 * another: the client's ACK adopts.
	 */
	b.daddr = CLIENT + 22;
	b.dport = 5002;
	adopt_step(test, &b, false, KPKT_SYN | KPKT_ACK, L4LB_CONN_SYN_RECV);
	adopt_step(test, &b, false, KPKT_ACK, L4LB_CONN_ADOPTED_REPLY);
	c.saddr = CLIENT + 25;
	adopt_step(test, &c, true, KPKT_SYN, L4LB_CONN_SYN_SEEN);
	adopt_step(test, &c, true, KPKT_ACK, L4LB_CONN_ADOPTED);

	/* A RST with no flow, either way: passed, nothing made. */
	c.saddr = CLIENT + 23;
	c.flags = KPKT_RST;
	KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_NE(test, ip_hdr(skb)->daddr, htonl(VIP));
	kfree_skb(skb);
	b.daddr = CLIENT + 24;
	b.flags = KPKT_RST;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_ACCEPT);
	KUNIT_EXPECT_NULL(test, flow_of(f, svc, CLIENT + 23,
					c.sport));
	KUNIT_EXPECT_NULL(test, flow_of(f, svc, CLIENT + 24,
					b.dport));

	l4lb_stats_sum(svc->stats, &sum);
	KUNIT_EXPECT_EQ(test, sum.conns, 4ULL);
	KUNIT_EXPECT_EQ(test, sum.adopted, 3ULL);
	KUNIT_EXPECT_EQ(test, sum.drops[L4LB_DROP_NO_FLOW], 0ULL);
}

static struct l4lb_backend *limit_be(struct hooks_fixture *f,
				     struct l4lb_service *svc, u32 addr,
				     u32 max)
{
	union nf_inet_addr a = { .ip = htonl(addr) };
	struct l4lb_be_limits lim = { .max_conns = max };
	struct l4lb_backend *be;

	mutex_lock(&f->ln->lock);
	be = l4lb_backend_find(svc, &a, svc->key.port);
	l4lb_backend_set_limits(f->ln, be, &lim);
	mutex_unlock(&f->ln->lock);
	return be;
}

/*
 * Connection limits: a full backend takes no new flow; with every one
 * full a SYN is dropped as backends_full, while packets of existing flows
 * pass and sh/mh adopt a connection to the backend that holds it; a flow
 * that closes makes room.
 */
static void hooks_conn_limits(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt p = { .proto = IPPROTO_TCP, .saddr = CLIENT + 30,
			  .daddr = VIP, .sport = 6001, .dport = 80,
			  .flags = KPKT_SYN };
	struct l4lb_backend *be1, *be2, *m1, *m2;
	struct l4lb_conn *c1, *c2;
	struct sk_buff *skb;

	be1 = limit_be(f, f->tcp_svc, BE1, 1);
	be2 = limit_be(f, f->tcp_svc, BE2, 1);
	KUNIT_ASSERT_EQ(test, send(test, &p, true, 20, NULL), NF_ACCEPT);
	p.sport = 6002;
	KUNIT_ASSERT_EQ(test, send(test, &p, true, 20, NULL), NF_ACCEPT);
	c1 = flow_of(f, f->tcp_svc, CLIENT + 30, 6001);
	c2 = flow_of(f, f->tcp_svc, CLIENT + 30, 6002);
	KUNIT_ASSERT_NOT_NULL(test, c1);
	KUNIT_ASSERT_NOT_NULL(test, c2);
	KUNIT_EXPECT_PTR_NE(test, c1->be, c2->be);

	/* Both full: a new SYN is dropped, counted as its own reason. */
	p.sport = 6003;
	KUNIT_EXPECT_EQ(test, send(test, &p, true, 20, NULL), NF_DROP);
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_BACKENDS_FULL), 1ULL);
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_NO_BACKEND), 0ULL);
	KUNIT_EXPECT_NULL(test, flow_of(f, f->tcp_svc, CLIENT + 30, 6003));

	/* Existing flows pass: a retransmitted SYN, data. */
	p.sport = 6001;
	KUNIT_EXPECT_EQ(test, send(test, &p, true, 20, NULL), NF_ACCEPT);
	p.flags = KPKT_ACK;
	p.payload = 10;
	KUNIT_EXPECT_EQ(test, send(test, &p, true, 20, NULL), NF_ACCEPT);

	/* A RST closes flow 1: its backend is under its limit again. */
	p.flags = KPKT_RST;
	p.payload = 0;
	KUNIT_EXPECT_EQ(test, send(test, &p, true, 20, NULL), NF_ACCEPT);
	p.flags = KPKT_SYN;
	p.sport = 6003;
	KUNIT_ASSERT_EQ(test, send(test, &p, true, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, c1->be->key.addr.ip);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_BACKENDS_FULL), 1ULL);
	KUNIT_EXPECT_TRUE(test, be1->full || be2->full);

	/*
	 * mh, both backends full (held by flows this test pretends): a SYN
	 * is dropped, a connection's packet without SYN is adopted.
	 */
	m1 = limit_be(f, f->mh_svc, BE1, 1);
	m2 = limit_be(f, f->mh_svc, BE2, 1);
	atomic_inc(&m1->active);
	atomic_inc(&m2->active);
	p.dport = 443;
	p.sport = 7001;
	KUNIT_EXPECT_EQ(test, send(test, &p, true, 20, NULL), NF_DROP);
	KUNIT_EXPECT_EQ(test, drops(f->mh_svc, L4LB_DROP_BACKENDS_FULL), 1ULL);
	p.flags = KPKT_ACK;
	p.payload = 10;
	KUNIT_EXPECT_EQ(test, send(test, &p, true, 20, NULL), NF_ACCEPT);
	c1 = flow_of(f, f->mh_svc, CLIENT + 30, 7001);
	KUNIT_ASSERT_NOT_NULL(test, c1);
	KUNIT_EXPECT_EQ(test, c1->state, (u8)L4LB_CONN_ADOPTED);
	atomic_dec(&m1->active);
	atomic_dec(&m2->active);
}

/*
 * A UDP answer with no session, of an sh service: adopted from a backend
 * that is up; from one that is down (or a fallback on standby), sent as
 * the VIP's but no session made, which the client's next datagram would
 * only move.
 */
static void hooks_udp_gone_answer_makes_no_session(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt b = { .proto = IPPROTO_UDP, .saddr = BE1, .sport = 7777,
			  .daddr = CLIENT + 40, .dport = 5555 };
	struct l4lb_backend *be;
	union nf_inet_addr a = { .ip = htonl(BE1) };
	struct sk_buff *skb;

	mutex_lock(&f->ln->lock);
	be = l4lb_backend_find(f->udp_svc, &a, htons(7777));
	KUNIT_ASSERT_NOT_NULL(test, be);
	KUNIT_ASSERT_EQ(test, l4lb_backend_set(f->ln, be, 1, true), 0);
	mutex_unlock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, send(test, &b, false, 28, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	KUNIT_EXPECT_NULL(test, flow_of(f, f->udp_svc, CLIENT + 40, 0));

	mutex_lock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_backend_set(f->ln, be, 1, false), 0);
	mutex_unlock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, send(test, &b, false, 28, NULL), NF_ACCEPT);
	KUNIT_EXPECT_NOT_NULL(test, flow_of(f, f->udp_svc, CLIENT + 40, 0));
}

/*
 * Defect 4's states: SYN_SEEN, the backend's SYN-ACK makes SYN_RECV, the
 * client's ACK ESTABLISHED; a UDP session is assured by a reply.
 */
static void hooks_states(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 3,
			  .daddr = VIP, .sport = 4001, .dport = 80,
			  .flags = KPKT_SYN };
	struct kpkt b = { .proto = IPPROTO_TCP, .daddr = CLIENT + 3,
			  .sport = 80, .dport = 4001,
			  .flags = KPKT_SYN | KPKT_ACK };
	struct l4lb_conn *conn;
	struct sk_buff *skb;

	KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	conn = flow_of(f, f->tcp_svc, CLIENT + 3, 4001);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_SYN_SEEN);
	b.saddr = ntohl(conn->be->key.addr.ip);
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_SYN_RECV);
	c.flags = KPKT_ACK;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 40, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_ESTABLISHED);
	c.flags = KPKT_FIN | KPKT_ACK;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 40, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_FIN_WAIT);
	b.flags = KPKT_FIN | KPKT_ACK;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_CLOSING);

	c.proto = IPPROTO_UDP;
	c.dport = 7777;
	KUNIT_ASSERT_EQ(test, send(test, &c, true, 28, NULL), NF_ACCEPT);
	conn = flow_of(f, f->udp_svc, CLIENT + 3, 0);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_UDP_UNREPLIED);
	b.proto = IPPROTO_UDP;
	b.saddr = ntohl(conn->be->key.addr.ip);
	b.sport = 7777;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 28, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_UDP_REPLIED);
	/* A packet soon after the answer: refreshed, not yet assured. */
	l4lb_clock_offset += L4LB_UDP_ASSURE_DELAY - 1;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 28, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_UDP_REPLIED);
	KUNIT_EXPECT_EQ(test, conn->deadline,
			l4lb_now() + f->udp_svc->udp_timeout);
	/* Assured by a packet L4LB_UDP_ASSURE_DELAY after the answer. */
	l4lb_clock_offset += 1;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 28, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_UDP);
}

/*
 * A TCP handshake through the hooks: @c's SYN (to @svc), its backend's
 * SYN-ACK (@b gets the backend's address), @c's ACK. Returns the flow,
 * established. @c and @b are left with the ACK and SYN-ACK flags.
 */
static struct l4lb_conn *establish(struct kunit *test, struct kpkt *c,
				   struct kpkt *b, struct l4lb_service *svc)
{
	struct hooks_fixture *f = test->priv;
	struct l4lb_conn *conn;

	c->flags = KPKT_SYN;
	KUNIT_EXPECT_EQ(test, send(test, c, true, 20, NULL), NF_ACCEPT);
	conn = flow_of(f, svc, c->saddr, c->sport);
	if (!conn)
		return NULL;
	b->saddr = ntohl(conn->be->key.addr.ip);
	b->flags = KPKT_SYN | KPKT_ACK;
	KUNIT_EXPECT_EQ(test, send(test, b, false, 20, NULL), NF_ACCEPT);
	c->flags = KPKT_ACK;
	KUNIT_EXPECT_EQ(test, send(test, c, true, 20, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_ESTABLISHED);
	return conn;
}

/*
 * Issue 27, item 1: a half-closed connection keeps its answer. The client
 * sends its request and FIN; the backend answers 15 s later (past the
 * closing timeout, 10 s) and at length: every segment of the answer is
 * rewritten, the flow waits in FIN_WAIT on fin-wait's timeout, refreshed
 * by the answer. The backend's FIN closes it; from then on its deadline
 * stays (the client's last ACKs do not move it) and it ends on time. The
 * same with the backend's FIN first (CLOSE_WAIT: the client goes on).
 */
static void hooks_half_close(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 30,
			  .daddr = VIP, .dport = 80 };
	struct kpkt b = { .proto = IPPROTO_TCP, .daddr = CLIENT + 30,
			  .sport = 80 };
	struct l4lb_conn *conn;
	struct sk_buff *skb;
	unsigned int i, side;
	u32 deadline;

	for (side = 0; side < 2; side++) {
		c.sport = 4030 + side;
		b.dport = c.sport;
		c.payload = 0;
		conn = establish(test, &c, &b, f->tcp_svc);
		KUNIT_ASSERT_NOT_NULL(test, conn);
		/* The request. */
		c.payload = 100;
		KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);

		/* One side closes its direction; the other talks on. */
		if (!side) {
			c.flags = KPKT_FIN | KPKT_ACK;
			KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL),
					NF_ACCEPT);
			KUNIT_EXPECT_EQ(test, conn->state,
					(u8)L4LB_CONN_FIN_WAIT);
		} else {
			b.flags = KPKT_FIN | KPKT_ACK;
			KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL),
					NF_ACCEPT);
			KUNIT_EXPECT_EQ(test, conn->state,
					(u8)L4LB_CONN_CLOSE_WAIT);
		}
		KUNIT_EXPECT_EQ(test, atomic_read(&conn->be->active), 1);
		for (i = 0; i < 20; i++) {
			l4lb_clock_offset += 15 * HZ;
			if (!side) {
				b.flags = KPKT_ACK;
				b.payload = 1000;
				KUNIT_ASSERT_EQ(test, send(test, &b, false,
							   i % 2 ? 20 : 60,
							   &skb), NF_ACCEPT);
				KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr,
						htonl(VIP));
			} else {
				c.flags = KPKT_ACK;
				c.payload = 1000;
				KUNIT_ASSERT_EQ(test, send(test, &c, true,
							   i % 2 ? 20 : 60,
							   &skb), NF_ACCEPT);
				KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr,
						conn->be->key.addr.ip);
			}
			KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
			kfree_skb(skb);
			KUNIT_EXPECT_EQ(test, conn->state, (u8)(side ?
					L4LB_CONN_CLOSE_WAIT :
					L4LB_CONN_FIN_WAIT));
		}
		KUNIT_EXPECT_EQ(test, conn->deadline,
				l4lb_now() + f->ln->timeout[L4LB_TIMEOUT_FIN_WAIT]);
		/* A retransmission of the first FIN closes nothing. */
		if (!side) {
			c.flags = KPKT_FIN | KPKT_ACK;
			KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL),
					NF_ACCEPT);
			KUNIT_EXPECT_EQ(test, conn->state,
					(u8)L4LB_CONN_FIN_WAIT);
		}

		/* The other FIN: closing, for closing's timeout, no more. */
		if (!side) {
			b.flags = KPKT_FIN | KPKT_ACK;
			KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL),
					NF_ACCEPT);
		} else {
			c.flags = KPKT_FIN | KPKT_ACK;
			KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL),
					NF_ACCEPT);
		}
		KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_CLOSING);
		KUNIT_EXPECT_EQ(test, atomic_read(&conn->be->active), 0);
		deadline = conn->deadline;
		KUNIT_EXPECT_EQ(test, deadline, l4lb_now() + 10 * HZ);
		l4lb_clock_offset += 5 * HZ;
		c.flags = KPKT_ACK;
		c.payload = 0;
		KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
		c.flags = KPKT_FIN | KPKT_ACK;
		KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
		KUNIT_EXPECT_EQ(test, conn->deadline, deadline);
		l4lb_clock_offset += 5 * HZ;
		KUNIT_EXPECT_FALSE(test, l4lb_conn_alive(conn, l4lb_now()));
	}
}

/*
 * A RST l4lb saw but the ends did not take (forged, or stale and out of
 * window: l4lb checks no sequence numbers): the connection carries data
 * on, so its closing flow lives on, minute after minute; once only bare
 * ACKs come, it ends closing's timeout after the last data.
 */
static void hooks_rst_then_data(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 35,
			  .daddr = VIP, .sport = 4035, .dport = 80 };
	struct kpkt b = { .proto = IPPROTO_TCP, .daddr = CLIENT + 35,
			  .sport = 80, .dport = 4035 };
	struct l4lb_conn *conn;
	unsigned int i;

	conn = establish(test, &c, &b, f->tcp_svc);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	c.flags = KPKT_RST;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_CLOSING);
	b.flags = KPKT_ACK;
	c.flags = KPKT_ACK;
	for (i = 0; i < 12; i++) {
		l4lb_clock_offset += 5 * HZ;
		b.payload = 500;
		KUNIT_ASSERT_EQ(test, send(test, &b, false, 20, NULL),
				NF_ACCEPT);
		KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, NULL),
				NF_ACCEPT);
	}
	KUNIT_EXPECT_TRUE(test, l4lb_conn_alive(conn, l4lb_now()));
	for (i = 0; i < 3; i++) {
		l4lb_clock_offset += 3 * HZ;
		send(test, &c, true, 20, NULL);
	}
	l4lb_clock_offset += HZ;
	KUNIT_EXPECT_FALSE(test, l4lb_conn_alive(conn, l4lb_now()));
}

/*
 * Issue 27, item 2: a client cannot pin a full table. With room for 64
 * flows: (a) 64 SYNs from one client, a RST on each, then bare ACKs on
 * each again and again; (b) forged ACKs to an mh service, adopted, each
 * answered by its backend's RST, then ACKed again; (c) one datagram from
 * each of 64 forged sources to a UDP service whose backend answers each.
 * After each, with the flood's packets still coming, a new client's
 * connection and session are made (none refused as table_full), and the
 * flood's flows are what a full table evicts: closing, or replied.
 */
static void flood_then_client(struct kunit *test, unsigned int round)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 200 + round,
			  .daddr = VIP, .sport = 6000, .dport = 80,
			  .flags = KPKT_SYN };
	struct kpkt u = { .proto = IPPROTO_UDP, .saddr = CLIENT + 200 + round,
			  .daddr = VIP, .sport = 6000, .dport = 7777,
			  .payload = 20 };

	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 64);
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	KUNIT_EXPECT_NOT_NULL(test, flow_of(f, f->tcp_svc, c.saddr, 6000));
	KUNIT_EXPECT_EQ(test, send(test, &u, true, 20, NULL), NF_ACCEPT);
	KUNIT_EXPECT_NOT_NULL(test, flow_of(f, f->udp_svc, u.saddr, 0));
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_TABLE_FULL), 0ULL);
	KUNIT_EXPECT_EQ(test, drops(f->udp_svc, L4LB_DROP_TABLE_FULL), 0ULL);
	KUNIT_EXPECT_LE(test, atomic_read(&f->ln->nr_conns), 64);
	conn_fixture_flush(f->ln);
}

static void hooks_flood_cannot_pin(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 40,
			  .daddr = VIP, .dport = 80 };
	struct kpkt b = { .proto = IPPROTO_TCP, .daddr = CLIENT + 40,
			  .flags = KPKT_RST };
	struct l4lb_conn *conn;
	unsigned int i, n;

	conn_fixture_settle(test, f->ln);
	f->ln->max_conns = 64;

	/* (a) SYN, RST, then ACK after ACK from one client. */
	for (i = 0; i < 64; i++) {
		c.sport = 1024 + i;
		c.flags = KPKT_SYN;
		KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
		c.flags = KPKT_RST;
		KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	}
	/* 8 s on: closing still (10 s), kept by nothing but the ACKs. */
	for (n = 0; n < 2; n++) {
		l4lb_clock_offset += 4 * HZ;
		for (i = 0; i < 64; i++) {
			c.sport = 1024 + i;
			c.flags = KPKT_ACK;
			send(test, &c, true, 20, NULL);
		}
	}
	conn = flow_of(f, f->tcp_svc, c.saddr, 1024);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_CLOSING);
	flood_then_client(test, 0);

	/* (b) forged ACKs to mh, adopted, answered by RST, ACKed again. */
	c.dport = 443;
	b.sport = 443;
	for (n = 0; n < 2; n++) {
		for (i = 0; i < 64; i++) {
			c.saddr = 0xc6120000 + i;	/* 198.18.0.0/15 */
			c.sport = 2000;
			c.flags = KPKT_ACK;
			KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL),
					NF_ACCEPT);
			conn = flow_of(f, f->mh_svc, c.saddr, 2000);
			KUNIT_ASSERT_NOT_NULL(test, conn);
			if (n)
				continue;
			b.saddr = ntohl(conn->be->key.addr.ip);
			b.daddr = c.saddr;
			b.dport = 2000;
			KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL),
					NF_ACCEPT);
			KUNIT_EXPECT_EQ(test, conn->state,
					(u8)L4LB_CONN_CLOSING);
		}
		l4lb_clock_offset += 4 * HZ;
	}
	flood_then_client(test, 1);

	/* (c) a datagram from each forged source, each answered. */
	c.proto = IPPROTO_UDP;
	c.dport = 7777;
	c.payload = 30;
	b.proto = IPPROTO_UDP;
	b.sport = 7777;
	for (i = 0; i < 64; i++) {
		c.saddr = 0xc6130000 + i;
		c.sport = 53;
		KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
		conn = flow_of(f, f->udp_svc, c.saddr, 0);
		KUNIT_ASSERT_NOT_NULL(test, conn);
		b.saddr = ntohl(conn->be->key.addr.ip);
		b.daddr = c.saddr;
		b.dport = 53;
		KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_ACCEPT);
		KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_UDP_REPLIED);
	}
	l4lb_clock_offset += HZ;
	flood_then_client(test, 2);
}

/*
 * Issue 27, item 6: a deleted backend's late packets (a retransmission of
 * its flow, flushed here) never leave with its own address: dropped and
 * counted as stray, for as long as a flow of it could live idle after
 * the last one went; a packet over loopback, or from another port of the
 * address, is none of l4lb's. Then the address is forgotten.
 */
static void hooks_departed_backend(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 60,
			  .daddr = VIP, .sport = 4060, .dport = 8080,
			  .flags = KPKT_SYN };
	struct kpkt b = { .proto = IPPROTO_TCP, .daddr = CLIENT + 60,
			  .sport = 8080, .dport = 4060,
			  .flags = KPKT_ACK, .payload = 100 };
	struct l4lb_svc_key key;
	struct l4lb_service *svc;
	struct l4lb_backend *be;
	struct l4lb_be_key bkey;
	struct sk_buff *skb;
	unsigned int len;

	mutex_lock(&f->ln->lock);
	svc = add_svc(test, f->ln, &key, IPPROTO_TCP, 8080, L4LB_SCHED_RR, 0);
	mutex_unlock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	be = flow_of(f, svc, c.saddr, c.sport)->be;
	bkey = be->key;
	b.saddr = ntohl(be->key.addr.ip);
	mutex_lock(&f->ln->lock);
	l4lb_backend_remove(f->ln, be);
	mutex_unlock(&f->ln->lock);
	conn_fixture_flush(f->ln);
	/* The flow and the backend are freed: what is left is the key. */
	rcu_barrier();
	rcu_barrier();

	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_DROP);
	KUNIT_EXPECT_EQ(test, drops(svc, L4LB_DROP_STRAY), 1ULL);
	len = kpkt_build(f->buf, &b);
	skb = kpkt_skb(f->buf, len, len, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt_hook(skb, false, init_net.loopback_dev),
			NF_ACCEPT);
	kfree_skb(skb);
	b.sport = 8081;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_ACCEPT);
	b.sport = 8080;

	/*
	 * The established timeout (15 minutes, the longest) after the
	 * backend went, a minute either side: forgotten.
	 */
	l4lb_clock_offset += f->ln->timeout[L4LB_TIMEOUT_ESTABLISHED] - 60 * HZ;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_DROP);
	l4lb_clock_offset += 120 * HZ;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, bkey.addr.ip);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, drops(svc, L4LB_DROP_STRAY), 2ULL);
	/* The sweep's pass forgets it: back in time, it is gone still. */
	l4lb_departed_reap(f->ln);
	l4lb_clock_offset = 0;
	rcu_read_lock();
	KUNIT_EXPECT_NULL(test, l4lb_departed_lookup(f->ln, &bkey));
	rcu_read_unlock();
	mutex_lock(&f->ln->lock);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln, &key), 0);
	mutex_unlock(&f->ln->lock);
}

/*
 * Issue 27, item 5: a client's packet that came with a route (looped
 * back, IPsec transport mode: the VIP's local delivery) loses it with
 * its new destination, as nf_nat drops it, so the stack routes it to
 * the backend; else it would be delivered here. The route's reference
 * is given back, not leaked.
 */
static void hooks_dnat_drops_route(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 50,
			  .daddr = VIP, .sport = 4050, .dport = 80,
			  .flags = KPKT_SYN };
	struct metadata_dst *md;
	unsigned int len;
	struct sk_buff *skb;

	md = metadata_dst_alloc(0, METADATA_IP_TUNNEL, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, md);
	len = kpkt_build(f->buf, &c);
	skb = kpkt_skb(f->buf, len, 20, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
	dst_hold(&md->dst);
	skb_dst_set(skb, &md->dst);
	KUNIT_EXPECT_EQ(test, kpkt_hook(skb, true, NULL), NF_ACCEPT);
	KUNIT_EXPECT_NE(test, ip_hdr(skb)->daddr, htonl(VIP));
	KUNIT_EXPECT_NULL(test, skb_dst(skb));
	kfree_skb(skb);
	/* Only this test's own reference is left. */
	KUNIT_EXPECT_EQ(test, atomic_read(&md->dst.__refcnt), 1);
	dst_release(&md->dst);
}

/*
 * Defect 7: a backend's packet of a flow that is gone (flushed here) is
 * dropped and counted, never sent with the backend's address; unless it
 * stays on this machine. A stateless service's reply is rewritten.
 */
static void hooks_stray_backend_packet(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt b = { .proto = IPPROTO_TCP, .saddr = BE1,
			  .daddr = CLIENT + 4, .sport = 80, .dport = 4002,
			  .flags = KPKT_FIN | KPKT_ACK };
	unsigned int len;
	struct sk_buff *skb;

	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_DROP);
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_STRAY), 1ULL);
	/* The same packet to a local socket (over lo): not l4lb's. */
	len = kpkt_build(f->buf, &b);
	skb = kpkt_skb(f->buf, len, len, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt_hook(skb, false, init_net.loopback_dev),
			NF_ACCEPT);
	kfree_skb(skb);
	/* Not a backend's port: none of l4lb's business either. */
	b.sport = 81;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_ACCEPT);

	b.proto = IPPROTO_UDP;
	b.sport = 53;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 28, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, udp_hdr(skb)->source, htons(53));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, drops(f->dns_svc, L4LB_DROP_STRAY), 0ULL);
}

/*
 * Defect 13: a client's packet is looked up by what it holds, before its
 * service. What is not to a VIP, or to a VIP's other port, must pass
 * untouched; a flow whose service was deleted must not be used once a
 * service of the same address and port is added again: its packet is the
 * new service's (an ACK with no flow dropped, a SYN scheduled there).
 */
static void hooks_one_lookup(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 9,
			  .daddr = VIP, .sport = 4009, .dport = 80,
			  .flags = KPKT_SYN };
	struct l4lb_conn *old;
	struct sk_buff *skb;

	c.daddr = VIP + 100;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(VIP + 100));
	kfree_skb(skb);
	c.daddr = VIP;
	c.dport = 81;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 40, &skb), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->dest, htons(81));
	kfree_skb(skb);
	KUNIT_EXPECT_NULL(test, flow_of(f, f->tcp_svc,
					CLIENT + 9, 4009));

	c.dport = 80;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	old = flow_of(f, f->tcp_svc, CLIENT + 9, 4009);
	KUNIT_ASSERT_NOT_NULL(test, old);
	mutex_lock(&f->ln->lock);
	expect_counters_add_up(test, f->tcp_svc);
	KUNIT_ASSERT_EQ(test, l4lb_service_remove(f->ln, &f->tcp), 0);
	f->tcp_svc = add_svc(test, f->ln, &f->tcp, IPPROTO_TCP, 80,
			     L4LB_SCHED_RR, 0);
	mutex_unlock(&f->ln->lock);
	/* The old flow's ACK: the new service has no flow for it. */
	c.flags = KPKT_ACK;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_DROP);
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_NO_FLOW), 1ULL);
	KUNIT_EXPECT_NULL(test, flow_of(f, f->tcp_svc,
					CLIENT + 9, 4009));
	/* Its SYN: a new flow of the new service. */
	c.flags = KPKT_SYN;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, &skb), NF_ACCEPT);
	KUNIT_EXPECT_NE(test, ip_hdr(skb)->daddr, htonl(VIP));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);
	old = flow_of(f, f->tcp_svc, CLIENT + 9, 4009);
	KUNIT_ASSERT_NOT_NULL(test, old);
	KUNIT_EXPECT_PTR_EQ(test, old->be->svc, f->tcp_svc);
}

/* Fragment @off..@off+@len of the datagram in @dgram (IP header first). */
static struct sk_buff *fragment(const u8 *dgram, unsigned int off,
				unsigned int len, bool more, u8 *buf)
{
	struct iphdr *iph = (struct iphdr *)buf;
	struct sk_buff *skb;

	memcpy(buf, dgram, 20);
	memcpy(buf + 20, dgram + 20 + off, len);
	iph->frag_off = htons(off / 8 | (more ? IP_MF : 0));
	kpkt_fix_ip(buf, 20 + len);
	skb = kpkt_skb(buf, 20 + len, 20, 0);
	if (skb && !kpkt_ip_rcv(skb)) {
		kfree_skb(skb);
		skb = NULL;
	}
	return skb;
}

/*
 * Defect 14: with no hook of nf_defrag_ipv4, l4lb reassembles fragments
 * itself. A client's datagram to a VIP in two fragments, the second
 * first: kept, then reassembled, sent to a backend whole with a right
 * checksum; a backend's reply in two fragments: reassembled and sent as
 * the VIP's; fragments of neither pass untouched.
 */
static void hooks_fragments(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_UDP, .saddr = CLIENT + 14,
			  .daddr = VIP, .sport = 4014, .dport = 7777,
			  .payload = 200 };
	u8 *dgram = kunit_kzalloc(test, KPKT_MAX, GFP_KERNEL);
	unsigned int len;
	struct sk_buff *skb;
	__be32 be;

	KUNIT_ASSERT_NOT_NULL(test, dgram);
	len = kpkt_build(dgram, &c);
	skb = fragment(dgram, 104, len - 124, false, f->buf);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt_hook(skb, true, NULL), NF_STOLEN);
	skb = fragment(dgram, 0, 104, true, f->buf);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, kpkt_hook(skb, true, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, skb->len, len);
	KUNIT_EXPECT_FALSE(test, ip_is_fragment(ip_hdr(skb)));
	be = ip_hdr(skb)->daddr;
	KUNIT_EXPECT_TRUE(test, be == htonl(BE1) || be == htonl(BE2));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);

	/* The reply, from that backend, in fragments too. */
	c.saddr = ntohl(be);
	c.sport = 7777;
	c.daddr = CLIENT + 14;
	c.dport = 4014;
	len = kpkt_build(dgram, &c);
	skb = fragment(dgram, 0, 104, true, f->buf);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt_hook(skb, true, NULL), NF_STOLEN);
	skb = fragment(dgram, 104, len - 124, false, f->buf);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_EQ(test, kpkt_hook(skb, true, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, skb->len, len);
	KUNIT_ASSERT_EQ(test, kpkt_hook(skb, false, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	kfree_skb(skb);

	/* Neither to a VIP nor from a backend: not l4lb's to reassemble. */
	c.saddr = CLIENT + 15;
	c.daddr = VIP + 100;
	len = kpkt_build(dgram, &c);
	skb = fragment(dgram, 0, 104, true, f->buf);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt_hook(skb, true, NULL), NF_ACCEPT);
	KUNIT_EXPECT_TRUE(test, ip_is_fragment(ip_hdr(skb)));
	kfree_skb(skb);
}

/* Under the lock: a backend's health, as a checker sets it. */
static void set_down(struct hooks_fixture *f, struct l4lb_backend *be,
		     bool down)
{
	mutex_lock(&f->ln->lock);
	WARN_ON(l4lb_backend_set(f->ln, be, be->weight, down));
	mutex_unlock(&f->ln->lock);
}

static void set_weight(struct hooks_fixture *f, struct l4lb_backend *be,
		       u16 weight)
{
	mutex_lock(&f->ln->lock);
	WARN_ON(l4lb_backend_set(f->ln, be, weight, be->down));
	mutex_unlock(&f->ln->lock);
}

/*
 * Sends the client's packet @c (headers linear); its flow in @svc must be
 * there, and another backend's than @old.
 */
static struct l4lb_conn *expect_moved(struct kunit *test, const struct kpkt *c,
				      struct l4lb_service *svc,
				      const struct l4lb_backend *old)
{
	bool tcp = c->proto == IPPROTO_TCP;
	struct l4lb_conn *conn;

	KUNIT_EXPECT_EQ(test, send(test, c, true, tcp ? 40 : 28, NULL),
			NF_ACCEPT);
	conn = flow_of(test->priv, svc, c->saddr, tcp ? c->sport : 0);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_PTR_NE(test, conn->be, old);
	return conn;
}

/*
 * When servers go away (issue 16): a UDP session whose backend is down
 * (whatever down-flows says) or deleted moves at its next datagram; a SYN
 * on the ports of a flow whose backend is drained or down is scheduled
 * afresh, a retransmitted SYN to a live backend keeps it; with down-flows
 * reset a TCP flow of a down backend ends at its client's next packet (a
 * RST is sent: dropped and counted), the backend's packets are dropped
 * meanwhile and the sweep leaves it for that, not the UDP sessions.
 */
static void hooks_backend_gone(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_UDP, .saddr = CLIENT + 20,
			  .daddr = VIP, .sport = 5000, .dport = 7777 };
	struct kpkt b = { .proto = IPPROTO_TCP, .daddr = CLIENT + 21,
			  .sport = 80, .dport = 5001, .flags = KPKT_ACK };
	struct l4lb_backend *old, *be;
	struct l4lb_service *svc;
	struct l4lb_svc_key key;
	struct l4lb_conn *conn;

	/* A UDP session of a backend that is down moves, down-flows keep. */
	KUNIT_ASSERT_EQ(test, send(test, &c, true, 28, NULL), NF_ACCEPT);
	conn = flow_of(f, f->udp_svc, CLIENT + 20, 0);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	old = conn->be;
	set_down(f, old, true);
	expect_moved(test, &c, f->udp_svc, old);
	set_down(f, old, false);

	/* A UDP session of a deleted backend moves (a service of its own). */
	mutex_lock(&f->ln->lock);
	svc = add_svc(test, f->ln, &key, IPPROTO_UDP, 9999, L4LB_SCHED_RR, 0);
	mutex_unlock(&f->ln->lock);
	c.dport = 9999;
	KUNIT_ASSERT_EQ(test, send(test, &c, true, 28, NULL), NF_ACCEPT);
	conn = flow_of(f, svc, CLIENT + 20, 0);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	old = conn->be;
	mutex_lock(&f->ln->lock);
	l4lb_backend_remove(f->ln, old);
	mutex_unlock(&f->ln->lock);
	expect_moved(test, &c, svc, old);
	KUNIT_EXPECT_EQ(test, drops(svc, L4LB_DROP_BACKEND_DOWN), 0ULL);
	conn_fixture_flush(f->ln);
	mutex_lock(&f->ln->lock);
	l4lb_service_remove(f->ln, &key);
	mutex_unlock(&f->ln->lock);

	/* A retransmitted SYN keeps a live backend; once drained, not. */
	c.proto = IPPROTO_TCP;
	c.dport = 80;
	c.flags = KPKT_SYN;
	KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	conn = flow_of(f, f->tcp_svc, CLIENT + 20, 5000);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	old = conn->be;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	KUNIT_EXPECT_PTR_EQ(test,
			    flow_of(f, f->tcp_svc, CLIENT + 20,
				    5000), conn);
	set_weight(f, old, 0);
	conn = expect_moved(test, &c, f->tcp_svc, old);
	set_weight(f, old, 1);
	/* And one whose backend is down, down-flows keep: afresh too. */
	old = conn->be;
	set_down(f, old, true);
	expect_moved(test, &c, f->tcp_svc, old);
	set_down(f, old, false);

	/* down-flows reset: an established flow whose backend goes down. */
	c.flags = KPKT_SYN;
	c.sport = 5001;
	c.saddr = CLIENT + 21;
	KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	conn = flow_of(f, f->tcp_svc, CLIENT + 21, 5001);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	be = conn->be;
	b.saddr = ntohl(be->key.addr.ip);
	b.flags = KPKT_SYN | KPKT_ACK;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_ACCEPT);
	c.flags = KPKT_ACK;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_ESTABLISHED);
	/* A UDP session of the same backend, for the sweep. */
	c.proto = IPPROTO_UDP;
	c.dport = 7777;
	do {
		c.saddr++;
		KUNIT_ASSERT_EQ(test, send(test, &c, true, 28, NULL),
				NF_ACCEPT);
		conn = flow_of(f, f->udp_svc, c.saddr, 0);
		KUNIT_ASSERT_NOT_NULL(test, conn);
	} while (conn->be->key.addr.ip != be->key.addr.ip &&
		 c.saddr < CLIENT + 100);
	KUNIT_ASSERT_TRUE(test, conn->be->key.addr.ip == be->key.addr.ip);
	/* The server goes down: its TCP and its UDP backend. */
	old = conn->be;
	WRITE_ONCE(f->ln->down_flows, L4LB_DOWN_FLOWS_RESET);
	set_down(f, be, true);
	set_down(f, old, true);
	b.flags = KPKT_ACK;
	KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_DROP);
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_BACKEND_DOWN), 1ULL);
	KUNIT_EXPECT_GE(test, conn_fixture_sweep(f->ln), 1U);
	KUNIT_EXPECT_NULL(test, flow_of(f, f->udp_svc, c.saddr, 0));
	KUNIT_ASSERT_NOT_NULL(test, flow_of(f, f->tcp_svc,
					    CLIENT + 21, 5001));
	c.proto = IPPROTO_TCP;
	c.saddr = CLIENT + 21;
	c.dport = 80;
	c.payload = 100;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_DROP);
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_BACKEND_DOWN), 2ULL);
	KUNIT_EXPECT_NULL(test, flow_of(f, f->tcp_svc,
					CLIENT + 21, 5001));
	/* Its retransmission: no flow (rr), dropped as before. */
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_DROP);
	WRITE_ONCE(f->ln->down_flows, L4LB_DOWN_FLOWS_KEEP);
	set_down(f, be, false);
	set_down(f, old, false);
}

/*
 * Defect 4: spoofed SYNs (answered by the backend: SYN_RECV) and spoofed
 * datagrams fill a small table; clients that complete their handshake
 * (or get a reply) keep their flows, and new ones still get in.
 */
static void hooks_flood_evicts_unassured(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .daddr = VIP, .dport = 80 };
	struct kpkt b = { .proto = IPPROTO_TCP, .sport = 80,
			  .flags = KPKT_SYN | KPKT_ACK };
	struct l4lb_conn *conn;
	unsigned int i;

	conn_fixture_settle(test, f->ln);
	f->ln->max_conns = 64;
	for (i = 0; i < 200; i++) {
		c.saddr = 0xc6120000 + i;	/* 198.18.0.0/15, spoofed */
		c.sport = 1024 + i;
		c.flags = KPKT_SYN;
		KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
		conn = flow_of(f, f->tcp_svc, c.saddr, c.sport);
		KUNIT_ASSERT_NOT_NULL_MSG(test, conn,
					  "flows %d, drops full %llu clash %llu memory %llu",
					  atomic_read(&f->ln->nr_conns),
					  drops(f->tcp_svc, L4LB_DROP_TABLE_FULL),
					  drops(f->tcp_svc, L4LB_DROP_CLASH),
					  drops(f->tcp_svc, L4LB_DROP_NO_MEMORY));
		if (i % 2)
			continue;
		/* A live backend answers the spoofed source: SYN_RECV. */
		b.saddr = ntohl(conn->be->key.addr.ip);
		b.daddr = c.saddr;
		b.dport = c.sport;
		KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_ACCEPT);
	}
	KUNIT_EXPECT_LE(test, atomic_read(&f->ln->nr_conns), 64);
	/* Ten real clients: SYN, SYN-ACK, ACK, each through the flood. */
	for (i = 0; i < 10; i++) {
		c.saddr = CLIENT + 100 + i;
		c.sport = 2000;
		c.flags = KPKT_SYN;
		KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
		conn = flow_of(f, f->tcp_svc, c.saddr, 2000);
		KUNIT_ASSERT_NOT_NULL(test, conn);
		b.saddr = ntohl(conn->be->key.addr.ip);
		b.daddr = c.saddr;
		b.dport = 2000;
		KUNIT_EXPECT_EQ(test, send(test, &b, false, 20, NULL), NF_ACCEPT);
		c.flags = KPKT_ACK;
		KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
		KUNIT_EXPECT_EQ(test, conn->state, (u8)L4LB_CONN_ESTABLISHED);
	}
	/* More flood, TCP and UDP: the clients' flows stay. */
	for (i = 0; i < 400; i++) {
		c.saddr = 0xc6130000 + i;
		c.sport = 3000;
		c.flags = KPKT_SYN;
		c.proto = i % 2 ? IPPROTO_UDP : IPPROTO_TCP;
		c.dport = i % 2 ? 7777 : 80;
		KUNIT_EXPECT_EQ(test, send(test, &c, true, 28, NULL), NF_ACCEPT);
	}
	for (i = 0; i < 10; i++)
		KUNIT_EXPECT_NOT_NULL(test, flow_of(f, f->tcp_svc,
						    CLIENT + 100 + i, 2000));
	KUNIT_EXPECT_LE(test, atomic_read(&f->ln->nr_conns), 64);
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_TABLE_FULL), 0ULL);
	KUNIT_EXPECT_EQ(test, drops(f->udp_svc, L4LB_DROP_TABLE_FULL), 0ULL);
}

/*
 * Defect 4, found by the guest's flood test: eviction by nearest deadline
 * picked a fresh TCP handshake (30 s timeout) over older UDP flood
 * sessions (60 s), cutting a real client's connection. The flow idle
 * longest goes, whatever its state's timeout.
 */
static void hooks_flood_spares_fresh_handshake(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt u = { .proto = IPPROTO_UDP, .daddr = VIP, .dport = 7777,
			  .sport = 3000 };
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 200,
			  .daddr = VIP, .sport = 2001, .dport = 80,
			  .flags = KPKT_SYN };
	unsigned int i;

	conn_fixture_settle(test, f->ln);
	f->ln->max_conns = 20;
	for (i = 0; i < 19; i++) {
		u.saddr = 0xc6330000 + i;	/* spoofed, never answered */
		KUNIT_EXPECT_EQ(test, send(test, &u, true, 28, NULL), NF_ACCEPT);
	}
	l4lb_clock_offset += HZ;
	KUNIT_EXPECT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	for (i = 0; i < 10; i++) {
		l4lb_clock_offset++;
		u.saddr = 0xc6340000 + i;
		KUNIT_EXPECT_EQ(test, send(test, &u, true, 28, NULL), NF_ACCEPT);
	}
	KUNIT_EXPECT_NOT_NULL(test, flow_of(f, f->tcp_svc,
					    CLIENT + 200, 2001));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 20);
}

/*
 * Defect 9: an ICMP error quoting fewer than the 8 transport bytes the
 * rewrite needs is not l4lb's (accepted untouched), never a drop counted
 * as no memory.
 */
static void hooks_icmp_short_quote(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt q = { .proto = IPPROTO_TCP, .saddr = VIP,
			  .daddr = CLIENT + 5, .sport = 80, .dport = 4003,
			  .flags = KPKT_SYN | KPKT_ACK };
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = CLIENT + 5,
			  .daddr = VIP, .sport = 4003, .dport = 80,
			  .flags = KPKT_SYN };
	u8 quote[60];
	unsigned int qlen, len, cut;
	struct sk_buff *skb;

	KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, NULL), NF_ACCEPT);
	qlen = kpkt_build(quote, &q);
	for (cut = 20; cut <= 28; cut++) {
		len = kpkt_build_icmp(f->buf, 0x0a0b0b0b, VIP, ICMP_DEST_UNREACH,
				      ICMP_FRAG_NEEDED, quote, min(cut, qlen));
		skb = kpkt_skb(f->buf, len, 20, 0);
		KUNIT_ASSERT_NOT_NULL(test, skb);
		KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
		KUNIT_EXPECT_EQ(test, kpkt_hook(skb, true, NULL), NF_ACCEPT);
		/* Whole (8 bytes quoted): sent on to the backend. */
		if (cut == 28)
			KUNIT_EXPECT_NE(test, ip_hdr(skb)->daddr, htonl(VIP));
		else
			KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(VIP));
		kfree_skb(skb);
	}
	KUNIT_EXPECT_EQ(test, drops(f->tcp_svc, L4LB_DROP_NO_MEMORY), 0ULL);
}

/*
 * A backend's own port unreachable about a client's datagram: the client
 * gets it from the VIP, quoting what it sent (to the VIP's port), never
 * the backend's address.
 */
static void hooks_icmp_from_backend(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_UDP, .saddr = CLIENT + 6,
			  .daddr = VIP, .sport = 4100, .dport = 7777,
			  .payload = 8 };
	struct sk_buff *skb;
	const struct iphdr *inner;
	unsigned int qlen, len;
	u8 quote[64];
	__be32 be;

	KUNIT_ASSERT_EQ(test, send(test, &c, true, 20, &skb), NF_ACCEPT);
	be = ip_hdr(skb)->daddr;
	qlen = min_t(unsigned int, skb->len, sizeof(quote));
	KUNIT_ASSERT_EQ(test, skb_copy_bits(skb, 0, quote, qlen), 0);
	kfree_skb(skb);
	len = kpkt_build_icmp(f->buf, ntohl(be), CLIENT + 6, ICMP_DEST_UNREACH,
			      ICMP_PORT_UNREACH, quote, 28);
	skb = kpkt_skb(f->buf, len, 20, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
	KUNIT_EXPECT_EQ(test, kpkt_hook(skb, false, NULL), NF_ACCEPT);
	KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, ip_fast_csum(ip_hdr(skb), 5), 0);
	inner = (const struct iphdr *)(skb->data + 28);
	KUNIT_EXPECT_EQ(test, inner->daddr, htonl(VIP));
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(skb->data + 28 + 22), 7777);
	KUNIT_EXPECT_EQ(test, csum_fold(skb_checksum(skb, 20, skb->len - 20,
						     0)), 0);
	kfree_skb(skb);

	/* Corrupt on the way: dropped, never passed on made whole. */
	len = kpkt_build_icmp(f->buf, ntohl(be), CLIENT + 6, ICMP_DEST_UNREACH,
			      ICMP_PORT_UNREACH, quote, 28);
	f->buf[len - 1] ^= 0x40;
	skb = kpkt_skb(f->buf, len, 20, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
	KUNIT_EXPECT_EQ(test, kpkt_hook(skb, false, NULL), NF_DROP);
	kfree_skb(skb);
	KUNIT_EXPECT_EQ(test, drops(f->udp_svc, L4LB_DROP_NO_MEMORY), 0ULL);
}

/*
 * Defect 3: a UDP backend address and port serve one service (its
 * answers name only the client: no VIP could be told), stateless or with
 * sessions; another port, or another protocol, is another backend.
 */
static void hooks_shared_backend_refused(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	union nf_inet_addr a = { .ip = htonl(BE1) };
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;
	struct l4lb_svc_key key;

	l4lb_svc_key_init4(&key, IPPROTO_UDP, htonl(VIP + 1), htons(7777));
	l4lb_service_default_config(IPPROTO_UDP, &cfg);
	mutex_lock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_service_add(f->ln, &key, &cfg), 0);
	rcu_read_lock();
	svc = l4lb_service_lookup(f->ln, &key);
	rcu_read_unlock();
	/* The sh session service's, and the stateless one's. */
	KUNIT_EXPECT_EQ(test, l4lb_backend_add(f->ln, svc, &a, htons(7777), 1),
			-EADDRINUSE);
	KUNIT_EXPECT_EQ(test, l4lb_backend_add(f->ln, svc, &a, htons(53), 1),
			-EADDRINUSE);
	KUNIT_EXPECT_EQ(test, l4lb_backend_add_fallback(f->ln, svc, &a,
							htons(53)),
			-EADDRINUSE);
	KUNIT_EXPECT_EQ(test, svc->n_backends, 0U);
	KUNIT_EXPECT_EQ(test, l4lb_backend_add(f->ln, svc, &a, htons(7778), 1),
			0);
	/* TCP's port 7777 is another backend. */
	KUNIT_EXPECT_EQ(test, l4lb_backend_add(f->ln, f->tcp_svc, &a,
					       htons(7777), 1), 0);
	l4lb_backend_remove(f->ln, l4lb_backend_find(f->tcp_svc, &a,
						     htons(7777)));
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln, &key), 0);
	mutex_unlock(&f->ln->lock);
}

#define SVIP(n)	(0x0a090a00 + (n))	/* 10.9.10.n: the sharing VIPs */
#define SPORT	8000			/* the shared server's port */

/* TCP service 10.9.10.@n:@port with one backend, BE1:SPORT. */
static struct l4lb_service *share_svc(struct kunit *test, struct l4lb_net *ln,
				      struct l4lb_svc_key *key, u8 n, u16 port,
				      u8 sched)
{
	union nf_inet_addr a = { .ip = htonl(BE1) };
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;

	l4lb_svc_key_init4(key, IPPROTO_TCP, htonl(SVIP(n)), htons(port));
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	cfg.sched = sched;
	mutex_lock(&ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_service_add(ln, key, &cfg), 0);
	rcu_read_lock();
	svc = l4lb_service_lookup(ln, key);
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(ln, svc, &a, htons(SPORT), 1),
			0);
	mutex_unlock(&ln->lock);
	return svc;
}

/* @sums: no backend was removed, so the backends' counters sum to its. */
static void share_remove(struct kunit *test, struct l4lb_net *ln,
			 struct l4lb_service *svc, const struct l4lb_svc_key *key,
			 bool sums)
{
	mutex_lock(&ln->lock);
	if (sums)
		expect_counters_add_up(test, svc);
	KUNIT_EXPECT_EQ(test, l4lb_service_remove(ln, key), 0);
	mutex_unlock(&ln->lock);
}

/* The client's SYN to @vip:@port: accepted, sent to BE1:SPORT. */
static void share_syn(struct kunit *test, u32 client, u16 cport, u32 vip,
		      u16 port)
{
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = client,
			  .daddr = vip, .sport = cport, .dport = port,
			  .flags = KPKT_SYN };
	struct sk_buff *skb;
	unsigned int got;

	/* Expected, not asserted: the case goes on to remove its services. */
	got = send(test, &c, true, 20, &skb);
	KUNIT_EXPECT_EQ(test, got, NF_ACCEPT);
	if (got == NF_ACCEPT) {
		KUNIT_EXPECT_EQ(test, ip_hdr(skb)->daddr, htonl(BE1));
		KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->dest, htons(SPORT));
	}
	kfree_skb(skb);
}

/*
 * BE1:SPORT's packet to @client:@cport: @verdict, and if accepted, from
 * @vip:@port with its checksums right.
 */
static void share_reply(struct kunit *test, u32 client, u16 cport, u8 flags,
			unsigned int verdict, u32 vip, u16 port)
{
	struct kpkt b = { .proto = IPPROTO_TCP, .saddr = BE1,
			  .daddr = client, .sport = SPORT, .dport = cport,
			  .flags = flags, .payload = 200 };
	struct sk_buff *skb;
	unsigned int got;

	got = send(test, &b, false, 20, &skb);
	KUNIT_EXPECT_EQ(test, got, verdict);
	if (got == NF_ACCEPT && verdict == NF_ACCEPT) {
		KUNIT_EXPECT_EQ(test, ip_hdr(skb)->saddr, htonl(vip));
		KUNIT_EXPECT_EQ(test, tcp_hdr(skb)->source, htons(port));
		KUNIT_EXPECT_TRUE(test, kpkt_l4_csum_ok(skb));
	}
	kfree_skb(skb);
}

/*
 * A router's "fragmentation needed" about @client:@cport's packet to the
 * shared server, on its way to the client: it quotes the packet as the
 * client sent it, to @vip:@port.
 */
static void share_icmp(struct kunit *test, u32 client, u16 cport, u32 vip,
		       u16 port)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt c = { .proto = IPPROTO_TCP, .saddr = client,
			  .daddr = BE1, .sport = cport, .dport = SPORT,
			  .flags = KPKT_ACK };
	const struct iphdr *inner;
	struct sk_buff *skb;
	unsigned int len;
	u8 quote[64];

	len = kpkt_build(quote, &c);
	len = kpkt_build_icmp(f->buf, 0x0a0b0b0b, client, ICMP_DEST_UNREACH,
			      ICMP_FRAG_NEEDED, quote, min(len, 28U));
	skb = kpkt_skb(f->buf, len, 20, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
	KUNIT_EXPECT_EQ(test, kpkt_hook(skb, false, NULL), NF_ACCEPT);
	inner = (const struct iphdr *)(skb->data + 28);
	KUNIT_EXPECT_EQ(test, inner->daddr, htonl(vip));
	KUNIT_EXPECT_EQ(test, get_unaligned_be16(skb->data + 28 + 22), port);
	KUNIT_EXPECT_EQ(test, csum_fold(skb_checksum(skb, 20, skb->len - 20,
						     0)), 0);
	kfree_skb(skb);
}

static u64 pkts_out(struct l4lb_service *svc)
{
	struct l4lb_stats_sum sum;

	l4lb_stats_sum(svc->stats, &sum);
	return sum.pkts_out;
}

/*
 * Issue 25: one TCP server (BE1:SPORT) behind two VIPs. Each client's
 * replies leave as the VIP it dialled, counted there, its flow naming
 * that service; the same client address and port to the second VIP would
 * be one connection to the server's stack: refused as a clash, the first
 * flow untouched.
 */
static void hooks_shared_reply_vip(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct kpkt clash = { .proto = IPPROTO_TCP, .saddr = CLIENT + 80,
			      .daddr = SVIP(2), .sport = 5000, .dport = 81,
			      .flags = KPKT_SYN };
	struct l4lb_svc_key ka, kb;
	struct l4lb_service *a, *b;
	struct l4lb_conn *conn;
	u32 x = CLIENT + 80, y = CLIENT + 81;

	a = share_svc(test, f->ln, &ka, 1, 80, L4LB_SCHED_RR);
	b = share_svc(test, f->ln, &kb, 2, 81, L4LB_SCHED_WLC);
	share_syn(test, x, 5000, SVIP(1), 80);
	share_syn(test, y, 5000, SVIP(2), 81);
	share_reply(test, x, 5000, KPKT_SYN | KPKT_ACK, NF_ACCEPT, SVIP(1), 80);
	share_reply(test, y, 5000, KPKT_SYN | KPKT_ACK, NF_ACCEPT, SVIP(2), 81);
	share_reply(test, y, 5000, KPKT_ACK, NF_ACCEPT, SVIP(2), 81);
	conn = flow_of(f, a, x, 5000);
	KUNIT_EXPECT_TRUE(test, conn && conn->be->svc == a);
	conn = flow_of(f, b, y, 5000);
	KUNIT_EXPECT_TRUE(test, conn && conn->be->svc == b);
	KUNIT_EXPECT_EQ(test, pkts_out(a), 1ULL);
	KUNIT_EXPECT_EQ(test, pkts_out(b), 2ULL);
	/* An ICMP error about each client's packet quotes its own VIP. */
	share_icmp(test, x, 5000, SVIP(1), 80);
	share_icmp(test, y, 5000, SVIP(2), 81);

	/* x:5000 to the other VIP: the server's side is x's flow's. */
	share_syn(test, x, 5001, SVIP(2), 81);
	KUNIT_EXPECT_EQ(test, send(test, &clash, true, 20, NULL), NF_DROP);
	KUNIT_EXPECT_EQ(test, drops(b, L4LB_DROP_CLASH), 1ULL);
	KUNIT_EXPECT_NULL(test, flow_of(f, b, x, 5000));
	share_reply(test, x, 5000, KPKT_ACK, NF_ACCEPT, SVIP(1), 80);
	share_reply(test, x, 5001, KPKT_SYN | KPKT_ACK, NF_ACCEPT, SVIP(2), 81);
	KUNIT_EXPECT_EQ(test, drops(a, L4LB_DROP_STRAY) +
			drops(b, L4LB_DROP_STRAY), 0ULL);

	share_remove(test, f->ln, a, &ka, true);
	share_remove(test, f->ln, b, &kb, true);
}

/*
 * Issue 25: a shared server's packet with no flow names no VIP. Services
 * that do not hash own none (stray, dropped); exactly one sh or mh among
 * them adopts it, as that VIP's; two that hash: ambiguous, stray.
 */
static void hooks_shared_no_flow(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct l4lb_svc_key ka, kb, kc, kd;
	struct l4lb_service *a, *b, *c, *d;
	u32 z = CLIENT + 90;

	a = share_svc(test, f->ln, &ka, 3, 80, L4LB_SCHED_RR);
	b = share_svc(test, f->ln, &kb, 4, 80, L4LB_SCHED_LC);
	share_reply(test, z, 6000, KPKT_ACK, NF_DROP, 0, 0);
	KUNIT_EXPECT_EQ(test, drops(a, L4LB_DROP_STRAY) +
			drops(b, L4LB_DROP_STRAY), 1ULL);

	c = share_svc(test, f->ln, &kc, 5, 82, L4LB_SCHED_SH);
	share_reply(test, z, 6000, KPKT_ACK, NF_ACCEPT, SVIP(5), 82);
	KUNIT_EXPECT_NOT_NULL(test, flow_of(f, c, z, 6000));
	KUNIT_EXPECT_NULL(test, flow_of(f, a, z, 6000));
	/* Adopted: its next packet is the flow's. */
	share_reply(test, z, 6000, KPKT_ACK, NF_ACCEPT, SVIP(5), 82);

	d = share_svc(test, f->ln, &kd, 6, 83, L4LB_SCHED_MH);
	share_reply(test, z, 6001, KPKT_ACK, NF_DROP, 0, 0);
	KUNIT_EXPECT_EQ(test, drops(a, L4LB_DROP_STRAY) +
			drops(b, L4LB_DROP_STRAY) + drops(c, L4LB_DROP_STRAY) +
			drops(d, L4LB_DROP_STRAY), 2ULL);
	KUNIT_EXPECT_NULL(test, flow_of(f, c, z, 6001));
	KUNIT_EXPECT_NULL(test, flow_of(f, d, z, 6001));
	/* The flow adopted before goes on, as its own VIP's. */
	share_reply(test, z, 6000, KPKT_ACK, NF_ACCEPT, SVIP(5), 82);

	share_remove(test, f->ln, d, &kd, true);
	share_remove(test, f->ln, a, &ka, true);
	share_remove(test, f->ln, b, &kb, true);
	share_remove(test, f->ln, c, &kc, true);
}

/*
 * Issue 25: one service's copy of a shared server removed (its key now
 * in the departed table): the other's flows and new flows go on, and its
 * packets of no flow are the remaining sh service's to adopt, not dropped
 * as a departed backend's. The removed copy's own flow lives on too.
 */
static void hooks_shared_remove_one(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	union nf_inet_addr be1 = { .ip = htonl(BE1) };
	struct l4lb_svc_key ka, kb;
	struct l4lb_service *a, *b;
	u32 x = CLIENT + 100, y = CLIENT + 101;

	a = share_svc(test, f->ln, &ka, 7, 80, L4LB_SCHED_RR);
	b = share_svc(test, f->ln, &kb, 8, 80, L4LB_SCHED_SH);
	share_syn(test, x, 7000, SVIP(7), 80);
	share_syn(test, y, 7000, SVIP(8), 80);
	mutex_lock(&f->ln->lock);
	l4lb_backend_remove(f->ln, l4lb_backend_find(a, &be1, htons(SPORT)));
	mutex_unlock(&f->ln->lock);

	share_reply(test, x, 7000, KPKT_SYN | KPKT_ACK, NF_ACCEPT, SVIP(7), 80);
	share_reply(test, y, 7000, KPKT_SYN | KPKT_ACK, NF_ACCEPT, SVIP(8), 80);
	share_syn(test, y, 7001, SVIP(8), 80);
	share_reply(test, y, 7001, KPKT_SYN | KPKT_ACK, NF_ACCEPT, SVIP(8), 80);
	/* No flow: b's to adopt, the departed key notwithstanding. */
	share_reply(test, y, 7002, KPKT_ACK, NF_ACCEPT, SVIP(8), 80);
	KUNIT_EXPECT_NOT_NULL(test, flow_of(f, b, y, 7002));
	KUNIT_EXPECT_EQ(test, drops(b, L4LB_DROP_STRAY), 0ULL);
	KUNIT_EXPECT_EQ(test, drops(a, L4LB_DROP_STRAY), 0ULL);

	share_remove(test, f->ln, a, &ka, false);
	/* The last copy gone: now a stray, counted on the departed's. */
	mutex_lock(&f->ln->lock);
	l4lb_backend_remove(f->ln, l4lb_backend_find(b, &be1, htons(SPORT)));
	mutex_unlock(&f->ln->lock);
	share_reply(test, y, 7003, KPKT_ACK, NF_DROP, 0, 0);
	KUNIT_EXPECT_EQ(test, drops(b, L4LB_DROP_STRAY), 1ULL);
	share_remove(test, f->ln, b, &kb, false);
}

/*
 * Defect 5: a namespace of another user namespace holds at most
 * L4LB_UNPRIV_MAX_SERVICES services and max-flows stays under its cap.
 */
static void hooks_unpriv_limits(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	struct l4lb_svc_config cfg;
	struct l4lb_svc_key key;
	unsigned int i, n = f->ln->n_services;
	int ret = 0;

	f->ln->unpriv = true;
	KUNIT_EXPECT_EQ(test, l4lb_net_max_flows(f->ln), L4LB_UNPRIV_MAX_FLOWS);
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	mutex_lock(&f->ln->lock);
	for (i = 0; i < L4LB_UNPRIV_MAX_SERVICES + 1 && !ret; i++) {
		l4lb_svc_key_init4(&key, IPPROTO_TCP, htonl(0x0b000000 + i),
				   htons(80));
		ret = l4lb_service_add(f->ln, &key, &cfg);
	}
	KUNIT_EXPECT_EQ(test, ret, -ENOSPC);
	KUNIT_EXPECT_EQ(test, f->ln->n_services, L4LB_UNPRIV_MAX_SERVICES);
	for (i = 0; i < L4LB_UNPRIV_MAX_SERVICES - n; i++) {
		l4lb_svc_key_init4(&key, IPPROTO_TCP, htonl(0x0b000000 + i),
				   htons(80));
		KUNIT_EXPECT_EQ(test, l4lb_service_remove(f->ln, &key), 0);
	}
	mutex_unlock(&f->ln->lock);
	f->ln->unpriv = false;
}

/* A packet the hooks may meet: valid, before any mutation. */
static unsigned int base_packet(struct hooks_fixture *f, bool *in)
{
	u32 r = get_random_u32();
	u32 client = CLIENT + (r & 15);
	u16 cport = 1000 + ((r >> 4) & 7);
	u32 be = (r >> 7) & 1 ? BE2 : BE1;
	static const u16 ports[] = { 80, 7777, 53, 81, 443 };
	struct kpkt p = {
		.proto = (r >> 8) & 1 ? IPPROTO_UDP : IPPROTO_TCP,
		.opt_words = (r >> 9) & 3 ? 0 : (r >> 11) % 11,
		/* Up to two pages beyond any linear part: kpkt_skb()'s room. */
		.payload = ((r >> 15) & 1) ? (r >> 16) % 4000 : (r >> 16) % 64,
		.flags = (r >> 21) & 0x17,
	};
	unsigned int qlen;
	u8 quote[128];

	p.dport = ports[get_random_u32_below(ARRAY_SIZE(ports))];
	*in = (r >> 26) & 1;
	if (*in) {
		p.saddr = client;
		p.sport = cport;
		p.daddr = (r >> 27) & 7 ? VIP : 0x0a0a0a0a;
		/* The sh service sharing BE1:80 and BE2:80 (hooks_fuzz()). */
		if (((r >> 27) & 7) == 1)
			p.daddr = SVIP(9);
	} else {
		p.saddr = be;
		p.sport = p.dport;
		p.daddr = client;
		p.dport = cport;
	}
	if (((r >> 30) & 3) != 3)
		return kpkt_build(f->buf, &p);
	/* An ICMP error quoting a packet of either direction, cut short. */
	p.payload = 0;
	p.opt_words = 0;
	swap(p.saddr, p.daddr);
	swap(p.sport, p.dport);
	qlen = kpkt_build(quote, &p);
	return kpkt_build_icmp(f->buf, *in ? 0x0a0b0b0b : be,
			       *in ? VIP : client, ICMP_DEST_UNREACH,
			       ICMP_FRAG_NEEDED, quote,
			       get_random_u32_below(qlen + 1));
}

/* Hostile: bytes flipped, lengths lying, fragments, truncation. */
static unsigned int mutate(u8 *buf, unsigned int len)
{
	unsigned int i, n = get_random_u32_below(4);
	struct iphdr *iph = (struct iphdr *)buf;
	u32 r = get_random_u32();

	for (i = 0; i < n; i++)
		buf[get_random_u32_below(min(len, 80U))] ^= 1 << (r++ & 7);
	if (!(r & 7))
		iph->frag_off = htons(get_random_u32() & 0x3fff);
	if (!((r >> 3) & 7))
		iph->ihl = 5 + get_random_u32_below(11);
	if (!((r >> 6) & 7) && len > 26) {	/* UDP length, TCP offset */
		i = (iph->ihl * 4 + 4) % (len - 1);
		put_unaligned(get_unaligned((u16 *)(buf + i)) ^
			      get_random_u32(), (u16 *)(buf + i));
	}
	if (!((r >> 9) & 3))
		len = 20 + get_random_u32_below(len - 19);
	/* Mostly a header the stack would pass, to reach l4lb's parsers. */
	if ((r >> 11) & 7)
		kpkt_fix_ip(buf, len);
	return len;
}

static int count_tpl(struct l4lb_conn *conn, void *arg)
{
	*(unsigned int *)arg += l4lb_conn_is_tpl(conn);
	return 0;
}

/* Persistence on the fuzzed services that keep flows: 60 s, /24, /32. */
static void fuzz_persist(struct hooks_fixture *f)
{
	mutex_lock(&f->ln->lock);
	l4lb_service_set_persist(f->ln, f->tcp_svc, l4lb_persist_make(60, 24));
	l4lb_service_set_persist(f->ln, f->udp_svc, l4lb_persist_make(60, 32));
	l4lb_service_set_persist(f->ln, f->mh_svc, l4lb_persist_make(60, 24));
	mutex_unlock(&f->ln->lock);
}

/*
 * Tens of thousands of packets, mutated, in random layouts, through both
 * hooks: every verdict accept or drop, every accepted header's checksum
 * right, and (in the exit) every flow freed after a flush with every
 * count back to zero. KASAN, UBSAN and lockdep watch the rest. The
 * second half with persistent services: templates made, taken, expired
 * and evicted (a small table) under the same packets.
 */

static void hooks_fuzz(struct kunit *test)
{
	struct hooks_fixture *f = test->priv;
	unsigned int i, len, verdict, ran = 0, tpls = 0;
	union nf_inet_addr be1 = { .ip = htonl(BE1) };
	union nf_inet_addr be2 = { .ip = htonl(BE2) };
	struct l4lb_service *share;
	struct l4lb_svc_config cfg;
	struct l4lb_svc_key skey;
	struct sk_buff *skb;
	bool in, done;

	/* Shares tcp_svc's backends: no-flow replies are its to adopt. */
	l4lb_svc_key_init4(&skey, IPPROTO_TCP, htonl(SVIP(9)), htons(80));
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	cfg.sched = L4LB_SCHED_SH;
	mutex_lock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_service_add(f->ln, &skey, &cfg), 0);
	rcu_read_lock();
	share = l4lb_service_lookup(f->ln, &skey);
	rcu_read_unlock();
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(f->ln, share, &be1, htons(80),
					       1), 0);
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(f->ln, share, &be2, htons(80),
					       1), 0);
	mutex_unlock(&f->ln->lock);
	f->ln->max_conns = 512;
	for (i = 0; i < 40000; i++) {
		len = base_packet(f, &in);
		if (i % 4)
			len = mutate(f->buf, len);
		skb = kpkt_skb(f->buf, len, get_random_u32_below(len + 1),
			       get_random_u32_below(PAGE_SIZE));
		KUNIT_ASSERT_NOT_NULL(test, skb);
		if (!kpkt_ip_rcv(skb)) {
			kfree_skb(skb);
			continue;
		}
		/* Now and then time moves on: flows expire under traffic. */
		if (!(i % 1000))
			l4lb_clock_offset += 40 * HZ;
		/* The second half persistent: templates under the same. */
		if (i == 20000)
			fuzz_persist(f);
		verdict = kpkt_hook(skb, in, NULL);
		/* A fragment to a VIP or from a backend, kept to reassemble. */
		if (verdict == NF_STOLEN)
			continue;
		if (verdict != NF_ACCEPT && verdict != NF_DROP)
			KUNIT_FAIL(test, "verdict %u", verdict);
		if (verdict == NF_ACCEPT)
			KUNIT_EXPECT_EQ(test,
					ip_fast_csum(skb_network_header(skb),
						     ip_hdr(skb)->ihl), 0);
		kfree_skb(skb);
		ran++;
		if (!(i % 256)) {
			l4lb_expiry_step(f->ln, 64, &done);
			cond_resched();
		}
	}
	l4lb_conn_walk(f->ln, count_tpl, &tpls);
	kunit_info(test, "%u packets through the hooks in %u tries, %u templates at the end\n",
		   ran, i, tpls);
	/* The persistent half reached the templates. */
	KUNIT_EXPECT_GT(test, tpls, 0U);
	/* Few are refused by ip_rcv's checks (kpkt_ip_rcv()): most ran. */
	KUNIT_EXPECT_GE(test, ran, 30000U);
	/* The shared backends' no-flow packets reached it. */
	KUNIT_EXPECT_GT(test, pkts_out(share), 0ULL);
	share_remove(test, f->ln, share, &skey, true);
}

static struct kunit_case l4lb_hooks_cases[] = {
	KUNIT_CASE(hooks_udp_header_in_fragment),
	KUNIT_CASE(hooks_nat_every_split),
	KUNIT_CASE(hooks_states),
	KUNIT_CASE(hooks_half_close),
	KUNIT_CASE(hooks_rst_then_data),
	KUNIT_CASE(hooks_flood_cannot_pin),
	KUNIT_CASE(hooks_dnat_drops_route),
	KUNIT_CASE(hooks_departed_backend),
	KUNIT_CASE(hooks_stray_backend_packet),
	KUNIT_CASE(hooks_one_lookup),
	KUNIT_CASE(hooks_fragments),
	KUNIT_CASE(hooks_adopt),
	KUNIT_CASE(hooks_udp_gone_answer_makes_no_session),
	KUNIT_CASE(hooks_conn_limits),
	KUNIT_CASE(hooks_backend_gone),
	KUNIT_CASE(hooks_flood_evicts_unassured),
	KUNIT_CASE(hooks_flood_spares_fresh_handshake),
	KUNIT_CASE(hooks_icmp_short_quote),
	KUNIT_CASE(hooks_icmp_from_backend),
	KUNIT_CASE(hooks_shared_backend_refused),
	KUNIT_CASE(hooks_shared_reply_vip),
	KUNIT_CASE(hooks_shared_no_flow),
	KUNIT_CASE(hooks_shared_remove_one),
	KUNIT_CASE(hooks_unpriv_limits),
	KUNIT_CASE(hooks_fuzz),
	{}
};

static struct kunit_suite l4lb_hooks_suite = {
	.name = "l4lb-hooks",
	.init = hooks_init,
	.exit = hooks_exit,
	.test_cases = l4lb_hooks_cases,
};

kunit_test_suite(l4lb_hooks_suite);

// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: persistence (IPVS -p, -M). Clients send real packets through the
 * hooks; each case asserts what a user sees, which backend a connection
 * gets, and what the flow table holds. Round robin over three backends
 * would give every new connection the next one: persistence is what
 * keeps a client's.
 */

#include <kunit/test.h>
#include <linux/in.h>
#include <linux/netfilter.h>
#include <linux/l4lb.h>
#include <net/ipv6.h>
#include <net/net_namespace.h>

#include "../../kmod/backend.h"
#include "../../kmod/conn.h"
#include "../../kmod/expiry.h"
#include "../../kmod/netns.h"
#include "../../kmod/persist.h"
#include "../../kmod/service.h"
#include "fixture.h"
#include "packet.h"

#define VIP	0x0a080808	/* 10.8.8.8 */
#define BE(i)	(0x0a080810 + (i))	/* 10.8.8.16 and on */
#define NBE	3
#define PERSIST	60		/* seconds */

static const struct in6_addr vip6 = { { { 0x20, 0x01, 0x0d, 0xb8, 8,
					  [15] = 8 } } };

struct persist_fixture {
	struct l4lb_net *ln;
	struct l4lb_svc_key key;
	struct l4lb_service *svc;
	u32 saved_max;
	u8 *buf;
};

/* 10.1.@net.@host, host order. */
static u32 client(u8 net, u8 host)
{
	return 0x0a010000 | net << 8 | host;
}

/* 2001:db8:1:@net::@host */
static struct in6_addr client6(u8 net, u8 host)
{
	struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 0 } } };

	a.s6_addr[7] = net;
	a.s6_addr[15] = host;
	return a;
}

/*
 * The service under test, scheduled by @sched, persistent @secs under a
 * /@prefix mask.
 */
static void add_svc_flags(struct kunit *test, u8 proto, bool v6, u8 sched,
			  u32 flags, u32 secs, u8 prefix)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_svc_config cfg;
	union nf_inet_addr a = {};
	int i;

	if (v6)
		l4lb_svc_key_init6(&f->key, proto, &vip6, htons(80));
	else
		l4lb_svc_key_init4(&f->key, proto, htonl(VIP), htons(80));
	l4lb_service_default_config(proto, &cfg);
	cfg.sched = sched;
	cfg.flags = flags;
	cfg.persist = l4lb_persist_make(secs, prefix);
	mutex_lock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_service_add(f->ln, &f->key, &cfg), 0);
	rcu_read_lock();
	f->svc = l4lb_service_lookup(f->ln, &f->key);
	rcu_read_unlock();
	for (i = 0; i < NBE; i++) {
		if (v6) {
			a.in6 = vip6;
			a.in6.s6_addr[15] = 16 + i;
		} else {
			a.ip = htonl(BE(i));
		}
		KUNIT_ASSERT_EQ(test, l4lb_backend_add(f->ln, f->svc, &a,
						       htons(80), 1), 0);
	}
	mutex_unlock(&f->ln->lock);
	conn_fixture_settle(test, f->ln);
}

static void add_svc_sched(struct kunit *test, u8 proto, bool v6, u8 sched,
			  u32 secs, u8 prefix)
{
	add_svc_flags(test, proto, v6, sched, 0, secs, prefix);
}

static void add_svc(struct kunit *test, u8 proto, bool v6, u32 secs,
		    u8 prefix)
{
	add_svc_sched(test, proto, v6, L4LB_SCHED_RR, secs, prefix);
}

static int persist_init(struct kunit *test)
{
	struct persist_fixture *f;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f);
	f->buf = kunit_kzalloc(test, KPKT_MAX, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, f->buf);
	f->ln = l4lb_net(&init_net);
	test->priv = f;
	/* The test drives the sweep and the clock itself. */
	l4lb_expiry_stop(f->ln);
	f->saved_max = f->ln->max_conns;
	l4lb_clock_offset = 0;
	return 0;
}

static void persist_exit(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_backend *be;

	/* Every flow and template leaves, and every count with them. */
	conn_fixture_flush(f->ln);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
	mutex_lock(&f->ln->lock);
	if (f->svc) {
		list_for_each_entry(be, &f->svc->backends, list)
			KUNIT_EXPECT_EQ(test, atomic_read(&be->active), 0);
		l4lb_service_remove(f->ln, &f->key);
	}
	mutex_unlock(&f->ln->lock);
	f->ln->max_conns = f->saved_max;
	l4lb_clock_offset = 0;
}

/*
 * A client's first packet from @caddr:@cport (host order) to the
 * service; returns the flow it made (valid while the test holds it in
 * the table), or NULL if it was dropped.
 */
static struct l4lb_conn *send4_flags(struct kunit *test, u32 caddr,
				     u16 cport, u8 flags)
{
	struct persist_fixture *f = test->priv;
	u8 proto = f->key.proto;
	struct kpkt p = { .proto = proto, .saddr = caddr, .daddr = VIP,
			  .sport = cport, .dport = 80, .flags = flags };
	unsigned int len = kpkt_build(f->buf, &p);
	struct sk_buff *skb = kpkt_skb(f->buf, len, len, 0);
	struct l4lb_orig_key k;
	struct l4lb_conn *conn;

	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_ASSERT_TRUE(test, kpkt_ip_rcv(skb));
	if (kpkt_hook(skb, true, NULL) != NF_ACCEPT) {
		kfree_skb(skb);
		return NULL;
	}
	kfree_skb(skb);
	l4lb_orig_key_svc4(&k, f->svc, htonl(caddr), htons(cport));
	rcu_read_lock();
	conn = l4lb_conn_lookup_orig(f->ln, &k);
	rcu_read_unlock();
	return conn;
}

static struct l4lb_conn *send4(struct kunit *test, u32 caddr, u16 cport)
{
	struct persist_fixture *f = test->priv;

	return send4_flags(test, caddr, cport,
			   f->key.proto == IPPROTO_TCP ? KPKT_SYN : 0);
}

static struct l4lb_conn *send6(struct kunit *test,
			       const struct in6_addr *caddr, u16 cport)
{
	struct persist_fixture *f = test->priv;
	struct kpkt6 p = { .proto = IPPROTO_TCP, .saddr = *caddr,
			   .daddr = vip6, .sport = cport, .dport = 80,
			   .flags = KPKT_SYN };
	union nf_inet_addr a = { .in6 = *caddr };
	struct l4lb_orig_key k;
	struct l4lb_conn *conn;
	struct sk_buff *skb;
	unsigned int len;

	kpkt6_build(f->buf, &p, &len);
	skb = kpkt6_skb(f->buf, len, len, 0);
	KUNIT_ASSERT_NOT_NULL(test, skb);
	KUNIT_EXPECT_EQ(test, kpkt6_hook(skb, true), NF_ACCEPT);
	kfree_skb(skb);
	l4lb_orig_key_svc(&k, f->svc, &a, htons(cport));
	rcu_read_lock();
	conn = l4lb_conn_lookup_orig(f->ln, &k);
	rcu_read_unlock();
	return conn;
}

/* The backend @caddr's new connection gets (its flow then ended). */
static struct l4lb_backend *pick4(struct kunit *test, u32 caddr, u16 cport)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_conn *conn = send4(test, caddr, cport);
	struct l4lb_backend *be;

	KUNIT_ASSERT_NOT_NULL(test, conn);
	be = conn->be;
	rcu_read_lock();
	l4lb_conn_unlink(f->ln, conn);
	rcu_read_unlock();
	return be;
}

/* The template of the client at @caddr, or NULL. */
static struct l4lb_conn *tpl_of(struct persist_fixture *f,
				const union nf_inet_addr *caddr)
{
	struct l4lb_orig_key k;
	struct l4lb_conn *tpl;

	l4lb_tpl_key(&k, f->svc, READ_ONCE(f->svc->persist), caddr);
	rcu_read_lock();
	tpl = l4lb_conn_lookup_orig(f->ln, &k);
	if (tpl && !l4lb_conn_alive(tpl, l4lb_now()))
		tpl = NULL;
	rcu_read_unlock();
	return tpl;
}

static struct l4lb_conn *tpl4(struct persist_fixture *f, u32 caddr)
{
	union nf_inet_addr a = { .ip = htonl(caddr) };

	return tpl_of(f, &a);
}

/* Flows on @tpl (it must be alive). */
static int tpl_flows(const struct l4lb_conn *tpl)
{
	return atomic_read(&tpl->users) & ~(L4LB_TPL_LINKED |
					    L4LB_TPL_RETIRED);
}

static void advance(unsigned int secs)
{
	l4lb_clock_offset += secs * HZ;
}

/*
 * The same client keeps its backend over connections that rr would send
 * round; another client is scheduled (the next backend), and keeps its
 * own. Break: without persistence every connection gets the next one.
 */
static void persist_same_client(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_backend *a, *b;
	int i;

	add_svc(test, IPPROTO_TCP, false, PERSIST, 32);
	a = pick4(test, client(0, 1), 1000);
	for (i = 1; i < 6; i++)
		KUNIT_EXPECT_PTR_EQ(test, pick4(test, client(0, 1), 1000 + i),
				    a);
	b = pick4(test, client(0, 2), 1000);
	KUNIT_EXPECT_PTR_NE(test, b, a);
	for (i = 1; i < 4; i++) {
		KUNIT_EXPECT_PTR_EQ(test, pick4(test, client(0, 2), 1000 + i),
				    b);
		KUNIT_EXPECT_PTR_EQ(test, pick4(test, client(0, 1), 2000 + i),
				    a);
	}
	/* A template each, listed as an entry of its own. */
	KUNIT_ASSERT_NOT_NULL(test, tpl4(f, client(0, 1)));
	KUNIT_EXPECT_PTR_EQ(test, tpl4(f, client(0, 1))->be, a);
	/* Its port is the mask's prefix: no packet's key has the flag. */
	KUNIT_EXPECT_EQ(test, tpl4(f, client(0, 1))->cport, htons(32));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&a->active), 0);
}

/* Netmask /24: a network shares a backend, the next network gets the next. */
static void persist_netmask(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_backend *a, *b;
	int i;

	add_svc(test, IPPROTO_TCP, false, PERSIST, 24);
	a = pick4(test, client(0, 1), 1000);
	for (i = 2; i < 20; i += 3)
		KUNIT_EXPECT_PTR_EQ(test, pick4(test, client(0, i), 1000), a);
	b = pick4(test, client(1, 1), 1000);
	KUNIT_EXPECT_PTR_NE(test, b, a);
	KUNIT_EXPECT_PTR_EQ(test, pick4(test, client(1, 200), 1000), b);
	/* The template names the network, 10.1.0.0. */
	KUNIT_ASSERT_NOT_NULL(test, tpl4(f, client(0, 77)));
	KUNIT_EXPECT_EQ(test, tpl4(f, client(0, 77))->caddr,
			htonl(client(0, 0)));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 2);
}

/*
 * A template lives while it has flows, whatever its deadline, then the
 * persistence after its last flow ended; then the client is scheduled
 * afresh. Break: expiring it from its creation, or never.
 */
static void persist_expiry(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_conn *conn, *tpl;
	struct l4lb_backend *a;

	add_svc(test, IPPROTO_TCP, false, 10, 32);
	conn = send4(test, client(0, 1), 1000);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	a = conn->be;
	tpl = tpl4(f, client(0, 1));
	KUNIT_ASSERT_NOT_NULL(test, tpl);
	KUNIT_EXPECT_EQ(test, tpl_flows(tpl), 1);
	/* 20 s: past the template's 10, within the SYN's 30. */
	advance(20);
	conn_fixture_sweep(f->ln);
	KUNIT_ASSERT_PTR_EQ(test, tpl4(f, client(0, 1)), tpl);
	KUNIT_EXPECT_PTR_EQ(test, pick4(test, client(0, 1), 1001), a);
	KUNIT_EXPECT_EQ(test, tpl_flows(tpl), 1);
	/* The last flow ends: 9 s later it is still there, 11 s not. */
	rcu_read_lock();
	l4lb_conn_unlink(f->ln, conn);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, tpl_flows(tpl), 0);
	advance(9);
	KUNIT_EXPECT_EQ(test, conn_fixture_sweep(f->ln), 0);
	KUNIT_ASSERT_PTR_EQ(test, tpl4(f, client(0, 1)), tpl);
	/* A flow and its end in between: the 10 s start again. */
	KUNIT_EXPECT_PTR_EQ(test, pick4(test, client(0, 1), 1002), a);
	advance(9);
	KUNIT_EXPECT_EQ(test, conn_fixture_sweep(f->ln), 0);
	KUNIT_EXPECT_PTR_EQ(test, tpl4(f, client(0, 1)), tpl);
	advance(2);
	KUNIT_EXPECT_EQ(test, conn_fixture_sweep(f->ln), 1);
	KUNIT_EXPECT_NULL(test, tpl4(f, client(0, 1)));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
	/* Scheduled afresh: rr's next backend. */
	KUNIT_EXPECT_PTR_NE(test, pick4(test, client(0, 1), 1003), a);
}

/* Expired, not yet swept: the client's next connection schedules afresh. */
static void persist_expired_not_reused(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_backend *a;

	add_svc(test, IPPROTO_TCP, false, 10, 32);
	a = pick4(test, client(0, 1), 1000);
	advance(11);
	KUNIT_EXPECT_PTR_NE(test, pick4(test, client(0, 1), 1001), a);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 1);
}

static void set_be(struct persist_fixture *f, struct l4lb_backend *be,
		   u16 weight, bool down)
{
	mutex_lock(&f->ln->lock);
	WARN_ON(l4lb_backend_set(f->ln, be, weight, down));
	mutex_unlock(&f->ln->lock);
}

/*
 * Drained (weight 0) and full backends keep their clients, as IPVS's
 * templates do; a down one loses its templates (at the sweep, or at the
 * client's next connection) and its clients move; a deleted one too.
 */
static void persist_backend_gone(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_backend *a, *b;
	struct l4lb_conn *conn;

	add_svc(test, IPPROTO_TCP, false, PERSIST, 32);
	a = pick4(test, client(0, 1), 1000);
	set_be(f, a, 0, false);
	KUNIT_EXPECT_PTR_EQ(test, pick4(test, client(0, 1), 1001), a);
	conn_fixture_sweep(f->ln);
	KUNIT_EXPECT_NOT_NULL(test, tpl4(f, client(0, 1)));
	set_be(f, a, 1, false);

	/* Down: the sweep drops the template, the client moves. */
	set_be(f, a, 1, true);
	KUNIT_EXPECT_EQ(test, conn_fixture_sweep(f->ln), 1);
	KUNIT_EXPECT_NULL(test, tpl4(f, client(0, 1)));
	b = pick4(test, client(0, 1), 1002);
	KUNIT_EXPECT_PTR_NE(test, b, a);
	KUNIT_ASSERT_NOT_NULL(test, tpl4(f, client(0, 1)));
	KUNIT_EXPECT_PTR_EQ(test, tpl4(f, client(0, 1))->be, b);
	set_be(f, a, 1, false);

	/* Deleted while a flow holds the template: the next SYN moves. */
	conn = send4(test, client(0, 1), 1003);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_PTR_EQ(test, conn->be, b);
	mutex_lock(&f->ln->lock);
	l4lb_backend_remove(f->ln, b);
	mutex_unlock(&f->ln->lock);
	KUNIT_EXPECT_PTR_NE(test, pick4(test, client(0, 1), 1004), b);
	KUNIT_ASSERT_NOT_NULL(test, tpl4(f, client(0, 1)));
	KUNIT_EXPECT_PTR_NE(test, tpl4(f, client(0, 1))->be, b);
	/* The old template is out of the table, kept by its flow. */
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 2);
	rcu_read_lock();
	l4lb_conn_unlink(f->ln, conn);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 1);
}

/*
 * UDP: a session covers every port of its client already; persistence
 * keeps the backend across sessions (one expired, the next one made).
 */
static void persist_udp(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_backend *a;
	struct l4lb_conn *conn;
	int i;

	add_svc(test, IPPROTO_UDP, false, PERSIST, 32);
	conn = send4(test, client(0, 1), 5000);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_EQ(test, conn->cport, 0);
	a = conn->be;
	for (i = 0; i < 3; i++) {
		/* The session expires (60 s), the template (60 s) not yet. */
		advance(61);
		conn_fixture_sweep(f->ln);
		KUNIT_ASSERT_NOT_NULL(test, tpl4(f, client(0, 1)));
		conn = send4(test, client(0, 1), 5001 + i);
		KUNIT_ASSERT_NOT_NULL(test, conn);
		KUNIT_EXPECT_PTR_EQ(test, conn->be, a);
	}
	KUNIT_EXPECT_PTR_NE(test, pick4(test, client(0, 2), 5000), a);
	/* A template's key is no session's: each is an entry. */
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 3);
}

/* IPv6 with a /64: a network shares its backend, the next one does not. */
static void persist_ipv6(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct in6_addr c = client6(0, 1), d = client6(0, 99);
	struct in6_addr e = client6(1, 1);
	union nf_inet_addr na = { .in6 = client6(0, 7) };
	struct l4lb_conn *x, *y, *z;

	add_svc(test, IPPROTO_TCP, true, PERSIST, 64);
	x = send6(test, &c, 1000);
	y = send6(test, &d, 1000);
	z = send6(test, &e, 1000);
	KUNIT_ASSERT_NOT_NULL(test, x);
	KUNIT_ASSERT_NOT_NULL(test, y);
	KUNIT_ASSERT_NOT_NULL(test, z);
	KUNIT_EXPECT_PTR_EQ(test, x->be, y->be);
	KUNIT_EXPECT_PTR_NE(test, x->be, z->be);
	KUNIT_ASSERT_NOT_NULL(test, tpl_of(f, &na));
	KUNIT_EXPECT_EQ(test, tpl_flows(tpl_of(f, &na)), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 5);
}

/*
 * A template is an entry of the table: max-flows counts it, and an idle
 * one is evicted for a new flow, one with flows never.
 */
static void persist_max_flows(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_conn *conn, *tpl;

	add_svc(test, IPPROTO_TCP, false, PERSIST, 32);
	f->ln->max_conns = 2;
	conn = send4(test, client(0, 1), 1000);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	tpl = tpl4(f, client(0, 1));
	KUNIT_ASSERT_NOT_NULL(test, tpl);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 2);
	/* Established: not evictable; its template has a flow. */
	rcu_read_lock();
	l4lb_conn_advance(f->ln, conn, L4LB_CONN_SYN_SEEN,
			  L4LB_CONN_ESTABLISHED);
	rcu_read_unlock();
	KUNIT_EXPECT_NULL(test, send4(test, client(0, 2), 1000));
	KUNIT_EXPECT_PTR_EQ(test, tpl4(f, client(0, 1)), tpl);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 2);
}

/* service set persist off: templates go at once, flows stay. */
static void persist_off(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_conn *conn;

	add_svc(test, IPPROTO_TCP, false, PERSIST, 32);
	conn = send4(test, client(0, 1), 1000);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	pick4(test, client(0, 2), 1000);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 3);
	mutex_lock(&f->ln->lock);
	l4lb_service_set_persist(f->ln, f->svc, 0);
	mutex_unlock(&f->ln->lock);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 1);
	KUNIT_EXPECT_PTR_EQ(test, send4(test, client(0, 1), 1000), conn);
	/* rr again: the same client's connections go round. */
	KUNIT_EXPECT_PTR_NE(test, pick4(test, client(0, 1), 1001),
			    pick4(test, client(0, 1), 1002));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 1);
}

/*
 * Every scheduler: a client's connections keep its template's backend
 * while the flows of the others (lc and wlc count them) pile up on it.
 */
static void persist_every_sched(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_backend *a;
	struct l4lb_conn *conn;
	u8 sched;
	int i;

	for (sched = 0; sched <= L4LB_SCHED_MAX; sched++) {
		add_svc_sched(test, IPPROTO_TCP, false, sched, PERSIST, 32);
		conn = send4(test, client(0, 1), 1000);
		KUNIT_ASSERT_NOT_NULL(test, conn);
		a = conn->be;
		/* Flows stay: lc and wlc would pick another backend. */
		for (i = 1; i < 6; i++) {
			conn = send4(test, client(0, 1), 1000 + i);
			KUNIT_ASSERT_NOT_NULL(test, conn);
			KUNIT_EXPECT_PTR_EQ(test, conn->be, a);
		}
		KUNIT_ASSERT_NOT_NULL(test, tpl4(f, client(0, 1)));
		KUNIT_EXPECT_EQ(test, tpl_flows(tpl4(f, client(0, 1))), 6);
		KUNIT_EXPECT_EQ(test, atomic_read(&a->active), 6);
		conn_fixture_flush(f->ln);
		mutex_lock(&f->ln->lock);
		l4lb_service_remove(f->ln, &f->key);
		mutex_unlock(&f->ln->lock);
		f->svc = NULL;
	}
}

/*
 * Taking and retiring a template exclude each other (one cmpxchg): a
 * template with a flow on it is never retired, a retired one never taken.
 */
static void persist_take_retire(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_conn *tpl;

	add_svc(test, IPPROTO_TCP, false, 10, 32);
	pick4(test, client(0, 1), 1000);
	tpl = tpl4(f, client(0, 1));
	KUNIT_ASSERT_NOT_NULL(test, tpl);
	advance(11);
	rcu_read_lock();
	KUNIT_EXPECT_TRUE(test, l4lb_tpl_take(tpl));
	KUNIT_EXPECT_FALSE(test, l4lb_tpl_retire(f->ln, tpl, true));
	KUNIT_EXPECT_FALSE(test, l4lb_tpl_retire(f->ln, tpl, false));
	l4lb_tpl_put(f->ln, tpl);
	/* The put moved its deadline: not due, though idle. */
	KUNIT_EXPECT_FALSE(test, l4lb_tpl_retire(f->ln, tpl, true));
	KUNIT_EXPECT_TRUE(test, l4lb_tpl_retire(f->ln, tpl, false));
	KUNIT_EXPECT_FALSE(test, l4lb_tpl_take(tpl));
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
}

/*
 * sh with hash-port, persistent under /24: the scheduler hashes the
 * network, so a connection adopted without a SYN (its flow lost, or begun
 * on another balancer) goes where the template sends the network's new
 * connections. Break: hashing each client's address and port, the
 * adopted connections of ten clients spread over the three backends.
 */
static void persist_sh_adopt(struct kunit *test)
{
	struct l4lb_backend *a;
	struct l4lb_conn *conn;
	int i;

	add_svc_flags(test, IPPROTO_TCP, false, L4LB_SCHED_SH,
		      L4LB_SVC_F_HASH_PORT, PERSIST, 24);
	a = pick4(test, client(0, 1), 1000);
	for (i = 2; i < 12; i++) {
		conn = send4_flags(test, client(0, i), 3000 + 7 * i, KPKT_ACK);
		KUNIT_ASSERT_NOT_NULL(test, conn);
		KUNIT_EXPECT_EQ(test, conn->state, L4LB_CONN_ADOPTED);
		KUNIT_EXPECT_PTR_EQ(test, conn->be, a);
	}
}

/*
 * An adopted connection takes this balancer's template where the hash
 * says otherwise: the network's backend was drained after its template
 * was made, so it is out of the pool the hash picks from. Its flow is
 * counted on the template. Break: adopting by the hash alone.
 */
static void persist_adopt_drained(struct kunit *test)
{
	struct persist_fixture *f = test->priv;
	struct l4lb_backend *a;
	struct l4lb_conn *conn;
	int i;

	add_svc_sched(test, IPPROTO_TCP, false, L4LB_SCHED_SH, PERSIST, 24);
	a = pick4(test, client(0, 1), 1000);
	set_be(f, a, 0, false);
	for (i = 2; i < 6; i++) {
		conn = send4_flags(test, client(0, i), 4000 + i, KPKT_ACK);
		KUNIT_ASSERT_NOT_NULL(test, conn);
		KUNIT_EXPECT_EQ(test, conn->state, L4LB_CONN_ADOPTED);
		KUNIT_EXPECT_PTR_EQ(test, conn->be, a);
	}
	KUNIT_ASSERT_NOT_NULL(test, tpl4(f, client(0, 1)));
	KUNIT_EXPECT_EQ(test, tpl_flows(tpl4(f, client(0, 1))), 4);
	/* Another network has no template: the hash, over what is left. */
	conn = send4_flags(test, client(1, 1), 4000, KPKT_ACK);
	KUNIT_ASSERT_NOT_NULL(test, conn);
	KUNIT_EXPECT_PTR_NE(test, conn->be, a);
	KUNIT_EXPECT_NULL(test, tpl4(f, client(1, 1)));
}

/*
 * A template is keyed by its mask too: one a packet made under the old
 * mask while the mask changed (10.1.0.0/16) is not found under the new
 * one (10.1.0.0/24), whose network address is the same. Break: a key
 * without the prefix finds it.
 */
static void persist_mask_in_key(struct kunit *test)
{
	struct persist_fixture *f = test->priv;

	add_svc(test, IPPROTO_TCP, false, PERSIST, 16);
	pick4(test, client(0, 1), 1000);
	KUNIT_ASSERT_NOT_NULL(test, tpl4(f, client(0, 1)));
	/* The new mask without the service set's flush: the race's view. */
	WRITE_ONCE(f->svc->persist, l4lb_persist_make(PERSIST, 24));
	KUNIT_EXPECT_NULL(test, tpl4(f, client(0, 1)));
	WRITE_ONCE(f->svc->persist, l4lb_persist_make(PERSIST, 16));
	KUNIT_EXPECT_NOT_NULL(test, tpl4(f, client(0, 1)));
}

static struct kunit_case l4lb_persist_cases[] = {
	KUNIT_CASE(persist_sh_adopt),
	KUNIT_CASE(persist_adopt_drained),
	KUNIT_CASE(persist_mask_in_key),
	KUNIT_CASE(persist_same_client),
	KUNIT_CASE(persist_netmask),
	KUNIT_CASE(persist_expiry),
	KUNIT_CASE(persist_expired_not_reused),
	KUNIT_CASE(persist_backend_gone),
	KUNIT_CASE(persist_udp),
	KUNIT_CASE(persist_ipv6),
	KUNIT_CASE(persist_max_flows),
	KUNIT_CASE(persist_off),
	KUNIT_CASE(persist_every_sched),
	KUNIT_CASE(persist_take_retire),
	{}
};

static struct kunit_suite l4lb_persist_suite = {
	.name = "l4lb-persist",
	.init = persist_init,
	.exit = persist_exit,
	.test_cases = l4lb_persist_cases,
};

kunit_test_suite(l4lb_persist_suite);

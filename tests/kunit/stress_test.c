// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: every object's lifetime raced. Kernel threads at once on one
 * namespace, for a bounded time: two feed packets through both hooks
 * (creating, using, closing flows), one adds and removes services and
 * backends and changes weights and health, one flushes, sweeps, shrinks
 * the table (evictions) and moves the clock (expiry). At the end every
 * flow, backend and service is freed and every count is zero; KASAN,
 * lockdep and DEBUG_OBJECTS_RCU_HEAD catch a use after free, a lock
 * misused or an rcu_head queued twice. Both families at once: IPv4 and
 * IPv6 services, flows of both in one table.
 */

#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/in.h>
#include <linux/kthread.h>
#include <linux/random.h>
#include <linux/l4lb.h>
#include <net/net_namespace.h>

#include "../../kmod/backend.h"
#include "../../kmod/conn.h"
#include "../../kmod/departed.h"
#include "../../kmod/expiry.h"
#include "../../kmod/netns.h"
#include "../../kmod/persist.h"
#include "../../kmod/service.h"
#include "fixture.h"
#include "packet.h"

#define VIP	0x0a080808	/* 10.8.8.8 */
#define BE	0x0a080900	/* 10.8.9.0/24 */
#define NR_BE	4
/*
 * Services 0-2 IPv4, 3-5 the same over IPv6; 6 (IPv4) and 7 (IPv6) TCP
 * sh on port 82, sharing service 0's and 3's servers (their port 80, or
 * the portless servers of ranges).
 */
#define NR_SVC	8

/* 2001:db8:8::8 the IPv6 VIP, 2001:db8:9::N backends, 2001:db8:7::N clients. */
static struct in6_addr addr6(u8 net, u8 host)
{
	struct in6_addr a = { { { 0x20, 0x01, 0x0d, 0xb8, 0, net } } };

	a.s6_addr[15] = host;
	return a;
}

struct stress {
	struct l4lb_net *ln;
	unsigned long end;
	atomic_t packets, changes, flushes;
};

/* 0 TCP, 1 UDP sh, 2 stateless UDP: services 6 and 7 are TCP. */
static unsigned int svc_kind(unsigned int i)
{
	return i < 6 ? i % 3 : 0;
}

static bool svc_v6(unsigned int i)
{
	return i < 6 ? i >= 3 : i == 7;
}

/*
 * Service @i's backends' port: none in a range (@ranged), else the
 * sharing services' is port 80. A range's portless server and a single
 * port's server of the same address (services 0 and 6) at once is what
 * netlink refuses (be_ports_clash()): the packet path must bear it too.
 */
static __be16 be_port(unsigned int i, const struct l4lb_svc_key *key,
		      bool ranged)
{
	if (ranged)
		return 0;
	return i >= 6 ? htons(80) : key->port;
}

static void svc_key(struct l4lb_svc_key *key, unsigned int i)
{
	struct in6_addr vip6 = addr6(8, 8);
	u8 proto = svc_kind(i) ? IPPROTO_UDP : IPPROTO_TCP;
	__be16 port = htons(i >= 6 ? 82 : svc_kind(i) == 2 ? 53 : 80);

	if (!svc_v6(i))
		l4lb_svc_key_init4(key, proto, htonl(VIP), port);
	else
		l4lb_svc_key_init6(key, proto, &vip6, port);
}

/* Backend @b of service @i's family. */
static void be_addr(union nf_inet_addr *a, unsigned int i, unsigned int b)
{
	memset(a, 0, sizeof(*a));
	if (!svc_v6(i))
		a->ip = htonl(BE + b);
	else
		a->in6 = addr6(9, b);
}

/*
 * Service @i (0 TCP rr or mh, as it falls: mh adopts flows from either
 * side; 1 UDP sh, 2 stateless UDP rr; 3-5 the same over IPv6) with NR_BE
 * backends; or each the same as a range of its port and the next, with
 * portless backends.
 */
/* Persistence of 1 to 3 s, by address or by network (/24, /64). */
static u32 random_persist(const struct l4lb_svc_key *key)
{
	bool v6 = key->family == AF_INET6;
	u8 prefix = get_random_u32_below(2) ? (v6 ? 64 : 24) : (v6 ? 128 : 32);

	return l4lb_persist_make(1 + get_random_u32_below(3), prefix);
}

static void svc_add(struct l4lb_net *ln, unsigned int i)
{
	struct l4lb_svc_config cfg;
	struct l4lb_service *svc;
	union nf_inet_addr a;
	struct l4lb_svc_key key;
	unsigned int b;

	svc_key(&key, i);
	l4lb_service_default_config(key.proto, &cfg);
	cfg.flags = svc_kind(i) == 2 ? L4LB_SVC_F_STATELESS : 0;
	cfg.sched = svc_kind(i) == 1 || i >= 6 ? L4LB_SCHED_SH : L4LB_SCHED_RR;
	if (i < 6 && !svc_kind(i) && get_random_u32_below(2)) {
		cfg.sched = L4LB_SCHED_MH;
		cfg.flags = L4LB_SVC_F_HASH_PORT;
	}
	if (!(cfg.flags & L4LB_SVC_F_STATELESS) && get_random_u32_below(2))
		cfg.persist = random_persist(&key);
	/* Half the time a range of two ports, its backends portless. */
	if (get_random_u32_below(2))
		cfg.port_last = ntohs(key.port) + 1;
	mutex_lock(&ln->lock);
	if (!l4lb_service_add(ln, &key, &cfg)) {
		rcu_read_lock();
		svc = l4lb_service_lookup(ln, &key);
		rcu_read_unlock();
		for (b = 0; b < NR_BE; b++) {
			be_addr(&a, i, b);
			l4lb_backend_add(ln, svc, &a,
					 be_port(i, &key, cfg.port_last), 1);
		}
	}
	mutex_unlock(&ln->lock);
}

static void svc_del(struct l4lb_net *ln, unsigned int i)
{
	struct l4lb_svc_key key;

	svc_key(&key, i);
	mutex_lock(&ln->lock);
	l4lb_service_remove(ln, &key);
	mutex_unlock(&ln->lock);
}

/* An IPv6 packet of the same kind as packets_fn()'s IPv4 one. */
static void packet6(u8 *buf, const struct kpkt *p, u32 r, bool in)
{
	struct kpkt6 p6 = { .proto = p->proto, .sport = p->sport,
			    .dport = p->dport, .flags = p->flags,
			    .payload = p->payload, .hbh = r & 1 };
	struct sk_buff *skb;
	unsigned int len;

	p6.saddr = in ? addr6(7, p->saddr & 31) : addr6(9, p->saddr % NR_BE);
	p6.daddr = in ? addr6(8, 8) : addr6(7, p->daddr & 31);
	kpkt6_build(buf, &p6, &len);
	skb = kpkt6_skb(buf, len, (r >> 1) & 1 ? len : 40, 0);
	if (skb && kpkt6_hook(skb, in) == NF_STOLEN)
		skb = NULL;
	kfree_skb(skb);
}

/* Clients and backends talking: SYN, SYN-ACK, ACK, data, FIN, RST, UDP. */
static int packets_fn(void *arg)
{
	static const u8 flags[] = { KPKT_SYN, KPKT_SYN | KPKT_ACK, KPKT_ACK,
				    KPKT_FIN | KPKT_ACK, KPKT_RST };
	struct stress *s = arg;
	struct sk_buff *skb;
	struct kpkt p;
	unsigned int len;
	bool in;
	u8 *buf;

	buf = kmalloc(KPKT_MAX, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	while (!kthread_should_stop()) {
		u32 r = get_random_u32();
		/* The second port of a range, or of no service. */
		u16 next = get_random_u32_below(2);
		/* Now and then the services sharing port 80's servers. */
		bool shared = get_random_u32_below(2);
		u16 port;

		memset(&p, 0, sizeof(p));
		p.proto = r & 1 ? IPPROTO_UDP : IPPROTO_TCP;
		p.flags = flags[(r >> 1) % ARRAY_SIZE(flags)];
		p.payload = (r >> 4) & 63;
		port = p.proto == IPPROTO_UDP && (r >> 18) & 1 ? 53 :
		       p.proto == IPPROTO_TCP && shared ? 82 : 80;
		in = (r >> 10) & 1;
		if (in) {
			p.saddr = 0x0a070000 + ((r >> 11) & 31);
			p.sport = 1000 + ((r >> 16) & 3);
			p.daddr = VIP;
			p.dport = port + next;
		} else {
			p.saddr = BE + ((r >> 11) % NR_BE);
			p.sport = port + next;
			p.daddr = 0x0a070000 + ((r >> 19) & 31);
			p.dport = 1000 + ((r >> 24) & 3);
		}
		if ((r >> 27) & 1) {
			/* The same over IPv6, both families in one table. */
			packet6(buf, &p, r >> 28, in);
			atomic_inc(&s->packets);
			cond_resched();
			continue;
		}
		len = kpkt_build(buf, &p);
		skb = kpkt_skb(buf, len, (r >> 26) & 1 ? len : 20, 0);
		if (skb && kpkt_ip_rcv(skb) &&
		    kpkt_hook(skb, in, NULL) == NF_STOLEN)
			skb = NULL;
		kfree_skb(skb);
		atomic_inc(&s->packets);
		cond_resched();
	}
	kfree(buf);
	return 0;
}

/*
 * The operator and a health checker, changing everything at once: a
 * backend comes back as the fallback server a time in four (replacing the
 * one there was), and weight changes come with connection limits of 0 to
 * 3 flows, so backends fill and empty under the packets.
 */
static int control_fn(void *arg)
{
	struct stress *s = arg;
	struct l4lb_be_limits lim;
	struct l4lb_service *svc;
	struct l4lb_backend *be;
	union nf_inet_addr a;
	struct l4lb_svc_key key;
	bool ranged;

	while (!kthread_should_stop()) {
		u32 r = get_random_u32();
		unsigned int i = r % NR_SVC;

		svc_key(&key, i);
		be_addr(&a, i, (r >> 3) % NR_BE);
		mutex_lock(&s->ln->lock);
		rcu_read_lock();
		svc = l4lb_service_lookup(s->ln, &key);
		rcu_read_unlock();
		ranged = svc && l4lb_svc_ranged(svc);
		be = svc ? l4lb_backend_find(svc, &a,
					     be_port(i, &key, ranged)) : NULL;
		switch ((r >> 8) % 5) {
		case 0:
			if (be)
				l4lb_backend_remove(s->ln, be);
			else if (svc && !((r >> 12) & 3))
				l4lb_backend_add_fallback(s->ln, svc, &a,
							  be_port(i, &key,
								  ranged));
			else if (svc)
				l4lb_backend_add(s->ln, svc, &a,
						 be_port(i, &key, ranged), 1);
			break;
		case 1:
			if (be && !be->fallback) {
				l4lb_backend_set(s->ln, be, (r >> 12) % 3,
						 be->down);
				lim.max_conns = (r >> 16) % 4;
				lim.min_conns = 0;
				l4lb_backend_set_limits(s->ln, be, &lim);
			}
			break;
		case 2:
			if (be)
				l4lb_backend_set(s->ln, be, be->weight,
						 !be->down);
			break;
		case 3:
			if (svc && !((r >> 14) & 7))
				l4lb_service_remove(s->ln, &key);
			/* Persistence on, off, or another mask. */
			else if (svc && !(svc->flags & L4LB_SVC_F_STATELESS))
				l4lb_service_set_persist(s->ln, svc,
							 (r >> 17) & 1 ? 0 :
							 random_persist(&key));
			break;
		default:
			WRITE_ONCE(s->ln->down_flows, ((r >> 14) & 3) % 3);
		}
		mutex_unlock(&s->ln->lock);
		if (!svc)
			svc_add(s->ln, i);
		atomic_inc(&s->changes);
		cond_resched();
	}
	return 0;
}

/*
 * Waits until no free is in flight (a flow's free puts its backend, whose
 * free puts its service, each after a grace period of its own), with the
 * keys removed backends left (departed.c) forgotten as the sweep would
 * once their time is over. Returns the objects left then.
 */
static int stress_settle(struct l4lb_net *ln)
{
	u32 now = l4lb_clock_offset;
	int i = 0, n;

	do {
		n = atomic_read(&l4lb_objects);
		rcu_barrier();
		/* Past the longest time a key is kept, from now. */
		l4lb_clock_offset = now + 2 * L4LB_TCP_TIMEOUT_MAX * HZ;
		l4lb_departed_reap(ln);
		l4lb_clock_offset = now;
		rcu_barrier();
	} while (atomic_read(&l4lb_objects) != n && ++i < 20);
	return atomic_read(&l4lb_objects);
}

/* Flushes, sweeps, a shrinking table and a clock that jumps. */
static int cleaner_fn(void *arg)
{
	struct stress *s = arg;
	bool done;

	while (!kthread_should_stop()) {
		u32 r = get_random_u32();

		switch (r % 4) {
		case 0:
			conn_fixture_flush(s->ln);
			atomic_inc(&s->flushes);
			break;
		case 1:
			l4lb_expiry_step(s->ln, 16, &done);
			break;
		case 2:
			WRITE_ONCE(s->ln->max_conns, 8 + ((r >> 2) & 63));
			break;
		default:
			l4lb_clock_offset += (r >> 2) % (20 * HZ);
		}
		cond_resched();
	}
	return 0;
}

static void stress_lifetimes(struct kunit *test)
{
	static int (*const fns[])(void *) = { packets_fn, packets_fn,
					     control_fn, cleaner_fn };
	struct task_struct *t[ARRAY_SIZE(fns)];
	struct stress *s;
	u32 saved_max;
	int base;
	unsigned int i;

	s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, s);
	s->ln = l4lb_net(&init_net);
	saved_max = s->ln->max_conns;
	/*
	 * Objects left by other suites' frees still in flight: a flow's
	 * free puts its backend, whose free puts its service, each after
	 * a grace period of its own. Wait until none is left in flight.
	 */
	base = stress_settle(s->ln);
	for (i = 0; i < NR_SVC; i++)
		svc_add(s->ln, i);
	l4lb_expiry_stop(s->ln);

	for (i = 0; i < ARRAY_SIZE(fns); i++) {
		t[i] = kthread_run(fns[i], s, "l4lb-stress/%u", i);
		KUNIT_ASSERT_FALSE(test, IS_ERR(t[i]));
	}
	msleep(4000);
	for (i = 0; i < ARRAY_SIZE(fns); i++)
		kthread_stop(t[i]);
	kunit_info(test, "%d packets, %d changes, %d flushes\n",
		   atomic_read(&s->packets), atomic_read(&s->changes),
		   atomic_read(&s->flushes));
	KUNIT_EXPECT_GT(test, atomic_read(&s->packets), 1000);
	KUNIT_EXPECT_GT(test, atomic_read(&s->changes), 100);

	for (i = 0; i < NR_SVC; i++)
		svc_del(s->ln, i);
	conn_fixture_flush(s->ln);
	KUNIT_EXPECT_EQ(test, atomic_read(&s->ln->nr_conns), 0);
	/* Flows, then backends, then services: each frees the next. */
	KUNIT_EXPECT_EQ(test, stress_settle(s->ln), base);
	s->ln->max_conns = saved_max;
	WRITE_ONCE(s->ln->down_flows, L4LB_DOWN_FLOWS_KEEP);
	l4lb_clock_offset = 0;
}

static struct kunit_case l4lb_stress_cases[] = {
	KUNIT_CASE(stress_lifetimes),
	{}
};

static struct kunit_suite l4lb_stress_suite = {
	.name = "l4lb-stress",
	.test_cases = l4lb_stress_cases,
};

kunit_test_suite(l4lb_stress_suite);

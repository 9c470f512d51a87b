// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the connection table of a real namespace (init_net): keys, TCP
 * state transitions and the active count, expiry at its boundaries
 * (jiffies wrap-around included), the table limit and the sweep.
 */

#include <kunit/test.h>
#include <linux/in.h>
#include <linux/l4lb.h>
#include <net/net_namespace.h>

#include "../../kmod/backend.h"
#include "../../kmod/conn.h"
#include "../../kmod/expiry.h"
#include "../../kmod/netns.h"
#include "../../kmod/service.h"

struct conn_fixture {
	struct l4lb_net *ln;
	struct l4lb_service *svc;
	struct l4lb_backend *be;
	struct l4lb_svc_key key;
	u32 saved_max;
};

/* A TCP service 10.9.9.9:80 with one backend 10.9.9.10:80. */
static int conn_test_init(struct kunit *test)
{
	struct conn_fixture *f;
	struct l4lb_svc_config cfg;
	union nf_inet_addr addr = {};
	int ret;

	f = kunit_kzalloc(test, sizeof(*f), GFP_KERNEL);
	if (!f)
		return -ENOMEM;
	f->ln = l4lb_net(&init_net);
	l4lb_svc_key_init4(&f->key, IPPROTO_TCP, htonl(0x0a090909), htons(80));
	l4lb_service_default_config(IPPROTO_TCP, &cfg);
	addr.ip = htonl(0x0a09090a);

	mutex_lock(&f->ln->lock);
	ret = l4lb_service_add(f->ln, &f->key, &cfg);
	if (!ret) {
		rcu_read_lock();
		f->svc = l4lb_service_lookup(f->ln, &f->key);
		rcu_read_unlock();
		ret = l4lb_backend_add(f->ln, f->svc, &addr, htons(80), 1);
	}
	if (!ret)
		f->be = list_first_entry(&f->svc->backends,
					 struct l4lb_backend, list);
	mutex_unlock(&f->ln->lock);
	/* The test drives the sweep itself. */
	l4lb_expiry_stop(f->ln);
	f->saved_max = f->ln->max_conns;
	l4lb_clock_offset = 0;
	test->priv = f;
	return ret;
}

/* Runs the sweep until a whole pass ends; returns the entries it freed. */
static unsigned int sweep_all(struct l4lb_net *ln)
{
	unsigned int gone = 0;
	bool done = false;

	while (!done)
		gone += l4lb_expiry_step(ln, 2, &done);
	return gone;
}

static void conn_test_exit(struct kunit *test)
{
	struct conn_fixture *f = test->priv;

	mutex_lock(&f->ln->lock);
	l4lb_service_remove(f->ln, &f->key);
	mutex_unlock(&f->ln->lock);
	/* Its flows are orphans now: one pass takes them all. */
	sweep_all(f->ln);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
	f->ln->max_conns = f->saved_max;
	l4lb_clock_offset = 0;
}

static void orig_key(struct l4lb_orig_key *k, const struct l4lb_service *svc,
		     u32 caddr, u16 cport)
{
	l4lb_orig_key_init4(k, svc, IPPROTO_TCP, htonl(caddr), htons(cport));
}

static void reply_key(struct l4lb_reply_key *k, const struct l4lb_backend *be,
		      u32 caddr, u16 cport)
{
	l4lb_reply_key_init4(k, IPPROTO_TCP, be->key.addr.ip, be->key.port,
			     htonl(caddr), htons(cport));
}

static struct l4lb_conn *create(struct conn_fixture *f, u32 caddr, u16 cport)
{
	struct l4lb_orig_key k;
	struct l4lb_conn *conn;

	orig_key(&k, f->svc, caddr, cport);
	rcu_read_lock();
	conn = l4lb_conn_create(f->ln, &k, f->be, L4LB_CONN_SYN_SEEN);
	rcu_read_unlock();
	return conn;
}

static struct l4lb_conn *find(struct conn_fixture *f, u32 caddr, u16 cport)
{
	struct l4lb_orig_key k;
	struct l4lb_conn *conn;

	orig_key(&k, f->svc, caddr, cport);
	rcu_read_lock();
	conn = l4lb_conn_lookup_orig(f->ln, &k);
	rcu_read_unlock();
	return conn;
}

/* Guards the memory budget: one cache line per flow or session. */
static void conn_fits_a_cache_line(struct kunit *test)
{
	KUNIT_EXPECT_LE(test, sizeof(struct l4lb_conn), 64UL);
}

/* The seeds' 4-tuple: same client and VIP, other port, other flow. */
static void conn_keys_tell_ports_apart(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_reply_key rk;
	struct l4lb_conn *a, *b;

	a = create(f, 0xc0a80132, 54321);
	b = create(f, 0xc0a80132, 54322);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_PTR_EQ(test, find(f, 0xc0a80132, 54321), a);
	KUNIT_EXPECT_PTR_EQ(test, find(f, 0xc0a80132, 54322), b);
	KUNIT_EXPECT_NULL(test, find(f, 0xc0a80132, 54323));
	KUNIT_EXPECT_NULL(test, find(f, 0xc0a80133, 54321));

	reply_key(&rk, f->be, 0xc0a80132, 54322);
	rcu_read_lock();
	KUNIT_EXPECT_PTR_EQ(test, l4lb_conn_lookup_reply(f->ln, &rk), b);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, atomic_read(&f->be->active), 2);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 2);
}

/* A second create for the same key returns the first flow. */
static void conn_create_race_returns_existing(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *a = create(f, 0xc0a80132, 1000);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_PTR_EQ(test, create(f, 0xc0a80132, 1000), a);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->be->active), 1);
}

/* SYN -> ESTABLISHED -> CLOSING; the active count drops exactly once. */
static void conn_tcp_states(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *c = create(f, 0xc0a80132, 2000);
	u32 now = l4lb_now();

	KUNIT_ASSERT_NOT_NULL(test, c);
	KUNIT_EXPECT_EQ(test, c->state, (u8)L4LB_CONN_SYN_SEEN);
	KUNIT_EXPECT_EQ(test, c->deadline, now + 30 * HZ);

	l4lb_conn_established(f->ln, c);
	KUNIT_EXPECT_EQ(test, c->state, (u8)L4LB_CONN_ESTABLISHED);
	KUNIT_EXPECT_EQ(test, c->deadline, now + 900 * HZ);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->be->active), 1);

	l4lb_conn_closing(f->ln, c);
	KUNIT_EXPECT_EQ(test, c->state, (u8)L4LB_CONN_CLOSING);
	KUNIT_EXPECT_EQ(test, c->deadline, now + 10 * HZ);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->be->active), 0);
	/* A retransmitted FIN, the peer's FIN: no second decrement. */
	l4lb_conn_closing(f->ln, c);
	/* Closing never goes back to established. */
	l4lb_conn_established(f->ln, c);
	KUNIT_EXPECT_EQ(test, c->state, (u8)L4LB_CONN_CLOSING);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->be->active), 0);

	rcu_read_lock();
	l4lb_conn_unlink(f->ln, c);
	rcu_read_unlock();
	KUNIT_EXPECT_EQ(test, atomic_read(&f->be->active), 0);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
	KUNIT_EXPECT_NULL(test, find(f, 0xc0a80132, 2000));
}

/* Alive until the last jiffy before the deadline, expired at it. */
static void check_boundary(struct kunit *test, u32 start_offset)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *c;
	u32 t = 30 * HZ;

	l4lb_clock_offset = start_offset;
	c = create(f, 0xc0a80132, 3000 + (start_offset & 0xff));
	KUNIT_ASSERT_NOT_NULL(test, c);
	l4lb_clock_offset = start_offset + t - 1;
	KUNIT_EXPECT_TRUE(test, l4lb_conn_alive(c, l4lb_now()));
	l4lb_clock_offset = start_offset + t;
	KUNIT_EXPECT_FALSE(test, l4lb_conn_alive(c, l4lb_now()));
	KUNIT_EXPECT_EQ(test, sweep_all(f->ln), 1U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 0);
}

static void conn_expiry_boundary(struct kunit *test)
{
	check_boundary(test, 0);
}

/* The deadline lies past the 32-bit wrap of the clock. */
static void conn_expiry_across_wrap(struct kunit *test)
{
	check_boundary(test, (u32)(0xffffffffU - (u32)jiffies - 5 * HZ));
}

/* A packet refreshes the deadline: idle time counts from the last one. */
static void conn_refresh_extends(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *c = create(f, 0xc0a80132, 4000);

	KUNIT_ASSERT_NOT_NULL(test, c);
	l4lb_clock_offset = 20 * HZ;
	l4lb_conn_refresh(f->ln, c);
	l4lb_clock_offset = 45 * HZ;
	KUNIT_EXPECT_TRUE(test, l4lb_conn_alive(c, l4lb_now()));
	KUNIT_EXPECT_EQ(test, sweep_all(f->ln), 0U);
	l4lb_clock_offset = 50 * HZ;
	KUNIT_EXPECT_EQ(test, sweep_all(f->ln), 1U);
}

/* Beyond max_conns no new flow; the existing ones are untouched. */
static void conn_table_full(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *a, *b;

	f->ln->max_conns = 2;
	a = create(f, 0xc0a80132, 5000);
	b = create(f, 0xc0a80132, 5001);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	/* Established: not to be evicted. */
	l4lb_conn_established(f->ln, a);
	l4lb_conn_established(f->ln, b);
	KUNIT_EXPECT_NULL(test, create(f, 0xc0a80132, 5002));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 2);
	KUNIT_EXPECT_PTR_EQ(test, find(f, 0xc0a80132, 5000), a);
	KUNIT_EXPECT_PTR_EQ(test, find(f, 0xc0a80132, 5001), b);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->be->active), 2);
}

/* A full table evicts a half-open flow first, never an established one. */
static void conn_table_full_evicts_half_open(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *a, *b, *c;

	f->ln->max_conns = 3;
	a = create(f, 0xc0a80132, 7000);
	b = create(f, 0xc0a80132, 7001);
	c = create(f, 0xc0a80132, 7002);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	l4lb_conn_established(f->ln, a);
	l4lb_conn_established(f->ln, c);

	/* b is the only half-open one: it makes room. */
	KUNIT_EXPECT_NOT_NULL(test, create(f, 0xc0a80132, 7003));
	KUNIT_EXPECT_NULL(test, find(f, 0xc0a80132, 7001));
	KUNIT_EXPECT_PTR_EQ(test, find(f, 0xc0a80132, 7000), a);
	KUNIT_EXPECT_PTR_EQ(test, find(f, 0xc0a80132, 7002), c);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 3);

	/* Now the newcomer is the only half-open one, then nobody. */
	l4lb_conn_established(f->ln, find(f, 0xc0a80132, 7003));
	KUNIT_EXPECT_NULL(test, create(f, 0xc0a80132, 7004));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 3);
}

/* The sweep frees only what expired, in budgeted steps, in one pass. */
static void conn_sweep_budgeted(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	unsigned int i, steps = 0, gone = 0;
	bool done = false;

	for (i = 0; i < 10; i++)
		KUNIT_ASSERT_NOT_NULL(test, create(f, 0xc0a80100 + i, 6000));
	l4lb_conn_established(f->ln, find(f, 0xc0a80100, 6000));
	l4lb_clock_offset = 31 * HZ;
	while (!done) {
		gone += l4lb_expiry_step(f->ln, 3, &done);
		steps++;
	}
	/* 10 entries, 3 a step: at least 4 steps; the established one stays. */
	KUNIT_EXPECT_GE(test, steps, 4U);
	KUNIT_EXPECT_EQ(test, gone, 9U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 1);
	KUNIT_EXPECT_NOT_NULL(test, find(f, 0xc0a80100, 6000));
}

static struct kunit_case l4lb_conn_cases[] = {
	KUNIT_CASE(conn_fits_a_cache_line),
	KUNIT_CASE(conn_keys_tell_ports_apart),
	KUNIT_CASE(conn_create_race_returns_existing),
	KUNIT_CASE(conn_tcp_states),
	KUNIT_CASE(conn_expiry_boundary),
	KUNIT_CASE(conn_expiry_across_wrap),
	KUNIT_CASE(conn_refresh_extends),
	KUNIT_CASE(conn_table_full),
	KUNIT_CASE(conn_table_full_evicts_half_open),
	KUNIT_CASE(conn_sweep_budgeted),
	{}
};

static struct kunit_suite l4lb_conn_suite = {
	.name = "l4lb-conn",
	.init = conn_test_init,
	.exit = conn_test_exit,
	.test_cases = l4lb_conn_cases,
};

kunit_test_suite(l4lb_conn_suite);

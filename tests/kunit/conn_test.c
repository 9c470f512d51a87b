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

#include "../../kmod/expiry.h"
#include "fixture.h"

static void reply_key(struct l4lb_reply_key *k, const struct l4lb_backend *be,
		      u32 caddr, u16 cport)
{
	l4lb_reply_key_init4(k, IPPROTO_TCP, be->key.addr.ip, be->key.port,
			     htonl(caddr), htons(cport));
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

	a = conn_fixture_create(f, 0xc0a80132, 54321);
	b = conn_fixture_create(f, 0xc0a80132, 54322);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_PTR_NE(test, a, b);
	KUNIT_EXPECT_PTR_EQ(test, conn_fixture_find(f, 0xc0a80132, 54321), a);
	KUNIT_EXPECT_PTR_EQ(test, conn_fixture_find(f, 0xc0a80132, 54322), b);
	KUNIT_EXPECT_NULL(test, conn_fixture_find(f, 0xc0a80132, 54323));
	KUNIT_EXPECT_NULL(test, conn_fixture_find(f, 0xc0a80133, 54321));

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
	struct l4lb_conn *a = conn_fixture_create(f, 0xc0a80132, 1000);

	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_PTR_EQ(test, conn_fixture_create(f, 0xc0a80132, 1000), a);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 1);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->be->active), 1);
}

/* SYN -> ESTABLISHED -> CLOSING; the active count drops exactly once. */
static void conn_tcp_states(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *c = conn_fixture_create(f, 0xc0a80132, 2000);
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
	KUNIT_EXPECT_NULL(test, conn_fixture_find(f, 0xc0a80132, 2000));
}

/* Alive until the last jiffy before the deadline, expired at it. */
static void check_boundary(struct kunit *test, u32 start_offset)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *c;
	u32 t = 30 * HZ;

	l4lb_clock_offset = start_offset;
	c = conn_fixture_create(f, 0xc0a80132, 3000 + (start_offset & 0xff));
	KUNIT_ASSERT_NOT_NULL(test, c);
	l4lb_clock_offset = start_offset + t - 1;
	KUNIT_EXPECT_TRUE(test, l4lb_conn_alive(c, l4lb_now()));
	l4lb_clock_offset = start_offset + t;
	KUNIT_EXPECT_FALSE(test, l4lb_conn_alive(c, l4lb_now()));
	KUNIT_EXPECT_EQ(test, conn_fixture_sweep(f->ln), 1U);
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
	struct l4lb_conn *c = conn_fixture_create(f, 0xc0a80132, 4000);

	KUNIT_ASSERT_NOT_NULL(test, c);
	l4lb_clock_offset = 20 * HZ;
	l4lb_conn_refresh(f->ln, c);
	l4lb_clock_offset = 45 * HZ;
	KUNIT_EXPECT_TRUE(test, l4lb_conn_alive(c, l4lb_now()));
	KUNIT_EXPECT_EQ(test, conn_fixture_sweep(f->ln), 0U);
	l4lb_clock_offset = 50 * HZ;
	KUNIT_EXPECT_EQ(test, conn_fixture_sweep(f->ln), 1U);
}

/* Beyond max_conns no new flow; the existing ones are untouched. */
static void conn_table_full(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *a, *b;

	f->ln->max_conns = 2;
	a = conn_fixture_create(f, 0xc0a80132, 5000);
	b = conn_fixture_create(f, 0xc0a80132, 5001);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	/* Established: not to be evicted. */
	l4lb_conn_established(f->ln, a);
	l4lb_conn_established(f->ln, b);
	KUNIT_EXPECT_NULL(test, conn_fixture_create(f, 0xc0a80132, 5002));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 2);
	KUNIT_EXPECT_PTR_EQ(test, conn_fixture_find(f, 0xc0a80132, 5000), a);
	KUNIT_EXPECT_PTR_EQ(test, conn_fixture_find(f, 0xc0a80132, 5001), b);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->be->active), 2);
}

/* A full table evicts a half-open flow first, never an established one. */
static void conn_table_full_evicts_half_open(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	struct l4lb_conn *a, *b, *c;

	f->ln->max_conns = 3;
	a = conn_fixture_create(f, 0xc0a80132, 7000);
	b = conn_fixture_create(f, 0xc0a80132, 7001);
	c = conn_fixture_create(f, 0xc0a80132, 7002);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_ASSERT_NOT_NULL(test, c);
	l4lb_conn_established(f->ln, a);
	l4lb_conn_established(f->ln, c);

	/* b is the only half-open one: it makes room. */
	KUNIT_EXPECT_NOT_NULL(test, conn_fixture_create(f, 0xc0a80132, 7003));
	KUNIT_EXPECT_NULL(test, conn_fixture_find(f, 0xc0a80132, 7001));
	KUNIT_EXPECT_PTR_EQ(test, conn_fixture_find(f, 0xc0a80132, 7000), a);
	KUNIT_EXPECT_PTR_EQ(test, conn_fixture_find(f, 0xc0a80132, 7002), c);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 3);

	/* Now the newcomer is the only half-open one, then nobody. */
	l4lb_conn_established(f->ln, conn_fixture_find(f, 0xc0a80132, 7003));
	KUNIT_EXPECT_NULL(test, conn_fixture_create(f, 0xc0a80132, 7004));
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 3);
}

/* The sweep frees only what expired, in budgeted steps, in one pass. */
static void conn_sweep_budgeted(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	unsigned int i, steps = 0, gone = 0;
	bool done = false;

	for (i = 0; i < 10; i++)
		KUNIT_ASSERT_NOT_NULL(test, conn_fixture_create(f, 0xc0a80100 + i, 6000));
	l4lb_conn_established(f->ln, conn_fixture_find(f, 0xc0a80100, 6000));
	l4lb_clock_offset = 31 * HZ;
	while (!done) {
		gone += l4lb_expiry_step(f->ln, 3, &done);
		steps++;
	}
	/* 10 entries, 3 a step: at least 4 steps; the established one stays. */
	KUNIT_EXPECT_GE(test, steps, 4U);
	KUNIT_EXPECT_EQ(test, gone, 9U);
	KUNIT_EXPECT_EQ(test, atomic_read(&f->ln->nr_conns), 1);
	KUNIT_EXPECT_NOT_NULL(test, conn_fixture_find(f, 0xc0a80100, 6000));
}

/*
 * The sweep's pace: a second between passes; back to back through a
 * backlog; over a big table, a pass spread over about L4LB_SWEEP_PASS.
 */
static void conn_sweep_paced(struct kunit *test)
{
	const unsigned int b = L4LB_SWEEP_BUDGET;
	unsigned int cost, steps;
	unsigned long d;

	KUNIT_EXPECT_EQ(test, l4lb_expiry_delay(0, b, 100, true),
			(unsigned long)HZ);
	/* A sixteenth of a step expired: a backlog, no waiting. */
	KUNIT_EXPECT_EQ(test, l4lb_expiry_delay(b / 16, b, 3000000, false),
			0UL);
	for (cost = 2 * b; cost <= 48000000; cost *= 3) {
		d = l4lb_expiry_delay(b / 16 - 1, b, cost, false);
		steps = DIV_ROUND_UP(cost, b);
		/* Never a busy loop, never more than a second a step... */
		KUNIT_EXPECT_GE(test, d, 1UL);
		KUNIT_EXPECT_LE(test, d, (unsigned long)HZ);
		/*
		 * ...and a pass L4LB_SWEEP_PASS long where it can be, give
		 * or take the rounding up of steps and jiffies.
		 */
		if (d > 1 && d < HZ) {
			KUNIT_EXPECT_GE(test, steps * d, L4LB_SWEEP_PASS);
			KUNIT_EXPECT_LE(test, steps * d,
					L4LB_SWEEP_PASS + steps + d + 1);
		}
	}
}

/*
 * The filter of backend sources: set for a backend from its add on, still
 * set after its removal (its flows' replies), clear for a source that
 * never was a backend (a client's packet after DNAT, passing traffic).
 */
static void conn_be_seen_filter(struct kunit *test)
{
	struct conn_fixture *f = test->priv;
	union nf_inet_addr addr = { .ip = htonl(0xc6336442) };
	struct l4lb_backend *be;

	KUNIT_EXPECT_TRUE(test, l4lb_be_seen(f->ln, f->be->key.addr.ip,
					     htons(80), IPPROTO_TCP));
	/* A client of the other tests, after DNAT: not from a backend. */
	KUNIT_EXPECT_FALSE(test, l4lb_be_seen(f->ln, htonl(0xc0a80132),
					      htons(54321), IPPROTO_TCP));
	KUNIT_EXPECT_FALSE(test, l4lb_be_seen(f->ln, addr.ip, htons(4242),
					      IPPROTO_TCP));

	mutex_lock(&f->ln->lock);
	KUNIT_ASSERT_EQ(test, l4lb_backend_add(f->ln, f->svc, &addr,
					       htons(4242), 1), 0);
	KUNIT_EXPECT_TRUE(test, l4lb_be_seen(f->ln, addr.ip, htons(4242),
					     IPPROTO_TCP));
	be = l4lb_backend_find(f->svc, &addr, htons(4242));
	KUNIT_ASSERT_NOT_NULL(test, be);
	l4lb_backend_remove(f->ln, be);
	mutex_unlock(&f->ln->lock);
	KUNIT_EXPECT_TRUE(test, l4lb_be_seen(f->ln, addr.ip, htons(4242),
					     IPPROTO_TCP));
	/* Same address, another port or protocol: another bit. */
	KUNIT_EXPECT_FALSE(test, l4lb_be_seen(f->ln, addr.ip, htons(4243),
					      IPPROTO_TCP));
	KUNIT_EXPECT_FALSE(test, l4lb_be_seen(f->ln, addr.ip, htons(4242),
					      IPPROTO_UDP));
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
	KUNIT_CASE(conn_sweep_paced),
	KUNIT_CASE(conn_be_seen_filter),
	{}
};

static struct kunit_suite l4lb_conn_suite = {
	.name = "l4lb-conn",
	.init = conn_fixture_init,
	.exit = conn_fixture_exit,
	.test_cases = l4lb_conn_cases,
};

kunit_test_suite(l4lb_conn_suite);

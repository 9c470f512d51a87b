// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: every scheduler's choices, on pools built the way the control
 * plane builds them.
 */

#include <kunit/test.h>
#include <linux/in.h>
#include <linux/random.h>
#include <linux/l4lb.h>

#include "../../kmod/backend.h"
#include "../../kmod/sched.h"
#include "../../kmod/service.h"

/*
 * A service with @n backends 10.0.2.(11+id):80 of the given weights, added
 * in the order of @ids (id i is the i-th added when NULL).
 */
static struct l4lb_service *make_svc_ids(struct kunit *test, u8 sched,
					 unsigned int n, const u16 *weights,
					 const unsigned int *ids)
{
	struct l4lb_service *svc;
	struct l4lb_backend *be;
	struct l4lb_pool *pool;
	unsigned int i;

	svc = kunit_kzalloc(test, sizeof(*svc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, svc);
	svc->sched = sched;
	INIT_LIST_HEAD(&svc->backends);
	for (i = 0; i < n; i++) {
		be = kunit_kzalloc(test, sizeof(*be), GFP_KERNEL);
		KUNIT_ASSERT_NOT_NULL(test, be);
		be->key.addr.ip = htonl(0x0a00020b + (ids ? ids[i] : i));
		be->key.port = htons(80);
		be->weight = weights ? weights[ids ? ids[i] : i] : 1;
		be->svc = svc;
		/* The list's reference: never dropped, kunit frees. */
		refcount_set(&be->ref, 1);
		list_add_tail(&be->list, &svc->backends);
		svc->n_backends++;
	}
	pool = l4lb_pool_build(svc);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	RCU_INIT_POINTER(svc->pool, pool);
	return svc;
}

static struct l4lb_service *make_svc(struct kunit *test, u8 sched,
				     unsigned int n, const u16 *weights)
{
	return make_svc_ids(test, sched, n, weights, NULL);
}

static void drop_svc(struct l4lb_service *svc)
{
	l4lb_pool_free(rcu_dereference_protected(svc->pool, true));
}

static struct l4lb_pool *pool_of(struct l4lb_service *svc)
{
	return rcu_dereference_protected(svc->pool, true);
}

/* Index (address) of the backend picked for @saddr:@sport with @seed. */
static int pick_seed(struct l4lb_service *svc, u32 seed, __be32 saddr,
		     __be16 sport)
{
	union nf_inet_addr addr = { .ip = saddr };
	struct l4lb_backend *be;

	be = l4lb_sched_pick(svc, pool_of(svc), seed, &addr, sport);
	return be ? ntohl(be->key.addr.ip) - 0x0a00020b : -1;
}

static int pick(struct l4lb_service *svc, __be32 saddr)
{
	return pick_seed(svc, 0, saddr, 0);
}

static void sched_rr_exact(struct kunit *test)
{
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_RR, 3, NULL);
	int i;

	for (i = 0; i < 9; i++)
		KUNIT_EXPECT_EQ(test, pick(svc, 0), i % 3);
	drop_svc(svc);
}

/* Weight 0 drains: the backend gets nothing, the others go on. */
static void sched_rr_skips_drained(struct kunit *test)
{
	static const u16 w[] = { 1, 0, 1 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_RR, 3, w);
	int i;

	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_NE(test, pick(svc, 0), 1);
	drop_svc(svc);
}

/* As the control plane does after a change: a new pool, the old freed. */
static void rebuild(struct kunit *test, struct l4lb_service *svc)
{
	struct l4lb_pool *pool = l4lb_pool_build(svc);

	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	l4lb_pool_free(pool_of(svc));
	RCU_INIT_POINTER(svc->pool, pool);
}

/*
 * Down (failed health checks) takes a backend out whatever its weight,
 * and the weight is kept: back up, it gets its share again.
 */
static void sched_skips_down(struct kunit *test)
{
	static const u16 w[] = { 1, 2, 1 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_WRR, 3, w);
	struct l4lb_backend *be;
	int i, seen[3] = { 0 };

	be = list_next_entry(list_first_entry(&svc->backends,
					      struct l4lb_backend, list), list);
	be->down = true;
	rebuild(test, svc);
	for (i = 0; i < 8; i++)
		seen[pick(svc, 0)]++;
	KUNIT_EXPECT_EQ(test, seen[0], 4);
	KUNIT_EXPECT_EQ(test, seen[1], 0);
	KUNIT_EXPECT_EQ(test, seen[2], 4);

	be->down = false;
	rebuild(test, svc);
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < 8; i++)
		seen[pick(svc, 0)]++;
	KUNIT_EXPECT_EQ(test, seen[0], 2);
	KUNIT_EXPECT_EQ(test, seen[1], 4);
	KUNIT_EXPECT_EQ(test, seen[2], 2);
	drop_svc(svc);
}

static void sched_empty_pool(struct kunit *test)
{
	static const u16 w[] = { 0, 0 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_LC, 2, w);

	KUNIT_EXPECT_EQ(test, pick(svc, 0), -1);
	drop_svc(svc);
}

/* Exactly proportional over a whole sequence, and interleaved. */
static void sched_wrr_proportions(struct kunit *test)
{
	static const u16 w[] = { 100, 200, 300 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_WRR, 3, w);
	int count[3] = {}, i, run = 0, longest = 0, last = -1, b;

	KUNIT_EXPECT_EQ(test, pool_of(svc)->wrr_len, 6U);
	for (i = 0; i < 600; i++) {
		b = pick(svc, 0);
		KUNIT_ASSERT_TRUE(test, b >= 0 && b < 3);
		count[b]++;
		run = b == last ? run + 1 : 1;
		longest = max(longest, run);
		last = b;
	}
	KUNIT_EXPECT_EQ(test, count[0], 100);
	KUNIT_EXPECT_EQ(test, count[1], 200);
	KUNIT_EXPECT_EQ(test, count[2], 300);
	/* Smooth: never three in a row for a half share. */
	KUNIT_EXPECT_LE(test, longest, 2);
	drop_svc(svc);
}

static void sched_lc_least_loaded(struct kunit *test)
{
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_LC, 3, NULL);
	struct l4lb_pool *pool = pool_of(svc);

	atomic_set(&pool->be[0]->active, 5);
	atomic_set(&pool->be[1]->active, 2);
	atomic_set(&pool->be[2]->active, 7);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 1);
	atomic_set(&pool->be[1]->active, 9);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 0);
	/* Ties go to the first added. */
	atomic_set(&pool->be[0]->active, 7);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 0);
	drop_svc(svc);
}

static void sched_wlc_weighs(struct kunit *test)
{
	static const u16 w[] = { 1, 3 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_WLC, 2, w);
	struct l4lb_pool *pool = pool_of(svc);

	/* 1/1 against 2/3: the heavier backend is the less loaded. */
	atomic_set(&pool->be[0]->active, 1);
	atomic_set(&pool->be[1]->active, 2);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 1);
	/* 1/1 against 4/3. */
	atomic_set(&pool->be[1]->active, 4);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), 0);
	drop_svc(svc);
}

static void sched_sh_stable_and_spread(struct kunit *test)
{
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_SH, 4, NULL);
	int first = pick(svc, htonl(0xc0a80132)), i, seen = 0;

	for (i = 0; i < 100; i++)
		KUNIT_EXPECT_EQ(test, pick(svc, htonl(0xc0a80132)), first);
	for (i = 0; i < 256; i++)
		seen |= 1 << pick(svc, htonl(0xc0a80100 + i));
	KUNIT_EXPECT_EQ(test, seen, 0xf);
	drop_svc(svc);
}

#define MH_KEYS 20000

/* Removing one of N backends remaps at most 1/N + 2% of the keys. */
static void sched_mh_minimal_disruption(struct kunit *test)
{
	static const unsigned int n = 10;
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_MH, n, NULL);
	struct l4lb_backend *gone;
	int *before, moved = 0, i;
	u32 *keys;

	before = kunit_kmalloc_array(test, MH_KEYS, sizeof(*before), GFP_KERNEL);
	keys = kunit_kmalloc_array(test, MH_KEYS, sizeof(*keys), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, before);
	KUNIT_ASSERT_NOT_NULL(test, keys);
	for (i = 0; i < MH_KEYS; i++) {
		keys[i] = get_random_u32();
		before[i] = pick(svc, (__force __be32)keys[i]);
	}

	/* Take the fourth backend out and rebuild, as the control plane does. */
	gone = list_entry(svc->backends.next->next->next->next,
			  struct l4lb_backend, list);
	list_del(&gone->list);
	svc->n_backends--;
	drop_svc(svc);
	RCU_INIT_POINTER(svc->pool, l4lb_pool_build(svc));
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool_of(svc)));

	for (i = 0; i < MH_KEYS; i++) {
		int now = pick(svc, (__force __be32)keys[i]);

		KUNIT_EXPECT_NE(test, now, 3);
		if (now != before[i])
			moved++;
	}
	KUNIT_EXPECT_LE(test, moved, MH_KEYS / n + MH_KEYS * 2 / 100);
	drop_svc(svc);
}

/*
 * ECMP: balancers configured apart must build the same table. Pools of the
 * same backends and weights added in three orders give identical Maglev
 * tables and sh choices.
 */
static void sched_hash_order_independent(struct kunit *test)
{
	static const unsigned int fwd[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9 };
	static const unsigned int rev[] = { 9, 8, 7, 6, 5, 4, 3, 2, 1, 0 };
	static const unsigned int mix[] = { 3, 7, 0, 9, 1, 5, 8, 2, 6, 4 };
	static const u16 w[] = { 1, 2, 3, 1, 5, 1, 1, 4, 1, 2 };
	const unsigned int *orders[] = { rev, mix };
	struct l4lb_service *a, *b;
	unsigned int o, j, diff;
	u8 sched;

	for (sched = L4LB_SCHED_SH; sched <= L4LB_SCHED_MH; sched++) {
		a = make_svc_ids(test, sched, 10, w, fwd);
		for (o = 0; o < ARRAY_SIZE(orders); o++) {
			b = make_svc_ids(test, sched, 10, w, orders[o]);
			diff = 0;
			if (sched == L4LB_SCHED_MH) {
				for (j = 0; j < L4LB_MH_TABLE_SIZE; j++)
					diff += pool_of(a)->be[pool_of(a)->mh[j]]->key.addr.ip !=
						pool_of(b)->be[pool_of(b)->mh[j]]->key.addr.ip;
			}
			for (j = 0; j < 1000; j++)
				diff += pick(a, htonl(0xc6336400 + j * 7919)) !=
					pick(b, htonl(0xc6336400 + j * 7919));
			KUNIT_EXPECT_EQ_MSG(test, diff, 0U, "sched %u order %u",
					    sched, o);
			drop_svc(b);
		}
		drop_svc(a);
	}
}

/* mh weighs: each backend holds its weight's share of the table. */
static void sched_mh_weighted(struct kunit *test)
{
	static const u16 w[] = { 1, 2, 3, 4 };
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_MH, 4, w);
	unsigned int count[4] = { 0 }, i, want;

	for (i = 0; i < L4LB_MH_TABLE_SIZE; i++)
		count[pool_of(svc)->mh[i]]++;
	for (i = 0; i < 4; i++) {
		want = L4LB_MH_TABLE_SIZE * w[i] / 10;
		KUNIT_EXPECT_LE(test, count[i], want + want / 100 + 1);
		KUNIT_EXPECT_GE(test, count[i], want - want / 100 - 1);
	}
	drop_svc(svc);
}

#define ECMP_KEYS 100000

/* The keys and the backend each picks, for sched_mh_add_remove(). */
static void mh_picks(struct l4lb_service *svc, const u32 *keys, s8 *out)
{
	int i;

	for (i = 0; i < ECMP_KEYS; i++)
		out[i] = pick(svc, (__force __be32)keys[i]);
}

/*
 * A backend set changed on every balancer: adding one to N = 10 moves at
 * most 1/(N+1) + 2% of 100,000 tuples, all of them to the new backend or
 * nearly; removing it again moves back only what it held (Maglev's own
 * few strays allowed: at most 1% of the others).
 */
static void sched_mh_add_remove(struct kunit *test)
{
	struct l4lb_service *svc = make_svc(test, L4LB_SCHED_MH, 10, NULL);
	struct l4lb_backend *be;
	unsigned int moved = 0, others = 0, i;
	s8 *before, *after, *again;
	u32 *keys;

	keys = kunit_kmalloc_array(test, ECMP_KEYS, sizeof(*keys), GFP_KERNEL);
	before = kunit_kmalloc(test, ECMP_KEYS, GFP_KERNEL);
	after = kunit_kmalloc(test, ECMP_KEYS, GFP_KERNEL);
	again = kunit_kmalloc(test, ECMP_KEYS, GFP_KERNEL);
	KUNIT_ASSERT_TRUE(test, keys && before && after && again);
	for (i = 0; i < ECMP_KEYS; i++)
		keys[i] = get_random_u32();
	mh_picks(svc, keys, before);

	be = kunit_kzalloc(test, sizeof(*be), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, be);
	be->key.addr.ip = htonl(0x0a00020b + 10);
	be->key.port = htons(80);
	be->weight = 1;
	be->svc = svc;
	refcount_set(&be->ref, 1);
	list_add_tail(&be->list, &svc->backends);
	svc->n_backends++;
	rebuild(test, svc);
	mh_picks(svc, keys, after);
	for (i = 0; i < ECMP_KEYS; i++) {
		moved += after[i] != before[i];
		others += after[i] != before[i] && after[i] != 10;
	}
	kunit_info(test, "add: %u of %u moved, %u between old backends\n",
		   moved, ECMP_KEYS, others);
	KUNIT_EXPECT_LE(test, moved, ECMP_KEYS / 11 + ECMP_KEYS * 2 / 100);
	KUNIT_EXPECT_LE(test, others, ECMP_KEYS / 100);

	list_del(&be->list);
	svc->n_backends--;
	rebuild(test, svc);
	mh_picks(svc, keys, again);
	moved = 0;
	others = 0;
	for (i = 0; i < ECMP_KEYS; i++) {
		moved += again[i] != after[i];
		others += again[i] != after[i] && after[i] != 10;
	}
	kunit_info(test, "remove: %u moved, %u not the removed one's\n",
		   moved, others);
	KUNIT_EXPECT_LE(test, moved, ECMP_KEYS / 10 + ECMP_KEYS * 2 / 100);
	KUNIT_EXPECT_LE(test, others, ECMP_KEYS / 100);
	/* The same set again: the same table as before the add. */
	KUNIT_EXPECT_EQ(test, memcmp(before, again, ECMP_KEYS), 0);
	drop_svc(svc);
}

/*
 * The namespace's seed: two balancers' tables with the same seed agree on
 * every tuple, another seed spreads them differently; hash-port spreads one
 * client's connections, without it they stay together.
 */
static void sched_hash_seed_and_port(struct kunit *test)
{
	struct l4lb_service *a = make_svc(test, L4LB_SCHED_MH, 5, NULL);
	struct l4lb_service *b = make_svc(test, L4LB_SCHED_MH, 5, NULL);
	unsigned int i, differ = 0, same = 0, seen = 0;
	__be32 c;

	for (i = 0; i < 1000; i++) {
		c = htonl(0xcb007100 + i * 31);
		same += pick_seed(a, 42, c, htons(1000 + i)) ==
			pick_seed(b, 42, c, htons(2000 + i));
		differ += pick_seed(a, 42, c, 0) != pick_seed(a, 43, c, 0);
	}
	KUNIT_EXPECT_EQ(test, same, 1000U);
	KUNIT_EXPECT_GT(test, differ, 500U);
	/* One client address, 64 ports. */
	c = htonl(0xcb007101);
	for (i = 0; i < 64; i++)
		KUNIT_EXPECT_EQ(test, pick_seed(a, 7, c, htons(40000 + i)),
				pick_seed(a, 7, c, 0));
	b->flags = L4LB_SVC_F_HASH_PORT;
	for (i = 0; i < 64; i++)
		seen |= 1U << pick_seed(b, 7, c, htons(40000 + i));
	KUNIT_EXPECT_EQ(test, seen, 0x1fU);
	drop_svc(a);
	drop_svc(b);
}

/*
 * Defect 5: the largest weighted pool (512 backends, weights near 1000
 * with no common divisor) builds in O(len log n), every backend its share
 * exactly, an empty Maglev pool holds no table.
 */
static void sched_wrr_large_pool(struct kunit *test)
{
	const unsigned int n = L4LB_MAX_BACKENDS;
	struct l4lb_service *svc;
	struct l4lb_pool *pool;
	unsigned int i, len = 0, *count;
	u16 *w;

	w = kunit_kcalloc(test, n, sizeof(*w), GFP_KERNEL);
	count = kunit_kcalloc(test, n, sizeof(*count), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, count);
	for (i = 0; i < n; i++) {
		w[i] = L4LB_MAX_WEIGHT - i;
		len += w[i];
	}
	svc = make_svc(test, L4LB_SCHED_WRR, n, w);
	pool = pool_of(svc);
	KUNIT_ASSERT_EQ(test, pool->wrr_len, len);
	for (i = 0; i < len; i++)
		count[pool->wrr[i]]++;
	for (i = 0; i < n; i++)
		KUNIT_EXPECT_EQ(test, count[i], (unsigned int)w[i]);
	drop_svc(svc);

	svc = make_svc(test, L4LB_SCHED_MH, 0, NULL);
	KUNIT_EXPECT_NULL(test, pool_of(svc)->mh);
	KUNIT_EXPECT_EQ(test, pick(svc, 0), -1);
	drop_svc(svc);
}

/*
 * A fallback server (the last of three) takes nothing while another
 * backend is usable, everything once none is, whatever the scheduler, and
 * nothing when it is down itself.
 */
static void sched_fallback_only_when_none_usable(struct kunit *test)
{
	static const u8 scheds[] = { L4LB_SCHED_RR, L4LB_SCHED_WRR,
				     L4LB_SCHED_LC, L4LB_SCHED_WLC,
				     L4LB_SCHED_SH, L4LB_SCHED_MH };
	struct l4lb_backend *be, *b[3];
	struct l4lb_service *svc;
	unsigned int s, i, n;

	for (s = 0; s < ARRAY_SIZE(scheds); s++) {
		svc = make_svc(test, scheds[s], 3, NULL);
		n = 0;
		list_for_each_entry(be, &svc->backends, list)
			b[n++] = be;
		b[2]->fallback = true;
		svc->fallback = b[2];
		rebuild(test, svc);
		for (i = 0; i < 64; i++)
			KUNIT_EXPECT_NE(test, pick(svc, htonl(0xc0a80000 + i)),
					2);

		b[0]->down = true;
		b[1]->weight = 0;
		rebuild(test, svc);
		for (i = 0; i < 64; i++)
			KUNIT_EXPECT_EQ(test, pick(svc, htonl(0xc0a80000 + i)),
					2);

		b[2]->down = true;
		rebuild(test, svc);
		KUNIT_EXPECT_EQ(test, pick(svc, htonl(0xc0a80001)), -1);

		b[2]->down = false;
		b[1]->weight = 1;
		rebuild(test, svc);
		for (i = 0; i < 64; i++)
			KUNIT_EXPECT_EQ(test, pick(svc, htonl(0xc0a80000 + i)),
					1);
		drop_svc(svc);
	}
}

static struct kunit_case l4lb_sched_cases[] = {
	KUNIT_CASE(sched_fallback_only_when_none_usable),
	KUNIT_CASE(sched_rr_exact),
	KUNIT_CASE(sched_rr_skips_drained),
	KUNIT_CASE(sched_skips_down),
	KUNIT_CASE(sched_empty_pool),
	KUNIT_CASE(sched_wrr_proportions),
	KUNIT_CASE(sched_wrr_large_pool),
	KUNIT_CASE(sched_lc_least_loaded),
	KUNIT_CASE(sched_wlc_weighs),
	KUNIT_CASE(sched_sh_stable_and_spread),
	KUNIT_CASE(sched_mh_minimal_disruption),
	KUNIT_CASE(sched_hash_order_independent),
	KUNIT_CASE(sched_mh_weighted),
	KUNIT_CASE(sched_mh_add_remove),
	KUNIT_CASE(sched_hash_seed_and_port),
	{}
};

static struct kunit_suite l4lb_sched_suite = {
	.name = "l4lb-sched",
	.test_cases = l4lb_sched_cases,
};

kunit_test_suite(l4lb_sched_suite);
